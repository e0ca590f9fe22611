//! The command line (SPEC §4): parsing, and (in `parts`) what it asks of each part of the
//! program. What to run and how the parts connect is decided in `run`.
//!
//! Every number has a range, checked as it is parsed: a value outside it is one sentence
//! and exit status 2, never a panic further in (a duration of 1e20 s does not fit a timer).

pub mod check;
mod parts;
pub mod serve;

use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::sync::Arc;

use clap::builder::TypedValueParser as _;
use clap::{ArgGroup, Parser};

use crate::analysis::{MAX_FFT, MIN_FFT, WindowKind, is_valid_fft_size};
use crate::wire::Format;
use crate::wire::lines::{LineLayout, TextKind};

const SOURCE: &str = "Source";
const SERIAL: &str = "Serial port (--serial)";
const SSE: &str = "Server-Sent Events feed (--url)";
const INPUT: &str = "Input format";
const ANALYSIS: &str = "Analysis";
const SCREEN: &str = "Screen";
const HEADLESS: &str = "Headless reports and runs";
const SETTINGS: &str = "Settings file";

const EXAMPLES: &str = "\
Examples:
  sse-tui                                        the built-in demo board
  sse-tui --serial auto                          the first ST virtual COM port
  sse-tui --serial /dev/ttyUSB0 --baud 921600 --format lines --rate 8000
  sse-tui --url https://lab.example/events --header 'Authorization: Bearer TOKEN'
  sse-tui --replay capture.bin --speed 0 --headless
  sse-tui --headless --duration 10 > report.jsonl
  sse-tui serve --serial auto --listen 0.0.0.0:8080 --token-file ~/.sse-token
  sse-tui check limits.toml --serial auto --junit out.xml --report out.html
  sse-tui --serial a=/dev/ttyACM0 --serial b=/dev/ttyACM1 --profile lab   a wall of boards
  sse-tui coherent --fs 48000 --fft 4096 --near 1000   a fair test frequency";

/// Ranges of the numeric options (inclusive).
pub mod limits {
    use std::ops::RangeInclusive;
    pub const BAUD: RangeInclusive<i64> = 50..=12_000_000;
    pub const MAX_EVENT_BYTES: RangeInclusive<u64> = 1024..=(1 << 30);
    pub const READ_TIMEOUT_S: RangeInclusive<f64> = 0.1..=86_400.0;
    pub const RATE_HZ: RangeInclusive<f64> = crate::frame::RATE_RANGE_HZ;
    pub const FULL_SCALE: RangeInclusive<f64> = crate::frame::FULL_SCALE_RANGE;
    pub const FPS: RangeInclusive<i64> = 1..=240;
    pub const BYTE_BUDGET: RangeInclusive<i64> = 0..=1_000_000_000;
    pub const REPORT_EVERY_S: RangeInclusive<f64> = 0.01..=86_400.0;
    /// A year: any longer does not fit a timer.
    pub const DURATION_S: RangeInclusive<f64> = 0.01..=31_536_000.0;
    /// 0 (as fast as possible) or within this.
    pub const SPEED: RangeInclusive<f64> = 0.001..=1000.0;
    pub const DB: RangeInclusive<f64> = -1000.0..=1000.0;
}

