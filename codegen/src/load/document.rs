//! The typed OpenAPI subset. Maps keep the document's order (`IndexMap`) so that output
//! order follows the spec and never a hash seed.

use indexmap::IndexMap;
use serde_json::Value;

use crate::error::Pointer;

/// Which OpenAPI major.minor the document declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecVersion {
    /// `openapi: 3.0.x`
    V3_0,
    /// `openapi: 3.1.x`
    V3_1,
}

/// A whole OpenAPI document.
#[derive(Debug, Clone)]
pub struct Document {
    /// The declared version.
    pub version: SpecVersion,
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub api_version: String,
    /// `info.description`.
    pub description: Option<String>,
    /// `servers[*].url`, in order, each `{variable}` replaced by its default.
    pub servers: Vec<String>,
    /// The top-level `security` requirement: alternatives, each the names of schemes sent
    /// together. `None` when absent.
    pub security: Option<Vec<Vec<String>>>,
    /// Top-level tags with their descriptions, in order.
    pub tags: Vec<Tag>,
    /// Every path item, in document order.
    pub paths: Vec<PathItem>,
    /// Reusable components.
    pub components: Components,
    /// Deviations from the OpenAPI standard that were read leniently (e.g. an unknown
    /// `type` read as "any value"), each located by its pointer.
    pub warnings: Vec<crate::error::Error>,
}

/// A declared tag.
#[derive(Debug, Clone)]
pub struct Tag {
    /// `name`.
    pub name: String,
    /// `description`.
    pub description: Option<String>,
}

/// `components`: only the kinds an operation can reference.
#[derive(Debug, Clone, Default)]
pub struct Components {
    /// `components/schemas`.
    pub schemas: IndexMap<String, Schema>,
    /// `components/parameters`.
    pub parameters: IndexMap<String, Parameter>,
    /// `components/requestBodies`.
    pub request_bodies: IndexMap<String, RequestBody>,
    /// `components/securitySchemes`.
    pub security_schemes: IndexMap<String, SecurityScheme>,
    /// `components/responses`.
    pub responses: IndexMap<String, Response>,
    /// `components/headers`.
    pub headers: IndexMap<String, Header>,
}

/// One path template and its operations.
#[derive(Debug, Clone)]
pub struct PathItem {
    /// The template, e.g. `/accounts/{account_id}/items`.
    pub path: String,
    /// Where it is (`#/paths/~1accounts...`).
    pub pointer: Pointer,
    /// Parameters shared by every operation of the item.
    pub parameters: Vec<Parameter>,
    /// Operations in document order.
    pub operations: Vec<Operation>,
}

/// HTTP methods OpenAPI can describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    /// GET
    Get,
    /// PUT
    Put,
    /// POST
    Post,
    /// DELETE
    Delete,
    /// OPTIONS
    Options,
    /// HEAD
    Head,
    /// PATCH
    Patch,
    /// TRACE
    Trace,
}

impl Method {
    /// All methods with their lower-case key in a path item.
    pub const ALL: [(&'static str, Method); 8] = [
        ("get", Method::Get),
        ("put", Method::Put),
        ("post", Method::Post),
        ("delete", Method::Delete),
        ("options", Method::Options),
        ("head", Method::Head),
        ("patch", Method::Patch),
        ("trace", Method::Trace),
    ];

    /// Upper-case name, as sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Head => "HEAD",
            Method::Patch => "PATCH",
            Method::Trace => "TRACE",
        }
    }
}

/// One operation.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Where it is (`#/paths/~1items/get`).
    pub pointer: Pointer,
    /// The HTTP method.
    pub method: Method,
    /// `operationId`.
    pub operation_id: Option<String>,
    /// `summary`.
    pub summary: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `tags`.
    pub tags: Vec<String>,
    /// `deprecated`.
    pub deprecated: bool,
    /// Operation parameters with path-level ones already merged in (operation wins).
    pub parameters: Vec<Parameter>,
    /// `requestBody`, references resolved.
    pub request_body: Option<RequestBody>,
    /// `responses`, references resolved, in document order.
    pub responses: Vec<(StatusKey, Response)>,
    /// The operation's own `security`, replacing the document's; `Some(vec![])` (or an
    /// empty alternative) means no credentials.
    pub security: Option<Vec<Vec<String>>>,
}

/// A security scheme, reduced to how its credential travels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecurityScheme {
    /// `http` `bearer`, `oauth2` and `openIdConnect`: `Authorization: Bearer <token>`.
    Bearer,
    /// `http` `basic`.
    Basic,
    /// `apiKey` in a header, query parameter or cookie, under `name`.
    ApiKey {
        /// Where it goes.
        location: ApiKeyLocation,
        /// The header, parameter or cookie name.
        name: String,
    },
}

/// Where an `apiKey` is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyLocation {
    /// A request header.
    Header,
    /// A query parameter.
    Query,
    /// A cookie.
    Cookie,
}

/// A key of the `responses` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StatusKey {
    /// An exact status, `200`.
    Code(u16),
    /// A range, `2XX` is `Range(2)`.
    Range(u8),
    /// `default`.
    Default,
}

