//! The server's own analysis as SSE events (SPEC §12, the `/analysis` stream): what the
//! terminal shows, made once per snapshot for every browser, so a page never runs an FFT of
//! its own and never shows another number than the screen. Each event is the headless report
//! (SPEC §5) with the spectrum, in dBFS, and the recent latencies beside it.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::time::Instant;

use super::publish::Publishers;
use crate::snapshot::Snapshot;
use crate::stats::{Counters, Rates};

/// Pages get at most this many analyses a second (the screen's figures change at 4 Hz too).
pub const EVERY: Duration = Duration::from_millis(250);
/// A page draws at most this many points of a spectrum: more bins are merged, keeping the
/// strongest of each group, so no peak is lost and a phone's link is not flooded.
pub const MAX_POINTS: usize = 1024;
/// Rates are taken over about this long.
const RATE_SPAN: Duration = Duration::from_secs(1);

/// What the feed adds beside the snapshot: the hubs it publishes to, the watchers now.
pub struct Context {
    pub publishers: Option<Arc<Publishers>>,
    pub watchers: Arc<super::metrics::Watchers>,
}

/// Starts the feed: the latest analysis event, ready to send (`None` before the first).
pub fn start(
    mut snapshots: watch::Receiver<Arc<Snapshot>>,
    context: Context,
) -> watch::Receiver<Option<Bytes>> {
    let (tx, rx) = watch::channel(None);
    tokio::spawn(async move {
        let start = Instant::now();
        let mut history: VecDeque<(Instant, Counters)> = VecDeque::new();
        let mut next = Instant::now();
        loop {
            tokio::time::sleep_until(next).await;
            if snapshots.changed().await.is_err() {
                return;
            }
            let now = Instant::now();
            next = now + EVERY;
            let snapshot = snapshots.borrow_and_update().clone();
            history.push_back((now, snapshot.counters));
            while history.len() > 2 && now - history[1].0 >= RATE_SPAN {
                history.pop_front();
            }
            let (then, earlier) = history[0];
            let rates = Rates::between(&earlier, &snapshot.counters, (now - then).as_secs_f64());
            let t = (now - start).as_secs_f64();
            let value = event(&snapshot, &context, t, rates, now.into_std());
            let wire = format!("event: analysis\ndata: {value}\n\n");
            if tx.send(Some(Bytes::from(wire))).is_err() {
                return;
            }
        }
    });
    rx
}

/// One analysis: SPEC §5's report with `type: "analysis"`, and what a page draws.
pub fn event(
    snapshot: &Snapshot,
    context: &Context,
    t: f64,
    rates: Rates,
    now: std::time::Instant,
) -> Value {
    let mut value = crate::headless::line("analysis", snapshot, t, rates, now);
    let group = snapshot.spectrum.len().div_ceil(MAX_POINTS).max(1);
    let object = value.as_object_mut().expect("an object");
    object.insert(
        "spectrum".into(),
        json!({
            "db": strongest_db(&snapshot.spectrum, group),
            "held_db": strongest_db(&snapshot.held, group),
            "bins": snapshot.spectrum.len(),
            "bins_per_point": group,
            "bin_hz": snapshot.bin_hz,
            "dc_bins": snapshot.dc_bins(),
            "origin": match snapshot.origin {
                Some(crate::analysis::Origin::Received { .. }) => "board",
                Some(crate::analysis::Origin::Computed) => "computed",
                None => "none",
            },
            "window": snapshot.spectrum_window().map(|w| w.name()),
        }),
    );
    let recent: Vec<f64> = snapshot
        .latency_recent
        .iter()
        .map(|&ms| (f64::from(ms) * 100.0).round() / 100.0)
        .collect();
    object.insert("latency_recent_ms".into(), recent.into());
    object.insert(
        "watchers".into(),
        json!({
            "sse": context.watchers.sse.load(std::sync::atomic::Ordering::Relaxed),
            "ssh": context.watchers.ssh.load(std::sync::atomic::Ordering::Relaxed),
        }),
    );
    if let Some(publishers) = &context.publishers {
        object.insert("publish".into(), publishers.report_json());
    }
    value
}

/// Power per bin as dBFS to a tenth, the strongest of every `group` bins.
fn strongest_db(power: &[f32], group: usize) -> Vec<f64> {
    power
        .chunks(group)
        .map(|chunk| {
            let strongest = chunk.iter().copied().fold(0.0f32, f32::max);
            let db = 10.0 * f64::from(strongest.max(1e-30)).log10();
            (db.max(-300.0) * 10.0).round() / 10.0
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_bins_keep_their_strongest_and_read_in_dbfs() {
        let power = [1e-6, 1.0, 0.01, 0.25, 0.0];
        assert_eq!(strongest_db(&power, 2), vec![0.0, -6.0, -300.0]);
        assert_eq!(strongest_db(&power, 1)[2], -20.0);
    }
}
