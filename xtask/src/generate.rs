//! `cargo xtask generate`: spec -> generated code, and `--check` for drift, over the
//! `specsmith` library (the driver the installable `specsmith` binary runs too).
//!
//! Two targets:
//! - the product (default): the generator owns exactly the folders named `generated`: the
//!   client's `cloudflare-stream/src/generated/` (declared by the hand-written
//!   `cloudflare-stream/src/lib.rs`), the conformance harness's `conformance/src/generated/`
//!   and the top-level `generated/`, a folder of wholly generated crates (today the server
//!   bindings, `generated/stream-server`, which the emulator implements); nothing else is
//!   written or removed. This target is this
//!   project's own, so it stays here;
//! - `--out DIR`: a whole crate for any spec, as `specsmith generate --out` writes it, that
//!   depends on this workspace's runtime by path (the default inside the workspace), by
//!   version, or on a vendored copy.
//!
//! What a spec does not say comes from its config, `codegen.toml` beside the spec (or
//! `--config`); a spec without one gets defaults derived from the spec.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use codegen::config::Config;
use codegen::emit::server::ServerSettings;
use codegen::{Layout, Settings};
pub use specsmith::generate::{
    Drift, GENERATED_MARKER, Report, compare, display_relative, load_config,
};
use specsmith::generate::{Runtime, Target, inside, write};

/// The module of the product crate that holds its generated code.
pub const PRODUCT_MODULE: &str = "generated";

/// The crate of the Stream API's server bindings, wholly generated (its manifest too), in
/// the top-level `generated/` folder: the generator owns that folder entirely.
pub const SERVER_CRATE: &str = "generated/stream-server";

/// Where, inside that crate, the bindings' modules are (`crate::generated::{models, server}`,
/// the paths the emulator names them by).
pub const SERVER_BINDINGS: &str = "src/generated";

/// The server crate's package name.
const SERVER_PACKAGE: &str = "cloudflare-stream-server";

/// How a `--out` crate depends on the runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeSource {
    /// A path dependency on this workspace's `runtime/`.
    Path,
    /// A version requirement on the published `client-runtime`.
    Version,
    /// A copy of the runtime inside the generated crate (`client-runtime/`), depended on
    /// by path: a crate that builds on its own.
    Vendor,
}

/// What to generate and where.
#[derive(Debug, Clone)]
pub struct Options {
    /// The OpenAPI document.
    pub spec: PathBuf,
    /// A directory for a whole crate; `None`: the product crate and the harness.
    pub out: Option<PathBuf>,
    /// The generator config (default: `codegen.toml` beside the spec, if there is one).
    pub config: Option<PathBuf>,
    /// How a `--out` crate depends on the runtime (default: by path when the crate is
    /// inside this workspace, vendored otherwise, as `specsmith` does).
    pub runtime: Option<RuntimeSource>,
    /// Compare instead of writing.
    pub check: bool,
}

impl Options {
    /// The product crate from the project's spec.
    pub fn product() -> Self {
        Options {
            spec: workspace_root().join("spec/stream.openapi.json"),
            out: None,
            config: None,
            runtime: None,
            check: false,
        }
    }
}

/// The workspace root (the parent of `xtask/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The settings of the product crate (also what `diff` generates both versions with).
pub fn product_settings(spec: &Path, config: Config) -> Settings {
    Settings {
        spec_label: display_relative(spec, &workspace_root()),
        command: "cargo xtask generate".to_owned(),
        layout: Layout::Module(PRODUCT_MODULE.to_owned()),
        config,
    }
}

/// Runs the generator; writes the files unless `check`.
pub fn run(options: &Options) -> Result<Report, String> {
    let root = workspace_root();
    if let Some(out) = &options.out {
        return run_crate(options, out, &root);
    }
    let text = specsmith::generate::read_spec(&options.spec, false)?;
    let config = load_config(&options.spec, options.config.as_deref())?;
    let located = |e: codegen::Error| format!("{}: {e}", options.spec.display());
    let started = Instant::now();
    // The product crate: its generated module, the conformance dispatch and the emulator's
    // server bindings.
    let (base, files, owned_dirs, warnings) = {
        let crate_path = product_crate_path(&config);
        let settings = product_settings(&options.spec, config);
        // Read and modelled once for the three outputs.
        let loaded = codegen::load_api(&text, &settings).map_err(located)?;
        let client = codegen::emit::emit(&loaded.api, &settings).map_err(located)?;
        let dispatch =
            codegen::emit::emit_dispatch(&loaded.api, &settings, &crate_path).map_err(located)?;
        let mut files: BTreeMap<String, String> = client
            .into_iter()
            .map(|(path, text)| (format!("cloudflare-stream/{path}"), text))
            .collect();
        files.insert("conformance/src/generated/dispatch.rs".to_owned(), dispatch);
        // The emulator's server bindings, from the same spec and model.
        let server = ServerSettings {
            spec_label: settings.spec_label.clone(),
            command: settings.command.clone(),
            dir: SERVER_BINDINGS.to_owned(),
        };
        let bindings = codegen::emit::server::emit_server(&loaded.api, &loaded.document, &server)
            .map_err(located)?;
        files.extend(
            bindings
                .into_iter()
                .map(|(path, text)| (format!("{SERVER_CRATE}/{path}"), text)),
        );
        files.extend(server_crate(&root, &settings)?);
        let owned = vec![
            format!("cloudflare-stream/src/{PRODUCT_MODULE}"),
            "conformance/src/generated".to_owned(),
            "generated".to_owned(),
        ];
        (root.clone(), files, owned, loaded.warnings)
    };
    let elapsed = started.elapsed();
    let lines = files.values().map(|f| f.lines().count()).sum();
    let drift = compare(&base, &files, &owned_dirs)?;
    if !options.check {
        write(&base, &files, &drift)?;
    }
    Ok(Report {
        files: files.len(),
        lines,
        elapsed,
        drift,
        fresh: false,
        warnings: warnings.iter().map(ToString::to_string).collect(),
    })
}

