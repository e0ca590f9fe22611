//! The HTTP side's own accept loop: axum's `serve` gives hyper no timer, so a request whose
//! headers never finish holds its socket for ever (300 half-sent requests were all open 70 s
//! later). Here hyper reads each request's headers within a bound, as nginx's
//! `client_header_timeout` does; a stream that did get its headers (a watcher) is never
//! touched by it. With `--tls-cert`, each connection's TLS handshake is bounded the same way,
//! and the protocol it agreed on (ALPN) picks HTTP/2 or HTTP/1.1.

use std::time::Duration;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::tls::TlsAcceptor;
use crate::serve::metrics::Watchers;

/// How long stopping waits for the open connections to finish (the streams end themselves on
/// the same signal).
const CONNECTIONS_END: Duration = Duration::from_secs(5);
/// After an accept fails (out of file descriptors, most often), the loop waits this long
/// before the next: a busy loop would not give the descriptors back.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// An HTTP/2 connection is asked for a sign of life this often, and closed when it gives
/// none within as long (a client that went away without a word).
const H2_PING: Duration = Duration::from_secs(20);

/// Serves `router` on `listener` until `stopping` says so, each request's headers (and with
/// `tls`, each handshake) read within `header_timeout`; `watchers` counts the connections by
/// protocol.
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    header_timeout: Duration,
    tls: Option<TlsAcceptor>,
    watchers: Arc<Watchers>,
    mut stopping: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let mut h2 = http2::Builder::new(TokioExecutor::new());
    h2.timer(TokioTimer::new())
        .keep_alive_interval(H2_PING)
        .keep_alive_timeout(H2_PING);
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
        let Some(acceptor) = &tls else {
            watchers.http1_connections.fetch_add(1, Ordering::Relaxed);
            let connection = graceful.watch(builder.serve_connection(TokioIo::new(tcp), service));
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::debug!(error = %e, "a connection ended");
                }
            });
            continue;
        };
        let (acceptor, http1, h2, watcher, watchers) = (
            acceptor.clone(),
            builder.clone(),
            h2.clone(),
            graceful.watcher(),
            watchers.clone(),
        );
        tokio::spawn(async move {
            // A stranger who never finishes the handshake is let go as one who never
            // finishes the headers is.
            let stream = match tokio::time::timeout(header_timeout, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(e)) => return tracing::debug!(error = %e, "a TLS handshake failed"),
                Err(_) => return tracing::debug!("a TLS handshake took too long"),
            };
            let ended = if stream.get_ref().1.alpn_protocol() == Some(b"h2") {
                watchers.http2_connections.fetch_add(1, Ordering::Relaxed);
                watcher
                    .watch(h2.serve_connection(TokioIo::new(stream), service))
                    .await
            } else {
                watchers.http1_connections.fetch_add(1, Ordering::Relaxed);
                watcher
                    .watch(http1.serve_connection(TokioIo::new(stream), service))
                    .await
            };
            if let Err(e) = ended {
                tracing::debug!(error = %e, "a connection ended");
            }
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(CONNECTIONS_END, graceful.shutdown()).await;
}
