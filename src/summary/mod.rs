//! The summary object of SPEC §5 made from a snapshot: what a headless report line says,
//! what the page's analysis carries, and (later) what a check judges and a report prints. One
//! formatter below every front end, so none borrows another's.

use std::time::Instant;

use serde_json::{Value, json};

use crate::analysis::adc::AdcFigures;
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
        "harmonics": harmonics,
    });
    if adc.leakage_limited {
        object["limited_by"] = "leakage".into();
    }
    object
}
