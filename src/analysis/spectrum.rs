//! The analyser: one channel's samples to a power spectrum in full-scale units, averaged
//! and peak-held. The FFT plan, window and buffers are made once per size and reused: the
//! per-frame path allocates nothing and takes no logarithm (dB is computed per display
//! band, later).
//!
//! Each frame makes one spectrum: the mean of the FFTs of the whole FFT-sized blocks it holds
//! (Welch), or one FFT over the latest samples when it holds less than a block. Averaging and
//! peak hold are defined per unit of time, not per spectrum: a frame weighs what the time it
//! stands for weighs, so the picture moves alike whatever the frame and FFT sizes.

use std::sync::Arc;

use realfft::num_complex::Complex32;
use realfft::{RealFftPlanner, RealToComplex};

use super::peak::{Peak, find_peak};
use super::waterfall::{DEFAULT_SPECTRA_PER_LINE, Waterfall};
use super::window::WindowKind;

/// Time constant of the exponential average on power, seconds: a spectrum standing for
/// `span` seconds moves the average by 1 − e^(−span/τ) of the way toward it (0.19 for the
/// demo's 21 ms frames).
pub const AVERAGING_TIME_S: f64 = 0.1;
/// How fast held peaks fall back, dB per second.
pub const HOLD_DECAY_DB_PER_S: f64 = 10.0;
/// The time a spectrum stands for when nothing says (no timestamps, rate or arrival times).
const DEFAULT_SPAN_S: f64 = 0.02;
/// A sample rate that moves by less than this from one frame to the next is the same rate,
/// measured again (boards that report a measured `fs` move in its last digits); more is a
/// new rate, and the average starts over.
const SAME_RATE_TOLERANCE: f64 = 0.01;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnalyzerSettings {
    pub fft_size: usize,
    pub window: WindowKind,
    pub channel: usize,
    pub averaging: bool,
    pub peak_hold: bool,
}

impl Default for AnalyzerSettings {
    fn default() -> Self {
        Self {
            fft_size: 1024,
            window: WindowKind::Hann,
            channel: 0,
            averaging: true,
            peak_hold: true,
        }
    }
}

/// Where the spectrum shown came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Computed here from samples.
    Computed,
    /// Sent by the board, passed through; made through `window` (SPEC §1).
    Received { window: WindowKind },
}

impl Origin {
    /// The window the spectrum was made through: ours (`computed_with`), or the board's.
    pub fn window(self, computed_with: WindowKind) -> WindowKind {
        match self {
            Origin::Computed => computed_with,
            Origin::Received { window } => window,
        }
    }
}

pub struct Analyzer {
    settings: AnalyzerSettings,
    planner: RealFftPlanner<f32>,
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    /// The window's sum (the weights of the offset taken out).
    window_sum: f32,
    /// 4 / (Σw)²: turns |X|² into power where a full-scale sine reads 1.0.
    power_scale: f32,
    input: Vec<f32>,
    output: Vec<Complex32>,
    scratch: Vec<Complex32>,
    /// The most recent samples of the analysed channel, at most one FFT's worth.
    history: Vec<f32>,
    /// The frame's spectrum: the sum, then the mean, of its blocks' power.
    fresh: Vec<f32>,
    average: Vec<f32>,
    hold: Vec<f32>,
    origin: Option<Origin>,
    sample_rate: Option<f64>,
    spectra: u64,
    waterfall: Waterfall,
    /// Seconds of spectra in the mean since [`Analyzer::average_from_now`], while a check
    /// measures: the average is then every spectrum's mean over the interval, not a
    /// running average of the last tenth of a second.
    mean_seconds: Option<f64>,
}

impl Analyzer {
    pub fn new(settings: AnalyzerSettings) -> Self {
        let mut planner = RealFftPlanner::new();
        let fft = planner.plan_fft_forward(settings.fft_size);
        let mut analyzer = Self {
            settings,
            planner,
            input: fft.make_input_vec(),
            output: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            fft,
            window: Vec::new(),
            window_sum: 0.0,
            power_scale: 1.0,
            history: Vec::new(),
            fresh: Vec::new(),
            average: Vec::new(),
            hold: Vec::new(),
            origin: None,
            sample_rate: None,
            spectra: 0,
            waterfall: Waterfall::new(DEFAULT_SPECTRA_PER_LINE),
            mean_seconds: None,
        };
        analyzer.set_window(settings.window);
        analyzer
    }

