//! A local, stateful Cloudflare Stream for tests: what Miniflare is for Workers.
//!
//! The API is served from bindings generated from the same OpenAPI document as the
//! `cloudflare-stream` client ([`generated::server::Api`]), so every request is decoded
//! and validated against the spec, and a spec change that the emulator does not follow
//! fails to compile. Around it: a tus 1.0 upload server, direct creator upload URLs,
//! processing as a state machine on a controllable clock, webhooks signed as Cloudflare
//! signs them, real RSA signing keys and RS256 tokens, and a playback endpoint that
//! enforces signed URLs.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let emulator = stream_emulator::Emulator::start(stream_emulator::Config::default()).await?;
//! let client = cloudflare_stream::Client::builder()
//!     .base_url(emulator.api_base_url())
//!     .token(emulator.token())
//!     .path_default("account_id", emulator.account_id())
//!     .build()
//!     .expect("a valid configuration");
//! # let _ = client;
//! emulator.advance(std::time::Duration::from_secs(10)); // processing moves on
//! let delivered = emulator.webhooks();                  // what was POSTed
//! # let _ = delivered;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

// Layers, each module using only the layers before its own (and the shared state below):
// the generated bindings; store and util; the video domain; uploads and playback; the API
// modules (a resource each); the router.
mod api;
pub use cloudflare_stream_server::generated;
mod playback;
mod router;
mod serve;
mod store;
mod uploads;
mod util;
mod video;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;

pub use serve::Limits;
pub use store::Store;

/// How an emulator runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The address to listen on (`127.0.0.1:0`: a free port).
    pub listen: SocketAddr,
    /// The account id it serves; other accounts get `403`.
    pub account_id: String,
    /// The API token it accepts (`Authorization: Bearer`).
    pub token: String,
    /// The email and global API key it accepts (`X-Auth-Email` + `X-Auth-Key`).
    pub email_key: Option<(String, String)>,
    /// The time of one processing step: a video is `queued` for one step, `inprogress`
    /// for two (with `pctComplete` rising), then `ready` (or `error` after one step for
    /// a file that is not a video). Zero: ready as soon as uploaded.
    pub processing_step: Duration,
    /// Answer `429` past this many API calls in one second (`None`: no limit).
    pub rate_limit: Option<u32>,
    /// Keep state in this directory across restarts (`None`: memory only).
    pub persist: Option<PathBuf>,
    /// The largest upload accepted, in bytes (30 GB, Cloudflare's limit, by default).
    pub max_upload_bytes: u64,
    /// How long a direct creator upload URL stays valid unless the request says (30 min).
    pub direct_upload_expiry: Duration,
    /// The server's time limits: header read (10 s) and shutdown grace (3 s).
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            account_id: "emulator-account".to_owned(),
            token: "emulator-token".to_owned(),
            email_key: None,
            processing_step: Duration::from_millis(200),
            rate_limit: None,
            persist: None,
            max_upload_bytes: 30_000_000_000,
            direct_upload_expiry: Duration::from_secs(30 * 60),
            limits: Limits::default(),
        }
    }
}

/// A webhook the emulator POSTed (or tried to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The notification URL.
    pub url: String,
    /// The `Webhook-Signature` header sent.
    pub signature: String,
    /// The JSON body sent (the video).
    pub body: String,
    /// The receiver's status code, or `None` when it could not be reached.
    pub status: Option<u16>,
}

/// The emulator's clock: the wall clock plus an offset that [`Emulator::advance`] moves.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset_ms: AtomicU64,
}

impl Clock {
    pub(crate) fn now(&self) -> SystemTime {
        SystemTime::now() + Duration::from_millis(self.offset_ms.load(Ordering::Relaxed))
    }

    pub(crate) fn now_ms(&self) -> u64 {
        u64::try_from(
            self.now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_millis(),
        )
        .unwrap_or(u64::MAX)
    }

    fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

/// The state shared by every handler.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) base_url: String,
    pub(crate) clock: Clock,
    pub(crate) store: Mutex<Store>,
    pub(crate) blobs: store::Blobs,
    pub(crate) persistence: store::Persistence,
    pub(crate) deliveries: Mutex<Vec<Delivery>>,
    pub(crate) tick: Notify,
    pub(crate) rate: Mutex<(u64, u32)>,
    /// Uploads with a request writing them (see [`Shared::claim_writer`]).
    pub(crate) writers: Mutex<std::collections::HashSet<String>>,
    pub(crate) http: reqwest::Client,
}

impl Shared {
    /// Runs `change` on the store and commits what it touched (one durable transaction
    /// under `--persist`); its result is returned once the change is durable. When `change`
    /// fails, or the commit does (mapped by `storage`), the change is undone and the error
    /// returned: the caller answers it, and nothing of the change is visible or kept.
    pub(crate) fn transact<T, E>(
        &self,
        change: impl FnOnce(&mut Store) -> Result<T, E>,
        storage: impl FnOnce(std::io::Error) -> E,
    ) -> Result<T, E> {
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        let out = match change(&mut store) {
            Ok(out) => out,
            Err(e) => {
                store.roll_back();
                return Err(e);
            }
        };
        blocking(|| self.persistence.commit(&mut store))
            .map(|()| out)
            .map_err(storage)
    }

    /// [`Shared::transact`] for a change that cannot fail by itself.
    pub(crate) fn try_update<T>(&self, change: impl FnOnce(&mut Store) -> T) -> std::io::Result<T> {
        self.transact(|store| Ok(change(store)), |e| e)
    }

    /// Runs `change` and writes it, keeping it in memory even when the write fails (the
    /// failure is logged). For the callers not yet answering a failed write as an error;
    /// [`Shared::try_update`] is the one that loses nothing.
    pub(crate) fn update<T>(&self, change: impl FnOnce(&mut Store) -> T) -> T {
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        let out = change(&mut store);
        if let Err(e) = blocking(|| self.persistence.write(&store)) {
            eprintln!("stream-emulator: cannot save state: {e}");
        }
        store.settle();
        out
    }

    /// Claims the one writer slot of upload `uid` (a tus upload's `PATCH`/`DELETE`, a
    /// direct upload's `POST`); `None` while another request holds it. The slot is freed
    /// when the guard drops, however the request ends.
    pub(crate) fn claim_writer(&self, uid: &str) -> Option<WriterGuard<'_>> {
        let mut writers = self.writers.lock().unwrap_or_else(|e| e.into_inner());
        writers.insert(uid.to_owned()).then(|| WriterGuard {
            shared: self,
            uid: uid.to_owned(),
        })
    }

    /// Reads the store.
    pub(crate) fn read<T>(&self, look: impl FnOnce(&Store) -> T) -> T {
        let store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        look(&store)
    }
}

/// Runs `io`, which waits for the disk (a commit's fsync), off the async worker where the
/// runtime allows it (a multi-threaded one), so other connections are served meanwhile; on
/// a current-thread runtime (tests) it just runs.
fn blocking<T>(io: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(io),
        _ => io(),
    }
}

/// The writer slot of one upload, held for as long as the request writing it.
#[derive(Debug)]
pub(crate) struct WriterGuard<'a> {
    shared: &'a Shared,
    uid: String,
}

impl Drop for WriterGuard<'_> {
    fn drop(&mut self) {
        self.shared
            .writers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.uid);
    }
}

/// A running emulator. Dropping it stops the server (state in a `persist` directory is
/// already saved: every change is written when it happens).
#[derive(Debug)]
pub struct Emulator {
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    ticker: tokio::task::JoinHandle<()>,
}

