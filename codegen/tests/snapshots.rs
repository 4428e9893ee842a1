//! Snapshot tests: one small focused spec per construct (`tests/specs/<name>.json`), the
//! whole generated output snapshot with `insta`, plus the error messages for bad specs.
//!
//! Review changes with `cargo insta review` (or `INSTA_UPDATE=always cargo test -p specsmith-codegen
//! --test snapshots` and `git diff codegen/tests/snapshots`).

use std::path::Path;

use codegen::Settings;

/// The default settings (the spec's `<name>.toml` config beside it, if any), with a stable
/// label so the header does not depend on the checkout location; the `envelope` construct
/// adds a config that unwraps `result` and fills `account_id` from the client.
fn settings(name: &str) -> Settings {
    let mut config = spec_config(name);
    if name == "envelope_data" {
        config.client.envelope_field = Some("data".to_owned());
    }
    if name == "envelope" {
        config.client.envelope_field = Some("result".to_owned());
        config.client.path_defaults = vec!["account_id".to_owned()];
        config.client.env_prefix = Some("THINGS".to_owned());
    }
    Settings {
        spec_label: format!("codegen/tests/specs/{name}.json"),
        config,
        ..Settings::default()
    }
}

/// `tests/specs/<name>.toml`, the config of a construct that needs one, else the defaults.
fn spec_config(name: &str) -> codegen::config::Config {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/specs")
        .join(format!("{name}.toml"));
    match std::fs::read_to_string(&path) {
        Ok(text) => codegen::config::Config::from_toml(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        Err(_) => codegen::config::Config::default(),
    }
}

fn spec_text(name: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs");
    let yaml = dir.join(format!("{name}.yaml"));
    let path = if yaml.exists() {
        yaml
    } else {
        dir.join(format!("{name}.json"))
    };
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The generated models and operations (not `lib.rs`, which every construct shares, nor
/// `client.rs` but for the constructs about it), each file introduced by a
/// `// ==== path ====` line, in path order.
fn generate(name: &str) -> String {
    let files = codegen::generate(&spec_text(name), &settings(name))
        .unwrap_or_else(|e| panic!("tests/specs/{name} does not generate: {e}"));
    let mut out = String::new();
    let shown = files.iter().filter(|(path, _)| {
        path.as_str() == "src/models.rs"
            || path.starts_with("src/operations/")
            || (path.as_str() == "src/client.rs"
                && matches!(
                    name,
                    "envelope"
                        | "envelope_data"
                        | "security"
                        | "config_security"
                        | "client_methods"
                ))
    });
    for (path, content) in shown {
        out.push_str(&format!("// ==== {path} ====\n"));
        out.push_str(content);
        if !content.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// One test per spec file; the snapshot is named after it.
macro_rules! construct {
    ($($name:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            insta::assert_snapshot!(stringify!($name), generate(stringify!($name)));
        }
    )*};
}

construct!(
    // required and optional fields, formats, inline object, untyped field, deprecated
    structs,
    // string enum with an `Unknown(String)` fallback, awkward variant names, integer enum
    string_enum,
    // 3.0 `nullable` vs optional: tri-state `Nullable` for optional+nullable
    nullable,
    // allOf merging (refs + inline, `required` from every part, single-ref alias, nested)
    all_of,
    // oneOf / anyOf: untagged union, `null` alternative folding, string-enum merging
    one_of,
    // multipart body: file part (with and without `format: binary`) and text parts
    multipart,
    // text/vtt, text/plain and text/html responses are `String`
    text_response,
    // security schemes of every kind, per-operation security, server variables
    security,
    // the targets agree (see `server_snapshots.rs` for the same specs): JSON media types with
    // `+json` suffixes and `; charset=utf-8` parameters, a scheme only the config declares,
    // an operation parameter replacing a path-level one
    problem_json,
    config_security,
    param_override,
    // request header parameters, required and optional
    header_params,
    // 201 with `Location` and other headers and no body
    response_headers,
    // several path parameters, shared path-item ones, a parameter inside a segment
    path_params,
    // 3.1 type arrays (`["string", "null"]`), `const`, multi-type
    type_arrays,
    // additionalProperties maps (schema, true, false, free-form, with properties)
    additional_properties,
    // self-recursive and mutually recursive schemas need a `Box`
    recursive,
    // `$ref` with sibling keywords (description, nullable, default)
    ref_siblings,
    // enums listing `null`
    enum_null,
    // `2XX`/`4XX`/`5XX`/`4xx`/`default` response keys, several success codes
    status_ranges,
    // empty media type objects (`"application/json": {}`)
    empty_media,
    // request bodies and responses without a schema
    no_schema_body,
    // `x-*` extensions everywhere, `x-sensitive`
    vendor_extensions,
    // Rust keywords and odd characters as field, parameter, type and operation names
    keywords,
    // names that collide after case conversion
    collisions,
    // a Cloudflare-style envelope (`result`) and a client-defaulted `account_id`
    envelope,
    // the same envelope with its payload under `data`: `send()` returns `data`; the
    // envelopes stay structs (only `result` is the runtime's shared `Envelope<T>`)
    envelope_data,
    // query parameters of every shape the Cloudflare corpus uses: arrays (inline and `$ref`),
    // unions, objects, arrays of objects
    query_params,
    // names the generated code uses itself: `options`, `new`, `additional_properties`,
    // `EnumVisitor`, `client`, `send`
    reserved_names,
    // tags that are keywords, start with a digit or hold spaces and slashes; an empty
    // operationId
    tag_names,
    // a property `allOf: [$ref to the enclosing schema]` is recursion (needs a `Box`)
    recursive_all_of,
    // `$ref`s that are any JSON pointer: into a schema's properties and items, a path's
    // response, a parameter's, header's and request body's schema (recursive through one),
    // percent-encoded and `~`-escaped; boolean schemas; `not` (ignored, warned)
    refs_anywhere,
    // schema names that shadow std and serde items (`Result`, `Option`, `Box`, `Vec`,
    // `String`, `Value`, ...), each recursive; property names that are keywords, empty,
    // digit-first or non-ASCII; a recursive schema as path, query, body and builder input
    adversarial_names,
    // YAML 1.2 input: anchors, merge keys, unquoted status codes, `on`/`no` as strings
    yaml_input,
    // tags named like the client's own methods (`runtime`, `builder`, `request`,
    // `from_env`) and a keyword (`type`): their handles take other names
    client_methods,
);

/// Every bad spec fails with a message that starts with the JSON pointer of the problem.
#[test]
fn error_messages() {
    const MINIMAL_PATHS: &str = r#""paths": {}"#;
    let info = r#""info": { "title": "T", "version": "1" }"#;
    let doc = |body: &str| format!(r#"{{ "openapi": "3.0.3", {info}, {body} }}"#);
    let with_op = |op: &str| doc(&format!(r#""paths": {{ "/a/{{id}}": {{ "get": {op} }} }}"#));
    let with_schema = |schema: &str| {
        doc(&format!(
            r#"{MINIMAL_PATHS}, "components": {{ "schemas": {{ "S": {schema} }} }}"#
        ))
    };
    let path_param =
        r#"{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }"#;

    let cases: Vec<(&str, String)> = vec![
        ("invalid JSON", r#"{ "openapi": "3.0.3", "#.to_owned()),
        ("not an object", "[1, 2, 3]".to_owned()),
        (
            "missing openapi",
            format!(r#"{{ {info}, {MINIMAL_PATHS} }}"#),
        ),
        (
            "openapi not a string",
            format!(r#"{{ "openapi": 3, {info}, {MINIMAL_PATHS} }}"#),
        ),
        (
            "swagger 2.0",
            format!(r#"{{ "swagger": "2.0", {info}, {MINIMAL_PATHS} }}"#),
        ),
        (
            "openapi 4.0",
            format!(r#"{{ "openapi": "4.0.0", {info}, {MINIMAL_PATHS} }}"#),
        ),
        (
            "missing info",
            format!(r#"{{ "openapi": "3.0.3", {MINIMAL_PATHS} }}"#),
        ),
        (
            "missing info.title",
            format!(r#"{{ "openapi": "3.0.3", "info": {{ "version": "1" }}, {MINIMAL_PATHS} }}"#),
        ),
        (
            "3.0 without paths",
            format!(r#"{{ "openapi": "3.0.3", {info} }}"#),
        ),
        ("paths not an object", doc(r#""paths": []"#)),
        ("path without leading slash", doc(r#""paths": { "a": {} }"#)),
        (
            "bad $ref (not local)",
            with_op(&format!(
                r#"{{ "parameters": [{path_param}], "responses": {{ "200": {{ "$ref": "other.json#/r" }} }} }}"#
            )),
        ),
        (
            "dangling $ref (parameter)",
            with_op(
                r##"{ "parameters": [{ "$ref": "#/components/parameters/Nope" }], "responses": {} }"##,
            ),
        ),
        (
            "dangling $ref (schema)",
            with_schema(
                r##"{ "type": "object", "properties": { "x": { "$ref": "#/components/schemas/Nope" } } }"##,
            ),
        ),
        (
            "schema $ref to nothing outside components/schemas",
            with_schema(r##"{ "$ref": "#/paths/x" }"##),
        ),
        (
            "remote schema $ref",
            with_schema(r##"{ "$ref": "https://example.com/pet.json#/Pet" }"##),
        ),
        (
            "file schema $ref",
            with_schema(r##"{ "$ref": "pet.yaml" }"##),
        ),
        (
            "malformed schema $ref",
            with_schema(r##"{ "$ref": "#/components/schemas/a~2b" }"##),
        ),
        (
            "invalid YAML (line named)",
            "openapi: 3.0.3\ninfo:\n  title: [T\n  version: 1\n".to_owned(),
        ),
        (
            "YAML error located by pointer and line",
            "openapi: 3.0.3\ninfo:\n  title: T\n  version: '1'\npaths:\n  /a:\n    get:\n      responses:\n        200:\n          description: 7\n".to_owned(),
        ),
        (
            "$ref loop",
            doc(r##""paths": { "/a": { "$ref": "#/paths/~1a" } }"##),
        ),
        ("schema not an object", with_schema("42")),
        ("type not a string", with_schema(r#"{ "type": 7 }"#)),
        (
            "tuple items",
            with_schema(r#"{ "type": "array", "items": [{ "type": "string" }] }"#),
        ),
        ("empty oneOf", with_schema(r#"{ "oneOf": [] }"#)),
        (
            "properties not an object",
            with_schema(r#"{ "type": "object", "properties": [] }"#),
        ),
        (
            "required not an array",
            with_schema(r#"{ "type": "object", "required": "x" }"#),
        ),
        (
            "enum not an array",
            with_schema(r#"{ "type": "string", "enum": "x" }"#),
        ),
        (
            "nullable not a boolean",
            with_schema(r#"{ "type": "string", "nullable": "yes" }"#),
        ),
        (
            "description not a string",
            with_schema(r#"{ "type": "string", "description": 1 }"#),
        ),
        (
            "cyclic allOf",
            with_schema(r##"{ "allOf": [{ "$ref": "#/components/schemas/S" }] }"##),
        ),
        (
            "path param not required",
            with_op(
                r#"{ "parameters": [{ "name": "id", "in": "path", "schema": { "type": "string" } }], "responses": {} }"#,
            ),
        ),
        (
            "cookie param",
            with_op(&format!(
                r#"{{ "parameters": [{path_param}, {{ "name": "c", "in": "cookie", "schema": {{ "type": "string" }} }}], "responses": {{}} }}"#
            )),
        ),
        (
            "unknown parameter location",
            with_op(&format!(
                r#"{{ "parameters": [{path_param}, {{ "name": "c", "in": "body", "schema": {{ "type": "string" }} }}], "responses": {{}} }}"#
            )),
        ),
        (
            "parameter declared twice",
            with_op(&format!(
                r#"{{ "parameters": [{path_param}, {path_param}], "responses": {{}} }}"#
            )),
        ),
        (
            "parameter name not a string",
            with_op(r#"{ "parameters": [{ "name": 1, "in": "query" }], "responses": {} }"#),
        ),
        (
            "parameters not an array",
            with_op(r#"{ "parameters": {}, "responses": {} }"#),
        ),
        (
            "bad status key",
            with_op(&format!(
                r#"{{ "parameters": [{path_param}], "responses": {{ "2X": {{ "description": "x" }} }} }}"#
            )),
        ),
        (
            "status out of range",
            with_op(&format!(
                r#"{{ "parameters": [{path_param}], "responses": {{ "600": {{ "description": "x" }} }} }}"#
            )),
        ),
        ("operation not an object", with_op("[]")),
        (
            "tags not strings",
            with_op(&format!(
                r#"{{ "parameters": [{path_param}], "tags": [1], "responses": {{}} }}"#
            )),
        ),
        (
            "media type not an object",
            with_op(&format!(
                r#"{{ "parameters": [{path_param}], "responses": {{ "200": {{ "description": "x", "content": {{ "application/json": [] }} }} }} }}"#
            )),
        ),
        (
            "unclosed brace in template",
            doc(r#""paths": { "/a/{id": { "get": { "responses": {} } } }"#),
        ),
    ];

    let mut report = String::new();
    let mut without_pointer = Vec::new();
    for (label, text) in &cases {
        match codegen::generate(text, &Settings::default()) {
            Ok(_) => {
                report.push_str(&format!("{label}\n  => Ok (expected an error)\n"));
                without_pointer.push(*label);
            }
            Err(e) => {
                let shown = e.to_string();
                let line = e.line.map(|l| format!(" (line {l})")).unwrap_or_default();
                if !shown.starts_with('#')
                    || format!("{}{line}", e.pointer) != shown[..shown.len() - e.message.len() - 2]
                {
                    without_pointer.push(*label);
                }
                report.push_str(&format!("{label}\n  => {shown}\n"));
            }
        }
    }
    insta::assert_snapshot!("error_messages", report);
    assert!(
        without_pointer.is_empty(),
        "cases that did not fail with a pointer-prefixed message: {without_pointer:?}\n{report}"
    );
}

/// Spec mistakes real documents contain (Cloudflare's among them) are read one sensible way
/// and reported as warnings, each naming its JSON pointer.
#[test]
fn lenient_warnings() {
    let info = r#""info": { "title": "T", "version": "1" }"#;
    let with_schema = |schema: &str| {
        format!(
            r#"{{ "openapi": "3.1.0", {info}, "paths": {{}}, "components": {{ "schemas": {{ "S": {schema} }} }} }}"#
        )
    };
    let path_param =
        r#"{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }"#;
    let cases: Vec<(&str, String)> = vec![
        (
            "unknown type",
            format!(
                r#"{{ "openapi": "3.0.3", {info}, "paths": {{}}, "components": {{ "schemas": {{ "S": {{ "type": "unknown" }} }} }} }}"#
            ),
        ),
        (
            "template param not declared",
            format!(
                r#"{{ "openapi": "3.0.3", {info}, "paths": {{ "/a/{{id}}": {{ "get": {{ "responses": {{}} }} }} }} }}"#
            ),
        ),
        (
            "path param not in template",
            format!(
                r#"{{ "openapi": "3.0.3", {info}, "paths": {{ "/a": {{ "get": {{ "parameters": [{path_param}], "responses": {{}} }} }} }} }}"#
            ),
        ),
        (
            "`not` keyword (the value is unconstrained)",
            with_schema(r#"{ "not": { "type": "string" } }"#),
        ),
        (
            "`if`/`then` keywords (the rest of the schema is kept)",
            with_schema(r#"{ "type": "object", "if": { "type": "string" }, "then": {} }"#),
        ),
        ("`false` schema", with_schema("false")),
        (
            "YAML: a warning names the line",
            "openapi: 3.0.3\ninfo:\n  title: T\n  version: '1'\npaths: {}\ncomponents:\n  schemas:\n    S:\n      type: object\n      properties:\n        x:\n          not:\n            type: string\n".to_owned(),
        ),
    ];
    let mut report = String::new();
    for (label, text) in &cases {
        report.push_str(label);
        report.push('\n');
        match codegen::generate_output(text, &Settings::default()) {
            Ok(output) => {
                assert!(
                    !output.warnings.is_empty(),
                    "{label}: accepted without a warning"
                );
                for warning in &output.warnings {
                    let shown = warning.to_string();
                    assert!(
                        shown.starts_with("#/"),
                        "{label}: warning without a pointer: {shown}"
                    );
                    report.push_str(&format!("  warning: {shown}\n"));
                }
            }
            Err(e) => report.push_str(&format!("  => error: {e}\n")),
        }
    }
    insta::assert_snapshot!("lenient_warnings", report);
}
