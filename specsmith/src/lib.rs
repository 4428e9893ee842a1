//! `specsmith`: OpenAPI 3.0/3.1 documents -> typed async Rust clients, as a command
//! (`specsmith generate | diff | lint | init`, see `main.rs`) and as a library for
//! `build.rs` ([`build_script`]).
//!
//! The generator itself is the `codegen` crate; this crate drives it: it reads the spec
//! and its config, compares what the generator produces with what is on disk and writes
//! only what changed ([`generate`]), carries the runtime crate the output runs on
//! ([`runtime`], embedded at build time so that `--runtime vendor` needs no checkout),
//! reports a spec's ambiguities ([`lint`]) and writes a starting config ([`init`]).
//!
//! ```no_run
//! // In build.rs of a crate whose `src/lib.rs` has
//! // `mod api { include!(concat!(env!("OUT_DIR"), "/api.rs")); }`:
//! specsmith::build_script::Build::new("openapi.yaml")
//!     .module("api")
//!     .out_dir()
//!     .unwrap_or_else(|e| panic!("{e}"));
//! ```

pub mod build_script;
pub mod generate;
pub mod init;
pub mod lint;
pub mod runtime;
