//! The one error type of the client, and the details of API and decode failures.

use std::fmt;
use std::time::Duration;

use http::StatusCode;
use http::header::HeaderMap;
use serde::{Deserialize, Deserializer, Serialize};

use super::retry;

/// How much of a response body an error message shows; the whole body stays in the error.
const BODY_PREVIEW: usize = 512;

/// Everything that can go wrong while calling the API.
///
/// API errors (non-2xx), decode errors, transport failures and timeouts are distinct
/// variants, so callers can match on what they care about; the predicates
/// ([`is_not_found`](Self::is_not_found), [`is_rate_limited`](Self::is_rate_limited),
/// [`is_timeout`](Self::is_timeout), ...), [`status`](Self::status),
/// [`request_id`](Self::request_id) and [`is_retryable`](Self::is_retryable) answer the
/// common questions without matching.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with a non-2xx status (or a 2xx envelope with `"success": false`).
    #[error(transparent)]
    Api(Box<ApiError>),
    /// A 2xx response whose body did not match the expected type.
    #[error(transparent)]
    Decode(Box<DecodeError>),
    /// The request could not be sent or the response could not be read (DNS, connect,
    /// TLS, broken connection).
    #[error("transport error calling `{operation}`: {source}")]
    Transport {
        /// The operation id of the call.
        operation: &'static str,
        /// The underlying HTTP client error (its URL, if any, is stripped of the query).
        #[source]
        source: reqwest::Error,
    },
    /// No complete response arrived within the configured timeout.
    #[error("`{operation}` timed out after {after:?}")]
    Timeout {
        /// The operation id of the call.
        operation: &'static str,
        /// The timeout that was exceeded (per attempt).
        after: Duration,
    },
    /// The whole call, retries and waits included, ran past its deadline.
    #[error("`{operation}` ran past its deadline of {after:?} (attempt {attempts})")]
    DeadlineExceeded {
        /// The operation id of the call.
        operation: &'static str,
        /// The deadline, counted from the start of the call.
        after: Duration,
        /// The attempt that was running or about to start.
        attempts: u32,
    },
    /// A required parameter has no value (for example `account_id` with no client default).
    #[error("missing required parameter `{name}`")]
    MissingParameter {
        /// The parameter's name (or environment variable's, for `from_env`).
        name: &'static str,
    },
    /// The request could not be built: invalid header value, bad base URL, a body that
    /// failed to serialize, an empty path parameter, ...
    #[error("invalid request: {message}")]
    InvalidRequest {
        /// What is wrong. Never contains credentials.
        message: String,
    },
    /// Reading a file for an upload failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A 2xx envelope had no payload (`result`, or the API's envelope field) where the
    /// operation promises one.
    #[error("the response of `{operation}` has no `{field}`")]
    MissingResult {
        /// The operation id of the call.
        operation: &'static str,
        /// The envelope field that is missing.
        field: &'static str,
    },
}

impl Error {
    /// The error for a 2xx envelope without its payload field `field` (what generated
    /// `send()` returns then).
    pub fn missing_result(operation: &'static str, field: &'static str) -> Self {
        Self::MissingResult { operation, field }
    }

    /// The error for a 2xx answer without a header the specification requires (used by
    /// generated code): an [`Error::Decode`] whose path names the header.
    pub fn missing_header(operation: &'static str, status: StatusCode, header: &str) -> Self {
        Self::Decode(Box::new(DecodeError::new(
            operation,
            status,
            format!("headers.{header}"),
            format!("the response has no `{header}` header, which the API specification requires"),
            String::new(),
        )))
    }

