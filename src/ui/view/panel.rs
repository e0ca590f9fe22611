//! The statistics panel: latency percentiles and their sparkline, jitter, rates, losses.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Sparkline, Widget, Wrap};

use super::Theme;
use crate::format;
use crate::link::ClockSync;
use crate::snapshot::Snapshot;
use crate::stats::latency::LatencyKind;
use crate::ui::App;

pub(super) fn render(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let block = Block::new()
        .borders(Borders::LEFT)
        .border_style(theme.dim());
    let inner = block.inner(area);
    block.render(area, buf);
    let s: &Snapshot = &app.panel;
    let label_width = 11;
    // A figure a check judges (by its path in the summary) takes its verdict's colour.
    let judged = |path: &str, base: Style| super::check::judged_style(app, theme, path, base);
    let row = |label: &str, value: String, path: &str| {
        Line::from(vec![
            Span::styled(format!(" {label:<label_width$}"), theme.dim()),
            Span::styled(value, judged(path, Style::new())),
        ])
    };
    let counter = |label: &str, value: u64, path: &str| {
        let style = if value > 0 {
            theme.fg(Color::Yellow)
        } else {
            Style::new()
        };
        Line::from(vec![
            Span::styled(format!(" {label:<label_width$}"), theme.dim()),
            Span::styled(value.to_string(), judged(path, style)),
        ])
    };
    let kind = match (s.latency.map(|l| l.kind), s.clock_sync) {
        (Some(LatencyKind::Relative), _) => "relative",
        (Some(LatencyKind::Absolute), ClockSync::Probed { .. }) => "absolute",
        (Some(LatencyKind::Absolute), ClockSync::Uncorrected) => "absolute, uncorrected",
        (None, _) => "no timestamps",
    };
    let mut top = vec![Line::from(vec![
        Span::styled(" Latency ", Style::new().add_modifier(Modifier::BOLD)),
        Span::styled(kind, theme.dim()),
    ])];
    match s.latency {
        Some(l) => {
            for (label, value) in [
                ("p50", l.p50),
                ("p90", l.p90),
                ("p99", l.p99),
                ("max", l.max),
            ] {
                let path = format!("latency_ms.{label}");
                top.push(row(label, format!("{} ms", format::ms(value)), &path));
            }
        }
        None => top.extend((0..4).map(|_| Line::raw(" –"))),
    }
    let sparkline_height = if inner.height >= 20 { 3 } else { 1 };
    let [top_area, spark_area, bottom_area] = inner.layout(&Layout::vertical([
        Constraint::Length(top.len() as u16),
        Constraint::Length(sparkline_height),
        Constraint::Fill(1),
    ]));
    put_lines(&top, top_area, buf);
    render_sparkline(s, theme, app.view.ascii, spark_area, buf);

    let c = &s.counters;
    let mut bottom = vec![row(
        "jitter",
        s.jitter_ms
            .map_or("–".into(), |j| format!("{} ms", format::ms(j))),
        "jitter_ms",
    )];
    // How far the board's clock runs from ours, as the latency fit found it (after 20 s): a
    // crystal reads tens of ppm, an RC oscillator thousands.
    if let Some(ppm) = s.latency.and_then(|l| l.device_clock_ppm) {
        bottom.push(row(
            "dev clock",
            format!("{ppm:+.0} ppm"),
            "latency_ms.device_clock_ppm",
        ));
    }
    bottom.extend([
        row(
            "frames/s",
            format::si(app.rates.frames_per_s),
            "frames_per_s",
        ),
        row(
            "samples/s",
            format::si(app.rates.samples_per_s),
            "samples_per_s",
        ),
        row(
            "bytes/s",
            format!("{}B", format::si(app.rates.bytes_per_s)),
            "bytes_per_s",
        ),
        counter("dropped", c.dropped, "dropped"),
        counter("bad frames", c.bad_frames, "bad_frames"),
        counter("reconnects", c.reconnects, "reconnects"),
    ]);
    if c.duplicates > 0 {
        bottom.push(counter("duplicates", c.duplicates, "duplicates"));
    }
    if s.negative_latency > 0 {
        bottom.push(counter("clock skew", s.negative_latency, ""));
    }
    bottom.push(row("frames", c.frames.to_string(), "frames"));
    put_lines(&bottom, bottom_area, buf);
    // The messages are sentences: they wrap, under the figures.
    let mut messages = Vec::new();
    if let Some(error) = &s.last_error {
        messages.push(Line::styled(
            format!(" last bad: {error}"),
            theme.fg(Color::Yellow),
        ));
    }
    if let Some(warning) = &s.warning {
        messages.push(Line::styled(format!(" {warning}"), theme.fg(Color::Yellow)));
    }
    if let Some(notice) = &s.notice {
        messages.push(Line::styled(format!(" {notice}"), theme.dim()));
    }
    let used = (bottom.len() as u16).min(bottom_area.height);
    let rest = Rect {
        y: bottom_area.y + used,
        height: bottom_area.height - used,
        ..bottom_area
    };
    if !messages.is_empty() && rest.height > 0 {
        Paragraph::new(messages)
            .wrap(Wrap { trim: false })
            .render(rest, buf);
    }
}

/// One line a row, cut at the area's edge (no wrapping to pay for).
fn put_lines(lines: &[Line], area: Rect, buf: &mut Buffer) {
    for (line, y) in lines.iter().zip(area.y..area.bottom()) {
        buf.set_line(area.x, y, line, area.width);
    }
}

/// Recent latency, one column per few frames (the worst of them), above the smallest: the
/// shape of the variation is what a sparkline can show.
fn render_sparkline(s: &Snapshot, theme: Theme, ascii: bool, area: Rect, buf: &mut Buffer) {
    let width = usize::from(area.width.saturating_sub(2));
    if width == 0 || s.latency_recent.is_empty() {
        return;
    }
    let per_column = s.latency_recent.len().div_ceil(width);
    let least = s
        .latency_recent
        .iter()
        .fold(f32::INFINITY, |m, &v| m.min(v));
    let data: Vec<u64> = s
        .latency_recent
        .chunks(per_column)
        .map(|chunk| ((chunk.iter().fold(0f32, |m, &v| m.max(v)) - least) * 1000.0) as u64 + 1)
        .collect();
    let bar_set = if ascii {
        symbols::bar::Set {
            full: "#",
            seven_eighths: "#",
            three_quarters: "o",
            five_eighths: "o",
            half: ".",
            three_eighths: ".",
            one_quarter: "_",
            one_eighth: "_",
            empty: " ",
        }
    } else {
        symbols::bar::NINE_LEVELS
    };
    let inset = Rect {
        x: area.x + 1,
        width: area.width.saturating_sub(2),
        ..area
    };
    Sparkline::default()
        .data(&data)
        .bar_set(bar_set)
        .style(theme.fg(Color::Magenta))
        .render(inset, buf);
}
