//! One API call: built by generated code, then sent with retries, timeouts and tracing.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{
    ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, USER_AGENT,
};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use super::client::Applied;
use super::error::{ApiError, DecodeError};
use super::multipart::Multipart;
use super::options::RequestOptions;
use super::param::ParamValue;
use super::retry::{self, MAX_RETRY_AFTER, is_idempotent};
use super::{ApiResponse, Client, Error};

/// Everything but RFC 3986 "unreserved" characters is encoded in a path segment, so a
/// value can never add segments (`a/b`), climb (`../x`) or start a query (`?`).
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The items of a list parameter joined by commas, the `explode: false` form.
fn joined<T: ParamValue>(items: &[T]) -> String {
    let texts: Vec<_> = items.iter().map(ParamValue::to_param).collect();
    texts.join(",")
}

/// The request body, kept as bytes so each attempt can send it again.
#[derive(Clone)]
enum Body {
    None,
    Raw {
        content_type: HeaderValue,
        data: Bytes,
    },
    Multipart(Multipart),
    /// Read as it is sent, so there is one attempt; taken by it.
    Stream(Arc<Mutex<Option<Streamed>>>),
}

/// A body that is read while it is sent (a file being uploaded).
enum Streamed {
    Bytes {
        content_type: HeaderValue,
        /// Sent as `Content-Length` (a stream has none of its own).
        length: Option<u64>,
        body: reqwest::Body,
    },
    Form(reqwest::multipart::Form),
}

