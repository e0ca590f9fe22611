//! Files the program leaves behind (a result, a report, an export): written beside their
//! place and moved over it, so a reader, a crash or a full disk never leaves half a file.

use std::path::{Path, PathBuf};

use crate::error::plain_io_error;

/// Why a file could not be written: one sentence.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {why}", path.display())]
pub struct OutputError {
    pub path: PathBuf,
    pub why: String,
}

/// Writes `bytes` to `path` whole, or not at all.
pub fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let temporary = temporary(path);
    std::fs::write(&temporary, bytes)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&temporary);
            OutputError {
                path: path.to_owned(),
                why: plain_io_error(&e),
            }
        })
}

/// Whether `path` can be made (its directory exists and takes a file): asked at start, so a
/// wrong path is said before a measurement, not after it.
pub fn writable(path: &Path) -> Result<(), OutputError> {
    let probe = temporary(path);
    std::fs::write(&probe, b"")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|e| OutputError {
            path: path.to_owned(),
            why: plain_io_error(&e),
        })
}

fn temporary(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".partial");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_whole_or_absent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.html");
        writable(&path).unwrap();
        assert!(!path.exists(), "the probe leaves nothing");
        write_whole(&path, b"<html>").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"<html>");
        let nowhere = dir.path().join("missing/report.html");
        let e = writable(&nowhere).unwrap_err();
        assert!(
            e.to_string().ends_with("missing/report.html: no such file"),
            "{e}"
        );
        assert!(write_whole(&nowhere, b"x").is_err());
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no partial file left"
        );
    }
}
