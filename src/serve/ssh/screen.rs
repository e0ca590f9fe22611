//! The live screen in one SSH session: its own `App` (or its own wall of several boards),
//! drawn by the loop every screen runs, at the session's pty size, with keys parsed from the
//! channel's bytes and pictures handed to the session's outbox.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;

use crossterm::event::Event;
use futures_util::Stream;
use ratatui::layout::Size;
use russh::server::Msg;
use russh::{Channel, ChannelMsg, ChannelReadHalf};

use super::input::{ESC_WAIT, KeyParser};
use super::outbox::{Outbox, PictureWriter};
use super::shared::{Seat, Shared};
use crate::ansi::AnsiBackend;
use crate::ui::event_loop::{Hooks, Pace, event_loop};
use crate::ui::model::Model;
use crate::ui::studio::Studios;
use crate::ui::wall::Wall;
use crate::ui::{App, ViewOptions};
use crate::vocabulary::{Control, ViewKind};

/// The largest screen a session may ask for: a picture's two cell buffers (the one shown and
/// the one being made, by the session or by the studio it shares) are allocated from the size
/// (a ratatui cell is 48 bytes), so 512×256 is 12 MB where 1000×500 was 46 MB a session; the
/// largest real terminal, a 4K screen in a small font, is about 480×135.
const MAX_COLUMNS: u32 = 512;
const MAX_ROWS: u32 = 256;
/// The size of a session whose client does not know its own (what terminals assume).
pub const UNKNOWN_SIZE: Size = Size::new(80, 24);

const ENTER: &[u8] = b"\x1b[?1049h\x1b[?25l\x1b[2J";
const LEAVE: &[u8] = b"\x1b[0m\x1b[?25h\x1b[?1049l";

/// The pty a session asked for.
#[derive(Clone, Debug)]
pub struct Pty {
    pub term: String,
    pub size: Size,
    /// The watcher's terminal takes a line feed as a move down in the same column (see
    /// [`keeps_the_column`]): the screen moves down by line feeds, a byte a row.
    pub line_feeds: bool,
}

/// Whether the client that sent this identification (`SSH-2.0-OpenSSH_9.2p1 Debian-2`) draws
/// on a terminal whose output it has put in raw mode, where a line feed keeps the column:
/// OpenSSH's client clears the output processing of its terminal (checked by the OpenSSH
/// tests); its Windows port writes to a console that may add a carriage return, and other
/// clients are not known, so they keep the cursor-down.
pub fn keeps_the_column(client: &[u8]) -> bool {
    let client = String::from_utf8_lossy(client);
    client.starts_with("SSH-2.0-OpenSSH_") && !client.contains("Windows")
}

/// A size asked for in a pty request or a window change, within bounds; `None` for a size
/// the client does not know (0 columns or rows).
pub fn screen_size(columns: u32, rows: u32) -> Option<Size> {
    (columns > 0 && rows > 0)
        .then(|| Size::new(columns.min(MAX_COLUMNS) as u16, rows.min(MAX_ROWS) as u16))
}

/// Colour unless the terminal type says it has none (or says nothing we know).
pub fn has_colour(term: &str) -> bool {
    const COLOUR: &[&str] = &[
        "xterm",
        "screen",
        "tmux",
        "rxvt",
        "linux",
        "alacritty",
        "kitty",
        "foot",
        "wezterm",
        "ghostty",
        "konsole",
        "gnome",
        "vte",
        "putty",
        "cygwin",
        "iterm",
        "contour",
        "st-",
        "ansi",
    ];
    COLOUR.iter().any(|prefix| term.starts_with(prefix))
}

/// The live screen in one session, until `q`, the watcher leaving, or the server stopping.
pub async fn screen(channel: Channel<Msg>, pty: Pty, shared: Arc<Shared>, _seat: Seat) {
    let (read, write) = channel.split();
    let write = Arc::new(write);
    let outbox = Arc::new(Outbox::default());
    outbox.starts_on(shared.boards[0].snapshots.borrow().taken_at);
    let sender = tokio::spawn({
        let (outbox, write, watchers) = (outbox.clone(), write.clone(), shared.watchers.clone());
        async move {
            let link = |bytes| {
                let write = write.clone();
                async move { write.data_bytes(bytes).await.is_ok() }
            };
            outbox.deliver(link, &watchers.ssh_picture_delay).await;
        }
    });
    outbox.push(ENTER);
    let view = ViewOptions {
        color: shared.view.color && has_colour(&pty.term),
        ..shared.view
    };
    let mut backend = AnsiBackend::new(PictureWriter::new(outbox.clone()), pty.size);
    if pty.line_feeds {
        outbox.push(crate::ansi::LINE_FEED_ONLY);
        backend = backend.with_line_feeds();
    }
    let control = |board: usize, c: Control| {
        // The analysis is the server's: a session changes only what its own views need.
        if matches!(c, Control::Views { .. }) {
            (shared.boards[board].control)(c);
        }
    };
    let session = Session {
        shared: &shared,
        outbox: &outbox,
        control: &control,
    };
    let mut apps: Vec<(String, App)> = shared
        .boards
        .iter()
        .map(|b| (b.name.clone(), App::new(b.snapshots.borrow().clone(), view)))
        .collect();
    // The views the boards' screens showed when the session ended, no longer shown (a screen
    // that took `q` itself said so already).
    let (ended, left): (io::Result<()>, Vec<(usize, ViewKind)>) = if apps.len() == 1 {
        let (_, mut app) = apps.pop().expect("one board");
        let ended = (session.run(&mut backend, keys(read), &mut app, &shared.pictures)).await;
        let left = (!app.should_quit()).then(|| (0, app.view_kind()));
        (ended, left.into_iter().collect())
    } else {
        let mut wall = Wall::new(apps);
        let ended = (session.run(&mut backend, keys(read), &mut wall, &shared.wall_pictures)).await;
        let left = (wall.boards().iter().enumerate())
            .filter(|(_, b)| !b.app.should_quit())
            .map(|(i, b)| (i, b.app.view_kind()))
            .collect();
        (ended, left)
    };
    for (board, view) in left {
        control(
            board,
            Control::Views {
                left: Some(view),
                entered: None,
            },
        );
    }
    outbox.push(LEAVE);
    // Why it ended, said only when it is so and someone may read it: after `q`, or when the
    // watcher closed the channel, there is nothing to say.
    let status = match ended {
        Ok(()) if *shared.stopping.borrow() => {
            outbox.push(b"sse-tui: the server is stopping\r\n");
            1
        }
        Ok(()) => 0,
        Err(_) => 1,
    };
    outbox.close();
    let _ = sender.await;
    let _ = write.exit_status(status).await;
    let _ = write.eof().await;
    let _ = write.close().await;
}

