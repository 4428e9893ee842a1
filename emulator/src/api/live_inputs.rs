//! The `live_inputs` operations: [`LiveInputsApi`] for [`Service`].

use std::collections::BTreeMap;

use super::{Service, answer, envelope};
use crate::generated::models::*;
use crate::generated::server::{self as api, Failure, LiveInputsApi, RequestContext};
use crate::store::LiveInputRecord;
use crate::util::{self, not_found};

impl LiveInputsApi for Service {
    async fn live_inputs_list(
        &self,
        _ctx: RequestContext,
        r: api::LiveInputsListRequest,
    ) -> Result<api::LiveInputsListResponse, Failure> {
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
        Ok(envelope!(
            LiveInputListEnvelope,
            LiveInputListResponse {
                extra: Default::default(),
                live_inputs: Some(inputs),
                range: counts.then_some(0),
                total: counts.then_some(total),
            }
        )
        .into())
    }

    async fn live_inputs_create(
        &self,
        _ctx: RequestContext,
        r: api::LiveInputsCreateRequest,
    ) -> Result<api::LiveInputsCreateResponse, Failure> {
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
        Ok(envelope!(LiveInputEnvelope, input).into())
    }

    async fn live_inputs_get(
        &self,
        _ctx: RequestContext,
        r: api::LiveInputsGetRequest,
    ) -> Result<api::LiveInputsGetResponse, Failure> {
        answer(self.live_input(&r.live_input_identifier, |l| l.input.clone()))
    }

    async fn live_inputs_update(
        &self,
        _ctx: RequestContext,
        r: api::LiveInputsUpdateRequest,
    ) -> Result<api::LiveInputsUpdateResponse, Failure> {
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
    ) -> Result<api::LiveInputsDeleteResponse, Failure> {
        match self
            .shared
            .update(|s| s.live_inputs.remove(&r.live_input_identifier))
        {
            Some(_) => Ok(EmptyObject::new().into()),
            None => Err(not_found("live input")),
        }
    }
}
