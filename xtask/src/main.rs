//! `cargo xtask <command>`: argument parsing only; the work is in the library.
//!
//! Arguments are parsed by hand: the commands take a handful of flags, and a CLI framework
//! would cost more build time than the parsing it saves.

use std::path::PathBuf;
use std::process::ExitCode;

use xtask::generate;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const HELP: &str = "\
cargo xtask <command> [options]

Commands:
  generate        regenerate the generated crate from the spec (`generate --help`)
  conformance     replay the recorded fixtures through the client (`conformance --help`)
  spec-coverage   check that the spec covers the API reference (`spec-coverage --help`)
  diff            breaking-change report between two spec versions (`diff --help`)
  bench           generator, compile, decode, overhead and upload benchmarks (`bench --help`)
  emulator        start the local Stream emulator and print its base URL (`emulator --help`)
";

const GENERATE_HELP: &str = "\
cargo xtask generate [--check] [--spec PATH] [--config PATH] [--out DIR [--runtime path|version|vendor]]

Generates Rust from an OpenAPI 3.0/3.1 document.

  --spec PATH      the OpenAPI document (default: spec/stream.openapi.json)
  --config PATH    the generator config (default: codegen.toml beside the spec, if any;
                   without one, crate name, env prefix and the rest derive from the spec)
  --out DIR        write a whole crate there (sources, Cargo.toml, README.md) instead of
                   the product crate's generated module and the conformance dispatch
  --runtime KIND   how the --out crate depends on the runtime crate: `path` (this
                   workspace's runtime/; the default inside this workspace), `version`
                   (the published client-runtime, at runtime/Cargo.toml's version) or
                   `vendor` (a copy in DIR/client-runtime/: a crate that builds on its
                   own, offline; the default elsewhere, as for `specsmith generate`)
  --vendor-runtime the same as `--runtime vendor`
  --check          write nothing; exit 1 with a per-file summary if the files on disk
                   differ from what the spec generates (CI's drift check)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("generate") => generate_cmd(&args[1..]),
        Some("spec-coverage") => spec_coverage_cmd(&args[1..]),
        Some("conformance") => conformance_cmd(&args[1..]),
        Some("diff") => diff_cmd(&args[1..]),
        Some("bench") => bench_cmd(&args[1..]),
        Some("emulator") => xtask::emulator::run(&args[1..]),
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
    let mut options = generate::Options::product();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => options.check = true,
            "--spec" => options.spec = PathBuf::from(args.next().ok_or("--spec needs a path")?),
            "--config" => {
                options.config = Some(PathBuf::from(args.next().ok_or("--config needs a path")?))
            }
            "--out" => {
                options.out = Some(PathBuf::from(args.next().ok_or("--out needs a directory")?))
            }
            "--runtime" => {
                options.runtime = Some(match args.next().map(String::as_str) {
                    Some("path") => generate::RuntimeSource::Path,
                    Some("version") => generate::RuntimeSource::Version,
                    Some("vendor") => generate::RuntimeSource::Vendor,
                    _ => return Err("--runtime needs `path`, `version` or `vendor`".to_owned()),
                })
            }
            "--vendor-runtime" => options.runtime = Some(generate::RuntimeSource::Vendor),
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
    let spec_value =
        codegen::spec::parse(&read(&spec)?).map_err(|e| format!("{}: {e}", spec.display()))?;
    let report = xtask::spec_coverage::check(&reference_text, &spec_value);
    println!("{report}");
    if report.is_complete() {
        Ok(())
    } else {
        Err("the spec does not cover the reference".to_owned())
    }
}

const CONFORMANCE_HELP: &str = "\
cargo xtask conformance [--fixtures DIR] [--spec PATH]
cargo xtask conformance --record --upstream URL [--fixtures DIR] [--out DIR] [--operation ID]

Replays every fixture (conformance/fixtures/<operation_id>/<case>.json) through the generated
client against a replay server on 127.0.0.1 and prints one row per operation with the checks
request-matches, response-decodes, round-trip-lossless, fixture-valid and error-typed, the
failures with their diffs, and a last line `N passed, M failed`. Exits 1 on any failure or on
an operation without a fixture.

  --fixtures DIR   the fixtures (default: conformance/fixtures)
  --spec PATH      the spec the fixtures are validated against (default: spec/stream.openapi.json)

Recording (real traffic into new fixtures):
  --record         call each fixture's operation with its arguments through a recording proxy
                   to the upstream, and write what really went over the wire as new fixtures
  --upstream URL   where the proxy forwards (the real API: https://api.cloudflare.com/client/v4)
  --out DIR        where recorded fixtures go (default: conformance/recorded)
  --operation ID   record only this operation (repeatable)
  The token comes from CLOUDFLARE_API_TOKEN and the account id from CLOUDFLARE_ACCOUNT_ID;
  both, emails, keys and every x-sensitive value are scrubbed from what is written.
";

fn conformance_cmd(args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print!("{CONFORMANCE_HELP}");
        return Ok(());
    }
    if xtask::conformance::run(&generate::workspace_root(), args)? {
        Ok(())
    } else {
        Err("conformance failed".to_owned())
    }
}

const DIFF_HELP: &str = "\
cargo xtask diff OLD NEW [--format text|json] [--fail-on breaking|warning] [--versions OLD NEW]
                 [--runtime-base REV [--runtime-dir DIR]]
cargo xtask diff --rules

Compares two OpenAPI documents operation by operation (matched by method and path) and
component schema by schema, classifies every change as breaking, warning or info (one table
of rules in the manner of oasdiff's: area, kind, request/response direction), names the
generated Rust items it touches, generates both versions in memory to compare the crate's
public API, and prints the semver bump the crate needs.

  OLD, NEW              a file path, or git:REV:path for the file in a commit
                        (e.g. git:HEAD~1:spec/stream.openapi.json)
  --format text|json    output (default: text)
  --fail-on LEVEL       exit 1 if any change is at or above LEVEL (breaking or warning)
  --versions OLD NEW    the crate's versions (a version, or a Cargo.toml path / git:REV:path):
                        report whether NEW is bumped enough; with --fail-on, fail only if not
  --runtime-base REV    also compare the public API of the hand-written runtime crate
                        (DIR/src/**/*.rs) at git revision REV with the working tree: a
                        \"Runtime API\" section with its own semver verdict (skipped, with a
                        message, when the crate is missing on a side)
  --runtime-dir DIR     the runtime crate's folder, relative to the workspace (default: runtime)
  --rules               print the table of rules (Markdown, as in README.md) and exit
";

fn diff_cmd(args: &[String]) -> Result<(), String> {
    let root = generate::workspace_root();
    let mut sources = Vec::new();
    let mut json = false;
    let mut fail_on = None;
    let mut versions = None;
    let mut runtime_base = None;
    let mut runtime_dir = "runtime".to_owned();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--format" => match args.next().map(String::as_str) {
                Some("text") => json = false,
                Some("json") => json = true,
                other => return Err(format!("--format takes text or json, not {other:?}")),
            },
            "--fail-on" => {
                let level = args.next().ok_or("--fail-on needs a level")?;
                fail_on = Some(
                    xtask::diff::Level::parse(level)
                        .filter(|l| *l != xtask::diff::Level::Info)
                        .ok_or_else(|| {
                            format!("--fail-on takes breaking or warning, not {level:?}")
                        })?,
                );
            }
            "--versions" => {
                let old = args.next().ok_or("--versions needs two versions")?;
                let new = args.next().ok_or("--versions needs two versions")?;
                versions = Some((old.clone(), new.clone()));
            }
            "--runtime-base" => {
                runtime_base = Some(args.next().ok_or("--runtime-base needs a git revision")?);
            }
            "--runtime-dir" => {
                runtime_dir = args.next().ok_or("--runtime-dir needs a folder")?.clone();
            }
            "--rules" => {
                print!("{}", xtask::diff::rules::markdown());
                return Ok(());
            }
            "-h" | "--help" => {
                print!("{DIFF_HELP}");
                return Ok(());
            }
            other if other.starts_with("--") => {
                return Err(format!("unknown option {other:?}\n\n{DIFF_HELP}"));
            }
            source => sources.push(source.to_owned()),
        }
    }
    let [old, new] = <[String; 2]>::try_from(sources)
        .map_err(|_| format!("diff takes two documents, OLD and NEW\n\n{DIFF_HELP}"))?;
    let old_text = xtask::diff::read_source(&old, &root)?;
    let new_text = xtask::diff::read_source(&new, &root)?;
    let settings = xtask::diff::settings(&root);
    let mut report = xtask::diff::compare(&old_text, &new_text, (&old, &new), &settings)?;
    if let Some((o, n)) = versions {
        let o = xtask::diff::read_version(&o, &root)?;
        let n = xtask::diff::read_version(&n, &root)?;
        xtask::diff::check_versions(&mut report, o, n);
    } else {
        let manifest = root.join("cloudflare-stream/Cargo.toml");
        report.current_version = xtask::diff::read_version(&manifest.to_string_lossy(), &root)
            .ok()
            .map(|v| v.to_string());
    }
    if let Some(base) = runtime_base {
        report.runtime = Some(xtask::diff::runtime_api(&root, base, &runtime_dir)?);
    }
    if json {
        println!("{}", xtask::diff::render_json(&report));
    } else {
        print!("{}", xtask::diff::render_text(&report));
    }
    match fail_on {
        Some(level) if report.fails(level) => Err(format!(
            "changes at or above {} level{}",
            level.as_str(),
            if report.versions.is_some() {
                " and the crate version is not bumped enough"
            } else {
                ""
            }
        )),
        _ => Ok(()),
    }
}

