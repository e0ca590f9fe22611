//! Recordings of the demo board for the benches of several boards: `--replay NAME=FILE
//! --speed 1` plays each as the demo runs (its four channels at 47 frames a second), each
//! board with noise of its own.

use std::path::{Path, PathBuf};

use sse_tui::source::demo::DemoBoard;

/// `boards` recordings of `seconds` of the demo in `dir`, each with a seed of its own.
pub fn demo_recordings(dir: &Path, boards: usize, seconds: f64) -> Vec<PathBuf> {
    // 1024 samples a frame at 48 kHz.
    let frames = (seconds * 48_000.0 / 1024.0).ceil() as usize;
    (0..boards)
        .map(|i| {
            let mut board = DemoBoard::new(0x5EED + i as u64);
            let mut bytes = Vec::new();
            for _ in 0..frames {
                board.next_frame(&mut bytes);
            }
            let path = dir.join(format!("demo{i}.bin"));
            std::fs::write(&path, bytes).unwrap();
            path
        })
        .collect()
}

/// `--replay bN=FILE` for each recording, and `--speed 1`.
pub fn replay_args(recordings: &[PathBuf]) -> Vec<String> {
    let mut args = Vec::new();
    for (i, path) in recordings.iter().enumerate() {
        args.push("--replay".to_owned());
        args.push(format!("b{i}={}", path.display()));
    }
    args.extend(["--speed".to_owned(), "1".to_owned()]);
    args
}
