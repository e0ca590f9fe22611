//! Keys from an SSH session's raw bytes: a VT input parser kept per session (termina's), so
//! several keys in one packet, or half an escape sequence, read as the keys typed. A lone Esc
//! is told from the start of a sequence by waiting [`ESC_WAIT`] for the rest.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// How long a trailing Esc waits for the rest of a sequence (on a slow link the bytes of one
/// sequence arrive together: they are sent together).
pub const ESC_WAIT: Duration = Duration::from_millis(50);

/// The most bytes a sequence may hold before it is taken for junk. A key's sequence is under
/// 20 bytes, and pastes come unwrapped (the session does not ask for bracketed paste); termina
/// keeps an unterminated OSC or DCS sequence for as long as bytes come, and a flush does not
/// drop it, so without this a watcher's stray `ESC ]` would grow the parser's buffer forever.
const LONGEST_SEQUENCE: usize = 256;

#[derive(Default)]
pub struct KeyParser {
    parser: termina::Parser,
    /// Bytes fed since the parser last gave an event: what it may be holding.
    unfinished: usize,
    /// The parser may hold the start of a sequence: a flush is due if nothing more comes.
    waiting: bool,
}

impl KeyParser {
    /// Takes the bytes of one packet; returns the keys complete in them. An incomplete
    /// sequence waits for more bytes or [`Self::flush`].
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<KeyEvent> {
        self.parser.parse(bytes, true);
        let (keys, events) = self.drain();
        // An Esc in this packet may have begun a sequence; one begun before still waits if
        // the packet finished nothing.
        self.waiting = bytes.contains(&0x1b) || (self.waiting && events == 0);
        self.unfinished = if events > 0 {
            0
        } else {
            self.unfinished + bytes.len()
        };
        if self.unfinished > LONGEST_SEQUENCE {
            self.forget();
        }
        keys
    }

    /// Whether the parser may hold the start of a sequence (see [`ESC_WAIT`]).
    pub fn waiting(&self) -> bool {
        self.waiting
    }

    /// No more bytes came: what waits is what it is (a lone Esc is the Esc key), and what
    /// cannot be a key is dropped.
    pub fn flush(&mut self) -> Vec<KeyEvent> {
        self.parser.parse(&[], false);
        let (keys, _) = self.drain();
        self.forget();
        keys
    }

    fn forget(&mut self) {
        *self = Self::default();
    }

    /// The keys among the parser's events, and how many events there were.
    fn drain(&mut self) -> (Vec<KeyEvent>, usize) {
        let mut events = 0;
        let keys = std::iter::from_fn(|| self.parser.pop())
            .inspect(|_| events += 1)
            .filter_map(|event| match event {
                termina::Event::Key(key) => convert(key),
                _ => None,
            })
            .collect();
        (keys, events)
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
        assert!(keys.waiting());
        // A packet without an Esc that does not finish the sequence leaves it waiting.
        assert!(keys.feed(b"1;5").is_empty());
        assert!(keys.waiting());
        assert_eq!(codes(&keys.feed(b"A")), [KeyCode::Up]);
        assert!(!keys.waiting());
        assert!(keys.flush().is_empty(), "nothing left waiting");
    }

    /// termina keeps an unterminated OSC while bytes come, and a flush does not drop it: the
    /// keys after it were swallowed for good, and the buffer grew with every byte.
    #[test]
    fn an_unterminated_sequence_is_dropped_not_kept() {
        let mut keys = KeyParser::default();
        assert!(keys.feed(b"\x1b]").is_empty());
        assert!(keys.flush().is_empty());
        assert_eq!(codes(&keys.feed(b"q")), [KeyCode::Char('q')]);

        // Without a pause to flush it: dropped once it is longer than any key.
        assert!(keys.feed(b"\x1b]").is_empty());
        for _ in 0..4 {
            keys.feed(&[b'x'; 100]);
        }
        assert!(keys.unfinished <= LONGEST_SEQUENCE);
        assert_eq!(codes(&keys.feed(b"q")), [KeyCode::Char('q')]);
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
