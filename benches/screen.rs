//! What the screen costs: bytes written to the terminal and CPU per second of running,
//! measured on the real binary in a 120×40 pseudo-terminal on the demo board, and the time
//! to build and diff one frame, measured in-process.
//! Run: `cargo bench --bench screen` (add `-- quick` for a short run).

// Shared with the tests; the bench uses only part of it.
// Shared with the tests and the other benches; each uses part of it.
#[allow(dead_code)]
#[path = "../tests/common/procfs.rs"]
mod procfs;
#[allow(dead_code)]
#[path = "../tests/common/pty.rs"]
mod pty;

use std::sync::Arc;
use std::time::{Duration, Instant};

use pty::PtyChild;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sse_tui::clock::Clock;
use sse_tui::frame::Decoded;
use sse_tui::pipeline::{Pipeline, PipelineConfig};
use sse_tui::source::demo::DemoBoard;
use sse_tui::ui::{App, Message, ViewOptions};
use sse_tui::wire::lines::LineOptions;
use sse_tui::wire::{ByteDecoder, Format};

fn measure_terminal(args: &[&str], keys: &[u8], seconds: f64) -> (f64, f64) {
    let mut tui = PtyChild::spawn(env!("CARGO_BIN_EXE_sse-tui"), args, 40, 120, &[]);
    assert!(tui.wait_for(Duration::from_secs(30), |s| {
        s.contents().contains("Latency relative")
    }));
    tui.send(keys);
    tui.drain_for(Duration::from_secs(2)); // settle: averages and the panel fill
    let pid = tui.child.id();
    let cpu0 = procfs::process_cpu(pid).unwrap();
    let t0 = Instant::now();
    let bytes = tui.drain_for(Duration::from_secs_f64(seconds));
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu = procfs::process_cpu(pid).unwrap() - cpu0;
    tui.send(b"q");
    tui.wait_exit(Duration::from_secs(10));
    (bytes as f64 / elapsed, cpu / elapsed * 100.0)
}

/// Microseconds to render the App and diff the frame at 120×40, with a fresh spectrum
/// from the demo board every frame (the worst case: every frame has something new).
fn frame_build_and_diff(frames: usize) -> f64 {
    let clock = Clock::new();
    let mut pipeline = Pipeline::new(PipelineConfig::default(), clock);
    let mut board = DemoBoard::new(3);
    let mut decoder = ByteDecoder::new(Format::Frame, LineOptions::default());
    let mut snapshots = Vec::new();
    for _ in 0..64 {
        let mut bytes = Vec::new();
        board.next_frame(&mut bytes);
        let mut items = Vec::new();
        decoder.push(&bytes, &mut items);
        for item in items {
            if let Decoded::Frame(frame) = item {
                pipeline.ingest(frame, clock.now());
            }
        }
        snapshots.push(Arc::new(pipeline.snapshot(std::time::Instant::now())));
    }
    let mut app = App::new(snapshots[0].clone(), ViewOptions::default());
    let now = Instant::now();
    app.update(
        Message::Resize {
            width: 120,
            height: 40,
        },
        now,
    );
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let start = Instant::now();
    for i in 0..frames {
        app.update(
            Message::Snapshot(snapshots[i % snapshots.len()].clone()),
            now,
        );
        terminal.draw(|f| f.render_widget(&app, f.area())).unwrap();
    }
    start.elapsed().as_secs_f64() / frames as f64 * 1e6
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let seconds = if quick { 5.0 } else { 20.0 };
    println!(
        "## the screen on the demo board, 120×40 pseudo-terminal, {seconds} s after 2 s of settling\n"
    );
    println!("| settings | bytes/s to the terminal | CPU, % of one core |");
    println!("|---|---:|---:|");
    for (label, args, keys) in [
        (
            "defaults (30 fps, averaging and peak hold on)",
            &[][..],
            &b""[..],
        ),
        ("peak hold off (`p`)", &[], b"p"),
        ("averaging off (`a`)", &[], b"a"),
        ("--fps 60", &["--fps", "60"], b""),
        ("--fps 10", &["--fps", "10"], b""),
    ] {
        let (bytes, cpu) = measure_terminal(args, keys, seconds);
        println!("| {label} | {:.0} | {cpu:.1} |", bytes);
    }
    let frames = if quick { 300 } else { 2000 };
    println!(
        "\nbuild and diff one 120×40 frame (render `&App` + ratatui's diff, in-process): {:.0} µs",
        frame_build_and_diff(frames)
    );
}
