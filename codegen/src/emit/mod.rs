//! Stage 3, emit: IR -> `TokenStream` (`quote!`) -> `syn::File` -> `prettyplease`.
//! Pure and deterministic: the same IR always gives the same bytes.

mod client;
mod dispatch;
mod docs;
mod models;
mod operations;
mod package;
pub mod server;
mod workspace;

use std::cell::RefCell;
use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::error::{Error, Pointer, Result};
use crate::model::ir::{Api, Ty};
use crate::{Layout, Settings};

pub use docs::sanitize as sanitize_docs;
pub use package::{RuntimeDependency, package_files};
pub use workspace::{GROUP_BUDGET, WORKSPACE_ABOVE, emit_workspace, wants_workspace};

/// Types per rendering chunk of `models.rs`: small enough to spread over cores, large
/// enough that per-chunk overhead does not matter.
const TYPES_PER_CHUNK: usize = 200;

thread_local! {
    /// The path of the generated `models` module as code outside it writes it
    /// (`crate::models`, `crate::generated::models`, `cloudflare_stream::models`). Set for
    /// each rendering job by [`with_models_path`]: it depends on where the file goes, not on
    /// the IR, and threading it through every type-writing helper would add a parameter to
    /// each for one path.
    static MODELS: RefCell<TokenStream> = RefCell::new(quote!(crate::models));
}

thread_local! {
    /// In a member crate of a workspace, the types other members define: name -> the
    /// crate (`layout_shared`) whose `models` has it. Code names them by that path, in
    /// and out of `models`, so no glob import is needed (one that imports nothing under
    /// some features would be an unused import).
    static EXTERNAL: RefCell<std::sync::Arc<BTreeMap<String, String>>> =
        RefCell::new(std::sync::Arc::new(BTreeMap::new()));
}

