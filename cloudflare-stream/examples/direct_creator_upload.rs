//! Direct creator uploads: the server, which holds the API token, creates one-time upload
//! URLs; the end user's client, which has no token, sends the video there.
//!
//! ```sh
//! CLOUDFLARE_API_TOKEN=... CLOUDFLARE_ACCOUNT_ID=... \
//!     cargo run -p cloudflare-stream --example direct_creator_upload -- path/to/video.mp4
//! ```
//!
//! Two ways: a basic `POST` of the whole file (up to 200 MB), and tus with
//! `direct_user=true` (any size, resumable).

use std::path::Path;

use cloudflare_stream::{Client, Error};

/// Runs the example (see the module docs).
#[tokio::main]
pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: direct_creator_upload <video file>")?;
    let server = Client::from_env()?;
    // The end user's client: no credentials, only the URLs it is given.
    let end_user = Client::builder().no_auth().build()?;
    let (basic, tus) = run(&server, &end_user, Path::new(&path)).await?;
    println!("basic POST upload: video {basic}; tus upload: video {tus}");
    Ok(())
}

/// Uploads `path` twice, once each way; returns the two video uids.
pub async fn run(
    server: &Client,
    end_user: &Client,
    path: &Path,
) -> Result<(String, String), Error> {
    // Basic POST: the server reserves a video and gets a one-time URL...
    let direct = server
        .videos()
        .direct_upload(3600)
        .require_signed_urls(true)
        .send()
        .await?;
    let (Some(basic_uid), Some(url)) = (direct.uid, direct.upload_url) else {
        return Err(Error::invalid_request(
            "the direct upload has no uid or URL",
        ));
    };
    // ...which the end user's client posts the file to, without a token.
    end_user.upload_to_direct_url(url, path).send().await?;

    // tus: the server creates the upload for the file's size...
    let size = tokio::fs::metadata(path).await?.len();
    let created = server
        .tus_upload_url(size)
        .name("from a creator")
        .max_duration_seconds(3600)
        .send()
        .await?;
    // ...and the end user's client sends the bytes, resumably, without a token.
    let video = end_user
        .resume_upload(created.upload_url, path)
        .send()
        .await?;
    Ok((basic_uid, video.uid))
}
