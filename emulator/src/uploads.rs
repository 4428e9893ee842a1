//! Uploads as on Cloudflare: a tus 1.0.0 server (creation through the API, then `PATCH`
//! with offsets, `HEAD` to resume, `DELETE` to terminate), one-time direct creator upload
//! URLs taking one `multipart/form-data` `POST`, and server-side copies from a URL; plus
//! the local playback endpoint. Bodies are streamed: at most one chunk is held in memory
//! before it is committed, and a chunk cut off mid-way is discarded whole, so the offset
//! a client resumes from always ends a complete chunk.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use futures_util::StreamExt as _;

use crate::Shared;
use crate::generated::models::{
    DirectUploadCreateEnvelope, DirectUploadCreateResponse, VideoState,
};
use crate::generated::server as api;
use crate::generated::server::Failure;
use crate::store::UploadRecord;
use crate::util::{self, bad_request, codes, failure, found, not_found};
use crate::video::{self, apply_upload_options, looks_like_video, processing, set_meta_name};

/// The tus version spoken.
const TUS_VERSION: &str = "1.0.0";
/// Cloudflare's smallest chunk (except the last).
pub const MIN_CHUNK: u64 = 5 * 1024 * 1024;
/// Chunks (except the last) are a multiple of this.
pub const CHUNK_MULTIPLE: u64 = 256 * 1024;
/// How many leading bytes are kept to recognize a video container.
const SNIFF: usize = 512;

/// The upload and playback routes.
pub fn routes(shared: Arc<Shared>) -> axum::Router {
    use axum::routing::{get, post};
    axum::Router::new()
        .route(
            "/tus/{uid}",
            axum::routing::patch(tus_patch)
                .head(tus_head)
                .delete(tus_delete)
                .options(tus_options),
        )
        .route("/upload/{uid}", post(direct_post))
        .route("/playback/{id}/{*rest}", get(playback))
        .with_state(shared)
}

/// tus 1.0 version negotiation, before routing (so before the generated router's own
/// validation of the header, which would answer 400): a tus request (`PATCH`, `HEAD`,
/// `DELETE` of an upload; a creation `POST` that names a version) whose `Tus-Resumable` is
/// missing or not `1.0.0` gets `412 Precondition Failed` with the `Tus-Version` the server
/// speaks, as the protocol requires. `OPTIONS` is exempt (it is how a client asks).
pub async fn tus_negotiation(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path();
    let method = request.method();
    let version = request.headers().get("tus-resumable");
    let upload_request =
        path.starts_with("/tus/") && [Method::PATCH, Method::HEAD, Method::DELETE].contains(method);
    let creation = *method == Method::POST && path.ends_with("/stream") && version.is_some();
    if (upload_request || creation) && version.and_then(|v| v.to_str().ok()) != Some(TUS_VERSION) {
        let mut r = tus_failure(
            StatusCode::PRECONDITION_FAILED,
            format!("this server speaks tus {TUS_VERSION}: send Tus-Resumable: {TUS_VERSION}"),
        );
        r.headers_mut()
            .insert("tus-version", HeaderValue::from_static(TUS_VERSION));
        return r;
    }
    next.run(request).await
}

fn tus_headers(response: &mut Response) {
    response
        .headers_mut()
        .insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
}

fn status_only(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    tus_headers(&mut response);
    response
}

fn tus_failure(status: StatusCode, message: impl Into<String>) -> Response {
    let mut response = failure(status, codes::BAD_REQUEST, message).into_response();
    tus_headers(&mut response);
    response
}

/// Decoded `Upload-Metadata` (`key base64,key base64`; a key alone is a flag).
fn metadata(text: &str) -> Result<Vec<(String, String)>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once(' ').unwrap_or((pair, ""));
            let value = base64::engine::general_purpose::STANDARD
                .decode(value.trim())
                .map_err(|_| format!("Upload-Metadata: the value of `{key}` is not base64"))?;
            let value = String::from_utf8(value)
                .map_err(|_| format!("Upload-Metadata: the value of `{key}` is not UTF-8"))?;
            Ok((key.to_ascii_lowercase(), value))
        })
        .collect()
}

