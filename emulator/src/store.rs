//! The emulator's state: records in one [`Store`] (kept in memory, read under one lock),
//! uploaded bytes in a [`Blobs`] store (memory or a directory), and their persistence.
//!
//! Persistence (`--persist DIR`) is an embedded transactional database, `DIR/state.redb`
//! ([redb]: copy-on-write B-trees, ACID, crash-safe, written in Rust so CI needs no C
//! toolchain; the records are JSON documents looked up by id, a key-value store's shape, so
//! SQLite's SQL would buy nothing). Each API change is one write transaction holding exactly
//! the records it touched (the [`Table`]s and [`Slot`]s journal what a change modifies), and
//! the change is acknowledged only after the transaction committed with an fsync; a failed
//! commit rolls the change back in memory too and is answered as an error, so memory and
//! disk never disagree. A kill leaves the last committed transaction.
//!
//! Uploaded bytes go to `DIR/blobs/<uid>`: tus chunks are appended and become part of the
//! upload when the record's offset is committed (a blob longer than that offset, a chunk cut
//! off by a kill, is truncated back on load); a whole-body upload is written to
//! `<uid>.partial` and renamed into place only when complete, and leftover `.partial` files
//! are deleted on load, so a retried upload never appends to a broken one.
//!
//! A directory written by an older emulator (one `state.json` snapshot) is migrated into the
//! database on first start, in one transaction, and the file renamed to
//! `state.json.migrated`; one that does not parse is refused with its path in the message.
//!
//! [redb]: https://www.redb.org

use std::collections::{BTreeMap, HashMap};
use std::io;

use redb::ReadableTable as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use bytes::Bytes;
use futures_util::Stream;
use serde::{Deserialize, Serialize};

use crate::generated::models::{Audio, LiveInput, Output, Video, Watermark};

/// A part of the [`Store`] that journals the change in progress, to keep or undo it.
trait Journaled {
    /// Keeps the change: forgets the journal.
    fn settle(&mut self);
    /// Undoes the change in progress.
    fn roll_back(&mut self);
}

/// Records of one kind by id, journaling which ids a change touched (and what they held
/// before), so that only those are written and a failed write can be undone.
///
/// Reads go through `Deref` to the map; every way to change it is a method here that
/// journals, so a change that forgets to journal does not compile.
///
/// Stored as its rows alone: the journal lives only while a change is in progress.
#[derive(Debug, Clone, Serialize, Deserialize)]
// The journal is skipped and starts empty: no `V: Default` bound (serde's guess).
#[serde(transparent, bound(deserialize = "V: Deserialize<'de>"))]
pub struct Table<V> {
    rows: BTreeMap<String, V>,
    /// Ids touched by the change in progress, with the value each had before it.
    #[serde(skip)]
    journal: BTreeMap<String, Option<V>>,
}

impl<V> Default for Table<V> {
    fn default() -> Self {
        Self {
            rows: BTreeMap::new(),
            journal: BTreeMap::new(),
        }
    }
}

impl<V> std::ops::Deref for Table<V> {
    type Target = BTreeMap<String, V>;
    fn deref(&self) -> &Self::Target {
        &self.rows
    }
}

impl<V: Clone> Table<V> {
    fn touch(&mut self, id: &str) {
        if !self.journal.contains_key(id) {
            self.journal
                .insert(id.to_owned(), self.rows.get(id).cloned());
        }
    }

    /// Journals every record (as new): what a migration writes.
    fn touch_all(&mut self) {
        for id in self.rows.keys() {
            self.journal.insert(id.clone(), None);
        }
    }

