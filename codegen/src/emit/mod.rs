//! Stage 3, emit: IR -> layout plan (`plan.rs`: files, feature gates, visibility) ->
//! `TokenStream` (`quote!`, each item with the attributes the plan gives it) -> `syn::File`
//! -> `prettyplease`. `syn` parses only to print: nothing rendered is parsed back to be
//! changed. Pure and deterministic: the same IR always gives the same bytes.

mod client;
mod dispatch;
mod docs;
mod models;
mod operations;
mod package;
mod plan;
pub mod server;
mod workspace;

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::error::{Error, Pointer, Result};
use crate::model::ir::{Api, Ty};
use crate::{Layout, Settings};

pub use docs::sanitize as sanitize_docs;
pub use package::{RuntimeDependency, package_files};
pub use workspace::{GROUP_BUDGET, WORKSPACE_ABOVE, emit_workspace, wants_workspace};

/// What the emitters of one rendering job need beyond the IR: how code outside `models`
/// names it, the types other crates define, and the plan's attributes of single items.
/// Made on the thread that renders (a `TokenStream` is not `Send`), once per job.
pub(crate) struct Emitter<'a> {
    /// The path of the generated `models` module as code outside it writes it
    /// (`crate::models`, `crate::generated::models`, `cloudflare_stream::models`): it
    /// depends on where the file goes, not on the IR.
    models: TokenStream,
    /// In a member crate of a workspace, the types other members define: name -> the
    /// crate (`layout_shared`) whose `models` has it. Code names them by that path, in
    /// and out of `models`, so no glob import is needed (one that imports nothing under
    /// some features would be an unused import).
    external: &'a BTreeMap<String, String>,
    /// Gates and visibility of single items.
    pub(crate) items: &'a plan::Items,
}

/// No types of other crates.
static NO_EXTERNAL: BTreeMap<String, String> = BTreeMap::new();

impl<'a> Emitter<'a> {
    /// An emitter whose qualified type names start with `models` (`crate::generated::models`).
    pub(crate) fn new(
        models: &str,
        external: &'a BTreeMap<String, String>,
        items: &'a plan::Items,
    ) -> Self {
        let path = models
            .split("::")
            .map(|segment| format_ident!("{}", segment));
        Emitter {
            models: quote!(#(#path)::*),
            external,
            items,
        }
    }

    /// An emitter for output of one crate with no features (dispatch, server bindings).
    pub(crate) fn plain(models: &str) -> Emitter<'static> {
        Emitter::new(models, &NO_EXTERNAL, &plan::NO_ITEMS)
    }

    /// Tokens for a type written outside `models`: named types with their path.
    pub(crate) fn ty(&self, ty: &Ty) -> TokenStream {
        self.ty_tokens(ty, true)
    }

    /// Tokens for a type written inside `models`: its own types by name.
    pub(crate) fn model_ty(&self, ty: &Ty) -> TokenStream {
        self.ty_tokens(ty, false)
    }