/// `POST /accounts/{account_id}/stream` with `Tus-Resumable`: a new upload.
pub fn create_tus(
    shared: &Shared,
    origin: &str,
    r: api::VideosInitiateTusUploadRequest,
) -> Result<api::VideosInitiateTusUploadResponse, Failure> {
    let Ok(length) = u64::try_from(r.upload_length) else {
        return Err(bad_request("Upload-Length must be a non-negative integer"));
    };
    if length > shared.config.max_upload_bytes {
        return Err(failure(
            StatusCode::PAYLOAD_TOO_LARGE,
            codes::BAD_REQUEST,
            format!(
                "Upload-Length {length} exceeds the maximum upload size of {} bytes",
                shared.config.max_upload_bytes
            ),
        ));
    }
    let meta = match r.upload_metadata.as_deref().map(metadata).transpose() {
        Ok(m) => m.unwrap_or_default(),
        Err(e) => return Err(bad_request(e)),
    };
    let mut record = video::new_record(
        shared,
        UploadRecord::Tus { length, offset: 0 },
        r.upload_creator,
    );
    record.video.size = Some(r.upload_length);
    for (key, value) in meta {
        match key.as_str() {
            "name" | "filename" => set_meta_name(&mut record.video, value),
            "requiresignedurls" => {
                record.video.require_signed_urls = Some(value.is_empty() || value == "true")
            }
            "allowedorigins" => {
                record.video.allowed_origins =
                    Some(value.split(',').map(|s| s.trim().to_owned()).collect())
            }
            "thumbnailtimestamppct" => match value.parse::<f64>() {
                Ok(pct) if (0.0..=1.0).contains(&pct) => {
                    record.video.thumbnail_timestamp_pct = Some(pct)
                }
                _ => {
                    return Err(bad_request(
                        "Upload-Metadata: thumbnailtimestamppct must be 0..1",
                    ));
                }
            },
            "watermark" => {
                record.video.watermark =
                    Some(found(video::watermark(shared, Some(&value)), "watermark")?)
            }
            "scheduleddeletion" => {
                record.video.scheduled_deletion =
                    cloudflare_stream::Nullable::Value(util::ts(value))
            }
            "maxdurationseconds" => match value.parse::<i64>() {
                Ok(s) if s > 0 => record.video.max_duration_seconds = Some(s),
                _ => {
                    return Err(bad_request(
                        "Upload-Metadata: maxdurationseconds must be a positive integer",
                    ));
                }
            },
            _ => {}
        }
    }
    if length == 0 {
        // Nothing to send: complete now, without the empty PATCH tus would otherwise need.
        record.uploaded_ms = Some(shared.clock.now_ms());
    }
    let uid = record.video.uid.clone().unwrap_or_default();
    shared
        .try_update(|s| s.videos.insert(uid.clone(), record))
        .map_err(crate::util::storage_failure)?;
    shared.tick.notify_one();
    Ok(api::VideosInitiateTusUploadResponse::Created {
        location: format!("{origin}/tus/{uid}"),
        stream_media_id: uid,
        tus_resumable: TUS_VERSION.to_owned(),
    })
}