    /// An [`Error::InvalidRequest`] with the given message.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::InvalidRequest {
            message: message.into(),
        }
    }

    /// The HTTP status of the response, for API and decode errors.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api(error) => Some(error.status),
            Self::Decode(error) => Some(error.status),
            _ => None,
        }
    }

    /// The response headers, for API errors.
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.api_error().map(ApiError::headers)
    }

    /// The server's id of the request (for Cloudflare the `cf-ray` header: what support
    /// asks for), for API and decode errors of an API that names such a header.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Api(error) => error.request_id(),
            Self::Decode(error) => error.request_id(),
            _ => None,
        }
    }

    /// The API error details, if this is an [`Error::Api`].
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Api(error) => Some(error),
            _ => None,
        }
    }

    fn has_status(&self, code: u16) -> bool {
        self.api_error()
            .is_some_and(|error| error.status.as_u16() == code)
    }

    /// An API error with status 400 Bad Request.
    pub fn is_bad_request(&self) -> bool {
        self.has_status(400)
    }

    /// An API error with status 401 Unauthorized: missing or invalid credentials.
    pub fn is_unauthorized(&self) -> bool {
        self.has_status(401)
    }

    /// An API error with status 403 Forbidden: the credentials lack a permission.
    pub fn is_forbidden(&self) -> bool {
        self.has_status(403)
    }

    /// An API error with status 404 Not Found.
    pub fn is_not_found(&self) -> bool {
        self.has_status(404)
    }

    /// An API error with status 409 Conflict.
    pub fn is_conflict(&self) -> bool {
        self.has_status(409)
    }

    /// An API error with status 422 Unprocessable Content.
    pub fn is_unprocessable(&self) -> bool {
        self.has_status(422)
    }

    /// An API error with status 429 Too Many Requests.
    pub fn is_rate_limited(&self) -> bool {
        self.has_status(429)
    }

    /// An API error with a 5xx status.
    pub fn is_server_error(&self) -> bool {
        self.api_error()
            .is_some_and(|error| error.status.is_server_error())
    }

    /// A per-attempt timeout, a connect timeout, or the call's deadline.
    pub fn is_timeout(&self) -> bool {
        match self {
            Self::Timeout { .. } | Self::DeadlineExceeded { .. } => true,
            Self::Transport { source, .. } => source.is_timeout(),
            _ => false,
        }
    }

    /// The connection could not be made (DNS, connect, TLS): the request was not sent.
    pub fn is_connect(&self) -> bool {
        matches!(self, Self::Transport { source, .. } if source.is_connect())
    }

    /// A 2xx response whose body did not fit the expected type.
    pub fn is_decode(&self) -> bool {
        matches!(self, Self::Decode(_))
    }

    /// Whether trying the same request again may succeed, for some call: what the retry
    /// table ([`RETRY_RULES`](crate::RETRY_RULES)) covers, unless the server said
    /// `x-should-retry: false` (or `true`).
    pub fn is_retryable(&self) -> bool {
        retry::is_retryable(self)
    }

    /// Wraps a transport error, dropping the URL's query from it: query values are
    /// caller data that may be sensitive, and errors end up in logs.
    #[doc(hidden)]
    pub fn transport(operation: &'static str, mut source: reqwest::Error) -> Self {
        if let Some(url) = source.url_mut() {
            url.set_query(None);
        }
        Self::Transport { operation, source }
    }
}

/// A message of an error envelope's `errors` or `messages` array.
///
/// Deserialization is lenient: missing fields default, a string `code` is parsed, and a
/// bare string becomes the `message`, because error bodies are the last place where a
/// strict schema should hide what the server said.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ApiMessage {
    /// The API's numeric code (`0` when absent).
    pub code: i64,
    /// Human-readable text.
    pub message: String,
    /// A link to documentation about this code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub documentation_url: Option<String>,
    /// What the message refers to (for example `{"pointer": "/name"}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<serde_json::Value>,
}

impl ApiMessage {
    fn from_value(value: serde_json::Value) -> Self {
        use serde_json::Value;
        match value {
            Value::Object(mut map) => {
                let code = match map.get("code") {
                    Some(Value::Number(n)) => n.as_i64().unwrap_or_default(),
                    Some(Value::String(s)) => s.trim().parse().unwrap_or_default(),
                    _ => 0,
                };
                let message = match map.remove("message") {
                    Some(Value::String(s)) => s,
                    Some(Value::Null) | None => String::new(),
                    Some(other) => other.to_string(),
                };
                let documentation_url = match map.remove("documentation_url") {
                    Some(Value::String(s)) => Some(s),
                    _ => None,
                };
                let source = map.remove("source").filter(|v| !v.is_null());
                Self {
                    code,
                    message,
                    documentation_url,
                    source,
                }
            }
            Value::String(message) => Self {
                message,
                ..Self::default()
            },
            other => Self {
                message: other.to_string(),
                ..Self::default()
            },
        }
    }
}

impl<'de> Deserialize<'de> for ApiMessage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_json::Value::deserialize(deserializer).map(Self::from_value)
    }
}

impl fmt::Display for ApiMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.code == 0 {
            f.write_str(&self.message)
        } else {
            write!(f, "{} {}", self.code, self.message)
        }
    }
}

