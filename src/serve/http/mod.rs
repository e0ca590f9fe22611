//! The HTTP side of `serve`: `/events` (SSE), `/analysis` (the server's analysis as SSE, for
//! the page), `/metrics` (Prometheus), `/time` (the clock probe), `/healthz`, and `/` (the
//! dashboard page).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE,
};
use axum::http::{HeaderMap, HeaderName, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use subtle::ConstantTimeEq;
use tokio::sync::watch;
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::analysis::Analysis;
use super::hub::Hub;
use super::metrics::{Metrics, Watchers};
use crate::clock::unix_now_us;
use crate::snapshot::Snapshot;
use streams::{AnalysisWatcher, ClientSlot, Watcher, event_stream};

pub mod accept;
mod streams;
pub mod tls;

const PAGE: &str = include_str!("../../../assets/index.html");

pub struct HttpConfig {
    pub token: Option<String>,
    pub max_clients: usize,
    pub allow_origins: Vec<String>,
    pub heartbeat: Duration,
    /// A request's headers must arrive within this (`--header-timeout`).
    pub header_timeout: Duration,
    /// HTTPS with HTTP/2 (`--tls-cert`, `--tls-key`).
    pub tls: Option<tls::TlsAcceptor>,
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
    Ok(ClientSlot(shared.watchers.clone()))
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

/// `/analysis`: the server's analysis for a page (see [`AnalysisWatcher`]).
async fn analysis(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<EventsQuery>,
) -> Response {
    let slot = match admit(&shared, &headers, &query) {
        Ok(slot) => slot,
        Err(refused) => return refused.into_response(),
    };
    event_stream(AnalysisWatcher::new(
        shared.analysis.clone(),
        shared.config.heartbeat,
        shared.shutdown.clone(),
        Some(slot),
    ))
}

/// `/events`: the source's frames (see [`Watcher`]).
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
    event_stream(Watcher::new(
        shared.hub.clone(),
        last_event_id,
        shared.config.heartbeat,
        shared.shutdown.clone(),
        Some(slot),
    ))
}
