//! The spectrum as an SVG plot: Hz (or bin) and dBFS axes, the trace, its marks (the peak,
//! the harmonics, the spurs, two tones' intermodulation products), and a check's mask and a
//! reference beside it. What a report embeds and what the screen's export key writes: one
//! drawing, from the snapshot.

use std::fmt::Write as _;

use serde_json::Value;
use svg::Document;
use svg::node::element::{Group, Line, Polyline, Rectangle, Text};

use crate::analysis::adc::{AdcFigures, ImdFigures};
use crate::analysis::power_to_db;
use crate::check::limits::Mask;
use crate::format;
use crate::snapshot::Snapshot;
use crate::summary::path::SummaryPath;

/// A trace has at most this many points: more bins are merged, keeping the strongest, so no
/// peak is lost.
const MAX_POINTS: usize = 1200;

/// What a mark over the trace is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    Peak,
    Harmonic,
    Spur,
    /// A product of two tones' intermodulation.
    Intermodulation,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    /// Where, in (fractional) bins.
    pub bin: f64,
    pub label: String,
    pub kind: MarkKind,
    /// The summary's path to the frequency of what is marked (`adc.spurs[2].hz`).
    pub key: String,
}

/// A spectrum to draw, and how.
pub struct Plot<'a> {
    /// Linear power per bin, 1.0 = 0 dBFS.
    pub spectrum: &'a [f32],
    pub bin_hz: Option<f64>,
    pub db_floor: f64,
    pub db_ceiling: f64,
    pub log_axis: bool,
    pub marks: Vec<Mark>,
    pub mask: Option<&'a Mask>,
    /// A reference spectrum on the same bins (linear power).
    pub reference: Option<&'a [f32]>,
    /// The summary of the same snapshot: with one, each mark carries `data-key` (its path)
    /// and `data-value` (the summary's number there), as a report's figures do.
    pub summary: Option<&'a Value>,
}

impl<'a> Plot<'a> {
    /// The snapshot's averaged spectrum with its peak, harmonics, spurs and intermodulation
    /// products marked.
    pub fn of(snapshot: &'a Snapshot, db_floor: f64, db_ceiling: f64, log_axis: bool) -> Self {
        let mut marks = Vec::new();
        if let Some(adc) = &snapshot.adc {
            mark_harmonics_and_spurs(adc, &mut marks);
        }
        if let Some(imd) = &snapshot.imd {
            mark_products(imd, &mut marks);
        }
        if let Some(peak) = snapshot.peak {
            marks.push(Mark {
                bin: peak.bin,
                label: "peak".into(),
                kind: MarkKind::Peak,
                key: "peak_hz".into(),
            });
        }
        Self {
            spectrum: &snapshot.spectrum,
            bin_hz: snapshot.bin_hz,
            db_floor,
            db_ceiling,
            log_axis,
            marks,
            mask: None,
            reference: snapshot.reference.as_deref(),
            summary: None,
        }
    }

    /// The plot as an SVG document `width` × `height` units wide (it scales to its box).
    pub fn svg(&self, width: f64, height: f64) -> String {
        let frame = Frame {
            left: 52.0,
            top: 10.0,
            right: width - 12.0,
            bottom: height - 34.0,
            bins: self.spectrum.len().max(1) as f64,
            log: self.log_axis,
            db: (self.db_floor, self.db_ceiling),
        };
        let mut document = Document::new()
            .set("viewBox", (0, 0, width, height))
            .set("width", "100%")
            .set("role", "img")
            .set("aria-label", "spectrum")
            .set("font-family", "ui-monospace, monospace")
            .set("font-size", 11)
            .add(
                Rectangle::new()
                    .set("x", frame.left)
                    .set("y", frame.top)
                    .set("width", frame.right - frame.left)
                    .set("height", frame.bottom - frame.top)
                    .set("fill", "none")
                    .set("stroke", "#999"),
            );
        document = document.add(self.axes(&frame));
        if let Some(reference) = self.reference {
            document = document.add(
                trace(reference, &frame)
                    .set("class", "reference")
                    .set("stroke", "#8a63d2")
                    .set("stroke-dasharray", "4 3"),
            );
        }
        document = document.add(
            trace(self.spectrum, &frame)
                .set("class", "spectrum")
                .set("stroke", "#1f7a3a"),
        );
        if let (Some(mask), Some(bin_hz)) = (self.mask, self.bin_hz) {
            let points = mask
                .points
                .iter()
                .filter_map(|&(hz, db)| Some((frame.x(hz / bin_hz)?, frame.y(db))))
                .fold(String::new(), |mut s, (x, y)| {
                    let _ = write!(s, "{x:.1},{y:.1} ");
                    s
                });
            document = document.add(
                Polyline::new()
                    .set("class", "mask")
                    .set("points", points)
                    .set("fill", "none")
                    .set("stroke", "#c0392b")
                    .set("stroke-width", 1.5),
            );
        }
        document.add(self.marks(&frame)).to_string()
    }

