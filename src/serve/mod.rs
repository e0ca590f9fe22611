//! `sse-tui serve`: read the source once and publish its frames as SSE to any number of
//! watchers (terminals running `sse-tui --url`, browsers on the page at `/`).

pub mod http;
pub mod hub;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::frame::Decoded;
use crate::snapshot::Snapshot;
use crate::source::SourceEvent;
use hub::{EventForm, Hub};

/// The replay ring and the broadcast queue are allocated up front: bound them.
const MAX_BUFFERED: u64 = 1 << 20;

#[derive(Clone, Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on; beyond loopback it needs --token or --token-file
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Publish `frame` events (base64 binary frames) or the JSON form
    #[arg(long, value_enum, default_value_t = EventForm::Frame)]
    pub events: EventForm,
    /// Watchers must send this token (`Authorization: Bearer …`, or `?token=` from a browser)
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
    /// Read the token from this file
    #[arg(long, value_name = "FILE", conflicts_with = "token")]
    pub token_file: Option<PathBuf>,
    /// At most this many watchers at once (503 beyond)
    #[arg(long, default_value_t = 2048, value_name = "N")]
    pub max_clients: usize,
    /// Let pages from this origin read the feed (CORS), repeatable
    #[arg(long, value_name = "ORIGIN")]
    pub allow_origin: Vec<String>,
    /// Events kept for replay after a reconnect (Last-Event-ID)
    #[arg(long, default_value_t = 4096, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=MAX_BUFFERED))]
    pub replay_buffer: u64,
    /// How far one watcher may fall behind before it is told it lagged
    #[arg(long, default_value_t = 1024, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=MAX_BUFFERED))]
    pub queue: u64,
    /// Seconds between heartbeat comments
    #[arg(long, default_value_t = 15.0, value_name = "SECONDS")]
    pub heartbeat: f64,
    /// Show the screen too (default: headless reports on stdout)
    #[arg(long)]
    pub tui: bool,
}

impl ServeArgs {
    /// The token to require, if any; errors are sentences for exit status 2.
    pub fn token(&self) -> Result<Option<String>, String> {
        let token = match (&self.token, &self.token_file) {
            (Some(token), _) => Some(token.clone()),
            (None, Some(path)) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read the token file {}: {e}", path.display()))?
                    .trim()
                    .to_owned(),
            ),
            (None, None) => None,
        };
        if token.as_deref() == Some("") {
            return Err("the token is empty".into());
        }
        if token.is_none() && !self.listen.ip().is_loopback() {
            return Err(format!(
                "listening on {} reaches beyond this machine: give --token or --token-file",
                self.listen
            ));
        }
        if !(0.01..=15.0).contains(&self.heartbeat) {
            return Err("--heartbeat must be from 0.01 to 15 seconds".into());
        }
        Ok(token)
    }
}

/// A running server: stop it to end every stream and wait for it.
pub struct Server {
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
    }
}

/// Binds the listener (so a busy port fails at once) and starts serving.
pub async fn start(
    args: &ServeArgs,
    token: Option<String>,
    hub: Arc<Hub>,
    snapshots: watch::Receiver<Arc<Snapshot>>,
) -> Result<Server, String> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (shutdown, shutdown_rx) = watch::channel(false);
    let config = http::HttpConfig {
        token,
        max_clients: args.max_clients,
        allow_origins: args.allow_origin.clone(),
        heartbeat: Duration::from_secs_f64(args.heartbeat),
    };
    let router = http::router(hub, config, snapshots, shutdown_rx.clone());
    let mut stopping = shutdown_rx;
    // Events are small next to the loopback MSS: without TCP_NODELAY, Nagle's algorithm and
    // the watcher's delayed ACK hold many of them back ~40 ms.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp: &mut tokio::net::TcpStream| {
        let _ = tcp.set_nodelay(true);
    });
    let task = tokio::spawn(async move {
        let serving = axum::serve(listener, router).with_graceful_shutdown(async move {
            let _ = stopping.wait_for(|stop| *stop).await;
        });
        if let Err(e) = serving.await {
            tracing::warn!(error = %e, "the server stopped");
        }
    });
    Ok(Server {
        addr,
        shutdown,
        task,
    })
}

/// Passes the source's events on to the pipeline, publishing frames and states on the way.
pub async fn tee(
    mut from_source: mpsc::Receiver<SourceEvent>,
    to_pipeline: mpsc::Sender<SourceEvent>,
    hub: Arc<Hub>,
) {
    while let Some(event) = from_source.recv().await {
        match &event {
            SourceEvent::Data { items, .. } => {
                for item in items {
                    if let Decoded::Frame(frame) = item {
                        hub.publish_frame(frame);
                    }
                }
            }
            SourceEvent::Status(state) => hub.publish_status(state),
            SourceEvent::Notice(_) | SourceEvent::ClockSync(_) => {}
        }
        if to_pipeline.send(event).await.is_err() {
            return;
        }
    }
}
