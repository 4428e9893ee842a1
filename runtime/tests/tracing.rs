//! Tracing output of the runtime: one span per request, a debug event per retry, no
//! secrets. In a test binary of its own because `tracing` caches per-callsite interest
//! process-wide: next to other tests running in parallel threads without a subscriber, a
//! thread-local subscriber can miss the span now and then.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{StatusCode, header};
use client_runtime::__private::{ApiConfig, Request, SchemeKind, SecurityScheme};
use client_runtime::{Client, ClientBuilder};
use reqwest::Method;

static API: ApiConfig = ApiConfig {
    title: "Traced API",
    base_url: "https://api.example.com",
    base_url_env: "TRACED_BASE_URL",
    schemes: &[SecurityScheme {
        name: "token",
        kind: SchemeKind::Bearer,
        env: "TRACED_TOKEN",
    }],
    security: &[&["token"]],
    path_defaults: &[("account_id", "TRACED_ACCOUNT_ID")],
    envelope: true,
    request_id_header: None,
    user_agent: "traced/1.0",
};

const TOKEN: &str = "test-token-0123456789";

/// A server that fails the first request with a Cloudflare 500 and answers the rest 200.
async fn start_server() -> Client {
    let calls = Arc::new(AtomicUsize::new(0));
    let app = Router::new().fallback(move || {
        let calls = calls.clone();
        async move {
            let json = [(header::CONTENT_TYPE, "application/json")];
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                let body = r#"{"success":false,"errors":[{"code":10002,"message":"Internal error"}],"messages":[],"result":null}"#;
                (StatusCode::INTERNAL_SERVER_ERROR, json, body)
            } else {
                (StatusCode::OK, json, r#"{"success":true,"errors":[],"messages":[],"result":null}"#)
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    ClientBuilder::<Client>::new(&API)
        .token(TOKEN)
        .path_default("account_id", "acc123")
        .base_url(format!("http://{addr}"))
        .retry_backoff(
            std::time::Duration::from_millis(1),
            std::time::Duration::from_millis(5),
        )
        .build()
        .unwrap()
}

/// A subscriber writing every span, field record and event as a line of text.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl Capture {
    fn push(&self, line: String) -> u64 {
        let mut lines = self.0.lock().unwrap();
        lines.push(line);
        lines.len() as u64
    }

    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut line = format!("span {}", span.metadata().name());
        span.record(&mut Fields(&mut line));
        tracing::span::Id::from_u64(self.push(line))
    }

    fn record(&self, span: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut line = format!("record {}", span.into_u64());
        values.record(&mut Fields(&mut line));
        self.push(line);
    }

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut line = format!("event {}", event.metadata().level());
        event.record(&mut Fields(&mut line));
        self.push(line);
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]
async fn one_span_per_request_and_a_debug_event_per_retry() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let client = start_server().await;
    let mut request = Request::new(Method::GET, "things_list");
    request.path_literal("/accounts/");
    request.path_param(client.default_path_param("account_id").unwrap());
    request.path_literal("/things");
    request.query("token", "query-secret");
    request.send_empty(&client).await.unwrap();

    let lines = capture.lines();
    let spans: Vec<&String> = lines
        .iter()
        .filter(|line| line.starts_with("span "))
        .collect();
    assert_eq!(
        spans,
        [r#"span api.request operation="things_list" method=GET path=/accounts/acc123/things"#],
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|line| line == "record 1 attempt=2"),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|line| line == "record 1 status=200"),
        "{lines:#?}"
    );
    let retry = lines
        .iter()
        .find(|line| line.starts_with("event DEBUG") && line.contains("message=retrying"))
        .unwrap_or_else(|| panic!("{lines:#?}"));
    assert!(retry.contains("status=500"), "{retry}");
    assert!(retry.contains("delay_ms="), "{retry}");
    for line in &lines {
        assert!(
            !line.contains(TOKEN) && !line.contains("query-secret"),
            "{line}"
        );
    }
}
