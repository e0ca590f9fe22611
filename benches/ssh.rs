//! The screen over SSH at scale (issue 12): N concurrent sessions of `serve --demo --ssh`, each
//! a 120×40 `xterm-256color` pty at 30 fps, from one load generator (russh's client, every
//! session in this process on one thread), compared with one `sse-tui` run inside an OpenSSH
//! session (Debian's sshd on loopback, `ssh -t … sse-tui` in a 120×40 pseudo-terminal: what a
//! watcher costs who logs in and runs it there), and with the same `sse-tui` in a plain
//! pseudo-terminal (the program without sshd).
//!
//! The phases run one after the other in the same run, each measured over the same number of
//! seconds: (1) the server with no session; (2) the server with N sessions; (3) one sse-tui in
//! a pty; (4) one sse-tui through sshd. The lone screens are measured at the same time after
//! their start as (2) is after the server's, so all show the same part of the demo's minute-long
//! sweep (the bytes a picture takes follow the sweep). Measured: CPU (user + system, from
//! /proc) of the server, of sse-tui, of sshd's processes for the session, and of the load
//! generator; resident memory (per session: the growth from (1) to (2) over N); bytes per
//! session per second, both the SSH payload (what the watcher's terminal gets) and the TCP
//! bytes (encryption and framing included); and the delay from a snapshot to its picture
//! handed to the SSH connection, from the server's own histogram
//! (`sse_tui_ssh_picture_delay_seconds` in /metrics, read before and after; p50 and p99
//! interpolated within the buckets as Prometheus's `histogram_quantile` does).
//! Run: `cargo bench --bench ssh` (`-- quick`: 20 sessions and shorter phases; `-- sessions=N`
//! for another count). `-- baseline=PATH` runs phase (2) instead with another build of
//! sse-tui (an earlier commit's) and with this one, in alternate rounds (`rounds=N`, 2 by
//! default), and prints them side by side. The OpenSSH row needs openssh-server and openssh-client (Debian) and is
//! left out, said so, without them.

// Shared with the tests and the other benches; each uses part of it (the module allows that).
#[path = "../tests/common/mod.rs"]
mod common;

