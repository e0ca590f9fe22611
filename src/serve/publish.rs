//! `serve --publish URL` (SPEC §10): every event pushed to an existing SSE hub's publisher
//! (nginx + nchan), in order, over kept-alive HTTP. The source and the local watchers never
//! wait for a hub: events reach each hub through a bounded queue, and what does not fit, or
//! fails, is counted and dropped. A publish whose connection was cut on the way (a restarted
//! proxy, a dropped link) is sent once more at once on a new connection, so a cut loses
//! nothing; one that fails otherwise, or again, is not repeated (no backlog of stale events):
//! the hub is tried again, with the next event, after a backoff.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// Events waiting for one hub, at most: a slow request holds the next ones here.
pub const QUEUE: usize = 256;
/// A publish that takes longer than this failed (the hub is too slow to keep up).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// One event as a hub's publisher takes it: the body is the event's data, the type goes in
/// the `X-EventSource-Event` header.
#[derive(Clone, Debug)]
struct Outgoing {
    event: Arc<str>,
    data: Bytes,
}

/// How publishing to one hub goes, for the reports and the metrics.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TargetReport {
    /// The URL without credentials or query (they may hold secrets).
    pub url: String,
    pub ok: u64,
    pub failed: u64,
    /// Events sent a second time because their connection was cut (each counts once in `ok`
    /// or `failed`). The hub may have taken the first: a watcher skips the copy by its `seq`.
    pub resent: u64,
    pub state: PublishState,
    pub last_error: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PublishState {
    /// Nothing published yet.
    #[default]
    Connecting,
    /// The last publish went through.
    Up,
    /// The last publish failed; events are dropped until the backoff ends.
    Retrying,
}

impl PublishState {
    pub fn name(self) -> &'static str {
        match self {
            PublishState::Connecting => "connecting",
            PublishState::Up => "up",
            PublishState::Retrying => "retrying",
        }
    }
}

struct Target {
    queue: mpsc::Sender<Outgoing>,
    report: Mutex<TargetReport>,
}

impl Target {
    fn update(&self, change: impl FnOnce(&mut TargetReport)) {
        change(&mut self.report.lock().expect("publish report lock"));
    }
}

/// Every hub `serve` publishes to.
pub struct Publishers {
    targets: Vec<Arc<Target>>,
}

/// `--publish` URLs for the board `name`: `{board}` in each is its name, escaped for a URL's
/// query or path (SPEC §16: one channel a board).
pub fn for_board(urls: &[String], name: &str) -> Vec<String> {
    let escaped: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
    urls.iter()
        .map(|url| url.replace("{board}", &escaped))
        .collect()
}

impl Publishers {
    /// Starts one publishing task per URL on the current runtime. `headers` go on every
    /// request (authorization, say).
    pub fn start(urls: &[String], headers: &[(String, String)]) -> Arc<Self> {
        crate::sse::client::install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .pool_max_idle_per_host(1)
            .build()
            .expect("an HTTP client");
        let targets = urls
            .iter()
            .map(|url| {
                let (queue, rx) = mpsc::channel(QUEUE);
                let target = Arc::new(Target {
                    queue,
                    report: Mutex::new(TargetReport {
                        url: crate::sse::redact_url(url),
                        ..TargetReport::default()
                    }),
                });
                tokio::spawn(publish(
                    target.clone(),
                    rx,
                    client.clone(),
                    url.clone(),
                    headers.to_vec(),
                ));
                target
            })
            .collect();
        Arc::new(Self { targets })
    }

    /// Hands an event to every hub; never waits. A hub whose queue is full loses it (counted).
    pub fn offer(&self, event: &str, data: &str) {
        let outgoing = Outgoing {
            event: event.into(),
            data: Bytes::copy_from_slice(data.as_bytes()),
        };
        for target in &self.targets {
            if target.queue.try_send(outgoing.clone()).is_err() {
                target.update(|r| r.failed += 1);
            }
        }
    }

    pub fn reports(&self) -> Vec<TargetReport> {
        self.targets
            .iter()
            .map(|t| t.report.lock().expect("publish report lock").clone())
            .collect()
    }

    /// SPEC §10's `publish` array for the reports.
    pub fn report_json(&self) -> Value {
        self.reports()
            .into_iter()
            .map(|r| {
                json!({
                    "url": r.url, "ok": r.ok, "failed": r.failed, "resent": r.resent,
                    "state": r.state.name(), "last_error": r.last_error,
                })
            })
            .collect()
    }
}