    /// The record `id`, to change.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut V> {
        self.touch(id);
        self.rows.get_mut(id)
    }

    /// Inserts or replaces the record `id`.
    pub fn insert(&mut self, id: String, value: V) -> Option<V> {
        self.touch(&id);
        self.rows.insert(id, value)
    }

    /// Removes the record `id`.
    pub fn remove(&mut self, id: &str) -> Option<V> {
        self.touch(id);
        self.rows.remove(id)
    }

    /// Changes every record that `pick` selects with `change`, collecting what it returns;
    /// only the selected records are journaled.
    pub fn update_where<T>(
        &mut self,
        mut pick: impl FnMut(&V) -> bool,
        mut change: impl FnMut(&mut V) -> T,
    ) -> Vec<T> {
        let ids: Vec<String> = self
            .rows
            .iter()
            .filter(|(_, v)| pick(v))
            .map(|(id, _)| id.clone())
            .collect();
        ids.iter()
            .filter_map(|id| self.get_mut(id).map(&mut change))
            .collect()
    }

    /// What the change in progress did: each touched id with its value now (`None`: gone).
    fn changes(&self) -> impl Iterator<Item = (&str, Option<&V>)> {
        self.journal
            .keys()
            .map(|id| (id.as_str(), self.rows.get(id)))
    }
}

impl<V> Journaled for Table<V> {
    fn settle(&mut self) {
        self.journal.clear();
    }

    fn roll_back(&mut self) {
        for (id, before) in std::mem::take(&mut self.journal) {
            match before {
                Some(value) => self.rows.insert(id, value),
                None => self.rows.remove(&id),
            };
        }
    }
}

/// One optional record (the webhook, the account key), journaled like a [`Table`] row.
///
/// Stored as its value alone, like a [`Table`]'s rows.
#[derive(Debug, Clone, Serialize, Deserialize)]
// The journal is skipped and starts empty: no `V: Default` bound (serde's guess).
#[serde(transparent, bound(deserialize = "V: Deserialize<'de>"))]
pub struct Slot<V> {
    value: Option<V>,
    /// The value before the change in progress, once it touched the slot.
    #[serde(skip)]
    journal: Option<Option<V>>,
}

impl<V> Default for Slot<V> {
    fn default() -> Self {
        Self {
            value: None,
            journal: None,
        }
    }
}

impl<V> std::ops::Deref for Slot<V> {
    type Target = Option<V>;
    fn deref(&self) -> &Self::Target {
        &self.value
    }
}

impl<V: Clone> Slot<V> {
    fn touch(&mut self) {
        if self.journal.is_none() {
            self.journal = Some(self.value.clone());
        }
    }

    /// Sets the record, returning the previous one.
    pub fn set(&mut self, value: V) -> Option<V> {
        self.touch();
        self.value.replace(value)
    }

    /// Removes the record.
    pub fn take(&mut self) -> Option<V> {
        self.touch();
        self.value.take()
    }

    /// The record, made by `make` first if there is none.
    pub fn get_or_insert_with(&mut self, make: impl FnOnce() -> V) -> &mut V {
        self.touch();
        self.value.get_or_insert_with(make)
    }

    fn changed(&self) -> Option<Option<&V>> {
        self.journal.as_ref().map(|_| self.value.as_ref())
    }
}

impl<V> Journaled for Slot<V> {
    fn settle(&mut self) {
        self.journal = None;
    }

    fn roll_back(&mut self) {
        if let Some(before) = self.journal.take() {
            self.value = before;
        }
    }
}

/// Everything the emulator remembers, in one value.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Store {
    /// Videos by uid.
    pub videos: Table<VideoRecord>,
    /// Signing keys by id.
    pub keys: Table<KeyRecord>,
    /// The key `/token` signs with when the request brings none (not listed).
    #[serde(default)]
    pub account_key: Slot<KeyRecord>,
    /// Live inputs by uid.
    pub live_inputs: Table<LiveInputRecord>,
    /// Watermark profiles by uid.
    pub watermarks: Table<Watermark>,
    /// The webhook subscription.
    #[serde(default)]
    pub webhook: Slot<WebhookRecord>,
}

