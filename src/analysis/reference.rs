//! A reference spectrum (a golden board's, from a CSV or taken from the live one) and how far
//! the live spectrum stands from it (SPEC §14): `reference_max_delta_db` is the largest
//! |live − reference| over the bins where either stands above its own noise floor.
//!
//! Only spectra of the same bin spacing are compared. A tone's lobe is as wide as a few bins
//! whatever the FFT, so interpolating a reference of another spacing onto the live bins would
//! set a lobe's flank against a peak and report decibels of difference the boards do not
//! have; the comparison is refused instead, with the two spacings named.

use std::sync::Arc;

use super::power_to_db;

/// A bin counts when it stands this far above its spectrum's floor (the median bin): a tone,
/// a harmonic, a spur; not the noise, whose bins wander by several dB either way.
pub const ABOVE_FLOOR_DB: f64 = 10.0;

/// Levels (dBFS) at frequencies, in Hz when the rate was known, else in bins.
#[derive(Clone, Debug, PartialEq)]
pub struct Reference {
    pub points: Arc<[(f64, f32)]>,
    pub in_hz: bool,
}

/// How far the live spectrum stands from the reference.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReferenceDelta {
    pub max_delta_db: f64,
    /// The worst bin, and its frequency when the rate is known.
    pub worst_bin: usize,
    pub worst_hz: Option<f64>,
}

impl Reference {
    /// The live averaged spectrum (linear power per bin) as a reference.
    pub fn from_spectrum(power: &[f32], bin_hz: Option<f64>) -> Self {
        let points = power
            .iter()
            .enumerate()
            .map(|(k, &p)| (k as f64 * bin_hz.unwrap_or(1.0), power_to_db(p)))
            .collect();
        Self {
            points,
            in_hz: bin_hz.is_some(),
        }
    }

    /// The spacing of its points (the median step: a CSV may miss a row).
    pub fn spacing(&self) -> Option<f64> {
        let mut steps: Vec<f64> = self.points.windows(2).map(|p| p[1].0 - p[0].0).collect();
        if steps.is_empty() {
            return None;
        }
        let middle = steps.len() / 2;
        Some(*steps.select_nth_unstable_by(middle, f64::total_cmp).1)
    }

    /// Linear power on `bins` bins `bin_hz` apart (NaN where the reference does not reach),
    /// or why the two cannot be compared: another bin spacing, or Hz against bins.
    pub fn on_bins(&self, bins: usize, bin_hz: Option<f64>) -> Result<Vec<f32>, String> {
        let step = match (self.in_hz, bin_hz) {
            (true, Some(hz)) => hz,
            (false, None) => 1.0,
            (true, None) => {
                return Err(
                    "the reference is in Hz and the live spectrum has no sample rate".into(),
                );
            }
            (false, Some(_)) => {
                return Err("the reference is in bins and the live spectrum in Hz".into());
            }
        };
        if let Some(spacing) = self.spacing()
            && ((spacing - step) / step).abs() > 1e-3
        {
            let unit = if self.in_hz { " Hz" } else { " bins" };
            return Err(format!(
                "the reference's bins are {spacing:.4}{unit} apart and the live ones {step:.4}{unit}: \
                 they are not compared (take the reference at this FFT size and rate)"
            ));
        }
        let points = &self.points;
        let mut out = Vec::with_capacity(bins);
        let mut i = 0;
        for k in 0..bins {
            let f = k as f64 * step;
            while i + 1 < points.len() && points[i + 1].0 < f {
                i += 1;
            }
            let level = match (points.get(i), points.get(i + 1)) {
                (Some(&(f0, l0)), _) if f0 == f => Some(l0),
                (Some(&(f0, l0)), Some(&(f1, l1))) if f0 <= f && f <= f1 => {
                    let share = if f1 > f0 { (f - f0) / (f1 - f0) } else { 0.0 };
                    Some(l0 + (l1 - l0) * share as f32)
                }
                _ => None,
            };
            out.push(level.map_or(f32::NAN, |db| 10f32.powf(db / 10.0)));
        }
        Ok(out)
    }
}

