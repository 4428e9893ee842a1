//! Tests of `spec/stream.openapi.json` against the API reference.
//!
//! 1. coverage: every operation, parameter and documented field of the reference is in the spec;
//! 2. mutation: deleting or changing any of them in a copy of the spec is reported, by name;
//! 3. validity: the spec is OpenAPI 3.0 (`openapiv3`), every `$ref` resolves, operation ids;
//! 4. formatting: the file is exactly `serde_json::to_string_pretty` of itself plus "\n";
//! 5. the conventions the issue asks for (envelopes, security, TUS, multipart, secrets, ...);
//! 6. examples: every `example` validates against its own schema, formats included.

use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use xtask::spec_coverage::{
    ParamLocation, ProblemKind, Reference, Report, check_parsed, parse_reference,
};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn spec_path() -> PathBuf {
    root().join("spec").join("stream.openapi.json")
}

/// The reference is vendored at `spec/stream-api-reference.md` (a verbatim copy of the
/// shared seed) so a clean clone can run this test; `STREAM_API_REFERENCE` overrides it.
fn reference_text() -> String {
    let path = std::env::var("STREAM_API_REFERENCE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root().join("spec/stream-api-reference.md"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn spec_text() -> String {
    std::fs::read_to_string(spec_path()).expect("read spec/stream.openapi.json")
}

fn spec() -> Value {
    serde_json::from_str(&spec_text()).expect("spec is JSON")
}

fn reference() -> Reference {
    let r = parse_reference(&reference_text());
    assert!(
        r.warnings.is_empty(),
        "reference parse warnings: {:?}",
        r.warnings
    );
    r
}

const OPERATIONS: &[(&str, &str, &str)] = &[
    ("videos_list", "get", "/accounts/{account_id}/stream"),
    (
        "videos_initiate_tus_upload",
        "post",
        "/accounts/{account_id}/stream",
    ),
    (
        "videos_get",
        "get",
        "/accounts/{account_id}/stream/{identifier}",
    ),
    (
        "videos_edit",
        "post",
        "/accounts/{account_id}/stream/{identifier}",
    ),
    (
        "videos_delete",
        "delete",
        "/accounts/{account_id}/stream/{identifier}",
    ),
    (
        "videos_storage_usage",
        "get",
        "/accounts/{account_id}/stream/storage-usage",
    ),
    ("videos_clip", "post", "/accounts/{account_id}/stream/clip"),
    ("videos_copy", "post", "/accounts/{account_id}/stream/copy"),
    (
        "videos_direct_upload",
        "post",
        "/accounts/{account_id}/stream/direct_upload",
    ),
    (
        "videos_embed",
        "get",
        "/accounts/{account_id}/stream/{identifier}/embed",
    ),
    (
        "videos_create_token",
        "post",
        "/accounts/{account_id}/stream/{identifier}/token",
    ),
    (
        "audio_tracks_list",
        "get",
        "/accounts/{account_id}/stream/{identifier}/audio",
    ),
    (
        "audio_tracks_edit",
        "patch",
        "/accounts/{account_id}/stream/{identifier}/audio/{audio_identifier}",
    ),
    (
        "audio_tracks_delete",
        "delete",
        "/accounts/{account_id}/stream/{identifier}/audio/{audio_identifier}",
    ),
    (
        "audio_tracks_copy",
        "post",
        "/accounts/{account_id}/stream/{identifier}/audio/copy",
    ),
    ("keys_list", "get", "/accounts/{account_id}/stream/keys"),
    ("keys_create", "post", "/accounts/{account_id}/stream/keys"),
    (
        "keys_delete",
        "delete",
        "/accounts/{account_id}/stream/keys/{identifier}",
    ),
    (
        "live_inputs_list",
        "get",
        "/accounts/{account_id}/stream/live_inputs",
    ),
    (
        "live_inputs_get",
        "get",
        "/accounts/{account_id}/stream/live_inputs/{live_input_identifier}",
    ),
    (
        "live_inputs_create",
        "post",
        "/accounts/{account_id}/stream/live_inputs",
    ),
    (
        "live_inputs_update",
        "put",
        "/accounts/{account_id}/stream/live_inputs/{live_input_identifier}",
    ),
    (
        "live_inputs_delete",
        "delete",
        "/accounts/{account_id}/stream/live_inputs/{live_input_identifier}",
    ),
    (
        "live_inputs_outputs_list",
        "get",
        "/accounts/{account_id}/stream/live_inputs/{live_input_identifier}/outputs",
    ),
    (
        "live_inputs_outputs_create",
        "post",
        "/accounts/{account_id}/stream/live_inputs/{live_input_identifier}/outputs",
    ),
    (
        "live_inputs_outputs_update",
        "put",
        "/accounts/{account_id}/stream/live_inputs/{live_input_identifier}/outputs/{output_identifier}",
    ),
    (
        "live_inputs_outputs_delete",
        "delete",
        "/accounts/{account_id}/stream/live_inputs/{live_input_identifier}/outputs/{output_identifier}",
    ),
    (
        "watermarks_list",
        "get",
        "/accounts/{account_id}/stream/watermarks",
    ),
    (
        "watermarks_get",
        "get",
        "/accounts/{account_id}/stream/watermarks/{identifier}",
    ),
    (
        "watermarks_create",
        "post",
        "/accounts/{account_id}/stream/watermarks",
    ),
    (
        "watermarks_delete",
        "delete",
        "/accounts/{account_id}/stream/watermarks/{identifier}",
    ),
    (
        "webhooks_get",
        "get",
        "/accounts/{account_id}/stream/webhook",
    ),
    (
        "webhooks_update",
        "put",
        "/accounts/{account_id}/stream/webhook",
    ),
    (
        "webhooks_delete",
        "delete",
        "/accounts/{account_id}/stream/webhook",
    ),
    (
        "captions_list",
        "get",
        "/accounts/{account_id}/stream/{identifier}/captions",
    ),
    (
        "captions_get",
        "get",
        "/accounts/{account_id}/stream/{identifier}/captions/{language}",
    ),
    (
        "captions_generate",
        "post",
        "/accounts/{account_id}/stream/{identifier}/captions/{language}/generate",
    ),
    (
        "captions_upload",
        "put",
        "/accounts/{account_id}/stream/{identifier}/captions/{language}",
    ),
    (
        "captions_delete",
        "delete",
        "/accounts/{account_id}/stream/{identifier}/captions/{language}",
    ),
    (
        "captions_vtt",
        "get",
        "/accounts/{account_id}/stream/{identifier}/captions/{language}/vtt",
    ),
    (
        "downloads_list",
        "get",
        "/accounts/{account_id}/stream/{identifier}/downloads",
    ),
    (
        "downloads_create",
        "post",
        "/accounts/{account_id}/stream/{identifier}/downloads",
    ),
    (
        "downloads_delete",
        "delete",
        "/accounts/{account_id}/stream/{identifier}/downloads",
    ),
];

const TAGS: &[&str] = &[
    "videos",
    "audio_tracks",
    "keys",
    "live_inputs",
    "live_inputs_outputs",
    "watermarks",
    "webhooks",
    "captions",
    "downloads",
];

fn expected_tag(operation_id: &str) -> &'static str {
    TAGS.iter()
        .filter(|t| operation_id.starts_with(&format!("{t}_")))
        .max_by_key(|t| t.len())
        .expect("operation id starts with a tag")
}

