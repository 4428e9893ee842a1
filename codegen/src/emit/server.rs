//! The server target: axum bindings from the same IR the client is emitted from.
//!
//! Three files under [`ServerSettings::dir`]:
//! - `models.rs`: every schema as a Rust type, as for the client but with every struct
//!   constructible (a server builds what the client only reads, so nothing is
//!   `#[non_exhaustive]`);
//! - `server.rs`: per operation a request struct (typed path, query, header and body
//!   arguments), a response enum (the success shape or typed headers) and a decoder over
//!   its parameter table (`OperationInfo::params`); one trait per resource
//!   (`VideosApi`) with an async method per operation returning `Result<Response,
//!   Failure>`, combined into the `Api` trait with the router's hooks; the router, whose
//!   every route runs the runtime's one handler (`support::serve`: authenticate, decode,
//!   validate against the spec's schemas, embedded as JSON Schema, then call the trait);
//! - `mod.rs`: declares the two.
//!
//! A change of the spec changes the trait, so an implementation that no longer matches
//! fails to compile.
//!
//! Only what the spec decides is emitted. What every server shares is in the runtime's
//! `server` feature: the types an implementation names (`OperationInfo`, `Problem`,
//! `ProblemLocation`, `FilePart`, `RequestContext<C>` and `Failure<E>`, in
//! `client_runtime::server`) and the handler with the helpers the decoders call (reading,
//! validating, answering, in `client_runtime::__private::server`, imported as `support`).
//! `server.rs` re-exports the former and aliases the generic ones over its `Credentials`
//! and its error body.

mod schema;

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use super::docs::{doc_attrs, inner_lines, lines};
use super::{Emitter, ident, render_body, space_items};
use crate::Files;
use crate::error::{Error, Pointer, Result};
use crate::model::ir::*;
use crate::model::naming;

/// What the server reads of each operation, from the IR and the schemas it points at.
#[derive(Debug, Clone, Default)]
struct OperationFacts {
    /// The success status code.
    status: u16,
    /// The success response's media type, when it has a body.
    media_type: Option<String>,
    /// The success response's JSON schema, translated, when its body is JSON.
    response_schema: Option<Value>,
    /// Security requirements: any one set of scheme names suffices; empty: no auth.
    security: Vec<Vec<String>>,
    /// The JSON body's schema, translated.
    body_schema: Option<Value>,
    /// Parameter schemas, translated: wire name, location (`path`, `query`, `header`),
    /// schema.
    param_schemas: Vec<(String, &'static str, Value)>,
    /// The error responses' schema (`#/components/schemas/X`), when all agree.
    error_ref: Option<String>,
}

impl OperationFacts {
    fn of(op: &Operation, doc: &Value) -> Self {
        let json_schema = |media: Option<&Media>| {
            media
                .filter(|m| m.kind == MediaKind::Json)
                .map(|m| schema::schema_at(doc, m.schema.as_ref()))
        };
        OperationFacts {
            status: op.success.status,
            media_type: op.success.media.as_ref().map(|m| m.media_type.clone()),
            response_schema: op
                .success
                .media
                .as_ref()
                .filter(|m| m.kind == MediaKind::Json && m.schema.is_some())
                .map(|m| schema::schema_at(doc, m.schema.as_ref())),
            security: op.requirement.clone(),
            body_schema: json_schema(op.body_media()),
            param_schemas: op
                .params
                .iter()
                .map(|p| {
                    let location = match p.location {
                        ParamLocation::Path => "path",
                        ParamLocation::Query => "query",
                        ParamLocation::Header => "header",
                    };
                    (
                        p.wire.clone(),
                        location,
                        schema::schema_at(doc, p.schema.as_ref()),
                    )
                })
                .collect(),
            error_ref: op.error_schema.as_ref().map(ToString::to_string),
        }
    }
}

/// A security scheme the server extracts credentials for.
#[derive(Debug, Clone)]
struct SecurityScheme {
    /// The scheme's name in the document.
    name: String,
    /// Where its credential is.
    kind: SchemeKind,
    /// Its description.
    description: Option<String>,
}

/// How a credential is carried.
#[derive(Debug, Clone)]
enum SchemeKind {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// `Authorization: Basic <base64>` (kept encoded).
    Basic,
    /// A header.
    Header(String),
    /// A query parameter.
    Query(String),
}

/// The API's security schemes the server can read (not cookies), in the IR's order.
fn security_schemes(api: &Api, doc: &Value) -> Vec<SecurityScheme> {
    use crate::load::{ApiKeyLocation, SecurityScheme as Kind};
    api.security_schemes
        .iter()
        .filter_map(|s| {
            let kind = match &s.kind {
                Kind::Bearer => SchemeKind::Bearer,
                Kind::Basic => SchemeKind::Basic,
                Kind::ApiKey {
                    location: ApiKeyLocation::Header,
                    name,
                } => SchemeKind::Header(name.clone()),
                Kind::ApiKey {
                    location: ApiKeyLocation::Query,
                    name,
                } => SchemeKind::Query(name.clone()),
                Kind::ApiKey {
                    location: ApiKeyLocation::Cookie,
                    ..
                } => return None,
            };
            Some(SecurityScheme {
                name: s.name.clone(),
                kind,
                description: schema::description_at(doc, s.pointer.as_ref()),
            })
        })
        .collect()
}

/// What the server target needs besides the spec.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// How the header of each file names the spec (`spec/stream.openapi.json`).
    pub spec_label: String,
    /// How the header names the command that regenerates (`cargo xtask generate`).
    pub command: String,
    /// The directory of the files, relative to the crate root (`src/generated`); the Rust
    /// module path of that directory is `crate::` followed by it without `src/`.
    pub dir: String,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            spec_label: "an OpenAPI document".to_owned(),
            command: "cargo xtask generate".to_owned(),
            dir: "src/generated".to_owned(),
        }
    }
}

