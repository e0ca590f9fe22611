//! The SSE streams `serve` answers with: a watcher of `/events` (the hub's frames, replay after
//! a reconnect, word of what it missed) and a page's `/analysis`. Each is a [`NextEvent`]: the
//! next bytes to send, or the end.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::Body;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::Response;
use bytes::Bytes;
use futures_util::stream;
use tokio::sync::{broadcast, watch};

use crate::serve::analysis::Analysis;
use crate::serve::hub::{Hub, Published};
use crate::serve::metrics::Watchers;

/// Watchers reconnect this long after losing the stream (sent on their first event).
pub const RETRY_MS: u32 = 2000;

/// Counts a watcher while its stream lives.
pub struct ClientSlot(pub Arc<Watchers>);

impl Drop for ClientSlot {
    fn drop(&mut self) {
        self.0.sse.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A watcher's stream: the next bytes to send, or `None` to end it.
pub trait NextEvent: Send + 'static {
    fn next(&mut self) -> impl std::future::Future<Output = Option<Bytes>> + Send;
}

/// The first heartbeat one period after the stream starts, then every period.
fn heartbeat(every: Duration) -> tokio::time::Interval {
    tokio::time::interval_at(tokio::time::Instant::now() + every, every)
}

/// An SSE response whose body is what `watcher` yields.
pub fn event_stream(watcher: impl NextEvent) -> Response {
    let body = Body::from_stream(stream::unfold(watcher, |mut w| async move {
        let bytes = w.next().await?;
        Some((Ok::<_, std::convert::Infallible>(bytes), w))
    }));
    Response::builder()
        .header(CONTENT_TYPE, "text/event-stream")
        .header(CACHE_CONTROL, "no-cache")
        // Tell nginx-style proxies not to buffer the stream.
        .header("x-accel-buffering", "no")
        .body(body)
        .expect("a valid response")
}

/// A page's analysis stream: the latest analysis at once, then each new one, each with the
/// waterfall lines this page has not had. A page that reads slowly skips analyses (the latest
/// wins), never holds the others back, and still gets every line the history holds.
pub struct AnalysisWatcher {
    latest: watch::Receiver<Option<Arc<Analysis>>>,
    shutdown: watch::Receiver<bool>,
    heartbeat: tokio::time::Interval,
    first: bool,
    /// The newest waterfall line this page has.
    lines_seen: Option<u64>,
    _slot: Option<ClientSlot>,
}

impl AnalysisWatcher {
    pub fn new(
        mut latest: watch::Receiver<Option<Arc<Analysis>>>,
        heartbeat_every: Duration,
        shutdown: watch::Receiver<bool>,
        slot: Option<ClientSlot>,
    ) -> Self {
        latest.mark_changed();
        Self {
            latest,
            shutdown,
            heartbeat: heartbeat(heartbeat_every),
            first: true,
            lines_seen: None,
            _slot: slot,
        }
    }
}

impl NextEvent for AnalysisWatcher {
    async fn next(&mut self) -> Option<Bytes> {
        if self.first {
            // A page reconnects soon after losing the stream, and learns so at once.
            self.first = false;
            return Some(Bytes::from(format!("retry: {RETRY_MS}\n\n")));
        }
        loop {
            if *self.shutdown.borrow() {
                return None;
            }
            tokio::select! {
                biased;
                _ = self.shutdown.changed() => return None,
                changed = self.latest.changed() => {
                    changed.ok()?;
                    let Some(analysis) = self.latest.borrow_and_update().clone() else {
                        continue;
                    };
                    let Some(lines) = analysis.waterfall.event_after(self.lines_seen) else {
                        return Some(analysis.event.clone());
                    };
                    self.lines_seen = analysis.waterfall.newest();
                    let mut both = Vec::with_capacity(analysis.event.len() + lines.len());
                    both.extend_from_slice(&analysis.event);
                    both.extend_from_slice(&lines);
                    return Some(Bytes::from(both));
                }
                _ = self.heartbeat.tick() => return Some(Bytes::from_static(b": heartbeat\n\n")),
            }
        }
    }
}

/// A watcher of `/events`: what it missed (or a word that it cannot have it), then live, a
/// heartbeat while nothing comes, and a word when it fell behind its queue.
pub struct Watcher {
    pending: VecDeque<Bytes>,
    retry_sent: bool,
    /// Shutdown was asked: end once `pending` is sent.
    ending: bool,
    live: broadcast::Receiver<Arc<Published>>,
    heartbeat: tokio::time::Interval,
    shutdown: watch::Receiver<bool>,
    hub: Arc<Hub>,
    _slot: Option<ClientSlot>,
}

impl NextEvent for Watcher {
    /// The next bytes for this watcher; `None` ends its stream.
    async fn next(&mut self) -> Option<Bytes> {
        loop {
            if let Some(bytes) = self.pending.pop_front() {
                return Some(self.with_retry(bytes));
            }
            if self.ending {
                return None;
            }
            if *self.shutdown.borrow() {
                self.finish();
                continue;
            }
            tokio::select! {
                biased;
                _ = self.shutdown.changed() => {
                    self.finish();
                    continue;
                }
                event = self.live.recv() => match event {
                    Ok(event) => self.pending.push_back(event.wire.clone()),
                    // Resynchronised: the oldest event still queued comes next.
                    Err(broadcast::error::RecvError::Lagged(missed)) => self.lagged(missed),
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                _ = self.heartbeat.tick() => return Some(Bytes::from_static(b": heartbeat\n\n")),
            }
        }
    }
}

impl Watcher {
    /// A new watcher of `hub`, resuming after `last_event_id` when it can.
    pub fn new(
        hub: Arc<Hub>,
        last_event_id: Option<&str>,
        heartbeat_every: Duration,
        shutdown: watch::Receiver<bool>,
        slot: Option<ClientSlot>,
    ) -> Self {
        let subscription = hub.subscribe(last_event_id);
        let mut pending: VecDeque<Bytes> = subscription.notice.into_iter().collect();
        pending.extend(subscription.replay.iter().map(|e| e.wire.clone()));
        Self {
            pending,
            retry_sent: false,
            ending: false,
            live: subscription.live,
            heartbeat: heartbeat(heartbeat_every),
            shutdown,
            hub,
            _slot: slot,
        }
    }
    /// Shutting down: what was already published still goes out, then the stream ends. A
    /// watcher that fell behind is told so here too, never cut short in silence.
    fn finish(&mut self) {
        loop {
            match self.live.try_recv() {
                Ok(event) => self.pending.push_back(event.wire.clone()),
                Err(broadcast::error::TryRecvError::Lagged(missed)) => self.lagged(missed),
                Err(_) => break,
            }
        }
        self.ending = true;
    }

