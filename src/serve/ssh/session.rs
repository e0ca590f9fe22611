//! One SSH connection: public-key authentication against the allowed keys, then one session
//! channel whose shell is the live screen (its own `App`, drawn by the same terminal loop as
//! the local screen), or a sentence and a close for what it is not (a command, no pty, too
//! many sessions).

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use crossterm::event::Event;
use futures_util::Stream;
use ratatui::layout::Size;
use russh::server::{
    Auth, ChannelOpenHandle, Handler, Msg, PublicKeyOffer, Session, VerifiedPublicKey,
};
use russh::{Channel, ChannelId, ChannelMsg, ChannelReadHalf, ChannelWriteHalf};
use tokio::sync::{Notify, watch};

use super::input::{ESC_WAIT, KeyParser};
use super::keys::Allowed;
use crate::ansi::AnsiBackend;
use crate::serve::metrics::Watchers;
use crate::snapshot::Snapshot;
use crate::ui::event_loop::{Hooks, Link, Pace, event_loop};
use crate::ui::{App, ViewOptions};
use crate::vocabulary::Control;

/// Bytes a session may have on their way to the watcher before its next picture waits: a
/// slow link skips pictures (it gets the latest when it is ready), it never builds a backlog.
pub const LINK_BUDGET: usize = 64 * 1024;

/// The largest screen a session may ask for: its two cell buffers are allocated from the
/// size (a ratatui cell is 48 bytes), so 512×256 is 12 MB where 1000×500 was 46 MB a session;
/// the largest real terminal, a 4K screen in a small font, is about 480×135.
const MAX_COLUMNS: u32 = 512;
const MAX_ROWS: u32 = 256;

const ENTER: &[u8] = b"\x1b[?1049h\x1b[?25l\x1b[2J";
const LEAVE: &[u8] = b"\x1b[0m\x1b[?25h\x1b[?1049l";

/// What every session shares: the analysis, and the server's rules.
pub struct Shared {
    pub allowed: Allowed,
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    /// The pipeline's controls: sessions send only what their views need.
    pub control: Box<dyn Fn(Control) + Send + Sync>,
    pub view: ViewOptions,
    pub fps: u32,
    pub max_sessions: usize,
    /// Screens running now (the `ssh` watchers of /metrics).
    pub watchers: Arc<Watchers>,
    pub stopping: watch::Receiver<bool>,
    /// How to connect (`ssh -p PORT HOST`), for the sentence an `ssh host command` gets.
    pub address: String,
    /// SSH connections open now: a screen's goodbye has reached its watcher once its
    /// connection has closed.
    pub connections: AtomicUsize,
    /// Told when a connection closes.
    pub connection_closed: Notify,
}

impl Shared {
    /// Once every connection has closed.
    pub async fn all_closed(&self) {
        loop {
            // Registered before the count is read, so a close in between still wakes it.
            let closed = self.connection_closed.notified();
            if self.connections.load(Ordering::Acquire) == 0 {
                return;
            }
            closed.await;
        }
    }
}

/// The pty a session asked for.
#[derive(Clone, Debug)]
struct Pty {
    term: String,
    size: Size,
}

pub struct Connection {
    shared: Arc<Shared>,
    channel: Option<Channel<Msg>>,
    pty: Option<Pty>,
}

impl Connection {
    pub fn new(shared: Arc<Shared>) -> Self {
        shared.connections.fetch_add(1, Ordering::AcqRel);
        Self {
            shared,
            channel: None,
            pty: None,
        }
    }
}

/// russh drops the handler when the connection's session ends.
impl Drop for Connection {
    fn drop(&mut self) {
        self.shared.connections.fetch_sub(1, Ordering::AcqRel);
        self.shared.connection_closed.notify_waiters();
    }
}

impl Handler for Connection {
    type Error = russh::Error;

    /// Unlisted keys are refused here, before the client is asked to sign anything.
    async fn auth_publickey_offered(
        &mut self,
        _user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(verdict(self.shared.allowed.admits(offer.public_key)))
    }

