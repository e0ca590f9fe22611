//! The pipeline: source events in, analysis and statistics updated, snapshots out.
//! Pure logic: time comes in with the events and with each snapshot asked for; nothing here
//! reads a clock or touches I/O.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::analysis::adc::{AdcFigures, AdcMeter, DEFAULT_HARMONICS};
use crate::analysis::trace::Trace;
use crate::analysis::waterfall::{DEFAULT_SPECTRA_PER_LINE, WaterfallLine};
use crate::analysis::{Analyzer, AnalyzerSettings, MAX_FFT, MIN_FFT};
use crate::clock::{Arrival, Clock};
use crate::frame::{Decoded, Frame, Payload, SenderTime};
use crate::link::{ClockSync, LinkState};
use crate::snapshot::{ChannelSpectrum, Snapshot};
use crate::stats::latency::LatencySummary;
use crate::stats::{RateMeter, Stats};
use crate::vocabulary::{Control, SourceEvent, ViewKind};

/// What a snapshot carries that is costly to make (see [`FIGURES_EVERY`]).
#[derive(Clone)]
struct Figures {
    /// Frames accepted when they were made (a reset starts them over).
    frames: u64,
    latency: Option<LatencySummary>,
    latency_recent: Arc<[f32]>,
    adc: Option<AdcFigures>,
}

/// The longest time one frame is taken to stand for (a gap in the input is not a spectrum).
const MAX_SPAN_S: f64 = 10.0;
/// The figures a snapshot carries that cost more than a copy (latency percentiles over the
/// window, the ADC measurement) are made anew at most this often: a screen's panel shows them
/// twice a second, a bench analyser updates its measurements a few times a second, and 30
/// snapshots a second need not each pay for them.
const FIGURES_EVERY: Duration = Duration::from_millis(250);

#[derive(Clone, Debug)]
pub struct PipelineConfig {
    pub source: String,
    pub settings: AnalyzerSettings,
    /// `--rate`: for frames that do not carry one.
    pub rate: Option<f64>,
    /// Stop after this many accepted frames (`--frames`).
    pub frame_limit: Option<u64>,
    /// Replayed frames carry old Unix timestamps: treat them as a device clock.
    pub historic_timestamps: bool,
    /// Harmonics the ADC figures count (`--harmonics`).
    pub harmonics: usize,
    /// Spectra a waterfall line holds at start (`--spectra-per-line`).
    pub spectra_per_line: usize,
    /// Snapshots are published at most this often while data comes (the engine's pace).
    pub publish_every: Duration,
    /// The window the rates are taken over: the same for every front end.
    pub rate_window: Duration,
}

/// The rate window when nothing says otherwise (a headless run takes its report interval).
pub const RATE_WINDOW: Duration = Duration::from_secs(1);

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            source: String::new(),
            settings: AnalyzerSettings::default(),
            rate: None,
            frame_limit: None,
            historic_timestamps: false,
            harmonics: DEFAULT_HARMONICS,
            spectra_per_line: DEFAULT_SPECTRA_PER_LINE,
            publish_every: Duration::from_millis(50),
            rate_window: RATE_WINDOW,
        }
    }
}

pub struct Pipeline {
    config: PipelineConfig,
    clock: Clock,
    analyzer: Analyzer,
    adc: AdcMeter,
    /// The scope's samples of the analysed channel.
    trace: Trace,
    /// Every channel's analyser, while a screen shows them all.
    overview: Vec<Analyzer>,
    overview_wanted: usize,
    /// Screens showing the scope: its samples are kept while there are some.
    trace_wanted: usize,
    /// What the last snapshot shared, rebuilt only when it changed.
    shared_trace: Option<(u64, Arc<[f32]>)>,
    shared_waterfall: Option<(u64, Arc<[WaterfallLine]>)>,
    /// The costly figures of the last snapshot, and when they were made.
    figures: Option<(Instant, Figures)>,
    stats: Stats,
    rates: RateMeter,
    link: LinkState,
    was_disconnected: bool,
    sample_rate: Option<f64>,
    channels: usize,
    labels: Option<Arc<[String]>>,
    clock_sync: ClockSync,
    /// When the last accepted frame arrived, on the clock's monotonic scale.
    last_frame_mono_us: Option<i64>,
    /// The sender's time of the last accepted frame.
    last_sent: Option<SenderTime>,
    last_error: Option<String>,
    notice: Option<String>,
    warning: Option<String>,
}

