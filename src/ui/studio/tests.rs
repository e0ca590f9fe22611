use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;

use super::*;
use crate::ansi::diff::Screen;
use crate::snapshot::sample::sample_snapshot;
use crate::ui::tests::{app_in as app, with_waterfall};
use crate::ui::wall::Wall;
use crate::ui::{App, keys};
use crate::vocabulary::ViewKind;

/// A snapshot every view has something of: a spectrum, waterfall lines, a scope trace;
/// `lines` moves all three.
fn rich_snapshot(at: Instant, lines: u64) -> Snapshot {
    let mut snapshot = with_waterfall(sample_snapshot(at), lines);
    let phase = lines as f32 / 7.0;
    snapshot.trace = Some(
        (0..4096)
            .map(|i| 0.8 * (std::f32::consts::TAU * i as f32 / 96.0 + phase).sin())
            .collect::<Vec<f32>>()
            .into(),
    );
    let mut spectrum = snapshot.spectrum.to_vec();
    spectrum[40 + (lines as usize * 37) % 400] = 0.1;
    snapshot.spectrum = spectrum.into();
    snapshot
}

fn rendered<M>(model: &M, width: u16, height: u16) -> Buffer
where
    for<'a> &'a M: Widget,
{
    let area = Rect::new(0, 0, width, height);
    let mut buffer = Buffer::empty(area);
    model.render(area, &mut buffer);
    buffer
}

