//! The video domain, in one place: how a record is made, how far processing is at a given
//! clock time, how a video is answered, the upload options every way of making one shares,
//! and the notifier that moves processing along and POSTs the signed webhooks. The API
//! modules and the uploads build on it; it knows neither.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::Shared;
use crate::generated::models::*;
use crate::generated::server::Failure;
use crate::store::{UploadRecord, VideoRecord, WebhookRecord};
use crate::util::{self, bad_request};

/// The processing step of the configuration, in milliseconds.
pub(crate) fn step_ms(shared: &Shared) -> u64 {
    u64::try_from(shared.config.processing_step.as_millis()).unwrap_or(u64::MAX)
}

/// A new video record waiting for its bytes.
pub(crate) fn new_record(
    shared: &Shared,
    upload: UploadRecord,
    creator: Option<String>,
) -> VideoRecord {
    let now = util::rfc3339(shared.clock.now());
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
        created_ms: shared.read(|s| {
            let last = s.videos.values().map(|r| r.created_ms).max().unwrap_or(0);
            shared.clock.now_ms().max(last + 1)
        }),
        notified: false,
        captions: BTreeMap::new(),
        audio: BTreeMap::new(),
        downloads: BTreeMap::new(),
    }
}

/// The watermark `uid`, if there is one.
pub(crate) fn watermark(shared: &Shared, uid: Option<&str>) -> Option<Watermark> {
    let uid = uid?;
    shared.read(|s| s.watermarks.get(uid).cloned())
}

/// `Ok` once the video is ready at `now`, else `400`: `action` (captions, downloads)
/// needs a ready video.
pub(crate) fn require_ready(
    rec: &VideoRecord,
    now: u64,
    step: u64,
    action: &str,
) -> Result<(), Failure> {
    if matches!(processing(rec, now, step).0, VideoState::Ready) {
        Ok(())
    } else {
        Err(bad_request(format!("{action} once the video is ready")))
    }
}

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
                s.videos
                    .values_mut()
                    .filter(|r| due(r))
                    .map(|r| {
                        r.notified = true;
                        view(&shared, r, now_ms, step)
                    })
                    .collect()
            })
        };
        let Some(hook) = shared.read(|s| s.webhook.clone()) else {
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

pub(crate) fn meta_name(video: &Video) -> Option<&str> {
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

pub(crate) fn set_meta_name(video: &mut Video, name: String) {
    let mut meta = match video.meta.take() {
        Some(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    meta.insert("name".to_owned(), serde_json::Value::String(name));
    video.meta = Some(serde_json::Value::Object(meta));
}
