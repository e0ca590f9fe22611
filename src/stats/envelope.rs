//! The lower envelope of one-way delays, for latency against a device clock.
//!
//! A board stamps frames with its own clock (µs since boot). The delay `arrival − stamp`
//! then holds an unknown offset, and, since no two crystals agree, a term that grows with
//! time: an STM32 on its internal RC oscillator runs up to 1 % off, 10 ms a second. The
//! frames that met no queue lie on a line under all the others, `offset + skew × t`; every
//! other frame lies above it by its real extra latency. The line is estimated as in Moon,
//! Skelly and Towsley, "Estimation and removal of clock skew from network delay
//! measurements" (INFOCOM 1999): of all lines under every point, the one that minimises the
//! summed distance to the points — an edge of the lower convex hull, the one spanning the
//! points' mean time. Late frames lie above it, so a burst of them cannot pull it up.
//!
//! Points are the smallest delay of each [`SLOT_US`] slot of arrival time, over
//! [`SPAN_US`]: bounded memory whatever the frame rate, and a skew estimate that sees a
//! minute of drift.

use std::collections::VecDeque;

/// One envelope point per this much arrival time.
pub const SLOT_US: i64 = 100_000;
/// The envelope covers this much arrival time.
pub const SPAN_US: i64 = 60_000_000;
/// A clock off by more than this is not a crystal or an RC oscillator: the fit is held to it.
pub const MAX_SKEW: f64 = 0.02;
/// The skew is told as a figure once the envelope spans this long: the envelope's own
/// wander (a fraction of a millisecond) over 20 s is some 25 ppm, under a crystal's error.
pub const SKEW_KNOWN_AFTER_US: i64 = 20_000_000;

/// `delay(t) = offset + skew × (t − t0)`, in µs, fitted over `span_us` of arrivals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Line {
    t0: i64,
    offset: f64,
    skew: f64,
    span_us: i64,
}

impl Line {
    pub fn at(&self, t: i64) -> f64 {
        self.offset + self.skew * (t - self.t0) as f64
    }

    /// How fast the delay grows, µs per µs: a device clock that runs slow makes it positive.
    pub fn skew(&self) -> f64 {
        self.skew
    }

