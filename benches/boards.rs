//! Sixteen boards in one `serve` (SPEC §16): CPU and memory per board, beside one board in
//! the same run. Each board is a replay of the demo played in real time (its four channels at
//! 47 frames a second, noise of its own), so every board is as busy as the demo; `serve` runs
//! headless with its HTTP side up (a hub, the page's analysis and the metrics per board), and
//! with one page's worth of watchers: one `/analysis` stream of every board, as the wall page
//! opens. CPU is user + system from /proc over the run after 8 s of settling; memory the
//! resident set at the end. The runs alternate (1, 16, 1, 16) so the machine's noise falls
//! on both.
//! Run: `cargo bench --bench boards` (add `-- quick` for 4 s runs).

// Shared with the tests and the other benches; each uses part of it (the module allows that).
#[path = "../tests/common/mod.rs"]
mod common;
#[path = "demo_recording.rs"]
mod demo_recording;

use common::procfs;
use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// CPU (% of a core) and resident memory (MB) of `serve` with the boards of `recordings`,
/// and the bytes a second of one `/analysis` stream of them all.
fn serve_cost(recordings: &[std::path::PathBuf], seconds: f64) -> (f64, f64, f64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sse-tui"))
        .args([
            "serve",
            "--no-config",
            "--listen",
            "127.0.0.1:0",
            "--headless",
        ])
        .args(["--report-every", "1000"])
        .args(demo_recording::replay_args(recordings))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = common::served_address(&mut BufReader::new(child.stderr.take().unwrap()));
    // One page of the wall: every board's analysis on one stream.
    let mut page = TcpStream::connect(&addr).unwrap();
    write!(page, "GET /analysis HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    page.set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let mut read_for = |d: Duration| {
        let mut n = 0usize;
        let until = Instant::now() + d;
        let mut buf = [0u8; 65536];
        while Instant::now() < until {
            match page.read(&mut buf) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(_) => {}
            }
        }
        n
    };
    // Long enough for sixteen boards' rings (256 events each) to fill.
    read_for(Duration::from_secs(8));
    let pid = child.id();
    let cpu0 = procfs::process_cpu(pid).unwrap();
    let t0 = Instant::now();
    let bytes = read_for(Duration::from_secs_f64(seconds));
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu = (procfs::process_cpu(pid).unwrap() - cpu0) / elapsed * 100.0;
    let rss = procfs::memory_mb(pid, "VmRSS").unwrap();
    let _ = child.kill();
    let _ = child.wait();
    (cpu, rss, bytes as f64 / elapsed)
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let seconds = if quick { 4.0 } else { 10.0 };
    let dir = tempfile::tempdir().unwrap();
    let recordings = demo_recording::demo_recordings(dir.path(), 16, seconds + 20.0);
    println!("## sixteen replayed demo boards in one `serve`, beside one, {seconds} s a run\n");
    println!("| boards | CPU (% of a core) | RSS | per board | a page's /analysis of them all |");
    println!("|---:|---:|---:|---:|---:|");
    for boards in [1, 16, 1, 16] {
        let (cpu, rss, bytes) = serve_cost(&recordings[..boards], seconds);
        println!(
            "| {boards} | {cpu:.1} % | {rss:.1} MB | {:.2} %, {:.1} MB | {:.1} KB/s |",
            cpu / boards as f64,
            rss / boards as f64,
            bytes / 1000.0
        );
    }
}
