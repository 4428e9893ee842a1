//! `specsmith lint`: what in a spec the generator reads leniently or has to guess at, each
//! finding with its JSON pointer (and line, in YAML), graded by one table of rules
//! ([`RULES`]).

use std::fmt;

use codegen::{Error, Pointer, Settings};
use serde_json::Value;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Worth knowing; the generated code is as the spec says.
    Info,
    /// The generated code may not do what the spec's author meant.
    Warning,
    /// Nothing can be generated.
    Error,
}

impl Level {
    /// The name used in reports and by `--fail-on`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }

    /// The level named `name`.
    pub fn parse(name: &str) -> Option<Level> {
        [Level::Info, Level::Warning, Level::Error]
            .into_iter()
            .find(|level| level.as_str() == name)
    }
}

/// One kind of finding.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Its id, printed with each finding.
    pub id: &'static str,
    /// Its level.
    pub level: Level,
    /// What it means for the generated crate.
    pub about: &'static str,
}

/// Every rule `lint` applies.
pub const RULES: &[Rule] = &[
    Rule {
        id: "spec-invalid",
        level: Level::Error,
        about: "the document does not load: nothing is generated",
    },
    Rule {
        id: "read-leniently",
        level: Level::Warning,
        about: "a deviation from OpenAPI the generator accepted (a keyword no Rust type \
                expresses, read as the unconstrained type or ignored)",
    },
    Rule {
        id: "one-of-without-discriminator",
        level: Level::Warning,
        about: "a `oneOf` of several alternatives and no `discriminator`: a value is decoded \
                as the first alternative it fits, which is ambiguous when several fit",
    },
    Rule {
        id: "any-of-without-discriminator",
        level: Level::Info,
        about: "an `anyOf` of several alternatives and no `discriminator`: decoded as the \
                first alternative it fits",
    },
    Rule {
        id: "operation-without-id",
        level: Level::Info,
        about: "an operation without `operationId`: its method is named from the HTTP \
                method and path, and renamed when the path changes",
    },
    Rule {
        id: "no-security-scheme",
        level: Level::Info,
        about: "no security scheme: the client sends no credentials unless the config \
                declares one (`specsmith init` writes a commented one)",
    },
];

/// One finding.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The rule's id (in [`RULES`]).
    pub rule: &'static str,
    /// The rule's level.
    pub level: Level,
    /// Where, and what.
    pub error: Error,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: [{}] {}", self.level.as_str(), self.rule, self.error)
    }
}

fn finding(rule: &'static str, error: Error) -> Finding {
    let level = RULES
        .iter()
        .find(|r| r.id == rule)
        .map_or(Level::Error, |r| r.level);
    Finding { rule, level, error }
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The findings for the spec `text` (JSON or YAML) read with `settings`, in document order
/// within each rule, the error (if the spec does not load) alone.
pub fn lint(text: &str, settings: &Settings) -> Vec<Finding> {
    let loaded = match codegen::load_api(text, settings) {
        Ok(loaded) => loaded,
        Err(error) => return vec![finding("spec-invalid", error)],
    };
    let locate = |error: Error| {
        if codegen::spec::format_of(text) == codegen::spec::Format::Yaml {
            codegen::spec::locate(text, error)
        } else {
            error
        }
    };
    let mut findings: Vec<Finding> = loaded
        .warnings
        .into_iter()
        .map(|w| finding("read-leniently", w))
        .collect();
    let mut unions = Vec::new();
    walk_unions(
        &loaded.document,
        &loaded.document,
        &Pointer::root(),
        &mut unions,
    );
    findings.extend(
        unions
            .into_iter()
            .map(|(rule, error)| finding(rule, locate(error))),
    );
    let paths = Pointer::root().push("paths");
    for (path, item) in loaded
        .document
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for method in METHODS {
            if let Some(operation) = item.get(*method)
                && operation.get("operationId").is_none()
            {
                let at = paths.push(path).push(method);
                findings.push(finding(
                    "operation-without-id",
                    locate(Error::new(
                        &at,
                        format!("{} {path} has no operationId", method.to_uppercase()),
                    )),
                ));
            }
        }
    }
    if loaded.api.security_schemes.is_empty() {
        findings.push(finding(
            "no-security-scheme",
            Error::new(
                &Pointer::root().push("components").push("securitySchemes"),
                "no security scheme is declared (nor in the config)",
            ),
        ));
    }
    findings
}

