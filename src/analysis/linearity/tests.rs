//! A quantiser of the tests' own with known flaws, driven by a sine that overdrives both ends:
//! the code-density test must find each flaw where it is, at its size.

use super::*;

const BITS: u8 = 8;
const CODES: usize = 1 << BITS;

/// Transition levels T[k] (between codes k−1 and k, k = 1…255) in LSB: ideal at k, then the
/// flaws: code 40 missing (T[40] = T[41], so code 39 is 2 LSB wide), code 100 1.5 LSB wide and
/// code 101 0.5 LSB, and a bow of 0.4 LSB at mid-scale.
fn transitions() -> Vec<f64> {
    let bow = 0.4;
    let mut t: Vec<f64> = (0..=CODES)
        .map(|k| {
            let x = k as f64 / CODES as f64;
            k as f64 + bow * 4.0 * x * (1.0 - x)
        })
        .collect();
    t[40] = t[41];
    t[101] += 0.5;
    t
}

/// Samples `from..from + n` of a sine 2 % beyond full scale, quantised by `t`, in
/// full-scale units. Its frequency is the golden ratio's fraction over five cycles a sample:
/// the worst approximated by fractions of any, so its phases fill the cycle evenly (a
/// frequency near a simple fraction visits a few phases only, and a histogram of them is not
/// the arcsine's).
fn quantised(from: usize, n: usize, t: &[f64]) -> Vec<f32> {
    let half = CODES as f64 / 2.0;
    let w = std::f64::consts::TAU * (5f64.sqrt() - 1.0) / 2.0 / 5.0;
    (from..from + n)
        .map(|i| {
            // The input in LSB, from 0 to 256 and beyond both ends.
            let x = half + 1.02 * half * (w * i as f64).sin();
            let code = t[1..CODES].partition_point(|&level| level <= x);
            ((code as f64 - half) / half) as f32
        })
        .collect()
}

#[test]
fn a_missing_code_a_wide_code_and_a_bow_are_found_at_their_size() {
    let t = transitions();
    let mut histogram = CodeHistogram::new(BITS);
    for block in 0..20 {
        histogram.add(&quantised(block * 200_000, 200_000, &t), 1, 0, BITS);
    }
    let l = histogram.analyse().unwrap();
    assert!(
        l.is_ready(),
        "{} samples, {:.2} of the way",
        l.samples,
        l.progress
    );
    assert_eq!((l.first_code, l.last_code), (1, 254));
    assert_eq!(l.missing_codes, [40]);
    let dnl = |code: usize| f64::from(l.dnl[code - 1]);
    let inl = |code: usize| f64::from(l.inl[code - 1]);
    // The flaws, where they are: the missing code, its neighbour twice as wide, the wide
    // and the narrow code.
    assert!((dnl(40) + 1.0).abs() < 0.1, "missing: {}", dnl(40));
    assert!((dnl(39) - 1.0).abs() < 0.1, "its neighbour: {}", dnl(39));
    assert!((dnl(100) - 0.5).abs() < 0.1, "wide: {}", dnl(100));
    assert!((dnl(101) + 0.5).abs() < 0.1, "narrow: {}", dnl(101));
    // Every code against the truth of the transitions themselves: widths over the mean width
    // between the end transitions of the codes analysed, and each transition's distance from
    // the straight line through them.
    let (first, last) = (1usize, 254usize);
    let width = (t[last + 1] - t[first]) / (last - first + 1) as f64;
    for code in first..=last {
        let truth_dnl = (t[code + 1] - t[code]) / width - 1.0;
        let truth_inl = (t[code] - t[first]) / width - (code - first) as f64;
        assert!(
            (dnl(code) - truth_dnl).abs() < 0.1,
            "DNL of {code}: {} vs {truth_dnl}",
            dnl(code)
        );
        assert!(
            (inl(code) - truth_inl).abs() < 0.1,
            "INL of {code}: {} vs {truth_inl}",
            inl(code)
        );
    }
    // The bow's 0.4 LSB at mid-scale, and the step the missing code leaves in the INL.
    assert!((inl(128) - 0.4).abs() < 0.1, "bow: {}", inl(128));
    assert!((l.dnl_min + 1.0).abs() < 0.1 && (l.dnl_max - 1.0).abs() < 0.1);
}

#[test]
fn figures_wait_for_their_samples_and_a_new_resolution_starts_over() {
    let t = transitions();
    let mut histogram = CodeHistogram::new(BITS);
    histogram.add(&quantised(0, 2_000, &t), 1, 0, BITS);
    let early = histogram.analyse().unwrap();
    assert!(
        !early.is_ready() && early.progress < 0.1,
        "{}",
        early.progress
    );
    histogram.add(&[0.0, 0.5], 1, 0, 12);
    assert_eq!((histogram.bits(), histogram.samples()), (12, 2));
    assert!(CodeHistogram::new(BITS).analyse().is_none());
}
