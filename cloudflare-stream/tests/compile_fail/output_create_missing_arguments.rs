//! Nested resources keep their required arguments: an output needs its live input.

fn main() {
    let client = cloudflare_stream::Client::new("token").unwrap();
    let _request = client.live_inputs().outputs().create();
}
