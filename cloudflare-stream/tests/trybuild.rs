//! Compile-fail tests: required parameters are constructor arguments, so omitting one, or
//! passing a plain string where the spec has an enum, does not compile.
//!
//! The expected compiler output is committed next to each case (`compile_fail/*.stderr`).
//! trybuild drops line numbers from notes that point into the crate, so regenerating the crate
//! only changes them when a signature changes; then refresh them with
//! `TRYBUILD=overwrite cargo test -p cloudflare-stream --test trybuild` and review the diff.

#[test]
fn compile_fail() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/compile_fail/*.rs");
}
