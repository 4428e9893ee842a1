//! `cargo xtask generate`: spec -> generated code, and `--check` for drift.
//!
//! Two targets:
//! - the product crate (default): the generator owns exactly `generated/src/generated/`
//!   (declared by the hand-written `generated/src/lib.rs`), the conformance harness's
//!   `conformance/src/dispatch.rs` and the emulator's server bindings
//!   `emulator/src/generated/`; nothing else is written or removed;
//! - `--out DIR`: a whole crate for any spec (sources, `Cargo.toml`, `README.md`) that
//!   depends on the runtime crate by path or by version.
//!
//! What a spec does not say comes from its config, `codegen.toml` beside the spec (or
//! `--config`); a spec without one gets defaults derived from the spec.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

use codegen::config::Config;
use codegen::emit::RuntimeDependency;
use codegen::emit::server::ServerSettings;
use codegen::{Layout, Settings};

/// The marker every generated file starts with.
pub const GENERATED_MARKER: &str = "// @generated";

/// The module of the product crate that holds its generated code.
pub const PRODUCT_MODULE: &str = "generated";

/// Where the emulator crate keeps its generated server bindings.
pub const EMULATOR_BINDINGS: &str = "src/generated";

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
    /// inside this workspace, by version otherwise).
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

/// One file whose content on disk differs from what the spec generates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// The file is missing on disk.
    Missing(String),
    /// The file differs; lines added and removed by regenerating.
    Changed {
        /// The file, relative to the workspace (or the `--out` crate).
        path: String,
        /// Lines regenerating adds.
        added: usize,
        /// Lines regenerating removes.
        removed: usize,
    },
    /// A file the generator owns that the spec no longer produces.
    Stale(String),
}

