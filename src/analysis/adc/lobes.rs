//! The window's own transform at work on a power spectrum: where a tone lies between bins,
//! how much power its lobe holds, how far its skirt reaches. What the single-tone and the
//! two-tone measurements are made of.

use super::super::WindowKind;

/// A skirt may take at most this share of the bins on each side of its tone.
const MAX_SKIRT_SHARE: usize = 8;
/// A component counts when it holds at least this many times the noise its lobe holds.
pub const DETECTED_OVER_NOISE: f64 = 1.0;

/// A span of bins, both ends included.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Span {
    pub lo: usize,
    pub hi: usize,
}

impl Span {
    pub fn overlaps(self, other: Span) -> bool {
        self.lo <= other.hi && other.lo <= self.hi
    }
    pub fn contains(self, k: usize) -> bool {
        (self.lo..=self.hi).contains(&k)
    }
    pub fn len(self) -> usize {
        self.hi - self.lo + 1
    }
}

/// A mask of `bins` bins, set over `spans`: a bin's question answered by an index, where a
/// closure walking every span for every bin costs as much as the measurement itself.
pub fn mask(bins: usize, spans: impl IntoIterator<Item = Span>) -> Vec<bool> {
    let mut set = vec![false; bins];
    for span in spans {
        let hi = span.hi.min(bins.saturating_sub(1));
        if span.lo <= hi {
            set[span.lo..=hi].fill(true);
        }
    }
    set
}

/// Which bins a measurement reads: the band, less the notches.
pub struct Bins {
    pub band: Span,
    pub notches: Vec<Span>,
}

impl Bins {
    /// `band` and `notches` (centre, half width) in bins, on a spectrum of `bins` bins.
    pub fn new(band: Option<(f64, f64)>, notches: &[(f64, f64)], bins: usize) -> Self {
        let last = bins.saturating_sub(1);
        let to_bin = |x: f64| (x.round().max(0.0) as usize).min(last);
        let band = match band {
            Some((lo, hi)) => Span {
                lo: to_bin(lo.min(hi)),
                hi: to_bin(lo.max(hi)),
            },
            None => Span { lo: 0, hi: last },
        };
        let notches = notches
            .iter()
            .map(|&(centre, half)| Span {
                lo: to_bin(centre - half.abs()),
                hi: to_bin(centre + half.abs()),
            })
            .collect();
        Self { band, notches }
    }

    pub fn in_band(&self, k: usize) -> bool {
        self.band.contains(k)
    }

    pub fn notched(&self, k: usize) -> bool {
        self.notches.iter().any(|n| n.contains(k))
    }
}

/// What the measurement works with: the spectrum, its window and size.
pub struct Spectrum<'a> {
    pub power: &'a [f32],
    pub window: WindowKind,
    /// The transform's length: twice the bins.
    pub n: usize,
    pub half_width: usize,
}