    fn axes(&self, frame: &Frame) -> Group {
        let mut group = Group::new().set("class", "axes").set("fill", "#555");
        for db in format::linear_ticks(frame.db.0, frame.db.1, 8) {
            let y = frame.y(db);
            group = group.add(grid(frame.left, y, frame.right, y)).add(
                Text::new(format!("{db}"))
                    .set("x", r(frame.left - 6.0))
                    .set("y", r(y + 4.0))
                    .set("text-anchor", "end"),
            );
        }
        group = group.add(
            Text::new("dBFS")
                .set("x", 12.0)
                .set("y", r((frame.top + frame.bottom) / 2.0))
                .set(
                    "transform",
                    format!("rotate(-90 12 {})", (frame.top + frame.bottom) / 2.0),
                )
                .set("text-anchor", "middle"),
        );
        let unit = self.bin_hz.unwrap_or(1.0);
        let top = frame.bins * unit;
        let ticks = if frame.log {
            format::log_ticks(unit, top)
        } else {
            format::linear_ticks(0.0, top, 8)
        };
        for tick in ticks {
            let Some(x) = frame.x(tick / unit) else {
                continue;
            };
            let label = match self.bin_hz {
                Some(_) => format::hz_label(tick),
                None => format!("{tick}"),
            };
            group = group.add(grid(x, frame.top, x, frame.bottom)).add(
                Text::new(label)
                    .set("x", r(x))
                    .set("y", r(frame.bottom + 14.0))
                    .set("text-anchor", "middle"),
            );
        }
        group.add(
            Text::new(if self.bin_hz.is_some() { "Hz" } else { "bin" })
                .set("x", frame.right)
                .set("y", frame.bottom + 28.0)
                .set("text-anchor", "end"),
        )
    }

    /// The mark's figure as the summary has it, when the plot has a summary.
    fn figure(&self, mark: &Mark) -> Option<(String, String)> {
        let summary = self.summary?;
        let value = SummaryPath::parse(&mark.key)
            .ok()
            .and_then(|path| path.read(summary));
        let value = value.map_or(String::new(), |v| Value::from(v).to_string());
        Some((mark.key.clone(), value))
    }

    fn marks(&self, frame: &Frame) -> Group {
        let mut group = Group::new().set("class", "marks");
        for mark in &self.marks {
            let Some(x) = frame.x(mark.bin) else {
                continue;
            };
            let k = (mark.bin.round() as usize).min(self.spectrum.len().saturating_sub(1));
            let db = self
                .spectrum
                .get(k)
                .map_or(frame.db.0, |&p| f64::from(power_to_db(p)));
            let y = frame.y(db);
            let colour = match mark.kind {
                MarkKind::Peak => "#1565c0",
                MarkKind::Harmonic => "#b7791f",
                MarkKind::Spur => "#c0392b",
                MarkKind::Intermodulation => "#8e44ad",
            };
            let mut text = Text::new(mark.label.clone())
                .set("class", format!("mark {:?}", mark.kind).to_lowercase())
                .set("x", r(x))
                .set("y", r((y - 6.0).max(frame.top + 10.0)))
                .set("text-anchor", "middle")
                .set("fill", colour);
            if let Some((key, value)) = self.figure(mark) {
                text = text.set("data-key", key).set("data-value", value);
            }
            group = group.add(text);
        }
        group
    }
}

