//! `serve --ssh ADDR` (SPEC §8): the live screen for anyone with a listed key, over SSH, with
//! nothing installed on their side. One analysis, many screens: every session draws the
//! server's snapshots with its own `App` (view, keys, markers, freeze, size), and sessions
//! that look the same (view and size, nothing of their own on screen) share one picture.

mod accept;
mod handler;
mod input;
pub mod keys;
mod outbox;
mod screen;
mod shared;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::snapshot::Snapshot;
use crate::ui::ViewOptions;
use crate::ui::studio::Studios;
use crate::vocabulary::Control;
pub use keys::KeyError;

/// What the SSH side is asked to do (SPEC §8).
#[derive(Clone, Debug)]
pub struct SshConfig {
    pub addr: SocketAddr,
    /// The keys let in (default `~/.ssh/authorized_keys`).
    pub authorized_keys: Option<PathBuf>,
    /// The host key, made when missing (default under the state directory).
    pub host_key: Option<PathBuf>,
    pub max_sessions: usize,
    /// A connection without a key from it for this long is closed.
    pub idle_timeout: Option<Duration>,
    /// A connection that has not authenticated within this is closed.
    pub login_grace: Duration,
    /// At most this many connections may wait to authenticate at once.
    pub max_startups: usize,
}

/// How long stopping waits for the sessions to give their terminals back.
const SESSIONS_END: Duration = Duration::from_secs(2);

/// What `serve` hands the SSH side: every board's analysis, and how screens look and pace.
/// With several boards a session opens on the wall (SPEC §16).
pub struct Feed {
    pub boards: Vec<SshBoard>,
    pub view: ViewOptions,
    pub fps: u32,
    pub byte_budget: Option<u32>,
    pub watchers: Arc<crate::serve::metrics::Watchers>,
}

/// One board as the sessions see it: its name, its snapshots, and its pipeline's controls
/// (sessions send only what their views need).
pub struct SshBoard {
    pub name: String,
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    pub control: Box<dyn Fn(Control) + Send + Sync>,
}

/// A running SSH server.
pub struct SshServer {
    pub addr: SocketAddr,
    pub fingerprint: String,
    shared: Arc<shared::Shared>,
    shutdown: watch::Sender<bool>,
    /// Turned true to disconnect every connection.
    closing: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl SshServer {
    /// Ends every session (each watcher's terminal is given back) and the listener.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        // The screens say goodbye on their own tasks: give them a moment to get it out, and
        // their watchers to close the connections. Only then is every connection left cut.
        let _ = tokio::time::timeout(SESSIONS_END, self.shared.all_closed()).await;
        self.task.abort();
        let _ = self.task.await;
        let _ = self.closing.send(true);
    }
}

/// Why the SSH side cannot start.
#[derive(Debug, thiserror::Error)]
pub enum SshError {
    #[error("{0}")]
    Keys(#[from] KeyError),
    #[error("there is no home directory to find {0} in: give it with its option")]
    NoDefault(&'static str),
    #[error("cannot listen for SSH on {addr}: {why}")]
    Listen { addr: SocketAddr, why: String },
}

impl SshError {
    /// A key file that cannot be used is the command line's to fix (status 2).
    pub fn is_usage(&self) -> bool {
        !matches!(self, SshError::Listen { .. })
    }
}

/// Reads the keys (so a bad file stops `serve` at once), binds `addr`, and serves.
pub async fn start(config: SshConfig, feed: Feed) -> Result<SshServer, SshError> {
    let addr = config.addr;
    let authorized = match &config.authorized_keys {
        Some(path) => path.clone(),
        None => keys::default_authorized_keys().ok_or(SshError::NoDefault("authorized_keys"))?,
    };
    let allowed = keys::Allowed::read(&authorized)?;
    let host_path = match &config.host_key {
        Some(path) => path.clone(),
        None => keys::default_host_key().ok_or(SshError::NoDefault("the host key"))?,
    };
    let host_key = keys::host_key(&host_path)?;
    let fingerprint = keys::fingerprint(&host_key);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| SshError::Listen {
            addr,
            why: crate::error::plain_io_error(&e),
        })?;
    let addr = listener.local_addr().map_err(|e| SshError::Listen {
        addr,
        why: crate::error::plain_io_error(&e),
    })?;
    let idle = config.idle_timeout;
    let max_sessions = config.max_sessions;
    let (login_grace, max_startups) = (config.login_grace, config.max_startups);
    let config = Arc::new(russh::server::Config {
        // Public keys only: nothing else is offered, so a password is never asked for.
        methods: russh::MethodSet::from(&[russh::MethodKind::PublicKey][..]),
        keys: vec![host_key],
        inactivity_timeout: idle,
        auth_rejection_time: Duration::from_millis(300),
        auth_rejection_time_initial: Some(Duration::ZERO),
        nodelay: true,
        ..Default::default()
    });
    let (shutdown, stopping) = watch::channel(false);
    let snapshots: Vec<_> = feed.boards.iter().map(|b| b.snapshots.clone()).collect();
    let shared = Arc::new(shared::Shared {
        allowed,
        pictures: Studios::new(snapshots.clone()),
        wall_pictures: Studios::new(snapshots),
        boards: feed.boards,
        view: feed.view,
        fps: feed.fps,
        byte_budget: feed.byte_budget,
        max_sessions,
        watchers: feed.watchers,
        stopping,
        // The listening address may be 0.0.0.0: the watcher knows the host by its own name.
        address: format!("ssh -p {} HOST", addr.port()),
        connections: Default::default(),
        connection_closed: tokio::sync::Notify::new(),
        login_grace,
        max_startups,
        waiting: Default::default(),
        refused_startups: Default::default(),
    });
    let (closing, closing_rx) = watch::channel(false);
    let task = tokio::spawn(accept::serve(listener, config, shared.clone(), closing_rx));
    Ok(SshServer {
        addr,
        fingerprint,
        shared,
        shutdown,
        closing,
        task,
    })
}