use std::io::BufReader;
use std::pin::Pin;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use common::pty::PtyChild;
use common::{ChildGuard, procfs};
use russh::client;
use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::{PrivateKey, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

const BIN: &str = env!("CARGO_BIN_EXE_sse-tui");
const COLUMNS: u32 = 120;
const ROWS: u32 = 40;
const DELAY_FAMILY: &str = "sse_tui_ssh_picture_delay_seconds";

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let (mut sessions, seconds) = if quick { (20, 5.0) } else { (100, 10.0) };
    if let Some(n) = std::env::args().find_map(|a| a.strip_prefix("sessions=")?.parse().ok()) {
        sessions = n;
    }
    let window = Duration::from_secs_f64(seconds);
    let settle = Duration::from_secs(3);

    let dir = tempfile::tempdir().unwrap();
    let key = PrivateKey::from(Ed25519Keypair::from_seed(&[7; 32]));
    let listed = key.public_key().to_openssh().unwrap() + "\n";
    std::fs::write(dir.path().join("authorized_keys"), &listed).unwrap();
    if let Some(baseline) =
        std::env::args().find_map(|a| a.strip_prefix("baseline=").map(str::to_owned))
    {
        let rounds = std::env::args()
            .find_map(|a| a.strip_prefix("rounds=")?.parse().ok())
            .unwrap_or(2);
        let key = Arc::new(key);
        compare(
            dir.path(),
            &key,
            sessions,
            &baseline,
            rounds,
            settle,
            window,
        );
        return;
    }
    let server = Server::start(BIN, dir.path(), sessions);
    let idle = server.over(settle, window);
    let served = with_sessions(&server, Arc::new(key.clone()), sessions, settle, window);
    drop(server);
    let alone = one_screen(Lone::Pty, served.offset, window);
    let through_sshd = OpenSsh::start(dir.path(), &key)
        .map(|sshd| one_screen(Lone::OpenSsh(&sshd), served.offset, window));

    println!(
        "## {sessions} SSH sessions of `serve --demo --ssh` at {COLUMNS}×{ROWS}, 30 fps, over {seconds:.0} s\n"
    );
    println!("| | CPU (% of a core) | memory | bytes/s to the terminal | bytes/s on the wire |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| server, no session | {:.1} % | {:.1} MB | – | – |",
        idle.cpu, idle.rss_mb
    );
    println!(
        "| server, {sessions} sessions | {:.1} % | {:.1} MB | {:.0} per session (min {:.0}, max {:.0}) | {:.0} per session |",
        served.server.cpu,
        served.server.rss_mb,
        served.payload_per_s.mean,
        served.payload_per_s.min,
        served.payload_per_s.max,
        served.wire_per_s.mean
    );
    let per_session_cpu = (served.server.cpu - idle.cpu) / sessions as f64;
    let per_session_mb = (served.server.rss_mb - idle.rss_mb) / sessions as f64;
    println!(
        "| **one session of `serve --ssh`** (growth over no session, / {sessions}) | **{per_session_cpu:.2} %** | **{:.0} KB** | | |",
        per_session_mb * 1024.0
    );
    match &through_sshd {
        Ok(lone) => println!(
            "| **one `ssh -t host sse-tui` through OpenSSH's sshd** (sse-tui + sshd's processes) | **{:.1} %** (sse-tui {:.1} %, sshd {:.1} %) | **{:.1} MB** (sse-tui {:.1} MB) | {:.0} | – |",
            lone.cpu + lone.helper_cpu,
            lone.cpu,
            lone.helper_cpu,
            lone.rss_mb + lone.helper_rss_mb,
            lone.rss_mb,
            lone.bytes_per_s
        ),
        Err(why) => println!("| one `ssh -t host sse-tui` through sshd | left out: {why} | | | |"),
    }
    println!(
        "| one `sse-tui` in a plain pty (no sshd) | {:.1} % | {:.1} MB | {:.0} | – |",
        alone.cpu, alone.rss_mb, alone.bytes_per_s
    );
    println!();
    if let Ok(lone) = &through_sshd {
        let openssh = lone.cpu + lone.helper_cpu;
        let memory = (lone.rss_mb + lone.helper_rss_mb) / per_session_mb;
        println!(
            "- a session of `serve --ssh` costs {:.3} of an OpenSSH login running sse-tui in CPU ({:.0}× less) and {:.2} in memory ({memory:.0}× less)",
            per_session_cpu / openssh,
            openssh / per_session_cpu,
            1.0 / memory
        );
    }
    println!(
        "- against sse-tui alone in a pty (no sshd): {:.3} of its CPU",
        per_session_cpu / alone.cpu
    );
    println!(
        "- snapshot to the SSH connection, over {} pictures: p50 {}, p99 {}",
        served.delay.count(),
        served.delay.quantile_text(0.5),
        served.delay.quantile_text(0.99)
    );
    println!(
        "- load generator (this process, {sessions} russh clients on one thread): {:.1} % of a core",
        served.generator_cpu
    );
    println!(
        "- session 0's screen is live: {}",
        if served.live { "yes" } else { "NO" }
    );
}

/// Phase (2) with `baseline` and with this build, in alternate rounds.
fn compare(
    dir: &std::path::Path,
    key: &Arc<PrivateKey>,
    sessions: usize,
    baseline: &str,
    rounds: usize,
    settle: Duration,
    window: Duration,
) {
    println!(
        "## {sessions} SSH sessions of `serve --demo --ssh` at {COLUMNS}×{ROWS}, 30 fps, {:.0} s a round: {baseline} against this build\n",
        window.as_secs_f64()
    );
    println!(
        "| round | build | server CPU | memory | to each terminal | pictures a session a second | snapshot → SSH p50 / p99 | load generator |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|");
    for round in 1..=rounds {
        for (name, bin) in [("baseline", baseline), ("this build", BIN)] {
            let server = Server::start(bin, dir, sessions);
            let served = with_sessions(&server, key.clone(), sessions, settle, window);
            drop(server);
            let pictures = served.delay.count() as f64 / sessions as f64 / window.as_secs_f64();
            println!(
                "| {round} | {name} | {:.1} % | {:.0} MB | {:.0} B/s | {pictures:.1} | {} / {} | {:.1} % |",
                served.server.cpu,
                served.server.rss_mb,
                served.payload_per_s.mean,
                served.delay.quantile_text(0.5),
                served.delay.quantile_text(0.99),
                served.generator_cpu
            );
        }
    }
}

