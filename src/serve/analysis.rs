//! The server's own analysis as SSE events (SPEC §12, the `/analysis` stream): what the
//! terminal shows, made once per snapshot for every browser, so a page never runs an FFT of
//! its own and never shows another number than the screen. Each `analysis` event is the
//! summary object (SPEC §5) with the spectrum, in dBFS, and the recent latencies beside it;
//! `waterfall` events carry the snapshot's own waterfall lines, each line formatted once and
//! sent to each page once.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::time::Instant;

use super::publish::Publishers;
use crate::analysis::power_to_db;
use crate::snapshot::Snapshot;
use crate::summary;

/// Pages get at most this many analyses a second (the screen's figures change at 4 Hz too).
pub const EVERY: Duration = Duration::from_millis(250);
/// With no new snapshot, an analysis still goes out this often: the ages, the rates and a
/// retry's countdown move on, and the page knows the server is there.
pub const QUIET_EVERY: Duration = Duration::from_secs(1);
/// A page draws at most this many points of a spectrum: more bins are merged, keeping the
/// strongest of each group, so no peak is lost and a phone's link is not flooded.
pub const MAX_POINTS: usize = 1024;
/// Waterfall lines a page is given (the newest of the snapshot's).
pub const PAGE_LINES: usize = 200;

/// What the feed adds beside the snapshot: the hubs it publishes to, the watchers now.
pub struct Context {
    pub publishers: Option<Arc<Publishers>>,
    pub watchers: Arc<super::metrics::Watchers>,
    /// The board's name, said in every event, when the server has several (SPEC §16).
    pub board: Option<String>,
}

/// One analysis, ready for every page: the `analysis` event and the waterfall's latest lines.
#[derive(Debug)]
pub struct Analysis {
    pub event: Bytes,
    pub waterfall: Waterfall,
}

/// The newest waterfall lines, each numbered (the waterfall's own count of lines made) and
/// formatted once as a JSON array of whole dBFS.
#[derive(Clone, Debug, Default)]
pub struct Waterfall {
    pub lines: Arc<[(u64, Bytes)]>,
    pub spectra_per_line: usize,
    /// The board's name as JSON, when the server has several.
    pub board: Option<Arc<str>>,
}

impl Waterfall {
    /// The `waterfall` event for a page that has the lines up to `seen` (none: it has none),
    /// or `None` when it has them all. `kept` tells the page how many lines the history holds
    /// now: fewer than it has means the history started over (a new FFT size).
    pub fn event_after(&self, seen: Option<u64>) -> Option<Bytes> {
        let new: Vec<&(u64, Bytes)> = self
            .lines
            .iter()
            .filter(|(n, _)| seen.is_none_or(|s| *n > s))
            .collect();
        let first = new.first()?.0;
        let board = self
            .board
            .as_ref()
            .map_or(String::new(), |b| format!("\"board\":{b},"));
        let mut data = format!(
            "{{{board}\"first\":{first},\"kept\":{},\"spectra_per_line\":{},\"lines\":[",
            self.lines.len(),
            self.spectra_per_line
        )
        .into_bytes();
        for (i, (_, line)) in new.iter().enumerate() {
            if i > 0 {
                data.push(b',');
            }
            data.extend_from_slice(line);
        }
        let mut event = b"event: waterfall\ndata: ".to_vec();
        event.extend_from_slice(&data);
        event.extend_from_slice(b"]}\n\n");
        Some(Bytes::from(event))
    }

    /// The newest line's number.
    pub fn newest(&self) -> Option<u64> {
        self.lines.last().map(|(n, _)| *n)
    }
}

/// Starts the feed: the latest analysis (`None` before the first).
pub fn start(
    mut snapshots: watch::Receiver<Arc<Snapshot>>,
    context: Context,
) -> watch::Receiver<Option<Arc<Analysis>>> {
    let (tx, rx) = watch::channel(None);
    let board: Option<Arc<str>> = context
        .board
        .as_ref()
        .map(|b| serde_json::to_string(b).expect("a string").into());
    tokio::spawn(async move {
        let start = Instant::now();
        let mut next = Instant::now();
        let mut lines: VecDeque<(u64, Bytes)> = VecDeque::new();
        loop {
            tokio::time::sleep_until(next).await;
            tokio::select! {
                changed = snapshots.changed() => if changed.is_err() { return },
                () = tokio::time::sleep(QUIET_EVERY) => {}
            }
            let now = Instant::now();
            next = now + EVERY;
            let snapshot = snapshots.borrow_and_update().clone();
            let t = (now - start).as_secs_f64();
            let value = event(&snapshot, &context, t, now.into_std());
            keep_lines(&mut lines, &snapshot);
            let analysis = Analysis {
                event: Bytes::from(format!("event: analysis\ndata: {value}\n\n")),
                waterfall: Waterfall {
                    lines: lines.iter().cloned().collect(),
                    spectra_per_line: snapshot.spectra_per_line,
                    board: board.clone(),
                },
            };
            if tx.send(Some(Arc::new(analysis))).is_err() {
                return;
            }
        }
    });
    rx
}

