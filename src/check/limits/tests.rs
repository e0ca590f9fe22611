//! The limits file: SPEC §13's example, and every way a file can be wrong, each named by its
//! line and key.

use super::*;

/// SPEC §13's example, as a firmware author would write it.
const EXAMPLE: &str = r#"name = "F4 ADC, 1 kHz test tone"
settle = 1.0
measure = 4.0

[limit.snr]
value = "adc.snr_db"
min = 65.0
marginal = 1.0
unit = "dB"

[limit.tone]
value = "peak_hz"
min = 995.0
max = 1005.0

[mask]
points = [[0, -70], [900, -70], [900, 0], [1100, 0], [1100, -90], [24000, -90]]
"#;

#[test]
fn the_specs_example_reads_as_written() {
    let limits = parse(EXAMPLE, "stem").unwrap();
    assert_eq!(limits.name, "F4 ADC, 1 kHz test tone");
    assert_eq!(limits.settle, Duration::from_secs(1));
    assert_eq!(limits.measure, Measure::Time(Duration::from_secs(4)));
    assert_eq!(limits.limits.len(), 2);
    let snr = &limits.limits[0];
    assert_eq!(
        (
            snr.name.as_str(),
            snr.path.as_str(),
            snr.min,
            snr.max,
            snr.marginal
        ),
        ("snr", "adc.snr_db", Some(65.0), None, 1.0)
    );
    assert_eq!(snr.unit.as_deref(), Some("dB"));
    let tone = &limits.limits[1];
    assert_eq!(
        (tone.min, tone.max, tone.marginal),
        (Some(995.0), Some(1005.0), 0.0)
    );
    let mask = limits.mask.unwrap();
    assert_eq!(mask.points.len(), 6);
    assert_eq!(mask.level_at(450.0), Some(-70.0));
    assert_eq!(
        mask.level_at(900.0),
        Some(0.0),
        "a step holds a bin on it to the higher level"
    );
    assert_eq!(mask.level_at(1000.0), Some(0.0));
    assert_eq!(mask.level_at(12550.0), Some(-90.0));
    assert_eq!(mask.level_at(30000.0), None);
}

#[test]
fn defaults_and_frames() {
    let limits = parse(
        "frames = 500\n[limit.p]\nvalue = \"peak_dbfs\"\nmax = 0\n",
        "f4",
    )
    .unwrap();
    assert_eq!(limits.name, "f4");
    assert_eq!(limits.settle, Duration::from_secs(1));
    assert_eq!(limits.measure, Measure::Frames(500));
    assert_eq!(limits.timeout, Duration::from_secs(10));
    let sloped = Mask {
        points: vec![(0.0, -60.0), (1000.0, -80.0)],
    };
    assert_eq!(sloped.level_at(250.0), Some(-65.0));
}

/// Each wrong file: the line and the words the sentence must hold.
#[test]
fn a_wrong_file_is_one_sentence_with_its_line_and_key() {
    let cases: &[(&str, usize, &str)] = &[
        ("settle = 1\nmesure = 4\n", 2, "unknown key `mesure`"),
        (
            "[limit.snr]\nvalue = \"adc.snr_db\"\nminimum = 3\n",
            3,
            "unknown key `minimum` in [limit.snr]",
        ),
        (
            "[limit.snr]\nvalue = \"adc.snr\"\nmin = 3\n",
            2,
            "`adc.snr` is not a number",
        ),
        (
            "[limit.x]\nvalue = \"adc\"\nmin = 3\n",
            2,
            "`adc` is not a number",
        ),
        (
            "[limit.tone]\nvalue = \"peak_hz\"\nmin = 1005\nmax = 995\n",
            1,
            "[limit.tone] has min 1005 above max 995",
        ),
        (
            "[limit.tone]\nvalue = \"peak_hz\"\n",
            1,
            "neither `min` nor `max`",
        ),
        ("[limit.tone]\nmin = 3\n", 1, "has no `value`"),
        (
            "[limit.snr]\nvalue = \"adc.snr_db\"\nmin = \"65\"\n",
            3,
            "`min` must be a number",
        ),
        (
            "[mask]\npoints = [[0, -70], [900, -70],\n  [800, -90]]\n",
            3,
            "go backwards: 800 Hz after 900 Hz",
        ),
        ("[mask]\npoints = [[0, -70]]\n", 2, "at least two"),
        (
            "[mask]\npoints = [[0, -70], [10, \"x\"]]\n",
            2,
            "pairs of numbers",
        ),
        ("[mask]\nlevel = 3\n", 2, "unknown key `level` in [mask]"),
        (
            "measure = 4\nframes = 100\n[mask]\npoints=[[0,0],[1,0]]\n",
            2,
            "give one",
        ),
        (
            "settle = -1\n[mask]\npoints=[[0,0],[1,0]]\n",
            1,
            "`settle` must be a number from 0",
        ),
        ("name = \"x\"\n", 1, "nothing to check"),
        ("[limit.snr\nvalue = 1\n", 1, ""),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (text, line, words) in cases {
        let path = dir.path().join("limits.toml");
        std::fs::write(&path, text).unwrap();
        let sentence = read(&path).unwrap_err().to_string();
        let place = format!("{}, line {line}: ", path.display());
        assert!(sentence.starts_with(&place), "{text:?}: {sentence}");
        assert!(sentence.contains(words), "{text:?}: {sentence}");
        assert_eq!(sentence.lines().count(), 1, "{sentence}");
    }
    let missing = read(&dir.path().join("none.toml")).unwrap_err().to_string();
    assert!(missing.contains("none.toml: no such file"), "{missing}");
}
