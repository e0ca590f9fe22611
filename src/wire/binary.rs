//! The binary frame, version 1 (SPEC §1): a 24-byte header, the payload, a CRC-32.

use crate::analysis::WindowKind;
use crate::frame::{
    Frame, FrameError, Levels, Payload, SenderTime, check_power, check_samples,
    full_scale_magnitude,
};

pub const VERSION: u8 = 1;
pub const HEADER_LEN: usize = 24;
pub const CRC_LEN: usize = 4;
pub const MAX_CHANNELS: usize = 16;
/// The largest frame the header can describe: 65535 values × 16 channels × 4 bytes.
pub const MAX_FRAME_LEN: usize = HEADER_LEN + 65535 * MAX_CHANNELS * 4 + CRC_LEN;

const FLAG_UNIX_TIME: u8 = 1;
/// Flags bits 1–3 (a project extension of SPEC §1, where they were 0): the window a board
/// applied before the FFT of a spectrum frame. 0 says nothing (`--board-window`, else rect).
const WINDOW_SHIFT: u8 = 1;
const WINDOW_MASK: u8 = 0b111 << WINDOW_SHIFT;
/// The window codes of flags bits 1–3, from 1; 6 and 7 are reserved.
const WINDOW_CODES: [WindowKind; 5] = [
    WindowKind::Rect,
    WindowKind::Hann,
    WindowKind::Hamming,
    WindowKind::BlackmanHarris,
    WindowKind::Flattop,
];

fn window_from_flags(flags: u8) -> Result<Option<WindowKind>, FrameError> {
    match (flags & WINDOW_MASK) >> WINDOW_SHIFT {
        0 => Ok(None),
        code => WINDOW_CODES
            .get(usize::from(code) - 1)
            .copied()
            .map(Some)
            .ok_or(FrameError::WindowCode(code)),
    }
}