#[derive(Debug, Parser)]
#[command(
    name = "sse-tui",
    version,
    about = "Live spectrum and latency monitor for ADC boards: serial, Server-Sent Events, or a built-in demo board",
    after_help = EXAMPLES,
    // Several sources are several boards (SPEC §16).
    group(ArgGroup::new("source").args(["demo", "url", "serial", "replay", "list_ports"]).multiple(true))
)]
pub struct Cli {
    /// Built-in simulated STM32 board (the default when no source is given)
    #[arg(long, global = true, help_heading = SOURCE)]
    pub demo: bool,
    /// Subscribe to a Server-Sent Events feed (http or https); repeatable, `NAME=URL` names the board
    #[arg(long, global = true, value_name = "URL", help_heading = SOURCE)]
    pub url: Vec<String>,
    /// Read a serial device; `auto` picks the first ST virtual COM port (USB VID 0483); repeatable, `NAME=PATH`
    #[arg(long, global = true, value_name = "PATH", help_heading = SOURCE)]
    pub serial: Vec<String>,
    /// Play a file written by --record; repeatable, `NAME=FILE`
    #[arg(long, global = true, value_name = "FILE", help_heading = SOURCE)]
    pub replay: Vec<String>,
    /// Print serial ports with USB VID:PID, serial number and product, then exit
    #[arg(long, global = true, help_heading = SOURCE,
          conflicts_with_all = ["demo", "url", "serial", "replay"])]
    pub list_ports: bool,

    /// Wait for a device that is not there yet instead of failing
    #[arg(long, global = true, help_heading = SERIAL)]
    pub wait: bool,
    /// Serial baud rate (50 to 12000000)
    #[arg(long, global = true, default_value_t = 115_200, value_name = "N", help_heading = SERIAL,
          value_parser = clap::value_parser!(u32).range(limits::BAUD))]
    pub baud: u32,

    /// Extra request header, repeatable (e.g. 'Authorization: Bearer …')
    #[arg(long = "header", global = true, value_name = "'Name: value'", help_heading = SSE)]
    pub headers: Vec<String>,
    /// The Last-Event-ID to send on the first request
    #[arg(long, global = true, value_name = "ID", help_heading = SSE)]
    pub last_event_id: Option<String>,
    /// Accept any TLS certificate (only for testing; never the default)
    #[arg(long, global = true, help_heading = SSE)]
    pub insecure: bool,
    /// Trust this certificate authority (PEM) too: a lab's own, instead of --insecure
    #[arg(long, global = true, value_name = "FILE", help_heading = SSE)]
    pub ca: Option<PathBuf>,
    /// The largest event accepted (1024 to 1 GiB); a larger one is dropped and counted as bad
    #[arg(long, global = true, default_value_t = 16 * 1024 * 1024, value_name = "BYTES", help_heading = SSE,
          value_parser = clap::value_parser!(u64).range(limits::MAX_EVENT_BYTES))]
    pub max_event_bytes: u64,
    /// A connection silent for this long (not even a heartbeat) is dropped (0.1 to 86400)
    #[arg(long, global = true, default_value_t = 45.0, value_name = "SECONDS", help_heading = SSE,
          value_parser = number_in(limits::READ_TIMEOUT_S, "seconds"))]
    pub read_timeout: f64,

    /// Input format
    #[arg(long, global = true, value_enum, default_value_t = Format::Auto, help_heading = INPUT)]
    pub format: Format,
    /// Sample rate in Hz, for input that does not carry it
    #[arg(long, global = true, value_name = "HZ", help_heading = INPUT,
          value_parser = number_in(limits::RATE_HZ, "Hz"))]
    pub rate: Option<f64>,
    /// What text lines hold
    #[arg(long, global = true, value_enum, default_value_t = TextKind::Samples, help_heading = INPUT)]
    pub kind: TextKind,
    /// How text lines lay out samples
    #[arg(long, global = true, value_enum, default_value_t = LineLayout::Auto, help_heading = INPUT)]
    pub lines: LineLayout,
    /// The value of a full-scale amplitude (the dBFS reference), in input units
    #[arg(long, global = true, value_name = "X", help_heading = INPUT,
          value_parser = number_in(limits::FULL_SCALE, ""))]
    pub full_scale: Option<f64>,
    /// The window a board applied before its FFT, for spectra that do not say (default rect)
    #[arg(long, global = true, value_enum, value_name = "NAME", help_heading = INPUT)]
    pub board_window: Option<WindowKind>,

    /// FFT size, a power of two from 64 to 65536
    #[arg(long, global = true, default_value_t = 1024, value_name = "N", value_parser = fft_size, help_heading = ANALYSIS)]
    pub fft: usize,
    /// Window function
    #[arg(long, global = true, value_enum, default_value_t = WindowKind::Hann, help_heading = ANALYSIS)]
    pub window: WindowKind,
    /// Harmonics the ADC figures count: the 2nd to the (N+1)th (1 to 50)
    #[arg(long, global = true, default_value_t = crate::analysis::adc::DEFAULT_HARMONICS, value_name = "N",
          help_heading = ANALYSIS, value_parser = clap::value_parser!(u8).range(1..=50).map(usize::from))]
    pub harmonics: usize,
    /// Read the noise and the spurs in this band only, Hz (e.g. 20:20000)
    #[arg(long, global = true, value_name = "LO:HI", help_heading = ANALYSIS, value_parser = band)]
    pub band: Option<(f64, f64)>,
    /// Set a known interferer aside: its frequency and width, Hz (default: a lobe); repeatable
    #[arg(long = "notch", global = true, value_name = "HZ[:WIDTH]", help_heading = ANALYSIS, value_parser = notch)]
    pub notches: Vec<(f64, Option<f64>)>,
    /// Measure two tones' intermodulation, whatever the spectrum holds (default: when it holds two)
    #[arg(long, global = true, help_heading = ANALYSIS)]
    pub two_tone: bool,
    /// Count every sample's code for the code-density test: DNL, INL, missing codes
    #[arg(long, global = true, help_heading = ANALYSIS)]
    pub linearity: bool,
    /// Spectra a waterfall line holds (1 to 1024; `[` and `]` halve and double it)
    #[arg(long, global = true, default_value_t = crate::analysis::waterfall::DEFAULT_SPECTRA_PER_LINE, value_name = "N",
          help_heading = ANALYSIS, value_parser = clap::value_parser!(u16).range(1..=1024).map(usize::from))]
    pub spectra_per_line: usize,
    /// Channel to analyse (0 to 15)
    #[arg(long, global = true, default_value_t = 0, value_name = "N", help_heading = ANALYSIS,
          value_parser = clap::value_parser!(u8).range(0..16))]
    pub channel: u8,

    /// Screen refresh cap, frames per second (1 to 240)
    #[arg(long, global = true, default_value_t = 30, value_name = "N", help_heading = SCREEN,
          value_parser = clap::value_parser!(u32).range(limits::FPS))]
    pub fps: u32,
    /// Most bytes a second a screen writes; a busy view then draws fewer pictures, each of
    /// the latest data, and the header says so (0: no limit; default 4096 over SSH, else 0)
    #[arg(long, global = true, value_name = "BYTES", help_heading = SCREEN,
          value_parser = clap::value_parser!(u32).range(limits::BYTE_BUDGET))]
    pub byte_budget: Option<u32>,
    /// The view at start (the `v` key cycles them)
    #[arg(long, global = true, value_enum, default_value_t = crate::vocabulary::ViewKind::Spectrum, help_heading = SCREEN)]
    pub view: crate::vocabulary::ViewKind,
    /// Plain ASCII drawing, for terminals without block glyphs
    #[arg(long, global = true, help_heading = SCREEN)]
    pub ascii: bool,
    /// No colours (the NO_COLOR environment variable does the same)
    #[arg(long, global = true, help_heading = SCREEN)]
    pub no_color: bool,
    /// Logarithmic frequency axis at start (the `l` key toggles it)
    #[arg(long, global = true, help_heading = SCREEN)]
    pub log_freq: bool,
    /// Bottom of the dB axis (-1000 to 1000)
    #[arg(long, global = true, default_value_t = -120.0, value_name = "DB", allow_negative_numbers = true,
          help_heading = SCREEN, value_parser = number_in(limits::DB, "dB"))]
    pub db_min: f64,
    /// Top of the dB axis (-1000 to 1000)
    #[arg(long, global = true, default_value_t = 0.0, value_name = "DB", allow_negative_numbers = true,
          help_heading = SCREEN, value_parser = number_in(limits::DB, "dB"))]
    pub db_max: f64,
    /// Write diagnostics to this file (they never go to the screen)
    #[arg(long, global = true, value_name = "FILE", help_heading = SCREEN)]
    pub log_file: Option<PathBuf>,

    /// No screen: JSON lines on stdout (implied when stdout is not a terminal)
    #[arg(long, global = true, help_heading = HEADLESS)]
    pub headless: bool,
    /// Headless report interval, seconds (0.01 to 86400)
    #[arg(long, global = true, default_value_t = 1.0, value_name = "SECONDS", help_heading = HEADLESS,
          value_parser = number_in(limits::REPORT_EVERY_S, "seconds"))]
    pub report_every: f64,
    /// Stop after N frames received
    #[arg(long, global = true, value_name = "N", help_heading = HEADLESS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub frames: Option<u64>,
    /// Stop after this many seconds (0.01 to 31536000, a year)
    #[arg(long, global = true, value_name = "SECONDS", help_heading = HEADLESS,
          value_parser = number_in(limits::DURATION_S, "seconds"))]
    pub duration: Option<f64>,
    /// Append every received frame to FILE as COBS-framed binary frames
    #[arg(long, global = true, value_name = "FILE", help_heading = HEADLESS)]
    pub record: Option<PathBuf>,
    /// What is recorded reaches the disk at least this often, seconds: a crash loses no more (0.01 to 60)
    #[arg(long, global = true, default_value_t = 0.1, value_name = "SECONDS", help_heading = HEADLESS,
          value_parser = number_in(0.01..=60.0, "seconds"))]
    pub record_flush: f64,
    /// At exit, write a self-contained HTML report (spectrum, figures, verdict, settings)
    #[arg(long, global = true, value_name = "FILE.html", help_heading = HEADLESS)]
    pub report: Option<PathBuf>,
    /// At exit, write the averaged spectrum as CSV (hz,dbfs; a column per channel)
    #[arg(long, global = true, value_name = "FILE.csv", help_heading = HEADLESS)]
    pub spectrum_csv: Option<PathBuf>,
    /// Hold the live spectrum to this one (a CSV as --spectrum-csv writes): drawn beside it,
    /// and its largest difference in the summary (`g` takes the live one instead)
    #[arg(long, global = true, value_name = "FILE.csv", help_heading = ANALYSIS)]
    pub reference: Option<PathBuf>,
    /// Replay pace: 1 = real time, 0 = as fast as possible (else 0.001 to 1000)
    #[arg(long, global = true, default_value_t = 1.0, value_name = "X", value_parser = speed, help_heading = HEADLESS)]
    pub speed: f64,

    /// Read the settings from FILE (default: $XDG_CONFIG_HOME/sse-tui/config.toml)
    #[arg(long, global = true, value_name = "FILE", help_heading = SETTINGS)]
    pub config: Option<PathBuf>,
    /// Read no settings file
    #[arg(long, global = true, conflicts_with = "config", help_heading = SETTINGS)]
    pub no_config: bool,
    /// Use the settings of [profile.NAME] in the settings file; given again, each profile is a
    /// board of its own with its own source and settings
    #[arg(long, global = true, value_name = "NAME", help_heading = SETTINGS)]
    pub profile: Vec<String>,
    /// The boards of several `--profile`s: each profile's name and its own command line (the
    /// command line and the file under the profile, with the profile's source).
    #[arg(skip)]
    pub profile_boards: Vec<(String, Arc<Cli>)>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// A parser for a finite number within `range`; `unit` names it in the sentence.
