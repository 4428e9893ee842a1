//! What changed between two versions of an OpenAPI document, how bad it is for API
//! clients, and what it does to a generated crate's public API: the library behind
//! `cargo xtask diff OLD NEW`.
//!
//! Four layers, each usable alone:
//! 1. [`walk`]: the documents compared operation by operation and schema by schema; every
//!    difference found is a [`walk::Finding`]: a rule, a JSON pointer, the directions
//!    (request, response) the changed value travels in;
//! 2. [`rules`]: the judgement, one table ([`rules::RULES`]) giving each rule its level
//!    (breaking / warning / info) in a request and in a response, in the manner of oasdiff;
//! 3. per change, the Rust items it touches, named by the generator's own IR
//!    (`codegen::model`), so a maintainer reads "builder method `VideosList::creator`
//!    removed" rather than "parameter removed";
//! 4. [`surface`]: the public API of Rust sources (both versions of the generated crate,
//!    generated in memory; or a hand-written crate at two revisions, [`source`]) and their
//!    comparison, which gives the semver bump from what really changed.
//!
//! The semver rule (stated in every report): Cargo's. A breaking change needs a major bump,
//! an addition a minor one, anything else that changes generated code a patch; before 1.0
//! everything moves one place right (breaking: `0.x` -> `0.(x+1)`; addition or fix:
//! `0.x.y` -> `0.x.(y+1)`), and in `0.0.z` every change bumps `z`.

pub mod rules;
pub mod source;
pub mod surface;
pub mod walk;

pub use rules::{Area, Direction, Level};
pub use source::{read_source, read_version};

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use codegen::model::ir::{self, Api, Presence, Ty, TypeKind};
use serde::Serialize;
use serde_json::Value;

/// Which document a pointer points into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The old document (for things that were removed).
    Old,
    /// The new document.
    New,
}

/// Where a change is listed in the report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "lowercase")]
pub enum Group {
    /// Servers, global security, security schemes.
    Document,
    /// An operation, `GET /path`.
    Operation(String),
    /// A component schema, by name.
    Schema(String),
}

/// What a change is about, precisely enough to name the Rust items it touches.
/// Operation keys are `METHOD /path/{}` (parameter names erased, as matching does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// Nothing the generator maps to an item.
    None,
    /// An operation.
    Operation(String),
    /// An operation whose names may have changed (old key, new key).
    OperationRenamed(String, String),
    /// A parameter of an operation.
    Parameter {
        /// Operation key.
        op: String,
        /// `path`, `query`, `header`, `cookie`.
        location: String,
        /// Wire name.
        name: String,
    },
    /// The request body of an operation.
    Body(String),
    /// The responses of an operation.
    Response(String),
    /// A property of the object schema at a pointer.
    Property(String, String),
    /// A value of the enum schema at a pointer.
    EnumValue(String, String),
    /// The schema at a pointer.
    Schema(String),
    /// Authentication.
    Security,
}

impl Subject {
    /// The parameter `name` in `location` of the operation `op`.
    pub(crate) fn parameter(op: &str, location: &str, name: &str) -> Subject {
        Subject::Parameter {
            op: op.to_owned(),
            location: location.to_owned(),
            name: name.to_owned(),
        }
    }
}

/// One classified difference.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// Rule id in oasdiff's style: `request-parameter-removed`, `response-enum-value-added`.
    pub id: String,
    /// Severity for API clients.
    pub level: Level,
    /// Area.
    pub area: Area,
    /// Directions the changed value travels in (both for a schema used both ways).
    pub directions: Vec<Direction>,
    /// Where it is listed.
    pub group: Group,
    /// JSON pointer of the changed value, in the document `side` names.
    pub pointer: String,
    /// `old` for removed things, else `new`.
    pub side: Side,
    /// One line for humans.
    pub message: String,
    /// The Rust-level subject.
    #[serde(skip)]
    pub subject: Subject,
    /// What it does to the generated crate's public API.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crate_impact: Option<String>,
}

