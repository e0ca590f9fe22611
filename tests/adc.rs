//! The headless `adc` object of the real binary against closed-form truth: a recording of
//! text lines made here (no project encoder), each a block of 12-bit codes of a sine with
//! known noise and harmonics, replayed with the sample rate and full scale given.

use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_sse-tui");
const N: usize = 4096;
const FRAMES: usize = 40;
const LSB: f64 = 1.0 / 2048.0;

/// (dBFS, noise in LSB rms, harmonics as (order, dBc)), at a frequency between bins.
const AMPLITUDE_DBFS: f64 = -1.0;
const NOISE_LSB: f64 = 1.5;
const HARMONICS: [(usize, f64); 2] = [(2, -64.0), (3, -70.0)];
const BIN_POSITION: f64 = 377.29;

fn recording(path: &std::path::Path) {
    let mut rng = fastrand::Rng::with_seed(3);
    let a = 10f64.powf(AMPLITUDE_DBFS / 20.0);
    let w = std::f64::consts::TAU * BIN_POSITION / N as f64;
    let mut text = String::new();
    for frame in 0..FRAMES {
        let codes: Vec<String> = (0..N)
            .map(|i| {
                let t = (frame * N + i) as f64;
                let mut x = a * (w * t).sin();
                for (order, dbc) in HARMONICS {
                    x += a * 10f64.powf(dbc / 20.0) * (order as f64 * w * t).sin();
                }
                let (u1, u2) = (rng.f64().max(1e-300), rng.f64());
                x += NOISE_LSB * LSB * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                ((x / LSB).round().clamp(-2048.0, 2047.0) as i32).to_string()
            })
            .collect();
        text.push_str(&codes.join(" "));
        text.push('\n');
    }
    std::fs::write(path, text).unwrap();
}

fn db(x: f64) -> f64 {
    10.0 * x.log10()
}

#[test]
fn the_headless_adc_object_matches_the_closed_form() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tone.txt");
    recording(&path);
    let out = Command::new(BIN)
        .args([
            "--replay",
            path.to_str().unwrap(),
            "--speed",
            "0",
            "--headless",
        ])
        .args([
            "--format",
            "lines",
            "--lines",
            "block",
            "--rate",
            "48000",
            "--full-scale",
            "2048",
        ])
        .args(["--fft", "4096", "--window", "blackman-harris"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let adc = &summary["adc"];

    let signal = 10f64.powf(AMPLITUDE_DBFS / 10.0) / 2.0;
    let noise = (NOISE_LSB * LSB).powi(2) + LSB * LSB / 12.0;
    let distortion: f64 = HARMONICS
        .iter()
        .map(|&(_, dbc)| signal * 10f64.powf(dbc / 10.0))
        .sum();
    let sinad = db(signal / (noise + distortion));
    let truth = [
        ("fundamental_dbfs", AMPLITUDE_DBFS, 0.05),
        ("snr_db", db(signal / noise), 0.3),
        ("thd_db", db(distortion / signal), 0.3),
        ("sinad_db", sinad, 0.3),
        ("enob_bits", (sinad - 1.76) / 6.02, 0.05),
        ("enob_fs_bits", (sinad - AMPLITUDE_DBFS - 1.76) / 6.02, 0.05),
        ("sfdr_dbc", 64.0, 0.5),
        ("noise_floor_dbfs", db(noise / (N / 2) as f64 / 0.5), 0.3),
    ];
    for (key, want, tolerance) in truth {
        let got = adc[key]
            .as_f64()
            .unwrap_or_else(|| panic!("no {key} in {adc}"));
        assert!(
            (got - want).abs() <= tolerance,
            "{key}: {got}, truth {want:.3}\n{adc}"
        );
    }
    let hz = adc["fundamental_hz"].as_f64().unwrap();
    assert!(
        (hz - BIN_POSITION * 48_000.0 / N as f64).abs() < 0.5,
        "{adc}"
    );
    assert_eq!(adc["harmonics"][0]["n"], 2);
    let h2 = adc["harmonics"][0]["dbc"].as_f64().unwrap();
    assert!((h2 + 64.0).abs() < 0.5, "{adc}");
}

#[test]
fn silence_has_no_adc_object() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("silence.txt");
    std::fs::write(&path, format!("{}\n", vec!["0"; 1024].join(" ")).repeat(5)).unwrap();
    let out = Command::new(BIN)
        .args([
            "--replay",
            path.to_str().unwrap(),
            "--speed",
            "0",
            "--headless",
        ])
        .args(["--format", "lines", "--lines", "block", "--rate", "48000"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["frames"], 5);
    assert_eq!(summary["adc"], Value::Null, "{summary}");
}
