//! Several boards in one process (SPEC §16): each its own source, pipeline and statistics,
//! and a board that fails never stops the others. On a terminal, the wall; headless, a
//! report line per board per interval, each with `"board"`, and a summary per board at the
//! end. `serve` and `check` of several boards are not built yet, and say so.

use std::time::Duration;

use super::{RunError, Running, finish_taps, requests, stop_asked};
use crate::cli::{Board, Cli, Command, UsageError};
use crate::config::SettingsFile;
use crate::headless;
use crate::link::LinkState;
use crate::tui;
use crate::ui::App;
use crate::ui::event_loop::Pace;
use crate::ui::wall::Wall;

/// Runs every board to the end, on the wall or headless; 1 when a board's source failed for
/// good (each said on stderr with its name), else 0.
pub async fn run(cli: &Cli, boards: Vec<Board>, settings: SettingsFile) -> Result<u8, RunError> {
    let stop = stop_asked(cli);
    let mut engines = Vec::new();
    let mut kept = Vec::new();
    for board in &boards {
        let Running {
            engine,
            _source,
            taps,
        } = Running::start(board.cli(cli), &board.choice, None, None)?;
        engines.push((board.name.clone(), engine));
        kept.push((_source, taps));
    }
    let lasts = if cli.headless() {
        let every = Duration::from_secs_f64(cli.report_every);
        headless::run_boards(engines, every, stop).await
    } else {
        let (names, engines): (Vec<_>, Vec<_>) = engines.into_iter().unzip();
        let apps = engines.iter().zip(&boards).map(|(e, board)| {
            App::new(e.snapshots.borrow().clone(), board.cli(cli).view_options())
        });
        let wall = Wall::new(names.into_iter().zip(apps).collect());
        let pace = Pace {
            fps: cli.fps,
            byte_budget: cli.byte_budget(crate::tui::over_ssh()),
            quit_when_done: cli.frames.is_some(),
        };
        tui::run(engines, wall, pace, requests(settings), stop)
            .await
            .map_err(RunError::Terminal)?
    };
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

/// What several boards cannot do yet, each one sentence; and every board's own settings
/// checked as one board's are.
pub(super) fn refuse_what_takes_one_board(cli: &Cli, boards: &[Board]) -> Result<(), UsageError> {
    let refuse = |what: &str| Err(UsageError::SeveralBoards(what.to_owned()));
    match &cli.command {
        Some(Command::Serve(_)) => return refuse("serve publishes one board"),
        Some(Command::Check(args)) if args.dut.is_some() => {
            return refuse(
                "--dut names one board (each of several is named by its source or NAME=)",
            );
        }
        _ => {}
    }
    for board in boards {
        let settings = board.cli(cli);
        settings.check()?;
        let whose = match &board.settings {
            Some(_) => format!(" ([profile.{}] asks for it)", board.name),
            None => String::new(),
        };
        for (given, option) in [
            (settings.record.is_some(), "--record"),
            (settings.report.is_some(), "--report"),
            (settings.spectrum_csv.is_some(), "--spectrum-csv"),
            (settings.reference.is_some(), "--reference"),
        ] {
            if given {
                return refuse(&format!("{option} takes one board{whose}"));
            }
        }
    }
    Ok(())
}
