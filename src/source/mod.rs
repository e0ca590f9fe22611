//! Sources: I/O only. Each reads its input, decodes it with the wire module, and sends
//! [`SourceEvent`]s down a bounded channel; reconnecting lives inside the source.

pub mod demo;
pub mod replay;
pub mod serial;
pub mod sse;

use tokio::sync::mpsc;

use crate::clock::Arrival;
use crate::frame::Decoded;
use crate::link::{ClockSync, LinkState};

#[derive(Debug)]
pub enum SourceEvent {
    Status(LinkState),
    /// What one read brought: `bytes` read at `arrival`, decoded into `items`.
    Data {
        arrival: Arrival,
        bytes: usize,
        items: Vec<Decoded>,
    },
    /// Something worth a line on screen (what auto-detection chose, say).
    Notice(String),
    /// Something gone wrong beside the data (the recording stopped, say): shown until reset.
    Warning(String),
    /// How the sender's clock relates to ours (from a clock probe).
    ClockSync(ClockSync),
}

/// Sources send into this. Bounded: a source that outruns the analysis waits.
pub type EventSender = mpsc::Sender<SourceEvent>;

/// Room for this many events (each a whole read's worth of frames).
pub const CHANNEL_CAPACITY: usize = 256;
