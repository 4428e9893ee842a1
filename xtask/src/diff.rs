//! `cargo xtask diff`: the glue between the command line and the `spec-diff` library, which
//! does the comparing (re-exported here). What is this workspace's stays here: the generator
//! settings `cargo xtask generate` uses, and where the runtime crate lives.

use std::path::Path;

pub use spec_diff::*;

/// The generator settings `cargo xtask generate` uses for this crate (the spec's config
/// included), so that what is compared is what would be generated.
pub fn settings(root: &Path) -> codegen::Settings {
    let spec = root.join("spec/stream.openapi.json");
    let config = crate::generate::load_config(&spec, None).unwrap_or_default();
    crate::generate::product_settings(&spec, config)
}

/// The public API of the hand-written crate at `dir` (relative to `root`, e.g. `runtime`),
/// at git revision `base` against the working tree. A side without the crate skips the
/// comparison (said so in the report); a revision git does not know is an error.
pub fn runtime_api(root: &Path, base: &str, dir: &str) -> Result<CrateApi, String> {
    let old = source::crate_sources_at(root, base, dir)?;
    let new = source::crate_sources_in(&root.join(dir))?;
    Ok(CrateApi::compare(
        old.as_ref(),
        new.as_ref(),
        (
            &format!("{dir}/ at {base}"),
            &format!("{dir}/ in the working tree"),
        ),
    ))
}
