//! Checks that `spec/stream.openapi.json` covers everything the API reference documents.
//!
//! The reference (`shared/seed/stream-api-reference.md`) is one long line of Markdown: `#`
//! resources, `##` operations (`<summary> **<method>** `<path>` <description>`), `###` sections
//! (`Path Parameters`, `Query Parameters`, `Header Parameters`, `Body Parameters`, `Returns`,
//! `Example`) and `## Domain Types`. Bullet nesting is flattened, so the number of children of a
//! bullet comes from its type: `{ a, b, 3 more }` has 5, `"x" or "y" or 2 more` has 4 value
//! bullets, a literal (`true`, `"1.0.0"`) has 1, and a named domain type (`optional Video`) has
//! as many as its definition under `## Domain Types`.
//!
//! [`parse_reference`] turns the Markdown into operations, parameters and field trees;
//! [`check`] / [`check_parsed`] look each item up in an OpenAPI document (following `$ref` and
//! merging `allOf`) and return a [`Report`]. Everything here is pure and never panics on odd
//! input: what cannot be parsed becomes a warning in [`Reference::warnings`].

use codegen::json::{self, Pointer, escape_token};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;

// ---------------------------------------------------------------------------------------------
// Reference model
// ---------------------------------------------------------------------------------------------

/// A type as the reference writes it.
#[derive(Debug, Clone, PartialEq)]
pub enum RefType {
    /// `string`
    String,
    /// `number` (the spec may say `integer` or `number`)
    Number,
    /// `boolean`
    Boolean,
    /// `unknown`: anything matches
    Unknown,
    /// `{ a, b, N more }`: an inline object
    Object,
    /// `array of X`
    Array(Box<RefType>),
    /// `"a" or "b" or N more` (also a single quoted literal such as `"1.0.0"`)
    Enum(Vec<String>),
    /// An unquoted literal such as `true`
    Literal(String),
    /// A named domain type (`Video`, `AllowedOrigins`, ...)
    Named(String),
}

impl fmt::Display for RefType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefType::String => write!(f, "string"),
            RefType::Number => write!(f, "number"),
            RefType::Boolean => write!(f, "boolean"),
            RefType::Unknown => write!(f, "unknown"),
            RefType::Object => write!(f, "object"),
            RefType::Array(inner) => write!(f, "array of {inner}"),
            RefType::Enum(values) => write!(f, "enum [{}]", values.join(", ")),
            RefType::Literal(v) => write!(f, "literal {v}"),
            RefType::Named(n) => write!(f, "{n}"),
        }
    }
}

/// One documented field (or parameter) with its nested fields.
#[derive(Debug, Clone, PartialEq)]
pub struct RefField {
    /// Field name (header names without their quotes).
    pub name: String,
    /// The reference wrote `optional`.
    pub optional: bool,
    /// Documented type.
    pub ty: RefType,
    /// Documented description ("" when none).
    pub description: String,
    /// Nested fields (of the object, or of the array's items).
    pub children: Vec<RefField>,
}

/// Where a parameter lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamLocation {
    /// `### Path Parameters`
    Path,
    /// `### Query Parameters`
    Query,
    /// `### Header Parameters`
    Header,
}

impl ParamLocation {
    /// The OpenAPI `in` value.
    pub fn as_str(self) -> &'static str {
        match self {
            ParamLocation::Path => "path",
            ParamLocation::Query => "query",
            ParamLocation::Header => "header",
        }
    }
}

/// A documented parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct RefParam {
    /// Path, query or header.
    pub location: ParamLocation,
    /// Name, type, optional marker, description.
    pub field: RefField,
}

/// One `## ` operation of the reference.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RefOperation {
    /// The `# ` section it appears under.
    pub resource: String,
    /// The heading text before the method.
    pub summary: String,
    /// Lower-case HTTP method.
    pub method: String,
    /// Path template.
    pub path: String,
    /// The text after the path.
    pub description: String,
    /// Path, query and header parameters in reference order.
    pub params: Vec<RefParam>,
    /// `### Body Parameters`, when present.
    pub body: Option<Vec<RefField>>,
    /// `### Returns`, when present.
    pub returns: Option<Vec<RefField>>,
}

/// One `### ` entry under `## Domain Types`.
#[derive(Debug, Clone, PartialEq)]
pub struct RefDomainType {
    /// Type name (`Video`).
    pub name: String,
    /// Description of the type itself ("" when none).
    pub description: String,
    /// `Some("string")` for `Name = string`.
    pub alias: Option<String>,
    /// Fields of an object type.
    pub fields: Vec<RefField>,
}

/// The parsed reference.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reference {
    /// Operations in reference order.
    pub operations: Vec<RefOperation>,
    /// Domain types in reference order.
    pub domain_types: Vec<RefDomainType>,
    /// Things the parser could not make sense of.
    pub warnings: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Markdown parsing
// ---------------------------------------------------------------------------------------------

/// Replaces fenced code blocks by `\0<n>\0` so that `#` and `- `` inside them are not markup.
fn strip_code(md: &str) -> (String, Vec<String>) {
    let mut out = String::with_capacity(md.len());
    let mut codes = Vec::new();
    let mut rest = md;
    while let Some(start) = rest.find("```") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 3..];
        match after.find("```") {
            Some(end) => {
                codes.push(after[..end].to_string());
                out.push('\0');
                out.push_str(&(codes.len() - 1).to_string());
                out.push('\0');
                rest = &after[end + 3..];
            }
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    (out, codes)
}

