//! The measured interval's summary, and a check concluded from the last snapshot: the same
//! summary object as everywhere (SPEC §5), its counts and rates those of the interval.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::judge::{LimitResult, Outcome, Verdict, judge};
use super::limits::Limits;
use super::result::CheckResult;
use crate::link::LinkState;
use crate::snapshot::{MeasurementPhase, Snapshot};
use crate::stats::Rates;
use crate::summary;

/// The summary of the measured interval as of `snapshot` (while measuring, so far; before
/// it, of what there is): `frames`, `dropped`, `bad_frames`… count the interval, the rates are
/// over its stream seconds, and the figures are the averaged spectrum's.
pub fn measured_summary(snapshot: &Snapshot, t: f64, now: Instant) -> Value {
    let Some((start, from)) = snapshot.measurement.and_then(|m| m.start) else {
        return summary::object("summary", snapshot, t, snapshot.rates(now), now);
    };
    let seconds = snapshot.stream_seconds - from;
    let counters = snapshot.counters.since(&start);
    let rates = Rates::between(&start, &snapshot.counters, seconds);
    let measured = Snapshot {
        counters,
        ..snapshot.clone()
    };
    summary::object("summary", &measured, t, rates, now)
}

/// What a check needs besides the last snapshot.
pub struct Conclusion<'a> {
    pub limits: &'a Limits,
    pub strict: bool,
    pub dut: Option<String>,
    /// The board's name when several are checked at once.
    pub board: Option<String>,
    pub started: DateTime<Utc>,
    pub settings: Value,
    /// Why measuring was cut short, when it was (the board went silent, a signal).
    pub cut_short: Option<String>,
}

/// The check's result from the last snapshot: a verdict when the interval was measured
/// whole and held frames, else none, and why.
pub fn conclude(last: &Arc<Snapshot>, t: f64, how: Conclusion<'_>) -> CheckResult {
    let now = Instant::now();
    let summary = measured_summary(last, t, now);
    let reason = no_verdict(last, how.cut_short);
    let verdict = match &reason {
        None => judge(how.limits, &summary, &last.spectrum, last.bin_hz),
        Some(_) => unjudged(how.limits),
    };
    CheckResult {
        name: how.limits.name.clone(),
        outcome: match reason {
            None => verdict.outcome(how.strict),
            Some(_) => Outcome::Error,
        },
        dut: how.dut,
        board: how.board,
        started: how.started,
        ended: Utc::now(),
        settings: how.settings,
        verdict,
        summary,
        reason,
    }
}

/// Why no verdict can be reached from `last`, if none can.
fn no_verdict(last: &Snapshot, cut_short: Option<String>) -> Option<String> {
    let measurement = last.measurement?;
    if measurement.phase == MeasurementPhase::Done {
        return (measurement.measured_frames(&last.counters) == 0)
            .then(|| "no frame in the measured interval".to_owned());
    }
    let phase = match measurement.phase {
        MeasurementPhase::Waiting => "before the first frame",
        MeasurementPhase::Settling => "while settling",
        _ => "before the measurement ended",
    };
    Some(match (&last.link, cut_short) {
        (LinkState::Failed(reason), _) => format!("the source failed {phase}: {reason}"),
        (_, Some(why)) => format!("{why} {phase}"),
        (LinkState::Ended, None) => format!("the input ended {phase}"),
        (_, None) => format!("stopped {phase}"),
    })
}

/// Every limit with no value: no verdict was reached, none is given.
fn unjudged(limits: &Limits) -> Verdict {
    Verdict {
        limits: limits
            .limits
            .iter()
            .map(|l| LimitResult {
                name: l.name.clone(),
                path: l.path.as_str().to_owned(),
                value: None,
                min: l.min,
                max: l.max,
                unit: l.unit.clone(),
                outcome: Outcome::Error,
            })
            .collect(),
        mask: limits.mask.as_ref().map(|_| super::judge::MaskResult {
            outcome: Outcome::Error,
            worst_hz: None,
            worst_over_db: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::check::limits::parse;
    use crate::snapshot::MeasurementProgress;
    use crate::snapshot::sample::sample_snapshot;
    use crate::stats::Counters;
    use crate::vocabulary::{Measure, MeasureWindow};

    fn measuring(phase: MeasurementPhase, frames_at_start: u64) -> Snapshot {
        let mut s = sample_snapshot(Instant::now());
        s.measurement = Some(MeasurementProgress {
            window: MeasureWindow {
                settle: Duration::from_secs(1),
                measure: Measure::Time(Duration::from_secs(4)),
            },
            phase,
            settle_from: 95.0,
            start: Some((
                Counters {
                    frames: frames_at_start,
                    bad_frames: 1,
                    ..Counters::default()
                },
                96.0,
            )),
        });
        s
    }

    /// The sample snapshot: 4700 frames, 2 bad, 100 s of stream; measuring started at 4500
    /// frames (1 bad) and 96 s.
    #[test]
    fn the_summary_counts_the_measured_interval() {
        let s = measuring(MeasurementPhase::Done, 4500);
        let summary = measured_summary(&s, 5.0, Instant::now());
        assert_eq!(summary["frames"], 200);
        assert_eq!(summary["bad_frames"], 1);
        assert_eq!(summary["frames_per_s"], 50.0);
    }

    fn how(limits: &Limits) -> Conclusion<'_> {
        Conclusion {
            limits,
            strict: false,
            dut: None,
            board: None,
            started: Utc::now(),
            settings: Value::Null,
            cut_short: None,
        }
    }

    #[test]
    fn a_verdict_only_on_a_whole_interval_with_frames() {
        let limits = parse("[limit.p]\nvalue = \"peak_dbfs\"\nmax = 0\n", "t").unwrap();
        let done = conclude(
            &Arc::new(measuring(MeasurementPhase::Done, 4500)),
            5.0,
            how(&limits),
        );
        assert_eq!(done.outcome, Outcome::Pass);
        assert_eq!(done.reason, None);
        let empty = conclude(
            &Arc::new(measuring(MeasurementPhase::Done, 4700)),
            5.0,
            how(&limits),
        );
        assert_eq!(empty.outcome, Outcome::Error);
        assert_eq!(
            empty.reason.as_deref(),
            Some("no frame in the measured interval")
        );
        let mut silent = measuring(MeasurementPhase::Measuring, 4500);
        silent.link = LinkState::Connected;
        let cut = Conclusion {
            cut_short: Some("no frame for 10 s".into()),
            ..how(&limits)
        };
        let silent = conclude(&Arc::new(silent), 5.0, cut);
        assert_eq!(silent.outcome, Outcome::Error);
        assert_eq!(
            silent.reason.as_deref(),
            Some("no frame for 10 s before the measurement ended")
        );
        assert!(silent.verdict.limits.iter().all(|l| l.value.is_none()));
        assert_eq!(silent.exit_status(), 3);
        let mut failed = measuring(MeasurementPhase::Waiting, 0);
        failed.link = LinkState::Failed("no such device".into());
        let failed = conclude(&Arc::new(failed), 5.0, how(&limits));
        assert_eq!(
            failed.reason.as_deref(),
            Some("the source failed before the first frame: no such device")
        );
    }
}
