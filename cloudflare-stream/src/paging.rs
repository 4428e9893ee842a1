//! Auto-pagination of the video list.
//!
//! `GET /stream` returns at most `limit` videos (default and maximum 1000) and has no page
//! token: the way on is a time cursor. This module walks it: after each page the next request
//! asks for videos created before the last one (after it, with `asc(true)`), until a page
//! comes back short, the envelope's `range` says nothing remains, or a page brings nothing new.

use std::collections::HashSet;

use client_runtime::paging::{Page, paginate};

use futures_util::Stream;

use crate::Error;
use crate::models::Video;
use crate::operations::VideosList;

/// The list's documented page size when `limit` is not set.
const DEFAULT_PAGE_SIZE: i64 = 1000;

impl<'a> VideosList<'a> {
    /// Every video matching the filters, fetched page by page as the stream is polled.
    ///
    /// Filters set on the builder (`creator`, `status`, `after`, `before`, ...) apply to every
    /// page; `limit` is the page size. Pages are cut by creation time: with the default
    /// (newest first) each next page sets `before` to the creation time of the last video
    /// seen, with `asc(true)` it sets `after`. Videos sharing the boundary timestamp are
    /// de-duplicated by uid, so a video never appears twice. (Creation times carry
    /// sub-second precision, so two videos rarely share one; if the API treats the cursor as
    /// exclusive, such twins split across a page boundary cannot be recovered by any client.)
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// # async fn run(client: &cloudflare_stream::Client) -> Result<(), cloudflare_stream::Error> {
    /// let mut videos = std::pin::pin!(client.videos().list().creator("abc").into_stream());
    /// while let Some(video) = videos.try_next().await? {
    ///     println!("{:?}", video.uid);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// The stream yields the first error of any page request and then ends.
    pub fn into_stream(self) -> impl Stream<Item = Result<Video, Error>> + 'a {
        let first = Cursor {
            ascending: self.asc.unwrap_or(false),
            page_size: self.limit.unwrap_or(DEFAULT_PAGE_SIZE),
            request: self,
            boundary: None,
            boundary_uids: HashSet::new(),
        };
        paginate(first, |cursor| async move {
            let envelope = cursor
                .request
                .clone()
                .send_with_response()
                .await?
                .into_body();
            Ok(cursor.page(envelope.result.unwrap_or_default(), envelope.range))
        })
    }
}

/// Where the walk stands: the request for the next page and what the last page ended at.
struct Cursor<'a> {
    ascending: bool,
    page_size: i64,
    /// The request for this page.
    request: VideosList<'a>,
    /// Creation time of the last video yielded so far.
    boundary: Option<client_runtime::Timestamp>,
    /// Uids of the videos created exactly at `boundary`, to drop repeats.
    boundary_uids: HashSet<String>,
}

impl<'a> Cursor<'a> {
    /// The page this cursor's request brought back: the videos not seen before, and the
    /// cursor of the next page unless this one was the last.
    fn page(mut self, videos: Vec<Video>, range: Option<i64>) -> Page<Video, Cursor<'a>> {
        let page_len = i64::try_from(videos.len()).unwrap_or(i64::MAX);
        let mut fresh = Vec::with_capacity(videos.len());
        for video in videos {
            if let (Some(created), Some(uid)) = (&video.created, &video.uid) {
                if self.boundary.as_ref() == Some(created) {
                    if !self.boundary_uids.insert(uid.clone()) {
                        continue;
                    }
                } else {
                    self.boundary = Some(created.clone());
                    self.boundary_uids.clear();
                    self.boundary_uids.insert(uid.clone());
                }
            }
            fresh.push(video);
        }
        let exhausted = fresh.is_empty() || page_len < self.page_size || range == Some(0);
        let next = match self.boundary.clone() {
            Some(boundary) if !exhausted => {
                let request = if self.ascending {
                    self.request.after(boundary)
                } else {
                    self.request.before(boundary)
                };
                Some(Cursor { request, ..self })
            }
            _ => None,
        };
        Page::new(fresh, next)
    }
}