impl Store {
    /// Every journaled part of the store: the one list [`Store::settle`] and
    /// [`Store::roll_back`] go through, so neither can miss a table.
    fn journaled(&mut self) -> [&mut dyn Journaled; 6] {
        [
            &mut self.videos,
            &mut self.keys,
            &mut self.account_key,
            &mut self.live_inputs,
            &mut self.watermarks,
            &mut self.webhook,
        ]
    }

    /// Keeps the change in progress: forgets every journal.
    pub(crate) fn settle(&mut self) {
        self.journaled().into_iter().for_each(|part| part.settle());
    }

    /// Undoes the change in progress in every part.
    pub(crate) fn roll_back(&mut self) {
        self.journaled()
            .into_iter()
            .for_each(|part| part.roll_back());
    }
}

/// A video and what hangs off it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VideoRecord {
    /// The stored fields (the computed ones are filled when answering).
    pub video: Video,
    /// How the bytes arrive.
    pub upload: UploadRecord,
    /// Clock time (ms since the epoch) when the last byte arrived: processing starts.
    pub uploaded_ms: Option<u64>,
    /// Whether the first bytes look like a video container.
    pub is_video: bool,
    /// Clock time (ms) of creation, for ordering and the list filters.
    pub created_ms: u64,
    /// Whether the ready/error webhook was sent.
    pub notified: bool,
    /// Captions by language.
    pub captions: BTreeMap<String, CaptionRecord>,
    /// Extra audio tracks by uid.
    pub audio: BTreeMap<String, Audio>,
    /// Downloads by type (`default`, `audio`): clock time (ms) of creation.
    pub downloads: BTreeMap<String, u64>,
}

/// How a video's bytes arrive.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum UploadRecord {
    /// A tus upload of `length` bytes, `offset` of them received.
    Tus {
        /// `Upload-Length`.
        length: u64,
        /// Bytes received and committed.
        offset: u64,
    },
    /// A direct creator upload URL waiting for its one `POST`.
    Direct {
        /// Clock time (ms) after which the URL is refused.
        expires_ms: u64,
        /// Whether the `POST` came.
        used: bool,
    },
    /// Copied or clipped on the server; `done` once the bytes are there.
    Server {
        /// Whether the bytes are stored.
        done: bool,
    },
}

/// A caption track.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaptionRecord {
    /// Display label.
    pub label: String,
    /// The WebVTT text.
    pub vtt: String,
    /// Made by `generate`.
    pub generated: bool,
    /// Clock time (ms) of creation: generated captions are ready one processing step later.
    pub created_ms: u64,
}

/// A signing key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyRecord {
    /// Key id.
    pub id: String,
    /// Creation time, RFC 3339.
    pub created: String,
    /// The private key, PKCS#1 PEM text.
    pub pem: String,
    /// The private key as a JWK, JSON text.
    pub jwk: String,
}

/// A live input and its outputs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LiveInputRecord {
    /// The live input as answered.
    pub input: LiveInput,
    /// Default creator of its recordings.
    pub default_creator: Option<String>,
    /// Outputs by uid.
    pub outputs: BTreeMap<String, Output>,
}

/// The webhook subscription.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhookRecord {
    /// Where notifications go.
    pub url: String,
    /// The signing secret.
    pub secret: String,
    /// RFC 3339.
    pub modified: String,
}

/// The database's tables: one per record kind, JSON documents by id; the two single
/// records under fixed ids of `singletons`.
const VIDEOS: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("videos");
const KEYS: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("keys");
const LIVE_INPUTS: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("live_inputs");
const WATERMARKS: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("watermarks");
const SINGLETONS: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("singletons");
const ACCOUNT_KEY: &str = "account_key";
const WEBHOOK: &str = "webhook";

/// Where the store is kept between runs: nowhere, or a database in a directory.
#[derive(Debug)]
pub struct Persistence {
    dir: Option<PathBuf>,
    db: Option<redb::Database>,
    /// How many of the next commits fail as if the disk had ([`Persistence::fail_next`]).
    failures: std::sync::atomic::AtomicU32,
}

