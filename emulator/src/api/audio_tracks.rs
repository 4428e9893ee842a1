//! The `audio_tracks` operations: [`AudioTracksApi`] for [`Service`].

use super::{Service, answer, deleted};
use crate::generated::models::*;
use crate::generated::server::{self as api, AudioTracksApi, Failure, RequestContext};
use crate::util::{self, found, not_found};

impl AudioTracksApi for Service {
    async fn audio_tracks_list(
        &self,
        _ctx: RequestContext,
        r: api::AudioTracksListRequest,
    ) -> Result<api::AudioTracksListResponse, Failure> {
        answer(self.video(&r.identifier, |rec| AudioTrackGetResponse {
            extra: Default::default(),
            audio: Some(rec.audio.values().cloned().collect()),
        }))
    }

    async fn audio_tracks_delete(
        &self,
        _ctx: RequestContext,
        r: api::AudioTracksDeleteRequest,
    ) -> Result<api::AudioTracksDeleteResponse, Failure> {
        answer(self.update_video(&r.identifier, |rec| {
            deleted(rec.audio.remove(&r.audio_identifier), "audio track")
        }))
    }

    async fn audio_tracks_edit(
        &self,
        _ctx: RequestContext,
        r: api::AudioTracksEditRequest,
    ) -> Result<api::AudioTracksEditResponse, Failure> {
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
    ) -> Result<api::AudioTracksCopyResponse, Failure> {
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
}
