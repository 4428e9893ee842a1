//! What the generated `dispatch` module (`cargo xtask generate` writes it beside this
//! file) calls: JSON argument decoding, the outcome of a call and its error type. The same
//! for every spec, so hand-written here once instead of emitted into each dispatch file.

use cloudflare_stream::{
    ApiResponse, Error, FilePart, JsonBodyOptionsBuilder, RequestOptionsBuilder,
};

/// What a dispatched call returned.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The HTTP status.
    pub status: u16,
    /// Response headers, lower-case names, repeated values joined with `, `.
    pub headers: std::collections::BTreeMap<String, String>,
    /// The decoded body re-encoded as JSON: the typed model for JSON bodies, a string
    /// for text, `{"base64": ...}` for bytes, the declared headers for header-only
    /// responses, `null` for none.
    pub body: serde_json::Value,
}

/// Why a dispatched call failed.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// No operation has this id.
    #[error("unknown operation `{operation}`")]
    UnknownOperation {
        /// The id asked for.
        operation: String,
    },
    /// An argument is missing, unknown, or does not decode into its type.
    #[error("operation `{operation}`: argument `{argument}`: {message}")]
    BadArgument {
        /// The operation id.
        operation: &'static str,
        /// The argument (`body.name` for body fields).
        argument: String,
        /// What is wrong.
        message: String,
    },
    /// The call itself failed: the typed client error.
    #[error(transparent)]
    Client(#[from] Error),
}

/// A field of an object argument: absent, `null`, or a value.
pub enum Slot<T> {
    /// The key is not there.
    Absent,
    /// The key is there with `null`.
    Null,
    /// The key has a value.
    Value(T),
}

/// A file argument: `{"file_name", "content_type", "text" | "base64"}`, or a string.
#[derive(serde::Deserialize)]
#[serde(untagged)]
pub enum FileArg {
    /// The file's content as text.
    Text(String),
    /// The file with its metadata; exactly one of `text` and `base64`.
    Object {
        /// The part's file name.
        file_name: Option<String>,
        /// The part's content type.
        content_type: Option<String>,
        /// The content as text.
        text: Option<String>,
        /// The content in standard base64.
        base64: Option<String>,
    },
}

/// The arguments of one call: an object whose keys are taken one by one, so keys
/// nobody took can be reported.
pub struct Args<'v> {
    operation: &'static str,
    prefix: &'static str,
    map: Option<&'v serde_json::Map<String, serde_json::Value>>,
    taken: Vec<String>,
}

impl<'v> Args<'v> {
    /// The arguments `value` (an object, or `null` for none) of `operation`.
    pub fn new(
        operation: &'static str,
        value: &'v serde_json::Value,
    ) -> Result<Self, DispatchError> {
        Self::of(operation, "", value)
    }

    /// Like [`Args::new`], reporting keys as `<prefix><key>`.
    pub fn of(
        operation: &'static str,
        prefix: &'static str,
        value: &'v serde_json::Value,
    ) -> Result<Self, DispatchError> {
        let map = match value {
            serde_json::Value::Null => None,
            serde_json::Value::Object(map) => Some(map),
            _ => {
                return Err(DispatchError::BadArgument {
                    operation,
                    argument: prefix.trim_end_matches('.').to_owned(),
                    message: "expected a JSON object".to_owned(),
                });
            }
        };
        Ok(Self {
            operation,
            prefix,
            map,
            taken: Vec::new(),
        })
    }

    /// A [`DispatchError::BadArgument`] for the key `name`.
    pub fn bad(&self, name: &str, message: impl Into<String>) -> DispatchError {
        DispatchError::BadArgument {
            operation: self.operation,
            argument: format!("{}{name}", self.prefix),
            message: message.into(),
        }
    }

