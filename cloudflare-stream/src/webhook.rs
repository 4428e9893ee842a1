//! Verifying Stream's webhook notifications.
//!
//! Stream signs each notification with the secret that `client.webhooks().update(...)`
//! returned, in the header `Webhook-Signature: time=<unix seconds>,sig1=<hex>`, where
//! `sig1` is HMAC-SHA256 of `<time>.<body>` keyed with the secret. [`verify`] checks the
//! signature in constant time, refuses notifications signed too long ago (a replayed
//! request), and decodes the body into the [`Video`] it describes.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use cloudflare_stream::webhook;
//!
//! let secret = "85011ed3a913c6ad5f9cf6c5573cc0a7";
//! let body = br#"{"uid":"6b9e68b07dfee8cc2d116e4c51d6a957","readyToStream":true,"status":{"state":"ready"}}"#;
//! let now = SystemTime::now();
//! // What Stream sends; a receiver gets it from the request's headers.
//! let header = webhook::sign(secret, body, now);
//!
//! let video = webhook::verify(secret, &header, body, now, webhook::DEFAULT_TOLERANCE)?;
//! assert_eq!(video.uid.as_deref(), Some("6b9e68b07dfee8cc2d116e4c51d6a957"));
//! # Ok::<(), webhook::WebhookError>(())
//! ```
//!
//! Verify the body exactly as received, before any parsing or re-encoding: one changed
//! byte, even whitespace, breaks the signature.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

// HMAC-SHA256 from `ring`, which is in the tree already as rustls's crypto.
use ring::hmac;

use crate::models::Video;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "Webhook-Signature";
/// How far the signing time may be from now unless told otherwise: 5 minutes.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);

/// Why a notification was refused. Each check has its own variant.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The secret is empty (a configuration mistake that would accept forged requests
    /// signed with an empty key).
    #[error("the webhook secret is empty")]
    EmptySecret,
    /// The `Webhook-Signature` header is not `time=<unix seconds>,sig1=<64 hex digits>`.
    #[error("malformed Webhook-Signature header: {0}")]
    MalformedHeader(String),
    /// The signature does not match: the secret is wrong, or the body or time was
    /// changed. (No verifier can tell which.)
    #[error("the webhook signature does not match the body")]
    SignatureMismatch,
    /// The signing time is further from now than the tolerance: a replayed request, or a
    /// clock far off. Checked after the signature, so the time can be trusted.
    #[error(
        "the webhook was signed at {signed_at}, {age:?} away from now ({now}); tolerance {tolerance:?}"
    )]
    Stale {
        /// The signing time from the header (Unix seconds).
        signed_at: u64,
        /// The time it was checked against (Unix seconds).
        now: u64,
        /// How far apart they are.
        age: Duration,
        /// The tolerance that was exceeded.
        tolerance: Duration,
    },
    /// The signature is valid but the body is not a video notification.
    #[error("the webhook body is not a video notification at `{path}`: {message}")]
    InvalidBody {
        /// Where decoding failed (`status.state`, `.` for the root).
        path: String,
        /// What was wrong.
        message: String,
    },
}

/// Verifies a notification and decodes it: the header's signature over `body`, its time
/// within `tolerance` of `now` (either way), then the body as a [`Video`].
///
/// `signature_header` is the value of [`SIGNATURE_HEADER`]; `body` the raw request body.
/// Use [`DEFAULT_TOLERANCE`] unless there is a reason not to.
///
/// # Errors
///
/// [`WebhookError::EmptySecret`], [`WebhookError::MalformedHeader`],
/// [`WebhookError::SignatureMismatch`], [`WebhookError::Stale`] or
/// [`WebhookError::InvalidBody`], checked in that order.
pub fn verify(
    secret: &str,
    signature_header: &str,
    body: &[u8],
    now: SystemTime,
    tolerance: Duration,
) -> Result<Video, WebhookError> {
    verify_signature(secret, signature_header, body, now, tolerance)?;
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let video: Video = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        WebhookError::InvalidBody {
            path: error.path().to_string(),
            message: error.inner().to_string(),
        }
    })?;
    deserializer
        .end()
        .map_err(|error| WebhookError::InvalidBody {
            path: ".".to_owned(),
            message: error.to_string(),
        })?;
    Ok(video)
}