pub fn number_in(
    range: RangeInclusive<f64>,
    unit: &'static str,
) -> impl Fn(&str) -> Result<f64, String> + Clone + Send + Sync + 'static {
    move |text: &str| match text.trim().parse::<f64>() {
        Ok(x) if range.contains(&x) => Ok(x),
        _ => Err(format!(
            "must be a number from {} to {}{}{unit}",
            range.start(),
            range.end(),
            if unit.is_empty() { "" } else { " " }
        )),
    }
}

fn fft_size(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if is_valid_fft_size(n) => Ok(n),
        _ => Err(format!(
            "must be a power of two from {MIN_FFT} to {MAX_FFT}"
        )),
    }
}

/// `LO:HI` in Hz, LO below HI.
fn band(text: &str) -> Result<(f64, f64), String> {
    let hz = |t: &str| {
        t.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x >= 0.0)
    };
    match text.split_once(':').map(|(lo, hi)| (hz(lo), hz(hi))) {
        Some((Some(lo), Some(hi))) if lo < hi => Ok((lo, hi)),
        _ => Err("must be LO:HI in Hz, LO below HI".into()),
    }
}

/// `HZ` or `HZ:WIDTH`, Hz.
fn notch(text: &str) -> Result<(f64, Option<f64>), String> {
    let hz = |t: &str| {
        t.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x >= 0.0)
    };
    let wrong = || "must be HZ or HZ:WIDTH in Hz".to_owned();
    match text.split_once(':') {
        None => Ok((hz(text).ok_or_else(wrong)?, None)),
        Some((at, width)) => Ok((
            hz(at).ok_or_else(wrong)?,
            Some(hz(width).filter(|w| *w > 0.0).ok_or_else(wrong)?),
        )),
    }
}

