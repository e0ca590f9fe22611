//! Statistics of the stream: counters, sequence gaps, latency, jitter and rates.

pub mod envelope;
pub mod jitter;
pub mod latency;
pub mod rates;
pub mod sequence;

use serde::Serialize;

use crate::clock::Arrival;
use crate::frame::{Frame, Payload};
use jitter::Jitter;
use latency::{LatencySummary, LatencyWindow};
pub use rates::{RateMeter, RateReadings, Rates};
use sequence::{SeqTracker, SeqVerdict};

/// Totals since start (or since the last reset).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// Frames accepted (duplicates are not).
    pub frames: u64,
    /// Samples accepted, all channels.
    pub samples: u64,
    /// Bytes read from the source, good or bad.
    pub bytes: u64,
    pub bad_frames: u64,
    /// Well-formed input that is not data (other SSE event types).
    pub ignored: u64,
    /// Frames whose seq was already seen (replayed after a reconnect).
    pub duplicates: u64,
    pub dropped: u64,
    pub reconnects: u64,
    /// Times the sender started its seq over.
    pub restarts: u64,
}

impl Counters {
    /// What was counted since `earlier` (totals of the same run, taken before these).
    pub fn since(&self, earlier: &Counters) -> Counters {
        Counters {
            frames: self.frames.saturating_sub(earlier.frames),
            samples: self.samples.saturating_sub(earlier.samples),
            bytes: self.bytes.saturating_sub(earlier.bytes),
            bad_frames: self.bad_frames.saturating_sub(earlier.bad_frames),
            ignored: self.ignored.saturating_sub(earlier.ignored),
            duplicates: self.duplicates.saturating_sub(earlier.duplicates),
            dropped: self.dropped.saturating_sub(earlier.dropped),
            reconnects: self.reconnects.saturating_sub(earlier.reconnects),
            restarts: self.restarts.saturating_sub(earlier.restarts),
        }
    }
}

#[derive(Default)]
pub struct Stats {
    counters: Counters,
    seq: SeqTracker,
    latency: LatencyWindow,
    jitter: Jitter,
    /// Sender time in µs counted in samples, for frames that carry no timestamp.
    sample_clock_us: f64,
}

impl Stats {
    pub fn new() -> Self {
        Self {
            seq: SeqTracker::new(),
            ..Self::default()
        }
    }

    pub fn counters(&self) -> Counters {
        Counters {
            dropped: self.seq.dropped(),
            restarts: self.seq.restarts(),
            ..self.counters
        }
    }

    /// Frames accepted (checked per frame against `--frames`: no need for all the counters).
    pub fn frames(&self) -> u64 {
        self.counters.frames
    }

    pub fn add_bytes(&mut self, n: usize) {
        self.counters.bytes += n as u64;
    }

    pub fn add_bad(&mut self) {
        self.counters.bad_frames += 1;
    }

    pub fn add_ignored(&mut self) {
        self.counters.ignored += 1;
    }

    pub fn add_reconnect(&mut self) {
        self.counters.reconnects += 1;
    }

    /// Accounts for one frame; returns `false` for a duplicate, which must not be used again.
    /// `offset_us` corrects a Unix sender clock to ours (0 when unknown).
    pub fn add_frame(
        &mut self,
        frame: &Frame,
        sample_rate: Option<f64>,
        arrival: Arrival,
        offset_us: i64,
    ) -> bool {
        if let Some(seq) = frame.seq {
            match self.seq.observe(seq) {
                SeqVerdict::Duplicate => {
                    self.counters.duplicates += 1;
                    return false;
                }
                SeqVerdict::Restart => {
                    self.latency.clear();
                    self.jitter.reset();
                }
                _ => {}
            }
        }
        self.counters.frames += 1;
        // Jitter needs only the sender's spacing of frames: any constant offset between the
        // clocks cancels. Arrivals are read on the monotonic clock, so a step of this
        // machine's wall clock (NTP, a suspend) is not taken for jitter.
        let sent_us = match (&frame.payload, frame.sent_at, sample_rate) {
            (_, Some(sent), _) => {
                self.latency
                    .record(sent, arrival.mono_us, arrival.unix_us, offset_us);
                Some(sent.micros() as f64)
            }
            (Payload::Samples(_), None, Some(fs)) => {
                self.sample_clock_us += frame.count() as f64 * 1e6 / fs;
                Some(self.sample_clock_us)
            }
            _ => None,
        };
        if let Payload::Samples(values) = &frame.payload {
            self.counters.samples += values.len() as u64;
        }
        if let Some(sent_us) = sent_us {
            self.jitter.observe(arrival.mono_us as f64, sent_us);
        }
        true
    }

    pub fn latency(&mut self, now_mono_us: i64) -> Option<LatencySummary> {
        self.latency.summary(now_mono_us)
    }

    pub fn latency_window(&self) -> &LatencyWindow {
        &self.latency
    }

    pub fn jitter_ms(&self) -> Option<f64> {
        self.jitter.millis()
    }

    /// Starts every figure over (the `r` key).
    pub fn reset(&mut self) {
        *self = Self::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::SenderTime;

    #[test]
    fn a_step_of_this_machines_wall_clock_is_not_jitter() {
        let mut stats = Stats::new();
        for i in 0..100i64 {
            let frame = Frame {
                seq: Some(i as u32),
                sample_rate: Some(48_000.0),
                sent_at: Some(SenderTime::Unix(1_700_000_000_000_000 + i * 21_333)),
                channels: 1,
                payload: Payload::Samples(vec![0.0; 1024]),
                labels: None,
                resolution: None,
            };
            // Arrivals exactly 21.333 ms apart; at frame 50 NTP steps the wall clock 2 s back.
            let step = if i >= 50 { -2_000_000 } else { 0 };
            let arrival = Arrival {
                mono_us: 5_000_000 + i * 21_333,
                unix_us: 1_700_000_000_001_000 + i * 21_333 + step,
            };
            assert!(stats.add_frame(&frame, Some(48_000.0), arrival, 0));
        }
        assert_eq!(stats.jitter_ms(), Some(0.0));
    }
}
