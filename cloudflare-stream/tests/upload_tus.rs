//! Uploads against a small tus 1.0.0 server on 127.0.0.1 that checks every offset and
//! stores what it receives, with faults injected by the server (5xx, stalls) and by a
//! TCP proxy that cuts connections in the middle of a chunk.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cloudflare_stream::upload::{MIN_CHUNK_SIZE, Progress, UploadSource};
use cloudflare_stream::{Client, ClientBuilder, Error, Timestamp};
use futures::StreamExt;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[path = "../examples/upload.rs"]
mod upload_example;

#[path = "../examples/direct_creator_upload.rs"]
mod direct_example;

const TOKEN: &str = "tus-test-token";
const ACCOUNT: &str = "acc123";
/// The request id the server's error answers carry (in `cf-ray`, as Cloudflare's do).
const RAY: &str = "8f1b2c3d4e5f6a7b-SJC";

// ---------------------------------------------------------------- the tus server

/// A request as the server saw it.
#[derive(Clone, Debug)]
struct Seen {
    method: Method,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    status: StatusCode,
    /// Body bytes stored by this request (PATCH) or the body (other methods).
    body_len: usize,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|value| value.to_str().unwrap())
    }
}

/// What the server does to the next PATCH.
#[derive(Clone, Debug)]
enum Fault {
    /// Stores `keep` bytes of the body, then answers `status` (with `Retry-After: 0`).
    Status { status: u16, keep: usize },
    /// Waits this long, then answers 408 without reading or storing anything (the
    /// client has given up by then).
    Stall(Duration),
}

#[derive(Debug)]
struct StoredUpload {
    length: u64,
    data: Vec<u8>,
    metadata: Option<String>,
    creator: Option<String>,
}

#[derive(Default)]
struct Shared {
    uploads: Mutex<HashMap<String, Arc<tokio::sync::Mutex<StoredUpload>>>>,
    seen: Mutex<Vec<Seen>>,
    faults: Mutex<VecDeque<Fault>>,
    /// PATCH bodies that broke off before their end.
    broken_bodies: AtomicUsize,
    /// PATCHes whose `Upload-Offset` was not the stored length.
    conflicts: AtomicUsize,
    next_id: AtomicUsize,
}

struct TusServer {
    address: SocketAddr,
    shared: Arc<Shared>,
}

impl TusServer {
    async fn start() -> Self {
        let shared = Arc::new(Shared::default());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let app = Router::new().fallback(handle).with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { address, shared }
    }

    fn fault(&self, fault: Fault) {
        self.shared.faults.lock().unwrap().push_back(fault);
    }

    fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }

    fn count(&self, method: Method) -> usize {
        self.seen()
            .iter()
            .filter(|seen| seen.method == method)
            .count()
    }

    /// The `Upload-Offset` of every PATCH, in order.
    fn patch_offsets(&self) -> Vec<u64> {
        self.seen()
            .iter()
            .filter(|seen| seen.method == Method::PATCH)
            .map(|seen| seen.header("upload-offset").unwrap().parse().unwrap())
            .collect()
    }

    async fn stored(&self, uid: &str) -> StoredUpload {
        let entry = self.shared.uploads.lock().unwrap()[uid].clone();
        let upload = entry.lock().await;
        StoredUpload {
            length: upload.length,
            data: upload.data.clone(),
            metadata: upload.metadata.clone(),
            creator: upload.creator.clone(),
        }
    }
}

fn client_for(address: SocketAddr) -> ClientBuilder {
    Client::builder()
        .token(TOKEN)
        .base_url(format!("http://{address}/client/v4"))
        .path_default("account_id", ACCOUNT)
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(5))
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let path = uri.path().to_owned();
    let (status, stored, response) = route(&shared, &method, &uri, &headers, body).await;
    shared.seen.lock().unwrap().push(Seen {
        method,
        path,
        query: uri.query().map(str::to_owned),
        headers,
        status,
        body_len: stored,
    });
    response
}