impl Pipeline {
    pub fn new(config: PipelineConfig, clock: Clock) -> Self {
        let mut analyzer = Analyzer::new(config.settings);
        analyzer.set_spectra_per_line(config.spectra_per_line);
        Self {
            analyzer,
            adc: AdcMeter::default(),
            trace: Trace::default(),
            overview: Vec::new(),
            overview_wanted: 0,
            trace_wanted: 0,
            shared_trace: None,
            shared_waterfall: None,
            figures: None,
            stats: Stats::new(),
            rates: RateMeter::new(config.rate_window),
            link: LinkState::Connecting,
            was_disconnected: false,
            sample_rate: config.rate,
            channels: 0,
            labels: None,
            clock_sync: ClockSync::Uncorrected,
            last_frame_mono_us: None,
            last_sent: None,
            last_error: None,
            notice: None,
            warning: None,
            config,
            clock,
        }
    }

    /// Snapshots are published at most this often while data comes.
    pub fn publish_every(&self) -> Duration {
        self.config.publish_every
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
            SourceEvent::Warning(text) => self.warning = Some(text),
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
        let span = self.span_of(&frame, sample_rate, arrival);
        self.last_frame_mono_us = Some(arrival.mono_us);
        self.last_sent = frame.sent_at.or(self.last_sent);
        self.sample_rate = sample_rate;
        if frame.channels != self.channels || frame.labels != self.labels {
            self.channels = frame.channels;
            self.labels = frame.labels.clone();
        }
        let channel = self.analyzer.settings().channel;
        match &frame.payload {
            Payload::Samples(values) => {
                self.analyzer
                    .push_samples(values, frame.channels, sample_rate, span);
                if self.trace_wanted > 0 && channel < frame.channels {
                    self.trace.push(values, frame.channels, channel);
                }
            }
            Payload::Spectrum { power, window } => {
                self.analyzer
                    .push_spectrum(power, *window, frame.channels, sample_rate, span);
                self.trace.clear();
            }
        };
        if self.overview_wanted > 0 {
            self.analyse_every_channel(&frame, sample_rate, span);
        }
    }

    /// The all-channels view: one analyser per channel, with the main one's settings.
    fn analyse_every_channel(
        &mut self,
        frame: &Frame,
        sample_rate: Option<f64>,
        span: Option<f64>,
    ) {
        let settings = self.analyzer.settings();
        self.overview.truncate(frame.channels);
        while self.overview.len() < frame.channels {
            let channel = self.overview.len();
            self.overview.push(Analyzer::new(AnalyzerSettings {
                channel,
                peak_hold: false,
                ..settings
            }));
        }
        for analyzer in &mut self.overview {
            let own = analyzer.settings();
            analyzer.set_fft_size(settings.fft_size);
            if own.window != settings.window {
                analyzer.set_window(settings.window);
            }
            analyzer.set_averaging(settings.averaging);
            match &frame.payload {
                Payload::Samples(values) => {
                    analyzer.push_samples(values, frame.channels, sample_rate, span)
                }
                Payload::Spectrum { power, window } => {
                    analyzer.push_spectrum(power, *window, frame.channels, sample_rate, span)
                }
            };
        }
    }

