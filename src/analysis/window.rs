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

    /// The window's mean, Σw/N: how much a tone on a bin loses through it (0.5 for Hann).
    /// Exact for the periodic form, which is CMSIS-DSP's too (`arm_hanning_f32`).
    pub fn coherent_gain(self) -> f64 {
        self.coefficients()[0]
    }

    /// Half the width of the main lobe, in bins: how far a DC residue leaks, and how far
    /// either side of its strongest bin a tone's power is summed (one bin for rect, two for
    /// Hann and Hamming, four for Blackman-Harris, five for the flat top).
    pub fn main_lobe_half_width(self) -> usize {
        self.coefficients().len()
    }

    /// The equivalent noise bandwidth in bins, N·Σw²/(Σw)²: how much more noise power a bin
    /// gathers than a rectangular window's (1.5 for Hann). Exact for the periodic form.
    pub fn enbw(self) -> f64 {
        let a = self.coefficients();
        let squares: f64 = a[1..].iter().map(|aj| aj * aj / 2.0).sum();
        (a[0] * a[0] + squares) / (a[0] * a[0])
    }

    /// The power a bin `x` bins away from a tone reads, relative to a bin right on it, for an
    /// `n`-point transform: |W(x)|²/|W(0)|² from the window's transform in closed form (a
    /// cosine sum is a sum of shifted Dirichlet kernels). How far a tone's skirt reaches.
    pub fn leakage(self, x: f64, n: usize) -> f64 {
        let n = n as f64;
        // The Dirichlet kernel Σ e^(−i2πyk/N) over one period, as (re, im).
        // The angles are taken modulo a whole turn before the sines: far from the tone they
        // reach 10⁵ radians, where the library's sine takes its slow, exact path (ten times
        // the cost); y itself is exact, so its remainder is too.
        let dirichlet = |y: f64| -> (f64, f64) {
            let denominator = (PI * y / n).sin();
            if denominator.abs() < 1e-12 {
                // y is a whole number of periods: every term is 1.
                return (n, 0.0);
            }
            let magnitude = (PI * y.rem_euclid(2.0)).sin() / denominator;
            let phase = -PI * (y * (n - 1.0) / n).rem_euclid(2.0);
            (magnitude * phase.cos(), magnitude * phase.sin())
        };
        let (mut re, mut im) = (0.0, 0.0);
        for (j, &aj) in self.coefficients().iter().enumerate() {
            let c = if j % 2 == 0 { aj } else { -aj };
            let terms: &[f64] = if j == 0 {
                &[0.0]
            } else {
                &[-(j as f64), j as f64]
            };
            let weight = if j == 0 { c } else { c / 2.0 };
            for &shift in terms {
                let (r, i) = dirichlet(x + shift);
                re += weight * r;
                im += weight * i;
            }
        }
        let peak = self.coefficients()[0] * n;
        (re * re + im * im) / (peak * peak)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The closed forms against the window itself: its DFT, taken by brute force.
    #[test]
    fn leakage_and_noise_bandwidth_match_the_windows_own_transform() {
        let n = 64;
        for window in WindowKind::ALL {
            let w = window.build(n);
            let sum: f64 = w.iter().map(|&v| f64::from(v)).sum();
            let squares: f64 = w.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
            let enbw = n as f64 * squares / (sum * sum);
            assert!((window.enbw() - enbw).abs() < 1e-5, "{window:?} {enbw}");
            for x in [0.0, 0.25, 0.5, 1.0, 1.5, 2.37, 7.5, 20.1] {
                let (mut re, mut im) = (0.0, 0.0);
                for (k, &v) in w.iter().enumerate() {
                    let phase = -2.0 * PI * x * k as f64 / n as f64;
                    re += f64::from(v) * phase.cos();
                    im += f64::from(v) * phase.sin();
                }
                let want = (re * re + im * im) / (sum * sum);
                let got = window.leakage(x, n);
                // The window is built in f32: its rounding is the tolerance.
                assert!(
                    (got - want).abs() < 1e-4 * want + 1e-12,
                    "{window:?} at {x}: {got} vs {want}"
                );
            }
        }
        assert!((WindowKind::Hann.enbw() - 1.5).abs() < 1e-12);
    }
}
