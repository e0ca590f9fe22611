//! Sources: I/O only. Each reads its input, decodes it with the wire module, and sends
//! [`SourceEvent`]s down a bounded channel; reconnecting lives inside the source.

pub mod demo;
pub mod replay;
pub mod serial;
pub mod sse;
