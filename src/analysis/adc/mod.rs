//! ADC measurements from one averaged power spectrum (SPEC §7 and §15, after IEEE Std 1241):
//! for a single tone the fundamental, harmonics, noise (and its density), SNR, THD, SINAD,
//! ENOB, SFDR and the table of spurs; for two tones their intermodulation products (`imd`).
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

pub mod imd;
mod lobes;
mod spurs;

use super::WindowKind;
use super::peak::strongest_bin;
pub use imd::{ImdFigures, ImdProduct};
use lobes::{Bins, Noise, Span, Spectrum, db, enob, fold, mask};
pub use spurs::Spur;

/// Harmonics counted by default: the 2nd to the 6th (`--harmonics 5`).
pub const DEFAULT_HARMONICS: usize = 5;
/// SPEC §7: no figures unless the fundamental stands 20 dB above the mean noise bin.
const MIN_TONE_OVER_NOISE: f64 = 100.0;
/// A skirt counts as leakage down to this fraction of the noise's median bin (13 dB under).
const SKIRT_UNDER_NOISE: f64 = 0.05;
use lobes::DETECTED_OVER_NOISE;

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
    /// The noise's whole power over the bins measured (the band), relative to a full-scale
    /// sine's, and how many bins that is: its density follows with the bin width.
    pub noise_power: Option<f64>,
    pub noise_bins: usize,
    pub harmonics: Vec<Harmonic>,
    /// The strongest component other than the fundamental (for SFDR), in bins.
    pub spur_bin: Option<f64>,
    /// The strongest components besides the fundamental, strongest first (at most ten): the
    /// first sets SFDR.
    pub spurs: Vec<Spur>,
    /// The window's leakage from the tone reaches too far to be told from noise: the noise
    /// figures (SNR, SINAD, ENOB, SFDR, the floor and THD) are withheld.
    pub leakage_limited: bool,
}

impl AdcFigures {
    /// The noise spectral density (SPEC §15): the noise's whole power over the band's width
    /// in Hz, in dBFS/Hz; `None` without the noise figures or the bin width.
    pub fn nsd_dbfs_hz(&self, bin_hz: Option<f64>) -> Option<f64> {
        let (noise, bin_hz) = (self.noise_power?, bin_hz?);
        (noise > 0.0 && self.noise_bins > 0)
            .then(|| db(noise) - db(self.noise_bins as f64 * bin_hz))
    }

    /// Full scale over the strongest spur, dB (SPEC §15's `sfdr_dbfs`).
    pub fn sfdr_dbfs(&self) -> Option<f64> {
        self.spurs.first().map(|worst| -db(worst.power))
    }

    /// The strongest component that is not the fundamental, HD2 or HD3 (those a datasheet
    /// gives rows of their own).
    pub fn worst_other_spur(&self) -> Option<&Spur> {
        self.spurs
            .iter()
            .find(|spur| !matches!(spur.harmonic, Some(2) | Some(3)))
    }
}

/// How two tones are told from one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TwoTone {
    /// Two tones within 10 dB of each other, 20 dB above everything else (SPEC §15).
    #[default]
    Auto,
    /// `--two-tone`: the two strongest components, whatever the rest.
    Forced,
    /// One tone always.
    Never,
}

/// What a measurement is asked to take into account.
#[derive(Clone, Debug, PartialEq)]
pub struct MeasureOptions {
    /// Harmonics counted: the 2nd to the (N+1)th.
    pub harmonics: usize,
    /// Only these bins hold the noise and the spurs (`--band`), both ends included.
    pub band: Option<(f64, f64)>,
    /// Interferers set aside (`--notch`): centre and half width, in bins; their bins count at
    /// the noise's mean level, as an excluded lobe's do.
    pub notches: Vec<(f64, f64)>,
    pub two_tone: TwoTone,
}

