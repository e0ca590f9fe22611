//! A ratatui backend that writes ANSI escape codes to any `Write` (the terminal, an SSH
//! channel), as few as a slow link deserves: it remembers the colours and the cursor the
//! terminal has across frames (crossterm's backend resets both after every frame), sends the
//! shortest move to the next cell (one backspace, a cursor-down, or an absolute position),
//! and the 16 named colours as their short codes.

pub mod diff;
pub mod order;

use std::io::{self, Write};

use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use ratatui::style::{Color, Modifier};
use unicode_width::UnicodeWidthStr;

/// The terminal's newline mode off (as it is unless an application set it): a line feed moves
/// down only. Sent before a backend [`AnsiBackend::with_line_feeds`] draws.
pub const LINE_FEED_ONLY: &[u8] = b"\x1b[20l";

/// The SGR state of the terminal: what the next character is drawn with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pen {
    fg: Color,
    bg: Color,
    modifier: Modifier,
}

pub struct AnsiBackend<W: Write> {
    out: W,
    size: Size,
    /// Where the cursor is, when known (after a move or a character not at the last column).
    cursor: Option<Position>,
    /// The colours and attributes in force, when known.
    pen: Option<Pen>,
    /// Bytes written since start.
    written: u64,
    /// Whether a line feed keeps the column (see [`AnsiBackend::with_line_feeds`]).
    line_feeds: bool,
}

impl<W: Write> AnsiBackend<W> {
    pub fn new(out: W, size: Size) -> Self {
        Self {
            out,
            size,
            cursor: None,
            pen: None,
            written: 0,
            line_feeds: false,
        }
    }

    /// Moves down by line feeds, a byte a row instead of three: only for a terminal known to
    /// keep the column on a line feed, one whose output is in raw mode (no CR added on
    /// output: this process's own terminal, or an OpenSSH client's) with the newline mode off
    /// ([`LINE_FEED_ONLY`]). Other watchers' terminals are not known so (a console may add a
    /// carriage return).
    pub fn with_line_feeds(mut self) -> Self {
        self.line_feeds = true;
        self
    }

    /// The terminal's size changed (a resize event, an SSH window change).
    pub fn set_size(&mut self, size: Size) {
        self.size = size;
        self.cursor = None;
    }

    pub fn writer_mut(&mut self) -> &mut W {
        &mut self.out
    }

    pub fn written(&self) -> u64 {
        self.written
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.written += bytes.len() as u64;
        self.out.write_all(bytes)
    }

    /// The cursor to `to`, by the shortest sequence (written without allocating: a picture
    /// makes one for every run of changed cells, a server for every session).
    fn move_to(&mut self, to: Position, scratch: &mut Vec<u8>) {
        scratch.clear();
        if self.cursor == Some(to) {
            return;
        }
        let _ = write!(scratch, "\x1b[{};{}H", to.y + 1, to.x + 1);
        let Some(from) = self.cursor.filter(|from| to.y >= from.y) else {
            return;
        };
        let mut moves = [0u8; 24];
        let mut relative = io::Cursor::new(&mut moves[..]);
        // Down by line feeds where they keep the column (a byte a row; never from the last
        // row, where one would scroll), back by backspaces or to the first column by a carriage
        // return: a bar growing down its column costs two bytes a cell instead of four.
        let _ = match to.y - from.y {
            0 => Ok(()),
            n @ 1..=3 if self.line_feeds => relative.write_all(&b"\n\n\n"[..usize::from(n)]),
            1 => relative.write_all(b"\x1b[B"),
            n => write!(relative, "\x1b[{n}B"),
        };
        let _ = match i32::from(to.x) - i32::from(from.x) {
            0 => Ok(()),
            _ if to.x == 0 => relative.write_all(b"\r"),
            n @ -3..=-1 => relative.write_all(&b"\x08\x08\x08"[..(-n) as usize]),
            1 => relative.write_all(b"\x1b[C"),
            n if n > 0 => write!(relative, "\x1b[{n}C"),
            n => write!(relative, "\x1b[{}D", -n),
        };
        let length = relative.position() as usize;
        if length < scratch.len() {
            scratch.clear();
            scratch.extend_from_slice(&moves[..length]);
        }
    }

    /// The SGR codes from the pen in force to `pen`.
    fn pen_to(&self, pen: Pen, scratch: &mut Vec<u8>) {
        scratch.clear();
        let mut codes: Vec<String> = Vec::new();
        let from = match self.pen {
            Some(from) if from.modifier == pen.modifier => from,
            _ => {
                // Attributes changed (rare): start from a reset, then set all that applies.
                codes.push("0".into());
                for (flag, code) in [
                    (Modifier::BOLD, "1"),
                    (Modifier::DIM, "2"),
                    (Modifier::ITALIC, "3"),
                    (Modifier::UNDERLINED, "4"),
                    (Modifier::SLOW_BLINK, "5"),
                    (Modifier::REVERSED, "7"),
                    (Modifier::HIDDEN, "8"),
                    (Modifier::CROSSED_OUT, "9"),
                ] {
                    if pen.modifier.contains(flag) {
                        codes.push(code.into());
                    }
                }
                Pen {
                    fg: Color::Reset,
                    bg: Color::Reset,
                    modifier: pen.modifier,
                }
            }
        };
        if pen.fg != from.fg {
            codes.push(color_code(pen.fg, false));
        }
        if pen.bg != from.bg {
            codes.push(color_code(pen.bg, true));
        }
        if !codes.is_empty() {
            scratch.extend_from_slice(format!("\x1b[{}m", codes.join(";")).as_bytes());
        }
    }
}

