//! Uploads a video with the resumable tus protocol, printing progress.
//!
//! ```sh
//! CLOUDFLARE_API_TOKEN=... CLOUDFLARE_ACCOUNT_ID=... \
//!     cargo run -p cloudflare-stream --example upload -- path/to/video.mp4
//! ```
//!
//! A dropped connection, a timeout or a 5xx in the middle of a chunk does not restart
//! the upload: the client asks the server how far it got and goes on from there.

use std::path::Path;

use cloudflare_stream::Client;
use cloudflare_stream::upload::UploadedVideo;

/// Runs the example (see the module docs).
#[tokio::main]
pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: upload <video file>")?;
    // CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID (and CLOUDFLARE_BASE_URL, if set).
    let client = Client::from_env()?;
    let video = run(&client, Path::new(&path), 50 * 1024 * 1024).await?;
    println!("uploaded video {}", video.uid);
    Ok(())
}

/// Uploads the file at `path` in chunks of `chunk_size` bytes and returns the video.
pub async fn run(
    client: &Client,
    path: &Path,
    chunk_size: u64,
) -> Result<UploadedVideo, cloudflare_stream::Error> {
    client
        .upload(path)
        .require_signed_urls(true)
        .max_duration_seconds(3600)
        .chunk_size(chunk_size)
        .on_progress(|progress| {
            eprint!(
                "\r{:>5.1}%  {} / {} bytes",
                progress.fraction() * 100.0,
                progress.sent,
                progress.total
            );
        })
        .send()
        .await
        .inspect(|_| eprintln!())
}
