//! A fixed snapshot for the tests of every reader (the screen, the page's feed, the reports).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Snapshot;
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
