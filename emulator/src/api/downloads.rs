//! The `downloads` operations: [`DownloadsApi`] for [`Service`].

use super::{Service, answer};
use crate::generated::models::*;
use crate::generated::server::{self as api, DownloadsApi, Failure, RequestContext};
use crate::store::VideoRecord;
use crate::video::require_ready;

impl DownloadsApi for Service {
    async fn downloads_list(
        &self,
        _ctx: RequestContext,
        r: api::DownloadsListRequest,
    ) -> Result<api::DownloadsListResponse, Failure> {
        answer(self.video(&r.identifier, |rec| self.downloads_view(rec)))
    }

    async fn downloads_create(
        &self,
        _ctx: RequestContext,
        r: api::DownloadsCreateRequest,
    ) -> Result<api::DownloadsCreateResponse, Failure> {
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
    ) -> Result<api::DownloadsDeleteResponse, Failure> {
        let result = self.update_video(&r.identifier, |rec| {
            rec.downloads.clear();
            Ok(())
        });
        answer(result.map(|()| "ok".to_owned()))
    }
}

impl Service {
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
}
