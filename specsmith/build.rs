//! Embeds the runtime crate (`client-runtime`) in the library, so that `--runtime vendor`
//! works from an installed binary with no checkout of this repository.
//!
//! Where the sources come from, and why: `runtime/` of this crate holds symbolic links
//! into the repository (`src -> ../../runtime/src`, `README.md`, `manifest.toml ->
//! ../../runtime/Cargo.toml`, `workspace.toml -> ../../Cargo.toml`, whose
//! `[workspace.package]` and `[workspace.dependencies]` the runtime's manifest inherits).
//! - Inside the workspace the links read the runtime as it is in the working tree: the
//!   embedded copy is never stale, and there is no second copy in git to keep in step.
//! - `cargo package` follows the links and stores the files themselves, so the packaged
//!   crate (and `cargo install specsmith` from it) embeds the runtime it was packaged with,
//!   without reaching `../runtime`, which a package cannot.
//!
//! The alternatives were worse: depending on the published `client-runtime` and finding its
//! sources through a `links` key would forbid two versions of the runtime in one build (and
//! compile the whole HTTP stack into a code generator); a checked-in snapshot is a copy to
//! keep in step by hand. (A Windows checkout without symlink support gets text files
//! holding the link targets; the build then fails with the message below.)
//!
//! The build writes `runtime_files.rs` into `OUT_DIR`: every file as `(path, include_str!)`,
//! in path order, so the binary holds the texts and not the paths it read them from.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let runtime = manifest_dir.join("runtime");
    let mut sources = Vec::new();
    walk(&runtime.join("src"), &runtime, &mut sources);
    sources.sort();
    if !sources.iter().any(|(rel, _)| rel == "src/lib.rs") {
        panic!(
            "{} holds no src/lib.rs: the links in runtime/ must point at the runtime crate \
             (on Windows, clone with `git -c core.symlinks=true`)",
            runtime.display()
        );
    }
    let mut out = String::from(
        "/// The runtime crate's `src/**/*.rs`, relative to the crate, in path order.\n\
         pub(crate) const SOURCES: &[(&str, &str)] = &[\n",
    );
    for (rel, path) in &sources {
        println!("cargo:rerun-if-changed={}", path.display());
        let _ = writeln!(out, "    ({rel:?}, include_str!({:?})),", path.display());
    }
    out.push_str("];\n");
    for (name, file) in [
        ("README", "README.md"),
        ("MANIFEST", "manifest.toml"),
        ("WORKSPACE_MANIFEST", "workspace.toml"),
    ] {
        let path = runtime.join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        let _ = writeln!(
            out,
            "/// `runtime/{file}`.\npub(crate) const {name}: &str = include_str!({:?});",
            path.display()
        );
    }
    // A file added to or removed from the runtime changes its folders' modification times.
    println!("cargo:rerun-if-changed={}", runtime.join("src").display());
    let target =
        PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets it")).join("runtime_files.rs");
    fs::write(&target, out).expect("OUT_DIR is writable");
}

/// Every `.rs` file under `dir` (following links), as (path relative to `base`, path).
fn walk(dir: &Path, base: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            walk(&path, base, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path
                .strip_prefix(base)
                .expect("under the base")
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, path));
        }
    }
}