/// The database's errors, as I/O errors naming the file.
fn db_error(path: &Path, e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("{}: {e}", path.display()))
}

impl Persistence {
    /// Memory only, or the directory `dir` (created if needed) with its database.
    pub fn new(dir: Option<PathBuf>) -> io::Result<Self> {
        let Some(dir) = dir else {
            return Ok(Self {
                dir: None,
                db: None,
                failures: 0.into(),
            });
        };
        std::fs::create_dir_all(dir.join("blobs"))?;
        let path = dir.join("state.redb");
        let db = redb::Database::create(&path).map_err(|e| db_error(&path, e))?;
        Ok(Self {
            dir: Some(dir),
            db: Some(db),
            failures: 0.into(),
        })
    }

    /// The directory, if any.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The saved store (empty without a directory); an older `state.json` is migrated;
    /// blobs cut off by a kill are truncated to their committed offset and unfinished
    /// whole-body uploads deleted.
    pub fn load(&self) -> io::Result<Store> {
        let (Some(dir), Some(db)) = (&self.dir, &self.db) else {
            return Ok(Store::default());
        };
        let path = dir.join("state.redb");
        let legacy = dir.join("state.json");
        if legacy.is_file() {
            self.migrate(&legacy)?;
        }
        let read = db.begin_read().map_err(|e| db_error(&path, e))?;
        let mut store = Store::default();
        read_table(&read, VIDEOS, &path, &mut store.videos)?;
        read_table(&read, KEYS, &path, &mut store.keys)?;
        read_table(&read, LIVE_INPUTS, &path, &mut store.live_inputs)?;
        read_table(&read, WATERMARKS, &path, &mut store.watermarks)?;
        store.account_key.value = read_single(&read, ACCOUNT_KEY, &path)?;
        store.webhook.value = read_single(&read, WEBHOOK, &path)?;
        Blobs::recover(dir, &store)?;
        Ok(store)
    }

    /// Moves an older emulator's `state.json` into the database (one transaction) and
    /// renames it `state.json.migrated`.
    fn migrate(&self, legacy: &Path) -> io::Result<()> {
        let bytes = std::fs::read(legacy)?;
        let mut store: Store = from_json(&bytes).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{}: not a state snapshot this emulator can migrate ({e}); move it away to \
                     start empty",
                    legacy.display()
                ),
            )
        })?;
        // Everything in the snapshot is new to the database.
        store.videos.touch_all();
        store.keys.touch_all();
        store.live_inputs.touch_all();
        store.watermarks.touch_all();
        store.account_key.touch();
        store.webhook.touch();
        self.commit(&mut store)?;
        let mut done = legacy.as_os_str().to_owned();
        done.push(".migrated");
        std::fs::rename(legacy, done)
    }

    /// Writes what the change in progress touched, in one durable transaction (nothing to
    /// do in memory). On success the change is kept; on failure it is undone in memory
    /// too, and the error returned.
    pub fn commit(&self, store: &mut Store) -> io::Result<()> {
        let result = self.write(store);
        match result {
            Ok(()) => store.settle(),
            Err(_) => store.roll_back(),
        }
        result
    }

    /// Makes the next `n` commits fail (in memory mode too), as a full or broken disk would.
    pub fn fail_next(&self, n: u32) {
        self.failures.store(n, std::sync::atomic::Ordering::SeqCst);
    }

    /// Writes what the change in progress touched, leaving the journal as it is.
    pub(crate) fn write(&self, store: &Store) -> io::Result<()> {
        use std::sync::atomic::Ordering;
        if self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(io::Error::other(
                "injected storage failure (Emulator::fail_writes)",
            ));
        }
        match (&self.dir, &self.db) {
            (Some(dir), Some(db)) => write_changes(db, &dir.join("state.redb"), store),
            _ => Ok(()),
        }
    }
}

