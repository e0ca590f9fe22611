//! `GET /metrics` (SPEC §9): the served source's figures in the Prometheus text format
//! (OpenMetrics), through `prometheus-client` with a registry of our own. Everything is read
//! at scrape time from the latest snapshot, so a scrape shows what the screens show. With
//! several boards every board's series carries its `board` label (SPEC §16), each family once.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::exemplar::Exemplar;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;
use tokio::sync::watch;

use super::publish::Publishers;
use crate::analysis::adc::AdcFigures;
use crate::analysis::sinefit::SineFit;
use crate::link::LinkState;
use crate::snapshot::Snapshot;
use crate::stats::latency::HISTOGRAM_BOUNDS_S;

/// The content type of what [`Metrics::render`] writes.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Watchers connected now, by transport, and how long SSH pictures take to leave.
#[derive(Debug, Default)]
pub struct Watchers {
    pub sse: AtomicUsize,
    pub ssh: AtomicUsize,
    pub ssh_picture_delay: DelayHistogram,
    /// HTTP connections accepted since the start, by the protocol they speak.
    pub http1_connections: AtomicU64,
    pub http2_connections: AtomicU64,
}

/// Upper bounds of the picture delay buckets, seconds: fine up to a little past a frame
/// interval at 30 fps (where a session on a good link sits: a snapshot may wait for its
/// frame slot), coarse above.
pub const PICTURE_DELAY_BOUNDS_S: [f64; 19] = [
    0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.03, 0.035, 0.04, 0.05,
    0.075, 0.1, 0.25, 0.5, 1.0,
];

/// A histogram many sessions record into without a lock.
#[derive(Debug, Default)]
pub struct DelayHistogram {
    /// Per bucket of [`PICTURE_DELAY_BOUNDS_S`], the last for everything above.
    counts: [AtomicU64; PICTURE_DELAY_BOUNDS_S.len() + 1],
    sum_us: AtomicU64,
}

impl DelayHistogram {
    pub fn record(&self, delay: std::time::Duration) {
        let seconds = delay.as_secs_f64();
        let bucket = PICTURE_DELAY_BOUNDS_S.partition_point(|&bound| bound < seconds);
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(delay.as_micros()).unwrap_or(u64::MAX);
        self.sum_us.fetch_add(micros, Ordering::Relaxed);
    }

    /// Delays recorded.
    pub fn count(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    /// Sum in seconds, count, and (upper bound, count) per bucket, as the encoder wants them.
    fn read(&self) -> (f64, u64, Vec<(f64, u64)>) {
        let buckets: Vec<(f64, u64)> = PICTURE_DELAY_BOUNDS_S
            .iter()
            .copied()
            .chain([f64::INFINITY])
            .zip(self.counts.iter().map(|c| c.load(Ordering::Relaxed)))
            .collect();
        let count = buckets.iter().map(|(_, n)| n).sum();
        let sum = self.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        (sum, count, buckets)
    }
}

pub struct Metrics {
    registry: Registry,
}

/// One board as the metrics read it: its name (`None`: the server's only board, no label),
/// its latest snapshot, the hubs it publishes to.
pub struct MetricsBoard {
    pub name: Option<String>,
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    pub publishers: Option<Arc<Publishers>>,
}

impl Metrics {
    pub fn new(boards: Vec<MetricsBoard>, watchers: Arc<Watchers>) -> Self {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(SnapshotCollector { boards, watchers }));
        Self { registry }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

struct SnapshotCollector {
    boards: Vec<MetricsBoard>,
    watchers: Arc<Watchers>,
}

impl std::fmt::Debug for SnapshotCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SnapshotCollector")
    }
}

/// Exemplars are not used; the encoder's signature wants their type.
type NoExemplars = std::collections::HashMap<usize, Exemplar<Vec<(String, String)>, f64>>;

/// A series' labels: the board's, or none for the only board.
type Labels = Vec<(String, String)>;

/// A counter family, a series a board.
fn counter(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    values: &[(Labels, u64)],
) -> std::fmt::Result {
    let series: Vec<(&Labels, ConstCounter)> = values
        .iter()
        .map(|(l, v)| (l, ConstCounter::new(*v)))
        .collect();
    family(encoder, name, help, MetricType::Counter, &series)
}

/// A gauge family, a series a board that has a value; no family when none has.
fn gauge(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    values: &[(Labels, Option<f64>)],
) -> std::fmt::Result {
    let series: Vec<(&Labels, ConstGauge<f64>)> = values
        .iter()
        .filter_map(|(l, v)| Some((l, ConstGauge::new((*v)?))))
        .collect();
    if series.is_empty() {
        return Ok(());
    }
    family(encoder, name, help, MetricType::Gauge, &series)
}

