//! What a snapshot shares with the one before it: the scope's samples and the waterfall's
//! lines are copied anew only when they changed, and the figures that cost more than a copy
//! (latency percentiles over the window, the ADC measurement) are made anew only when due.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::analysis::adc::{AdcFigures, ImdFigures};
use crate::analysis::linearity::Linearity;
use crate::analysis::reference::ReferenceDelta;
use crate::analysis::sinefit::SineFit;
use crate::stats::latency::LatencySummary;

/// The costly figures are made anew at most this often: a screen's panel shows them twice a
/// second, a bench analyser updates its measurements a few times a second, and 30 snapshots
/// a second need not each pay for them.
pub const FIGURES_EVERY: Duration = Duration::from_millis(250);

/// A value handed to every snapshot until its version changes.
pub struct Shared<V, T: ?Sized> {
    kept: Option<(V, Arc<T>)>,
}

impl<V, T: ?Sized> Default for Shared<V, T> {
    fn default() -> Self {
        Self { kept: None }
    }
}

impl<V: PartialEq, T: ?Sized> Shared<V, T> {
    /// The value of `version`, made only when it is not the one kept.
    pub fn get(&mut self, version: V, make: impl FnOnce() -> Arc<T>) -> Arc<T> {
        match &self.kept {
            Some((kept, value)) if *kept == version => value.clone(),
            _ => {
                let value = make();
                self.kept = Some((version, value.clone()));
                value
            }
        }
    }

    pub fn clear(&mut self) {
        self.kept = None;
    }
}

/// What a snapshot carries that is costly to make.
#[derive(Clone)]
pub struct Figures {
    pub latency: Option<LatencySummary>,
    pub latency_recent: Arc<[f32]>,
    pub adc: Option<AdcFigures>,
    pub imd: Option<ImdFigures>,
    pub linearity: Option<Linearity>,
    pub sinefit: Option<SineFit>,
    pub reference_delta: Option<ReferenceDelta>,
}

/// The figures last made, when, and from how many frames.
#[derive(Default)]
pub struct FiguresCache {
    kept: Option<(Instant, u64, Figures)>,
}

impl FiguresCache {
    /// The figures at `now` with `frames` accepted: those kept while younger than
    /// [`FIGURES_EVERY`] and made from no more frames than there are (a reset starts them
    /// over), else made anew.
    pub fn get(&mut self, now: Instant, frames: u64, make: impl FnOnce() -> Figures) -> Figures {
        let fresh_enough = self.kept.as_ref().is_some_and(|(at, made_from, _)| {
            now.saturating_duration_since(*at) < FIGURES_EVERY && frames >= *made_from
        });
        if !fresh_enough {
            self.kept = Some((now, frames, make()));
        }
        self.kept.as_ref().expect("just set").2.clone()
    }

    /// The figures of old settings are not those of the new: the next are made anew.
    pub fn clear(&mut self) {
        self.kept = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_value_is_made_once_per_version() {
        let mut shared: Shared<u64, [f32]> = Shared::default();
        let mut made = 0;
        let mut get = |v: u64, shared: &mut Shared<u64, [f32]>| {
            shared.get(v, || {
                made += 1;
                Arc::from(vec![v as f32])
            })
        };
        let a = get(1, &mut shared);
        let b = get(1, &mut shared);
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(get(2, &mut shared)[0], 2.0);
        shared.clear();
        get(2, &mut shared);
        assert_eq!(made, 3);
    }

    #[test]
    fn figures_are_remade_when_due_or_when_the_frames_went_back() {
        let t0 = Instant::now();
        let mut cache = FiguresCache::default();
        let mut made = 0;
        let mut get = |at: Duration, frames: u64, cache: &mut FiguresCache| {
            cache.get(t0 + at, frames, || {
                made += 1;
                Figures {
                    latency: None,
                    latency_recent: Arc::new([]),
                    adc: None,
                    imd: None,
                    linearity: None,
                    sinefit: None,
                    reference_delta: None,
                }
            });
        };
        get(Duration::ZERO, 10, &mut cache);
        get(Duration::from_millis(100), 20, &mut cache);
        get(Duration::from_millis(120), 5, &mut cache); // a reset
        get(Duration::from_millis(400), 30, &mut cache); // due
        assert_eq!(made, 3);
    }
}
