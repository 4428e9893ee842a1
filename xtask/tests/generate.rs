//! `cargo xtask generate`: determinism, the `--check` drift detection (hand edits, missing
//! and stale files) and, behind `--ignored`, that generated crates compile standalone and
//! feature by feature (the small specs of `codegen/tests/specs/` are checked on every run,
//! by `tests/snapshot_specs.rs`).
//!
//! Slow tests (run them with `cargo test -p xtask --test generate -- --ignored`):
//! - `a_vendored_crate_compiles_standalone`: the Stream crate generated with
//!   `--runtime vendor` outside the workspace, checked with its copy of the runtime.

use std::fs;
use std::path::{Path, PathBuf};

use xtask::generate::{
    Drift, GENERATED_MARKER, Options, RuntimeSource, cargo_check, run, workspace_root,
};

fn stream_spec() -> PathBuf {
    workspace_root().join("spec/stream.openapi.json")
}

fn small_spec(name: &str) -> PathBuf {
    let dir = workspace_root().join("codegen/tests/specs");
    let yaml = dir.join(format!("{name}.yaml"));
    if yaml.exists() {
        yaml
    } else {
        dir.join(format!("{name}.json"))
    }
}

/// Every file under `dir`, relative path -> bytes, sorted.
fn read_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).expect("readable dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .expect("under dir")
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, fs::read(&path).expect("readable file")));
            }
        }
    }
    out.sort();
    out
}

/// Options for a whole crate at `out`, depending on this workspace's runtime by path.
fn crate_options(spec: &Path, out: &Path, check: bool) -> Options {
    Options {
        spec: spec.to_path_buf(),
        out: Some(out.to_path_buf()),
        config: None,
        runtime: Some(RuntimeSource::Path),
        check,
    }
}

fn generate_into(spec: &Path, out: &Path) -> xtask::generate::Report {
    run(&crate_options(spec, out, false))
        .unwrap_or_else(|e| panic!("generate {} failed: {e}", spec.display()))
}

fn check(spec: &Path, out: &Path) -> Vec<Drift> {
    run(&crate_options(spec, out, true))
        .unwrap_or_else(|e| panic!("check {} failed: {e}", spec.display()))
        .drift
}

