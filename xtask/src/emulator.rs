//! The Stream emulator's faces in xtask: its server bindings, regenerated with the client by
//! `cargo xtask generate` (and drift-checked by `--check`), and `cargo xtask emulator`, which
//! starts it (through `cargo run`: xtask never links the crates it generates).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use codegen::Settings;
use codegen::emit::server::ServerSettings;

use std::fmt::Write as _;

use crate::generate::{Drift, Report, compare};

/// Where the emulator crate is, relative to the workspace root.
pub const EMULATOR_DIR: &str = "emulator";

/// The settings the client is generated with that shape the model (envelope field, client
/// path defaults); the server's model must be the same.
fn model_settings(spec_label: &str) -> Settings {
    Settings {
        spec_label: spec_label.to_owned(),
        command: "cargo xtask generate".to_owned(),
        envelope_field: Some("result".to_owned()),
        client_path_defaults: vec!["account_id".to_owned(), "zone_id".to_owned()],
        ..Settings::default()
    }
}

/// Regenerates `emulator/src/generated/` from `spec` (or, with `check`, only compares) and
/// returns what differed.
pub fn generate_bindings(root: &Path, spec: &Path, check: bool) -> Result<Report, String> {
    let text = std::fs::read_to_string(spec)
        .map_err(|e| format!("cannot read {}: {e}", spec.display()))?;
    let label = "spec/stream.openapi.json";
    let server = ServerSettings {
        spec_label: label.to_owned(),
        command: "cargo xtask generate".to_owned(),
        dir: "src/generated".to_owned(),
        runtime_path: "cloudflare_stream::runtime".to_owned(),
    };
    let started = Instant::now();
    let files = codegen::generate_server(&text, &model_settings(label), &server)
        .map_err(|e| format!("{}: {e}", spec.display()))?;
    let elapsed = started.elapsed();
    let out = root.join(EMULATOR_DIR);
    let drift: Vec<Drift> = compare(&out, &files)?
        .into_iter()
        // Only the generated directory belongs to the server target.
        .filter(|d| match d {
            Drift::Stale(path) => path.starts_with("src/generated/"),
            _ => true,
        })
        .collect();
    if !check {
        for d in &drift {
            match d {
                Drift::Missing(path) | Drift::Changed { path, .. } => {
                    let target = out.join(path);
                    if let Some(parent) = target.parent() {
                        std::fs::create_dir_all(parent)
                            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
                    }
                    std::fs::write(&target, &files[path])
                        .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
                }
                Drift::Stale(path) => {
                    let target = out.join(path);
                    std::fs::remove_file(&target)
                        .map_err(|e| format!("cannot remove {}: {e}", target.display()))?;
                }
            }
        }
    }
    Ok(Report {
        files: files.len(),
        lines: files.values().map(|f| f.lines().count()).sum(),
        elapsed,
        drift,
        warnings: Vec::new(),
    })
}

/// The `generate` step for the server bindings: regenerate (or check) and describe it.
pub fn generate_step(root: &Path, spec: &Path, check: bool) -> Result<String, String> {
    let report = generate_bindings(root, spec, check)?;
    let verb = if check { "checked" } else { "generated" };
    let mut text = format!(
        "{verb} {} emulator server binding files ({} lines) in {:.1} ms",
        report.files,
        report.lines,
        report.elapsed.as_secs_f64() * 1000.0
    );
    if report.drift.is_empty() {
        text.push_str(": up to date");
    } else {
        let what = if check {
            "drifted from the spec"
        } else {
            "written or removed"
        };
        let _ = write!(text, ": {} file(s) {what}:", report.drift.len());
        for d in &report.drift {
            let _ = write!(text, "\n  {d} (in {EMULATOR_DIR}/)");
        }
        if check {
            text.push_str("\nrun `cargo xtask generate` to bring them back in line");
        }
    }
    if check && !report.drift.is_empty() {
        return Err(text);
    }
    Ok(text)
}

/// `cargo xtask emulator --help`.
pub const HELP: &str = "\
cargo xtask emulator [--port PORT] [--token T] [--persist DIR] [--account ID] [--processing-ms MS]

Starts the local Cloudflare Stream emulator (crate `stream-emulator`) and prints its base URL.
The API is served at the root of the address and under /client/v4.

  --port PORT          TCP port on 127.0.0.1 (default 0: any free port)
  --token T            the API token it accepts (default: `emulator-token`)
  --persist DIR        keep state (metadata and uploaded bytes) in DIR across restarts
  --account ID         the account id it serves (default: `emulator-account`)
  --processing-ms MS   time per processing step, queued -> inprogress -> ready (default 1000)
  --rate-limit N       answer 429 after N API calls per second (default: no limit)
";

/// `cargo xtask emulator ...`: runs the emulator binary with the same arguments.
pub fn run(args: &[String]) -> Result<(), String> {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print!("{HELP}");
        return Ok(());
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(["run", "--quiet", "-p", "stream-emulator", "--"])
        .args(args)
        .current_dir(crate::generate::workspace_root())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the emulator exited with {status}"))
    }
}