/// Answers a request: its status, how many body bytes it stored, and the response.
async fn route(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
) -> (StatusCode, usize, Response) {
    let host = headers["host"].to_str().unwrap().to_owned();
    let path = uri.path();
    let tus_path = path.strip_prefix("/tus/");
    let direct_path = path.strip_prefix("/direct/");
    let create_path = format!("/client/v4/accounts/{ACCOUNT}/stream");
    let text = |status: StatusCode, message: &str| {
        let response = (status, [("cf-ray", RAY)], message.to_owned()).into_response();
        (status, 0, response)
    };
    if *method == Method::POST && path == create_path {
        if headers.get("tus-resumable").map(|v| v.as_bytes()) != Some(b"1.0.0") {
            return text(
                StatusCode::PRECONDITION_FAILED,
                "Tus-Resumable 1.0.0 required",
            );
        }
        let Some(length) = headers
            .get("upload-length")
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        else {
            return text(StatusCode::BAD_REQUEST, "Upload-Length required");
        };
        let uid = format!("video{}", shared.next_id.fetch_add(1, Ordering::SeqCst));
        let upload = StoredUpload {
            length,
            data: Vec::new(),
            metadata: header_text(headers, "upload-metadata"),
            creator: header_text(headers, "upload-creator"),
        };
        shared
            .uploads
            .lock()
            .unwrap()
            .insert(uid.clone(), Arc::new(tokio::sync::Mutex::new(upload)));
        let response = Response::builder()
            .status(StatusCode::CREATED)
            .header("location", format!("http://{host}/tus/{uid}"))
            .header("stream-media-id", &uid)
            .header("tus-resumable", "1.0.0")
            .body(Body::empty())
            .unwrap();
        return (StatusCode::CREATED, 0, response);
    }
    if *method == Method::POST && path == format!("{create_path}/direct_upload") {
        let uid = format!("video{}", shared.next_id.fetch_add(1, Ordering::SeqCst));
        let body = json!({
            "success": true, "errors": [], "messages": [],
            "result": {"uid": uid, "uploadURL": format!("http://{host}/direct/{uid}")},
        });
        let response = ([("content-type", "application/json")], body.to_string()).into_response();
        return (StatusCode::OK, 0, response);
    }
    if let (true, Some(uid)) = (*method == Method::POST, direct_path) {
        let data = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        let upload = StoredUpload {
            length: data.len() as u64,
            data: data.to_vec(),
            metadata: None,
            creator: None,
        };
        shared
            .uploads
            .lock()
            .unwrap()
            .insert(uid.to_owned(), Arc::new(tokio::sync::Mutex::new(upload)));
        return (StatusCode::OK, data.len(), StatusCode::OK.into_response());
    }
    let Some(uid) = tus_path else {
        return text(StatusCode::NOT_FOUND, "no such route");
    };
    if headers.get("tus-resumable").map(|v| v.as_bytes()) != Some(b"1.0.0") {
        return text(
            StatusCode::PRECONDITION_FAILED,
            "Tus-Resumable 1.0.0 required",
        );
    }
    let Some(entry) = shared.uploads.lock().unwrap().get(uid).cloned() else {
        return text(StatusCode::NOT_FOUND, "no such upload");
    };
    match *method {
        Method::HEAD => {
            // Waits for a PATCH still in progress, as real tus servers lock uploads.
            let upload = entry.lock().await;
            let response = Response::builder()
                .status(StatusCode::OK)
                .header("upload-offset", upload.data.len())
                .header("upload-length", upload.length)
                .header("tus-resumable", "1.0.0")
                .header("cache-control", "no-store")
                .body(Body::empty())
                .unwrap();
            (StatusCode::OK, 0, response)
        }
        Method::PATCH => patch(shared, &entry, headers, body).await,
        _ => text(StatusCode::METHOD_NOT_ALLOWED, "HEAD or PATCH"),
    }
}

