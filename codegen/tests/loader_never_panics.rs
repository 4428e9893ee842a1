//! Property tests: whatever the input, `codegen::generate` returns `Ok` or `Err`, never panics.
//!
//! Three sources of input:
//! - arbitrary JSON values (mostly rejected early by the loader);
//! - structurally plausible OpenAPI documents built from a vocabulary of keywords and awkward
//!   names (these reach the model and emit stages);
//! - the small specs of `tests/specs/` mutated at random JSON pointers: keys deleted, values
//!   replaced by garbage or by values of another type, values swapped, keys inserted or
//!   renamed, nodes turned into `$ref`s to arbitrary places of the document.
//!
//! Runs are deterministic (a fixed seed) so the suite never flakes; explore further with
//! `PROPTEST_RNG_SEED=<n> PROPTEST_CASES=<n> cargo test -p specsmith-codegen --test loader_never_panics`.
//! (A stack overflow aborts the process, so proptest cannot shrink it; find the input by
//! writing `value` to a file at the top of `generate` and running with `--test-threads=1`.)

use std::path::Path;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, RngSeed};
use serde_json::{Map, Value, json};

/// Default number of cases per property; together they run in ~2 s in debug.
const DEFAULT_CASES: u32 = 200;

fn config(cases: u32) -> Config {
    let mut config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(0x0A11_0C0D_E6E4);
    }
    config
}

/// Runs the whole pipeline; a panic inside fails the property (proptest catches it), and
/// so does an "internal error" (the generator producing Rust that does not parse).
fn generate(value: &Value) {
    let text = value.to_string();
    if let Err(e) = codegen::generate(&text, &codegen::Settings::default()) {
        assert!(!e.message.contains("internal error"), "{e}\ninput: {text}");
    }
}

/// Keys and strings that mean something to an OpenAPI reader, plus awkward names.
const WORDS: &[&str] = &[
    "openapi",
    "info",
    "title",
    "version",
    "paths",
    "components",
    "schemas",
    "parameters",
    "requestBodies",
    "responses",
    "headers",
    "content",
    "schema",
    "type",
    "format",
    "nullable",
    "enum",
    "const",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "allOf",
    "anyOf",
    "oneOf",
    "$ref",
    "description",
    "default",
    "in",
    "name",
    "path",
    "query",
    "header",
    "cookie",
    "get",
    "post",
    "put",
    "delete",
    "patch",
    "operationId",
    "tags",
    "requestBody",
    "application/json",
    "multipart/form-data",
    "text/plain",
    "text/html",
    "application/octet-stream",
    "200",
    "201",
    "204",
    "2XX",
    "4XX",
    "5XX",
    "default",
    "string",
    "integer",
    "number",
    "boolean",
    "array",
    "object",
    "null",
    "binary",
    "int64",
    "date-time",
    "3.0.3",
    "3.1.0",
    "2.0",
    "swagger",
    "x-vendor",
    "x-sensitive",
    "#",
    "#/components",
    "#/components/schemas/A",
    "#/components/schemas/B",
    "#/components/schemas/",
    "#/components/parameters/P",
    "#/paths",
    "#/components/schemas/A/properties/a",
    "/",
    "/a",
    "/a/{id}",
    "/a/{id}/b/{b}",
    "/{x}.{y}",
    "{",
    "}",
    "{}",
    "id",
    "b",
    "x",
    "y",
    "A",
    "B",
    "self",
    "Self",
    "type",
    "crate",
    "super",
    "match",
    "async",
    "r#type",
    "_",
    "__",
    "",
    " ",
    "123",
    "1a",
    "-",
    "a-b",
    "a_b",
    "aB",
    "é",
    "日本",
    "~0~1",
    "a/b",
    "Option",
    "Result",
    "String",
    "Box",
    "Vec",
    "runtime",
    "models",
    "operations",
    "Client",
    "Error",
    "Unknown",
    "explode",
    "deprecated",
    "readOnly",
    "writeOnly",
    "not",
    "true",
    "false",
];

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(WORDS).prop_map(str::to_owned),
        1 => "[a-zA-Z0-9_{}/#~. -]{0,10}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1.0e9f64..1.0e9).prop_map(Value::from),
        select(&[0u64, 1, 100, 200, 404, 599, 600, u64::MAX][..]).prop_map(Value::from),
        word().prop_map(Value::String),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((word(), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// A schema built from the keywords the generator understands, in odd combinations.
fn arb_schema() -> impl Strategy<Value = Value> {
    let type_name = select(
        &[
            "string", "integer", "number", "boolean", "array", "object", "null", "unknown",
        ][..],
    );
    let schema_leaf = prop_oneof![
        type_name.clone().prop_map(|t| json!({ "type": t })),
        prop::collection::vec(type_name, 1..3).prop_map(|t| json!({ "type": t })),
        select(&["A", "B", "C", "Nope"][..])
            .prop_map(|n| json!({ "$ref": format!("#/components/schemas/{n}") })),
        prop::collection::vec(
            prop_oneof![
                word().prop_map(Value::String),
                Just(Value::Null),
                any::<i32>().prop_map(Value::from)
            ],
            0..4
        )
        .prop_map(|values| json!({ "type": "string", "enum": values })),
        Just(json!({})),
        Just(json!(true)),
        (any::<bool>(), word())
            .prop_map(|(n, f)| json!({ "type": "string", "nullable": n, "format": f })),
        arb_json(),
    ];
    schema_leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            (
                prop::collection::vec((word(), inner.clone()), 0..5),
                prop::collection::vec(word(), 0..3),
                any::<bool>()
            )
                .prop_map(|(props, required, nullable)| {
                    json!({
                        "type": "object",
                        "properties": Value::Object(props.into_iter().collect()),
                        "required": required,
                        "nullable": nullable,
                    })
                }),
            inner
                .clone()
                .prop_map(|items| json!({ "type": "array", "items": items })),
            inner
                .clone()
                .prop_map(|v| json!({ "type": "object", "additionalProperties": v })),
            (
                select(&["allOf", "anyOf", "oneOf"][..]),
                prop::collection::vec(inner.clone(), 1..4)
            )
                .prop_map(|(k, list)| {
                    let mut m = Map::new();
                    m.insert(k.to_owned(), Value::Array(list));
                    Value::Object(m)
                }),
            (inner.clone(), word()).prop_map(|(s, d)| match s {
                Value::Object(mut m) => {
                    m.insert("description".into(), Value::String(d));
                    m.insert("$ref".into(), json!("#/components/schemas/A"));
                    Value::Object(m)
                }
                other => other,
            }),
        ]
    })
}

