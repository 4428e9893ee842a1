//! The intermediate representation: everything emit needs, already named and normalized.
//! Nothing here refers back to the OpenAPI document except pointers used in docs.

use std::collections::BTreeMap;

pub use super::media::MediaKind;
use crate::json::Pointer;
use crate::load::Method;

/// The whole API, ready to emit.
#[derive(Debug, Clone)]
pub struct Api {
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub version: String,
    /// `info.description`.
    pub description: Option<String>,
    /// The first server URL, variables at their defaults.
    pub base_url: Option<String>,
    /// The prefix of the environment variables the client reads (`GITHUB`).
    pub env_prefix: String,
    /// The security schemes credentials can be given for, in name order.
    pub security_schemes: Vec<SecuritySchemeDef>,
    /// The default security requirement: alternatives of scheme names sent together.
    pub security: Vec<Vec<String>>,
    /// The response header carrying the server's request id.
    pub request_id_header: Option<String>,
    /// Whether responses are wrapped in a `{success, errors, messages, result}` envelope.
    pub envelope: bool,
    /// Path parameters the client fills from its configuration.
    pub path_defaults: Vec<String>,
    /// Every named type, keyed (and so ordered) by its Rust name.
    pub types: BTreeMap<String, TypeDef>,
    /// Every operation, in document order.
    pub operations: Vec<Operation>,
    /// Resource handles; roots first in name order, children listed by their parent.
    pub resources: Vec<Resource>,
}

/// A security scheme and the environment variable its credential is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecuritySchemeDef {
    /// The scheme's name in the spec.
    pub name: String,
    /// How its credential is sent.
    pub kind: crate::load::SecurityScheme,
    /// The environment variable (`GITHUB_TOKEN`).
    pub env: String,
    /// Where the spec declares it (`None`: declared by the config).
    pub pointer: Option<Pointer>,
}

/// A Rust type expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ty {
    /// `String`
    String,
    /// `bool`
    Bool,
    /// `i32`
    I32,
    /// `i64`
    I64,
    /// `f32`
    F32,
    /// `f64`
    F64,
    /// `serde_json::Value`: any JSON.
    Json,
    /// The runtime's `Timestamp`: `format: date-time` (RFC 3339), text kept.
    Timestamp,
    /// The runtime's `Date`: `format: date` (`YYYY-MM-DD`), text kept.
    Date,
    /// A generated type in `models`.
    Named(String),
    /// `Vec<T>`
    Vec(Box<Ty>),
    /// `BTreeMap<String, T>`
    Map(Box<Ty>),
    /// `Box<T>`: breaks a recursive type's infinite size.
    Boxed(Box<Ty>),
    /// The runtime's `Envelope<T>`: `{success, errors, messages, result: T}`.
    Envelope(Box<Ty>),
}

impl Ty {
    /// Whether values of this type can be written into a query string or header directly.
    pub fn is_scalar(&self) -> bool {
        matches!(
            self,
            Ty::String
                | Ty::Bool
                | Ty::I32
                | Ty::I64
                | Ty::F32
                | Ty::F64
                | Ty::Timestamp
                | Ty::Date
        )
    }
}

/// Documentation carried to rustdoc.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Docs {
    /// Main text (summary and description, markdown).
    pub text: Option<String>,
    /// Whether the spec marks the item deprecated.
    pub deprecated: bool,
}

/// A named generated type.
#[derive(Debug, Clone)]
pub struct TypeDef {
    /// Rust name.
    pub name: String,
    /// Rustdoc.
    pub docs: Docs,
    /// Where the schema is (`#/components/schemas/Video`), shown in the docs.
    pub origin: String,
    /// Only ever received, never sent: users read it but need not build it, so it can be
    /// `#[non_exhaustive]` and gain fields in a minor release.
    pub output_only: bool,
    /// Its shape.
    pub kind: TypeKind,
}

/// The shapes a named type can take.
#[derive(Debug, Clone)]
pub enum TypeKind {
    /// An object with known properties.
    Struct {
        /// Fields in spec order.
        fields: Vec<Field>,
        /// `additionalProperties` value type, kept in a flattened map.
        additional: Option<Ty>,
    },
    /// A string enum; unknown values are kept in an `Unknown(String)` variant.
    Enum {
        /// Known values in spec order.
        variants: Vec<EnumVariant>,
    },
    /// `oneOf` / `anyOf`: the first variant that decodes wins (serde `untagged`).
    Union {
        /// Alternatives in spec order.
        variants: Vec<UnionVariant>,
    },
    /// `pub type Name = Ty;`
    Alias(Ty),
}

