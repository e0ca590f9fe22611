//! The limits file (SPEC §13): what a check measures and what it holds the board to. Read
//! whole before anything runs: a key that is not known, a path that names no number of the
//! summary, a minimum above its maximum, a mask that goes backwards: each is one sentence with
//! the file, the line and the key, and the check does not start.

use std::path::{Path, PathBuf};
use std::time::Duration;

use toml_edit::{Document, Item, Table, Value};

use crate::error::{AtLine, plain_io_error};
use crate::summary::path::{PathError, SummaryPath};
pub use crate::vocabulary::Measure;

/// Seconds analysed before measuring starts, and measured, when the file does not say.
pub const DEFAULT_SETTLE_S: f64 = 1.0;
pub const DEFAULT_MEASURE_S: f64 = 4.0;
/// How long a check waits for its first frame (and, measuring by frames, for the frames).
pub const DEFAULT_TIMEOUT_S: f64 = 10.0;
/// The longest any of them may be: a day.
const LONGEST_S: f64 = 86_400.0;

/// What a check measures, and the limits it judges.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// The suite's name in reports (the file's stem unless `name` says).
    pub name: String,
    pub settle: Duration,
    pub measure: Measure,
    pub timeout: Duration,
    pub limits: Vec<Limit>,
    pub mask: Option<Mask>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Limit {
    pub name: String,
    pub path: SummaryPath,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Within this of a bound: marginal.
    pub marginal: f64,
    pub unit: Option<String>,
}

/// No bin of the averaged spectrum above this line: (Hz, dBFS) points, straight between.
#[derive(Clone, Debug, PartialEq)]
pub struct Mask {
    pub points: Vec<(f64, f64)>,
}

impl Mask {
    /// The mask's level at `hz`, or `None` outside the frequencies it covers. On a vertical
    /// step (two points at one frequency) a bin right on it is held to the higher level.
    pub fn level_at(&self, hz: f64) -> Option<f64> {
        let first = self.points.first()?;
        let last = self.points.last()?;
        if hz < first.0 || hz > last.0 {
            return None;
        }
        let mut level: Option<f64> = None;
        for pair in self.points.windows(2) {
            let ((f0, l0), (f1, l1)) = (pair[0], pair[1]);
            if hz < f0 || hz > f1 {
                continue;
            }
            let here = if f1 == f0 {
                l0.max(l1)
            } else {
                l0 + (l1 - l0) * (hz - f0) / (f1 - f0)
            };
            level = Some(level.map_or(here, |l: f64| l.max(here)));
        }
        level
    }
}

/// Why the limits file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LimitsFileError {
    #[error("cannot read the limits file {}: {why}", path.display())]
    Unreadable { path: PathBuf, why: String },
    #[error(transparent)]
    At(#[from] AtLine<LimitsError>),
}

/// What is wrong at one place of the limits file.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LimitsError {
    #[error("{0}")]
    Toml(String),
    #[error(
        "unknown key `{0}` (a limits file has name, settle, measure, frames, timeout, [limit.NAME] and [mask])"
    )]
    UnknownKey(String),
    #[error(
        "unknown key `{key}` in [limit.{limit}] (a limit has value, min, max, marginal and unit)"
    )]
    UnknownLimitKey { limit: String, key: String },
    #[error("unknown key `{0}` in [mask] (a mask has points)")]
    UnknownMaskKey(String),
    #[error("`{key}` must be {want}")]
    WrongType { key: String, want: &'static str },
    #[error("`{key}` must be a number from {lo} to {hi}")]
    OutOfRange { key: String, lo: f64, hi: f64 },
    #[error("`measure` and `frames` both say how long to measure: give one")]
    MeasureTwice,
    #[error("[limit.{0}] has no `value`: the path of the number it judges")]
    NoValue(String),
    #[error("[limit.{0}] has neither `min` nor `max`")]
    NoBound(String),
    #[error("[limit.{name}] has min {min} above max {max}")]
    MinAboveMax { name: String, min: f64, max: f64 },
    #[error("[limit.{name}]: {error}")]
    Path { name: String, error: PathError },
    #[error("the mask's points must be [Hz, dBFS] pairs of numbers, at least two")]
    MaskShape,
    #[error("the mask's points go backwards: {hz} Hz after {before} Hz")]
    MaskBackwards { before: f64, hz: f64 },
    #[error("there is nothing to check: no [limit.NAME] and no [mask]")]
    Nothing,
}

