//! Runtime pieces that need no server: configuration from the environment, builder
//! validation, redaction of credentials, and the `Nullable` tri-state.

use std::collections::HashMap;
use std::time::Duration;

use client_runtime::http::{HeaderMap, StatusCode};
use client_runtime::{ApiResponse, Client, Error, Nullable, RetryPolicy, Secret};
use serde::{Deserialize, Serialize};
use serde_json::json;

mod common;

use common::{builder, plain};

fn from_env(pairs: &[(&str, &str)]) -> Result<Client, Error> {
    builder().read_env_with(env(pairs))?.build()
}

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    move |key| map.get(key).cloned()
}

#[test]
fn from_env_with_token_and_account() {
    let client = from_env(&[
        ("EXAMPLE_API_TOKEN", "env-token-secret"),
        ("EXAMPLE_ACCOUNT_ID", "acc-1"),
    ])
    .unwrap();
    let token = client.credentials().get("api_token").unwrap();
    assert_eq!(token.expose(), "env-token-secret");
    assert_eq!(client.default_path_param("account_id").unwrap(), "acc-1");
    assert_eq!(
        client.base_url().as_str(),
        "https://api.example.com/client/v4"
    );
    assert_eq!(client.timeout(), Duration::from_secs(60));
    assert_eq!(client.retry_policy(), &RetryPolicy::default());
    assert_eq!(client.retry_policy().max_retries(), 2);
    assert_eq!(client.user_agent(), "example-client/1.0");
    assert!(!format!("{client:?}").contains("env-token-secret"));
}

#[test]
fn from_env_with_api_key_and_base_url() {
    let client = from_env(&[
        ("EXAMPLE_API_TOKEN", "  "),
        ("EXAMPLE_EMAIL", "me@example.com"),
        ("EXAMPLE_API_KEY", "key-secret"),
        ("EXAMPLE_BASE_URL", "http://127.0.0.1:9/client/v4"),
    ])
    .unwrap();
    let credentials = client.credentials();
    assert_eq!(credentials.get("api_token"), None);
    assert_eq!(
        credentials.get("api_email").unwrap().expose(),
        "me@example.com"
    );
    assert_eq!(credentials.get("api_key").unwrap().expose(), "key-secret");
    assert_eq!(client.base_url().as_str(), "http://127.0.0.1:9/client/v4");
    let error = client.default_path_param("account_id").unwrap_err();
    assert!(matches!(
        error,
        Error::MissingParameter { name: "account_id" }
    ));
    assert!(!format!("{client:?}").contains("key-secret"));
}

#[test]
fn from_env_without_credentials() {
    let error = from_env(&[("EXAMPLE_ACCOUNT_ID", "acc-1")]).unwrap_err();
    assert!(
        matches!(
            error,
            Error::MissingParameter {
                name: "EXAMPLE_API_TOKEN"
            }
        ),
        "{error:?}"
    );
    // An email without a key is not enough either.
    let error = from_env(&[("EXAMPLE_EMAIL", "me@example.com")]).unwrap_err();
    assert!(matches!(error, Error::MissingParameter { .. }), "{error:?}");
    // Credentials given in code first are kept when the environment has none.
    let client = builder()
        .token("in-code")
        .read_env_with(env(&[("EXAMPLE_ZONE_ID", "z")]))
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(
        client.credentials().get("api_token").unwrap().expose(),
        "in-code"
    );
    assert_eq!(client.default_path_param("zone_id").unwrap(), "z");
}

#[test]
fn credentials_follow_the_declared_schemes() {
    // `token` is the scheme that stands alone in the default requirement.
    let client = plain().token("k").build().unwrap();
    assert_eq!(client.credentials().get("key").unwrap().expose(), "k");
    let client = plain().basic_auth("user", "pass").build().unwrap();
    assert_eq!(
        client.credentials().get("basic").unwrap().expose(),
        "user:pass"
    );
    // Unknown schemes and APIs without the kind asked for are build errors.
    let error = plain().credential("nope", "x").build().unwrap_err();
    assert!(
        error.to_string().contains("no security scheme `nope`"),
        "{error}"
    );
    let error = builder().basic_auth("u", "p").build().unwrap_err();
    assert!(
        error.to_string().contains("no basic-auth scheme"),
        "{error}"
    );
    // A basic credential from the environment is `user:password`.
    let client = plain()
        .read_env_with(env(&[("PLAIN_BASIC", "u:p")]))
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(client.credentials().get("basic").unwrap().expose(), "u:p");
}

