//! `conformance`: runs the fixtures and prints the table (what `cargo xtask conformance`
//! runs). Exits 1 when any check fails or any operation has no fixture.

use std::path::PathBuf;
use std::process::ExitCode;

const HELP: &str = "\
conformance [--fixtures DIR] [--spec PATH]
conformance --record --upstream URL [--fixtures DIR] [--out DIR] [--operation ID]...

Replays every fixture through the generated client against a local replay server and prints
one row per operation with the checks request-matches, response-decodes,
round-trip-lossless, fixture-valid and error-typed, then `N passed, M failed`.

  --fixtures DIR   default: conformance/fixtures
  --spec PATH      default: spec/stream.openapi.json

  --record         call each success fixture's operation with its arguments through a
                   recording proxy to --upstream, and write the real exchanges as fixtures
                   (token from CLOUDFLARE_API_TOKEN, account from CLOUDFLARE_ACCOUNT_ID;
                   credentials and x-sensitive values scrubbed)
  --out DIR        where recorded fixtures go (default: conformance/recorded)
  --operation ID   record only this operation (repeatable)
";

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<bool, String> {
    let mut fixtures = conformance::fixture::default_dir();
    let mut spec_path: Option<PathBuf> = None;
    let mut record = false;
    let mut upstream: Option<String> = None;
    let mut out: Option<PathBuf> = None;
    let mut operations = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--fixtures" => {
                fixtures = PathBuf::from(args.next().ok_or("--fixtures needs a folder")?)
            }
            "--spec" => spec_path = Some(PathBuf::from(args.next().ok_or("--spec needs a path")?)),
            "--record" => record = true,
            "--upstream" => upstream = Some(args.next().ok_or("--upstream needs a URL")?),
            "--out" => out = Some(PathBuf::from(args.next().ok_or("--out needs a folder")?)),
            "--operation" => operations.push(args.next().ok_or("--operation needs an id")?),
            "-h" | "--help" => {
                print!("{HELP}");
                return Ok(true);
            }
            other => return Err(format!("unknown option {other:?}\n\n{HELP}")),
        }
    }
    let spec_path = spec_path.unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/stream.openapi.json")
    });
    let text = std::fs::read_to_string(&spec_path)
        .map_err(|e| format!("cannot read {}: {e}", spec_path.display()))?;
    let doc = codegen::spec::parse(&text).map_err(|e| format!("{}: {e}", spec_path.display()))?;
    if record {
        let upstream = upstream.ok_or("--record needs --upstream URL")?;
        let options = conformance::record::RecordOptions {
            upstream,
            token: std::env::var("CLOUDFLARE_API_TOKEN").unwrap_or_default(),
            account_id: std::env::var("CLOUDFLARE_ACCOUNT_ID")
                .unwrap_or_else(|_| conformance::runner::ACCOUNT_ID.to_owned()),
            out: out.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("recorded")),
            operations,
        };
        let cases = conformance::fixture::load_dir_or_report(&fixtures)?;
        let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
        let written = runtime.block_on(conformance::record::record(&cases, &doc, &options))?;
        for path in &written {
            println!("recorded {}", path.display());
        }
        println!(
            "{} fixtures recorded into {}",
            written.len(),
            options.out.display()
        );
        return Ok(true);
    }
    let spec = conformance::Spec::from_document(&doc)?;
    let started = std::time::Instant::now();
    let report = conformance::run_dir(&fixtures, spec)?;
    println!("{report}");
    eprintln!("({:.2} s)", started.elapsed().as_secs_f64());
    Ok(report.success())
}
