//! Several boards in one process (SPEC §16): four SSE feeds from servers of their own in this
//! test (each a tone of its own, encoded by the tests' generator), a board on a
//! pseudo-terminal and the demo, each with its own analysis: every board's peak where its
//! tone is, in headless lines that say which board and on the wall; a feed that dies harms
//! none of the others; repeated `--profile`; `check` over several boards.

mod common;

use std::process::Command;
use std::time::Duration;

use base64::Engine;
use common::generator::{Playing, Signal, tone};
use common::http::{Step, TestServer, stream_head};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_sse-tui");

fn signal(hz: f64, seed: u64) -> Signal {
    Signal {
        tones: vec![(hz, 0.5)],
        seed,
        ..tone()
    }
}

/// `frames` `frame` events of `signal`, at the board's pace, then (when `then_hold`) an
/// open stream with nothing more, else the end of the connection.
fn feed(signal: &Signal, frames: u32, then_hold: bool) -> Vec<Step> {
    let mut steps = vec![stream_head()];
    for seq in 0..frames {
        let data = base64::engine::general_purpose::STANDARD.encode(signal.frame(seq));
        steps.push(Step::Send(
            format!("id: {seq}\nevent: frame\ndata: {data}\n\n").into_bytes(),
        ));
        // The pace of a board, not a wait for anything.
        steps.push(Step::Wait(Duration::from_secs_f64(signal.frame_seconds())));
    }
    if then_hold {
        steps.push(Step::Hold);
    }
    steps
}

/// `/events` gets `steps`; anything else (the clock probe's `/time`) a 404.
fn on_events(request: &common::http::Request, steps: impl FnOnce() -> Vec<Step>) -> Vec<Step> {
    if request.path.starts_with("/events") {
        steps()
    } else {
        vec![common::http::head("404 Not Found", &[])]
    }
}

/// The real binary headless with `args`: each board's summary, by name.
fn summaries(args: &[String]) -> Vec<(String, Value)> {
    let out = Command::new(BIN)
        .args(["--no-config", "--headless", "--report-every", "0.25"])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!lines.is_empty(), "{out:?}");
    for line in &lines {
        assert!(
            line["board"].is_string(),
            "a line without its board: {line}"
        );
    }
    lines
        .into_iter()
        .filter(|l| l["type"] == "summary")
        .map(|l| (l["board"].as_str().unwrap().to_owned(), l))
        .collect()
}

fn board<'a>(summaries: &'a [(String, Value)], name: &str) -> &'a Value {
    &summaries
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no board {name} in {summaries:?}"))
        .1
}

/// One bin of a 1024-point FFT at 48 kHz.
const BIN_HZ: f64 = 48_000.0 / 1024.0;