/// A non-2xx response (or a 2xx envelope with `"success": false`), with the parsed
/// error envelope (`errors`, `messages`), if the body had one, and the raw body.
#[derive(Debug, Clone)]
pub struct ApiError {
    operation: &'static str,
    status: StatusCode,
    headers: HeaderMap,
    errors: Vec<ApiMessage>,
    messages: Vec<ApiMessage>,
    body: String,
    request_id: Option<String>,
}

impl ApiError {
    /// Builds the error from a response, parsing the envelope if the body has one.
    #[doc(hidden)]
    pub fn from_response(
        operation: &'static str,
        status: StatusCode,
        headers: HeaderMap,
        body: &[u8],
    ) -> Self {
        let (errors, messages) = match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(serde_json::Value::Object(mut envelope)) => (
                take_messages(&mut envelope, "errors"),
                take_messages(&mut envelope, "messages"),
            ),
            _ => (Vec::new(), Vec::new()),
        };
        Self {
            operation,
            status,
            headers,
            errors,
            messages,
            body: String::from_utf8_lossy(body).into_owned(),
            request_id: None,
        }
    }

    /// Reads the request id from the response header `name` (the API's
    /// `request_id_header`).
    #[doc(hidden)]
    pub fn with_request_id_header(mut self, name: Option<&str>) -> Self {
        self.request_id = request_id(&self.headers, name);
        self
    }

    /// The server's id of the request, from the header the API names for it (`cf-ray`
    /// for Cloudflare).
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The operation id of the call.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The envelope's `errors` (empty when the body was not an envelope).
    pub fn errors(&self) -> &[ApiMessage] {
        &self.errors
    }

    /// The envelope's `messages`.
    pub fn messages(&self) -> &[ApiMessage] {
        &self.messages
    }

    /// The whole response body as text.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// Whether any of the envelope's errors has this code.
    pub fn has_code(&self, code: i64) -> bool {
        self.errors.iter().any(|error| error.code == code)
    }

    /// The delay the server asked for with `retry-after-ms` or `Retry-After` (seconds or
    /// HTTP date), uncapped.
    pub fn retry_after(&self) -> Option<Duration> {
        retry::server_delay(&self.headers)
    }
}

