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

use crate::error::Result;

/// Parses and reads an OpenAPI document from JSON or YAML text ([`crate::spec::parse`]);
/// an error carries the line of its pointer.
pub fn load_str(text: &str) -> Result<Document> {
    let value = crate::spec::parse(text)?;
    load_value(&value).map_err(|e| {
        if text.trim_end().contains('\n') {
            crate::spec::locate(text, e)
        } else {
            e
        }
    })
}

/// Reads an OpenAPI document from an already parsed JSON value.
pub fn load_value(value: &serde_json::Value) -> Result<Document> {
    reader::read_document(value)
}
