//! The spec-level comparison: two OpenAPI documents (as raw JSON) -> classified changes.
//!
//! It reads raw `serde_json::Value`s rather than the generator's typed model because the
//! rules need keywords the generator has no use for (length and range constraints,
//! `security`, `pattern`), and because a diff must never fail on a construct the generator
//! rejects: a spec that does not generate yet still deserves a report.
//!
//! Component schemas are compared once each, in their own group, with the directions
//! (request, response) in which the operations of either version use them; inside an
//! operation a `$ref` to the same component on both sides stops the walk there. So a field
//! removed from `Video` is reported once, not under every operation returning a `Video`,
//! and recursive schemas cannot loop. A `$ref` whose target changed name (or an inline
//! schema replaced by a reference) is resolved and compared structurally.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use codegen::json::{self, Pointer, escape_token};

use crate::rules::{self, Area, Direction, Rule};
use crate::{Group, Side, Subject};

/// One difference between the documents, before judgement: which rule it is an instance
/// of, where it is and which way the changed value travels.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The rule (its row gives the level).
    pub rule: &'static Rule,
    /// Directions the changed value travels in (both for a schema used both ways; none for
    /// document-wide changes and schemas no operation uses).
    pub directions: Vec<Direction>,
    /// Where in the operation or document it is.
    pub area: Area,
    /// Where it is listed.
    pub group: Group,
    /// JSON pointer of the changed value, in the document `side` names.
    pub pointer: String,
    /// `old` for removed things, else `new`.
    pub side: Side,
    /// One line for humans.
    pub message: String,
    /// The Rust-level subject.
    pub subject: Subject,
}

/// Both documents plus what is known about how their components are used.
pub struct Differ<'a> {
    old: &'a Value,
    new: &'a Value,
    /// Directions in which either version's operations reach each component schema.
    usage: BTreeMap<String, Dirs>,
    /// Pairs of component names being compared structurally (cycle guard).
    visiting: BTreeSet<(String, String)>,
    findings: Vec<Finding>,
}

/// A set of directions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Dirs {
    request: bool,
    response: bool,
}

impl Dirs {
    const REQUEST: Dirs = Dirs {
        request: true,
        response: false,
    };
    const RESPONSE: Dirs = Dirs {
        request: false,
        response: true,
    };
    fn union(self, other: Dirs) -> Dirs {
        Dirs {
            request: self.request || other.request,
            response: self.response || other.response,
        }
    }
    fn list(self) -> Vec<Direction> {
        let mut out = Vec::new();
        if self.request {
            out.push(Direction::Request);
        }
        if self.response {
            out.push(Direction::Response);
        }
        out
    }
}

/// Where in both documents a schema comparison stands.
#[derive(Debug, Clone)]
struct At {
    group: Group,
    area: Area,
    dirs: Dirs,
    old_ptr: String,
    new_ptr: String,
    /// Human label of the value: `Video.status`, `request body.creator`.
    label: String,
}

impl At {
    fn child(&self, old_token: &str, new_token: &str, label: &str) -> At {
        At {
            old_ptr: format!("{}/{}", self.old_ptr, escape_token(old_token)),
            new_ptr: format!("{}/{}", self.new_ptr, escape_token(new_token)),
            label: format!("{}{}", self.label, label),
            ..self.clone()
        }
    }
}

/// The component name of a `#/components/schemas/Name` reference (unescaped).
fn schema_ref(v: &Value) -> Option<String> {
    json::component_ref(v.get("$ref")?.as_str()?, "schemas")
}

/// The pointer of component schema `name`.
fn schema_ptr(name: &str) -> String {
    format!("#/components/schemas/{}", escape_token(name))
}

/// Follows `$ref` chains of non-schema objects (parameters, bodies, responses, headers) to
/// the object and its pointer (`ptr` when `v` is no reference or does not resolve).
fn follow<'v>(root: &'v Value, v: &'v Value, ptr: String) -> (&'v Value, String) {
    match json::follow_refs(root, v) {
        Ok((target, Some(at))) => (target, at.to_string()),
        _ => (v, ptr),
    }
}

/// Normalizes a path template for matching: parameter names do not matter.
pub(crate) fn path_shape(path: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '{' => {
                depth += 1;
                out.push_str("{}");
            }
            '}' => depth -= 1,
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// One operation of a document.
struct Op<'a> {
    path: String,
    method: &'static str,
    value: &'a Value,
    item: &'a Value,
    ptr: String,
}

fn operations(doc: &Value) -> BTreeMap<String, Op<'_>> {
    let mut out = BTreeMap::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in codegen::json::OPERATION_METHODS {
                if let Some(op) = item.get(method) {
                    let key = format!("{} {}", method.to_uppercase(), path_shape(path));
                    out.insert(
                        key,
                        Op {
                            path: path.clone(),
                            method,
                            value: op,
                            item,
                            ptr: format!("#/paths/{}/{method}", escape_token(path)),
                        },
                    );
                }
            }
        }
    }
    out
}

impl Op<'_> {
    fn label(&self) -> String {
        format!("{} {}", self.method.to_uppercase(), self.path)
    }
    fn id(&self) -> Option<&str> {
        self.value.get("operationId").and_then(Value::as_str)
    }
}

/// Parameters of an operation (path-level ones merged, operation wins), keyed by
/// `(in, name)`, resolved, with their pointers.
fn parameters<'v>(root: &'v Value, op: &Op<'v>) -> BTreeMap<(String, String), (&'v Value, String)> {
    let mut out = BTreeMap::new();
    let item_ptr = op.ptr.rsplit_once('/').map(|p| p.0).unwrap_or_default();
    for (source, ptr) in [(op.item, item_ptr.to_owned()), (op.value, op.ptr.clone())] {
        if let Some(list) = source.get("parameters").and_then(Value::as_array) {
            for (i, p) in list.iter().enumerate() {
                let (p, pptr) = follow(root, p, format!("{ptr}/parameters/{i}"));
                let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
                let location = p.get("in").and_then(Value::as_str).unwrap_or_default();
                // A referenced parameter is reported where the operation lists it.
                let site = if pptr.starts_with("#/components/") {
                    format!("{ptr}/parameters/{i}")
                } else {
                    pptr
                };
                out.insert((location.to_owned(), name.to_owned()), (p, site));
            }
        }
    }
    out
}

