//! Helpers shared by the integration tests (and the benchmarks).
#![allow(dead_code)]
pub mod board;
pub mod http;
pub mod nchan;
pub mod peers;
pub mod procfs;
pub mod pty;
pub mod serial;
pub mod tls;

/// Kills the child when a test fails halfway.
pub struct ChildGuard(pub std::process::Child);

impl ChildGuard {
    /// Stdout of a finished child.
    pub fn take_output(&mut self) -> String {
        use std::io::Read;
        let mut out = String::new();
        if let Some(mut stdout) = self.0.stdout.take() {
            stdout.read_to_string(&mut out).unwrap();
        }
        out
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