#[test]
fn two_runs_give_identical_bytes() {
    let a = tempfile::tempdir().expect("temp dir");
    let b = tempfile::tempdir().expect("temp dir");
    generate_into(&stream_spec(), a.path());
    generate_into(&stream_spec(), b.path());
    let (a, b) = (read_tree(a.path()), read_tree(b.path()));
    assert!(
        a.iter().any(|(p, _)| p == "src/models.rs"),
        "no models.rs written"
    );
    assert_eq!(
        a.iter().map(|(p, _)| p).collect::<Vec<_>>(),
        b.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    for ((path, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{path} differs between two runs");
    }
}

#[test]
fn generator_output_is_deterministic_in_memory() {
    let text = fs::read_to_string(stream_spec()).expect("spec");
    let settings = codegen::Settings::default();
    let first = codegen::generate(&text, &settings).expect("generates");
    for _ in 0..2 {
        assert_eq!(
            first,
            codegen::generate(&text, &settings).expect("generates")
        );
    }
}

/// CI's drift check: the committed generated module of `generated/` and the conformance
/// dispatch are what the committed spec generates.
#[test]
fn check_passes_on_the_committed_crate() {
    let drift = run(&Options {
        check: true,
        ..Options::product()
    })
    .expect("checks")
    .drift;
    assert!(
        drift.is_empty(),
        "generated/ drifted from spec/stream.openapi.json (run `cargo xtask generate`):\n{}",
        drift
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// A freshly generated standalone crate in a temp dir, checked clean.
fn fresh_crate() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    generate_into(&stream_spec(), dir.path());
    assert_eq!(
        check(&stream_spec(), dir.path()),
        vec![],
        "a fresh crate drifts"
    );
    dir
}

#[test]
fn check_names_a_hand_edited_file_and_writes_nothing() {
    let dir = fresh_crate();
    let target = dir.path().join("src/models.rs");
    let mut text = fs::read_to_string(&target).expect("models.rs");
    text.push_str("\npub struct HandEdit;\n");
    fs::write(&target, &text).expect("write");

    let drift = check(&stream_spec(), dir.path());
    assert_eq!(
        drift,
        vec![Drift::Changed {
            path: "src/models.rs".to_owned(),
            added: 0,
            removed: 2,
        }],
        "{drift:?}"
    );
    let shown = drift[0].to_string();
    assert!(shown.contains("src/models.rs"), "{shown}");
    // `--check` only reports.
    assert_eq!(fs::read_to_string(&target).expect("models.rs"), text);

    // Regenerating repairs it.
    let report = generate_into(&stream_spec(), dir.path());
    assert_eq!(report.drift.len(), 1);
    assert_eq!(check(&stream_spec(), dir.path()), vec![]);
}

#[test]
fn check_reports_an_operation_file_edit() {
    let dir = fresh_crate();
    let ops = dir.path().join("src/operations");
    let first = read_tree(&ops)
        .into_iter()
        .map(|(p, _)| p)
        .find(|p| p != "mod.rs")
        .expect("an operations file");
    let target = ops.join(&first);
    let text = fs::read_to_string(&target).expect("readable");
    fs::write(&target, text.replacen("pub fn ", "pub(crate) fn ", 1)).expect("write");
    let drift = check(&stream_spec(), dir.path());
    assert_eq!(drift.len(), 1, "{drift:?}");
    match &drift[0] {
        Drift::Changed {
            path,
            added,
            removed,
        } => {
            assert_eq!(path, &format!("src/operations/{first}"));
            assert_eq!((*added, *removed), (1, 1));
        }
        other => panic!("expected a change, got {other}"),
    }
}

#[test]
fn check_reports_missing_and_stale_files() {
    let dir = fresh_crate();
    fs::remove_file(dir.path().join("src/models.rs")).expect("remove");
    // A generated file the spec no longer produces (e.g. a resource that was removed).
    let stale = dir.path().join("src/operations/removed_resource.rs");
    fs::write(
        &stale,
        format!("{GENERATED_MARKER} by `cargo xtask generate` from an older spec.\n"),
    )
    .expect("write");
    // A hand-written file is never reported nor touched.
    let hand = dir.path().join("src/extras.rs");
    fs::write(&hand, "//! Hand-written.\n").expect("write");

    let drift = check(&stream_spec(), dir.path());
    assert_eq!(
        drift,
        vec![
            Drift::Missing("src/models.rs".to_owned()),
            Drift::Stale("src/operations/removed_resource.rs".to_owned()),
        ]
    );
    assert!(stale.exists(), "--check removed a file");

    generate_into(&stream_spec(), dir.path());
    assert!(!stale.exists(), "the stale generated file was not removed");
    assert!(dir.path().join("src/models.rs").exists());
    assert_eq!(
        fs::read_to_string(&hand).expect("hand-written"),
        "//! Hand-written.\n"
    );
    assert_eq!(check(&stream_spec(), dir.path()), vec![]);
}

#[test]
fn every_generated_file_carries_the_header() {
    let dir = tempfile::tempdir().expect("temp dir");
    generate_into(&stream_spec(), dir.path());
    let text = fs::read_to_string(stream_spec()).expect("spec");
    let files = codegen::generate(&text, &codegen::Settings::default()).expect("generates");
    for (path, content) in files.iter().filter(|(p, _)| p.ends_with(".rs")) {
        assert!(
            content.starts_with(GENERATED_MARKER),
            "{path} lacks the @generated header"
        );
    }
    // The crate depends on the runtime; it carries no copy of it.
    assert!(!dir.path().join("src/runtime").exists());
    let manifest = fs::read_to_string(dir.path().join("Cargo.toml")).expect("manifest");
    assert!(
        manifest.contains("client-runtime = { path = "),
        "{manifest}"
    );
}

/// The product crate's manifest is hand-written; its metadata must say what the config says.
#[test]
fn product_manifest_matches_the_config() {
    let root = workspace_root();
    let config = xtask::generate::load_config(&stream_spec(), None).expect("config");
    let manifest: toml::Table = fs::read_to_string(root.join("cloudflare-stream/Cargo.toml"))
        .expect("manifest")
        .parse()
        .expect("toml");
    let package = &manifest["package"];
    let strings = |key: &str| -> Option<Vec<String>> {
        package.get(key)?.as_array().map(|items| {
            items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect()
        })
    };
    assert_eq!(package["name"].as_str(), config.package.name.as_deref());
    assert_eq!(
        package["description"].as_str(),
        config.package.description.as_deref()
    );
    assert_eq!(strings("keywords"), config.package.keywords);
    assert_eq!(strings("categories"), config.package.categories);
}

#[test]
fn a_bad_spec_is_an_error_naming_the_pointer() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = dir.path().join("bad.json");
    fs::write(
        &spec,
        r##"{ "openapi": "3.0.3", "info": { "title": "T", "version": "1" }, "paths": { "/a": { "get": { "parameters": [{ "$ref": "#/nope" }] } } } }"##,
    )
    .expect("write");
    let err = run(&crate_options(&spec, &dir.path().join("out"), false))
        .expect_err("a dangling $ref must fail");
    assert!(err.contains("bad.json"), "{err}");
    assert!(err.contains("#/paths/~1a/get/parameters/0/$ref"), "{err}");
    assert!(
        !dir.path().join("out").exists(),
        "wrote output for a bad spec"
    );
}

/// `--runtime vendor`: the runtime's sources and a standalone manifest inside the crate,
/// depended on by path; `--check` finds it up to date and notices an edited copy.
#[test]
fn a_vendored_runtime_is_generated_and_checked() {
    let out = tempfile::tempdir().expect("temp dir");
    let spec = small_spec("envelope");
    let vendored = |check| Options {
        runtime: Some(RuntimeSource::Vendor),
        ..crate_options(&spec, out.path(), check)
    };
    run(&vendored(false)).expect("generates");
    let manifest = fs::read_to_string(out.path().join("Cargo.toml")).expect("manifest");
    assert!(
        manifest.contains("client-runtime = { path = \"client-runtime\" }"),
        "{manifest}"
    );
    let runtime = out.path().join("client-runtime");
    let copied = fs::read_to_string(runtime.join("src/lib.rs")).expect("vendored lib.rs");
    let original =
        fs::read_to_string(workspace_root().join("runtime/src/lib.rs")).expect("runtime lib.rs");
    assert_eq!(copied, original);
    let runtime_manifest = fs::read_to_string(runtime.join("Cargo.toml")).expect("manifest");
    assert!(
        !runtime_manifest.contains("workspace"),
        "{runtime_manifest}"
    );
    assert!(run(&vendored(true)).expect("checks").drift.is_empty());

    fs::write(runtime.join("src/lib.rs"), "// edited\n").expect("edit");
    let drift = run(&vendored(true)).expect("checks").drift;
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert_eq!(drift[0].path(), "client-runtime/src/lib.rs");
}

/// A crate generated with `--runtime vendor` outside this workspace builds on its own.
#[test]
#[ignore = "slow: cargo check of a generated crate with its vendored runtime (~1 min cold)"]
fn a_vendored_crate_compiles_standalone() {
    let root = workspace_root();
    let out = tempfile::tempdir().expect("temp dir");
    run(&Options {
        runtime: Some(RuntimeSource::Vendor),
        ..crate_options(&stream_spec(), out.path(), false)
    })
    .expect("generates");
    // The workspace's lock file pins the same versions, so the shared target dir's builds
    // are reused; cargo drops what the crate does not use.
    fs::copy(root.join("Cargo.lock"), out.path().join("Cargo.lock")).expect("lock file");
    let checked = cargo_check(out.path(), &root.join("target/standalone-check")).expect("cargo");
    assert!(checked.clean, "{}", checked.stderr);
}

/// A spec with resources `pets` (`ops` operations), `stores` and its child `stores_staff`,
/// `types` object types that both use (a binary tree of references), one only `pets` uses, and unused types
/// that name used ones: enough shapes to exercise every gate of a split crate.
fn layout_spec(ops: usize, types: usize) -> String {
    let mut paths = serde_json::Map::new();
    for i in 0..ops {
        paths.insert(
            format!("/pets/{i}"),
            serde_json::json!({"get": {"operationId": format!("pets_op_{i}"), "tags": ["pets"],
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"$ref": if i % 2 == 0 { "#/components/schemas/Pet" } else { "#/components/schemas/T0" }}}}}}}}),
        );
    }
    paths.insert(
        "/stores".to_owned(),
        serde_json::json!({"post": {"operationId": "stores_create", "tags": ["stores"],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/T0"}}}},
            "responses": {"204": {"description": "done"}}}}),
    );
    paths.insert(
        "/stores/{id}/staff".to_owned(),
        serde_json::json!({"get": {"operationId": "stores_staff_list", "tags": ["stores_staff"],
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/Staff"}}}}}}}),
    );
    let mut schemas = serde_json::Map::new();
    for i in 0..types {
        let child = |c: usize| {
            if c < types {
                serde_json::json!({"$ref": format!("#/components/schemas/T{c}")})
            } else {
                serde_json::json!({"type": "string", "enum": ["a", "b"]})
            }
        };
        let mut schema = serde_json::json!({"type": "object", "properties": {
            "left": child(2 * i + 1), "right": child(2 * i + 2), "n": {"type": "integer"}}});
        if i == 0 {
            // A body both resources use, with extra properties: built whole by a builder.
            schema["additionalProperties"] = serde_json::json!({"type": "integer"});
        }
        schemas.insert(format!("T{i}"), schema);
    }
    schemas.insert(
        "Pet".to_owned(),
        serde_json::json!({"type": "object", "required": ["name"],
        "properties": {"name": {"type": "string"}, "chain": {"$ref": "#/components/schemas/T0"}}}),
    );
    schemas.insert(
        "Staff".to_owned(),
        serde_json::json!({"type": "object",
        "properties": {"name": {"type": "string"}}}),
    );
    schemas.insert(
        "Archive".to_owned(),
        serde_json::json!({"type": "object", "properties": {
        "pets": {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}},
        "staff": {"$ref": "#/components/schemas/Staff"}}}),
    );
    serde_json::json!({
        "openapi": "3.0.3",
        "info": {"title": "Layout", "version": "1"},
        "servers": [{"url": "https://layout.example"}],
        "paths": paths,
        "components": {"schemas": schemas}
    })
    .to_string()
}

/// `cargo check` of a generated crate with all features, none, and each alone: every
/// combination compiles without a warning. A split single crate (above 200 types) and a
/// workspace (forced by `[layout]`) alike. Slow: run with `--ignored`.
#[test]
#[ignore = "slow: ~20 cargo checks of generated crates"]
fn crates_compile_with_only_some_features() {
    let root = workspace_root();
    let target = root.join("target/standalone-check");
    let dir = tempfile::tempdir_in(root.join("target")).expect("temp dir");
    let spec = dir.path().join("layout.json");
    fs::write(&spec, layout_spec(20, 210)).expect("write spec");
    let workspace_config = dir.path().join("workspace.toml");
    fs::write(
        &workspace_config,
        "[layout]\nworkspace_above = 0\nmember_budget = 200\n",
    )
    .expect("write config");
    let mut failures = Vec::new();
    for (name, config) in [("single", None), ("workspace", Some(workspace_config))] {
        let out = dir.path().join(name);
        let mut options = crate_options(&spec, &out, false);
        options.config = config;
        run(&options).expect("generates");
        assert_eq!(out.join("crates").is_dir(), name == "workspace");
        let features = ["pets", "stores", "stores_staff", "unused-models"];
        let mut sets: Vec<Vec<&str>> = vec![vec![], vec!["--no-default-features"]];
        sets.extend(
            features
                .iter()
                .map(|f| vec!["--no-default-features", "--features", f]),
        );
        for args in sets {
            let checked = xtask::generate::cargo_check_with(&out, &target, &args).expect("cargo");
            eprintln!(
                "{name} {}: {} in {:.1} s",
                args.join(" "),
                if checked.clean { "ok" } else { "FAILED" },
                checked.elapsed.as_secs_f64()
            );
            if !checked.clean {
                failures.push(format!("{name} {}:\n{}", args.join(" "), checked.stderr));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A workspace member the spec no longer produces is removed whole (its sources, manifest,
/// README and folder); a new one is created; hand-written files stay.
#[test]
fn a_stale_workspace_member_goes_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("workspace.toml");
    fs::write(
        &config,
        "[layout]\nworkspace_above = 0\nmember_budget = 50\n",
    )
    .expect("config");
    let out = dir.path().join("out");
    let mut options = crate_options(&stream_spec(), &out, false);
    options.config = Some(config);
    run(&options).expect("generates");
    assert!(out.join("crates").is_dir(), "not a workspace");
    let gone = out.join("crates/gone");
    fs::create_dir_all(gone.join("src")).expect("mkdir");
    fs::write(gone.join("Cargo.toml"), "# @generated by an older run\n").expect("write");
    fs::write(gone.join("README.md"), "# gone\n").expect("write");
    fs::write(
        gone.join("src/lib.rs"),
        format!("{GENERATED_MARKER} by an older run.\n"),
    )
    .expect("write");
    let hand = out.join("crates/mine/Cargo.toml");
    fs::create_dir_all(hand.parent().expect("parent")).expect("mkdir");
    fs::write(&hand, "[package]\nname = \"mine\"\n").expect("write");
    let report = run(&options).expect("generates");
    assert!(
        report
            .drift
            .contains(&Drift::Stale("crates/gone/Cargo.toml".to_owned())),
        "{:?}",
        report.drift
    );
    assert!(!gone.exists(), "the stale member was left behind");
    assert!(hand.exists(), "a hand-written crate was removed");
    options.check = true;
    assert_eq!(run(&options).expect("checks").drift, vec![]);
}