/// Emits the server bindings: `<dir>/mod.rs`, `<dir>/models.rs` and `<dir>/server.rs`.
///
/// `doc` is the raw document the IR was built from: the server reads from it what the
/// client does not need (success status codes and media types, error schemas, security
/// schemes, and the schemas requests are validated against).
pub fn emit_server(api: &Api, doc: &Value, settings: &ServerSettings) -> Result<Files> {
    let header = format!(
        "// @generated by `{}` from {}.\n// Do not edit by hand: change the spec or the generator, then regenerate.\n\n",
        settings.command, settings.spec_label
    );
    let dir = settings.dir.trim_end_matches('/');

    // Models: the client's per-type code with every type constructible.
    let mut open = api.clone();
    for def in open.types.values_mut() {
        def.output_only = false;
    }
    // From `server.rs`, the models are `super::models::X` (inside `models`, just `X`).
    let cx = Emitter::plain("super::models");
    let mut models = header.clone();
    models.push_str(&render_body(super::models::prelude(&open))?);
    let defs: Vec<&TypeDef> = open.types.values().collect();
    models.push_str(&render_body(super::models::chunk(&cx, defs.into_iter()))?);

    let server = render_body(server_file(&cx, api, doc)?)?;
    let server = format!("{header}{server}");
    let module = format!(
        "{header}{}",
        render_body(quote! {
            #![doc = " Server bindings generated from the API specification: the models and the"]
            #![doc = " `Api` trait with the router that serves it."]

            // Generated modules are laid out by prettyplease; rustfmt would only churn them.
            #[rustfmt::skip]
            pub mod models;
            #[rustfmt::skip]
            pub mod server;
        })?
    );

    let mut files = Files::new();
    files.insert(format!("{dir}/mod.rs"), space_items(&module));
    files.insert(format!("{dir}/models.rs"), space_items(&models));
    files.insert(format!("{dir}/server.rs"), space_items(&server));
    Ok(files)
}

/// A type as written in `server.rs`, where models are `super::models::X`: the client's
/// type tokens, with the emitter of that models path (see [`emit_server`]).
fn server_ty(cx: &Emitter<'_>, ty: &Ty) -> TokenStream {
    cx.ty(ty)
}

/// Everything about one operation the file needs, gathered once.
struct Op<'a> {
    /// How types are written (`super::models::X`).
    cx: &'a Emitter<'a>,
    op: &'a Operation,
    facts: OperationFacts,
    /// `VideosList`.
    pascal: String,
    /// `videos_list`.
    snake: String,
}

