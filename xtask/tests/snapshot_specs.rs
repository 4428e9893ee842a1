//! Every per-construct spec of `codegen/tests/specs/` generates a crate that compiles
//! without a warning: the snapshots show what the generator writes, this shows it builds.
//!
//! The crates go to `target/snapshot-specs/crates/<spec>/`, each standalone as `--out`
//! writes it, and one package beside them (`check/`) depends on all of them by path (a
//! path dependency below a package would be a member of its workspace, which a standalone
//! crate cannot be), so a single `cargo check
//! --offline` checks them together (in parallel), in the workspace's own target directory,
//! with the workspace's lock file and dev profile: dependencies are not downloaded, and
//! built once, then reused by every later run. Path dependencies are local packages, so
//! their warnings are shown (and fail the test). Files are written only when they change,
//! so a run with nothing new re-checks nothing.

use std::fs;
use std::path::Path;
use std::time::Instant;

use xtask::generate::{Options, RuntimeSource, run, workspace_root};

/// The specs, by file stem, in name order.
fn spec_names(dir: &Path) -> Vec<(String, std::path::PathBuf)> {
    let mut specs: Vec<(String, std::path::PathBuf)> = fs::read_dir(dir)
        .expect("codegen/tests/specs")
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .is_some_and(|ext| ext == "json" || ext == "yaml")
        })
        .map(|path| {
            let stem = path.file_stem().expect("a file name");
            (stem.to_string_lossy().into_owned(), path)
        })
        .collect();
    specs.sort();
    specs
}

/// Writes `contents` unless the file already holds exactly that (cargo would otherwise
/// see a newer file and check it again).
fn write_if_changed(path: &Path, contents: &str) {
    if fs::read_to_string(path).is_ok_and(|old| old == contents) {
        return;
    }
    fs::write(path, contents).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn read_toml(path: &Path) -> toml::Table {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The manifest of the package that depends on every crate (each by its package name and
/// folder), with the root's profiles, so that dependencies built for the workspace are the
/// same artifacts here.
fn manifest(root: &Path, crates: &[(String, String)]) -> String {
    let mut package = toml::Table::new();
    package.insert("name".into(), "snapshot-specs".into());
    package.insert("version".into(), "0.0.0".into());
    package.insert("edition".into(), "2024".into());
    package.insert("publish".into(), false.into());
    let mut dependencies = toml::Table::new();
    for (name, folder) in crates {
        let mut path = toml::Table::new();
        path.insert("path".into(), format!("../crates/{folder}").into());
        dependencies.insert(name.clone(), path.into());
    }
    let mut out = toml::Table::new();
    out.insert("package".into(), package.into());
    out.insert("dependencies".into(), dependencies.into());
    out.insert("workspace".into(), toml::Table::new().into());
    if let Some(profile) = read_toml(&root.join("Cargo.toml")).get("profile") {
        out.insert("profile".into(), profile.clone());
    }
    format!(
        "# Written by xtask/tests/snapshot_specs.rs: the crates of codegen/tests/specs/.\n{}",
        toml::to_string(&out).expect("serializes")
    )
}

#[test]
fn every_snapshot_spec_generates_a_crate_that_compiles_without_warnings() {
    let root = workspace_root();
    let crates_dir = root.join("target/snapshot-specs/crates");
    let dir = root.join("target/snapshot-specs/check");
    let started = Instant::now();
    let specs = spec_names(&root.join("codegen/tests/specs"));
    assert!(specs.len() >= 25, "{specs:?}");
    // A spec removed since the last run must not stay a member.
    if let Ok(entries) = fs::read_dir(&crates_dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !specs.iter().any(|(spec, _)| *spec == name) {
                fs::remove_dir_all(entry.path()).expect("remove a stale crate");
            }
        }
    }
    for (name, spec) in &specs {
        run(&Options {
            spec: spec.clone(),
            out: Some(crates_dir.join(name)),
            config: None,
            runtime: Some(RuntimeSource::Path),
            check: false,
        })
        .unwrap_or_else(|e| panic!("{name}: generate failed: {e}"));
    }
    let crates: Vec<(String, String)> = specs
        .iter()
        .map(|(folder, _)| {
            let manifest = read_toml(&crates_dir.join(folder).join("Cargo.toml"));
            let name = manifest["package"]["name"]
                .as_str()
                .expect("a package name");
            (name.to_owned(), folder.clone())
        })
        .collect();
    fs::create_dir_all(dir.join("src")).expect("check/src/");
    write_if_changed(&dir.join("Cargo.toml"), &manifest(&root, &crates));
    write_if_changed(
        &dir.join("src/lib.rs"),
        "//! Depends on every crate generated from codegen/tests/specs/.\n",
    );
    // The root's lock file, every run: the workspace's versions, nothing to resolve online
    // (cargo adds the members and drops what they do not use; rewriting it rebuilds nothing).
    let lock = fs::read_to_string(root.join("Cargo.lock")).expect("Cargo.lock");
    write_if_changed(&dir.join("Cargo.lock"), &lock);
    let generated = started.elapsed();

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = std::process::Command::new(cargo)
        .args(["check", "--quiet", "--offline"])
        .arg("--message-format=short")
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", root.join("target"))
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!(
        "{} crates generated in {:.1} s, checked in {:.1} s",
        specs.len(),
        generated.as_secs_f64(),
        (started.elapsed() - generated).as_secs_f64()
    );
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|line| {
            ["warning:", "error:", "error["]
                .iter()
                .any(|m| line.contains(m))
        })
        .collect();
    assert!(
        output.status.success() && warnings.is_empty(),
        "cargo check of target/snapshot-specs/check failed or warned:\n{stderr}"
    );
}
