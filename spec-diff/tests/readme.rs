//! `spec-diff/README.md`'s level table is the rules' table: `cargo xtask diff --rules` prints it, and
//! this test fails (with a diff) when someone edits one without the other.

use std::path::Path;

use spec_diff::rules;

#[test]
fn readme_level_table_is_the_rules_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("spec-diff/README.md");
    let start = readme
        .lines()
        .position(|l| {
            l.starts_with("| change | request (client writes) | response (client reads) |")
        })
        .expect("spec-diff/README.md has the level table (under \"The rules\")");
    let mut table: String = readme
        .lines()
        .skip(start)
        .take_while(|l| l.starts_with('|'))
        .collect::<Vec<_>>()
        .join("\n");
    table.push('\n');
    let expected = rules::markdown();
    if table != expected {
        let diff = similar::TextDiff::from_lines(&table, &expected)
            .unified_diff()
            .header("spec-diff/README.md", "rules::markdown()")
            .to_string();
        panic!(
            "spec-diff/README.md's level table differs from the rules (spec-diff/src/rules.rs); \
             replace it with the output of `cargo xtask diff --rules`:\n{diff}"
        );
    }
}
