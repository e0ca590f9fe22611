//! Taps on the way from the source to the pipeline: the recorder (`--record`) and a watcher
//! of the raw events (`serve`'s hub). They see every event the source sends, in order, and
//! do their work here, beside the pipeline rather than on its thread.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::frame::Decoded;
use crate::record::{RecordError, Recorder};
use crate::vocabulary::{CHANNEL_CAPACITY, SourceEvent};

/// What is recorded reaches the disk at least this often by default (`--record-flush`): a
/// crash loses no more.
pub const RECORD_FLUSH: Duration = Duration::from_millis(100);

#[derive(Default)]
pub struct Taps {
    pub recorder: Option<Recorder>,
    /// How often the recording goes to disk (none: [`RECORD_FLUSH`]).
    pub record_flush: Option<Duration>,
    /// With `--frames N` the recording holds the first N frames, as the run does.
    pub record_limit: Option<u64>,
    /// Sees every event as it passes (`serve` publishes the frames to its watchers).
    pub watcher: Option<EventWatcher>,
}

/// Something that sees each source event on its way (and must not keep the way waiting).
pub type EventWatcher = Box<dyn Fn(&SourceEvent) + Send>;

impl Taps {
    pub fn is_empty(&self) -> bool {
        self.recorder.is_none() && self.watcher.is_none()
    }
}

/// Puts the taps between the source's events and the pipeline: returns what the pipeline
/// reads, and the task, which ends (the recording written out) when either side goes away.
pub fn insert(
    from_source: mpsc::Receiver<SourceEvent>,
    taps: Taps,
) -> (mpsc::Receiver<SourceEvent>, Option<JoinHandle<()>>) {
    if taps.is_empty() {
        return (from_source, None);
    }
    let (to_pipeline, for_pipeline) = mpsc::channel(CHANNEL_CAPACITY);
    let task = tokio::spawn(tee(from_source, to_pipeline, taps));
    (for_pipeline, Some(task))
}

async fn tee(
    mut from_source: mpsc::Receiver<SourceEvent>,
    to_pipeline: mpsc::Sender<SourceEvent>,
    mut taps: Taps,
) {
    let mut flush = tokio::time::interval(taps.record_flush.unwrap_or(RECORD_FLUSH));
    loop {
        let event = tokio::select! {
            event = from_source.recv() => match event {
                Some(event) => event,
                None => break,
            },
            () = to_pipeline.closed() => break,
            _ = flush.tick() => {
                if let Some(problem) = flush_recording(&mut taps).await {
                    let _ = to_pipeline.send(problem).await;
                }
                continue;
            }
        };
        if let Some(problem) = see(&mut taps, &event).await {
            let _ = to_pipeline.send(problem).await;
        }
        if to_pipeline.send(event).await.is_err() {
            break;
        }
    }
    if let Some(recorder) = &mut taps.recorder
        && let Err(e) = recorder.finish().await
    {
        tracing::warn!(error = %e, "recording");
        let _ = to_pipeline.send(SourceEvent::Warning(e.to_string())).await;
    }
}

/// One event through the taps; a recording that failed comes back as a warning.
async fn see(taps: &mut Taps, event: &SourceEvent) -> Option<SourceEvent> {
    if let Some(watcher) = &taps.watcher {
        watcher(event);
    }
    let recorder = taps.recorder.as_mut()?;
    let SourceEvent::Data { items, .. } = event else {
        return None;
    };
    for frame in frames(items) {
        if taps.record_limit == Some(0) {
            break;
        }
        taps.record_limit = taps.record_limit.map(|n| n - 1);
        match recorder.record(frame).await {
            Ok(()) => {}
            Err(e @ RecordError::Unusable(_)) => {
                taps.recorder = None;
                return Some(SourceEvent::Unusable(e.to_string()));
            }
            Err(e) => {
                taps.recorder = None;
                return Some(SourceEvent::Warning(e.to_string()));
            }
        }
    }
    None
}

async fn flush_recording(taps: &mut Taps) -> Option<SourceEvent> {
    let result = taps.recorder.as_mut()?.flush().await;
    result.err().map(|e| {
        taps.recorder = None;
        SourceEvent::Warning(e.to_string())
    })
}

fn frames(items: &[Decoded]) -> impl Iterator<Item = &crate::frame::Frame> {
    items.iter().filter_map(|item| match item {
        Decoded::Frame(frame) => Some(frame),
        _ => None,
    })
}
