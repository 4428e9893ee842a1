//! `videos().get` needs the video's identifier.

fn main() {
    let client = cloudflare_stream::Client::new("token").unwrap();
    let _request = client.videos().get();
}