    pub fn settings(&self) -> AnalyzerSettings {
        self.settings
    }

    /// Changes the FFT size: plans come from the planner's cache, buffers are remade once.
    pub fn set_fft_size(&mut self, n: usize) {
        if n == self.settings.fft_size {
            return;
        }
        self.settings.fft_size = n;
        self.fft = self.planner.plan_fft_forward(n);
        self.input = self.fft.make_input_vec();
        self.output = self.fft.make_output_vec();
        self.scratch = self.fft.make_scratch_vec();
        self.set_window(self.settings.window);
        self.history.clear();
        self.clear_spectrum();
    }

    pub fn set_window(&mut self, window: WindowKind) {
        self.settings.window = window;
        self.window = window.build(self.settings.fft_size);
        self.power_scale = power_scale(&self.window);
        self.window_sum = sum(&self.window);
        if self.origin == Some(Origin::Computed) {
            self.clear_spectrum();
        }
    }

    pub fn set_channel(&mut self, channel: usize) {
        self.settings.channel = channel;
        self.history.clear();
        self.clear_spectrum();
    }

    pub fn set_averaging(&mut self, on: bool) {
        self.settings.averaging = on;
    }

    pub fn set_peak_hold(&mut self, on: bool) {
        self.settings.peak_hold = on;
        if !on {
            self.hold.clear();
        }
    }

    /// From the next spectrum on, the average is the mean of all spectra since (each weighted
    /// by the time it stands for): a measured interval's own spectrum, as accurate as the
    /// interval is long.
    pub fn average_from_now(&mut self) {
        self.mean_seconds = Some(0.0);
    }

    /// Back to the running average.
    pub fn average_running(&mut self) {
        self.mean_seconds = None;
    }

    /// Forgets the spectrum (averages and held peaks) but keeps the settings; a mean starts
    /// over with the next spectrum.
    pub fn clear_spectrum(&mut self) {
        if self.mean_seconds.is_some() {
            self.mean_seconds = Some(0.0);
        }
        self.average.clear();
        self.hold.clear();
        self.waterfall.clear();
        self.origin = None;
    }

    /// The waterfall's lines of this channel's spectra.
    pub fn waterfall(&self) -> &Waterfall {
        &self.waterfall
    }

    pub fn set_spectra_per_line(&mut self, n: usize) {
        self.waterfall.set_spectra_per_line(n);
    }

    /// Takes a block of interleaved samples; returns whether a new spectrum was made.
    /// `span` is the time the frame stands for, in seconds (for averaging and peak hold).
    pub fn push_samples(
        &mut self,
        values: &[f32],
        channels: usize,
        sample_rate: Option<f64>,
        span: Option<f64>,
    ) -> bool {
        let channel = self.settings.channel;
        if channels == 0 || channel >= channels {
            return false;
        }
        self.adopt(Origin::Computed, sample_rate);
        let n = self.settings.fft_size;
        let count = values.len() / channels;
        if count >= n {
            // Every whole FFT in the frame counts (Welch), the last ending at the frame's end.
            // The history is not needed while frames hold a whole FFT each.
            self.history.clear();
            let first = count % n;
            let blocks = count / n;
            for (k, start) in (first..count).step_by(n).enumerate() {
                let block = &values[start * channels..(start + n) * channels];
                if channels == 1 {
                    self.transform(block, k > 0);
                } else {
                    let mut segment = std::mem::take(&mut self.history);
                    extend_channel(&mut segment, block, channels, channel);
                    self.transform(&segment, k > 0);
                    segment.clear();
                    self.history = segment;
                }
            }
            if blocks > 1 {
                let mean = 1.0 / blocks as f32;
                self.fresh.iter_mut().for_each(|p| *p *= mean);
            }
        } else {
            let keep = n - count;
            if self.history.len() > keep {
                self.history.drain(..self.history.len() - keep);
            }
            extend_channel(&mut self.history, values, channels, channel);
            let history = std::mem::take(&mut self.history);
            self.transform(&history, false);
            self.history = history;
        }
        self.accumulate(span);
        true
    }