fn press(code: KeyCode) -> Message {
    Message::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// Every key bound on a screen.
fn every_key() -> Vec<KeyCode> {
    keys::KEYS
        .iter()
        .flat_map(|row| row.bindings.iter().map(|(code, _)| *code))
        .collect()
}

/// Two screens that would draw different pictures never share one: after any key, in any
/// view, with the ADC figures shown or not, a screen whose picture changed has a look of its
/// own (or none). A field of the screen left out of the look fails here.
#[test]
fn a_key_that_changes_the_picture_changes_the_look() {
    let t0 = Instant::now();
    let mut checked = 0;
    for kind in [
        ViewKind::Spectrum,
        ViewKind::Waterfall,
        ViewKind::Scope,
        ViewKind::Channels,
    ] {
        for measuring in [false, true] {
            let mut base = app(kind, rich_snapshot(t0, 9), 100, 30);
            if measuring {
                base.update(press(KeyCode::Char('t')), t0);
            }
            base.update(Message::Tick, t0);
            let before = rendered(&base, 100, 30);
            for code in every_key() {
                let mut pressed = base.clone();
                pressed.update(press(code), t0);
                if rendered(&pressed, 100, 30) != before {
                    checked += 1;
                    assert_ne!(
                        pressed.look(),
                        base.look(),
                        "{code:?} in {kind:?} (measuring: {measuring}) changed the picture, not the look"
                    );
                }
            }
        }
    }
    assert!(checked > 40, "only {checked} keys changed a picture");
}

/// The same on the wall: picking, opening and closing a board change the look with the
/// picture.
#[test]
fn a_key_that_changes_the_wall_changes_its_look() {
    let t0 = Instant::now();
    let boards = (0..4)
        .map(|i| {
            let app = app(ViewKind::Spectrum, rich_snapshot(t0, i), 80, 24);
            (format!("bench{i}"), app)
        })
        .collect();
    let mut wall = Wall::new(boards);
    wall.update(
        Message::Resize {
            width: 80,
            height: 24,
        },
        t0,
    );
    let mut checked = 0;
    for first in [None, Some(KeyCode::Enter)] {
        let mut base = wall.clone();
        if let Some(code) = first {
            base.update(press(code), t0);
        }
        let before = rendered(&base, 80, 24);
        for code in every_key().into_iter().chain([
            KeyCode::Tab,
            KeyCode::BackTab,
            KeyCode::Right,
            KeyCode::Down,
            KeyCode::Enter,
        ]) {
            let mut pressed = base.clone();
            pressed.update(press(code), t0);
            if rendered(&pressed, 80, 24) != before {
                checked += 1;
                assert_ne!(pressed.look(), base.look(), "{code:?} after {first:?}");
            }
        }
    }
    assert!(checked > 10, "only {checked} keys changed the wall");
}

/// What a screen that draws itself shows, as the studio brings its model along: each
/// snapshot, and the tick at the start.
struct Itself {
    app: App,
    ticked: bool,
}

impl Itself {
    fn show(&mut self, snapshot: &Arc<Snapshot>, now: Instant) -> Buffer {
        Model::show(&mut self.app, 0, snapshot.clone(), now);
        if !self.ticked {
            self.app.update(Message::Tick, now);
            self.ticked = true;
        }
        let (width, height) = self.app.size();
        rendered(&self.app, width, height)
    }
}

/// Screens that look the same get one picture, made once: the picture each would have drawn
/// itself, on a terminal that shows it whether it drew every picture (from the studio's
/// changed cells) or skipped some (from a diff of its own), the waterfall scrolled by the
/// terminal included.
#[test]
fn screens_that_look_the_same_share_the_picture_they_would_draw() {
    for kind in [ViewKind::Spectrum, ViewKind::Waterfall, ViewKind::Scope] {
        let t0 = Instant::now();
        let first = Arc::new(rich_snapshot(t0, 9));
        let (snapshots_tx, snapshots) = watch::channel(first.clone());
        let studios = Studios::<App>::new(vec![snapshots]);
        let (width, height) = (100, 30);
        let area = Rect::new(0, 0, width, height);
        let screen_app = app(kind, (*first).clone(), width, height);
        let mut itself = Itself {
            app: screen_app.clone(),
            ticked: false,
        };
        let look = screen_app.look().expect("a plain screen shares");
        let mut every = (Screen::new(area), TestBackend::new(width, height));
        let mut some = (Screen::new(area), TestBackend::new(width, height));
        let studio = studios.studio(&look, &screen_app, area);
        // A second screen of the same look finds the same studio.
        let again = studios.studio(&look, &screen_app.clone(), area);
        assert!(Arc::ptr_eq(&studio, &again));
        assert_eq!(studios.open(), 1);
        for (step, lines) in [9u64, 10, 11, 12, 14, 19, 20, 21].into_iter().enumerate() {
            let now = t0 + Duration::from_millis(10 * step as u64);
            let snapshot = Arc::new(rich_snapshot(now, lines));
            if step > 0 {
                snapshots_tx.send(snapshot.clone()).unwrap();
            }
            let expected = itself.show(if step > 0 { &snapshot } else { &first }, now);
            let picture = studio.lock().unwrap().picture(now);
            assert_eq!(*picture.buffer, expected, "{kind:?}, line {lines}");
            every.0.draw_shared(&mut every.1, &picture).unwrap();
            assert_eq!(*every.1.buffer(), expected, "{kind:?}, line {lines}");
            if step % 3 == 0 {
                some.0.draw_shared(&mut some.1, &picture).unwrap();
                assert_eq!(*some.1.buffer(), expected, "{kind:?}, line {lines}");
            }
            // The same picture again sends nothing.
            assert!(!every.0.draw_shared(&mut every.1, &picture).unwrap());
        }
    }
}

/// A new picture only when the view changed: a snapshot that changes nothing shown keeps the
/// picture (and its number), so screens send nothing.
#[test]
fn a_snapshot_that_changes_nothing_shown_keeps_the_picture() {
    let t0 = Instant::now();
    let first = Arc::new(sample_snapshot(t0));
    let (snapshots_tx, snapshots) = watch::channel(first.clone());
    let studios = Studios::<App>::new(vec![snapshots]);
    let screen_app = app(ViewKind::Spectrum, (*first).clone(), 80, 24);
    let look = screen_app.look().unwrap();
    let studio = studios.studio(&look, &screen_app, Rect::new(0, 0, 80, 24));
    let before = studio.lock().unwrap().picture(t0);
    snapshots_tx.send(Arc::new(sample_snapshot(t0))).unwrap();
    let after = studio
        .lock()
        .unwrap()
        .picture(t0 + Duration::from_millis(5));
    assert_eq!(before.id, after.id);
    drop(studio);
    assert_eq!(studios.open(), 0, "a studio no screen holds is closed");
}

/// A screen a studio drew only keeps its snapshots (its bars wait); when it draws itself
/// again (its help opened, a marker set), its bars are brought up to the latest first.
#[test]
fn a_screen_that_draws_itself_again_catches_up_with_the_latest_snapshot() {
    let t0 = Instant::now();
    let mut screen_app = app(ViewKind::Spectrum, sample_snapshot(t0), 100, 30);
    let mut loud = sample_snapshot(t0);
    let mut spectrum = loud.spectrum.to_vec();
    spectrum[400] = 0.5; // −3 dBFS where the sample has its noise floor
    loud.spectrum = spectrum.into();
    let column = |app: &App| {
        let layout = app_layout(app);
        app.bars_levels()[layout]
    };
    let before = column(&screen_app);
    assert!(before < -60.0, "{before}");
    screen_app.keep(Arc::new(loud), t0);
    assert_eq!(column(&screen_app), before, "kept: the bars wait");
    screen_app.catch_up();
    assert!(column(&screen_app) > -10.0, "{}", column(&screen_app));
}

/// The bar of bin 400.
fn app_layout(app: &App) -> usize {
    let layout = app.bars.layout().expect("bars laid out");
    let at = layout.position_of_bin(400.0).expect("bin 400 on the axis");
    ((at * layout.bands() as f64) as usize).min(layout.bands() - 1)
}