/// Unions without a discriminator under `value`: schema-like objects with `oneOf` or
/// `anyOf` of alternatives that a value could fit more than one of (see [`ambiguous`]).
/// Examples are values, not schemas: not entered.
fn walk_unions(root: &Value, value: &Value, at: &Pointer, out: &mut Vec<(&'static str, Error)>) {
    match value {
        Value::Object(object) => {
            if object.get("discriminator").is_none() {
                for (keyword, rule) in [
                    ("oneOf", "one-of-without-discriminator"),
                    ("anyOf", "any-of-without-discriminator"),
                ] {
                    if let Some(alternatives) = object.get(keyword).and_then(Value::as_array)
                        && ambiguous(root, alternatives)
                    {
                        out.push((
                            rule,
                            Error::new(
                                &at.push(keyword),
                                format!("{} alternatives and no discriminator", alternatives.len()),
                            ),
                        ));
                    }
                }
            }
            for (key, child) in object {
                if key != "example" && key != "examples" && key != "default" && key != "enum" {
                    walk_unions(root, child, &at.push(key), out);
                }
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                walk_unions(root, child, &at.push(index), out);
            }
        }
        _ => {}
    }
}

/// Whether a value could fit two of `alternatives`: two of them have the same JSON type,
/// or one has none the generator can tell (`{"type": "string"}` and `{"type": "array"}`
/// are told apart by the value itself, and need no discriminator).
fn ambiguous(root: &Value, alternatives: &[Value]) -> bool {
    if alternatives.len() < 2 {
        return false;
    }
    let mut kinds = Vec::new();
    for alternative in alternatives {
        let schema =
            codegen::json::follow_refs(root, alternative).map_or(alternative, |(schema, _)| schema);
        let kind = match schema.get("type") {
            Some(Value::String(kind)) => kind.as_str(),
            _ if schema.get("properties").is_some() => "object",
            _ if schema.get("items").is_some() => "array",
            _ => return true,
        };
        // An integer is a number too.
        let kind = if kind == "integer" { "number" } else { kind };
        if kinds.contains(&kind) {
            return true;
        }
        kinds.push(kind);
    }
    false
}

/// The exit status for `findings` with `--fail-on level`: whether any reaches it.
pub fn fails(findings: &[Finding], fail_on: Level) -> bool {
    findings.iter().any(|f| f.level >= fail_on)
}

/// The report: a line per finding, then a count per level.
pub fn render(findings: &[Finding], spec: &str) -> String {
    let mut out = String::new();
    for finding in findings {
        out.push_str(&finding.to_string());
        out.push('\n');
    }
    let count = |level| findings.iter().filter(|f| f.level == level).count();
    out.push_str(&format!(
        "{spec}: {} error(s), {} warning(s), {} info\n",
        count(Level::Error),
        count(Level::Warning),
        count(Level::Info)
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r##"{
      "openapi": "3.0.3",
      "info": {"title": "Pets", "version": "1"},
      "paths": {"/pets": {"get": {"responses": {"200": {"description": "ok",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}}}}},
      "components": {"schemas": {
        "Cat": {"type": "object", "properties": {"meow": {"type": "string"}}},
        "Dog": {"type": "object", "properties": {"bark": {"type": "string"}}},
        "Pet": {"oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
                "example": {"oneOf": [1, 2]}},
        "Scalar": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "Tagged": {"oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
                   "discriminator": {"propertyName": "kind"}}
      }}
    }"##;

    #[test]
    fn finds_untagged_unions_missing_ids_and_no_scheme() {
        let findings = lint(SPEC, &Settings::default());
        let rules: Vec<&str> = findings.iter().map(|f| f.rule).collect();
        assert_eq!(
            rules,
            [
                "one-of-without-discriminator",
                "operation-without-id",
                "no-security-scheme"
            ],
            "{findings:#?}"
        );
        assert_eq!(
            findings[0].error.pointer.as_str(),
            "/components/schemas/Pet/oneOf"
        );
        assert!(fails(&findings, Level::Warning));
        assert!(!fails(&findings, Level::Error));
        let report = render(&findings, "pets.json");
        assert!(
            report.ends_with("pets.json: 0 error(s), 1 warning(s), 2 info\n"),
            "{report}"
        );
    }

    #[test]
    fn a_spec_that_does_not_load_is_one_error() {
        let findings = lint("{\"openapi\": 3}", &Settings::default());
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].level, Level::Error);
        assert!(fails(&findings, Level::Error));
    }

    #[test]
    fn every_rule_has_a_distinct_id() {
        for (i, rule) in RULES.iter().enumerate() {
            assert!(
                RULES[i + 1..].iter().all(|r| r.id != rule.id),
                "{}",
                rule.id
            );
        }
        assert_eq!(Level::parse("warning"), Some(Level::Warning));
        assert_eq!(Level::parse("fatal"), None);
    }
}
