//! The pipeline: source events in, analysis and statistics updated, snapshots out.
//! Pure logic: time comes in with the events and with each snapshot asked for; nothing here
//! reads a clock or touches I/O.

use std::sync::Arc;
use std::time::{Duration, Instant};

mod config;
pub mod measurement;
mod shared;

use crate::analysis::adc::{AdcFigures, AdcMeter, MeasureOptions, Measured};
use crate::analysis::linearity::{LinearityTest, MAX_BITS};
use crate::analysis::reference::{self, Reference};
use crate::analysis::sinefit::{self, SineFit};
use crate::analysis::trace::Trace;
use crate::analysis::waterfall::WaterfallLine;
use crate::analysis::{Analyzer, AnalyzerSettings, MAX_FFT, MIN_FFT};
use crate::clock::{Arrival, Clock};
use crate::frame::{Decoded, Frame, Payload, SenderTime};
use crate::link::{ClockSync, LinkState};
use crate::snapshot::{ChannelSpectrum, Snapshot};
use crate::stats::{RateMeter, Stats};
use crate::vocabulary::{Control, SourceEvent, ViewKind};
pub use config::{PipelineConfig, RATE_WINDOW};
use measurement::Measurement;
use shared::{Figures, FiguresCache, Shared};

/// The longest time one frame is taken to stand for (a gap in the input is not a spectrum).
const MAX_SPAN_S: f64 = 10.0;

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
    shared_trace: Shared<u64, [f32]>,
    shared_waterfall: Shared<(u64, usize), [WaterfallLine]>,
    /// The costly figures of the last snapshot.
    figures: FiguresCache,
    stats: Stats,
    rates: RateMeter,
    /// Seconds of the stream since start (what the accepted frames stand for).
    stream_seconds: f64,
    measurement: Option<Measurement>,
    /// The reference, and its levels on the live bins (resampled when the bins change).
    reference: Option<Arc<Reference>>,
    reference_on_bins: Shared<(usize, u64, usize), [f32]>,
    /// Why the reference is not compared with the live spectrum, when it is not.
    reference_refused: Option<String>,
    /// The code-density test of the analysed channel so far (`--linearity`).
    linearity: Option<LinearityTest>,
    /// Why the latest frame could not be counted, when it could not.
    linearity_unavailable: Option<String>,
    /// The latest frame's samples (interleaved) and its channels: the sine fit's block.
    last_samples: Option<(Vec<f32>, usize)>,
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
    /// The input cannot be used as asked: the run ends with this sentence.
    unusable: Option<String>,
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
            shared_trace: Shared::default(),
            shared_waterfall: Shared::default(),
            figures: FiguresCache::default(),
            stats: Stats::new(),
            rates: RateMeter::new(config.rate_window),
            stream_seconds: 0.0,
            measurement: config.measurement.map(Measurement::new),
            reference: config.reference.clone().map(Arc::new),
            reference_on_bins: Shared::default(),
            reference_refused: None,
            linearity: None,
            linearity_unavailable: None,
            last_samples: None,
            link: LinkState::Connecting,
            was_disconnected: false,
            sample_rate: config.rate,
            channels: 0,
            labels: None,
            clock_sync: ClockSync::Uncorrected,
            last_frame_mono_us: None,
            last_sent: None,
            last_error: None,
            unusable: None,
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
        self.link.is_final() || self.limit_reached() || self.unusable.is_some()
    }

    /// `--frames` reached, or a check's measurement done: no more frames are taken.
    fn limit_reached(&self) -> bool {
        self.config
            .frame_limit
            .is_some_and(|n| self.stats.frames() >= n)
            || self.measurement.as_ref().is_some_and(Measurement::is_done)
    }

    pub fn handle(&mut self, event: SourceEvent) {
        match event {
            SourceEvent::Status(state) => self.set_link(state),
            SourceEvent::Notice(text) => self.notice = Some(text),
            SourceEvent::Warning(text) => self.warning = Some(text),
            SourceEvent::Unusable(text) => self.unusable = Some(text),
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
        let before = self.stream_seconds;
        self.stream_seconds += span.unwrap_or(0.0);
        let starts_measuring = self
            .measurement
            .as_mut()
            .is_some_and(|m| m.frame(before, self.stream_seconds, &self.stats.counters()));
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
        let resolution = frame.resolution;
        self.last_samples = match frame.payload {
            // Kept, not copied: the frame is done with.
            Payload::Samples(values) => Some((values, frame.channels)),
            Payload::Spectrum { .. } => None,
        };
        if self.config.linearity {
            self.count_codes(resolution, channel);
        }
        if starts_measuring {
            // The measured interval's spectrum is the mean of its own spectra, from the next.
            self.analyzer.average_from_now();
            self.overview
                .iter_mut()
                .for_each(Analyzer::average_from_now);
        }
    }

    /// The latest frame's codes into the code-density test, or why they cannot be. Until
    /// the test knows the tone's frequency it is measured here, from the frame just taken,
    /// for its first few frames (a fast replay may end before the first snapshot would;
    /// after them, the snapshots' measurements tune it, at their pace).
    fn count_codes(&mut self, resolution: Option<u8>, channel: usize) {
        if self.last_samples.is_none() {
            self.linearity_unavailable =
                Some("the code-density test needs samples, not spectra".into());
            return;
        }
        let bits = match resolution {
            Some(bits) if bits <= MAX_BITS => bits,
            Some(bits) => {
                self.linearity_unavailable = Some(format!(
                    "the code-density test counts at most {MAX_BITS}-bit codes, not {bits}"
                ));
                return;
            }
            None => {
                self.linearity_unavailable = Some(
                    "the code-density test needs integer codes of known resolution (binary frames)"
                        .into(),
                );
                return;
            }
        };
        self.linearity_unavailable = None;
        let tone = match &self.linearity {
            Some(test) if !test.wants_early_tone() => None,
            _ => {
                let adc = self.measure().adc;
                self.sine_fit(adc.as_ref())
                    .zip(self.sample_rate)
                    .map(|(fit, fs)| fit.freq_hz / fs)
            }
        };
        let test = self
            .linearity
            .get_or_insert_with(|| LinearityTest::new(bits));
        if let Some(cycles_per_sample) = tone {
            test.tune(cycles_per_sample);
        }
        let (values, channels) = self.last_samples.as_ref().expect("checked above");
        test.add(values, *channels, channel, bits);
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
        self.figures.clear();
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
                // Another channel is another converter's test.
                self.linearity = None;
            }
            Control::ToggleAveraging => self.analyzer.set_averaging(!settings.averaging),
            Control::TogglePeakHold => self.analyzer.set_peak_hold(!settings.peak_hold),
            Control::ResetStats => {
                self.stats.reset();
                self.rates.clear();
                if let Some(measurement) = &mut self.measurement {
                    measurement.restart();
                    self.analyzer.average_running();
                }
                self.analyzer.clear_spectrum();
                self.overview.iter_mut().for_each(Analyzer::clear_spectrum);
                self.linearity = None;
                self.last_error = None;
            }
            Control::FewerSpectraPerLine | Control::MoreSpectraPerLine => {
                let n = self.analyzer.waterfall().spectra_per_line();
                self.analyzer.set_spectra_per_line(match control {
                    Control::MoreSpectraPerLine => n.saturating_mul(2),
                    _ => n / 2,
                });
            }
            Control::TakeReference => {
                let spectrum = self.analyzer.spectrum();
                if !spectrum.is_empty() {
                    let bin_hz = self.analyzer.bin_hz();
                    self.reference = Some(Arc::new(Reference::from_spectrum(spectrum, bin_hz)));
                    self.reference_on_bins.clear();
                    self.reference_refused = None;
                }
            }
            Control::ClearReference => {
                self.reference = None;
                self.reference_on_bins.clear();
                self.reference_refused = None;
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
                    self.shared_trace.clear();
                }
            }
        }
    }

    /// The ADC figures of the averaged spectrum (per snapshot, never per frame), through
    /// the window it was made with: ours, or the one the board said. The band and the
    /// notches are in Hz: without a sample rate they cannot be placed, and are not.
    fn measure(&mut self) -> Measured {
        let Some(window) = self.analyzer.spectrum_window() else {
            return Measured::default();
        };
        let bin_hz = self.analyzer.bin_hz();
        let to_bins = |hz: f64| bin_hz.map(|b| hz / b);
        let lobe = window.main_lobe_half_width() as f64;
        let options = MeasureOptions {
            harmonics: self.config.harmonics,
            band: self
                .config
                .band
                .and_then(|(lo, hi)| Some((to_bins(lo)?, to_bins(hi)?))),
            notches: self
                .config
                .notches
                .iter()
                .filter_map(|&(hz, width)| {
                    let half = width.and_then(|w| to_bins(w / 2.0)).unwrap_or(lobe);
                    Some((to_bins(hz)?, half.max(lobe)))
                })
                .collect(),
            two_tone: self.config.two_tone,
        };
        self.adc
            .measure_all(self.analyzer.spectrum(), window, &options)
    }

    /// The four-parameter sine fit of the latest block of the analysed channel, started at
    /// the fundamental the spectrum found (a single tone's).
    fn sine_fit(&self, adc: Option<&AdcFigures>) -> Option<SineFit> {
        let (values, channels) = self.last_samples.as_ref()?;
        let channel = self.analyzer.settings().channel;
        let fs = self.sample_rate?;
        let near = adc?.fundamental_bin * self.analyzer.bin_hz()?;
        let samples: Vec<f32> = values
            .iter()
            .skip(channel)
            .step_by((*channels).max(1))
            .copied()
            .collect();
        sinefit::fit(&samples, fs, near)
    }

    /// The latency percentiles, the recent latencies, the ADC figures and the distance from
    /// the reference, when due.
    fn figures(&mut self, now: Instant, reference: Option<&[f32]>) -> Figures {
        let frames = self.stats.frames();
        let mut cache = std::mem::take(&mut self.figures);
        let figures = cache.get(now, frames, || {
            let Measured { adc, imd } = self.measure();
            let sinefit = self.sine_fit(adc.as_ref());
            // The code-density test follows the tone the fit found.
            let linearity = self.linearity.as_mut().and_then(|test| {
                if let (Some(fit), Some(fs)) = (&sinefit, self.sample_rate) {
                    test.tune(fit.freq_hz / fs);
                }
                test.analyse(sinefit.as_ref())
            });
            Figures {
                latency: self.stats.latency(self.clock.mono_us(now)),
                latency_recent: self.stats.latency_window().recent_ms().collect(),
                sinefit,
                linearity,
                adc,
                imd,
                reference_delta: reference.and_then(|reference| {
                    let from = self
                        .analyzer
                        .spectrum_window()
                        .map_or(1, |w| w.main_lobe_half_width() + 1);
                    let bin_hz = self.analyzer.bin_hz();
                    reference::delta(self.analyzer.spectrum(), reference, from, bin_hz)
                }),
            }
        });
        self.figures = cache;
        figures
    }

    /// The reference on the live bins, resampled only when they change.
    fn reference_on_bins(&mut self) -> Option<Arc<[f32]>> {
        let reference = self.reference.as_ref()?;
        let bins = self.analyzer.spectrum().len();
        let bin_hz = self.analyzer.bin_hz();
        // Made anew for another reference, another bin count or another spacing.
        let version = (
            Arc::as_ptr(reference) as usize,
            bin_hz.map_or(0, f64::to_bits),
            bins,
        );
        let mut refused = None;
        let shared =
            self.reference_on_bins
                .get(version, || match reference.on_bins(bins, bin_hz) {
                    Ok(on) => on.into(),
                    Err(why) => {
                        refused = Some(why);
                        Arc::new([])
                    }
                });
        if let Some(why) = refused
            && bins > 0
        {
            self.warning = Some(why.clone());
            self.reference_refused = Some(why);
        }
        (bins > 0 && shared.len() == bins).then_some(shared)
    }

    /// The picture at `now`, every figure made anew (the last one of a run, say).
    pub fn final_snapshot(&mut self, now: Instant) -> Snapshot {
        self.figures.clear();
        self.snapshot(now)
    }

    /// The picture at `now`.
    pub fn snapshot(&mut self, now: Instant) -> Snapshot {
        let reference = self.reference_on_bins();
        let Figures {
            latency,
            latency_recent,
            adc,
            imd,
            linearity,
            sinefit,
            reference_delta,
        } = self.figures(now, reference.as_deref());
        // The scope's samples, shared anew only when new ones came; the waterfall's lines,
        // when a line was made (or the history started over).
        let trace = &self.trace;
        let trace = (trace.taken() > 0).then(|| {
            self.shared_trace
                .get(trace.taken(), || trace.samples().into())
        });
        let lines = self.analyzer.waterfall();
        let waterfall = self
            .shared_waterfall
            .get((lines.made(), lines.lines().len()), || {
                lines.lines().cloned().collect()
            });
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
            imd,
            linearity,
            linearity_unavailable: self.linearity_unavailable.clone(),
            sinefit,
            reference,
            reference_delta,
            reference_refused: self.reference_refused.clone(),
            trace,
            trace_taken: self.trace.taken(),
            waterfall,
            waterfall_lines_made: self.analyzer.waterfall().made(),
            spectra_per_line: self.analyzer.waterfall().spectra_per_line(),
            channel_spectra,
            counters,
            stream_seconds: self.stream_seconds,
            measurement: self.measurement.as_ref().map(Measurement::progress),
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
            unusable: self.unusable.clone(),
            notice: self.notice.clone(),
            warning: self.warning.clone(),
        }
    }
}

#[cfg(test)]
mod tests;