fn server_file(cx: &Emitter<'_>, api: &Api, doc: &Value) -> Result<TokenStream> {
    let schemes = security_schemes(api, doc);
    let ops: Vec<Op<'_>> = api
        .operations
        .iter()
        .map(|op| Op {
            cx,
            op,
            facts: OperationFacts::of(op, doc),
            pascal: op.builder.clone(),
            snake: naming::snake(&op.builder),
        })
        .collect();

    // The error body: the one schema every error response uses, or any JSON.
    let mut refs = ops.iter().filter_map(|o| o.facts.error_ref.as_deref());
    let error_ty = match refs.next() {
        Some(first) if refs.all(|r| r == first) => api
            .types
            .values()
            .find(|t| t.origin == first)
            .map(|t| server_ty(cx, &Ty::Named(t.name.clone())))
            .unwrap_or_else(|| quote!(serde_json::Value)),
        _ => quote!(serde_json::Value),
    };

    let defs = serde_json::to_string(&schema::defs(doc))
        .map_err(|e| Error::new(&Pointer::root(), format!("internal error: {e}")))?;
    let count = ops.len();
    let module_doc = inner_lines(&format!(
        "Server bindings of the {}: the [`Api`] trait, one method per operation, and the \
         [`router`] that authenticates, decodes and validates requests into it.",
        api.title
    ));
    let infos = ops.iter().map(|o| operation_info(o, &schemes));
    let info_refs = ops.iter().map(|o| info_ident(o));
    let credentials = credentials(&schemes);
    let requests = ops.iter().map(request_struct);
    let responses = ops.iter().map(response_enum);
    let traits = resource_traits(api, &ops);
    let trait_names: Vec<syn::Ident> = api
        .resources
        .iter()
        .filter(|r| !r.operations.is_empty())
        .map(|r| format_ident!("{}", r.server_trait))
        .collect();
    let decoders = ops.iter().map(decoder);
    let forms = ops.iter().map(form_struct);
    let routes = routes(&ops);

    Ok(quote! {
        #module_doc

        use std::sync::Arc;

        use axum::http::{HeaderMap, Uri};
        use axum::response::{IntoResponse, Response};

        use client_runtime::server::ParamInfo;
        // The helpers every handler and decoder calls: fixed code, in the runtime.
        use client_runtime::__private::server as support;

        pub use client_runtime::server::{FilePart, OperationInfo, Problem, ProblemLocation};

        #(#infos)*

        /// Every operation, in specification order.
        pub static OPERATIONS: [&OperationInfo; #count] = [#(&#info_refs),*];

        /// Every component schema, translated to JSON Schema 2020-12 (`$defs` of the
        /// schemas in [`OperationInfo`]).
        pub const SCHEMA_DEFS: &str = #defs;

        /// [`SCHEMA_DEFS`], parsed once for the validators of every operation.
        static SCHEMA_DEFS_CACHE: support::SchemaDefs = support::SchemaDefs::new(SCHEMA_DEFS);

        #credentials

        /// What the router knows about a request besides its typed arguments.
        pub type RequestContext = client_runtime::server::RequestContext<Credentials>;

        /// An error answer: a status, extra headers and the error body.
        pub type Failure = client_runtime::server::Failure<#error_ty>;

        #(#requests)*
        #(#forms)*
        #(#responses)*

        #(#traits)*

        /// The API as a server implements it: every resource's trait, plus the hooks the
        /// router calls before them. A change of the specification changes these traits.
        pub trait Api: #(#trait_names +)* Send + Sync + 'static {
            /// Checks the credentials of a request to an operation with security
            /// requirements; the `Err` is sent as the answer.
            fn authorize(&self, ctx: &RequestContext) -> impl Future<Output = Result<(), Failure>> + Send;

            /// The answer to a request that does not match the specification.
            fn reject(&self, ctx: &RequestContext, problems: Vec<Problem>) -> Failure;

            /// The largest request body read, in bytes (32 MiB unless overridden).
            fn max_body_bytes(&self) -> usize {
                32 * 1024 * 1024
            }
        }

        /// The router's state: the implementation, with its hooks as the runtime's handler
        /// calls them.
        struct Served<A>(Arc<A>);

        // Not derived: that would require `A: Clone`.
        impl<A> Clone for Served<A> {
            fn clone(&self) -> Self {
                Self(self.0.clone())
            }
        }

        impl<A: Api> support::Hooks for Served<A> {
            type Credentials = Credentials;
            type Error = #error_ty;

            fn credentials(headers: &HeaderMap, uri: &Uri) -> Credentials {
                Credentials::from_request(headers, uri)
            }

            async fn authorize(&self, ctx: &RequestContext) -> Result<(), Failure> {
                self.0.authorize(ctx).await
            }

            fn reject(&self, ctx: &RequestContext, problems: Vec<Problem>) -> Failure {
                self.0.reject(ctx, problems)
            }

            fn max_body_bytes(&self) -> usize {
                self.0.max_body_bytes()
            }
        }

        /// The router serving `api`: one route per path template of the specification.
        pub fn router<A: Api>(api: Arc<A>) -> axum::Router {
            axum::Router::new()
                #(#routes)*
                .with_state(Served(api))
        }

        #(#decoders)*
    })
}