/// Runs `render` with `models` (`crate::generated::models`) as the path that qualified
/// type names start with.
fn with_models_path<T>(models: &str, render: impl FnOnce() -> T) -> T {
    let path = models
        .split("::")
        .map(|segment| format_ident!("{}", segment));
    MODELS.with(|current| *current.borrow_mut() = quote!(#(#path)::*));
    render()
}

/// Runs `render` with `external` as the types of other crates ([`EXTERNAL`]).
fn with_external<T>(
    external: &std::sync::Arc<BTreeMap<String, String>>,
    render: impl FnOnce() -> T,
) -> T {
    EXTERNAL.with(|current| *current.borrow_mut() = external.clone());
    render()
}

/// One unit of rendering work; `TokenStream` is not `Send`, so each job builds its own
/// tokens on the thread that renders them.
enum Job<'a> {
    Root,
    Client,
    ModelsPrelude,
    /// Types of the one `models.rs`.
    Models(Vec<&'a crate::model::ir::TypeDef>),
    /// `models/mod.rs` of a split `models`: declares and re-exports the files below.
    ModelsMod,
    /// One file of a split `models`.
    ModelFile(&'a ModelFile<'a>),
    OperationsMod,
    Resource(&'a crate::model::ir::Resource),
}

/// The weight ([`crate::model::placement::type_weight`]: one per type, field and variant)
/// of a file of a split `models`: about [`LINES_PER_FILE`] lines, at seven lines a field.
const WEIGHT_PER_FILE: usize = LINES_PER_FILE / 7;

/// Above this many types, `models` is split: a file per resource (its own types), files of
/// shared types, a file of types no operation uses; each compiled only under the features
/// that need it.
const SPLIT_ABOVE_TYPES: usize = TYPES_PER_CHUNK;

/// A shared type used by more resources than this is compiled whatever the features: the
/// `cfg` listing them all would cost more to read than the type to compile.
const UNGATED_ABOVE_USERS: usize = 8;

/// Whether a type of a split `models` is compiled whatever the features: a type several
/// resources use, more than [`UNGATED_ABOVE_USERS`] of them.
fn always_compiled(placement: &crate::model::placement::Placement, name: &str) -> bool {
    placement
        .users
        .get(name)
        .is_some_and(|users| users.len() > 1)
        && placement.user_count.get(name).copied().unwrap_or(0) > UNGATED_ABOVE_USERS
}

/// The features any of which compiles at least one of `types` in a split `models`; `None`
/// when one of them is always compiled.
pub(crate) fn compiled_under<'a>(
    placement: &crate::model::placement::Placement,
    types: impl Iterator<Item = &'a str>,
) -> Option<std::collections::BTreeSet<String>> {
    let mut features = std::collections::BTreeSet::new();
    for name in types {
        if always_compiled(placement, name) {
            return None;
        }
        features.extend(placement.gate(name).into_iter().map(str::to_owned));
    }
    Some(features)
}

/// One file of a split `models`.
struct ModelFile<'a> {
    /// Module (and file) name.
    module: String,
    /// The feature that compiles the whole file, if one does.
    feature: Option<String>,
    /// For a file of types gated one by one, all of them gated: the features any of which
    /// compiles one (the file is compiled only then: a module of nothing would make its
    /// `pub use` an unused import).
    any_of: Vec<String>,
    /// Its types, in name order.
    defs: Vec<&'a crate::model::ir::TypeDef>,
    /// Gate each type on its own (`#[cfg(any(feature = ...))]`): files of shared types.
    per_type: bool,
}

/// Emits every generated source file, keyed by its path relative to the crate root: under
/// `src/` for [`Layout::Crate`] (with `src/lib.rs`), under `src/<module>/` for
/// [`Layout::Module`] (with its `mod.rs`).
///
/// A whole crate gets a cargo feature per resource ([`crate::model::placement`]): each
/// resource's operations, its handle's accessors, and (for an API of more than a few
/// hundred types) the types only it uses are compiled under its feature, so a user builds
/// what they call. A module of a hand-written crate (Stream's) has no features.
///
/// Files (and chunks of large files) are rendered on all available cores; the output is
/// assembled in a fixed order, so it is byte-identical whatever the core count.
pub fn emit(api: &Api, settings: &Settings) -> Result<BTreeMap<String, String>> {
    let (dir, models_path) = match &settings.layout {
        Layout::Crate => ("src".to_owned(), "crate::models".to_owned()),
        Layout::Module(module) => (format!("src/{module}"), format!("crate::{module}::models")),
    };
    let features = settings.layout == Layout::Crate;
    let placement = crate::model::placement::place(api);
    let target = Target {
        dir,
        models_path,
        features,
        split: features && api.types.len() > SPLIT_ABOVE_TYPES,
        parallel: true,
        placement: &placement,
        member: None,
        external: Default::default(),
    };
    emit_target(api, settings, &target)
}

/// Where the files of one crate (or module of a crate) go, and what they can assume.
pub(crate) struct Target<'a> {
    /// The folder of the files (`src`, `crates/issues/src`).
    pub dir: String,
    /// How code outside `models` names it (`crate::models`).
    pub models_path: String,
    /// A cargo feature per resource.
    pub features: bool,
    /// `models` split into files whose types are gated by the features that use them.
    pub split: bool,
    /// Render the files on all cores (else on the calling thread).
    pub parallel: bool,
    /// The users of every type of the whole API.
    pub placement: &'a crate::model::placement::Placement,
    /// For a member crate of a workspace: what its root says.
    pub member: Option<MemberTarget>,
    /// Types other crates define, by name: the crate to name them through.
    pub external: std::sync::Arc<BTreeMap<String, String>>,
}

/// What is particular to a member crate of a workspace layout.
pub(crate) struct MemberTarget {
    /// The crate docs of its `lib.rs`.
    pub docs: String,
}

/// A resource's operations file is split above this many operations (or above one and a
/// half [`LINES_PER_FILE`]): the handle type stays in `operations/<resource>.rs`, the
/// operations (handle method, request builder) go to files of `operations/<resource>/` of
/// about [`LINES_PER_FILE`] lines.
const OPERATIONS_PER_FILE: usize = 16;

/// The size generated files are cut to, where they are cut.
const LINES_PER_FILE: usize = 2000;

