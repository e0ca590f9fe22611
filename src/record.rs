//! `--record FILE`: every received frame appended as a COBS-framed binary frame (SPEC §1).

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::frame::Frame;
use crate::wire::{binary, cobs_stream};

pub struct Recorder {
    out: BufWriter<File>,
    frame: Vec<u8>,
    encoded: Vec<u8>,
}

impl Recorder {
    pub fn append_to(path: &Path) -> std::io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self {
            out: BufWriter::with_capacity(256 * 1024, file),
            frame: Vec::new(),
            encoded: Vec::new(),
        })
    }

    pub fn write(&mut self, frame: &Frame) -> std::io::Result<()> {
        self.frame.clear();
        self.encoded.clear();
        if !binary::encode_frame(frame, &mut self.frame) {
            return Ok(());
        }
        cobs_stream::encode(&self.frame, &mut self.encoded);
        self.out.write_all(&self.encoded)
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
