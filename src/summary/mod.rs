//! The summary object of SPEC §5 made from a snapshot: what a headless report line says,
//! what the page's analysis carries, what a check judges and what a report prints. One
//! formatter below every front end, so none borrows another's.

pub mod path;

use std::time::Instant;

use serde_json::{Value, json};

use crate::analysis::adc::{AdcFigures, ImdFigures, Spur};
use crate::analysis::linearity::Linearity;
use crate::analysis::sinefit::SineFit;
use crate::link::{ClockSync, LinkState};
use crate::snapshot::Snapshot;
use crate::stats::Rates;

/// The object of `kind` (`"report"`, `"summary"`, `"analysis"`), `t` seconds after start,
/// with the rates given (the snapshot's own over its window, or a whole run's).
pub fn object(kind: &str, snapshot: &Snapshot, t: f64, rates: Rates, now: Instant) -> Value {
    let counters = &snapshot.counters;
    let round = |x: f64, digits: i32| {
        let scale = 10f64.powi(digits);
        (x * scale).round() / scale
    };
    let latency = snapshot.latency.map(|l| {
        let mut latency = json!({
            "p50": round(l.p50, 3), "p90": round(l.p90, 3), "p99": round(l.p99, 3),
            "max": round(l.max, 3), "kind": l.kind,
        });
        if let Some(ppm) = l.device_clock_ppm {
            latency["device_clock_ppm"] = round(ppm, 1).into();
        }
        latency
    });
    let mut line = json!({
        "type": kind,
        "t": round(t, 3),
        "state": snapshot.link.name(),
        "source": snapshot.source,
        "frames": counters.frames,
        "frames_per_s": round(rates.frames_per_s, 2),
        "samples_per_s": round(rates.samples_per_s, 1),
        "bytes_per_s": round(rates.bytes_per_s, 1),
        "fs": snapshot.sample_rate,
        "fft": snapshot.settings.fft_size,
        "window": snapshot.settings.window.name(),
        "channel": snapshot.settings.channel,
        "peak_hz": snapshot.peak_hz().map(|hz| round(hz, 2)),
        "peak_bin": snapshot.peak.map(|p| round(p.bin, 3)),
        "peak_dbfs": snapshot.peak.map(|p| round(p.dbfs, 2)),
        "latency_ms": latency,
        "latency_corrected": matches!(snapshot.clock_sync, ClockSync::Probed { .. }),
        "jitter_ms": snapshot.jitter_ms.map(|j| round(j, 3)),
        "dropped": counters.dropped,
        "bad_frames": counters.bad_frames,
        "duplicates": counters.duplicates,
        "ignored": counters.ignored,
        "reconnects": counters.reconnects,
        "restarts": counters.restarts,
        "last_frame_age_s": snapshot.frame_age(now).map(|a| round(a, 3)),
        "adc": snapshot.adc.as_ref().map(|adc| adc_object(adc, snapshot.bin_hz)),
        "imd": snapshot.imd.as_ref().map(|imd| imd_object(imd, snapshot.bin_hz)),
        "linearity": snapshot
            .linearity
            .as_ref()
            .filter(|l| l.is_ready())
            .map(linearity_object),
        "linearity_progress": snapshot.linearity.as_ref().map(|l| round(l.progress.min(1.0), 3)),
        "linearity_withheld": snapshot.linearity_unavailable.clone().or_else(|| {
            snapshot.linearity.as_ref().and_then(|l| l.withheld).map(|w| w.to_string())
        }),
        "sinefit": snapshot.sinefit.as_ref().map(sinefit_object),
        "reference_max_delta_db": snapshot.reference_delta.map(|d| round(d.max_delta_db, 2)),
        "reference_worst_hz": snapshot.reference_delta.and_then(|d| d.worst_hz).map(|hz| round(hz, 2)),
    });
    let extra = line.as_object_mut().expect("an object");
    if let Some(error) = &snapshot.last_error {
        extra.insert("last_error".into(), error.clone().into());
    }
    if let Some(notice) = &snapshot.notice {
        extra.insert("notice".into(), notice.clone().into());
    }
    if let Some(warning) = &snapshot.warning {
        extra.insert("warning".into(), warning.clone().into());
    }
    match &snapshot.link {
        LinkState::Disconnected { reason, retry_at } => {
            extra.insert("reason".into(), reason.clone().into());
            if let Some(at) = retry_at {
                let wait = at.saturating_duration_since(now).as_secs_f64();
                extra.insert("retry_in_s".into(), round(wait, 1).into());
            }
        }
        LinkState::Failed(reason) => {
            extra.insert("reason".into(), reason.clone().into());
        }
        _ => {}
    }
    line
}

