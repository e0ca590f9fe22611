//! The test vectors of the spec, made by an independent encoder (copied into fixtures/):
//! each must decode to what vectors.json says.

use serde_json::Value;
use sse_tui::analysis::{Analyzer, AnalyzerSettings};
use sse_tui::frame::{Decoded, Frame, FrameError, Levels, Payload, SenderTime};
use sse_tui::wire::lines::{LineOptions, LineReader};
use sse_tui::wire::{ByteDecoder, Format, binary, json};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn expected(name: &str) -> Value {
    let all: Value = serde_json::from_slice(&fixture("vectors.json")).expect("vectors.json");
    all[name].clone()
}

fn frames(items: &[Decoded]) -> Vec<&Frame> {
    items
        .iter()
        .filter_map(|i| match i {
            Decoded::Frame(f) => Some(f),
            _ => None,
        })
        .collect()
}

fn samples(frame: &Frame) -> &[f32] {
    match &frame.payload {
        Payload::Samples(v) => v,
        Payload::Spectrum { .. } => panic!("expected samples"),
    }
}

fn peak_hz(frames: &[&Frame], fft_size: usize, rate: f64) -> f64 {
    let mut analyzer = Analyzer::new(AnalyzerSettings {
        fft_size,
        ..AnalyzerSettings::default()
    });
    for f in frames {
        match &f.payload {
            Payload::Samples(v) => {
                analyzer.push_samples(v, f.channels, f.sample_rate.or(Some(rate)), None)
            }
            Payload::Spectrum { power, window } => analyzer.push_spectrum(
                power,
                *window,
                f.channels,
                f.sample_rate.or(Some(rate)),
                None,
            ),
        };
    }
    analyzer.peak().expect("a peak").bin * analyzer.bin_hz().expect("a rate")
}

