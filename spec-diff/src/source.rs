//! Where the compared inputs come from: files, files at a git revision (`git:REV:path`),
//! crate versions, and a crate's Rust sources in the working tree or at a revision.

use std::path::Path;
use std::process::Command;

use crate::Version;
use crate::surface::Sources;

/// Runs `git -C repo ARGS` and returns its standard output.
fn git(repo: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}

/// Reads a document named on the command line: a file path, or `git:REV:path` for the file
/// as it is in a commit (`git show REV:path`, run at `repo`).
pub fn read_source(source: &str, repo: &Path) -> Result<String, String> {
    if let Some(rest) = source.strip_prefix("git:") {
        let (rev, path) = rest
            .split_once(':')
            .ok_or_else(|| format!("{source:?}: expected git:REV:path"))?;
        let text = git(repo, &["show", &format!("{rev}:{path}")])?;
        String::from_utf8(text).map_err(|e| format!("{source}: {e}"))
    } else {
        std::fs::read_to_string(source).map_err(|e| format!("cannot read {source}: {e}"))
    }
}

/// A crate version from the command line: `0.2.0`, or a `Cargo.toml` as a path or
/// `git:REV:path` whose `[package] version` is read.
pub fn read_version(source: &str, repo: &Path) -> Result<Version, String> {
    if let Some(v) = Version::parse(source) {
        return Ok(v);
    }
    let text = read_source(source, repo)?;
    let manifest: toml::Table = text.parse().map_err(|e| format!("{source}: {e}"))?;
    let version = manifest
        .get("package")
        .and_then(|p| p.get("version"))
        .and_then(|v| v.as_str())
        .ok_or_else(|| format!("{source}: no [package] version"))?;
    Version::parse(version).ok_or_else(|| format!("{source}: bad version {version:?}"))
}

/// The Rust sources of the crate at `dir` in the working tree: every `src/**/*.rs`, keyed
/// by its path relative to `dir` (`src/lib.rs`). `None` when `dir/src` does not exist.
pub fn crate_sources_in(dir: &Path) -> Result<Option<Sources>, String> {
    let src = dir.join("src");
    if !src.is_dir() {
        return Ok(None);
    }
    let mut out = Sources::new();
    let mut stack = vec![src];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).map_err(|e| format!("cannot read {}: {e}", d.display()))?;
        for entry in entries {
            let path = entry
                .map_err(|e| format!("cannot read {}: {e}", d.display()))?
                .path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                let rel = path.strip_prefix(dir).unwrap_or(&path);
                let key: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.insert(key.join("/"), text);
            }
        }
    }
    Ok(Some(out))
}

/// The Rust sources of the crate at `dir` (relative to the repository root, `runtime`) as
/// they are at git revision `rev`: every `dir/src/**/*.rs`, keyed relative to `dir`.
/// `None` when the revision has no `dir/src`.
pub fn crate_sources_at(repo: &Path, rev: &str, dir: &str) -> Result<Option<Sources>, String> {
    let dir = dir.trim_end_matches('/');
    let src = format!("{dir}/src");
    let listing = git(
        repo,
        &[
            "ls-tree",
            "-r",
            "--name-only",
            "--full-tree",
            rev,
            "--",
            &src,
        ],
    )?;
    let listing = String::from_utf8_lossy(&listing);
    let mut out = Sources::new();
    for path in listing.lines().filter(|p| p.ends_with(".rs")) {
        let text = git(repo, &["show", &format!("{rev}:{path}")])?;
        let text = String::from_utf8(text).map_err(|e| format!("{rev}:{path}: {e}"))?;
        let rel = path.strip_prefix(&format!("{dir}/")).unwrap_or(path);
        out.insert(rel.to_owned(), text);
    }
    Ok((!out.is_empty()).then_some(out))
}
