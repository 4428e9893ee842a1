//! The `specsmith` binary as a user runs it: exit codes and what it prints, on the small
//! spec of `examples/build-rs/` (every spec of its own in a temporary folder).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn specsmith(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_specsmith"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A temporary folder holding a copy of the example spec as `pets.yaml`.
fn with_spec() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let spec = dir.path().join("pets.yaml");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/build-rs/openapi.yaml");
    fs::copy(example, &spec).expect("the example spec");
    (dir, spec)
}

#[test]
fn generate_then_check_is_clean_and_an_edit_is_drift() {
    let (dir, spec) = with_spec();
    let generate = ["generate", "--spec", "pets.yaml", "--out", "pets"];
    let first = specsmith(&generate, dir.path());
    assert!(first.status.success(), "{}", text(&first));
    assert!(
        text(&first).contains("created the crate at pets"),
        "{}",
        text(&first)
    );
    let vendored = dir.path().join("pets/client-runtime/src/lib.rs");
    assert!(vendored.is_file(), "the runtime is vendored by default");
    let manifest = fs::read_to_string(dir.path().join("pets/Cargo.toml")).unwrap();
    assert!(
        manifest.contains("client-runtime = { path = \"client-runtime\" }"),
        "{manifest}"
    );

    let check = [&generate[..], &["--check"]].concat();
    let clean = specsmith(&check, dir.path());
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean));
    assert!(text(&clean).contains(": up to date"), "{}", text(&clean));

    let edited = fs::read_to_string(&spec).unwrap().replace(
        "tag: {type: string}",
        "tag: {type: string}\n        age: {type: integer}",
    );
    fs::write(&spec, edited).unwrap();
    let drift = specsmith(&check, dir.path());
    assert_eq!(drift.status.code(), Some(1), "{}", text(&drift));
    let report = text(&drift);
    assert!(report.contains("changed  src/models.rs (+"), "{report}");
    assert!(
        report.contains("run `specsmith generate --spec pets.yaml --out pets`"),
        "{report}"
    );
    // Writing brings it back; a hand edit of a generated file is drift too.
    assert!(specsmith(&generate, dir.path()).status.success());
    assert_eq!(specsmith(&check, dir.path()).status.code(), Some(0));
    fs::write(
        dir.path().join("pets/client-runtime/src/lib.rs"),
        "// mine\n",
    )
    .unwrap();
    let vendored_drift = specsmith(&check, dir.path());
    assert_eq!(vendored_drift.status.code(), Some(1));
    assert!(
        text(&vendored_drift).contains("changed  client-runtime/src/lib.rs"),
        "{}",
        text(&vendored_drift)
    );
}

#[test]
fn a_module_of_an_existing_crate() {
    let (dir, _) = with_spec();
    let module = dir.path().join("src/api");
    let run = specsmith(
        &["generate", "--spec", "pets.yaml", "--module", "src/api"],
        dir.path(),
    );
    assert!(run.status.success(), "{}", text(&run));
    assert!(module.join("mod.rs").is_file() && module.join("models.rs").is_file());
    fs::write(module.join("extra.rs"), "// not the generator's\n").unwrap();
    let check = specsmith(
        &[
            "generate",
            "--spec",
            "pets.yaml",
            "--module",
            "src/api",
            "--check",
        ],
        dir.path(),
    );
    assert_eq!(check.status.code(), Some(1), "{}", text(&check));
    assert!(
        text(&check).contains("stale    extra.rs"),
        "{}",
        text(&check)
    );
    let bad = specsmith(
        &["generate", "--spec", "pets.yaml", "--module", "src/my-api"],
        dir.path(),
    );
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
}

