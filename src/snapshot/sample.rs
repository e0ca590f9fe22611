//! A fixed snapshot for the tests of every reader (the screen, the page's feed, the reports).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Snapshot;
use crate::analysis::adc::{AdcFigures, Harmonic, ImdFigures, ImdProduct, Spur};
use crate::analysis::linearity::Linearity;
use crate::analysis::sinefit::SineFit;
use crate::analysis::{AnalyzerSettings, Origin, Peak};
use crate::link::{ClockSync, LinkState};
use crate::stats::Counters;
use crate::stats::latency::{LatencyKind, LatencySummary};

/// A fixed picture: 48 kHz, 1024-point FFT, tones at bins 21.3 (-6 dBFS) and 157 (-20 dBFS)
/// over a -90 dBFS floor that wobbles deterministically.
pub fn sample_snapshot(at: Instant) -> Snapshot {
    let mut spectrum = vec![0f32; 512];
    for (i, p) in spectrum.iter_mut().enumerate() {
        let wobble = ((i * 7919) % 13) as f32 / 13.0;
        *p = 10f32.powf((-90.0 + 6.0 * wobble) / 10.0);
    }
    for (bin, db) in [(21usize, -6.0f32), (22, -9.0), (20, -14.0), (157, -20.0)] {
        spectrum[bin] = 10f32.powf(db / 10.0);
    }
    let held: Vec<f32> = spectrum.iter().map(|p| p * 4.0).collect();
    Snapshot {
        taken_at: at,
        source: "demo".into(),
        link: LinkState::Connected,
        settings: AnalyzerSettings::default(),
        sample_rate: Some(48_000.0),
        channels: 1,
        labels: None,
        spectrum: spectrum.into(),
        held: held.into(),
        origin: Some(Origin::Computed),
        bin_hz: Some(46.875),
        peak: Some(Peak {
            bin: 21.33,
            dbfs: -6.02,
        }),
        adc: None,
        imd: None,
        linearity: None,
        linearity_unavailable: None,
        sinefit: None,
        reference: None,
        reference_delta: None,
        reference_refused: None,
        trace: None,
        trace_taken: 0,
        waterfall: Arc::new([]),
        waterfall_lines_made: 0,
        spectra_per_line: 4,
        channel_spectra: None,
        stream_seconds: 100.0,
        measurement: None,
        rate_readings: Default::default(),
        published_every: Duration::from_millis(33),
        counters: Counters {
            frames: 4700,
            samples: 4_812_800,
            bytes: 9_800_000,
            bad_frames: 2,
            dropped: 1,
            ..Counters::default()
        },
        latency: Some(LatencySummary {
            p50: 1.05,
            p90: 2.24,
            p99: 13.6,
            max: 15.4,
            kind: LatencyKind::Relative,
            device_clock_ppm: Some(-12.5),
        }),
        clock_sync: ClockSync::Uncorrected,
        negative_latency: 0,
        latency_recent: (0..256)
            .map(|i| 1.0 + i as f32 / 64.0 + if i == 200 { 12.0 } else { 0.0 })
            .collect(),
        latency_histogram: Default::default(),
        jitter_ms: Some(1.33),
        last_frame_at: Some(at),
        last_error: Some("CRC mismatch".into()),
        unusable: None,
        notice: None,
        warning: None,
    }
}

/// The single-tone figures of the sample's tone at bin 21.33: its harmonics, and the tone
/// at bin 157 as the worst spur (14 dBc under the fundamental, so SFDR is 14 dB).
pub fn sample_adc() -> AdcFigures {
    let dbfs = |db: f64| 10f64.powf(db / 10.0);
    let harmonic = |n: usize, bin: f64, dbc: Option<f64>| Harmonic { n, bin, dbc };
    AdcFigures {
        fundamental_bin: 21.33,
        fundamental_dbfs: -6.02,
        snr_db: Some(67.6),
        thd_db: Some(-70.1),
        sinad_db: Some(65.6),
        enob_bits: Some(10.61),
        enob_fs_bits: Some(11.61),
        sfdr_dbc: Some(13.98),
        noise_floor_dbfs: Some(-95.7),
        harmonics: vec![
            harmonic(2, 42.66, Some(-73.0)),
            harmonic(3, 63.99, Some(-73.4)),
            harmonic(4, 85.32, None),
        ],
        spur_bin: Some(157.0),
        spurs: vec![
            Spur {
                bin: 157.0,
                power: dbfs(-20.0),
                harmonic: None,
            },
            Spur {
                bin: 42.66,
                power: dbfs(-79.02),
                harmonic: Some(2),
            },
            Spur {
                bin: 63.99,
                power: dbfs(-79.42),
                harmonic: Some(3),
            },
        ],
        noise_power: Some(dbfs(-73.6)),
        noise_bins: 500,
        leakage_limited: false,
    }
}

/// Two tones at bins 211 and 223, 7 dB under full scale, with their order-2 and order-3
/// products (the sum frequency too low to read: under the noise).
pub fn sample_imd() -> ImdFigures {
    let dbfs = |db: f64| 10f64.powf(db / 10.0);
    let product = |order: u8, bin: f64, db: Option<f64>| ImdProduct {
        order,
        bin,
        power: db.map(dbfs),
    };
    ImdFigures {
        f1_bin: 211.0,
        f2_bin: 223.0,
        f1_power: dbfs(-7.0),
        f2_power: dbfs(-7.0),
        products: vec![
            product(2, 12.0, Some(-78.0)),
            product(2, 434.0, None),
            product(3, 199.0, Some(-69.5)),
            product(3, 235.0, Some(-70.5)),
        ],
    }
}

/// A 12-bit code-density test far enough along, with code 2049 missing and code 3000 wide.
pub fn sample_linearity() -> Linearity {
    let first_code = 40;
    let last_code = 4055;
    let count = (last_code - first_code + 1) as usize;
    let mut dnl = vec![0f32; count];
    dnl[(2049 - first_code) as usize] = -1.0;
    dnl[(3000 - first_code) as usize] = 0.5;
    let inl: Vec<f32> = dnl
        .iter()
        .scan(0f32, |sum, d| {
            *sum += d;
            Some(*sum)
        })
        .collect();
    Linearity {
        samples: 2_000_000,
        bits: 12,
        first_code,
        last_code,
        dnl: dnl.into(),
        inl: inl.into(),
        dnl_min: -1.0,
        dnl_max: 0.5,
        inl_min: -1.0,
        inl_max: 0.0,
        missing_codes: vec![2049],
        progress: 1.2,
        phase_coverage: 1.0,
        withheld: None,
    }
}

/// The four-parameter fit of the sample's tone.
pub fn sample_sinefit() -> SineFit {
    SineFit {
        freq_hz: 999.9871,
        amplitude: 0.5,
        offset: -0.00012,
        rms_residual: 0.5 / 2f64.sqrt() / 10f64.powf(65.5 / 20.0),
    }
}
