//! The real binary in a pseudo-terminal, its screen parsed by a terminal emulator.

mod common;

use std::time::Duration;

use common::pty::PtyChild;

const BIN: &str = env!("CARGO_BIN_EXE_sse-tui");
const LIMIT: Duration = Duration::from_secs(30);

fn spectrum_is_up(screen: &vt100::Screen) -> bool {
    let text = screen.contents();
    text.contains("peak 1.0")
        && text.contains("█")
        && text.contains("Latency relative")
        && text.contains("10k")
}

#[test]
fn the_demo_screen_shows_bars_axes_and_statistics_then_q_restores_the_terminal() {
    let mut tui = PtyChild::spawn(BIN, &[], 30, 100, &[]);
    assert!(tui.wait_for(LIMIT, spectrum_is_up), "{}", tui.screen_text());
    assert!(tui.parser.screen().alternate_screen());
    let text = tui.screen_text();
    for expected in [
        "sse-tui",
        "connected",
        "48 kHz",
        "FFT 1024",
        "Latency relative",
        "p99",
        "jitter",
        "dBFS",
        "Hz",
    ] {
        assert!(text.contains(expected), "{expected} missing:\n{text}");
    }
    // The frequency axis is the second row from the bottom.
    assert!(tui.row(28).contains("5k"), "{}", tui.row(28));

    tui.resize(24, 80);
    assert!(
        tui.wait_for(LIMIT, |s| s.contents_between(22, 0, 22, 80).contains("Hz")
            && s.contents().contains("Latency")),
        "after resize:\n{}",
        tui.screen_text()
    );

    tui.send(b"+");
    assert!(
        tui.wait_for(LIMIT, |s| s.contents().contains("FFT 2048")),
        "{}",
        tui.screen_text()
    );

    tui.send(b"q");
    let status = tui.wait_exit(LIMIT).expect("exits after q");
    assert!(status.success());
    assert!(
        !tui.parser.screen().alternate_screen(),
        "left the alternate screen"
    );
    assert!(
        !tui.parser.screen().hide_cursor(),
        "the cursor is shown again"
    );
}

#[test]
fn a_hangup_or_terminate_gives_the_terminal_back() {
    for signal in [rustix::process::Signal::HUP, rustix::process::Signal::TERM] {
        let mut tui = PtyChild::spawn(BIN, &[], 24, 80, &[]);
        assert!(tui.wait_for(LIMIT, spectrum_is_up), "{}", tui.screen_text());
        let pid = rustix::process::Pid::from_raw(tui.child.id() as i32).unwrap();
        rustix::process::kill_process(pid, signal).unwrap();
        let status = tui.wait_exit(LIMIT).expect("exits on the signal");
        assert!(status.success(), "{signal:?}: {status:?}");
        assert!(
            !tui.parser.screen().alternate_screen(),
            "{signal:?}: left the alternate screen"
        );
    }
}

#[test]
fn no_color_and_ascii_are_honoured() {
    let mut tui = PtyChild::spawn(BIN, &["--ascii"], 24, 80, &[("NO_COLOR", "1")]);
    assert!(tui.wait_for(LIMIT, |s| s.contents().contains("peak 1.0")
        && s.contents().contains('#')));
    let screen = tui.parser.screen();
    let (rows, cols) = screen.size();
    for row in 0..rows {
        for col in 0..cols {
            let cell = screen.cell(row, col).unwrap();
            assert_eq!(
                cell.fgcolor(),
                vt100::Color::Default,
                "colour at {row},{col}"
            );
            assert!(
                !cell.contents().contains(['█', '▁', '▔']),
                "block glyph at {row},{col}"
            );
        }
    }
    tui.send(b"q");
    assert!(tui.wait_exit(LIMIT).expect("exits").success());
}

/// The demo's ADC channel with its figures, and a marker walked by keys: on the test tone,
/// one bin up, to the 2nd harmonic (the next lower peak), with a delta from the tone.
#[test]
fn the_adc_figures_and_a_marker_moved_by_keys() {
    let mut tui = PtyChild::spawn(BIN, &["--channel", "1"], 40, 120, &[]);
    assert!(
        tui.wait_for(LIMIT, |s| s.contents().contains("peak 1.078 kHz")),
        "{}",
        tui.screen_text()
    );
    tui.send(b"t");
    assert!(
        tui.wait_for(LIMIT, |s| {
            let text = s.contents();
            text.contains("ADC f₀ 1.078 kHz") && text.contains("ENOB 10.")
        }),
        "{}",
        tui.screen_text()
    );
    tui.send(b"m");
    assert!(
        tui.wait_for(LIMIT, |s| s.contents().contains("M 1.078 kHz")),
        "{}",
        tui.screen_text()
    );
    // One bin (46.9 Hz) up: off the peak, the bin's own frequency.
    tui.send(b".");
    assert!(
        tui.wait_for(LIMIT, |s| s.contents().contains("M 1.125 kHz")),
        "{}",
        tui.screen_text()
    );
    // The next lower peak is the 2nd or the 3rd harmonic (both near −73 dBc): one or two
    // tones above the reference, some 72 dB down.
    tui.send(b"sdn");
    assert!(
        tui.wait_for(LIMIT, |s| {
            let text = s.contents();
            (text.contains("Δ +1.078 kHz") || text.contains("Δ +2.156 kHz"))
                && text.contains("  -7")
        }),
        "{}",
        tui.screen_text()
    );
    tui.send(b"q");
    assert!(tui.wait_exit(LIMIT).expect("exits").success());
}