/// Reads and checks the limits file at `path`.
pub fn read(path: &Path) -> Result<Limits, LimitsFileError> {
    let text = std::fs::read_to_string(path).map_err(|e| LimitsFileError::Unreadable {
        path: path.to_owned(),
        why: plain_io_error(&e),
    })?;
    let stem = path
        .file_stem()
        .map_or_else(|| "limits".to_owned(), |s| s.to_string_lossy().into_owned());
    parse(&text, &stem).map_err(|(offset, error)| {
        LimitsFileError::At(AtLine::at_offset(path, &text, offset, error))
    })
}

/// A problem and the byte offset where it is.
type Located = (usize, LimitsError);

/// The limits in `text`; `stem` names the suite unless `name` does.
pub fn parse(text: &str, stem: &str) -> Result<Limits, Located> {
    let document = Document::parse(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let message = e.message().trim_end().replace('\n', "; ");
        (offset, LimitsError::Toml(message))
    })?;
    let root = document.as_table();
    let mut limits = Limits {
        name: stem.to_owned(),
        settle: Duration::from_secs_f64(DEFAULT_SETTLE_S),
        measure: Measure::Time(Duration::from_secs_f64(DEFAULT_MEASURE_S)),
        timeout: Duration::from_secs_f64(DEFAULT_TIMEOUT_S),
        limits: Vec::new(),
        mask: None,
    };
    let mut measure_given = false;
    for (key, item) in root.iter() {
        let at = offset_of(root, key, item);
        match key {
            "name" => limits.name = string(key, item).map_err(|e| (at, e))?,
            "settle" => {
                limits.settle = seconds(key, item, 0.0).map_err(|e| (at, e))?;
            }
            "measure" | "frames" => {
                if measure_given {
                    return Err((at, LimitsError::MeasureTwice));
                }
                measure_given = true;
                limits.measure = if key == "measure" {
                    Measure::Time(seconds(key, item, 0.01).map_err(|e| (at, e))?)
                } else {
                    Measure::Frames(count(key, item).map_err(|e| (at, e))?)
                };
            }
            "timeout" => limits.timeout = seconds(key, item, 0.1).map_err(|e| (at, e))?,
            "limit" => {
                let table = item.as_table().ok_or((
                    at,
                    LimitsError::WrongType {
                        key: "limit".into(),
                        want: "tables: [limit.NAME]",
                    },
                ))?;
                for (name, item) in table.iter() {
                    let at = offset_of(table, name, item);
                    let limit_table = item.as_table().ok_or((
                        at,
                        LimitsError::WrongType {
                            key: format!("limit.{name}"),
                            want: "a table",
                        },
                    ))?;
                    limits.limits.push(limit(name, limit_table, at)?);
                }
            }
            "mask" => {
                let table = item.as_table().ok_or((
                    at,
                    LimitsError::WrongType {
                        key: "mask".into(),
                        want: "a table: [mask]",
                    },
                ))?;
                limits.mask = Some(mask(table, at)?);
            }
            other => return Err((at, LimitsError::UnknownKey(other.to_owned()))),
        }
    }
    if limits.limits.is_empty() && limits.mask.is_none() {
        return Err((0, LimitsError::Nothing));
    }
    Ok(limits)
}

/// Where `key` is written in `table` (its value's place when the key's is not known).
fn offset_of(table: &Table, key: &str, item: &Item) -> usize {
    table
        .key(key)
        .and_then(|k| k.span())
        .or_else(|| item.span())
        .or_else(|| item.as_table().and_then(Table::span))
        .map_or(0, |s| s.start)
}

