//! The layout plan, the stage between model and rendering: which items go in which file,
//! under which cargo feature (`#[cfg(feature = ...)]`) and with which visibility, decided
//! from the IR and the placement weights before any tokens exist. The emitters render each
//! item with the attributes the plan gives it; nothing rendered is parsed back to be moved,
//! gated or made public.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::quote;

use super::unraw;
use crate::model::ir::{Api, Body, Docs, Operation, Presence, ResponseKind, Ty, TypeDef};
use crate::model::placement::{self, Placement, UNUSED_FEATURE};

/// Above this many types, `models` is split: a file per resource (its own types), files of
/// shared types, a file of types no operation uses; each compiled only under the features
/// that need it.
pub(crate) const SPLIT_ABOVE_TYPES: usize = 200;

/// A shared type used by more resources than this is compiled whatever the features: the
/// `cfg` listing them all would cost more to read than the type to compile.
const UNGATED_ABOVE_USERS: usize = 8;

/// The size generated files are cut to, where they are cut.
const LINES_PER_FILE: usize = 2000;

/// The weight ([`placement::type_weight`]: one per type, field and variant) of a file of a
/// split `models`: about [`LINES_PER_FILE`] lines, at seven lines a field.
const WEIGHT_PER_FILE: usize = LINES_PER_FILE / 7;

/// A resource's operations file is split above this many operations (or above one and a
/// half [`LINES_PER_FILE`] estimated lines): the handle type stays in
/// `operations/<resource>.rs`, the operations (handle method, request builder) go to files
/// of `operations/<resource>/` of about [`LINES_PER_FILE`] lines.
const OPERATIONS_PER_FILE: usize = 16;

/// The lines of a handle method that starts an operation, with its docs.
const HANDLE_METHOD_LINES: usize = 20;

/// The plan of one crate (or module of a crate).
pub(crate) struct Plan<'a> {
    /// The attributes and visibility of items that depend on where they are compiled.
    pub items: Items,
    /// The files of a split `models`; `None`: one `models.rs`.
    pub model_files: Option<Vec<ModelFile<'a>>>,
    /// Per resource of the API, in order: the operations of each file of
    /// `operations/<resource>/` (indices into `Api::operations`); empty: one file.
    pub resource_parts: Vec<Vec<Vec<usize>>>,
}

/// What the plan decides about single items, as the emitters ask for it.
#[derive(Debug, Default)]
pub(crate) struct Items {
    /// Resource key -> the feature that compiles its handle type, module and accessor.
    /// Empty when the output has no features.
    gates: BTreeMap<String, String>,
    /// Handle constructors are public (and hidden): another member crate of a workspace
    /// (the facade's client) calls them.
    public_constructors: bool,
}

/// Nothing gated, constructors crate-private: a module of a hand-written crate, the
/// dispatch file, the server bindings.
pub(crate) static NO_ITEMS: Items = Items {
    gates: BTreeMap::new(),
    public_constructors: false,
};

impl Items {
    /// The items of an output with a feature per resource (`features`), constructors
    /// public when `public_constructors`.
    pub(crate) fn new(
        api: &Api,
        placement: &Placement,
        features: bool,
        public_constructors: bool,
    ) -> Self {
        let gates = if features {
            api.resources
                .iter()
                .filter_map(|r| Some((r.key.clone(), placement.features.get(&r.key)?.clone())))
                .collect()
        } else {
            BTreeMap::new()
        };
        Items {
            gates,
            public_constructors,
        }
    }

