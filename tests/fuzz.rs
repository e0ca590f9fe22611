//! Fuzzing the parsers of everything that comes from outside (issue 23): the binary frame,
//! the COBS stream, the byte decoder's format detection, text lines, JSON events, the SSE
//! parser, the settings file, the limits file and the SSH authorized keys.
//!
//! Each target starts from the inputs in `tests/fixtures/fuzz/<target>/` (real inputs of the
//! kind, and every input a run ever found) and mutates them at random: bits flipped, bytes
//! set to the values parsers trip on, runs inserted, deleted, repeated, spliced from another
//! input, cut short, and now and then a run far longer than any legal input. Inputs that end
//! in a new kind of outcome join the corpus, so the mutations reach deeper. Every input must
//! pass its target's check: no panic, the memory each decoder holds within its bound, and,
//! for the stream decoders, an intact frame or event after the garbage recovered whole.
//!
//! - `fuzz_*` tests run for `FUZZ_SECONDS` each (default 3; ignored in `cargo test`, run by
//!   `.ci/run`; BENCHMARKS.md has the counts of a long run). An input that fails is written
//!   to `tests/fixtures/fuzz/<target>/found-<hash>` and the test fails naming it: fix the
//!   parser and commit the file, and it is checked on every `cargo test` from then on.
//! - `every_kept_input_passes` (not ignored) runs every fixture through every check.

use std::collections::HashSet;
use std::ffi::OsString;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sse_tui::frame::{Decoded, Levels};
use sse_tui::sse::parser::{Parsed, Parser};
use sse_tui::wire::cobs_stream::{CobsFrameReader, MAX_ENCODED_LEN};
use sse_tui::wire::lines::{LineOptions, LineReader};
use sse_tui::wire::{ByteDecoder, Format, binary, cobs_stream, json};

/// A check: `Err` says what went wrong; the outcome (a few words) tells inputs apart for the
/// corpus.
type Check = fn(&[u8], &mut fastrand::Rng) -> Result<String, String>;

const TARGETS: [(&str, Check); 9] = [
    ("binary", check_binary),
    ("cobs", check_cobs),
    ("bytes", check_bytes),
    ("lines", check_lines),
    ("json", check_json),
    ("sse", check_sse),
    ("settings", check_settings),
    ("limits", check_limits),
    ("ssh_keys", check_ssh_keys),
];

/// The frame every stream check must find whole after the garbage.
const MARK_SEQ: u32 = 0x5eed;

fn mark_frame() -> Vec<u8> {
    let frame = sse_tui::frame::Frame {
        seq: Some(MARK_SEQ),
        sample_rate: Some(48_000.0),
        sent_at: None,
        channels: 1,
        payload: sse_tui::frame::Payload::Samples(
            (0..64).map(|i| (i as f32 / 8.0).sin() * 0.5).collect(),
        ),
        labels: None,
        resolution: None,
    };
    let mut bytes = Vec::new();
    assert!(binary::encode_frame(&frame, &mut bytes));
    bytes
}

/// Pushes `input` in random pieces, as reads from a port or a socket split it.
fn in_pieces(input: &[u8], rng: &mut fastrand::Rng, mut push: impl FnMut(&[u8])) {
    let mut rest = input;
    while !rest.is_empty() {
        let n = match rng.u8(..4) {
            0 => 1,
            1 => rng.usize(1..16),
            _ => rng.usize(1..4096),
        }
        .min(rest.len());
        push(&rest[..n]);
        rest = &rest[n..];
    }
}

/// What an outcome says, numbers left out: "TooShort(12)" and "TooShort(13)" are one kind.
fn shape(text: &str) -> String {
    let mut shape = String::new();
    for c in text.chars().take(40) {
        if !c.is_ascii_digit() {
            shape.push(c);
        } else if !shape.ends_with('#') {
            shape.push('#');
        }
    }
    shape
}

