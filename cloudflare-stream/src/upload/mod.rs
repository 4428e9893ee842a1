//! Video uploads: resumable [tus 1.0.0](https://tus.io/protocols/resumable-upload) uploads
//! with automatic resume, and the two kinds of direct creator uploads.
//!
//! # Resumable uploads
//!
//! [`Client::upload`] sends a file (or any [`AsyncRead`](tokio::io::AsyncRead) of known
//! length) with the tus protocol: it creates the upload at
//! `POST /accounts/{account_id}/stream`, then sends the bytes with `PATCH` requests of
//! [`chunk_size`](Upload::chunk_size) bytes. When a chunk fails part way (the connection
//! drops, the request times out, the server answers 5xx, 408, 409 or 429), it asks the
//! server how much it kept with `HEAD`, waits with the client's backoff, and goes on from
//! there. A file is streamed through a few pieces of 256 KiB and read again where a
//! chunk must be resent, so memory stays small whatever the sizes of file and chunk; a
//! reader that cannot seek has its current chunk kept in memory instead.
//!
//! ```no_run
//! # async fn run() -> Result<(), cloudflare_stream::Error> {
//! let client = cloudflare_stream::Client::from_env()?;
//! let video = client
//!     .upload("lecture.mp4")
//!     .name("Lecture 1")
//!     .require_signed_urls(true)
//!     .on_progress(|p| eprintln!("{} / {} bytes", p.sent, p.total))
//!     .send()
//!     .await?;
//! println!("uploaded {} (tus URL {})", video.uid, video.upload_url);
//! # Ok(())
//! # }
//! ```
//!
//! An upload cut short for good (the process was stopped) can be finished later, by the
//! same or another process, from its upload URL: [`Client::resume_upload`].
//!
//! The `PATCH` and `HEAD` requests go to the upload URL (the `Location` the API answered,
//! usually on another host) with the client's credentials, as Cloudflare's own tus
//! examples send them; give [`Client::resume_upload`] only URLs that came from the API.
//!
//! # Direct creator uploads
//!
//! End users can upload without the API token, in one of two ways:
//!
//! - **Basic POST** (videos up to 200 MB): the server creates a one-time URL with
//!   `client.videos().direct_upload(max_duration_seconds)`; the end user's client, built
//!   with [`ClientBuilder::no_auth`](crate::ClientBuilder::no_auth), sends the file there
//!   with [`Client::upload_to_direct_url`].
//! - **tus** (any size, resumable): the server creates the upload with
//!   [`Client::tus_upload_url`] (`direct_user=true`) and hands the URL over; the end user's
//!   client sends the bytes with [`Client::resume_upload`].
//!
//! # Chunk sizes
//!
//! Cloudflare accepts chunks of at least 5 MiB that are a multiple of 256 KiB (the last
//! chunk excepted); [`Upload::chunk_size`] checks this rule. Other tus servers (and tests)
//! may take any size: [`Upload::chunk_size_unchecked`] skips the check.

mod direct;
mod metadata;
mod progress;
mod source;
mod tus;

pub use direct::DirectUrlUpload;
pub use progress::Progress;
pub use source::UploadSource;
pub use tus::{TusUploadUrl, Upload};

use client_runtime::__private::Request;

use crate::{Client, Error};

/// The tus protocol version Cloudflare speaks (the only one it accepts).
pub const TUS_VERSION: &str = "1.0.0";
/// The chunk size unless set: 50 MiB.
pub const DEFAULT_CHUNK_SIZE: u64 = 50 * 1024 * 1024;
/// The smallest chunk Cloudflare accepts (except for the last one): 5 MiB.
pub const MIN_CHUNK_SIZE: u64 = 5 * 1024 * 1024;
/// Every chunk but the last must be a multiple of this: 256 KiB.
pub const CHUNK_SIZE_MULTIPLE: u64 = 256 * 1024;
/// Attempts in a row without progress, unless set, before an upload gives up.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// A video whose bytes were uploaded (or, for [`Client::tus_upload_url`], whose upload was
/// created).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadedVideo {
    /// The video's uid (the `stream-media-id` header, or else the last segment of the
    /// upload URL).
    pub uid: String,
    /// The tus upload URL: what [`Client::resume_upload`] takes.
    pub upload_url: String,
    /// The upload's size in bytes.
    pub size: u64,
}

impl Client {
    /// Uploads a video with the tus protocol, resuming after failures; set options on the
    /// returned builder, then `.send().await`.
    ///
    /// `source` is a path (`&str`, `String`, `&Path`, `PathBuf`), a [`tokio::fs::File`],
    /// bytes in memory, [`UploadSource::seekable_reader`] for any `AsyncRead + AsyncSeek`,
    /// or [`UploadSource::reader`] for any `AsyncRead` of known length. The upload is
    /// created under the client's `account_id` unless [`Upload::account_id`] says
    /// otherwise.
    pub fn upload(&self, source: impl Into<UploadSource>) -> Upload {
        Upload::create(self.clone(), source.into())
    }

    /// Sends the rest of an upload that already exists at `upload_url` (the
    /// [`UploadedVideo::upload_url`] of an earlier, interrupted upload, or a one-time URL
    /// from [`Client::tus_upload_url`]): asks the server for its offset with `HEAD`, skips
    /// that many bytes of `source`, and sends the remainder.
    ///
    /// `source` must hold the same bytes as the original upload from the start. The
    /// metadata setters of the builder have no effect here: the upload already has its
    /// metadata. One-time URLs need no credentials: use a client built with
    /// [`ClientBuilder::no_auth`](crate::ClientBuilder::no_auth).
    pub fn resume_upload(
        &self,
        upload_url: impl Into<String>,
        source: impl Into<UploadSource>,
    ) -> Upload {
        Upload::resume(self.clone(), upload_url.into(), source.into())
    }

    /// Creates a tus upload of `upload_length` bytes without sending any, for an end user
    /// to send with [`Client::resume_upload`] and no API token (`direct_user=true` unless
    /// [`TusUploadUrl::direct_user`] says otherwise).
    pub fn tus_upload_url(&self, upload_length: u64) -> TusUploadUrl {
        TusUploadUrl::new(self.clone(), upload_length)
    }

    /// Sends a video to a one-time upload URL (the `uploadURL` of
    /// `client.videos().direct_upload(...)`) as one `multipart/form-data` `POST` with the
    /// file in the field `file`, streamed from `source`. Not resumable: for videos over
    /// 200 MB or unreliable networks, use [`Client::tus_upload_url`] instead. The URL
    /// carries its own authorization: use a client built with
    /// [`ClientBuilder::no_auth`](crate::ClientBuilder::no_auth).
    pub fn upload_to_direct_url(
        &self,
        upload_url: impl Into<String>,
        source: impl Into<UploadSource>,
    ) -> DirectUrlUpload {
        DirectUrlUpload::new(self.clone(), upload_url.into(), source.into())
    }
}

/// Sends one upload request through the runtime's request path, so its errors are the
/// runtime's (with the request id and the same predicates as any call), in one attempt:
/// the tus engine resumes by itself, and a streamed body cannot be sent twice.
pub(crate) async fn send_once(
    client: &Client,
    mut request: Request,
) -> Result<(reqwest::StatusCode, reqwest::header::HeaderMap), Error> {
    request.single_attempt();
    let (status, headers, ()) = request.send_empty(client.runtime()).await?.into_parts();
    Ok((status, headers))
}