#[test]
fn errors_name_the_file_and_the_pointer() {
    let (dir, spec) = with_spec();
    let broken = fs::read_to_string(&spec).unwrap().replace(
        "required: true\n          schema: {type: string}",
        "required: 7\n          schema: {type: string}",
    );
    fs::write(&spec, broken).unwrap();
    let run = specsmith(
        &["generate", "--spec", "pets.yaml", "--out", "x"],
        dir.path(),
    );
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    let message = text(&run);
    assert!(
        message.contains("pets.yaml: #/paths/~1pets~1{pet_id}/get/parameters/0/required"),
        "{message}"
    );
    let lint = specsmith(&["lint", "pets.yaml"], dir.path());
    assert_eq!(lint.status.code(), Some(1), "{}", text(&lint));
    assert!(
        text(&lint).contains("error: [spec-invalid]"),
        "{}",
        text(&lint)
    );
}

#[test]
fn lint_exit_codes_follow_fail_on() {
    let (dir, spec) = with_spec();
    let clean = specsmith(&["lint", "pets.yaml"], dir.path());
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean));
    assert!(
        text(&clean).contains("0 error(s), 0 warning(s), 0 info"),
        "{}",
        text(&clean)
    );
    let union = fs::read_to_string(&spec).unwrap().replace(
        "    NewPet:\n",
        "    Either:\n      oneOf:\n        - {$ref: \"#/components/schemas/Pet\"}\n        - {$ref: \"#/components/schemas/NewPet\"}\n    NewPet:\n",
    );
    fs::write(&spec, union).unwrap();
    let found = specsmith(&["lint", "pets.yaml"], dir.path());
    assert_eq!(found.status.code(), Some(1), "{}", text(&found));
    let report = text(&found);
    assert!(
        report.contains(
            "warning: [one-of-without-discriminator] #/components/schemas/Either/oneOf (line"
        ),
        "{report}"
    );
    let lenient = specsmith(&["lint", "pets.yaml", "--fail-on", "error"], dir.path());
    assert_eq!(lenient.status.code(), Some(0), "{}", text(&lenient));
}

#[test]
fn init_writes_a_config_that_generate_reads() {
    let (dir, _) = with_spec();
    let init = specsmith(&["init", "pets.yaml"], dir.path());
    assert!(init.status.success(), "{}", text(&init));
    let config = fs::read_to_string(dir.path().join("codegen.toml")).unwrap();
    assert!(config.contains("name = \"pet-store\""), "{config}");
    assert!(
        config.contains("token: bearer token, from PET_TOKEN"),
        "{config}"
    );
    let again = specsmith(&["init", "pets.yaml"], dir.path());
    assert_eq!(again.status.code(), Some(2), "an existing config is kept");
    let generate = specsmith(
        &["generate", "--spec", "pets.yaml", "--out", "pets"],
        dir.path(),
    );
    assert!(generate.status.success(), "{}", text(&generate));
}

#[test]
fn diff_grades_a_breaking_change() {
    let (dir, spec) = with_spec();
    let old = dir.path().join("old.yaml");
    fs::copy(&spec, &old).unwrap();
    let same = specsmith(
        &["diff", "old.yaml", "pets.yaml", "--fail-on", "breaking"],
        dir.path(),
    );
    assert_eq!(same.status.code(), Some(0), "{}", text(&same));
    let removed = fs::read_to_string(&spec)
        .unwrap()
        .replace("        tag: {type: string}\ncomponents", "components");
    let removed = removed.replace(
        "      required: [id, name]\n      properties:\n        id: {type: string}\n        name: {type: string}\n        tag: {type: string}\n",
        "      required: [id, name]\n      properties:\n        id: {type: string}\n        name: {type: string}\n",
    );
    fs::write(&spec, removed).unwrap();
    let breaking = specsmith(
        &["diff", "old.yaml", "pets.yaml", "--fail-on", "breaking"],
        dir.path(),
    );
    assert_eq!(breaking.status.code(), Some(1), "{}", text(&breaking));
    assert!(
        text(&breaking).contains("property-removed"),
        "{}",
        text(&breaking)
    );
}
