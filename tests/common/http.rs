//! A scripted HTTP/1.1 server on 127.0.0.1 (port chosen by the OS): each connection gets the
//! bytes its script says, split and paced as the script says, so tests control exactly what
//! crosses the wire. Stopped when dropped.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Header names in lower case; values as raw bytes (ids may be UTF-8).
    pub headers: Vec<(String, Vec<u8>)>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    pub fn header_str(&self, name: &str) -> Option<String> {
        self.header(name)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }
}

pub enum Step {
    /// Write these bytes and flush.
    Send(Vec<u8>),
    /// Write each byte on its own, flushing each.
    Drip(Vec<u8>),
    Wait(Duration),
    /// Keep the connection open, sending nothing, until the server stops.
    Hold,
}

/// The status line and headers of a streamed response (no Content-Length: the body ends
/// when the connection closes).
pub fn head(status: &str, headers: &[(&str, &str)]) -> Step {
    let mut text = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("Connection: close\r\n\r\n");
    Step::Send(text.into_bytes())
}

/// A 200 event stream head.
pub fn stream_head() -> Step {
    head(
        "200 OK",
        &[
            ("Content-Type", "text/event-stream"),
            ("Cache-Control", "no-cache"),
        ],
    )
}

pub type Script = dyn Fn(usize, &Request) -> Vec<Step> + Send + Sync;

pub struct TestServer {
    pub addr: SocketAddr,
    pub requests: Arc<Mutex<Vec<Request>>>,
    tasks: JoinSet<()>,
}

impl TestServer {
    /// `script(n, request)` answers the n-th connection (from 0).
    pub async fn start(
        script: impl Fn(usize, &Request) -> Vec<Step> + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let mut tasks = JoinSet::new();
        let log = requests.clone();
        tasks.spawn(async move {
            let mut connections = JoinSet::new();
            for n in 0.. {
                let Ok((mut socket, _)) = listener.accept().await else {
                    break;
                };
                socket.set_nodelay(true).unwrap();
                let (script, log) = (script.clone(), log.clone());
                connections.spawn(async move {
                    let Some(request) = read_request(&mut socket).await else {
                        return;
                    };
                    log.lock().unwrap().push(request.clone());
                    for step in script(n, &request) {
                        let ok = match step {
                            Step::Send(bytes) => {
                                socket.write_all(&bytes).await.is_ok()
                                    && socket.flush().await.is_ok()
                            }
                            Step::Drip(bytes) => {
                                let mut ok = true;
                                for b in bytes {
                                    ok = ok
                                        && socket.write_all(&[b]).await.is_ok()
                                        && socket.flush().await.is_ok();
                                    tokio::task::yield_now().await;
                                }
                                ok
                            }
                            Step::Wait(d) => {
                                tokio::time::sleep(d).await;
                                true
                            }
                            Step::Hold => {
                                std::future::pending::<()>().await;
                                true
                            }
                        };
                        if !ok {
                            return;
                        }
                    }
                    let _ = socket.shutdown().await;
                });
            }
        });
        Self {
            addr,
            requests,
            tasks,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.tasks.abort_all();
    }
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() > 64 * 1024 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let mut lines = buf[..end]
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let request_line = String::from_utf8_lossy(lines.next()?).into_owned();
    let mut parts = request_line.split(' ');
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let headers = lines
        .filter_map(|l| {
            let colon = l.iter().position(|&b| b == b':')?;
            let name = String::from_utf8_lossy(&l[..colon]).to_ascii_lowercase();
            let value = l[colon + 1..]
                .strip_prefix(b" ")
                .unwrap_or(&l[colon + 1..])
                .to_vec();
            Some((name, value))
        })
        .collect();
    Some(Request {
        method,
        path,
        headers,
    })
}