    /// The time a frame stands for, in seconds, for averaging and peak hold: the sender's
    /// own spacing of frames when it stamps them; else the samples it holds over the rate;
    /// else the time since the previous frame arrived. `None` when nothing says.
    fn span_of(&self, frame: &Frame, sample_rate: Option<f64>, arrival: Arrival) -> Option<f64> {
        let plausible = |s: f64| (s > 0.0 && s <= MAX_SPAN_S).then_some(s);
        let seconds = |from: i64, to: i64| to.saturating_sub(from) as f64 / 1e6;
        let by_sender = match (self.last_sent, frame.sent_at) {
            (Some(SenderTime::Unix(a)), Some(SenderTime::Unix(b)))
            | (Some(SenderTime::Device(a)), Some(SenderTime::Device(b))) => {
                plausible(seconds(a, b))
            }
            _ => None,
        };
        let by_samples = match (&frame.payload, sample_rate) {
            (Payload::Samples(_), Some(fs)) => plausible(frame.count() as f64 / fs),
            _ => None,
        };
        let by_arrival = self
            .last_frame_mono_us
            .and_then(|last| plausible(seconds(last, arrival.mono_us)));
        by_sender.or(by_samples).or(by_arrival)
    }

    /// The strongest component now (a snapshot computes it too; this is for benchmarks).
    pub fn peak(&self) -> Option<crate::analysis::Peak> {
        self.analyzer.peak()
    }

    pub fn control(&mut self, control: Control) {
        // The figures of the old settings are not those of the new.
        self.figures = None;
        let settings = self.analyzer.settings();
        match control {
            Control::BiggerFft if settings.fft_size < MAX_FFT => {
                self.analyzer.set_fft_size(settings.fft_size * 2)
            }
            Control::SmallerFft if settings.fft_size > MIN_FFT => {
                self.analyzer.set_fft_size(settings.fft_size / 2)
            }
            Control::BiggerFft | Control::SmallerFft => {}
            Control::NextWindow => self.analyzer.set_window(settings.window.next()),
            Control::NextChannel => {
                self.analyzer
                    .set_channel((settings.channel + 1) % self.channels.max(1));
                self.trace.clear();
            }
            Control::ToggleAveraging => self.analyzer.set_averaging(!settings.averaging),
            Control::TogglePeakHold => self.analyzer.set_peak_hold(!settings.peak_hold),
            Control::ResetStats => {
                self.stats.reset();
                self.rates.clear();
                self.analyzer.clear_spectrum();
                self.overview.iter_mut().for_each(Analyzer::clear_spectrum);
                self.last_error = None;
            }
            Control::FewerSpectraPerLine | Control::MoreSpectraPerLine => {
                let n = self.analyzer.waterfall().spectra_per_line();
                self.analyzer.set_spectra_per_line(match control {
                    Control::MoreSpectraPerLine => n.saturating_mul(2),
                    _ => n / 2,
                });
            }
            Control::Views { left, entered } => {
                for (view, by) in [(left, -1i64), (entered, 1)] {
                    let watchers = match view {
                        Some(ViewKind::Channels) => &mut self.overview_wanted,
                        Some(ViewKind::Scope) => &mut self.trace_wanted,
                        _ => continue,
                    };
                    *watchers = watchers.saturating_add_signed(by as isize);
                }
                if self.overview_wanted == 0 {
                    self.overview.clear();
                }
                if self.trace_wanted == 0 {
                    self.trace.clear();
                    self.shared_trace = None;
                }
            }
        }
    }

    /// The ADC figures of the averaged spectrum (per snapshot, never per frame), through
    /// the window it was made with: ours, or the one the board said.
    fn measure(&mut self) -> Option<AdcFigures> {
        let window = self.analyzer.spectrum_window()?;
        self.adc
            .measure(self.analyzer.spectrum(), window, self.config.harmonics)
    }

    /// The scope's samples, shared anew only when new ones came.
    fn shared_trace(&mut self) -> Option<Arc<[f32]>> {
        if self.trace.taken() == 0 {
            return None;
        }
        let taken = self.trace.taken();
        if self.shared_trace.as_ref().is_none_or(|(t, _)| *t != taken) {
            self.shared_trace = Some((taken, self.trace.samples().into()));
        }
        self.shared_trace
            .as_ref()
            .map(|(_, samples)| samples.clone())
    }

