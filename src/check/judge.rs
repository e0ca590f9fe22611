//! The judgement (SPEC §13): each limit on the summary taken when measuring ended, the mask
//! on the averaged spectrum, and the outcome of the whole. Pure: the same summary and
//! spectrum always give the same verdict, and the screen, the result and the report read it.

use serde::Serialize;
use serde_json::Value;

use super::limits::{Limit, Limits, Mask};
use crate::analysis::power_to_db;

/// A limit's, the mask's or the check's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    /// Inside the limits, but within `marginal` of one.
    Marginal,
    Fail,
    /// No value to judge: no tone, no data, no sample rate.
    Error,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Marginal => "marginal",
            Outcome::Fail => "fail",
            Outcome::Error => "error",
        }
    }
}

/// One limit, judged.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LimitResult {
    pub name: String,
    /// The path of the number judged.
    pub path: String,
    pub value: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub unit: Option<String>,
    pub outcome: Outcome,
}

/// The mask, judged: where the spectrum came closest to it (or went furthest over it).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MaskResult {
    pub outcome: Outcome,
    pub worst_hz: Option<f64>,
    /// How far the worst bin stood above the mask, dB (negative: below it by that much).
    pub worst_over_db: Option<f64>,
}

/// Every limit and the mask, judged.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub limits: Vec<LimitResult>,
    pub mask: Option<MaskResult>,
}

impl Verdict {
    /// The check's outcome: a failure is a verdict on the board, so it wins over a value in
    /// error (which leaves no verdict); marginal passes unless `strict`.
    pub fn outcome(&self, strict: bool) -> Outcome {
        let all = self
            .limits
            .iter()
            .map(|l| l.outcome)
            .chain(self.mask.iter().map(|m| m.outcome));
        let mut worst = Outcome::Pass;
        for outcome in all {
            worst = match (worst, outcome) {
                (_, Outcome::Fail) | (Outcome::Fail, _) => Outcome::Fail,
                (_, Outcome::Error) | (Outcome::Error, _) => Outcome::Error,
                (_, Outcome::Marginal) | (Outcome::Marginal, _) => Outcome::Marginal,
                _ => Outcome::Pass,
            };
        }
        match worst {
            Outcome::Marginal if strict => Outcome::Fail,
            other => other,
        }
    }
}

/// Judges `limits` on `summary` (SPEC §5's object) and the mask on `spectrum` (linear power
/// per bin, `bin_hz` apart).
pub fn judge(limits: &Limits, summary: &Value, spectrum: &[f32], bin_hz: Option<f64>) -> Verdict {
    Verdict {
        limits: limits
            .limits
            .iter()
            .map(|l| judge_limit(l, summary))
            .collect(),
        mask: limits
            .mask
            .as_ref()
            .map(|m| judge_mask(m, spectrum, bin_hz)),
    }
}

pub fn judge_limit(limit: &Limit, summary: &Value) -> LimitResult {
    let value = limit.path.read(summary);
    let outcome = match value {
        None => Outcome::Error,
        Some(v) => {
            let below = limit.min.is_some_and(|lo| v < lo);
            let above = limit.max.is_some_and(|hi| v > hi);
            let near = limit.min.is_some_and(|lo| v - lo < limit.marginal)
                || limit.max.is_some_and(|hi| hi - v < limit.marginal);
            if below || above {
                Outcome::Fail
            } else if near {
                Outcome::Marginal
            } else {
                Outcome::Pass
            }
        }
    };
    LimitResult {
        name: limit.name.clone(),
        path: limit.path.as_str().to_owned(),
        value,
        min: limit.min,
        max: limit.max,
        unit: limit.unit.clone(),
        outcome,
    }
}

