//! The monitor: the source on the screen or in headless reports, served when asked.

use std::time::Duration;

use super::{RunError, Running, finish_taps, requests, stop_asked, write_exports};
use crate::cli::serve::ServeArgs;
use crate::cli::{Cli, Command, SourceChoice};
use crate::config::SettingsFile;
use crate::engine::Engine;
use crate::headless;
use crate::link::LinkState;
use crate::report::Report;
use crate::serve::publish::Publishers;
use crate::serve::{self, ServeError, hub::Hub};
use crate::stats::{Counters, Rates};
use crate::summary;
use crate::tap::EventWatcher;
use crate::tui;
use crate::ui::App;
use crate::ui::event_loop::Pace;

pub async fn run(cli: &Cli, choice: &SourceChoice, settings: SettingsFile) -> Result<(), RunError> {
    // Signals are caught before anything starts (a server's address is a promise to answer).
    let stop = stop_asked(cli);
    let serving = match &cli.command {
        Some(Command::Serve(args)) => Some((args, (args.token()?, args.tls()?))),
        _ => None,
    };
    let started = (std::time::Instant::now(), chrono::Utc::now());
    let publishers = serving
        .as_ref()
        .filter(|(args, _)| !args.publish.is_empty())
        .map(|(args, _)| {
            let urls = serve::publish::for_board(&args.publish, &cli.boards().remove(0).name);
            Publishers::start(&urls, &args.publish_header)
        });
    let hub = serving.as_ref().map(|(args, _)| {
        Hub::publishing(
            args.replay_buffer as usize,
            args.queue as usize,
            args.events,
            publishers.clone(),
        )
    });
    let watcher = hub
        .clone()
        .map(|hub| -> EventWatcher { Box::new(move |event| hub.see(event)) });
    let Running {
        engine,
        _source,
        taps,
    } = Running::start(cli, choice, None, watcher)?;
    let servers = match (serving, hub) {
        (Some((args, token)), Some(hub)) => {
            let board = serve::ServedBoard {
                name: cli.boards().remove(0).name,
                hub,
                snapshots: engine.snapshots.clone(),
                publishers: publishers.clone(),
            };
            Some(start_servers(cli, args, token, vec![(board, &engine)]).await?)
        }
        _ => None,
    };
    let last = if cli.headless() {
        let every = Duration::from_secs_f64(cli.report_every);
        let add = |line: &mut serde_json::Value| {
            if let Some(publishers) = &publishers {
                line["publish"] = publishers.report_json();
            }
        };
        headless::run(engine, every, stop, add).await
    } else {
        let app = App::new(engine.snapshots.borrow().clone(), cli.view_options());
        let pace = Pace {
            fps: cli.fps,
            byte_budget: cli.byte_budget(crate::tui::over_ssh()),
            quit_when_done: cli.frames.is_some(),
        };
        let mut lasts = tui::run(vec![engine], app, pace, requests(settings), stop)
            .await
            .map_err(RunError::Terminal)?;
        lasts.pop().expect("one board, one snapshot")
    };
    if let Some((server, ssh)) = servers {
        if let Some(ssh) = ssh {
            ssh.stop().await;
        }
        server.stop().await;
    }
    finish_taps(taps).await;
    if let Some(why) = &last.unusable {
        return Err(crate::cli::UsageError::Record(why.clone()).into());
    }
    write_exports(cli, &last)?;
    if let Some(path) = &cli.report {
        let seconds = started.0.elapsed().as_secs_f64();
        // The run's summary, as the headless summary line gives it.
        let rates = Rates::between(&Counters::default(), &last.counters, seconds);
        let summary = summary::object("summary", &last, seconds, rates, std::time::Instant::now());
        let report = Report {
            summary: &summary,
            snapshot: &last,
            check: None,
            mask: None,
            dut: None,
            created: started.1,
            seconds,
        };
        crate::output::write_whole(path, report.html().as_bytes())?;
    }
    match &last.link {
        LinkState::Failed(reason) => Err(RunError::Source(reason.clone())),
        _ => Ok(()),
    }
}

/// `serve`'s HTTP side for `boards` (each with its engine), and its SSH side when asked for.
pub(super) async fn start_servers(
    cli: &Cli,
    args: &ServeArgs,
    (token, tls): (Option<String>, Option<serve::http::tls::TlsAcceptor>),
    boards: Vec<(serve::ServedBoard, &Engine)>,
) -> Result<(serve::Server, Option<serve::ssh::SshServer>), ServeError> {
    let ssh_boards: Vec<serve::ssh::SshBoard> = boards
        .iter()
        .map(|(board, engine)| serve::ssh::SshBoard {
            name: board.name.clone(),
            snapshots: engine.snapshots.clone(),
            control: Box::new(engine.controller()),
        })
        .collect();
    let served = boards.into_iter().map(|(board, _)| board).collect();
    let server = serve::start(args.listen, args.http_config(token, tls), served).await?;
    let scheme = if args.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    eprintln!(
        "sse-tui: serving {scheme}://{}/ (events at /events)",
        server.addr
    );
    let Some(config) = args.ssh.config() else {
        return Ok((server, None));
    };
    let feed = serve::ssh::Feed {
        boards: ssh_boards,
        view: cli.view_options(),
        fps: cli.fps,
        byte_budget: cli.byte_budget(true),
        watchers: server.watchers.clone(),
    };
    let ssh = serve::ssh::start(config, feed).await?;
    eprintln!(
        "sse-tui: the screen over SSH at ssh -p {} {} (host key {})",
        ssh.addr.port(),
        ssh.addr.ip(),
        ssh.fingerprint
    );
    Ok((server, Some(ssh)))
}
