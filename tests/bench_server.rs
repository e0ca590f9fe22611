//! `serve` with several boards (SPEC §16) over HTTPS and HTTP/2: `/boards`, one HTTP/2
//! connection carrying every board's events (each event's id says whose), `/metrics` with a
//! series per board (read by PyPI prometheus-client's parser), and the page as a wall in the
//! real Chromium. The boards are two recordings of tones the tests' generator made (2 and
//! 5 kHz) and the demo (1 kHz).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::ChildGuard;
use common::generator::{Signal, tone};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_sse-tui");
/// One bin of a 1024-point FFT at 48 kHz.
const BIN_HZ: f64 = 48_000.0 / 1024.0;
/// Each board's tone.
const TONES: [(&str, f64); 3] = [("two", 2000.0), ("five", 5000.0), ("demo", 1000.0)];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A bench of three boards served over HTTPS with the lab's certificate: the server, its
/// address, and the directory its recordings live in.
fn bench(extra: &[&str]) -> (ChildGuard, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(BIN);
    command.args(["serve", "--no-config", "--listen", "127.0.0.1:0"]);
    command.args(["--headless", "--report-every", "1000"]);
    for (name, hz) in &TONES[..2] {
        let path = dir.path().join(format!("{name}.bin"));
        // A minute of frames at the board's pace: the test is over long before.
        Signal {
            tones: vec![(*hz, 0.5)],
            ..tone()
        }
        .record(&path, 3000);
        command
            .arg("--replay")
            .arg(format!("{name}={}", path.display()));
    }
    command
        .arg("--demo")
        .arg("--tls-cert")
        .arg(fixture("lab_server.pem"));
    command.arg("--tls-key").arg(fixture("lab_server.key"));
    let (child, addr) = common::spawn_served(command.args(extra));
    (ChildGuard(child), addr, dir)
}

/// An HTTPS client trusting the lab's authority, offering HTTP/2.
fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let ca = std::fs::read(fixture("lab_ca.pem")).unwrap();
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .build()
        .unwrap()
}