/// Serializes a record.
fn to_json(value: &impl Serialize, path: &Path) -> io::Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| db_error(path, e))
}

/// Reads a record (or a legacy snapshot) without serde_json's nesting limit: whatever the
/// API accepted (its bodies are parsed with the limit) sits a few levels deeper inside its
/// record, and must load all the same. `serde_stacker` grows the stack as deep values need.
fn from_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> serde_json::Result<T> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    deserializer.disable_recursion_limit();
    let value = T::deserialize(serde_stacker::Deserializer::new(&mut deserializer))?;
    deserializer.end()?;
    Ok(value)
}

fn read_table<V: serde::de::DeserializeOwned>(
    read: &redb::ReadTransaction,
    definition: redb::TableDefinition<&str, &[u8]>,
    path: &Path,
    into: &mut Table<V>,
) -> io::Result<()> {
    let table = match read.open_table(definition) {
        Ok(table) => table,
        // Nothing of this kind was ever written.
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(()),
        Err(e) => return Err(db_error(path, e)),
    };
    for row in table.iter().map_err(|e| db_error(path, e))? {
        let (id, bytes) = row.map_err(|e| db_error(path, e))?;
        let value = from_json(bytes.value())
            .map_err(|e| db_error(path, format!("record {:?}: {e}", id.value())))?;
        into.rows.insert(id.value().to_owned(), value);
    }
    Ok(())
}

/// A [`Slot`]'s change as the one-row change of its fixed id.
fn single<V>(
    id: &'static str,
    changed: Option<Option<V>>,
) -> impl Iterator<Item = (&'static str, Option<V>)> {
    changed.map(|value| (id, value)).into_iter()
}

fn read_single<V: serde::de::DeserializeOwned>(
    read: &redb::ReadTransaction,
    id: &str,
    path: &Path,
) -> io::Result<Option<V>> {
    let table = match read.open_table(SINGLETONS) {
        Ok(table) => table,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(e) => return Err(db_error(path, e)),
    };
    let Some(bytes) = table.get(id).map_err(|e| db_error(path, e))? else {
        return Ok(None);
    };
    from_json(bytes.value())
        .map(Some)
        .map_err(|e| db_error(path, format!("record {id:?}: {e}")))
}

fn write_changes(db: &redb::Database, path: &Path, store: &Store) -> io::Result<()> {
    fn apply<V: Serialize>(
        txn: &redb::WriteTransaction,
        definition: redb::TableDefinition<&str, &[u8]>,
        changes: impl Iterator<Item = (impl AsRef<str>, Option<V>)>,
        path: &Path,
    ) -> io::Result<()> {
        let mut changes = changes.peekable();
        if changes.peek().is_none() {
            return Ok(());
        }
        let mut table = txn.open_table(definition).map_err(|e| db_error(path, e))?;
        for (id, value) in changes {
            match value {
                Some(value) => {
                    let bytes = to_json(&value, path)?;
                    table
                        .insert(id.as_ref(), bytes.as_slice())
                        .map_err(|e| db_error(path, e))?;
                }
                None => {
                    table.remove(id.as_ref()).map_err(|e| db_error(path, e))?;
                }
            }
        }
        Ok(())
    }
    let touched = !store.videos.journal.is_empty()
        || !store.keys.journal.is_empty()
        || !store.live_inputs.journal.is_empty()
        || !store.watermarks.journal.is_empty()
        || store.account_key.changed().is_some()
        || store.webhook.changed().is_some();
    if !touched {
        return Ok(());
    }
    let txn = db.begin_write().map_err(|e| db_error(path, e))?;
    apply(&txn, VIDEOS, store.videos.changes(), path)?;
    apply(&txn, KEYS, store.keys.changes(), path)?;
    apply(&txn, LIVE_INPUTS, store.live_inputs.changes(), path)?;
    apply(&txn, WATERMARKS, store.watermarks.changes(), path)?;
    apply(
        &txn,
        SINGLETONS,
        single(ACCOUNT_KEY, store.account_key.changed()),
        path,
    )?;
    apply(
        &txn,
        SINGLETONS,
        single(WEBHOOK, store.webhook.changed()),
        path,
    )?;
    // `Durability::Immediate` (redb's default): the commit returns once it is on disk.
    txn.commit().map_err(|e| db_error(path, e))
}

