//! The spec's schemas as JSON Schema (2020-12), for the server's request validation.
//!
//! The server reads the document only where the IR points: the schema of a parameter, a
//! body or a response (`ir::Media::schema`, `ir::Param::schema`), a security scheme's
//! description. OpenAPI 3.0 schemas are a dialect: `nullable: true` instead of a `null` type,
//! `$ref`s to `#/components/schemas/...`, boolean `exclusiveMinimum`, and keywords JSON
//! Schema does not know (`discriminator`, `example`, `x-*`). [`json::to_json_schema`]
//! translates one schema; the component schemas become the `$defs` every validated schema
//! refers to.

use serde_json::{Map, Value, json};

use crate::json::{self, Annotations, Pointer};

/// [`json::to_json_schema`] without annotations: the embedded schemas validate, nothing else.
fn to_json_schema(schema: &Value) -> Value {
    json::to_json_schema(schema, Annotations::Drop)
}

/// Every component schema, translated, keyed by its name: the `$defs` of validation.
pub(super) fn defs(doc: &Value) -> Value {
    let defs: Map<String, Value> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|schemas| {
            schemas
                .iter()
                .map(|(name, s)| (name.clone(), to_json_schema(s)))
                .collect()
        })
        .unwrap_or_default();
    Value::Object(defs)
}

/// The schema at `pointer`, translated; any value (`{}`) when there is none.
pub(super) fn schema_at(doc: &Value, pointer: Option<&Pointer>) -> Value {
    pointer
        .and_then(|p| p.resolve(doc))
        .map(to_json_schema)
        .unwrap_or_else(|| json!({}))
}

/// The `description` of the object at `pointer` (its `$ref`s followed).
pub(super) fn description_at(doc: &Value, pointer: Option<&Pointer>) -> Option<String> {
    let value = pointer?.resolve(doc)?;
    let value = json::follow_refs(doc, value).map_or(value, |(target, _)| target);
    value
        .get("description")
        .and_then(Value::as_str)
        .map(str::to_owned)
}
