//! The tus 1.0.0 client: create, then `PATCH` chunk by chunk, resuming with `HEAD`.

use std::io;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use client_runtime::__private::Request;
use client_runtime::RequestOptionsBuilder as _;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use url::Url;

use super::metadata::{Metadata, metadata_setters};
use super::progress::{Reporter, progress_setters};
use super::source::{Opened, UploadSource};
use super::{
    CHUNK_SIZE_MULTIPLE, DEFAULT_CHUNK_SIZE, DEFAULT_MAX_ATTEMPTS, MIN_CHUNK_SIZE, TUS_VERSION,
    UploadedVideo, send_once,
};
use crate::{ApiError, Client, DecodeError, Error};
use client_runtime::MAX_RETRY_AFTER;

/// The operation names that errors of the tus requests carry.
const CREATE: &str = "videos_initiate_tus_upload";
const PATCH: &str = "tus_upload_chunk";
const HEAD: &str = "tus_upload_offset";

/// The piece size in which a chunk is handed to the connection when progress is reported.
const PIECE: usize = 256 * 1024;

const TUS_RESUMABLE: &str = "tus-resumable";
const UPLOAD_OFFSET: &str = "upload-offset";
const UPLOAD_LENGTH: &str = "upload-length";
const STREAM_MEDIA_ID: &str = "stream-media-id";
const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";

/// Where the bytes go: a new upload, or one that exists.
#[derive(Debug)]
enum Target {
    Create,
    Resume(String),
}

/// A resumable tus upload being configured; created by [`Client::upload`] or
/// [`Client::resume_upload`]. Set options, then `.send().await`.
#[derive(Debug)]
#[must_use = "an upload does nothing until `.send().await`"]
pub struct Upload {
    client: Client,
    source: UploadSource,
    target: Target,
    account_id: Option<String>,
    metadata: Metadata,
    chunk_size: u64,
    check_chunk_size: bool,
    max_attempts: u32,
    chunk_timeout: Option<Duration>,
    progress: Reporter,
}

impl Upload {
    pub(crate) fn create(client: Client, source: UploadSource) -> Self {
        Self::new(client, source, Target::Create)
    }

    pub(crate) fn resume(client: Client, url: String, source: UploadSource) -> Self {
        Self::new(client, source, Target::Resume(url))
    }

    fn new(client: Client, source: UploadSource, target: Target) -> Self {
        Self {
            client,
            source,
            target,
            account_id: None,
            metadata: Metadata::default(),
            chunk_size: DEFAULT_CHUNK_SIZE,
            check_chunk_size: true,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            chunk_timeout: None,
            progress: Reporter::default(),
        }
    }

    /// The account to upload to, instead of the client's `account_id`.
    pub fn account_id(mut self, account_id: impl Into<String>) -> Self {
        self.account_id = Some(account_id.into());
        self
    }

    metadata_setters!();

    /// The size of each `PATCH` (50 MiB unless set). Cloudflare's rule is checked when the
    /// upload is sent: at least 5 MiB ([`MIN_CHUNK_SIZE`]) and a multiple of 256 KiB
    /// ([`CHUNK_SIZE_MULTIPLE`]); the last chunk is whatever remains. Memory use does not
    /// depend on it, except for an [`UploadSource::reader`], whose current chunk is kept.
    pub fn chunk_size(mut self, bytes: u64) -> Self {
        self.chunk_size = bytes;
        self.check_chunk_size = true;
        self
    }

    /// Like [`Upload::chunk_size`], without Cloudflare's rule: any size of at least one
    /// byte. For other tus servers, and for tests that want many small chunks; Cloudflare
    /// refuses such chunks.
    pub fn chunk_size_unchecked(mut self, bytes: u64) -> Self {
        self.chunk_size = bytes;
        self.check_chunk_size = false;
        self
    }

