//! A recording as RIFF WAVE (SPEC §14): one WAV channel per frame channel at the frames'
//! rate; 16-bit PCM when the samples are codes of a converter of at most 16 bits (a 12-bit
//! code less mid-scale, times 16: full scale stays full scale), 32-bit float otherwise (full
//! scale ±1.0). The header is brought up to date at every flush, so a file cut by a crash
//! still opens with every sample flushed before it. Written with hound.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::thread::JoinHandle;

use hound::{SampleFormat, WavSpec, WavWriter};
use tokio::sync::mpsc;

use super::RecordError;
use crate::frame::{Frame, Payload};

/// Samples gathered before they go to the writer (and at every flush).
const CHUNK: usize = 32 * 1024;
/// Chunks on their way to the disk: beyond this the tap waits for the writer.
const CHUNKS_IN_FLIGHT: usize = 8;
/// A sample × this is a 16-bit code (a full-scale sine's peak is ±32768).
const I16_SCALE: f32 = 32768.0;

enum Message {
    Start(WavSpec),
    I16(Vec<i16>),
    F32(Vec<f32>),
    /// Bring the header up to date; say so when asked.
    Flush(Option<tokio::sync::oneshot::Sender<()>>),
}

/// What the first frame fixed.
#[derive(Clone, Copy, PartialEq)]
struct Layout {
    channels: usize,
    rate: u32,
    pcm16: bool,
}

pub struct WavRecorder {
    /// For frames that carry no rate (`--rate`).
    rate: Option<f64>,
    layout: Option<Layout>,
    i16s: Vec<i16>,
    f32s: Vec<f32>,
    chunks: Option<mpsc::Sender<Message>>,
    writer: Option<JoinHandle<hound::Result<()>>>,
}

impl WavRecorder {
    /// Creates (or empties) `path` at once, so a bad path fails at start.
    pub fn create(path: &Path, rate: Option<f64>) -> std::io::Result<Self> {
        let file = File::create(path)?;
        let (chunks, mut to_write) = mpsc::channel::<Message>(CHUNKS_IN_FLIGHT);
        let writer = std::thread::Builder::new()
            .name("wav recorder".into())
            .spawn(move || {
                let mut file = Some(file);
                let mut wav: Option<WavWriter<BufWriter<File>>> = None;
                while let Some(message) = to_write.blocking_recv() {
                    match (message, &mut wav) {
                        (Message::Start(spec), None) => {
                            let file = file.take().expect("one start");
                            let mut started = WavWriter::new(BufWriter::new(file), spec)?;
                            // A valid (empty) file from the first frame on.
                            started.flush()?;
                            wav = Some(started);
                        }
                        (Message::I16(samples), Some(w)) => {
                            let mut out = w.get_i16_writer(samples.len() as u32);
                            for s in samples {
                                out.write_sample(s);
                            }
                            out.flush()?;
                        }
                        (Message::F32(samples), Some(w)) => {
                            for s in samples {
                                w.write_sample(s)?;
                            }
                        }
                        (Message::Flush(done), Some(w)) => {
                            w.flush()?;
                            if let Some(done) = done {
                                let _ = done.send(());
                            }
                        }
                        _ => {}
                    }
                }
                match wav {
                    Some(w) => w.finalize(),
                    None => Ok(()),
                }
            })?;
        Ok(Self {
            rate,
            layout: None,
            i16s: Vec::new(),
            f32s: Vec::new(),
            chunks: Some(chunks),
            writer: Some(writer),
        })
    }

    pub async fn record(&mut self, frame: &Frame) -> Result<(), RecordError> {
        let Payload::Samples(values) = &frame.payload else {
            return Err(RecordError::Unusable(
                "the source sends spectra, and a WAV holds samples: record it to a file \
                 not ending in .wav"
                    .into(),
            ));
        };
        let rate = frame.sample_rate.or(self.rate).ok_or_else(|| {
            RecordError::Unusable("a WAV needs the sample rate: give --rate".into())
        })?;
        let rate = rate.round().clamp(1.0, f64::from(u32::MAX)) as u32;
        let channels = frame.channels.clamp(1, usize::from(u16::MAX));
        let layout = match self.layout {
            Some(layout) => layout,
            None => {
                // 16-bit when every sample is a 16-bit code (converters of up to 16 bits).
                let pcm16 = values.iter().all(|&v| {
                    let x = v * I16_SCALE;
                    x.fract() == 0.0 && (-32768.0..=32767.0).contains(&x)
                });
                let layout = Layout {
                    channels,
                    rate,
                    pcm16,
                };
                let spec = WavSpec {
                    channels: channels as u16,
                    sample_rate: rate,
                    bits_per_sample: if pcm16 { 16 } else { 32 },
                    sample_format: if pcm16 {
                        SampleFormat::Int
                    } else {
                        SampleFormat::Float
                    },
                };
                self.send(Message::Start(spec)).await?;
                self.layout = Some(layout);
                layout
            }
        };
        if (layout.channels, layout.rate) != (channels, rate) {
            return Err(RecordError::Stopped(format!(
                "the source changed to {channels} channels at {rate} Hz, and a WAV holds one \
                 layout ({} at {} Hz)",
                layout.channels, layout.rate
            )));
        }
        if layout.pcm16 {
            self.i16s.extend(
                values
                    .iter()
                    .map(|&v| (v * I16_SCALE).round().clamp(-32768.0, 32767.0) as i16),
            );
        } else {
            self.f32s.extend_from_slice(values);
        }
        if self.i16s.len() + self.f32s.len() >= CHUNK {
            self.hand_over().await?;
        }
        Ok(())
    }

