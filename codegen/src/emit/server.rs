//! The server target: axum bindings from the same IR the client is emitted from.
//!
//! Three files under [`ServerSettings::dir`]:
//! - `models.rs`: every schema as a Rust type, as for the client but with every struct
//!   constructible (a server builds what the client only reads, so nothing is
//!   `#[non_exhaustive]`);
//! - `server.rs`: per operation a request struct (typed path, query, header and body
//!   arguments) and a response enum (the success shape, typed headers, or the error
//!   envelope); the `Api` trait with one async method per operation; the router that
//!   authenticates, decodes and validates each request against the spec's schemas (JSON
//!   Schema translations embedded in the file) before calling the trait;
//! - `mod.rs`: declares the two.
//!
//! A change of the spec changes the trait, so an implementation that no longer matches
//! fails to compile.
//!
//! Only what the spec decides is emitted. What every server shares is in the runtime's
//! `server` feature: the types an implementation names (`OperationInfo`, `Problem`,
//! `ProblemLocation`, `FilePart`, `RequestContext<C>` and `Failure<E>`, in
//! `client_runtime::server`) and the helpers the handlers and decoders call (reading,
//! validating, answering, in `client_runtime::__private::server`, imported as `support`).
//! `server.rs` re-exports the former and aliases the generic ones over its `Credentials`
//! and its error body.

mod schema;

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use super::docs::{doc_attrs, inner_lines, lines};
use super::{ident, render_body, space_items};
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
    let mut models = header.clone();
    models.push_str(&render_body(super::models::prelude(&open))?);
    let defs: Vec<&TypeDef> = open.types.values().collect();
    models.push_str(&render_body(super::models::chunk(defs.into_iter()))?);

    let server = super::with_models_path("super::models", || -> Result<String> {
        render_body(server_file(api, doc)?)
    })?;
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
/// type tokens, rendered with that models path (see [`emit_server`]).
fn server_ty(ty: &Ty) -> TokenStream {
    super::ty_tokens(ty, true)
}

/// Everything about one operation the file needs, gathered once.
struct Op<'a> {
    op: &'a Operation,
    facts: OperationFacts,
    /// `VideosList`.
    pascal: String,
    /// `videos_list`.
    snake: String,
}

