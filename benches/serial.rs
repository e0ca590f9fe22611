//! The serial reader through a real pseudo-terminal: binary frames and text lines written
//! as fast as the pseudo-terminal takes them, every one accounted for.
//! Run: `cargo bench --bench serial` (add `-- quick` for a short run).

#[allow(dead_code)]
#[path = "../tests/common/board.rs"]
mod board;
// Shared with the tests and the other benches; each uses part of it.
#[allow(dead_code)]
#[path = "../tests/common/procfs.rs"]
mod procfs;

use std::time::Instant;

use board::Board;
use sse_tui::clock::Clock;
use sse_tui::link::LinkState;
use sse_tui::pipeline::{Pipeline, PipelineConfig};
use sse_tui::source::demo::DemoBoard;
use sse_tui::source::serial::{self, SerialOptions};
use sse_tui::vocabulary::SourceEvent;
use sse_tui::wire::lines::LineOptions;
use sse_tui::wire::{ByteDecoder, Format};
use tokio::sync::mpsc;

struct Run {
    mb_per_s: f64,
    reader_cpu_s_per_mb: f64,
    frames: u64,
    bad: u64,
}

/// Writes `stream` through a pty to the serial source and runs the pipeline on what arrives
/// until `expected` frames and `expected_bad` bad ones are accounted for.
fn run(stream: Vec<u8>, format: Format, rate: Option<f64>, expected: u64) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ttyACM0");
    let mut board = Board::plug_in(&link);
    let (tx, mut rx) = mpsc::channel(256);
    let options = SerialOptions::new(link.to_str().unwrap(), 115_200);
    let line_options = LineOptions::default();
    serial::spawn(
        options,
        move || ByteDecoder::new(format, line_options),
        tx,
        Clock::new(),
    );
    let clock = Clock::new();
    let config = PipelineConfig {
        rate,
        ..PipelineConfig::default()
    };
    let mut pipeline = Pipeline::new(config, clock);
    loop {
        let event = rx.blocking_recv().expect("source alive");
        let connected = matches!(event, SourceEvent::Status(LinkState::Connected));
        pipeline.handle(event);
        if connected {
            break;
        }
    }
    let bytes = stream.len();
    let cpu0 = procfs::thread_cpu("serial");
    let start = Instant::now();
    let writer = std::thread::spawn(move || {
        for chunk in stream.chunks(16 * 1024) {
            board.write(chunk).unwrap();
        }
        board // keep the pty open until everything is read
    });
    loop {
        let counters = pipeline.snapshot(std::time::Instant::now()).counters;
        if counters.frames >= expected {
            break;
        }
        match rx.blocking_recv() {
            Some(event) => pipeline.handle(event),
            None => panic!("source ended"),
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = procfs::thread_cpu("serial") - cpu0;
    let _board = writer.join().unwrap();
    let counters = pipeline.snapshot(std::time::Instant::now()).counters;
    let mb = bytes as f64 / 1e6;
    Run {
        mb_per_s: mb / elapsed,
        reader_cpu_s_per_mb: cpu / mb,
        frames: counters.frames,
        bad: counters.bad_frames,
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let frames = if quick { 20_000 } else { 100_000 };

    let mut board = DemoBoard::new(9);
    let mut stream = Vec::new();
    for _ in 0..frames {
        board.next_frame(&mut stream);
    }
    let size = stream.len() as f64 / 1e6;
    let binary = run(stream, Format::Auto, None, frames);
    assert_eq!(
        binary.frames + binary.bad,
        frames,
        "every frame accounted for"
    );

    // Text: one instant per line, as a serial plotter sketch prints (12-bit values).
    let instants = if quick { 400_000 } else { 2_000_000 };
    let mut text = String::with_capacity(instants * 6);
    for i in 0..instants {
        let v = 2048.0 + 1500.0 * (i as f64 * 0.1309).sin();
        text.push_str(&format!("{}\n", v.round()));
    }
    let text_mb = text.len() as f64 / 1e6;
    let expected_blocks = instants.div_ceil(sse_tui::wire::lines::COLUMN_BLOCK) as u64;
    let lines = run(
        text.into_bytes(),
        Format::Auto,
        Some(48_000.0),
        expected_blocks,
    );

    println!("## serial reader through a pseudo-terminal (reader thread CPU per MB)\n");
    println!("| input | size | throughput | reader CPU | frames | bad |");
    println!("|---|---:|---:|---:|---:|---:|");
    println!(
        "| {frames} binary frames (1024 u16 samples, COBS) | {size:.0} MB | {:.0} MB/s | {:.1} ms/MB | {} | {} |",
        binary.mb_per_s,
        binary.reader_cpu_s_per_mb * 1e3,
        binary.frames,
        binary.bad
    );
    println!(
        "| {instants} text lines (one value each) | {text_mb:.1} MB | {:.1} MB/s | {:.1} ms/MB | {} blocks of 64 | {} |",
        lines.mb_per_s,
        lines.reader_cpu_s_per_mb * 1e3,
        lines.frames,
        lines.bad
    );
    println!(
        "\nA 2 Mbaud UART (8N1) carries 0.2 MB/s; a saturated USB high-speed link about 40 MB/s."
    );
}
