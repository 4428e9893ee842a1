//! Generating from `build.rs`: the client is regenerated whenever the spec or its config
//! changes, and never checked in (or checked in, and kept in step).
//!
//! Two ways, both as a build-dependency (`[build-dependencies] specsmith = "0.1"`), with
//! `client-runtime`, `serde` and `serde_json` as the crate's own dependencies:
//!
//! 1. **Into `OUT_DIR`** ([`Build::out_dir`]): one file, `$OUT_DIR/<module>.rs`, which the
//!    crate includes at its root (generated code names its items `crate::<module>::..`):
//!
//!    ```ignore
//!    // build.rs
//!    fn main() {
//!        specsmith::build_script::Build::new("openapi.yaml").module("api").out_dir().unwrap();
//!    }
//!    // src/lib.rs
//!    pub mod api {
//!        include!(concat!(env!("OUT_DIR"), "/api.rs"));
//!    }
//!    ```
//!
//!    The generator's module tree is folded into that one file (`include!` resolves a
//!    `mod x;` inside it against the including file's folder, not `OUT_DIR`), and the
//!    module's own doc comment is dropped (an inner attribute cannot stand where
//!    `include!` puts the text).
//! 2. **Into `src/<module>/`** ([`Build::src_dir`]): the same files `specsmith generate
//!    --module src/api` writes, rewritten only when they change; `src/lib.rs` declares
//!    `mod api;`. The files can be committed (then `specsmith generate --check --module
//!    src/api` in CI tells when they are stale) and are read by IDEs as ordinary sources.
//!
//! Both print `cargo:rerun-if-changed` for the spec and for the config file used (an
//! explicit one, or `codegen.toml` beside the spec).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use crate::generate::{self, Options, Target};

/// What to generate, from where.
#[derive(Debug, Clone)]
pub struct Build {
    spec: PathBuf,
    config: Option<PathBuf>,
    module: String,
}

impl Build {
    /// From the spec at `spec` (relative paths are relative to the crate, where cargo runs
    /// build scripts), into the module `generated`.
    pub fn new(spec: impl Into<PathBuf>) -> Build {
        Build {
            spec: spec.into(),
            config: None,
            module: "generated".to_owned(),
        }
    }

    /// The generator config (default: `codegen.toml` beside the spec, if there is one).
    pub fn config(mut self, path: impl Into<PathBuf>) -> Build {
        self.config = Some(path.into());
        self
    }

    /// The module's name (default `generated`): the crate declares it at its root.
    pub fn module(mut self, name: impl Into<String>) -> Build {
        self.module = name.into();
        self
    }

    /// Generates `$OUT_DIR/<module>.rs` (written only when it changes) and returns its
    /// path.
    ///
    /// # Errors
    ///
    /// A message naming the file (and JSON pointer) of what does not load, or `OUT_DIR`
    /// missing (not run by cargo).
    pub fn out_dir(&self) -> Result<PathBuf, String> {
        let out = std::env::var_os("OUT_DIR")
            .map(PathBuf::from)
            .ok_or("OUT_DIR is not set: call this from a build script")?;
        let target = out.join(format!("{}.rs", self.module));
        let text = self.to_string_in_one_file()?;
        if fs::read_to_string(&target).ok().as_deref() != Some(text.as_str()) {
            fs::write(&target, text)
                .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
        }
        Ok(target)
    }

    /// Generates the module into `src/<module>/` of the crate being built (the files of
    /// `specsmith generate --module`), writing only what changed, and returns the folder.
    ///
    /// # Errors
    ///
    /// As [`Build::out_dir`]; `CARGO_MANIFEST_DIR` missing.
    pub fn src_dir(&self) -> Result<PathBuf, String> {
        let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .ok_or("CARGO_MANIFEST_DIR is not set: call this from a build script")?;
        let dir = crate_dir.join("src").join(&self.module);
        let (_, config) = generate::find_config(&self.spec, self.config.as_deref())?;
        rerun_if_changed(&self.spec, config.as_deref());
        generate::run(&Options {
            spec: self.spec.clone(),
            config: config.clone(),
            target: Target::Module { dir: dir.clone() },
            check: false,
            command: "cargo build (build.rs)".to_owned(),
            enclosing_workspace: None,
            progress: false,
        })?;
        Ok(dir)
    }