/// CPU (% of one core), resident memory and terminal bytes of one process over a window.
#[derive(Clone, Copy, Debug)]
struct Cost {
    cpu: f64,
    rss_mb: f64,
    bytes_per_s: f64,
    /// The processes that carry it to the watcher (sshd's, for a login), if any.
    helper_cpu: f64,
    helper_rss_mb: f64,
}

/// How the one sse-tui is run: in a pty of its own, or by `ssh -t` through sshd.
enum Lone<'a> {
    Pty,
    OpenSsh(&'a OpenSsh),
}

/// One sse-tui on the demo board in a 120×40 pty, measured over `window` from `offset` after
/// its start (the demo's sweep then stands where the server's did).
fn one_screen(how: Lone, offset: Duration, window: Duration) -> Cost {
    let started = Instant::now();
    let mut tui = match &how {
        Lone::Pty => PtyChild::spawn(BIN, &["--no-config"], ROWS as u16, COLUMNS as u16, &[]),
        Lone::OpenSsh(sshd) => sshd.login(&[BIN, "--no-config"]),
    };
    assert!(
        tui.wait_for(Duration::from_secs(30), |s| s
            .contents()
            .contains("Latency")),
        "sse-tui did not show its screen: {}",
        tui.screen_text()
    );
    tui.drain_for(offset.saturating_sub(started.elapsed()));
    // The processes to count: sse-tui itself, and for a login sshd's for this session.
    let (tui_pids, helpers) = match &how {
        Lone::Pty => (vec![tui.child.id()], Vec::new()),
        Lone::OpenSsh(sshd) => {
            let tree = descendants(sshd.pid());
            tree.into_iter().partition(|&pid| is_program(pid, BIN))
        }
    };
    assert!(!tui_pids.is_empty(), "no sse-tui process found");
    let cpu = |pids: &[u32]| -> f64 { pids.iter().filter_map(|&p| procfs::process_cpu(p)).sum() };
    let rss = |pids: &[u32]| -> f64 {
        pids.iter()
            .filter_map(|&p| procfs::memory_mb(p, "VmRSS"))
            .sum()
    };
    let (cpu0, helpers0) = (cpu(&tui_pids), cpu(&helpers));
    let t0 = Instant::now();
    let bytes = tui.drain_for(window);
    let elapsed = t0.elapsed().as_secs_f64();
    let cost = Cost {
        cpu: (cpu(&tui_pids) - cpu0) / elapsed * 100.0,
        rss_mb: rss(&tui_pids),
        bytes_per_s: bytes as f64 / elapsed,
        helper_cpu: (cpu(&helpers) - helpers0) / elapsed * 100.0,
        helper_rss_mb: rss(&helpers),
    };
    tui.send(b"q");
    let _ = tui.wait_exit(Duration::from_secs(10));
    cost
}

/// Every process below `root`, from the parent links in /proc.
fn descendants(root: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            let ppid = stat[stat.rfind(')')? + 2..]
                .split(' ')
                .nth(1)?
                .parse()
                .ok()?;
            Some((pid, ppid))
        })
        .collect();
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            parents
                .iter()
                .filter(|(_, p)| *p == parent)
                .map(|(c, _)| *c),
        );
        i += 1;
    }
    found.remove(0);
    found
}

fn is_program(pid: u32, program: &str) -> bool {
    std::fs::read_link(format!("/proc/{pid}/exe"))
        .is_ok_and(|exe| std::fs::canonicalize(program).is_ok_and(|p| p == exe))
}

/// Debian's sshd on a loopback port, in a directory of its own, admitting the bench key.
struct OpenSsh {
    daemon: ChildGuard,
    port: u16,
    identity: std::path::PathBuf,
}

impl OpenSsh {
    const SSHD: &str = "/usr/sbin/sshd";

