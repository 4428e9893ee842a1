//! The one error type of the client, and the details of API and decode failures.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::{Deserialize, Deserializer, Serialize};

use super::retry;

/// How much of a response body an error message shows; the whole body stays in the error.
const BODY_PREVIEW: usize = 512;

/// Everything that can go wrong while calling the API.
///
/// API errors (non-2xx), decode errors, transport failures and timeouts are distinct
/// variants, so callers can match on what they care about; [`Error::status`] and
/// [`Error::is_retryable`] answer the common questions without matching.
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
    /// A 2xx envelope had no `result` where the operation promises one.
    #[error("the response of `{operation}` has no `result`")]
    MissingResult {
        /// The operation id of the call.
        operation: &'static str,
    },
}

impl Error {
    /// The error for a 2xx envelope without `result` (used by generated code).
    pub fn missing_result(operation: &'static str) -> Self {
        Self::MissingResult { operation }
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

    /// The API error details, if this is an [`Error::Api`].
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Api(error) => Some(error),
            _ => None,
        }
    }

    /// Whether trying the same request again may succeed: 408, 409, 429 and 5xx
    /// responses, timeouts, and connection failures.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Api(error) => retry::is_retryable_status(error.status),
            // Builder and redirect errors repeat identically; everything else a transport
            // reports (connect, broken connection, body read) is transient.
            Self::Transport { source, .. } => !(source.is_builder() || source.is_redirect()),
            Self::Timeout { .. } => true,
            _ => false,
        }
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
        }
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

    /// The delay the server asked for with `Retry-After` (seconds or HTTP date), uncapped.
    pub fn retry_after(&self) -> Option<Duration> {
        retry::retry_after(&self.headers)
    }
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
    /// `API error (HTTP 404): 10003 Not found; 1000 Other`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "API error (HTTP {}): ", self.status.as_u16())?;
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
        }
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
            "cannot decode the response of `{}` (HTTP {}) at `{}`: {}; body: {}",
            self.operation,
            self.status.as_u16(),
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
