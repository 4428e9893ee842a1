//! The spec's view of a fixture: operations by id, and their OpenAPI 3.0 schemas turned into
//! JSON Schema (2020-12) for the `jsonschema` validator.
//!
//! OpenAPI 3.0 schemas are a dialect: `nullable: true` instead of a `null` type, `$ref`s to
//! `#/components/schemas/...`, boolean `exclusiveMinimum`, and keywords JSON Schema does not
//! know (`discriminator`, `example`, `x-*`). [`json::to_json_schema`] translates one schema; the
//! component schemas become `$defs` of every root schema validated.

use std::collections::BTreeMap;

use codegen::json;
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
    /// Parameters (refs resolved), path-level ones included.
    pub params: Vec<ParamSpec>,
    /// Request body media types and their schemas.
    pub request: BTreeMap<String, Value>,
    /// Response keys (`200`, `4XX`, `default`) -> media type -> schema (`None`: no schema).
    pub responses: BTreeMap<String, BTreeMap<String, Option<Value>>>,
}

/// A parameter.
#[derive(Clone, Debug)]
pub struct ParamSpec {
    /// Wire name.
    pub name: String,
    /// `path`, `query` or `header`.
    pub location: String,
    /// Required.
    pub required: bool,
    /// Its schema (OpenAPI dialect).
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
        let doc = codegen::spec::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::from_document(&doc)
    }

    /// Indexes an OpenAPI 3.0 document.
    pub fn from_document(doc: &Value) -> Result<Self, String> {
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
        let mut operations = BTreeMap::new();
        let paths = doc
            .get("paths")
            .and_then(Value::as_object)
            .ok_or("the document has no `paths`")?;
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            let shared: Vec<Value> = item
                .get("parameters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for (method, op) in item {
                if !codegen::json::OPERATION_METHODS.contains(&method.as_str()) {
                    continue;
                }
                let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                    continue;
                };
                let mut params = Vec::new();
                let own = op
                    .get("parameters")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                for p in shared.iter().chain(own.iter()) {
                    let p = resolve(doc, p);
                    params.push(ParamSpec {
                        name: p["name"].as_str().unwrap_or_default().to_owned(),
                        location: p["in"].as_str().unwrap_or_default().to_owned(),
                        required: p["required"].as_bool().unwrap_or(false),
                        schema: p.get("schema").cloned().unwrap_or(json!({})),
                    });
                }
                let mut request = BTreeMap::new();
                if let Some(body) = op.get("requestBody") {
                    let body = resolve(doc, body);
                    if let Some(content) = body.get("content").and_then(Value::as_object) {
                        for (media, m) in content {
                            request.insert(
                                media.clone(),
                                m.get("schema").cloned().unwrap_or(json!({})),
                            );
                        }
                    }
                }
                let mut responses = BTreeMap::new();
                if let Some(rs) = op.get("responses").and_then(Value::as_object) {
                    for (status, r) in rs {
                        let r = resolve(doc, r);
                        let mut media = BTreeMap::new();
                        if let Some(content) = r.get("content").and_then(Value::as_object) {
                            for (m, c) in content {
                                media.insert(m.clone(), c.get("schema").cloned());
                            }
                        }
                        responses.insert(status.clone(), media);
                    }
                }
                operations.insert(
                    id.to_owned(),
                    OperationSpec {
                        id: id.to_owned(),
                        method: method.to_uppercase(),
                        path: path.clone(),
                        params,
                        request,
                        responses,
                    },
                );
            }
        }
        Ok(Self {
            defs: Value::Object(defs),
            operations,
        })
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
}

impl Spec {
    /// The (translated) component schema a `{"$ref": "#/components/schemas/X"}` points to.
    pub fn component(&self, schema: &Value) -> Option<Value> {
        let name = json::component_ref(schema.get("$ref")?.as_str()?, "schemas")?;
        self.defs.get(&name).cloned()
    }
}

/// Follows a local `$ref` chain (`value` itself when it is no reference or does not resolve).
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    json::follow_refs(doc, value).map_or(value, |(target, _)| target)
}

/// Finds the response schema key for a status: exact, then `NXX`, then `default`.
pub fn response_key(op: &OperationSpec, status: u16) -> Option<&str> {
    let exact = status.to_string();
    let range = format!("{}XX", status / 100);
    [exact.as_str(), range.as_str(), "default"]
        .into_iter()
        .find_map(|k| op.responses.get_key_value(k).map(|(k, _)| k.as_str()))
}