/// Splits into `(level, text)` at every `#`..`####` heading that starts the text or follows a
/// space.
fn headings(text: &str) -> Vec<(usize, String)> {
    let bytes = text.as_bytes();
    let mut starts: Vec<(usize, usize, usize)> = Vec::new(); // (heading start, level, text start)
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'#' && (i == 0 || bytes[i - 1] == b' ') {
            let mut j = i;
            while j < bytes.len() && bytes[j] == b'#' {
                j += 1;
            }
            let level = j - i;
            if (1..=4).contains(&level)
                && j + 1 < bytes.len()
                && bytes[j] == b' '
                && bytes[j + 1] != b' '
            {
                starts.push((i, level, j + 1));
                i = j + 1;
                continue;
            }
            i = j;
            continue;
        }
        i += 1;
    }
    let mut out = Vec::new();
    for (k, &(_, level, text_start)) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map(|s| s.0).unwrap_or(text.len());
        let body = text.get(text_start..end).unwrap_or("").trim().to_string();
        out.push((level, body));
    }
    out
}

/// `- `code` description` bullets of a section body.
fn bullets(text: &str) -> Vec<(String, String)> {
    let bytes = text.as_bytes();
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 2 < bytes.len() {
        if bytes[i] == b'-'
            && bytes[i + 1] == b' '
            && bytes[i + 2] == b'`'
            && (i == 0 || bytes[i - 1].is_ascii_whitespace())
        {
            starts.push(i);
            i += 3;
            continue;
        }
        i += 1;
    }
    let mut out = Vec::new();
    for (k, &s) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(text.len());
        let chunk = text.get(s + 3..end).unwrap_or("");
        match chunk.find('`') {
            Some(close) => out.push((
                chunk[..close].to_string(),
                chunk[close + 1..].trim().to_string(),
            )),
            None => out.push((chunk.trim().to_string(), String::new())),
        }
    }
    out
}

/// Number of members of a brace list `{ a, b, 3 more }` (the text between the braces).
fn brace_count(inner: &str) -> usize {
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(
            |s| match s.strip_suffix(" more").map(|n| n.trim().parse::<usize>()) {
                Some(Ok(n)) => n,
                _ => 1,
            },
        )
        .sum()
}

/// A parsed type plus how many following bullets belong to it.
struct TypeInfo {
    ty: RefType,
    /// Children bullets that are fields (objects) or values (enums, literals).
    children: usize,
    /// The children are enum values rather than fields.
    values: bool,
}

fn parse_type(text: &str, counts: &HashMap<String, usize>) -> TypeInfo {
    let t = text.trim();
    if let Some(inner) = t.strip_prefix("array of ") {
        let info = parse_type(inner, counts);
        return TypeInfo {
            ty: RefType::Array(Box::new(info.ty)),
            children: info.children,
            values: info.values,
        };
    }
    if t.starts_with('{') {
        let inner = t.trim_start_matches('{').trim_end_matches('}');
        return TypeInfo {
            ty: RefType::Object,
            children: brace_count(inner),
            values: false,
        };
    }
    if t.starts_with('"') {
        let mut quoted = 0;
        let mut more = 0;
        for part in t.split(" or ") {
            let part = part.trim();
            if part.starts_with('"') {
                quoted += 1;
            } else if let Some(n) = part
                .strip_suffix(" more")
                .and_then(|n| n.trim().parse::<usize>().ok())
            {
                more += n;
            }
        }
        // Values are filled in from the value bullets.
        return TypeInfo {
            ty: RefType::Enum(Vec::new()),
            children: quoted + more,
            values: true,
        };
    }
    match t {
        "string" => TypeInfo {
            ty: RefType::String,
            children: 0,
            values: false,
        },
        "number" => TypeInfo {
            ty: RefType::Number,
            children: 0,
            values: false,
        },
        "boolean" => TypeInfo {
            ty: RefType::Boolean,
            children: 0,
            values: false,
        },
        "unknown" => TypeInfo {
            ty: RefType::Unknown,
            children: 0,
            values: false,
        },
        "true" | "false" | "null" => TypeInfo {
            ty: RefType::Literal(t.to_string()),
            children: 1,
            values: true,
        },
        _ if t.parse::<f64>().is_ok() => TypeInfo {
            ty: RefType::Literal(t.to_string()),
            children: 1,
            values: true,
        },
        _ => TypeInfo {
            ty: RefType::Named(t.to_string()),
            children: counts.get(t).copied().unwrap_or(0),
            values: false,
        },
    }
}

/// Splits a bullet's code span into `(name, type text)` when it is a field.
fn split_field(code: &str) -> Option<(String, &str)> {
    if let Some(rest) = code.strip_prefix('"') {
        let close = rest.find('"')?;
        let name = &rest[..close];
        let ty = rest[close + 1..].strip_prefix(": ")?;
        return Some((name.to_string(), ty));
    }
    let colon = code.find(": ")?;
    let name = &code[..colon];
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '$'))
    {
        return None;
    }
    Some((name.to_string(), &code[colon + 2..]))
}

fn set_enum_values(ty: &mut RefType, values: Vec<String>) {
    match ty {
        RefType::Array(inner) => set_enum_values(inner, values),
        RefType::Enum(v) => *v = values,
        RefType::Literal(_) => {}
        _ => {}
    }
}

