//! The real binary, headless: reports, exit statuses, record and replay.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_sse-tui");

/// Runs the binary to completion; a run that outlives `limit` is killed and fails the test.
fn run(args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sse-tui");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "sse-tui {args:?} did not finish: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

fn summary(out: &Output) -> Value {
    let lines = json_lines(out);
    let last = lines.last().expect("a summary line").clone();
    assert_eq!(last["type"], "summary");
    last
}

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn the_demo_reports_its_strongest_tone_latency_and_jitter() {
    let out = run(
        &["--headless", "--frames", "40", "--report-every", "0.25"],
        LIMIT,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    assert!(lines.len() >= 2, "reports before the summary");
    for line in &lines[..lines.len() - 1] {
        assert_eq!(line["type"], "report");
        for key in [
            "t",
            "state",
            "frames",
            "frames_per_s",
            "samples_per_s",
            "bytes_per_s",
            "fs",
            "fft",
        ] {
            assert!(line.get(key).is_some(), "{key} missing");
        }
    }
    let s = summary(&out);
    assert_eq!(s["frames"], 40);
    assert_eq!(s["fs"], 48000.0);
    assert_eq!(s["fft"], 1024);
    // The demo's strongest tone is 1 kHz at -6 dBFS; a bin is 46.9 Hz.
    let peak = s["peak_hz"].as_f64().unwrap();
    assert!((peak - 1000.0).abs() < 46.9 / 2.0, "peak {peak}");
    assert!((s["peak_dbfs"].as_f64().unwrap() + 6.0).abs() < 0.5);
    assert_eq!(s["latency_ms"]["kind"], "relative");
    assert!(s["latency_ms"]["p99"].as_f64().unwrap() >= s["latency_ms"]["p50"].as_f64().unwrap());
    assert!(s["jitter_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(s["dropped"], 0);
    assert_eq!(s["bad_frames"], 0);
}

#[test]
fn a_recording_replays_to_the_same_peak() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("demo.rec");
    let file = file.to_str().unwrap();
    let live = run(&["--headless", "--frames", "25", "--record", file], LIMIT);
    assert!(live.status.success());
    let replayed = run(&["--replay", file, "--speed", "0", "--headless"], LIMIT);
    assert!(
        replayed.status.success(),
        "{}",
        String::from_utf8_lossy(&replayed.stderr)
    );
    let (live, replayed) = (summary(&live), summary(&replayed));
    assert_eq!(replayed["state"], "ended");
    assert_eq!(replayed["frames"], 25);
    assert_eq!(replayed["bad_frames"], 0);
    assert_eq!(live["peak_hz"], replayed["peak_hz"]);
    assert_eq!(live["peak_dbfs"], replayed["peak_dbfs"]);
}

#[test]
fn a_damaged_capture_replays_its_good_frames_and_counts_the_rest() {
    let path = format!(
        "{}/tests/fixtures/stream_cobs.bin",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = run(&["--replay", &path, "--speed", "0", "--fft", "256"], LIMIT);
    assert!(out.status.success());
    let s = summary(&out);
    assert_eq!(s["frames"], 10);
    assert_eq!(s["dropped"], 2);
    assert!(s["bad_frames"].as_u64().unwrap() >= 3);
    assert!((s["peak_hz"].as_f64().unwrap() - 1000.0).abs() < 8000.0 / 256.0);
}

#[test]
fn a_text_capture_replays_with_the_rate_given() {
    let path = format!(
        "{}/tests/fixtures/lines_columns.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = run(
        &["--replay", &path, "--speed", "0", "--rate", "4000"],
        LIMIT,
    );
    let s = summary(&out);
    assert_eq!(s["bad_frames"], 1);
    assert_eq!(s["fs"], 4000.0);
    assert!((s["peak_hz"].as_f64().unwrap() - 500.0).abs() < 4000.0 / 1024.0);
}

#[test]
fn duration_stops_the_run() {
    let out = run(&["--headless", "--duration", "0.5"], LIMIT);
    assert!(out.status.success());
    let s = summary(&out);
    assert!(s["t"].as_f64().unwrap() >= 0.5);
    assert!(s["frames"].as_u64().unwrap() > 0);
}

#[test]
fn a_wrong_command_line_is_one_sentence_and_status_2() {
    for args in [
        &["--fft", "1000"][..],
        &["--bogus"],
        &["--list-ports", "--demo"],
        &[
            "--url",
            "http://a/events",
            "--serial",
            "/dev/null",
            "--record",
            "x.bin",
        ],
        &["--window", "triangle"],
        &["--db-min", "0", "--db-max", "-10"],
        &["--speed", "-1"],
        &["--report-every", "0"],
        &["--report-every", "1e-300"],
        &["serve", "--heartbeat", "0"],
        &["serve", "--replay-buffer", "1000000000000"],
        &["--db-min", "-1e300"],
        // These aborted (exit 134) before every option had a range.
        &["--duration", "1e20"],
        &["--report-every", "1e30"],
        &["--read-timeout", "1e20"],
        &["--speed", "1e-300"],
        &["--rate", "1e-300"],
        &["serve", "--max-clients", "0"],
        &["--last-event-id", "a\nb"],
        &["coherent", "--near", "1000"],
        &["coherent", "--fs", "48000", "--near", "x"],
        &["--band", "5000:100"],
        &["--notch", "50:0"],
    ] {
        let out = run(args, LIMIT);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("sse-tui: "), "{stderr}");
        assert!(out.stdout.is_empty());
    }
}

/// `coherent` for a script: the JSON of SPEC §15, checked against cases worked by hand.
#[test]
fn coherent_prints_the_nearest_coherent_frequency_as_json() {
    for (args, hz, m, n) in [
        // 21.33 cycles: 21 is odd, prime to 1024, and nearest.
        (
            ["--fs", "48000", "--fft", "1024", "--near", "1000"],
            984.375,
            21,
            1024,
        ),
        // 341.33 cycles: 341 = 11·31 is odd and prime to 4096.
        (
            ["--fs", "48000", "--fft", "4096", "--near", "4000"],
            3996.09375,
            341,
            4096,
        ),
        // Past Nyquist: the highest M under N/2.
        (
            ["--fs", "1000", "--fft", "64", "--near", "900"],
            484.375,
            31,
            64,
        ),
    ] {
        let out = run(&[&["coherent"][..], &args].concat(), LIMIT);
        assert!(out.status.success(), "{args:?}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v, serde_json::json!({"hz": hz, "m": m, "n": n}), "{args:?}");
    }
}

#[test]
fn an_unreadable_replay_file_is_status_1_with_a_sentence() {
    let out = run(
        &["--replay", "/nonexistent/capture.bin", "--headless"],
        LIMIT,
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(
        stderr.trim_end(),
        "sse-tui: cannot open /nonexistent/capture.bin: no such file"
    );
    assert_eq!(summary(&out)["state"], "ended");
}

#[test]
fn the_sample_recordings_replay_to_their_tones() {
    let dir = env!("CARGO_MANIFEST_DIR");
    let frames = run(
        &[
            "--replay",
            &format!("{dir}/assets/recordings/tone_1k_frames.bin"),
            "--speed",
            "0",
            "--fft",
            "256",
        ],
        LIMIT,
    );
    let s = summary(&frames);
    assert_eq!(
        (s["frames"].as_u64(), s["bad_frames"].as_u64()),
        (Some(24), Some(0))
    );
    assert!((s["peak_hz"].as_f64().unwrap() - 1000.0).abs() < 8000.0 / 256.0);
    let lines = run(
        &[
            "--replay",
            &format!("{dir}/assets/recordings/tone_750_lines.txt"),
            "--speed",
            "0",
            "--rate",
            "8000",
        ],
        LIMIT,
    );
    let s = summary(&lines);
    assert_eq!(s["bad_frames"], 0);
    assert!((s["peak_hz"].as_f64().unwrap() - 750.0).abs() < 8000.0 / 1024.0);
}
