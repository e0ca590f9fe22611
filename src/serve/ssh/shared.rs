//! What every SSH connection and session shares: the analysis, and the server's rules.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Notify, watch};

use super::keys::Allowed;
use crate::serve::metrics::Watchers;
use crate::ui::studio::Studios;
use crate::ui::wall::Wall;
use crate::ui::{App, ViewOptions};

pub struct Shared {
    pub allowed: Allowed,
    /// Every board served: a session shows one, or the wall of several.
    pub boards: Vec<super::SshBoard>,
    /// Pictures made once for the sessions that show the same view at the same size: of one
    /// board's screen (a server of one board), and of the wall (of several).
    pub pictures: Studios<App>,
    pub wall_pictures: Studios<Wall>,
    pub view: ViewOptions,
    pub fps: u32,
    pub byte_budget: Option<u32>,
    pub max_sessions: usize,
    /// Screens running now (the `ssh` watchers of /metrics).
    pub watchers: Arc<Watchers>,
    pub stopping: watch::Receiver<bool>,
    /// How to connect (`ssh -p PORT HOST`), for the sentence an `ssh host command` gets.
    pub address: String,
    /// SSH connections open now: a screen's goodbye has reached its watcher once its
    /// connection has closed.
    pub connections: AtomicUsize,
    /// Told when a connection closes.
    pub connection_closed: Notify,
    /// A connection must authenticate within this (`--ssh-login-grace`).
    pub login_grace: std::time::Duration,
    /// At most this many connections wait to authenticate at once (`--ssh-max-startups`).
    pub max_startups: usize,
    /// Connections waiting to authenticate now.
    pub waiting: AtomicUsize,
    /// Connections closed unread because too many were waiting.
    pub refused_startups: AtomicUsize,
}

impl Shared {
    /// Once every connection has closed.
    pub async fn all_closed(&self) {
        loop {
            // Registered before the count is read, so a close in between still wakes it.
            let closed = self.connection_closed.notified();
            if self.connections.load(Ordering::Acquire) == 0 {
                return;
            }
            closed.await;
        }
    }
}

/// A place among the `--ssh-max-sessions`, given back when the screen ends.
pub struct Seat(Arc<Shared>);

impl Seat {
    pub fn take(shared: &Arc<Shared>) -> Option<Self> {
        let taken = &shared.watchers.ssh;
        taken
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
                (now < shared.max_sessions).then_some(now + 1)
            })
            .ok()
            .map(|_| Self(shared.clone()))
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        self.0.watchers.ssh.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A place among the connections waiting to authenticate (`--ssh-max-startups`), given
/// back when the connection authenticates or closes.
pub struct Startup(Arc<Shared>);

impl Startup {
    pub fn take(shared: &Arc<Shared>) -> Option<Self> {
        shared
            .waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
                (now < shared.max_startups).then_some(now + 1)
            })
            .ok()
            .map(|_| Self(shared.clone()))
    }
}

impl Drop for Startup {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::AcqRel);
    }
}