impl Change {
    /// A finding of the walk with its level and reported id from the rules' table.
    pub fn judged(f: walk::Finding) -> Change {
        let (id, level) = rules::judge(f.rule, &f.directions);
        Change {
            id,
            level,
            area: f.area,
            directions: f.directions,
            group: f.group,
            pointer: f.pointer,
            side: f.side,
            message: f.message,
            subject: f.subject,
            crate_impact: None,
        }
    }
}

/// A semver bump.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    /// The generated crate is byte-for-byte the same.
    None,
    /// Generated code changed, its public API did not.
    Patch,
    /// Public items were added.
    Minor,
    /// Public items were removed or changed, or additions break exhaustive use.
    Major,
}

impl Bump {
    /// `none`, `patch`, `minor` or `major`.
    pub fn as_str(self) -> &'static str {
        match self {
            Bump::None => "none",
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }
}

/// A `major.minor.patch` version (pre-release and build suffixes ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u64, pub u64, pub u64);

impl Version {
    /// Parses `1.2.3` (`-pre`/`+build` suffixes ignored).
    pub fn parse(s: &str) -> Option<Version> {
        let core = s.trim().split(['-', '+']).next()?;
        let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
        let v = Version(parts.next()??, parts.next()??, parts.next()??);
        parts.next().is_none().then_some(v)
    }

