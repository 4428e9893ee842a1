//! Signed playback fails closed: tokens whose claims the emulator cannot read, or whose
//! access rules it does not know, are refused; NumericDates that are not integers are dates
//! all the same; `allowedOrigins` is enforced on playback.
//!
//! The tokens are signed here, with the PEM `keys_create` answers, so that every claim can be
//! given the exact JSON a third-party signer might produce (the client crate's signer only
//! writes well-formed claims).

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use reqwest::StatusCode;
use serde_json::{Value, json};
use stream_emulator::{Config, Emulator};

const MP4: &[u8] = b"\0\0\0\x18ftypmp42 and then some video bytes";

struct Fixture {
    emulator: Emulator,
    http: reqwest::Client,
    base: String,
    key_id: String,
    pem: String,
}

impl Fixture {
    async fn start() -> Self {
        let emulator = Emulator::start(Config {
            processing_step: Duration::from_secs(1),
            ..Config::default()
        })
        .await
        .expect("the emulator starts");
        let base = format!(
            "{}/accounts/{}/stream",
            emulator.api_base_url(),
            emulator.account_id()
        );
        let mut fixture = Fixture {
            emulator,
            http: reqwest::Client::new(),
            base,
            key_id: String::new(),
            pem: String::new(),
        };
        let key = fixture.api(reqwest::Method::POST, "/keys", json!({})).await;
        fixture.key_id = key["result"]["id"].as_str().expect("a key id").to_owned();
        let pem = STANDARD
            .decode(key["result"]["pem"].as_str().expect("a pem"))
            .expect("the pem is base64");
        fixture.pem = String::from_utf8(pem).expect("PEM text");
        fixture
    }

    async fn api(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let response = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(self.emulator.token())
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("the emulator answers");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        let text = response.text().await.expect("a body");
        serde_json::from_str(&text).expect("a JSON envelope")
    }

    /// A ready video (tus upload, then the clock moved past processing) with `fields` set.
    async fn video(&self, fields: Value) -> String {
        let created = self
            .http
            .post(&self.base)
            .bearer_auth(self.emulator.token())
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", MP4.len().to_string())
            .send()
            .await
            .expect("create");
        assert_eq!(created.status(), 201);
        let location = created.headers()["location"]
            .to_str()
            .expect("ascii")
            .to_owned();
        let uid = created.headers()["stream-media-id"]
            .to_str()
            .expect("ascii")
            .to_owned();
        let patched = self
            .http
            .patch(location)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", "0")
            .header("Content-Type", "application/offset+octet-stream")
            .body(MP4)
            .send()
            .await
            .expect("patch");
        assert_eq!(patched.status(), 204);
        self.emulator.advance(Duration::from_secs(10));
        self.api(reqwest::Method::POST, &format!("/{uid}"), fields)
            .await;
        uid
    }

