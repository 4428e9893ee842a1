//! `Client::request`: a call to a path the specification lacks, sent like generated ones.

use bytes::Bytes;
use http::Method;
use serde::de::DeserializeOwned;

use super::options::{JsonBodyOptionsBuilder, RequestOptions, RequestOptionsBuilder};
use super::request::Request;
use super::{ApiResponse, Client, Error};

/// A request to any path of the API, built by [`Client::request`]: for endpoints the
/// specification does not describe (yet). It goes through the same machinery as a
/// generated call: base URL, credentials, default headers and query, the retry table,
/// per-attempt timeout and deadline, [`Error`] values and `tracing` spans. Its per-call
/// options are those of every builder ([`RequestOptionsBuilder`], [`JsonBodyOptionsBuilder`]).
///
/// ```no_run
/// # async fn demo(client: &client_runtime::Client) -> Result<(), client_runtime::Error> {
/// use client_runtime::http::Method;
/// use client_runtime::{JsonBodyOptionsBuilder, RequestOptionsBuilder};
///
/// let answer: serde_json::Value = client
///     .request(Method::POST, "/accounts/abc/stream/new-endpoint")
///     .with_query("dry_run", "true")
///     .with_header("x-trace", "1")
///     .json(&serde_json::json!({"name": "clip"}))
///     .with_body_field("draft", serde_json::json!(true))
///     .with_retry_non_idempotent()
///     .send_json()
///     .await?
///     .into_body();
/// # let _ = answer; Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct CustomRequest<'a> {
    client: &'a Client,
    request: Request,
}

impl<'a> CustomRequest<'a> {
    pub(crate) fn new(client: &'a Client, method: Method, path: &str) -> Self {
        let mut request = Request::new(method, "custom_request");
        if !path.starts_with('/') {
            request.path_literal("/");
        }
        request.path_literal(path);
        Self { client, request }
    }

    /// The name the call has in errors and traces (`custom_request` unless set).
    pub fn operation(mut self, name: &'static str) -> Self {
        self.request.set_operation(name);
        self
    }

    /// Sets a JSON body (a body that fails to serialize fails the call).
    pub fn json<T: serde::Serialize + ?Sized>(mut self, body: &T) -> Self {
        if let Err(error) = self.request.json(body) {
            self.request.fail_with(error);
        }
        self
    }

    /// Sets a body of any content type.
    pub fn body(mut self, content_type: &str, body: impl Into<Bytes>) -> Self {
        self.request.raw_body(content_type, body.into());
        self
    }

    /// Sends the call and returns a 2xx body as bytes.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] for a non-2xx answer; transport, timeout and request errors.
    pub async fn send(self) -> Result<ApiResponse<Bytes>, Error> {
        self.request.send_bytes(self.client).await
    }

    /// Sends the call and decodes a 2xx JSON body into `T` (with the API's envelope
    /// rules: `"success": false` is an [`Error::Api`]).
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send), and [`Error::Decode`] when the body does not fit `T`.
    pub async fn send_json<T: DeserializeOwned>(self) -> Result<ApiResponse<T>, Error> {
        self.request.send_json(self.client).await
    }
}

impl RequestOptionsBuilder for CustomRequest<'_> {
    fn request_options(&mut self) -> &mut RequestOptions {
        self.request.options_mut()
    }
}

/// A custom call's body may be JSON ([`CustomRequest::json`]); body fields make one if it
/// has none, and fail the call if its body is not a JSON object.
impl JsonBodyOptionsBuilder for CustomRequest<'_> {}
