//! Snapshot tests of the server target: the focused specs of `tests/specs/` through
//! `generate_server`, the whole `server.rs` snapshot with `insta` (the models are the
//! client's per-type code, snapshot by `snapshots.rs`).
//!
//! Review changes with `cargo insta review` (or `INSTA_UPDATE=always cargo test -p codegen
//! --test server_snapshots`).

use std::path::Path;

use codegen::Settings;
use codegen::emit::server::ServerSettings;

fn generate(name: &str) -> codegen::Files {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/specs")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let label = format!("codegen/tests/specs/{name}.json");
    let mut config = codegen::config::Config::default();
    config.client.envelope_field = Some("result".to_owned());
    config.client.path_defaults = vec!["account_id".to_owned()];
    let settings = Settings {
        spec_label: label.clone(),
        config,
        ..Settings::default()
    };
    let server = ServerSettings {
        spec_label: label,
        ..ServerSettings::default()
    };
    codegen::generate_server(&text, &settings, &server)
        .unwrap_or_else(|e| panic!("tests/specs/{name}.json does not generate: {e}"))
}

macro_rules! construct {
    ($($name:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            let files = generate(stringify!($name));
            insta::assert_snapshot!(
                concat!("server_", stringify!($name)),
                files["src/generated/server.rs"]
            );
        }
    )*};
}

construct!(
    // a `201` with `Location` and other headers and no body: a struct variant
    response_headers,
    // a multipart body: a form struct with a file part and text parts
    multipart,
    // text responses: `String` with the spec's content type
    text_response,
    // required and optional header parameters, typed
    header_params,
    // query parameters: scalars, enums, repeated lists
    query_params,
    // the Cloudflare envelope: JSON bodies and the failure envelope as the error type
    envelope,
);

#[test]
fn server_output_is_deterministic_and_declares_its_modules() {
    let first = generate("envelope");
    let second = generate("envelope");
    assert_eq!(first, second);
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        [
            "src/generated/mod.rs",
            "src/generated/models.rs",
            "src/generated/server.rs"
        ]
    );
    for text in first.values() {
        assert!(text.starts_with("// @generated"));
    }
    // Nothing the server builds is `#[non_exhaustive]` but the enums (which keep
    // `Unknown`).
    let models = &first["src/generated/models.rs"];
    for (i, line) in models.lines().enumerate() {
        if line.contains("#[non_exhaustive]") {
            let next = models.lines().nth(i + 1).unwrap_or_default();
            assert!(next.contains("pub enum"), "line {i}: {next}");
        }
    }
}