    /// An RS256 token over exactly `claims`, signed with the account's key.
    fn sign(&self, claims: &Value) -> String {
        let header = json!({"alg": "RS256", "kid": self.key_id});
        let encode = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let message = format!("{}.{}", encode(&header), encode(claims));
        let body: String = self
            .pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let der = STANDARD.decode(body.trim()).expect("PEM body");
        let pair = ring::signature::RsaKeyPair::from_der(&der).expect("an RSA key");
        let mut signature = vec![0; pair.public().modulus_len()];
        pair.sign(
            &ring::signature::RSA_PKCS1_SHA256,
            &ring::rand::SystemRandom::new(),
            message.as_bytes(),
            &mut signature,
        )
        .expect("signed");
        format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    async fn play(&self, id: &str, headers: &[(&str, &str)]) -> StatusCode {
        let mut request = self.http.get(self.emulator.playback_url(id));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("play").status()
    }
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[tokio::test]
async fn tokens_fail_closed() {
    let fixture = Fixture::start().await;
    let uid = fixture.video(json!({"requireSignedURLs": true})).await;
    let later = now() + 3.0 * 3600.0;
    let claims = |extra: Value| {
        let mut claims = json!({"sub": uid, "kid": fixture.key_id});
        if let (Some(claims), Some(extra)) = (claims.as_object_mut(), extra.as_object()) {
            claims.extend(extra.clone());
        }
        claims
    };
    let cases: Vec<(&str, Value, StatusCode)> = vec![
        ("no exp", json!({}), StatusCode::OK),
        (
            "integer exp ahead",
            json!({"exp": later.floor()}),
            StatusCode::OK,
        ),
        (
            "fractional exp ahead",
            json!({"exp": later + 0.5}),
            StatusCode::OK,
        ),
        (
            "numeric string exp ahead",
            json!({"exp": format!("{}", later.floor())}),
            StatusCode::OK,
        ),
        (
            "fractional exp passed",
            json!({"exp": 1000.5}),
            StatusCode::FORBIDDEN,
        ),
        ("negative exp", json!({"exp": -1}), StatusCode::FORBIDDEN),
        ("string exp", json!({"exp": "soon"}), StatusCode::FORBIDDEN),
        ("null exp", json!({"exp": null}), StatusCode::FORBIDDEN),
        ("boolean exp", json!({"exp": true}), StatusCode::FORBIDDEN),
        (
            "object nbf",
            json!({"nbf": {"at": 1}}),
            StatusCode::FORBIDDEN,
        ),
        (
            "fractional nbf ahead",
            json!({"nbf": later + 0.5}),
            StatusCode::FORBIDDEN,
        ),
        ("negative nbf", json!({"nbf": -1}), StatusCode::OK),
        (
            "unknown rule type",
            json!({"accessRules": [{"type": "ip.asn", "action": "block"}]}),
            StatusCode::FORBIDDEN,
        ),
        (
            "unknown rule type after a matching allow",
            json!({"accessRules": [
                {"type": "any", "action": "allow"},
                {"type": "referrer", "action": "block"}
            ]}),
            StatusCode::FORBIDDEN,
        ),
        (
            "unknown action",
            json!({"accessRules": [{"type": "any", "action": "log"}]}),
            StatusCode::FORBIDDEN,
        ),
        (
            "known rules",
            json!({"accessRules": [
                {"type": "ip.geoip.country", "action": "block", "country": ["FR"]},
                {"type": "any", "action": "allow"}
            ]}),
            StatusCode::OK,
        ),
    ];
    for (case, extra, expected) in cases {
        let token = fixture.sign(&claims(extra));
        assert_eq!(fixture.play(&token, &[]).await, expected, "{case}");
    }
    // The same token twice as a sanity check that the signer is what is tested: a token with
    // one byte of its signature changed is refused.
    let token = fixture.sign(&claims(json!({})));
    let mut forged = token.clone();
    let last = forged.pop().expect("a signature");
    forged.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(fixture.play(&forged, &[]).await, StatusCode::FORBIDDEN);
}

/// A playback case: its name, the video, the request's headers, the expected status.
type OriginCase<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, StatusCode);

#[tokio::test]
async fn allowed_origins_are_enforced() {
    let fixture = Fixture::start().await;
    let open = fixture.video(json!({})).await;
    let listed = fixture
        .video(json!({"allowedOrigins": ["example.com", "*.trusted.org"]}))
        .await;
    let cases: Vec<OriginCase<'_>> = vec![
        ("no list, no origin", &open, vec![], StatusCode::OK),
        (
            "no list, any origin",
            &open,
            vec![("Origin", "https://evil.test")],
            StatusCode::OK,
        ),
        (
            "listed origin",
            &listed,
            vec![("Origin", "https://example.com")],
            StatusCode::OK,
        ),
        (
            "listed origin with a port",
            &listed,
            vec![("Origin", "http://EXAMPLE.com:8080")],
            StatusCode::OK,
        ),
        (
            "subdomain of a wildcard",
            &listed,
            vec![("Origin", "https://a.trusted.org")],
            StatusCode::OK,
        ),
        (
            "the wildcard's own domain",
            &listed,
            vec![("Origin", "https://trusted.org")],
            StatusCode::FORBIDDEN,
        ),
        (
            "other origin",
            &listed,
            vec![("Origin", "https://evil.test")],
            StatusCode::FORBIDDEN,
        ),
        (
            "a suffix that is no subdomain",
            &listed,
            vec![("Origin", "https://nottrusted.org")],
            StatusCode::FORBIDDEN,
        ),
        (
            "subdomain of an exact entry",
            &listed,
            vec![("Origin", "https://www.example.com")],
            StatusCode::FORBIDDEN,
        ),
        (
            "referer when no origin",
            &listed,
            vec![("Referer", "https://example.com/page?x=1")],
            StatusCode::OK,
        ),
        (
            "opaque origin",
            &listed,
            vec![("Origin", "null")],
            StatusCode::FORBIDDEN,
        ),
        ("no origin at all", &listed, vec![], StatusCode::FORBIDDEN),
    ];
    for (case, uid, headers, expected) in cases {
        assert_eq!(fixture.play(uid, &headers).await, expected, "{case}");
    }
}
