//! `check` (SPEC §13): the source measured against a limits file, on the screen while it
//! measures or headless, then the verdict in every form asked for, and its exit status.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use tokio::sync::watch;

use super::{RunError, Running, finish_taps, requests, stop_asked, write_exports};
use crate::check::limits::Limits;
use crate::check::measured::{Conclusion, conclude};
use crate::check::result::{CheckResult, junit, worst_exit_status};
use crate::cli::check::CheckArgs;
use crate::cli::{Board, Cli, SourceChoice, UsageError};
use crate::config::SettingsFile;
use crate::engine::Engine;
use crate::output::{writable, write_whole};
use crate::report::Report;
use crate::snapshot::Snapshot;
use crate::tui;
use crate::ui::App;
use crate::ui::event_loop::Pace;
use crate::ui::wall::Wall;
use crate::vocabulary::{Measure, MeasureWindow};

pub async fn run(
    cli: &Cli,
    args: &CheckArgs,
    boards: Vec<Board>,
    settings: SettingsFile,
) -> Result<u8, RunError> {
    let limits = Arc::new(crate::check::limits::read(&args.limits)?);
    // Files that cannot be written are found before anything is measured.
    for path in [&args.json, &args.junit].into_iter().flatten() {
        writable(path).map_err(|e| UsageError::Unwritable {
            path: e.path.display().to_string(),
            why: e.why,
        })?;
    }
    let several = boards.len() > 1;
    let window = MeasureWindow {
        settle: limits.settle,
        measure: limits.measure,
    };
    // A signal or `--duration` stops every board's measurement.
    let (stop_all, all_stopped) = watch::channel(false);
    let asked = stop_asked(cli);
    tokio::spawn(async move {
        asked.await;
        let _ = stop_all.send(true);
    });
    let started = Utc::now();
    let clock_start = tokio::time::Instant::now();
    // Each board's engine, and what must live as long as its measurement: the board, why
    // its measuring was cut short (when it was), its source and its taps.
    let mut engines = Vec::new();
    let mut checked = Vec::new();
    for board in boards {
        let Running {
            engine,
            _source,
            taps,
        } = Running::start(board.cli(cli), &board.choice, Some(window), None)?;
        let cut_short = watch_board(&engine, limits.timeout, all_stopped.clone());
        engines.push(engine);
        checked.push((board, cut_short, _source, taps));
    }
    let lasts = if cli.headless() {
        futures_util::future::join_all(engines.into_iter().map(until_done)).await
    } else {
        let pace = Pace {
            fps: cli.fps,
            byte_budget: cli.byte_budget(crate::tui::over_ssh()),
            quit_when_done: true,
        };
        let app = |engine: &Engine, board: &Board| {
            App::new(
                engine.snapshots.borrow().clone(),
                board.cli(cli).view_options(),
            )
            .checking(limits.clone(), args.strict)
        };
        let mut all_stopped = all_stopped.clone();
        let shutdown = async move {
            let _ = all_stopped.wait_for(|stop| *stop).await;
        };
        let ask = requests(settings);
        let lasts = if several {
            let boards = checked.iter().map(|(b, ..)| b);
            let apps = engines
                .iter()
                .zip(boards)
                .map(|(e, b)| (b.name.clone(), app(e, b)));
            let wall = Wall::new(apps.collect());
            tui::run(engines, wall, pace, ask, shutdown).await
        } else {
            let app = app(&engines[0], &checked[0].0);
            tui::run(engines, app, pace, ask, shutdown).await
        };
        lasts.map_err(RunError::Terminal)?
    };
    let seconds = clock_start.elapsed().as_secs_f64();
    let mut results = Vec::new();
    for (last, (board, cut_short, _source, taps)) in lasts.iter().zip(checked) {
        finish_taps(taps).await;
        if let Some(why) = &last.unusable {
            return Err(UsageError::Record(why.clone()).into());
        }
        if let Some(why) = &last.reference_refused {
            return Err(UsageError::Reference(why.clone()).into());
        }
        let dut = match &board.choice {
            _ if args.dut.is_some() => args.dut.clone(),
            SourceChoice::Serial(path) => crate::source::serial::serial_number(path),
            _ => None,
        };
        let how = Conclusion {
            limits: &limits,
            strict: args.strict,
            dut,
            board: several.then(|| board.name.clone()),
            started,
            settings: settings_json(&limits, last, args),
            cut_short: cut_short.lock().expect("cut_short").take(),
        };
        results.push(conclude(last, seconds, how));
    }
    deliver(&results, args)?;
    if let ([result], [last]) = (results.as_slice(), lasts.as_slice()) {
        write_exports(cli, last)?;
        if let Some(path) = &cli.report {
            let report = Report {
                summary: &result.summary,
                snapshot: last,
                check: Some(result),
                mask: limits.mask.as_ref(),
                dut: result.dut.as_deref(),
                created: result.started,
                seconds,
            };
            write_whole(path, report.html().as_bytes())?;
        }
    }
    Ok(worst_exit_status(&results))
}

