//! The ADC figures against PyPI's ADC toolkits as well as against closed-form truth (issue 21):
//! genalyzer (Analog Devices' converter analysis library, Blackman-Harris window) and
//! ADCToolbox read the very samples the program reads, from the tests' own generator
//! (tests/common/generator.rs). Where a toolkit agrees with the truth, the program must agree
//! with the toolkit too; where it does not (a definition of its own), the test prints the
//! difference and asserts nothing against it: docs/adc-peers.md says where and why.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::generator::{LSB, Signal};
use common::replayed::{near, number, summary};
use serde_json::Value;

const FS: f64 = 48_000.0;
/// The FFT size, and the blocks of it a frame holds: the program's spectrum of a frame is the
/// mean of its blocks (Welch), and a frame of 1.28 s outweighs the 0.1 s running average, so
/// the summary's spectrum is the last frame's: the 15 blocks the toolkits average too.
const N: usize = 4096;
const BLOCKS: usize = 15;

/// The toolkits read the codes a frame to a line and print one JSON object: for a tone, each
/// one's figures under the summary's names (and ADCToolbox's sine fit); for the code-density
/// test, each one's DNL and INL.
const SCRIPT: &str = r#"
import json, sys, warnings
import numpy as np
import genalyzer as gn
import adctoolbox as at

mode, path = sys.argv[1], sys.argv[2]
fs, nfft, f0, hmax = float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
codes = np.loadtxt(path, dtype=np.int64, ndmin=2)
warnings.simplefilter("ignore")
out = {}
if mode == "tone":
    x = codes[-1]
    navg = x.size // nfft
    # 12-bit offset binary, full scale a sine of 2048 codes (0 dBFS), the mean of navg FFTs.
    fft = gn.rfft(x.astype(np.int32), 12, navg, nfft, gn.Window.BLACKMAN_HARRIS,
                  gn.CodeFormat.OFFSET_BINARY, gn.RfftScale.DBFS_SIN)
    key = "adc_peers"
    gn.mgr_remove(key)
    gn.fa_create(key)
    gn.fa_fsample(key, fs)
    gn.fa_fdata(key, fs)
    # A coherent tone's Blackman-Harris lobe is 7 bins: 3 either side (the default is 0).
    gn.fa_fixed_tone(key, "A", gn.FaCompTag.SIGNAL, f0, 3)
    gn.fa_hd(key, hmax)
    gn.fa_ssb(key, gn.FaSsb.DEFAULT, 3)
    gn.fa_ssb(key, gn.FaSsb.DC, 3)
    r = gn.fft_analysis(key, fft, nfft, gn.FreqAxisType.REAL)
    out["genalyzer"] = {
        "fundamental_dbfs": r["A:mag_dbfs"],
        "snr_db": r["snr"],
        "thd_db": 20 * np.log10(r["thd_rss"] / r["A:mag"]),
        "sinad_db": r["sinad"],
        "sfdr_dbc": r["sfdr"],
        "nsd_dbfs_hz": r["nsd"],
        "enob_bits": (r["sinad"] - 1.76) / 6.02,
        "harmonics_dbc": [r[f"{k}A:mag_dbc"] for k in range(2, hmax + 1)],
    }
    m = at.analyze_spectrum(x.reshape(navg, nfft).astype(float), fs=fs,
                            max_scale_range=[0, 4096], win_type="blackmanharris",
                            max_harmonic=hmax, create_plot=False, show_label=False)
    out["adctoolbox"] = {
        "fundamental_dbfs": m["sig_pwr_dbfs"],
        "snr_db": m["snr_dbc"],
        "thd_db": m["thd_dbc"],
        "sinad_db": m["sndr_dbc"],
        "sfdr_dbc": m["sfdr_dbc"],
        "nsd_dbfs_hz": m["nsd_dbfs_hz"],
        "enob_bits": m["enob"],
        "harmonics_dbc": list(m["harmonics_dbc"]),
    }
    y = (x - 2048.0) / 2048.0
    fit = at.fit_sine_4param(y, max_iterations=10)
    a = float(fit["amplitude"])
    out["adctoolbox_sinefit"] = {
        "freq_hz": float(fit["frequency"]) * fs,
        "amplitude_fs": a,
        "offset_fs": float(fit["dc_offset"]),
        "sinad_db": 20 * np.log10(a / np.sqrt(2) / float(fit["rmse"])),
    }