#[tokio::test(flavor = "multi_thread")]
async fn six_boards_in_one_process_each_with_its_own_tone() {
    let (two, five, three) = (signal(2000.0, 1), signal(5000.0, 2), signal(3000.0, 3));
    let (six, eight) = (signal(6000.0, 4), signal(8000.0, 5));
    let feed_a = TestServer::start(move |_, r| on_events(r, || feed(&two, 400, true))).await;
    let feed_b = TestServer::start(move |_, r| on_events(r, || feed(&five, 400, true))).await;
    let feed_c = TestServer::start(move |_, r| on_events(r, || feed(&six, 400, true))).await;
    let feed_d = TestServer::start(move |_, r| on_events(r, || feed(&eight, 400, true))).await;
    let dir = tempfile::tempdir().unwrap();
    let serial = Playing::start(dir.path(), three, false);
    let args: Vec<String> = vec![
        "--url".into(),
        format!("bench-a={}", feed_a.url("/events")),
        "--url".into(),
        feed_b.url("/events"),
        "--url".into(),
        format!("bench-c={}", feed_c.url("/events")),
        "--url".into(),
        format!("bench-d={}", feed_d.url("/events")),
        "--serial".into(),
        serial.link.display().to_string(),
        "--demo".into(),
        "--frames".into(),
        "40".into(),
        // A bound, not a measurement: a board that never gets its frames fails the test
        // rather than hanging it.
        "--duration".into(),
        "60".into(),
    ];
    let summaries = tokio::task::spawn_blocking(move || summaries(&args))
        .await
        .unwrap();
    let host_b = "127.0.0.1/events".to_owned();
    for (name, hz) in [
        ("bench-a", 2000.0),
        (host_b.as_str(), 5000.0),
        ("bench-c", 6000.0),
        ("bench-d", 8000.0),
        ("ttyACM0", 3000.0),
        ("demo", 1000.0),
    ] {
        let s = board(&summaries, name);
        assert_eq!(s["frames"], 40, "{name}: {s}");
        let peak = s["peak_hz"].as_f64().unwrap();
        assert!(
            (peak - hz).abs() <= BIN_HZ,
            "{name}: peak {peak} Hz, not {hz}"
        );
    }
    assert_eq!(summaries.len(), 6, "{summaries:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_feed_that_dies_harms_no_other_board() {
    let (two, five) = (signal(2000.0, 1), signal(5000.0, 2));
    let live = TestServer::start(move |_, r| on_events(r, || feed(&two, 2000, true))).await;
    // Ten frames, then the server is gone for good: every later attempt is refused.
    let streams = std::sync::atomic::AtomicUsize::new(0);
    let dying = TestServer::start(move |_, r| {
        on_events(r, || {
            if streams.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                feed(&five, 10, false)
            } else {
                vec![common::http::head("503 Service Unavailable", &[])]
            }
        })
    })
    .await;
    let args: Vec<String> = vec![
        "--url".into(),
        format!("live={}", live.url("/events")),
        "--url".into(),
        format!("dying={}", dying.url("/events")),
        "--demo".into(),
        // A bound for the run, not a measurement: the assertions are on what was seen.
        "--duration".into(),
        "4".into(),
    ];
    let summaries = tokio::task::spawn_blocking(move || summaries(&args))
        .await
        .unwrap();
    let dying = board(&summaries, "dying");
    assert_ne!(dying["state"], "connected", "{dying}");
    assert_eq!(dying["frames"], 10, "{dying}");
    assert!(dying["reason"].is_string(), "it says why: {dying}");
    for name in ["live", "demo"] {
        let s = board(&summaries, name);
        assert_eq!(s["state"], "connected", "{name}: {s}");
        assert!(s["frames"].as_u64() > Some(10), "{name}: {s}");
        assert_eq!(s["dropped"], 0, "{name}: {s}");
    }
}

