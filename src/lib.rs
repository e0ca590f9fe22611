//! sse-tui: a terminal spectrum monitor for ADC boards.
//!
//! Data flows one way: a source produces [`frame::Decoded`] items, the [`pipeline`] turns
//! them into analysis and statistics, and an immutable [`snapshot::Snapshot`] is what the
//! screen and the headless reporter show.

pub mod analysis;
pub mod ansi;
pub mod check;
pub mod cli;
pub mod clock;
pub mod config;
pub mod engine;
pub mod error;
pub mod export;
pub mod format;
pub mod frame;
pub mod headless;
pub mod link;
pub mod output;
pub mod pipeline;
pub mod plot;
pub mod record;
pub mod report;
pub mod run;
pub mod serve;
pub mod snapshot;
pub mod source;
pub mod sse;
pub mod stats;
pub mod summary;
pub mod tap;
pub mod tui;
pub mod ui;
pub mod vocabulary;
pub mod wire;
