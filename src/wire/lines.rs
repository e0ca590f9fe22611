//! Text lines (SPEC §2): what firmware that prints sends.

use std::sync::Arc;

use crate::frame::{
    Decoded, Frame, FrameError, Levels, MAX_LEVEL, Payload, check_power, full_scale_magnitude,
};
use crate::wire::binary::MAX_CHANNELS;

/// A longer line is bad (SPEC §2).
pub const MAX_LINE: usize = 64 * 1024;
/// A line of more than this many values is a block, under `--lines auto`.
const AUTO_BLOCK_THRESHOLD: usize = 16;
/// Column-mode instants are gathered into frames of this many.
pub const COLUMN_BLOCK: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum TextKind {
    #[default]
    Samples,
    Spectrum,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LineLayout {
    #[default]
    Auto,
    Columns,
    Block,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LineOptions {
    pub kind: TextKind,
    pub layout: LineLayout,
    /// The full-scale amplitude in the printed units (default 1), and the window a board
    /// applied to a spectrum it prints.
    pub levels: Levels,
}

#[derive(Debug)]
pub struct LineReader {
    options: LineOptions,
    line: Vec<u8>,
    /// The current line passed [`MAX_LINE`]: drop the rest of it, then count it bad.
    overlong: bool,
    /// Column-mode instants not yet emitted, interleaved.
    block: Vec<f32>,
    block_channels: usize,
    block_labels: Option<Arc<[String]>>,
    values: Vec<f64>,
    labels: Vec<String>,
}

impl LineReader {
    pub fn new(options: LineOptions) -> Self {
        Self {
            options,
            line: Vec::new(),
            overlong: false,
            block: Vec::new(),
            block_channels: 0,
            block_labels: None,
            values: Vec::new(),
            labels: Vec::new(),
        }
    }

    pub fn push(&mut self, mut bytes: &[u8], out: &mut Vec<Decoded>) {
        while let Some(end) = bytes.iter().position(|&b| b == b'\n') {
            self.append(&bytes[..end]);
            if self.overlong {
                self.overlong = false;
                out.push(Decoded::Bad(FrameError::TooLong(MAX_LINE)));
            } else {
                let line = std::mem::take(&mut self.line);
                self.parse_line(&line, out);
                self.line = line;
            }
            self.line.clear();
            bytes = &bytes[end + 1..];
        }
        self.append(bytes);
    }

    /// Emits gathered column instants now: at the end of input, or when the input idles.
    pub fn flush(&mut self, out: &mut Vec<Decoded>) {
        if !self.block.is_empty() {
            let frame = Frame {
                seq: None,
                sample_rate: None,
                sent_at: None,
                channels: self.block_channels,
                payload: Payload::Samples(std::mem::take(&mut self.block)),
                labels: self.block_labels.clone(),
                resolution: None,
            };
            out.push(Decoded::Frame(frame));
        }
    }

    /// At the end of the input: a last line without a newline still counts.
    pub fn finish(&mut self, out: &mut Vec<Decoded>) {
        if self.overlong {
            self.overlong = false;
            out.push(Decoded::Bad(FrameError::TooLong(MAX_LINE)));
        } else if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            self.parse_line(&line, out);
        }
        self.line.clear();
        self.flush(out);
    }

    fn append(&mut self, bytes: &[u8]) {
        if self.overlong {
            return;
        }
        if self.line.len() + bytes.len() > MAX_LINE {
            self.overlong = true;
            self.line.clear();
        } else {
            self.line.extend_from_slice(bytes);
        }
    }

    fn parse_line(&mut self, line: &[u8], out: &mut Vec<Decoded>) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Ok(text) = std::str::from_utf8(line) else {
            out.push(Decoded::Bad(FrameError::NotANumber(
                String::from_utf8_lossy(line).chars().take(32).collect(),
            )));
            return;
        };
        let text = text.trim();
        if text.is_empty() || text.starts_with('#') {
            return;
        }
        if let Err(e) = self.tokenize(text) {
            out.push(Decoded::Bad(e));
            return;
        }
        if self.values.is_empty() {
            // Separators and nothing else.
            out.push(Decoded::Bad(FrameError::MissingPayload));
            return;
        }
        let is_block = match self.options.layout {
            LineLayout::Block => true,
            LineLayout::Columns => false,
            LineLayout::Auto => self.values.len() > AUTO_BLOCK_THRESHOLD,
        };
        let full_scale = self.options.levels.full_scale.unwrap_or(1.0);
        let scale = 1.0 / full_scale;
        // Checked once scaled, as f32: `1e39` parses as a finite f64 and is infinite as f32.
        let in_range = |v: f64| (v * scale).abs() <= MAX_LEVEL;
        if !self.values.iter().all(|&v| in_range(v)) {
            out.push(Decoded::Bad(FrameError::OutOfRange));
            return;
        }
        if self.options.kind == TextKind::Spectrum {
            // Magnitudes of an unnormalised FFT, as in a binary frame (SPEC §1).
            let window = self.options.levels.window(None);
            let scale = 1.0 / full_scale_magnitude(self.values.len(), full_scale, window);
            let power: Vec<f32> = self
                .values
                .iter()
                .map(|&v| ((v * scale) * (v * scale)) as f32)
                .collect();
            if let Err(e) = check_power(&power) {
                out.push(Decoded::Bad(e));
                return;
            }
            out.push(Decoded::Frame(single_channel(Payload::Spectrum {
                power,
                window,
            })));
        } else if is_block {
            let samples = self.values.iter().map(|&v| (v * scale) as f32).collect();
            out.push(Decoded::Frame(single_channel(Payload::Samples(samples))));
        } else {
            let channels = self.values.len();
            if channels > MAX_CHANNELS {
                out.push(Decoded::Bad(FrameError::Channels(channels)));
                return;
            }
            let labels = self.labels_if_named();
            if channels != self.block_channels || labels != self.block_labels {
                self.flush(out);
                self.block_channels = channels;
                self.block_labels = labels;
            }
            self.block
                .extend(self.values.iter().map(|&v| (v * scale) as f32));
            if self.block.len() >= COLUMN_BLOCK * channels {
                self.flush(out);
            }
        }
    }

    /// Splits on commas, spaces, tabs and semicolons; `label:value` names a channel.
    fn tokenize(&mut self, text: &str) -> Result<(), FrameError> {
        self.values.clear();
        self.labels.clear();
        for token in text.split([',', ' ', '\t', ';']).filter(|t| !t.is_empty()) {
            let (label, number) = match token.rsplit_once(':') {
                Some((label, number)) => (label, number),
                None => ("", token),
            };
            let value: f64 = number
                .parse()
                .map_err(|_| FrameError::NotANumber(token.chars().take(32).collect()))?;
            if !value.is_finite() {
                return Err(FrameError::NonFinite);
            }
            self.values.push(value);
            self.labels.push(label.to_owned());
        }
        Ok(())
    }

    /// The channel names, reusing the previous allocation while they do not change.
    fn labels_if_named(&self) -> Option<Arc<[String]>> {
        if self.labels.iter().all(String::is_empty) {
            return None;
        }
        match &self.block_labels {
            Some(known) if known[..] == self.labels[..] => Some(known.clone()),
            _ => Some(self.labels.clone().into()),
        }
    }
}

fn single_channel(payload: Payload) -> Frame {
    Frame {
        seq: None,
        sample_rate: None,
        sent_at: None,
        channels: 1,
        payload,
        labels: None,
        resolution: None,
    }
}

/// Writes one instant per line in Arduino serial-plotter style (`a:1,b:2`), for tests and demos.
pub fn encode_columns(labels: &[&str], instants: &[Vec<f64>]) -> String {
    let mut text = String::new();
    for instant in instants {
        let fields: Vec<String> = instant
            .iter()
            .enumerate()
            .map(|(i, v)| match labels.get(i) {
                Some(l) => format!("{l}:{v}"),
                None => v.to_string(),
            })
            .collect();
        text.push_str(&fields.join(","));
        text.push('\n');
    }
    text
}

/// Writes one block of samples as one line.
pub fn encode_block(samples: &[f64]) -> String {
    let mut line = samples
        .iter()
        .map(f64::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    line.push('\n');
    line
}