/// The page's lines: those of the snapshot's history not formatted yet are, the oldest
/// beyond [`PAGE_LINES`] and those the history no longer holds (it started over) go.
fn keep_lines(lines: &mut VecDeque<(u64, Bytes)>, snapshot: &Snapshot) {
    let made = snapshot.waterfall_lines_made;
    let held = snapshot.waterfall.len() as u64;
    let oldest_held = made.saturating_sub(held.min(PAGE_LINES as u64));
    lines.retain(|(n, _)| *n >= oldest_held && *n < made);
    let after = lines.back().map_or(oldest_held, |(n, _)| n + 1);
    for n in after.max(oldest_held)..made {
        let line = &snapshot.waterfall[(n + held - made) as usize];
        let group = line.power.len().div_ceil(MAX_POINTS).max(1);
        let db: Vec<i32> = strongest_db(&line.power, group, 0)
            .into_iter()
            .map(|db| db as i32)
            .collect();
        let text = serde_json::to_string(&db).expect("numbers");
        lines.push_back((n, Bytes::from(text)));
    }
}

/// One analysis: SPEC §5's object with `type: "analysis"`, and what a page draws.
pub fn event(snapshot: &Snapshot, context: &Context, t: f64, now: std::time::Instant) -> Value {
    let mut value = summary::object("analysis", snapshot, t, snapshot.rates(now), now);
    let group = snapshot.spectrum.len().div_ceil(MAX_POINTS).max(1);
    let object = value.as_object_mut().expect("an object");
    object.insert(
        "spectrum".into(),
        json!({
            "db": strongest_db(&snapshot.spectrum, group, 1),
            "held_db": strongest_db(&snapshot.held, group, 1),
            "reference_db": snapshot.reference.as_deref().map(|r| strongest_db(r, group, 1)),
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
    if let Some(board) = &context.board {
        object.insert("board".into(), board.clone().into());
    }
    value
}

/// Power per bin as dBFS rounded to `digits` decimals, the strongest of every `group` bins.
fn strongest_db(power: &[f32], group: usize, digits: i32) -> Vec<f64> {
    let scale = 10f64.powi(digits);
    power
        .chunks(group)
        .map(|chunk| {
            let strongest = chunk.iter().copied().fold(0.0f32, f32::max);
            (f64::from(power_to_db(strongest)) * scale).round() / scale
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::FLOOR_DB;
    use crate::analysis::waterfall::WaterfallLine;
    use crate::snapshot::sample::sample_snapshot;

    #[test]
    fn merged_bins_keep_their_strongest_and_read_in_dbfs() {
        let power = [1e-6, 1.0, 0.01, 0.25, 0.0];
        let floor = f64::from(FLOOR_DB);
        assert_eq!(strongest_db(&power, 2, 1), vec![0.0, -6.0, floor]);
        assert_eq!(strongest_db(&power, 1, 1)[2], -20.0);
    }

    /// A snapshot whose waterfall holds lines `made - held .. made`, line n all at -n dB.
    fn with_lines(made: u64, held: u64) -> Snapshot {
        let mut snapshot = sample_snapshot(std::time::Instant::now());
        snapshot.waterfall = (made - held..made)
            .map(|n| WaterfallLine {
                power: vec![10f32.powf(-(n as f32) / 10.0); 4].into(),
                seconds: 0.1,
            })
            .collect();
        snapshot.waterfall_lines_made = made;
        snapshot
    }

    fn numbers(lines: &VecDeque<(u64, Bytes)>) -> Vec<u64> {
        lines.iter().map(|(n, _)| *n).collect()
    }

    /// Lines are formatted once, in order, the newest `PAGE_LINES` kept; a history that
    /// started over (fewer lines held than made since) drops what it no longer holds.
    #[test]
    fn the_pages_lines_follow_the_snapshots_history() {
        let mut lines = VecDeque::new();
        keep_lines(&mut lines, &with_lines(3, 3));
        assert_eq!(numbers(&lines), [0, 1, 2]);
        assert_eq!(&lines[2].1[..], b"[-2,-2,-2,-2]");
        keep_lines(&mut lines, &with_lines(5, 5));
        assert_eq!(numbers(&lines), [0, 1, 2, 3, 4]);
        keep_lines(&mut lines, &with_lines(600, 512));
        assert_eq!(lines.len(), PAGE_LINES);
        assert_eq!(lines.back().unwrap().0, 599);
        // The history starts over: two lines since.
        keep_lines(&mut lines, &with_lines(602, 2));
        assert_eq!(numbers(&lines), [600, 601]);
    }

    /// A page gets each line once: all it can have at first, then only the new ones.
    #[test]
    fn a_page_is_sent_each_line_once() {
        let mut lines = VecDeque::new();
        keep_lines(&mut lines, &with_lines(3, 3));
        let waterfall = Waterfall {
            lines: lines.iter().cloned().collect(),
            spectra_per_line: 4,
            board: None,
        };
        let first = waterfall.event_after(None).unwrap();
        let text = std::str::from_utf8(&first).unwrap();
        let data: Value = serde_json::from_str(
            text.strip_prefix("event: waterfall\ndata: ")
                .unwrap()
                .trim(),
        )
        .unwrap();
        assert_eq!(data["first"], 0);
        assert_eq!(data["kept"], 3);
        assert_eq!(data["lines"].as_array().unwrap().len(), 3);
        assert_eq!(data["lines"][1][0], -1);
        let later = waterfall.event_after(Some(1)).unwrap();
        assert!(std::str::from_utf8(&later).unwrap().contains("\"first\":2"));
        assert!(waterfall.event_after(waterfall.newest()).is_none());
    }
}
