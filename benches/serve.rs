//! Fan-out at scale: N watchers of a 100 frames/s `frame` feed, `sse-tui serve` beside npm
//! `better-sse` broadcasting the same events, with one watcher simulator (one process, one
//! thread, many sockets) for both.
//!
//! For each run: the server starts; N watchers connect and subscribe; the feed runs for about
//! 10 s. Measured: frames delivered to every watcher (every id from the first one all watchers
//! share to the last, at every watcher), delivery skew (per frame, the latest watcher's arrival
//! minus the earliest; p99 over frames), the server's CPU (user + system over the run, from
//! /proc) and resident memory at the end.
//! Run: `cargo bench --bench serve` (add `-- quick` for fewer sizes).

// Shared with the tests and the other benches; each uses part of it.
#[allow(dead_code)]
#[path = "../tests/common/peers.rs"]
mod peers;
#[allow(dead_code)]
#[path = "../tests/common/procfs.rs"]
mod procfs;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use sse_tui::frame::{Decoded, Levels};
use sse_tui::source::demo::DemoBoard;
use sse_tui::wire::binary;
use sse_tui::wire::cobs_stream::CobsFrameReader;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const RATE: f64 = 100.0;
const FRAMES: usize = 1100;

struct Feed {
    recording: std::path::PathBuf,
    payloads: std::path::PathBuf,
}

/// The same demo frames as a recording (for `serve --replay`) and as base64 payloads (for
/// the better-sse server), the latter re-encoded as `serve` would publish them.
fn feed(dir: &std::path::Path) -> Feed {
    let mut board = DemoBoard::new(11);
    let mut stream = Vec::new();
    for _ in 0..FRAMES {
        board.next_frame(&mut stream);
    }
    let recording = dir.join("demo.bin");
    std::fs::write(&recording, &stream).unwrap();
    let mut reader = CobsFrameReader::new(Levels::default());
    let mut items = Vec::new();
    reader.push(&stream, &mut items);
    let mut payloads = String::new();
    for item in items {
        let Decoded::Frame(frame) = item else {
            panic!()
        };
        let mut bytes = Vec::new();
        binary::encode_frame(&frame, &mut bytes);
        payloads.push_str(&base64::engine::general_purpose::STANDARD.encode(&bytes));
        payloads.push('\n');
    }
    let payloads_path = dir.join("payloads.txt");
    std::fs::write(&payloads_path, payloads).unwrap();
    Feed {
        recording,
        payloads: payloads_path,
    }
}

fn cpu_and_rss(pid: u32) -> (f64, f64) {
    (
        procfs::process_cpu(pid).unwrap(),
        procfs::memory_mb(pid, "VmRSS").unwrap(),
    )
}

struct Server {
    child: Child,
    addr: String,
    /// better-sse waits for a word on stdin before it broadcasts.
    cue: bool,
}

