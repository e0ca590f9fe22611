//! The scope: the analysed channel's samples as a bench oscilloscope shows them, triggered,
//! with a time axis from the trigger and a level axis in full scale, so a clipping or
//! off-centre board is seen at once.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Line as Segment};
use ratatui::widgets::{Paragraph, Widget};

use super::{Theme, spectrum};
use crate::format;
use crate::ui::App;
use crate::ui::scope::{Edge, Sweep, TriggerMode};

/// A sample this close to full scale is clipping.
const CLIP: f32 = 0.999;
/// A mean this far from zero is worth saying (an ADC's mid-scale, an unbiased input).
const DC_NOTE: f32 = 0.02;

pub(super) fn render(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let [title, middle, time_axis] = area.layout(&Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ]));
    let [level_axis, plot] = middle.layout(&Layout::horizontal([
        Constraint::Length(spectrum::DB_AXIS_WIDTH),
        Constraint::Fill(1),
    ]));
    let s = app.snapshot();
    let Some(sweep) = app.scope().sweep().filter(|_| s.trace.is_some()) else {
        let why = match s.origin {
            Some(crate::analysis::Origin::Received { .. }) => {
                " no samples: the source sends spectra, and a scope needs time-domain samples"
            }
            _ => " waiting for samples…",
        };
        Paragraph::new(Line::styled(why, theme.dim())).render(title, buf);
        return;
    };
    render_title(app, theme, sweep, title, buf);
    render_level_axis(theme, level_axis, buf);
    render_trace(app, theme, sweep, plot, buf);
    render_time_axis(
        app,
        theme,
        sweep,
        Rect {
            x: plot.x,
            width: plot.width,
            ..time_axis
        },
        buf,
    );
}

fn render_title(app: &App, theme: Theme, sweep: &Sweep, area: Rect, buf: &mut Buffer) {
    let scope = app.scope();
    let edge = match (scope.edge, app.view.ascii) {
        (Edge::Rising, false) => "↑",
        (Edge::Falling, false) => "↓",
        (Edge::Rising, true) => "rising",
        (Edge::Falling, true) => "falling",
    };
    let mode = match scope.mode {
        TriggerMode::Auto => "auto",
        TriggerMode::Normal => "normal",
    };
    let state = match (sweep.trigger, scope.mode) {
        (Some(_), _) => "triggered",
        (None, TriggerMode::Auto) => "free-running",
        (None, TriggerMode::Normal) => "waiting",
    };
    let shown = sweep.shown();
    let (min, max, sum) = shown
        .iter()
        .fold((f32::MAX, f32::MIN, 0f64), |(lo, hi, sum), &x| {
            (lo.min(x), hi.max(x), sum + f64::from(x))
        });
    let mean = (sum / shown.len().max(1) as f64) as f32;
    let per_column = app.snapshot().sample_rate.map_or(
        format!("{} samples/col", scope.samples_per_column),
        |fs| {
            format!(
                "{}/col",
                format::duration(scope.samples_per_column as f64 / fs)
            )
        },
    );
    let mut spans = vec![
        Span::styled(
            format!(
                "{:>5}trigger {edge} {:+.2} FS {mode}, {state}",
                "", scope.level
            ),
            theme.fg(Color::Cyan).add_modifier(Modifier::BOLD),
        ),
        Span::styled(
            format!("  ·  {per_column}  ·  min {min:+.3} max {max:+.3} mean {mean:+.3} FS"),
            theme.dim(),
        ),
    ];
    if min <= -CLIP || max >= CLIP {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(" CLIPPING ", theme.alert()));
    }
    if mean.abs() >= DC_NOTE {
        spans.push(Span::styled(
            format!("  DC {mean:+.2} FS"),
            theme.fg(Color::Yellow),
        ));
    }
    Paragraph::new(Line::from(spans)).render(area, buf);
}

fn render_level_axis(theme: Theme, area: Rect, buf: &mut Buffer) {
    if area.height < 3 {
        return;
    }
    let rows = f32::from(area.height - 1);
    for (level, label) in [
        (1.0f32, "  +1"),
        (0.5, " +.5"),
        (0.0, "   0"),
        (-0.5, " -.5"),
        (-1.0, "  -1"),
    ] {
        let row = ((1.0 - level) / 2.0 * rows).round() as u16;
        buf.set_string(area.x, area.y + row, label, theme.dim());
    }
}

