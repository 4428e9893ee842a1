//! JSON pointers (RFC 6901), local `$ref`s and `allOf` over raw [`serde_json::Value`]s: the
//! one implementation the loader, the conformance harness and the project tools share.
//!
//! - [`escape_token`] / [`unescape_token`]: one reference token (`a/b` <-> `a~1b`);
//! - [`Pointer`]: a pointer built token by token, printed in URI-fragment form (`#/a/b`);
//! - [`resolve_ref`] / [`resolve_ref_at`] / [`follow_refs`]: a `#/...` reference (percent-encoded
//!   or not, RFC 6901 §6) to the value it names, following chains of `$ref` with cycle detection;
//! - [`component_ref`]: the component name a `#/components/<kind>/<name>` reference names;
//! - [`flatten_all_of`] / [`merge_all_of`]: an `allOf` (and the `$ref`s in it) as one schema;
//! - [`OPERATION_METHODS`] / [`operation_count`]: which keys of a path item are operations.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value};

/// The keys of a path item that hold operations, in the specification's order.
pub const OPERATION_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// How many operations a document declares: operation keys under every path item (0 for a
/// document without `paths`).
pub fn operation_count(document: &Value) -> usize {
    document
        .get("paths")
        .and_then(Value::as_object)
        .map_or(0, |paths| {
            paths
                .values()
                .filter_map(Value::as_object)
                .map(|item| {
                    item.keys()
                        .filter(|key| OPERATION_METHODS.contains(&key.as_str()))
                        .count()
                })
                .sum()
        })
}

/// Why a pointer or a reference could not be read or resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    /// Not a fragment of this document (`other.json#/a`, `a/b`).
    #[error("{0:?} is not a local reference (`#/...`)")]
    NotLocal(String),
    /// A `~` not followed by `0` or `1`, or a `%` not followed by two hex digits, or
    /// percent-encoded bytes that are not UTF-8.
    #[error("{reference:?}: {reason}")]
    Malformed {
        /// The reference or token as written.
        reference: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The pointer names no value of the document.
    #[error("{0:?} does not resolve")]
    Unresolved(String),
    /// A `$ref` whose value is not a string.
    #[error("`$ref` is not a string")]
    NotAString,
    /// The chain of `$ref`s comes back to a reference it already followed.
    #[error("`$ref` cycle: {}", .0.join(" -> "))]
    Cycle(Vec<String>),
}

/// Escapes one reference token: `~` -> `~0`, `/` -> `~1` (RFC 6901 §3).
pub fn escape_token(token: &str) -> Cow<'_, str> {
    if token.contains(['~', '/']) {
        Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(token)
    }
}

/// Unescapes one reference token: `~1` -> `/`, `~0` -> `~` (RFC 6901 §4, in that order, so
/// `~01` is `~1`). A `~` followed by anything else is an error.
pub fn unescape_token(token: &str) -> Result<Cow<'_, str>, RefError> {
    if !token.contains('~') {
        return Ok(Cow::Borrowed(token));
    }
    let mut out = String::with_capacity(token.len());
    let mut chars = token.chars();
    while let Some(c) = chars.next() {
        if c != '~' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('0') => out.push('~'),
            Some('1') => out.push('/'),
            _ => {
                return Err(RefError::Malformed {
                    reference: token.to_owned(),
                    reason: "`~` must be followed by `0` or `1`",
                });
            }
        }
    }
    Ok(Cow::Owned(out))
}

/// Decodes `%XX` sequences (a URI fragment's encoding, RFC 6901 §6).
fn percent_decode(s: &str) -> Result<Cow<'_, str>, RefError> {
    if !s.contains('%') {
        return Ok(Cow::Borrowed(s));
    }
    let malformed = |reason| RefError::Malformed {
        reference: s.to_owned(),
        reason,
    };
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| malformed("`%` must be followed by two hex digits"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|_| malformed("percent-encoded bytes are not UTF-8"))
}

