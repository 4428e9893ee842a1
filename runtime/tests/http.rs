//! The runtime against a real HTTP server on 127.0.0.1: what goes on the wire (auth,
//! encoding, bodies), how responses and errors come back, retries and timeouts.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use client_runtime::__private::{Multipart, Request};
use client_runtime::{
    ApiResponse, Client, ClientBuilder, Error, FilePart, JsonBodyOptionsBuilder, RequestOptions,
    RequestOptionsBuilder,
};

mod common;
use serde_json::{Value, json};

const TOKEN: &str = "test-token-0123456789";

/// A request as the server saw it; the path and query are raw (still percent-encoded).
#[derive(Clone, Debug)]
struct Recorded {
    method: Method,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
}

impl Recorded {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|value| value.to_str().unwrap())
    }
}

/// What the server answers to the next request.
#[derive(Clone, Debug)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    delay: Duration,
}

impl Reply {
    fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: vec![("content-type", "application/json".to_owned())],
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }

    fn ok(result: Value) -> Self {
        Self::json(
            200,
            json!({"success": true, "errors": [], "messages": [], "result": result}),
        )
    }

    fn error(status: u16, code: i64, message: &str) -> Self {
        Self::json(
            status,
            json!({
                "success": false,
                "errors": [{"code": code, "message": message}],
                "messages": [{"code": 0, "message": "see the docs"}],
                "result": null
            }),
        )
    }

    fn text(status: u16, content_type: &str, body: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type", content_type.to_owned())],
            body: body.to_owned(),
            delay: Duration::ZERO,
        }
    }

    fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

#[derive(Default)]
struct Shared {
    recorded: Mutex<Vec<Recorded>>,
    replies: Mutex<VecDeque<Reply>>,
}

/// A server answering scripted replies in order (then `200` with a `null` result), and
/// recording every request.
struct Server {
    base_url: String,
    shared: Arc<Shared>,
}

impl Server {
    async fn start(replies: Vec<Reply>) -> Self {
        let shared = Arc::new(Shared::default());
        shared.replies.lock().unwrap().extend(replies);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let app = Router::new().fallback(handle).with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            base_url: format!("http://{address}/client/v4"),
            shared,
        }
    }

    /// A client for this server with fast retries (1-5 ms backoff).
    fn builder(&self) -> ClientBuilder {
        common::builder()
            .token(TOKEN)
            .base_url(&self.base_url)
            .path_default("account_id", "acc123")
            .retry_backoff(Duration::from_millis(1), Duration::from_millis(5))
    }

    fn client(&self) -> Client {
        self.builder().build().unwrap()
    }

    fn requests(&self) -> Vec<Recorded> {
        self.shared.recorded.lock().unwrap().clone()
    }

    fn only_request(&self) -> Recorded {
        let requests = self.requests();
        assert_eq!(requests.len(), 1, "{requests:#?}");
        requests.into_iter().next().unwrap()
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    shared.recorded.lock().unwrap().push(Recorded {
        method,
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        headers,
        body,
    });
    let reply = shared
        .replies
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| Reply::ok(Value::Null));
    tokio::time::sleep(reply.delay).await;
    let mut response = (StatusCode::from_u16(reply.status).unwrap(), reply.body).into_response();
    for (name, value) in reply.headers {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}

/// `GET /accounts/{account_id}/things` with the client's default account.
fn list_things(client: &Client) -> Request {
    let mut request = Request::new(Method::GET, "things_list");
    request.path_literal("/accounts/");
    request.path_param(client.default_path_param("account_id").unwrap());
    request.path_literal("/things");
    request
}

fn post_thing(client: &Client) -> Request {
    let mut request = Request::new(Method::POST, "things_create");
    request.path_literal("/accounts/");
    request.path_param(client.default_path_param("account_id").unwrap());
    request.path_literal("/things");
    request
}

fn api_error(error: Error) -> Box<client_runtime::ApiError> {
    match error {
        Error::Api(api) => api,
        other => panic!("expected an API error, got {other:?}"),
    }
}

// ---------------------------------------------------------------- auth and headers

#[tokio::test]
async fn bearer_token_and_default_headers() {
    let server = Server::start(vec![]).await;
    let client = server.client();
    list_things(&client)
        .send_json::<Value>(&client)
        .await
        .unwrap();

    let request = server.only_request();
    assert_eq!(request.method, Method::GET);
    assert_eq!(request.path, "/client/v4/accounts/acc123/things");
    assert_eq!(
        request.header("authorization"),
        Some(&*format!("Bearer {TOKEN}"))
    );
    assert_eq!(request.header("x-auth-key"), None);
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(request.header("user-agent"), Some("example-client/1.0"));
}

#[tokio::test]
async fn api_key_headers() {
    let server = Server::start(vec![]).await;
    // Without a token, the second alternative (both key headers) is what is sent.
    let client = common::builder()
        .base_url(&server.base_url)
        .path_default("account_id", "acc123")
        .credential("api_email", "me@example.com")
        .credential("api_key", "global-key")
        .user_agent("custom/1.0")
        .build()
        .unwrap();
    list_things(&client).send_empty(&client).await.unwrap();

    let request = server.only_request();
    assert_eq!(request.header("x-auth-email"), Some("me@example.com"));
    assert_eq!(request.header("x-auth-key"), Some("global-key"));
    assert_eq!(request.header("authorization"), None);
    assert_eq!(request.header("user-agent"), Some("custom/1.0"));
}

