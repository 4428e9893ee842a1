//! The HTTP server loop, on hyper directly rather than `axum::serve`, for two things a
//! server facing careless or hostile clients needs and `axum::serve` does not offer:
//!
//! - a header-read timeout: a client that opens a connection and sends its request head
//!   slowly (or never) is dropped after [`Limits::header_read_timeout`], so a thousand slow
//!   connections cannot hold every file descriptor; it also bounds how long an idle
//!   keep-alive connection waits for its next request;
//! - a shutdown with a deadline: on stop, the listener closes, open connections are asked to
//!   finish their current request, and whatever is still open after
//!   [`Limits::shutdown_grace`] is closed, so Ctrl-C ends the process within seconds even
//!   while a client holds a request open.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tower::ServiceExt as _;

/// The server's time limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long a connection may take to send a request's head (and how long an idle
    /// keep-alive connection is kept for its next one).
    pub header_read_timeout: Duration,
    /// How long a stop waits for open requests before closing them.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(3),
        }
    }
}

/// Serves `app` on `listener` until `stop` completes, then shuts down within the grace.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    stop: impl Future<Output = ()>,
    limits: Limits,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors, or a connection reset before it was
                        // accepted: wait a moment instead of spinning on the error.
                        eprintln!("stream-emulator: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                // What axum's `into_make_service_with_connect_info` would insert: the
                // playback handler reads the peer address from it.
                let service = app.clone().map_request(move |mut request: hyper::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                    request
                });
                let service = hyper_util::service::TowerToHyperService::new(service);
                let mut builder = hyper::server::conn::http1::Builder::new();
                builder
                    .timer(TokioTimer::new())
                    .header_read_timeout(limits.header_read_timeout);
                let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
                connections.spawn(async move {
                    // A connection's own errors (a client gone mid-request, a header
                    // timeout) end that connection only.
                    let _ = connection.await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            () = &mut stop => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_grace) => {}
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
}
