//! The code-density (histogram) test of IEEE Std 1241 with a sine input (SPEC §15): every
//! sample of the analysed channel counted as its code over the run (an increment a sample),
//! and from the histogram, against the arcsine density a sine makes, each code's width (DNL)
//! and its transition's distance from the straight line through the end transitions (INL),
//! in LSB. The sine overdrives both ends slightly, so the end codes gather the clipped
//! samples: they are left out. The figures wait until the codes hold enough samples for a
//! code's width to be known to ±0.1 LSB.

use std::sync::Arc;

use super::sinefit::SineFit;
pub use phases::PhaseCoverage;

mod phases;

/// Resolutions counted: up to 20 bits (a million codes, 12 MB of counts).
pub const MAX_BITS: u8 = 20;
/// The width of a code whose expected count is n is known to 1/√n (Poisson): ±0.1 LSB with
/// 95 % confidence wants (1.96 / 0.1)² samples in the sparsest code.
const SAMPLES_IN_SPARSEST_CODE: f64 = (1.96 / 0.1) * (1.96 / 0.1);

/// The codes counted: in u32 counters (half the cache of u64, and a third faster to
/// increment), moved into u64 totals before any could overflow.
#[derive(Clone, Debug)]
pub struct CodeHistogram {
    bits: u8,
    recent: Vec<u32>,
    totals: Vec<u64>,
    /// Samples counted in `recent` since it was last moved into `totals`.
    in_recent: u64,
    samples: u64,
    /// A frame's codes, between its two passes (kept: no allocation a frame).
    codes: Vec<u32>,
}

/// 1.5 × 2²³: a float in 0…2²² added to it has the integer nearest in its low mantissa bits
/// (a rounding the compiler vectorises, where a saturating `as` conversion is not).
const ROUNDER: f32 = 12_582_912.0;

/// DNL and INL per code, and what they add up to.
#[derive(Clone, Debug, PartialEq)]
pub struct Linearity {
    pub samples: u64,
    pub bits: u8,
    /// The codes analysed: those between the clipped end codes.
    pub first_code: u32,
    pub last_code: u32,
    /// Per code from `first_code`, LSB.
    pub dnl: Arc<[f32]>,
    pub inl: Arc<[f32]>,
    pub dnl_min: f64,
    pub dnl_max: f64,
    pub inl_min: f64,
    pub inl_max: f64,
    pub missing_codes: Vec<u32>,
    /// How far along the test is toward ±0.1 LSB (1.0 and more: there).
    pub progress: f64,
    /// The fraction of the tone's phases the samples visited (1.0 when not followed).
    pub phase_coverage: f64,
    /// Why the figures are not the converter's, when they are not.
    pub withheld: Option<Withheld>,
}

/// What a code-density test needs and did not get: its figures would describe the test,
/// not the converter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Withheld {
    /// The sine must overdrive both ends (the end codes gather the clipped samples, and the
    /// codes between are all reached); these were the lowest and the highest reached.
    NotOverdriven { low: u32, high: u32, top: u32 },
    /// The input is not a single sine: a fit of one leaves this much beside it (SINAD, dB).
    NotASine { fit_sinad_db: f64 },
    /// The tone's frequency is not known yet, so its phases are not followed.
    NoTone,
    /// The tone's phases are being visited: this fraction so far.
    Following { coverage: f64 },
    /// The samples visited only this fraction of the sine's phases: the tone is (nearly)
    /// coherent with the sampling, so its histogram is not the arcsine's.
    PhasesRepeat { coverage: f64 },
}

impl std::fmt::Display for Withheld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotOverdriven { low, high, top } => write!(
                f,
                "the sine must overdrive both ends: codes {low} to {high} of 0 to {top} reached"
            ),
            Self::NotASine { fit_sinad_db } => write!(
                f,
                "the input is not a single sine (a sine fit leaves {fit_sinad_db:.0} dB)"
            ),
            Self::NoTone => write!(f, "waiting for the tone's frequency"),
            Self::Following { coverage } => write!(
                f,
                "following the sine's phases: {:.0} % visited",
                coverage * 100.0
            ),
            Self::PhasesRepeat { coverage } => write!(
                f,
                "the samples fall on {:.1} % of the sine's phases: the tone is coherent with \
                 the sampling; detune it",
                coverage * 100.0
            ),
        }
    }
}

