//! The local terminal: the only code that touches this process's own terminal. It takes the
//! terminal over (raw mode, the alternate screen), reads its keys on a thread of their own,
//! runs the screen loop every screen shares, and gives the terminal back.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::Event;
use futures_util::Stream;

use crate::ansi::AnsiBackend;
use crate::engine::Engine;
use crate::snapshot::Snapshot;
use crate::ui::Request;
use crate::ui::event_loop::{Hooks, Pace, event_loop};
use crate::ui::model::Model;

/// Whether this terminal is at the far end of an SSH link: OpenSSH's server sets these for
/// the programs of a session (`ssh host sse-tui`).
pub fn over_ssh() -> bool {
    ["SSH_CONNECTION", "SSH_TTY"]
        .iter()
        .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
}

/// Takes over the terminal, runs `app` (one board's screen, or the wall of `engines`'
/// boards) until the user quits or `shutdown` completes (or, with `quit_when_done`, every
/// pipeline is done), and gives the terminal back (ratatui's panic hook gives it back on a
/// panic too). `ask` does what the screen asks to have done (save its settings, write an
/// export) and says where, or why not. Returns each board's last snapshot.
pub async fn run<M>(
    engines: Vec<Engine>,
    mut app: M,
    pace: Pace,
    ask: impl Fn(Request) -> String,
    shutdown: impl Future<Output = ()>,
) -> io::Result<Vec<Arc<Snapshot>>>
where
    M: Model,
    for<'a> &'a M: ratatui::widgets::Widget,
{
    // ratatui sets the terminal up (raw mode, the alternate screen) and gives it back on a
    // panic; the drawing goes through our own backend, which sends fewer bytes.
    // The key reader first: nothing after the terminal is taken may return without giving it
    // back.
    let keys = terminal_events()?;
    let terminal = ratatui::try_init()?;
    let size = match terminal.size() {
        Ok(size) => size,
        Err(e) => {
            ratatui::restore();
            return Err(e);
        }
    };
    let mut backend = AnsiBackend::new(io::BufWriter::with_capacity(64 * 1024, io::stdout()), size);
    // Raw mode here is termios's (no carriage return added on output): line feeds keep the
    // column once the newline mode is off. A failed write shows in the first picture's,
    // which gives the terminal back.
    #[cfg(unix)]
    let mut backend = {
        let _ = io::Write::write_all(backend.writer_mut(), crate::ansi::LINE_FEED_ONLY);
        backend.with_line_feeds()
    };
    let result = event_loop(
        &mut backend,
        keys,
        engines.iter().map(|e| e.snapshots.clone()).collect(),
        Hooks {
            control: |board: usize, c| engines[board].control(c),
            ask,
            link: (),
            pictures: (),
        },
        &mut app,
        pace,
        shutdown,
    )
    .await;
    ratatui::restore();
    let _ = crossterm::execute!(io::stdout(), crossterm::cursor::Show);
    result?;
    let mut lasts = Vec::with_capacity(engines.len());
    for engine in engines {
        lasts.push(engine.stop().await);
    }
    Ok(lasts)
}

/// The terminal's keys and resizes, read by a thread of their own that blocks on the terminal.
/// crossterm's `EventStream` is not used: every poll of it tries the lock its helper thread
/// holds while it waits, and the loop polls the keys at each wake-up, so each wake-up spun on
/// that lock (`sched_yield` was 4 % of the process's CPU samples on the demo).
fn terminal_events() -> io::Result<impl Stream<Item = io::Result<Event>> + Unpin> {
    /// How often the reader looks whether the screen has ended (it blocks for input between).
    const LOOK: Duration = Duration::from_millis(500);
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    std::thread::Builder::new()
        .name("keys".into())
        .spawn(move || {
            while !tx.is_closed() {
                let event = match crossterm::event::poll(LOOK) {
                    Ok(false) => continue,
                    Ok(true) => crossterm::event::read(),
                    Err(e) => Err(e),
                };
                let failed = event.is_err();
                if tx.blocking_send(event).is_err() || failed {
                    return;
                }
            }
        })?;
    Ok(Box::pin(futures_util::stream::unfold(
        rx,
        |mut rx| async move { rx.recv().await.map(|event| (event, rx)) },
    )))
}