    /// The smallest version after this one that Cargo's convention allows for `bump`:
    /// before 1.0 a breaking change moves the minor number and anything else the patch
    /// number; in 0.0.z every change moves z.
    pub fn next(self, bump: Bump) -> Version {
        let Version(major, minor, patch) = self;
        match (bump, major, minor) {
            (Bump::None, ..) => self,
            (_, 0, 0) => Version(0, 0, patch + 1),
            (Bump::Major, 0, _) => Version(0, minor + 1, 0),
            (Bump::Major, ..) => Version(major + 1, 0, 0),
            (Bump::Minor, 0, _) | (Bump::Patch, ..) => Version(major, minor, patch + 1),
            (Bump::Minor, ..) => Version(major, minor + 1, 0),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// The crate versions before and after, and whether the bump is enough.
#[derive(Debug, Clone, Serialize)]
pub struct VersionCheck {
    /// Old crate version.
    pub old: String,
    /// New crate version.
    pub new: String,
    /// The smallest acceptable new version.
    pub required: String,
    /// `new >= required`.
    pub ok: bool,
}

/// The whole result of a comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// How the old document was named on the command line.
    pub old: String,
    /// How the new document was named.
    pub new: String,
    /// Every change, grouped and ordered for reading.
    pub changes: Vec<Change>,
    /// Public items of the generated crate that differ (`None` when generation failed).
    pub api: Option<Vec<surface::ApiChange>>,
    /// Why the generated crates could not be compared, if they could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_error: Option<String>,
    /// The bump the crate needs.
    pub bump: Bump,
    /// The crate's current version, when known, to name the next acceptable one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<String>,
    /// The version check, when versions were given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versions: Option<VersionCheck>,
    /// A hand-written crate's public API at two revisions, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<CrateApi>,
}

/// A hand-written crate's public API compared between two versions of its sources, with
/// its own semver verdict.
#[derive(Debug, Clone, Serialize)]
pub struct CrateApi {
    /// How the old sources were named (`runtime at HEAD~1`).
    pub old: String,
    /// How the new sources were named (`runtime in the working tree`).
    pub new: String,
    /// Public items that differ (`None` when not compared).
    pub changes: Option<Vec<surface::ApiChange>>,
    /// Why the crates were not compared (missing on a side, unparsable), if they were not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// The bump its public API needs (see [`surface::api_bump`]): none for a change to
    /// private code only.
    pub bump: Bump,
    /// Whether any source file differs at all (a release then needs at least a patch).
    pub code_changed: bool,
}

impl CrateApi {
    /// Compares two versions of a crate's sources; `None` for a side where the crate does
    /// not exist, which skips the comparison with a reason.
    pub fn compare(
        old: Option<&surface::Sources>,
        new: Option<&surface::Sources>,
        labels: (&str, &str),
    ) -> CrateApi {
        let skipped = |reason: String| CrateApi {
            old: labels.0.to_owned(),
            new: labels.1.to_owned(),
            changes: None,
            skipped: Some(reason),
            bump: Bump::None,
            code_changed: false,
        };
        let (old, new) = match (old, new) {
            (Some(o), Some(n)) => (o, n),
            (None, _) => return skipped(format!("no crate sources in {}", labels.0)),
            (_, None) => return skipped(format!("no crate sources in {}", labels.1)),
        };
        match (surface::surface(old), surface::surface(new)) {
            (Ok(o), Ok(n)) => {
                let changes = surface::compare(&o, &n);
                CrateApi {
                    old: labels.0.to_owned(),
                    new: labels.1.to_owned(),
                    bump: surface::api_bump(&changes),
                    changes: Some(changes),
                    skipped: None,
                    code_changed: old != new,
                }
            }
            (Err(e), _) | (_, Err(e)) => skipped(e),
        }
    }
}

impl Report {
    /// Number of changes at a level.
    pub fn count(&self, level: Level) -> usize {
        self.changes.iter().filter(|c| c.level == level).count()
    }

    /// Whether `--fail-on level` fails: some change is at or above `level`, and (when
    /// versions were given) the crate version was not bumped enough for them.
    pub fn fails(&self, level: Level) -> bool {
        let any = self.changes.iter().any(|c| c.level >= level)
            || (level == Level::Breaking
                && self
                    .api
                    .as_ref()
                    .is_some_and(|a| a.iter().any(|c| c.breaking)));
        match &self.versions {
            Some(v) => any && !v.ok,
            None => any,
        }
    }
}

/// Compares two documents given as JSON or YAML text; `labels` name them in the report.
pub fn compare(
    old_text: &str,
    new_text: &str,
    labels: (&str, &str),
    settings: &codegen::Settings,
) -> Result<Report, String> {
    let parse = |text: &str, label: &str| -> Result<Value, String> {
        codegen::spec::parse(text).map_err(|e| format!("{label}: {e}"))
    };
    let (old, new) = (parse(old_text, labels.0)?, parse(new_text, labels.1)?);
    let mut changes: Vec<Change> = walk::Differ::new(&old, &new)
        .run()
        .into_iter()
        .map(Change::judged)
        .collect();

    // The generator's view of both: names for each change, and the public API.
    let ir = |value: &Value| -> Result<Api, String> {
        codegen::build_api_value(value, settings)
            .map(|(api, _)| api)
            .map_err(|e| e.to_string())
    };
    let (old_ir, new_ir) = (ir(&old).ok(), ir(&new).ok());
    let names = Names {
        old: old_ir.as_ref(),
        new: new_ir.as_ref(),
    };
    for change in &mut changes {
        change.crate_impact = names.impact(change);
    }
    sort(&mut changes);

    // As a whole crate: a generated module (`Layout::Module`) is re-exported at its crate's
    // root, so `models::Video` is the path users write, not `generated::models::Video`.
    let settings = &codegen::Settings {
        layout: codegen::Layout::Crate,
        ..settings.clone()
    };
    let generated = codegen::generate(old_text, settings)
        .map_err(|e| format!("{}: {e}", labels.0))
        .and_then(|o| {
            Ok((
                o,
                codegen::generate(new_text, settings).map_err(|e| format!("{}: {e}", labels.1))?,
            ))
        });
    let (api, api_error, bump) = match generated {
        Ok((old_files, new_files)) => {
            match (surface::surface(&old_files), surface::surface(&new_files)) {
                (Ok(o), Ok(n)) => {
                    let api = surface::compare(&o, &n);
                    let bump = match surface::api_bump(&api) {
                        Bump::None if old_files != new_files => Bump::Patch,
                        bump => bump,
                    };
                    (Some(api), None, bump)
                }
                (Err(e), _) | (_, Err(e)) => (None, Some(e), fallback_bump(&changes)),
            }
        }
        Err(e) => (None, Some(e), fallback_bump(&changes)),
    };
    // The rules' prediction for a new enum value, corrected by what was emitted.
    if let Some(api) = &api {
        for c in changes
            .iter_mut()
            .filter(|c| c.id.ends_with("enum-value-added"))
        {
            let Subject::EnumValue(pointer, wire) = &c.subject else {
                continue;
            };
            let variant = names
                .type_at(Side::New, pointer)
                .and_then(|t| match &t.kind {
                    TypeKind::Enum { variants } => variants
                        .iter()
                        .find(|v| &v.wire == wire)
                        .map(|v| format!("{}::{}", t.name, v.rust)),
                    _ => None,
                });
            let breaking = variant.is_some_and(|v| {
                api.iter()
                    .any(|a| a.breaking && a.item.ends_with(&format!("::{v}")))
            });
            if breaking && let Some(i) = &mut c.crate_impact {
                i.push_str("; still a breaking change for the crate: the enum is not #[non_exhaustive], so exhaustive `match`es stop compiling");
            }
        }
    }
    Ok(Report {
        old: labels.0.to_owned(),
        new: labels.1.to_owned(),
        changes,
        api,
        api_error,
        bump,
        current_version: None,
        versions: None,
        runtime: None,
    })
}

/// Without generated code to compare, the spec levels are the best guess.
fn fallback_bump(changes: &[Change]) -> Bump {
    if changes.iter().any(|c| c.level == Level::Breaking) {
        Bump::Major
    } else if changes.is_empty() {
        Bump::None
    } else {
        Bump::Minor
    }
}

/// Records the crate versions and whether `new` is enough for the report's bump.
pub fn check_versions(report: &mut Report, old: Version, new: Version) {
    let required = old.next(report.bump);
    report.versions = Some(VersionCheck {
        old: old.to_string(),
        new: new.to_string(),
        required: required.to_string(),
        ok: new >= required,
    });
}

fn group_rank(g: &Group) -> (u8, String) {
    match g {
        Group::Document => (0, String::new()),
        // Path first, then method: an endpoint's operations sit together.
        Group::Operation(label) => {
            let (method, path) = label.split_once(' ').unwrap_or(("", label));
            (1, format!("{path} {method}"))
        }
        Group::Schema(name) => (2, name.clone()),
    }
}

fn sort(changes: &mut [Change]) {
    changes.sort_by(|a, b| {
        (
            group_rank(&a.group),
            std::cmp::Reverse(a.level),
            &a.pointer,
            &a.id,
        )
            .cmp(&(
                group_rank(&b.group),
                std::cmp::Reverse(b.level),
                &b.pointer,
                &b.id,
            ))
    });
}

/// The generator's IR of both versions, for naming Rust items.
struct Names<'a> {
    old: Option<&'a Api>,
    new: Option<&'a Api>,
}

fn op_key(op: &ir::Operation) -> String {
    let shape = walk::path_shape(&op.path);
    format!("{} {shape}", op.method.as_str())
}

/// `Ty` as Rust source.
pub fn ty(t: &Ty) -> String {
    match t {
        Ty::String => "String".into(),
        Ty::Bool => "bool".into(),
        Ty::I32 => "i32".into(),
        Ty::I64 => "i64".into(),
        Ty::F32 => "f32".into(),
        Ty::F64 => "f64".into(),
        Ty::Json => "serde_json::Value".into(),
        Ty::Timestamp => "Timestamp".into(),
        Ty::Date => "Date".into(),
        Ty::Named(n) => n.clone(),
        Ty::Vec(t) => format!("Vec<{}>", ty(t)),
        Ty::Map(t) => format!("BTreeMap<String, {}>", ty(t)),
        Ty::Boxed(t) => format!("Box<{}>", ty(t)),
        Ty::Envelope(t) => format!("Envelope<{}>", ty(t)),
    }
}

fn field_ty(f: &ir::Field) -> String {
    let t = ty(&f.ty);
    match f.presence {
        Presence::Required => t,
        Presence::Optional | Presence::RequiredNullable => format!("Option<{t}>"),
        Presence::OptionalNullable => format!("Nullable<{t}>"),
    }
}

impl<'a> Names<'a> {
    fn api(&self, side: Side) -> Option<&'a Api> {
        match side {
            Side::Old => self.old,
            Side::New => self.new,
        }
    }

