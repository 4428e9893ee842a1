//! Stage 1, load: JSON text -> a typed model of the OpenAPI 3.0/3.1 subset the generator
//! understands.
//!
//! The document is parsed into `serde_json::Value` first and then read by hand rather than
//! with `#[derive(Deserialize)]`: every value is read together with its JSON pointer, so an
//! unexpected shape, an unsupported keyword or a dangling `$ref` is reported exactly where
//! it is, and vendor extensions (`x-*`) can sit anywhere without being mistaken for errors.
//! Nothing here panics on input; the property tests in `tests/loader_never_panics.rs` hold
//! it to that.

mod document;
mod reader;

pub use document::*;

use crate::error::{Error, Pointer, Result};

/// Parses and reads an OpenAPI document from JSON text.
pub fn load_str(text: &str) -> Result<Document> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        Error::new(
            &Pointer::root(),
            format!(
                "not a JSON document (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    load_value(&value)
}

/// Reads an OpenAPI document from an already parsed JSON value.
pub fn load_value(value: &serde_json::Value) -> Result<Document> {
    reader::read_document(value)
}