    fn start(dir: &std::path::Path, key: &PrivateKey) -> Result<Self, String> {
        if !std::path::Path::new(Self::SSHD).exists() {
            return Err("needs openssh-server (Debian)".into());
        }
        if Command::new("ssh").arg("-V").output().is_err() {
            return Err("needs openssh-client (Debian)".into());
        }
        let dir = dir.join("sshd");
        std::fs::create_dir_all(&dir).unwrap();
        let identity = dir.join("id");
        let private = key
            .to_openssh(russh::keys::ssh_key::LineEnding::LF)
            .unwrap();
        std::fs::write(&identity, private.as_bytes()).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&identity, std::fs::Permissions::from_mode(0o600)).unwrap();
        let host_key = dir.join("host_key");
        let made = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&host_key)
            .status()
            .map_err(|e| format!("ssh-keygen: {e}"))?;
        if !made.success() {
            return Err("ssh-keygen failed".into());
        }
        // sshd wants its privilege-separation directory.
        let _ = std::fs::create_dir_all("/run/sshd");
        let port = common::nchan::free_port();
        let config = dir.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "ListenAddress 127.0.0.1\nPort {port}\nHostKey {}\nAuthorizedKeysFile {}\n\
                 PidFile none\nUsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\nPrintMotd no\n\
                 PrintLastLog no\nAcceptEnv TERM\n",
                host_key.display(),
                dir.parent().unwrap().join("authorized_keys").display()
            ),
        )
        .unwrap();
        let daemon = Command::new(Self::SSHD)
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("sshd: {e}"))?;
        let mut daemon = ChildGuard(daemon);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if daemon.0.try_wait().ok().flatten().is_some() {
                return Err(
                    "sshd did not start (it needs root here, or a user it can log in)".into(),
                );
            }
            if started.elapsed() > Duration::from_secs(30) {
                return Err("sshd did not listen within 30 s".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Self {
            daemon,
            port,
            identity,
        })
    }

    fn pid(&self) -> u32 {
        self.daemon.0.id()
    }

    /// `ssh -t` to this machine's sshd running `command`, in a 120×40 pty.
    fn login(&self, command: &[&str]) -> PtyChild {
        let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
        let port = self.port.to_string();
        let identity = self.identity.display().to_string();
        let target = format!("{user}@127.0.0.1");
        let mut args = common::SSH_CLIENT_OPTIONS.to_vec();
        args.extend(["-i", &identity, "-p", &port, "-t", &target]);
        args.extend(command);
        PtyChild::spawn("ssh", &args, ROWS as u16, COLUMNS as u16, &[])
    }
}

/// `serve --demo --ssh` on loopback, admitting the one bench key.
struct Server {
    child: ChildGuard,
    started: Instant,
    http: String,
    ssh_port: u16,
}

impl Server {
    fn start(bin: &str, dir: &std::path::Path, sessions: usize) -> Self {
        let started = Instant::now();
        let mut child = Command::new(bin)
            .args(["serve", "--no-config", "--demo", "--listen", "127.0.0.1:0"])
            .args(["--ssh", "127.0.0.1:0", "--report-every", "1000"])
            .args(["--ssh-max-sessions", &sessions.to_string()])
            // Every session logs in at once here: none is a stranger to be kept waiting.
            .args(["--ssh-max-startups", &sessions.to_string()])
            .arg("--ssh-authorized-keys")
            .arg(dir.join("authorized_keys"))
            .arg("--ssh-host-key")
            .arg(dir.join("host_key"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start sse-tui serve");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let http = common::served_address(&mut stderr);
        let (ssh_port, _) = common::ssh_address(&mut stderr);
        // Keep reading stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        Self {
            child: ChildGuard(child),
            started,
            http,
            ssh_port,
        }
    }

    fn pid(&self) -> u32 {
        self.child.0.id()
    }

    /// The server's CPU and memory over `window`, after `settle`.
    fn over(&self, settle: Duration, window: Duration) -> Cost {
        std::thread::sleep(settle);
        let cpu0 = procfs::process_cpu(self.pid()).unwrap();
        let t0 = Instant::now();
        std::thread::sleep(window);
        self.cost_since(cpu0, t0)
    }

    fn cost_since(&self, cpu0: f64, t0: Instant) -> Cost {
        let elapsed = t0.elapsed().as_secs_f64();
        Cost {
            cpu: (procfs::process_cpu(self.pid()).unwrap() - cpu0) / elapsed * 100.0,
            rss_mb: procfs::memory_mb(self.pid(), "VmRSS").unwrap(),
            bytes_per_s: 0.0,
            helper_cpu: 0.0,
            helper_rss_mb: 0.0,
        }
    }

    /// The picture-delay histogram from /metrics: (upper bound, cumulative count) per bucket.
    fn delays(&self) -> Delays {
        let text = common::get_whole(&self.http, "/metrics");
        let prefix = format!("{DELAY_FAMILY}_bucket{{le=\"");
        let buckets = text
            .lines()
            .filter_map(|line| {
                let rest = line.strip_prefix(&prefix)?;
                let (bound, count) = rest.split_once("\"} ")?;
                let bound = if bound == "+Inf" {
                    f64::INFINITY
                } else {
                    bound.parse().ok()?
                };
                Some((bound, count.trim().parse().ok()?))
            })
            .collect::<Vec<(f64, u64)>>();
        assert!(!buckets.is_empty(), "no {DELAY_FAMILY} in /metrics");
        Delays(buckets)
    }
}

/// A cumulative histogram: (upper bound in seconds, count at or below it).
struct Delays(Vec<(f64, u64)>);

impl Delays {
    fn minus(&self, earlier: &Delays) -> Delays {
        Delays(
            self.0
                .iter()
                .zip(&earlier.0)
                .map(|(&(bound, now), &(_, then))| (bound, now - then))
                .collect(),
        )
    }

