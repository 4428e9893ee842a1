//! The `webhooks` operations: [`WebhooksApi`] for [`Service`].

use super::{Service, answer, deleted, envelope};
use crate::generated::models::*;
use crate::generated::server::{self as api, Failure, RequestContext, WebhooksApi};
use crate::store::WebhookRecord;
use crate::util::{self, bad_request, found};

impl WebhooksApi for Service {
    async fn webhooks_get(
        &self,
        _ctx: RequestContext,
        _r: api::WebhooksGetRequest,
    ) -> Result<api::WebhooksGetResponse, Failure> {
        answer(found(self.shared.read(|s| s.webhook.clone()), "webhook").map(|h| webhook_view(&h)))
    }

    async fn webhooks_update(
        &self,
        _ctx: RequestContext,
        r: api::WebhooksUpdateRequest,
    ) -> Result<api::WebhooksUpdateResponse, Failure> {
        let b = r.body.unwrap_or_default();
        let Some(url) = b.notification_url.or(b.notification_url_) else {
            return Err(bad_request("`notificationUrl` is required"));
        };
        if reqwest::Url::parse(&url).is_err() {
            return Err(bad_request("`notificationUrl` is not a URL"));
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
            s.webhook = Some(hook.clone());
            hook
        });
        Ok(envelope!(WebhookUpdateEnvelope, webhook_view(&hook)).into())
    }

    async fn webhooks_delete(
        &self,
        _ctx: RequestContext,
        _r: api::WebhooksDeleteRequest,
    ) -> Result<api::WebhooksDeleteResponse, Failure> {
        answer(deleted(self.shared.update(|s| s.webhook.take()), "webhook"))
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