    /// How many attempts in a row may fail without the server's offset moving before
    /// the upload gives up with the last error (5 unless set; 1 never resumes). Any
    /// progress resets the count, so a long upload over a flaky network keeps going as
    /// long as it advances. Waits between attempts follow the client's backoff
    /// ([`ClientBuilder::retry_backoff`](crate::ClientBuilder::retry_backoff)) or the
    /// server's `Retry-After`.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// The time allowed for one `PATCH`, from sending the chunk to the answer (the
    /// client's timeout unless set). A chunk that times out is resumed, not restarted.
    pub fn chunk_timeout(mut self, timeout: Duration) -> Self {
        self.chunk_timeout = Some(timeout);
        self
    }

    progress_setters!();

    /// Runs the upload to the end.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] for a chunk size outside Cloudflare's rule, zero attempts
    /// or invalid metadata; [`Error::Io`] when the source cannot be read or ends early;
    /// [`Error::Api`] when the server refuses the upload (4xx other than 408, 409, 423
    /// and 429, which are resumed), with the request id and the predicates
    /// ([`Error::is_not_found`], ...) of any call's error; [`Error::Decode`] when an answer breaks the tus
    /// protocol (no `Location`, a missing or impossible `Upload-Offset`); otherwise the
    /// last error once [`max_attempts`](Self::max_attempts) attempts in a row failed.
    pub async fn send(mut self) -> Result<UploadedVideo, Error> {
        self.check()?;
        let file_name = self.source.file_name();
        let mut source = self.source.open().await?;
        let total = source.length();
        let mut session = Session {
            client: self.client,
            url: None,
            total,
            chunk_timeout: self.chunk_timeout,
            max_attempts: self.max_attempts,
            failures: 0,
            progress: self.progress,
        };
        let (url, uid, offset) = match self.target {
            Target::Create => {
                if self.metadata.name.is_none() {
                    self.metadata.name = file_name;
                }
                let (url, uid) = create(
                    &session.client,
                    self.account_id.as_deref(),
                    total,
                    &self.metadata,
                    false,
                )
                .await?;
                (url, uid, 0)
            }
            Target::Resume(url) => {
                let url = parse_upload_url(&url)?;
                session.url = Some(url.clone());
                let (offset, uid) = session.initial_offset().await?;
                let uid = uid.or_else(|| uid_from_url(&url)).unwrap_or_default();
                (url, uid, offset)
            }
        };
        session.url = Some(url.clone());
        source.seek_to(offset).await?;
        session.progress.report(offset, total);
        session
            .run(&mut source, offset, to_usize(self.chunk_size)?)
            .await?;
        Ok(UploadedVideo {
            uid,
            upload_url: url.into(),
            size: total,
        })
    }

    fn check(&self) -> Result<(), Error> {
        if self.check_chunk_size {
            check_chunk_size(self.chunk_size)?;
        } else if self.chunk_size == 0 {
            return Err(Error::invalid_request(
                "the chunk size must be at least 1 byte",
            ));
        }
        if self.max_attempts == 0 {
            return Err(Error::invalid_request("max_attempts must be at least 1"));
        }
        self.metadata.check().map_err(Error::invalid_request)
    }
}

/// Cloudflare's rule for every chunk but the last.
fn check_chunk_size(size: u64) -> Result<(), Error> {
    if size < MIN_CHUNK_SIZE || !size.is_multiple_of(CHUNK_SIZE_MULTIPLE) {
        return Err(Error::invalid_request(format!(
            "chunk size {size} breaks Cloudflare's rule: at least {MIN_CHUNK_SIZE} bytes (5 MiB) \
             and a multiple of {CHUNK_SIZE_MULTIPLE} (256 KiB); use chunk_size_unchecked for \
             other tus servers"
        )));
    }
    Ok(())
}

fn to_usize(size: u64) -> Result<usize, Error> {
    usize::try_from(size)
        .map_err(|_| Error::invalid_request(format!("chunk size {size} does not fit in memory")))
}