/// A backend whose size is told rather than asked: ours (the local terminal's size comes in
/// a resize event, an SSH session's in a window change) and the tests'.
pub trait Resizable: Backend {
    fn resized(&mut self, size: Size);

    /// Bytes written to the terminal so far (for the byte budget; 0 where none are).
    fn written(&self) -> u64;
}

impl<W: Write> Resizable for AnsiBackend<W> {
    fn resized(&mut self, size: Size) {
        self.set_size(size);
    }

    fn written(&self) -> u64 {
        self.written
    }
}

impl Resizable for TestBackend {
    fn resized(&mut self, size: Size) {
        self.resize(size.width, size.height);
    }

    fn written(&self) -> u64 {
        0
    }
}

/// The SGR code of a colour: the short one for the 16 named colours.
fn color_code(color: Color, background: bool) -> String {
    let base = if background { 40 } else { 30 };
    let named = |n: u8| {
        if n < 8 {
            (base + n).to_string()
        } else {
            (base + 60 + n - 8).to_string()
        }
    };
    match color {
        Color::Reset => if background { "49" } else { "39" }.into(),
        Color::Black => named(0),
        Color::Red => named(1),
        Color::Green => named(2),
        Color::Yellow => named(3),
        Color::Blue => named(4),
        Color::Magenta => named(5),
        Color::Cyan => named(6),
        Color::Gray => named(7),
        Color::DarkGray => named(8),
        Color::LightRed => named(9),
        Color::LightGreen => named(10),
        Color::LightYellow => named(11),
        Color::LightBlue => named(12),
        Color::LightMagenta => named(13),
        Color::LightCyan => named(14),
        Color::White => named(15),
        Color::Indexed(i) => format!("{};5;{i}", base + 8),
        Color::Rgb(r, g, b) => format!("{};2;{r};{g};{b}", base + 8),
    }
}

