//! Debian's Chromium, driven over the DevTools protocol by npm `puppeteer-core`
//! (benches/peers/page_driver.mjs): the dashboard's and the report's tests read pages with it.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{Value, json};

use super::ChildGuard;

/// Where the tests leave screenshots for a person to look at.
pub fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub struct Browser {
    child: ChildGuard,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Browser {
    pub fn start() -> Self {
        Self::with_flags(&[])
    }

    /// Chromium with further command-line flags.
    pub fn with_flags(flags: &[&str]) -> Self {
        let peers = super::peers::ensure();
        // A process group of its own: Chromium, node's child, goes with it (see Drop).
        let mut child: Child = Command::new("node")
            .arg(peers.join("page_driver.mjs"))
            .arg("/usr/bin/chromium")
            .args(flags)
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run node");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Self {
            child: ChildGuard(child),
            stdin,
            stdout,
        }
    }

    pub fn ask(&mut self, command: Value) -> Value {
        writeln!(self.stdin, "{command}").unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        let answer: Value = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("the page driver said {line:?} to {command}"));
        assert_eq!(answer["ok"], true, "{command}: {answer}");
        answer
    }

    pub fn wait_state(&mut self, state: &str) -> Value {
        self.ask(json!({"cmd": "wait", "attr": "state", "equals": state}))["dataset"].clone()
    }
}

impl Drop for Browser {
    /// The whole group, Chromium's processes included, also when a test fails halfway.
    fn drop(&mut self) {
        if let Some(group) = rustix::process::Pid::from_raw(self.child.0.id() as i32) {
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        }
    }
}
