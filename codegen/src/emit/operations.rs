//! `operations/<resource>.rs`: a handle per resource and a request builder per operation.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::docs::{doc_attrs, inner_lines, lines};
use super::{Emitter, ident, unraw};
use crate::model::ir::*;

/// `operations/mod.rs`: declares the resource modules and re-exports their types, each
/// under its resource's feature.
pub fn mod_file(cx: &Emitter<'_>, api: &Api) -> TokenStream {
    let mods = api.resources.iter().map(|r| {
        let m = format_ident!("{}", r.module);
        let gate = cx.items.gate(&r.key);
        quote!(#gate mod #m; #gate pub use #m::*;)
    });
    let doc = inner_lines("Request builders, one per operation, grouped by resource.");
    quote! {
        #doc
        #(#mods)*
    }
}

/// One resource's file: its handle, a builder per operation, the response-header structs.
pub fn resource_file(cx: &Emitter<'_>, api: &Api, resource: &Resource) -> TokenStream {
    let ops = operations_of(api, &resource.operations);
    let methods = ops.iter().map(|op| handle_method(cx, op));
    let handle = handle(cx, api, resource, quote!(#(#methods)*));
    let builders = ops.iter().map(|op| builder(cx, api, op));
    let header_structs = ops.iter().filter_map(|op| header_struct(op));
    quote! {
        #handle
        #(#builders)*
        #(#header_structs)*
    }
}

/// A resource's files when it is split for size: the handle type (with its constructor
/// and child accessors) declaring the files of `operations/<resource>/`, and each of those,
/// with the operations of its part of `parts` (indices into `Api::operations`): an `impl`
/// block of the handle with their methods, their builders and response-header structs.
pub fn resource_files(
    cx: &Emitter<'_>,
    api: &Api,
    resource: &Resource,
    parts: &[Vec<usize>],
) -> (TokenStream, Vec<TokenStream>) {
    let modules = (1..=parts.len()).map(|i| {
        let module = format_ident!("builders_{}", i);
        quote! {
            #[rustfmt::skip]
            mod #module;
            pub use #module::*;
        }
    });
    let handle_file = handle(cx, api, resource, TokenStream::new());
    let handle_file = quote! {
        #handle_file
        #(#modules)*
    };
    let handle = format_ident!("{}", resource.type_name);
    let files = parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let doc = format!(
                " Operations on `{}`, part {} (split for size): handle methods and request builders.",
                resource.key,
                i + 1
            );
            let ops = operations_of(api, part);
            let methods = ops.iter().map(|op| handle_method(cx, op));
            let units = ops.iter().map(|op| {
                let builder = builder(cx, api, op);
                let header = header_struct(op);
                quote!(#builder #header)
            });
            quote! {
                #![doc = #doc]
                use super::#handle;
                impl<'a> #handle<'a> {
                    #(#methods)*
                }
                #(#units)*
            }
        })
        .collect();
    (handle_file, files)
}

/// The operations at `indices` of `api.operations`.
fn operations_of<'a>(api: &'a Api, indices: &[usize]) -> Vec<&'a Operation> {
    indices
        .iter()
        .filter_map(|&i| api.operations.get(i))
        .collect()
}

/// The method that hands out `resource`'s handle, under the resource's feature: the handle
/// type is `#handles::Type<#lifetime>`, made from `client`. One for the root accessors on
/// `Client` and the child accessors on a parent's handle.
pub(super) fn accessor(
    cx: &Emitter<'_>,
    resource: &Resource,
    handles: TokenStream,
    lifetime: TokenStream,
    client: TokenStream,
) -> TokenStream {
    let accessor = ident(&resource.accessor);
    let ty = format_ident!("{}", resource.type_name);
    let doc = lines(&format!("Operations on `{}`.", resource.key));
    let gate = cx.items.gate(&resource.key);
    quote! {
        #gate
        #doc
        pub fn #accessor(&self) -> #handles::#ty<#lifetime> {
            #handles::#ty::new(#client)
        }
    }
}

