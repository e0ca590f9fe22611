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

/// Binds `listen` (so a busy port fails at once) and starts serving.
pub async fn start(
    listen: SocketAddr,
    config: http::HttpConfig,
    hub: Arc<Hub>,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    publishers: Option<Arc<Publishers>>,
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
    let (header_timeout, tls) = (config.header_timeout, config.tls.clone());
    let router = http::router(hub, config, feeds, shutdown_rx.clone());
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
