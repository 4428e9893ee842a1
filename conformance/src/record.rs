//! Recording: a proxy on `127.0.0.1:0` forwards the client's traffic to an upstream (the real
//! API) and captures each exchange; [`record`] turns them into fixtures, scrubbed of
//! credentials (token, email, key, account id) and of every `x-sensitive` value of the spec.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::dispatch;
use crate::dispatch_support::DispatchError;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use base64::Engine as _;
use cloudflare_stream::{Client, Error};
use serde_json::{Map, Value, json};

use crate::check::parse_multipart;
use crate::fixture::{
    Case, Exchange, Expect, ExpectedError, Fixture, RecordedRequest, RecordedResponse,
};
use crate::runner::ACCOUNT_ID;
use crate::server::{SeenRequest, read_request};

/// What replaces a scrubbed value.
pub const REDACTED: &str = "REDACTED";

/// Request headers worth keeping in a fixture (the rest is transport detail or a credential).
const KEPT_REQUEST_HEADERS: &[&str] = &[
    "tus-resumable",
    "upload-length",
    "upload-metadata",
    "upload-creator",
];
/// Response headers worth keeping.
const KEPT_RESPONSE_HEADERS: &[&str] = &[
    "content-type",
    "location",
    "stream-media-id",
    "tus-resumable",
    "retry-after",
];

/// One proxied exchange.
#[derive(Clone, Debug)]
struct Captured {
    request: SeenRequest,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// A running recording proxy (stopped when dropped).
pub struct RecordingProxy {
    addr: std::net::SocketAddr,
    captured: Arc<Mutex<Vec<Captured>>>,
    task: tokio::task::JoinHandle<()>,
}

impl RecordingProxy {
    /// Starts forwarding to `upstream` (a base URL; request paths are appended to it).
    pub async fn start(upstream: &str) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let captured = Arc::new(Mutex::new(Vec::new()));
        let shared = captured.clone();
        let upstream = upstream.trim_end_matches('/').to_owned();
        let http = reqwest::Client::new();
        let app = axum::Router::new().fallback(move |request: Request<Body>| {
            let captured = shared.clone();
            let upstream = upstream.clone();
            let http = http.clone();
            async move { forward(&http, &upstream, captured, request).await }
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            addr,
            captured,
            task,
        })
    }

    /// The base URL the client points at.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn take(&self) -> Vec<Captured> {
        std::mem::take(&mut *self.captured.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn forward(
    http: &reqwest::Client,
    upstream: &str,
    captured: Arc<Mutex<Vec<Captured>>>,
    request: Request<Body>,
) -> Response<Body> {
    let seen = read_request(request).await;
    let mut url = format!("{upstream}{}", seen.path);
    if let Some(query) = &seen.query {
        url.push('?');
        url.push_str(query);
    }
    let method = reqwest::Method::from_bytes(seen.method.as_bytes()).unwrap_or_default();
    let mut outgoing = http.request(method, url).body(seen.body.clone());
    for (name, value) in &seen.headers {
        if !matches!(name.as_str(), "host" | "content-length") {
            outgoing = outgoing.header(name, value);
        }
    }
    let (status, headers, body) = match outgoing.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let headers: Vec<(String, String)> = response
                .headers()
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let body = response
                .bytes()
                .await
                .map(|b| b.to_vec())
                .unwrap_or_default();
            (status, headers, body)
        }
        Err(e) => (
            502,
            vec![("content-type".to_owned(), "text/plain".to_owned())],
            format!("recording proxy: upstream failed: {e}").into_bytes(),
        ),
    };
    captured
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Captured {
            request: seen,
            status,
            headers: headers.clone(),
            body: body.clone(),
        });
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    for (name, value) in headers {
        if matches!(
            name.as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            continue;
        }
        if let (Ok(n), Ok(v)) = (
            axum::http::HeaderName::from_bytes(name.as_bytes()),
            axum::http::HeaderValue::from_str(&value),
        ) {
            response.headers_mut().append(n, v);
        }
    }
    response
}

/// What to record and how.
#[derive(Clone, Debug)]
pub struct RecordOptions {
    /// The upstream base URL.
    pub upstream: String,
    /// The API token sent upstream (scrubbed from what is written).
    pub token: String,
    /// The account id calls use (replaced by the fixtures' placeholder account id).
    pub account_id: String,
    /// Where fixtures are written (`<out>/<operation>/<case>.json`).
    pub out: PathBuf,
    /// Only these operations (all when empty).
    pub operations: Vec<String>,
}