impl Spectrum<'_> {
    pub fn bins(&self) -> usize {
        self.power.len()
    }

    /// The lobe of half-width `half_width` around bin `k`, within the spectrum.
    pub fn lobe(&self, k: usize) -> Span {
        Span {
            lo: k.saturating_sub(self.half_width),
            hi: (k + self.half_width).min(self.bins() - 1),
        }
    }

    pub fn sum(&self, span: Span) -> f64 {
        self.power[span.lo..=span.hi]
            .iter()
            .map(|&p| f64::from(p))
            .sum()
    }

    /// The share of a tone's on-bin power that the window spreads into bin `k`, for a tone at
    /// `bin` (with its mirror image at −`bin`, which matters near DC).
    pub fn leakage(&self, k: usize, bin: f64) -> f64 {
        let k = k as f64;
        self.window.leakage(k - bin, self.n) + self.window.leakage(k + bin, self.n)
    }

    /// Where exactly the tone whose strongest bin is `k` lies: the offset toward the stronger
    /// neighbour at which the window's own transform gives the two bins' ratio (bisection;
    /// exact for a pure tone on any window, where a parabola through dB values is not).
    pub fn locate(&self, k: usize) -> Option<f64> {
        let here = f64::from(*self.power.get(k)?);
        if here <= 0.0 {
            return None;
        }
        let left = k.checked_sub(1).map_or(0.0, |i| f64::from(self.power[i]));
        let right = self.power.get(k + 1).map_or(0.0, |&p| f64::from(p));
        let (side, neighbour) = if right >= left {
            (1.0, right)
        } else {
            (-1.0, left)
        };
        let ratio = (neighbour / here).min(1.0);
        let model = |offset: f64| {
            let at = self.window.leakage(offset, self.n);
            if at > 0.0 {
                self.window.leakage(1.0 - offset, self.n) / at
            } else {
                f64::INFINITY
            }
        };
        // The model's ratio grows with the offset, from the window's at 0 to 1 at half a bin.
        let (mut lo, mut hi) = (0.0f64, 0.5f64);
        if ratio <= model(lo) {
            return Some(k as f64);
        }
        // 24 halvings: within 3e-8 of a bin, finer than any harmonic's place needs.
        for _ in 0..24 {
            let mid = 0.5 * (lo + hi);
            if model(mid) < ratio {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Some(k as f64 + side * 0.5 * (lo + hi))
    }

    /// A tone's A² from its lobe: the lobe's sum over the window's own sum there.
    pub fn tone_power(&self, lobe: Span, bin: f64) -> f64 {
        let model: f64 = (lobe.lo..=lobe.hi).map(|k| self.leakage(k, bin)).sum();
        if model > 0.0 {
            self.sum(lobe) / model
        } else {
            0.0
        }
    }

    /// The lobe widened to where the tone's skirt falls under `floor`; `true` when it would
    /// have to reach further than a skirt may.
    pub fn skirt(&self, lobe: Span, bin: f64, power: f64, floor: f64) -> (Span, bool) {
        let cap = self.bins() / MAX_SKIRT_SHARE;
        let above = |k: usize| power * self.leakage(k, bin) > floor;
        let mut zone = lobe;
        let mut limited = false;
        while zone.hi + 1 < self.bins() && above(zone.hi + 1) {
            if zone.hi - lobe.hi >= cap {
                limited = true;
                break;
            }
            zone.hi += 1;
        }
        while zone.lo > 0 && above(zone.lo - 1) {
            if lobe.lo - zone.lo >= cap {
                limited = true;
                break;
            }
            zone.lo -= 1;
        }
        (zone, limited)
    }
}

/// A bin this many times over the noise's mean stands out of it: a spur, not noise (an
/// averaged noise bin reaches 10 dB over its mean about once in 20 000 bins, unaveraged).
pub const STANDS_OUT: f64 = 10.0;

/// The noise of a band's bins outside `excluded`: the power they hold (spurs included: they
/// count in the noise, as SPEC §7 has it) and their count, and the floor's mean without the
/// lobes of the components that stand out of it. The excluded bins count at that floor: a
/// spur's power once, where a mean with the spur in it would count it again in every bin
/// excluded.
pub struct Noise {
    pub sum: f64,
    pub count: usize,
    pub floor: f64,
}

impl Noise {
    pub fn measure(s: &Spectrum, band: Span, excluded: impl Fn(usize) -> bool) -> Option<Self> {
        // Which bins of the band count, asked once a bin (the question walks every zone).
        let counted: Vec<bool> = (band.lo..=band.hi).map(|k| !excluded(k)).collect();
        let counts = |k: usize| k >= band.lo && k <= band.hi && counted[k - band.lo];
        let (sum, count) = (band.lo..=band.hi)
            .filter(|&k| counts(k))
            .fold((0.0, 0usize), |(sum, count), k| {
                (sum + f64::from(s.power[k]), count + 1)
            });
        if count == 0 || sum <= 0.0 {
            return None;
        }
        let mean = sum / count as f64;
        // The bins within a lobe of one that stands out: a bin does when any bin within a
        // half-width of it does (one pass, however many stand out).
        let threshold = (STANDS_OUT * mean) as f32;
        let h = s.half_width;
        let (mut clean_sum, mut clean_count) = (0.0, 0usize);
        let mut last_out: Option<usize> = None;
        // Past the band's end by a half-width, so its last bins are decided too (`counts`
        // is false out there: nothing past the spectrum is read).
        for k in band.lo..=band.hi + h {
            if counts(k) && s.power[k] > threshold {
                last_out = Some(k);
            }
            // Bin j = k − h is decided once bins up to j + h are seen.
            let Some(j) = k.checked_sub(h).filter(|&j| j >= band.lo) else {
                continue;
            };
            // The latest bin out (at most j + h) is within a lobe of j when it is not below j − h.
            let near_out = last_out.is_some_and(|o| o + h >= j);
            if counts(j) && !near_out {
                clean_sum += f64::from(s.power[j]);
                clean_count += 1;
            }
        }
        let floor = if clean_count * 2 >= count && clean_sum > 0.0 {
            clean_sum / clean_count as f64
        } else {
            mean
        };
        Some(Self { sum, count, floor })
    }

    /// The band's whole noise power, as its bins hold it (divide by the window's ENBW).
    pub fn total(&self, band: Span) -> f64 {
        self.sum + (band.len() - self.count) as f64 * self.floor
    }
}

/// `n` × `bin`, folded into 0…N/2 as an ADC aliases it.
pub fn fold(bin: f64, n: usize) -> f64 {
    let period = n as f64;
    let x = bin.rem_euclid(period);
    if x > period / 2.0 { period - x } else { x }
}

pub fn db(ratio: f64) -> f64 {
    10.0 * ratio.log10()
}

pub fn enob(sinad_db: f64) -> f64 {
    (sinad_db - 1.76) / 6.02
}
