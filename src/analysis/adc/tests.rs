//! The measurements against closed-form truth from a generator of the tests' own: a 12-bit
//! quantised sine of known amplitude, white Gaussian noise of known power, and harmonics of
//! known level, analysed by the real analyser (window, FFT, scaling) and measured.
//! P = A²/2 for a tone, σ² + LSB²/12 for the noise.

use super::*;
use crate::analysis::{Analyzer, AnalyzerSettings};

const FS: f64 = 48_000.0;
const N: usize = 4096;
/// One 12-bit LSB in full-scale units (full scale is 2048 codes either side of mid-scale).
const LSB: f64 = 1.0 / 2048.0;

struct Signal {
    /// Tone frequency in bins of an N-point transform.
    bin: f64,
    dbfs: f64,
    /// Gaussian noise before the quantiser, in LSB rms.
    noise_lsb: f64,
    /// (order, dBc) of harmonics the converter adds. A harmonic is measured as well as the
    /// noise in its lobe lets it: these stand 15 dB or more above the noise in one bin.
    harmonics: Vec<(usize, f64)>,
}

impl Signal {
    fn amplitude(&self) -> f64 {
        10f64.powf(self.dbfs / 20.0)
    }

    /// `blocks` × N samples, quantised to 12 bits, in full-scale units.
    fn samples(&self, blocks: usize, seed: u64) -> Vec<f32> {
        let mut rng = fastrand::Rng::with_seed(seed);
        let a = self.amplitude();
        let w = std::f64::consts::TAU * self.bin / N as f64;
        (0..blocks * N)
            .map(|i| {
                let t = i as f64;
                let mut x = a * (w * t).sin();
                for &(order, dbc) in &self.harmonics {
                    x += a
                        * 10f64.powf(dbc / 20.0)
                        * (order as f64 * w * t + 0.3 * order as f64).sin();
                }
                // Box–Muller.
                let (u1, u2) = (rng.f64().max(1e-300), rng.f64());
                x += self.noise_lsb
                    * LSB
                    * (-2.0 * u1.ln()).sqrt()
                    * (std::f64::consts::TAU * u2).cos();
                ((x / LSB).round().clamp(-2048.0, 2047.0) * LSB) as f32
            })
            .collect()
    }

    fn noise_power(&self) -> f64 {
        (self.noise_lsb * LSB).powi(2) + LSB * LSB / 12.0
    }

    fn distortion_power(&self) -> f64 {
        let a = self.amplitude();
        self.harmonics
            .iter()
            .map(|&(_, dbc)| (a * 10f64.powf(dbc / 20.0)).powi(2) / 2.0)
            .sum()
    }

    fn snr(&self) -> f64 {
        db(self.amplitude().powi(2) / 2.0 / self.noise_power())
    }

    fn sinad(&self) -> f64 {
        db(self.amplitude().powi(2) / 2.0 / (self.noise_power() + self.distortion_power()))
    }

    fn thd(&self) -> f64 {
        db(self.distortion_power() / (self.amplitude().powi(2) / 2.0))
    }

    /// Mean noise power per bin, dBFS (a full-scale sine's power is 1/2).
    fn floor(&self) -> f64 {
        db(self.noise_power() / (N / 2) as f64 / 0.5)
    }
}

/// The Welch mean of 32 blocks (averaging off: one frame's spectrum), measured.
fn measured(signal: &Signal, window: WindowKind) -> Option<AdcFigures> {
    let mut analyzer = Analyzer::new(AnalyzerSettings {
        fft_size: N,
        window,
        averaging: false,
        peak_hold: false,
        channel: 0,
    });
    analyzer.push_samples(&signal.samples(32, 42), 1, Some(FS), None);
    AdcMeter::default().measure(analyzer.spectrum(), window, DEFAULT_HARMONICS)
}

fn close(what: &str, got: Option<f64>, want: f64, tolerance: f64, context: &str) {
    let got = got.unwrap_or_else(|| panic!("{context}: no {what}"));
    assert!(
        (got - want).abs() <= tolerance,
        "{context}: {what} {got:.3}, truth {want:.3}"
    );
}

