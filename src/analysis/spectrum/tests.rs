use super::*;
use crate::analysis::power_to_db;

fn sine(n: usize, cycles_per_n: f64, amplitude: f64, dc: f64) -> Vec<f32> {
    (0..n)
        .map(|i| {
            (dc + amplitude * (std::f64::consts::TAU * cycles_per_n * i as f64 / n as f64).sin())
                as f32
        })
        .collect()
}

fn analyse(window: WindowKind, samples: &[f32]) -> Analyzer {
    let mut analyzer = Analyzer::new(AnalyzerSettings {
        fft_size: samples.len(),
        window,
        ..AnalyzerSettings::default()
    });
    assert!(analyzer.push_samples(samples, 1, Some(48_000.0), None));
    analyzer
}

#[test]
fn an_on_bin_full_scale_sine_reads_0_dbfs_on_every_window() {
    for window in WindowKind::ALL {
        let analyzer = analyse(window, &sine(1024, 100.0, 1.0, 0.0));
        let peak = analyzer.peak().expect("a peak");
        assert!(
            (peak.bin - 100.0).abs() < 0.01,
            "{window:?}: bin {}",
            peak.bin
        );
        assert!(peak.dbfs.abs() < 0.01, "{window:?}: {} dBFS", peak.dbfs);
    }
}

#[test]
fn flattop_reads_full_scale_within_a_tenth_of_a_db_between_bins() {
    for offset in [0.1, 0.25, 0.37, 0.5] {
        let analyzer = analyse(WindowKind::Flattop, &sine(1024, 100.0 + offset, 1.0, 0.0));
        let strongest = analyzer.spectrum().iter().fold(0f32, |m, &p| m.max(p));
        let db = power_to_db(strongest);
        assert!(db.abs() < 0.1, "offset {offset}: {db} dBFS");
    }
}

#[test]
fn interpolation_finds_a_tone_between_bins() {
    for window in [
        WindowKind::Hann,
        WindowKind::Hamming,
        WindowKind::BlackmanHarris,
    ] {
        for offset in [0.0, 0.2, 0.33, 0.5, 0.8] {
            let true_bin = 200.0 + offset;
            let analyzer = analyse(window, &sine(4096, true_bin, 0.5, 0.0));
            let peak = analyzer.peak().expect("a peak");
            assert!(
                (peak.bin - true_bin).abs() < 0.06,
                "{window:?} {offset}: bin {}",
                peak.bin
            );
            assert!(
                (peak.dbfs + 6.02).abs() < 0.6,
                "{window:?} {offset}: {} dBFS",
                peak.dbfs
            );
        }
    }
}

#[test]
fn dc_is_removed_before_the_peak_is_sought() {
    let analyzer = analyse(WindowKind::Hann, &sine(1024, 50.0, 0.01, 0.8));
    let peak = analyzer.peak().expect("a peak");
    assert!((peak.bin - 50.0).abs() < 0.01);
    assert!((peak.dbfs + 40.0).abs() < 0.05);
}

#[test]
fn silence_gives_a_floor_not_minus_infinity() {
    let analyzer = analyse(WindowKind::Hann, &[0.0; 256]);
    assert!(
        analyzer
            .spectrum()
            .iter()
            .all(|&p| power_to_db(p).is_finite())
    );
    assert_eq!(analyzer.peak(), None);
}

#[test]
fn averaging_moves_toward_each_new_spectrum_by_the_time_it_stands_for() {
    let mut analyzer = Analyzer::new(AnalyzerSettings::default());
    analyzer.push_spectrum(&[1.0, 4.0], WindowKind::Rect, 1, Some(4.0), Some(0.05));
    analyzer.push_spectrum(&[2.0, 0.0], WindowKind::Rect, 1, Some(4.0), Some(0.05));
    let w = 1.0 - (-0.05 / AVERAGING_TIME_S).exp() as f32;
    let expected = [1.0 + w, 4.0 * (1.0 - w)];
    for (got, want) in analyzer.spectrum().iter().zip(expected) {
        assert!((got - want).abs() < 1e-6, "{got} != {want}");
    }
    analyzer.set_averaging(false);
    analyzer.push_spectrum(&[3.0, 5.0], WindowKind::Rect, 1, Some(4.0), Some(0.05));
    assert_eq!(analyzer.spectrum(), &[3.0, 5.0]);
}