fn family(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    kind: MetricType,
    series: &[(&Labels, impl EncodeMetric)],
) -> std::fmt::Result {
    let mut family = encoder.encode_descriptor(name, help, None, kind)?;
    for (labels, metric) in series {
        if labels.is_empty() {
            metric.encode(family.encode_family(&Vec::<(String, String)>::new())?)?;
        } else {
            metric.encode(family.encode_family(*labels)?)?;
        }
    }
    Ok(())
}

impl Collector for SnapshotCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        let boards: Vec<(Labels, Arc<Snapshot>)> = self
            .boards
            .iter()
            .map(|b| {
                let labels = b
                    .name
                    .iter()
                    .map(|name| ("board".to_owned(), name.clone()))
                    .collect();
                (labels, b.snapshots.borrow().clone())
            })
            .collect();
        let each = |read: &dyn Fn(&Snapshot) -> u64| -> Vec<(Labels, u64)> {
            boards.iter().map(|(l, s)| (l.clone(), read(s))).collect()
        };
        let each_f = |read: &dyn Fn(&Snapshot) -> Option<f64>| -> Vec<(Labels, Option<f64>)> {
            boards.iter().map(|(l, s)| (l.clone(), read(s))).collect()
        };
        // Counter names go without `_total`: the encoder adds it, as OpenMetrics wants.
        let e = &mut encoder;
        counter(
            e,
            "sse_tui_frames",
            "Frames accepted from the source",
            &each(&|s| s.counters.frames),
        )?;
        counter(
            e,
            "sse_tui_bad_frames",
            "Frames rejected (CRC, format, range)",
            &each(&|s| s.counters.bad_frames),
        )?;
        counter(
            e,
            "sse_tui_dropped_frames",
            "Gaps in seq",
            &each(&|s| s.counters.dropped),
        )?;
        counter(
            e,
            "sse_tui_reconnects",
            "Reconnections of the source",
            &each(&|s| s.counters.reconnects),
        )?;
        counter(
            e,
            "sse_tui_received_bytes",
            "Bytes read from the source",
            &each(&|s| s.counters.bytes),
        )?;
        gauge(
            e,
            "sse_tui_source_up",
            "1 while the source is connected",
            &each_f(&|s| Some(f64::from(u8::from(s.link == LinkState::Connected)))),
        )?;

        let watchers = encoder.encode_descriptor(
            "sse_tui_watchers",
            "Watchers connected now",
            None,
            MetricType::Gauge,
        )?;
        let mut watchers = watchers;
        for (transport, count) in [("sse", &self.watchers.sse), ("ssh", &self.watchers.ssh)] {
            let labels = [("transport".to_owned(), transport.to_owned())];
            let value = ConstGauge::new(count.load(Ordering::Relaxed) as i64);
            value.encode(watchers.encode_family(&labels)?)?;
        }

        let mut connections = encoder.encode_descriptor(
            "sse_tui_http_connections",
            "HTTP connections accepted, by protocol (HTTP/2 only over TLS, by ALPN)",
            None,
            MetricType::Counter,
        )?;
        for (protocol, count) in [
            ("http/1.1", &self.watchers.http1_connections),
            ("h2", &self.watchers.http2_connections),
        ] {
            let labels = [("protocol".to_owned(), protocol.to_owned())];
            ConstCounter::new(count.load(Ordering::Relaxed))
                .encode(connections.encode_family(&labels)?)?;
        }

        // The help says what the first board's latency is (relative without timestamps).
        let help = match boards.first().and_then(|(_, s)| s.latency).map(|l| l.kind) {
            Some(crate::stats::latency::LatencyKind::Relative) => {
                "Frame latency above the fastest frames (the device clock's offset and rate removed)"
            }
            _ => "Frame latency, arrival minus the sender's timestamp",
        };
        let mut latency = encoder.encode_descriptor(
            "sse_tui_latency_seconds",
            help,
            None,
            MetricType::Histogram,
        )?;
        for (labels, s) in &boards {
            let h = &s.latency_histogram;
            let buckets: Vec<(f64, u64)> = HISTOGRAM_BOUNDS_S
                .iter()
                .copied()
                .chain([f64::INFINITY])
                .zip(h.counts)
                .collect();
            latency
                .encode_family(labels)?
                .encode_histogram::<Vec<(String, String)>>(
                    h.sum_s,
                    h.count,
                    &buckets,
                    None::<&NoExemplars>,
                )?;
        }

        let (sum, count, buckets) = self.watchers.ssh_picture_delay.read();
        encoder
            .encode_descriptor(
                "sse_tui_ssh_picture_delay_seconds",
                "From a snapshot to its picture handed to the SSH connection (serve --ssh)",
                None,
                MetricType::Histogram,
            )?
            .encode_histogram::<Vec<(String, String)>>(
                sum,
                count,
                &buckets,
                None::<&NoExemplars>,
            )?;

        let e = &mut encoder;
        gauge(
            e,
            "sse_tui_peak_frequency_hertz",
            "The strongest non-DC component",
            &each_f(&|s| s.peak.and(s.peak_hz())),
        )?;
        gauge(
            e,
            "sse_tui_peak_dbfs",
            "Its level, dBFS",
            &each_f(&|s| s.peak.map(|p| p.dbfs)),
        )?;
        type Read = fn(&AdcFigures) -> Option<f64>;
        let adc_figures: [(&str, &str, Read); 5] = [
            (
                "sse_tui_adc_snr_db",
                "Signal to noise ratio (IEEE 1241)",
                |a| a.snr_db,
            ),
            (
                "sse_tui_adc_sinad_db",
                "Signal to noise and distortion",
                |a| a.sinad_db,
            ),
            ("sse_tui_adc_enob_bits", "Effective number of bits", |a| {
                a.enob_bits
            }),
            (
                "sse_tui_adc_thd_db",
                "Total harmonic distortion, dBc",
                |a| a.thd_db,
            ),
            (
                "sse_tui_adc_sfdr_db",
                "Spurious-free dynamic range, dBc",
                |a| a.sfdr_dbc,
            ),
        ];
        for (name, help, read) in adc_figures {
            gauge(e, name, help, &each_f(&|s| s.adc.as_ref().and_then(read)))?;
        }
        let datasheet: Vec<Vec<Figure>> =
            boards.iter().map(|(_, s)| datasheet_figures(s)).collect();
        for (i, &(name, help, _)) in datasheet.first().into_iter().flatten().enumerate() {
            let values: Vec<(Labels, Option<f64>)> = boards
                .iter()
                .zip(&datasheet)
                .map(|((labels, _), figures)| (labels.clone(), figures[i].2))
                .collect();
            gauge(e, name, help, &values)?;
        }
        let publishing: Vec<(&Labels, &Arc<Publishers>)> = boards
            .iter()
            .zip(&self.boards)
            .filter_map(|((labels, _), b)| Some((labels, b.publishers.as_ref()?)))
            .collect();
        if !publishing.is_empty() {
            let mut family = encoder.encode_descriptor(
                "sse_tui_published_events",
                "Events pushed to each hub (--publish), by outcome",
                None,
                MetricType::Counter,
            )?;
            for (board, publishers) in publishing {
                for report in publishers.reports() {
                    for (outcome, value) in [("ok", report.ok), ("failed", report.failed)] {
                        let mut labels = board.clone();
                        labels.push(("hub".to_owned(), report.url.clone()));
                        labels.push(("outcome".to_owned(), outcome.to_owned()));
                        ConstCounter::new(value).encode(family.encode_family(&labels)?)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// A gauge's name, its help, and its value when there is one.
type Figure = (&'static str, &'static str, Option<f64>);

/// SPEC §15's figures where the snapshot has them: the single tone's noise density and
/// spurs, two tones' intermodulation, the sine fit, and the code-density test (its figures
/// only once ready: before, they describe too few samples or a test whose premises fail).
fn datasheet_figures(s: &Snapshot) -> Vec<Figure> {
    let adc = s.adc.as_ref();
    let imd = s.imd.as_ref();
    let fit = s.sinefit.as_ref();
    let linearity = s.linearity.as_ref();
    let ready = linearity.filter(|l| l.is_ready());
    vec![
        (
            "sse_tui_adc_nsd_dbfs_hz",
            "Noise spectral density, dBFS/Hz",
            adc.and_then(|adc| adc.nsd_dbfs_hz(s.bin_hz)),
        ),
        (
            "sse_tui_adc_sfdr_dbfs",
            "Spurious-free dynamic range to full scale, dBFS",
            adc.and_then(AdcFigures::sfdr_dbfs),
        ),
        (
            "sse_tui_adc_worst_other_spur_dbc",
            "The strongest spur besides the 2nd and 3rd harmonics, dBc",
            adc.and_then(|adc| Some(dbfs(adc.worst_other_spur()?.power) - adc.fundamental_dbfs)),
        ),
        (
            "sse_tui_imd2_dbc",
            "Two tones' worse second-order intermodulation product, dBc",
            imd.and_then(|imd| imd.worst_dbc(2)),
        ),
        (
            "sse_tui_imd3_dbc",
            "Two tones' worse third-order intermodulation product, dBc",
            imd.and_then(|imd| imd.worst_dbc(3)),
        ),
        (
            "sse_tui_sinefit_sinad_db",
            "SINAD of the four-parameter sine fit of the latest block",
            fit.map(SineFit::sinad_db),
        ),
        (
            "sse_tui_sinefit_enob_bits",
            "ENOB of the four-parameter sine fit of the latest block",
            fit.map(SineFit::enob_bits),
        ),
        (
            "sse_tui_linearity_progress",
            "How far the code-density test is toward +-0.1 LSB (1: there)",
            linearity.map(|l| l.progress.min(1.0)),
        ),
        (
            "sse_tui_linearity_dnl_min_lsb",
            "Code-density test: the smallest DNL, LSB",
            ready.map(|l| l.dnl_min),
        ),
        (
            "sse_tui_linearity_dnl_max_lsb",
            "Code-density test: the largest DNL, LSB",
            ready.map(|l| l.dnl_max),
        ),
        (
            "sse_tui_linearity_inl_min_lsb",
            "Code-density test: the smallest INL, LSB",
            ready.map(|l| l.inl_min),
        ),
        (
            "sse_tui_linearity_inl_max_lsb",
            "Code-density test: the largest INL, LSB",
            ready.map(|l| l.inl_max),
        ),
        (
            "sse_tui_linearity_missing_codes",
            "Code-density test: codes never seen",
            ready.map(|l| l.missing_codes.len() as f64),
        ),
    ]
}

/// A power relative to a full-scale sine's, in dBFS.
fn dbfs(power: f64) -> f64 {
    10.0 * power.log10()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::analysis::linearity::Withheld;
    use crate::snapshot::sample::{
        sample_adc, sample_imd, sample_linearity, sample_sinefit, sample_snapshot,
    };
    use crate::summary::path::SummaryPath;

    /// The samples of a scrape of `snapshot`: name (with labels) and value.
    fn scrape(snapshot: Snapshot) -> std::collections::BTreeMap<String, f64> {
        let (_keep, snapshots) = watch::channel(Arc::new(snapshot));
        let board = MetricsBoard {
            name: None,
            snapshots,
            publishers: None,
        };
        let text = Metrics::new(vec![board], Arc::default()).render();
        text.lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let (name, value) = line.rsplit_once(' ')?;
                Some((name.to_owned(), value.parse().ok()?))
            })
            .collect()
    }

    /// The summary's number at `path` for `snapshot`.
    fn summary_number(snapshot: &Snapshot, path: &str) -> f64 {
        let object =
            crate::summary::object("summary", snapshot, 1.0, Default::default(), Instant::now());
        SummaryPath::parse(path)
            .unwrap()
            .read(&object)
            .unwrap_or_else(|| panic!("{path} in {object}"))
    }

    /// Each gauge against the summary's number for it (which rounds to 0.01 or 0.001).
    fn assert_gauges_read_the_summary(snapshot: &Snapshot, pairs: &[(&str, &str)]) {
        let metrics = scrape(snapshot.clone());
        for &(gauge, path) in pairs {
            let scraped = *metrics
                .get(gauge)
                .unwrap_or_else(|| panic!("no {gauge} in {metrics:?}"));
            let summary = summary_number(snapshot, path);
            assert!(
                (scraped - summary).abs() <= 0.0051,
                "{gauge} {scraped}, the summary's {path} {summary}"
            );
        }
    }

    /// A single tone with a finished code-density test: every §15 gauge is the summary's
    /// number, and the two tones' are absent.
    #[test]
    fn the_datasheet_gauges_are_the_summarys_numbers() {
        let mut snapshot = sample_snapshot(Instant::now());
        snapshot.adc = Some(sample_adc());
        snapshot.sinefit = Some(sample_sinefit());
        snapshot.linearity = Some(sample_linearity());
        assert_gauges_read_the_summary(
            &snapshot,
            &[
                ("sse_tui_adc_nsd_dbfs_hz", "adc.nsd_dbfs_hz"),
                ("sse_tui_adc_sfdr_dbfs", "adc.sfdr_dbfs"),
                (
                    "sse_tui_adc_worst_other_spur_dbc",
                    "adc.worst_other_spur.dbc",
                ),
                ("sse_tui_sinefit_sinad_db", "sinefit.sinad_db"),
                ("sse_tui_sinefit_enob_bits", "sinefit.enob_bits"),
                ("sse_tui_linearity_progress", "linearity_progress"),
                ("sse_tui_linearity_dnl_min_lsb", "linearity.dnl_min"),
                ("sse_tui_linearity_dnl_max_lsb", "linearity.dnl_max"),
                ("sse_tui_linearity_inl_min_lsb", "linearity.inl_min"),
                ("sse_tui_linearity_inl_max_lsb", "linearity.inl_max"),
            ],
        );
        let metrics = scrape(snapshot.clone());
        // The sample's worst spur is the -20 dBFS tone: 20 dB under full scale.
        assert_eq!(metrics["sse_tui_adc_sfdr_dbfs"], 20.0);
        assert_eq!(metrics["sse_tui_linearity_missing_codes"], 1.0);
        assert_eq!(metrics["sse_tui_linearity_progress"], 1.0);
        assert!(!metrics.contains_key("sse_tui_imd3_dbc"), "{metrics:?}");
    }

    /// Two tones: IMD2 and IMD3 are the summary's, and the single tone's gauges are absent.
    #[test]
    fn two_tones_give_the_intermodulation_gauges() {
        let mut snapshot = sample_snapshot(Instant::now());
        snapshot.imd = Some(sample_imd());
        assert_gauges_read_the_summary(
            &snapshot,
            &[
                ("sse_tui_imd2_dbc", "imd.imd2_dbc"),
                ("sse_tui_imd3_dbc", "imd.imd3_dbc"),
            ],
        );
        let metrics = scrape(snapshot);
        // The sample's products: -78 and -69.5 dBFS against tones at -7 dBFS.
        assert!(
            (metrics["sse_tui_imd2_dbc"] + 71.0).abs() < 1e-9,
            "{metrics:?}"
        );
        assert!(
            (metrics["sse_tui_imd3_dbc"] + 62.5).abs() < 1e-9,
            "{metrics:?}"
        );
        for absent in ["sse_tui_adc_nsd_dbfs_hz", "sse_tui_adc_sfdr_dbfs"] {
            assert!(!metrics.contains_key(absent), "{absent}: {metrics:?}");
        }
    }

    /// Until the code-density test is ready (too few samples, or its premises not met) only
    /// its progress is a gauge: DNL and INL of too few samples would page someone wrongly.
    #[test]
    fn linearity_figures_wait_until_the_test_is_ready() {
        let mut early = sample_linearity();
        early.progress = 0.25;
        let mut withheld = sample_linearity();
        withheld.withheld = Some(Withheld::PhasesRepeat { coverage: 0.1 });
        for (linearity, progress) in [(early, 0.25), (withheld, 1.0)] {
            let mut snapshot = sample_snapshot(Instant::now());
            snapshot.linearity = Some(linearity);
            let metrics = scrape(snapshot);
            assert_eq!(metrics["sse_tui_linearity_progress"], progress);
            let figures: Vec<&String> = metrics
                .keys()
                .filter(|name| {
                    name.starts_with("sse_tui_linearity_") && !name.ends_with("progress")
                })
                .collect();
            assert!(figures.is_empty(), "{figures:?}");
        }
        let metrics = scrape(sample_snapshot(Instant::now()));
        assert!(
            !metrics
                .keys()
                .any(|name| name.starts_with("sse_tui_linearity")
                    || name.starts_with("sse_tui_sinefit")),
            "{metrics:?}"
        );
    }

    /// A bucket holds the delays up to and including its bound, as Prometheus's `le` says.
    #[test]
    fn delays_fall_in_the_bucket_their_bound_admits() {
        let h = DelayHistogram::default();
        for ms in [0.5, 0.6, 33.0, 5000.0] {
            h.record(Duration::from_secs_f64(ms / 1000.0));
        }
        let (sum, count, buckets) = h.read();
        assert_eq!(count, 4);
        assert!((sum - 5.0341).abs() < 1e-6, "{sum}");
        let at = |bound: f64| buckets.iter().find(|(b, _)| *b == bound).unwrap().1;
        assert_eq!(
            (at(0.0005), at(0.001), at(0.035), at(f64::INFINITY)),
            (1, 1, 1, 1)
        );
    }
}