impl Default for MeasureOptions {
    fn default() -> Self {
        Self {
            harmonics: DEFAULT_HARMONICS,
            band: None,
            notches: Vec::new(),
            two_tone: TwoTone::Auto,
        }
    }
}

/// One measurement: single-tone figures, or two tones' intermodulation (then no `adc`,
/// SPEC §15: the single-tone figures stay single-tone).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Measured {
    pub adc: Option<AdcFigures>,
    pub imd: Option<ImdFigures>,
}

/// Measures, keeping its scratch space between calls (one per snapshot, not per frame).
#[derive(Clone, Debug, Default)]
pub struct AdcMeter {
    scratch: Vec<f32>,
}

/// A harmonic, the lobe it takes, and whether it is told apart well enough to count.
struct Placed {
    harmonic: Harmonic,
    lobe: Span,
    counted: bool,
    /// Its power (A²) when it was counted.
    power: Option<f64>,
}

impl AdcMeter {
    /// The single-tone figures of `power` (SPEC §7) with `harmonics` harmonics, whatever it
    /// holds: [`Self::measure_all`] with the defaults and never two tones.
    pub fn measure(
        &mut self,
        power: &[f32],
        window: WindowKind,
        harmonics: usize,
    ) -> Option<AdcFigures> {
        let options = MeasureOptions {
            harmonics,
            two_tone: TwoTone::Never,
            ..MeasureOptions::default()
        };
        self.measure_all(power, window, &options).adc
    }

    /// The figures of `power` (the averaged spectrum, made with `window`): two tones'
    /// intermodulation when it holds two (or `options` says so), else the single tone's;
    /// `None` by SPEC §7's rule (no spectrum, silence, or a fundamental less than 20 dB above
    /// the mean noise bin).
    pub fn measure_all(
        &mut self,
        power: &[f32],
        window: WindowKind,
        options: &MeasureOptions,
    ) -> Measured {
        let s = Spectrum {
            power,
            window,
            n: 2 * power.len(),
            half_width: window.main_lobe_half_width(),
        };
        if s.bins() < 8 * s.half_width || strongest_bin(power, s.half_width).is_none() {
            return Measured::default();
        }
        // The skirts end where they sink under the noise, judged by the median bin (which
        // tones and skirts barely move).
        self.scratch.clear();
        self.scratch.extend_from_slice(&power[s.half_width..]);
        let middle = self.scratch.len() / 2;
        let (_, &mut median, _) = self.scratch.select_nth_unstable_by(middle, f32::total_cmp);
        let floor = SKIRT_UNDER_NOISE * f64::from(median);
        let bins = Bins::new(options.band, &options.notches, s.bins());
        if options.two_tone != TwoTone::Never
            && let Some(imd) = imd::measure(&s, &bins, floor, options.two_tone == TwoTone::Forced)
        {
            return Measured {
                adc: None,
                imd: Some(imd),
            };
        }
        Measured {
            adc: single_tone(&s, &bins, floor, options.harmonics),
            imd: None,
        }
    }
}

