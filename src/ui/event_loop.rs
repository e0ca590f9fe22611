//! The loop every screen runs, the local terminal's and each SSH session's: keys, snapshots
//! and time come in; a picture is drawn only when something changed, and at most `--fps`
//! times a second. It knows nothing of where its keys come from or where its bytes go.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::Event;
use futures_util::{Stream, StreamExt};
use ratatui::layout::{Rect, Size};
use tokio::sync::watch;
use tokio::time::Instant;

use super::budget::Budget;
use super::model::Model;
use super::studio::{Pictures, SharedStudio, TICK};
use super::{Message, Request};
use crate::ansi::Resizable;
use crate::ansi::diff::Screen;
use crate::snapshot::Snapshot;
use crate::vocabulary::Control;

/// What the loop asks of the rest of the program: changes to the analysis, what the screen
/// asks to have done outside it (saving its settings, writing an export: the answer is a
/// sentence to show), the link to the terminal, and where pictures made for many screens
/// come from (`()`: nowhere, this screen draws its own).
pub struct Hooks<C, A, L, P = ()> {
    pub control: C,
    pub ask: A,
    pub link: L,
    pub pictures: P,
}

/// The way to the terminal as the loop sees it.
pub trait Link {
    /// Whether the link has taken the last picture: on a slow SSH link the next picture
    /// waits, so pictures are skipped, never queued.
    fn ready(&self) -> bool {
        true
    }

    /// The next picture shows the snapshot taken at `taken_at` (the SSH side measures how
    /// long a snapshot takes to leave).
    fn drawing(&self, _taken_at: std::time::Instant) {}
}

/// A local terminal takes every picture at once.
impl Link for () {}

impl<L: Link + ?Sized> Link for &L {
    fn ready(&self) -> bool {
        (**self).ready()
    }

    fn drawing(&self, taken_at: std::time::Instant) {
        (**self).drawing(taken_at)
    }
}

/// How often to draw, within how many bytes a second, and whether the end of the pipeline
/// ends the screen.
#[derive(Clone, Copy, Debug)]
pub struct Pace {
    pub fps: u32,
    /// `--byte-budget`: a busy view draws fewer pictures rather than write more than this.
    pub byte_budget: Option<u32>,
    pub quit_when_done: bool,
}

