//! Drawing: `&App` into a ratatui buffer. Layout first, then one function per part.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Sparkline, Widget, Wrap};

use super::format;
use super::keys::KEYS;
use super::{App, ViewOptions};
use crate::analysis::FreqAxis;
use crate::link::{ClockSync, LinkState};
use crate::snapshot::Snapshot;
use crate::stats::latency::LatencyKind;

pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;
const DB_AXIS_WIDTH: u16 = 5;
/// Peak-hold caps are drawn only this far (dB) above their bar.
const CAP_MIN_RISE_DB: f32 = 6.0;
/// A feed quieter than this is called stale.
const STALE_AFTER_S: f64 = 1.0;

const EIGHTHS: [&str; 9] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];
const EIGHTHS_ASCII: [&str; 9] = [" ", " ", ".", ".", "o", "o", "#", "#", "#"];

struct Areas {
    header: Rect,
    title: Rect,
    db_axis: Rect,
    plot: Rect,
    freq_axis: Rect,
    /// The ADC figures, the whole width above the hint (empty unless asked for).
    measure: Rect,
    panel: Rect,
    hint: Rect,
}

/// Rows the ADC figures take: two on a wide screen, three where their line wraps.
fn measure_height(width: u16, on: bool) -> u16 {
    match (on, width) {
        (false, _) => 0,
        (true, w) if w >= 140 => 2,
        (true, _) => 3,
    }
}

fn panel_width(width: u16) -> u16 {
    match width {
        w if w >= 100 => 30,
        w if w >= 64 => 24,
        _ => 0,
    }
}

/// What besides the size shapes the screen.
#[derive(Clone, Copy, Default)]
struct Shape {
    /// The ADC figures are shown.
    measure: bool,
    /// The marker readouts need a row of their own.
    marker_row: bool,
}

impl Shape {
    fn of(app: &App) -> Self {
        Self {
            measure: app.is_measuring(),
            marker_row: app.markers().is_on(),
        }
    }
}

fn areas(area: Rect, shape: Shape) -> Option<Areas> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return None;
    }
    let [header, body, measure, hint] = area.layout(&Layout::vertical([
        Constraint::Length(2),
        Constraint::Fill(1),
        Constraint::Length(measure_height(area.width, shape.measure)),
        Constraint::Length(1),
    ]));
    let [left, panel] = body.layout(&Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(panel_width(area.width)),
    ]));
    let [title, middle, freq] = left.layout(&Layout::vertical([
        Constraint::Length(1 + u16::from(shape.marker_row)),
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
    Some(Areas {
        header,
        title,
        db_axis,
        plot,
        freq_axis,
        measure,
        panel,
        hint,
    })
}

/// How many bars a terminal of this size shows.
pub fn plot_columns(width: u16, height: u16) -> usize {
    areas(Rect::new(0, 0, width, height), Shape::default()).map_or(0, |a| usize::from(a.plot.width))
}

/// Colours that stay readable in 16 colours, or none at all.
#[derive(Clone, Copy)]
struct Theme {
    color: bool,
}

impl Theme {
    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }
    fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }
    fn alert(self) -> Style {
        if self.color {
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }
    fn bar(self, db: f32) -> Style {
        self.fg(match db {
            d if d >= -6.0 => Color::Red,
            d if d >= -20.0 => Color::Yellow,
            _ => Color::Green,
        })
    }
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = Theme {
            color: self.view.color,
        };
        let Some(a) = areas(area, Shape::of(self)) else {
            let text = format!(
                "Terminal too small: {}×{}; sse-tui needs {MIN_WIDTH}×{MIN_HEIGHT}. Enlarge it, or q to quit.",
                area.width, area.height
            );
            Paragraph::new(text)
                .wrap(Wrap { trim: true })
                .render(area, buf);
            return;
        };
        render_header(self, theme, a.header, buf);
        render_title(self, theme, a.title, a.db_axis.width, buf);
        render_db_axis(&self.view, theme, a.db_axis, buf);
        render_bars(self, theme, a.plot, buf);
        render_freq_axis(self, theme, a.freq_axis, buf);
        if a.measure.height > 0 {
            render_measure(self, theme, a.measure, buf);
        }
        if a.panel.width > 0 {
            render_panel(self, theme, a.panel, buf);
        }
        render_hint(theme, a.hint, buf);
        if self.help {
            render_help(theme, area, buf);
        }
    }
}

