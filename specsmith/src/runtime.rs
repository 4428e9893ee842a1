//! The runtime crate (`client-runtime`) this generator's output runs on, embedded at build
//! time (see `build.rs`): its version, for `--runtime version`, and `--runtime vendor`, a
//! copy inside a generated crate for a crate that builds on its own (no registry release
//! of `client-runtime`, no checkout of this repository), as progenitor's
//! `--include-client` does.
//!
//! The copy is the runtime crate as cargo would package it: its `src/` and README as they
//! are, and a manifest that stands alone: what `runtime/Cargo.toml` inherits from the
//! workspace (`edition.workspace = true`, `serde.workspace = true`, ...) is resolved from
//! the root manifest, and what only serves development there (`[lints]`,
//! dev-dependencies) is left out. The generated crate then depends on it by path.

use std::collections::BTreeMap;

use toml::{Table, Value};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/runtime_files.rs"));
}

/// The vendored copy's folder inside the generated crate (or workspace).
pub const VENDOR_DIR: &str = "client-runtime";

/// The runtime crate's name, as generated manifests depend on it.
pub const NAME: &str = "client-runtime";

/// The version of the embedded runtime: what `cargo package` of it publishes, and what
/// `--runtime version` requires.
pub fn version() -> Result<String, String> {
    let manifest: Table = embedded::MANIFEST
        .parse()
        .map_err(|e| format!("the embedded runtime manifest: {e}"))?;
    manifest
        .get("package")
        .and_then(|p| p.get("version"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| "the embedded runtime manifest has no package.version".to_owned())
}

/// The vendored runtime's files (paths relative to the generated crate): the standalone
/// manifest, the README and every source file.
pub fn vendored_files() -> Result<BTreeMap<String, String>, String> {
    let mut files = BTreeMap::new();
    let manifest = standalone_manifest(embedded::MANIFEST, embedded::WORKSPACE_MANIFEST)?;
    files.insert(format!("{VENDOR_DIR}/Cargo.toml"), manifest);
    files.insert(
        format!("{VENDOR_DIR}/README.md"),
        embedded::README.to_owned(),
    );
    for (path, text) in embedded::SOURCES {
        files.insert(format!("{VENDOR_DIR}/{path}"), (*text).to_owned());
    }
    Ok(files)
}

/// `runtime/Cargo.toml` with every `workspace = true` replaced by the workspace's value,
/// `[lints]` and `[dev-dependencies]` dropped, and `publish = false` (the copy is part of
/// the crate that vendors it, not a release of its own).
pub fn standalone_manifest(member: &str, workspace: &str) -> Result<String, String> {
    let mut member: Table = member
        .parse()
        .map_err(|e| format!("runtime/Cargo.toml: {e}"))?;
    let workspace: Table = workspace.parse().map_err(|e| format!("Cargo.toml: {e}"))?;
    let shared = |key: &str| -> Table {
        workspace
            .get("workspace")
            .and_then(|w| w.get(key))
            .and_then(Value::as_table)
            .cloned()
            .unwrap_or_default()
    };
    let (package_fields, dependencies) = (shared("package"), shared("dependencies"));

    let package = member
        .get_mut("package")
        .and_then(Value::as_table_mut)
        .ok_or("runtime/Cargo.toml: no [package]")?;
    for (key, value) in package.iter_mut() {
        if inherits(value) {
            *value = package_fields
                .get(key)
                .cloned()
                .ok_or_else(|| format!("[workspace.package] has no `{key}`"))?;
        }
    }
    package.insert("publish".to_owned(), Value::Boolean(false));

    if let Some(deps) = member.get_mut("dependencies").and_then(Value::as_table_mut) {
        for (name, value) in deps.iter_mut() {
            if inherits(value) {
                *value = resolved_dependency(name, value, &dependencies)?;
            }
        }
    }
    member.remove("lints");
    member.remove("dev-dependencies");
    let version = member
        .get("package")
        .and_then(|p| p.get("version"))
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_owned();
    // `[package]` first, as people write manifests (a `Table` is ordered by key).
    let mut body = String::new();
    let mut sections: Vec<&String> = member.keys().collect();
    sections.sort_by_key(|key| (key.as_str() != "package", key.as_str() != "dependencies"));
    for key in sections {
        let one = Table::from_iter([(key.clone(), member[key].clone())]);
        let text = toml::to_string(&one).map_err(|e| format!("runtime manifest: {e}"))?;
        if !body.is_empty() {
            body.push('\n');
        }
        body.push_str(&text);
    }
    Ok(format!(
        "# A vendored copy of client-runtime {version}, written by `generate --runtime \
         vendor`.\n# Do not edit: regenerate (or depend on the released crate \
         instead).\n\n{body}"
    ))
}

/// `true` for `x.workspace = true` and `x = { workspace = true, ... }`.
fn inherits(value: &Value) -> bool {
    value
        .as_table()
        .and_then(|t| t.get("workspace"))
        .and_then(Value::as_bool)
        == Some(true)
}

/// A member's `{ workspace = true, features = [..], optional = .. }` on top of the
/// workspace's entry: features are added to the workspace's, other keys override.
fn resolved_dependency(name: &str, member: &Value, workspace: &Table) -> Result<Value, String> {
    let mut resolved = match workspace.get(name) {
        Some(Value::String(version)) => {
            Table::from_iter([("version".to_owned(), Value::String(version.clone()))])
        }
        Some(Value::Table(table)) => table.clone(),
        _ => return Err(format!("[workspace.dependencies] has no `{name}`")),
    };
    if resolved.contains_key("path") {
        return Err(format!(
            "the runtime depends on the workspace crate `{name}` by path: it cannot be vendored"
        ));
    }
    for (key, value) in member.as_table().into_iter().flatten() {
        match key.as_str() {
            "workspace" => {}
            "features" => {
                let mut features: Vec<Value> = resolved
                    .get("features")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for feature in value.as_array().into_iter().flatten() {
                    if !features.contains(feature) {
                        features.push(feature.clone());
                    }
                }
                resolved.insert("features".to_owned(), Value::Array(features));
            }
            _ => {
                resolved.insert(key.clone(), value.clone());
            }
        }
    }
    Ok(Value::Table(resolved))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const WORKSPACE: &str = r#"
[workspace.package]
edition = "2024"
license = "MIT OR Apache-2.0"

[workspace.dependencies]
serde = { version = "1", features = ["derive"] }
tokio = "1"
reqwest = { version = "0.12", default-features = false, features = ["rustls-tls"] }
codegen = { path = "codegen" }
"#;

    #[test]
    fn inherited_fields_and_dependencies_are_resolved() {
        let member = r#"
[package]
name = "client-runtime"
version = "0.3.0"
edition.workspace = true
license.workspace = true

[lints]
workspace = true

[dependencies]
serde.workspace = true
tokio = { workspace = true, features = ["time"] }
reqwest = { workspace = true, optional = true }
url = "2"

[features]
tls = ["dep:reqwest"]

[dev-dependencies]
axum = "0.8"
"#;
        let text = standalone_manifest(member, WORKSPACE).unwrap();
        assert!(!text.contains("workspace"), "{text}");
        let table: Table = text.parse().unwrap();
        let package = &table["package"];
        assert_eq!(package["edition"].as_str(), Some("2024"));
        assert_eq!(package["license"].as_str(), Some("MIT OR Apache-2.0"));
        assert_eq!(package["publish"].as_bool(), Some(false));
        let deps = &table["dependencies"];
        assert_eq!(deps["serde"]["features"][0].as_str(), Some("derive"));
        assert_eq!(deps["tokio"]["version"].as_str(), Some("1"));
        assert_eq!(deps["tokio"]["features"][0].as_str(), Some("time"));
        assert_eq!(deps["reqwest"]["default-features"].as_bool(), Some(false));
        assert_eq!(deps["reqwest"]["optional"].as_bool(), Some(true));
        assert_eq!(deps["url"].as_str(), Some("2"));
        assert!(table.get("lints").is_none() && table.get("dev-dependencies").is_none());
        assert_eq!(table["features"]["tls"][0].as_str(), Some("dep:reqwest"));
        let body = text.lines().find(|l| l.starts_with('[')).unwrap();
        assert_eq!(body, "[package]", "{text}");
    }

    #[test]
    fn a_path_dependency_of_the_workspace_is_an_error() {
        let member = "[package]\nname = \"r\"\nversion = \"0.1.0\"\n[dependencies]\ncodegen.workspace = true\n";
        let error = standalone_manifest(member, WORKSPACE).unwrap_err();
        assert!(error.contains("`codegen`"), "{error}");
        let missing =
            "[package]\nname = \"r\"\nversion = \"0.1.0\"\n[dependencies]\nring.workspace = true\n";
        let error = standalone_manifest(missing, WORKSPACE).unwrap_err();
        assert!(error.contains("no `ring`"), "{error}");
    }

    #[test]
    fn the_embedded_runtime_vendors_whole() {
        let files = vendored_files().unwrap();
        assert!(files.contains_key("client-runtime/src/lib.rs"));
        assert!(files.contains_key("client-runtime/README.md"));
        // Every module the runtime has on disk is in the copy (the links of `runtime/`).
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("runtime/src");
        let copied = files.keys().filter(|p| p.ends_with(".rs")).count();
        assert_eq!(copied, walk(&dir), "{:?}", files.keys().collect::<Vec<_>>());
        let manifest: Table = files["client-runtime/Cargo.toml"].parse().unwrap();
        assert_eq!(manifest["package"]["name"].as_str(), Some(NAME));
        assert_eq!(
            manifest["package"]["version"].as_str(),
            Some(version().unwrap().as_str())
        );
    }

    fn walk(dir: &Path) -> usize {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| if p.is_dir() { walk(&p) } else { 1 })
            .sum()
    }
}
