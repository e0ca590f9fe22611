//! Latency percentiles over a sliding window. The latest frames are kept as (arrival, value)
//! pairs and the percentiles are taken from them per summary, not per frame: relative
//! latency is measured against a line fitted to the whole window's delays, so every frame in
//! the window is read against the best line known, not the one known when it came.

use std::collections::VecDeque;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::envelope::{Envelope, Line};
use crate::frame::SenderTime;

/// Percentiles cover the last this many seconds…
pub const WINDOW_US: i64 = 10_000_000;
/// …or this many frames, whichever is fewer: memory stays bounded at any frame rate.
pub const MAX_FRAMES: usize = 65_536;
/// Latencies above an hour are recorded as an hour.
const MAX_US: u64 = 3_600_000_000;
/// Recent latencies kept for the screen's sparkline.
pub const RECENT: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LatencyKind {
    /// The sender's clock is Unix time: receive time minus send time.
    Absolute,
    /// The sender's clock is its own: delay above the fastest frames, with the device
    /// clock's offset and rate error removed.
    Relative,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LatencySummary {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub kind: LatencyKind,
    /// Relative latency only: how far the device clock runs from ours, in parts per
    /// million (negative: slow), as the fit of its delays says, once it spans 20 s.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_clock_ppm: Option<f64>,
}

/// Upper bounds of the cumulative latency histogram, seconds (Prometheus-style buckets).
pub const HISTOGRAM_BOUNDS_S: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Every frame's latency since start, bucketed: what a metrics scraper wants (counts that
/// only grow), beside the window's percentiles. A frame is counted once, at the first
/// summary after it came, read against the line known then.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LatencyHistogram {
    /// Per bucket of [`HISTOGRAM_BOUNDS_S`], then those above the last bound.
    pub counts: [u64; HISTOGRAM_BOUNDS_S.len() + 1],
    pub sum_s: f64,
    pub count: u64,
}

impl LatencyHistogram {
    fn record(&mut self, latency_us: u64) {
        let seconds = latency_us as f64 / 1e6;
        let bucket = HISTOGRAM_BOUNDS_S
            .iter()
            .position(|&bound| seconds <= bound)
            .unwrap_or(HISTOGRAM_BOUNDS_S.len());
        self.counts[bucket] += 1;
        self.sum_s += seconds;
        self.count += 1;
    }
}

pub struct LatencyWindow {
    kind: Option<LatencyKind>,
    /// (arrival on the monotonic clock µs, value µs), oldest first. Absolute: the latency.
    /// Relative: the raw delay (arrival − device time), read against `line` per summary.
    frames: VecDeque<(i64, i64)>,
    envelope: Envelope,
    /// The line of the latest summary (relative latency only).
    line: Option<Line>,
    /// Absolute latencies that came out negative: the clocks disagree.
    negative: u64,
    merged: Histogram<u32>,
    cumulative: LatencyHistogram,
    /// Arrival (monotonic µs) of the newest frame counted in `cumulative`.
    counted_through: i64,
}

impl Default for LatencyWindow {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyWindow {
    pub fn new() -> Self {
        Self {
            kind: None,
            frames: VecDeque::new(),
            envelope: Envelope::default(),
            line: None,
            negative: 0,
            merged: new_histogram(),
            cumulative: LatencyHistogram::default(),
            counted_through: i64::MIN,
        }
    }

    /// Records one frame. `mono_us` and `unix_us` are its arrival time on this machine's
    /// monotonic and wall clocks; `offset_us` is the sender clock's lead over ours.
    pub fn record(&mut self, sent: SenderTime, mono_us: i64, unix_us: i64, offset_us: i64) {
        let kind = match sent {
            SenderTime::Unix(_) => LatencyKind::Absolute,
            SenderTime::Device(_) => LatencyKind::Relative,
        };
        // Another kind of clock: the old figures mean nothing.
        if self.kind != Some(kind) {
            self.clear();
            self.kind = Some(kind);
        }
        // Saturating: a sender's timestamp is input, and may be absurd.
        let value = match sent {
            SenderTime::Unix(ts) => {
                let latency = unix_us.saturating_add(offset_us).saturating_sub(ts);
                if latency < 0 {
                    // Never shown as if it were real: counted, and recorded as zero.
                    self.negative += 1;
                }
                latency.max(0)
            }
            SenderTime::Device(ts) => {
                let delay = mono_us.saturating_sub(ts);
                self.envelope.add(mono_us, delay);
                delay
            }
        };
        if self.frames.len() == MAX_FRAMES {
            self.frames.pop_front();
        }
        self.frames.push_back((mono_us, value));
    }