/// SPEC §5's `adc` object; `bin_hz` turns bins into Hz (frequencies are null without a rate,
/// and the project adds their bins). `limited_by` says why noise figures are null.
fn adc_object(adc: &AdcFigures, bin_hz: Option<f64>) -> Value {
    let round = |x: f64, digits: i32| {
        let scale = 10f64.powi(digits);
        (x * scale).round() / scale
    };
    let hz = |bin: f64| bin_hz.map(|b| round(bin * b, 2));
    let figure = |x: Option<f64>, digits| x.map(|x| round(x, digits));
    let harmonics: Vec<Value> = adc
        .harmonics
        .iter()
        .map(|h| json!({ "n": h.n, "hz": hz(h.bin), "dbc": figure(h.dbc, 2) }))
        .collect();
    let dbfs = |power: f64| round(10.0 * power.log10(), 2);
    let dbc = |power: f64| round(10.0 * power.log10() - adc.fundamental_dbfs, 2);
    let spur = |s: &Spur| {
        json!({
            "hz": hz(s.bin), "bin": round(s.bin, 3), "dbfs": dbfs(s.power), "dbc": dbc(s.power),
            "kind": if s.harmonic.is_some() { "harmonic" } else { "spur" },
            "n": s.harmonic,
        })
    };
    let worst_other = adc
        .worst_other_spur()
        .map(|s| json!({ "hz": hz(s.bin), "dbfs": dbfs(s.power), "dbc": dbc(s.power) }));
    let mut object = json!({
        "fundamental_hz": hz(adc.fundamental_bin),
        "fundamental_bin": round(adc.fundamental_bin, 3),
        "fundamental_dbfs": round(adc.fundamental_dbfs, 2),
        "snr_db": figure(adc.snr_db, 2),
        "thd_db": figure(adc.thd_db, 2),
        "sinad_db": figure(adc.sinad_db, 2),
        "enob_bits": figure(adc.enob_bits, 3),
        "enob_fs_bits": figure(adc.enob_fs_bits, 3),
        "sfdr_dbc": figure(adc.sfdr_dbc, 2),
        "noise_floor_dbfs": figure(adc.noise_floor_dbfs, 2),
        "nsd_dbfs_hz": adc.nsd_dbfs_hz(bin_hz).map(|nsd| round(nsd, 2)),
        "sfdr_dbfs": adc.sfdr_dbfs().map(|d| round(d, 2)),
        "worst_spur": adc.spurs.first().map(spur),
        "worst_other_spur": worst_other,
        "spurs": adc.spurs.iter().map(spur).collect::<Vec<_>>(),
        "harmonics": harmonics,
    });
    if adc.leakage_limited {
        object["limited_by"] = "leakage".into();
    }
    object
}

/// SPEC §15's `imd`: the tones, IMD2 and IMD3 (the worse product of each order), and every
/// product where it folds.
fn imd_object(imd: &ImdFigures, bin_hz: Option<f64>) -> Value {
    let round = |x: f64, digits: i32| {
        let scale = 10f64.powi(digits);
        (x * scale).round() / scale
    };
    let hz = |bin: f64| bin_hz.map(|b| round(bin * b, 2));
    let dbfs = |power: f64| round(10.0 * power.log10(), 2);
    let products: Vec<Value> = imd
        .products
        .iter()
        .map(|p| {
            json!({
                "order": p.order, "hz": hz(p.bin), "bin": round(p.bin, 3),
                "dbfs": p.power.map(dbfs), "dbc": imd.dbc(p).map(|d| round(d, 2)),
            })
        })
        .collect();
    json!({
        "f1_hz": hz(imd.f1_bin),
        "f2_hz": hz(imd.f2_bin),
        "f1_dbfs": dbfs(imd.f1_power),
        "f2_dbfs": dbfs(imd.f2_power),
        "imd2_dbc": imd.worst_dbc(2).map(|d| round(d, 2)),
        "imd3_dbc": imd.worst_dbc(3).map(|d| round(d, 2)),
        "products": products,
    })
}

