//! Fan-out at scale: N watchers of a 100 frames/s `frame` feed, `sse-tui serve` beside npm
//! `better-sse` broadcasting the same events, and beside the hub of SPEC §10 (`serve
//! --publish` into nchan node A, the watchers on node B, the nodes sharing Redis), with one
//! watcher simulator (one process, one thread, many sockets) for all.
//!
//! For each run: the servers start; N watchers connect and subscribe; the feed runs for about
//! 10 s. Measured: frames delivered to every watcher (every frame from the first one all
//! watchers share to the last, at every watcher), delivery skew (per frame, the latest
//! watcher's arrival minus the earliest; p99 over frames), end-to-end latency (below), the CPU
//! of every process (user + system over the run, from /proc) and the server's resident memory
//! at the end.
//!
//! Latency: one more watcher, the reference, subscribes to the origin's own stream (the
//! server itself; `serve` when the watchers are on the hub). The frames leave the origin on a
//! timer, frame k at about T0 + k/R; T0 and R are fitted to the lower envelope of the
//! reference's arrivals (the earliest arrival in the first and the last tenth of the run), and a
//! watcher's latency for frame k is its arrival minus that schedule. It is what a watcher waits
//! beyond the quickest delivery the origin ever made, queueing in every hop included.
//! Run: `cargo bench --bench serve` (add `-- quick` for fewer sizes, `-- quick peers` for ours and
//! better-sse at 1000 only, `watchers=N` for another count); the hub needs nginx,
//! libnginx-mod-nchan and redis-server (Debian) and is left out, said so, without them.

// Shared with the tests and the other benches; each uses part of it (the module allows that).
#[path = "../tests/common/mod.rs"]
mod common;

use common::{ChildGuard, nchan, peers, procfs};

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

/// What one contestant runs and where its watchers go.
struct Server {
    /// The feed's origin: `serve` or better-sse.
    child: Child,
    /// Where the reference watcher subscribes (the origin's own stream).
    origin: Endpoint,
    /// Where the N watchers subscribe.
    watched: Endpoint,
    /// better-sse waits for a word on stdin before it broadcasts.
    cue: bool,
    /// Every other process of the contestant, by name and pid, for its CPU (the hub's nodes
    /// and Redis).
    helpers: Vec<(&'static str, u32)>,
    /// Kept until the run ends: the hub's processes and their directory.
    _hub: Option<Hub>,
}

#[derive(Clone)]
struct Endpoint {
    addr: String,
    path: String,
    /// How a frame's sequence number is read from the stream.
    seq: SeqFrom,
}

#[derive(Clone, Copy)]
enum SeqFrom {
    /// The event's `id:` line (the origin puts the frame's seq there).
    IdLine,
    /// The frame's own header in the event's base64 `data:` (nchan's ids are its own).
    FrameData,
}

fn endpoint(addr: &str, path: &str, seq: SeqFrom) -> Endpoint {
    Endpoint {
        addr: addr.to_owned(),
        path: path.to_owned(),
        seq,
    }
}

/// `serve --replay` of the feed at 100 frames/s, with extra arguments; its address.
fn spawn_serve(feed: &Feed, extra: &[&str]) -> (Child, String) {
    let speed = RATE * 1024.0 / 48_000.0;
    // `-- bin=PATH`: another build of sse-tui (an earlier commit's, to compare).
    let bin = std::env::args()
        .find_map(|a| a.strip_prefix("bin=").map(str::to_owned))
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_sse-tui").to_owned());
    common::spawn_served(
        Command::new(bin)
            .args([
                "serve",
                "--no-config",
                "--listen",
                "127.0.0.1:0",
                "--max-clients",
                "20000",
                "--replay",
            ])
            .arg(&feed.recording)
            .args(["--speed", &speed.to_string(), "--report-every", "60"])
            .args(extra),
    )
}

fn start_ours(feed: &Feed) -> Server {
    let (child, addr) = spawn_serve(feed, &[]);
    let origin = endpoint(&addr, "/events", SeqFrom::IdLine);
    Server {
        child,
        watched: origin.clone(),
        origin,
        cue: false,
        helpers: Vec::new(),
        _hub: None,
    }
}

/// Two nchan nodes on one Redis, from the shipped template.
struct Hub {
    _nodes: [nchan::Node; 2],
    _redis: ChildGuard,
    _dir: tempfile::TempDir,
}

fn hub_installed() -> bool {
    let found = |program: &str| {
        Command::new(program)
            .arg("-v")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    };
    found("nginx") && found("redis-server") && std::path::Path::new(nchan::NCHAN).exists()
}

fn start_hub_route(feed: &Feed) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let (redis, redis_port) = nchan::redis(dir.path());
    let a = nchan::Node::configure(dir.path(), "a", redis_port);
    let b = nchan::Node::configure(dir.path(), "b", redis_port);
    let (child, addr) = spawn_serve(feed, &["--publish", &a.url("/pub?id=bench")]);
    let b_addr = format!("127.0.0.1:{}", b.port);
    let helpers = vec![
        ("nginx A", a.pid().unwrap()),
        ("nginx B", b.pid().unwrap()),
        ("redis", redis.0.id()),
    ];
    Server {
        child,
        origin: endpoint(&addr, "/events", SeqFrom::IdLine),
        watched: endpoint(&b_addr, "/sub?id=bench", SeqFrom::FrameData),
        cue: false,
        helpers,
        _hub: Some(Hub {
            _nodes: [a, b],
            _redis: redis,
            _dir: dir,
        }),
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
    let origin = endpoint(&format!("127.0.0.1:{port}"), "/events", SeqFrom::IdLine);
    Server {
        child,
        watched: origin.clone(),
        origin,
        cue: true,
        helpers: Vec::new(),
        _hub: None,
    }
}

/// One watcher: the frames (by seq) it received and when.
async fn watch(to: Endpoint, until: Instant) -> Vec<(u32, Instant)> {
    let mut seen = Vec::with_capacity(FRAMES);
    let Ok(mut socket) = tokio::net::TcpStream::connect(&to.addr).await else {
        return seen;
    };
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n",
        to.path, to.addr
    );
    if socket.write_all(request.as_bytes()).await.is_err() {
        return seen;
    }
    let mut buf = vec![0u8; 64 * 1024];
    // Only the `id:` (or `data:`) lines are looked at, with a vectorised search: the simulator
    // must not be the bottleneck. A line split across two reads is completed from the tail.
    let needle: &[u8] = match to.seq {
        SeqFrom::IdLine => b"\nid:",
        SeqFrom::FrameData => b"\ndata:",
    };
    let finder = memchr::memmem::Finder::new(needle);
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let read = tokio::time::timeout_at(until.into(), socket.read(&mut buf)).await;
        let n = match read {
            Ok(Ok(n)) if n > 0 => n,
            _ => return seen,
        };
        let now = Instant::now();
        carry.extend_from_slice(&buf[..n]);
        let mut consumed = carry.len().saturating_sub(32);
        for at in finder.find_iter(&carry) {
            let rest = &carry[at + needle.len()..];
            let Some(end) = memchr::memchr(b'\n', rest) else {
                consumed = at;
                break;
            };
            let seq = match to.seq {
                SeqFrom::IdLine => std::str::from_utf8(&rest[..end])
                    .ok()
                    .and_then(|s| s.trim().parse::<u32>().ok()),
                SeqFrom::FrameData => seq_from_frame_data(&rest[..end]),
            };
            // A status or lagged event repeats the last id: one arrival per frame.
            if let Some(seq) = seq
                && seen.last().is_none_or(|(last, _)| *last != seq)
            {
                seen.push((seq, now));
            }
        }
        carry.drain(..consumed);
    }
}

