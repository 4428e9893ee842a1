//! `cargo xtask <command>`: argument parsing only; the work is in the library.
//!
//! Arguments are parsed by hand: the commands take a handful of flags, and a CLI framework
//! would cost more build time than the parsing it saves.

use std::path::PathBuf;
use std::process::ExitCode;

use xtask::generate;

const HELP: &str = "\
cargo xtask <command> [options]

Commands:
  generate        regenerate the generated crate from the spec (`generate --help`)
  spec-coverage   check that the spec covers the API reference (`spec-coverage --help`)
";

const GENERATE_HELP: &str = "\
cargo xtask generate [--check] [--spec PATH] [--out DIR]

Generates the Rust client crate from an OpenAPI 3.0/3.1 document.

  --spec PATH   the OpenAPI document (default: spec/stream.openapi.json)
  --out DIR     the crate directory (default: generated/). Any other directory receives a
                standalone crate: generated files plus the runtime, a Cargo.toml and a README
  --check       write nothing; exit 1 with a per-file summary if the files on disk differ
                from what the spec generates (CI's drift check)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("generate") => generate_cmd(&args[1..]),
        Some("spec-coverage") => spec_coverage_cmd(&args[1..]),
        Some("-h" | "--help" | "help") | None => {
            print!("{HELP}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command {other:?}\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn generate_cmd(args: &[String]) -> Result<(), String> {
    let root = generate::workspace_root();
    let mut options = generate::Options {
        spec: root.join("spec/stream.openapi.json"),
        out: root.join("generated"),
        check: false,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => options.check = true,
            "--spec" => options.spec = PathBuf::from(args.next().ok_or("--spec needs a path")?),
            "--out" => options.out = PathBuf::from(args.next().ok_or("--out needs a directory")?),
            "-h" | "--help" => {
                print!("{GENERATE_HELP}");
                return Ok(());
            }
            other => return Err(format!("unknown option {other:?}\n\n{GENERATE_HELP}")),
        }
    }
    let report = generate::run(&options)?;
    let summary = generate::summary(&options, &report);
    if options.check && !report.drift.is_empty() {
        return Err(summary);
    }
    println!("{summary}");
    Ok(())
}

const SPEC_COVERAGE_HELP: &str = "\
cargo xtask spec-coverage [--reference PATH] [--spec PATH]

Parses the API reference and checks that the spec holds every operation, parameter and
field it documents, with the documented type and required-ness. Exits 1 on any gap.

  --reference PATH   default: spec/stream-api-reference.md (a copy of the shared seed)
  --spec PATH        default: spec/stream.openapi.json
";

fn spec_coverage_cmd(args: &[String]) -> Result<(), String> {
    let root = generate::workspace_root();
    let mut reference = root.join("spec/stream-api-reference.md");
    let mut spec = root.join("spec/stream.openapi.json");
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--reference" => {
                reference = PathBuf::from(args.next().ok_or("--reference needs a path")?)
            }
            "--spec" => spec = PathBuf::from(args.next().ok_or("--spec needs a path")?),
            "-h" | "--help" => {
                print!("{SPEC_COVERAGE_HELP}");
                return Ok(());
            }
            other => return Err(format!("unknown option {other:?}\n\n{SPEC_COVERAGE_HELP}")),
        }
    }
    let read = |p: &PathBuf| {
        std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
    };
    let reference_text = read(&reference)?;
    let spec_value: serde_json::Value =
        serde_json::from_str(&read(&spec)?).map_err(|e| format!("{}: {e}", spec.display()))?;
    let report = xtask::spec_coverage::check(&reference_text, &spec_value);
    println!("{report}");
    if report.is_complete() {
        Ok(())
    } else {
        Err("the spec does not cover the reference".to_owned())
    }
}