/// A whole blob being written ([`Blobs::begin_whole`]): nothing is visible under its uid
/// until [`WholeBlob::finish`].
#[derive(Debug)]
pub struct WholeBlob<'a> {
    blobs: &'a Blobs,
    uid: String,
    /// The `.partial` file on disk.
    file: Option<tokio::fs::File>,
    /// The pieces, in memory.
    pieces: Vec<Bytes>,
}

impl WholeBlob<'_> {
    /// Adds the next piece.
    pub async fn push(&mut self, piece: Bytes) -> io::Result<()> {
        use tokio::io::AsyncWriteExt as _;
        match &mut self.file {
            Some(file) => file.write_all(&piece).await,
            None => {
                self.pieces.push(piece);
                Ok(())
            }
        }
    }

    /// Makes the blob the one stored under its uid (synced to disk first).
    pub async fn finish(mut self) -> io::Result<()> {
        match (self.blobs, self.file.take()) {
            (Blobs::Disk(dir), Some(file)) => {
                file.sync_all().await?;
                drop(file);
                tokio::fs::rename(
                    Blobs::partial_path(dir, &self.uid),
                    Blobs::path(dir, &self.uid),
                )
                .await
            }
            (Blobs::Memory(map), _) => {
                map.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(self.uid.clone(), std::mem::take(&mut self.pieces));
                Ok(())
            }
            (Blobs::Disk(_), None) => Err(io::Error::other("the blob was already finished")),
        }
    }

    /// Drops what was written.
    pub async fn abort(mut self) {
        if let (Blobs::Disk(dir), Some(file)) = (self.blobs, self.file.take()) {
            drop(file);
            let _ = tokio::fs::remove_file(Blobs::partial_path(dir, &self.uid)).await;
        }
    }
}

/// Uploaded bytes by video uid: pieces in memory, or files in `<dir>/blobs`.
#[derive(Debug)]
pub enum Blobs {
    /// In memory: each blob a list of the pieces received (never joined into one buffer).
    Memory(Mutex<HashMap<String, Vec<Bytes>>>),
    /// On disk.
    Disk(PathBuf),
}

impl Blobs {
    /// The store matching a persistence setting.
    pub fn new(dir: Option<&Path>) -> Self {
        match dir {
            Some(dir) => Blobs::Disk(dir.join("blobs")),
            None => Blobs::Memory(Mutex::new(HashMap::new())),
        }
    }

    fn path(dir: &Path, uid: &str) -> PathBuf {
        dir.join(uid)
    }

    /// Where a whole-body upload is written until it is complete.
    fn partial_path(dir: &Path, uid: &str) -> PathBuf {
        dir.join(format!("{uid}.partial"))
    }

