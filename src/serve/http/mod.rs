//! The HTTP side of `serve`: `/events` (SSE), `/analysis` (the server's analysis as SSE, for
//! the page), `/boards` (the boards served), `/metrics` (Prometheus), `/time` (the clock
//! probe), `/healthz`, and `/` (the dashboard page). `/events` and `/analysis` take
//! `?board=NAME`, repeatable (SPEC §16).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE,
};
use axum::http::{HeaderMap, HeaderName, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use subtle::ConstantTimeEq;
use tokio::sync::watch;
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::analysis::Analysis;
use super::hub::Hub;
use super::metrics::{Metrics, Watchers};
use crate::clock::unix_now_us;
use crate::snapshot::Snapshot;
use boards::{Merged, Params, chosen, resume_ids};
use streams::{AnalysisWatcher, ClientSlot, Watcher, event_stream};

pub mod accept;
mod boards;
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
    boards: Vec<BoardFeed>,
    config: HttpConfig,
    /// SSE streams open now (`/events` and `/analysis`), for the limit and the metrics.
    watchers: Arc<Watchers>,
    metrics: Metrics,
    shutdown: watch::Receiver<bool>,
}

/// One board as the routes serve it: its events' hub, its latest snapshot and analysis.
pub struct BoardFeed {
    pub name: String,
    pub hub: Arc<Hub>,
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    pub analysis: watch::Receiver<Option<Arc<Analysis>>>,
}

/// What the routes read: every board's feed, the watcher counts, the metrics registry.
pub struct Feeds {
    pub boards: Vec<BoardFeed>,
    pub watchers: Arc<Watchers>,
    pub metrics: Metrics,
}

pub fn router(config: HttpConfig, feeds: Feeds, shutdown: watch::Receiver<bool>) -> Router {
    let origins: Vec<HeaderValue> = config
        .allow_origins
        .iter()
        .filter_map(|o| o.parse().ok())
        .collect();
    let shared = Arc::new(Shared {
        boards: feeds.boards,
        config,
        watchers: feeds.watchers,
        metrics: feeds.metrics,
        shutdown,
    });
    let router = Router::new()
        .route("/", get(page))
        .route("/events", get(events))
        .route("/analysis", get(analysis))
        .route("/boards", get(boards_list))
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

/// Every board's state; the server's is `connected` when every board's is, else the first
/// other board's.
async fn healthz(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let snapshots: Vec<Arc<Snapshot>> = shared
        .boards
        .iter()
        .map(|b| b.snapshots.borrow().clone())
        .collect();
    let state = snapshots
        .iter()
        .map(|s| s.link.name())
        .find(|&name| name != "connected")
        .unwrap_or("connected");
    let mut body = serde_json::json!({
        "state": state,
        "frames": snapshots.iter().map(|s| s.counters.frames).sum::<u64>(),
        "watchers": shared.watchers.sse.load(Ordering::Relaxed),
    });
    if shared.boards.len() > 1 {
        body["boards"] = board_list(&shared);
    }
    ([(CONTENT_TYPE, "application/json")], body.to_string())
}

/// `/boards` (SPEC §16): each board's name, state, peak and frames.
async fn boards_list(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    behind_token(
        &shared,
        &headers,
        query.as_deref(),
        "application/json",
        || board_list(&shared).to_string(),
    )
}

/// `body()` as `content_type`, never cached, to who has the token (a bare 401 otherwise).
fn behind_token(
    shared: &Shared,
    headers: &HeaderMap,
    query: Option<&str>,
    content_type: &'static str,
    body: impl FnOnce() -> String,
) -> Response {
    if !authorised(&shared.config, headers, &Params::parse(query)) {
        return Refusal::Unauthorized.into_response();
    }
    (
        [(CONTENT_TYPE, content_type), (CACHE_CONTROL, "no-store")],
        body(),
    )
        .into_response()
}

fn board_list(shared: &Shared) -> serde_json::Value {
    shared
        .boards
        .iter()
        .map(|board| {
            let s = board.snapshots.borrow().clone();
            let mut entry = serde_json::json!({
                "name": board.name,
                "state": s.link.name(),
                "peak_hz": s.peak_hz(),
                "peak_dbfs": s.peak.map(|p| p.dbfs),
                "frames": s.counters.frames,
            });
            if let crate::link::LinkState::Disconnected { reason, .. }
            | crate::link::LinkState::Failed(reason) = &s.link
            {
                entry["reason"] = reason.clone().into();
            }
            entry
        })
        .collect()
}

/// The boards a stream asks for, or why a name is none of them.
fn asked_boards(shared: &Shared, params: &Params) -> Result<Vec<usize>, String> {
    let names: Vec<&str> = shared.boards.iter().map(|b| b.name.as_str()).collect();
    chosen(&names, &params.boards)
}

/// The bearer token from `Authorization`, or `?token=` (browsers' EventSource sends no headers).
fn authorised(config: &HttpConfig, headers: &HeaderMap, query: &Params) -> bool {
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
    /// A board that is not here (the sentence names those that are).
    NoSuchBoard(String),
    Full,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            // Nothing leaked: no body, no hint which part was wrong.
            Refusal::Unauthorized => {
                (StatusCode::UNAUTHORIZED, [(WWW_AUTHENTICATE, "Bearer")]).into_response()
            }
            Refusal::NoSuchBoard(why) => (StatusCode::NOT_FOUND, why).into_response(),
            Refusal::Full => {
                (StatusCode::SERVICE_UNAVAILABLE, "too many watchers\n").into_response()
            }
        }
    }
}