/// `POST .../stream/direct_upload`: a one-time upload URL for an end user.
pub fn create_direct(
    shared: &Shared,
    origin: &str,
    r: api::VideosDirectUploadRequest,
) -> Result<api::VideosDirectUploadResponse, Failure> {
    let b = r.body;
    if !(1..=21_600).contains(&b.max_duration_seconds) {
        return Err(bad_request(
            "maxDurationSeconds must be between 1 and 21600",
        ));
    }
    let now = shared.clock.now();
    let expiry = match &b.expiry {
        Some(text) => match util::parse_rfc3339(text.as_str()) {
            Some(t)
                if t > now + Duration::from_secs(2 * 60)
                    && t < now + Duration::from_secs(6 * 3600) =>
            {
                t
            }
            Some(_) => {
                return Err(bad_request(
                    "expiry must be between 2 minutes and 6 hours from now",
                ));
            }
            None => return Err(bad_request("expiry is not an RFC 3339 date-time")),
        },
        None => now + shared.config.direct_upload_expiry,
    };
    let expires_ms = u64::try_from(
        expiry
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis(),
    )
    .unwrap_or(u64::MAX);
    let mut record = video::new_record(
        shared,
        UploadRecord::Direct {
            expires_ms,
            used: false,
        },
        b.creator.or(r.upload_creator),
    );
    let v = &mut record.video;
    v.max_duration_seconds = Some(b.max_duration_seconds);
    v.upload_expiry = Some(util::ts(util::rfc3339(expiry)));
    apply_upload_options(
        v,
        b.meta,
        b.allowed_origins,
        b.require_signed_urls,
        b.thumbnail_timestamp_pct,
        cloudflare_stream::Nullable::Absent,
        None,
    );
    // Unlike the other ways a video is made, a direct upload keeps an explicit `null`.
    v.scheduled_deletion = b.scheduled_deletion.clone();
    if let Some(uid) = b.watermark.and_then(|w| w.uid) {
        v.watermark = Some(found(video::watermark(shared, Some(&uid)), "watermark")?);
    }
    let uid = v.uid.clone().unwrap_or_default();
    let answer = DirectUploadCreateResponse {
        extra: Default::default(),
        uid: Some(uid.clone()),
        upload_url: Some(format!("{origin}/upload/{uid}")),
        scheduled_deletion: b.scheduled_deletion,
        watermark: v.watermark.clone(),
    };
    shared
        .try_update(|s| s.videos.insert(uid, record))
        .map_err(crate::util::storage_failure)?;
    let envelope: DirectUploadCreateEnvelope = client_runtime::Envelope::new(answer);
    Ok(envelope.into())
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<Result<u64, ()>> {
    headers.get(name).map(|v| {
        v.to_str()
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .ok_or(())
    })
}

/// Checks Cloudflare's chunk rule for a chunk of `n` bytes at `offset` of `length`.
/// The largest chunk Cloudflare accepts in one `PATCH` (209,715,200 bytes, 200 MiB).
const MAX_CHUNK: u64 = 209_715_200;

fn chunk_rule(offset: u64, n: u64, length: u64) -> Result<(), ChunkError> {
    // Header values are the client's: `offset + n` is checked, never trusted to fit.
    let end = offset.checked_add(n).filter(|&end| end <= length);
    let Some(end) = end else {
        return Err(ChunkError::TooLarge(format!(
            "the chunk of {n} bytes at offset {offset} ends beyond Upload-Length {length}"
        )));
    };
    if n > MAX_CHUNK {
        return Err(ChunkError::TooLarge(format!(
            "a chunk may be at most {MAX_CHUNK} bytes (200 MiB); got {n}"
        )));
    }
    let last = end == length;
    if !last && n < MIN_CHUNK {
        return Err(ChunkError::Invalid(format!(
            "chunks except the last must be at least 5242880 bytes (5 MiB); got {n}"
        )));
    }
    if !last && !n.is_multiple_of(CHUNK_MULTIPLE) {
        return Err(ChunkError::Invalid(format!(
            "chunks except the last must be a multiple of 262144 bytes (256 KiB); got {n}"
        )));
    }
    Ok(())
}

/// Why a chunk is refused.
#[derive(Debug)]
enum ChunkError {
    /// Past `Upload-Length` or above the largest chunk: 413.
    TooLarge(String),
    /// Against the size rules: 400.
    Invalid(String),
}

impl ChunkError {
    fn into_response(self) -> Response {
        match self {
            ChunkError::TooLarge(m) => tus_failure(StatusCode::PAYLOAD_TOO_LARGE, m),
            ChunkError::Invalid(m) => tus_failure(StatusCode::BAD_REQUEST, m),
        }
    }
}

async fn tus_patch(
    State(shared): State<Arc<Shared>>,
    Path(uid): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    // `Tus-Resumable` was checked before routing (`tus_negotiation`).
    if headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        != Some("application/offset+octet-stream")
    {
        return tus_failure(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/offset+octet-stream",
        );
    }
    let claimed = match header_u64(&headers, "upload-offset") {
        Some(Ok(o)) => o,
        _ => return tus_failure(StatusCode::BAD_REQUEST, "Upload-Offset is required"),
    };
    // One writer per upload: a second PATCH while one is in flight (a client retrying a
    // chunk whose first attempt has not finished) would write the same offset twice.
    let Some(_writer) = shared.claim_writer(&uid) else {
        return tus_failure(
            StatusCode::CONFLICT,
            "another PATCH of this upload is in progress; retry with HEAD to learn the offset",
        );
    };
    let current = shared.read(|s| match s.videos.get(&uid).map(|r| &r.upload) {
        Some(UploadRecord::Tus { length, offset }) => Some((*length, *offset)),
        _ => None,
    });
    let Some((length, offset)) = current else {
        return tus_failure(StatusCode::NOT_FOUND, "Not Found: upload");
    };
    if claimed != offset {
        return tus_failure(
            StatusCode::CONFLICT,
            format!("Upload-Offset {claimed} does not match the upload's offset {offset}"),
        );
    }
    if let Some(Ok(n)) = header_u64(&headers, header::CONTENT_LENGTH.as_str())
        && let Err(e) = chunk_rule(offset, n, length)
    {
        return e.into_response();
    }
    // Read the chunk: the pieces are kept until the chunk is complete, then committed.
    let mut pieces = Vec::new();
    let mut received = 0u64;
    let mut stream = body.into_data_stream();
    while let Some(piece) = stream.next().await {
        let Ok(piece) = piece else {
            // The connection broke: the partial chunk is discarded.
            return tus_failure(StatusCode::BAD_REQUEST, "the chunk was cut off");
        };
        received += piece.len() as u64;
        // Stop reading as soon as the chunk is too long, before it is held.
        if let Err(ChunkError::TooLarge(m)) = chunk_rule(offset, received, length) {
            return tus_failure(StatusCode::PAYLOAD_TOO_LARGE, m);
        }
        pieces.push(piece);
    }
    if let Err(e) = chunk_rule(offset, received, length) {
        return e.into_response();
    }
    let head: Option<Vec<u8>> = (offset == 0).then(|| {
        let mut head = Vec::with_capacity(SNIFF);
        for p in &pieces {
            let take = (SNIFF - head.len()).min(p.len());
            head.extend_from_slice(&p[..take]);
            if head.len() == SNIFF {
                break;
            }
        }
        head
    });
    if let Err(e) = shared.blobs.append(&uid, pieces).await {
        return failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            codes::INTERNAL,
            e.to_string(),
        )
        .into_response();
    }
    let now_ms = shared.clock.now_ms();
    let committed = shared.try_update(|s| {
        let record = s.videos.get_mut(&uid)?;
        let UploadRecord::Tus { length, offset } = &mut record.upload else {
            return None;
        };
        *offset += received;
        let done = *offset == *length;
        let new_offset = *offset;
        if let Some(head) = &head {
            record.is_video = looks_like_video(head);
        }
        if done {
            record.uploaded_ms = Some(now_ms);
        }
        Some(new_offset)
    });
    shared.tick.notify_one();
    // Not committed: the appended bytes lie past the committed offset and are truncated
    // away on the next load; the client resumes from HEAD's offset.
    let committed = match committed {
        Ok(committed) => committed,
        Err(e) => return internal(e),
    };
    match committed {
        Some(new_offset) => {
            let mut r = status_only(StatusCode::NO_CONTENT);
            r.headers_mut()
                .insert("upload-offset", HeaderValue::from(new_offset));
            r
        }
        None => tus_failure(StatusCode::NOT_FOUND, "Not Found: upload"),
    }
}