async fn patch(
    shared: &Shared,
    entry: &tokio::sync::Mutex<StoredUpload>,
    headers: &HeaderMap,
    body: Body,
) -> (StatusCode, usize, Response) {
    let text = |status: StatusCode, stored: usize, message: &str| {
        (status, stored, (status, message.to_owned()).into_response())
    };
    if headers.get("content-type").map(|v| v.as_bytes()) != Some(b"application/offset+octet-stream")
    {
        return text(StatusCode::UNSUPPORTED_MEDIA_TYPE, 0, "wrong content type");
    }
    let fault = shared.faults.lock().unwrap().pop_front();
    if let Some(Fault::Stall(delay)) = fault {
        tokio::time::sleep(delay).await;
        return text(StatusCode::REQUEST_TIMEOUT, 0, "stalled");
    }
    let mut upload = entry.lock().await;
    let offset: Option<u64> = header_text(headers, "upload-offset").and_then(|v| v.parse().ok());
    if offset != Some(upload.data.len() as u64) {
        shared.conflicts.fetch_add(1, Ordering::SeqCst);
        return text(StatusCode::CONFLICT, 0, "Upload-Offset does not match");
    }
    let keep = match fault {
        Some(Fault::Status { keep, .. }) => keep,
        _ => usize::MAX,
    };
    let mut stream = body.into_data_stream();
    let mut stored = 0;
    while let Some(frame) = stream.next().await {
        let Ok(bytes) = frame else {
            // The connection broke: keep what arrived, as tus servers do.
            shared.broken_bodies.fetch_add(1, Ordering::SeqCst);
            return text(StatusCode::BAD_REQUEST, stored, "body broke off");
        };
        let take = bytes.len().min(keep - stored);
        if upload.data.len() + take > upload.length as usize {
            return text(StatusCode::PAYLOAD_TOO_LARGE, stored, "past Upload-Length");
        }
        upload.data.extend_from_slice(&bytes[..take]);
        stored += take;
        if stored == keep {
            break;
        }
    }
    if let Some(Fault::Status { status, .. }) = fault {
        let status = StatusCode::from_u16(status).unwrap();
        let response = Response::builder()
            .status(status)
            .header("retry-after", "0")
            .header("cf-ray", RAY)
            .body(Body::from("injected failure"))
            .unwrap();
        return (status, stored, response);
    }
    let response = Response::builder()
        .status(StatusCode::NO_CONTENT)
        .header("upload-offset", upload.data.len())
        .header("tus-resumable", "1.0.0")
        .body(Body::empty())
        .unwrap();
    (StatusCode::NO_CONTENT, stored, response)
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|value| value.to_str().unwrap().to_owned())
}

/// The `Upload-Metadata` pairs, values decoded (`None` for a bare key).
fn metadata_pairs(header: &str) -> HashMap<String, Option<String>> {
    header
        .split(',')
        .map(|pair| {
            let mut parts = pair.trim().splitn(2, ' ');
            let key = parts.next().unwrap().to_owned();
            let value = parts
                .next()
                .map(|value| String::from_utf8(STANDARD.decode(value).unwrap()).unwrap());
            (key, value)
        })
        .collect()
}

// ---------------------------------------------------------------- the faulty network

/// A TCP proxy in front of the server that cuts connections: each of the first
/// connections is closed, both ways, once it has carried its limit of bytes from the
/// client, which lands in the middle of a request body.
struct CuttingProxy {
    address: SocketAddr,
    cuts: Arc<AtomicUsize>,
}

impl CuttingProxy {
    async fn start(upstream: SocketAddr, limits: Vec<usize>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let limits = Arc::new(Mutex::new(VecDeque::from(limits)));
        let cuts = Arc::new(AtomicUsize::new(0));
        let counter = cuts.clone();
        tokio::spawn(async move {
            loop {
                let (client, _) = listener.accept().await.unwrap();
                let limit = limits.lock().unwrap().pop_front();
                tokio::spawn(relay(client, upstream, limit, counter.clone()));
            }
        });
        Self { address, cuts }
    }
}

async fn relay(
    client: TcpStream,
    upstream: SocketAddr,
    limit: Option<usize>,
    cuts: Arc<AtomicUsize>,
) {
    let server = TcpStream::connect(upstream).await.unwrap();
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let downstream =
        tokio::spawn(async move { tokio::io::copy(&mut server_read, &mut client_write).await });
    let mut forwarded = 0;
    let mut buffer = vec![0; 16 * 1024];
    while let Ok(read) = client_read.read(&mut buffer).await {
        if read == 0 {
            let _ = server_write.shutdown().await;
            let _ = downstream.await;
            return;
        }
        let allowed = limit.map_or(read, |limit| read.min(limit - forwarded));
        if server_write.write_all(&buffer[..allowed]).await.is_err() {
            break;
        }
        forwarded += allowed;
        if limit == Some(forwarded) {
            cuts.fetch_add(1, Ordering::SeqCst);
            break;
        }
    }
    // Cut: both directions go down with every socket half.
    downstream.abort();
}

