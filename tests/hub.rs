//! Fan-out past one machine (SPEC §10) with the real thing: Debian's nginx with
//! libnginx-mod-nchan, two nodes sharing one redis-server, configured from
//! assets/deploy/nchan-node.conf.template. `serve --publish` pushes to node A, `sse-tui --url`
//! watches on node B; node A is stopped and started again mid-stream while `serve` and its
//! own watchers carry on; and `serve --publish` pushes through a proxy that cuts its
//! connections at random.
//!
//! Needs nginx, libnginx-mod-nchan and redis-server (Debian); `.ci/run` installs them.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Instant;

use common::ChildGuard;
use common::nchan::{LIMIT, Node, redis};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_sse-tui");

/// `serve --demo --publish URL`, its report lines on a channel.
struct Serve {
    _child: ChildGuard,
    pid: u32,
    addr: String,
    reports: mpsc::Receiver<Value>,
}

impl Serve {
    fn start(publish: &str) -> Self {
        let mut child: Child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--demo", "--no-config"])
            .args(["--publish", publish, "--report-every", "0.2"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let addr = common::served_address(&mut BufReader::new(child.stderr.take().unwrap()));
        let stdout = child.stdout.take().unwrap();
        let (tx, reports) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(serde_json::from_str(&line).unwrap()).is_err() {
                    return;
                }
            }
        });
        Self {
            pid: child.id(),
            _child: ChildGuard(child),
            addr,
            reports,
        }
    }

    /// The first report whose `publish` entry satisfies `want`. Fails the test, with the last
    /// `publish` entry seen, if none has within [`LIMIT`] (serve reports every 0.2 s, so a
    /// state that never comes would otherwise be waited for forever).
    fn report_where(&self, want: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + LIMIT;
        let mut last = Value::Null;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let report = match self.reports.recv_timeout(left) {
                Ok(report) => report,
                Err(mpsc::RecvTimeoutError::Timeout) => panic!(
                    "no report with the publish entry wanted within {LIMIT:?}; the last one: {last}"
                ),
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    panic!("serve stopped reporting; the last publish entry: {last}")
                }
            };
            if want(&report["publish"][0]) {
                return report;
            }
            last = report["publish"][0].clone();
        }
    }
}

