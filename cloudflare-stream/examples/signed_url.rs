//! Signed URL tokens made locally: one API call creates a signing key, then any number
//! of tokens are signed without further requests.
//!
//! ```sh
//! CLOUDFLARE_API_TOKEN=... CLOUDFLARE_ACCOUNT_ID=... \
//!     cargo run -p cloudflare-stream --example signed_url -- <video uid> <customer code>
//! ```
//!
//! The customer code is the `customer-<code>` subdomain in any of the account's playback
//! URLs. Keep the key (`id` and `pem`): the API shows the private key only once.

use std::time::Duration;

use cloudflare_stream::Client;
use cloudflare_stream::signing::{AccessRule, SigningKey};

/// Runs the example (see the module docs).
#[tokio::main]
pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(video_uid), Some(customer_code)) = (args.next(), args.next()) else {
        return Err("usage: signed_url <video uid> <customer code>".into());
    };
    let client = Client::from_env()?;
    println!("{}", run(&client, &video_uid, &customer_code).await?);
    Ok(())
}

/// Creates a signing key and returns an HLS URL for `video_uid` that works for two
/// hours, from the US and Canada only.
pub async fn run(
    client: &Client,
    video_uid: &str,
    customer_code: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let key = SigningKey::from_key_response(&client.keys().create().send().await?)?;
    let token = key
        .sign(video_uid)
        .expires_in(Duration::from_secs(2 * 3600))
        .access_rule(AccessRule::allow_countries(["US", "CA"]))
        .access_rule(AccessRule::block_any())
        .build()?;
    Ok(token.hls_url(customer_code)?)
}
