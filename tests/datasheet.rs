//! SPEC §15's figures in the real binary's headless summary, against closed-form truth: a
//! converter of the tests' own (tests/common/generator.rs: its own encoder, its own noise,
//! its own flaws) recorded and replayed as fast as it goes; and the demo's test channels,
//! whose converter model is written out in closed form here too.

mod common;

use common::generator::{LSB, Signal, tone};
use common::replayed::{near, number, summary};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_sse-tui");
const FS: f64 = 48_000.0;
const N: f64 = 1024.0;

fn db(x: f64) -> f64 {
    10.0 * x.log10()
}

/// A tone between bins, a spur 60 dB under full scale and white noise: the noise's density,
/// the spur where it is at its level, and a sine fit that reads the SINAD they leave.
#[test]
fn noise_density_the_spur_table_and_the_sine_fit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tone.bin");
    let spur = (5_310.0, 1e-3);
    let signal = Signal {
        tones: vec![(1_000.0, 0.5), spur],
        ..tone()
    };
    signal.record(&path, 200);
    let s = summary(&path, &[]);
    // The noise's power (the generator's and the quantiser's) relative to a full-scale
    // sine's, over 0…fs/2, with the spur in it: §7's noise is all that is not the tone or
    // its harmonics.
    let noise = signal.noise_rms.powi(2) + LSB * LSB / 12.0;
    let nsd = db((noise + spur.1 * spur.1 / 2.0) / 0.5) - db(FS / 2.0);
    near(number(&s, "/adc/nsd_dbfs_hz"), nsd, 0.3, "NSD");
    let other = &s["adc"]["worst_other_spur"];
    near(number(other, "/hz"), spur.0, FS / N, "spur frequency");
    near(
        number(other, "/dbfs"),
        db(spur.1 * spur.1),
        0.5,
        "spur level",
    );
    near(
        number(other, "/dbc"),
        db(spur.1 * spur.1 / 0.25),
        0.5,
        "spur dBc",
    );
    assert_eq!(s["adc"]["worst_spur"]["kind"], "spur", "{s:#}");
    near(
        number(&s, "/adc/sfdr_dbfs"),
        -db(spur.1 * spur.1),
        0.5,
        "SFDR dBFS",
    );
    let spurs = s["adc"]["spurs"].as_array().unwrap();
    assert!(!spurs.is_empty() && spurs.len() <= 10, "{spurs:?}");
    let levels: Vec<f64> = spurs.iter().map(|s| number(s, "/dbfs")).collect();
    assert!(
        levels.windows(2).all(|w| w[0] >= w[1]),
        "strongest first: {levels:?}"
    );
    // The fit leaves the noise and the spur beside the sine.
    let sinad = db(0.125 / (noise + spur.1 * spur.1 / 2.0));
    let enob = (sinad - 1.76) / 6.02;
    near(number(&s, "/sinefit/enob_bits"), enob, 0.1, "sine-fit ENOB");
    near(
        number(&s, "/sinefit/enob_bits"),
        number(&s, "/adc/enob_bits"),
        0.1,
        "against the FFT's",
    );
    near(
        number(&s, "/sinefit/freq_hz"),
        1_000.0,
        0.01,
        "fitted frequency",
    );
    near(
        number(&s, "/sinefit/amplitude_fs"),
        0.5,
        0.001,
        "fitted amplitude",
    );
}

