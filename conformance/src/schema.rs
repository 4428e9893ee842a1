//! The spec's view of a fixture: operations by id, read through the generator's IR (the
//! same model the client and the server bindings are generated from), and their OpenAPI
//! 3.0 schemas turned into JSON Schema (2020-12) for the `jsonschema` validator.
//!
//! The IR decides which parameters an operation has (an operation's own replacing a
//! path-level one of the same name and place), which media types are JSON, and where every
//! schema is (JSON pointers into the document); this module only looks the schemas up.
//! OpenAPI 3.0 schemas are a dialect: `nullable: true` instead of a `null` type, `$ref`s to
//! `#/components/schemas/...`, boolean `exclusiveMinimum`, and keywords JSON Schema does not
//! know (`discriminator`, `example`, `x-*`). [`json::to_json_schema`] translates one schema; the
//! component schemas become `$defs` of every root schema validated.

use std::collections::BTreeMap;

use codegen::json::{self, Pointer};
use codegen::model::ir;
use codegen::model::media::{self, MediaKind};
use serde_json::{Map, Value, json};

/// What the spec says about one operation.
#[derive(Clone, Debug)]
pub struct OperationSpec {
    /// `operationId`.
    pub id: String,
    /// HTTP method, upper case.
    pub method: String,
    /// Path template.
    pub path: String,
    /// Parameters, path-level ones included (each once: an operation's own replaces a
    /// path-level one of the same name and place).
    pub params: Vec<ParamSpec>,
    /// Request body media types, in document order.
    pub request: Vec<MediaSpec>,
    /// Response keys (`200`, `4XX`, `default`) -> media type essence
    /// (`application/problem+json`) -> schema (`None`: no schema).
    pub responses: BTreeMap<String, BTreeMap<String, Option<Value>>>,
}

impl OperationSpec {
    /// The first request media type of `kind`.
    pub fn request_of(&self, kind: MediaKind) -> Option<&MediaSpec> {
        self.request.iter().find(|m| m.kind == kind)
    }
}

/// A parameter.
#[derive(Clone, Debug)]
pub struct ParamSpec {
    /// Wire name.
    pub name: String,
    /// `path`, `query` or `header`.
    pub location: &'static str,
    /// Required.
    pub required: bool,
    /// Its schema (OpenAPI dialect; `{}` when it declares none).
    pub schema: Value,
}

/// A request media type.
#[derive(Clone, Debug)]
pub struct MediaSpec {
    /// As written.
    pub media_type: String,
    /// What kind of body it is.
    pub kind: MediaKind,
    /// Its schema (OpenAPI dialect; `{}` when it declares none).
    pub schema: Value,
}

/// The spec, ready to validate fixtures.
#[derive(Clone, Debug)]
pub struct Spec {
    defs: Value,
    /// Operations by id.
    pub operations: BTreeMap<String, OperationSpec>,
}