/// Parses up to `limit` fields starting at `*i`, consuming their nested bullets.
fn parse_fields(
    bl: &[(String, String)],
    i: &mut usize,
    limit: Option<usize>,
    counts: &HashMap<String, usize>,
    warnings: &mut Vec<String>,
    context: &str,
    depth: usize,
) -> Vec<RefField> {
    let mut out = Vec::new();
    while *i < bl.len() && limit.is_none_or(|n| out.len() < n) {
        let (code, desc) = &bl[*i];
        *i += 1;
        let Some((name, ty_text)) = split_field(code) else {
            warnings.push(format!("{context}: unexpected bullet `{code}`"));
            continue;
        };
        let (optional, ty_text) = match ty_text.strip_prefix("optional ") {
            Some(rest) => (true, rest),
            None => (false, ty_text),
        };
        let info = parse_type(ty_text, counts);
        let mut field = RefField {
            name,
            optional,
            ty: info.ty,
            description: desc.clone(),
            children: Vec::new(),
        };
        if info.values {
            let mut values = Vec::new();
            for _ in 0..info.children {
                match bl.get(*i) {
                    Some((v, _)) if split_field(v).is_none() => {
                        values.push(v.trim_matches('"').to_string());
                        *i += 1;
                    }
                    _ => {
                        warnings.push(format!(
                            "{context}: `{}` has fewer values than announced",
                            field.name
                        ));
                        break;
                    }
                }
            }
            set_enum_values(&mut field.ty, values);
        } else if info.children > 0 {
            if depth > 32 {
                warnings.push(format!("{context}: nesting too deep at `{}`", field.name));
            } else {
                let ctx = format!("{context}.{}", field.name);
                field.children = parse_fields(
                    bl,
                    i,
                    Some(info.children),
                    counts,
                    warnings,
                    &ctx,
                    depth + 1,
                );
            }
        }
        out.push(field);
    }
    out
}

/// Parses a domain type header `Name { a, b, 2 more }` or `Name = string`.
fn domain_header(code: &str) -> Option<(String, Option<String>, usize)> {
    let code = code.trim();
    if let Some(eq) = code.find(" = ") {
        return Some((
            code[..eq].trim().to_string(),
            Some(code[eq + 3..].trim().to_string()),
            0,
        ));
    }
    let brace = code.find('{')?;
    let name = code[..brace].trim();
    if name.is_empty() || name.contains(' ') {
        return None;
    }
    let inner = code[brace + 1..].trim_end().trim_end_matches('}');
    Some((name.to_string(), None, brace_count(inner)))
}

const METHODS: [&str; 7] = ["get", "post", "put", "patch", "delete", "head", "options"];

fn parse_operation_heading(text: &str) -> Option<(String, String, String, String)> {
    let star = text.find(" **")?;
    let summary = text[..star].trim().to_string();
    let rest = &text[star + 3..];
    let end = rest.find("**")?;
    let method = rest[..end].trim().to_ascii_lowercase();
    if !METHODS.contains(&method.as_str()) {
        return None;
    }
    let rest = rest[end + 2..].trim_start();
    let rest = rest.strip_prefix('`')?;
    let close = rest.find('`')?;
    let path = rest[..close].to_string();
    let description = rest[close + 1..].trim().to_string();
    Some((summary, method, path, description))
}

/// Parses the reference Markdown. Never panics; problems go to [`Reference::warnings`].
pub fn parse_reference(md: &str) -> Reference {
    let (text, _codes) = strip_code(md);
    let segs = headings(&text);
    let mut reference = Reference::default();

    // Pass 1: domain type field counts, so `optional Video` knows how many bullets follow.
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut in_domain = false;
    for (level, body) in &segs {
        match level {
            1 => in_domain = false,
            2 => in_domain = body.starts_with("Domain Types"),
            3 if in_domain => {
                if let Some((code, _)) = bullets(body).first()
                    && let Some((name, _, n)) = domain_header(code)
                {
                    counts.insert(name, n);
                }
            }
            _ => {}
        }
    }

    // Pass 2.
    let mut resource = String::new();
    let mut in_domain = false;
    let mut current: Option<RefOperation> = None;
    let mut warnings = Vec::new();
    for (level, body) in &segs {
        match level {
            1 => {
                resource = body.clone();
                in_domain = false;
                if let Some(op) = current.take() {
                    reference.operations.push(op);
                }
            }
            2 => {
                if let Some(op) = current.take() {
                    reference.operations.push(op);
                }
                if body.starts_with("Domain Types") {
                    in_domain = true;
                } else {
                    in_domain = false;
                    match parse_operation_heading(body) {
                        Some((summary, method, path, description)) => {
                            current = Some(RefOperation {
                                resource: resource.clone(),
                                summary,
                                method,
                                path,
                                description,
                                ..RefOperation::default()
                            });
                        }
                        None => warnings.push(format!(
                            "unrecognised heading `## {}`",
                            body.chars().take(80).collect::<String>()
                        )),
                    }
                }
            }
            3 if in_domain => {
                let bl = bullets(body);
                let Some((code, desc)) = bl.first() else {
                    continue;
                };
                let Some((name, alias, _)) = domain_header(code) else {
                    warnings.push(format!("unrecognised domain type header `{code}`"));
                    continue;
                };
                let mut i = 1;
                let fields = parse_fields(&bl, &mut i, None, &counts, &mut warnings, &name, 0);
                reference.domain_types.push(RefDomainType {
                    name,
                    description: desc.clone(),
                    alias,
                    fields,
                });
            }
            3 => {
                let Some(op) = current.as_mut() else {
                    continue;
                };
                let ctx = format!("{} {}", op.method.to_ascii_uppercase(), op.path);
                let section = |name: &str| body.strip_prefix(name).map(str::trim);
                let parse = |rest: &str, warnings: &mut Vec<String>| {
                    let bl = bullets(rest);
                    let mut i = 0;
                    parse_fields(&bl, &mut i, None, &counts, warnings, &ctx, 0)
                };
                if let Some(rest) = section("Path Parameters") {
                    for f in parse(rest, &mut warnings) {
                        op.params.push(RefParam {
                            location: ParamLocation::Path,
                            field: f,
                        });
                    }
                } else if let Some(rest) = section("Query Parameters") {
                    for f in parse(rest, &mut warnings) {
                        op.params.push(RefParam {
                            location: ParamLocation::Query,
                            field: f,
                        });
                    }
                } else if let Some(rest) = section("Header Parameters") {
                    for f in parse(rest, &mut warnings) {
                        op.params.push(RefParam {
                            location: ParamLocation::Header,
                            field: f,
                        });
                    }
                } else if let Some(rest) = section("Body Parameters") {
                    op.body = Some(parse(rest, &mut warnings));
                } else if let Some(rest) = section("Returns") {
                    op.returns = Some(parse(rest, &mut warnings));
                } else if section("Example").is_none() {
                    warnings.push(format!(
                        "{ctx}: unknown section `### {}`",
                        body.chars().take(40).collect::<String>()
                    ));
                }
            }
            _ => {}
        }
    }
    if let Some(op) = current.take() {
        reference.operations.push(op);
    }
    reference.warnings = warnings;
    reference
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

/// What is wrong with one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// The item is absent from the spec.
    Missing,
    /// The item is present but differs (the text says how).
    Mismatch(String),
}

