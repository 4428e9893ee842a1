//! `cargo xtask diff OLD NEW`: what changed between two versions of an OpenAPI document,
//! how bad it is for API clients, and what it does to the generated crate's public API.
//!
//! Three layers, each usable alone:
//! 1. [`spec`]: the documents compared operation by operation and schema by schema, each
//!    change classified (breaking / warning / info) by area, kind and direction in the
//!    manner of oasdiff, and located by a JSON pointer;
//! 2. per change, the Rust items it touches, named by the generator's own IR
//!    (`codegen::model`), so a maintainer reads "builder method `VideosList::creator`
//!    removed" rather than "parameter removed";
//! 3. [`surface`]: both versions generated in memory and their public items compared, which
//!    gives the semver bump the crate needs from what the generator really emits, not from
//!    what the rules guess it emits.
//!
//! The semver rule (stated in every report): Cargo's. A breaking change needs a major bump,
//! an addition a minor one, anything else that changes generated code a patch; before 1.0
//! everything moves one place right (breaking: `0.x` -> `0.(x+1)`; addition or fix:
//! `0.x.y` -> `0.x.(y+1)`), and in `0.0.z` every change bumps `z`.

pub mod spec;
pub mod surface;

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::path::Path;
use std::process::Command;

use codegen::model::ir::{self, Api, Presence, Ty, TypeKind};
use serde::Serialize;
use serde_json::Value;

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
    fn as_str(self) -> &'static str {
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
    fn as_str(self) -> &'static str {
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

/// Reads a document named on the command line: a file path, or `git:REV:path` for the file
/// as it is in a commit (`git show REV:path`, run at `repo`).
pub fn read_source(source: &str, repo: &Path) -> Result<String, String> {
    if let Some(rest) = source.strip_prefix("git:") {
        let (rev, path) = rest
            .split_once(':')
            .ok_or_else(|| format!("{source:?}: expected git:REV:path"))?;
        let out = Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(["show", &format!("{rev}:{path}")])
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "git show {rev}:{path}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        String::from_utf8(out.stdout).map_err(|e| format!("{source}: {e}"))
    } else {
        std::fs::read_to_string(source).map_err(|e| format!("cannot read {source}: {e}"))
    }
}

/// A crate version from the command line: `0.2.0`, or a `Cargo.toml` as a path or
/// `git:REV:path` whose `[package] version` is read.
pub fn read_version(source: &str, repo: &Path) -> Result<Version, String> {
    if let Some(v) = Version::parse(source) {
        return Ok(v);
    }
    let text = read_source(source, repo)?;
    let manifest: toml::Table = text.parse().map_err(|e| format!("{source}: {e}"))?;
    let version = manifest
        .get("package")
        .and_then(|p| p.get("version"))
        .and_then(|v| v.as_str())
        .ok_or_else(|| format!("{source}: no [package] version"))?;
    Version::parse(version).ok_or_else(|| format!("{source}: bad version {version:?}"))
}

/// The generator settings `cargo xtask generate` uses for this crate (the spec's config
/// included), so that what is compared is what would be generated.
pub fn settings(root: &Path) -> codegen::Settings {
    let spec = root.join("spec/stream.openapi.json");
    let config = crate::generate::load_config(&spec, None).unwrap_or_default();
    crate::generate::product_settings(&spec, config)
}

/// Compares two documents given as JSON text; `labels` name them in the report.
pub fn compare(
    old_text: &str,
    new_text: &str,
    labels: (&str, &str),
    settings: &codegen::Settings,
) -> Result<Report, String> {
    let parse = |text: &str, label: &str| -> Result<Value, String> {
        serde_json::from_str(text).map_err(|e| format!("{label}: not JSON: {e}"))
    };
    let (old, new) = (parse(old_text, labels.0)?, parse(new_text, labels.1)?);
    let mut changes = spec::Differ::new(&old, &new).run();

    // The generator's view of both: names for each change, and the public API.
    let ir = |text: &str| -> Result<Api, String> {
        let doc = codegen::load::load_str(text).map_err(|e| e.to_string())?;
        let mut warnings = doc.warnings.clone();
        codegen::model::build(&doc, settings, &mut warnings).map_err(|e| e.to_string())
    };
    let (old_ir, new_ir) = (ir(old_text).ok(), ir(new_text).ok());
    let names = Names {
        old: old_ir.as_ref(),
        new: new_ir.as_ref(),
    };
    for change in &mut changes {
        change.crate_impact = names.impact(change);
    }
    sort(&mut changes);

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
                    let bump = if api.iter().any(|c| c.breaking) {
                        Bump::Major
                    } else if !api.is_empty() {
                        Bump::Minor
                    } else if old_files != new_files {
                        Bump::Patch
                    } else {
                        Bump::None
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
    let mut shape = String::new();
    let mut depth = 0;
    for c in op.path.chars() {
        match c {
            '{' => {
                depth += 1;
                shape.push_str("{}");
            }
            '}' => depth -= 1,
            c if depth == 0 => shape.push(c),
            _ => {}
        }
    }
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
        (Some(api), _) if api.is_empty() => {
            let _ = writeln!(out, "  no public item changed");
        }
        (Some(api), _) => {
            for c in api {
                let sig = match (&c.old, &c.new) {
                    (Some(o), Some(n)) => format!("`{o}` -> `{n}`"),
                    (Some(s), None) | (None, Some(s)) => format!("`{s}`"),
                    (None, None) => String::new(),
                };
                let _ = writeln!(
                    out,
                    "  {:<8} {:<7} {} {}: {sig}",
                    if c.breaking { "breaking" } else { "additive" },
                    c.kind,
                    c.item_kind,
                    c.item
                );
                if let Some(note) = &c.note {
                    let _ = writeln!(out, "           ({note})");
                }
            }
        }
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
    out
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