/// The seq of a `frame` event's data (base64 of a SPEC §1 frame); `None` for other events.
/// Only the first 16 characters are decoded: the 12 bytes up to the end of seq.
fn seq_from_frame_data(data: &[u8]) -> Option<u32> {
    let head = data.trim_ascii_start().get(..16)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(head)
        .ok()?;
    (bytes[0] == 1).then(|| u32::from_le_bytes(bytes[8..12].try_into().unwrap()))
}

struct Outcome {
    delivered: f64,
    events: usize,
    events_per_s: f64,
    skew_p99_ms: f64,
    latency_p50_ms: f64,
    latency_p99_ms: f64,
    server_cpu: f64,
    /// Of which in the kernel (its system time: the sends to every socket).
    server_kernel_cpu: f64,
    rss_mb: f64,
    /// Every other process: name, CPU %.
    helpers_cpu: Vec<(&'static str, f64)>,
    simulator_cpu: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(f64::NAN)
}

/// The origin's send schedule `(t0, period)` from the reference watcher's arrivals: the
/// earliest arrival (less k periods) in the first and in the last tenth of the run.
fn schedule(reference: &[(u32, Instant)]) -> Option<(Instant, u32, f64)> {
    let &(k0, t0) = reference.first()?;
    let offsets: Vec<(f64, f64)> = reference
        .iter()
        .map(|(k, t)| (k.wrapping_sub(k0) as f64, (*t - t0).as_secs_f64()))
        .collect();
    let tenth = (offsets.len() / 10).max(1);
    let lowest = |part: &[(f64, f64)]| {
        part.iter()
            .map(|(k, t)| (k, t - k / RATE))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(k, low)| (*k, low + k / RATE))
    };
    let (ka, ta) = lowest(&offsets[..tenth])?;
    let (kb, tb) = lowest(&offsets[offsets.len() - tenth..])?;
    let period = if kb > ka {
        (tb - ta) / (kb - ka)
    } else {
        1.0 / RATE
    };
    // t0 + (k - k0) × period passes through (ka, ta).
    let start = ta - ka * period;
    let t0 = if start >= 0.0 {
        t0 + Duration::from_secs_f64(start)
    } else {
        t0 - Duration::from_secs_f64(-start)
    };
    Some((t0, k0, period))
}