/// One missing or mismatched item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `operationId` (or `METHOD path` when the spec has none), or `components`.
    pub operation: String,
    /// E.g. `query parameter 'creator'`, `response field result.status.state`.
    pub location: String,
    /// Missing or mismatched.
    pub kind: ProblemKind,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ProblemKind::Missing => write!(f, "{}: {} missing", self.operation, self.location),
            ProblemKind::Mismatch(m) => write!(f, "{}: {}: {}", self.operation, self.location, m),
        }
    }
}

/// An item that was found and matched, with the JSON pointer of the spec node that holds it
/// (the parameter list entry, or the property under `properties`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Covered {
    /// As in [`Problem::operation`].
    pub operation: String,
    /// As in [`Problem::location`].
    pub location: String,
    /// JSON pointer into the spec.
    pub pointer: String,
}

/// The outcome of a coverage check.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    /// Operations in the reference.
    pub operations_total: usize,
    /// Of which the spec has (same method and path).
    pub operations_found: usize,
    /// Path, query and header parameters in the reference.
    pub parameters_total: usize,
    /// Of which present with matching type, enum, required-ness and description.
    pub parameters_covered: usize,
    /// Body and response fields (nested ones included) in the reference.
    pub fields_total: usize,
    /// Of which present with matching type, required-ness and description.
    pub fields_covered: usize,
    /// `## Domain Types` entries in the reference.
    pub domain_types_total: usize,
    /// Of which a component schema of that name exists.
    pub domain_types_found: usize,
    /// Fields of the domain types.
    pub domain_type_fields_total: usize,
    /// Of which matched in the component schema.
    pub domain_type_fields_covered: usize,
    /// Everything missing or mismatched.
    pub problems: Vec<Problem>,
    /// Everything matched, with where.
    pub covered: Vec<Covered>,
    /// Parser warnings (the reference itself looked odd).
    pub warnings: Vec<String>,
}

impl Report {
    /// Nothing missing, nothing mismatched, nothing unparsed.
    pub fn is_complete(&self) -> bool {
        self.problems.is_empty()
            && self.warnings.is_empty()
            && self.operations_found == self.operations_total
            && self.parameters_covered == self.parameters_total
            && self.fields_covered == self.fields_total
            && self.domain_types_found == self.domain_types_total
            && self.domain_type_fields_covered == self.domain_type_fields_total
    }

    /// Whether the report says `location` of `operation` is missing.
    pub fn reports_missing(&self, operation: &str, location: &str) -> bool {
        self.problems.iter().any(|p| {
            p.operation == operation && p.location == location && p.kind == ProblemKind::Missing
        })
    }

