//! Single-tone ADC measurements (SPEC §7, after IEEE Std 1241): the fundamental, harmonics,
//! noise, SNR, THD, SINAD, ENOB and SFDR, from one averaged power spectrum.
//!
//! Units: the spectrum is in the analyser's units, where a bin right on a tone of amplitude A
//! reads A² (coherent gain corrected; 1.0 is a full-scale sine). A tone's A² is then the sum
//! of its lobe's bins over the same sum for the window's own transform at the tone's offset
//! (which corrects the scalloping of a tone between bins exactly), and white noise of
//! variance σ² sums, over all N/2 bins and divided by the window's noise bandwidth, to 2σ²:
//! the same units, so every ratio is a ratio of powers whatever the window.
//!
//! A tone between bins leaks a skirt far beyond its main lobe (Hann's falls 18 dB an octave,
//! a rectangular window's 6): counted as noise, it would cap SNR near 50 dB for Hann and far
//! lower for rect. The skirt's level is known from the window's transform, so the bins where
//! it stands above the noise are excluded like the lobe and counted at the noise's mean
//! level. When the skirt reaches too far for that (a rectangular window on a tone between
//! bins, Hamming's slow sidelobes on a good converter) the noise figures are withheld and
//! the reason given: a plausible wrong SNR is worse than none.

use super::WindowKind;
use super::peak::strongest_bin;

/// Harmonics counted by default: the 2nd to the 6th (`--harmonics 5`).
pub const DEFAULT_HARMONICS: usize = 5;
/// SPEC §7: no figures unless the fundamental stands 20 dB above the mean noise bin.
const MIN_TONE_OVER_NOISE: f64 = 100.0;
/// A skirt counts as leakage down to this fraction of the noise's median bin (13 dB under).
const SKIRT_UNDER_NOISE: f64 = 0.05;
/// A skirt may take at most this share of the bins on each side of its tone.
const MAX_SKIRT_SHARE: usize = 8;
/// A harmonic counts when it holds at least this many times the noise its lobe holds.
const DETECTED_OVER_NOISE: f64 = 1.0;

#[derive(Clone, Debug, PartialEq)]
pub struct Harmonic {
    /// Its order: 2 for the second harmonic.
    pub n: usize,
    /// Where it falls, folded into the first Nyquist zone, in (fractional) bins.
    pub bin: f64,
    /// Its level relative to the fundamental; `None` when it stands below the noise, or
    /// shares the lobe of DC, the fundamental or a lower harmonic (then it is not counted).
    pub dbc: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AdcFigures {
    pub fundamental_bin: f64,
    pub fundamental_dbfs: f64,
    pub snr_db: Option<f64>,
    /// `None` when no harmonic stands above the noise.
    pub thd_db: Option<f64>,
    pub sinad_db: Option<f64>,
    pub enob_bits: Option<f64>,
    pub enob_fs_bits: Option<f64>,
    pub sfdr_dbc: Option<f64>,
    /// The mean noise power per bin, in dBFS (what a rectangular window's bins would read).
    pub noise_floor_dbfs: Option<f64>,
    pub harmonics: Vec<Harmonic>,
    /// The strongest component other than the fundamental (for SFDR), in bins.
    pub spur_bin: Option<f64>,
    /// The window's leakage from the tone reaches too far to be told from noise: the noise
    /// figures (SNR, SINAD, ENOB, SFDR, the floor and THD) are withheld.
    pub leakage_limited: bool,
}

/// Measures, keeping its scratch space between calls (one per snapshot, not per frame).
#[derive(Clone, Debug, Default)]
pub struct AdcMeter {
    scratch: Vec<f32>,
}

/// A span of bins, both ends included.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Span {
    lo: usize,
    hi: usize,
}

impl Span {
    fn overlaps(self, other: Span) -> bool {
        self.lo <= other.hi && other.lo <= self.hi
    }
    fn contains(self, k: usize) -> bool {
        (self.lo..=self.hi).contains(&k)
    }
    fn len(self) -> usize {
        self.hi - self.lo + 1
    }
}

/// A harmonic, the lobe it takes, and whether it is told apart well enough to count.
struct Placed {
    harmonic: Harmonic,
    lobe: Span,
    counted: bool,
}

/// What the measurement works with: the spectrum, its window and size.
struct Spectrum<'a> {
    power: &'a [f32],
    window: WindowKind,
    /// The transform's length: twice the bins.
    n: usize,
    half_width: usize,
}

