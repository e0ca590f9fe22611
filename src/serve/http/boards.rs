//! Several boards on one server (SPEC §16): which boards a request asks for (`?board=`,
//! repeatable), and one stream that carries several boards' events, each saying whose.
//!
//! On a stream of several boards' frames, an event's id is the connection's place in every
//! board it carries: `NAME:ID` pairs joined by `,`, the event's own board first
//! (`bench1:17,bench2:9`). Sent back as `Last-Event-ID`, it resumes every board where it was.

use bytes::Bytes;

use super::streams::{ClientSlot, NextEvent};

/// A request's query: the token (browsers' EventSource sends no headers) and the boards asked
/// for, in order, each once.
#[derive(Debug, Default, PartialEq)]
pub struct Params {
    pub token: Option<String>,
    pub boards: Vec<String>,
}

impl Params {
    pub fn parse(query: Option<&str>) -> Self {
        let mut params = Params::default();
        for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match &*key {
                "token" => params.token = Some(value.into_owned()),
                "board" if !params.boards.iter().any(|b| *b == value) => {
                    params.boards.push(value.into_owned());
                }
                _ => {}
            }
        }
        params
    }
}

/// The indices of the boards asked for by `asked` among `names` (none asked: every board),
/// or the sentence for a name that is not one of them.
pub fn chosen(names: &[&str], asked: &[String]) -> Result<Vec<usize>, String> {
    if asked.is_empty() {
        return Ok((0..names.len()).collect());
    }
    asked
        .iter()
        .map(|name| {
            names
                .iter()
                .position(|n| n == name)
                .ok_or_else(|| format!("no board {name} here (boards: {})\n", names.join(", ")))
        })
        .collect()
}

/// Each board's id in a `Last-Event-ID` of a stream of several: `NAME:ID` pairs (a name
/// may hold `:` itself, an id never does).
pub fn resume_ids(last_event_id: Option<&str>, board: &str) -> Option<String> {
    last_event_id?
        .split(',')
        .filter_map(|pair| pair.rsplit_once(':'))
        .find(|(name, _)| *name == board)
        .map(|(_, id)| id.to_owned())
}

/// Several boards' streams as one: each event as its board's stream made it, its id (when it
/// has one) made the connection's place in every board. A board's stream that ends leaves the
/// others; the whole ends when the last does.
pub struct Merged<W> {
    boards: Vec<MergedBoard<W>>,
    /// The rest of an event whose id line went out just before: the event's bytes are
    /// shared by every watcher, and only its head is made anew for this connection.
    rest: Option<Bytes>,
    /// Counts the connection as one watcher while it lives.
    _slot: Option<ClientSlot>,
}

struct MergedBoard<W> {
    name: String,
    stream: W,
    /// The id of the last event of this board sent on this connection.
    at: Option<String>,
    ended: bool,
}

impl<W: NextEvent> Merged<W> {
    pub fn new(boards: Vec<(String, W)>) -> Self {
        Self {
            boards: boards
                .into_iter()
                .map(|(name, stream)| MergedBoard {
                    name,
                    stream,
                    at: None,
                    ended: false,
                })
                .collect(),
            rest: None,
            _slot: None,
        }
    }

    /// The stream, counted as one watcher while it lives.
    pub fn holding(mut self, slot: ClientSlot) -> Self {
        self._slot = Some(slot);
        self
    }

    /// `event` of board `from` with its `id:` line (if any) saying every board's place: the
    /// head up to that line made anew, and the rest of the event as it is (not copied).
    fn placed(&mut self, from: usize, event: Bytes) -> (Bytes, Option<Bytes>) {
        let Some((start, id, end)) = id_line(&event) else {
            return (event, None);
        };
        let id = String::from_utf8_lossy(id).into_owned();
        let mut head = event[..start].to_vec();
        head.extend_from_slice(b"id: ");
        head.extend_from_slice(self.boards[from].name.as_bytes());
        head.push(b':');
        head.extend_from_slice(id.as_bytes());
        for (i, board) in self.boards.iter().enumerate() {
            if let Some(at) = board.at.as_ref().filter(|_| i != from) {
                head.push(b',');
                head.extend_from_slice(board.name.as_bytes());
                head.push(b':');
                head.extend_from_slice(at.as_bytes());
            }
        }
        head.push(b'\n');
        self.boards[from].at = Some(id);
        (Bytes::from(head), Some(event.slice(end..)))
    }
}

/// Where an event's `id:` line starts, its id, and where the line ends (after its `\n`). The
/// line is among the event's first lines (after `retry:` at most): only its head is searched.
fn id_line(event: &[u8]) -> Option<(usize, &[u8], usize)> {
    const HEAD: usize = 64;
    let head = &event[..event.len().min(HEAD)];
    let start = if head.starts_with(b"id: ") {
        0
    } else {
        memchr::memmem::find(head, b"\nid: ")? + 1
    };
    let value = start + 4;
    let end = value + memchr::memchr(b'\n', &event[value..])?;
    Some((start, &event[value..end], end + 1))
}