    /// Whether the report has a mismatch for `location` of `operation`.
    pub fn reports_mismatch(&self, operation: &str, location: &str) -> bool {
        self.problems.iter().any(|p| {
            p.operation == operation
                && p.location == location
                && matches!(p.kind, ProblemKind::Mismatch(_))
        })
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "operations:   {}/{}",
            self.operations_found, self.operations_total
        )?;
        writeln!(
            f,
            "parameters:   {}/{}",
            self.parameters_covered, self.parameters_total
        )?;
        writeln!(
            f,
            "fields:       {}/{} (request bodies and responses, nested included)",
            self.fields_covered, self.fields_total
        )?;
        writeln!(
            f,
            "domain types: {}/{} (fields {}/{})",
            self.domain_types_found,
            self.domain_types_total,
            self.domain_type_fields_covered,
            self.domain_type_fields_total
        )?;
        for w in &self.warnings {
            writeln!(f, "warning: {w}")?;
        }
        if self.problems.is_empty() {
            writeln!(f, "problems:     none")?;
        } else {
            writeln!(f, "problems:     {}", self.problems.len())?;
            for p in &self.problems {
                writeln!(f, "  - {p}")?;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Spec access
// ---------------------------------------------------------------------------------------------

/// Follows a local `$ref` chain. Returns the node and its pointer (`ptr` when `node` is no
/// reference or does not resolve).
fn deref<'a>(spec: &'a Value, node: &'a Value, ptr: String) -> (&'a Value, String) {
    match json::follow_refs(spec, node) {
        Ok((target, Some(at))) => (target, at.as_str().to_owned()),
        _ => (node, ptr),
    }
}

/// A schema with `$ref`s followed and `allOf` branches merged.
#[derive(Debug, Default)]
struct Merged<'a> {
    types: Vec<String>,
    enum_values: Option<Vec<Value>>,
    properties: Vec<(String, &'a Value, String)>,
    required: Vec<String>,
    items: Option<(&'a Value, String)>,
    description: Option<String>,
    unresolved_ref: Option<String>,
}

impl<'a> Merged<'a> {
    fn has_type(&self, t: &str) -> bool {
        self.types.iter().any(|x| x == t)
    }

    fn property(&self, name: &str) -> Option<&(String, &'a Value, String)> {
        self.properties.iter().find(|(n, _, _)| n == name)
    }

    fn describe(&self) -> String {
        if let Some(r) = &self.unresolved_ref {
            return format!("unresolved $ref {r}");
        }
        let mut s = if self.types.is_empty() {
            "untyped".to_string()
        } else {
            self.types.join("|")
        };
        if let Some(values) = &self.enum_values {
            let vs: Vec<String> = values
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            s = format!("{s} enum [{}]", vs.join(", "));
        }
        s
    }
}

/// `node` (at `ptr`, without the `#`) merged with what its `$ref`s and `allOf` bring in
/// ([`json::flatten_all_of`]: first definition wins, `type` and `required` are unions).
fn merged<'a>(spec: &'a Value, node: &'a Value, ptr: String) -> Merged<'a> {
    let pointer = Pointer::parse(&format!("#{ptr}")).unwrap_or_default();
    let all = json::flatten_all_of(spec, node, pointer);
    Merged {
        types: all.types().into_iter().map(str::to_owned).collect(),
        enum_values: all.first("enum").and_then(|(v, _)| v.as_array().cloned()),
        properties: all
            .properties()
            .into_iter()
            .map(|(name, schema, at)| (name.to_owned(), schema, at.as_str().to_owned()))
            .collect(),
        required: all.required().into_iter().map(str::to_owned).collect(),
        items: all
            .first("items")
            .map(|(items, at)| (items, format!("{}/items", at.as_str()))),
        description: all.parts.iter().find_map(|p| {
            p.schema
                .get("description")
                .and_then(Value::as_str)
                .filter(|d| !d.trim().is_empty())
                .map(str::to_owned)
        }),
        unresolved_ref: all.unresolved.first().map(|(r, _)| r.clone()),
    }
}

// ---------------------------------------------------------------------------------------------
// Checking
// ---------------------------------------------------------------------------------------------

struct Ctx<'a> {
    spec: &'a Value,
    aliases: HashMap<String, String>,
    problems: Vec<Problem>,
    covered: Vec<Covered>,
}

impl Ctx<'_> {
    fn problem(&mut self, operation: &str, location: String, kind: ProblemKind) {
        self.problems.push(Problem {
            operation: operation.to_string(),
            location,
            kind,
        });
    }
}

/// Checks a schema against an expected reference type; `None` when it matches.
fn type_mismatch<'a>(ctx: &Ctx<'a>, ty: &RefType, m: &Merged<'a>, depth: usize) -> Option<String> {
    if m.unresolved_ref.is_some() {
        return Some(format!("expected {ty}, found {}", m.describe()));
    }
    let found = || m.describe();
    match ty {
        RefType::Unknown => None,
        RefType::String => {
            (!m.has_type("string")).then(|| format!("expected string, found {}", found()))
        }
        RefType::Number => (!m.has_type("number") && !m.has_type("integer"))
            .then(|| format!("expected number, found {}", found())),
        RefType::Boolean => {
            (!m.has_type("boolean")).then(|| format!("expected boolean, found {}", found()))
        }
        RefType::Object => (!m.has_type("object")
            && (m.properties.is_empty() || !m.types.is_empty()))
        .then(|| format!("expected object, found {}", found())),
        RefType::Named(name) => match ctx.aliases.get(name) {
            Some(alias) => {
                let expected = match alias.as_str() {
                    "number" => RefType::Number,
                    "boolean" => RefType::Boolean,
                    "unknown" => RefType::Unknown,
                    _ => RefType::String,
                };
                type_mismatch(ctx, &expected, m, depth)
            }
            None => type_mismatch(ctx, &RefType::Object, m, depth),
        },
        RefType::Enum(values) => {
            if !m.has_type("string") {
                return Some(format!("expected {ty}, found {}", found()));
            }
            let spec_values: Option<Vec<&str>> = m
                .enum_values
                .as_ref()
                .map(|vs| vs.iter().filter_map(Value::as_str).collect());
            match spec_values {
                Some(mut sv) => {
                    let mut ev: Vec<&str> = values.iter().map(String::as_str).collect();
                    sv.sort_unstable();
                    ev.sort_unstable();
                    (sv != ev).then(|| format!("expected {ty}, found {}", found()))
                }
                None => Some(format!("expected {ty}, found {}", found())),
            }
        }
        RefType::Literal(lit) => {
            let expected: Value = serde_json::from_str(lit).unwrap_or(Value::String(lit.clone()));
            let type_ok = match &expected {
                Value::Bool(_) => m.has_type("boolean"),
                Value::Number(_) => m.has_type("number") || m.has_type("integer"),
                Value::Null => true,
                _ => m.has_type("string"),
            };
            let enum_ok = m
                .enum_values
                .as_ref()
                .is_some_and(|vs| vs.len() == 1 && vs[0] == expected);
            (!type_ok || !enum_ok).then(|| format!("expected {ty}, found {}", found()))
        }
        RefType::Array(inner) => {
            if !m.has_type("array") {
                return Some(format!("expected {ty}, found {}", found()));
            }
            if depth > 16 {
                return None;
            }
            match m.items {
                Some((items, ref iptr)) => {
                    let im = merged(ctx.spec, items, iptr.clone());
                    type_mismatch(ctx, inner, &im, depth + 1).map(|e| format!("array items: {e}"))
                }
                None => Some(format!("expected {ty}, found array without items")),
            }
        }
    }
}

/// Counts a field tree (the field and all nested ones).
fn count_fields(fields: &[RefField]) -> usize {
    fields.iter().map(|f| 1 + count_fields(&f.children)).sum()
}