/// Creates a tus upload of `total` bytes through the generated operation; returns the
/// upload URL and the video uid.
async fn create(
    client: &Client,
    account_id: Option<&str>,
    total: u64,
    metadata: &Metadata,
    direct_user: bool,
) -> Result<(Url, String), Error> {
    let length = i64::try_from(total)
        .map_err(|_| Error::invalid_request(format!("upload length {total} is too large")))?;
    let mut operation = client.videos().initiate_tus_upload(length);
    if let Some(account_id) = account_id {
        operation = operation.account_id(account_id);
    }
    if direct_user {
        operation = operation.direct_user(true);
    }
    if let Some(header) = metadata.header() {
        operation = operation.upload_metadata(header);
    }
    if let Some(creator) = &metadata.creator {
        operation = operation.upload_creator(creator.as_str());
    }
    let response = operation.send_with_response().await?;
    let status = response.status();
    let location = response
        .header("Location")
        .filter(|location| !location.trim().is_empty())
        .ok_or_else(|| protocol(CREATE, status, "Location", "the response has no upload URL"))?;
    // A relative `Location` (allowed by tus) is relative to the API's origin.
    let url = client
        .runtime()
        .base_url()
        .join(location.trim())
        .map_err(|error| {
            protocol(
                CREATE,
                status,
                "Location",
                format!("invalid upload URL `{location}`: {error}"),
            )
        })?;
    let uid = response
        .header(STREAM_MEDIA_ID)
        .map(str::to_owned)
        .or_else(|| uid_from_url(&url))
        .unwrap_or_default();
    Ok((url, uid))
}

fn parse_upload_url(text: &str) -> Result<Url, Error> {
    let url = Url::parse(text.trim())
        .map_err(|error| Error::invalid_request(format!("invalid upload URL `{text}`: {error}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::invalid_request(format!(
            "the upload URL `{text}` is not http(s)"
        )));
    }
    Ok(url)
}

/// The last non-empty path segment: Cloudflare's upload URLs end with the video uid.
fn uid_from_url(url: &Url) -> Option<String> {
    url.path_segments()?
        .rev()
        .find(|segment| !segment.is_empty())
        .map(str::to_owned)
}

/// A broken protocol promise, reported as a decode error naming the header.
fn protocol(
    operation: &'static str,
    status: StatusCode,
    header: &str,
    message: impl Into<String>,
) -> Error {
    Error::Decode(Box::new(DecodeError::new(
        operation,
        status,
        header,
        message,
        String::new(),
    )))
}

/// Whether resuming may get past this failure: what the runtime retries, plus 423
/// Locked (a tus server still holding the upload for a request that broke off).
fn resumable(error: &Error) -> bool {
    error.is_retryable() || error.status() == Some(StatusCode::LOCKED)
}

/// The state of an upload in flight.
struct Session {
    client: Client,
    url: Option<Url>,
    total: u64,
    chunk_timeout: Option<Duration>,
    max_attempts: u32,
    /// Failed attempts since the offset last moved.
    failures: u32,
    progress: Reporter,
}

impl Session {
    fn url(&self) -> Url {
        self.url
            .clone()
            .expect("the upload URL is known before any request")
    }

    /// Sends everything from `offset` on, `chunk_size` bytes at a time.
    async fn run(
        &mut self,
        source: &mut Opened,
        mut offset: u64,
        chunk_size: usize,
    ) -> Result<(), Error> {
        // A source that can be read again streams each chunk through a few reused pieces
        // and reads again to resend. One that cannot keeps each chunk until the server has
        // it, in one buffer for all chunks: once a chunk is confirmed nothing else holds
        // it, and `reserve` takes its allocation back for the next (a fresh allocation
        // per chunk costs page faults on every chunk). Measured over loopback, keeping
        // costs about a fifth of the throughput: every chunk is written to memory that is
        // not in cache, where reused pieces stay in cache.
        let keep = !source.can_reread();
        let mut buffer = BytesMut::new();
        while offset < self.total {
            let length = (self.total - offset).min(chunk_size as u64) as usize;
            if keep {
                buffer.reserve(length);
            }
            let (kept, first) = self
                .stream_chunk(source, offset, length, &mut buffer, keep)
                .await?;
            offset = self
                .send_chunk(source, offset, length, kept, first, &mut buffer)
                .await?;
        }
        Ok(())
    }

