//! Enum-typed parameters take the enum, not a string.

fn main() {
    let client = cloudflare_stream::Client::new("token").unwrap();
    let _request = client.videos().list().status("ready");
}
