//! The API descriptions the runtime's tests run against, as a generated crate would
//! declare them.

use client_runtime::__private::{ApiConfig, SchemeKind, SecurityScheme};
use client_runtime::{Client, ClientBuilder};

/// An envelope API with a bearer token or a pair of key headers (as Cloudflare's), and an
/// `account_id` the client fills.
pub static API: ApiConfig = ApiConfig {
    title: "Example API",
    base_url: "https://api.example.com/client/v4",
    base_url_env: "EXAMPLE_BASE_URL",
    schemes: &[
        SecurityScheme {
            name: "api_token",
            kind: SchemeKind::Bearer,
            env: "EXAMPLE_API_TOKEN",
        },
        SecurityScheme {
            name: "api_email",
            kind: SchemeKind::Header("X-Auth-Email"),
            env: "EXAMPLE_EMAIL",
        },
        SecurityScheme {
            name: "api_key",
            kind: SchemeKind::Header("X-Auth-Key"),
            env: "EXAMPLE_API_KEY",
        },
    ],
    security: &[&["api_token"], &["api_email", "api_key"]],
    path_defaults: &[
        ("account_id", "EXAMPLE_ACCOUNT_ID"),
        ("zone_id", "EXAMPLE_ZONE_ID"),
    ],
    envelope: true,
    request_id_header: Some("x-request-id"),
    user_agent: "example-client/1.0",
};

/// A plain JSON API (no envelope) with basic auth or an API key in the query.
pub static PLAIN: ApiConfig = ApiConfig {
    title: "Plain API",
    base_url: "https://plain.example.com",
    base_url_env: "PLAIN_BASE_URL",
    schemes: &[
        SecurityScheme {
            name: "basic",
            kind: SchemeKind::Basic,
            env: "PLAIN_BASIC",
        },
        SecurityScheme {
            name: "key",
            kind: SchemeKind::Query("api_key"),
            env: "PLAIN_KEY",
        },
        SecurityScheme {
            name: "session",
            kind: SchemeKind::Cookie("sid"),
            env: "PLAIN_SESSION",
        },
    ],
    security: &[&["key"], &["basic"]],
    path_defaults: &[],
    envelope: false,
    request_id_header: None,
    user_agent: "plain-client/1.0",
};

/// A builder for [`API`].
pub fn builder() -> ClientBuilder {
    ClientBuilder::<Client>::new(&API)
}

/// A builder for [`PLAIN`].
pub fn plain() -> ClientBuilder {
    ClientBuilder::<Client>::new(&PLAIN)
}
