//! Several boards in one process (SPEC §16): each its own source, pipeline and statistics,
//! and a board that fails never stops the others. Headless so far: a report line per board
//! per interval, each with `"board"`, and a summary per board at the end. The wall, `serve`
//! and `check` of several boards are not built yet, and say so.

use std::time::Duration;

use super::{RunError, Running, finish_taps, stop_asked};
use crate::cli::{Board, Cli, Command, UsageError};
use crate::headless;
use crate::link::LinkState;

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
    let lasts = headless::run_boards(engines, every, stop).await;
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