async fn tus_head(State(shared): State<Arc<Shared>>, Path(uid): Path<String>) -> Response {
    let current = shared.read(|s| match s.videos.get(&uid).map(|r| &r.upload) {
        Some(UploadRecord::Tus { length, offset }) => Some((*length, *offset)),
        _ => None,
    });
    match current {
        Some((length, offset)) => {
            let mut r = status_only(StatusCode::OK);
            let h = r.headers_mut();
            h.insert("upload-offset", HeaderValue::from(offset));
            h.insert("upload-length", HeaderValue::from(length));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        None => status_only(StatusCode::NOT_FOUND),
    }
}

async fn tus_delete(State(shared): State<Arc<Shared>>, Path(uid): Path<String>) -> Response {
    // Not while a PATCH writes: its blob would outlive the record.
    let Some(_writer) = shared.claim_writer(&uid) else {
        return tus_failure(
            StatusCode::CONFLICT,
            "a PATCH of this upload is in progress",
        );
    };
    let removed = shared.try_update(|s| {
        let pending = matches!(
            s.videos.get(&uid).map(|r| (&r.upload, r.uploaded_ms)),
            Some((UploadRecord::Tus { .. }, None))
        );
        pending.then(|| s.videos.remove(&uid)).flatten()
    });
    let removed = match removed {
        Ok(removed) => removed,
        Err(e) => return internal(e),
    };
    match removed {
        Some(_) => {
            shared.blobs.remove(&uid).await;
            status_only(StatusCode::NO_CONTENT)
        }
        None => status_only(StatusCode::NOT_FOUND),
    }
}

async fn tus_options(State(shared): State<Arc<Shared>>) -> Response {
    let mut r = status_only(StatusCode::NO_CONTENT);
    let h = r.headers_mut();
    h.insert("tus-version", HeaderValue::from_static(TUS_VERSION));
    h.insert(
        "tus-extension",
        HeaderValue::from_static("creation,termination"),
    );
    h.insert(
        "tus-max-size",
        HeaderValue::from(shared.config.max_upload_bytes),
    );
    r
}

/// The one `multipart/form-data` `POST` of a direct creator upload, streamed to storage.
async fn direct_post(
    State(shared): State<Arc<Shared>>,
    Path(uid): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let now_ms = shared.clock.now_ms();
    let slot = shared.read(|s| match s.videos.get(&uid).map(|r| &r.upload) {
        Some(UploadRecord::Direct { expires_ms, used }) => Some((*expires_ms, *used)),
        _ => None,
    });
    match slot {
        None => return not_found("upload URL").into_response(),
        Some((_, true)) => {
            return bad_request("this upload URL has already been used").into_response();
        }
        Some((expires, _)) if now_ms > expires => {
            return bad_request("this upload URL has expired").into_response();
        }
        Some(_) => {}
    }
    // One writer per URL: a second POST while the first streams gets 409, and one after it
    // completed the "already used" 400 above.
    let Some(_writer) = shared.claim_writer(&uid) else {
        return failure(
            StatusCode::CONFLICT,
            codes::BAD_REQUEST,
            "an upload to this URL is already in progress".to_owned(),
        )
        .into_response();
    };
    // Checked again under the claim: the first POST may have finished meanwhile.
    if shared.read(|s| {
        matches!(
            s.videos.get(&uid).map(|r| &r.upload),
            Some(UploadRecord::Direct { used: true, .. })
        )
    }) {
        return bad_request("this upload URL has already been used").into_response();
    }
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| multer::parse_boundary(v).ok());
    let Some(boundary) = boundary else {
        return bad_request("expected a multipart/form-data body").into_response();
    };
    let mut form = multer::Multipart::new(body.into_data_stream(), boundary);
    let mut total = 0u64;
    let mut head = Vec::new();
    // The file is written whole or not at all (a partial file, renamed into place only
    // when complete): a cut-off POST leaves nothing a retry would append to.
    let mut blob = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return discard(blob, format!("malformed multipart body: {e}")).await,
        };
        if field.name() != Some("file") {
            continue;
        }
        let writer = match shared.blobs.begin_whole(&uid).await {
            Ok(writer) => blob.insert(writer),
            Err(e) => return internal(e),
        };
        let mut field = field;
        loop {
            match field.chunk().await {
                Ok(Some(piece)) => {
                    total += piece.len() as u64;
                    if total > shared.config.max_upload_bytes {
                        return discard(
                            blob,
                            "the file exceeds the maximum upload size".to_owned(),
                        )
                        .await;
                    }
                    if head.len() < SNIFF {
                        let take = (SNIFF - head.len()).min(piece.len());
                        head.extend_from_slice(&piece[..take]);
                    }
                    if let Err(e) = writer.push(piece).await {
                        return discard(blob, e.to_string()).await;
                    }
                }
                Ok(None) => break,
                Err(e) => return discard(blob, format!("the upload was cut off: {e}")).await,
            }
        }
        break;
    }
    let Some(blob) = blob else {
        return bad_request("the form has no `file` field").into_response();
    };
    if let Err(e) = blob.finish().await {
        return internal(e);
    }
    let now_ms = shared.clock.now_ms();
    let stored = shared.try_update(|s| {
        if let Some(record) = s.videos.get_mut(&uid) {
            record.upload = UploadRecord::Direct {
                expires_ms: 0,
                used: true,
            };
            record.uploaded_ms = Some(now_ms);
            record.is_video = looks_like_video(&head);
            record.video.size = Some(i64::try_from(total).unwrap_or(i64::MAX));
        }
    });
    if let Err(e) = stored {
        return internal(e);
    }
    shared.tick.notify_one();
    StatusCode::OK.into_response()
}

