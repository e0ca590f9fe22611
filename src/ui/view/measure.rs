//! The ADC figures (SPEC §7) in a strip of their own.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::Theme;
use super::check::judged_style;
use crate::format;
use crate::ui::App;

/// The ADC figures (SPEC §7) under the plot: what a datasheet gives, or why not.
pub(super) fn render(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
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
    // A figure a check judges takes its verdict's colour.
    let figure = |name: &str, value: Option<f64>, unit: &str, path: &str| {
        Span::styled(
            value.map_or(format!("{name} –"), |v| format!("{name} {v:.1}{unit}")),
            judged_style(app, theme, path, Style::new()),
        )
    };
    let fundamental = ["adc.fundamental_hz", "adc.fundamental_dbfs"]
        .into_iter()
        .fold(theme.fg(Color::Cyan), |style, path| {
            judged_style(app, theme, path, style)
        });
    let mut items = vec![Span::styled(
        format!(
            "f₀ {}  {:.2} dBFS",
            at(adc.fundamental_bin),
            adc.fundamental_dbfs
        ),
        fundamental,
    )];
    if adc.leakage_limited {
        let window = match s.origin {
            Some(crate::analysis::Origin::Received { window }) => {
                format!("the board's spectrum ({})", window.name())
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
        let enob = ["adc.enob_bits", "adc.enob_fs_bits"]
            .into_iter()
            .fold(Style::new(), |style, path| {
                judged_style(app, theme, path, style)
            });
        items.extend([
            figure("SNR", adc.snr_db, " dB", "adc.snr_db"),
            figure("THD", adc.thd_db, " dB", "adc.thd_db"),
            figure("SINAD", adc.sinad_db, " dB", "adc.sinad_db"),
            Span::styled(
                format!(
                    "ENOB {} b ({} FS)",
                    bits(adc.enob_bits),
                    bits(adc.enob_fs_bits)
                ),
                enob,
            ),
            figure("SFDR", adc.sfdr_dbc, " dBc", "adc.sfdr_dbc"),
            figure(
                "floor",
                adc.noise_floor_dbfs,
                " dBFS/bin",
                "adc.noise_floor_dbfs",
            ),
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
