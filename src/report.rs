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
    ("adc.nsd_dbfs_hz", "noise spectral density", "dBFS/Hz"),
    ("adc.sfdr_dbfs", "SFDR (full scale)", "dBFS"),
    ("adc.worst_other_spur.hz", "worst other spur", "Hz"),
    ("adc.worst_other_spur.dbc", "its level", "dBc"),
];

/// Two tones (SPEC §15): the tones, and the worse product of each order.
const IMD_FIGURES: &[(&str, &str, &str)] = &[
    ("imd.f1_hz", "f1", "Hz"),
    ("imd.f1_dbfs", "f1 level", "dBFS"),
    ("imd.f2_hz", "f2", "Hz"),
    ("imd.f2_dbfs", "f2 level", "dBFS"),
    ("imd.imd2_dbc", "IMD2", "dBc"),
    ("imd.imd3_dbc", "IMD3", "dBc"),
];

/// The four-parameter sine fit of the latest block (SPEC §15).
const SINEFIT_FIGURES: &[(&str, &str, &str)] = &[
    ("sinefit.freq_hz", "frequency", "Hz"),
    ("sinefit.amplitude_fs", "amplitude", "FS"),
    ("sinefit.offset_fs", "offset", "FS"),
    ("sinefit.sinad_db", "SINAD", "dB"),
    ("sinefit.enob_bits", "ENOB", "bits"),
];

/// The code-density test's figures, once it has them (SPEC §15).
const LINEARITY_FIGURES: &[(&str, &str, &str)] = &[
    ("linearity.dnl_min", "DNL min", "LSB"),
    ("linearity.dnl_max", "DNL max", "LSB"),
    ("linearity.inl_min", "INL min", "LSB"),
    ("linearity.inl_max", "INL max", "LSB"),
    ("linearity.bits", "resolution", "bits"),
    ("linearity.first_code", "first code", ""),
    ("linearity.last_code", "last code", ""),
    ("linearity.samples", "samples", ""),
];

