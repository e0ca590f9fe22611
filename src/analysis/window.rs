//! Window functions, periodic (DFT-even) form, with their coherent gain.

use std::f64::consts::PI;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum WindowKind {
    #[default]
    Hann,
    Hamming,
    BlackmanHarris,
    Flattop,
    Rect,
}

impl WindowKind {
    pub const ALL: [WindowKind; 5] = [
        WindowKind::Hann,
        WindowKind::Hamming,
        WindowKind::BlackmanHarris,
        WindowKind::Flattop,
        WindowKind::Rect,
    ];

    pub fn name(self) -> &'static str {
        match self {
            WindowKind::Hann => "hann",
            WindowKind::Hamming => "hamming",
            WindowKind::BlackmanHarris => "blackman-harris",
            WindowKind::Flattop => "flattop",
            WindowKind::Rect => "rect",
        }
    }

    pub fn next(self) -> Self {
        let i = Self::ALL.iter().position(|&w| w == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    /// Cosine-sum coefficients a0, a1, … : w[k] = Σ (-1)^j a_j cos(2πjk/N).
    fn coefficients(self) -> &'static [f64] {
        match self {
            WindowKind::Rect => &[1.0],
            WindowKind::Hann => &[0.5, 0.5],
            WindowKind::Hamming => &[0.54, 0.46],
            WindowKind::BlackmanHarris => &[0.35875, 0.48829, 0.14128, 0.01168],
            // The flat-top of Matlab's flattopwin: scalloping loss under 0.02 dB.
            WindowKind::Flattop => &[
                0.21557895,
                0.41663158,
                0.277263158,
                0.083578947,
                0.006947368,
            ],
        }
    }

    /// Half the width of the main lobe, in bins: how far a DC residue leaks.
    pub fn main_lobe_half_width(self) -> usize {
        self.coefficients().len()
    }

    /// The window's `n` coefficients.
    pub fn build(self, n: usize) -> Vec<f32> {
        let a = self.coefficients();
        (0..n)
            .map(|k| {
                let x = 2.0 * PI * k as f64 / n as f64;
                a.iter()
                    .enumerate()
                    .map(|(j, aj)| if j % 2 == 0 { 1.0 } else { -1.0 } * aj * (j as f64 * x).cos())
                    .sum::<f64>() as f32
            })
            .collect()
    }
}