/// [`crate::util::storage_failure`] as the response of a raw (non-API) route.
fn internal(e: std::io::Error) -> Response {
    crate::util::storage_failure(e).into_response()
}

/// Drops what a failed direct upload wrote; the URL stays usable.
async fn discard(blob: Option<crate::store::WholeBlob<'_>>, message: String) -> Response {
    if let Some(blob) = blob {
        blob.abort().await;
    }
    bad_request(message).into_response()
}

/// Downloads `url` into the video `uid` (a copy), then processing starts.
pub async fn fetch(shared: Arc<Shared>, uid: String, url: String) {
    let mut head = Vec::new();
    let mut ok = false;
    let mut total = 0u64;
    if let Ok(response) = shared.http.get(&url).send().await
        && response.status().is_success()
    {
        ok = true;
        let mut stream = response.bytes_stream();
        while let Some(piece) = stream.next().await {
            let Ok(piece) = piece else {
                ok = false;
                break;
            };
            total += piece.len() as u64;
            if head.len() < SNIFF {
                let take = (SNIFF - head.len()).min(piece.len());
                head.extend_from_slice(&piece[..take]);
            }
            if shared.blobs.append(&uid, vec![piece]).await.is_err() {
                ok = false;
                break;
            }
        }
    }
    let now_ms = shared.clock.now_ms();
    shared.update(|s| {
        if let Some(record) = s.videos.get_mut(&uid) {
            record.upload = UploadRecord::Server { done: true };
            record.uploaded_ms = Some(now_ms);
            record.is_video = ok && looks_like_video(&head);
            record.video.size = Some(i64::try_from(total).unwrap_or(i64::MAX));
        }
    });
    shared.tick.notify_one();
}

