//! A check's result in the forms SPEC §13 fixes: the JSON result for a script, JUnit XML for
//! CI, and a table for a person. All three from one [`CheckResult`]: they cannot disagree.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde_json::{Value, json};

use super::judge::{LimitResult, MaskResult, Outcome, Verdict};

/// A check, done.
#[derive(Clone, Debug)]
pub struct CheckResult {
    /// The suite's name (the limits file's `name`, or its stem).
    pub name: String,
    pub outcome: Outcome,
    /// The board under test (`--dut`, or its USB serial number).
    pub dut: Option<String>,
    /// The board's name when several were checked at once (SPEC §16).
    pub board: Option<String>,
    pub started: DateTime<Utc>,
    pub ended: DateTime<Utc>,
    /// What was measured and how (source, fs, FFT, window, …).
    pub settings: Value,
    pub verdict: Verdict,
    /// The summary the limits were judged on (SPEC §5), or null when nothing was measured.
    pub summary: Value,
    /// Why no verdict could be reached, when none was (the source failed, no frame came).
    pub reason: Option<String>,
}

impl CheckResult {
    /// The exit status of SPEC §13: 0 pass or marginal, 1 a failure, 3 no verdict.
    pub fn exit_status(&self) -> u8 {
        match self.outcome {
            Outcome::Pass | Outcome::Marginal => 0,
            Outcome::Fail => 1,
            Outcome::Error => 3,
        }
    }

    /// SPEC §13's JSON result (with `reason` beside `outcome` when no verdict was reached).
    pub fn json(&self) -> Value {
        let mut value = json!({
            "name": self.name,
            "outcome": self.outcome.name(),
            "dut": self.dut,
            "started": time(self.started),
            "ended": time(self.ended),
            "settings": self.settings,
            "limits": self.verdict.limits.iter().map(limit_json).collect::<Vec<_>>(),
            "mask": self.verdict.mask.as_ref().map(|m| json!({
                "outcome": m.outcome.name(),
                "worst_hz": m.worst_hz,
                "worst_over_db": m.worst_over_db,
            })),
            "summary": self.summary,
        });
        if let Some(reason) = &self.reason {
            value["reason"] = reason.clone().into();
        }
        if let Some(board) = &self.board {
            value["board"] = board.clone().into();
        }
        value
    }

    /// JUnit XML: one testsuite (the name), a testcase per limit and one for the mask, a
    /// `failure` for a failed limit and for one in error, its value and limits in the message.
    pub fn junit(&self) -> String {
        junit(std::slice::from_ref(self))
    }

    /// This result's testsuite: named by the check, and by the board when several were
    /// checked (`bench1: F4 ADC`).
    fn junit_suite(&self) -> TestSuite {
        let suite_name = match &self.board {
            Some(board) => format!("{board}: {}", self.name),
            None => self.name.clone(),
        };
        let mut suite = TestSuite::new(suite_name.as_str());
        suite.set_timestamp(self.started.fixed_offset());
        let seconds = (self.ended - self.started).to_std().unwrap_or_default();
        suite.set_time(seconds);
        if let Some(dut) = &self.dut {
            suite.add_property(("dut", dut.as_str()));
        }
        for limit in &self.verdict.limits {
            let failed = limit.outcome == Outcome::Fail
                || limit.outcome == Outcome::Error
                || (limit.outcome == Outcome::Marginal && self.outcome == Outcome::Fail);
            let message = format!(
                "{} = {} ({}): {}",
                limit.path,
                value_text(limit.value, limit.unit.as_deref()),
                bounds_text(limit),
                limit.outcome.name()
            );
            suite.add_test_case(case(&limit.name, &self.name, failed, message));
        }
        if let Some(mask) = &self.verdict.mask {
            let failed = matches!(mask.outcome, Outcome::Fail | Outcome::Error);
            suite.add_test_case(case("mask", &self.name, failed, mask_text(mask)));
        }
        if let Some(reason) = &self.reason {
            suite.add_test_case(case("measurement", &self.name, true, reason.clone()));
        }
        if let Some(board) = &self.board {
            suite.add_property(("board", board.as_str()));
        }
        suite
    }