/// The wall (the real binary in a pseudo-terminal): four SSE feeds of the test's own, a board
/// on a pseudo-terminal and the demo, each tile with its own board's peak; one feed's server
/// killed: its tile says so, and the others keep their peaks.
#[tokio::test(flavor = "multi_thread")]
async fn the_wall_shows_each_board_its_own_peak_and_which_one_died() {
    use common::pty::PtyChild;
    use common::wall::{tile, tile_peak};
    const LIMIT: Duration = Duration::from_secs(60);
    let tones = [("a", 2000.0), ("b", 4000.0), ("c", 6000.0), ("d", 8000.0)];
    let mut feeds = Vec::new();
    for (seed, (_, hz)) in tones.iter().enumerate() {
        let s = signal(*hz, seed as u64 + 1);
        feeds.push(TestServer::start(move |_, r| on_events(r, || feed(&s, 2000, true))).await);
    }
    let dir = tempfile::tempdir().unwrap();
    let serial = Playing::start(dir.path(), signal(3000.0, 9), false);
    let mut args = vec!["--no-config".to_owned()];
    for ((name, _), server) in tones.iter().zip(&feeds) {
        args.extend(["--url".into(), format!("{name}={}", server.url("/events"))]);
    }
    args.extend([
        "--serial".into(),
        format!("bench={}", serial.link.display()),
        "--demo".into(),
    ]);
    let mut expected: Vec<(&str, f64)> = tones.to_vec();
    expected.extend([("bench", 3000.0), ("demo", 1000.0)]);

    let wall = {
        let expected = expected.clone();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let mut tui = PtyChild::spawn(BIN, &args, 32, 120, &[]);
            let every_peak_right = |s: &vt100::Screen| {
                expected
                    .iter()
                    .all(|(name, hz)| tile_peak(s, name).is_some_and(|p| (p - hz).abs() <= BIN_HZ))
            };
            assert!(
                tui.wait_for(LIMIT, every_peak_right),
                "{}",
                tui.screen_text()
            );
            tui
        })
        .await
        .unwrap()
    };
    // Feed d's server is killed: refused from now on.
    drop(feeds.pop());
    let mut tui = tokio::task::spawn_blocking(move || {
        let mut tui = wall;
        let says_which = |s: &vt100::Screen| {
            tile(s, "d").is_some_and(|t| t[0].contains("disconnected"))
                && s.contents().contains("1 disconnected")
        };
        assert!(tui.wait_for(LIMIT, says_which), "{}", tui.screen_text());
        tui
    })
    .await
    .unwrap();
    let screen = tui.parser.screen().clone();
    for (name, hz) in expected.iter().filter(|(name, _)| *name != "d") {
        let text = tile(&screen, name).unwrap();
        assert!(
            text[0].contains("connected") && !text[0].contains("dis"),
            "{name}: {text:?}"
        );
        let peak = tile_peak(&screen, name).unwrap();
        assert!(
            (peak - hz).abs() <= BIN_HZ,
            "{name}: peak {peak} Hz, not {hz}"
        );
    }
    tui.send(b"q");
    let status = tui.wait_exit(LIMIT).expect("exits after q");
    assert!(status.success(), "{status:?}");
}

