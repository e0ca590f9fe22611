//! The SSE client against independent clients, side by side on one loopback feed.
//!
//! A server in this process serves N `frame` events (1024 i16 samples, about 2.8 KB each) as
//! fast as the socket takes them. Each client is a process of its own, timed from start to
//! exit, with its CPU (user + system) and peak memory read from /proc while it runs:
//! - ours, parse + base64 decode (this bench run as `sse client URL N`), the same work the
//!   peers do;
//! - npm `eventsource` 4 on Node, and PyPI `httpx-sse` on CPython (installed by
//!   `benches/peers/setup.sh` into target/bench-peers);
//! - the real binary, the whole path: `sse-tui --url … --headless --frames N` (CRC, FFT,
//!   statistics), for frame events and for JSON events.
//!
//! Run: `cargo bench --bench sse` (add `-- quick` for a short run).

// Shared with the tests and the other benches; each uses part of it.
#[allow(dead_code)]
#[path = "../tests/common/peers.rs"]
mod peers;
#[allow(dead_code)]
#[path = "../tests/common/procfs.rs"]
mod procfs;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use sse_tui::frame::SenderTime;
use sse_tui::sse::client::{ClientEvent, SseClient, SseConfig};
use sse_tui::wire::binary::{self, Dtype, Header};

fn frame_events(n: usize) -> Vec<u8> {
    let mut body = Vec::new();
    let samples: Vec<i16> = (0..1024)
        .map(|i| (12000.0 * (i as f64 * 0.613).sin()) as i16)
        .collect();
    for seq in 0..n as u32 {
        let sent = SenderTime::Device(i64::from(seq) * 21_333);
        let header = Header::samples(Dtype::I16, seq, 48_000, Some(sent));
        let mut frame = Vec::new();
        binary::encode_values(&header, &samples, i16::to_le_bytes, &mut frame);
        let data = base64::engine::general_purpose::STANDARD.encode(&frame);
        write!(body, "id: {seq}\nevent: frame\ndata: {data}\n\n").unwrap();
    }
    body
}

fn json_events(n: usize) -> Vec<u8> {
    let samples: Vec<String> = (0..1024)
        .map(|i| ((12000.0 * (i as f64 * 0.613).sin()) as i16).to_string())
        .collect();
    let samples = samples.join(",");
    let mut body = Vec::new();
    for seq in 0..n {
        write!(
            body,
            "id: {seq}\nevent: samples\ndata: {{\"seq\":{seq},\"fs\":48000,\"full_scale\":32768,\"samples\":[{samples}]}}\n\n"
        )
        .unwrap();
    }
    body
}