/// The largest |live − reference| (dB) over the bins above `from` where either stands
/// [`ABOVE_FLOOR_DB`] above its own floor; `None` when no bin does, or nothing overlaps.
pub fn delta(
    live: &[f32],
    reference: &[f32],
    from: usize,
    bin_hz: Option<f64>,
) -> Option<ReferenceDelta> {
    let db = |p: &[f32]| -> Vec<f64> { p.iter().map(|&x| f64::from(power_to_db(x))).collect() };
    let (live_db, reference_db) = (db(live), db(reference));
    let floor = |levels: &[f64]| {
        let mut known: Vec<f64> = levels.iter().copied().filter(|l| l.is_finite()).collect();
        if known.is_empty() {
            return None;
        }
        let middle = known.len() / 2;
        Some(*known.select_nth_unstable_by(middle, f64::total_cmp).1)
    };
    let (live_floor, reference_floor) = (floor(&live_db)?, floor(&reference_db)?);
    let mut worst: Option<(usize, f64)> = None;
    for k in from..live_db.len().min(reference_db.len()) {
        let (l, r) = (live_db[k], reference_db[k]);
        if !r.is_finite() {
            continue;
        }
        let stands_out = l >= live_floor + ABOVE_FLOOR_DB || r >= reference_floor + ABOVE_FLOOR_DB;
        let d = (l - r).abs();
        if stands_out && worst.is_none_or(|(_, w)| d > w) {
            worst = Some((k, d));
        }
    }
    worst.map(|(k, d)| ReferenceDelta {
        max_delta_db: d,
        worst_bin: k,
        worst_hz: bin_hz.map(|b| k as f64 * b),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(levels: &[f32]) -> Vec<f32> {
        levels.iter().map(|d| 10f32.powf(d / 10.0)).collect()
    }

    /// A reference lands on live bins of its own spacing (past its end: nothing); another
    /// spacing is refused with both named.
    #[test]
    fn the_same_spacing_is_laid_over_and_another_is_refused() {
        let reference = Reference {
            points: (0..=4)
                .map(|k| (k as f64 * 100.0, -(k as f32) * 10.0))
                .collect(),
            in_hz: true,
        };
        let on = reference.on_bins(6, Some(100.0)).unwrap();
        let levels: Vec<f32> = on.iter().map(|&p| power_to_db(p)).collect();
        assert!((levels[2] + 20.0).abs() < 1e-3, "{levels:?}");
        assert!(on[5].is_nan(), "beyond the reference: {levels:?}");
        let finer = reference.on_bins(12, Some(50.0)).unwrap_err();
        assert!(
            finer.contains("100.0000 Hz apart and the live ones 50.0000 Hz"),
            "{finer}"
        );
        assert!(reference.on_bins(4, None).is_err(), "Hz against bins");
    }

    #[test]
    fn the_delta_is_the_worst_bin_that_stands_above_a_floor() {
        let mut live = vec![-100.0f32; 64];
        let mut golden = vec![-100.0f32; 64];
        live[10] = -6.0;
        golden[10] = -6.5;
        live[30] = -60.0;
        golden[30] = -62.0; // a harmonic 2 dB up
        live[40] = -94.0; // noise wandering: not counted
        let d = delta(&db(&live), &db(&golden), 2, Some(100.0)).unwrap();
        assert_eq!(d.worst_bin, 30);
        assert!((d.max_delta_db - 2.0).abs() < 1e-3, "{d:?}");
        assert_eq!(d.worst_hz, Some(3000.0));
        // A spur the reference does not have counts where the live one stands out.
        live[50] = -70.0;
        let d = delta(&db(&live), &db(&golden), 2, None).unwrap();
        assert_eq!(d.worst_bin, 50);
        assert_eq!(d.worst_hz, None);
    }
}
