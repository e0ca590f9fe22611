//! The picture the terminal shows and the one being made: only the cells that differ go to
//! the terminal, and nothing at all when none do (not even a reset of colours), so an
//! unchanged frame costs no bytes on the link. When a band of rows has only moved down (the
//! waterfall), the terminal scrolls it itself and the diff starts from the rows moved: a new
//! line costs one row. A picture made once for many screens (`crate::ui::studio`) is drawn
//! from the cells its maker found changed, by every screen that showed the picture before it.

use std::ops::Range;
use std::sync::Arc;

use ratatui::backend::Backend;
use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

/// Rows `rows` moved down by `by` since the last picture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scroll {
    pub rows: Range<u16>,
    pub by: u16,
}

pub struct Screen {
    /// What the terminal shows; shared with a studio when it shows a shared picture.
    shown: Arc<Buffer>,
    /// Which shared picture `shown` is, while it is one.
    shown_picture: Option<PictureId>,
    /// Where this screen's own pictures are made: none while a studio makes them.
    next: Option<Buffer>,
}

/// A shared picture: the studio that made it, and its number there.
pub type PictureId = (u64, u64);

/// A picture made once for every screen that shows the same view at the same size, and how
/// to draw it on a terminal that shows the picture before it.
#[derive(Clone, Debug)]
pub struct SharedPicture {
    pub id: PictureId,
    pub buffer: Arc<Buffer>,
    pub step: Arc<Step>,
}

/// From one shared picture to the next: the scroll first, then the cells that changed.
#[derive(Debug, Default)]
pub struct Step {
    pub from: Option<PictureId>,
    pub scroll: Option<Scroll>,
    pub cells: Vec<(u16, u16, Cell)>,
}

impl Screen {
    /// For a terminal of `area`, blank (as the alternate screen starts).
    pub fn new(area: Rect) -> Self {
        Self {
            shown: Arc::new(Buffer::empty(area)),
            shown_picture: None,
            next: None,
        }
    }

    pub fn area(&self) -> Rect {
        self.shown.area
    }

    /// The terminal changed size: clear it, and draw everything next time.
    pub fn resize<B: Backend>(&mut self, backend: &mut B, area: Rect) -> Result<(), B::Error> {
        backend.clear()?;
        *self = Self::new(area);
        Ok(())
    }

    /// Draws `picture`, the terminal scrolling `scroll` first; returns whether anything was
    /// sent.
    pub fn draw<B: Backend>(
        &mut self,
        backend: &mut B,
        picture: impl Widget,
        scroll: Option<Scroll>,
    ) -> Result<bool, B::Error> {
        let area = self.shown.area;
        if let Some(Scroll { rows, by }) = usable(scroll, area) {
            backend.scroll_region_down(rows.clone(), by)?;
            scroll_down(Arc::make_mut(&mut self.shown), rows, by);
            self.shown_picture = None;
        }
        let next = self.next.get_or_insert_with(|| Buffer::empty(area));
        next.reset();
        picture.render(area, next);
        let updates = changed_cells(&self.shown, next);
        if updates.is_empty() {
            return Ok(false);
        }
        backend.draw(updates.into_iter())?;
        backend.flush()?;
        match Arc::get_mut(&mut self.shown) {
            Some(shown) => std::mem::swap(shown, next),
            // Shown was a shared picture: this screen's own from now on.
            None => self.shown = Arc::new(self.next.take().expect("made above")),
        }
        self.shown_picture = None;
        Ok(true)
    }

    /// Draws a shared picture of this screen's size: from the cells its studio found changed
    /// when this screen shows the picture before it (no diff of its own), else by a diff from
    /// what it shows. Returns whether anything was sent.
    pub fn draw_shared<B: Backend>(
        &mut self,
        backend: &mut B,
        picture: &SharedPicture,
    ) -> Result<bool, B::Error> {
        debug_assert_eq!(
            picture.buffer.area, self.shown.area,
            "a picture of another size"
        );
        if self.shown_picture == Some(picture.id) {
            return Ok(false);
        }
        let sent = if picture.step.from.is_some() && self.shown_picture == picture.step.from {
            if let Some(Scroll { rows, by }) = picture.step.scroll.clone() {
                backend.scroll_region_down(rows, by)?;
            }
            let cells = &picture.step.cells;
            if !cells.is_empty() {
                backend.draw(cells.iter().map(|(x, y, cell)| (*x, *y, cell)))?;
            }
            picture.step.scroll.is_some() || !cells.is_empty()
        } else {
            let updates = changed_cells(&self.shown, &picture.buffer);
            let any = !updates.is_empty();
            if any {
                backend.draw(updates.into_iter())?;
            }
            any
        };
        if sent {
            backend.flush()?;
        }
        self.shown = picture.buffer.clone();
        self.shown_picture = Some(picture.id);
        Ok(sent)
    }
}