const BENCH_HELP: &str = "\
cargo xtask bench [--quick] [--corpus PATH] [--github PATH] [--skip-progenitor] [--skip-build]

Measures the generator (Stream spec, the Cloudflare corpus, GitHub's spec and the public specs
of the scaling plot bench/scaling.svg, next to progenitor 0.15), `cargo check` of one resource
and of everything for the large specs (time and the peak RSS of the whole build's process
tree), the generated crate's compile cost, typed decoding (vs serde_json::Value and IgnoredAny), the
client's per-request overhead (vs bare reqwest) and a 1 GiB tus upload (vs a bare reqwest
PUT), all as release binaries built on demand into target/bench. Prints one Markdown table
of medians, ratios and target verdicts, and writes it to bench/RESULTS.md.

  --quick             smoke mode: fewer repetitions, smaller sizes, no cargo builds of
                      generated crates, no progenitor; writes bench/tmp/RESULTS.quick.md
  --corpus PATH       the Cloudflare corpus (default:
                      ../shared/specs/cloudflare-api-without-stream.openapi.json beside the
                      workspace); its rows are skipped with a message when it is missing
  --github PATH       GitHub's api.github.com.json (default: `npm pack @octokit/openapi@23.0.2`
                      into target/specs/ when absent)
  --skip-progenitor   leave progenitor out (building it takes minutes)
  --skip-build        skip the cargo checks of the large specs and the clean cargo builds
";

fn bench_cmd(args: &[String]) -> Result<(), String> {
    let root = generate::workspace_root();
    let mut options = xtask::bench::Options::new(&root);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => options.quick = true,
            "--corpus" => {
                options.corpus = PathBuf::from(args.next().ok_or("--corpus needs a path")?)
            }
            "--skip-progenitor" => options.skip_progenitor = true,
            "--skip-build" => options.skip_build = true,
            "--github" => {
                options.github = Some(PathBuf::from(args.next().ok_or("--github needs a path")?))
            }
            "-h" | "--help" => {
                print!("{BENCH_HELP}");
                return Ok(());
            }
            other => return Err(format!("unknown option {other:?}\n\n{BENCH_HELP}")),
        }
    }
    print!("{}", xtask::bench::run(&root, &options)?);
    Ok(())
}