impl StatusKey {
    /// Whether this key can describe a successful (2xx) answer.
    pub fn is_success(self) -> bool {
        match self {
            StatusKey::Code(c) => (200..300).contains(&c),
            StatusKey::Range(r) => r == 2,
            StatusKey::Default => false,
        }
    }
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ParameterLocation {
    /// A `{name}` in the path template.
    Path,
    /// The query string.
    Query,
    /// A request header.
    Header,
    /// A cookie.
    Cookie,
}

/// A parameter, references resolved.
#[derive(Debug, Clone)]
pub struct Parameter {
    /// Where it was declared (or referenced).
    pub pointer: Pointer,
    /// `name`.
    pub name: String,
    /// `in`.
    pub location: ParameterLocation,
    /// `required` (always true for path parameters).
    pub required: bool,
    /// `description`.
    pub description: Option<String>,
    /// `deprecated`.
    pub deprecated: bool,
    /// `schema` (or the schema of the single `content` entry).
    pub schema: Option<Schema>,
    /// `explode` as declared (`None`: the style's default).
    pub explode: Option<bool>,
}

/// A request body, references resolved.
#[derive(Debug, Clone)]
pub struct RequestBody {
    /// Where it is.
    pub pointer: Pointer,
    /// `description`.
    pub description: Option<String>,
    /// `required`.
    pub required: bool,
    /// `content`: media type -> schema (absent when the media type object is empty).
    pub content: IndexMap<String, MediaType>,
}

/// One entry of a `content` map.
#[derive(Debug, Clone)]
pub struct MediaType {
    /// Where it is.
    pub pointer: Pointer,
    /// Its schema, if it has one.
    pub schema: Option<Schema>,
}

/// A response, references resolved.
#[derive(Debug, Clone)]
pub struct Response {
    /// Where it is.
    pub pointer: Pointer,
    /// `description`.
    pub description: Option<String>,
    /// `headers`: name -> header, in document order.
    pub headers: IndexMap<String, Header>,
    /// `content`: media type -> schema.
    pub content: IndexMap<String, MediaType>,
}

/// A response header.
#[derive(Debug, Clone)]
pub struct Header {
    /// Where it is.
    pub pointer: Pointer,
    /// `description`.
    pub description: Option<String>,
    /// `required`.
    pub required: bool,
    /// `schema`.
    pub schema: Option<Schema>,
}

/// A JSON schema object (the OpenAPI 3.0 dialect and the 3.1 / 2020-12 one, read into the
/// same shape). A `$ref` is kept as a name, never inlined, so cycles are harmless.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// Where it is.
    pub pointer: Pointer,
    /// `$ref` target as a component schema name: `<name>` for `#/components/schemas/<name>`;
    /// a reference to any other schema of the document (a property, a parameter's schema,
    /// a response's) names the component the loader made of it, under a name drawn from its
    /// pointer; that component's `pointer` says where it is.
    pub reference: Option<String>,
    /// `type`, with `null` removed (it sets `nullable` instead); empty when absent.
    pub types: Vec<SchemaType>,
    /// 3.0 `nullable`, a `null` in a 3.1 type array, or `null` among the `enum` values.
    pub nullable: bool,
    /// `format`.
    pub format: Option<String>,
    /// `title`.
    pub title: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `enum` values other than `null`.
    pub enum_values: Option<Vec<Value>>,
    /// `const` (3.1).
    pub const_value: Option<Value>,
    /// `properties`, in document order.
    pub properties: IndexMap<String, Schema>,
    /// `required`.
    pub required: Vec<String>,
    /// `additionalProperties`.
    pub additional_properties: Option<AdditionalProperties>,
    /// `items`.
    pub items: Option<Box<Schema>>,
    /// `allOf`.
    pub all_of: Vec<Schema>,
    /// `anyOf`.
    pub any_of: Vec<Schema>,
    /// `oneOf`.
    pub one_of: Vec<Schema>,
    /// `default`.
    pub default: Option<Value>,
    /// `deprecated`.
    pub deprecated: bool,
    /// `readOnly`.
    pub read_only: bool,
    /// `writeOnly`.
    pub write_only: bool,
    /// `x-sensitive: true`: the value is a secret and must not be logged.
    pub sensitive: bool,
}

/// A primitive `type` keyword value (`null` is folded into [`Schema::nullable`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SchemaType {
    /// `string`
    String,
    /// `integer`
    Integer,
    /// `number`
    Number,
    /// `boolean`
    Boolean,
    /// `array`
    Array,
    /// `object`
    Object,
}

/// `additionalProperties`.
#[derive(Debug, Clone)]
pub enum AdditionalProperties {
    /// `true` / `false`.
    Allowed(bool),
    /// A schema for the values.
    Schema(Box<Schema>),
}

impl Schema {
    /// True when the schema says nothing about shape (no type, ref, properties, combinators,
    /// enum): any JSON value.
    pub fn is_unconstrained(&self) -> bool {
        self.reference.is_none() && self.all_of.is_empty() && !self.has_own_shape()
    }

    /// True when the schema itself (its `$ref` and `allOf` aside) constrains the shape: a
    /// type, an enum or const, properties, items, or `anyOf`/`oneOf`.
    pub fn has_own_shape(&self) -> bool {
        !(self.types.is_empty()
            && self.enum_values.is_none()
            && self.const_value.is_none()
            && self.properties.is_empty()
            && self.additional_properties.is_none()
            && self.items.is_none()
            && self.any_of.is_empty()
            && self.one_of.is_empty())
    }
}
