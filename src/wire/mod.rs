//! Wire formats (SPEC §1–§3): bytes or events in, [`Decoded`](crate::frame::Decoded) items out.
//! Every decoder here is pure: no I/O, input split at any byte, bounded memory.

pub mod binary;
pub mod cobs_stream;
pub mod json;
pub mod lines;

use crate::frame::Decoded;
use cobs_stream::CobsFrameReader;
use lines::{LineOptions, LineReader};

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Auto,
    Frame,
    Lines,
    Json,
}

/// How many leading bytes auto-detection looks at, at most.
const DETECT_WINDOW: usize = 256;

/// A byte-stream decoder (serial, file) that picks COBS frames or text lines.
#[derive(Debug)]
pub struct ByteDecoder {
    state: State,
    line_options: LineOptions,
    notice: Option<String>,
    /// The stream was joined mid-way (a serial port opened while the board sends).
    mid_stream: bool,
}

#[derive(Debug)]
enum State {
    Detecting(Vec<u8>),
    Frames(CobsFrameReader),
    Lines(LineReader),
}

impl ByteDecoder {
    /// `format` is `Auto`, `Frame` or `Lines` (`Json` is for SSE events and reads as `Auto`).
    pub fn new(format: Format, line_options: LineOptions) -> Self {
        let state = match format {
            Format::Frame => State::Frames(CobsFrameReader::new(line_options.levels)),
            Format::Lines => State::Lines(LineReader::new(line_options)),
            Format::Auto | Format::Json => State::Detecting(Vec::new()),
        };
        Self {
            state,
            line_options,
            notice: None,
            mid_stream: false,
        }
    }

    /// For a stream joined mid-way, as a serial port opened while the board sends is: a
    /// fragment of a frame before the first delimiter is the join, not a bad frame.
    pub fn joining_mid_stream(mut self) -> Self {
        self.mid_stream = true;
        if let State::Frames(reader) = self.state {
            self.state = State::Frames(reader.joining_mid_stream());
        }
        self
    }

    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<Decoded>) {
        match &mut self.state {
            State::Frames(reader) => reader.push(bytes, out),
            State::Lines(reader) => reader.push(bytes, out),
            State::Detecting(head) => {
                head.extend_from_slice(bytes);
                if let Some(choice) = detect(head, false) {
                    let head = std::mem::take(head);
                    self.choose(choice);
                    self.push(&head, out);
                }
            }
        }
    }

    /// Text column instants waiting for a full block are emitted now (the input went idle).
    pub fn flush(&mut self, out: &mut Vec<Decoded>) {
        if let State::Lines(reader) = &mut self.state {
            reader.flush(out);
        }
    }

    /// End of input: whatever is held is decoded or counted as bad.
    pub fn finish(&mut self, out: &mut Vec<Decoded>) {
        if let State::Detecting(head) = &mut self.state {
            if head.is_empty() {
                return;
            }
            let head = std::mem::take(head);
            self.choose(detect(&head, true).unwrap_or(Choice::Frames));
            self.push(&head, out);
        }
        match &mut self.state {
            State::Frames(reader) => reader.finish(out),
            State::Lines(reader) => reader.finish(out),
            State::Detecting(_) => {}
        }
    }

    /// A one-time message saying what auto-detection chose.
    pub fn take_notice(&mut self) -> Option<String> {
        self.notice.take()
    }

    /// "frames", "lines" or "detecting".
    pub fn format_name(&self) -> &'static str {
        match self.state {
            State::Detecting(_) => "detecting",
            State::Frames(_) => "binary frames",
            State::Lines(_) => "text lines",
        }
    }

    fn choose(&mut self, choice: Choice) {
        self.state = match choice {
            Choice::Frames => {
                let reader = CobsFrameReader::new(self.line_options.levels);
                State::Frames(if self.mid_stream {
                    reader.joining_mid_stream()
                } else {
                    reader
                })
            }
            Choice::Lines => State::Lines(LineReader::new(self.line_options)),
        };
        self.notice = Some(format!("input looks like {}", self.format_name()));
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Choice {
    Frames,
    Lines,
}

/// Text is printable ASCII plus CR, LF and tab; frames are binary and end in 0x00.
/// Decides once a line ends in text, a 0x00 appears, or the window fills.
fn detect(head: &[u8], at_end: bool) -> Option<Choice> {
    let is_text = |b: &u8| matches!(b, b'\n' | b'\r' | b'\t' | 0x20..=0x7e);
    let window = &head[..head.len().min(DETECT_WINDOW)];
    if window.contains(&0) {
        return Some(Choice::Frames);
    }
    let text = window.iter().filter(|b| is_text(b)).count();
    let mostly_text = text * 100 >= window.len() * 95;
    if let Some(newline) = window.iter().position(|&b| b == b'\n') {
        // A complete first line settles it (a serial port opened mid-line may start with a fragment).
        if window[..newline].iter().all(is_text) {
            return Some(Choice::Lines);
        }
    }
    if window.len() >= DETECT_WINDOW || at_end {
        return Some(if mostly_text {
            Choice::Lines
        } else {
            Choice::Frames
        });
    }
    None
}

#[cfg(test)]
mod tests;
