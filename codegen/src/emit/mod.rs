//! Stage 3, emit: IR -> `TokenStream` (`quote!`) -> `syn::File` -> `prettyplease`.
//! Pure and deterministic: the same IR always gives the same bytes.

mod client;
mod dispatch;
mod docs;
mod models;
mod operations;
mod package;
pub mod server;

use std::cell::RefCell;
use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::error::{Error, Pointer, Result};
use crate::model::ir::{Api, Ty};
use crate::{Layout, Settings};

pub use docs::sanitize as sanitize_docs;
pub use package::{RuntimeDependency, package_files};

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

/// Runs `render` with `models` (`crate::generated::models`) as the path that qualified
/// type names start with.
fn with_models_path<T>(models: &str, render: impl FnOnce() -> T) -> T {
    let path = models
        .split("::")
        .map(|segment| format_ident!("{}", segment));
    MODELS.with(|current| *current.borrow_mut() = quote!(#(#path)::*));
    render()
}

/// One unit of rendering work; `TokenStream` is not `Send`, so each job builds its own
/// tokens on the thread that renders them.
enum Job<'a> {
    Root,
    Client,
    ModelsPrelude,
    Models(Vec<&'a crate::model::ir::TypeDef>),
    OperationsMod,
    Resource(&'a crate::model::ir::Resource),
}

/// Emits every generated source file, keyed by its path relative to the crate root: under
/// `src/` for [`Layout::Crate`] (with `src/lib.rs`), under `src/<module>/` for
/// [`Layout::Module`] (with its `mod.rs`).
///
/// Files (and chunks of the large `models.rs`) are rendered on all available cores; the
/// output is assembled in a fixed order, so it is byte-identical whatever the core count.
pub fn emit(api: &Api, settings: &Settings) -> Result<BTreeMap<String, String>> {
    let (dir, models_path) = match &settings.layout {
        Layout::Crate => ("src".to_owned(), "crate::models".to_owned()),
        Layout::Module(module) => (format!("src/{module}"), format!("crate::{module}::models")),
    };
    let types: Vec<_> = api.types.values().collect();
    let mut jobs = vec![Job::Root, Job::Client, Job::ModelsPrelude];
    jobs.extend(
        types
            .chunks(TYPES_PER_CHUNK)
            .map(|c| Job::Models(c.to_vec())),
    );
    jobs.push(Job::OperationsMod);
    jobs.extend(api.resources.iter().map(Job::Resource));

    let tokens_of = |job: &Job<'_>| match job {
        Job::Root => root_file(api, settings),
        Job::Client => client::file(api),
        Job::ModelsPrelude => models::prelude(api),
        Job::Models(defs) => models::chunk(defs.iter().copied()),
        Job::OperationsMod => operations::mod_file(api),
        Job::Resource(resource) => operations::resource_file(api, resource),
    };
    let rendered = run_parallel(&jobs, |job| {
        with_models_path(&models_path, || render_body(tokens_of(job)))
    })?;

    let mut files = BTreeMap::new();
    let mut models = header(settings);
    for (job, text) in jobs.iter().zip(rendered) {
        let path = match job {
            Job::Root => match settings.layout {
                Layout::Crate => format!("{dir}/lib.rs"),
                Layout::Module(_) => format!("{dir}/mod.rs"),
            },
            Job::Client => format!("{dir}/client.rs"),
            Job::ModelsPrelude | Job::Models(_) => {
                models.push_str(&text);
                continue;
            }
            Job::OperationsMod => format!("{dir}/operations/mod.rs"),
            Job::Resource(resource) => format!("{dir}/operations/{}.rs", resource.module),
        };
        files.insert(path, space_items(&format!("{}{text}", header(settings))));
    }
    files.insert(format!("{dir}/models.rs"), space_items(&models));
    Ok(files)
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
fn run_parallel<'a, T: Sync>(
    jobs: &'a [T],
    work: impl Fn(&'a T) -> Result<String> + Sync,
) -> Result<Vec<String>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len())
        .max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<Option<Result<String>>> = (0..jobs.len()).map(|_| None).collect();
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
            pub use client_runtime::{ApiError, ApiResponse, Envelope, Error, FilePart, Nullable, RequestOptions, RetryPolicy, http};
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
            let name = format_ident!("{}", name);
            if qualified {
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