// ---------------------------------------------------------------- data

/// Deterministic, non-repeating bytes (xorshift), so a misplaced range cannot match.
fn data(length: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15 ^ length as u64;
    (0..length)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

fn temp_file(contents: &[u8], name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    (dir, path)
}

fn progress_log() -> (
    Arc<Mutex<Vec<Progress>>>,
    impl Fn(Progress) + Send + Sync + 'static,
) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = log.clone();
    (log, move |progress| sink.lock().unwrap().push(progress))
}

// ---------------------------------------------------------------- uploads

#[tokio::test]
async fn uploads_a_file_in_cloudflare_sized_chunks_with_metadata() {
    let server = TusServer::start().await;
    let client = client_for(server.address).build().unwrap();
    let source = data(2 * MIN_CHUNK_SIZE as usize + 12_345);
    let (_dir, path) = temp_file(&source, "holiday.mp4");

    let video = client
        .upload(path.as_path())
        .require_signed_urls(true)
        .allowed_origins(["example.com", "*.example.org"])
        .thumbnail_timestamp_pct(0.25)
        .watermark("wm-uid")
        .scheduled_deletion(Timestamp::parse("2030-01-01T00:00:00Z").unwrap())
        .expiry(Timestamp::parse("2030-01-01T00:30:00Z").unwrap())
        .max_duration_seconds(600)
        .metadata("customkey", "custom value")
        .metadata_flag("customflag")
        .creator("creator-7")
        .chunk_size(MIN_CHUNK_SIZE)
        .send()
        .await
        .unwrap();

    assert_eq!(video.uid, "video0");
    assert_eq!(
        video.upload_url,
        format!("http://{}/tus/video0", server.address)
    );
    assert_eq!(video.size, source.len() as u64);
    let stored = server.stored("video0").await;
    assert_eq!(stored.length, source.len() as u64);
    assert!(stored.data == source, "stored bytes differ from the source");
    assert_eq!(stored.creator.as_deref(), Some("creator-7"));
    let metadata = metadata_pairs(stored.metadata.as_deref().unwrap());
    let expected: HashMap<String, Option<String>> = [
        ("name", Some("holiday.mp4")),
        ("requiresignedurls", None),
        ("allowedorigins", Some("example.com,*.example.org")),
        ("thumbnailtimestamppct", Some("0.25")),
        ("watermark", Some("wm-uid")),
        ("scheduleddeletion", Some("2030-01-01T00:00:00Z")),
        ("expiry", Some("2030-01-01T00:30:00Z")),
        ("maxdurationseconds", Some("600")),
        ("customkey", Some("custom value")),
        ("customflag", None),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value.map(str::to_owned)))
    .collect();
    assert_eq!(metadata, expected);

    let mib5 = MIN_CHUNK_SIZE;
    assert_eq!(server.patch_offsets(), vec![0, mib5, 2 * mib5]);
    for seen in server.seen() {
        assert_eq!(seen.header("tus-resumable"), Some("1.0.0"), "{seen:?}");
        assert_eq!(seen.header("authorization"), Some("Bearer tus-test-token"));
        if seen.method == Method::PATCH {
            assert_eq!(
                seen.header("content-length")
                    .unwrap()
                    .parse::<usize>()
                    .unwrap(),
                seen.body_len
            );
            assert_eq!(seen.status, StatusCode::NO_CONTENT);
        }
    }
    let create = &server.seen()[0];
    assert_eq!(create.method, Method::POST);
    assert_eq!(create.path, format!("/client/v4/accounts/{ACCOUNT}/stream"));
    assert_eq!(create.query, None);
    assert!(
        server.seen()[1..]
            .iter()
            .all(|seen| seen.path == "/tus/video0")
    );
    assert_eq!(
        create.header("upload-length"),
        Some(source.len().to_string().as_str())
    );
    assert_eq!(server.count(Method::HEAD), 0);
}