    /// The waterfall's lines, shared anew only when a line was made.
    fn shared_waterfall(&mut self) -> Arc<[WaterfallLine]> {
        let waterfall = self.analyzer.waterfall();
        let made = waterfall.made();
        let fresh = self
            .shared_waterfall
            .as_ref()
            .is_none_or(|(m, lines)| *m != made || lines.len() != waterfall.lines().len());
        if fresh {
            self.shared_waterfall = Some((made, waterfall.lines().cloned().collect()));
        }
        self.shared_waterfall.as_ref().expect("just set").1.clone()
    }

    /// The latency percentiles, the recent latencies and the ADC figures: made anew when
    /// [`FIGURES_EVERY`] has passed, or when the data they come from is not what it was.
    fn figures(&mut self, now: Instant) -> Figures {
        let fresh_enough = self.figures.as_ref().is_some_and(|(at, figures)| {
            now.saturating_duration_since(*at) < FIGURES_EVERY
                && self.stats.frames() >= figures.frames
        });
        if !fresh_enough {
            let latency = self.stats.latency(self.clock.mono_us(now));
            let figures = Figures {
                frames: self.stats.frames(),
                latency,
                latency_recent: self.stats.latency_window().recent_ms().collect(),
                adc: self.measure(),
            };
            self.figures = Some((now, figures));
        }
        self.figures.as_ref().expect("just set").1.clone()
    }

    /// The picture at `now`, every figure made anew (the last one of a run, say).
    pub fn final_snapshot(&mut self, now: Instant) -> Snapshot {
        self.figures = None;
        self.snapshot(now)
    }