fn speed(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if x == 0.0 || limits::SPEED.contains(&x) => Ok(x),
        _ => Err(format!(
            "must be 0 (as fast as possible) or a number from {} to {}",
            limits::SPEED.start(),
            limits::SPEED.end()
        )),
    }
}

// Parsed once at start and held by reference: the size of a variant costs nothing here.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Publish the source as a Server-Sent Events feed for many watchers (terminals, browsers)
    Serve(serve::ServeArgs),
    /// Measure the board against a limits file and say whether it passes (exit 0 pass, 1 fail, 3 no verdict)
    Check(check::CheckArgs),
    /// Print the coherent test frequency nearest a frequency: M cycles in the FFT, M odd and prime to it
    Coherent(CoherentArgs),
    /// Print a shell completion script: bash, zsh or fish (elvish and powershell too)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), as docs/sse-tui.1 holds it
    #[command(hide = true)]
    Manpage,
}

/// `coherent`'s options (SPEC §15); the record's length is the global `--fft`.
#[derive(Clone, Debug, clap::Args)]
pub struct CoherentArgs {
    /// The sample rate, Hz
    #[arg(long, value_name = "HZ", value_parser = number_in(limits::RATE_HZ, "Hz"))]
    pub fs: f64,
    /// The frequency wanted, Hz (the nearest coherent one is printed)
    #[arg(long, value_name = "HZ", value_parser = number_in(0.0..=f64::MAX, "Hz"))]
    pub near: f64,
}