#[tokio::test]
async fn query_basic_and_cookie_credentials_go_where_the_scheme_says() {
    let server = Server::start(vec![]).await;
    let plain = |builder: ClientBuilder| {
        let builder = builder
            .base_url(&server.base_url)
            .path_default("account_id", "a");
        builder.build().unwrap()
    };

    let client = plain(common::plain().token("k&ey"));
    list_things(&client).send_empty(&client).await.unwrap();
    let request = server.only_request();
    assert_eq!(request.query.as_deref(), Some("api_key=k%26ey"));
    assert_eq!(request.header("authorization"), None);

    let client = plain(common::plain().basic_auth("user", "pa:ss"));
    list_things(&client).send_empty(&client).await.unwrap();
    let request = server.requests().pop().unwrap();
    // base64("user:pa:ss")
    assert_eq!(
        request.header("authorization"),
        Some("Basic dXNlcjpwYTpzcw==")
    );
    assert_eq!(request.query, None);

    // An operation's own requirement replaces the API's: here the session cookie.
    let client = plain(common::plain().credential("session", "s1").token("k"));
    let mut request = list_things(&client);
    request.security(&[&["session"]]);
    request.send_empty(&client).await.unwrap();
    let request = server.requests().pop().unwrap();
    assert_eq!(request.header("cookie"), Some("sid=s1"));
    assert_eq!(request.query, None);

    // An operation that needs no credentials sends none.
    let mut request = list_things(&client);
    request.security(&[]);
    request.send_empty(&client).await.unwrap();
    let request = server.requests().pop().unwrap();
    assert_eq!(request.header("cookie"), None);
    assert_eq!(request.query, None);
}

#[tokio::test]
async fn no_auth_sends_no_credentials() {
    let server = Server::start(vec![]).await;
    let client = server.builder().no_auth().build().unwrap();
    list_things(&client).send_empty(&client).await.unwrap();

    let request = server.only_request();
    assert_eq!(request.header("authorization"), None);
    assert_eq!(request.header("x-auth-email"), None);
    assert_eq!(request.header("x-auth-key"), None);
}

#[tokio::test]
async fn header_params_and_option_headers() {
    let server = Server::start(vec![]).await;
    let client = server.client();
    let mut request = list_things(&client);
    request.header("Upload-Length", 1024u64);
    request.header("x-flag", true);
    let options = RequestOptions::new()
        .with_header("x-extra", "yes")
        .with_header("user-agent", "override/2");
    request.options(options);
    request.send_empty(&client).await.unwrap();

    let recorded = server.only_request();
    assert_eq!(recorded.header("upload-length"), Some("1024"));
    assert_eq!(recorded.header("x-flag"), Some("true"));
    assert_eq!(recorded.header("x-extra"), Some("yes"));
    assert_eq!(recorded.header("user-agent"), Some("override/2"));
}

#[tokio::test]
async fn invalid_header_value_fails_at_send_without_echoing_it() {
    let server = Server::start(vec![]).await;
    let client = server.client();
    let mut request = list_things(&client);
    request.header("x-secret", "line\nbreak-secret");
    let error = request.send_empty(&client).await.unwrap_err();
    assert!(matches!(error, Error::InvalidRequest { .. }), "{error:?}");
    assert!(error.to_string().contains("x-secret"));
    assert!(!format!("{error} {error:?}").contains("break-secret"));
    assert!(server.requests().is_empty());
}

// ---------------------------------------------------------------- paths and queries

#[tokio::test]
async fn path_params_are_one_encoded_segment() {
    let server = Server::start(vec![]).await;
    let client = server.client();
    let mut request = Request::new(Method::GET, "things_get");
    request.path_literal("/things/");
    request.path_param("../etc");
    request.path_literal("/parts/");
    request.path_param("a b/ü?x#y");
    request.path_literal("/n/");
    request.path_param(42u32);
    request.send_empty(&client).await.unwrap();

    let recorded = server.only_request();
    assert_eq!(
        recorded.path,
        "/client/v4/things/..%2Fetc/parts/a%20b%2F%C3%BC%3Fx%23y/n/42"
    );
    assert_eq!(recorded.query, None);
}

