//! Markers, as on a bench spectrum analyser: a marker that starts on the peak ("peak
//! search"), moves bin by bin or to the next lower peak ("next peak"), and reads frequency
//! and level there; and a delta marker, whose reference stays where the marker was, reading
//! the difference. Pure: positions and spectra in, readings out.

use crate::analysis::peak::interpolate;
use crate::analysis::power_to_db;

/// A peak is one that stands this far above the lowest point between it and any higher one
/// (an analyser's "peak excursion"): the noise floor's wiggles are not peaks.
pub const PEAK_EXCURSION_DB: f32 = 6.0;

/// Positions are kept as a share of the way from DC to Nyquist, so a marker keeps its
/// frequency when the FFT size changes.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Markers {
    active: Option<f64>,
    reference: Option<f64>,
}

/// What a marker reads: where (fractional bin) and how strong (dBFS).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reading {
    pub bin: f64,
    pub dbfs: f64,
}

fn bin_at(share: f64, bins: usize) -> usize {
    ((share * bins as f64).round() as usize).min(bins.saturating_sub(1))
}

fn share_of(bin: usize, bins: usize) -> f64 {
    bin as f64 / bins.max(1) as f64
}

impl Markers {
    pub fn is_on(&self) -> bool {
        self.active.is_some()
    }

    pub fn has_reference(&self) -> bool {
        self.reference.is_some()
    }

    /// On at the highest peak; or off (the delta marker with it).
    pub fn toggle(&mut self, power: &[f32], skip: usize) {
        if self.active.is_some() {
            *self = Self::default();
        } else {
            self.peak_search(power, skip);
        }
    }

    /// The marker to the highest peak (turned on if it was off).
    pub fn peak_search(&mut self, power: &[f32], skip: usize) {
        if let Some(&k) = peaks(power, skip).first() {
            self.active = Some(share_of(k, power.len()));
        }
    }

    /// The marker to the highest peak below the one it reads now; it stays on the lowest.
    pub fn next_peak(&mut self, power: &[f32], skip: usize) {
        let Some(here) = self.read(power).map(|(r, _)| r) else {
            return self.peak_search(power, skip);
        };
        let current = bin_at(self.active.unwrap_or(0.0), power.len());
        let lower = peaks(power, skip)
            .into_iter()
            .find(|&k| k != current && f64::from(power_to_db(power[k])) < here.dbfs - 1e-9);
        if let Some(k) = lower {
            self.active = Some(share_of(k, power.len()));
        }
    }

    /// The marker `by` bins along (negative: down), within the spectrum.
    pub fn step(&mut self, by: isize, power: &[f32]) {
        let Some(share) = self.active else { return };
        let bins = power.len();
        if bins == 0 {
            return;
        }
        let k = bin_at(share, bins).saturating_add_signed(by).min(bins - 1);
        self.active = Some(share_of(k, bins));
    }

    /// A reference where the marker is now (the marker then moves on its own); or none.
    pub fn toggle_delta(&mut self) {
        self.reference = match self.reference {
            Some(_) => None,
            None => self.active,
        };
    }

    /// The marker's reading and, with a delta marker, the reference's.
    pub fn read(&self, power: &[f32]) -> Option<(Reading, Option<Reading>)> {
        let active = read_at(power, self.active?)?;
        Some((active, self.reference.and_then(|r| read_at(power, r))))
    }
}

/// The level at a bin: interpolated between bins where it sits on a peak, the bin's own
/// value elsewhere.
fn read_at(power: &[f32], share: f64) -> Option<Reading> {
    if power.is_empty() {
        return None;
    }
    let k = bin_at(share, power.len());
    let left = k.checked_sub(1).map_or(0.0, |i| power[i]);
    let right = power.get(k + 1).copied().unwrap_or(0.0);
    if power[k] > 0.0 && power[k] >= left && power[k] >= right {
        let peak = interpolate(power, k)?;
        return Some(Reading {
            bin: peak.bin,
            dbfs: peak.dbfs,
        });
    }
    Some(Reading {
        bin: k as f64,
        dbfs: f64::from(power_to_db(power[k])),
    })
}

