//! The one error type of the generator: every failure names the JSON pointer of the spec
//! location that caused it, so a user can jump straight to the problem.

use std::fmt;

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

/// A JSON pointer into the spec document, built up while walking it.
///
/// Stored already escaped (`~0`, `~1`) because it is only ever displayed or compared.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pointer(String);

impl Pointer {
    /// The document root, `#`.
    pub fn root() -> Self {
        Pointer(String::new())
    }

    /// Parses a local reference such as `#/components/schemas/Pet` (already escaped).
    pub fn from_fragment(fragment: &str) -> Option<Self> {
        let rest = fragment.strip_prefix('#')?;
        if rest.is_empty() || rest.starts_with('/') {
            Some(Pointer(rest.to_owned()))
        } else {
            None
        }
    }

    /// This pointer extended by one object key or array index.
    pub fn push(&self, token: impl fmt::Display) -> Self {
        let token = token.to_string();
        let mut out = String::with_capacity(self.0.len() + token.len() + 1);
        out.push_str(&self.0);
        out.push('/');
        for c in token.chars() {
            match c {
                '~' => out.push_str("~0"),
                '/' => out.push_str("~1"),
                c => out.push(c),
            }
        }
        Pointer(out)
    }

    /// The unescaped reference tokens, for resolving against the document.
    pub fn tokens(&self) -> impl Iterator<Item = String> + '_ {
        self.0
            .split('/')
            .skip(1)
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
    }
}

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}
