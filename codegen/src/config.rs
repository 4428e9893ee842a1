//! The generator's config: what a spec does not say about the crate made from it (its name
//! and package metadata, the environment-variable prefix, an envelope to unwrap, path
//! parameters the client fills, credentials for a spec that declares no security scheme).
//!
//! Read from a small TOML file checked in beside the spec (`codegen.toml`); every key is
//! optional, and a spec with no config at all gets defaults derived from the spec itself
//! (`info.title`, `servers`, `components/securitySchemes`).
//!
//! ```toml
//! [package]
//! name = "github-rest"                  # default: the title in kebab case
//! version = "0.1.0"
//! description = "..."
//! keywords = ["github", "api"]
//! categories = ["api-bindings"]
//! license = "MIT"
//! repository = "https://github.com/example/github-rest"
//!
//! [client]
//! env_prefix = "GITHUB"                 # default: the title's first word, upper case
//! envelope_field = "result"             # the field `send()` returns of each response
//! path_defaults = ["account_id"]        # string path parameters the client fills
//! request_id_header = "x-github-request-id"
//! extension_methods = ["upload"]        # Client methods hand-written code adds
//!
//! [client.env]                          # a scheme's variable (default <PREFIX>_<SCHEME>)
//! api_email = "CLOUDFLARE_EMAIL"
//!
//! [security.schemes.token]              # used when the spec declares no schemes
//! type = "bearer"                       # bearer | basic | header | query | cookie
//! # name = "X-Api-Key"                  # for header, query and cookie
//! [security]
//! default = [["token"]]                 # alternatives; default: each scheme alone
//!
//! [layout]                              # how a `--out` crate is cut (compile-cost units:
//! workspace_above = 4000                # 5 per operation, 1 per type and per field):
//! member_budget = 2000                  # a workspace above this size, members this big
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::load::{ApiKeyLocation, SecurityScheme};

/// The whole config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[package]`: the generated crate's manifest.
    #[serde(default)]
    pub package: Package,
    /// `[client]`: the generated client's conventions.
    #[serde(default)]
    pub client: ClientConfig,
    /// `[security]`: schemes for specs that declare none.
    #[serde(default)]
    pub security: SecurityConfig,
    /// `[layout]`: when a whole crate becomes a workspace of crates, and their size.
    #[serde(default)]
    pub layout: LayoutConfig,
}

/// `[layout]`, in units of compile cost (`codegen::model::placement::api_weight`: five per
/// operation, one per type and per field, variant or alternative).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayoutConfig {
    /// Above this size a `--out` crate is a workspace: a facade and member crates
    /// (`codegen::emit::WORKSPACE_ABOVE` unless set; 0: always).
    pub workspace_above: Option<usize>,
    /// The size member crates are filled to (`codegen::emit::GROUP_BUDGET` unless set).
    pub member_budget: Option<usize>,
}

/// `[package]`. Absent keys are derived from the spec (see [`Package::resolve`]).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Package {
    /// The crate name.
    pub name: Option<String>,
    /// The crate version (`0.1.0` unless set).
    pub version: Option<String>,
    /// One line about the crate.
    pub description: Option<String>,
    /// crates.io keywords.
    pub keywords: Option<Vec<String>>,
    /// crates.io categories.
    pub categories: Option<Vec<String>>,
    /// The SPDX licence expression (left out of the manifest when unset).
    pub license: Option<String>,
    /// The repository URL (left out when unset).
    pub repository: Option<String>,
}

/// `[client]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// The prefix of the environment variables `Client::from_env` reads.
    pub env_prefix: Option<String>,
    /// The response field `send()` returns, for APIs that wrap payloads in an envelope
    /// (any name; a 2xx body saying `"success": false` is then an API error). Envelopes
    /// whose payload is `result` beside exactly `success`, `errors` and `messages` become
    /// the runtime's shared `Envelope<T>`; with another name each envelope stays a struct
    /// of its own, and `send()` returns its field.
    pub envelope_field: Option<String>,
    /// Path parameters the client fills from its configuration (string parameters only).
    #[serde(default)]
    pub path_defaults: Vec<String>,
    /// The response header with the server's request id, shown in errors.
    pub request_id_header: Option<String>,
    /// Methods hand-written code adds to the generated `Client`; resource accessors avoid
    /// these names.
    #[serde(default)]
    pub extension_methods: Vec<String>,
    /// Environment variables by security scheme name, replacing `<PREFIX>_<SCHEME>`.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

/// `[security]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityConfig {
    /// Schemes by name, used only when the spec declares none.
    #[serde(default)]
    pub schemes: BTreeMap<String, SchemeConfig>,
    /// The default requirement (alternatives of scheme names), used when the spec has no
    /// top-level `security`.
    pub default: Option<Vec<Vec<String>>>,
}

/// One scheme of `[security.schemes]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemeConfig {
    /// `bearer`, `basic`, `header`, `query` or `cookie`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The header, query parameter or cookie name of an API key.
    pub name: Option<String>,
}