fn server_file(api: &Api, doc: &Value) -> Result<TokenStream> {
    let schemes = security_schemes(api, doc);
    let ops: Vec<Op<'_>> = api
        .operations
        .iter()
        .map(|op| Op {
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
            .map(|t| server_ty(&Ty::Named(t.name.clone())))
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
    let methods = ops.iter().map(trait_method);
    let handlers = ops.iter().map(handler);
    let decoders = ops.iter().map(decoder);
    let forms = ops.iter().map(form_struct);
    let routes = routes(&ops);

    Ok(quote! {
        #module_doc

        use std::sync::Arc;

        use axum::http::{HeaderMap, Uri};
        use axum::response::{IntoResponse, Response};
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

        /// The API as a server implements it: one method per operation, plus the hooks the
        /// router calls before them. A change of the specification changes this trait.
        pub trait Api: Send + Sync + 'static {
            /// Checks the credentials of a request to an operation with security
            /// requirements; the `Err` is sent as the answer.
            fn authorize(&self, ctx: &RequestContext) -> impl Future<Output = Result<(), Failure>> + Send;

            /// The answer to a request that does not match the specification.
            fn reject(&self, ctx: &RequestContext, problems: Vec<Problem>) -> Failure;

            /// The largest request body read, in bytes (32 MiB unless overridden).
            fn max_body_bytes(&self) -> usize {
                32 * 1024 * 1024
            }

            #(#methods)*
        }

        /// The router serving `api`: one route per path template of the specification.
        pub fn router<A: Api>(api: Arc<A>) -> axum::Router {
            axum::Router::new()
                #(#routes)*
                .with_state(api)
        }

        #(#handlers)*
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
    let doc = lines(&format!("`{}`: `{method} {path}`.", o.op.id));
    quote! {
        #doc
        pub static #name: OperationInfo = OperationInfo {
            id: #id,
            method: #method,
            path: #path,
            security: &[#(#sets),*],
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
        let ty = server_ty(&p.ty);
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
            server_ty(ty),
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
            _ => server_ty(&p.ty),
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
            let ty = server_ty(ty);
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
    let doc = lines(&format!("The answers of `{}`.", o.op.id));
    let variant_doc = lines(&format!("`{status}`: success."));
    quote! {
        #doc
        #[derive(Clone, Debug)]
        pub enum #name {
            #variant_doc
            #def
            /// An error answer (the error envelope).
            Failure(Failure),
        }

        impl From<Failure> for #name {
            fn from(failure: Failure) -> Self {
                Self::Failure(failure)
            }
        }

        #from_body

        impl IntoResponse for #name {
            fn into_response(self) -> Response {
                match self {
                    #arm
                    Self::Failure(failure) => failure.into_response(),
                }
            }
        }
    }
}

fn trait_method(o: &Op<'_>) -> TokenStream {
    let method = ident(&o.snake);
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
        fn #method(&self, ctx: RequestContext, request: #request) -> impl Future<Output = #response> + Send;
    }
}

fn handler_ident(o: &Op<'_>) -> syn::Ident {
    format_ident!("handle_{}", o.snake)
}

fn handler(o: &Op<'_>) -> TokenStream {
    let name = handler_ident(o);
    let decode = format_ident!("decode_{}", o.snake);
    let method = ident(&o.snake);
    let info = info_ident(o);
    let secured = !o.facts.security.is_empty();
    let authorize = secured.then(|| {
        quote! {
            if let Err(failure) = api.authorize(&ctx).await {
                return failure.into_response();
            }
        }
    });
    quote! {
        async fn #name<A: Api>(
            axum::extract::State(api): axum::extract::State<Arc<A>>,
            request: axum::extract::Request,
        ) -> Response {
            let (mut parts, body) = request.into_parts();
            let ctx = support::context(&#info, &parts, Credentials::from_request);
            #authorize
            let path = support::path_params(&mut parts).await;
            let body = match support::read_body(body, api.max_body_bytes()).await {
                Ok(body) => body,
                Err(problem) => return api.reject(&ctx, vec![problem]).into_response(),
            };
            match #decode(&parts, &path, body).await {
                Ok(request) => api.#method(ctx, request).await.into_response(),
                Err(problems) => api.reject(&ctx, problems).into_response(),
            }
        }
    }
}

/// The decoding closure of a parameter: raw values -> its type.
fn param_decoder(p: &Param) -> TokenStream {
    match p.encoding {
        ParamEncoding::Text => quote!(support::text_value),
        ParamEncoding::Repeated => quote!(support::repeated_value),
        ParamEncoding::Json => quote!(support::json_value),
    }
}