/// Serves `/frames` and `/json` once per connection, then closes; `/time` is 404.
fn serve(frames: Vec<u8>, json: Vec<u8>) -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let frames: &'static [u8] = Vec::leak(frames);
    let json: &'static [u8] = Vec::leak(json);
    std::thread::spawn(move || {
        for socket in listener.incoming().flatten() {
            std::thread::spawn(move || {
                use std::io::Read;
                let mut socket = socket;
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let line = String::from_utf8_lossy(&request);
                let body = if line.starts_with("GET /frames") {
                    frames
                } else if line.starts_with("GET /json") {
                    json
                } else {
                    let _ = socket.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                    return;
                };
                let _ = socket.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n",
                );
                for chunk in body.chunks(64 * 1024) {
                    if socket.write_all(chunk).is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

/// Our client, parse + base64 decode: the work the peers do.
fn our_client(url: &str, wanted: usize) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut client = SseClient::new(SseConfig::new(url)).unwrap();
        let (mut count, mut decoded) = (0, 0);
        while count < wanted {
            match client.next().await {
                ClientEvent::Event(event) if event.event_type == "frame" => {
                    decoded += base64::engine::general_purpose::STANDARD
                        .decode(event.data.trim())
                        .unwrap()
                        .len();
                    count += 1;
                }
                ClientEvent::Closed { reason } => panic!("{reason}"),
                _ => {}
            }
        }
        println!("{{\"events\":{count},\"decoded_bytes\":{decoded}}}");
    });
}

struct Measured {
    seconds: f64,
    cpu_seconds: f64,
    peak_rss_mb: f64,
    stdout: String,
}

fn proc_cpu_and_rss(pid: u32) -> Option<(f64, f64)> {
    Some((procfs::process_cpu(pid)?, procfs::memory_mb(pid, "VmHWM")?))
}

fn measure(program: &Path, args: &[&str]) -> Measured {
    let start = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    let pid = child.id();
    let (mut cpu, mut rss) = (0.0, 0.0);
    loop {
        // Read while it runs: the last reading before it exits is within a few ms of the end.
        if let Some((c, r)) = proc_cpu_and_rss(pid) {
            (cpu, rss) = (c, r);
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let seconds = start.elapsed().as_secs_f64();
    let mut stdout = String::new();
    use std::io::Read;
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert!(
        child.wait().unwrap().success(),
        "{} {args:?} failed",
        program.display()
    );
    Measured {
        seconds,
        cpu_seconds: cpu,
        peak_rss_mb: rss,
        stdout,
    }
}

fn row(name: &str, events: usize, m: &Measured) {
    println!(
        "| {name} | {:.0} | {:.2} s | {:.0} % | {:.0} MB |",
        events as f64 / m.seconds,
        m.seconds,
        m.cpu_seconds / m.seconds * 100.0,
        m.peak_rss_mb
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("client") {
        our_client(&args[2], args[3].parse().unwrap());
        return;
    }
    let quick = args.iter().any(|a| a == "quick");
    let (n_frames, n_json) = if quick {
        (50_000, 5_000)
    } else {
        (200_000, 40_000)
    };
    let peers = peers::ensure();
    let addr = serve(frame_events(n_frames), json_events(n_json));
    let frames_url = format!("http://{addr}/frames");
    let json_url = format!("http://{addr}/json");
    let n = n_frames.to_string();
    let me = std::env::current_exe().unwrap();

    println!("## SSE clients on one loopback feed of {n_frames} `frame` events (~2.8 KB each)\n");
    println!("| client | events/s | time | CPU (of one core) | peak memory |");
    println!("|---|---:|---:|---:|---:|");
    let ours = measure(&me, &["client", &frames_url, &n]);
    assert!(
        ours.stdout.contains(&format!("\"events\":{n_frames}")),
        "{}",
        ours.stdout
    );
    row("sse-tui client: parse + base64 decode", n_frames, &ours);
    let node = measure(
        Path::new("node"),
        &[
            peers.join("node_eventsource.mjs").to_str().unwrap(),
            &frames_url,
            &n,
        ],
    );
    assert!(
        node.stdout.contains(&format!("\"events\": {n_frames}"))
            || node.stdout.contains(&format!("\"events\":{n_frames}")),
        "{}",
        node.stdout
    );
    row(
        "npm eventsource 4.1.1 (Node 20): parse + base64 decode",
        n_frames,
        &node,
    );
    let python = measure(
        &peers.join("venv/bin/python"),
        &[
            peers.join("python_httpx_sse.py").to_str().unwrap(),
            &frames_url,
            &n,
        ],
    );
    assert!(
        python.stdout.contains(&format!("\"events\": {n_frames}")),
        "{}",
        python.stdout
    );
    row(
        "PyPI httpx-sse 0.4.3 (CPython 3.11): parse + base64 decode",
        n_frames,
        &python,
    );

    let bin = Path::new(env!("CARGO_BIN_EXE_sse-tui"));
    let whole = measure(
        bin,
        &[
            "--url",
            &frames_url,
            "--headless",
            "--frames",
            &n,
            "--report-every",
            "60",
        ],
    );
    assert!(
        whole.stdout.contains(&format!("\"frames\":{n_frames}")),
        "every event accounted for"
    );
    row(
        "sse-tui, whole path (CRC, FFT, statistics), frame events",
        n_frames,
        &whole,
    );
    let nj = n_json.to_string();
    let whole_json = measure(
        bin,
        &[
            "--url",
            &json_url,
            "--headless",
            "--frames",
            &nj,
            "--report-every",
            "60",
        ],
    );
    assert!(
        whole_json.stdout.contains(&format!("\"frames\":{n_json}")),
        "every event accounted for"
    );
    row(
        &format!("sse-tui, whole path, {n_json} JSON events (1024 samples)"),
        n_json,
        &whole_json,
    );
}
