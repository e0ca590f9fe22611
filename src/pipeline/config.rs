//! What the pipeline is asked to do.

use std::time::Duration;

use crate::analysis::AnalyzerSettings;
use crate::analysis::adc::{DEFAULT_HARMONICS, TwoTone};
use crate::analysis::reference::Reference;
use crate::analysis::waterfall::DEFAULT_SPECTRA_PER_LINE;
use crate::vocabulary::MeasureWindow;

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
    /// Noise and spurs are read in this band, Hz (`--band`).
    pub band: Option<(f64, f64)>,
    /// Interferers set aside (`--notch`): centre and width, Hz (none: a lobe's width).
    pub notches: Vec<(f64, Option<f64>)>,
    /// How two tones are told from one (`--two-tone`).
    pub two_tone: TwoTone,
    /// Count codes for the code-density test (`--linearity`).
    pub linearity: bool,
    /// Spectra a waterfall line holds at start (`--spectra-per-line`).
    pub spectra_per_line: usize,
    /// Snapshots are published at most this often while data comes (the engine's pace).
    pub publish_every: Duration,
    /// The window the rates are taken over: the same for every front end.
    pub rate_window: Duration,
    /// A check's measurement: the pipeline is done when it is.
    pub measurement: Option<MeasureWindow>,
    /// The spectrum the live one is held to (`--reference`).
    pub reference: Option<Reference>,
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
            band: None,
            notches: Vec::new(),
            two_tone: TwoTone::Auto,
            linearity: false,
            spectra_per_line: DEFAULT_SPECTRA_PER_LINE,
            publish_every: Duration::from_millis(50),
            rate_window: RATE_WINDOW,
            measurement: None,
            reference: None,
        }
    }
}