    /// A table for a person: each limit with its value, limits and verdict; then the outcome.
    pub fn table(&self) -> String {
        let mut rows: Vec<[String; 4]> = vec![[
            "limit".into(),
            "value".into(),
            "limits".into(),
            "verdict".into(),
        ]];
        for limit in &self.verdict.limits {
            rows.push([
                limit.name.clone(),
                value_text(limit.value, limit.unit.as_deref()),
                bounds_text(limit),
                shout(limit.outcome),
            ]);
        }
        if let Some(mask) = &self.verdict.mask {
            rows.push([
                "mask".into(),
                mask_text(mask),
                String::new(),
                shout(mask.outcome),
            ]);
        }
        let widths: Vec<usize> = (0..4)
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        if let Some(board) = &self.board {
            let _ = write!(out, "{board} · ");
        }
        let _ = write!(out, "{}", self.name);
        if let Some(dut) = &self.dut {
            let _ = write!(out, " · DUT {dut}");
        }
        out.push('\n');
        for row in &rows {
            out.push(' ');
            for (c, cell) in row.iter().enumerate() {
                let pad = widths[c] - cell.chars().count();
                let _ = write!(out, " {cell}{}", " ".repeat(pad));
            }
            let trimmed = out.trim_end().len();
            out.truncate(trimmed);
            out.push('\n');
        }
        let _ = write!(out, "{}", shout(self.outcome));
        if let Some(reason) = &self.reason {
            let _ = write!(out, ": {reason}");
        }
        out.push('\n');
        out
    }
}

/// JUnit XML of one or more results: a testsuite each (SPEC §13, §16).
pub fn junit(results: &[CheckResult]) -> String {
    let mut report = Report::new("sse-tui check");
    if let Some(first) = results.first() {
        report.set_timestamp(first.started.fixed_offset());
    }
    for result in results {
        report.add_test_suite(result.junit_suite());
    }
    report.to_string().expect("JUnit XML in memory")
}

/// The exit status of several boards' checks: the worst. A failure is a verdict on a board,
/// so it wins over a board with no verdict, as a failed limit wins over a value in error
/// within one board (SPEC §13).
pub fn worst_exit_status(results: &[CheckResult]) -> u8 {
    let statuses = || results.iter().map(CheckResult::exit_status);
    if statuses().any(|s| s == 1) {
        1
    } else {
        statuses().max().unwrap_or(0)
    }
}

fn case(name: &str, suite: &str, failed: bool, message: String) -> TestCase {
    let mut status = if failed {
        TestCaseStatus::non_success(NonSuccessKind::Failure)
    } else {
        TestCaseStatus::success()
    };
    if failed {
        status.set_message(message.as_str());
    }
    let mut case = TestCase::new(name, status);
    case.set_classname(suite);
    if !failed {
        case.set_system_out(message.as_str());
    }
    case
}

