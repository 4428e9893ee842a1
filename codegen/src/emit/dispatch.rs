//! `dispatch.rs`: calls any operation by its id with JSON arguments, through the typed
//! builders. Emitted into a test harness crate that depends on the generated one and
//! provides `crate::dispatch_support` (argument decoding, `Outcome`, `DispatchError`).
//!
//! Test harnesses (the conformance replay runner) use it to drive every operation from data
//! files without a line of code per operation. It goes through the same public builder API a
//! user writes by hand: the handle method with the required arguments, then one setter per
//! optional argument, then `send_with_response()`.
//!
//! Arguments are one JSON object: parameters by their wire names, the request body under
//! `body` (a JSON body's fields by wire name, multipart parts by name, raw text as a string).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::docs::{inner_lines, lines};
use super::{Emitter, ident};
use crate::model::ir::*;

/// The whole `src/dispatch.rs` file.
pub fn file(cx: &Emitter<'_>, api: &Api, krate: &syn::Ident) -> TokenStream {
    let module_doc = inner_lines(
        "Typed dispatch: calls any operation by its `operationId` with JSON arguments.\n\n\
         Generated into the test harness (the conformance replay runner) that drives every \
         operation from data; its argument helpers are the harness's `dispatch_support`. Arguments are one JSON object: path, query \
         and header parameters by their wire names; the request body under `body` (a JSON \
         body's fields by wire name, multipart parts by name, file parts as \
         `{\"file_name\", \"content_type\", \"text\" | \"base64\"}`, raw text as a string).",
    );
    let ids: Vec<&str> = api.operations.iter().map(|op| op.id.as_str()).collect();
    let names = fn_names(api);
    let arms = api.operations.iter().zip(&names).map(|(op, name)| {
        let id = &op.id;
        let f = format_ident!("op_{}", name);
        quote!(#id => #f(client, args).await,)
    });
    let (fns, builds): (Vec<_>, Vec<_>) = api
        .operations
        .iter()
        .zip(&names)
        .map(|(op, name)| operation_fn(cx, api, op, name, krate))
        .unzip();
    // With no operations the module is empty, and an import would be unused.
    let build_imports = (!builds.is_empty()).then(|| {
        quote!(
            use super::*;
        )
    });
    quote! {
        #module_doc

        use #krate::Client;
        use crate::dispatch_support::*;

        /// Every operation id [`call`] knows, in specification order.
        pub const OPERATIONS: &[&str] = &[#(#ids),*];

        /// Calls `operation_id` with `args` (a JSON object, or `null` for none).
        ///
        /// # Errors
        ///
        /// [`DispatchError::UnknownOperation`] and [`DispatchError::BadArgument`] before any
        /// I/O; [`DispatchError::Client`] with the typed client error when the call fails.
        pub async fn call(
            client: &Client,
            operation_id: &str,
            args: &serde_json::Value,
        ) -> Result<Outcome, DispatchError> {
            match operation_id {
                #(#arms)*
                other => Err(DispatchError::UnknownOperation {
                    operation: other.to_owned(),
                }),
            }
        }

        #(#fns)*

        /// Request builders from JSON arguments, one function per operation (named after its
        /// id), for callers that need the builder itself (for example to paginate).
        pub mod build {
            #build_imports

            #(#builds)*
        }
    }
}

/// Function names per operation (indices into `api.operations`): the id in snake case, a
/// keyword or leading digit fixed, and a numeric suffix when two ids collapse to one name.
fn fn_names(api: &Api) -> Vec<String> {
    use heck::ToSnakeCase as _;
    let mut taken = std::collections::BTreeSet::new();
    api.operations
        .iter()
        .map(|op| {
            let cleaned: String = op
                .id
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let mut name = cleaned.to_snake_case();
            if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
                name = format!("op_{name}");
            }
            if syn::parse_str::<syn::Ident>(&name).is_err() {
                name.push('_');
            }
            let mut unique = name.clone();
            let mut n = 2;
            while !taken.insert(unique.clone()) || unique == "call" {
                unique = format!("{name}_{n}");
                n += 1;
            }
            unique
        })
        .collect()
}

/// `client.a().b()`: the handle of the operation's resource, parents first.
fn handle_chain(api: &Api, op: &Operation) -> TokenStream {
    let mut chain = Vec::new();
    let mut key = Some(op.resource.clone());
    while let Some(k) = key {
        let Some(resource) = api.resources.iter().find(|r| r.key == k) else {
            break;
        };
        chain.push(ident(&resource.accessor));
        key = resource.parent.clone();
    }
    chain.reverse();
    quote!(client #(.#chain())*)
}

/// One operation's dispatch function, and its builder function (in `build`).
fn operation_fn(
    cx: &Emitter<'_>,
    api: &Api,
    op: &Operation,
    name: &str,
    krate: &syn::Ident,
) -> (TokenStream, TokenStream) {
    let f = format_ident!("op_{}", name);
    let b = format_ident!("{}", name);
    let builder_ty = format_ident!("{}", op.builder);
    let op_id = &op.id;
    let method = ident(&op.method_name);
    let handle = handle_chain(api, op);

    // Statements decoding arguments, constructor arguments, setter calls.
    let mut decode = Vec::new();
    let mut ctor = Vec::new();
    let mut setters = Vec::new();
    // Checks after every setter ran (no builder change).
    let mut finish = Vec::new();

    // Constant parameters are always sent by the builder: no argument.
    for p in op.params.iter().filter(|p| p.constant.is_none()) {
        let wire = &p.wire;
        let ty = cx.ty(&p.ty);
        let var = format_ident!("p_{}", super::unraw(&p.rust));
        if p.required && !p.client_default {
            decode.push(quote!(let #var: #ty = args.required(#wire)?;));
            ctor.push(quote!(#var));
        } else {
            let setter = ident(&p.rust);
            setters.push(quote! {
                if let Some(value) = args.optional::<#ty>(#wire)? {
                    builder = builder.#setter(value);
                }
            });
        }
    }

    match &op.body {
        None => {}
        Some(Body::Json {
            ty,
            fields,
            required,
            ..
        }) => {
            let body_ty = cx.ty(ty);
            if fields.is_empty() {
                if *required {
                    decode.push(quote!(let body: #body_ty = args.required("body")?;));
                    ctor.push(quote!(body));
                } else {
                    setters.push(quote! {
                        if let Some(value) = args.optional::<#body_ty>("body")? {
                            builder = builder.body(value);
                        }
                    });
                }
            } else {
                decode.push(quote!(let mut body = args.object("body")?;));
                let known = fields.iter().map(|f| f.field.wire.as_str());
                for f in fields {
                    let wire = &f.field.wire;
                    let fty = cx.ty(&f.field.ty);
                    let var = format_ident!("b_{}", super::unraw(&f.setter));
                    let setter = ident(&f.setter);
                    match f.field.presence {
                        Presence::Required => {
                            decode.push(quote!(let #var: #fty = body.required(#wire)?;));
                            ctor.push(quote!(#var));
                        }
                        Presence::RequiredNullable => {
                            decode.push(quote!(let #var: Option<#fty> = body.required(#wire)?;));
                            ctor.push(quote!(#var));
                        }
                        Presence::Optional => setters.push(quote! {
                            if let Some(value) = body.optional::<#fty>(#wire)? {
                                builder = builder.#setter(value);
                            }
                        }),
                        Presence::OptionalNullable => {
                            let on_null = match &f.clear {
                                Some(clear) => {
                                    let clear = ident(clear);
                                    quote!(builder = builder.#clear();)
                                }
                                // No clearing method: only the whole body can say `null`.
                                None => quote!(whole = true;),
                            };
                            setters.push(quote! {
                                match body.nullable::<#fty>(#wire)? {
                                    Slot::Absent => {}
                                    Slot::Null => { #on_null }
                                    Slot::Value(value) => builder = builder.#setter(value),
                                }
                            });
                        }
                    }
                }
                // Keys the builder has no method for (additional properties, or fields the
                // spec does not know): send the whole object as the body instead.
                let flag = needs_whole_flag(op).then(|| quote!(whole ||));
                setters.push(quote! {
                    if #flag body.has_unknown(&[#(#known),*]) {
                        builder = builder.body(body.whole::<#body_ty>()?);
                    }
                });
            }
        }
        Some(Body::Multipart { parts }) => {
            let body_mut = (!parts.is_empty()).then(|| quote!(mut));
            decode.push(quote!(let #body_mut body = args.object("body")?;));
            for p in parts {
                let wire = &p.wire;
                let var = format_ident!("m_{}", super::unraw(&p.rust));
                let setter = ident(&p.rust);
                let ty = if p.kind == PartKind::File {
                    quote!(FileArg)
                } else {
                    cx.ty(&p.ty)
                };
                let value = if p.kind == PartKind::File {
                    quote!(body.file(#wire, value)?)
                } else {
                    quote!(value)
                };
                if p.required {
                    decode.push(quote! {
                        let #var = {
                            let value: #ty = body.required(#wire)?;
                            #value
                        };
                    });
                    ctor.push(quote!(#var));
                } else {
                    setters.push(quote! {
                        if let Some(value) = body.optional::<#ty>(#wire)? {
                            builder = builder.#setter(#value);
                        }
                    });
                }
            }
            finish.push(quote!(body.finish()?;));
        }
        Some(Body::Raw { text, required, .. }) => {
            let convert = if *text {
                quote!(value)
            } else {
                quote!(args.bytes("body", value)?)
            };
            let ty = if *text {
                quote!(String)
            } else {
                quote!(FileArg)
            };
            if *required {
                decode.push(quote! {
                    let body = {
                        let value: #ty = args.required("body")?;
                        #convert
                    };
                });
                ctor.push(quote!(body));
            } else {
                setters.push(quote! {
                    if let Some(value) = args.optional::<#ty>("body")? {
                        builder = builder.body(#convert);
                    }
                });
            }
        }
    }
    let whole_flag = needs_whole_flag(op).then(|| quote!(let mut whole = false;));
    // Per-call options, under `$`-prefixed keys no parameter can have (`dispatch_support`
    // reads them): extra headers and query parameters, the opt-in to retries of
    // non-idempotent methods, and for a JSON body extra fields.
    if matches!(op.body, Some(Body::Json { .. })) {
        setters.push(quote!(builder = args.json_options(builder)?;));
    } else {
        setters.push(quote!(builder = args.options(builder)?;));
    }
    let outcome = match &op.response {
        ResponseKind::Empty => quote!(outcome(response, serde_json::Value::Null)),
        ResponseKind::Headers { headers, .. } => {
            let pairs = headers.iter().map(|h| {
                let wire = &h.wire;
                quote!(map.insert(#wire.to_owned(), response.header(#wire).map_or(serde_json::Value::Null, |v| serde_json::Value::String(v.to_owned())));)
            });
            quote! {{
                let mut map = serde_json::Map::new();
                #(#pairs)*
                outcome(response, serde_json::Value::Object(map))
            }}
        }
        ResponseKind::Text => quote!({
            let text = serde_json::Value::String(response.body().clone());
            outcome(response, text)
        }),
        ResponseKind::Bytes => quote!({
            let encoded = serde_json::json!({ "base64": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, response.body()) });
            outcome(response, encoded)
        }),
        ResponseKind::Json { .. } => quote!({
            let json = serde_json::to_value(response.body()).map_err(|e| {
                #krate::Error::invalid_request(
                    format!("cannot re-encode the response of `{}`: {e}", #op_id),
                )
            })?;
            outcome(response, json)
        }),
    };
    let doc = lines(&format!("Dispatches `{}`.", op.id));
    let call = quote! {
        #doc
        async fn #f(client: &Client, args: &serde_json::Value) -> Result<Outcome, DispatchError> {
            let builder = build::#b(client, args)?;
            let response = builder.send_with_response().await?;
            Ok(#outcome)
        }
    };
    let doc = lines(&format!(
        "The request builder of `{}` with `args` applied.\n\n# Errors\n\n[`DispatchError::BadArgument`] for a missing, unknown or mistyped argument.",
        op.id
    ));
    let build = quote! {
        #doc
        pub fn #b<'a>(client: &'a Client, args: &serde_json::Value) -> Result<#krate::operations::#builder_ty<'a>, DispatchError> {
            let mut args = Args::new(#op_id, args)?;
            #(#decode)*
            #whole_flag
            let mut builder = #handle.#method(#(#ctor),*);
            #(#setters)*
            #(#finish)*
            args.finish()?;
            Ok(builder)
        }
    };
    (call, build)
}

/// Whether a nullable body field has no clearing method, so `null` needs the whole body.
fn needs_whole_flag(op: &Operation) -> bool {
    matches!(&op.body, Some(Body::Json { fields, .. }) if fields.iter().any(|f| {
        f.field.presence == Presence::OptionalNullable && f.clear.is_none()
    }))
}
