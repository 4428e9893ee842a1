//! The `videos` operations: [`VideosApi`] for [`Service`].

use std::time::Duration;

use super::{Service, answer, envelope};
use crate::Shared;
use crate::generated::models;
use crate::generated::models::*;
use crate::generated::server::{self as api, Failure, RequestContext, VideosApi};
use crate::store::UploadRecord;
use crate::util::{self, bad_request, internal, no_messages, not_found};
use crate::video::{self, apply_upload_options, meta_name, set_meta_name};

impl VideosApi for Service {
    async fn videos_list(
        &self,
        _ctx: RequestContext,
        r: api::VideosListRequest,
    ) -> Result<api::VideosListResponse, Failure> {
        let after = time_filter(&r.after.or(r.start), "start")?;
        let before = time_filter(&r.before.or(r.end), "end")?;
        let limit = r.limit.unwrap_or(1000).clamp(1, 1000);
        let limit = usize::try_from(limit).unwrap_or(1000);
        let now = self.shared.clock.now_ms();
        let step = self.step_ms();
        let ids = r.id.as_deref().map(list);
        let names = r.name.as_deref().map(list);
        let mut matched: Vec<(u64, Video)> = self.shared.read(|s| {
            s.videos
                .values()
                .filter(|rec| after.is_none_or(|a| rec.created_ms > a))
                .filter(|rec| before.is_none_or(|b| rec.created_ms < b))
                .map(|rec| (rec.created_ms, video::view(&self.shared, rec, now, step)))
                .filter(|(_, v)| r.creator.is_none() || v.creator == r.creator)
                .filter(|(_, v)| {
                    r.status.is_none()
                        || v.status.as_ref().and_then(|s| s.state.as_ref()) == r.status.as_ref()
                })
                .filter(|(_, v)| match &r.r#type {
                    Some(VideosListType::Live) => v.live_input.is_some(),
                    Some(VideosListType::Vod) => v.live_input.is_none(),
                    _ => true,
                })
                .filter(|(_, v)| r.live_input_id.is_none() || v.live_input == r.live_input_id)
                .filter(|(_, v)| {
                    ids.as_ref()
                        .is_none_or(|ids| ids.contains(&v.uid.as_deref().unwrap_or_default()))
                })
                .filter(|(_, v)| {
                    names.as_ref().is_none_or(|names| {
                        names.contains(&v.uid.as_deref().unwrap_or_default())
                            || meta_name(v).is_some_and(|n| names.contains(&n))
                    })
                })
                .filter(|(_, v)| {
                    r.search.as_deref().is_none_or(|q| {
                        meta_name(v).is_some_and(|n| n.to_lowercase().contains(&q.to_lowercase()))
                    })
                })
                .filter(|(_, v)| {
                    r.video_name
                        .as_deref()
                        .is_none_or(|q| meta_name(v) == Some(q))
                })
                .collect()
        });
        // Newest first unless `asc`; ties by uid so pages are stable.
        matched.sort_by(|a, b| (a.0, a.1.uid.as_deref()).cmp(&(b.0, b.1.uid.as_deref())));
        if r.asc != Some(true) {
            matched.reverse();
        }
        let total = matched.len();
        let page: Vec<Video> = matched.into_iter().take(limit).map(|(_, v)| v).collect();
        let remaining = total - page.len();
        let counts = r.include_counts == Some(true);
        Ok(VideoListEnvelope {
            extra: Default::default(),
            errors: no_messages(),
            messages: no_messages(),
            success: true,
            range: counts.then(|| i64::try_from(remaining).unwrap_or(i64::MAX)),
            total: counts.then(|| i64::try_from(total).unwrap_or(i64::MAX)),
            result: Some(page),
        }
        .into())
    }

    async fn videos_initiate_tus_upload(
        &self,
        ctx: RequestContext,
        r: api::VideosInitiateTusUploadRequest,
    ) -> Result<api::VideosInitiateTusUploadResponse, Failure> {
        crate::uploads::create_tus(&self.shared, &origin(&self.shared, &ctx), r)
    }

    async fn videos_get(
        &self,
        _ctx: RequestContext,
        r: api::VideosGetRequest,
    ) -> Result<api::VideosGetResponse, Failure> {
        answer(self.video(&r.identifier, |rec| self.view(rec)))
    }

    async fn videos_edit(
        &self,
        _ctx: RequestContext,
        r: api::VideosEditRequest,
    ) -> Result<api::VideosEditResponse, Failure> {
        let body = r.body.unwrap_or_default();
        let now = self.now();
        let result = self.update_video(&r.identifier, |rec| {
            let v = &mut rec.video;
            // The deletion date is checked below, against the upload time.
            apply_upload_options(
                v,
                body.meta,
                body.allowed_origins,
                body.require_signed_urls,
                body.thumbnail_timestamp_pct,
                cloudflare_stream::Nullable::Absent,
                body.creator,
            );
            if let Some(m) = body.max_duration_seconds {
                v.max_duration_seconds = Some(m);
            }
            if body.upload_expiry.is_some() {
                v.upload_expiry = body.upload_expiry;
            }
            if let Some(details) = body.public_details {
                v.public_details = Some(VideoPublicDetails {
                    extra: Default::default(),
                    channel_link: details.channel_link,
                    logo: details.logo,
                    share_link: details.share_link,
                    title: details.title,
                    media_id: None,
                });
            }
            match body.scheduled_deletion {
                cloudflare_stream::Nullable::Absent => {}
                cloudflare_stream::Nullable::Null => {
                    v.scheduled_deletion = cloudflare_stream::Nullable::Null;
                }
                cloudflare_stream::Nullable::Value(at) => {
                    let Some(t) = util::parse_rfc3339(at.as_str()) else {
                        return Err(bad_request(
                            "Invalid scheduledDeletion: not an RFC 3339 date-time",
                        ));
                    };
                    let created = std::time::UNIX_EPOCH + Duration::from_millis(rec.created_ms);
                    if t < created + Duration::from_secs(30 * 86_400) {
                        return Err(bad_request(
                            "Invalid scheduledDeletion: must be at least 30 days from upload time",
                        ));
                    }
                    rec.video.scheduled_deletion = cloudflare_stream::Nullable::Value(at);
                }
            }
            rec.video.modified = Some(util::ts(now));
            Ok(())
        });
        answer(result.and_then(|()| self.video(&r.identifier, |rec| self.view(rec))))
    }

    async fn videos_delete(
        &self,
        _ctx: RequestContext,
        r: api::VideosDeleteRequest,
    ) -> Result<api::VideosDeleteResponse, Failure> {
        let removed = self.shared.update(|s| s.videos.remove(&r.identifier));
        match removed {
            Some(_) => {
                self.shared.blobs.remove(&r.identifier).await;
                Ok(api::VideosDeleteResponse::Ok)
            }
            None => Err(not_found("video")),
        }
    }

    async fn videos_storage_usage(
        &self,
        _ctx: RequestContext,
        r: api::VideosStorageUsageRequest,
    ) -> Result<api::VideosStorageUsageResponse, Failure> {
        let now = self.shared.clock.now_ms();
        let step = self.step_ms();
        let (count, seconds) = self.shared.read(|s| {
            s.videos
                .values()
                .filter(|rec| r.creator.is_none() || rec.video.creator == r.creator)
                .fold((0i64, 0f64), |(n, secs), rec| {
                    let v = video::view(&self.shared, rec, now, step);
                    (n + 1, secs + v.duration.unwrap_or(0.0).max(0.0))
                })
        });
        Ok(envelope!(
            VideoStorageUsageEnvelope,
            models::VideoStorageUsageResponse {
                extra: Default::default(),
                creator: r.creator,
                total_storage_minutes: Some(seconds / 60.0),
                total_storage_minutes_limit: Some(1000),
                video_count: Some(count),
            }
        )
        .into())
    }

    async fn videos_clip(
        &self,
        _ctx: RequestContext,
        r: api::VideosClipRequest,
    ) -> Result<api::VideosClipResponse, Failure> {
        let b = r.body;
        if b.end_time_seconds <= b.start_time_seconds || b.start_time_seconds < 0 {
            return Err(bad_request("endTimeSeconds must be after startTimeSeconds"));
        }
        let source = self.video(&b.clipped_from_video_uid, |rec| {
            (rec.uploaded_ms.is_some(), rec.is_video)
        })?;
        if !source.0 {
            return Err(bad_request("the source video has not been uploaded"));
        }
        let mut rec =
            video::new_record(&self.shared, UploadRecord::Server { done: true }, b.creator);
        rec.video.clipped_from = Some(b.clipped_from_video_uid.clone());
        apply_upload_options(
            &mut rec.video,
            b.meta,
            b.allowed_origins,
            b.require_signed_urls,
            b.thumbnail_timestamp_pct,
            b.scheduled_deletion,
            None,
        );
        if let Some(name) = b.name {
            set_meta_name(&mut rec.video, name);
        }
        rec.video.watermark = b
            .watermark
            .and_then(|w| video::watermark(&self.shared, w.uid.as_deref()));
        rec.uploaded_ms = Some(self.shared.clock.now_ms());
        rec.is_video = source.1;
        let uid = rec.video.uid.clone().unwrap_or_default();
        if let Err(e) = self
            .shared
            .blobs
            .copy(&b.clipped_from_video_uid, &uid)
            .await
        {
            return Err(internal(e.to_string()));
        }
        let video = self.view(&rec);
        self.shared.update(|s| s.videos.insert(uid, rec));
        Ok(envelope!(VideoEnvelope, video).into())
    }

    async fn videos_copy(
        &self,
        _ctx: RequestContext,
        r: api::VideosCopyRequest,
    ) -> Result<api::VideosCopyResponse, Failure> {
        let b = r.body.unwrap_or_default();
        let Some(url) = b.url.clone() else {
            return Err(bad_request("`url` is required"));
        };
        let mut rec = video::new_record(
            &self.shared,
            UploadRecord::Server { done: false },
            b.creator.or(r.upload_creator),
        );
        apply_upload_options(
            &mut rec.video,
            b.meta,
            b.allowed_origins,
            b.require_signed_urls,
            b.thumbnail_timestamp_pct,
            b.scheduled_deletion,
            None,
        );
        let name = b.name.unwrap_or_else(|| url.clone());
        set_meta_name(&mut rec.video, name);
        rec.video.watermark = b
            .watermark
            .and_then(|w| video::watermark(&self.shared, w.uid.as_deref()));
        let uid = rec.video.uid.clone().unwrap_or_default();
        let video = self.view(&rec);
        self.shared.update(|s| s.videos.insert(uid.clone(), rec));
        // Downloading happens in the background, as on Stream.
        tokio::spawn(crate::uploads::fetch(self.shared.clone(), uid, url));
        Ok(envelope!(VideoEnvelope, video).into())
    }

    async fn videos_direct_upload(
        &self,
        ctx: RequestContext,
        r: api::VideosDirectUploadRequest,
    ) -> Result<api::VideosDirectUploadResponse, Failure> {
        crate::uploads::create_direct(&self.shared, &origin(&self.shared, &ctx), r)
    }

    async fn videos_embed(
        &self,
        _ctx: RequestContext,
        r: api::VideosEmbedRequest,
    ) -> Result<api::VideosEmbedResponse, Failure> {
        self.video(&r.identifier, |_| ())?;
        Ok(api::VideosEmbedResponse::Ok(format!(
            "<stream src=\"{}\"></stream><script data-cfasync=\"false\" defer type=\"text/javascript\" src=\"{}/embed/sdk.latest.js\"></script>",
            r.identifier, self.shared.base_url
        )))
    }

    async fn videos_create_token(
        &self,
        _ctx: RequestContext,
        r: api::VideosCreateTokenRequest,
    ) -> Result<api::VideosCreateTokenResponse, Failure> {
        self.video(&r.identifier, |_| ())?;
        let body = r.body.unwrap_or_default();
        let request_key = match (&body.id, &body.pem) {
            (Some(id), Some(pem)) => Some((id.clone(), pem.clone())),
            (None, None) => None,
            _ => return Err(bad_request("`id` and `pem` go together")),
        };
        let account_key = self.account_key().await?;
        let now = self.shared.clock.now();
        let token = crate::playback::create_token(
            &account_key,
            request_key.as_ref().map(|(i, p)| (i.as_str(), p.as_str())),
            &r.identifier,
            now,
            &body,
        );
        answer(
            token
                .map(|token| TokenCreateResponse {
                    extra: Default::default(),
                    token: Some(token),
                })
                .map_err(bad_request),
        )
    }
}

/// The origin upload URLs point at: the one the request was sent to (its `Host`), so
/// that a client behind a proxy or port mapping uploads through the same way.
fn origin(shared: &Shared, ctx: &RequestContext) -> String {
    ctx.headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .map(|h| format!("http://{h}"))
        .unwrap_or_else(|| shared.base_url.clone())
}

/// Splits a comma-separated filter.
fn list(text: &str) -> Vec<&str> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

fn time_filter(
    text: &Option<cloudflare_stream::Timestamp>,
    name: &str,
) -> Result<Option<u64>, Failure> {
    match text {
        None => Ok(None),
        Some(t) => util::parse_rfc3339(t.as_str())
            .map(|t| {
                Some(
                    u64::try_from(
                        t.duration_since(std::time::UNIX_EPOCH)
                            .unwrap_or_default()
                            .as_millis(),
                    )
                    .unwrap_or(u64::MAX),
                )
            })
            .ok_or_else(|| bad_request(format!("`{name}` is not an RFC 3339 date-time"))),
    }
}
