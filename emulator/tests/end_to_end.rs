//! The SDK against the emulator, end to end: the crate's examples (upload, direct creator
//! upload, signed URL, webhook receiver) and the scenario of the issue: a 20 MiB tus upload
//! whose connection drops mid-chunk, resumed, ready announced by a webhook the crate's
//! `webhook` module verifies, then a key, a token and signed playback.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use cloudflare_stream::Client;
use stream_emulator::{Config, Emulator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

// Each example's `main` is for `cargo run --example`; the tests call its `run`/`serve`.
#[path = "../../cloudflare-stream/examples/upload.rs"]
#[allow(dead_code)]
mod upload_example;

#[path = "../../cloudflare-stream/examples/direct_creator_upload.rs"]
#[allow(dead_code)]
mod direct_example;

#[path = "../../cloudflare-stream/examples/signed_url.rs"]
#[allow(dead_code)]
mod signed_url_example;

#[path = "../../cloudflare-stream/examples/webhook_receiver.rs"]
#[allow(dead_code)]
mod webhook_example;

fn config() -> Config {
    Config {
        processing_step: Duration::from_millis(50),
        ..Config::default()
    }
}

fn client_for(base_url: &str, emulator: &Emulator) -> Client {
    Client::builder()
        .base_url(base_url)
        .token(emulator.token())
        .path_default("account_id", emulator.account_id())
        .retry_backoff(Duration::from_millis(10), Duration::from_millis(50))
        .build()
        .expect("a valid client configuration")
}

/// A file that starts like an MP4 (`ftyp`), `len` bytes long.
fn video_file(dir: &Path, len: usize) -> PathBuf {
    let mut bytes = vec![0u8; len];
    bytes[..12].copy_from_slice(b"\0\0\0\x18ftypmp42");
    for (i, b) in bytes.iter_mut().enumerate().skip(12) {
        *b = (i % 251) as u8;
    }
    let path = dir.join("video.mp4");
    std::fs::write(&path, &bytes).expect("write the test video");
    path
}

async fn wait_until(mut ready: impl FnMut() -> bool) {
    for _ in 0..400 {
        if ready() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out");
}

/// A TCP proxy to `upstream` that cuts the first connection carrying a `PATCH` after
/// `cut_after` bytes of it went through: a connection dropped mid-chunk.
async fn cutting_proxy(
    upstream: std::net::SocketAddr,
    cut_after: usize,
) -> (String, Arc<AtomicBool>) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the proxy");
    let address = listener.local_addr().expect("proxy address");
    let cut = Arc::new(AtomicBool::new(false));
    let flag = cut.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let flag = flag.clone();
            tokio::spawn(async move {
                let Ok(mut server) = TcpStream::connect(upstream).await else {
                    return;
                };
                let (mut cr, mut cw) = client.split();
                let (mut sr, mut sw) = server.split();
                let up = async {
                    let mut buf = vec![0u8; 64 * 1024];
                    let mut sent = 0usize;
                    let mut patch = false;
                    loop {
                        let n = match cr.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        if buf[..n].starts_with(b"PATCH") {
                            patch = true;
                        }
                        if patch && !flag.load(Ordering::SeqCst) {
                            sent += n;
                            if sent > cut_after {
                                flag.store(true, Ordering::SeqCst);
                                return; // drop both halves: the connection is gone
                            }
                        }
                        if sw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    let _ = sw.shutdown().await;
                };
                let down = async {
                    let _ = tokio::io::copy(&mut sr, &mut cw).await;
                };
                tokio::select! {
                    () = up => {}
                    () = down => {}
                }
            });
        }
    });
    (format!("http://{address}"), cut)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_tus_drop_resume_webhook_key_token_playback() {
    let emulator = Emulator::start(config()).await.expect("start the emulator");
    let client = client_for(&emulator.api_base_url(), &emulator);
    let dir = tempfile::tempdir().expect("a temp dir");

    // A webhook receiver: the crate's example, which verifies signatures with `webhook`.
    let receiver = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the receiver");
    let receiver_url = format!("http://{}/", receiver.local_addr().expect("address"));
    let hook = client
        .webhooks()
        .update()
        .notification_url(receiver_url.clone())
        .send()
        .await
        .expect("set the webhook");
    let secret = hook.secret.expect("a webhook secret");
    tokio::spawn(webhook_example::serve(receiver, secret));

    // 20 MiB over tus in 5 MiB chunks, through a proxy that drops the connection in the
    // middle of the second chunk.
    let path = video_file(dir.path(), 20 * 1024 * 1024);
    let upstream: std::net::SocketAddr = emulator
        .base_url()
        .trim_start_matches("http://")
        .parse()
        .expect("the emulator's address");
    let (proxy, cut) = cutting_proxy(upstream, 7 * 1024 * 1024).await;
    let through_proxy = client_for(&format!("{proxy}/client/v4"), &emulator);
    let video = through_proxy
        .upload(path.as_path())
        .name("scenario.mp4")
        .require_signed_urls(true)
        .chunk_size(5 * 1024 * 1024)
        .send()
        .await
        .expect("the upload resumes after the drop");
    assert!(
        cut.load(Ordering::SeqCst),
        "the connection was dropped mid-chunk"
    );
    let uid = video.uid.clone();

    // Processing: queued/inprogress, then ready; the webhook announces it, verified (204).
    let polled = client
        .videos()
        .get(&uid)
        .send()
        .await
        .expect("get the video");
    assert_eq!(polled.size, Some(20 * 1024 * 1024));
    wait_until(|| emulator.webhooks().iter().any(|d| d.body.contains(&uid))).await;
    let delivery = emulator
        .webhooks()
        .into_iter()
        .find(|d| d.body.contains(&uid))
        .expect("a delivery");
    assert_eq!(delivery.url, receiver_url);
    assert_eq!(
        delivery.status,
        Some(204),
        "the receiver verified the signature"
    );
    assert!(delivery.body.contains("\"state\":\"ready\""));
    let ready = client
        .videos()
        .get(&uid)
        .send()
        .await
        .expect("get the video");
    assert_eq!(ready.ready_to_stream, Some(true));

    // Playback: refused without a signature (requireSignedURLs), allowed with a token from
    // `/token` and with one signed locally by the signed-URL example's key.
    let http = reqwest::Client::new();
    let unsigned = http
        .get(emulator.playback_url(&uid))
        .send()
        .await
        .expect("play");
    assert_eq!(unsigned.status(), 401);
    let token = client
        .videos()
        .create_token(&uid)
        .send()
        .await
        .expect("a token")
        .token
        .expect("a token string");
    let played = http
        .get(emulator.playback_url(&token))
        .send()
        .await
        .expect("play");
    assert_eq!(played.status(), 200);
    let bytes = played.bytes().await.expect("the video bytes");
    assert_eq!(bytes.len(), 20 * 1024 * 1024);
    assert_eq!(&bytes[..], &std::fs::read(&path).expect("read back")[..]);

    let hls = signed_url_example::run(&client, &uid, "emulator")
        .await
        .expect("the signed URL example");
    let local = hls
        .split('/')
        .nth(3)
        .map(str::to_owned)
        .expect("a token in the URL");
    let from_us = http
        .get(emulator.playback_url(&local))
        .header("CF-IPCountry", "US")
        .send()
        .await
        .expect("play");
    assert_eq!(from_us.status(), 200);
    let from_fr = http
        .get(emulator.playback_url(&local))
        .header("CF-IPCountry", "FR")
        .send()
        .await
        .expect("play");
    assert_eq!(
        from_fr.status(),
        403,
        "the access rules block other countries"
    );

    // Expired tokens are refused once the clock moves past `exp`.
    emulator.advance(Duration::from_secs(3 * 3600));
    let late = http
        .get(emulator.playback_url(&token))
        .send()
        .await
        .expect("play");
    assert_eq!(late.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn examples_upload_and_direct_creator_upload() {
    let emulator = Emulator::start(config()).await.expect("start the emulator");
    // Both forms of base URL work.
    let client = client_for(emulator.base_url(), &emulator);
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = video_file(dir.path(), 6 * 1024 * 1024);

    let video = upload_example::run(&client, &path, 5 * 1024 * 1024)
        .await
        .expect("the upload example");
    let end_user = Client::builder()
        .base_url(emulator.api_base_url())
        .no_auth()
        .build()
        .expect("an anonymous client");
    let (basic, tus) = direct_example::run(&client, &end_user, &path)
        .await
        .expect("the direct creator upload example");
    for uid in [&video.uid, &basic, &tus] {
        let v = client.videos().get(uid.as_str()).send().await.expect("get");
        assert_eq!(v.size, Some(6 * 1024 * 1024), "{uid}");
    }
    // A direct upload URL takes one POST only.
    let direct = client
        .videos()
        .direct_upload(60)
        .send()
        .await
        .expect("direct");
    let url = direct.upload_url.expect("a URL");
    end_user
        .upload_to_direct_url(url.clone(), path.as_path())
        .send()
        .await
        .expect("first POST");
    let again = end_user
        .upload_to_direct_url(url, path.as_path())
        .send()
        .await;
    assert!(again.is_err(), "a second POST is refused");
}