/// The loop proper, over any backend and any source of terminal events (tests script them):
/// `snapshots` has a board's snapshots at each index, and `control` takes the board a control
/// is for.
pub async fn event_loop<B, K, M>(
    backend: &mut B,
    mut keys: K,
    snapshots: Vec<watch::Receiver<Arc<Snapshot>>>,
    hooks: Hooks<impl Fn(usize, Control), impl Fn(Request) -> String, impl Link, impl Pictures<M>>,
    app: &mut M,
    pace: Pace,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()>
where
    B: Resizable,
    B::Error: Send + Sync + 'static,
    K: Stream<Item = io::Result<Event>> + Unpin,
    M: Model,
    for<'a> &'a M: ratatui::widgets::Widget,
{
    let mut snapshots = merged(snapshots);
    let frame_interval = Duration::from_secs_f64(1.0 / f64::from(pace.fps.max(1)));
    let size = backend.size().map_err(io::Error::other)?;
    app.update(
        Message::Resize {
            width: size.width,
            height: size.height,
        },
        Instant::now().into_std(),
    );
    backend.hide_cursor().map_err(io::Error::other)?;
    let mut screen = Screen::new(Rect::new(0, 0, size.width, size.height));
    let Hooks {
        control,
        ask,
        link,
        pictures,
    } = hooks;
    // The studio drawing this screen's pictures while its look is shared, with that look.
    let mut studio: Option<(M::Look, SharedStudio<M>)> = None;
    for (board, c) in app.start_controls() {
        control(board, c);
    }
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    let mut engine_running = true;
    let mut dirty = true;
    // A snapshot came since the last tick: its picture was drawn with the time it came.
    let mut fresh_since_tick = false;
    let mut next_draw = Instant::now();
    // A picture due this soon is drawn now, in its slot: the next slot is counted from this
    // one, so the pace stays under `--fps`, and a snapshot that comes a hair before its slot
    // does not cost a timer of its own (and the wake-up of the runtime that arming it takes).
    let slack = frame_interval / 8;
    let mut budget = pace.byte_budget.map(|b| Budget::new(b, Instant::now()));
    while !app.should_quit() {
        let now = Instant::now();
        if dirty && now + slack >= next_draw {
            if let Some(until) = budget.as_mut().and_then(|b| b.held_until(now)) {
                // Over the budget: the picture waits until it is paid for, and then shows
                // the snapshot of that moment.
                next_draw = until;
            } else {
                if link.ready() {
                    let area = screen.area();
                    let before = backend.written();
                    let look = app.look();
                    if studio.as_ref().map(|(held, _)| held) != look.as_ref() {
                        studio = look.and_then(|look| {
                            let held = pictures.studio(&look, app, area)?;
                            Some((look, held))
                        });
                    }
                    match &studio {
                        Some((_, studio)) => {
                            let picture = {
                                let mut studio = studio.lock().expect("studio lock");
                                let picture = studio.picture(now.into_std());
                                link.drawing(studio.taken_at());
                                picture
                            };
                            // The studio's model scrolls for all of its screens.
                            app.take_scroll(area);
                            screen
                                .draw_shared(backend, &picture)
                                .map_err(io::Error::other)?;
                        }
                        None => {
                            app.catch_up();
                            link.drawing(app.taken_at());
                            let scroll = app.take_scroll(area);
                            screen
                                .draw(backend, &*app, scroll)
                                .map_err(io::Error::other)?;
                        }
                    }
                    if let Some(budget) = &mut budget {
                        budget.spent(backend.written() - before, now);
                    }
                    dirty = false;
                }
                // Drawn, or the link still carries the last picture: look again a frame later.
                next_draw = next_draw.max(now) + frame_interval;
            }
        }
        // Keys first: a flood of data must never make the screen deaf.
        tokio::select! {
            biased;
            event = keys.next() => {
                let now = Instant::now().into_std();
                match event {
                    Some(Ok(Event::Key(key))) => {
                        if let Some((board, c)) = app.update(Message::Key(key), now) {
                            control(board, c);
                        }
                        if let Some(request) = app.take_request() {
                            app.update(Message::Say(ask(request)), now);
                        }
                    }
                    Some(Ok(Event::Resize(width, height))) => {
                        app.update(Message::Resize { width, height }, now);
                        backend.resized(Size::new(width, height));
                        screen.resize(backend, Rect::new(0, 0, width, height)).map_err(io::Error::other)?;
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return Err(e),
                    // The terminal went away (the SSH link dropped).
                    None => return Ok(()),
                }
                dirty = true;
            }
            _ = &mut shutdown => return Ok(()),
            next = snapshots.next(), if engine_running => match next {
                Some((board, snapshot)) => {
                    let now = Instant::now().into_std();
                    // A studio draws this screen: only what its keys read is kept up.
                    match studio {
                        Some(_) => app.keep(board, snapshot, now),
                        None => app.show(board, snapshot, now),
                    }
                    dirty = true;
                    fresh_since_tick = true;
                }
                // Every pipeline is done: `--frames` reached ends the screen; the end of a
                // replay keeps its last picture up until `q`.
                None if pace.quit_when_done => return Ok(()),
                None => engine_running = false,
            },
            _ = ticks.tick() => {
                app.update(Message::Tick, Instant::now().into_std());
                if let Some(budget) = &budget {
                    let lowered = budget
                        .lowered_fps(Instant::now())
                        .map(|fps| (shown_fps(fps), budget.bytes_per_s()));
                    dirty |= app.set_lowered(lowered);
                }
                // While snapshots come, their pictures keep the ages current: a tick's
                // redraw would only cost a frame and push the next snapshot's picture back
                // to the next frame slot.
                if !fresh_since_tick {
                    dirty = true;
                }
                fresh_since_tick = false;
            }
            _ = tokio::time::sleep_until(next_draw), if dirty => {}
        }
    }
    Ok(())
}

/// Every board's snapshots as they come, with the board's index; the stream ends when every
/// pipeline is done. A board's snapshots are a `watch`: a board that changes faster than the
/// screen draws is seen at its newest, never queued.
fn merged(
    boards: Vec<watch::Receiver<Arc<Snapshot>>>,
) -> impl Stream<Item = (usize, Arc<Snapshot>)> + Unpin {
    futures_util::stream::select_all(boards.into_iter().enumerate().map(|(board, rx)| {
        Box::pin(futures_util::stream::unfold(rx, move |mut rx| async move {
            rx.changed().await.ok()?;
            let snapshot = rx.borrow_and_update().clone();
            Some(((board, snapshot), rx))
        }))
    }))
}

/// Pictures a second as the header shows them: to half a picture below ten (so that one and a
/// half is not "2" and a half is not "0"), whole above; the header changes only when this does.
fn shown_fps(fps: f64) -> f32 {
    let shown = if fps < 10.0 {
        (fps * 2.0).round() / 2.0
    } else {
        fps.round()
    };
    shown as f32
}

#[cfg(test)]
mod tests;
