//! The fixture format: one recorded interaction per JSON file, under
//! `fixtures/<operation_id>/<case>.json` (see `conformance/README.md`).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One case: how the client is called, what it must send, what the server answers.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    /// The `operationId` the client calls.
    pub operation: String,
    /// What the case shows.
    #[serde(default)]
    pub description: String,
    /// Client settings for this case (retries).
    #[serde(default, skip_serializing_if = "ClientConfig::is_default")]
    pub client: ClientConfig,
    /// The arguments of the call (`dispatch::call`): parameters by wire name, body under `body`.
    #[serde(default)]
    pub args: Value,
    /// Drive the operation's auto-paginating stream (`into_stream`) instead of one call; the
    /// exchanges are the pages, and the decoded value is every item of every page.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paginate: bool,
    /// The request the client must send (single-exchange cases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<RecordedRequest>,
    /// The response the server answers with (single-exchange cases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<RecordedResponse>,
    /// Several exchanges in order (retries); instead of `request` and `response`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exchanges: Vec<Exchange>,
    /// What the call must return when it is not a success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expect>,
    /// JSON pointers into the response body that may be lost when the decoded value is
    /// re-encoded (`*` matches any key or index). Each is a known, declared loss.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lossy: Vec<String>,
    /// JSON pointers into request or response bodies (`/request/body/...`,
    /// `/response/body/...`) where the fixture deliberately departs from the spec (an enum
    /// value the spec does not know): `fixture-valid` ignores violations there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub off_spec: Vec<String>,
}

/// Client settings a case may change.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// Retries after a retryable failure (default 0: every exchange is scripted).
    #[serde(default)]
    pub max_retries: u32,
}

impl ClientConfig {
    fn is_default(&self) -> bool {
        self == &Self::default()
    }
}

/// One request and the response to it.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Exchange {
    /// The request the client must send.
    pub request: RecordedRequest,
    /// The response the server answers with.
    pub response: RecordedResponse,
}

/// A request as it goes over the wire.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedRequest {
    /// HTTP method, upper case.
    pub method: String,
    /// The path relative to the base URL, percent-encoded as sent (`/accounts/x/stream`).
    pub path: String,
    /// Query pairs, decoded; compared as a multiset.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query: Vec<(String, String)>,
    /// Headers that matter (names case-insensitive); each must be sent with this value.
    /// `Authorization` is always checked, whether listed or not.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub headers: serde_json::Map<String, Value>,
    /// The body: JSON, `{"multipart": [parts]}`, `{"raw": "text"}`, or `null` for none.
    #[serde(default)]
    pub body: Value,
}

/// A response as the server sends it.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers. `content-type` defaults to `application/json` for JSON bodies and
    /// `text/plain` for string bodies.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub headers: serde_json::Map<String, Value>,
    /// The body: JSON, a string (sent as is), or `null` for none.
    #[serde(default)]
    pub body: Value,
}

/// The expected failure of an error case.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The expected error.
    pub error: ExpectedError,
}

/// An expected `cloudflare_stream::Error`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedError {
    /// The `Error` variant name (`Api`, `Decode`, ...).
    pub variant: String,
    /// The HTTP status the error carries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The envelope's error codes, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codes: Option<Vec<i64>>,
    /// For `Decode` errors: the JSON path where decoding failed (`result.created`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl Fixture {
    /// The exchanges of the case, whichever form the file uses.
    pub fn exchanges(&self) -> Vec<Exchange> {
        if !self.exchanges.is_empty() {
            return self.exchanges.clone();
        }
        match (&self.request, &self.response) {
            (Some(request), Some(response)) => vec![Exchange {
                request: request.clone(),
                response: response.clone(),
            }],
            _ => Vec::new(),
        }
    }

    /// The response the call finally gets (the last exchange's).
    pub fn final_response(&self) -> Option<RecordedResponse> {
        self.exchanges().pop().map(|e| e.response)
    }
}

/// A fixture file, loaded.
#[derive(Clone, Debug)]
pub struct Case {
    /// The file.
    pub path: PathBuf,
    /// `<operation_id>/<case>` (the file's place under the fixtures folder).
    pub name: String,
    /// Its content.
    pub fixture: Fixture,
}

/// A fixture file that cannot be used.
#[derive(Clone, Debug)]
pub struct LoadError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

/// The default fixtures folder of this crate.
pub fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// [`load_dir`] with every error of every file in one message, one line each: what the
/// commands print when fixtures do not load.
pub fn load_dir_or_report(dir: &Path) -> Result<Vec<Case>, String> {
    load_dir(dir).map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// Loads every `*.json` under `dir/<operation>/`, sorted by name. A file whose folder does
/// not name its `operation`, or with no exchange, is an error.
pub fn load_dir(dir: &Path) -> Result<Vec<Case>, Vec<LoadError>> {
    let mut cases = Vec::new();
    let mut errors = Vec::new();
    let mut files = Vec::new();
    let operations = std::fs::read_dir(dir).map_err(|e| {
        vec![LoadError {
            path: dir.to_path_buf(),
            message: e.to_string(),
        }]
    })?;
    for op_dir in operations.flatten() {
        let Ok(entries) = std::fs::read_dir(op_dir.path()) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    for path in files {
        match load_file(dir, &path) {
            Ok(case) => cases.push(case),
            Err(message) => errors.push(LoadError { path, message }),
        }
    }
    if errors.is_empty() {
        Ok(cases)
    } else {
        Err(errors)
    }
}

fn load_file(dir: &Path, path: &Path) -> Result<Case, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let fixture: Fixture = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let rel = path.strip_prefix(dir).unwrap_or(path);
    let folder = rel
        .parent()
        .and_then(|p| p.to_str())
        .unwrap_or_default()
        .to_owned();
    if folder != fixture.operation {
        return Err(format!(
            "the file is in `{folder}/` but its operation is `{}`",
            fixture.operation
        ));
    }
    if fixture.exchanges().is_empty() {
        return Err("no `request`/`response` pair and no `exchanges`".to_owned());
    }
    let name = rel.with_extension("").to_string_lossy().replace('\\', "/");
    Ok(Case {
        path: path.to_path_buf(),
        name,
        fixture,
    })
}