/// What a session's screen loop is run with.
struct Session<'a, C> {
    shared: &'a Shared,
    outbox: &'a Arc<Outbox>,
    control: &'a C,
}

impl<C: Fn(usize, Control)> Session<'_, C> {
    /// The screen loop on `model` (one board's screen or the wall) until `q`, the watcher
    /// leaving, or the server stopping; its pictures shared with the sessions that look the
    /// same, from `pictures`.
    async fn run<M>(
        &self,
        backend: &mut AnsiBackend<PictureWriter>,
        keys: impl Stream<Item = io::Result<Event>> + Unpin,
        model: &mut M,
        pictures: &Studios<M>,
    ) -> io::Result<()>
    where
        M: Model + Clone,
        for<'m> &'m M: ratatui::widgets::Widget,
    {
        let mut stopping = self.shared.stopping.clone();
        event_loop(
            backend,
            keys,
            self.shared
                .boards
                .iter()
                .map(|b| b.snapshots.clone())
                .collect(),
            Hooks {
                control: self.control,
                ask: |_| "that is the server's to do: nothing is written from SSH".to_owned(),
                link: &**self.outbox,
                pictures,
            },
            model,
            Pace {
                fps: self.shared.fps,
                byte_budget: self.shared.byte_budget,
                quit_when_done: false,
            },
            async move {
                let _ = stopping.wait_for(|stop| *stop).await;
            },
        )
        .await
    }
}

/// The session's keys and window changes as terminal events. The stream ends when the
/// watcher closes the channel; the end of its input (EOF: `ssh -tt host < /dev/null`, a
/// script) only means no more keys come, and the screen goes on.
fn keys(read: ChannelReadHalf) -> impl Stream<Item = io::Result<Event>> + Unpin {
    struct State {
        read: ChannelReadHalf,
        parser: KeyParser,
        ready: VecDeque<Event>,
    }
    let state = State {
        read,
        parser: KeyParser::default(),
        ready: VecDeque::new(),
    };
    Box::pin(futures_util::stream::unfold(state, |mut s| async move {
        loop {
            if let Some(event) = s.ready.pop_front() {
                return Some((Ok(event), s));
            }
            let message = if s.parser.waiting() {
                match tokio::time::timeout(ESC_WAIT, s.read.wait()).await {
                    Ok(message) => message,
                    Err(_) => {
                        // Nothing followed the Esc: it was the Esc key.
                        s.ready.extend(s.parser.flush().into_iter().map(Event::Key));
                        continue;
                    }
                }
            } else {
                s.read.wait().await
            };
            match message? {
                ChannelMsg::Data { data } => {
                    s.ready
                        .extend(s.parser.feed(&data).into_iter().map(Event::Key));
                }
                // A size the client does not know leaves the screen at the one it has.
                ChannelMsg::WindowChange {
                    col_width,
                    row_height,
                    ..
                } => {
                    if let Some(size) = screen_size(col_width, row_height) {
                        s.ready.push_back(Event::Resize(size.width, size.height));
                    }
                }
                ChannelMsg::Eof => {
                    // What waited for more input is what it is.
                    s.ready.extend(s.parser.flush().into_iter().map(Event::Key));
                }
                ChannelMsg::Close => return None,
                _ => {}
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_feeds_go_to_openssh_clients_but_not_to_windows_consoles() {
        assert!(keeps_the_column(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"));
        assert!(keeps_the_column(b"SSH-2.0-OpenSSH_9.8"));
        assert!(!keeps_the_column(b"SSH-2.0-OpenSSH_for_Windows_8.1"));
        assert!(!keeps_the_column(b"SSH-2.0-PuTTY_Release_0.81"));
        assert!(!keeps_the_column(b"SSH-2.0-russh_0.65.2"));
        assert!(!keeps_the_column(b""));
    }

    /// A watcher's pty request cannot make the server allocate more than 12 MB of cells for
    /// its screen, and a size the client does not know is none (the session draws 80×24).
    #[test]
    fn the_screen_a_session_may_ask_for_is_bounded() {
        let largest = screen_size(u32::MAX, u32::MAX).unwrap();
        assert_eq!((largest.width, largest.height), (512, 256));
        let cells = usize::from(largest.width) * usize::from(largest.height);
        let bytes = 2 * cells * std::mem::size_of::<ratatui::buffer::Cell>();
        assert!(bytes <= 12 << 20, "{bytes} bytes");
        assert_eq!(screen_size(0, 0), None);
        assert_eq!(screen_size(80, 0), None);
        assert_eq!(screen_size(1, 1), Some(Size::new(1, 1)));
    }
}
