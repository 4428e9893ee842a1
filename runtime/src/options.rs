//! Per-call options: what a caller may change about one call beyond its parameters, set
//! through [`RequestOptionsBuilder`] on every request builder.

use std::fmt;
use std::time::Duration;

/// Per-call settings that override or add to the client's. Set them with the
/// [`RequestOptionsBuilder`] methods, on a request builder or on this value itself.
#[derive(Clone, Default)]
pub struct RequestOptions {
    pub(crate) timeout: Option<Duration>,
    pub(crate) deadline: Option<Duration>,
    pub(crate) max_retries: Option<u32>,
    pub(crate) retry_non_idempotent: bool,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) body_fields: Vec<(String, serde_json::Value)>,
}

impl RequestOptions {
    /// Options that change nothing.
    pub fn new() -> Self {
        Self::default()
    }
}

impl fmt::Debug for RequestOptions {
    /// Header, query and body values are left out: they may be credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = |pairs: &[(String, String)]| -> Vec<String> {
            pairs.iter().map(|(name, _)| name.clone()).collect()
        };
        let body_fields: Vec<&str> = self
            .body_fields
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        f.debug_struct("RequestOptions")
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .field("max_retries", &self.max_retries)
            .field("retry_non_idempotent", &self.retry_non_idempotent)
            .field("headers", &names(&self.headers))
            .field("query", &names(&self.query))
            .field("body_fields", &body_fields)
            .finish()
    }
}

/// The per-call options of every request builder (and of [`CustomRequest`](crate::CustomRequest)
/// and [`RequestOptions`] itself): timeouts, retries, extra headers and query parameters.
///
/// The methods are prefixed `with_` so they never clash with an operation's own
/// parameter setters. Bring the trait into scope to use them:
///
/// ```no_run
/// # async fn demo(client: &client_runtime::Client) -> Result<(), client_runtime::Error> {
/// use std::time::Duration;
/// use client_runtime::RequestOptionsBuilder;
///
/// let response = client
///     .request(client_runtime::http::Method::GET, "/status")
///     .with_header("x-trace", "1")
///     .with_deadline(Duration::from_secs(10))
///     .send()
///     .await?;
/// # let _ = response; Ok(()) }
/// ```
pub trait RequestOptionsBuilder: Sized {
    /// The options the provided methods change; the one thing an implementor writes.
    #[doc(hidden)]
    fn request_options(&mut self) -> &mut RequestOptions;

    /// Overrides the client's timeout for each attempt of this call (a retry gets a fresh
    /// one); a deadline, if any, still cuts the attempt short.
    fn with_timeout(mut self, timeout: Duration) -> Self {
        self.request_options().timeout = Some(timeout);
        self
    }

    /// Overrides the client's retry budget for this call: at most `max_retries` retries
    /// after the first attempt (0 disables retries).
    fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.request_options().max_retries = Some(max_retries);
        self
    }

    /// The deadline of the whole call, retries and waits included, counted from its start
    /// (replaces the client's): a retry whose wait would end past it is not started.
    fn with_deadline(mut self, deadline: Duration) -> Self {
        self.request_options().deadline = Some(deadline);
        self
    }

    /// Adds a header to this call; it replaces a header of the same name, default or the
    /// operation's own (name and value are checked when the call is sent).
    fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let headers = &mut self.request_options().headers;
        headers.push((name.into(), value.into()));
        self
    }

    /// Adds a query parameter to this call, after the operation's own (repeat the name for
    /// an array).
    fn with_query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let query = &mut self.request_options().query;
        query.push((name.into(), value.into()));
        self
    }

    /// Retries this call after 408, 409, 5xx and timeouts too, which are only retried for
    /// idempotent methods by default (429 and failures before sending are retried anyway).
    /// Only safe when repeating the call cannot do harm, for example when the server
    /// deduplicates it; on an idempotent method (GET, PUT, DELETE, ...) it changes nothing.
    fn with_retry_non_idempotent(mut self) -> Self {
        self.request_options().retry_non_idempotent = true;
        self
    }
}

/// The options of calls with a JSON body (implemented only by their builders, so a call
/// that sends no JSON cannot be given body fields to lose).
pub trait JsonBodyOptionsBuilder: RequestOptionsBuilder {
    /// Adds a top-level field to the JSON body, for fields this version of the client does
    /// not know; it replaces a field of the same name. A call whose body turns out not to
    /// be a JSON object fails with [`Error::InvalidRequest`](crate::Error::InvalidRequest);
    /// a call without a body gets one.
    fn with_body_field(mut self, name: impl Into<String>, value: serde_json::Value) -> Self {
        let fields = &mut self.request_options().body_fields;
        fields.push((name.into(), value));
        self
    }
}

impl RequestOptionsBuilder for RequestOptions {
    fn request_options(&mut self) -> &mut RequestOptions {
        self
    }
}

impl JsonBodyOptionsBuilder for RequestOptions {}

/// Implements [`RequestOptionsBuilder`] (and with `json`, [`JsonBodyOptionsBuilder`]) for a
/// generated request builder whose options are in its field `options`.
#[doc(hidden)]
#[macro_export]
macro_rules! __request_options {
    ($builder:ident) => {
        impl $crate::RequestOptionsBuilder for $builder<'_> {
            fn request_options(&mut self) -> &mut $crate::RequestOptions {
                &mut self.options
            }
        }
    };
    ($builder:ident, json) => {
        $crate::__request_options!($builder);
        impl $crate::JsonBodyOptionsBuilder for $builder<'_> {}
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_sets_its_option() {
        let options = RequestOptions::new()
            .with_timeout(Duration::from_secs(1))
            .with_max_retries(0)
            .with_deadline(Duration::from_secs(9))
            .with_header("x-a", "1")
            .with_query("q", "2")
            .with_body_field("f", serde_json::json!(3))
            .with_retry_non_idempotent();
        assert_eq!(options.timeout, Some(Duration::from_secs(1)));
        assert_eq!(options.max_retries, Some(0));
        assert_eq!(options.deadline, Some(Duration::from_secs(9)));
        assert_eq!(options.headers, [("x-a".to_owned(), "1".to_owned())]);
        assert_eq!(options.query, [("q".to_owned(), "2".to_owned())]);
        assert_eq!(
            options.body_fields,
            [("f".to_owned(), serde_json::json!(3))]
        );
        assert!(options.retry_non_idempotent);
        // Values stay out of `Debug`: they may be credentials.
        let debug = format!("{options:?}");
        assert!(debug.contains("x-a") && !debug.contains("\"1\""), "{debug}");
    }
}
