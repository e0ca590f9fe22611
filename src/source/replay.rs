//! `--replay FILE`: plays a `--record`ed file (or any capture of the byte-stream formats)
//! through the same decoder, at the pace its timestamps give, or as fast as possible.

use std::path::PathBuf;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::time::Instant;

use crate::clock::Clock;
use crate::error::plain_io_error;
use crate::frame::{Decoded, Frame, Payload};
use crate::link::LinkState;
use crate::vocabulary::{EventSender, SourceEvent};
use crate::wire::ByteDecoder;

const CHUNK: usize = 256 * 1024;

pub struct ReplayOptions {
    pub path: PathBuf,
    /// 1 = real time, 0 = as fast as possible.
    pub speed: f64,
    /// For frames that carry no rate.
    pub rate: Option<f64>,
}

pub async fn run(options: ReplayOptions, mut decoder: ByteDecoder, tx: EventSender, clock: Clock) {
    let mut file = match tokio::fs::File::open(&options.path).await {
        Ok(file) => file,
        Err(e) => return fail(&tx, "open", &options.path, &e).await,
    };
    if tx
        .send(SourceEvent::Status(LinkState::Connected))
        .await
        .is_err()
    {
        return;
    }
    let mut pacer = Pacer::new(options.speed, options.rate);
    let mut buffer = vec![0u8; CHUNK];
    loop {
        let n = match file.read(&mut buffer).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => return fail(&tx, "read", &options.path, &e).await,
        };
        let mut items = Vec::new();
        decoder.push(&buffer[..n], &mut items);
        if let Some(notice) = decoder.take_notice() {
            let _ = tx.send(SourceEvent::Notice(notice)).await;
        }
        if !pacer.send(items, n, &tx, &clock).await {
            return;
        }
    }
    let mut items = Vec::new();
    decoder.finish(&mut items);
    if !pacer.send(items, 0, &tx, &clock).await {
        return;
    }
    let _ = tx.send(SourceEvent::Status(LinkState::Ended)).await;
}

/// The file cannot be used: the source fails for good (exit status 1).
pub(super) async fn fail(
    tx: &EventSender,
    doing: &str,
    path: &std::path::Path,
    e: &std::io::Error,
) {
    let reason = format!("cannot {doing} {}: {}", path.display(), plain_io_error(e));
    let _ = tx
        .send(SourceEvent::Status(LinkState::Failed(reason)))
        .await;
}

/// Spaces frames out as their sender did: by timestamps, else by samples and rate.
pub(super) struct Pacer {
    speed: f64,
    rate: Option<f64>,
    start: Option<(Instant, f64)>,
    media_us: f64,
}

impl Pacer {
    pub(super) fn new(speed: f64, rate: Option<f64>) -> Self {
        Self {
            speed,
            rate,
            start: None,
            media_us: 0.0,
        }
    }

    /// Sends the items of one read; `false` when the receiver is gone.
    pub(super) async fn send(
        &mut self,
        items: Vec<Decoded>,
        bytes: usize,
        tx: &EventSender,
        clock: &Clock,
    ) -> bool {
        if self.speed <= 0.0 {
            let event = SourceEvent::Data {
                arrival: clock.now(),
                bytes,
                items,
            };
            return tx.send(event).await.is_ok();
        }
        // Paced: one event per frame, each at its time; bytes ride on the first.
        let mut bytes = bytes;
        for item in items {
            if let Decoded::Frame(frame) = &item {
                let due = self.due(frame);
                tokio::time::sleep_until(due).await;
            }
            let event = SourceEvent::Data {
                arrival: clock.now(),
                bytes: std::mem::take(&mut bytes),
                items: vec![item],
            };
            if tx.send(event).await.is_err() {
                return false;
            }
        }
        true
    }

    fn due(&mut self, frame: &Frame) -> Instant {
        let previous_us = self.media_us;
        let media_us = match (
            frame.sent_at,
            &frame.payload,
            frame.sample_rate.or(self.rate),
        ) {
            (Some(sent), _, _) => sent.micros() as f64,
            (None, Payload::Samples(_), Some(fs)) => previous_us + frame.count() as f64 * 1e6 / fs,
            _ => previous_us,
        };
        self.media_us = media_us;
        let now = Instant::now();
        let (start, media_start) = *self.start.get_or_insert((now, media_us));
        let offset_s = (media_us - media_start) / 1e6 / self.speed;
        // A timestamp that jumps back or far ahead (the sender restarted during the
        // recording) re-anchors the pace instead of bursting or stalling.
        if media_us < previous_us || offset_s > (now - start).as_secs_f64() + 10.0 {
            self.start = Some((now, media_us));
            return now;
        }
        start + Duration::from_secs_f64(offset_s.max(0.0))
    }
}
