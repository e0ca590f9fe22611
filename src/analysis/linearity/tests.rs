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

/// The golden ratio's fraction over five cycles a sample: the frequency worst approximated
/// by fractions of any, so its phases fill the cycle evenly (a frequency near a simple
/// fraction visits a few phases only, and a histogram of them is not the arcsine's).
const EVEN: f64 = 0.618_033_988_749_894_8 / 5.0;

/// Samples `from..from + n` of a sine 2 % beyond full scale at `EVEN`, quantised by `t`.
fn quantised(from: usize, n: usize, t: &[f64]) -> Vec<f32> {
    quantised_tone(from, n, t, EVEN, 1.02)
}

/// Samples `from..from + n` of a sine of `cycles` a sample and `amplitude` (full scale is
/// 1), quantised by `t`, in full-scale units.
fn quantised_tone(from: usize, n: usize, t: &[f64], cycles: f64, amplitude: f64) -> Vec<f32> {
    let half = CODES as f64 / 2.0;
    let w = std::f64::consts::TAU * cycles;
    (from..from + n)
        .map(|i| {
            // The input in LSB, from 0 to 256 (and beyond both ends when overdriven).
            let x = half + amplitude * half * (w * i as f64).sin();
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

/// A run of `frames` frames of 1024 samples through a test that knows the tone's frequency
/// (as the pipeline's sine fit gives it) from the first.
fn run(cycles: f64, amplitude: f64, frames: usize) -> LinearityTest {
    let t = transitions();
    let mut test = LinearityTest::new(BITS);
    test.tune(cycles);
    for frame in 0..frames {
        let samples = quantised_tone(frame * 1024, 1024, &t, cycles, amplitude);
        test.add(&samples, 1, 0, BITS);
    }
    test
}

/// The fit the pipeline would make of the run's latest block.
fn fit_of(cycles: f64, amplitude: f64) -> SineFit {
    let samples = quantised_tone(0, 1024, &transitions(), cycles, amplitude);
    crate::analysis::sinefit::fit(&samples, 1.0, cycles).unwrap()
}

#[test]
fn an_even_tone_in_frames_is_followed_over_all_its_phases_and_gives_its_figures() {
    let cycles = EVEN;
    let test = run(cycles, 1.02, 4000);
    let l = test.analyse(Some(&fit_of(cycles, 1.02))).unwrap();
    assert!(l.phase_coverage >= 0.999, "{}", l.phase_coverage);
    assert_eq!(l.withheld, None);
    assert!(l.is_ready(), "{:.2} of the way", l.progress);
    assert_eq!(l.missing_codes, [40]);
}

/// The demo's kind of tone: 23 cycles in 1024 samples, coherent with the frame, so every
/// frame repeats the same 1024 phases, 0.8 LSB apart at the zero crossings of this 8-bit
/// converter. Its histogram reads widths the converter does not have; the test says why it
/// gives no figures instead.
#[test]
fn a_tone_coherent_with_the_frame_is_told_apart_from_a_flawed_converter() {
    let cycles = 23.0 / 1024.0;
    let test = run(cycles, 1.02, 4000);
    let l = test.analyse(Some(&fit_of(cycles, 1.02))).unwrap();
    let t = transitions();
    let width = (t[255] - t[1]) / 254.0;
    let worst_error = (1..=254)
        .map(|code| (f64::from(l.dnl[code - 1]) - ((t[code + 1] - t[code]) / width - 1.0)).abs())
        .fold(0.0, f64::max);
    assert!(
        worst_error > 0.3,
        "the histogram alone is off by {worst_error} LSB"
    );
    assert!(l.progress >= 1.0);
    match l.withheld {
        Some(Withheld::PhasesRepeat { coverage }) => assert!(coverage < 0.3, "{coverage}"),
        other => panic!("{other:?}"),
    }
    assert!(!l.is_ready());
    // Before the phases had their chance the test is still following them.
    let early = run(cycles, 1.02, 4).analyse(None).unwrap();
    assert!(
        matches!(early.withheld, Some(Withheld::Following { .. })),
        "{:?}",
        early.withheld
    );
}

#[test]
fn a_sine_inside_full_scale_or_not_a_sine_or_no_frequency_is_no_test() {
    let inside = run(EVEN, 0.9, 4000).analyse(None).unwrap();
    assert!(
        matches!(inside.withheld, Some(Withheld::NotOverdriven { low, high, top: 255 })
            if low > 0 && high < 255),
        "{:?}",
        inside.withheld
    );
    // Two tones of like size: a sine fit leaves the second beside it.
    let t = transitions();
    let two_tones: Vec<f32> = quantised_tone(0, 1024, &t, EVEN, 0.6)
        .iter()
        .zip(quantised_tone(0, 1024, &t, 0.21, 0.45))
        .map(|(a, b)| a + b)
        .collect();
    let fit = crate::analysis::sinefit::fit(&two_tones, 1.0, EVEN).unwrap();
    let l = run(EVEN, 1.02, 4000).analyse(Some(&fit)).unwrap();
    assert!(
        matches!(l.withheld, Some(Withheld::NotASine { fit_sinad_db }) if fit_sinad_db < 10.0),
        "{:?}",
        l.withheld
    );
    let mut untuned = LinearityTest::new(BITS);
    untuned.add(&quantised(0, 100_000, &t), 1, 0, BITS);
    assert_eq!(
        untuned.analyse(None).unwrap().withheld,
        Some(Withheld::NoTone)
    );
}

/// Told the tone is coherent, the engineer detunes it: the test starts over on the new tone
/// (the old histogram is another test's) and gives the converter's figures.
#[test]
fn a_retuned_tone_starts_the_test_over() {
    let t = transitions();
    let coherent = 23.0 / 1024.0;
    let mut test = run(coherent, 1.02, 400);
    let before = test.codes.samples();
    test.tune(EVEN);
    assert_eq!(
        test.codes.samples(),
        0,
        "{before} samples of the old tone dropped"
    );
    for frame in 0..4000 {
        test.add(
            &quantised_tone(frame * 1024, 1024, &t, EVEN, 1.02),
            1,
            0,
            BITS,
        );
    }
    let l = test.analyse(Some(&fit_of(EVEN, 1.02))).unwrap();
    assert!(l.is_ready(), "{:?}", l.withheld);
    // A fit's noise is not a new tone.
    test.tune(EVEN * (1.0 + 1e-7));
    assert!(test.codes.samples() > 0);
}

/// The counts moved out of the u32 counters (as before one could overflow) are the same.
#[test]
fn settled_counts_are_the_same_counts() {
    let t = transitions();
    let mut settled = CodeHistogram::new(BITS);
    let mut kept = CodeHistogram::new(BITS);
    for block in 0..4 {
        let samples = quantised(block * 10_000, 10_000, &t);
        settled.add(&samples, 1, 0, BITS);
        settled.settle();
        kept.add(&samples, 1, 0, BITS);
    }
    assert_eq!(settled.counts(), kept.counts());
    assert_eq!(settled.counts().iter().sum::<u64>(), 40_000);
}
