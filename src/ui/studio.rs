//! Pictures made once for every screen that shows the same thing at the same size. A
//! thousand SSH sessions on the same view would otherwise each lay out the same picture and
//! each diff it against the last (BENCHMARKS.md: 57 % of such a server): a studio holds one
//! copy of the screen's model, brings it up to the boards' newest snapshots and the time when
//! a screen asks, draws it once, and hands every screen the picture and the cells that changed
//! since the picture before.
//!
//! A screen is drawn by a studio only while its model says how it looks in a way another can
//! share ([`Model::look`]); while it shows something of its own (help, markers, a frozen
//! picture, a sentence), it draws itself.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;
use tokio::sync::watch;

use super::Message;
use super::model::Model;
use crate::ansi::diff::{SharedPicture, Step, changed_cells, scroll_down, usable};
use crate::snapshot::Snapshot;

/// Ages and staleness are re-read this often when no data comes (the screen loop's tick).
pub const TICK: Duration = Duration::from_millis(250);

/// A studio as the screens drawn by it hold it.
pub type SharedStudio<M> = Arc<Mutex<Studio<M>>>;

type WeakStudio<M> = Weak<Mutex<Studio<M>>>;

/// The studios open now, one for each look some screen has.
pub struct Studios<M: Model> {
    boards: Vec<watch::Receiver<Arc<Snapshot>>>,
    /// Closed when the last screen lets go of it.
    open: Mutex<HashMap<M::Look, WeakStudio<M>>>,
}

impl<M: Model + Clone> Studios<M> {
    /// Studios for screens of these boards' snapshots, in the order the screens' models
    /// number the boards.
    pub fn new(boards: Vec<watch::Receiver<Arc<Snapshot>>>) -> Self {
        Self {
            boards,
            open: Mutex::new(HashMap::new()),
        }
    }

    /// The studio of `look` on a screen of `area`, opened from `model` (a screen that looks
    /// so) when none is open. It stays open while a screen holds it.
    pub fn studio(&self, look: &M::Look, model: &M, area: Rect) -> SharedStudio<M> {
        let mut open = self.open.lock().expect("studios lock");
        if let Some(studio) = open.get(look).and_then(Weak::upgrade) {
            return studio;
        }
        open.retain(|_, studio| studio.strong_count() > 0);
        let studio = Arc::new(Mutex::new(Studio::new(
            model.clone(),
            self.boards.clone(),
            area,
        )));
        open.insert(look.clone(), Arc::downgrade(&studio));
        studio
    }

    /// Studios open now (some screen holds each).
    pub fn open(&self) -> usize {
        let open = self.open.lock().expect("studios lock");
        open.values().filter(|s| s.strong_count() > 0).count()
    }
}

/// One look's model and its latest picture.
pub struct Studio<M> {
    id: u64,
    model: M,
    boards: Vec<watch::Receiver<Arc<Snapshot>>>,
    /// The snapshot of each board the model has been given.
    fed: Vec<Option<Arc<Snapshot>>>,
    area: Rect,
    ticked_at: Option<Instant>,
    latest: Option<SharedPicture>,
    made: u64,
}

impl<M: Model> Studio<M> {
    fn new(model: M, boards: Vec<watch::Receiver<Arc<Snapshot>>>, area: Rect) -> Self {
        static STUDIOS: AtomicU64 = AtomicU64::new(0);
        Self {
            id: STUDIOS.fetch_add(1, Ordering::Relaxed),
            model,
            fed: vec![None; boards.len()],
            boards,
            area,
            ticked_at: None,
            latest: None,
            made: 0,
        }
    }

    /// The picture of now: the model brought up to every board's newest snapshot (and, a
    /// tick after the last, to the time), drawn again only when one of those came.
    pub fn picture(&mut self, now: Instant) -> SharedPicture
    where
        for<'a> &'a M: Widget,
    {
        let mut news = self.latest.is_none();
        for (board, snapshots) in self.boards.iter().enumerate() {
            let newest = snapshots.borrow().clone();
            if !self.fed[board]
                .as_ref()
                .is_some_and(|fed| Arc::ptr_eq(fed, &newest))
            {
                self.model.show(board, newest.clone(), now);
                self.fed[board] = Some(newest);
                news = true;
            }
        }
        if self
            .ticked_at
            .is_none_or(|at| now.saturating_duration_since(at) >= TICK)
        {
            self.model.update(Message::Tick, now);
            self.ticked_at = Some(now);
            news = true;
        }
        if news {
            self.draw();
        }
        self.latest.clone().expect("drawn at least once")
    }

    /// When the newest snapshot the picture shows was taken.
    pub fn taken_at(&self) -> Instant {
        self.model.taken_at()
    }

    /// A new picture when it differs from the latest (or is the first).
    fn draw(&mut self)
    where
        for<'a> &'a M: Widget,
    {
        let area = self.area;
        let mut next = Buffer::empty(area);
        (&self.model).render(area, &mut next);
        let scroll = usable(self.model.take_scroll(area), area);
        let step = match &self.latest {
            Some(latest) => {
                let cells = match &scroll {
                    Some(s) => {
                        let mut before = (*latest.buffer).clone();
                        scroll_down(&mut before, s.rows.clone(), s.by);
                        owned(changed_cells(&before, &next))
                    }
                    None => owned(changed_cells(&latest.buffer, &next)),
                };
                if cells.is_empty() && scroll.is_none() {
                    return;
                }
                Step {
                    from: Some(latest.id),
                    scroll,
                    cells,
                }
            }
            None => Step::default(),
        };
        self.made += 1;
        self.latest = Some(SharedPicture {
            id: (self.id, self.made),
            buffer: Arc::new(next),
            step: Arc::new(step),
        });
    }
}

fn owned(cells: Vec<(u16, u16, &ratatui::buffer::Cell)>) -> Vec<(u16, u16, ratatui::buffer::Cell)> {
    cells
        .into_iter()
        .map(|(x, y, cell)| (x, y, cell.clone()))
        .collect()
}

/// Where the screen loop gets shared pictures: from [`Studios`], or nowhere (a local terminal
/// is the only screen of its model).
pub trait Pictures<M: Model> {
    fn studio(&self, look: &M::Look, model: &M, area: Rect) -> Option<SharedStudio<M>>;
}

impl<M: Model> Pictures<M> for () {
    fn studio(&self, _: &M::Look, _: &M, _: Rect) -> Option<SharedStudio<M>> {
        None
    }
}

impl<M: Model + Clone> Pictures<M> for &Studios<M> {
    fn studio(&self, look: &M::Look, model: &M, area: Rect) -> Option<SharedStudio<M>> {
        Some(Studios::studio(self, look, model, area))
    }
}

#[cfg(test)]
mod tests;
