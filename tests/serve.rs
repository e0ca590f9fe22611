//! `sse-tui serve` end to end: the real binary publishing the demo board, read by our own
//! client, by a raw HTTP client that checks headers and framing, and by an independent
//! SSE library (PyPI httpx-sse).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use common::ChildGuard;

const BIN: &str = env!("CARGO_BIN_EXE_sse-tui");

/// A running `sse-tui serve`, stopped (SIGTERM, then kill) when dropped.
struct Served {
    child: ChildGuard,
    addr: String,
}

impl Served {
    fn start(args: &[&str]) -> Self {
        let (child, addr) = common::spawn_served(
            Command::new(BIN)
                .args(["serve", "--listen", "127.0.0.1:0"])
                .args(args),
        );
        Self {
            child: ChildGuard(child),
            addr,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = rustix::process::Pid::from_raw(self.child.0.id() as i32).unwrap();
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
        self.child.0.wait().unwrap()
    }
}

/// A raw HTTP/1.1 GET: the status line and headers, then the body de-chunked as it comes.
struct Raw {
    reader: BufReader<TcpStream>,
    pub status: String,
    pub headers: Vec<(String, String)>,
    buffer: Vec<u8>,
}

impl Raw {
    fn get(addr: &str, path: &str, extra: &[(&str, &str)]) -> Self {
        let stream = TcpStream::connect(addr).unwrap();
        Self::get_on(stream, addr, path, extra)
    }

    fn get_on(mut stream: TcpStream, addr: &str, path: &str, extra: &[(&str, &str)]) -> Self {
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n");
        for (name, value) in extra {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).unwrap();
        let mut reader = BufReader::new(stream);
        let mut status = String::new();
        reader.read_line(&mut status).unwrap();
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
        }
        Self {
            reader,
            status: status.trim_end().to_owned(),
            headers,
            buffer: Vec::new(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The next whole event block (without its blank line); comments come as their own blocks.
    fn next_block(&mut self) -> String {
        self.try_next_block().expect("the stream ended")
    }

    /// The next block, or `None` at the end of the stream.
    fn try_next_block(&mut self) -> Option<String> {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let block = String::from_utf8(self.buffer[..end].to_vec()).unwrap();
                self.buffer.drain(..end + 2);
                return Some(block);
            }
            let mut size = String::new();
            if self.reader.read_line(&mut size).ok()? == 0 {
                return None;
            }
            let size = usize::from_str_radix(size.trim(), 16).ok()?;
            if size == 0 {
                return None;
            }
            let mut chunk = vec![0; size + 2];
            self.reader.read_exact(&mut chunk).ok()?;
            self.buffer.extend_from_slice(&chunk[..size]);
        }
    }

    /// The next event that is not a comment: (id, event type, data).
    fn next_event(&mut self) -> (String, String, String) {
        loop {
            let block = self.next_block();
            if block.starts_with(':') {
                continue;
            }
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                    .unwrap_or_else(|| panic!("no {name} in {block:?}"))
                    .to_owned()
            };
            return (field("id"), field("event"), field("data"));
        }
    }

    /// The next `frame` event's id (status and other events are skipped).
    fn next_frame_id(&mut self) -> u32 {
        loop {
            let (id, event, _) = self.next_event();
            if event == "frame" {
                return id.parse().unwrap();
            }
        }
    }

    /// A whole (not streamed) body: by its Content-Length, else de-chunked to its end.
    fn body_to_end(&mut self) -> String {
        if let Some(length) = self.header("content-length") {
            let mut body = vec![0; length.parse().unwrap()];
            self.reader.read_exact(&mut body).unwrap();
            return String::from_utf8(body).unwrap();
        }
        while self.try_next_block().is_some() {}
        String::from_utf8(std::mem::take(&mut self.buffer)).unwrap()
    }

    fn ended(&mut self) -> bool {
        let mut rest = Vec::new();
        self.reader.read_to_end(&mut rest).is_ok() && rest.ends_with(b"0\r\n\r\n")
    }
}

