//! The emulator's state: records in one serializable [`Store`], uploaded bytes in a
//! [`Blobs`] store (memory or a directory), and persistence of both.
//!
//! Persistence: after every change the whole store is written to `state.json.tmp`, synced
//! and renamed over `state.json`, so a kill leaves either the old or the new state, never a
//! torn file. Bytes go to `blobs/<uid>`; a blob longer than its record's committed offset
//! (a chunk cut off by a kill) is truncated back when the state is loaded.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use bytes::Bytes;
use futures_util::Stream;
use serde::{Deserialize, Serialize};

use crate::generated::models::{Audio, LiveInput, Output, Video, Watermark};

/// Everything the emulator remembers, in one value.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Store {
    /// Videos by uid.
    pub videos: BTreeMap<String, VideoRecord>,
    /// Signing keys by id.
    pub keys: BTreeMap<String, KeyRecord>,
    /// The key `/token` signs with when the request brings none (not listed).
    pub account_key: Option<KeyRecord>,
    /// Live inputs by uid.
    pub live_inputs: BTreeMap<String, LiveInputRecord>,
    /// Watermark profiles by uid.
    pub watermarks: BTreeMap<String, Watermark>,
    /// The webhook subscription.
    pub webhook: Option<WebhookRecord>,
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

/// Where the store is kept between runs.
#[derive(Debug)]
pub struct Persistence {
    dir: Option<PathBuf>,
    write: Mutex<()>,
}

impl Persistence {
    /// Memory only, or the directory `dir` (created if needed).
    pub fn new(dir: Option<PathBuf>) -> io::Result<Self> {
        if let Some(dir) = &dir {
            std::fs::create_dir_all(dir.join("blobs"))?;
        }
        Ok(Self {
            dir,
            write: Mutex::new(()),
        })
    }

    /// The directory, if any.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The saved store (empty without a directory or a saved state); blobs cut off by a
    /// kill are truncated to their committed offset.
    pub fn load(&self) -> io::Result<Store> {
        let Some(dir) = &self.dir else {
            return Ok(Store::default());
        };
        let path = dir.join("state.json");
        let store: Store = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Store::default(),
            Err(e) => return Err(e),
        };
        for (uid, record) in &store.videos {
            if let UploadRecord::Tus { offset, .. } = record.upload {
                let blob = dir.join("blobs").join(uid);
                if let Ok(file) = std::fs::OpenOptions::new().write(true).open(&blob)
                    && file.metadata()?.len() > offset
                {
                    file.set_len(offset)?;
                }
            }
        }
        Ok(store)
    }

    /// Saves `store` atomically (no-op in memory).
    pub fn save(&self, store: &Store) -> io::Result<()> {
        let Some(dir) = &self.dir else {
            return Ok(());
        };
        let _guard = self.write.lock().unwrap_or_else(|e| e.into_inner());
        let bytes = serde_json::to_vec(store).map_err(io::Error::other)?;
        let tmp = dir.join("state.json.tmp");
        {
            use std::io::Write as _;
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
        }
        std::fs::rename(&tmp, dir.join("state.json"))?;
        Ok(())
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
