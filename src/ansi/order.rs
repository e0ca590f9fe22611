//! The order to draw a picture's changed cells in: the cheapest next cell each time, counted
//! in the bytes of the cursor move and the colour change it takes. A terminal takes cells in
//! any order; reading order costs a cursor move between every two cells of a bar growing down
//! its column (half the spectrum view's bytes were moves), where one below the other costs a
//! byte or two.

use ratatui::buffer::Cell;
use ratatui::style::{Color, Modifier};
use unicode_width::UnicodeWidthStr;

/// Above this many cells (a busy view, a whole repaint) reading order stands: its runs along
/// rows are already cheap, and the search grows with the square of the count (at 128 it is
/// some 8000 looks, tens of microseconds, a picture).
const MOST_ORDERED: usize = 128;

type Pen = (Color, Color, Modifier);

/// `cells` (in reading order) reordered: from a cursor nowhere known, the cell cheapest to
/// reach next, each time; ties go to reading order.
pub fn cheapest(cells: Vec<(u16, u16, &Cell)>, width: u16) -> Vec<(u16, u16, &Cell)> {
    if cells.len() <= 2 || cells.len() > MOST_ORDERED {
        return cells;
    }
    let count = cells.len();
    let mut left: Vec<Option<(u16, u16, &Cell)>> = cells.into_iter().map(Some).collect();
    let mut first_left = 0;
    let mut ordered = Vec::with_capacity(count);
    let mut cursor: Option<(u16, u16)> = None;
    let mut pen: Option<Pen> = None;
    while ordered.len() < count {
        let mut best = (u32::MAX, first_left);
        for (i, candidate) in left.iter().enumerate().skip(first_left) {
            let Some((x, y, cell)) = candidate else {
                continue;
            };
            let cost = move_cost(cursor, (*x, *y)) + pen_cost(pen, cell);
            if cost < best.0 {
                best = (cost, i);
                if cost == 0 {
                    break;
                }
            }
        }
        let (x, y, cell) = left[best.1].take().expect("a cell not drawn yet");
        while left.get(first_left).is_some_and(Option::is_none) {
            first_left += 1;
        }
        let next = x.saturating_add(cell.symbol().width().max(1) as u16);
        // At the last column the terminal waits to wrap: where it is is not certain.
        cursor = (next < width).then_some((next, y));
        pen = Some((cell.fg, cell.bg, cell.modifier));
        ordered.push((x, y, cell));
    }
    ordered
}

fn digits(n: u16) -> u32 {
    n.checked_ilog10().unwrap_or(0) + 1
}

/// About the bytes of the backend's shortest move (`crate::ansi::AnsiBackend`): an absolute
/// position, or down, then back, to the first column, or forward.
fn move_cost(from: Option<(u16, u16)>, to: (u16, u16)) -> u32 {
    let absolute = 4 + digits(to.1 + 1) + digits(to.0 + 1);
    let Some(from) = from else {
        return absolute;
    };
    if from == to {
        return 0;
    }
    if to.1 < from.1 {
        return absolute;
    }
    let vertical = match to.1 - from.1 {
        0 => 0,
        1 => 2,
        dy => 3 + digits(dy),
    };
    let horizontal = match i32::from(to.0) - i32::from(from.0) {
        0 => 0,
        _ if to.0 == 0 => 1,
        dx @ -3..=-1 => (-dx) as u32,
        1 => 3,
        dx => 3 + digits(dx.unsigned_abs() as u16),
    };
    absolute.min(vertical + horizontal)
}

/// About the bytes of the colour codes from `pen` to the cell's.
fn pen_cost(pen: Option<Pen>, cell: &Cell) -> u32 {
    match pen {
        Some(pen) if pen == (cell.fg, cell.bg, cell.modifier) => 0,
        Some(pen) if pen.2 == cell.modifier => 5,
        _ => 8,
    }
}

#[cfg(test)]
mod tests {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;

    use super::*;

    /// The cost of drawing `cells` in their order, by this module's count.
    fn cost(cells: &[(u16, u16, &Cell)], width: u16) -> u32 {
        let (mut cursor, mut pen, mut total) = (None, None, 0);
        for &(x, y, cell) in cells {
            total += move_cost(cursor, (x, y)) + pen_cost(pen, cell);
            let next = x + 1;
            cursor = (next < width).then_some((next, y));
            pen = Some((cell.fg, cell.bg, cell.modifier));
        }
        total
    }

    /// Two bars growing down their columns, in reading order, jump between the columns on
    /// every row; ordered, a column is drawn down in a run, for fewer bytes.
    #[test]
    fn a_bar_is_drawn_down_its_column() {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 20, 6));
        for y in 1..5 {
            buffer[(3, y)].set_symbol("█");
            buffer[(12, y)].set_symbol("█");
        }
        let reading: Vec<_> = (1..5u16)
            .flat_map(|y| [(3u16, y), (12, y)])
            .map(|(x, y)| (x, y, &buffer[(x, y)]))
            .collect();
        let ordered = cheapest(reading.clone(), 20);
        let places: Vec<(u16, u16)> = ordered.iter().map(|&(x, y, _)| (x, y)).collect();
        assert_eq!(&places[..4], [(3, 1), (3, 2), (3, 3), (3, 4)]);
        let mut sorted = places.clone();
        sorted.sort_by_key(|&(x, y)| (y, x));
        let mut expected: Vec<(u16, u16)> = reading.iter().map(|&(x, y, _)| (x, y)).collect();
        expected.sort_by_key(|&(x, y)| (y, x));
        assert_eq!(sorted, expected, "every cell once");
        let (before, after) = (cost(&reading, 20), cost(&ordered, 20));
        assert!(after < before, "{before} → {after}");
    }

    /// A run along a row stays a run: each cell follows the last with no move at all.
    #[test]
    fn a_run_of_text_stays_in_reading_order() {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 20, 3));
        buffer.set_string(4, 1, "peak 1.0", ratatui::style::Style::new());
        let cells: Vec<_> = (4..12u16).map(|x| (x, 1u16, &buffer[(x, 1)])).collect();
        let ordered: Vec<u16> = cheapest(cells, 20).into_iter().map(|(x, _, _)| x).collect();
        assert_eq!(ordered, (4..12).collect::<Vec<_>>());
    }
}
