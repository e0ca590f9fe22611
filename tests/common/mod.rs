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

/// The address `serve` listens on, from its first line on stderr ("… serving http://ADDR/ …").
pub fn served_address(stderr: &mut impl std::io::BufRead) -> String {
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    line.split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned()
}

/// The SSH port and host-key fingerprint `serve --ssh` announces on stderr ("… ssh -p PORT
/// IP (host key SHA256:…)"), read after the `served_address` line.
pub fn ssh_address(stderr: &mut impl std::io::BufRead) -> (u16, String) {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "serve ended");
        if let Some(rest) = line.split("ssh -p ").nth(1) {
            let port = rest.split(' ').next().unwrap().parse().unwrap();
            let fingerprint = line.split("host key ").nth(1).unwrap();
            return (port, fingerprint.trim_end_matches([')', '\n']).to_owned());
        }
    }
}

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