impl Linearity {
    /// Enough samples for ±0.1 LSB, the test's premises met (before, the figures are shown
    /// as progress only).
    pub fn is_ready(&self) -> bool {
        self.progress >= 1.0 && self.withheld.is_none()
    }
}

/// A fit of one sine must leave at least this much (dB) for the input to count as a sine: a
/// slight overdrive's clipping leaves more than 40.
const SINE_FIT_SINAD_DB: f64 = 30.0;

/// The code-density test as a run makes it: the codes counted, the tone's phases followed,
/// and the test's premises checked before its figures are given.
#[derive(Clone, Debug)]
pub struct LinearityTest {
    codes: CodeHistogram,
    phases: PhaseCoverage,
    /// Frames counted before the tone's frequency was known.
    untuned_frames: u32,
}

/// A tone this much (relative) away from the one followed is another tone: a sine fit of
/// a block measures the frequency to a few parts in 10⁷.
const RETUNED: f64 = 1e-5;

/// Frames the pipeline measures the tone itself for, before leaving it to the snapshots.
const EARLY_TONE_FRAMES: u32 = 8;

impl LinearityTest {
    pub fn new(bits: u8) -> Self {
        Self {
            codes: CodeHistogram::new(bits),
            phases: PhaseCoverage::new(bits),
            untuned_frames: 0,
        }
    }

    /// Counts `channel` of interleaved `values` (codes of a `bits`-bit converter, in
    /// full-scale units); another resolution starts the test over.
    pub fn add(&mut self, values: &[f32], channels: usize, channel: usize, bits: u8) {
        if bits != self.codes.bits() {
            *self = Self::new(bits);
        }
        self.codes.add(values, channels, channel, bits);
        if self.phases.is_tuned() {
            self.phases.add(values, channels, channel);
        } else {
            self.untuned_frames = self.untuned_frames.saturating_add(1);
        }
    }

    /// Whether the tone's frequency is still unknown this early in the test: worth
    /// measuring with every frame (later, with every snapshot).
    pub fn wants_early_tone(&self) -> bool {
        !self.phases.is_tuned() && self.untuned_frames < EARLY_TONE_FRAMES
    }

    /// The tone's frequency as measured, cycles a sample. A tone that moved (by more than
    /// a measurement's noise: the generator was retuned, as a coherent tone is told to be)
    /// starts the test over: a histogram of two tests is neither's.
    pub fn tune(&mut self, cycles_per_sample: f64) {
        if let Some(was) = self.phases.cycles_per_sample()
            && (cycles_per_sample - was).abs() > RETUNED * was
        {
            *self = Self::new(self.codes.bits());
        }
        self.phases.tune(cycles_per_sample);
    }

    /// The figures so far, with what withholds them; `fit` is the latest sine fit of the
    /// same channel.
    pub fn analyse(&self, fit: Option<&SineFit>) -> Option<Linearity> {
        let mut linearity = self.codes.analyse()?;
        linearity.phase_coverage = self.phases.coverage();
        let top = (1u32 << self.codes.bits()) - 1;
        let (low, high) = (linearity.first_code - 1, linearity.last_code + 1);
        linearity.withheld = if low > 0 || high < top {
            Some(Withheld::NotOverdriven { low, high, top })
        } else if let Some(fit) = fit.filter(|f| f.sinad_db() < SINE_FIT_SINAD_DB) {
            Some(Withheld::NotASine {
                fit_sinad_db: fit.sinad_db(),
            })
        } else if !self.phases.is_tuned() {
            Some(Withheld::NoTone)
        } else if !self.phases.is_covered() {
            let coverage = self.phases.coverage();
            Some(if self.phases.is_stuck() {
                Withheld::PhasesRepeat { coverage }
            } else {
                Withheld::Following { coverage }
            })
        } else {
            None
        };
        Some(linearity)
    }
}

impl CodeHistogram {
    pub fn new(bits: u8) -> Self {
        let bits = bits.clamp(1, MAX_BITS);
        Self {
            bits,
            recent: vec![0; 1 << bits],
            totals: vec![0; 1 << bits],
            in_recent: 0,
            samples: 0,
            codes: Vec::new(),
        }
    }

