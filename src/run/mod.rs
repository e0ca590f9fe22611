//! Wiring: chooses the parts the command line asks for and connects them: the source, the
//! taps, the engine, the server, and the screen or the headless reports.

use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::cli::{Cli, Command, SourceChoice, UsageError};
use crate::clock::Clock;
use crate::config::{self, SettingsFile};
use crate::engine::Engine;
use crate::headless;
use crate::link::LinkState;
use crate::pipeline::Pipeline;
use crate::record::Recorder;
use crate::serve::publish::Publishers;
use crate::serve::{self, ServeError, hub::Hub};
use crate::snapshot::Snapshot;
use crate::source;
use crate::tap::{self, EventWatcher, Taps};
use crate::tui;
use crate::ui::event_loop::Pace;
use crate::vocabulary::{CHANNEL_CAPACITY, ScreenSettings};

/// How long the end of a run waits for the taps (the recording) to finish.
const TAPS_FINISH: Duration = Duration::from_secs(5);

/// Why a run ended other than well. The sentence is what the user reads on stderr.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Usage(#[from] UsageError),
    #[error(transparent)]
    Serve(#[from] ServeError),
    #[error("cannot open {path} for recording: {why}")]
    Record { path: String, why: String },
    #[error("the terminal failed: {0}")]
    Terminal(std::io::Error),
    /// The source gave up for good (a missing device, a refused feed…).
    #[error("{0}")]
    Source(String),
}

impl RunError {
    /// SPEC §4: 2 for a command line that cannot work, 1 for everything else.
    pub fn exit_status(&self) -> u8 {
        match self {
            RunError::Usage(_) => 2,
            RunError::Serve(e) if e.is_usage() => 2,
            _ => 1,
        }
    }
}

/// Runs the program to its end; `settings` is where its settings file is (for the screen's
/// key that saves what it changed).
pub async fn run(cli: Cli, settings: SettingsFile) -> Result<(), RunError> {
    cli.check()?;
    match &cli.command {
        Some(Command::Completions { shell }) => {
            return write_out(&crate::cli::completions(*shell));
        }
        Some(Command::Manpage) => return write_out(&crate::cli::manual_page()),
        _ => {}
    }
    let choice = cli.source();
    if choice == SourceChoice::ListPorts {
        for port in source::serial::list_ports() {
            println!("{port}");
        }
        return Ok(());
    }
    let serving = match &cli.command {
        Some(Command::Serve(args)) => Some((args, args.token()?)),
        _ => None,
    };
    let recorder = match &cli.record {
        Some(path) => Some(Recorder::append_to(path).map_err(|e| RunError::Record {
            path: path.display().to_string(),
            why: crate::error::plain_io_error(&e),
        })?),
        None => None,
    };
    let publishers = serving
        .as_ref()
        .filter(|(args, _)| !args.publish.is_empty())
        .map(|(args, _)| Publishers::start(&args.publish, &args.publish_header));
    let hub = serving.as_ref().map(|(args, _)| {
        Hub::publishing(
            args.replay_buffer as usize,
            args.queue as usize,
            args.events,
            publishers.clone(),
        )
    });
    let clock = Clock::new();
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    let (_source, beside) = source::start(cli.source_spec(&choice), tx, clock);
    // The recorder and the hub see the source's events on their way to the pipeline.
    let taps = Taps {
        recorder,
        record_limit: cli.frames,
        watcher: hub
            .clone()
            .map(|hub| -> EventWatcher { Box::new(move |event| hub.see(event)) }),
    };
    let (rx, taps) = tap::insert(rx, taps);
    let pipeline = Pipeline::new(cli.pipeline_config(&choice), clock);
    let engine = Engine::start(pipeline, rx, beside);
    let servers = match (serving, hub) {
        (Some((args, token)), Some(hub)) => {
            Some(start_servers(&cli, args, token, hub, &engine, publishers.clone()).await?)
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
        headless::run(engine, every, stop_asked(&cli), add).await
    } else {
        run_screen(engine, &cli, settings)
            .await
            .map_err(RunError::Terminal)?
    };
    if let Some((server, ssh)) = servers {
        if let Some(ssh) = ssh {
            ssh.stop().await;
        }
        server.stop().await;
    }
    if let Some(taps) = taps {
        // The recording is written out before the program ends.
        let _ = tokio::time::timeout(TAPS_FINISH, taps).await;
    }
    match &last.link {
        LinkState::Failed(reason) => Err(RunError::Source(reason.clone())),
        _ => Ok(()),
    }
}

/// `serve`'s HTTP side, and its SSH side when asked for.
async fn start_servers(
    cli: &Cli,
    args: &crate::cli::serve::ServeArgs,
    token: Option<String>,
    hub: Arc<Hub>,
    engine: &Engine,
    publishers: Option<Arc<Publishers>>,
) -> Result<(serve::Server, Option<serve::ssh::SshServer>), ServeError> {
    let server = serve::start(
        args.listen,
        args.http_config(token),
        hub,
        engine.snapshots.clone(),
        publishers,
    )
    .await?;
    eprintln!(
        "sse-tui: serving http://{}/ (events at /events)",
        server.addr
    );
    let Some(config) = args.ssh.config() else {
        return Ok((server, None));
    };
    let feed = serve::ssh::Feed {
        snapshots: engine.snapshots.clone(),
        control: Box::new(engine.controller()),
        view: cli.view_options(),
        fps: cli.fps,
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

fn write_out(bytes: &[u8]) -> Result<(), RunError> {
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a sentence.
    let _ = stdout.write_all(bytes).and_then(|()| stdout.flush());
    Ok(())
}

/// The screen, until `q`, a signal, or the end of `--frames`/`--duration`. (The end of a
/// replay keeps its last picture up until `q`.)
async fn run_screen(
    engine: Engine,
    cli: &Cli,
    settings: SettingsFile,
) -> std::io::Result<Arc<Snapshot>> {
    let pace = Pace {
        fps: cli.fps,
        quit_when_done: cli.frames.is_some(),
    };
    let save = |screen: ScreenSettings| match config::save(&settings, &screen) {
        Ok(place) => format!("saved to {place}"),
        Err(why) => format!("not saved: {why}"),
    };
    tui::run(engine, cli.view_options(), pace, save, stop_asked(cli)).await
}

/// Completes when the run is asked to stop: a signal, or the end of `--duration`.
fn stop_asked(cli: &Cli) -> impl Future<Output = ()> + use<> {
    let duration = cli.duration.map(Duration::from_secs_f64);
    async move {
        let deadline = async {
            match duration {
                Some(duration) => tokio::time::sleep(duration).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = shutdown_signal() => {}
            _ = deadline => {}
        }
    }
}

/// Ctrl-C, SIGTERM, or SIGHUP (the SSH link dropped).
pub async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("install SIGTERM handler");
    let mut hup = signal(SignalKind::hangup()).expect("install SIGHUP handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
        _ = hup.recv() => {}
    }
}
