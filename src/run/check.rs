//! `check` (SPEC §13): the source measured against a limits file, on the screen while it
//! measures or headless, then the verdict in every form asked for, and its exit status.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use serde_json::json;

use super::{RunError, Running, finish_taps, requests, stop_asked, write_exports};
use crate::check::limits::Limits;
use crate::check::measured::{Conclusion, conclude};
use crate::check::result::CheckResult;
use crate::cli::check::CheckArgs;
use crate::cli::{Cli, SourceChoice, UsageError};
use crate::config::SettingsFile;
use crate::engine::Engine;
use crate::output::{writable, write_whole};
use crate::report::Report;
use crate::snapshot::Snapshot;
use crate::tui;
use crate::ui::App;
use crate::ui::event_loop::Pace;
use crate::vocabulary::{Measure, MeasureWindow};

pub async fn run(
    cli: &Cli,
    args: &CheckArgs,
    choice: &SourceChoice,
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
    let dut = args.dut.clone().or_else(|| match choice {
        SourceChoice::Serial(path) => crate::source::serial::serial_number(path),
        _ => None,
    });
    let window = MeasureWindow {
        settle: limits.settle,
        measure: limits.measure,
    };
    let asked = stop_asked(cli);
    let started = Utc::now();
    let clock_start = tokio::time::Instant::now();
    let Running {
        engine,
        _source,
        taps,
    } = Running::start(cli, choice, Some(window), None)?;
    // Why measuring was cut short, when it was: a board gone silent, a signal.
    let cut_short: Arc<Mutex<Option<String>>> = Arc::default();
    let stop = {
        let (cut_short, silence) = (cut_short.clone(), silence(&engine, limits.timeout));
        let mut refused = engine.snapshots.clone();
        async move {
            let why = tokio::select! {
                why = silence => why,
                () = asked => "stopped by a signal or --duration".to_owned(),
                // A reference that cannot be compared makes any verdict on it nonsense.
                Ok(_) = refused.wait_for(|s| s.reference_refused.is_some()) => {
                    "the reference was refused".to_owned()
                }
            };
            *cut_short.lock().expect("cut_short") = Some(why);
        }
    };
    let last = if cli.headless() {
        until_done(engine, stop).await
    } else {
        let app = App::new(engine.snapshots.borrow().clone(), cli.view_options())
            .checking(limits.clone(), args.strict);
        let pace = Pace {
            fps: cli.fps,
            byte_budget: cli.byte_budget(crate::tui::over_ssh()),
            quit_when_done: true,
        };
        let mut lasts = tui::run(vec![engine], app, pace, requests(settings), stop)
            .await
            .map_err(RunError::Terminal)?;
        lasts.pop().expect("one board, one snapshot")
    };
    finish_taps(taps).await;
    if let Some(why) = &last.unusable {
        return Err(UsageError::Record(why.clone()).into());
    }
    if let Some(why) = &last.reference_refused {
        return Err(UsageError::Reference(why.clone()).into());
    }
    let how = Conclusion {
        limits: &limits,
        strict: args.strict,
        dut,
        started,
        settings: settings_json(&limits, &last, args),
        cut_short: cut_short.lock().expect("cut_short").take(),
    };
    let seconds = clock_start.elapsed().as_secs_f64();
    let result = conclude(&last, seconds, how);
    deliver(&result, args)?;
    write_exports(cli, &last)?;
    if let Some(path) = &cli.report {
        let report = Report {
            summary: &result.summary,
            snapshot: &last,
            check: Some(&result),
            mask: limits.mask.as_ref(),
            dut: result.dut.as_deref(),
            created: result.started,
            seconds,
        };
        write_whole(path, report.html().as_bytes())?;
    }
    Ok(result.exit_status())
}

/// The pipeline until its measurement is done (or the source ends), or until `stop`.
async fn until_done(
    mut engine: Engine,
    stop: impl std::future::Future<Output = ()>,
) -> Arc<Snapshot> {
    tokio::select! {
        last = &mut engine.finished => match last {
            Ok(last) => last,
            Err(_) => engine.snapshots.borrow().clone(),
        },
        () = stop => engine.stop().await,
    }
}

/// Completes, with why, once no frame has come for `timeout`: a board gone silent (before its
/// first frame, counted from the start).
fn silence(
    engine: &Engine,
    timeout: Duration,
) -> impl std::future::Future<Output = String> + use<> {
    let mut snapshots = engine.snapshots.clone();
    async move {
        let start = std::time::Instant::now();
        loop {
            let last = snapshots.borrow().last_frame_at.unwrap_or(start).max(start);
            let quiet_until = last + timeout;
            if std::time::Instant::now() >= quiet_until {
                return format!("no frame for {} s", timeout.as_secs_f64());
            }
            tokio::select! {
                changed = snapshots.changed() => if changed.is_err() {
                    std::future::pending::<()>().await;
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

/// The result where it was asked for: a table on a terminal, else the JSON result on stdout;
/// `--json` and `--junit` files, each written whole or not at all.
fn deliver(result: &CheckResult, args: &CheckArgs) -> Result<(), RunError> {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        super::write_out(result.table().as_bytes());
    } else {
        super::write_out(format!("{}\n", result.json()).as_bytes());
    }
    if let Some(path) = &args.json {
        write_whole(path, format!("{:#}\n", result.json()).as_bytes())?;
    }
    if let Some(path) = &args.junit {
        write_whole(path, result.junit().as_bytes())?;
    }
    Ok(())
}
