//! The reconnecting SSE client: reqwest for HTTP (one HTTP/TLS stack), the parser of
//! `parser.rs`, and the connection rules of the WHATWG standard and SSE-CONFORMANCE.md:
//! the last event id kept and sent back, `retry` honoured, 204 and 401/403/404/410 final,
//! other failures retried with backoff and jitter, the Content-Type checked, redirects
//! followed, a read timeout for a silent dead connection. Every state change comes out
//! as a [`ClientEvent`], so the screen can show it.

use std::collections::VecDeque;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use tokio::time::Instant;

use super::parser::{DEFAULT_MAX_EVENT_BYTES, Parsed, Parser, SseEvent};

const MAX_RETRY_MS: u64 = 3_600_000;

#[derive(Clone, Debug)]
pub struct SseConfig {
    pub url: String,
    /// Extra request headers (`--header`). Never logged: they may hold secrets.
    pub headers: Vec<(String, String)>,
    pub last_event_id: Option<String>,
    pub max_event_bytes: usize,
    /// No byte at all for this long (not even a heartbeat comment): the connection is dead.
    pub read_timeout: Duration,
    pub connect_timeout: Duration,
    /// The reconnection time until the server sets one with `retry:`.
    pub initial_retry: Duration,
    /// Backoff never waits longer than this (unless the server's `retry` asks for more).
    pub max_backoff: Duration,
    pub insecure: bool,
    /// `--ca`: a certificate authority (PEM) trusted besides the usual ones, for a lab's own.
    pub ca: Option<std::path::PathBuf>,
}

impl SseConfig {
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            headers: Vec::new(),
            last_event_id: None,
            max_event_bytes: DEFAULT_MAX_EVENT_BYTES,
            read_timeout: Duration::from_secs(45),
            connect_timeout: Duration::from_secs(10),
            initial_retry: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            insecure: false,
            ca: None,
        }
    }
}

#[derive(Debug, PartialEq)]
pub enum ClientEvent {
    Connecting,
    /// 200 with an event stream: events follow.
    Open,
    /// Bytes read from the stream: comes after the events they held, so a consumer can
    /// hand over one read's events together.
    Received(usize),
    Event(SseEvent),
    /// An event passed `max_event_bytes` and was dropped.
    TooLarge {
        bytes: usize,
    },
    /// The connection was lost or refused; the next attempt is at `retry_at`.
    Lost {
        reason: String,
        retry_at: Instant,
    },
    /// Given up for good (204, 401, 403, 404, 410, not an event stream, a bad URL).
    Closed {
        reason: String,
    },
}

enum State {
    Start,
    Streaming(reqwest::Response),
    Waiting(Instant),
    Done,
}

pub struct SseClient {
    http: reqwest::Client,
    config: SseConfig,
    headers: HeaderMap,
    parser: Parser,
    retry: Duration,
    /// Failed attempts in a row (backoff grows with them; an open stream resets them).
    failures: u32,
    state: State,
    queue: VecDeque<ClientEvent>,
    rng: fastrand::Rng,
}

/// Why a feed cannot be subscribed to at all.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("bad URL {url}: {why}")]
    Url { url: String, why: String },
    #[error("bad URL {0}: only http and https are supported")]
    Scheme(String),
    #[error("bad header name {0:?}")]
    HeaderName(String),
    #[error("bad value for header {0}")]
    HeaderValue(String),
    #[error("cannot set up HTTP: {0}")]
    Http(String),
    #[error("cannot use the certificate authority {path}: {why}")]
    Ca { path: String, why: String },
}

/// The certificate authority in `path` (PEM), or why it cannot be used.
fn certificate_authority(path: &std::path::Path) -> Result<reqwest::Certificate, SetupError> {
    let failed = |why: String| SetupError::Ca {
        path: path.display().to_string(),
        why,
    };
    let pem = std::fs::read(path).map_err(|e| failed(crate::error::plain_io_error(&e)))?;
    if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
        return Err(failed("it holds no PEM certificate".into()));
    }
    reqwest::Certificate::from_pem(&pem).map_err(|e| failed(e.to_string()))
}

