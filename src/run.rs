//! Wiring: the chosen source, the engine, and the headless reporter or the screen.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::analysis::{AnalyzerSettings, FreqAxis};
use crate::cli::{Cli, Command, SourceChoice, UsageError};
use crate::clock::Clock;
use crate::config::SettingsFile;
use crate::engine::{Engine, LocalSource};
use crate::frame::Levels;
use crate::headless;
use crate::link::LinkState;
use crate::pipeline::{Pipeline, PipelineConfig};
use crate::record::Recorder;
use crate::serve::publish::Publishers;
use crate::serve::{self, ServeError, hub::Hub};
use crate::snapshot::Snapshot;
use crate::source;
use crate::source::serial::SerialOptions;
use crate::sse::client::SseConfig;
use crate::stats::Rates;
use crate::tap::{self, Taps};
use crate::tui;
use crate::ui::ViewOptions;
use crate::vocabulary::CHANNEL_CAPACITY;
use crate::wire::ByteDecoder;
use crate::wire::lines::LineOptions;

/// Snapshots for headless reports are taken this often (the screen uses `--fps`).
const HEADLESS_PUBLISH: Duration = Duration::from_millis(50);
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
    let headless = match serving {
        Some((args, _)) => !args.tui,
        None => cli.headless || !std::io::stdout().is_terminal(),
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
    let (_source, beside) = spawn_source(&cli, &choice, tx, clock);
    // The recorder and the publisher see the source's events on their way to the pipeline.
    let taps = Taps {
        recorder,
        record_limit: cli.frames,
        hub: hub.clone(),
    };
    let (rx, taps) = tap::insert(rx, taps);
    let publish_every = if headless {
        HEADLESS_PUBLISH
    } else {
        Duration::from_secs_f64(1.0 / f64::from(cli.fps))
    };
    let pipeline = Pipeline::new(pipeline_config(&cli, &choice), clock);
    let engine = Engine::start(pipeline, rx, publish_every, beside);
    let server = match (serving, hub) {
        (Some((args, token)), Some(hub)) => {
            let server = serve::start(
                args,
                token,
                hub,
                engine.snapshots.clone(),
                publishers.clone(),
            )
            .await?;
            eprintln!(
                "sse-tui: serving http://{}/ (events at /events)",
                server.addr
            );
            let ssh = match args.ssh.ssh {
                Some(addr) => {
                    let feed = serve::ssh::Feed {
                        snapshots: engine.snapshots.clone(),
                        control: Box::new(engine.controller()),
                        view: view_options(&cli),
                        fps: cli.fps,
                        watchers: server.watchers.clone(),
                    };
                    let ssh = serve::ssh::start(&args.ssh, addr, feed)
                        .await
                        .map_err(ServeError::from)?;
                    eprintln!(
                        "sse-tui: the screen over SSH at ssh -p {} {} (host key {})",
                        ssh.addr.port(),
                        ssh.addr.ip(),
                        ssh.fingerprint
                    );
                    Some(ssh)
                }
                None => None,
            };
            Some((server, ssh))
        }
        _ => None,
    };
    let last = if headless {
        run_headless(engine, &cli, publishers.as_deref()).await
    } else {
        run_screen(engine, &cli, settings)
            .await
            .map_err(RunError::Terminal)?
    };
    if let Some((server, ssh)) = server {
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

fn write_out(bytes: &[u8]) -> Result<(), RunError> {
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a sentence.
    let _ = stdout.write_all(bytes).and_then(|()| stdout.flush());
    Ok(())
}

/// An async source, aborted when this is dropped (on every way out of `run`).
struct SourceTask(Option<tokio::task::JoinHandle<()>>);

impl Drop for SourceTask {
    fn drop(&mut self) {
        if let Some(task) = &self.0 {
            task.abort();
        }
    }
}

/// Starts the chosen source. Async sources run as tasks; the blocking serial reader runs on
/// a thread of its own and ends when the engine drops the receiver; the demo board is given
/// back to run beside the pipeline, on its thread.
fn spawn_source(
    cli: &Cli,
    choice: &SourceChoice,
    tx: crate::vocabulary::EventSender,
    clock: Clock,
) -> (SourceTask, Option<LocalSource>) {
    let levels = Levels {
        full_scale: cli.full_scale,
        board_window: cli.board_window,
    };
    let line_options = LineOptions {
        kind: cli.kind,
        layout: cli.lines,
        levels,
    };
    let format = cli.format;
    let task = match choice {
        SourceChoice::Demo | SourceChoice::ListPorts => {
            let board: LocalSource = Box::new(move || Box::pin(source::demo::run(tx, clock)));
            return (SourceTask(None), Some(board));
        }
        SourceChoice::Replay(path) => {
            let options = source::replay::ReplayOptions {
                path: path.clone(),
                speed: cli.speed,
                rate: cli.rate,
            };
            let decoder = ByteDecoder::new(format, line_options);
            Some(tokio::spawn(source::replay::run(
                options, decoder, tx, clock,
            )))
        }
        SourceChoice::Serial(path) => {
            let options = SerialOptions {
                wait: cli.wait,
                ..SerialOptions::new(path, cli.baud)
            };
            source::serial::spawn(
                options,
                move || ByteDecoder::new(format, line_options).joining_mid_stream(),
                tx,
                clock,
            );
            None
        }
        SourceChoice::Url(url) => {
            let config = SseConfig {
                headers: cli.header_pairs(),
                last_event_id: cli.last_event_id.clone(),
                max_event_bytes: usize::try_from(cli.max_event_bytes).unwrap_or(usize::MAX),
                read_timeout: Duration::from_secs_f64(cli.read_timeout),
                insecure: cli.insecure,
                ..SseConfig::new(url)
            };
            Some(tokio::spawn(source::sse::run(config, levels, tx, clock)))
        }
    };
    (SourceTask(task), None)
}

fn pipeline_config(cli: &Cli, choice: &SourceChoice) -> PipelineConfig {
    PipelineConfig {
        source: describe(choice),
        settings: AnalyzerSettings {
            fft_size: cli.fft,
            window: cli.window,
            channel: usize::from(cli.channel),
            ..AnalyzerSettings::default()
        },
        rate: cli.rate,
        frame_limit: cli.frames,
        historic_timestamps: matches!(choice, SourceChoice::Replay(_)),
        harmonics: cli.harmonics,
        spectra_per_line: cli.spectra_per_line,
    }
}

/// The screen, until `q`, a signal, or the end of `--frames`/`--duration`. (The end of a
/// replay keeps its last picture up until `q`.)
async fn run_screen(
    engine: Engine,
    cli: &Cli,
    settings: SettingsFile,
) -> std::io::Result<Arc<Snapshot>> {
    let deadline = cli
        .duration
        .map(|s| Instant::now() + Duration::from_secs_f64(s));
    let stop = async move {
        tokio::select! {
            _ = shutdown_signal() => {}
            _ = sleep_until_opt(deadline) => {}
        }
    };
    let pace = crate::ui::event_loop::Pace {
        fps: cli.fps,
        quit_when_done: cli.frames.is_some(),
    };
    let save =
        |screen: crate::vocabulary::ScreenSettings| match crate::config::save(&settings, &screen) {
            Ok(place) => format!("saved to {place}"),
            Err(why) => format!("not saved: {why}"),
        };
    tui::run(engine, view_options(cli), pace, save, stop).await
}

fn view_options(cli: &Cli) -> ViewOptions {
    // https://no-color.org: set and not empty means no colour.
    let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    ViewOptions {
        ascii: cli.ascii,
        color: !(cli.no_color || no_color_env),
        axis: if cli.log_freq {
            FreqAxis::Log
        } else {
            FreqAxis::Linear
        },
        db_floor: cli.db_min as f32,
        db_ceiling: cli.db_max as f32,
        start: cli.view,
    }
}

fn describe(choice: &SourceChoice) -> String {
    match choice {
        SourceChoice::Demo => "demo".into(),
        SourceChoice::Url(url) => crate::sse::redact_url(url),
        SourceChoice::Serial(path) => path.clone(),
        SourceChoice::Replay(path) => path.display().to_string(),
        SourceChoice::ListPorts => "ports".into(),
    }
}

/// Prints a report every `--report-every` seconds and a summary at the end; `publishers`
/// (serve --publish) add how publishing goes.
async fn run_headless(
    mut engine: Engine,
    cli: &Cli,
    publishers: Option<&Publishers>,
) -> Arc<Snapshot> {
    let with_publish = |mut line: serde_json::Value| {
        if let Some(publishers) = publishers {
            line["publish"] = publishers.report_json();
        }
        line
    };
    let start = Instant::now();
    let every = Duration::from_secs_f64(cli.report_every);
    let mut ticks = tokio::time::interval_at(start + every, every);
    let deadline = cli.duration.map(|s| start + Duration::from_secs_f64(s));
    let mut previous = (start, engine.snapshots.borrow().counters);
    let mut stdout = std::io::stdout().lock();
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    let last = loop {
        tokio::select! {
            _ = ticks.tick() => {
                let now = Instant::now();
                let snapshot = engine.snapshots.borrow().clone();
                let rates = Rates::between(&previous.1, &snapshot.counters, (now - previous.0).as_secs_f64());
                previous = (now, snapshot.counters);
                let line = with_publish(headless::line("report", &snapshot, (now - start).as_secs_f64(), rates, now.into_std()));
                if writeln!(stdout, "{line}").and_then(|_| stdout.flush()).is_err() {
                    // stdout closed (a pipe reader went away): nobody is listening.
                    break engine.stop().await;
                }
            }
            last = &mut engine.finished => break match last {
                Ok(last) => last,
                Err(_) => engine.snapshots.borrow().clone(),
            },
            _ = sleep_until_opt(deadline) => break engine.stop().await,
            _ = &mut shutdown => break engine.stop().await,
        }
    };
    let now = Instant::now();
    let elapsed = (now - start).as_secs_f64();
    let rates = Rates::between(&Default::default(), &last.counters, elapsed);
    let line = with_publish(headless::line(
        "summary",
        &last,
        elapsed,
        rates,
        now.into_std(),
    ));
    let _ = writeln!(stdout, "{line}").and_then(|_| stdout.flush());
    last
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
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