/// How the cut test hands over its bytes.
#[derive(Clone, Copy, Debug)]
enum SourceKind {
    Bytes,
    Path,
    /// A plain reader: it cannot go back, so every chunk is kept for resending.
    Reader,
    /// A seekable reader that counts its seeks: resent bytes are read again.
    Seekable,
}

/// Uploads 600 kB through a proxy that cuts each of the first three connections after
/// ~100 kB from the client: inside the second chunk on the first connection, and inside
/// the chunk being resumed on the next two. Returns how often the source was sought.
async fn upload_through_three_cuts(kind: SourceKind) -> usize {
    let server = TusServer::start().await;
    let proxy = CuttingProxy::start(server.address, vec![100_000, 100_000, 100_000]).await;
    let client = client_for(proxy.address).build().unwrap();
    let source = data(600_000);
    let (log, on_progress) = progress_log();
    let (_dir, path) = temp_file(&source, "flaky.bin");
    let seeks = Arc::new(AtomicUsize::new(0));
    let upload_source = match kind {
        SourceKind::Bytes => UploadSource::bytes(source.clone()),
        SourceKind::Path => UploadSource::path(&path),
        SourceKind::Reader => UploadSource::reader(std::io::Cursor::new(source.clone()), 600_000),
        SourceKind::Seekable => UploadSource::seekable_reader(
            CountingSeeks {
                inner: std::io::Cursor::new(source.clone()),
                seeks: seeks.clone(),
            },
            600_000,
        ),
    };

    let video = client
        .upload(upload_source)
        .name("flaky")
        .chunk_size_unchecked(64 * 1024)
        .on_progress(on_progress)
        .send()
        .await
        .unwrap();

    assert_eq!(proxy.cuts.load(Ordering::SeqCst), 3, "{kind:?}: three cuts");
    let stored = server.stored(&video.uid).await;
    assert!(
        stored.data == source,
        "{kind:?}: stored bytes differ from the source"
    );
    assert_eq!(server.shared.conflicts.load(Ordering::SeqCst), 0);
    assert!(server.shared.broken_bodies.load(Ordering::SeqCst) >= 3);
    assert_eq!(
        server.count(Method::HEAD),
        3,
        "{kind:?}: one HEAD after each cut"
    );
    // Each PATCH after a HEAD starts where the server said, inside a chunk.
    let offsets = server.patch_offsets();
    assert!(
        offsets
            .iter()
            .filter(|offset| *offset % (64 * 1024) != 0)
            .count()
            >= 3,
        "{kind:?}: {offsets:?}"
    );
    let log = log.lock().unwrap();
    assert_eq!(
        log.first(),
        Some(&Progress {
            sent: 0,
            total: 600_000
        })
    );
    assert_eq!(
        log.last(),
        Some(&Progress {
            sent: 600_000,
            total: 600_000
        })
    );
    seeks.load(Ordering::SeqCst)
}

#[tokio::test]
async fn resumes_after_the_connection_drops_mid_chunk_several_times() {
    for kind in [SourceKind::Bytes, SourceKind::Path, SourceKind::Reader] {
        upload_through_three_cuts(kind).await;
    }
    // One seek to learn where the reader starts, then one back to the server's offset
    // after each cut: the resent bytes were read again, not kept.
    assert_eq!(upload_through_three_cuts(SourceKind::Seekable).await, 4);
}

/// A seekable reader that counts the seeks made on it.
struct CountingSeeks {
    inner: std::io::Cursor<Vec<u8>>,
    seeks: Arc<AtomicUsize>,
}

impl tokio::io::AsyncRead for CountingSeeks {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncSeek for CountingSeeks {
    fn start_seek(
        mut self: std::pin::Pin<&mut Self>,
        position: std::io::SeekFrom,
    ) -> std::io::Result<()> {
        self.seeks.fetch_add(1, Ordering::SeqCst);
        std::pin::Pin::new(&mut self.inner).start_seek(position)
    }

