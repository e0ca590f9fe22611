//! Exports and references (SPEC §14) with the real binary and a board on a pseudo-terminal
//! playing a tone from the tests' own generator: the spectrum's CSV, a golden board's CSV held
//! against the live spectrum, and a reference of another bin spacing refused.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::generator::{Playing, Signal, tone};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_sse-tui");

/// The binary on a board playing `signal`, run in `dir` with `args`: status, stdout, stderr.
fn run_on(dir: &Path, signal: Signal, args: &[&str]) -> (Option<i32>, String, String) {
    let board_dir = tempfile::tempdir().unwrap();
    let board = Playing::start(board_dir.path(), signal, false);
    let out = Command::new(BIN)
        .args(args)
        .arg("--serial")
        .arg(&board.link)
        .arg("--no-config")
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    drop(board);
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// `hz,dbfs` rows of a CSV.
fn rows(path: &Path) -> Vec<(f64, f64)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("hz,dbfs"));
    lines
        .map(|l| {
            let (hz, db) = l.split_once(',').unwrap();
            (hz.parse().unwrap(), db.parse().unwrap())
        })
        .collect()
}

const GOLDEN_LIMITS: &str = "settle = 0.5\nmeasure = 1.0\n\
                             [limit.golden]\nvalue = \"reference_max_delta_db\"\nmax = 1.0\n";

/// The golden board is measured as a check measures (its spectrum the interval's mean),
/// and the boards after it are held to it.
#[test]
fn the_spectrum_csv_and_a_golden_board_held_against_the_live_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("capture.toml"),
        "settle = 0.5\nmeasure = 1.0\n[limit.frames]\nvalue = \"frames\"\nmin = 1\n",
    )
    .unwrap();
    let (status, _, stderr) = run_on(
        dir.path(),
        tone(),
        &["check", "capture.toml", "--spectrum-csv", "golden.csv"],
    );
    assert_eq!(status, Some(0), "{stderr}");
    let golden = rows(&dir.path().join("golden.csv"));
    assert_eq!(golden.len(), 512);
    assert_eq!(golden[1].0, 48_000.0 / 1024.0);
    // The strongest row is the tone's: 1 kHz at -6 dBFS (a Hann bin between two reads up to
    // 1.4 dB low).
    let (hz, db) = golden
        .iter()
        .copied()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    assert!((hz - 1000.0).abs() < 48_000.0 / 1024.0, "{hz} Hz");
    assert!((-7.5..=-5.9).contains(&db), "{db} dBFS");

    std::fs::write(dir.path().join("golden.toml"), GOLDEN_LIMITS).unwrap();
    let check = |signal: Signal, extra: &[&str]| {
        let mut args = vec!["check", "golden.toml", "--reference", "golden.csv"];
        args.extend_from_slice(extra);
        let (status, stdout, stderr) = run_on(dir.path(), signal, &args);
        let result: Value = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
        (status, result, stderr)
    };
    // The same board, another noise: within a dB of the golden one.
    let same = Signal { seed: 99, ..tone() };
    let (status, result, stderr) = check(same, &[]);
    assert_eq!(status, Some(0), "{result} {stderr}");
    let delta = result["summary"]["reference_max_delta_db"]
        .as_f64()
        .unwrap();
    assert!(delta < 1.0, "{delta} dB");
    // A board whose tone is 3 dB down fails, at the tone.
    let mut weaker = tone();
    weaker.tones[0].1 = 0.5 / 2f64.sqrt();
    let (status, result, _) = check(weaker, &[]);
    assert_eq!(status, Some(1), "{result}");
    let delta = result["summary"]["reference_max_delta_db"]
        .as_f64()
        .unwrap();
    assert!((delta - 3.01).abs() < 0.3, "{delta} dB");
    // Every bin of the tone's lobe and skirt that stands above the noise is 3 dB down: the
    // worst is among them.
    let worst = result["summary"]["reference_worst_hz"].as_f64().unwrap();
    assert!(
        (worst - 1000.0).abs() <= 12.0 * 48_000.0 / 1024.0,
        "{worst} Hz"
    );
    // Another FFT size, another bin spacing: refused in one sentence, no verdict.
    let (status, result, stderr) = check(tone(), &["--fft", "2048"]);
    assert_eq!(status, Some(2), "{result} {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(
            "--reference: the reference's bins are 46.8750 Hz apart and the live ones 23.4375 Hz"
        ),
        "{stderr}"
    );
    assert_eq!(result, Value::Null, "no verdict on nonsense");
}

