//! Headless mode (SPEC §5): a report line on stdout every interval, and a summary when the
//! run ends; one JSON object a line, from the same summary object every front end reads. With
//! several boards (SPEC §16), a line per board, each with `"board"`.

use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
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

/// A report line per board every `every` until every board is done or `stop` completes,
/// then a summary per board; the last snapshot of each, in the boards' order. `add(i, line)`
/// puts what the run knows besides board `i`'s snapshot into its report lines (`serve`'s
/// publishing).
pub async fn run_boards(
    boards: Vec<(String, Engine)>,
    every: Duration,
    stop: impl Future<Output = ()>,
    add: impl Fn(usize, &mut serde_json::Value),
) -> Vec<Arc<Snapshot>> {
    let start = Instant::now();
    let mut ticks = tokio::time::interval_at(start + every, every);
    let (done_tx, mut done) = mpsc::unbounded_channel();
    let mut names = Vec::new();
    let mut snapshots = Vec::new();
    let mut stoppers = Vec::new();
    for (i, (name, mut engine)) in boards.into_iter().enumerate() {
        names.push(name);
        snapshots.push(engine.snapshots.clone());
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        stoppers.push(stop_tx);
        let done = done_tx.clone();
        // Each board ends on its own (`--frames`, a replay's end, a source that failed)
        // or when the run is told to stop; the others carry on.
        tokio::spawn(async move {
            let last = tokio::select! {
                last = &mut engine.finished => match last {
                    Ok(last) => last,
                    Err(_) => engine.snapshots.borrow().clone(),
                },
                _ = stop_rx => engine.stop().await,
            };
            let _ = done.send((i, last));
        });
    }
    drop(done_tx);
    let mut lasts: Vec<Option<Arc<Snapshot>>> = vec![None; names.len()];
    let mut stdout = std::io::stdout().lock();
    tokio::pin!(stop);
    let mut stopping = false;
    while lasts.iter().any(Option::is_none) {
        tokio::select! {
            _ = ticks.tick(), if !stopping => {
                let now = Instant::now();
                let t = (now - start).as_secs_f64();
                let mut written = Ok(());
                for (i, name) in names.iter().enumerate() {
                    let snapshot = lasts[i]
                        .clone()
                        .unwrap_or_else(|| snapshots[i].borrow().clone());
                    let rates = snapshot.rates(now.into_std());
                    let mut line = summary::object("report", &snapshot, t, rates, now.into_std());
                    line["board"] = name.as_str().into();
                    add(i, &mut line);
                    written = written.and_then(|()| writeln!(stdout, "{line}"));
                }
                if written.and_then(|()| stdout.flush()).is_err() {
                    // stdout closed (a pipe reader went away): nobody is listening.
                    stopping = true;
                    stoppers.clear();
                }
            }
            finished = done.recv() => match finished {
                Some((i, last)) => lasts[i] = Some(last),
                None => break,
            },
            _ = &mut stop, if !stopping => {
                stopping = true;
                // Dropped, each stopper ends its board's engine.
                stoppers.clear();
            }
        }
    }
    let now = Instant::now();
    let elapsed = (now - start).as_secs_f64();
    let lasts: Vec<Arc<Snapshot>> = lasts
        .into_iter()
        .zip(&snapshots)
        .map(|(last, latest)| last.unwrap_or_else(|| latest.borrow().clone()))
        .collect();
    for (name, last) in names.iter().zip(&lasts) {
        // The summary's rates are the whole run's.
        let rates = Rates::between(&Counters::default(), &last.counters, elapsed);
        let mut line = summary::object("summary", last, elapsed, rates, now.into_std());
        line["board"] = name.as_str().into();
        let _ = writeln!(stdout, "{line}");
    }
    let _ = stdout.flush();
    lasts
}
