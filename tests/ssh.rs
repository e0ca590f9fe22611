//! `serve --ssh` with the real thing: Debian's OpenSSH client in a pseudo-terminal against the
//! server on loopback, its screen read back through a terminal emulator.
//!
//! Needs `ssh` and `ssh-keygen` (Debian's openssh-client); `.ci/run` installs it.

mod common;

use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::ChildGuard;
use common::pty::PtyChild;
use rustix::process::Signal;

const BIN: &str = env!("CARGO_BIN_EXE_sse-tui");
const LIMIT: Duration = Duration::from_secs(30);

fn keygen(path: &Path) {
    let status = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "watcher@laptop",
            "-f",
        ])
        .arg(path)
        .status()
        .expect("run ssh-keygen (openssh-client)");
    assert!(status.success());
}

/// `serve --demo --ssh` with one listed key; its SSH port and host-key fingerprint.
struct Bench {
    serve: ChildGuard,
    port: u16,
    /// serve's HTTP address (for /metrics).
    http: String,
    fingerprint: String,
    dir: tempfile::TempDir,
}

impl Bench {
    fn start() -> Self {
        Self::start_in(tempfile::tempdir().unwrap(), &[])
    }

    fn start_in(dir: tempfile::TempDir, extra: &[&str]) -> Self {
        let key = dir.path().join("id");
        if !key.exists() {
            keygen(&key);
            // The listed key, with another comment: keys are compared by their data.
            let public = std::fs::read_to_string(dir.path().join("id.pub")).unwrap();
            let listed = public.replace("watcher@laptop", "someone-else");
            std::fs::write(dir.path().join("authorized_keys"), listed).unwrap();
        }
        let mut child = Command::new(BIN)
            .args(["serve", "--no-config", "--demo", "--listen", "127.0.0.1:0"])
            .args(["--ssh", "127.0.0.1:0", "--report-every", "1000"])
            .arg("--ssh-authorized-keys")
            .arg(dir.path().join("authorized_keys"))
            .arg("--ssh-host-key")
            .arg(dir.path().join("host_key"))
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let http = common::served_address(&mut stderr);
        let (port, fingerprint) = common::ssh_address(&mut stderr);
        Self {
            serve: ChildGuard(child),
            port,
            http,
            fingerprint,
            dir,
        }
    }

    /// The value of the sample `name` (with its labels, if any) in `/metrics`.
    fn metric(&self, name: &str) -> f64 {
        let text = common::get_whole(&self.http, "/metrics");
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    }

    fn identity(&self) -> PathBuf {
        self.dir.path().join("id")
    }

    fn ssh_args(&self, identity: &Path) -> Vec<String> {
        let mut args: Vec<String> = common::SSH_CLIENT_OPTIONS.map(String::from).into();
        args.extend(["-i".into(), identity.display().to_string()]);
        args.extend(["-p".into(), self.port.to_string()]);
        args
    }