    /// Percentiles over the window ending at `now_mono_us`, in milliseconds.
    pub fn summary(&mut self, now_mono_us: i64) -> Option<LatencySummary> {
        let kind = self.kind?;
        let oldest = now_mono_us.saturating_sub(WINDOW_US);
        while self.frames.front().is_some_and(|(t, _)| *t < oldest) {
            self.frames.pop_front();
        }
        self.line = match kind {
            LatencyKind::Relative => self.envelope.fit(),
            LatencyKind::Absolute => None,
        };
        self.merged.reset();
        for &(t, value) in &self.frames {
            let latency = latency_us(self.line, t, value);
            self.merged.saturating_record(latency);
            if t > self.counted_through {
                self.cumulative.record(latency);
            }
        }
        if let Some(&(newest, _)) = self.frames.back() {
            self.counted_through = self.counted_through.max(newest);
        }
        if self.merged.is_empty() {
            return None;
        }
        let ms = |q: f64| self.merged.value_at_quantile(q) as f64 / 1000.0;
        Some(LatencySummary {
            p50: ms(0.50),
            p90: ms(0.90),
            p99: ms(0.99),
            max: self.merged.max() as f64 / 1000.0,
            kind,
            device_clock_ppm: self
                .line
                .and_then(|line| line.known_skew())
                .map(|skew| -skew * 1e6),
        })
    }

    pub fn kind(&self) -> Option<LatencyKind> {
        self.kind
    }

    pub fn negative(&self) -> u64 {
        self.negative
    }

    /// Every frame's latency since start, as of the latest summary.
    pub fn histogram(&self) -> LatencyHistogram {
        self.cumulative
    }

    /// The most recent latencies, oldest first, in milliseconds, as of the latest summary.
    pub fn recent_ms(&self) -> impl Iterator<Item = f32> + '_ {
        let skip = self.frames.len().saturating_sub(RECENT);
        self.frames
            .iter()
            .skip(skip)
            .map(|&(t, value)| latency_us(self.line, t, value) as f32 / 1000.0)
    }

    /// Forgets everything (a sender restart starts a new device clock).
    pub fn clear(&mut self) {
        self.frames.clear();
        self.envelope.clear();
        self.line = None;
        self.kind = None;
    }
}

/// A kept value as latency: as it is (absolute), or above the fitted line (relative).
fn latency_us(line: Option<Line>, t: i64, value: i64) -> u64 {
    let latency = match line {
        Some(line) => (value as f64 - line.at(t)).round() as i64,
        None => value,
    };
    latency.clamp(0, MAX_US as i64) as u64
}