/// The mask on every bin it covers: fails at the bin that stands furthest above it.
pub fn judge_mask(mask: &Mask, spectrum: &[f32], bin_hz: Option<f64>) -> MaskResult {
    let error = MaskResult {
        outcome: Outcome::Error,
        worst_hz: None,
        worst_over_db: None,
    };
    let Some(bin_hz) = bin_hz else {
        return error;
    };
    let worst = spectrum
        .iter()
        .enumerate()
        .filter_map(|(k, &power)| {
            let hz = k as f64 * bin_hz;
            let level = mask.level_at(hz)?;
            Some((hz, f64::from(power_to_db(power)) - level))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1));
    match worst {
        None => error,
        Some((hz, over)) => MaskResult {
            outcome: if over > 0.0 {
                Outcome::Fail
            } else {
                Outcome::Pass
            },
            worst_hz: Some(hz),
            // To a hundredth of a dB, as the summary's figures are given.
            worst_over_db: Some((over * 100.0).round() / 100.0),
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::check::limits::parse;

    fn verdict(limits: &str, summary: Value) -> Verdict {
        judge(&parse(limits, "t").unwrap(), &summary, &[], None)
    }

    /// Just inside, within the margin, just outside, and nothing to judge.
    #[test]
    fn a_limit_passes_is_marginal_fails_or_has_no_value() {
        let limits = "[limit.snr]\nvalue = \"adc.snr_db\"\nmin = 60\nmax = 80\nmarginal = 1\n";
        let outcome =
            |snr: Value| verdict(limits, json!({"adc": {"snr_db": snr}})).limits[0].outcome;
        assert_eq!(outcome(json!(70.0)), Outcome::Pass);
        assert_eq!(outcome(json!(60.5)), Outcome::Marginal);
        assert_eq!(outcome(json!(79.5)), Outcome::Marginal);
        assert_eq!(
            outcome(json!(60.0)),
            Outcome::Marginal,
            "on the bound is inside"
        );
        assert_eq!(outcome(json!(59.99)), Outcome::Fail);
        assert_eq!(outcome(json!(80.01)), Outcome::Fail);
        assert_eq!(outcome(Value::Null), Outcome::Error);
        let no_adc = verdict(limits, json!({"adc": null}));
        assert_eq!(no_adc.limits[0].outcome, Outcome::Error);
        assert_eq!(no_adc.limits[0].value, None);
    }

    #[test]
    fn the_whole_is_its_worst_part_and_strict_fails_a_marginal() {
        let limits = "[limit.a]\nvalue = \"frames\"\nmin = 10\nmarginal = 5\n\
                      [limit.b]\nvalue = \"dropped\"\nmax = 0\n";
        let whole = |frames: Value, dropped: Value, strict| {
            verdict(limits, json!({"frames": frames, "dropped": dropped})).outcome(strict)
        };
        assert_eq!(whole(json!(100), json!(0), false), Outcome::Pass);
        assert_eq!(whole(json!(12), json!(0), false), Outcome::Marginal);
        assert_eq!(whole(json!(12), json!(0), true), Outcome::Fail);
        assert_eq!(whole(json!(100), json!(1), false), Outcome::Fail);
        assert_eq!(whole(json!(100), Value::Null, false), Outcome::Error);
        assert_eq!(
            whole(json!(1), Value::Null, false),
            Outcome::Fail,
            "a failure is a verdict"
        );
    }

    #[test]
    fn the_mask_fails_at_the_bin_furthest_above_it() {
        let mask = Mask {
            points: vec![(0.0, -60.0), (1000.0, -60.0)],
        };
        let db = |d: f64| 10f32.powf(d as f32 / 10.0);
        let mut spectrum = vec![db(-80.0); 11];
        let under = judge_mask(&mask, &spectrum, Some(100.0));
        assert_eq!(under.outcome, Outcome::Pass);
        assert!((under.worst_over_db.unwrap() + 20.0).abs() < 1e-3);
        spectrum[3] = db(-55.0);
        spectrum[7] = db(-50.0);
        let over = judge_mask(&mask, &spectrum, Some(100.0));
        assert_eq!(over.outcome, Outcome::Fail);
        assert_eq!(over.worst_hz, Some(700.0));
        assert!((over.worst_over_db.unwrap() - 10.0).abs() < 1e-3);
        assert_eq!(judge_mask(&mask, &spectrum, None).outcome, Outcome::Error);
        assert_eq!(judge_mask(&mask, &[], Some(100.0)).outcome, Outcome::Error);
    }
}