    /// `#[cfg(feature = "...")]` for what belongs to the resource `key` (its module, the
    /// accessor returning its handle), when it is gated.
    pub(crate) fn gate(&self, key: &str) -> Option<TokenStream> {
        let feature = self.gates.get(key)?;
        Some(quote!(#[cfg(feature = #feature)]))
    }

    /// The visibility (and attributes) of a resource handle's constructor.
    pub(crate) fn constructor_visibility(&self) -> TokenStream {
        if self.public_constructors {
            quote!(#[doc(hidden)] pub)
        } else {
            quote!(pub(crate))
        }
    }
}

/// One file of a split `models`.
pub(crate) struct ModelFile<'a> {
    /// Module (and file) name.
    pub module: String,
    /// The feature that compiles the whole file, if one does.
    pub feature: Option<String>,
    /// For a file of types gated one by one, all of them gated: the features any of which
    /// compiles one (the file is compiled only then: a module of nothing would make its
    /// `pub use` an unused import).
    pub any_of: Vec<String>,
    /// `use super::*` for types that name types of other files: `None` when none does;
    /// else the features it is compiled under (empty: always), so it is never an unused
    /// import, whatever the features.
    pub use_super: Option<Vec<String>>,
    /// Its types, in name order, each with the features any of which compiles it when it
    /// is gated on its own (files of shared types).
    pub defs: Vec<(&'a TypeDef, Option<Vec<String>>)>,
}

/// `#[cfg(any(feature = ...))]` of `features`.
pub(crate) fn any_of(features: &[String]) -> TokenStream {
    quote!(#[cfg(any(#(feature = #features),*))])
}

/// The plan of one [`super::Target`].
pub(crate) fn plan<'a>(api: &'a Api, target: &super::Target<'_>) -> Plan<'a> {
    Plan {
        items: Items::new(
            api,
            target.placement,
            target.features,
            target.member.is_some(),
        ),
        model_files: target
            .split
            .then(|| model_files(api, target.placement, &target.external)),
        resource_parts: api
            .resources
            .iter()
            .map(|r| {
                let widths = Widths {
                    models: target.models_path.len(),
                    external: &target.external,
                };
                resource_parts(api, &widths, &r.operations)
            })
            .collect(),
    }
}

/// Whether a type of a split `models` is compiled whatever the features: a type several
/// resources use, more than [`UNGATED_ABOVE_USERS`] of them.
fn always_compiled(placement: &Placement, name: &str) -> bool {
    placement
        .users
        .get(name)
        .is_some_and(|users| users.len() > 1)
        && placement.user_count.get(name).copied().unwrap_or(0) > UNGATED_ABOVE_USERS
}

/// The features any of which compiles at least one of `types` in a split `models`; `None`
/// when one of them is always compiled.
pub(crate) fn compiled_under<'a>(
    placement: &Placement,
    types: impl Iterator<Item = &'a str>,
) -> Option<BTreeSet<String>> {
    let mut features = BTreeSet::new();
    for name in types {
        if always_compiled(placement, name) {
            return None;
        }
        features.extend(placement.gate(name).into_iter().map(str::to_owned));
    }
    Some(features)
}

/// The files of a split `models`: each resource's own types (chunked), the shared ones
/// (chunked, each type gated by the features of its users), the unused ones.
fn model_files<'a>(
    api: &'a Api,
    placement: &Placement,
    external: &BTreeMap<String, String>,
) -> Vec<ModelFile<'a>> {
    let mut own: BTreeMap<&str, Vec<&TypeDef>> = BTreeMap::new();
    let mut shared = Vec::new();
    let mut unused = Vec::new();
    // Types of other crates are in `api` for what their definitions tell (an
    // `additional_properties` to initialize), not to be written here.
    for def in api
        .types
        .values()
        .filter(|d| !external.contains_key(&d.name))
    {
        match placement.users.get(&def.name) {
            Some(users) if users.is_empty() => unused.push(def),
            Some(users) if users.len() == 1 => {
                if let Some(feature) = users.first() {
                    own.entry(feature.as_str()).or_default().push(def);
                }
            }
            _ => shared.push(def),
        }
    }
    let feature_module: BTreeMap<&str, String> = api
        .resources
        .iter()
        .filter_map(|r| {
            Some((
                placement.features.get(&r.key)?.as_str(),
                unraw(&r.module).to_owned(),
            ))
        })
        .collect();
    let taken: Vec<&String> = feature_module.values().collect();
    let free = |name: &str| {
        let mut name = name.to_owned();
        while taken.iter().any(|t| **t == name) {
            name.push('_');
        }
        name
    };
    let gated =
        |name: &str| placement.user_count.get(name).copied().unwrap_or(0) <= UNGATED_ABOVE_USERS;
    let mut files = Vec::new();
    let mut push_chunks =
        |base: String, feature: Option<String>, defs: Vec<&'a TypeDef>, per_type: bool| {
            // Cut by weight (fields, variants), so files stay near `LINES_PER_FILE` lines.
            let weighed = defs.into_iter().map(|def| {
                // A gated type repeats its `cfg(any(feature = ...))` on each of its items.
                let gate = if per_type && !always_compiled(placement, &def.name) {
                    placement.gate(&def.name).len()
                } else {
                    0
                };
                (def, placement::type_weight(def) + gate)
            });
            let chunks = cut(weighed, WEIGHT_PER_FILE);
            for (i, chunk) in chunks.into_iter().enumerate() {
                let module = if i == 0 {
                    base.clone()
                } else {
                    format!("{base}_{}", i + 1)
                };
                let gates = |name: &str| -> Vec<String> {
                    placement
                        .gate(name)
                        .into_iter()
                        .map(str::to_owned)
                        .collect()
                };
                let any_of = if per_type && chunk.iter().all(|def| gated(&def.name)) {
                    let features: BTreeSet<String> =
                        chunk.iter().flat_map(|def| gates(&def.name)).collect();
                    features.into_iter().collect()
                } else {
                    Vec::new()
                };
                let own_gate =
                    |def: &TypeDef| (per_type && gated(&def.name)).then(|| gates(&def.name));
                let use_super = use_super(api, &chunk, external, &own_gate);
                files.push(ModelFile {
                    module,
                    feature: feature.clone(),
                    any_of,
                    use_super,
                    defs: chunk.into_iter().map(|def| (def, own_gate(def))).collect(),
                });
            }
        };
    push_chunks(free("shared_types"), None, shared, true);
    for (feature, defs) in own {
        let module = feature_module
            .get(feature)
            .cloned()
            .unwrap_or_else(|| feature.replace('-', "_"));
        push_chunks(module, Some(feature.to_owned()), defs, false);
    }
    push_chunks(
        free("unused_types"),
        Some(UNUSED_FEATURE.to_owned()),
        unused,
        false,
    );
    files
}