/// How a field may appear on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Always present, never null: `T`.
    Required,
    /// May be absent, never null: `Option<T>`.
    Optional,
    /// Always present, may be null: `Option<T>`, serialized as `null`.
    RequiredNullable,
    /// May be absent or null: `Nullable<T>` keeps the three states apart.
    OptionalNullable,
}

/// A struct field.
#[derive(Debug, Clone)]
pub struct Field {
    /// JSON name.
    pub wire: String,
    /// Rust identifier.
    pub rust: String,
    /// Value type (without the presence wrapper).
    pub ty: Ty,
    /// Presence.
    pub presence: Presence,
    /// Rustdoc.
    pub docs: Docs,
    /// `x-sensitive`: redacted in `Debug`.
    pub sensitive: bool,
}

/// A string enum value.
#[derive(Debug, Clone)]
pub struct EnumVariant {
    /// Rust variant name.
    pub rust: String,
    /// Wire value.
    pub wire: String,
}

/// One alternative of a union.
#[derive(Debug, Clone)]
pub struct UnionVariant {
    /// Rust variant name.
    pub rust: String,
    /// Its payload.
    pub ty: Ty,
}

/// A resource handle (`client.videos()`), one per tag.
#[derive(Debug, Clone)]
pub struct Resource {
    /// Snake-case tag: identifies the resource.
    pub key: String,
    /// Module (and file) name of its operations: `key` made a valid, unique identifier.
    pub module: String,
    /// Handle type name (`Videos`).
    pub type_name: String,
    /// Accessor method on the parent (or on the client for roots).
    pub accessor: String,
    /// Parent resource key, for nested handles.
    pub parent: Option<String>,
    /// Child resources (keys), in name order.
    pub children: Vec<String>,
    /// Rustdoc.
    pub docs: Docs,
    /// Indices into [`Api::operations`].
    pub operations: Vec<usize>,
    /// The server bindings' trait of this resource's operations (`VideosApi`).
    pub server_trait: String,
}

/// One operation, fully resolved.
#[derive(Debug, Clone)]
pub struct Operation {
    /// `operationId` as written (or synthesized from method and path).
    pub id: String,
    /// Method name on the resource handle.
    pub method_name: String,
    /// Builder type name.
    pub builder: String,
    /// Owning resource key.
    pub resource: String,
    /// HTTP method.
    pub method: Method,
    /// The path template as written.
    pub path: String,
    /// The template split into literal text and parameter references.
    pub path_parts: Vec<PathPart>,
    /// Rustdoc (summary, description).
    pub docs: Docs,
    /// Parameters: path ones in template order, then query, then header.
    pub params: Vec<Param>,
    /// The request body.
    pub body: Option<Body>,
    /// What `send()` returns.
    pub response: ResponseKind,
    /// The operation's own security requirement when it differs from the API's.
    pub security: Option<Vec<Vec<String>>>,
    /// The requirement in effect (its own, else the API's), alternatives naming an
    /// undeclared scheme dropped: what a server checks.
    pub requirement: Vec<Vec<String>>,
    /// The server trait's method (`videos_list`).
    pub server_method: String,
    /// Every request media type the spec offers, in document order ([`Operation::body`]
    /// is built from [`Operation::body_media`]).
    pub request_media: Vec<Media>,
    /// Every declared response, in document order.
    pub responses: Vec<ResponseDef>,
    /// The success answer [`Operation::response`] describes.
    pub success: Success,
    /// The schema the JSON bodies of every error response (`4XX`, `5XX`, `default`) refer
    /// to, when they all name the same one: its `$ref` target.
    pub error_schema: Option<Pointer>,
}

impl Operation {
    /// The request media type the body is sent as (see [`super::media::preferred`]).
    pub fn body_media(&self) -> Option<&Media> {
        super::media::preferred(
            self.request_media
                .iter()
                .map(|m| (m.media_type.as_str(), m)),
        )
        .map(|(_, m)| m)
    }
}

/// One media type of a request body or response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// As written (`application/json; charset=utf-8`).
    pub media_type: String,
    /// Its kind.
    pub kind: MediaKind,
    /// Where its schema is in the document, when it has one.
    pub schema: Option<Pointer>,
}

/// A declared response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseDef {
    /// The `responses` key, normalized: `200`, `4XX`, `default`.
    pub key: String,
    /// Its media types, in document order.
    pub content: Vec<Media>,
}

