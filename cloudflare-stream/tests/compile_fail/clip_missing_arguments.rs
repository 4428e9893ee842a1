//! `videos().clip` takes the source video and both clip bounds.

fn main() {
    let client = cloudflare_stream::Client::new("token").unwrap();
    let _request = client.videos().clip("uid");
}