impl Emulator {
    /// Binds `config.listen` and serves in the background of the current Tokio runtime.
    ///
    /// # Errors
    ///
    /// When the address cannot be bound or the persisted state cannot be read.
    pub async fn start(config: Config) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        let address = listener.local_addr()?;
        let persistence = store::Persistence::new(config.persist.clone())?;
        let store = persistence.load()?;
        let blobs = store::Blobs::new(persistence.dir());
        let shared = Arc::new(Shared {
            base_url: format!("http://{address}"),
            config,
            clock: Clock::default(),
            store: Mutex::new(store),
            blobs,
            persistence,
            deliveries: Mutex::new(Vec::new()),
            tick: Notify::new(),
            rate: Mutex::new((0, 0)),
            writers: Mutex::new(std::collections::HashSet::new()),
            http: reqwest::Client::new(),
        });
        let app = router::app(shared.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let limits = shared.config.limits;
        let server = tokio::spawn(serve::serve(
            listener,
            app,
            async {
                let _ = rx.await;
            },
            limits,
        ));
        let ticker = tokio::spawn(video::notifier(shared.clone()));
        Ok(Emulator {
            shared,
            shutdown: Some(tx),
            server: Some(server),
            ticker,
        })
    }

    /// `http://127.0.0.1:PORT`: the API is served here and under `/client/v4`.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// `http://127.0.0.1:PORT/client/v4`, the form of Cloudflare's own base URL.
    pub fn api_base_url(&self) -> String {
        format!("{}/client/v4", self.shared.base_url)
    }

    /// The API token it accepts.
    pub fn token(&self) -> &str {
        &self.shared.config.token
    }

    /// The account id it serves.
    pub fn account_id(&self) -> &str {
        &self.shared.config.account_id
    }

    /// The local playback URL of a video (`{base}/playback/{uid or token}/video`), which
    /// enforces signed URLs as Stream's delivery does.
    pub fn playback_url(&self, uid_or_token: &str) -> String {
        format!("{}/playback/{uid_or_token}/video", self.shared.base_url)
    }

    /// Makes the next `n` changes fail as if the disk had (a full disk, an I/O error): the
    /// API answers each with a 500 envelope and keeps nothing of it. For tests of a client's
    /// handling of server errors, and of the emulator's promise that an answered write is
    /// durable and a failed one leaves no trace.
    pub fn fail_writes(&self, n: u32) {
        self.shared.persistence.fail_next(n);
    }

    /// Moves the emulator's clock forward: processing, expiries and token times follow.
    pub fn advance(&self, by: Duration) {
        self.shared.clock.advance(by);
        self.shared.tick.notify_one();
    }

    /// The emulator's current time.
    pub fn now(&self) -> SystemTime {
        self.shared.clock.now()
    }

    /// Every webhook POSTed so far, oldest first.
    pub fn webhooks(&self) -> Vec<Delivery> {
        self.shared
            .deliveries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A copy of the whole state (for assertions).
    pub fn snapshot(&self) -> Store {
        self.shared.read(Clone::clone)
    }

    /// Stops serving and waits for the server to finish open requests.
    pub async fn shutdown(mut self) {
        self.stop();
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.ticker.abort();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// Checks a success body of `operation_id` against the spec's schema for it (the schema
/// the generated bindings embed): one message per violation.
///
/// # Errors
///
/// The violations, or why the operation or its schema is unknown.
pub fn check_response(operation_id: &str, body: &serde_json::Value) -> Result<(), Vec<String>> {
    use generated::server::{OPERATIONS, SCHEMA_DEFS};
    let info = OPERATIONS
        .iter()
        .find(|o| o.id == operation_id)
        .ok_or_else(|| vec![format!("unknown operation `{operation_id}`")])?;
    let Some(schema) = info.response_schema else {
        return Err(vec![format!("`{operation_id}` has no JSON success body")]);
    };
    let mut root: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(schema).map_err(|e| vec![e.to_string()])?;
    let defs: serde_json::Value =
        serde_json::from_str(SCHEMA_DEFS).map_err(|e| vec![e.to_string()])?;
    root.insert("$defs".to_owned(), defs);
    root.insert(
        "$schema".to_owned(),
        "https://json-schema.org/draft/2020-12/schema".into(),
    );
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&serde_json::Value::Object(root))
        .map_err(|e| vec![e.to_string()])?;
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