/// One API call being built.
///
/// Generated code fills it in template order (`path_literal`, `path_param`, ...), adds
/// query, headers and body, then calls one of the `send_*` methods. Mistakes found while
/// building (an empty path parameter, an invalid header value) are kept and returned by
/// `send_*`, so building stays infallible and chainable.
pub struct Request {
    method: Method,
    operation: &'static str,
    path: String,
    query: Vec<(Cow<'static, str>, String)>,
    headers: Vec<(HeaderName, HeaderValue)>,
    accept: Option<HeaderValue>,
    body: Body,
    /// The operation's own security alternatives; `None`: the API's default.
    security: Option<&'static [&'static [&'static str]]>,
    options: RequestOptions,
    error: Option<Error>,
    /// Where the call goes instead of base URL + path: a URL the API handed out.
    absolute: Option<Url>,
    /// The caller repeats or resumes the call itself: one attempt, no client deadline.
    single_attempt: bool,
}

impl Request {
    /// Starts a call of the operation `operation_id` with `method`.
    pub fn new(method: Method, operation_id: &'static str) -> Self {
        Self {
            method,
            operation: operation_id,
            path: String::new(),
            query: Vec::new(),
            headers: Vec::new(),
            accept: None,
            body: Body::None,
            security: None,
            options: RequestOptions::default(),
            error: None,
            absolute: None,
            single_attempt: false,
        }
    }

    /// The operation id.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The path built so far (encoded, without base URL or query).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Keeps the first mistake; later ones are usually consequences of it.
    fn fail(&mut self, error: Error) {
        self.error.get_or_insert(error);
    }

    /// Keeps a mistake for `send_*` to return.
    pub(crate) fn fail_with(&mut self, error: Error) {
        self.fail(error);
    }

    /// Renames the call (errors and traces show the name).
    pub(crate) fn set_operation(&mut self, name: &'static str) {
        self.operation = name;
    }

    /// Sets a body with a caller-given content type.
    pub(crate) fn raw_body(&mut self, content_type: &str, data: Bytes) {
        match HeaderValue::from_str(content_type) {
            Ok(content_type) => self.body = Body::Raw { content_type, data },
            Err(_) => self.fail(Error::invalid_request(format!(
                "invalid content type `{content_type}`"
            ))),
        }
    }

    /// Appends template text as it is (for example `/accounts/`).
    pub fn path_literal(&mut self, text: &str) {
        self.path.push_str(text);
    }

    /// Appends a parameter as exactly one path segment, percent-encoded.
    ///
    /// An empty value, `.` or `..` would drop or climb a segment (URL parsers resolve
    /// them even percent-encoded), so they are refused when the request is sent.
    pub fn path_param(&mut self, value: impl ParamValue) {
        let value = value.to_param();
        if matches!(value.as_ref(), "" | "." | "..") {
            let error = Error::invalid_request(format!(
                "`{}`: the path parameter after `{}` is {}",
                self.operation,
                self.path,
                if value.is_empty() {
                    "empty".to_owned()
                } else {
                    format!("`{value}`")
                }
            ));
            self.fail(error);
        }
        self.path.extend(utf8_percent_encode(&value, PATH_SEGMENT));
    }

    /// Adds a query parameter; repeat the name for arrays (`?a=1&a=2`).
    pub fn query(&mut self, name: &'static str, value: impl ParamValue) {
        self.query
            .push((Cow::Borrowed(name), value.to_param().into_owned()));
    }

    /// Adds a header parameter.
    pub fn header(&mut self, name: &'static str, value: impl ParamValue) {
        let Ok(header_name) = HeaderName::from_bytes(name.as_bytes()) else {
            return self.fail(Error::invalid_request(format!(
                "invalid header name `{name}`"
            )));
        };
        match HeaderValue::from_str(&value.to_param()) {
            Ok(header_value) => self.headers.push((header_name, header_value)),
            // The value is not repeated: headers often carry credentials.
            Err(_) => self.fail(Error::invalid_request(format!(
                "the value of header `{name}` contains characters not allowed in a header"
            ))),
        }
    }

    /// Adds a query parameter if there is a value.
    pub fn query_opt(&mut self, name: &'static str, value: Option<impl ParamValue>) {
        if let Some(value) = value {
            self.query(name, value);
        }
    }

    /// Adds a header parameter if there is a value.
    pub fn header_opt(&mut self, name: &'static str, value: Option<impl ParamValue>) {
        if let Some(value) = value {
            self.header(name, value);
        }
    }

    /// Adds a list query parameter, the name repeated per item (`?a=1&a=2`).
    pub fn query_each<T: ParamValue>(&mut self, name: &'static str, items: Option<Vec<T>>) {
        for item in items.into_iter().flatten() {
            self.query(name, item);
        }
    }

    /// Adds a list header parameter, one header per item.
    pub fn header_each<T: ParamValue>(&mut self, name: &'static str, items: Option<Vec<T>>) {
        for item in items.into_iter().flatten() {
            self.header(name, item);
        }
    }

    /// Adds a list query parameter declared `explode: false`: one value, the items joined
    /// by commas (`?a=1,2`; an empty list is `?a=`).
    pub fn query_joined<T: ParamValue>(&mut self, name: &'static str, items: Option<Vec<T>>) {
        if let Some(items) = items {
            self.query(name, joined(&items));
        }
    }

    /// Adds a list header parameter declared `explode: false`: the items joined by commas.
    pub fn header_joined<T: ParamValue>(&mut self, name: &'static str, items: Option<Vec<T>>) {
        if let Some(items) = items {
            self.header(name, joined(&items));
        }
    }

    /// Adds a query parameter with no standard text form as compact JSON.
    pub fn query_json<T: serde::Serialize>(&mut self, name: &'static str, value: Option<T>) {
        if let Some(value) = value.and_then(|value| self.json_param(name, &value)) {
            self.query(name, value);
        }
    }

    /// Adds a header parameter with no standard text form as compact JSON.
    pub fn header_json<T: serde::Serialize>(&mut self, name: &'static str, value: Option<T>) {
        if let Some(value) = value.and_then(|value| self.json_param(name, &value)) {
            self.header(name, value);
        }
    }

    /// `value` as JSON; a value that does not serialize fails the call.
    fn json_param<T: serde::Serialize>(
        &mut self,
        name: &str,
        value: &T,
    ) -> Option<serde_json::Value> {
        match serde_json::to_value(value) {
            Ok(value) => Some(value),
            Err(error) => {
                let message = format!("`{}`: parameter `{name}`: {error}", self.operation);
                self.fail(Error::invalid_request(message));
                None
            }
        }
    }

    /// Appends a path parameter that defaults to the client's value of `name` (such as
    /// `account_id`); with neither, the call fails with [`Error::MissingParameter`]
    /// before any I/O.
    pub fn path_param_or(&mut self, client: &Client, value: Option<String>, name: &'static str) {
        match value {
            Some(value) => self.path_param(value),
            None => match client.default_path_param(name) {
                Ok(value) => self.path_param(value),
                Err(error) => self.fail(error),
            },
        }
    }

    /// Sets the `Accept` header (`send_json` defaults to `application/json`).
    pub fn accept(&mut self, media_type: &'static str) {
        match HeaderValue::from_str(media_type) {
            Ok(value) => self.accept = Some(value),
            Err(_) => self.fail(Error::invalid_request(format!(
                "invalid media type `{media_type}`"
            ))),
        }
    }

    /// Sets a JSON body.
    pub fn json<T: serde::Serialize + ?Sized>(&mut self, body: &T) -> Result<(), Error> {
        let data = serde_json::to_vec(body).map_err(|error| {
            Error::invalid_request(format!(
                "`{}`: cannot serialize the body: {error}",
                self.operation
            ))
        })?;
        self.body = Body::Raw {
            content_type: HeaderValue::from_static("application/json"),
            data: data.into(),
        };
        Ok(())
    }

    /// Sets a `multipart/form-data` body.
    pub fn multipart(&mut self, form: Multipart) {
        self.body = Body::Multipart(form);
    }

    /// Sets a text body with the given content type.
    pub fn text(&mut self, content_type: &'static str, body: String) {
        self.bytes(content_type, Bytes::from(body));
    }

    /// Sets a binary body with the given content type.
    pub fn bytes(&mut self, content_type: &'static str, body: Bytes) {
        match HeaderValue::from_str(content_type) {
            Ok(content_type) => {
                self.body = Body::Raw {
                    content_type,
                    data: body,
                }
            }
            Err(_) => self.fail(Error::invalid_request(format!(
                "invalid content type `{content_type}`"
            ))),
        }
    }

    /// Sets a body read from `body` while it is sent, `length` bytes when known (sent as
    /// `Content-Length`; chunked otherwise). A stream cannot be sent twice, so the call
    /// makes one attempt whatever the retry policy.
    pub fn stream(&mut self, content_type: &str, length: Option<u64>, body: reqwest::Body) {
        match HeaderValue::from_str(content_type) {
            Ok(content_type) => {
                self.body = Body::Stream(Arc::new(Mutex::new(Some(Streamed::Bytes {
                    content_type,
                    length,
                    body,
                }))))
            }
            Err(_) => self.fail(Error::invalid_request(format!(
                "invalid content type `{content_type}`"
            ))),
        }
    }

    /// Sets a `multipart/form-data` body whose parts are read while it is sent (see
    /// [`Request::stream`]: one attempt).
    pub fn stream_form(&mut self, form: reqwest::multipart::Form) {
        self.body = Body::Stream(Arc::new(Mutex::new(Some(Streamed::Form(form)))));
    }

    /// Sends the call to `url`, a URL the API handed out (an upload URL, often on another
    /// host), instead of the base URL and the path. The call's query parameters are added
    /// to the URL's own; the client's default query and credentials are the API's, so of
    /// them only the header credentials of the API's security go along (as the API's own
    /// examples send them to its upload URLs); query credentials and cookies stay with
    /// the base URL.
    pub fn absolute_url(&mut self, url: Url) {
        self.path = url.path().to_owned();
        self.absolute = Some(url);
    }

    /// The caller repeats or resumes the call itself (a resumable upload asks the server
    /// where it stands, then goes on): one attempt whatever the retry policy, and the
    /// client's deadline does not apply (the call's own timeout and deadline do).
    pub fn single_attempt(&mut self) {
        self.single_attempt = true;
    }

    /// The operation's security requirement when it differs from the API's default:
    /// alternatives, each a set of scheme names sent together; `&[]` for none.
    pub fn security(&mut self, alternatives: &'static [&'static [&'static str]]) {
        self.security = Some(alternatives);
    }

    /// Replaces the per-call options.
    pub fn options(&mut self, options: RequestOptions) {
        self.options = options;
    }

    /// The per-call options, to change them in place.
    pub fn options_mut(&mut self) -> &mut RequestOptions {
        &mut self.options
    }

    /// Sends the call and decodes a 2xx body as JSON into `T` (an empty body decodes as
    /// `null`). For APIs with a result envelope, a 2xx envelope with `"success": false` is
    /// an [`Error::Api`].
    pub async fn send_json<T: DeserializeOwned>(
        mut self,
        client: &Client,
    ) -> Result<ApiResponse<T>, Error> {
        if self.accept.is_none() {
            self.accept = Some(HeaderValue::from_static("application/json"));
        }
        let operation = self.operation;
        let raw = self.execute(client).await?;
        let config = client.config();
        decode_json_with(
            operation,
            config.envelope,
            config.request_id_header,
            raw.status,
            raw.headers,
            &raw.body,
        )
    }

    /// Sends the call and returns a 2xx body as text (invalid UTF-8 is replaced).
    pub async fn send_text(self, client: &Client) -> Result<ApiResponse<String>, Error> {
        let raw = self.execute(client).await?;
        let text = String::from_utf8_lossy(&raw.body).into_owned();
        Ok(ApiResponse::new(raw.status, raw.headers, text))
    }

    /// Sends the call and ignores a 2xx body.
    pub async fn send_empty(self, client: &Client) -> Result<ApiResponse<()>, Error> {
        let raw = self.execute(client).await?;
        Ok(ApiResponse::new(raw.status, raw.headers, ()))
    }

    /// Sends the call and returns a 2xx body as bytes.
    pub async fn send_bytes(self, client: &Client) -> Result<ApiResponse<Bytes>, Error> {
        let raw = self.execute(client).await?;
        Ok(ApiResponse::new(raw.status, raw.headers, raw.body))
    }

    /// Sends the call, retrying as the table ([`RETRY_RULES`](crate::RETRY_RULES)) and
    /// the policy allow, until a 2xx response (returned) or a final failure (non-2xx
    /// responses become [`Error::Api`]), within the call's deadline if it has one.
    async fn execute(mut self, client: &Client) -> Result<RawResponse, Error> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        self.merge_body_fields()?;
        let (url, headers) = self.prepare(client)?;
        let timeout = self.options.timeout.unwrap_or_else(|| client.timeout());
        // A caller that resumes by itself spans many calls: the client's deadline, meant
        // for one call and its retries, would cut its attempts short.
        let deadline = if self.single_attempt {
            self.options.deadline
        } else {
            self.options.deadline.or_else(|| client.deadline())
        };
        let started = tokio::time::Instant::now();
        let policy = client.retry_policy();
        let max_retries = if self.single_attempt || matches!(self.body, Body::Stream(_)) {
            0
        } else {
            self.options.max_retries.unwrap_or(policy.max_retries())
        };
        let opted_in = self.options.retry_non_idempotent || is_idempotent(&self.method);
        let request_id_header = client.config().request_id_header;
        let span = tracing::info_span!(
            "api.request",
            operation = self.operation,
            method = %self.method,
            path = %self.path,
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        // Recorded through a handle rather than `Span::current()`, which only works with
        // subscribers that track the current span.
        let recorder = span.clone();
        let past_deadline = |attempts: u32| Error::DeadlineExceeded {
            operation: self.operation,
            after: deadline.unwrap_or_default(),
            attempts,
        };
        let attempts = async {
            let mut attempt: u32 = 0;
            loop {
                attempt += 1;
                recorder.record("attempt", attempt);
                // The attempt's own timeout, cut short by what is left of the deadline.
                let left = deadline.map(|deadline| deadline.saturating_sub(started.elapsed()));
                let cut = left.filter(|left| *left < timeout);
                if left == Some(Duration::ZERO) {
                    return Err(past_deadline(attempt));
                }
                let outcome = self
                    .attempt(client, &url, &headers, cut.unwrap_or(timeout))
                    .await;
                let error = match outcome {
                    Ok(raw) => {
                        recorder.record("status", raw.status.as_u16());
                        if raw.status.is_success() {
                            return Ok(raw);
                        }
                        let error = ApiError::from_response(
                            self.operation,
                            raw.status,
                            raw.headers,
                            &raw.body,
                        )
                        .with_request_id_header(request_id_header);
                        Error::Api(Box::new(error))
                    }
                    Err(Error::Timeout { .. }) if cut.is_some() => {
                        return Err(past_deadline(attempt));
                    }
                    Err(error) => error,
                };
                if attempt > max_retries || !retry::decide(&error, opted_in) {
                    return Err(error);
                }
                let delay = error
                    .api_error()
                    .and_then(ApiError::retry_after)
                    .map(|delay| delay.min(MAX_RETRY_AFTER))
                    .unwrap_or_else(|| policy.backoff(attempt));
                if let Some(deadline) = deadline
                    && started.elapsed() + delay >= deadline
                {
                    // Waiting would end past the deadline: the last failure says more
                    // than "deadline exceeded" would.
                    return Err(error);
                }
                tracing::debug!(
                    status = error.status().map(|status| status.as_u16()),
                    delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    error = %error,
                    "retrying",
                );
                tokio::time::sleep(delay).await;
            }
        };
        attempts.instrument(span).await
    }

    /// Adds the options' body fields to a JSON object body (or makes one).
    fn merge_body_fields(&mut self) -> Result<(), Error> {
        if self.options.body_fields.is_empty() {
            return Ok(());
        }
        let mut object = match &self.body {
            Body::None => serde_json::Map::new(),
            Body::Raw { content_type, data }
                if content_type.as_bytes().starts_with(b"application/json") =>
            {
                match serde_json::from_slice(data) {
                    Ok(serde_json::Value::Object(object)) => object,
                    Ok(serde_json::Value::Null) => serde_json::Map::new(),
                    _ => return Err(self.not_an_object()),
                }
            }
            _ => return Err(self.not_an_object()),
        };
        for (name, value) in std::mem::take(&mut self.options.body_fields) {
            object.insert(name, value);
        }
        self.json(&object)
    }

    fn not_an_object(&self) -> Error {
        Error::invalid_request(format!(
            "`{}`: extra body fields need a JSON object body",
            self.operation
        ))
    }

    /// One attempt: send, then read the whole body, within `timeout`.
    async fn attempt(
        &self,
        client: &Client,
        url: &Url,
        headers: &HeaderMap,
        timeout: Duration,
    ) -> Result<RawResponse, Error> {
        let mut builder = client
            .http()
            .request(self.method.clone(), url.clone())
            .headers(headers.clone());
        builder = match &self.body {
            Body::None => builder,
            Body::Raw { content_type, data } => builder
                .header(CONTENT_TYPE, content_type.clone())
                .body(data.clone()),
            Body::Multipart(form) => builder.multipart(form.to_form()?),
            Body::Stream(once) => match once.lock().ok().and_then(|mut body| body.take()) {
                Some(Streamed::Bytes {
                    content_type,
                    length,
                    body,
                }) => {
                    builder = builder.header(CONTENT_TYPE, content_type);
                    if let Some(length) = length {
                        builder = builder.header(CONTENT_LENGTH, length);
                    }
                    builder.body(body)
                }
                Some(Streamed::Form(form)) => builder.multipart(form),
                // `execute` makes one attempt of a streamed call; this is a second.
                None => {
                    return Err(Error::invalid_request(format!(
                        "`{}`: a streamed body cannot be sent twice",
                        self.operation
                    )));
                }
            },
        };
        let exchange = async {
            let mut response = builder.send().await?;
            let status = response.status();
            let headers = std::mem::take(response.headers_mut());
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>(RawResponse {
                status,
                headers,
                body,
            })
        };
        let timed_out = Error::Timeout {
            operation: self.operation,
            after: timeout,
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(Ok(raw)) => Ok(raw),
            // A connect timeout is a connect failure: the request was not sent.
            Ok(Err(error)) if error.is_connect() => Err(Error::transport(self.operation, error)),
            // A caller-supplied HTTP client may have a shorter timeout of its own.
            Ok(Err(error)) if error.is_timeout() => Err(timed_out),
            Ok(Err(error)) => Err(Error::transport(self.operation, error)),
            Err(_elapsed) => Err(timed_out),
        }
    }

    /// The URL and headers of every attempt, credentials included.
    fn prepare(&self, client: &Client) -> Result<(Url, HeaderMap), Error> {
        let mut url = self.url(client);
        let mut headers = self.headers(client)?;
        for credential in client.credentials_for(self.security) {
            if self.absolute.is_none() || matches!(credential, Applied::Header(..)) {
                credential.apply_to(&mut headers, &mut url);
            }
        }
        Ok((url, headers))
    }

    /// Base URL, then the path, then the query, form-encoded: the client's default
    /// parameters, the operation's, then the call's extra ones.
    fn url(&self, client: &Client) -> Url {
        let (mut url, defaults) = match &self.absolute {
            Some(url) => (url.clone(), &[][..]),
            None => {
                let mut url = client.base_url().clone();
                // Keep the base's own path (`/client/v4`): `Url::join` would replace it.
                let path = format!("{}{}", url.path().trim_end_matches('/'), self.path);
                url.set_path(&path);
                (url, client.default_query())
            }
        };
        if !(self.query.is_empty() && self.options.query.is_empty() && defaults.is_empty()) {
            let pairs = defaults
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str()))
                .chain(
                    self.query
                        .iter()
                        .map(|(name, value)| (name.as_ref(), value.as_str())),
                )
                .chain(
                    self.options
                        .query
                        .iter()
                        .map(|(name, value)| (name.as_str(), value.as_str())),
                );
            url.query_pairs_mut().extend_pairs(pairs);
        }
        url
    }

    /// The user agent, the client's default headers, `Accept`, header parameters, then
    /// the options' headers (which replace any of the same name). Credentials are added
    /// last, by `prepare`.
    fn headers(&self, client: &Client) -> Result<HeaderMap, Error> {
        let mut headers = HeaderMap::new();
        headers.insert(USER_AGENT, client.user_agent_header().clone());
        for (name, value) in client.extra_headers() {
            headers.insert(name.clone(), value.clone());
        }
        if let Some(accept) = &self.accept {
            headers.insert(ACCEPT, accept.clone());
        }
        for (name, value) in &self.headers {
            headers.append(name.clone(), value.clone());
        }
        for (name, value) in &self.options.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Error::invalid_request(format!("invalid header name `{name}`")))?;
            let value = HeaderValue::from_str(value).map_err(|_| {
                Error::invalid_request(format!(
                    "the value of header `{name}` contains characters not allowed in a header"
                ))
            })?;
            headers.insert(name, value);
        }
        Ok(headers)
    }
}

