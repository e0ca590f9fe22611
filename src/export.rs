//! Exports (SPEC §14): the averaged spectrum as CSV (`hz,dbfs`, or a column per channel), and
//! the screen's plot as SVG, both from a snapshot; and such a CSV read back as a reference.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::Utc;

use crate::analysis::power_to_db;
use crate::analysis::reference::Reference;
use crate::error::{AtLine, plain_io_error};
use crate::output::{OutputError, write_whole};
use crate::plot::Plot;
use crate::snapshot::Snapshot;

/// The averaged spectrum, one row a bin: `hz,dbfs`, or `hz,ch0_dbfs,ch1_dbfs,…` when every
/// channel's spectrum is at hand; `bin` instead of `hz` without a sample rate. Levels to a
/// hundredth of a dB.
pub fn spectrum_csv(snapshot: &Snapshot) -> String {
    let channels: Vec<&[f32]> = match &snapshot.channel_spectra {
        Some(all)
            if all.len() > 1
                && all
                    .iter()
                    .all(|c| c.spectrum.len() == snapshot.spectrum.len()) =>
        {
            all.iter().map(|c| &c.spectrum[..]).collect()
        }
        _ => vec![&snapshot.spectrum[..]],
    };
    let mut out = String::from(if snapshot.bin_hz.is_some() {
        "hz"
    } else {
        "bin"
    });
    if channels.len() == 1 {
        out.push_str(",dbfs");
    } else {
        for c in 0..channels.len() {
            let _ = write!(out, ",ch{c}_dbfs");
        }
    }
    out.push('\n');
    for k in 0..snapshot.spectrum.len() {
        match snapshot.bin_hz {
            Some(bin_hz) => {
                let _ = write!(out, "{}", k as f64 * bin_hz);
            }
            None => {
                let _ = write!(out, "{k}");
            }
        }
        for spectrum in &channels {
            let _ = write!(out, ",{:.2}", power_to_db(spectrum[k]));
        }
        out.push('\n');
    }
    out
}

/// What the screen's export key asks for: the picture shown, as shown.
#[derive(Clone, Debug)]
pub struct ViewExport {
    pub snapshot: std::sync::Arc<Snapshot>,
    pub db_floor: f64,
    pub db_ceiling: f64,
    pub log_axis: bool,
}

/// Writes the view's CSV and SVG into `dir` under one new name; returns both paths.
pub fn write_view(dir: &Path, view: &ViewExport) -> Result<(PathBuf, PathBuf), OutputError> {
    let stem = format!("sse-tui-{}", Utc::now().format("%Y%m%dT%H%M%S%.3fZ"));
    let csv = dir.join(format!("{stem}.csv"));
    let svg = dir.join(format!("{stem}.svg"));
    write_whole(&csv, spectrum_csv(&view.snapshot).as_bytes())?;
    let plot = Plot::of(
        &view.snapshot,
        view.db_floor,
        view.db_ceiling,
        view.log_axis,
    );
    let mut drawing = plot.svg(960.0, 360.0);
    // A file of its own says what it is.
    drawing.insert_str(0, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    write_whole(&svg, drawing.as_bytes())?;
    Ok((csv, svg))
}

/// Why a reference CSV cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceFileError {
    #[error("cannot read the reference {}: {why}", path.display())]
    Unreadable { path: PathBuf, why: String },
    #[error(transparent)]
    At(#[from] AtLine<CsvError>),
}

/// What is wrong at a line of a reference CSV.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CsvError {
    #[error("the first row must name the columns: hz (or bin), then dbfs or ch0_dbfs, ch1_dbfs, …")]
    Header,
    #[error("there is no column {0} for the channel analysed")]
    NoChannel(String),
    #[error("{0:?} is not a number")]
    NotANumber(String),
    #[error("a row needs {0} values")]
    Short(usize),
    #[error("the frequencies go backwards: {now} after {before}")]
    Backwards { before: f64, now: f64 },
    #[error("there are no rows of levels")]
    Empty,
}

/// A spectrum CSV (as [`spectrum_csv`] writes it) as a reference: the column of `channel`
/// (or the only one).
pub fn read_reference(path: &Path, channel: usize) -> Result<Reference, ReferenceFileError> {
    let text = std::fs::read_to_string(path).map_err(|e| ReferenceFileError::Unreadable {
        path: path.to_owned(),
        why: plain_io_error(&e),
    })?;
    parse_reference(&text, channel).map_err(|(line, error)| {
        ReferenceFileError::At(AtLine {
            path: path.to_owned(),
            line,
            error,
        })
    })
}

