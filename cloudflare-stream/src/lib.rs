#![doc = include_str!("../README.md")]

// The crate's boundary: `generated` is what `cargo xtask generate` writes from
// `spec/stream.openapi.json` (never edit it by hand); everything declared below it is
// hand-written Stream code on top of it. The runtime (`client-runtime`) is a crate of its
// own; its user-facing types are re-exported here so nobody needs a second dependency.

#[rustfmt::skip]
mod generated;

pub mod paging;
pub mod signing;
pub mod upload;
pub mod webhook;

pub use client_runtime::{
    ApiError, ApiMessage, ApiResponse, Bytes, Credentials, CustomRequest, Date, DecodeError,
    Envelope, Error, FilePart, JsonBodyOptionsBuilder, Nullable, ParseTimeError, RETRY_RULES,
    RequestOptions, RequestOptionsBuilder, RetryCalls, RetryFailure, RetryPolicy, RetryRule,
    Secret, Timestamp, http, time,
};

/// The traits of every request builder's per-call options (`with_timeout`, `with_header`,
/// `with_body_field`, ...): `use cloudflare_stream::prelude::*;` brings them into scope.
pub mod prelude {
    pub use client_runtime::{JsonBodyOptionsBuilder, RequestOptionsBuilder};
}
pub use generated::{Client, ClientBuilder, models, operations};

/// The repository README's examples, compiled as doctests (the crate's own README is the
/// crate documentation above).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct RepositoryReadme;