    fn ty_tokens(&self, ty: &Ty, qualified: bool) -> TokenStream {
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
                let krate = self.external.get(name);
                let name = format_ident!("{}", name);
                if let Some(krate) = krate {
                    let krate = format_ident!("{}", krate);
                    quote!(#krate::models::#name)
                } else if qualified {
                    let models = &self.models;
                    quote!(#models::#name)
                } else {
                    quote!(#name)
                }
            }
            Ty::Vec(inner) => {
                let inner = self.ty_tokens(inner, qualified);
                quote!(Vec<#inner>)
            }
            Ty::Map(inner) => {
                let inner = self.ty_tokens(inner, qualified);
                quote!(std::collections::BTreeMap<String, #inner>)
            }
            Ty::Envelope(inner) => {
                let inner = self.ty_tokens(inner, qualified);
                quote!(client_runtime::Envelope<#inner>)
            }
            Ty::Boxed(inner) => {
                let inner = self.ty_tokens(inner, qualified);
                quote!(Box<#inner>)
            }
        }
    }
}

/// Types per rendering chunk of a single `models.rs`: small enough to spread over cores,
/// large enough that per-chunk overhead does not matter. (Not a layout decision: the
/// chunks' texts are joined into one file.)
const TYPES_PER_CHUNK: usize = 200;

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
    ModelFile(&'a plan::ModelFile<'a>),
    OperationsMod,
    /// A resource's file, and the operations of each of its files of builders (none: one
    /// file).
    Resource(&'a crate::model::ir::Resource, &'a [Vec<usize>]),
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
        split: features && api.types.len() > plan::SPLIT_ABOVE_TYPES,
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
    pub external: BTreeMap<String, String>,
}

/// What is particular to a member crate of a workspace layout.
pub(crate) struct MemberTarget {
    /// The crate docs of its `lib.rs`.
    pub docs: String,
}

/// The files of one [`Target`], as its [`plan::Plan`] lays them out.
pub(crate) fn emit_target(
    api: &Api,
    settings: &Settings,
    target: &Target<'_>,
) -> Result<BTreeMap<String, String>> {
    let dir = &target.dir;
    let plan = plan::plan(api, target);

    let mut jobs = vec![Job::Root];
    if target.member.is_none() {
        jobs.push(Job::Client);
    }
    match &plan.model_files {
        Some(files) => {
            jobs.push(Job::ModelsMod);
            jobs.extend(files.iter().map(Job::ModelFile));
        }
        None => {
            let types: Vec<_> = api.types.values().collect();
            jobs.push(Job::ModelsPrelude);
            jobs.extend(
                types
                    .chunks(TYPES_PER_CHUNK)
                    .map(|c| Job::Models(c.to_vec())),
            );
        }
    }
    // A member crate of types only has no operations module.
    if target.member.is_none() || !api.resources.is_empty() {
        jobs.push(Job::OperationsMod);
        jobs.extend(
            api.resources
                .iter()
                .zip(&plan.resource_parts)
                .map(|(r, parts)| Job::Resource(r, parts)),
        );
    }

    let head = header(settings);
    let render = |job: &Job<'_>| -> Result<Vec<(String, String)>> {
        let cx = Emitter::new(&target.models_path, &target.external, &plan.items);
        let (path, tokens) = match job {
            Job::Root => {
                let path = match settings.layout {
                    Layout::Crate => format!("{dir}/lib.rs"),
                    Layout::Module(_) => format!("{dir}/mod.rs"),
                };
                let tokens = match &target.member {
                    Some(member) => member_root_file(member, !api.resources.is_empty()),
                    None => root_file(api, settings),
                };
                (path, tokens)
            }
            Job::Client => (format!("{dir}/client.rs"), client::file(&cx, api)),
            // Chunks of the one `models.rs`: no path of their own.
            Job::ModelsPrelude => (String::new(), models::prelude(api)),
            Job::Models(defs) => (String::new(), models::chunk(&cx, defs.iter().copied())),
            Job::ModelsMod => (
                format!("{dir}/models/mod.rs"),
                models_mod_file(api, plan.model_files.as_deref().unwrap_or_default()),
            ),
            Job::ModelFile(file) => (
                format!("{dir}/models/{}.rs", file.module),
                models::file(&cx, file),
            ),
            Job::OperationsMod => (
                format!("{dir}/operations/mod.rs"),
                operations::mod_file(&cx, api),
            ),
            Job::Resource(resource, parts) => {
                let path = format!("{dir}/operations/{}.rs", unraw(&resource.module));
                if parts.is_empty() {
                    (path, operations::resource_file(&cx, api, resource))
                } else {
                    // Split for size: the handle type in `path`, the operations in files
                    // of `operations/<resource>/`.
                    let folder = path.trim_end_matches(".rs").to_owned();
                    let (handle, builders) = operations::resource_files(&cx, api, resource, parts);
                    let mut out = vec![(path, render_body(handle)?)];
                    for (i, tokens) in builders.into_iter().enumerate() {
                        out.push((
                            format!("{folder}/builders_{}.rs", i + 1),
                            render_body(tokens)?,
                        ));
                    }
                    return Ok(out);
                }
            }
        };
        Ok(vec![(path, render_body(tokens)?)])
    };
    let rendered = if target.parallel {
        run_parallel(&jobs, render)?
    } else {
        jobs.iter().map(render).collect::<Result<Vec<_>>>()?
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
    if plan.model_files.is_none() {
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

/// `models/mod.rs`: every file of the split `models`, re-exported flat, so a type's path
/// is `models::Name` wherever it is defined.
fn models_mod_file(api: &Api, files: &[plan::ModelFile<'_>]) -> TokenStream {
    let doc = models::prelude(api);
    let mods = files.iter().map(|f| {
        let m = format_ident!("{}", f.module);
        let cfg = match f.feature.as_deref() {
            Some(feature) => Some(quote!(#[cfg(feature = #feature)])),
            None if !f.any_of.is_empty() => Some(plan::any_of(&f.any_of)),
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

/// The test harness's dispatch module (`call(client, operation_id, json_args)`), for a
/// crate that depends on the generated one (named `crate_path`, e.g. `cloudflare_stream`).
/// Its fixed helpers (argument decoding, `Outcome`, `DispatchError`) are the harness's own
/// code, reached as `super::dispatch_support`.
pub fn emit_dispatch(api: &Api, settings: &Settings, crate_path: &str) -> Result<String> {
    let krate = ident(crate_path);
    let cx = Emitter::plain(&format!("{crate_path}::models"));
    let text = render_body(dispatch::file(&cx, api, &krate))?;
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