fn check(signal: &Signal, window: WindowKind) {
    let context = format!(
        "{window:?}, bin {}, {} dBFS, noise {} LSB",
        signal.bin, signal.dbfs, signal.noise_lsb
    );
    let m = measured(signal, window).unwrap_or_else(|| panic!("{context}: no figures"));
    assert!(!m.leakage_limited, "{context}: {m:?}");
    assert!(
        (m.fundamental_bin - signal.bin).abs() < 0.05,
        "{context}: {m:?}"
    );
    close(
        "fundamental",
        Some(m.fundamental_dbfs),
        signal.dbfs,
        0.05,
        &context,
    );
    close("SNR", m.snr_db, signal.snr(), 0.3, &context);
    close("SINAD", m.sinad_db, signal.sinad(), 0.3, &context);
    close(
        "ENOB",
        m.enob_bits,
        (signal.sinad() - 1.76) / 6.02,
        0.05,
        &context,
    );
    close(
        "noise floor",
        m.noise_floor_dbfs,
        signal.floor(),
        0.3,
        &context,
    );
    if !signal.harmonics.is_empty() {
        close("THD", m.thd_db, signal.thd(), 0.3, &context);
        let worst = signal
            .harmonics
            .iter()
            .map(|h| h.1)
            .fold(f64::MIN, f64::max);
        close("SFDR", m.sfdr_dbc, -worst, 0.5, &context);
        for &(order, dbc) in &signal.harmonics {
            let found = m.harmonics.iter().find(|h| h.n == order).expect("listed");
            // One harmonic alone is as good as the noise in its lobe allows (the flat top's
            // lobe is 11 bins wide): a little looser than their sum.
            close(&format!("H{order}"), found.dbc, dbc, 0.75, &context);
        }
    }
}

/// A coherent frequency: an odd number of cycles, prime to N, in the N-point record; its
/// harmonics fold far from it (a harmonic on the fundamental's lobe is left out, below).
const COHERENT: f64 = 601.0;
const BETWEEN_BINS: f64 = 601.37;

#[test]
fn snr_thd_sinad_enob_and_sfdr_match_the_closed_form_on_every_window() {
    let converter = Signal {
        bin: COHERENT,
        dbfs: -1.0,
        noise_lsb: 1.2,
        harmonics: vec![(2, -66.0), (3, -70.0), (5, -73.0)],
    };
    for window in WindowKind::ALL {
        check(&converter, window);
    }
    // Between bins every window but the rectangular and Hamming (whose skirts reach too far
    // for a 12-bit converter's noise: see the next test) measures the same.
    let between = Signal {
        bin: BETWEEN_BINS,
        ..converter
    };
    for window in [
        WindowKind::Hann,
        WindowKind::BlackmanHarris,
        WindowKind::Flattop,
    ] {
        check(&between, window);
    }
}

#[test]
fn levels_from_40_to_72_db_of_snr_and_at_minus_6_dbfs() {
    // About 40, 45, 57, 66 and 72 dB; the last two with less than half an LSB of noise,
    // so between bins (where the quantiser's error stays white).
    for (dbfs, noise_lsb) in [
        (-1.0, 12.9),
        (-6.0, 4.0),
        (-6.0, 1.0),
        (-1.0, 0.6),
        (-1.0, 0.17),
    ] {
        let mut signal = Signal {
            bin: BETWEEN_BINS,
            dbfs,
            noise_lsb,
            harmonics: Vec::new(),
        };
        let snr = signal.snr();
        signal.harmonics = vec![(2, -snr - 5.0)];
        assert!((39.0..73.0).contains(&snr), "{snr}");
        for window in [WindowKind::Hann, WindowKind::BlackmanHarris] {
            check(&signal, window);
        }
    }
}