/// Whether the file of `defs` needs `use super::*` (some type names a type of another file
/// of this crate), and under which features: the gates of the types that need it, or none
/// (empty) when one of them is not gated.
fn use_super(
    api: &Api,
    defs: &[&TypeDef],
    external: &BTreeMap<String, String>,
    own_gate: &dyn Fn(&TypeDef) -> Option<Vec<String>>,
) -> Option<Vec<String>> {
    let here: BTreeSet<&str> = defs.iter().map(|d| d.name.as_str()).collect();
    let needing: Vec<&&TypeDef> = defs
        .iter()
        .filter(|def| {
            placement::referenced_types(def).into_iter().any(|name| {
                !here.contains(name) && api.types.contains_key(name) && !external.contains_key(name)
            })
        })
        .collect();
    if needing.is_empty() {
        return None;
    }
    let mut features = BTreeSet::new();
    for def in needing {
        match own_gate(def) {
            Some(gate) => features.extend(gate),
            None => return Some(Vec::new()),
        }
    }
    Some(features.into_iter().collect())
}

/// The files of `operations/<resource>/` for a resource of `operations`: empty when the
/// resource stays one file (at most [`OPERATIONS_PER_FILE`] operations and about one and a
/// half [`LINES_PER_FILE`] lines); else operations packed in order into files of about
/// [`LINES_PER_FILE`] lines, by the estimate of [`operation_lines`].
fn resource_parts(api: &Api, widths: &Widths<'_>, operations: &[usize]) -> Vec<Vec<usize>> {
    let lines: Vec<(usize, usize)> = operations
        .iter()
        .filter_map(|&i| Some((i, operation_lines(widths, api.operations.get(i)?))))
        .collect();
    if operations.len() <= OPERATIONS_PER_FILE {
        // The handle and its methods, the builders, the accessors of children: few
        // operations, but long ones (many documented parameters) are split too.
        let whole: usize = lines.iter().map(|(_, l)| l + HANDLE_METHOD_LINES).sum();
        if whole <= LINES_PER_FILE * 3 / 2 {
            return Vec::new();
        }
    }
    let lines = lines
        .into_iter()
        .map(|(op, lines)| (op, lines + HANDLE_METHOD_LINES));
    cut(lines, LINES_PER_FILE)
}

