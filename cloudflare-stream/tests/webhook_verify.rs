//! Webhook verification: a valid notification decodes into a `Video`; a wrong secret, a
//! changed body, a stale time and a malformed header are each refused with their own
//! error; the receiver example answers accordingly over HTTP.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cloudflare_stream::models::VideoState;
use cloudflare_stream::webhook::{self, DEFAULT_TOLERANCE, WebhookError};

#[path = "../examples/webhook_receiver.rs"]
mod receiver_example;

const SECRET: &str = "85011ed3a913c6ad5f9cf6c5573cc0a7";
/// A notification as Stream sends it: the video, once it is ready.
const BODY: &[u8] = br#"{"uid":"dd5d531a12de0c724bd1275a3b2bc9c6","readyToStream":true,"status":{"state":"ready","pctComplete":"100.000000","errorReasonCode":"","errorReasonText":""},"meta":{"name":"lake.mp4"},"created":"2022-06-30T17:53:12.512033Z","modified":"2022-06-30T17:53:21.774299Z","duration":5.5,"size":1048576,"requireSignedURLs":false,"allowedOrigins":[],"playback":{"hls":"https://customer-m033z5x00ks6nunl.cloudflarestream.com/dd5d531a12de0c724bd1275a3b2bc9c6/manifest/video.m3u8"},"someFutureField":1}"#;
const SIGNED_AT: u64 = 1_656_611_600;

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}

fn header() -> String {
    webhook::sign(SECRET, BODY, at(SIGNED_AT))
}

#[test]
fn a_valid_notification_decodes_into_a_video() {
    let video = webhook::verify(
        SECRET,
        &header(),
        BODY,
        at(SIGNED_AT + 10),
        DEFAULT_TOLERANCE,
    )
    .unwrap();
    assert_eq!(
        video.uid.as_deref(),
        Some("dd5d531a12de0c724bd1275a3b2bc9c6")
    );
    assert_eq!(video.ready_to_stream, Some(true));
    assert_eq!(video.status.unwrap().state, Some(VideoState::Ready));
    assert_eq!(video.size, Some(1_048_576));
    assert_eq!(
        webhook::verify_signature(SECRET, &header(), BODY, at(SIGNED_AT), DEFAULT_TOLERANCE)
            .unwrap(),
        SIGNED_AT
    );
}