    /// Takes a spectrum the board computed through `window` (interleaved linear power per
    /// channel).
    pub fn push_spectrum(
        &mut self,
        power: &[f32],
        window: WindowKind,
        channels: usize,
        sample_rate: Option<f64>,
        span: Option<f64>,
    ) -> bool {
        let channel = self.settings.channel;
        if channels == 0 || channel >= channels {
            return false;
        }
        self.adopt(Origin::Received { window }, sample_rate);
        self.fresh.clear();
        self.fresh
            .extend(power.iter().skip(channel).step_by(channels).copied());
        self.accumulate(span);
        true
    }

    /// The averaged spectrum: linear power per bin, 1.0 = 0 dBFS. Empty before the first.
    pub fn spectrum(&self) -> &[f32] {
        &self.average
    }

    /// Held peaks per bin (empty when peak hold is off).
    pub fn held(&self) -> &[f32] {
        &self.hold
    }

    pub fn origin(&self) -> Option<Origin> {
        self.origin
    }

    /// Spectra made or taken since start.
    pub fn spectra(&self) -> u64 {
        self.spectra
    }

    /// Width of one bin in Hz, when the sample rate is known.
    pub fn bin_hz(&self) -> Option<f64> {
        let bins = self.average.len();
        self.sample_rate
            .filter(|_| bins > 0)
            .map(|fs| fs / (2 * bins) as f64)
    }

    /// The window the spectrum shown was made through (ours or the board's).
    pub fn spectrum_window(&self) -> Option<WindowKind> {
        Some(self.origin?.window(self.settings.window))
    }

    /// The strongest non-DC component of the averaged spectrum: above DC's lobe (which
    /// in a board's CMSIS-DSP spectrum holds Nyquist too).
    pub fn peak(&self) -> Option<Peak> {
        find_peak(
            &self.average,
            self.spectrum_window()?.main_lobe_half_width(),
        )
    }

    /// A change of origin or sample rate makes the old average meaningless. The rate shown
    /// is always the latest.
    fn adopt(&mut self, origin: Origin, sample_rate: Option<f64>) {
        let same_rate = match (self.sample_rate, sample_rate) {
            (Some(old), Some(new)) => ((new - old) / old).abs() <= SAME_RATE_TOLERANCE,
            (old, new) => old == new,
        };
        if self.origin != Some(origin) || !same_rate {
            self.clear_spectrum();
            self.origin = Some(origin);
        }
        self.sample_rate = sample_rate;
    }

    /// Window (with DC removed), FFT and scale `segment` (at most one FFT long) into the
    /// frame's spectrum: stored, or with `add` summed onto what is there. The offset removed
    /// is the window-weighted mean, which takes a board's DC offset out of the DC bin
    /// exactly; the plain mean of a block holding a tone's partial cycle is not the offset,
    /// and taking it out put a DC lobe into the spectrum that the signal does not have (a
    /// -6 dBFS tone with 21.3 cycles a block read -40 dBFS at DC).
    fn transform(&mut self, segment: &[f32], add: bool) {
        let n = self.settings.fft_size;
        let m = segment.len();
        if m == 0 {
            return;
        }
        let power_scale = if m == n {
            let mean = dot(segment, &self.window) / self.window_sum;
            for ((x, &h), &w) in self.input.iter_mut().zip(segment).zip(&self.window) {
                *x = (h - mean) * w;
            }
            self.power_scale
        } else {
            // Not a full FFT yet (the first frames): window what there is and zero-pad.
            // This allocates, but only until the history fills.
            let window = self.settings.window.build(m);
            let mean = dot(segment, &window) / sum(&window);
            for ((x, &h), &w) in self.input.iter_mut().zip(segment).zip(&window) {
                *x = (h - mean) * w;
            }
            self.input[m..].fill(0.0);
            power_scale(&window)
        };
        self.fft
            .process_with_scratch(&mut self.input, &mut self.output, &mut self.scratch)
            .expect("buffers sized by the plan");
        // Bins 0..N/2: DC up to just below Nyquist, the layout of SPEC §1.
        let bins = &self.output[..n / 2];
        if add {
            for (p, c) in self.fresh.iter_mut().zip(bins) {
                *p += c.norm_sqr() * power_scale;
            }
        } else {
            self.fresh.clear();
            self.fresh
                .extend(bins.iter().map(|c| c.norm_sqr() * power_scale));
        }
    }