/// A JSON pointer, built up token by token while walking a document.
///
/// Stored escaped (`~0`, `~1`), without the leading `#`; displayed in URI-fragment form
/// (`#/paths/~1pets/get`), which is how the `$ref`s of an OpenAPI document spell it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pointer(String);

impl Pointer {
    /// The document root, `#`.
    pub fn root() -> Self {
        Pointer(String::new())
    }

    /// Parses a local reference, `#/components/schemas/Pet`: percent-encoded bytes are
    /// decoded (`#/paths/~1videos~1%7Bid%7D`) and every token's escapes are checked.
    pub fn parse(reference: &str) -> Result<Self, RefError> {
        let rest = reference
            .strip_prefix('#')
            .ok_or_else(|| RefError::NotLocal(reference.to_owned()))?;
        if !rest.is_empty() && !rest.starts_with('/') {
            return Err(RefError::NotLocal(reference.to_owned()));
        }
        let decoded = percent_decode(rest)?;
        for token in decoded.split('/').skip(1) {
            unescape_token(token)?;
        }
        Ok(Pointer(decoded.into_owned()))
    }

    /// [`Pointer::parse`], `None` for anything it rejects.
    pub fn from_fragment(fragment: &str) -> Option<Self> {
        Self::parse(fragment).ok()
    }

    /// This pointer extended by one object key or array index.
    pub fn push(&self, token: impl fmt::Display) -> Self {
        let token = token.to_string();
        let mut out = String::with_capacity(self.0.len() + token.len() + 1);
        out.push_str(&self.0);
        out.push('/');
        out.push_str(&escape_token(&token));
        Pointer(out)
    }

    /// The pointer in JSON-string form (RFC 6901 §5): escaped, without the `#`
    /// (`/paths/~1pets/get`; empty for the root).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The unescaped reference tokens, for resolving against the document.
    pub fn tokens(&self) -> impl Iterator<Item = String> + '_ {
        // Every token was escaped by `push` or checked by `parse`.
        self.0.split('/').skip(1).map(|t| match unescape_token(t) {
            Ok(t) => t.into_owned(),
            Err(_) => t.to_owned(),
        })
    }

    /// The pointer as a URI fragment (RFC 6901 §6): `#/paths/~1videos~1%7Bid%7D`. Bytes a
    /// fragment cannot hold (and `%` itself) are percent-encoded, so [`Pointer::parse`] reads
    /// it back exactly; [`Display`](fmt::Display) prints them as they are, for humans.
    pub fn to_fragment(&self) -> String {
        let mut out = String::with_capacity(self.0.len() + 1);
        out.push('#');
        for b in self.0.bytes() {
            let plain = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?".contains(&b);
            if plain {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }

    /// The value this pointer names in `root`, without following `$ref`s.
    pub fn resolve<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        let mut value = root;
        for token in self.tokens() {
            value = match value {
                Value::Object(map) => map.get(&token)?,
                Value::Array(list) => list.get(token.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(value)
    }
}

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// The value a local reference (`#/components/schemas/Pet`) names, following `$ref` chains.
pub fn resolve_ref<'v>(root: &'v Value, reference: &str) -> Result<&'v Value, RefError> {
    resolve_ref_at(root, reference).map(|(v, _)| v)
}

/// [`resolve_ref`], with the pointer of the value finally reached (the last link's target).
///
/// A target that is itself `{"$ref": ...}` is followed too; a reference seen twice is a
/// [`RefError::Cycle`].
pub fn resolve_ref_at<'v>(
    root: &'v Value,
    reference: &str,
) -> Result<(&'v Value, Pointer), RefError> {
    let mut seen: Vec<Pointer> = Vec::new();
    let mut reference = reference.to_owned();
    loop {
        let pointer = Pointer::parse(&reference)?;
        if seen.contains(&pointer) {
            let mut cycle: Vec<String> = seen.iter().map(ToString::to_string).collect();
            cycle.push(pointer.to_string());
            return Err(RefError::Cycle(cycle));
        }
        let value = pointer
            .resolve(root)
            .ok_or_else(|| RefError::Unresolved(reference.clone()))?;
        match value.get("$ref") {
            None => return Ok((value, pointer)),
            Some(Value::String(next)) => {
                seen.push(pointer);
                reference = next.clone();
            }
            Some(_) => return Err(RefError::NotAString),
        }
    }
}