    fn count(&self) -> u64 {
        self.0.last().map_or(0, |&(_, n)| n)
    }

    /// The `q` quantile, linear within its bucket (Prometheus's `histogram_quantile`).
    fn quantile_text(&self, q: f64) -> String {
        let total = self.count() as f64;
        if total == 0.0 {
            return "no pictures".to_owned();
        }
        let rank = q * total;
        let mut lower = (0.0, 0u64);
        for &(bound, count) in &self.0 {
            if count as f64 >= rank {
                if bound.is_infinite() {
                    return format!("> {:.0} ms", lower.0 * 1000.0);
                }
                let share = (rank - lower.1 as f64) / (count - lower.1).max(1) as f64;
                let seconds = lower.0 + (bound - lower.0) * share;
                return format!("{:.2} ms", seconds * 1000.0);
            }
            lower = (bound, count);
        }
        unreachable!("the +Inf bucket holds every count")
    }
}

/// Mean, least and most over the sessions.
struct Spread {
    mean: f64,
    min: f64,
    max: f64,
}

impl Spread {
    fn of(values: &[f64]) -> Self {
        Spread {
            mean: values.iter().sum::<f64>() / values.len() as f64,
            min: values.iter().copied().fold(f64::INFINITY, f64::min),
            max: values.iter().copied().fold(0.0, f64::max),
        }
    }
}

struct Served {
    /// When the measuring began, after the server's start.
    offset: Duration,
    server: Cost,
    payload_per_s: Spread,
    wire_per_s: Spread,
    delay: Delays,
    generator_cpu: f64,
    live: bool,
}

/// What one session has received so far.
#[derive(Default)]
struct Received {
    payload: AtomicU64,
    wire: AtomicU64,
}

/// `sessions` watchers at once; the server, the bytes and the delays over `window`.
fn with_sessions(
    server: &Server,
    key: Arc<PrivateKey>,
    sessions: usize,
    settle: Duration,
    window: Duration,
) -> Served {
    // One thread for every client: the load generator must be lighter than the server.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let received: Vec<Arc<Received>> = (0..sessions).map(|_| Arc::default()).collect();
    let screen = Arc::new(Mutex::new(vt100::Parser::new(
        ROWS as u16,
        COLUMNS as u16,
        0,
    )));
    let addr = format!("127.0.0.1:{}", server.ssh_port);
    let generator = std::thread::spawn({
        let received = received.clone();
        let screen = screen.clone();
        move || {
            runtime.block_on(async move {
                let watchers: Vec<_> = received
                    .into_iter()
                    .enumerate()
                    .map(|(i, counts)| {
                        let screen = (i == 0).then(|| screen.clone());
                        tokio::spawn(watch(addr.clone(), key.clone(), counts, screen))
                    })
                    .collect();
                for watcher in watchers {
                    if let Err(why) = watcher.await.unwrap() {
                        panic!("a session failed: {why}");
                    }
                }
            })
        }
    });
    // Every session has its first picture before the clock starts.
    let connected = Instant::now();
    while received
        .iter()
        .any(|r| r.payload.load(Ordering::Relaxed) == 0)
    {
        assert!(
            connected.elapsed() < Duration::from_secs(60),
            "not every session got a picture"
        );
        assert!(!generator.is_finished(), "the load generator stopped");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(settle);
    let read = |pick: fn(&Received) -> &AtomicU64| -> Vec<u64> {
        received
            .iter()
            .map(|r| pick(r).load(Ordering::Relaxed))
            .collect()
    };
    let (payload0, wire0) = (read(|r| &r.payload), read(|r| &r.wire));
    let delays0 = server.delays();
    let me = std::path::Path::new("/proc/self/stat");
    let generator0 = procfs::cpu_seconds(me).unwrap();
    let cpu0 = procfs::process_cpu(server.pid()).unwrap();
    let t0 = Instant::now();
    let offset = t0 - server.started;
    std::thread::sleep(window);
    let cost = server.cost_since(cpu0, t0);
    let elapsed = t0.elapsed().as_secs_f64();
    let generator_cpu = (procfs::cpu_seconds(me).unwrap() - generator0) / elapsed * 100.0;
    let delay = server.delays().minus(&delays0);
    let rate = |now: Vec<u64>, then: Vec<u64>| -> Vec<f64> {
        now.iter()
            .zip(&then)
            .map(|(n, t)| (n - t) as f64 / elapsed)
            .collect()
    };
    let payload_per_s = Spread::of(&rate(read(|r| &r.payload), payload0));
    let wire_per_s = Spread::of(&rate(read(|r| &r.wire), wire0));
    let text = screen.lock().unwrap().screen().contents();
    let live = text.contains("peak 1.0") && text.contains("Latency");
    // The sessions end with the server (the generator's thread is left to end with us).
    Served {
        offset,
        server: cost,
        payload_per_s,
        wire_per_s,
        delay,
        generator_cpu,
        live,
    }
}

struct Watcher;

impl client::Handler for Watcher {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        _key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// One watcher: log in, ask for a 120×40 terminal and the shell, and count what comes.
async fn watch(
    addr: String,
    key: Arc<PrivateKey>,
    counts: Arc<Received>,
    screen: Option<Arc<Mutex<vt100::Parser>>>,
) -> Result<(), String> {
    let tcp = tokio::net::TcpStream::connect(&addr)
        .await
        .map_err(|e| e.to_string())?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    let stream = Counted {
        inner: tcp,
        counts: counts.clone(),
    };
    let config = Arc::new(client::Config::default());
    let mut handle = client::connect_stream(config, stream, Watcher)
        .await
        .map_err(|e| e.to_string())?;
    let auth = handle
        .authenticate_publickey("bench", PrivateKeyWithHashAlg::new(key, None))
        .await
        .map_err(|e| e.to_string())?;
    if !auth.success() {
        return Err("the bench key was refused".into());
    }
    let mut channel = handle
        .channel_open_session()
        .await
        .map_err(|e| e.to_string())?;
    channel
        .request_pty(false, "xterm-256color", COLUMNS, ROWS, 0, 0, &[])
        .await
        .map_err(|e| e.to_string())?;
    channel
        .request_shell(false)
        .await
        .map_err(|e| e.to_string())?;
    while let Some(message) = channel.wait().await {
        if let russh::ChannelMsg::Data { data } = message {
            counts
                .payload
                .fetch_add(data.len() as u64, Ordering::Relaxed);
            if let Some(screen) = &screen {
                screen.lock().unwrap().process(&data);
            }
        }
    }
    Ok(())
}

/// A TCP stream that counts the bytes it reads (what the server's socket sent).
struct Counted {
    inner: tokio::net::TcpStream,
    counts: Arc<Received>,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        let read = buf.filled().len() - before;
        self.counts.wire.fetch_add(read as u64, Ordering::Relaxed);
        polled
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