    fn poll_complete(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<u64>> {
        std::pin::Pin::new(&mut self.inner).poll_complete(cx)
    }
}

#[tokio::test]
async fn resumes_after_5xx_and_timeouts() {
    // A kept chunk is resent from memory; a file's bytes are read again.
    for kind in [SourceKind::Reader, SourceKind::Path] {
        let server = TusServer::start().await;
        let client = client_for(server.address).build().unwrap();
        let source = data(300_000);
        let (_dir, path) = temp_file(&source, "v.bin");
        // First PATCH: 503 after 10 000 bytes stored. Second: stalls past the timeout.
        // Third: 500 with nothing stored.
        server.fault(Fault::Status {
            status: 503,
            keep: 10_000,
        });
        server.fault(Fault::Stall(Duration::from_millis(800)));
        server.fault(Fault::Status {
            status: 500,
            keep: 0,
        });
        let upload_source = match kind {
            SourceKind::Path => UploadSource::path(&path),
            _ => UploadSource::reader(std::io::Cursor::new(source.clone()), 300_000),
        };

        let video = client
            .upload(upload_source)
            .chunk_size_unchecked(128 * 1024)
            .chunk_timeout(Duration::from_millis(300))
            .send()
            .await
            .unwrap();

        let stored = server.stored(&video.uid).await;
        assert!(
            stored.data == source,
            "{kind:?}: stored bytes differ from the source"
        );
        // One HEAD per fault (more only if a healthy PATCH was slower than the timeout).
        assert!(server.count(Method::HEAD) >= 3, "{kind:?}");
        assert_eq!(server.patch_offsets()[..2], [0, 10_000], "{kind:?}");
        assert_eq!(
            server.shared.conflicts.load(Ordering::SeqCst),
            0,
            "{kind:?}"
        );
    }
}

#[tokio::test]
async fn gives_up_after_max_attempts_without_progress() {
    let server = TusServer::start().await;
    let client = client_for(server.address).build().unwrap();
    for _ in 0..10 {
        server.fault(Fault::Status {
            status: 500,
            keep: 0,
        });
    }
    let error = client
        .upload(UploadSource::bytes(data(1000)))
        .chunk_size_unchecked(400)
        .max_attempts(3)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error.status(),
        Some(StatusCode::INTERNAL_SERVER_ERROR),
        "{error}"
    );
    assert_eq!(server.count(Method::PATCH), 3);
    assert_eq!(server.count(Method::HEAD), 2);
}

#[tokio::test]
async fn client_errors_are_not_resumed() {
    let server = TusServer::start().await;
    let client = client_for(server.address).build().unwrap();
    server.fault(Fault::Status {
        status: 403,
        keep: 0,
    });
    let error = client
        .upload(UploadSource::bytes(data(1000)))
        .chunk_size_unchecked(400)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::FORBIDDEN), "{error}");
    assert_eq!(server.count(Method::PATCH), 1);
    assert_eq!(server.count(Method::HEAD), 0);
}

/// Upload errors are the runtime's: the request id from `cf-ray` and the predicates of
/// every other call, for the tus requests and the direct POST alike.
#[tokio::test]
async fn upload_errors_carry_the_request_id_and_predicates() {
    let server = TusServer::start().await;
    let client = client_for(server.address).build().unwrap();
    server.fault(Fault::Status {
        status: 429,
        keep: 0,
    });
    let error = client
        .upload(UploadSource::bytes(data(1000)))
        .chunk_size_unchecked(400)
        .max_attempts(1)
        .send()
        .await
        .unwrap_err();
    assert!(error.is_rate_limited() && error.is_retryable(), "{error:?}");
    assert_eq!(error.request_id(), Some(RAY));
    assert_eq!(error.api_error().unwrap().operation(), "tus_upload_chunk");

    let gone = format!("http://{}/tus/nope", server.address);
    let error = client
        .resume_upload(gone, UploadSource::bytes(data(10)))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
    assert_eq!(error.request_id(), Some(RAY));
    assert_eq!(error.api_error().unwrap().operation(), "tus_upload_offset");
    // 404 is not resumed: one `HEAD`.
    assert_eq!(server.count(Method::HEAD), 1);

    let end_user = Client::builder().no_auth().build().unwrap();
    let nowhere = format!("http://{}/nowhere", server.address);
    let error = end_user
        .upload_to_direct_url(nowhere, UploadSource::bytes(data(10)))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_not_found(), "{error:?}");
    assert_eq!(error.request_id(), Some(RAY));
    assert_eq!(error.api_error().unwrap().operation(), "direct_upload_post");
}

