//! The waterfall's history: lines of spectra, each the mean power of a set number of the
//! frames' own spectra (not the running average, which would smear time), newest last.
//! Lines are kept at no more than [`MAX_LINE_BINS`] bins (the strongest of each group, so a
//! narrow tone is not lost) and at most [`MAX_LINES`] of them: memory is bounded whatever
//! the FFT size, and every screen that shows them shares the same lines.

use std::collections::VecDeque;
use std::sync::Arc;

/// Lines kept.
pub const MAX_LINES: usize = 512;
/// A line has at most this many bins (wider than any terminal).
pub const MAX_LINE_BINS: usize = 2048;
/// How many spectra a line holds by default; `[` and `]` halve and double it.
pub const DEFAULT_SPECTRA_PER_LINE: usize = 4;
pub const MAX_SPECTRA_PER_LINE: usize = 1024;

/// One line: power per (grouped) bin, and the seconds of signal it covers.
#[derive(Clone, Debug, PartialEq)]
pub struct WaterfallLine {
    pub power: Arc<[f32]>,
    pub seconds: f64,
}

#[derive(Clone, Debug)]
pub struct Waterfall {
    spectra_per_line: usize,
    /// The line being gathered: a sum of power, how many spectra, their seconds.
    sum: Vec<f32>,
    gathered: usize,
    seconds: f64,
    /// Bins of the spectra gathered (a change starts the history over).
    bins: usize,
    lines: VecDeque<WaterfallLine>,
    /// Lines made since start: screens tell new lines from the count.
    made: u64,
}

impl Waterfall {
    pub fn new(spectra_per_line: usize) -> Self {
        Self {
            spectra_per_line: spectra_per_line.clamp(1, MAX_SPECTRA_PER_LINE),
            sum: Vec::new(),
            gathered: 0,
            seconds: 0.0,
            bins: 0,
            lines: VecDeque::with_capacity(MAX_LINES),
            made: 0,
        }
    }

    pub fn spectra_per_line(&self) -> usize {
        self.spectra_per_line
    }

    pub fn set_spectra_per_line(&mut self, n: usize) {
        self.spectra_per_line = n.clamp(1, MAX_SPECTRA_PER_LINE);
    }

    /// Takes one frame's spectrum, standing for `seconds` of signal.
    pub fn add(&mut self, spectrum: &[f32], seconds: f64) {
        if spectrum.len() != self.bins {
            self.clear();
            self.bins = spectrum.len();
        }
        let group = spectrum.len().div_ceil(MAX_LINE_BINS).max(1);
        let width = spectrum.len().div_ceil(group);
        if self.sum.len() != width {
            self.sum = vec![0.0; width];
        }
        if group == 1 {
            // Bin for bin: a plain sum, in vector instructions.
            for (sum, &p) in self.sum.iter_mut().zip(spectrum) {
                *sum += p;
            }
        } else {
            for (sum, chunk) in self.sum.iter_mut().zip(spectrum.chunks(group)) {
                // A comparison, not `f32::max` (whose NaN rule keeps it from vectorising):
                // powers are never NaN.
                *sum += chunk.iter().fold(0f32, |m, &p| if p > m { p } else { m });
            }
        }
        self.gathered += 1;
        self.seconds += seconds;
        if self.gathered >= self.spectra_per_line {
            let mean = 1.0 / self.gathered as f32;
            let power: Arc<[f32]> = self.sum.iter().map(|s| s * mean).collect();
            self.sum.iter_mut().for_each(|s| *s = 0.0);
            if self.lines.len() == MAX_LINES {
                self.lines.pop_front();
            }
            self.lines.push_back(WaterfallLine {
                power,
                seconds: self.seconds,
            });
            self.made += 1;
            self.gathered = 0;
            self.seconds = 0.0;
        }
    }

    /// The lines, oldest first.
    pub fn lines(&self) -> impl ExactSizeIterator<Item = &WaterfallLine> {
        self.lines.iter()
    }

    /// Lines made since start.
    pub fn made(&self) -> u64 {
        self.made
    }

    pub fn clear(&mut self) {
        self.lines.clear();
        self.sum.clear();
        self.gathered = 0;
        self.seconds = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_the_mean_of_its_spectra_and_the_oldest_go() {
        let mut waterfall = Waterfall::new(2);
        waterfall.add(&[1.0, 4.0], 0.02);
        assert_eq!(waterfall.lines().len(), 0);
        waterfall.add(&[3.0, 0.0], 0.02);
        let line = waterfall.lines().next().unwrap();
        assert_eq!(&line.power[..], &[2.0, 2.0]);
        assert!((line.seconds - 0.04).abs() < 1e-12);
        for _ in 0..2 * MAX_LINES + 2 {
            waterfall.add(&[0.0, 0.0], 0.02);
        }
        assert_eq!(waterfall.lines().len(), MAX_LINES);
        assert_eq!(waterfall.made(), MAX_LINES as u64 + 2);
    }

    #[test]
    fn wide_spectra_keep_their_strongest_bin_per_group_and_a_new_size_starts_over() {
        let mut waterfall = Waterfall::new(1);
        let mut spectrum = vec![0.0; 32768];
        spectrum[1001] = 1.0;
        waterfall.add(&spectrum, 0.1);
        let line = waterfall.lines().next().unwrap();
        assert_eq!(line.power.len(), MAX_LINE_BINS);
        assert_eq!(line.power[1001 / 16], 1.0);
        waterfall.add(&[1.0; 512], 0.1);
        assert_eq!(waterfall.lines().len(), 1, "the old size's lines are gone");
    }
}
