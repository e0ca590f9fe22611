//! Frames recorded as they came: each appended as a COBS-framed binary frame (SPEC §1),
//! encoded in the tap into a buffer that the writer thread puts on disk.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::thread::JoinHandle;

use tokio::sync::mpsc;

use crate::error::plain_io_error;
use crate::frame::Frame;
use crate::wire::{binary, cobs_stream};

/// The buffer goes to the writer when it holds this much (and at least once a second).
const CHUNK: usize = 256 * 1024;
/// Chunks on their way to the disk: beyond this the tap waits for the writer.
const CHUNKS_IN_FLIGHT: usize = 8;

use super::RecordError;

pub struct FrameRecorder {
    buffer: Vec<u8>,
    frame: Vec<u8>,
    chunks: Option<mpsc::Sender<Vec<u8>>>,
    writer: Option<JoinHandle<std::io::Result<()>>>,
}

impl FrameRecorder {
    /// Opens (creates, or appends to) `path` at once, so a bad path fails at start.
    pub fn append_to(path: &Path) -> std::io::Result<Self> {
        let mut file = OpenOptions::new().create(true).append(true).open(path)?;
        let (chunks, mut to_write) = mpsc::channel::<Vec<u8>>(CHUNKS_IN_FLIGHT);
        let writer = std::thread::Builder::new()
            .name("recorder".into())
            .spawn(move || {
                while let Some(chunk) = to_write.blocking_recv() {
                    file.write_all(&chunk)?;
                }
                file.flush()
            })?;
        Ok(Self {
            buffer: Vec::with_capacity(CHUNK),
            frame: Vec::new(),
            chunks: Some(chunks),
            writer: Some(writer),
        })
    }

    pub async fn record(&mut self, frame: &Frame) -> Result<(), RecordError> {
        self.frame.clear();
        if binary::encode_frame(frame, &mut self.frame) {
            cobs_stream::encode(&self.frame, &mut self.buffer);
        }
        if self.buffer.len() >= CHUNK {
            self.flush().await?;
        }
        Ok(())
    }

    /// Hands what is buffered to the writer.
    pub async fn flush(&mut self) -> Result<(), RecordError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK));
        let Some(chunks) = &self.chunks else {
            return Ok(());
        };
        if chunks.send(chunk).await.is_err() {
            // The writer is gone: it failed, and says why.
            return Err(self
                .finish()
                .await
                .err()
                .unwrap_or_else(|| RecordError::Stopped("the writer stopped".into())));
        }
        Ok(())
    }

    /// Writes out the rest and waits for the disk; later calls do nothing.
    pub async fn finish(&mut self) -> Result<(), RecordError> {
        if let Some(chunks) = self.chunks.take()
            && !self.buffer.is_empty()
        {
            let _ = chunks.send(std::mem::take(&mut self.buffer)).await;
        }
        let Some(writer) = self.writer.take() else {
            return Ok(());
        };
        match tokio::task::spawn_blocking(move || writer.join()).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(e))) => Err(RecordError::Stopped(plain_io_error(&e))),
            _ => Err(RecordError::Stopped("the writer failed".into())),
        }
    }
}
