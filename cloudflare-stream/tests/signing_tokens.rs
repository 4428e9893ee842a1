//! Signed URL tokens: made locally, verified with the public half of the key (from the
//! JWK), every claim checked, and every refusal a typed error.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use cloudflare_stream::Client;
use cloudflare_stream::models::Keys;
use cloudflare_stream::signing::{AccessRule, SigningError, SigningKey};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

#[path = "../examples/signed_url.rs"]
mod signed_url_example;

const PEM: &str = include_str!("data/signing_key.pem");
const PKCS8_PEM: &str = include_str!("data/signing_key_pkcs8.pem");
const JWK: &str = include_str!("data/signing_key.jwk.json");
const KEY_ID: &str = "5213cfa121f70b8c1380686ffc371ba3";
const VIDEO: &str = "ea95132c15732412d22c1476fa83f27a";
/// 2021-01-01T00:00:00Z.
const ISSUED: u64 = 1_609_459_200;

/// The key as `client.keys().create()` returns it: `pem` and `jwk` base64-encoded.
fn key_response() -> Keys {
    serde_json::from_value(json!({
        "id": KEY_ID,
        "created": "2021-01-01T00:00:00Z",
        "pem": STANDARD.encode(PEM),
        "jwk": STANDARD.encode(JWK),
    }))
    .unwrap()
}

/// The public half of the key, from the JWK's `n` and `e` only.
fn public_key() -> DecodingKey {
    let jwk: Value = serde_json::from_str(JWK).unwrap();
    let public = json!({
        "kty": "RSA", "use": "sig", "alg": "RS256", "kid": jwk["kid"],
        "n": jwk["n"], "e": jwk["e"],
    });
    let public: jsonwebtoken::jwk::Jwk = serde_json::from_value(public).unwrap();
    DecodingKey::from_jwk(&public).unwrap()
}

/// Verifies the signature (and `exp`/`nbf` against the clock when `at_real_time`);
/// returns the header and the claims.
fn verify(token: &str, at_real_time: bool) -> (jsonwebtoken::Header, Value) {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.leeway = 0;
    validation.validate_exp = at_real_time;
    validation.validate_nbf = at_real_time;
    validation.set_required_spec_claims(&["exp", "nbf", "sub"]);
    let data = jsonwebtoken::decode::<Value>(token, &public_key(), &validation).unwrap();
    (data.header, data.claims)
}

fn issued() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(ISSUED)
}

fn key() -> SigningKey {
    SigningKey::from_key_response(&key_response()).unwrap()
}

#[test]
fn every_claim_is_signed_and_verifies_with_the_public_key() {
    let token = key()
        .sign(VIDEO)
        .issued_at(issued())
        .expires_in(Duration::from_secs(7200))
        .not_before(ISSUED - 60)
        .downloadable(true)
        .original(true)
        .access_rule(AccessRule::block_countries(["us", "MX"]))
        .access_rule(AccessRule::allow_ips(["93.184.216.0/24", "2400:cb00::/32"]))
        .access_rule(AccessRule::block_ips(["10.0.0.1"]))
        .access_rule(AccessRule::allow_countries(["CA"]))
        .access_rule(AccessRule::allow_any())
        .access_rule(AccessRule::block_any())
        .build()
        .unwrap();
    assert_eq!(token.video_uid(), VIDEO);
    assert_eq!(token.expires_at(), ISSUED + 7200);

    let (header, claims) = verify(token.as_str(), false);
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(header.kid.as_deref(), Some(KEY_ID));
    assert_eq!(header.typ, None);
    assert_eq!(
        claims,
        json!({
            "sub": VIDEO,
            "kid": KEY_ID,
            "exp": ISSUED + 7200,
            "nbf": ISSUED - 60,
            "downloadable": true,
            "flags": {"original": true},
            "accessRules": [
                {"type": "ip.geoip.country", "action": "block", "country": ["US", "MX"]},
                {"type": "ip.src", "action": "allow", "ip": ["93.184.216.0/24", "2400:cb00::/32"]},
                {"type": "ip.src", "action": "block", "ip": ["10.0.0.1"]},
                {"type": "ip.geoip.country", "action": "allow", "country": ["CA"]},
                {"type": "any", "action": "allow"},
                {"type": "any", "action": "block"},
            ],
        })
    );
}

#[test]
fn defaults_are_one_hour_either_side_and_valid_now() {
    let before = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let token = key().sign(VIDEO).build().unwrap();
    let (_, claims) = verify(token.as_str(), true);
    let exp = claims["exp"].as_u64().unwrap();
    assert!(exp >= before + 3600 && exp <= before + 3605, "{claims}");
    // Valid from an hour before signing, as the API's tokens are.
    assert_eq!(claims["nbf"].as_u64().unwrap(), exp - 2 * 3600);
    let mut names: Vec<_> = claims.as_object().unwrap().keys().collect();
    names.sort();
    assert_eq!(names, ["exp", "kid", "nbf", "sub"]);
    // In the token, as written: `sub`, `kid`, `exp`, `nbf`.
    let payload = token.as_str().split('.').nth(1).unwrap();
    let payload = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let at = |name: &str| payload.find(&format!("\"{name}\":")).unwrap();
    assert!(
        at("sub") < at("kid") && at("kid") < at("exp") && at("exp") < at("nbf"),
        "{payload}"
    );
}

