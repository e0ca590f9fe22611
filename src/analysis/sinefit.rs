//! The four-parameter sine fit of IEEE Std 1241 (§4.1.3.3): the sine that fits a block of
//! samples best in the least-squares sense, its frequency included, iterated from the
//! three-parameter fit at the frequency the FFT found. What is left over is the converter's
//! noise and distortion: SINAD and ENOB in the time domain, a check of the spectrum's.

/// Iterations of the four-parameter fit (it converges in a few from a good start).
const ITERATIONS: usize = 12;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SineFit {
    pub freq_hz: f64,
    /// In full-scale units: 1.0 is a full-scale sine.
    pub amplitude: f64,
    pub offset: f64,
    /// The residual's RMS, full-scale units.
    pub rms_residual: f64,
}

impl SineFit {
    /// The fitted sine's power over the residual's.
    pub fn sinad_db(&self) -> f64 {
        10.0 * ((self.amplitude * self.amplitude / 2.0) / (self.rms_residual * self.rms_residual))
            .log10()
    }

    pub fn enob_bits(&self) -> f64 {
        (self.sinad_db() - 1.76) / 6.02
    }
}

/// The best sine through `samples` taken at `fs`, starting from `near_hz` (an FFT's
/// interpolated peak is close enough; from further, within a bin and a half, the start is
/// sought on a grid first); `None` for too few samples, a start at DC or beyond Nyquist, or a
/// fit that does not settle.
pub fn fit(samples: &[f32], fs: f64, near_hz: f64) -> Option<SineFit> {
    let n = samples.len();
    if n < 16 || !(near_hz > 0.0 && near_hz < fs / 2.0) {
        return None;
    }
    let w = std::f64::consts::TAU * near_hz / fs;
    // From a start a bin off the iteration does not settle (the three-parameter fit there has
    // little to hold on to): the start is then sought on a grid of tenths of a bin first.
    let fitted = four_parameter(samples, w).or_else(|| {
        let bin = std::f64::consts::TAU / n as f64;
        let best_start = (-15..=15)
            .map(|step| w + f64::from(step) * 0.1 * bin)
            .filter(|&w| w > 0.0 && w < std::f64::consts::PI)
            .min_by(|&a, &b| residual_at(samples, a).total_cmp(&residual_at(samples, b)))?;
        four_parameter(samples, best_start)
    });
    let (w, squares, a, b, c) = fitted.map(|(w, squares, (a, b, c))| (w, squares, a, b, c))?;
    Some(SineFit {
        freq_hz: w * fs / std::f64::consts::TAU,
        amplitude: a.hypot(b),
        offset: c,
        rms_residual: (squares / n as f64).sqrt(),
    })
}

/// The residual's sum of squares of the three-parameter fit at `w`.
fn residual_at(samples: &[f32], w: f64) -> f64 {
    let centre = (samples.len() as f64 - 1.0) / 2.0;
    three_parameter(samples, w, centre).map_or(f64::INFINITY, |p| squares(samples, w, p))
}

fn squares(samples: &[f32], w: f64, (a, b, c): (f64, f64, f64)) -> f64 {
    let centre = (samples.len() as f64 - 1.0) / 2.0;
    samples
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let (sin, cos) = (w * (i as f64 - centre)).sin_cos();
            let e = f64::from(x) - (a * cos + b * sin + c);
            e * e
        })
        .sum()
}

/// The four-parameter fit from `w` (rad a sample): the frequency, the residual's sum of
/// squares and (cos, sin, offset); `None` when it does not settle inside 0…π.
fn four_parameter(samples: &[f32], start: f64) -> Option<(f64, f64, (f64, f64, f64))> {
    // Time in samples, centred: the columns stay near orthogonal.
    let centre = (samples.len() as f64 - 1.0) / 2.0;
    let mut w = start;
    let (mut a, mut b, _) = three_parameter(samples, w, centre)?;
    let mut settled = false;
    for _ in 0..ITERATIONS {
        let mut normal = [[0.0f64; 4]; 4];
        let mut rhs = [0.0f64; 4];
        for (i, &x) in samples.iter().enumerate() {
            let t = i as f64 - centre;
            let (sin, cos) = (w * t).sin_cos();
            let row = [cos, sin, 1.0, t * (-a * sin + b * cos)];
            for r in 0..4 {
                rhs[r] += row[r] * f64::from(x);
                for (col, cell) in normal[r].iter_mut().enumerate() {
                    *cell += row[r] * row[col];
                }
            }
        }
        let solved = solve(normal, rhs)?;
        let step = solved[3];
        (a, b) = (solved[0], solved[1]);
        w += step;
        if !(w > 0.0 && w < std::f64::consts::PI) {
            return None;
        }
        if step.abs() < 1e-12 {
            settled = true;
            break;
        }
    }
    if !settled {
        return None;
    }
    // The amplitudes at the frequency found.
    let (a, b, c) = three_parameter(samples, w, centre)?;
    Some((w, squares(samples, w, (a, b, c)), (a, b, c)))
}

