//! The wall (SPEC §16): a tile per board, picked by arrows or Tab, opened by Enter into the
//! whole screen of one board (every view and key of it), Esc back. State and logic only; the
//! drawing is in `view::wall`.

use std::sync::Arc;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::Rect;

use super::bars::Bars;
use super::model::Model;
use super::{App, Message, Request};
use crate::ansi::diff::Scroll;
use crate::snapshot::Snapshot;
use crate::vocabulary::Control;

/// Lines of figures at the top of a tile, above its small spectrum.
pub const TILE_TEXT_LINES: u16 = 4;
/// The smallest tile that shows its figures (borders included).
pub const MIN_TILE: (u16, u16) = (20, TILE_TEXT_LINES + 2);

/// One board on the wall: its name, its whole screen, and its tile's small spectrum.
#[derive(Clone)]
pub struct WallBoard {
    pub name: String,
    pub app: App,
    pub tile_bars: Bars,
}

#[derive(Clone)]
pub struct Wall {
    boards: Vec<WallBoard>,
    picked: usize,
    /// The board shown whole, when one is.
    opened: Option<usize>,
    size: (u16, u16),
    quit: bool,
    lowered: Option<(f32, u32)>,
    /// Snapshots were kept while a studio drew the wall: the tiles' bars wait.
    tiles_behind: bool,
}

impl Wall {
    /// A wall of `boards` (name and screen), in the order their snapshots are given.
    pub fn new(boards: Vec<(String, App)>) -> Self {
        Self {
            boards: boards
                .into_iter()
                .map(|(name, app)| WallBoard {
                    name,
                    app,
                    tile_bars: Bars::default(),
                })
                .collect(),
            picked: 0,
            opened: None,
            size: (0, 0),
            quit: false,
            lowered: None,
            tiles_behind: false,
        }
    }

    pub fn boards(&self) -> &[WallBoard] {
        &self.boards
    }

    pub fn picked(&self) -> usize {
        self.picked
    }

    pub fn opened(&self) -> Option<usize> {
        self.opened
    }

    pub fn lowered(&self) -> Option<(f32, u32)> {
        self.lowered
    }

    /// The tiles' places on a screen of `area`; empty when they would be too small to read.
    pub fn tiles(&self, area: Rect) -> Vec<Rect> {
        tiles(body(area), self.boards.len())
    }

    /// A key on the wall itself (no board open).
    fn key_on_wall(&mut self, key: KeyEvent) {
        let count = self.boards.len();
        let columns = usize::from(grid(count).0);
        let ctrl_c =
            key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c');
        self.picked = match key.code {
            _ if ctrl_c => {
                self.quit = true;
                self.picked
            }
            KeyCode::Char('q') | KeyCode::Esc => {
                self.quit = true;
                self.picked
            }
            KeyCode::Enter => {
                self.open(self.picked);
                self.picked
            }
            KeyCode::Tab => (self.picked + 1) % count,
            KeyCode::BackTab => (self.picked + count - 1) % count,
            KeyCode::Right if self.picked % columns + 1 < columns => {
                (self.picked + 1).min(count - 1)
            }
            KeyCode::Left if !self.picked.is_multiple_of(columns) => self.picked - 1,
            KeyCode::Down if self.picked + columns < count => self.picked + columns,
            KeyCode::Up if self.picked >= columns => self.picked - columns,
            _ => self.picked,
        };
    }

    fn open(&mut self, board: usize) {
        self.opened = Some(board);
        // Rows its waterfall scrolled while it was not shown are on no terminal.
        let (width, height) = self.size;
        self.boards[board]
            .app
            .take_scroll(Rect::new(0, 0, width, height));
    }

    /// Brings a tile's small spectrum up to its board's snapshot, for the tile's size now.
    fn refresh_tile(&mut self, board: usize) {
        let (width, height) = self.size;
        let tiles = self.tiles(Rect::new(0, 0, width, height));
        let Some(plot) = tiles.get(board).map(|&tile| tile_plot(tile)) else {
            return;
        };
        let WallBoard { app, tile_bars, .. } = &mut self.boards[board];
        if plot.height == 0 {
            *tile_bars = Bars::default();
            return;
        }
        let db_per_row = (app.view.db_ceiling - app.view.db_floor) / f32::from(plot.height);
        tile_bars.update(
            app.snapshot(),
            usize::from(plot.width),
            app.view.axis,
            db_per_row,
        );
    }
}

/// How a wall looks besides its boards' snapshots and the time (see [`Model::look`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WallLook {
    size: (u16, u16),
    picked: usize,
    opened: Option<usize>,
    lowered: Option<(u32, u32)>,
    /// Each board's screen: the tiles draw with their boards' ranges and axes.
    boards: Vec<super::Look>,
}

impl Model for Wall {
    type Look = WallLook;

    /// The wall's look, while no board's screen shows anything of its own.
    fn look(&self) -> Option<WallLook> {
        let Self {
            boards,
            picked,
            opened,
            size,
            quit: _,
            lowered,
            tiles_behind: _,
        } = self;
        Some(WallLook {
            size: *size,
            picked: *picked,
            opened: *opened,
            lowered: lowered.map(|(fps, bytes)| (fps.to_bits(), bytes)),
            boards: boards.iter().map(|b| b.app.look()).collect::<Option<_>>()?,
        })
    }

