//! `client.rs`: the API's own `Client` around the runtime's, the description of the API the
//! runtime works from (base URL, security schemes, environment variables), and the root
//! resource accessors.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::docs::{inner_lines, lines};
use super::{Emitter, ident};
use crate::load::{ApiKeyLocation, SecurityScheme};
use crate::model::ir::Api;
use crate::model::naming::{client_method, env_var};

/// The whole `client.rs`.
pub fn file(cx: &Emitter<'_>, api: &Api) -> TokenStream {
    let title = &api.title;
    let base_url = api.base_url.clone().unwrap_or_default();
    let base_url_env = env_var(&api.env_prefix, "base_url");
    let schemes = api.security_schemes.iter().map(|scheme| {
        let name = &scheme.name;
        let env = &scheme.env;
        let kind = match &scheme.kind {
            SecurityScheme::Bearer => quote!(Bearer),
            SecurityScheme::Basic => quote!(Basic),
            SecurityScheme::ApiKey { location, name } => {
                let variant = match location {
                    ApiKeyLocation::Header => format_ident!("Header"),
                    ApiKeyLocation::Query => format_ident!("Query"),
                    ApiKeyLocation::Cookie => format_ident!("Cookie"),
                };
                quote!(#variant(#name))
            }
        };
        quote! {
            client_runtime::__private::SecurityScheme {
                name: #name,
                kind: client_runtime::__private::SchemeKind::#kind,
                env: #env,
            }
        }
    });
    let security = requirement_tokens(&api.security);
    let path_defaults = api.path_defaults.iter().map(|param| {
        let env = env_var(&api.env_prefix, param);
        quote!((#param, #env))
    });
    let envelope = api.envelope;
    let request_id = match &api.request_id_header {
        Some(header) => quote!(Some(#header)),
        None => quote!(None),
    };
    let accessors = api
        .resources
        .iter()
        .filter(|r| r.parent.is_none())
        .map(|r| {
            super::operations::accessor(
                cx,
                r,
                quote!(super::operations),
                quote!('_),
                quote!(&self.inner),
            )
        });

    let module_doc = inner_lines(&format!(
        "The {title} client: its configuration and the resource handles."
    ));
    let client_doc = lines(&format!(
        "A client of the {title}.\n\nConfigure it with [`Client::builder`] or from the \
         environment with [`Client::from_env`]; reach operations through the resource \
         handles (`client.{}()`). Cheap to clone: clones share the configuration and the \
         connection pool. [`Client::runtime`] is the runtime's client, with its \
         settings (`base_url()`, `timeout()`, ...).",
        api.resources
            .iter()
            .find(|r| r.parent.is_none())
            .map_or("resource", |r| r.accessor.as_str())
    ));
    let env_doc = env_doc(api);
    let builder_doc = lines(&format!(
        "Configures a [`Client`]: credentials, base URL (`{base_url}` unless set), \
         timeouts, retries, the HTTP client."
    ));
    // The client's own methods, named from the list the model keeps resource handles off.
    let builder = ident(client_method::BUILDER);
    let new = ident(client_method::NEW);
    let from_env = ident(client_method::FROM_ENV);
    let from_env_with = ident(client_method::FROM_ENV_WITH);
    let runtime = ident(client_method::RUNTIME);
    let request = ident(client_method::REQUEST);
    let new_fn = (!api.security_schemes.is_empty()).then(|| {
        quote! {
            /// A client with the credential of the API's main security scheme (see
            /// [`ClientBuilder::token`](client_runtime::ClientBuilder::token)) and defaults
            /// otherwise.
            ///
            /// # Errors
            ///
            /// [`Error::InvalidRequest`](client_runtime::Error::InvalidRequest) for an
            /// unusable credential.
            pub fn #new(token: impl Into<String>) -> Result<Self, client_runtime::Error> {
                Self::#builder().token(token).build()
            }
        }
    });
    quote! {
        #module_doc

        /// What the runtime needs to know about this API.
        static API: client_runtime::__private::ApiConfig = client_runtime::__private::ApiConfig {
            title: #title,
            base_url: #base_url,
            base_url_env: #base_url_env,
            schemes: &[#(#schemes),*],
            security: #security,
            path_defaults: &[#(#path_defaults),*],
            envelope: #envelope,
            request_id_header: #request_id,
            user_agent: concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION")),
        };

        #client_doc
        #[derive(Clone, Debug)]
        pub struct Client {
            inner: client_runtime::Client,
        }

        #builder_doc
        pub type ClientBuilder = client_runtime::ClientBuilder<Client>;

        impl Client {
            /// A builder with this API's defaults.
            pub fn #builder() -> ClientBuilder {
                ClientBuilder::new(&API)
            }

            #new_fn

            #env_doc
            ///
            /// # Errors
            ///
            /// [`Error::MissingParameter`](client_runtime::Error::MissingParameter) naming the
            /// variable of a required credential that is not set;
            /// [`Error::InvalidRequest`](client_runtime::Error::InvalidRequest) for an
            /// unusable value.
            pub fn #from_env() -> Result<Self, client_runtime::Error> {
                Self::#builder().read_env()?.build()
            }

            /// Like [`Client::from_env`], reading variables through `lookup` (for tests, or
            /// configuration that is not in the process environment).
            ///
            /// # Errors
            ///
            /// As for [`Client::from_env`].
            pub fn #from_env_with(
                lookup: impl Fn(&str) -> Option<String>,
            ) -> Result<Self, client_runtime::Error> {
                Self::#builder().read_env_with(lookup)?.build()
            }

            /// The runtime's client: the settings this client was built with
            /// (`base_url()`, `timeout()`, `retry_policy()`, ...) and its HTTP client.
            pub fn #runtime(&self) -> &client_runtime::Client {
                &self.inner
            }

            /// A call to a path the spec does not describe (yet), sent like the
            /// generated ones: base URL, credentials, retries, timeouts and errors; see
            /// [`CustomRequest`](client_runtime::CustomRequest).
            pub fn #request(
                &self,
                method: client_runtime::http::Method,
                path: impl AsRef<str>,
            ) -> client_runtime::CustomRequest<'_> {
                self.inner.request(method, path)
            }

            #(#accessors)*
        }

        impl From<client_runtime::Client> for Client {
            fn from(inner: client_runtime::Client) -> Self {
                Self { inner }
            }
        }
    }
}

/// `&[&["a"], &["b", "c"]]`: security alternatives as the runtime takes them.
pub(super) fn requirement_tokens(alternatives: &[Vec<String>]) -> TokenStream {
    let alternatives = alternatives.iter().map(|schemes| quote!(&[#(#schemes),*]));
    quote!(&[#(#alternatives),*])
}

/// The docs of `from_env`: every variable it reads.
fn env_doc(api: &Api) -> TokenStream {
    let mut text = String::from("A client configured from the environment:\n\n");
    for scheme in &api.security_schemes {
        let what = match &scheme.kind {
            SecurityScheme::Bearer => "a bearer token".to_owned(),
            SecurityScheme::Basic => "`user:password` for basic authentication".to_owned(),
            SecurityScheme::ApiKey { name, .. } => format!("the API key `{name}`"),
        };
        text.push_str(&format!(
            "- `{}`: {what} (security scheme `{}`);\n",
            scheme.env, scheme.name
        ));
    }
    for param in &api.path_defaults {
        text.push_str(&format!(
            "- `{}` (optional): the default `{param}` path parameter;\n",
            env_var(&api.env_prefix, param)
        ));
    }
    text.push_str(&format!(
        "- `{}` (optional): replaces the default base URL.\n\n",
        env_var(&api.env_prefix, "base_url")
    ));
    if !api.security.is_empty() {
        text.push_str(
            "The credentials of at least one of the API's security alternatives are required.",
        );
    }
    lines(&text)
}

#[cfg(test)]
mod tests {
    use crate::model::naming::CLIENT_METHODS;

    /// Every method the emitted `Client` has is one the model keeps resource handles off:
    /// a method added here without a name in `naming::client_method` fails this test.
    #[test]
    fn every_client_method_is_reserved() {
        let spec = r#"{
            "openapi": "3.0.3",
            "info": { "title": "T", "version": "1" },
            "components": { "securitySchemes": { "token": { "type": "http", "scheme": "bearer" } } },
            "security": [{ "token": [] }],
            "paths": { "/a": { "get": { "operationId": "a_get", "tags": ["a"],
                "responses": { "204": { "description": "ok" } } } } }
        }"#;
        let (api, _) = crate::build_api(spec, &crate::Settings::default()).expect("builds");
        let file: syn::File =
            syn::parse2(super::file(&super::Emitter::plain("crate::models"), &api))
                .expect("parses");
        let mut own = Vec::new();
        for item in &file.items {
            let syn::Item::Impl(block) = item else {
                continue;
            };
            let syn::Type::Path(ty) = &*block.self_ty else {
                continue;
            };
            if !ty.path.is_ident("Client") || block.trait_.is_some() {
                continue;
            }
            for item in &block.items {
                if let syn::ImplItem::Fn(method) = item {
                    own.push(method.sig.ident.to_string());
                }
            }
        }
        // The handle `a` is the only method that is not the client's own.
        own.retain(|name| name != "a");
        assert!(own.len() >= 6, "{own:?}");
        for name in &own {
            assert!(
                CLIENT_METHODS.contains(&name.as_str()),
                "`{name}` is not reserved"
            );
        }
    }
}