fn window_flags(window: Option<WindowKind>) -> u8 {
    let code = window.map_or(0, |w| {
        WINDOW_CODES
            .iter()
            .position(|&c| c == w)
            .expect("every window has a code")
            + 1
    });
    (code as u8) << WINDOW_SHIFT
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Samples = 0,
    SpectrumLinear = 1,
    SpectrumDb = 2,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dtype {
    U8 = 0,
    I8 = 1,
    U16 = 2,
    I16 = 3,
    U32 = 4,
    I32 = 5,
    F32 = 6,
}

impl Dtype {
    fn from_code(code: u8) -> Result<Self, FrameError> {
        Ok(match code {
            0 => Dtype::U8,
            1 => Dtype::I8,
            2 => Dtype::U16,
            3 => Dtype::I16,
            4 => Dtype::U32,
            5 => Dtype::I32,
            6 => Dtype::F32,
            other => return Err(FrameError::Dtype(other)),
        })
    }

    pub fn size(self) -> usize {
        match self {
            Dtype::U8 | Dtype::I8 => 1,
            Dtype::U16 | Dtype::I16 => 2,
            Dtype::U32 | Dtype::I32 | Dtype::F32 => 4,
        }
    }

    fn width_bits(self) -> u32 {
        self.size() as u32 * 8
    }

    fn is_unsigned(self) -> bool {
        matches!(self, Dtype::U8 | Dtype::U16 | Dtype::U32)
    }
}

/// How raw integer values map to full-scale units: `(raw - offset) * scale`.
#[derive(Clone, Copy, Debug)]
struct Scaling {
    offset: f32,
    scale: f32,
}

/// SPEC §1: full scale is 2^bits peak to peak, so a full-scale sine has amplitude
/// 2^(bits-1); unsigned samples are offset-binary around mid-scale.
/// `full_scale` (the `--full-scale` option) replaces the amplitude.
fn sample_scaling(dtype: Dtype, bits: u8, full_scale: Option<f64>) -> Scaling {
    if dtype == Dtype::F32 {
        return Scaling {
            offset: 0.0,
            scale: (1.0 / full_scale.unwrap_or(1.0)) as f32,
        };
    }
    let half_range = 2f64.powi(adc_width(dtype, bits) as i32 - 1);
    let offset = if dtype.is_unsigned() { half_range } else { 0.0 };
    Scaling {
        offset: offset as f32,
        scale: (1.0 / full_scale.unwrap_or(half_range)) as f32,
    }
}

/// The converter's resolution: `bits`, or the dtype's full width when 0 (or wider).
fn adc_width(dtype: Dtype, bits: u8) -> u32 {
    if bits == 0 || u32::from(bits) > dtype.width_bits() {
        dtype.width_bits()
    } else {
        u32::from(bits)
    }
}

/// The full-scale amplitude of the samples a board transformed, in the units its spectrum
/// is in (SPEC §1): `--full-scale`; else 2^(bits−1) ADC counts when `bits` names a
/// converter (a board's FFT of raw 12-bit codes, sent as f32); else 1.0 for floats and
/// 2^(width−1) for integers.
fn spectrum_full_scale(dtype: Dtype, bits: u8, full_scale: Option<f64>) -> f64 {
    match (full_scale, bits, dtype) {
        (Some(x), _, _) => x,
        (None, 0, Dtype::F32) => 1.0,
        (None, 1.., Dtype::F32) => 2f64.powi(i32::from(bits) - 1),
        (None, _, _) => 2f64.powi(adc_width(dtype, bits) as i32 - 1),
    }
}

/// Decodes one frame (raw bytes, not COBS) into full-scale units.
pub fn decode(bytes: &[u8], levels: Levels) -> Result<Frame, FrameError> {
    if bytes.len() < HEADER_LEN + CRC_LEN {
        return Err(FrameError::TooShort(bytes.len()));
    }
    let version = bytes[0];
    if version != VERSION {
        return Err(FrameError::Version(version));
    }
    let kind = match bytes[1] {
        0 => Kind::Samples,
        1 => Kind::SpectrumLinear,
        2 => Kind::SpectrumDb,
        other => return Err(FrameError::Kind(other)),
    };
    let dtype = Dtype::from_code(bytes[2])?;
    let channels = usize::from(bytes[3]);
    if channels == 0 || channels > MAX_CHANNELS {
        return Err(FrameError::Channels(channels));
    }
    let bits = bytes[4];
    let flags = bytes[5];
    let count = usize::from(u16::from_le_bytes([bytes[6], bytes[7]]));
    if count == 0 {
        return Err(FrameError::EmptyCount);
    }
    let payload_len = count * channels * dtype.size();
    let expected = HEADER_LEN + payload_len + CRC_LEN;
    if bytes.len() != expected {
        return Err(FrameError::Length {
            expected,
            actual: bytes.len(),
        });
    }
    let body = &bytes[..HEADER_LEN + payload_len];
    let crc = u32::from_le_bytes(bytes[expected - 4..].try_into().expect("4 bytes"));
    if crc32fast::hash(body) != crc {
        return Err(FrameError::Crc);
    }

    let seq = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    let rate = u32::from_le_bytes(bytes[12..16].try_into().expect("4 bytes"));
    let timestamp = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"));
    let sent_at = match (timestamp, flags & FLAG_UNIX_TIME != 0) {
        (0, _) => None,
        (us, true) => Some(SenderTime::Unix(us.min(i64::MAX as u64) as i64)),
        (us, false) => Some(SenderTime::Device(us.min(i64::MAX as u64) as i64)),
    };

    let raw = &body[HEADER_LEN..];
    let full_scale = levels.full_scale;
    let payload = match kind {
        Kind::Samples => {
            let values = convert(raw, dtype, sample_scaling(dtype, bits, full_scale));
            // Integers scaled by their own width stay within a few × full scale; floats, and
            // any scale given with --full-scale, may not.
            if dtype == Dtype::F32 || full_scale.is_some() {
                check_samples(&values)?;
            }
            Payload::Samples(values)
        }
        Kind::SpectrumLinear | Kind::SpectrumDb => {
            let window = levels.window(window_from_flags(flags)?);
            let reference =
                full_scale_magnitude(count, spectrum_full_scale(dtype, bits, full_scale), window);
            let unit = Scaling {
                offset: 0.0,
                scale: 1.0,
            };
            let mut power = convert(raw, dtype, unit);
            if kind == Kind::SpectrumLinear {
                // Power relative to full scale is the magnitude's, over the reference's, squared.
                let scale = (1.0 / reference) as f32;
                for v in &mut power {
                    *v = (*v * scale) * (*v * scale);
                }
            } else {
                // 20·log10 of the same magnitudes: the reference's dB is 0 dBFS.
                let reference_db = (20.0 * reference.log10()) as f32;
                for v in &mut power {
                    *v = 10f32.powf((*v - reference_db) / 10.0);
                }
            }
            check_power(&power)?;
            Payload::Spectrum { power, window }
        }
    };

    let resolution =
        (kind == Kind::Samples && dtype != Dtype::F32).then(|| adc_width(dtype, bits) as u8);
    Ok(Frame {
        seq: Some(seq),
        sample_rate: (rate != 0).then_some(f64::from(rate)),
        sent_at,
        channels,
        payload,
        labels: None,
        resolution,
    })
}

/// The hot loop of decoding: little-endian values to scaled f32, one pass, no zero-fill.
fn convert(raw: &[u8], dtype: Dtype, s: Scaling) -> Vec<f32> {
    macro_rules! each {
        ($n:literal, $ty:ty) => {
            raw.chunks_exact($n)
                .map(|src| {
                    (<$ty>::from_le_bytes(src.try_into().expect("chunk size")) as f32 - s.offset)
                        * s.scale
                })
                .collect()
        };
    }
    match dtype {
        Dtype::U8 => each!(1, u8),
        Dtype::I8 => each!(1, i8),
        Dtype::U16 => each!(2, u16),
        Dtype::I16 => each!(2, i16),
        Dtype::U32 => each!(4, u32),
        Dtype::I32 => each!(4, i32),
        Dtype::F32 => each!(4, f32),
    }
}

/// The header fields an encoder needs besides the values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Header {
    pub kind: Kind,
    pub dtype: Dtype,
    pub channels: u8,
    pub bits: u8,
    pub seq: u32,
    pub sample_rate: u32,
    pub timestamp: Option<SenderTime>,
    /// The window a spectrum was made through (flags bits 1–3); `None` says nothing.
    pub window: Option<WindowKind>,
}

