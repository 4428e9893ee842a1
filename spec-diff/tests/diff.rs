//! The spec diff: one small spec pair per rule (`tests/specs/<case>/{old,new}.json`), each
//! report snapshotted.
//!
//! Each case also asserts the rule id and level it exists for, so a snapshot accepted in a
//! hurry cannot hide a rule that stopped firing.

use std::path::{Path, PathBuf};

use serde_json::Value;
use spec_diff::{self as diff, Bump, Level, Report, Version};

/// Cloudflare's conventions, as `cargo xtask generate` passes them (names in the reports
/// depend on them; which hand-written modules exist does not).
fn settings() -> codegen::Settings {
    let mut config = codegen::config::Config::default();
    config.client.envelope_field = Some("result".to_owned());
    config.client.path_defaults = vec!["account_id".to_owned(), "zone_id".to_owned()];
    config.client.extension_methods = vec!["upload".to_owned(), "resume_upload".to_owned()];
    codegen::Settings {
        config,
        ..codegen::Settings::default()
    }
}

fn compare(old: &str, new: &str) -> Report {
    diff::compare(old, new, ("old.json", "new.json"), &settings()).expect("compare")
}

fn case_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/specs")
        .join(name)
}

fn case(name: &str) -> Report {
    let dir = case_dir(name);
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
    // The client now carries the API's security schemes, so the generated code changes too.
    security_changed: "security-changed" => "security-removed", Breaking, Patch;
    openapi_3_1_type_null: "openapi-3-1-type-null" => "response-became-nullable", Breaking, Major;
}

/// The pointer of a change names the document it points into, and resolves there.
#[test]
fn pointers_resolve_in_their_document() {
    for name in [
        "response-property-removed",
        "parameter-became-required",
        "enum-value-added",
    ] {
        let dir = case_dir(name);
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
            let pointer =
                codegen::json::Pointer::parse(&c.pointer).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(
                pointer.resolve(doc).is_some(),
                "{name}: {} does not resolve",
                c.pointer
            );
        }
    }
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
