//! The key map: one table from keys to actions. Dispatch, the help overlay and the hint
//! line are all read from it, so a key added here is bound, listed and advertised at once.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    Freeze,
    ToggleLogAxis,
    NextWindow,
    BiggerFft,
    SmallerFft,
    ToggleAveraging,
    TogglePeakHold,
    NextChannel,
    ResetStats,
    RangeUp,
    RangeDown,
    ZoomIn,
    ZoomOut,
    ToggleMeasure,
    ToggleMarker,
    MarkerDown,
    MarkerUp,
    MarkerDownFar,
    MarkerUpFar,
    NextPeak,
    PeakSearch,
    ToggleDelta,
    NextView,
    FewerSpectraPerLine,
    MoreSpectraPerLine,
    TriggerEdge,
    TriggerMode,
    TriggerDown,
    TriggerUp,
    Slower,
    Faster,
    SaveSettings,
    Export,
    TakeReference,
    ClearReference,
    Help,
}

/// One line of the help: the keys as shown, the row's words in the hint line (empty: not
/// there), what the keys do, and each key with its action.
pub struct KeyRow {
    pub shown: &'static str,
    pub hint: &'static str,
    pub help: &'static str,
    pub bindings: &'static [(KeyCode, Action)],
}

const fn row(
    shown: &'static str,
    hint: &'static str,
    help: &'static str,
    bindings: &'static [(KeyCode, Action)],
) -> KeyRow {
    KeyRow {
        shown,
        hint,
        help,
        bindings,
    }
}

use Action as A;
use KeyCode::Char as C;

/// In the order the help lists them, most used first: the hint line takes the first that fit.
#[rustfmt::skip]
pub const KEYS: &[KeyRow] = &[
    row("q Esc", "q quit", "quit (Esc first closes this help)", &[(C('q'), A::Quit), (KeyCode::Esc, A::Quit)]),
    row("space", "space freeze", "freeze / resume the picture", &[(C(' '), A::Freeze)]),
    row("v", "v view", "next view: spectrum, waterfall, scope, channels", &[(C('v'), A::NextView)]),
    row("t", "t ADC", "ADC figures: SNR, THD, SINAD, ENOB, SFDR; harmonics marked", &[(C('t'), A::ToggleMeasure)]),
    row("m", "m marker", "marker on / off (on the highest peak)", &[(C('m'), A::ToggleMarker)]),
    row("n", "n next peak", "marker to the next lower peak", &[(C('n'), A::NextPeak)]),
    row("+ -", "+/- FFT", "FFT size ×2 / ÷2", &[
        (C('+'), A::BiggerFft), (C('='), A::BiggerFft), (C('-'), A::SmallerFft), (C('_'), A::SmallerFft),
    ]),
    row("w", "w window", "next window function", &[(C('w'), A::NextWindow)]),
    row("l", "l log", "log / linear frequency axis", &[(C('l'), A::ToggleLogAxis)]),
    row("a", "a avg", "averaging on / off", &[(C('a'), A::ToggleAveraging)]),
    row("p", "p hold", "peak hold on / off", &[(C('p'), A::TogglePeakHold)]),
    row("c", "c channel", "next channel", &[(C('c'), A::NextChannel)]),
    row("d", "d delta", "delta marker: a reference where the marker is / off", &[(C('d'), A::ToggleDelta)]),
    row(", .", "", "marker one bin down / up", &[(C(','), A::MarkerDown), (C('.'), A::MarkerUp)]),
    row("< >", "", "marker ten bins down / up", &[(C('<'), A::MarkerDownFar), (C('>'), A::MarkerUpFar)]),
    row("s", "", "peak search: marker to the highest peak", &[(C('s'), A::PeakSearch)]),
    row("[ ]", "", "waterfall: half / twice the spectra in a line", &[(C('['), A::FewerSpectraPerLine), (C(']'), A::MoreSpectraPerLine)]),
    row("e", "", "scope: trigger on the rising / falling edge", &[(C('e'), A::TriggerEdge)]),
    row("o", "", "scope: trigger auto / normal", &[(C('o'), A::TriggerMode)]),
    row("{ }", "", "scope: trigger level down / up 0.05 FS", &[(C('{'), A::TriggerDown), (C('}'), A::TriggerUp)]),
    row("( )", "", "scope: half / twice the time on screen", &[(C('('), A::Faster), (C(')'), A::Slower)]),
    row("r", "r reset", "reset statistics", &[(C('r'), A::ResetStats)]),
    row("S", "", "save FFT, window, dB range, axis and view to the settings file", &[(C('S'), A::SaveSettings)]),
    row("x", "x export", "write the spectrum as CSV and the plot as SVG here", &[(C('x'), A::Export)]),
    row("g G", "", "take the live spectrum as the reference / drop it", &[(C('g'), A::TakeReference), (C('G'), A::ClearReference)]),
    row("↑ ↓", "↑↓←→ dB", "move the dB range up / down", &[(KeyCode::Up, A::RangeUp), (KeyCode::Down, A::RangeDown)]),
    row("← →", "", "widen / narrow the dB range", &[(KeyCode::Left, A::ZoomOut), (KeyCode::Right, A::ZoomIn)]),
    row("? h", "? help", "this help", &[(C('?'), A::Help), (C('h'), A::Help)]),
];

