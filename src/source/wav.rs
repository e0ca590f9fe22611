//! `--replay FILE.wav` (SPEC §14): a WAV file played as frames of samples at the pace of its
//! rate (or as fast as possible), its full scale the format's: 2^(bits−1) for integer
//! samples, ±1.0 for float. Read with hound, a chunk at a time off the async threads.

use std::fs::File;
use std::io::BufReader;

use hound::{SampleFormat, WavReader};

use super::replay::{Pacer, ReplayOptions, fail};
use crate::clock::Clock;
use crate::frame::{Decoded, Frame, Payload};
use crate::link::LinkState;
use crate::vocabulary::{EventSender, SourceEvent};

/// Samples per channel in a frame.
pub const FRAME_SAMPLES: usize = 1024;
/// Frames read at a time.
const FRAMES_A_READ: usize = 32;

type Reader = WavReader<BufReader<File>>;

pub async fn run(options: ReplayOptions, tx: EventSender, clock: Clock) {
    let path = options.path.clone();
    let opened = tokio::task::spawn_blocking(move || WavReader::open(&path)).await;
    let mut reader = match opened {
        Ok(Ok(reader)) => reader,
        Ok(Err(e)) => {
            let e = std::io::Error::other(e.to_string());
            return fail(&tx, "read the WAV", &options.path, &e).await;
        }
        Err(_) => return,
    };
    if tx
        .send(SourceEvent::Status(LinkState::Connected))
        .await
        .is_err()
    {
        return;
    }
    let mut pacer = Pacer::new(options.speed, None);
    let mut seq = 0u32;
    loop {
        let read = tokio::task::spawn_blocking(move || {
            let frames = read_frames(&mut reader, seq, FRAMES_A_READ);
            (reader, frames)
        })
        .await;
        let Ok((back, frames)) = read else {
            return;
        };
        reader = back;
        let frames = match frames {
            Ok(frames) => frames,
            Err(e) => {
                let e = std::io::Error::other(e.to_string());
                return fail(&tx, "read the WAV", &options.path, &e).await;
            }
        };
        if frames.is_empty() {
            break;
        }
        seq = seq.wrapping_add(frames.len() as u32);
        let bytes = frames.iter().map(|f| f.count() * f.channels * 2).sum();
        let items = frames.into_iter().map(Decoded::Frame).collect();
        if !pacer.send(items, bytes, &tx, &clock).await {
            return;
        }
    }
    let _ = tx.send(SourceEvent::Status(LinkState::Ended)).await;
}

/// Up to `wanted` samples; fewer where the file ends before its header says (a recording cut
/// by a crash, or by a disk that filled): the samples there are played, and the file ends.
fn up_to_a_cut(
    samples: impl Iterator<Item = hound::Result<f32>>,
    wanted: usize,
) -> hound::Result<Vec<f32>> {
    let mut values = Vec::with_capacity(wanted);
    for sample in samples.take(wanted) {
        match sample {
            Ok(value) => values.push(value),
            Err(hound::Error::IoError(e)) if is_cut(&e) => break,
            Err(e) => return Err(e),
        }
    }
    Ok(values)
}

/// Whether a read failed for the file's end: hound 3.5 says so with its own sentence (kind
/// `Other`), std with `UnexpectedEof`.
fn is_cut(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::UnexpectedEof || e.to_string() == "Failed to read enough bytes."
}

/// Up to `frames` frames from `seq` on; fewer at the end (a last frame may be short).
fn read_frames(reader: &mut Reader, seq: u32, frames: usize) -> hound::Result<Vec<Frame>> {
    let spec = reader.spec();
    let channels = usize::from(spec.channels.max(1));
    let per_frame = FRAME_SAMPLES * channels;
    let wanted = frames * per_frame;
    let values: Vec<f32> = match spec.sample_format {
        SampleFormat::Float => up_to_a_cut(reader.samples::<f32>(), wanted)?,
        SampleFormat::Int => {
            let full_scale = 2f32.powi(i32::from(spec.bits_per_sample) - 1);
            let samples = reader
                .samples::<i32>()
                .map(|s| s.map(|s| s as f32 / full_scale));
            up_to_a_cut(samples, wanted)?
        }
    };
    Ok(values
        .chunks(per_frame)
        .filter(|chunk| chunk.len() >= channels)
        .enumerate()
        .map(|(i, chunk)| {
            let whole = chunk.len() - chunk.len() % channels;
            Frame {
                seq: Some(seq.wrapping_add(i as u32)),
                sample_rate: Some(f64::from(spec.sample_rate)),
                sent_at: None,
                channels,
                payload: Payload::Samples(chunk[..whole].to_vec()),
                labels: None,
                resolution: None,
            }
        })
        .collect())
}