#[tokio::test]
async fn empty_path_param_fails_before_sending() {
    let server = Server::start(vec![]).await;
    let client = server.client();
    let mut request = Request::new(Method::DELETE, "things_delete");
    request.path_literal("/things/");
    request.path_param("");
    let error = request.send_empty(&client).await.unwrap_err();
    assert!(matches!(error, Error::InvalidRequest { .. }), "{error:?}");
    assert!(error.to_string().contains("things_delete"), "{error}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn missing_default_path_param() {
    let server = Server::start(vec![]).await;
    let client = common::builder()
        .token(TOKEN)
        .base_url(&server.base_url)
        .build()
        .unwrap();
    let error = client.default_path_param("account_id").unwrap_err();
    assert!(
        matches!(error, Error::MissingParameter { name: "account_id" }),
        "{error:?}"
    );
}

#[tokio::test]
async fn query_encoding_and_repetition() {
    let server = Server::start(vec![]).await;
    let client = server.client();
    let mut request = list_things(&client);
    request.query("tag", "a b");
    request.query("tag", "é&=?");
    request.query("flag", false);
    request.query("limit", 100i32);
    request.query("ratio", 0.5f64);
    request.query("filter", json!({"k": [1, 2]}));
    request.query("name", json!("plain"));
    request.send_empty(&client).await.unwrap();

    let recorded = server.only_request();
    let query = recorded.query.unwrap();
    assert_eq!(
        query,
        "tag=a+b&tag=%C3%A9%26%3D%3F&flag=false&limit=100&ratio=0.5&filter=%7B%22k%22%3A%5B1%2C2%5D%7D&name=plain"
    );
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(pairs[1], ("tag".to_owned(), "é&=?".to_owned()));
    assert_eq!(pairs[5], ("filter".to_owned(), r#"{"k":[1,2]}"#.to_owned()));
}

// ---------------------------------------------------------------- bodies

#[tokio::test]
async fn json_body() {
    let server = Server::start(vec![]).await;
    let client = server.client();
    let mut request = post_thing(&client);
    request
        .json(&json!({"name": "clip", "meta": {"n": 1}, "scheduledDeletion": null}))
        .unwrap();
    request.send_empty(&client).await.unwrap();

    let recorded = server.only_request();
    assert_eq!(recorded.method, Method::POST);
    assert_eq!(recorded.header("content-type"), Some("application/json"));
    let body: Value = serde_json::from_slice(&recorded.body).unwrap();
    assert_eq!(
        body,
        json!({"name": "clip", "meta": {"n": 1}, "scheduledDeletion": null})
    );
}

#[tokio::test]
async fn text_and_bytes_bodies() {
    let server = Server::start(vec![]).await;
    let client = server.client();
    let mut request = Request::new(Method::PUT, "captions_upload");
    request.path_literal("/captions");
    request.text(
        "text/vtt",
        "WEBVTT\n\n00:00.000 --> 00:01.000\nhi\n".to_owned(),
    );
    request.send_empty(&client).await.unwrap();
    let mut request = Request::new(Method::PATCH, "blob_put");
    request.path_literal("/blob");
    request.bytes(
        "application/offset+octet-stream",
        Bytes::from_static(&[0, 159, 255]),
    );
    request.send_empty(&client).await.unwrap();

    let requests = server.requests();
    assert_eq!(requests[0].header("content-type"), Some("text/vtt"));
    assert_eq!(
        &requests[0].body[..],
        b"WEBVTT\n\n00:00.000 --> 00:01.000\nhi\n"
    );
    assert_eq!(requests[1].method, Method::PATCH);
    assert_eq!(
        requests[1].header("content-type"),
        Some("application/offset+octet-stream")
    );
    assert_eq!(&requests[1].body[..], &[0, 159, 255]);
}

/// One part of a `multipart/form-data` body.
#[derive(Debug, PartialEq)]
struct Part {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    data: String,
}

/// A small parser, enough for the text contents these tests send.
fn parse_multipart(request: &Recorded) -> Vec<Part> {
    let content_type = request.header("content-type").unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("{content_type}"));
    let body = std::str::from_utf8(&request.body).unwrap();
    let delimiter = format!("--{boundary}");
    let mut sections: Vec<&str> = body.split(delimiter.as_str()).collect();
    assert_eq!(sections.remove(0), "");
    assert_eq!(sections.pop(), Some("--\r\n"));
    sections
        .into_iter()
        .map(|section| {
            let section = section
                .strip_prefix("\r\n")
                .unwrap()
                .strip_suffix("\r\n")
                .unwrap();
            let (head, data) = section.split_once("\r\n\r\n").unwrap();
            let mut part = Part {
                name: String::new(),
                file_name: None,
                content_type: None,
                data: data.to_owned(),
            };
            for line in head.split("\r\n") {
                let (name, value) = line.split_once(": ").unwrap();
                match name.to_ascii_lowercase().as_str() {
                    "content-type" => part.content_type = Some(value.to_owned()),
                    "content-disposition" => {
                        for attribute in value.split("; ").skip(1) {
                            let (key, quoted) = attribute.split_once('=').unwrap();
                            let unquoted = quoted.trim_matches('"').to_owned();
                            match key {
                                "name" => part.name = unquoted,
                                "filename" => part.file_name = Some(unquoted),
                                other => panic!("unexpected attribute {other}"),
                            }
                        }
                    }
                    other => panic!("unexpected part header {other}"),
                }
            }
            part
        })
        .collect()
}

#[tokio::test]
async fn multipart_parts_by_name_file_name_and_content() {
    let server = Server::start(vec![]).await;
    let client = server.client();
    let path = std::env::temp_dir().join(format!("runtime-upload-{}.vtt", std::process::id()));
    tokio::fs::write(&path, "WEBVTT\n").await.unwrap();
    let from_disk = FilePart::from_path(&path).await.unwrap();
    tokio::fs::remove_file(&path).await.unwrap();

    let mut form = Multipart::new();
    form.text("creator", "someone");
    form.text("maxDurationSeconds", 60u32);
    form.json("meta", &json!({"name": "clip"})).unwrap();
    form.file(
        "file",
        FilePart::from_bytes("fake video bytes")
            .file_name("clip.mp4")
            .content_type("video/mp4"),
    );
    form.file("caption", from_disk);
    let mut request = post_thing(&client);
    request.multipart(form);
    request.send_empty(&client).await.unwrap();

    let parts = parse_multipart(&server.only_request());
    let part = |name: &str, file_name: Option<&str>, content_type: Option<&str>, data: &str| Part {
        name: name.to_owned(),
        file_name: file_name.map(str::to_owned),
        content_type: content_type.map(str::to_owned),
        data: data.to_owned(),
    };
    let file_name = path.file_name().unwrap().to_str().unwrap();
    assert_eq!(
        parts,
        vec![
            part("creator", None, None, "someone"),
            part("maxDurationSeconds", None, None, "60"),
            part("meta", None, Some("application/json"), r#"{"name":"clip"}"#),
            part(
                "file",
                Some("clip.mp4"),
                Some("video/mp4"),
                "fake video bytes"
            ),
            part(
                "caption",
                Some(file_name),
                Some("application/octet-stream"),
                "WEBVTT\n"
            ),
        ]
    );
}

#[tokio::test]
async fn from_path_of_a_missing_file_is_io_error() {
    let error = FilePart::from_path("/definitely/not/here.mp4")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Io(_)), "{error:?}");
}

#[tokio::test]
async fn multipart_body_is_rebuilt_for_each_attempt() {
    let server = Server::start(vec![Reply::error(503, 1, "busy")]).await;
    let client = server.client();
    let mut form = Multipart::new();
    form.text("a", "1");
    form.file(
        "file",
        FilePart::from_bytes(vec![b'x'; 4096]).file_name("x.bin"),
    );
    let mut request = Request::new(Method::PUT, "things_upload");
    request.path_literal("/upload");
    request.multipart(form);
    request.send_empty(&client).await.unwrap();

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(parse_multipart(&requests[0]), parse_multipart(&requests[1]));
    assert_eq!(parse_multipart(&requests[1])[1].data.len(), 4096);
}

// ---------------------------------------------------------------- responses

#[derive(Debug, serde::Deserialize, PartialEq)]
struct Envelope<T> {
    success: bool,
    result: T,
}

#[derive(Debug, serde::Deserialize, PartialEq)]
struct Thing {
    uid: String,
    status: ThingStatus,
}

#[derive(Debug, serde::Deserialize, PartialEq)]
struct ThingStatus {
    state: String,
}

#[tokio::test]
async fn decodes_success_with_status_and_headers() {
    let server = Server::start(vec![
        Reply::ok(json!([{"uid": "a", "status": {"state": "ready"}, "extra": 1}]))
            .header("x-request-id", "req-1"),
    ])
    .await;
    let client = server.client();
    let response: ApiResponse<Envelope<Vec<Thing>>> =
        list_things(&client).send_json(&client).await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.header("x-request-id"), Some("req-1"));
    let envelope = response.into_body();
    assert!(envelope.success);
    assert_eq!(
        envelope.result,
        vec![Thing {
            uid: "a".into(),
            status: ThingStatus {
                state: "ready".into()
            }
        }]
    );
}

