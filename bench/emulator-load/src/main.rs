//! `bench-emulator-load [SECONDS] [CONNECTIONS]`: the emulator (in this process, on
//! loopback) under a mixed API load from `CONNECTIONS` concurrent clients (200 by default),
//! once in memory mode and once with `--persist` on a temporary directory, `SECONDS` each
//! (5 by default) after a one-second warm-up. Prints one line per mode:
//!
//! `mode=memory requests=N rps=R p50_ms=A p99_ms=B errors=E`
//!
//! The mix, per client in turn: six video reads, one list of ten, two edits (a write of one
//! record each) and one new direct upload (a write of a new record): 30% writes, as a test
//! suite that creates, changes and reads back would send.

use std::sync::Arc;
use std::time::{Duration, Instant};

use stream_emulator::{Config, Emulator};

const VIDEOS: usize = 200;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seconds: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(5);
    let connections: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(200);
    for persist in [false, true] {
        let dir = tempfile::tempdir().expect("a temp dir");
        let config = Config {
            persist: persist.then(|| dir.path().to_owned()),
            rate_limit: None,
            ..Config::default()
        };
        let emulator = Emulator::start(config).await.expect("the emulator starts");
        let report = run(&emulator, Duration::from_secs(seconds), connections).await;
        println!(
            "mode={} requests={} rps={:.0} p50_ms={:.1} p99_ms={:.1} errors={}",
            if persist { "persist" } else { "memory" },
            report.requests,
            report.rps,
            report.p50_ms,
            report.p99_ms,
            report.errors
        );
        emulator.shutdown().await;
    }
}

struct Report {
    requests: usize,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: usize,
}

struct Target {
    http: reqwest::Client,
    base: String,
    token: String,
    uids: Vec<String>,
}

impl Target {
    async fn send(&self, step: usize, client: usize) -> bool {
        let uid = &self.uids[(client * 7 + step) % self.uids.len()];
        let request = match step % 10 {
            0..=5 => self.http.get(format!("{}/{uid}", self.base)),
            6 => self.http.get(format!("{}?limit=10", self.base)),
            7 | 8 => self
                .http
                .post(format!("{}/{uid}", self.base))
                .header("content-type", "application/json")
                .body(format!(r#"{{"meta":{{"name":"c{client}-s{step}"}}}}"#)),
            _ => self
                .http
                .post(format!("{}/direct_upload", self.base))
                .header("content-type", "application/json")
                .body(r#"{"maxDurationSeconds":60}"#),
        };
        match request.bearer_auth(&self.token).send().await {
            Ok(response) => {
                let ok = response.status().is_success();
                ok && response.bytes().await.is_ok()
            }
            Err(_) => false,
        }
    }
}

async fn run(emulator: &Emulator, duration: Duration, connections: usize) -> Report {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .build()
        .expect("a client");
    let base = format!(
        "{}/accounts/{}/stream",
        emulator.api_base_url(),
        emulator.account_id()
    );
    let mut uids = Vec::with_capacity(VIDEOS);
    for _ in 0..VIDEOS {
        let text = http
            .post(format!("{base}/direct_upload"))
            .bearer_auth(emulator.token())
            .header("content-type", "application/json")
            .body(r#"{"maxDurationSeconds":60}"#)
            .send()
            .await
            .expect("setup")
            .text()
            .await
            .expect("setup body");
        let uid = text
            .split("\"uid\":\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a uid in the answer")
            .to_owned();
        uids.push(uid);
    }
    let target = Arc::new(Target {
        http,
        base,
        token: emulator.token().to_owned(),
        uids,
    });
    let warm_up = Instant::now() + Duration::from_secs(1);
    let end = warm_up + duration;
    let mut tasks = Vec::with_capacity(connections);
    for client in 0..connections {
        let target = target.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            let mut step = client;
            loop {
                let started = Instant::now();
                if started >= end {
                    break;
                }
                let ok = target.send(step, client).await;
                if started >= warm_up {
                    latencies.push(started.elapsed());
                    errors += usize::from(!ok);
                }
                step += 1;
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (l, e) = task.await.expect("a client task");
        latencies.extend(l);
        errors += e;
    }
    latencies.sort();
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Report {
        requests: latencies.len(),
        rps: latencies.len() as f64 / duration.as_secs_f64(),
        p50_ms: pick(0.5),
        p99_ms: pick(0.99),
        errors,
    }
}
