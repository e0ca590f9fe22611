//! The settings file with the real binary: found in `$XDG_CONFIG_HOME`, its profile chosen,
//! the command line over both; completion scripts that parse; the manual page in step with
//! the options.

use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_sse-tui");

fn run(config_home: &std::path::Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("XDG_CONFIG_HOME", config_home)
        .env_remove("HOME")
        .output()
        .unwrap()
}

fn summary(out: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.lines().last().expect("a summary")).unwrap()
}

#[test]
fn the_files_profile_sets_the_analysis_and_the_command_line_wins() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("sse-tui");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        "window = \"flattop\"\nfft = 4096\n\n[profile.bench]\nfft = 2048\nwindow = \"blackman-harris\"\nframes = 3\n",
    )
    .unwrap();
    let s = summary(&run(home.path(), &["--headless", "--frames", "3"]));
    assert_eq!(
        (s["fft"].clone(), s["window"].clone()),
        (4096.into(), "flattop".into()),
        "{s}"
    );
    let s = summary(&run(home.path(), &["--headless", "--profile", "bench"]));
    assert_eq!(
        (s["fft"].clone(), s["window"].clone()),
        (2048.into(), "blackman-harris".into()),
        "{s}"
    );
    assert_eq!(s["frames"], 3, "the profile's --frames ended the run");
    let s = summary(&run(
        home.path(),
        &["--headless", "--profile", "bench", "--fft", "512"],
    ));
    assert_eq!(
        (s["fft"].clone(), s["window"].clone()),
        (512.into(), "blackman-harris".into()),
        "{s}"
    );
    let s = summary(&run(
        home.path(),
        &["--headless", "--frames", "3", "--no-config"],
    ));
    assert_eq!(
        (s["fft"].clone(), s["window"].clone()),
        (1024.into(), "hann".into()),
        "{s}"
    );
}

#[test]
fn a_wrong_file_is_status_2_with_one_sentence_and_a_missing_default_is_no_error() {
    let home = tempfile::tempdir().unwrap();
    let ok = run(home.path(), &["--headless", "--frames", "2"]);
    assert!(
        ok.status.success(),
        "no file at all: {}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let missing = run(home.path(), &["--config", "/nonexistent/config.toml"]);
    assert_eq!(missing.status.code(), Some(2));
    let dir = home.path().join("sse-tui");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), "fft = 2048\nwindw = \"hann\"\n").unwrap();
    let wrong = run(home.path(), &["--headless", "--frames", "2"]);
    assert_eq!(wrong.status.code(), Some(2));
    let stderr = String::from_utf8(wrong.stderr).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("config.toml, line 2: unknown key `windw`"),
        "{stderr}"
    );
}

#[test]
fn completion_scripts_parse_and_the_manual_page_is_in_step() {
    let home = tempfile::tempdir().unwrap();
    let bash = run(home.path(), &["completions", "bash"]);
    assert!(bash.status.success());
    let script = home.path().join("sse-tui.bash");
    std::fs::write(&script, &bash.stdout).unwrap();
    let checked = Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    for shell in ["zsh", "fish"] {
        let out = run(home.path(), &["completions", shell]);
        assert!(
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains("fft"),
            "{shell}"
        );
    }
    let page = run(home.path(), &["manpage"]);
    let committed = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/sse-tui.1")).unwrap();
    assert!(
        page.stdout == committed,
        "docs/sse-tui.1 is out of step with the options: run `sse-tui manpage > docs/sse-tui.1`"
    );
    assert!(String::from_utf8_lossy(&page.stdout).contains("\\-\\-spectra\\-per\\-line"));
}