/// The files of one [`Target`].
pub(crate) fn emit_target(
    api: &Api,
    settings: &Settings,
    target: &Target<'_>,
) -> Result<BTreeMap<String, String>> {
    let dir = &target.dir;
    let placement = target.placement;
    let split = target.split;
    let features = target.features;
    let model_files = if split {
        plan_model_files(api, placement, &target.external)
    } else {
        Vec::new()
    };

    let mut jobs = vec![Job::Root];
    if target.member.is_none() {
        jobs.push(Job::Client);
    }
    if split {
        jobs.push(Job::ModelsMod);
        jobs.extend(model_files.iter().map(Job::ModelFile));
    } else {
        let types: Vec<_> = api.types.values().collect();
        jobs.push(Job::ModelsPrelude);
        jobs.extend(
            types
                .chunks(TYPES_PER_CHUNK)
                .map(|c| Job::Models(c.to_vec())),
        );
    }
    // A member crate of types only has no operations module.
    if target.member.is_none() || !api.resources.is_empty() {
        jobs.push(Job::OperationsMod);
        jobs.extend(api.resources.iter().map(Job::Resource));
    }

    let gates = features.then(|| Gates::new(api, placement));
    let head = header(settings);
    let render = |job: &Job<'_>| -> Result<Vec<(String, String)>> {
        let tokens = match job {
            Job::Root => match &target.member {
                Some(member) => member_root_file(member, !api.resources.is_empty()),
                None => root_file(api, settings),
            },
            Job::Client => client::file(api),
            Job::ModelsPrelude => models::prelude(api),
            Job::Models(defs) => models::chunk(defs.iter().copied()),
            Job::ModelsMod => models_mod_file(api, &model_files),
            Job::ModelFile(file) => {
                let text = render_model_file(api, file, placement, &target.external)?;
                return Ok(vec![(format!("{dir}/models/{}.rs", file.module), text)]);
            }
            Job::OperationsMod => operations::mod_file(api),
            Job::Resource(resource) => operations::resource_file(api, resource),
        };
        let path = match job {
            Job::Root => match settings.layout {
                Layout::Crate => format!("{dir}/lib.rs"),
                Layout::Module(_) => format!("{dir}/mod.rs"),
            },
            Job::Client => format!("{dir}/client.rs"),
            Job::ModelsPrelude | Job::Models(_) => String::new(),
            Job::ModelsMod => format!("{dir}/models/mod.rs"),
            Job::ModelFile(file) => format!("{dir}/models/{}.rs", file.module),
            Job::OperationsMod => format!("{dir}/operations/mod.rs"),
            Job::Resource(resource) => format!("{dir}/operations/{}.rs", unraw(&resource.module)),
        };
        if let Job::Resource(resource) = job {
            let mut file = parse_file(tokens)?;
            if target.member.is_some() {
                publish_handle_constructor(&mut file, &resource.type_name);
            }
            // A child's accessor (`Stores::staff`) is compiled with the child's feature.
            if let Some(gates) = &gates {
                gates.apply(&mut file);
            }
            return Ok(split_resource_file(api, file, &path, resource));
        }
        let text = match (&gates, job) {
            (Some(gates), Job::Client | Job::OperationsMod) => {
                let mut file = parse_file(tokens)?;
                gates.apply(&mut file);
                prettyplease::unparse(&file)
            }
            _ => render_body(tokens)?,
        };
        Ok(vec![(path, text)])
    };
    let render_one = |job| {
        with_external(&target.external, || {
            with_models_path(&target.models_path, || render(job))
        })
    };
    let rendered = if target.parallel {
        run_parallel(&jobs, render_one)?
    } else {
        jobs.iter().map(render_one).collect::<Result<Vec<_>>>()?
    };

    let mut files = BTreeMap::new();
    let mut models = head.clone();
    for parts in rendered {
        for (path, text) in parts {
            if path.is_empty() {
                models.push_str(&text);
                continue;
            }
            files.insert(path, space_items(&format!("{head}{text}")));
        }
    }
    if !split {
        files.insert(format!("{dir}/models.rs"), space_items(&models));
    }
    Ok(files)
}

/// The root of a member crate: its docs and modules, nothing else (the facade has the
/// client).
fn member_root_file(member: &MemberTarget, operations: bool) -> TokenStream {
    let doc = docs::inner_lines(&member.docs);
    let operations = operations.then(|| {
        quote! {
            #[rustfmt::skip]
            pub mod operations;
        }
    });
    quote! {
        #doc

        // Generated modules are laid out by prettyplease; rustfmt would only churn them.
        #[rustfmt::skip]
        pub mod models;
        #operations
    }
}