/// Stops a board's measurement, and keeps why, when it goes silent for `timeout`, when its
/// reference is refused (a verdict on it would be nonsense), or when every board is told to
/// stop.
fn watch_board(
    engine: &Engine,
    timeout: Duration,
    mut all_stopped: watch::Receiver<bool>,
) -> Arc<Mutex<Option<String>>> {
    let cut_short: Arc<Mutex<Option<String>>> = Arc::default();
    let (kept, silence, stop) = (
        cut_short.clone(),
        silence(engine, timeout),
        engine.stopper(),
    );
    let mut refused = engine.snapshots.clone();
    tokio::spawn(async move {
        let why = tokio::select! {
            Some(why) = silence => why,
            Ok(_) = all_stopped.wait_for(|stop| *stop) => {
                "stopped by a signal or --duration".to_owned()
            }
            Ok(_) = refused.wait_for(|s| s.reference_refused.is_some()) => {
                "the reference was refused".to_owned()
            }
            // The board's pipeline is done (its snapshots ended): nothing to cut short.
            else => return,
        };
        *kept.lock().expect("cut_short") = Some(why);
        stop();
    });
    cut_short
}

/// The pipeline until its measurement is done, the source ends, or it is stopped.
async fn until_done(mut engine: Engine) -> Arc<Snapshot> {
    match (&mut engine.finished).await {
        Ok(last) => last,
        Err(_) => engine.snapshots.borrow().clone(),
    }
}

/// Completes, with why, once no frame has come for `timeout`: a board gone silent (before its
/// first frame, counted from the start); with `None` when the pipeline is done first.
fn silence(
    engine: &Engine,
    timeout: Duration,
) -> impl std::future::Future<Output = Option<String>> + use<> {
    let mut snapshots = engine.snapshots.clone();
    async move {
        let start = std::time::Instant::now();
        loop {
            let last = snapshots.borrow().last_frame_at.unwrap_or(start).max(start);
            let quiet_until = last + timeout;
            if std::time::Instant::now() >= quiet_until {
                return Some(format!("no frame for {} s", timeout.as_secs_f64()));
            }
            tokio::select! {
                changed = snapshots.changed() => if changed.is_err() {
                    return None;
                },
                () = tokio::time::sleep_until(quiet_until.into()) => {}
            }
        }
    }
}

/// What was measured, and how: the result's `settings`.
fn settings_json(limits: &Limits, last: &Snapshot, args: &CheckArgs) -> serde_json::Value {
    let (measure_s, frames) = match limits.measure {
        Measure::Time(d) => (Some(d.as_secs_f64()), None),
        Measure::Frames(n) => (None, Some(n)),
    };
    json!({
        "source": last.source,
        "limits": args.limits.display().to_string(),
        "fs": last.sample_rate,
        "fft": last.settings.fft_size,
        "window": last.spectrum_window().unwrap_or(last.settings.window).name(),
        "channel": last.settings.channel,
        "averaging": last.settings.averaging,
        "settle_s": limits.settle.as_secs_f64(),
        "measure_s": measure_s,
        "frames": frames,
        "strict": args.strict,
        "version": env!("CARGO_PKG_VERSION"),
    })
}

/// The results where they were asked for: a table on a terminal, else the JSON result on
/// stdout; `--json` and `--junit` files, each written whole or not at all. One board's result
/// is SPEC §13's object; several boards' a list of them, each with its `board` (§16).
fn deliver(results: &[CheckResult], args: &CheckArgs) -> Result<(), RunError> {
    use std::io::IsTerminal;
    let json = match results {
        [one] => one.json(),
        several => serde_json::Value::Array(several.iter().map(CheckResult::json).collect()),
    };
    if std::io::stdout().is_terminal() {
        let tables: Vec<String> = results.iter().map(CheckResult::table).collect();
        super::write_out(tables.join("\n").as_bytes());
    } else {
        super::write_out(format!("{json}\n").as_bytes());
    }
    if let Some(path) = &args.json {
        write_whole(path, format!("{json:#}\n").as_bytes())?;
    }
    if let Some(path) = &args.junit {
        write_whole(path, junit(results).as_bytes())?;
    }
    Ok(())
}