#[test]
fn the_signature_is_hmac_sha256_of_time_dot_body() {
    // Computed independently: printf '1656611600.{"uid":"x"}' | openssl dgst -sha256 -hmac secret
    let header = webhook::sign("secret", br#"{"uid":"x"}"#, at(SIGNED_AT));
    assert_eq!(
        header,
        "time=1656611600,sig1=95fae55d4241bb822b4ae45306777ddd5ec071139589ed4ab3c730a60b9186e8"
    );
}

#[test]
fn a_wrong_secret_is_a_signature_mismatch() {
    let error = webhook::verify(
        "another-secret",
        &header(),
        BODY,
        at(SIGNED_AT),
        DEFAULT_TOLERANCE,
    )
    .unwrap_err();
    assert!(
        matches!(error, WebhookError::SignatureMismatch),
        "{error:?}"
    );
}

#[test]
fn a_changed_body_is_a_signature_mismatch() {
    let changed = String::from_utf8(BODY.to_vec())
        .unwrap()
        .replace("\"readyToStream\":true", "\"readyToStream\":false");
    let error = webhook::verify(
        SECRET,
        &header(),
        changed.as_bytes(),
        at(SIGNED_AT),
        DEFAULT_TOLERANCE,
    )
    .unwrap_err();
    assert!(
        matches!(error, WebhookError::SignatureMismatch),
        "{error:?}"
    );
    // A changed time is caught the same way: it is signed too.
    let moved = header().replace("time=1656611600", "time=1656611601");
    let error =
        webhook::verify(SECRET, &moved, BODY, at(SIGNED_AT), DEFAULT_TOLERANCE).unwrap_err();
    assert!(
        matches!(error, WebhookError::SignatureMismatch),
        "{error:?}"
    );
}

#[test]
fn a_stale_or_future_time_is_refused() {
    let five_minutes = DEFAULT_TOLERANCE.as_secs();
    // At the edge: accepted.
    webhook::verify(
        SECRET,
        &header(),
        BODY,
        at(SIGNED_AT + five_minutes),
        DEFAULT_TOLERANCE,
    )
    .unwrap();
    let error = webhook::verify(
        SECRET,
        &header(),
        BODY,
        at(SIGNED_AT + five_minutes + 1),
        DEFAULT_TOLERANCE,
    )
    .unwrap_err();
    match error {
        WebhookError::Stale {
            signed_at,
            now,
            age,
            tolerance,
        } => {
            assert_eq!(signed_at, SIGNED_AT);
            assert_eq!(now, SIGNED_AT + five_minutes + 1);
            assert_eq!(age, Duration::from_secs(five_minutes + 1));
            assert_eq!(tolerance, DEFAULT_TOLERANCE);
        }
        other => panic!("expected Stale, got {other:?}"),
    }
    let error = webhook::verify(
        SECRET,
        &header(),
        BODY,
        at(SIGNED_AT - 3600),
        DEFAULT_TOLERANCE,
    )
    .unwrap_err();
    assert!(matches!(error, WebhookError::Stale { .. }), "{error:?}");
    // A custom tolerance.
    webhook::verify(
        SECRET,
        &header(),
        BODY,
        at(SIGNED_AT + 3600),
        Duration::from_secs(3600),
    )
    .unwrap();
}

#[test]
fn a_malformed_header_is_refused() {
    let sig = &header()["time=1656611600,sig1=".len()..];
    for bad in [
        String::new(),
        "garbage".to_owned(),
        format!("sig1={sig}"),
        "time=1656611600".to_owned(),
        format!("time=abc,sig1={sig}"),
        format!("time=-5,sig1={sig}"),
        format!("time=1656611600,sig1={}", &sig[..63]),
        format!("time=1656611600,sig1={}zz", &sig[..62]),
        format!("time=1656611600,time=1656611600,sig1={sig}"),
        format!("time=99999999999999999999999,sig1={sig}"),
    ] {
        let error =
            webhook::verify(SECRET, &bad, BODY, at(SIGNED_AT), DEFAULT_TOLERANCE).unwrap_err();
        assert!(
            matches!(error, WebhookError::MalformedHeader(_)),
            "{bad:?}: {error:?}"
        );
    }
    // Spaces, another order, unknown keys and a second candidate signature are fine.
    let zeros = "0".repeat(64);
    let lenient = format!(" sig1={zeros} , v2=whatever, sig1={sig}, time=1656611600 ");
    webhook::verify(SECRET, &lenient, BODY, at(SIGNED_AT), DEFAULT_TOLERANCE).unwrap();
}

#[test]
fn an_empty_secret_and_a_body_that_is_not_a_video_are_refused() {
    let error = webhook::verify("", &header(), BODY, at(SIGNED_AT), DEFAULT_TOLERANCE).unwrap_err();
    assert!(matches!(error, WebhookError::EmptySecret), "{error:?}");

    let body = br#"{"uid": 42}"#;
    let header = webhook::sign(SECRET, body, at(SIGNED_AT));
    match webhook::verify(SECRET, &header, body, at(SIGNED_AT), DEFAULT_TOLERANCE).unwrap_err() {
        WebhookError::InvalidBody { path, .. } => assert_eq!(path, "uid"),
        other => panic!("expected InvalidBody, got {other:?}"),
    }
    let body = b"{} trailing";
    let header = webhook::sign(SECRET, body, at(SIGNED_AT));
    let error =
        webhook::verify(SECRET, &header, body, at(SIGNED_AT), DEFAULT_TOLERANCE).unwrap_err();
    assert!(
        matches!(error, WebhookError::InvalidBody { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn receiver_example_accepts_only_signed_notifications() {
    let _entry_point: fn() -> Result<(), Box<dyn std::error::Error>> = receiver_example::main;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(receiver_example::serve(listener, SECRET.to_owned()));
    let http = reqwest::Client::new();
    let post = |signature: String, body: &'static [u8]| {
        http.post(&url)
            .header(webhook::SIGNATURE_HEADER, signature)
            .body(body)
            .send()
    };
    let now = SystemTime::now();
    let valid = post(webhook::sign(SECRET, BODY, now), BODY).await.unwrap();
    assert_eq!(valid.status(), 204);
    let forged = post(webhook::sign("guess", BODY, now), BODY).await.unwrap();
    assert_eq!(forged.status(), 401);
    let stale = post(
        webhook::sign(SECRET, BODY, now - Duration::from_secs(600)),
        BODY,
    )
    .await
    .unwrap();
    assert_eq!(stale.status(), 401);
    let missing = http.post(&url).body(BODY).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    let not_a_video = post(webhook::sign(SECRET, b"[1]", now), b"[1]")
        .await
        .unwrap();
    assert_eq!(not_a_video.status(), 400);
}