fn render_header(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let s = app.snapshot();
    let (dot, state_style, state) = match &s.link {
        LinkState::Connecting => ("○", theme.fg(Color::Yellow), "connecting…".to_string()),
        LinkState::Connected => ("●", theme.fg(Color::Green), "connected".to_string()),
        LinkState::Disconnected { reason, retry_at } => {
            let retry = retry_at.map_or(String::new(), |at| {
                let wait = at.saturating_duration_since(app.now).as_secs_f64();
                format!(", retrying in {wait:.0} s")
            });
            ("●", theme.alert(), format!("disconnected: {reason}{retry}"))
        }
        LinkState::Ended => ("■", theme.fg(Color::Cyan), "ended".to_string()),
        LinkState::Failed(reason) => ("■", theme.alert(), format!("failed: {reason}")),
    };
    let mut first = vec![
        Span::styled(
            " sse-tui ",
            theme.fg(Color::Cyan).add_modifier(Modifier::BOLD),
        ),
        Span::raw(s.source.clone()),
        Span::raw("  "),
        Span::styled(format!("{dot} {state}"), state_style),
    ];
    match s.frame_age(app.now) {
        Some(age) if age > STALE_AFTER_S && s.link == LinkState::Connected => {
            first.push(Span::raw("  "));
            first.push(Span::styled(
                format!(" STALE: last frame {} ", format::age(age)),
                theme.alert(),
            ));
        }
        Some(age) => first.push(Span::styled(
            format!("  last frame {}", format::age(age)),
            theme.dim(),
        )),
        None => first.push(Span::styled("  no frames yet", theme.dim())),
    }
    if app.is_frozen() {
        first.push(Span::raw("  "));
        first.push(Span::styled(" FROZEN ", theme.alert()));
    }
    let settings = s.settings;
    let rate = s.sample_rate.map_or("rate unknown".into(), format::rate);
    let resolution = s
        .bin_hz
        .map_or(String::new(), |b| format!(" · {}/bin", format::hz(b)));
    let analysis = match s.origin {
        Some(crate::analysis::Origin::Received) => {
            format!("board spectrum, {} bins", s.spectrum.len())
        }
        _ => format!(
            "FFT {}{resolution} · {}",
            settings.fft_size,
            settings.window.name()
        ),
    };
    let channel = match s.labels.as_deref().and_then(|l| l.get(settings.channel)) {
        Some(label) => format!("ch {} {label}", settings.channel),
        None => format!("ch {}/{}", settings.channel, s.channels.max(1)),
    };
    let on_off = |on: bool| if on { "on" } else { "off" };
    let axis = match app.view.axis {
        FreqAxis::Linear => "lin",
        FreqAxis::Log => "log",
    };
    let second = format!(
        " {rate} · {analysis} · {channel} · avg {} · hold {} · {axis}",
        on_off(settings.averaging),
        on_off(settings.peak_hold)
    );
    let lines = vec![Line::from(first), Line::styled(second, theme.dim())];
    Paragraph::new(lines).render(area, buf);
}

