//! The conformance run as tests: every fixture passes every check, every operation has a
//! fixture, and the checks catch drift (a renamed spec field, a changed path, query or body).

use std::collections::BTreeSet;

use conformance::dispatch;
use conformance::dispatch_support::{DispatchError, Outcome};
use conformance::fixture::{self, Case};
use conformance::runner::{CaseResult, Verdict};
use conformance::{Runner, Spec};
use serde_json::{Value, json};

fn spec_document() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/stream.openapi.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn cases() -> Vec<Case> {
    fixture::load_dir(&fixture::default_dir()).unwrap_or_else(|errors| {
        panic!(
            "unusable fixtures:\n{}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

fn case(name: &str) -> Case {
    cases()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no fixture {name}"))
}

/// Runs single cases against a spec, on a fresh runtime.
fn run_cases(spec: Spec, cases: &[Case]) -> Vec<CaseResult> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let runner = Runner::start(spec).await.unwrap();
        let mut results = Vec::new();
        for case in cases {
            results.push(runner.run_case(case).await);
        }
        results
    })
}

fn failure(result: &CaseResult, check: &str) -> String {
    match result.verdict(check) {
        Verdict::Fail(why) => why.clone(),
        other => panic!("{}: {check} should fail, got {other:?}", result.name),
    }
}

#[test]
fn every_fixture_passes_every_check() {
    let report = conformance::run_default().unwrap();
    println!("{report}");
    assert!(report.success(), "conformance failures:\n{report}");
}

#[test]
fn every_spec_operation_has_a_fixture() {
    let spec = Spec::from_document(&spec_document()).unwrap();
    let covered: BTreeSet<String> = cases().into_iter().map(|c| c.fixture.operation).collect();
    let missing: Vec<&String> = spec
        .operations
        .keys()
        .filter(|id| !covered.contains(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "operations without a fixture: {missing:?}"
    );
    // Dispatch knows exactly the spec's operations.
    let dispatchable: BTreeSet<&str> = dispatch::OPERATIONS.iter().copied().collect();
    let specified: BTreeSet<&str> = spec.operations.keys().map(String::as_str).collect();
    assert_eq!(dispatchable, specified);
    assert_eq!(spec.operations.len(), 43);
}

#[test]
fn coverage_names_an_operation_without_fixture() {
    // Drop one operation's fixtures: the report names it and fails.
    let cases: Vec<Case> = cases()
        .into_iter()
        .filter(|c| c.fixture.operation != "captions_vtt")
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let report = runtime.block_on(async {
        let runner = Runner::start(Spec::from_document(&spec_document()).unwrap())
            .await
            .unwrap();
        runner.run(&cases).await
    });
    assert_eq!(report.uncovered, vec!["captions_vtt".to_owned()]);
    assert!(!report.success());
    let table = report.to_string();
    assert!(table.contains("captions_vtt"), "{table}");
    assert!(table.ends_with("1 failed"), "{table}");
}

#[test]
fn renamed_spec_field_turns_fixture_valid_red() {
    let mut doc = spec_document();
    let schema = doc
        .pointer_mut("/components/schemas/VideoClipRequest")
        .unwrap();
    let props = schema["properties"].as_object_mut().unwrap();
    let field = props.remove("clippedFromVideoUID").unwrap();
    props.insert("clippedFromVideoId".into(), field);
    for name in schema["required"].as_array_mut().unwrap() {
        if name == "clippedFromVideoUID" {
            *name = json!("clippedFromVideoId");
        }
    }
    let spec = Spec::from_document(&doc).unwrap();
    let results = run_cases(spec, &[case("videos_clip/example")]);
    let why = failure(&results[0], "fixture-valid");
    assert!(why.contains("/request/body"), "{why}");
    assert!(why.contains("clippedFromVideoId"), "{why}");
    // Only the spec changed: the client still sends what the fixture recorded.
    assert_eq!(*results[0].verdict("request-matches"), Verdict::Pass);
}

#[test]
fn renamed_response_field_turns_fixture_valid_red() {
    // A required envelope field renamed: every recorded response now lacks it.
    let mut doc = spec_document();
    let common = doc
        .pointer_mut("/components/schemas/ApiResponseCommon")
        .unwrap();
    let props = common["properties"].as_object_mut().unwrap();
    let field = props.remove("success").unwrap();
    props.insert("succeeded".into(), field);
    common["required"] = json!(["errors", "messages", "succeeded"]);
    let results = run_cases(
        Spec::from_document(&doc).unwrap(),
        &[case("videos_get/example")],
    );
    let why = failure(&results[0], "fixture-valid");
    assert!(why.contains("/response/body"), "{why}");
    assert!(why.contains("succeeded"), "{why}");
}

#[test]
fn changed_recorded_path_query_or_body_turns_request_matches_red() {
    let spec = || Spec::from_document(&spec_document()).unwrap();

    let mut path = case("videos_get/example");
    let request = path.fixture.request.as_mut().unwrap();
    request.path = request.path.replace("/stream/", "/streams/");

    let mut query = case("videos_list/filters");
    let request = query.fixture.request.as_mut().unwrap();
    request.query.retain(|(k, _)| k != "limit");
    request.query.push(("limit".into(), "50".into()));

    let mut body = case("videos_edit/example");
    body.fixture.request.as_mut().unwrap().body["requireSignedURLs"] = json!(false);

    let results = run_cases(spec(), &[path, query, body]);

    let why = failure(&results[0], "request-matches");
    assert!(why.contains("path:"), "{why}");
    assert!(why.contains("/streams/"), "{why}");

    let why = failure(&results[1], "request-matches");
    assert!(why.contains("query: missing limit=50"), "{why}");
    assert!(why.contains("query: unexpected limit=100"), "{why}");

    let why = failure(&results[2], "request-matches");
    assert_eq!(why, "body /requireSignedURLs: expected false, got true");
}

#[test]
fn undeclared_losses_turn_round_trip_red() {
    let mut nulls = case("videos_get/null_in_non_nullable");
    nulls.fixture.lossy.clear();
    let results = run_cases(Spec::from_document(&spec_document()).unwrap(), &[nulls]);
    let why = failure(&results[0], "round-trip-lossless");
    assert!(why.contains("/result/creator"), "{why}");
}

#[test]
fn wrong_error_expectation_turns_error_typed_red() {
    let mut error = case("videos_get/not_found_404");
    let expected = &mut error.fixture.expect.as_mut().unwrap().error;
    expected.codes = Some(vec![10004]);
    expected.variant = "Decode".into();
    let results = run_cases(Spec::from_document(&spec_document()).unwrap(), &[error]);
    let why = failure(&results[0], "error-typed");
    assert!(
        why.contains("variant: expected Error::Decode, got Error::Api"),
        "{why}"
    );
    assert!(
        why.contains("codes: expected [10004], got [10003]"),
        "{why}"
    );
}

#[test]
fn dispatch_reports_bad_operations_and_arguments() {
    let client = cloudflare_stream::Client::builder()
        .token("t")
        .path_default("account_id", "a")
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let call = |op: &str, args: Value| runtime.block_on(dispatch::call(&client, op, &args));

    match call("videos_fly", json!({})) {
        Err(DispatchError::UnknownOperation { operation }) => assert_eq!(operation, "videos_fly"),
        other => panic!("{other:?}"),
    }
    let bad = |result: Result<Outcome, DispatchError>| match result {
        Err(DispatchError::BadArgument {
            operation,
            argument,
            message,
        }) => (operation, argument, message),
        other => panic!("{other:?}"),
    };
    let (op, arg, message) = bad(call("videos_get", json!({})));
    assert_eq!((op, arg.as_str()), ("videos_get", "identifier"));
    assert!(message.contains("missing"), "{message}");

    let (_, arg, message) = bad(call("videos_list", json!({"limit": "ten"})));
    assert_eq!(arg, "limit");
    assert!(message.contains("invalid type"), "{message}");

    let (_, arg, message) = bad(call("videos_list", json!({"colour": "red"})));
    assert_eq!(arg, "colour");
    assert_eq!(message, "unknown argument");

    let (_, arg, _) = bad(call("videos_clip", json!({"body": {"endTimeSeconds": 1}})));
    assert_eq!(arg, "body.clippedFromVideoUID");

    let (_, arg, message) = bad(call(
        "captions_upload",
        json!({
            "identifier": "v", "language": "tr",
            "body": {"file": {"base64": "!!"}}
        }),
    ));
    assert_eq!(arg, "body.file");
    assert!(message.contains("base64"), "{message}");
}