#[tokio::test]
async fn empty_body_decodes_as_null() {
    let server = Server::start(vec![Reply::text(204, "application/json", "")]).await;
    let client = server.client();
    let response = list_things(&client)
        .send_json::<Option<Thing>>(&client)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(response.into_body(), None);
}

#[tokio::test]
async fn text_and_bytes_responses() {
    let server = Server::start(vec![
        Reply::text(200, "text/vtt", "WEBVTT\n"),
        Reply::text(200, "application/octet-stream", "raw"),
        Reply::text(201, "text/plain", "").header("location", "https://upload.example/abc"),
    ])
    .await;
    let client = server.client();
    let mut request = list_things(&client);
    request.accept("text/vtt");
    let text = request.send_text(&client).await.unwrap();
    assert_eq!(text.body(), "WEBVTT\n");
    let bytes = list_things(&client).send_bytes(&client).await.unwrap();
    assert_eq!(&bytes.body()[..], b"raw");
    let created = post_thing(&client).send_empty(&client).await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(
        created.header("location"),
        Some("https://upload.example/abc")
    );

    let requests = server.requests();
    assert_eq!(requests[0].header("accept"), Some("text/vtt"));
    assert_ne!(requests[1].header("accept"), Some("application/json"));
}

#[tokio::test]
async fn decode_error_carries_json_path_and_body() {
    let body = json!({
        "success": true,
        "result": [
            {"uid": "a", "status": {"state": "ready"}},
            {"uid": "b", "status": {"state": 7}}
        ]
    });
    let server = Server::start(vec![Reply::json(200, body.clone())]).await;
    let client = server.client();
    let error = list_things(&client)
        .send_json::<Envelope<Vec<Thing>>>(&client)
        .await
        .unwrap_err();

    let Error::Decode(decode) = &error else {
        panic!("expected a decode error, got {error:?}");
    };
    assert_eq!(decode.path(), "result[1].status.state");
    assert_eq!(decode.operation(), "things_list");
    assert_eq!(decode.status(), StatusCode::OK);
    assert!(
        decode.message().contains("invalid type"),
        "{}",
        decode.message()
    );
    assert_eq!(serde_json::from_str::<Value>(decode.body()).unwrap(), body);
    assert_eq!(error.status(), Some(StatusCode::OK));
    assert!(!error.is_retryable());
    let display = error.to_string();
    assert!(display.contains("result[1].status.state"), "{display}");
    assert!(display.contains("things_list"), "{display}");
}

