//! The HTTP side of `serve`: `/events` (SSE), `/analysis` (the server's analysis as SSE, for
//! the page), `/metrics` (Prometheus), `/time` (the clock probe), `/healthz`, and `/` (the
//! dashboard page).

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE,
};
use axum::http::{HeaderMap, HeaderName, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use futures_util::stream;
use serde::Deserialize;
use subtle::ConstantTimeEq;
use tokio::sync::{broadcast, watch};
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::analysis::Analysis;
use super::hub::{Hub, Published};
use super::metrics::{Metrics, Watchers};
use crate::clock::unix_now_us;
use crate::snapshot::Snapshot;

const PAGE: &str = include_str!("../../assets/index.html");
/// Watchers reconnect this long after losing the stream (sent on their first event).
const RETRY_MS: u32 = 2000;

pub struct HttpConfig {
    pub token: Option<String>,
    pub max_clients: usize,
    pub allow_origins: Vec<String>,
    pub heartbeat: Duration,
}

struct Shared {
    hub: Arc<Hub>,
    config: HttpConfig,
    /// SSE streams open now (`/events` and `/analysis`), for the limit and the metrics.
    watchers: Arc<Watchers>,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    analysis: watch::Receiver<Option<Arc<Analysis>>>,
    metrics: Metrics,
    shutdown: watch::Receiver<bool>,
}

/// What the routes read besides the hub: the latest snapshot and analysis event, the
/// watcher counts, the metrics registry.
pub struct Feeds {
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    pub analysis: watch::Receiver<Option<Arc<Analysis>>>,
    pub watchers: Arc<Watchers>,
    pub metrics: Metrics,
}

pub fn router(
    hub: Arc<Hub>,
    config: HttpConfig,
    feeds: Feeds,
    shutdown: watch::Receiver<bool>,
) -> Router {
    let origins: Vec<HeaderValue> = config
        .allow_origins
        .iter()
        .filter_map(|o| o.parse().ok())
        .collect();
    let shared = Arc::new(Shared {
        hub,
        config,
        watchers: feeds.watchers,
        snapshots: feeds.snapshots,
        analysis: feeds.analysis,
        metrics: feeds.metrics,
        shutdown,
    });
    let router = Router::new()
        .route("/", get(page))
        .route("/events", get(events))
        .route("/analysis", get(analysis))
        .route("/metrics", get(metrics))
        .route("/time", get(time))
        .route("/healthz", get(healthz))
        .with_state(shared);
    if origins.is_empty() {
        // No --allow-origin: no CORS headers at all, so browsers keep other origins out.
        router
    } else {
        router.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::GET])
                .allow_headers([AUTHORIZATION, HeaderName::from_static("last-event-id")]),
        )
    }
}

async fn page() -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/html; charset=utf-8")], PAGE)
}

async fn time() -> impl IntoResponse {
    let body = format!("{{\"unix_ms\":{:.3}}}", unix_now_us() as f64 / 1000.0);
    (
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "no-store"),
        ],
        body,
    )
}

async fn healthz(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let snapshot = shared.snapshots.borrow().clone();
    let body = serde_json::json!({
        "state": snapshot.link.name(),
        "frames": snapshot.counters.frames,
        "watchers": shared.watchers.sse.load(Ordering::Relaxed),
    });
    ([(CONTENT_TYPE, "application/json")], body.to_string())
}

#[derive(Deserialize)]
struct EventsQuery {
    token: Option<String>,
}

/// The bearer token from `Authorization`, or `?token=` (browsers' EventSource sends no headers).
fn authorised(config: &HttpConfig, headers: &HeaderMap, query: &EventsQuery) -> bool {
    let Some(expected) = &config.token else {
        return true;
    };
    let offered = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .or(query.token.as_deref());
    offered.is_some_and(|offered| bool::from(offered.as_bytes().ct_eq(expected.as_bytes())))
}

/// Counts a watcher while its stream lives.
struct ClientSlot(Arc<Shared>);

impl Drop for ClientSlot {
    fn drop(&mut self) {
        self.0.watchers.sse.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Why a new watcher is turned away.
enum Refusal {
    Unauthorized,
    Full,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            // Nothing leaked: no body, no hint which part was wrong.
            Refusal::Unauthorized => {
                (StatusCode::UNAUTHORIZED, [(WWW_AUTHENTICATE, "Bearer")]).into_response()
            }
            Refusal::Full => {
                (StatusCode::SERVICE_UNAVAILABLE, "too many watchers\n").into_response()
            }
        }
    }
}

