//! Drawing the wall: a header, a tile per board (name, state, peak, frames/s, p99, dropped
//! and bad frames, the check's verdict, a small spectrum), the hint; or the open board whole.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use super::{STALE_AFTER_S, Theme, link_words, spectrum};
use crate::check::judge::Outcome;
use crate::format;
use crate::link::LinkState;
use crate::ui::wall::{MIN_TILE, TILE_TEXT_LINES, Wall, WallBoard, body, grid, tile_plot};

const HINT: &str = " ←↑↓→ Tab pick · Enter open · Esc back to the wall · q quit";

impl Widget for &Wall {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if let Some(board) = self.opened() {
            render_opened(&self.boards()[board], area, buf);
            return;
        }
        let color = self.boards().first().is_some_and(|b| b.app.view.color);
        let theme = Theme { color };
        let tiles = self.tiles(area);
        if tiles.is_empty() {
            let (columns, rows) = grid(self.boards().len());
            let text = format!(
                "Terminal too small for a wall of {} boards: {}×{}; it needs {}×{}. Enlarge it, or q to quit.",
                self.boards().len(),
                area.width,
                area.height,
                columns * MIN_TILE.0,
                rows * MIN_TILE.1 + 2,
            );
            Paragraph::new(text)
                .wrap(Wrap { trim: true })
                .render(area, buf);
            return;
        }
        render_header(self, theme, Rect { height: 1, ..area }, buf);
        for (i, (board, &tile)) in self.boards().iter().zip(&tiles).enumerate() {
            render_tile(board, i == self.picked(), theme, tile, buf);
        }
        let hint = Rect {
            y: body(area).bottom(),
            height: 1,
            ..area
        };
        Paragraph::new(Line::styled(HINT, theme.dim())).render(hint, buf);
    }
}

/// One board's whole screen, its name over the right of the header.
fn render_opened(board: &WallBoard, area: Rect, buf: &mut Buffer) {
    (&board.app).render(area, buf);
    let theme = Theme {
        color: board.app.view.color,
    };
    let label = format!(" {} · Esc: the wall ", board.name);
    let width = label.chars().count() as u16;
    if area.width >= super::MIN_WIDTH && area.height >= super::MIN_HEIGHT && width < area.width {
        buf.set_string(
            area.right() - width,
            area.y,
            label,
            theme.on(Color::Black, Color::Cyan),
        );
    }
}

/// How many boards are in each state, for the wall's header.
fn render_header(wall: &Wall, theme: Theme, area: Rect, buf: &mut Buffer) {
    let count = |state: &str| {
        wall.boards()
            .iter()
            .filter(|b| b.app.snapshot().link.name() == state && !failed(b))
            .count()
    };
    let failed_count = wall.boards().iter().filter(|b| failed(b)).count();
    let mut spans = vec![
        Span::styled(
            " sse-tui ",
            theme.fg(Color::Cyan).add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!("{} boards", wall.boards().len())),
    ];
    for (state, style) in [
        ("connected", theme.fg(Color::Green)),
        ("connecting", theme.fg(Color::Yellow)),
        ("disconnected", theme.alert()),
        ("ended", theme.fg(Color::Cyan)),
    ] {
        let n = count(state);
        if n > 0 {
            spans.push(Span::raw(" · "));
            spans.push(Span::styled(format!("{n} {state}"), style));
        }
    }
    if failed_count > 0 {
        spans.push(Span::raw(" · "));
        spans.push(Span::styled(
            format!("{failed_count} failed"),
            theme.alert(),
        ));
    }
    if let Some((fps, budget)) = wall.lowered() {
        spans.push(Span::styled(
            format!("  {fps} fps: {}B/s budget", format::si(f64::from(budget))),
            theme.fg(Color::Yellow),
        ));
    }
    Paragraph::new(Line::from(spans)).render(area, buf);
}

fn failed(board: &WallBoard) -> bool {
    matches!(board.app.snapshot().link, LinkState::Failed(_))
}

fn render_tile(board: &WallBoard, picked: bool, theme: Theme, tile: Rect, buf: &mut Buffer) {
    let app = &board.app;
    let border = if picked {
        theme.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    } else {
        theme.dim()
    };
    let title = if picked {
        Span::styled(
            format!(" {} ", board.name),
            theme.on(Color::Black, Color::Cyan),
        )
    } else {
        Span::styled(format!(" {} ", board.name), Style::new())
    };
    let block = Block::bordered().border_style(border).title(title);
    let inner = block.inner(tile);
    block.render(tile, buf);
    let live = app.snapshot();
    let (s, rates) = app.panel();
    // The link's state from the newest snapshot (a failure shows at once), the figures from
    // the panel's (steady enough to read).
    let (dot, style, words) = link_words(&live.link, app.now(), theme);
    let mut state = vec![Span::styled(format!("{dot} {words}"), style)];
    if let Some(age) = live.frame_age(app.now())
        && age > STALE_AFTER_S
        && live.link == LinkState::Connected
    {
        state.push(Span::styled(
            format!(" STALE {}", format::age(age)),
            theme.alert(),
        ));
    }
    let peak = match (s.peak, s.peak_hz()) {
        (Some(peak), Some(hz)) => Span::styled(
            format!("peak {}  {:.1} dBFS", format::hz(hz), peak.dbfs),
            theme.fg(Color::Cyan).add_modifier(Modifier::BOLD),
        ),
        (Some(peak), None) => Span::styled(
            format!("peak bin {:.1}  {:.1} dBFS", peak.bin, peak.dbfs),
            theme.fg(Color::Cyan),
        ),
        (None, _) => Span::styled("no spectrum yet", theme.dim()),
    };
    let p99 = s
        .latency
        .map_or("–".to_owned(), |l| format!("{} ms", format::ms(l.p99)));
    let rate = Line::from(vec![
        Span::raw(format!("{} f/s", format::si(rates.frames_per_s))),
        Span::styled("  p99 ", theme.dim()),
        Span::raw(p99),
    ]);
    let c = &s.counters;
    let counted = |value: u64| {
        if value > 0 {
            theme.fg(Color::Yellow)
        } else {
            Style::new()
        }
    };
    let mut losses = vec![
        Span::styled("dropped ", theme.dim()),
        Span::styled(c.dropped.to_string(), counted(c.dropped)),
        Span::styled("  bad ", theme.dim()),
        Span::styled(c.bad_frames.to_string(), counted(c.bad_frames)),
    ];
    if let Some(check) = app.check()
        && let Some(verdict) = &check.verdict
    {
        let outcome = verdict.outcome(check.strict);
        let style = match outcome {
            Outcome::Pass => theme.on(Color::Black, Color::Green),
            Outcome::Marginal => theme.on(Color::Black, Color::Yellow),
            Outcome::Fail | Outcome::Error => theme.alert(),
        };
        losses.push(Span::raw("  "));
        losses.push(Span::styled(
            format!(" {} ", outcome.name().to_uppercase()),
            style,
        ));
    }
    let lines = vec![
        Line::from(state),
        Line::from(peak),
        rate,
        Line::from(losses),
    ];
    debug_assert_eq!(lines.len(), usize::from(TILE_TEXT_LINES));
    Paragraph::new(lines).render(inner, buf);
    let plot = tile_plot(tile);
    if plot.height > 0 {
        spectrum::draw_bars(app, theme, &board.tile_bars.levels, None, plot, buf);
    }
}
