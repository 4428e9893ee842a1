//! Small helpers: ids, RFC 3339 timestamps, the error envelope.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use ring::rand::{SecureRandom, SystemRandom};

use crate::generated::models::{ApiResponseFailure, ResponseMessage};
use crate::generated::server::Failure;

/// A Cloudflare-style identifier: 32 lowercase hex digits.
pub fn new_id() -> String {
    hex(&random_bytes::<16>())
}

/// `N` random bytes from the system generator (zeros only if it fails, which it does not
/// on supported platforms).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    let _ = SystemRandom::new().fill(&mut bytes);
    bytes
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// Unix seconds of a time (0 before the epoch).
pub fn unix(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

/// `2014-01-02T02:20:00Z` (UTC, whole seconds... plus milliseconds when not zero, so
/// that items created in the same second still sort).
pub fn rfc3339(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let millis = since.subsec_millis();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    let base = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    );
    if millis == 0 {
        format!("{base}Z")
    } else {
        format!("{base}.{millis:03}Z")
    }
}

/// Parses an RFC 3339 date-time (`Z` or a `±hh:mm` offset, optional fraction) or a plain
/// date (`2024-01-31`, midnight UTC).
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    let date = text.get(..10)?;
    let mut parts = date.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let days = days_from_civil(y, m, d);
    let mut secs = days.checked_mul(86_400)?;
    let mut nanos = 0u32;
    let rest = &text[10..];
    if !rest.is_empty() {
        let rest = rest.strip_prefix(['T', 't', ' '])?;
        let h: i64 = rest.get(0..2)?.parse().ok()?;
        let mi: i64 = rest.get(3..5)?.parse().ok()?;
        let s: i64 = rest.get(6..8)?.parse().ok()?;
        if rest.get(2..3)? != ":" || rest.get(5..6)? != ":" || h > 23 || mi > 59 || s > 60 {
            return None;
        }
        secs += h * 3600 + mi * 60 + s;
        let mut tail = &rest[8..];
        if let Some(fraction) = tail.strip_prefix('.') {
            let digits = fraction.chars().take_while(char::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            let padded = format!("{:0<9}", &fraction[..digits.min(9)]);
            nanos = padded.parse().ok()?;
            tail = &fraction[digits..];
        }
        match tail {
            "Z" | "z" => {}
            offset if offset.len() == 6 => {
                let sign = match &offset[..1] {
                    "+" => 1,
                    "-" => -1,
                    _ => return None,
                };
                let oh: i64 = offset.get(1..3)?.parse().ok()?;
                let om: i64 = offset.get(4..6)?.parse().ok()?;
                secs -= sign * (oh * 3600 + om * 60);
            }
            _ => return None,
        }
    }
    let secs = u64::try_from(secs).ok()?;
    Some(UNIX_EPOCH + Duration::new(secs, nanos))
}

// Howard Hinnant's civil calendar algorithms.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The Cloudflare error envelope with one error.
pub fn failure(status: StatusCode, code: i64, message: impl Into<String>) -> Failure {
    Failure::new(status, envelope(code, message))
}

/// The failure body with one error.
pub fn envelope(code: i64, message: impl Into<String>) -> ApiResponseFailure {
    ApiResponseFailure {
        extra: Default::default(),
        errors: vec![ResponseMessage {
            extra: Default::default(),
            code,
            message: message.into(),
            documentation_url: None,
            source: None,
        }],
        messages: Vec::new(),
        success: false,
        result: None,
    }
}

/// Cloudflare's error codes as the emulator answers them.
pub mod codes {
    /// Missing or wrong credentials, or an account the credentials do not reach.
    pub const AUTHENTICATION: i64 = 10000;
    /// An internal error.
    pub const INTERNAL: i64 = 10002;
    /// An unknown id.
    pub const NOT_FOUND: i64 = 10003;
    /// A request that breaks the API's rules (the spec's schemas, tus chunk rules, ...).
    pub const BAD_REQUEST: i64 = 10005;
    /// Too many requests.
    pub const RATE_LIMITED: i64 = 10006;
    /// No route for the method and path.
    pub const NO_ROUTE: i64 = 7003;
}

/// `404 Not Found` with code 10003.
pub fn not_found(what: &str) -> Failure {
    failure(
        StatusCode::NOT_FOUND,
        codes::NOT_FOUND,
        format!("Not Found: {what}"),
    )
}

/// `value`, or `404 Not Found` naming `what`.
pub fn found<T>(value: Option<T>, what: &str) -> Result<T, Failure> {
    value.ok_or_else(|| not_found(what))
}

/// `500 Internal Server Error` with code 10002.
pub fn internal(message: impl Into<String>) -> Failure {
    failure(StatusCode::INTERNAL_SERVER_ERROR, codes::INTERNAL, message)
}

/// The answer to a change the store could not make durable: a 500 envelope (code 10002).
pub fn storage_failure(e: std::io::Error) -> Failure {
    internal(format!("the change could not be stored: {e}"))
}

/// `400 Bad Request` with code 10005.
pub fn bad_request(message: impl Into<String>) -> Failure {
    failure(StatusCode::BAD_REQUEST, codes::BAD_REQUEST, message)
}

/// The success envelope's empty `errors` and `messages`.
pub fn no_messages() -> Vec<ResponseMessage> {
    Vec::new()
}

/// A text this emulator wrote in RFC 3339 (`rfc3339`, `ms_to_rfc3339`) as the models'
/// typed timestamp; a text that does not parse (never the emulator's own) becomes the
/// Unix epoch rather than a panic.
pub fn ts(text: impl Into<String>) -> cloudflare_stream::Timestamp {
    let text = text.into();
    cloudflare_stream::Timestamp::parse(&text).unwrap_or_else(|_| {
        cloudflare_stream::Timestamp::from(cloudflare_stream::time::OffsetDateTime::UNIX_EPOCH)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        let t = UNIX_EPOCH + Duration::from_secs(1_388_629_200);
        assert_eq!(rfc3339(t), "2014-01-02T02:20:00Z");
        assert_eq!(parse_rfc3339("2014-01-02T02:20:00Z"), Some(t));
        assert_eq!(parse_rfc3339("2014-01-02T03:20:00+01:00"), Some(t));
        assert_eq!(
            parse_rfc3339("2014-01-02T02:20:00.250Z"),
            Some(t + Duration::from_millis(250))
        );
        assert_eq!(
            parse_rfc3339("2014-01-02"),
            Some(t - Duration::from_secs(8400))
        );
        assert_eq!(parse_rfc3339("yesterday"), None);
        assert_eq!(parse_rfc3339("2014-13-02T02:20:00Z"), None);
    }
}
