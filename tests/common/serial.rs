//! Driving the serial source in-process: a reader of its events, and frames to send it.

use std::path::Path;
use std::time::Duration;

use sse_tui::clock::Clock;
use sse_tui::frame::{Decoded, Frame};
use sse_tui::link::LinkState;
use sse_tui::source::serial::{self, SerialOptions};
use sse_tui::vocabulary::SourceEvent;
use sse_tui::wire::binary::{self, Dtype, Header};
use sse_tui::wire::lines::LineOptions;
use sse_tui::wire::{ByteDecoder, Format, cobs_stream};
use tokio::sync::mpsc;

pub const LIMIT: Duration = Duration::from_secs(30);

pub struct Reader {
    rx: mpsc::Receiver<SourceEvent>,
    runtime: tokio::runtime::Runtime,
}

impl Reader {
    pub fn new(rx: mpsc::Receiver<SourceEvent>) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        Self { rx, runtime }
    }

    pub fn start(link: &Path, format: Format) -> Self {
        let (tx, rx) = mpsc::channel(64);
        let options = SerialOptions {
            wait: true,
            retry_every: Duration::from_millis(10),
            ..SerialOptions::new(link.to_str().unwrap(), 115_200)
        };
        serial::spawn(
            options,
            move || ByteDecoder::new(format, LineOptions::default()),
            tx,
            Clock::new(),
        );
        Self::new(rx)
    }

    /// The next event, or a failed test after `LIMIT`.
    pub fn next(&mut self) -> SourceEvent {
        let rx = &mut self.rx;
        match self
            .runtime
            .block_on(async { tokio::time::timeout(LIMIT, rx.recv()).await })
        {
            Ok(Some(event)) => event,
            Ok(None) => panic!("the source ended"),
            Err(_) => panic!("no event in time"),
        }
    }

    pub fn until_state(&mut self, want: impl Fn(&LinkState) -> bool) -> LinkState {
        loop {
            if let SourceEvent::Status(state) = self.next()
                && want(&state)
            {
                return state;
            }
        }
    }

    /// Decoded items until `count` frames have arrived.
    pub fn items_until_frames(&mut self, count: usize) -> Vec<Decoded> {
        let mut items = Vec::new();
        while items
            .iter()
            .filter(|i| matches!(i, Decoded::Frame(_)))
            .count()
            < count
        {
            if let SourceEvent::Data { items: more, .. } = self.next() {
                items.extend(more);
            }
        }
        items
    }
}

pub fn frame_bytes(seq: u32) -> Vec<u8> {
    let samples: Vec<i16> = (0..256)
        .map(|i| (8000.0 * (std::f64::consts::TAU * 32.0 * i as f64 / 256.0).sin()) as i16)
        .collect();
    let mut frame = Vec::new();
    binary::encode_values(
        &Header::samples(Dtype::I16, seq, 8000, None),
        &samples,
        i16::to_le_bytes,
        &mut frame,
    );
    let mut out = Vec::new();
    cobs_stream::encode(&frame, &mut out);
    out
}

pub fn seqs(items: &[Decoded]) -> Vec<u32> {
    items
        .iter()
        .filter_map(|i| match i {
            Decoded::Frame(Frame { seq, .. }) => *seq,
            _ => None,
        })
        .collect()
}
