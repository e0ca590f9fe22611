//! The code-density test (SPEC §15) as a datasheet draws it: DNL over INL against code,
//! each code's value as an envelope of the codes a dot column holds, with the figures, or
//! how far along the test is, or why it gives none.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Line as Segment};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::{Theme, measure, spectrum};
use crate::analysis::linearity::Linearity;
use crate::ui::App;

pub(super) fn render(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let s = app.snapshot();
    let [title, dnl_area, inl_area, code_axis] = area.layout(&Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ]));
    let say = |text: String, buf: &mut Buffer| {
        Paragraph::new(Line::styled(text, theme.dim()))
            .wrap(Wrap { trim: false })
            .render(area, buf);
    };
    if let Some(why) = &s.linearity_unavailable {
        return say(format!(" {why}"), buf);
    }
    let Some(l) = &s.linearity else {
        return say(
            " the code-density test counts codes with --linearity: a sine slightly beyond both \
             ends of full scale, at a frequency whose phases do not repeat"
                .into(),
            buf,
        );
    };
    // A test that cannot be the converter's draws nothing: its curves would be the test's.
    if let Some(why) = l.withheld {
        let text = format!("linearity, {} samples: {why}", l.samples);
        Paragraph::new(Line::styled(text, theme.fg(Color::Yellow)))
            .wrap(Wrap { trim: true })
            .render(area, buf);
        return;
    }
    let mut spans = vec![Span::raw(" ")];
    spans.extend(measure::linearity_figures(l, theme));
    Paragraph::new(Line::from(spans)).render(title, buf);
    plot(app, theme, "DNL", &l.dnl, dnl_area, buf);
    plot(app, theme, "INL", &l.inl, inl_area, buf);
    render_code_axis(l, theme, code_axis, buf);
}

/// One curve in LSB, on a scale symmetric about zero that holds it (at least ±0.5 LSB), with
/// its name and scale in the axis column.
fn plot(app: &App, theme: Theme, name: &str, values: &[f32], area: Rect, buf: &mut Buffer) {
    let [axis, plot] = area.layout(&Layout::horizontal([
        Constraint::Length(spectrum::DB_AXIS_WIDTH),
        Constraint::Fill(1),
    ]));
    if plot.width == 0 || plot.height < 2 || values.is_empty() {
        return;
    }
    let extreme = values.iter().fold(0f32, |m, v| m.max(v.abs()));
    let scale = f64::from((extreme * 4.0).ceil() / 4.0).max(0.5);
    buf.set_string(axis.x, axis.y, format!("{scale:>+5.2}"), theme.dim());
    buf.set_string(
        axis.x,
        axis.y + area.height / 2,
        format!("{name:>5}"),
        theme.dim(),
    );
    buf.set_string(
        axis.x,
        axis.bottom() - 1,
        format!("{:>5.2}", -scale),
        theme.dim(),
    );
    let dots = usize::from(plot.width) * 2;
    let columns = envelope(values, dots);
    if app.view.ascii {
        render_ascii(&columns, scale, plot, buf);
        return;
    }
    let colour = theme.fg(Color::Green).fg.unwrap_or(Color::Reset);
    let guides = theme.dim().fg.unwrap_or(Color::Reset);
    let width = dots as f64;
    Canvas::default()
        .marker(Marker::Braille)
        .x_bounds([0.0, width])
        .y_bounds([-scale, scale])
        .paint(|ctx| {
            ctx.draw(&Segment::new(0.0, 0.0, width, 0.0, guides));
            ctx.layer();
            for (d, &(lo, hi)) in columns.iter().enumerate() {
                let x = d as f64 + 0.5;
                ctx.draw(&Segment::new(x, lo, x, hi, colour));
            }
        })
        .render(plot, buf);
}

/// The least and the greatest value of the codes each of `dots` columns holds (a column
/// with no code of its own takes its nearest code's).
fn envelope(values: &[f32], dots: usize) -> Vec<(f64, f64)> {
    let per_dot = values.len() as f64 / dots as f64;
    (0..dots)
        .map(|d| {
            let from = ((d as f64 * per_dot) as usize).min(values.len() - 1);
            let to = (((d + 1) as f64 * per_dot).ceil() as usize).clamp(from + 1, values.len());
            values[from..to]
                .iter()
                .fold((f64::MAX, f64::MIN), |(lo, hi), &v| {
                    (lo.min(f64::from(v)), hi.max(f64::from(v)))
                })
        })
        .collect()
}

/// Without braille: `*` over each column's span.
fn render_ascii(columns: &[(f64, f64)], scale: f64, area: Rect, buf: &mut Buffer) {
    let rows = f64::from(area.height - 1);
    let row_of = |x: f64| ((1.0 - (x / scale).clamp(-1.0, 1.0)) / 2.0 * rows).round() as u16;
    for (column, pair) in columns.chunks(2).enumerate().take(usize::from(area.width)) {
        let lo = pair.iter().map(|p| p.0).fold(f64::MAX, f64::min);
        let hi = pair.iter().map(|p| p.1).fold(f64::MIN, f64::max);
        for row in row_of(hi)..=row_of(lo) {
            buf[(area.x + column as u16, area.y + row)].set_symbol("*");
        }
    }
}

/// The codes analysed, first to last, under the plots, and what the test counted.
fn render_code_axis(l: &Linearity, theme: Theme, area: Rect, buf: &mut Buffer) {
    let x = area.x + spectrum::DB_AXIS_WIDTH;
    let width = area.width.saturating_sub(spectrum::DB_AXIS_WIDTH);
    let first = l.first_code.to_string();
    let last = format!("{} code", l.last_code);
    let counted = format!("{}-bit, {} samples", l.bits, l.samples);
    if usize::from(width) <= first.len() + last.len() + 2 {
        return;
    }
    buf.set_string(x, area.y, &first, theme.dim());
    buf.set_string(x + width - last.len() as u16, area.y, &last, theme.dim());
    let middle = x + (width.saturating_sub(counted.len() as u16)) / 2;
    if usize::from(width) > first.len() + last.len() + counted.len() + 4 {
        buf.set_string(middle, area.y, &counted, theme.fg(Color::Cyan));
    }
}
