//! `multipart/form-data` bodies, kept as plain bytes so every retry can rebuild them.

use std::borrow::Cow;
use std::fmt;
use std::path::Path;

use bytes::Bytes;
use reqwest::multipart::{Form, Part};

use super::Error;
use super::param::ParamValue;

/// The content type of file parts that do not name one.
const DEFAULT_FILE_TYPE: &str = "application/octet-stream";

/// A `multipart/form-data` body.
///
/// `reqwest`'s `Form` is consumed by sending, so the request keeps this description
/// (cheaply cloneable: file contents are `Bytes`) and builds a fresh `Form` per attempt.
#[derive(Clone, Default)]
pub struct Multipart {
    parts: Vec<(Cow<'static, str>, PartBody)>,
}

#[derive(Clone)]
enum PartBody {
    Text(String),
    Json(Bytes),
    File(FilePart),
}

impl Multipart {
    /// An empty form.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a text field.
    pub fn text(&mut self, name: impl Into<Cow<'static, str>>, value: impl ParamValue) {
        let value = value.to_param().into_owned();
        self.parts.push((name.into(), PartBody::Text(value)));
    }

    /// Adds a file field.
    pub fn file(&mut self, name: impl Into<Cow<'static, str>>, file: FilePart) {
        self.parts.push((name.into(), PartBody::File(file)));
    }

    /// Adds a field holding `value` as JSON, with content type `application/json`.
    pub fn json<T: serde::Serialize + ?Sized>(
        &mut self,
        name: impl Into<Cow<'static, str>>,
        value: &T,
    ) -> Result<(), Error> {
        let name = name.into();
        let json = serde_json::to_vec(value).map_err(|error| {
            Error::invalid_request(format!(
                "cannot serialize multipart field `{name}`: {error}"
            ))
        })?;
        self.parts.push((name, PartBody::Json(json.into())));
        Ok(())
    }

    /// The number of parts.
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    /// `true` when the form has no parts.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Builds the `reqwest` form for one attempt.
    pub(crate) fn to_form(&self) -> Result<Form, Error> {
        let mut form = Form::new();
        for (name, body) in &self.parts {
            let part = match body {
                PartBody::Text(text) => Part::text(text.clone()),
                PartBody::Json(json) => bytes_part(json.clone(), "application/json", name)?,
                PartBody::File(file) => {
                    let content_type = file.content_type.as_deref().unwrap_or(DEFAULT_FILE_TYPE);
                    let part = bytes_part(file.data.clone(), content_type, name)?;
                    match &file.file_name {
                        Some(file_name) => part.file_name(file_name.clone()),
                        None => part,
                    }
                }
            };
            form = form.part(name.clone(), part);
        }
        Ok(form)
    }
}

/// A part streaming `data` without copying it, with its length known so the request
/// gets a `Content-Length` instead of chunked encoding.
fn bytes_part(data: Bytes, content_type: &str, name: &str) -> Result<Part, Error> {
    let length = data.len() as u64;
    Part::stream_with_length(data, length)
        .mime_str(content_type)
        .map_err(|_| {
            Error::invalid_request(format!(
                "invalid content type `{content_type}` for multipart field `{name}`"
            ))
        })
}

impl fmt::Debug for Multipart {
    /// Names and sizes only: file contents can be large and are not worth printing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for (name, body) in &self.parts {
            match body {
                PartBody::Text(text) => {
                    list.entry(&format_args!("{name}: text ({} bytes)", text.len()))
                }
                PartBody::Json(json) => {
                    list.entry(&format_args!("{name}: json ({} bytes)", json.len()))
                }
                PartBody::File(file) => list.entry(&format_args!("{name}: {file:?}")),
            };
        }
        list.finish()
    }
}

/// The contents of a file field, with its file name and content type.
#[derive(Clone)]
pub struct FilePart {
    data: Bytes,
    file_name: Option<String>,
    content_type: Option<String>,
}

impl FilePart {
    /// A file part from bytes in memory, with no file name and the content type
    /// `application/octet-stream` unless set.
    pub fn from_bytes(data: impl Into<Bytes>) -> Self {
        Self {
            data: data.into(),
            file_name: None,
            content_type: None,
        }
    }

    /// Reads a file; its name becomes the part's file name.
    pub async fn from_path(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let data = tokio::fs::read(path).await?;
        let mut part = Self::from_bytes(data);
        part.file_name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned());
        Ok(part)
    }

    /// Sets the file name sent in `Content-Disposition`.
    pub fn file_name(mut self, file_name: impl Into<String>) -> Self {
        self.file_name = Some(file_name.into());
        self
    }

    /// Sets the part's content type (checked when the request is sent).
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// The file contents.
    pub fn data(&self) -> &Bytes {
        &self.data
    }

    /// The file name, if set.
    pub fn name(&self) -> Option<&str> {
        self.file_name.as_deref()
    }

    /// The content type, if set.
    pub fn mime(&self) -> Option<&str> {
        self.content_type.as_deref()
    }
}

impl fmt::Debug for FilePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FilePart")
            .field("len", &self.data.len())
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .finish()
    }
}