/// Checks `fields` against the object `container` (None: the container is missing, so every
/// field is uncovered but only the container was reported). Returns the number covered.
fn check_fields<'a>(
    ctx: &mut Ctx<'a>,
    operation: &str,
    kind: &str,
    prefix: &str,
    fields: &[RefField],
    container: Option<&Merged<'a>>,
    depth: usize,
) -> usize {
    let mut covered = 0;
    for f in fields {
        let path = format!("{prefix}{}", f.name);
        let location = format!("{kind} field {path}");
        let Some(container) = container else {
            continue;
        };
        let Some((_, schema, ptr)) = container.property(&f.name) else {
            ctx.problem(operation, location, ProblemKind::Missing);
            continue;
        };
        let ptr = ptr.clone();
        let m = merged(ctx.spec, schema, ptr.clone());
        let mut ok = true;
        if let Some(e) = type_mismatch(ctx, &f.ty, &m, 0) {
            ctx.problem(operation, location.clone(), ProblemKind::Mismatch(e));
            ok = false;
        }
        let is_required = container.required.iter().any(|r| r == &f.name);
        if is_required == f.optional {
            let msg = if f.optional {
                "expected optional, found required"
            } else {
                "expected required, found optional"
            };
            ctx.problem(
                operation,
                location.clone(),
                ProblemKind::Mismatch(msg.to_string()),
            );
            ok = false;
        }
        if !f.description.is_empty() && m.description.is_none() {
            ctx.problem(
                operation,
                location.clone(),
                ProblemKind::Mismatch("description missing".to_string()),
            );
            ok = false;
        }
        if ok {
            covered += 1;
            ctx.covered.push(Covered {
                operation: operation.to_string(),
                location,
                pointer: ptr.clone(),
            });
        }
        if !f.children.is_empty() && depth < 32 {
            if matches!(f.ty, RefType::Array(_)) {
                let items = m
                    .items
                    .as_ref()
                    .map(|(v, p)| merged(ctx.spec, v, p.clone()));
                covered += check_fields(
                    ctx,
                    operation,
                    kind,
                    &format!("{path}[]."),
                    &f.children,
                    items.as_ref(),
                    depth + 1,
                );
            } else {
                covered += check_fields(
                    ctx,
                    operation,
                    kind,
                    &format!("{path}."),
                    &f.children,
                    Some(&m),
                    depth + 1,
                );
            }
        }
    }
    covered
}

fn media_schema<'a>(
    content: &'a Value,
    ptr: &str,
    preferred: &[&str],
) -> Option<(&'a Value, String)> {
    let obj = content.as_object()?;
    for p in preferred {
        if let Some(s) = obj.get(*p).and_then(|m| m.get("schema")) {
            return Some((s, format!("{ptr}/{}/schema", escape_token(p))));
        }
    }
    let (k, v) = obj.iter().next()?;
    v.get("schema")
        .map(|s| (s, format!("{ptr}/{}/schema", escape_token(k))))
}

fn check_param(
    ctx: &mut Ctx<'_>,
    operation: &str,
    spec_params: &[(&Value, String)],
    p: &RefParam,
) -> bool {
    let f = &p.field;
    let location = format!("{} parameter '{}'", p.location.as_str(), f.name);
    let found = spec_params.iter().find(|(v, _)| {
        v.get("in").and_then(Value::as_str) == Some(p.location.as_str())
            && v.get("name").and_then(Value::as_str).is_some_and(|n| {
                if p.location == ParamLocation::Header {
                    n.eq_ignore_ascii_case(&f.name)
                } else {
                    n == f.name
                }
            })
    });
    let Some((param, ptr)) = found else {
        ctx.problem(operation, location, ProblemKind::Missing);
        return false;
    };
    let mut ok = true;
    let required = param
        .get("required")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    // Path parameters are always required in OpenAPI, whatever the reference says.
    let expected_required = p.location == ParamLocation::Path || !f.optional;
    if required != expected_required {
        let msg = if expected_required {
            "expected required, found optional"
        } else {
            "expected optional, found required"
        };
        ctx.problem(
            operation,
            location.clone(),
            ProblemKind::Mismatch(msg.to_string()),
        );
        ok = false;
    }
    match param.get("schema") {
        Some(schema) => {
            let m = merged(ctx.spec, schema, format!("{ptr}/schema"));
            if let Some(e) = type_mismatch(ctx, &f.ty, &m, 0) {
                ctx.problem(operation, location.clone(), ProblemKind::Mismatch(e));
                ok = false;
            }
        }
        None => {
            ctx.problem(
                operation,
                location.clone(),
                ProblemKind::Mismatch("schema missing".to_string()),
            );
            ok = false;
        }
    }
    let has_desc = param
        .get("description")
        .and_then(Value::as_str)
        .is_some_and(|d| !d.trim().is_empty());
    if !f.description.is_empty() && !has_desc {
        ctx.problem(
            operation,
            location.clone(),
            ProblemKind::Mismatch("description missing".to_string()),
        );
        ok = false;
    }
    if ok {
        ctx.covered.push(Covered {
            operation: operation.to_string(),
            location,
            pointer: ptr.clone(),
        });
    }
    ok
}

