//! The serial source against real pseudo-terminals: frames and lines arrive, damage is
//! counted, unplug and replug are survived, nothing leaks; and the real binary, headless.

mod common;

use std::time::{Duration, Instant};

use common::board::Board;
use common::serial::{LIMIT, Reader, frame_bytes, seqs};
use sse_tui::clock::Clock;
use sse_tui::frame::Decoded;
use sse_tui::link::LinkState;
use sse_tui::pipeline::{Pipeline, PipelineConfig};
use sse_tui::source::serial::{self, SerialOptions};
use sse_tui::vocabulary::SourceEvent;
use sse_tui::wire::lines::LineOptions;
use sse_tui::wire::{ByteDecoder, Format};
use tokio::sync::mpsc;

#[test]
fn frames_and_damage_through_a_pseudo_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ttyACM0");
    let mut board = Board::plug_in(&link);
    let mut reader = Reader::start(&link, Format::Auto);
    reader.until_state(|s| *s == LinkState::Connected);

    let mut stream = Vec::new();
    stream.extend(frame_bytes(1));
    stream.extend(b"\x42garbage between frames\x00");
    stream.extend(frame_bytes(2));
    let mut flipped = frame_bytes(3);
    flipped[100] ^= 0x10;
    stream.extend(flipped);
    let truncated = frame_bytes(4);
    stream.extend(&truncated[..truncated.len() / 2]);
    stream.push(0);
    stream.extend(frame_bytes(5));
    board.write(&stream).unwrap();

    let items = reader.items_until_frames(3);
    assert_eq!(seqs(&items), [1, 2, 5]);
    let bad = items
        .iter()
        .filter(|i| matches!(i, Decoded::Bad(_)))
        .count();
    assert_eq!(bad, 3, "{items:?}");
}

#[test]
fn text_lines_through_a_pseudo_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ttyUSB0");
    let mut board = Board::plug_in(&link);
    let mut reader = Reader::start(&link, Format::Auto);
    reader.until_state(|s| *s == LinkState::Connected);
    let mut text = String::new();
    for i in 0..200 {
        let x = (std::f64::consts::TAU * 50.0 * i as f64 / 1000.0).sin();
        text.push_str(&format!("a:{:.4},b:{}\r\n", x, i % 7));
    }
    text.push_str("a:oops,b:1\r\n");
    board.write(text.as_bytes()).unwrap();
    // 200 instants in blocks of 64: three full blocks, the rest flushed when the input idles.
    let mut instants = 0;
    let mut bad = 0;
    while instants < 200 || bad < 1 {
        if let SourceEvent::Data { items, .. } = reader.next() {
            for item in items {
                match item {
                    Decoded::Frame(f) => {
                        assert_eq!(f.channels, 2);
                        instants += f.count();
                    }
                    Decoded::Bad(_) => bad += 1,
                    Decoded::Ignored(_) => {}
                }
            }
        }
    }
    assert_eq!((instants, bad), (200, 1));
}

#[test]
fn unplug_and_replug_reconnect_and_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ttyACM0");
    let mut board = Board::plug_in(&link);
    let mut reader = Reader::start(&link, Format::Frame);
    let mut pipeline = Pipeline::new(PipelineConfig::default(), Clock::new());
    let mut feed = |reader: &mut Reader, want: &dyn Fn(&SourceEvent) -> bool| loop {
        let event = reader.next();
        let done = want(&event);
        pipeline.handle(event);
        if done {
            break pipeline.snapshot(std::time::Instant::now());
        }
    };
    feed(&mut reader, &|e| {
        matches!(e, SourceEvent::Status(LinkState::Connected))
    });
    board.write(&frame_bytes(10)).unwrap();
    feed(
        &mut reader,
        &|e| matches!(e, SourceEvent::Data { items, .. } if !items.is_empty()),
    );

    drop(board); // unplug
    let shown = feed(&mut reader, &|e| {
        matches!(e, SourceEvent::Status(LinkState::Disconnected { .. }))
    });
    let LinkState::Disconnected { reason, .. } = &shown.link else {
        panic!()
    };
    assert!(reason.contains("waiting for"), "{reason}");

    let mut board = Board::plug_in(&link); // replug: a new pty at the same path
    feed(&mut reader, &|e| {
        matches!(e, SourceEvent::Status(LinkState::Connected))
    });
    board.write(&frame_bytes(11)).unwrap();
    let shown = feed(
        &mut reader,
        &|e| matches!(e, SourceEvent::Data { items, .. } if !items.is_empty()),
    );
    assert_eq!(shown.counters.reconnects, 1);
    assert_eq!(shown.counters.frames, 2);
    assert_eq!(shown.counters.dropped, 0);
}

#[test]
fn a_busy_port_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ttyACM0");
    let _board = Board::plug_in(&link);
    let _holder = serialport::new(link.to_str().unwrap(), 115_200)
        .open()
        .expect("first opener");
    let (tx, rx) = mpsc::channel(8);
    serial::spawn(
        SerialOptions::new(link.to_str().unwrap(), 115_200),
        || ByteDecoder::new(Format::Auto, LineOptions::default()),
        tx,
        Clock::new(),
    );
    let mut reader = Reader::new(rx);
    let LinkState::Failed(sentence) = reader.until_state(LinkState::is_final) else {
        panic!("expected a failure")
    };
    assert!(sentence.contains("is busy"), "{sentence}");
}

const BIN: &str = env!("CARGO_BIN_EXE_sse-tui");

#[test]
fn the_binary_reports_a_board_on_a_pseudo_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ttyACM0");
    let mut board = Board::plug_in(&link);
    let child = std::process::Command::new(BIN)
        .args([
            "--serial",
            link.to_str().unwrap(),
            "--headless",
            "--frames",
            "30",
            "--fft",
            "256",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let child = common::ChildGuard(child);
    // Frames flow until the program has had its 30 and exits (it may open the port late:
    // what it missed does not matter).
    let started = Instant::now();
    let mut seq = 0;
    let mut child = child;
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < LIMIT, "the program did not finish");
        let _ = board.write(&frame_bytes(seq));
        seq += 1;
        if seq % 16 == 0 {
            std::thread::sleep(Duration::from_millis(5)); // a board's pace, not a synchronisation
        }
    };
    assert!(status.success());
    let output = child.take_output();
    let summary: serde_json::Value = serde_json::from_str(output.lines().last().unwrap()).unwrap();
    assert_eq!(summary["frames"], 30);
    assert_eq!(summary["fs"], 8000.0);
    // A tone at 32 cycles in 256 samples at 8 kHz: 1 kHz.
    assert!(
        (summary["peak_hz"].as_f64().unwrap() - 1000.0).abs() < 8000.0 / 256.0,
        "{summary}"
    );
    assert_eq!(summary["bad_frames"], 0);
}

#[test]
fn a_missing_device_at_start_is_status_1_with_the_ports_that_exist() {
    let out = std::process::Command::new(BIN)
        .args(["--serial", "/dev/ttyNOPE9", "--headless"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("sse-tui: no device at /dev/ttyNOPE9; "),
        "{stderr}"
    );
    assert!(
        stderr.contains("serial ports") && stderr.contains("--wait"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1);
}
