//! The state of the link to the data and how the sender's clock relates to ours: what
//! sources report, and what the pipeline, the screens and the reports show. A module of its
//! own so that sources and snapshots both use it without using each other.

use std::time::Instant;

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

/// How absolute latency relates to the sender's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ClockSync {
    /// No correction known: the two clocks are assumed to agree.
    #[default]
    Uncorrected,
    /// Corrected by a clock probe (SPEC §6) with this round trip.
    Probed { offset_us: i64, rtt_us: i64 },
}
