//! Paths into the summary object (`adc.snr_db`, `adc.harmonics[0].dbc`): what a limit names,
//! checked against the numbers the summary can hold before anything is measured, and read
//! from a summary afterwards.

use std::fmt;

use serde_json::Value;

/// Every number the summary object can hold, by path; `[]` stands for any index of a list.
/// A test holds this against the object itself, so a key added there without a line here (or
/// the other way) fails.
pub const NUMBERS: &[&str] = &[
    "t",
    "frames",
    "frames_per_s",
    "samples_per_s",
    "bytes_per_s",
    "fs",
    "fft",
    "channel",
    "peak_hz",
    "peak_bin",
    "peak_dbfs",
    "latency_ms.p50",
    "latency_ms.p90",
    "latency_ms.p99",
    "latency_ms.max",
    "latency_ms.device_clock_ppm",
    "jitter_ms",
    "dropped",
    "bad_frames",
    "duplicates",
    "ignored",
    "reconnects",
    "restarts",
    "last_frame_age_s",
    "retry_in_s",
    "adc.fundamental_hz",
    "adc.fundamental_bin",
    "adc.fundamental_dbfs",
    "adc.snr_db",
    "adc.thd_db",
    "adc.sinad_db",
    "adc.enob_bits",
    "adc.enob_fs_bits",
    "adc.sfdr_dbc",
    "adc.noise_floor_dbfs",
    "adc.harmonics[].n",
    "adc.harmonics[].hz",
    "adc.harmonics[].dbc",
    "adc.nsd_dbfs_hz",
    "adc.sfdr_dbfs",
    "adc.worst_spur.hz",
    "adc.worst_spur.bin",
    "adc.worst_spur.dbfs",
    "adc.worst_spur.dbc",
    "adc.worst_spur.n",
    "adc.worst_other_spur.hz",
    "adc.worst_other_spur.dbfs",
    "adc.worst_other_spur.dbc",
    "adc.spurs[].hz",
    "adc.spurs[].bin",
    "adc.spurs[].dbfs",
    "adc.spurs[].dbc",
    "adc.spurs[].n",
    "imd.f1_hz",
    "imd.f2_hz",
    "imd.f1_dbfs",
    "imd.f2_dbfs",
    "imd.imd2_dbc",
    "imd.imd3_dbc",
    "imd.products[].order",
    "imd.products[].hz",
    "imd.products[].bin",
    "imd.products[].dbfs",
    "imd.products[].dbc",
    "linearity.samples",
    "linearity.bits",
    "linearity.first_code",
    "linearity.last_code",
    "linearity.dnl_min",
    "linearity.dnl_max",
    "linearity.inl_min",
    "linearity.inl_max",
    "linearity.missing_codes[]",
    "linearity_progress",
    "sinefit.freq_hz",
    "sinefit.amplitude_fs",
    "sinefit.offset_fs",
    "sinefit.sinad_db",
    "sinefit.enob_bits",
    "reference_max_delta_db",
    "reference_worst_hz",
];

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// A path into the summary, known to name a number it can hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SummaryPath {
    text: String,
    steps: Vec<Step>,
}

/// Why a path names no number of the summary.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("`{0}` is not a path (keys with dots, and [i] for an item of a list)")]
    Malformed(String),
    #[error("`{path}` is not a number the summary holds{}", near_phrase(.near))]
    Unknown { path: String, near: Vec<String> },
}

fn near_phrase(near: &[String]) -> String {
    if near.is_empty() {
        String::new()
    } else {
        format!(" (it has {})", near.join(", "))
    }
}

