//! The API: [`Api`] implemented with Stream's behaviour over the shared state, the router
//! around it (the API at the root and under `/client/v4`, uploads, playback), and the
//! notifier that moves processing along and POSTs the signed webhooks.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::IntoResponse;

use crate::Shared;
use crate::generated::models::{self, *};
use crate::generated::server::{self as api, Api, Failure, Problem, RequestContext};
use crate::store::{
    CaptionRecord, KeyRecord, LiveInputRecord, UploadRecord, VideoRecord, WebhookRecord,
};
use crate::util::{self, bad_request, codes, failure, found, internal, no_messages, not_found};

/// The whole application: the generated API router at `/` and `/client/v4`, the upload and
/// playback routes, and Cloudflare's envelope for unknown routes.
pub fn app(shared: Arc<Shared>) -> axum::Router {
    let service = Arc::new(Service {
        shared: shared.clone(),
    });
    let api_routes = api::router(service);
    axum::Router::new()
        .merge(api_routes.clone())
        .nest("/client/v4", api_routes)
        .merge(crate::uploads::routes(shared.clone()))
        .fallback(|uri: axum::http::Uri| async move {
            failure(
                StatusCode::NOT_FOUND,
                codes::NO_ROUTE,
                format!(
                    "Could not route to {}, perhaps your object identifier is invalid?",
                    uri.path()
                ),
            )
            .into_response()
        })
        .layer(axum::middleware::from_fn(crate::uploads::tus_negotiation))
}

/// The [`Api`] implementation.
pub struct Service {
    shared: Arc<Shared>,
}

/// A success envelope around `result`.
macro_rules! envelope {
    ($ty:ident, $result:expr) => {{
        let envelope: $ty = client_runtime::Envelope::new($result);
        envelope
    }};
}

/// The answer of an operation from its outcome: the success envelope around the value,
/// or the failure. One place for what almost every operation ends with.
fn answer<T, R>(outcome: Result<T, Failure>) -> R
where
    R: From<client_runtime::Envelope<T>> + From<Failure>,
{
    match outcome {
        Ok(value) => client_runtime::Envelope::new(value).into(),
        Err(failure) => failure.into(),
    }
}

/// The `"ok"` result of a deletion, or `404 Not Found` naming `what` when nothing was
/// removed.
fn deleted<T>(removed: Option<T>, what: &str) -> Result<String, Failure> {
    found(removed, what).map(|_| "ok".to_owned())
}

/// `Ok` once the video is ready at `now`, else `400`: `action` (captions, downloads)
/// needs a ready video.
fn require_ready(rec: &VideoRecord, now: u64, step: u64, action: &str) -> Result<(), Failure> {
    if matches!(processing(rec, now, step).0, VideoState::Ready) {
        Ok(())
    } else {
        Err(bad_request(format!("{action} once the video is ready")))
    }
}

impl Service {
    /// The state every part of the emulator shares.
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    fn now(&self) -> String {
        util::rfc3339(self.shared.clock.now())
    }

    fn step_ms(&self) -> u64 {
        u64::try_from(self.shared.config.processing_step.as_millis()).unwrap_or(u64::MAX)
    }

    /// The video as answered: stored fields plus status, playback URLs and timestamps
    /// computed at the current clock time.
    fn view(&self, record: &VideoRecord) -> Video {
        view(
            &self.shared,
            record,
            self.shared.clock.now_ms(),
            self.step_ms(),
        )
    }

    fn video<T>(&self, uid: &str, look: impl FnOnce(&VideoRecord) -> T) -> Result<T, Failure> {
        self.shared
            .read(|s| s.videos.get(uid).map(look))
            .ok_or_else(|| not_found("video"))
    }

    fn update_video<T>(
        &self,
        uid: &str,
        change: impl FnOnce(&mut VideoRecord) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        self.shared.update(|s| match s.videos.get_mut(uid) {
            Some(record) => change(record),
            None => Err(not_found("video")),
        })
    }

    fn live_input<T>(
        &self,
        uid: &str,
        look: impl FnOnce(&LiveInputRecord) -> T,
    ) -> Result<T, Failure> {
        found(
            self.shared.read(|s| s.live_inputs.get(uid).map(look)),
            "live input",
        )
    }

    fn update_live_input<T>(
        &self,
        uid: &str,
        change: impl FnOnce(&mut LiveInputRecord) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        self.shared.update(|s| match s.live_inputs.get_mut(uid) {
            Some(record) => change(record),
            None => Err(not_found("live input")),
        })
    }

    /// A new video record waiting for its bytes.
    pub(crate) fn new_video_record(
        &self,
        upload: UploadRecord,
        creator: Option<String>,
    ) -> VideoRecord {
        let now = self.now();
        VideoRecord {
            video: Video {
                uid: Some(util::new_id()),
                created: Some(util::ts(now.clone())),
                modified: Some(util::ts(now)),
                creator,
                meta: Some(serde_json::json!({})),
                require_signed_urls: Some(false),
                allowed_origins: Some(Vec::new()),
                ..Video::default()
            },
            upload,
            uploaded_ms: None,
            is_video: false,
            // Strictly increasing, so creation order is list order even within a millisecond.
            created_ms: self.shared.read(|s| {
                let last = s.videos.values().map(|r| r.created_ms).max().unwrap_or(0);
                self.shared.clock.now_ms().max(last + 1)
            }),
            notified: false,
            captions: BTreeMap::new(),
            audio: BTreeMap::new(),
            downloads: BTreeMap::new(),
        }
    }
}

