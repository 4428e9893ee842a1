//! `specsmith`: the command line over the library (argument parsing and printing only).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use specsmith::generate::{self, Options, Runtime, Target};
use specsmith::lint;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Typed async Rust clients from OpenAPI 3.0/3.1 documents (JSON or YAML).
#[derive(Parser)]
#[command(name = "specsmith", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a whole crate (--out) or a crate's module (--module) from a spec; with
    /// --check, write nothing and exit 1 if the files on disk drifted from the spec.
    Generate(GenerateArgs),
    /// Breaking changes between two versions of a spec, and the semver bump they need.
    Diff(DiffArgs),
    /// What the generator reads leniently or has to guess at, with JSON pointers; exits 1
    /// when a finding reaches --fail-on.
    Lint(LintArgs),
    /// Write a commented codegen.toml for a spec, derived from it.
    Init(InitArgs),
}

#[derive(Args)]
struct GenerateArgs {
    /// The OpenAPI document (JSON or YAML).
    #[arg(long)]
    spec: PathBuf,
    /// The generator config (default: codegen.toml beside the spec, if any).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Write a whole crate here (sources, Cargo.toml, README.md; a workspace of crates for
    /// a very large spec).
    #[arg(long, conflicts_with = "module", required_unless_present = "module")]
    out: Option<PathBuf>,
    /// Write the sources only, into this folder of an existing crate (`src/api`: its
    /// lib.rs declares `mod api;`). The generator owns the folder whole.
    #[arg(long)]
    module: Option<PathBuf>,
    /// How the --out crate depends on the runtime crate client-runtime: `vendor` (a copy
    /// in OUT/client-runtime/, embedded in this binary: builds offline, on its own),
    /// `version` (the published crate, the version this binary embeds) or `path` (a
    /// checkout's runtime folder, --runtime-path).
    #[arg(long, value_enum, default_value_t = RuntimeKind::Vendor)]
    runtime: RuntimeKind,
    /// The runtime crate's folder, for --runtime path.
    #[arg(long, required_if_eq("runtime", "path"))]
    runtime_path: Option<PathBuf>,
    /// Write nothing; exit 1 with a per-file summary if the files on disk differ from what
    /// the spec generates (a CI drift check).
    #[arg(long)]
    check: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RuntimeKind {
    Vendor,
    Version,
    Path,
}

#[derive(Args)]
struct DiffArgs {
    /// The old document: a path, or git:REV:path for the file in a commit.
    old: String,
    /// The new document, likewise.
    new: String,
    /// The generator config both versions are generated with (default: codegen.toml
    /// beside NEW, if it is a file and has one).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit 1 if a change is at or above this level (with --versions: only if the new
    /// version is not bumped enough).
    #[arg(long, value_parser = ["breaking", "warning"])]
    fail_on: Option<String>,
    /// The crate's old and new versions (a version, or a Cargo.toml as a path or
    /// git:REV:path): report whether NEW is bumped enough.
    #[arg(long, num_args = 2, value_names = ["OLD", "NEW"])]
    versions: Option<Vec<String>>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Args)]
struct LintArgs {
    /// The OpenAPI document (JSON or YAML).
    spec: PathBuf,
    /// The generator config (default: codegen.toml beside the spec, if any).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Exit 1 if a finding is at or above this level.
    #[arg(long, value_parser = ["info", "warning", "error"], default_value = "warning")]
    fail_on: String,
    /// Print the rules and exit.
    #[arg(long)]
    rules: bool,
}