    /// Reads the `length` bytes at `start` from the source while sending them: each piece
    /// goes on the wire as soon as it is read, so reading and sending overlap. With `keep`
    /// the pieces are kept (they share `buffer`'s one allocation, nothing is copied) and
    /// returned, so the whole chunk is in hand if the transfer has to be resumed; memory
    /// stays at one chunk. Without, `buffer` is reused piece by piece.
    /// Returns the kept chunk and the outcome of this first `PATCH`.
    async fn stream_chunk(
        &self,
        source: &mut Opened,
        start: u64,
        length: usize,
        buffer: &mut BytesMut,
        keep: bool,
    ) -> Result<(Option<Chunk>, Result<(StatusCode, HeaderMap), Error>), Error> {
        let mut kept = keep.then(|| Vec::with_capacity(length.div_ceil(PIECE)));
        let (pieces, body) = futures_channel::mpsc::channel::<Result<Bytes, io::Error>>(2);
        let request = self.patch_request(start, length as u64, reqwest::Body::wrap_stream(body));
        let feed = async {
            // Owned here, so the body ends as soon as reading stops, error included (a
            // sender left alive would keep the request waiting for bytes until it times out).
            let mut pieces = pieces;
            // Once the request is over (sent, or failed midway) a kept chunk is still read
            // to its end: a resumed transfer needs it.
            let mut sending = true;
            let mut read = 0;
            while read < length && (sending || kept.is_some()) {
                let piece = source
                    .read_piece(buffer, (length - read).min(PIECE))
                    .await?;
                read += piece.len();
                if let Some(kept) = &mut kept {
                    kept.push(piece.clone());
                }
                if sending {
                    sending = futures_util::SinkExt::send(&mut pieces, Ok(piece))
                        .await
                        .is_ok();
                    if sending {
                        self.progress.report(start + read as u64, self.total);
                    }
                }
            }
            pieces.close_channel();
            Ok::<(), io::Error>(())
        };
        let (outcome, fed) =
            futures_util::future::join(send_once(&self.client, request), feed).await;
        fed?;
        Ok((kept.map(|pieces| Chunk { pieces }), outcome))
    }

    /// Asks where an existing upload stands: its offset and, if the server says, the
    /// video uid. Retries like a chunk.
    async fn initial_offset(&mut self) -> Result<(u64, Option<String>), Error> {
        loop {
            match self.head().await {
                Ok((status, headers)) => {
                    let offset = header_u64(HEAD, status, &headers, UPLOAD_OFFSET)?;
                    if headers.contains_key(UPLOAD_LENGTH) {
                        let length = header_u64(HEAD, status, &headers, UPLOAD_LENGTH)?;
                        if length != self.total {
                            return Err(Error::invalid_request(format!(
                                "the source holds {} bytes but the upload was created for {length}",
                                self.total
                            )));
                        }
                    }
                    if offset > self.total {
                        return Err(protocol(
                            HEAD,
                            status,
                            "Upload-Offset",
                            format!(
                                "offset {offset} is past the end of the {}-byte source",
                                self.total
                            ),
                        ));
                    }
                    let uid = headers
                        .get(STREAM_MEDIA_ID)
                        .and_then(|value| value.to_str().ok())
                        .map(str::to_owned);
                    return Ok((offset, uid));
                }
                Err(error) => self.failed(error).await?,
            }
        }
    }