/// Secrets and `x-sensitive` property names to scrub.
#[derive(Clone, Debug, Default)]
pub struct Scrubber {
    secrets: Vec<(String, String)>,
    sensitive_keys: BTreeSet<String>,
}

impl Scrubber {
    /// Scrubs `token` and `account_id`, and the values of every property the spec marks
    /// `x-sensitive` (plus `email`, `key` and `token` properties).
    pub fn new(spec: &Value, token: &str, account_id: &str) -> Self {
        let mut sensitive_keys: BTreeSet<String> = ["email", "key", "token", "api_key"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        collect_sensitive(spec, &mut sensitive_keys);
        let mut secrets = Vec::new();
        if !token.is_empty() {
            secrets.push((token.to_owned(), REDACTED.to_owned()));
        }
        if !account_id.is_empty() && account_id != ACCOUNT_ID {
            secrets.push((account_id.to_owned(), ACCOUNT_ID.to_owned()));
        }
        Self {
            secrets,
            sensitive_keys,
        }
    }

    /// Text with every secret replaced.
    pub fn text(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for (secret, replacement) in &self.secrets {
            text = text.replace(secret, replacement);
        }
        text
    }

    /// A JSON value with secrets and sensitive properties replaced.
    pub fn json(&self, value: &Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let v = if self.sensitive_keys.contains(k) && v.is_string() {
                            Value::String(REDACTED.to_owned())
                        } else {
                            self.json(v)
                        };
                        (self.text(k), v)
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.json(v)).collect()),
            Value::String(s) => Value::String(self.text(s)),
            other => other.clone(),
        }
    }
}

fn collect_sensitive(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(props)) = map.get("properties") {
                for (name, schema) in props {
                    if schema.get("x-sensitive").and_then(Value::as_bool) == Some(true) {
                        out.insert(name.clone());
                    }
                }
            }
            for v in map.values() {
                collect_sensitive(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_sensitive(v, out)),
        _ => {}
    }
}

/// Records every selected case that expects success (error cases are written by hand),
/// returning the files written.
pub async fn record(
    cases: &[Case],
    spec: &Value,
    options: &RecordOptions,
) -> Result<Vec<PathBuf>, String> {
    let proxy = RecordingProxy::start(&options.upstream)
        .await
        .map_err(|e| format!("cannot start the recording proxy: {e}"))?;
    let scrub = Scrubber::new(spec, &options.token, &options.account_id);
    let client = Client::builder()
        .token(options.token.clone())
        .path_default("account_id", options.account_id.clone())
        .base_url(proxy.url())
        .max_retries(0)
        .build()
        .map_err(|e| e.to_string())?;
    let mut written = Vec::new();
    for case in cases {
        let source = &case.fixture;
        if source.expect.is_some()
            || source.paginate
            || (!options.operations.is_empty() && !options.operations.contains(&source.operation))
        {
            continue;
        }
        let args = with_account(&source.args, &options.account_id);
        let result = dispatch::call(&client, &source.operation, &args).await;
        if let Err(DispatchError::BadArgument { .. } | DispatchError::UnknownOperation { .. }) =
            &result
        {
            return Err(format!(
                "{}: {}",
                case.name,
                result.err().map(|e| e.to_string()).unwrap_or_default()
            ));
        }
        let exchanges: Vec<Exchange> = proxy
            .take()
            .into_iter()
            .map(|c| to_exchange(&c, &scrub))
            .collect();
        let expect = match &result {
            Err(DispatchError::Client(Error::Api(api))) => Some(Expect {
                error: ExpectedError {
                    variant: "Api".to_owned(),
                    status: Some(api.status().as_u16()),
                    codes: Some(api.errors().iter().map(|e| e.code).collect()),
                    path: None,
                },
            }),
            _ => None,
        };
        let mut fixture = Fixture {
            operation: source.operation.clone(),
            description: format!(
                "Recorded from {} with the arguments of {}.",
                scrub.text(&options.upstream),
                case.name
            ),
            client: Default::default(),
            args: scrub.json(&source.args),
            paginate: false,
            request: None,
            response: None,
            exchanges: Vec::new(),
            expect,
            lossy: source.lossy.clone(),
            off_spec: Vec::new(),
        };
        if exchanges.len() == 1 {
            let exchange = exchanges
                .into_iter()
                .next()
                .unwrap_or_else(|| unreachable!());
            fixture.request = Some(exchange.request);
            fixture.response = Some(exchange.response);
        } else {
            fixture.exchanges = exchanges;
        }
        let file_name = case.name.rsplit('/').next().unwrap_or("recorded");
        let path = options
            .out
            .join(&source.operation)
            .join(format!("{file_name}.json"));
        write_fixture(&path, &fixture)?;
        written.push(path);
    }
    Ok(written)
}

