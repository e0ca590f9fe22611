//! Several boards in one process (SPEC §16): each its own source, pipeline and statistics,
//! and a board that fails never stops the others. On a terminal, the wall; headless, a
//! report line per board per interval, each with `"board"`, and a summary per board at the
//! end. Served, each board has its own hub of events and its own `--publish` channels
//! (`{board}` in their URLs), on one server.

use std::time::Duration;

use super::{RunError, Running, finish_taps, requests, stop_asked};
use crate::cli::{Board, Cli, Command, UsageError};
use crate::config::SettingsFile;
use crate::headless;
use crate::link::LinkState;
use crate::serve::publish::Publishers;
use crate::serve::{ServedBoard, hub::Hub};
use crate::tap::EventWatcher;
use crate::tui;
use crate::ui::App;
use crate::ui::event_loop::Pace;
use crate::ui::wall::Wall;

/// Runs every board to the end, on the wall or headless; 1 when a board's source failed for
/// good (each said on stderr with its name), else 0.
pub async fn run(cli: &Cli, boards: Vec<Board>, settings: SettingsFile) -> Result<u8, RunError> {
    // Signals are caught before anything starts (a server's address is a promise to answer).
    let stop = stop_asked(cli);
    let serving = match &cli.command {
        Some(Command::Serve(args)) => Some((args, (args.token()?, args.tls()?))),
        _ => None,
    };
    let mut engines = Vec::new();
    let mut kept = Vec::new();
    let mut served = Vec::new();
    for board in &boards {
        // Served: the board's events go to a hub of its own, and on to its own channels.
        let hub = serving.as_ref().map(|(args, _)| {
            let urls = crate::serve::publish::for_board(&args.publish, &board.name);
            let publishers =
                (!urls.is_empty()).then(|| Publishers::start(&urls, &args.publish_header));
            let hub = Hub::publishing(
                ring_per_board(args.replay_buffer as usize, boards.len()),
                args.queue as usize,
                args.events,
                publishers.clone(),
            );
            (hub, publishers)
        });
        let watcher = hub.as_ref().map(|(hub, _)| -> EventWatcher {
            let hub = hub.clone();
            Box::new(move |event| hub.see(event))
        });
        let Running {
            engine,
            _source,
            taps,
        } = Running::start(board.cli(cli), &board.choice, None, watcher)?;
        if let Some((hub, publishers)) = hub {
            served.push(ServedBoard {
                name: board.name.clone(),
                hub,
                snapshots: engine.snapshots.clone(),
                publishers,
            });
        }
        engines.push((board.name.clone(), engine));
        kept.push((_source, taps));
    }
    // Each board's hubs further out, for its report lines.
    let publishing: Vec<_> = served.iter().map(|b| b.publishers.clone()).collect();
    let servers = match serving {
        Some((args, auth)) => {
            let with_engines = served.into_iter().zip(engines.iter().map(|(_, e)| e));
            Some(super::monitor::start_servers(cli, args, auth, with_engines.collect()).await?)
        }
        None => None,
    };
    let lasts = if cli.headless() {
        let every = Duration::from_secs_f64(cli.report_every);
        let add = |board: usize, line: &mut serde_json::Value| {
            if let Some(Some(publishers)) = publishing.get(board) {
                line["publish"] = publishers.report_json();
            }
        };
        headless::run_boards(engines, every, stop, add).await
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
    if let Some((server, ssh)) = servers {
        if let Some(ssh) = ssh {
            ssh.stop().await;
        }
        server.stop().await;
    }
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

/// The events each board's hub keeps for `Last-Event-ID`: the `--replay-buffer` is shared by
/// the boards (an event of a busy board is some 11 KB, and sixteen full rings of 4096 would be
/// 700 MB), but never fewer than [`MIN_RING`] a board.
fn ring_per_board(replay_buffer: usize, boards: usize) -> usize {
    (replay_buffer / boards.max(1)).max(MIN_RING.min(replay_buffer))
}

/// A board's ring holds at least this many events beside others (five seconds of a board at
/// 47 frames a second: more than a watcher's reconnection takes).
const MIN_RING: usize = 256;

/// What several boards cannot do yet, each one sentence; and every board's own settings
/// checked as one board's are.
pub(super) fn refuse_what_takes_one_board(cli: &Cli, boards: &[Board]) -> Result<(), UsageError> {
    let refuse = |what: &str| Err(UsageError::SeveralBoards(what.to_owned()));
    match &cli.command {
        Some(Command::Serve(args)) => {
            if let Some(url) = args.publish.iter().find(|url| !url.contains("{board}")) {
                return refuse(&format!(
                    "--publish {url} has no {{board}}: each board publishes to a channel of its own"
                ));
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_replay_buffer_is_shared_by_the_boards() {
        assert_eq!(ring_per_board(4096, 1), 4096);
        assert_eq!(ring_per_board(4096, 4), 1024);
        assert_eq!(ring_per_board(4096, 64), 256);
        // Asked for less than the floor: what was asked.
        assert_eq!(ring_per_board(100, 4), 100);
    }
}
