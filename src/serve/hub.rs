//! The fan-out: every frame encoded once into an SSE event, kept in a ring for
//! `Last-Event-ID` replay, and broadcast to every watcher through one bounded channel. A
//! watcher that falls behind loses the oldest events (it is told so), never slows the others.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use bytes::Bytes;
use tokio::sync::broadcast;

use super::publish::Publishers;
use crate::frame::{Decoded, Frame};
use crate::link::LinkState;
use crate::vocabulary::{EventForm, SourceEvent};
use crate::wire::{binary, json};

/// One event as it goes on the wire, shared by every watcher.
#[derive(Debug)]
pub struct Published {
    pub id: u32,
    pub wire: Bytes,
}

struct Ring {
    events: VecDeque<Arc<Published>>,
    capacity: usize,
    /// Ids for frames that carry no seq (text lines), and for status events.
    next_id: u32,
    last_id: u32,
}

pub struct Hub {
    ring: Mutex<Ring>,
    live: broadcast::Sender<Arc<Published>>,
    form: EventForm,
    /// The hubs further out that every event is also pushed to (`--publish`).
    publishers: Option<Arc<Publishers>>,
}

/// What a new watcher gets: what it missed, or a word that it cannot have it; then live.
pub struct Subscription {
    pub replay: Vec<Arc<Published>>,
    pub notice: Option<Bytes>,
    pub live: broadcast::Receiver<Arc<Published>>,
}

impl Hub {
    /// `ring` events are kept for replay; a watcher may fall `queue` events behind.
    pub fn new(ring: usize, queue: usize, form: EventForm) -> Arc<Self> {
        Self::publishing(ring, queue, form, None)
    }

    /// A hub that also hands every event to `publishers`.
    pub fn publishing(
        ring: usize,
        queue: usize,
        form: EventForm,
        publishers: Option<Arc<Publishers>>,
    ) -> Arc<Self> {
        let (live, _) = broadcast::channel(queue.max(1));
        Arc::new(Self {
            ring: Mutex::new(Ring {
                events: VecDeque::with_capacity(ring),
                capacity: ring.max(1),
                next_id: 0,
                last_id: 0,
            }),
            live,
            form,
            publishers,
        })
    }

    /// Publishes what a source event carries: its frames, or the link's new state.
    pub fn see(&self, event: &SourceEvent) {
        match event {
            SourceEvent::Data { items, .. } => {
                for item in items {
                    if let Decoded::Frame(frame) = item {
                        self.publish_frame(frame);
                    }
                }
            }
            SourceEvent::Status(state) => self.publish_status(state),
            _ => {}
        }
    }

    pub fn publish_frame(&self, frame: &Frame) {
        if frame.count() == 0 {
            return;
        }
        let mut ring = self.ring.lock().expect("hub lock");
        let id = frame.seq.unwrap_or(ring.next_id);
        ring.next_id = id.wrapping_add(1);
        let (event, data) = match self.form {
            EventForm::Frame => {
                // A frame without a seq (text input) travels with the id it was given.
                let mut bytes = Vec::new();
                let _ = binary::encode_frame_as(frame, id, &mut bytes);
                (
                    "frame",
                    base64::engine::general_purpose::STANDARD.encode(&bytes),
                )
            }
            // Without a seq, the JSON form takes it from the event id (SPEC §3).
            EventForm::Json => json::encode_event(frame),
        };
        self.push(&mut ring, id, event, &data);
    }

    /// The source's state, so watchers see it change (it keeps the last frame's id).
    pub fn publish_status(&self, state: &LinkState) {
        let mut ring = self.ring.lock().expect("hub lock");
        let reason = match state {
            LinkState::Disconnected { reason, .. } | LinkState::Failed(reason) => {
                Some(reason.as_str())
            }
            _ => None,
        };
        let data = serde_json::json!({ "state": state.name(), "reason": reason }).to_string();
        let id = ring.last_id;
        self.push(&mut ring, id, "status", &data);
    }

    fn push(&self, ring: &mut Ring, id: u32, event: &str, data: &str) {
        // Our data never holds CR or LF (base64, compact JSON): one `data:` line.
        debug_assert!(!data.contains(['\r', '\n']));
        let wire = Bytes::from(format!("id: {id}\nevent: {event}\ndata: {data}\n\n"));
        let published = Arc::new(Published { id, wire });
        if ring.events.len() == ring.capacity {
            ring.events.pop_front();
        }
        ring.events.push_back(published.clone());
        ring.last_id = id;
        // Sent under the ring's lock, so a new watcher's replay and live stream meet exactly.
        let _ = self.live.send(published);
        if let Some(publishers) = &self.publishers {
            publishers.offer(event, data);
        }
    }

    /// A new watcher: after `last_event_id` if the ring still has it, else live with a notice.
    pub fn subscribe(&self, last_event_id: Option<&str>) -> Subscription {
        let ring = self.ring.lock().expect("hub lock");
        let live = self.live.subscribe();
        let Some(last) = last_event_id else {
            return Subscription {
                replay: Vec::new(),
                notice: None,
                live,
            };
        };
        let position = last
            .trim()
            .parse::<u32>()
            .ok()
            .and_then(|id| ring.events.iter().rposition(|e| e.id == id));
        match position {
            Some(at) => Subscription {
                replay: ring.events.iter().skip(at + 1).cloned().collect(),
                notice: None,
                live,
            },
            None => {
                let held = match (ring.events.front(), ring.events.back()) {
                    (Some(first), Some(last)) => {
                        format!("it holds ids {} to {}", first.id, last.id)
                    }
                    _ => "it is empty".into(),
                };
                let data = serde_json::json!({
                    "reason": format!("event id {last:?} is not in the replay buffer ({held}); going live"),
                })
                .to_string();
                let notice = format!("id: {}\nevent: resync\ndata: {data}\n\n", ring.last_id);
                Subscription {
                    replay: Vec::new(),
                    notice: Some(Bytes::from(notice)),
                    live,
                }
            }
        }
    }

    /// The id of the newest event (for events that must carry one).
    pub fn last_id(&self) -> u32 {
        self.ring.lock().expect("hub lock").last_id
    }
}
