//! A check on screen (SPEC §13): a line with where the measurement stands and each limit
//! coloured by its verdict so far, and the mask and the limits drawn on the plot.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::Theme;
use crate::analysis::BandLayout;
use crate::check::judge::Outcome;
use crate::check::result::value_text;
use crate::snapshot::{MeasurementPhase, Snapshot};
use crate::ui::App;
use crate::vocabulary::Measure;

pub(super) fn outcome_style(theme: Theme, outcome: Outcome) -> Style {
    match outcome {
        Outcome::Pass => theme.fg(Color::Green),
        Outcome::Marginal => theme.fg(Color::Yellow).add_modifier(Modifier::BOLD),
        Outcome::Fail => theme.fg(Color::Red).add_modifier(Modifier::BOLD),
        Outcome::Error => theme.dim(),
    }
}

fn mark(outcome: Outcome, ascii: bool) -> &'static str {
    match (outcome, ascii) {
        (Outcome::Pass, false) => "✓",
        (Outcome::Pass, true) => "ok",
        (Outcome::Marginal, _) => "~",
        (Outcome::Fail, false) => "✗",
        (Outcome::Fail, true) => "X",
        (Outcome::Error, _) => "?",
    }
}

/// `base` for a figure no limit judges; its verdict's colour for one a check judges.
pub(super) fn judged_style(app: &App, theme: Theme, path: &str, base: Style) -> Style {
    match app.judged(path) {
        Some(outcome) => outcome_style(theme, outcome),
        None => base,
    }
}

/// Where the measurement stands, in words.
fn phase_text(s: &Snapshot) -> String {
    let Some(m) = s.measurement else {
        return String::new();
    };
    let settled = s.stream_seconds - m.settle_from;
    match m.phase {
        MeasurementPhase::Waiting => "waiting for the first frame".into(),
        MeasurementPhase::Settling => format!(
            "settling {:.1}/{:.1} s",
            settled,
            m.window.settle.as_secs_f64()
        ),
        MeasurementPhase::Measuring | MeasurementPhase::Done => match m.window.measure {
            Measure::Time(d) => format!(
                "measuring {:.1}/{:.1} s",
                m.measured_seconds(s.stream_seconds),
                d.as_secs_f64()
            ),
            Measure::Frames(n) => {
                format!("measuring {}/{n} frames", m.measured_frames(&s.counters))
            }
        },
    }
}

/// `CHECK name · measuring 1.2/4.0 s · snr 61.2 dB ✓ · tone 1.000 kHz ✓ · mask ✓`
pub(super) fn render_strip(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let Some(check) = app.check() else {
        return;
    };
    let ascii = app.view.ascii;
    let mut spans = vec![
        Span::styled(" CHECK ", theme.on(Color::Black, Color::Yellow)),
        Span::raw(format!(
            " {} · {}",
            check.limits.name,
            phase_text(app.snapshot())
        )),
    ];
    if let Some(verdict) = &check.verdict {
        for limit in &verdict.limits {
            spans.push(Span::raw(" · "));
            spans.push(Span::styled(
                format!(
                    "{} {} {}",
                    limit.name,
                    value_text(limit.value, limit.unit.as_deref()),
                    mark(limit.outcome, ascii)
                ),
                outcome_style(theme, limit.outcome),
            ));
        }
        if let Some(mask) = &verdict.mask {
            spans.push(Span::raw(" · "));
            spans.push(Span::styled(
                format!("mask {}", mark(mask.outcome, ascii)),
                outcome_style(theme, mask.outcome),
            ));
        }
    }
    Paragraph::new(Line::from(spans)).render(area, buf);
}

/// The mask as a line over the bars (red where a bar stands above it), the frequency limits
/// as dotted verticals and the level limits as dotted horizontals, in the plot's empty cells.
pub(super) fn render_on_plot(
    app: &App,
    theme: Theme,
    layout: &BandLayout,
    tops: &[i32],
    area: Rect,
    buf: &mut Buffer,
) {
    let Some(check) = app.check() else {
        return;
    };
    let s = app.snapshot();
    let Some(bin_hz) = s.bin_hz else {
        return;
    };
    let rows = i32::from(area.height);
    let row_of = |db: f64| -> i32 {
        let (lo, hi) = (f64::from(app.view.db_floor), f64::from(app.view.db_ceiling));
        ((db - lo) / (hi - lo) * f64::from(area.height)).floor() as i32
    };
    let mut put = |column: usize, row: i32, symbol: &str, style: Style, over_bars: bool| {
        if row < 0 || row >= rows || column >= usize::from(area.width) {
            return;
        }
        if !over_bars && tops.get(column).is_some_and(|&top| row < top) {
            return;
        }
        buf[(area.x + column as u16, area.bottom() - 1 - row as u16)]
            .set_symbol(symbol)
            .set_style(style);
    };
    let ascii = app.view.ascii;
    for limit in &check.limits.limits {
        for bound in [limit.min, limit.max].into_iter().flatten() {
            if limit.path.is_frequency() {
                let Some(position) = layout.position_of_bin(bound / bin_hz) else {
                    continue;
                };
                let column = (position * f64::from(area.width)) as usize;
                for row in 0..rows {
                    put(
                        column,
                        row,
                        if ascii { ":" } else { "┊" },
                        theme.fg(Color::Yellow),
                        false,
                    );
                }
            } else if limit.path.is_level() {
                let row = row_of(bound);
                for column in 0..usize::from(area.width) {
                    put(
                        column,
                        row,
                        if ascii { "." } else { "┄" },
                        theme.fg(Color::Yellow),
                        false,
                    );
                }
            }
        }
    }
    if let Some(mask) = &check.limits.mask {
        let bands = layout.bands().min(usize::from(area.width));
        for column in 0..bands {
            let centre = (layout.edges[column] + layout.edges[column + 1]) / 2.0 * bin_hz;
            let Some(level) = mask.level_at(centre) else {
                continue;
            };
            let over = app
                .bars_levels()
                .get(column)
                .is_some_and(|&l| f64::from(l) > level);
            let style = if over {
                theme.fg(Color::Red).add_modifier(Modifier::BOLD)
            } else {
                theme.fg(Color::Magenta)
            };
            put(
                column,
                row_of(level),
                if ascii { "-" } else { "─" },
                style,
                true,
            );
        }
    }
}