    /// Sends the `length` bytes at `start` until the server has all of them; returns the
    /// offset after them. `first` is the outcome of a `PATCH` of the whole chunk already
    /// made (by [`Self::stream_chunk`]). What must be resent comes from `kept`, or is read
    /// again from the source when nothing was kept.
    async fn send_chunk(
        &mut self,
        source: &mut Opened,
        start: u64,
        length: usize,
        kept: Option<Chunk>,
        first: Result<(StatusCode, HeaderMap), Error>,
        buffer: &mut BytesMut,
    ) -> Result<u64, Error> {
        let mut first = Some(first);
        let end = start + length as u64;
        let mut offset = start;
        let mut ask = false;
        while offset < end {
            let outcome = if ask {
                self.head().await.and_then(|(status, headers)| {
                    let reported = header_u64(HEAD, status, &headers, UPLOAD_OFFSET)?;
                    // The server may have kept any part of the chunk, but never loses
                    // what it confirmed, nor keeps more than was sent.
                    if (start..=end).contains(&reported) {
                        Ok(reported)
                    } else {
                        Err(protocol(
                            HEAD,
                            status,
                            "Upload-Offset",
                            format!(
                                "offset {reported} is outside the chunk being sent \
                                     ({start}..{end})"
                            ),
                        ))
                    }
                })
            } else {
                let answer = match first.take() {
                    Some(answer) => answer,
                    None => match &kept {
                        Some(chunk) => {
                            let rest = chunk.from(to_usize(offset - start)?);
                            self.patch(offset, rest).await
                        }
                        None => {
                            source.seek_to(offset).await?;
                            let rest = to_usize(end - offset)?;
                            let (_, outcome) = self
                                .stream_chunk(source, offset, rest, buffer, false)
                                .await?;
                            outcome
                        }
                    },
                };
                answer.and_then(|(status, headers)| {
                    let reported = header_u64(PATCH, status, &headers, UPLOAD_OFFSET)?;
                    if reported > offset && reported <= end {
                        Ok(reported)
                    } else {
                        Err(protocol(
                            PATCH,
                            status,
                            "Upload-Offset",
                            format!(
                                "offset {reported} after sending bytes {offset}..{end} \
                                 (expected more than {offset}, at most {end})"
                            ),
                        ))
                    }
                })
            };
            match outcome {
                Ok(reported) => {
                    if reported > offset {
                        self.failures = 0;
                    }
                    offset = reported;
                    ask = false;
                    self.progress.report(offset, self.total);
                }
                Err(error) => {
                    self.failed(error).await?;
                    ask = true;
                }
            }
        }
        Ok(offset)
    }

    /// Counts a failed attempt: waits before the next one, or gives the error back when
    /// it cannot be resumed or the attempts are used up.
    async fn failed(&mut self, error: Error) -> Result<(), Error> {
        self.failures += 1;
        if !resumable(&error) || self.failures >= self.max_attempts {
            return Err(error);
        }
        let delay = error
            .api_error()
            .and_then(ApiError::retry_after)
            .map(|delay| delay.min(MAX_RETRY_AFTER))
            .unwrap_or_else(|| self.client.runtime().retry_policy().backoff(self.failures));
        tracing::debug!(
            attempt = self.failures,
            delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            error = %error,
            "tus upload interrupted; asking the server for its offset",
        );
        tokio::time::sleep(delay).await;
        Ok(())
    }

    /// `PATCH` of `data` at `offset`.
    async fn patch(&self, offset: u64, data: Vec<Bytes>) -> Result<(StatusCode, HeaderMap), Error> {
        let length: u64 = data.iter().map(|piece| piece.len() as u64).sum();
        let body =
            reqwest::Body::wrap_stream(pieces(data, offset, self.total, self.progress.clone()));
        send_once(&self.client, self.patch_request(offset, length, body)).await
    }

    /// The `PATCH` of `length` bytes at `offset`, streamed from `body`, within the chunk
    /// timeout.
    fn patch_request(&self, offset: u64, length: u64, body: reqwest::Body) -> Request {
        let mut request = self.request(Method::PATCH, PATCH);
        request.header(UPLOAD_OFFSET, offset);
        request.stream(OFFSET_OCTET_STREAM, Some(length), body);
        if let Some(timeout) = self.chunk_timeout {
            // Whatever options the request has, with this timeout.
            let options = std::mem::take(request.options_mut()).with_timeout(timeout);
            request.options(options);
        }
        request
    }

    /// `HEAD` of the upload URL.
    async fn head(&self) -> Result<(StatusCode, HeaderMap), Error> {
        send_once(&self.client, self.request(Method::HEAD, HEAD)).await
    }

    /// A request to the upload URL with `Tus-Resumable`; the runtime adds the client's
    /// headers and header credentials.
    fn request(&self, method: Method, operation: &'static str) -> Request {
        let mut request = Request::new(method, operation);
        request.absolute_url(self.url());
        request.header(TUS_RESUMABLE, TUS_VERSION);
        request
    }
}

