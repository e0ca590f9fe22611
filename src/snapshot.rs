//! The immutable picture of the stream that the screen and the reporters show.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::analysis::adc::{AdcFigures, ImdFigures};
use crate::analysis::linearity::Linearity;
use crate::analysis::reference::ReferenceDelta;
use crate::analysis::sinefit::SineFit;
use crate::analysis::waterfall::WaterfallLine;
use crate::analysis::{AnalyzerSettings, Origin, Peak, WindowKind};
use crate::link::{ClockSync, LinkState};
use crate::stats::latency::{LatencyHistogram, LatencySummary};
use crate::stats::{Counters, RateReadings, Rates};
use crate::vocabulary::MeasureWindow;

/// Where a check's measurement stands (see `pipeline::measurement`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeasurementProgress {
    pub window: MeasureWindow,
    pub phase: MeasurementPhase,
    /// The stream's seconds when settling started.
    pub settle_from: f64,
    /// The totals and the stream's seconds when measuring started.
    pub start: Option<(Counters, f64)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MeasurementPhase {
    /// No frame yet.
    Waiting,
    Settling,
    Measuring,
    Done,
}

impl MeasurementProgress {
    /// Frames accepted in the measured interval, given the totals now.
    pub fn measured_frames(&self, counters: &Counters) -> u64 {
        self.start
            .map_or(0, |(start, _)| counters.frames.saturating_sub(start.frames))
    }

    /// The stream's seconds in the measured interval, given the stream's seconds now.
    pub fn measured_seconds(&self, stream_seconds: f64) -> f64 {
        self.start.map_or(0.0, |(_, from)| stream_seconds - from)
    }
}

/// One channel's spectrum for the all-channels view.
#[derive(Clone, Debug)]
pub struct ChannelSpectrum {
    pub spectrum: Arc<[f32]>,
    pub peak: Option<Peak>,
}

#[derive(Clone, Debug)]
pub struct Snapshot {
    /// When this picture was taken.
    pub taken_at: Instant,
    pub source: String,
    pub link: LinkState,
    pub settings: AnalyzerSettings,
    /// The sample rate in use (the frame's, else `--rate`).
    pub sample_rate: Option<f64>,
    /// Channels in the latest frame, and their names when the input gave any.
    pub channels: usize,
    pub labels: Option<Arc<[String]>>,
    /// The averaged spectrum of the analysed channel: linear power, 1.0 = 0 dBFS.
    pub spectrum: Arc<[f32]>,
    /// Held peaks per bin (empty when off).
    pub held: Arc<[f32]>,
    pub origin: Option<Origin>,
    pub bin_hz: Option<f64>,
    pub peak: Option<Peak>,
    /// The ADC figures of the averaged spectrum (SPEC §7); `None` by its rule.
    pub adc: Option<AdcFigures>,
    /// Two tones' intermodulation (SPEC §15; `adc` is then `None`).
    pub imd: Option<ImdFigures>,
    /// The code-density test so far (`--linearity`), its figures with how far along it is.
    pub linearity: Option<Linearity>,
    /// Why the samples cannot be counted for it (`--linearity` on spectra, or on samples
    /// without a known resolution).
    pub linearity_unavailable: Option<String>,
    /// The four-parameter sine fit of the latest block (a single tone's).
    pub sinefit: Option<SineFit>,
    /// The reference on the same bins as `spectrum` (linear power; NaN where it does not
    /// reach), and how far the live spectrum stands from it.
    pub reference: Option<Arc<[f32]>>,
    pub reference_delta: Option<ReferenceDelta>,
    /// Why the reference is not compared with the live spectrum (another bin spacing).
    pub reference_refused: Option<String>,
    /// The analysed channel's latest samples, oldest first (`None` for spectra-only input).
    pub trace: Option<Arc<[f32]>>,
    /// Samples of the analysed channel taken since start (a new one is a new trace).
    pub trace_taken: u64,
    /// The waterfall's lines, oldest first, and how many were made since start.
    pub waterfall: Arc<[WaterfallLine]>,
    pub waterfall_lines_made: u64,
    pub spectra_per_line: usize,
    /// Every channel's spectrum, while a screen shows them all.
    pub channel_spectra: Option<Arc<[ChannelSpectrum]>>,
    pub counters: Counters,
    /// Seconds of the stream since start: what the accepted frames stand for.
    pub stream_seconds: f64,
    /// A check's measurement, when one is asked for.
    pub measurement: Option<MeasurementProgress>,
    /// The rate meter's readings up to this picture: see [`Snapshot::rates`].
    pub rate_readings: RateReadings,
    /// A newer snapshot comes within this while data comes.
    pub published_every: Duration,
    pub latency: Option<LatencySummary>,
    pub clock_sync: ClockSync,
    /// Absolute latencies that came out negative (the clocks disagree).
    pub negative_latency: u64,
    /// The latest latencies, oldest first, ms.
    pub latency_recent: Arc<[f32]>,
    /// Every frame's latency since start, bucketed (for metrics).
    pub latency_histogram: LatencyHistogram,
    pub jitter_ms: Option<f64>,
    pub last_frame_at: Option<Instant>,
    /// The latest rejected input, and why.
    pub last_error: Option<String>,
    /// The input cannot be used as the command line asks: the run's end, a usage error.
    pub unusable: Option<String>,
    /// The latest notice from the source (what it auto-detected, say).
    pub notice: Option<String>,
    /// Something gone wrong beside the data (the recording stopped, say).
    pub warning: Option<String>,
}

impl Snapshot {
    /// The peak's frequency in Hz, when the sample rate is known.
    pub fn peak_hz(&self) -> Option<f64> {
        Some(self.peak?.bin * self.bin_hz?)
    }

    /// The bins at the bottom that hold DC and its leakage (no peak is sought there).
    pub fn dc_bins(&self) -> usize {
        self.spectrum_window()
            .map_or(1, WindowKind::main_lobe_half_width)
    }

    /// The window the spectrum was made through: ours, or the board's.
    pub fn spectrum_window(&self) -> Option<WindowKind> {
        Some(self.origin?.window(self.settings.window))
    }

    /// Frames, samples and bytes a second over the rate window, as of `now`: the window
    /// ends at this picture while snapshots still come (a newer one would be due within two
    /// publishing intervals if anything had arrived), and at `now` once none has come for
    /// longer (nothing arrived since, so the rates fall as the window moves on).
    pub fn rates(&self, now: Instant) -> Rates {
        let quiet = now.saturating_duration_since(self.taken_at) > 2 * self.published_every;
        let end = if quiet { now } else { self.taken_at };
        self.rate_readings.over_window(end)
    }

    /// Seconds since the last frame, at `now`.
    pub fn frame_age(&self, now: Instant) -> Option<f64> {
        self.last_frame_at
            .map(|t| now.saturating_duration_since(t).as_secs_f64())
    }
}

#[cfg(test)]
pub(crate) mod sample;