fn start_ours(feed: &Feed) -> Server {
    let speed = RATE * 1024.0 / 48_000.0;
    let mut child = Command::new(env!("CARGO_BIN_EXE_sse-tui"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--max-clients",
            "20000",
            "--replay",
        ])
        .arg(&feed.recording)
        .args(["--speed", &speed.to_string(), "--report-every", "60"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    Server {
        child,
        addr,
        cue: false,
    }
}

fn start_better_sse(feed: &Feed) -> Server {
    let peers = peers::ensure();
    let mut child = Command::new("node")
        .arg(peers.join("better_sse_server.mjs"))
        .arg(&feed.payloads)
        .arg(RATE.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().strip_prefix("listening ").unwrap().to_owned();
    Server {
        child,
        addr: format!("127.0.0.1:{port}"),
        cue: true,
    }
}

/// One watcher: the ids it received and when.
async fn watch(addr: String, path: &'static str, until: Instant) -> Vec<(u32, Instant)> {
    let mut seen = Vec::with_capacity(FRAMES);
    let Ok(mut socket) = tokio::net::TcpStream::connect(&addr).await else {
        return seen;
    };
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n");
    if socket.write_all(request.as_bytes()).await.is_err() {
        return seen;
    }
    let mut buf = vec![0u8; 64 * 1024];
    // Only the `id:` lines are looked at (a vectorised search): the simulator must not be the
    // bottleneck. An id line split across two reads is completed from the carried tail.
    let finder = memchr::memmem::Finder::new(b"\nid:");
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let read = tokio::time::timeout_at(until.into(), socket.read(&mut buf)).await;
        let n = match read {
            Ok(Ok(n)) if n > 0 => n,
            _ => return seen,
        };
        let now = Instant::now();
        carry.extend_from_slice(&buf[..n]);
        let mut consumed = carry.len().saturating_sub(16);
        for at in finder.find_iter(&carry) {
            let rest = &carry[at + 4..];
            let Some(end) = memchr::memchr(b'\n', rest) else {
                consumed = at;
                break;
            };
            // A status or lagged event repeats the last id: one arrival per id.
            if let Some(id) = std::str::from_utf8(&rest[..end])
                .ok()
                .and_then(|s| s.trim().parse::<u32>().ok())
                && seen.last().is_none_or(|(last, _)| *last != id)
            {
                seen.push((id, now));
            }
        }
        carry.drain(..consumed);
    }
}

struct Outcome {
    delivered: f64,
    events: usize,
    events_per_s: f64,
    skew_p99_ms: f64,
    cpu_percent: f64,
    rss_mb: f64,
    simulator_cpu: f64,
}

fn run(mut server: Server, watchers: usize) -> Outcome {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pid = server.child.id();
    let until = Instant::now() + Duration::from_secs(14);
    let results = runtime.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..watchers {
            tasks.push(tokio::spawn(watch(server.addr.clone(), "/events", until)));
        }
        // Everyone subscribed (connections are served in order; a short grace for the last).
        tokio::time::sleep(Duration::from_millis(300 + watchers as u64 / 4)).await;
        let cpu0 = cpu_and_rss(pid).0;
        let me0 = cpu_and_rss(std::process::id()).0;
        let t0 = Instant::now();
        if server.cue {
            server
                .child
                .stdin
                .as_mut()
                .unwrap()
                .write_all(b"go\n")
                .unwrap();
        }
        // Sampled while the feed still runs (a replay ends, and `serve` with it).
        tokio::time::sleep(Duration::from_secs(8)).await;
        let (cpu1, rss) = cpu_and_rss(pid);
        let cpu = (cpu1 - cpu0) / t0.elapsed().as_secs_f64() * 100.0;
        let simulator =
            (cpu_and_rss(std::process::id()).0 - me0) / t0.elapsed().as_secs_f64() * 100.0;
        let mut all = Vec::new();
        for task in tasks {
            all.push(task.await.unwrap());
        }
        (all, cpu, rss, simulator)
    });
    let _ = server.child.kill();
    let _ = server.child.wait();
    let (all, cpu_percent, rss_mb, simulator_cpu) = results;
    // The frames every watcher could have had: from the latest first id to the last id sent.
    let first = all
        .iter()
        .filter_map(|w| w.first().map(|(id, _)| *id))
        .max()
        .unwrap_or(0);
    let last = all
        .iter()
        .filter_map(|w| w.last().map(|(id, _)| *id))
        .max()
        .unwrap_or(0);
    let span = (last.saturating_sub(first) + 1) as usize;
    let mut arrivals: Vec<Vec<Instant>> = vec![Vec::new(); span];
    let mut delivered = 0usize;
    for w in &all {
        for (id, at) in w {
            if (first..=last).contains(id) {
                arrivals[(id - first) as usize].push(*at);
                delivered += 1;
            }
        }
    }
    let mut skews: Vec<f64> = arrivals
        .iter()
        .filter(|a| a.len() > 1)
        .map(|a| {
            let (lo, hi) = a
                .iter()
                .fold((a[0], a[0]), |(lo, hi), t| (lo.min(*t), hi.max(*t)));
            (hi - lo).as_secs_f64() * 1000.0
        })
        .collect();
    skews.sort_by(f64::total_cmp);
    let p99 = skews
        .get(((skews.len() as f64 * 0.99) as usize).min(skews.len().saturating_sub(1)))
        .copied()
        .unwrap_or(f64::NAN);
    let duration = arrivals
        .iter()
        .filter_map(|a| a.iter().min())
        .fold(None::<(Instant, Instant)>, |acc, t| {
            Some(acc.map_or((*t, *t), |(lo, hi)| (lo.min(*t), hi.max(*t))))
        })
        .map_or(1.0, |(lo, hi)| (hi - lo).as_secs_f64().max(1e-3));
    Outcome {
        delivered: delivered as f64 / (span * watchers) as f64 * 100.0,
        events: span,
        events_per_s: span as f64 / duration,
        skew_p99_ms: p99,
        cpu_percent,
        rss_mb,
        simulator_cpu,
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let dir = tempfile::tempdir().unwrap();
    let feed = feed(dir.path());
    println!("## fan-out of a {RATE} frames/s `frame` feed (about 2.8 KB an event)\n");
    println!(
        "| server | watchers | frames | delivered to every watcher | events/s | skew p99 | server CPU | server memory | simulator CPU |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let ours: &[usize] = if quick {
        &[1000]
    } else {
        &[500, 1000, 2000, 4000]
    };
    let theirs: &[usize] = if quick { &[1000] } else { &[500, 1000] };
    let print = |name: &str, n: usize, o: Outcome| {
        println!(
            "| {name} | {n} | {} | {:.1} % | {:.0} | {:.1} ms | {:.0} % | {:.0} MB ({:.1} KB per watcher) | {:.0} % |",
            o.events,
            o.delivered,
            o.events_per_s,
            o.skew_p99_ms,
            o.cpu_percent,
            o.rss_mb,
            o.rss_mb * 1024.0 / n as f64,
            o.simulator_cpu
        );
    };
    for &n in ours {
        let o = run(start_ours(&feed), n);
        print("sse-tui serve", n, o);
    }
    for &n in theirs {
        let o = run(start_better_sse(&feed), n);
        print("better-sse 0.16.1 (Node 20)", n, o);
    }
}
