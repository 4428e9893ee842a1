//! Bench-only: decodes a 1000-video `videos_list` response body with the generated typed
//! models, with `serde_json::Value`, and with `serde::de::IgnoredAny` (the parse floor: the
//! JSON is read and validated, nothing is built), and prints MB/s (medians of rounds).
//!
//! ```sh
//! bench-decode FIXTURE [--rounds N] [--millis-per-round M] [--only DECODER]
//! ```
//!
//! `--only typed` (or `value`, `ignored-any`, `typed-client-path`) times one decoder alone,
//! which is what a profiler (`perf record`) should watch.
//!
//! FIXTURE is a conformance fixture (its `response.body` is the payload, re-encoded compact).
//! Two bodies are measured: the fixture's, and the same 1000 videos with every field the
//! reference documents (the first video of the sibling `example.json`, uid varied), because
//! the fixture's videos are sparse. One line per body and decoder:
//! `decode <body> <decoder>: <MB/s> MB/s (<µs> µs per body of <bytes> bytes)`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cloudflare_stream::models::VideoListEnvelope;
use serde::de::IgnoredAny;

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let mut fixture = None;
    let mut rounds = 15_usize;
    let mut millis = 200_u64;
    let mut only: Option<String> = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rounds" => rounds = args.next().and_then(|n| n.parse().ok()).unwrap_or(rounds),
            "--millis-per-round" => {
                millis = args.next().and_then(|n| n.parse().ok()).unwrap_or(millis)
            }
            "--only" => only = args.next(),
            _ => fixture = Some(PathBuf::from(arg)),
        }
    }
    let fixture = fixture.ok_or("usage: bench-decode FIXTURE [--rounds N]")?;
    let sparse = body_of(&fixture)?;
    let full = full_body(&fixture, &sparse)?;
    for (label, body) in [("fixture", &sparse), ("full-fields", &full)] {
        // Every decoder must accept the body before it is timed.
        serde_json::from_slice::<VideoListEnvelope>(body)
            .map_err(|e| format!("{label}: the typed model rejects the body: {e}"))?;
        let budget = Duration::from_millis(millis);
        let mut decoders: Vec<(&str, Decoder)> = vec![
            ("typed", |b| {
                black_box(serde_json::from_slice::<VideoListEnvelope>(b).ok());
            }),
            ("typed-client-path", client_path),
            ("value", |b| {
                black_box(serde_json::from_slice::<serde_json::Value>(b).ok());
            }),
            ("ignored-any", |b| {
                black_box(serde_json::from_slice::<IgnoredAny>(b).ok());
            }),
        ];
        if let Some(only) = &only {
            decoders.retain(|(name, _)| name == only);
            if decoders.is_empty() {
                return Err(format!("--only {only}: no such decoder"));
            }
        }
        // Rounds interleave the decoders, so drift on a shared machine hits all alike.
        let mut samples = vec![Vec::new(); decoders.len()];
        for _ in 0..rounds {
            for (index, (_, decode)) in decoders.iter().enumerate() {
                samples[index].push(round(body, *decode, budget));
            }
        }
        for ((name, _), mut per_body) in decoders.iter().zip(samples) {
            per_body.sort_by(f64::total_cmp);
            let median = per_body[per_body.len() / 2];
            println!(
                "decode {label} {name}: {:.1} MB/s ({:.1} µs per body of {} bytes)",
                body.len() as f64 / median / 1e6,
                median * 1e6,
                body.len()
            );
        }
    }
    Ok(())
}

/// One way of decoding a body (its result is dropped through `black_box`).
type Decoder = fn(&[u8]);

/// Seconds per decode, over as many decodes as fit in `budget`.
fn round(body: &[u8], decode: Decoder, budget: Duration) -> f64 {
    let started = Instant::now();
    let mut count = 0_u32;
    while count < 3 || started.elapsed() < budget {
        decode(black_box(body));
        count += 1;
    }
    started.elapsed().as_secs_f64() / f64::from(count)
}

/// What the generated client does with a 2xx JSON body: the runtime's own `decode_json`
/// (failure-envelope check, then the typed decode).
fn client_path(body: &[u8]) {
    let decoded = client_runtime::__private::decode_json::<VideoListEnvelope>(
        "videos_list",
        true,
        reqwest::StatusCode::OK,
        reqwest::header::HeaderMap::new(),
        body,
    );
    black_box(decoded.ok());
}

fn read_json(path: &Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn body_of(fixture: &Path) -> Result<Vec<u8>, String> {
    let value = read_json(fixture)?;
    let body = value
        .pointer("/response/body")
        .ok_or_else(|| format!("{}: no response.body", fixture.display()))?;
    serde_json::to_vec(body).map_err(|e| e.to_string())
}

/// The fixture's envelope with each video replaced by the full example video (uid kept).
fn full_body(fixture: &Path, sparse: &[u8]) -> Result<Vec<u8>, String> {
    let example = fixture.with_file_name("example.json");
    let example = read_json(&example)?;
    let video = example
        .pointer("/response/body/result/0")
        .cloned()
        .ok_or("example.json: no response.body.result[0]")?;
    let mut envelope: serde_json::Value =
        serde_json::from_slice(sparse).map_err(|e| e.to_string())?;
    if let Some(result) = envelope.get_mut("result").and_then(|r| r.as_array_mut()) {
        for item in result.iter_mut() {
            let mut full = video.clone();
            full["uid"] = item["uid"].clone();
            *item = full;
        }
    }
    serde_json::to_vec(&envelope).map_err(|e| e.to_string())
}
