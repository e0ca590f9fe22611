//! The key map: one table from keys to actions, shown as-is in the help overlay.

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
    Help,
}

/// (keys as shown, action, what it does), in the order the help lists them.
pub const KEYS: &[(&str, Action, &str)] = &[
    ("q Esc", Action::Quit, "quit"),
    ("space", Action::Freeze, "freeze / resume the picture"),
    ("l", Action::ToggleLogAxis, "log / linear frequency axis"),
    ("w", Action::NextWindow, "next window function"),
    ("+ -", Action::BiggerFft, "FFT size ×2 / ÷2"),
    ("a", Action::ToggleAveraging, "averaging on / off"),
    ("p", Action::TogglePeakHold, "peak hold on / off"),
    ("c", Action::NextChannel, "next channel"),
    ("r", Action::ResetStats, "reset statistics"),
    ("↑ ↓", Action::RangeUp, "move the dB range up / down"),
    ("← →", Action::ZoomIn, "widen / narrow the dB range"),
    ("?", Action::Help, "this help"),
];

pub fn action_for(key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        // Raw mode turns Ctrl-C into a key: it must still quit.
        return matches!(key.code, KeyCode::Char('c')).then_some(Action::Quit);
    }
    Some(match key.code {
        KeyCode::Char('q') | KeyCode::Esc => Action::Quit,
        KeyCode::Char(' ') => Action::Freeze,
        KeyCode::Char('l') => Action::ToggleLogAxis,
        KeyCode::Char('w') => Action::NextWindow,
        KeyCode::Char('+') | KeyCode::Char('=') => Action::BiggerFft,
        KeyCode::Char('-') | KeyCode::Char('_') => Action::SmallerFft,
        KeyCode::Char('a') => Action::ToggleAveraging,
        KeyCode::Char('p') => Action::TogglePeakHold,
        KeyCode::Char('c') => Action::NextChannel,
        KeyCode::Char('r') => Action::ResetStats,
        KeyCode::Up => Action::RangeUp,
        KeyCode::Down => Action::RangeDown,
        KeyCode::Left => Action::ZoomOut,
        KeyCode::Right => Action::ZoomIn,
        KeyCode::Char('?') | KeyCode::Char('h') => Action::Help,
        _ => return None,
    })
}
