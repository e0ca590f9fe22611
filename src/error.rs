//! Errors in words: what the user reads when a file or a port cannot be had.

use std::fmt;
use std::path::{Path, PathBuf};

/// An I/O error as a short phrase ("no such file", "permission denied"), without the
/// "(os error 2)" that means nothing to the person reading it.
pub fn plain_io_error(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let text = e.to_string();
            match text.find(" (os error") {
                Some(i) => text[..i].to_lowercase(),
                None => text,
            }
        }
    }
}

/// Something wrong at a place in a file the user wrote (the settings file, a limits file):
/// one sentence naming the file and the line, then what is wrong there.
#[derive(Debug, Clone, PartialEq)]
pub struct AtLine<E> {
    pub path: PathBuf,
    pub line: usize,
    pub error: E,
}

impl<E> AtLine<E> {
    /// `error` at byte `offset` of `text`, the contents of `path`.
    pub fn at_offset(path: &Path, text: &str, offset: usize, error: E) -> Self {
        let line = text[..offset.min(text.len())].matches('\n').count() + 1;
        Self {
            path: path.to_owned(),
            line,
            error,
        }
    }
}

impl<E: fmt::Display> fmt::Display for AtLine<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, line {}: {}",
            self.path.display(),
            self.line,
            self.error
        )
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for AtLine<E> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_in_a_file_is_named_by_its_line() {
        let text = "a = 1\nb = 2\nc = x\n";
        let at = AtLine::at_offset(Path::new("f.toml"), text, text.find('x').unwrap(), "bad");
        assert_eq!(at.to_string(), "f.toml, line 3: bad");
        let past_the_end = AtLine::at_offset(Path::new("f.toml"), text, 1000, "bad");
        assert_eq!(past_the_end.line, 4);
    }

    #[test]
    fn io_errors_read_as_plain_words() {
        let missing = std::fs::File::open("/nonexistent/sse-tui-test").unwrap_err();
        assert_eq!(plain_io_error(&missing), "no such file");
        let other = std::io::Error::other("Something Else");
        assert_eq!(plain_io_error(&other), "Something Else");
    }
}