    async fn auth_publickey(
        &mut self,
        _user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(verdict(self.shared.allowed.admits(key.public_key)))
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // One screen per connection; a second channel is refused (dropping the reply does).
        if self.channel.is_none() {
            self.channel = Some(channel);
            reply.accept().await;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn pty_request(
        &mut self,
        channel: ChannelId,
        term: &str,
        col_width: u32,
        row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.pty = Some(Pty {
            term: term.to_owned(),
            size: screen_size(col_width, row_height),
        });
        session.channel_success(channel)
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        let Some(open) = self.channel.take() else {
            return Ok(());
        };
        let shared = self.shared.clone();
        match self.pty.clone() {
            None => {
                let why = "sse-tui: this server shows a screen and needs a terminal: \
                           connect with `ssh -t`\r\n";
                tokio::spawn(refuse(open, why.to_owned(), 1));
            }
            Some(pty) => match Seat::take(&shared) {
                Some(seat) => {
                    tokio::spawn(screen(open, pty, shared, seat));
                }
                None => {
                    let why = format!(
                        "sse-tui: all {} sessions are taken; try again later\r\n",
                        shared.max_sessions
                    );
                    tokio::spawn(refuse(open, why, 1));
                }
            },
        }
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        if let Some(open) = self.channel.take() {
            let why = format!(
                "sse-tui: this server runs no commands (asked: {:?}); for the live screen, \
                 connect without one: {}\r\n",
                String::from_utf8_lossy(data),
                self.shared.address
            );
            tokio::spawn(refuse(open, why, 2));
        }
        Ok(())
    }
}

fn verdict(admitted: bool) -> Auth {
    if admitted {
        Auth::Accept
    } else {
        Auth::reject()
    }
}

fn screen_size(columns: u32, rows: u32) -> Size {
    Size::new(
        columns.clamp(1, MAX_COLUMNS) as u16,
        rows.clamp(1, MAX_ROWS) as u16,
    )
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

/// A sentence on the watcher's stderr, an exit status, and the channel closed.
async fn refuse(channel: Channel<Msg>, why: String, status: u32) {
    let _ = channel.extended_data_bytes(1, Bytes::from(why)).await;
    let _ = channel.exit_status(status).await;
    let _ = channel.eof().await;
    let _ = channel.close().await;
}

/// A place among the `--ssh-max-sessions`, given back when the screen ends.
struct Seat(Arc<Shared>);

impl Seat {
    fn take(shared: &Arc<Shared>) -> Option<Self> {
        let taken = &shared.watchers.ssh;
        taken
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
                (now < shared.max_sessions).then_some(now + 1)
            })
            .ok()
            .map(|_| Self(shared.clone()))
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        self.0.watchers.ssh.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The live screen in one session, until `q`, the watcher leaving, or the server stopping.
async fn screen(channel: Channel<Msg>, pty: Pty, shared: Arc<Shared>, _seat: Seat) {
    let (read, write) = channel.split();
    let write = Arc::new(write);
    let first = shared.snapshots.borrow().clone();
    // The snapshot the session starts on may be old (a source that has gone quiet): its
    // first picture is the session's start, not a snapshot's delay.
    let outbox = Arc::new(Outbox::default());
    outbox.starts_on(first.taken_at);
    let sender = tokio::spawn(send(write.clone(), outbox.clone(), shared.watchers.clone()));
    outbox.push(ENTER);
    let view = ViewOptions {
        color: shared.view.color && has_colour(&pty.term),
        ..shared.view
    };
    let mut backend = AnsiBackend::new(
        LinkWriter {
            buffer: Vec::new(),
            outbox: outbox.clone(),
        },
        pty.size,
    );
    let mut app = App::new(first, view);
    let mut stopping = shared.stopping.clone();
    let control = |c: Control| {
        // The analysis is the server's: a session changes only what its own views need.
        if matches!(c, Control::Views { .. }) {
            (shared.control)(c);
        }
    };
    let ended = event_loop(
        &mut backend,
        keys(read),
        shared.snapshots.clone(),
        Hooks {
            control,
            save: |_| "settings belong to the server: nothing is saved from SSH".to_owned(),
            link: &*outbox,
        },
        &mut app,
        Pace {
            fps: shared.fps,
            quit_when_done: false,
        },
        async move {
            let _ = stopping.wait_for(|stop| *stop).await;
        },
    )
    .await;
    if !app.should_quit() {
        // Left without `q`: the view it showed is no longer shown.
        control(Control::Views {
            left: Some(app.view_kind()),
            entered: None,
        });
    }
    outbox.push(LEAVE);
    let status = match ended {
        Ok(()) if app.should_quit() => 0,
        Ok(()) => {
            outbox.push(b"sse-tui: the server is stopping\r\n");
            1
        }
        Err(_) => 1,
    };
    outbox.close();
    let _ = sender.await;
    let _ = write.exit_status(status).await;
    let _ = write.eof().await;
    let _ = write.close().await;
}

/// The session's keys and window changes as terminal events; ends when the watcher leaves.
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
                ChannelMsg::WindowChange {
                    col_width,
                    row_height,
                    ..
                } => {
                    let size = screen_size(col_width, row_height);
                    s.ready.push_back(Event::Resize(size.width, size.height));
                }
                ChannelMsg::Eof | ChannelMsg::Close => return None,
                _ => {}
            }
        }
    }))
}

/// What the screen wrote and the link has not yet taken.
#[derive(Default)]
struct Outbox {
    state: Mutex<Queued>,
    wake: Notify,
}

#[derive(Default)]
struct Queued {
    bytes: Vec<u8>,
    /// When the snapshots of the pictures in `bytes` were taken.
    taken: Vec<Instant>,
    /// The snapshot the picture being drawn shows, if it is one not drawn before (a picture
    /// redrawn for a key or a tick is not a snapshot's delay).
    drawing: Option<Instant>,
    last_drawn: Option<Instant>,
    /// Queued here plus handed to the channel and not yet through its window.
    unsent: usize,
    closed: bool,
}

