//! Upload throughput and memory over loopback: starts a tus server in this process that
//! checks offsets and discards the bytes, then uploads a generated stream to it.
//!
//! ```sh
//! cargo build --release -p cloudflare-stream --example upload_bench
//! /usr/bin/time -v target/release/examples/upload_bench            # 1 GiB, 50 MiB chunks
//! /usr/bin/time -v target/release/examples/upload_bench 256 5 progress reader
//! ```
//!
//! Arguments: size in MiB (1024), chunk size in MiB (50), then any of `progress` (report
//! progress through a channel) and `reader` (upload through [`UploadSource::reader`], which
//! cannot seek and so keeps each chunk for resends, instead of
//! [`UploadSource::seekable_reader`], which is how paths and files are read). Prints the
//! throughput and the peak resident memory (`VmHWM`) of the process, server included.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use cloudflare_stream::Client;
use cloudflare_stream::upload::UploadSource;
use futures::StreamExt;
use tokio::io::{AsyncRead, AsyncSeek, ReadBuf};

const MIB: u64 = 1024 * 1024;

#[tokio::main]
pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let size_mib: u64 = args.next().map_or(Ok(1024), |arg| arg.parse())?;
    let chunk_mib: u64 = args.next().map_or(Ok(50), |arg| arg.parse())?;
    let flags: Vec<String> = args.collect();
    let progress = flags.iter().any(|flag| flag == "progress");
    let keep = flags.iter().any(|flag| flag == "reader");
    let size = size_mib * MIB;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let sink = Arc::new(Sink::default());
    let app = Router::new().fallback(handle).with_state(sink.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let client = Client::builder()
        .token("bench")
        .account_id("bench")
        .base_url(format!("http://{address}/client/v4"))
        .build()?;
    let source = if keep {
        UploadSource::reader(Pattern::new(size), size)
    } else {
        UploadSource::seekable_reader(Pattern::new(size), size)
    };
    let mut upload = client.upload(source).chunk_size(chunk_mib * MIB);
    if progress {
        let (sender, _receiver) = tokio::sync::watch::channel(Default::default());
        upload = upload.progress_channel(sender);
    }
    let started = Instant::now();
    let video = upload.send().await?;
    let elapsed = started.elapsed();

    assert_eq!(sink.received.load(Ordering::SeqCst), size);
    let mib_per_s = size as f64 / MIB as f64 / elapsed.as_secs_f64();
    println!(
        "uploaded {size_mib} MiB from a {} in {chunk_mib} MiB chunks{} to {} in {:.2} s: {mib_per_s:.0} MiB/s; peak RSS {}",
        if keep { "reader" } else { "seekable reader" },
        if progress { " with progress" } else { "" },
        video.upload_url,
        elapsed.as_secs_f64(),
        peak_rss().unwrap_or_else(|| "unknown".to_owned()),
    );
    Ok(())
}

/// The process's peak resident set size, from `/proc/self/status` (Linux).
fn peak_rss() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    Some(line.trim_start_matches("VmHWM:").trim().to_owned())
}

/// One upload's state: the tus offset, which counts what was received.
#[derive(Default)]
struct Sink {
    length: AtomicU64,
    received: AtomicU64,
}

async fn handle(
    State(sink): State<Arc<Sink>>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok()?.parse::<u64>().ok())
    };
    let host = headers
        .get("host")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("127.0.0.1");
    match method {
        Method::POST => {
            sink.length
                .store(header("upload-length").unwrap_or(0), Ordering::SeqCst);
            Response::builder()
                .status(StatusCode::CREATED)
                .header("location", format!("http://{host}/tus/bench"))
                .header("stream-media-id", "bench")
                .body(Body::empty())
                .unwrap_or_default()
        }
        Method::HEAD => Response::builder()
            .header("upload-offset", sink.received.load(Ordering::SeqCst))
            .header("upload-length", sink.length.load(Ordering::SeqCst))
            .body(Body::empty())
            .unwrap_or_default(),
        Method::PATCH => {
            if header("upload-offset") != Some(sink.received.load(Ordering::SeqCst)) {
                return StatusCode::CONFLICT.into_response();
            }
            let mut stream = body.into_data_stream();
            while let Some(Ok(bytes)) = stream.next().await {
                sink.received
                    .fetch_add(bytes.len() as u64, Ordering::SeqCst);
            }
            Response::builder()
                .status(StatusCode::NO_CONTENT)
                .header("upload-offset", sink.received.load(Ordering::SeqCst))
                .body(Body::empty())
                .unwrap_or_default()
        }
        _ => StatusCode::METHOD_NOT_ALLOWED.into_response(),
    }
}

/// `length` generated bytes, from a 64 KiB block repeated (never held in full).
struct Pattern {
    block: Vec<u8>,
    position: u64,
    length: u64,
}

impl Pattern {
    fn new(length: u64) -> Self {
        let block = (0..64 * 1024_u32)
            .map(|index| (index.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        Self {
            block,
            position: 0,
            length,
        }
    }
}

impl AsyncRead for Pattern {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let mut left = (this.length - this.position).min(buf.remaining() as u64) as usize;
        while left > 0 {
            let start = (this.position % this.block.len() as u64) as usize;
            let take = left.min(this.block.len() - start);
            buf.put_slice(&this.block[start..start + take]);
            this.position += take as u64;
            left -= take;
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncSeek for Pattern {
    fn start_seek(self: Pin<&mut Self>, position: io::SeekFrom) -> io::Result<()> {
        let this = self.get_mut();
        let target = match position {
            io::SeekFrom::Start(at) => Some(at),
            io::SeekFrom::End(delta) => this.length.checked_add_signed(delta),
            io::SeekFrom::Current(delta) => this.position.checked_add_signed(delta),
        };
        this.position = target
            .filter(|at| *at <= this.length)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek out of range"))?;
        Ok(())
    }

    fn poll_complete(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        Poll::Ready(Ok(self.position))
    }
}
