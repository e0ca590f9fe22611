//! The dashboard page (`serve`'s `/`) in a real browser: Debian's Chromium driven over the
//! DevTools protocol by npm `puppeteer-core` (benches/peers/page_driver.mjs). `serve` reads a
//! board on a pseudo-terminal, so the test can unplug it and plug it back.
//!
//! Needs `chromium` (Debian); `.ci/run` installs it. See DEVELOPERS.md.

mod common;

use std::io::BufReader;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::ChildGuard;
use common::board::Board;
use common::browser::{Browser, artifacts};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_sse-tui");
const TOKEN: &str = "wall-of-screens";

/// A board that sends a 1 kHz tone (8 kHz rate) every 32 ms until unplugged.
struct LiveBoard {
    running: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LiveBoard {
    fn plug_in(link: &Path, first_seq: u32) -> Self {
        let mut board = Board::plug_in(link);
        let running = Arc::new(AtomicBool::new(true));
        let flag = running.clone();
        let thread = std::thread::spawn(move || {
            let mut seq = first_seq;
            // The pace of a board, not a wait for anything: 256 samples at 8 kHz.
            while flag.load(Ordering::Relaxed) && board.write(&tone_frame(seq)).is_ok() {
                seq += 1;
                std::thread::sleep(Duration::from_millis(32));
            }
            // Dropping the board closes the pseudo-terminal: an unplug.
        });
        Self {
            running,
            thread: Some(thread),
        }
    }

    fn unplug(mut self) {
        self.running.store(false, Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap();
    }
}

impl Drop for LiveBoard {
    fn drop(&mut self) {
        self.running.store(false, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A frame of the 1 kHz tone, stamped on the board's clock (so latency has a figure).
fn tone_frame(seq: u32) -> Vec<u8> {
    use sse_tui::frame::SenderTime;
    use sse_tui::wire::binary::{self, Dtype, Header};
    let samples: Vec<i16> = (0..256)
        .map(|i| (8000.0 * (std::f64::consts::TAU * 32.0 * i as f64 / 256.0).sin()) as i16)
        .collect();
    let sent = SenderTime::Device(i64::from(seq + 1) * 32_000);
    let mut frame = Vec::new();
    binary::encode_values(
        &Header::samples(Dtype::I16, seq, 8000, Some(sent)),
        &samples,
        i16::to_le_bytes,
        &mut frame,
    );
    let mut out = Vec::new();
    sse_tui::wire::cobs_stream::encode(&frame, &mut out);
    out
}

fn serve(link: &Path) -> (ChildGuard, String) {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--token",
            TOKEN,
            "--no-config",
        ])
        .arg("--serial")
        .arg(link)
        .arg("--wait")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = common::served_address(&mut BufReader::new(child.stderr.take().unwrap()));
    (ChildGuard(child), addr)
}

/// The terminal's peak for the same feed: the real binary, headless, on `/events`.
fn terminal_peak_hz(addr: &str) -> f64 {
    let out = Command::new(BIN)
        .args(["--url", &format!("http://{addr}/events"), "--no-config"])
        .args(["--header", &format!("Authorization: Bearer {TOKEN}")])
        .args(["--headless", "--frames", "40", "--duration", "60"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    summary["peak_hz"].as_f64().expect("a peak")
}

#[test]
#[ignore = "needs chromium (Debian), and node with npm for puppeteer-core"]
fn the_dashboard_shows_the_servers_analysis_and_follows_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ttyACM0");
    let board = LiveBoard::plug_in(&link, 0);
    let (_serve, addr) = serve(&link);
    let mut browser = Browser::start();
    let page = format!("http://{addr}/?token={TOKEN}");
    browser.ask(json!({"cmd": "open", "url": page, "width": 1280, "height": 800}));

    let first =
        browser.ask(json!({"cmd": "wait", "attr": "frames", "above": 5}))["dataset"].clone();
    assert_eq!(first["state"], "connected", "{first}");
    let frames: u64 = first["frames"].as_str().unwrap().parse().unwrap();
    let later =
        browser.ask(json!({"cmd": "wait", "attr": "frames", "above": frames + 10}))["dataset"]
            .clone();
    let page_peak: f64 = later["peakHz"].as_str().unwrap().parse().unwrap();
    assert!(
        later["p99Ms"].as_str().is_some_and(|p| !p.is_empty()),
        "{later}"
    );
    // The same number as the terminal's, within one bin (8000 Hz / 1024).
    let terminal_peak = terminal_peak_hz(&addr);
    assert!(
        (page_peak - terminal_peak).abs() <= 8000.0 / 1024.0,
        "page {page_peak} Hz, terminal {terminal_peak} Hz"
    );
    browser.ask(json!({"cmd": "screenshot", "path": artifacts().join("dashboard-1280x800.png")}));

    // The board unplugged: the page says so; plugged back: it follows.
    board.unplug();
    browser.wait_state("disconnected");
    let layout = browser.ask(json!({"cmd": "layout"}))["layout"].clone();
    assert!(
        layout["state_text"]
            .as_str()
            .unwrap()
            .starts_with("disconnected"),
        "{layout}"
    );
    let _board = LiveBoard::plug_in(&link, 1000);
    browser.wait_state("connected");

    // A phone: everything fits the width.
    browser.ask(json!({"cmd": "open", "url": page, "width": 390, "height": 844}));
    browser.ask(json!({"cmd": "wait", "attr": "frames", "above": 0}));
    let layout = browser.ask(json!({"cmd": "layout"}))["layout"].clone();
    assert!(
        layout["scroll_width"].as_u64() <= layout["inner_width"].as_u64(),
        "{layout}"
    );
    browser.ask(json!({"cmd": "screenshot", "path": artifacts().join("dashboard-phone.png")}));

    // A wrong token: refused, and the page says so.
    let wrong = format!("http://{addr}/?token=not-it");
    browser.ask(json!({"cmd": "open", "url": wrong, "width": 1280, "height": 800}));
    browser.wait_state("refused");

    let errors = browser.ask(json!({"cmd": "errors"}))["errors"].clone();
    // The refused stream is the one error a browser logs on its own (the 401).
    let unexpected: Vec<&Value> = errors
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e.as_str().unwrap().contains("401"))
        .collect();
    assert!(unexpected.is_empty(), "{errors}");
    browser.ask(json!({"cmd": "quit"}));
}

/// The page over HTTPS (`serve --tls-cert`, the test lab's certificate, which Chromium is told
/// to accept by its public key's hash, `lab_server.spki`): it draws the demo's 1 kHz tone, and
/// the browser's streams came over HTTP/2 (`/metrics` counts the connection by protocol).
#[test]
#[ignore = "needs chromium (Debian), and node with npm for puppeteer-core"]
fn the_page_over_https_speaks_http2_and_draws_the_servers_analysis() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--no-config", "--demo"])
        .arg("--tls-cert")
        .arg(fixtures.join("lab_server.pem"))
        .arg("--tls-key")
        .arg(fixtures.join("lab_server.key"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = common::served_address(&mut BufReader::new(child.stderr.take().unwrap()));
    let _serve = ChildGuard(child);
    let spki = std::fs::read_to_string(fixtures.join("lab_server.spki")).unwrap();
    let pin = format!("--ignore-certificate-errors-spki-list={}", spki.trim());
    let mut browser = Browser::with_flags(&[&pin]);
    let page = format!("https://{addr}/");
    browser.ask(json!({"cmd": "open", "url": page, "width": 1280, "height": 800}));
    let seen = browser.ask(json!({"cmd": "wait", "attr": "frames", "above": 5}))["dataset"].clone();
    assert_eq!(seen["state"], "connected", "{seen}");
    let peak: f64 = seen["peakHz"].as_str().unwrap().parse().unwrap();
    assert!((peak - 1000.0).abs() <= 48_000.0 / 1024.0, "{seen}");
    let errors = browser.ask(json!({"cmd": "errors"}))["errors"].clone();
    assert_eq!(errors, json!([]), "{errors}");
    browser.ask(json!({"cmd": "screenshot", "path": artifacts().join("dashboard-https.png")}));

    let _ = rustls::crypto::ring::default_provider().install_default();
    let ca = reqwest::Certificate::from_pem(&std::fs::read(fixtures.join("lab_ca.pem")).unwrap())
        .unwrap();
    let metrics = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let client = reqwest::Client::builder()
            .add_root_certificate(ca)
            .http1_only()
            .build()
            .unwrap();
        let response = client
            .get(format!("https://{addr}/metrics"))
            .send()
            .await
            .unwrap();
        response.text().await.unwrap()
    });
    let h2 = metrics
        .lines()
        .find_map(|l| {
            l.strip_prefix("sse_tui_http_connections_total{protocol=\"h2\"} ")?
                .trim()
                .parse::<u64>()
                .ok()
        })
        .unwrap_or_else(|| panic!("no h2 count in {metrics}"));
    assert!(h2 >= 1, "the browser did not speak HTTP/2: {metrics}");
    browser.ask(json!({"cmd": "quit"}));
}
