//! Binary frames on a byte stream (SPEC §1): each frame COBS-encoded and followed by 0x00.
//!
//! The reader accepts input split at any byte and resynchronises at the next 0x00 after
//! any damage, so at most the damaged frame is lost. Memory is bounded: a run of bytes
//! longer than the largest legal frame is discarded up to the next delimiter.

use crate::frame::{Decoded, FrameError, Levels};
use crate::wire::binary;

/// COBS adds at most one byte in 254; the delimiter is not stored.
pub const MAX_ENCODED_LEN: usize = binary::MAX_FRAME_LEN + binary::MAX_FRAME_LEN / 254 + 1;

#[derive(Debug)]
pub struct CobsFrameReader {
    pending: Vec<u8>,
    /// Set once `pending` overflowed: everything up to the next 0x00 is one bad chunk.
    overflowed: bool,
    levels: Levels,
    /// Set while the first chunk of a stream joined mid-way (a serial port opened while the
    /// board sends) is awaited: a fragment there is the join, not damage.
    joining: bool,
}

impl CobsFrameReader {
    pub fn new(levels: Levels) -> Self {
        Self {
            pending: Vec::new(),
            overflowed: false,
            levels,
            joining: false,
        }
    }

    /// Feeds bytes; every complete chunk becomes a frame or a bad item in `out`.
    pub fn push(&mut self, mut bytes: &[u8], out: &mut Vec<Decoded>) {
        while let Some(end) = bytes.iter().position(|&b| b == 0) {
            let (chunk, rest) = (&bytes[..end], &bytes[end + 1..]);
            if self.overflowed {
                self.overflowed = false;
                out.push(Decoded::Bad(FrameError::TooLong(MAX_ENCODED_LEN)));
            } else if self.pending.is_empty() {
                // The common case: the whole chunk arrived in one read.
                self.pending.extend_from_slice(chunk);
                self.finish_chunk(out);
            } else {
                self.append(chunk);
                if self.overflowed {
                    self.overflowed = false;
                    self.joining = false;
                    out.push(Decoded::Bad(FrameError::TooLong(MAX_ENCODED_LEN)));
                } else {
                    self.finish_chunk(out);
                }
            }
            bytes = rest;
        }
        self.append(bytes);
    }

    /// Bytes held while waiting for a delimiter (bounded by [`MAX_ENCODED_LEN`]).
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// At the end of the input: an unterminated tail is a truncated frame.
    pub fn finish(&mut self, out: &mut Vec<Decoded>) {
        if self.overflowed || !self.pending.is_empty() {
            self.pending.clear();
            self.overflowed = false;
            out.push(Decoded::Bad(FrameError::Cobs));
        }
    }

    fn append(&mut self, bytes: &[u8]) {
        if self.overflowed {
            return;
        }
        if self.pending.len() + bytes.len() > MAX_ENCODED_LEN {
            self.pending.clear();
            self.pending.shrink_to(64 * 1024);
            self.overflowed = true;
        } else {
            self.pending.extend_from_slice(bytes);
        }
    }

    /// For a stream joined mid-way: the bytes before the first delimiter are dropped
    /// uncounted unless they make a whole frame.
    pub fn joining_mid_stream(mut self) -> Self {
        self.joining = true;
        self
    }

    fn finish_chunk(&mut self, out: &mut Vec<Decoded>) {
        // Back-to-back delimiters are an empty chunk: padding, not damage.
        if !self.pending.is_empty() {
            let item = match cobs::decode_in_place(&mut self.pending) {
                Ok(len) => match binary::decode(&self.pending[..len], self.levels) {
                    Ok(frame) => Decoded::Frame(frame),
                    Err(e) => Decoded::Bad(e),
                },
                Err(_) => Decoded::Bad(FrameError::Cobs),
            };
            if !(self.joining && matches!(item, Decoded::Bad(_))) {
                out.push(item);
            }
            self.joining = false;
        }
        self.pending.clear();
    }
}

/// Appends one frame, COBS-encoded and delimited, to `out`.
pub fn encode(frame_bytes: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + cobs::max_encoding_length(frame_bytes.len()), 0);
    let len = cobs::encode(frame_bytes, &mut out[start..]);
    out.truncate(start + len);
    out.push(0);
}
