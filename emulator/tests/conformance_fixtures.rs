//! The conformance fixtures' success responses validate against the schemas of the
//! emulator's generated responses (what `stream_emulator::check_response` checks its own
//! answers with), so the fixtures and the emulator agree on every operation's answer.

use std::path::Path;

/// Fixtures that hold off-spec answers on purpose, to test the client's leniency.
const LENIENT: &[&str] = &["unknown_enum_value.json", "null_in_non_nullable.json"];

#[test]
fn fixture_success_responses_match_the_generated_response_schemas() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../conformance/fixtures");
    let mut checked = 0;
    let mut failures = Vec::new();
    for op_dir in std::fs::read_dir(&root)
        .expect("the fixtures directory")
        .flatten()
    {
        let operation = op_dir.file_name().to_string_lossy().into_owned();
        for file in std::fs::read_dir(op_dir.path())
            .expect("an operation directory")
            .flatten()
        {
            let name = file.file_name().to_string_lossy().into_owned();
            if LENIENT.contains(&name.as_str()) {
                continue;
            }
            let text = std::fs::read_to_string(file.path()).expect("a fixture");
            let fixture: serde_json::Value = serde_json::from_str(&text).expect("JSON");
            let exchanges = match fixture.get("exchanges").and_then(|e| e.as_array()) {
                Some(list) => list.clone(),
                None => vec![fixture.clone()],
            };
            for exchange in exchanges {
                let response = &exchange["response"];
                let status = response["status"].as_u64().unwrap_or_default();
                let body = &response["body"];
                if !(200..300).contains(&status) || !body.is_object() {
                    continue;
                }
                checked += 1;
                if let Err(errors) = stream_emulator::check_response(&operation, body) {
                    failures.push(format!("{operation}/{name}: {errors:?}"));
                }
            }
        }
    }
    assert!(checked >= 40, "only {checked} success responses found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
