//! The screen without a terminal: the App's logic, and rendered screens on ratatui's
//! TestBackend compared as insta snapshots at a narrow, a wide and a tiny size.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::{App, Message, ViewOptions};
use crate::analysis::{FreqAxis, Origin, Peak};
use crate::link::LinkState;
use crate::snapshot::Snapshot;
pub use crate::snapshot::sample::sample_snapshot;
use crate::vocabulary::{Control, ViewKind};

fn key(code: KeyCode) -> Message {
    Message::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn app_at(width: u16, height: u16) -> (App, Instant) {
    let t0 = Instant::now();
    let mut app = App::new(Arc::new(sample_snapshot(t0)), ViewOptions::default());
    app.update(Message::Resize { width, height }, t0);
    app.update(Message::Snapshot(Arc::new(sample_snapshot(t0))), t0);
    (app, t0)
}

fn render(app: &App, width: u16, height: u16) -> String {
    screen_text(app, width, height)
}

/// What `picture` draws on a `width` × `height` screen, a line a row, trailing spaces cut.
pub(crate) fn screen_text(
    picture: impl ratatui::widgets::Widget,
    width: u16,
    height: u16,
) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| f.render_widget(picture, f.area()))
        .unwrap();
    let buffer = terminal.backend().buffer();
    (0..height)
        .map(|y| {
            (0..width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn screen_80x24() {
    let (app, _) = app_at(80, 24);
    insta::assert_snapshot!(render(&app, 80, 24));
}

#[test]
fn screen_200x50() {
    let (app, _) = app_at(200, 50);
    insta::assert_snapshot!(render(&app, 200, 50));
}

#[test]
fn screen_too_small_says_so() {
    let (app, _) = app_at(30, 8);
    let text = render(&app, 30, 8);
    assert!(text.contains("too small"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn screen_ascii_without_colour_uses_no_block_glyphs() {
    let t0 = Instant::now();
    let view = ViewOptions {
        ascii: true,
        color: false,
        ..ViewOptions::default()
    };
    let mut app = App::new(Arc::new(sample_snapshot(t0)), view);
    app.update(
        Message::Resize {
            width: 80,
            height: 24,
        },
        t0,
    );
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| f.render_widget(&app, f.area())).unwrap();
    let buffer = terminal.backend().buffer();
    let plot: String = buffer.content().iter().map(|c| c.symbol()).collect();
    assert!(
        !plot.contains(['█', '▁', '▔', '▼']),
        "block glyphs in ASCII mode"
    );
    assert!(plot.contains('#'));
    assert!(
        buffer
            .content()
            .iter()
            .all(|c| c.fg == ratatui::style::Color::Reset)
    );
}

#[test]
fn a_stale_feed_is_obvious() {
    let (mut app, t0) = app_at(80, 24);
    app.update(Message::Tick, t0 + Duration::from_secs(5));
    assert!(render(&app, 80, 24).contains("STALE: last frame 5.0 s ago"));
}

#[test]
fn a_lost_link_shows_the_reason_and_the_next_attempt() {
    let t0 = Instant::now();
    let mut snapshot = sample_snapshot(t0);
    snapshot.link = LinkState::Disconnected {
        reason: "connection refused".into(),
        retry_at: Some(t0 + Duration::from_secs(3)),
    };
    let mut app = App::new(Arc::new(snapshot), ViewOptions::default());
    app.update(
        Message::Resize {
            width: 100,
            height: 30,
        },
        t0,
    );
    assert!(render(&app, 100, 30).contains("disconnected: connection refused, retrying in 3 s"));
}

#[test]
fn a_pace_lowered_by_the_byte_budget_is_said_in_the_header() {
    let (mut app, _) = app_at(100, 30);
    assert!(!render(&app, 100, 30).contains("budget"));
    assert!(app.set_lowered(Some((1.5, 4096))));
    assert!(!app.set_lowered(Some((1.5, 4096))), "no change, no redraw");
    let header = render(&app, 100, 30);
    assert!(header.contains("1.5 fps: 4.1 kB/s budget"), "{header}");
    assert!(app.set_lowered(None));
    assert!(!render(&app, 100, 30).contains("budget"));
}

#[test]
fn freeze_keeps_the_picture_while_data_flows() {
    let (mut app, t0) = app_at(80, 24);
    assert_eq!(app.update(key(KeyCode::Char(' ')), t0), None);
    let mut later = sample_snapshot(t0);
    later.counters.frames = 9999;
    app.update(Message::Snapshot(Arc::new(later)), t0);
    assert_eq!(app.snapshot().counters.frames, 4700);
    assert!(render(&app, 80, 24).contains("FROZEN"));
    app.update(key(KeyCode::Char(' ')), t0);
    let mut latest = sample_snapshot(t0);
    latest.counters.frames = 10_000;
    app.update(Message::Snapshot(Arc::new(latest)), t0);
    assert_eq!(app.snapshot().counters.frames, 10_000);
}

#[test]
fn keys_ask_the_pipeline_for_changes_to_the_settings_in_force() {
    let (mut app, t0) = app_at(80, 24);
    for (c, control) in [
        ('+', Control::BiggerFft),
        ('-', Control::SmallerFft),
        ('w', Control::NextWindow),
        ('a', Control::ToggleAveraging),
        ('p', Control::TogglePeakHold),
        ('c', Control::NextChannel),
        ('r', Control::ResetStats),
    ] {
        assert_eq!(app.update(key(KeyCode::Char(c)), t0), Some(control), "{c}");
    }
    assert_eq!(app.update(key(KeyCode::Char('x')), t0), None);
    // Frozen, the keys still ask: the change applies to the live analysis.
    app.update(key(KeyCode::Char(' ')), t0);
    assert_eq!(
        app.update(key(KeyCode::Char('+')), t0),
        Some(Control::BiggerFft)
    );
}

#[test]
fn view_keys_change_the_view_only() {
    let (mut app, t0) = app_at(80, 24);
    assert_eq!(app.update(key(KeyCode::Char('l')), t0), None);
    assert_eq!(app.view.axis, FreqAxis::Log);
    app.update(key(KeyCode::Up), t0);
    assert_eq!((app.view.db_floor, app.view.db_ceiling), (-110.0, 10.0));
    app.update(key(KeyCode::Right), t0);
    assert_eq!(app.view.db_floor, -100.0);
    for _ in 0..20 {
        app.update(key(KeyCode::Right), t0);
    }
    assert!(
        app.view.db_ceiling - app.view.db_floor >= 20.0,
        "never narrower than 20 dB"
    );
    app.update(key(KeyCode::Left), t0);
    app.update(key(KeyCode::Down), t0);
    assert_eq!(app.view.db_ceiling, 0.0);
}

#[test]
fn escape_closes_the_help_before_it_quits() {
    let (mut app, t0) = app_at(80, 24);
    app.update(key(KeyCode::Char('?')), t0);
    assert!(render(&app, 80, 24).contains("next window function"));
    app.update(key(KeyCode::Esc), t0);
    assert!(!app.should_quit());
    assert!(!render(&app, 80, 24).contains("next window function"));
    app.update(key(KeyCode::Esc), t0);
    assert!(app.should_quit());
    let (mut app, t0) = app_at(80, 24);
    app.update(
        Message::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        t0,
    );
    assert!(app.should_quit(), "Ctrl-C quits in raw mode");
}

#[test]
fn a_board_spectrum_looks_like_a_computed_one() {
    let t0 = Instant::now();
    let mut snapshot = sample_snapshot(t0);
    let computed = {
        let mut app = App::new(Arc::new(snapshot.clone()), ViewOptions::default());
        app.update(
            Message::Resize {
                width: 80,
                height: 24,
            },
            t0,
        );
        render(&app, 80, 24)
    };
    snapshot.origin = Some(Origin::Received {
        window: crate::analysis::WindowKind::Rect,
    });
    let mut app = App::new(Arc::new(snapshot), ViewOptions::default());
    app.update(
        Message::Resize {
            width: 80,
            height: 24,
        },
        t0,
    );
    let received = render(&app, 80, 24);
    // Only the header's description differs; the plot is the same.
    let plot = |s: &str| {
        s.lines()
            .skip(2)
            .take(20)
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(plot(&computed), plot(&received));
    assert!(received.contains("board spectrum, 512 bins"));
}

/// The sample's single-tone figures, its sine fit and a finished code-density test.
fn with_adc(mut snapshot: Snapshot) -> Snapshot {
    use crate::snapshot::sample::{sample_adc, sample_linearity, sample_sinefit};
    snapshot.adc = Some(sample_adc());
    snapshot.sinefit = Some(sample_sinefit());
    snapshot.linearity = Some(sample_linearity());
    snapshot
}

/// The measurement panel, the harmonics' orders and the worst spur over their bars, and a
/// marker with a delta reference, on a narrow and a wide screen.
#[test]
fn adc_figures_harmonic_marks_and_markers() {
    for (width, height) in [(80, 24), (200, 50)] {
        let t0 = Instant::now();
        let mut app = App::new(
            Arc::new(with_adc(sample_snapshot(t0))),
            ViewOptions::default(),
        );
        app.update(Message::Resize { width, height }, t0);
        for c in ['t', 'm', 'd', 'n'] {
            app.update(key(KeyCode::Char(c)), t0);
        }
        let screen = render(&app, width, height);
        assert!(
            screen.contains("SNR 67.6 dB") && screen.contains("ENOB 10.61 b"),
            "{screen}"
        );
        assert!(
            screen.contains("H2 -73.0") && screen.contains("H4 –"),
            "{screen}"
        );
        assert!(
            screen.contains("M 7.359 kHz") && screen.contains("Δ +6.364 kHz"),
            "{screen}"
        );
        // The datasheet's further rows only where the screen is tall enough for them.
        let datasheet = [
            "NSD -117.3 dBFS/Hz  SFDR 20.0 dBFS  spurs S 7.359 kHz -14.0  H2 2.000 kHz -73.0",
            "sine fit 1000.0 Hz  0.50 FS  SINAD 65.5 dB  ENOB 10.59 b",
            "DNL -1.00…+0.50  INL -1.00…+0.00 LSB  missing 2049",
        ];
        for row in datasheet {
            assert_eq!(screen.contains(row), height >= 30, "{row}: {screen}");
        }
        insta::assert_snapshot!(format!("adc_and_markers_{width}x{height}"), screen);
    }
}

/// Two tones: the intermodulation in the strip, each product marked by its order over its
/// bar, one under the noise said so.
#[test]
fn two_tones_show_their_intermodulation() {
    let t0 = Instant::now();
    let mut snapshot = sample_snapshot(t0);
    snapshot.imd = Some(crate::snapshot::sample::sample_imd());
    let mut app = App::new(Arc::new(snapshot), ViewOptions::default());
    app.update(
        Message::Resize {
            width: 160,
            height: 40,
        },
        t0,
    );
    app.update(key(KeyCode::Char('t')), t0);
    let screen = render(&app, 160, 40);
    for row in [
        "IMD2 -71.0 dBc",
        "IMD3 -62.5 dBc",
        "IM2 562.5 Hz -71.0",
        "IM2 20.344 kHz under the noise",
        "IM3 9.328 kHz -62.5",
    ] {
        assert!(screen.contains(row), "{row}: {screen}");
    }
    insta::assert_snapshot!("two_tones_160x40", screen);
}

/// The linearity view: DNL over INL when the test is done; the reason, and no curves, when
/// the test cannot be the converter's.
#[test]
fn the_linearity_view_draws_dnl_and_inl_or_says_why_not() {
    use crate::analysis::linearity::Withheld;
    let t0 = Instant::now();
    let done = with_adc(sample_snapshot(t0));
    let mut coherent = done.clone();
    if let Some(l) = &mut coherent.linearity {
        l.withheld = Some(Withheld::PhasesRepeat { coverage: 0.03 });
    }
    let app = app_in(ViewKind::Linearity, done, 100, 30);
    let screen = render(&app, 100, 30);
    assert!(screen.contains("12-bit, 2000000 samples"), "{screen}");
    assert!(screen.contains("DNL") && screen.contains("INL") && screen.contains("4055 code"));
    insta::assert_snapshot!("linearity_100x30", screen);
    let app = app_in(ViewKind::Linearity, coherent, 100, 30);
    let screen = render(&app, 100, 30);
    assert!(screen.contains("coherent with the sampling"), "{screen}");
    assert!(!screen.contains("4055 code"), "no curves: {screen}");
}

#[test]
fn the_adc_panel_says_why_when_it_has_no_figures() {
    let t0 = Instant::now();
    let mut limited = with_adc(sample_snapshot(t0));
    if let Some(adc) = &mut limited.adc {
        adc.leakage_limited = true;
        adc.snr_db = None;
    }
    for (snapshot, says) in [
        (limited, "hann leaks this tone"),
        (sample_snapshot(t0), "no tone 20 dB above the noise"),
    ] {
        let mut app = App::new(Arc::new(snapshot), ViewOptions::default());
        app.update(
            Message::Resize {
                width: 120,
                height: 30,
            },
            t0,
        );
        app.update(key(KeyCode::Char('t')), t0);
        let screen = render(&app, 120, 30);
        assert!(screen.contains(says), "{screen}");
    }
}

#[test]
fn markers_move_bin_by_bin_and_read_the_frozen_picture() {
    let (mut app, t0) = app_at(120, 30);
    app.update(key(KeyCode::Char('m')), t0);
    // On the peak at bin 21 (neighbours −14 and −9 dB): interpolated to bin 21.23.
    assert!(render(&app, 120, 30).contains("M 995.0 Hz  -5.7 dBFS"));
    app.update(key(KeyCode::Char(' ')), t0); // frozen
    for _ in 0..3 {
        app.update(key(KeyCode::Char('.')), t0);
    }
    app.update(key(KeyCode::Char('>')), t0);
    // Bin 21 + 13 = 34: 34 × 46.875 Hz, off any peak: the bin's own level.
    assert!(
        render(&app, 120, 30).contains("M 1.594 kHz"),
        "{}",
        render(&app, 120, 30)
    );
    app.update(key(KeyCode::Char('s')), t0);
    assert!(render(&app, 120, 30).contains("M 995.0 Hz"));
}

/// A waterfall of `made` lines: line n holds a −3 dB tone at bin 20 + 9n (each line's in a
/// column of its own).
pub fn with_waterfall(mut snapshot: Snapshot, made: u64) -> Snapshot {
    use crate::analysis::waterfall::WaterfallLine;
    let kept = made.min(64);
    snapshot.waterfall = (made - kept..made)
        .map(|n| {
            let mut power = vec![1e-10f32; 512];
            power[20 + (9 * n as usize % 480)] = 0.5;
            WaterfallLine {
                power: power.into(),
                seconds: 0.085,
            }
        })
        .collect();
    snapshot.waterfall_lines_made = made;
    snapshot
}

/// A screen of `kind` at `width` × `height` on `snapshot`.
pub(crate) fn app_in(kind: super::ViewKind, snapshot: Snapshot, width: u16, height: u16) -> App {
    let t0 = snapshot.taken_at;
    let mut app = App::new(
        Arc::new(snapshot),
        ViewOptions {
            start: kind,
            ..ViewOptions::default()
        },
    );
    app.update(Message::Resize { width, height }, t0);
    app
}

#[test]
fn views_at_narrow_wide_and_tiny_sizes() {
    let t0 = Instant::now();
    let mut trace_snapshot = sample_snapshot(t0);
    trace_snapshot.trace = Some(
        (0..16_384)
            .map(|i| 0.8 * (std::f32::consts::TAU * i as f32 / 96.0).sin() + 0.05)
            .collect::<Vec<f32>>()
            .into(),
    );
    let mut channels_snapshot = sample_snapshot(t0);
    channels_snapshot.channels = 3;
    channels_snapshot.channel_spectra = Some(
        (0..3)
            .map(|c| crate::snapshot::ChannelSpectrum {
                spectrum: sample_snapshot(t0)
                    .spectrum
                    .iter()
                    .map(|p| p / (c + 1) as f32)
                    .collect(),
                peak: Some(Peak {
                    bin: 21.33,
                    dbfs: -6.0 - 3.0 * c as f64,
                }),
            })
            .collect(),
    );
    let cases = [
        (ViewKind::Waterfall, with_waterfall(sample_snapshot(t0), 40)),
        (ViewKind::Scope, trace_snapshot),
        (ViewKind::Channels, channels_snapshot),
    ];
    for (kind, snapshot) in cases {
        for (width, height) in [(80, 24), (200, 50), (40, 12)] {
            let app = app_in(kind, snapshot.clone(), width, height);
            let screen = render(&app, width, height);
            assert!(
                screen.contains(kind.name()),
                "{kind:?} {width}x{height}:\n{screen}"
            );
            insta::assert_snapshot!(format!("{}_{width}x{height}", kind.name()), screen);
        }
    }
}

#[test]
fn the_waterfall_colours_a_known_level_and_pairs_two_lines_a_row() {
    let t0 = Instant::now();
    let app = app_in(
        super::ViewKind::Waterfall,
        with_waterfall(sample_snapshot(t0), 40),
        120,
        40,
    );
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    terminal.draw(|f| f.render_widget(&app, f.area())).unwrap();
    let buffer = terminal.backend().buffer();
    let rows = super::view::waterfall_rows(120, 40, Default::default()).unwrap();
    // Line 39 (the newest, −3 dB: the top colour) is the top row's upper half, line 38 its
    // lower half: a half block white above, and another white below.
    use ratatui::style::Color;
    let top = rows.start;
    let cells: Vec<&ratatui::buffer::Cell> = (0..120).map(|x| &buffer[(x, top)]).collect();
    let upper = cells
        .iter()
        .filter(|c| c.symbol() == "▀" && c.fg == Color::White)
        .count();
    let lower = cells
        .iter()
        .filter(|c| c.symbol() == "▀" && c.bg == Color::White)
        .count();
    assert_eq!((upper, lower), (1, 1), "one tone a line");
    // Eight colours over the 120 dB range, 15 dB each: the −100 dB floor is in the second
    // (−105 to −90 dB).
    assert!(
        cells
            .iter()
            .any(|c| c.symbol() == " " && c.bg == Color::LightBlue)
    );
}

#[test]
fn the_scope_says_when_there_are_no_samples() {
    let t0 = Instant::now();
    let mut snapshot = sample_snapshot(t0);
    snapshot.origin = Some(Origin::Received {
        window: crate::analysis::WindowKind::Rect,
    });
    let app = app_in(super::ViewKind::Scope, snapshot, 100, 30);
    assert!(render(&app, 100, 30).contains("no samples: the source sends spectra"));
}

#[test]
fn the_view_key_cycles_the_views_and_tells_the_pipeline_which_is_shown() {
    use ViewKind::*;
    let (mut app, t0) = app_at(100, 30);
    let v = key(KeyCode::Char('v'));
    let views = |left, entered| {
        Some(Control::Views {
            left: Some(left),
            entered: Some(entered),
        })
    };
    assert_eq!(app.update(v.clone(), t0), views(Spectrum, Waterfall));
    assert_eq!(app.view_kind(), Waterfall);
    assert_eq!(app.update(v.clone(), t0), views(Waterfall, Scope));
    assert_eq!(app.update(v.clone(), t0), views(Scope, Channels));
    assert_eq!(app.update(v.clone(), t0), views(Channels, Linearity));
    assert_eq!(app.update(v.clone(), t0), views(Linearity, Spectrum));
    assert_eq!(app.view_kind(), Spectrum);
    assert_eq!(
        app.update(key(KeyCode::Char(']')), t0),
        Some(Control::MoreSpectraPerLine)
    );
    assert_eq!(
        app.update(key(KeyCode::Char('q')), t0),
        Some(Control::Views {
            left: Some(Spectrum),
            entered: None
        }),
        "quitting leaves the view"
    );
}

#[test]
fn the_save_key_asks_for_the_screens_settings_and_says_where_they_went() {
    let (mut app, t0) = app_at(100, 30);
    app.update(key(KeyCode::Char('l')), t0);
    app.update(key(KeyCode::Char('v')), t0);
    app.update(key(KeyCode::Up), t0);
    assert!(app.take_request().is_none());
    app.update(key(KeyCode::Char('S')), t0);
    let Some(super::Request::Save(asked)) = app.take_request() else {
        panic!("a request to save");
    };
    assert_eq!(
        asked,
        crate::vocabulary::ScreenSettings {
            fft: 1024,
            window: "hann",
            db_min: -110.0,
            db_max: 10.0,
            log_freq: true,
            view: "waterfall",
        }
    );
    assert!(app.take_request().is_none(), "once");
    app.update(Message::Say("saved to /x/config.toml".into()), t0);
    assert!(render(&app, 100, 30).contains("saved to /x/config.toml"));
    app.update(Message::Tick, t0 + Duration::from_secs(10));
    assert!(
        !render(&app, 100, 30).contains("saved to"),
        "and then it goes"
    );
}

/// `x` asks for the picture shown, as shown (the frozen one when frozen, the dB range and
/// axis in use); `g` and `G` ask the pipeline to take and drop the reference.
#[test]
fn the_export_key_asks_for_the_picture_shown_and_g_for_a_reference() {
    let (mut app, t0) = app_at(100, 30);
    app.update(key(KeyCode::Char(' ')), t0);
    let mut later = sample_snapshot(t0);
    later.counters.frames = 9999;
    app.update(Message::Snapshot(Arc::new(later)), t0);
    app.update(key(KeyCode::Char('l')), t0);
    app.update(key(KeyCode::Up), t0);
    assert!(app.take_request().is_none());
    app.update(key(KeyCode::Char('x')), t0);
    let Some(super::Request::Export(view)) = app.take_request() else {
        panic!("a request to export");
    };
    assert_eq!(view.snapshot.counters.frames, 4700, "the frozen picture");
    assert!(view.log_axis);
    assert_eq!((view.db_floor, view.db_ceiling), (-110.0, 10.0));
    assert_eq!(
        app.update(key(KeyCode::Char('g')), t0),
        Some(Control::TakeReference)
    );
    assert_eq!(
        app.update(key(KeyCode::Char('G')), t0),
        Some(Control::ClearReference)
    );
}
