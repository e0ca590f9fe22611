//! `sse-tui serve`: read the source once and publish its frames as SSE to any number of
//! watchers (terminals running `sse-tui --url`, browsers on the page at `/`).

pub mod analysis;
pub mod http;
pub mod hub;
pub mod metrics;
pub mod publish;
pub mod ssh;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::snapshot::Snapshot;
use crate::vocabulary::EventForm;
use hub::Hub;
use publish::Publishers;

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
    /// At most this many watchers at once (503 beyond; 1 to 1000000)
    #[arg(long, default_value_t = 2048, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_clients: u32,
    /// Let pages from this origin read the feed (CORS), repeatable
    #[arg(long, value_name = "ORIGIN")]
    pub allow_origin: Vec<String>,
    /// Events kept for replay after a reconnect (Last-Event-ID; 1 to 1048576)
    #[arg(long, default_value_t = 4096, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=MAX_BUFFERED))]
    pub replay_buffer: u64,
    /// How far one watcher may fall behind before it is told it lagged (1 to 1048576)
    #[arg(long, default_value_t = 1024, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=MAX_BUFFERED))]
    pub queue: u64,
    /// Seconds between heartbeat comments (0.01 to 15)
    #[arg(long, default_value_t = 15.0, value_name = "SECONDS",
          value_parser = crate::cli::number_in(0.01..=15.0, "seconds"))]
    pub heartbeat: f64,
    /// Also push every event to this SSE hub's publisher (nchan), repeatable
    #[arg(long, value_name = "URL", value_parser = publish_url)]
    pub publish: Vec<String>,
    /// Extra request header for --publish, repeatable ('Name: value')
    #[arg(long, value_name = "'NAME: VALUE'", value_parser = crate::cli::header_pair)]
    pub publish_header: Vec<(String, String)>,
    /// Show the screen too (default: headless reports on stdout)
    #[arg(long)]
    pub tui: bool,
    #[command(flatten)]
    pub ssh: ssh::SshArgs,
}

/// An http or https URL, or a sentence saying why not.
fn publish_url(text: &str) -> Result<String, String> {
    match reqwest::Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(text.to_owned()),
        Ok(url) => Err(format!("{}: is not http or https", url.scheme())),
        Err(e) => Err(format!("not a URL ({e})")),
    }
}

/// Why `serve` cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot read the token file {path}: {why}")]
    TokenFile { path: String, why: String },
    #[error("the token is empty")]
    EmptyToken,
    #[error("listening on {0} reaches beyond this machine: give --token or --token-file")]
    NeedsToken(SocketAddr),
    #[error("cannot listen on {addr}: {why}")]
    Listen { addr: SocketAddr, why: String },
    #[error(transparent)]
    Ssh(#[from] ssh::SshError),
}

impl ServeError {
    /// A wrong command line is status 2; a port that cannot be had is status 1.
    pub fn is_usage(&self) -> bool {
        match self {
            ServeError::Listen { .. } => false,
            ServeError::Ssh(e) => e.is_usage(),
            _ => true,
        }
    }
}

impl ServeArgs {
    /// The token to require, if any.
    pub fn token(&self) -> Result<Option<String>, ServeError> {
        let token = match (&self.token, &self.token_file) {
            (Some(token), _) => Some(token.clone()),
            (None, Some(path)) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| ServeError::TokenFile {
                        path: path.display().to_string(),
                        why: crate::error::plain_io_error(&e),
                    })?
                    .trim()
                    .to_owned(),
            ),
            (None, None) => None,
        };
        if token.as_deref() == Some("") {
            return Err(ServeError::EmptyToken);
        }
        if token.is_none() && !self.listen.ip().is_loopback() {
            return Err(ServeError::NeedsToken(self.listen));
        }
        Ok(token)
    }
}

/// A running server: stop it to end every stream and wait for it.
pub struct Server {
    pub addr: SocketAddr,
    /// Watchers now, by transport (the SSH side counts its sessions here).
    pub watchers: Arc<metrics::Watchers>,
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
    publishers: Option<Arc<Publishers>>,
) -> Result<Server, ServeError> {
    let cannot_listen = |e: std::io::Error| ServeError::Listen {
        addr: args.listen,
        why: crate::error::plain_io_error(&e),
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(cannot_listen)?;
    let addr = listener.local_addr().map_err(cannot_listen)?;
    let (shutdown, shutdown_rx) = watch::channel(false);
    let config = http::HttpConfig {
        token,
        max_clients: args.max_clients as usize,
        allow_origins: args.allow_origin.clone(),
        heartbeat: Duration::from_secs_f64(args.heartbeat),
    };
    let watchers = Arc::new(metrics::Watchers::default());
    let context = analysis::Context {
        publishers: publishers.clone(),
        watchers: watchers.clone(),
    };
    let feeds = http::Feeds {
        analysis: analysis::start(snapshots.clone(), context),
        metrics: metrics::Metrics::new(snapshots.clone(), watchers.clone(), publishers),
        snapshots,
        watchers: watchers.clone(),
    };
    let router = http::router(hub, config, feeds, shutdown_rx.clone());
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
        watchers,
        shutdown,
        task,
    })
}
