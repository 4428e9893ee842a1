//! Recording against a local upstream (the replay server standing in for the real API):
//! the proxy forwards the client's real traffic, and the fixtures it writes are scrubbed and
//! replay green.

use conformance::fixture::{self, Case};
use conformance::record::{REDACTED, RecordOptions, record};
use conformance::runner::{ACCOUNT_ID, Verdict};
use conformance::server::ReplayServer;
use conformance::{Runner, Spec};
use serde_json::Value;

const TOKEN: &str = "real-token-0123456789";
const ACCOUNT: &str = "feedfacefeedfacefeedfacefeedface";

fn spec_document() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/stream.openapi.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn case(name: &str) -> Case {
    fixture::load_dir(&fixture::default_dir())
        .unwrap()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap()
}

#[test]
fn records_scrubbed_fixtures_that_replay_green() {
    let out = std::env::temp_dir().join(format!("conformance-record-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let doc = spec_document();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let upstream = ReplayServer::start().await.unwrap();
        let options = RecordOptions {
            upstream: format!("{}/client/v4", upstream.url()),
            token: TOKEN.to_owned(),
            account_id: ACCOUNT.to_owned(),
            out: out.clone(),
            operations: Vec::new(),
        };
        for name in [
            "keys_create/example",
            "watermarks_create/example",
            "videos_initiate_tus_upload/example",
        ] {
            let source = case(name);
            // The upstream answers like the real API would, with the real account id inside.
            let mut response = source.fixture.response.clone().unwrap();
            response.body = serde_json::from_str(
                &serde_json::to_string(&response.body)
                    .unwrap()
                    .replace(ACCOUNT_ID, ACCOUNT),
            )
            .unwrap();
            upstream.script(vec![response]);
            let written = record(std::slice::from_ref(&source), &doc, &options)
                .await
                .unwrap();
            assert_eq!(written.len(), 1, "{name}");

            // The upstream got the real credentials and account.
            let seen = upstream.requests();
            assert_eq!(seen.len(), 1);
            assert_eq!(
                seen[0].header("authorization"),
                Some(format!("Bearer {TOKEN}").as_str())
            );
            assert!(
                seen[0]
                    .path
                    .starts_with(&format!("/client/v4/accounts/{ACCOUNT}/"))
            );

            // The fixture holds neither, nor any x-sensitive value.
            let text = std::fs::read_to_string(&written[0]).unwrap();
            assert!(!text.contains(TOKEN), "{text}");
            assert!(!text.contains(ACCOUNT), "{text}");
            let recorded: fixture::Fixture = serde_json::from_str(&text).unwrap();
            assert_eq!(recorded.operation, source.fixture.operation);
            let request = recorded.request.clone().unwrap();
            assert!(
                request
                    .path
                    .starts_with(&format!("/accounts/{ACCOUNT_ID}/"))
            );
            if name == "keys_create/example" {
                let result = &recorded.response.as_ref().unwrap().body["result"];
                assert_eq!(result["pem"], REDACTED);
                assert_eq!(result["jwk"], REDACTED);
            }
            if name == "videos_initiate_tus_upload/example" {
                assert_eq!(request.headers["tus-resumable"], "1.0.0");
                assert_eq!(request.headers["upload-length"], "1048576");
                assert!(
                    recorded
                        .response
                        .as_ref()
                        .unwrap()
                        .headers
                        .contains_key("location")
                );
            }
        }
    });

    // The recorded fixtures replay green.
    let cases = fixture::load_dir(&out).unwrap();
    let results = runtime.block_on(async {
        let runner = Runner::start(Spec::from_document(&doc).unwrap())
            .await
            .unwrap();
        let mut results = Vec::new();
        for case in &cases {
            results.push(runner.run_case(case).await);
        }
        results
    });
    assert_eq!(results.len(), 3);
    for result in results {
        for check in ["request-matches", "response-decodes", "round-trip-lossless"] {
            assert_eq!(
                *result.verdict(check),
                Verdict::Pass,
                "{} {check}",
                result.name
            );
        }
    }
    let _ = std::fs::remove_dir_all(&out);
}