/// A tone for two seconds, then about a second of silence, in frames of `frame` samples
/// at 48 kHz analysed with an FFT of `fft`: the seconds of silence, and what the held
/// peak and the average read then.
fn after_a_second_of_silence(frame: usize, fft: usize, averaging: bool) -> (f64, f32, f32) {
    let fs = 48_000.0;
    let mut analyzer = Analyzer::new(AnalyzerSettings {
        fft_size: fft,
        averaging,
        ..AnalyzerSettings::default()
    });
    let span = frame as f64 / fs;
    let tone = sine(frame, frame as f64 / 16.0, 1.0, 0.0);
    for _ in 0..(2.0 / span) as usize {
        analyzer.push_samples(&tone, 1, Some(fs), Some(span));
    }
    let bin = fft / 16;
    let silence = vec![0.0; frame];
    let frames = (1.0 / span).round() as usize;
    for _ in 0..frames {
        analyzer.push_samples(&silence, 1, Some(fs), Some(span));
    }
    let seconds = frames as f64 * span;
    (
        seconds,
        power_to_db(analyzer.held()[bin]),
        power_to_db(analyzer.spectrum()[bin]),
    )
}

#[test]
fn held_peaks_fall_at_ten_db_a_second_whatever_the_blocks_per_frame() {
    // One block a frame, four blocks a frame, and frames shorter than the FFT.
    for (frame, fft) in [(1024, 1024), (1024, 256), (4096, 256), (256, 1024)] {
        let (seconds, held, _) = after_a_second_of_silence(frame, fft, false);
        let want = -(HOLD_DECAY_DB_PER_S * seconds) as f32;
        assert!(
            (held - want).abs() < 0.05,
            "{frame}-sample frames, FFT {fft}: {held} dB after {seconds} s, want {want}"
        );
    }
}

#[test]
fn the_average_forgets_at_the_same_pace_whatever_the_blocks_per_frame() {
    // After t s of silence a 0 dB tone has fallen by 10·log10(e^(−t/τ)): −43.4 dB a second.
    for (frame, fft) in [(1024, 1024), (1024, 256), (4096, 256)] {
        let (seconds, _, average) = after_a_second_of_silence(frame, fft, true);
        let want = 10.0 * (-seconds / AVERAGING_TIME_S).exp().log10() as f32;
        assert!(
            (average - want).abs() < 0.5,
            "{frame}-sample frames, FFT {fft}: {average} dB, want {want}"
        );
    }
}

#[test]
fn with_averaging_off_a_frame_shows_the_mean_of_its_blocks() {
    // The tone fills the first half of the frame only: half its power in the mean of
    // four blocks, not nothing (as the last block alone would show).
    let mut frame = sine(512, 32.0, 1.0, 0.0);
    frame.extend(std::iter::repeat_n(0.0, 512));
    let mut analyzer = Analyzer::new(AnalyzerSettings {
        fft_size: 256,
        averaging: false,
        ..AnalyzerSettings::default()
    });
    analyzer.push_samples(&frame, 1, Some(48_000.0), None);
    let db = power_to_db(analyzer.spectrum()[16]);
    assert!((db + 3.01).abs() < 0.05, "{db}");
}

#[test]
fn a_measured_rate_that_moves_in_its_last_digits_keeps_the_average() {
    let mut analyzer = Analyzer::new(AnalyzerSettings::default());
    let tone = sine(1024, 100.0, 1.0, 0.0);
    analyzer.push_samples(&tone, 1, Some(47_999.7), Some(0.02));
    analyzer.push_samples(&vec![0.0; 1024], 1, Some(48_000.2), Some(0.02));
    assert!(
        analyzer.spectrum()[100] > 0.5,
        "averaged on, not started over"
    );
    assert_eq!(
        analyzer.bin_hz(),
        Some(48_000.2 / 1024.0),
        "the latest rate shows"
    );
    // A new rate is a new spectrum.
    analyzer.push_samples(&vec![0.0; 1024], 1, Some(44_100.0), Some(0.02));
    assert_eq!(analyzer.spectrum()[100], 0.0);
}

#[test]
fn a_received_spectrum_passes_straight_through() {
    let mut analyzer = Analyzer::new(AnalyzerSettings {
        channel: 1,
        ..AnalyzerSettings::default()
    });
    // Two channels interleaved; channel 1 is analysed.
    let power = [9.0, 0.0, 9.0, 0.25, 9.0, 1.0, 9.0, 0.5];
    assert!(analyzer.push_spectrum(&power, WindowKind::Rect, 2, Some(16_000.0), None));
    assert_eq!(analyzer.spectrum(), &[0.0, 0.25, 1.0, 0.5]);
    assert_eq!(
        analyzer.origin(),
        Some(Origin::Received {
            window: WindowKind::Rect
        })
    );
    assert_eq!(analyzer.bin_hz(), Some(2000.0));
    assert_eq!(analyzer.peak().expect("peak").bin.round(), 2.0);
}

