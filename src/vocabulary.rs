//! The words several layers speak, kept at the bottom so that none of them has to import
//! another to be understood: what a source tells the pipeline ([`SourceEvent`]), what a
//! front end asks of the pipeline ([`Control`]), the views a screen can show ([`ViewKind`]),
//! the settings a screen may save ([`ScreenSettings`]), and the form of published events
//! ([`EventForm`]). Nothing here does anything; it only names things.

use tokio::sync::mpsc;

use crate::clock::Arrival;
use crate::frame::Decoded;
use crate::link::{ClockSync, LinkState};

/// What a source sends down its channel to the pipeline.
#[derive(Debug)]
pub enum SourceEvent {
    Status(LinkState),
    /// What one read brought: `bytes` read at `arrival`, decoded into `items`.
    Data {
        arrival: Arrival,
        bytes: usize,
        items: Vec<Decoded>,
    },
    /// Something worth a line on screen (what auto-detection chose, say).
    Notice(String),
    /// Something gone wrong beside the data (the recording stopped, say): shown until reset.
    Warning(String),
    /// The input cannot be used as the command line asks (spectra recorded as WAV): the run
    /// ends with this sentence, a usage error.
    Unusable(String),
    /// How the sender's clock relates to ours (from a clock probe).
    ClockSync(ClockSync),
}

/// Sources send into this. Bounded: a source that outruns the analysis waits.
pub type EventSender = mpsc::Sender<SourceEvent>;

/// Room for this many events (each a whole read's worth of frames).
pub const CHANNEL_CAPACITY: usize = 256;

/// Changes asked for by a front end. Each is a change *to the settings in force*, applied
/// by the pipeline where they live: a screen that shows an older picture (frozen, or a
/// snapshot behind) cannot ask for a change from stale settings, and several screens can
/// share one analysis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// FFT size ×2, up to the largest `--fft` accepts.
    BiggerFft,
    /// FFT size ÷2, down to the smallest.
    SmallerFft,
    NextWindow,
    /// The next channel of those the input has.
    NextChannel,
    ToggleAveraging,
    TogglePeakHold,
    ResetStats,
    /// Half / twice as many spectra in each waterfall line.
    FewerSpectraPerLine,
    MoreSpectraPerLine,
    /// The averaged spectrum now becomes the reference the live one is held to.
    TakeReference,
    ClearReference,
    /// A screen left one view and entered another (either may be none: at start, at quit).
    /// The pipeline does the work a view needs while at least one screen shows it: every
    /// channel's analysis for the all-channels view, the scope's samples for the scope.
    Views {
        left: Option<ViewKind>,
        entered: Option<ViewKind>,
    },
}

/// The views (`--view`, the `v` key cycles them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, clap::ValueEnum)]
pub enum ViewKind {
    /// Bars, with markers and the ADC figures.
    #[default]
    Spectrum,
    /// A short spectrum over the spectrogram: time running down, colour for level.
    Waterfall,
    /// The analysed channel's samples, triggered.
    Scope,
    /// Every channel's spectrum at once.
    Channels,
    /// The code-density test (--linearity): DNL and INL against code.
    Linearity,
}

impl ViewKind {
    pub const ALL: [ViewKind; 5] = [
        ViewKind::Spectrum,
        ViewKind::Waterfall,
        ViewKind::Scope,
        ViewKind::Channels,
        ViewKind::Linearity,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ViewKind::Spectrum => "spectrum",
            ViewKind::Waterfall => "waterfall",
            ViewKind::Scope => "scope",
            ViewKind::Channels => "channels",
            ViewKind::Linearity => "linearity",
        }
    }

    pub fn next(self) -> Self {
        let i = Self::ALL.iter().position(|&v| v == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }
}

/// What a screen changed and may ask to keep for the next start (the settings file's keys).
#[derive(Clone, Debug, PartialEq)]
pub struct ScreenSettings {
    pub fft: usize,
    pub window: &'static str,
    pub db_min: f64,
    pub db_max: f64,
    pub log_freq: bool,
    pub view: &'static str,
}

/// How `serve` publishes frames: `frame` events (base64 binary frames) or the JSON events of
/// SPEC §3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum EventForm {
    #[default]
    Frame,
    Json,
}

/// How long a measured interval is (a check's `measure` or `frames`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Measure {
    /// Seconds of the stream (the time its frames stand for, not the time they took).
    Time(std::time::Duration),
    Frames(u64),
}

/// A check's measurement: settle this long after the first frame, then measure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeasureWindow {
    pub settle: std::time::Duration,
    pub measure: Measure,
}
