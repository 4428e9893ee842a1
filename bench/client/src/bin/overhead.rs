//! Bench-only: per-request cost of the generated client against a local server, next to a
//! bare `reqwest` call doing the same work (GET with the same headers, read the body,
//! decode the same typed model with `serde_json`).
//!
//! ```sh
//! overhead [--requests N] [--rounds R]
//! ```
//!
//! The server runs on its own thread and runtime; the callers share one current-thread
//! runtime. Rounds alternate client and bare, and the medians are printed:
//! `overhead client: X µs/request`, `overhead bare-reqwest: Y µs/request`.

use std::time::Instant;

use axum::Router;
use axum::routing::get;
use cloudflare_stream::Client;
use cloudflare_stream::models::VideoEnvelope;

const VIDEO: &str = r#"{"errors":[],"messages":[],"success":true,"result":{"uid":"ea95132c15732412d22c1476fa83f27a","created":"2014-01-02T02:20:00Z","readyToStream":true,"status":{"state":"ready"},"duration":12.5,"size":4190963,"meta":{"name":"video12.mp4"},"requireSignedURLs":false}}"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut requests = 2000_u32;
    let mut rounds = 5_usize;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--requests" => requests = args.next().and_then(|n| n.parse().ok()).unwrap_or(requests),
            "--rounds" => rounds = args.next().and_then(|n| n.parse().ok()).unwrap_or(rounds),
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }

    let (address_tx, address_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("server runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            address_tx
                .send(listener.local_addr().expect("address"))
                .expect("send");
            let app = Router::new().fallback(get(|| async {
                ([("content-type", "application/json")], VIDEO)
            }));
            axum::serve(listener, app).await.expect("serve");
        });
    });
    let address = address_rx.recv()?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let base = format!("http://{address}/client/v4");
        let client = Client::builder()
            .token("bench-token")
            .path_default("account_id", "023e105f4ecef8ad9ca31a8372d0c353")
            .base_url(base.clone())
            .build()?;
        let bare = reqwest::Client::builder().use_rustls_tls().build()?;
        let url = format!(
            "{base}/accounts/023e105f4ecef8ad9ca31a8372d0c353/stream/ea95132c15732412d22c1476fa83f27a"
        );

        let ours = async || -> Result<(), Box<dyn std::error::Error>> {
            let video = client
                .videos()
                .get("ea95132c15732412d22c1476fa83f27a")
                .send()
                .await?;
            std::hint::black_box(video);
            Ok(())
        };
        let theirs = async || -> Result<(), Box<dyn std::error::Error>> {
            let response = bare
                .get(&url)
                .bearer_auth("bench-token")
                .header("user-agent", "bench")
                .send()
                .await?
                .error_for_status()?;
            let body = response.bytes().await?;
            let video: VideoEnvelope = serde_json::from_slice(&body)?;
            std::hint::black_box(video.result);
            Ok(())
        };

        // Warm both (connections, pools) before timing.
        for _ in 0..200 {
            ours().await?;
            theirs().await?;
        }
        let mut ours_us = Vec::new();
        let mut theirs_us = Vec::new();
        for _ in 0..rounds {
            let started = Instant::now();
            for _ in 0..requests {
                ours().await?;
            }
            ours_us.push(started.elapsed().as_secs_f64() * 1e6 / f64::from(requests));
            let started = Instant::now();
            for _ in 0..requests {
                theirs().await?;
            }
            theirs_us.push(started.elapsed().as_secs_f64() * 1e6 / f64::from(requests));
        }
        println!("overhead client: {:.1} µs/request", median(ours_us));
        println!("overhead bare-reqwest: {:.1} µs/request", median(theirs_us));
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
