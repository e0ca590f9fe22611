//! The ADC figures (SPEC §7) in a strip of their own, and on a tall enough screen the
//! datasheet's further rows (SPEC §15): the spur table, the sine fit, the code-density test.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::Theme;
use super::check::judged_style;
use crate::analysis::adc::ImdFigures;
use crate::format;
use crate::snapshot::Snapshot;
use crate::ui::App;

/// Screens at least this tall show the spur table, the sine fit and the linearity too.
pub(super) const DATASHEET_HEIGHT: u16 = 30;

/// The ADC figures (SPEC §7) under the plot: what a datasheet gives, or why not.
pub(super) fn render(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let s = app.snapshot();
    let label = Span::styled(" ADC ", Style::new().add_modifier(Modifier::BOLD));
    let datasheet = area.height >= 4;
    let Some(adc) = &s.adc else {
        if let Some(imd) = &s.imd {
            let mut lines = two_tones(s, imd, theme, usize::from(area.width));
            if datasheet {
                lines.push(fit_and_linearity(s, theme));
            }
            Paragraph::new(lines).render(area, buf);
            return;
        }
        let why = match s.origin {
            None => "waiting for a spectrum",
            Some(_) => "no tone 20 dB above the noise",
        };
        let mut lines = vec![Line::from(vec![label, Span::styled(why, theme.dim())])];
        if datasheet {
            lines.push(Line::raw(""));
            lines.push(fit_and_linearity(s, theme));
        }
        Paragraph::new(lines).render(area, buf);
        return;
    };
    let at = |bin: f64| at(s, bin);
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
        if datasheet {
            lines.push(spurs_and_noise(s, adc, theme));
            lines.push(fit_and_linearity(s, theme));
        }
    }
    Paragraph::new(lines).render(area, buf);
}

/// Where a bin lies: in Hz when the rate is known.
fn at(s: &Snapshot, bin: f64) -> String {
    match s.bin_hz {
        Some(b) => format::hz(bin * b),
        None => format!("bin {bin:.1}"),
    }
}

/// The noise density, SFDR against full scale, and the strongest components besides the
/// fundamental, strongest first (SPEC §15): a harmonic by its order, any other as S, in dBc.
fn spurs_and_noise<'a>(
    s: &Snapshot,
    adc: &crate::analysis::adc::AdcFigures,
    theme: Theme,
) -> Line<'a> {
    let figure = |name: &str, value: Option<f64>, unit: &str| {
        value.map_or(format!("{name} –  "), |v| {
            format!("{name} {v:.1}{unit}  ")
        })
    };
    let sfdr_dbfs = adc.sfdr_dbfs();
    let mut spans = vec![
        Span::raw("     "),
        Span::raw(figure("NSD", adc.nsd_dbfs_hz(s.bin_hz), " dBFS/Hz")),
        Span::raw(figure("SFDR", sfdr_dbfs, " dBFS")),
        Span::styled("spurs ", theme.dim()),
    ];
    if adc.spurs.is_empty() {
        spans.push(Span::styled("–", theme.dim()));
    }
    for spur in &adc.spurs {
        let name = spur.harmonic.map_or("S".to_owned(), |n| format!("H{n}"));
        let dbc = 10.0 * spur.power.log10() - adc.fundamental_dbfs;
        spans.push(Span::styled(
            format!("{name} {} {dbc:.1}  ", at(s, spur.bin)),
            theme.dim(),
        ));
    }
    Line::from(spans)
}

/// Two tones (SPEC §15): the tones, IMD2 and IMD3, then every product where it folds.
fn two_tones<'a>(s: &Snapshot, imd: &ImdFigures, theme: Theme, width: usize) -> Vec<Line<'a>> {
    let label = Span::styled(" IMD ", Style::new().add_modifier(Modifier::BOLD));
    let dbfs = |p: f64| 10.0 * p.log10();
    let worst = |order: u8| {
        imd.worst_dbc(order).map_or(format!("IMD{order} –"), |d| {
            format!("IMD{order} {d:.1} dBc")
        })
    };
    let items = vec![
        Span::styled(
            format!(
                "f₁ {} {:.2} dBFS  f₂ {} {:.2} dBFS",
                at(s, imd.f1_bin),
                dbfs(imd.f1_power),
                at(s, imd.f2_bin),
                dbfs(imd.f2_power)
            ),
            theme.fg(Color::Cyan),
        ),
        Span::raw(worst(2)),
        Span::raw(worst(3)),
    ];
    let mut lines = flow(label, items, width);
    let mut products = vec![Span::raw("     ")];
    for p in &imd.products {
        let level = imd
            .dbc(p)
            .map_or("under the noise".into(), |d| format!("{d:.1}"));
        products.push(Span::styled(
            format!("IM{} {} {level}  ", p.order, at(s, p.bin)),
            theme.dim(),
        ));
    }
    products.push(Span::styled("dBc", theme.dim()));
    lines.push(Line::from(products));
    lines
}

/// The sine fit of the latest block, and the code-density test when it runs.
fn fit_and_linearity<'a>(s: &Snapshot, theme: Theme) -> Line<'a> {
    let mut spans = vec![Span::raw("     ")];
    match &s.sinefit {
        // Two tones have no sine to fit.
        None if s.imd.is_some() => {}
        Some(fit) => spans.push(Span::raw(format!(
            "sine fit {}  {:.2} FS  SINAD {:.1} dB  ENOB {:.2} b",
            format::hz(fit.freq_hz),
            fit.amplitude,
            fit.sinad_db(),
            fit.enob_bits()
        ))),
        None => spans.push(Span::styled("sine fit –", theme.dim())),
    }
    spans.push(Span::raw("   "));
    if let Some(why) = &s.linearity_unavailable {
        spans.push(Span::styled(
            format!("linearity: {why}"),
            theme.fg(Color::Yellow),
        ));
    } else if let Some(l) = &s.linearity {
        spans.extend(linearity_figures(l, theme));
    }
    Line::from(spans)
}

/// DNL, INL and missing codes once the test is done; before, how far along it is and
/// what it waits for.
pub(super) fn linearity_figures<'a>(
    l: &crate::analysis::linearity::Linearity,
    theme: Theme,
) -> Vec<Span<'a>> {
    if let Some(why) = l.withheld {
        return vec![Span::styled(
            format!("linearity: {why}"),
            theme.fg(Color::Yellow),
        )];
    }
    if !l.is_ready() {
        return vec![Span::styled(
            format!(
                "linearity {:.0} % of the samples for ±0.1 LSB",
                l.progress * 100.0
            ),
            theme.dim(),
        )];
    }
    let missing = match l.missing_codes.as_slice() {
        [] => "none".to_owned(),
        codes if codes.len() <= 4 => codes
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(" "),
        codes => format!("{} codes", codes.len()),
    };
    vec![Span::raw(format!(
        "DNL {:+.2}…{:+.2}  INL {:+.2}…{:+.2} LSB  missing {missing}",
        l.dnl_min, l.dnl_max, l.inl_min, l.inl_max
    ))]
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
