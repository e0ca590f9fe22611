//! Drawing: `&App` into a ratatui buffer. The frame every view shares (header, statistics
//! panel, ADC strip, hint line, help) is laid out here; each view draws its own area.

mod channels;
mod check;
mod linearity;
mod measure;
mod panel;
mod scope;
mod spectrum;
mod wall;
mod waterfall;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

use super::App;
use super::keys::KEYS;
use crate::analysis::FreqAxis;
use crate::format;
use crate::link::LinkState;
use crate::vocabulary::ViewKind;

pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;

/// The frame every view shares; `view` is the area the view draws in.
struct Areas {
    header: Rect,
    view: Rect,
    panel: Rect,
    /// The ADC figures, the whole width above the hint (empty unless asked for).
    measure: Rect,
    hint: Rect,
}

/// The strips under the plot: the ADC figures (`t`), and a check's line while it measures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Strips {
    pub adc: bool,
    pub check: bool,
}

/// Rows the strips take: the ADC figures two on a wide screen, three where their line wraps,
/// and on a screen tall enough two more (the spur table, the sine fit and the linearity);
/// a check's line one.
fn measure_height(width: u16, height: u16, strips: Strips) -> u16 {
    let adc = match (strips.adc, width) {
        (false, _) => 0,
        (true, w) if w >= 140 => 2,
        (true, _) => 3,
    };
    let datasheet = if strips.adc && height >= measure::DATASHEET_HEIGHT {
        2
    } else {
        0
    };
    adc + datasheet + u16::from(strips.check)
}

fn panel_width(width: u16) -> u16 {
    match width {
        w if w >= 100 => 30,
        w if w >= 64 => 24,
        _ => 0,
    }
}

fn areas(area: Rect, strips: Strips) -> Option<Areas> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return None;
    }
    let [header, body, measure, hint] = area.layout(&Layout::vertical([
        Constraint::Length(2),
        Constraint::Fill(1),
        Constraint::Length(measure_height(area.width, area.height, strips)),
        Constraint::Length(1),
    ]));
    let [view, panel] = body.layout(&Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(panel_width(area.width)),
    ]));
    Some(Areas {
        header,
        view,
        panel,
        measure,
        hint,
    })
}

/// How many bars a terminal of this size shows (the spectrum's, and the waterfall's columns).
pub fn plot_columns(width: u16, height: u16) -> usize {
    areas(Rect::new(0, 0, width, height), Strips::default()).map_or(0, |a| {
        usize::from(a.view.width.saturating_sub(spectrum::DB_AXIS_WIDTH))
    })
}

/// The rows the waterfall's lines fill, for a terminal of this size: the region that scrolls
/// down by a row for every two lines.
pub fn waterfall_rows(width: u16, height: u16, strips: Strips) -> Option<std::ops::Range<u16>> {
    let a = areas(Rect::new(0, 0, width, height), strips)?;
    let region = waterfall::layout(a.view, panel_height(a.panel.width)).lines;
    (region.height > 0).then(|| region.y..region.bottom())
}

impl App {
    /// The panel from what was drawn last time when nothing in it changed.
    fn draw_panel(&self, theme: Theme, area: Rect, buf: &mut Buffer) {
        let mut drawn = self.panel_drawn.borrow_mut();
        let current =
            matches!(&*drawn, Some((at, rect, _)) if *at == self.panel_at && *rect == area);
        if !current {
            let mut panel = Buffer::empty(area);
            panel::render(self, theme, area, &mut panel);
            *drawn = Some((self.panel_at, area, panel));
        }
        if let Some((_, _, panel)) = &*drawn {
            let width = usize::from(area.width);
            for (row, y) in (area.y..area.bottom()).enumerate() {
                let from = &panel.content[row * width..(row + 1) * width];
                let start = buf.index_of(area.x, y);
                buf.content[start..start + width].clone_from_slice(from);
            }
        }
    }
}