fn limit(name: &str, table: &Table, table_at: usize) -> Result<Limit, Located> {
    let mut path = None;
    let (mut min, mut max, mut marginal, mut unit) = (None, None, 0.0, None);
    for (key, item) in table.iter() {
        let at = offset_of(table, key, item);
        let wrong = |e| (at, e);
        match key {
            "value" => {
                let text = string(key, item).map_err(wrong)?;
                path = Some(SummaryPath::parse(&text).map_err(|error| {
                    (
                        at,
                        LimitsError::Path {
                            name: name.to_owned(),
                            error,
                        },
                    )
                })?);
            }
            "min" => min = Some(number(key, item).map_err(wrong)?),
            "max" => max = Some(number(key, item).map_err(wrong)?),
            "marginal" => {
                marginal = number(key, item).map_err(wrong)?;
                if marginal < 0.0 {
                    return Err(wrong(LimitsError::OutOfRange {
                        key: key.into(),
                        lo: 0.0,
                        hi: f64::MAX,
                    }));
                }
            }
            "unit" => unit = Some(string(key, item).map_err(wrong)?),
            other => {
                return Err(wrong(LimitsError::UnknownLimitKey {
                    limit: name.to_owned(),
                    key: other.to_owned(),
                }));
            }
        }
    }
    let path = path.ok_or((table_at, LimitsError::NoValue(name.to_owned())))?;
    if min.is_none() && max.is_none() {
        return Err((table_at, LimitsError::NoBound(name.to_owned())));
    }
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        return Err((
            table_at,
            LimitsError::MinAboveMax {
                name: name.to_owned(),
                min: lo,
                max: hi,
            },
        ));
    }
    Ok(Limit {
        name: name.to_owned(),
        path,
        min,
        max,
        marginal,
        unit,
    })
}

fn mask(table: &Table, table_at: usize) -> Result<Mask, Located> {
    let mut points = None;
    for (key, item) in table.iter() {
        let at = offset_of(table, key, item);
        if key != "points" {
            return Err((at, LimitsError::UnknownMaskKey(key.to_owned())));
        }
        let array = item.as_array().ok_or((at, LimitsError::MaskShape))?;
        let mut read = Vec::new();
        for point in array.iter() {
            let at = point.span().map_or(at, |s| s.start);
            let pair = point
                .as_array()
                .filter(|p| p.len() == 2)
                .ok_or((at, LimitsError::MaskShape))?;
            let value = |v: &Value| {
                v.as_float()
                    .or_else(|| v.as_integer().map(|i| i as f64))
                    .filter(|x| x.is_finite())
            };
            let hz = value(pair.get(0).expect("two")).ok_or((at, LimitsError::MaskShape))?;
            let db = value(pair.get(1).expect("two")).ok_or((at, LimitsError::MaskShape))?;
            if let Some(&(before, _)) = read.last()
                && hz < before
            {
                return Err((at, LimitsError::MaskBackwards { before, hz }));
            }
            if hz < 0.0 {
                return Err((at, LimitsError::MaskShape));
            }
            read.push((hz, db));
        }
        if read.len() < 2 {
            return Err((at, LimitsError::MaskShape));
        }
        points = Some(read);
    }
    Ok(Mask {
        points: points.ok_or((table_at, LimitsError::MaskShape))?,
    })
}

fn number(key: &str, item: &Item) -> Result<f64, LimitsError> {
    item.as_float()
        .or_else(|| item.as_integer().map(|i| i as f64))
        .filter(|x| x.is_finite())
        .ok_or_else(|| LimitsError::WrongType {
            key: key.to_owned(),
            want: "a number",
        })
}

fn string(key: &str, item: &Item) -> Result<String, LimitsError> {
    item.as_str()
        .map(str::to_owned)
        .ok_or_else(|| LimitsError::WrongType {
            key: key.to_owned(),
            want: "a string",
        })
}

fn seconds(key: &str, item: &Item, lo: f64) -> Result<Duration, LimitsError> {
    let x = number(key, item)?;
    if !(lo..=LONGEST_S).contains(&x) {
        return Err(LimitsError::OutOfRange {
            key: key.to_owned(),
            lo,
            hi: LONGEST_S,
        });
    }
    Ok(Duration::from_secs_f64(x))
}

fn count(key: &str, item: &Item) -> Result<u64, LimitsError> {
    item.as_integer()
        .filter(|&n| n >= 1)
        .map(|n| n as u64)
        .ok_or_else(|| LimitsError::WrongType {
            key: key.to_owned(),
            want: "a whole number of frames, at least 1",
        })
}

#[cfg(test)]
mod tests;
