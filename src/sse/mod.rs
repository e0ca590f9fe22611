//! Server-Sent Events: the stream parser and the reconnecting client.

pub mod client;
pub mod parser;
