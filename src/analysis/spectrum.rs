//! The analyser: one channel's samples to a power spectrum in full-scale units, averaged
//! and peak-held. The FFT plan, window and buffers are made once per size and reused: the
//! per-frame path allocates nothing and takes no logarithm (dB is computed per display
//! band, later).

use std::sync::Arc;

use realfft::num_complex::Complex32;
use realfft::{RealFftPlanner, RealToComplex};

use super::peak::{Peak, find_peak};
use super::window::WindowKind;

/// Averaging weight of a new spectrum (exponential moving average on power).
const AVERAGING_WEIGHT: f32 = 0.2;
/// How fast held peaks fall back, dB per second.
const HOLD_DECAY_DB_PER_S: f64 = 10.0;

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
    /// Sent by the board, passed through.
    Received,
}

pub struct Analyzer {
    settings: AnalyzerSettings,
    planner: RealFftPlanner<f32>,
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    /// 4 / (Σw)²: turns |X|² into power where a full-scale sine reads 1.0.
    power_scale: f32,
    input: Vec<f32>,
    output: Vec<Complex32>,
    scratch: Vec<Complex32>,
    /// The most recent samples of the analysed channel, at most one FFT's worth.
    history: Vec<f32>,
    average: Vec<f32>,
    hold: Vec<f32>,
    origin: Option<Origin>,
    sample_rate: Option<f64>,
    spectra: u64,
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
            power_scale: 1.0,
            history: Vec::new(),
            average: Vec::new(),
            hold: Vec::new(),
            origin: None,
            sample_rate: None,
            spectra: 0,
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

    /// Forgets the spectrum (averages and held peaks) but keeps the settings.
    pub fn clear_spectrum(&mut self) {
        self.average.clear();
        self.hold.clear();
        self.origin = None;
    }

    /// Takes a block of interleaved samples; returns whether a new spectrum was made.
    /// `dt` is the time since the previous frame, for the decay of held peaks.
    pub fn push_samples(
        &mut self,
        values: &[f32],
        channels: usize,
        sample_rate: Option<f64>,
        dt: f64,
    ) -> bool {
        let channel = self.settings.channel;
        if channels == 0 || channel >= channels {
            return false;
        }
        self.adopt(Origin::Computed, sample_rate);
        let n = self.settings.fft_size;
        let count = values.len() / channels;
        let decay = hold_decay(dt);
        if count >= n {
            // Every whole FFT in the frame counts (Welch), the last ending at the frame's end.
            // The history is not needed while frames hold a whole FFT each.
            self.history.clear();
            let first = count % n;
            for start in (first..count).step_by(n) {
                let block = &values[start * channels..(start + n) * channels];
                if channels == 1 {
                    self.transform(block, decay);
                } else {
                    let mut segment = std::mem::take(&mut self.history);
                    extend_channel(&mut segment, block, channels, channel);
                    self.transform(&segment, decay);
                    segment.clear();
                    self.history = segment;
                }
            }
        } else {
            let keep = n - count;
            if self.history.len() > keep {
                self.history.drain(..self.history.len() - keep);
            }
            extend_channel(&mut self.history, values, channels, channel);
            let history = std::mem::take(&mut self.history);
            self.transform(&history, decay);
            self.history = history;
        }
        true
    }