pub fn action_for(key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        // Raw mode turns Ctrl-C into a key: it must still quit.
        return matches!(key.code, KeyCode::Char('c')).then_some(Action::Quit);
    }
    KEYS.iter()
        .flat_map(|row| row.bindings)
        .find(|(code, _)| *code == key.code)
        .map(|&(_, action)| action)
}

/// The hint line for `width` columns: as many rows as fit, in the table's order, and always
/// the way to the help, so every key can be found however narrow the terminal.
pub fn hint_line(width: usize) -> String {
    const SEPARATOR: &str = " · ";
    let is_help = |row: &KeyRow| row.bindings.iter().any(|(_, a)| *a == Action::Help);
    let help = KEYS.iter().find(|r| is_help(r)).map_or("", |r| r.hint);
    let mut line = String::from(" ");
    let room = width.saturating_sub(help.chars().count());
    for row in KEYS.iter().filter(|r| !r.hint.is_empty() && !is_help(r)) {
        let used = line.chars().count() + row.hint.chars().count() + 2 * SEPARATOR.chars().count();
        if used > room {
            break;
        }
        line.push_str(row.hint);
        line.push_str(SEPARATOR);
    }
    line.push_str(help);
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_of_the_table_dispatches_to_its_action() {
        for row in KEYS {
            for &(code, action) in row.bindings {
                let key = KeyEvent::new(code, KeyModifiers::NONE);
                assert_eq!(action_for(key), Some(action), "{code:?}");
            }
        }
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action_for(ctrl_c), Some(Action::Quit));
        assert_eq!(action_for(KeyEvent::new(C('j'), KeyModifiers::NONE)), None);
    }

    #[test]
    fn no_key_is_bound_twice() {
        let codes: Vec<KeyCode> = KEYS.iter().flat_map(|r| r.bindings).map(|b| b.0).collect();
        for (i, code) in codes.iter().enumerate() {
            assert!(!codes[i + 1..].contains(code), "{code:?} bound twice");
        }
    }

    #[test]
    fn the_hint_fits_and_always_ends_with_the_help() {
        for width in [20, 40, 80, 120, 200] {
            let hint = hint_line(width);
            assert!(hint.chars().count() <= width.max(9), "{width}: {hint}");
            assert!(hint.ends_with("? help"), "{width}: {hint}");
        }
        assert!(hint_line(80).contains("q quit"));
        assert!(hint_line(200).contains("r reset"));
    }
}
