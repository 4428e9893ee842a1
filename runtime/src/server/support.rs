//! What generated routers and decoders call: the one handler ([`handler`]) with its request
//! [`Input`], reading parameters, bodies and forms, validating them against the
//! specification's schemas, and building responses. Reached through
//! `client_runtime::__private::server`; not part of the documented API.

use std::fmt;
use std::sync::OnceLock;

use axum::response::Response;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use serde::de::DeserializeOwned;

use super::{FilePart, OperationInfo, Problem, ProblemLocation, RequestContext};

pub use super::serve::{Hooks, Input, handler};

/// A schema compiled into a validator, or why it does not compile (reported as a problem
/// of every request checked against it, not as a panic).
type Compiled = Result<jsonschema::Validator, String>;

/// The component schemas of an API (`$defs` of every operation schema), as JSON text,
/// parsed once on first use.
pub struct SchemaDefs {
    text: &'static str,
    parsed: OnceLock<serde_json::Value>,
}

impl SchemaDefs {
    /// The definitions `text` (a JSON object), not parsed yet.
    pub const fn new(text: &'static str) -> Self {
        Self {
            text,
            parsed: OnceLock::new(),
        }
    }

    fn get(&self) -> &serde_json::Value {
        self.parsed
            .get_or_init(|| serde_json::from_str(self.text).unwrap_or_default())
    }
}

impl fmt::Debug for SchemaDefs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SchemaDefs").finish_non_exhaustive()
    }
}

/// The validators of one operation's parameter and body schemas, each compiled on first
/// use (most operations of a server are never called in one run).
pub struct Validators {
    defs: &'static SchemaDefs,
    params: OnceLock<Compiled>,
    body: OnceLock<Compiled>,
}

impl Validators {
    /// Validators whose schemas refer to `defs`.
    pub const fn new(defs: &'static SchemaDefs) -> Self {
        Self {
            defs,
            params: OnceLock::new(),
            body: OnceLock::new(),
        }
    }

    fn compile(&self, schema: &str) -> Compiled {
        let mut root = match serde_json::from_str::<serde_json::Value>(schema) {
            Ok(serde_json::Value::Object(map)) => map,
            Ok(other) => {
                let mut map = serde_json::Map::new();
                map.insert("allOf".to_owned(), serde_json::Value::Array(vec![other]));
                map
            }
            Err(e) => return Err(e.to_string()),
        };
        root.insert(
            "$schema".to_owned(),
            "https://json-schema.org/draft/2020-12/schema".into(),
        );
        root.insert("$defs".to_owned(), self.defs.get().clone());
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(false)
            .build(&serde_json::Value::Object(root))
            .map_err(|e| e.to_string())
    }
}

impl fmt::Debug for Validators {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Validators").finish_non_exhaustive()
    }
}

/// The context of a request to `operation`; `credentials` is the generated
/// `Credentials::from_request`, which reads one field per security scheme.
pub(super) fn context<C>(
    operation: &'static OperationInfo,
    parts: &http::request::Parts,
    credentials: fn(&HeaderMap, &Uri) -> C,
) -> RequestContext<C> {
    RequestContext {
        operation,
        method: parts.method.clone(),
        uri: parts.uri.clone(),
        headers: parts.headers.clone(),
        credentials: credentials(&parts.headers, &parts.uri),
    }
}

/// The status `code` (a success code from the specification, so always valid).
pub fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::OK)
}

/// A response with status `code` and no body.
pub fn empty_response(code: u16) -> Response {
    let mut response = Response::new(axum::body::Body::empty());
    *response.status_mut() = status(code);
    response
}

/// A response with status `code`, `body` and, unless empty, `content_type`.
pub fn body_response(code: u16, content_type: &'static str, body: axum::body::Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status(code);
    if !content_type.is_empty() {
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(content_type),
        );
    }
    response
}

/// A JSON response; a 500 with no body when `body` does not serialize.
pub fn json_response<T: serde::Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut response = Response::new(axum::body::Body::from(bytes));
            *response.status_mut() = status;
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        Err(_) => empty_response(500),
    }
}

/// Sets header `name` of `response` to `value`, when there is one and it is a valid header.
pub fn set_header(response: &mut Response, name: &'static str, value: Option<&str>) {
    if let (Some(value), Ok(name)) = (value, HeaderName::try_from(name))
        && let Ok(value) = HeaderValue::from_str(value)
    {
        response.headers_mut().insert(name, value);
    }
}

/// The credential of an `Authorization: <scheme> <credential>` header.
pub fn authorization(headers: &HeaderMap, scheme: &str) -> Option<String> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (name, rest) = value.split_once(' ')?;
    name.eq_ignore_ascii_case(scheme)
        .then(|| rest.trim().to_owned())
}

/// The first value of header `name`.
pub fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_owned)
}

/// The last value of query parameter `name` (a credential sent in the query).
pub fn query_value(uri: &Uri, name: &str) -> Option<String> {
    url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .last()
}

/// Every value of header `name`, in order.
pub(super) fn header_values(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect()
}