/// The success answer of an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Success {
    /// The status sent: the lowest declared 2xx code (`200` for `2XX` or `default`).
    pub status: u16,
    /// The media type answered with (the preferred one of its content), if any.
    pub media: Option<Media>,
}

/// A piece of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathPart {
    /// Literal text, sent as is.
    Literal(String),
    /// The value of `params[index]`, percent-encoded as one segment.
    Param(usize),
}

/// Where a parameter is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamLocation {
    /// Path segment.
    Path,
    /// Query string.
    Query,
    /// Request header.
    Header,
}

/// How a query or header parameter's value becomes text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamEncoding {
    /// A scalar or string enum (or an alias of one): one value.
    Text,
    /// A list of those: the name repeated, once per item (`?a=1&a=2`, the default
    /// `explode: true` of the query's `form` style).
    Repeated,
    /// A list of those declared `explode: false`: one value, the items joined by commas
    /// (`?a=1,2`).
    Joined,
    /// Anything else: compact JSON text (no standard query form exists for it).
    Json,
}

/// An operation parameter.
#[derive(Debug, Clone)]
pub struct Param {
    /// Name on the wire.
    pub wire: String,
    /// Rust identifier (argument and builder method).
    pub rust: String,
    /// Location.
    pub location: ParamLocation,
    /// Value type.
    pub ty: Ty,
    /// Required: a constructor argument. Optional: a builder method.
    pub required: bool,
    /// The only value the parameter admits; always sent, never asked for.
    pub constant: Option<String>,
    /// How a query or header value is written.
    pub encoding: ParamEncoding,
    /// Where its schema is in the document (`None`: undeclared, any text).
    pub schema: Option<Pointer>,
    /// The client supplies it when the caller does not (e.g. an account id).
    pub client_default: bool,
    /// Rustdoc.
    pub docs: Docs,
}

/// The request body of an operation.
#[derive(Debug, Clone)]
pub enum Body {
    /// A JSON value.
    Json {
        /// Body type.
        ty: Ty,
        /// When the body is a struct: its fields become builder methods.
        fields: Vec<BodyField>,
        /// Whether a body must be sent.
        required: bool,
        /// Rustdoc of the body.
        docs: Docs,
    },
    /// `multipart/form-data`.
    Multipart {
        /// The form parts.
        parts: Vec<Part>,
    },
    /// Raw text or bytes with a fixed content type.
    Raw {
        /// Content type sent.
        content_type: String,
        /// Text (`String`) or bytes.
        text: bool,
        /// Whether a body must be sent.
        required: bool,
    },
}

/// A field of a struct body, exposed as a builder method or constructor argument.
#[derive(Debug, Clone)]
pub struct BodyField {
    /// The struct field it sets.
    pub field: Field,
    /// The builder method / argument name (differs from the field when it would collide).
    pub setter: String,
    /// For optional nullable fields, the method that sends an explicit `null`.
    pub clear: Option<String>,
}

/// How a multipart part is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartKind {
    /// File content (`format: binary`): a `FilePart`.
    File,
    /// A scalar written as text.
    Text,
    /// Anything else, written as JSON text.
    Json,
}

/// A multipart part.
#[derive(Debug, Clone)]
pub struct Part {
    /// Part name.
    pub wire: String,
    /// Rust identifier.
    pub rust: String,
    /// Value type (ignored for files).
    pub ty: Ty,
    /// Encoding.
    pub kind: PartKind,
    /// Required: a constructor argument.
    pub required: bool,
    /// Rustdoc.
    pub docs: Docs,
}

/// What a successful response decodes to.
#[derive(Debug, Clone)]
pub enum ResponseKind {
    /// Nothing to decode.
    Empty,
    /// A JSON body of this type; `unwrap` names the envelope field `send()` returns.
    Json {
        /// Whole-body type.
        ty: Ty,
        /// The envelope field holding the payload, if the body is an envelope.
        unwrap: Option<Field>,
    },
    /// A text body (`text/*`).
    Text,
    /// Raw bytes.
    Bytes,
    /// No body, but typed response headers.
    Headers {
        /// Generated struct holding the headers.
        type_name: String,
        /// The headers, in spec order.
        headers: Vec<ResponseHeader>,
    },
}

/// A declared response header.
#[derive(Debug, Clone)]
pub struct ResponseHeader {
    /// Header name.
    pub wire: String,
    /// Rust field name.
    pub rust: String,
    /// Whether the spec requires it.
    pub required: bool,
    /// Rustdoc.
    pub docs: Docs,
}
