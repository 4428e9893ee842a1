//! An OpenAPI 3.0/3.1 -> async Rust client generator, in three stages:
//!
//! 1. [`load`]: JSON -> a typed model of the document, every error located by JSON pointer;
//! 2. [`model`]: the document -> a normalized IR where every Rust name is decided;
//! 3. [`emit`]: the IR -> formatted Rust source files (`quote!` -> `syn` -> `prettyplease`).
//!
//! The output targets a small hand-written runtime (`src/runtime/` of the generated crate):
//! a `Client`, a `Request` builder, `ApiResponse`, `Error`, `Nullable`, `Multipart`. Nothing
//! here knows any particular API; what differs between APIs is in [`Settings`].

#![deny(missing_docs)]

pub mod emit;
pub mod error;
pub mod load;
pub mod model;

use std::collections::BTreeMap;

pub use error::{Error, Pointer, Result};

/// What the generator needs to know beyond the spec.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How the header of each file names the spec (`spec/stream.openapi.json`).
    pub spec_label: String,
    /// How the header names the command that regenerates (`cargo xtask generate`).
    pub command: String,
    /// The response field holding the payload of an envelope (`result` for Cloudflare):
    /// `send()` returns that field, `send_with_response()` the whole body.
    pub envelope_field: Option<String>,
    /// Path parameters the client supplies when a call does not (`account_id`): they become
    /// optional builder methods instead of constructor arguments.
    pub client_path_defaults: Vec<String>,
    /// Hand-written modules of the crate that `lib.rs` must declare (besides `runtime`).
    pub extra_modules: Vec<String>,
    /// Methods hand-written modules add to `Client` (`upload`); resource accessors avoid them.
    pub client_extension_methods: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            spec_label: "an OpenAPI document".to_owned(),
            command: "cargo xtask generate".to_owned(),
            envelope_field: None,
            client_path_defaults: Vec::new(),
            extra_modules: Vec::new(),
            client_extension_methods: Vec::new(),
        }
    }
}

/// The generated files, keyed by path relative to the crate root (`src/models.rs`).
pub type Files = BTreeMap<String, String>;

/// Everything a run produces.
#[derive(Debug, Clone)]
pub struct Output {
    /// The generated files.
    pub files: Files,
    /// Deviations from the standard that were accepted leniently, by pointer.
    pub warnings: Vec<Error>,
}

/// Runs the whole pipeline on JSON text.
pub fn generate(spec_json: &str, settings: &Settings) -> Result<Files> {
    generate_output(spec_json, settings).map(|output| output.files)
}

/// Runs the whole pipeline on JSON text, returning the warnings too.
pub fn generate_output(spec_json: &str, settings: &Settings) -> Result<Output> {
    let document = load::load_str(spec_json)?;
    let mut warnings = document.warnings.clone();
    let api = model::build(&document, settings, &mut warnings)?;
    let files = emit::emit(&api, settings)?;
    Ok(Output { files, warnings })
}

/// Runs the pipeline for the server target: axum bindings (models, the `Api` trait and its
/// router) from JSON text; `settings` shapes the model exactly as for the client.
pub fn generate_server(
    spec_json: &str,
    settings: &Settings,
    server: &emit::server::ServerSettings,
) -> Result<Files> {
    let document = load::load_str(spec_json)?;
    let mut warnings = document.warnings.clone();
    let api = model::build(&document, settings, &mut warnings)?;
    let raw: serde_json::Value = serde_json::from_str(spec_json)
        .map_err(|e| Error::new(&Pointer::root(), format!("not JSON: {e}")))?;
    emit::server::emit_server(&api, &raw, server)
}