impl Drift {
    /// The file the drift is about.
    pub fn path(&self) -> &str {
        match self {
            Drift::Missing(path) | Drift::Changed { path, .. } | Drift::Stale(path) => path,
        }
    }
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
    /// Time spent in the generator (load, model, emit); for `--out`, where files are
    /// compared and written as they are rendered, the file I/O too.
    pub elapsed: Duration,
    /// Differences between disk and generated output (before writing, when not `check`).
    pub drift: Vec<Drift>,
    /// Whether a `--out` directory held no generated file before (a new crate).
    pub fresh: bool,
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

/// The config for `spec`: `explicit`, else `codegen.toml` beside the spec, else defaults.
pub fn load_config(spec: &Path, explicit: Option<&Path>) -> Result<Config, String> {
    let beside = spec.with_file_name("codegen.toml");
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None if beside.is_file() => beside,
        None => return Ok(Config::default()),
    };
    let text =
        fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Config::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))
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
    let text = fs::read_to_string(&options.spec)
        .map_err(|e| format!("cannot read {}: {e}", options.spec.display()))?;
    let config = load_config(&options.spec, options.config.as_deref())?;
    let located = |e: codegen::Error| format!("{}: {e}", options.spec.display());

    let started = Instant::now();
    if let Some(out) = &options.out {
        return run_crate(options, out, &text, config, started);
    }
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
            .map(|(path, text)| (format!("generated/{path}"), text))
            .collect();
        files.insert("conformance/src/dispatch.rs".to_owned(), dispatch);
        // The emulator's server bindings, from the same spec and model.
        let server = ServerSettings {
            spec_label: settings.spec_label.clone(),
            command: settings.command.clone(),
            dir: EMULATOR_BINDINGS.to_owned(),
        };
        let bindings = codegen::emit::server::emit_server(&loaded.api, &loaded.document, &server)
            .map_err(located)?;
        files.extend(
            bindings
                .into_iter()
                .map(|(path, text)| (format!("emulator/{path}"), text)),
        );
        let owned = vec![
            format!("generated/src/{PRODUCT_MODULE}"),
            format!("emulator/{EMULATOR_BINDINGS}"),
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

/// What a `--out` run has compared and written so far.
#[derive(Default)]
struct Streamed {
    files: usize,
    lines: usize,
    seen: BTreeSet<String>,
    drift: Vec<Drift>,
}

/// `--out`: a whole crate (or workspace) at `out`. Files are compared, and written unless
/// `check`, batch by batch as the generator renders them (a workspace member at a time), so
/// a very large spec's output is never held whole; what the generator owns on disk and did
/// not produce is stale, removed at the end.
fn run_crate(
    options: &Options,
    out: &Path,
    text: &str,
    config: Config,
    started: Instant,
) -> Result<Report, String> {
    let root = workspace_root();
    let runtime = runtime_dependency(out, options.runtime, &root)?;
    let settings = Settings {
        spec_label: spec_label_for(&options.spec, out),
        command: "cargo xtask generate".to_owned(),
        layout: Layout::Crate,
        config,
    };
    // A very large spec is a workspace: its member crates are under `crates/`.
    let vendor = options.runtime == Some(RuntimeSource::Vendor);
    let mut owned_dirs = vec!["src", "crates"];
    if vendor {
        owned_dirs.push(crate::vendor::VENDOR_DIR);
    }
    let before: BTreeSet<String> = owned_dirs
        .iter()
        .flat_map(|dir| owned_files_on_disk(out, dir))
        .collect();
    // Inside this workspace's folder but not a member: a workspace of its own, or cargo
    // refuses to build it.
    let own_workspace = inside(out, &root);
    let progress = std::sync::Mutex::new(Streamed::default());
    // One batch of files: compared, written unless `check`, and counted.
    let settle = |batch: BTreeMap<String, String>| -> Result<(), String> {
        let drift = compare(out, &batch, &[])?;
        if !options.check {
            write(out, &batch, &drift)?;
        }
        let lines = batch.values().map(|f| f.lines().count()).sum::<usize>();
        let mut progress = progress
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        progress.files += batch.len();
        progress.lines += lines;
        progress.seen.extend(batch.into_keys());
        progress.drift.extend(drift);
        Ok(())
    };
    let warnings = codegen::generate_crate_into(text, &settings, &runtime, &|mut batch| {
        if own_workspace
            && let Some(manifest) = batch.get_mut("Cargo.toml")
            && !manifest.contains("\n[workspace]\n")
        {
            manifest.push_str("\n[workspace]\n");
        }
        settle(batch).map_err(|message| codegen::Error::new(&codegen::Pointer::root(), message))
    })
    .map_err(|e| format!("{}: {e}", options.spec.display()))?;
    if vendor {
        settle(crate::vendor::runtime_files(&root)?)?;
    }
    let Streamed {
        files,
        lines,
        seen,
        mut drift,
    } = progress
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let stale: Vec<Drift> = before
        .iter()
        .filter(|path| !seen.contains(*path))
        .map(|path| Drift::Stale(path.clone()))
        .collect();
    if !options.check {
        write(out, &BTreeMap::new(), &stale)?;
    }
    drift.extend(stale);
    // Batches arrive in the order threads finish them: the report is in path order.
    drift.sort_by(|a, b| a.path().cmp(b.path()));
    Ok(Report {
        files,
        lines,
        elapsed: started.elapsed(),
        drift,
        // A new crate is summed up in one line, not a `missing` line per file.
        fresh: before.is_empty(),
        warnings: warnings.iter().map(ToString::to_string).collect(),
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

/// How the `--out` crate at `out` depends on the runtime.
fn runtime_dependency(
    out: &Path,
    source: Option<RuntimeSource>,
    root: &Path,
) -> Result<RuntimeDependency, String> {
    let source = source.unwrap_or(if inside(out, root) {
        RuntimeSource::Path
    } else {
        RuntimeSource::Version
    });
    Ok(match source {
        RuntimeSource::Path => RuntimeDependency::Path(relative_path(
            &absolute(out),
            &absolute(&root.join("runtime")),
        )),
        RuntimeSource::Vendor => RuntimeDependency::Path(crate::vendor::VENDOR_DIR.to_owned()),
        RuntimeSource::Version => {
            let manifest = root.join("runtime/Cargo.toml");
            let text = fs::read_to_string(&manifest)
                .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
            let table: toml::Table = text
                .parse()
                .map_err(|e| format!("{}: {e}", manifest.display()))?;
            let version = table
                .get("package")
                .and_then(|p| p.get("version"))
                .and_then(|v| v.as_str())
                .ok_or_else(|| format!("{}: no package.version", manifest.display()))?;
            RuntimeDependency::Version(version.to_owned())
        }
    })
}

/// How a `--out` crate's README and headers name its spec: by a path relative to the
/// crate when the spec sits beside or under it, else by its file name (the README adds the
/// API's title and version), never by an absolute path of this machine.
fn spec_label_for(spec: &Path, out: &Path) -> String {
    let spec_abs = absolute(spec);
    let out_abs = absolute(out);
    let file = spec.file_name().map_or_else(
        || "the spec".to_owned(),
        |f| f.to_string_lossy().into_owned(),
    );
    match spec_abs.strip_prefix(&out_abs) {
        Ok(relative) => format!("`{}`", relative.display()),
        Err(_) => format!("`{file}`"),
    }
}

fn absolute(path: &Path) -> PathBuf {
    if let Ok(canonical) = path.canonicalize() {
        return canonical;
    }
    // Not created yet: resolve what exists of it.
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let mut out = PathBuf::new();
    for component in joined.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn inside(path: &Path, root: &Path) -> bool {
    absolute(path).starts_with(absolute(root))
}

/// `to` relative to the directory `from` (`../../runtime`), with `/` separators.
fn relative_path(from: &Path, to: &Path) -> String {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_owned(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

fn display_relative(path: &Path, root: &Path) -> String {
    let absolute = absolute(path);
    let root = self::absolute(root);
    absolute
        .strip_prefix(&root)
        .unwrap_or(&absolute)
        .display()
        .to_string()
}

/// Differences between `files` and what is under `base`; files in the `owned` directories
/// that the spec no longer produces are stale.
pub fn compare(
    base: &Path,
    files: &BTreeMap<String, String>,
    owned: &[String],
) -> Result<Vec<Drift>, String> {
    let entries: Vec<(&String, &String)> = files.iter().collect();
    let mut drift: Vec<Drift> = on_threads(&entries, |(path, content)| {
        Ok(match fs::read_to_string(base.join(path)) {
            Ok(existing) if &existing == *content => None,
            Ok(existing) => {
                let (added, removed) = line_delta(&existing, content);
                Some(Drift::Changed {
                    path: (*path).clone(),
                    added,
                    removed,
                })
            }
            Err(_) => Some(Drift::Missing((*path).clone())),
        })
    })?
    .into_iter()
    .flatten()
    .collect();
    for dir in owned {
        for path in owned_files_on_disk(base, dir) {
            if !files.contains_key(&path) {
                drift.push(Drift::Stale(path));
            }
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

/// Whether the file at `path` begins with [`GENERATED_MARKER`]. Reads only the marker's
/// length: the whole file is read later, and only when it is compared.
fn starts_with_marker(path: &Path) -> bool {
    use std::io::Read as _;
    let mut head = [0u8; GENERATED_MARKER.len()];
    fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut head))
        .is_ok_and(|()| head == *GENERATED_MARKER.as_bytes())
}

/// Every generated Rust file under `base/dir`, as paths relative to `base`: all of them
/// for a directory the generator owns whole; in a `--out` crate's `src/`, those with the
/// generated marker (a hand-added module there is not the generator's to remove). Under a
/// workspace's `crates/`, the members' manifests and READMEs too: a member that is no
/// longer generated goes whole.
fn owned_files_on_disk(base: &Path, dir: &str) -> Vec<String> {
    let whole = dir != "src" && dir != "crates";
    let members = dir == "crates";
    let mut found = Vec::new();
    let mut dirs = vec![base.join(dir)];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if let Ok(rel) = path.strip_prefix(base)
                && ((path.extension().is_some_and(|e| e == "rs")
                    && (whole || starts_with_marker(&path)))
                    || (members && is_member_package_file(&path)))
            {
                found.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    found.sort();
    found
}

/// A generated member's `Cargo.toml` (it starts with the generator's comment), or the
/// `README.md` beside one.
fn is_member_package_file(path: &Path) -> bool {
    let generated_manifest =
        |manifest: &Path| fs::read_to_string(manifest).is_ok_and(|t| t.starts_with("# @generated"));
    match path.file_name().and_then(|n| n.to_str()) {
        Some("Cargo.toml") => generated_manifest(path),
        Some("README.md") => generated_manifest(&path.with_file_name("Cargo.toml")),
        _ => false,
    }
}

fn write(out: &Path, files: &BTreeMap<String, String>, drift: &[Drift]) -> Result<(), String> {
    // Creating a file costs most of a millisecond on some filesystems, and a workspace has
    // thousands: they are written on a few threads.
    let writes: Vec<&String> = drift
        .iter()
        .filter_map(|d| match d {
            Drift::Missing(path) | Drift::Changed { path, .. } => Some(path),
            Drift::Stale(_) => None,
        })
        .collect();
    let folders: std::collections::BTreeSet<PathBuf> = writes
        .iter()
        .filter_map(|path| out.join(path).parent().map(Path::to_path_buf))
        .collect();
    for folder in &folders {
        fs::create_dir_all(folder)
            .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    }
    on_threads(&writes, |path| {
        let target = out.join(path);
        fs::write(&target, &files[path.as_str()])
            .map_err(|e| format!("cannot write {}: {e}", target.display()))
    })?;
    for d in drift {
        if let Drift::Stale(path) = d {
            let target = out.join(path);
            fs::remove_file(&target)
                .map_err(|e| format!("cannot remove {}: {e}", target.display()))?;
            // A workspace member that is gone leaves no empty folder (cargo would
            // take `crates/<key>/` for a member without a manifest).
            let mut dir = target.parent();
            while let Some(d) = dir
                && d.starts_with(out.join("crates"))
                && d != out.join("crates")
                && fs::remove_dir(d).is_ok()
            {
                dir = d.parent();
            }
        }
    }
    Ok(())
}

/// Runs `work` on every item on a few threads (file I/O waits more than it computes);
/// the first error, in item order, is returned.
fn on_threads<T: Sync, R: Send>(
    items: &[T],
    work: impl Fn(&T) -> Result<R, String> + Sync,
) -> Result<Vec<R>, String> {
    const THREADS: usize = 8;
    let chunk = items.len().div_ceil(THREADS).max(1);
    let results: Vec<Vec<Result<R, String>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&work).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| vec![Err("a file thread panicked".to_owned())])
            })
            .collect()
    });
    results.into_iter().flatten().collect()
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
    } else if report.fresh && !options.check {
        let target = options.out.as_deref().unwrap_or(Path::new("."));
        let _ = write!(out, ": created the crate at {}", target.display());
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