/// The object at the JSON pointer `at` below `v`; an empty one when it is absent or not an
/// object, so that both sides of a comparison read alike.
fn object<'v>(v: &'v Value, at: &str) -> &'v serde_json::Map<String, Value> {
    static EMPTY: std::sync::LazyLock<serde_json::Map<String, Value>> =
        std::sync::LazyLock::new(serde_json::Map::new);
    v.pointer(at).and_then(Value::as_object).unwrap_or(&EMPTY)
}

fn flag(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// The normalized facts of a schema node that the rules compare.
#[derive(Debug, Default)]
struct Facts {
    types: BTreeSet<String>,
    nullable: bool,
    enum_values: Option<Vec<Value>>,
}

fn facts(v: &Value) -> Facts {
    let mut f = Facts::default();
    match v.get("type") {
        Some(Value::String(t)) => {
            f.types.insert(t.clone());
        }
        Some(Value::Array(ts)) => {
            for t in ts.iter().filter_map(Value::as_str) {
                f.types.insert(t.to_owned());
            }
        }
        _ => {}
    }
    if f.types.remove("null") || flag(v, "nullable") {
        f.nullable = true;
    }
    let values = v
        .get("enum")
        .and_then(Value::as_array)
        .cloned()
        .or_else(|| v.get("const").map(|c| vec![c.clone()]));
    if let Some(values) = values {
        if values.iter().any(Value::is_null) {
            f.nullable = true;
        }
        f.enum_values = Some(values.into_iter().filter(|v| !v.is_null()).collect());
    }
    if nullable_wrapper(v).is_some() {
        f.nullable = true;
    }
    f
}

/// `anyOf`/`oneOf: [X, {type: null}]` (3.1's spelling of a nullable reference): `X`.
fn nullable_wrapper(v: &Value) -> Option<&Value> {
    for key in ["anyOf", "oneOf"] {
        if let Some(list) = v.get(key).and_then(Value::as_array) {
            let (nulls, others): (Vec<&Value>, Vec<&Value>) = list
                .iter()
                .partition(|s| s.get("type").and_then(Value::as_str) == Some("null"));
            if nulls.len() == 1 && others.len() == 1 {
                return Some(others[0]);
            }
        }
    }
    None
}

/// Widening of a type set: `integer` is a subset of `number`, and no type means any.
fn type_subset(a: &BTreeSet<String>, b: &BTreeSet<String>) -> bool {
    if b.is_empty() {
        return true;
    }
    !a.is_empty()
        && a.iter()
            .all(|t| b.contains(t) || (t == "integer" && b.contains("number")))
}

fn show_types(t: &BTreeSet<String>) -> String {
    if t.is_empty() {
        "any".to_owned()
    } else {
        t.iter().cloned().collect::<Vec<_>>().join("|")
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl<'a> Differ<'a> {
    /// Prepares a comparison of two documents (raw JSON).
    pub fn new(old: &'a Value, new: &'a Value) -> Self {
        let mut usage = BTreeMap::new();
        for doc in [old, new] {
            for (name, dirs) in schema_usage(doc) {
                let e: &mut Dirs = usage.entry(name).or_default();
                *e = e.union(dirs);
            }
        }
        Differ {
            old,
            new,
            usage,
            visiting: BTreeSet::new(),
            findings: Vec::new(),
        }
    }

    /// Runs every comparison: what changed, where, in which directions; not how bad.
    pub fn run(mut self) -> Vec<Finding> {
        self.document();
        self.operations();
        self.components();
        self.findings
    }

    /// Records a change found in a schema, in the directions the schema is used in
    /// ([`rules::judge`] grades it by the worst of them).
    fn push(
        &mut self,
        at: &At,
        rule: &'static Rule,
        side: Side,
        subject: Subject,
        message: String,
    ) {
        let pointer = match side {
            Side::Old => at.old_ptr.clone(),
            Side::New => at.new_ptr.clone(),
        };
        self.findings.push(Finding {
            rule,
            directions: at.dirs.list(),
            area: at.area,
            group: at.group.clone(),
            pointer,
            side,
            message,
            subject,
        });
    }

    /// Records a change outside schemas. Its area and the direction it travels in are the
    /// rule's (its table row), so a call names only what the walk found.
    fn push_plain(
        &mut self,
        group: &Group,
        rule: &'static Rule,
        side: Side,
        pointer: String,
        subject: Subject,
        message: String,
    ) {
        self.findings.push(Finding {
            rule,
            directions: rule.direction().into_iter().collect(),
            area: rule.area,
            group: group.clone(),
            pointer,
            side,
            message,
            subject,
        });
    }

    /// Document-wide settings: servers, global security, security schemes.
    fn document(&mut self) {
        let group = Group::Document;
        let servers = |d: &Value| -> Vec<String> {
            d.get("servers")
                .and_then(Value::as_array)
                .map(|s| {
                    s.iter()
                        .filter_map(|s| s.get("url")?.as_str())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let (os, ns) = (servers(self.old), servers(self.new));
        if os.first() != ns.first() {
            self.push_plain(
                &group,
                &rules::SERVER_URL_CHANGED,
                Side::New,
                "#/servers".to_owned(),
                Subject::None,
                format!(
                    "default server changed from `{}` to `{}`",
                    os.first().map(String::as_str).unwrap_or("none"),
                    ns.first().map(String::as_str).unwrap_or("none")
                ),
            );
        }
        let (old_sec, new_sec) = (self.old.get("security"), self.new.get("security"));
        self.security(&group, old_sec, new_sec, "#/security", "the document");
        let (o, n) = (
            object(self.old, "/components/securitySchemes"),
            object(self.new, "/components/securitySchemes"),
        );
        for (name, ov) in o {
            let ptr = format!("#/components/securitySchemes/{}", escape_token(name));
            match n.get(name) {
                None => self.push_plain(
                    &group,
                    &rules::SECURITY_SCHEME_REMOVED,
                    Side::Old,
                    ptr,
                    Subject::None,
                    format!("security scheme `{name}` removed"),
                ),
                Some(nv) => {
                    for key in ["type", "scheme", "in", "name", "bearerFormat"] {
                        if ov.get(key) != nv.get(key) {
                            self.push_plain(
                                &group,
                                &rules::SECURITY_SCHEME_CHANGED,
                                Side::New,
                                format!("{ptr}/{key}"),
                                Subject::None,
                                format!(
                                    "security scheme `{name}`: `{key}` changed from {} to {}",
                                    ov.get(key).map(show).unwrap_or_else(|| "none".into()),
                                    nv.get(key).map(show).unwrap_or_else(|| "none".into())
                                ),
                            );
                        }
                    }
                }
            }
        }
        for name in n.keys().filter(|k| !o.contains_key(*k)) {
            self.push_plain(
                &group,
                &rules::SECURITY_SCHEME_ADDED,
                Side::New,
                format!("#/components/securitySchemes/{}", escape_token(name)),
                Subject::None,
                format!("security scheme `{name}` added"),
            );
        }
    }

    /// Security requirements: alternatives (each a set of schemes) removed break callers
    /// who used them; an operation that needed none needing one breaks everyone.
    fn security(
        &mut self,
        group: &Group,
        old: Option<&Value>,
        new: Option<&Value>,
        pointer: &str,
        whose: &str,
    ) {
        let alternatives = |v: Option<&Value>| -> BTreeSet<String> {
            v.and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .map(|req| {
                            let mut names: Vec<String> = req
                                .as_object()
                                .map(|o| o.keys().cloned().collect())
                                .unwrap_or_default();
                            names.sort();
                            if names.is_empty() {
                                "(none)".to_owned()
                            } else {
                                names.join(" + ")
                            }
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let (o, n) = (alternatives(old), alternatives(new));
        if o == n {
            return;
        }
        let was_open = o.is_empty() || o.contains("(none)");
        for alt in o.difference(&n) {
            self.push_plain(
                group,
                if n.is_empty() {
                    &rules::SECURITY_ALL_REMOVED
                } else {
                    &rules::SECURITY_REMOVED
                },
                Side::Old,
                pointer.to_owned(),
                Subject::Security,
                format!("security alternative `{alt}` of {whose} removed"),
            );
        }
        for alt in n.difference(&o) {
            let rule = if was_open && alt != "(none)" {
                &rules::SECURITY_BECAME_REQUIRED
            } else {
                &rules::SECURITY_ADDED
            };
            self.push_plain(
                group,
                rule,
                Side::New,
                pointer.to_owned(),
                Subject::Security,
                format!("security alternative `{alt}` of {whose} added"),
            );
        }
    }

    fn operations(&mut self) {
        let (old_ops, new_ops) = (operations(self.old), operations(self.new));
        // An operation id that moved to another method or path: one change, not two.
        let mut moved: BTreeMap<String, String> = BTreeMap::new();
        for (nk, nop) in &new_ops {
            if old_ops.contains_key(nk) {
                continue;
            }
            if let Some((ok, _)) = old_ops.iter().find(|(ok, o)| {
                !new_ops.contains_key(*ok) && o.id().is_some() && o.id() == nop.id()
            }) {
                moved.insert(ok.clone(), nk.clone());
            }
        }
        for (key, op) in &old_ops {
            let group = Group::Operation(op.label());
            if let Some(nk) = moved.get(key) {
                let nop = &new_ops[nk];
                self.push_plain(
                    &group,
                    &rules::API_PATH_CHANGED,
                    Side::New,
                    nop.ptr.clone(),
                    Subject::Operation(key.clone()),
                    format!(
                        "operation `{}` moved from `{}` to `{}`",
                        op.id().unwrap_or_default(),
                        op.label(),
                        nop.label()
                    ),
                );
                self.operation(&group, op, nop);
            } else if let Some(nop) = new_ops.get(key) {
                let group = Group::Operation(nop.label());
                self.operation(&group, op, nop);
            } else {
                self.push_plain(
                    &group,
                    &rules::API_REMOVED,
                    Side::Old,
                    op.ptr.clone(),
                    Subject::Operation(key.clone()),
                    "operation removed".to_owned(),
                );
            }
        }
        let moved_to: BTreeSet<&String> = moved.values().collect();
        for (key, op) in &new_ops {
            if !old_ops.contains_key(key) && !moved_to.contains(key) {
                self.push_plain(
                    &Group::Operation(op.label()),
                    &rules::API_ADDED,
                    Side::New,
                    op.ptr.clone(),
                    Subject::Operation(key.clone()),
                    "operation added".to_owned(),
                );
            }
        }
    }

    fn operation(&mut self, group: &Group, old: &Op<'a>, new: &Op<'a>) {
        let key = format!("{} {}", new.method.to_uppercase(), path_shape(&new.path));
        let okey = format!("{} {}", old.method.to_uppercase(), path_shape(&old.path));
        if old.id() != new.id() {
            self.push_plain(
                group,
                &rules::API_OPERATION_ID_CHANGED,
                Side::New,
                format!("{}/operationId", new.ptr),
                Subject::OperationRenamed(okey.clone(), key.clone()),
                format!(
                    "operationId changed from `{}` to `{}`",
                    old.id().unwrap_or("none"),
                    new.id().unwrap_or("none")
                ),
            );
        }
        let first_tag = |op: &Op| {
            op.value
                .pointer("/tags/0")
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        if first_tag(old) != first_tag(new) {
            self.push_plain(
                group,
                &rules::API_TAG_CHANGED,
                Side::New,
                format!("{}/tags", new.ptr),
                Subject::OperationRenamed(okey.clone(), key.clone()),
                format!(
                    "first tag changed from `{}` to `{}`",
                    first_tag(old).unwrap_or_default(),
                    first_tag(new).unwrap_or_default()
                ),
            );
        }
        if !flag(old.value, "deprecated") && flag(new.value, "deprecated") {
            self.push_plain(
                group,
                &rules::API_DEPRECATED,
                Side::New,
                format!("{}/deprecated", new.ptr),
                Subject::Operation(key.clone()),
                "operation deprecated".to_owned(),
            );
        }
        // Security: the operation's own requirement, else the document's.
        let effective = |op: &Op<'a>, doc: &'a Value| -> Option<&'a Value> {
            op.value.get("security").or_else(|| doc.get("security"))
        };
        if old.value.get("security").is_some() || new.value.get("security").is_some() {
            let (o, n) = (effective(old, self.old), effective(new, self.new));
            self.security(
                group,
                o,
                n,
                &format!("{}/security", new.ptr),
                "the operation",
            );
        }
        self.parameters(group, &okey, &key, old, new);
        self.request_body(group, &key, old, new);
        self.responses(group, &key, old, new);
    }

    fn parameters(&mut self, group: &Group, okey: &str, key: &str, old: &Op<'a>, new: &Op<'a>) {
        let (mut op, mut np) = (parameters(self.old, old), parameters(self.new, new));
        self.path_renames(group, key, old, new, &mut op, &mut np);
        for ((location, name), (ov, optr)) in &op {
            let subject_old = Subject::parameter(okey, location, name);
            let subject_new = Subject::parameter(key, location, name);
            let what = format!("{location} parameter `{name}`");
            let Some((nv, nptr)) = np.get(&(location.clone(), name.clone())) else {
                self.push_plain(
                    group,
                    &rules::REQUEST_PARAMETER_REMOVED,
                    Side::Old,
                    optr.clone(),
                    subject_old,
                    format!("{what} removed"),
                );
                continue;
            };
            let (oreq, nreq) = (flag(ov, "required"), flag(nv, "required"));
            if oreq != nreq {
                let (rule, word) = if nreq {
                    (&rules::REQUEST_PARAMETER_BECAME_REQUIRED, "required")
                } else {
                    (&rules::REQUEST_PARAMETER_BECAME_OPTIONAL, "optional")
                };
                self.push_plain(
                    group,
                    rule,
                    Side::New,
                    format!("{nptr}/required"),
                    subject_new.clone(),
                    format!("{what} became {word}"),
                );
            }
            self.parameter_schemas(group, (ov, optr), (nv, nptr), &what, subject_new);
        }
        for ((location, name), (nv, nptr)) in &np {
            if op.contains_key(&(location.clone(), name.clone())) {
                continue;
            }
            let required = flag(nv, "required");
            let (rule, word) = if required {
                (&rules::NEW_REQUIRED_REQUEST_PARAMETER, "required")
            } else {
                (&rules::NEW_OPTIONAL_REQUEST_PARAMETER, "optional")
            };
            self.push_plain(
                group,
                rule,
                Side::New,
                nptr.clone(),
                Subject::parameter(key, location, name),
                format!("{word} {location} parameter `{name}` added"),
            );
        }
    }

    /// Path parameters are positional: `/items/{id}` -> `/items/{item_id}` renames one, which
    /// changes nothing on the wire (and, Rust arguments being positional, nothing for
    /// callers). Matched pairs are reported as renames and taken out of the comparison.
    fn path_renames(
        &mut self,
        group: &Group,
        key: &str,
        old: &Op<'a>,
        new: &Op<'a>,
        op: &mut BTreeMap<(String, String), (&'a Value, String)>,
        np: &mut BTreeMap<(String, String), (&'a Value, String)>,
    ) {
        let names = |path: &str| -> Vec<String> {
            path.split('{')
                .skip(1)
                .filter_map(|s| s.split_once('}').map(|p| p.0.to_owned()))
                .collect()
        };
        for (o, n) in names(&old.path).into_iter().zip(names(&new.path)) {
            let (ok, nk) = (
                ("path".to_owned(), o.clone()),
                ("path".to_owned(), n.clone()),
            );
            if o == n || !op.contains_key(&ok) || !np.contains_key(&nk) || np.contains_key(&ok) {
                continue;
            }
            let (Some((ov, optr)), Some((nv, nptr))) = (op.remove(&ok), np.remove(&nk)) else {
                continue;
            };
            self.push_plain(
                group,
                &rules::REQUEST_PATH_PARAMETER_RENAMED,
                Side::New,
                nptr.clone(),
                Subject::parameter(key, "path", &n),
                format!("path parameter `{o}` renamed to `{n}`"),
            );
            self.parameter_schemas(
                group,
                (ov, &optr),
                (nv, &nptr),
                &format!("path parameter `{n}`"),
                Subject::parameter(key, "path", &n),
            );
        }
    }

    /// Compares the schemas of a parameter present on both sides (`ptr`: the parameter's).
    fn parameter_schemas(
        &mut self,
        group: &Group,
        (ov, optr): (&'a Value, &str),
        (nv, nptr): (&'a Value, &str),
        label: &str,
        subject: Subject,
    ) {
        if let (Some(os), Some(ns)) = (ov.get("schema"), nv.get("schema")) {
            let at = At {
                group: group.clone(),
                area: Area::Parameters,
                dirs: Dirs::REQUEST,
                old_ptr: format!("{optr}/schema"),
                new_ptr: format!("{nptr}/schema"),
                label: label.to_owned(),
            };
            self.schema_with(&at, os, ns, subject);
        }
    }

    fn request_body(&mut self, group: &Group, key: &str, old: &Op<'a>, new: &Op<'a>) {
        let body = |root: &'a Value, op: &Op<'a>| {
            op.value
                .get("requestBody")
                .map(|b| follow(root, b, format!("{}/requestBody", op.ptr)))
        };
        let subject = Subject::Body(key.to_owned());
        match (body(self.old, old), body(self.new, new)) {
            (None, None) => {}
            (Some((_, optr)), None) => self.push_plain(
                group,
                &rules::REQUEST_BODY_REMOVED,
                Side::Old,
                optr,
                subject,
                "request body removed".to_owned(),
            ),
            (None, Some((nb, nptr))) => {
                let required = flag(nb, "required");
                self.push_plain(
                    group,
                    if required {
                        &rules::REQUEST_BODY_ADDED_REQUIRED
                    } else {
                        &rules::REQUEST_BODY_ADDED_OPTIONAL
                    },
                    Side::New,
                    nptr,
                    subject,
                    format!(
                        "{} request body added",
                        if required { "required" } else { "optional" }
                    ),
                );
            }
            (Some((ob, optr)), Some((nb, nptr))) => {
                let (oreq, nreq) = (flag(ob, "required"), flag(nb, "required"));
                if oreq != nreq {
                    self.push_plain(
                        group,
                        if nreq {
                            &rules::REQUEST_BODY_BECAME_REQUIRED
                        } else {
                            &rules::REQUEST_BODY_BECAME_OPTIONAL
                        },
                        Side::New,
                        format!("{nptr}/required"),
                        subject.clone(),
                        format!(
                            "request body became {}",
                            if nreq { "required" } else { "optional" }
                        ),
                    );
                }
                let at = At {
                    group: group.clone(),
                    area: Area::RequestBody,
                    dirs: Dirs::REQUEST,
                    old_ptr: optr,
                    new_ptr: nptr,
                    label: "request body".to_owned(),
                };
                self.content(&at, ob, nb, subject);
            }
        }
    }

    /// A `content` map: media types removed/added, and the schemas of the common ones.
    fn content(&mut self, at: &At, old: &Value, new: &Value, subject: Subject) {
        let oc = object(old, "/content");
        let nc = object(new, "/content");
        let request = at.dirs.request;
        for (media, ov) in oc {
            let child = At {
                old_ptr: format!("{}/content/{}", at.old_ptr, escape_token(media)),
                new_ptr: format!("{}/content/{}", at.new_ptr, escape_token(media)),
                label: format!("{} `{media}`", at.label),
                ..at.clone()
            };
            match nc.get(media) {
                None => self.push_plain(
                    &at.group,
                    if request {
                        &rules::REQUEST_MEDIA_TYPE_REMOVED
                    } else {
                        &rules::RESPONSE_MEDIA_TYPE_REMOVED
                    },
                    Side::Old,
                    child.old_ptr.clone(),
                    subject.clone(),
                    format!("{}: media type `{media}` removed", at.label),
                ),
                Some(nv) => {
                    if let (Some(os), Some(ns)) = (ov.get("schema"), nv.get("schema")) {
                        let child = At {
                            old_ptr: format!("{}/schema", child.old_ptr),
                            new_ptr: format!("{}/schema", child.new_ptr),
                            ..child
                        };
                        self.schema_with(&child, os, ns, subject.clone());
                    }
                }
            }
        }
        for media in nc.keys().filter(|m| !oc.contains_key(*m)) {
            self.push_plain(
                &at.group,
                if request {
                    &rules::REQUEST_MEDIA_TYPE_ADDED
                } else {
                    &rules::RESPONSE_MEDIA_TYPE_ADDED
                },
                Side::New,
                format!("{}/content/{}", at.new_ptr, escape_token(media)),
                subject.clone(),
                format!("{}: media type `{media}` added", at.label),
            );
        }
    }

    fn responses(&mut self, group: &Group, key: &str, old: &Op<'a>, new: &Op<'a>) {
        let or = object(old.value, "/responses");
        let nr = object(new.value, "/responses");
        let success = |s: &str| s.starts_with('2');
        let subject = Subject::Response(key.to_owned());
        for (status, ov) in or {
            let optr = format!("{}/responses/{}", old.ptr, escape_token(status));
            let Some(nv) = nr.get(status) else {
                let ok = success(status);
                self.push_plain(
                    group,
                    if ok {
                        &rules::RESPONSE_SUCCESS_STATUS_REMOVED
                    } else {
                        &rules::RESPONSE_NON_SUCCESS_STATUS_REMOVED
                    },
                    Side::Old,
                    optr,
                    subject.clone(),
                    format!("response `{status}` removed"),
                );
                continue;
            };
            let (ov, optr) = follow(self.old, ov, optr);
            let (nv, nptr) = follow(
                self.new,
                nv,
                format!("{}/responses/{}", new.ptr, escape_token(status)),
            );
            let at = At {
                group: group.clone(),
                area: Area::Responses,
                dirs: Dirs::RESPONSE,
                old_ptr: optr,
                new_ptr: nptr,
                label: format!("response {status}"),
            };
            self.headers(&at, ov, nv, &subject);
            self.content(&at, ov, nv, subject.clone());
        }
        for status in nr.keys().filter(|s| !or.contains_key(*s)) {
            let ok = success(status);
            self.push_plain(
                group,
                if ok {
                    &rules::RESPONSE_SUCCESS_STATUS_ADDED
                } else {
                    &rules::RESPONSE_NON_SUCCESS_STATUS_ADDED
                },
                Side::New,
                format!("{}/responses/{}", new.ptr, escape_token(status)),
                subject.clone(),
                format!("response `{status}` added"),
            );
        }
    }

    fn headers(&mut self, at: &At, old: &Value, new: &Value, subject: &Subject) {
        let oh = object(old, "/headers");
        let nh = object(new, "/headers");
        let lower = |m: &serde_json::Map<String, Value>| -> BTreeMap<String, String> {
            m.keys()
                .map(|k| (k.to_ascii_lowercase(), k.clone()))
                .collect()
        };
        let (ol, nl) = (lower(oh), lower(nh));
        for (lc, oname) in &ol {
            let optr = format!("{}/headers/{}", at.old_ptr, escape_token(oname));
            let (ov, optr) = follow(self.old, &oh[oname], optr);
            let Some(nname) = nl.get(lc) else {
                let required = flag(ov, "required");
                self.push_plain(
                    &at.group,
                    if required {
                        &rules::REQUIRED_RESPONSE_HEADER_REMOVED
                    } else {
                        &rules::OPTIONAL_RESPONSE_HEADER_REMOVED
                    },
                    Side::Old,
                    optr,
                    subject.clone(),
                    format!("{}: header `{oname}` removed", at.label),
                );
                continue;
            };
            let nptr = format!("{}/headers/{}", at.new_ptr, escape_token(nname));
            let (nv, nptr) = follow(self.new, &nh[nname], nptr);
            if flag(ov, "required") && !flag(nv, "required") {
                self.push_plain(
                    &at.group,
                    &rules::RESPONSE_HEADER_BECAME_OPTIONAL,
                    Side::New,
                    format!("{nptr}/required"),
                    subject.clone(),
                    format!("{}: header `{nname}` became optional", at.label),
                );
            }
            if let (Some(os), Some(ns)) = (ov.get("schema"), nv.get("schema")) {
                let child = At {
                    area: Area::Headers,
                    old_ptr: format!("{optr}/schema"),
                    new_ptr: format!("{nptr}/schema"),
                    label: format!("{}: header `{nname}`", at.label),
                    ..at.clone()
                };
                self.schema_with(&child, os, ns, subject.clone());
            }
        }
        for (lc, nname) in &nl {
            if !ol.contains_key(lc) {
                self.push_plain(
                    &at.group,
                    &rules::RESPONSE_HEADER_ADDED,
                    Side::New,
                    format!("{}/headers/{}", at.new_ptr, escape_token(nname)),
                    subject.clone(),
                    format!("{}: header `{nname}` added", at.label),
                );
            }
        }
    }

    /// Component schemas: each compared once, graded by how the operations use it.
    fn components(&mut self) {
        let (o, n) = (
            object(self.old, "/components/schemas"),
            object(self.new, "/components/schemas"),
        );
        for (name, ov) in o {
            let ptr = format!("#/components/schemas/{}", escape_token(name));
            let dirs = self.usage.get(name).copied().unwrap_or_default();
            let at = At {
                group: Group::Schema(name.clone()),
                area: Area::Schemas,
                dirs,
                old_ptr: ptr.clone(),
                new_ptr: ptr.clone(),
                label: name.clone(),
            };
            match n.get(name) {
                None => self.push_plain(
                    &at.group,
                    &rules::SCHEMA_REMOVED,
                    Side::Old,
                    ptr.clone(),
                    Subject::Schema(ptr),
                    format!("component schema `{name}` removed"),
                ),
                Some(nv) => {
                    let subject = Subject::Schema(ptr);
                    self.schema(&at, ov, nv, subject);
                }
            }
        }
        for name in n.keys().filter(|k| !o.contains_key(*k)) {
            let ptr = format!("#/components/schemas/{}", escape_token(name));
            self.push_plain(
                &Group::Schema(name.clone()),
                &rules::SCHEMA_ADDED,
                Side::New,
                ptr.clone(),
                Subject::Schema(ptr),
                format!("component schema `{name}` added"),
            );
        }
    }

    /// Compares two schema nodes that may be references: same component on both sides ->
    /// nothing here (the component's own group reports it); otherwise resolve and compare.
    fn schema_with(&mut self, at: &At, old: &Value, new: &Value, subject: Subject) {
        let (or, nr) = (schema_ref(old), schema_ref(new));
        if or.is_some() && or == nr {
            return;
        }
        if or != nr {
            self.push(
                at,
                &rules::SCHEMA_REFERENCE_CHANGED,
                Side::New,
                subject.clone(),
                format!(
                    "{}: schema changed from {} to {}",
                    at.label,
                    or.as_ref()
                        .map(|r| format!("`{r}`"))
                        .unwrap_or_else(|| "an inline schema".into()),
                    nr.as_ref()
                        .map(|r| format!("`{r}`"))
                        .unwrap_or_else(|| "an inline schema".into()),
                ),
            );
        }
        let pair = (
            or.clone().unwrap_or_default(),
            nr.clone().unwrap_or_default(),
        );
        if !self.visiting.insert(pair.clone()) {
            return;
        }
        let (ov, optr) = match &or {
            Some(r) => (
                json::resolve_ref(self.old, &schema_ptr(r)).ok(),
                schema_ptr(r),
            ),
            None => (Some(old), at.old_ptr.clone()),
        };
        let (nv, nptr) = match &nr {
            Some(r) => (
                json::resolve_ref(self.new, &schema_ptr(r)).ok(),
                schema_ptr(r),
            ),
            None => (Some(new), at.new_ptr.clone()),
        };
        if let (Some(ov), Some(nv)) = (ov, nv) {
            let inner = At {
                old_ptr: optr,
                new_ptr: nptr,
                ..at.clone()
            };
            self.schema(&inner, ov, nv, subject);
        }
        self.visiting.remove(&pair);
    }

    /// Compares two resolved schema nodes.
    fn schema(&mut self, at: &At, old: &Value, new: &Value, subject: Subject) {
        // 3.1's `anyOf: [X, {type: null}]` is a nullable X: compare the Xs.
        let (of, nf) = (facts(old), facts(new));
        let old_inner = nullable_wrapper(old).unwrap_or(old);
        let new_inner = nullable_wrapper(new).unwrap_or(new);
        if !std::ptr::eq(old_inner, old) || !std::ptr::eq(new_inner, new) {
            self.nullability(at, &of, &nf, &subject);
            self.schema_with(at, old_inner, new_inner, subject);
            return;
        }
        let label = &at.label;

        if of.types != nf.types {
            let rule = if type_subset(&of.types, &nf.types) {
                &rules::TYPE_GENERALIZED
            } else if type_subset(&nf.types, &of.types) {
                &rules::TYPE_NARROWED
            } else {
                &rules::TYPE_CHANGED
            };
            self.push(
                at,
                rule,
                Side::New,
                subject.clone(),
                format!(
                    "{label}: type changed from `{}` to `{}`",
                    show_types(&of.types),
                    show_types(&nf.types)
                ),
            );
        }
        self.nullability(at, &of, &nf, &subject);
        let (ofmt, nfmt) = (old.get("format"), new.get("format"));
        // A new type explains a new format; one change is enough.
        if ofmt != nfmt && of.types == nf.types {
            self.push(
                at,
                &rules::FORMAT_CHANGED,
                Side::New,
                subject.clone(),
                format!(
                    "{label}: format changed from `{}` to `{}`",
                    ofmt.map(show).unwrap_or_else(|| "none".into()),
                    nfmt.map(show).unwrap_or_else(|| "none".into())
                ),
            );
        }
        self.enums(at, &of, &nf, &subject);
        self.constraints(at, old, new, &subject);
        if old.get("default") != new.get("default") {
            self.push(
                at,
                &rules::DEFAULT_VALUE_CHANGED,
                Side::New,
                subject.clone(),
                format!(
                    "{label}: default changed from {} to {}",
                    old.get("default")
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| "none".into()),
                    new.get("default")
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| "none".into())
                ),
            );
        }
        // allOf: member by member when the shape is unchanged, else merged.
        let (oa, na) = (all_of(old), all_of(new));
        if !oa.is_empty() || !na.is_empty() {
            let same_shape = oa.len() == na.len()
                && oa
                    .iter()
                    .zip(&na)
                    .all(|(a, b)| schema_ref(a) == schema_ref(b));
            if same_shape {
                for (i, (a, b)) in oa.iter().zip(&na).enumerate() {
                    let child = At {
                        old_ptr: format!("{}/allOf/{i}", at.old_ptr),
                        new_ptr: format!("{}/allOf/{i}", at.new_ptr),
                        ..at.clone()
                    };
                    self.schema_with(&child, a, b, subject.clone());
                }
            } else {
                let (om, nm) = (self.merged(self.old, old), self.merged(self.new, new));
                self.properties(at, &om, &nm, &subject);
                return;
            }
        }
        self.properties(at, old, new, &subject);
        self.alternatives(at, old, new, &subject);
        if let (Some(oi), Some(ni)) = (old.get("items"), new.get("items")) {
            let child = at.child("items", "items", "[]");
            self.schema_with(&child, oi, ni, subject.clone());
        }
        self.additional(at, old, new, &subject);
    }

    /// An `allOf` flattened into one object schema (properties and `required` merged),
    /// so moving a property between members is no change.
    fn merged(&self, root: &Value, v: &Value) -> Value {
        json::flatten_all_of(root, v, Pointer::root()).merge()
    }

    fn nullability(&mut self, at: &At, of: &Facts, nf: &Facts, subject: &Subject) {
        if of.nullable == nf.nullable {
            return;
        }
        let (rule, word) = if nf.nullable {
            (&rules::BECAME_NULLABLE, "nullable")
        } else {
            (&rules::BECAME_NOT_NULLABLE, "not nullable")
        };
        self.push(
            at,
            rule,
            Side::New,
            subject.clone(),
            format!("{}: became {word}", at.label),
        );
    }

    fn enums(&mut self, at: &At, of: &Facts, nf: &Facts, subject: &Subject) {
        let label = &at.label;
        match (&of.enum_values, &nf.enum_values) {
            (Some(o), Some(n)) => {
                for v in o.iter().filter(|v| !n.contains(v)) {
                    self.push(
                        at,
                        &rules::ENUM_VALUE_REMOVED,
                        Side::Old,
                        Subject::EnumValue(at.old_ptr.clone(), show(v)),
                        format!("{label}: enum value `{}` removed", show(v)),
                    );
                }
                for v in n.iter().filter(|v| !o.contains(v)) {
                    self.push(
                        at,
                        &rules::ENUM_VALUE_ADDED,
                        Side::New,
                        Subject::EnumValue(at.new_ptr.clone(), show(v)),
                        format!("{label}: enum value `{}` added", show(v)),
                    );
                }
            }
            (None, Some(_)) => self.push(
                at,
                &rules::ENUM_ADDED,
                Side::New,
                subject.clone(),
                format!("{label}: values restricted to an enum"),
            ),
            (Some(_), None) => self.push(
                at,
                &rules::ENUM_REMOVED,
                Side::New,
                subject.clone(),
                format!("{label}: enum restriction removed"),
            ),
            (None, None) => {}
        }
    }

    /// Bounds and patterns: tighter is breaking for requests (callers' values get rejected),
    /// looser is a warning for responses (values outside what clients were told).
    fn constraints(&mut self, at: &At, old: &Value, new: &Value, subject: &Subject) {
        let label = &at.label;
        for (key, tightened, loosened, upper) in rules::BOUNDS {
            let (o, n) = (
                old.get(key).and_then(Value::as_f64),
                new.get(key).and_then(Value::as_f64),
            );
            if o == n {
                continue;
            }
            let tighter = match (o, n) {
                (None, Some(_)) => true,
                (Some(_), None) => false,
                (Some(o), Some(n)) => (n < o) == upper,
                (None, None) => continue,
            };
            let fmt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_else(|| "none".into());
            self.push(
                at,
                if tighter { tightened } else { loosened },
                Side::New,
                subject.clone(),
                format!("{label}: `{key}` changed from {} to {}", fmt(o), fmt(n)),
            );
        }
        for (key, changed, removed) in [
            ("pattern", &rules::PATTERN_CHANGED, &rules::PATTERN_REMOVED),
            (
                "multipleOf",
                &rules::MULTIPLE_OF_CHANGED,
                &rules::MULTIPLE_OF_REMOVED,
            ),
        ] {
            if old.get(key) != new.get(key) {
                self.push(
                    at,
                    if new.get(key).is_none() {
                        removed
                    } else {
                        changed
                    },
                    Side::New,
                    subject.clone(),
                    format!(
                        "{label}: `{key}` changed from {} to {}",
                        old.get(key)
                            .map(|v| v.to_string())
                            .unwrap_or_else(|| "none".into()),
                        new.get(key)
                            .map(|v| v.to_string())
                            .unwrap_or_else(|| "none".into())
                    ),
                );
            }
        }
    }

    fn properties(&mut self, at: &At, old: &Value, new: &Value, _subject: &Subject) {
        let op = object(old, "/properties");
        let np = object(new, "/properties");
        let required = |v: &Value| -> BTreeSet<String> {
            v.get("required")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let (or, nr) = (required(old), required(new));
        // readOnly properties never travel in requests, writeOnly ones never in responses.
        let dirs_of = |v: &Value, dirs: Dirs| Dirs {
            request: dirs.request && !flag(v, "readOnly"),
            response: dirs.response && !flag(v, "writeOnly"),
        };
        for (name, ov) in op {
            let child = At {
                dirs: dirs_of(ov, at.dirs),
                old_ptr: format!("{}/properties/{}", at.old_ptr, escape_token(name)),
                new_ptr: format!("{}/properties/{}", at.new_ptr, escape_token(name)),
                label: format!("{}.{name}", at.label),
                ..at.clone()
            };
            let subject_old = Subject::Property(at.old_ptr.clone(), name.clone());
            let subject_new = Subject::Property(at.new_ptr.clone(), name.clone());
            let Some(nv) = np.get(name) else {
                let was_required = or.contains(name);
                self.push(
                    &child,
                    &rules::PROPERTY_REMOVED,
                    Side::Old,
                    subject_old,
                    format!(
                        "{}: {} property removed",
                        child.label,
                        if was_required { "required" } else { "optional" }
                    ),
                );
                continue;
            };
            let child = At {
                dirs: dirs_of(ov, at.dirs).union(dirs_of(nv, at.dirs)),
                ..child
            };
            match (or.contains(name), nr.contains(name)) {
                (false, true) => self.push(
                    &child,
                    &rules::PROPERTY_BECAME_REQUIRED,
                    Side::New,
                    subject_new.clone(),
                    format!("{}: became required", child.label),
                ),
                (true, false) => self.push(
                    &child,
                    &rules::PROPERTY_BECAME_OPTIONAL,
                    Side::New,
                    subject_new.clone(),
                    format!("{}: became optional", child.label),
                ),
                _ => {}
            }
            self.schema_with(&child, ov, nv, subject_new);
        }
        for (name, nv) in np {
            if op.contains_key(name) {
                continue;
            }
            let child = At {
                dirs: dirs_of(nv, at.dirs),
                old_ptr: at.old_ptr.clone(),
                new_ptr: format!("{}/properties/{}", at.new_ptr, escape_token(name)),
                label: format!("{}.{name}", at.label),
                ..at.clone()
            };
            let required = nr.contains(name);
            let rule = if required {
                &rules::REQUIRED_PROPERTY_ADDED
            } else {
                &rules::OPTIONAL_PROPERTY_ADDED
            };
            self.push(
                &child,
                rule,
                Side::New,
                Subject::Property(at.new_ptr.clone(), name.clone()),
                format!(
                    "{}: {} property added",
                    child.label,
                    if required { "required" } else { "optional" }
                ),
            );
        }
    }

    /// `oneOf`/`anyOf` alternatives: more of them is news for whoever reads the value,
    /// fewer is news for whoever writes it.
    fn alternatives(&mut self, at: &At, old: &Value, new: &Value, subject: &Subject) {
        for (key, added, removed) in [
            ("oneOf", &rules::ONE_OF_ADDED, &rules::ONE_OF_REMOVED),
            ("anyOf", &rules::ANY_OF_ADDED, &rules::ANY_OF_REMOVED),
        ] {
            let (o, n): (Vec<&Value>, Vec<&Value>) = (
                old.get(key)
                    .and_then(Value::as_array)
                    .map(|a| a.iter().collect())
                    .unwrap_or_default(),
                new.get(key)
                    .and_then(Value::as_array)
                    .map(|a| a.iter().collect())
                    .unwrap_or_default(),
            );
            if o.len() == n.len() {
                for (i, (a, b)) in o.iter().zip(&n).enumerate() {
                    let child = At {
                        old_ptr: format!("{}/{key}/{i}", at.old_ptr),
                        new_ptr: format!("{}/{key}/{i}", at.new_ptr),
                        label: format!("{}<{key}[{i}]>", at.label),
                        ..at.clone()
                    };
                    self.schema_with(&child, a, b, subject.clone());
                }
            } else if n.len() > o.len() {
                self.push(
                    at,
                    added,
                    Side::New,
                    subject.clone(),
                    format!(
                        "{}: `{key}` alternatives went from {} to {}",
                        at.label,
                        o.len(),
                        n.len()
                    ),
                );
            } else {
                self.push(
                    at,
                    removed,
                    Side::New,
                    subject.clone(),
                    format!(
                        "{}: `{key}` alternatives went from {} to {}",
                        at.label,
                        o.len(),
                        n.len()
                    ),
                );
            }
        }
    }

    fn additional(&mut self, at: &At, old: &Value, new: &Value, subject: &Subject) {
        let (o, n) = (
            old.get("additionalProperties"),
            new.get("additionalProperties"),
        );
        if let (Some(os @ Value::Object(_)), Some(ns @ Value::Object(_))) = (o, n) {
            let child = at.child("additionalProperties", "additionalProperties", "{*}");
            self.schema_with(&child, os, ns, subject.clone());
            return;
        }
        let allows = |v: Option<&Value>| !matches!(v, Some(Value::Bool(false)));
        if allows(o) != allows(n) {
            let rule = if allows(n) {
                &rules::ADDITIONAL_PROPERTIES_ALLOWED
            } else {
                &rules::ADDITIONAL_PROPERTIES_FORBIDDEN
            };
            self.push(
                at,
                rule,
                Side::New,
                subject.clone(),
                format!(
                    "{}: additional properties {}",
                    at.label,
                    if allows(n) {
                        "now allowed"
                    } else {
                        "no longer allowed"
                    }
                ),
            );
        }
    }
}

fn all_of(v: &Value) -> Vec<&Value> {
    v.get("allOf")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

/// For each component schema, the directions in which operations reach it (transitively).
fn schema_usage(doc: &Value) -> BTreeMap<String, Dirs> {
    let mut roots: Vec<(&Value, Dirs)> = Vec::new();
    for op in operations(doc).values() {
        for (p, _) in parameters(doc, op).values() {
            if let Some(s) = p.get("schema") {
                roots.push((s, Dirs::REQUEST));
            }
            if let Some(c) = p.get("content") {
                roots.push((c, Dirs::REQUEST));
            }
        }
        if let Some(b) = op.value.get("requestBody") {
            roots.push((follow(doc, b, String::new()).0, Dirs::REQUEST));
        }
        if let Some(r) = op.value.get("responses").and_then(Value::as_object) {
            for v in r.values() {
                roots.push((follow(doc, v, String::new()).0, Dirs::RESPONSE));
            }
        }
    }
    let mut usage: BTreeMap<String, Dirs> = BTreeMap::new();
    for (root, dirs) in roots {
        let mut stack = vec![root];
        let mut seen = BTreeSet::new();
        while let Some(v) = stack.pop() {
            match v {
                Value::Object(map) => {
                    if let Some(r) = map.get("$ref").and_then(Value::as_str) {
                        if let Some(name) = json::component_ref(r, "schemas") {
                            let e = usage.entry(name).or_default();
                            *e = e.union(dirs);
                        }
                        if seen.insert(r.to_owned())
                            && let Some(t) = Pointer::parse(r).ok().and_then(|p| p.resolve(doc))
                        {
                            stack.push(t);
                        }
                    }
                    stack.extend(map.values());
                }
                Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
    }
    usage
}