/// The fixture's arguments with the recording account (fixtures use the client default).
fn with_account(args: &Value, account_id: &str) -> Value {
    let mut args = args.clone();
    if let Value::Object(map) = &mut args
        && let Some(Value::String(id)) = map.get_mut("account_id")
        && id == ACCOUNT_ID
    {
        *id = account_id.to_owned();
    }
    args
}

fn write_fixture(path: &Path, fixture: &Fixture) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let mut text = serde_json::to_string_pretty(fixture).map_err(|e| e.to_string())?;
    text.push('\n');
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn to_exchange(captured: &Captured, scrub: &Scrubber) -> Exchange {
    let seen = &captured.request;
    let query: Vec<(String, String)> = seen
        .query
        .as_deref()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (scrub.text(&k), scrub.text(&v)))
                .collect()
        })
        .unwrap_or_default();
    let mut headers = Map::new();
    for (name, value) in &seen.headers {
        if KEPT_REQUEST_HEADERS.contains(&name.as_str()) {
            headers.insert(name.clone(), Value::String(scrub.text(value)));
        }
    }
    let content_type = seen.header("content-type").unwrap_or_default();
    let body = if seen.body.is_empty() {
        Value::Null
    } else if content_type.starts_with("application/json") {
        serde_json::from_slice::<Value>(&seen.body)
            .map(|v| scrub.json(&v))
            .unwrap_or_else(|_| json!({ "raw": scrub.text(&String::from_utf8_lossy(&seen.body)) }))
    } else if let Some(boundary) = content_type
        .strip_prefix("multipart/form-data")
        .and_then(|rest| rest.split("boundary=").nth(1))
    {
        let parts = parse_multipart(&seen.body, boundary.trim_matches('"'))
            .into_iter()
            .map(|part| {
                let mut out = Map::new();
                out.insert("name".into(), Value::String(part.name.clone()));
                if let Some(f) = &part.file_name {
                    out.insert("file_name".into(), Value::String(f.clone()));
                }
                if let Some(ct) = &part.content_type {
                    out.insert("content_type".into(), Value::String(ct.clone()));
                }
                match String::from_utf8(part.data.clone()) {
                    Ok(_) if scrub.sensitive_keys.contains(&part.name) => {
                        out.insert("text".into(), Value::String(REDACTED.to_owned()));
                    }
                    Ok(text) => {
                        out.insert("text".into(), Value::String(scrub.text(&text)));
                    }
                    Err(_) => {
                        out.insert(
                            "base64".into(),
                            Value::String(
                                base64::engine::general_purpose::STANDARD.encode(&part.data),
                            ),
                        );
                    }
                }
                Value::Object(out)
            })
            .collect();
        json!({ "multipart": Value::Array(parts) })
    } else {
        json!({ "raw": scrub.text(&String::from_utf8_lossy(&seen.body)) })
    };
    let request = RecordedRequest {
        method: seen.method.clone(),
        path: scrub.text(&seen.path),
        query,
        headers,
        body,
    };

    let mut response_headers = Map::new();
    for (name, value) in &captured.headers {
        if KEPT_RESPONSE_HEADERS.contains(&name.as_str()) {
            response_headers.insert(name.clone(), Value::String(scrub.text(value)));
        }
    }
    let response_type = header(&captured.headers, "content-type").unwrap_or_default();
    let body = if captured.body.is_empty() {
        Value::Null
    } else if response_type.contains("json") {
        serde_json::from_slice::<Value>(&captured.body)
            .map(|v| scrub.json(&v))
            .unwrap_or_else(|_| Value::String(scrub.text(&String::from_utf8_lossy(&captured.body))))
    } else {
        Value::String(scrub.text(&String::from_utf8_lossy(&captured.body)))
    };
    // JSON bodies get their content type by default when replayed.
    if (body.is_object() || body.is_array()) && response_type.starts_with("application/json") {
        response_headers.remove("content-type");
    }
    Exchange {
        request,
        response: RecordedResponse {
            status: captured.status,
            headers: response_headers,
            body,
        },
    }
}
