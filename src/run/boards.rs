//! Several boards in one process (SPEC §16): each its own source, pipeline and statistics,
//! and a board that fails never stops the others. Headless so far: a report line per board
//! per interval, each with `"board"`, and a summary per board at the end. The wall, `serve`
//! and `check` of several boards are not built yet, and say so.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::{RunError, Running, finish_taps, stop_asked};
use crate::cli::{Board, Cli, Command, UsageError};
use crate::link::LinkState;
use crate::snapshot::Snapshot;
use crate::stats::{Counters, Rates};
use crate::summary;

/// Runs every board headless to the end; 1 when a board's source failed for good (each
/// said on stderr with its name), else 0.
pub async fn run(cli: &Cli, boards: Vec<Board>) -> Result<u8, RunError> {
    refuse_what_takes_one_board(cli)?;
    let stop = stop_asked(cli);
    let mut engines = Vec::new();
    let mut kept = Vec::new();
    for board in &boards {
        let Running {
            engine,
            _source,
            taps,
        } = Running::start(cli, &board.choice, None, None)?;
        engines.push((board.name.clone(), engine));
        kept.push((_source, taps));
    }
    let every = Duration::from_secs_f64(cli.report_every);
    let lasts = report(engines, every, stop).await;
    let mut status = 0;
    for ((name, last), (_source, taps)) in boards.iter().map(|b| &b.name).zip(&lasts).zip(kept) {
        finish_taps(taps).await;
        if let LinkState::Failed(reason) = &last.link {
            eprintln!("sse-tui: {name}: {reason}");
            status = 1;
        }
    }
    Ok(status)
}

/// What several boards cannot do yet, each one sentence.
fn refuse_what_takes_one_board(cli: &Cli) -> Result<(), UsageError> {
    let refuse = |what: &str| Err(UsageError::SeveralBoards(what.to_owned()));
    match &cli.command {
        Some(Command::Serve(_)) => return refuse("serve publishes one board"),
        Some(Command::Check(_)) => return refuse("check judges one board"),
        _ => {}
    }
    if !cli.headless() {
        return refuse("the screen shows one board (a wall of several is to come): add --headless");
    }
    for (given, option) in [
        (cli.record.is_some(), "--record"),
        (cli.report.is_some(), "--report"),
        (cli.spectrum_csv.is_some(), "--spectrum-csv"),
        (cli.reference.is_some(), "--reference"),
    ] {
        if given {
            return refuse(&format!("{option} takes one board"));
        }
    }
    Ok(())
}

/// A report line per board every `every` until every board is done or `stop` completes,
/// then a summary per board; the last snapshot of each, in the boards' order.
async fn report(
    boards: Vec<(String, crate::engine::Engine)>,
    every: Duration,
    stop: impl std::future::Future<Output = ()>,
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
