//! A check's measured interval, kept where every frame passes: settling starts at the first
//! frame, measuring when the stream has run `settle` seconds, and the interval ends after
//! `measure` seconds of the stream or frames. Stream seconds are what the frames stand for,
//! so a recording replayed as fast as it can be is measured as the board sent it.

use crate::snapshot::{MeasurementPhase, MeasurementProgress};
use crate::stats::Counters;
use crate::vocabulary::{Measure, MeasureWindow};

/// Stream seconds are sums of spans: a boundary reached to within this is reached.
const EPSILON_S: f64 = 1e-9;

#[derive(Clone, Debug)]
pub struct Measurement {
    window: MeasureWindow,
    phase: MeasurementPhase,
    /// The stream's seconds when settling started.
    settle_from: f64,
    /// The totals and the stream's seconds when measuring started.
    start: Option<(Counters, f64)>,
}

impl Measurement {
    pub fn new(window: MeasureWindow) -> Self {
        Self {
            window,
            phase: MeasurementPhase::Waiting,
            settle_from: 0.0,
            start: None,
        }
    }

    /// One accepted frame: the stream had run `before` seconds, `after` with it, and the
    /// totals are `counters` with it. The frame that completes a phase belongs to it.
    /// Returns whether measuring starts with the next frame.
    pub fn frame(&mut self, before: f64, after: f64, counters: &Counters) -> bool {
        let was_measuring = self.phase == MeasurementPhase::Measuring;
        self.advance(before, after, counters);
        !was_measuring && self.phase == MeasurementPhase::Measuring
    }

    fn advance(&mut self, before: f64, after: f64, counters: &Counters) {
        match self.phase {
            MeasurementPhase::Waiting => {
                self.phase = MeasurementPhase::Settling;
                self.settle_from = before;
                self.settled(after, counters);
            }
            MeasurementPhase::Settling => self.settled(after, counters),
            MeasurementPhase::Measuring => {
                let (start, from) = self.start.expect("measuring has a start");
                let done = match self.window.measure {
                    Measure::Time(d) => after - from >= d.as_secs_f64() - EPSILON_S,
                    Measure::Frames(n) => counters.frames.saturating_sub(start.frames) >= n,
                };
                if done {
                    self.phase = MeasurementPhase::Done;
                }
            }
            MeasurementPhase::Done => {}
        }
    }

    fn settled(&mut self, after: f64, counters: &Counters) {
        if after - self.settle_from >= self.window.settle.as_secs_f64() - EPSILON_S {
            self.phase = MeasurementPhase::Measuring;
            self.start = Some((*counters, after));
        }
    }

    pub fn is_done(&self) -> bool {
        self.phase == MeasurementPhase::Done
    }

    /// The totals were reset (the `r` key): the measurement starts over.
    pub fn restart(&mut self) {
        *self = Self::new(self.window);
    }

    pub fn progress(&self) -> MeasurementProgress {
        MeasurementProgress {
            window: self.window,
            phase: self.phase,
            settle_from: self.settle_from,
            start: self.start,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn frames(n: u64) -> Counters {
        Counters {
            frames: n,
            ..Counters::default()
        }
    }

    /// 20 ms frames: settling 0.1 s from the first frame, then 0.2 s measured.
    #[test]
    fn phases_follow_the_streams_seconds() {
        let mut m = Measurement::new(MeasureWindow {
            settle: Duration::from_millis(100),
            measure: Measure::Time(Duration::from_millis(200)),
        });
        assert_eq!(m.progress().phase, MeasurementPhase::Waiting);
        let mut phases = Vec::new();
        for i in 0..20u64 {
            let (before, after) = (i as f64 * 0.02, (i + 1) as f64 * 0.02);
            m.frame(before, after, &frames(i + 1));
            phases.push(m.progress().phase);
        }
        use MeasurementPhase::*;
        // Frame 5 (to 0.1 s) completes settling; frame 15 (to 0.3 s) completes measuring.
        assert_eq!(phases[3], Settling);
        assert_eq!(phases[4], Measuring);
        assert_eq!(m.progress().start.unwrap().0.frames, 5);
        assert_eq!(phases[13], Measuring);
        assert_eq!(phases[14], Done);
        assert!(m.is_done());
        let progress = m.progress();
        assert_eq!(progress.measured_frames(&frames(15)), 10);
        assert!((progress.measured_seconds(0.3) - 0.2).abs() < 1e-9);
    }

    #[test]
    fn by_frames_and_starting_over() {
        let mut m = Measurement::new(MeasureWindow {
            settle: Duration::ZERO,
            measure: Measure::Frames(3),
        });
        m.frame(0.0, 0.0, &frames(1));
        assert_eq!(m.progress().phase, MeasurementPhase::Measuring);
        m.frame(0.0, 0.0, &frames(2));
        m.frame(0.0, 0.0, &frames(3));
        assert!(!m.is_done());
        m.frame(0.0, 0.0, &frames(4));
        assert!(m.is_done());
        m.restart();
        assert_eq!(m.progress().phase, MeasurementPhase::Waiting);
    }
}