    /// Takes a spectrum the board computed (interleaved linear power per channel).
    pub fn push_spectrum(
        &mut self,
        power: &[f32],
        channels: usize,
        sample_rate: Option<f64>,
        dt: f64,
    ) -> bool {
        let channel = self.settings.channel;
        if channels == 0 || channel >= channels {
            return false;
        }
        self.adopt(Origin::Received, sample_rate);
        let bins = power.len() / channels;
        let fresh = power.iter().skip(channel).step_by(channels).copied();
        self.accumulate(fresh, bins, hold_decay(dt));
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

    /// The strongest non-DC component of the averaged spectrum.
    pub fn peak(&self) -> Option<Peak> {
        let skip = match self.origin? {
            Origin::Computed => self.settings.window.main_lobe_half_width(),
            Origin::Received => 1,
        };
        find_peak(&self.average, skip)
    }

    /// A change of origin or sample rate makes the old average meaningless.
    fn adopt(&mut self, origin: Origin, sample_rate: Option<f64>) {
        if self.origin != Some(origin) || self.sample_rate != sample_rate {
            self.clear_spectrum();
            self.origin = Some(origin);
            self.sample_rate = sample_rate;
        }
    }

    /// Window (with DC removed), FFT and scale `segment` (at most one FFT long) into the average.
    fn transform(&mut self, segment: &[f32], decay: f32) {
        let n = self.settings.fft_size;
        let m = segment.len();
        if m == 0 {
            return;
        }
        let mean = sum(segment) / m as f32;
        let power_scale = if m == n {
            for ((x, &h), &w) in self.input.iter_mut().zip(segment).zip(&self.window) {
                *x = (h - mean) * w;
            }
            self.power_scale
        } else {
            // Not a full FFT yet (the first frames): window what there is and zero-pad.
            // This allocates, but only until the history fills.
            let window = self.settings.window.build(m);
            for ((x, &h), &w) in self.input.iter_mut().zip(segment).zip(&window) {
                *x = (h - mean) * w;
            }
            self.input[m..].fill(0.0);
            power_scale(&window)
        };
        self.fft
            .process_with_scratch(&mut self.input, &mut self.output, &mut self.scratch)
            .expect("buffers sized by the plan");
        let bins = n / 2;
        // Bins 0..N/2: DC up to just below Nyquist, the layout of SPEC §1.
        let output = std::mem::take(&mut self.output);
        let fresh = output[..bins].iter().map(|c| c.norm_sqr() * power_scale);
        self.accumulate(fresh, bins, decay);
        self.output = output;
    }

    /// Folds a fresh spectrum into the average and the held peaks. A spectrum of another size
    /// than the last (a new FFT size, another board) starts both afresh.
    fn accumulate(&mut self, fresh: impl Iterator<Item = f32>, bins: usize, decay: f32) {
        let weight = if self.settings.averaging && self.average.len() == bins {
            AVERAGING_WEIGHT
        } else {
            1.0
        };
        if self.average.len() != bins {
            self.average.resize(bins, 0.0);
        }
        for (avg, p) in self.average.iter_mut().zip(fresh) {
            *avg += weight * (p - *avg);
        }
        if self.settings.peak_hold {
            if self.hold.len() != bins {
                self.hold.clear();
                self.hold.resize(bins, 0.0);
            }
            for (held, &avg) in self.hold.iter_mut().zip(&self.average) {
                *held = (*held * decay).max(avg);
            }
        }
        self.spectra += 1;
    }
}

/// Coherent-gain correction: a sine of amplitude A peaks at |X| = A·Σw/2, so power
/// 4|X|²/(Σw)² reads A², and a full-scale sine (A = 1) reads 1.0 = 0 dBFS on every window.
fn power_scale(window: &[f32]) -> f32 {
    let sum: f64 = window.iter().map(|&w| f64::from(w)).sum();
    (4.0 / (sum * sum)) as f32
}

fn hold_decay(dt: f64) -> f32 {
    10f64.powf(-HOLD_DECAY_DB_PER_S * dt.max(0.0) / 10.0) as f32
}

/// A sum in eight lanes: the compiler may not reorder a plain float sum, and a serial
/// chain of additions costs more than the window and the scaling together.
fn sum(values: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let chunks = values.chunks_exact(8);
    let tail: f32 = chunks.remainder().iter().sum();
    for chunk in chunks {
        for (lane, v) in lanes.iter_mut().zip(chunk) {
            *lane += v;
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
mod tests {
    use super::*;
    use crate::analysis::power_to_db;

    fn sine(n: usize, cycles_per_n: f64, amplitude: f64, dc: f64) -> Vec<f32> {
        (0..n)
            .map(|i| {
                (dc + amplitude
                    * (std::f64::consts::TAU * cycles_per_n * i as f64 / n as f64).sin())
                    as f32
            })
            .collect()
    }

    fn analyse(window: WindowKind, samples: &[f32]) -> Analyzer {
        let mut analyzer = Analyzer::new(AnalyzerSettings {
            fft_size: samples.len(),
            window,
            ..AnalyzerSettings::default()
        });
        assert!(analyzer.push_samples(samples, 1, Some(48_000.0), 0.0));
        analyzer
    }

    #[test]
    fn an_on_bin_full_scale_sine_reads_0_dbfs_on_every_window() {
        for window in WindowKind::ALL {
            let analyzer = analyse(window, &sine(1024, 100.0, 1.0, 0.0));
            let peak = analyzer.peak().expect("a peak");
            assert!(
                (peak.bin - 100.0).abs() < 0.01,
                "{window:?}: bin {}",
                peak.bin
            );
            assert!(peak.dbfs.abs() < 0.01, "{window:?}: {} dBFS", peak.dbfs);
        }
    }

    #[test]
    fn flattop_reads_full_scale_within_a_tenth_of_a_db_between_bins() {
        for offset in [0.1, 0.25, 0.37, 0.5] {
            let analyzer = analyse(WindowKind::Flattop, &sine(1024, 100.0 + offset, 1.0, 0.0));
            let strongest = analyzer.spectrum().iter().fold(0f32, |m, &p| m.max(p));
            let db = power_to_db(strongest);
            assert!(db.abs() < 0.1, "offset {offset}: {db} dBFS");
        }
    }

    #[test]
    fn interpolation_finds_a_tone_between_bins() {
        for window in [
            WindowKind::Hann,
            WindowKind::Hamming,
            WindowKind::BlackmanHarris,
        ] {
            for offset in [0.0, 0.2, 0.33, 0.5, 0.8] {
                let true_bin = 200.0 + offset;
                let analyzer = analyse(window, &sine(4096, true_bin, 0.5, 0.0));
                let peak = analyzer.peak().expect("a peak");
                assert!(
                    (peak.bin - true_bin).abs() < 0.06,
                    "{window:?} {offset}: bin {}",
                    peak.bin
                );
                assert!(
                    (peak.dbfs + 6.02).abs() < 0.6,
                    "{window:?} {offset}: {} dBFS",
                    peak.dbfs
                );
            }
        }
    }

    #[test]
    fn dc_is_removed_before_the_peak_is_sought() {
        let analyzer = analyse(WindowKind::Hann, &sine(1024, 50.0, 0.01, 0.8));
        let peak = analyzer.peak().expect("a peak");
        assert!((peak.bin - 50.0).abs() < 0.01);
        assert!((peak.dbfs + 40.0).abs() < 0.05);
    }

    #[test]
    fn silence_gives_a_floor_not_minus_infinity() {
        let analyzer = analyse(WindowKind::Hann, &[0.0; 256]);
        assert!(
            analyzer
                .spectrum()
                .iter()
                .all(|&p| power_to_db(p).is_finite())
        );
        assert_eq!(analyzer.peak(), None);
    }

    #[test]
    fn averaging_moves_a_fixed_fraction_toward_each_new_spectrum() {
        let mut analyzer = Analyzer::new(AnalyzerSettings::default());
        analyzer.push_spectrum(&[1.0, 4.0], 1, Some(4.0), 0.0);
        analyzer.push_spectrum(&[2.0, 0.0], 1, Some(4.0), 0.0);
        let expected = [1.0 + AVERAGING_WEIGHT, 4.0 * (1.0 - AVERAGING_WEIGHT)];
        for (got, want) in analyzer.spectrum().iter().zip(expected) {
            assert!((got - want).abs() < 1e-6, "{got} != {want}");
        }
        analyzer.set_averaging(false);
        analyzer.push_spectrum(&[3.0, 5.0], 1, Some(4.0), 0.0);
        assert_eq!(analyzer.spectrum(), &[3.0, 5.0]);
    }

    #[test]
    fn a_received_spectrum_passes_straight_through() {
        let mut analyzer = Analyzer::new(AnalyzerSettings {
            channel: 1,
            ..AnalyzerSettings::default()
        });
        // Two channels interleaved; channel 1 is analysed.
        let power = [9.0, 0.0, 9.0, 0.25, 9.0, 1.0, 9.0, 0.5];
        assert!(analyzer.push_spectrum(&power, 2, Some(16_000.0), 0.0));
        assert_eq!(analyzer.spectrum(), &[0.0, 0.25, 1.0, 0.5]);
        assert_eq!(analyzer.origin(), Some(Origin::Received));
        assert_eq!(analyzer.bin_hz(), Some(2000.0));
        assert_eq!(analyzer.peak().expect("peak").bin.round(), 2.0);
    }

    #[test]
    fn held_peaks_fall_back_at_the_decay_rate() {
        let mut analyzer = Analyzer::new(AnalyzerSettings {
            averaging: false,
            ..AnalyzerSettings::default()
        });
        analyzer.push_spectrum(&[0.0, 1.0], 1, None, 0.0);
        analyzer.push_spectrum(&[0.0, 0.0], 1, None, 1.0);
        let held_db = power_to_db(analyzer.held()[1]);
        assert!(
            (held_db + HOLD_DECAY_DB_PER_S as f32).abs() < 1e-3,
            "{held_db}"
        );
        assert_eq!(analyzer.spectrum()[1], 0.0);
    }

    #[test]
    fn frames_shorter_than_the_fft_fill_a_sliding_history() {
        let signal = sine(4096, 4.0 * 37.0, 1.0, 0.0);
        let mut analyzer = Analyzer::new(AnalyzerSettings {
            fft_size: 1024,
            averaging: false,
            ..AnalyzerSettings::default()
        });
        for block in signal.chunks(256) {
            assert!(analyzer.push_samples(block, 1, Some(1024.0), 0.0));
        }
        let peak = analyzer.peak().expect("a peak");
        assert!(
            (peak.bin - 37.0).abs() < 0.01 && peak.dbfs.abs() < 0.01,
            "{peak:?}"
        );
    }

    #[test]
    fn the_analysed_channel_is_taken_from_interleaved_samples() {
        let a = sine(1024, 10.0, 1.0, 0.0);
        let b = sine(1024, 300.0, 0.1, 0.0);
        let interleaved: Vec<f32> = a.iter().zip(&b).flat_map(|(x, y)| [*x, *y]).collect();
        let mut analyzer = Analyzer::new(AnalyzerSettings::default());
        analyzer.set_channel(1);
        assert!(analyzer.push_samples(&interleaved, 2, Some(1024.0), 0.0));
        assert!((analyzer.peak().expect("peak").bin - 300.0).abs() < 0.01);
        assert!(
            !analyzer.push_samples(&a, 1, Some(1024.0), 0.0),
            "channel 1 of a 1-channel frame"
        );
    }

    #[test]
    fn changing_the_fft_size_starts_a_new_spectrum_of_the_new_size() {
        let mut analyzer = analyse(WindowKind::Hann, &sine(1024, 100.0, 1.0, 0.0));
        analyzer.set_fft_size(2048);
        assert!(analyzer.spectrum().is_empty());
        analyzer.push_samples(&sine(2048, 100.0, 1.0, 0.0), 1, Some(48_000.0), 0.0);
        assert_eq!(analyzer.spectrum().len(), 1024);
        assert!((analyzer.peak().expect("peak").bin - 100.0).abs() < 0.01);
    }
}