/// Rows the statistics panel needs to show its core figures.
fn panel_height(width: u16) -> u16 {
    if width == 0 { 0 } else { 15 }
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = Theme {
            color: self.view.color,
        };
        let Some(a) = areas(area, self.strips()) else {
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
        let mut panel = a.panel;
        match self.view_kind() {
            ViewKind::Spectrum => {
                spectrum::render(self, theme, a.view, buf);
            }
            ViewKind::Waterfall => {
                // The panel stays beside the short spectrum: the rows of the waterfall scroll
                // whole, and must hold nothing else.
                let shape = waterfall::layout(a.view, panel_height(a.panel.width));
                panel.height = shape.top.height;
                waterfall::render(self, theme, &shape, buf);
            }
            ViewKind::Scope => scope::render(self, theme, a.view, buf),
            ViewKind::Channels => channels::render(self, theme, a.view, buf),
            ViewKind::Linearity => linearity::render(self, theme, a.view, buf),
        }
        let mut strips = a.measure;
        if self.check().is_some() && strips.height > 0 {
            check::render_strip(
                self,
                theme,
                Rect {
                    height: 1,
                    ..strips
                },
                buf,
            );
            strips.y += 1;
            strips.height -= 1;
        }
        if strips.height > 0 {
            measure::render(self, theme, strips, buf);
        }
        if panel.width > 0 {
            self.draw_panel(theme, panel, buf);
        }
        match self.saying() {
            Some(text) => {
                Paragraph::new(Line::styled(format!(" {text}"), theme.fg(Color::Yellow)))
                    .render(a.hint, buf);
            }
            None => render_hint(theme, a.hint, buf),
        }
        if self.help {
            render_help(theme, area, buf);
        }
    }
}

fn render_header(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let s = app.snapshot();
    let (dot, state_style, state) = link_words(&s.link, app.now, theme);
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
    if let Some((fps, budget)) = app.lowered() {
        // Fewer pictures, never older ones: each shows the latest snapshot.
        first.push(Span::styled(
            format!("  {fps} fps: {}B/s budget", format::si(f64::from(budget))),
            theme.fg(Color::Yellow),
        ));
    }
    let settings = s.settings;
    let rate = s.sample_rate.map_or("rate unknown".into(), format::rate);
    let resolution = s
        .bin_hz
        .map_or(String::new(), |b| format!(" · {}/bin", format::hz(b)));
    let analysis = match s.origin {
        Some(crate::analysis::Origin::Received { window }) => {
            format!(
                "board spectrum, {} bins · {}",
                s.spectrum.len(),
                window.name()
            )
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
    let view = Span::styled(
        format!(" {} ", app.view_kind().name()),
        theme.on(Color::Black, Color::Cyan),
    );
    let lines = vec![
        Line::from(first),
        Line::from(vec![view, Span::styled(second, theme.dim())]),
    ];
    Paragraph::new(lines).render(area, buf);
}

/// The link's state as the screen says it: a dot, its style, and the words.
fn link_words(
    link: &LinkState,
    now: std::time::Instant,
    theme: Theme,
) -> (&'static str, Style, String) {
    match link {
        LinkState::Connecting => ("○", theme.fg(Color::Yellow), "connecting…".to_string()),
        LinkState::Connected => ("●", theme.fg(Color::Green), "connected".to_string()),
        LinkState::Disconnected { reason, retry_at } => {
            let retry = retry_at.map_or(String::new(), |at| {
                let wait = at.saturating_duration_since(now).as_secs_f64();
                format!(", retrying in {wait:.0} s")
            });
            ("●", theme.alert(), format!("disconnected: {reason}{retry}"))
        }
        LinkState::Ended => ("■", theme.fg(Color::Cyan), "ended".to_string()),
        LinkState::Failed(reason) => ("■", theme.alert(), format!("failed: {reason}")),
    }
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

/// Colours that stay readable in 16 colours, or none at all.
#[derive(Clone, Copy)]
pub(super) struct Theme {
    color: bool,
}

impl Theme {
    pub(super) fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }
    pub(super) fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }
    pub(super) fn on(self, fg: Color, bg: Color) -> Style {
        if self.color {
            Style::new().fg(fg).bg(bg)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }
    pub(super) fn alert(self) -> Style {
        if self.color {
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }
    pub(super) fn bar(self, db: f32) -> Style {
        self.fg(match db {
            d if d >= -6.0 => Color::Red,
            d if d >= -20.0 => Color::Yellow,
            _ => Color::Green,
        })
    }
}

/// A feed quieter than this is called stale.
const STALE_AFTER_S: f64 = 1.0;
