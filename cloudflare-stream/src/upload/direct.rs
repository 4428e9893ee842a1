//! Basic direct creator uploads: one `multipart/form-data` `POST` to a one-time URL.

use std::time::Duration;

use bytes::BytesMut;
use client_runtime::__private::Request;
use client_runtime::RequestOptionsBuilder as _;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use url::Url;

use super::progress::{Reporter, progress_setters};
use super::{UploadSource, send_once};
use crate::{Client, Error};

/// The operation name that errors of the upload carry.
const OPERATION: &str = "direct_upload_post";
/// How much of the source each read takes while streaming.
const PIECE: usize = 256 * 1024;

/// A video being sent to a one-time upload URL; created by
/// [`Client::upload_to_direct_url`]. Set options, then `.send().await`.
#[derive(Debug)]
#[must_use = "an upload does nothing until `.send().await`"]
pub struct DirectUrlUpload {
    client: Client,
    upload_url: String,
    source: UploadSource,
    file_name: Option<String>,
    timeout: Option<Duration>,
    progress: Reporter,
}

impl DirectUrlUpload {
    pub(crate) fn new(client: Client, upload_url: String, source: UploadSource) -> Self {
        Self {
            client,
            upload_url,
            source,
            file_name: None,
            timeout: None,
            progress: Reporter::default(),
        }
    }

    /// The file name sent with the part (for a path source, its file name unless set;
    /// otherwise `video`).
    pub fn file_name(mut self, file_name: impl Into<String>) -> Self {
        self.file_name = Some(file_name.into());
        self
    }

    /// The time allowed for the whole upload (the client's timeout unless set; raise it
    /// for large files on slow links).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    progress_setters!();

    /// Streams the file to the URL in one request. Not retried: the URL is single-use and
    /// the source is read once.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] for a URL that is not http(s); [`Error::Io`] when the
    /// source cannot be opened; [`Error::Api`] for a non-2xx answer (with the request id,
    /// and [`Error::is_not_found`] and the other predicates, as for any call);
    /// [`Error::Transport`] (including a source that fails or ends early while streaming)
    /// and [`Error::Timeout`].
    pub async fn send(self) -> Result<(), Error> {
        let url = Url::parse(self.upload_url.trim()).map_err(|error| {
            Error::invalid_request(format!("invalid upload URL `{}`: {error}", self.upload_url))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::invalid_request(format!(
                "the upload URL `{}` is not http(s)",
                self.upload_url
            )));
        }
        let file_name = self
            .file_name
            .or_else(|| self.source.file_name())
            .unwrap_or_else(|| "video".to_owned());
        let source = self.source.open().await?;
        let total = source.length();
        let progress = self.progress;
        progress.report(0, total);
        // One buffer for the whole stream: `read_piece` splits each piece off it and
        // takes the allocation back once the connection has let go of the pieces.
        let start = (source, 0_u64, BytesMut::new());
        let stream =
            futures_util::stream::try_unfold(start, move |(mut source, sent, mut buffer)| {
                let progress = progress.clone();
                async move {
                    if sent == total {
                        return Ok(None);
                    }
                    let piece = source.read_piece(&mut buffer, PIECE).await?;
                    let sent = sent + piece.len() as u64;
                    progress.report(sent, total);
                    Ok::<_, std::io::Error>(Some((piece, (source, sent, buffer))))
                }
            });
        let part = Part::stream_with_length(reqwest::Body::wrap_stream(stream), total)
            .file_name(file_name);
        let mut request = Request::new(Method::POST, OPERATION);
        request.absolute_url(url);
        request.stream_form(Form::new().part("file", part));
        if let Some(timeout) = self.timeout {
            // Whatever options the request has, with this timeout.
            let options = std::mem::take(request.options_mut()).with_timeout(timeout);
            request.options(options);
        }
        send_once(&self.client, request).await?;
        Ok(())
    }
}
