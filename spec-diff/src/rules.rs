//! The rules: one table saying how bad each kind of change is, in the manner of oasdiff's
//! `checker/rules.go`. The walk ([`crate::walk`]) only finds changes and names the rule each
//! one is an instance of; [`judge`] gives it its level from the rule's row. No level is
//! decided anywhere else.
//!
//! `spec-diff/README.md`'s level table is [`markdown`] of [`RULES`] (a test keeps them equal;
//! `cargo xtask diff --rules` prints it).

use std::fmt::Write as _;

use serde::Serialize;

/// How bad a change is for an API client, in oasdiff's three levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Nothing a client must do.
    Info,
    /// A client may misbehave (e.g. exhaustive handling of an enum that gained a value).
    Warning,
    /// A client that worked may now fail.
    Breaking,
}

impl Level {
    /// The lower-case name used in reports and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Breaking => "breaking",
        }
    }

    /// Parses `breaking`, `warning` or `info`.
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "breaking" | "error" | "err" => Some(Level::Breaking),
            "warning" | "warn" => Some(Level::Warning),
            "info" => Some(Level::Info),
            _ => None,
        }
    }
}

/// Which part of an operation (or the document) a change is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Area {
    /// Operations themselves, servers.
    Paths,
    /// Path, query, header parameters.
    Parameters,
    /// The request body.
    RequestBody,
    /// Response statuses and bodies.
    Responses,
    /// Component schemas.
    Schemas,
    /// Response headers.
    Headers,
    /// Security requirements and schemes.
    Security,
}

impl Area {
    /// The kebab-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Area::Paths => "paths",
            Area::Parameters => "parameters",
            Area::RequestBody => "request-body",
            Area::Responses => "responses",
            Area::Schemas => "schemas",
            Area::Headers => "headers",
            Area::Security => "security",
        }
    }
}

/// Which way the changed value travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Client -> server: the client writes it.
    Request,
    /// Server -> client: the client reads it.
    Response,
}

impl Direction {
    /// `request` or `response`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Request => "request",
            Direction::Response => "response",
        }
    }
}

/// How a rule's id and level follow from where the change is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The id is used as it is; the level is the column of the direction the change travels
    /// in (the worse column for a change that travels in none, such as an operation removed).
    Fixed,
    /// A schema rule: it applies to any schema (a parameter's, a body's, a component's).
    /// The id is a stem reported as `<direction>-<id>` for the worst direction the schema is
    /// used in, or as `schema-<id>` at [`UNUSED`] level when no operation uses it.
    Schema,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The rule id (a stem for [`Kind::Schema`] rules), oasdiff-style.
    pub id: &'static str,
    /// How the id and level follow from the change's directions.
    pub kind: Kind,
    /// The level when the changed value is written by the client (`None`: cannot happen).
    pub request: Option<Level>,
    /// The level when the changed value is read by the client (`None`: cannot happen).
    pub response: Option<Level>,
    /// Where in a document changes of this kind are.
    pub area: Area,
    /// What the change is, for the table.
    pub description: &'static str,
}

impl Rule {
    /// The one direction a change of this rule travels in: the only column the rule has a
    /// level in. `None` for a rule with both (an operation or a document setting, read and
    /// written alike).
    pub fn direction(&self) -> Option<Direction> {
        match (self.request, self.response) {
            (Some(_), None) => Some(Direction::Request),
            (None, Some(_)) => Some(Direction::Response),
            _ => None,
        }
    }
}

/// The level of a [`Kind::Schema`] change in a component schema no operation uses.
pub const UNUSED: Level = Level::Info;

macro_rules! level {
    (B) => {
        Some(Level::Breaking)
    };
    (W) => {
        Some(Level::Warning)
    };
    (I) => {
        Some(Level::Info)
    };
    (-) => {
        None
    };
}

macro_rules! rules {
    ($($name:ident = $id:literal, $kind:ident, $req:tt, $resp:tt, $area:ident, $desc:literal;)*) => {
        $(
            #[doc = concat!("`", $id, "`: ", $desc, ".")]
            pub const $name: Rule = Rule {
                id: $id,
                kind: Kind::$kind,
                request: level!($req),
                response: level!($resp),
                area: Area::$area,
                description: $desc,
            };
        )*
        /// Every rule, in the order of `spec-diff/README.md`'s table.
        pub const RULES: &[Rule] = &[$($name),*];
    };
}

