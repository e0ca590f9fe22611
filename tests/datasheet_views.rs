//! SPEC §15's datasheet figures where people read them: the `--report` page (its tables, its
//! plot's marks) and `serve`'s browser page, from the real binary on the demo's test
//! channels (ch 1 a single tone with harmonics, ch 2 two tones, ch 3 an overdriving sine for
//! the code-density test). The report is held to the run's own summary number for number;
//! in Chromium, both pages are looked at as a person would (marks, layout on a phone).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::ChildGuard;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_sse-tui");

/// The demo board's first `frames` frames, recorded to `path` (its frames are the same for a
/// seed, whatever the clock).
fn record_demo(path: &Path, frames: usize) {
    let mut board = sse_tui::source::demo::DemoBoard::new(11);
    let mut bytes = Vec::new();
    for _ in 0..frames {
        board.next_frame(&mut bytes);
    }
    std::fs::write(path, &bytes).unwrap();
}

/// What a replay left: its report, where and what it says, and its summary line.
struct Replayed {
    report: PathBuf,
    html: String,
    summary: Value,
}

/// A replay of `recording` as fast as it decodes, with `args`, writing the report `name`
/// beside it (the report and the summary line are made from the same last snapshot).
fn replay(recording: &Path, name: &str, args: &[&str]) -> Replayed {
    let report = recording.with_file_name(name);
    let out = Command::new(BIN)
        .args(["--replay", recording.to_str().unwrap(), "--speed", "0"])
        .args(["--headless", "--no-config", "--report"])
        .arg(&report)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    Replayed {
        html: std::fs::read_to_string(&report).unwrap(),
        summary: serde_json::from_str(stdout.lines().last().expect("a summary")).unwrap(),
        report,
    }
}

/// The value at a summary path (dots, and [i]).
fn at<'a>(value: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .fold(value, |here, part| match part.split_once('[') {
            Some((key, index)) => &here[key][index.trim_end_matches(']').parse::<usize>().unwrap()],
            None => &here[part],
        })
}

/// Every `data-key` with its `data-value` in `html`.
fn figures(html: &str) -> Vec<(String, String)> {
    html.split("data-key=\"")
        .skip(1)
        .map(|rest| {
            let (key, rest) = rest.split_once('"').unwrap();
            let value = rest
                .strip_prefix(" data-value=\"")
                .and_then(|rest| rest.split_once('"'))
                .unwrap_or_else(|| panic!("{key} has no data-value"))
                .0;
            (key.to_owned(), value.to_owned())
        })
        .collect()
}

/// Each figure of the report is the summary's number at its key (empty where the summary
/// has none); `keys` must be among them. The whole run's frame rate is left out: the
/// report and the line each divide by their own clock's duration.
fn assert_report_holds(html: &str, summary: &Value, keys: &[&str]) {
    let figures = figures(html);
    for (key, shown) in &figures {
        if key == "frames_per_s" {
            continue;
        }
        let truth = at(summary, key);
        match truth.as_f64() {
            Some(number) => assert_eq!(shown.parse::<f64>().ok(), Some(number), "{key}"),
            None => assert_eq!(shown, "", "{key}: {truth}"),
        }
    }
    for key in keys {
        assert!(
            figures.iter().any(|(k, _)| k == key),
            "no {key} in the report"
        );
    }
}

/// The SVG marks' labels, by the summary path each marks.
fn marks(html: &str) -> Vec<(String, String)> {
    html.split("<text class=\"mark ")
        .skip(1)
        .filter_map(|rest| {
            let key = rest.split("data-key=\"").nth(1)?.split('"').next()?;
            let label = rest.split_once('>')?.1.split("</text>").next()?.trim();
            Some((key.to_owned(), label.to_owned()))
        })
        .collect()
}