/// Installs the TLS crypto provider once (rustls is built with ring only).
pub(crate) fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl SseClient {
    /// Fails on a URL or header that cannot be used.
    pub fn new(config: SseConfig) -> Result<Self, SetupError> {
        let url = reqwest::Url::parse(&config.url).map_err(|e| SetupError::Url {
            url: config.url.clone(),
            why: e.to_string(),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(SetupError::Scheme(config.url.clone()));
        }
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        for (name, value) in &config.headers {
            let name = HeaderName::from_bytes(name.trim().as_bytes())
                .map_err(|_| SetupError::HeaderName(name.trim().to_owned()))?;
            let mut value = HeaderValue::from_str(value.trim())
                .map_err(|_| SetupError::HeaderValue(name.to_string()))?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .redirect(redirect_policy())
            .tls_danger_accept_invalid_certs(config.insecure);
        if let Some(path) = &config.ca {
            builder = builder.add_root_certificate(certificate_authority(path)?);
        }
        // HTTP/2 when the server offers it (ALPN): a feed shares one connection with the
        // clock probe, and a hub's many streams share one.
        let http = builder
            .build()
            .map_err(|e| SetupError::Http(e.to_string()))?;
        let mut parser = Parser::new(config.max_event_bytes);
        if let Some(id) = &config.last_event_id {
            parser.set_last_event_id(id);
        }
        Ok(Self {
            http,
            headers,
            parser,
            retry: config.initial_retry,
            failures: 0,
            state: State::Start,
            queue: VecDeque::new(),
            rng: fastrand::Rng::new(),
            config,
        })
    }

    pub fn last_event_id(&self) -> &str {
        self.parser.last_event_id()
    }

    /// The HTTP client the feed is read with: its TLS settings (`--insecure`) and proxies
    /// (from the environment) serve any other request to the same origin (the clock probe).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The reconnection time in force (the server's `retry`, or the initial one).
    pub fn retry(&self) -> Duration {
        self.retry
    }

    /// The next thing that happens. After `Closed`, every call returns `Closed` again.
    pub async fn next(&mut self) -> ClientEvent {
        loop {
            if let Some(event) = self.queue.pop_front() {
                return event;
            }
            match std::mem::replace(&mut self.state, State::Done) {
                State::Done => {
                    return ClientEvent::Closed {
                        reason: "closed".into(),
                    };
                }
                State::Start => {
                    self.queue.push_back(ClientEvent::Connecting);
                    self.connect().await;
                }
                State::Waiting(at) => {
                    tokio::time::sleep_until(at).await;
                    self.state = State::Start;
                }
                State::Streaming(mut response) => {
                    match tokio::time::timeout(self.config.read_timeout, response.chunk()).await {
                        Ok(Ok(Some(bytes))) => {
                            self.state = State::Streaming(response);
                            self.parse(&bytes);
                            self.queue.push_back(ClientEvent::Received(bytes.len()));
                        }
                        Ok(Ok(None)) => self.lose("the server ended the stream".into()),
                        Ok(Err(e)) => {
                            self.lose(format!("connection lost: {}", plain_reqwest_error(&e)))
                        }
                        Err(_) => self.lose(format!(
                            "no data for {} s (not even a heartbeat)",
                            self.config.read_timeout.as_secs_f64()
                        )),
                    }
                }
            }
        }
    }

    fn parse(&mut self, bytes: &[u8]) {
        let (queue, retry) = (&mut self.queue, &mut self.retry);
        self.parser.push(bytes, &mut |parsed| match parsed {
            Parsed::Event(event) => queue.push_back(ClientEvent::Event(event)),
            // A server may ask for any wait; more than an hour is taken as an hour.
            Parsed::Retry(ms) => *retry = Duration::from_millis(ms.min(MAX_RETRY_MS)),
            Parsed::TooLarge { bytes } => queue.push_back(ClientEvent::TooLarge { bytes }),
        });
    }

    async fn connect(&mut self) {
        let mut request = self
            .http
            .get(&self.config.url)
            .headers(self.headers.clone());
        let id = self.parser.last_event_id();
        if !id.is_empty()
            && let Ok(value) = HeaderValue::from_bytes(id.as_bytes())
        {
            request = request.header("Last-Event-ID", value);
        }
        // A server that accepts and then says nothing is as dead as a silent stream.
        let response = match tokio::time::timeout(self.config.read_timeout, request.send()).await {
            Ok(Ok(response)) => response,
            // A redirect loop or one to nowhere does not mend itself: no retrying it.
            Ok(Err(e)) if e.is_redirect() => return self.close(plain_reqwest_error(&e)),
            Ok(Err(e)) => return self.lose(plain_reqwest_error(&e)),
            Err(_) => {
                let wait = self.config.read_timeout.as_secs_f64();
                return self.lose(format!("no response for {wait} s"));
            }
        };
        let status = response.status();
        match status {
            StatusCode::OK => {}
            StatusCode::NO_CONTENT => {
                return self
                    .close("the server answered 204 No Content: it has no events to send".into());
            }
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                return self.close(format!(
                    "the server refused access ({status}): check --header"
                ));
            }
            StatusCode::NOT_FOUND | StatusCode::GONE => {
                return self.close(format!("no event stream at {} ({status})", self.config.url));
            }
            s if s.is_redirection() => {
                return self.close(format!("a redirect ({status}) with no usable Location"));
            }
            _ => return self.lose(format!("the server answered {status}")),
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let essence = content_type.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case("text/event-stream") {
            let what = if content_type.is_empty() {
                "no Content-Type".to_owned()
            } else {
                format!("Content-Type {content_type}")
            };
            return self.close(format!("not an event stream: the server sent {what}"));
        }
        self.parser.reconnected();
        self.failures = 0;
        self.state = State::Streaming(response);
        self.queue.push_back(ClientEvent::Open);
    }

    /// A failure worth another attempt: wait the reconnection time, more after repeated
    /// failures, plus jitter (which only ever adds).
    fn lose(&mut self, reason: String) {
        self.failures = self.failures.saturating_add(1);
        let base = self.retry;
        let backoff = base
            .saturating_mul(1 << (self.failures - 1).min(6))
            .min(self.config.max_backoff.max(base));
        let jitter = backoff.mul_f64(self.rng.f64() * 0.25);
        let retry_at = Instant::now() + backoff + jitter;
        tracing::info!(%reason, wait_s = (backoff + jitter).as_secs_f64(), "SSE connection lost");
        self.state = State::Waiting(retry_at);
        self.queue.push_back(ClientEvent::Lost { reason, retry_at });
    }

    fn close(&mut self, reason: String) {
        // Said once more as the exit sentence: no warning on stderr beside it.
        tracing::info!(%reason, "SSE feed closed for good");
        self.state = State::Done;
        self.queue.push_back(ClientEvent::Closed { reason });
    }
}

/// Follow up to 10 redirects (301, 302, 303, 307, 308, relative or not); one that leads
/// back to where it came from (an empty `Location`) is an error, not a loop.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().contains(attempt.url()) {
            attempt.error("a redirect back to the same address")
        } else if attempt.previous().len() > 10 {
            attempt.error("more than 10 redirects")
        } else {
            attempt.follow()
        }
    })
}

/// A reqwest error as a phrase: its kind and its innermost cause ("connection refused"),
/// never the URL (its query may hold a token).
pub fn plain_reqwest_error(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut cause = None;
    let mut source = e.source();
    while let Some(inner) = source {
        cause = Some(inner.to_string());
        source = inner.source();
    }
    let kind = if e.is_connect() {
        "cannot connect"
    } else if e.is_timeout() {
        "timed out"
    } else if e.is_redirect() {
        "redirect failed"
    } else if e.is_body() || e.is_decode() {
        "stream broken"
    } else {
        "request failed"
    };
    match cause {
        Some(cause) => format!("{kind}: {cause}"),
        None => kind.to_owned(),
    }
}