    /// `ssh -t` in a terminal of `rows` × `cols`.
    fn session(&self, rows: u16, cols: u16) -> PtyChild {
        let mut args = self.ssh_args(&self.identity());
        args.extend(["-t".into(), "watcher@127.0.0.1".into()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        PtyChild::spawn("ssh", &args, rows, cols, &[])
    }

    /// `ssh` without a terminal: its status and what it printed.
    fn run(&self, identity: &Path, extra: &[&str]) -> (Option<i32>, String) {
        let out = Command::new("ssh")
            .args(self.ssh_args(identity))
            .args(extra)
            .stdin(Stdio::null())
            .output()
            .expect("run ssh (openssh-client)");
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.code(), text)
    }
}

fn send_signal(pid: u32, signal: Signal) {
    let pid = rustix::process::Pid::from_raw(pid as i32).expect("a pid");
    rustix::process::kill_process(pid, signal).expect("signal the process");
}

fn live(screen: &vt100::Screen) -> bool {
    let text = screen.contents();
    text.contains("sse-tui") && text.contains("peak 1.0") && text.contains("Latency")
}

#[test]
#[ignore = "needs ssh and ssh-keygen (Debian openssh-client)"]
fn two_sessions_at_their_own_sizes_keys_resize_and_q() {
    let bench = Bench::start();
    let mut wide = bench.session(40, 120);
    let mut small = bench.session(24, 80);
    // Each at its own size: the bottom row of each is drawn (a picture may come in pieces).
    let drawn_to = |row: u16, cols: u16| {
        move |s: &vt100::Screen| live(s) && !s.contents_between(row, 0, row, cols).trim().is_empty()
    };
    assert!(
        wide.wait_for(LIMIT, drawn_to(39, 120)),
        "{}",
        wide.screen_text()
    );
    assert!(
        small.wait_for(LIMIT, drawn_to(23, 80)),
        "{}",
        small.screen_text()
    );
    assert!(wide.parser.screen().alternate_screen());
    // Both are counted, and their pictures' delays from the snapshots are measured.
    assert_eq!(bench.metric("sse_tui_watchers{transport=\"ssh\"}"), 2.0);
    // A session's first picture is the snapshot it started on, not a delay: the count grows
    // with the next snapshot drawn.
    let deadline = std::time::Instant::now() + LIMIT;
    while bench.metric("sse_tui_ssh_picture_delay_seconds_count") == 0.0 {
        assert!(
            std::time::Instant::now() < deadline,
            "no picture's delay was measured"
        );
        wide.drain_for(Duration::from_millis(20));
    }

    // Keys are per session: `v` moves the wide one to the waterfall, not the small one.
    wide.send(b"v");
    assert!(wide.wait_for(LIMIT, |s| s.contents().contains("waterfall")));
    assert!(!small.screen_text().contains("waterfall"));

    // A pasted burst with arrows and a lone Esc-free sequence in one write: `v` then `?`
    // (the key table), and the arrows in between read as arrows, not as stray characters.
    small.send(b"\x1b[A\x1b[Bv?");
    assert!(
        small.wait_for(LIMIT, |s| s.contents().contains("peak search")),
        "{}",
        small.screen_text()
    );

    // A window change redraws at the new size.
    wide.resize(30, 100);
    assert!(
        wide.wait_for(LIMIT, drawn_to(29, 100)),
        "{}",
        wide.screen_text()
    );

    wide.send(b"q");
    let status = wide.wait_exit(LIMIT).expect("q ends the session");
    assert!(status.success(), "{status:?}");
    assert!(
        !wide.parser.screen().alternate_screen(),
        "the alternate screen was left"
    );
    assert!(
        !wide.parser.screen().hide_cursor(),
        "the cursor is shown again"
    );
    // The other session carries on.
    small.send(b"\x1b");
    assert!(small.wait_for(LIMIT, live));
}

/// Two sessions of the same view at the same size share one picture (made once for both),
/// and what one of them shows of its own stays its own: a marker, the help. Each goes back to
/// the shared picture when it closes them, live.
#[test]
#[ignore = "needs ssh and ssh-keygen (Debian openssh-client)"]
fn sessions_that_look_the_same_share_a_picture_and_keep_their_own() {
    let bench = Bench::start();
    let mut one = bench.session(24, 80);
    let mut other = bench.session(24, 80);
    assert!(one.wait_for(LIMIT, live), "{}", one.screen_text());
    assert!(other.wait_for(LIMIT, live), "{}", other.screen_text());
    // The server moves OpenSSH watchers' cursors down by line feeds: their client leaves its
    // terminal's output raw, so a line feed keeps the column.
    assert!(one.output_is_raw(), "OpenSSH's client processes its output");
    const MARKER: &str = "◆";

    one.send(b"m");
    assert!(
        one.wait_for(LIMIT, |s| s.contents().contains(MARKER)),
        "{}",
        one.screen_text()
    );
    // The other keeps drawing, without the marker.
    other.drain_for(Duration::from_millis(500));
    assert!(live(other.parser.screen()), "{}", other.screen_text());
    assert!(
        !other.screen_text().contains(MARKER),
        "{}",
        other.screen_text()
    );

    other.send(b"?");
    assert!(other.wait_for(LIMIT, |s| s.contents().contains("peak search")));
    one.drain_for(Duration::from_millis(500));
    assert!(
        !one.screen_text().contains("peak search"),
        "{}",
        one.screen_text()
    );
    assert!(one.screen_text().contains(MARKER), "{}", one.screen_text());

    // Both closed: the same picture again, live on both.
    one.send(b"m");
    other.send(b"?");
    assert!(one.wait_for(LIMIT, |s| live(s) && !s.contents().contains(MARKER)));
    assert!(other.wait_for(LIMIT, |s| live(s) && !s.contents().contains("peak search")));
}

#[test]
#[ignore = "needs ssh and ssh-keygen (Debian openssh-client)"]
fn unlisted_keys_passwords_commands_and_no_pty_get_a_clear_answer() {
    let bench = Bench::start();
    let stranger = bench.dir.path().join("stranger");
    keygen(&stranger);
    let (status, text) = bench.run(&stranger, &["127.0.0.1", "true"]);
    assert_eq!(status, Some(255), "{text}");
    assert!(text.contains("Permission denied (publickey)"), "{text}");

    let password = Command::new("ssh")
        .args(bench.ssh_args(&stranger))
        .args([
            "-o",
            "PreferredAuthentications=password,keyboard-interactive",
        ])
        .args(["127.0.0.1", "true"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(password.status.code(), Some(255));
    assert!(String::from_utf8_lossy(&password.stderr).contains("Permission denied (publickey)"));

    let (status, text) = bench.run(&bench.identity(), &["127.0.0.1", "uname", "-a"]);
    assert_eq!(status, Some(2), "{text}");
    assert!(text.contains("runs no commands"), "{text}");
    assert!(text.contains(&format!("ssh -p {}", bench.port)), "{text}");

    let (status, text) = bench.run(&bench.identity(), &["-T", "127.0.0.1"]);
    assert_eq!(status, Some(1), "{text}");
    assert!(text.contains("needs a terminal"), "{text}");
}

#[test]
#[ignore = "needs ssh and ssh-keygen (Debian openssh-client)"]
fn the_host_key_is_kept_across_restarts() {
    let first = Bench::start();
    let fingerprint = first.fingerprint.clone();
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(first.dir.path().join("host_key"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let Bench { serve, dir, .. } = first;
    drop(serve);
    let second = Bench::start_in(dir, &[]);
    assert_eq!(second.fingerprint, fingerprint);
    assert!(fingerprint.starts_with("SHA256:"), "{fingerprint}");
}

#[test]
#[ignore = "needs ssh and ssh-keygen (Debian openssh-client)"]
fn a_stalled_session_does_not_slow_another() {
    let bench = Bench::start();
    let mut stalled = bench.session(50, 200);
    assert!(stalled.wait_for(LIMIT, live));
    // The stalled watcher's client stops reading its socket: the server's window for it
    // fills and its pictures wait.
    let pid = stalled.child.id();
    send_signal(pid, Signal::STOP);
    let mut reader = bench.session(24, 80);
    assert!(reader.wait_for(LIMIT, live));
    // The other session keeps getting new pictures, one after another.
    for _ in 0..20 {
        let before = reader.screen_text();
        assert!(
            reader.wait_for(LIMIT, |s| s.contents() != before),
            "the reading session stopped getting pictures"
        );
    }
    send_signal(pid, Signal::CONT);
}

/// `serve` told to stop (SIGTERM) ends a live session itself: the watcher's terminal is given
/// back (alternate screen left, cursor shown) with a sentence, and ssh ends with status 1.
#[test]
#[ignore = "needs ssh and ssh-keygen (Debian openssh-client)"]
fn a_stopping_server_gives_the_watchers_terminal_back() {
    let mut bench = Bench::start();
    let mut watcher = bench.session(40, 120);
    assert!(watcher.wait_for(LIMIT, live));
    send_signal(bench.serve.0.id(), Signal::TERM);
    let status = watcher.wait_exit(LIMIT).expect("the session ends");
    assert_eq!(status.code(), Some(1), "{status:?}");
    let screen = watcher.parser.screen();
    assert!(!screen.alternate_screen(), "the alternate screen was left");
    assert!(!screen.hide_cursor(), "the cursor is shown again");
    assert!(
        watcher.screen_text().contains("the server is stopping"),
        "{}",
        watcher.screen_text()
    );
    let serve = bench.serve.0.wait().unwrap();
    assert!(serve.success(), "{serve:?}");
}

/// A client whose input is not a terminal (`ssh -tt host < /dev/null`, a script) asks for a
/// 0×0 pty and closes its input at once. The session draws at 80×24, as a terminal of unknown
/// size does (it drew one cell before), and the end of the input only means no more keys: the
/// screen goes on, and nobody is told the server is stopping when it is not. When the client
/// goes, its session is given back.
#[test]
#[ignore = "needs ssh and ssh-keygen (Debian openssh-client)"]
fn a_client_without_a_terminal_is_drawn_at_80x24_and_its_eof_is_no_goodbye() {
    use std::io::Read;
    let bench = Bench::start();
    let mut args = bench.ssh_args(&bench.identity());
    args.extend(["-tt".into(), "watcher@127.0.0.1".into()]);
    let mut client = ChildGuard(
        Command::new("ssh")
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("run ssh (openssh-client)"),
    );
    let mut stdout = client.0.stdout.take().unwrap();
    let (tx, output) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    // An emulator larger than 80×24: whatever is drawn beyond it shows.
    let mut parser = vt100::Parser::new(50, 200, 0);
    let mut everything = Vec::new();
    let deadline = std::time::Instant::now() + LIMIT;
    let mut read_until = |parser: &mut vt100::Parser, done: &dyn Fn(&vt100::Screen) -> bool| {
        while !done(parser.screen()) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let bytes = output
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("{}", parser.screen().contents()));
            everything.extend_from_slice(&bytes);
            parser.process(&bytes);
        }
    };
    let bottom_row_drawn = |s: &vt100::Screen| !s.contents_between(23, 0, 23, 80).trim().is_empty();
    read_until(&mut parser, &|s| live(s) && bottom_row_drawn(s));
    let screen = parser.screen();
    for row in 0..50 {
        for col in 0..200 {
            if row >= 24 || col >= 80 {
                let cell = screen.cell(row, col).unwrap();
                assert!(
                    cell.contents().trim().is_empty(),
                    "drawn at {row},{col} beyond 80×24: {}",
                    screen.contents()
                );
            }
        }
    }
    // The input ended long ago (stdin is /dev/null): pictures still come.
    for _ in 0..5 {
        let before = parser.screen().contents();
        read_until(&mut parser, &|s| s.contents() != before);
    }
    assert!(!String::from_utf8_lossy(&everything).contains("stopping"));
    assert_eq!(bench.metric("sse_tui_watchers{transport=\"ssh\"}"), 1.0);
    // The client goes: its seat is given back.
    drop(client);
    let deadline = std::time::Instant::now() + LIMIT;
    while bench.metric("sse_tui_watchers{transport=\"ssh\"}") != 0.0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the session was not ended"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// OpenSSH's `LoginGraceTime` and `MaxStartups`: connections that sent only a banner, or
/// nothing, are closed once the grace is over, and those beyond the number that may wait
/// are closed at once; a watcher who authenticated keeps its screen past the grace. (Before,
/// 200 banner-only connections were all open 150 s later.)
#[test]
#[ignore = "needs ssh and ssh-keygen (Debian openssh-client)"]
fn strangers_who_do_not_authenticate_are_let_go_and_a_watcher_is_not() {
    use std::io::{Read, Write};
    let bench = Bench::start_in(
        tempfile::tempdir().unwrap(),
        &["--ssh-login-grace", "5", "--ssh-max-startups", "4"],
    );
    let mut watcher = bench.session(24, 80);
    assert!(
        watcher.wait_for(LIMIT, |s| s.contents().contains("frames")),
        "{}",
        watcher.screen_text()
    );
    let address = format!("127.0.0.1:{}", bench.port);
    let connect = |banner: bool| {
        let mut socket = std::net::TcpStream::connect(&address).unwrap();
        if banner {
            socket.write_all(b"SSH-2.0-stranger\r\n").unwrap();
        }
        socket
    };
    let mut waiting: Vec<_> = (0..4).map(|i| connect(i % 2 == 0)).collect();
    // A fifth is more than may wait: closed unread.
    let mut fifth = connect(true);
    let closed = |socket: &mut std::net::TcpStream| {
        socket.set_read_timeout(Some(LIMIT)).unwrap();
        let mut buffer = [0u8; 4096];
        loop {
            match socket.read(&mut buffer) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
                Err(_) => return false,
            }
        }
    };
    assert!(closed(&mut fifth), "the fifth is still open");
    for (i, socket) in waiting.iter_mut().enumerate() {
        assert!(closed(socket), "stranger {i} is still open past the grace");
    }
    // The grace is over for everyone: the watcher's screen still answers its keys.
    watcher.send(b"t");
    assert!(
        watcher.wait_for(LIMIT, |s| s.contents().contains("SNR")),
        "{}",
        watcher.screen_text()
    );
    watcher.send(b"q");
    assert!(watcher.wait_exit(LIMIT).is_some());
}

/// `serve` of several boards over SSH (SPEC §16): the session opens on the wall, a tile per
/// board; Tab and Enter open one board whole, Esc goes back, q ends the session.
#[test]
#[ignore = "needs ssh and ssh-keygen (Debian openssh-client)"]
fn a_session_of_several_boards_opens_on_the_wall() {
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("two.bin");
    common::generator::Signal {
        tones: vec![(2000.0, 0.5)],
        ..common::generator::tone()
    }
    .record(&recording, 3000);
    let replay = format!("two={}", recording.display());
    let bench = Bench::start_in(dir, &["--replay", &replay]);
    let mut session = bench.session(24, 80);
    let near = |s: &vt100::Screen, name: &str, hz: f64| {
        common::wall::tile_peak(s, name).is_some_and(|p| (p - hz).abs() <= 48_000.0 / 1024.0)
    };
    let wall = |s: &vt100::Screen| {
        s.contents().contains("2 boards") && near(s, "two", 2000.0) && near(s, "demo", 1000.0)
    };
    assert!(session.wait_for(LIMIT, wall), "{}", session.screen_text());
    // The tiles are in the order of the boards: the recording's, then the demo; Tab picks
    // the demo, Enter opens it whole.
    session.send(b"\t\r");
    assert!(
        session.wait_for(LIMIT, |s| live(s)
            && s.contents().contains("demo · Esc: the wall")),
        "{}",
        session.screen_text()
    );
    session.send(b"\x1b");
    assert!(session.wait_for(LIMIT, wall), "{}", session.screen_text());
    session.send(b"q");
    let status = session.wait_exit(LIMIT).expect("q ends the session");
    assert!(status.success(), "{status:?}");
}
