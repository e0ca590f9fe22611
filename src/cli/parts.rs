//! What the command line asks of each part: the source, the pipeline, the screen.

use std::io::IsTerminal;
use std::time::Duration;

use super::{Cli, Command, SourceChoice};
use crate::analysis::adc::TwoTone;
use crate::analysis::reference::Reference;
use crate::analysis::{AnalyzerSettings, FreqAxis};
use crate::frame::Levels;
use crate::pipeline::{PipelineConfig, RATE_WINDOW};
use crate::source::replay::ReplayOptions;
use crate::source::serial::SerialOptions;
use crate::source::{Decoding, SourceSpec};
use crate::sse::client::SseConfig;
use crate::ui::ViewOptions;
use crate::vocabulary::MeasureWindow;
use crate::wire::lines::LineOptions;

/// Snapshots for headless reports are taken this often (a screen takes `--fps`).
const HEADLESS_PUBLISH: Duration = Duration::from_millis(50);
/// A screen's bytes a second over SSH unless `--byte-budget` says: four times what cava
/// writes at 120×40 and 30 fps (about 1.1 kB/s); the spectrum view at its defaults
/// writes less and is never held back.
pub const SSH_BYTE_BUDGET: u32 = 4096;

impl Cli {
    /// No screen: JSON lines on stdout (`--headless`, or stdout is not a terminal; `serve`
    /// without `--tui`).
    pub fn headless(&self) -> bool {
        match &self.command {
            Some(Command::Serve(args)) => !args.tui,
            _ => self.headless || !std::io::stdout().is_terminal(),
        }
    }

    /// The source chosen, with what it needs to run.
    pub fn source_spec(&self, choice: &SourceChoice) -> SourceSpec {
        let levels = Levels {
            full_scale: self.full_scale,
            board_window: self.board_window,
        };
        let decoding = Decoding {
            format: self.format,
            lines: LineOptions {
                kind: self.kind,
                layout: self.lines,
                levels,
            },
        };
        match choice {
            SourceChoice::Demo | SourceChoice::ListPorts => SourceSpec::Demo,
            SourceChoice::Replay(path) => SourceSpec::Replay(
                ReplayOptions {
                    path: path.clone(),
                    speed: self.speed,
                    rate: self.rate,
                },
                decoding,
            ),
            SourceChoice::Serial(path) => SourceSpec::Serial(
                SerialOptions {
                    wait: self.wait,
                    ..SerialOptions::new(path, self.baud)
                },
                decoding,
            ),
            SourceChoice::Url(url) => SourceSpec::Url(
                SseConfig {
                    headers: self.header_pairs(),
                    last_event_id: self.last_event_id.clone(),
                    max_event_bytes: usize::try_from(self.max_event_bytes).unwrap_or(usize::MAX),
                    read_timeout: Duration::from_secs_f64(self.read_timeout),
                    insecure: self.insecure,
                    ca: self.ca.clone(),
                    ..SseConfig::new(url)
                },
                levels,
            ),
        }
    }

    /// The analysis asked for. A headless run publishes snapshots for its reports and takes
    /// its rates over its report interval; a screen publishes at `--fps`.
    pub fn pipeline_config(
        &self,
        choice: &SourceChoice,
        measurement: Option<MeasureWindow>,
        reference: Option<Reference>,
    ) -> PipelineConfig {
        let headless = self.headless();
        PipelineConfig {
            source: describe(choice),
            settings: AnalyzerSettings {
                fft_size: self.fft,
                window: self.window,
                channel: usize::from(self.channel),
                ..AnalyzerSettings::default()
            },
            rate: self.rate,
            frame_limit: self.frames,
            historic_timestamps: matches!(choice, SourceChoice::Replay(_)),
            harmonics: self.harmonics,
            band: self.band,
            notches: self.notches.clone(),
            two_tone: if self.two_tone {
                TwoTone::Forced
            } else {
                TwoTone::Auto
            },
            linearity: self.linearity,
            spectra_per_line: self.spectra_per_line,
            publish_every: if headless {
                HEADLESS_PUBLISH
            } else {
                Duration::from_secs_f64(1.0 / f64::from(self.fps))
            },
            rate_window: if headless {
                Duration::from_secs_f64(self.report_every)
            } else {
                RATE_WINDOW
            },
            measurement,
            reference,
        }
    }

    /// The screen's byte budget: `--byte-budget` (0 for none), else [`SSH_BYTE_BUDGET`] for a
    /// screen whose terminal is at the far end of an SSH link (`ssh host sse-tui`, or a
    /// session of `serve --ssh`), where a busy view would flood a slow link, else none.
    pub fn byte_budget(&self, over_ssh: bool) -> Option<u32> {
        match self.byte_budget {
            Some(0) => None,
            Some(bytes) => Some(bytes),
            None => over_ssh.then_some(SSH_BYTE_BUDGET),
        }
    }

    /// How a screen draws at start.
    pub fn view_options(&self) -> ViewOptions {
        // https://no-color.org: set and not empty means no colour.
        let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        ViewOptions {
            ascii: self.ascii,
            color: !(self.no_color || no_color_env),
            axis: if self.log_freq {
                FreqAxis::Log
            } else {
                FreqAxis::Linear
            },
            db_floor: self.db_min as f32,
            db_ceiling: self.db_max as f32,
            start: self.view,
        }
    }
}

/// The source's name in reports (a URL without its credentials).
fn describe(choice: &SourceChoice) -> String {
    match choice {
        SourceChoice::Demo => "demo".into(),
        SourceChoice::Url(url) => crate::sse::redact_url(url),
        SourceChoice::Serial(path) => path.clone(),
        SourceChoice::Replay(path) => path.display().to_string(),
        SourceChoice::ListPorts => "ports".into(),
    }
}