/// `data` as a body stream, reporting progress as each piece is handed over.
fn pieces(
    data: Vec<Bytes>,
    offset: u64,
    total: u64,
    progress: Reporter,
) -> impl futures_util::Stream<Item = Result<Bytes, io::Error>> + Send + 'static {
    let mut sent = offset;
    futures_util::stream::iter(data.into_iter().map(move |piece| {
        sent += piece.len() as u64;
        progress.report(sent, total);
        Ok(piece)
    }))
}

/// A chunk held for resending, as the pieces it was read and sent in.
struct Chunk {
    pieces: Vec<Bytes>,
}

impl Chunk {
    /// The chunk's bytes from `skip` on (what a resumed transfer still has to send).
    fn from(&self, mut skip: usize) -> Vec<Bytes> {
        let mut rest = Vec::with_capacity(self.pieces.len());
        for piece in &self.pieces {
            if skip >= piece.len() {
                skip -= piece.len();
            } else {
                rest.push(piece.slice(skip..));
                skip = 0;
            }
        }
        rest
    }
}

/// A byte count header of a tus answer (`Upload-Offset`, `Upload-Length`).
fn header_u64(
    operation: &'static str,
    status: StatusCode,
    headers: &HeaderMap,
    name: &str,
) -> Result<u64, Error> {
    let value = headers
        .get(name)
        .ok_or_else(|| protocol(operation, status, name, "the header is missing"))?;
    value
        .to_str()
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .ok_or_else(|| {
            let text = String::from_utf8_lossy(value.as_bytes());
            protocol(
                operation,
                status,
                name,
                format!("`{text}` is not a byte count"),
            )
        })
}

/// Creates a tus upload for someone else to send; from [`Client::tus_upload_url`]. Set
/// the video's settings, then `.send().await`.
#[derive(Debug)]
#[must_use = "nothing is created until `.send().await`"]
pub struct TusUploadUrl {
    client: Client,
    upload_length: u64,
    account_id: Option<String>,
    direct_user: bool,
    metadata: Metadata,
}

impl TusUploadUrl {
    pub(crate) fn new(client: Client, upload_length: u64) -> Self {
        Self {
            client,
            upload_length,
            account_id: None,
            direct_user: true,
            metadata: Metadata::default(),
        }
    }

    /// The account to create the upload in, instead of the client's `account_id`.
    pub fn account_id(mut self, account_id: impl Into<String>) -> Self {
        self.account_id = Some(account_id.into());
        self
    }

    /// Whether the URL is a one-time URL usable without the API token (`direct_user`;
    /// `true` unless set).
    pub fn direct_user(mut self, direct_user: bool) -> Self {
        self.direct_user = direct_user;
        self
    }

    metadata_setters!();

    /// Creates the upload and returns its URL and video uid (no bytes are sent).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] for invalid metadata; [`Error::Api`] when the API refuses;
    /// [`Error::Decode`] when the answer has no `Location`; transport and timeout errors.
    pub async fn send(self) -> Result<UploadedVideo, Error> {
        self.metadata.check().map_err(Error::invalid_request)?;
        let (url, uid) = create(
            &self.client,
            self.account_id.as_deref(),
            self.upload_length,
            &self.metadata,
            self.direct_user,
        )
        .await?;
        Ok(UploadedVideo {
            uid,
            upload_url: url.into(),
            size: self.upload_length,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_size_rule() {
        assert!(check_chunk_size(MIN_CHUNK_SIZE).is_ok());
        assert!(check_chunk_size(DEFAULT_CHUNK_SIZE).is_ok());
        assert!(check_chunk_size(MIN_CHUNK_SIZE - CHUNK_SIZE_MULTIPLE).is_err());
        assert!(check_chunk_size(MIN_CHUNK_SIZE + 1).is_err());
        assert!(check_chunk_size(0).is_err());
    }

    #[test]
    fn uid_is_the_last_segment() {
        let url = Url::parse("https://upload.example/tus/abc123?tusv2=true").unwrap();
        assert_eq!(uid_from_url(&url).as_deref(), Some("abc123"));
        let url = Url::parse("https://upload.example/tus/abc123/").unwrap();
        assert_eq!(uid_from_url(&url).as_deref(), Some("abc123"));
    }
}
