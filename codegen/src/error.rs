//! The one error type of the generator: every failure names the JSON pointer of the spec
//! location that caused it, so a user can jump straight to the problem.

/// A generation failure, located in the input document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{pointer}: {message}")]
pub struct Error {
    /// JSON pointer (RFC 6901, URI-fragment form: `#/paths/~1pets/get`) of the offending value.
    pub pointer: Pointer,
    /// What was found and what was expected instead.
    pub message: String,
}

impl Error {
    pub(crate) fn new(pointer: &Pointer, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.clone(),
            message: message.into(),
        }
    }
}

/// Result alias used across the generator.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A JSON pointer into the spec document, built up while walking it (see [`crate::json`]).
pub use crate::json::Pointer;