fn text(status: StatusCode, message: &str) -> Response {
    (status, message.to_owned()).into_response()
}

/// `GET /playback/{uid or token}/...`: `video` (the bytes), `manifest/video.m3u8`,
/// `manifest/video.mpd`, `watch`, `downloads/default.mp4`; signed URLs enforced.
async fn playback(
    State(shared): State<Arc<Shared>>,
    Path((id, rest)): Path<(String, String)>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let now = shared.clock.now();
    let now_ms = shared.clock.now_ms();
    let step = u64::try_from(shared.config.processing_step.as_millis()).unwrap_or(u64::MAX);
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let viewer = crate::playback::Viewer {
        ip: peer.ip(),
        country: header("cf-ipcountry"),
        origin: header("origin").or_else(|| header("referer")),
    };
    let checked = shared.read(|s| {
        let grant = crate::playback::authorize(s, &id, now, viewer)?;
        let record = s
            .videos
            .get(&grant.uid)
            .ok_or(crate::playback::Denied::NotFound)?;
        if processing(record, now_ms, step).0 != VideoState::Ready {
            return Err(crate::playback::Denied::NotReady);
        }
        let download_ready = record
            .downloads
            .get("default")
            .is_some_and(|&c| now_ms.saturating_sub(c) >= step);
        Ok((grant, download_ready))
    });
    let (grant, download_ready) = match checked {
        Ok(g) => g,
        Err(crate::playback::Denied::NotFound) => return text(StatusCode::NOT_FOUND, "not found"),
        Err(crate::playback::Denied::NotReady) => {
            return text(StatusCode::NOT_FOUND, "the video is not ready to stream");
        }
        Err(crate::playback::Denied::SignatureRequired) => {
            return text(
                StatusCode::UNAUTHORIZED,
                "this video requires a signed URL token",
            );
        }
        Err(crate::playback::Denied::Invalid(why)) => return text(StatusCode::FORBIDDEN, &why),
    };
    let uid = grant.uid;
    match rest.as_str() {
        "video" => stream_video(&shared, &uid, "video/mp4").await,
        "downloads/default.mp4" => {
            if !download_ready {
                return text(StatusCode::NOT_FOUND, "no ready download");
            }
            if !grant.downloadable && id != uid {
                return text(StatusCode::FORBIDDEN, "the token does not allow downloads");
            }
            stream_video(&shared, &uid, "video/mp4").await
        }
        "manifest/video.m3u8" => (
            [(header::CONTENT_TYPE, "application/vnd.apple.mpegurl")],
            format!(
                "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\n{}/playback/{id}/video\n#EXT-X-ENDLIST\n",
                shared.base_url
            ),
        )
            .into_response(),
        "manifest/video.mpd" => (
            [(header::CONTENT_TYPE, "application/dash+xml")],
            format!(
                "<?xml version=\"1.0\"?><MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" type=\"static\" mediaPresentationDuration=\"PT10S\"><Period><AdaptationSet><Representation id=\"1\" bandwidth=\"1000000\"><BaseURL>{}/playback/{id}/video</BaseURL></Representation></AdaptationSet></Period></MPD>",
                shared.base_url
            ),
        )
            .into_response(),
        "watch" => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            format!(
                "<!doctype html><title>{uid}</title><video controls src=\"{}/playback/{id}/video\"></video>",
                shared.base_url
            ),
        )
            .into_response(),
        _ => text(StatusCode::NOT_FOUND, "not found"),
    }
}

