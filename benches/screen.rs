//! What the screen costs: bytes written to the terminal and CPU per second of running,
//! measured on the real binary in a 120×40 pseudo-terminal on the demo board, beside cava
//! (Debian's `cava`, the console visualizer) in a second 120×40 pseudo-terminal over the same
//! seconds, fed the same kind of signal through its `fifo` input; and the time to build and
//! diff one frame, measured in-process.
//! Run: `cargo bench --bench screen` (add `-- quick` for a short run, words to pick rows, and
//! `bin=PATH` to measure another build of sse-tui).

// Shared with the tests; the bench uses only part of it.
// Shared with the tests and the other benches; each uses part of it.
#[allow(dead_code)]
#[path = "../tests/common/board.rs"]
mod board;
#[path = "demo_recording.rs"]
mod demo_recording;
#[allow(dead_code)]
#[path = "../tests/common/procfs.rs"]
mod procfs;
#[allow(dead_code)]
#[path = "../tests/common/pty.rs"]
mod pty;

use std::sync::Arc;
use std::time::{Duration, Instant};

use pty::PtyChild;
use ratatui::layout::{Rect, Size};
use sse_tui::ansi::AnsiBackend;
use sse_tui::ansi::diff::Screen;
use sse_tui::clock::Clock;
use sse_tui::frame::Decoded;
use sse_tui::pipeline::{Pipeline, PipelineConfig};
use sse_tui::source::demo::DemoBoard;
use sse_tui::ui::{App, Message, ViewOptions};
use sse_tui::wire::lines::LineOptions;
use sse_tui::wire::{ByteDecoder, Format};

/// The sse-tui measured: this build's, or another build's given as `-- bin=PATH` (an earlier
/// commit's, to compare; cava runs beside either).
fn binary() -> String {
    std::env::args()
        .find_map(|a| a.strip_prefix("bin=").map(str::to_owned))
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_sse-tui").to_owned())
}

/// Bytes per second and % of a core of each program, over the same `seconds`.
struct Cost {
    ours: (f64, f64),
    cava: Option<(f64, f64)>,
}

/// sse-tui with `args` and `keys`, and cava beside it when it is installed, both read for the
/// same seconds after 2 s of settling.
fn measure_side_by_side(args: &[&str], keys: &[u8], seconds: f64) -> Cost {
    measure_when(args, keys, seconds, "Latency relative")
}

