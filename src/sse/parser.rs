//! The event-stream parser of the WHATWG HTML standard ("Server-sent events", §9.2.6),
//! incremental: bytes in at any split, events out.
//!
//! Why not eventsource-client's parser: the defects SSE-CONFORMANCE.md lists for 0.18.0
//! are in its parser (a `retry` alone ignored, `retry: +1500` accepted, an `id`-only block
//! lost, invalid UTF-8 dropping the event, a block with nothing to dispatch ending the
//! connection, no bound on line or event size). A guard on its byte stream would have to
//! split lines, track ids and retries, repair UTF-8 and count sizes — that is, parse the
//! stream itself, after which the crate's parser could only add its bugs and a second pass
//! over every byte. Its reconnect loop has the rest of the list (204 retried forever, any
//! Content-Type accepted, errors only logged), so the client around this parser is ours too.

/// The default bound on one event's data (`--max-event-bytes`).
pub const DEFAULT_MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;
/// How much of an overlong line is kept: enough for its field name.
const OVERLONG_HEAD: usize = 16;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseEvent {
    /// The event type; `message` when the stream gave none.
    pub event_type: String,
    pub data: String,
    /// The last event id at dispatch (persists across events and connections).
    pub id: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    Event(SseEvent),
    /// A valid `retry:` field: the reconnection time in milliseconds.
    Retry(u64),
    /// An event whose data passed the size bound was dropped.
    TooLarge {
        bytes: usize,
    },
}

pub struct Parser {
    max_event_bytes: usize,
    /// A line that spans chunks.
    line: Vec<u8>,
    /// The current line passed the bound: only its head is kept, and its length counted.
    line_overflow: bool,
    overflow_bytes: usize,
    /// The previous chunk ended in CR: a leading LF in this one belongs to it.
    after_cr: bool,
    /// Bytes of the stream seen so far (for the one leading BOM).
    started: bool,
    data: String,
    event_type: String,
    /// The event's data passed the bound: it will be dropped at dispatch.
    data_overflow: usize,
    /// What `id:` lines set; it becomes the last event id only when an event is
    /// dispatched, so a connection cut in the middle of an event does not skip it.
    id_buffer: String,
    /// The last event id: what the next request's `Last-Event-ID` says.
    last_event_id: String,
}

/// The text of `bytes`, each byte that is not UTF-8 as U+FFFD. Valid text (all of it, from a
/// sane publisher) is checked by `str::from_utf8`, whose validation goes a word at a time
/// through ASCII; `from_utf8_lossy` walks byte by byte, and was the client's largest cost.
fn utf8_lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

impl Parser {
    pub fn new(max_event_bytes: usize) -> Self {
        Self {
            max_event_bytes,
            line: Vec::new(),
            line_overflow: false,
            overflow_bytes: 0,
            after_cr: false,
            started: false,
            data: String::new(),
            event_type: String::new(),
            data_overflow: 0,
            id_buffer: String::new(),
            last_event_id: String::new(),
        }
    }

    /// The last event id, for the next request's `Last-Event-ID`.
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    pub fn set_last_event_id(&mut self, id: &str) {
        self.last_event_id = id.to_owned();
        self.id_buffer = id.to_owned();
    }

    /// A new connection: a new stream (its own BOM, no half line, no half event), the same
    /// last id — the `id:` of an event cut off with the old connection is forgotten.
    pub fn reconnected(&mut self) {
        let id = std::mem::take(&mut self.last_event_id);
        *self = Self::new(self.max_event_bytes);
        self.set_last_event_id(&id);
    }

