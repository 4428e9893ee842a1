//! The one error type of the generator: every failure names the JSON pointer of the spec
//! location that caused it, so a user can jump straight to the problem.

/// A generation failure, located in the input document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{pointer}{}: {message}", line_suffix(*.line))]
pub struct Error {
    /// JSON pointer (RFC 6901, URI-fragment form: `#/paths/~1pets/get`) of the offending value.
    pub pointer: Pointer,
    /// What was found and what was expected instead.
    pub message: String,
    /// The line of the pointer in the spec text (1-based), when the text is at hand
    /// ([`crate::spec::locate`]): YAML readers have no other way to find it.
    pub line: Option<usize>,
}

fn line_suffix(line: Option<usize>) -> String {
    line.map(|l| format!(" (line {l})")).unwrap_or_default()
}

impl Error {
    /// An error at `pointer` (the root, `#`, for one that is about no part of the spec,
    /// such as a file a sink of the output could not write).
    pub fn new(pointer: &Pointer, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.clone(),
            message: message.into(),
            line: None,
        }
    }

    /// This error, located at `line` of the spec text.
    pub fn at_line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }
}

/// Result alias used across the generator.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A JSON pointer into the spec document, built up while walking it (see [`crate::json`]).
pub use crate::json::Pointer;
