//! `sse-tui serve`: read the source once and publish its frames as SSE to any number of
//! watchers (terminals running `sse-tui --url`, browsers on the page at `/`).

pub mod analysis;
pub mod http;
pub mod hub;
pub mod metrics;
pub mod publish;
pub mod ssh;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::snapshot::Snapshot;
use hub::Hub;
use publish::Publishers;

/// Why `serve` cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {why}")]
    Listen { addr: SocketAddr, why: String },
    #[error(transparent)]
    Ssh(#[from] ssh::SshError),
}

impl ServeError {
    /// A key file that cannot be used is the command line's to fix (status 2); a port that
    /// cannot be had is status 1.
    pub fn is_usage(&self) -> bool {
        match self {
            ServeError::Listen { .. } => false,
            ServeError::Ssh(e) => e.is_usage(),
        }
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

/// One board to serve: its name, the hub of its events, its snapshots, the hubs further out
/// it publishes to.
pub struct ServedBoard {
    pub name: String,
    pub hub: Arc<Hub>,
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    pub publishers: Option<Arc<Publishers>>,
}

/// Binds `listen` (so a busy port fails at once) and starts serving `boards` (with more than
/// one, every analysis event and metric says whose it is).
pub async fn start(
    listen: SocketAddr,
    config: http::HttpConfig,
    boards: Vec<ServedBoard>,
) -> Result<Server, ServeError> {
    let cannot_listen = |e: std::io::Error| ServeError::Listen {
        addr: listen,
        why: crate::error::plain_io_error(&e),
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(cannot_listen)?;
    let addr = listener.local_addr().map_err(cannot_listen)?;
    let (shutdown, shutdown_rx) = watch::channel(false);
    let watchers = Arc::new(metrics::Watchers::default());
    let several = boards.len() > 1;
    let label = |name: &str| several.then(|| name.to_owned());
    let metrics = metrics::Metrics::new(
        boards
            .iter()
            .map(|b| metrics::MetricsBoard {
                name: label(&b.name),
                snapshots: b.snapshots.clone(),
                publishers: b.publishers.clone(),
            })
            .collect(),
        watchers.clone(),
    );
    let feeds = http::Feeds {
        boards: boards
            .into_iter()
            .map(|b| {
                let context = analysis::Context {
                    publishers: b.publishers,
                    watchers: watchers.clone(),
                    board: label(&b.name),
                };
                http::BoardFeed {
                    analysis: analysis::start(b.snapshots.clone(), context),
                    name: b.name,
                    hub: b.hub,
                    snapshots: b.snapshots,
                }
            })
            .collect(),
        metrics,
        watchers: watchers.clone(),
    };
    let (header_timeout, tls) = (config.header_timeout, config.tls.clone());
    let router = http::router(config, feeds, shutdown_rx.clone());
    let task = tokio::spawn(http::accept::serve(
        listener,
        router,
        header_timeout,
        tls,
        watchers.clone(),
        shutdown_rx,
    ));
    Ok(Server {
        addr,
        watchers,
        shutdown,
        task,
    })
}