impl Config {
    /// Parses the TOML text of a config file.
    ///
    /// # Errors
    ///
    /// A message naming the key (and line) that does not fit.
    pub fn from_toml(text: &str) -> Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        for (name, scheme) in &config.security.schemes {
            scheme
                .to_scheme()
                .map_err(|message| format!("security.schemes.{name}: {message}"))?;
        }
        Ok(config)
    }
}

impl SchemeConfig {
    /// The scheme this entry describes.
    ///
    /// # Errors
    ///
    /// An unknown `type`, or an API key without `name`.
    pub fn to_scheme(&self) -> Result<SecurityScheme, String> {
        let location = match self.kind.as_str() {
            "bearer" => return Ok(SecurityScheme::Bearer),
            "basic" => return Ok(SecurityScheme::Basic),
            "header" => ApiKeyLocation::Header,
            "query" => ApiKeyLocation::Query,
            "cookie" => ApiKeyLocation::Cookie,
            other => {
                return Err(format!(
                    "unknown type {other:?}; expected bearer, basic, header, query or cookie"
                ));
            }
        };
        let name = self
            .name
            .clone()
            .ok_or_else(|| format!("an API key in a {} needs `name`", self.kind))?;
        Ok(SecurityScheme::ApiKey { location, name })
    }
}

/// `[package]` with every value decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedPackage {
    /// The crate name.
    pub name: String,
    /// The crate version.
    pub version: String,
    /// One line about the crate.
    pub description: String,
    /// crates.io keywords.
    pub keywords: Vec<String>,
    /// crates.io categories.
    pub categories: Vec<String>,
    /// The licence, if any.
    pub license: Option<String>,
    /// The repository, if any.
    pub repository: Option<String>,
}

impl Package {
    /// Fills what the config leaves out from the spec's title.
    pub fn resolve(&self, title: &str) -> ResolvedPackage {
        let name = self.name.clone().unwrap_or_else(|| {
            let lower = title.to_ascii_lowercase();
            let words: Vec<&str> = lower
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|word| !word.is_empty())
                .collect();
            match words.join("-").as_str() {
                "" => "api-client".to_owned(),
                name if name.starts_with(|c: char| c.is_ascii_digit()) => format!("api-{name}"),
                name => name.to_owned(),
            }
        });
        ResolvedPackage {
            name,
            version: self.version.clone().unwrap_or_else(|| "0.1.0".to_owned()),
            description: self.description.clone().unwrap_or_else(|| {
                format!(
                    "Typed, async Rust client for the {title}, generated from its OpenAPI document"
                )
            }),
            keywords: self.keywords.clone().unwrap_or_else(|| {
                vec!["api".to_owned(), "client".to_owned(), "openapi".to_owned()]
            }),
            categories: self
                .categories
                .clone()
                .unwrap_or_else(|| vec!["api-bindings".to_owned()]),
            license: self.license.clone(),
            repository: self.repository.clone(),
        }
    }
}

/// The default environment-variable prefix: the title's first word, upper case
/// (`GitHub v3 REST API` -> `GITHUB`), or `API` for a title without one.
pub fn default_env_prefix(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|word| word.starts_with(|c: char| c.is_ascii_alphabetic()))
        .map_or_else(|| "API".to_owned(), str::to_ascii_uppercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_section() {
        let config = Config::from_toml(
            r#"
            [package]
            name = "x"
            [client]
            env_prefix = "X"
            path_defaults = ["account_id"]
            [client.env]
            token = "X_KEY"
            [security.schemes.token]
            type = "query"
            name = "key"
            [security]
            default = [["token"]]
            "#,
        )
        .unwrap();
        assert_eq!(config.package.name.as_deref(), Some("x"));
        assert_eq!(config.client.env["token"], "X_KEY");
        assert_eq!(
            config.security.schemes["token"].to_scheme().unwrap(),
            SecurityScheme::ApiKey {
                location: ApiKeyLocation::Query,
                name: "key".to_owned()
            }
        );
    }

    #[test]
    fn refuses_unknown_keys_and_bad_schemes() {
        let error = Config::from_toml("[client]\nprefix = 'X'\n").unwrap_err();
        assert!(error.contains("prefix"), "{error}");
        let error = Config::from_toml("[security.schemes.k]\ntype = 'header'\n").unwrap_err();
        assert!(
            error.contains("security.schemes.k") && error.contains("name"),
            "{error}"
        );
    }

    #[test]
    fn defaults_come_from_the_title() {
        assert_eq!(default_env_prefix("GitHub v3 REST API"), "GITHUB");
        assert_eq!(default_env_prefix("  3 things"), "THINGS");
        assert_eq!(default_env_prefix("???"), "API");
        let package = Package::default().resolve("GitHub v3 REST API");
        assert_eq!(package.name, "github-v3-rest-api");
        assert_eq!(package.version, "0.1.0");
    }
}