impl<W: Write> Backend for AnsiBackend<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let mut scratch = Vec::with_capacity(32);
        for (x, y, cell) in content {
            self.move_to(Position { x, y }, &mut scratch);
            let moves = std::mem::take(&mut scratch);
            self.put(&moves)?;
            scratch = moves;
            let pen = Pen {
                fg: cell.fg,
                bg: cell.bg,
                modifier: cell.modifier,
            };
            if self.pen != Some(pen) {
                self.pen_to(pen, &mut scratch);
                let codes = std::mem::take(&mut scratch);
                self.put(&codes)?;
                scratch = codes;
                self.pen = Some(pen);
            }
            let symbol = cell.symbol();
            self.put(symbol.as_bytes())?;
            let next = x.saturating_add(symbol.width().max(1) as u16);
            // At the last column the terminal waits to wrap: where it is is not certain.
            self.cursor = (next < self.size.width).then_some(Position { x: next, y });
        }
        Ok(())
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.put(b"\x1b[?25l")
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.put(b"\x1b[?25h")
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        Ok(self.cursor.unwrap_or_default())
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        let position = position.into();
        let mut scratch = Vec::new();
        self.move_to(position, &mut scratch);
        self.put(&scratch)?;
        self.cursor = Some(position);
        Ok(())
    }

    fn clear(&mut self) -> io::Result<()> {
        self.clear_region(ClearType::All)
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        // Erasing paints with the current background: from a reset pen.
        self.put(b"\x1b[0m")?;
        self.pen = Some(Pen {
            fg: Color::Reset,
            bg: Color::Reset,
            modifier: Modifier::empty(),
        });
        let code: &[u8] = match clear_type {
            ClearType::All => b"\x1b[2J",
            ClearType::AfterCursor => b"\x1b[J",
            ClearType::BeforeCursor => b"\x1b[1J",
            ClearType::CurrentLine => b"\x1b[2K",
            ClearType::UntilNewLine => b"\x1b[K",
        };
        self.put(code)
    }

    fn size(&self) -> io::Result<Size> {
        Ok(self.size)
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        Ok(WindowSize {
            columns_rows: self.size,
            pixels: Size::default(),
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn scroll_region_up(&mut self, region: std::ops::Range<u16>, lines: u16) -> io::Result<()> {
        self.scroll(region, lines, b'S')
    }

    fn scroll_region_down(&mut self, region: std::ops::Range<u16>, lines: u16) -> io::Result<()> {
        self.scroll(region, lines, b'T')
    }
}

impl<W: Write> AnsiBackend<W> {
    /// Scrolls rows `region` by `lines` (`S` up, `T` down) within margins set for it, then
    /// the margins back to the whole screen. The lines that come in are erased with the
    /// current background: a reset one.
    fn scroll(
        &mut self,
        region: std::ops::Range<u16>,
        lines: u16,
        direction: u8,
    ) -> io::Result<()> {
        if region.is_empty() || lines == 0 {
            return Ok(());
        }
        if self.pen.is_none_or(|p| p.bg != Color::Reset) {
            self.put(b"\x1b[49m")?;
            if let Some(pen) = &mut self.pen {
                pen.bg = Color::Reset;
            }
        }
        let codes = format!(
            "\x1b[{};{}r\x1b[{lines}{}\x1b[r",
            region.start + 1,
            region.end,
            direction as char
        );
        self.put(codes.as_bytes())?;
        // Setting the margins homes the cursor.
        self.cursor = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    fn emulate(bytes: &[u8], width: u16, height: u16) -> vt100::Parser {
        let mut parser = vt100::Parser::new(height, width, 0);
        parser.process(bytes);
        parser
    }

    /// Frames drawn through the backend, read by a terminal emulator, are the frames: the
    /// remembered colours and cursor, the short moves and the codes all add up.
    #[test]
    fn what_the_terminal_shows_is_the_buffer_drawn() {
        for line_feeds in [false, true] {
            drawn_as_shown(line_feeds);
        }
    }

    /// Random frames drawn by a backend that moves down by line feeds or not.
    fn drawn_as_shown(line_feeds: bool) {
        let (width, height) = (30, 8);
        let area = Rect::new(0, 0, width, height);
        let backend = AnsiBackend::new(Vec::new(), Size::new(width, height));
        let mut backend = if line_feeds {
            backend.with_line_feeds()
        } else {
            backend
        };
        let mut shown = Buffer::empty(area);
        let mut rng = fastrand::Rng::with_seed(4);
        let colours = [
            Color::Reset,
            Color::Green,
            Color::LightRed,
            Color::Indexed(200),
            Color::Rgb(1, 2, 3),
        ];
        for _ in 0..200 {
            let mut next = shown.clone();
            for _ in 0..rng.usize(1..60) {
                let (x, y) = (rng.u16(0..width), rng.u16(0..height));
                let style = Style::new()
                    .fg(colours[rng.usize(..colours.len())])
                    .bg(colours[rng.usize(..colours.len())]);
                let style = if rng.bool() {
                    style.add_modifier(Modifier::BOLD)
                } else {
                    style
                };
                next[(x, y)]
                    .set_symbol(["█", "▀", "x", " ", "▆"][rng.usize(..5)])
                    .set_style(style);
            }
            // In the order the screen draws them (not reading order).
            let cells = diff::changed_cells(&shown, &next);
            backend.draw(cells.into_iter()).unwrap();
            shown = next;
        }
        let parser = emulate(&backend.out, width, height);
        let screen = parser.screen();
        for y in 0..height {
            for x in 0..width {
                let cell = screen.cell(y, x).unwrap();
                let want = &shown[(x, y)];
                // The emulator reads a blank cell as "".
                let got = if cell.contents().is_empty() {
                    " "
                } else {
                    cell.contents()
                };
                assert_eq!(got, want.symbol(), "symbol at {x},{y}");
                assert_eq!(
                    cell.bold(),
                    want.modifier.contains(Modifier::BOLD),
                    "bold at {x},{y}"
                );
                let vt = |c: Color| match c {
                    Color::Reset => vt100::Color::Default,
                    Color::Green => vt100::Color::Idx(2),
                    Color::LightRed => vt100::Color::Idx(9),
                    Color::Indexed(i) => vt100::Color::Idx(i),
                    Color::Rgb(r, g, b) => vt100::Color::Rgb(r, g, b),
                    _ => unreachable!(),
                };
                assert_eq!(cell.fgcolor(), vt(want.fg), "fg at {x},{y}");
                assert_eq!(cell.bgcolor(), vt(want.bg), "bg at {x},{y}");
            }
        }
    }

    #[test]
    fn a_cell_below_the_last_one_costs_a_cursor_down_and_a_backspace() {
        let area = Rect::new(0, 0, 10, 4);
        let mut next = Buffer::empty(area);
        next[(3, 1)].set_symbol("█");
        next[(3, 2)].set_symbol("█");
        let drawn = |backend: AnsiBackend<Vec<u8>>| {
            let mut backend = backend;
            backend
                .draw(Buffer::empty(area).diff(&next).into_iter())
                .unwrap();
            String::from_utf8(backend.out).unwrap()
        };
        // An absolute move for the first, then down and back one: by a line feed where it
        // keeps the column.
        let size = Size::new(10, 4);
        assert_eq!(
            drawn(AnsiBackend::new(Vec::new(), size)),
            "\x1b[2;4H\x1b[0m█\x1b[B\x08█"
        );
        assert_eq!(
            drawn(AnsiBackend::new(Vec::new(), size).with_line_feeds()),
            "\x1b[2;4H\x1b[0m█\n\x08█"
        );
    }
}