async fn publish(
    target: Arc<Target>,
    mut rx: mpsc::Receiver<Outgoing>,
    client: reqwest::Client,
    url: String,
    headers: Vec<(String, String)>,
) {
    let mut backoff = FIRST_BACKOFF;
    while let Some(outgoing) = rx.recv().await {
        let mut outcome = post(&client, &url, &headers, outgoing.clone()).await;
        if let Err(Failure::Cut(_)) = outcome {
            target.update(|r| r.resent += 1);
            outcome = post(&client, &url, &headers, outgoing).await;
        }
        match outcome.map_err(Failure::into_sentence) {
            Ok(()) => {
                backoff = FIRST_BACKOFF;
                target.update(|r| {
                    r.ok += 1;
                    r.state = PublishState::Up;
                });
            }
            Err(why) => {
                target.update(|r| {
                    r.failed += 1;
                    r.state = PublishState::Retrying;
                    r.last_error = Some(why);
                });
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                // What came while waiting is stale: dropped, counted, never a backlog.
                let mut stale = 0;
                while rx.try_recv().is_ok() {
                    stale += 1;
                }
                target.update(|r| r.failed += stale);
            }
        }
    }
}

/// Why a publish did not go through.
enum Failure {
    /// The connection broke after the request went out (the hub may or may not have it).
    Cut(String),
    /// No connection, no answer in time, or the hub said no: sending again at once would
    /// only repeat it.
    Other(String),
}

