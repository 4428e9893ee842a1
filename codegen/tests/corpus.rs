//! The real-world corpus: Cloudflare's whole published API without Stream (3159 operations,
//! 12 MB), which lives outside the repository at `../shared/specs/` relative to the
//! workspace root. Generating it must succeed.
//!
//! Slow in a debug build (~25 s on 2 cores), so ignored by default:
//! `cargo test -p specsmith-codegen --test corpus -- --ignored --nocapture` (or `--release`).
//! Skipped with a message when the corpus is not there.

use std::path::PathBuf;
use std::time::Instant;

fn corpus_path() -> PathBuf {
    std::env::var_os("CLOUDFLARE_CORPUS").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../shared/specs/cloudflare-api-without-stream.openapi.json")
        },
        PathBuf::from,
    )
}

#[test]
#[ignore = "slow in debug (~25 s); needs ../shared/specs/cloudflare-api-without-stream.openapi.json"]
fn cloudflare_corpus_generates() {
    let path = corpus_path();
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!(
            "skipping: corpus not found at {} (set CLOUDFLARE_CORPUS to point at it)",
            path.display()
        );
        return;
    };
    let spec: serde_json::Value = serde_json::from_str(&text).expect("the corpus is JSON");
    let declared = codegen::json::operation_count(&spec);
    assert!(
        declared >= 3159,
        "the corpus declares only {declared} operations"
    );

    let started = Instant::now();
    let output = codegen::generate_output(&text, &codegen::Settings::default())
        .unwrap_or_else(|e| panic!("the corpus does not generate: {e}"));
    let elapsed = started.elapsed();

    // One request builder per operation: each sends exactly one `Request::new`.
    let operations: usize = output
        .files
        .values()
        .map(|f| {
            f.matches("client_runtime::__private::Request::new(")
                .count()
        })
        .sum();
    let lines: usize = output.files.values().map(|f| f.lines().count()).sum();
    eprintln!(
        "corpus: {declared} operations declared, {operations} generated, {} files, {lines} lines, {} warnings, {:.1} s",
        output.files.len(),
        output.warnings.len(),
        elapsed.as_secs_f64()
    );
    for warning in &output.warnings {
        eprintln!("  warning: {warning}");
        assert!(
            warning.to_string().starts_with("#/"),
            "warning without a pointer: {warning}"
        );
    }
    assert_eq!(
        operations, declared,
        "every declared operation gets a builder"
    );
}
