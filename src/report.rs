//! `--report FILE.html` (SPEC §14): one self-contained page a colleague can open, on a phone
//! or on paper: the averaged spectrum as inline SVG, the figures, the verdict when checking,
//! the latency, and the settings. Made from the same summary and spectrum as the screen and
//! the result (no second analysis); every figure is an element with `data-key` (its path in
//! the summary) and `data-value` (the number), for scripts and tests.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use crate::check::limits::Mask;
use crate::check::result::{CheckResult, bounds_text, value_text};
use crate::plot::Plot;
use crate::snapshot::Snapshot;
use crate::summary::path::SummaryPath;

/// What a report is made of.
pub struct Report<'a> {
    /// The summary object its figures come from (SPEC §5; a check's measured interval).
    pub summary: &'a Value,
    /// The snapshot whose spectrum is drawn.
    pub snapshot: &'a Snapshot,
    pub check: Option<&'a CheckResult>,
    pub mask: Option<&'a Mask>,
    pub dut: Option<&'a str>,
    pub created: DateTime<Utc>,
    /// Seconds the run lasted.
    pub seconds: f64,
}

/// The figures of SPEC §7 and §15, in the order a datasheet gives them: (path, label, unit).
const ADC_FIGURES: &[(&str, &str, &str)] = &[
    ("adc.fundamental_hz", "fundamental", "Hz"),
    ("adc.fundamental_dbfs", "fundamental level", "dBFS"),
    ("adc.snr_db", "SNR", "dB"),
    ("adc.thd_db", "THD", "dBc"),
    ("adc.sinad_db", "SINAD", "dB"),
    ("adc.enob_bits", "ENOB", "bits"),
    ("adc.enob_fs_bits", "ENOB (full scale)", "bits"),
    ("adc.sfdr_dbc", "SFDR", "dBc"),
    ("adc.noise_floor_dbfs", "noise floor", "dBFS/bin"),
];

const REFERENCE_FIGURES: &[(&str, &str, &str)] = &[
    ("reference_max_delta_db", "largest difference", "dB"),
    ("reference_worst_hz", "where", "Hz"),
];

const STREAM_FIGURES: &[(&str, &str, &str)] = &[
    ("peak_hz", "peak", "Hz"),
    ("peak_dbfs", "peak level", "dBFS"),
    ("frames", "frames", ""),
    ("frames_per_s", "frames/s", ""),
    ("dropped", "dropped", ""),
    ("bad_frames", "bad frames", ""),
    ("duplicates", "duplicates", ""),
    ("reconnects", "reconnects", ""),
];

const LATENCY_FIGURES: &[(&str, &str, &str)] = &[
    ("latency_ms.p50", "p50", "ms"),
    ("latency_ms.p90", "p90", "ms"),
    ("latency_ms.p99", "p99", "ms"),
    ("latency_ms.max", "max", "ms"),
    ("jitter_ms", "jitter", "ms"),
];