/// The harmonics measured as such, then the spur table's components: a harmonic by its
/// order, the worst spur as such, any other spur as "S". One mark a lobe: a spur that is a
/// harmonic marked already is not marked again.
fn mark_harmonics_and_spurs(adc: &AdcFigures, marks: &mut Vec<Mark>) {
    for (i, h) in adc.harmonics.iter().enumerate() {
        if h.dbc.is_some() {
            marks.push(Mark {
                bin: h.bin,
                label: format!("H{}", h.n),
                kind: MarkKind::Harmonic,
                key: format!("adc.harmonics[{i}].hz"),
            });
        }
    }
    for (i, spur) in adc.spurs.iter().enumerate() {
        if marks.iter().any(|m| (m.bin - spur.bin).abs() <= 1.0) {
            continue;
        }
        let (label, kind) = match spur.harmonic {
            Some(n) => (format!("H{n}"), MarkKind::Harmonic),
            None if i == 0 => ("worst spur".to_owned(), MarkKind::Spur),
            None => ("S".to_owned(), MarkKind::Spur),
        };
        marks.push(Mark {
            bin: spur.bin,
            label,
            kind,
            key: format!("adc.spurs[{i}].hz"),
        });
    }
}

/// Each intermodulation product read above the noise, by its order ("IM3"); one under the
/// noise has no level to be marked at.
fn mark_products(imd: &ImdFigures, marks: &mut Vec<Mark>) {
    for (i, product) in imd.products.iter().enumerate() {
        if product.power.is_some() {
            marks.push(Mark {
                bin: product.bin,
                label: format!("IM{}", product.order),
                kind: MarkKind::Intermodulation,
                key: format!("imd.products[{i}].hz"),
            });
        }
    }
}

/// Where things go on the plot.
struct Frame {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
    bins: f64,
    log: bool,
    db: (f64, f64),
}

impl Frame {
    /// x of a frequency in bins; `None` off the axis (below bin 1 on a log axis).
    fn x(&self, bin: f64) -> Option<f64> {
        let share = if self.log {
            if bin < 1.0 || self.bins <= 1.0 {
                return None;
            }
            bin.ln() / self.bins.ln()
        } else {
            bin / self.bins
        };
        (0.0..=1.0)
            .contains(&share)
            .then_some(self.left + share * (self.right - self.left))
    }

    /// y of a level, clamped into the plot.
    fn y(&self, db: f64) -> f64 {
        let (lo, hi) = self.db;
        let share = ((db - lo) / (hi - lo)).clamp(0.0, 1.0);
        self.bottom - share * (self.bottom - self.top)
    }
}

fn grid(x1: f64, y1: f64, x2: f64, y2: f64) -> Line {
    Line::new()
        .set("x1", r(x1))
        .set("y1", r(y1))
        .set("x2", r(x2))
        .set("y2", r(y2))
        .set("stroke", "#ddd")
        .set("stroke-width", 0.5)
}