impl Failure {
    fn into_sentence(self) -> String {
        match self {
            Failure::Cut(why) | Failure::Other(why) => why,
        }
    }
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    headers: &[(String, String)],
    outgoing: Outgoing,
) -> Result<(), Failure> {
    let mut request = client
        .post(url)
        .header("X-EventSource-Event", &*outgoing.event)
        .header(reqwest::header::CONTENT_TYPE, "text/plain");
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let response = request.body(outgoing.data).send().await.map_err(|e| {
        let why = crate::sse::client::plain_reqwest_error(&e);
        if e.is_connect() || e.is_timeout() {
            Failure::Other(why)
        } else {
            Failure::Cut(why)
        }
    })?;
    let status = response.status();
    // Read to the end, so the connection goes back to the pool for the next event.
    let _ = response.bytes().await;
    if status.is_success() {
        Ok(())
    } else {
        Err(Failure::Other(format!(
            "the hub answered HTTP {}",
            status.as_u16()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    use axum::extract::{ConnectInfo, State};
    use axum::http::{HeaderMap, StatusCode};
    use tokio::sync::Notify;

    #[test]
    fn each_board_publishes_to_its_own_channel() {
        let urls = [
            "http://hub/pub?id={board}".to_owned(),
            "http://other/{board}/pub".to_owned(),
        ];
        assert_eq!(
            for_board(&urls, "bench-1"),
            ["http://hub/pub?id=bench-1", "http://other/bench-1/pub"]
        );
        // A name from a URL is escaped: it stays one query value, one path segment.
        assert_eq!(
            for_board(&urls[..1], "127.0.0.1/events"),
            ["http://hub/pub?id=127.0.0.1%2Fevents"]
        );
    }

    /// What a hub's publisher received: (peer, event type header, body).
    #[derive(Default)]
    struct Received {
        posts: Mutex<Vec<(SocketAddr, String, String)>>,
        arrived: Notify,
    }

    /// A publisher endpoint on 127.0.0.1 that answers `status` (or never, for `None`).
    async fn hub(status: Option<StatusCode>) -> (String, Arc<Received>) {
        let received = Arc::new(Received::default());
        let shared = received.clone();
        let app = axum::Router::new()
            .route(
                "/pub",
                axum::routing::post(
                    move |State(r): State<Arc<Received>>,
                          ConnectInfo(peer): ConnectInfo<SocketAddr>,
                          headers: HeaderMap,
                          body: String| async move {
                        let event = headers
                            .get("x-eventsource-event")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_owned();
                        r.posts.lock().unwrap().push((peer, event, body));
                        r.arrived.notify_one();
                        match status {
                            Some(status) => status,
                            None => std::future::pending().await,
                        }
                    },
                ),
            )
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        (format!("http://{addr}/pub?id=board1"), received)
    }

    /// How long [`until`] waits for the report it wants before it fails the test.
    const UNTIL_LIMIT: Duration = Duration::from_secs(20);

    /// The first report of the first hub that satisfies `done` (described by `what`, for the
    /// failure message). Fails the test with the last report seen if none has after
    /// [`UNTIL_LIMIT`] of wall-clock time, so a regression fails instead of hanging.
    async fn until(
        publishers: &Publishers,
        what: &str,
        done: impl Fn(&TargetReport) -> bool,
    ) -> TargetReport {
        let deadline = std::time::Instant::now() + UNTIL_LIMIT;
        loop {
            let report = publishers.reports().remove(0);
            if done(&report) {
                return report;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no report with {what} after {UNTIL_LIMIT:?}; the last one: {report:?}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    #[tokio::test]
    async fn every_event_reaches_the_hub_in_order_on_one_kept_alive_connection() {
        let (url, received) = hub(Some(StatusCode::CREATED)).await;
        let publishers = Publishers::start(std::slice::from_ref(&url), &[]);
        for i in 0..50 {
            publishers.offer(
                if i % 10 == 0 { "status" } else { "frame" },
                &format!("event {i}"),
            );
        }
        let report = until(&publishers, "ok + failed == 50", |r| r.ok + r.failed == 50).await;
        assert_eq!(
            (report.ok, report.failed, report.state),
            (50, 0, PublishState::Up)
        );
        assert_eq!(
            report.url,
            "http://127.0.0.1:".to_owned()
                + url.split(':').nth(2).unwrap().split('?').next().unwrap()
                + "?…"
        );
        let posts = received.posts.lock().unwrap();
        let bodies: Vec<String> = posts.iter().map(|p| p.2.clone()).collect();
        let want: Vec<String> = (0..50).map(|i| format!("event {i}")).collect();
        assert_eq!(bodies, want);
        assert_eq!(posts[0].1, "status");
        assert_eq!(posts[1].1, "frame");
        let peers: std::collections::HashSet<SocketAddr> = posts.iter().map(|p| p.0).collect();
        assert_eq!(peers.len(), 1, "one connection, kept alive: {peers:?}");
    }

    #[tokio::test]
    async fn a_refusing_hub_is_counted_and_retried_never_waited_for() {
        let (url, received) = hub(Some(StatusCode::FORBIDDEN)).await;
        let publishers = Publishers::start(&[url], &[]);
        publishers.offer("frame", "first");
        let report = until(&publishers, "failed == 1", |r| r.failed == 1).await;
        assert_eq!(report.state, PublishState::Retrying);
        assert_eq!(
            report.last_error.as_deref(),
            Some("the hub answered HTTP 403")
        );
        // After the backoff the hub is tried again with the next event.
        received.posts.lock().unwrap().clear();
        publishers.offer("frame", "second");
        until(&publishers, "failed == 2", |r| r.failed == 2).await;
        assert!(
            received
                .posts
                .lock()
                .unwrap()
                .iter()
                .all(|p| p.2 != "first")
        );
    }

    #[tokio::test]
    async fn a_hub_that_never_answers_costs_a_bounded_queue_and_nothing_else() {
        let (url, received) = hub(None).await;
        let publishers = Publishers::start(&[url], &[]);
        publishers.offer("frame", "held");
        received.arrived.notified().await;
        // The request hangs; offers return at once, and beyond the queue they are dropped.
        for i in 0..1000 {
            publishers.offer("frame", &i.to_string());
        }
        let report = publishers.reports().remove(0);
        assert_eq!(report.failed, 1000 - QUEUE as u64);
        assert_eq!(report.ok, 0);
    }

    /// A publisher endpoint whose first connection is cut once its request has arrived (the
    /// hub may have taken it); later connections take every request and answer 201. The
    /// bodies it read, from every connection, in order.
    async fn hub_cutting_its_first_connection() -> (String, Arc<Mutex<Vec<String>>>) {
        use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/pub", listener.local_addr().unwrap());
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let seen = bodies.clone();
        tokio::spawn(async move {
            for connection in 0.. {
                let (socket, _) = listener.accept().await.unwrap();
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut socket = BufReader::new(socket);
                    loop {
                        let mut length = None;
                        loop {
                            let mut line = String::new();
                            if socket.read_line(&mut line).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if line == "\r\n" {
                                break;
                            }
                            if let Some((name, value)) = line.split_once(':')
                                && name.eq_ignore_ascii_case("content-length")
                            {
                                length = value.trim().parse::<usize>().ok();
                            }
                        }
                        let mut body = vec![0; length.expect("a content-length")];
                        socket.read_exact(&mut body).await.unwrap();
                        seen.lock().unwrap().push(String::from_utf8(body).unwrap());
                        if connection == 0 {
                            return; // dropped: the connection is cut with no answer
                        }
                        let answer = b"HTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n";
                        socket.get_mut().write_all(answer).await.unwrap();
                    }
                });
            }
        });
        (url, bodies)
    }

    #[tokio::test]
    async fn a_cut_connection_sends_its_event_again_and_loses_nothing() {
        let (url, bodies) = hub_cutting_its_first_connection().await;
        let publishers = Publishers::start(&[url], &[]);
        for i in 0..5 {
            publishers.offer("frame", &format!("event {i}"));
        }
        let report = until(&publishers, "ok == 5", |r| r.ok == 5).await;
        assert_eq!((report.failed, report.resent), (0, 1), "{report:?}");
        // The first event twice (the hub had it when the cut came), then the rest in order.
        let want = [
            "event 0", "event 0", "event 1", "event 2", "event 3", "event 4",
        ];
        assert_eq!(*bodies.lock().unwrap(), want);
    }

    #[tokio::test]
    async fn no_hub_at_all_is_a_plain_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/pub", listener.local_addr().unwrap());
        drop(listener);
        let publishers = Publishers::start(&[url], &[]);
        publishers.offer("frame", "x");
        let report = until(&publishers, "failed == 1", |r| r.failed == 1).await;
        assert_eq!(report.state, PublishState::Retrying);
        assert!(
            report
                .last_error
                .as_deref()
                .unwrap()
                .starts_with("cannot connect"),
            "{report:?}"
        );
    }
}