/// A stream slot for a new watcher, or why not.
fn admit(
    shared: &Arc<Shared>,
    headers: &HeaderMap,
    query: &EventsQuery,
) -> Result<ClientSlot, Refusal> {
    if !authorised(&shared.config, headers, query) {
        return Err(Refusal::Unauthorized);
    }
    if shared.watchers.sse.fetch_add(1, Ordering::Relaxed) >= shared.config.max_clients {
        shared.watchers.sse.fetch_sub(1, Ordering::Relaxed);
        return Err(Refusal::Full);
    }
    Ok(ClientSlot(shared.clone()))
}

/// A watcher's stream: the next bytes to send, or `None` to end it.
trait NextEvent: Send + 'static {
    fn next(&mut self) -> impl std::future::Future<Output = Option<Bytes>> + Send;
}

/// The first heartbeat one period after the stream starts, then every period.
fn heartbeat(every: Duration) -> tokio::time::Interval {
    tokio::time::interval_at(tokio::time::Instant::now() + every, every)
}

/// An SSE response whose body is what `watcher` yields.
fn event_stream(watcher: impl NextEvent) -> Response {
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

async fn metrics(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<EventsQuery>,
) -> Response {
    if !authorised(&shared.config, &headers, &query) {
        return Refusal::Unauthorized.into_response();
    }
    (
        [
            (CONTENT_TYPE, super::metrics::CONTENT_TYPE),
            (CACHE_CONTROL, "no-store"),
        ],
        shared.metrics.render(),
    )
        .into_response()
}

/// The analysis stream: the latest analysis at once, then each new one, each with the
/// waterfall lines this page has not had. A page that reads slowly skips analyses (the latest
/// wins), never holds the others back, and still gets every line the history holds.
async fn analysis(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<EventsQuery>,
) -> Response {
    let slot = match admit(&shared, &headers, &query) {
        Ok(slot) => slot,
        Err(refused) => return refused.into_response(),
    };
    let mut latest = shared.analysis.clone();
    latest.mark_changed();
    let state = AnalysisWatcher {
        latest,
        shutdown: shared.shutdown.clone(),
        heartbeat: heartbeat(shared.config.heartbeat),
        first: true,
        lines_seen: None,
        _slot: slot,
    };
    event_stream(state)
}

struct AnalysisWatcher {
    latest: watch::Receiver<Option<Arc<Analysis>>>,
    shutdown: watch::Receiver<bool>,
    heartbeat: tokio::time::Interval,
    first: bool,
    /// The newest waterfall line this page has.
    lines_seen: Option<u64>,
    _slot: ClientSlot,
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

async fn events(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<EventsQuery>,
) -> Response {
    let slot = match admit(&shared, &headers, &query) {
        Ok(slot) => slot,
        Err(refused) => return refused.into_response(),
    };
    let last_event_id = headers.get("last-event-id").and_then(|v| v.to_str().ok());
    let subscription = shared.hub.subscribe(last_event_id);
    let mut first: VecDeque<Bytes> = subscription.notice.into_iter().collect();
    first.extend(subscription.replay.iter().map(|e| e.wire.clone()));
    let watcher = Watcher {
        pending: first,
        retry_sent: false,
        ending: false,
        live: subscription.live,
        heartbeat: heartbeat(shared.config.heartbeat),
        shutdown: shared.shutdown.clone(),
        hub: shared.hub.clone(),
        _slot: Some(slot),
    };
    event_stream(watcher)
}

struct Watcher {
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
        }
    }

    fn watcher(hub: &Arc<Hub>, last_event_id: Option<&str>) -> (Watcher, watch::Sender<bool>) {
        let subscription = hub.subscribe(last_event_id);
        let (stop, shutdown) = watch::channel(false);
        let mut pending: VecDeque<Bytes> = subscription.notice.into_iter().collect();
        pending.extend(subscription.replay.iter().map(|e| e.wire.clone()));
        let watcher = Watcher {
            pending,
            retry_sent: false,
            ending: false,
            live: subscription.live,
            heartbeat: heartbeat(Duration::from_secs(3600)),
            shutdown,
            hub: hub.clone(),
            _slot: None,
        };
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
