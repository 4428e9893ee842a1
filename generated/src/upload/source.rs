//! What an upload reads from: a path, an open file, bytes, or any reader of known length.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt};

/// The bytes of a video to upload. Read sequentially, one chunk at a time: the whole
/// video is never held in memory (unless it was given as bytes).
///
/// Convert from a path (`&str`, `String`, `&Path`, `PathBuf`), a [`tokio::fs::File`],
/// `Vec<u8>` or [`Bytes`]; use [`UploadSource::reader`] for anything else.
pub struct UploadSource {
    kind: Kind,
}

enum Kind {
    Path(PathBuf),
    File(tokio::fs::File),
    Bytes(Bytes),
    Reader {
        reader: Box<dyn AsyncRead + Send + Unpin>,
        length: u64,
    },
}

impl UploadSource {
    /// The file at `path`, opened when the upload starts. Its file name becomes the
    /// default video name and multipart file name.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        Self {
            kind: Kind::Path(path.into()),
        }
    }

    /// An open file, read from its current position to its end.
    pub fn file(file: tokio::fs::File) -> Self {
        Self {
            kind: Kind::File(file),
        }
    }

    /// Bytes in memory.
    pub fn bytes(bytes: impl Into<Bytes>) -> Self {
        Self {
            kind: Kind::Bytes(bytes.into()),
        }
    }

    /// Any reader that will yield exactly `length` bytes (fewer is an
    /// [`io::ErrorKind::UnexpectedEof`] error when the upload reaches the end; more are
    /// left unread). Resuming at an offset reads and discards the bytes before it.
    pub fn reader(reader: impl AsyncRead + Send + Unpin + 'static, length: u64) -> Self {
        Self {
            kind: Kind::Reader {
                reader: Box::new(reader),
                length,
            },
        }
    }

    /// The file name of a path source (for the default `name` metadata and the
    /// multipart file name).
    pub(crate) fn file_name(&self) -> Option<String> {
        match &self.kind {
            Kind::Path(path) => path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned()),
            _ => None,
        }
    }

    /// Opens the source: its reader and how many bytes it holds.
    pub(crate) async fn open(self) -> io::Result<Opened> {
        let (reader, length): (Box<dyn AsyncRead + Send + Unpin>, u64) = match self.kind {
            Kind::Path(path) => {
                let file = tokio::fs::File::open(&path).await.map_err(|error| {
                    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
                })?;
                let length = file.metadata().await?.len();
                (Box::new(file), length)
            }
            Kind::File(mut file) => {
                let position = file.stream_position().await?;
                let length = file.metadata().await?.len().saturating_sub(position);
                (Box::new(file), length)
            }
            Kind::Bytes(bytes) => {
                let length = bytes.len() as u64;
                (Box::new(io::Cursor::new(bytes)), length)
            }
            Kind::Reader { reader, length } => (reader, length),
        };
        Ok(Opened {
            reader,
            length,
            position: 0,
        })
    }
}

impl fmt::Debug for UploadSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Path(path) => f.debug_tuple("Path").field(path).finish(),
            Kind::File(_) => f.write_str("File"),
            Kind::Bytes(bytes) => write!(f, "Bytes({} bytes)", bytes.len()),
            Kind::Reader { length, .. } => write!(f, "Reader({length} bytes)"),
        }
    }
}

impl From<&Path> for UploadSource {
    fn from(path: &Path) -> Self {
        Self::path(path)
    }
}

impl From<PathBuf> for UploadSource {
    fn from(path: PathBuf) -> Self {
        Self::path(path)
    }
}

impl From<&PathBuf> for UploadSource {
    fn from(path: &PathBuf) -> Self {
        Self::path(path.clone())
    }
}

/// A path.
impl From<&str> for UploadSource {
    fn from(path: &str) -> Self {
        Self::path(path)
    }
}

/// A path.
impl From<String> for UploadSource {
    fn from(path: String) -> Self {
        Self::path(path)
    }
}

impl From<tokio::fs::File> for UploadSource {
    fn from(file: tokio::fs::File) -> Self {
        Self::file(file)
    }
}

impl From<Bytes> for UploadSource {
    fn from(bytes: Bytes) -> Self {
        Self::bytes(bytes)
    }
}

impl From<Vec<u8>> for UploadSource {
    fn from(bytes: Vec<u8>) -> Self {
        Self::bytes(bytes)
    }
}

/// An open source, read front to back.
pub(crate) struct Opened {
    reader: Box<dyn AsyncRead + Send + Unpin>,
    length: u64,
    position: u64,
}

impl Opened {
    /// The number of bytes the source holds.
    pub(crate) fn length(&self) -> u64 {
        self.length
    }

    /// Reads and drops bytes up to `offset` (where a resumed upload starts).
    pub(crate) async fn skip_to(&mut self, offset: u64) -> io::Result<()> {
        let count = offset.saturating_sub(self.position);
        let skipped =
            tokio::io::copy(&mut (&mut self.reader).take(count), &mut tokio::io::sink()).await?;
        self.position += skipped;
        if skipped < count {
            return Err(self.short());
        }
        Ok(())
    }

    /// Appends between 1 and `max` bytes to `buffer` (a source that ends first is an
    /// error): one read, for sending a chunk piece by piece as it is read.
    pub(crate) async fn read_piece(&mut self, buffer: &mut BytesMut, max: usize) -> io::Result<()> {
        let read = (&mut self.reader).take(max as u64).read_buf(buffer).await?;
        if read == 0 {
            return Err(self.short());
        }
        self.position += read as u64;
        Ok(())
    }

    /// Reads up to `max` bytes (fewer only at the end of the source); for streaming.
    pub(crate) async fn read_some(&mut self, max: usize) -> io::Result<Bytes> {
        let remaining = self.length.saturating_sub(self.position);
        let wanted = remaining.min(max as u64) as usize;
        if wanted == 0 {
            return Ok(Bytes::new());
        }
        let mut buffer = BytesMut::with_capacity(wanted);
        let read = (&mut self.reader)
            .take(wanted as u64)
            .read_buf(&mut buffer)
            .await?;
        if read == 0 {
            return Err(self.short());
        }
        self.position += read as u64;
        Ok(buffer.freeze())
    }

    fn short(&self) -> io::Error {
        io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!(
                "the upload source ended after {} of the {} bytes it was said to hold",
                self.position, self.length
            ),
        )
    }
}
