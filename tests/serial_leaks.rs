//! Unplug and replug a hundred times: no descriptor and no thread may be left behind.
//! In a test binary of its own, so no other test opens or closes anything meanwhile.

mod common;

use common::board::Board;
use common::serial::{Reader, frame_bytes, seqs};
use sse_tui::link::LinkState;
use sse_tui::wire::Format;

#[test]
fn a_hundred_unplugs_leak_no_descriptors_or_threads() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ttyACM0");
    let mut board = Board::plug_in(&link);
    let mut reader = Reader::start(&link, Format::Frame);
    reader.until_state(|s| *s == LinkState::Connected);
    board.write(&frame_bytes(0)).unwrap();
    reader.items_until_frames(1);
    let (fds, tasks) = (open_descriptors(), threads());
    for cycle in 1..=100 {
        drop(board);
        reader.until_state(|s| matches!(s, LinkState::Disconnected { .. }));
        board = Board::plug_in(&link);
        reader.until_state(|s| *s == LinkState::Connected);
        board.write(&frame_bytes(cycle)).unwrap();
        assert_eq!(seqs(&reader.items_until_frames(1)), [cycle]);
    }
    assert_eq!(open_descriptors(), fds, "descriptors");
    assert_eq!(threads(), tasks, "threads");
}

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}