#[tokio::test]
async fn resumes_an_upload_url_from_an_earlier_process() {
    let server = TusServer::start().await;
    let source = data(250_000);
    // The "earlier process": gives up at the first failure, with 70 000 bytes stored.
    server.fault(Fault::Status {
        status: 500,
        keep: 70_000,
    });
    let first = client_for(server.address).build().unwrap();
    let error = first
        .upload(UploadSource::bytes(source.clone()))
        .chunk_size_unchecked(100_000)
        .max_attempts(1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::INTERNAL_SERVER_ERROR));
    let upload_url = format!("http://{}/tus/video0", server.address);

    // A new process, with a new client, from the file.
    let (_dir, path) = temp_file(&source, "video.bin");
    let second = client_for(server.address).build().unwrap();
    let (sender, receiver) = tokio::sync::watch::channel(Progress::default());
    let file = tokio::fs::File::open(&path).await.unwrap();
    let video = second
        .resume_upload(upload_url.clone(), file)
        .chunk_size_unchecked(100_000)
        .progress_channel(sender)
        .send()
        .await
        .unwrap();

    assert_eq!(video.uid, "video0");
    assert_eq!(video.upload_url, upload_url);
    assert_eq!(server.stored("video0").await.data, source);
    assert_eq!(server.patch_offsets(), vec![0, 70_000, 170_000]);
    assert_eq!(server.count(Method::POST), 1, "resuming creates nothing");
    assert_eq!(
        *receiver.borrow(),
        Progress {
            sent: 250_000,
            total: 250_000
        }
    );

    // A source of another length is refused before any byte is sent.
    let error = second
        .resume_upload(upload_url, UploadSource::bytes(data(10)))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidRequest { .. }), "{error:?}");
}

#[tokio::test]
async fn direct_creator_tus_upload_needs_no_token() {
    let server = TusServer::start().await;
    let api = client_for(server.address).build().unwrap();
    let source = data(5000);
    let created = api
        .tus_upload_url(source.len() as u64)
        .name("by a creator")
        .creator("creator-1")
        .max_duration_seconds(60)
        .send()
        .await
        .unwrap();
    assert_eq!(created.uid, "video0");
    let create = &server.seen()[0];
    assert_eq!(create.query.as_deref(), Some("direct_user=true"));
    assert_eq!(
        create.header("authorization"),
        Some("Bearer tus-test-token")
    );

    let end_user = Client::builder().no_auth().build().unwrap();
    end_user
        .resume_upload(created.upload_url, source.clone())
        .chunk_size_unchecked(2048)
        .send()
        .await
        .unwrap();
    let stored = server.stored("video0").await;
    assert_eq!(stored.data, source);
    let metadata = metadata_pairs(stored.metadata.as_deref().unwrap());
    assert_eq!(metadata["name"].as_deref(), Some("by a creator"));
    for seen in &server.seen()[1..] {
        assert_eq!(seen.header("authorization"), None, "{seen:?}");
    }
}

#[tokio::test]
async fn direct_post_upload_streams_one_multipart_file() {
    let server = TusServer::start().await;
    let api = client_for(server.address).build().unwrap();
    let direct = api.videos().direct_upload(3600).send().await.unwrap();
    let source = data(700_000);
    let (_dir, path) = temp_file(&source, "clip.mp4");
    let (log, on_progress) = progress_log();

    let end_user = Client::builder().no_auth().build().unwrap();
    end_user
        .upload_to_direct_url(direct.upload_url.unwrap(), path.as_path())
        .on_progress(on_progress)
        .send()
        .await
        .unwrap();

    let post = server.seen().pop().unwrap();
    assert_eq!(post.header("authorization"), None);
    let content_type = post.header("content-type").unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap();
    let body = server.stored(&direct.uid.unwrap()).await.data;
    assert_eq!(
        post.header("content-length")
            .unwrap()
            .parse::<usize>()
            .unwrap(),
        body.len()
    );
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"clip.mp4\"\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    assert!(
        body.starts_with(head.as_bytes()),
        "{:?}",
        String::from_utf8_lossy(&body[..200])
    );
    assert!(body.ends_with(tail.as_bytes()));
    assert!(body[head.len()..body.len() - tail.len()] == source[..]);
    let log = log.lock().unwrap();
    assert_eq!(
        log.last(),
        Some(&Progress {
            sent: 700_000,
            total: 700_000
        })
    );
    assert!(log.windows(2).all(|pair| pair[0].sent <= pair[1].sent));
}