/// A coordinate to a tenth of a unit: enough for any screen, and short.
fn r(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// A trace through the strongest bin of each group (at the group's centre).
fn trace(power: &[f32], frame: &Frame) -> Polyline {
    let group = power.len().div_ceil(MAX_POINTS).max(1);
    let mut points = String::new();
    for (i, chunk) in power.chunks(group).enumerate() {
        // A reference that does not reach here has no point here.
        if !chunk.iter().any(|p| p.is_finite()) {
            continue;
        }
        let strongest = chunk.iter().copied().fold(0.0f32, f32::max);
        let centre = (i * group) as f64 + (chunk.len() as f64 - 1.0) / 2.0;
        if let Some(x) = frame.x(centre) {
            let y = frame.y(f64::from(power_to_db(strongest)));
            let _ = write!(points, "{x:.1},{y:.1} ");
        }
    }
    Polyline::new()
        .set("points", points)
        .set("fill", "none")
        .set("stroke-width", 1.2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::sample::{sample_adc, sample_imd, sample_snapshot};

    /// The sample's tone at bin 21.3 peaks where the plot says, and the marks and the mask
    /// are where their frequencies are.
    #[test]
    fn the_trace_and_the_marks_are_where_the_numbers_say() {
        let snapshot = sample_snapshot(std::time::Instant::now());
        let mask = Mask {
            points: vec![(0.0, -50.0), (24_000.0, -50.0)],
        };
        let plot = Plot {
            mask: Some(&mask),
            ..Plot::of(&snapshot, -120.0, 0.0, false)
        };
        let svg = plot.svg(800.0, 300.0).replace('\n', "");
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("class=\"spectrum\""));
        assert!(svg.contains("class=\"mask\""));
        // 512 bins across 736 units: the peak's mark at bin 21.33 sits at x = 52 + 30.7.
        assert!(svg.contains(">peak</text>"), "{svg}");
        let x = 52.0 + 21.33 / 512.0 * 736.0;
        assert!(
            svg.contains(&format!(
                "mark peak\" fill=\"#1565c0\" text-anchor=\"middle\" x=\"{x:.1}\""
            )),
            "{svg}"
        );
        // The mask's level, -50 dBFS, at y = 266 - (70/120) × 256.
        let y = 266.0 - 70.0 / 120.0 * 256.0;
        assert!(svg.contains(&format!("52.0,{y:.1}")), "{svg}");
        assert!(svg.contains(">10k</text>"));
    }

    /// Each spur of the table is marked once, by its harmonic's order or as a spur, and two
    /// tones' products by their order; a product under the noise has no level to mark.
    #[test]
    fn spurs_and_intermodulation_products_are_marked_once() {
        let mut snapshot = sample_snapshot(std::time::Instant::now());
        let mut adc = sample_adc();
        // A spur besides the worst, and the 4th harmonic among the spurs (not measured as a
        // harmonic: under the noise in its lobe, so not marked as one yet).
        adc.spurs.push(crate::analysis::adc::Spur {
            bin: 300.0,
            power: 1e-9,
            harmonic: None,
        });
        adc.spurs.push(crate::analysis::adc::Spur {
            bin: 85.32,
            power: 1e-9,
            harmonic: Some(4),
        });
        snapshot.adc = Some(adc);
        let labels = |plot: &Plot| -> Vec<(String, String)> {
            plot.marks
                .iter()
                .map(|m| (m.label.clone(), m.key.clone()))
                .collect()
        };
        let plot = Plot::of(&snapshot, -120.0, 0.0, false);
        let want = [
            ("H2", "adc.harmonics[0].hz"),
            ("H3", "adc.harmonics[1].hz"),
            ("worst spur", "adc.spurs[0].hz"),
            ("S", "adc.spurs[3].hz"),
            ("H4", "adc.spurs[4].hz"),
            ("peak", "peak_hz"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(l, k)| (l.to_string(), k.to_string()))
            .collect();
        assert_eq!(labels(&plot), want);

        snapshot.adc = None;
        snapshot.imd = Some(sample_imd());
        let plot = Plot::of(&snapshot, -120.0, 0.0, false);
        let kinds: Vec<(String, MarkKind)> = plot
            .marks
            .iter()
            .map(|m| (m.label.clone(), m.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                ("IM2".to_owned(), MarkKind::Intermodulation),
                ("IM3".to_owned(), MarkKind::Intermodulation),
                ("IM3".to_owned(), MarkKind::Intermodulation),
                ("peak".to_owned(), MarkKind::Peak),
            ]
        );
        // Drawn: the class says what a mark is.
        let svg = plot.svg(800.0, 300.0);
        assert_eq!(
            svg.matches("class=\"mark intermodulation\"").count(),
            3,
            "{svg}"
        );
    }

    /// With the summary of the same snapshot, a mark carries the summary's path and number
    /// for what it marks (as a report's figures do); without one (the screen's export), none.
    #[test]
    fn a_mark_carries_the_summarys_figure_when_there_is_a_summary() {
        let mut snapshot = sample_snapshot(std::time::Instant::now());
        snapshot.adc = Some(sample_adc());
        let plain = Plot::of(&snapshot, -120.0, 0.0, false).svg(800.0, 300.0);
        assert!(!plain.contains("data-key"), "{plain}");
        let summary = crate::summary::object(
            "summary",
            &snapshot,
            1.0,
            Default::default(),
            std::time::Instant::now(),
        );
        let plot = Plot {
            summary: Some(&summary),
            ..Plot::of(&snapshot, -120.0, 0.0, false)
        };
        let svg = plot.svg(800.0, 300.0);
        // The worst spur at bin 157 of 46.875 Hz.
        assert!(
            svg.contains("data-key=\"adc.spurs[0].hz\" data-value=\"7359.38\""),
            "{svg}"
        );
        assert!(
            svg.contains("data-key=\"peak_hz\" data-value=\"999.84\""),
            "{svg}"
        );
    }
}