else:
    x = codes.ravel()
    d = gn.dnl(gn.hist(x.astype(np.int32), 12, gn.CodeFormat.OFFSET_BINARY), gn.DnlSignal.TONE)
    inl = gn.inl(d, gn.InlLineFit.END_FIT)
    out["genalyzer"] = {"code": list(range(d.size)), "dnl": list(d), "inl": list(inl)}
    r = at.analyze_inl_from_sine(x, num_bits=12, create_plot=False)
    out["adctoolbox"] = {"code": [int(c) for c in r["code"]], "dnl": list(r["dnl"]),
                         "inl": list(r["inl"])}
print(json.dumps(out, default=float))
"#;

fn db(x: f64) -> f64 {
    10.0 * x.log10()
}

/// The peers' directory, installed once for all the tests here.
fn peers() -> &'static Path {
    static PEERS: OnceLock<PathBuf> = OnceLock::new();
    PEERS.get_or_init(common::peers::ensure)
}

/// Frames `seqs` of `signal` as text, a frame's codes to a line, for the toolkits.
fn write_codes(path: &Path, signal: &Signal, seqs: std::ops::Range<u32>) {
    let text: String = seqs
        .map(|seq| {
            let codes: Vec<String> = signal.codes(seq).iter().map(u16::to_string).collect();
            codes.join(" ") + "\n"
        })
        .collect();
    std::fs::write(path, text).unwrap();
}

/// The toolkits on the codes in `path`.
fn toolkits(mode: &str, path: &Path, fft: usize, f0: f64, harmonics: usize) -> Value {
    let out = Command::new(peers().join("venv/bin/python"))
        .args(["-c", SCRIPT, mode])
        .arg(path)
        .args([
            FS.to_string(),
            fft.to_string(),
            f0.to_string(),
            harmonics.to_string(),
        ])
        .env("MPLBACKEND", "Agg")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    serde_json::from_str(stdout.lines().last().expect("the toolkits' JSON")).unwrap()
}

/// A 12-bit converter y = x + c₂x² + c₃x³ with Gaussian noise before its quantiser, on one
/// tone: every figure in closed form. The cubic adds (3/4)·c₃·a³ to the tone; the harmonics
/// are c₂·a²/2 and c₃·a³/4; the noise is the generator's and the quantiser's LSB²/12.
struct Truth {
    fundamental: f64,
    /// Amplitudes of H2 to H6 (None: the converter makes none).
    harmonics: [Option<f64>; 5],
    noise: f64,
}

impl Truth {
    fn of(signal: &Signal) -> Self {
        let a = signal.tones[0].1;
        let [c2, c3] = signal.nonlinearity;
        Self {
            fundamental: a + 0.75 * c3 * a.powi(3),
            harmonics: [
                (c2 != 0.0).then(|| c2 * a * a / 2.0),
                (c3 != 0.0).then(|| c3 * a.powi(3) / 4.0),
                None,
                None,
                None,
            ],
            noise: signal.noise_rms.powi(2) + LSB * LSB / 12.0,
        }
    }

    fn harmonic_dbc(&self, k: usize) -> Option<f64> {
        self.harmonics[k].map(|h| 2.0 * db(h / self.fundamental))
    }