    /// The picture at `now`.
    pub fn snapshot(&mut self, now: Instant) -> Snapshot {
        let Figures {
            latency,
            latency_recent,
            adc,
            ..
        } = self.figures(now);
        let trace = self.shared_trace();
        let waterfall = self.shared_waterfall();
        let counters = self.stats.counters();
        self.rates.record(now, counters);
        let channel_spectra = (!self.overview.is_empty()).then(|| {
            self.overview
                .iter()
                .map(|a| ChannelSpectrum {
                    spectrum: a.spectrum().into(),
                    peak: a.peak(),
                })
                .collect()
        });
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
            adc,
            trace,
            trace_taken: self.trace.taken(),
            waterfall,
            waterfall_lines_made: self.analyzer.waterfall().made(),
            spectra_per_line: self.analyzer.waterfall().spectra_per_line(),
            channel_spectra,
            counters,
            rate_readings: self.rates.readings(now, counters),
            published_every: self.config.publish_every,
            latency,
            clock_sync: self.clock_sync,
            negative_latency: self.stats.latency_window().negative(),
            latency_recent,
            latency_histogram: self.stats.latency_window().histogram(),
            jitter_ms: self.stats.jitter_ms(),
            last_frame_at: self
                .last_frame_mono_us
                .map(|us| self.clock.start() + Duration::from_micros(us.max(0) as u64)),
            last_error: self.last_error.clone(),
            notice: self.notice.clone(),
            warning: self.warning.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::power_to_db;
    use crate::frame::Levels;
    use crate::wire::json::decode_event;

    fn pipeline(settings: AnalyzerSettings) -> (Pipeline, Clock) {
        let clock = Clock::new();
        let config = PipelineConfig {
            settings,
            ..PipelineConfig::default()
        };
        (Pipeline::new(config, clock), clock)
    }

    fn at(ms: i64) -> Arrival {
        Arrival {
            mono_us: ms * 1000,
            unix_us: 0,
        }
    }

    /// A JSON `samples` event: a tone at bin 64 of 1024, amplitude 0.5, with `extra` spliced in.
    fn event(seq: u32, extra: &str) -> Decoded {
        let samples: Vec<String> = (0..1024)
            .map(|i| {
                format!(
                    "{:.6}",
                    0.5 * (std::f64::consts::TAU * 64.0 * i as f64 / 1024.0).sin()
                )
            })
            .collect();
        let data = format!(
            r#"{{"seq":{seq},"fs":48000,"samples":[{}{extra}]}}"#,
            samples.join(",")
        );
        decode_event("samples", &data, None, Levels::default())
    }

    fn feed(pipeline: &mut Pipeline, items: Vec<Decoded>) {
        for (i, item) in items.into_iter().enumerate() {
            pipeline.handle(SourceEvent::Data {
                arrival: at(21 * i as i64),
                bytes: 1,
                items: vec![item],
            });
        }
    }

    #[test]
    fn one_value_out_of_range_is_a_bad_frame_and_the_rest_are_analysed_as_if_it_never_came() {
        let (mut clean, clock) = pipeline(AnalyzerSettings::default());
        feed(&mut clean, vec![event(0, ""), event(2, ""), event(3, "")]);
        let (mut poisoned, _) = pipeline(AnalyzerSettings::default());
        feed(
            &mut poisoned,
            vec![event(0, ""), event(1, ",1e39"), event(2, ""), event(3, "")],
        );
        let now = clock.start();
        let (clean, poisoned) = (clean.snapshot(now), poisoned.snapshot(now));
        assert_eq!(poisoned.counters.bad_frames, 1);
        assert_eq!(
            poisoned.counters.dropped, 1,
            "a rejected frame leaves a gap"
        );
        assert!(
            poisoned
                .last_error
                .as_deref()
                .unwrap()
                .contains("out of range")
        );
        assert!(poisoned.spectrum.iter().all(|p| p.is_finite()));
        // The spans differ (the clean feed's third frame came a frame later), not the picture:
        // the same peak, to a hundredth of a dB.
        let (a, b) = (clean.peak.unwrap(), poisoned.peak.unwrap());
        assert!(
            (a.bin - b.bin).abs() < 1e-6 && (a.dbfs - b.dbfs).abs() < 0.01,
            "{a:?} {b:?}"
        );
        assert!((b.dbfs + 6.02).abs() < 0.05, "{b:?}");
    }

    #[test]
    fn controls_change_the_settings_in_force() {
        let (mut p, clock) = pipeline(AnalyzerSettings::default());
        // Two `+` pressed while the screen showed the same (frozen) picture: both count.
        p.control(Control::BiggerFft);
        p.control(Control::BiggerFft);
        assert_eq!(p.snapshot(clock.start()).settings.fft_size, 4096);
        for _ in 0..20 {
            p.control(Control::SmallerFft);
        }
        assert_eq!(p.snapshot(clock.start()).settings.fft_size, MIN_FFT);
        // Three channels: the next wraps.
        p.ingest(
            Frame {
                seq: None,
                sample_rate: Some(1000.0),
                sent_at: None,
                channels: 3,
                payload: Payload::Samples(vec![0.0; 3 * 64]),
                labels: None,
            },
            at(0),
        );
        let channel = |p: &mut Pipeline| p.snapshot(clock.start()).settings.channel;
        p.control(Control::NextChannel);
        p.control(Control::NextChannel);
        assert_eq!(channel(&mut p), 2);
        p.control(Control::NextChannel);
        assert_eq!(channel(&mut p), 0);
    }

    #[test]
    fn a_frame_stands_for_the_sender_time_since_the_last_one() {
        // 1024-sample frames stamped 100 ms apart (the board sends one block in five): after a
        // tone, each silent frame lets the held peak fall 1 dB, not the 0.21 dB of 21 ms.
        let (mut p, clock) = pipeline(AnalyzerSettings {
            averaging: false,
            ..AnalyzerSettings::default()
        });
        let tone: Vec<f32> = (0..1024)
            .map(|i| (std::f32::consts::TAU * 64.0 * i as f32 / 1024.0).sin())
            .collect();
        for (i, samples) in [tone, vec![0.0; 1024], vec![0.0; 1024]]
            .into_iter()
            .enumerate()
        {
            let frame = Frame {
                seq: Some(i as u32),
                sample_rate: Some(48_000.0),
                sent_at: Some(SenderTime::Device(1_000_000 + 100_000 * i as i64)),
                channels: 1,
                payload: Payload::Samples(samples),
                labels: None,
            };
            p.ingest(frame, at(100 * i as i64));
        }
        let held = power_to_db(p.snapshot(clock.start()).held[64]);
        assert!((held + 2.0).abs() < 0.01, "{held} dB after 200 ms");
    }
}
