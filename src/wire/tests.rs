//! Codec round trips, damage, and property tests that feed random and mutated input to
//! every decoder: never a panic, bounded memory, and the good frames around damage arrive.

use proptest::prelude::*;

use super::binary::{self, Dtype, Header};
use super::lines::{LineLayout, LineOptions, LineReader, MAX_LINE, TextKind};
use super::{ByteDecoder, Format, cobs_stream, json};
use crate::analysis::WindowKind;
use crate::frame::{Decoded, Frame, FrameError, Levels, Payload, SenderTime};

fn header(dtype: Dtype, channels: u8, seq: u32) -> Header {
    Header {
        channels,
        ..Header::samples(dtype, seq, 8000, Some(SenderTime::Device(42)))
    }
}

fn good_frame(seq: u32, count: usize) -> Vec<u8> {
    let samples: Vec<u16> = (0..count).map(|i| (i * 37 % 4096) as u16).collect();
    let mut out = Vec::new();
    let header = Header {
        bits: 12,
        ..header(Dtype::U16, 1, seq)
    };
    binary::encode_values(&header, &samples, u16::to_le_bytes, &mut out);
    out
}

fn stream_of(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in frames {
        cobs_stream::encode(f, &mut out);
    }
    out
}

fn decode_all(decoder: &mut ByteDecoder, bytes: &[u8], split: usize) -> Vec<Decoded> {
    let mut items = Vec::new();
    for chunk in bytes.chunks(split.max(1)) {
        decoder.push(chunk, &mut items);
    }
    decoder.finish(&mut items);
    items
}

fn seqs(items: &[Decoded]) -> Vec<u32> {
    items
        .iter()
        .filter_map(|i| match i {
            Decoded::Frame(f) => f.seq,
            _ => None,
        })
        .collect()
}

#[test]
fn every_dtype_scales_a_full_scale_value_to_one() {
    // (dtype, raw positive full-scale value as LE bytes, bits)
    let cases: [(Dtype, Vec<u8>, u8, f32); 7] = [
        (Dtype::U8, vec![255], 0, 127.0 / 128.0),
        (Dtype::I8, (-128i8).to_le_bytes().to_vec(), 0, -1.0),
        (
            Dtype::U16,
            4095u16.to_le_bytes().to_vec(),
            12,
            2047.0 / 2048.0,
        ),
        (Dtype::I16, (-32768i16).to_le_bytes().to_vec(), 16, -1.0),
        (Dtype::U32, 0u32.to_le_bytes().to_vec(), 24, -1.0),
        (Dtype::I32, (1i32 << 23).to_le_bytes().to_vec(), 24, 1.0),
        (Dtype::F32, 0.5f32.to_le_bytes().to_vec(), 0, 0.5),
    ];
    for (dtype, raw, bits, want) in cases {
        let mut bytes = Vec::new();
        binary::encode_raw(
            &Header {
                bits,
                ..header(dtype, 1, 1)
            },
            &raw,
            &mut bytes,
        );
        let frame = binary::decode(&bytes, Levels::default()).expect("decodes");
        assert_eq!(frame.payload, Payload::Samples(vec![want]), "{dtype:?}");
    }
}

#[test]
fn each_kind_of_damage_is_named() {
    let good = good_frame(1, 16);
    let mutate = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut bytes = good.clone();
        f(&mut bytes);
        binary::decode(&bytes, Levels::default()).unwrap_err()
    };
    assert_eq!(mutate(&|b| b[30] ^= 4), FrameError::Crc);
    assert_eq!(mutate(&|b| b[0] = 2), FrameError::Version(2));
    assert_eq!(mutate(&|b| b[1] = 9), FrameError::Kind(9));
    assert_eq!(mutate(&|b| b[2] = 7), FrameError::Dtype(7));
    assert_eq!(mutate(&|b| b[3] = 0), FrameError::Channels(0));
    assert_eq!(mutate(&|b| b[3] = 17), FrameError::Channels(17));
    assert_eq!(
        mutate(&|b| b[6] = 200),
        FrameError::Length {
            expected: 24 + 200 * 2 + 4,
            actual: good.len()
        }
    );
    assert_eq!(mutate(&|b| b.truncate(10)), FrameError::TooShort(10));
    assert_eq!(
        mutate(&|b| {
            b[6] = 0;
            b[7] = 0
        }),
        FrameError::EmptyCount
    );
}