fn decoder(o: &Op<'_>) -> TokenStream {
    let name = format_ident!("decode_{}", o.snake);
    let request = format_ident!("{}Request", o.pascal);
    let info = info_ident(o);
    let mut reads = Vec::new();
    let mut unwraps = Vec::new();
    let mut fields = Vec::new();
    for p in &o.op.params {
        let wire = &p.wire;
        let location = match p.location {
            ParamLocation::Path => quote!(ProblemLocation::Path),
            ParamLocation::Query => quote!(ProblemLocation::Query),
            ParamLocation::Header => quote!(ProblemLocation::Header),
        };
        let raws = match p.location {
            ParamLocation::Path => quote!(support::path_values(path, #wire)),
            ParamLocation::Query => quote!(support::query_values(&parts.uri, #wire)),
            ParamLocation::Header => quote!(support::header_values(&parts.headers, #wire)),
        };
        let required = p.required || p.location == ParamLocation::Path;
        let var = format_ident!("p_{}", naming::unraw(&p.rust));
        if !is_field(p) {
            reads.push(quote! {
                let _: Option<String> = support::param(#location, #wire, #raws, #required, support::text_value, &mut problems, &mut values);
            });
            continue;
        }
        let ty = server_ty(&p.ty);
        let decode = param_decoder(p);
        reads.push(quote! {
            let #var: Option<#ty> = support::param(#location, #wire, #raws, #required, #decode, &mut problems, &mut values);
        });
        let field = ident(&p.rust);
        if required {
            unwraps.push(quote! {
                let Some(#var) = #var else {
                    return Err(support::missing(#location, #wire));
                };
            });
        }
        fields.push(quote!(#field: #var,));
    }
    let body = match &o.op.body {
        None => quote!(let _ = body;),
        Some(Body::Json { required, .. }) => {
            whole_body(*required, &mut unwraps, &mut fields);
            quote!(let body = support::json_body(&#info, &body, #required, &mut problems);)
        }
        Some(Body::Raw { text, required, .. }) => {
            whole_body(*required, &mut unwraps, &mut fields);
            if *text {
                quote!(let body = support::text_body(&body, #required, &mut problems);)
            } else {
                quote!(let body = (!body.is_empty()).then_some(body);)
            }
        }
        Some(Body::Multipart { parts: form_parts }) => {
            let form = format_ident!("{}Form", o.pascal);
            let mut part_reads = Vec::new();
            let mut part_unwraps = Vec::new();
            let mut part_fields = Vec::new();
            for part in form_parts {
                let wire = &part.wire;
                let var = format_ident!("f_{}", naming::unraw(&part.rust));
                let field = ident(&part.rust);
                let required = part.required;
                match part.kind {
                    PartKind::File => part_reads.push(quote! {
                        let #var = support::file_part(&mut form, #wire, #required, &mut problems);
                    }),
                    PartKind::Text | PartKind::Json => {
                        let ty = server_ty(&part.ty);
                        let decode = if part.kind == PartKind::Text {
                            quote!(support::text_value)
                        } else {
                            quote!(support::json_value)
                        };
                        part_reads.push(quote! {
                            let #var: Option<#ty> = support::text_part(&mut form, #wire, #required, #decode, &mut problems);
                        });
                    }
                }
                if required {
                    part_unwraps.push(quote! {
                        let Some(#var) = #var else {
                            return Err(support::missing(ProblemLocation::Body, #wire));
                        };
                    });
                }
                part_fields.push(quote!(#field: #var,));
            }
            unwraps.extend(part_unwraps);
            fields.push(quote!(body: #form { #(#part_fields)* },));
            quote! {
                let mut form = support::multipart(&parts.headers, body, &mut problems).await;
                #(#part_reads)*
            }
        }
    };
    quote! {
        async fn #name(
            parts: &axum::http::request::Parts,
            path: &[(String, String)],
            body: bytes::Bytes,
        ) -> Result<#request, Vec<Problem>> {
            let _ = (parts, path);
            let mut problems = Vec::new();
            let mut values = serde_json::Map::new();
            #(#reads)*
            #body
            support::validate_params(&#info, &mut values, &mut problems);
            if !problems.is_empty() {
                return Err(problems);
            }
            #(#unwraps)*
            Ok(#request { #(#fields)* })
        }
    }
}

/// The request field of a JSON or raw body, read whole into `body` (an `Option`): set
/// as is, or, when the body is required, unwrapped after validation.
fn whole_body(required: bool, unwraps: &mut Vec<TokenStream>, fields: &mut Vec<TokenStream>) {
    if required {
        unwraps.push(quote! {
            let Some(body) = body else {
                return Err(support::missing(ProblemLocation::Body, ""));
            };
        });
    }
    fields.push(quote!(body,));
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
                let h = handler_ident(o);
                let filter = format_ident!("{}", o.op.method.as_str());
                quote!(.on(axum::routing::MethodFilter::#filter, #h::<A>))
            });
            quote!(.route(#path, axum::routing::MethodRouter::new() #(#handlers)*))
        })
        .collect()
}
