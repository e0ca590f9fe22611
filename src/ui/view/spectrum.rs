//! The spectrum: bars with eighth-cell tops, peak-hold caps, the marks over them (peak,
//! markers, harmonics, spurs, two tones' products), the dB and frequency axes, and the
//! readouts above.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::Theme;
use crate::analysis::FreqAxis;
use crate::format;
use crate::ui::{App, ViewOptions};

/// The title (and the markers' readouts), the bars between their axes: returns the plot.
pub(super) fn render(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) -> Rect {
    let marker_row = u16::from(app.markers().is_on());
    let [title, middle, freq] = area.layout(&Layout::vertical([
        Constraint::Length(1 + marker_row),
        Constraint::Fill(1),
        Constraint::Length(1),
    ]));
    let [db_axis, plot] = middle.layout(&Layout::horizontal([
        Constraint::Length(DB_AXIS_WIDTH),
        Constraint::Fill(1),
    ]));
    let freq_axis = Rect {
        x: plot.x,
        width: plot.width,
        ..freq
    };
    render_title(app, theme, title, db_axis.width, buf);
    render_db_axis(&app.view, theme, db_axis, buf);
    render_bars(app, theme, plot, buf);
    render_freq_axis(app, theme, freq_axis, buf);
    plot
}

pub(super) const DB_AXIS_WIDTH: u16 = 5;

/// Peak-hold caps are drawn only this far (dB) above their bar.
const CAP_MIN_RISE_DB: f32 = 6.0;

const EIGHTHS: [&str; 9] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];

const EIGHTHS_ASCII: [&str; 9] = [" ", " ", ".", ".", "o", "o", "#", "#", "#"];

fn render_title(app: &App, theme: Theme, area: Rect, indent: u16, buf: &mut Buffer) {
    let s = app.snapshot();
    let mut spans = vec![Span::styled(
        format!("{:>w$}", "dBFS ", w = usize::from(indent)),
        theme.dim(),
    )];
    match (s.peak, s.peak_hz()) {
        (Some(peak), Some(hz)) => {
            let style = ["peak_hz", "peak_dbfs"].into_iter().fold(
                theme.fg(Color::Cyan).add_modifier(Modifier::BOLD),
                |style, path| super::check::judged_style(app, theme, path, style),
            );
            spans.push(Span::styled(
                format!("peak {}  {:.1} dBFS", format::hz(hz), peak.dbfs),
                style,
            ));
        }
        (Some(peak), None) => spans.push(Span::styled(
            format!(
                "peak bin {:.1}  {:.1} dBFS  (no sample rate: give --rate)",
                peak.bin, peak.dbfs
            ),
            theme.fg(Color::Cyan),
        )),
        (None, _) => spans.push(Span::styled("waiting for a spectrum…", theme.dim())),
    }
    let mut lines = vec![Line::from(spans)];
    if let Some((active, reference)) = app.markers().read(&s.spectrum) {
        let at = |bin: f64| match s.bin_hz {
            Some(b) => format::hz(bin * b),
            None => format!("bin {bin:.1}"),
        };
        let mut spans = vec![Span::styled(
            format!(
                "{:>w$}M {}  {:.1} dBFS",
                "",
                at(active.bin),
                active.dbfs,
                w = usize::from(indent)
            ),
            theme.fg(Color::Magenta).add_modifier(Modifier::BOLD),
        )];
        if let Some(reference) = reference {
            let delta = match s.bin_hz {
                Some(b) => format::hz_signed((active.bin - reference.bin) * b),
                None => format!("{:+.1} bins", active.bin - reference.bin),
            };
            spans.push(Span::styled(
                format!("   Δ {delta}  {:+.1} dB", active.dbfs - reference.dbfs),
                theme.fg(Color::Magenta),
            ));
        }
        lines.push(Line::from(spans));
    }
    Paragraph::new(lines).render(area, buf);
}

fn level_row(db: f32, view: &ViewOptions, rows: u16) -> f32 {
    (db - view.db_floor) / (view.db_ceiling - view.db_floor) * f32::from(rows)
}

fn render_db_axis(view: &ViewOptions, theme: Theme, area: Rect, buf: &mut Buffer) {
    let ticks = format::linear_ticks(
        f64::from(view.db_floor),
        f64::from(view.db_ceiling),
        usize::from(area.height / 3).max(1),
    );
    for tick in ticks {
        let row = level_row(tick as f32, view, area.height).floor() as i32;
        let row = row.clamp(0, i32::from(area.height) - 1) as u16;
        let y = area.bottom() - 1 - row;
        let label = format!("{:>4}", tick as i32);
        buf.set_string(area.x, y, &label, theme.dim());
    }
}