fn kinds(items: &[Decoded]) -> String {
    let mut kinds: Vec<String> = items
        .iter()
        .map(|d| match d {
            Decoded::Frame(f) => format!("frame{}", f.channels.min(9)),
            Decoded::Bad(e) => shape(&format!("{e:?}")),
            Decoded::Ignored(_) => "ignored".into(),
        })
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds.join(",")
}

fn check_binary(input: &[u8], _: &mut fastrand::Rng) -> Result<String, String> {
    Ok(match binary::decode(input, Levels::default()) {
        Ok(frame) => format!("frame {} channels", frame.channels),
        Err(e) => shape(&format!("{e:?}")),
    })
}

fn check_cobs(input: &[u8], rng: &mut fastrand::Rng) -> Result<String, String> {
    let mut reader = CobsFrameReader::new(Levels::default());
    let mut out = Vec::new();
    let mut held = Ok(());
    in_pieces(input, rng, |piece| {
        reader.push(piece, &mut out);
        if reader.pending_len() > MAX_ENCODED_LEN && held.is_ok() {
            held = Err(format!("{} bytes held", reader.pending_len()));
        }
    });
    held?;
    let outcome = kinds(&out);
    // The garbage ends at the next delimiter; the frame after it comes out whole.
    out.clear();
    let mut tail = vec![0];
    cobs_stream::encode(&mark_frame(), &mut tail);
    reader.push(&tail, &mut out);
    match out.last() {
        Some(Decoded::Frame(f)) if f.seq == Some(MARK_SEQ) => Ok(outcome),
        other => Err(format!(
            "the intact frame after the garbage came out as {other:?}"
        )),
    }
}

fn check_bytes(input: &[u8], rng: &mut fastrand::Rng) -> Result<String, String> {
    let format = [Format::Auto, Format::Frame, Format::Lines][rng.usize(..3)];
    let mut decoder = ByteDecoder::new(format, LineOptions::default());
    let mut out = Vec::new();
    in_pieces(input, rng, |piece| decoder.push(piece, &mut out));
    decoder.flush(&mut out);
    decoder.finish(&mut out);
    Ok(format!("{} {}", decoder.format_name(), kinds(&out)))
}

fn check_lines(input: &[u8], rng: &mut fastrand::Rng) -> Result<String, String> {
    let mut reader = LineReader::new(LineOptions::default());
    let mut out = Vec::new();
    in_pieces(input, rng, |piece| reader.push(piece, &mut out));
    reader.flush(&mut out);
    reader.finish(&mut out);
    Ok(kinds(&out))
}

fn check_json(input: &[u8], rng: &mut fastrand::Rng) -> Result<String, String> {
    let data = String::from_utf8_lossy(input);
    let event = ["samples", "spectrum", "message", "frame"][rng.usize(..4)];
    let decoded = json::decode_event(event, &data, Some("7"), Levels::default());
    Ok(kinds(std::slice::from_ref(&decoded)))
}

/// The SSE parser's bound on one event's data in these checks.
const MAX_EVENT: usize = 64 * 1024;

fn check_sse(input: &[u8], rng: &mut fastrand::Rng) -> Result<String, String> {
    let mut parser = Parser::new(MAX_EVENT);
    let mut seen = Vec::new();
    in_pieces(input, rng, |piece| {
        parser.push(piece, &mut |p| seen.push(p))
    });
    for parsed in &seen {
        if let Parsed::Event(e) = parsed
            && e.data.len() > MAX_EVENT
        {
            return Err(format!(
                "an event of {} bytes passed the bound",
                e.data.len()
            ));
        }
    }
    let outcome = {
        let mut kinds: Vec<&str> = seen
            .iter()
            .map(|p| match p {
                Parsed::Event(_) => "event",
                Parsed::Retry(_) => "retry",
                Parsed::TooLarge { .. } => "too large",
            })
            .collect();
        kinds.dedup();
        kinds.join(",")
    };
    // Two line ends close whatever the garbage left open; the next event comes out whole.
    seen.clear();
    parser.push(b"\n\nevent: samples\ndata: intact\n\n", &mut |p| {
        seen.push(p)
    });
    match seen.last() {
        Some(Parsed::Event(e)) if e.data == "intact" && e.event_type == "samples" => Ok(outcome),
        other => Err(format!(
            "the intact event after the garbage came out as {other:?}"
        )),
    }
}

