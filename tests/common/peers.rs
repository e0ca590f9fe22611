//! The independent programs tests and benchmarks compare against (npm `eventsource`,
//! `better-sse`; PyPI `httpx-sse`, `cmsisdsp`), installed on first use by
//! benches/peers/setup.sh and again whenever its lists change.

use std::path::PathBuf;
use std::process::Command;

/// Where the peers live (target/bench-peers), installing them if any is missing.
pub fn ensure() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let peers = root.join("target/bench-peers");
    let wanted = [
        include_str!("../../benches/peers/requirements.txt"),
        include_str!("../../benches/peers/package.json"),
    ]
    .concat();
    // Tests run in parallel: one installs while the others wait for it, never reading a
    // node_modules half written (the lock is released when the file is dropped).
    std::fs::create_dir_all(root.join("target")).unwrap();
    let lock = std::fs::File::create(root.join("target/bench-peers.lock")).unwrap();
    lock.lock().unwrap();
    let installed =
        std::fs::read_to_string(peers.join("installed.stamp")).is_ok_and(|stamp| stamp == wanted);
    if !installed {
        let ok = Command::new("bash")
            .arg(root.join("benches/peers/setup.sh"))
            .arg(&peers)
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "installing the peers from npm and PyPI (benches/peers/setup.sh) failed"
        );
    }
    drop(lock);
    // The scripts beside node_modules (so their imports resolve), fresh on every use.
    for entry in std::fs::read_dir(root.join("benches/peers")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "mjs" || e == "py") {
            // Renamed into place: a test reading it meanwhile never sees half a file.
            let name = path.file_name().unwrap();
            let partial = peers.join(format!(
                ".{}.{}.{:?}",
                name.to_string_lossy(),
                std::process::id(),
                std::thread::current().id()
            ));
            std::fs::copy(&path, &partial).unwrap();
            std::fs::rename(&partial, peers.join(name)).unwrap();
        }
    }
    peers
}

/// An OpenMetrics exposition read by PyPI prometheus-client's own parser (an independent
/// reader of what `/metrics` writes): `{"family": {"type", "samples": [[name, labels, value]]}}`.
/// Fails the test, with the text, when the parser refuses it.
pub fn parse_metrics(peers: &std::path::Path, text: &str) -> serde_json::Value {
    use std::io::Write;
    let mut parser = Command::new(peers.join("venv/bin/python"))
        .arg(peers.join("parse_metrics.py"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    parser
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = parser.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the parser refused:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
