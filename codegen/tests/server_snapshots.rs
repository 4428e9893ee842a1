//! Snapshot tests of the server target: the focused specs of `tests/specs/` through
//! `generate_server`, the whole `server.rs` snapshot with `insta` (the models are the
//! client's per-type code, snapshot by `snapshots.rs`).
//!
//! Review changes with `cargo insta review` (or `INSTA_UPDATE=always cargo test -p specsmith-codegen
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
    // The spec's own config beside it (`<name>.toml`), else Cloudflare-like conventions.
    let toml = path.with_extension("toml");
    let config = match std::fs::read_to_string(&toml) {
        Ok(text) => codegen::config::Config::from_toml(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", toml.display())),
        Err(_) => {
            let mut config = codegen::config::Config::default();
            config.client.envelope_field = Some("result".to_owned());
            config.client.path_defaults = vec!["account_id".to_owned()];
            config
        }
    };
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
    // the targets agree with the client (`snapshots.rs`, same specs): `+json; charset=utf-8`
    // bodies are validated JSON and `application/problem+json` errors the failure type
    problem_json,
    // a scheme only the config declares: a `Credentials` field and a secured operation
    config_security,
    // an operation parameter replacing a path-level one: listed and validated once
    param_override,
);

/// The client and the server read the same IR: what each of the three specs above once made
/// them disagree on, checked on both outputs.
#[test]
fn client_and_server_agree_on_media_security_and_parameters() {
    let client = |name: &str| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs");
        let text = std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap();
        let config = std::fs::read_to_string(dir.join(format!("{name}.toml")))
            .map(|t| codegen::config::Config::from_toml(&t).unwrap())
            .unwrap_or_default();
        let settings = Settings {
            config,
            ..Settings::default()
        };
        codegen::build_api(&text, &settings).unwrap().0
    };

    // 1. `application/problem+json; charset=utf-8` is JSON: the client decodes the success
    // body as `Thing`; the server validates the body and the answer and types its failures.
    let api = client("problem_json");
    let op = &api.operations[0];
    assert!(matches!(
        op.response,
        codegen::model::ir::ResponseKind::Json { .. }
    ));
    assert!(matches!(
        op.body,
        Some(codegen::model::ir::Body::Json { .. })
    ));
    let server = &generate("problem_json")["src/generated/server.rs"];
    assert!(
        server.contains("client_runtime::server::Failure<super::models::Problem>"),
        "{server}"
    );
    assert!(!server.contains("response_schema: None"), "{server}");
    assert!(!server.contains("body_schema: None"), "{server}");

    // 2. A scheme only the config declares: the client reads it, the server extracts it and
    // secures the operation that does not opt out.
    let api = client("config_security");
    assert_eq!(api.security_schemes.len(), 1);
    assert_eq!(api.security, [["token".to_owned()]]);
    let server = &generate("config_security")["src/generated/server.rs"];
    assert!(server.contains("pub token: Option<String>"), "{server}");
    assert!(server.contains("security: &[&[\"token\"]]"), "{server}");
    assert!(
        server.contains("security: &[]"),
        "the public operation: {server}"
    );

    // 3. An overriding parameter: once in the client, once in the server's schema, with the
    // operation's own schema.
    let api = client("param_override");
    let wires: Vec<&str> = api.operations[0]
        .params
        .iter()
        .map(|p| p.wire.as_str())
        .collect();
    assert_eq!(wires, ["limit", "cursor"]);
    let server = &generate("param_override")["src/generated/server.rs"];
    assert_eq!(server.matches("\\\"limit\\\":").count(), 1, "{server}");
    assert!(server.contains("maxLength"), "{server}");
}

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