/// Whether a file starts like a video container: MP4/MOV (`ftyp`, `moov`, `mdat`, `wide`
/// at offset 4), Matroska/WebM, AVI, FLV, MPEG-TS or MPEG-PS.
pub(crate) fn looks_like_video(head: &[u8]) -> bool {
    let at4 = head.get(4..8);
    matches!(at4, Some(b"ftyp" | b"moov" | b"mdat" | b"wide" | b"free"))
        || head.starts_with(&[0x1a, 0x45, 0xdf, 0xa3])
        || (head.starts_with(b"RIFF") && head.get(8..11) == Some(b"AVI"))
        || head.starts_with(b"FLV")
        || head.first() == Some(&0x47) && head.get(188).is_none_or(|b| *b == 0x47)
        || head.starts_with(&[0, 0, 1, 0xba])
}

/// The answered form of a video at `now_ms`.
pub(crate) fn view(shared: &Shared, record: &VideoRecord, now_ms: u64, step: u64) -> Video {
    let mut video = record.video.clone();
    let uid = video.uid.clone().unwrap_or_default();
    let (state, pct, ready_ms) = processing(record, now_ms, step);
    let base = &shared.base_url;
    let ready = state == VideoState::Ready;
    video.status = Some(VideoStatus {
        extra: Default::default(),
        state: Some(state.clone()),
        pct_complete: pct.map(|p| p.to_string()),
        error_reason_code: (state == VideoState::Error).then(|| "ERR_NON_VIDEO".to_owned()),
        error_reason_text: (state == VideoState::Error)
            .then(|| "The file was not recognized as a valid video file.".to_owned()),
    });
    video.ready_to_stream = Some(ready);
    video.ready_to_stream_at = ready_ms.map(|ms| util::ts(ms_to_rfc3339(ms)));
    video.uploaded = record.uploaded_ms.map(|ms| util::ts(ms_to_rfc3339(ms)));
    video.playback = Some(VideoPlayback {
        extra: Default::default(),
        hls: Some(format!("{base}/playback/{uid}/manifest/video.m3u8")),
        dash: Some(format!("{base}/playback/{uid}/manifest/video.mpd")),
    });
    video.preview = Some(format!("{base}/playback/{uid}/watch"));
    video.thumbnail = Some(format!("{base}/playback/{uid}/thumbnails/thumbnail.jpg"));
    if record.uploaded_ms.is_some() && record.is_video {
        // The emulator does not decode media: every video is 10 s of 1920x1080.
        video.duration = Some(10.0);
        video.input = Some(VideoInput {
            extra: Default::default(),
            width: Some(1920),
            height: Some(1080),
        });
    } else {
        video.duration = Some(-1.0);
        video.input = Some(VideoInput {
            extra: Default::default(),
            width: Some(-1),
            height: Some(-1),
        });
    }
    if video.max_duration_seconds.is_none() {
        video.max_duration_seconds = Some(-1);
    }
    video
}

fn ms_to_rfc3339(ms: u64) -> String {
    util::rfc3339(std::time::UNIX_EPOCH + Duration::from_millis(ms))
}

/// The processing state at `now_ms`: queued for one step, in progress for two, then
/// ready; a file that is not a video fails after one step.
pub(crate) fn processing(
    record: &VideoRecord,
    now_ms: u64,
    step: u64,
) -> (VideoState, Option<u64>, Option<u64>) {
    let Some(uploaded) = record.uploaded_ms else {
        return match record.upload {
            UploadRecord::Server { done: false } => (VideoState::Downloading, None, None),
            _ => (VideoState::Pendingupload, None, None),
        };
    };
    let elapsed = now_ms.saturating_sub(uploaded);
    if !record.is_video {
        return if elapsed < step {
            (VideoState::Queued, None, None)
        } else {
            (VideoState::Error, None, None)
        };
    }
    if elapsed < step {
        (VideoState::Queued, Some(0), None)
    } else if elapsed < step.saturating_mul(3) {
        let pct = (elapsed - step) * 100 / step.saturating_mul(2).max(1);
        (VideoState::Inprogress, Some(pct.min(99)), None)
    } else {
        (
            VideoState::Ready,
            Some(100),
            Some(uploaded + step.saturating_mul(3)),
        )
    }
}

/// Moves processing along: wakes every 25 ms (or when the clock is advanced), finds videos
/// that reached `ready` or `error` and POSTs the webhook for each, once.
pub async fn notifier(shared: Arc<Shared>) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(25)) => {}
            () = shared.tick.notified() => {}
        }
        let now_ms = shared.clock.now_ms();
        let step = u64::try_from(shared.config.processing_step.as_millis()).unwrap_or(u64::MAX);
        // Whether a video finished processing and was not announced yet.
        let due = |r: &VideoRecord| {
            !r.notified
                && matches!(
                    processing(r, now_ms, step).0,
                    VideoState::Ready | VideoState::Error
                )
        };
        let due: Vec<Video> = {
            if !shared.read(|s| s.videos.values().any(&due)) {
                continue;
            }
            shared.update(|s| {
                s.videos.update_where(&due, |r| {
                    r.notified = true;
                    view(&shared, r, now_ms, step)
                })
            })
        };
        let Some(hook) = shared.read(|s| s.webhook.as_ref().cloned()) else {
            continue;
        };
        for video in due {
            deliver(&shared, &hook, &video).await;
        }
    }
}