impl Outbox {
    fn push(&self, bytes: &[u8]) {
        self.push_owned(bytes.to_vec());
    }

    /// A whole picture: handed over without a copy when nothing else waits (the usual case).
    fn push_owned(&self, bytes: Vec<u8>) {
        let mut state = self.state.lock().expect("outbox lock");
        if let Some(taken) = state.drawing.take() {
            state.taken.push(taken);
        }
        state.unsent += bytes.len();
        if state.bytes.is_empty() {
            state.bytes = bytes;
        } else {
            state.bytes.extend_from_slice(&bytes);
        }
        drop(state);
        self.wake.notify_one();
    }

    /// The snapshot the screen starts on: it counts as drawn.
    fn starts_on(&self, taken_at: Instant) {
        self.state.lock().expect("outbox lock").last_drawn = Some(taken_at);
    }

    fn close(&self) {
        self.state.lock().expect("outbox lock").closed = true;
        self.wake.notify_one();
    }
}

impl Link for Outbox {
    fn ready(&self) -> bool {
        self.state.lock().expect("outbox lock").unsent < LINK_BUDGET
    }

    fn drawing(&self, taken_at: Instant) {
        let mut state = self.state.lock().expect("outbox lock");
        // Set or cleared at every draw: a draw that sends nothing leaves no stale stamp.
        state.drawing = (state.last_drawn != Some(taken_at)).then_some(taken_at);
        state.last_drawn = Some(taken_at);
    }
}

/// Hands the screen's bytes to the channel, which waits for the watcher's window: a stalled
/// watcher stalls this task and nothing else. Each picture's delay from its snapshot is
/// recorded once the channel has taken it.
async fn send(write: Arc<ChannelWriteHalf<Msg>>, outbox: Arc<Outbox>, watchers: Arc<Watchers>) {
    loop {
        let chunk = {
            let mut state = outbox.state.lock().expect("outbox lock");
            if state.bytes.is_empty() {
                if state.closed {
                    return;
                }
                None
            } else {
                Some((
                    std::mem::take(&mut state.bytes),
                    std::mem::take(&mut state.taken),
                ))
            }
        };
        let Some((chunk, taken)) = chunk else {
            outbox.wake.notified().await;
            continue;
        };
        let length = chunk.len();
        if write.data_bytes(Bytes::from(chunk)).await.is_err() {
            return;
        }
        let sent = Instant::now();
        for taken in taken {
            watchers
                .ssh_picture_delay
                .record(sent.saturating_duration_since(taken));
        }
        outbox.state.lock().expect("outbox lock").unsent -= length;
    }
}

/// The screen's writer: a picture collects here and goes to the outbox whole at the flush.
struct LinkWriter {
    buffer: Vec<u8>,
    outbox: Arc<Outbox>,
}

impl io::Write for LinkWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buffer.is_empty() {
            self.outbox.push_owned(std::mem::take(&mut self.buffer));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// A watcher's pty request cannot make the server allocate more than 12 MB of cells for
    /// its screen (a zero size is one cell, not a panic).
    #[test]
    fn the_screen_a_session_may_ask_for_is_bounded() {
        let largest = screen_size(u32::MAX, u32::MAX);
        assert_eq!((largest.width, largest.height), (512, 256));
        let cells = usize::from(largest.width) * usize::from(largest.height);
        let bytes = 2 * cells * std::mem::size_of::<ratatui::buffer::Cell>();
        assert!(bytes <= 12 << 20, "{bytes} bytes");
        let smallest = screen_size(0, 0);
        assert_eq!((smallest.width, smallest.height), (1, 1));
    }

    /// A snapshot's delay is measured on its first picture only: a redraw for a tick or a key
    /// shows an older snapshot and would read as a late one, and the snapshot a session starts
    /// on may be old (a quiet source) without anything being late.
    #[test]
    fn a_snapshot_is_stamped_on_its_first_picture_only() {
        let outbox = Outbox::default();
        let start = Instant::now();
        let first = start + Duration::from_millis(20);
        let second = first + Duration::from_millis(33);
        // The session's first picture shows the snapshot it started on: not a delay.
        outbox.starts_on(start);
        outbox.drawing(start);
        outbox.push_owned(b"start".to_vec());
        outbox.drawing(first);
        outbox.push_owned(b"first".to_vec());
        outbox.drawing(first);
        outbox.push_owned(b"a tick later".to_vec());
        // The second snapshot changed no cell: nothing is pushed, and its stamp is not
        // carried over to the tick's redraw after it.
        outbox.drawing(second);
        outbox.drawing(second);
        outbox.push_owned(b"a tick later".to_vec());
        let state = outbox.state.lock().unwrap();
        assert_eq!(state.taken, [first]);
        assert_eq!(state.unsent, 34);
    }
}