    /// Says how many events this watcher missed.
    fn lagged(&mut self, missed: u64) {
        let data = serde_json::json!({ "missed": missed }).to_string();
        let id = self.hub.last_id();
        self.pending.push_back(Bytes::from(format!(
            "id: {id}\nevent: lagged\ndata: {data}\n\n"
        )));
    }

    /// `retry` rides on the first event, never alone.
    fn with_retry(&mut self, event: Bytes) -> Bytes {
        if self.retry_sent || !event.starts_with(b"id:") {
            return event;
        }
        self.retry_sent = true;
        let mut bytes = format!("retry: {RETRY_MS}\n").into_bytes();
        bytes.extend_from_slice(&event);
        Bytes::from(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{Frame, Payload};
    use crate::vocabulary::EventForm;

    fn frame(seq: u32) -> Frame {
        Frame {
            seq: Some(seq),
            sample_rate: Some(8000.0),
            sent_at: None,
            channels: 1,
            payload: Payload::Samples(vec![0.5; 16]),
            labels: None,
            resolution: None,
        }
    }

    fn watcher(hub: &Arc<Hub>, last_event_id: Option<&str>) -> (Watcher, watch::Sender<bool>) {
        let (stop, shutdown) = watch::channel(false);
        let hour = Duration::from_secs(3600);
        let watcher = Watcher::new(hub.clone(), last_event_id, hour, shutdown, None);
        (watcher, stop)
    }

    fn text(bytes: Option<Bytes>) -> String {
        String::from_utf8(bytes.expect("an event").to_vec()).unwrap()
    }

    #[tokio::test]
    async fn a_watcher_that_falls_behind_its_queue_is_told_and_resynchronised() {
        let hub = Hub::new(64, 8, EventForm::Frame);
        let (mut w, _stop) = watcher(&hub, None);
        for seq in 0..20 {
            hub.publish_frame(&frame(seq));
        }
        let lagged = text(w.next().await);
        assert!(
            lagged.contains("event: lagged") && lagged.contains("\"missed\":12"),
            "{lagged}"
        );
        assert!(
            lagged.starts_with("retry: 2000\n"),
            "retry rides on the first event: {lagged}"
        );
        // Then the oldest event still queued.
        let next = text(w.next().await);
        assert!(next.starts_with("id: 12\nevent: frame\n"), "{next}");
    }

    #[tokio::test]
    async fn replay_after_a_known_id_then_live_and_a_notice_for_an_unknown_one() {
        let hub = Hub::new(4, 64, EventForm::Json);
        for seq in 0..10 {
            hub.publish_frame(&frame(seq));
        }
        let (mut w, _stop) = watcher(&hub, Some("7"));
        assert!(text(w.next().await).contains("id: 8\nevent: samples\n"));
        assert!(text(w.next().await).starts_with("id: 9\n"));
        hub.publish_frame(&frame(10));
        assert!(text(w.next().await).starts_with("id: 10\n"));
        let (mut evicted, _stop) = watcher(&hub, Some("2"));
        let notice = text(evicted.next().await);
        assert!(
            notice.contains("event: resync") && notice.contains("ids 7 to 10"),
            "{notice}"
        );
    }

    #[tokio::test]
    async fn frames_without_a_seq_travel_with_the_id_they_were_given() {
        let hub = Hub::new(8, 8, EventForm::Frame);
        let (mut w, _stop) = watcher(&hub, None);
        let text_frame = Frame {
            seq: None,
            ..frame(0)
        };
        hub.publish_frame(&text_frame);
        hub.publish_frame(&text_frame);
        w.next().await; // the first carries retry
        let second = text(w.next().await);
        assert!(second.starts_with("id: 1\n"), "{second}");
        let data = second
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .unwrap();
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .unwrap();
        let decoded = crate::wire::binary::decode(&bytes, crate::frame::Levels::default())
            .expect("a valid frame, CRC and all");
        assert_eq!(decoded.seq, Some(1));
    }

    #[tokio::test]
    async fn shutdown_sends_what_was_published_then_ends_a_watcher() {
        let hub = Hub::new(4, 4, EventForm::Frame);
        let (mut w, stop) = watcher(&hub, None);
        hub.publish_frame(&frame(1));
        stop.send(true).unwrap();
        assert!(text(w.next().await).contains("id: 1\n"));
        assert!(w.next().await.is_none());
    }

    #[tokio::test]
    async fn shutdown_tells_a_watcher_that_fell_behind_before_it_ends() {
        let hub = Hub::new(64, 4, EventForm::Frame);
        let (mut w, stop) = watcher(&hub, None);
        for seq in 0..10 {
            hub.publish_frame(&frame(seq));
        }
        stop.send(true).unwrap();
        let first = text(w.next().await);
        assert!(
            first.contains("event: lagged") && first.contains("\"missed\":6"),
            "{first}"
        );
        for seq in 6..10 {
            assert!(text(w.next().await).starts_with(&format!("id: {seq}\n")));
        }
        assert!(w.next().await.is_none());
    }
}