fn op_pointer(method: &str, path: &str) -> String {
    format!(
        "/paths/{}/{method}",
        path.replace('~', "~0").replace('/', "~1")
    )
}

fn operation_id(spec: &Value, method: &str, path: &str) -> String {
    spec.pointer(&op_pointer(method, path))
        .and_then(|o| o.get("operationId"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Removes the node at `pointer` (an object member or an array element).
fn remove_at(spec: &mut Value, pointer: &str) {
    let (parent, last) = pointer.rsplit_once('/').expect("pointer has a parent");
    let key = last.replace("~1", "/").replace("~0", "~");
    match spec
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no parent at {parent}"))
    {
        Value::Object(map) => {
            map.shift_remove(&key)
                .unwrap_or_else(|| panic!("nothing at {pointer}"));
        }
        Value::Array(items) => {
            let i: usize = key.parse().expect("array index");
            items.remove(i);
        }
        other => panic!("cannot remove from {other} at {pointer}"),
    }
}

fn set_at(spec: &mut Value, pointer: &str, value: Value) {
    *spec
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("nothing at {pointer}")) = value;
}

// ---------------------------------------------------------------------------------------------
// 1. coverage
// ---------------------------------------------------------------------------------------------

#[test]
fn spec_covers_the_reference() {
    let reference = reference();
    let report = check_parsed(&reference, &spec());
    println!("{report}");
    assert_eq!(
        report.operations_total, 43,
        "the reference has 43 operations"
    );
    assert_eq!(report.operations_found, 43, "{report}");
    // Exact totals guard the parser: a regression that drops bullets changes them.
    assert_eq!(report.parameters_total, 104, "{report}");
    assert_eq!(report.fields_total, 1095, "{report}");
    assert_eq!(report.domain_types_total, 27, "{report}");
    assert_eq!(report.domain_type_fields_total, 187, "{report}");
    assert_eq!(
        report.parameters_covered, report.parameters_total,
        "{report}"
    );
    assert_eq!(report.fields_covered, report.fields_total, "{report}");
    assert_eq!(
        report.domain_types_found, report.domain_types_total,
        "{report}"
    );
    assert_eq!(
        report.domain_type_fields_covered, report.domain_type_fields_total,
        "{report}"
    );
    assert!(report.problems.is_empty(), "{report}");
    assert!(report.is_complete());
}

// ---------------------------------------------------------------------------------------------
// 2. mutation: the check fails, naming the item, when the spec loses or changes it
// ---------------------------------------------------------------------------------------------

/// Finds the index of a reference parameter in the spec operation's `parameters` list, resolving
/// `#/components/parameters/...` by hand (independently of the checker).
fn param_index(spec: &Value, op: &Value, location: ParamLocation, name: &str) -> Option<usize> {
    op.get("parameters")?.as_array()?.iter().position(|p| {
        let p = match p.get("$ref").and_then(Value::as_str) {
            Some(r) => spec
                .pointer(r.trim_start_matches('#'))
                .unwrap_or(&Value::Null),
            None => p,
        };
        p.get("in").and_then(Value::as_str) == Some(location.as_str())
            && p.get("name").and_then(Value::as_str) == Some(name)
    })
}

#[test]
fn deleting_any_parameter_is_reported() {
    let reference = reference();
    let spec = spec();
    let mut mutations = 0;
    for rop in &reference.operations {
        let ptr = op_pointer(&rop.method, &rop.path);
        let op = spec.pointer(&ptr).expect("operation in spec");
        let id = operation_id(&spec, &rop.method, &rop.path);
        for p in &rop.params {
            let i = param_index(&spec, op, p.location, &p.field.name)
                .unwrap_or_else(|| panic!("{id}: parameter {} not found", p.field.name));
            let mut mutated = spec.clone();
            remove_at(&mut mutated, &format!("{ptr}/parameters/{i}"));
            let report = check_parsed(&reference, &mutated);
            let location = format!("{} parameter '{}'", p.location.as_str(), p.field.name);
            assert!(
                report.reports_missing(&id, &location),
                "deleting {id} {location} was not reported:\n{report}"
            );
            assert_eq!(report.parameters_covered, report.parameters_total - 1);
            mutations += 1;
        }
    }
    assert_eq!(mutations, 104);
}

#[test]
fn deleting_any_field_is_reported() {
    let reference = reference();
    let spec = spec();
    let baseline = check_parsed(&reference, &spec);
    assert!(baseline.is_complete(), "{baseline}");
    // Every matched field, grouped by the spec node that holds it (shared components hold the
    // fields of many operations: deleting one must be reported for each of them).
    let mut by_pointer: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    for c in &baseline.covered {
        if c.location.contains(" field ") {
            by_pointer
                .entry(&c.pointer)
                .or_default()
                .push((&c.operation, &c.location));
        }
    }
    let fields: usize = by_pointer.values().map(Vec::len).sum();
    // All but keys_create's opaque `body: unknown`, which is reported as "request body".
    assert_eq!(
        fields,
        baseline.fields_total - 1 + baseline.domain_type_fields_total
    );
    for (pointer, items) in &by_pointer {
        let mut mutated = spec.clone();
        remove_at(&mut mutated, pointer);
        let report = check_parsed(&reference, &mutated);
        for (operation, location) in items {
            assert!(
                report.reports_missing(operation, location),
                "deleting {pointer} did not report {operation}: {location} missing:\n{report}"
            );
        }
        assert!(!report.is_complete());
    }
    println!(
        "{} field deletions checked ({} fields)",
        by_pointer.len(),
        fields
    );
}

#[test]
fn hand_picked_deletions_are_reported() {
    let reference = reference();
    let spec = spec();

    let mut m = spec.clone();
    remove_at(&mut m, "/components/schemas/VideoStatus/properties/state");
    let r = check_parsed(&reference, &m);
    assert!(
        r.reports_missing("videos_get", "response field result.status.state"),
        "{r}"
    );
    assert!(
        r.reports_missing("videos_list", "response field result[].status.state"),
        "{r}"
    );
    assert!(
        r.reports_missing("components", "schema 'Video' field status.state"),
        "{r}"
    );

    let mut m = spec.clone();
    remove_at(&mut m, "/components/schemas/VideoInput/properties/height");
    let r = check_parsed(&reference, &m);
    assert!(
        r.reports_missing("videos_list", "response field result[].input.height"),
        "{r}"
    );

    let mut m = spec.clone();
    remove_at(
        &mut m,
        "/components/schemas/TokenAccessRule/properties/country",
    );
    let r = check_parsed(&reference, &m);
    assert!(
        r.reports_missing("videos_create_token", "body field accessRules[].country"),
        "{r}"
    );

    let mut m = spec.clone();
    remove_at(
        &mut m,
        "/components/schemas/VideoListEnvelope/allOf/1/properties/range",
    );
    let r = check_parsed(&reference, &m);
    assert!(
        r.reports_missing("videos_list", "response field range"),
        "{r}"
    );

    // A whole operation.
    let mut m = spec.clone();
    remove_at(
        &mut m,
        &op_pointer(
            "get",
            "/accounts/{account_id}/stream/{identifier}/captions/{language}/vtt",
        ),
    );
    let r = check_parsed(&reference, &m);
    assert_eq!(r.operations_found, 42);
    assert!(
        r.reports_missing(
            "GET /accounts/{account_id}/stream/{identifier}/captions/{language}/vtt",
            "operation"
        ),
        "{r}"
    );

    // A request body.
    let mut m = spec.clone();
    remove_at(
        &mut m,
        &format!(
            "{}/requestBody",
            op_pointer("post", "/accounts/{account_id}/stream/clip")
        ),
    );
    let r = check_parsed(&reference, &m);
    assert!(r.reports_missing("videos_clip", "request body"), "{r}");
    assert_eq!(r.fields_total - r.fields_covered, 14, "{r}"); // 13 fields + watermark.uid
}

fn assert_mismatch(report: &Report, operation: &str, location: &str, contains: &str) {
    let found = report.problems.iter().any(|p| {
        p.operation == operation
            && p.location == location
            && matches!(&p.kind, ProblemKind::Mismatch(m) if m.contains(contains))
    });
    assert!(
        found,
        "expected `{operation}: {location}: ...{contains}...` in:\n{report}"
    );
}

#[test]
fn changed_types_and_requiredness_are_reported() {
    let reference = reference();
    let spec = spec();
    let check = |m: &Value| check_parsed(&reference, m);

    // Type flips.
    let mut m = spec.clone();
    set_at(
        &mut m,
        "/components/schemas/Video/properties/duration/type",
        json!("string"),
    );
    let r = check(&m);
    assert_mismatch(
        &r,
        "videos_get",
        "response field result.duration",
        "expected number, found string",
    );
    assert_mismatch(
        &r,
        "videos_list",
        "response field result[].duration",
        "expected number, found string",
    );

    let mut m = spec.clone();
    let limit = param_index(
        &spec,
        spec.pointer(&op_pointer("get", "/accounts/{account_id}/stream"))
            .unwrap(),
        ParamLocation::Query,
        "limit",
    )
    .unwrap();
    set_at(
        &mut m,
        &format!(
            "{}/parameters/{limit}/schema/type",
            op_pointer("get", "/accounts/{account_id}/stream")
        ),
        json!("boolean"),
    );
    assert_mismatch(
        &check(&m),
        "videos_list",
        "query parameter 'limit'",
        "expected number, found boolean",
    );

    let mut m = spec.clone();
    set_at(
        &mut m,
        "/components/schemas/VideoState/enum",
        json!(["ready", "error"]),
    );
    let r = check(&m);
    assert_mismatch(
        &r,
        "videos_get",
        "response field result.status.state",
        "expected enum [pendingupload",
    );
    assert_mismatch(
        &r,
        "videos_list",
        "query parameter 'status'",
        "found string enum [ready, error]",
    );

    let mut m = spec.clone();
    set_at(
        &mut m,
        "/components/schemas/ApiResponseCommon/properties/success/enum",
        json!([false]),
    );
    assert_mismatch(
        &check(&m),
        "keys_list",
        "response field success",
        "expected literal true",
    );

    let mut m = spec.clone();
    set_at(
        &mut m,
        "/components/schemas/Video/properties/allowedOrigins/items",
        json!({"type": "integer"}),
    );
    assert_mismatch(
        &check(&m),
        "videos_edit",
        "response field result.allowedOrigins",
        "array items: expected string",
    );

    // Required-ness flips.
    let mut m = spec.clone();
    set_at(
        &mut m,
        "/components/schemas/ApiResponseCommon/required",
        json!(["messages", "success"]),
    );
    assert_mismatch(
        &check(&m),
        "videos_get",
        "response field errors",
        "expected required, found optional",
    );

    let mut m = spec.clone();
    set_at(
        &mut m,
        "/components/schemas/Download/required",
        json!(["status"]),
    );
    assert_mismatch(
        &check(&m),
        "downloads_list",
        "response field result.audio.percentComplete",
        "expected required, found optional",
    );

    let mut m = spec.clone();
    m.pointer_mut("/components/schemas/Video")
        .unwrap()
        .as_object_mut()
        .unwrap()
        .insert("required".into(), json!(["uid"]));
    assert_mismatch(
        &check(&m),
        "videos_get",
        "response field result.uid",
        "expected optional, found required",
    );

    let mut m = spec.clone();
    set_at(
        &mut m,
        "/components/schemas/VideoClipRequest/required",
        json!(["clippedFromVideoUID", "endTimeSeconds"]),
    );
    assert_mismatch(
        &check(&m),
        "videos_clip",
        "body field startTimeSeconds",
        "expected required, found optional",
    );

    let mut m = spec.clone();
    set_at(
        &mut m,
        "/components/parameters/AccountId/required",
        json!(false),
    );
    assert_mismatch(
        &check(&m),
        "webhooks_get",
        "path parameter 'account_id'",
        "expected required, found optional",
    );

    let tus = op_pointer("post", "/accounts/{account_id}/stream");
    let i = param_index(
        &spec,
        spec.pointer(&tus).unwrap(),
        ParamLocation::Header,
        "Upload-Length",
    )
    .unwrap();
    let mut m = spec.clone();
    set_at(
        &mut m,
        &format!("{tus}/parameters/{i}/required"),
        json!(false),
    );
    assert_mismatch(
        &check(&m),
        "videos_initiate_tus_upload",
        "header parameter 'Upload-Length'",
        "expected required, found optional",
    );

    // Descriptions, summaries.
    let mut m = spec.clone();
    remove_at(
        &mut m,
        "/components/schemas/Video/properties/duration/description",
    );
    assert_mismatch(
        &check(&m),
        "videos_get",
        "response field result.duration",
        "description missing",
    );

    let mut m = spec.clone();
    set_at(
        &mut m,
        &format!(
            "{}/summary",
            op_pointer("get", "/accounts/{account_id}/stream/keys")
        ),
        json!("Keys"),
    );
    assert_mismatch(
        &check(&m),
        "keys_list",
        "summary",
        "expected \"List signing keys\"",
    );

    // A dangling $ref is a mismatch, never a panic.
    let mut m = spec.clone();
    set_at(
        &mut m,
        "/components/schemas/Video/properties/input",
        json!({"$ref": "#/components/schemas/Nope"}),
    );
    assert_mismatch(
        &check(&m),
        "videos_get",
        "response field result.input",
        "unresolved $ref",
    );
}

// ---------------------------------------------------------------------------------------------
// 3. validity
// ---------------------------------------------------------------------------------------------

fn collect_refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref" {
                    if let Some(s) = v.as_str() {
                        out.push(s);
                    }
                } else {
                    collect_refs(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[test]
fn spec_is_valid_openapi_3_0() {
    let spec = spec();
    let api: openapiv3::OpenAPI =
        serde_json::from_value(spec.clone()).expect("deserializes as openapiv3::OpenAPI");
    assert_eq!(api.openapi, "3.0.3");
    assert_eq!(api.info.title, "Cloudflare Stream API");
    assert!(!api.info.version.is_empty());
    assert_eq!(api.servers.len(), 1);
    assert_eq!(api.servers[0].url, "https://api.cloudflare.com/client/v4");

    let mut refs = Vec::new();
    collect_refs(&spec, &mut refs);
    assert!(refs.len() > 100);
    for r in refs {
        let target = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("non-local $ref {r}"));
        assert!(spec.pointer(target).is_some(), "$ref {r} does not resolve");
    }

    let expected: BTreeMap<&str, (&str, &str)> = OPERATIONS
        .iter()
        .map(|(id, m, p)| (*id, (*m, *p)))
        .collect();
    let mut seen = BTreeSet::new();
    for (path, item) in &api.paths.paths {
        let item = item.as_item().expect("path items are inline");
        for (method, op) in item.iter() {
            let id = op
                .operation_id
                .as_deref()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(seen.insert(id.to_string()), "duplicate operationId {id}");
            assert_eq!(
                expected.get(id),
                Some(&(method, path.as_str())),
                "{id} is on {method} {path}"
            );
            assert_eq!(op.tags, vec![expected_tag(id).to_string()], "{id} tags");
            assert!(
                op.summary.as_deref().is_some_and(|s| !s.is_empty()),
                "{id} summary"
            );
            assert!(
                op.description.as_deref().is_some_and(|s| !s.is_empty()),
                "{id} description"
            );
        }
    }
    assert_eq!(seen.len(), 43);

    let tag_names: Vec<&str> = api.tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tag_names, TAGS);
    assert!(
        api.tags
            .iter()
            .all(|t| t.description.as_deref().is_some_and(|d| !d.is_empty()))
    );
}

// ---------------------------------------------------------------------------------------------
// 4. stable formatting
// ---------------------------------------------------------------------------------------------

#[test]
fn spec_formatting_is_stable() {
    let text = spec_text();
    let value: Value = serde_json::from_str(&text).unwrap();
    let pretty = serde_json::to_string_pretty(&value).unwrap() + "\n";
    if pretty != text {
        let first = pretty.lines().zip(text.lines()).position(|(a, b)| a != b);
        panic!(
            "spec/stream.openapi.json is not in canonical form (first differing line: {first:?})"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 5. conventions
// ---------------------------------------------------------------------------------------------

fn schema_of<'a>(spec: &'a Value, r: &str) -> &'a Value {
    spec.pointer(&format!("/components/schemas/{r}"))
        .unwrap_or_else(|| panic!("no schema {r}"))
}

fn resolve<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(
            spec,
            spec.pointer(r.trim_start_matches('#'))
                .expect("ref resolves"),
        ),
        None => v,
    }
}

