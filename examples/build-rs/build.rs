//! Generates the Pet Store client from `openapi.yaml` into `$OUT_DIR/api.rs` on every build
//! where the spec (or a `codegen.toml` beside it) changed.

fn main() {
    if let Err(message) = specsmith::build_script::Build::new("openapi.yaml")
        .module("api")
        .out_dir()
    {
        panic!("{message}");
    }
}
