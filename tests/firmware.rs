//! The bare-metal firmware in assets/c/stm32f4 built for Cortex-M4 and run in QEMU's
//! netduinoplus2 (an STM32F405), its USART1 on a pseudo-terminal that the real binary opens
//! like a board's serial port. QEMU's ADC1 answers each conversion with the previous code + 7
//! (12 bits), a sawtooth whose fundamental sits exactly on bin 7 of a 4096-point FFT: the
//! raw-sample variant (our FFT) and the CMSIS-DSP variant (the MCU's) must both read it
//! there, at the level a direct DFT of that sawtooth gives, and agree with each other.
//!
//! Needs qemu-system-arm, gcc-arm-none-eabi and libnewlib-arm-none-eabi (Debian), make and
//! curl (CMSIS-DSP's sources come from its PyPI source distribution); `.ci/run` installs
//! them. See DEVELOPERS.md.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::ChildGuard;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_sse-tui");
const FFT: usize = 4096;
const SAMPLE_RATE: f64 = 16_000.0;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(command: &mut Command) {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        out.status.success(),
        "{command:?}\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Both variants, built for QEMU; CMSIS-DSP fetched once into target/.
fn build_firmware(out: &Path) {
    let cmsis = root().join("target/cmsis-dsp");
    let firmware = root().join("assets/c/stm32f4");
    // The tests run in parallel: one fetches while the others wait, never reading (or
    // removing) a tree half unpacked. The lock goes with the file, at the end of the fetch.
    std::fs::create_dir_all(root().join("target")).unwrap();
    let lock = std::fs::File::create(root().join("target/cmsis-dsp.lock")).unwrap();
    lock.lock().unwrap();
    run(Command::new("sh")
        .arg(firmware.join("fetch-cmsis-dsp.sh"))
        .arg(&cmsis));
    drop(lock);
    run(Command::new("make")
        .arg("-s")
        .arg("-f")
        .arg(firmware.join("Makefile"))
        .arg(format!("OUT={}", out.display()))
        .arg(format!("CMSIS_DSP={}", cmsis.display()))
        .arg("qemu"));
}

/// QEMU running `elf`, and the pseudo-terminal its USART1 is on (QEMU says which).
fn start_qemu(elf: &Path) -> (ChildGuard, String) {
    let mut child = Command::new("qemu-system-arm")
        .args(["-M", "netduinoplus2", "-nodefaults", "-display", "none"])
        .args(["-monitor", "none", "-serial", "pty", "-kernel"])
        .arg(elf)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run qemu-system-arm");
    // "char device redirected to /dev/pts/N (label serial0)", on stdout, before it runs.
    let stdout = child.stdout.take().unwrap();
    let guard = ChildGuard(child);
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(at) = line.find("/dev/pts/") {
            let pty: String = line[at..]
                .chars()
                .take_while(|c| !c.is_whitespace())
                .collect();
            return (guard, pty);
        }
    }
    panic!("qemu-system-arm ended without saying where its serial port is");
}