/// Like [`verify`], without decoding the body; returns the signing time (Unix seconds).
///
/// # Errors
///
/// As for [`verify`], but never [`WebhookError::InvalidBody`].
pub fn verify_signature(
    secret: &str,
    signature_header: &str,
    body: &[u8],
    now: SystemTime,
    tolerance: Duration,
) -> Result<u64, WebhookError> {
    if secret.is_empty() {
        return Err(WebhookError::EmptySecret);
    }
    let header = parse_header(signature_header)?;
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let message = signed_message(header.time_text, body);
    // Several `sig1` values may come during a secret rotation: any one that matches will
    // do. `hmac::verify` compares in constant time.
    let matches = header
        .signatures
        .iter()
        .any(|signature| hmac::verify(&key, &message, signature).is_ok());
    if !matches {
        return Err(WebhookError::SignatureMismatch);
    }
    let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let age = Duration::from_secs(now.abs_diff(header.time));
    if age > tolerance {
        return Err(WebhookError::Stale {
            signed_at: header.time,
            now,
            age,
            tolerance,
        });
    }
    Ok(header.time)
}

/// The `Webhook-Signature` value Stream would send for `body` at `time`: for tests of
/// webhook receivers, and for forwarding notifications between services.
pub fn sign(secret: &str, body: &[u8], time: SystemTime) -> String {
    let time = time
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
        .to_string();
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let signature = hmac::sign(&key, &signed_message(&time, body));
    let mut hex = String::with_capacity(signature.as_ref().len() * 2);
    for &byte in signature.as_ref() {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    format!("time={time},sig1={hex}")
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// What the HMAC-SHA256 covers: `<time>.<body>`.
fn signed_message(time: &str, body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(time.len() + 1 + body.len());
    message.extend_from_slice(time.as_bytes());
    message.push(b'.');
    message.extend_from_slice(body);
    message
}

struct SignatureHeader<'a> {
    time: u64,
    /// The time exactly as sent: it is what was signed.
    time_text: &'a str,
    signatures: Vec<[u8; 32]>,
}

/// `time=<digits>,sig1=<64 hex>`, in any order, with optional spaces; other keys (a future
/// `sig2`) are ignored.
fn parse_header(value: &str) -> Result<SignatureHeader<'_>, WebhookError> {
    let malformed = |message: &str| WebhookError::MalformedHeader(message.to_owned());
    let mut time = None;
    let mut signatures = Vec::new();
    for field in value.split(',') {
        let field = field.trim();
        if field.is_empty() {
            continue;
        }
        let (key, text) = field
            .split_once('=')
            .ok_or_else(|| malformed("a field is not `key=value`"))?;
        match key.trim() {
            "time" => {
                let text = text.trim();
                if time.is_some() {
                    return Err(malformed("`time` appears twice"));
                }
                if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
                    return Err(malformed("`time` is not a Unix time in seconds"));
                }
                let seconds = text
                    .parse::<u64>()
                    .map_err(|_| malformed("`time` is out of range"))?;
                time = Some((seconds, text));
            }
            "sig1" => signatures.push(
                decode_hex(text.trim()).ok_or_else(|| malformed("`sig1` is not 64 hex digits"))?,
            ),
            _ => {}
        }
    }
    let (time, time_text) = time.ok_or_else(|| malformed("no `time`"))?;
    if signatures.is_empty() {
        return Err(malformed("no `sig1`"));
    }
    Ok(SignatureHeader {
        time,
        time_text,
        signatures,
    })
}

fn decode_hex(text: &str) -> Option<[u8; 32]> {
    let digits = text.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let value = |digit: u8| char::from(digit).to_digit(16).map(|value| value as u8);
    let mut out = [0; 32];
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = value(pair[0])? << 4 | value(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_known_vector() {
        // HMAC-SHA256("secret", "1230811200.{}") computed independently (openssl dgst).
        let header = sign(
            "secret",
            b"{}",
            UNIX_EPOCH + Duration::from_secs(1_230_811_200),
        );
        assert_eq!(
            header,
            "time=1230811200,sig1=7615ef669db9d906e5673423ca0e180405c276b47a106902a74e486b5b669036"
        );
    }

    #[test]
    fn hex_decoding() {
        assert!(decode_hex(&"ab".repeat(32)).is_some());
        assert!(decode_hex(&"AB".repeat(32)).is_some());
        assert!(decode_hex(&"zz".repeat(32)).is_none());
        assert!(decode_hex("abcd").is_none());
    }
}
