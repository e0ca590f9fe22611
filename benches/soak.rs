//! The soak (issue 23): `serve --demo` with 200 SSE watchers, 20 SSH sessions and a recording
//! for an hour, the server's resident memory and CPU sampled each minute: flat, or what grows.
//!
//! The watchers are plain HTTP/1.1 connections on `/events` in this process (a thread each,
//! every byte read and counted, a watcher that is cut reconnects and is counted); the SSH
//! sessions are OpenSSH's `ssh -t` in 120×40 pseudo-terminals, their screens read and counted;
//! the recording is `serve --record` on a temporary file. Each minute prints one Markdown row
//! as it is measured (so a run cut short still says what it saw): the server's RSS, its CPU
//! over the minute (user + system, from /proc), the recording's size, the bytes the watchers
//! and the sessions received, and the reconnects.
//!
//! Run: `cargo bench --bench soak` (`-- minutes=N`, `watchers=N`, `sessions=N` to change the
//! defaults of 60, 200 and 20). Needs `ssh` and `ssh-keygen` (Debian openssh-client).

// Shared with the tests and the other benches; each uses part of it (the module allows that).
#[path = "../tests/common/mod.rs"]
mod common;

use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::pty::PtyChild;
use common::{ChildGuard, procfs};

const BIN: &str = env!("CARGO_BIN_EXE_sse-tui");

fn setting(name: &str, default: u64) -> u64 {
    std::env::args()
        .find_map(|a| a.strip_prefix(&format!("{name}="))?.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let minutes = setting("minutes", 60);
    let watchers = setting("watchers", 200);
    let sessions = setting("sessions", 20);
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id");
    keygen(&key);
    std::fs::copy(
        dir.path().join("id.pub"),
        dir.path().join("authorized_keys"),
    )
    .unwrap();
    let recording = dir.path().join("soak.bin");

    let mut child = Command::new(BIN)
        .args(["serve", "--no-config", "--demo", "--listen", "127.0.0.1:0"])
        .args(["--ssh", "127.0.0.1:0", "--report-every", "1000"])
        .args(["--max-clients", &(watchers + 10).to_string()])
        .args(["--ssh-max-sessions", &(sessions + 5).to_string()])
        // They all log in at once: more than the default ten may be waiting to.
        .args(["--ssh-max-startups", &(sessions + 5).to_string()])
        .arg("--ssh-authorized-keys")
        .arg(dir.path().join("authorized_keys"))
        .arg("--ssh-host-key")
        .arg(dir.path().join("host_key"))
        .arg("--record")
        .arg(&recording)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sse-tui serve");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let http = common::served_address(&mut stderr);
    let (ssh_port, _) = common::ssh_address(&mut stderr);
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    let server = ChildGuard(child);
    let pid = server.0.id();

    let received = Arc::new(AtomicU64::new(0));
    let reconnects = Arc::new(AtomicU64::new(0));
    for _ in 0..watchers {
        let (http, received, reconnects) = (http.clone(), received.clone(), reconnects.clone());
        std::thread::spawn(move || watch(&http, &received, &reconnects));
    }
    let mut screens: Vec<PtyChild> = (0..sessions).map(|_| ssh_session(&key, ssh_port)).collect();

    println!(
        "## Soak: `serve --demo` with {watchers} SSE watchers, {sessions} SSH sessions (120×40) \
         and `--record`, {minutes} min\n"
    );
    println!(
        "| minute | RSS | CPU (% of a core) | recording | watchers, bytes/s | SSH, bytes/s per session | watcher reconnects | sessions up |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    let started = Instant::now();
    let mut cpu_before = procfs::process_cpu(pid).unwrap();
    let mut received_before = received.load(Ordering::Relaxed);
    let mut screen_bytes_before: usize = 0;
    let mut rows = Vec::new();
    for minute in 1..=minutes {
        let mark = started + Duration::from_secs(60 * minute);
        // Read every session's screen as it comes, until the minute is up.
        while Instant::now() < mark {
            for screen in &mut screens {
                screen.drain_for(Duration::from_millis(5));
            }
        }
        let cpu = procfs::process_cpu(pid).expect("the server is running");
        let rss = procfs::memory_mb(pid, "VmRSS").unwrap();
        let now_received = received.load(Ordering::Relaxed);
        let screen_bytes: usize = screens.iter().map(|s| s.bytes).sum();
        let mut up = 0;
        for screen in &mut screens {
            up += usize::from(screen.child.try_wait().unwrap().is_none());
        }
        let row = Row {
            rss,
            cpu: (cpu - cpu_before) / 60.0 * 100.0,
        };
        println!(
            "| {minute} | {:.1} MB | {:.1} % | {:.1} MB | {:.0} | {:.0} | {} | {up} |",
            row.rss,
            row.cpu,
            std::fs::metadata(&recording).map_or(0.0, |m| m.len() as f64 / 1e6),
            (now_received - received_before) as f64 / 60.0,
            (screen_bytes - screen_bytes_before) as f64 / 60.0 / sessions.max(1) as f64,
            reconnects.load(Ordering::Relaxed),
        );
        std::io::stdout().flush().unwrap();
        rows.push(row);
        (cpu_before, received_before, screen_bytes_before) = (cpu, now_received, screen_bytes);
    }
    if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
        let (low, high) = rows.iter().fold((f64::MAX, 0.0f64), |(lo, hi), r| {
            (lo.min(r.rss), hi.max(r.rss))
        });
        let mean_cpu = rows.iter().map(|r| r.cpu).sum::<f64>() / rows.len() as f64;
        println!(
            "\nRSS {:.1} MB after the first minute, {:.1} MB after the last ({:+.1} MB; lowest \
             {low:.1}, highest {high:.1}); CPU {mean_cpu:.1} % of a core on average.",
            first.rss,
            last.rss,
            last.rss - first.rss,
        );
    }
    drop(screens);
    drop(server);
}

struct Row {
    rss: f64,
    cpu: f64,
}

fn keygen(path: &Path) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .status()
        .expect("run ssh-keygen (openssh-client)");
    assert!(status.success());
}

fn ssh_session(key: &Path, port: u16) -> PtyChild {
    let mut args: Vec<String> = common::SSH_CLIENT_OPTIONS.map(String::from).into();
    args.extend(["-i".into(), key.display().to_string()]);
    args.extend(["-p".into(), port.to_string()]);
    args.extend(["-t".into(), "watcher@127.0.0.1".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    PtyChild::spawn("ssh", &args, 40, 120, &[])
}

/// One SSE watcher for the whole run: every byte of `/events` read and counted; a cut
/// connection is counted and made again.
fn watch(http: &str, received: &AtomicU64, reconnects: &AtomicU64) {
    let mut buffer = vec![0u8; 64 * 1024];
    let mut first = true;
    loop {
        if !first {
            reconnects.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(Duration::from_secs(1));
        }
        first = false;
        let Ok(mut stream) = TcpStream::connect(http) else {
            continue;
        };
        let request =
            format!("GET /events HTTP/1.1\r\nHost: {http}\r\nAccept: text/event-stream\r\n\r\n");
        if stream.write_all(request.as_bytes()).is_err() {
            continue;
        }
        while let Ok(n) = stream.read(&mut buffer) {
            if n == 0 {
                break;
            }
            received.fetch_add(n as u64, Ordering::Relaxed);
        }
    }
}
