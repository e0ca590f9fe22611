//! What a session's screen wrote and its link has not taken yet. The screen draws into the
//! outbox; a task of the session's hands it to the SSH channel, which waits for the watcher's
//! window. While more than [`LINK_BUDGET`] bytes wait, the screen's next picture waits too:
//! a slow link gets fewer pictures (the latest when it is ready), never a backlog, and never
//! slows another session or the source.

use std::future::Future;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::Notify;

use crate::serve::metrics::DelayHistogram;
use crate::ui::event_loop::Link;

/// Bytes a session may have on their way to the watcher before its next picture waits.
pub const LINK_BUDGET: usize = 64 * 1024;

#[derive(Default)]
pub struct Outbox {
    state: Mutex<Queued>,
    wake: Notify,
}

#[derive(Default)]
struct Queued {
    bytes: Vec<u8>,
    /// When the snapshots of the pictures in `bytes` were taken.
    taken: Vec<Instant>,
    /// The snapshot the picture being drawn shows, if it is one not drawn before (a picture
    /// redrawn for a key or a tick is not a snapshot's delay).
    drawing: Option<Instant>,
    last_drawn: Option<Instant>,
    /// Queued here plus handed to the channel and not yet through its window.
    unsent: usize,
    closed: bool,
}

impl Outbox {
    pub fn push(&self, bytes: &[u8]) {
        self.push_owned(bytes.to_vec());
    }

    /// A whole picture: handed over without a copy when nothing else waits (the usual case).
    pub fn push_owned(&self, bytes: Vec<u8>) {
        let mut state = self.state.lock().expect("outbox lock");
        if let Some(taken) = state.drawing.take() {
            state.taken.push(taken);
        }
        state.unsent += bytes.len();
        if state.bytes.is_empty() {
            state.bytes = bytes;
        } else {
            state.bytes.extend_from_slice(&bytes);
        }
        drop(state);
        self.wake.notify_one();
    }

    /// The snapshot the screen starts on: it counts as drawn (it may be old, on a quiet
    /// source, without anything being late).
    pub fn starts_on(&self, taken_at: Instant) {
        self.state.lock().expect("outbox lock").last_drawn = Some(taken_at);
    }

    /// Nothing more will be pushed: [`Self::deliver`] ends once what waits is handed over.
    pub fn close(&self) {
        self.state.lock().expect("outbox lock").closed = true;
        self.wake.notify_one();
    }

    /// Hands what waits to `link`, in order, until closed and empty or until the link fails
    /// (`link` returns false). Each picture's delay from its snapshot is recorded in `delays`
    /// once the link has taken it.
    pub async fn deliver<F, Fut>(&self, mut link: F, delays: &DelayHistogram)
    where
        F: FnMut(Bytes) -> Fut,
        Fut: Future<Output = bool>,
    {
        loop {
            let chunk = {
                let mut state = self.state.lock().expect("outbox lock");
                if state.bytes.is_empty() {
                    if state.closed {
                        return;
                    }
                    None
                } else {
                    Some((
                        std::mem::take(&mut state.bytes),
                        std::mem::take(&mut state.taken),
                    ))
                }
            };
            let Some((chunk, taken)) = chunk else {
                self.wake.notified().await;
                continue;
            };
            let length = chunk.len();
            if !link(Bytes::from(chunk)).await {
                return;
            }
            let sent = Instant::now();
            for taken in taken {
                delays.record(sent.saturating_duration_since(taken));
            }
            self.state.lock().expect("outbox lock").unsent -= length;
        }
    }
}

impl Link for Outbox {
    fn ready(&self) -> bool {
        self.state.lock().expect("outbox lock").unsent < LINK_BUDGET
    }

    fn drawing(&self, taken_at: Instant) {
        let mut state = self.state.lock().expect("outbox lock");
        // Set or cleared at every draw: a draw that sends nothing leaves no stale stamp.
        state.drawing = (state.last_drawn != Some(taken_at)).then_some(taken_at);
        state.last_drawn = Some(taken_at);
    }
}