#[test]
fn held_peaks_fall_back_at_the_decay_rate() {
    let mut analyzer = Analyzer::new(AnalyzerSettings {
        averaging: false,
        ..AnalyzerSettings::default()
    });
    analyzer.push_spectrum(&[0.0, 1.0], WindowKind::Rect, 1, None, None);
    analyzer.push_spectrum(&[0.0, 0.0], WindowKind::Rect, 1, None, Some(1.0));
    let held_db = power_to_db(analyzer.held()[1]);
    assert!(
        (held_db + HOLD_DECAY_DB_PER_S as f32).abs() < 1e-3,
        "{held_db}"
    );
    assert_eq!(analyzer.spectrum()[1], 0.0);
}

#[test]
fn frames_shorter_than_the_fft_fill_a_sliding_history() {
    let signal = sine(4096, 4.0 * 37.0, 1.0, 0.0);
    let mut analyzer = Analyzer::new(AnalyzerSettings {
        fft_size: 1024,
        averaging: false,
        ..AnalyzerSettings::default()
    });
    for block in signal.chunks(256) {
        assert!(analyzer.push_samples(block, 1, Some(1024.0), None));
    }
    let peak = analyzer.peak().expect("a peak");
    assert!(
        (peak.bin - 37.0).abs() < 0.01 && peak.dbfs.abs() < 0.01,
        "{peak:?}"
    );
}

#[test]
fn the_analysed_channel_is_taken_from_interleaved_samples() {
    let a = sine(1024, 10.0, 1.0, 0.0);
    let b = sine(1024, 300.0, 0.1, 0.0);
    let interleaved: Vec<f32> = a.iter().zip(&b).flat_map(|(x, y)| [*x, *y]).collect();
    let mut analyzer = Analyzer::new(AnalyzerSettings::default());
    analyzer.set_channel(1);
    assert!(analyzer.push_samples(&interleaved, 2, Some(1024.0), None));
    assert!((analyzer.peak().expect("peak").bin - 300.0).abs() < 0.01);
    assert!(
        !analyzer.push_samples(&a, 1, Some(1024.0), None),
        "channel 1 of a 1-channel frame"
    );
}

#[test]
fn changing_the_fft_size_starts_a_new_spectrum_of_the_new_size() {
    let mut analyzer = analyse(WindowKind::Hann, &sine(1024, 100.0, 1.0, 0.0));
    analyzer.set_fft_size(2048);
    assert!(analyzer.spectrum().is_empty());
    analyzer.push_samples(&sine(2048, 100.0, 1.0, 0.0), 1, Some(48_000.0), None);
    assert_eq!(analyzer.spectrum().len(), 1024);
    assert!((analyzer.peak().expect("peak").bin - 100.0).abs() < 0.01);
}

/// The offset taken out is the window-weighted mean: a board's DC offset leaves DC's bins,
/// and a tone with a partial cycle in the block puts nothing there. (The plain mean of such
/// a block is not the offset: taking it out put a lobe at DC that read -40 dBFS under a
/// -6 dBFS tone of 21.3 cycles a block.)
#[test]
fn dc_is_an_offset_removed_never_one_made() {
    for window in [
        WindowKind::Hann,
        WindowKind::BlackmanHarris,
        WindowKind::Flattop,
    ] {
        for dc in [0.0, 0.3] {
            let analyzer = analyse(window, &sine(1024, 21.33, 0.5, dc));
            let dc_db = power_to_db(analyzer.spectrum()[0]);
            assert!(
                dc_db < -100.0,
                "{window:?} offset {dc}: DC reads {dc_db} dBFS"
            );
            let peak = analyzer.peak().unwrap();
            assert!((peak.dbfs + 6.02).abs() < 1.5, "{window:?}: {peak:?}");
        }
    }
}

/// While a check measures, the average is the mean of the interval's spectra: a tone that
/// was there before it does not linger, and one that comes halfway reads half its power.
#[test]
fn the_measured_intervals_mean_is_every_spectrum_alike() {
    let mut analyzer = Analyzer::new(AnalyzerSettings::default());
    let tone = sine(1024, 64.0, 1.0, 0.0);
    let quiet = vec![0.0f32; 1024];
    for _ in 0..10 {
        analyzer.push_samples(&tone, 1, Some(48_000.0), Some(0.02));
    }
    analyzer.average_from_now();
    for block in [&quiet, &quiet, &tone, &tone] {
        analyzer.push_samples(block, 1, Some(48_000.0), Some(0.02));
    }
    let db = power_to_db(analyzer.spectrum()[64]);
    assert!(
        (db + 3.01).abs() < 0.01,
        "half the interval at 0 dBFS reads -3 dB: {db}"
    );
}