// Levels: B breaking, W warning, I info, - not applicable. Columns: request, response.
rules! {
    API_REMOVED = "api-removed", Fixed, B, B, Paths, "operation removed";
    API_ADDED = "api-added", Fixed, I, I, Paths, "operation added";
    API_PATH_CHANGED = "api-path-changed", Fixed, B, B, Paths, "operation (same operationId) moved to another method or path";
    API_OPERATION_ID_CHANGED = "api-operation-id-changed", Fixed, W, W, Paths, "operationId changed (generated names follow it)";
    API_TAG_CHANGED = "api-tag-changed", Fixed, I, I, Paths, "first tag changed (the resource that holds the operation)";
    API_DEPRECATED = "api-deprecated", Fixed, I, I, Paths, "operation deprecated";
    SERVER_URL_CHANGED = "server-url-changed", Fixed, W, W, Paths, "default server URL changed";
    NEW_REQUIRED_REQUEST_PARAMETER = "new-required-request-parameter", Fixed, B, -, Parameters, "required parameter added";
    NEW_OPTIONAL_REQUEST_PARAMETER = "new-optional-request-parameter", Fixed, I, -, Parameters, "optional parameter added";
    REQUEST_PARAMETER_REMOVED = "request-parameter-removed", Fixed, B, -, Parameters, "parameter removed";
    REQUEST_PARAMETER_BECAME_REQUIRED = "request-parameter-became-required", Fixed, B, -, Parameters, "parameter became required";
    REQUEST_PARAMETER_BECAME_OPTIONAL = "request-parameter-became-optional", Fixed, I, -, Parameters, "parameter became optional";
    REQUEST_PATH_PARAMETER_RENAMED = "request-path-parameter-renamed", Fixed, I, -, Parameters, "path parameter renamed (positional: nothing changes on the wire)";
    REQUEST_BODY_ADDED_REQUIRED = "request-body-added-required", Fixed, B, -, RequestBody, "required request body added";
    REQUEST_BODY_ADDED_OPTIONAL = "request-body-added-optional", Fixed, I, -, RequestBody, "optional request body added";
    REQUEST_BODY_REMOVED = "request-body-removed", Fixed, B, -, RequestBody, "request body removed";
    REQUEST_BODY_BECAME_REQUIRED = "request-body-became-required", Fixed, B, -, RequestBody, "request body became required";
    REQUEST_BODY_BECAME_OPTIONAL = "request-body-became-optional", Fixed, I, -, RequestBody, "request body became optional";
    REQUEST_MEDIA_TYPE_REMOVED = "request-media-type-removed", Fixed, B, -, RequestBody, "request media type removed";
    REQUEST_MEDIA_TYPE_ADDED = "request-media-type-added", Fixed, I, -, RequestBody, "request media type added";
    RESPONSE_MEDIA_TYPE_REMOVED = "response-media-type-removed", Fixed, -, B, Responses, "response media type removed";
    RESPONSE_MEDIA_TYPE_ADDED = "response-media-type-added", Fixed, -, I, Responses, "response media type added";
    RESPONSE_SUCCESS_STATUS_REMOVED = "response-success-status-removed", Fixed, -, B, Responses, "success (2xx) status removed";
    RESPONSE_SUCCESS_STATUS_ADDED = "response-success-status-added", Fixed, -, W, Responses, "success (2xx) status added";
    RESPONSE_NON_SUCCESS_STATUS_REMOVED = "response-non-success-status-removed", Fixed, -, I, Responses, "non-success status removed";
    RESPONSE_NON_SUCCESS_STATUS_ADDED = "response-non-success-status-added", Fixed, -, I, Responses, "non-success status added";
    REQUIRED_RESPONSE_HEADER_REMOVED = "required-response-header-removed", Fixed, -, B, Headers, "required response header removed";
    OPTIONAL_RESPONSE_HEADER_REMOVED = "optional-response-header-removed", Fixed, -, W, Headers, "optional response header removed";
    RESPONSE_HEADER_BECAME_OPTIONAL = "response-header-became-optional", Fixed, -, B, Headers, "response header became optional";
    RESPONSE_HEADER_ADDED = "response-header-added", Fixed, -, I, Headers, "response header added";
    SECURITY_REMOVED = "security-removed", Fixed, B, -, Security, "security alternative removed (others remain)";
    SECURITY_ALL_REMOVED = "security-all-removed", Fixed, I, -, Security, "every security alternative removed (no authentication needed)";
    SECURITY_ADDED = "security-added", Fixed, I, -, Security, "security alternative added";
    SECURITY_BECAME_REQUIRED = "security-became-required", Fixed, B, -, Security, "authentication required where none was";
    SECURITY_SCHEME_REMOVED = "security-scheme-removed", Fixed, B, -, Security, "security scheme removed";
    SECURITY_SCHEME_CHANGED = "security-scheme-changed", Fixed, B, -, Security, "security scheme changed (type, scheme, in, name, bearer format)";
    SECURITY_SCHEME_ADDED = "security-scheme-added", Fixed, I, -, Security, "security scheme added";
    SCHEMA_REMOVED = "schema-removed", Fixed, I, I, Schemas, "component schema removed (its uses are reported where they changed)";
    SCHEMA_ADDED = "schema-added", Fixed, I, I, Schemas, "component schema added";
    PROPERTY_REMOVED = "property-removed", Schema, B, B, Schemas, "property removed";
    REQUIRED_PROPERTY_ADDED = "required-property-added", Schema, B, I, Schemas, "required property added";
    OPTIONAL_PROPERTY_ADDED = "optional-property-added", Schema, I, I, Schemas, "optional property added";
    PROPERTY_BECAME_REQUIRED = "property-became-required", Schema, B, I, Schemas, "property became required";
    PROPERTY_BECAME_OPTIONAL = "property-became-optional", Schema, I, B, Schemas, "property became optional";
    BECAME_NULLABLE = "became-nullable", Schema, I, B, Schemas, "value became nullable";
    BECAME_NOT_NULLABLE = "became-not-nullable", Schema, B, I, Schemas, "value became not nullable";
    TYPE_CHANGED = "type-changed", Schema, B, B, Schemas, "type changed";
    TYPE_NARROWED = "type-narrowed", Schema, B, I, Schemas, "type narrowed (e.g. number to integer)";
    TYPE_GENERALIZED = "type-generalized", Schema, I, B, Schemas, "type widened (e.g. integer to number)";
    FORMAT_CHANGED = "format-changed", Schema, W, W, Schemas, "format changed";
    SCHEMA_REFERENCE_CHANGED = "schema-reference-changed", Schema, I, I, Schemas, "schema replaced by another (compared structurally too)";
    ENUM_VALUE_REMOVED = "enum-value-removed", Schema, B, I, Schemas, "enum value removed";
    ENUM_VALUE_ADDED = "enum-value-added", Schema, I, W, Schemas, "enum value added";
    ENUM_ADDED = "enum-added", Schema, B, I, Schemas, "values restricted to an enum";
    ENUM_REMOVED = "enum-removed", Schema, I, W, Schemas, "enum restriction removed";
    MAX_LENGTH_TIGHTENED = "max-length-tightened", Schema, B, I, Schemas, "maxLength lowered or added";
    MAX_LENGTH_LOOSENED = "max-length-loosened", Schema, I, W, Schemas, "maxLength raised or removed";
    MAXIMUM_TIGHTENED = "maximum-tightened", Schema, B, I, Schemas, "maximum lowered or added";
    MAXIMUM_LOOSENED = "maximum-loosened", Schema, I, W, Schemas, "maximum raised or removed";
    EXCLUSIVE_MAXIMUM_TIGHTENED = "exclusive-maximum-tightened", Schema, B, I, Schemas, "exclusiveMaximum lowered or added";
    EXCLUSIVE_MAXIMUM_LOOSENED = "exclusive-maximum-loosened", Schema, I, W, Schemas, "exclusiveMaximum raised or removed";
    MAX_ITEMS_TIGHTENED = "max-items-tightened", Schema, B, I, Schemas, "maxItems lowered or added";
    MAX_ITEMS_LOOSENED = "max-items-loosened", Schema, I, W, Schemas, "maxItems raised or removed";
    MAX_PROPERTIES_TIGHTENED = "max-properties-tightened", Schema, B, I, Schemas, "maxProperties lowered or added";
    MAX_PROPERTIES_LOOSENED = "max-properties-loosened", Schema, I, W, Schemas, "maxProperties raised or removed";
    MIN_LENGTH_TIGHTENED = "min-length-tightened", Schema, B, I, Schemas, "minLength raised or added";
    MIN_LENGTH_LOOSENED = "min-length-loosened", Schema, I, W, Schemas, "minLength lowered or removed";
    MINIMUM_TIGHTENED = "minimum-tightened", Schema, B, I, Schemas, "minimum raised or added";
    MINIMUM_LOOSENED = "minimum-loosened", Schema, I, W, Schemas, "minimum lowered or removed";
    EXCLUSIVE_MINIMUM_TIGHTENED = "exclusive-minimum-tightened", Schema, B, I, Schemas, "exclusiveMinimum raised or added";
    EXCLUSIVE_MINIMUM_LOOSENED = "exclusive-minimum-loosened", Schema, I, W, Schemas, "exclusiveMinimum lowered or removed";
    MIN_ITEMS_TIGHTENED = "min-items-tightened", Schema, B, I, Schemas, "minItems raised or added";
    MIN_ITEMS_LOOSENED = "min-items-loosened", Schema, I, W, Schemas, "minItems lowered or removed";
    MIN_PROPERTIES_TIGHTENED = "min-properties-tightened", Schema, B, I, Schemas, "minProperties raised or added";
    MIN_PROPERTIES_LOOSENED = "min-properties-loosened", Schema, I, W, Schemas, "minProperties lowered or removed";
    PATTERN_CHANGED = "pattern-changed", Schema, W, I, Schemas, "pattern added or changed";
    PATTERN_REMOVED = "pattern-removed", Schema, I, W, Schemas, "pattern removed";
    MULTIPLE_OF_CHANGED = "multiple-of-changed", Schema, W, I, Schemas, "multipleOf added or changed";
    MULTIPLE_OF_REMOVED = "multiple-of-removed", Schema, I, W, Schemas, "multipleOf removed";
    DEFAULT_VALUE_CHANGED = "default-value-changed", Schema, W, I, Schemas, "default value changed";
    ONE_OF_ADDED = "one-of-added", Schema, I, W, Schemas, "oneOf alternatives added";
    ONE_OF_REMOVED = "one-of-removed", Schema, B, I, Schemas, "oneOf alternatives removed";
    ANY_OF_ADDED = "any-of-added", Schema, I, W, Schemas, "anyOf alternatives added";
    ANY_OF_REMOVED = "any-of-removed", Schema, B, I, Schemas, "anyOf alternatives removed";
    ADDITIONAL_PROPERTIES_ALLOWED = "additional-properties-allowed", Schema, I, W, Schemas, "additional properties now allowed";
    ADDITIONAL_PROPERTIES_FORBIDDEN = "additional-properties-forbidden", Schema, B, I, Schemas, "additional properties no longer allowed";
}

