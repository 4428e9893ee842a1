//! The emulator against a hostile or unlucky client: concurrent writers of one upload,
//! header values that overflow, chunks above the limit, deeply nested input, a `kill -9`
//! mid-upload, and state directories from an older emulator.
//!
//! The kill test runs the emulator's own binary as a child process (`--persist`), kills it
//! with SIGKILL while a direct upload is streaming, restarts it on the same directory and
//! checks that nothing acknowledged was lost and nothing unacknowledged was kept.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use serde_json::{Value, json};
use stream_emulator::{Config, Emulator};

/// 6 MiB, a valid single tus chunk size (a multiple of 256 KiB, at least 5 MiB).
const SIX_MIB: usize = 6 * 1024 * 1024;

/// A body of `len` bytes of `fill`, sent as `pieces` pieces with `pause` between them, so
/// that two such bodies overlap on the wire.
fn slow_body(len: usize, fill: u8, pieces: usize, pause: Duration) -> reqwest::Body {
    let piece = len / pieces;
    let stream = futures_util::stream::unfold(0usize, move |sent| async move {
        if sent >= len {
            return None;
        }
        tokio::time::sleep(pause).await;
        let n = piece.min(len - sent);
        Some((
            Ok::<_, std::io::Error>(Bytes::from(vec![fill; n])),
            sent + n,
        ))
    });
    reqwest::Body::wrap_stream(stream)
}

/// The default configuration, kept in `dir` (`--persist`).
fn persistent(dir: &std::path::Path) -> Config {
    Config {
        persist: Some(dir.to_owned()),
        ..Config::default()
    }
}

struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    fn new(api_base_url: &str, account: &str, token: &str) -> Self {
        Api {
            http: reqwest::Client::new(),
            base: format!("{api_base_url}/accounts/{account}/stream"),
            token: token.to_owned(),
        }
    }

    fn of(emulator: &Emulator) -> Self {
        Self::new(
            &emulator.api_base_url(),
            emulator.account_id(),
            emulator.token(),
        )
    }

    async fn json(&self, method: reqwest::Method, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("the emulator answers");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn tus_create(&self, length: u64) -> String {
        let created = self
            .http
            .post(&self.base)
            .bearer_auth(&self.token)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", length.to_string())
            .send()
            .await
            .expect("create");
        assert_eq!(created.status(), 201);
        created.headers()["location"]
            .to_str()
            .expect("ascii")
            .to_owned()
    }

    fn tus_patch(&self, location: &str, offset: u64) -> reqwest::RequestBuilder {
        self.http
            .patch(location)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Offset", offset.to_string())
            .header("Content-Type", "application/offset+octet-stream")
    }

    async fn tus_offset(&self, location: &str) -> u64 {
        let head = self
            .http
            .head(location)
            .header("Tus-Resumable", "1.0.0")
            .send()
            .await
            .expect("head");
        head.headers()["upload-offset"]
            .to_str()
            .ok()
            .and_then(|v| v.parse().ok())
            .expect("an offset")
    }

    /// A direct creator upload URL and its video uid.
    async fn direct_url(&self) -> (String, String) {
        let (status, body) = self
            .json(
                reqwest::Method::POST,
                "/direct_upload",
                json!({"maxDurationSeconds": 60}),
            )
            .await;
        assert!(status.is_success(), "{status} {body}");
        (
            body["result"]["uploadURL"]
                .as_str()
                .expect("a URL")
                .to_owned(),
            body["result"]["uid"].as_str().expect("a uid").to_owned(),
        )
    }

    fn direct_post(&self, url: &str, body: reqwest::Body) -> reqwest::RequestBuilder {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::stream(body).file_name("video.mp4"),
        );
        self.http.post(url).multipart(form)
    }

    async fn video(&self, uid: &str) -> Value {
        let (status, body) = self
            .json(reqwest::Method::GET, &format!("/{uid}"), Value::Null)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["result"].clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_writer_per_tus_upload() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let emulator = Emulator::start(persistent(dir.path()))
        .await
        .expect("start");
    let api = Api::of(&emulator);
    let location = api.tus_create(SIX_MIB as u64).await;
    let pause = Duration::from_millis(20);
    let first = api
        .tus_patch(&location, 0)
        .header("Content-Length", SIX_MIB.to_string())
        .body(slow_body(SIX_MIB, b'a', 24, pause))
        .send();
    let second = async {
        // Let the first PATCH claim the upload.
        tokio::time::sleep(Duration::from_millis(100)).await;
        api.tus_patch(&location, 0)
            .header("Content-Length", SIX_MIB.to_string())
            .body(slow_body(SIX_MIB, b'b', 24, pause))
            .send()
            .await
    };
    let (first, second) = tokio::join!(first, second);
    let statuses = [
        first.expect("first").status(),
        second.expect("second").status(),
    ];
    assert!(
        statuses.contains(&StatusCode::NO_CONTENT) && statuses.contains(&StatusCode::CONFLICT),
        "one PATCH wins, the other is refused: {statuses:?}"
    );
    assert_eq!(api.tus_offset(&location).await, SIX_MIB as u64);
    // The stored bytes are exactly the winner's.
    let winner = if statuses[0] == StatusCode::NO_CONTENT {
        b'a'
    } else {
        b'b'
    };
    let uid = location.rsplit('/').next().expect("a uid").to_owned();
    let stored = std::fs::read(dir.path().join("blobs").join(&uid)).expect("the blob");
    assert_eq!(stored.len(), SIX_MIB);
    assert!(
        stored.iter().all(|&b| b == winner),
        "the bytes are one sender's"
    );
    // A PATCH past the end is refused whatever it claims, and the offset never passes the
    // length.
    let late = api
        .tus_patch(&location, SIX_MIB as u64)
        .body(vec![0u8; 10])
        .send()
        .await
        .expect("patch");
    assert_eq!(late.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(api.tus_offset(&location).await, SIX_MIB as u64);
}

/// Sends a tus `PATCH` head with `content_length` and no body over a raw connection, and
/// returns the status the server answers from the headers alone.
async fn patch_head_only(location: &str, content_length: &str) -> u16 {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let url = reqwest::Url::parse(location).expect("a URL");
    let address = format!(
        "{}:{}",
        url.host_str().expect("a host"),
        url.port().expect("a port")
    );
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let head = format!(
        "PATCH {} HTTP/1.1\r\nHost: emulator\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n\
         Content-Type: application/offset+octet-stream\r\nContent-Length: {content_length}\r\n\r\n",
        url.path()
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut answer = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("answered from the headers, without the body")
        .expect("read");
    let text = String::from_utf8_lossy(&answer[..n]);
    text.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text}"))
}

#[tokio::test]
async fn header_arithmetic_and_chunk_limits() {
    let emulator = Emulator::start(Config {
        max_upload_bytes: 1 << 40,
        ..Config::default()
    })
    .await
    .expect("start");
    let api = Api::of(&emulator);
    let location = api.tus_create(1 << 33).await;
    // A Content-Length that overflows with the offset: a clear 4xx, not a dropped request
    // (hyper itself refuses the largest values with 431; the handler's own arithmetic is
    // checked too, see `chunk_rules` in `src/uploads.rs`).
    for length in [u64::MAX, u64::MAX - 1, i64::MAX as u64 + 1, i64::MAX as u64] {
        let status = patch_head_only(&location, &length.to_string()).await;
        assert!(
            (400..500).contains(&status),
            "Content-Length {length}: {status}"
        );
    }
    // A declared chunk above Cloudflare's 200 MiB maximum is refused before it is read.
    let big = 209_715_200u64 + 262_144;
    assert_eq!(patch_head_only(&location, &big.to_string()).await, 413);
    // Nothing was written, and the emulator is still serving.
    assert_eq!(api.tus_offset(&location).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_post_per_direct_upload_url() {
    let emulator = Emulator::start(Config::default()).await.expect("start");
    let api = Api::of(&emulator);
    let (url, uid) = api.direct_url().await;
    let len = 4 * 1024 * 1024;
    let pause = Duration::from_millis(20);
    let first = api
        .direct_post(&url, slow_body(len, b'a', 20, pause))
        .send();
    let second = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        api.direct_post(&url, slow_body(len, b'b', 20, pause))
            .send()
            .await
    };
    let (first, second) = tokio::join!(first, second);
    let statuses = [
        first.expect("first").status(),
        second.expect("second").status(),
    ];
    assert!(
        statuses.contains(&StatusCode::OK) && statuses.iter().any(|s| s.is_client_error()),
        "one POST wins, the other gets a 4xx: {statuses:?}"
    );
    assert_eq!(api.video(&uid).await["size"], json!(len));
    // And after it completed, the URL is used up.
    let again = api
        .direct_post(&url, slow_body(10, b'c', 1, Duration::ZERO))
        .send()
        .await
        .expect("post");
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
}

/// The emulator's binary on `dir`, on an ephemeral port; returns the child and its base URL.
fn spawn_persistent(dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stream-emulator"))
        .args(["--port", "0", "--token", "t0ken", "--persist"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the emulator binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut stdout = BufReader::new(stdout);
    let mut first = String::new();
    stdout.read_line(&mut first).expect("the base URL line");
    // Keep reading what it prints after, so that it never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    (child, first.trim().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_during_a_direct_upload_keeps_nothing_partial() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (mut child, base) = spawn_persistent(dir.path());
    let api = Api::new(&base, "emulator-account", "t0ken");
    let (url, uid) = api.direct_url().await;
    // An acknowledged edit before the kill must survive it.
    let (status, _) = api
        .json(
            reqwest::Method::POST,
            &format!("/{uid}"),
            json!({"meta": {"name": "kept"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let len = 8 * 1024 * 1024;
    let upload = tokio::spawn({
        let request = api.direct_post(&url, slow_body(len, b'x', 64, Duration::from_millis(30)));
        async move { request.send().await }
    });
    // Kill it while about a third of the body has arrived.
    tokio::time::sleep(Duration::from_millis(700)).await;
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    // The cut-off POST fails on the client's side; what matters is the server's state.
    let _ = upload.await;

    let (mut child, base) = spawn_persistent(dir.path());
    let api = Api::new(&base, "emulator-account", "t0ken");
    let video = api.video(&uid).await;
    assert_eq!(
        video["meta"]["name"], "kept",
        "the acknowledged edit survived"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("blobs"))
        .expect("blobs")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert!(
        leftovers.is_empty(),
        "nothing of the cut-off upload remains: {leftovers:?}"
    );
    // The retried upload (the URL is still unused) stores exactly what it sent.
    let url = url.replace(
        url.split('/')
            .take(3)
            .collect::<Vec<_>>()
            .join("/")
            .as_str(),
        base.trim_end_matches('/'),
    );
    let retried = api
        .direct_post(&url, slow_body(len, b'y', 4, Duration::ZERO))
        .send()
        .await
        .expect("post");
    assert_eq!(retried.status(), StatusCode::OK);
    assert_eq!(api.video(&uid).await["size"], json!(len));
    let blob = std::fs::metadata(dir.path().join("blobs").join(&uid)).expect("the blob");
    assert_eq!(
        blob.len(),
        len as u64,
        "the bytes on disk are the retried upload's"
    );
    child.kill().expect("stop");
    child.wait().expect("reaped");
}

#[tokio::test]
async fn deeply_nested_input_reloads() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = || persistent(dir.path());
    let emulator = Emulator::start(config()).await.expect("start");
    let api = Api::of(&emulator);
    let (_, uid) = api.direct_url().await;
    // As deep as the API's own JSON parser accepts, within the request body's nesting.
    let mut meta = json!("bottom");
    for _ in 0..124 {
        meta = json!({ "n": meta });
    }
    let (status, body) = api
        .json(
            reqwest::Method::POST,
            &format!("/{uid}"),
            json!({ "meta": meta }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    emulator.shutdown().await;
    let emulator = Emulator::start(config())
        .await
        .expect("the persisted state loads at any depth");
    let api = Api::of(&emulator);
    assert_eq!(api.video(&uid).await["meta"], meta);
}

#[tokio::test]
async fn older_state_directories_migrate_or_are_refused() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = || persistent(dir.path());
    // A snapshot as the previous emulator wrote it: one watermark-free, key-only state.
    std::fs::write(
        dir.path().join("state.json"),
        json!({
            "videos": {},
            "keys": {"k1": {"id": "k1", "created": "2026-01-01T00:00:00Z", "pem": "p", "jwk": "{}"}},
            "account_key": null,
            "live_inputs": {},
            "watermarks": {},
            "webhook": {"url": "https://example.com/hook", "secret": "s", "modified": "2026-01-01T00:00:00Z"}
        })
        .to_string(),
    )
    .expect("write");
    let emulator = Emulator::start(config())
        .await
        .expect("the old state migrates");
    let state = emulator.snapshot();
    assert!(state.keys.contains_key("k1"));
    assert_eq!(
        state.webhook.as_ref().map(|h| h.url.as_str()),
        Some("https://example.com/hook")
    );
    emulator.shutdown().await;
    assert!(dir.path().join("state.json.migrated").is_file());
    assert!(!dir.path().join("state.json").exists());
    // Migrated once: a restart reads the database.
    let emulator = Emulator::start(config()).await.expect("restart");
    assert!(emulator.snapshot().keys.contains_key("k1"));
    emulator.shutdown().await;

    let broken = tempfile::tempdir().expect("a temp dir");
    std::fs::write(broken.path().join("state.json"), "{not json").expect("write");
    let error = Emulator::start(persistent(broken.path()))
        .await
        .expect_err("a snapshot that does not parse is refused");
    assert!(
        error.to_string().contains("state.json"),
        "the message names the file: {error}"
    );
}

#[tokio::test]
async fn tus_version_negotiation_and_empty_uploads() {
    let emulator = Emulator::start(Config {
        processing_step: Duration::ZERO,
        ..Config::default()
    })
    .await
    .expect("start");
    let api = Api::of(&emulator);
    let location = api.tus_create(SIX_MIB as u64).await;
    let http = &api.http;
    let requests = [
        (
            "PATCH without a version",
            http.patch(&location).header("Upload-Offset", "0"),
        ),
        (
            "PATCH of another version",
            http.patch(&location).header("Tus-Resumable", "0.2.2"),
        ),
        ("HEAD without a version", http.head(&location)),
        (
            "DELETE of another version",
            http.delete(&location).header("Tus-Resumable", "2.0.0"),
        ),
        (
            "creation of another version",
            http.post(&api.base)
                .bearer_auth(&api.token)
                .header("Tus-Resumable", "0.2.2")
                .header("Upload-Length", "10"),
        ),
    ];
    for (case, request) in requests {
        let response = request.send().await.expect("answered");
        assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED, "{case}");
        assert_eq!(
            response
                .headers()
                .get("tus-version")
                .and_then(|v| v.to_str().ok()),
            Some("1.0.0"),
            "{case}"
        );
    }
    // OPTIONS is how a client asks, without a version.
    let options = http
        .request(reqwest::Method::OPTIONS, &location)
        .send()
        .await
        .expect("options");
    assert_eq!(options.status(), StatusCode::NO_CONTENT);
    // The upload is untouched.
    assert_eq!(api.tus_offset(&location).await, 0);

    // A zero-length upload is complete at creation: no empty PATCH needed.
    let empty = api.tus_create(0).await;
    let uid = empty.rsplit('/').next().expect("a uid").to_owned();
    assert_eq!(api.tus_offset(&empty).await, 0);
    let video = api.video(&uid).await;
    assert_ne!(video["status"]["state"], json!("pendingupload"), "{video}");
}

#[tokio::test]
async fn slow_clients_time_out_and_shutdown_is_bounded() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let emulator = Emulator::start(Config {
        limits: stream_emulator::Limits {
            header_read_timeout: Duration::from_millis(300),
            shutdown_grace: Duration::from_millis(500),
        },
        ..Config::default()
    })
    .await
    .expect("start");
    let api = Api::of(&emulator);
    let address = emulator.base_url().trim_start_matches("http://").to_owned();
    // A client that never finishes its request head is dropped.
    let mut slow = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    slow.write_all(b"GET /client/v4/accounts/x/stream HTTP/1.1\r\nHost: e\r\n")
        .await
        .expect("write");
    let mut buf = [0u8; 256];
    let closed = tokio::time::timeout(Duration::from_secs(5), slow.read(&mut buf))
        .await
        .expect("the server gives up on the slow client within seconds");
    // Closed (0 bytes) or answered with 408; either way the connection is not held.
    match closed {
        Ok(0) | Err(_) => {}
        Ok(n) => assert!(
            String::from_utf8_lossy(&buf[..n]).contains("408"),
            "{}",
            String::from_utf8_lossy(&buf[..n])
        ),
    }
    // Others are served meanwhile, and after.
    let location = api.tus_create(SIX_MIB as u64).await;

    // A request held open (a PATCH whose body never ends) does not hold up a stop.
    let held = api
        .tus_patch(&location, 0)
        .header("Content-Length", SIX_MIB.to_string())
        .body(slow_body(SIX_MIB, b'a', 1000, Duration::from_secs(1)))
        .send();
    let held = tokio::spawn(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    emulator.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "stopped in {:?}",
        started.elapsed()
    );
    held.abort();
}

#[tokio::test]
async fn a_failed_write_is_a_server_error_and_keeps_nothing() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = || persistent(dir.path());
    let emulator = Emulator::start(config()).await.expect("start");
    let api = Api::of(&emulator);
    let (_, uid) = api.direct_url().await;
    emulator.fail_writes(1);
    let (status, body) = api
        .json(
            reqwest::Method::POST,
            &format!("/{uid}"),
            json!({"meta": {"name": "lost"}}),
        )
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert_eq!(body["success"], json!(false));
    assert_eq!(body["errors"][0]["code"], json!(10002));
    // Nothing of it is visible, now or after a restart.
    assert_ne!(api.video(&uid).await["meta"]["name"], json!("lost"));
    let (status, _) = api.json(reqwest::Method::POST, "/keys", json!({})).await;
    assert_eq!(status, StatusCode::OK, "the next write goes through");
    emulator.shutdown().await;
    let emulator = Emulator::start(config()).await.expect("restart");
    let api = Api::of(&emulator);
    assert_ne!(api.video(&uid).await["meta"]["name"], json!("lost"));
    assert_eq!(
        emulator.snapshot().keys.len(),
        1,
        "the acknowledged key is kept"
    );
    // A webhook URL that is not http(s) is refused.
    let (status, _) = api
        .json(
            reqwest::Method::PUT,
            "/webhook",
            json!({"notificationUrl": "file:///etc/passwd"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
