//! A recording replayed by the real binary, headless and as fast as it goes, and the figures
//! of its summary held to the truth: what the measurement tests share.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// The last summary of `--replay path --speed 0 --headless` with `args`.
pub fn summary(path: &Path, args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_sse-tui"))
        .args(["--replay", path.to_str().unwrap(), "--speed", "0"])
        .args(["--headless", "--no-config"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    serde_json::from_str(stdout.lines().last().expect("a summary")).unwrap()
}

/// The number at `path` (a JSON pointer) in `v`, or a failure that shows `v`.
pub fn number(v: &Value, path: &str) -> f64 {
    v.pointer(path)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{path} in {v:#}"))
}

pub fn near(got: f64, truth: f64, within: f64, what: &str) {
    assert!(
        (got - truth).abs() <= within,
        "{what}: {got} against {truth} (within {within})"
    );
}