/// Missing codes listed by number, up to this many (a broken converter may miss thousands).
const MISSING_CODES_LISTED: usize = 32;

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
            summary: Some(self.summary),
            ..Plot::of(self.snapshot, -140.0, 0.0, false)
        };
        let _ = writeln!(out, "<h2>Spectrum</h2>\n{}", plot.svg(960.0, 360.0));
        out.push_str("<div class=\"grid\">\n");
        // Two tones are no single tone: their figures replace the single tone's (then null).
        if self.present("imd") {
            self.figures(&mut out, "Two tones (IMD)", IMD_FIGURES);
            self.products(&mut out);
        } else {
            self.figures(&mut out, "ADC", ADC_FIGURES);
            self.harmonics(&mut out);
            self.spurs(&mut out);
        }
        if self.present("sinefit") {
            self.figures(&mut out, "Sine fit", SINEFIT_FIGURES);
        }
        self.linearity(&mut out);
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
        self.figure_rows(out, figures);
        out.push_str("</table></section>\n");
    }

    fn figure_rows(&self, out: &mut String, figures: &[(&str, &str, &str)]) {
        for &(path, label, unit) in figures {
            let value = SummaryPath::parse(path)
                .expect("a path the summary holds")
                .read(self.summary);
            let _ = writeln!(out, "<tr><th>{label}</th>{}</tr>", cell(path, value, unit));
        }
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

    /// Whether the summary has something at `key` (not null).
    fn present(&self, key: &str) -> bool {
        !self.summary[key].is_null()
    }

    /// The spur table (SPEC §15): the strongest components besides the fundamental, the
    /// first setting SFDR, a harmonic named by its order.
    fn spurs(&self, out: &mut String) {
        let Some(spurs) = self.summary["adc"]["spurs"].as_array() else {
            return;
        };
        if spurs.is_empty() {
            return;
        }
        out.push_str(
            "<section><h2>Spurs</h2><table>\
             <tr><th></th><th>Hz</th><th>dBFS</th><th>dBc</th></tr>\n",
        );
        for (i, spur) in spurs.iter().enumerate() {
            let kind = match spur["n"].as_u64() {
                Some(n) => format!("H{n}"),
                None => "spur".to_owned(),
            };
            let cells: String = ["hz", "dbfs", "dbc"]
                .iter()
                .map(|field| cell(&format!("adc.spurs[{i}].{field}"), spur[field].as_f64(), ""))
                .collect();
            let _ = writeln!(out, "<tr><td>{kind}</td>{cells}</tr>");
        }
        out.push_str("</table></section>\n");
    }

    /// Two tones' products, each where it folds; one under the noise (or on a tone's or DC's
    /// lobe) has no level, and says so.
    fn products(&self, out: &mut String) {
        let Some(products) = self.summary["imd"]["products"].as_array() else {
            return;
        };
        out.push_str(
            "<section><h2>Intermodulation products</h2><table>\
             <tr><th></th><th>Hz</th><th>dBFS</th><th>dBc</th></tr>\n",
        );
        for (i, product) in products.iter().enumerate() {
            let key = |field: &str| format!("imd.products[{i}].{field}");
            let hz = cell(&key("hz"), product["hz"].as_f64(), "");
            let levels = match (product["dbfs"].as_f64(), product["dbc"].as_f64()) {
                (None, None) => format!(
                    "<td class=\"muted\" colspan=\"2\" data-key=\"{}\" data-value=\"\">under the noise</td>",
                    key("dbc")
                ),
                (dbfs, dbc) => cell(&key("dbfs"), dbfs, "") + &cell(&key("dbc"), dbc, ""),
            };
            let _ = writeln!(
                out,
                "<tr><td>IM{}</td>{hz}{levels}</tr>",
                product["order"].as_u64().unwrap_or(0)
            );
        }
        out.push_str("</table></section>\n");
    }

    /// The code-density test: its figures and missing codes once ready; before, how far it
    /// has come and what it waits for (or why it cannot be made).
    fn linearity(&self, out: &mut String) {
        let withheld = self.summary["linearity_withheld"].as_str();
        let ready = self.present("linearity");
        if !ready && !self.present("linearity_progress") && withheld.is_none() {
            return;
        }
        out.push_str("<section><h2>Linearity (code density)</h2><table>\n");
        if ready {
            self.figure_rows(out, LINEARITY_FIGURES);
            self.missing_codes(out);
        } else {
            let progress = self.summary["linearity_progress"].as_f64();
            let _ = writeln!(
                out,
                "<tr><th>progress</th><td class=\"n\" data-key=\"linearity_progress\" data-value=\"{}\">{}</td></tr>",
                number(progress),
                progress.map_or("–".to_owned(), |p| format!("{:.0} %", p * 100.0))
            );
        }
        out.push_str("</table>");
        if let Some(why) = withheld {
            let _ = write!(out, "<p class=\"muted\" data-withheld>{}</p>", escape(why));
        }
        out.push_str("</section>\n");
    }

    /// The missing codes' row: how many, and which (the first few of many).
    fn missing_codes(&self, out: &mut String) {
        let codes = self.summary["linearity"]["missing_codes"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        let listed: String = codes
            .iter()
            .take(MISSING_CODES_LISTED)
            .enumerate()
            .map(|(i, code)| {
                format!(
                    " <span data-key=\"linearity.missing_codes[{i}]\" data-value=\"{}\">{}</span>",
                    number(code.as_f64()),
                    value_text(code.as_f64(), None)
                )
            })
            .collect();
        let more = match codes.len().saturating_sub(MISSING_CODES_LISTED) {
            0 => String::new(),
            more => format!(" and {more} more"),
        };
        let _ = writeln!(
            out,
            "<tr><th>missing codes</th><td class=\"n\" data-missing-codes=\"{0}\">{0}{1}{more}</td></tr>",
            codes.len(),
            if codes.is_empty() {
                String::new()
            } else {
                format!(":{listed}")
            }
        );
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

/// A table cell holding the summary's number at `key`.
fn cell(key: &str, value: Option<f64>, unit: &str) -> String {
    format!(
        "<td class=\"n\" data-key=\"{key}\" data-value=\"{}\">{}</td>",
        number(value),
        escape(&figure_text(value, unit))
    )
}

/// A figure as a person reads it: as the check's table writes numbers, but a small one (a
/// sine fit's offset of 0.0002 FS) to three significant digits, not as 0.00.
fn figure_text(value: Option<f64>, unit: &str) -> String {
    let unit = (!unit.is_empty()).then_some(unit);
    match value {
        Some(v) if v != 0.0 && v.abs() < 0.01 => {
            let decimals = (2 - v.abs().log10().floor() as i32).max(0) as usize;
            let text = format!("{v:.decimals$}");
            let text = text.trim_end_matches('0');
            match unit {
                Some(unit) => format!("{text} {unit}"),
                None => text.to_owned(),
            }
        }
        _ => value_text(value, unit),
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

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::analysis::linearity::Withheld;
    use crate::snapshot::sample::{
        sample_adc, sample_imd, sample_linearity, sample_sinefit, sample_snapshot,
    };

    /// The report of `snapshot` as the monitor writes one: with the summary of the same
    /// snapshot.
    fn report_of(snapshot: &Snapshot) -> (String, Value) {
        let summary = crate::summary::object(
            "summary",
            snapshot,
            10.0,
            Default::default(),
            Instant::now(),
        );
        let html = Report {
            summary: &summary,
            snapshot,
            check: None,
            mask: None,
            dut: None,
            created: DateTime::UNIX_EPOCH,
            seconds: 10.0,
        }
        .html();
        (html, summary)
    }

    /// Every `data-key` and its `data-value` in `html`, in order.
    fn figures_in(html: &str) -> Vec<(String, String)> {
        html.split("data-key=\"")
            .skip(1)
            .map(|rest| {
                let (key, rest) = rest.split_once('"').expect("a closed attribute");
                let value = rest
                    .strip_prefix(" data-value=\"")
                    .and_then(|rest| rest.split_once('"'))
                    .unwrap_or_else(|| panic!("{key} has no data-value"))
                    .0;
                (key.to_owned(), value.to_owned())
            })
            .collect()
    }

    /// Each figure's `data-value` is the summary's number at its `data-key` (empty for none).
    fn assert_figures_are_the_summarys(html: &str, summary: &Value) {
        for (key, shown) in figures_in(html) {
            let truth = SummaryPath::parse(&key)
                .unwrap_or_else(|e| panic!("{key}: {e}"))
                .read(summary);
            assert_eq!(shown, number(truth), "{key}");
        }
    }

    fn keys(html: &str) -> Vec<String> {
        figures_in(html).into_iter().map(|(key, _)| key).collect()
    }

    /// The text of the SVG mark whose `data-key` is `key`.
    fn mark_labelled(html: &str, key: &str) -> Option<String> {
        let at = html.find(&format!("data-key=\"{key}\""))?;
        let text = &html[at..];
        let start = text.find('>')? + 1;
        let end = text.find("</text>")?;
        Some(text[start..end].trim().to_owned())
    }

    /// A single tone with its spurs, a sine fit and a finished code-density test: every §15
    /// figure is in the report as the summary has it, and the spurs are marked on the plot.
    #[test]
    fn a_single_tones_datasheet_figures_are_the_summarys() {
        let mut snapshot = sample_snapshot(Instant::now());
        snapshot.adc = Some(sample_adc());
        snapshot.sinefit = Some(sample_sinefit());
        snapshot.linearity = Some(sample_linearity());
        let (html, summary) = report_of(&snapshot);
        assert_figures_are_the_summarys(&html, &summary);
        let keys = keys(&html);
        for key in [
            "adc.nsd_dbfs_hz",
            "adc.sfdr_dbfs",
            "adc.worst_other_spur.hz",
            "adc.worst_other_spur.dbc",
            "adc.spurs[2].dbc",
            "sinefit.freq_hz",
            "sinefit.enob_bits",
            "linearity.dnl_min",
            "linearity.inl_max",
            "linearity.missing_codes[0]",
        ] {
            assert!(keys.iter().any(|k| k == key), "no {key} in {keys:?}");
        }
        for heading in ["Spurs", "Sine fit", "Linearity (code density)"] {
            assert!(html.contains(&format!("<h2>{heading}</h2>")), "{heading}");
        }
        assert!(!html.contains("Two tones"));
        // The table names the harmonics among the spurs by their order.
        assert!(html.contains("<tr><td>H3</td>"), "{html}");
        assert!(html.contains("data-missing-codes=\"1\">1: <span"), "{html}");
        // A fit's offset of 0.00012 FS reads as such, not as 0.00.
        assert!(html.contains(">-0.00012 FS</td>"), "{html}");
        // The tone at bin 157 is the worst spur; H2 and H3 are marked once, as harmonics.
        assert_eq!(
            mark_labelled(&html, "adc.spurs[0].hz").as_deref(),
            Some("worst spur")
        );
        assert_eq!(
            mark_labelled(&html, "adc.harmonics[0].hz").as_deref(),
            Some("H2")
        );
        assert_eq!(mark_labelled(&html, "adc.spurs[1].hz"), None);
    }

    /// Two tones: their figures and every product (the one under the noise said so, not
    /// marked), and no single-tone table of dashes.
    #[test]
    fn two_tones_show_their_products_instead_of_the_single_tones_figures() {
        let mut snapshot = sample_snapshot(Instant::now());
        snapshot.imd = Some(sample_imd());
        let (html, summary) = report_of(&snapshot);
        assert_figures_are_the_summarys(&html, &summary);
        assert!(html.contains("<h2>Two tones (IMD)</h2>"));
        assert!(!html.contains("<h2>ADC</h2>"));
        assert_eq!(html.matches("under the noise").count(), 1, "{html}");
        assert!(keys(&html).iter().any(|k| k == "imd.imd3_dbc"));
        let marks: Vec<Option<String>> = (0..4)
            .map(|i| mark_labelled(&html, &format!("imd.products[{i}].hz")))
            .collect();
        assert_eq!(
            marks,
            [
                Some("IM2".into()),
                None,
                Some("IM3".into()),
                Some("IM3".into())
            ]
        );
    }

    /// A code-density test under way shows how far it has come and what it waits for; one
    /// that cannot be made says why (escaped: the sentence is text, never markup).
    #[test]
    fn a_linearity_test_not_ready_shows_its_progress_and_why() {
        let mut snapshot = sample_snapshot(Instant::now());
        let mut early = sample_linearity();
        early.progress = 0.4;
        early.withheld = Some(Withheld::Following { coverage: 0.5 });
        snapshot.linearity = Some(early);
        let (html, summary) = report_of(&snapshot);
        assert_figures_are_the_summarys(&html, &summary);
        assert!(html.contains("data-value=\"0.4\">40 %</td>"), "{html}");
        assert!(
            html.contains("following the sine's phases: 50 % visited"),
            "{html}"
        );
        assert!(!keys(&html).iter().any(|k| k.starts_with("linearity.")));

        snapshot.linearity = None;
        snapshot.linearity_unavailable = Some("samples <as floats> carry no codes".into());
        let (html, _) = report_of(&snapshot);
        assert!(
            html.contains("samples &lt;as floats&gt; carry no codes"),
            "{html}"
        );
        assert!(html.contains("data-value=\"\">–</td>"), "{html}");
    }

    /// Without a code-density test asked for, no section for it.
    #[test]
    fn no_linearity_section_unless_asked_for() {
        let (html, _) = report_of(&sample_snapshot(Instant::now()));
        assert!(!html.contains("Linearity"));
        assert!(!html.contains("Sine fit"));
    }
}
