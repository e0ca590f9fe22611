//! Wiring: chooses the parts the command line asks for and connects them: the source, the
//! taps, the engine, the server, and the screen, the headless reports or a check.

mod boards;
mod check;
mod monitor;

use std::future::Future;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::check::limits::LimitsFileError;
use crate::cli::{Cli, Command, SourceChoice, UsageError};
use crate::clock::Clock;
use crate::config::{self, SettingsFile};
use crate::engine::Engine;
use crate::pipeline::Pipeline;
use crate::record::Recorder;
use crate::serve::ServeError;
use crate::source;
use crate::tap::{self, EventWatcher, Taps};
use crate::ui::Request;
use crate::vocabulary::{CHANNEL_CAPACITY, Control, MeasureWindow, ViewKind};

/// How long the end of a run waits for the taps (the recording) to finish.
const TAPS_FINISH: Duration = Duration::from_secs(5);

/// Why a run ended other than well. The sentence is what the user reads on stderr.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Usage(#[from] UsageError),
    #[error(transparent)]
    Limits(#[from] LimitsFileError),
    #[error(transparent)]
    Reference(#[from] crate::export::ReferenceFileError),
    #[error(transparent)]
    Serve(#[from] ServeError),
    #[error("cannot open {path} for recording: {why}")]
    Record { path: String, why: String },
    #[error(transparent)]
    Output(#[from] crate::output::OutputError),
    #[error("the terminal failed: {0}")]
    Terminal(std::io::Error),
    /// The source gave up for good (a missing device, a refused feed…).
    #[error("{0}")]
    Source(String),
}

impl RunError {
    /// SPEC §4: 2 for a command line that cannot work (a limits file included), 1 for
    /// everything else.
    pub fn exit_status(&self) -> u8 {
        match self {
            RunError::Usage(_) | RunError::Limits(_) | RunError::Reference(_) => 2,
            RunError::Serve(e) if e.is_usage() => 2,
            _ => 1,
        }
    }
}

/// Runs the program to its end and returns its exit status (an error's is its own);
/// `settings` is where its settings file is (for the screen's key that saves what it changed).
pub async fn run(cli: Cli, settings: SettingsFile) -> Result<u8, RunError> {
    cli.check()?;
    match &cli.command {
        Some(Command::Completions { shell }) => {
            write_out(&crate::cli::completions(*shell));
            return Ok(0);
        }
        Some(Command::Manpage) => {
            write_out(&crate::cli::manual_page());
            return Ok(0);
        }
        Some(Command::Coherent(args)) => {
            write_out(coherent(args, cli.fft).as_bytes());
            return Ok(0);
        }
        _ => {}
    }
    let boards = cli.boards();
    if boards.len() > 1 {
        boards::refuse_what_takes_one_board(&cli, &boards)?;
        if let Some(Command::Check(args)) = &cli.command {
            return check::run(&cli, args, boards, settings).await;
        }
        return boards::run(&cli, boards, settings).await;
    }
    let choice = cli.source();
    if choice == SourceChoice::ListPorts {
        for port in source::serial::list_ports() {
            println!("{port}");
        }
        return Ok(0);
    }
    match &cli.command {
        Some(Command::Check(args)) => check::run(&cli, args, boards, settings).await,
        _ => monitor::run(&cli, &choice, settings).await.map(|()| 0),
    }
}

/// `sse-tui coherent`: the sentence on a terminal, the JSON of SPEC §15 for a script.
fn coherent(args: &crate::cli::CoherentArgs, fft: usize) -> String {
    use std::io::IsTerminal;
    let found = crate::analysis::coherent::nearest(args.fs, fft as u64, args.near)
        .expect("an FFT of 64 points or more has an odd M prime to it");
    if std::io::stdout().is_terminal() {
        format!(
            // Every digit: a signal generator is set to it.
            "{} Hz: {} cycles in {} samples at {} (odd and prime to {}: every sample on a phase of its own)\n",
            found.hz,
            found.m,
            found.n,
            crate::format::rate(args.fs),
            found.n
        )
    } else {
        format!(
            "{}\n",
            serde_json::to_string(&found).expect("plain numbers")
        )
    }
}

/// The source, the taps and the engine, running.
struct Running {
    engine: Engine,
    _source: source::Running,
    taps: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Starts the source chosen, the recorder when asked for, `watcher` on the way, and the
    /// pipeline (measuring `measurement` for a check).
    fn start(
        cli: &Cli,
        choice: &SourceChoice,
        measurement: Option<MeasureWindow>,
        watcher: Option<EventWatcher>,
    ) -> Result<Self, RunError> {
        let reference = match &cli.reference {
            Some(path) => Some(crate::export::read_reference(
                path,
                usize::from(cli.channel),
            )?),
            None => None,
        };
        for path in [&cli.report, &cli.spectrum_csv].into_iter().flatten() {
            crate::output::writable(path).map_err(|e| UsageError::Unwritable {
                path: e.path.display().to_string(),
                why: e.why,
            })?;
        }
        let recorder = match &cli.record {
            Some(path) => Some(
                Recorder::open(path, cli.rate).map_err(|e| RunError::Record {
                    path: path.display().to_string(),
                    why: crate::error::plain_io_error(&e),
                })?,
            ),
            None => None,
        };
        let clock = Clock::new();
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let (source, beside) = source::start(cli.source_spec(choice), tx, clock);
        // The recorder and the hub see the source's events on their way to the pipeline.
        let taps = Taps {
            recorder,
            record_flush: Some(Duration::from_secs_f64(cli.record_flush)),
            record_limit: cli.frames,
            watcher,
        };
        let (rx, taps) = tap::insert(rx, taps);
        let pipeline = Pipeline::new(cli.pipeline_config(choice, measurement, reference), clock);
        let engine = Engine::start(pipeline, rx, beside);
        if cli.spectrum_csv.is_some() {
            // The CSV has a column per channel: every channel is analysed from the start.
            engine.control(Control::Views {
                left: None,
                entered: Some(ViewKind::Channels),
            });
        }
        Ok(Self {
            engine,
            _source: source,
            taps,
        })
    }
}

/// The files asked for at exit besides a check's: the spectrum's CSV.
fn write_exports(cli: &Cli, last: &crate::snapshot::Snapshot) -> Result<(), RunError> {
    if let Some(path) = &cli.spectrum_csv {
        crate::output::write_whole(path, crate::export::spectrum_csv(last).as_bytes())?;
    }
    Ok(())
}

/// Waits for the taps (the recording written out) before the program ends.
async fn finish_taps(taps: Option<tokio::task::JoinHandle<()>>) {
    if let Some(taps) = taps {
        let _ = tokio::time::timeout(TAPS_FINISH, taps).await;
    }
}

fn write_out(bytes: &[u8]) {
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a sentence.
    let _ = stdout.write_all(bytes).and_then(|()| stdout.flush());
}

/// What the local screen's keys ask to have done: keep its settings in the settings file,
/// write an export into the current directory; the answer says where, or why not.
fn requests(settings: SettingsFile) -> impl Fn(Request) -> String {
    move |request| match request {
        Request::Save(screen) => match config::save(&settings, &screen) {
            Ok(place) => format!("saved to {place}"),
            Err(why) => format!("not saved: {why}"),
        },
        Request::Export(view) => match crate::export::write_view(Path::new("."), &view) {
            Ok((csv, svg)) => format!("wrote {} and {}", csv.display(), svg.display()),
            Err(why) => format!("not written: {why}"),
        },
    }
}

/// Completes when the run is asked to stop: a signal, or the end of `--duration`. The
/// signals are caught from this call on (not from the first poll): a TERM that comes while the
/// parts start still ends the run well.
fn stop_asked(cli: &Cli) -> impl Future<Output = ()> + use<> {
    let duration = cli.duration.map(Duration::from_secs_f64);
    let signalled = shutdown_signal();
    async move {
        let deadline = async {
            match duration {
                Some(duration) => tokio::time::sleep(duration).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = signalled => {}
            _ = deadline => {}
        }
    }
}

/// Ctrl-C, SIGTERM, or SIGHUP (the SSH link dropped), caught from this call on.
pub fn shutdown_signal() -> impl Future<Output = ()> + use<> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("install SIGTERM handler");
    let mut hup = signal(SignalKind::hangup()).expect("install SIGHUP handler");
    let mut interrupt = signal(SignalKind::interrupt()).expect("install SIGINT handler");
    async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = term.recv() => {}
            _ = hup.recv() => {}
        }
    }
}