impl Header {
    /// One channel of time-domain samples at the full width of `dtype` (set `bits` for an
    /// ADC narrower than its word).
    pub fn samples(
        dtype: Dtype,
        seq: u32,
        sample_rate: u32,
        timestamp: Option<SenderTime>,
    ) -> Self {
        Self {
            kind: Kind::Samples,
            dtype,
            channels: 1,
            bits: 0,
            seq,
            sample_rate,
            timestamp,
            window: None,
        }
    }
}

/// Encodes raw little-endian payload bytes (already in `dtype`) as one frame.
/// Panics if the payload does not match the header: encoders are fed by our own code.
pub fn encode_raw(header: &Header, payload: &[u8], out: &mut Vec<u8>) {
    let values = payload.len() / header.dtype.size();
    let count = values / usize::from(header.channels.max(1));
    assert!(
        (1..=65535).contains(&count)
            && count * usize::from(header.channels) * header.dtype.size() == payload.len(),
        "payload does not match the header"
    );
    let start = out.len();
    let (flags, timestamp) = match header.timestamp {
        None => (0, 0u64),
        Some(SenderTime::Unix(us)) => (FLAG_UNIX_TIME, us.max(0) as u64),
        Some(SenderTime::Device(us)) => (0, us.max(0) as u64),
    };
    out.extend_from_slice(&[
        VERSION,
        header.kind as u8,
        header.dtype as u8,
        header.channels,
        header.bits,
        flags | window_flags(header.window),
    ]);
    out.extend_from_slice(&(count as u16).to_le_bytes());
    out.extend_from_slice(&header.seq.to_le_bytes());
    out.extend_from_slice(&header.sample_rate.to_le_bytes());
    out.extend_from_slice(&timestamp.to_le_bytes());
    out.extend_from_slice(payload);
    let crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&crc.to_le_bytes());
}