#[tokio::test]
async fn invalid_settings_fail_before_any_request() {
    let server = TusServer::start().await;
    let client = client_for(server.address).build().unwrap();
    let attempts = [
        client
            .upload(vec![1, 2, 3])
            .chunk_size(MIN_CHUNK_SIZE - 256 * 1024),
        client.upload(vec![1, 2, 3]).chunk_size(MIN_CHUNK_SIZE + 1),
        client.upload(vec![1, 2, 3]).chunk_size_unchecked(0),
        client.upload(vec![1, 2, 3]).max_attempts(0),
        client.upload(vec![1, 2, 3]).thumbnail_timestamp_pct(2.0),
        client.resume_upload("ftp://example.com/x", vec![1, 2, 3]),
    ];
    for upload in attempts {
        let error = upload.send().await.unwrap_err();
        assert!(matches!(error, Error::InvalidRequest { .. }), "{error:?}");
    }
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn a_source_shorter_than_its_length_is_an_io_error() {
    let server = TusServer::start().await;
    let client = client_for(server.address).build().unwrap();
    for source in [
        UploadSource::reader(std::io::Cursor::new(vec![7; 10]), 20),
        UploadSource::seekable_reader(std::io::Cursor::new(vec![7; 10]), 20),
    ] {
        let error = client
            .upload(source)
            .chunk_size_unchecked(8)
            .send()
            .await
            .unwrap_err();
        match error {
            Error::Io(error) => assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof),
            other => panic!("expected an I/O error, got {other:?}"),
        }
    }
    let missing = client.upload("/no/such/file.mp4").send().await.unwrap_err();
    assert!(matches!(missing, Error::Io(_)), "{missing:?}");
}

#[tokio::test]
async fn an_open_file_uploads_from_its_position_and_empty_uploads_finish_at_once() {
    use tokio::io::AsyncSeekExt;
    let server = TusServer::start().await;
    let client = client_for(server.address).build().unwrap();
    let source = data(5000);
    let (_dir, path) = temp_file(&source, "v.bin");
    let mut file = tokio::fs::File::open(&path).await.unwrap();
    file.seek(std::io::SeekFrom::Start(1000)).await.unwrap();
    let video = client
        .upload(file)
        .chunk_size_unchecked(1500)
        .send()
        .await
        .unwrap();
    assert_eq!(video.size, 4000);
    assert_eq!(server.stored(&video.uid).await.data, source[1000..]);

    let empty = client.upload(Vec::new()).send().await.unwrap();
    assert_eq!(empty.size, 0);
    assert_eq!(server.count(Method::PATCH), 3);
}

// ---------------------------------------------------------------- the examples

#[tokio::test]
async fn upload_example_runs_against_the_local_server() {
    let _entry_point: fn() -> Result<(), Box<dyn std::error::Error>> = upload_example::main;
    let server = TusServer::start().await;
    let client = client_for(server.address).build().unwrap();
    let source = data(MIN_CHUNK_SIZE as usize + 1000);
    let (_dir, path) = temp_file(&source, "example.mp4");
    let video = upload_example::run(&client, &path, MIN_CHUNK_SIZE)
        .await
        .unwrap();
    assert!(server.stored(&video.uid).await.data == source);
    assert_eq!(server.patch_offsets(), vec![0, MIN_CHUNK_SIZE]);
}

#[tokio::test]
async fn direct_creator_example_runs_against_the_local_server() {
    let _entry_point: fn() -> Result<(), Box<dyn std::error::Error>> = direct_example::main;
    let server = TusServer::start().await;
    let api = client_for(server.address).build().unwrap();
    let end_user = Client::builder().no_auth().build().unwrap();
    let source = data(3000);
    let (_dir, path) = temp_file(&source, "creator.mp4");
    let (basic, tus) = direct_example::run(&api, &end_user, &path).await.unwrap();
    let posted = server.stored(&basic).await.data;
    assert!(posted.windows(source.len()).any(|window| window == source));
    assert_eq!(server.stored(&tus).await.data, source);
}
