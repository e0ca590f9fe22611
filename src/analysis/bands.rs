//! Reduction of a spectrum to display bands on a linear or logarithmic frequency axis.
//!
//! A band shows the strongest bin whose centre lies in it. A band narrower than a bin
//! has no bin of its own: it shows the bin that covers its centre, so neighbouring bands
//! repeat that value rather than invent detail between bins.

use std::ops::Range;

use super::power_to_db;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum FreqAxis {
    #[default]
    Linear,
    Log,
}

/// Which bins each band takes, for a spectrum of `bins` bins.
#[derive(Clone, Debug, PartialEq)]
pub struct BandLayout {
    pub axis: FreqAxis,
    pub bins: usize,
    /// Band edges in bins (fractional), `bands + 1` of them.
    pub edges: Vec<f64>,
    ranges: Vec<Range<usize>>,
}

impl BandLayout {
    /// The axis runs from DC (linear) or bin 1 (log: DC has no place there) to Nyquist.
    pub fn new(bins: usize, bands: usize, axis: FreqAxis) -> Self {
        let bands = bands.max(1);
        let top = bins as f64;
        let edges: Vec<f64> = match axis {
            FreqAxis::Linear => (0..=bands).map(|b| top * b as f64 / bands as f64).collect(),
            FreqAxis::Log => {
                let bottom = 1f64.min(top);
                let ratio = (top / bottom).max(1.0);
                (0..=bands)
                    .map(|b| bottom * ratio.powf(b as f64 / bands as f64))
                    .collect()
            }
        };
        let last = bins.saturating_sub(1);
        let ranges = edges
            .windows(2)
            .map(|e| {
                let (lo, hi) = (e[0].ceil() as usize, (e[1].ceil() as usize).min(bins));
                if lo < hi {
                    lo..hi
                } else {
                    let centre = ((e[0] + e[1]) / 2.0).round() as usize;
                    centre.min(last)..(centre.min(last) + 1).min(bins.max(1))
                }
            })
            .collect();
        Self {
            axis,
            bins,
            edges,
            ranges,
        }
    }

    pub fn bands(&self) -> usize {
        self.ranges.len()
    }

    /// Position of a frequency (in bins) along the axis, 0.0 to 1.0; `None` off the axis.
    pub fn position_of_bin(&self, bin: f64) -> Option<f64> {
        let (lo, hi) = (self.edges[0], *self.edges.last().expect("edges"));
        if bin < lo || bin > hi || hi <= lo {
            return None;
        }
        Some(match self.axis {
            FreqAxis::Linear => (bin - lo) / (hi - lo),
            FreqAxis::Log => (bin / lo).ln() / (hi / lo).ln(),
        })
    }

    /// The strongest bin of each band, in dB (floored, never -inf). `power` must have `bins` bins.
    pub fn reduce_db(&self, power: &[f32], out: &mut Vec<f32>) {
        out.clear();
        out.extend(self.ranges.iter().map(|r| {
            let strongest = power
                .get(r.clone())
                .unwrap_or(&[])
                .iter()
                .fold(0f32, |m, &p| m.max(p));
            power_to_db(strongest)
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_bands_take_the_strongest_bin_of_their_share() {
        let layout = BandLayout::new(8, 4, FreqAxis::Linear);
        let mut out = Vec::new();
        layout.reduce_db(&[1.0, 0.01, 0.0, 0.1, 0.001, 0.0001, 0.0, 1e-6], &mut out);
        let expected = [0.0, -10.0, -30.0, -60.0];
        for (got, want) in out.iter().zip(expected) {
            assert!((got - want).abs() < 1e-4, "{got} != {want}");
        }
    }

    #[test]
    fn bands_narrower_than_a_bin_repeat_the_bin_that_covers_them() {
        let layout = BandLayout::new(4, 16, FreqAxis::Linear);
        let mut out = Vec::new();
        layout.reduce_db(&[1.0, 0.1, 0.01, 0.001], &mut out);
        assert_eq!(out.len(), 16);
        // Every band shows one of the real bin values, in order, with no gaps.
        let levels = [0.0, -10.0, -20.0, -30.0];
        assert!(
            out.iter()
                .all(|v| levels.iter().any(|l| (v - l).abs() < 1e-4))
        );
        assert!(out.windows(2).all(|w| w[0] >= w[1]));
        for (bin, level) in levels.iter().enumerate() {
            assert!(
                out.iter().any(|v| (v - level).abs() < 1e-4),
                "bin {bin} shown nowhere"
            );
        }
    }

    #[test]
    fn log_bands_start_above_dc_and_widen_upward() {
        let layout = BandLayout::new(512, 32, FreqAxis::Log);
        assert_eq!(layout.bands(), 32);
        assert!((layout.edges[0] - 1.0).abs() < 1e-9);
        assert!((layout.edges[32] - 512.0).abs() < 1e-6);
        let widths: Vec<f64> = layout.edges.windows(2).map(|e| e[1] - e[0]).collect();
        assert!(widths.windows(2).all(|w| w[1] > w[0]));
        assert!((layout.position_of_bin(512f64.sqrt()).unwrap() - 0.5).abs() < 1e-9);
        let mut power = vec![0.0; 512];
        power[0] = 1.0; // DC has no place on a log axis
        let mut out = Vec::new();
        layout.reduce_db(&power, &mut out);
        assert!(out.iter().all(|&v| v == crate::analysis::FLOOR_DB));
    }
}