/// Every view on the demo, by `--view` and by the `v` key, read back through a terminal
/// emulator (the waterfall's rows scroll in the terminal itself: what it shows must still be
/// the picture).
#[test]
fn the_views_by_option_and_by_key() {
    let mut tui = PtyChild::spawn(BIN, &["--view", "waterfall"], 40, 120, &[]);
    assert!(
        tui.wait_for(LIMIT, |s| {
            let text = s.contents();
            text.contains(" waterfall ") && text.contains("spectra/line") && text.contains("-0.")
        }),
        "{}",
        tui.screen_text()
    );
    tui.send(b"v");
    assert!(
        tui.wait_for(LIMIT, |s| s
            .contents()
            .contains("trigger ↑ +0.00 FS auto, triggered")),
        "{}",
        tui.screen_text()
    );
    tui.send(b"v");
    assert!(
        tui.wait_for(LIMIT, |s| {
            let text = s.contents();
            text.contains(" channels ")
                && text.contains("ch 0  peak 1.0")
                && text.contains("ch 1  peak 1.078 kHz")
                && text.contains("ch 3  peak 1.002 kHz")
        }),
        "{}",
        tui.screen_text()
    );
    // The code-density view, which says how to start the test it draws.
    tui.send(b"v");
    assert!(
        tui.wait_for(LIMIT, |s| s
            .contents()
            .contains("the code-density test counts codes with --linearity")),
        "{}",
        tui.screen_text()
    );
    tui.send(b"v");
    assert!(
        tui.wait_for(LIMIT, |s| s.contents().contains(" spectrum ")),
        "{}",
        tui.screen_text()
    );
    tui.send(b"q");
    assert!(tui.wait_exit(LIMIT).expect("exits").success());
}

/// The views are the source's: a recording (a 1 kHz tone) in the scope and the waterfall.
#[test]
fn a_recording_in_the_scope_and_the_waterfall() {
    let recording = format!(
        "{}/assets/recordings/tone_1k_frames.bin",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut tui = PtyChild::spawn(
        BIN,
        &["--replay", &recording, "--view", "scope"],
        40,
        120,
        &[],
    );
    assert!(
        tui.wait_for(LIMIT, |s| s.contents().contains("triggered")),
        "{}",
        tui.screen_text()
    );
    tui.send(b"vvvv");
    assert!(
        tui.wait_for(LIMIT, |s| s.contents().contains(" waterfall ")
            && s.contents().contains("spectra/line")),
        "{}",
        tui.screen_text()
    );
    tui.send(b"q");
    assert!(tui.wait_exit(LIMIT).expect("exits").success());
}

/// A terminal at the far end of an SSH link (OpenSSH sets `SSH_CONNECTION` for its programs)
/// gets a byte budget: the scope, which redraws its whole trace every picture, draws fewer
/// pictures and the header says how many; `--byte-budget 0` lifts it.
#[test]
fn over_ssh_a_busy_view_draws_within_the_byte_budget_and_says_so() {
    let ssh = [("SSH_CONNECTION", "10.0.0.2 50000 10.0.0.1 22")];
    let mut tui = PtyChild::spawn(BIN, &["--view", "scope"], 40, 120, &ssh);
    assert!(
        tui.wait_for(LIMIT, |s| s.contents().contains("fps: 4.1 kB/s budget")),
        "{}",
        tui.screen_text()
    );
    tui.send(b"q");
    assert!(tui.wait_exit(LIMIT).expect("exits after q").success());

    let lifted = ["--view", "scope", "--byte-budget", "0"];
    let mut tui = PtyChild::spawn(BIN, &lifted, 40, 120, &ssh);
    assert!(
        tui.wait_for(LIMIT, |s| s.contents().contains("triggered")),
        "{}",
        tui.screen_text()
    );
    // Seconds of scope pictures, none of them held back.
    tui.drain_for(Duration::from_secs(3));
    assert!(
        !tui.screen_text().contains("budget"),
        "{}",
        tui.screen_text()
    );
    tui.send(b"q");
    assert!(tui.wait_exit(LIMIT).expect("exits after q").success());
}
