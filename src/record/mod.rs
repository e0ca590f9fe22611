//! `--record FILE`: what the source sends, kept as it came: every frame as a COBS-framed
//! binary frame (SPEC §1), or, for a file ending in `.wav`, the raw samples as RIFF WAVE
//! (SPEC §14). Frames are taken where they pass (the tap, off the analysis thread) and a
//! writer thread of the recorder's own puts them on disk, so a slow disk never stalls the
//! analysis.

mod frames;
mod wav;

use std::path::Path;

use crate::frame::Frame;
pub use frames::FrameRecorder;
pub use wav::WavRecorder;

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The disk or the writer failed: the recording stops, the run goes on.
    #[error("recording stopped: {0}")]
    Stopped(String),
    /// The input cannot be recorded as asked (a spectrum as WAV): the run cannot do what it
    /// was asked.
    #[error("{0}")]
    Unusable(String),
}

pub enum Recorder {
    Frames(FrameRecorder),
    Wav(WavRecorder),
}

impl Recorder {
    /// A recorder for `path`, opened at once so a bad path fails at start: WAV when the name
    /// ends in `.wav` (frames without a rate take `rate`), else frames appended.
    pub fn open(path: &Path, rate: Option<f64>) -> std::io::Result<Self> {
        Ok(if crate::source::is_wav(path) {
            Recorder::Wav(WavRecorder::create(path, rate)?)
        } else {
            Recorder::Frames(FrameRecorder::append_to(path)?)
        })
    }

    pub async fn record(&mut self, frame: &Frame) -> Result<(), RecordError> {
        match self {
            Recorder::Frames(r) => r.record(frame).await,
            Recorder::Wav(r) => r.record(frame).await,
        }
    }

    /// Puts what is buffered on disk (a WAV's header made valid for it).
    pub async fn flush(&mut self) -> Result<(), RecordError> {
        match self {
            Recorder::Frames(r) => r.flush().await,
            Recorder::Wav(r) => r.flush().await,
        }
    }

    /// Writes out the rest and waits for the disk; later calls do nothing.
    pub async fn finish(&mut self) -> Result<(), RecordError> {
        match self {
            Recorder::Frames(r) => r.finish().await,
            Recorder::Wav(r) => r.finish().await,
        }
    }
}
