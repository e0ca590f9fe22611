//! Latency percentiles over a sliding window, kept in HDR histograms (one per second,
//! merged on demand), so memory is fixed whatever the frame rate.

use std::collections::VecDeque;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::frame::SenderTime;

/// Percentiles cover the last this many seconds.
pub const WINDOW_S: i64 = 10;
/// Latencies above an hour are recorded as an hour.
const MAX_US: u64 = 3_600_000_000;
/// Recent latencies kept for the screen's sparkline.
pub const RECENT: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LatencyKind {
    /// The sender's clock is Unix time: receive time minus send time.
    Absolute,
    /// The sender's clock is its own: delay above the smallest seen.
    Relative,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LatencySummary {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub kind: LatencyKind,
}

pub struct LatencyWindow {
    kind: Option<LatencyKind>,
    /// (second, histogram of latencies in µs that arrived in it), oldest first.
    buckets: VecDeque<(i64, Histogram<u32>)>,
    merged: Histogram<u32>,
    /// For relative latency: the smallest delay (arrival − device time) seen.
    min_delay_us: Option<i64>,
    /// Absolute latencies that came out negative: the clocks disagree.
    negative: u64,
    recent_ms: VecDeque<f32>,
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
            buckets: VecDeque::with_capacity(WINDOW_S as usize + 1),
            merged: new_histogram(),
            min_delay_us: None,
            negative: 0,
            recent_ms: VecDeque::with_capacity(RECENT),
        }
    }

    /// Records one frame. `mono_us` and `unix_us` are its arrival time on this machine's
    /// monotonic and wall clocks; `offset_us` is the sender clock's lead over ours.
    pub fn record(&mut self, sent: SenderTime, mono_us: i64, unix_us: i64, offset_us: i64) {
        let kind = match sent {
            SenderTime::Unix(_) => LatencyKind::Absolute,
            SenderTime::Device(_) => LatencyKind::Relative,
        };
        // Another kind of clock: the old figures mean nothing (cleared before the
        // smallest delay below is taken, so the first frame's delay counts).
        if self.kind != Some(kind) {
            self.clear();
            self.kind = Some(kind);
        }
        // Saturating: a sender's timestamp is input, and may be absurd.
        let latency_us = match sent {
            SenderTime::Unix(ts) => unix_us.saturating_add(offset_us).saturating_sub(ts),
            SenderTime::Device(ts) => {
                let delay = mono_us.saturating_sub(ts);
                let min = self.min_delay_us.map_or(delay, |m| m.min(delay));
                self.min_delay_us = Some(min);
                delay.saturating_sub(min)
            }
        };
        if latency_us < 0 {
            // Never shown as if it were real: counted, and recorded as zero.
            self.negative += 1;
        }
        let value = latency_us.clamp(0, MAX_US as i64) as u64;
        let second = mono_us.div_euclid(1_000_000);
        if self.buckets.back().is_none_or(|(s, _)| *s != second) {
            let histogram = if self.buckets.len() > WINDOW_S as usize {
                let (_, mut oldest) = self.buckets.pop_front().expect("non-empty");
                oldest.reset();
                oldest
            } else {
                new_histogram()
            };
            self.buckets.push_back((second, histogram));
        }
        let (_, histogram) = self.buckets.back_mut().expect("just pushed");
        histogram.saturating_record(value);
        if self.recent_ms.len() == RECENT {
            self.recent_ms.pop_front();
        }
        self.recent_ms.push_back(value as f32 / 1000.0);
    }

    /// Percentiles over the window ending at `now_mono_us`, in milliseconds.
    pub fn summary(&mut self, now_mono_us: i64) -> Option<LatencySummary> {
        let kind = self.kind?;
        let oldest = now_mono_us.div_euclid(1_000_000) - WINDOW_S + 1;
        self.merged.reset();
        for (second, histogram) in &self.buckets {
            if *second >= oldest {
                self.merged.add(histogram).expect("same bounds");
            }
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
        })
    }

    pub fn kind(&self) -> Option<LatencyKind> {
        self.kind
    }

    pub fn negative(&self) -> u64 {
        self.negative
    }

    /// The most recent latencies, oldest first, in milliseconds.
    pub fn recent_ms(&self) -> impl Iterator<Item = f32> + '_ {
        self.recent_ms.iter().copied()
    }

    /// Forgets everything (a sender restart starts a new device clock).
    pub fn clear(&mut self) {
        self.buckets.clear();
        self.min_delay_us = None;
        self.recent_ms.clear();
        self.kind = None;
    }
}

fn new_histogram() -> Histogram<u32> {
    // Two significant digits: 1 % resolution, ~13 KB per histogram.
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
}
