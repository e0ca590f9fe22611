//! The per-frame path against the bare real FFT of the same size, in the same process.
//!
//! Method: each measurement runs for a fixed number of frames; the path and the baseline
//! alternate for several rounds and the best round of each is kept (the machine is shared:
//! the best round is the one least disturbed). Throughput is samples per second on one core.
//! Run: `cargo bench --bench frame_path` (add `-- quick` for a short run; name sections to run
//! only those: `path`, `linearity`, `datasheet`, `adc`, `replay`).

use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

use realfft::RealFftPlanner;
use sse_tui::analysis::adc::AdcMeter;
use sse_tui::analysis::{Analyzer, AnalyzerSettings, WindowKind};
use sse_tui::clock::Clock;
use sse_tui::frame::{Levels, SenderTime};
use sse_tui::pipeline::{Pipeline, PipelineConfig};
use sse_tui::source::demo::DemoBoard;
use sse_tui::wire::binary::{self, Dtype, Header};

/// A frame of a sine's samples as i16 codes of a 12-bit converter (the STM32's), a sine
/// slightly beyond both ends of its full scale, as the code-density test wants one.
fn i16_frame(n: usize, seq: u32) -> Vec<u8> {
    let samples: Vec<i16> = (0..n)
        .map(|i| {
            let x = 2100.0 * (std::f64::consts::TAU * 100.3 * i as f64 / n as f64).sin();
            x.clamp(-2048.0, 2047.0) as i16
        })
        .collect();
    let sent = SenderTime::Device(i64::from(seq) * 21_333);
    let header = Header {
        bits: 12,
        ..Header::samples(Dtype::I16, seq, 48_000, Some(sent))
    };
    let mut out = Vec::new();
    binary::encode_values(&header, &samples, i16::to_le_bytes, &mut out);
    out
}

/// Seconds for `frames` bare forward FFTs of size n (input prepared once, outside the loop).
fn bare_fft(n: usize, frames: usize) -> f64 {
    let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n);
    let mut input = fft.make_input_vec();
    let mut output = fft.make_output_vec();
    let mut scratch = fft.make_scratch_vec();
    let template: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
    let start = Instant::now();
    for _ in 0..frames {
        // realfft uses its input as scratch, so refill it as any caller must.
        input.copy_from_slice(&template);
        fft.process_with_scratch(&mut input, &mut output, &mut scratch)
            .unwrap();
        black_box(&output);
    }
    start.elapsed().as_secs_f64()
}

/// Seconds for `frames` trips down the whole path: decode (CRC, i16 → f32), statistics,
/// window, FFT, scaling, averaging, peak hold, and the interpolated peak; with `linearity`,
/// the code-density test too. `warmup` frames go first, untimed.
fn whole_path(n: usize, frames: usize, linearity: bool) -> f64 {
    timed_path(n, 0, frames, linearity)
}

fn timed_path(n: usize, warmup: usize, frames: usize, linearity: bool) -> f64 {
    let wire: Vec<Vec<u8>> = (0..64).map(|s| i16_frame(frame_len(n), s)).collect();
    let clock = Clock::new();
    let config = PipelineConfig {
        settings: AnalyzerSettings {
            fft_size: n,
            window: WindowKind::Hann,
            ..AnalyzerSettings::default()
        },
        linearity,
        ..PipelineConfig::default()
    };
    let mut pipeline = Pipeline::new(config, clock);
    let mut arrival = clock.now();
    let mut start = Instant::now();
    for i in 0..warmup + frames {
        if i == warmup {
            start = Instant::now();
        }
        let mut frame = binary::decode(&wire[i % wire.len()], Levels::default()).unwrap();
        // The wire frames are reused: give each a fresh seq so none is taken for a replay.
        frame.seq = Some(i as u32);
        arrival.mono_us += 21_333;
        pipeline.ingest(frame, arrival);
        black_box(pipeline.peak());
    }
    start.elapsed().as_secs_f64()
}

/// Frames a 12-bit code-density test follows the tone's phases for, at most, with frames of
/// `n`: eight times its 2^17 phase cells in samples, and a count more.
fn following_frames(n: usize) -> usize {
    (8 << 17) / n + 32
}

/// A frame holds at most 65535 values: a 65536-point FFT takes two frames of 32768, and
/// runs once per frame over the last 65536 samples (half overlap).
fn frame_len(n: usize) -> usize {
    n.min(32_768)
}