fn run(mut server: Server, watchers: usize) -> Outcome {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pid = server.child.id();
    let cpu = |pid: u32| procfs::process_cpu(pid).unwrap();
    let until = Instant::now() + Duration::from_secs(14);
    let results = runtime.block_on(async {
        let reference = tokio::spawn(watch(server.origin.clone(), until));
        let mut tasks = Vec::new();
        for _ in 0..watchers {
            tasks.push(tokio::spawn(watch(server.watched.clone(), until)));
        }
        // Everyone subscribed (connections are served in order; a short grace for the last).
        tokio::time::sleep(Duration::from_millis(300 + watchers as u64 / 4)).await;
        let pids: Vec<u32> = std::iter::once(pid)
            .chain(server.helpers.iter().map(|(_, pid)| *pid))
            .chain(std::iter::once(std::process::id()))
            .collect();
        let before: Vec<f64> = pids.iter().map(|pid| cpu(*pid)).collect();
        let kernel_before = procfs::process_kernel_cpu(pid).unwrap();
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
        let seconds = t0.elapsed().as_secs_f64();
        let used: Vec<f64> = pids
            .iter()
            .zip(&before)
            .map(|(pid, before)| (cpu(*pid) - before) / seconds * 100.0)
            .collect();
        let kernel = (procfs::process_kernel_cpu(pid).unwrap() - kernel_before) / seconds * 100.0;
        let rss = procfs::memory_mb(pid, "VmRSS").unwrap();
        let mut all = Vec::new();
        for task in tasks {
            all.push(task.await.unwrap());
        }
        (all, reference.await.unwrap(), used, kernel, rss)
    });
    let _ = server.child.kill();
    let _ = server.child.wait();
    let (all, reference, used, server_kernel_cpu, rss_mb) = results;
    // The frames every watcher could have had: from the latest first seq to the last one.
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
    let mut latencies: Vec<f64> = Vec::with_capacity(delivered);
    if let Some((t0, k0, period)) = schedule(&reference) {
        for (i, at) in arrivals.iter().enumerate() {
            let k = (first + i as u32).wrapping_sub(k0) as f64;
            let due = t0 + Duration::from_secs_f64((k * period).max(0.0));
            latencies.extend(at.iter().map(|t| {
                let late = t.saturating_duration_since(due).as_secs_f64();
                let early = due.saturating_duration_since(*t).as_secs_f64();
                (late - early) * 1000.0
            }));
        }
    }
    latencies.sort_by(f64::total_cmp);
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
        skew_p99_ms: percentile(&skews, 0.99),
        latency_p50_ms: percentile(&latencies, 0.50),
        latency_p99_ms: percentile(&latencies, 0.99),
        server_cpu: used[0],
        server_kernel_cpu,
        rss_mb,
        helpers_cpu: server
            .helpers
            .iter()
            .map(|(name, _)| *name)
            .zip(used[1..used.len() - 1].iter().copied())
            .collect(),
        simulator_cpu: used[used.len() - 1],
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let dir = tempfile::tempdir().unwrap();
    let feed = feed(dir.path());
    println!("## fan-out of a {RATE} frames/s `frame` feed (about 2.8 KB an event)\n");
    println!(
        "| server | watchers | frames | delivered to every watcher | events/s | skew p99 | latency p50 | latency p99 | server CPU (in the kernel) | server memory | other processes' CPU | simulator CPU |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|");
    let ours: &[usize] = if quick {
        &[1000]
    } else {
        &[500, 1000, 2000, 4000]
    };
    let theirs: &[usize] = if quick { &[1000] } else { &[500, 1000] };
    // `-- quick peers`: ours and better-sse only (not the hub); `watchers=N`: at N only.
    let peers_only = std::env::args().any(|a| a == "peers");
    let only: Vec<usize> = std::env::args()
        .filter_map(|a| a.strip_prefix("watchers=")?.parse().ok())
        .collect();
    let (ours, theirs) = if only.is_empty() {
        (ours, theirs)
    } else {
        (&only[..], &only[..])
    };
    let hub: &[usize] = if quick { &[1000] } else { &[250, 500, 1000] };
    let print = |name: &str, n: usize, o: Outcome| {
        let others = if o.helpers_cpu.is_empty() {
            "–".to_owned()
        } else {
            o.helpers_cpu
                .iter()
                .map(|(name, cpu)| format!("{name} {cpu:.0} %"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!(
            "| {name} | {n} | {} | {:.1} % | {:.0} | {:.1} ms | {:.1} ms | {:.1} ms | {:.0} % ({:.0} %) | {:.0} MB ({:.1} KB per watcher) | {others} | {:.0} % |",
            o.events,
            o.delivered,
            o.events_per_s,
            o.skew_p99_ms,
            o.latency_p50_ms,
            o.latency_p99_ms,
            o.server_cpu,
            o.server_kernel_cpu,
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
    if peers_only {
        return;
    }
    if hub_installed() {
        for &n in hub {
            let o = run(start_hub_route(&feed), n);
            print("serve --publish → nchan A → Redis → nchan B", n, o);
        }
    } else {
        println!(
            "\n(the hub route needs nginx, libnginx-mod-nchan and redis-server: not installed, not run)"
        );
    }
}
