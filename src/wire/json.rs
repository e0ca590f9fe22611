//! SSE events (SPEC §3): JSON `samples`/`spectrum`/`message` events and base64 `frame` events.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

use crate::analysis::WindowKind;
use crate::frame::{
    Decoded, FULL_SCALE_RANGE, Frame, FrameError, Levels, Payload, RATE_RANGE_HZ, SenderTime,
    check_power, check_samples, full_scale_magnitude,
};
use crate::wire::binary::{self, MAX_CHANNELS};

#[derive(Deserialize)]
struct JsonFrame {
    seq: Option<u64>,
    ts: Option<f64>,
    fs: Option<f64>,
    samples: Option<Samples>,
    bins: Option<Vec<f64>>,
    unit: Option<String>,
    full_scale: Option<f64>,
    /// The window the sender applied before its FFT (a project extension: a `--window` name).
    window: Option<String>,
}

/// `samples` is either a flat array (one channel) or an array of per-channel arrays.
enum Samples {
    Flat(Vec<f64>),
    Channels(Vec<Vec<f64>>),
}

impl<'de> Deserialize<'de> for Samples {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(SamplesVisitor)
    }
}

struct SamplesVisitor;

/// One element of `samples`: a number or a channel's array. Decided by the first element,
/// without buffering the input (as `#[serde(untagged)]` would).
enum Element {
    Number(f64),
    Channel(Vec<f64>),
}