/// Follows `value` if it is a `$ref` object: the value it finally names and that value's
/// pointer; any other value is returned as it is, with `None`.
pub fn follow_refs<'v>(
    root: &'v Value,
    value: &'v Value,
) -> Result<(&'v Value, Option<Pointer>), RefError> {
    match value.get("$ref") {
        None => Ok((value, None)),
        Some(Value::String(r)) => resolve_ref_at(root, r).map(|(v, p)| (v, Some(p))),
        Some(_) => Err(RefError::NotAString),
    }
}

/// The name a `#/components/<kind>/<name>` reference gives its component (unescaped), or
/// `None` for a reference to anything else or a malformed one.
pub fn component_ref(reference: &str, kind: &str) -> Option<String> {
    let pointer = Pointer::parse(reference).ok()?;
    let tokens: Vec<String> = pointer.tokens().collect();
    match tokens.as_slice() {
        [c, k, name] if c == "components" && k == kind => Some(name.clone()),
        _ => None,
    }
}

/// One schema of a flattened `allOf`, with where it is.
#[derive(Debug, Clone)]
pub struct Part<'v> {
    /// The schema object (its `$ref` and `allOf` are already followed).
    pub schema: &'v Value,
    /// Its pointer.
    pub pointer: Pointer,
}

/// A schema and everything its `allOf` and `$ref`s bring in, in precedence order.
#[derive(Debug, Clone, Default)]
pub struct AllOf<'v> {
    /// The schema itself, then (depth first, in order) the target of its `$ref` and each
    /// `allOf` member. Every schema appears once, whatever the cycles and diamonds.
    pub parts: Vec<Part<'v>>,
    /// References that could not be followed, as written, with why.
    pub unresolved: Vec<(String, RefError)>,
}

/// Flattens `schema` (at `pointer` in `root`): see [`AllOf::parts`].
pub fn flatten_all_of<'v>(root: &'v Value, schema: &'v Value, pointer: Pointer) -> AllOf<'v> {
    let mut out = AllOf::default();
    let mut seen = BTreeSet::new();
    flatten(root, schema, pointer, &mut out, &mut seen);
    out
}

fn flatten<'v>(
    root: &'v Value,
    schema: &'v Value,
    pointer: Pointer,
    out: &mut AllOf<'v>,
    seen: &mut BTreeSet<Pointer>,
) {
    if !seen.insert(pointer.clone()) {
        return;
    }
    out.parts.push(Part {
        schema,
        pointer: pointer.clone(),
    });
    if let Some(reference) = schema.get("$ref") {
        let written = reference.as_str().unwrap_or_default().to_owned();
        match follow_refs(root, schema) {
            Ok((target, Some(at))) => flatten(root, target, at, out, seen),
            Ok((_, None)) => {}
            Err(e) => out.unresolved.push((written, e)),
        }
    }
    if let Some(Value::Array(members)) = schema.get("allOf") {
        let base = pointer.push("allOf");
        for (i, member) in members.iter().enumerate() {
            flatten(root, member, base.push(i), out, seen);
        }
    }
}

impl<'v> AllOf<'v> {
    /// The first value of `keyword` in precedence order, and the part it is in.
    pub fn first(&self, keyword: &str) -> Option<(&'v Value, &Pointer)> {
        self.parts
            .iter()
            .find_map(|p| p.schema.get(keyword).map(|v| (v, &p.pointer)))
    }

    /// Every property, the first definition of each winning, with its pointer.
    pub fn properties(&self) -> Vec<(&'v str, &'v Value, Pointer)> {
        let mut out: Vec<(&'v str, &'v Value, Pointer)> = Vec::new();
        for part in &self.parts {
            if let Some(Value::Object(props)) = part.schema.get("properties") {
                for (name, schema) in props {
                    if !out.iter().any(|(n, ..)| n == name) {
                        let at = part.pointer.push("properties").push(name);
                        out.push((name, schema, at));
                    }
                }
            }
        }
        out
    }

