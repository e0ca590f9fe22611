//! The spur table (SPEC §15): the strongest components besides the fundamental, each read at
//! its own level (its strongest bin over the window's transform where it lies, or, for a
//! harmonic measured as such, the power THD counts), a harmonic named by its order.

use super::lobes::{STANDS_OUT, Span, Spectrum};

/// The table holds at most this many.
pub const MAX_SPURS: usize = 10;

/// A component besides the fundamental.
#[derive(Clone, Debug, PartialEq)]
pub struct Spur {
    /// Where, in (fractional) bins.
    pub bin: f64,
    /// Its power relative to a full-scale sine's (a tone of amplitude A reads A²).
    pub power: f64,
    /// Its order, when it is a harmonic of the fundamental.
    pub harmonic: Option<usize>,
}

/// A harmonic as the single-tone measurement placed it.
pub struct Known {
    pub n: usize,
    pub bin: f64,
    pub lobe: Span,
    /// Its power when it was measured as a harmonic.
    pub power: Option<f64>,
}

/// The strongest components among the bins `allowed` (and the harmonics measured, even in a
/// skirt), strongest first, no two on one lobe. A top that stands out of the noise (`floor`
/// is its mean bin) is read where it lies between bins; one that does not is the noise's,
/// which has no place between bins to find: it is read as its bin holds it (locating costs
/// dozens of evaluations of the window's transform, and the noise has most of the tops).
pub fn find(
    s: &Spectrum,
    harmonics: &[Known],
    floor: f64,
    allowed: impl Fn(usize) -> bool,
) -> Vec<Spur> {
    let power = s.power;
    let higher_than =
        |k: usize, j: Option<usize>| j.is_none_or(|j| !allowed(j) || power[k] >= power[j]);
    // The local tops of the allowed bins, the strongest few by their bin (read at their own
    // level below, which moves them by a scallop's loss at most: a few more than the table
    // holds leave room for that), not every top of the noise.
    let mut tops: Vec<usize> = (0..s.bins())
        .filter(|&k| allowed(k))
        .filter(|&k| {
            higher_than(k, k.checked_sub(1))
                && higher_than(k, Some(k + 1).filter(|&j| j < s.bins()))
        })
        .collect();
    let read = (4 * MAX_SPURS).min(tops.len());
    if read < tops.len() {
        tops.select_nth_unstable_by(read, |&a, &b| power[b].total_cmp(&power[a]));
        tops.truncate(read);
    }
    let mut found: Vec<Spur> = tops
        .into_iter()
        .filter_map(|k| {
            // A harmonic's top is on its own bin, give or take one: another component in
            // its lobe's reach (a sweep passing by) is not it.
            let harmonic = harmonics
                .iter()
                .find(|h| h.lobe.contains(k) && (k as f64 - h.bin).abs() <= 1.0);
            if let Some(Known {
                n,
                bin,
                power: Some(p),
                ..
            }) = harmonic
            {
                return Some(Spur {
                    bin: *bin,
                    power: *p,
                    harmonic: Some(*n),
                });
            }
            if f64::from(power[k]) < STANDS_OUT * floor {
                return Some(Spur {
                    bin: k as f64,
                    power: f64::from(power[k]),
                    harmonic: harmonic.map(|h| h.n),
                });
            }
            // Corrected for where in the bin it lies (its lobe may reach a neighbour's).
            let bin = s.locate(k)?;
            let share = s.leakage(k, bin);
            (share > 0.0).then(|| Spur {
                bin,
                power: f64::from(power[k]) / share,
                harmonic: harmonic.map(|h| h.n),
            })
        })
        .collect();
    // A harmonic measured inside a skirt has no allowed bin of its own: it is still one.
    for h in harmonics {
        if let Some(p) = h.power
            && !found.iter().any(|f| f.harmonic == Some(h.n))
        {
            found.push(Spur {
                bin: h.bin,
                power: p,
                harmonic: Some(h.n),
            });
        }
    }
    found.sort_by(|a, b| b.power.total_cmp(&a.power));
    let reach = (s.half_width as f64).max(1.0);
    let mut kept: Vec<Spur> = Vec::with_capacity(MAX_SPURS);
    for spur in found {
        if kept.len() == MAX_SPURS {
            break;
        }
        if kept.iter().all(|k| (k.bin - spur.bin).abs() > reach) {
            kept.push(spur);
        }
    }
    kept
}
