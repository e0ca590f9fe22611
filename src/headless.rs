//! Headless mode (SPEC §5): a report line on stdout every interval, and a summary when the
//! run ends; one JSON object a line, from the same summary object every front end reads.

use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::engine::Engine;
use crate::snapshot::Snapshot;
use crate::stats::{Counters, Rates};
use crate::summary;

/// Prints a report every `every` until the pipeline is done or `stop` completes (a signal,
/// `--duration`), then the summary; returns the last snapshot. `add` puts in what the run
/// adds beside the snapshot (how publishing goes, under `serve --publish`).
pub async fn run(
    mut engine: Engine,
    every: Duration,
    stop: impl Future<Output = ()>,
    add: impl Fn(&mut Value),
) -> Arc<Snapshot> {
    let start = Instant::now();
    let mut ticks = tokio::time::interval_at(start + every, every);
    let mut stdout = std::io::stdout().lock();
    tokio::pin!(stop);
    let last = loop {
        tokio::select! {
            _ = ticks.tick() => {
                let now = Instant::now();
                let snapshot = engine.snapshots.borrow().clone();
                let now_std = now.into_std();
                let t = (now - start).as_secs_f64();
                let mut line = summary::object("report", &snapshot, t, snapshot.rates(now_std), now_std);
                add(&mut line);
                if writeln!(stdout, "{line}").and_then(|_| stdout.flush()).is_err() {
                    // stdout closed (a pipe reader went away): nobody is listening.
                    break engine.stop().await;
                }
            }
            last = &mut engine.finished => break match last {
                Ok(last) => last,
                Err(_) => engine.snapshots.borrow().clone(),
            },
            _ = &mut stop => break engine.stop().await,
        }
    };
    let now = Instant::now();
    let elapsed = (now - start).as_secs_f64();
    // The summary's rates are the whole run's.
    let rates = Rates::between(&Counters::default(), &last.counters, elapsed);
    let mut line = summary::object("summary", &last, elapsed, rates, now.into_std());
    add(&mut line);
    let _ = writeln!(stdout, "{line}").and_then(|_| stdout.flush());
    last
}
