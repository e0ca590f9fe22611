//! Coherent test frequencies (SPEC §15): a tone of exactly M cycles in an N-point record
//! ends where it began, so its power stays in one bin and no window's leakage hides the
//! converter's noise. M odd and prime to N makes every sample fall on a different phase of
//! the sine, so the record exercises as many codes as it can.

/// A coherent frequency: `m` cycles in `n` samples.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Coherent {
    pub hz: f64,
    pub m: u64,
    pub n: u64,
}

/// The coherent frequency nearest `near_hz` for `n` samples at `fs`: M·fs/N with M odd,
/// prime to N, and below N/2 (under Nyquist); the lower of two as near. `None` when no M
/// qualifies (N below 3).
pub fn nearest(fs: f64, n: u64, near_hz: f64) -> Option<Coherent> {
    let qualifies = |m: u64| m % 2 == 1 && m < n.div_ceil(2) && gcd(m, n) == 1;
    let ideal = (near_hz * n as f64 / fs).max(1.0);
    let below = (ideal.floor() as u64).min(n / 2);
    // Outward from the ideal M, both ways; the first that qualifies on a side is that
    // side's nearest.
    let down = (1..=below).rev().find(|&m| qualifies(m));
    let up = (below + 1..n.div_ceil(2)).find(|&m| qualifies(m));
    let distance = |m: u64| (m as f64 - ideal).abs();
    let m = match (down, up) {
        (Some(d), Some(u)) => {
            if distance(u) < distance(d) {
                u
            } else {
                d
            }
        }
        (d, u) => d.or(u)?,
    };
    Some(Coherent {
        hz: m as f64 * fs / n as f64,
        m,
        n,
    })
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Worked by hand: 1 kHz at 48 kHz over 1024 points is 21.33 cycles; 21 is odd and
    /// prime to 1024 and 0.33 away (984.375 Hz), 23 is 1.67 away (1078.125 Hz).
    #[test]
    fn hand_checked_cases() {
        let at = |fs, n, near| nearest(fs, n, near).map(|c| (c.m, c.hz));
        assert_eq!(at(48_000.0, 1024, 1_000.0), Some((21, 984.375)));
        // 22.5 cycles: 23 is half a cycle away, 21 one and a half.
        assert_eq!(at(48_000.0, 1024, 1_054.687_5), Some((23, 1_078.125)));
        // 22 cycles exactly: even, so 21 and 23 tie one away; the lower wins.
        assert_eq!(at(48_000.0, 1024, 1_031.25), Some((21, 984.375)));
        // 10 MHz at 100 MS/s over 65536: 6553.6 cycles; 6553 is odd (2^16 has no odd
        // factor), 0.6 away, against 6555's 1.4.
        assert_eq!(
            at(100e6, 65_536, 10e6),
            Some((6553, 6553.0 * 100e6 / 65_536.0))
        );
        // A record of 1000 points (2³·5³): 55 is odd but shares 5; 53 and 57 are 2 away, the
        // lower wins.
        assert_eq!(at(1_000.0, 1000, 55.0), Some((53, 53.0)));
        // Below the first bin: M = 1. Past Nyquist: the highest M under N/2.
        assert_eq!(at(48_000.0, 1024, 1.0), Some((1, 46.875)));
        assert_eq!(at(48_000.0, 1024, 30_000.0).map(|c| c.0), Some(511));
        assert_eq!(nearest(48_000.0, 2, 1_000.0), None);
    }
}
