//! The strongest component of a spectrum, interpolated between bins.

use super::power_to_db;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Peak {
    /// Fractional bin index.
    pub bin: f64,
    pub dbfs: f64,
}

/// A neighbour this far below the peak is not part of the same lobe: no interpolation.
const LOBE_DEPTH_DB: f64 = 60.0;

/// The strongest bin at or above `skip` (bins below it are DC and its leakage), refined by
/// a parabola through the dB values of it and its neighbours (exact for a Gaussian lobe,
/// close for the usual windows). A lone bin (a neighbour far below it, as a board's own
/// spectrum or an on-bin tone under a rectangular window gives) is not moved.
/// `None` for an empty or silent spectrum.
pub fn find_peak(power: &[f32], skip: usize) -> Option<Peak> {
    let (index, _) = strongest_bin(power, skip)?;
    interpolate(power, index)
}

/// The peak at bin `index`, refined by the parabola through it and its neighbours (when they
/// belong to its lobe); `None` when the bin holds nothing.
pub fn interpolate(power: &[f32], index: usize) -> Option<Peak> {
    let strongest = *power.get(index)?;
    if strongest <= 0.0 {
        return None;
    }
    let b = f64::from(power_to_db(strongest));
    let (Some(&left), Some(&right)) = (
        index.checked_sub(1).and_then(|i| power.get(i)),
        power.get(index + 1),
    ) else {
        return Some(Peak {
            bin: index as f64,
            dbfs: b,
        });
    };
    let (a, c) = (f64::from(power_to_db(left)), f64::from(power_to_db(right)));
    let curvature = a - 2.0 * b + c;
    let lone = a.min(c) < b - LOBE_DEPTH_DB;
    let offset = if curvature < 0.0 && !lone {
        (0.5 * (a - c) / curvature).clamp(-0.5, 0.5)
    } else {
        0.0
    };
    Some(Peak {
        bin: index as f64 + offset,
        dbfs: b - 0.25 * (a - c) * offset,
    })
}

/// The first strongest bin at or above `skip`: a lane-wise maximum (which vectorises),
/// then its first position.
pub fn strongest_bin(power: &[f32], skip: usize) -> Option<(usize, f32)> {
    let searched = power.get(skip..).filter(|p| !p.is_empty())?;
    // Thirty-two lanes, so that the vector comparisons in flight cover their latency; a
    // comparison, not `f32::max`, whose NaN rule keeps it from vectorising (powers are never
    // NaN).
    let mut lanes = [f32::MIN; 32];
    let chunks = searched.chunks_exact(32);
    let tail = chunks.remainder().iter().fold(f32::MIN, |m, &p| m.max(p));
    for chunk in chunks {
        for (lane, &p) in lanes.iter_mut().zip(chunk) {
            *lane = if p > *lane { p } else { *lane };
        }
    }
    let strongest = lanes.iter().fold(tail, |m, &p| m.max(p));
    let index = searched.iter().position(|&p| p == strongest)?;
    Some((skip + index, strongest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_bin_is_not_interpolated() {
        let mut power = vec![0.0; 64];
        power[10] = 1.0;
        power[11] = 0.25;
        let peak = find_peak(&power, 1).expect("peak");
        assert_eq!(peak.bin, 10.0);
        assert_eq!(peak.dbfs, 0.0);
    }

    #[test]
    fn skipped_bins_and_silence_are_not_peaks() {
        assert_eq!(find_peak(&[5.0, 0.0, 0.0], 1), None);
        assert_eq!(find_peak(&[], 0), None);
        let peak = find_peak(&[5.0, 0.0, 1.0], 1).expect("peak");
        assert_eq!(peak.bin, 2.0);
    }
}
