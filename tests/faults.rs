//! Nothing lost under faults: a run killed outright keeps its recording to within a flush,
//! and a recording cut anywhere (a crash, a full disk, a copy interrupted) replays every
//! whole frame it holds, with at most one bad one and no error.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use common::ChildGuard;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_sse-tui");

/// `--replay path --speed 0 --headless`: its exit status and last summary.
fn replay(path: &Path) -> (Option<i32>, Value, String) {
    let out = Command::new(BIN)
        .args(["--replay", path.to_str().unwrap(), "--speed", "0"])
        .args(["--headless", "--no-config"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let summary = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or(Value::Null);
    (
        out.status.code(),
        summary,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The demo recorded to `file` with reports every 0.1 s, killed (SIGKILL: no flush, no
/// goodbye) once a report has counted `at_least` frames and two more reports have come: the
/// count in that report, whose frames had at least 0.2 s to reach the disk.
fn record_then_kill(file: &Path, at_least: u64) -> u64 {
    let child = Command::new(BIN)
        .args(["--headless", "--no-config", "--report-every", "0.1"])
        .arg("--record")
        .arg(file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = ChildGuard(child);
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let frames = |line: String| -> u64 {
        let report: Value = serde_json::from_str(&line).unwrap();
        report["frames"].as_u64().unwrap()
    };
    let counted = loop {
        let seen = frames(lines.next().unwrap().unwrap());
        if seen >= at_least {
            break seen;
        }
    };
    for _ in 0..2 {
        lines.next().unwrap().unwrap();
    }
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    counted
}

/// A recording is evidence: killed outright, the run loses at most what came in the last
/// flush (a tenth of a second). Before, frames went to disk by 256 KiB or a second: `kill -9`
/// 4.5 s in lost 23 of the 210 frames already reported.
#[test]
fn a_killed_run_keeps_every_frame_it_had_reported_a_flush_ago() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["demo.bin", "demo.wav"] {
        let file = dir.path().join(name);
        let counted = record_then_kill(&file, 60);
        let (status, summary, stderr) = replay(&file);
        assert_eq!(status, Some(0), "{name}: {stderr}");
        let replayed = summary["frames"].as_u64().unwrap();
        assert!(
            replayed >= counted,
            "{name}: {replayed} frames on disk, {counted} reported 0.2 s before the kill"
        );
    }
}

/// Forty frames of the demo recorded to `path` (frames or WAV, by its extension): its bytes.
fn recorded_demo(path: &Path) -> Vec<u8> {
    let status = Command::new(BIN)
        .args(["--headless", "--no-config", "--frames", "40", "--record"])
        .arg(path)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read(path).unwrap()
}

/// Whole frames in the first `cut` bytes of a COBS recording: each ends with its 0x00.
fn whole_frames(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == 0).count() as u64
}

#[test]
fn a_recording_cut_anywhere_replays_every_whole_frame() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = recorded_demo(&dir.path().join("whole.bin"));
    assert_eq!(whole_frames(&bytes), 40);
    let mut rng = fastrand::Rng::with_seed(23);
    let cut = dir.path().join("cut.bin");
    for _ in 0..25 {
        let at = rng.usize(1..bytes.len());
        std::fs::write(&cut, &bytes[..at]).unwrap();
        let (status, summary, stderr) = replay(&cut);
        assert_eq!(status, Some(0), "cut at {at}: {stderr}");
        assert_eq!(
            summary["frames"].as_u64(),
            Some(whole_frames(&bytes[..at])),
            "cut at {at}"
        );
        assert!(
            summary["bad_frames"].as_u64().unwrap() <= 1,
            "cut at {at}: {summary}"
        );
    }
}

#[test]
fn a_wav_cut_anywhere_replays_every_whole_frame() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = recorded_demo(&dir.path().join("whole.wav"));
    // The samples start after the header: the "data" chunk's id and size.
    let data = bytes.windows(4).position(|w| w == b"data").unwrap() + 8;
    let demo = sse_tui::source::demo::CHANNELS;
    let frame_bytes = 1024 * demo * 2;
    assert_eq!((bytes.len() - data) / frame_bytes, 40);
    let mut rng = fastrand::Rng::with_seed(24);
    let cut = dir.path().join("cut.wav");
    for _ in 0..25 {
        let at = rng.usize(data..bytes.len());
        std::fs::write(&cut, &bytes[..at]).unwrap();
        let (status, summary, stderr) = replay(&cut);
        assert_eq!(status, Some(0), "cut at {at}: {stderr}");
        // Every whole frame, and a last short one when the cut left one or more instants.
        let full = ((at - data) / frame_bytes) as u64;
        let frames = summary["frames"].as_u64().unwrap();
        assert!(
            frames == full || frames == full + 1,
            "cut at {at}: {frames} frames, {full} whole"
        );
    }
}

/// The figures of a run through the fault proxy.
#[derive(Debug)]
struct Outcome {
    /// The client's last summary.
    summary: Value,
    /// The client's recording replayed: what it took as new, each frame once.
    recorded: Value,
    cuts: u64,
    connections: u64,
    peak_rss_mb: f64,
}

/// `serve --demo` (live, with its replay ring) → the fault proxy → `sse-tui --url …
/// --frames frames --record` headless: its last summary, its recording replayed, the proxy's
/// cuts and the client's peak memory.
fn through_the_proxy(frames: u32, faults: common::proxy::Faults) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let mut serve = Command::new(BIN)
        .args(["serve", "--no-config", "--listen", "127.0.0.1:0", "--demo"])
        .args(["--report-every", "1000"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = common::served_address(&mut BufReader::new(serve.stderr.take().unwrap()));
    let _serve = ChildGuard(serve);
    let proxy = common::proxy::FaultProxy::start(&addr, faults);
    let recording = dir.path().join("taken.bin");
    let client = Command::new(BIN)
        .args(["--no-config", "--headless", "--report-every", "1"])
        .arg("--url")
        .arg(format!("http://{}/events", proxy.addr))
        .args(["--frames", &frames.to_string(), "--record"])
        .arg(&recording)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut client = ChildGuard(client);
    let pid = client.0.id();
    // Read as it comes: a summary a second would otherwise fill the pipe and stall it.
    let stdout = client.0.stdout.take().unwrap();
    let last_line = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .last()
            .unwrap_or_default()
    });
    let mut peak_rss_mb = 0.0f64;
    // A bound for a hang to fail rather than stall CI, not a timing assertion: the run
    // takes frames at the demo's rate (about 46 a second) plus the outages.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    while client.0.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = client.0.kill();
            let last = last_line.join().unwrap();
            panic!("the client did not finish; its last summary: {last}");
        }
        if let Some(mb) = common::procfs::memory_mb(pid, "VmHWM") {
            peak_rss_mb = peak_rss_mb.max(mb);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let last = last_line.join().unwrap();
    let (status, recorded, stderr) = replay(&recording);
    assert_eq!(status, Some(0), "{stderr}");
    Outcome {
        summary: serde_json::from_str(&last).expect("a summary"),
        recorded,
        cuts: proxy.cuts(),
        connections: proxy.connections(),
        peak_rss_mb,
    }
}

/// The whole chain under a bad link: every connection trickled, delayed, stalled once and
/// cut at a random offset (up to 12 cuts): the client resumes each time from the last event
/// it had (Last-Event-ID), and the replay ring covers the outage, so not one frame is lost,
/// none is counted twice, and every cut is one reconnect.
#[test]
fn random_cuts_between_serve_and_a_watcher_lose_nothing_and_count_nothing_twice() {
    // FAULT_FRAMES, FAULT_CUTS and FAULT_CUT_AFTER make a longer run for BENCHMARKS.md.
    let frames = std::env::var("FAULT_FRAMES").map_or(1000, |n| n.parse().unwrap());
    let outcome = through_the_proxy(
        frames,
        common::proxy::Faults {
            toward: common::proxy::Toward::Client,
            cut_after: common::proxy::cut_after_from_env(20_000..600_000),
            max_cuts: std::env::var("FAULT_CUTS").map_or(12, |n| n.parse().unwrap()),
            trickle: 256,
            stall: std::time::Duration::from_millis(300),
            delay: std::time::Duration::from_millis(2),
            seed: 23,
        },
    );
    eprintln!(
        "{} cuts, {} connections, {} MB peak; client {}; its recording {}",
        outcome.cuts, outcome.connections, outcome.peak_rss_mb, outcome.summary, outcome.recorded
    );
    let s = &outcome.summary;
    assert_eq!(s["frames"], frames, "{s}");
    assert_eq!(s["dropped"], 0, "lost: {s}");
    assert!(outcome.cuts >= 3, "only {} cuts", outcome.cuts);
    assert_eq!(s["reconnects"], outcome.cuts, "{s}");
    // What the client took as new, replayed: every frame once, none missing between.
    let r = &outcome.recorded;
    assert_eq!(r["frames"], frames, "{r}");
    assert_eq!(r["dropped"], 0, "{r}");
    assert_eq!(r["duplicates"], 0, "{r}");
    assert!(outcome.peak_rss_mb < 200.0, "{} MB", outcome.peak_rss_mb);
}