fn new_histogram() -> Histogram<u32> {
    // Two significant digits: 1 % resolution.
    Histogram::new_with_bounds(1, MAX_US, 2).expect("valid bounds")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact quantile a histogram approximates: the smallest value with at least q of
    /// all values at or below it.
    fn two_pass_quantile(values: &[i64], q: f64) -> f64 {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1] as f64 / 1000.0
    }

    #[test]
    fn percentiles_match_a_sorted_reference() {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut window = LatencyWindow::new();
        let mut latencies = Vec::new();
        for i in 0..20_000i64 {
            let latency = 500 + (rng.f64().powi(3) * 200_000.0) as i64;
            let arrival = 1_000_000_000 + i * 100; // 2 s of arrivals
            window.record(SenderTime::Unix(arrival - latency), arrival, arrival, 0);
            latencies.push(latency);
        }
        let summary = window
            .summary(1_000_000_000 + 20_000 * 100)
            .expect("summary");
        assert_eq!(summary.kind, LatencyKind::Absolute);
        for (got, q) in [
            (summary.p50, 0.5),
            (summary.p90, 0.9),
            (summary.p99, 0.99),
            (summary.max, 1.0),
        ] {
            let want = two_pass_quantile(&latencies, q);
            assert!(
                (got - want).abs() <= want * 0.01 + 0.001,
                "q{q}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn old_seconds_leave_the_window() {
        let mut window = LatencyWindow::new();
        window.record(SenderTime::Unix(0), 0, 50_000, 0); // 50 ms, at second 0
        window.record(SenderTime::Unix(0), 20_000_000, 1_000, 0); // 1 ms, at second 20
        let summary = window.summary(20_500_000).expect("summary");
        assert!((summary.max - 1.0).abs() < 0.01, "{summary:?}");
    }

    #[test]
    fn relative_latency_is_the_delay_above_the_smallest_seen() {
        let mut window = LatencyWindow::new();
        // Device clock 1 s behind ours; delays 3, 2, 7 ms.
        for (i, delay) in [3_000i64, 2_000, 7_000].into_iter().enumerate() {
            let device = i as i64 * 10_000;
            window.record(SenderTime::Device(device), device + 1_000_000 + delay, 0, 0);
        }
        let summary = window.summary(1_030_000).expect("summary");
        assert_eq!(summary.kind, LatencyKind::Relative);
        assert!((summary.max - 5.0).abs() < 0.05, "{summary:?}");
    }

    /// A board at 46.9 frames/s whose clock runs `rate` × ours, 0.3–0.8 ms of transport, and
    /// frames `late` (arrival µs range) 30 ms late; summaries along the way.
    fn drifting_feed(
        rate: f64,
        late: std::ops::Range<i64>,
        summaries_at: &[i64],
    ) -> Vec<LatencySummary> {
        let mut rng = fastrand::Rng::with_seed(11);
        let mut window = LatencyWindow::new();
        let mut out = Vec::new();
        let mut next = summaries_at.iter().peekable();
        let boot_offset = 123_456_789; // the board booted long before we started
        for i in 0..(25_000_000 / 21_333) {
            let sent = i * 21_333;
            let mut arrival = sent + 300 + rng.i64(0..500);
            if late.contains(&arrival) {
                arrival += 30_000;
            }
            while let Some(&&at) = next.peek().filter(|&&&at| at <= arrival) {
                out.push(window.summary(at).expect("a summary"));
                next.next();
            }
            let device = boot_offset + (sent as f64 * rate) as i64;
            window.record(SenderTime::Device(device), arrival, 0, 0);
        }
        out.extend(next.map(|&at| window.summary(at).expect("a summary")));
        out
    }

    #[test]
    fn relative_latency_of_a_steady_feed_stays_near_zero_whatever_the_crystal() {
        for rate in [0.99, 1.01, 0.98, 1.0] {
            let summaries =
                drifting_feed(rate, 0..0, &[1_000_000, 3_000_000, 15_000_000, 25_000_000]);
            for s in &summaries {
                assert_eq!(s.kind, LatencyKind::Relative);
                // The transport varies by 0.5 ms: nothing more may show.
                assert!(
                    s.p50 < 0.6 && s.p99 < 0.8 && s.max < 1.0,
                    "rate {rate}: {s:?}"
                );
            }
            assert_eq!(
                summaries[2].device_clock_ppm, None,
                "not yet a figure at 15 s"
            );
            let ppm = summaries[3].device_clock_ppm.expect("a fitted clock");
            let want = (rate - 1.0) * 1e6;
            assert!((ppm - want).abs() < 50.0, "rate {rate}: {ppm} ppm");
        }
    }

    #[test]
    fn a_burst_of_late_frames_shows_at_its_true_size_on_a_drifting_clock() {
        for rate in [0.99, 1.01] {
            // Half a second of frames (23 of the 469 in the window) 30 ms late.
            let s = drifting_feed(rate, 19_000_000..19_500_000, &[25_000_000])[0];
            assert!((s.max - 30.5).abs() < 0.8, "rate {rate}: {s:?}");
            assert!((s.p99 - 30.5).abs() < 0.8, "rate {rate}: {s:?}");
            assert!(s.p90 < 0.8, "rate {rate}: {s:?}");
        }
    }

    #[test]
    fn absurd_timestamps_neither_overflow_nor_show() {
        let mut window = LatencyWindow::new();
        for ts in [i64::MIN, i64::MAX, -1] {
            window.record(SenderTime::Unix(ts), 1_000, i64::MAX - 10, 1_000_000);
        }
        let summary = window.summary(1_000).expect("summary");
        let top = MAX_US as f64 / 1000.0;
        assert!(
            (summary.max - top).abs() < top * 0.01,
            "saturated at the histogram's top: {summary:?}"
        );
        let mut window = LatencyWindow::new();
        window.record(SenderTime::Device(i64::MAX), 1_000, 0, 0);
        window.record(SenderTime::Device(0), 1_000, 0, 0);
        let summary = window.summary(1_000).expect("summary");
        assert!((summary.max - top).abs() < top * 0.01, "{summary:?}");
    }

    #[test]
    fn negative_absolute_latency_is_counted_not_shown() {
        let mut window = LatencyWindow::new();
        window.record(SenderTime::Unix(2_000), 0, 1_000, 0);
        let summary = window.summary(0).expect("summary");
        assert_eq!(summary.max, 0.0);
        assert_eq!(window.negative(), 1);
    }

    #[test]
    fn the_cumulative_histogram_counts_every_frame_once_in_its_bucket() {
        let mut window = LatencyWindow::new();
        // Absolute latencies of 0.3 ms, 3 ms and 30 s, arriving 1 ms apart.
        let latencies_us = [300, 3_000, 30_000_000];
        let mut t = 0;
        for round in 0..3 {
            for _ in 0..=round {
                for latency in latencies_us {
                    t += 1_000;
                    window.record(SenderTime::Unix(t - latency), t, t, 0);
                }
            }
            window.summary(t);
            window.summary(t); // a second summary counts nothing twice
        }
        let h = window.histogram();
        assert_eq!(h.count, 18);
        assert_eq!(h.counts[0], 6, "0.3 ms: the 0.5 ms bucket");
        assert_eq!(h.counts[3], 6, "3 ms: the 5 ms bucket");
        assert_eq!(
            h.counts[HISTOGRAM_BOUNDS_S.len()],
            6,
            "30 s: above every bound"
        );
        assert!((h.sum_s - 6.0 * 30.0033).abs() < 1e-6, "{}", h.sum_s);
    }
}