/// `items` in order, cut into runs of at most `budget` of their sizes (an item larger than
/// the budget alone in its run); no run for no items.
fn cut<T>(items: impl IntoIterator<Item = (T, usize)>, budget: usize) -> Vec<Vec<T>> {
    let mut runs: Vec<Vec<T>> = Vec::new();
    let mut filled = 0;
    for (item, size) in items {
        if runs.is_empty() || (filled > 0 && filled + size > budget) {
            runs.push(Vec::new());
            filled = 0;
        }
        filled += size;
        if let Some(run) = runs.last_mut() {
            run.push(item);
        }
    }
    runs
}

/// The lines of an operation's request builder (struct, constructor, setters, `send`) and
/// its response-header struct as printed, estimated from the IR, in tenths of a line: a
/// fixed part (the struct, the constructor, the `request_options!` line, the two `send`
/// functions with their docs), and what each parameter, body field or form part adds (its
/// field, its setter with its docs, its line in `send_with_response`). The weights are a
/// least-squares fit to the printed builders of the test specs and of the spec this
/// workspace generates from (104 operations: mean error 1.6 lines, the worst 21); a line
/// of docs counts ten, and the headers, wrap, unwrap and client-default weights are
/// counted, not fit.
fn operation_lines(widths: &Widths<'_>, op: &Operation) -> usize {
    /// The fixed part.
    const FIXED: usize = 399;
    /// An optional parameter: field, initialization, setter, its one line sending it.
    const OPTIONAL_PARAM: usize = 71;
    /// A required parameter: field, constructor argument and initialization, sending it.
    const REQUIRED_PARAM: usize = 42;
    /// A parameter's doc line (on its setter).
    const PARAM_DOC_LINE: usize = 10;
    /// A client-filled path parameter: the setter's note on the client's default.
    const CLIENT_DEFAULT: usize = 20;
    /// A segment of the path: its `path_literal` / `path_param` line.
    const PATH_PART: usize = 10;
    /// A JSON body: the body setter and its docs, sending the body (`with_body_field` is
    /// the runtime's).
    const JSON_BODY: usize = 109;
    /// An optional body field (its setter) and one of its doc lines.
    const OPTIONAL_FIELD: usize = 53;
    const FIELD_DOC_LINE: usize = 10;
    /// A required body field: constructor argument and initialization.
    const REQUIRED_FIELD: usize = 31;
    /// A body field's `clear_` setter.
    const CLEAR: usize = 55;
    /// A multipart body, and each of its parts.
    const MULTIPART_PART: usize = 84;
    /// A raw body: its field, setter, sending it.
    const RAW_BODY: usize = 63;
    /// `request.security(..)`.
    const SECURITY: usize = 12;
    /// A JSON response unwrapped to one field.
    const UNWRAP: usize = 30;
    /// The response-header struct and `send` building it.
    const HEADERS: usize = 60;
    /// Long response types wrap the `send` signatures and the decoding call: (the length of
    /// the type as written, the lines it adds above it).
    const WRAPS: &[(usize, usize)] = &[(20, 19), (30, 15), (40, 26), (50, 65), (60, 13), (70, 10)];

    let doc_lines = |docs: &Docs| {
        let text = docs.text.as_deref().map_or(0, |t| t.trim().lines().count());
        text.max(1) + if docs.deprecated { 2 } else { 0 }
    };
    let mut tenths = FIXED + PATH_PART * op.path_parts.len();
    for p in op.params.iter().filter(|p| p.constant.is_none()) {
        tenths += if p.required && !p.client_default {
            REQUIRED_PARAM
        } else {
            OPTIONAL_PARAM
                + PARAM_DOC_LINE * doc_lines(&p.docs)
                + widths.setter_wrap(&p.rust, &p.ty)
        };
        if p.client_default {
            tenths += CLIENT_DEFAULT;
        }
    }
    match &op.body {
        Some(Body::Json { fields, .. }) => {
            tenths += JSON_BODY;
            for f in fields {
                tenths += match f.field.presence {
                    Presence::Required | Presence::RequiredNullable => REQUIRED_FIELD,
                    Presence::Optional | Presence::OptionalNullable => {
                        OPTIONAL_FIELD
                            + FIELD_DOC_LINE * doc_lines(&f.field.docs)
                            + widths.setter_wrap(&f.setter, &f.field.ty)
                            + if f.clear.is_some() { CLEAR } else { 0 }
                    }
                };
            }
        }
        Some(Body::Multipart { parts }) => tenths += MULTIPART_PART * (1 + parts.len()),
        Some(Body::Raw { .. }) => tenths += RAW_BODY,
        None => {}
    }
    if op.security.is_some() {
        tenths += SECURITY;
    }
    match &op.response {
        ResponseKind::Headers { headers, .. } => {
            tenths += HEADERS;
            for h in headers {
                // Its field with its docs, and its line (four when required) in `send`.
                let send = if h.required { 4 } else { 1 };
                tenths += 10 * (1 + doc_lines(&h.docs) + send);
            }
        }
        ResponseKind::Json { ty, unwrap } => {
            if unwrap.is_some() {
                tenths += UNWRAP;
            }
            let len = widths.ty(ty);
            tenths += WRAPS
                .iter()
                .filter(|(above, _)| len > *above)
                .map(|(_, lines)| lines)
                .sum::<usize>();
        }
        ResponseKind::Empty | ResponseKind::Text | ResponseKind::Bytes => {}
    }
    tenths / 10
}