/// One spectrum frame of `bins` f32 values, all `floor` but bin 5, which holds `tone`.
fn spectrum_frame(
    kind: binary::Kind,
    bits: u8,
    window: Option<WindowKind>,
    tone: f32,
    floor: f32,
) -> Vec<u8> {
    let bins = 32;
    let values: Vec<f32> = (0..bins)
        .map(|i| if i == 5 { tone } else { floor })
        .collect();
    let header = Header {
        kind,
        bits,
        window,
        ..header(Dtype::F32, 1, 0)
    };
    let mut out = Vec::new();
    binary::encode_values(&header, &values, f32::to_le_bytes, &mut out);
    out
}

fn power_at_bin_5(bytes: &[u8], levels: Levels) -> (f64, WindowKind) {
    match binary::decode(bytes, levels) {
        Ok(Frame {
            payload: Payload::Spectrum { power, window },
            ..
        }) => (10.0 * f64::from(power[5]).log10(), window),
        other => panic!("not a spectrum: {other:?}"),
    }
}

#[test]
fn a_board_spectrum_reads_by_the_unnormalised_fft_rule() {
    // A sine at -6.02 dBFS on a bin of a 64-point FFT (32 bins) made through `window`:
    // magnitude 32 × amplitude × coherent gain, in the units of the samples transformed.
    for window in WindowKind::ALL {
        for (bits, full_scale) in [(0, 1.0), (12, 2048.0), (16, 32768.0)] {
            let magnitude = (32.0 * 0.5 * full_scale * window.coherent_gain()) as f32;
            let linear = spectrum_frame(
                binary::Kind::SpectrumLinear,
                bits,
                Some(window),
                magnitude,
                0.0,
            );
            let db = spectrum_frame(
                binary::Kind::SpectrumDb,
                bits,
                Some(window),
                20.0 * magnitude.log10(),
                -200.0,
            );
            for bytes in [linear, db] {
                let (dbfs, read_window) = power_at_bin_5(&bytes, Levels::default());
                assert!(
                    (dbfs + 6.0206).abs() < 1e-3,
                    "{window:?} bits {bits}: {dbfs} dBFS"
                );
                assert_eq!(read_window, window);
            }
        }
    }
}

#[test]
fn a_spectrum_that_names_no_window_takes_the_option_else_rect() {
    let magnitude = 32.0 * 0.5;
    let unstated = spectrum_frame(binary::Kind::SpectrumLinear, 0, None, magnitude, 0.0);
    let (dbfs, window) = power_at_bin_5(&unstated, Levels::default());
    assert_eq!(window, WindowKind::Rect);
    assert!((dbfs + 6.0206).abs() < 1e-3, "{dbfs}");
    let hann = Levels {
        board_window: Some(WindowKind::Hann),
        ..Levels::default()
    };
    let (dbfs, window) = power_at_bin_5(&unstated, hann);
    assert_eq!(window, WindowKind::Hann);
    // Through Hann the same magnitude stands for a tone twice as strong.
    assert!(dbfs.abs() < 1e-3, "{dbfs}");
    // What a frame says wins over the option; --full-scale replaces the amplitude.
    let rect = spectrum_frame(
        binary::Kind::SpectrumLinear,
        0,
        Some(WindowKind::Rect),
        magnitude,
        0.0,
    );
    assert_eq!(power_at_bin_5(&rect, hann).1, WindowKind::Rect);
    let half = Levels {
        full_scale: Some(0.5),
        ..Levels::default()
    };
    assert!(power_at_bin_5(&rect, half).0.abs() < 1e-3);
}

#[test]
fn a_reserved_window_code_is_a_bad_frame() {
    let mut bytes = spectrum_frame(binary::Kind::SpectrumLinear, 0, None, 1.0, 0.0);
    bytes[5] |= 6 << 1;
    let body = bytes.len() - 4;
    let crc = crc32fast::hash(&bytes[..body]);
    bytes[body..].copy_from_slice(&crc.to_le_bytes());
    assert_eq!(
        binary::decode(&bytes, Levels::default()),
        Err(FrameError::WindowCode(6))
    );
}

