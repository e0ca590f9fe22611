//! Keys from an SSH session's raw bytes: a VT input parser kept per session (termina's), so
//! several keys in one packet, or half an escape sequence, read as the keys typed. A lone Esc
//! is told from the start of a sequence by waiting [`ESC_WAIT`] for the rest.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// How long a trailing Esc waits for the rest of a sequence (on a slow link the bytes of one
/// sequence arrive together: they are sent together).
pub const ESC_WAIT: Duration = Duration::from_millis(50);

#[derive(Default)]
pub struct KeyParser {
    parser: termina::Parser,
}

impl KeyParser {
    /// Takes the bytes of one packet; returns the keys complete in them. Whether an
    /// incomplete sequence waits until more bytes come or [`Self::flush`].
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<KeyEvent> {
        self.parser.parse(bytes, true);
        self.drain()
    }

    /// Whether a packet may have left a sequence waiting for its rest: it held an Esc.
    /// (termina keeps what waits to itself; a flush with nothing waiting does nothing.)
    pub fn may_wait(bytes: &[u8]) -> bool {
        bytes.contains(&0x1b)
    }

    /// No more bytes came: what waits is what it is (a lone Esc is the Esc key).
    pub fn flush(&mut self) -> Vec<KeyEvent> {
        self.parser.parse(&[], false);
        self.drain()
    }

    fn drain(&mut self) -> Vec<KeyEvent> {
        std::iter::from_fn(|| self.parser.pop())
            .filter_map(|event| match event {
                termina::Event::Key(key) => convert(key),
                _ => None,
            })
            .collect()
    }
}

/// termina's key as the crossterm key the screen's key table reads.
fn convert(key: termina::event::KeyEvent) -> Option<KeyEvent> {
    use termina::event::KeyCode as T;
    if key.kind != termina::event::KeyEventKind::Press {
        return None;
    }
    let code = match key.code {
        T::Char(c) => KeyCode::Char(c),
        T::Enter => KeyCode::Enter,
        T::Backspace => KeyCode::Backspace,
        T::Tab => KeyCode::Tab,
        T::BackTab => KeyCode::BackTab,
        T::Escape => KeyCode::Esc,
        T::Left => KeyCode::Left,
        T::Right => KeyCode::Right,
        T::Up => KeyCode::Up,
        T::Down => KeyCode::Down,
        T::Home => KeyCode::Home,
        T::End => KeyCode::End,
        T::PageUp => KeyCode::PageUp,
        T::PageDown => KeyCode::PageDown,
        T::Insert => KeyCode::Insert,
        T::Delete => KeyCode::Delete,
        T::Function(n) => KeyCode::F(n),
        _ => return None,
    };
    let m = key.modifiers;
    let mut modifiers = KeyModifiers::NONE;
    for (theirs, ours) in [
        (termina::event::Modifiers::SHIFT, KeyModifiers::SHIFT),
        (termina::event::Modifiers::ALT, KeyModifiers::ALT),
        (termina::event::Modifiers::CONTROL, KeyModifiers::CONTROL),
    ] {
        if m.contains(theirs) {
            modifiers |= ours;
        }
    }
    Some(KeyEvent::new_with_kind(
        code,
        modifiers,
        KeyEventKind::Press,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(keys: &[KeyEvent]) -> Vec<KeyCode> {
        keys.iter().map(|k| k.code).collect()
    }

    #[test]
    fn a_packet_of_several_keys_and_arrows_reads_as_typed() {
        let mut keys = KeyParser::default();
        let got = keys.feed(b"ab\x1b[C\x1b[Dq");
        assert_eq!(
            codes(&got),
            [
                KeyCode::Char('a'),
                KeyCode::Char('b'),
                KeyCode::Right,
                KeyCode::Left,
                KeyCode::Char('q')
            ]
        );
    }

    #[test]
    fn half_a_sequence_waits_for_its_rest() {
        let mut keys = KeyParser::default();
        assert!(keys.feed(b"\x1b[").is_empty());
        assert!(KeyParser::may_wait(b"\x1b["));
        assert_eq!(codes(&keys.feed(b"A")), [KeyCode::Up]);
        assert!(keys.flush().is_empty(), "nothing left waiting");
    }

    #[test]
    fn a_lone_esc_is_the_esc_key_once_flushed() {
        let mut keys = KeyParser::default();
        assert!(keys.feed(b"\x1b").is_empty());
        assert_eq!(codes(&keys.flush()), [KeyCode::Esc]);
    }

    #[test]
    fn control_keys_carry_their_modifier() {
        let mut keys = KeyParser::default();
        let got = keys.feed(b"\x03");
        assert_eq!(got[0].code, KeyCode::Char('c'));
        assert!(got[0].modifiers.contains(KeyModifiers::CONTROL));
    }
}
