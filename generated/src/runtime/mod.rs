//! The hand-written runtime that generated operations call: client configuration,
//! request building, retries, errors and the `Nullable` tri-state.
//!
//! Nothing here names a particular API: the same module serves any client generated from
//! a Cloudflare-style OpenAPI document. Generated code builds a [`Request`] in path
//! template order and sends it with the `send_*` method matching the response's media
//! type.

mod client;
mod error;
mod multipart;
mod nullable;
mod param;
mod request;
mod response;
mod retry;
mod secret;

pub use client::{
    Auth, Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT,
    DEFAULT_USER_AGENT,
};
pub use error::{ApiError, ApiMessage, DecodeError, Error};
pub use multipart::{FilePart, Multipart};
pub use nullable::Nullable;
pub use param::ParamValue;
pub use request::{Request, RequestOptions, decode_json};
pub use response::ApiResponse;
pub use retry::{MAX_RETRY_AFTER, RetryPolicy};
pub use secret::Secret;