    fn op(&self, side: Side, key: &str) -> Option<&'a ir::Operation> {
        self.api(side)?.operations.iter().find(|o| op_key(o) == key)
    }

    fn handle(&self, side: Side, op: &ir::Operation) -> String {
        let resource = self
            .api(side)
            .and_then(|a| a.resources.iter().find(|r| r.key == op.resource))
            .map_or(op.resource.clone(), |r| r.type_name.clone());
        format!("{resource}::{}", op.method_name)
    }

    /// The named type generated from the schema at `pointer` (an `allOf` member counts as
    /// its owner, which the generator merges into one struct).
    fn type_at(&self, side: Side, pointer: &str) -> Option<&'a ir::TypeDef> {
        let api = self.api(side)?;
        let mut p = pointer;
        loop {
            if let Some(t) = api.types.values().find(|t| t.origin == p) {
                return Some(t);
            }
            let (head, last) = p.rsplit_once('/')?;
            let (head2, kw) = head.rsplit_once('/')?;
            if kw == "allOf" && last.parse::<usize>().is_ok() {
                p = head2;
            } else {
                return None;
            }
        }
    }

    fn field(
        &self,
        side: Side,
        pointer: &str,
        wire: &str,
    ) -> Option<(&'a ir::TypeDef, &'a ir::Field)> {
        let t = self.type_at(side, pointer)?;
        match &t.kind {
            TypeKind::Struct { fields, .. } => {
                fields.iter().find(|f| f.wire == wire).map(|f| (t, f))
            }
            _ => None,
        }
    }

    /// Builder setters that write field `wire` of type `type_name` as a request body.
    fn setters(&self, side: Side, type_name: &str, wire: &str) -> Vec<String> {
        let Some(api) = self.api(side) else {
            return Vec::new();
        };
        api.operations
            .iter()
            .filter_map(|op| match &op.body {
                Some(ir::Body::Json {
                    ty: Ty::Named(n),
                    fields,
                    ..
                }) if n == type_name => fields
                    .iter()
                    .find(|f| f.field.wire == wire)
                    .map(|f| format!("`{}::{}`", op.builder, f.setter)),
                _ => None,
            })
            .collect()
    }

    fn impact(&self, c: &Change) -> Option<String> {
        let side = c.side;
        match &c.subject {
            Subject::None => None,
            Subject::Security => Some(
                "no generated item; authentication is the hand-written runtime's (`runtime::client`)"
                    .to_owned(),
            ),
            Subject::Operation(key) => {
                let op = self.op(side, key)?;
                let what = format!("method `{}` and builder `{}`", self.handle(side, op), op.builder);
                Some(match (c.id.as_str(), side) {
                    ("api-removed", _) => format!("{what} removed"),
                    ("api-added", _) => format!("new {what}"),
                    ("api-deprecated", _) => format!("`{}` gets `#[deprecated]` docs", self.handle(side, op)),
                    ("api-path-changed", _) => format!("{what} now call `{}`", op.path),
                    _ => what,
                })
            }
            Subject::OperationRenamed(okey, nkey) => {
                let (o, n) = (self.op(Side::Old, okey)?, self.op(Side::New, nkey)?);
                let (oh, nh) = (self.handle(Side::Old, o), self.handle(Side::New, n));
                if oh == nh && o.builder == n.builder {
                    Some(format!("names unchanged (`{nh}`, builder `{}`)", n.builder))
                } else {
                    Some(format!(
                        "method `{oh}` becomes `{nh}`, builder `{}` becomes `{}`",
                        o.builder, n.builder
                    ))
                }
            }
            Subject::Parameter { op, location, name } => {
                let new = self.param(Side::New, op, location, name);
                if c.id == "request-path-parameter-renamed" {
                    let (o, p) = new?;
                    return Some(format!(
                        "argument of `{}` renamed to `{}`; arguments are positional, callers are unaffected",
                        self.handle(Side::New, o),
                        p.rust
                    ));
                }
                let old = self.param(Side::Old, op, location, name);
                let describe = |side: Side, (o, p): (&ir::Operation, &ir::Param)| {
                    if p.required && !p.client_default {
                        format!("argument `{}: {}` of `{}`", p.rust, ty(&p.ty), self.handle(side, o))
                    } else {
                        format!("builder method `{}::{}({})`", o.builder, p.rust, ty(&p.ty))
                    }
                };
                Some(match (old, new) {
                    (Some(o), None) => format!("{} removed", describe(Side::Old, o)),
                    (None, Some(n)) => format!("new {}", describe(Side::New, n)),
                    (Some(o), Some(n)) => {
                        let (od, nd) = (describe(Side::Old, o), describe(Side::New, n));
                        if od == nd {
                            format!("{nd} unchanged")
                        } else {
                            format!("{od} becomes {nd}")
                        }
                    }
                    (None, None) => return None,
                })
            }
            Subject::Body(key) => {
                let op = self.op(side, key)?;
                let body = match &op.body {
                    Some(ir::Body::Json { fields, .. }) if !fields.is_empty() => format!(
                        "body setters of `{}` ({})",
                        op.builder,
                        fields.iter().map(|f| format!("`{}`", f.setter)).collect::<Vec<_>>().join(", ")
                    ),
                    Some(ir::Body::Json { .. }) => format!("`{}::body`", op.builder),
                    Some(ir::Body::Multipart { .. }) => format!("multipart parts of `{}`", op.builder),
                    Some(ir::Body::Raw { .. }) => format!("raw body of `{}`", op.builder),
                    None => format!("`{}` takes no body", op.builder),
                };
                Some(match c.id.as_str() {
                    "request-body-removed" => format!("{body} removed"),
                    id if id.starts_with("request-body-added") => format!("new {body}"),
                    _ => format!("affects {body}"),
                })
            }
            Subject::Response(key) => {
                let (o, n) = (self.op(Side::Old, key), self.op(Side::New, key));
                let ret = |op: &ir::Operation| match &op.response {
                    ir::ResponseKind::Empty => "()".to_owned(),
                    ir::ResponseKind::Json { ty: t, unwrap } => match unwrap {
                        Some(f) => field_ty(f),
                        None => ty(t),
                    },
                    ir::ResponseKind::Text => "String".to_owned(),
                    ir::ResponseKind::Bytes => "Bytes".to_owned(),
                    ir::ResponseKind::Headers { type_name, .. } => type_name.clone(),
                };
                let op = n.or(o)?;
                match (o, n) {
                    (Some(o), Some(n)) if ret(o) != ret(n) => Some(format!(
                        "`{}::send` returns `{}` instead of `{}`",
                        n.builder,
                        ret(n),
                        ret(o)
                    )),
                    _ => Some(format!("`{}::send` still returns `{}`", op.builder, ret(op))),
                }
            }
            Subject::Property(pointer, wire) => {
                let old = self.field(Side::Old, pointer, wire);
                let new = self.field(Side::New, pointer, wire);
                let setters = |side: Side, t: &ir::TypeDef, what: &str| {
                    let s = self.setters(side, &t.name, wire);
                    if s.is_empty() {
                        String::new()
                    } else {
                        format!("; {what} {}", s.join(", "))
                    }
                };
                Some(match (old, new) {
                    (Some((t, f)), None) => format!(
                        "field `{}::{}` removed{}",
                        t.name,
                        f.rust,
                        setters(Side::Old, t, "removed builder method")
                    ),
                    (None, Some((t, f))) => format!(
                        "new field `{}::{}: {}`{}",
                        t.name,
                        f.rust,
                        field_ty(f),
                        setters(Side::New, t, "new builder method")
                    ),
                    (Some((_, of)), Some((t, nf))) => {
                        let (ot, nt) = (field_ty(of), field_ty(nf));
                        if ot == nt {
                            format!("field `{}::{}: {nt}` unchanged", t.name, nf.rust)
                        } else {
                            format!(
                                "field `{}::{}` changes type: `{ot}` -> `{nt}`{}",
                                t.name,
                                nf.rust,
                                setters(Side::New, t, "and so does builder method")
                            )
                        }
                    }
                    (None, None) => return None,
                })
            }
            Subject::EnumValue(pointer, wire) => {
                let t = self.type_at(side, pointer)?;
                let TypeKind::Enum { variants } = &t.kind else {
                    return None;
                };
                let v = variants.iter().find(|v| &v.wire == wire)?;
                Some(if side == Side::Old {
                    format!(
                        "variant `{}::{}` removed (the value would now decode as `Unknown`)",
                        t.name, v.rust
                    )
                } else {
                    format!(
                        "new variant `{}::{}`; older crates decode the value as `{}::Unknown(\"{wire}\")`",
                        t.name, v.rust, t.name
                    )
                })
            }
            Subject::Schema(pointer) => {
                let t = self.type_at(side, pointer)?;
                Some(match c.id.as_str() {
                    "schema-removed" => format!("type `{}` removed", t.name),
                    "schema-added" => format!("new type `{}`", t.name),
                    _ => format!("type `{}`", t.name),
                })
            }
        }
    }

    fn param(
        &self,
        side: Side,
        key: &str,
        location: &str,
        wire: &str,
    ) -> Option<(&'a ir::Operation, &'a ir::Param)> {
        let op = self.op(side, key)?;
        let loc = match location {
            "path" => ir::ParamLocation::Path,
            "query" => ir::ParamLocation::Query,
            "header" => ir::ParamLocation::Header,
            _ => return None,
        };
        op.params
            .iter()
            .find(|p| p.wire == wire && p.location == loc)
            .map(|p| (op, p))
    }
}