#[test]
fn frame_u16() {
    let want = expected("frame_u16.bin");
    let bytes = fixture("frame_u16.bin");
    assert_eq!(bytes.len() as u64, want["length"].as_u64().unwrap());
    let frame = binary::decode(&bytes, Levels::default()).expect("decodes");
    assert_eq!(frame.seq, Some(7));
    assert_eq!(frame.sample_rate, Some(48_000.0));
    assert_eq!(frame.sent_at, Some(SenderTime::Device(123_456_789)));
    assert_eq!(frame.channels, 1);
    // 12-bit offset binary: full-scale amplitude 2048 around mid-scale 2048.
    let raw: Vec<f32> = samples(&frame)
        .iter()
        .map(|v| v * 2048.0 + 2048.0)
        .collect();
    let values: Vec<f32> = want["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect();
    assert_eq!(raw, values);
}

#[test]
fn frame_i16_two_channels() {
    let want = expected("frame_i16_2ch.bin");
    let frame = binary::decode(&fixture("frame_i16_2ch.bin"), Levels::default()).expect("decodes");
    assert_eq!(frame.seq, Some(u32::MAX));
    assert_eq!(frame.sent_at, Some(SenderTime::Unix(1_764_000_000_000_000)));
    assert_eq!(frame.channels, 2);
    for channel in 0..2 {
        let got: Vec<f32> = samples(&frame)
            .iter()
            .skip(channel)
            .step_by(2)
            .map(|v| v * 32768.0)
            .collect();
        let key = format!("channel{channel}");
        let values: Vec<f32> = want[&key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        assert_eq!(got, values, "{key}");
    }
}

#[test]
fn frame_spectrum() {
    let want = expected("frame_spectrum_f32.bin");
    let frame =
        binary::decode(&fixture("frame_spectrum_f32.bin"), Levels::default()).expect("decodes");
    assert!(frame.is_spectrum());
    assert_eq!(frame.count(), 64);
    assert_eq!(
        peak_hz(&[&frame], 1024, 0.0),
        want["peak_hz"].as_f64().unwrap()
    );
}

#[test]
fn cobs_stream_with_damage() {
    let want = expected("stream_cobs.bin");
    let bytes = fixture("stream_cobs.bin");
    // The same result whatever the reads' sizes.
    for read_size in [1, 7, 64, 4096, bytes.len()] {
        let mut decoder = ByteDecoder::new(Format::Auto, LineOptions::default());
        let mut items = Vec::new();
        for chunk in bytes.chunks(read_size) {
            decoder.push(chunk, &mut items);
        }
        decoder.finish(&mut items);
        let good = frames(&items);
        let seqs: Vec<u64> = good.iter().map(|f| u64::from(f.seq.unwrap())).collect();
        let want_seqs: Vec<u64> = want["good_seqs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        assert_eq!(seqs, want_seqs, "read size {read_size}");
        let bad = items
            .iter()
            .filter(|i| matches!(i, Decoded::Bad(_)))
            .count() as u64;
        assert!(bad >= want["bad_chunks_at_least"].as_u64().unwrap());
        assert!(
            items
                .iter()
                .any(|i| matches!(i, Decoded::Bad(FrameError::Crc))),
            "the flipped bit is a CRC error"
        );
        assert!((peak_hz(&good, 256, 0.0) - 1000.0).abs() < 8000.0 / 256.0);
    }
}

#[test]
fn lines_in_labelled_columns() {
    let want = expected("lines_columns.txt");
    let mut reader = LineReader::new(LineOptions::default());
    let mut items = Vec::new();
    reader.push(&fixture("lines_columns.txt"), &mut items);
    reader.finish(&mut items);
    let good = frames(&items);
    let instants: usize = good.iter().map(|f| f.count()).sum();
    assert_eq!(instants as u64, want["instants"].as_u64().unwrap());
    let bad = items
        .iter()
        .filter(|i| matches!(i, Decoded::Bad(_)))
        .count() as u64;
    assert_eq!(bad, want["bad_lines"].as_u64().unwrap());
    let labels = good[0].labels.as_deref().expect("labels");
    assert_eq!(labels, ["ch_a", "ch_b"]);
    let rate = want["rate"].as_f64().unwrap();
    let bin = rate / 1024.0;
    assert!((peak_hz(&good, 1024, rate) - want["peak_hz_ch0"].as_f64().unwrap()).abs() < bin);
}

#[test]
fn lines_in_blocks() {
    let want = expected("lines_block.txt");
    let mut reader = LineReader::new(LineOptions::default());
    let mut items = Vec::new();
    reader.push(&fixture("lines_block.txt"), &mut items);
    reader.finish(&mut items);
    let good = frames(&items);
    assert_eq!(good.len() as u64, want["blocks"].as_u64().unwrap());
    assert!(good.iter().all(|f| f.count() == 64 && f.channels == 1));
    // Without a rate the axis is in bins: bin 3 of a 64-point FFT.
    let mut analyzer = Analyzer::new(AnalyzerSettings {
        fft_size: 64,
        ..AnalyzerSettings::default()
    });
    for f in &good {
        analyzer.push_samples(samples(f), 1, None, None);
    }
    assert!((analyzer.peak().unwrap().bin - want["tone_bin_of_64"].as_f64().unwrap()).abs() < 0.5);
}

/// A minimal SSE body splitter (the real client lives in the SSE source): enough to feed
/// the vector's events to the event decoder.
fn sse_events(body: &str) -> Vec<(String, String, Option<String>)> {
    let mut events = Vec::new();
    for block in body.split("\n\n") {
        let (mut kind, mut data, mut id) = (String::new(), Vec::new(), None);
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                kind = v.trim_start().to_owned();
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push(v.strip_prefix(' ').unwrap_or(v).to_owned());
            } else if let Some(v) = line.strip_prefix("id:") {
                id = Some(v.trim_start().to_owned());
            }
        }
        if !data.is_empty() {
            events.push((kind, data.join("\n"), id));
        }
    }
    events
}

#[test]
fn sse_events_body() {
    let want = expected("events.txt");
    let body = String::from_utf8(fixture("events.txt")).unwrap();
    let items: Vec<Decoded> = sse_events(&body)
        .iter()
        .map(|(kind, data, id)| json::decode_event(kind, data, id.as_deref(), Levels::default()))
        .collect();
    let good = frames(&items);
    assert_eq!(good.len() as u64, want["frames"].as_u64().unwrap());
    let bad = items
        .iter()
        .filter(|i| matches!(i, Decoded::Bad(_)))
        .count() as u64;
    assert_eq!(bad, want["bad_frames"].as_u64().unwrap());
    let ignored = items
        .iter()
        .filter(|i| matches!(i, Decoded::Ignored(_)))
        .count() as u64;
    assert_eq!(ignored, want["ignored_events"].as_u64().unwrap());
    let ts_ms = want["ts_ms_of_first"].as_f64().unwrap();
    assert_eq!(
        good[0].sent_at,
        Some(SenderTime::Unix((ts_ms * 1000.0) as i64))
    );
    let spectrum = good.iter().find(|f| f.is_spectrum()).expect("a spectrum");
    assert_eq!(
        peak_hz(&[spectrum], 1024, 0.0),
        want["spectrum_peak_hz"].as_f64().unwrap()
    );
}