    /// The summary's figures, by its names.
    fn figures(&self) -> Vec<(&'static str, f64)> {
        let signal = self.fundamental.powi(2) / 2.0;
        let harmonics: f64 = self.harmonics.iter().flatten().map(|h| h * h / 2.0).sum();
        let strongest = self
            .harmonics
            .iter()
            .flatten()
            .fold(0.0f64, |m, &h| m.max(h));
        let sinad = db(signal / (self.noise + harmonics));
        vec![
            ("fundamental_dbfs", 2.0 * db(self.fundamental)),
            ("snr_db", db(signal / self.noise)),
            ("thd_db", db(harmonics / signal)),
            ("sinad_db", sinad),
            ("sfdr_dbc", 2.0 * db(self.fundamental / strongest)),
            ("nsd_dbfs_hz", db(self.noise / 0.5) - db(FS / 2.0)),
            ("enob_bits", (sinad - 1.76) / 6.02),
        ]
    }
}

/// How near a figure must be: to the truth, and to a toolkit that is near the truth.
fn tolerance(figure: &str) -> f64 {
    match figure {
        "fundamental_dbfs" => 0.05,
        "enob_bits" => 0.05,
        "sfdr_dbc" | "harmonics" => 0.5,
        _ => 0.3,
    }
}

/// Ours against the truth; each toolkit against the truth; ours against each toolkit where
/// that is near the truth. `agrees` names, per toolkit, the figures docs/adc-peers.md says it
/// gets right here (asserted, so that a comparison cannot quietly vanish); every other figure
/// of a toolkit's is printed beside the truth and ours, and nothing is asserted against it.
fn compare(name: &str, signal: &Signal, agrees: &[(&str, &[&str])]) {
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("tone.bin");
    signal.record(&recording, 3);
    let codes = dir.path().join("tone.txt");
    write_codes(&codes, signal, 2..3);
    let s = summary(
        &recording,
        &["--window", "blackman-harris", "--fft", "4096"],
    );
    let ours = &s["adc"];
    assert!(!ours.is_null(), "{s:#}");
    let f0 = signal.tones[0].0;
    let peers = toolkits("tone", &codes, N, f0, 6);
    let truth = Truth::of(signal);

    let figures = truth.figures();
    for &(figure, want) in &figures {
        let within = tolerance(figure);
        let got = number(ours, &format!("/{figure}"));
        near(got, want, within, &format!("{name}: our {figure}"));
        for &(peer, agreed) in agrees {
            let theirs = number(&peers, &format!("/{peer}/{figure}"));
            eprintln!("{name}: {figure}: truth {want:.3}, ours {got:.3}, {peer} {theirs:.3}");
            if agreed.contains(&figure) {
                let says = "(docs/adc-peers.md says it agrees)";
                near(
                    theirs,
                    want,
                    within,
                    &format!("{name}: {peer}'s {figure} {says}"),
                );
                near(
                    got,
                    theirs,
                    within,
                    &format!("{name}: our {figure}, {peer}'s"),
                );
            }
        }
    }
    // Harmonics 2 to 6: where the converter makes one, its level; where it makes none, ours
    // is null (the toolkits read what the noise leaves in its lobe).
    for k in 0..5 {
        let harmonic = format!("H{}", k + 2);
        let got = ours["harmonics"][k]["dbc"].as_f64();
        let want = truth.harmonic_dbc(k);
        match (want, got) {
            (Some(want), Some(got)) => near(got, want, 0.5, &format!("{name}: our {harmonic}")),
            (None, None) => {}
            _ => panic!("{name}: our {harmonic} is {got:?}, the truth {want:?}: {ours:#}"),
        }
        for &(peer, agreed) in agrees {
            let theirs = number(&peers, &format!("/{peer}/harmonics_dbc/{k}"));
            eprintln!("{name}: {harmonic}: truth {want:?}, ours {got:?}, {peer} {theirs:.3}");
            if let (Some(want), Some(got), true) = (want, got, agreed.contains(&"harmonics")) {
                near(theirs, want, 0.5, &format!("{name}: {peer}'s {harmonic}"));
                near(
                    got,
                    theirs,
                    0.5,
                    &format!("{name}: our {harmonic}, {peer}'s"),
                );
            }
        }
    }

    // The sine fit of the last frame, ours and ADCToolbox's four-parameter fit (from its own
    // FFT's estimate): the tone (the square's DC c₂·a²/2 in the offset), and what it leaves,
    // the noise and the harmonics.
    let fit = &s["sinefit"];
    let theirs = &peers["adctoolbox_sinefit"];
    let [c2, _] = signal.nonlinearity;
    let a = signal.tones[0].1;
    let sinad = figures.iter().find(|f| f.0 == "sinad_db").unwrap().1;
    for (key, want, within) in [
        ("freq_hz", f0, 0.01),
        ("amplitude_fs", truth.fundamental, 0.001),
        ("offset_fs", c2 * a * a / 2.0, 0.000_05),
        ("sinad_db", sinad, 0.3),
    ] {
        let got = number(fit, &format!("/{key}"));
        let peer = number(theirs, &format!("/{key}"));
        eprintln!("{name}: sine fit {key}: truth {want}, ours {got}, adctoolbox {peer}");
        near(got, want, within, &format!("{name}: our sine fit's {key}"));
        near(
            peer,
            want,
            within,
            &format!("{name}: adctoolbox's sine fit's {key}"),
        );
        near(
            got,
            peer,
            within,
            &format!("{name}: our sine fit's {key}, adctoolbox's"),
        );
    }
}

