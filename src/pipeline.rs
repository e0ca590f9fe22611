//! The pipeline: source events in, analysis and statistics updated, snapshots out.
//! Pure logic: time comes in with the events, nothing here touches I/O but the recorder.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crate::analysis::{Analyzer, AnalyzerSettings, WindowKind, is_valid_fft_size};
use crate::clock::{Arrival, Clock};
use crate::frame::{Decoded, Frame, Payload, SenderTime};
use crate::link::{ClockSync, LinkState};
use crate::record::Recorder;
use crate::snapshot::Snapshot;
use crate::source::SourceEvent;
use crate::stats::Stats;

/// Changes asked for by the user (keys) or by a source (the clock probe).
#[derive(Clone, Debug, PartialEq)]
pub enum Control {
    SetFftSize(usize),
    SetWindow(WindowKind),
    SetChannel(usize),
    SetAveraging(bool),
    SetPeakHold(bool),
    ResetStats,
    SetClockSync(ClockSync),
}

#[derive(Clone, Debug, Default)]
pub struct PipelineConfig {
    pub source: String,
    pub settings: AnalyzerSettings,
    /// `--rate`: for frames that do not carry one.
    pub rate: Option<f64>,
    /// Stop after this many accepted frames (`--frames`).
    pub frame_limit: Option<u64>,
    /// Replayed frames carry old Unix timestamps: treat them as a device clock.
    pub historic_timestamps: bool,
    pub record: Option<PathBuf>,
}

pub struct Pipeline {
    config: PipelineConfig,
    clock: Clock,
    analyzer: Analyzer,
    stats: Stats,
    link: LinkState,
    was_disconnected: bool,
    sample_rate: Option<f64>,
    channels: usize,
    labels: Option<Arc<[String]>>,
    clock_sync: ClockSync,
    /// When the last accepted frame arrived, on the clock's monotonic scale.
    last_frame_mono_us: Option<i64>,
    last_error: Option<String>,
    notice: Option<String>,
    recorder: Option<Recorder>,
}

impl Pipeline {
    /// Fails only when the record file cannot be opened.
    pub fn new(config: PipelineConfig, clock: Clock) -> std::io::Result<Self> {
        let recorder = config
            .record
            .as_deref()
            .map(Recorder::append_to)
            .transpose()?;
        Ok(Self {
            analyzer: Analyzer::new(config.settings),
            stats: Stats::new(),
            link: LinkState::Connecting,
            was_disconnected: false,
            sample_rate: config.rate,
            channels: 0,
            labels: None,
            clock_sync: ClockSync::Uncorrected,
            last_frame_mono_us: None,
            last_error: None,
            notice: None,
            recorder,
            config,
            clock,
        })
    }

    pub fn link(&self) -> &LinkState {
        &self.link
    }

    /// Finished: the source ended or failed, or `--frames` was reached.
    pub fn is_done(&self) -> bool {
        self.link.is_final() || self.limit_reached()
    }

    fn limit_reached(&self) -> bool {
        self.config
            .frame_limit
            .is_some_and(|n| self.stats.frames() >= n)
    }

    pub fn handle(&mut self, event: SourceEvent) {
        match event {
            SourceEvent::Status(state) => self.set_link(state),
            SourceEvent::Notice(text) => self.notice = Some(text),
            SourceEvent::ClockSync(sync) => self.clock_sync = sync,
            SourceEvent::Data {
                arrival,
                bytes,
                items,
            } => {
                self.stats.add_bytes(bytes);
                for item in items {
                    if self.limit_reached() {
                        break;
                    }
                    self.take(item, arrival);
                }
            }
        }
    }

    fn set_link(&mut self, state: LinkState) {
        tracing::info!(source = %self.config.source, state = ?state, "link");
        if state == LinkState::Connected && self.was_disconnected {
            self.stats.add_reconnect();
        }
        match &state {
            LinkState::Disconnected { .. } => self.was_disconnected = true,
            LinkState::Connected => self.was_disconnected = false,
            _ => {}
        }
        self.link = state;
    }