fn parse_reference(text: &str, channel: usize) -> Result<Reference, (usize, CsvError)> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim()));
    let (_, header) = lines.next().ok_or((1, CsvError::Empty))?;
    let names: Vec<&str> = header.split(',').map(str::trim).collect();
    let in_hz = match names.first() {
        Some(&"hz") => true,
        Some(&"bin") => false,
        _ => return Err((1, CsvError::Header)),
    };
    let wanted = format!("ch{channel}_dbfs");
    let column = match &names[1..] {
        ["dbfs"] => 1,
        more if !more.is_empty()
            && more
                .iter()
                .all(|n| n.starts_with("ch") && n.ends_with("_dbfs")) =>
        {
            1 + more
                .iter()
                .position(|n| *n == wanted)
                .ok_or((1, CsvError::NoChannel(wanted)))?
        }
        _ => return Err((1, CsvError::Header)),
    };
    let mut points: Vec<(f64, f32)> = Vec::new();
    for (line, row) in lines.filter(|(_, l)| !l.is_empty()) {
        let values: Vec<&str> = row.split(',').map(str::trim).collect();
        if values.len() < names.len() {
            return Err((line, CsvError::Short(names.len())));
        }
        let number = |text: &str| -> Result<f64, (usize, CsvError)> {
            text.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or((line, CsvError::NotANumber(text.to_owned())))
        };
        let (f, level) = (number(values[0])?, number(values[column])?);
        if let Some(&(before, _)) = points.last()
            && f <= before
        {
            return Err((line, CsvError::Backwards { before, now: f }));
        }
        points.push((f, level as f32));
    }
    if points.is_empty() {
        return Err((1, CsvError::Empty));
    }
    Ok(Reference {
        points: points.into(),
        in_hz,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::snapshot::ChannelSpectrum;
    use crate::snapshot::sample::sample_snapshot;

    #[test]
    fn one_row_a_bin_in_hz_and_dbfs() {
        let snapshot = sample_snapshot(std::time::Instant::now());
        let csv = spectrum_csv(&snapshot);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "hz,dbfs");
        assert_eq!(lines.len(), 1 + 512);
        assert_eq!(lines[22], "984.375,-6.00");
        let mut two = snapshot.clone();
        two.channel_spectra = Some(Arc::from(vec![
            ChannelSpectrum {
                spectrum: snapshot.spectrum.clone(),
                peak: None,
            },
            ChannelSpectrum {
                spectrum: vec![1.0; 512].into(),
                peak: None,
            },
        ]));
        two.bin_hz = None;
        let csv = spectrum_csv(&two);
        assert!(
            csv.starts_with("bin,ch0_dbfs,ch1_dbfs\n0,"),
            "{}",
            &csv[..40]
        );
        assert_eq!(csv.lines().nth(22).unwrap(), "21,-6.00,0.00");
    }

    /// What the export writes reads back as the same levels: a golden board's CSV is a
    /// reference as it was measured.
    #[test]
    fn a_spectrum_csv_reads_back_as_a_reference() {
        let snapshot = sample_snapshot(std::time::Instant::now());
        let csv = spectrum_csv(&snapshot);
        let reference = parse_reference(&csv, 0).unwrap();
        assert!(reference.in_hz);
        let on = reference.on_bins(512, snapshot.bin_hz).unwrap();
        assert_eq!(reference.spacing(), snapshot.bin_hz);
        for (a, b) in on.iter().zip(snapshot.spectrum.iter()) {
            assert!((power_to_db(*a) - power_to_db(*b)).abs() < 0.006);
        }
        let two = "hz,ch0_dbfs,ch1_dbfs\n0,-90,-80\n100,-6,-7\n";
        assert_eq!(parse_reference(two, 1).unwrap().points[1], (100.0, -7.0));
        let wrong: &[(&str, usize, &str)] = &[
            ("frequency,level\n0,1\n", 1, "must name the columns"),
            ("hz,ch0_dbfs\n0,1\n", 1, "no column ch3_dbfs"),
            ("hz,dbfs\n0,-1\n10,x\n", 3, "\"x\" is not a number"),
            ("hz,dbfs\n0,-1\n10\n", 3, "needs 2 values"),
            ("hz,dbfs\n10,-1\n5,-2\n", 3, "backwards: 5 after 10"),
            ("hz,dbfs\n", 1, "no rows"),
        ];
        for (text, line, words) in wrong {
            let (at, error) = parse_reference(text, 3).unwrap_err();
            assert_eq!(at, *line, "{text:?}");
            assert!(error.to_string().contains(words), "{text:?}: {error}");
        }
    }

    #[test]
    fn the_view_is_written_as_csv_and_svg_side_by_side() {
        let dir = tempfile::tempdir().unwrap();
        let view = ViewExport {
            snapshot: Arc::new(sample_snapshot(std::time::Instant::now())),
            db_floor: -120.0,
            db_ceiling: 0.0,
            log_axis: true,
        };
        let (csv, svg) = write_view(dir.path(), &view).unwrap();
        assert_eq!(csv.with_extension(""), svg.with_extension(""));
        assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
        assert!(
            std::fs::read_to_string(&csv)
                .unwrap()
                .starts_with("hz,dbfs\n")
        );
    }
}