#[tokio::test]
async fn api_error_envelopes() {
    for (status, code, message) in [
        (400, 10005, "Bad request"),
        (403, 10000, "Authentication error"),
        (404, 10003, "Not found"),
        (
            429,
            971,
            "Please wait and consider throttling your request speed",
        ),
        (500, 10002, "Internal error"),
    ] {
        let server = Server::start(vec![Reply::error(status, code, message)]).await;
        let client = server.builder().max_retries(0).build().unwrap();
        let error = list_things(&client)
            .send_json::<Value>(&client)
            .await
            .unwrap_err();

        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(error.is_retryable(), matches!(status, 429 | 500));
        assert_eq!(
            error.to_string(),
            format!("API error (HTTP {status}): {code} {message}")
        );
        let api = api_error(error);
        assert_eq!(api.operation(), "things_list");
        assert_eq!(api.errors().len(), 1);
        assert_eq!(api.errors()[0].code, code);
        assert_eq!(api.errors()[0].message, message);
        assert_eq!(api.messages()[0].message, "see the docs");
        assert!(api.body().contains(message));
        assert_eq!(api.headers()["content-type"], "application/json");
        assert_eq!(server.requests().len(), 1);
    }
}

#[tokio::test]
async fn non_json_error_body_is_still_an_api_error() {
    let server = Server::start(vec![Reply::text(
        502,
        "text/html",
        "<html>Bad gateway</html>",
    )])
    .await;
    let client = server.builder().max_retries(0).build().unwrap();
    let api = api_error(list_things(&client).send_text(&client).await.unwrap_err());
    assert_eq!(api.status(), StatusCode::BAD_GATEWAY);
    assert!(api.errors().is_empty());
    assert_eq!(api.body(), "<html>Bad gateway</html>");
}

#[tokio::test]
async fn success_false_on_2xx_is_an_api_error() {
    let server = Server::start(vec![Reply::error(200, 1001, "Something failed")]).await;
    let client = server.client();
    let api = api_error(
        list_things(&client)
            .send_json::<Value>(&client)
            .await
            .unwrap_err(),
    );
    assert_eq!(api.status(), StatusCode::OK);
    assert!(api.has_code(1001));
    // Not retried: the server answered, and says the call itself failed.
    assert_eq!(server.requests().len(), 1);
}

// ---------------------------------------------------------------- retries

