//! `cargo xtask generate`: spec -> generated crate, and `--check` for drift.
//!
//! The generated crate mixes generated files (each starting with the `@generated` header)
//! and hand-written ones (`src/runtime/`, and any other module without the header). Only
//! generated files are ever written or removed; hand-written modules found in `src/` are
//! declared in the generated `lib.rs`, so adding one needs no generator change.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use codegen::Settings;

/// The marker that tells generated files from hand-written ones.
pub const GENERATED_MARKER: &str = "// @generated";

/// What to generate and where.
#[derive(Debug, Clone)]
pub struct Options {
    /// The OpenAPI document.
    pub spec: PathBuf,
    /// The crate directory to write.
    pub out: PathBuf,
    /// Compare instead of writing.
    pub check: bool,
}

/// One file whose content on disk differs from what the spec generates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// The file is missing on disk.
    Missing(String),
    /// The file differs; lines added and removed by regenerating.
    Changed {
        path: String,
        added: usize,
        removed: usize,
    },
    /// A generated file on disk that the spec no longer produces.
    Stale(String),
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Drift::Missing(p) => write!(f, "missing  {p}"),
            Drift::Changed {
                path,
                added,
                removed,
            } => write!(f, "changed  {path} (+{added} -{removed} lines)"),
            Drift::Stale(p) => write!(f, "stale    {p} (no longer generated)"),
        }
    }
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Report {
    /// Files the generator produced.
    pub files: usize,
    /// Their total line count.
    pub lines: usize,
    /// Time spent in the generator (load, model, emit), excluding file I/O.
    pub elapsed: Duration,
    /// Differences between disk and generated output (before writing, when not `check`).
    pub drift: Vec<Drift>,
    /// Spec oddities the generator accepted leniently, each with its JSON pointer.
    pub warnings: Vec<String>,
}

/// The workspace root (the parent of `xtask/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Runs the generator; writes the crate unless `check`.
pub fn run(options: &Options) -> Result<Report, String> {
    let root = workspace_root();
    let text = fs::read_to_string(&options.spec)
        .map_err(|e| format!("cannot read {}: {e}", options.spec.display()))?;
    let default_out = root.join("generated");
    let standalone = !same_dir(&options.out, &default_out);

    let settings = Settings {
        spec_label: display_relative(&options.spec, &root),
        command: "cargo xtask generate".to_owned(),
        // Cloudflare's conventions: every answer is an envelope around `result`, and the
        // account (or zone) comes from the client unless a call overrides it.
        envelope_field: Some("result".to_owned()),
        client_path_defaults: vec!["account_id".to_owned(), "zone_id".to_owned()],
        // Added to `Client` by the hand-written upload module.
        client_extension_methods: vec!["upload".to_owned(), "resume_upload".to_owned()],
        extra_modules: if standalone {
            Vec::new()
        } else {
            hand_written_modules(&options.out.join("src"))
        },
    };
    let started = Instant::now();
    let output = codegen::generate_output(&text, &settings)
        .map_err(|e| format!("{}: {e}", options.spec.display()))?;
    let mut files = output.files;
    let elapsed = started.elapsed();
    let lines = files.values().map(|f| f.lines().count()).sum();
    let generated_count = files.len();

    if standalone {
        // A crate outside this workspace needs its runtime, manifest and README too.
        add_standalone_files(&mut files, &root, &text, &options.spec)?;
    }
    let drift = compare(&options.out, &files)?;
    if !options.check {
        write(&options.out, &files, &drift)?;
    }
    Ok(Report {
        files: generated_count,
        lines,
        elapsed,
        drift,
        warnings: output.warnings.iter().map(ToString::to_string).collect(),
    })
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn display_relative(path: &Path, root: &Path) -> String {
    let absolute = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    absolute
        .strip_prefix(&root)
        .unwrap_or(&absolute)
        .display()
        .to_string()
}

/// Hand-written top-level modules of a generated crate's `src/`: `name.rs` or `name/mod.rs`
/// without the generated marker, other than `lib.rs` and `runtime` (always declared).
pub fn hand_written_modules(src: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(src) else {
        return Vec::new();
    };
    let mut modules = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let (name, file) = if path.is_dir() {
            (
                entry.file_name().to_string_lossy().into_owned(),
                path.join("mod.rs"),
            )
        } else if path.extension().is_some_and(|e| e == "rs") {
            (
                path.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                path.clone(),
            )
        } else {
            continue;
        };
        if matches!(name.as_str(), "lib" | "runtime" | "models" | "operations") {
            continue;
        }
        let Ok(text) = fs::read_to_string(&file) else {
            continue;
        };
        if !text.starts_with(GENERATED_MARKER) {
            modules.push(name);
        }
    }
    modules.sort();
    modules
}

