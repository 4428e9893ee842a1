//! The generation driver: spec -> files on disk, compared with what is there first, so
//! that `check` reports drift (per file: missing, changed with its line counts, stale)
//! and a regeneration writes only what changed.
//!
//! Two targets ([`Target`]):
//! - a whole crate (or, for a very large spec, a workspace of crates) at a folder: sources,
//!   `Cargo.toml`, `README.md`, and with [`Runtime::Vendor`] a copy of the runtime;
//! - the sources only, into a folder `src/<module>/` of an existing crate whose `lib.rs`
//!   declares `mod <module>;`.
//!
//! What a spec does not say comes from its config, `codegen.toml` beside the spec (or an
//! explicit path); a spec without one gets defaults derived from the spec.
//! `cargo xtask generate` of this repository drives its product crate with the same
//! [`compare`] and [`write`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

use codegen::config::Config;
use codegen::emit::RuntimeDependency;
use codegen::{Layout, Settings};

/// The marker every generated file starts with.
pub const GENERATED_MARKER: &str = "// @generated";

/// Specs above this size get progress lines on stderr while they generate.
pub const PROGRESS_ABOVE_BYTES: usize = 1 << 20;

/// How a generated crate depends on the runtime crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runtime {
    /// A path dependency on the runtime crate in this folder (a checkout's `runtime/`).
    Path(PathBuf),
    /// A version requirement on the published `client-runtime`: the embedded runtime's
    /// version, which `cargo package` of it publishes.
    Version,
    /// A copy of the embedded runtime inside the generated crate (`client-runtime/`),
    /// depended on by path: a crate that builds on its own, offline.
    Vendor,
}

/// Where the generated files go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A whole crate (or workspace) at `out`.
    Crate {
        /// The crate's folder (created if needed).
        out: PathBuf,
        /// How it depends on the runtime.
        runtime: Runtime,
    },
    /// The sources only, into `dir` (`src/<module>/` of an existing crate: the folder's
    /// name is the module's, and generated code names its items `crate::<module>::..`).
    /// The generator owns the folder whole: a file there it did not generate is stale.
    Module {
        /// The module's folder.
        dir: PathBuf,
    },
}

/// What to generate and where.
#[derive(Debug, Clone)]
pub struct Options {
    /// The OpenAPI document (JSON or YAML).
    pub spec: PathBuf,
    /// The generator config (default: `codegen.toml` beside the spec, if there is one).
    pub config: Option<PathBuf>,
    /// Where the files go.
    pub target: Target,
    /// Compare instead of writing.
    pub check: bool,
    /// How generated headers name the command that regenerates (`specsmith generate`).
    pub command: String,
    /// A folder whose crates the generated one must not join: a crate generated inside it
    /// gets a `[workspace]` table of its own, or cargo refuses to build it.
    pub enclosing_workspace: Option<PathBuf>,
    /// Progress lines on stderr (for large specs: see [`PROGRESS_ABOVE_BYTES`]).
    pub progress: bool,
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

/// The config for `spec`: `explicit`, else `codegen.toml` beside the spec, else defaults.
/// Returns the file it read too (for `cargo:rerun-if-changed`).
pub fn find_config(
    spec: &Path,
    explicit: Option<&Path>,
) -> Result<(Config, Option<PathBuf>), String> {
    let beside = spec.with_file_name("codegen.toml");
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None if beside.is_file() => beside,
        None => return Ok((Config::default(), None)),
    };
    let text =
        fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let config = Config::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((config, Some(path)))
}

/// The config for `spec` ([`find_config`] without the path).
pub fn load_config(spec: &Path, explicit: Option<&Path>) -> Result<Config, String> {
    find_config(spec, explicit).map(|(config, _)| config)
}

/// Reads the spec, with a progress line for a large one.
pub fn read_spec(spec: &Path, progress: bool) -> Result<String, String> {
    let text =
        fs::read_to_string(spec).map_err(|e| format!("cannot read {}: {e}", spec.display()))?;
    if progress && text.len() > PROGRESS_ABOVE_BYTES {
        eprintln!(
            "reading {} ({:.1} MiB): loading and modelling",
            spec.display(),
            text.len() as f64 / f64::from(1 << 20)
        );
    }
    Ok(text)
}

/// Runs the generator; writes the files unless `check`.
pub fn run(options: &Options) -> Result<Report, String> {
    let text = read_spec(&options.spec, options.progress)?;
    let config = load_config(&options.spec, options.config.as_deref())?;
    let started = Instant::now();
    match &options.target {
        Target::Crate { out, runtime } => run_crate(options, out, runtime, &text, config, started),
        Target::Module { dir } => run_module(options, dir, &text, config, started),
    }
}

/// The sources of a module, into `dir`.
fn run_module(
    options: &Options,
    dir: &Path,
    text: &str,
    config: Config,
    started: Instant,
) -> Result<Report, String> {
    let name = module_name(dir)?;
    let settings = Settings {
        spec_label: spec_label_for(&options.spec, dir),
        command: options.command.clone(),
        layout: Layout::Module(name.clone()),
        config,
    };
    let output = codegen::generate_output(text, &settings)
        .map_err(|e| format!("{}: {e}", options.spec.display()))?;
    // The files are `src/<module>/...`: relative to the module's folder here.
    let prefix = format!("src/{name}/");
    let files: BTreeMap<String, String> = output
        .files
        .into_iter()
        .map(|(path, text)| (path.strip_prefix(&prefix).unwrap_or(&path).to_owned(), text))
        .collect();
    let fresh = owned_files_on_disk(dir, ".").is_empty();
    let drift = compare(dir, &files, &[".".to_owned()])?;
    if !options.check {
        write(dir, &files, &drift)?;
    }
    Ok(Report {
        files: files.len(),
        lines: files.values().map(|f| f.lines().count()).sum(),
        elapsed: started.elapsed(),
        drift,
        fresh,
        warnings: output.warnings.iter().map(ToString::to_string).collect(),
    })
}