fn info_ident(o: &Op<'_>) -> syn::Ident {
    format_ident!("{}", naming::snake(&o.pascal).to_ascii_uppercase())
}

fn operation_info(o: &Op<'_>, schemes: &[SecurityScheme]) -> TokenStream {
    let name = info_ident(o);
    let id = &o.op.id;
    let method = o.op.method.as_str();
    let path = &o.op.path;
    let known: Vec<&str> = schemes.iter().map(|s| s.name.as_str()).collect();
    let sets = o.facts.security.iter().map(|set| {
        let names = set.iter().filter(|n| known.contains(&n.as_str()));
        quote!(&[#(#names),*])
    });
    let body = match (&o.op.body, &o.facts.body_schema) {
        (Some(Body::Json { .. }), Some(schema)) => {
            let text = serde_json::to_string(schema).unwrap_or_else(|_| "{}".to_owned());
            quote!(Some(#text))
        }
        _ => quote!(None),
    };
    let mut groups: BTreeMap<&str, serde_json::Map<String, Value>> = BTreeMap::new();
    for (wire, location, schema) in &o.facts.param_schemas {
        groups
            .entry(*location)
            .or_default()
            .insert(wire.clone(), schema.clone());
    }
    let properties: serde_json::Map<String, Value> = groups
        .into_iter()
        .map(|(location, props)| {
            (
                location.to_owned(),
                serde_json::json!({ "type": "object", "properties": props }),
            )
        })
        .collect();
    let params = serde_json::json!({ "type": "object", "properties": properties }).to_string();
    let response = match &o.facts.response_schema {
        Some(schema) => {
            let text = serde_json::to_string(schema).unwrap_or_else(|_| "{}".to_owned());
            quote!(Some(#text))
        }
        None => quote!(None),
    };
    let table = o.op.params.iter().map(|p| {
        let wire = &p.wire;
        let required = p.required;
        match p.location {
            ParamLocation::Path => quote!(ParamInfo::path(#wire)),
            ParamLocation::Query => quote!(ParamInfo::query(#wire, #required)),
            ParamLocation::Header => quote!(ParamInfo::header(#wire, #required)),
        }
    });
    let doc = lines(&format!("`{}`: `{method} {path}`.", o.op.id));
    quote! {
        #doc
        pub static #name: OperationInfo = OperationInfo {
            id: #id,
            method: #method,
            path: #path,
            security: &[#(#sets),*],
            params: &[#(#table),*],
            body_schema: #body,
            params_schema: #params,
            response_schema: #response,
            validators: support::Validators::new(&SCHEMA_DEFS_CACHE),
        };
    }
}

fn credentials(schemes: &[SecurityScheme]) -> TokenStream {
    let fields = schemes.iter().map(|s| {
        let field = ident(&naming::snake_ident(&s.name));
        let where_ = match &s.kind {
            SchemeKind::Bearer => "`Authorization: Bearer <value>`".to_owned(),
            SchemeKind::Basic => "`Authorization: Basic <value>` (still encoded)".to_owned(),
            SchemeKind::Header(h) => format!("the `{h}` header"),
            SchemeKind::Query(q) => format!("the `{q}` query parameter"),
        };
        let text = format!(
            "Security scheme `{}`, from {where_}.{}",
            s.name,
            s.description
                .as_deref()
                .map(|d| format!("\n\n{}", super::sanitize_docs(d)))
                .unwrap_or_default()
        );
        let doc = lines(&text);
        quote!(#doc pub #field: Option<String>,)
    });
    let reads = schemes.iter().map(|s| {
        let field = ident(&naming::snake_ident(&s.name));
        let read = match &s.kind {
            SchemeKind::Bearer => quote!(support::authorization(headers, "bearer")),
            SchemeKind::Basic => quote!(support::authorization(headers, "basic")),
            SchemeKind::Header(h) => quote!(support::header(headers, #h)),
            SchemeKind::Query(q) => quote!(support::query_value(uri, #q)),
        };
        quote!(#field: #read,)
    });
    quote! {
        /// The credentials a request carried, one field per security scheme of the
        /// specification (absent when not sent).
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub struct Credentials {
            #(#fields)*
        }

        impl Credentials {
            /// Reads every scheme's credential from a request.
            pub fn from_request(headers: &HeaderMap, uri: &Uri) -> Self {
                let _ = (headers, uri);
                Self { #(#reads)* }
            }
        }
    }
}

/// Whether a parameter is a field of the request struct (constants are only checked).
fn is_field(p: &Param) -> bool {
    p.constant.is_none()
}

fn request_struct(o: &Op<'_>) -> TokenStream {
    let name = format_ident!("{}Request", o.pascal);
    let doc = lines(&format!(
        "The arguments of `{}` (`{} {}`), decoded and validated.",
        o.op.id,
        o.op.method.as_str(),
        o.op.path
    ));
    let params = o.op.params.iter().filter(|p| is_field(p)).map(|p| {
        let field = ident(&p.rust);
        let ty = server_ty(o.cx, &p.ty);
        let ty = if p.required || p.location == ParamLocation::Path {
            ty
        } else {
            quote!(Option<#ty>)
        };
        let where_ = match p.location {
            ParamLocation::Path => "path parameter",
            ParamLocation::Query => "query parameter",
            ParamLocation::Header => "header",
        };
        let docs = doc_attrs(&p.docs, &format!("The `{}` {where_}.", p.wire));
        quote!(#docs pub #field: #ty,)
    });
    let body = body_field(o);
    quote! {
        #doc
        #[derive(Clone, Debug, PartialEq)]
        pub struct #name {
            #(#params)*
            #body
        }
    }
}

fn body_field(o: &Op<'_>) -> Option<TokenStream> {
    let (ty, required, doc) = match o.op.body.as_ref()? {
        Body::Json {
            ty, required, docs, ..
        } => (
            server_ty(o.cx, ty),
            *required,
            doc_attrs(docs, "The JSON request body."),
        ),
        Body::Multipart { .. } => {
            let form = format_ident!("{}Form", o.pascal);
            (quote!(#form), true, lines("The multipart form."))
        }
        Body::Raw { text, required, .. } => (
            if *text {
                quote!(String)
            } else {
                quote!(bytes::Bytes)
            },
            *required,
            lines("The request body."),
        ),
    };
    let ty = if required { ty } else { quote!(Option<#ty>) };
    Some(quote!(#doc pub body: #ty,))
}

fn form_struct(o: &Op<'_>) -> Option<TokenStream> {
    let Some(Body::Multipart { parts }) = &o.op.body else {
        return None;
    };
    let name = format_ident!("{}Form", o.pascal);
    let doc = lines(&format!("The multipart form of `{}`.", o.op.id));
    let fields = parts.iter().map(|p| {
        let field = ident(&p.rust);
        let ty = match p.kind {
            PartKind::File => quote!(FilePart),
            _ => server_ty(o.cx, &p.ty),
        };
        let ty = if p.required { ty } else { quote!(Option<#ty>) };
        let docs = doc_attrs(&p.docs, &format!("The `{}` part.", p.wire));
        quote!(#docs pub #field: #ty,)
    });
    Some(quote! {
        #doc
        #[derive(Clone, Debug, PartialEq)]
        pub struct #name {
            #(#fields)*
        }
    })
}

/// The success variant's name: the status's reason phrase (`Ok`, `Created`).
fn success_variant(status: u16) -> syn::Ident {
    let name = match status {
        200 => "Ok",
        201 => "Created",
        202 => "Accepted",
        203 => "NonAuthoritative",
        204 => "NoContent",
        205 => "ResetContent",
        206 => "PartialContent",
        _ => "Success",
    };
    format_ident!("{}", name)
}

fn response_enum(o: &Op<'_>) -> TokenStream {
    let name = format_ident!("{}Response", o.pascal);
    let variant = success_variant(o.facts.status);
    let status = o.facts.status;
    let media = o.facts.media_type.clone().unwrap_or_default();
    let mut from_body = None;
    let (def, arm) = match &o.op.response {
        ResponseKind::Empty => (
            quote!(#variant,),
            quote!(Self::#variant => support::empty_response(#status),),
        ),
        ResponseKind::Json { ty, .. } => {
            let ty = server_ty(o.cx, ty);
            // Boxed: success bodies are large beside a failure, and answers move around.
            from_body = Some(quote! {
                impl From<#ty> for #name {
                    fn from(body: #ty) -> Self {
                        Self::#variant(Box::new(body))
                    }
                }
            });
            (
                quote!(#variant(Box<#ty>),),
                quote!(Self::#variant(body) => support::json_response(support::status(#status), &*body),),
            )
        }
        ResponseKind::Text => (
            quote!(#variant(String),),
            quote!(Self::#variant(body) => support::body_response(#status, #media, body.into()),),
        ),
        ResponseKind::Bytes => (
            quote!(#variant(bytes::Bytes),),
            quote!(Self::#variant(body) => support::body_response(#status, #media, body.into()),),
        ),
        ResponseKind::Headers { headers, .. } => {
            let fields = headers.iter().map(|h| {
                let field = ident(&h.rust);
                let docs = doc_attrs(&h.docs, &format!("The `{}` header.", h.wire));
                if h.required {
                    quote!(#docs #field: String,)
                } else {
                    quote!(#docs #field: Option<String>,)
                }
            });
            let names: Vec<_> = headers.iter().map(|h| ident(&h.rust)).collect();
            let sets = headers.iter().map(|h| {
                let field = ident(&h.rust);
                let wire = &h.wire;
                if h.required {
                    quote!(support::set_header(&mut response, #wire, Some(#field.as_str()));)
                } else {
                    quote!(support::set_header(&mut response, #wire, #field.as_deref());)
                }
            });
            (
                quote!(#variant { #(#fields)* },),
                quote!(Self::#variant { #(#names),* } => {
                    let mut response = support::empty_response(#status);
                    #(#sets)*
                    response
                }),
            )
        }
    };
    let doc = lines(&format!(
        "The success answer of `{}` (its failures are the method's `Err`).",
        o.op.id
    ));
    let variant_doc = lines(&format!("`{status}`: success."));
    quote! {
        #doc
        #[derive(Clone, Debug)]
        pub enum #name {
            #variant_doc
            #def
        }

        #from_body

        impl IntoResponse for #name {
            fn into_response(self) -> Response {
                match self {
                    #arm
                }
            }
        }
    }
}

/// One trait per resource with operations: its operations' methods, in spec order.
fn resource_traits(api: &Api, ops: &[Op<'_>]) -> Vec<TokenStream> {
    api.resources
        .iter()
        .filter(|r| !r.operations.is_empty())
        .map(|r| {
            let name = format_ident!("{}", r.server_trait);
            let methods = r
                .operations
                .iter()
                .filter_map(|&i| ops.get(i))
                .map(trait_method);
            let text = format!(
                "The `{}` operations as a server implements them; a part of [`Api`].{}",
                r.key,
                r.docs
                    .text
                    .as_deref()
                    .map(|d| format!("\n\n{}", super::sanitize_docs(d)))
                    .unwrap_or_default()
            );
            let doc = lines(&text);
            quote! {
                #doc
                pub trait #name: Send + Sync + 'static {
                    #(#methods)*
                }
            }
        })
        .collect()
}

fn trait_method(o: &Op<'_>) -> TokenStream {
    let method = ident(&o.op.server_method);
    let request = format_ident!("{}Request", o.pascal);
    let response = format_ident!("{}Response", o.pascal);
    let summary =
        o.op.docs
            .text
            .as_deref()
            .map(super::sanitize_docs)
            .unwrap_or_default();
    let text = format!(
        "`{}`: `{} {}`.{}",
        o.op.id,
        o.op.method.as_str(),
        o.op.path,
        if summary.is_empty() {
            String::new()
        } else {
            format!("\n\n{summary}")
        }
    );
    let doc = lines(&text);
    quote! {
        #doc
        fn #method(&self, ctx: RequestContext, request: #request) -> impl Future<Output = Result<#response, Failure>> + Send;
    }
}

fn decoder_ident(o: &Op<'_>) -> syn::Ident {
    format_ident!("decode_{}", o.snake)
}

/// The decoding closure of a parameter: raw values -> its type.
fn param_decoder(p: &Param) -> TokenStream {
    match p.encoding {
        ParamEncoding::Text => quote!(support::text_value),
        ParamEncoding::Repeated => quote!(support::repeated_value),
        ParamEncoding::Joined => quote!(support::joined_value),
        ParamEncoding::Json => quote!(support::json_value),
    }
}

/// The decoder of an operation: each parameter by its index in the operation's table, the
/// body, then the request struct once every value is valid.
fn decoder(o: &Op<'_>) -> TokenStream {
    let name = decoder_ident(o);
    let request = format_ident!("{}Request", o.pascal);
    let mut reads = Vec::new();
    let mut fields = Vec::new();
    for (index, p) in o.op.params.iter().enumerate() {
        let index = proc_macro2::Literal::usize_unsuffixed(index);
        let var = format_ident!("p_{}", naming::unraw(&p.rust));
        if !is_field(p) {
            // A constant: checked, never a field.
            reads.push(quote!(let _: Option<String> = input.param(#index, support::text_value);));
            continue;
        }
        let ty = server_ty(o.cx, &p.ty);
        let decode = param_decoder(p);
        reads.push(quote!(let #var: Option<#ty> = input.param(#index, #decode);));
        let field = ident(&p.rust);
        if p.required || p.location == ParamLocation::Path {
            fields.push(quote!(#field: #var?,));
        } else {
            fields.push(quote!(#field: #var,));
        }
    }
    let whole = |required: bool| {
        if required {
            quote!(body: body?,)
        } else {
            quote!(body,)
        }
    };
    match &o.op.body {
        None => {}
        Some(Body::Json { required, .. }) => {
            reads.push(quote!(let body = input.json_body(#required);));
            fields.push(whole(*required));
        }
        Some(Body::Raw { text, required, .. }) => {
            reads.push(if *text {
                quote!(let body = input.text_body(#required);)
            } else {
                quote!(let body = input.bytes_body(#required);)
            });
            fields.push(whole(*required));
        }
        Some(Body::Multipart { parts }) => {
            let form = format_ident!("{}Form", o.pascal);
            reads.push(quote!(input.read_form().await;));
            let mut part_fields = Vec::new();
            for part in parts {
                let wire = &part.wire;
                let var = format_ident!("f_{}", naming::unraw(&part.rust));
                let field = ident(&part.rust);
                let required = part.required;
                match part.kind {
                    PartKind::File => {
                        reads.push(quote!(let #var = input.file_part(#wire, #required);));
                    }
                    PartKind::Text | PartKind::Json => {
                        let ty = server_ty(o.cx, &part.ty);
                        let decode = if part.kind == PartKind::Text {
                            quote!(support::text_value)
                        } else {
                            quote!(support::json_value)
                        };
                        reads.push(quote! {
                            let #var: Option<#ty> = input.text_part(#wire, #required, #decode);
                        });
                    }
                }
                part_fields.push(if required {
                    quote!(#field: #var?,)
                } else {
                    quote!(#field: #var,)
                });
            }
            fields.push(quote!(body: #form { #(#part_fields)* },));
        }
    }
    let input = if reads.is_empty() {
        quote!(input)
    } else {
        quote!(mut input)
    };
    quote! {
        async fn #name(#input: support::Input) -> Result<#request, Vec<Problem>> {
            #(#reads)*
            input.finish(move || Some(#request { #(#fields)* }))
        }
    }
}

fn routes(ops: &[Op<'_>]) -> Vec<TokenStream> {
    let mut by_path: BTreeMap<&str, Vec<&Op<'_>>> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    for o in ops {
        if !by_path.contains_key(o.op.path.as_str()) {
            order.push(&o.op.path);
        }
        by_path.entry(&o.op.path).or_default().push(o);
    }
    order
        .into_iter()
        .map(|path| {
            let handlers = by_path[path].iter().map(|o| {
                let filter = format_ident!("{}", o.op.method.as_str());
                let info = info_ident(o);
                let decode = decoder_ident(o);
                let method = ident(&o.op.server_method);
                quote! {
                    .on(axum::routing::MethodFilter::#filter, support::handler(&#info, #decode, |api: Served<A>, ctx, r| async move { api.0.#method(ctx, r).await }))
                }
            });
            quote!(.route(#path, axum::routing::MethodRouter::new() #(#handlers)*))
        })
        .collect()
}