fn arb_parameter() -> impl Strategy<Value = Value> {
    (word(), select(&["path", "query", "header", "cookie"][..]), any::<bool>(), arb_schema()).prop_map(
        |(name, location, required, schema)| json!({ "name": name, "in": location, "required": required || location == "path", "schema": schema }),
    )
}

fn arb_operation() -> impl Strategy<Value = Value> {
    (
        prop::option::of(word()),
        prop::collection::vec(word(), 0..2),
        prop::collection::vec(arb_parameter(), 0..4),
        prop::option::of((
            select(
                &[
                    "application/json",
                    "multipart/form-data",
                    "text/plain",
                    "application/octet-stream",
                    "*/*",
                ][..],
            ),
            prop::option::of(arb_schema()),
            any::<bool>(),
        )),
        prop::collection::vec(
            (
                select(&["200", "201", "204", "2XX", "4XX", "default", "302"][..]),
                select(
                    &[
                        "application/json",
                        "text/html",
                        "text/vtt",
                        "application/octet-stream",
                    ][..],
                ),
                prop::option::of(arb_schema()),
                prop::collection::vec((word(), arb_schema()), 0..2),
            ),
            0..3,
        ),
    )
        .prop_map(|(id, tags, parameters, body, responses)| {
            let mut op = Map::new();
            if let Some(id) = id {
                op.insert("operationId".into(), Value::String(id));
            }
            op.insert("tags".into(), json!(tags));
            op.insert("parameters".into(), Value::Array(parameters));
            if let Some((media, schema, required)) = body {
                let media_obj = match schema {
                    Some(s) => json!({ "schema": s }),
                    None => json!({}),
                };
                op.insert(
                    "requestBody".into(),
                    json!({ "required": required, "content": { media: media_obj } }),
                );
            }
            let mut rs = Map::new();
            for (status, media, schema, headers) in responses {
                let mut r = json!({ "description": "r" });
                if let Some(s) = schema {
                    r["content"] = json!({ media: { "schema": s } });
                }
                let headers: Map<String, Value> = headers
                    .into_iter()
                    .map(|(h, s)| (h, json!({ "schema": s })))
                    .collect();
                r["headers"] = Value::Object(headers);
                rs.insert(status.to_owned(), r);
            }
            op.insert("responses".into(), Value::Object(rs));
            Value::Object(op)
        })
}

