//! When to retry a failed attempt, and how long to wait before the next one.

use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};

use crate::Error;

/// The longest `Retry-After` the client waits; a server asking for more gets the
/// request back sooner (and fails it again if it still means it) rather than hanging
/// the caller for minutes.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// How many times, and how patiently, a failed request is tried again.
///
/// Which failures are retried, for which calls, is the table [`RETRY_RULES`]: any call
/// after a 429 or a failure before sending; idempotent methods, and calls that opt in
/// ([`with_retry_non_idempotent`](crate::RequestOptionsBuilder::with_retry_non_idempotent)),
/// also after 408, 409, 5xx and timeouts. The delay doubles from `initial_backoff` up to
/// `max_backoff`, with jitter, unless the response says `retry-after-ms` or `Retry-After`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// 2 retries, backoff from 0.5 s up to 8 s.
    fn default() -> Self {
        Self {
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// A policy with `max_retries` retries and backoff between `initial` and `max`.
    pub fn new(max_retries: u32, initial: Duration, max: Duration) -> Self {
        Self {
            max_retries,
            initial_backoff: initial,
            max_backoff: max.max(initial),
        }
    }

    /// A policy that never retries.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Retries after the first attempt (0 disables retries).
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The delay before the first retry, before jitter.
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// The longest delay between two attempts, before jitter.
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    pub(crate) fn set_max_retries(&mut self, max_retries: u32) {
        self.max_retries = max_retries;
    }

    pub(crate) fn set_backoff(&mut self, initial: Duration, max: Duration) {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
    }

    /// The delay before retry number `retry` (1-based): exponential, capped, with "equal
    /// jitter" (half fixed, half random) so that clients failing together do not retry
    /// together, while the wait still grows with every attempt.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(30);
        let base = self
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        base / 2 + base.mul_f64(random_unit() / 2.0)
    }
}

/// A class of failed attempt, as the retry rules name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryFailure {
    /// The request never left: connecting, resolving the host or the TLS handshake failed.
    NotSent,
    /// An HTTP status: exactly this one.
    Status(u16),
    /// Any 5xx status.
    ServerError,
    /// No complete response within the per-attempt timeout (the server may have acted).
    Timeout,
    /// The connection broke after the request was sent (the server may have acted).
    Interrupted,
}

impl RetryFailure {
    /// The class of a failed attempt, or `None` for failures no rule covers (such as a
    /// 404, or a request that could not be built).
    pub fn of(error: &Error) -> Option<RetryFailure> {
        match error {
            Error::Api(api) => Some(match api.status().as_u16() {
                500..=599 => RetryFailure::ServerError,
                code => RetryFailure::Status(code),
            }),
            Error::Transport { source, .. } if source.is_connect() => Some(RetryFailure::NotSent),
            Error::Transport { source, .. } if source.is_timeout() => Some(RetryFailure::Timeout),
            // Builder and redirect errors repeat identically.
            Error::Transport { source, .. } if source.is_builder() || source.is_redirect() => None,
            Error::Transport { .. } => Some(RetryFailure::Interrupted),
            Error::Timeout { .. } => Some(RetryFailure::Timeout),
            _ => None,
        }
    }

    fn covers(self, other: RetryFailure) -> bool {
        match (self, other) {
            (RetryFailure::ServerError, RetryFailure::ServerError) => true,
            (a, b) => a == b,
        }
    }

    fn describe(self) -> String {
        match self {
            RetryFailure::NotSent => {
                "connect, DNS or TLS failure (the request was not sent)".to_owned()
            }
            RetryFailure::Status(code) => {
                let reason = StatusCode::from_u16(code)
                    .ok()
                    .and_then(|status| status.canonical_reason())
                    .unwrap_or("");
                format!("HTTP {code} {reason}").trim_end().to_owned()
            }
            RetryFailure::ServerError => "HTTP 5xx".to_owned(),
            RetryFailure::Timeout => "per-attempt timeout".to_owned(),
            RetryFailure::Interrupted => "connection broken after sending".to_owned(),
        }
    }
}

/// Which calls a retry rule applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryCalls {
    /// Every call, whatever its method: the server did not act on the request.
    Any,
    /// RetryCalls with an idempotent method (GET, HEAD, PUT, DELETE, OPTIONS, TRACE) and calls
    /// that opted in with `with_retry_non_idempotent`: the server may have acted once already.
    IdempotentOrOptedIn,
}

/// One row of the retry table: a failure class, the calls it retries, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryRule {
    /// What failed.
    pub failure: RetryFailure,
    /// Which calls are tried again after it.
    pub calls: RetryCalls,
    /// Why.
    pub reason: &'static str,
}