#[test]
fn builder_validates_configuration() {
    let no_credentials = builder().build().unwrap_err();
    assert!(matches!(no_credentials, Error::InvalidRequest { .. }));

    for base_url in [
        "not a url",
        "ftp://example.com/",
        "http://h/x?q=1",
        "mailto:a@b",
    ] {
        let error = builder().token("t").base_url(base_url).build().unwrap_err();
        assert!(
            matches!(error, Error::InvalidRequest { .. }),
            "{base_url}: {error:?}"
        );
    }

    let error = builder().token("bad\ntoken-secret").build().unwrap_err();
    assert!(matches!(error, Error::InvalidRequest { .. }));
    assert!(!format!("{error} {error:?}").contains("token-secret"));

    let error = builder().token("").build().unwrap_err();
    assert!(matches!(error, Error::InvalidRequest { .. }));
}

#[test]
fn builder_settings_are_kept() {
    let client = builder()
        .token("t")
        .base_url("http://localhost:8080/client/v4/")
        .path_default("account_id", "a")
        .path_default("zone_id", "z")
        .timeout(Duration::from_millis(250))
        .max_retries(5)
        .retry_backoff(Duration::from_millis(10), Duration::from_millis(20))
        .build()
        .unwrap();
    assert_eq!(client.default_path_param("zone_id").unwrap(), "z");
    assert_eq!(client.path_defaults().len(), 2);
    assert_eq!(client.timeout(), Duration::from_millis(250));
    assert_eq!(
        client.retry_policy(),
        &RetryPolicy::new(5, Duration::from_millis(10), Duration::from_millis(20))
    );
    let clone = client.clone();
    assert_eq!(clone.base_url(), client.base_url());
}

#[test]
fn secrets_are_redacted() {
    let secret = Secret::new("very-secret");
    assert_eq!(format!("{secret}"), "[redacted]");
    assert_eq!(format!("{secret:?}"), "[redacted]");
    let client = builder()
        .credential("api_email", "me@example.com")
        .credential("api_key", "very-secret")
        .build()
        .unwrap();
    assert!(!format!("{:?}", client.credentials()).contains("very-secret"));
    assert!(!format!("{client:?}").contains("very-secret"));
    let builder = builder().token("very-secret");
    assert!(!format!("{builder:?}").contains("very-secret"));
}

#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
struct Patch {
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    scheduled_deletion: Nullable<String>,
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    max_size: Nullable<u64>,
}

#[test]
fn nullable_round_trip() {
    let cases = [
        (Patch::default(), json!({})),
        (
            Patch {
                scheduled_deletion: Nullable::Null,
                max_size: Nullable::Absent,
            },
            json!({"scheduled_deletion": null}),
        ),
        (
            Patch {
                scheduled_deletion: "2030-01-01T00:00:00Z".to_owned().into(),
                max_size: Some(5).into(),
            },
            json!({"scheduled_deletion": "2030-01-01T00:00:00Z", "max_size": 5}),
        ),
    ];
    for (patch, wire) in cases {
        assert_eq!(serde_json::to_value(&patch).unwrap(), wire);
        assert_eq!(serde_json::from_value::<Patch>(wire).unwrap(), patch);
    }
    let error = serde_json::from_value::<Patch>(json!({"max_size": "big"})).unwrap_err();
    assert!(error.to_string().contains("invalid type"), "{error}");
}

#[test]
fn api_response_accessors() {
    let mut headers = HeaderMap::new();
    headers.insert("x-total", "3".parse().unwrap());
    let response = ApiResponse::new(StatusCode::OK, headers, vec![1, 2, 3]);
    assert_eq!(response.header("x-total"), Some("3"));
    assert_eq!(response.header("missing"), None);
    let mapped = response.map(|items| items.len());
    assert_eq!(*mapped.body(), 3);
    assert_eq!(mapped.status(), StatusCode::OK);
    let (status, headers, body) = mapped.into_parts();
    assert_eq!((status, headers.len(), body), (StatusCode::OK, 1, 3));
}

#[test]
fn missing_result_error() {
    let error = Error::missing_result("things_get", "result");
    assert_eq!(
        error.to_string(),
        "the response of `things_get` has no `result`"
    );
    let error = Error::missing_result("things_get", "data");
    assert_eq!(
        error.to_string(),
        "the response of `things_get` has no `data`"
    );
    assert_eq!(error.status(), None);
    assert!(!error.is_retryable());
}