    /// Folds the frame's spectrum, standing for `span` seconds, into the average and the held
    /// peaks. A spectrum of another size than the last (a new FFT size, another board)
    /// starts both afresh.
    fn accumulate(&mut self, span: Option<f64>) {
        let span = span
            .filter(|s| s.is_finite() && *s >= 0.0)
            .unwrap_or(DEFAULT_SPAN_S);
        self.waterfall.add(&self.fresh, span);
        let bins = self.fresh.len();
        let weight = match &mut self.mean_seconds {
            // The mean since measuring started: the first spectrum replaces what was before.
            Some(seconds) if self.average.len() == bins => {
                *seconds += span;
                if *seconds > 0.0 {
                    (span / *seconds) as f32
                } else {
                    1.0
                }
            }
            _ if self.settings.averaging && self.average.len() == bins => averaging_weight(span),
            _ => 1.0,
        };
        if self.average.len() != bins {
            self.average.clear();
            self.average.resize(bins, 0.0);
        }
        if self.settings.peak_hold {
            let decay = hold_decay(span);
            if self.hold.len() != bins {
                self.hold.clear();
                self.hold.resize(bins, 0.0);
            }
            // One pass for both: the average, and the held peak that follows it.
            for ((avg, held), &p) in self.average.iter_mut().zip(&mut self.hold).zip(&self.fresh) {
                *avg += weight * (p - *avg);
                let decayed = *held * decay;
                // A comparison, not `f32::max` (whose NaN rule keeps it from vectorising).
                *held = if *avg > decayed { *avg } else { decayed };
            }
        } else {
            for (avg, &p) in self.average.iter_mut().zip(&self.fresh) {
                *avg += weight * (p - *avg);
            }
        }
        self.spectra += 1;
    }
}

fn averaging_weight(span: f64) -> f32 {
    (1.0 - (-span / AVERAGING_TIME_S).exp()) as f32
}

/// Coherent-gain correction: a sine of amplitude A peaks at |X| = A·Σw/2, so power
/// 4|X|²/(Σw)² reads A², and a full-scale sine (A = 1) reads 1.0 = 0 dBFS on every window.
fn power_scale(window: &[f32]) -> f32 {
    let sum: f64 = window.iter().map(|&w| f64::from(w)).sum();
    (4.0 / (sum * sum)) as f32
}

fn hold_decay(span: f64) -> f32 {
    10f64.powf(-HOLD_DECAY_DB_PER_S * span / 10.0) as f32
}

/// Independent partial sums: the compiler may not reorder a plain float sum, and a serial
/// chain of additions costs more than the window and the scaling together. Thirty-two, so
/// that the vector additions in flight cover the adder's latency (eight left it waiting).
const LANES: usize = 32;

fn sum(values: &[f32]) -> f32 {
    let mut lanes = [0f32; LANES];
    let chunks = values.chunks_exact(LANES);
    let tail: f32 = chunks.remainder().iter().sum();
    for chunk in chunks {
        for (lane, v) in lanes.iter_mut().zip(chunk) {
            *lane += v;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// A dot product in partial sums, as [`sum`].
fn dot(values: &[f32], weights: &[f32]) -> f32 {
    let mut lanes = [0f32; LANES];
    let chunks = values.chunks_exact(LANES).zip(weights.chunks_exact(LANES));
    let rest = values.len() - values.len() % LANES;
    let tail: f32 = values[rest..]
        .iter()
        .zip(&weights[rest..])
        .map(|(v, w)| v * w)
        .sum();
    for (chunk, weight) in chunks {
        for ((lane, v), w) in lanes.iter_mut().zip(chunk).zip(weight) {
            *lane += v * w;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

fn extend_channel(out: &mut Vec<f32>, values: &[f32], channels: usize, channel: usize) {
    if channels == 1 {
        out.extend_from_slice(values);
    } else {
        out.extend(values.iter().skip(channel).step_by(channels));
    }
}

#[cfg(test)]
mod tests;