/// POSTs one notification, signed as Cloudflare signs: `Webhook-Signature:
/// time=<unix>,sig1=<hex HMAC-SHA256 of "<time>.<body>" with the secret>`.
async fn deliver(shared: &Shared, hook: &WebhookRecord, video: &Video) {
    let Ok(body) = serde_json::to_string(video) else {
        return;
    };
    // Signed with the wall clock (receivers check it against theirs), not the emulator's.
    let signature = cloudflare_stream::webhook::sign(
        &hook.secret,
        body.as_bytes(),
        std::time::SystemTime::now(),
    );
    let sent = shared
        .http
        .post(&hook.url)
        .header("Webhook-Signature", &signature)
        .header("Content-Type", "application/json")
        .timeout(Duration::from_secs(10))
        .body(body.clone())
        .send()
        .await;
    let status = sent.ok().map(|r| r.status().as_u16());
    shared
        .deliveries
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(crate::Delivery {
            url: hook.url.clone(),
            signature,
            body,
            status,
        });
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

fn meta_name(video: &Video) -> Option<&str> {
    video.meta.as_ref()?.get("name")?.as_str()
}

/// Sets the upload options a request gives (and leaves the others): shared by every way a
/// video is made or edited.
pub(crate) fn apply_upload_options(
    video: &mut Video,
    meta: Option<serde_json::Value>,
    allowed_origins: Option<Vec<String>>,
    require_signed_urls: Option<bool>,
    thumbnail_timestamp_pct: Option<f64>,
    scheduled_deletion: cloudflare_stream::Nullable<cloudflare_stream::Timestamp>,
    creator: Option<String>,
) {
    if let Some(meta) = meta {
        video.meta = Some(meta);
    }
    if let Some(origins) = allowed_origins {
        video.allowed_origins = Some(origins);
    }
    if let Some(require) = require_signed_urls {
        video.require_signed_urls = Some(require);
    }
    if let Some(pct) = thumbnail_timestamp_pct {
        video.thumbnail_timestamp_pct = Some(pct);
    }
    if let Some(at) = scheduled_deletion.into_option() {
        video.scheduled_deletion = cloudflare_stream::Nullable::Value(at);
    }
    if creator.is_some() {
        video.creator = creator;
    }
}

impl Api for Service {
    async fn authorize(&self, ctx: &RequestContext) -> Result<(), Failure> {
        let config = &self.shared.config;
        if let Some(limit) = config.rate_limit {
            let second = util::unix(std::time::SystemTime::now());
            let mut rate = self.shared.rate.lock().unwrap_or_else(|e| e.into_inner());
            if rate.0 != second {
                *rate = (second, 0);
            }
            rate.1 += 1;
            if rate.1 > limit {
                let mut f = failure(
                    StatusCode::TOO_MANY_REQUESTS,
                    codes::RATE_LIMITED,
                    "Too many requests",
                );
                f.headers
                    .insert("retry-after", axum::http::HeaderValue::from_static("1"));
                return Err(f);
            }
        }
        let creds = &ctx.credentials;
        let token_ok = creds.api_token.as_deref() == Some(config.token.as_str());
        let key_ok = match (&config.email_key, &creds.api_email, &creds.api_key) {
            (Some((email, key)), Some(e), Some(k)) => e == email && k == key,
            _ => false,
        };
        if !token_ok && !key_ok {
            return Err(failure(
                StatusCode::UNAUTHORIZED,
                codes::AUTHENTICATION,
                "Authentication error",
            ));
        }
        let mut segments = ctx.uri.path().split('/');
        let account = segments
            .by_ref()
            .skip_while(|s| *s != "accounts")
            .nth(1)
            .unwrap_or_default();
        if account != config.account_id {
            return Err(failure(
                StatusCode::FORBIDDEN,
                codes::AUTHENTICATION,
                "Authentication error",
            ));
        }
        Ok(())
    }

    fn reject(&self, _ctx: &RequestContext, problems: Vec<Problem>) -> Failure {
        let mut body = util::envelope(codes::BAD_REQUEST, "Bad Request");
        body.errors = problems
            .iter()
            .map(|p| ResponseMessage {
                extra: Default::default(),
                code: codes::BAD_REQUEST,
                message: p.to_string(),
                documentation_url: None,
                source: (p.location == api::ProblemLocation::Body && p.name.starts_with('/')).then(
                    || ResponseMessageSource {
                        extra: Default::default(),
                        pointer: Some(p.name.clone()),
                    },
                ),
            })
            .collect();
        Failure::new(StatusCode::BAD_REQUEST, body)
    }

    async fn videos_list(
        &self,
        _ctx: RequestContext,
        r: api::VideosListRequest,
    ) -> api::VideosListResponse {
        let after = match time_filter(&r.after.or(r.start), "start") {
            Ok(t) => t,
            Err(f) => return f.into(),
        };
        let before = match time_filter(&r.before.or(r.end), "end") {
            Ok(t) => t,
            Err(f) => return f.into(),
        };
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
                .map(|rec| (rec.created_ms, view(&self.shared, rec, now, step)))
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
        VideoListEnvelope {
            extra: Default::default(),
            errors: no_messages(),
            messages: no_messages(),
            success: true,
            range: counts.then(|| i64::try_from(remaining).unwrap_or(i64::MAX)),
            total: counts.then(|| i64::try_from(total).unwrap_or(i64::MAX)),
            result: Some(page),
        }
        .into()
    }

    async fn videos_initiate_tus_upload(
        &self,
        ctx: RequestContext,
        r: api::VideosInitiateTusUploadRequest,
    ) -> api::VideosInitiateTusUploadResponse {
        crate::uploads::create_tus(self, &origin(&self.shared, &ctx), r)
    }

    async fn videos_get(
        &self,
        _ctx: RequestContext,
        r: api::VideosGetRequest,
    ) -> api::VideosGetResponse {
        answer(self.video(&r.identifier, |rec| self.view(rec)))
    }

    async fn videos_edit(
        &self,
        _ctx: RequestContext,
        r: api::VideosEditRequest,
    ) -> api::VideosEditResponse {
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
    ) -> api::VideosDeleteResponse {
        let removed = self.shared.update(|s| s.videos.remove(&r.identifier));
        match removed {
            Some(_) => {
                self.shared.blobs.remove(&r.identifier).await;
                api::VideosDeleteResponse::Ok
            }
            None => not_found("video").into(),
        }
    }

    async fn audio_tracks_list(
        &self,
        _ctx: RequestContext,
        r: api::AudioTracksListRequest,
    ) -> api::AudioTracksListResponse {
        answer(self.video(&r.identifier, |rec| AudioTrackGetResponse {
            extra: Default::default(),
            audio: Some(rec.audio.values().cloned().collect()),
        }))
    }

    async fn audio_tracks_delete(
        &self,
        _ctx: RequestContext,
        r: api::AudioTracksDeleteRequest,
    ) -> api::AudioTracksDeleteResponse {
        answer(self.update_video(&r.identifier, |rec| {
            deleted(rec.audio.remove(&r.audio_identifier), "audio track")
        }))
    }

    async fn audio_tracks_edit(
        &self,
        _ctx: RequestContext,
        r: api::AudioTracksEditRequest,
    ) -> api::AudioTracksEditResponse {
        let body = r.body.unwrap_or_default();
        let result = self.update_video(&r.identifier, |rec| {
            if !rec.audio.contains_key(&r.audio_identifier) {
                return Err(not_found("audio track"));
            }
            if body.default == Some(true) {
                for track in rec.audio.values_mut() {
                    track.default = Some(false);
                }
            }
            let track = found(rec.audio.get_mut(&r.audio_identifier), "audio track")?;
            if let Some(d) = body.default {
                track.default = Some(d);
            }
            if body.label.is_some() {
                track.label = body.label;
            }
            Ok(track.clone())
        });
        answer(result)
    }

    async fn audio_tracks_copy(
        &self,
        _ctx: RequestContext,
        r: api::AudioTracksCopyRequest,
    ) -> api::AudioTracksCopyResponse {
        let track = Audio {
            extra: Default::default(),
            uid: Some(util::new_id()),
            label: Some(r.body.label),
            default: Some(false),
            status: Some(AudioState::Ready),
        };
        let result = self.update_video(&r.identifier, |rec| {
            rec.audio
                .insert(track.uid.clone().unwrap_or_default(), track.clone());
            Ok(track.clone())
        });
        answer(result)
    }

    async fn videos_storage_usage(
        &self,
        _ctx: RequestContext,
        r: api::VideosStorageUsageRequest,
    ) -> api::VideosStorageUsageResponse {
        let now = self.shared.clock.now_ms();
        let step = self.step_ms();
        let (count, seconds) = self.shared.read(|s| {
            s.videos
                .values()
                .filter(|rec| r.creator.is_none() || rec.video.creator == r.creator)
                .fold((0i64, 0f64), |(n, secs), rec| {
                    let v = view(&self.shared, rec, now, step);
                    (n + 1, secs + v.duration.unwrap_or(0.0).max(0.0))
                })
        });
        envelope!(
            VideoStorageUsageEnvelope,
            models::VideoStorageUsageResponse {
                extra: Default::default(),
                creator: r.creator,
                total_storage_minutes: Some(seconds / 60.0),
                total_storage_minutes_limit: Some(1000),
                video_count: Some(count),
            }
        )
        .into()
    }

    async fn videos_clip(
        &self,
        _ctx: RequestContext,
        r: api::VideosClipRequest,
    ) -> api::VideosClipResponse {
        let b = r.body;
        if b.end_time_seconds <= b.start_time_seconds || b.start_time_seconds < 0 {
            return bad_request("endTimeSeconds must be after startTimeSeconds").into();
        }
        let source = match self.video(&b.clipped_from_video_uid, |rec| {
            (rec.uploaded_ms.is_some(), rec.is_video)
        }) {
            Ok(s) => s,
            Err(f) => return f.into(),
        };
        if !source.0 {
            return bad_request("the source video has not been uploaded").into();
        }
        let mut rec = self.new_video_record(UploadRecord::Server { done: true }, b.creator);
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
        rec.video.watermark = b.watermark.and_then(|w| self.watermark(w.uid.as_deref()));
        rec.uploaded_ms = Some(self.shared.clock.now_ms());
        rec.is_video = source.1;
        let uid = rec.video.uid.clone().unwrap_or_default();
        if let Err(e) = self
            .shared
            .blobs
            .copy(&b.clipped_from_video_uid, &uid)
            .await
        {
            return internal(e.to_string()).into();
        }
        let video = self.view(&rec);
        self.shared.update(|s| s.videos.insert(uid, rec));
        envelope!(VideoEnvelope, video).into()
    }

    async fn videos_copy(
        &self,
        _ctx: RequestContext,
        r: api::VideosCopyRequest,
    ) -> api::VideosCopyResponse {
        let b = r.body.unwrap_or_default();
        let Some(url) = b.url.clone() else {
            return bad_request("`url` is required").into();
        };
        let mut rec = self.new_video_record(
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
        rec.video.watermark = b.watermark.and_then(|w| self.watermark(w.uid.as_deref()));
        let uid = rec.video.uid.clone().unwrap_or_default();
        let video = self.view(&rec);
        self.shared.update(|s| s.videos.insert(uid.clone(), rec));
        // Downloading happens in the background, as on Stream.
        tokio::spawn(crate::uploads::fetch(self.shared.clone(), uid, url));
        envelope!(VideoEnvelope, video).into()
    }

    async fn videos_direct_upload(
        &self,
        ctx: RequestContext,
        r: api::VideosDirectUploadRequest,
    ) -> api::VideosDirectUploadResponse {
        crate::uploads::create_direct(self, &origin(&self.shared, &ctx), r)
    }

    async fn keys_list(
        &self,
        _ctx: RequestContext,
        _r: api::KeysListRequest,
    ) -> api::KeysListResponse {
        let keys = self.shared.read(|s| {
            s.keys
                .values()
                .map(|k| KeyGetResponse {
                    extra: Default::default(),
                    id: Some(k.id.clone()),
                    created: Some(util::ts(k.created.clone())),
                    key_id: None,
                })
                .collect()
        });
        envelope!(KeyGetListEnvelope, keys).into()
    }

    async fn keys_create(
        &self,
        _ctx: RequestContext,
        _r: api::KeysCreateRequest,
    ) -> api::KeysCreateResponse {
        let key = match self.generate_key().await {
            Ok(key) => key,
            Err(f) => return f.into(),
        };
        let answer = Keys {
            extra: Default::default(),
            id: Some(key.id.clone()),
            created: Some(util::ts(key.created.clone())),
            pem: Some(crate::playback::encoded(&key.pem)),
            jwk: Some(crate::playback::encoded(&key.jwk)),
        };
        self.shared.update(|s| s.keys.insert(key.id.clone(), key));
        envelope!(KeysEnvelope, answer).into()
    }

    async fn keys_delete(
        &self,
        _ctx: RequestContext,
        r: api::KeysDeleteRequest,
    ) -> api::KeysDeleteResponse {
        answer(deleted(
            self.shared.update(|s| s.keys.remove(&r.identifier)),
            "signing key",
        ))
    }

    async fn live_inputs_list(
        &self,
        _ctx: RequestContext,
        r: api::LiveInputsListRequest,
    ) -> api::LiveInputsListResponse {
        let inputs: Vec<LiveInputSummary> = self.shared.read(|s| {
            s.live_inputs
                .values()
                .map(|l| LiveInputSummary {
                    extra: Default::default(),
                    created: l.input.created.clone(),
                    delete_recording_after_days: l.input.delete_recording_after_days.clone(),
                    enabled: l.input.enabled,
                    meta: l.input.meta.clone(),
                    modified: l.input.modified.clone(),
                    uid: l.input.uid.clone(),
                })
                .collect()
        });
        let counts = r.include_counts == Some(true);
        let total = i64::try_from(inputs.len()).unwrap_or(i64::MAX);
        envelope!(
            LiveInputListEnvelope,
            LiveInputListResponse {
                extra: Default::default(),
                live_inputs: Some(inputs),
                range: counts.then_some(0),
                total: counts.then_some(total),
            }
        )
        .into()
    }

    async fn live_inputs_create(
        &self,
        _ctx: RequestContext,
        r: api::LiveInputsCreateRequest,
    ) -> api::LiveInputsCreateResponse {
        let b = r.body.unwrap_or_default();
        let uid = util::new_id();
        let now = self.now();
        let key = util::hex(&util::random_bytes::<16>());
        let input = LiveInput {
            extra: Default::default(),
            uid: Some(uid.clone()),
            created: Some(util::ts(now.clone())),
            modified: Some(util::ts(now)),
            enabled: Some(b.enabled.unwrap_or(true)),
            meta: b.meta,
            delete_recording_after_days: b.delete_recording_after_days,
            recording: Some(b.recording.unwrap_or(LiveInputRecordingSettings {
                extra: Default::default(),
                mode: Some(LiveInputRecordingMode::Off),
                require_signed_urls: Some(false),
                allowed_origins: None,
                hide_live_viewer_count: Some(false),
                timeout_seconds: Some(0),
            })),
            rtmps: Some(LiveInputRtmps {
                extra: Default::default(),
                url: Some("rtmps://live.cloudflare.com:443/live/".to_owned()),
                stream_key: Some(format!("{key}k{uid}")),
            }),
            rtmps_playback: Some(LiveInputRtmpsPlayback {
                extra: Default::default(),
                url: Some("rtmps://live.cloudflare.com:443/live/".to_owned()),
                stream_key: Some(format!("{key}p{uid}")),
            }),
            srt: Some(LiveInputSrt {
                extra: Default::default(),
                url: Some("srt://live.cloudflare.com:778".to_owned()),
                stream_id: Some(uid.clone()),
                passphrase: Some(key.clone()),
            }),
            srt_playback: Some(LiveInputSrtPlayback {
                extra: Default::default(),
                url: Some("srt://live.cloudflare.com:778".to_owned()),
                stream_id: Some(format!("play{uid}")),
                passphrase: Some(key),
            }),
            web_rtc: Some(LiveInputWebRtc {
                extra: Default::default(),
                url: Some(format!("{}/webrtc/{uid}/publish", self.shared.base_url)),
            }),
            web_rtc_playback: Some(LiveInputWebRtcPlayback {
                extra: Default::default(),
                url: Some(format!("{}/webrtc/{uid}/play", self.shared.base_url)),
            }),
            status: None,
        };
        let record = LiveInputRecord {
            input: input.clone(),
            default_creator: b.default_creator,
            outputs: BTreeMap::new(),
        };
        self.shared.update(|s| s.live_inputs.insert(uid, record));
        envelope!(LiveInputEnvelope, input).into()
    }

    async fn live_inputs_get(
        &self,
        _ctx: RequestContext,
        r: api::LiveInputsGetRequest,
    ) -> api::LiveInputsGetResponse {
        answer(self.live_input(&r.live_input_identifier, |l| l.input.clone()))
    }

    async fn live_inputs_update(
        &self,
        _ctx: RequestContext,
        r: api::LiveInputsUpdateRequest,
    ) -> api::LiveInputsUpdateResponse {
        let b = r.body.unwrap_or_default();
        let now = self.now();
        answer(self.update_live_input(&r.live_input_identifier, |l| {
            if let Some(e) = b.enabled {
                l.input.enabled = Some(e);
            }
            if b.meta.is_some() {
                l.input.meta = b.meta;
            }
            if b.recording.is_some() {
                l.input.recording = b.recording;
            }
            if !b.delete_recording_after_days.is_absent() {
                l.input.delete_recording_after_days = b.delete_recording_after_days;
            }
            if b.default_creator.is_some() {
                l.default_creator = b.default_creator;
            }
            l.input.modified = Some(util::ts(now));
            Ok(l.input.clone())
        }))
    }

    async fn live_inputs_delete(
        &self,
        _ctx: RequestContext,
        r: api::LiveInputsDeleteRequest,
    ) -> api::LiveInputsDeleteResponse {
        match self
            .shared
            .update(|s| s.live_inputs.remove(&r.live_input_identifier))
        {
            Some(_) => EmptyObject::new().into(),
            None => not_found("live input").into(),
        }
    }

    async fn live_inputs_outputs_list(
        &self,
        _ctx: RequestContext,
        r: api::LiveInputsOutputsListRequest,
    ) -> api::LiveInputsOutputsListResponse {
        answer(self.live_input(&r.live_input_identifier, |l| {
            l.outputs.values().cloned().collect::<Vec<_>>()
        }))
    }

    async fn live_inputs_outputs_create(
        &self,
        _ctx: RequestContext,
        r: api::LiveInputsOutputsCreateRequest,
    ) -> api::LiveInputsOutputsCreateResponse {
        let output = Output {
            extra: Default::default(),
            uid: Some(util::new_id()),
            url: Some(r.body.url),
            stream_key: Some(r.body.stream_key),
            enabled: Some(r.body.enabled.unwrap_or(true)),
        };
        answer(self.update_live_input(&r.live_input_identifier, |l| {
            l.outputs
                .insert(output.uid.clone().unwrap_or_default(), output.clone());
            Ok(output)
        }))
    }

    async fn live_inputs_outputs_update(
        &self,
        _ctx: RequestContext,
        r: api::LiveInputsOutputsUpdateRequest,
    ) -> api::LiveInputsOutputsUpdateResponse {
        answer(self.update_live_input(&r.live_input_identifier, |l| {
            let o = found(l.outputs.get_mut(&r.output_identifier), "output")?;
            o.enabled = Some(r.body.enabled);
            Ok(o.clone())
        }))
    }

    async fn live_inputs_outputs_delete(
        &self,
        _ctx: RequestContext,
        r: api::LiveInputsOutputsDeleteRequest,
    ) -> api::LiveInputsOutputsDeleteResponse {
        let removed = self.update_live_input(&r.live_input_identifier, |l| {
            found(l.outputs.remove(&r.output_identifier), "output")
        });
        match removed {
            Ok(_) => EmptyObject::new().into(),
            Err(f) => f.into(),
        }
    }

    async fn watermarks_list(
        &self,
        _ctx: RequestContext,
        _r: api::WatermarksListRequest,
    ) -> api::WatermarksListResponse {
        let marks = self
            .shared
            .read(|s| s.watermarks.values().cloned().collect());
        envelope!(WatermarkListEnvelope, marks).into()
    }

    async fn watermarks_create(
        &self,
        _ctx: RequestContext,
        r: api::WatermarksCreateRequest,
    ) -> api::WatermarksCreateResponse {
        let form = r.body;
        let (size, width, height, downloaded_from) = match (&form.file, &form.url) {
            (Some(file), _) => {
                let Some((w, h)) = image_size(&file.bytes) else {
                    return bad_request("the watermark file is not a PNG, GIF or JPEG image")
                        .into();
                };
                let size = i64::try_from(file.bytes.len()).unwrap_or(i64::MAX);
                (size, w, h, cloudflare_stream::Nullable::Null)
            }
            (None, Some(url)) => (0, 0, 0, cloudflare_stream::Nullable::Value(url.clone())),
            (None, None) => return bad_request("either `file` or `url` is required").into(),
        };
        let mark = Watermark {
            extra: Default::default(),
            uid: Some(util::new_id()),
            created: Some(util::ts(self.now())),
            name: form.name,
            opacity: Some(form.opacity.unwrap_or(1.0)),
            padding: Some(form.padding.unwrap_or(0.05)),
            scale: Some(form.scale.unwrap_or(0.15)),
            position: Some(form.position.unwrap_or(WatermarkPosition::UpperRight)),
            size: Some(size),
            width: Some(width),
            height: Some(height),
            downloaded_from,
        };
        self.shared.update(|s| {
            s.watermarks
                .insert(mark.uid.clone().unwrap_or_default(), mark.clone())
        });
        envelope!(WatermarkEnvelope, mark).into()
    }

    async fn watermarks_get(
        &self,
        _ctx: RequestContext,
        r: api::WatermarksGetRequest,
    ) -> api::WatermarksGetResponse {
        answer(found(self.watermark(Some(&r.identifier)), "watermark"))
    }

    async fn watermarks_delete(
        &self,
        _ctx: RequestContext,
        r: api::WatermarksDeleteRequest,
    ) -> api::WatermarksDeleteResponse {
        answer(deleted(
            self.shared.update(|s| s.watermarks.remove(&r.identifier)),
            "watermark",
        ))
    }

    async fn webhooks_get(
        &self,
        _ctx: RequestContext,
        _r: api::WebhooksGetRequest,
    ) -> api::WebhooksGetResponse {
        answer(
            found(self.shared.read(|s| s.webhook.as_ref().cloned()), "webhook")
                .map(|h| webhook_view(&h)),
        )
    }

    async fn webhooks_update(
        &self,
        _ctx: RequestContext,
        r: api::WebhooksUpdateRequest,
    ) -> api::WebhooksUpdateResponse {
        let b = r.body.unwrap_or_default();
        let Some(url) = b.notification_url.or(b.notification_url_) else {
            return bad_request("`notificationUrl` is required").into();
        };
        if reqwest::Url::parse(&url).is_err() {
            return bad_request("`notificationUrl` is not a URL").into();
        }
        let modified = self.now();
        let hook = self.shared.update(|s| {
            let secret = s
                .webhook
                .as_ref()
                .map(|h| h.secret.clone())
                .unwrap_or_else(|| util::hex(&util::random_bytes::<32>()));
            let hook = WebhookRecord {
                url,
                secret,
                modified,
            };
            s.webhook.set(hook.clone());
            hook
        });
        envelope!(WebhookUpdateEnvelope, webhook_view(&hook)).into()
    }

    async fn webhooks_delete(
        &self,
        _ctx: RequestContext,
        _r: api::WebhooksDeleteRequest,
    ) -> api::WebhooksDeleteResponse {
        answer(deleted(self.shared.update(|s| s.webhook.take()), "webhook"))
    }

    async fn captions_list(
        &self,
        _ctx: RequestContext,
        r: api::CaptionsListRequest,
    ) -> api::CaptionsListResponse {
        let now = self.shared.clock.now_ms();
        let step = self.step_ms();
        answer(self.video(&r.identifier, |rec| {
            rec.captions
                .iter()
                .map(|(lang, c)| caption_view(lang, c, now, step))
                .collect::<Vec<_>>()
        }))
    }

    async fn captions_get(
        &self,
        _ctx: RequestContext,
        r: api::CaptionsGetRequest,
    ) -> api::CaptionsGetResponse {
        let now = self.shared.clock.now_ms();
        let step = self.step_ms();
        let caption = self.video(&r.identifier, |rec| {
            rec.captions
                .get(&r.language)
                .map(|c| caption_view(&r.language, c, now, step))
        });
        answer(caption.and_then(|c| found(c, "caption")))
    }

    async fn captions_upload(
        &self,
        _ctx: RequestContext,
        r: api::CaptionsUploadRequest,
    ) -> api::CaptionsUploadResponse {
        let Ok(vtt) = String::from_utf8(r.body.file.bytes.to_vec()) else {
            return bad_request("the caption file is not UTF-8 text").into();
        };
        if !vtt.trim_start_matches('\u{feff}').starts_with("WEBVTT") {
            return bad_request("the caption file is not WebVTT (it must start with `WEBVTT`)")
                .into();
        }
        let record = CaptionRecord {
            label: language_label(&r.language),
            vtt,
            generated: false,
            created_ms: self.shared.clock.now_ms(),
        };
        let view = caption_view(&r.language, &record, record.created_ms, 0);
        let result = self.update_video(&r.identifier, |rec| {
            rec.captions.insert(r.language.clone(), record);
            Ok(())
        });
        answer(result.map(|()| view))
    }

    async fn captions_delete(
        &self,
        _ctx: RequestContext,
        r: api::CaptionsDeleteRequest,
    ) -> api::CaptionsDeleteResponse {
        // Stream answers an empty string here, not `"ok"`.
        answer(self.update_video(&r.identifier, |rec| {
            found(rec.captions.remove(&r.language), "caption").map(|_| String::new())
        }))
    }

    async fn captions_generate(
        &self,
        _ctx: RequestContext,
        r: api::CaptionsGenerateRequest,
    ) -> api::CaptionsGenerateResponse {
        let now = self.shared.clock.now_ms();
        let step = self.step_ms();
        let record = CaptionRecord {
            label: format!("{} (auto-generated)", language_label(&r.language)),
            vtt: "WEBVTT\n\n00:00:00.000 --> 00:00:05.000\n[generated by the Stream emulator]\n"
                .to_owned(),
            generated: true,
            created_ms: now,
        };
        let view = caption_view(&r.language, &record, now, step);
        let result = self.update_video(&r.identifier, |rec| {
            require_ready(rec, now, step, "captions can be generated")?;
            rec.captions.insert(r.language.clone(), record);
            Ok(())
        });
        answer(result.map(|()| view))
    }

    async fn captions_vtt(
        &self,
        _ctx: RequestContext,
        r: api::CaptionsVttRequest,
    ) -> api::CaptionsVttResponse {
        let vtt = self.video(&r.identifier, |rec| {
            rec.captions.get(&r.language).map(|c| c.vtt.clone())
        });
        match vtt.and_then(|vtt| found(vtt, "caption")) {
            Ok(vtt) => api::CaptionsVttResponse::Ok(vtt),
            Err(f) => f.into(),
        }
    }

    async fn downloads_list(
        &self,
        _ctx: RequestContext,
        r: api::DownloadsListRequest,
    ) -> api::DownloadsListResponse {
        answer(self.video(&r.identifier, |rec| self.downloads_view(rec)))
    }

    async fn downloads_create(
        &self,
        _ctx: RequestContext,
        r: api::DownloadsCreateRequest,
    ) -> api::DownloadsCreateResponse {
        let now = self.shared.clock.now_ms();
        let step = self.step_ms();
        let result = self.update_video(&r.identifier, |rec| {
            require_ready(rec, now, step, "downloads can be created")?;
            rec.downloads.entry("default".to_owned()).or_insert(now);
            Ok(())
        });
        answer(result.and_then(|()| self.video(&r.identifier, |rec| self.downloads_view(rec))))
    }

    async fn downloads_delete(
        &self,
        _ctx: RequestContext,
        r: api::DownloadsDeleteRequest,
    ) -> api::DownloadsDeleteResponse {
        let result = self.update_video(&r.identifier, |rec| {
            rec.downloads.clear();
            Ok(())
        });
        answer(result.map(|()| "ok".to_owned()))
    }

    async fn videos_embed(
        &self,
        _ctx: RequestContext,
        r: api::VideosEmbedRequest,
    ) -> api::VideosEmbedResponse {
        match self.video(&r.identifier, |_| ()) {
            Ok(()) => api::VideosEmbedResponse::Ok(format!(
                "<stream src=\"{}\"></stream><script data-cfasync=\"false\" defer type=\"text/javascript\" src=\"{}/embed/sdk.latest.js\"></script>",
                r.identifier, self.shared.base_url
            )),
            Err(f) => f.into(),
        }
    }

    async fn videos_create_token(
        &self,
        _ctx: RequestContext,
        r: api::VideosCreateTokenRequest,
    ) -> api::VideosCreateTokenResponse {
        if let Err(f) = self.video(&r.identifier, |_| ()) {
            return f.into();
        }
        let body = r.body.unwrap_or_default();
        let request_key = match (&body.id, &body.pem) {
            (Some(id), Some(pem)) => Some((id.clone(), pem.clone())),
            (None, None) => None,
            _ => return bad_request("`id` and `pem` go together").into(),
        };
        let account_key = match self.account_key().await {
            Ok(k) => k,
            Err(f) => return f.into(),
        };
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

impl Service {
    /// The watermark `uid`, if there is one.
    pub(crate) fn watermark(&self, uid: Option<&str>) -> Option<Watermark> {
        let uid = uid?;
        self.shared.read(|s| s.watermarks.get(uid).cloned())
    }

    fn downloads_view(&self, rec: &VideoRecord) -> DownloadGetResponse {
        let now = self.shared.clock.now_ms();
        let step = self.step_ms();
        let uid = rec.video.uid.clone().unwrap_or_default();
        let make = |kind: &str, created: u64| {
            let elapsed = now.saturating_sub(created);
            let ready = elapsed >= step;
            let pct = if ready {
                100.0
            } else {
                (elapsed as f64 / step.max(1) as f64 * 100.0).floor()
            };
            Download {
                extra: Default::default(),
                percent_complete: pct,
                status: if ready {
                    DownloadStatus::Ready
                } else {
                    DownloadStatus::Inprogress
                },
                url: Some(format!(
                    "{}/playback/{uid}/downloads/{kind}.mp4",
                    self.shared.base_url
                )),
            }
        };
        DownloadGetResponse {
            extra: Default::default(),
            default: rec.downloads.get("default").map(|&c| make("default", c)),
            audio: rec.downloads.get("audio").map(|&c| make("audio", c)),
        }
    }

    /// A new RSA signing key, created now (on a blocking thread: generation takes a while).
    async fn generate_key(&self) -> Result<KeyRecord, Failure> {
        let created = self.now();
        tokio::task::spawn_blocking(move || crate::playback::generate_key(created))
            .await
            .map_err(|e| internal(e.to_string()))?
            .map_err(internal)
    }

    /// The key `/token` signs with when the request brings none, made on first use.
    async fn account_key(&self) -> Result<KeyRecord, Failure> {
        if let Some(key) = self.shared.read(|s| s.account_key.as_ref().cloned()) {
            return Ok(key);
        }
        let key = self.generate_key().await?;
        Ok(self
            .shared
            .update(|s| s.account_key.get_or_insert_with(|| key).clone()))
    }
}

fn webhook_view(h: &WebhookRecord) -> WebhookGetResponse {
    WebhookGetResponse {
        extra: Default::default(),
        notification_url: Some(h.url.clone()),
        notification_url_: Some(h.url.clone()),
        secret: Some(h.secret.clone()),
        modified: Some(util::ts(h.modified.clone())),
    }
}

fn caption_view(language: &str, c: &CaptionRecord, now: u64, step: u64) -> Caption {
    let ready = !c.generated || now.saturating_sub(c.created_ms) >= step;
    Caption {
        extra: Default::default(),
        language: Some(language.to_owned()),
        label: Some(c.label.clone()),
        generated: Some(c.generated),
        status: Some(if ready {
            CaptionStatus::Ready
        } else {
            CaptionStatus::Inprogress
        }),
    }
}

fn language_label(tag: &str) -> String {
    match tag.split('-').next().unwrap_or(tag) {
        "en" => "English",
        "de" => "Deutsch",
        "es" => "Español",
        "fr" => "Français",
        "it" => "Italiano",
        "ja" => "日本語",
        "ko" => "한국어",
        "nl" => "Nederlands",
        "pl" => "Polski",
        "pt" => "Português",
        "ru" => "Русский",
        "cs" => "Čeština",
        _ => tag,
    }
    .to_owned()
}

pub(crate) fn set_meta_name(video: &mut Video, name: String) {
    let mut meta = match video.meta.take() {
        Some(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    meta.insert("name".to_owned(), serde_json::Value::String(name));
    video.meta = Some(serde_json::Value::Object(meta));
}

/// The pixel size of a PNG, GIF or JPEG image.
fn image_size(bytes: &[u8]) -> Option<(i64, i64)> {
    let be32 = |b: &[u8]| i64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let be16 = |b: &[u8]| i64::from(u16::from_be_bytes([b[0], b[1]]));
    let le16 = |b: &[u8]| i64::from(u16::from_le_bytes([b[0], b[1]]));
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() >= 24 {
        return Some((be32(&bytes[16..20]), be32(&bytes[20..24])));
    }
    if (bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a")) && bytes.len() >= 10 {
        return Some((le16(&bytes[6..8]), le16(&bytes[8..10])));
    }
    if bytes.starts_with(&[0xff, 0xd8]) {
        let mut i = 2;
        while i + 9 < bytes.len() {
            if bytes[i] != 0xff {
                return None;
            }
            let marker = bytes[i + 1];
            let len = usize::try_from(be16(&bytes[i + 2..i + 4])).ok()?;
            if matches!(marker, 0xc0..=0xc3 | 0xc5..=0xc7 | 0xc9..=0xcb | 0xcd..=0xcf) {
                return Some((be16(&bytes[i + 7..i + 9]), be16(&bytes[i + 5..i + 7])));
            }
            i += 2 + len;
        }
        return Some((0, 0));
    }
    None
}