    /// The value of `name`, marking it taken.
    pub fn take(&mut self, name: &str) -> Option<&'v serde_json::Value> {
        self.taken.push(name.to_owned());
        self.map.and_then(|map| map.get(name))
    }

    /// `value` decoded as `T`, or a bad-argument error naming `name`.
    pub fn decode<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
        value: &serde_json::Value,
    ) -> Result<T, DispatchError> {
        serde_json::from_value(value.clone()).map_err(|e| self.bad(name, e.to_string()))
    }

    /// The value of `name`, which must be present.
    pub fn required<T: serde::de::DeserializeOwned>(
        &mut self,
        name: &str,
    ) -> Result<T, DispatchError> {
        match self.take(name) {
            Some(value) => self.decode(name, value),
            None => Err(self.bad(name, "missing required argument")),
        }
    }

    /// The value of `name` if present (`null` is refused).
    pub fn optional<T: serde::de::DeserializeOwned>(
        &mut self,
        name: &str,
    ) -> Result<Option<T>, DispatchError> {
        match self.take(name) {
            None => Ok(None),
            Some(serde_json::Value::Null) => Err(self.bad(name, "null is not allowed here")),
            Some(value) => self.decode(name, value).map(Some),
        }
    }

    /// The value of `name`: absent, `null` or a value.
    pub fn nullable<T: serde::de::DeserializeOwned>(
        &mut self,
        name: &str,
    ) -> Result<Slot<T>, DispatchError> {
        match self.take(name) {
            None => Ok(Slot::Absent),
            Some(serde_json::Value::Null) => Ok(Slot::Null),
            Some(value) => self.decode(name, value).map(Slot::Value),
        }
    }

    /// The nested object `name` (`body`), its keys reported as `name.key`.
    pub fn object(&mut self, name: &'static str) -> Result<Args<'v>, DispatchError> {
        static NULL: serde_json::Value = serde_json::Value::Null;
        let value = self.take(name).unwrap_or(&NULL);
        let prefix = match name {
            "body" => "body.",
            _ => "",
        };
        Args::of(self.operation, prefix, value)
    }

    /// Whether the object has keys outside `known`.
    pub fn has_unknown(&self, known: &[&str]) -> bool {
        self.map
            .is_some_and(|map| map.keys().any(|k| !known.contains(&k.as_str())))
    }

    /// The whole object decoded as `T`.
    pub fn whole<T: serde::de::DeserializeOwned>(&self) -> Result<T, DispatchError> {
        let value = self
            .map
            .cloned()
            .map(serde_json::Value::Object)
            .unwrap_or(serde_json::Value::Null);
        serde_json::from_value(value).map_err(|e| self.bad("", e.to_string()))
    }

    /// The bytes of a file argument.
    pub fn bytes(&self, name: &str, arg: FileArg) -> Result<Vec<u8>, DispatchError> {
        match arg {
            FileArg::Text(text) => Ok(text.into_bytes()),
            FileArg::Object {
                text: Some(text),
                base64: None,
                ..
            } => Ok(text.into_bytes()),
            FileArg::Object {
                text: None,
                base64: Some(encoded),
                ..
            } => base64::Engine::decode(&base64::engine::general_purpose::STANDARD, encoded.trim())
                .ok()
                .ok_or_else(|| self.bad(name, "invalid base64")),
            FileArg::Object { .. } => {
                Err(self.bad(name, "expected exactly one of `text` and `base64`"))
            }
        }
    }

    /// A file argument as a multipart file part.
    pub fn file(&self, name: &str, arg: FileArg) -> Result<FilePart, DispatchError> {
        let (file_name, content_type) = match &arg {
            FileArg::Object {
                file_name,
                content_type,
                ..
            } => (file_name.clone(), content_type.clone()),
            FileArg::Text(_) => (None, None),
        };
        let mut part = FilePart::from_bytes(self.bytes(name, arg)?);
        if let Some(file_name) = file_name {
            part = part.file_name(file_name);
        }
        if let Some(content_type) = content_type {
            part = part.content_type(content_type);
        }
        Ok(part)
    }

    /// Applies the per-call options, under `$`-prefixed keys no parameter can have:
    /// `$headers` and `$query` (`[[name, value], ...]`) and `$retry_non_idempotent`
    /// (`true`; it changes nothing on an idempotent method). One function for every
    /// operation, over the runtime's options trait.
    pub fn options<B: RequestOptionsBuilder>(
        &mut self,
        mut builder: B,
    ) -> Result<B, DispatchError> {
        type Pairs = Vec<(String, String)>;
        for (name, value) in self.optional::<Pairs>("$headers")?.unwrap_or_default() {
            builder = builder.with_header(name, value);
        }
        for (name, value) in self.optional::<Pairs>("$query")?.unwrap_or_default() {
            builder = builder.with_query(name, value);
        }
        if self
            .optional::<bool>("$retry_non_idempotent")?
            .unwrap_or(false)
        {
            builder = builder.with_retry_non_idempotent();
        }
        Ok(builder)
    }

    /// [`Args::options`], and the extra JSON body fields of `$body_fields` (an object), for
    /// operations with a JSON body (elsewhere the key is an unknown argument).
    pub fn json_options<B: JsonBodyOptionsBuilder>(
        &mut self,
        builder: B,
    ) -> Result<B, DispatchError> {
        type Fields = serde_json::Map<String, serde_json::Value>;
        let mut builder = self.options(builder)?;
        for (name, value) in self.optional::<Fields>("$body_fields")?.unwrap_or_default() {
            builder = builder.with_body_field(name, value);
        }
        Ok(builder)
    }

    /// Fails on any key no decoder took.
    pub fn finish(self) -> Result<(), DispatchError> {
        if let Some(map) = self.map
            && let Some(key) = map.keys().find(|k| !self.taken.contains(k))
        {
            return Err(self.bad(key, "unknown argument"));
        }
        Ok(())
    }
}

/// A response as the runner compares it: status, headers joined by name, `body`.
pub fn outcome<T>(response: ApiResponse<T>, body: serde_json::Value) -> Outcome {
    let mut headers = std::collections::BTreeMap::<String, String>::new();
    for (name, value) in response.headers() {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    Outcome {
        status: response.status().as_u16(),
        headers,
        body,
    }
}