#[tokio::test]
async fn get_is_retried_after_500() {
    let server = Server::start(vec![
        Reply::error(500, 10002, "Internal error"),
        Reply::ok(json!({"uid": "a", "status": {"state": "ready"}})),
    ])
    .await;
    let client = server.client();
    let response = list_things(&client)
        .send_json::<Envelope<Thing>>(&client)
        .await
        .unwrap();
    assert_eq!(response.body().result.uid, "a");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn retries_stop_at_max_retries() {
    let busy = Reply::error(503, 10002, "Unavailable");
    let server = Server::start(vec![busy.clone(), busy.clone(), busy.clone(), busy]).await;
    let client = server.client();
    let error = list_things(&client).send_empty(&client).await.unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(
        server.requests().len(),
        3,
        "1 attempt + 2 retries (the default)"
    );

    let mut request = list_things(&client);
    let options = RequestOptions::new().with_max_retries(0);
    request.options(options);
    let error = request.send_empty(&client).await.unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(server.requests().len(), 4, "no retry with max_retries(0)");
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let server = Server::start(vec![Reply::error(404, 10003, "Not found")]).await;
    let client = server.client();
    list_things(&client).send_empty(&client).await.unwrap_err();
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn post_is_not_retried_unless_opted_in() {
    let server = Server::start(vec![
        Reply::error(500, 10002, "Internal error"),
        Reply::error(500, 10002, "Internal error"),
    ])
    .await;
    let client = server.client();
    let error = post_thing(&client).send_empty(&client).await.unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::INTERNAL_SERVER_ERROR));
    assert_eq!(server.requests().len(), 1);

    let mut request = post_thing(&client);
    request.json(&json!({"n": 1})).unwrap();
    let options = RequestOptions::new().with_retry_non_idempotent();
    request.options(options);
    request.send_empty(&client).await.unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(
        requests[1].body, requests[2].body,
        "the JSON body is sent again"
    );
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = Server::start(vec![
        Reply::error(429, 971, "Slow down").header("retry-after", "0"),
        Reply::error(503, 10002, "Unavailable").header("retry-after", "0"),
        Reply::ok(json!(1)),
    ])
    .await;
    // A backoff far longer than the test guard: only `Retry-After: 0` can make the two
    // retries quick.
    let client = server
        .builder()
        .retry_backoff(Duration::from_secs(600), Duration::from_secs(600))
        .build()
        .unwrap();
    let call = list_things(&client).send_json::<Envelope<i32>>(&client);
    let response = tokio::time::timeout(Duration::from_secs(30), call)
        .await
        .expect("Retry-After: 0 was not honoured")
        .unwrap();
    assert_eq!(response.body().result, 1);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn api_error_exposes_retry_after() {
    let server = Server::start(vec![
        Reply::error(429, 971, "Slow down").header("retry-after", "7"),
    ])
    .await;
    let client = server.builder().max_retries(0).build().unwrap();
    let api = api_error(list_things(&client).send_empty(&client).await.unwrap_err());
    assert_eq!(api.retry_after(), Some(Duration::from_secs(7)));
}

// ---------------------------------------------------------------- timeouts and transport

#[tokio::test]
async fn slow_response_is_a_timeout() {
    let server = Server::start(vec![Reply::ok(json!(1)).delay(Duration::from_secs(5))]).await;
    let client = server.builder().max_retries(0).build().unwrap();
    let mut request = list_things(&client);
    let options = RequestOptions::new().with_timeout(Duration::from_millis(100));
    request.options(options);
    let error = request.send_json::<Value>(&client).await.unwrap_err();

    assert!(
        matches!(
            error,
            Error::Timeout { operation: "things_list", after } if after == Duration::from_millis(100)
        ),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn timed_out_attempt_is_retried() {
    let server = Server::start(vec![
        Reply::ok(json!(1)).delay(Duration::from_secs(5)),
        Reply::ok(json!(2)),
    ])
    .await;
    let client = server
        .builder()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let response = list_things(&client)
        .send_json::<Envelope<i32>>(&client)
        .await
        .unwrap();
    assert_eq!(response.body().result, 2);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn refused_connection_is_a_transport_error() {
    // Bind and release a port so nothing listens on it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let client = common::builder()
        .token(TOKEN)
        .base_url(format!("http://{address}/client/v4"))
        .path_default("account_id", "acc123")
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(1))
        .build()
        .unwrap();
    let mut request = list_things(&client);
    request.query("secret_query", "hide-me");
    let error = request.send_empty(&client).await.unwrap_err();

    assert!(
        matches!(
            error,
            Error::Transport {
                operation: "things_list",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_retryable());
    let printed = format!("{error} {error:?}");
    assert!(!printed.contains("hide-me"), "{printed}");
    assert!(!printed.contains(TOKEN), "{printed}");
}

// ---------------------------------------------------------------- secrets

#[tokio::test]
async fn token_never_appears_in_debug_or_errors() {
    let server = Server::start(vec![Reply::error(403, 10000, "Authentication error")]).await;
    let client = server.client();
    let mut request = list_things(&client);
    request.header("x-other", "value");
    assert!(!format!("{request:?}").contains(TOKEN));
    let error = request.send_empty(&client).await.unwrap_err();

    for printed in [
        format!("{client:?}"),
        format!("{client:#?}"),
        format!("{:?}", client.credentials()),
        format!("{error}"),
        format!("{error:?}"),
        format!("{:?}", server.builder()),
    ] {
        assert!(!printed.contains(TOKEN), "{printed}");
    }
    assert!(format!("{client:?}").contains("[redacted]"));
}

#[test]
fn futures_and_errors_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}
    let client = common::builder().token(TOKEN).build().unwrap();
    let future = Request::new(Method::GET, "op").send_json::<Value>(&client);
    assert_send(&future);
    assert_send(&Request::new(Method::GET, "op").send_text(&client));
    assert_error::<Error>();
}

// ---------------------------------------------------------------- retry table, deadline

#[tokio::test]
async fn post_is_retried_after_429_but_not_after_500() {
    let server = Server::start(vec![
        Reply::error(429, 971, "Slow down").header("retry-after", "0"),
        Reply::ok(json!(1)),
    ])
    .await;
    let client = server.client();
    post_thing(&client).send_empty(&client).await.unwrap();
    assert_eq!(server.requests().len(), 2, "429 is retried for POST");

    let server = Server::start(vec![Reply::error(500, 10002, "Internal error")]).await;
    let client = server.client();
    let error = post_thing(&client).send_empty(&client).await.unwrap_err();
    assert!(error.is_server_error());
    assert_eq!(server.requests().len(), 1, "500 is not retried for POST");
}

#[tokio::test]
async fn retry_after_ms_and_x_should_retry() {
    let server = Server::start(vec![
        Reply::error(503, 10002, "Unavailable").header("retry-after-ms", "5"),
        Reply::ok(json!(1)),
    ])
    .await;
    let client = server
        .builder()
        .retry_backoff(Duration::from_secs(600), Duration::from_secs(600))
        .build()
        .unwrap();
    let call = list_things(&client).send_empty(&client);
    tokio::time::timeout(Duration::from_secs(30), call)
        .await
        .expect("retry-after-ms was not honoured")
        .unwrap();
    assert_eq!(server.requests().len(), 2);

    let server = Server::start(vec![
        Reply::error(503, 10002, "Unavailable").header("x-should-retry", "false"),
    ])
    .await;
    let client = server.client();
    list_things(&client).send_empty(&client).await.unwrap_err();
    assert_eq!(server.requests().len(), 1, "x-should-retry: false");

    let server = Server::start(vec![
        Reply::error(400, 1, "Try again").header("x-should-retry", "true"),
        Reply::ok(json!(1)),
    ])
    .await;
    let client = server.client();
    post_thing(&client).send_empty(&client).await.unwrap();
    assert_eq!(server.requests().len(), 2, "x-should-retry: true");
}

#[tokio::test]
async fn refused_post_is_retried_before_sending() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let client = common::builder()
        .token(TOKEN)
        .base_url(format!("http://{address}/client/v4"))
        .path_default("account_id", "acc123")
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(1))
        .max_retries(3)
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let error = post_thing(&client).send_empty(&client).await.unwrap_err();
    assert!(error.is_connect(), "{error:?}");
    assert!(error.is_retryable());
    // Four attempts at a refused port take a few milliseconds; nothing else to observe.
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn deadline_bounds_the_whole_call() {
    let slow = Reply::ok(json!(1)).delay(Duration::from_secs(5));
    let server = Server::start(vec![slow.clone(), slow]).await;
    let client = server
        .builder()
        .timeout(Duration::from_secs(30))
        .deadline(Duration::from_millis(200))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let error = list_things(&client).send_empty(&client).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::DeadlineExceeded {
                operation: "things_list",
                attempts: 1,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_timeout());
    assert!(started.elapsed() < Duration::from_secs(3));

    // A per-call deadline replaces the client's; a wait past it is not started.
    let server = Server::start(vec![
        Reply::error(503, 10002, "Unavailable").header("retry-after", "30"),
    ])
    .await;
    let client = server.client();
    let mut request = list_things(&client);
    let options = RequestOptions::new().with_deadline(Duration::from_secs(2));
    request.options(options);
    let started = std::time::Instant::now();
    let error = request.send_empty(&client).await.unwrap_err();
    assert!(error.is_server_error(), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn errors_carry_the_request_id_and_predicates() {
    let server = Server::start(vec![
        Reply::error(404, 10003, "Not found").header("x-request-id", "req-42"),
    ])
    .await;
    let client = server.client();
    let error = list_things(&client).send_empty(&client).await.unwrap_err();
    assert!(error.is_not_found());
    assert!(!error.is_rate_limited() && !error.is_timeout());
    assert_eq!(
        error.status(),
        Some(client_runtime::http::StatusCode::NOT_FOUND)
    );
    assert_eq!(error.request_id(), Some("req-42"));
    assert!(error.to_string().contains("request id req-42"), "{error}");
}

// ---------------------------------------------------------------- extras and raw requests

#[tokio::test]
async fn default_and_extra_headers_query_and_body_fields() {
    let server = Server::start(vec![]).await;
    let client = server
        .builder()
        .default_header("x-team", "video")
        .default_query("tenant", "t1")
        .build()
        .unwrap();
    let mut request = post_thing(&client);
    request.query("limit", 5);
    request.json(&json!({"name": "a"})).unwrap();
    let options = RequestOptions::new()
        .with_header("x-trace", "1")
        .with_query("debug", "yes")
        .with_body_field("newField", json!({"x": 1}));
    request.options(options);
    request.send_empty(&client).await.unwrap();
    let seen = server.only_request();
    assert_eq!(seen.header("x-team"), Some("video"));
    assert_eq!(seen.header("x-trace"), Some("1"));
    assert_eq!(seen.query.as_deref(), Some("tenant=t1&limit=5&debug=yes"));
    let body: Value = serde_json::from_slice(&seen.body).unwrap();
    assert_eq!(body, json!({"name": "a", "newField": {"x": 1}}));
}

#[tokio::test]
async fn body_fields_need_an_object_body() {
    let server = Server::start(vec![]).await;
    let client = server.client();
    let mut request = post_thing(&client);
    request.json(&json!([1, 2])).unwrap();
    let options = RequestOptions::new().with_body_field("x", json!(1));
    request.options(options);
    let error = request.send_empty(&client).await.unwrap_err();
    assert!(matches!(error, Error::InvalidRequest { .. }), "{error:?}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn raw_request_has_auth_retries_and_errors() {
    let server = Server::start(vec![
        Reply::error(429, 971, "Slow down").header("retry-after", "0"),
        Reply::ok(json!({"id": 7})),
        Reply::error(404, 10003, "Not found"),
    ])
    .await;
    let client = server
        .builder()
        .default_query("tenant", "t1")
        .build()
        .unwrap();
    let response = client
        .request(Method::POST, "/accounts/acc123/new-things")
        .with_query("dry_run", "true")
        .with_header("x-trace", "1")
        .json(&json!({"name": "a"}))
        .with_body_field("extra", json!(true))
        .send_json::<Envelope<Value>>()
        .await
        .unwrap();
    assert_eq!(response.body().result, json!({"id": 7}));
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "429 retried");
    let seen = &requests[1];
    assert_eq!(seen.method, Method::POST);
    assert_eq!(seen.path, "/client/v4/accounts/acc123/new-things");
    assert_eq!(seen.query.as_deref(), Some("tenant=t1&dry_run=true"));
    assert_eq!(
        seen.header("authorization"),
        Some(&*format!("Bearer {TOKEN}"))
    );
    assert_eq!(seen.header("x-trace"), Some("1"));
    let body: Value = serde_json::from_slice(&seen.body).unwrap();
    assert_eq!(body, json!({"name": "a", "extra": true}));

    let error = client
        .request(Method::GET, "missing")
        .operation("things_missing")
        .send()
        .await
        .unwrap_err();
    assert!(error.is_not_found());
    assert_eq!(error.api_error().unwrap().operation(), "things_missing");
    assert_eq!(server.requests()[2].path, "/client/v4/missing");
}

// ---------------------------------------------------------------- URLs the API hands out

/// `server`'s origin with `path`: a URL such as an upload URL, outside the base path.
fn handed_out(server: &Server, path: &str) -> url::Url {
    let mut url = url::Url::parse(&server.base_url).unwrap();
    url.set_path("");
    url.join(path).unwrap()
}

#[tokio::test]
async fn an_absolute_url_with_a_streamed_body_is_one_attempt() {
    let server = Server::start(vec![
        Reply::error(503, 1, "busy").header("x-request-id", "req-9"),
    ])
    .await;
    let client = server
        .builder()
        .default_query("tenant", "t1")
        .default_header("x-team", "video")
        .build()
        .unwrap();
    let mut request = Request::new(Method::PATCH, "upload_chunk");
    request.absolute_url(handed_out(&server, "/tus/abc?tusv2=true"));
    request.header("upload-offset", 5_u64);
    let pieces = futures_util::stream::iter(["hel", "lo"].map(Ok::<_, std::io::Error>));
    request.stream(
        "application/offset+octet-stream",
        Some(5),
        reqwest::Body::wrap_stream(pieces),
    );
    let error = request.send_empty(&client).await.unwrap_err();
    // The runtime's error, as for any call: status, predicates, request id.
    assert!(error.is_server_error() && error.is_retryable(), "{error:?}");
    assert_eq!(error.request_id(), Some("req-9"));
    assert_eq!(error.api_error().unwrap().operation(), "upload_chunk");
    // Not retried (the stream is spent), although 503 is retryable.
    let seen = server.only_request();
    assert_eq!(seen.path, "/tus/abc");
    // The URL's own query; the client's default query is the base URL's.
    assert_eq!(seen.query.as_deref(), Some("tusv2=true"));
    assert_eq!(
        seen.header("authorization"),
        Some(&*format!("Bearer {TOKEN}"))
    );
    assert_eq!(seen.header("x-team"), Some("video"));
    assert_eq!(seen.header("upload-offset"), Some("5"));
    assert_eq!(seen.header("content-length"), Some("5"));
    assert_eq!(
        seen.header("content-type"),
        Some("application/offset+octet-stream")
    );
    assert_eq!(&seen.body[..], b"hello");
}

#[tokio::test]
async fn an_absolute_url_gets_header_credentials_only() {
    let server = Server::start(vec![]).await;
    let client = common::plain()
        .token("k")
        .base_url(&server.base_url)
        .build()
        .unwrap();
    let mut request = Request::new(Method::HEAD, "upload_offset");
    request.absolute_url(handed_out(&server, "/tus/abc"));
    request.send_empty(&client).await.unwrap();
    // `key` is an API key in the query: it stays with the API's own URLs.
    assert_eq!(server.only_request().query, None);
}

#[tokio::test]
async fn a_streamed_form_is_sent_once() {
    let server = Server::start(vec![Reply::error(429, 1, "slow down")]).await;
    let client = server.client();
    let mut request = Request::new(Method::POST, "direct_upload");
    request.absolute_url(handed_out(&server, "/direct/xyz"));
    let part = reqwest::multipart::Part::stream_with_length("WEBVTT\n", 7).file_name("a.vtt");
    request.stream_form(reqwest::multipart::Form::new().part("file", part));
    let error = request.send_empty(&client).await.unwrap_err();
    assert!(error.is_rate_limited(), "{error:?}");
    let seen = server.only_request();
    let parts = parse_multipart(&seen);
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].name, "file");
    assert_eq!(parts[0].file_name.as_deref(), Some("a.vtt"));
    assert_eq!(parts[0].data, "WEBVTT\n");
}

#[tokio::test]
async fn a_single_attempt_call_ignores_retries_and_the_client_deadline() {
    let server = Server::start(vec![
        Reply::error(503, 1, "busy"),
        Reply::ok(json!(1)).delay(Duration::from_millis(300)),
    ])
    .await;
    let client = server
        .builder()
        .deadline(Duration::from_millis(100))
        .build()
        .unwrap();
    let single = || {
        let mut request = list_things(&client);
        request.single_attempt();
        request
    };
    let error = single().send_empty(&client).await.unwrap_err();
    assert!(error.is_server_error(), "{error:?}");
    assert_eq!(server.requests().len(), 1, "not retried");
    // Slower than the client's deadline: the caller's own loop bounds the time.
    single().send_empty(&client).await.unwrap();
    assert_eq!(server.requests().len(), 2);
}