/// Bars for `levels` (dB, one a column) in `area`, eighth-cell tops; the `highlight`
/// column in the peak's colour. Returns each column's first row above its bar.
pub(super) fn draw_bars(
    app: &App,
    theme: Theme,
    levels: &[f32],
    highlight: Option<usize>,
    area: Rect,
    buf: &mut Buffer,
) -> Vec<i32> {
    let glyphs = if app.view.ascii {
        EIGHTHS_ASCII
    } else {
        EIGHTHS
    };
    let rows = area.height;
    let total = i32::from(rows) * 8;
    let mut tops = Vec::with_capacity(levels.len());
    // Each row's colour, once (the cells are many, the rows few).
    let row_styles: Vec<Style> = (0..rows)
        .map(|row| {
            let row_db = app.view.db_floor
                + (f32::from(row) + 0.5) / f32::from(rows)
                    * (app.view.db_ceiling - app.view.db_floor);
            theme.bar(row_db)
        })
        .collect();
    let stride = usize::from(buf.area.width);
    for (column, &level) in levels.iter().enumerate().take(usize::from(area.width)) {
        let x = usize::from(area.x) + column;
        let eighths = (level_row(level, &app.view, rows) * 8.0)
            .round()
            .clamp(0.0, total as f32) as i32;
        for (row, &row_style) in row_styles.iter().enumerate() {
            let filled = (eighths - row as i32 * 8).clamp(0, 8) as usize;
            let style = if highlight == Some(column) && filled > 0 {
                theme.fg(Color::Cyan)
            } else {
                row_style
            };
            // Empty cells above a bar take the colour a bar would have there: a bar that
            // grows or shrinks then changes glyphs only, with no colour codes to send.
            let y = usize::from(area.bottom() - buf.area.y) - 1 - row;
            let cell = &mut buf.content[y * stride + x - usize::from(buf.area.x)];
            if filled > 0 {
                cell.set_symbol(glyphs[filled]);
            }
            cell.set_style(style);
        }
        tops.push((eighths + 7) / 8);
    }
    tops
}

/// Bars with no marks and no caps (the all-channels view).
pub(super) fn draw_levels(app: &App, theme: Theme, levels: &[f32], area: Rect, buf: &mut Buffer) {
    draw_bars(app, theme, levels, None, area, buf);
}

fn render_bars(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let rows = area.height;
    let peak_column = column_of(app, app.snapshot().peak.map(|p| p.bin), area.width);
    let levels = &app.bars.levels;
    let tops = draw_bars(app, theme, levels, peak_column, area, buf);
    for (column, (&level, &top_row)) in levels.iter().zip(&tops).enumerate() {
        let x = area.x + column as u16;
        // A cap marks a peak that has gone: one barely above the bar is noise, and
        // redrawing it would cost bytes for nothing.
        if let Some(&cap) = app
            .bars
            .caps
            .get(column)
            .filter(|&&cap| cap - level >= CAP_MIN_RISE_DB)
        {
            let cap_row = level_row(cap, &app.view, rows).floor() as i32;
            if cap_row >= top_row && cap_row < i32::from(rows) {
                let symbol = if app.view.ascii { "-" } else { "▔" };
                buf[(x, area.bottom() - 1 - cap_row as u16)]
                    .set_symbol(symbol)
                    .set_style(theme.dim());
            }
        }
    }
    // The reference where the live bar stands below it.
    let dot = if app.view.ascii { "-" } else { "╌" };
    for (column, (&level, &top_row)) in app.bars.reference.iter().zip(&tops).enumerate() {
        let row = level_row(level, &app.view, rows).floor() as i32;
        if row >= top_row && row < i32::from(rows) {
            buf[(area.x + column as u16, area.bottom() - 1 - row as u16)]
                .set_symbol(dot)
                .set_style(theme.fg(Color::Magenta));
        }
    }
    if let Some(layout) = app.bars.layout() {
        super::check::render_on_plot(app, theme, layout, &tops, area, buf);
    }
    for mark in marks(app, theme, area.width) {
        let Some(&top) = tops.get(mark.column) else {
            continue;
        };
        let row = top.min(i32::from(rows) - 1) as u16;
        buf[(area.x + mark.column as u16, area.bottom() - 1 - row)]
            .set_symbol(mark.symbol)
            .set_style(mark.style);
    }
}