    fn take(&mut self, item: Decoded, arrival: Arrival) {
        match item {
            Decoded::Frame(frame) => self.ingest(frame, arrival),
            Decoded::Bad(e) => {
                self.stats.add_bad();
                self.last_error = Some(e.to_string());
            }
            Decoded::Ignored(_) => self.stats.add_ignored(),
        }
    }

    /// One frame through statistics and analysis.
    pub fn ingest(&mut self, mut frame: Frame, arrival: Arrival) {
        if let Some(recorder) = &mut self.recorder
            && let Err(e) = recorder.write(&frame)
        {
            self.last_error = Some(format!("recording stopped: {e}"));
            self.recorder = None;
        }
        if self.config.historic_timestamps
            && let Some(SenderTime::Unix(us)) = frame.sent_at
        {
            frame.sent_at = Some(SenderTime::Device(us));
        }
        let sample_rate = frame.sample_rate.or(self.config.rate);
        let offset_us = match self.clock_sync {
            ClockSync::Probed { offset_us, .. } => offset_us,
            ClockSync::Uncorrected => 0,
        };
        if !self
            .stats
            .add_frame(&frame, sample_rate, arrival, offset_us)
        {
            return;
        }
        let dt = self
            .last_frame_mono_us
            .map_or(0.0, |last| (arrival.mono_us - last) as f64 / 1e6);
        self.last_frame_mono_us = Some(arrival.mono_us);
        self.sample_rate = sample_rate;
        if frame.channels != self.channels || frame.labels != self.labels {
            self.channels = frame.channels;
            self.labels = frame.labels.clone();
        }
        match &frame.payload {
            Payload::Samples(values) => {
                self.analyzer
                    .push_samples(values, frame.channels, sample_rate, dt)
            }
            Payload::Spectrum(power) => {
                self.analyzer
                    .push_spectrum(power, frame.channels, sample_rate, dt)
            }
        };
    }

    /// The strongest component now (a snapshot computes it too; this is for benchmarks).
    pub fn peak(&self) -> Option<crate::analysis::Peak> {
        self.analyzer.peak()
    }

    pub fn control(&mut self, control: Control) {
        match control {
            Control::SetFftSize(n) if is_valid_fft_size(n) => self.analyzer.set_fft_size(n),
            Control::SetFftSize(_) => {}
            Control::SetWindow(w) => self.analyzer.set_window(w),
            Control::SetChannel(c) => self.analyzer.set_channel(c),
            Control::SetAveraging(on) => self.analyzer.set_averaging(on),
            Control::SetPeakHold(on) => self.analyzer.set_peak_hold(on),
            Control::ResetStats => {
                self.stats.reset();
                self.analyzer.clear_spectrum();
                self.last_error = None;
            }
            Control::SetClockSync(sync) => self.clock_sync = sync,
        }
    }

    /// Writes out what the recorder holds.
    pub fn flush(&mut self) {
        if let Some(recorder) = &mut self.recorder
            && let Err(e) = recorder.flush()
        {
            self.last_error = Some(format!("recording stopped: {e}"));
            self.recorder = None;
        }
    }

    pub fn snapshot(&mut self) -> Snapshot {
        let now = Instant::now();
        let latency = self.stats.latency(self.clock.mono_us(now));
        Snapshot {
            taken_at: now,
            source: self.config.source.clone(),
            link: self.link.clone(),
            settings: self.analyzer.settings(),
            sample_rate: self.sample_rate,
            channels: self.channels,
            labels: self.labels.clone(),
            spectrum: self.analyzer.spectrum().into(),
            held: self.analyzer.held().into(),
            origin: self.analyzer.origin(),
            bin_hz: self.analyzer.bin_hz(),
            peak: self.analyzer.peak(),
            counters: self.stats.counters(),
            latency,
            clock_sync: self.clock_sync,
            negative_latency: self.stats.latency_window().negative(),
            latency_recent: self.stats.latency_window().recent_ms().collect(),
            jitter_ms: self.stats.jitter_ms(),
            last_frame_at: self
                .last_frame_mono_us
                .map(|us| self.clock.start() + std::time::Duration::from_micros(us.max(0) as u64)),
            last_error: self.last_error.clone(),
            notice: self.notice.clone(),
        }
    }
}
