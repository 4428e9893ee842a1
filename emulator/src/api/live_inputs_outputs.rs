//! The `live_inputs_outputs` operations: [`LiveInputsOutputsApi`] for [`Service`].

use super::{Service, answer};
use crate::generated::models::*;
use crate::generated::server::{self as api, Failure, LiveInputsOutputsApi, RequestContext};
use crate::util::{self, found};

impl LiveInputsOutputsApi for Service {
    async fn live_inputs_outputs_list(
        &self,
        _ctx: RequestContext,
        r: api::LiveInputsOutputsListRequest,
    ) -> Result<api::LiveInputsOutputsListResponse, Failure> {
        answer(self.live_input(&r.live_input_identifier, |l| {
            l.outputs.values().cloned().collect::<Vec<_>>()
        }))
    }

    async fn live_inputs_outputs_create(
        &self,
        _ctx: RequestContext,
        r: api::LiveInputsOutputsCreateRequest,
    ) -> Result<api::LiveInputsOutputsCreateResponse, Failure> {
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
    ) -> Result<api::LiveInputsOutputsUpdateResponse, Failure> {
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
    ) -> Result<api::LiveInputsOutputsDeleteResponse, Failure> {
        self.update_live_input(&r.live_input_identifier, |l| {
            found(l.outputs.remove(&r.output_identifier), "output")
        })?;
        Ok(EmptyObject::new().into())
    }
}
