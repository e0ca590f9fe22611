//! The order to draw a picture's changed cells in: the cheapest next cell each time, counted
//! in the bytes of the cursor move and the colour change it takes. A terminal takes cells in
//! any order; reading order costs a cursor move between every two cells of a bar growing down
//! its column (half the spectrum view's bytes were moves), where one below the other costs a
//! byte or two.
//!
//! The next cell is looked for among those near the cursor (the rows just below it, a few
//! columns either side), the first not drawn at or after it in reading order (a move forward
//! along the row), and the first not drawn at all (an absolute move, which costs about the same
//! to any cell): a fixed number of looks a cell, so a busy picture of thousands of cells is
//! ordered in linear time.

use ratatui::buffer::Cell;
use ratatui::style::{Color, Modifier};
use unicode_width::UnicodeWidthStr;

/// Rows below the cursor, and columns either side of it, looked at for the next cell.
const ROWS_BELOW: u16 = 3;
const COLUMNS_ASIDE: u16 = 3;

type Pen = (Color, Color, Modifier);

/// `cells` (in reading order) reordered: from a cursor nowhere known, the cheapest of the
/// cells looked at, each time; ties go to reading order.
pub fn cheapest(cells: Vec<(u16, u16, &Cell)>, width: u16) -> Vec<(u16, u16, &Cell)> {
    if cells.len() <= 2 || width == 0 {
        return cells;
    }
    let count = cells.len();
    let lowest = cells.iter().map(|&(_, y, _)| y).max().unwrap_or(0);
    let place = |x: u16, y: u16| usize::from(y) * usize::from(width) + usize::from(x);
    // Each place's cell, as its index + 1 (0: none, or drawn).
    let mut at = vec![0u32; usize::from(width) * (usize::from(lowest) + 1)];
    for (i, &(x, y, _)) in cells.iter().enumerate() {
        if x < width {
            at[place(x, y)] = i as u32 + 1;
        }
    }
    let mut left = NotDrawn::new(count);
    let mut ordered = Vec::with_capacity(count);
    let mut cursor: Option<(u16, u16)> = None;
    let mut pen: Option<Pen> = None;
    while ordered.len() < count {
        let mut best: Option<(u32, usize)> = None;
        let mut consider = |i: usize| {
            let (x, y, cell) = cells[i];
            let cost = move_cost(cursor, (x, y)) + pen_cost(pen, cell);
            if best.is_none_or(|(c, b)| cost < c || (cost == c && i < b)) {
                best = Some((cost, i));
            }
        };
        if let Some((cx, cy)) = cursor {
            for y in cy..=cy.saturating_add(ROWS_BELOW).min(lowest) {
                let from = cx.saturating_sub(COLUMNS_ASIDE);
                for x in from..=cx.saturating_add(COLUMNS_ASIDE).min(width - 1) {
                    if let Some(i) = at[place(x, y)].checked_sub(1) {
                        consider(i as usize);
                    }
                }
            }
            let after = cells.partition_point(|&(x, y, _)| (y, x) < (cy, cx));
            if let Some(i) = left.first_from(after) {
                consider(i);
            }
        }
        let first = left.first_from(0).expect("a cell not drawn yet");
        consider(first);
        let (_, chosen) = best.expect("a cell considered");
        let (x, y, cell) = cells[chosen];
        left.take(chosen);
        if x < width {
            at[place(x, y)] = 0;
        }
        let next = x.saturating_add(cell.symbol().width().max(1) as u16);
        // At the last column the terminal waits to wrap: where it is is not certain.
        cursor = (next < width).then_some((next, y));
        pen = Some((cell.fg, cell.bg, cell.modifier));
        ordered.push((x, y, cell));
    }
    ordered
}

/// The cells not drawn yet, by index: the first at or after an index in near constant time
/// (each drawn cell points past itself, the pointers shortened as they are followed).
struct NotDrawn {
    /// `next[i]`: an index at or after `i` that may not be drawn (`count`: none).
    next: Vec<usize>,
}

impl NotDrawn {
    fn new(count: usize) -> Self {
        Self {
            next: (0..=count).collect(),
        }
    }

    fn take(&mut self, i: usize) {
        self.next[i] = i + 1;
    }

    fn first_from(&mut self, from: usize) -> Option<usize> {
        let mut i = from;
        while self.next[i] != i {
            i = self.next[i];
        }
        // Every index on the way now points at the answer.
        let mut j = from;
        while self.next[j] != j {
            let following = self.next[j];
            self.next[j] = i;
            j = following;
        }
        (i + 1 < self.next.len()).then_some(i)
    }
}

fn digits(n: u16) -> u32 {
    n.checked_ilog10().unwrap_or(0) + 1
}

/// About the bytes of the backend's shortest move (`crate::ansi::AnsiBackend`): an absolute
/// position, or down, then back, to the first column, or forward.
fn move_cost(from: Option<(u16, u16)>, to: (u16, u16)) -> u32 {
    let absolute = 4 + digits(to.1.saturating_add(1)) + digits(to.0.saturating_add(1));
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

    /// Whatever the cells, each is drawn once: the order is a permutation of them (a cell lost
    /// would leave the terminal wrong), on pictures from a few cells to a whole repaint.
    #[test]
    fn every_cell_is_drawn_once() {
        let (width, height) = (120u16, 40u16);
        let mut rng = fastrand::Rng::with_seed(11);
        let mut buffer = Buffer::empty(Rect::new(0, 0, width, height));
        for y in 0..height {
            for x in 0..width {
                let glyph = ["█", "▃", " ", "x"][rng.usize(..4)];
                buffer[(x, y)].set_symbol(glyph);
            }
        }
        for wanted in [3usize, 40, 300, 2000, 4800] {
            let mut places: Vec<(u16, u16)> = (0..height)
                .flat_map(|y| (0..width).map(move |x| (x, y)))
                .filter(|_| rng.usize(..4800) < wanted)
                .collect();
            places.sort_by_key(|&(x, y)| (y, x));
            let cells: Vec<_> = places
                .iter()
                .map(|&(x, y)| (x, y, &buffer[(x, y)]))
                .collect();
            let mut drawn: Vec<(u16, u16)> = cheapest(cells, width)
                .into_iter()
                .map(|(x, y, _)| (x, y))
                .collect();
            drawn.sort_by_key(|&(x, y)| (y, x));
            assert_eq!(drawn, places, "{wanted} cells");
        }
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
