//! Helpers shared by the integration tests (and the screen benchmark).
pub mod pty;