    /// Parses `chunk`; everything complete goes to `out`.
    pub fn push(&mut self, mut chunk: &[u8], out: &mut impl FnMut(Parsed)) {
        if !self.started && !chunk.is_empty() {
            // Only the stream's first BOM is stripped; it may arrive split.
            self.line.extend_from_slice(chunk);
            if self.line.len() < 3 && b"\xEF\xBB\xBF".starts_with(&self.line) {
                return;
            }
            self.started = true;
            let head = std::mem::take(&mut self.line);
            let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
            self.push(head, out);
            return;
        }
        if self.after_cr {
            self.after_cr = false;
            if let Some(rest) = chunk.strip_prefix(b"\n") {
                chunk = rest;
            }
        }
        // memchr's vectorised search: a frame event's data line is some 3 KB.
        while let Some(end) = memchr::memchr2(b'\n', b'\r', chunk) {
            let terminator = chunk[end];
            if self.line.is_empty() && !self.line_overflow {
                // The common case: the whole line is in this chunk.
                self.line_done(&chunk[..end], out);
            } else {
                self.append(&chunk[..end]);
                let line = std::mem::take(&mut self.line);
                if self.line_overflow {
                    self.overlong_line_done(&line);
                } else {
                    self.line_done(&line, out);
                }
                self.line = line;
                self.line.clear();
                self.line_overflow = false;
            }
            chunk = &chunk[end + 1..];
            if terminator == b'\r' {
                match chunk.first() {
                    Some(b'\n') => chunk = &chunk[1..],
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
        }
        self.append(chunk);
    }

    fn append(&mut self, bytes: &[u8]) {
        if self.line_overflow {
            self.overflow_bytes += bytes.len();
            return;
        }
        if self.line.len() + bytes.len() > self.max_event_bytes.saturating_add(OVERLONG_HEAD) {
            // Longer than any event may be: keep only its head, to know its field.
            self.overflow_bytes = self.line.len() + bytes.len();
            self.line_overflow = true;
            self.line.truncate(OVERLONG_HEAD);
            self.line.shrink_to(OVERLONG_HEAD);
        } else {
            self.line.extend_from_slice(bytes);
        }
    }

    /// A line too long to keep: if it was data, its event is dropped at dispatch.
    fn overlong_line_done(&mut self, head: &[u8]) {
        let name = head.split(|&b| b == b':').next().unwrap_or(head);
        if name == b"data" {
            self.data_overflow = self.data_overflow.max(self.data.len()) + self.overflow_bytes;
            self.data = String::new();
        }
        self.overflow_bytes = 0;
    }

    fn line_done(&mut self, line: &[u8], out: &mut impl FnMut(Parsed)) {
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line[0] == b':' {
            return; // a comment
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match name {
            b"data" => {
                // The bound is on the event as it is kept: a byte that is not UTF-8 becomes
                // U+FFFD, three bytes, so the text is measured after decoding (a line of
                // 0xFF bytes within the bound on the wire would be three times it here).
                let text = utf8_lossy(value);
                if self.data_overflow > 0 || self.data.len() + text.len() + 1 > self.max_event_bytes
                {
                    self.data_overflow = self.data_overflow.max(self.data.len()) + text.len() + 1;
                    self.data = String::new();
                } else {
                    self.data.push_str(&text);
                    self.data.push('\n');
                }
            }
            b"event" => self.event_type = utf8_lossy(value).into_owned(),
            // An id with NUL is ignored; an empty one resets the last id (at dispatch).
            b"id" if !value.contains(&0) => {
                self.id_buffer = utf8_lossy(value).into_owned();
            }
            // Digits only ("+1500" or "1000x" are ignored); more than a u64 holds: the most.
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                let ms = std::str::from_utf8(value)
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(u64::MAX);
                out(Parsed::Retry(ms));
            }
            _ => {} // unknown fields are ignored
        }
    }

    fn dispatch(&mut self, out: &mut impl FnMut(Parsed)) {
        // Even a block with no data (an `id:`-only block) sets the last event id.
        self.last_event_id.clone_from(&self.id_buffer);
        let event_type = std::mem::take(&mut self.event_type);
        if self.data_overflow > 0 {
            out(Parsed::TooLarge {
                bytes: self.data_overflow,
            });
            self.data_overflow = 0;
            self.data.clear();
            return;
        }
        if self.data.is_empty() {
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        data.pop(); // the last LF
        out(Parsed::Event(SseEvent {
            event_type: if event_type.is_empty() {
                "message".into()
            } else {
                event_type
            },
            data,
            id: self.last_event_id.clone(),
        }));
    }
}

#[cfg(test)]
mod tests;