/// Numeric bounds: the keyword, its rule when it gets stricter, and when it gets looser, and
/// whether a smaller value is the stricter one.
pub const BOUNDS: [(&str, &Rule, &Rule, bool); 10] = [
    (
        "maxLength",
        &MAX_LENGTH_TIGHTENED,
        &MAX_LENGTH_LOOSENED,
        true,
    ),
    ("maximum", &MAXIMUM_TIGHTENED, &MAXIMUM_LOOSENED, true),
    (
        "exclusiveMaximum",
        &EXCLUSIVE_MAXIMUM_TIGHTENED,
        &EXCLUSIVE_MAXIMUM_LOOSENED,
        true,
    ),
    ("maxItems", &MAX_ITEMS_TIGHTENED, &MAX_ITEMS_LOOSENED, true),
    (
        "maxProperties",
        &MAX_PROPERTIES_TIGHTENED,
        &MAX_PROPERTIES_LOOSENED,
        true,
    ),
    (
        "minLength",
        &MIN_LENGTH_TIGHTENED,
        &MIN_LENGTH_LOOSENED,
        false,
    ),
    ("minimum", &MINIMUM_TIGHTENED, &MINIMUM_LOOSENED, false),
    (
        "exclusiveMinimum",
        &EXCLUSIVE_MINIMUM_TIGHTENED,
        &EXCLUSIVE_MINIMUM_LOOSENED,
        false,
    ),
    ("minItems", &MIN_ITEMS_TIGHTENED, &MIN_ITEMS_LOOSENED, false),
    (
        "minProperties",
        &MIN_PROPERTIES_TIGHTENED,
        &MIN_PROPERTIES_LOOSENED,
        false,
    ),
];