fn check_settings(input: &[u8], rng: &mut fastrand::Rng) -> Result<String, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("config.toml");
    std::fs::write(&path, input).map_err(|e| e.to_string())?;
    let mut args: Vec<OsString> = vec!["sse-tui".into(), "--config".into(), path.into()];
    if rng.bool() {
        args.extend(["--profile".into(), "f4-bench".into()]);
    }
    let env = |name: &str| (name == "LAB_TOKEN").then(|| "token".to_owned());
    Ok(match sse_tui::config::parse(args, env) {
        Ok(_) => "ok".into(),
        Err(e) => shape(&format!("{e:?}")),
    })
}

fn check_limits(input: &[u8], _: &mut fastrand::Rng) -> Result<String, String> {
    let text = String::from_utf8_lossy(input);
    Ok(match sse_tui::check::limits::parse(&text, "limits") {
        Ok(limits) => format!("ok {}", limits.limits.len()),
        Err((_, e)) => shape(&format!("{e:?}")),
    })
}

fn check_ssh_keys(input: &[u8], _: &mut fastrand::Rng) -> Result<String, String> {
    let text = String::from_utf8_lossy(input);
    Ok(match sse_tui::serve::ssh::keys::Allowed::parse(&text) {
        Ok(_) => "ok".into(),
        Err(None) => "none".into(),
        Err(Some(why)) => shape(&why),
    })
}

fn fixtures(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(target)
}

fn kept_inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut inputs: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(fixtures(target))
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    inputs.sort();
    inputs
}

/// Runs `check` on `input`, a panic turned into an `Err`.
fn run(check: Check, input: &[u8], rng: &mut fastrand::Rng) -> Result<String, String> {
    std::panic::catch_unwind(AssertUnwindSafe(|| check(input, rng))).unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Err(format!("panicked: {why}"))
    })
}

/// Bytes parsers trip on.
const TRICKY: &[&[u8]] = &[
    b"\0",
    b"\xff",
    b"\n",
    b"\r",
    b"\r\n",
    b":",
    b"\"",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b"=",
    b"-",
    b".",
    b"e",
    b"1e999",
    b"-0",
    b"NaN",
    b"inf",
    b"18446744073709551616",
    b"4294967295",
    b"65535",
    b"\xef\xbb\xbf",
    b"data:",
    b"event:",
    b"id:",
    b"retry:",
    b"\\u0000",
    b"\xc3",
    b"[[",
    b"]]",
    b"#",
    b"'",
    b"\"\"\"",
    b"${",
    b"}",
    b"ssh-ed25519 ",
    b"AAAA",
];

fn mutate(rng: &mut fastrand::Rng, corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut input = corpus[rng.usize(..corpus.len())].clone();
    for _ in 0..rng.usize(1..8) {
        let at = rng.usize(..=input.len());
        match rng.u8(..10) {
            0 if !input.is_empty() => {
                let i = rng.usize(..input.len());
                input[i] ^= 1 << rng.u8(..8);
            }
            1 if !input.is_empty() => {
                let i = rng.usize(..input.len());
                input[i] = rng.u8(..);
            }
            2 => {
                let tricky = TRICKY[rng.usize(..TRICKY.len())];
                input.splice(at..at, tricky.iter().copied());
            }
            3 => {
                let end = rng.usize(at..=input.len().min(at + 256));
                input.drain(at..end);
            }
            4 => {
                let end = rng.usize(at..=input.len().min(at + 256));
                let run = input[at..end].to_vec();
                for _ in 0..rng.usize(1..8) {
                    input.splice(at..at, run.iter().copied());
                }
            }
            5 => {
                let other = &corpus[rng.usize(..corpus.len())];
                let from = rng.usize(..=other.len());
                let to = rng.usize(from..=other.len().min(from + 1024));
                input.splice(at..at, other[from..to].iter().copied());
            }
            6 => input.truncate(at),
            7 => {
                let random: Vec<u8> = (0..rng.usize(1..64)).map(|_| rng.u8(..)).collect();
                input.splice(at..at, random);
            }
            8 if rng.u8(..20) == 0 => {
                // Far longer than any legal input: a stuck line, a frame with no end.
                let byte = [b'a', b'1', 0x55, b' ', b'\xff'][rng.usize(..5)];
                let run = vec![byte; rng.usize(64 * 1024..2 * MAX_ENCODED_LEN)];
                input.splice(at..at, run);
            }
            _ => {}
        }
    }
    input
}

