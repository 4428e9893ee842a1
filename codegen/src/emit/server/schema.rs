//! The spec's schemas as JSON Schema (2020-12), for the server's request validation, and
//! the facts about each operation the IR does not keep (status codes, media types, error
//! schemas, security), read from the raw document.
//!
//! OpenAPI 3.0 schemas are a dialect: `nullable: true` instead of a `null` type, `$ref`s to
//! `#/components/schemas/...`, boolean `exclusiveMinimum`, and keywords JSON Schema does not
//! know (`discriminator`, `example`, `x-*`). [`json::to_json_schema`] translates one schema; the
//! component schemas become the `$defs` every validated schema refers to.

use serde_json::{Map, Value, json};

use crate::json::{self, Annotations};

/// Follows local `$ref`s (of parameters, bodies, responses) to their target (`value` itself
/// when it is no reference or does not resolve).
pub(super) fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    json::follow_refs(doc, value).map_or(value, |(target, _)| target)
}

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

/// What the server target reads from the raw document for one operation.
#[derive(Debug, Clone, Default)]
pub(super) struct OperationFacts {
    /// The success status code (`200` for a `2XX` range or `default`).
    pub status: u16,
    /// The success response's media type, when it has a body.
    pub media_type: Option<String>,
    /// The success response's JSON schema, translated, when its body is JSON.
    pub response_schema: Option<Value>,
    /// Security requirements: any one set of scheme names suffices; empty: no auth.
    pub security: Vec<Vec<String>>,
    /// The JSON body's schema, translated.
    pub body_schema: Option<Value>,
    /// Parameter schemas, translated: wire name, location (`path`, `query`, `header`),
    /// schema.
    pub param_schemas: Vec<(String, String, Value)>,
    /// The error responses' schema reference (`#/components/schemas/X`), when all agree.
    pub error_ref: Option<String>,
}

/// A security scheme the server extracts credentials for.
#[derive(Debug, Clone)]
pub(super) struct SecurityScheme {
    /// The scheme's name in the document.
    pub name: String,
    /// Where its credential is.
    pub kind: SchemeKind,
    /// Its description.
    pub description: Option<String>,
}

/// How a credential is carried.
#[derive(Debug, Clone)]
pub(super) enum SchemeKind {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// `Authorization: Basic <base64>` (kept encoded).
    Basic,
    /// A header.
    Header(String),
    /// A query parameter.
    Query(String),
}

/// The security schemes the server can read, in document order.
pub(super) fn security_schemes(doc: &Value) -> Vec<SecurityScheme> {
    let Some(schemes) = doc
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    schemes
        .iter()
        .filter_map(|(name, s)| {
            let s = resolve(doc, s);
            let kind = match (
                s.get("type").and_then(Value::as_str),
                s.get("scheme").and_then(Value::as_str),
                s.get("in").and_then(Value::as_str),
            ) {
                (Some("http"), Some(scheme), _) if scheme.eq_ignore_ascii_case("bearer") => {
                    SchemeKind::Bearer
                }
                (Some("http"), Some(scheme), _) if scheme.eq_ignore_ascii_case("basic") => {
                    SchemeKind::Basic
                }
                (Some("apiKey"), _, Some("header")) => {
                    SchemeKind::Header(s.get("name")?.as_str()?.to_owned())
                }
                (Some("apiKey"), _, Some("query")) => {
                    SchemeKind::Query(s.get("name")?.as_str()?.to_owned())
                }
                _ => return None,
            };
            Some(SecurityScheme {
                name: name.clone(),
                kind,
                description: s
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            })
        })
        .collect()
}

/// Reads the facts of the operation at `path` / `method` (upper case).
pub(super) fn operation_facts(doc: &Value, path: &str, method: &str) -> OperationFacts {
    let item = doc
        .get("paths")
        .and_then(|p| p.get(path))
        .map(|i| resolve(doc, i));
    let Some(item) = item else {
        return OperationFacts {
            status: 200,
            ..Default::default()
        };
    };
    let op = item
        .get(method.to_ascii_lowercase())
        .unwrap_or(&Value::Null);
    let mut facts = OperationFacts {
        status: 200,
        ..Default::default()
    };

    // Parameters: path-item ones, overridden by the operation's own (same name and place).
    let mut params: Vec<(String, String, Value)> = Vec::new();
    for p in [item.get("parameters"), op.get("parameters")]
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
    {
        let p = resolve(doc, p);
        let (Some(name), Some(location)) = (
            p.get("name").and_then(Value::as_str),
            p.get("in").and_then(Value::as_str),
        ) else {
            continue;
        };
        let schema = p
            .get("schema")
            .map(to_json_schema)
            .unwrap_or_else(|| json!({}));
        params.retain(|(n, l, _)| !(n == name && l == location));
        params.push((name.to_owned(), location.to_owned(), schema));
    }
    facts.param_schemas = params;

    if let Some(body) = op.get("requestBody").map(|b| resolve(doc, b))
        && let Some(content) = body.get("content").and_then(Value::as_object)
    {
        facts.body_schema = content
            .iter()
            .find(|(mt, _)| is_json(mt))
            .map(|(_, m)| m.get("schema").map(to_json_schema).unwrap_or(json!({})));
    }

    if let Some(responses) = op.get("responses").and_then(Value::as_object) {
        let success = responses
            .keys()
            .filter_map(|k| k.parse::<u16>().ok().filter(|c| (200..300).contains(c)))
            .min()
            .map(|c| (c, c.to_string()))
            .or_else(|| {
                responses
                    .contains_key("2XX")
                    .then(|| (200, "2XX".to_owned()))
            })
            .or_else(|| {
                responses
                    .contains_key("default")
                    .then(|| (200, "default".to_owned()))
            });
        if let Some((code, key)) = success {
            facts.status = code;
            let response = resolve(doc, &responses[&key]);
            let content = response.get("content").and_then(Value::as_object);
            facts.media_type =
                content.and_then(|c| c.keys().min_by_key(|mt| media_rank(mt)).cloned());
            facts.response_schema = content
                .and_then(|c| c.iter().find(|(mt, _)| is_json(mt)))
                .and_then(|(_, m)| m.get("schema"))
                .map(to_json_schema);
        }
        let mut error_refs = responses
            .iter()
            .filter(|(k, _)| k.starts_with('4') || k.starts_with('5') || *k == "default")
            .filter_map(|(_, r)| {
                let r = resolve(doc, r);
                let content = r.get("content")?.as_object()?;
                let (_, media) = content.iter().find(|(mt, _)| is_json(mt))?;
                Some(media.get("schema")?.get("$ref")?.as_str()?.to_owned())
            });
        if let Some(first) = error_refs.next()
            && error_refs.all(|r| r == first)
        {
            facts.error_ref = Some(first);
        }
    }

    let security = op.get("security").or_else(|| doc.get("security"));
    facts.security = security
        .and_then(Value::as_array)
        .map(|sets| {
            sets.iter()
                .filter_map(Value::as_object)
                .map(|set| set.keys().cloned().collect())
                .collect()
        })
        .unwrap_or_default();
    facts
}

fn is_json(media_type: &str) -> bool {
    let mt = media_type.to_ascii_lowercase();
    mt.starts_with("application/json") || mt.ends_with("+json")
}

fn media_rank(media_type: &str) -> u8 {
    let mt = media_type.to_ascii_lowercase();
    if mt == "application/json" {
        0
    } else if is_json(&mt) {
        1
    } else if mt.starts_with("multipart/form-data") {
        2
    } else if mt.starts_with("text/") {
        3
    } else {
        4
    }
}
