//! Sources: I/O only. Each reads its input, decodes it with the wire module, and sends
//! [`SourceEvent`](crate::vocabulary::SourceEvent)s down a bounded channel; reconnecting
//! lives inside the source.

pub mod demo;
pub mod replay;
pub mod serial;
pub mod sse;
pub mod wav;

use std::future::Future;
use std::pin::Pin;

use crate::clock::Clock;
use crate::frame::Levels;
use crate::sse::client::SseConfig;
use crate::vocabulary::EventSender;
use crate::wire::lines::LineOptions;
use crate::wire::{ByteDecoder, Format};

/// A source that runs on the pipeline's own thread, beside it (the demo board): its events
/// then reach the pipeline without waking another thread.
pub type LocalSource = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()>>> + Send>;

/// How bytes become frames, for the sources that read bytes.
#[derive(Clone, Copy, Debug)]
pub struct Decoding {
    pub format: Format,
    pub lines: LineOptions,
}

impl Decoding {
    fn decoder(self) -> ByteDecoder {
        ByteDecoder::new(self.format, self.lines)
    }
}

/// Which source to run, and what it needs.
pub enum SourceSpec {
    Demo,
    Replay(replay::ReplayOptions, Decoding),
    Serial(serial::SerialOptions, Decoding),
    Url(SseConfig, Levels),
}

/// A WAV file by its name (`.wav`, any case).
pub fn is_wav(path: &std::path::Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("wav"))
}

/// An async source, aborted when this is dropped.
pub struct Running(Option<tokio::task::JoinHandle<()>>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(task) = &self.0 {
            task.abort();
        }
    }
}

/// Starts `spec`, sending into `tx`. Async sources run as tasks; the blocking serial reader
/// runs on a thread of its own and ends when the receiver is dropped; the demo board is given
/// back to run beside the pipeline, on its thread.
pub fn start(spec: SourceSpec, tx: EventSender, clock: Clock) -> (Running, Option<LocalSource>) {
    let task = match spec {
        SourceSpec::Demo => {
            let board: LocalSource = Box::new(move || Box::pin(demo::run(tx, clock)));
            return (Running(None), Some(board));
        }
        SourceSpec::Replay(options, _) if is_wav(&options.path) => {
            Some(tokio::spawn(wav::run(options, tx, clock)))
        }
        SourceSpec::Replay(options, decoding) => Some(tokio::spawn(replay::run(
            options,
            decoding.decoder(),
            tx,
            clock,
        ))),
        SourceSpec::Serial(options, decoding) => {
            serial::spawn(
                options,
                move || decoding.decoder().joining_mid_stream(),
                tx,
                clock,
            );
            None
        }
        SourceSpec::Url(config, levels) => Some(tokio::spawn(sse::run(config, levels, tx, clock))),
    };
    (Running(task), None)
}