/// The top of a resource's file: its docs, the handle type, and its `impl` block with the
/// constructor (as visible as the plan says), the child accessors (each under its child's
/// feature) and `methods`.
fn handle(cx: &Emitter<'_>, api: &Api, resource: &Resource, methods: TokenStream) -> TokenStream {
    let handle = format_ident!("{}", resource.type_name);
    let module_doc = inner_lines(&format!("Operations on `{}`.", resource.key));
    let handle_doc = doc_attrs(
        &resource.docs,
        &format!("Operations on `{}`.", resource.key),
    );
    let children = resource
        .children
        .iter()
        .filter_map(|key| api.resources.iter().find(|r| &r.key == key))
        .map(|child| accessor(cx, child, quote!(super), quote!('a), quote!(self.client)));
    let constructor = cx.items.constructor_visibility();
    quote! {
        #module_doc

        #handle_doc
        #[derive(Clone, Copy, Debug)]
        pub struct #handle<'a> {
            client: &'a client_runtime::Client,
        }

        impl<'a> #handle<'a> {
            #constructor fn new(client: &'a client_runtime::Client) -> Self {
                Self { client }
            }

            #(#children)*
            #methods
        }
    }
}

/// A constructor argument of a builder.
struct Arg {
    ident: syn::Ident,
    /// Type as written in the handle method's signature.
    param_ty: TokenStream,
    /// Type as stored in the builder (and taken by its constructor).
    stored_ty: TokenStream,
    /// Expression converting the argument into the stored value.
    convert: TokenStream,
}

fn arg(cx: &Emitter<'_>, rust: &str, ty: &Ty) -> Arg {
    let ident = ident(rust);
    let (param_ty, convert) = setter_types(cx, &ident, ty);
    Arg {
        ident,
        param_ty,
        stored_ty: cx.ty(ty),
        convert,
    }
}

/// An argument taken and stored as `ty` without conversion.
fn plain_arg(rust: &str, ty: TokenStream) -> Arg {
    let ident = ident(rust);
    Arg {
        param_ty: ty.clone(),
        stored_ty: ty,
        convert: quote!(#ident),
        ident,
    }
}

/// An argument taken as `impl Into<ty>`.
fn into_arg(rust: &str, ty: TokenStream) -> Arg {
    let ident = ident(rust);
    Arg {
        param_ty: quote!(impl Into<#ty>),
        stored_ty: ty,
        convert: quote!(#ident.into()),
        ident,
    }
}

/// `impl Into<String>` for strings so `&str` works; the type itself otherwise.
fn setter_types(cx: &Emitter<'_>, ident: &syn::Ident, ty: &Ty) -> (TokenStream, TokenStream) {
    match ty {
        Ty::String => (quote!(impl Into<String>), quote!(#ident.into())),
        // A recursive field: the caller gives the value, the builder boxes it.
        Ty::Boxed(inner) => (cx.ty(inner), quote!(Box::new(#ident))),
        // `OffsetDateTime` and `time::Date` convert.
        Ty::Timestamp => (
            quote!(impl Into<client_runtime::Timestamp>),
            quote!(#ident.into()),
        ),
        Ty::Date => (
            quote!(impl Into<client_runtime::Date>),
            quote!(#ident.into()),
        ),
        other => (cx.ty(other), quote!(#ident)),
    }
}

/// Everything the constructor takes, in order: path, query, header, body.
fn required_args(cx: &Emitter<'_>, op: &Operation) -> Vec<(Arg, Assign)> {
    let mut args = Vec::new();
    for p in op
        .params
        .iter()
        .filter(|p| p.required && !p.client_default && p.constant.is_none())
    {
        args.push((arg(cx, &p.rust, &p.ty), Assign::Field(ident(&p.rust))));
    }
    match &op.body {
        Some(Body::Json { fields, .. }) if !fields.is_empty() => {
            for f in fields.iter() {
                let a = match f.field.presence {
                    Presence::Required => arg(cx, &f.setter, &f.field.ty),
                    Presence::RequiredNullable => {
                        let inner = cx.ty(&f.field.ty);
                        plain_arg(&f.setter, quote!(Option<#inner>))
                    }
                    Presence::Optional | Presence::OptionalNullable => continue,
                };
                args.push((a, Assign::BodyField(ident(&f.field.rust))));
            }
        }
        Some(Body::Json {
            ty, required: true, ..
        }) => args.push((arg(cx, "body", ty), Assign::Field(ident("body")))),
        Some(Body::Multipart { parts }) => {
            for p in parts.iter().filter(|p| p.required) {
                let a = if p.kind == PartKind::File {
                    plain_arg(&p.rust, quote!(client_runtime::FilePart))
                } else {
                    arg(cx, &p.rust, &p.ty)
                };
                args.push((a, Assign::Field(ident(&p.rust))));
            }
        }
        Some(Body::Raw {
            text,
            required: true,
            ..
        }) => {
            let a = if *text {
                into_arg("body", quote!(String))
            } else {
                into_arg("body", quote!(client_runtime::Bytes))
            };
            args.push((a, Assign::Field(ident("body"))));
        }
        _ => {}
    }
    args
}

/// Where a constructor argument is stored.
enum Assign {
    Field(syn::Ident),
    BodyField(syn::Ident),
}

fn handle_method(cx: &Emitter<'_>, op: &Operation) -> TokenStream {
    let name = ident(&op.method_name);
    let builder = format_ident!("{}", op.builder);
    let wire = format!(
        "`{} {}` (operation `{}`).",
        op.method.as_str(),
        op.path,
        op.id
    );
    // Without a summary or description the wire line is the whole doc.
    let docs = match &op.docs.text {
        Some(_) => {
            let mut docs = doc_attrs(&op.docs, "");
            docs.extend(lines(&format!("\n{wire}")));
            docs
        }
        None => doc_attrs(&op.docs, &wire),
    };
    let args = required_args(cx, op);
    let params = args.iter().map(|(a, _)| {
        let id = &a.ident;
        let ty = &a.param_ty;
        quote!(#id: #ty)
    });
    let converts = args.iter().map(|(a, _)| &a.convert);
    quote! {
        #docs
        pub fn #name(&self, #(#params),*) -> #builder<'a> {
            #builder::new(self.client, #(#converts),*)
        }
    }
}

/// The type `send()` resolves to.
fn output_type(cx: &Emitter<'_>, op: &Operation) -> TokenStream {
    match &op.response {
        ResponseKind::Empty => quote!(()),
        ResponseKind::Text => quote!(String),
        ResponseKind::Bytes => quote!(client_runtime::Bytes),
        ResponseKind::Headers { type_name, .. } => {
            let t = format_ident!("{}", type_name);
            quote!(#t)
        }
        ResponseKind::Json { ty, unwrap: None } => cx.ty(ty),
        ResponseKind::Json {
            unwrap: Some(field),
            ..
        } => {
            let inner = cx.ty(&field.ty);
            match field.presence {
                Presence::Required | Presence::Optional => inner,
                Presence::RequiredNullable | Presence::OptionalNullable => quote!(Option<#inner>),
            }
        }
    }
}

/// The body type of `send_with_response()`'s `ApiResponse`.
fn whole_type(cx: &Emitter<'_>, op: &Operation) -> TokenStream {
    match &op.response {
        ResponseKind::Empty | ResponseKind::Headers { .. } => quote!(()),
        ResponseKind::Text => quote!(String),
        ResponseKind::Bytes => quote!(client_runtime::Bytes),
        ResponseKind::Json { ty, .. } => cx.ty(ty),
    }
}

fn builder(cx: &Emitter<'_>, api: &Api, op: &Operation) -> TokenStream {
    let name = format_ident!("{}", op.builder);
    let handle = api
        .resources
        .iter()
        .find(|r| r.key == op.resource)
        .map(|r| r.type_name.clone())
        .unwrap_or_default();
    let doc = lines(&format!(
        "Request builder for [`{handle}::{}`]: set optional parameters, then `.send().await`. \
         Per-call options (`with_timeout`, `with_header`, ...) are the methods of \
         [`RequestOptionsBuilder`](client_runtime::RequestOptionsBuilder).",
        unraw(&op.method_name)
    ));

    // Stored fields and their initial values. Fields are `pub(crate)` so hand-written
    // extensions in the crate (paging, uploads) can read what the caller set.
    let mut fields = Vec::new();
    let mut inits = Vec::new();
    let mut setters = Vec::new();
    let required = required_args(cx, op);

    for p in op.params.iter().filter(|p| p.constant.is_none()) {
        let id = ident(&p.rust);
        let ty = cx.ty(&p.ty);
        let fallback = format!("The `{}` {} parameter.", p.wire, location_name(p.location));
        let docs = doc_attrs(&p.docs, &fallback);
        if p.required && !p.client_default {
            fields.push(quote!(pub(crate) #id: #ty,));
            continue;
        }
        fields.push(quote!(pub(crate) #id: Option<#ty>,));
        inits.push(quote!(#id: None,));
        let (param_ty, convert) = setter_types(cx, &id, &p.ty);
        let default_note = p.client_default.then(|| {
            lines(&format!(
                "\nDefaults to the client's `{}` when not set.",
                p.wire
            ))
        });
        setters.push(quote! {
            #docs
            #default_note
            pub fn #id(mut self, #id: #param_ty) -> Self {
                self.#id = Some(#convert);
                self
            }
        });
    }

    match &op.body {
        Some(Body::Json {
            ty,
            fields: body_fields,
            required: body_required,
            docs,
        }) => {
            let body_ty = cx.ty(ty);
            if !body_fields.is_empty() {
                fields.push(quote!(pub(crate) body: #body_ty,));
                for f in body_fields.iter().filter(|f| {
                    matches!(
                        f.field.presence,
                        Presence::Optional | Presence::OptionalNullable
                    )
                }) {
                    let setter = ident(&f.setter);
                    let field = ident(&f.field.rust);
                    let fallback = format!("The `{}` body field.", f.field.wire);
                    let docs = doc_attrs(&f.field.docs, &fallback);
                    let (param_ty, convert) = setter_types(cx, &setter, &f.field.ty);
                    let value = if f.field.presence == Presence::OptionalNullable {
                        quote!(client_runtime::Nullable::Value(#convert))
                    } else {
                        quote!(Some(#convert))
                    };
                    setters.push(quote! {
                        #docs
                        pub fn #setter(mut self, #setter: #param_ty) -> Self {
                            self.body.#field = #value;
                            self
                        }
                    });
                    if let Some(clear) = &f.clear {
                        let clear = ident(clear);
                        let doc = lines(&format!(
                            "Sends `\"{}\": null`, which clears the stored value.",
                            f.field.wire
                        ));
                        setters.push(quote! {
                            #doc
                            pub fn #clear(mut self) -> Self {
                                self.body.#field = client_runtime::Nullable::Null;
                                self
                            }
                        });
                    }
                }
                let doc = doc_attrs(docs, "Replaces the whole request body.");
                setters.push(quote! {
                    #doc
                    ///
                    /// Replaces every body field set so far, constructor arguments included.
                    pub fn body(mut self, body: #body_ty) -> Self {
                        self.body = body;
                        self
                    }
                });
            } else if *body_required {
                fields.push(quote!(pub(crate) body: #body_ty,));
            } else {
                fields.push(quote!(pub(crate) body: Option<#body_ty>,));
                inits.push(quote!(body: None,));
                let doc = doc_attrs(docs, "The request body.");
                setters.push(quote! {
                    #doc
                    pub fn body(mut self, body: #body_ty) -> Self {
                        self.body = Some(body);
                        self
                    }
                });
            }
        }
        Some(Body::Multipart { parts }) => {
            for p in parts {
                let id = ident(&p.rust);
                let stored = if p.kind == PartKind::File {
                    quote!(client_runtime::FilePart)
                } else {
                    cx.ty(&p.ty)
                };
                if p.required {
                    fields.push(quote!(pub(crate) #id: #stored,));
                    continue;
                }
                fields.push(quote!(pub(crate) #id: Option<#stored>,));
                inits.push(quote!(#id: None,));
                let fallback = format!("The `{}` form part.", p.wire);
                let docs = doc_attrs(&p.docs, &fallback);
                let (param_ty, convert) = if p.kind == PartKind::File {
                    (stored.clone(), quote!(#id))
                } else {
                    setter_types(cx, &id, &p.ty)
                };
                setters.push(quote! {
                    #docs
                    pub fn #id(mut self, #id: #param_ty) -> Self {
                        self.#id = Some(#convert);
                        self
                    }
                });
            }
        }
        Some(Body::Raw {
            text,
            required: body_required,
            ..
        }) => {
            let ty = if *text {
                quote!(String)
            } else {
                quote!(client_runtime::Bytes)
            };
            if *body_required {
                fields.push(quote!(pub(crate) body: #ty,));
            } else {
                fields.push(quote!(pub(crate) body: Option<#ty>,));
                inits.push(quote!(body: None,));
                let param_ty = if *text {
                    quote!(impl Into<String>)
                } else {
                    quote!(impl Into<client_runtime::Bytes>)
                };
                setters.push(quote! {
                    /// The request body.
                    pub fn body(mut self, body: #param_ty) -> Self {
                        self.body = Some(body.into());
                        self
                    }
                });
            }
        }
        None => {}
    }

    // Constructor.
    let ctor_params = required.iter().map(|(a, _)| {
        let id = &a.ident;
        let ty = &a.stored_ty;
        quote!(#id: #ty)
    });
    let mut ctor_inits: Vec<TokenStream> = Vec::new();
    let mut body_field_inits: Vec<TokenStream> = Vec::new();
    for (a, assign) in &required {
        let id = &a.ident;
        // Field init shorthand where the argument has the field's name.
        let init = |field: &syn::Ident| {
            if field == id {
                quote!(#id,)
            } else {
                quote!(#field: #id,)
            }
        };
        match assign {
            Assign::Field(field) => ctor_inits.push(init(field)),
            Assign::BodyField(field) => body_field_inits.push(init(field)),
        }
    }
    if let Some(Body::Json {
        ty,
        fields: body_fields,
        ..
    }) = &op.body
        && !body_fields.is_empty()
    {
        let body_ty = cx.ty(ty);
        // Optional fields start out absent; every type they can have is `Default`.
        for f in body_fields.iter().filter(|f| {
            matches!(
                f.field.presence,
                Presence::Optional | Presence::OptionalNullable
            )
        }) {
            let field = ident(&f.field.rust);
            body_field_inits.push(quote!(#field: Default::default(),));
        }
        let extra = if has_additional(api, ty) {
            quote!(additional_properties: Default::default(),)
        } else {
            quote!(extra: Default::default(),)
        };
        ctor_inits.push(quote!(body: #body_ty { #(#body_field_inits)* #extra },));
    }

    let send = send_fns(cx, op);
    // Every per-call option (`with_timeout`, `with_header`, ...) comes from the runtime's
    // traits; `with_body_field` only where there is a JSON body to add fields to.
    let options = if matches!(op.body, Some(Body::Json { .. })) {
        quote!(client_runtime::__private::request_options!(#name, json);)
    } else {
        quote!(client_runtime::__private::request_options!(#name);)
    };
    quote! {
        #doc
        #[derive(Clone, Debug)]
        #[must_use = "a request does nothing until `.send().await`"]
        pub struct #name<'a> {
            client: &'a client_runtime::Client,
            #(#fields)*
            options: client_runtime::RequestOptions,
        }

        #options

        impl<'a> #name<'a> {
            pub(crate) fn new(client: &'a client_runtime::Client, #(#ctor_params),*) -> Self {
                Self {
                    client,
                    #(#ctor_inits)*
                    #(#inits)*
                    options: client_runtime::RequestOptions::default(),
                }
            }

            #(#setters)*

            #send
        }
    }
}

fn has_additional(api: &Api, ty: &Ty) -> bool {
    matches!(ty, Ty::Named(n) if matches!(api.types.get(n).map(|t| &t.kind), Some(TypeKind::Struct { additional: Some(_), .. })))
}

fn location_name(location: ParamLocation) -> &'static str {
    match location {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::Header => "header",
    }
}

fn send_fns(cx: &Emitter<'_>, op: &Operation) -> TokenStream {
    let method = format_ident!("{}", op.method.as_str());
    let op_id = &op.id;
    let output = output_type(cx, op);
    let whole = whole_type(cx, op);

    let path = op.path_parts.iter().map(|part| match part {
        PathPart::Literal(text) => quote!(request.path_literal(#text);),
        PathPart::Param(i) => {
            let p = &op.params[*i];
            if let Some(value) = &p.constant {
                return quote!(request.path_param(#value););
            }
            let id = ident(&p.rust);
            if p.client_default {
                // The client's default when not set; a missing one fails before any I/O.
                let wire = &p.wire;
                quote!(request.path_param_or(self.client, self.#id, #wire);)
            } else {
                quote!(request.path_param(&self.#id);)
            }
        }
    });
    let params = op
        .params
        .iter()
        .filter(|p| p.location != ParamLocation::Path)
        .map(|p| {
            let id = ident(&p.rust);
            let wire = &p.wire;
            let call = match p.location {
                ParamLocation::Query => quote!(query),
                _ => quote!(header),
            };
            if let Some(value) = &p.constant {
                return quote!(request.#call(#wire, #value););
            }
            // `send_with_response` owns the builder, so values move into the request. The
            // methods past text take an `Option` and send nothing for `None`.
            let value = if p.required {
                quote!(Some(self.#id))
            } else {
                quote!(self.#id)
            };
            let suffix = match p.encoding {
                ParamEncoding::Text if p.required => return quote!(request.#call(#wire, self.#id);),
                ParamEncoding::Text => "opt",
                ParamEncoding::Repeated => "each",
                ParamEncoding::Joined => "joined",
                ParamEncoding::Json => "json",
            };
            let call = format_ident!("{}_{}", call.to_string(), suffix);
            quote!(request.#call(#wire, #value);)
        });
    let body = match &op.body {
        None => quote!(),
        Some(Body::Json {
            fields, required, ..
        }) => {
            if !fields.is_empty() || *required {
                quote!(request.json(&self.body)?;)
            } else {
                quote!(if let Some(body) = &self.body {
                    request.json(body)?;
                })
            }
        }
        Some(Body::Multipart { parts }) => {
            let adds = parts.iter().map(|p| {
                let id = ident(&p.rust);
                let wire = &p.wire;
                let add = match p.kind {
                    PartKind::File => quote!(form.file(#wire, value);),
                    PartKind::Text => quote!(form.text(#wire, value);),
                    PartKind::Json => quote!(form.json(#wire, &value)?;),
                };
                if p.required {
                    quote!({ let value = self.#id; #add })
                } else {
                    quote!(if let Some(value) = self.#id { #add })
                }
            });
            if parts.is_empty() {
                quote!(request.multipart(client_runtime::__private::Multipart::new());)
            } else {
                quote! {
                    let mut form = client_runtime::__private::Multipart::new();
                    #(#adds)*
                    request.multipart(form);
                }
            }
        }
        Some(Body::Raw {
            content_type,
            text,
            required,
        }) => {
            let call = if *text { quote!(text) } else { quote!(bytes) };
            if *required {
                quote!(request.#call(#content_type, self.body);)
            } else {
                quote!(if let Some(body) = self.body { request.#call(#content_type, body); })
            }
        }
    };
    let dispatch = match &op.response {
        ResponseKind::Empty | ResponseKind::Headers { .. } => {
            quote!(request.send_empty(self.client).await)
        }
        ResponseKind::Text => quote!(request.send_text(self.client).await),
        ResponseKind::Bytes => quote!(request.send_bytes(self.client).await),
        ResponseKind::Json { ty, .. } => {
            let ty = cx.ty(ty);
            quote!(request.send_json::<#ty>(self.client).await)
        }
    };
    let finish = match &op.response {
        ResponseKind::Empty => quote! {
            self.send_with_response().await?;
            Ok(())
        },
        ResponseKind::Text | ResponseKind::Bytes | ResponseKind::Json { unwrap: None, .. } => {
            quote!(Ok(self.send_with_response().await?.into_body()))
        }
        ResponseKind::Json {
            unwrap: Some(field),
            ..
        } => {
            let f = ident(&field.rust);
            let wire = &field.wire;
            let take = match field.presence {
                Presence::Required | Presence::RequiredNullable => quote!(Ok(body.#f)),
                Presence::Optional => {
                    quote!(client_runtime::__private::payload(body.#f, #op_id, #wire))
                }
                Presence::OptionalNullable => quote!(Ok(body.#f.into_option())),
            };
            quote! {
                let body = self.send_with_response().await?.into_body();
                #take
            }
        }
        ResponseKind::Headers { type_name, headers } => {
            let t = format_ident!("{}", type_name);
            // A header the spec requires is a `String`; its absence is a decode error,
            // not a `None` every caller would have to handle.
            let inits = headers.iter().map(|h| {
                let id = ident(&h.rust);
                let wire = &h.wire;
                if h.required {
                    quote!(#id: response.header(#wire).map(str::to_owned).ok_or_else(|| {
                        client_runtime::Error::missing_header(#op_id, response.status(), #wire)
                    })?,)
                } else {
                    quote!(#id: response.header(#wire).map(str::to_owned),)
                }
            });
            quote! {
                let response = self.send_with_response().await?;
                Ok(#t { #(#inits)* })
            }
        }
    };
    let unwrap_note = match &op.response {
        ResponseKind::Json {
            unwrap: Some(field),
            ..
        } => {
            format!(
                "Sends the request and returns the response's `{}`.",
                field.wire
            )
        }
        _ => "Sends the request and decodes the response.".to_owned(),
    };
    let send_doc = lines(&format!(
        "{unwrap_note}\n\n# Errors\n\n[`Error::Api`](client_runtime::Error::Api) when the API answers with an error status; \
         other [`Error`](client_runtime::Error) variants for transport, timeout and decoding failures."
    ));
    let mut_request = quote!(let mut request = client_runtime::__private::Request::new(client_runtime::http::Method::#method, #op_id););
    let security = op.security.as_ref().map(|alternatives| {
        let alternatives = super::client::requirement_tokens(alternatives);
        quote!(request.security(#alternatives);)
    });
    let idempotent_note = lines(
        "Like `send`, but returns the whole response: HTTP status, headers and the full body.",
    );
    quote! {
        #send_doc
        pub async fn send(self) -> Result<#output, client_runtime::Error> {
            #finish
        }

        #idempotent_note
        ///
        /// # Errors
        ///
        /// As for `send`.
        pub async fn send_with_response(self) -> Result<client_runtime::ApiResponse<#whole>, client_runtime::Error> {
            #mut_request
            #(#path)*
            #(#params)*
            #body
            #security
            request.options(self.options);
            #dispatch
        }
    }
}

/// The struct of the response headers `send()` returns, for an operation that has one.
fn header_struct(op: &Operation) -> Option<TokenStream> {
    let ResponseKind::Headers { type_name, headers } = &op.response else {
        return None;
    };
    let t = format_ident!("{}", type_name);
    let doc = lines(&format!("Response headers of `{}`.", op.id));
    let fields = headers.iter().map(|h| {
        let id = ident(&h.rust);
        let docs = doc_attrs(&h.docs, &format!("The `{}` header.", h.wire));
        if h.required {
            quote!(#docs pub #id: String,)
        } else {
            quote!(#docs pub #id: Option<String>,)
        }
    });
    Some(quote! {
        #doc
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct #t {
            #(#fields)*
        }
    })
}