/// `--out`: `specsmith`'s crate target, with this workspace's defaults: the runtime by
/// path inside the workspace (a crate there is a workspace of its own), else vendored.
fn run_crate(options: &Options, out: &Path, root: &Path) -> Result<Report, String> {
    let source = options.runtime.unwrap_or(if inside(out, root) {
        RuntimeSource::Path
    } else {
        RuntimeSource::Vendor
    });
    let runtime = match source {
        RuntimeSource::Path => Runtime::Path(root.join("runtime")),
        RuntimeSource::Version => Runtime::Version,
        RuntimeSource::Vendor => Runtime::Vendor,
    };
    specsmith::generate::run(&specsmith::generate::Options {
        spec: options.spec.clone(),
        config: options.config.clone(),
        target: Target::Crate {
            out: out.to_path_buf(),
            runtime,
        },
        check: options.check,
        command: "cargo xtask generate".to_owned(),
        enclosing_workspace: Some(root.to_path_buf()),
        progress: false,
    })
}

/// `cloudflare_stream`: the product crate's name (from the config) as a path.
fn product_crate_path(config: &Config) -> String {
    let name = config
        .package
        .name
        .clone()
        .unwrap_or_else(|| "cloudflare-stream".to_owned());
    name.replace('-', "_")
}

/// The outcome of `cargo check` on a generated crate.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Whether it compiled without a warning.
    pub clean: bool,
    /// What cargo printed on stderr (short messages).
    pub stderr: String,
    /// How long it took.
    pub elapsed: Duration,
}

/// `cargo check` of the crate at `dir`, with `target` as its target directory (shared
/// between crates so dependencies build once). A warning counts as a failure: generated
/// code must compile clean.
pub fn cargo_check(dir: &Path, target: &Path) -> Result<Checked, String> {
    cargo_check_with(dir, target, &[])
}

/// [`cargo_check`] with more arguments (`--no-default-features`, `--features x`).
pub fn cargo_check_with(dir: &Path, target: &Path, args: &[&str]) -> Result<Checked, String> {
    let started = Instant::now();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = std::process::Command::new(cargo)
        .args([
            "check",
            "--quiet",
            "--message-format=short",
            "--manifest-path",
        ])
        .arg(dir.join("Cargo.toml"))
        .args(args)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    Ok(Checked {
        clean: output.status.success() && !stderr.contains("warning:"),
        stderr,
        elapsed: started.elapsed(),
    })
}

/// The summary line(s) printed by the command.
pub fn summary(options: &Options, report: &Report) -> String {
    let target = options.out.as_deref().unwrap_or(Path::new("."));
    specsmith::generate::summary(
        report,
        options.check,
        &display_relative(&options.spec, &workspace_root()),
        target,
        "cargo xtask generate",
    )
}

/// The server crate's own files around its bindings: manifest, README and `lib.rs`. Its
/// version is the client crate's (`cloudflare-stream/Cargo.toml`): both come from one spec
/// and are released together, so the spec diff's bump for the one is the bump for both.
fn server_crate(root: &Path, settings: &Settings) -> Result<BTreeMap<String, String>, String> {
    let manifest = root.join("cloudflare-stream/Cargo.toml");
    let version = spec_diff::source::read_version(&manifest.to_string_lossy(), root)?;
    let label = &settings.spec_label;
    let command = &settings.command;
    let toml_header = format!(
        "# @generated by `{command}` from {label}.\n\
         # Do not edit by hand: change the spec or the generator, then regenerate.\n"
    );
    let cargo = format!(
        r#"{toml_header}
[package]
name = "{SERVER_PACKAGE}"
version = "{version}"
description = "Server bindings of the Cloudflare Stream API, generated from its OpenAPI spec: a trait per resource and the axum router that validates every request (what stream-emulator implements)"
readme = "README.md"
keywords = ["cloudflare", "stream", "video", "server", "axum"]
categories = ["api-bindings", "web-programming::http-server"]
edition.workspace = true
rust-version.workspace = true
license.workspace = true
repository.workspace = true
include = ["/Cargo.toml", "/README.md", "/src/**/*.rs"]

[lints]
workspace = true

[dependencies]
# Request decoding, validation and responses of every generated server.
client-runtime = {{ workspace = true, features = ["server"] }}
axum.workspace = true
serde.workspace = true
serde_json.workspace = true
"#
    );
    let readme = format!(
        "<!-- @generated by `{command}` from {label}. Do not edit by hand. -->\n\n\
         # {SERVER_PACKAGE}\n\n\
         Server bindings of the Cloudflare Stream API, generated from its OpenAPI description \
         ({label}): the models, one trait per resource (`VideosApi`, `KeysApi`, ...) combined \
         into `Api`, and the axum router that authenticates, decodes and validates every \
         request against the spec before calling the implementation. `stream-emulator` \
         implements it; a test fake of your own can too.\n"
    );
    let lib = format!(
        "// @generated by `{command}` from {label}.\n\
         // Do not edit by hand: change the spec or the generator, then regenerate.\n\n\
         #![doc = include_str!(\"../README.md\")]\n\n\
         #[rustfmt::skip]\n\
         pub mod generated;\n\n\
         pub use generated::{{models, server}};\n"
    );
    Ok(BTreeMap::from([
        (format!("{SERVER_CRATE}/Cargo.toml"), cargo),
        (format!("{SERVER_CRATE}/README.md"), readme),
        (format!("{SERVER_CRATE}/src/lib.rs"), lib),
    ]))
}