/// `check` over several boards (SPEC §16): every board judged against the same limits, a
/// result and a JUnit testsuite each, and the exit status the worst. Two feeds and a serial
/// board play tones the test chose (one off the limits), a fourth feed dies after ten frames.
#[tokio::test(flavor = "multi_thread")]
async fn check_over_several_boards_judges_each_and_exits_with_the_worst() {
    let (good, off) = (signal(1000.0, 1), signal(2000.0, 2));
    let feed_good = TestServer::start(move |_, r| on_events(r, || feed(&good, 400, true))).await;
    let feed_off = TestServer::start(move |_, r| on_events(r, || feed(&off, 400, true))).await;
    let short = signal(1000.0, 4);
    let streams = std::sync::atomic::AtomicUsize::new(0);
    let dying = TestServer::start(move |_, r| {
        on_events(r, || {
            if streams.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                feed(&short, 10, false)
            } else {
                vec![common::http::head("503 Service Unavailable", &[])]
            }
        })
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let serial = Playing::start(dir.path(), signal(1000.0, 3), false);
    let limits = dir.path().join("limits.toml");
    std::fs::write(
        &limits,
        "name = \"tone\"\nsettle = 0.5\nmeasure = 1.5\ntimeout = 2\n\
         [limit.tone]\nvalue = \"peak_hz\"\nmin = 990\nmax = 1010\n",
    )
    .unwrap();
    let junit = dir.path().join("junit.xml");
    let mut command = Command::new(BIN);
    command
        .arg("check")
        .arg(&limits)
        .args(["--no-config", "--junit"])
        .arg(&junit)
        .args(["--url", &format!("good={}", feed_good.url("/events"))])
        .args(["--url", &format!("off={}", feed_off.url("/events"))])
        .args(["--url", &format!("dying={}", dying.url("/events"))])
        .arg("--serial")
        .arg(format!("bench={}", serial.link.display()))
        .stdin(std::process::Stdio::null());
    let out = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let results: Value = serde_json::from_str(stdout.trim()).expect("a JSON list on stdout");
    let outcome = |board: &str| {
        let list = results.as_array().expect("a list, a result per board");
        let result = list.iter().find(|r| r["board"] == board);
        result.unwrap_or_else(|| panic!("no {board} in {results}"))["outcome"].clone()
    };
    assert_eq!(outcome("good"), "pass", "{results}");
    assert_eq!(outcome("bench"), "pass", "{results}");
    assert_eq!(outcome("off"), "fail", "{results}");
    assert_eq!(outcome("dying"), "error", "{results}");
    assert_eq!(results.as_array().unwrap().len(), 4);
    // A failure is a verdict on a board: it wins over a board that left none.
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testsuite ").count(), 4, "{xml}");
    for board in ["good", "off", "dying", "bench"] {
        assert!(xml.contains(&format!("name=\"{board}: tone\"")), "{xml}");
    }
}

/// `--profile bench1 --profile bench2 --url …` (SPEC §16): each profile a board with its own
/// source and settings (here its FFT size), beside the command line's own feed.
#[tokio::test(flavor = "multi_thread")]
async fn each_profile_is_a_board_with_its_own_settings() {
    let (two, five) = (signal(2000.0, 1), signal(5000.0, 2));
    let feed_a = TestServer::start(move |_, r| on_events(r, || feed(&two, 400, true))).await;
    let feed_b = TestServer::start(move |_, r| on_events(r, || feed(&five, 400, true))).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "fft = 2048\n[profile.bench1]\nurl = \"{}\"\nfft = 4096\n[profile.bench2]\ndemo = true\n",
            feed_a.url("/events")
        ),
    )
    .unwrap();
    let out = {
        let (config, url) = (config.clone(), format!("lab={}", feed_b.url("/events")));
        tokio::task::spawn_blocking(move || {
            Command::new(BIN)
                .arg("--config")
                .arg(&config)
                .args(["--headless", "--report-every", "0.25", "--frames", "30"])
                .args(["--profile", "bench1", "--profile", "bench2", "--url", &url])
                .args(["--duration", "60"])
                .output()
                .unwrap()
        })
        .await
        .unwrap()
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summaries: Vec<(String, Value)> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l["type"] == "summary")
        .map(|l| (l["board"].as_str().unwrap_or("").to_owned(), l))
        .collect();
    assert_eq!(
        summaries.len(),
        3,
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (name, hz, fft) in [
        ("bench1", 2000.0, 4096),
        ("bench2", 1000.0, 2048),
        ("lab", 5000.0, 2048),
    ] {
        let s = board(&summaries, name);
        assert_eq!(s["fft"], fft, "{name}: {s}");
        let peak = s["peak_hz"].as_f64().unwrap();
        assert!(
            (peak - hz).abs() <= BIN_HZ,
            "{name}: peak {peak} Hz, not {hz}"
        );
    }
}

/// What takes one board says so in one sentence beside several, exit status 2, and nothing
/// starts: a recording, a `--publish` URL without `{board}` (every board's events would mix on
/// one channel), `check --dut`.
#[test]
fn what_takes_one_board_is_one_sentence_and_exit_2_beside_several() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("x.wav");
    let limits = dir.path().join("limits.toml");
    std::fs::write(&limits, "[limit.p]\nvalue = \"peak_hz\"\nmin = 1\n").unwrap();
    let url = "two=http://127.0.0.1:1/events";
    let cases: [(Vec<&str>, &str); 3] = [
        (
            vec![
                "--headless",
                "--demo",
                "--url",
                url,
                "--record",
                wav.to_str().unwrap(),
            ],
            "--record takes one board",
        ),
        (
            vec![
                "serve",
                "--demo",
                "--url",
                url,
                "--publish",
                "http://hub/pub?id=x",
            ],
            "has no {board}",
        ),
        (
            vec![
                "check",
                limits.to_str().unwrap(),
                "--demo",
                "--url",
                url,
                "--dut",
                "b7",
            ],
            "--dut names one board",
        ),
    ];
    for (args, said) in cases {
        let out = Command::new(BIN)
            .arg("--no-config")
            .args(&args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(said), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: {stderr}");
        assert!(!wav.exists(), "nothing started");
    }
}