    fn update(&mut self, message: Message, now: Instant) -> Option<(usize, Control)> {
        match message {
            Message::Key(key) if key.kind == KeyEventKind::Release => None,
            Message::Key(key) => match self.opened {
                // Esc goes back to the wall, unless it is closing that board's help.
                Some(board) if key.code == KeyCode::Esc && !self.boards[board].app.help_shown() => {
                    self.opened = None;
                    (0..self.boards.len()).for_each(|b| self.refresh_tile(b));
                    None
                }
                Some(board) => {
                    let control = self.boards[board].app.update(message, now);
                    control.map(|c| (board, c))
                }
                None => {
                    self.key_on_wall(key);
                    None
                }
            },
            Message::Resize { width, height } => {
                self.size = (width, height);
                for board in &mut self.boards {
                    board.app.update(message.clone(), now);
                }
                (0..self.boards.len()).for_each(|b| self.refresh_tile(b));
                None
            }
            Message::Say(_) => {
                // Only an open board asks for anything, so only it is answered.
                let board = self.opened?;
                self.boards[board].app.update(message, now);
                None
            }
            Message::Tick => {
                for board in &mut self.boards {
                    board.app.update(Message::Tick, now);
                }
                None
            }
            // Snapshots come by `show`, which says whose they are.
            Message::Snapshot(_) => None,
        }
    }

    fn show(&mut self, board: usize, snapshot: Arc<Snapshot>, now: Instant) {
        let Some(wall_board) = self.boards.get_mut(board) else {
            return;
        };
        wall_board.app.update(Message::Snapshot(snapshot), now);
        if self.opened.is_none() {
            self.refresh_tile(board);
        }
    }

    fn keep(&mut self, board: usize, snapshot: Arc<Snapshot>, now: Instant) {
        if let Some(wall_board) = self.boards.get_mut(board) {
            wall_board.app.keep(snapshot, now);
            self.tiles_behind = true;
        }
    }

    fn catch_up(&mut self) {
        for board in &mut self.boards {
            board.app.catch_up();
        }
        if std::mem::take(&mut self.tiles_behind) && self.opened.is_none() {
            (0..self.boards.len()).for_each(|b| self.refresh_tile(b));
        }
    }

    fn start_controls(&self) -> Vec<(usize, Control)> {
        self.boards
            .iter()
            .enumerate()
            .filter_map(|(i, b)| b.app.start_control().map(|c| (i, c)))
            .collect()
    }

    fn should_quit(&self) -> bool {
        self.quit || self.boards.iter().any(|b| b.app.should_quit())
    }

    fn take_request(&mut self) -> Option<Request> {
        self.boards[self.opened?].app.take_request()
    }

    fn set_lowered(&mut self, lowered: Option<(f32, u32)>) -> bool {
        let mut changed = self.lowered != lowered;
        self.lowered = lowered;
        for board in &mut self.boards {
            changed |= board.app.set_lowered(lowered);
        }
        changed
    }

    fn take_scroll(&mut self, area: Rect) -> Option<Scroll> {
        match self.opened {
            Some(board) => self.boards[board].app.take_scroll(area),
            None => {
                // The wall has no waterfall of its own: scrolls counted in boards not
                // shown are forgotten.
                for board in &mut self.boards {
                    board.app.take_scroll(area);
                }
                None
            }
        }
    }

    fn taken_at(&self) -> Instant {
        match self.opened {
            Some(board) => self.boards[board].app.snapshot().taken_at,
            None => self
                .boards
                .iter()
                .map(|b| b.app.snapshot().taken_at)
                .max()
                .expect("a wall has boards"),
        }
    }
}

/// Columns and rows of tiles for `boards`: as square as the count allows, wider than tall.
pub fn grid(boards: usize) -> (u16, u16) {
    let boards = boards.max(1);
    let columns = (1..=boards).find(|c| c * c >= boards).unwrap_or(boards);
    let rows = boards.div_ceil(columns);
    (columns as u16, rows as u16)
}

/// The part of the screen the tiles share: all but the header line and the hint line.
pub fn body(area: Rect) -> Rect {
    Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(2),
        ..area
    }
}

/// The tiles' places in `body`, row by row; empty when a tile would be smaller than
/// [`MIN_TILE`].
pub fn tiles(body: Rect, boards: usize) -> Vec<Rect> {
    let (columns, rows) = grid(boards);
    let (width, height) = (body.width / columns, body.height / rows);
    if width < MIN_TILE.0 || height < MIN_TILE.1 {
        return Vec::new();
    }
    (0..boards as u16)
        .map(|i| Rect {
            x: body.x + (i % columns) * width,
            y: body.y + (i / columns) * height,
            width,
            height,
        })
        .collect()
}

/// Where a tile's small spectrum goes: inside its border, under its figures.
pub fn tile_plot(tile: Rect) -> Rect {
    let inner = Rect {
        x: tile.x + 1,
        y: tile.y + 1,
        width: tile.width.saturating_sub(2),
        height: tile.height.saturating_sub(2),
    };
    Rect {
        y: inner.y + TILE_TEXT_LINES,
        height: inner.height.saturating_sub(TILE_TEXT_LINES),
        ..inner
    }
}

#[cfg(test)]
mod tests;