/// Encodes values given as numbers, with the function that writes one little-endian
/// (`u16::to_le_bytes` for ADC words, `i16::to_le_bytes`, …); `header.dtype` must match.
pub fn encode_values<T: Copy, const N: usize>(
    header: &Header,
    values: &[T],
    to_le_bytes: impl Fn(T) -> [u8; N],
    out: &mut Vec<u8>,
) {
    let payload: Vec<u8> = values.iter().flat_map(|&v| to_le_bytes(v)).collect();
    encode_raw(header, &payload, out);
}

/// Encodes a decoded frame back to the wire, e.g. for `--record` or publishing: as i16 when
/// that is exact (samples from ADCs of up to 16 bits always are), with the converter's
/// resolution in `bits` when the frame knew it, else as f32 (full scale 1.0).
/// Spectra are written as f32 linear magnitude by SPEC §1's rule (an unnormalised FFT's, of
/// full scale 1.0), with their window in the flags. Frames with more channels or values than the
/// wire allows are cut to fit; an empty frame (which no decoder makes) writes nothing and
/// returns `false`.
pub fn encode_frame(frame: &Frame, out: &mut Vec<u8>) -> bool {
    encode_frame_as(frame, frame.seq.unwrap_or(0), out)
}

/// [`encode_frame`] with the given `seq` in the header (a publisher numbers frames that
/// came without one).
pub fn encode_frame_as(frame: &Frame, seq: u32, out: &mut Vec<u8>) -> bool {
    let channels = frame.channels.clamp(1, MAX_CHANNELS);
    let count = frame.count().min(65535);
    if count == 0 {
        return false;
    }
    let (kind, values, window) = match &frame.payload {
        Payload::Samples(v) => (Kind::Samples, v, None),
        Payload::Spectrum { power, window } => (Kind::SpectrumLinear, power, Some(*window)),
    };
    let reference = window.map_or(1.0, |w| full_scale_magnitude(count, 1.0, w) as f32);
    let kept = || {
        values
            .chunks_exact(frame.channels.max(1))
            .take(count)
            .flat_map(|instant| &instant[..channels])
    };
    // Samples that are a converter's codes are written as such, as i16 with the converter's
    // resolution (so a replay knows its codes: the linearity test counts them); else as f32.
    let bits = frame
        .resolution
        .filter(|b| (1..=16).contains(b))
        .unwrap_or(16);
    let scale = 2f32.powi(i32::from(bits) - 1);
    let exact_i16 = kind == Kind::Samples
        && kept().all(|&v| {
            let x = v * scale;
            x.fract() == 0.0 && (-32768.0..=32767.0).contains(&x)
        });
    let mut payload = Vec::with_capacity(count * channels * if exact_i16 { 2 } else { 4 });
    let dtype = if exact_i16 {
        for &v in kept() {
            payload.extend_from_slice(&((v * scale) as i16).to_le_bytes());
        }
        Dtype::I16
    } else {
        for &v in kept() {
            let v = if kind == Kind::Samples {
                v
            } else {
                v.sqrt() * reference
            };
            payload.extend_from_slice(&v.to_le_bytes());
        }
        Dtype::F32
    };
    let header = Header {
        kind,
        dtype,
        channels: channels as u8,
        bits: if exact_i16 && bits < 16 { bits } else { 0 },
        seq,
        sample_rate: frame
            .sample_rate
            .map_or(0, |r| r.round().clamp(0.0, f64::from(u32::MAX)) as u32),
        timestamp: frame.sent_at,
        window,
    };
    encode_raw(&header, &payload, out);
    true
}