    /// After a restart: tus blobs longer than their committed offset (a chunk cut off by a
    /// kill) are truncated back to it, and unfinished whole-body uploads are deleted.
    fn recover(dir: &Path, store: &Store) -> io::Result<()> {
        let blobs = dir.join("blobs");
        for (uid, record) in store.videos.iter() {
            if let UploadRecord::Tus { offset, .. } = record.upload
                && let Ok(file) = std::fs::OpenOptions::new()
                    .write(true)
                    .open(Self::path(&blobs, uid))
                && file.metadata()?.len() > offset
            {
                file.set_len(offset)?;
                file.sync_all()?;
            }
        }
        for entry in std::fs::read_dir(&blobs)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "partial") {
                std::fs::remove_file(path)?;
            }
        }
        Ok(())
    }

    /// Starts writing a whole blob (a direct upload's file), to replace any under `uid`
    /// only when [`WholeBlob::finish`] is called: on disk it goes to `<uid>.partial`, synced
    /// and renamed into place at the end, so a cut-off upload leaves nothing a retry would
    /// append to (a leftover from a kill is deleted on the next load).
    pub async fn begin_whole(&self, uid: &str) -> io::Result<WholeBlob<'_>> {
        let file = match self {
            Blobs::Memory(_) => None,
            Blobs::Disk(dir) => Some(tokio::fs::File::create(Self::partial_path(dir, uid)).await?),
        };
        Ok(WholeBlob {
            blobs: self,
            uid: uid.to_owned(),
            file,
            pieces: Vec::new(),
        })
    }

    /// Appends pieces (one chunk) to a blob.
    pub async fn append(&self, uid: &str, pieces: Vec<Bytes>) -> io::Result<()> {
        match self {
            Blobs::Memory(map) => {
                let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
                map.entry(uid.to_owned()).or_default().extend(pieces);
                Ok(())
            }
            Blobs::Disk(dir) => {
                use tokio::io::AsyncWriteExt as _;
                let mut file = tokio::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(Self::path(dir, uid))
                    .await?;
                for piece in pieces {
                    file.write_all(&piece).await?;
                }
                file.sync_data().await?;
                Ok(())
            }
        }
    }

    /// Copies a blob (clips and copies share the source's bytes).
    pub async fn copy(&self, from: &str, to: &str) -> io::Result<()> {
        match self {
            Blobs::Memory(map) => {
                let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
                let pieces = map.get(from).cloned().unwrap_or_default();
                map.insert(to.to_owned(), pieces);
                Ok(())
            }
            Blobs::Disk(dir) => {
                match tokio::fs::copy(Self::path(dir, from), Self::path(dir, to)).await {
                    Ok(_) => Ok(()),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        tokio::fs::write(Self::path(dir, to), b"").await
                    }
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// Removes a blob (absent is fine).
    pub async fn remove(&self, uid: &str) {
        match self {
            Blobs::Memory(map) => {
                map.lock().unwrap_or_else(|e| e.into_inner()).remove(uid);
            }
            Blobs::Disk(dir) => {
                let _ = tokio::fs::remove_file(Self::path(dir, uid)).await;
            }
        }
    }

    /// The bytes of a blob as a stream of pieces (64 KiB reads from disk).
    pub async fn stream(
        &self,
        uid: &str,
    ) -> io::Result<impl Stream<Item = io::Result<Bytes>> + Send + 'static + use<>> {
        enum Source {
            Pieces(std::vec::IntoIter<Bytes>),
            File(tokio::fs::File),
        }
        let source = match self {
            Blobs::Memory(map) => {
                let map = map.lock().unwrap_or_else(|e| e.into_inner());
                Source::Pieces(map.get(uid).cloned().unwrap_or_default().into_iter())
            }
            Blobs::Disk(dir) => Source::File(tokio::fs::File::open(Self::path(dir, uid)).await?),
        };
        Ok(futures_util::stream::unfold(source, |source| async move {
            match source {
                Source::Pieces(mut pieces) => {
                    pieces.next().map(|p| (Ok(p), Source::Pieces(pieces)))
                }
                Source::File(mut file) => {
                    use tokio::io::AsyncReadExt as _;
                    let mut buf = vec![0u8; 64 * 1024];
                    match file.read(&mut buf).await {
                        Ok(0) => None,
                        Ok(n) => {
                            buf.truncate(n);
                            Some((Ok(Bytes::from(buf)), Source::File(file)))
                        }
                        Err(e) => Some((Err(e), Source::File(file))),
                    }
                }
            }
        }))
    }
}