fn limit_json(limit: &LimitResult) -> Value {
    json!({
        "name": limit.name,
        "value": limit.value,
        "min": limit.min,
        "max": limit.max,
        "unit": limit.unit,
        "outcome": limit.outcome.name(),
        "path": limit.path,
    })
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn shout(outcome: Outcome) -> String {
    match outcome {
        Outcome::Pass => "pass".into(),
        Outcome::Marginal => "MARGINAL".into(),
        Outcome::Fail => "FAIL".into(),
        Outcome::Error => "ERROR (no value)".into(),
    }
}

/// A number as a person reads it: as many decimals as its size needs.
pub fn value_text(value: Option<f64>, unit: Option<&str>) -> String {
    let Some(v) = value else {
        return "–".into();
    };
    let text = if v == v.trunc() && v.abs() < 1e9 {
        format!("{v:.0}")
    } else if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    match unit {
        Some(unit) => format!("{text} {unit}"),
        None => text,
    }
}

pub fn bounds_text(limit: &LimitResult) -> String {
    let unit = limit
        .unit
        .as_deref()
        .map_or(String::new(), |u| format!(" {u}"));
    let n = |x: f64| value_text(Some(x), None);
    match (limit.min, limit.max) {
        (Some(lo), Some(hi)) => format!("{} – {}{unit}", n(lo), n(hi)),
        (Some(lo), None) => format!("≥ {}{unit}", n(lo)),
        (None, Some(hi)) => format!("≤ {}{unit}", n(hi)),
        (None, None) => String::new(),
    }
}

fn mask_text(mask: &MaskResult) -> String {
    match (mask.worst_hz, mask.worst_over_db) {
        (Some(hz), Some(over)) if over > 0.0 => format!("{over:.1} dB over at {hz:.1} Hz"),
        (Some(hz), Some(over)) => format!("{:.1} dB under at worst ({hz:.1} Hz)", -over),
        _ => "no spectrum with a sample rate to hold to it".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::judge::judge;
    use crate::check::limits::parse;

    fn result(snr: f64, strict: bool) -> CheckResult {
        let limits = parse(
            "name = \"F4 & <friends>\"\n[limit.snr]\nvalue = \"adc.snr_db\"\nmin = 60\nmarginal = 2\nunit = \"dB\"\n\
             [limit.tone]\nvalue = \"peak_hz\"\nmin = 995\nmax = 1005\n",
            "t",
        )
        .unwrap();
        let summary = json!({"adc": {"snr_db": snr}, "peak_hz": 1000.2});
        let verdict = judge(&limits, &summary, &[], None);
        let started = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        CheckResult {
            name: limits.name.clone(),
            outcome: verdict.outcome(strict),
            dut: Some("0674FF".into()),
            board: None,
            started,
            ended: started + chrono::Duration::seconds(5),
            settings: json!({"fft": 1024}),
            verdict,
            summary,
            reason: None,
        }
    }

    #[test]
    fn the_json_result_has_specs_keys() {
        let json = result(58.0, false).json();
        assert_eq!(json["outcome"], "fail");
        assert_eq!(json["dut"], "0674FF");
        assert_eq!(json["started"], "2023-11-14T22:13:20.000Z");
        assert_eq!(json["limits"][0]["name"], "snr");
        assert_eq!(json["limits"][0]["value"], 58.0);
        assert_eq!(json["limits"][0]["outcome"], "fail");
        assert_eq!(json["limits"][1]["outcome"], "pass");
        assert_eq!(json["mask"], Value::Null);
        assert_eq!(json["summary"]["peak_hz"], 1000.2);
        assert_eq!(result(61.0, false).exit_status(), 0);
        assert_eq!(result(61.0, true).exit_status(), 1);
        assert_eq!(result(58.0, false).exit_status(), 1);
    }

    #[test]
    fn junit_fails_what_failed_and_escapes_the_name() {
        let xml = result(58.0, false).junit();
        assert!(xml.contains("F4 &amp; &lt;friends&gt;"), "{xml}");
        assert_eq!(xml.matches("<testcase").count(), 2);
        assert_eq!(xml.matches("<failure").count(), 1, "{xml}");
        assert!(xml.contains("adc.snr_db = 58 dB (≥ 60 dB): fail"), "{xml}");
        // A marginal limit fails the suite under --strict, and its test case with it.
        let strict = result(61.0, true).junit();
        assert_eq!(strict.matches("<failure").count(), 1, "{strict}");
        assert_eq!(result(61.0, false).junit().matches("<failure").count(), 0);
    }

    #[test]
    fn the_table_reads_as_a_person_would_write_it() {
        let table = result(61.0, false).table();
        assert!(
            table.starts_with("F4 & <friends> · DUT 0674FF\n"),
            "{table}"
        );
        assert!(table.contains("snr"), "{table}");
        assert!(table.contains("61 dB"), "{table}");
        assert!(table.contains("≥ 60 dB"), "{table}");
        assert!(table.contains("MARGINAL"), "{table}");
        assert!(table.contains("995 – 1005"), "{table}");
        assert!(table.ends_with("MARGINAL\n"), "{table}");
    }

    /// Several boards: a result each with its board, a testsuite each, the worst status.
    #[test]
    fn several_boards_a_suite_each_and_the_worst_status() {
        let on = |board: &str, snr: f64| CheckResult {
            board: Some(board.into()),
            ..result(snr, false)
        };
        let results = [on("bench1", 70.0), on("bench2", 58.0)];
        let xml = junit(&results);
        assert_eq!(xml.matches("<testsuite ").count(), 2, "{xml}");
        assert!(
            xml.contains("name=\"bench1: F4 &amp; &lt;friends&gt;\""),
            "{xml}"
        );
        assert!(xml.contains("name=\"bench2: F4"), "{xml}");
        assert_eq!(xml.matches("<failure").count(), 1, "{xml}");
        assert_eq!(results[1].json()["board"], "bench2");
        assert!(results[1].table().starts_with("bench2 · F4"));
        assert_eq!(worst_exit_status(&results), 1);
        let no_verdict = CheckResult {
            outcome: Outcome::Error,
            ..on("bench3", 70.0)
        };
        assert_eq!(worst_exit_status(&[on("a", 70.0), no_verdict.clone()]), 3);
        // A failure is a verdict: it wins over a board with none.
        assert_eq!(worst_exit_status(&[no_verdict, on("b", 58.0)]), 1);
        assert_eq!(worst_exit_status(&[on("a", 70.0), on("b", 61.0)]), 0);
        assert!(result(70.0, false).json().get("board").is_none());
    }
}