/// The value of the request-id header `name`, if the response has a readable one.
pub(crate) fn request_id(headers: &HeaderMap, name: Option<&str>) -> Option<String> {
    let value = headers.get(name?)?.to_str().ok()?.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

fn take_messages(
    envelope: &mut serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Vec<ApiMessage> {
    match envelope.remove(key) {
        Some(serde_json::Value::Array(items)) => {
            items.into_iter().map(ApiMessage::from_value).collect()
        }
        _ => Vec::new(),
    }
}

impl fmt::Display for ApiError {
    /// `API error (HTTP 404, request id 8f1b2c3d4e5f6a7b-SJC): 10003 Not found`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "API error (HTTP {}", self.status.as_u16())?;
        if let Some(id) = &self.request_id {
            write!(f, ", request id {id}")?;
        }
        f.write_str("): ")?;
        if !self.errors.is_empty() {
            for (index, error) in self.errors.iter().enumerate() {
                if index > 0 {
                    f.write_str("; ")?;
                }
                write!(f, "{error}")?;
            }
            Ok(())
        } else if !self.body.trim().is_empty() {
            f.write_str(&preview(self.body.trim()))
        } else {
            f.write_str(self.status.canonical_reason().unwrap_or("no details"))
        }
    }
}

impl std::error::Error for ApiError {}

/// A 2xx response whose body did not decode into the expected type.
#[derive(Debug, Clone)]
pub struct DecodeError {
    operation: &'static str,
    status: StatusCode,
    path: String,
    message: String,
    body: String,
    request_id: Option<String>,
}

impl DecodeError {
    /// Builds a decode error. `path` is where in the document decoding failed, in the
    /// `serde_path_to_error` notation (`result[3].status.state`).
    pub fn new(
        operation: &'static str,
        status: StatusCode,
        path: impl Into<String>,
        message: impl Into<String>,
        body: impl Into<String>,
    ) -> Self {
        Self {
            operation,
            status,
            path: path.into(),
            message: message.into(),
            body: body.into(),
            request_id: None,
        }
    }

    /// Reads the request id from the response header `name`.
    #[doc(hidden)]
    pub fn with_request_id(mut self, headers: &HeaderMap, name: Option<&str>) -> Self {
        self.request_id = request_id(headers, name);
        self
    }

    /// The server's id of the request, from the header the API names for it.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The operation id of the call.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The HTTP status of the response.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Where decoding failed, for example `result[3].status.state` (`.` for the root).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The deserializer's message (expected type, unknown variant, ...).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The whole response body as text.
    pub fn body(&self) -> &str {
        &self.body
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot decode the response of `{}` (HTTP {}",
            self.operation,
            self.status.as_u16()
        )?;
        if let Some(id) = &self.request_id {
            write!(f, ", request id {id}")?;
        }
        write!(
            f,
            ") at `{}`: {}; body: {}",
            self.path,
            self.message,
            preview(&self.body)
        )
    }
}

impl std::error::Error for DecodeError {}

/// The start of `text`, cut on a character boundary, with `...` when cut.
fn preview(text: &str) -> String {
    if text.len() <= BODY_PREVIEW {
        return text.to_owned();
    }
    let mut end = BODY_PREVIEW;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes)", &text[..end], text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_envelope_leniently() {
        let body = br#"{"success":false,"errors":[{"code":10003,"message":"Not found"},{"code":"7","message":"x","documentation_url":"https://d"},"plain"],"messages":[{"message":"hint"}],"result":null}"#;
        let error = ApiError::from_response("op", StatusCode::NOT_FOUND, HeaderMap::new(), body);
        assert_eq!(error.errors().len(), 3);
        assert_eq!(error.errors()[0].code, 10003);
        assert_eq!(error.errors()[1].code, 7);
        assert_eq!(
            error.errors()[1].documentation_url.as_deref(),
            Some("https://d")
        );
        assert_eq!(error.errors()[2].message, "plain");
        assert_eq!(error.messages()[0].message, "hint");
        assert!(error.has_code(10003));
        assert_eq!(
            error.to_string(),
            "API error (HTTP 404): 10003 Not found; 7 x; plain"
        );
    }

    #[test]
    fn predicates_and_request_id() {
        let mut headers = HeaderMap::new();
        headers.insert("cf-ray", "8f1b2c3d4e5f6a7b-SJC".parse().unwrap());
        let error = |code: u16| {
            let status = StatusCode::from_u16(code).unwrap();
            Error::Api(Box::new(
                ApiError::from_response("op", status, headers.clone(), b"{}")
                    .with_request_id_header(Some("cf-ray")),
            ))
        };
        assert!(error(404).is_not_found() && !error(404).is_server_error());
        assert!(error(401).is_unauthorized());
        assert!(error(403).is_forbidden());
        assert!(error(409).is_conflict());
        assert!(error(429).is_rate_limited());
        assert!(error(400).is_bad_request());
        assert!(error(422).is_unprocessable());
        assert!(error(503).is_server_error() && !error(503).is_not_found());
        assert!(!error(404).is_timeout() && !error(404).is_connect());
        assert_eq!(error(404).request_id(), Some("8f1b2c3d4e5f6a7b-SJC"));
        assert_eq!(
            error(404).to_string(),
            "API error (HTTP 404, request id 8f1b2c3d4e5f6a7b-SJC): {}"
        );
        let deadline = Error::DeadlineExceeded {
            operation: "op",
            after: Duration::from_secs(1),
            attempts: 2,
        };
        assert!(deadline.is_timeout() && deadline.request_id().is_none());
        let without = ApiError::from_response("op", StatusCode::OK, headers.clone(), b"")
            .with_request_id_header(Some("x-request-id"));
        assert_eq!(without.request_id(), None);
    }

    #[test]
    fn non_json_body_keeps_the_text() {
        let error = ApiError::from_response(
            "op",
            StatusCode::BAD_GATEWAY,
            HeaderMap::new(),
            b"<html>bad gateway</html>",
        );
        assert!(error.errors().is_empty());
        assert_eq!(error.body(), "<html>bad gateway</html>");
        assert_eq!(
            error.to_string(),
            "API error (HTTP 502): <html>bad gateway</html>"
        );
    }

    #[test]
    fn preview_cuts_on_char_boundary() {
        let long = "é".repeat(BODY_PREVIEW);
        let cut = preview(&long);
        assert!(cut.len() < long.len());
        assert!(cut.ends_with(&format!("... ({} bytes)", long.len())));
    }
}