/// The manual page, made from the same definitions as `--help`.
pub fn manual_page() -> Vec<u8> {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .expect("rendering into memory");
    out
}

/// A completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "sse-tui", &mut out);
    out
}

/// One board of a run: its name, its source, and its own settings when it is a profile's.
#[derive(Clone, Debug)]
pub struct Board {
    pub name: String,
    pub choice: SourceChoice,
    /// A profile's board runs with the profile's settings (SPEC §16), any other with the run's.
    pub settings: Option<Arc<Cli>>,
}

impl Board {
    /// The settings this board runs with.
    pub fn cli<'a>(&'a self, run: &'a Cli) -> &'a Cli {
        self.settings.as_deref().unwrap_or(run)
    }
}

/// `NAME=VALUE` as (NAME, VALUE) when what is before the first `=` is a name (letters,
/// digits, `-`, `_`): a URL's own `=` comes after a `:` or a `/`, so it is no name.
fn named(value: &str) -> (Option<&str>, &str) {
    match value.split_once('=') {
        Some((name, rest))
            if !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            (Some(name), rest)
        }
        _ => (None, value),
    }
}

/// A board's name from its source: the port's file name, the feed's host and path, the
/// recording's file stem, `demo`.
fn board_name(choice: &SourceChoice) -> String {
    match choice {
        SourceChoice::Demo | SourceChoice::ListPorts => "demo".into(),
        SourceChoice::Serial(path) => std::path::Path::new(path)
            .file_name()
            .map_or_else(|| path.clone(), |n| n.to_string_lossy().into_owned()),
        SourceChoice::Replay(path) => path.file_stem().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        SourceChoice::Url(url) => reqwest::Url::parse(url).map_or_else(
            |_| url.clone(),
            |u| {
                let host = u.host_str().unwrap_or("feed");
                let path = u.path().trim_matches('/');
                if path.is_empty() {
                    host.to_owned()
                } else {
                    format!("{host}/{path}")
                }
            },
        ),
    }
}

/// The chosen source.
#[derive(Clone, Debug, PartialEq)]
pub enum SourceChoice {
    Demo,
    Url(String),
    Serial(String),
    Replay(PathBuf),
    ListPorts,
}

/// A command line that parses but does not hold together.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum UsageError {
    #[error("--db-min must be below --db-max")]
    DbRange,
    #[error("--header {0:?} is not of the form 'Name: value'")]
    Header(String),
    #[error("--last-event-id must not hold a line break or a NUL")]
    LastEventId,
    #[error("cannot read the token file {path}: {why}")]
    TokenFile { path: String, why: String },
    #[error("the token is empty")]
    EmptyToken,
    #[error("listening on {0} reaches beyond this machine: give --token or --token-file")]
    NeedsToken(SocketAddr),
    #[error("cannot write {path}: {why}")]
    Unwritable { path: String, why: String },
    #[error("--reference: {0}")]
    Reference(String),
    #[error("--record: {0}")]
    Record(String),
    /// `--tls-cert`, `--tls-key`: the sentence names the file.
    #[error("{0}")]
    Tls(String),
    /// What several boards cannot do (yet).
    #[error("with several boards, {0}")]
    SeveralBoards(String),
}