/// Two coherent tones through a cubic and a square: the products of order 2 and 3 at their
/// folded frequencies, at the levels the polynomial gives.
#[test]
fn two_tones_intermodulation_at_the_folded_frequencies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.bin");
    let (f1, f2) = (211.0 * FS / N, 223.0 * FS / N);
    let a = 0.4;
    let [c2, c3] = [0.002, 0.01];
    let signal = Signal {
        tones: vec![(f1, a), (f2, a)],
        noise_rms: 1e-4,
        nonlinearity: [c2, c3],
        ..tone()
    };
    signal.record(&path, 100);
    let s = summary(&path, &[]);
    assert!(s["adc"].is_null(), "two tones are not one: {:#}", s["adc"]);
    let imd = &s["imd"];
    near(number(imd, "/f1_hz"), f1, 0.5, "f1");
    near(number(imd, "/f2_hz"), f2, 0.5, "f2");
    // Each tone gains (9/4)·c₃·a³ from the cubic; the products are c₂·a² (order 2) and
    // (3/4)·c₃·a³ (order 3), relative to it.
    let tone = a + 2.25 * c3 * a * a * a;
    let imd2 = 20.0 * (c2 * a * a / tone).log10();
    let imd3 = 20.0 * (0.75 * c3 * a * a * a / tone).log10();
    near(number(imd, "/imd2_dbc"), imd2, 0.5, "IMD2");
    near(number(imd, "/imd3_dbc"), imd3, 0.5, "IMD3");
    let mut products: Vec<(u64, f64)> = imd["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["order"].as_u64().unwrap(), number(p, "/hz")))
        .collect();
    products.sort_by(|a, b| a.1.total_cmp(&b.1));
    let want = [
        (2, f2 - f1),
        (3, 2.0 * f1 - f2),
        (3, 2.0 * f2 - f1),
        (2, f1 + f2),
    ];
    assert_eq!(products.len(), 4, "{products:?}");
    for ((order, hz), (want_order, want_hz)) in products.iter().zip(want) {
        assert_eq!(*order, want_order);
        near(*hz, want_hz, 0.5, "product frequency");
    }
}

/// A converter with a missing code driven 2 % beyond both ends by a sine whose phases never
/// repeat: the code-density test finds the code, its neighbour twice as wide and the step
/// in the INL; the same converter on a tone coherent with the frame gets no figures, and
/// the summary says why.
#[test]
fn the_code_density_test_finds_a_missing_code_and_refuses_a_coherent_tone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("linearity.bin");
    let flawed = Signal {
        // The golden ratio's fraction of the sample rate over thirty: no small fraction is near.
        tones: vec![(FS * 0.618_033_988_75 / 30.0, 1.02)],
        noise_rms: 0.3 * LSB,
        missing_code: Some(2100),
        ..tone()
    };
    flawed.record(&path, 2600);
    let s = summary(&path, &["--linearity"]);
    let l = &s["linearity"];
    assert!(!l.is_null(), "{:#}", s["linearity_withheld"]);
    assert_eq!(l["bits"], 12);
    assert_eq!(l["missing_codes"], serde_json::json!([2100]));
    near(number(l, "/dnl_min"), -1.0, 0.1, "the missing code's DNL");
    near(number(l, "/dnl_max"), 1.0, 0.1, "its neighbour's");
    near(number(l, "/inl_min"), -1.0, 0.1, "the step in the INL");
    near(number(l, "/inl_max"), 0.0, 0.1, "the INL elsewhere");
    assert_eq!(number(&s, "/linearity_progress"), 1.0);
    assert!(s["linearity_withheld"].is_null());

    let coherent = Signal {
        tones: vec![(23.0 * FS / N, 1.02)],
        ..flawed
    };
    coherent.record(&path, 1100);
    let s = summary(&path, &["--linearity"]);
    assert!(s["linearity"].is_null(), "{:#}", s["linearity"]);
    let why = s["linearity_withheld"].as_str().unwrap();
    assert!(why.contains("coherent"), "{why}");
}

/// The code-density test wants integer codes: a recording of floats says so.
#[test]
fn the_code_density_test_on_samples_without_codes_says_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("floats.txt");
    let text: String = (0..40)
        .map(|frame| {
            let values: Vec<String> = (0..1024)
                .map(|i| {
                    let t = (frame * 1024 + i) as f64 / FS;
                    format!("{:.6}", 0.9 * (std::f64::consts::TAU * 1_000.0 * t).sin())
                })
                .collect();
            values.join(" ") + "\n"
        })
        .collect();
    std::fs::write(&path, text).unwrap();
    let s = summary(&path, &["--linearity", "--rate", "48000"]);
    assert!(s["linearity"].is_null());
    let why = s["linearity_withheld"].as_str().unwrap();
    assert!(why.contains("integer codes"), "{why}");
}

