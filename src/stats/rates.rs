//! Rates: frames, samples and bytes a second. One meter for every front end: the pipeline
//! keeps it, each snapshot carries its recent readings, and the screen, the page and the
//! reports all read the same number from them (three meters with three windows once showed
//! three rates for one feed).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::Counters;

/// Rates over an interval, per second.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Rates {
    pub frames_per_s: f64,
    pub samples_per_s: f64,
    pub bytes_per_s: f64,
}

impl Rates {
    /// The rates of what was counted between two totals `seconds` apart.
    pub fn between(earlier: &Counters, later: &Counters, seconds: f64) -> Rates {
        if seconds <= 0.0 {
            return Rates::default();
        }
        let per_s = |a: u64, b: u64| b.saturating_sub(a) as f64 / seconds;
        Rates {
            frames_per_s: per_s(earlier.frames, later.frames),
            samples_per_s: per_s(earlier.samples, later.samples),
            bytes_per_s: per_s(earlier.bytes, later.bytes),
        }
    }
}

/// Readings kept per window: enough that a rate's span is within 1/16 of the window.
const READINGS_PER_WINDOW: u32 = 16;

/// Totals read over the last window, so a rate can be taken at any time.
#[derive(Clone, Debug)]
pub struct RateMeter {
    window: Duration,
    readings: VecDeque<(Instant, Counters)>,
}

impl RateMeter {
    pub fn new(window: Duration) -> Self {
        Self {
            window: window.max(Duration::from_millis(1)),
            readings: VecDeque::new(),
        }
    }

    /// The totals at `now`. Readings closer together than a sixteenth of the window are not
    /// kept (the memory stays bounded however often this is called), and those older than
    /// the one at the window's start go.
    pub fn record(&mut self, now: Instant, counters: Counters) {
        let spacing = self.window / READINGS_PER_WINDOW;
        if self
            .readings
            .back()
            .is_some_and(|(t, _)| now.saturating_duration_since(*t) < spacing)
        {
            return;
        }
        self.readings.push_back((now, counters));
        while self.readings.len() > 2 && self.readings[1].0 + self.window <= now {
            self.readings.pop_front();
        }
    }

    /// Starts over (the totals were reset).
    pub fn clear(&mut self) {
        self.readings.clear();
    }

    /// What a snapshot carries to read rates from later: the readings kept, and the totals
    /// at `now` (which a reading may have been too close to the last to be kept).
    pub fn readings(&self, now: Instant, counters: Counters) -> RateReadings {
        let mut readings: Vec<(Instant, Counters)> = self.readings.iter().copied().collect();
        if readings.last().is_none_or(|(t, _)| *t < now) {
            readings.push((now, counters));
        }
        RateReadings {
            window: self.window,
            readings: readings.into(),
        }
    }
}

/// A meter's readings, frozen: rates over the window ending at any time after them.
#[derive(Clone, Debug, Default)]
pub struct RateReadings {
    window: Duration,
    readings: Arc<[(Instant, Counters)]>,
}

impl RateReadings {
    /// The window the rates are taken over.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// The rates over the window ending at `end` (at or after the last reading, whose totals
    /// still hold then): from the newest reading at or before the window's start (or the
    /// oldest there is), so the span is the window, or a little more, never less once the
    /// meter has run that long.
    pub fn over_window(&self, end: Instant) -> Rates {
        let Some((_, latest)) = self.readings.last() else {
            return Rates::default();
        };
        let start = end.checked_sub(self.window);
        let from = self
            .readings
            .iter()
            .rev()
            .find(|(t, _)| start.is_some_and(|s| *t <= s))
            .or(self.readings.first());
        match from {
            Some((t, counters)) if end > *t => {
                Rates::between(counters, latest, (end - *t).as_secs_f64())
            }
            _ => Rates::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(n: u64) -> Counters {
        Counters {
            frames: n,
            samples: 1024 * n,
            bytes: 2100 * n,
            ..Counters::default()
        }
    }

    /// 50 frames a second for 10 s, read every 20 ms: the rate over the last second is 50,
    /// and the meter keeps no more than a window's worth of readings.
    #[test]
    fn a_steady_feed_reads_its_rate_with_bounded_memory() {
        let t0 = Instant::now();
        let mut meter = RateMeter::new(Duration::from_secs(1));
        for i in 0..=500u64 {
            meter.record(t0 + Duration::from_millis(20 * i), frames(i));
        }
        let end = t0 + Duration::from_secs(10);
        let rates = meter.readings(end, frames(500)).over_window(end);
        assert!((rates.frames_per_s - 50.0).abs() < 1e-9, "{rates:?}");
        assert!((rates.samples_per_s - 51_200.0).abs() < 1e-6);
        assert!(meter.readings.len() <= READINGS_PER_WINDOW as usize + 2);
    }

    /// A burst then silence: a second after the last frame, the rate is zero.
    #[test]
    fn silence_reads_zero_once_a_window_has_passed() {
        let t0 = Instant::now();
        let mut meter = RateMeter::new(Duration::from_secs(1));
        for i in 0..=50u64 {
            meter.record(t0 + Duration::from_millis(20 * i), frames(i));
        }
        let last = t0 + Duration::from_secs(1);
        let readings = meter.readings(last, frames(50));
        assert!(readings.over_window(last).frames_per_s > 45.0);
        // Half a window later, half the frames are in it.
        let half = readings.over_window(last + Duration::from_millis(500));
        assert!((half.frames_per_s - 25.0).abs() < 2.0, "{half:?}");
        let later = last + Duration::from_millis(1500);
        assert_eq!(readings.over_window(later).frames_per_s, 0.0);
    }

    /// Before a window has passed, the rate is over the time there is, not a window.
    #[test]
    fn a_young_meter_reads_over_the_time_it_has() {
        let t0 = Instant::now();
        let mut meter = RateMeter::new(Duration::from_secs(10));
        meter.record(t0, frames(0));
        let end = t0 + Duration::from_secs(2);
        let rates = meter.readings(end, frames(100)).over_window(end);
        assert!((rates.frames_per_s - 50.0).abs() < 1e-9, "{rates:?}");
        assert_eq!(RateReadings::default().over_window(end), Rates::default());
    }
}
