//! Every channel at a glance: one small spectrum a channel (up to 16), each labelled with
//! its number, name and peak, on the same dB range and frequency axis; the analysed channel
//! stands out.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{Theme, spectrum};
use crate::analysis::BandLayout;
use crate::format;
use crate::ui::App;

/// Rows a channel needs: its label and two rows of bars.
const MIN_ROWS: u16 = 3;

pub(super) fn render(app: &App, theme: Theme, area: Rect, buf: &mut Buffer) {
    let s = app.snapshot();
    let Some(channels) = s.channel_spectra.as_deref().filter(|c| !c.is_empty()) else {
        Paragraph::new(Line::styled(" analysing every channel…", theme.dim())).render(area, buf);
        return;
    };
    let count = channels.len();
    let columns: u16 = if count > 4 && area.width >= 100 { 2 } else { 1 };
    // The last row is the frequency axis.
    let rows_for_cells = area.height.saturating_sub(1);
    let per_column = count.div_ceil(usize::from(columns)) as u16;
    let fitting = (rows_for_cells / MIN_ROWS).max(1).min(per_column);
    let cell_rows = (rows_for_cells / fitting).max(MIN_ROWS.min(rows_for_cells));
    let cell_width = area.width / columns;
    let shown = usize::from(fitting) * usize::from(columns);
    for (i, channel) in channels.iter().enumerate().take(shown) {
        let (col, row) = (i as u16 / fitting, i as u16 % fitting);
        let cell = Rect {
            x: area.x + col * cell_width,
            y: area.y + row * cell_rows,
            width: cell_width.saturating_sub(1),
            height: cell_rows,
        };
        let label = s
            .labels
            .as_deref()
            .and_then(|l| l.get(i))
            .map_or(String::new(), |l| format!(" {l}"));
        let peak = match (channel.peak, s.bin_hz) {
            (Some(p), Some(b)) => format!("  peak {}  {:.1} dBFS", format::hz(p.bin * b), p.dbfs),
            (Some(p), None) => format!("  peak bin {:.1}  {:.1} dBFS", p.bin, p.dbfs),
            (None, _) => String::new(),
        };
        let style = if i == s.settings.channel {
            theme.fg(Color::Cyan).add_modifier(Modifier::BOLD)
        } else {
            theme.dim()
        };
        buf.set_line(
            cell.x,
            cell.y,
            &Line::from(vec![
                Span::styled(format!(" ch {i}{label}"), style),
                Span::raw(peak),
            ]),
            cell.width,
        );
        let bars = Rect {
            y: cell.y + 1,
            height: cell.height - 1,
            ..cell
        };
        if channel.spectrum.is_empty() {
            continue;
        }
        let layout = BandLayout::new(
            channel.spectrum.len(),
            usize::from(bars.width),
            app.view.axis,
        );
        let mut levels = Vec::new();
        layout.reduce_db(&channel.spectrum, &mut levels);
        spectrum::draw_levels(app, theme, &levels, bars, buf);
    }
    if shown < count {
        let note = format!(
            " +{} more channels: a taller terminal shows them",
            count - shown
        );
        buf.set_string(area.x, area.bottom() - 1, note, theme.fg(Color::Yellow));
        return;
    }
    for col in 0..columns {
        let axis = Rect {
            x: area.x + col * cell_width,
            y: area.bottom() - 1,
            width: cell_width.saturating_sub(1),
            height: 1,
        };
        spectrum::render_freq_axis(app, theme, axis, buf);
    }
}