    /// The union of every part's `required`, in order of first appearance.
    pub fn required(&self) -> Vec<&'v str> {
        self.union("required")
    }

    /// The union of every part's `type` (a name or a list of names), in order.
    pub fn types(&self) -> Vec<&'v str> {
        self.union("type")
    }

    fn union(&self, keyword: &str) -> Vec<&'v str> {
        let mut out: Vec<&'v str> = Vec::new();
        for part in &self.parts {
            let names: Vec<&'v str> = match part.schema.get(keyword) {
                Some(Value::String(s)) => vec![s.as_str()],
                Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            for n in names {
                if !out.contains(&n) {
                    out.push(n);
                }
            }
        }
        out
    }

    /// The parts as one schema object: `properties` merged (first definition wins),
    /// `required` and `type` unions, any other keyword from the first part that has it;
    /// `$ref` and `allOf` are gone (followed).
    pub fn merge(&self) -> Value {
        let mut out = Map::new();
        for part in &self.parts {
            let Some(obj) = part.schema.as_object() else {
                continue;
            };
            for (key, value) in obj {
                if matches!(
                    key.as_str(),
                    "$ref" | "allOf" | "properties" | "required" | "type"
                ) {
                    continue;
                }
                out.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
        let types = self.types();
        match types.as_slice() {
            [] => {}
            [one] => {
                out.insert("type".to_owned(), Value::String((*one).to_owned()));
            }
            many => {
                out.insert(
                    "type".to_owned(),
                    many.iter()
                        .map(|t| Value::String((*t).to_owned()))
                        .collect(),
                );
            }
        }
        let props = self.properties();
        if !props.is_empty() {
            let props: Map<String, Value> = props
                .into_iter()
                .map(|(n, s, _)| (n.to_owned(), s.clone()))
                .collect();
            out.insert("properties".to_owned(), Value::Object(props));
        }
        let required = self.required();
        if !required.is_empty() {
            out.insert(
                "required".to_owned(),
                required
                    .into_iter()
                    .map(|r| Value::String(r.to_owned()))
                    .collect(),
            );
        }
        Value::Object(out)
    }
}

/// `schema` with its `$ref`s followed and its `allOf` merged into one schema object (see
/// [`AllOf::merge`]); the first reference that cannot be followed is an error.
pub fn merge_all_of(root: &Value, schema: &Value) -> Result<Value, RefError> {
    let all = flatten_all_of(root, schema, Pointer::root());
    match all.unresolved.first() {
        Some((_, e)) => Err(e.clone()),
        None => Ok(all.merge()),
    }
}

/// What [`to_json_schema`] does with keywords that validate nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Annotations {
    /// Keep them (`description`, `format`, ...): a validator that knows formats checks them.
    Keep,
    /// Drop them, `format` included: validation must not depend on which formats the
    /// validator build knows, and the schema is embedded smaller.
    Drop,
}