/// Seconds for `updates` ADC measurements (SPEC §7) of one averaged n-point spectrum: a
/// −1 dBFS tone between bins with two harmonics over 12-bit noise, analysed by the real
/// analyser first (outside the clock).
fn adc_measurement(n: usize, updates: usize, window: WindowKind) -> f64 {
    let mut analyzer = Analyzer::new(AnalyzerSettings {
        fft_size: n,
        window,
        ..AnalyzerSettings::default()
    });
    let mut rng = fastrand::Rng::with_seed(1);
    let w = std::f64::consts::TAU * (n as f64 * 0.0913 + 0.37) / n as f64;
    let samples: Vec<f32> = (0..n.min(32_768) * 2)
        .map(|i| {
            let t = i as f64;
            let x = 0.89 * (w * t).sin() + 3e-4 * (2.0 * w * t).sin() + 1e-4 * (3.0 * w * t).sin();
            ((x + 5e-4 * (rng.f64() - 0.5)) * 2048.0).round() as f32 / 2048.0
        })
        .collect();
    for block in samples.chunks(n.min(32_768)) {
        analyzer.push_samples(block, 1, Some(48_000.0), None);
    }
    let spectrum = analyzer.spectrum().to_vec();
    let mut meter = AdcMeter::default();
    assert!(meter.measure(&spectrum, window, 5).is_some());
    let start = Instant::now();
    for _ in 0..updates {
        black_box(meter.measure(black_box(&spectrum), window, 5));
    }
    start.elapsed().as_secs_f64()
}

/// Seconds for `updates` of the per-snapshot datasheet figures (SPEC §15) at 1024 points:
/// the single-tone measurement with its spur table, the sine fit of a block, and the
/// code-density test's analysis of 4096 codes; then two tones' intermodulation.
fn datasheet_figures(updates: usize) -> (f64, f64) {
    use sse_tui::analysis::adc::MeasureOptions;
    use sse_tui::analysis::linearity::LinearityTest;
    use sse_tui::analysis::sinefit;
    let n = 1024;
    let mut rng = fastrand::Rng::with_seed(2);
    let spectrum_of = |tones: &[(f64, f64)], rng: &mut fastrand::Rng| {
        let mut analyzer = Analyzer::new(AnalyzerSettings {
            fft_size: n,
            window: WindowKind::Hann,
            ..AnalyzerSettings::default()
        });
        let block: Vec<f32> = (0..n)
            .map(|i| {
                let x: f64 = tones
                    .iter()
                    .map(|&(bin, a)| a * (std::f64::consts::TAU * bin * i as f64 / n as f64).sin())
                    .sum();
                ((x + 5e-4 * (rng.f64() - 0.5)) * 2048.0).round() as f32 / 2048.0
            })
            .collect();
        analyzer.push_samples(&block, 1, Some(48_000.0), None);
        (analyzer.spectrum().to_vec(), block)
    };
    let (single, block) = spectrum_of(&[(93.37, 0.89), (186.74, 3e-4), (301.2, 1e-4)], &mut rng);
    let (two, _) = spectrum_of(&[(211.0, 0.45), (223.0, 0.45)], &mut rng);
    let mut test = LinearityTest::new(12);
    test.tune(93.37 / n as f64);
    test.add(&block, 1, 0, 12);
    let mut meter = AdcMeter::default();
    let options = MeasureOptions::default();
    assert!(
        meter
            .measure_all(&single, WindowKind::Hann, &options)
            .adc
            .is_some()
    );
    assert!(
        meter
            .measure_all(&two, WindowKind::Hann, &options)
            .imd
            .is_some()
    );
    let start = Instant::now();
    for _ in 0..updates {
        let adc = meter
            .measure_all(black_box(&single), WindowKind::Hann, &options)
            .adc;
        let fit = sinefit::fit(
            black_box(&block),
            48_000.0,
            adc.unwrap().fundamental_bin * 46.875,
        );
        black_box(test.analyse(fit.as_ref()));
    }
    let single_tone = start.elapsed().as_secs_f64();
    let start = Instant::now();
    for _ in 0..updates {
        black_box(meter.measure_all(black_box(&two), WindowKind::Hann, &options));
    }
    (single_tone, start.elapsed().as_secs_f64())
}