fn add_standalone_files(
    files: &mut BTreeMap<String, String>,
    root: &Path,
    spec_text: &str,
    spec: &Path,
) -> Result<(), String> {
    let runtime_dir = root.join("generated/src/runtime");
    let entries = fs::read_dir(&runtime_dir)
        .map_err(|e| format!("cannot read {}: {e}", runtime_dir.display()))?;
    let mut runtime: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    runtime.sort();
    for path in runtime {
        let text = fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        files.insert(format!("src/runtime/{name}"), text);
    }
    files.insert(
        "Cargo.toml".to_owned(),
        standalone_manifest(root, spec_text)?,
    );
    let title = serde_json::from_str::<serde_json::Value>(spec_text)
        .ok()
        .and_then(|v| {
            v.pointer("/info/title")
                .and_then(|t| t.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "API".to_owned());
    files.insert(
        "README.md".to_owned(),
        format!(
            "# {title}\n\nAn async Rust client generated from `{}` by `cargo xtask generate`.\n",
            spec.display()
        ),
    );
    Ok(())
}

/// `generated/Cargo.toml` with every `workspace = true` resolved from the workspace
/// manifest, renamed after the spec, and with its own `[workspace]` so it builds anywhere.
fn standalone_manifest(root: &Path, spec_text: &str) -> Result<String, String> {
    let read = |p: PathBuf| -> Result<toml::Table, String> {
        let text =
            fs::read_to_string(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
        text.parse::<toml::Table>()
            .map_err(|e| format!("{}: {e}", p.display()))
    };
    let workspace = read(root.join("Cargo.toml"))?;
    let mut manifest = read(root.join("generated/Cargo.toml"))?;
    let ws = workspace
        .get("workspace")
        .and_then(|w| w.as_table())
        .cloned()
        .unwrap_or_default();
    let ws_package = ws
        .get("package")
        .and_then(|p| p.as_table())
        .cloned()
        .unwrap_or_default();
    let ws_deps = ws
        .get("dependencies")
        .and_then(|d| d.as_table())
        .cloned()
        .unwrap_or_default();

    if let Some(package) = manifest.get_mut("package").and_then(|p| p.as_table_mut()) {
        let name = serde_json::from_str::<serde_json::Value>(spec_text)
            .ok()
            .and_then(|v| {
                v.pointer("/info/title")
                    .and_then(|t| t.as_str())
                    .map(kebab_case)
            })
            .unwrap_or_else(|| "api-client".to_owned());
        package.insert("name".into(), toml::Value::String(name));
        package.insert("publish".into(), toml::Value::Boolean(false));
        package.remove("description");
        for (key, value) in package.clone() {
            if value
                .as_table()
                .and_then(|t| t.get("workspace"))
                .and_then(|w| w.as_bool())
                == Some(true)
            {
                match ws_package.get(&key) {
                    Some(v) => package.insert(key, v.clone()),
                    None => package.remove(&key),
                };
            }
        }
    }
    for section in ["dependencies", "dev-dependencies"] {
        let Some(deps) = manifest.get_mut(section).and_then(|d| d.as_table_mut()) else {
            continue;
        };
        for (name, spec) in deps.clone() {
            let Some(local) = spec.as_table() else {
                continue;
            };
            if local.get("workspace").and_then(|w| w.as_bool()) != Some(true) {
                continue;
            }
            let mut resolved = match ws_deps.get(&name) {
                Some(toml::Value::String(v)) => {
                    let mut t = toml::Table::new();
                    t.insert("version".into(), toml::Value::String(v.clone()));
                    t
                }
                Some(toml::Value::Table(t)) => t.clone(),
                _ => {
                    return Err(format!(
                        "dependency {name} is not in [workspace.dependencies]"
                    ));
                }
            };
            for (k, v) in local {
                if k == "features" {
                    let mut features = resolved
                        .get("features")
                        .and_then(|f| f.as_array())
                        .cloned()
                        .unwrap_or_default();
                    features.extend(v.as_array().cloned().unwrap_or_default());
                    resolved.insert("features".into(), toml::Value::Array(features));
                } else if k != "workspace" {
                    resolved.insert(k.clone(), v.clone());
                }
            }
            deps.insert(name, toml::Value::Table(resolved));
        }
    }
    // The generated crate's own tests exercise the Stream API; a crate for another spec
    // keeps only the library.
    manifest.remove("dev-dependencies");
    manifest.insert("workspace".into(), toml::Value::Table(toml::Table::new()));
    toml::to_string(&manifest).map_err(|e| format!("cannot write the manifest: {e}"))
}

fn kebab_case(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    // Cargo refuses empty names, names starting with a digit, and Rust keywords.
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod",
        "move", "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait",
        "true", "type", "unsafe", "use", "where", "while",
    ];
    if out.is_empty() {
        "api-client".to_owned()
    } else if out.starts_with(|c: char| c.is_ascii_digit()) || KEYWORDS.contains(&out) {
        format!("api-{out}")
    } else {
        out.to_owned()
    }
}

/// Differences between `files` and what is under `out`.
pub fn compare(out: &Path, files: &BTreeMap<String, String>) -> Result<Vec<Drift>, String> {
    let mut drift = Vec::new();
    for (path, content) in files {
        match fs::read_to_string(out.join(path)) {
            Ok(existing) if &existing == content => {}
            Ok(existing) => {
                let (added, removed) = line_delta(&existing, content);
                drift.push(Drift::Changed {
                    path: path.clone(),
                    added,
                    removed,
                });
            }
            Err(_) => drift.push(Drift::Missing(path.clone())),
        }
    }
    for path in generated_files_on_disk(out) {
        if !files.contains_key(&path) {
            drift.push(Drift::Stale(path));
        }
    }
    Ok(drift)
}

fn line_delta(old: &str, new: &str) -> (usize, usize) {
    // Myers' diff is quadratic in the worst case: on 100k-line files that changed all over
    // it took minutes. Past the deadline `similar` settles for a coarser (still correct)
    // diff, so the counts may overstate a little; they are a summary, not a patch.
    let diff = similar::TextDiff::configure()
        .timeout(Duration::from_millis(200))
        .diff_lines(old, new);
    let mut added = 0;
    let mut removed = 0;
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Insert => added += 1,
            similar::ChangeTag::Delete => removed += 1,
            similar::ChangeTag::Equal => {}
        }
    }
    (added, removed)
}