impl fmt::Debug for Request {
    /// Query values, header values and the body are left out: they may be secrets or large.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let query: Vec<&str> = self.query.iter().map(|(name, _)| name.as_ref()).collect();
        let headers: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        let body = match &self.body {
            Body::None => "none".to_owned(),
            Body::Raw { content_type, data } => {
                format!(
                    "{} ({} bytes)",
                    content_type.to_str().unwrap_or("?"),
                    data.len()
                )
            }
            Body::Multipart(form) => format!("multipart ({} parts)", form.len()),
            Body::Stream(_) => "stream".to_owned(),
        };
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("operation", &self.operation)
            .field("path", &self.path)
            .field("query", &query)
            .field("headers", &headers)
            .field("body", &body)
            .field("options", &self.options)
            .field("error", &self.error)
            .finish()
    }
}

/// A response read in full.
struct RawResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

/// Decodes a 2xx JSON body the way every `send_json` does: an empty body is `null`, an
/// envelope saying `"success": false` is an [`Error::Api`] (when `envelope`: the API
/// follows that convention), and a body that does not fit `T` is an [`Error::Decode`]
/// naming the JSON path where it stopped fitting.
///
/// Public so a response fetched by other means (a webhook relay, a cache) decodes and
/// fails exactly like a live one, and so benchmarks measure this very code.
///
/// # Errors
///
/// [`Error::Api`] for a failure envelope, [`Error::Decode`] for a body that does not fit.
pub fn decode_json<T: DeserializeOwned>(
    operation: &'static str,
    envelope: bool,
    status: StatusCode,
    headers: HeaderMap,
    body: &[u8],
) -> Result<ApiResponse<T>, Error> {
    decode_json_with(operation, envelope, None, status, headers, body)
}

