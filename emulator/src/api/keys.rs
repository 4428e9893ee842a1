//! The `keys` operations: [`KeysApi`] for [`Service`].

use super::{Service, answer, deleted, envelope};
use crate::generated::models::*;
use crate::generated::server::{self as api, Failure, KeysApi, RequestContext};
use crate::util::{self};

impl KeysApi for Service {
    async fn keys_list(
        &self,
        _ctx: RequestContext,
        _r: api::KeysListRequest,
    ) -> Result<api::KeysListResponse, Failure> {
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
        Ok(envelope!(KeyGetListEnvelope, keys).into())
    }

    async fn keys_create(
        &self,
        _ctx: RequestContext,
        _r: api::KeysCreateRequest,
    ) -> Result<api::KeysCreateResponse, Failure> {
        let key = self.generate_key().await?;
        let answer = Keys {
            extra: Default::default(),
            id: Some(key.id.clone()),
            created: Some(util::ts(key.created.clone())),
            pem: Some(crate::playback::encoded(&key.pem)),
            jwk: Some(crate::playback::encoded(&key.jwk)),
        };
        self.shared.update(|s| s.keys.insert(key.id.clone(), key));
        Ok(envelope!(KeysEnvelope, answer).into())
    }

    async fn keys_delete(
        &self,
        _ctx: RequestContext,
        r: api::KeysDeleteRequest,
    ) -> Result<api::KeysDeleteResponse, Failure> {
        answer(deleted(
            self.shared.update(|s| s.keys.remove(&r.identifier)),
            "signing key",
        ))
    }
}