#[test]
fn the_reports_datasheet_tables_and_marks_are_the_runs_summary() {
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("demo.bin");
    record_demo(&recording, 2600);

    // One tone: its spurs (the harmonics lead them, named by order), noise density, fit.
    let Replayed { html, summary, .. } = replay(&recording, "tone.html", &["--channel", "1"]);
    assert_report_holds(
        &html,
        &summary,
        &[
            "adc.nsd_dbfs_hz",
            "adc.sfdr_dbfs",
            "adc.worst_other_spur.dbc",
            "adc.spurs[0].dbc",
            "adc.spurs[9].hz",
            "sinefit.enob_bits",
        ],
    );
    let spurs = summary["adc"]["spurs"].as_array().unwrap();
    for (i, spur) in spurs.iter().enumerate() {
        let kind = match spur["n"].as_u64() {
            Some(n) => format!("H{n}"),
            None => "spur".into(),
        };
        let row = format!("<tr><td>{kind}</td><td class=\"n\" data-key=\"adc.spurs[{i}].hz\"");
        assert!(html.contains(&row), "{row}");
    }
    let labels: Vec<String> = marks(&html).into_iter().map(|(_, label)| label).collect();
    for label in ["H2", "H3", "S", "peak"] {
        assert!(labels.iter().any(|l| l == label), "{label} in {labels:?}");
    }
    assert!(!html.contains("Two tones"));

    // Two tones: the tones, IMD2 and IMD3, and each product where it folds, marked.
    let Replayed { html, summary, .. } = replay(&recording, "two.html", &["--channel", "2"]);
    assert_report_holds(
        &html,
        &summary,
        &[
            "imd.f1_hz",
            "imd.imd2_dbc",
            "imd.imd3_dbc",
            "imd.products[3].dbc",
        ],
    );
    let marked: Vec<(String, String)> = marks(&html)
        .into_iter()
        .filter(|(key, _)| key.starts_with("imd."))
        .collect();
    let products = summary["imd"]["products"].as_array().unwrap();
    let read: Vec<(String, String)> = products
        .iter()
        .enumerate()
        .filter(|(_, p)| !p["dbc"].is_null())
        .map(|(i, p)| (format!("imd.products[{i}].hz"), format!("IM{}", p["order"])))
        .collect();
    assert_eq!(marked, read);
    assert!(!html.contains("<h2>ADC</h2>"), "no table of dashes");

    // The code-density test, finished: its figures; begun on too few samples: how far.
    let linearity = ["--channel", "3", "--linearity"];
    let Replayed { html, summary, .. } = replay(&recording, "linearity.html", &linearity);
    assert!(!summary["linearity"].is_null(), "{summary}");
    assert_report_holds(
        &html,
        &summary,
        &[
            "linearity.dnl_min",
            "linearity.inl_max",
            "linearity.samples",
        ],
    );
    let short = dir.path().join("short.bin");
    record_demo(&short, 100);
    let Replayed { html, summary, .. } = replay(&short, "short.html", &linearity);
    assert!(summary["linearity"].is_null(), "{summary}");
    assert_report_holds(&html, &summary, &["linearity_progress"]);
    let why = summary["linearity_withheld"].as_str().unwrap();
    assert!(html.contains(&format!("<p class=\"muted\" data-withheld>{why}</p>")));
}

/// `serve` on a demo channel, as the page's tests run it.
fn serve(args: &[&str]) -> (ChildGuard, String) {
    let (child, addr) = common::spawn_served(
        Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--no-config", "--demo"])
            .args(args),
    );
    (ChildGuard(child), addr)
}

/// The page's dataset once `attr` reads above `above` (an empty value reads as 0).
fn dataset_when(browser: &mut common::browser::Browser, attr: &str, above: f64) -> Value {
    browser.ask(json!({"cmd": "wait", "attr": attr, "above": above}))["dataset"].clone()
}

fn number(dataset: &Value, attr: &str) -> f64 {
    dataset[attr]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{attr} in {dataset}"))
}

fn artifact(name: &str) -> PathBuf {
    common::browser::artifacts().join(name)
}

