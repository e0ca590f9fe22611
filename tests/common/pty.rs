//! A program in a real pseudo-terminal, its screen read back through a terminal emulator.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::{Winsize, tcsetwinsize};

pub struct PtyChild {
    master: File,
    pub child: Child,
    output: Receiver<Vec<u8>>,
    pub parser: vt100::Parser,
    /// Every byte the program wrote to the terminal.
    pub bytes: usize,
}

fn winsize(rows: u16, cols: u16) -> Winsize {
    Winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    }
}

impl PtyChild {
    pub fn spawn(program: &str, args: &[&str], rows: u16, cols: u16, env: &[(&str, &str)]) -> Self {
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("openpt");
        grantpt(&master).expect("grantpt");
        unlockpt(&master).expect("unlockpt");
        let name = ptsname(&master, Vec::new()).expect("ptsname");
        tcsetwinsize(&master, winsize(rows, cols)).expect("window size");
        let slave = OpenOptions::new()
            .read(true)
            .write(true)
            .open(name.to_str().expect("utf-8 name"))
            .expect("open the slave side");
        // The program leads a session of its own with the pty as its controlling terminal:
        // util-linux's `setsid --ctty` does that, then execs it. Our child leads no process
        // group, so setsid execs in place without forking: the child's pid stays the
        // program's, and the tests that signal it by pid reach the program itself.
        let mut command = Command::new("setsid");
        command
            .arg("--ctty")
            .arg(program)
            .args(args)
            .env("TERM", "xterm-256color")
            .env_remove("NO_COLOR")
            // The same screen whether the tests run in an SSH session or not (over SSH a
            // screen has a byte budget unless told).
            .env_remove("SSH_CONNECTION")
            .env_remove("SSH_TTY")
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave));
        for (k, v) in env {
            command.env(k, v);
        }
        let child = command
            .spawn()
            .expect("spawn in the pty through setsid (util-linux)");
        let master = File::from(master);
        let mut reader = master.try_clone().unwrap();
        let (tx, output) = channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            // Ends with EIO once the program and every copy of the slave side are gone.
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Self {
            master,
            child,
            output,
            parser: vt100::Parser::new(rows, cols, 0),
            bytes: 0,
        }
    }

    /// Feeds what the program wrote into the emulator until `done` holds or `limit` passes.
    pub fn wait_for(&mut self, limit: Duration, done: impl Fn(&vt100::Screen) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if done(self.parser.screen()) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(bytes) => {
                    self.bytes += bytes.len();
                    self.parser.process(&bytes);
                }
                Err(RecvTimeoutError::Timeout) => return false,
                Err(RecvTimeoutError::Disconnected) => return done(self.parser.screen()),
            }
        }
    }

    /// Reads for `duration`, returning the bytes received in that time.
    pub fn drain_for(&mut self, duration: Duration) -> usize {
        let before = self.bytes;
        let deadline = Instant::now() + duration;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.output.recv_timeout(left) {
                Ok(bytes) => {
                    self.bytes += bytes.len();
                    self.parser.process(&bytes);
                }
                Err(_) => break,
            }
        }
        self.bytes - before
    }

    /// Whether the terminal's output is raw (no processing: a line feed is not turned into a
    /// carriage return and a line feed), as the program running in it has set it.
    pub fn output_is_raw(&self) -> bool {
        let termios = rustix::termios::tcgetattr(&self.master).expect("the terminal's modes");
        !termios
            .output_modes
            .contains(rustix::termios::OutputModes::OPOST)
    }

    pub fn send(&mut self, keys: &[u8]) {
        self.master.write_all(keys).expect("write keys");
    }

    pub fn resize(&mut self, rows: u16, cols: u16) {
        tcsetwinsize(&self.master, winsize(rows, cols)).expect("resize");
        self.parser.screen_mut().set_size(rows, cols);
    }

    /// Waits for the program to exit, reading its output meanwhile.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                self.drain_for(Duration::from_millis(200));
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            self.drain_for(Duration::from_millis(50));
        }
    }

    pub fn screen_text(&self) -> String {
        self.parser.screen().contents()
    }

    /// A row of the screen as text.
    pub fn row(&self, row: u16) -> String {
        let cols = self.parser.screen().size().1;
        self.parser.screen().contents_between(row, 0, row, cols)
    }
}

impl Drop for PtyChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
