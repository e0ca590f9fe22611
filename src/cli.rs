//! The command line (SPEC §4). Parsing only: what to run is decided in `main`.

use std::path::PathBuf;

use clap::{ArgGroup, Parser};

use crate::analysis::{MAX_FFT, MIN_FFT, WindowKind, is_valid_fft_size};
use crate::wire::Format;
use crate::wire::lines::{LineLayout, TextKind};

#[derive(Debug, Parser)]
#[command(
    name = "sse-tui",
    version,
    about = "Live spectrum and latency monitor for ADC boards: serial, Server-Sent Events, or a built-in demo board",
    group(ArgGroup::new("source").args(["demo", "url", "serial", "replay", "list_ports"]))
)]
pub struct Cli {
    /// Built-in simulated STM32 board (the default when no source is given)
    #[arg(long, global = true, global = true)]
    pub demo: bool,
    /// Subscribe to a Server-Sent Events feed (http or https)
    #[arg(long, global = true, value_name = "URL")]
    pub url: Option<String>,
    /// Read a serial device; `auto` picks the first ST virtual COM port (USB VID 0483)
    #[arg(long, global = true, value_name = "PATH")]
    pub serial: Option<String>,
    /// Play a file written by --record
    #[arg(long, global = true, value_name = "FILE")]
    pub replay: Option<PathBuf>,
    /// Print serial ports with USB VID:PID, serial number and product, then exit
    #[arg(long, global = true, global = true)]
    pub list_ports: bool,

    /// With --serial: wait for a device that is not there yet instead of failing
    #[arg(long, global = true, global = true)]
    pub wait: bool,
    /// Serial baud rate
    #[arg(long, global = true, default_value_t = 115_200, value_name = "N")]
    pub baud: u32,
    /// Extra request header for --url, repeatable (e.g. 'Authorization: Bearer …')
    #[arg(long = "header", global = true, value_name = "'Name: value'")]
    pub headers: Vec<String>,
    /// With --url: the Last-Event-ID to send on the first request
    #[arg(long, global = true, value_name = "ID")]
    pub last_event_id: Option<String>,
    /// With --url: accept any TLS certificate (only for testing; never the default)
    #[arg(long, global = true, global = true)]
    pub insecure: bool,
    /// With --url: the largest event accepted; a larger one is dropped and counted as bad
    #[arg(long, global = true, default_value_t = 16 * 1024 * 1024, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1024..))]
    pub max_event_bytes: u64,
    /// With --url: a connection silent for this long (not even a heartbeat) is dropped
    #[arg(long, global = true, default_value_t = 45.0, value_name = "SECONDS", value_parser = positive_f64)]
    pub read_timeout: f64,
    /// Input format
    #[arg(long, global = true, value_enum, default_value_t = Format::Auto)]
    pub format: Format,
    /// Sample rate in Hz, for input that does not carry it
    #[arg(long, global = true, value_name = "HZ", value_parser = positive_f64)]
    pub rate: Option<f64>,
    /// What text lines hold
    #[arg(long, global = true, value_enum, default_value_t = TextKind::Samples)]
    pub kind: TextKind,
    /// How text lines lay out samples
    #[arg(long, global = true, value_enum, default_value_t = LineLayout::Auto)]
    pub lines: LineLayout,
    /// The value of a full-scale amplitude (the dBFS reference), in input units
    #[arg(long, global = true, value_name = "X", value_parser = positive_f64)]
    pub full_scale: Option<f64>,

    /// FFT size, a power of two from 64 to 65536
    #[arg(long, global = true, default_value_t = 1024, value_name = "N", value_parser = fft_size)]
    pub fft: usize,
    /// Window function
    #[arg(long, global = true, value_enum, default_value_t = WindowKind::Hann)]
    pub window: WindowKind,
    /// Channel to analyse
    #[arg(long, global = true, default_value_t = 0, value_name = "N", value_parser = clap::value_parser!(u8).range(0..16))]
    pub channel: u8,
    /// Screen refresh cap, frames per second
    #[arg(long, global = true, default_value_t = 30, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=240))]
    pub fps: u32,