    /// The skew, once the fit spans long enough for it to mean something as a figure.
    pub fn known_skew(&self) -> Option<f64> {
        (self.span_us >= SKEW_KNOWN_AFTER_US).then_some(self.skew)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Envelope {
    /// (slot, arrival µs, smallest delay µs in the slot), oldest first.
    points: VecDeque<(i64, i64, i64)>,
    /// Scratch for the hull, kept to avoid an allocation per fit.
    hull: Vec<(f64, f64)>,
}

impl Envelope {
    pub fn add(&mut self, arrival_us: i64, delay_us: i64) {
        let slot = arrival_us.div_euclid(SLOT_US);
        match self.points.back_mut() {
            Some((last, t, d)) if *last == slot => {
                if delay_us < *d {
                    (*t, *d) = (arrival_us, delay_us);
                }
            }
            _ => self.points.push_back((slot, arrival_us, delay_us)),
        }
        let oldest = slot - SPAN_US / SLOT_US;
        while self.points.front().is_some_and(|(s, _, _)| *s < oldest) {
            self.points.pop_front();
        }
    }

    pub fn clear(&mut self) {
        self.points.clear();
    }

    /// The line under every point, nearest to them on the whole; `None` with no points.
    pub fn fit(&mut self) -> Option<Line> {
        let &(_, t0, d0) = self.points.front()?;
        // Relative to the first point: µs since boot and offsets of days stay exact in f64.
        let relative = self
            .points
            .iter()
            .map(|&(_, t, d)| ((t - t0) as f64, d.saturating_sub(d0) as f64));
        lower_hull(relative, &mut self.hull);
        let n = self.points.len() as f64;
        let mean_t = self
            .points
            .iter()
            .map(|&(_, t, _)| (t - t0) as f64)
            .sum::<f64>()
            / n;
        let skew = self
            .hull
            .windows(2)
            .find(|edge| edge[1].0 >= mean_t)
            .map_or(0.0, |edge| {
                (edge[1].1 - edge[0].1) / (edge[1].0 - edge[0].0)
            });
        let skew = if skew.is_finite() {
            skew.clamp(-MAX_SKEW, MAX_SKEW)
        } else {
            0.0
        };
        // The line with that slope through the lowest point (a hull vertex when unclamped).
        let offset = self
            .points
            .iter()
            .map(|&(_, t, d)| d.saturating_sub(d0) as f64 - skew * (t - t0) as f64)
            .fold(f64::INFINITY, f64::min);
        let span_us = self.points.back().map_or(0, |&(_, t, _)| t - t0);
        Some(Line {
            t0,
            offset: offset + d0 as f64,
            skew,
            span_us,
        })
    }
}

/// The lower convex hull of points sorted by x (Andrew's monotone chain), into `hull`.
fn lower_hull(points: impl Iterator<Item = (f64, f64)>, hull: &mut Vec<(f64, f64)>) {
    hull.clear();
    for p in points {
        while hull.len() >= 2 {
            let (a, b) = (hull[hull.len() - 2], hull[hull.len() - 1]);
            // Drop b unless a → b → p turns left (b lies strictly under the chord a–p).
            let cross = (b.0 - a.0) * (p.1 - a.1) - (b.1 - a.1) * (p.0 - a.0);
            if cross <= 0.0 {
                hull.pop();
            } else {
                break;
            }
        }
        if hull.last().is_some_and(|last| last.0 == p.0) {
            // Same time: keep the lower.
            if p.1 < hull[hull.len() - 1].1 {
                hull.pop();
            } else {
                continue;
            }
        }
        hull.push(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Delays of a feed whose device clock runs `skew` off, one frame every `step_us`, with
    /// `extra(i)` µs of real latency on frame i.
    fn feed(skew: f64, frames: i64, step_us: i64, mut extra: impl FnMut(i64) -> i64) -> Envelope {
        let mut envelope = Envelope::default();
        for i in 0..frames {
            let t = 5_000_000 + i * step_us;
            let device = 1_000_000_000_000 + ((t as f64) * (1.0 - skew)) as i64;
            envelope.add(t, t - device + 700 + extra(i));
        }
        envelope
    }

    #[test]
    fn the_line_follows_a_drifting_clock_under_noise() {
        for skew in [-0.02, -0.01, -0.0001, 0.0, 0.00005, 0.01, 0.02] {
            let mut rng = fastrand::Rng::with_seed(3);
            let mut envelope = feed(skew, 3000, 21_333, |_| (rng.f64().powi(4) * 3000.0) as i64);
            let line = envelope.fit().expect("a line");
            assert!(
                (line.skew() - skew).abs() < 2e-5,
                "skew {skew}: fitted {}",
                line.skew()
            );
        }
    }

    #[test]
    fn a_burst_of_late_frames_does_not_lift_the_line() {
        // 64 s at 47 frames/s; frames 1000 to 1100 (about 2 s) 30 ms late.
        let mut envelope = feed(0.01, 3000, 21_333, |i| {
            if (1000..1100).contains(&i) { 30_000 } else { 0 }
        });
        let line = envelope.fit().expect("a line");
        assert!((line.skew() - 0.01).abs() < 1e-6, "{}", line.skew());
        let t = 5_000_000 + 1050 * 21_333;
        let device = 1_000_000_000_000 + ((t as f64) * 0.99) as i64;
        let late = (t - device + 700 + 30_000) as f64 - line.at(t);
        assert!((late - 30_000.0).abs() < 5.0, "the burst reads {late} µs");
    }

    #[test]
    fn more_skew_than_any_crystal_is_held_to_the_limit() {
        let mut envelope = feed(0.2, 600, 21_333, |_| 0);
        let line = envelope.fit().expect("a line");
        assert_eq!(line.skew(), MAX_SKEW);
        // Still under every point.
        for i in 0..600 {
            let t = 5_000_000 + i * 21_333;
            let device = 1_000_000_000_000 + ((t as f64) * 0.8) as i64;
            assert!(line.at(t) <= (t - device + 700) as f64 + 1e-6);
        }
    }

    #[test]
    fn one_point_is_a_flat_line_and_old_points_age_out() {
        let mut envelope = Envelope::default();
        assert_eq!(envelope.fit(), None);
        envelope.add(0, 500);
        let line = envelope.fit().unwrap();
        assert_eq!((line.at(0), line.skew()), (500.0, 0.0));
        // A minute later a much larger delay is all that is left.
        envelope.add(SPAN_US + 2 * SLOT_US, 90_000);
        envelope.add(SPAN_US + 3 * SLOT_US, 90_000);
        assert_eq!(envelope.fit().unwrap().at(SPAN_US + 2 * SLOT_US), 90_000.0);
    }
}
