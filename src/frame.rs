//! The frame model every source produces and the pipeline consumes.
//!
//! Decoders normalise on the way in, so the rest of the program never needs to
//! know the wire's data type: samples are in *full-scale units* (a full-scale sine
//! has amplitude 1.0) and spectra are *linear power relative to full scale*
//! (1.0 is 0 dBFS), the sender's FFT size and window already taken out.

use std::ops::RangeInclusive;
use std::sync::Arc;

use crate::analysis::WindowKind;

/// The clock a frame's timestamp was taken on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SenderTime {
    /// Microseconds since the Unix epoch: latency can be absolute.
    Unix(i64),
    /// Microseconds on the device's own clock (since boot): latency is relative.
    Device(i64),
}

impl SenderTime {
    pub fn micros(self) -> i64 {
        match self {
            SenderTime::Unix(us) | SenderTime::Device(us) => us,
        }
    }
}

/// What a frame carries.
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    /// Time-domain samples, interleaved channel by channel, in full-scale units.
    Samples(Vec<f32>),
    /// A spectrum, interleaved channel by channel: linear power, 1.0 = 0 dBFS.
    /// Bin i is at i × sample_rate / (2 × bins), as SPEC §1 lays it out.
    Spectrum {
        power: Vec<f32>,
        /// The window the sender applied before its FFT: how wide a tone's lobe is, so how
        /// far from DC a peak is sought and how the ADC figures sum a tone's power.
        window: WindowKind,
    },
}

/// One block of samples or one spectrum, as received.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    pub seq: Option<u32>,
    /// Hz; `None` when the wire did not say (then `--rate` applies).
    pub sample_rate: Option<f64>,
    /// Sender time of the frame's last sample.
    pub sent_at: Option<SenderTime>,
    pub channels: usize,
    pub payload: Payload,
    /// Channel names, when the input named them (Arduino-style `label:`).
    pub labels: Option<Arc<[String]>>,
    /// The converter's resolution in bits, for integer samples from a binary frame: each
    /// sample × 2^(bits−1) + 2^(bits−1) is then its code (the linearity test counts codes).
    pub resolution: Option<u8>,
}

impl Frame {
    /// Values per channel: samples per channel, or bins per channel.
    pub fn count(&self) -> usize {
        let values = match &self.payload {
            Payload::Samples(v) | Payload::Spectrum { power: v, .. } => v.len(),
        };
        values / self.channels.max(1)
    }

    pub fn is_spectrum(&self) -> bool {
        matches!(self.payload, Payload::Spectrum { .. })
    }
}

/// What the command line says about input levels, for input that does not say itself.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Levels {
    /// `--full-scale`: the amplitude of a full-scale sine, in the sender's units.
    pub full_scale: Option<f64>,
    /// `--board-window`: the window a board applied before its FFT, when its spectra do not
    /// say (none said: a rectangular window).
    pub board_window: Option<WindowKind>,
}

impl Levels {
    /// The window of a spectrum whose sender said `stated` (or nothing).
    pub fn window(self, stated: Option<WindowKind>) -> WindowKind {
        stated.or(self.board_window).unwrap_or(WindowKind::Rect)
    }
}

/// SPEC §1: what a full-scale sine on a bin reads in a spectrum of `bins` bins, the
/// magnitudes of an unnormalised N-point real FFT (N = 2 × bins, what CMSIS-DSP's
/// `arm_rfft_fast_f32` and `arm_cmplx_mag_f32` make): N/2 × the full-scale amplitude ×
/// the coherent gain of the window applied before the FFT. Dividing a bin's magnitude by
/// it, and squaring, gives power relative to full scale.
pub fn full_scale_magnitude(bins: usize, full_scale: f64, window: WindowKind) -> f64 {
    bins as f64 * full_scale * window.coherent_gain()
}

/// The largest magnitude a sample may have, in full-scale units (a spectrum bin's power may be
/// its square). No converter makes more; beyond it the FFT of one frame could overflow `f32`,
/// and a single infinity or NaN would poison every average after it. A frame holding such a
/// value is bad (SPEC §3: "a value beyond the range of f32 included"), never analysed.
pub const MAX_LEVEL: f64 = 1e12;

/// Sample rates taken from the wire or the command line, Hz.
pub const RATE_RANGE_HZ: RangeInclusive<f64> = 0.001..=10e9;
/// Full-scale amplitudes taken from JSON or `--full-scale`, in input units.
pub const FULL_SCALE_RANGE: RangeInclusive<f64> = 1e-12..=1e12;

/// Checks every sample against [`MAX_LEVEL`] (NaN fails too).
pub fn check_samples(values: &[f32]) -> Result<(), FrameError> {
    let max = MAX_LEVEL as f32;
    if values.iter().all(|v| v.abs() <= max) {
        Ok(())
    } else {
        Err(FrameError::OutOfRange)
    }
}

/// Checks every bin's power: not negative, not beyond [`MAX_LEVEL`]² (NaN fails too).
pub fn check_power(values: &[f32]) -> Result<(), FrameError> {
    let max = (MAX_LEVEL * MAX_LEVEL) as f32;
    if values.iter().all(|p| (0.0..=max).contains(p)) {
        Ok(())
    } else {
        Err(FrameError::OutOfRange)
    }
}

/// Why an input was rejected. Shown to the user, so each reads as a sentence fragment.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FrameError {
    #[error("frame too short ({0} bytes)")]
    TooShort(usize),
    #[error("unknown frame version {0}")]
    Version(u8),
    #[error("unknown frame kind {0}")]
    Kind(u8),
    #[error("unknown dtype {0}")]
    Dtype(u8),
    #[error("bad channel count {0}")]
    Channels(usize),
    #[error("frame count is 0")]
    EmptyCount,
    #[error("frame length {actual} does not match its header ({expected})")]
    Length { expected: usize, actual: usize },
    #[error("CRC mismatch")]
    Crc,
    #[error("bad COBS encoding")]
    Cobs,
    #[error("input longer than {0} bytes without a delimiter")]
    TooLong(usize),
    #[error("bad base64")]
    Base64,
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("no `samples` or `bins`")]
    MissingPayload,
    #[error("non-finite number")]
    NonFinite,
    #[error("a value out of range (beyond ±1e12 × full scale)")]
    OutOfRange,
    #[error("channels of unequal length")]
    Ragged,
    #[error("not a number: {0:?}")]
    NotANumber(String),
    #[error("sample rate out of range (0.001 Hz to 10 GHz)")]
    BadRate,
    #[error("full scale out of range (1e-12 to 1e12)")]
    BadFullScale,
    #[error("seq out of range")]
    BadSeq,
    #[error("unknown window code {0} in the flags")]
    WindowCode(u8),
    #[error("unknown window {0:?}")]
    WindowName(String),
}

/// One decoded item of input.
#[derive(Clone, Debug, PartialEq)]
pub enum Decoded {
    Frame(Frame),
    /// Rejected input: counted as a bad frame.
    Bad(FrameError),
    /// Well-formed input that is not data (an SSE event of another type): counted apart.
    Ignored(String),
}