#[test]
fn harmonics_that_alias_are_found_where_they_fold() {
    // At 0.3 fs the 2nd harmonic folds to 0.4 fs, the 3rd to 0.1 fs, the 4th to 0.2 fs.
    let signal = Signal {
        bin: 0.3 * N as f64 + 0.21,
        dbfs: -1.0,
        noise_lsb: 1.0,
        harmonics: vec![(2, -70.0), (3, -74.0), (4, -76.0)],
    };
    check(&signal, WindowKind::BlackmanHarris);
    let m = measured(&signal, WindowKind::BlackmanHarris).unwrap();
    let bins: Vec<f64> = m.harmonics.iter().map(|h| h.bin).collect();
    for (got, want) in bins.iter().zip([0.4, 0.1, 0.2]) {
        assert!((got / N as f64 - want).abs() < 0.001, "{bins:?}");
    }
}

#[test]
fn a_harmonic_on_the_fundamentals_or_dcs_lobe_is_left_out() {
    // At fs/3 the 2nd harmonic folds onto the fundamental and the 3rd onto DC.
    let signal = Signal {
        bin: N as f64 / 3.0,
        dbfs: -1.0,
        noise_lsb: 1.0,
        harmonics: vec![(4, -70.0)],
    };
    let m = measured(&signal, WindowKind::BlackmanHarris).unwrap();
    let dbc = |n: usize| m.harmonics.iter().find(|h| h.n == n).unwrap().dbc;
    assert_eq!((dbc(2), dbc(3)), (None, None), "{m:?}");
    // The 4th folds onto the fundamental too (4/3 fs → fs/3): nothing is counted twice.
    assert_eq!(dbc(4), None);
    assert_eq!(m.thd_db, None);
}

#[test]
fn a_pure_12_bit_sine_reads_12_bits_referred_to_full_scale() {
    // No noise but the quantiser's: a tone between bins makes its error white (LSB²/12).
    let signal = Signal {
        bin: 1234.5678,
        dbfs: -0.5,
        noise_lsb: 0.0,
        harmonics: Vec::new(),
    };
    let m = measured(&signal, WindowKind::BlackmanHarris).expect("figures");
    let enob_fs = m.enob_fs_bits.unwrap();
    assert!((enob_fs - 12.0).abs() < 0.1, "{m:?}");
    close("SNR", m.snr_db, signal.snr(), 0.3, "pure");
}

#[test]
fn silence_and_a_tone_buried_in_noise_give_no_figures() {
    let mut meter = AdcMeter::default();
    assert_eq!(meter.measure(&[0.0; 2048], WindowKind::Hann, 5), None);
    assert_eq!(meter.measure(&[], WindowKind::Hann, 5), None);
    // A tone 10 dB over the mean noise bin (SPEC §7 asks for 20).
    let mut power = vec![1e-6f32; 2048];
    power[500] = 1e-5;
    assert_eq!(meter.measure(&power, WindowKind::Rect, 5), None);
}

#[test]
fn a_window_whose_leakage_hides_the_noise_says_so_instead_of_a_wrong_snr() {
    let between = Signal {
        bin: BETWEEN_BINS,
        dbfs: -1.0,
        noise_lsb: 1.2,
        harmonics: vec![(2, -72.0)],
    };
    for window in [WindowKind::Rect, WindowKind::Hamming] {
        let m = measured(&between, window).expect("the fundamental is still given");
        assert!(m.leakage_limited, "{window:?}: {m:?}");
        assert_eq!((m.snr_db, m.sinad_db, m.enob_bits), (None, None, None));
        assert!((m.fundamental_dbfs + 1.0).abs() < 0.1, "{window:?}: {m:?}");
    }
}

#[test]
fn a_spur_beside_the_fundamentals_lobe_is_read_at_its_own_level() {
    // Near DC the 2nd harmonic's lobe touches the fundamental's, and the 3rd's the 2nd's:
    // both are left out of THD (SPEC §7), but the 2nd, the strongest spur, still sets SFDR,
    // read at its own peak (its lobe reaches into the fundamental's).
    let signal = Signal {
        bin: 5.75,
        dbfs: -1.0,
        noise_lsb: 1.0,
        harmonics: vec![(2, -70.0), (3, -76.0)],
    };
    let m = measured(&signal, WindowKind::BlackmanHarris).expect("figures");
    assert_eq!(
        (m.harmonics[0].dbc, m.harmonics[1].dbc),
        (None, None),
        "{m:?}"
    );
    close("SFDR", m.sfdr_dbc, 70.0, 0.5, "near DC");
}