    /// No screen: JSON lines on stdout (implied when stdout is not a terminal)
    #[arg(long, global = true, global = true)]
    pub headless: bool,
    /// Headless report interval, seconds
    #[arg(long, global = true, default_value_t = 1.0, value_name = "SECONDS", value_parser = positive_f64)]
    pub report_every: f64,
    /// Stop after N frames received
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub frames: Option<u64>,
    /// Stop after this many seconds
    #[arg(long, global = true, value_name = "SECONDS", value_parser = positive_f64)]
    pub duration: Option<f64>,
    /// Append every received frame to FILE as COBS-framed binary frames
    #[arg(long, global = true, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Replay pace: 1 = real time, 0 = as fast as possible
    #[arg(long, global = true, default_value_t = 1.0, value_name = "X", value_parser = non_negative_f64)]
    pub speed: f64,

    /// Write diagnostics to this file (they never go to the screen)
    #[arg(long, global = true, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
    /// Plain ASCII drawing, for terminals without block glyphs
    #[arg(long, global = true, global = true)]
    pub ascii: bool,
    /// No colours (the NO_COLOR environment variable does the same)
    #[arg(long, global = true, global = true)]
    pub no_color: bool,
    /// Logarithmic frequency axis at start (the `l` key toggles it)
    #[arg(long, global = true, global = true)]
    pub log_freq: bool,
    /// Bottom of the dB axis
    #[arg(long, global = true, default_value_t = -120.0, value_name = "DB", allow_negative_numbers = true)]
    pub db_min: f64,
    /// Top of the dB axis
    #[arg(
        long,
        default_value_t = 0.0,
        value_name = "DB",
        allow_negative_numbers = true
    )]
    pub db_max: f64,

    #[command(subcommand)]
    pub command: Option<Command>,
}

fn fft_size(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if is_valid_fft_size(n) => Ok(n),
        _ => Err(format!(
            "must be a power of two from {MIN_FFT} to {MAX_FFT}"
        )),
    }
}

fn positive_f64(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err("must be a positive number".into()),
    }
}

fn non_negative_f64(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err("must be a number, 0 or more".into()),
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Publish the source as a Server-Sent Events feed for many watchers (terminals, browsers)
    Serve(crate::serve::ServeArgs),
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

impl Cli {
    pub fn source(&self) -> SourceChoice {
        if let Some(url) = &self.url {
            SourceChoice::Url(url.clone())
        } else if let Some(path) = &self.serial {
            SourceChoice::Serial(path.clone())
        } else if let Some(path) = &self.replay {
            SourceChoice::Replay(path.clone())
        } else if self.list_ports {
            SourceChoice::ListPorts
        } else {
            SourceChoice::Demo
        }
    }

    /// Checks that need more than one option; the sentence says what is wrong.
    /// `--header` values as (name, value).
    pub fn header_pairs(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .filter_map(|h| h.split_once(':'))
            .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
            .collect()
    }

    pub fn check(&self) -> Result<(), String> {
        // Timers of zero length would spin (and tokio refuses them).
        if self.report_every < 0.01 {
            return Err("--report-every must be at least 0.01 seconds".into());
        }
        if !(-1000.0..=1000.0).contains(&self.db_min) || !(-1000.0..=1000.0).contains(&self.db_max)
        {
            return Err("--db-min and --db-max must lie within ±1000 dB".into());
        }
        if self.db_min >= self.db_max {
            return Err("--db-min must be below --db-max".into());
        }
        if let Some(header) = self.headers.iter().find(|h| !h.contains(':')) {
            return Err(format!(
                "--header {header:?} is not of the form 'Name: value'"
            ));
        }
        Ok(())
    }
}

/// A clap error as one plain sentence (clap's own is several lines with hints).
pub fn usage_sentence(error: &clap::Error) -> String {
    let rendered = error.to_string();
    let first = rendered.lines().next().unwrap_or("invalid command line");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    format!("sse-tui: {first} (see sse-tui --help)")
}