/// The module a folder holds: its name, which must be a Rust identifier.
pub fn module_name(dir: &Path) -> Result<String, String> {
    let name = absolute(dir)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ident = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if ident {
        Ok(name)
    } else {
        Err(format!(
            "{}: a module folder must be named as a Rust module (`src/api/`), not {name:?}",
            dir.display()
        ))
    }
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
    runtime: &Runtime,
    text: &str,
    config: Config,
    started: Instant,
) -> Result<Report, String> {
    let dependency = runtime_dependency(out, runtime)?;
    let settings = Settings {
        spec_label: spec_label_for(&options.spec, out),
        command: options.command.clone(),
        layout: Layout::Crate,
        config,
    };
    // A very large spec is a workspace: its member crates are under `crates/`.
    let vendor = *runtime == Runtime::Vendor;
    let mut owned_dirs = vec!["src", "crates"];
    if vendor {
        owned_dirs.push(crate::runtime::VENDOR_DIR);
    }
    let before: BTreeSet<String> = owned_dirs
        .iter()
        .flat_map(|dir| owned_files_on_disk(out, dir))
        .collect();
    // Inside an enclosing workspace's folder but not a member: a workspace of its own, or
    // cargo refuses to build it.
    let own_workspace = options
        .enclosing_workspace
        .as_deref()
        .is_some_and(|root| inside(out, root));
    let large = options.progress && text.len() > PROGRESS_ABOVE_BYTES;
    let streamed = std::sync::Mutex::new(Streamed::default());
    // One batch of files: compared, written unless `check`, and counted.
    let settle = |batch: BTreeMap<String, String>| -> Result<(), String> {
        let drift = compare(out, &batch, &[])?;
        if !options.check {
            write(out, &batch, &drift)?;
        }
        let lines = batch.values().map(|f| f.lines().count()).sum::<usize>();
        let mut progress = streamed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        progress.files += batch.len();
        progress.lines += lines;
        progress.seen.extend(batch.into_keys());
        progress.drift.extend(drift);
        if large {
            let verb = if options.check { "compared" } else { "written" };
            eprintln!(
                "  {} files ({} lines) {verb}",
                progress.files, progress.lines
            );
        }
        Ok(())
    };
    let warnings = codegen::generate_crate_into(text, &settings, &dependency, &|mut batch| {
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
        settle(crate::runtime::vendored_files()?)?;
    }
    let Streamed {
        files,
        lines,
        seen,
        mut drift,
    } = streamed
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

/// How the crate at `out` names the runtime in its manifest.
fn runtime_dependency(out: &Path, runtime: &Runtime) -> Result<RuntimeDependency, String> {
    Ok(match runtime {
        Runtime::Path(dir) => {
            RuntimeDependency::Path(relative_path(&absolute(out), &absolute(dir)))
        }
        Runtime::Vendor => RuntimeDependency::Path(crate::runtime::VENDOR_DIR.to_owned()),
        Runtime::Version => RuntimeDependency::Version(crate::runtime::version()?),
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

/// `path` made absolute: canonical when it exists, else with `.` and `..` resolved.
pub fn absolute(path: &Path) -> PathBuf {
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

/// Whether `path` is (or will be) under `root`.
pub fn inside(path: &Path, root: &Path) -> bool {
    absolute(path).starts_with(absolute(root))
}

/// `to` relative to the directory `from` (`../../runtime`), with `/` separators.
pub fn relative_path(from: &Path, to: &Path) -> String {
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

/// `path` relative to `root` when it is under it, else as it is (absolute).
pub fn display_relative(path: &Path, root: &Path) -> String {
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

/// Writes the files `drift` says are missing or changed, and removes the stale ones.
pub fn write(out: &Path, files: &BTreeMap<String, String>, drift: &[Drift]) -> Result<(), String> {
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

/// The lines a run prints: its warnings, then one summary line (and the drift, file by
/// file). `spec` is how the line names the spec, `target` the crate or folder, `regenerate`
/// the command a `check` that found drift tells the user to run.
pub fn summary(
    report: &Report,
    check: bool,
    spec: &str,
    target: &Path,
    regenerate: &str,
) -> String {
    let mut out = String::new();
    for warning in &report.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    let verb = if check { "checked" } else { "generated" };
    let _ = write!(
        out,
        "{verb} {} files ({} lines) from {spec} in {:.1} ms",
        report.files,
        report.lines,
        report.elapsed.as_secs_f64() * 1000.0
    );
    if report.drift.is_empty() {
        out.push_str(": up to date");
    } else if report.fresh && !check {
        let _ = write!(out, ": created the crate at {}", target.display());
    } else if check {
        let _ = write!(
            out,
            ": {} file(s) drifted from the spec:",
            report.drift.len()
        );
        for d in &report.drift {
            let _ = write!(out, "\n  {d}");
        }
        let _ = write!(out, "\nrun `{regenerate}` to bring them back in line");
    } else {
        let _ = write!(out, ": {} file(s) written or removed:", report.drift.len());
        for d in &report.drift {
            let _ = write!(out, "\n  {d}");
        }
    }
    out
}