/// `/boards` once every board has a peak near its tone.
async fn boards_with_their_peaks(client: &reqwest::Client, addr: &str) -> Value {
    let url = format!("https://{addr}/boards");
    loop {
        let body = client.get(&url).send().await.unwrap().text().await.unwrap();
        let boards: Value = serde_json::from_str(&body).unwrap();
        let right = |(name, hz): &(&str, f64)| {
            boards.as_array().unwrap().iter().any(|b| {
                b["name"] == *name
                    && b["peak_hz"]
                        .as_f64()
                        .is_some_and(|p| (p - hz).abs() <= BIN_HZ)
            })
        };
        if TONES.iter().all(right) {
            return boards;
        }
        // Waiting for the boards' first spectra, each a few frames in.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn one_http2_connection_carries_every_boards_events_each_saying_whose() {
    let (_serve, addr, _dir) = bench(&[]);
    let client = client();
    let boards = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        boards_with_their_peaks(&client, &addr),
    )
    .await
    .expect("every board's peak within a minute");
    let names: Vec<&str> = boards
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["two", "five", "demo"]);

    let url = format!("https://{addr}/events?board=two&board=five&board=demo");
    let mut response = client.get(&url).send().await.unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert!(response.status().is_success(), "{response:?}");
    let mut text = String::new();
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < 3 {
        let chunk = next_chunk(&mut response).await;
        text.push_str(&String::from_utf8_lossy(&chunk));
        for line in text.lines().filter_map(|l| l.strip_prefix("id: ")) {
            // The event's own board comes first, then the others' places.
            let own = line.split(',').next().unwrap();
            let (name, seq) = own.rsplit_once(':').unwrap();
            assert!(seq.parse::<u32>().is_ok(), "{line}");
            seen.insert(name.to_owned());
        }
    }
    assert_eq!(seen, ["demo", "five", "two"].map(str::to_owned).into());

    let unknown = client
        .get(format!("https://{addr}/events?board=nine"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(
        unknown
            .text()
            .await
            .unwrap()
            .contains("boards: two, five, demo")
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs python3-venv with PyPI prometheus-client (benches/peers/setup.sh)"]
async fn metrics_have_a_series_per_board() {
    let peers = common::peers::ensure();
    let (_serve, addr, _dir) = bench(&[]);
    let client = client();
    tokio::time::timeout(
        std::time::Duration::from_secs(60),
        boards_with_their_peaks(&client, &addr),
    )
    .await
    .expect("every board's peak within a minute");
    let text = client
        .get(format!("https://{addr}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let families = common::peers::parse_metrics(&peers, &text);
    let series = |family: &str, board: &str| -> Vec<f64> {
        families[family]["samples"]
            .as_array()
            .unwrap_or_else(|| panic!("no {family}: {families}"))
            .iter()
            .filter(|s| s[1]["board"] == board)
            .map(|s| s[2].as_f64().unwrap())
            .collect()
    };
    for (board, hz) in TONES {
        let frames = series("sse_tui_frames", board);
        assert_eq!(frames.len(), 1, "{board}: {families}");
        assert!(frames[0] > 0.0, "{board}: {families}");
        let peak = series("sse_tui_peak_frequency_hertz", board);
        assert!((peak[0] - hz).abs() <= BIN_HZ, "{board}: {peak:?}");
    }
    // What the server has once, not a board each.
    let watchers = &families["sse_tui_watchers"]["samples"];
    assert!(
        watchers
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s[1].get("board").is_none())
    );
}

/// The page at `/` of a bench is the wall over HTTPS (and HTTP/2): a tile per board, each
/// with its own board's peak and a link to that board's page.
#[test]
#[ignore = "needs chromium (Debian), and node with npm for puppeteer-core"]
fn the_page_is_a_wall_of_every_board_in_chromium() {
    use common::browser::{Browser, artifacts};
    let (_serve, addr, _dir) = bench(&[]);
    let spki = std::fs::read_to_string(fixture("lab_server.spki")).unwrap();
    let pin = format!("--ignore-certificate-errors-spki-list={}", spki.trim());
    let mut browser = Browser::with_flags(&[&pin]);
    browser.ask(
        json!({"cmd": "open", "url": format!("https://{addr}/"), "width": 1280, "height": 800}),
    );
    let tiles =
        browser.ask(json!({"cmd": "tiles", "count": 3, "timeout_ms": 60000}))["tiles"].clone();
    for (name, hz) in TONES {
        let tile = tiles
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["board"] == name)
            .unwrap_or_else(|| panic!("no tile {name}: {tiles}"));
        let peak: f64 = tile["peakHz"].as_str().unwrap().parse().unwrap();
        assert!((peak - hz).abs() <= BIN_HZ, "{name}: {tile}");
        assert!(
            tile["href"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/?board={name}")),
            "{tile}"
        );
    }
    let errors = browser.ask(json!({"cmd": "errors"}))["errors"].clone();
    assert_eq!(errors, json!([]), "{errors}");
    browser.ask(json!({"cmd": "screenshot", "path": artifacts().join("wall-https.png")}));
    // A tile's link opens that board's own page.
    browser.ask(json!({"cmd": "open", "url": format!("https://{addr}/?board=five")}));
    let seen = browser.ask(json!({"cmd": "wait", "attr": "frames", "above": 5}))["dataset"].clone();
    let peak: f64 = seen["peakHz"].as_str().unwrap().parse().unwrap();
    assert!((peak - 5000.0).abs() <= BIN_HZ, "{seen}");
    browser.ask(json!({"cmd": "quit"}));
}

/// The stream's next bytes; a stream silent for a minute (the boards send 47 events a second)
/// or ended fails the test rather than hanging it.
async fn next_chunk(response: &mut reqwest::Response) -> bytes::Bytes {
    let next = tokio::time::timeout(std::time::Duration::from_secs(60), response.chunk());
    next.await
        .expect("an event within a minute")
        .unwrap()
        .expect("the stream goes on")
}

/// The ids of a stream's first `count` events: each event's own board and id, and the whole
/// id (every board's place), as they came.
async fn ids(response: &mut reqwest::Response, count: usize) -> Vec<(String, u32, String)> {
    let mut text = String::new();
    loop {
        // Only whole events: the last may be cut in the middle.
        let whole = text.rsplit_once("\n\n").map_or("", |(whole, _)| whole);
        let ids: Vec<(String, u32, String)> = whole
            .split("\n\n")
            .filter_map(|event| event.lines().find_map(|l| l.strip_prefix("id: ")))
            .map(|id| {
                let own = id.split(',').next().unwrap();
                let (name, seq) = own.rsplit_once(':').unwrap();
                (name.to_owned(), seq.parse().unwrap(), id.to_owned())
            })
            .collect();
        if ids.len() >= count {
            return ids[..count].to_vec();
        }
        let chunk = next_chunk(response).await;
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
}

/// A stream of several boards cut and resumed with the last id it had: every board goes on
/// from the event after the last one it sent, none skipped, none sent twice.
#[tokio::test(flavor = "multi_thread")]
async fn last_event_id_resumes_every_board_of_a_stream_where_it_was() {
    let (_serve, addr, _dir) = bench(&[]);
    let client = client();
    let url = format!("https://{addr}/events?board=two&board=five");
    let mut first = client.get(&url).send().await.unwrap();
    let seen = ids(&mut first, 20).await;
    drop(first);
    let last = |board: &str| seen.iter().rev().find(|(b, ..)| b == board).unwrap().1;
    let (last_two, last_five) = (last("two"), last("five"));
    // The boards go on meanwhile (seen on a stream of their own): a stream that started live
    // would not begin where the first one ended.
    let mut observer = client.get(&url).send().await.unwrap();
    let mut ahead = Vec::new();
    while !["two", "five"].iter().all(|board| {
        ahead
            .iter()
            .any(|(b, seq, _): &(String, u32, String)| b == board && *seq > last(board) + 3)
    }) {
        ahead = ids(&mut observer, 10).await;
    }
    // What a client sends back: the last event's id, which holds every board's place.
    let resume = seen.last().unwrap().2.clone();
    let mut again = client
        .get(&url)
        .header("Last-Event-ID", &resume)
        .send()
        .await
        .unwrap();
    let after = ids(&mut again, 20).await;
    for (board, last) in [("two", last_two), ("five", last_five)] {
        let resumed: Vec<u32> = after
            .iter()
            .filter(|(b, ..)| b == board)
            .map(|x| x.1)
            .collect();
        assert_eq!(resumed.first(), Some(&(last + 1)), "{resume}: {after:?}");
        assert!(
            resumed.windows(2).all(|w| w[1] == w[0] + 1),
            "{board}: {resumed:?}"
        );
    }
}

/// Behind a token, a request without it learns nothing of the bench: `/boards` and a stream
/// of a board that is not there are both a bare 401; with the token, the 404 names the boards.
#[tokio::test(flavor = "multi_thread")]
async fn a_stranger_learns_no_boards_name() {
    let (_serve, addr, _dir) = bench(&["--token", "s3cret"]);
    let client = client();
    for path in ["/boards", "/events?board=nine", "/analysis?board=nine"] {
        let answer = client
            .get(format!("https://{addr}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 401, "{path}");
        assert_eq!(answer.text().await.unwrap(), "", "{path}");
    }
    let known = client
        .get(format!("https://{addr}/events?board=nine"))
        .bearer_auth("s3cret")
        .send()
        .await
        .unwrap();
    assert_eq!(known.status(), 404);
    assert!(
        known
            .text()
            .await
            .unwrap()
            .contains("boards: two, five, demo")
    );
}
