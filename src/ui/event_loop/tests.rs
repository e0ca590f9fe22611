use std::sync::Mutex;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use futures_util::stream;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::*;
use crate::snapshot::sample::sample_snapshot;
use crate::ui::{App, ViewOptions};
use crate::vocabulary::ViewKind;

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
        control: |_, _| {},
        ask: |_| String::new(),
        link,
        pictures: (),
    };
    let pace = Pace {
        fps: 30,
        byte_budget: None,
        quit_when_done,
    };
    event_loop(
        terminal,
        keys,
        vec![snapshots],
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
        vec![snapshots],
        Hooks {
            control: |_, c| asked.lock().unwrap().push(c),
            ask: |_| String::new(),
            link: (),
            pictures: (),
        },
        &mut app,
        Pace {
            fps: 30,
            byte_budget: None,
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
    let mut draw = |app: &mut App, backend: &mut TestBackend| {
        let scroll = app.take_scroll(screen.area());
        screen.draw(backend, &*app, scroll).unwrap()
    };
    draw(&mut app, &mut backend);
    for made in [10, 11, 12, 14, 19, 20] {
        let next = with_waterfall(sample_snapshot(t0), made);
        app.update(Message::Snapshot(Arc::new(next)), t0);
        draw(&mut app, &mut backend);
        let mut fresh = Terminal::new(TestBackend::new(100, 30)).unwrap();
        fresh.draw(|f| f.render_widget(&app, f.area())).unwrap();
        assert_eq!(
            backend.buffer(),
            fresh.backend().buffer(),
            "after line {made}"
        );
    }
    // Nothing new: nothing is sent.
    assert!(!draw(&mut app, &mut backend));
}