/// Makes the handle's constructor (`Issues::new`) public and hidden: the facade crate's
/// client calls it from another crate.
fn publish_handle_constructor(file: &mut syn::File, handle: &str) {
    for item in &mut file.items {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let syn::Type::Path(path) = block.self_ty.as_ref() else {
            continue;
        };
        if path.path.segments.last().is_none_or(|s| s.ident != handle) {
            continue;
        }
        for member in &mut block.items {
            if let syn::ImplItem::Fn(f) = member
                && f.sig.ident == "new"
            {
                f.vis = syn::parse_quote!(pub);
                f.attrs.insert(0, syn::parse_quote!(#[doc(hidden)]));
            }
        }
    }
}

/// A resource's file as written: whole, or (above [`OPERATIONS_PER_FILE`] operations) the
/// handle type in `path` and the operations in files of `operations/<resource>/`, declared
/// and re-exported by the first: each file has an `impl` block of the handle with the
/// methods of its operations, their builders and response-header structs.
fn split_resource_file(
    api: &Api,
    mut file: syn::File,
    path: &str,
    resource: &crate::model::ir::Resource,
) -> Vec<(String, String)> {
    if resource.operations.len() <= OPERATIONS_PER_FILE {
        let text = prettyplease::unparse(&file);
        // Few operations, but long ones (many documented parameters): split too.
        if text.lines().count() <= LINES_PER_FILE * 3 / 2 {
            return vec![(path.to_owned(), text)];
        }
    }
    // The handle struct and its impl come first; then each builder, a struct and its
    // impl; then the response-header structs.
    let rest = file.items.split_off(2.min(file.items.len()));
    let name_of = |item: &syn::Item| match item {
        syn::Item::Struct(s) => Some(s.ident.to_string()),
        _ => None,
    };
    let header_of: BTreeMap<String, String> = resource
        .operations
        .iter()
        .filter_map(|&i| api.operations.get(i))
        .filter_map(|op| match &op.response {
            crate::model::ir::ResponseKind::Headers { type_name, .. } => {
                Some((op.builder.clone(), type_name.clone()))
            }
            _ => None,
        })
        .collect();
    let mut headers: BTreeMap<String, syn::Item> = BTreeMap::new();
    let mut builders: Vec<Vec<syn::Item>> = Vec::new();
    for item in rest {
        let name = name_of(&item);
        if let Some(name) = name.filter(|n| header_of.values().any(|h| h == n)) {
            headers.insert(name, item);
        } else if matches!(item, syn::Item::Struct(_)) || builders.is_empty() {
            builders.push(vec![item]);
        } else if let Some(last) = builders.last_mut() {
            last.push(item);
        }
    }
    for builder in &mut builders {
        let header = builder
            .first()
            .and_then(name_of)
            .and_then(|b| header_of.get(&b))
            .and_then(|h| headers.remove(h));
        builder.extend(header);
    }
    // The handle's methods that start an operation go with their builders; its
    // constructor and child accessors stay.
    let mut methods: BTreeMap<String, syn::ImplItem> = BTreeMap::new();
    if let Some(syn::Item::Impl(handle_impl)) = file.items.get_mut(1) {
        let builder_names: std::collections::BTreeSet<String> = builders
            .iter()
            .filter_map(|b| b.first().and_then(name_of))
            .collect();
        let items = std::mem::take(&mut handle_impl.items);
        for member in items {
            let returns = match &member {
                syn::ImplItem::Fn(f) => match &f.sig.output {
                    syn::ReturnType::Type(_, ty) => match ty.as_ref() {
                        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
                        _ => None,
                    },
                    syn::ReturnType::Default => None,
                },
                _ => None,
            };
            match returns.filter(|r| builder_names.contains(r)) {
                Some(builder) => {
                    methods.insert(builder, member);
                }
                None => handle_impl.items.push(member),
            }
        }
    }
    let handle = format_ident!("{}", resource.type_name);
    let folder = path.trim_end_matches(".rs");
    // Each operation (its handle method, builder, header struct) rendered alone, then
    // packed into files of about `LINES_PER_FILE` lines.
    let units: Vec<(Option<syn::ImplItem>, String)> = builders
        .into_iter()
        .map(|items| {
            let method = items
                .first()
                .and_then(name_of)
                .and_then(|b| methods.remove(&b));
            let text = prettyplease::unparse(&syn::File {
                shebang: None,
                attrs: Vec::new(),
                items,
            });
            (method, text)
        })
        .collect();
    let mut chunks: Vec<Vec<(Option<syn::ImplItem>, String)>> = Vec::new();
    let mut lines = 0;
    for unit in units {
        // A handle method is about twenty lines with its docs.
        let unit_lines = unit.1.lines().count() + 20;
        if chunks.is_empty() || (lines > 0 && lines + unit_lines > LINES_PER_FILE) {
            chunks.push(Vec::new());
            lines = 0;
        }
        lines += unit_lines;
        if let Some(chunk) = chunks.last_mut() {
            chunk.push(unit);
        }
    }
    let mut out = Vec::new();
    for (i, chunk) in chunks.into_iter().enumerate() {
        let module = format_ident!("builders_{}", i + 1);
        file.items.push(syn::parse_quote! {
            #[rustfmt::skip]
            mod #module;
        });
        file.items.push(syn::parse_quote! {
            pub use #module::*;
        });
        let doc = format!(
            " Operations on `{}`, part {} (split for size): handle methods and request builders.",
            resource.key,
            i + 1
        );
        let (chunk_methods, texts): (Vec<Option<syn::ImplItem>>, Vec<String>) =
            chunk.into_iter().unzip();
        let chunk_methods = chunk_methods.into_iter().flatten();
        let head = syn::File {
            shebang: None,
            attrs: vec![syn::parse_quote!(#![doc = #doc])],
            items: vec![
                syn::parse_quote!(
                    use super::#handle;
                ),
                syn::parse_quote!(
                    impl<'a> #handle<'a> {
                        #(#chunk_methods)*
                    }
                ),
            ],
        };
        let mut text = prettyplease::unparse(&head);
        for unit in texts {
            text.push_str(&unit);
        }
        out.push((format!("{folder}/{module}.rs"), text));
    }
    // Header structs no builder claimed (none expected) stay with the handle, and so do
    // methods no builder claimed.
    if let Some(syn::Item::Impl(handle_impl)) = file.items.get_mut(1) {
        handle_impl.items.extend(methods.into_values());
    }
    file.items.extend(headers.into_values());
    out.insert(0, (path.to_owned(), prettyplease::unparse(&file)));
    out
}

/// The files of a split `models`: each resource's own types (chunked), the shared ones
/// (chunked, each type gated by the features of its users), the unused ones.
fn plan_model_files<'a>(
    api: &'a Api,
    placement: &crate::model::placement::Placement,
    external: &BTreeMap<String, String>,
) -> Vec<ModelFile<'a>> {
    use crate::model::placement::UNUSED_FEATURE;
    let mut own: BTreeMap<&str, Vec<&crate::model::ir::TypeDef>> = BTreeMap::new();
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
    let mut files = Vec::new();
    let mut push_chunks = |base: String,
                           feature: Option<String>,
                           defs: Vec<&'a crate::model::ir::TypeDef>,
                           per_type: bool| {
        // Cut by weight (fields, variants), so files stay near `LINES_PER_FILE` lines.
        let mut chunks: Vec<Vec<&crate::model::ir::TypeDef>> = Vec::new();
        let mut filled = 0;
        for def in defs {
            // A gated type repeats its `cfg(any(feature = ...))` on each of its items.
            let gate = if per_type && !always_compiled(placement, &def.name) {
                placement.gate(&def.name).len()
            } else {
                0
            };
            let weight = crate::model::placement::type_weight(def) + gate;
            if chunks.is_empty() || (filled > 0 && filled + weight > WEIGHT_PER_FILE) {
                chunks.push(Vec::new());
                filled = 0;
            }
            filled += weight;
            if let Some(chunk) = chunks.last_mut() {
                chunk.push(def);
            }
        }
        for (i, chunk) in chunks.iter().enumerate() {
            let module = if i == 0 {
                base.clone()
            } else {
                format!("{base}_{}", i + 1)
            };
            let gated = |def: &&crate::model::ir::TypeDef| {
                placement.user_count.get(&def.name).copied().unwrap_or(0) <= UNGATED_ABOVE_USERS
            };
            let any_of = if per_type && chunk.iter().all(gated) {
                let features: std::collections::BTreeSet<&str> = chunk
                    .iter()
                    .flat_map(|def| placement.gate(&def.name))
                    .collect();
                features.into_iter().map(str::to_owned).collect()
            } else {
                Vec::new()
            };
            files.push(ModelFile {
                module,
                feature: feature.clone(),
                any_of,
                defs: chunk.to_vec(),
                per_type,
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

/// `models/mod.rs`: every file of the split `models`, re-exported flat, so a type's path
/// is `models::Name` wherever it is defined.
fn models_mod_file(api: &Api, files: &[ModelFile<'_>]) -> TokenStream {
    let doc = models::prelude(api);
    let mods = files.iter().map(|f| {
        let m = format_ident!("{}", f.module);
        let any_of = &f.any_of;
        let cfg = match f.feature.as_deref() {
            Some(feature) => Some(quote!(#[cfg(feature = #feature)])),
            None if !any_of.is_empty() => Some(quote!(#[cfg(any(#(feature = #any_of),*))])),
            None => None,
        };
        quote! {
            #cfg
            #[rustfmt::skip]
            mod #m;
            #cfg
            pub use #m::*;
        }
    });
    quote! {
        #doc
        #(#mods)*
    }
}

/// One file of a split `models`; its types see the others through `use super::*`.
fn render_model_file(
    api: &Api,
    file: &ModelFile<'_>,
    placement: &crate::model::placement::Placement,
    external: &BTreeMap<String, String>,
) -> Result<String> {
    let here: std::collections::BTreeSet<&str> =
        file.defs.iter().map(|d| d.name.as_str()).collect();
    let gated = |name: &str| {
        file.per_type && placement.user_count.get(name).copied().unwrap_or(0) <= UNGATED_ABOVE_USERS
    };
    // Types that name types of other files: `use super::*` is compiled with them only, so
    // it is never an unused import, whatever the features.
    let needing: Vec<&&crate::model::ir::TypeDef> = file
        .defs
        .iter()
        .filter(|def| {
            crate::model::placement::referenced_types(def)
                .into_iter()
                .any(|name| {
                    !here.contains(name)
                        && api.types.contains_key(name)
                        && !external.contains_key(name)
                })
        })
        .collect();
    let mut items: Vec<syn::Item> = Vec::new();
    if needing.iter().any(|def| !gated(&def.name)) {
        items.push(syn::parse_quote!(
            use super::*;
        ));
    } else if !needing.is_empty() {
        let features: std::collections::BTreeSet<&str> = needing
            .iter()
            .flat_map(|def| placement.gate(&def.name))
            .collect();
        let features = features.iter();
        items.push(syn::parse_quote!(
            #[cfg(any(#(feature = #features),*))]
            use super::*;
        ));
    }
    for def in &file.defs {
        let mut one = parse_file(models::chunk(std::iter::once(*def)))?;
        let gate = placement.gate(&def.name);
        if gated(&def.name) {
            for item in &mut one.items {
                if let Some(attrs) = item_attrs(item) {
                    let gate = gate.iter();
                    attrs.insert(0, syn::parse_quote!(#[cfg(any(#(feature = #gate),*))]));
                }
            }
        }
        items.extend(one.items);
    }
    let file = syn::File {
        shebang: None,
        attrs: Vec::new(),
        items,
    };
    Ok(prettyplease::unparse(&file))
}

/// Which feature compiles each resource's handle type and module.
struct Gates {
    /// Handle type name (`Videos`) -> feature.
    handles: BTreeMap<String, String>,
    /// Operations module name (`videos`) -> feature.
    modules: BTreeMap<String, String>,
}

impl Gates {
    fn new(api: &Api, placement: &crate::model::placement::Placement) -> Self {
        let mut handles = BTreeMap::new();
        let mut modules = BTreeMap::new();
        for r in &api.resources {
            if let Some(feature) = placement.features.get(&r.key) {
                handles.insert(r.type_name.clone(), feature.clone());
                modules.insert(unraw(&r.module).to_owned(), feature.clone());
            }
        }
        Gates { handles, modules }
    }

    /// Gates `mod x;` / `pub use x::*;` of resource modules and the accessor methods that
    /// return a resource handle (`Client::videos`, `LiveInputs::outputs`).
    fn apply(&self, file: &mut syn::File) {
        for item in &mut file.items {
            let feature = match item {
                syn::Item::Mod(m) => self.modules.get(unraw(&m.ident.to_string())),
                syn::Item::Use(u) => match &u.tree {
                    syn::UseTree::Path(p) => self.modules.get(unraw(&p.ident.to_string())),
                    _ => None,
                },
                syn::Item::Impl(block) => {
                    for member in &mut block.items {
                        if let syn::ImplItem::Fn(f) = member
                            && let syn::ReturnType::Type(_, ty) = &f.sig.output
                            && let syn::Type::Path(path) = ty.as_ref()
                            && let Some(last) = path.path.segments.last()
                            && let Some(feature) = self.handles.get(&last.ident.to_string())
                        {
                            f.attrs
                                .insert(0, syn::parse_quote!(#[cfg(feature = #feature)]));
                        }
                    }
                    None
                }
                _ => None,
            };
            if let Some(feature) = feature
                && let Some(attrs) = item_attrs(item)
            {
                attrs.insert(0, syn::parse_quote!(#[cfg(feature = #feature)]));
            }
        }
    }
}

/// The attributes of an item, for the kinds generated code has.
fn item_attrs(item: &mut syn::Item) -> Option<&mut Vec<syn::Attribute>> {
    Some(match item {
        syn::Item::Struct(i) => &mut i.attrs,
        syn::Item::Enum(i) => &mut i.attrs,
        syn::Item::Impl(i) => &mut i.attrs,
        syn::Item::Type(i) => &mut i.attrs,
        syn::Item::Const(i) => &mut i.attrs,
        syn::Item::Fn(i) => &mut i.attrs,
        syn::Item::Mod(i) => &mut i.attrs,
        syn::Item::Use(i) => &mut i.attrs,
        syn::Item::Static(i) => &mut i.attrs,
        syn::Item::Trait(i) => &mut i.attrs,
        syn::Item::Macro(i) => &mut i.attrs,
        _ => return None,
    })
}

fn parse_file(tokens: TokenStream) -> Result<syn::File> {
    syn::parse2(tokens).map_err(|e| {
        Error::new(
            &Pointer::root(),
            format!("internal error: generated code does not parse: {e}"),
        )
    })
}

/// The test harness's dispatch module (`call(client, operation_id, json_args)`), for a
/// crate that depends on the generated one (named `crate_path`, e.g. `cloudflare_stream`).
/// Its fixed helpers (argument decoding, `Outcome`, `DispatchError`) are the harness's own
/// code, reached as `super::dispatch_support`.
pub fn emit_dispatch(api: &Api, settings: &Settings, crate_path: &str) -> Result<String> {
    let krate = ident(crate_path);
    let models_path = format!("{crate_path}::models");
    let text = with_models_path(&models_path, || render_body(dispatch::file(api, &krate)))?;
    Ok(space_items(&format!("{}{text}", header(settings))))
}

/// Runs `work` over `jobs` on the available cores; results come back in job order.
fn run_parallel<'a, T: Sync, R: Send>(
    jobs: &'a [T],
    work: impl Fn(&'a T) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len())
        .max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<Option<Result<R>>> = (0..jobs.len()).map(|_| None).collect();
    let collected = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(job) = jobs.get(i) else { break };
                        done.push((i, work(job)));
                    }
                    done
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join()).collect::<Vec<_>>()
    });
    for batch in collected {
        let batch = batch.map_err(|_| {
            Error::new(
                &Pointer::root(),
                "internal error: a rendering thread panicked",
            )
        })?;
        for (i, result) in batch {
            results[i] = Some(result);
        }
    }
    results
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(Error::new(
                    &Pointer::root(),
                    "internal error: a rendering job was lost",
                ))
            })
        })
        .collect()
}

/// The `@generated` header every emitted file starts with.
pub fn header(settings: &Settings) -> String {
    format!(
        "// @generated by `{}` from {}.\n// Do not edit by hand: change the spec or the generator, then regenerate.\n\n",
        settings.command, settings.spec_label
    )
}

fn render_body(tokens: TokenStream) -> Result<String> {
    if tokens.is_empty() {
        return Ok(String::new());
    }
    let file: syn::File = syn::parse2(tokens).map_err(|e| {
        // Only a generator bug can get here: names and types were validated in `model`.
        Error::new(
            &Pointer::root(),
            format!("internal error: generated code does not parse: {e}"),
        )
    })?;
    Ok(prettyplease::unparse(&file))
}

/// `lib.rs` of a whole generated crate, or `mod.rs` of the generated module of a crate
/// whose `lib.rs` is hand-written.
fn root_file(api: &Api, settings: &Settings) -> TokenStream {
    let modules = quote! {
        // Generated modules are laid out by prettyplease; rustfmt would only churn them.
        #[rustfmt::skip]
        mod client;
        #[rustfmt::skip]
        pub mod models;
        #[rustfmt::skip]
        pub mod operations;

        pub use client::{Client, ClientBuilder};
    };
    match settings.layout {
        Layout::Crate => quote! {
            #![doc = include_str!("../README.md")]

            #modules
            pub use client_runtime::{ApiError, ApiResponse, Bytes, Envelope, Error, FilePart, JsonBodyOptionsBuilder, Nullable, RequestOptions, RequestOptionsBuilder, RetryPolicy, http};
        },
        Layout::Module(_) => {
            let doc = docs::inner_lines(&format!(
                "The client, models and request builders generated from the {} specification.",
                api.title
            ));
            quote! {
                #doc
                #modules
            }
        }
    }
}

/// Puts a blank line between consecutive items (prettyplease packs them tight), the way a
/// person would write them: after a line closing an item (`}` or `...;`) when the next line
/// at the same indentation starts another item. Fields, variants and statements are left
/// alone: they end in `,` or are not item starts.
fn space_items(text: &str) -> String {
    const ITEM_STARTS: &[&str] = &[
        "///",
        "#[",
        "pub ",
        "pub(crate) ",
        "impl",
        "fn ",
        "async fn ",
        "struct ",
        "enum ",
        "type ",
        "mod ",
        "const ",
        "trait ",
    ];
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    let mut previous: Option<&str> = None;
    for line in text.lines() {
        if let Some(prev) = previous {
            let indent = |l: &str| l.len() - l.trim_start().len();
            let prev_trimmed = prev.trim_start();
            let trimmed = line.trim_start();
            // A comment ending in `;` closes nothing.
            let closes = prev_trimmed == "}"
                || (prev_trimmed.ends_with(';')
                    && !prev_trimmed.starts_with("use ")
                    && !prev_trimmed.starts_with("//"));
            let after_module_docs = (prev_trimmed.starts_with("//!")
                && !trimmed.starts_with("//!"))
                || (prev_trimmed.starts_with("#![") && !trimmed.starts_with("#!["));
            let opens = ITEM_STARTS.iter().any(|s| trimmed.starts_with(s));
            if (closes && opens && indent(prev) == indent(line)) || after_module_docs {
                out.push('\n');
            }
        }
        out.push_str(line);
        out.push('\n');
        previous = Some(line);
    }
    out
}

/// An identifier, raw (`r#type`) when the model escaped a keyword.
pub(crate) fn ident(name: &str) -> syn::Ident {
    match name.strip_prefix("r#") {
        Some(raw) => format_ident!("r#{}", raw),
        None => format_ident!("{}", name),
    }
}

pub(crate) use crate::model::naming::unraw;

/// Tokens for a type. `qualified`: written outside `models`, so named types need the path.
pub(crate) fn ty_tokens(ty: &Ty, qualified: bool) -> TokenStream {
    match ty {
        Ty::String => quote!(String),
        Ty::Bool => quote!(bool),
        Ty::I32 => quote!(i32),
        Ty::I64 => quote!(i64),
        Ty::F32 => quote!(f32),
        Ty::F64 => quote!(f64),
        Ty::Json => quote!(serde_json::Value),
        Ty::Timestamp => quote!(client_runtime::Timestamp),
        Ty::Date => quote!(client_runtime::Date),
        Ty::Named(name) => {
            let krate = EXTERNAL.with(|external| external.borrow().get(name).cloned());
            let name = format_ident!("{}", name);
            if let Some(krate) = krate {
                let krate = format_ident!("{}", krate);
                quote!(#krate::models::#name)
            } else if qualified {
                let models = MODELS.with(|models| models.borrow().clone());
                quote!(#models::#name)
            } else {
                quote!(#name)
            }
        }
        Ty::Vec(inner) => {
            let inner = ty_tokens(inner, qualified);
            quote!(Vec<#inner>)
        }
        Ty::Map(inner) => {
            let inner = ty_tokens(inner, qualified);
            quote!(std::collections::BTreeMap<String, #inner>)
        }
        Ty::Envelope(inner) => {
            let inner = ty_tokens(inner, qualified);
            quote!(client_runtime::Envelope<#inner>)
        }
        Ty::Boxed(inner) => {
            let inner = ty_tokens(inner, qualified);
            quote!(Box<#inner>)
        }
    }
}