async fn stream_video(shared: &Shared, uid: &str, content_type: &'static str) -> Response {
    match shared.blobs.stream(uid).await {
        Ok(stream) => (
            [(header::CONTENT_TYPE, content_type)],
            Body::from_stream(stream),
        )
            .into_response(),
        Err(e) => failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            codes::INTERNAL,
            e.to_string(),
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_rules() {
        let len = 20 * 1024 * 1024;
        assert!(chunk_rule(0, MIN_CHUNK, len).is_ok());
        assert!(chunk_rule(0, MIN_CHUNK - 1, len).is_err());
        assert!(chunk_rule(0, MIN_CHUNK + 1, len).is_err());
        assert!(
            chunk_rule(len - 10, 10, len).is_ok(),
            "the last chunk may be small"
        );
        assert!(chunk_rule(len - 10, 11, len).is_err());
        // Sums that overflow are refused, never computed.
        assert!(matches!(
            chunk_rule(MIN_CHUNK, u64::MAX, len),
            Err(ChunkError::TooLarge(_))
        ));
        assert!(matches!(
            chunk_rule(u64::MAX, 1, u64::MAX),
            Err(ChunkError::TooLarge(_))
        ));
        let huge = 1 << 40;
        assert!(chunk_rule(0, MAX_CHUNK, huge).is_ok());
        assert!(matches!(
            chunk_rule(0, MAX_CHUNK + CHUNK_MULTIPLE, huge),
            Err(ChunkError::TooLarge(_))
        ));
    }

    #[test]
    fn upload_metadata() {
        let m = metadata("name dmlkZW8ubXA0,requiresignedurls").unwrap_or_default();
        assert_eq!(
            m,
            [
                ("name".to_owned(), "video.mp4".to_owned()),
                ("requiresignedurls".to_owned(), String::new())
            ]
        );
        assert!(metadata("name !!!").is_err());
    }
}