fn arb_document() -> impl Strategy<Value = Value> {
    (
        select(&["3.0.3", "3.1.0"][..]),
        word(),
        prop::collection::vec(
            (
                select(
                    &[
                        "/a",
                        "/a/{id}",
                        "/{x}.{y}",
                        "/a/{id}/b/{b}",
                        "/accounts/{account_id}/items",
                        "/self/{type}",
                        "/",
                    ][..],
                ),
                select(&["get", "post", "put", "delete", "patch"][..]),
                arb_operation(),
            ),
            0..4,
        ),
        prop::collection::vec(
            (
                select(&["A", "B", "C", "Self", "a", "123", "A-B", "Option", "Client"][..]),
                arb_schema(),
            ),
            0..5,
        ),
    )
        .prop_map(|(version, title, ops, schemas)| {
            let mut paths = Map::new();
            for (path, method, op) in ops {
                let item = paths.entry(path.to_owned()).or_insert_with(|| json!({}));
                item[method] = op;
            }
            let schemas: Map<String, Value> = schemas
                .into_iter()
                .map(|(n, s)| (n.to_owned(), s))
                .collect();
            json!({
                "openapi": version,
                "info": { "title": title, "version": "1" },
                "paths": paths,
                "components": { "schemas": schemas },
            })
        })
}

/// One step of a path from the root to a node.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every node of `value`, as the steps that reach it, in document order (the root first).
fn all_paths(value: &Value) -> Vec<Vec<Step>> {
    fn walk(value: &Value, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
        out.push(at.clone());
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    at.push(Step::Key(k.clone()));
                    walk(v, at, out);
                    at.pop();
                }
            }
            Value::Array(list) => {
                for (i, v) in list.iter().enumerate() {
                    at.push(Step::Index(i));
                    walk(v, at, out);
                    at.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, &mut Vec::new(), &mut out);
    out
}

fn get_mut<'v>(value: &'v mut Value, path: &[Step]) -> Option<&'v mut Value> {
    let mut node = value;
    for step in path {
        node = match (node, step) {
            (Value::Object(map), Step::Key(k)) => map.get_mut(k)?,
            (Value::Array(list), Step::Index(i)) => list.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(node)
}

fn pointer_of(path: &[Step]) -> String {
    let mut out = String::from("#");
    for step in path {
        out.push('/');
        match step {
            Step::Key(k) => out.push_str(&k.replace('~', "~0").replace('/', "~1")),
            Step::Index(i) => out.push_str(&i.to_string()),
        }
    }
    out
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Removes the node from its parent.
    Delete,
    /// Replaces the node with garbage.
    Replace(Value),
    /// Replaces the node with a value of another JSON type.
    ChangeType,
    /// Swaps the node with another one.
    Swap(usize),
    /// Adds a key to an object (or an element to an array).
    Insert(String, Value),
    /// Renames the key under which the node sits.
    Rename(String),
    /// Replaces the node with a `$ref` to another node (cycles included).
    RefTo(usize),
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => Just(Mutation::Delete),
        2 => arb_json().prop_map(Mutation::Replace),
        3 => Just(Mutation::ChangeType),
        1 => any::<usize>().prop_map(Mutation::Swap),
        2 => (word(), arb_json()).prop_map(|(k, v)| Mutation::Insert(k, v)),
        2 => word().prop_map(Mutation::Rename),
        1 => any::<usize>().prop_map(Mutation::RefTo),
    ]
}

fn other_type(value: &Value) -> Value {
    match value {
        Value::Null => json!({}),
        Value::Bool(b) => Value::String(b.to_string()),
        Value::Number(n) => Value::String(n.to_string()),
        Value::String(s) => match s.parse::<f64>() {
            Ok(n) => json!(n),
            Err(_) => json!([s]),
        },
        Value::Array(list) => Value::Object(
            list.iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v.clone()))
                .collect(),
        ),
        Value::Object(map) => Value::Array(map.values().cloned().collect()),
    }
}