/// The path parameters the router matched, percent-decoded.
pub(super) async fn path_params(parts: &mut http::request::Parts) -> Vec<(String, String)> {
    use axum::extract::FromRequestParts;
    match axum::extract::RawPathParams::from_request_parts(parts, &()).await {
        Ok(params) => params
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// The whole body, at most `limit` bytes.
pub(super) async fn read_body(
    body: axum::body::Body,
    limit: usize,
) -> Result<bytes::Bytes, Problem> {
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|e| Problem {
            location: ProblemLocation::Body,
            name: String::new(),
            message: format!("cannot read the body (at most {limit} bytes): {e}"),
        })
}

/// The problem of a required value that is absent.
pub(super) fn required(location: ProblemLocation, name: &str) -> Problem {
    Problem {
        location,
        name: name.to_owned(),
        message: "required".to_owned(),
    }
}

/// A problem of the body as a whole.
fn body_problem(message: String) -> Problem {
    Problem {
        location: ProblemLocation::Body,
        name: String::new(),
        message,
    }
}

/// One value: as a JSON string first (strings, enums), else as JSON text (numbers,
/// booleans).
pub fn text_value<T: DeserializeOwned>(raws: Vec<String>) -> Result<T, String> {
    let raw = raws.into_iter().next_back().unwrap_or_default();
    match serde_json::from_value(serde_json::Value::String(raw.clone())) {
        Ok(value) => Ok(value),
        Err(first) => serde_json::from_str(&raw).map_err(|_| first.to_string()),
    }
}

/// Every value of a repeated parameter.
pub fn repeated_value<T: DeserializeOwned>(raws: Vec<String>) -> Result<T, String> {
    let items = raws
        .into_iter()
        .map(
            |raw| match serde_json::from_str::<serde_json::Value>(&raw) {
                Ok(value @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => value,
                _ => serde_json::Value::String(raw),
            },
        )
        .collect();
    serde_json::from_value(serde_json::Value::Array(items)).map_err(|e| e.to_string())
}

/// Every item of a list parameter declared `explode: false` (`?a=1,2`); repeated
/// occurrences of the name are read too, as some clients send them.
pub fn joined_value<T: DeserializeOwned>(raws: Vec<String>) -> Result<T, String> {
    let items = raws
        .iter()
        .filter(|raw| !raw.is_empty())
        .flat_map(|raw| raw.split(','))
        .map(str::to_owned)
        .collect();
    repeated_value(items)
}

/// A value written as JSON text.
pub fn json_value<T: DeserializeOwned>(raws: Vec<String>) -> Result<T, String> {
    let raw = raws.into_iter().next_back().unwrap_or_default();
    serde_json::from_str(&raw).map_err(|e| e.to_string())
}

/// Decodes a parameter and records its value for schema validation.
pub(super) fn param<T: serde::Serialize>(
    location: ProblemLocation,
    name: &str,
    raws: Vec<String>,
    required: bool,
    decode: fn(Vec<String>) -> Result<T, String>,
    problems: &mut Vec<Problem>,
    values: &mut serde_json::Map<String, serde_json::Value>,
) -> Option<T> {
    if raws.is_empty() {
        if required {
            problems.push(self::required(location, name));
        }
        return None;
    }
    match decode(raws) {
        Ok(value) => {
            if let Ok(json) = serde_json::to_value(&value) {
                let group = values
                    .entry(location_key(location))
                    .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
                if let serde_json::Value::Object(group) = group {
                    group.insert(name.to_owned(), json);
                }
            }
            Some(value)
        }
        Err(message) => {
            problems.push(Problem {
                location,
                name: name.to_owned(),
                message,
            });
            None
        }
    }
}

/// Validates `instance` with the compiled schema, one problem per violation (named by its
/// JSON pointer), or one saying the schema does not compile.
fn check(
    compiled: &Compiled,
    location: ProblemLocation,
    instance: &serde_json::Value,
    problems: &mut Vec<Problem>,
) {
    match compiled {
        Ok(validator) => {
            for error in validator.iter_errors(instance) {
                let name = error.instance_path().to_string();
                problems.push(Problem {
                    location,
                    name,
                    message: error.to_string(),
                });
            }
        }
        Err(message) => problems.push(Problem {
            location,
            name: String::new(),
            message: format!("the server's schema does not compile: {message}"),
        }),
    }
}

/// The key of a location's group in the parameter schema's instance.
fn location_key(location: ProblemLocation) -> String {
    match location {
        ProblemLocation::Path => "path",
        ProblemLocation::Query => "query",
        ProblemLocation::Header => "header",
        ProblemLocation::Body => "body",
    }
    .to_owned()
}

/// Validates the parameter values [`param`] recorded against the operation's parameter
/// schema.
pub(super) fn validate_params(
    info: &'static OperationInfo,
    values: &mut serde_json::Map<String, serde_json::Value>,
    problems: &mut Vec<Problem>,
) {
    let validators = &info.validators;
    let compiled = validators
        .params
        .get_or_init(|| validators.compile(info.params_schema));
    let instance = serde_json::Value::Object(std::mem::take(values));
    let mut found = Vec::new();
    check(compiled, ProblemLocation::Query, &instance, &mut found);
    // The instance path is `/<location>/<name>...`.
    for mut problem in found {
        let mut segments = problem.name.trim_start_matches('/').splitn(3, '/');
        let location = match segments.next() {
            Some("path") => ProblemLocation::Path,
            Some("header") => ProblemLocation::Header,
            _ => ProblemLocation::Query,
        };
        problem.location = location;
        problem.name = segments.next().unwrap_or_default().to_owned();
        problems.push(problem);
    }
}

/// A JSON body, validated against the operation's body schema, then decoded.
pub(super) fn json_body<T: DeserializeOwned>(
    info: &'static OperationInfo,
    body: &[u8],
    required: bool,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        if required {
            problems.push(body_problem("a JSON body is required".to_owned()));
        }
        return None;
    }
    let value: serde_json::Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(e) => {
            problems.push(body_problem(format!("not JSON: {e}")));
            return None;
        }
    };
    if let Some(schema) = info.body_schema {
        let validators = &info.validators;
        let before = problems.len();
        let compiled = validators.body.get_or_init(|| validators.compile(schema));
        check(compiled, ProblemLocation::Body, &value, problems);
        if problems.len() > before {
            return None;
        }
    }
    match serde_json::from_value(value) {
        Ok(decoded) => Some(decoded),
        Err(e) => {
            problems.push(body_problem(e.to_string()));
            None
        }
    }
}

