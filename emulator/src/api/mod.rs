//! The generated API traits implemented with Stream's behaviour over the shared state: a
//! module per resource (`videos.rs` implements `VideosApi`, ...), over the [`Service`]
//! defined here with the helpers they share, and the router's hooks (authentication,
//! rate limit, the answer to a request the spec rejects).

mod audio_tracks;
mod captions;
mod downloads;
mod keys;
mod live_inputs;
mod live_inputs_outputs;
mod videos;
mod watermarks;
mod webhooks;

use std::sync::Arc;

use axum::http::StatusCode;

use crate::Shared;
use crate::generated::models::*;
use crate::generated::server::{self as api, Api, Failure, Problem, RequestContext};
use crate::store::{KeyRecord, LiveInputRecord, VideoRecord};
use crate::util::{self, codes, failure, found, internal, not_found, storage_failure};
use crate::video;

/// The [`Api`] implementation: every resource's trait (one module each) and the hooks.
pub struct Service {
    pub(crate) shared: Arc<Shared>,
}

/// A success envelope around `result`.
macro_rules! envelope {
    ($ty:ident, $result:expr) => {{
        let envelope: $ty = client_runtime::Envelope::new($result);
        envelope
    }};
}
use envelope;

/// The answer of an operation from its outcome: the success envelope around the value,
/// or the failure. One place for what almost every operation ends with.
fn answer<T, R>(outcome: Result<T, Failure>) -> Result<R, Failure>
where
    R: From<client_runtime::Envelope<T>>,
{
    outcome.map(|value| client_runtime::Envelope::new(value).into())
}

/// The `"ok"` result of a deletion, or `404 Not Found` naming `what` when nothing was
/// removed.
fn deleted<T>(removed: Option<T>, what: &str) -> Result<String, Failure> {
    found(removed, what).map(|_| "ok".to_owned())
}

impl Service {
    fn now(&self) -> String {
        util::rfc3339(self.shared.clock.now())
    }

    fn step_ms(&self) -> u64 {
        video::step_ms(&self.shared)
    }

    /// The video as answered: stored fields plus status, playback URLs and timestamps
    /// computed at the current clock time.
    fn view(&self, record: &VideoRecord) -> Video {
        video::view(
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

    /// Runs `change` on the store and makes it durable; a failed commit is a 500 envelope,
    /// and nothing of the change is kept.
    fn write<T>(&self, change: impl FnOnce(&mut crate::Store) -> T) -> Result<T, Failure> {
        self.shared.transact(|s| Ok(change(s)), storage_failure)
    }

    /// Runs `change` on the record `pick` finds in the store and makes it durable, as
    /// [`Service::write`]; `404 Not Found` naming `what` when there is no such record.
    fn update<R, T>(
        &self,
        pick: impl FnOnce(&mut crate::Store) -> Option<&mut R>,
        what: &str,
        change: impl FnOnce(&mut R) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        self.shared.transact(
            |s| pick(s).map_or_else(|| Err(not_found(what)), change),
            storage_failure,
        )
    }

    fn update_video<T>(
        &self,
        uid: &str,
        change: impl FnOnce(&mut VideoRecord) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        self.update(|s| s.videos.get_mut(uid), "video", change)
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
        self.update(|s| s.live_inputs.get_mut(uid), "live input", change)
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
        self.write(|s| s.account_key.get_or_insert_with(|| key).clone())
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
}