/// [`decode_json`], with errors carrying the request id read from the header
/// `request_id_header`.
///
/// # Errors
///
/// As [`decode_json`].
pub fn decode_json_with<T: DeserializeOwned>(
    operation: &'static str,
    envelope: bool,
    request_id_header: Option<&str>,
    status: StatusCode,
    headers: HeaderMap,
    body: &[u8],
) -> Result<ApiResponse<T>, Error> {
    let data: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        body
    };
    if envelope && reports_failure(data) {
        let error = ApiError::from_response(operation, status, headers, body)
            .with_request_id_header(request_id_header);
        return Err(Error::Api(Box::new(error)));
    }
    // The fast path decodes once; only a body that fails to decode is read a second time,
    // through `serde_path_to_error`, to say where (tracking the path costs an allocation
    // per key, too much to pay on every response).
    //
    // A body that is valid UTF-8 as a whole (checked in one pass) is decoded as `&str`,
    // so serde_json does not check each string again: about a fifth faster on a list of
    // videos (`bench/decode`). Invalid UTF-8 goes through `from_slice` for its error.
    let decoded = match std::str::from_utf8(data) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(data),
    };
    match decoded {
        Ok(decoded) => Ok(ApiResponse::new(status, headers, decoded)),
        Err(error) => {
            let mut deserializer = serde_json::Deserializer::from_slice(data);
            let (path, message) = match serde_path_to_error::deserialize::<_, T>(&mut deserializer)
            {
                Err(located) => (located.path().to_string(), located.inner().to_string()),
                Ok(_) => (".".to_owned(), error.to_string()),
            };
            let text = String::from_utf8_lossy(body).into_owned();
            let error = DecodeError::new(operation, status, path, message, text)
                .with_request_id(&headers, request_id_header);
            Err(Error::Decode(Box::new(error)))
        }
    }
}

