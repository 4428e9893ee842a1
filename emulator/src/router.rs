//! The whole application: the generated API router (implemented by [`Service`]) at `/`
//! and `/client/v4`, the upload and playback routes, and Cloudflare's envelope for unknown
//! routes. The top of the emulator's layers: store and video domain, uploads and the API
//! modules, then this.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::IntoResponse;

use crate::Shared;
use crate::api::Service;
use crate::generated::server as api;
use crate::util::{codes, failure};

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
}