/// The three-parameter fit at `w` (rad a sample): cos and sin amplitudes and the offset.
fn three_parameter(samples: &[f32], w: f64, centre: f64) -> Option<(f64, f64, f64)> {
    let mut normal = [[0.0f64; 3]; 3];
    let mut rhs = [0.0f64; 3];
    for (i, &x) in samples.iter().enumerate() {
        let (sin, cos) = (w * (i as f64 - centre)).sin_cos();
        let row = [cos, sin, 1.0];
        for r in 0..3 {
            rhs[r] += row[r] * f64::from(x);
            for (col, cell) in normal[r].iter_mut().enumerate() {
                *cell += row[r] * row[col];
            }
        }
    }
    let [a, b, c] = solve(normal, rhs)?;
    Some((a, b, c))
}

/// `m` x = `v` by Gaussian elimination with partial pivoting; `None` when singular.
fn solve<const N: usize>(mut m: [[f64; N]; N], mut v: [f64; N]) -> Option<[f64; N]> {
    for col in 0..N {
        let pivot = (col..N).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))?;
        if m[pivot][col].abs() < 1e-300 {
            return None;
        }
        m.swap(col, pivot);
        v.swap(col, pivot);
        for row in col + 1..N {
            let f = m[row][col] / m[col][col];
            let pivot_row = m[col];
            for (cell, &p) in m[row][col..].iter_mut().zip(&pivot_row[col..]) {
                *cell -= f * p;
            }
            v[row] -= f * v[col];
        }
    }
    let mut x = [0.0; N];
    for row in (0..N).rev() {
        let tail: f64 = (row + 1..N).map(|k| m[row][k] * x[k]).sum();
        x[row] = (v[row] - tail) / m[row][row];
    }
    x.iter().all(|x| x.is_finite()).then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sine with Gaussian noise of known power, 12-bit quantised: the fit finds its
    /// frequency from a start a hundredth of a bin away (an FFT's interpolated peak) and from
    /// one a bin away, and its SINAD and ENOB are the truth's.
    #[test]
    fn the_fit_finds_the_sine_and_reads_the_noise_left() {
        let (fs, n) = (48_000.0, 4096);
        let (freq, amplitude, offset, sigma) = (1234.567, 0.8, 0.01, 2e-4);
        let lsb = 1.0 / 2048.0;
        let mut rng = fastrand::Rng::with_seed(3);
        let samples: Vec<f32> = (0..n)
            .map(|i| {
                let (u1, u2) = (rng.f64().max(1e-300), rng.f64());
                let noise = sigma * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                let x = offset
                    + amplitude * (std::f64::consts::TAU * freq * i as f64 / fs + 0.7).sin()
                    + noise;
                ((x / lsb).round() * lsb) as f32
            })
            .collect();
        let close = fit(&samples, fs, freq + 0.01 * fs / n as f64).unwrap();
        let fit = fit(&samples, fs, freq + fs / n as f64).unwrap();
        assert!(
            (fit.freq_hz - close.freq_hz).abs() < 1e-9,
            "{fit:?} {close:?}"
        );
        assert!((fit.freq_hz - freq).abs() < 1e-3, "{fit:?}");
        assert!((fit.amplitude - amplitude).abs() < 1e-4, "{fit:?}");
        assert!((fit.offset - offset).abs() < 1e-4, "{fit:?}");
        let truth_sinad =
            10.0 * ((amplitude * amplitude / 2.0) / (sigma * sigma + lsb * lsb / 12.0)).log10();
        let truth_enob = (truth_sinad - 1.76) / 6.02;
        assert!(
            (fit.enob_bits() - truth_enob).abs() < 0.1,
            "{} vs {truth_enob}",
            fit.enob_bits()
        );
    }

    #[test]
    fn nonsense_gives_no_fit() {
        assert_eq!(fit(&[0.0; 8], 48_000.0, 1000.0), None);
        assert_eq!(fit(&[0.0; 1024], 48_000.0, 0.0), None);
        assert_eq!(fit(&[0.0; 1024], 48_000.0, 30_000.0), None);
        assert_eq!(
            fit(&[0.0; 1024], 48_000.0, 1000.0),
            None,
            "silence has no sine"
        );
    }
}