/// A section of the bench: its name on the command line, and what it runs.
type Section = (&'static str, fn(Effort));

/// How long each section runs.
#[derive(Clone, Copy)]
struct Effort {
    quick: bool,
    rounds: usize,
    samples_per_round: usize,
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let named: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-') && a != "quick")
        .collect();
    let wants = |section: &str| named.is_empty() || named.iter().any(|n| n == section);
    let rounds = if quick { 3 } else { 7 };
    let samples_per_round = if quick { 4_000_000 } else { 16_000_000 };
    let effort = Effort {
        quick,
        rounds,
        samples_per_round,
    };
    let sections: [Section; 5] = [
        ("path", path_section),
        ("linearity", linearity_section),
        ("datasheet", datasheet_section),
        ("adc", adc_section),
        ("replay", replay_section),
    ];
    for (name, section) in sections {
        if wants(name) {
            section(effort);
        }
    }
}

/// The whole per-frame path beside the bare FFT, at every size.
fn path_section(effort: Effort) {
    let Effort {
        rounds,
        samples_per_round,
        ..
    } = effort;
    println!(
        "## per-frame path vs bare real FFT (one core, best of {rounds} alternating rounds)\n"
    );
    println!(
        "| FFT size | bare FFT (Msamples/s) | whole path (Msamples/s) | path / bare | path µs per frame |"
    );
    println!("|---:|---:|---:|---:|---:|");
    // `n=1024` runs that size alone (for a profile).
    let sizes: Vec<usize> = std::env::args()
        .filter_map(|a| a.strip_prefix("n=")?.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![256, 1024, 4096, 16384, 65536]
    } else {
        sizes
    };
    for n in sizes {
        let frames = (samples_per_round / n).max(50);
        let (mut bare, mut path) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..rounds {
            bare = bare.min(bare_fft(n, frames));
            path = path.min(whole_path(n, frames, false));
        }
        let rate = |secs: f64, per_frame: usize| (frames * per_frame) as f64 / secs / 1e6;
        println!(
            "| {n} | {:.0} | {:.0} | {:.2} | {:.2} |",
            rate(bare, n),
            rate(path, frame_len(n)),
            rate(path, frame_len(n)) / rate(bare, n),
            path / frames as f64 * 1e6
        );
    }
}

/// The per-frame path with the code-density test on.
fn linearity_section(effort: Effort) {
    let Effort {
        rounds,
        samples_per_round,
        ..
    } = effort;
    // The code-density test counts every sample: the per-frame path with it on, once it
    // has done following the tone's phases (seconds into a test), and while it follows them.
    println!(
        "\n## per-frame path with the code-density test (--linearity) vs bare real FFT (best of {rounds})\n"
    );
    println!(
        "| FFT size | bare FFT (Msamples/s) | path (Msamples/s) | path + linearity (Msamples/s) | path / bare | path + linearity / bare | µs a frame more while following phases |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for n in [1024, 4096] {
        let frames = (samples_per_round / n).max(50);
        let following = following_frames(n);
        let (mut bare, mut path, mut counted) = (f64::INFINITY, f64::INFINITY, f64::INFINITY);
        let (mut plain_early, mut counted_early) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..rounds {
            bare = bare.min(bare_fft(n, frames));
            path = path.min(timed_path(n, following, frames, false));
            counted = counted.min(timed_path(n, following, frames, true));
            // The first frames, the tone measured on the first: a test's first seconds.
            plain_early = plain_early.min(timed_path(n, 0, following - 32, false));
            counted_early = counted_early.min(timed_path(n, 0, following - 32, true));
        }
        let rate = |secs: f64| (frames * n) as f64 / secs / 1e6;
        let more_us = (counted_early - plain_early) / (following - 32) as f64 * 1e6;
        println!(
            "| {n} | {:.0} | {:.0} | {:.0} | {:.2} | {:.2} | {more_us:.2} |",
            rate(bare),
            rate(path),
            rate(counted),
            rate(path) / rate(bare),
            rate(counted) / rate(bare)
        );
    }
}

/// The datasheet figures of a snapshot.
fn datasheet_section(effort: Effort) {
    let Effort { quick, rounds, .. } = effort;
    // The datasheet figures run per snapshot, like the ADC figures.
    let updates = if quick { 500 } else { 2000 };
    let (mut single, mut two, mut bare) = (f64::INFINITY, f64::INFINITY, f64::INFINITY);
    for _ in 0..rounds {
        bare = bare.min(bare_fft(1024, updates));
        let (s, t) = datasheet_figures(updates);
        single = single.min(s);
        two = two.min(t);
    }
    let us = |secs: f64| secs / updates as f64 * 1e6;
    println!("\n## datasheet figures per update at 1024 points (best of {rounds})\n");
    println!("| figures | µs per update | / bare FFT | at 30 updates/s, % of a core |");
    println!("|---|---:|---:|---:|");
    for (name, secs) in [
        (
            "single tone + spur table + sine fit + code density (4096 codes)",
            single,
        ),
        ("two tones: IMD products", two),
    ] {
        println!(
            "| {name} | {:.1} | {:.0} | {:.2} |",
            us(secs),
            us(secs) / us(bare),
            us(secs) * 30.0 / 1e4
        );
    }
}

/// The single-tone measurement of a snapshot, at two sizes and two windows.
fn adc_section(effort: Effort) {
    let Effort { rounds, .. } = effort;
    // The ADC figures run per snapshot (30 a second at most), not per frame.
    println!(
        "\n## ADC measurements per update vs the bare FFT of the same size (best of {rounds})\n"
    );
    println!(
        "| FFT size | window | bare FFT µs | measurement µs | measurement / FFT | at 30 updates/s, % of a core |"
    );
    println!("|---:|---|---:|---:|---:|---:|");
    for n in [1024, 65536] {
        for window in [WindowKind::Hann, WindowKind::BlackmanHarris] {
            let updates = if n > 4096 { 50 } else { 2000 };
            let (mut bare, mut measured) = (f64::INFINITY, f64::INFINITY);
            for _ in 0..rounds {
                bare = bare.min(bare_fft(n, updates));
                measured = measured.min(adc_measurement(n, updates, window));
            }
            let (bare_us, measured_us) =
                (bare / updates as f64 * 1e6, measured / updates as f64 * 1e6);
            println!(
                "| {n} | {} | {bare_us:.1} | {measured_us:.1} | {:.2} | {:.2} |",
                window.name(),
                measured_us / bare_us,
                measured_us * 30.0 / 1e4
            );
        }
    }
}

/// The real binary replaying a recording, and checking it.
fn replay_section(effort: Effort) {
    let Effort { quick, .. } = effort;
    // End to end: the real binary replays a large recording as fast as it can.
    let frames = if quick { 20_000 } else { 100_000 };
    let dir = std::env::temp_dir().join(format!("sse-tui-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("demo.bin");
    let mut board = DemoBoard::new(1);
    let mut bytes = Vec::new();
    for _ in 0..frames {
        board.next_frame(&mut bytes);
    }
    std::fs::write(&file, &bytes).unwrap();
    let samples = frames as f64
        * (sse_tui::source::demo::FRAME_SAMPLES * sse_tui::source::demo::CHANNELS) as f64;
    // The same recording through `check`: its measured interval kept by the pipeline, the
    // limits judged once at the end, so it should cost what the replay costs. The two are
    // timed in turns, best of each.
    let limits = dir.join("limits.toml");
    std::fs::write(
        &limits,
        format!(
            "settle = 1.0\nframes = {}\ntimeout = 600\n\
             [limit.snr]\nvalue = \"adc.snr_db\"\nmin = 0\n\
             [limit.dropped]\nvalue = \"dropped\"\nmax = 0\n",
            frames - 100
        ),
    )
    .unwrap();
    let run = |check: bool| {
        let start = Instant::now();
        let mut command = Command::new(env!("CARGO_BIN_EXE_sse-tui"));
        if check {
            command.arg("check").arg(&limits);
        }
        let out = command
            .args([
                "--replay",
                file.to_str().unwrap(),
                "--speed",
                "0",
                "--headless",
                "--no-config",
            ])
            .output()
            .expect("run sse-tui");
        let stdout = String::from_utf8_lossy(&out.stdout);
        if check {
            assert_eq!(out.status.code(), Some(0), "{stdout}");
            assert!(
                stdout.contains(&format!("\"frames\":{}", frames - 100)),
                "{stdout}"
            );
        } else {
            assert!(out.status.success());
            assert!(
                stdout.contains(&format!("\"frames\":{frames}")),
                "every frame accounted for"
            );
        }
        start.elapsed().as_secs_f64()
    };
    let (mut secs, mut check_secs) = (f64::MAX, f64::MAX);
    for _ in 0..if quick { 1 } else { 3 } {
        secs = secs.min(run(false));
        check_secs = check_secs.min(run(true));
    }
    std::fs::remove_dir_all(&dir).ok();
    println!(
        "\n## end to end: `sse-tui --replay FILE --speed 0 --headless`\n\n{frames} frames of {} × 1024 u16 samples ({:.0} MB): {:.2} s, {:.0} Msamples/s ({:.0} k frames/s), wall clock incl. start-up",
        sse_tui::source::demo::CHANNELS,
        bytes.len() as f64 / 1e6,
        secs,
        samples / secs / 1e6,
        frames as f64 / secs / 1e3
    );
    println!(
        "`sse-tui check LIMITS --replay FILE --speed 0` of the same file (measuring {} frames): {check_secs:.2} s, {:.2} × the replay's time",
        frames - 100,
        check_secs / secs
    );
}