/// A glyph over a bar: the worst spur, a harmonic's order, the peak, the markers.
struct Mark {
    column: usize,
    symbol: &'static str,
    style: Style,
}

const DIGITS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/// The marks in drawing order: a later one wins a column.
fn marks(app: &App, theme: Theme, width: u16) -> Vec<Mark> {
    let s = app.snapshot();
    let ascii = app.view.ascii;
    let mut marks = Vec::new();
    let mut mark = |bin: Option<f64>, symbol: &'static str, style: Style| {
        if let Some(column) = column_of(app, bin, width) {
            marks.push(Mark {
                column,
                symbol,
                style,
            });
        }
    };
    if app.is_measuring()
        && let Some(adc) = &s.adc
    {
        // The spur table's other components, the worst in full colour.
        for spur in adc.spurs.iter().filter(|s| s.harmonic.is_none()).rev() {
            mark(Some(spur.bin), "s", theme.dim());
        }
        mark(adc.spur_bin, "s", theme.fg(Color::Yellow));
        for h in &adc.harmonics {
            let symbol = DIGITS.get(h.n).copied().unwrap_or("+");
            let style = match h.dbc {
                Some(_) => theme.fg(Color::Yellow).add_modifier(Modifier::BOLD),
                None => theme.dim(),
            };
            mark(Some(h.bin), symbol, style);
        }
    }
    // Two tones' intermodulation products, by their order.
    if app.is_measuring()
        && let Some(imd) = &s.imd
    {
        for p in &imd.products {
            let style = match p.power {
                Some(_) => theme.fg(Color::Yellow).add_modifier(Modifier::BOLD),
                None => theme.dim(),
            };
            mark(Some(p.bin), DIGITS[usize::from(p.order)], style);
        }
    }
    mark(
        s.peak.map(|p| p.bin),
        if ascii { "v" } else { "▼" },
        theme.fg(Color::Cyan),
    );
    if let Some((active, reference)) = app.markers().read(&s.spectrum) {
        let marker = theme.fg(Color::Magenta).add_modifier(Modifier::BOLD);
        mark(
            reference.map(|r| r.bin),
            if ascii { "R" } else { "◇" },
            marker,
        );
        mark(Some(active.bin), if ascii { "M" } else { "◆" }, marker);
    }
    marks
}

/// The column of the band holding `bin`.
fn column_of(app: &App, bin: Option<f64>, width: u16) -> Option<usize> {
    let layout = app.bars.layout()?;
    let position = layout.position_of_bin(bin?)?;
    Some(((position * f64::from(width)) as usize).min(usize::from(width).saturating_sub(1)))
}

pub(super) fn render_freq_axis(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let Some(layout) = app.bars.layout() else {
        return;
    };
    let s = app.snapshot();
    // Ticks in Hz when the rate is known, in bins otherwise.
    let unit = s.bin_hz.unwrap_or(1.0);
    let (lo, hi) = (
        layout.edges[0] * unit,
        layout.edges[layout.edges.len() - 1] * unit,
    );
    let ticks = match layout.axis {
        FreqAxis::Linear => format::linear_ticks(lo, hi, usize::from(area.width / 8).max(1)),
        FreqAxis::Log => format::log_ticks(lo.max(unit), hi),
    };
    let suffix = if s.bin_hz.is_some() { "Hz" } else { "bin" };
    let mut free_from = area.x;
    let right = area.right().saturating_sub(suffix.len() as u16 + 1);
    for tick in ticks {
        let Some(position) = layout.position_of_bin(tick / unit) else {
            continue;
        };
        let label = if s.bin_hz.is_some() {
            format::hz_label(tick)
        } else {
            format!("{tick}")
        };
        let width = label.chars().count() as u16;
        let centre = area.x + (position * f64::from(area.width.saturating_sub(1))).round() as u16;
        let x = centre.saturating_sub(width / 2).max(area.x);
        if x < free_from || x + width > right {
            continue;
        }
        buf.set_string(x, area.y, &label, theme.dim());
        free_from = x + width + 1;
    }
    buf.set_string(right + 1, area.y, suffix, theme.dim());
}