const STYLE: &str = "
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:980px;padding:12px;color:#222}
h1{font-size:1.3em;margin:.2em 0}h2{font-size:1.05em;margin:1.2em 0 .3em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:2px 8px 2px 0;vertical-align:top}
td.n{font-variant-numeric:tabular-nums}td{overflow-wrap:anywhere}
.outcome{display:inline-block;padding:2px 10px;border-radius:4px;font-weight:bold;color:#fff}
.pass{background:#1f7a3a}.marginal{background:#b7791f}.fail{background:#c0392b}.error{background:#666}
td.pass,td.marginal,td.fail,td.error{background:none;font-weight:bold}
td.pass{color:#1f7a3a}td.marginal{color:#b7791f}td.fail{color:#c0392b}td.error{color:#666}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:0 24px}
.muted{color:#666}svg{max-width:100%;height:auto}
@media print{body{max-width:none;font-size:11pt}h2{break-after:avoid}svg,table{break-inside:avoid}}
";

impl Report<'_> {
    pub fn html(&self) -> String {
        let title = match self.check {
            Some(check) => format!("{} — check", check.name),
            None => format!("{} — sse-tui report", self.snapshot.source),
        };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{}</title><style>{STYLE}</style></head><body>",
            escape(&title)
        );
        let _ = write!(out, "<h1>{}</h1>\n<p class=\"muted\">", escape(&title));
        if let Some(dut) = self.dut {
            let _ = write!(out, "DUT <b data-dut>{}</b> · ", escape(dut));
        }
        let _ = writeln!(
            out,
            "{} · {}</p>",
            escape(&self.snapshot.source),
            self.created.to_rfc3339_opts(SecondsFormat::Secs, true)
        );
        if let Some(check) = self.check {
            self.verdict(&mut out, check);
        }
        let plot = Plot {
            mask: self.mask,
            ..Plot::of(self.snapshot, -140.0, 0.0, false)
        };
        let _ = writeln!(out, "<h2>Spectrum</h2>\n{}", plot.svg(960.0, 360.0));
        out.push_str("<div class=\"grid\">\n");
        self.figures(&mut out, "ADC", ADC_FIGURES);
        self.harmonics(&mut out);
        if self.snapshot.reference.is_some() {
            self.figures(&mut out, "Reference", REFERENCE_FIGURES);
        }
        let stream = if self.check.is_some() {
            "Stream (the measured interval)"
        } else {
            "Stream"
        };
        self.figures(&mut out, stream, STREAM_FIGURES);
        self.figures(&mut out, "Latency", LATENCY_FIGURES);
        out.push_str("</div>\n");
        self.settings(&mut out);
        out.push_str("</body></html>\n");
        out
    }

    fn verdict(&self, out: &mut String, check: &CheckResult) {
        let outcome = check.outcome;
        let _ = write!(
            out,
            "<h2>Verdict</h2>\n<p><span class=\"outcome {0}\" data-outcome=\"{0}\">{1}</span>",
            outcome.name(),
            outcome.name().to_uppercase()
        );
        if let Some(reason) = &check.reason {
            let _ = write!(out, " {}", escape(reason));
        }
        out.push_str(
            "</p>\n<table><tr><th>limit</th><th>value</th><th>limits</th><th>verdict</th></tr>\n",
        );
        for limit in &check.verdict.limits {
            let _ = writeln!(
                out,
                "<tr><td>{name}</td><td class=\"n\" data-key=\"{path}\" data-value=\"{value}\">{text}</td>\
                 <td>{bounds}</td><td class=\"{outcome}\">{outcome}</td></tr>",
                name = escape(&limit.name),
                path = escape(&limit.path),
                value = number(limit.value),
                text = escape(&value_text(limit.value, limit.unit.as_deref())),
                bounds = escape(&bounds_text(limit)),
                outcome = limit.outcome.name(),
            );
        }
        if let Some(mask) = &check.verdict.mask {
            let text = match (mask.worst_hz, mask.worst_over_db) {
                (Some(hz), Some(over)) => {
                    format!("worst bin {over:+.1} dB from the mask at {hz:.1} Hz")
                }
                _ => "no spectrum to hold to it".to_owned(),
            };
            let _ = writeln!(
                out,
                "<tr><td>mask</td><td class=\"n\" data-key=\"mask.worst_over_db\" data-value=\"{}\">{}</td>\
                 <td></td><td class=\"{}\">{}</td></tr>",
                number(mask.worst_over_db),
                escape(&text),
                mask.outcome.name(),
                mask.outcome.name()
            );
        }
        out.push_str("</table>\n");
    }

    fn figures(&self, out: &mut String, heading: &str, figures: &[(&str, &str, &str)]) {
        let _ = writeln!(out, "<section><h2>{heading}</h2><table>");
        for &(path, label, unit) in figures {
            let value = SummaryPath::parse(path)
                .expect("a path the summary holds")
                .read(self.summary);
            let _ = writeln!(
                out,
                "<tr><th>{label}</th><td class=\"n\" data-key=\"{path}\" data-value=\"{}\">{}</td></tr>",
                number(value),
                escape(&value_text(value, (!unit.is_empty()).then_some(unit)))
            );
        }
        out.push_str("</table></section>\n");
    }

    fn harmonics(&self, out: &mut String) {
        let Some(harmonics) = self.summary["adc"]["harmonics"].as_array() else {
            return;
        };
        out.push_str(
            "<section><h2>Harmonics</h2><table><tr><th>n</th><th>Hz</th><th>dBc</th></tr>\n",
        );
        for (i, h) in harmonics.iter().enumerate() {
            let _ = writeln!(
                out,
                "<tr><td>H{}</td><td class=\"n\" data-key=\"adc.harmonics[{i}].hz\" data-value=\"{}\">{}</td>\
                 <td class=\"n\" data-key=\"adc.harmonics[{i}].dbc\" data-value=\"{}\">{}</td></tr>",
                h["n"],
                number(h["hz"].as_f64()),
                value_text(h["hz"].as_f64(), None),
                number(h["dbc"].as_f64()),
                value_text(h["dbc"].as_f64(), None),
            );
        }
        out.push_str("</table></section>\n");
    }

    fn settings(&self, out: &mut String) {
        let s = self.snapshot;
        let window = s.spectrum_window().unwrap_or(s.settings.window).name();
        let mut rows: Vec<(&str, String)> = vec![
            ("source", s.source.clone()),
            (
                "sample rate",
                s.sample_rate.map_or("unknown".into(), crate::format::rate),
            ),
            ("FFT", s.settings.fft_size.to_string()),
            ("window", window.to_owned()),
            ("channel", s.settings.channel.to_string()),
            (
                "averaging",
                if s.settings.averaging { "on" } else { "off" }.into(),
            ),
            ("frames received", s.counters.frames.to_string()),
            ("duration", format!("{:.1} s", self.seconds)),
            (
                "date",
                self.created.to_rfc3339_opts(SecondsFormat::Secs, true),
            ),
            ("version", format!("sse-tui {}", env!("CARGO_PKG_VERSION"))),
        ];
        if let Some(dut) = self.dut {
            rows.insert(1, ("DUT", dut.to_owned()));
        }
        out.push_str("<h2>Settings</h2><table>\n");
        for (name, value) in rows {
            let _ = writeln!(out, "<tr><th>{name}</th><td>{}</td></tr>", escape(&value));
        }
        out.push_str("</table>\n");
    }
}

/// A number for `data-value`: as JSON writes it, empty for none.
fn number(value: Option<f64>) -> String {
    value.map_or(String::new(), |v| Value::from(v).to_string())
}

/// Text for HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
