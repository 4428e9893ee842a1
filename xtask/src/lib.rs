//! Project commands behind `cargo xtask`. The binary (`main.rs`) only parses arguments; each
//! command lives in its own module so tests can drive it without spawning processes.

pub mod bench;
pub mod conformance;
pub mod diff;
pub mod emulator;
pub mod generate;
pub mod public_specs;
pub mod spec_coverage;