impl Spectrum<'_> {
    fn bins(&self) -> usize {
        self.power.len()
    }

    /// The lobe of half-width `half_width` around bin `k`, within the spectrum.
    fn lobe(&self, k: usize) -> Span {
        Span {
            lo: k.saturating_sub(self.half_width),
            hi: (k + self.half_width).min(self.bins() - 1),
        }
    }

    fn sum(&self, span: Span) -> f64 {
        self.power[span.lo..=span.hi]
            .iter()
            .map(|&p| f64::from(p))
            .sum()
    }

    /// The share of a tone's on-bin power that the window spreads into bin `k`, for a tone at
    /// `bin` (with its mirror image at −`bin`, which matters near DC).
    fn leakage(&self, k: usize, bin: f64) -> f64 {
        let k = k as f64;
        self.window.leakage(k - bin, self.n) + self.window.leakage(k + bin, self.n)
    }

    /// Where exactly the tone whose strongest bin is `k` lies: the offset toward the stronger
    /// neighbour at which the window's own transform gives the two bins' ratio (bisection;
    /// exact for a pure tone on any window, where a parabola through dB values is not).
    fn locate(&self, k: usize) -> Option<f64> {
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
        for _ in 0..40 {
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
    fn tone_power(&self, lobe: Span, bin: f64) -> f64 {
        let model: f64 = (lobe.lo..=lobe.hi).map(|k| self.leakage(k, bin)).sum();
        if model > 0.0 {
            self.sum(lobe) / model
        } else {
            0.0
        }
    }

    /// The lobe widened to where the tone's skirt falls under `floor`; `true` when it would
    /// have to reach further than a skirt may.
    fn skirt(&self, lobe: Span, bin: f64, power: f64, floor: f64) -> (Span, bool) {
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

/// `n` × `bin`, folded into 0…N/2 as an ADC aliases it.
fn fold(bin: f64, n: usize) -> f64 {
    let period = n as f64;
    let x = bin.rem_euclid(period);
    if x > period / 2.0 { period - x } else { x }
}

fn db(ratio: f64) -> f64 {
    10.0 * ratio.log10()
}

fn enob(sinad_db: f64) -> f64 {
    (sinad_db - 1.76) / 6.02
}

impl AdcMeter {
    /// The figures of the strongest tone of `power` (the averaged spectrum, made with
    /// `window`), counting `harmonics` harmonics; `None` by SPEC §7's rule (no spectrum,
    /// silence, or a fundamental less than 20 dB above the mean noise bin).
    pub fn measure(
        &mut self,
        power: &[f32],
        window: WindowKind,
        harmonics: usize,
    ) -> Option<AdcFigures> {
        let s = Spectrum {
            power,
            window,
            n: 2 * power.len(),
            half_width: window.main_lobe_half_width(),
        };
        let h = s.half_width;
        if s.bins() < 8 * h {
            return None;
        }
        // The fundamental: the strongest bin above DC's lobe, as the screen's peak.
        let (k0, _) = strongest_bin(power, h)?;
        let nu = s.locate(k0)?;
        let fundamental = s.lobe(k0);
        let a2 = s.tone_power(fundamental, nu);
        // The skirts end where they sink under the noise, judged by the median bin (which
        // tones and skirts barely move).
        self.scratch.clear();
        self.scratch.extend_from_slice(&power[h..]);
        let middle = self.scratch.len() / 2;
        let (_, &mut median, _) = self.scratch.select_nth_unstable_by(middle, f32::total_cmp);
        let floor = SKIRT_UNDER_NOISE * f64::from(median);
        let (fund_zone, fund_limited) = s.skirt(fundamental, nu, a2, floor);
        let dc_lobe = Span { lo: 0, hi: h - 1 };
        let (dc_zone, dc_limited) = s.skirt(dc_lobe, 0.0, f64::from(power[0]), floor);
        let limited = fund_limited || dc_limited;

        // Where each harmonic falls and which lobe it takes (out of the noise either way),
        // and whether it can be counted: not on DC's or the fundamental's main lobe (SPEC
        // §7), nor on a lower harmonic's. Within a skirt it can, once the skirt's share is
        // taken off below.
        let mut placed: Vec<Placed> = Vec::with_capacity(harmonics);
        for order in 2..=harmonics + 1 {
            let bin = fold(order as f64 * nu, s.n);
            let near = (bin.round() as usize).min(s.bins() - 1);
            let search = Span {
                lo: near.saturating_sub(1),
                hi: (near + 1).min(s.bins() - 1),
            };
            let (offset, _) = strongest_bin(&power[search.lo..=search.hi], 0)?;
            let lobe = s.lobe(search.lo + offset);
            let counted = !lobe.overlaps(dc_lobe)
                && !lobe.overlaps(fundamental)
                && !placed.iter().any(|other| other.lobe.overlaps(lobe));
            placed.push(Placed {
                harmonic: Harmonic {
                    n: order,
                    bin,
                    dbc: None,
                },
                lobe,
                counted,
            });
        }

        // Noise: every bin outside the excluded zones; those inside count at its mean.
        let excluded = |k: usize| {
            dc_zone.contains(k)
                || fund_zone.contains(k)
                || placed.iter().any(|p| p.lobe.contains(k))
        };
        let (sum, count) = (0..s.bins())
            .filter(|&k| !excluded(k))
            .fold((0.0, 0usize), |(sum, count), k| {
                (sum + f64::from(power[k]), count + 1)
            });
        if count < s.bins() / 4 || sum <= 0.0 {
            return None;
        }
        let noise_mean = sum / count as f64;
        if f64::from(power[k0]) < MIN_TONE_OVER_NOISE * noise_mean {
            return None;
        }
        let enbw = window.enbw();
        let noise = noise_mean * s.bins() as f64 / enbw;

        // A harmonic's lobe holds noise, and where it falls in a skirt, the skirt: what is
        // left above both is the harmonic.
        let mut distortion = 0.0;
        let mut strongest_harmonic: Option<(f64, f64)> = None;
        for Placed {
            harmonic,
            lobe,
            counted,
        } in &mut placed
        {
            let lobe = *lobe;
            if !*counted {
                continue;
            }
            let skirts: f64 = (lobe.lo..=lobe.hi)
                .map(|k| a2 * s.leakage(k, nu) + f64::from(power[0]) * s.leakage(k, 0.0))
                .sum();
            let noise_held = noise_mean * lobe.len() as f64;
            let held = s.sum(lobe) - noise_held - skirts;
            if held >= DETECTED_OVER_NOISE * noise_held {
                let model: f64 = (lobe.lo..=lobe.hi)
                    .map(|k| s.leakage(k, harmonic.bin))
                    .sum();
                let p = held / model.max(f64::MIN_POSITIVE);
                distortion += p;
                if strongest_harmonic.is_none_or(|(_, q)| p > q) {
                    strongest_harmonic = Some((harmonic.bin, p));
                }
                harmonic.dbc = Some(db(p / a2));
            }
        }

        // The strongest other component: any bin outside DC's and the fundamental's zones,
        // or a harmonic found within a skirt.
        let spur = (0..s.bins())
            .filter(|&k| !dc_zone.contains(k) && !fund_zone.contains(k))
            .max_by(|&a, &b| power[a].total_cmp(&power[b]))
            .and_then(|k| {
                // Its strongest bin, corrected for where in the bin it lies (its lobe may
                // reach into the fundamental's).
                let bin = s.locate(k)?;
                let share = s.leakage(k, bin);
                (share > 0.0).then(|| (bin, f64::from(power[k]) / share))
            });
        let spur = match (spur, strongest_harmonic) {
            (Some(spur), Some(harmonic)) => Some(if harmonic.1 > spur.1 { harmonic } else { spur }),
            (spur, harmonic) => spur.or(harmonic),
        };

        let fundamental_dbfs = db(a2);
        let harmonics = placed.into_iter().map(|p| p.harmonic).collect();
        if limited {
            return Some(AdcFigures {
                fundamental_bin: nu,
                fundamental_dbfs,
                snr_db: None,
                thd_db: None,
                sinad_db: None,
                enob_bits: None,
                enob_fs_bits: None,
                sfdr_dbc: None,
                noise_floor_dbfs: None,
                harmonics,
                spur_bin: None,
                leakage_limited: true,
            });
        }
        let sinad_db = db(a2 / (noise + distortion));
        Some(AdcFigures {
            fundamental_bin: nu,
            fundamental_dbfs,
            snr_db: Some(db(a2 / noise)),
            thd_db: (distortion > 0.0).then(|| db(distortion / a2)),
            sinad_db: Some(sinad_db),
            enob_bits: Some(enob(sinad_db)),
            enob_fs_bits: Some(enob(sinad_db - fundamental_dbfs)),
            sfdr_dbc: spur.map(|(_, p)| db(a2 / p)),
            noise_floor_dbfs: Some(db(noise / s.bins() as f64)),
            harmonics,
            spur_bin: spur.map(|(bin, _)| bin),
            leakage_limited: false,
        })
    }
}

#[cfg(test)]
mod tests;
