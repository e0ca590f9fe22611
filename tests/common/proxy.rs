//! A fault-injecting TCP proxy, the kind toxiproxy is (none is in Debian): each connection is
//! passed through to the upstream, the bytes one way delayed, trickled a byte at a time,
//! stalled, and cut at a random offset, as a bad link or a crashing middlebox would.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// Which way the faulted bytes go; the other way passes as it is.
#[derive(Clone, Copy, Debug)]
pub enum Toward {
    /// Upstream to client: a watcher's stream.
    Client,
    /// Client to upstream: a publisher's requests.
    Upstream,
}

/// What befalls each connection's bytes one way.
#[derive(Clone, Debug)]
pub struct Faults {
    pub toward: Toward,
    /// Cut the connection after this many bytes (drawn per connection).
    pub cut_after: Range<usize>,
    /// Cut at most this many connections; the rest pass whole.
    pub max_cuts: u64,
    /// The first bytes of a connection go one at a time.
    pub trickle: usize,
    /// Once a connection, at a random offset before its cut, nothing moves for this long.
    pub stall: Duration,
    /// Each chunk waits up to this long (drawn per chunk).
    pub delay: Duration,
    pub seed: u64,
}

/// `FAULT_CUT_AFTER=LO:HI` (bytes), for a longer run with other spacing, else `default`.
pub fn cut_after_from_env(default: Range<usize>) -> Range<usize> {
    std::env::var("FAULT_CUT_AFTER").map_or(default, |range| {
        let (lo, hi) = range.split_once(':').expect("FAULT_CUT_AFTER=LO:HI");
        lo.parse().unwrap()..hi.parse().unwrap()
    })
}

pub struct FaultProxy {
    pub addr: String,
    cuts: Arc<AtomicU64>,
    connections: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl FaultProxy {
    pub fn start(upstream: &str, faults: Faults) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let cuts = Arc::new(AtomicU64::new(0));
        let connections = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let (upstream, cuts, connections, stop) = (
                upstream.to_owned(),
                cuts.clone(),
                connections.clone(),
                stop.clone(),
            );
            std::thread::spawn(move || {
                let mut rng = fastrand::Rng::with_seed(faults.seed);
                for client in listener.incoming() {
                    if stop.load(Ordering::Acquire) {
                        return;
                    }
                    let Ok(client) = client else { continue };
                    let Ok(server) = TcpStream::connect(&upstream) else {
                        continue;
                    };
                    connections.fetch_add(1, Ordering::AcqRel);
                    let _ = client.set_nodelay(true);
                    let _ = server.set_nodelay(true);
                    let (faulted_from, faulted_to) = match faults.toward {
                        Toward::Client => (server, client),
                        Toward::Upstream => (client, server),
                    };
                    // The other way passes as it is.
                    let (mut from, mut to) = (
                        faulted_to.try_clone().unwrap(),
                        faulted_from.try_clone().unwrap(),
                    );
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(Shutdown::Write);
                    });
                    let cut = (cuts.load(Ordering::Acquire) < faults.max_cuts)
                        .then(|| rng.usize(faults.cut_after.clone()));
                    let plan = Plan {
                        cut,
                        stall_at: cut.map(|c| rng.usize(0..c.max(1))),
                        seed: rng.u64(..),
                    };
                    let (faults, cuts) = (faults.clone(), cuts.clone());
                    std::thread::spawn(move || {
                        faulted(faulted_from, faulted_to, &faults, plan, &cuts)
                    });
                }
            })
        };
        Self {
            addr,
            cuts,
            connections,
            stop,
            accept: Some(accept),
        }
    }

    /// Connections cut so far.
    pub fn cuts(&self) -> u64 {
        self.cuts.load(Ordering::Acquire)
    }

    /// Connections made through the proxy so far.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::Acquire)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // The accept loop sees the flag on its next connection: make one.
        let _ = TcpStream::connect(&self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// One connection's fate, drawn when it opens.
struct Plan {
    cut: Option<usize>,
    stall_at: Option<usize>,
    seed: u64,
}

/// The bytes one way, with the faults; the cut closes both sides.
fn faulted(mut from: TcpStream, mut to: TcpStream, faults: &Faults, plan: Plan, cuts: &AtomicU64) {
    let mut rng = fastrand::Rng::with_seed(plan.seed);
    let mut passed = 0usize;
    let mut stalled = false;
    let mut buffer = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut chunk = &buffer[..n];
        if !faults.delay.is_zero() {
            std::thread::sleep(faults.delay.mul_f64(rng.f64()));
        }
        while !chunk.is_empty() {
            // Up to the next event: the trickle's end, the stall, the cut.
            let mut take = chunk.len();
            if passed < faults.trickle {
                take = 1;
            }
            if let Some(at) = plan.stall_at.filter(|&at| !stalled && at >= passed) {
                take = take.min((at - passed).max(1));
            }
            if let Some(at) = plan.cut {
                if passed >= at {
                    cuts.fetch_add(1, Ordering::AcqRel);
                    let _ = to.shutdown(Shutdown::Both);
                    let _ = from.shutdown(Shutdown::Both);
                    return;
                }
                take = take.min(at - passed);
            }
            if to.write_all(&chunk[..take]).is_err() {
                let _ = from.shutdown(Shutdown::Both);
                return;
            }
            passed += take;
            chunk = &chunk[take..];
            if plan.stall_at.is_some_and(|at| !stalled && passed >= at) {
                stalled = true;
                std::thread::sleep(faults.stall);
            }
        }
    }
    let _ = to.shutdown(Shutdown::Both);
}
