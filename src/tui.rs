//! The terminal loop: the only code that touches the terminal. Keys, snapshots and time
//! come in; a frame is drawn only when something changed, and at most `--fps` times a second.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::Event;
use futures_util::{Stream, StreamExt};
use ratatui::backend::{Backend, TestBackend};
use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::{Rect, Size};

use crate::ansi::AnsiBackend;
use crate::config::{self, SettingsFile};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::engine::Engine;
use crate::snapshot::Snapshot;
use crate::ui::{App, Message, ViewOptions, view};
use crate::vocabulary::{Control, ScreenSettings, ViewKind};

/// Ages and staleness are re-read this often when no data comes.
const TICK: Duration = Duration::from_millis(250);

/// Takes over the terminal, runs the screen until the user quits or `shutdown` completes (or,
/// with `quit_when_done`, the pipeline is done), and gives the terminal back (ratatui's panic
/// hook gives it back on a panic too).
pub async fn run(
    engine: Engine,
    view: ViewOptions,
    pace: Pace,
    settings: SettingsFile,
    shutdown: impl Future<Output = ()>,
) -> io::Result<Arc<Snapshot>> {
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
    let mut app = App::new(engine.snapshots.borrow().clone(), view);
    let result = event_loop(
        &mut backend,
        keys,
        engine.snapshots.clone(),
        Hooks {
            control: |c| engine.control(c),
            save: |screen: ScreenSettings| match config::save(&settings, &screen) {
                Ok(place) => format!("saved to {place}"),
                Err(why) => format!("not saved: {why}"),
            },
            link: (),
        },
        &mut app,
        pace,
        shutdown,
    )
    .await;
    ratatui::restore();
    let _ = crossterm::execute!(io::stdout(), crossterm::cursor::Show);
    result?;
    Ok(engine.stop().await)
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

/// A backend whose size is told rather than asked (ours and the test's).
pub trait Resizable: Backend {
    fn resized(&mut self, size: Size);
}

impl<W: io::Write> Resizable for AnsiBackend<W> {
    fn resized(&mut self, size: Size) {
        self.set_size(size);
    }
}

impl Resizable for TestBackend {
    fn resized(&mut self, size: Size) {
        self.resize(size.width, size.height);
    }
}

/// What the loop asks of the rest of the program: changes to the analysis, writing the
/// screen's settings (the answer is a sentence to show), and the link to the terminal.
pub struct Hooks<C, S, L> {
    pub control: C,
    pub save: S,
    pub link: L,
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

/// How often to draw, and whether the end of the pipeline ends the screen.
#[derive(Clone, Copy, Debug)]
pub struct Pace {
    pub fps: u32,
    pub quit_when_done: bool,
}

/// The loop proper, over any backend and any source of terminal events (tests script them).
pub async fn event_loop<B, K>(
    backend: &mut B,
    mut keys: K,
    mut snapshots: watch::Receiver<Arc<Snapshot>>,
    hooks: Hooks<impl Fn(Control), impl Fn(ScreenSettings) -> String, impl Link>,
    app: &mut App,
    pace: Pace,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()>
where
    B: Resizable,
    B::Error: Send + Sync + 'static,
    K: Stream<Item = io::Result<Event>> + Unpin,
{
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
        save,
        link,
    } = hooks;
    if let Some(c) = app.start_control() {
        control(c);
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
    while !app.should_quit() {
        let now = Instant::now();
        if dirty && now + slack >= next_draw {
            if link.ready() {
                link.drawing(app.snapshot().taken_at);
                screen.draw(backend, app).map_err(io::Error::other)?;
                dirty = false;
            }
            // Drawn, or the link still carries the last picture: look again a frame later.
            next_draw = next_draw.max(now) + frame_interval;
        }
        // Keys first: a flood of data must never make the screen deaf.
        tokio::select! {
            biased;
            event = keys.next() => {
                let now = Instant::now().into_std();
                match event {
                    Some(Ok(Event::Key(key))) => {
                        if let Some(c) = app.update(Message::Key(key), now) {
                            control(c);
                        }
                        if let Some(settings) = app.take_save_request() {
                            app.update(Message::Say(save(settings)), now);
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
            changed = snapshots.changed(), if engine_running => match changed {
                Ok(()) => {
                    let snapshot = snapshots.borrow_and_update().clone();
                    app.update(Message::Snapshot(snapshot), Instant::now().into_std());
                    dirty = true;
                    fresh_since_tick = true;
                }
                // The pipeline is done: `--frames` reached ends the screen; the end of a
                // replay keeps its last picture up until `q`.
                Err(_) if pace.quit_when_done => return Ok(()),
                Err(_) => engine_running = false,
            },
            _ = ticks.tick() => {
                app.update(Message::Tick, Instant::now().into_std());
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

/// The picture the terminal shows and the one being made: only the cells that differ go to
/// the terminal, and nothing at all when none do (not even a reset of colours), so an
/// unchanged frame costs no bytes on the link. When the waterfall's rows are all that moved,
/// the terminal scrolls them itself and the diff starts from the rows moved: a new line costs
/// one row.
pub struct Screen {
    shown: Buffer,
    next: Buffer,
}

impl Screen {
    /// For a terminal of `area`, blank (as the alternate screen starts).
    pub fn new(area: Rect) -> Self {
        Self {
            shown: Buffer::empty(area),
            next: Buffer::empty(area),
        }
    }

    /// The terminal changed size: clear it, and draw everything next time.
    pub fn resize<B: Backend>(&mut self, backend: &mut B, area: Rect) -> Result<(), B::Error> {
        backend.clear()?;
        *self = Self::new(area);
        Ok(())
    }

    /// Draws `app`; returns whether anything was sent.
    pub fn draw<B: Backend>(&mut self, backend: &mut B, app: &mut App) -> Result<bool, B::Error> {
        let scrolled = app.take_scrolled();
        let area = self.shown.area;
        if scrolled > 0
            && app.view_kind() == ViewKind::Waterfall
            && let Some(rows) = view::waterfall_rows(area.width, area.height, app.is_measuring())
            && scrolled < rows.end - rows.start
        {
            backend.scroll_region_down(rows.clone(), scrolled)?;
            scroll_down(&mut self.shown, rows, scrolled);
        }
        self.next.reset();
        ratatui::widgets::Widget::render(&*app, area, &mut self.next);
        let updates = changed_cells(&self.shown, &self.next);
        if updates.is_empty() {
            return Ok(false);
        }
        backend.draw(updates.into_iter())?;
        backend.flush()?;
        std::mem::swap(&mut self.shown, &mut self.next);
        Ok(true)
    }
}

/// The cells of `next` that differ from `shown`, in reading order. Unlike ratatui's diff,
/// a cell's display width is looked up only when it changed (most of a screen does not): a
/// wide character covers the cell after it, which is then not sent.
fn changed_cells<'a>(shown: &Buffer, next: &'a Buffer) -> Vec<(u16, u16, &'a Cell)> {
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
    updates
}

/// Rows `rows` of `buffer` moved down by `by`, blank rows coming in at the top: what a
/// terminal's scroll-down in that region does.
fn scroll_down(buffer: &mut Buffer, rows: std::ops::Range<u16>, by: u16) {
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
    use std::sync::Mutex;

    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use futures_util::stream;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::ui::tests::sample_snapshot;

    fn key(c: char) -> io::Result<Event> {
        Ok(Event::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )))
    }

    /// An 80×24 test terminal, an App and a snapshot channel, all on `sample_snapshot`.
    struct Rig {
        terminal: TestBackend,
        app: App,
        snapshot_tx: watch::Sender<Arc<Snapshot>>,
        snapshots: watch::Receiver<Arc<Snapshot>>,
        t0: std::time::Instant,
    }

    fn rig() -> Rig {
        let t0 = std::time::Instant::now();
        let (snapshot_tx, snapshots) = watch::channel(Arc::new(sample_snapshot(t0)));
        Rig {
            terminal: TestBackend::new(80, 24),
            app: App::new(Arc::new(sample_snapshot(t0)), ViewOptions::default()),
            snapshot_tx,
            snapshots,
            t0,
        }
    }

    /// Keys a test's script sends while the loop runs.
    fn key_channel() -> (
        tokio::sync::mpsc::UnboundedSender<io::Result<Event>>,
        impl Stream<Item = io::Result<Event>> + Unpin,
    ) {
        let (key_tx, key_rx) = tokio::sync::mpsc::unbounded_channel();
        let keys = Box::pin(stream::unfold(key_rx, |mut rx| async move {
            rx.recv().await.map(|k| (k, rx))
        }));
        (key_tx, keys)
    }

    /// The loop at 30 fps with no controls and no saves, until its keys or the engine end it.
    async fn plain_loop(
        terminal: &mut TestBackend,
        keys: impl Stream<Item = io::Result<Event>> + Unpin,
        snapshots: watch::Receiver<Arc<Snapshot>>,
        app: &mut App,
        link: impl Link,
        quit_when_done: bool,
    ) -> io::Result<()> {
        let hooks = Hooks {
            control: |_| {},
            save: |_| String::new(),
            link,
        };
        let pace = Pace {
            fps: 30,
            quit_when_done,
        };
        event_loop(
            terminal,
            keys,
            snapshots,
            hooks,
            app,
            pace,
            std::future::pending(),
        )
        .await
    }

    fn screen(terminal: &TestBackend) -> String {
        terminal
            .buffer()
            .content()
            .iter()
            .map(|c| c.symbol())
            .collect()
    }

    /// Scripted keys on paused time: `+` asks for twice the FFT, a resize reaches the
    /// screen, `q` ends the loop; nothing sleeps for real.
    #[tokio::test(start_paused = true)]
    async fn scripted_keys_drive_the_loop() {
        let Rig {
            mut terminal,
            mut app,
            snapshot_tx,
            snapshots,
            ..
        } = rig();
        let asked = Mutex::new(Vec::new());
        let keys = stream::iter([key('+'), Ok(Event::Resize(100, 30)), key(' '), key('q')])
            .chain(stream::pending());
        event_loop(
            &mut terminal,
            keys,
            snapshots,
            Hooks {
                control: |c| asked.lock().unwrap().push(c),
                save: |_| String::new(),
                link: (),
            },
            &mut app,
            Pace {
                fps: 30,
                quit_when_done: false,
            },
            std::future::pending(),
        )
        .await
        .unwrap();
        assert!(app.should_quit());
        assert!(app.is_frozen());
        use crate::vocabulary::ViewKind::Spectrum;
        assert_eq!(
            *asked.lock().unwrap(),
            [
                Control::Views {
                    left: None,
                    entered: Some(Spectrum)
                },
                Control::BiggerFft,
                Control::Views {
                    left: Some(Spectrum),
                    entered: None
                },
            ]
        );
        drop(snapshot_tx);
    }

    /// A new snapshot is drawn; when the engine is done the last picture stays up.
    /// (With `quit_when_done`, the end of the engine ends the loop: see the next test.)
    #[tokio::test(start_paused = true)]
    async fn snapshots_reach_the_screen_and_the_end_keeps_it() {
        let Rig {
            mut terminal,
            mut app,
            snapshot_tx,
            snapshots,
            t0,
        } = rig();
        let (key_tx, keys) = key_channel();
        let script = async {
            let mut ended = sample_snapshot(t0);
            ended.link = LinkState::Ended;
            ended.counters.frames = 777;
            snapshot_tx.send_replace(Arc::new(ended));
            drop(snapshot_tx);
            // Let the loop draw (paused time runs ahead when everything waits).
            tokio::time::sleep(Duration::from_secs(1)).await;
            key_tx.send(key('q')).unwrap();
        };
        let (result, ()) = tokio::join!(
            plain_loop(&mut terminal, keys, snapshots, &mut app, (), false),
            script
        );
        result.unwrap();
        let shown = screen(&terminal);
        assert!(shown.contains("ended"), "{shown}");
        assert!(shown.contains("777"));
    }

    /// Counts the pictures the loop draws.
    #[derive(Default)]
    struct Counting(std::sync::atomic::AtomicUsize);

    impl Link for Counting {
        fn drawing(&self, _taken_at: std::time::Instant) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    impl Counting {
        fn take(&self) -> usize {
            self.0.swap(0, std::sync::atomic::Ordering::Relaxed)
        }
    }

    /// While snapshots come, a picture is drawn for each of them and none for the ticks (a
    /// tick's redraw pushed the next snapshot's picture back a frame slot); when none come,
    /// the ticks redraw so the ages on screen stay true.
    #[tokio::test(start_paused = true)]
    async fn ticks_redraw_only_when_no_snapshot_comes() {
        let Rig {
            mut terminal,
            mut app,
            snapshot_tx,
            snapshots,
            t0,
        } = rig();
        let (key_tx, keys) = key_channel();
        let link = Counting::default();
        const SNAPSHOTS: usize = 50;
        let script = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            link.take();
            for k in 1..=SNAPSHOTS as u64 {
                let mut next = sample_snapshot(t0);
                next.taken_at = t0 + Duration::from_millis(40 * k);
                snapshot_tx.send_replace(Arc::new(next));
                tokio::time::sleep(Duration::from_millis(40)).await;
            }
            let drawn = link.take();
            // Two seconds with no snapshot: the ticks (4 a second) redraw.
            tokio::time::sleep(Duration::from_secs(2)).await;
            let drawn_idle = link.take();
            key_tx.send(key('q')).unwrap();
            (drawn, drawn_idle)
        };
        let (result, (drawn, drawn_idle)) = tokio::join!(
            plain_loop(&mut terminal, keys, snapshots, &mut app, &link, false),
            script
        );
        result.unwrap();
        assert!(
            (SNAPSHOTS - 1..=SNAPSHOTS + 1).contains(&drawn),
            "{drawn} pictures for {SNAPSHOTS} snapshots"
        );
        assert!(
            (7..=9).contains(&drawn_idle),
            "{drawn_idle} pictures in 2 s of ticks"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_end_of_the_pipeline_ends_the_screen_when_asked() {
        let Rig {
            mut terminal,
            mut app,
            snapshot_tx,
            snapshots,
            ..
        } = rig();
        drop(snapshot_tx);
        plain_loop(
            &mut terminal,
            stream::pending(),
            snapshots,
            &mut app,
            (),
            true,
        )
        .await
        .unwrap();
        assert!(!app.should_quit(), "ended by the pipeline, not by a key");
    }

    use crate::link::LinkState;

    /// Scrolling the waterfall in the terminal and drawing the rest must leave the terminal
    /// showing exactly what a full redraw of the same picture shows.
    #[test]
    fn a_scrolled_waterfall_is_what_a_full_redraw_shows() {
        use crate::ui::tests::with_waterfall;
        let t0 = std::time::Instant::now();
        let start = ViewOptions {
            start: ViewKind::Waterfall,
            ..ViewOptions::default()
        };
        let mut app = App::new(Arc::new(with_waterfall(sample_snapshot(t0), 9)), start);
        app.update(
            Message::Resize {
                width: 100,
                height: 30,
            },
            t0,
        );
        let mut backend = TestBackend::new(100, 30);
        let mut screen = Screen::new(Rect::new(0, 0, 100, 30));
        screen.draw(&mut backend, &mut app).unwrap();
        for made in [10, 11, 12, 14, 19, 20] {
            let next = with_waterfall(sample_snapshot(t0), made);
            app.update(Message::Snapshot(Arc::new(next)), t0);
            screen.draw(&mut backend, &mut app).unwrap();
            let mut fresh = Terminal::new(TestBackend::new(100, 30)).unwrap();
            fresh.draw(|f| f.render_widget(&app, f.area())).unwrap();
            assert_eq!(
                backend.buffer(),
                fresh.backend().buffer(),
                "after line {made}"
            );
        }
        // Nothing new: nothing is sent.
        assert!(!screen.draw(&mut backend, &mut app).unwrap());
    }
}
