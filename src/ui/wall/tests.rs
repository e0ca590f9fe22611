use std::sync::Arc;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

use super::*;
use crate::analysis::Peak;
use crate::link::LinkState;
use crate::snapshot::sample::sample_snapshot;
use crate::ui::ViewOptions;
use crate::vocabulary::ViewKind;

fn key(code: KeyCode) -> Message {
    Message::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// The sample picture with its peak moved to `bin` (46.875 Hz a bin) and its link `link`.
fn board_snapshot(t0: Instant, bin: f64, link: LinkState) -> Arc<Snapshot> {
    let mut s = sample_snapshot(t0);
    s.peak = Some(Peak { bin, dbfs: -6.02 });
    s.link = link;
    Arc::new(s)
}

/// Four boards on an 80×24 wall, their peaks at 1, 2, 3 and 4 kHz; the last one failed.
fn four_boards() -> (Wall, Instant) {
    let t0 = Instant::now();
    let boards = (1..=4)
        .map(|k| {
            let link = if k == 4 {
                LinkState::Failed("127.0.0.1: connection refused".into())
            } else {
                LinkState::Connected
            };
            let s = board_snapshot(t0, k as f64 * 1000.0 / 46.875, link);
            (format!("bench{k}"), App::new(s, ViewOptions::default()))
        })
        .collect();
    let mut wall = wall_80x24(boards, t0);
    for board in 0..4 {
        let s = board_snapshot(t0, (board + 1) as f64 * 1000.0 / 46.875, {
            let b = &wall.boards()[board];
            b.app.snapshot().link.clone()
        });
        wall.show(board, s, t0);
    }
    (wall, t0)
}

/// A wall of `boards` on an 80×24 screen.
fn wall_80x24(boards: Vec<(String, App)>, t0: Instant) -> Wall {
    let mut wall = Wall::new(boards);
    let size = Message::Resize {
        width: 80,
        height: 24,
    };
    wall.update(size, t0);
    wall
}

fn render(wall: &Wall, width: u16, height: u16) -> String {
    crate::ui::tests::screen_text(wall, width, height)
}

#[test]
fn the_grid_is_as_square_as_the_count_allows() {
    assert_eq!(grid(1), (1, 1));
    assert_eq!(grid(2), (2, 1));
    assert_eq!(grid(3), (2, 2));
    assert_eq!(grid(4), (2, 2));
    assert_eq!(grid(5), (3, 2));
    assert_eq!(grid(16), (4, 4));
}

#[test]
fn four_boards_fit_80x24_and_sixteen_a_large_terminal() {
    let four = tiles(body(Rect::new(0, 0, 80, 24)), 4);
    assert_eq!(four.len(), 4);
    assert!(four.iter().all(|t| t.width == 40 && t.height == 11));
    assert_eq!(tile_plot(four[0]).height, 9 - TILE_TEXT_LINES);
    let sixteen = tiles(body(Rect::new(0, 0, 200, 60)), 16);
    assert_eq!(sixteen.len(), 16);
    let screen = Rect::new(0, 0, 200, 60);
    assert!(
        sixteen
            .iter()
            .all(|t| screen.contains(t.as_position()) && t.right() <= 200 && t.bottom() <= 59)
    );
    // Sixteen tiles on 80×24 would be too small to read: none rather than a mess.
    assert!(tiles(body(Rect::new(0, 0, 80, 24)), 16).is_empty());
}

#[test]
fn each_tile_shows_its_own_board_and_a_failed_one_says_so() {
    let (wall, _) = four_boards();
    let screen = render(&wall, 80, 24);
    for (name, peak) in [
        ("bench1", "1.000 kHz"),
        ("bench2", "2.000 kHz"),
        ("bench3", "3.000 kHz"),
    ] {
        let tile = tile_text(&wall, &screen, name);
        assert!(tile.contains(&format!("peak {peak}")), "{name}:\n{tile}");
        assert!(tile.contains("connected"), "{name}:\n{tile}");
    }
    let failed = tile_text(&wall, &screen, "bench4");
    assert!(failed.contains("failed: 127.0.0.1"), "{failed}");
    assert!(
        screen
            .lines()
            .next()
            .unwrap()
            .contains("3 connected · 1 failed")
    );
    insta::assert_snapshot!("wall_four_boards_80x24", screen);
}

/// The text inside the tile titled `name`.
fn tile_text(wall: &Wall, screen: &str, name: &str) -> String {
    let board = wall.boards().iter().position(|b| b.name == name).unwrap();
    let tile = wall.tiles(Rect::new(0, 0, 80, 24))[board];
    let lines: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    (tile.y..tile.bottom())
        .map(|y| {
            let line = &lines[usize::from(y)];
            let from = usize::from(tile.x).min(line.len());
            let to = usize::from(tile.right()).min(line.len());
            line[from..to].iter().collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn arrows_and_tab_pick_enter_opens_esc_goes_back() {
    let (mut wall, t0) = four_boards();
    assert_eq!(wall.picked(), 0);
    wall.update(key(KeyCode::Right), t0);
    assert_eq!(wall.picked(), 1);
    wall.update(key(KeyCode::Right), t0);
    assert_eq!(wall.picked(), 1, "the end of a row stops the arrow");
    wall.update(key(KeyCode::Down), t0);
    assert_eq!(wall.picked(), 3);
    wall.update(key(KeyCode::Tab), t0);
    assert_eq!(wall.picked(), 0, "Tab goes round");
    wall.update(key(KeyCode::BackTab), t0);
    assert_eq!(wall.picked(), 3);
    wall.update(key(KeyCode::Left), t0);
    wall.update(key(KeyCode::Up), t0);
    assert_eq!(wall.picked(), 0);
    wall.update(key(KeyCode::Tab), t0);

    wall.update(key(KeyCode::Enter), t0);
    assert_eq!(wall.opened(), Some(1));
    // Every key of one board, and its controls go to that board's pipeline.
    assert_eq!(
        wall.update(key(KeyCode::Char('+')), t0),
        Some((1, Control::BiggerFft))
    );
    let view = wall.update(key(KeyCode::Char('v')), t0);
    assert!(matches!(view, Some((1, Control::Views { .. }))), "{view:?}");
    assert_eq!(wall.boards()[1].app.view_kind(), ViewKind::Waterfall);
    let screen = render(&wall, 80, 24);
    assert!(screen.contains("bench2 · Esc: the wall"), "{screen}");
    assert!(screen.contains("waterfall"), "{screen}");

    // Esc closes the board's help first, then goes back to the wall.
    wall.update(key(KeyCode::Char('?')), t0);
    wall.update(key(KeyCode::Esc), t0);
    assert_eq!(wall.opened(), Some(1));
    wall.update(key(KeyCode::Esc), t0);
    assert_eq!(wall.opened(), None);
    assert!(!wall.should_quit());
    assert!(render(&wall, 80, 24).contains("bench3"));

    wall.update(key(KeyCode::Char('q')), t0);
    assert!(wall.should_quit());
}

#[test]
fn q_in_an_open_board_quits_the_whole_screen() {
    let (mut wall, t0) = four_boards();
    wall.update(key(KeyCode::Enter), t0);
    wall.update(key(KeyCode::Char('q')), t0);
    assert!(wall.should_quit());
}

#[test]
fn a_snapshot_reaches_only_its_own_board() {
    let (mut wall, t0) = four_boards();
    let moved = board_snapshot(t0, 5000.0 / 46.875, LinkState::Connected);
    wall.show(2, moved, t0);
    let peak_hz = |b: usize| wall.boards()[b].app.snapshot().peak_hz().unwrap();
    assert!((peak_hz(2) - 5000.0).abs() < 1e-6);
    assert!((peak_hz(1) - 2000.0).abs() < 1e-6);
    assert_eq!(
        wall.start_controls()
            .iter()
            .map(|(b, _)| *b)
            .collect::<Vec<_>>(),
        [0, 1, 2, 3],
        "every board's pipeline learns what its screen shows"
    );
}

#[test]
fn a_terminal_too_small_for_the_wall_says_what_it_needs() {
    let (wall, _) = four_boards();
    let screen = render(&wall, 30, 10).replace('\n', " ");
    assert!(screen.contains("too small for a wall of 4"), "{screen}");
    assert!(screen.contains("needs 40×14"), "{screen}");
}

#[test]
fn a_tile_shows_its_boards_verdict_while_checking() {
    let (wall, t0) = four_boards();
    let limits = Arc::new(
        crate::check::limits::parse(
            "[limit.tone]\nvalue = \"peak_hz\"\nmin = 990\nmax = 1010\n",
            "t",
        )
        .unwrap(),
    );
    let boards = wall
        .boards()
        .iter()
        .map(|b| {
            let app = App::new(b.app.snapshot().clone().into(), ViewOptions::default())
                .checking(limits.clone(), false);
            (b.name.clone(), app)
        })
        .collect();
    let mut wall = wall_80x24(boards, t0);
    wall.update(Message::Tick, t0 + crate::ui::PANEL_REFRESH);
    let screen = render(&wall, 80, 24);
    // Board 1's peak is at 1 kHz, inside the limits; board 2's at 2 kHz, outside.
    assert!(
        tile_text(&wall, &screen, "bench1").contains(" PASS "),
        "{screen}"
    );
    assert!(
        tile_text(&wall, &screen, "bench2").contains(" FAIL "),
        "{screen}"
    );
}
