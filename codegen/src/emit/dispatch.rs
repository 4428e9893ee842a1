//! `dispatch.rs`: calls any operation by its id with JSON arguments, through the typed
//! builders (behind the generated crate's `dispatch` feature).
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
use super::{ident, ty_tokens};
use crate::model::ir::*;

/// The whole `src/dispatch.rs` file.
pub fn file(api: &Api) -> TokenStream {
    let module_doc = inner_lines(
        "Typed dispatch: calls any operation by its `operationId` with JSON arguments.\n\n\
         Enabled by the `dispatch` feature; meant for test harnesses that drive every operation \
         from data (the conformance replay runner). Arguments are one JSON object: path, query \
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
        .map(|(op, name)| operation_fn(api, op, name))
        .unzip();
    let helpers = helpers();
    // With no operations the module is empty, and an import would be unused.
    let build_imports = (!builds.is_empty()).then(|| {
        quote!(
            use super::*;
        )
    });
    quote! {
        #module_doc

        use crate::runtime::{ApiResponse, Client, Error, FilePart};
        use self::support::*;

        /// Every operation id [`call`] knows, in specification order.
        pub const OPERATIONS: &[&str] = &[#(#ids),*];

        /// What a dispatched call returned.
        #[derive(Clone, Debug, PartialEq)]
        pub struct Outcome {
            /// The HTTP status.
            pub status: u16,
            /// Response headers, lower-case names, repeated values joined with `, `.
            pub headers: std::collections::BTreeMap<String, String>,
            /// The decoded body re-encoded as JSON: the typed model for JSON bodies, a string
            /// for text, `{"base64": ...}` for bytes, the declared headers for header-only
            /// responses, `null` for none.
            pub body: serde_json::Value,
        }

        /// Why a dispatched call failed.
        #[derive(Debug, thiserror::Error)]
        pub enum DispatchError {
            /// No operation has this id.
            #[error("unknown operation `{operation}`")]
            UnknownOperation {
                /// The id asked for.
                operation: String,
            },
            /// An argument is missing, unknown, or does not decode into its type.
            #[error("operation `{operation}`: argument `{argument}`: {message}")]
            BadArgument {
                /// The operation id.
                operation: &'static str,
                /// The argument (`body.name` for body fields).
                argument: String,
                /// What is wrong.
                message: String,
            },
            /// The call itself failed: the typed client error.
            #[error(transparent)]
            Client(#[from] Error),
        }

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

        #helpers
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
fn operation_fn(api: &Api, op: &Operation, name: &str) -> (TokenStream, TokenStream) {
    let f = format_ident!("op_{}", name);
    let b = format_ident!("{}", name);
    // `args` is read from only when the operation takes parameters or a body.
    let args_mut =
        (op.params.iter().any(|p| p.constant.is_none()) || op.body.is_some()).then(|| quote!(mut));
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
        let ty = ty_tokens(&p.ty, true);
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
            let body_ty = ty_tokens(ty, true);
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
                    let fty = ty_tokens(&f.field.ty, true);
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
                    ty_tokens(&p.ty, true)
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
    let builder_mut = if setters.is_empty() {
        quote!(let builder)
    } else {
        quote!(let mut builder)
    };
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
                Error::invalid_request(
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
        pub fn #b<'a>(client: &'a Client, args: &serde_json::Value) -> Result<crate::operations::#builder_ty<'a>, DispatchError> {
            let #args_mut args = Args::new(#op_id, args)?;
            #(#decode)*
            #whole_flag
            #builder_mut = #handle.#method(#(#ctor),*);
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

/// Helpers shared by every dispatch function (the same for every spec).
fn helpers() -> TokenStream {
    // Public (and hidden) rather than private: which helpers a spec's operations use varies,
    // and public items are never dead code, so no `#[allow(dead_code)]` is needed.
    quote! {
        /// Argument decoding shared by the dispatch functions; an implementation detail.
        #[doc(hidden)]
        pub mod support {
        use super::*;

        /// A field of an object argument: absent, `null`, or a value.
        pub enum Slot<T> {
            Absent,
            Null,
            Value(T),
        }

        /// A file argument: `{"file_name", "content_type", "text" | "base64"}`, or a string.
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        pub enum FileArg {
            Text(String),
            Object {
                file_name: Option<String>,
                content_type: Option<String>,
                text: Option<String>,
                base64: Option<String>,
            },
        }

        /// The arguments of one call: an object whose keys are taken one by one, so keys
        /// nobody took can be reported.
        pub struct Args<'v> {
            operation: &'static str,
            prefix: &'static str,
            map: Option<&'v serde_json::Map<String, serde_json::Value>>,
            taken: Vec<String>,
        }

        impl<'v> Args<'v> {
            pub fn new(operation: &'static str, value: &'v serde_json::Value) -> Result<Self, DispatchError> {
                Self::of(operation, "", value)
            }

            pub fn of(operation: &'static str, prefix: &'static str, value: &'v serde_json::Value) -> Result<Self, DispatchError> {
                let map = match value {
                    serde_json::Value::Null => None,
                    serde_json::Value::Object(map) => Some(map),
                    _ => {
                        return Err(DispatchError::BadArgument {
                            operation,
                            argument: prefix.trim_end_matches('.').to_owned(),
                            message: "expected a JSON object".to_owned(),
                        });
                    }
                };
                Ok(Self { operation, prefix, map, taken: Vec::new() })
            }

            pub fn bad(&self, name: &str, message: impl Into<String>) -> DispatchError {
                DispatchError::BadArgument {
                    operation: self.operation,
                    argument: format!("{}{name}", self.prefix),
                    message: message.into(),
                }
            }

            pub fn take(&mut self, name: &str) -> Option<&'v serde_json::Value> {
                self.taken.push(name.to_owned());
                self.map.and_then(|map| map.get(name))
            }

            pub fn decode<T: serde::de::DeserializeOwned>(&self, name: &str, value: &serde_json::Value) -> Result<T, DispatchError> {
                serde_json::from_value(value.clone()).map_err(|e| self.bad(name, e.to_string()))
            }

            pub fn required<T: serde::de::DeserializeOwned>(&mut self, name: &str) -> Result<T, DispatchError> {
                match self.take(name) {
                    Some(value) => self.decode(name, value),
                    None => Err(self.bad(name, "missing required argument")),
                }
            }

            pub fn optional<T: serde::de::DeserializeOwned>(&mut self, name: &str) -> Result<Option<T>, DispatchError> {
                match self.take(name) {
                    None => Ok(None),
                    Some(serde_json::Value::Null) => Err(self.bad(name, "null is not allowed here")),
                    Some(value) => self.decode(name, value).map(Some),
                }
            }

            pub fn nullable<T: serde::de::DeserializeOwned>(&mut self, name: &str) -> Result<Slot<T>, DispatchError> {
                match self.take(name) {
                    None => Ok(Slot::Absent),
                    Some(serde_json::Value::Null) => Ok(Slot::Null),
                    Some(value) => self.decode(name, value).map(Slot::Value),
                }
            }

            /// The nested object `name` (`body`), its keys reported as `name.key`.
            pub fn object(&mut self, name: &'static str) -> Result<Args<'v>, DispatchError> {
                static NULL: serde_json::Value = serde_json::Value::Null;
                let value = self.take(name).unwrap_or(&NULL);
                let prefix = match name {
                    "body" => "body.",
                    _ => "",
                };
                Args::of(self.operation, prefix, value)
            }

            /// Whether the object has keys outside `known`.
            pub fn has_unknown(&self, known: &[&str]) -> bool {
                self.map.is_some_and(|map| map.keys().any(|k| !known.contains(&k.as_str())))
            }

            /// The whole object decoded as `T`.
            pub fn whole<T: serde::de::DeserializeOwned>(&self) -> Result<T, DispatchError> {
                let value = self.map.cloned().map(serde_json::Value::Object).unwrap_or(serde_json::Value::Null);
                serde_json::from_value(value).map_err(|e| self.bad("", e.to_string()))
            }

            pub fn bytes(&self, name: &str, arg: FileArg) -> Result<Vec<u8>, DispatchError> {
                match arg {
                    FileArg::Text(text) => Ok(text.into_bytes()),
                    FileArg::Object { text: Some(text), base64: None, .. } => Ok(text.into_bytes()),
                    FileArg::Object { text: None, base64: Some(encoded), .. } => base64::Engine::decode(&base64::engine::general_purpose::STANDARD, encoded.trim()).ok()
                        .ok_or_else(|| self.bad(name, "invalid base64")),
                    FileArg::Object { .. } => Err(self.bad(name, "expected exactly one of `text` and `base64`")),
                }
            }

            pub fn file(&self, name: &str, arg: FileArg) -> Result<FilePart, DispatchError> {
                let (file_name, content_type) = match &arg {
                    FileArg::Object { file_name, content_type, .. } => (file_name.clone(), content_type.clone()),
                    FileArg::Text(_) => (None, None),
                };
                let mut part = FilePart::from_bytes(self.bytes(name, arg)?);
                if let Some(file_name) = file_name {
                    part = part.file_name(file_name);
                }
                if let Some(content_type) = content_type {
                    part = part.content_type(content_type);
                }
                Ok(part)
            }

            /// Fails on any key no decoder took.
            pub fn finish(self) -> Result<(), DispatchError> {
                if let Some(map) = self.map
                    && let Some(key) = map.keys().find(|k| !self.taken.contains(k))
                {
                    return Err(self.bad(key, "unknown argument"));
                }
                Ok(())
            }
        }

        pub fn outcome<T>(response: ApiResponse<T>, body: serde_json::Value) -> Outcome {
            let mut headers = std::collections::BTreeMap::<String, String>::new();
            for (name, value) in response.headers() {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                headers
                    .entry(name.as_str().to_owned())
                    .and_modify(|v| {
                        v.push_str(", ");
                        v.push_str(&value);
                    })
                    .or_insert(value);
            }
            Outcome { status: response.status().as_u16(), headers, body }
        }

    }
    }
}