/// SPEC §7 and §15 for the strongest tone of `s`, the noise and spurs read in `bins`.
fn single_tone(s: &Spectrum, bins: &Bins, floor: f64, harmonics: usize) -> Option<AdcFigures> {
    let power = s.power;
    let h = s.half_width;
    // The fundamental: the strongest bin above DC's lobe, as the screen's peak.
    let (k0, _) = strongest_bin(power, h)?;
    let nu = s.locate(k0)?;
    let fundamental = s.lobe(k0);
    let a2 = s.tone_power(fundamental, nu);
    let (fund_zone, fund_limited) = s.skirt(fundamental, nu, a2, floor);
    let dc_lobe = Span { lo: 0, hi: h - 1 };
    let (dc_zone, dc_limited) = s.skirt(dc_lobe, 0.0, f64::from(power[0]), floor);
    let limited = fund_limited || dc_limited;

    // Where each harmonic falls and which lobe it takes (out of the noise either way),
    // and whether it can be counted: not on DC's or the fundamental's main lobe (SPEC
    // §7), nor on a lower harmonic's, nor outside the band. Within a skirt it can, once the
    // skirt's share is taken off below.
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
            && !placed.iter().any(|other| other.lobe.overlaps(lobe))
            && bins.in_band(near);
        placed.push(Placed {
            harmonic: Harmonic {
                n: order,
                bin,
                dbc: None,
            },
            lobe,
            counted,
            power: None,
        });
    }

    // Noise: every bin of the band outside the excluded zones (DC, the fundamental, the
    // harmonics, the notches); those inside count at its mean.
    let set_aside = [dc_zone, fund_zone]
        .into_iter()
        .chain(bins.notches.iter().copied());
    let excluded_bins = mask(
        s.bins(),
        set_aside.clone().chain(placed.iter().map(|p| p.lobe)),
    );
    let excluded = |k: usize| excluded_bins[k];
    let band = bins.band;
    let measured = Noise::measure(s, band, excluded)?;
    if measured.count < band.len() / 4 {
        return None;
    }
    let noise_mean = measured.floor;
    if f64::from(power[k0]) < MIN_TONE_OVER_NOISE * noise_mean {
        return None;
    }
    let enbw = s.window.enbw();
    let noise = measured.total(band) / enbw;

    // A harmonic's lobe holds noise, and where it falls in a skirt, the skirt: what is
    // left above both is the harmonic.
    let mut distortion = 0.0;
    for p in &mut placed {
        if !p.counted {
            continue;
        }
        let lobe = p.lobe;
        let skirts: f64 = (lobe.lo..=lobe.hi)
            .map(|k| a2 * s.leakage(k, nu) + f64::from(power[0]) * s.leakage(k, 0.0))
            .sum();
        let noise_held = noise_mean * lobe.len() as f64;
        let held = s.sum(lobe) - noise_held - skirts;
        if held >= DETECTED_OVER_NOISE * noise_held {
            let model: f64 = (lobe.lo..=lobe.hi)
                .map(|k| s.leakage(k, p.harmonic.bin))
                .sum();
            let hp = held / model.max(f64::MIN_POSITIVE);
            distortion += hp;
            p.power = Some(hp);
            p.harmonic.dbc = Some(db(hp / a2));
        }
    }

    // The components besides the fundamental, strongest first: its first sets SFDR.
    let not_allowed = mask(s.bins(), set_aside);
    let allowed = |k: usize| bins.in_band(k) && !not_allowed[k];
    let known: Vec<spurs::Known> = placed
        .iter()
        .map(|p| spurs::Known {
            n: p.harmonic.n,
            bin: p.harmonic.bin,
            lobe: p.lobe,
            power: p.power,
        })
        .collect();
    let spurs = spurs::find(s, &known, noise_mean, allowed);

    let fundamental_dbfs = db(a2);
    let noise_bins = band.len();
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
            noise_power: None,
            noise_bins,
            harmonics,
            spur_bin: None,
            spurs: Vec::new(),
            leakage_limited: true,
        });
    }
    let sinad_db = db(a2 / (noise + distortion));
    let worst = spurs.first();
    Some(AdcFigures {
        fundamental_bin: nu,
        fundamental_dbfs,
        snr_db: Some(db(a2 / noise)),
        thd_db: (distortion > 0.0).then(|| db(distortion / a2)),
        sinad_db: Some(sinad_db),
        enob_bits: Some(enob(sinad_db)),
        enob_fs_bits: Some(enob(sinad_db - fundamental_dbfs)),
        sfdr_dbc: worst.map(|w| db(a2 / w.power)),
        noise_floor_dbfs: Some(db(noise / band.len() as f64)),
        noise_power: Some(noise),
        noise_bins,
        harmonics,
        spur_bin: worst.map(|w| w.bin),
        spurs,
        leakage_limited: false,
    })
}

#[cfg(test)]
mod tests;