/// The trace as an envelope: for each dot column of the braille grid (two a cell), the
/// samples' span, joined to the last one so a slow wave is a line.
fn render_trace(app: &App, theme: Theme, sweep: &Sweep, area: Rect, buf: &mut Buffer) {
    let shown = sweep.shown();
    if shown.is_empty() || area.width == 0 || area.height == 0 {
        return;
    }
    let dots = usize::from(area.width) * 2;
    let per_dot = shown.len() as f64 / dots as f64;
    let spans: Vec<(f64, f64)> = (0..dots)
        .map(|d| {
            let from = ((d as f64 * per_dot) as usize).saturating_sub(1);
            let to = (((d + 1) as f64 * per_dot).ceil() as usize).clamp(from + 1, shown.len());
            shown[from..to]
                .iter()
                .fold((f64::MAX, f64::MIN), |(lo, hi), &x| {
                    (lo.min(f64::from(x)), hi.max(f64::from(x)))
                })
        })
        .collect();
    if app.view.ascii {
        render_ascii(&spans, area, buf);
        return;
    }
    let level = f64::from(app.scope().level);
    let width = dots as f64;
    let colour = theme.fg(Color::Green).fg.unwrap_or(Color::Reset);
    let guides = theme.dim().fg.unwrap_or(Color::Reset);
    Canvas::default()
        .marker(Marker::Braille)
        .x_bounds([0.0, width])
        .y_bounds([-1.05, 1.05])
        .paint(|ctx| {
            ctx.draw(&Segment::new(0.0, 0.0, width, 0.0, guides));
            ctx.draw(&Segment::new(0.0, level, width * 0.02, level, Color::Cyan));
            ctx.layer();
            for (d, &(lo, hi)) in spans.iter().enumerate() {
                let x = d as f64 + 0.5;
                ctx.draw(&Segment::new(x, lo, x, hi, colour));
            }
        })
        .render(area, buf);
}

/// Without block or braille glyphs: `*` over each column's span.
fn render_ascii(spans: &[(f64, f64)], area: Rect, buf: &mut Buffer) {
    let rows = f64::from(area.height - 1);
    let row_of = |x: f64| ((1.0 - x.clamp(-1.0, 1.0)) / 2.0 * rows).round() as u16;
    for (column, pair) in spans.chunks(2).enumerate().take(usize::from(area.width)) {
        let lo = pair.iter().map(|p| p.0).fold(f64::MAX, f64::min);
        let hi = pair.iter().map(|p| p.1).fold(f64::MIN, f64::max);
        for row in row_of(hi)..=row_of(lo) {
            buf[(area.x + column as u16, area.y + row)].set_symbol("*");
        }
    }
}

/// Time from the trigger (or from the sweep's start when free-running).
fn render_time_axis(app: &App, theme: Theme, sweep: &Sweep, area: Rect, buf: &mut Buffer) {
    let Some(fs) = app.snapshot().sample_rate else {
        buf.set_string(
            area.x,
            area.y,
            "samples (no rate: give --rate)",
            theme.dim(),
        );
        return;
    };
    let zero = sweep.trigger.map_or(sweep.start, |t| t) as f64;
    let (t0, t1) = (
        (sweep.start as f64 - zero) / fs,
        ((sweep.start + sweep.width) as f64 - zero) / fs,
    );
    let mut free_from = area.x;
    for tick in format::linear_ticks(t0, t1, usize::from(area.width / 10).max(1)) {
        let label = if tick == 0.0 {
            "0".to_owned()
        } else {
            format::duration(tick)
        };
        let position = (tick - t0) / (t1 - t0);
        let width = label.chars().count() as u16;
        let x = (area.x + (position * f64::from(area.width.saturating_sub(1))).round() as u16)
            .saturating_sub(width / 2)
            .max(area.x);
        if x < free_from || x + width > area.right() {
            continue;
        }
        buf.set_string(x, area.y, &label, theme.dim());
        free_from = x + width + 2;
    }
}
