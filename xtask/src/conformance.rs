//! `cargo xtask conformance`: runs the `conformance` crate's runner.
//!
//! The runner links the generated client (with its `dispatch` feature). `xtask` itself must
//! not: `cargo xtask generate` has to build even when the generated crate does not compile,
//! since regenerating is how it is repaired. So this command runs the runner as its own
//! binary (`cargo run -p conformance`), passing the options through.

use std::path::Path;
use std::process::Command;

/// Runs `cargo run -p conformance -- <args>` in `root`; `Ok(true)` when every check passed.
pub fn run(root: &Path, args: &[String]) -> Result<bool, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .current_dir(root)
        .args(["run", "--quiet", "--package", "conformance", "--"])
        .args(args)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    Ok(status.success())
}
