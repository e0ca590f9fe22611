//! The reference C encoder in assets/ is compiled with the host C compiler and its output
//! decoded here, so the code firmware authors copy cannot drift from the spec.

use std::path::Path;
use std::process::Command;

use sse_tui::frame::{Decoded, Payload, SenderTime};
use sse_tui::wire::binary::{self, Dtype, Header};
use sse_tui::wire::lines::LineOptions;
use sse_tui::wire::{ByteDecoder, Format, cobs_stream};

fn build_encoder(dir: &Path) -> std::path::PathBuf {
    let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/c");
    let exe = dir.join("encode_demo");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = Command::new(&cc)
        .args([
            "-std=c99",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-O2",
        ])
        .arg(assets.join("sse_frame.c"))
        .arg(assets.join("encode_demo.c"))
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap_or_else(|e| panic!("run the C compiler {cc}: {e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

#[test]
fn the_c_encoder_writes_what_the_rust_decoder_reads() {
    let dir = tempfile::tempdir().unwrap();
    let exe = build_encoder(dir.path());
    let out = Command::new(exe).arg("40").output().unwrap();
    assert!(out.status.success());

    let mut decoder = ByteDecoder::new(Format::Auto, LineOptions::default());
    let mut items = Vec::new();
    decoder.push(&out.stdout, &mut items);
    decoder.finish(&mut items);
    let frames: Vec<_> = items
        .iter()
        .map(|i| match i {
            Decoded::Frame(f) => f,
            other => panic!("not a frame: {other:?}"),
        })
        .collect();
    assert_eq!(frames.len(), 40);
    for (i, frame) in frames.iter().enumerate() {
        assert_eq!(frame.seq, Some(100 + i as u32));
        assert_eq!(frame.sample_rate, Some(8000.0));
        assert_eq!(
            frame.sent_at,
            Some(SenderTime::Device((i as i64 + 1) * 32_000))
        );
        let Payload::Samples(values) = &frame.payload else {
            panic!()
        };
        assert_eq!(values.len(), 256);
        assert!((values[2] - 0.5).abs() < 1e-6, "1024/2048 of full scale");
    }

    // Byte for byte what the Rust encoder writes for the same frame.
    let period: [i16; 8] = [0, 724, 1024, 724, 0, -724, -1024, -724];
    let samples: Vec<u16> = (0..256).map(|i| (2048 + period[i % 8]) as u16).collect();
    let header = Header {
        bits: 12,
        ..Header::samples(Dtype::U16, 100, 8000, Some(SenderTime::Device(32_000)))
    };
    let mut frame = Vec::new();
    binary::encode_values(&header, &samples, u16::to_le_bytes, &mut frame);
    let mut wire = Vec::new();
    cobs_stream::encode(&frame, &mut wire);
    assert_eq!(&out.stdout[..wire.len()], &wire[..]);
}

#[test]
fn the_committed_recording_is_what_the_c_encoder_writes() {
    let dir = tempfile::tempdir().unwrap();
    let exe = build_encoder(dir.path());
    let out = Command::new(exe).arg("24").output().unwrap();
    let recording = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/recordings/tone_1k_frames.bin"),
    )
    .unwrap();
    assert_eq!(out.stdout, recording);
}