/// A text body.
pub(super) fn text_body(
    body: &bytes::Bytes,
    required: bool,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    if body.is_empty() {
        if required {
            problems.push(body_problem("a body is required".to_owned()));
        }
        return None;
    }
    match std::str::from_utf8(body) {
        Ok(text) => Some(text.to_owned()),
        Err(e) => {
            problems.push(body_problem(format!("not UTF-8: {e}")));
            None
        }
    }
}

/// A form part as received.
pub struct Part {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    bytes: bytes::Bytes,
}

/// The parts of a `multipart/form-data` body.
pub(super) async fn multipart(
    headers: &HeaderMap,
    body: bytes::Bytes,
    problems: &mut Vec<Problem>,
) -> Vec<Part> {
    let boundary = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| multer::parse_boundary(v).ok());
    let Some(boundary) = boundary else {
        problems.push(body_problem(
            "expected a multipart/form-data body with a boundary".to_owned(),
        ));
        return Vec::new();
    };
    let stream = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    let mut parts = Vec::new();
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                let file_name = field.file_name().map(str::to_owned);
                let content_type = field.content_type().map(ToString::to_string);
                match field.bytes().await {
                    Ok(bytes) => parts.push(Part {
                        name,
                        file_name,
                        content_type,
                        bytes,
                    }),
                    Err(e) => {
                        problems.push(body_problem(format!("malformed multipart body: {e}")));
                        break;
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                problems.push(body_problem(format!("malformed multipart body: {e}")));
                break;
            }
        }
    }
    parts
}

/// Takes the part `name` out of the form, for a required one recording its absence.
fn take(
    form: &mut Vec<Part>,
    name: &str,
    required: bool,
    problems: &mut Vec<Problem>,
) -> Option<Part> {
    let Some(index) = form.iter().position(|p| p.name == name) else {
        if required {
            problems.push(self::required(ProblemLocation::Body, name));
        }
        return None;
    };
    Some(form.remove(index))
}

/// The file part `name`.
pub(super) fn file_part(
    form: &mut Vec<Part>,
    name: &str,
    required: bool,
    problems: &mut Vec<Problem>,
) -> Option<FilePart> {
    let part = take(form, name, required, problems)?;
    Some(FilePart {
        file_name: part.file_name,
        content_type: part.content_type,
        bytes: part.bytes,
    })
}

/// The text part `name`, decoded like a parameter.
pub(super) fn text_part<T>(
    form: &mut Vec<Part>,
    name: &str,
    required: bool,
    decode: fn(Vec<String>) -> Result<T, String>,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    let part = take(form, name, required, problems)?;
    let problem = |message| Problem {
        location: ProblemLocation::Body,
        name: name.to_owned(),
        message,
    };
    let text = match String::from_utf8(part.bytes.to_vec()) {
        Ok(text) => text,
        Err(e) => {
            problems.push(problem(format!("not UTF-8: {e}")));
            return None;
        }
    };
    match decode(vec![text]) {
        Ok(value) => Some(value),
        Err(message) => {
            problems.push(problem(message));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn joined_values_split_on_commas() {
        let ids: Vec<i64> = super::joined_value(vec!["1,2".into(), "3".into()]).unwrap();
        assert_eq!(ids, [1, 2, 3]);
        let empty: Vec<String> = super::joined_value(vec![String::new()]).unwrap();
        assert!(empty.is_empty());
        assert!(super::joined_value::<Vec<i64>>(vec!["1,x".into()]).is_err());
    }
}
