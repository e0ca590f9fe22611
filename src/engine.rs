//! Runs the pipeline on a thread of its own, so analysis never competes with the keys:
//! source events in through a bounded channel, control in, the latest snapshot out
//! through a `watch` (latest wins; nothing queues up behind a slow screen).

use std::sync::Arc;

use tokio::sync::{Notify, mpsc, oneshot, watch};
use tokio::time::Instant;

use crate::pipeline::Pipeline;
use crate::snapshot::Snapshot;
use crate::source::LocalSource;
use crate::vocabulary::{Control, SourceEvent};

pub struct Engine {
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    control: mpsc::UnboundedSender<Control>,
    /// Dropped to stop the pipeline (the control channel cannot say so: other screens hold
    /// senders of it).
    stop: Option<oneshot::Sender<()>>,
    /// Stops the pipeline from elsewhere while the engine is still held (a board gone silent
    /// in a check of several).
    stop_now: Arc<Notify>,
    /// The last snapshot, sent when the pipeline is done or told to stop.
    pub finished: oneshot::Receiver<Arc<Snapshot>>,
}

impl Engine {
    /// Starts the pipeline thread, with `beside` on it if given. A snapshot is published at
    /// most every [`Pipeline::publish_every`], and only when something changed.
    pub fn start(
        mut pipeline: Pipeline,
        mut events: mpsc::Receiver<SourceEvent>,
        beside: Option<LocalSource>,
    ) -> Self {
        let publish_every = pipeline.publish_every();
        let (snapshot_tx, snapshots) =
            watch::channel(Arc::new(pipeline.snapshot(std::time::Instant::now())));
        let (control_tx, mut control) = mpsc::unbounded_channel();
        let (finished_tx, finished) = oneshot::channel();
        let (stop, mut stopped) = oneshot::channel::<()>();
        let stop_now = Arc::new(Notify::new());
        let stop_asked = stop_now.clone();
        std::thread::Builder::new()
            .name("pipeline".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .build()
                    .expect("a current-thread runtime");
                let work = async move {
                    let mut next_publish = Instant::now();
                    let mut dirty = false;
                    let publish = |pipeline: &mut Pipeline, next: &mut Instant| {
                        let now = Instant::now();
                        snapshot_tx.send_replace(Arc::new(pipeline.snapshot(now.into_std())));
                        *next = now + publish_every;
                    };
                    loop {
                        // Stop first, then control, then the screen's deadline, then data: a
                        // flood of frames can neither starve the keys nor freeze the picture.
                        // The deadline is armed only when something changed, and a frame that
                        // comes after it publishes at once: no wake-up of its own is spent.
                        tokio::select! {
                            biased;
                            _ = &mut stopped => break,
                            () = stop_asked.notified() => break,
                            message = control.recv() => match message {
                                Some(message) => { pipeline.control(message); dirty = true; }
                                None => break,
                            },
                            () = tokio::time::sleep_until(next_publish), if dirty => {
                                publish(&mut pipeline, &mut next_publish);
                                dirty = false;
                            },
                            event = events.recv() => match event {
                                Some(event) => {
                                    pipeline.handle(event);
                                    dirty = true;
                                    if pipeline.is_done() { break; }
                                    if Instant::now() >= next_publish {
                                        publish(&mut pipeline, &mut next_publish);
                                        dirty = false;
                                    }
                                }
                                None => break,
                            },
                        }
                    }
                    // A source beside stops at its next send.
                    drop(events);
                    let last = Arc::new(pipeline.final_snapshot(std::time::Instant::now()));
                    snapshot_tx.send_replace(last.clone());
                    let _ = finished_tx.send(last);
                };
                // The source beside ends when it finds the receiver gone (the work above
                // dropped it on its way out).
                let beside = async move {
                    if let Some(source) = beside {
                        source().await;
                    }
                };
                runtime.block_on(async { tokio::join!(work, beside) });
            })
            .expect("spawn the pipeline thread");
        Self {
            snapshots,
            control: control_tx,
            stop: Some(stop),
            stop_now,
            finished,
        }
    }

    /// A way to stop the pipeline from elsewhere: it ends as [`Engine::stop`] ends it, and
    /// its last snapshot comes by `finished` and the snapshots' end.
    pub fn stopper(&self) -> impl Fn() + Send + Sync + 'static {
        let stop_now = self.stop_now.clone();
        // A permit is kept when the pipeline is not waiting at that moment.
        move || stop_now.notify_one()
    }

    /// A way to ask for changes from elsewhere (other screens: SSH sessions).
    pub fn controller(&self) -> impl Fn(Control) + Clone + Send + Sync + 'static {
        let control = self.control.clone();
        move |message| {
            let _ = control.send(message);
        }
    }

    /// Asks the pipeline for a change.
    pub fn control(&self, message: Control) {
        let _ = self.control.send(message);
    }

    /// Stops the pipeline, whoever else holds its controls, and returns its last snapshot.
    pub async fn stop(mut self) -> Arc<Snapshot> {
        drop(self.stop.take());
        match self.finished.await {
            Ok(last) => last,
            Err(_) => self.snapshots.borrow().clone(),
        }
    }
}