/// The summary of the real binary reading `frames` frames from the firmware in `elf`.
fn watch(elf: &Path, frames: usize) -> Value {
    let (_qemu, pty) = start_qemu(elf);
    let out = Command::new(BIN)
        .args(["--serial", &pty, "--headless", "--no-config"])
        .args(["--fft", &FFT.to_string(), "--frames", &frames.to_string()])
        // A bound, not a pace: the frames come long before it.
        .args(["--duration", "300"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["type"], "summary");
    summary
}

/// The sawtooth's fundamental in dBFS through a Hann window, by a direct DFT at bin 7 of
/// the codes QEMU's ADC model produces (7, 14, …, mod 4096, about mid-scale 2048).
fn sawtooth_fundamental_dbfs() -> f64 {
    let (mut re, mut im) = (0.0, 0.0);
    for i in 0..FFT {
        let code = (7 * (i + 1) % 4096) as f64 - 2048.0;
        let phase = std::f64::consts::TAU * i as f64 / FFT as f64;
        let hann = 0.5 - 0.5 * phase.cos();
        re += code * hann * (7.0 * phase).cos();
        im -= code * hann * (7.0 * phase).sin();
    }
    let full_scale = FFT as f64 / 2.0 * 0.5 * 2048.0;
    20.0 * ((re * re + im * im).sqrt() / full_scale).log10()
}

fn check_stream(summary: &Value, frames: usize, truth_dbfs: f64) -> f64 {
    assert_eq!(summary["frames"], frames, "{summary}");
    // Contiguous and whole: no gap in seq, no bad CRC, no repeat.
    assert_eq!(summary["dropped"], 0, "{summary}");
    assert_eq!(summary["bad_frames"], 0, "{summary}");
    assert_eq!(summary["duplicates"], 0, "{summary}");
    assert_eq!(summary["fs"], SAMPLE_RATE, "{summary}");
    let bin = summary["peak_bin"].as_f64().unwrap();
    assert!(
        (bin - 7.0).abs() < 0.02,
        "the fundamental at bin {bin}, not 7"
    );
    let dbfs = summary["peak_dbfs"].as_f64().unwrap();
    assert!(
        (dbfs - truth_dbfs).abs() < 0.1,
        "{dbfs} dBFS, the sawtooth's fundamental is {truth_dbfs:.2}"
    );
    dbfs
}

#[test]
#[ignore = "needs qemu-system-arm, gcc-arm-none-eabi, libnewlib-arm-none-eabi, make and curl"]
fn firmware_in_qemu_streams_the_adc_and_its_cmsis_spectrum() {
    let dir = tempfile::tempdir().unwrap();
    build_firmware(dir.path());
    let truth = sawtooth_fundamental_dbfs();

    // 512 samples a frame: 96 frames hold a dozen FFTs' worth.
    let raw = watch(&dir.path().join("adc-samples.elf"), 96);
    let ours = check_stream(&raw, 96, truth);
    // One 4096-point CMSIS-DSP spectrum a frame.
    let mcu = watch(&dir.path().join("adc-spectrum.elf"), 10);
    let theirs = check_stream(&mcu, 10, truth);
    assert!(
        (ours - theirs).abs() < 0.5,
        "our FFT {ours} dBFS, the MCU's {theirs}"
    );
    // A sawtooth's k-th harmonic stands 20·log10(k) below the fundamental, in both.
    for summary in [&raw, &mcu] {
        let second = summary["adc"]["harmonics"][0]["dbc"].as_f64().unwrap();
        assert!((second + 6.02).abs() < 0.1, "2nd harmonic {second} dBc");
    }
}

/// The firmware's expectations, stated as a limits file (assets/c/stm32f4/limits.toml) and
/// held by `sse-tui check` on the emulated board, as a firmware project's CI would: both
/// variants pass, with a JUnit file for the CI to show.
#[test]
#[ignore = "needs qemu-system-arm, gcc-arm-none-eabi, libnewlib-arm-none-eabi, make and curl"]
fn the_firmware_passes_its_own_limits_under_sse_tui_check() {
    let dir = tempfile::tempdir().unwrap();
    build_firmware(dir.path());
    let limits = root().join("assets/c/stm32f4/limits.toml");
    for variant in ["adc-samples", "adc-spectrum"] {
        let (_qemu, pty) = start_qemu(&dir.path().join(format!("{variant}.elf")));
        let junit = dir.path().join(format!("{variant}.xml"));
        let out = Command::new(BIN)
            .arg("check")
            .arg(&limits)
            .args(["--serial", &pty, "--no-config", "--fft", &FFT.to_string()])
            .arg("--junit")
            .arg(&junit)
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let result: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|_| {
            panic!(
                "{variant}: {stdout} {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert_eq!(out.status.code(), Some(0), "{variant}: {result}");
        assert_eq!(result["outcome"], "pass", "{variant}: {result}");
        assert_eq!(result["limits"].as_array().unwrap().len(), 6);
        assert!(
            result["limits"]
                .as_array()
                .unwrap()
                .iter()
                .all(|l| l["outcome"] == "pass")
        );
        let xml = std::fs::read_to_string(&junit).unwrap();
        assert!(
            xml.contains("tests=\"6\"") && xml.contains("failures=\"0\""),
            "{xml}"
        );
    }
}