/// SPEC §15's `linearity`, in LSB.
fn linearity_object(l: &Linearity) -> Value {
    let round = |x: f64| (x * 1000.0).round() / 1000.0;
    json!({
        "samples": l.samples,
        "bits": l.bits,
        "first_code": l.first_code,
        "last_code": l.last_code,
        "dnl_min": round(l.dnl_min),
        "dnl_max": round(l.dnl_max),
        "inl_min": round(l.inl_min),
        "inl_max": round(l.inl_max),
        "missing_codes": l.missing_codes,
    })
}

/// SPEC §15's `sinefit`.
fn sinefit_object(fit: &SineFit) -> Value {
    let round = |x: f64, digits: i32| {
        let scale = 10f64.powi(digits);
        (x * scale).round() / scale
    };
    json!({
        "freq_hz": round(fit.freq_hz, 4),
        "amplitude_fs": round(fit.amplitude, 6),
        "offset_fs": round(fit.offset, 6),
        "sinad_db": round(fit.sinad_db(), 2),
        "enob_bits": round(fit.enob_bits(), 3),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::snapshot::sample::{
        sample_adc, sample_imd, sample_linearity, sample_sinefit, sample_snapshot,
    };

    /// Every numeric leaf of `value`, as a path with `[]` for list items.
    fn numbers(value: &Value, at: String, out: &mut BTreeSet<String>) {
        match value {
            Value::Number(_) => {
                out.insert(at);
            }
            Value::Object(map) => {
                for (key, value) in map {
                    let next = if at.is_empty() {
                        key.clone()
                    } else {
                        format!("{at}.{key}")
                    };
                    numbers(value, next, out);
                }
            }
            Value::Array(items) => {
                for item in items {
                    numbers(item, format!("{at}[]"), out);
                }
            }
            _ => {}
        }
    }

    /// The summary's numbers and the paths a limit may name are the same set: a key added to
    /// the object without its path (or a path with no key) fails here.
    #[test]
    fn the_paths_a_limit_may_name_are_the_numbers_the_summary_holds() {
        let t0 = std::time::Instant::now();
        let mut full = sample_snapshot(t0);
        full.adc = Some(sample_adc());
        full.linearity = Some(sample_linearity());
        full.sinefit = Some(sample_sinefit());
        full.reference_delta = Some(crate::analysis::reference::ReferenceDelta {
            max_delta_db: 1.5,
            worst_bin: 21,
            worst_hz: Some(984.4),
        });
        // A harmonic sets SFDR: the worst spur has an order.
        let mut harmonic_first = full.clone();
        if let Some(adc) = harmonic_first.adc.as_mut() {
            adc.spurs.remove(0);
        }
        // Two tones: the single-tone figures give way to the intermodulation's.
        let mut two_tones = full.clone();
        two_tones.adc = None;
        two_tones.imd = Some(sample_imd());
        let mut disconnected = full.clone();
        disconnected.link = LinkState::Disconnected {
            reason: "unplugged".into(),
            retry_at: Some(t0 + std::time::Duration::from_secs(1)),
        };
        let mut found = BTreeSet::new();
        for snapshot in [&full, &harmonic_first, &two_tones, &disconnected] {
            let object = object("summary", snapshot, 1.0, Rates::default(), t0);
            numbers(&object, String::new(), &mut found);
        }
        let listed: BTreeSet<String> = path::NUMBERS.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            found.difference(&listed).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "numbers in the summary that no path names"
        );
        assert_eq!(
            listed.difference(&found).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "paths to numbers the summary never holds"
        );
    }
}
