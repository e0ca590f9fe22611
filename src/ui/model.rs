//! What the screen loop runs: one board's screen ([`App`]) or the wall of several
//! ([`super::wall::Wall`]). The loop feeds it keys, snapshots and time, and draws it.

use std::sync::Arc;
use std::time::Instant;

use ratatui::layout::Rect;

use super::{App, Message, Request};
use crate::ansi::diff::Scroll;
use crate::snapshot::Snapshot;
use crate::vocabulary::Control;

/// A screen's state and logic, drawn as a widget (`&Self: Widget`). Boards are numbered in
/// the order the loop's snapshots were given; a control goes to the board it names.
pub trait Model {
    /// What decides the picture besides the boards' snapshots and the time: screens whose
    /// models have the same look show the same picture, so it is made once for them all
    /// (`super::studio`).
    type Look: Clone + Eq + std::hash::Hash + Send;

    /// The look, while the picture is one another screen may share; `None` while it shows
    /// something of this screen's own (help, markers, a frozen picture, a sentence).
    fn look(&self) -> Option<Self::Look>;
    /// Takes a key, a resize, a tick or a sentence to show; returns what a board's pipeline
    /// must change, if anything.
    fn update(&mut self, message: Message, now: Instant) -> Option<(usize, Control)>;
    /// Takes `board`'s newest snapshot.
    fn show(&mut self, board: usize, snapshot: Arc<Snapshot>, now: Instant);
    /// Takes `board`'s newest snapshot while a studio draws this screen: what only the
    /// picture needs may wait for [`Model::catch_up`].
    fn keep(&mut self, board: usize, snapshot: Arc<Snapshot>, now: Instant) {
        self.show(board, snapshot, now);
    }
    /// Before this screen draws itself again: what [`Model::keep`] left behind.
    fn catch_up(&mut self) {}
    /// What the pipelines must know before the first picture.
    fn start_controls(&self) -> Vec<(usize, Control)>;
    fn should_quit(&self) -> bool;
    /// What a key asked to have done outside the screen, once.
    fn take_request(&mut self) -> Option<Request>;
    /// See [`App::set_lowered`].
    fn set_lowered(&mut self, lowered: Option<(f32, u32)>) -> bool;
    /// See [`App::take_scroll`].
    fn take_scroll(&mut self, area: Rect) -> Option<Scroll>;
    /// When the newest snapshot shown was taken (the SSH side measures how long it takes to
    /// leave).
    fn taken_at(&self) -> Instant;
}

impl Model for App {
    type Look = super::Look;

    fn look(&self) -> Option<super::Look> {
        App::look(self)
    }

    fn update(&mut self, message: Message, now: Instant) -> Option<(usize, Control)> {
        App::update(self, message, now).map(|c| (0, c))
    }

    fn show(&mut self, _board: usize, snapshot: Arc<Snapshot>, now: Instant) {
        App::update(self, Message::Snapshot(snapshot), now);
    }

    fn keep(&mut self, _board: usize, snapshot: Arc<Snapshot>, now: Instant) {
        App::keep(self, snapshot, now);
    }

    fn catch_up(&mut self) {
        App::catch_up(self);
    }

    fn start_controls(&self) -> Vec<(usize, Control)> {
        self.start_control().map(|c| (0, c)).into_iter().collect()
    }

    fn should_quit(&self) -> bool {
        App::should_quit(self)
    }

    fn take_request(&mut self) -> Option<Request> {
        App::take_request(self)
    }

    fn set_lowered(&mut self, lowered: Option<(f32, u32)>) -> bool {
        App::set_lowered(self, lowered)
    }

    fn take_scroll(&mut self, area: Rect) -> Option<Scroll> {
        App::take_scroll(self, area)
    }

    fn taken_at(&self) -> Instant {
        self.snapshot().taken_at
    }
}