impl<W: NextEvent> NextEvent for Merged<W> {
    async fn next(&mut self) -> Option<Bytes> {
        if let Some(rest) = self.rest.take() {
            return Some(rest);
        }
        loop {
            let live: Vec<usize> = (0..self.boards.len())
                .filter(|&i| !self.boards[i].ended)
                .collect();
            if live.is_empty() {
                return None;
            }
            // Every board's next event at once; the first ready goes out, the others are
            // asked again next time (each stream's `next` gives up nothing when dropped).
            let (event, which) = {
                let waits = self
                    .boards
                    .iter_mut()
                    .filter(|b| !b.ended)
                    .map(|b| Box::pin(b.stream.next()));
                let (event, which, _rest) = futures_util::future::select_all(waits).await;
                (event, live[which])
            };
            match event {
                Some(event) => {
                    let (head, rest) = self.placed(which, event);
                    self.rest = rest;
                    return Some(head);
                }
                None => self.boards[which].ended = true,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boards_are_asked_for_by_repeating_board() {
        let params = Params::parse(Some("board=a&token=t%20x&board=b%2F1&board=a"));
        assert_eq!(params.token.as_deref(), Some("t x"));
        assert_eq!(params.boards, ["a", "b/1"]);
        let names = ["a", "b/1", "c"];
        assert_eq!(chosen(&names, &params.boards), Ok(vec![0, 1]));
        assert_eq!(chosen(&names, &[]), Ok(vec![0, 1, 2]));
        assert_eq!(
            chosen(&names, &["z".into()]),
            Err("no board z here (boards: a, b/1, c)\n".into())
        );
    }

    #[test]
    fn a_resumed_id_names_each_boards_place() {
        let id = Some("bench1:17,[::1]/events:9");
        assert_eq!(resume_ids(id, "bench1").as_deref(), Some("17"));
        assert_eq!(resume_ids(id, "[::1]/events").as_deref(), Some("9"));
        assert_eq!(resume_ids(id, "bench2"), None);
        assert_eq!(resume_ids(None, "bench1"), None);
    }

    #[test]
    fn the_id_line_is_found_after_a_retry_line() {
        let text = b"retry: 2000\nid: 4\nevent: frame\ndata: x\n\n";
        let (start, id, end) = id_line(text).unwrap();
        assert_eq!((&text[..start], id), (&b"retry: 2000\n"[..], &b"4"[..]));
        assert_eq!(&text[end..], b"event: frame\ndata: x\n\n");
        assert_eq!(id_line(b": heartbeat\n\n"), None);
        // An `id:` deep in the data is no id line.
        let deep = format!("data: {}\nid: 9\n\n", "x".repeat(100));
        assert_eq!(id_line(deep.as_bytes()), None);
    }

    /// A stream of fixed events, for the merge.
    struct Fixed(std::collections::VecDeque<&'static str>);

    impl NextEvent for Fixed {
        async fn next(&mut self) -> Option<Bytes> {
            self.0.pop_front().map(|e| Bytes::from_static(e.as_bytes()))
        }
    }

    #[tokio::test]
    async fn merged_events_say_every_boards_place_their_own_first() {
        let a = Fixed(["id: 1\nevent: frame\ndata: a\n\n"].into());
        let b = Fixed(["id: 7\nevent: frame\ndata: b\n\n", ": heartbeat\n\n"].into());
        let mut merged = Merged::new(vec![("a".into(), a), ("b".into(), b)]);
        // An event may go out in pieces (its head made for the connection, then the rest):
        // the events are what the pieces make together.
        let mut text = String::new();
        while let Some(piece) = merged.next().await {
            text.push_str(std::str::from_utf8(&piece).unwrap());
        }
        let seen: Vec<String> = text.split_inclusive("\n\n").map(str::to_owned).collect();
        assert_eq!(seen.len(), 3, "{seen:?}");
        assert!(seen.contains(&": heartbeat\n\n".to_owned()));
        let a_event = seen.iter().find(|e| e.ends_with("data: a\n\n")).unwrap();
        let b_event = seen.iter().find(|e| e.ends_with("data: b\n\n")).unwrap();
        // Whichever came second knows the other's place.
        let (first, second) =
            if seen.iter().position(|e| e == a_event) < seen.iter().position(|e| e == b_event) {
                ((a_event, "id: a:1\n"), (b_event, "id: b:7,a:1\n"))
            } else {
                ((b_event, "id: b:7\n"), (a_event, "id: a:1,b:7\n"))
            };
        assert!(first.0.starts_with(first.1), "{}", first.0);
        assert!(second.0.starts_with(second.1), "{}", second.0);
    }
}
