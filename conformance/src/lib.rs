//! Conformance: replays recorded request/response fixtures through the generated client,
//! over real HTTP, and checks every operation of the spec end to end.
//!
//! - [`fixture`]: the fixture format (`fixtures/<operation_id>/<case>.json`);
//! - [`server`]: the replay server on `127.0.0.1:0`;
//! - [`schema`]: the spec's operations and schemas, as JSON Schema;
//! - [`check`]: request, JSON and multipart comparisons;
//! - [`record`]: the recording proxy that writes fixtures from real traffic;
//! - [`dispatch`]: every operation by id with JSON arguments (generated from the spec by
//!   `cargo xtask generate`), over [`dispatch_support`];
//! - [`runner`]: drives `dispatch::call` per case and reports the checks
//!   `request-matches`, `response-decodes`, `round-trip-lossless`, `fixture-valid` and
//!   `error-typed` in a table.

pub mod check;
#[rustfmt::skip]
/// What `cargo xtask generate` writes from the spec; the generator owns this folder.
pub mod generated {
    #[rustfmt::skip]
    pub mod dispatch;
}
pub use generated::dispatch;
pub mod dispatch_support;
pub mod fixture;
pub mod record;
pub mod runner;
pub mod schema;
pub mod server;

pub use runner::{Report, Runner, run_dir};
pub use schema::Spec;

/// Runs the fixtures of this crate against the workspace spec.
pub fn run_default() -> Result<Report, String> {
    run_dir(&fixture::default_dir(), Spec::load_default()?)
}