impl SummaryPath {
    /// `text` as a path, if it names a number of [`NUMBERS`].
    pub fn parse(text: &str) -> Result<Self, PathError> {
        let malformed = || PathError::Malformed(text.to_owned());
        let mut steps = Vec::new();
        for part in text.split('.') {
            let (key, mut rest) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(malformed());
            }
            steps.push(Step::Key(key.to_owned()));
            while !rest.is_empty() {
                let close = rest.find(']').ok_or_else(malformed)?;
                let index = rest[1..close].parse().map_err(|_| malformed())?;
                steps.push(Step::Index(index));
                rest = &rest[close + 1..];
                if !rest.is_empty() && !rest.starts_with('[') {
                    return Err(malformed());
                }
            }
        }
        let path = Self {
            text: text.to_owned(),
            steps,
        };
        if NUMBERS.contains(&path.shape().as_str()) {
            Ok(path)
        } else {
            Err(PathError::Unknown {
                path: text.to_owned(),
                near: path.near(),
            })
        }
    }

    /// The path with every index as `[]`: how [`NUMBERS`] spells it.
    fn shape(&self) -> String {
        let mut out = String::new();
        for step in &self.steps {
            match step {
                Step::Key(key) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
                Step::Index(_) => out.push_str("[]"),
            }
        }
        out
    }

    /// The numbers under the same first key, for a sentence that helps.
    fn near(&self) -> Vec<String> {
        let Some(Step::Key(first)) = self.steps.first() else {
            return Vec::new();
        };
        let prefix = format!("{first}.");
        let under: Vec<String> = NUMBERS
            .iter()
            .filter(|n| n.starts_with(&prefix))
            .map(|n| n.to_string())
            .collect();
        if under.len() > 12 {
            under[..12]
                .iter()
                .cloned()
                .chain(["…".to_owned()])
                .collect()
        } else {
            under
        }
    }

    /// The number at this path in `summary`; `None` when it is null or not there (no tone,
    /// no latency yet, a list shorter than the index).
    pub fn read(&self, summary: &Value) -> Option<f64> {
        let mut at = summary;
        for step in &self.steps {
            at = match step {
                Step::Key(key) => at.get(key)?,
                Step::Index(i) => at.get(*i)?,
            };
        }
        at.as_f64()
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the number is a frequency in Hz (a limit on it can be drawn on the plot's
    /// frequency axis).
    pub fn is_frequency(&self) -> bool {
        self.text.ends_with("_hz") || self.text.ends_with(".hz")
    }

    /// Whether the number is a level in dBFS (drawn on the plot's level axis).
    pub fn is_level(&self) -> bool {
        self.text.ends_with("_dbfs")
    }
}

impl fmt::Display for SummaryPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn paths_parse_to_the_numbers_the_summary_holds() {
        let snr = SummaryPath::parse("adc.snr_db").unwrap();
        let h2 = SummaryPath::parse("adc.harmonics[0].dbc").unwrap();
        let summary = json!({"adc": {"snr_db": 61.5, "harmonics": [{"dbc": -80.25}]}, "fs": null});
        assert_eq!(snr.read(&summary), Some(61.5));
        assert_eq!(h2.read(&summary), Some(-80.25));
        assert_eq!(
            SummaryPath::parse("adc.harmonics[3].dbc")
                .unwrap()
                .read(&summary),
            None
        );
        assert_eq!(SummaryPath::parse("fs").unwrap().read(&summary), None);
        assert!(SummaryPath::parse("peak_hz").unwrap().is_frequency());
        assert!(
            SummaryPath::parse("adc.fundamental_dbfs")
                .unwrap()
                .is_level()
        );
    }

    #[test]
    fn a_path_to_nothing_or_to_no_number_is_refused_with_what_is_there() {
        let unknown = SummaryPath::parse("adc.snr").unwrap_err();
        assert!(
            unknown.to_string().contains("adc.snr_db"),
            "it names what the adc holds: {unknown}"
        );
        for bad in [
            "",
            "adc..snr_db",
            "adc.harmonics[x].dbc",
            "adc.harmonics[0",
            "a b",
        ] {
            assert!(
                matches!(SummaryPath::parse(bad), Err(PathError::Malformed(_))),
                "{bad:?}"
            );
        }
        // A list is not a number, nor an object.
        assert!(SummaryPath::parse("adc.harmonics").is_err());
        assert!(SummaryPath::parse("adc").is_err());
        assert!(SummaryPath::parse("state").is_err());
    }
}
