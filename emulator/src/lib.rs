//! A local Cloudflare Stream.

pub mod generated;