/// `scroll` when a terminal of `area` can do it (a band of more rows than it moves, on the
/// screen); `None` otherwise.
pub fn usable(scroll: Option<Scroll>, area: Rect) -> Option<Scroll> {
    scroll.filter(|Scroll { rows, by }| {
        *by > 0 && *by < rows.end.saturating_sub(rows.start) && rows.end <= area.height
    })
}

/// The cells of `next` that differ from `shown`, in the order cheapest to draw
/// ([`super::order`]). Unlike ratatui's diff, a cell's display width is looked up only when it
/// changed (most of a screen does not): a wide character covers the cell after it, which is
/// then not sent.
pub fn changed_cells<'a>(shown: &Buffer, next: &'a Buffer) -> Vec<(u16, u16, &'a Cell)> {
    use unicode_width::UnicodeWidthStr;
    let width = usize::from(next.area.width);
    let mut updates = Vec::new();
    let mut covered = 0usize;
    for (i, (old, new)) in shown.content.iter().zip(&next.content).enumerate() {
        if covered > 0 {
            covered -= 1;
            continue;
        }
        if old != new {
            let (x, y) = (i % width, i / width);
            updates.push((x as u16, y as u16, new));
            covered = new.symbol().width().saturating_sub(1);
        }
    }
    super::order::cheapest(updates, next.area.width)
}

/// Rows `rows` of `buffer` moved down by `by`, blank rows coming in at the top: what a
/// terminal's scroll-down in that region does.
pub fn scroll_down(buffer: &mut Buffer, rows: Range<u16>, by: u16) {
    let width = buffer.area.width;
    for y in rows.clone().rev() {
        for x in 0..width {
            let cell = match y.checked_sub(by).filter(|from| *from >= rows.start) {
                Some(from) => buffer[(x, from)].clone(),
                None => Cell::default(),
            };
            buffer[(x, y)] = cell;
        }
    }
}

#[cfg(test)]
mod tests {
    use ratatui::backend::TestBackend;
    use ratatui::text::Line;

    use super::*;

    /// Lines of text, one a row.
    struct Rows(Vec<String>);

    impl Widget for &Rows {
        fn render(self, area: Rect, buf: &mut Buffer) {
            for (y, row) in self.0.iter().enumerate().take(usize::from(area.height)) {
                Line::raw(row.as_str()).render(Rect::new(0, y as u16, area.width, 1), buf);
            }
        }
    }

    #[test]
    fn only_changed_cells_are_sent_and_an_unchanged_picture_sends_nothing() {
        let area = Rect::new(0, 0, 8, 3);
        let mut backend = TestBackend::new(8, 3);
        let mut screen = Screen::new(area);
        let picture = Rows(vec!["abc".into(), "def".into(), "ghi".into()]);
        assert!(screen.draw(&mut backend, &picture, None).unwrap());
        assert!(!screen.draw(&mut backend, &picture, None).unwrap());
        backend.assert_buffer_lines(["abc     ", "def     ", "ghi     "]);
    }

    /// A band scrolled by the terminal, then drawn over, shows what a full redraw shows.
    #[test]
    fn a_scrolled_band_then_the_diff_is_the_whole_picture() {
        let area = Rect::new(0, 0, 6, 5);
        let mut backend = TestBackend::new(6, 5);
        let mut screen = Screen::new(area);
        let rows = |top: &str| {
            Rows(vec![
                "head".into(),
                top.into(),
                "r1".into(),
                "r2".into(),
                "r3".into(),
            ])
        };
        screen.draw(&mut backend, &rows("r0"), None).unwrap();
        // Rows 1..5 moved down by one: a new top row, the rest shifted.
        let next = Rows(vec![
            "head".into(),
            "new".into(),
            "r0".into(),
            "r1".into(),
            "r2".into(),
        ]);
        let scroll = Scroll { rows: 1..5, by: 1 };
        screen.draw(&mut backend, &next, Some(scroll)).unwrap();
        backend.assert_buffer_lines(["head  ", "new   ", "r0    ", "r1    ", "r2    "]);
    }
}
