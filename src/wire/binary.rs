//! The binary frame, version 1 (SPEC §1): a 24-byte header, the payload, a CRC-32.

use crate::frame::{Frame, FrameError, Payload, SenderTime, check_power, check_samples};

pub const VERSION: u8 = 1;
pub const HEADER_LEN: usize = 24;
pub const CRC_LEN: usize = 4;
pub const MAX_CHANNELS: usize = 16;
/// The largest frame the header can describe: 65535 values × 16 channels × 4 bytes.
pub const MAX_FRAME_LEN: usize = HEADER_LEN + 65535 * MAX_CHANNELS * 4 + CRC_LEN;

const FLAG_UNIX_TIME: u8 = 1;

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
    let width = if bits == 0 || u32::from(bits) > dtype.width_bits() {
        dtype.width_bits()
    } else {
        u32::from(bits)
    };
    let half_range = 2f64.powi(width as i32 - 1);
    let offset = if dtype.is_unsigned() { half_range } else { 0.0 };
    Scaling {
        offset: offset as f32,
        scale: (1.0 / full_scale.unwrap_or(half_range)) as f32,
    }
}

/// Decodes one frame (raw bytes, not COBS) into full-scale units.
pub fn decode(bytes: &[u8], full_scale: Option<f64>) -> Result<Frame, FrameError> {
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
        Kind::SpectrumLinear => {
            // A magnitude of `full_scale` is 0 dBFS; power is its square.
            let unit = Scaling {
                offset: 0.0,
                scale: (1.0 / full_scale.unwrap_or(1.0)) as f32,
            };
            let mut values = convert(raw, dtype, unit);
            for v in &mut values {
                *v = *v * *v;
            }
            finite_spectrum(values)?
        }
        Kind::SpectrumDb => {
            let mut values = convert(
                raw,
                dtype,
                Scaling {
                    offset: 0.0,
                    scale: 1.0,
                },
            );
            for v in &mut values {
                *v = 10f32.powf(*v / 10.0);
            }
            finite_spectrum(values)?
        }
    };

    Ok(Frame {
        seq: Some(seq),
        sample_rate: (rate != 0).then_some(f64::from(rate)),
        sent_at,
        channels,
        payload,
        labels: None,
    })
}

fn finite_spectrum(values: Vec<f32>) -> Result<Payload, FrameError> {
    check_power(&values)?;
    Ok(Payload::Spectrum(values))
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
        flags,
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
/// that is exact (samples from ADCs of up to 16 bits always are), else as f32 (full scale 1.0).
/// Spectra are written as f32 linear magnitude. Frames with more channels or values than the
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
    let (kind, values) = match &frame.payload {
        Payload::Samples(v) => (Kind::Samples, v),
        Payload::Spectrum(v) => (Kind::SpectrumLinear, v),
    };
    let kept = || {
        values
            .chunks_exact(frame.channels.max(1))
            .take(count)
            .flat_map(|instant| &instant[..channels])
    };
    const I16_SCALE: f32 = 32768.0;
    let exact_i16 = kind == Kind::Samples
        && kept().all(|&v| {
            let x = v * I16_SCALE;
            x.fract() == 0.0 && (-32768.0..=32767.0).contains(&x)
        });
    let mut payload = Vec::with_capacity(count * channels * if exact_i16 { 2 } else { 4 });
    let dtype = if exact_i16 {
        for &v in kept() {
            payload.extend_from_slice(&((v * I16_SCALE) as i16).to_le_bytes());
        }
        Dtype::I16
    } else {
        for &v in kept() {
            let v = if kind == Kind::Samples { v } else { v.sqrt() };
            payload.extend_from_slice(&v.to_le_bytes());
        }
        Dtype::F32
    };
    let header = Header {
        kind,
        dtype,
        channels: channels as u8,
        bits: 0,
        seq,
        sample_rate: frame
            .sample_rate
            .map_or(0, |r| r.round().clamp(0.0, f64::from(u32::MAX)) as u32),
        timestamp: frame.sent_at,
    };
    encode_raw(&header, &payload, out);
    true
}