/// How long the emitters write type names outside `models`.
struct Widths<'a> {
    /// The length of the path of `models` (`crate::models`).
    models: usize,
    /// Types of other crates, by name: their crate.
    external: &'a BTreeMap<String, String>,
}

/// The widest line prettyplease leaves whole.
const MARGIN: usize = 89;

impl Widths<'_> {
    /// The tenths of a line a setter's signature adds when it is too long for one line
    /// (`pub fn name(\n mut self,\n name: Type,\n) -> Self {`).
    fn setter_wrap(&self, name: &str, ty: &Ty) -> usize {
        let ty = match ty {
            Ty::String => "impl Into<String>".len(),
            Ty::Timestamp => "impl Into<client_runtime::Timestamp>".len(),
            Ty::Date => "impl Into<client_runtime::Date>".len(),
            Ty::Boxed(inner) => self.ty(inner),
            other => self.ty(other),
        };
        let line = "    pub fn (mut self, : ) -> Self {".len() + 2 * name.len() + ty;
        if line > MARGIN { 30 } else { 0 }
    }

    /// The length of `ty` as written outside `models` (`crate::models::Name`).
    fn ty(&self, ty: &Ty) -> usize {
        match ty {
            Ty::String => 6,
            Ty::Bool => 4,
            Ty::I32 | Ty::I64 | Ty::F32 | Ty::F64 => 3,
            Ty::Json => 17,
            Ty::Timestamp => 25,
            Ty::Date => 20,
            Ty::Named(name) => match self.external.get(name) {
                Some(krate) => krate.len() + "::models::".len() + name.len(),
                None => self.models + "::".len() + name.len(),
            },
            Ty::Vec(inner) | Ty::Boxed(inner) => "Vec<>".len() + self.ty(inner),
            Ty::Map(inner) => "std::collections::BTreeMap<String, >".len() + self.ty(inner),
            Ty::Envelope(inner) => "client_runtime::Envelope<>".len() + self.ty(inner),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Models `text` with the default settings and runs `check` over what the estimate and
    /// the printed files are made from: the API, its widths and an emitter with no external
    /// types. `None` when the spec is refused.
    fn with_estimator<R>(
        text: &str,
        check: impl FnOnce(&crate::model::ir::Api, &Widths, &super::super::Emitter) -> R,
    ) -> Option<R> {
        let (api, _) = crate::build_api(text, &crate::Settings::default()).ok()?;
        let external = BTreeMap::new();
        let widths = Widths {
            models: "crate::models".len(),
            external: &external,
        };
        let cx = super::super::Emitter::new("crate::models", &external, &NO_ITEMS);
        Some(check(&api, &widths, &cx))
    }

    /// The estimate of a resource file's lines (its builders and handle methods) tracks the
    /// printed file, so files are cut near [`LINES_PER_FILE`]: checked on the test specs'
    /// resources (a change to what a builder prints that the estimate does not follow fails
    /// here).
    #[test]
    fn the_line_estimate_follows_the_printed_builders() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specs");
        let mut checked = 0;
        for name in [
            "query_params.json",
            "response_headers.json",
            "multipart.json",
            "nullable.json",
            "path_params.json",
            "security.json",
            "envelope.json",
        ] {
            let text = std::fs::read_to_string(format!("{dir}/{name}")).expect("reads the spec");
            with_estimator(&text, |api, widths, cx| {
                for resource in &api.resources {
                    let printed = super::super::render_body(
                        super::super::operations::resource_file(cx, api, resource),
                    )
                    .expect("prints")
                    .lines()
                    .count();
                    let estimate: usize = resource
                        .operations
                        .iter()
                        .map(|&i| operation_lines(widths, &api.operations[i]) + HANDLE_METHOD_LINES)
                        .sum();
                    // The handle methods' twenty lines are generous for undocumented
                    // operations; the handle type is not counted.
                    assert!(
                        printed * 9 / 10 <= estimate && estimate <= printed * 6 / 5 + 5,
                        "{name}, `{}`: estimated {estimate} lines, printed {printed}",
                        resource.key
                    );
                    checked += 1;
                }
            })
            .expect("models the spec");
        }
        assert!(checked >= 7, "{checked} resources");
    }

    /// Each operation's estimate against its builder as printed (the part file of that one
    /// operation, after the handle's `impl` block), over every test spec: the weights are a
    /// fit, so each is allowed a few lines off, and on average they must be close.
    #[test]
    fn each_builder_estimate_is_close() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/specs");
        let mut errors = Vec::new();
        let mut specs: Vec<_> = std::fs::read_dir(dir)
            .expect("lists the specs")
            .map(|entry| entry.expect("reads the directory").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        specs.sort();
        for path in specs {
            let text = std::fs::read_to_string(&path).expect("reads the spec");
            // Some specs are there to be refused: they have nothing to check.
            with_estimator(&text, |api, widths, cx| {
                for resource in &api.resources {
                    for &i in &resource.operations {
                        let (_, files) =
                            super::super::operations::resource_files(cx, api, resource, &[vec![i]]);
                        let file = files.into_iter().next().expect("one part");
                        let text = super::super::render_body(file).expect("prints");
                        // What follows the `impl` block of the handle method.
                        let printed = text.lines().skip_while(|line| *line != "}").count() - 1;
                        let estimate = operation_lines(widths, &api.operations[i]);
                        let error = estimate.abs_diff(printed);
                        assert!(
                            error <= 10,
                            "{}, `{}`: estimated {estimate} lines, printed {printed}",
                            path.display(),
                            api.operations[i].id
                        );
                        errors.push(error);
                    }
                }
            });
        }
        assert!(errors.len() >= 50, "{} operations", errors.len());
        let mean = errors.iter().sum::<usize>() as f64 / errors.len() as f64;
        assert!(mean < 3.0, "mean error {mean:.2} lines");
    }
}
