//! Layout of large outputs: a resource of many operations is split into files of request
//! builders, and a large API (forced here with `[layout]` in the config) becomes a
//! workspace: a facade crate with the single crate's paths over member crates of shared
//! types, resource groups and unused types. The whole file set is snapshot with `insta`;
//! `cargo check` of these crates under several feature sets is in
//! `xtask/tests/generate.rs` (ignored: slow).

use codegen::Settings;

/// A spec of `ops` operations on `pets` (one returning typed headers), two on `stores`
/// and one on its child `stores_staff`, types shared between resources, one only `pets`
/// uses, and unused ones that name a used type.
pub fn spec(ops: usize) -> String {
    let mut paths = serde_json::Map::new();
    for i in 0..ops {
        let response = if i == 0 {
            serde_json::json!({"201": {"description": "created", "headers": {
                "Location": {"required": true, "schema": {"type": "string"}}}}})
        } else {
            serde_json::json!({"200": {"description": "ok", "content": {"application/json": {
                "schema": {"$ref": if i % 2 == 0 { "#/components/schemas/Pet" } else { "#/components/schemas/Owner" }}}}}})
        };
        paths.insert(
            format!("/pets/{i}"),
            serde_json::json!({"get": {"operationId": format!("pets_op_{i}"), "tags": ["pets"],
                "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer"}}],
                "responses": response}}),
        );
    }
    paths.insert(
        "/stores".to_owned(),
        serde_json::json!({
            "get": {"operationId": "stores_list", "tags": ["stores"], "responses": {"200": {
                "description": "ok", "content": {"application/json": {"schema": {
                    "type": "array", "items": {"$ref": "#/components/schemas/Store"}}}}}}},
            "post": {"operationId": "stores_create", "tags": ["stores"],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "$ref": "#/components/schemas/Store"}}}},
                "responses": {"204": {"description": "done"}}}
        }),
    );
    paths.insert(
        "/stores/{id}/staff".to_owned(),
        serde_json::json!({"get": {"operationId": "stores_staff_list", "tags": ["stores_staff"],
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/Owner"}}}}}}}),
    );
    serde_json::json!({
        "openapi": "3.0.3",
        "info": {"title": "Layout", "version": "1"},
        "servers": [{"url": "https://layout.example"}],
        "paths": paths,
        "components": {"schemas": {
            "Pet": {"type": "object", "required": ["name"], "properties": {
                "name": {"type": "string"}, "owner": {"$ref": "#/components/schemas/Owner"},
                "store": {"$ref": "#/components/schemas/Store"},
                "kind": {"type": "string", "enum": ["cat", "dog"]}}},
            "Owner": {"type": "object", "properties": {"name": {"type": "string"},
                "address": {"$ref": "#/components/schemas/Address"}}},
            "Address": {"type": "object", "properties": {"city": {"type": "string"}}},
            "Store": {"type": "object", "properties": {"owner": {"$ref": "#/components/schemas/Owner"},
                "city": {"type": "string"}}, "additionalProperties": {"type": "string"}},
            "Archive": {"type": "object", "properties": {"pets": {"type": "array", "items": {
                "$ref": "#/components/schemas/Pet"}}, "note": {"$ref": "#/components/schemas/Note"}}},
            "Note": {"type": "object", "properties": {"text": {"type": "string"}}}
        }}
    })
    .to_string()
}

/// Settings whose config makes any API a workspace of members of about `budget` units.
pub fn workspace_settings(budget: usize) -> Settings {
    let mut config = codegen::config::Config::default();
    config.layout.workspace_above = Some(0);
    config.layout.member_budget = Some(budget);
    Settings {
        spec_label: "the layout test spec".to_owned(),
        config,
        ..Settings::default()
    }
}

fn all_files(files: &codegen::Files) -> String {
    let mut out = String::new();
    for (path, content) in files {
        out.push_str(&format!("// ==== {path} ====\n{content}"));
        if !content.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

fn runtime() -> codegen::emit::RuntimeDependency {
    codegen::emit::RuntimeDependency::Path("../runtime".to_owned())
}

#[test]
fn a_resource_of_many_operations_is_split_into_builder_files() {
    let settings = Settings {
        spec_label: "the layout test spec".to_owned(),
        ..Settings::default()
    };
    let files = codegen::generate(&spec(40), &settings).expect("generates");
    let paths: Vec<&str> = files.keys().map(String::as_str).collect();
    assert!(paths.contains(&"src/operations/pets.rs"), "{paths:?}");
    assert!(paths.contains(&"src/operations/pets/builders_1.rs"));
    assert!(paths.contains(&"src/operations/pets/builders_2.rs"));
    // Few operations: one file.
    assert!(
        !paths
            .iter()
            .any(|p| p.starts_with("src/operations/stores/"))
    );
    let handle = &files["src/operations/pets.rs"];
    assert!(handle.contains("mod builders_1;") && handle.contains("pub use builders_1::*;"));
    // The typed-headers struct travels with its builder.
    assert!(files["src/operations/pets/builders_1.rs"].contains("pub struct PetsOp0Headers"));
    insta::assert_snapshot!("split_operations", all_files(&files));
}

#[test]
fn a_large_api_is_a_workspace_with_the_paths_of_one_crate() {
    let output =
        codegen::generate_crate(&spec(3), &workspace_settings(12), &runtime()).expect("generates");
    let files = &output.files;
    let paths: Vec<&str> = files.keys().map(String::as_str).collect();
    for path in [
        "Cargo.toml",
        "src/lib.rs",
        "src/client.rs",
        "src/models.rs",
        "src/operations.rs",
        "crates/shared/Cargo.toml",
        "crates/pets/src/lib.rs",
        "crates/stores/src/operations/stores.rs",
        "crates/stores/src/operations/stores_staff.rs",
        "crates/unused-models/src/lib.rs",
    ] {
        assert!(paths.contains(&path), "no {path} in {paths:?}");
    }
    let facade = &files["Cargo.toml"];
    assert!(
        facade.contains("[workspace]\nmembers = [\"crates/*\"]"),
        "{facade}"
    );
    assert!(facade.contains("stores_staff = [\"stores\", \"layout-stores/stores_staff\"]"));
    // A body type of another member (shared) with extra properties is built whole.
    assert!(
        files["crates/stores/src/operations/stores.rs"]
            .contains("additional_properties: Default::default()")
    );
    // Member handles are built by the facade's client: their constructor is public.
    assert!(
        files["crates/stores/src/operations/stores.rs"].contains("#[doc(hidden)]\n    pub fn new(")
    );
    // Same input, same bytes.
    let again =
        codegen::generate_crate(&spec(3), &workspace_settings(12), &runtime()).expect("generates");
    assert_eq!(files, &again.files);
    insta::assert_snapshot!("workspace", all_files(files));
}

#[test]
fn a_small_api_stays_one_crate() {
    let output =
        codegen::generate_crate(&spec(3), &Settings::default(), &runtime()).expect("generates");
    assert!(output.files.contains_key("src/models.rs"));
    assert!(!output.files.keys().any(|p| p.starts_with("crates/")));
}
