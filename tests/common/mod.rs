//! Helpers shared by the integration tests (and the benchmarks).
#![allow(dead_code)]
pub mod board;
pub mod browser;
pub mod generator;
pub mod http;
pub mod nchan;
pub mod peers;
pub mod procfs;
pub mod proxy;
pub mod pty;
pub mod replayed;
pub mod serial;
pub mod tls;
pub mod wall;

/// `command` (a `serve`) started with stderr piped, and the address it listens on.
pub fn spawn_served(command: &mut std::process::Command) -> (std::process::Child, String) {
    let mut child = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let addr = served_address(&mut std::io::BufReader::new(child.stderr.take().unwrap()));
    (child, addr)
}

/// The address `serve` listens on, from its first line on stderr ("… serving http://ADDR/ …",
/// or https).
pub fn served_address(stderr: &mut impl std::io::BufRead) -> String {
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    line.split("://")
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

/// `GET path` on `addr` with `Connection: close`: the whole response, head and body.
pub fn get_whole(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text
}

/// Debian's OpenSSH client against a server of our own on loopback: no user configuration, no
/// known hosts (the server's key is new each run), no questions, only the key given.
pub const SSH_CLIENT_OPTIONS: [&str; 12] = [
    "-F",
    "/dev/null",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "BatchMode=yes",
];

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