/// The peaks of `power` at or above bin `skip`, strongest first: local maxima standing
/// [`PEAK_EXCURSION_DB`] above the lowest point between them and anything higher.
pub fn peaks(power: &[f32], skip: usize) -> Vec<usize> {
    let db: Vec<f32> = power.iter().map(|&p| power_to_db(p)).collect();
    let n = db.len();
    let mut found: Vec<usize> = (skip.min(n)..n)
        .filter(|&k| {
            let left = k.checked_sub(1).map_or(f32::MIN, |i| db[i]);
            let right = db.get(k + 1).copied().unwrap_or(f32::MIN);
            db[k] > left && db[k] >= right
        })
        .filter(|&k| {
            let left = lowest_before_higher(&db, k, (skip.min(k)..k).rev());
            let right = lowest_before_higher(&db, k, k + 1..n);
            db[k] - left.max(right) >= PEAK_EXCURSION_DB
        })
        .collect();
    found.sort_by(|&a, &b| db[b].total_cmp(&db[a]));
    found
}

/// The lowest level met walking from `k` over `path` until a point higher than `k` (or the
/// edge).
fn lowest_before_higher(db: &[f32], k: usize, path: impl Iterator<Item = usize>) -> f32 {
    let mut lowest = db[k];
    for i in path {
        if db[i] > db[k] {
            break;
        }
        lowest = lowest.min(db[i]);
    }
    lowest
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A floor at −100 dB with tones at bins 10 (−6), 40 (−20) and 90 (−40), and a 2 dB
    /// wiggle of the floor at bin 60.
    fn spectrum() -> Vec<f32> {
        let mut db = vec![-100f32; 128];
        for (k, level) in [(10, -6.0), (40, -20.0), (90, -40.0)] {
            db[k] = level;
            db[k - 1] = level - 8.0;
            db[k + 1] = level - 8.0;
        }
        db[60] = -98.0;
        db.iter().map(|d| 10f32.powf(d / 10.0)).collect()
    }

    #[test]
    fn peaks_are_strongest_first_and_wiggles_are_not_peaks() {
        assert_eq!(peaks(&spectrum(), 1), [10, 40, 90]);
    }

    #[test]
    fn the_marker_starts_on_the_peak_and_walks_down_the_peaks() {
        let power = spectrum();
        let mut markers = Markers::default();
        markers.toggle(&power, 1);
        let (reading, reference) = markers.read(&power).unwrap();
        assert_eq!((reading.bin, reference), (10.0, None));
        assert!((reading.dbfs + 6.0).abs() < 1e-3);
        markers.next_peak(&power, 1);
        assert_eq!(markers.read(&power).unwrap().0.bin, 40.0);
        markers.next_peak(&power, 1);
        markers.next_peak(&power, 1);
        assert_eq!(
            markers.read(&power).unwrap().0.bin,
            90.0,
            "stays on the lowest"
        );
        markers.peak_search(&power, 1);
        assert_eq!(markers.read(&power).unwrap().0.bin, 10.0);
    }

    #[test]
    fn a_delta_marker_reads_the_difference_from_where_it_was_set() {
        let power = spectrum();
        let mut markers = Markers::default();
        markers.toggle(&power, 1);
        markers.toggle_delta();
        markers.next_peak(&power, 1);
        let (active, reference) = markers.read(&power).unwrap();
        let reference = reference.expect("a reference");
        assert_eq!(active.bin - reference.bin, 30.0);
        assert!((active.dbfs - reference.dbfs + 14.0).abs() < 1e-3);
        // Bin by bin, off the peak: the bin's own level.
        markers.step(2, &power);
        let (active, _) = markers.read(&power).unwrap();
        assert_eq!(active.bin, 42.0);
        assert!((active.dbfs + 100.0).abs() < 1e-3);
        markers.step(-1000, &power);
        assert_eq!(markers.read(&power).unwrap().0.bin, 0.0, "held at DC");
        markers.toggle(&power, 1);
        assert!(!markers.is_on() && !markers.has_reference());
    }

    #[test]
    fn a_marker_between_bins_on_a_peak_reads_the_interpolated_tone() {
        // A Hann lobe of a tone at bin 20.3: neighbours at the window's own levels.
        let mut power = vec![1e-12f32; 64];
        for (k, p) in power.iter_mut().enumerate().take(24).skip(17) {
            *p = crate::analysis::WindowKind::Hann.leakage(k as f64 - 20.3, 128) as f32;
        }
        let mut markers = Markers::default();
        markers.toggle(&power, 1);
        let (reading, _) = markers.read(&power).unwrap();
        assert!((reading.bin - 20.3).abs() < 0.05, "{reading:?}");
        assert!(reading.dbfs.abs() < 0.3, "{reading:?}");
    }
}