impl Cli {
    /// The source of a run of one board: the first named (SPEC §16 has several as boards).
    pub fn source(&self) -> SourceChoice {
        if self.list_ports {
            return SourceChoice::ListPorts;
        }
        self.boards()
            .into_iter()
            .next()
            .map_or(SourceChoice::Demo, |b| b.choice)
    }

    /// Every board asked for (SPEC §16): the feeds, then the serial ports, then the
    /// recordings, each as given, and the demo when `--demo` is given beside them (or
    /// nothing else is). Each is named by `NAME=` before its value, else by its source; a
    /// name given twice gets `-2`, `-3` after it.
    pub fn boards(&self) -> Vec<Board> {
        let mut boards: Vec<(Option<&str>, SourceChoice)> = Vec::new();
        for value in &self.url {
            let (name, url) = named(value);
            boards.push((name, SourceChoice::Url(url.to_owned())));
        }
        for value in &self.serial {
            let (name, path) = named(value);
            boards.push((name, SourceChoice::Serial(path.to_owned())));
        }
        for value in &self.replay {
            let (name, path) = named(value);
            boards.push((name, SourceChoice::Replay(PathBuf::from(path))));
        }
        if self.demo || (boards.is_empty() && self.profile_boards.is_empty()) {
            boards.push((None, SourceChoice::Demo));
        }
        let mut all: Vec<(String, SourceChoice, Option<Arc<Cli>>)> = boards
            .into_iter()
            .map(|(name, choice)| {
                let name = name.map_or_else(|| board_name(&choice), str::to_owned);
                (name, choice, None)
            })
            .collect();
        // Each profile's boards (one, unless its source is several), named by the profile.
        for (profile, settings) in &self.profile_boards {
            for board in settings.boards() {
                all.push((profile.clone(), board.choice, Some(settings.clone())));
            }
        }
        let mut taken: Vec<String> = Vec::new();
        all.into_iter()
            .map(|(base, choice, settings)| {
                let mut name = base.clone();
                for n in 2.. {
                    if !taken.contains(&name) {
                        break;
                    }
                    name = format!("{base}-{n}");
                }
                taken.push(name.clone());
                Board {
                    name,
                    choice,
                    settings,
                }
            })
            .collect()
    }

    /// `--header` values as (name, value).
    pub fn header_pairs(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .filter_map(|h| h.split_once(':'))
            .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
            .collect()
    }

    /// Checks that need more than one option, or more than a range.
    pub fn check(&self) -> Result<(), UsageError> {
        if self.db_min >= self.db_max {
            return Err(UsageError::DbRange);
        }
        if let Some(header) = self.headers.iter().find(|h| !h.contains(':')) {
            return Err(UsageError::Header(header.clone()));
        }
        if self
            .last_event_id
            .as_deref()
            .is_some_and(|id| id.contains(['\r', '\n', '\0']))
        {
            return Err(UsageError::LastEventId);
        }
        Ok(())
    }
}

/// A clap error as one plain sentence (clap's own is several lines with hints).
pub fn usage_sentence(error: &clap::Error) -> String {
    let rendered = error.to_string();
    let mut lines = rendered.lines();
    let first = lines.next().unwrap_or("invalid command line");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    // A sentence that ends in a colon goes on in the indented lines under it (the missing
    // arguments): they belong to it.
    let list: Vec<&str> = if first.ends_with(':') {
        lines
            .take_while(|l| !l.trim().is_empty())
            .map(str::trim)
            .collect()
    } else {
        Vec::new()
    };
    if list.is_empty() {
        format!("sse-tui: {first} (see sse-tui --help)")
    } else {
        format!("sse-tui: {first} {} (see sse-tui --help)", list.join(", "))
    }
}

#[cfg(test)]
mod tests;

/// A `Name: value` request header, as (name, value), or a sentence saying why not.
pub fn header_pair(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| "give it as 'Name: value'".to_owned())?;
    let name = name.trim();
    reqwest::header::HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("{name:?} is not a header name"))?;
    reqwest::header::HeaderValue::from_str(value.trim())
        .map_err(|_| "the value holds characters a header cannot".to_owned())?;
    Ok((name.to_owned(), value.trim().to_owned()))
}
