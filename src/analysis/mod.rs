//! Spectrum analysis: window, cached real FFT, dBFS scaling, averaging, peak hold, peak,
//! and reduction to display bands.

pub mod adc;
pub mod bands;
pub mod coherent;
pub mod linearity;
pub mod peak;
pub mod reference;
pub mod sinefit;
pub mod spectrum;
pub mod trace;
pub mod waterfall;
pub mod window;

pub use bands::{BandLayout, FreqAxis};
pub use peak::Peak;
pub use spectrum::{Analyzer, AnalyzerSettings, Origin};
pub use window::WindowKind;

/// The lowest level shown, in dB: silence is a floor, never -inf.
pub const FLOOR_DB: f32 = -200.0;
const FLOOR_POWER: f32 = 1e-20;

/// Linear power (1.0 = full scale) to dB, floored.
pub fn power_to_db(power: f32) -> f32 {
    10.0 * power.max(FLOOR_POWER).log10()
}

/// The FFT sizes `--fft` accepts.
pub const MIN_FFT: usize = 64;
pub const MAX_FFT: usize = 65536;

pub fn is_valid_fft_size(n: usize) -> bool {
    n.is_power_of_two() && (MIN_FFT..=MAX_FFT).contains(&n)
}