#[test]
fn pem_pkcs8_and_jwk_forms_make_the_same_token() {
    let sign = |key: SigningKey| {
        key.sign(VIDEO)
            .issued_at(issued())
            .downloadable(false)
            .build()
            .unwrap()
            .as_str()
            .to_owned()
    };
    let from_response = sign(key());
    // RSA PKCS#1 v1.5 signatures are deterministic: the same key gives the same token.
    assert_eq!(
        sign(SigningKey::from_pem(KEY_ID, PEM).unwrap()),
        from_response
    );
    assert_eq!(
        sign(SigningKey::from_pem(KEY_ID, &STANDARD.encode(PKCS8_PEM)).unwrap()),
        from_response
    );
    assert_eq!(sign(SigningKey::from_jwk(JWK).unwrap()), from_response);
    let mut jwk_only = key_response();
    jwk_only.pem = None;
    assert_eq!(
        sign(SigningKey::from_key_response(&jwk_only).unwrap()),
        from_response
    );
    assert_eq!(SigningKey::from_jwk(JWK).unwrap().id(), KEY_ID);
}

#[test]
fn expiry_is_at_most_24_hours_ahead() {
    let key = key();
    let day = 24 * 3600;
    let at_limit = key
        .sign(VIDEO)
        .issued_at(issued())
        .expires_in(Duration::from_secs(day))
        .build()
        .unwrap();
    assert_eq!(at_limit.expires_at(), ISSUED + day);
    let error = key
        .sign(VIDEO)
        .issued_at(issued())
        .expires_in(Duration::from_secs(day + 1))
        .build()
        .unwrap_err();
    assert!(
        matches!(error, SigningError::ExpiryTooFar { exp, issued_at } if exp == ISSUED + day + 1 && issued_at == ISSUED),
        "{error:?}"
    );
    assert!(error.to_string().contains("24 hours"), "{error}");
    let error = key
        .sign(VIDEO)
        .issued_at(issued())
        .expires_at(ISSUED + 2 * day)
        .build()
        .unwrap_err();
    assert!(
        matches!(error, SigningError::ExpiryTooFar { .. }),
        "{error:?}"
    );
}

#[test]
fn impossible_claims_are_refused() {
    let key = key();
    let build = |builder: cloudflare_stream::signing::TokenBuilder<'_>| {
        builder.issued_at(issued()).build().unwrap_err()
    };
    assert!(matches!(
        build(key.sign(VIDEO).expires_at(ISSUED)),
        SigningError::ExpiryNotInFuture { .. }
    ));
    assert!(matches!(
        build(key.sign(VIDEO).expires_at(ISSUED - 10)),
        SigningError::ExpiryNotInFuture { .. }
    ));
    assert!(matches!(
        build(key.sign(VIDEO).not_before(ISSUED + 3600)),
        SigningError::NotBeforeAfterExpiry { .. }
    ));
    assert!(matches!(build(key.sign(" ")), SigningError::EmptyVideoUid));
    for rule in [
        AccessRule::allow_countries(["USA"]),
        AccessRule::block_countries(Vec::<String>::new()),
        AccessRule::allow_ips(["1.2.3.4/33"]),
        AccessRule::allow_ips(["2400:cb00::/129"]),
        AccessRule::block_ips(["example.com"]),
        AccessRule::block_ips(Vec::<String>::new()),
    ] {
        let error = build(key.sign(VIDEO).access_rule(rule.clone()));
        assert!(
            matches!(error, SigningError::InvalidAccessRule(_)),
            "{rule:?}: {error:?}"
        );
    }
}