    /// The whole module as the text of one file (what [`Build::out_dir`] writes).
    ///
    /// # Errors
    ///
    /// As [`Build::out_dir`].
    pub fn to_string_in_one_file(&self) -> Result<String, String> {
        let (config, config_path) = generate::find_config(&self.spec, self.config.as_deref())?;
        rerun_if_changed(&self.spec, config_path.as_deref());
        let text = generate::read_spec(&self.spec, false)?;
        let label = self.spec.file_name().map_or_else(
            || "the spec".to_owned(),
            |f| f.to_string_lossy().into_owned(),
        );
        let settings = codegen::Settings {
            spec_label: label,
            command: "cargo build (build.rs)".to_owned(),
            layout: codegen::Layout::Module(self.module.clone()),
            config,
        };
        let output = codegen::generate_output(&text, &settings)
            .map_err(|e| format!("{}: {e}", self.spec.display()))?;
        for warning in &output.warnings {
            println!("cargo:warning={}: {warning}", self.spec.display());
        }
        one_file(&output.files, &self.module)
    }
}

fn rerun_if_changed(spec: &Path, config: Option<&Path>) {
    println!("cargo:rerun-if-changed={}", spec.display());
    if let Some(config) = config {
        println!("cargo:rerun-if-changed={}", config.display());
    }
}

/// The files of a [`codegen::Layout::Module`] run (`src/<module>/mod.rs` and the files its
/// `mod x;` declarations name) folded into one: every out-of-line module made inline.
pub fn one_file(files: &codegen::Files, module: &str) -> Result<String, String> {
    let dir = format!("src/{module}");
    let root_path = format!("{dir}/mod.rs");
    let root_text = files
        .get(&root_path)
        .ok_or_else(|| format!("the generator wrote no {root_path}"))?;
    let mut root = parse(&root_path, root_text)?;
    // The module's inner attributes (its `//!` docs): not allowed inside `mod x { include!() }`.
    root.attrs.clear();
    inline(&mut root.items, &dir, files)?;
    let mut out = String::new();
    for line in root_text
        .lines()
        .take_while(|l| l.starts_with("//") && !l.starts_with("//!"))
    {
        let _ = writeln!(out, "{line}");
    }
    out.push('\n');
    out.push_str(&prettyplease::unparse(&root));
    Ok(out)
}

/// Makes every `mod x;` of `items` (a file of folder `dir`) inline, recursively.
fn inline(items: &mut [syn::Item], dir: &str, files: &codegen::Files) -> Result<(), String> {
    for item in items {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        if module.content.is_some() {
            continue;
        }
        let name = module.ident.to_string();
        let name = name.strip_prefix("r#").unwrap_or(&name);
        let flat = format!("{dir}/{name}.rs");
        let nested = format!("{dir}/{name}/mod.rs");
        let (path, text) = [flat, nested]
            .into_iter()
            .find_map(|path| files.get(&path).map(|text| (path, text)))
            .ok_or_else(|| format!("{dir}: module `{name}` has no file among the generated"))?;
        let child = parse(&path, text)?;
        let child_dir = format!("{dir}/{name}");
        let mut child_items = child.items;
        inline(&mut child_items, &child_dir, files)?;
        // The file's inner attributes (`//!` docs) are the inline module's.
        module.attrs.extend(child.attrs);
        module.content = Some((syn::token::Brace::default(), child_items));
        module.semi = None;
    }
    Ok(())
}

fn parse(path: &str, text: &str) -> Result<syn::File, String> {
    syn::parse_file(text).map_err(|e| format!("generated {path} does not parse: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_line_modules_are_folded_in_with_their_docs() {
        let files = codegen::Files::from([
            (
                "src/api/mod.rs".to_owned(),
                "// @generated\n//! The API.\n#[rustfmt::skip]\nmod client;\npub mod ops;\n"
                    .to_owned(),
            ),
            (
                "src/api/client.rs".to_owned(),
                "pub struct Client;\n".to_owned(),
            ),
            (
                "src/api/ops/mod.rs".to_owned(),
                "//! Operations.\npub mod list;\n".to_owned(),
            ),
            (
                "src/api/ops/list.rs".to_owned(),
                "pub fn list() {}\n".to_owned(),
            ),
        ]);
        let text = one_file(&files, "api").unwrap();
        assert!(text.starts_with("// @generated\n"), "{text}");
        let file = syn::parse_file(&text).unwrap();
        assert!(file.attrs.is_empty(), "{text}");
        assert!(text.contains("mod client {"), "{text}");
        assert!(text.contains("pub mod list {"), "{text}");
        assert!(text.contains("//! Operations."), "{text}");
        assert!(!text.contains("The API."), "{text}");
        let missing =
            codegen::Files::from([("src/api/mod.rs".to_owned(), "mod gone;\n".to_owned())]);
        let error = one_file(&missing, "api").unwrap_err();
        assert!(error.contains("`gone`"), "{error}");
    }
}