/// The summary of the real binary watching `url` for `frames` frames.
fn watch(url: &str, frames: u32) -> Value {
    let out = Command::new(BIN)
        .args(["--url", url, "--headless", "--no-config"])
        .args(["--frames", &frames.to_string(), "--duration", "120"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
}

fn assert_whole(summary: &Value, frames: u32, what: &str) {
    assert_eq!(summary["frames"], frames, "{what}: {summary}");
    assert_eq!(summary["dropped"], 0, "{what}: {summary}");
    assert_eq!(summary["bad_frames"], 0, "{what}: {summary}");
    assert_eq!(summary["duplicates"], 0, "{what}: {summary}");
}

#[test]
#[ignore = "needs nginx, libnginx-mod-nchan and redis-server"]
fn a_feed_crosses_two_nchan_nodes_and_survives_a_node_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (_redis, redis_port) = redis(dir.path());
    let mut a = Node::configure(dir.path(), "a", redis_port);
    let b = Node::configure(dir.path(), "b", redis_port);
    let serve = Serve::start(&a.url("/pub?id=board1"));
    let on_b = b.url("/sub?id=board1");

    // Board → serve → node A → Redis → node B → watcher: every frame, none lost.
    assert_whole(&watch(&on_b, 200), 200, "through the hub");
    let before = serve.report_where(|p| p["state"] == "up");
    assert_eq!(before["publish"][0]["failed"], 0, "{before}");

    // Node A goes: serve says so, and it and its own watchers carry on.
    a.stop();
    let outage = serve.report_where(|p| p["state"] == "retrying");
    let error = outage["publish"][0]["last_error"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(error.starts_with("cannot connect"), "{outage}");
    assert_whole(
        &watch(&format!("http://{}/events", serve.addr), 50),
        50,
        "serve during the outage",
    );
    let during = serve.report_where(|p| p["failed"].as_u64() > Some(0));
    assert_eq!(
        during["state"], "connected",
        "the source never noticed: {during}"
    );

    // Node A back: publishing resumes, and B's watchers get every frame again.
    a.start();
    let ok_then = during["publish"][0]["ok"].as_u64().unwrap();
    serve.report_where(|p| p["state"] == "up" && p["ok"].as_u64() > Some(ok_then));
    assert_whole(&watch(&on_b, 100), 100, "through the hub after the restart");
}

/// `serve --publish` → the fault proxy (cutting the requests at random offsets, trickling,
/// stalling, delaying) → nchan → a watcher: each cut costs one event sent again, the watcher
/// gets every frame, and a copy the hub had taken already is skipped by its `seq`, never
/// counted as new.
#[test]
#[ignore = "needs nginx, libnginx-mod-nchan and redis-server"]
fn random_cuts_between_serve_and_the_hub_lose_nothing() {
    use common::proxy::{FaultProxy, Faults, Toward};
    let dir = tempfile::tempdir().unwrap();
    let (_redis, redis_port) = redis(dir.path());
    let node = Node::configure(dir.path(), "a", redis_port);
    let proxy = FaultProxy::start(
        &format!("127.0.0.1:{}", node.port),
        Faults {
            toward: Toward::Upstream,
            cut_after: common::proxy::cut_after_from_env(20_000..600_000),
            max_cuts: std::env::var("FAULT_CUTS").map_or(12, |n| n.parse().unwrap()),
            trickle: 256,
            stall: std::time::Duration::from_millis(300),
            delay: std::time::Duration::from_millis(2),
            seed: 23,
        },
    );
    let serve = Serve::start(&format!("http://{}/pub?id=cuts", proxy.addr));
    let frames = std::env::var("FAULT_FRAMES").map_or(1000, |n| n.parse().unwrap());
    let watched = watch(&node.url("/sub?id=cuts"), frames);
    let report = serve.report_where(|p| p["ok"].as_u64() >= Some(frames.into()));
    let publish = &report["publish"][0];
    let rss_mb = common::procfs::memory_mb(serve.pid, "VmHWM").unwrap();
    eprintln!(
        "{} cuts, {} connections, serve peak {rss_mb:.1} MB; publish {publish}; watcher: \
         frames {}, dropped {}, duplicates skipped {}",
        proxy.cuts(),
        proxy.connections(),
        watched["frames"],
        watched["dropped"],
        watched["duplicates"]
    );
    assert_eq!(watched["frames"], frames, "{watched}");
    assert_eq!(watched["dropped"], 0, "lost: {watched}");
    assert_eq!(watched["bad_frames"], 0, "{watched}");
    assert!(proxy.cuts() >= 3, "only {} cuts", proxy.cuts());
    assert_eq!(publish["failed"], 0, "{publish}");
    assert_eq!(publish["resent"], proxy.cuts(), "{publish}");
    // A copy is skipped, never new: at most one per event sent again.
    assert!(watched["duplicates"].as_u64() <= publish["resent"].as_u64());
    assert!(rss_mb < 200.0, "serve: {rss_mb} MB");
}

/// `serve` of several boards with `--publish 'URL?id={board}'` (SPEC §16): one nchan channel a
/// board, each watcher there gets its own board's tone whole.
#[test]
#[ignore = "needs nginx, libnginx-mod-nchan and redis-server"]
fn each_board_of_a_bench_publishes_to_a_channel_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let (_redis, redis_port) = redis(dir.path());
    let node = Node::configure(dir.path(), "a", redis_port);
    let recording = dir.path().join("five.bin");
    common::generator::Signal {
        tones: vec![(5000.0, 0.5)],
        ..common::generator::tone()
    }
    .record(&recording, 6000);
    let child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--demo", "--no-config"])
        .arg("--replay")
        .arg(format!("five={}", recording.display()))
        .args(["--publish", &node.url("/pub?id={board}")])
        .args(["--headless", "--report-every", "0.2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut serve = ChildGuard(child);
    let stdout = serve.0.stdout.take().unwrap();
    for (channel, hz) in [("five", 5000.0), ("demo", 1000.0)] {
        let summary = watch(&node.url(&format!("/sub?id={channel}")), 100);
        assert_whole(&summary, 100, channel);
        let peak = summary["peak_hz"].as_f64().unwrap();
        assert!(
            (peak - hz).abs() <= 48_000.0 / 1024.0,
            "{channel}: peak {peak} Hz, not {hz}"
        );
    }
    // Each board's report lines say how its own channel's publishing goes (the URL's query,
    // which names the channel, is redacted in reports).
    let mut up = std::collections::BTreeSet::new();
    let deadline = Instant::now() + LIMIT;
    for line in BufReader::new(stdout).lines() {
        // A line comes every 0.2 s: a publisher that never gets up fails the test here.
        assert!(
            Instant::now() < deadline,
            "not every board's publishing is up: {up:?}"
        );
        let line: Value = serde_json::from_str(&line.unwrap()).unwrap();
        let publish = &line["publish"][0];
        let board = line["board"].as_str().unwrap().to_owned();
        if publish["state"] == "up" && publish["ok"].as_u64() > Some(0) {
            up.insert(board);
        }
        if up.len() == 2 {
            break;
        }
    }
    assert_eq!(up, ["demo", "five"].map(str::to_owned).into());
}