/// The boards a new watcher asks for and its stream slot, or the answer that turns it away:
/// a bare 401 before anything else (no board's name is told to a stranger), a 404 for a board
/// that is not here, a 503 when the server is full.
fn admit(
    shared: &Arc<Shared>,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<(Vec<usize>, ClientSlot), Refusal> {
    let params = Params::parse(query);
    if !authorised(&shared.config, headers, &params) {
        return Err(Refusal::Unauthorized);
    }
    let boards = asked_boards(shared, &params).map_err(Refusal::NoSuchBoard)?;
    if shared.watchers.sse.fetch_add(1, Ordering::Relaxed) >= shared.config.max_clients {
        shared.watchers.sse.fetch_sub(1, Ordering::Relaxed);
        return Err(Refusal::Full);
    }
    Ok((boards, ClientSlot(shared.watchers.clone())))
}

/// One board's stream as it is, or several merged into one (each event saying whose); `make`
/// makes a board's stream, given the slot when it is the only one.
fn stream_of<W: streams::NextEvent>(
    shared: &Shared,
    boards: &[usize],
    slot: ClientSlot,
    make: impl Fn(usize, Option<ClientSlot>) -> W,
) -> Response {
    match boards {
        [one] => event_stream(make(*one, Some(slot))),
        several => {
            let merged = several
                .iter()
                .map(|&b| (shared.boards[b].name.clone(), make(b, None)))
                .collect();
            event_stream(Merged::new(merged).holding(slot))
        }
    }
}

async fn metrics(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    behind_token(
        &shared,
        &headers,
        query.as_deref(),
        super::metrics::CONTENT_TYPE,
        || shared.metrics.render(),
    )
}

/// `/analysis`: the server's analysis for a page (see [`AnalysisWatcher`]); of several
/// boards, each event says whose.
async fn analysis(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let (boards, slot) = match admit(&shared, &headers, query.as_deref()) {
        Ok(admitted) => admitted,
        Err(refused) => return refused.into_response(),
    };
    stream_of(&shared, &boards, slot, |board, slot| {
        AnalysisWatcher::new(
            shared.boards[board].analysis.clone(),
            shared.config.heartbeat,
            shared.shutdown.clone(),
            slot,
        )
    })
}

/// `/events`: the source's frames (see [`Watcher`]); of several boards, each event's id says
/// whose (see [`boards`]), and a `Last-Event-ID` of such ids resumes each board.
async fn events(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let (boards, slot) = match admit(&shared, &headers, query.as_deref()) {
        Ok(admitted) => admitted,
        Err(refused) => return refused.into_response(),
    };
    let last_event_id = headers.get("last-event-id").and_then(|v| v.to_str().ok());
    let several = boards.len() > 1;
    stream_of(&shared, &boards, slot, |board, slot| {
        let name = &shared.boards[board].name;
        let resume = match several {
            true => resume_ids(last_event_id, name),
            false => last_event_id.map(str::to_owned),
        };
        Watcher::new(
            shared.boards[board].hub.clone(),
            resume.as_deref(),
            shared.config.heartbeat,
            shared.shutdown.clone(),
            slot,
        )
    })
}