#[test]
fn a_recorded_frame_round_trips_through_f32() {
    let frame = Frame {
        seq: Some(9),
        sample_rate: Some(48_000.0),
        sent_at: Some(SenderTime::Unix(1_700_000_000_000_000)),
        channels: 2,
        payload: Payload::Samples(vec![0.5, -0.25, 1.0, 0.0]),
        labels: None,
        resolution: None,
    };
    let mut bytes = Vec::new();
    binary::encode_frame(&frame, &mut bytes);
    assert_eq!(binary::decode(&bytes, Levels::default()).unwrap(), frame);
    let spectrum = Frame {
        payload: Payload::Spectrum {
            power: vec![1.0, 0.25, 0.0625, 0.0],
            window: WindowKind::Hann,
        },
        ..frame
    };
    bytes.clear();
    binary::encode_frame(&spectrum, &mut bytes);
    assert_eq!(binary::decode(&bytes, Levels::default()).unwrap(), spectrum);
}

#[test]
fn samples_that_fit_16_bits_are_written_as_i16() {
    let adc = Frame {
        seq: Some(1),
        sample_rate: Some(48_000.0),
        sent_at: None,
        channels: 1,
        payload: Payload::Samples(
            (0..1024)
                .map(|i| ((i % 4096) as f32 - 2048.0) / 2048.0)
                .collect(),
        ),
        labels: None,
        resolution: None,
    };
    let mut bytes = Vec::new();
    binary::encode_frame(&adc, &mut bytes);
    assert_eq!(bytes[2], Dtype::I16 as u8);
    assert_eq!(bytes.len(), 24 + 1024 * 2 + 4);
    // Read back as 16-bit codes: the same samples, and the resolution the wire now says.
    let read = binary::decode(&bytes, Levels::default()).unwrap();
    assert_eq!(read.resolution, Some(16));
    assert_eq!(
        read,
        Frame {
            resolution: Some(16),
            ..adc.clone()
        }
    );
    let fine = Frame {
        payload: Payload::Samples(vec![0.1, 0.2]),
        ..adc
    };
    bytes.clear();
    binary::encode_frame(&fine, &mut bytes);
    assert_eq!(bytes[2], Dtype::F32 as u8, "0.1 is not a multiple of 2^-15");
}

#[test]
fn garbage_between_frames_costs_only_the_damaged_chunk() {
    let mut bytes = stream_of(&[good_frame(1, 64), good_frame(2, 64)]);
    bytes.extend_from_slice(b"\x13\x37garbage without a delimiter");
    bytes.extend(stream_of(&[good_frame(3, 64)])); // merged with the garbage: lost
    bytes.extend_from_slice(&[0xff; 40]);
    bytes.push(0);
    bytes.extend(stream_of(&[good_frame(4, 64)]));
    let mut decoder = ByteDecoder::new(Format::Frame, LineOptions::default());
    let items = decode_all(&mut decoder, &bytes, 5);
    assert_eq!(seqs(&items), [1, 2, 4]);
    assert_eq!(
        items
            .iter()
            .filter(|i| matches!(i, Decoded::Bad(_)))
            .count(),
        2
    );
}

#[test]
fn an_endless_run_without_a_delimiter_is_bounded_and_then_recovers() {
    let mut decoder = ByteDecoder::new(Format::Frame, LineOptions::default());
    let mut items = Vec::new();
    let junk = vec![0x55u8; 1 << 20];
    for _ in 0..8 {
        decoder.push(&junk, &mut items);
    }
    decoder.push(&[0], &mut items);
    decoder.push(&stream_of(&[good_frame(5, 8)]), &mut items);
    assert_eq!(items.len(), 2);
    assert!(matches!(items[0], Decoded::Bad(FrameError::TooLong(_))));
    assert_eq!(seqs(&items), [5]);
}

