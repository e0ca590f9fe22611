//! The measurements against closed-form truth from a generator of the tests' own: a 12-bit
//! quantised sine of known amplitude, white Gaussian noise of known power, and harmonics of
//! known level, analysed by the real analyser (window, FFT, scaling) and measured.
//! P = A²/2 for a tone, σ² + LSB²/12 for the noise.

use super::lobes::fold;
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
        self.samples_with(blocks, seed, &[])
    }

    /// The same with `tones` (bin, dBFS) added before the quantiser (a spur, an interferer).
    fn samples_with(&self, blocks: usize, seed: u64, tones: &[(f64, f64)]) -> Vec<f32> {
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
                for &(bin, dbfs) in tones {
                    x += 10f64.powf(dbfs / 20.0)
                        * (std::f64::consts::TAU * bin * t / N as f64 + 1.1).sin();
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

/// The Welch mean of 32 blocks of `samples`' first signal, measured with `options`.
fn measured_all(samples: &[f32], window: WindowKind, options: &MeasureOptions) -> Measured {
    let mut analyzer = Analyzer::new(AnalyzerSettings {
        fft_size: N,
        window,
        averaging: false,
        peak_hold: false,
        channel: 0,
    });
    analyzer.push_samples(samples, 1, Some(FS), None);
    AdcMeter::default().measure_all(analyzer.spectrum(), window, options)
}

/// `signal`'s samples with extra tones (bin, dBFS) added before the quantiser.
fn with_tones(signal: &Signal, tones: &[(f64, f64)]) -> Vec<f32> {
    signal.samples_with(32, 42, tones)
}

/// White noise of known power: its density is the noise of §7 over 0…fs/2, within 0.3 dB
/// of the truth (2σ² in full-scale sine units, over 24 kHz).
#[test]
fn the_noise_spectral_density_is_the_noise_over_the_band() {
    for noise_lsb in [0.8, 3.0] {
        let signal = Signal {
            bin: COHERENT,
            dbfs: -1.0,
            noise_lsb,
            harmonics: Vec::new(),
        };
        let m = measured(&signal, WindowKind::BlackmanHarris).unwrap();
        let noise = m.noise_power.unwrap();
        let nsd = db(noise) - 10.0 * (m.noise_bins as f64 * FS / N as f64).log10();
        let truth = db(2.0 * signal.noise_power()) - 10.0 * (FS / 2.0).log10();
        assert!(
            (nsd - truth).abs() < 0.3,
            "{noise_lsb} LSB: {nsd:.2} vs {truth:.2}"
        );
    }
}

/// A spur of known level and frequency beside the tone and its harmonics: the table lists
/// it where it is, at its level, and it is the worst that is not HD2 or HD3.
#[test]
fn the_spur_table_reads_each_component_at_its_place_and_level() {
    let signal = Signal {
        bin: COHERENT,
        dbfs: -1.0,
        noise_lsb: 0.8,
        harmonics: vec![(2, -62.0), (3, -66.0)],
    };
    let spur = (1523.4, -80.0);
    let samples = with_tones(&signal, &[spur]);
    let m = measured_all(
        &samples,
        WindowKind::BlackmanHarris,
        &MeasureOptions::default(),
    )
    .adc
    .unwrap();
    let fundamental_dbfs = m.fundamental_dbfs;
    // The strongest first: HD2 sets SFDR.
    assert_eq!(m.spurs[0].harmonic, Some(2), "{:?}", m.spurs);
    assert!(
        (db(m.spurs[0].power) - (-1.0 - 62.0)).abs() < 0.5,
        "{:?}",
        m.spurs[0]
    );
    close("SFDR", m.sfdr_dbc, 62.0, 0.5, "spurs");
    assert!((m.spur_bin.unwrap() - 2.0 * COHERENT).abs() < 0.01);
    let other = m
        .spurs
        .iter()
        .find(|s| !matches!(s.harmonic, Some(2) | Some(3)))
        .expect("a spur besides HD2 and HD3");
    assert!((other.bin - spur.0).abs() <= 1.0, "{other:?}");
    assert!((db(other.power) - spur.1).abs() < 0.5, "{other:?}");
    assert_eq!(other.harmonic, None);
    assert!(fundamental_dbfs < 0.0);
    assert!(m.spurs.len() <= 10);
    assert!(m.spurs.windows(2).all(|w| w[0].power >= w[1].power));
}

/// `--band` keeps the noise and the spurs inside it; `--notch` sets an interferer aside: it
/// no longer sets SFDR, and the SNR without it is the signal's own.
#[test]
fn a_band_and_a_notch_set_what_is_measured() {
    let signal = Signal {
        bin: COHERENT,
        dbfs: -1.0,
        noise_lsb: 1.0,
        harmonics: Vec::new(),
    };
    let interferer = (1900.5, -50.0);
    let samples = with_tones(&signal, &[interferer]);
    let plain = measured_all(
        &samples,
        WindowKind::BlackmanHarris,
        &MeasureOptions::default(),
    )
    .adc
    .unwrap();
    close(
        "SFDR with the interferer",
        plain.sfdr_dbc,
        49.0,
        0.5,
        "plain",
    );
    let notched = MeasureOptions {
        notches: vec![(interferer.0, 6.0)],
        ..MeasureOptions::default()
    };
    let m = measured_all(&samples, WindowKind::BlackmanHarris, &notched)
        .adc
        .unwrap();
    assert!(m.sfdr_dbc.unwrap() > 60.0, "{:?}", m.sfdr_dbc);
    close(
        "SNR without the interferer",
        m.snr_db,
        signal.snr(),
        0.3,
        "notched",
    );
    // A band below the interferer: it is not there at all, and the noise is the band's.
    let banded = MeasureOptions {
        band: Some((0.0, 1500.0)),
        ..MeasureOptions::default()
    };
    let m = measured_all(&samples, WindowKind::BlackmanHarris, &banded)
        .adc
        .unwrap();
    assert!(m.spurs.iter().all(|s| s.bin <= 1500.0), "{:?}", m.spurs);
    assert_eq!(m.noise_bins, 1501);
    // The same density, over the band's width.
    let nsd = db(m.noise_power.unwrap()) - 10.0 * (m.noise_bins as f64 * FS / N as f64).log10();
    let truth = db(2.0 * signal.noise_power()) - 10.0 * (FS / 2.0).log10();
    assert!((nsd - truth).abs() < 0.3, "{nsd:.2} vs {truth:.2}");
}

/// Two tones through a converter with a cubic term: its third-order products stand where
/// they fold, at the level the cubic gives in closed form, within 0.5 dB.
#[test]
fn two_tones_give_their_intermodulation_products_where_they_fold() {
    let (b1, b2) = (601.0, 673.0);
    let a = 10f64.powf(-7.0 / 20.0);
    // y = x + c3·x³: 2f1−f2 and 2f2−f1 at (3/4)·c3·A³ each; the tones at A(1 + (9/4)c3A²).
    let c3 = 0.02;
    let tone_amplitude = a * (1.0 + 2.25 * c3 * a * a);
    let product = 0.75 * c3 * a * a * a;
    let truth_imd3 = 20.0 * (product / tone_amplitude).log10();
    let mut rng = fastrand::Rng::with_seed(9);
    let samples: Vec<f32> = (0..32 * N)
        .map(|i| {
            let t = i as f64 / N as f64;
            let x = a * (std::f64::consts::TAU * b1 * t).sin()
                + a * (std::f64::consts::TAU * b2 * t + 0.4).sin();
            let (u1, u2) = (rng.f64().max(1e-300), rng.f64());
            let noise = LSB * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            let y = x + c3 * x * x * x + noise;
            ((y / LSB).round().clamp(-2048.0, 2047.0) * LSB) as f32
        })
        .collect();
    let measured = measured_all(
        &samples,
        WindowKind::BlackmanHarris,
        &MeasureOptions::default(),
    );
    assert!(
        measured.adc.is_none(),
        "single-tone figures stay single-tone"
    );
    let imd = measured.imd.expect("two tones");
    assert!(
        (imd.f1_bin - b1).abs() < 0.01 && (imd.f2_bin - b2).abs() < 0.01,
        "{imd:?}"
    );
    let third: Vec<&ImdProduct> = imd.products.iter().filter(|p| p.order == 3).collect();
    let bins: Vec<f64> = third.iter().map(|p| p.bin).collect();
    assert!(
        (bins[0] - (2.0 * b1 - b2)).abs() < 0.01 && (bins[1] - (2.0 * b2 - b1)).abs() < 0.01,
        "{bins:?}"
    );
    for p in &third {
        let dbc = imd.dbc(p).unwrap();
        assert!(
            (dbc - truth_imd3).abs() < 0.5,
            "{p:?}: {dbc:.2} vs {truth_imd3:.2}"
        );
    }
    let imd3 = imd.worst_dbc(3).unwrap();
    assert!((imd3 - truth_imd3).abs() < 0.5);
    // No second-order term: the order-2 products are under the noise.
    assert_eq!(imd.worst_dbc(2), None, "{imd:?}");
    // A sum that folds: with f1 + f2 beyond Nyquist it lands at N − (f1 + f2).
    let folded = fold(1500.0 + 1100.0, 2 * (N / 2));
    assert_eq!(folded, N as f64 - 2600.0);
}

/// One tone is not two, and two tones 15 dB apart are not a two-tone test unless asked.
#[test]
fn two_tones_are_two_only_when_alike_and_alone() {
    let signal = Signal {
        bin: COHERENT,
        dbfs: -1.0,
        noise_lsb: 1.0,
        harmonics: vec![(2, -70.0)],
    };
    let one = measured_all(
        &signal.samples(32, 42),
        WindowKind::Hann,
        &MeasureOptions::default(),
    );
    assert!(one.adc.is_some() && one.imd.is_none());
    let unlike = with_tones(&signal, &[(900.0, -16.0)]);
    let auto = measured_all(&unlike, WindowKind::Hann, &MeasureOptions::default());
    assert!(auto.adc.is_some() && auto.imd.is_none());
    let forced = MeasureOptions {
        two_tone: TwoTone::Forced,
        ..MeasureOptions::default()
    };
    let asked = measured_all(&unlike, WindowKind::Hann, &forced);
    assert!(asked.adc.is_none() && asked.imd.is_some());
}