impl<'de> Deserialize<'de> for Element {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ElementVisitor;
        impl<'de> Visitor<'de> for ElementVisitor {
            type Value = Element;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or an array of numbers")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Element, E> {
                Ok(Element::Number(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Element, E> {
                Ok(Element::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Element, E> {
                Ok(Element::Number(v as f64))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Element, A::Error> {
                let mut values = Vec::with_capacity(seq.size_hint().unwrap_or(256));
                while let Some(v) = seq.next_element::<f64>()? {
                    values.push(v);
                }
                Ok(Element::Channel(values))
            }
        }
        d.deserialize_any(ElementVisitor)
    }
}

impl<'de> Visitor<'de> for SamplesVisitor {
    type Value = Samples;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of numbers or of per-channel arrays")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Samples, A::Error> {
        let mut flat = Vec::with_capacity(1024);
        let mut channels = Vec::new();
        while let Some(element) = seq.next_element::<Element>()? {
            match element {
                Element::Number(v) if channels.is_empty() => flat.push(v),
                Element::Channel(c) if flat.is_empty() => channels.push(c),
                _ => return Err(de::Error::custom("mixed numbers and arrays")),
            }
        }
        Ok(if channels.is_empty() {
            Samples::Flat(flat)
        } else {
            Samples::Channels(channels)
        })
    }
}

/// Decodes one SSE event. `id` is the event's last event id (used for `seq` when absent).
pub fn decode_event(event_type: &str, data: &str, id: Option<&str>, levels: Levels) -> Decoded {
    match event_type {
        "frame" => decode_frame_event(data, levels),
        "samples" | "spectrum" => match decode_json(data, id, levels) {
            Ok(frame) => Decoded::Frame(frame),
            Err(e) => Decoded::Bad(e),
        },
        // The default type is data when its keys say so, and otherwise someone else's.
        "" | "message" => {
            if looks_like_data(data) {
                match decode_json(data, id, levels) {
                    Ok(frame) => Decoded::Frame(frame),
                    Err(e) => Decoded::Bad(e),
                }
            } else {
                Decoded::Ignored("message".into())
            }
        }
        other => Decoded::Ignored(other.chars().take(64).collect()),
    }
}

fn looks_like_data(data: &str) -> bool {
    data.contains("\"samples\"") || data.contains("\"bins\"")
}

fn decode_frame_event(data: &str, levels: Levels) -> Decoded {
    // A frame event is some 3 KB of base64: decoded with SIMD (base64-simd), several times
    // faster than the scalar engine, which was the SSE client's largest cost.
    let bytes = match base64_simd::STANDARD.decode_to_vec(data.trim()) {
        Ok(bytes) => bytes,
        Err(_) => return Decoded::Bad(FrameError::Base64),
    };
    match binary::decode(&bytes, levels) {
        Ok(frame) => Decoded::Frame(frame),
        Err(e) => Decoded::Bad(e),
    }
}

fn decode_json(data: &str, id: Option<&str>, levels: Levels) -> Result<Frame, FrameError> {
    let parsed: JsonFrame =
        serde_json::from_str(data).map_err(|e| FrameError::Json(short(&e.to_string())))?;
    let seq = match parsed.seq {
        Some(seq) => Some(u32::try_from(seq).map_err(|_| FrameError::BadSeq)?),
        None => id.and_then(|id| id.trim().parse::<u32>().ok()),
    };
    let sample_rate = match parsed.fs {
        Some(fs) if RATE_RANGE_HZ.contains(&fs) => Some(fs),
        Some(_) => return Err(FrameError::BadRate),
        None => None,
    };
    let sent_at = match parsed.ts {
        Some(ms) if ms.is_finite() => Some(SenderTime::Unix((ms * 1000.0).round() as i64)),
        Some(_) => return Err(FrameError::NonFinite),
        None => None,
    };
    let full_scale = levels.full_scale.or(parsed.full_scale).unwrap_or(1.0);
    if !FULL_SCALE_RANGE.contains(&full_scale) {
        return Err(FrameError::BadFullScale);
    }
    let scale = 1.0 / full_scale;

    // Values are checked once scaled, as f32: a number JSON holds as a finite f64 (1e39) may
    // be infinite as f32, or too large to analyse.
    let (channels, payload) = match (parsed.samples, parsed.bins) {
        (Some(samples), _) => {
            let (channels, values) = interleave(samples)?;
            let values: Vec<f32> = values.iter().map(|v| (v * scale) as f32).collect();
            check_samples(&values)?;
            (channels, Payload::Samples(values))
        }
        (None, Some(bins)) => {
            not_empty(&bins)?;
            let db = match parsed.unit.as_deref() {
                None | Some("linear") => false,
                Some("db") => true,
                Some(_) => {
                    return Err(FrameError::Json("unit must be \"linear\" or \"db\"".into()));
                }
            };
            let stated = match parsed.window.as_deref() {
                None => None,
                Some(name) => Some(
                    <WindowKind as clap::ValueEnum>::from_str(name, false)
                        .map_err(|_| FrameError::WindowName(short(name)))?,
                ),
            };
            let window = levels.window(stated);
            // Magnitudes of an unnormalised FFT, as in a binary frame (SPEC §1).
            let reference = full_scale_magnitude(bins.len(), full_scale, window);
            let reference_db = 20.0 * reference.log10();
            let power: Vec<f32> = bins
                .iter()
                .map(|&v| {
                    if db {
                        10f64.powf((v - reference_db) / 10.0)
                    } else {
                        (v / reference) * (v / reference)
                    }
                } as f32)
                .collect();
            check_power(&power)?;
            (1, Payload::Spectrum { power, window })
        }
        (None, None) => return Err(FrameError::MissingPayload),
    };
    Ok(Frame {
        seq,
        sample_rate,
        sent_at,
        channels,
        payload,
        labels: None,
        resolution: None,
    })
}

fn interleave(samples: Samples) -> Result<(usize, Vec<f64>), FrameError> {
    match samples {
        Samples::Flat(values) => {
            not_empty(&values)?;
            Ok((1, values))
        }
        Samples::Channels(channels) => {
            if channels.len() > MAX_CHANNELS {
                return Err(FrameError::Channels(channels.len()));
            }
            let count = channels[0].len();
            if channels.iter().any(|c| c.len() != count) {
                return Err(FrameError::Ragged);
            }
            if count == 0 {
                return Err(FrameError::MissingPayload);
            }
            let mut values = Vec::with_capacity(count * channels.len());
            for i in 0..count {
                values.extend(channels.iter().map(|c| c[i]));
            }
            Ok((channels.len(), values))
        }
    }
}

fn not_empty(values: &[f64]) -> Result<(), FrameError> {
    if values.is_empty() {
        return Err(FrameError::MissingPayload);
    }
    Ok(())
}

fn short(message: &str) -> String {
    message.chars().take(120).collect()
}

/// Encodes a frame as the data of a `samples` or `spectrum` event (SPEC §3); returns
/// (event type, data). A spectrum travels as linear magnitude of its first channel, by SPEC
/// §1's rule (an unnormalised FFT's, of full scale 1.0), with its window named.
pub fn encode_event(frame: &Frame) -> (&'static str, String) {
    let mut object = serde_json::Map::new();
    if let Some(seq) = frame.seq {
        object.insert("seq".into(), seq.into());
    }
    if let Some(SenderTime::Unix(us)) = frame.sent_at {
        object.insert("ts".into(), (us as f64 / 1000.0).into());
    }
    if let Some(fs) = frame.sample_rate {
        object.insert("fs".into(), fs.into());
    }
    let channels = frame.channels.max(1);
    let event = match &frame.payload {
        Payload::Samples(values) if channels == 1 => {
            object.insert("samples".into(), serde_json::json!(values));
            "samples"
        }
        Payload::Samples(values) => {
            let per_channel: Vec<Vec<f32>> = (0..channels)
                .map(|c| values.iter().skip(c).step_by(channels).copied().collect())
                .collect();
            object.insert("samples".into(), serde_json::json!(per_channel));
            "samples"
        }
        Payload::Spectrum { power, window } => {
            let bins = power.len() / channels;
            let reference = full_scale_magnitude(bins, 1.0, *window) as f32;
            let magnitude: Vec<f32> = power
                .iter()
                .step_by(channels)
                .map(|p| p.sqrt() * reference)
                .collect();
            object.insert("bins".into(), serde_json::json!(magnitude));
            object.insert("window".into(), window.name().into());
            "spectrum"
        }
    };
    (event, serde_json::Value::Object(object).to_string())
}