/// The screen's writer: a picture collects here and goes to the outbox whole at the flush.
pub struct PictureWriter {
    buffer: Vec<u8>,
    outbox: Arc<Outbox>,
}

impl PictureWriter {
    pub fn new(outbox: Arc<Outbox>) -> Self {
        Self {
            buffer: Vec::new(),
            outbox,
        }
    }
}

impl io::Write for PictureWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buffer.is_empty() {
            self.outbox.push_owned(std::mem::take(&mut self.buffer));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::sync::mpsc;

    use super::*;

    /// A snapshot's delay is measured on its first picture only: a redraw for a tick or a key
    /// shows an older snapshot and would read as a late one, and the snapshot a session starts
    /// on may be old (a quiet source) without anything being late.
    #[test]
    fn a_snapshot_is_stamped_on_its_first_picture_only() {
        let outbox = Outbox::default();
        let start = Instant::now();
        let first = start + Duration::from_millis(20);
        let second = first + Duration::from_millis(33);
        // The session's first picture shows the snapshot it started on: not a delay.
        outbox.starts_on(start);
        outbox.drawing(start);
        outbox.push_owned(b"start".to_vec());
        outbox.drawing(first);
        outbox.push_owned(b"first".to_vec());
        outbox.drawing(first);
        outbox.push_owned(b"a tick later".to_vec());
        // The second snapshot changed no cell: nothing is pushed, and its stamp is not
        // carried over to the tick's redraw after it.
        outbox.drawing(second);
        outbox.drawing(second);
        outbox.push_owned(b"a tick later".to_vec());
        let state = outbox.state.lock().unwrap();
        assert_eq!(state.taken, [first]);
        assert_eq!(state.unsent, 34);
    }

    /// Pictures wait while a budget's worth of bytes is on its way; as the link takes them
    /// the screen may draw again, and what waited goes out in one piece, in order.
    #[tokio::test]
    async fn the_budget_holds_pictures_back_until_the_link_takes_the_bytes() {
        let outbox = Arc::new(Outbox::default());
        let delays = Arc::new(DelayHistogram::default());
        // A link that takes one piece at a time, when the test says so.
        let (taken_tx, mut taken) = mpsc::channel::<Bytes>(1);
        let deliver = tokio::spawn({
            let (outbox, delays) = (outbox.clone(), delays.clone());
            async move {
                outbox
                    .deliver(
                        |bytes| {
                            let taken_tx = taken_tx.clone();
                            async move { taken_tx.send(bytes).await.is_ok() }
                        },
                        &delays,
                    )
                    .await
            }
        });
        assert!(outbox.ready());
        outbox.drawing(Instant::now());
        outbox.push_owned(vec![b'a'; LINK_BUDGET - 1]);
        assert!(outbox.ready(), "under the budget");
        outbox.push(b"bc");
        assert!(!outbox.ready(), "at the budget the next picture waits");
        // The link takes what waits, as one piece or two, in order; then there is room.
        let mut got = Vec::new();
        while got.len() < LINK_BUDGET + 1 {
            got.extend_from_slice(&taken.recv().await.unwrap());
        }
        assert!(got[..LINK_BUDGET - 1].iter().all(|&b| b == b'a'));
        assert_eq!(&got[LINK_BUDGET - 1..], b"bc");
        // The piece is taken once the next one is asked for: close to end the loop.
        outbox.close();
        drop(taken);
        deliver.await.unwrap();
        assert!(outbox.ready());
        assert_eq!(delays.count(), 1, "one snapshot's picture was delivered");
    }

    /// A link that fails ends the delivery (it returns without being closed), and what it
    /// failed to take is not counted as taken.
    #[tokio::test]
    async fn a_failed_link_ends_the_delivery() {
        let outbox = Outbox::default();
        let delays = DelayHistogram::default();
        outbox.drawing(Instant::now());
        outbox.push(b"picture");
        outbox.deliver(|_| async { false }, &delays).await;
        assert_eq!(outbox.state.lock().unwrap().unsent, 7);
        assert_eq!(delays.count(), 0);
    }
}