fn fuzz_seconds() -> f64 {
    std::env::var("FUZZ_SECONDS").map_or(3.0, |s| s.parse().expect("FUZZ_SECONDS in seconds"))
}

/// Fuzzes one target for `FUZZ_SECONDS`; returns how many inputs it survived.
fn fuzz(target: &str) -> u64 {
    let check = TARGETS.iter().find(|(name, _)| *name == target).unwrap().1;
    let seed =
        std::env::var("FUZZ_SEED").map_or_else(|_| fastrand::u64(..), |s| s.parse().unwrap());
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut corpus: Vec<Vec<u8>> = kept_inputs(target).into_iter().map(|(_, b)| b).collect();
    assert!(
        !corpus.is_empty(),
        "no inputs in {}",
        fixtures(target).display()
    );
    let mut outcomes = HashSet::new();
    let deadline = Instant::now() + Duration::from_secs_f64(fuzz_seconds());
    let mut inputs = 0u64;
    while Instant::now() < deadline {
        let input = mutate(&mut rng, &corpus);
        inputs += 1;
        match run(check, &input, &mut rng) {
            Ok(outcome) => {
                // A new kind of outcome: the input reached somewhere new; mutate it further.
                if outcomes.insert(outcome) && input.len() <= 256 * 1024 && corpus.len() < 4096 {
                    corpus.push(input);
                }
            }
            Err(why) => {
                let hash = input.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
                    (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
                });
                let path = fixtures(target).join(format!("found-{hash:016x}"));
                std::fs::write(&path, &input).unwrap();
                panic!(
                    "{target} failed after {inputs} inputs (FUZZ_SEED={seed}): {why}; the input is in {}",
                    path.display()
                );
            }
        }
    }
    let peak = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(str::to_owned)
        })
        .unwrap_or_default();
    eprintln!(
        "fuzz {target}: {inputs} inputs in {:.0} s, none failed; {} kinds of outcome, corpus {}; \
         this process's {peak}",
        fuzz_seconds(),
        outcomes.len(),
        corpus.len()
    );
    inputs
}

#[test]
fn every_kept_input_passes() {
    let mut rng = fastrand::Rng::with_seed(1);
    for (target, check) in TARGETS {
        let inputs = kept_inputs(target);
        assert!(!inputs.is_empty(), "no inputs for {target}");
        for (path, input) in inputs {
            if let Err(why) = run(check, &input, &mut rng) {
                panic!("{}: {why}", path.display());
            }
        }
    }
}

macro_rules! fuzz_targets {
    ($($test:ident: $target:literal),* $(,)?) => {$(
        #[test]
        #[ignore = "a fuzzing run of FUZZ_SECONDS (default 3); .ci/run runs it"]
        fn $test() {
            assert!(fuzz($target) > 0);
        }
    )*};
}

fuzz_targets! {
    fuzz_binary: "binary",
    fuzz_cobs: "cobs",
    fuzz_bytes: "bytes",
    fuzz_lines: "lines",
    fuzz_json: "json",
    fuzz_sse: "sse",
    fuzz_settings: "settings",
    fuzz_limits: "limits",
    fuzz_ssh_keys: "ssh_keys",
}