/// Every file under `out/src` that carries the generated marker, as relative paths.
fn generated_files_on_disk(out: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut dirs = vec![out.join("src")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && fs::read_to_string(&path).is_ok_and(|t| t.starts_with(GENERATED_MARKER))
                && let Ok(rel) = path.strip_prefix(out)
            {
                found.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    found.sort();
    found
}

fn write(out: &Path, files: &BTreeMap<String, String>, drift: &[Drift]) -> Result<(), String> {
    for d in drift {
        match d {
            Drift::Missing(path) | Drift::Changed { path, .. } => {
                let target = out.join(path);
                if let Some(parent) = target.parent() {
                    fs::create_dir_all(parent)
                        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
                }
                fs::write(&target, &files[path])
                    .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
            }
            Drift::Stale(path) => {
                let target = out.join(path);
                fs::remove_file(&target)
                    .map_err(|e| format!("cannot remove {}: {e}", target.display()))?;
            }
        }
    }
    Ok(())
}

/// The summary line(s) printed by the command.
pub fn summary(options: &Options, report: &Report) -> String {
    let mut out = String::new();
    for warning in &report.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    let verb = if options.check {
        "checked"
    } else {
        "generated"
    };
    let _ = write!(
        out,
        "{verb} {} files ({} lines) from {} in {:.1} ms",
        report.files,
        report.lines,
        display_relative(&options.spec, &workspace_root()),
        report.elapsed.as_secs_f64() * 1000.0
    );
    if report.drift.is_empty() {
        out.push_str(": up to date");
    } else if options.check {
        let _ = write!(
            out,
            ": {} file(s) drifted from the spec:",
            report.drift.len()
        );
        for d in &report.drift {
            let _ = write!(out, "\n  {d}");
        }
        out.push_str("\nrun `cargo xtask generate` to bring them back in line");
    } else {
        let _ = write!(out, ": {} file(s) written or removed:", report.drift.len());
        for d in &report.drift {
            let _ = write!(out, "\n  {d}");
        }
    }
    out
}
