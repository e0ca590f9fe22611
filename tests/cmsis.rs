//! Spectra exactly as CMSIS-DSP makes them on an STM32 (PyPI `cmsisdsp`: ARM's own C code
//! behind a Python API), read by the real binary at their true level: tones of known dBFS
//! through rect, Hann and Blackman-Harris windows, several FFT sizes, float and raw 12-bit
//! units, kind 1 (magnitudes) and kind 2 (dB); and the same tones as raw samples through
//! sse-tui's own FFT. The frames are written by the peer script with its own encoder.

mod common;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_sse-tui");
/// SPEC's promise for a tone on a bin: its level within a tenth of a dB.
const TOLERANCE_DB: f64 = 0.1;

fn make_cases(dir: &Path) -> Vec<Value> {
    let peers = common::peers::ensure();
    let out = Command::new(peers.join("venv/bin/python"))
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peers/cmsisdsp_frames.py"))
        .arg(dir)
        .output()
        .expect("run the CMSIS-DSP peer script");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cases = std::fs::read_to_string(dir.join("cases.json")).unwrap();
    serde_json::from_str(&cases).unwrap()
}

/// The summary of a replay of `case`'s file, analysed as the case says.
fn summary_of(case: &Value) -> Value {
    let mut command = Command::new(BIN);
    command
        .args(["--replay", case["file"].as_str().unwrap()])
        .args(["--speed", "0", "--headless", "--no-config"]);
    if case["kind"] == 0 {
        // Raw samples: our FFT, the same size and window as the board's.
        command.args(["--fft", &case["n"].to_string()]);
        command.args(["--window", case["window"].as_str().unwrap()]);
    }
    if let Some(window) = case["board_window"].as_str() {
        command.args(["--board-window", window]);
    }
    let out = command.output().unwrap();
    assert!(out.status.success(), "{case}: {out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let last = stdout.lines().last().expect("a summary line");
    serde_json::from_str(last).unwrap()
}

#[test]
fn cmsis_dsp_spectra_read_at_their_true_level() {
    let dir = tempfile::tempdir().unwrap();
    let cases = make_cases(dir.path());
    assert!(cases.len() > 100, "{} cases", cases.len());
    let mut wrong = Vec::new();
    for case in &cases {
        let summary = summary_of(case);
        assert_eq!(summary["type"], "summary");
        assert_eq!(summary["bad_frames"], 0, "{case}");
        let dbfs = summary["peak_dbfs"].as_f64().unwrap();
        let hz = summary["peak_hz"].as_f64().unwrap();
        let want_dbfs = case["dbfs"].as_f64().unwrap();
        let want_hz = case["hz"].as_f64().unwrap();
        let bin_hz = 48_000.0 / case["n"].as_f64().unwrap();
        if (dbfs - want_dbfs).abs() > TOLERANCE_DB || (hz - want_hz).abs() > bin_hz / 100.0 {
            wrong.push(format!(
                "{}: {dbfs} dBFS at {hz} Hz, want {want_dbfs} at {want_hz}",
                case["file"]
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