#[test]
fn malformed_keys_are_refused_with_typed_errors() {
    let pem_error = |id: &str, pem: &str| SigningKey::from_pem(id, pem).unwrap_err();
    assert!(matches!(pem_error("", PEM), SigningError::MissingKeyId));
    assert!(matches!(
        pem_error(KEY_ID, "not base64 at all!"),
        SigningError::InvalidPem(_)
    ));
    assert!(matches!(
        pem_error(KEY_ID, &STANDARD.encode("hello")),
        SigningError::InvalidPem(_)
    ));
    let broken = PEM.replace("MII", "MIJ");
    assert!(matches!(
        pem_error(KEY_ID, &broken),
        SigningError::InvalidPem(_)
    ));
    let truncated: String =
        PEM.lines().take(10).collect::<Vec<_>>().join("\n") + "\n-----END RSA PRIVATE KEY-----\n";
    assert!(matches!(
        pem_error(KEY_ID, &truncated),
        SigningError::InvalidPem(_)
    ));

    let mut jwk: Value = serde_json::from_str(JWK).unwrap();
    let jwk_error = |jwk: &Value| SigningKey::from_jwk(&jwk.to_string()).unwrap_err();
    jwk.as_object_mut().unwrap().remove("d");
    assert!(
        matches!(jwk_error(&jwk), SigningError::InvalidJwk(message) if message.contains("`d`"))
    );
    let mut wrong_type: Value = serde_json::from_str(JWK).unwrap();
    wrong_type["kty"] = json!("EC");
    assert!(matches!(
        jwk_error(&wrong_type),
        SigningError::InvalidJwk(_)
    ));
    let mut wrong_prime: Value = serde_json::from_str(JWK).unwrap();
    wrong_prime["p"] = wrong_prime["q"].clone();
    assert!(matches!(
        jwk_error(&wrong_prime),
        SigningError::InvalidJwk(_)
    ));
    let mut no_kid: Value = serde_json::from_str(JWK).unwrap();
    no_kid.as_object_mut().unwrap().remove("kid");
    assert!(matches!(jwk_error(&no_kid), SigningError::MissingKeyId));
    assert!(matches!(
        SigningKey::from_jwk("e30=").unwrap_err(),
        SigningError::InvalidJwk(_)
    ));

    let mut empty = key_response();
    empty.pem = None;
    empty.jwk = None;
    assert!(matches!(
        SigningKey::from_key_response(&empty).unwrap_err(),
        SigningError::MissingKeyMaterial
    ));
    let mut no_id = key_response();
    no_id.id = None;
    assert!(matches!(
        SigningKey::from_key_response(&no_id).unwrap_err(),
        SigningError::MissingKeyId
    ));
}

#[test]
fn playback_urls_and_redacted_debug() {
    let token = key().sign(VIDEO).issued_at(issued()).build().unwrap();
    let jwt = token.as_str();
    assert_eq!(
        token.hls_url("m033z5x00ks6nunl").unwrap(),
        format!("https://customer-m033z5x00ks6nunl.cloudflarestream.com/{jwt}/manifest/video.m3u8")
    );
    assert_eq!(
        token.dash_url("abc").unwrap(),
        format!("https://customer-abc.cloudflarestream.com/{jwt}/manifest/video.mpd")
    );
    assert_eq!(
        token.url("abc", "/thumbnails/thumbnail.jpg").unwrap(),
        format!("https://customer-abc.cloudflarestream.com/{jwt}/thumbnails/thumbnail.jpg")
    );
    for code in ["", "ABC", "a.b", "x/y"] {
        assert!(matches!(
            token.hls_url(code),
            Err(SigningError::InvalidCustomerCode(_))
        ));
    }
    let debug = format!("{:?} {:?}", key(), token);
    assert!(!debug.contains(jwt) && !debug.contains("MII"), "{debug}");
    assert!(debug.contains(KEY_ID) && debug.contains(VIDEO), "{debug}");
    assert_eq!(token.to_string(), jwt);
}

// ---------------------------------------------------------------- the example

/// Answers `POST /accounts/acc/stream/keys` with the test key, as the API does.
async fn keys_server() -> SocketAddr {
    async fn handle(method: Method, uri: Uri, headers: HeaderMap) -> Response {
        let authorized = headers.get("authorization").map(|v| v.as_bytes()) == Some(b"Bearer t");
        if method != Method::POST
            || uri.path() != "/client/v4/accounts/acc/stream/keys"
            || !authorized
        {
            return StatusCode::NOT_FOUND.into_response();
        }
        let body = json!({
            "success": true, "errors": [], "messages": [],
            "result": serde_json::to_value(key_response()).unwrap(),
        });
        ([("content-type", "application/json")], body.to_string()).into_response()
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = Router::new().fallback(handle);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    address
}

#[tokio::test]
async fn signed_url_example_runs_against_a_local_server() {
    let _entry_point: fn() -> Result<(), Box<dyn std::error::Error>> = signed_url_example::main;
    let address = keys_server().await;
    let client = Client::builder()
        .token("t")
        .path_default("account_id", "acc")
        .base_url(format!("http://{address}/client/v4"))
        .build()
        .unwrap();
    let url = signed_url_example::run(&client, VIDEO, "m033z5x00ks6nunl")
        .await
        .unwrap();
    let token = url
        .strip_prefix("https://customer-m033z5x00ks6nunl.cloudflarestream.com/")
        .and_then(|rest| rest.strip_suffix("/manifest/video.m3u8"))
        .unwrap();
    let (header, claims) = verify(token, true);
    assert_eq!(header.kid.as_deref(), Some(KEY_ID));
    assert_eq!(claims["sub"], VIDEO);
    let span = claims["exp"].as_u64().unwrap() - claims["nbf"].as_u64().unwrap();
    assert_eq!(
        span,
        3 * 3600,
        "valid from an hour before signing to two hours after"
    );
    assert_eq!(
        claims["accessRules"],
        json!([
            {"type": "ip.geoip.country", "action": "allow", "country": ["US", "CA"]},
            {"type": "any", "action": "block"},
        ])
    );
}