    pub fn bits(&self) -> u8 {
        self.bits
    }

    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// Counts `channel` of interleaved `values` (full-scale units, each a code of a
    /// `bits`-bit converter). Another resolution starts the count over.
    pub fn add(&mut self, values: &[f32], channels: usize, channel: usize, bits: u8) {
        if bits != self.bits {
            *self = Self::new(bits);
        }
        // A counter gains at most every sample: move them out before one could overflow.
        if self.in_recent + values.len() as u64 > u64::from(u32::MAX) {
            self.settle();
        }
        let half = (1u64 << (self.bits - 1)) as f32;
        let top = (self.recent.len() - 1) as f32;
        // The codes first, in a pass of vector instructions (a code's value is
        // (code − half) / half exactly: no rounding can move it); then the counts.
        let code = |v: f32| {
            ((v * half + half).clamp(0.0, top) + ROUNDER)
                .to_bits()
                .wrapping_sub(ROUNDER.to_bits())
        };
        let stride = channels.max(1);
        self.codes.resize(values.len() / stride, 0);
        if stride == 1 {
            // Element for element over two slices: the form that vectorises.
            for (c, &v) in self.codes.iter_mut().zip(values) {
                *c = code(v);
            }
        } else {
            let at = channel.min(stride - 1);
            for (c, instant) in self.codes.iter_mut().zip(values.chunks_exact(stride)) {
                *c = code(instant[at]);
            }
        }
        // Codes come from integer samples, never NaN; were one, it is not counted (one test
        // a sample: the index's own).
        for &code in &self.codes {
            if let Some(count) = self.recent.get_mut(code as usize) {
                *count += 1;
            }
        }
        self.samples += self.codes.len() as u64;
        self.in_recent += self.codes.len() as u64;
    }

    /// The recent counts moved into the totals.
    fn settle(&mut self) {
        for (total, recent) in self.totals.iter_mut().zip(&mut self.recent) {
            *total += u64::from(std::mem::take(recent));
        }
        self.in_recent = 0;
    }

    /// Every code's count so far.
    fn counts(&self) -> Vec<u64> {
        self.totals
            .iter()
            .zip(&self.recent)
            .map(|(total, &recent)| total + u64::from(recent))
            .collect()
    }

    /// The figures from the counts so far; `None` before two interior codes hold counts.
    pub fn analyse(&self) -> Option<Linearity> {
        let counts = self.counts();
        let occupied: Vec<usize> = counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(k, _)| k)
            .collect();
        let (low, high) = (*occupied.first()?, *occupied.last()?);
        // The clipped end codes are left out: the codes analysed lie strictly between them.
        let (first, last) = (low + 1, high.checked_sub(1)?);
        if last < first + 1 {
            return None;
        }
        let total = self.samples as f64;
        // Transition k (between codes k−1 and k) where a sine's distribution puts it, on a
        // scale of its own (the sine's offset and amplitude cancel in the widths' ratios).
        let mut below = counts[..first].iter().sum::<u64>();
        let mut transitions = Vec::with_capacity(last - first + 2);
        for &count in &counts[first..=last + 1] {
            transitions.push(-(std::f64::consts::PI * below as f64 / total).cos());
            below += count;
        }
        let codes = last - first + 1;
        let lsb = (transitions[codes] - transitions[0]) / codes as f64;
        if lsb <= 0.0 {
            return None;
        }
        let dnl: Vec<f32> = transitions
            .windows(2)
            .map(|t| ((t[1] - t[0]) / lsb - 1.0) as f32)
            .collect();
        let inl: Vec<f32> = transitions[..codes]
            .iter()
            .enumerate()
            .map(|(i, &t)| ((t - transitions[0]) / lsb - i as f64) as f32)
            .collect();
        let extreme = |values: &[f32]| {
            values.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &v| {
                (lo.min(f64::from(v)), hi.max(f64::from(v)))
            })
        };
        let (dnl_min, dnl_max) = extreme(&dnl);
        let (inl_min, inl_max) = extreme(&inl);
        let missing_codes = (first..=last)
            .filter(|&k| counts[k] == 0)
            .map(|k| k as u32)
            .collect();
        // The sparsest code is the middle one: a sine of amplitude A codes spends 1/(πA) of
        // its time in each code there.
        let amplitude = (high - low) as f64 / 2.0;
        let needed = SAMPLES_IN_SPARSEST_CODE * std::f64::consts::PI * amplitude;
        Some(Linearity {
            samples: self.samples,
            bits: self.bits,
            first_code: first as u32,
            last_code: last as u32,
            dnl: dnl.into(),
            inl: inl.into(),
            dnl_min,
            dnl_max,
            inl_min,
            inl_max,
            missing_codes,
            progress: total / needed,
            phase_coverage: 1.0,
            withheld: None,
        })
    }
}

#[cfg(test)]
mod tests;
