//! An OpenAPI 3.0/3.1 -> async Rust client generator, in three stages:
//!
//! 1. [`load`]: JSON -> a typed model of the document, every error located by JSON pointer;
//! 2. [`model`]: the document -> a normalized IR where every Rust name is decided;
//! 3. [`emit`]: the IR -> formatted Rust source files (`quote!` -> `syn` -> `prettyplease`).
//!
//! The output targets the hand-written runtime crate `client-runtime` (`runtime/` of this
//! workspace): its `Client`, request builder, `ApiResponse`, `Error`, `Nullable`, `Envelope`.
//! Nothing here knows any particular API: what a spec does not say comes from its
//! [`config::Config`], carried in [`Settings`].

pub mod config;
pub mod emit;
pub mod error;
pub mod json;
pub mod load;
pub mod model;
pub mod spec;

use std::collections::BTreeMap;

pub use error::{Error, Pointer, Result};

/// What the generator needs to know beyond the spec: how to label the files it writes,
/// where they go, and the API's conventions from its [`config::Config`].
#[derive(Debug, Clone)]
pub struct Settings {
    /// How the header of each file names the spec (`spec/stream.openapi.json`).
    pub spec_label: String,
    /// How the header names the command that regenerates (`cargo xtask generate`).
    pub command: String,
    /// Where the generated files go.
    pub layout: Layout,
    /// The config beside the spec (defaults when there is none).
    pub config: config::Config,
}

/// Where generated files go in the crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// A whole crate: `src/lib.rs` is generated too (plus `Cargo.toml` and `README.md`
    /// with [`generate_crate`]).
    Crate,
    /// One module of a crate whose `lib.rs` is hand-written and declares it
    /// (`mod generated;`): every generated file is under `src/<name>/`, and generated code
    /// refers to its items as `crate::<name>::...`.
    Module(String),
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            spec_label: "an OpenAPI document".to_owned(),
            command: "cargo xtask generate".to_owned(),
            layout: Layout::Crate,
            config: config::Config::default(),
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

/// Runs the whole pipeline on JSON text: the source files of [`Settings::layout`].
pub fn generate(spec_json: &str, settings: &Settings) -> Result<Files> {
    generate_output(spec_json, settings).map(|output| output.files)
}

/// Runs the whole pipeline on JSON text, returning the warnings too.
pub fn generate_output(spec_json: &str, settings: &Settings) -> Result<Output> {
    let (api, warnings) = build_api(spec_json, settings)?;
    let files = emit::emit(&api, settings)?;
    Ok(Output { files, warnings })
}

/// A whole crate ([`Layout::Crate`] sources plus `Cargo.toml` and `README.md`), depending on
/// the runtime as `runtime` says; for a very large API ([`emit::wants_workspace`]) a
/// workspace of crates instead, with the same public paths ([`emit::emit_workspace`]). The package metadata comes from the config, with
/// defaults derived from the spec's title.
pub fn generate_crate(
    spec_json: &str,
    settings: &Settings,
    runtime: &emit::RuntimeDependency,
) -> Result<Output> {
    let collected = std::sync::Mutex::new(Files::new());
    let warnings = generate_crate_into(spec_json, settings, runtime, &|files| {
        // A poisoned lock only means another batch's sink panicked; its files are whole.
        let mut all = collected
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        all.extend(files);
        Ok(())
    })?;
    let files = collected
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Ok(Output { files, warnings })
}