#[test]
fn a_reference_that_is_not_a_spectrum_csv_is_one_sentence_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.csv"), "hz,dbfs\n0,-90\n100,loud\n").unwrap();
    let out = Command::new(BIN)
        .args([
            "--demo",
            "--headless",
            "--frames",
            "5",
            "--no-config",
            "--reference",
            "bad.csv",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr.trim(),
        "sse-tui: bad.csv, line 3: \"loud\" is not a number"
    );
}

/// A WAV recording read back by Python's own `wave` module holds the generator's 12-bit
/// codes exactly (left-justified to 16 bits), and replaying it reads the same peak as the
/// run that recorded it.
#[test]
fn a_wav_recording_holds_the_boards_codes_and_replays_to_the_same_peak() {
    let dir = tempfile::tempdir().unwrap();
    let (status, stdout, stderr) = run_on(
        dir.path(),
        tone(),
        &["--headless", "--frames", "30", "--record", "x.wav"],
    );
    assert_eq!(status, Some(0), "{stderr}");
    let live: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let script = r#"
import json, sys, wave
with wave.open(sys.argv[1]) as w:
    raw = w.readframes(w.getnframes())
    print(json.dumps({"channels": w.getnchannels(), "rate": w.getframerate(),
                      "width": w.getsampwidth(), "frames": w.getnframes(),
                      "samples": [int.from_bytes(raw[i:i + 2], "little", signed=True)
                                  for i in range(0, len(raw), 2)]}))
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(dir.path().join("x.wav"))
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            read["channels"].as_u64(),
            read["rate"].as_u64(),
            read["width"].as_u64()
        ),
        (Some(1), Some(48_000), Some(2))
    );
    assert_eq!(read["frames"], 30 * 1024);
    let samples: Vec<i64> = read["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_i64().unwrap())
        .collect();
    // The program may have joined the board after its first frames: find where, then every
    // sample after is the board's code, less mid-scale, times 16.
    let signal = tone();
    let code = |seq: u32| -> Vec<i64> {
        signal
            .codes(seq)
            .iter()
            .map(|&c| (i64::from(c) - 2048) * 16)
            .collect()
    };
    let first = (0..200u32)
        .find(|&seq| code(seq)[..] == samples[..1024])
        .expect("the recording starts with one of the board's frames");
    for (k, chunk) in samples.chunks(1024).enumerate() {
        assert_eq!(chunk, &code(first + k as u32)[..], "frame {k}");
    }
    let out = Command::new(BIN)
        .args([
            "--replay",
            "x.wav",
            "--speed",
            "0",
            "--headless",
            "--no-config",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let replayed: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(replayed["frames"], 30);
    assert_eq!(replayed["fs"], 48_000.0);
    assert_eq!(replayed["peak_hz"], live["peak_hz"], "{replayed}");
    assert_eq!(replayed["peak_dbfs"], live["peak_dbfs"]);
}

/// A source that sends spectra cannot be recorded as WAV: one sentence, exit 2.
#[test]
fn spectra_cannot_be_a_wav() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("spectra.txt"),
        "1,2,3,4,5,6,7,8\n1,2,3,4,5,6,7,8\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args([
            "--replay",
            "spectra.txt",
            "--format",
            "lines",
            "--kind",
            "spectrum",
            "--rate",
            "8000",
        ])
        .args([
            "--speed",
            "0",
            "--headless",
            "--no-config",
            "--record",
            "x.wav",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("--record: the source sends spectra"),
        "{stderr}"
    );
}