fn op_params<'a>(
    ctx: &Ctx<'a>,
    path_item: &'a Value,
    path_ptr: &str,
    op: &'a Value,
    op_ptr: &str,
) -> Vec<(&'a Value, String)> {
    let mut out: Vec<(&'a Value, String)> = Vec::new();
    if let Some(Value::Array(ps)) = op.get("parameters") {
        for (i, p) in ps.iter().enumerate() {
            let (v, _) = deref(ctx.spec, p, String::new());
            out.push((v, format!("{op_ptr}/parameters/{i}")));
        }
    }
    if let Some(Value::Array(ps)) = path_item.get("parameters") {
        for (i, p) in ps.iter().enumerate() {
            let (v, _) = deref(ctx.spec, p, String::new());
            let key = (v.get("in"), v.get("name"));
            if !out.iter().any(|(o, _)| (o.get("in"), o.get("name")) == key) {
                out.push((v, format!("{path_ptr}/parameters/{i}")));
            }
        }
    }
    out
}

/// Parses the reference and checks the spec against it.
pub fn check(reference: &str, spec: &Value) -> Report {
    check_parsed(&parse_reference(reference), spec)
}

/// Checks the spec against an already parsed reference.
pub fn check_parsed(reference: &Reference, spec: &Value) -> Report {
    let mut ctx = Ctx {
        spec,
        aliases: reference
            .domain_types
            .iter()
            .filter_map(|t| t.alias.as_ref().map(|a| (t.name.clone(), a.clone())))
            .collect(),
        problems: Vec::new(),
        covered: Vec::new(),
    };
    let mut report = Report {
        warnings: reference.warnings.clone(),
        ..Report::default()
    };
    let paths = spec.get("paths").and_then(Value::as_object);

    for rop in &reference.operations {
        report.operations_total += 1;
        report.parameters_total += rop.params.len();
        let body_count = rop.body.as_deref().map(count_fields).unwrap_or(0);
        let returns_count = rop.returns.as_deref().map(count_fields).unwrap_or(0);
        report.fields_total += body_count + returns_count;

        let label_fallback = format!("{} {}", rop.method.to_ascii_uppercase(), rop.path);
        let path_ptr = format!("/paths/{}", escape_token(&rop.path));
        let op_ptr = format!("{path_ptr}/{}", rop.method);
        let path_item = paths.and_then(|p| p.get(&rop.path));
        let Some((path_item, op)) = path_item.and_then(|pi| pi.get(&rop.method).map(|o| (pi, o)))
        else {
            ctx.problem(
                &label_fallback,
                "operation".to_string(),
                ProblemKind::Missing,
            );
            continue;
        };
        report.operations_found += 1;
        let label = match op.get("operationId").and_then(Value::as_str) {
            Some(id) if !id.is_empty() => id.to_string(),
            _ => {
                ctx.problem(
                    &label_fallback,
                    "operationId".to_string(),
                    ProblemKind::Missing,
                );
                label_fallback.clone()
            }
        };
        for (key, expected) in [("summary", &rop.summary), ("description", &rop.description)] {
            match op.get(key).and_then(Value::as_str) {
                None if !expected.is_empty() => {
                    ctx.problem(&label, key.to_string(), ProblemKind::Missing)
                }
                Some(found) if found != expected => ctx.problem(
                    &label,
                    key.to_string(),
                    ProblemKind::Mismatch(format!("expected {expected:?}, found {found:?}")),
                ),
                _ => {}
            }
        }
        if op
            .get("tags")
            .and_then(Value::as_array)
            .is_none_or(|t| t.is_empty())
        {
            ctx.problem(&label, "tags".to_string(), ProblemKind::Missing);
        }

        // Parameters.
        let spec_params = op_params(&ctx, path_item, &path_ptr, op, &op_ptr);
        for p in &rop.params {
            if check_param(&mut ctx, &label, &spec_params, p) {
                report.parameters_covered += 1;
            }
        }

        // Request body.
        if let Some(body) = &rop.body {
            let rb = op
                .get("requestBody")
                .map(|rb| deref(spec, rb, format!("{op_ptr}/requestBody")));
            let is_opaque =
                body.len() == 1 && body[0].name == "body" && body[0].ty == RefType::Unknown;
            match rb {
                None => ctx.problem(&label, "request body".to_string(), ProblemKind::Missing),
                Some(_) if is_opaque => {
                    report.fields_covered += 1;
                    ctx.covered.push(Covered {
                        operation: label.clone(),
                        location: "request body".to_string(),
                        pointer: format!("{op_ptr}/requestBody"),
                    });
                }
                Some((rb, rb_ptr)) => {
                    let schema = rb.get("content").and_then(|c| {
                        media_schema(
                            c,
                            &format!("{rb_ptr}/content"),
                            &["application/json", "multipart/form-data"],
                        )
                    });
                    match schema {
                        None => ctx.problem(
                            &label,
                            "request body schema".to_string(),
                            ProblemKind::Missing,
                        ),
                        Some((s, sptr)) => {
                            let m = merged(spec, s, sptr);
                            report.fields_covered +=
                                check_fields(&mut ctx, &label, "body", "", body, Some(&m), 0);
                        }
                    }
                }
            }
        }

        // Response body.
        if let Some(returns) = &rop.returns {
            let responses = op.get("responses");
            let success = ["200", "201", "202", "2XX"]
                .iter()
                .find_map(|code| responses.and_then(|r| r.get(*code)).map(|v| (code, v)));
            match success {
                None => ctx.problem(&label, "success response".to_string(), ProblemKind::Missing),
                Some((code, resp)) => {
                    let (resp, rptr) = deref(spec, resp, format!("{op_ptr}/responses/{code}"));
                    let schema = resp.get("content").and_then(|c| {
                        media_schema(c, &format!("{rptr}/content"), &["application/json"])
                    });
                    match schema {
                        None => ctx.problem(
                            &label,
                            format!("response {code} body schema"),
                            ProblemKind::Missing,
                        ),
                        Some((s, sptr)) => {
                            let m = merged(spec, s, sptr);
                            report.fields_covered += check_fields(
                                &mut ctx,
                                &label,
                                "response",
                                "",
                                returns,
                                Some(&m),
                                0,
                            );
                        }
                    }
                }
            }
        }
    }

    // Operations in the spec that the reference does not have.
    if let Some(paths) = paths {
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for method in item.keys().filter(|m| METHODS.contains(&m.as_str())) {
                if !reference
                    .operations
                    .iter()
                    .any(|o| &o.path == path && &o.method == method)
                {
                    ctx.problem(
                        &format!("{} {path}", method.to_ascii_uppercase()),
                        "operation".to_string(),
                        ProblemKind::Mismatch("not in the reference".to_string()),
                    );
                }
            }
        }
    }

    // Domain types.
    let schemas = spec.pointer("/components/schemas");
    for t in &reference.domain_types {
        report.domain_types_total += 1;
        let count = count_fields(&t.fields);
        report.domain_type_fields_total += count;
        let ptr = format!("/components/schemas/{}", escape_token(&t.name));
        let Some(schema) = schemas.and_then(|s| s.get(&t.name)) else {
            ctx.problem(
                "components",
                format!("schema '{}'", t.name),
                ProblemKind::Missing,
            );
            continue;
        };
        report.domain_types_found += 1;
        let m = merged(spec, schema, ptr);
        if let Some(alias) = &t.alias {
            let expected = match alias.as_str() {
                "number" => RefType::Number,
                "boolean" => RefType::Boolean,
                "unknown" => RefType::Unknown,
                _ => RefType::String,
            };
            if let Some(e) = type_mismatch(&ctx, &expected, &m, 0) {
                ctx.problem(
                    "components",
                    format!("schema '{}'", t.name),
                    ProblemKind::Mismatch(e),
                );
            }
            continue;
        }
        if let Some(e) = type_mismatch(&ctx, &RefType::Object, &m, 0) {
            ctx.problem(
                "components",
                format!("schema '{}'", t.name),
                ProblemKind::Mismatch(e),
            );
        }
        if !t.description.is_empty() && m.description.is_none() {
            ctx.problem(
                "components",
                format!("schema '{}'", t.name),
                ProblemKind::Mismatch("description missing".to_string()),
            );
        }
        let kind = format!("schema '{}'", t.name);
        report.domain_type_fields_covered +=
            check_fields(&mut ctx, "components", &kind, "", &t.fields, Some(&m), 0);
    }

    report.problems = ctx.problems;
    report.covered = ctx.covered;
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const MINI: &str = "# Things ## List things **get** `/accounts/{account_id}/things` Lists things. \
        ### Path Parameters - `account_id: optional string` The account. \
        ### Query Parameters - `state: optional \"a\" or \"b\" or 1 more` The state. - `\"a\"` - `\"b\"` - `\"c\"` \
        ### Returns - `success: true` Whether it worked. - `true` \
        - `result: optional array of Thing` - `size: number` The size. - `tags: optional { name }` - `name: optional string` \
        ### Example ```http curl x ``` #### Response ```json {\"a\": \"# not a heading\"} ``` \
        ## Domain Types ### Thing - `Thing { size, tags }` - `size: number` The size. - `tags: optional { name }` - `name: optional string`";

    #[test]
    fn parses_nesting_and_enums() {
        let r = parse_reference(MINI);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_eq!(r.operations.len(), 1);
        let op = &r.operations[0];
        assert_eq!(op.summary, "List things");
        assert_eq!(op.description, "Lists things.");
        assert_eq!(op.params.len(), 2);
        assert_eq!(
            op.params[1].field.ty,
            RefType::Enum(vec!["a".into(), "b".into(), "c".into()])
        );
        let ret = op.returns.as_ref().unwrap();
        assert_eq!(ret.len(), 2);
        assert_eq!(ret[0].ty, RefType::Literal("true".into()));
        assert_eq!(ret[1].children.len(), 2);
        assert_eq!(ret[1].children[1].children[0].name, "name");
        assert_eq!(r.domain_types.len(), 1);
    }

    #[test]
    fn odd_input_does_not_panic() {
        for s in [
            "",
            "#",
            "## x **get**",
            "### Returns - `",
            "- `a: optional { b, 3 more }`",
            "```",
            "## Domain Types ### X - `X {`",
        ] {
            let _ = check(s, &json!(null));
            let _ = check(s, &json!({"paths": 1}));
        }
    }

    #[test]
    fn mini_spec_checks() {
        let spec = json!({
            "paths": {"/accounts/{account_id}/things": {"get": {
                "operationId": "things_list", "tags": ["things"], "summary": "List things", "description": "Lists things.",
                "parameters": [
                    {"name": "account_id", "in": "path", "required": true, "description": "d", "schema": {"type": "string"}},
                    {"name": "state", "in": "query", "description": "d", "schema": {"type": "string", "enum": ["a", "b"]}}
                ],
                "responses": {"200": {"content": {"application/json": {"schema": {"allOf": [
                    {"type": "object", "required": ["success"], "properties": {"success": {"type": "boolean", "enum": [true], "description": "d"}}},
                    {"properties": {"result": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}}}
                ]}}}}}
            }}},
            "components": {"schemas": {"Thing": {"type": "object", "required": ["size"], "properties": {
                "size": {"type": "integer", "description": "d"},
                "tags": {"type": "object", "properties": {"name": {"type": "string"}}}
            }}}}
        });
        let report = check(MINI, &spec);
        assert_eq!(report.problems.len(), 1, "{report}");
        assert_eq!(
            report.problems[0].to_string(),
            "things_list: query parameter 'state': expected enum [a, b, c], found string enum [a, b]"
        );
        assert_eq!(report.fields_total, 5);
        assert_eq!(report.fields_covered, 5, "{report}");
    }
}
