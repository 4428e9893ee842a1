//! `Client::request`: a call to a path the specification lacks, sent like generated ones.

use std::time::Duration;

use bytes::Bytes;
use http::Method;
use serde::de::DeserializeOwned;

use super::request::Request;
use super::{ApiResponse, Client, Error};

/// A request to any path of the API, built by [`Client::request`]: for endpoints the
/// specification does not describe (yet). It goes through the same machinery as a
/// generated call: base URL, credentials, default headers and query, the retry table,
/// per-attempt timeout and deadline, [`Error`] values and `tracing` spans.
///
/// ```no_run
/// # async fn demo(client: &client_runtime::Client) -> Result<(), client_runtime::Error> {
/// use client_runtime::http::Method;
///
/// let answer: serde_json::Value = client
///     .request(Method::POST, "/accounts/abc/stream/new-endpoint")
///     .query("dry_run", "true")
///     .header("x-trace", "1")
///     .json(&serde_json::json!({"name": "clip"}))
///     .retry_non_idempotent()
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

    /// Adds a query parameter (repeat the name for arrays).
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.request.options_mut().query(name, value);
        self
    }

    /// Adds a header; it replaces a default header of the same name.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.request.options_mut().header(name, value);
        self
    }

    /// Sets a JSON body (a body that fails to serialize fails the call).
    pub fn json<T: serde::Serialize + ?Sized>(mut self, body: &T) -> Self {
        if let Err(error) = self.request.json(body) {
            self.request.fail_with(error);
        }
        self
    }

    /// Adds a top-level field to the JSON body (making an object body if there is none).
    pub fn body_field(mut self, name: impl Into<String>, value: serde_json::Value) -> Self {
        self.request.options_mut().body_field(name, value);
        self
    }

    /// Sets a body of any content type.
    pub fn body(mut self, content_type: &str, body: impl Into<Bytes>) -> Self {
        self.request.raw_body(content_type, body.into());
        self
    }

    /// The timeout of each attempt.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.request.options_mut().timeout(timeout);
        self
    }

    /// The deadline of the whole call, retries included.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.request.options_mut().deadline(deadline);
        self
    }

    /// Retries after a failed first attempt (0 disables retries).
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.request.options_mut().max_retries(max_retries);
        self
    }

    /// Retries a non-idempotent method (POST, PATCH) after 408, 409, 5xx and timeouts
    /// too; 429 and failures before sending are retried for every method anyway.
    pub fn retry_non_idempotent(mut self) -> Self {
        self.request.options_mut().retry_non_idempotent(true);
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
