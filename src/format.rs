//! Numbers as people read them, on the screen, in a report or a table: short, fixed in
//! width where it matters, never "NaN"; and the round ticks of an axis.

/// A frequency for an axis label: `500`, `1k`, `2.5k`, `12k` (Hz implied).
pub fn hz_label(hz: f64) -> String {
    if hz >= 1000.0 {
        trim_zeros(&format!("{:.1}", hz / 1000.0)) + "k"
    } else {
        trim_zeros(&format!("{hz:.1}"))
    }
}

/// A frequency with its unit: `1.000 kHz`, `46.9 Hz`.
pub fn hz(hz: f64) -> String {
    if hz.abs() >= 1000.0 {
        format!("{:.3} kHz", hz / 1000.0)
    } else {
        format!("{hz:.1} Hz")
    }
}

/// A frequency difference, signed: `+6.350 kHz`, `-46.9 Hz`.
pub fn hz_signed(hz: f64) -> String {
    let sign = if hz < 0.0 { "-" } else { "+" };
    format!("{sign}{}", self::hz(hz.abs()))
}

/// A sample rate: `48 kHz`, `44.1 kHz`, `800 Hz`.
pub fn rate(hz: f64) -> String {
    if hz >= 1000.0 {
        trim_zeros(&format!("{:.3}", hz / 1000.0)) + " kHz"
    } else {
        trim_zeros(&format!("{hz:.1}")) + " Hz"
    }
}

/// A count per second with an SI prefix: `47.0`, `48.1 k`, `1.20 M`.
pub fn si(value: f64) -> String {
    match value.abs() {
        v if v >= 1e9 => format!("{:.2} G", value / 1e9),
        v if v >= 1e6 => format!("{:.2} M", value / 1e6),
        v if v >= 1e3 => format!("{:.1} k", value / 1e3),
        _ => format!("{value:.1}"),
    }
}

/// Milliseconds with three significant figures: `0.842`, `13.6`, `1250`.
pub fn ms(value: f64) -> String {
    match value.abs() {
        v if v >= 100.0 => format!("{value:.0}"),
        v if v >= 10.0 => format!("{value:.1}"),
        v if v >= 1.0 => format!("{value:.2}"),
        _ => format!("{value:.3}"),
    }
}

/// A time since something, coarse on purpose: it is read at a glance and must not flicker.
pub fn age(seconds: f64) -> String {
    match seconds {
        s if s < 0.5 => "now".into(),
        s if s < 10.0 => format!("{s:.1} s ago"),
        s if s < 120.0 => format!("{s:.0} s ago"),
        s if s < 7200.0 => format!("{:.0} min ago", s / 60.0),
        s => format!("{:.0} h ago", s / 3600.0),
    }
}

/// A short age for an axis label: `-0.8s`, `-12s`, `-3m`.
pub fn age_short(seconds: f64) -> String {
    match seconds {
        s if s < 10.0 => format!("-{s:.1}s"),
        s if s < 120.0 => format!("-{s:.0}s"),
        s => format!("-{:.0}m", s / 60.0),
    }
}

/// A duration with its unit: `85 ms`, `1.4 s`, `250 µs`.
pub fn duration(seconds: f64) -> String {
    match seconds.abs() {
        s if s >= 1.0 => format!("{seconds:.1} s"),
        s if s >= 1e-3 => trim_zeros(&format!("{:.1}", seconds * 1e3)) + " ms",
        _ => trim_zeros(&format!("{:.1}", seconds * 1e6)) + " µs",
    }
}

fn trim_zeros(text: &str) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text.to_owned()
    }
}

/// Round tick values between `lo` and `hi` (1, 2 or 5 × 10^k apart), at most `max_ticks`.
pub fn linear_ticks(lo: f64, hi: f64, max_ticks: usize) -> Vec<f64> {
    if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) || max_ticks == 0 {
        return Vec::new();
    }
    let raw = (hi - lo) / max_ticks as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// Round ticks for a logarithmic axis: 1, 2 and 5 × 10^k between `lo` and `hi`.
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    if lo <= 0.0 || hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
        return Vec::new();
    }
    let mut ticks = Vec::new();
    let mut decade = 10f64.powf(lo.log10().floor());
    while decade <= hi {
        for m in [1.0, 2.0, 5.0] {
            let t = m * decade;
            if t >= lo && t <= hi {
                ticks.push(t);
            }
        }
        decade *= 10.0;
    }
    ticks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_short_and_round() {
        assert_eq!(hz_label(500.0), "500");
        assert_eq!(hz_label(1000.0), "1k");
        assert_eq!(hz_label(2500.0), "2.5k");
        assert_eq!(hz_label(62.5), "62.5");
        assert_eq!(hz(1000.7), "1.001 kHz");
        assert_eq!(si(48_147.0), "48.1 k");
        assert_eq!(ms(13.63), "13.6");
        assert_eq!(age(0.1), "now");
        assert_eq!(rate(48_000.0), "48 kHz");
        assert_eq!(rate(44_100.0), "44.1 kHz");
    }

    #[test]
    fn ticks_are_round_and_within_range() {
        assert_eq!(
            linear_ticks(0.0, 24_000.0, 6),
            [0.0, 5000.0, 10000.0, 15000.0, 20000.0]
        );
        assert_eq!(
            linear_ticks(-120.0, 0.0, 6),
            [-120.0, -100.0, -80.0, -60.0, -40.0, -20.0, 0.0]
        );
        assert_eq!(log_ticks(46.9, 24_000.0)[..3], [50.0, 100.0, 200.0]);
        assert!(linear_ticks(1.0, 1.0, 5).is_empty());
    }
}