#[derive(Args)]
struct InitArgs {
    /// The OpenAPI document (JSON or YAML).
    spec: PathBuf,
    /// Where to write (default: codegen.toml beside the spec); `-` prints it.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace an existing file.
    #[arg(long)]
    force: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate(args) => generate_cmd(args),
        Command::Diff(args) => diff_cmd(args),
        Command::Lint(args) => lint_cmd(args),
        Command::Init(args) => init_cmd(args),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// `Ok(false)`: ran, and the answer is "no" (drift, findings): exit 1. `Err`: exit 2.
type Outcome = Result<bool, String>;

fn generate_cmd(args: GenerateArgs) -> Outcome {
    let target = match (args.out, args.module) {
        (Some(out), _) => Target::Crate {
            out,
            runtime: match args.runtime {
                RuntimeKind::Vendor => Runtime::Vendor,
                RuntimeKind::Version => Runtime::Version,
                RuntimeKind::Path => Runtime::Path(
                    args.runtime_path
                        .ok_or("--runtime path needs --runtime-path")?,
                ),
            },
        },
        (None, Some(dir)) => Target::Module { dir },
        (None, None) => return Err("give --out DIR or --module DIR".to_owned()),
    };
    let options = Options {
        spec: args.spec,
        config: args.config,
        target,
        check: args.check,
        command: "specsmith generate".to_owned(),
        enclosing_workspace: None,
        progress: true,
    };
    let report = generate::run(&options)?;
    let folder = match &options.target {
        Target::Crate { out, .. } => out.as_path(),
        Target::Module { dir } => dir.as_path(),
    };
    let regenerate = regenerate_command(&options, folder);
    let summary = generate::summary(
        &report,
        options.check,
        &options.spec.display().to_string(),
        folder,
        &regenerate,
    );
    if options.check && !report.drift.is_empty() {
        eprintln!("{summary}");
        return Ok(false);
    }
    println!("{summary}");
    Ok(true)
}

/// The command that brings a drifted folder back in line: this one without `--check`.
fn regenerate_command(options: &Options, folder: &Path) -> String {
    let mut command = format!("specsmith generate --spec {}", options.spec.display());
    if let Some(config) = &options.config {
        command.push_str(&format!(" --config {}", config.display()));
    }
    match &options.target {
        Target::Crate { runtime, .. } => {
            command.push_str(&format!(" --out {}", folder.display()));
            match runtime {
                Runtime::Vendor => {}
                Runtime::Version => command.push_str(" --runtime version"),
                Runtime::Path(dir) => {
                    command.push_str(&format!(" --runtime path --runtime-path {}", dir.display()))
                }
            }
        }
        Target::Module { .. } => command.push_str(&format!(" --module {}", folder.display())),
    }
    command
}

fn diff_cmd(args: DiffArgs) -> Outcome {
    let here = std::env::current_dir().map_err(|e| format!("no current folder: {e}"))?;
    let old_text = spec_diff::read_source(&args.old, &here)?;
    let new_text = spec_diff::read_source(&args.new, &here)?;
    if old_text.len() + new_text.len() > generate::PROGRESS_ABOVE_BYTES {
        eprintln!(
            "comparing {} and {} ({:.1} MiB): walking both, then generating both in memory",
            args.old,
            args.new,
            (old_text.len() + new_text.len()) as f64 / f64::from(1 << 20)
        );
    }
    let config = match &args.config {
        Some(path) => generate::load_config(Path::new(&args.new), Some(path))?,
        None if !args.new.starts_with("git:") => generate::load_config(Path::new(&args.new), None)?,
        None => codegen::config::Config::default(),
    };
    let settings = codegen::Settings {
        spec_label: args.new.clone(),
        command: "specsmith generate".to_owned(),
        layout: codegen::Layout::Crate,
        config,
    };
    let mut report = spec_diff::compare(&old_text, &new_text, (&args.old, &args.new), &settings)?;
    if let Some(versions) = &args.versions {
        let old = spec_diff::read_version(&versions[0], &here)?;
        let new = spec_diff::read_version(&versions[1], &here)?;
        spec_diff::check_versions(&mut report, old, new);
    }
    match args.format {
        Format::Text => print!("{}", spec_diff::render_text(&report)),
        Format::Json => println!("{}", spec_diff::render_json(&report)),
    }
    let fails = args
        .fail_on
        .as_deref()
        .and_then(spec_diff::Level::parse)
        .is_some_and(|level| report.fails(level));
    Ok(!fails)
}

fn lint_cmd(args: LintArgs) -> Outcome {
    if args.rules {
        for rule in lint::RULES {
            println!("{:<8} {:<30} {}", rule.level.as_str(), rule.id, rule.about);
        }
        return Ok(true);
    }
    let fail_on = lint::Level::parse(&args.fail_on).ok_or("--fail-on: info, warning or error")?;
    let text = generate::read_spec(&args.spec, true)?;
    let config = generate::load_config(&args.spec, args.config.as_deref())?;
    let settings = codegen::Settings {
        config,
        ..codegen::Settings::default()
    };
    let findings: Vec<lint::Finding> = lint::lint(&text, &settings);
    let label = args.spec.display().to_string();
    print!("{}", lint::render(&findings, &label));
    Ok(!lint::fails(&findings, fail_on))
}

fn init_cmd(args: InitArgs) -> Outcome {
    let text = generate::read_spec(&args.spec, true)?;
    let name = args.spec.file_name().map_or_else(
        || "the spec".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let config = specsmith::init::config_for(&text, &format!("`{name}`"))
        .map_err(|e| format!("{}: {e}", args.spec.display()))?;
    let target = args
        .out
        .unwrap_or_else(|| args.spec.with_file_name("codegen.toml"));
    if target == Path::new("-") {
        print!("{config}");
        return Ok(true);
    }
    if target.exists() && !args.force {
        return Err(format!(
            "{} exists (--force replaces it, --out - prints)",
            target.display()
        ));
    }
    std::fs::write(&target, config)
        .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    println!("wrote {}", target.display());
    Ok(true)
}
