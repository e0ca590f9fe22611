//! The independent SSE clients and servers (npm `eventsource`, `better-sse`; PyPI `httpx-sse`)
//! that tests and benchmarks compare against, installed on first use by benches/peers/setup.sh.

use std::path::PathBuf;
use std::process::Command;

/// Where the peers live (target/bench-peers), installing them if any is missing.
pub fn ensure() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let peers = root.join("target/bench-peers");
    let installed = [
        "node_modules/eventsource",
        "node_modules/better-sse",
        "venv/bin/python",
    ]
    .iter()
    .all(|p| peers.join(p).exists());
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
    peers
}
