//! A webhook receiver that accepts only notifications signed by Stream.
//!
//! ```sh
//! WEBHOOK_SECRET=... cargo run -p cloudflare-stream --example webhook_receiver
//! ```
//!
//! It listens on 127.0.0.1:8787 (put it behind the URL registered with
//! `client.webhooks().update(...)`, whose answer holds the secret), verifies
//! `Webhook-Signature` over the raw body, and answers `204` for a valid notification,
//! `401` for a bad or stale signature and `400` for a body that is not a video.

use std::time::SystemTime;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use cloudflare_stream::webhook::{self, WebhookError};

/// Runs the example (see the module docs).
#[tokio::main]
pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = std::env::var("WEBHOOK_SECRET").map_err(|_| "set WEBHOOK_SECRET")?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8787").await?;
    eprintln!("listening on http://{}/", listener.local_addr()?);
    serve(listener, secret).await?;
    Ok(())
}

/// Serves the receiver on `listener` until the task is dropped.
pub async fn serve(listener: tokio::net::TcpListener, secret: String) -> std::io::Result<()> {
    let app = Router::new().route("/", post(receive)).with_state(secret);
    axum::serve(listener, app).await
}

async fn receive(State(secret): State<String>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature = headers
        .get(webhook::SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let now = SystemTime::now();
    match webhook::verify(&secret, signature, &body, now, webhook::DEFAULT_TOLERANCE) {
        Ok(video) => {
            let state = video.status.and_then(|status| status.state);
            println!("video {:?}: {state:?}", video.uid.unwrap_or_default());
            StatusCode::NO_CONTENT
        }
        Err(WebhookError::InvalidBody { path, message }) => {
            eprintln!("signed, but not a video notification at {path}: {message}");
            StatusCode::BAD_REQUEST
        }
        Err(error) => {
            eprintln!("refused: {error}");
            StatusCode::UNAUTHORIZED
        }
    }
}