#[test]
fn text_lines_columns_blocks_and_bad_lines() {
    let text = "# comment\r\n\r\na:1,b:2\r\na:3;b:4\n5\t6\nx:oops,b:1\n1 2 nan\n";
    let mut reader = LineReader::new(LineOptions::default());
    let mut items = Vec::new();
    reader.push(text.as_bytes(), &mut items);
    reader.finish(&mut items);
    let bad: Vec<&FrameError> = items
        .iter()
        .filter_map(|i| {
            if let Decoded::Bad(e) = i {
                Some(e)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(
        bad,
        [
            &FrameError::NotANumber("x:oops".into()),
            &FrameError::NonFinite
        ]
    );
    let frames: Vec<&Frame> = items
        .iter()
        .filter_map(|i| {
            if let Decoded::Frame(f) = i {
                Some(f)
            } else {
                None
            }
        })
        .collect();
    // The labelled pair and the unlabelled pair are separate blocks.
    assert_eq!(frames.len(), 2);
    assert_eq!(
        frames[0].payload,
        Payload::Samples(vec![1.0, 2.0, 3.0, 4.0])
    );
    assert_eq!(
        frames[0].labels.as_deref(),
        Some(&["a".to_string(), "b".to_string()][..])
    );
    assert_eq!(frames[1].payload, Payload::Samples(vec![5.0, 6.0]));

    let block: Vec<String> = (0..20).map(|i| i.to_string()).collect();
    let mut reader = LineReader::new(LineOptions::default());
    items.clear();
    reader.push(format!("{}\n", block.join(",")).as_bytes(), &mut items);
    assert!(
        matches!(&items[0], Decoded::Frame(f) if f.channels == 1 && f.count() == 20),
        "auto: a block"
    );

    let mut reader = LineReader::new(LineOptions {
        kind: TextKind::Spectrum,
        layout: LineLayout::Auto,
        levels: Levels {
            full_scale: Some(2.0),
            board_window: None,
        },
    });
    items.clear();
    // Magnitudes of an unnormalised 8-point FFT of samples whose full scale is 2: a
    // full-scale sine reads 4 × 2 = 8.
    reader.push(b"0 8 4 0\n", &mut items);
    let spectrum = Payload::Spectrum {
        power: vec![0.0, 1.0, 0.25, 0.0],
        window: WindowKind::Rect,
    };
    assert!(matches!(&items[0], Decoded::Frame(f) if f.payload == spectrum));
}

#[test]
fn an_overlong_line_is_one_bad_line_and_memory_stays_bounded() {
    let mut reader = LineReader::new(LineOptions::default());
    let mut items = Vec::new();
    let chunk = vec![b'1'; 10_000];
    for _ in 0..100 {
        reader.push(&chunk, &mut items);
    }
    reader.push(b"\n7,8\n", &mut items);
    reader.finish(&mut items);
    assert_eq!(items[0], Decoded::Bad(FrameError::TooLong(MAX_LINE)));
    assert!(
        matches!(&items[1], Decoded::Frame(f) if f.payload == Payload::Samples(vec![7.0, 8.0]))
    );
}

#[test]
fn json_events_decode_or_are_rejected_with_a_reason() {
    let decode = |kind, data| json::decode_event(kind, data, Some("12"), Levels::default());
    let Decoded::Frame(f) = decode(
        "samples",
        r#"{"fs":100,"samples":[[1,2],[3,4]],"full_scale":2}"#,
    ) else {
        panic!("per-channel arrays")
    };
    assert_eq!((f.channels, f.seq), (2, Some(12)));
    assert_eq!(f.payload, Payload::Samples(vec![0.5, 1.5, 1.0, 2.0]));
    let Decoded::Frame(f) = decode("spectrum", r#"{"bins":[0,-10],"unit":"db","seq":3}"#) else {
        panic!("dB bins")
    };
    assert_eq!(f.seq, Some(3));
    // 20·log10 of a 4-point FFT's magnitudes: a full-scale sine reads 20·log10(2) dB.
    let Payload::Spectrum { power, window } = &f.payload else {
        panic!("a spectrum")
    };
    assert_eq!(*window, WindowKind::Rect);
    let dbfs: Vec<f64> = power.iter().map(|&p| 10.0 * f64::from(p).log10()).collect();
    let full_scale_db = 20.0 * 2f64.log10();
    assert!((dbfs[0] + full_scale_db).abs() < 1e-4, "{dbfs:?}");
    assert!((dbfs[1] + 10.0 + full_scale_db).abs() < 1e-4, "{dbfs:?}");
    let Decoded::Frame(f) = decode("spectrum", r#"{"bins":[0,1,0,0],"window":"hann"}"#) else {
        panic!("a window named")
    };
    let hann = Payload::Spectrum {
        power: vec![0.0, 0.25, 0.0, 0.0],
        window: WindowKind::Hann,
    };
    assert_eq!(
        f.payload, hann,
        "8-point FFT through Hann: full scale reads 2"
    );
    assert_eq!(
        decode("spectrum", r#"{"bins":[0,1],"window":"hanning"}"#),
        Decoded::Bad(FrameError::WindowName("hanning".into()))
    );
    assert_eq!(
        decode("samples", r#"{"samples":[[1],[2,3]]}"#),
        Decoded::Bad(FrameError::Ragged)
    );
    assert_eq!(
        decode("samples", r#"{"fs":1}"#),
        Decoded::Bad(FrameError::MissingPayload)
    );
    assert_eq!(
        decode("samples", r#"{"samples":[]}"#),
        Decoded::Bad(FrameError::MissingPayload)
    );
    assert_eq!(
        decode("samples", r#"{"samples":[1],"fs":-1}"#),
        Decoded::Bad(FrameError::BadRate)
    );
    assert_eq!(
        decode("samples", r#"{"samples":[1],"seq":5000000000}"#),
        Decoded::Bad(FrameError::BadSeq)
    );
    assert!(matches!(
        decode("samples", r#"{"samples":[1e999]}"#),
        Decoded::Bad(_)
    ));
    assert!(matches!(
        decode("samples", "{nope"),
        Decoded::Bad(FrameError::Json(_))
    ));
    assert!(matches!(
        decode("frame", "!!"),
        Decoded::Bad(FrameError::Base64)
    ));
    assert_eq!(decode("status", "{}"), Decoded::Ignored("status".into()));
    assert_eq!(
        decode("message", r#"{"hello":1}"#),
        Decoded::Ignored("message".into())
    );
    assert!(matches!(
        decode("message", r#"{"samples":[1,2]}"#),
        Decoded::Frame(_)
    ));
}

#[test]
fn json_encoding_round_trips() {
    for frame in [
        Frame {
            seq: Some(4),
            sample_rate: Some(8000.0),
            sent_at: Some(SenderTime::Unix(1_764_000_000_123_500)),
            channels: 1,
            payload: Payload::Samples(vec![0.5, -0.5]),
            labels: None,
            resolution: None,
        },
        Frame {
            seq: Some(5),
            sample_rate: Some(8000.0),
            sent_at: None,
            channels: 2,
            payload: Payload::Samples(vec![0.5, -0.5, 0.25, 1.0]),
            labels: None,
            resolution: None,
        },
        Frame {
            seq: Some(6),
            sample_rate: Some(8000.0),
            sent_at: None,
            channels: 1,
            payload: Payload::Spectrum {
                power: vec![1.0, 0.25],
                window: WindowKind::Rect,
            },
            labels: None,
            resolution: None,
        },
    ] {
        let (kind, data) = json::encode_event(&frame);
        assert_eq!(
            json::decode_event(kind, &data, None, Levels::default()),
            Decoded::Frame(frame)
        );
    }
}

#[test]
fn auto_detection_tells_text_from_frames() {
    let mut text = ByteDecoder::new(Format::Auto, LineOptions::default());
    let items = decode_all(&mut text, b"1,2\n3,4\n", 1);
    assert_eq!(text.format_name(), "text lines");
    assert_eq!(items.len(), 1);
    let mut frames = ByteDecoder::new(Format::Auto, LineOptions::default());
    let items = decode_all(
        &mut frames,
        &stream_of(&[good_frame(1, 300), good_frame(2, 300)]),
        3,
    );
    assert_eq!(frames.format_name(), "binary frames");
    assert_eq!(seqs(&items), [1, 2]);
    assert!(frames.take_notice().unwrap().contains("binary frames"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic_any_byte_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..4096), split in 1usize..600) {
        for format in [Format::Auto, Format::Frame, Format::Lines] {
            let mut decoder = ByteDecoder::new(format, LineOptions::default());
            let items = decode_all(&mut decoder, &bytes, split);
            // Each item accounts for at least one byte of input.
            prop_assert!(items.len() <= bytes.len() + 1);
        }
    }

    /// Damage one frame of a stream anywhere: every frame not touched still arrives, in order.
    #[test]
    fn damage_costs_at_most_the_frames_it_touches(
        count in 3usize..8, victim in 0usize..8, at in any::<prop::sample::Index>(),
        flip in 1u8..=255, split in 1usize..300,
    ) {
        let victim = victim % count;
        let frames: Vec<Vec<u8>> = (0..count as u32).map(|s| good_frame(s, 32 + s as usize)).collect();
        let encoded: Vec<Vec<u8>> = frames.iter().map(|f| stream_of(std::slice::from_ref(f))).collect();
        let mut bytes = Vec::new();
        let mut victim_range = 0..0;
        for (i, e) in encoded.iter().enumerate() {
            if i == victim {
                victim_range = bytes.len()..bytes.len() + e.len();
            }
            bytes.extend_from_slice(e);
        }
        let pos = victim_range.start + at.index(victim_range.len());
        bytes[pos] ^= flip;
        let mut decoder = ByteDecoder::new(Format::Frame, LineOptions::default());
        let got = seqs(&decode_all(&mut decoder, &bytes, split));
        // A damaged delimiter merges the victim with its successor; nothing else is lost.
        let touched = if pos == victim_range.end - 1 { victim + 1 } else { victim };
        let want: Vec<u32> = (0..count as u32).filter(|&s| s as usize != victim && s as usize != touched).collect();
        prop_assert!(want.iter().all(|s| got.contains(s)), "got {got:?}, want at least {want:?}");
        // Nothing comes out that was never sent, and what is lost is the victim and what it
        // touched, at most.
        let sent: Vec<u32> = (0..count as u32).collect();
        prop_assert!(got.iter().all(|s| sent.contains(s)), "got {got:?}, sent only {sent:?}");
        let lost: Vec<u32> = sent.iter().copied().filter(|s| !got.contains(s)).collect();
        prop_assert!(
            lost.iter().all(|&s| s as usize == victim || s as usize == touched),
            "lost {lost:?}, at most {victim} and {touched}"
        );
        prop_assert!(got.windows(2).all(|w| w[0] < w[1]), "got {got:?}, not strictly increasing");
    }

    #[test]
    fn random_event_data_never_panics(kind in "(samples|spectrum|frame|message|x)", data in ".{0,300}") {
        let _ = json::decode_event(&kind, &data, Some("1"), Levels::default());
    }

    #[test]
    fn mutated_json_never_panics(cut in 0usize..80, byte in any::<u8>(), pos in 0usize..80) {
        let mut data = br#"{"seq":1,"ts":1.5,"fs":8000,"samples":[[1,2,3],[4,5,6]],"unit":"db"}"#.to_vec();
        let pos = pos % data.len();
        data[pos] = byte;
        data.truncate(cut.max(1));
        let text = String::from_utf8_lossy(&data);
        let _ = json::decode_event("samples", &text, None, Levels::default());
    }
}

/// A value finite as f64 and infinite as f32 (or simply too large to analyse) makes its frame
/// bad, in every decoder that reads numbers wider than f32.
#[test]
fn values_beyond_the_range_of_f32_make_a_bad_frame_in_every_decoder() {
    let bad = |item: &Decoded| matches!(item, Decoded::Bad(FrameError::OutOfRange));
    for data in [
        r#"{"fs":48000,"samples":[0.1,1e39,0.2]}"#,
        r#"{"fs":48000,"samples":[[0.1,0.2],[1e39,0.3]]}"#,
        r#"{"fs":48000,"samples":[0.1,2e12]}"#,
        r#"{"fs":48000,"bins":[0.1,1e20]}"#,
        r#"{"fs":48000,"bins":[-60,300],"unit":"db"}"#,
        r#"{"fs":48000,"full_scale":1e-12,"samples":[5,6]}"#,
    ] {
        let item = json::decode_event("samples", data, None, Levels::default());
        assert!(bad(&item), "{data}: {item:?}");
    }
    for (kind, text) in [
        (TextKind::Samples, "0.5\n1e39\n"),
        (TextKind::Samples, &format!("{}1e39\n", "0.1 ".repeat(40))),
        (TextKind::Spectrum, "0.1 1e20 0.3\n"),
    ] {
        let mut reader = LineReader::new(LineOptions {
            kind,
            ..LineOptions::default()
        });
        let mut items = Vec::new();
        reader.push(text.as_bytes(), &mut items);
        reader.finish(&mut items);
        assert!(items.iter().any(bad), "{text:?}: {items:?}");
    }
    // f32 samples in a binary frame: a huge finite value, and through --full-scale.
    let mut frame = Vec::new();
    binary::encode_values(
        &header(Dtype::F32, 1, 0),
        &[0.5f32, 3e38],
        f32::to_le_bytes,
        &mut frame,
    );
    assert_eq!(
        binary::decode(&frame, Levels::default()),
        Err(FrameError::OutOfRange)
    );
    let mut frame = Vec::new();
    binary::encode_values(
        &header(Dtype::I16, 1, 0),
        &[1000i16, -5],
        i16::to_le_bytes,
        &mut frame,
    );
    assert_eq!(
        binary::decode(
            &frame,
            Levels {
                full_scale: Some(1e-12),
                board_window: None
            }
        ),
        Err(FrameError::OutOfRange)
    );
    assert!(
        binary::decode(
            &frame,
            Levels {
                full_scale: Some(1e-3),
                board_window: None
            }
        )
        .is_ok()
    );
}

#[test]
fn a_stream_joined_mid_frame_loses_the_fragment_uncounted_and_nothing_else() {
    let frames: Vec<Vec<u8>> = (0..4).map(|seq| good_frame(seq, 64)).collect();
    let stream = stream_of(&frames);
    // Joined 30 bytes into the first frame; the third frame is damaged later on.
    let mut joined = stream[30..].to_vec();
    let third = stream_of(&frames[..2]).len() - 30;
    joined[third + 40] ^= 0x55;
    let mut decoder = ByteDecoder::new(Format::Frame, LineOptions::default()).joining_mid_stream();
    let items = decode_all(&mut decoder, &joined, 7);
    assert_eq!(seqs(&items), vec![1, 3]);
    let bad = items
        .iter()
        .filter(|i| matches!(i, Decoded::Bad(_)))
        .count();
    assert_eq!(bad, 1, "only the damaged frame: {items:?}");
    // The same bytes from a file: the fragment is damage too.
    let mut decoder = ByteDecoder::new(Format::Auto, LineOptions::default());
    let items = decode_all(&mut decoder, &joined, 7);
    let bad = items
        .iter()
        .filter(|i| matches!(i, Decoded::Bad(_)))
        .count();
    assert_eq!(bad, 2, "{items:?}");
    // Joined right at a frame's start: that first frame is kept.
    let mut decoder = ByteDecoder::new(Format::Auto, LineOptions::default()).joining_mid_stream();
    assert_eq!(
        seqs(&decode_all(&mut decoder, &stream, 5)),
        vec![0, 1, 2, 3]
    );
}

/// A 12-bit converter's frame, re-encoded (a recording, a published event), says it is 12
/// bits again: the codes survive, and so does what makes them codes.
#[test]
fn a_converters_resolution_survives_re_encoding() {
    let header = Header {
        bits: 12,
        ..Header::samples(Dtype::U16, 3, 48_000, None)
    };
    let codes: Vec<u16> = vec![0, 1, 2047, 2048, 4095, 1000];
    let mut bytes = Vec::new();
    binary::encode_values(&header, &codes, u16::to_le_bytes, &mut bytes);
    let frame = binary::decode(&bytes, Levels::default()).unwrap();
    assert_eq!(frame.resolution, Some(12));
    let mut again = Vec::new();
    assert!(binary::encode_frame(&frame, &mut again));
    assert_eq!(again[4], 12, "the bits field");
    let read = binary::decode(&again, Levels::default()).unwrap();
    assert_eq!(read, frame);
}