/// The browser page on the demo's test channels: a single tone's spurs and density, two
/// tones' IMD3 at the demo converter's closed-form value, the code-density test's progress
/// and what it waits for; on a phone the tables fit, and the page logs no error.
#[test]
#[ignore = "needs chromium (Debian), and node with npm for puppeteer-core"]
fn the_browser_page_shows_the_datasheet_figures() {
    let mut browser = common::browser::Browser::start();
    let open = |browser: &mut common::browser::Browser, addr: &str, width: u32, height: u32| {
        let url = format!("http://{addr}/");
        browser.ask(json!({"cmd": "open", "url": url, "width": width, "height": height}));
    };

    // Each server lives to the end: one gone under an open page would be an error it logs.
    let (_single, addr) = serve(&["--channel", "1"]);
    open(&mut browser, &addr, 1280, 900);
    let d = dataset_when(&mut browser, "sfdrDbfs", 0.0);
    assert!(number(&d, "spurs") >= 1.0, "{d}");
    assert!(number(&d, "nsdDbfsHz") < -60.0, "{d}");
    // The fit's ENOB beside the FFT's: the demo's tone reads alike in both.
    assert!(
        (number(&d, "fitEnobBits") - number(&d, "enobBits")).abs() < 0.3,
        "{d}"
    );
    browser.ask(json!({"cmd": "screenshot", "path": artifact("datasheet-page-tone.png")}));
    open(&mut browser, &addr, 390, 844);
    dataset_when(&mut browser, "sfdrDbfs", 0.0);
    let phone = browser.ask(json!({"cmd": "layout"}))["layout"].clone();
    assert!(
        phone["scroll_width"].as_u64() <= phone["inner_width"].as_u64(),
        "{phone}"
    );

    let (_two, addr) = serve(&["--channel", "2"]);
    open(&mut browser, &addr, 1280, 900);
    // IMD3 is negative, and a wait for a value above one would take an empty value (0)
    // too: wait for frames instead, until the figure is there.
    let mut d = dataset_when(&mut browser, "frames", 50.0);
    for _ in 0..50 {
        if d["imd3Dbc"].as_str().is_some_and(|s| !s.is_empty()) {
            break;
        }
        let frames = number(&d, "frames");
        d = dataset_when(&mut browser, "frames", frames + 10.0);
    }
    // Each tone 7 dB under full scale through the demo's cubic (c₃ = 1.1278e-3, as
    // tests/datasheet.rs derives it): the third-order product (3/4)·c₃·a³ under a.
    let a = 10f64.powf(-7.0 / 20.0);
    let imd3 = 20.0 * (0.75 * 1.1278e-3 * a * a).log10();
    assert!(
        (number(&d, "imd3Dbc") - imd3).abs() < 1.0,
        "{d} against {imd3}"
    );
    assert_eq!(d["enobBits"], "", "two tones are no single tone: {d}");
    browser.ask(json!({"cmd": "screenshot", "path": artifact("datasheet-page-imd.png")}));

    let (_linear, addr) = serve(&["--channel", "3", "--linearity"]);
    open(&mut browser, &addr, 390, 844);
    let d = dataset_when(&mut browser, "linearityProgress", 0.0);
    assert!(number(&d, "linearityProgress") < 1.0, "{d}");
    assert_eq!(
        d["missingCodes"], "",
        "no figures before the test is ready: {d}"
    );
    assert!(
        d["linearityWithheld"]
            .as_str()
            .is_some_and(|why| why.contains("phases")),
        "{d}"
    );
    let phone = browser.ask(json!({"cmd": "layout"}))["layout"].clone();
    assert!(
        phone["scroll_width"].as_u64() <= phone["inner_width"].as_u64(),
        "{phone}"
    );
    browser.ask(json!({"cmd": "screenshot", "path": artifact("datasheet-page-linearity.png")}));

    let errors = browser.ask(json!({"cmd": "errors"}))["errors"].clone();
    assert_eq!(errors, json!([]), "{errors}");
    browser.ask(json!({"cmd": "quit"}));
}

/// The report in Chromium: its plot marks the spurs and the products by what they are, and
/// every figure the page holds (read by the browser, not by string search) is the summary's.
#[test]
#[ignore = "needs chromium (Debian), and node with npm for puppeteer-core"]
fn the_report_marks_spurs_and_products_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("demo.bin");
    record_demo(&recording, 2600);
    let mut browser = common::browser::Browser::start();
    for (channel, want) in [("1", ["H2", "H3", "S"]), ("2", ["IM2", "IM3", "peak"])] {
        let name = format!("channel{channel}.html");
        let Replayed {
            report, summary, ..
        } = replay(&recording, &name, &["--channel", channel]);
        let url = format!("file://{}", report.display());
        browser.ask(json!({"cmd": "open", "url": url, "width": 390, "height": 844}));
        let phone = browser.ask(json!({"cmd": "layout"}))["layout"].clone();
        assert!(
            phone["scroll_width"].as_f64().unwrap() <= phone["inner_width"].as_f64().unwrap() + 1.0,
            "the report fits a phone's width: {phone}"
        );
        browser.ask(json!({"cmd": "open", "url": url, "width": 1000, "height": 900}));
        let page = browser.ask(json!({"cmd": "figures"}));
        let name = format!("datasheet-report-ch{channel}.png");
        browser.ask(json!({"cmd": "screenshot", "path": artifact(&name)}));
        let marks: Vec<&str> = page["svg"]["marks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect();
        for label in want {
            assert!(marks.contains(&label), "{label} in {marks:?}");
        }
        for figure in page["figures"].as_array().unwrap() {
            let key = figure["key"].as_str().unwrap();
            let shown = figure["value"].as_str().unwrap();
            if key == "frames_per_s" {
                continue;
            }
            match at(&summary, key).as_f64() {
                Some(number) => assert_eq!(shown.parse::<f64>().ok(), Some(number), "{key}"),
                None => assert_eq!(shown, "", "{key}"),
            }
        }
    }
    browser.ask(json!({"cmd": "quit"}));
}