#[test]
fn spec_follows_cloudflare_conventions() {
    let spec = spec();
    let schemes = spec.pointer("/components/securitySchemes").unwrap();
    assert_eq!(
        schemes["api_token"],
        json!({"type": "http", "description": schemes["api_token"]["description"], "scheme": "bearer"})
    );
    assert_eq!(schemes["api_email"]["in"], "header");
    assert_eq!(schemes["api_email"]["name"], "X-Auth-Email");
    assert_eq!(schemes["api_key"]["name"], "X-Auth-Key");
    assert_eq!(
        spec["security"],
        json!([{"api_token": []}, {"api_email": [], "api_key": []}])
    );

    let failure = schema_of(&spec, "ApiResponseFailure");
    assert_eq!(failure["properties"]["success"]["enum"], json!([false]));
    assert_eq!(failure["properties"]["result"]["nullable"], json!(true));
    let message = schema_of(&spec, "ResponseMessage");
    assert_eq!(message["properties"]["code"]["type"], "integer");

    for (id, method, path) in OPERATIONS {
        let op = spec.pointer(&op_pointer(method, path)).unwrap();
        // 4XX failure envelope.
        let fail = resolve(&spec, &op["responses"]["4XX"]);
        assert_eq!(
            fail["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ApiResponseFailure",
            "{id}"
        );
        // account_id shared and required.
        assert_eq!(
            op["parameters"][0]["$ref"], "#/components/parameters/AccountId",
            "{id}"
        );
        for p in op["parameters"].as_array().unwrap() {
            let p = resolve(&spec, p);
            if p["in"] == "path" {
                assert_eq!(p["required"], json!(true), "{id} {}", p["name"]);
            }
        }
        // Bodies and responses point at named schemas, never inline objects.
        let mut media = Vec::new();
        if let Some(c) = op
            .pointer("/requestBody/content")
            .and_then(Value::as_object)
        {
            media.extend(c.values());
        }
        for (code, resp) in op["responses"].as_object().unwrap() {
            if code.starts_with('2')
                && let Some(c) = resp.get("content").and_then(Value::as_object)
            {
                media.extend(c.values());
            }
        }
        for m in media {
            assert!(
                m["schema"].get("$ref").is_some(),
                "{id}: inline media schema"
            );
        }
        // Envelopes expose `result` after allOf merging.
        if let Some(s) = op
            .pointer("/responses/200/content/application~1json/schema/$ref")
            .and_then(Value::as_str)
        {
            let env = resolve(&spec, &json!({"$ref": s})).clone();
            if let Some(branches) = env.get("allOf").and_then(Value::as_array) {
                assert_eq!(
                    branches[0]["$ref"], "#/components/schemas/ApiResponseCommon",
                    "{id}"
                );
                assert!(
                    branches[1]["properties"].get("result").is_some(),
                    "{id}: result"
                );
            }
        }
    }

    // videos_list envelope has range and total next to result.
    let list = schema_of(&spec, "VideoListEnvelope");
    for k in ["result", "range", "total"] {
        assert!(list["allOf"][1]["properties"].get(k).is_some(), "{k}");
    }

    // TUS.
    let tus = spec
        .pointer(&op_pointer("post", "/accounts/{account_id}/stream"))
        .unwrap();
    let created = &tus["responses"]["201"];
    assert!(created.get("content").is_none());
    assert_eq!(
        created["headers"]["Location"]["schema"],
        json!({"type": "string", "format": "uri"})
    );
    assert_eq!(
        created["headers"]["stream-media-id"]["schema"]["type"],
        "string"
    );
    assert_eq!(
        created["headers"]["Tus-Resumable"]["schema"]["enum"],
        json!(["1.0.0"])
    );

    // Text responses.
    let vtt = spec
        .pointer(&op_pointer(
            "get",
            "/accounts/{account_id}/stream/{identifier}/captions/{language}/vtt",
        ))
        .unwrap();
    assert_eq!(
        resolve(
            &spec,
            &vtt["responses"]["200"]["content"]["text/vtt"]["schema"]
        )["type"],
        "string"
    );
    let embed = spec
        .pointer(&op_pointer(
            "get",
            "/accounts/{account_id}/stream/{identifier}/embed",
        ))
        .unwrap();
    assert_eq!(
        resolve(
            &spec,
            &embed["responses"]["200"]["content"]["text/html"]["schema"]
        )["type"],
        "string"
    );

    // Multipart uploads with a binary `file` part.
    for (method, path) in [
        (
            "put",
            "/accounts/{account_id}/stream/{identifier}/captions/{language}",
        ),
        ("post", "/accounts/{account_id}/stream/watermarks"),
    ] {
        let op = spec.pointer(&op_pointer(method, path)).unwrap();
        let body = resolve(
            &spec,
            &op["requestBody"]["content"]["multipart/form-data"]["schema"],
        );
        assert_eq!(body["properties"]["file"]["format"], "binary", "{path}");
    }

    // keys_create: optional body, empty object schema.
    let keys = spec
        .pointer(&op_pointer("post", "/accounts/{account_id}/stream/keys"))
        .unwrap();
    assert_eq!(keys["requestBody"]["required"], json!(false));
    let body = resolve(
        &spec,
        &keys["requestBody"]["content"]["application/json"]["schema"],
    );
    assert_eq!(body["type"], "object");
    assert!(body.get("properties").is_none());

    // Secrets.
    for (schema, prop) in [
        ("Keys", "pem"),
        ("Keys", "jwk"),
        ("WebhookGetResponse", "secret"),
        ("TokenCreateResponse", "token"),
        ("TokenCreateRequest", "pem"),
        ("LiveInputRtmps", "streamKey"),
        ("LiveInputRtmpsPlayback", "streamKey"),
        ("LiveInputSrt", "passphrase"),
        ("LiveInputSrtPlayback", "passphrase"),
        ("Output", "streamKey"),
        ("OutputCreateRequest", "streamKey"),
    ] {
        assert_eq!(
            schema_of(&spec, schema)["properties"][prop]["x-sensitive"],
            json!(true),
            "{schema}.{prop}"
        );
    }

    // Nullable-to-clear fields, everywhere they appear; no inline object in a component.
    let mut scheduled = 0;
    for (name, schema) in spec
        .pointer("/components/schemas")
        .unwrap()
        .as_object()
        .unwrap()
    {
        let mut stack: Vec<(&Value, bool)> = vec![(schema, false)];
        while let Some((s, nested)) = stack.pop() {
            if nested {
                assert!(
                    s.get("properties").is_none(),
                    "{name} has an inline object schema"
                );
            }
            if let Some(props) = s.get("properties").and_then(Value::as_object) {
                for (p, ps) in props {
                    if p == "scheduledDeletion" || p == "deleteRecordingAfterDays" {
                        assert_eq!(ps["nullable"], json!(true), "{name}.{p}");
                        scheduled += 1;
                    }
                    stack.push((ps, true));
                }
            }
            if let Some(items) = s.get("items") {
                stack.push((items, true));
            }
            if let Some(branches) = s.get("allOf").and_then(Value::as_array) {
                // Envelope branches (and description wrappers) may carry properties themselves.
                stack.extend(branches.iter().map(|b| (b, false)));
            }
        }
    }
    assert!(scheduled >= 8, "{scheduled}");
}

// ---------------------------------------------------------------- examples

/// An OpenAPI 3.0 schema as JSON Schema 2020-12: `nullable` becomes a `null` alternative,
/// component `$ref`s point into `$defs`, annotations JSON Schema does not know are dropped.
fn json_schema(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (key, value) in map {
                match key.as_str() {
                    "example" | "discriminator" | "xml" | "externalDocs" | "nullable" => {}
                    k if k.starts_with("x-") => {}
                    "$ref" => {
                        let target = value.as_str().unwrap_or_default();
                        let target = target.replace("#/components/schemas/", "#/$defs/");
                        out.insert(key.clone(), json!(target));
                    }
                    "properties" | "patternProperties" => {
                        let props = value
                            .as_object()
                            .map(|props| {
                                props
                                    .iter()
                                    .map(|(name, schema)| (name.clone(), json_schema(schema)))
                                    .collect()
                            })
                            .unwrap_or_default();
                        out.insert(key.clone(), Value::Object(props));
                    }
                    "items" | "additionalProperties" | "not" => {
                        out.insert(key.clone(), json_schema(value));
                    }
                    "allOf" | "anyOf" | "oneOf" => {
                        let all = value
                            .as_array()
                            .map(|a| a.iter().map(json_schema).collect());
                        out.insert(key.clone(), Value::Array(all.unwrap_or_default()));
                    }
                    _ => {
                        out.insert(key.clone(), value.clone());
                    }
                }
            }
            if map.get("nullable") == Some(&json!(true)) {
                return json!({"anyOf": [Value::Object(out), {"type": "null"}]});
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// Every `example` of the spec: its JSON pointer, the example, and the schema it
/// illustrates (a schema's own; a parameter's, header's or media type's `schema`).
fn examples(value: &Value, pointer: &str, out: &mut Vec<(String, Value, Value)>) {
    match value {
        Value::Object(map) => {
            if let Some(example) = map.get("example") {
                let schema = map.get("schema").unwrap_or(value);
                out.push((
                    format!("{pointer}/example"),
                    example.clone(),
                    schema.clone(),
                ));
            }
            for (key, child) in map {
                if key != "example" {
                    let key = key.replace('~', "~0").replace('/', "~1");
                    examples(child, &format!("{pointer}/{key}"), out);
                }
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                examples(child, &format!("{pointer}/{index}"), out);
            }
        }
        _ => {}
    }
}

/// Validates each example against its schema with formats (`date-time`, `uri`, ...).
fn example_violations(spec: &Value) -> Vec<String> {
    let defs: serde_json::Map<String, Value> = spec["components"]["schemas"]
        .as_object()
        .expect("components/schemas")
        .iter()
        .map(|(name, schema)| (name.clone(), json_schema(schema)))
        .collect();
    let mut found = Vec::new();
    examples(spec, "", &mut found);
    assert!(found.len() > 10, "the spec has examples: {}", found.len());
    let mut violations = Vec::new();
    for (pointer, example, schema) in found {
        let mut root = match json_schema(&schema) {
            Value::Object(map) => map,
            other => panic!("{pointer}: schema is not an object: {other}"),
        };
        root.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        root.insert("$defs".into(), Value::Object(defs.clone()));
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&Value::Object(root))
            .unwrap_or_else(|e| panic!("{pointer}: the schema does not compile: {e}"));
        for error in validator.iter_errors(&example) {
            violations.push(format!("{pointer}{}: {error}", error.instance_path()));
        }
    }
    violations
}

#[test]
fn every_example_validates_against_its_schema_formats_included() {
    let violations = example_violations(&spec());
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn a_bad_example_is_caught() {
    let mut spec = spec();
    let example = spec
        .pointer_mut("/paths/~1accounts~1{account_id}~1stream~1direct_upload/post/responses/200/content/application~1json/example/result")
        .expect("the direct upload example");
    example["uploadURL"] = json!("www.example.com/samplepath");
    example["scheduledDeletion"] = json!("next tuesday");
    let violations = example_violations(&spec).join("\n");
    assert!(violations.contains("/result/uploadURL"), "{violations}");
    assert!(
        violations.contains("/result/scheduledDeletion"),
        "{violations}"
    );
}
