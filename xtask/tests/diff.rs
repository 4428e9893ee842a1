//! `cargo xtask diff`: the real spec with this workspace's generator settings, documents
//! from git, and the command line (`--rules`, `--runtime-base`). The rules themselves are
//! tested case by case in `spec-diff/tests/diff.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use xtask::diff::{self, Bump, Level, Version};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

#[test]
fn identical_documents_have_no_changes() {
    let spec = std::fs::read_to_string(root().join("spec/stream.openapi.json")).expect("spec");
    let report =
        diff::compare(&spec, &spec, ("a", "b"), &diff::settings(&root())).expect("compare");
    assert!(report.changes.is_empty());
    assert_eq!(report.bump, Bump::None);
    assert!(!report.fails(Level::Warning));
}

/// The current spec against a copy with the kind of edits Cloudflare makes: a field removed,
/// a parameter made required, an enum value added, an operation added.
#[test]
fn real_spec_with_realistic_edits() {
    let text = std::fs::read_to_string(root().join("spec/stream.openapi.json")).expect("spec");
    let mut spec: Value = serde_json::from_str(&text).expect("json");
    let schemas = spec.pointer_mut("/components/schemas").expect("schemas");
    schemas["Video"]["properties"]
        .as_object_mut()
        .expect("Video properties")
        .remove("duration")
        .expect("Video.duration");
    schemas["VideoState"]["enum"]
        .as_array_mut()
        .expect("VideoState enum")
        .push(json!("archived"));
    let list = spec
        .pointer_mut("/paths/~1accounts~1{account_id}~1stream/get/parameters")
        .and_then(Value::as_array_mut)
        .expect("videos_list parameters");
    let limit = list
        .iter_mut()
        .find(|p| p["name"] == "limit")
        .expect("limit parameter");
    limit["required"] = json!(true);
    spec["paths"]["/accounts/{account_id}/stream/live_inputs/{live_input_identifier}/videos"] = json!({
        "get": {
            "tags": ["live_inputs"],
            "summary": "List the videos recorded from a live input",
            "operationId": "live_inputs_list_videos",
            "parameters": [
                {"$ref": "#/components/parameters/AccountId"},
                {"$ref": "#/components/parameters/LiveInputIdentifier"}
            ],
            "responses": {
                "200": {
                    "description": "Success.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/VideoListEnvelope"}}}
                }
            }
        }
    });
    let edited = serde_json::to_string_pretty(&spec).expect("json");
    let mut report = diff::compare(
        &text,
        &edited,
        ("spec/stream.openapi.json", "edited copy"),
        &diff::settings(&root()),
    )
    .expect("compare");

    let ids: Vec<(&str, Level)> = report
        .changes
        .iter()
        .map(|c| (c.id.as_str(), c.level))
        .collect();
    for expected in [
        ("response-property-removed", Level::Breaking),
        ("request-parameter-became-required", Level::Breaking),
        ("response-enum-value-added", Level::Warning),
        ("api-added", Level::Info),
    ] {
        assert!(ids.contains(&expected), "missing {expected:?} in {ids:?}");
    }
    assert_eq!(report.bump, Bump::Major);
    diff::check_versions(&mut report, Version(0, 1, 0), Version(0, 1, 1));
    assert!(
        report.fails(Level::Breaking),
        "0.1.1 is not enough for a breaking change"
    );
    insta::assert_snapshot!("real_spec_with_realistic_edits", diff::render_text(&report));
    diff::check_versions(&mut report, Version(0, 1, 0), Version(0, 2, 0));
    assert!(!report.fails(Level::Breaking), "0.2.0 is");
}

#[test]
fn git_sources() {
    let root = root();
    let head = diff::read_source("git:HEAD:Cargo.toml", &root);
    // A clone without history still has HEAD; a missing revision is an error, not a panic.
    assert!(
        head.is_ok()
            || std::process::Command::new("git")
                .arg("--version")
                .output()
                .is_err()
    );
    let missing = diff::read_source("git:no-such-rev-here:spec/stream.openapi.json", &root);
    assert!(missing.unwrap_err().contains("no-such-rev-here"));
    assert!(diff::read_source("git:HEAD", &root).is_err());
    let manifest = root.join("cloudflare-stream/Cargo.toml");
    assert!(diff::read_version(&manifest.to_string_lossy(), &root).is_ok());
}

fn xtask(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run xtask");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `--rules` prints the rules' table, as README.md shows it.
#[test]
fn rules_flag_prints_the_table() {
    let (ok, stdout, _) = xtask(&["diff", "--rules"]);
    assert!(ok);
    assert_eq!(stdout, diff::rules::markdown());
}

/// The whole command on the real spec, with a runtime folder that exists on neither side:
/// the report is printed and the runtime section says why it was skipped.
#[test]
fn cli_report_with_a_missing_runtime() {
    let (ok, stdout, stderr) = xtask(&[
        "diff",
        "spec/stream.openapi.json",
        "spec/stream.openapi.json",
        "--runtime-base",
        "HEAD",
        "--runtime-dir",
        "no-such-crate-here",
    ]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("0 breaking, 0 warning, 0 info"), "{stdout}");
    assert!(
        stdout.contains("\nRuntime API (no-such-crate-here/ at HEAD"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  skipped: no crate sources in no-such-crate-here/ at HEAD"),
        "{stdout}"
    );
    let (ok, _, stderr) = xtask(&["diff", "a.json", "b.json", "--runtime-base"]);
    assert!(
        !ok && stderr.contains("--runtime-base needs a git revision"),
        "{stderr}"
    );
}