fn render_title(app: &App, theme: Theme, area: Rect, indent: u16, buf: &mut Buffer) {
    let s = app.snapshot();
    let mut spans = vec![Span::styled(
        format!("{:>w$}", "dBFS ", w = usize::from(indent)),
        theme.dim(),
    )];
    match (s.peak, s.peak_hz()) {
        (Some(peak), Some(hz)) => spans.push(Span::styled(
            format!("peak {}  {:.1} dBFS", format::hz(hz), peak.dbfs),
            theme.fg(Color::Cyan).add_modifier(Modifier::BOLD),
        )),
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

fn render_bars(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let glyphs = if app.view.ascii {
        EIGHTHS_ASCII
    } else {
        EIGHTHS
    };
    let rows = area.height;
    let total = i32::from(rows) * 8;
    let peak_column = column_of(app, app.snapshot().peak.map(|p| p.bin), area.width);
    let levels = &app.bars.levels;
    // The first row above each bar, where its mark goes.
    let mut tops = Vec::with_capacity(levels.len());
    for (column, &level) in levels.iter().enumerate().take(usize::from(area.width)) {
        let x = area.x + column as u16;
        let eighths = (level_row(level, &app.view, rows) * 8.0)
            .round()
            .clamp(0.0, total as f32) as i32;
        let is_peak = peak_column == Some(column);
        for row in 0..rows {
            let filled = (eighths - i32::from(row) * 8).clamp(0, 8) as usize;
            if filled == 0 {
                break;
            }
            let row_db = app.view.db_floor
                + (f32::from(row) + 0.5) / f32::from(rows)
                    * (app.view.db_ceiling - app.view.db_floor);
            let style = if is_peak {
                theme.fg(Color::Cyan)
            } else {
                theme.bar(row_db)
            };
            buf[(x, area.bottom() - 1 - row)]
                .set_symbol(glyphs[filled])
                .set_style(style);
        }
        let top_row = (eighths + 7) / 8;
        tops.push(top_row);
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

fn render_freq_axis(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
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

fn render_panel(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let block = Block::new()
        .borders(Borders::LEFT)
        .border_style(theme.dim());
    let inner = block.inner(area);
    block.render(area, buf);
    let s: &Snapshot = &app.panel;
    let label_width = 11;
    let row = |label: &str, value: String| {
        Line::from(vec![
            Span::styled(format!(" {label:<label_width$}"), theme.dim()),
            Span::raw(value),
        ])
    };
    let counter = |label: &str, value: u64, warn: bool| {
        let style = if warn && value > 0 {
            theme.fg(Color::Yellow)
        } else {
            Style::new()
        };
        Line::from(vec![
            Span::styled(format!(" {label:<label_width$}"), theme.dim()),
            Span::styled(value.to_string(), style),
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
                top.push(row(label, format!("{} ms", format::ms(value))));
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
    Paragraph::new(top).render(top_area, buf);
    render_sparkline(s, theme, app.view.ascii, spark_area, buf);

    let c = &s.counters;
    let mut bottom = vec![row(
        "jitter",
        s.jitter_ms
            .map_or("–".into(), |j| format!("{} ms", format::ms(j))),
    )];
    // How far the board's clock runs from ours, as the latency fit found it (after 20 s): a
    // crystal reads tens of ppm, an RC oscillator thousands.
    if let Some(ppm) = s.latency.and_then(|l| l.device_clock_ppm) {
        bottom.push(row("dev clock", format!("{ppm:+.0} ppm")));
    }
    bottom.extend([
        row("frames/s", format::si(app.rates.frames_per_s)),
        row("samples/s", format::si(app.rates.samples_per_s)),
        row("bytes/s", format!("{}B", format::si(app.rates.bytes_per_s))),
        counter("dropped", c.dropped, true),
        counter("bad frames", c.bad_frames, true),
        counter("reconnects", c.reconnects, true),
    ]);
    if c.duplicates > 0 {
        bottom.push(counter("duplicates", c.duplicates, true));
    }
    if s.negative_latency > 0 {
        bottom.push(counter("clock skew", s.negative_latency, true));
    }
    bottom.push(row("frames", c.frames.to_string()));
    if let Some(error) = &s.last_error {
        bottom.push(Line::styled(
            format!(" last bad: {error}"),
            theme.fg(Color::Yellow),
        ));
    }
    if let Some(warning) = &s.warning {
        bottom.push(Line::styled(format!(" {warning}"), theme.fg(Color::Yellow)));
    }
    if let Some(notice) = &s.notice {
        bottom.push(Line::styled(format!(" {notice}"), theme.dim()));
    }
    Paragraph::new(bottom)
        .wrap(Wrap { trim: false })
        .render(bottom_area, buf);
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

fn render_hint(theme: Theme, area: Rect, buf: &mut Buffer) {
    let hint = super::keys::hint_line(usize::from(area.width));
    Paragraph::new(Line::styled(hint, theme.dim())).render(area, buf);
}

fn render_help(theme: Theme, area: Rect, buf: &mut Buffer) {
    let width = 50.min(area.width);
    let height = (KEYS.len() as u16 + 2).min(area.height);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    Clear.render(popup, buf);
    let lines: Vec<Line> = KEYS
        .iter()
        .map(|row| {
            Line::from(vec![
                Span::styled(format!(" {:<7}", row.shown), theme.fg(Color::Cyan)),
                Span::raw(row.help),
            ])
        })
        .collect();
    Paragraph::new(lines)
        .block(Block::bordered().title(" keys (q or ? to close) "))
        .render(popup, buf);
}

/// The ADC figures (SPEC §7) under the plot: what a datasheet gives, or why not.
fn render_measure(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let s = app.snapshot();
    let label = Span::styled(" ADC ", Style::new().add_modifier(Modifier::BOLD));
    let Some(adc) = &s.adc else {
        let why = match s.origin {
            None => "waiting for a spectrum",
            Some(_) => "no tone 20 dB above the noise",
        };
        Paragraph::new(Line::from(vec![label, Span::styled(why, theme.dim())])).render(area, buf);
        return;
    };
    let at = |bin: f64| match s.bin_hz {
        Some(b) => format::hz(bin * b),
        None => format!("bin {bin:.1}"),
    };
    let figure = |name: &str, value: Option<f64>, unit: &str| {
        Span::raw(value.map_or(format!("{name} –"), |v| format!("{name} {v:.1}{unit}")))
    };
    let mut items = vec![Span::styled(
        format!(
            "f₀ {}  {:.2} dBFS",
            at(adc.fundamental_bin),
            adc.fundamental_dbfs
        ),
        theme.fg(Color::Cyan),
    )];
    if adc.leakage_limited {
        let window = match s.origin {
            Some(crate::analysis::Origin::Received) => {
                "the board's spectrum (no window)".to_owned()
            }
            _ => s.settings.window.name().to_owned(),
        };
        items.push(Span::styled(
            format!("{window} leaks this tone (between bins) above the noise: no noise figures."),
            theme.fg(Color::Yellow),
        ));
        items.push(Span::styled(
            "Use blackman-harris, or a coherent test frequency.",
            theme.fg(Color::Yellow),
        ));
    } else {
        let bits = |e: Option<f64>| e.map_or("–".to_owned(), |e| format!("{e:.2}"));
        items.extend([
            figure("SNR", adc.snr_db, " dB"),
            figure("THD", adc.thd_db, " dB"),
            figure("SINAD", adc.sinad_db, " dB"),
            Span::raw(format!(
                "ENOB {} b ({} FS)",
                bits(adc.enob_bits),
                bits(adc.enob_fs_bits)
            )),
            figure("SFDR", adc.sfdr_dbc, " dBc"),
            figure("floor", adc.noise_floor_dbfs, " dBFS/bin"),
        ]);
    }
    let mut lines = flow(label, items, usize::from(area.width));
    if !adc.leakage_limited {
        let mut harmonics = vec![Span::raw("     ")];
        for h in &adc.harmonics {
            let level = h.dbc.map_or("–".into(), |d| format!("{d:.1}"));
            harmonics.push(Span::styled(format!("H{} {level}  ", h.n), theme.dim()));
        }
        harmonics.push(Span::styled("dBc", theme.dim()));
        lines.push(Line::from(harmonics));
    }
    Paragraph::new(lines).render(area, buf);
}

/// Items in lines of at most `width` columns, two spaces apart, never split; the first line
/// starts with `first`, the others are indented as far.
fn flow<'a>(first: Span<'a>, items: Vec<Span<'a>>, width: usize) -> Vec<Line<'a>> {
    let indent = first.width();
    let mut lines = Vec::new();
    let mut line = vec![first];
    let mut used = indent;
    for item in items {
        let needed = item.width() + if used > indent { 2 } else { 0 };
        if used + needed > width && used > indent {
            lines.push(Line::from(std::mem::take(&mut line)));
            line.push(Span::raw(" ".repeat(indent)));
            used = indent;
        }
        if used > indent {
            line.push(Span::raw("  "));
            used += 2;
        }
        used += item.width();
        line.push(item);
    }
    lines.push(Line::from(line));
    lines
}