    /// Hands the gathered samples to the writer.
    async fn hand_over(&mut self) -> Result<(), RecordError> {
        if !self.i16s.is_empty() {
            let samples = std::mem::take(&mut self.i16s);
            self.send(Message::I16(samples)).await?;
        }
        if !self.f32s.is_empty() {
            let samples = std::mem::take(&mut self.f32s);
            self.send(Message::F32(samples)).await?;
        }
        Ok(())
    }

    async fn send(&mut self, message: Message) -> Result<(), RecordError> {
        let sent = match &self.chunks {
            Some(chunks) => chunks.send(message).await.is_ok(),
            None => true,
        };
        if sent {
            return Ok(());
        }
        // The writer is gone: it failed, and says why.
        drop(self.chunks.take());
        Err(self
            .join_writer()
            .await
            .err()
            .unwrap_or_else(|| RecordError::Stopped("the writer stopped".into())))
    }

    /// Everything gathered on disk, and the header counting it.
    pub async fn flush(&mut self) -> Result<(), RecordError> {
        if self.layout.is_none() {
            return Ok(());
        }
        self.hand_over().await?;
        self.send(Message::Flush(None)).await
    }

    /// [`Self::flush`], and waits until the file holds it.
    #[cfg(test)]
    async fn flush_and_wait(&mut self) {
        self.hand_over().await.unwrap();
        let (done, flushed) = tokio::sync::oneshot::channel();
        self.send(Message::Flush(Some(done))).await.unwrap();
        flushed.await.unwrap();
    }

    /// Writes out the rest, finishes the header and waits for the disk; later calls do
    /// nothing.
    pub async fn finish(&mut self) -> Result<(), RecordError> {
        if self.chunks.is_some() {
            let _ = self.hand_over().await;
        }
        drop(self.chunks.take());
        self.join_writer().await
    }

    /// Waits for the writer thread to end (the file finalised, or why not).
    async fn join_writer(&mut self) -> Result<(), RecordError> {
        let Some(writer) = self.writer.take() else {
            return Ok(());
        };
        match tokio::task::spawn_blocking(move || writer.join()).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(e))) => Err(RecordError::Stopped(e.to_string())),
            _ => Err(RecordError::Stopped("the writer failed".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(values: Vec<f32>, channels: usize) -> Frame {
        Frame {
            seq: None,
            sample_rate: Some(8000.0),
            sent_at: None,
            channels,
            payload: Payload::Samples(values),
            labels: None,
            resolution: None,
        }
    }

    /// 12-bit codes become 16-bit PCM, left-justified, exactly; the file opens after every
    /// flush, a crash before `finish` included.
    #[tokio::test]
    async fn codes_are_written_exactly_and_the_header_follows_each_flush() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.wav");
        let mut recorder = WavRecorder::create(&path, None).unwrap();
        // 12-bit codes less mid-scale, in full-scale units: code / 2048.
        let codes: Vec<i32> = vec![-2048, -1, 0, 1, 2047, 1000];
        let values = codes.iter().map(|&c| c as f32 / 2048.0).collect();
        recorder.record(&frame(values, 2)).await.unwrap();
        recorder.flush_and_wait().await;
        let read = |path: &Path| {
            let mut reader = hound::WavReader::open(path).unwrap();
            let spec = reader.spec();
            let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
            (spec, samples)
        };
        let (spec, samples) = read(&path);
        assert_eq!(
            (spec.channels, spec.sample_rate, spec.bits_per_sample),
            (2, 8000, 16)
        );
        let want: Vec<i16> = codes.iter().map(|&c| (c * 16) as i16).collect();
        assert_eq!(samples, want);
        recorder.finish().await.unwrap();
        assert_eq!(read(&path).1, want);
    }

    #[tokio::test]
    async fn floats_are_written_as_floats_and_spectra_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.wav");
        let mut recorder = WavRecorder::create(&path, None).unwrap();
        recorder.record(&frame(vec![0.1, -0.25], 1)).await.unwrap();
        recorder.finish().await.unwrap();
        let mut reader = hound::WavReader::open(&path).unwrap();
        assert_eq!(reader.spec().sample_format, SampleFormat::Float);
        let samples: Vec<f32> = reader.samples::<f32>().map(Result::unwrap).collect();
        assert_eq!(samples, [0.1, -0.25]);
        let mut spectra = WavRecorder::create(&dir.path().join("s.wav"), None).unwrap();
        let spectrum = Frame {
            payload: Payload::Spectrum {
                power: vec![1.0; 4],
                window: crate::analysis::WindowKind::Hann,
            },
            ..frame(vec![], 1)
        };
        assert!(matches!(
            spectra.record(&spectrum).await,
            Err(RecordError::Unusable(_))
        ));
    }
}