/// The rule with this id (a stem for schema rules), if there is one.
pub fn find(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// The judgement: the id a change of `rule` is reported under and its level, given the
/// directions the changed value travels in (none for document-wide changes and for schemas
/// no operation uses).
pub fn judge(rule: &Rule, directions: &[Direction]) -> (String, Level) {
    let column = |d: Direction| match d {
        Direction::Request => rule.request,
        Direction::Response => rule.response,
    };
    // The worst direction wins; the earlier one on a tie (request before response).
    let worst = directions
        .iter()
        .filter_map(|&d| column(d).map(|l| (d, l)))
        .fold(
            None,
            |best: Option<(Direction, Level)>, (d, l)| match best {
                Some((_, b)) if b >= l => best,
                _ => Some((d, l)),
            },
        );
    match (rule.kind, worst) {
        (Kind::Fixed, Some((_, level))) => (rule.id.to_owned(), level),
        (Kind::Fixed, None) => (
            rule.id.to_owned(),
            rule.request.max(rule.response).unwrap_or(UNUSED),
        ),
        (Kind::Schema, Some((d, level))) => (format!("{}-{}", d.as_str(), rule.id), level),
        (Kind::Schema, None) => (format!("schema-{}", rule.id), UNUSED),
    }
}

/// The first line of `spec-diff/README.md`'s level table, which [`markdown`] starts with.
pub const TABLE_HEADER: &str =
    "| change | request (client writes) | response (client reads) | area |";

/// The table as Markdown, one row per rule: what `spec-diff/README.md` shows.
pub fn markdown() -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{TABLE_HEADER}");
    let _ = writeln!(out, "|---|---|---|---|");
    let cell = |l: Option<Level>| l.map(Level::as_str).unwrap_or("");
    for r in RULES {
        let id = match r.kind {
            Kind::Fixed => format!("`{}`", r.id),
            Kind::Schema => format!("`*-{}`", r.id),
        };
        let _ = writeln!(
            out,
            "| {id}: {} | {} | {} | {} |",
            r.description,
            cell(r.request),
            cell(r.response),
            r.area.as_str()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_rule_travels_in_its_only_column() {
        assert_eq!(
            REQUEST_PARAMETER_REMOVED.direction(),
            Some(Direction::Request)
        );
        assert_eq!(RESPONSE_HEADER_ADDED.direction(), Some(Direction::Response));
        assert_eq!(API_REMOVED.direction(), None);
        // Every rule has a level somewhere, so each change is judged by a column.
        for rule in RULES {
            assert!(
                rule.request.is_some() || rule.response.is_some(),
                "{} has no level",
                rule.id
            );
        }
    }

    #[test]
    fn ids_are_unique_and_kebab_case() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(before, ids.len(), "duplicate rule ids");
        for id in ids {
            assert!(
                id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{id} is not kebab-case"
            );
        }
        for r in RULES {
            assert!(
                r.request.is_some() || r.response.is_some(),
                "{} has no level",
                r.id
            );
        }
    }

    #[test]
    fn judgement_follows_the_table() {
        let dirs = [Direction::Request, Direction::Response];
        assert_eq!(
            judge(&PROPERTY_BECAME_OPTIONAL, &dirs),
            (
                "response-property-became-optional".to_owned(),
                Level::Breaking
            )
        );
        assert_eq!(
            judge(&PROPERTY_BECAME_OPTIONAL, &dirs[..1]),
            ("request-property-became-optional".to_owned(), Level::Info)
        );
        assert_eq!(
            judge(&PROPERTY_REMOVED, &dirs),
            ("request-property-removed".to_owned(), Level::Breaking)
        );
        assert_eq!(
            judge(&ENUM_VALUE_ADDED, &[]),
            ("schema-enum-value-added".to_owned(), UNUSED)
        );
        assert_eq!(
            judge(&API_REMOVED, &[]),
            ("api-removed".to_owned(), Level::Breaking)
        );
        assert_eq!(
            judge(&REQUEST_PARAMETER_BECAME_REQUIRED, &dirs[..1]),
            (
                "request-parameter-became-required".to_owned(),
                Level::Breaking
            )
        );
        assert_eq!(find("enum-value-added"), Some(&ENUM_VALUE_ADDED));
    }
}
