//! The SSH side's own accept loop. russh's applies only its idle timeout before a client
//! authenticates, an hour by default: 200 connections that sent their banner and nothing
//! more were all open 150 s later. Here, as OpenSSH's `LoginGraceTime` and `MaxStartups`
//! do, a connection has a bound to authenticate in, and only so many may be waiting to at
//! once (beyond, a new one is closed at once); a watcher who did authenticate is never
//! touched by either.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use russh::Disconnect;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::handler::Connection;
use super::shared::{Shared, Startup};

/// After an accept fails (out of file descriptors, most often), the loop waits this long.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);
/// How long a disconnect message may take to go out before the socket is cut.
const SAY_GOODBYE: Duration = Duration::from_millis(200);

/// Accepts until dropped; every connection is disconnected when `closing` turns true.
pub async fn serve(
    listener: TcpListener,
    config: Arc<russh::server::Config>,
    shared: Arc<Shared>,
    closing: watch::Receiver<bool>,
) {
    loop {
        let tcp = match listener.accept().await {
            Ok((tcp, _peer)) => tcp,
            Err(e) => {
                tracing::warn!(error = %e, "accepting an SSH connection failed");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        // MaxStartups: a connection beyond those waiting to authenticate is closed unread.
        let Some(startup) = Startup::take(&shared) else {
            shared.refused_startups.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let _ = tcp.set_nodelay(true);
        // A second handle on the socket, to cut it: russh's disconnect waits for a key
        // exchange that a client sending nothing never finishes.
        let Ok((tcp, cutter)) = with_cutter(tcp) else {
            continue;
        };
        let (authenticated, told) = watch::channel(false);
        let handler = Connection::new(shared.clone(), startup, authenticated);
        tokio::spawn(connection(
            tcp,
            cutter,
            config.clone(),
            handler,
            shared.login_grace,
            told,
            closing.clone(),
        ));
    }
}

/// One connection: its session, cut when the grace runs out before it authenticates, or
/// when the server closes.
async fn connection(
    tcp: tokio::net::TcpStream,
    cutter: std::net::TcpStream,
    config: Arc<russh::server::Config>,
    handler: Connection,
    grace: Duration,
    mut authenticated: watch::Receiver<bool>,
    mut closing: watch::Receiver<bool>,
) {
    let deadline = tokio::time::Instant::now() + grace;
    let cut = || {
        let _ = cutter.shutdown(std::net::Shutdown::Both);
    };
    // The banner exchange is inside the grace too (a client that sends nothing).
    let starting = russh::server::run_stream(config, tcp, handler);
    let session = match tokio::time::timeout_at(deadline, starting).await {
        Ok(Ok(session)) => session,
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "an SSH connection failed to start");
            return;
        }
        Err(_) => return cut(),
    };
    let handle = session.handle();
    // (A `watch::Ref` is not `Send`: each wait gives back only that it ended.)
    let authenticates = async { authenticated.wait_for(|yes| *yes).await.map(drop) };
    let grace_over = async {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => {}
            // Authenticated first: the grace no longer applies.
            _ = authenticates => std::future::pending::<()>().await,
        }
    };
    let closes = async { closing.wait_for(|yes| *yes).await.map(drop) };
    let why = tokio::select! {
        _ = session => return,
        () = grace_over => "the login grace time is over",
        _ = closes => "the server is stopping",
    };
    // Said, when the session can still say it; then the socket is closed either way.
    let said = handle.disconnect(Disconnect::ByApplication, why.into(), String::new());
    let _ = tokio::time::timeout(SAY_GOODBYE, said).await;
    cut();
}

/// The stream for russh, and a handle of our own on the same socket.
fn with_cutter(
    tcp: tokio::net::TcpStream,
) -> std::io::Result<(tokio::net::TcpStream, std::net::TcpStream)> {
    let socket = tcp.into_std()?;
    let cutter = socket.try_clone()?;
    Ok((tokio::net::TcpStream::from_std(socket)?, cutter))
}