/// Like [`generate_crate`], handing the files to `sink` in batches as they are rendered (a
/// workspace member at a time, from the rendering threads) instead of returning them all:
/// a very large spec's output is then never held whole. Returns the warnings. Nothing
/// reaches `sink` when the spec does not load or model; an error of `sink` stops the run.
pub fn generate_crate_into(
    spec_json: &str,
    settings: &Settings,
    runtime: &emit::RuntimeDependency,
    sink: &(dyn Fn(Files) -> Result<()> + Sync),
) -> Result<Vec<Error>> {
    let settings = Settings {
        layout: Layout::Crate,
        ..settings.clone()
    };
    let (api, warnings) = build_api(spec_json, &settings)?;
    let package = settings.config.package.resolve(&api.title);
    if emit::wants_workspace(&api, &settings) {
        emit::emit_workspace(&api, &settings, &package, runtime, sink)?;
    } else {
        let mut files = emit::emit(&api, &settings)?;
        files.extend(emit::package_files(&api, &settings, &package, runtime));
        sink(files)?;
    }
    Ok(warnings)
}

/// The test-harness dispatch module for the crate named `crate_path` generated from the
/// same spec (see [`emit::emit_dispatch`]).
pub fn generate_dispatch(spec_json: &str, settings: &Settings, crate_path: &str) -> Result<String> {
    let (api, _) = build_api(spec_json, settings)?;
    emit::emit_dispatch(&api, settings, crate_path)
}

/// Load and model: the IR, and the warnings of both stages.
/// `spec_text` is JSON or YAML ([`spec::parse`]); errors and warnings carry the line of
/// their pointer in it.
pub fn build_api(spec_text: &str, settings: &Settings) -> Result<(model::ir::Api, Vec<Error>)> {
    load_api(spec_text, settings).map(|loaded| (loaded.api, loaded.warnings))
}

/// A spec read once for every output made from it: the document as parsed (the server
/// target validates against its schemas), its IR and the warnings of loading and modelling.
#[derive(Debug)]
pub struct Loaded {
    /// The document as [`spec::parse`] read it.
    pub document: serde_json::Value,
    /// The model every emitter works from.
    pub api: model::ir::Api,
    /// Warnings of both stages, with lines for YAML.
    pub warnings: Vec<Error>,
}

/// [`build_api`] keeping the parsed document: for callers that emit several outputs
/// (client, dispatch, server bindings) from one spec without reading it again.
pub fn load_api(spec_text: &str, settings: &Settings) -> Result<Loaded> {
    let document = spec::parse(spec_text)?;
    let (api, warnings) = build_api_value(&document, settings).map_err(|e| locate(spec_text, e))?;
    Ok(Loaded {
        document,
        api,
        warnings: locate_all(spec_text, warnings),
    })
}

/// The line of an error's pointer, for text of more than one line (in a one-line JSON
/// document every line is 1).
fn locate(spec_text: &str, error: Error) -> Error {
    if spec_text.trim_end().contains('\n') {
        spec::locate(spec_text, error)
    } else {
        error
    }
}

/// [`build_api`] on an already parsed document (no lines in the diagnostics).
pub fn build_api_value(
    value: &serde_json::Value,
    settings: &Settings,
) -> Result<(model::ir::Api, Vec<Error>)> {
    let document = load::load_value(value)?;
    let mut warnings = document.warnings.clone();
    let api = model::build(&document, settings, &mut warnings)?;
    Ok((api, warnings))
}

/// Lines for warnings: for YAML only (JSON specs are usually one huge line or
/// machine-formatted, and the pointer says it all), and for at most a few hundred of them,
/// since each costs a read of the text.
fn locate_all(spec_text: &str, warnings: Vec<Error>) -> Vec<Error> {
    if spec::format_of(spec_text) != spec::Format::Yaml || warnings.len() > 200 {
        return warnings;
    }
    warnings.into_iter().map(|w| locate(spec_text, w)).collect()
}

/// Runs the pipeline for the server target: axum bindings (models, the `Api` trait and its
/// router) from JSON text; `settings` shapes the model exactly as for the client.
pub fn generate_server(
    spec_json: &str,
    settings: &Settings,
    server: &emit::server::ServerSettings,
) -> Result<Files> {
    let loaded = load_api(spec_json, settings)?;
    emit::server::emit_server(&loaded.api, &loaded.document, server)
}