/// When a failed attempt is tried again: the rules as data, one row per failure class.
/// A failure no row covers is final. The response headers `x-should-retry: true|false`
/// override the table either way (the server knows best), the attempt budget and the
/// deadline still apply; the wait is `retry-after-ms`, else `Retry-After` (seconds or an
/// HTTP date), else the policy's backoff, and never more than [`MAX_RETRY_AFTER`].
/// `runtime/README.md` shows this table, rendered by [`rules_markdown`] (a test keeps
/// them equal).
pub const RETRY_RULES: &[RetryRule] = &[
    RetryRule {
        failure: RetryFailure::NotSent,
        calls: RetryCalls::Any,
        reason: "nothing reached the server",
    },
    RetryRule {
        failure: RetryFailure::Status(429),
        calls: RetryCalls::Any,
        reason: "rate limited: the server refused the request without acting on it",
    },
    RetryRule {
        failure: RetryFailure::Status(408),
        calls: RetryCalls::IdempotentOrOptedIn,
        reason: "the server gave up waiting for the request",
    },
    RetryRule {
        failure: RetryFailure::Status(409),
        calls: RetryCalls::IdempotentOrOptedIn,
        reason: "a concurrent change; the next attempt may not conflict",
    },
    RetryRule {
        failure: RetryFailure::ServerError,
        calls: RetryCalls::IdempotentOrOptedIn,
        reason: "the server failed, possibly after acting",
    },
    RetryRule {
        failure: RetryFailure::Timeout,
        calls: RetryCalls::IdempotentOrOptedIn,
        reason: "no answer in time; the server may still have acted",
    },
    RetryRule {
        failure: RetryFailure::Interrupted,
        calls: RetryCalls::IdempotentOrOptedIn,
        reason: "the answer was lost; the server may have acted",
    },
];

/// The rule covering a failure, if any.
pub fn rule_for(failure: RetryFailure) -> Option<&'static RetryRule> {
    RETRY_RULES.iter().find(|rule| rule.failure.covers(failure))
}

/// The retry table as Markdown (what `runtime/README.md` shows).
pub fn rules_markdown() -> String {
    let mut out = String::from("| failure | retried for | why |\n| --- | --- | --- |\n");
    for rule in RETRY_RULES {
        let calls = match rule.calls {
            RetryCalls::Any => "every call",
            RetryCalls::IdempotentOrOptedIn => "idempotent methods and opted-in calls",
        };
        out.push_str(&format!(
            "| {} | {calls} | {} |\n",
            rule.failure.describe(),
            rule.reason
        ));
    }
    out
}

/// Methods that can be repeated without changing the outcome (RFC 9110, 9.2.2).
pub(crate) fn is_idempotent(method: &Method) -> bool {
    [
        Method::GET,
        Method::HEAD,
        Method::PUT,
        Method::DELETE,
        Method::OPTIONS,
        Method::TRACE,
    ]
    .contains(method)
}