impl Spec {
    /// Reads `spec/stream.openapi.json` of this workspace.
    pub fn load_default() -> Result<Self, String> {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/stream.openapi.json");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let loaded = codegen::load_api(&text, &codegen::Settings::default())
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Self::from_ir(&loaded.document, &loaded.api))
    }

    /// Indexes an OpenAPI document (modelled with the default settings: the operations
    /// and their schemas do not depend on a config).
    pub fn from_document(doc: &Value) -> Result<Self, String> {
        let (api, _) = codegen::build_api_value(doc, &codegen::Settings::default())
            .map_err(|e| e.to_string())?;
        Ok(Self::from_ir(doc, &api))
    }

    /// Indexes the operations of `api`, the IR of `doc`.
    pub fn from_ir(doc: &Value, api: &ir::Api) -> Self {
        let mut defs = Map::new();
        if let Some(schemas) = doc
            .pointer("/components/schemas")
            .and_then(Value::as_object)
        {
            for (name, schema) in schemas {
                defs.insert(
                    name.clone(),
                    json::to_json_schema(schema, json::Annotations::Keep),
                );
            }
        }
        let schema = |at: Option<&Pointer>| at.and_then(|p| p.resolve(doc)).cloned();
        let operations = api
            .operations
            .iter()
            .map(|op| {
                let params = op
                    .params
                    .iter()
                    .map(|p| ParamSpec {
                        name: p.wire.clone(),
                        location: match p.location {
                            ir::ParamLocation::Path => "path",
                            ir::ParamLocation::Query => "query",
                            ir::ParamLocation::Header => "header",
                        },
                        required: p.required,
                        schema: schema(p.schema.as_ref()).unwrap_or_else(|| json!({})),
                    })
                    .collect();
                let request = op
                    .request_media
                    .iter()
                    .map(|m| MediaSpec {
                        media_type: m.media_type.clone(),
                        kind: m.kind,
                        schema: schema(m.schema.as_ref()).unwrap_or_else(|| json!({})),
                    })
                    .collect();
                let responses = op
                    .responses
                    .iter()
                    .map(|r| {
                        let content = r
                            .content
                            .iter()
                            .map(|m| (media::essence(&m.media_type), schema(m.schema.as_ref())))
                            .collect();
                        (r.key.clone(), content)
                    })
                    .collect();
                let spec = OperationSpec {
                    id: op.id.clone(),
                    method: op.method.as_str().to_owned(),
                    path: op.path.clone(),
                    params,
                    request,
                    responses,
                };
                (op.id.clone(), spec)
            })
            .collect();
        Self {
            defs: Value::Object(defs),
            operations,
        }
    }

    /// Validates `instance` against an OpenAPI schema; one line per violation, each starting
    /// with the instance's JSON pointer (relative to `instance`).
    pub fn validate(&self, schema: &Value, instance: &Value) -> Vec<(String, String)> {
        let mut root = match json::to_json_schema(schema, json::Annotations::Keep) {
            Value::Object(map) => map,
            other => {
                let mut map = Map::new();
                map.insert("allOf".into(), json!([other]));
                map
            }
        };
        root.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        root.insert("$defs".into(), self.defs.clone());
        let validator = match jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(false)
            .build(&Value::Object(root))
        {
            Ok(v) => v,
            Err(e) => return vec![(String::new(), format!("the schema does not compile: {e}"))],
        };
        validator
            .iter_errors(instance)
            .map(|e| (e.instance_path().to_string(), e.to_string()))
            .collect()
    }

    /// The (translated) component schema a `{"$ref": "#/components/schemas/X"}` points to.
    pub fn component(&self, schema: &Value) -> Option<Value> {
        let name = json::component_ref(schema.get("$ref")?.as_str()?, "schemas")?;
        self.defs.get(&name).cloned()
    }
}

/// Finds the response schema key for a status: exact, then `NXX`, then `default`.
pub fn response_key(op: &OperationSpec, status: u16) -> Option<&str> {
    let exact = status.to_string();
    let range = format!("{}XX", status / 100);
    [exact.as_str(), range.as_str(), "default"]
        .into_iter()
        .find_map(|k| op.responses.get_key_value(k).map(|(k, _)| k.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A path-level `limit` (integer) that the operation overrides with its own (string):
    /// one parameter, the operation's, as the client and the server bindings have it.
    #[test]
    fn an_operation_parameter_overrides_the_path_level_one() {
        let doc = json!({
            "openapi": "3.0.3",
            "info": {"title": "Override", "version": "1"},
            "paths": {"/things": {
                "parameters": [
                    {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                    {"name": "cursor", "in": "query", "schema": {"type": "string"}}
                ],
                "get": {
                    "operationId": "list_things",
                    "parameters": [
                        {"name": "limit", "in": "query", "required": true,
                         "schema": {"type": "string", "maxLength": 3}}
                    ],
                    "responses": {
                        "200": {"description": "ok", "content": {
                            "application/problem+json; charset=utf-8": {"schema": {"type": "object"}}
                        }}
                    }
                }
            }}
        });
        let spec = Spec::from_document(&doc).unwrap();
        let op = &spec.operations["list_things"];
        let names: Vec<(&str, &str)> = op
            .params
            .iter()
            .map(|p| (p.location, p.name.as_str()))
            .collect();
        assert_eq!(names, [("query", "limit"), ("query", "cursor")]);
        let limit = &op.params[0];
        assert!(limit.required);
        assert_eq!(limit.schema["type"], "string");
        // The client's model of the same spec has the same one parameter.
        let (api, _) = codegen::build_api_value(&doc, &codegen::Settings::default()).unwrap();
        let wires: Vec<&str> = api.operations[0]
            .params
            .iter()
            .map(|p| p.wire.as_str())
            .collect();
        assert_eq!(wires, ["limit", "cursor"]);
        // The response's media type is keyed by its essence, and it is JSON.
        assert!(op.responses["200"].contains_key("application/problem+json"));
    }
}
