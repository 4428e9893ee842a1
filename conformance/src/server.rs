//! The replay server: a real HTTP server on `127.0.0.1:0` that answers each request with the
//! next scripted response and records what it received.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::{Body, Bytes};
use axum::http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use serde_json::Value;

use crate::fixture::RecordedResponse;

/// A request as the server received it.
#[derive(Clone, Debug)]
pub struct SeenRequest {
    /// Method.
    pub method: String,
    /// Path, percent-encoded as sent.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// Headers in arrival order, lower-case names.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Bytes,
}

impl SeenRequest {
    /// The first value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    script: Vec<RecordedResponse>,
    seen: Vec<SeenRequest>,
}

/// A running replay server (stopped when dropped).
pub struct ReplayServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl ReplayServer {
    /// Binds `127.0.0.1:0` and serves in the background of the current Tokio runtime.
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let app = axum::Router::new().fallback(move |request: Request<Body>| {
            let state = shared.clone();
            async move { replay(state, request).await }
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, state, task })
    }

    /// The base URL clients point at.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Sets the responses of the next requests, in order, and forgets earlier requests.
    pub fn script(&self, responses: Vec<RecordedResponse>) {
        let mut state = lock(&self.state);
        state.script = responses;
        state.seen.clear();
    }

    /// The requests received since the last `script`.
    pub fn requests(&self) -> Vec<SeenRequest> {
        lock(&self.state).seen.clone()
    }
}

impl Drop for ReplayServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// Reads a request into a [`SeenRequest`].
pub async fn read_request(request: Request<Body>) -> SeenRequest {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 64 << 20)
        .await
        .unwrap_or_default();
    SeenRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
    }
}

async fn replay(state: Arc<Mutex<State>>, request: Request<Body>) -> Response<Body> {
    let seen = read_request(request).await;
    let mut state = lock(&state);
    let index = state.seen.len();
    state.seen.push(seen);
    match state.script.get(index) {
        Some(response) => build_response(response),
        None => {
            let mut response = Response::new(Body::from(format!(
                "replay server: no response scripted for request #{}",
                index + 1
            )));
            *response.status_mut() = StatusCode::IM_A_TEAPOT;
            response
        }
    }
}

/// The HTTP response a fixture describes.
pub fn build_response(recorded: &RecordedResponse) -> Response<Body> {
    let (body, default_type) = match &recorded.body {
        Value::Null => (Vec::new(), None),
        Value::String(text) => (text.clone().into_bytes(), Some("text/plain; charset=utf-8")),
        other => (
            serde_json::to_vec(other).unwrap_or_default(),
            Some("application/json"),
        ),
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() =
        StatusCode::from_u16(recorded.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    for (name, value) in &recorded.headers {
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&text),
        ) {
            headers.append(name, value);
        }
    }
    if let Some(default_type) = default_type
        && !headers.contains_key("content-type")
    {
        headers.insert("content-type", HeaderValue::from_static(default_type));
    }
    response
}