/// The demo's converter model in closed form: y = x + c₂x² + c₃x³ before an ideal 12-bit
/// quantiser (SPEC-level constants the demo documents: c₂ = 5.025e-4, c₃ = 1.1278e-3).
const DEMO_C2: f64 = 5.025e-4;
const DEMO_C3: f64 = 1.1278e-3;

/// The input at which the demo's converter output crosses `y`, by bisection.
fn demo_input_for(y: f64) -> f64 {
    let (mut lo, mut hi) = (-1.2f64, 1.2f64);
    for _ in 0..100 {
        let mid = (lo + hi) / 2.0;
        if mid + DEMO_C2 * mid * mid + DEMO_C3 * mid * mid * mid < y {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

/// The demo's channels 1 to 3 read like a datasheet's table: the single tone's spurs are
/// its harmonics and the fit agrees with the FFT; two tones give the cubic's IMD3; the
/// overdriving sine gives the INL the converter's bow and S make.
#[test]
fn the_demo_reads_like_a_datasheet() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.bin");
    let mut board = sse_tui::source::demo::DemoBoard::new(11);
    let mut bytes = Vec::new();
    for _ in 0..2600 {
        board.next_frame(&mut bytes);
    }
    std::fs::write(&path, &bytes).unwrap();

    let single = summary(&path, &["--channel", "1"]);
    let spurs = single["adc"]["spurs"].as_array().unwrap();
    let orders: Vec<&Value> = spurs.iter().take(2).map(|s| &s["n"]).collect();
    assert!(
        orders.contains(&&Value::from(2)) && orders.contains(&&Value::from(3)),
        "the harmonics lead the spur table: {spurs:?}"
    );
    near(
        number(&single, "/sinefit/enob_bits"),
        number(&single, "/adc/enob_bits"),
        0.1,
        "sine fit against the FFT",
    );

    let two = summary(&path, &["--channel", "2"]);
    // Each tone 7 dB under full scale; the cubic's third-order product (3/4)·c₃·a³.
    let a = 10f64.powf(-7.0 / 20.0);
    let imd3 = 20.0 * (0.75 * DEMO_C3 * a * a).log10();
    near(number(&two, "/imd/imd3_dbc"), imd3, 1.0, "demo IMD3");

    let linear = summary(&path, &["--channel", "3", "--linearity"]);
    let l = &linear["linearity"];
    assert!(!l.is_null(), "{:#}", linear["linearity_withheld"]);
    assert_eq!(l["missing_codes"], serde_json::json!([]));
    // Transition k (into code k) where the converter's output crosses k − ½ LSB.
    let first = l["first_code"].as_u64().unwrap() as i64;
    let last = l["last_code"].as_u64().unwrap() as i64;
    let transition = |k: i64| demo_input_for((k as f64 - 0.5 - 2048.0) / 2048.0);
    let width = (transition(last + 1) - transition(first)) / (last - first + 1) as f64;
    let inl: Vec<f64> = (first..=last)
        .map(|k| (transition(k) - transition(first)) / width - (k - first) as f64)
        .collect();
    let (inl_min, inl_max) = inl
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
    near(number(l, "/inl_min"), inl_min, 0.15, "demo INL low");
    near(number(l, "/inl_max"), inl_max, 0.15, "demo INL high");
    assert!(
        number(l, "/dnl_max") < 0.25 && number(l, "/dnl_min") > -0.25,
        "{l:#}"
    );
}

/// `coherent` on a terminal says it in a sentence: the frequency, M and N.
#[test]
fn coherent_on_a_terminal_is_a_sentence() {
    use common::pty::PtyChild;
    let args = [
        "coherent", "--fs", "48000", "--fft", "1024", "--near", "1000",
    ];
    let mut terminal = PtyChild::spawn(BIN, &args, 24, 120, &[]);
    let said = terminal.wait_for(std::time::Duration::from_secs(20), |screen| {
        screen.contents().contains("prime to 1024")
    });
    let text = terminal.screen_text();
    assert!(said, "{text}");
    assert!(
        text.contains("984.375 Hz: 21 cycles in 1024 samples"),
        "{text}"
    );
    assert!(
        terminal
            .wait_exit(std::time::Duration::from_secs(20))
            .is_some_and(|s| s.success())
    );
}