/// A coherent tone (85 cycles in 4096, odd and prime to it) at −1 dBFS through a converter
/// with HD2 at −70 dBc and HD3 at −75 dBc and 0.58 LSB of noise: SNR 66 dB, THD −68.8 dB.
#[test]
#[ignore = "needs PyPI genalyzer-fftw and adctoolbox (benches/peers/setup.sh installs them)"]
fn a_coherent_tone_with_two_harmonics_against_genalyzer_and_adctoolbox() {
    let a = 10f64.powf(-1.0 / 20.0);
    let signal = Signal {
        fs: FS,
        samples: BLOCKS * N,
        tones: vec![(85.0 * FS / N as f64, a)],
        noise_rms: 2.83e-4,
        seed: 21,
        nonlinearity: [7.1e-4, 8.97e-4],
        missing_code: None,
    };
    let all: &[&str] = &[
        "fundamental_dbfs",
        "snr_db",
        "thd_db",
        "sinad_db",
        "sfdr_dbc",
        "nsd_dbfs_hz",
        "enob_bits",
        "harmonics",
    ];
    compare(
        "two harmonics",
        &signal,
        &[("genalyzer", all), ("adctoolbox", all)],
    );
}

/// The same converter with only a weak cubic: HD3 at −85 dBc, 19 dB under the noise's power
/// and 14 dB over a bin's worth of it.
#[test]
#[ignore = "needs PyPI genalyzer-fftw and adctoolbox (benches/peers/setup.sh installs them)"]
fn a_weak_harmonic_under_the_noise_against_genalyzer_and_adctoolbox() {
    let a = 10f64.powf(-1.0 / 20.0);
    let c3 = 4.0 * 10f64.powf(-85.0 / 20.0) / (a * a);
    let signal = Signal {
        fs: FS,
        samples: BLOCKS * N,
        tones: vec![(85.0 * FS / N as f64, a)],
        noise_rms: 2.83e-4,
        seed: 22,
        nonlinearity: [0.0, c3],
        missing_code: None,
    };
    let most: &[&str] = &[
        "fundamental_dbfs",
        "snr_db",
        "sinad_db",
        "nsd_dbfs_hz",
        "enob_bits",
    ];
    compare(
        "weak harmonic",
        &signal,
        &[("genalyzer", most), ("adctoolbox", most)],
    );
}

/// A peer's DNL and INL over the codes `first..=last`: (missing codes, DNL's lowest and its
/// code, DNL's highest and its code, INL's lowest, INL's highest).
struct Linearity {
    missing: Vec<i64>,
    dnl_min: (f64, i64),
    dnl_max: (f64, i64),
    inl_min: f64,
    inl_max: f64,
}