/// Whether a 2xx JSON body is an envelope saying `"success": false`. Only
/// objects are parsed (once more, skipping everything but `success`), which is cheap next
/// to the network round trip.
fn reports_failure(body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Probe {
        success: Option<bool>,
    }
    if body.trim_ascii_start().first() != Some(&b'{') || !mentions_success_false(body) {
        return false;
    }
    matches!(
        serde_json::from_slice::<Probe>(body),
        Ok(Probe {
            success: Some(false)
        })
    )
}

/// A byte scan for `"success"` followed by `: false`: bodies without one (nearly all
/// successful ones) skip the parse in [`reports_failure`].
fn mentions_success_false(body: &[u8]) -> bool {
    memchr::memmem::find_iter(body, b"\"success\"").any(|at| {
        let rest = &body[at + b"\"success\"".len()..];
        rest.trim_ascii_start()
            .strip_prefix(b":")
            .is_some_and(|value| value.trim_ascii_start().starts_with(b"false"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Client {
        crate::ClientBuilder::<Client>::new(&crate::client::TEST_CONFIG)
            .no_auth()
            .base_url("http://localhost:1/client/v4/")
            .build()
            .unwrap()
    }

    #[test]
    fn builds_url_keeping_base_path() {
        let mut request = Request::new(Method::GET, "op");
        request.path_literal("/accounts/");
        request.path_param("../etc");
        request.path_literal("/items/");
        request.path_param("a b/é?#%");
        request.query("tag", "x y&z");
        request.query("tag", 2);
        assert_eq!(
            request.url(&client()).as_str(),
            "http://localhost:1/client/v4/accounts/..%2Fetc/items/a%20b%2F%C3%A9%3F%23%25?tag=x+y%26z&tag=2"
        );
    }

    #[test]
    fn encodes_optional_list_and_json_parameters() {
        let mut request = Request::new(Method::GET, "op");
        request.path_literal("/items");
        request.query_opt("absent", None::<i64>);
        request.query_opt("limit", Some(5));
        request.query_each("tag", Some(vec!["a", "b"]));
        request.query_each("none", None::<Vec<&str>>);
        // `explode: false`: one value, the items joined by commas.
        request.query_joined("id", Some(vec![1, 2, 3]));
        request.query_joined("empty", Some(Vec::<i64>::new()));
        request.query_joined("unset", None::<Vec<i64>>);
        request.query_json("filter", Some(serde_json::json!({"a": [1]})));
        request.header_joined("x-ids", Some(vec!["p", "q"]));
        request.header_opt("x-none", None::<&str>);
        assert!(request.error.is_none());
        assert_eq!(
            request.url(&client()).as_str(),
            "http://localhost:1/client/v4/items?limit=5&tag=a&tag=b&id=1%2C2%2C3&empty=&filter=%7B%22a%22%3A%5B1%5D%7D"
        );
        assert_eq!(request.headers.len(), 1);
        assert_eq!(request.headers[0].1, "p,q");
    }

    #[test]
    fn a_missing_client_default_fails_the_call() {
        let mut request = Request::new(Method::GET, "op");
        request.path_literal("/accounts/");
        request.path_param_or(&client(), Some("given".to_owned()), "account_id");
        assert_eq!(request.path(), "/accounts/given");
        request.path_param_or(&client(), None, "account_id");
        assert!(
            matches!(
                request.error,
                Some(Error::MissingParameter { name: "account_id" })
            ),
            "{:?}",
            request.error
        );
    }

    #[test]
    fn refuses_dot_segments_and_empty_values() {
        for value in ["", ".", ".."] {
            let mut request = Request::new(Method::GET, "op");
            request.path_literal("/a/");
            request.path_param(value);
            assert!(
                matches!(request.error, Some(Error::InvalidRequest { .. })),
                "{value:?}"
            );
        }
    }

    #[test]
    fn detects_failure_envelopes() {
        assert!(reports_failure(
            br#" {"result":null,"success":false,"errors":[]}"#
        ));
        assert!(!reports_failure(br#"{"success":true}"#));
        assert!(!reports_failure(br#"{"other":1}"#));
        assert!(!reports_failure(br#"[{"success":false}]"#));
        assert!(reports_failure(br#"{"result": null, "success" :  false}"#));
        assert!(!reports_failure(
            br#"{"success":true,"result":{"note":"success false"}}"#
        ));
    }

    #[test]
    fn decodes_text_and_reports_invalid_utf8_where_it_is() {
        #[derive(Debug, serde::Deserialize)]
        struct Named {
            name: String,
        }
        let body = "{\"name\":\"caf\\u00e9 \u{e9}\"}";
        let decoded = decode_json::<Named>(
            "op",
            true,
            StatusCode::OK,
            HeaderMap::new(),
            body.as_bytes(),
        )
        .unwrap();
        assert_eq!(decoded.into_body().name, "caf\u{e9} \u{e9}");

        let invalid = b"{\"name\":\"a\xff\"}";
        let Err(Error::Decode(error)) =
            decode_json::<Named>("op", true, StatusCode::OK, HeaderMap::new(), invalid)
        else {
            panic!("invalid UTF-8 must be a decode error");
        };
        assert_eq!(error.path(), "name");
        assert!(error.to_string().contains("invalid unicode"), "{error}");
    }
}