/// What the response says about retrying: `x-should-retry: true|false`.
pub(crate) fn should_retry_header(headers: &HeaderMap) -> Option<bool> {
    match headers.get("x-should-retry")?.to_str().ok()?.trim() {
        value if value.eq_ignore_ascii_case("true") => Some(true),
        value if value.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Whether the failed attempt `error` of a call is tried again (budget and deadline
/// aside): the server's `x-should-retry`, else the table.
pub(crate) fn decide(error: &Error, idempotent_or_opted_in: bool) -> bool {
    if let Some(verdict) = error
        .api_error()
        .and_then(|api| should_retry_header(api.headers()))
    {
        return verdict;
    }
    match RetryFailure::of(error).and_then(rule_for) {
        Some(rule) => rule.calls == RetryCalls::Any || idempotent_or_opted_in,
        None => false,
    }
}

/// Whether a failure is worth trying again for some call (see [`RETRY_RULES`]).
pub(crate) fn is_retryable(error: &Error) -> bool {
    decide(error, true)
}

/// The wait the server asked for: `retry-after-ms` (milliseconds, fractions allowed),
/// else `Retry-After`; uncapped.
pub(crate) fn server_delay(headers: &HeaderMap) -> Option<Duration> {
    let millis = headers
        .get("retry-after-ms")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<f64>().ok())
        .filter(|millis| millis.is_finite() && *millis >= 0.0);
    match millis {
        Some(millis) => Some(Duration::from_secs_f64(millis.min(1e12) / 1000.0)),
        None => retry_after(headers),
    }
}

/// Parses `Retry-After` as delay seconds or an HTTP date (IMF-fixdate); a date in the
/// past gives zero.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = parse_http_date(value)?;
    Some(at.duration_since(SystemTime::now()).unwrap_or_default())
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the only date format RFC 9110
/// lets servers send.
fn parse_http_date(text: &str) -> Option<SystemTime> {
    let mut fields = text.split_ascii_whitespace();
    let _weekday = fields.next()?.strip_suffix(',')?;
    let day: u64 = fields.next()?.parse().ok()?;
    let month = fields.next()?;
    let year: i64 = fields.next()?.parse().ok()?;
    let mut clock = fields.next()?.split(':').map(str::parse::<u64>);
    let (hour, minute, second) = (
        clock.next()?.ok()?,
        clock.next()?.ok()?,
        clock.next()?.ok()?,
    );
    if fields.next()? != "GMT" || fields.next().is_some() {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month)? as i64 + 1;
    if !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day as i64);
    let seconds = u64::try_from(days).ok()? * 86_400 + hour * 3600 + minute * 60 + second;
    Some(UNIX_EPOCH + Duration::from_secs(seconds))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// A random number in `[0, 1)`. Jitter needs no quality, so the standard library's
/// randomly keyed hasher saves a dependency.
fn random_unit() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy::default();
        for _ in 0..50 {
            let first = policy.backoff(1);
            assert!(first >= Duration::from_millis(250) && first <= Duration::from_millis(500));
            let third = policy.backoff(3);
            assert!(third >= Duration::from_secs(1) && third <= Duration::from_secs(2));
            let late = policy.backoff(40);
            assert!(late >= Duration::from_secs(4) && late <= Duration::from_secs(8));
        }
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Sun, 06 Nov 1994 08:49:37 GMT"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(UNIX_EPOCH + Duration::from_secs(784_111_777))
        );
        assert_eq!(
            parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(UNIX_EPOCH)
        );
        assert_eq!(parse_http_date("Thu, 01 Foo 1970 00:00:00 GMT"), None);
    }

    fn api(status: u16, headers: &[(&'static str, &'static str)]) -> Error {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_static(value));
        }
        let status = StatusCode::from_u16(status).unwrap();
        Error::Api(Box::new(crate::ApiError::from_response(
            "op", status, map, b"",
        )))
    }

    #[test]
    fn the_table_decides_by_class_and_method() {
        for code in [408, 409, 500, 502, 503, 504] {
            assert!(decide(&api(code, &[]), true), "{code}");
            assert!(!decide(&api(code, &[]), false), "{code} needs idempotence");
        }
        assert!(decide(&api(429, &[]), false), "429 retries any method");
        for code in [400, 401, 403, 404, 422] {
            assert!(!decide(&api(code, &[]), true), "{code}");
        }
        let timeout = Error::Timeout {
            operation: "op",
            after: Duration::from_secs(1),
        };
        assert!(decide(&timeout, true));
        assert!(!decide(&timeout, false));
        assert!(!decide(&Error::invalid_request("x"), true));
    }

    #[test]
    fn x_should_retry_overrides_the_table() {
        assert!(!decide(&api(503, &[("x-should-retry", "false")]), true));
        assert!(!decide(&api(429, &[("x-should-retry", "FALSE")]), false));
        assert!(decide(&api(400, &[("x-should-retry", "true")]), false));
        assert!(decide(&api(503, &[("x-should-retry", "maybe")]), true));
    }

    #[test]
    fn retry_after_ms_wins_over_retry_after() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("30"));
        assert_eq!(server_delay(&headers), Some(Duration::from_secs(30)));
        headers.insert("retry-after-ms", HeaderValue::from_static("1.5"));
        assert_eq!(server_delay(&headers), Some(Duration::from_micros(1500)));
        headers.insert("retry-after-ms", HeaderValue::from_static("-3"));
        assert_eq!(server_delay(&headers), Some(Duration::from_secs(30)));
    }

    #[test]
    fn every_class_has_one_rule_and_the_readme_shows_the_table() {
        for failure in [
            RetryFailure::NotSent,
            RetryFailure::Status(429),
            RetryFailure::Status(408),
            RetryFailure::Status(409),
            RetryFailure::ServerError,
            RetryFailure::Timeout,
            RetryFailure::Interrupted,
        ] {
            let rules = RETRY_RULES
                .iter()
                .filter(|rule| rule.failure.covers(failure))
                .count();
            assert_eq!(rules, 1, "{failure:?}");
        }
        let readme = include_str!("../README.md");
        assert!(
            readme.contains(&rules_markdown()),
            "runtime/README.md must show the retry table; paste:\n{}",
            rules_markdown()
        );
        assert!(is_idempotent(&Method::GET));
        assert!(is_idempotent(&Method::DELETE));
        assert!(!is_idempotent(&Method::POST));
        assert!(!is_idempotent(&Method::PATCH));
    }
}
