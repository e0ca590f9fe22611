//! The HTTP side's own accept loop: axum's `serve` gives hyper no timer, so a request whose
//! headers never finish holds its socket for ever (300 half-sent requests were all open 70 s
//! later). Here hyper reads each request's headers within a bound, as nginx's
//! `client_header_timeout` does; a stream that did get its headers (a watcher) is never
//! touched by it.

use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// How long stopping waits for the open connections to finish (the streams end themselves on
/// the same signal).
const CONNECTIONS_END: Duration = Duration::from_secs(5);
/// After an accept fails (out of file descriptors, most often), the loop waits this long
/// before the next: a busy loop would not give the descriptors back.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `router` on `listener` until `stopping` says so, each request's headers read
/// within `header_timeout`.
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    header_timeout: Duration,
    mut stopping: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopping.wait_for(|stop| *stop) => break,
        };
        let tcp = match accepted {
            Ok((tcp, _peer)) => tcp,
            Err(e) => {
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        // Events are small next to the loopback MSS: without TCP_NODELAY, Nagle's algorithm
        // and the watcher's delayed ACK hold many of them back ~40 ms.
        let _ = tcp.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(tcp), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "a connection ended");
            }
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(CONNECTIONS_END, graceful.shutdown()).await;
}