#[test]
fn our_client_watches_the_demo_through_serve() {
    let served = Served::start(&["--demo"]);
    let out = Command::new(BIN)
        .args([
            "--url",
            &served.url("/events"),
            "--headless",
            "--frames",
            "30",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().last().unwrap()).unwrap();
    assert_eq!(summary["frames"], 30);
    assert_eq!(summary["bad_frames"], 0);
    assert!(
        (summary["peak_hz"].as_f64().unwrap() - 1000.0).abs() < 46.9 / 2.0,
        "{summary}"
    );
    assert_eq!(
        summary["latency_corrected"], true,
        "serve answers the clock probe"
    );
}

#[test]
fn headers_and_framing_on_the_wire() {
    let served = Served::start(&["--demo", "--heartbeat", "0.2"]);
    let mut raw = Raw::get(&served.addr, "/events", &[]);
    assert_eq!(raw.status, "HTTP/1.1 200 OK");
    assert_eq!(raw.header("content-type"), Some("text/event-stream"));
    assert_eq!(raw.header("cache-control"), Some("no-cache"));
    assert_eq!(raw.header("x-accel-buffering"), Some("no"));
    assert_eq!(raw.header("content-length"), None);
    assert_eq!(raw.header("content-encoding"), None);
    let first = raw.next_block();
    assert!(
        first.starts_with("retry: 2000\nid: "),
        "retry rides on the first event: {first:?}"
    );
    let mut heartbeats = 0;
    let mut previous: Option<u32> = None;
    while heartbeats < 2 {
        let block = raw.next_block();
        if block.starts_with(':') {
            heartbeats += 1;
            continue;
        }
        let lines: Vec<&str> = block.lines().collect();
        assert_eq!(lines.len(), 3, "{block:?}");
        let id: u32 = lines[0].strip_prefix("id: ").unwrap().parse().unwrap();
        assert_eq!(lines[1], "event: frame");
        assert!(lines[2].starts_with("data: ") && !lines[2].contains('\r'));
        if let Some(p) = previous {
            assert_eq!(id, p + 1, "ids follow the frames' seq");
        }
        previous = Some(id);
    }
}

#[test]
fn last_event_id_replays_exactly_the_missed_frames() {
    let served = Served::start(&["--demo"]);
    let mut first = Raw::get(&served.addr, "/events", &[]);
    let k = first.next_frame_id();
    drop(first);
    let mut watcher = Raw::get(&served.addr, "/events", &[]);
    while watcher.next_frame_id() < k + 10 {}
    let mut resumed = Raw::get(
        &served.addr,
        "/events",
        &[("Last-Event-ID", &k.to_string())],
    );
    for expected in k + 1..=k + 10 {
        assert_eq!(resumed.next_frame_id(), expected);
    }
    let mut unknown = Raw::get(&served.addr, "/events", &[("Last-Event-ID", "3999999999")]);
    let (_, event, data) = unknown.next_event();
    assert_eq!(event, "resync");
    assert!(data.contains("not in the replay buffer"), "{data}");
}

#[test]
fn a_stalled_watcher_does_not_slow_a_fast_one_and_never_skips_silently() {
    // 4000 demo frames replayed 10 times faster than real time: about 470 frames a second,
    // enough to fill a stalled watcher's socket buffers within seconds, while the fast one has
    // its queue (256 events, half a second) of slack against a busy machine's scheduling.
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("demo.bin");
    const FRAMES: u32 = 4000;
    let mut board = sse_tui::source::demo::DemoBoard::new(5);
    let mut bytes = Vec::new();
    for _ in 0..FRAMES {
        board.next_frame(&mut bytes);
    }
    std::fs::write(&recording, &bytes).unwrap();
    let served = Served::start(&[
        "--replay",
        recording.to_str().unwrap(),
        "--speed",
        "10",
        "--queue",
        "256",
    ]);
    // A small receive buffer, set before connecting so the window never opens wide.
    let addr: std::net::SocketAddr = served.addr.parse().unwrap();
    let fd = rustix::net::socket(
        rustix::net::AddressFamily::INET,
        rustix::net::SocketType::STREAM,
        None,
    )
    .unwrap();
    rustix::net::sockopt::set_socket_recv_buffer_size(&fd, 4096).unwrap();
    rustix::net::connect(&fd, &addr).unwrap();
    let socket = TcpStream::from(fd);
    let mut stalled = Raw::get_on(socket, &served.addr, "/events", &[]);
    let mut fast = Raw::get(&served.addr, "/events", &[]);
    // The fast watcher reads to the end of the replay. Had the stalled one slowed it, it
    // would have fallen more than its queue (256) behind the source and been told it lagged:
    // so every frame in order, and no `lagged` event, is the proof that it kept its pace.
    let mut previous: Option<u32> = None;
    while previous != Some(FRAMES - 1) {
        let (id, event, _) = fast.next_event();
        assert_ne!(event, "lagged", "the fast watcher was held back");
        if event != "frame" {
            continue;
        }
        let id: u32 = id.parse().unwrap();
        if let Some(p) = previous {
            assert_eq!(id, p + 1, "the fast watcher misses nothing");
        }
        previous = Some(id);
    }
    // By now 22 MB went out (four channels a frame), four times what the stalled watcher's
    // socket buffers and its queue hold: it lagged.
    // Read at last, it never skips silently: where its ids jump, a `lagged` event says so.
    let mut previous: Option<u32> = None;
    let (mut told, mut lags) = (false, 0);
    while let Some(block) = stalled.try_next_block() {
        if block.contains("event: lagged") {
            told = true;
            lags += 1;
            continue;
        }
        if !block.contains("event: frame") {
            continue;
        }
        let id: u32 = block
            .lines()
            .find_map(|l| l.strip_prefix("id: "))
            .unwrap()
            .parse()
            .unwrap();
        if let Some(p) = previous {
            assert!(
                id == p + 1 || told,
                "ids jumped from {p} to {id} without a lagged event"
            );
        }
        told = false;
        previous = Some(id);
        if id == FRAMES - 1 {
            break;
        }
    }
    assert!(lags > 0, "the stalled watcher was never told it lagged");
    assert_eq!(previous, Some(FRAMES - 1), "and it caught up with the end");
}

#[test]
fn tokens_cors_and_the_watcher_limit() {
    let served = Served::start(&[
        "--demo",
        "--token",
        "s3cret",
        "--allow-origin",
        "http://ok.example",
        "--max-clients",
        "2",
    ]);
    let refused = Raw::get(&served.addr, "/events", &[]);
    assert!(refused.status.contains("401"), "{}", refused.status);
    assert_eq!(
        refused.header("content-length"),
        Some("0"),
        "nothing leaked"
    );
    assert!(
        Raw::get(
            &served.addr,
            "/events",
            &[("Authorization", "Bearer wrong")]
        )
        .status
        .contains("401")
    );
    let mut bearer = Raw::get(
        &served.addr,
        "/events",
        &[
            ("Authorization", "Bearer s3cret"),
            ("Origin", "http://ok.example"),
        ],
    );
    assert!(bearer.status.contains("200"));
    assert_eq!(
        bearer.header("access-control-allow-origin"),
        Some("http://ok.example")
    );
    bearer.next_frame_id();
    let query = Raw::get(
        &served.addr,
        "/events?token=s3cret",
        &[("Origin", "http://evil.example")],
    );
    assert!(query.status.contains("200"));
    assert_eq!(query.header("access-control-allow-origin"), None);
    let third = Raw::get(&served.addr, "/events?token=s3cret", &[]);
    assert!(third.status.contains("503"), "{}", third.status);
}

#[test]
fn the_page_health_and_time_endpoints() {
    let served = Served::start(&["--demo", "--token", "t"]);
    let read_all = |path: &str| common::get_whole(&served.addr, path);
    let page = read_all("/");
    assert!(
        page.contains("text/html")
            && page.contains("new EventSource(\"/analysis\" + query)")
            && page.contains("?token=")
    );
    let health = read_all("/healthz");
    assert!(
        health.contains("\"state\":") && health.contains("\"watchers\":"),
        "{health}"
    );
    let time = read_all("/time");
    let body = time.split("\r\n\r\n").nth(1).unwrap();
    let unix_ms = serde_json::from_str::<serde_json::Value>(body).unwrap()["unix_ms"]
        .as_f64()
        .unwrap();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as f64;
    assert!(
        (unix_ms - now_ms).abs() < 60_000.0,
        "the server's clock, in ms since the epoch"
    );
}

#[test]
fn listening_beyond_loopback_needs_a_token() {
    let out = Command::new(BIN)
        .args(["serve", "--listen", "0.0.0.0:0", "--demo"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("--token"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1);
}

#[test]
fn shutdown_ends_the_streams_itself() {
    let mut served = Served::start(&["--demo"]);
    let mut raw = Raw::get(&served.addr, "/events", &[]);
    raw.next_event();
    let status = served.terminate();
    assert!(status.success(), "{status:?}");
    assert!(raw.ended(), "the stream was ended by the server");
}

#[test]
fn an_independent_sse_library_reads_the_feed() {
    let peers = common::peers::ensure();
    let served = Served::start(&["--demo"]);
    let out = Command::new(peers.join("venv/bin/python"))
        .arg(peers.join("python_httpx_sse.py"))
        .args([&served.url("/events"), "20"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["events"], 20);
    assert!(
        result["decoded_bytes"].as_u64().unwrap() >= 20 * 2076,
        "{result}"
    );
    let node = Command::new("node")
        .arg(peers.join("node_eventsource.mjs"))
        .args([&served.url("/events"), "20"])
        .output()
        .expect("node (it installed the npm peers)");
    assert!(
        node.status.success(),
        "{}",
        String::from_utf8_lossy(&node.stderr)
    );
    assert!(String::from_utf8_lossy(&node.stdout).contains("\"events\":20"));
}

/// `/metrics` read by PyPI prometheus-client's OpenMetrics parser.
fn scrape(served: &Served, peers: &std::path::Path) -> serde_json::Value {
    let mut raw = Raw::get(&served.addr, "/metrics", &[("Connection", "close")]);
    assert!(raw.status.ends_with("200 OK"), "{}", raw.status);
    assert!(
        raw.header("content-type")
            .is_some_and(|t| t.starts_with("application/openmetrics-text")),
        "{:?}",
        raw.headers
    );
    let text = raw.body_to_end();
    common::peers::parse_metrics(peers, &text)
}

fn sample(families: &serde_json::Value, family: &str, labels: &[(&str, &str)]) -> f64 {
    families[family]["samples"]
        .as_array()
        .unwrap_or_else(|| panic!("no family {family}: {families}"))
        .iter()
        .find(|s| labels.iter().all(|(k, v)| s[1][*k] == *v))
        .unwrap_or_else(|| panic!("no {family} {labels:?}: {families}"))[2]
        .as_f64()
        .unwrap()
}

#[test]
fn metrics_parse_with_an_independent_parser_and_follow_the_watchers() {
    let peers = common::peers::ensure();
    let served = Served::start(&["--demo"]);
    let first = scrape(&served, &peers);
    for (family, kind) in [
        ("sse_tui_frames", "counter"),
        ("sse_tui_bad_frames", "counter"),
        ("sse_tui_dropped_frames", "counter"),
        ("sse_tui_reconnects", "counter"),
        ("sse_tui_source_up", "gauge"),
        ("sse_tui_watchers", "gauge"),
        ("sse_tui_latency_seconds", "histogram"),
        ("sse_tui_ssh_picture_delay_seconds", "histogram"),
    ] {
        assert_eq!(first[family]["type"], kind, "{family}: {first}");
    }
    assert_eq!(
        sample(&first, "sse_tui_watchers", &[("transport", "ssh")]),
        0.0
    );

    // Two watchers come: the gauge says 2, and the frames counter has grown.
    let mut one = Raw::get(&served.addr, "/events", &[]);
    let mut two = Raw::get(&served.addr, "/events", &[]);
    // A second and more of the demo through both, so the figures (made 4 times a second)
    // have a tone and latencies to show.
    for _ in 0..60 {
        one.next_frame_id();
        two.next_frame_id();
    }
    let second = scrape(&served, &peers);
    assert_eq!(
        sample(&second, "sse_tui_watchers", &[("transport", "sse")]),
        2.0
    );
    assert!(
        sample(&second, "sse_tui_frames", &[]) > sample(&first, "sse_tui_frames", &[]),
        "frames_total grows"
    );
    // The demo has a tone, so a peak and ADC figures; the histogram counts every frame.
    assert!((sample(&second, "sse_tui_peak_frequency_hertz", &[]) - 1000.0).abs() < 50.0);
    assert!(
        second["sse_tui_adc_enob_bits"]["type"] == "gauge",
        "{second}"
    );
    let count = second["sse_tui_latency_seconds"]["samples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s[0] == "sse_tui_latency_seconds_count")
        .unwrap()[2]
        .as_f64()
        .unwrap();
    assert!(count > 0.0, "{second}");

    // One goes: the gauge follows (the server sees the close on its next write).
    drop(one);
    let mut watchers = 2.0;
    for _ in 0..200 {
        watchers = sample(
            &scrape(&served, &peers),
            "sse_tui_watchers",
            &[("transport", "sse")],
        );
        if watchers == 1.0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(watchers, 1.0);
    drop(two);
}

#[test]
fn metrics_keep_the_token_rule() {
    let served = Served::start(&["--demo", "--token", "s3cret"]);
    let refused = Raw::get(&served.addr, "/metrics", &[("Connection", "close")]);
    assert!(refused.status.contains("401"), "{}", refused.status);
    let allowed = Raw::get(
        &served.addr,
        "/metrics",
        &[("Authorization", "Bearer s3cret"), ("Connection", "close")],
    );
    assert!(allowed.status.ends_with("200 OK"), "{}", allowed.status);
}

#[test]
fn the_analysis_stream_is_the_servers_own_analysis_behind_the_token() {
    let served = Served::start(&["--demo", "--token", "s3cret", "--spectra-per-line", "2"]);
    let refused = Raw::get(&served.addr, "/analysis", &[]);
    assert!(refused.status.contains("401"), "{}", refused.status);
    let mut stream = Raw::get(&served.addr, "/analysis?token=s3cret", &[]);
    assert_eq!(stream.header("content-type"), Some("text/event-stream"));
    // Analyses until the demo's tone is found (the first ones may come before a spectrum),
    // and the waterfall's lines beside them.
    let mut waterfall = Vec::new();
    let analysis = loop {
        let block = stream.next_block();
        let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: ")) else {
            continue;
        };
        let value: serde_json::Value = serde_json::from_str(data).unwrap();
        if block.contains("event: waterfall") {
            waterfall.push(value);
            continue;
        }
        assert!(block.contains("event: analysis"), "{block}");
        if value["peak_hz"].is_number() && value["adc"].is_object() && !waterfall.is_empty() {
            break value;
        }
    };
    // The page's waterfall is the snapshot's: lines of the server's --spectra-per-line,
    // numbered in order, each line once.
    let mut next_line = None;
    for event in &waterfall {
        assert_eq!(event["spectra_per_line"], 2, "{event}");
        let first = event["first"].as_u64().unwrap();
        if let Some(next) = next_line {
            assert_eq!(first, next, "each line once, none missing");
        }
        let lines = event["lines"].as_array().unwrap();
        assert!(lines.iter().all(|l| l.as_array().unwrap().len() == 512));
        next_line = Some(first + lines.len() as u64);
    }
    assert_eq!(analysis["type"], "analysis");
    let spectrum = &analysis["spectrum"];
    assert_eq!(spectrum["bins"], 512, "{spectrum}");
    assert_eq!(spectrum["db"].as_array().unwrap().len(), 512);
    // The page draws the peak the server found, where the server found it.
    let bin_hz = spectrum["bin_hz"].as_f64().unwrap();
    let peak_hz = analysis["peak_hz"].as_f64().unwrap();
    let db = spectrum["db"].as_array().unwrap();
    let at_peak = db[(peak_hz / bin_hz).round() as usize].as_f64().unwrap();
    assert!(
        (at_peak - analysis["peak_dbfs"].as_f64().unwrap()).abs() < 1.5,
        "{at_peak} dB at the peak's bin"
    );
    assert_eq!(
        analysis["watchers"]["sse"], 1,
        "this stream counts as a watcher"
    );
}

/// Whether the server closed `socket` (end of stream or a reset) before `limit`; data it
/// sends first (a 408, say) is read past.
fn closed_by_server(socket: &mut TcpStream, limit: Duration) -> bool {
    socket.set_read_timeout(Some(limit)).unwrap();
    let mut buffer = [0u8; 4096];
    loop {
        match socket.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

/// A request whose headers never finish, and a connection that never sends one, are closed
/// once `--header-timeout` is over (as nginx's `client_header_timeout`); a watcher whose
/// request came whole keeps its stream past it. (Before, 300 half-sent requests were all
/// open 70 s later.)
#[test]
fn a_request_that_never_finishes_its_headers_is_closed_and_a_watcher_is_not() {
    let served = Served::start(&["--demo", "--header-timeout", "1"]);
    let mut watcher = Raw::get(&served.addr, "/events", &[]);
    assert!(watcher.status.contains("200"), "{}", watcher.status);
    let mut strangers: Vec<TcpStream> = (0..20)
        .map(|i| {
            let mut socket = TcpStream::connect(&served.addr).unwrap();
            if i % 2 == 0 {
                socket
                    .write_all(b"GET /events HTTP/1.1\r\nHost: lab\r\nAccept: text/")
                    .unwrap();
            }
            socket
        })
        .collect();
    for (i, stranger) in strangers.iter_mut().enumerate() {
        assert!(
            closed_by_server(stranger, Duration::from_secs(30)),
            "stranger {i} still open"
        );
    }
    // Every stranger is gone, so the bound has passed: the watcher still gets frames.
    let first = watcher.next_frame_id();
    assert!(watcher.next_frame_id() > first);
}