/// The semver rule, in one sentence for the report.
pub const SEMVER_RULE: &str = "Cargo's SemVer rules on the generated public API: removed/changed items, \
new fields of public-field structs and new variants of enums without #[non_exhaustive] are major; \
other additions minor; other generated-code changes patch. Before 1.0 each moves one place right \
(major: 0.x -> 0.(x+1), minor and patch: 0.x.y -> 0.x.(y+1)).";

/// The report as readable text: a summary, changes grouped by operation, then schemas,
/// then the crate's public API and the semver verdict.
pub fn render_text(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "API diff {} -> {}", r.old, r.new);
    let groups: BTreeMap<(u8, String), Vec<&Change>> =
        r.changes.iter().fold(BTreeMap::new(), |mut m, c| {
            m.entry(group_rank(&c.group))
                .or_insert_with(Vec::new)
                .push(c);
            m
        });
    let ops = groups.keys().filter(|k| k.0 == 1).count();
    let schemas = groups.keys().filter(|k| k.0 == 2).count();
    let _ = writeln!(
        out,
        "{} breaking, {} warning, {} info ({} changes in {ops} operations, {schemas} schemas)",
        r.count(Level::Breaking),
        r.count(Level::Warning),
        r.count(Level::Info),
        r.changes.len()
    );
    let mut last_section = None;
    for changes in groups.values() {
        let group = &changes[0].group;
        let section = match group {
            Group::Document => "Document",
            Group::Operation(_) => "Operations",
            Group::Schema(_) => "Schemas",
        };
        if last_section != Some(section) {
            let _ = writeln!(out, "\n{section}");
            last_section = Some(section);
        }
        match group {
            Group::Document => {}
            Group::Operation(label) => {
                let _ = writeln!(out, "  {label}");
            }
            Group::Schema(name) => {
                let dirs = changes
                    .iter()
                    .flat_map(|c| c.directions.iter().copied())
                    .collect::<std::collections::BTreeSet<_>>();
                let used: Vec<&str> = dirs.iter().map(|d| d.as_str()).collect();
                let used = if used.is_empty() {
                    "not used by any operation".to_owned()
                } else {
                    format!("used in {}", used.join(" and "))
                };
                let _ = writeln!(out, "  {name} ({used})");
            }
        }
        for c in changes {
            let _ = writeln!(out, "    {:<8} {}", c.level.as_str(), c.message);
            let _ = writeln!(
                out,
                "             {} [{}] at {} ({})",
                c.id,
                c.area.as_str(),
                c.pointer,
                match c.side {
                    Side::Old => "old",
                    Side::New => "new",
                }
            );
            if let Some(i) = &c.crate_impact {
                let _ = writeln!(out, "             crate: {i}");
            }
        }
    }
    let _ = writeln!(out, "\nCrate API (both versions generated and compared)");
    match (&r.api, &r.api_error) {
        (Some(api), _) => render_api(&mut out, api),
        (None, e) => {
            let _ = writeln!(
                out,
                "  not compared: {}",
                e.as_deref().unwrap_or("generation failed")
            );
        }
    }
    match r.bump {
        Bump::None => {
            let _ = writeln!(out, "\nSemver: no bump needed");
        }
        bump => {
            let _ = writeln!(out, "\nSemver: {} bump needed", bump.as_str());
        }
    }
    if let (Some(current), None) = (&r.current_version, &r.versions)
        && let Some(v) = Version::parse(current)
    {
        let _ = writeln!(
            out,
            "  from the crate's version {v} the next acceptable one is {}",
            v.next(r.bump)
        );
    }
    let _ = writeln!(out, "  rule: {SEMVER_RULE}");
    if let Some(v) = &r.versions {
        let _ = writeln!(
            out,
            "  crate version {} -> {}: {} (needs >= {})",
            v.old,
            v.new,
            if v.ok { "ok" } else { "NOT BUMPED ENOUGH" },
            v.required
        );
    }
    if let Some(rt) = &r.runtime {
        let _ = writeln!(out, "\nRuntime API ({} -> {})", rt.old, rt.new);
        match (&rt.changes, &rt.skipped) {
            (Some(changes), _) => {
                render_api(&mut out, changes);
                let _ = writeln!(
                    out,
                    "  Semver: {}{}",
                    match rt.bump {
                        Bump::None => "no bump needed by the public API".to_owned(),
                        bump => format!("{} bump needed", bump.as_str()),
                    },
                    if rt.bump == Bump::None && rt.code_changed {
                        " (the code changed: a release needs a patch bump)"
                    } else {
                        ""
                    }
                );
            }
            (None, reason) => {
                let _ = writeln!(
                    out,
                    "  skipped: {}",
                    reason.as_deref().unwrap_or("not compared")
                );
            }
        }
    }
    out
}

/// The lines of a list of public API changes.
fn render_api(out: &mut String, api: &[surface::ApiChange]) {
    if api.is_empty() {
        let _ = writeln!(out, "  no public item changed");
    }
    for c in api {
        let sig = match (&c.old, &c.new) {
            (Some(o), Some(n)) => format!("`{o}` -> `{n}`"),
            (Some(s), None) | (None, Some(s)) => format!("`{s}`"),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            out,
            "  {:<8} {:<7} {} {}: {sig}",
            c.label(),
            c.kind,
            c.item_kind,
            c.item
        );
        if let Some(note) = &c.note {
            let _ = writeln!(out, "           ({note})");
        }
    }
}

/// The report as pretty JSON.
pub fn render_json(r: &Report) -> String {
    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
    if let Some(obj) = v.as_object_mut() {
        obj.insert(
            "summary".to_owned(),
            serde_json::json!({
                "breaking": r.count(Level::Breaking),
                "warning": r.count(Level::Warning),
                "info": r.count(Level::Info),
                "semver_rule": SEMVER_RULE,
            }),
        );
    }
    serde_json::to_string_pretty(&v).unwrap_or_default()
}
