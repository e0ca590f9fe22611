//! The waterfall: a short spectrum (so the peak, the caps and the readouts stay) over the
//! spectrogram, time running down, frequency across on the bars' own axis, colour for
//! level on the bars' own dB range.
//!
//! Two lines share a row: the upper half block's foreground is the newer line, its
//! background the older. Rows are tied to pairs of lines by the lines' count, so a new line
//! changes one row (the top one, or a new top row after the others moved down one): the
//! terminal loop scrolls the region instead of resending it, and what goes to the terminal
//! per line is one row, not the whole waterfall.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{Theme, spectrum};
use crate::analysis::BandLayout;
use crate::format;
use crate::ui::{App, ViewOptions};

/// The waterfall's colours, from the floor of the dB range to its top: few, so neighbouring
/// cells often share one (each change of colour costs bytes on the link).
const PALETTE: [Color; 9] = [
    Color::Reset,
    Color::Blue,
    Color::LightBlue,
    Color::Cyan,
    Color::Green,
    Color::Yellow,
    Color::LightRed,
    Color::Red,
    Color::White,
];
/// Without colour: a ramp of characters, one line a row.
const RAMP: [&str; 9] = [" ", ".", ":", "-", "=", "+", "*", "#", "@"];

pub(super) struct Shape {
    /// The short spectrum (title, bars, frequency axis), beside the statistics panel.
    pub top: Rect,
    /// The colour scale.
    pub legend: Rect,
    /// Rows of lines, the whole width of the screen (so they can scroll whole).
    pub lines: Rect,
    /// Where in those rows the lines are drawn: under the bars, column for column.
    pub plot: Rect,
    /// The time labels, left of the plot.
    pub ages: Rect,
}

/// The view's rows: the top tall enough for the panel beside it (`panel_rows`) or two
/// fifths of the height, the rest for lines.
pub(super) fn layout(view: Rect, panel_rows: u16) -> Shape {
    let top_rows = panel_rows
        .max(view.height * 2 / 5)
        .min(view.height.saturating_sub(4));
    let top = Rect {
        height: top_rows,
        ..view
    };
    let legend = Rect {
        y: top.bottom(),
        height: 1,
        ..view
    };
    let lines_y = legend.bottom();
    let rows = view.bottom().saturating_sub(lines_y);
    let lines = Rect {
        x: 0,
        y: lines_y,
        // The whole width: the statistics panel stops above.
        width: view.right(),
        height: rows,
    };
    let axis = spectrum::DB_AXIS_WIDTH;
    let plot = Rect {
        x: view.x + axis,
        y: lines_y,
        width: view.width.saturating_sub(axis),
        height: rows,
    };
    let ages = Rect {
        x: view.x,
        y: lines_y,
        width: axis,
        height: rows,
    };
    Shape {
        top,
        legend,
        lines,
        plot,
        ages,
    }
}

/// The palette index for `db` on the view's range (0: at or under the floor).
pub(super) fn level_index(db: f32, view: &ViewOptions) -> usize {
    let span = view.db_ceiling - view.db_floor;
    let share = ((db - view.db_floor) / span).clamp(0.0, 1.0);
    if share <= 0.0 {
        0
    } else {
        1 + ((share * (PALETTE.len() - 1) as f32) as usize).min(PALETTE.len() - 2)
    }
}

pub(super) fn render(app: &App, theme: Theme, shape: &Shape, buf: &mut Buffer) {
    spectrum::render(app, theme, shape.top, buf);
    render_legend(app, theme, shape.legend, buf);
    let s = app.snapshot();
    if s.waterfall.is_empty() {
        Paragraph::new(Line::styled(" waiting for the first line…", theme.dim()))
            .render(shape.plot, buf);
        return;
    }
    let columns = usize::from(shape.plot.width);
    let bins = s.waterfall[0].power.len();
    let layout = BandLayout::new(bins, columns, app.view.axis);
    // Lines, newest first, by their number since start: rows pair them as 2k, 2k+1.
    let newest = s.waterfall_lines_made - 1;
    let line = |number: u64| -> Option<Vec<usize>> {
        let back = usize::try_from(newest.checked_sub(number)?).ok()?;
        let line = s.waterfall.get(s.waterfall.len().checked_sub(1 + back)?)?;
        if line.power.len() != bins {
            return None;
        }
        let mut db = Vec::with_capacity(columns);
        layout.reduce_db(&line.power, &mut db);
        Some(db.iter().map(|&d| level_index(d, &app.view)).collect())
    };
    let glyphs = app.view.color && !app.view.ascii;
    let top_pair = newest / 2;
    for row in 0..shape.plot.height {
        let Some(pair) = top_pair.checked_sub(u64::from(row)) else {
            break;
        };
        let (older, newer) = (line(2 * pair), line(2 * pair + 1));
        if older.is_none() && newer.is_none() {
            break;
        }
        let y = shape.plot.y + row;
        for column in 0..columns {
            let old = older.as_ref().map_or(0, |l| l[column]);
            let new = newer.as_ref().map_or(0, |l| l[column]);
            let cell = &mut buf[(shape.plot.x + column as u16, y)];
            if glyphs {
                if old == new {
                    // One colour: a space on it is cheaper than a half block with two.
                    cell.set_symbol(" ")
                        .set_style(Style::new().bg(PALETTE[old]));
                } else {
                    cell.set_symbol("▀")
                        .set_style(Style::new().fg(PALETTE[new]).bg(PALETTE[old]));
                }
            } else {
                cell.set_symbol(RAMP[old.max(new)]);
            }
        }
    }
    render_ages(app, theme, shape.ages, buf);
}

/// How long ago a row was, every few rows: two lines a row, each the seconds it covers.
fn render_ages(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let s = app.snapshot();
    let seconds_per_line = s.waterfall.last().map_or(0.0, |line| line.seconds);
    if seconds_per_line <= 0.0 {
        return;
    }
    for row in (4..area.height).step_by(5) {
        let age = f64::from(row) * 2.0 * seconds_per_line;
        let label = format!("{:>4}", format::age_short(age));
        buf.set_string(area.x, area.y + row, &label, theme.dim());
    }
}

/// The colour scale and the pace: dB at either end, spectra per line, time per line.
fn render_legend(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let s = app.snapshot();
    let view = &app.view;
    let mut spans = vec![Span::styled(
        format!("{:>5}", view.db_floor as i32),
        theme.dim(),
    )];
    let glyphs = view.color && !view.ascii;
    for (i, &colour) in PALETTE.iter().enumerate() {
        if glyphs {
            spans.push(Span::styled("  ", Style::new().bg(colour)));
        } else {
            spans.push(Span::raw(RAMP[i].repeat(2)));
        }
    }
    let seconds = s.waterfall.last().map_or(0.0, |line| line.seconds);
    spans.push(Span::styled(
        format!(
            " {} dB · {} spectra/line · {}/line",
            view.db_ceiling as i32,
            s.spectra_per_line,
            format::duration(seconds)
        ),
        theme.dim(),
    ));
    Paragraph::new(Line::from(spans)).render(area, buf);
}