/// Translates an OpenAPI 3.0 (or 3.1) schema into JSON Schema 2020-12: `nullable` becomes a
/// `null` type, boolean `exclusiveMinimum`/`exclusiveMaximum` become bounds, references to
/// `#/components/schemas/X` become `#/$defs/X`, and OpenAPI-only keywords (`discriminator`,
/// `xml`, `externalDocs`, `example`, `x-*`) go.
pub fn to_json_schema(schema: &Value, annotations: Annotations) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in map {
        match key.as_str() {
            "properties" | "patternProperties" => {
                let converted = value
                    .as_object()
                    .map(|props| {
                        props
                            .iter()
                            .map(|(k, v)| (k.clone(), to_json_schema(v, annotations)))
                            .collect::<Map<_, _>>()
                    })
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Object(converted));
            }
            "items" | "additionalProperties" | "not" => {
                out.insert(key.clone(), to_json_schema(value, annotations));
            }
            "allOf" | "anyOf" | "oneOf" => {
                let items = value
                    .as_array()
                    .map(|a| a.iter().map(|v| to_json_schema(v, annotations)).collect())
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Array(items));
            }
            "$ref" => {
                let target = value.as_str().unwrap_or_default();
                let target = match component_ref(target, "schemas") {
                    Some(name) => format!("#/$defs/{}", escape_token(&name)),
                    None => target.to_owned(),
                };
                out.insert(key.clone(), Value::String(target));
            }
            "exclusiveMinimum" | "exclusiveMaximum" => {
                // 3.0: a boolean modifying `minimum`/`maximum`.
                if value.as_bool() == Some(true) {
                    let bound = if key == "exclusiveMinimum" {
                        "minimum"
                    } else {
                        "maximum"
                    };
                    if let Some(n) = map.get(bound) {
                        out.insert(key.clone(), n.clone());
                    }
                } else if value.is_number() {
                    out.insert(key.clone(), value.clone());
                }
            }
            "nullable" | "discriminator" | "xml" | "externalDocs" | "example" => {}
            "examples" | "description" | "title" | "format" | "readOnly" | "writeOnly"
            | "deprecated" | "default"
                if annotations == Annotations::Drop => {}
            k if k.starts_with("x-") => {}
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    // `minimum` beside a boolean `exclusiveMinimum` was folded into it.
    for (flag, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if map.get(flag).and_then(Value::as_bool) == Some(true) {
            out.remove(bound);
        }
    }
    if map.get("nullable").and_then(Value::as_bool) == Some(true) {
        match out.get("type").cloned() {
            Some(Value::String(t)) => {
                out.insert("type".into(), serde_json::json!([t, "null"]));
                if let Some(Value::Array(values)) = out.get_mut("enum")
                    && !values.contains(&Value::Null)
                {
                    values.push(Value::Null);
                }
            }
            _ => {
                return serde_json::json!({ "anyOf": [Value::Object(out), { "type": "null" }] });
            }
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn tokens_escape_and_unescape() {
        assert_eq!(escape_token("/a~b/"), "~1a~0b~1");
        assert_eq!(escape_token("plain"), "plain");
        assert_eq!(unescape_token("~1a~0b~1").unwrap(), "/a~b/");
        // `~01` is `~` then `1`, not `/`.
        assert_eq!(unescape_token("~01").unwrap(), "~1");
        assert!(unescape_token("a~2").is_err());
        assert!(unescape_token("a~").is_err());
    }

    #[test]
    fn pointers_build_print_and_parse() {
        let p = Pointer::root().push("paths").push("/videos/{id}").push(0);
        assert_eq!(p.to_string(), "#/paths/~1videos~1{id}/0");
        assert_eq!(Pointer::parse(&p.to_string()).unwrap(), p);
        assert_eq!(p.to_fragment(), "#/paths/~1videos~1%7Bid%7D/0");
        assert_eq!(Pointer::parse("#/paths/~1videos~1%7Bid%7D/0").unwrap(), p);
        assert_eq!(Pointer::parse("#").unwrap(), Pointer::root());
        assert!(matches!(
            Pointer::parse("other.json#/a"),
            Err(RefError::NotLocal(_))
        ));
        assert!(matches!(Pointer::parse("#a"), Err(RefError::NotLocal(_))));
        assert!(matches!(
            Pointer::parse("#/a%2"),
            Err(RefError::Malformed { .. })
        ));
        assert!(matches!(
            Pointer::parse("#/a%ff"),
            Err(RefError::Malformed { .. })
        ));
        assert!(matches!(
            Pointer::parse("#/a~x"),
            Err(RefError::Malformed { .. })
        ));
    }

    fn doc() -> Value {
        json!({
            "paths": {"/videos/{id}": {"get": {"parameters": [{"$ref": "#/components/parameters/Id"}]}}},
            "components": {
                "parameters": {"Id": {"$ref": "#/components/parameters/Real"}, "Real": {"name": "id"}},
                "schemas": {
                    "a/b": {"type": "string"},
                    "Loop1": {"$ref": "#/components/schemas/Loop2"},
                    "Loop2": {"$ref": "#/components/schemas/Loop1"},
                    "Base": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}, "x": {"type": "integer"}}},
                    "Video": {"allOf": [
                        {"$ref": "#/components/schemas/Base"},
                        {"description": "a video", "required": ["id", "name"], "properties": {"x": {"type": "string"}, "name": {"type": "string"}}},
                        {"$ref": "#/components/schemas/Video"}
                    ]}
                }
            }
        })
    }

    #[test]
    fn references_resolve_through_chains_and_encodings() {
        let doc = doc();
        assert_eq!(
            resolve_ref(&doc, "#/components/parameters/Id").unwrap()["name"],
            "id"
        );
        let (_, at) = resolve_ref_at(&doc, "#/components/parameters/Id").unwrap();
        assert_eq!(at.to_string(), "#/components/parameters/Real");
        assert_eq!(
            resolve_ref(&doc, "#/components/schemas/a~1b").unwrap()["type"],
            "string"
        );
        assert_eq!(
            resolve_ref(&doc, "#/components/schemas/a%7E1b").unwrap()["type"],
            "string"
        );
        assert!(resolve_ref(&doc, "#/paths/~1videos~1%7Bid%7D/get").is_ok());
        assert!(matches!(
            resolve_ref(&doc, "#/nope"),
            Err(RefError::Unresolved(_))
        ));
        let cycle = resolve_ref(&doc, "#/components/schemas/Loop1").unwrap_err();
        assert_eq!(
            cycle.to_string(),
            "`$ref` cycle: #/components/schemas/Loop1 -> #/components/schemas/Loop2 -> #/components/schemas/Loop1"
        );
        let param = json!({"$ref": "#/components/parameters/Id"});
        let (v, at) = follow_refs(&doc, &param).unwrap();
        assert_eq!(
            (v["name"].as_str(), at.map(|p| p.to_string())),
            (Some("id"), Some("#/components/parameters/Real".to_owned()))
        );
        let inline = json!({"name": "q"});
        assert!(follow_refs(&doc, &inline).unwrap().1.is_none());
        assert_eq!(
            component_ref("#/components/schemas/a~1b", "schemas").as_deref(),
            Some("a/b")
        );
        assert_eq!(component_ref("#/components/schemas/a/b", "schemas"), None);
        assert_eq!(component_ref("#/components/parameters/Id", "schemas"), None);
    }

    #[test]
    fn all_of_merges_first_definition_wins_and_unions_required() {
        let doc = doc();
        let video = resolve_ref(&doc, "#/components/schemas/Video").unwrap();
        let merged = merge_all_of(&doc, video).unwrap();
        assert_eq!(
            merged,
            json!({
                "description": "a video",
                "type": "object",
                "properties": {"id": {"type": "string"}, "x": {"type": "integer"}, "name": {"type": "string"}},
                "required": ["id", "name"]
            })
        );
        let all = flatten_all_of(
            &doc,
            video,
            Pointer::parse("#/components/schemas/Video").unwrap(),
        );
        let pointers: Vec<String> = all
            .properties()
            .into_iter()
            .map(|(_, _, p)| p.to_string())
            .collect();
        assert_eq!(
            pointers,
            [
                "#/components/schemas/Base/properties/id",
                "#/components/schemas/Base/properties/x",
                "#/components/schemas/Video/allOf/1/properties/name"
            ]
        );
        let dangling = json!({"allOf": [{"$ref": "#/components/schemas/Nope"}]});
        assert!(matches!(
            merge_all_of(&doc, &dangling),
            Err(RefError::Unresolved(_))
        ));
    }

    proptest! {
        #[test]
        fn escape_then_unescape_round_trips(token in ".*") {
            let escaped = escape_token(&token);
            prop_assert!(!escaped.contains('/'));
            prop_assert_eq!(unescape_token(&escaped).unwrap(), token.as_str());
            let p = Pointer::root().push(&token);
            prop_assert_eq!(p.tokens().collect::<Vec<_>>(), vec![token.clone()]);
            prop_assert_eq!(Pointer::parse(&p.to_fragment()).unwrap(), p);
        }
    }
}