fn apply(doc: &mut Value, target: usize, mutation: &Mutation) {
    let paths = all_paths(doc);
    let path = &paths[target % paths.len()];
    match mutation {
        Mutation::Delete => {
            let Some((last, parent)) = path.split_last() else {
                *doc = Value::Null;
                return;
            };
            match (get_mut(doc, parent), last) {
                (Some(Value::Object(map)), Step::Key(k)) => {
                    map.shift_remove(k);
                }
                (Some(Value::Array(list)), Step::Index(i)) if *i < list.len() => {
                    list.remove(*i);
                }
                _ => {}
            }
        }
        Mutation::Replace(v) => {
            if let Some(node) = get_mut(doc, path) {
                *node = v.clone();
            }
        }
        Mutation::ChangeType => {
            if let Some(node) = get_mut(doc, path) {
                *node = other_type(node);
            }
        }
        Mutation::Swap(other) => {
            let other = &paths[other % paths.len()];
            // Swapping a node with its own ancestor or descendant is not a swap.
            if other.starts_with(path) || path.starts_with(other) {
                return;
            }
            let a = get_mut(doc, path).map(|v| v.take());
            let b = get_mut(doc, other).map(|v| v.take());
            if let (Some(a), Some(b)) = (a, b) {
                if let Some(node) = get_mut(doc, path) {
                    *node = b;
                }
                if let Some(node) = get_mut(doc, other) {
                    *node = a;
                }
            }
        }
        Mutation::Insert(k, v) => match get_mut(doc, path) {
            Some(Value::Object(map)) => {
                map.insert(k.clone(), v.clone());
            }
            Some(Value::Array(list)) => list.push(v.clone()),
            _ => {}
        },
        Mutation::Rename(new) => {
            if let Some((Step::Key(k), parent)) = path.split_last()
                && let Some(Value::Object(map)) = get_mut(doc, parent)
                && let Some(v) = map.shift_remove(k)
            {
                map.insert(new.clone(), v);
            }
        }
        Mutation::RefTo(other) => {
            let pointer = pointer_of(&paths[other % paths.len()]);
            if let Some(node) = get_mut(doc, path) {
                *node = json!({ "$ref": pointer });
            }
        }
    }
}

/// Specs of `tests/specs/` left out of the mutation seeds while their bug is open.
const KNOWN_BUG_SPECS: &[&str] = &[];

/// The small specs of `tests/specs/`, parsed.
fn seed_specs() -> Vec<Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/specs exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    names.sort();
    // Specs that reproduce a known generator bug (their snapshot test is `#[ignore]`d) would
    // make every mutation of them fail for that one reason.
    names.retain(|p| {
        !p.file_stem()
            .is_some_and(|s| KNOWN_BUG_SPECS.iter().any(|k| s == *k))
    });
    names
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("readable spec");
            serde_json::from_str(&text).expect("valid JSON spec")
        })
        .collect()
}

proptest! {
    #![proptest_config(config(DEFAULT_CASES))]

    #[test]
    fn arbitrary_json_never_panics(value in arb_json()) {
        generate(&value);
    }

    #[test]
    fn arbitrary_json_under_openapi_header_never_panics(paths in arb_json(), components in arb_json(), v31 in any::<bool>()) {
        let doc = json!({
            "openapi": if v31 { "3.1.0" } else { "3.0.3" },
            "info": { "title": "T", "version": "1" },
            "paths": paths,
            "components": components,
        });
        generate(&doc);
    }

    #[test]
    fn plausible_documents_never_panic(doc in arb_document()) {
        generate(&doc);
    }

    #[test]
    fn mutated_specs_never_panic(
        seed in any::<prop::sample::Index>(),
        mutations in prop::collection::vec((any::<usize>(), arb_mutation()), 1..5),
    ) {
        let specs = seed_specs();
        let mut doc = seed.get(&specs).clone();
        for (target, mutation) in &mutations {
            apply(&mut doc, *target, mutation);
        }
        generate(&doc);
    }
}

/// The JSON text itself can be garbage too: truncated and byte-flipped specs.
#[test]
fn truncated_texts_never_panic() {
    for spec in seed_specs().iter().take(4) {
        let text = spec.to_string();
        for cut in (0..text.len())
            .step_by(97)
            .filter(|&c| text.is_char_boundary(c))
        {
            let _ = codegen::generate(&text[..cut], &codegen::Settings::default());
        }
    }
}