fn linearity(peer: &Value, first: i64, last: i64) -> Linearity {
    let column = |key: &str| -> Vec<f64> {
        peer[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect()
    };
    let (code, dnl, inl) = (column("code"), column("dnl"), column("inl"));
    let rows: Vec<(i64, f64, f64)> = (0..code.len())
        .map(|i| (code[i] as i64, dnl[i], inl[i]))
        .filter(|&(c, _, _)| (first..=last).contains(&c))
        .collect();
    let lowest = rows.iter().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    let highest = rows.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    Linearity {
        missing: rows.iter().filter(|r| r.1 <= -0.9).map(|r| r.0).collect(),
        dnl_min: (lowest.1, lowest.0),
        dnl_max: (highest.1, highest.0),
        inl_min: rows.iter().map(|r| r.2).fold(f64::MAX, f64::min),
        inl_max: rows.iter().map(|r| r.2).fold(f64::MIN, f64::max),
    }
}

/// The code-density test of a converter missing code 2100 (its input goes to 2101, twice as
/// wide), driven 2 % beyond both ends by a sine whose phases never repeat: ours, genalyzer's
/// (its tone histogram, INL through the end points) and ADCToolbox's (`analyze_inl_from_sine`).
#[test]
#[ignore = "needs PyPI genalyzer-fftw and adctoolbox (benches/peers/setup.sh installs them)"]
fn a_missing_code_against_genalyzer_and_adctoolbox() {
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("linearity.bin");
    let signal = Signal {
        fs: FS,
        samples: 1024,
        tones: vec![(FS * 0.618_033_988_75 / 30.0, 1.02)],
        noise_rms: 0.3 * LSB,
        seed: 7,
        nonlinearity: [0.0, 0.0],
        missing_code: Some(2100),
    };
    signal.record(&recording, 2600);
    let codes = dir.path().join("linearity.txt");
    write_codes(&codes, &signal, 0..2600);
    let s = summary(&recording, &["--linearity"]);
    let ours = &s["linearity"];
    assert!(!ours.is_null(), "{:#}", s["linearity_withheld"]);
    let peers = toolkits("linearity", &codes, 1024, signal.tones[0].0, 6);
    let (first, last) = (
        ours["first_code"].as_i64().unwrap(),
        ours["last_code"].as_i64().unwrap(),
    );

    // The truth: DNL −1 at 2100 and +1 at 2101, the INL's step of −1 there and 0 elsewhere.
    assert_eq!(ours["missing_codes"], serde_json::json!([2100]));
    let truth = [
        ("dnl_min", -1.0),
        ("dnl_max", 1.0),
        ("inl_min", -1.0),
        ("inl_max", 0.0),
    ];
    for (key, want) in truth {
        near(
            number(ours, &format!("/{key}")),
            want,
            0.1,
            &format!("our {key}"),
        );
    }
    for name in ["genalyzer", "adctoolbox"] {
        let theirs = linearity(&peers[name], first, last);
        eprintln!(
            "{name}: missing {:?}, DNL {:.3} at {} to {:.3} at {}, INL {:.3} to {:.3}",
            theirs.missing,
            theirs.dnl_min.0,
            theirs.dnl_min.1,
            theirs.dnl_max.0,
            theirs.dnl_max.1,
            theirs.inl_min,
            theirs.inl_max
        );
        let values = [
            theirs.dnl_min.0,
            theirs.dnl_max.0,
            theirs.inl_min,
            theirs.inl_max,
        ];
        for ((key, want), theirs) in truth.into_iter().zip(values) {
            near(theirs, want, 0.1, &format!("{name}'s {key}"));
            let got = number(ours, &format!("/{key}"));
            near(got, theirs, 0.1, &format!("our {key} and {name}'s"));
        }
        // Which code: genalyzer names the missing code and its wide neighbour as they are;
        // ADCToolbox's code axis stands one code low (docs/adc-peers.md), so its are printed.
        let codes = (theirs.missing.clone(), theirs.dnl_min.1, theirs.dnl_max.1);
        if name == "genalyzer" {
            assert_eq!(codes, (vec![2100], 2100, 2101), "{name}");
        } else {
            eprintln!(
                "{name}: missing {:?}, where the truth is [2100] (one code low)",
                codes.0
            );
        }
    }
}
