//! Sources: I/O only. Each reads its input, decodes it with the wire module, and sends
//! [`SourceEvent`]s down a bounded channel; reconnecting lives inside the source.

pub mod demo;
pub mod replay;
pub mod serial;
pub mod sse;

use std::time::Instant;

use tokio::sync::mpsc;

use crate::clock::Arrival;
use crate::frame::Decoded;

/// The state of the link to the data, as the screen and reports show it.
#[derive(Clone, Debug, PartialEq)]
pub enum LinkState {
    Connecting,
    Connected,
    /// Lost; a new attempt is due at `retry_at` (when known).
    Disconnected {
        reason: String,
        retry_at: Option<Instant>,
    },
    /// The input ended normally (a replay reached its end).
    Ended,
    /// The source gave up for good: exit status 1 with this sentence.
    Failed(String),
}

impl LinkState {
    /// The state's name in headless reports (SPEC §5).
    pub fn name(&self) -> &'static str {
        match self {
            LinkState::Connecting => "connecting",
            LinkState::Connected => "connected",
            LinkState::Disconnected { .. } => "disconnected",
            LinkState::Ended | LinkState::Failed(_) => "ended",
        }
    }

    pub fn is_final(&self) -> bool {
        matches!(self, LinkState::Ended | LinkState::Failed(_))
    }
}

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
    /// How the sender's clock relates to ours (from a clock probe).
    ClockSync(crate::snapshot::ClockSync),
}

/// Sources send into this. Bounded: a source that outruns the analysis waits.
pub type EventSender = mpsc::Sender<SourceEvent>;

/// Room for this many events (each a whole read's worth of frames).
pub const CHANNEL_CAPACITY: usize = 256;