/// As [`measure_side_by_side`], once the screen shows `ready`.
fn measure_when(args: &[&str], keys: &[u8], seconds: f64, ready: &str) -> Cost {
    let mut tui = PtyChild::spawn(&binary(), args, 40, 120, &[]);
    assert!(tui.wait_for(Duration::from_secs(30), |s| {
        s.contents().contains(ready)
    }));
    tui.send(keys);
    let mut cava = cava::Cava::start();
    // Settle: averages and the panel fill, cava's smoothing and autosens find their level.
    let settle = Instant::now() + Duration::from_secs(2);
    while Instant::now() < settle {
        tui.drain_for(Duration::from_millis(20));
        if let Some(c) = &mut cava {
            c.pty.drain_for(Duration::from_millis(20));
        }
    }
    let (ours0, cava0) = (tui.bytes, cava.as_ref().map(|c| c.pty.bytes));
    let cpu0 = procfs::process_cpu(tui.child.id()).unwrap();
    let cava_cpu0 = cava
        .as_ref()
        .and_then(|c| procfs::process_cpu(c.pty.child.id()));
    let t0 = Instant::now();
    let end = t0 + Duration::from_secs_f64(seconds);
    while Instant::now() < end {
        tui.drain_for(Duration::from_millis(20));
        if let Some(c) = &mut cava {
            c.pty.drain_for(Duration::from_millis(20));
        }
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let ours = (
        (tui.bytes - ours0) as f64 / elapsed,
        (procfs::process_cpu(tui.child.id()).unwrap() - cpu0) / elapsed * 100.0,
    );
    let cava = cava.as_mut().and_then(|c| {
        let cpu = procfs::process_cpu(c.pty.child.id())? - cava_cpu0?;
        Some((
            (c.pty.bytes - cava0?) as f64 / elapsed,
            cpu / elapsed * 100.0,
        ))
    });
    tui.send(b"q");
    tui.wait_exit(Duration::from_secs(10));
    Cost { ours, cava }
}

/// The demo board's frames made by a thread of the bench and written, paced to 48 kHz, into a
/// pseudo-terminal that sse-tui reads as a serial port (`--serial`): as cava's samples are
/// made by the bench, so that neither program's figures include making its input.
mod fed {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    use sse_tui::source::demo::{DemoBoard, FRAME_SAMPLES, SAMPLE_RATE};

    use super::board::Board;

    pub struct Fed {
        pub port: std::path::PathBuf,
        stop: Arc<AtomicBool>,
        dir: std::path::PathBuf,
    }

    impl Fed {
        pub fn start() -> Self {
            let dir = std::env::temp_dir().join(format!("sse-tui-fed-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let port = dir.join("ttyBENCH");
            let mut board = Board::plug_in(&port);
            let stop = Arc::new(AtomicBool::new(false));
            let stopping = stop.clone();
            std::thread::spawn(move || {
                let mut demo = DemoBoard::new(3);
                let mut bytes = Vec::new();
                let start = Instant::now();
                let mut frames = 0u64;
                while !stopping.load(Ordering::SeqCst) {
                    bytes.clear();
                    demo.next_frame(&mut bytes);
                    if board.write(&bytes).is_err() {
                        return;
                    }
                    frames += 1;
                    let samples = frames * FRAME_SAMPLES as u64;
                    let due =
                        start + Duration::from_secs_f64(samples as f64 / f64::from(SAMPLE_RATE));
                    std::thread::sleep(due.saturating_duration_since(Instant::now()));
                }
            });
            Self { port, stop, dir }
        }
    }

    impl Drop for Fed {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::SeqCst);
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// cava in a pseudo-terminal of its own, reading a named pipe that a thread fills in real time
/// with what the demo board's channel 0 carries: 1 kHz at −6 dBFS, 7.35 kHz at −20 dBFS, a
/// sweep from 200 Hz to 18 kHz and back over 60 s at −30 dBFS, and noise; 16-bit, 48 kHz.
mod cava {
    use std::io::Write;
    use std::path::PathBuf;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};

    use super::pty::PtyChild;

    pub struct Cava {
        pub pty: PtyChild,
        stop: Arc<AtomicBool>,
        dir: PathBuf,
    }

    impl Cava {
        pub fn start() -> Option<Self> {
            let program = ["/usr/bin/cava", "/usr/local/bin/cava"]
                .into_iter()
                .find(|p| std::path::Path::new(p).exists())?;
            let dir = std::env::temp_dir().join(format!("sse-tui-cava-{}", std::process::id()));
            std::fs::create_dir_all(&dir).ok()?;
            let fifo = dir.join("fifo");
            let _ = std::fs::remove_file(&fifo);
            rustix::fs::mkfifoat(
                rustix::fs::CWD,
                &fifo,
                rustix::fs::Mode::from_raw_mode(0o600),
            )
            .ok()?;
            let config = dir.join("config");
            std::fs::write(
                &config,
                format!(
                    "[general]\nframerate = 30\n[input]\nmethod = fifo\nsource = {}\nsample_rate = 48000\nsample_bits = 16\n[output]\nmethod = ncurses\nchannels = mono\n",
                    fifo.display()
                ),
            )
            .ok()?;
            let stop = Arc::new(AtomicBool::new(false));
            let stopping = stop.clone();
            std::thread::spawn(move || feed(&fifo, &stopping));
            let pty = PtyChild::spawn(program, &["-p", config.to_str()?], 40, 120, &[]);
            Some(Self { pty, stop, dir })
        }
    }

    impl Drop for Cava {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::SeqCst);
            let _ = self.pty.child.kill();
            let _ = self.pty.child.wait();
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    /// Writes stereo 16-bit samples in blocks of 10 ms, paced to 48 kHz.
    fn feed(fifo: &std::path::Path, stop: &AtomicBool) {
        let Ok(mut out) = std::fs::OpenOptions::new().write(true).open(fifo) else {
            return;
        };
        let fs = 48_000.0;
        let mut rng = fastrand::Rng::with_seed(7);
        let start = Instant::now();
        let (mut n, mut sweep_phase) = (0u64, 0f64);
        let mut block = Vec::with_capacity(480 * 4);
        while !stop.load(Ordering::SeqCst) {
            block.clear();
            for _ in 0..480 {
                let t = n as f64 / fs;
                let cycle = (t / 60.0).fract();
                let position = 1.0 - (2.0 * cycle - 1.0).abs();
                sweep_phase += std::f64::consts::TAU * 200.0 * 90f64.powf(position) / fs;
                let x = 0.5 * (std::f64::consts::TAU * 1000.0 * t).sin()
                    + 0.1 * (std::f64::consts::TAU * 7350.0 * t).sin()
                    + 0.03 * sweep_phase.sin()
                    + 0.0005 * 3f64.sqrt() * (2.0 * rng.f64() - 1.0);
                let v = ((x * 32767.0).round() as i16).to_le_bytes();
                block.extend_from_slice(&[v[0], v[1], v[0], v[1]]);
                n += 1;
            }
            if out.write_all(&block).is_err() {
                return;
            }
            let due = start + Duration::from_secs_f64(n as f64 / fs);
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
        }
    }
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
    // What the terminal loop does: our screen's diff, and our backend writing the changes.
    let mut backend = AnsiBackend::new(std::io::sink(), Size::new(120, 40));
    let mut screen = Screen::new(Rect::new(0, 0, 120, 40));
    let start = Instant::now();
    for i in 0..frames {
        app.update(
            Message::Snapshot(snapshots[i % snapshots.len()].clone()),
            now,
        );
        let scroll = app.take_scroll(screen.area());
        screen.draw(&mut backend, &app, scroll).unwrap();
    }
    start.elapsed().as_secs_f64() / frames as f64 * 1e6
}

fn print_row(label: &str, cost: &Cost) {
    let (bytes, cpu) = cost.ours;
    match cost.cava {
        Some((cava_bytes, cava_cpu)) => println!(
            "| {label} | {bytes:.0} | {cava_bytes:.0} | {:.2} | {cpu:.1} | {cava_cpu:.1} | {:.2} |",
            bytes / cava_bytes,
            cpu / cava_cpu
        ),
        None => println!("| {label} | {bytes:.0} | (cava not installed) | | {cpu:.1} | | |"),
    }
}

/// The wall (SPEC §16) beside one board's spectrum view of the same kind of board, and beside
/// cava: boards are replays of the demo (each with noise of its own), played in real time.
fn wall_rows(seconds: f64) {
    let dir = tempfile::tempdir().unwrap();
    // Long enough for the wait, the settling and the measurement.
    let recordings = demo_recording::demo_recordings(dir.path(), 16, seconds + 40.0);
    let one = demo_recording::replay_args(&recordings[..1]);
    let sixteen = demo_recording::replay_args(&recordings);
    let four = demo_recording::replay_args(&recordings[..4]);
    let budget = ["--byte-budget".to_owned(), "4096".to_owned()];
    let rows: [(&str, Vec<String>, &str); 5] = [
        ("one replayed demo board, spectrum", one, "Latency"),
        ("wall of 4 replayed demo boards", four, "4 boards"),
        (
            "wall of 16 replayed demo boards",
            sixteen.clone(),
            "16 boards",
        ),
        (
            "over SSH: wall of 16 (--byte-budget 4096)",
            [sixteen.clone(), budget.to_vec()].concat(),
            "16 boards",
        ),
        (
            "over SSH: wall of 16, one board opened (Enter)",
            [sixteen, budget.to_vec()].concat(),
            "16 boards",
        ),
    ];
    for (label, args, ready) in rows {
        let keys: &[u8] = if label.contains("Enter") { b"\r" } else { b"" };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        print_row(label, &measure_when(&args, keys, seconds, ready));
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    // Any other word picks the rows whose label holds it (`-- waterfall`).
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "quick" && a != "--bench" && !a.starts_with("bin="))
        .collect();
    let seconds = if quick { 5.0 } else { 20.0 };
    println!(
        "## the screen on the demo board, 120×40 pseudo-terminal, {seconds} s after 2 s of settling\n"
    );
    println!(
        "| sse-tui | bytes/s | cava bytes/s (same seconds) | × cava | CPU % | cava CPU % | × cava |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (label, args, keys) in [
        (
            "spectrum, defaults (30 fps, averaging and peak hold on)",
            &[][..],
            &b""[..],
        ),
        ("spectrum, peak hold off (`p`)", &[], b"p"),
        ("spectrum, averaging off (`a`)", &[], b"a"),
        ("spectrum, --fps 10", &["--fps", "10"], b""),
        ("waterfall (4 spectra/line)", &["--view", "waterfall"], b""),
        (
            "waterfall, 16 spectra/line",
            &["--view", "waterfall", "--spectra-per-line", "16"],
            b"",
        ),
        ("scope", &["--view", "scope"], b""),
        ("channels", &["--view", "channels"], b""),
        // What a terminal over SSH gets by default (`SSH_CONNECTION` set, or a `serve --ssh`
        // session): the byte budget of 4096 bytes a second.
        (
            "over SSH: spectrum, defaults",
            &["--byte-budget", "4096"],
            b"",
        ),
        (
            "over SSH: spectrum, averaging off (`a`)",
            &["--byte-budget", "4096"],
            b"a",
        ),
        (
            "over SSH: waterfall (4 spectra/line)",
            &["--view", "waterfall", "--byte-budget", "4096"],
            b"",
        ),
        (
            "over SSH: scope",
            &["--view", "scope", "--byte-budget", "4096"],
            b"",
        ),
        (
            "over SSH: channels",
            &["--view", "channels", "--byte-budget", "4096"],
            b"",
        ),
    ] {
        if !only.is_empty() && !only.iter().any(|word| label.contains(word.as_str())) {
            continue;
        }
        print_row(label, &measure_side_by_side(args, keys, seconds));
    }
    let fed_label = "spectrum, defaults, the demo's frames made by the bench (as cava's input is)";
    if only.is_empty() || only.iter().any(|word| fed_label.contains(word.as_str())) {
        let feed = fed::Fed::start();
        let port = feed.port.to_str().unwrap().to_owned();
        let args = ["--no-config", "--serial", port.as_str()];
        print_row(fed_label, &measure_when(&args, b"", seconds, "Latency"));
    }
    if only.is_empty() || only.iter().any(|word| "wall".contains(word.as_str())) {
        wall_rows(seconds);
    }
    let frames = if quick { 300 } else { 2000 };
    println!(
        "\nbuild, diff and encode one 120×40 frame (render `&App`, the screen's diff, the ANSI backend to a sink; in-process): {:.0} µs",
        frame_build_and_diff(frames)
    );
}
