//! What an upload reads from: a path, an open file, bytes, or any reader of known length.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeek, AsyncSeekExt};

/// The bytes of a video to upload. Read sequentially, piece by piece: the whole video is
/// never held in memory (unless it was given as bytes). Paths, files, bytes and
/// [seekable readers](Self::seekable_reader) are read again when bytes must be resent;
/// a plain [reader](Self::reader) has each chunk kept until the server confirms it.
///
/// Convert from a path (`&str`, `String`, `&Path`, `PathBuf`), a [`tokio::fs::File`],
/// `Vec<u8>` or [`Bytes`]; use [`UploadSource::seekable_reader`] or
/// [`UploadSource::reader`] for anything else.
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
    Seekable {
        reader: Box<dyn SeekableRead>,
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
    ///
    /// A reader cannot go back, so each chunk is kept in memory until the server has it
    /// (to resend it after a dropped connection): memory grows to one chunk. Prefer
    /// [`seekable_reader`](Self::seekable_reader) when the reader can seek.
    pub fn reader(reader: impl AsyncRead + Send + Unpin + 'static, length: u64) -> Self {
        Self {
            kind: Kind::Reader {
                reader: Box::new(reader),
                length,
            },
        }
    }

    /// A reader that can seek, read from its current position for `length` bytes (fewer
    /// is an [`io::ErrorKind::UnexpectedEof`] error). Bytes that must be resent are read
    /// again, so memory stays at a few pieces of 256 KiB whatever the chunk size; paths
    /// and files are read this way.
    pub fn seekable_reader(
        reader: impl AsyncRead + AsyncSeek + Send + Unpin + 'static,
        length: u64,
    ) -> Self {
        Self {
            kind: Kind::Seekable {
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
        let (reader, length) = match self.kind {
            Kind::Path(path) => {
                let file = tokio::fs::File::open(&path).await.map_err(|error| {
                    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
                })?;
                let length = file.metadata().await?.len();
                let reader = Reader::Seekable {
                    reader: Box::new(file),
                    start: 0,
                };
                (reader, length)
            }
            Kind::File(mut file) => {
                let start = file.stream_position().await?;
                let length = file.metadata().await?.len().saturating_sub(start);
                let reader = Reader::Seekable {
                    reader: Box::new(file),
                    start,
                };
                (reader, length)
            }
            Kind::Bytes(bytes) => {
                let length = bytes.len() as u64;
                (Reader::Bytes(bytes), length)
            }
            Kind::Seekable { mut reader, length } => {
                let start = reader.stream_position().await?;
                (Reader::Seekable { reader, start }, length)
            }
            Kind::Reader { reader, length } => (Reader::Forward(reader), length),
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
            Kind::Seekable { length, .. } => write!(f, "SeekableReader({length} bytes)"),
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

/// An open source, read front to back; one that can go back ([`Opened::can_reread`]) is
/// read again to resend bytes, any other must have them kept by the caller.
pub(crate) struct Opened {
    reader: Reader,
    length: u64,
    /// Where the next read starts, counted from the start of the source.
    position: u64,
}

enum Reader {
    /// Bytes in memory: pieces are slices of them, nothing is copied.
    Bytes(Bytes),
    /// A file or seekable reader; `start` is its position when the upload began.
    Seekable {
        reader: Box<dyn SeekableRead>,
        start: u64,
    },
    /// A reader that cannot go back.
    Forward(Box<dyn AsyncRead + Send + Unpin>),
}

/// What [`UploadSource::seekable_reader`] accepts, as one trait object.
trait SeekableRead: AsyncRead + AsyncSeek + Send + Unpin {}

impl<T: AsyncRead + AsyncSeek + Send + Unpin> SeekableRead for T {}

impl Opened {
    /// The number of bytes the source holds.
    pub(crate) fn length(&self) -> u64 {
        self.length
    }

    /// Whether bytes already read can be read again ([`Self::seek_to`] an earlier
    /// offset): true for paths, files, bytes and seekable readers.
    pub(crate) fn can_reread(&self) -> bool {
        !matches!(self.reader, Reader::Forward(_))
    }

    /// Moves to `offset` (counted from the start of the source). A source that cannot go
    /// back reads and drops the bytes up to a later offset, and refuses an earlier one.
    pub(crate) async fn seek_to(&mut self, offset: u64) -> io::Result<()> {
        if offset > self.length {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "offset {offset} is past the end of the {}-byte source",
                    self.length
                ),
            ));
        }
        match &mut self.reader {
            Reader::Seekable { reader, start } if offset != self.position => {
                reader.seek(io::SeekFrom::Start(*start + offset)).await?;
            }
            Reader::Bytes(_) | Reader::Seekable { .. } => {}
            Reader::Forward(reader) => {
                let Some(count) = offset.checked_sub(self.position) else {
                    return Err(io::Error::new(
                        io::ErrorKind::Unsupported,
                        format!(
                            "the source cannot go back from byte {} to byte {offset}",
                            self.position
                        ),
                    ));
                };
                let skipped =
                    tokio::io::copy(&mut reader.take(count), &mut tokio::io::sink()).await?;
                if skipped < count {
                    self.position += skipped;
                    return Err(self.short());
                }
            }
        }
        self.position = offset;
        Ok(())
    }

    /// The next 1 to `max` bytes (a source that ends first is an error), from one read
    /// into `buffer`, split off (a caller that keeps `buffer` reuses its allocation once
    /// the pieces are gone); bytes in memory are sliced instead, with no copy.
    pub(crate) async fn read_piece(
        &mut self,
        buffer: &mut BytesMut,
        max: usize,
    ) -> io::Result<Bytes> {
        let wanted = (self.length - self.position).min(max as u64);
        if wanted == 0 {
            return Err(self.short());
        }
        let piece = match &mut self.reader {
            Reader::Bytes(bytes) => {
                let at = self.position as usize;
                bytes.slice(at..at + wanted as usize)
            }
            Reader::Seekable { reader, .. } => read_into(reader, buffer, wanted).await?,
            Reader::Forward(reader) => read_into(reader, buffer, wanted).await?,
        };
        if piece.is_empty() {
            return Err(self.short());
        }
        self.position += piece.len() as u64;
        Ok(piece)
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

/// One read of up to `wanted` bytes appended to `buffer`, split off as a piece.
async fn read_into<R: AsyncRead + Unpin + ?Sized>(
    reader: &mut R,
    buffer: &mut BytesMut,
    wanted: u64,
) -> io::Result<Bytes> {
    buffer.clear();
    // Room for the piece: nothing to do while a chunk reserved up front lasts; otherwise
    // this takes back the allocation of earlier pieces once they are all dropped.
    buffer.reserve(wanted as usize);
    reader.take(wanted).read_buf(buffer).await?;
    Ok(buffer.split().freeze())
}
