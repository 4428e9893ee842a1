//! `cargo xtask diff`: one small spec pair per rule (`tests/specs/diff/<case>/{old,new}.json`),
//! each report snapshotted, plus the real spec against a copy with realistic edits.
//!
//! Each case also asserts the rule id and level it exists for, so a snapshot accepted in a
//! hurry cannot hide a rule that stopped firing.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use xtask::diff::{self, Bump, Level, Report, Version};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn compare(old: &str, new: &str) -> Report {
    diff::compare(old, new, ("old.json", "new.json"), &diff::settings(&root())).expect("compare")
}

fn case(name: &str) -> Report {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/specs/diff")
        .join(name);
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).expect("spec");
    compare(&read("old.json"), &read("new.json"))
}

/// Asserts that `rule` fired at `level`, and snapshots the whole text report.
fn check(name: &str, rule: &str, level: Level, bump: Bump) {
    let report = case(name);
    assert!(
        report
            .changes
            .iter()
            .any(|c| c.id == rule && c.level == level),
        "{name}: expected {rule} at {level:?}, got {:#?}",
        report.changes
    );
    assert_eq!(report.bump, bump, "{name}: semver bump");
    insta::assert_snapshot!(name, diff::render_text(&report));
}

macro_rules! cases {
    ($($test:ident: $name:literal => $rule:literal, $level:ident, $bump:ident;)*) => {$(
        #[test]
        fn $test() {
            check($name, $rule, Level::$level, Bump::$bump);
        }
    )*};
}

cases! {
    operation_removed: "operation-removed" => "api-removed", Breaking, Major;
    operation_added: "operation-added" => "api-added", Info, Minor;
    operation_id_changed: "operation-id-changed" => "api-operation-id-changed", Warning, Major;
    required_parameter_added: "required-parameter-added" => "new-required-request-parameter", Breaking, Major;
    optional_parameter_added: "optional-parameter-added" => "new-optional-request-parameter", Info, Minor;
    parameter_removed: "parameter-removed" => "request-parameter-removed", Breaking, Major;
    parameter_became_required: "parameter-became-required" => "request-parameter-became-required", Breaking, Major;
    parameter_type_changed: "parameter-type-changed" => "request-type-changed", Breaking, Major;
    path_parameter_renamed: "path-parameter-renamed" => "request-path-parameter-renamed", Info, Patch;
    request_property_added_optional: "request-property-added-optional" => "request-optional-property-added", Info, Major;
    request_property_added_required: "request-property-added-required" => "request-required-property-added", Breaking, Major;
    request_property_removed: "request-property-removed" => "request-property-removed", Breaking, Major;
    request_property_became_nullable: "request-property-became-nullable" => "request-became-nullable", Info, Major;
    request_constraint_tightened: "request-constraint-tightened" => "request-max-length-tightened", Breaking, None;
    request_body_media_type_changed: "request-body-media-type-changed" => "request-media-type-removed", Breaking, Major;
    response_property_removed: "response-property-removed" => "response-property-removed", Breaking, Major;
    response_property_added: "response-property-added" => "response-optional-property-added", Info, Minor;
    response_property_became_optional: "response-property-became-optional" => "response-property-became-optional", Breaking, Major;
    response_property_became_nullable: "response-property-became-nullable" => "response-became-nullable", Breaking, Major;
    response_property_type_changed: "response-property-type-changed" => "response-type-changed", Breaking, Major;
    enum_value_added: "enum-value-added" => "response-enum-value-added", Warning, Minor;
    enum_value_removed: "enum-value-removed" => "request-enum-value-removed", Breaking, Major;
    response_status_changed: "response-status-changed" => "response-success-status-removed", Breaking, None;
    response_header_removed: "response-header-removed" => "required-response-header-removed", Breaking, None;
    security_changed: "security-changed" => "security-removed", Breaking, None;
    openapi_3_1_type_null: "openapi-3-1-type-null" => "response-became-nullable", Breaking, Major;
}

#[test]
fn identical_documents_have_no_changes() {
    let spec = std::fs::read_to_string(root().join("spec/stream.openapi.json")).expect("spec");
    let report = compare(&spec, &spec);
    assert!(report.changes.is_empty());
    assert_eq!(report.bump, Bump::None);
    assert!(!report.fails(Level::Warning));
}

/// The pointer of a change names the document it points into, and resolves there.
#[test]
fn pointers_resolve_in_their_document() {
    for name in [
        "response-property-removed",
        "parameter-became-required",
        "enum-value-added",
    ] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/specs/diff")
            .join(name);
        let load = |f: &str| -> Value {
            serde_json::from_str(&std::fs::read_to_string(dir.join(f)).expect("spec"))
                .expect("json")
        };
        let (old, new) = (load("old.json"), load("new.json"));
        for c in case(name).changes {
            let doc = match c.side {
                diff::Side::Old => &old,
                diff::Side::New => &new,
            };
            let pointer = c.pointer.trim_start_matches('#').replace("~1", "/");
            let tokens: Vec<String> = c
                .pointer
                .trim_start_matches("#/")
                .split('/')
                .map(|t| t.replace("~1", "/").replace("~0", "~"))
                .collect();
            let mut v = doc;
            for t in &tokens {
                v = match v {
                    Value::Object(m) => m.get(t),
                    Value::Array(a) => t.parse::<usize>().ok().and_then(|i| a.get(i)),
                    _ => None,
                }
                .unwrap_or_else(|| panic!("{name}: {pointer} does not resolve ({t})"));
            }
        }
    }
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
fn json_format() {
    let report = case("parameter-became-required");
    let v: Value = serde_json::from_str(&diff::render_json(&report)).expect("json output");
    assert_eq!(v["summary"]["breaking"], 1);
    assert_eq!(v["changes"][0]["id"], "request-parameter-became-required");
    assert_eq!(v["bump"], "major");
    insta::assert_snapshot!("json_format", diff::render_json(&report));
}

#[test]
fn fail_on_levels() {
    let info = case("optional-parameter-added");
    assert!(!info.fails(Level::Warning) && !info.fails(Level::Breaking));
    let warning = case("operation-id-changed");
    assert!(warning.fails(Level::Warning));
    let breaking = case("parameter-removed");
    assert!(breaking.fails(Level::Breaking) && breaking.fails(Level::Warning));
}

/// Cargo's convention, including the pre-1.0 shift and 0.0.z.
#[test]
fn version_bumps() {
    let v = |s: &str| Version::parse(s).expect("version");
    assert_eq!(v("0.1.0").next(Bump::Major), v("0.2.0"));
    assert_eq!(v("0.1.0").next(Bump::Minor), v("0.1.1"));
    assert_eq!(v("0.1.3").next(Bump::Patch), v("0.1.4"));
    assert_eq!(v("1.4.2").next(Bump::Major), v("2.0.0"));
    assert_eq!(v("1.4.2").next(Bump::Minor), v("1.5.0"));
    assert_eq!(v("1.4.2").next(Bump::Patch), v("1.4.3"));
    assert_eq!(v("0.0.3").next(Bump::Minor), v("0.0.4"));
    assert_eq!(v("0.1.0").next(Bump::None), v("0.1.0"));
    assert_eq!(Version::parse("1.2.3-beta.1"), Some(Version(1, 2, 3)));
    assert_eq!(Version::parse("1.2"), None);
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
    let manifest = root.join("generated/Cargo.toml");
    assert!(diff::read_version(&manifest.to_string_lossy(), &root).is_ok());
}
