//! The scope's trigger and time base, as on a bench oscilloscope: a rising or falling edge
//! at a level, with hysteresis so noise on a slow edge does not trigger twice; auto mode
//! runs free when nothing triggers, normal mode keeps the last triggered sweep. Pure: the
//! trace in, the sweep to draw out.

use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Edge {
    #[default]
    Rising,
    Falling,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum TriggerMode {
    /// Free-running when nothing triggers, so a flat or absent signal is still seen.
    #[default]
    Auto,
    /// Only triggered sweeps; the last one stays until the next.
    Normal,
}

/// The hysteresis band: the signal must have been this far (full scale) on the far side of
/// the level before a crossing counts.
pub const HYSTERESIS: f32 = 0.02;
/// The trigger point sits this far into the sweep (pre-trigger), as a share of its width.
pub const PRE_TRIGGER: f64 = 0.1;
pub const MIN_SAMPLES_PER_COLUMN: usize = 1;
pub const MAX_SAMPLES_PER_COLUMN: usize = 256;

/// What the screen draws: `width` samples from `start` of `samples`; `trigger` is the
/// trigger's index in `samples` when the sweep was triggered.
#[derive(Clone, Debug, PartialEq)]
pub struct Sweep {
    pub samples: Arc<[f32]>,
    pub start: usize,
    pub width: usize,
    pub trigger: Option<usize>,
}

impl Sweep {
    pub fn shown(&self) -> &[f32] {
        let end = (self.start + self.width).min(self.samples.len());
        &self.samples[self.start.min(end)..end]
    }
}

#[derive(Clone, Debug)]
pub struct Scope {
    pub edge: Edge,
    pub mode: TriggerMode,
    /// Full-scale units.
    pub level: f32,
    pub samples_per_column: usize,
    sweep: Option<Sweep>,
}

impl Default for Scope {
    fn default() -> Self {
        Self {
            edge: Edge::Rising,
            mode: TriggerMode::Auto,
            level: 0.0,
            samples_per_column: 4,
            sweep: None,
        }
    }
}

impl Scope {
    /// The sweep to draw, if any.
    pub fn sweep(&self) -> Option<&Sweep> {
        self.sweep.as_ref()
    }

    /// A new trace came: triggers on it for a screen `columns` wide.
    pub fn update(&mut self, trace: &Arc<[f32]>, columns: usize) {
        let width = (columns * self.samples_per_column).min(trace.len());
        if width == 0 {
            return;
        }
        let pre = (width as f64 * PRE_TRIGGER) as usize;
        // The latest crossing with a whole sweep after its pre-trigger part.
        let searched = pre..trace.len().saturating_sub(width - pre) + 1;
        let found = find_trigger(trace, self.level, self.edge, searched);
        self.sweep = match (found, self.mode) {
            (Some(t), _) => Some(Sweep {
                samples: trace.clone(),
                start: t - pre,
                width,
                trigger: Some(t),
            }),
            (None, TriggerMode::Auto) => Some(Sweep {
                samples: trace.clone(),
                start: trace.len() - width,
                width,
                trigger: None,
            }),
            (None, TriggerMode::Normal) => self.sweep.take(),
        };
    }

    pub fn toggle_edge(&mut self) {
        self.edge = match self.edge {
            Edge::Rising => Edge::Falling,
            Edge::Falling => Edge::Rising,
        };
    }

    pub fn toggle_mode(&mut self) {
        self.mode = match self.mode {
            TriggerMode::Auto => TriggerMode::Normal,
            TriggerMode::Normal => TriggerMode::Auto,
        };
    }

    /// The level moved by `by` full scale, within ±1.
    pub fn move_level(&mut self, by: f32) {
        self.level = (self.level + by).clamp(-1.0, 1.0);
    }

    /// Twice (`longer`) or half as much time on screen.
    pub fn zoom(&mut self, longer: bool) {
        self.samples_per_column = if longer {
            self.samples_per_column * 2
        } else {
            self.samples_per_column / 2
        }
        .clamp(MIN_SAMPLES_PER_COLUMN, MAX_SAMPLES_PER_COLUMN);
    }
}

/// The last index in `within` where the signal crosses `level` on `edge`, having been at
/// least [`HYSTERESIS`] on the other side since the previous crossing.
pub fn find_trigger(
    samples: &[f32],
    level: f32,
    edge: Edge,
    within: std::ops::Range<usize>,
) -> Option<usize> {
    let (start, end) = (within.start, within.end.min(samples.len()));
    if start >= end {
        return None;
    }
    // Rising: armed below level − hysteresis, fires at or above the level. A falling edge is
    // a rising one of the signal upside down.
    let sign = match edge {
        Edge::Rising => 1.0,
        Edge::Falling => -1.0,
    };
    let level = sign * level;
    let mut is_armed = false;
    let mut last = None;
    // Arm on what comes before the searched part too, so its first crossing can count.
    for (i, &x) in samples.iter().enumerate().take(end) {
        let x = sign * x;
        if x < level - HYSTERESIS {
            is_armed = true;
        } else if is_armed && x >= level {
            is_armed = false;
            if i >= start {
                last = Some(i);
            }
        }
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(n: usize, period: f64, phase: f64) -> Vec<f32> {
        (0..n)
            .map(|i| (std::f64::consts::TAU * (i as f64 / period) + phase).sin() as f32)
            .collect()
    }

    #[test]
    fn a_rising_edge_is_found_where_the_wave_crosses_the_level_going_up() {
        // Period 100, a little ahead: rising through 0 just before 0, 100, 200 …, through
        // 0.5 a twelfth of a period later.
        let wave = sine(1000, 100.0, 0.01);
        assert_eq!(find_trigger(&wave, 0.0, Edge::Rising, 0..1000), Some(900));
        assert_eq!(find_trigger(&wave, 0.0, Edge::Rising, 0..850), Some(800));
        let at = find_trigger(&wave, 0.5, Edge::Rising, 0..1000).unwrap();
        assert_eq!(at, 909, "sin reaches 0.5 at 1/12 of a period");
        let falling = find_trigger(&wave, 0.0, Edge::Falling, 0..1000).unwrap();
        assert_eq!(falling, 950);
        assert_eq!(find_trigger(&wave, 1.5, Edge::Rising, 0..1000), None);
    }

    #[test]
    fn noise_on_the_level_does_not_trigger_twice() {
        // A slow ramp with ±1 % noise around the crossing: one trigger, not a burst.
        let mut rng = fastrand::Rng::with_seed(2);
        let ramp: Vec<f32> = (0..2000)
            .map(|i| (i as f32 / 1000.0 - 1.0) + 0.01 * (rng.f32() - 0.5))
            .collect();
        let first = find_trigger(&ramp, 0.0, Edge::Rising, 0..2000).unwrap();
        assert!((995..1006).contains(&first), "{first}");
        assert_eq!(
            find_trigger(&ramp, 0.0, Edge::Rising, first + 1..2000),
            None
        );
    }

    #[test]
    fn auto_runs_free_and_normal_keeps_the_last_triggered_sweep() {
        let mut scope = Scope::default();
        let wave: Arc<[f32]> = sine(4000, 97.0, 0.3).into();
        scope.update(&wave, 50);
        let sweep = scope.sweep().unwrap().clone();
        let t = sweep.trigger.expect("triggered");
        assert_eq!(sweep.start, t - 20, "10 % pre-trigger of 200 samples");
        assert!(wave[t] >= 0.0 && wave[t - 1] < 0.0);
        // A flat line: auto shows it, normal keeps the last sweep.
        let flat: Arc<[f32]> = vec![0.2f32; 4000].into();
        scope.update(&flat, 50);
        assert_eq!(scope.sweep().unwrap().trigger, None);
        assert_eq!(scope.sweep().unwrap().shown(), &flat[3800..]);
        scope.toggle_mode();
        scope.update(&wave, 50);
        scope.update(&flat, 50);
        assert!(
            scope.sweep().unwrap().trigger.is_some(),
            "normal mode holds"
        );
    }
}
