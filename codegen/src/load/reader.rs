//! Reads `serde_json::Value` into the typed document, carrying a JSON pointer everywhere.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet, VecDeque};

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::document::*;
use crate::error::{Error, Pointer, Result};
use crate::json::{self, RefError};

/// Schema keywords that constrain a value in ways no Rust type here can express. Each is
/// ignored with a warning naming its pointer; the rest of the schema still shapes the type
/// (a schema that is only `not: {...}` is the unconstrained type), so every valid document
/// generates and the user is told what the types do not check.
const IGNORED_SCHEMA_KEYWORDS: &[&str] = &[
    "not",
    "if",
    "then",
    "else",
    "prefixItems",
    "patternProperties",
    "dependentSchemas",
    "unevaluatedProperties",
    "$dynamicRef",
];

pub(super) fn read_document(root: &Value) -> Result<Document> {
    let ptr = Pointer::root();
    let doc = Reader {
        root,
        warnings: Default::default(),
        schema_refs: RefCell::new(SchemaRefs::new(root)),
    };
    let obj = expect_object(root, &ptr)?;

    let version_ptr = ptr.push("openapi");
    let version_text = match obj.get("openapi") {
        Some(Value::String(s)) => s.as_str(),
        Some(_) => {
            return Err(Error::new(
                &version_ptr,
                "expected a version string like \"3.0.3\"",
            ));
        }
        None if obj.contains_key("swagger") => {
            return Err(Error::new(
                &ptr.push("swagger"),
                "Swagger 2.0 is not supported; expected an OpenAPI 3.0 or 3.1 document",
            ));
        }
        None => {
            return Err(Error::new(
                &version_ptr,
                "missing; expected \"3.0.x\" or \"3.1.x\"",
            ));
        }
    };
    let version = if version_text.starts_with("3.0.") || version_text == "3.0" {
        SpecVersion::V3_0
    } else if version_text.starts_with("3.1.") || version_text == "3.1" {
        SpecVersion::V3_1
    } else {
        return Err(Error::new(
            &version_ptr,
            format!("unsupported OpenAPI version {version_text:?}; expected 3.0.x or 3.1.x"),
        ));
    };

    let info_ptr = ptr.push("info");
    let info = match obj.get("info") {
        Some(info) => expect_object(info, &info_ptr)?,
        None => {
            return Err(Error::new(
                &info_ptr,
                "missing; expected an object with `title` and `version`",
            ));
        }
    };
    let title = required_string(info, &info_ptr, "title")?;
    let api_version = required_string(info, &info_ptr, "version")?;
    let description = optional_string(info, &info_ptr, "description")?;

    let mut servers = Vec::new();
    if let Some(list) = obj.get("servers") {
        let list_ptr = ptr.push("servers");
        for (i, server) in expect_array(list, &list_ptr)?.iter().enumerate() {
            let server_ptr = list_ptr.push(i);
            let server = expect_object(server, &server_ptr)?;
            servers.push(server_url(server, &server_ptr)?);
        }
    }

    let mut tags = Vec::new();
    if let Some(list) = obj.get("tags") {
        let list_ptr = ptr.push("tags");
        for (i, tag) in expect_array(list, &list_ptr)?.iter().enumerate() {
            let tag_ptr = list_ptr.push(i);
            let tag = expect_object(tag, &tag_ptr)?;
            tags.push(Tag {
                name: required_string(tag, &tag_ptr, "name")?,
                description: optional_string(tag, &tag_ptr, "description")?,
            });
        }
    }

    let components = doc.read_components(obj.get("components"), &ptr.push("components"))?;
    let security = read_security(obj.get("security"), &ptr.push("security"))?;

    let mut paths = Vec::new();
    let paths_ptr = ptr.push("paths");
    match obj.get("paths") {
        Some(value) => {
            for (path, item) in expect_object(value, &paths_ptr)? {
                if path.starts_with("x-") {
                    continue;
                }
                let item_ptr = paths_ptr.push(path);
                if !path.starts_with('/') {
                    return Err(Error::new(&item_ptr, "a path must start with '/'"));
                }
                paths.push(doc.read_path_item(path, item, &item_ptr)?);
            }
        }
        // 3.1 allows a document of webhooks/components only; there is nothing to bind then.
        None if version == SpecVersion::V3_1 => {}
        None => {
            return Err(Error::new(
                &paths_ptr,
                "missing; an OpenAPI 3.0 document needs `paths`",
            ));
        }
    }

    // Schemas that `$ref`s name anywhere else than `#/components/schemas/<name>` (a
    // property of another schema, a parameter's schema, a response's...) become components
    // of their own, read here; reading one may find more.
    let mut components = components;
    loop {
        let next = doc.schema_refs.borrow_mut().pending.pop_front();
        let Some((name, at)) = next else { break };
        let value = at.resolve(root).ok_or_else(|| {
            Error::new(
                &at,
                "internal error: a followed reference no longer resolves",
            )
        })?;
        let schema = doc.read_schema(value, &at)?;
        components.schemas.insert(name, schema);
    }

    let document = Document {
        warnings: doc.warnings.take(),
        version,
        title,
        api_version,
        description,
        servers,
        security,
        tags,
        paths,
        components,
    };
    check_schema_refs(&document)?;
    Ok(document)
}

struct Reader<'a> {
    root: &'a Value,
    /// Oddities read leniently; reported with the result, never silently.
    warnings: RefCell<Vec<Error>>,
    /// Schemas named by a `$ref` that is not `#/components/schemas/<name>`.
    schema_refs: RefCell<SchemaRefs>,
}

/// The schemas a `$ref` names elsewhere than under `#/components/schemas`: each is read once
/// as a component of its own, under a name made from its pointer, so a `$ref` stays a name
/// (and cycles through such references cost nothing, as between components).
struct SchemaRefs {
    /// Target pointer (escaped form) -> the component name given to it.
    by_pointer: HashMap<String, String>,
    /// Every component name in use, normalized (lowercase ASCII alphanumerics).
    taken: HashSet<String>,
    /// Named but not read yet.
    pending: VecDeque<(String, Pointer)>,
}

impl SchemaRefs {
    fn new(root: &Value) -> Self {
        let taken = root
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .map(|schemas| schemas.keys().map(|k| normalized(k)).collect())
            .unwrap_or_default();
        SchemaRefs {
            by_pointer: HashMap::new(),
            taken,
            pending: VecDeque::new(),
        }
    }

    /// The component name of the schema at `at`, read later if it is new.
    fn name_of(&mut self, at: &Pointer) -> String {
        if let Some(name) = self.by_pointer.get(at.as_str()) {
            return name.clone();
        }
        let base = synthetic_name(at);
        let mut name = base.clone();
        let mut n = 1;
        while !self.taken.insert(normalized(&name)) {
            n += 1;
            name = format!("{base} {n}");
        }
        self.by_pointer.insert(at.as_str().to_owned(), name.clone());
        self.pending.push_back((name.clone(), at.clone()));
        name
    }
}

/// Lowercase ASCII alphanumerics: two names equal here would likely meet as Rust names.
fn normalized(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A readable name for the schema at `at`: its meaningful tokens (structural keywords and
/// media types dropped), `#/components/schemas/Pet/properties/owner` -> `Pet owner`.
fn synthetic_name(at: &Pointer) -> String {
    const STRUCTURAL: &[&str] = &[
        "components",
        "schemas",
        "properties",
        "items",
        "schema",
        "content",
        "paths",
        "allOf",
        "anyOf",
        "oneOf",
        "additionalProperties",
        "parameters",
        "responses",
        "requestBodies",
        "requestBody",
        "headers",
        "pathItems",
        "$defs",
        "definitions",
    ];
    let words: Vec<String> = at
        .tokens()
        .filter(|t| !STRUCTURAL.contains(&t.as_str()))
        // A media type (`application/json`) says nothing about the value; a path does.
        .filter(|t| t.starts_with('/') || !t.contains('/'))
        .map(|t| {
            t.chars()
                .map(|c| if c.is_alphanumeric() { c } else { ' ' })
                .collect::<String>()
        })
        .filter(|t| !t.trim().is_empty())
        .collect();
    let name = words.join(" ");
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        "Schema".to_owned()
    } else {
        name
    }
}

impl<'a> Reader<'a> {
    fn read_components(&self, value: Option<&Value>, ptr: &Pointer) -> Result<Components> {
        let mut components = Components::default();
        let Some(value) = value else {
            return Ok(components);
        };
        let obj = expect_object(value, ptr)?;
        components.schemas = read_map(obj, ptr, "schemas", |item, at| self.read_schema(item, at))?;
        components.parameters = read_map(obj, ptr, "parameters", |item, at| {
            self.read_parameter(item, at)
        })?;
        components.request_bodies = read_map(obj, ptr, "requestBodies", |item, at| {
            self.read_request_body(item, at)
        })?;
        components.responses = read_map(obj, ptr, "responses", |item, at| {
            self.read_response(item, at)
        })?;
        components.headers = read_map(obj, ptr, "headers", |item, at| self.read_header(item, at))?;
        components.security_schemes = read_map(obj, ptr, "securitySchemes", |item, at| {
            self.read_security_scheme(item, at)
        })?;
        Ok(components)
    }

    /// Follows `$ref` chains to the object they name. Returns the target and its pointer.
    fn deref(&self, value: &'a Value, ptr: &Pointer, kind: &str) -> Result<(&'a Value, Pointer)> {
        let ref_ptr = ptr.push("$ref");
        match json::follow_refs(self.root, value) {
            Ok((target, at)) => Ok((target, at.unwrap_or_else(|| ptr.clone()))),
            Err(RefError::NotAString) => Err(Error::new(&ref_ptr, "expected a string")),
            Err(RefError::NotLocal(reference)) => Err(Error::new(
                &ref_ptr,
                format!(
                    "remote or file reference {reference:?} is not supported: only references into this document (`#/components/{kind}/...`, any `#/...` pointer) are; bundle the document first"
                ),
            )),
            Err(e @ RefError::Malformed { .. }) => {
                Err(Error::new(&ref_ptr, format!("malformed reference: {e}")))
            }
            Err(RefError::Unresolved(reference)) => Err(Error::new(
                &ref_ptr,
                format!("reference {reference:?} does not resolve"),
            )),
            Err(e @ RefError::Cycle(_)) => Err(Error::new(ptr, e.to_string())),
        }
    }

    fn read_path_item(&self, path: &str, value: &Value, ptr: &Pointer) -> Result<PathItem> {
        let (value, ptr) = self.deref(value, ptr, "pathItems")?;
        let obj = expect_object(value, &ptr)?;
        let shared = self.read_parameter_list(obj.get("parameters"), &ptr.push("parameters"))?;
        let mut operations = Vec::new();
        for (key, method) in Method::ALL {
            if let Some(op) = obj.get(key) {
                operations.push(self.read_operation(method, op, &ptr.push(key), &shared)?);
            }
        }
        Ok(PathItem {
            path: path.to_owned(),
            pointer: ptr,
            parameters: shared,
            operations,
        })
    }

    fn read_parameter_list(&self, value: Option<&Value>, ptr: &Pointer) -> Result<Vec<Parameter>> {
        let Some(value) = value else {
            return Ok(Vec::new());
        };
        let mut params: Vec<Parameter> = Vec::new();
        for (i, item) in expect_array(value, ptr)?.iter().enumerate() {
            let param = self.read_parameter(item, &ptr.push(i))?;
            if params
                .iter()
                .any(|p| p.name == param.name && p.location == param.location)
            {
                return Err(Error::new(
                    &ptr.push(i),
                    format!(
                        "parameter {:?} is declared twice in the same location",
                        param.name
                    ),
                ));
            }
            params.push(param);
        }
        Ok(params)
    }

    fn read_operation(
        &self,
        method: Method,
        value: &Value,
        ptr: &Pointer,
        shared: &[Parameter],
    ) -> Result<Operation> {
        let obj = expect_object(value, ptr)?;
        let own = self.read_parameter_list(obj.get("parameters"), &ptr.push("parameters"))?;
        // Path-level parameters first, in their order, each replaced by the operation's own
        // declaration of the same name+location; then the operation's remaining ones.
        let mut parameters: Vec<Parameter> = shared
            .iter()
            .map(|p| {
                own.iter()
                    .find(|o| o.name == p.name && o.location == p.location)
                    .unwrap_or(p)
                    .clone()
            })
            .collect();
        for p in own {
            if !parameters
                .iter()
                .any(|q| q.name == p.name && q.location == p.location)
            {
                parameters.push(p);
            }
        }
        let tags = match obj.get("tags") {
            None => Vec::new(),
            Some(v) => {
                let tags_ptr = ptr.push("tags");
                expect_array(v, &tags_ptr)?
                    .iter()
                    .enumerate()
                    .map(|(i, t)| expect_str(t, &tags_ptr.push(i)).map(str::to_owned))
                    .collect::<Result<_>>()?
            }
        };
        let request_body = match obj.get("requestBody") {
            None => None,
            Some(v) => Some(self.read_request_body(v, &ptr.push("requestBody"))?),
        };
        let responses_ptr = ptr.push("responses");
        let mut responses = Vec::new();
        if let Some(v) = obj.get("responses") {
            for (key, response) in expect_object(v, &responses_ptr)? {
                if key.starts_with("x-") {
                    continue;
                }
                let response_ptr = responses_ptr.push(key);
                let status = parse_status_key(key).ok_or_else(|| {
                    Error::new(
                        &response_ptr,
                        "expected a status code (`200`), a range (`2XX`) or `default`",
                    )
                })?;
                responses.push((status, self.read_response(response, &response_ptr)?));
            }
        }
        Ok(Operation {
            pointer: ptr.clone(),
            method,
            operation_id: optional_string(obj, ptr, "operationId")?,
            summary: optional_string(obj, ptr, "summary")?,
            description: optional_string(obj, ptr, "description")?,
            tags,
            deprecated: optional_bool(obj, ptr, "deprecated")?.unwrap_or(false),
            parameters,
            request_body,
            responses,
            security: read_security(obj.get("security"), &ptr.push("security"))?,
        })
    }

    fn read_security_scheme(&self, value: &Value, ptr: &Pointer) -> Result<SecurityScheme> {
        let (value, at) = self.deref(value, ptr, "securitySchemes")?;
        let obj = expect_object(value, &at)?;
        let kind = required_string(obj, &at, "type")?;
        Ok(match kind.as_str() {
            "http" => {
                let scheme = required_string(obj, &at, "scheme")?;
                match scheme.to_ascii_lowercase().as_str() {
                    "basic" => SecurityScheme::Basic,
                    "bearer" => SecurityScheme::Bearer,
                    other => {
                        // Digest, HOBA, ...: the runtime has no way to compute them, so
                        // they are sent as a bearer-style token and reported.
                        self.warnings.borrow_mut().push(Error::new(
                            &at.push("scheme"),
                            format!(
                                "http scheme `{other}` is not supported; treated as a bearer token"
                            ),
                        ));
                        SecurityScheme::Bearer
                    }
                }
            }
            "apiKey" => {
                let location = match required_string(obj, &at, "in")?.as_str() {
                    "header" => ApiKeyLocation::Header,
                    "query" => ApiKeyLocation::Query,
                    "cookie" => ApiKeyLocation::Cookie,
                    other => {
                        return Err(Error::new(
                            &at.push("in"),
                            format!(
                                "unknown apiKey location {other:?}; expected `header`, `query` or `cookie`"
                            ),
                        ));
                    }
                };
                SecurityScheme::ApiKey {
                    location,
                    name: required_string(obj, &at, "name")?,
                }
            }
            // The client obtains no tokens itself: an OAuth2 or OpenID Connect access
            // token is given to it and sent as a bearer token.
            "oauth2" | "openIdConnect" => SecurityScheme::Bearer,
            "mutualTLS" => {
                self.warnings.borrow_mut().push(Error::new(
                    &at.push("type"),
                    "mutualTLS is configured on the HTTP client (`ClientBuilder::http_client`), not per request; treated as a bearer token",
                ));
                SecurityScheme::Bearer
            }
            other => {
                return Err(Error::new(
                    &at.push("type"),
                    format!(
                        "unknown security scheme type {other:?}; expected `http`, `apiKey`, `oauth2`, `openIdConnect` or `mutualTLS`"
                    ),
                ));
            }
        })
    }

    fn read_parameter(&self, value: &Value, ptr: &Pointer) -> Result<Parameter> {
        let (value, at) = self.deref(value, ptr, "parameters")?;
        let obj = expect_object(value, &at)?;
        let name = required_string(obj, &at, "name")?;
        let location = match required_string(obj, &at, "in")?.as_str() {
            "path" => ParameterLocation::Path,
            "query" => ParameterLocation::Query,
            "header" => ParameterLocation::Header,
            "cookie" => ParameterLocation::Cookie,
            other => {
                return Err(Error::new(
                    &at.push("in"),
                    format!(
                        "unknown parameter location {other:?}; expected path, query, header or cookie"
                    ),
                ));
            }
        };
        let required = optional_bool(obj, &at, "required")?.unwrap_or(false);
        if location == ParameterLocation::Path && !required {
            return Err(Error::new(
                &at.push("required"),
                "path parameters must be `required: true`",
            ));
        }
        let schema = match (obj.get("schema"), obj.get("content")) {
            (Some(schema), _) => Some(self.read_schema(schema, &at.push("schema"))?),
            (None, Some(content)) => {
                let content = self.read_content(content, &at.push("content"))?;
                content.into_values().next().and_then(|m| m.schema)
            }
            (None, None) => None,
        };
        Ok(Parameter {
            pointer: at.clone(),
            name,
            location,
            required,
            description: optional_string(obj, &at, "description")?,
            deprecated: optional_bool(obj, &at, "deprecated")?.unwrap_or(false),
            schema,
            explode: optional_bool(obj, &at, "explode")?,
        })
    }

    fn read_request_body(&self, value: &Value, ptr: &Pointer) -> Result<RequestBody> {
        let (value, at) = self.deref(value, ptr, "requestBodies")?;
        let obj = expect_object(value, &at)?;
        let content = match obj.get("content") {
            Some(c) => self.read_content(c, &at.push("content"))?,
            None => IndexMap::new(),
        };
        Ok(RequestBody {
            pointer: at.clone(),
            description: optional_string(obj, &at, "description")?,
            required: optional_bool(obj, &at, "required")?.unwrap_or(false),
            content,
        })
    }

    fn read_response(&self, value: &Value, ptr: &Pointer) -> Result<Response> {
        let (value, at) = self.deref(value, ptr, "responses")?;
        let obj = expect_object(value, &at)?;
        let content = match obj.get("content") {
            Some(c) => self.read_content(c, &at.push("content"))?,
            None => IndexMap::new(),
        };
        let mut headers = IndexMap::new();
        if let Some(h) = obj.get("headers") {
            let headers_ptr = at.push("headers");
            for (name, header) in expect_object(h, &headers_ptr)? {
                headers.insert(
                    name.clone(),
                    self.read_header(header, &headers_ptr.push(name))?,
                );
            }
        }
        Ok(Response {
            pointer: at.clone(),
            description: optional_string(obj, &at, "description")?,
            headers,
            content,
        })
    }

    fn read_header(&self, value: &Value, ptr: &Pointer) -> Result<Header> {
        let (value, at) = self.deref(value, ptr, "headers")?;
        let obj = expect_object(value, &at)?;
        let schema = match (obj.get("schema"), obj.get("content")) {
            (Some(schema), _) => Some(self.read_schema(schema, &at.push("schema"))?),
            (None, Some(content)) => self
                .read_content(content, &at.push("content"))?
                .into_values()
                .next()
                .and_then(|m| m.schema),
            (None, None) => None,
        };
        Ok(Header {
            pointer: at.clone(),
            description: optional_string(obj, &at, "description")?,
            required: optional_bool(obj, &at, "required")?.unwrap_or(false),
            schema,
        })
    }

    fn read_content(&self, value: &Value, ptr: &Pointer) -> Result<IndexMap<String, MediaType>> {
        let mut content = IndexMap::new();
        for (media_type, media) in expect_object(value, ptr)? {
            let media_ptr = ptr.push(media_type);
            // An empty media type object (`"application/json": {}`) is valid: no schema.
            let media_obj = expect_object(media, &media_ptr)?;
            let schema = match media_obj.get("schema") {
                Some(s) => Some(self.read_schema(s, &media_ptr.push("schema"))?),
                None => None,
            };
            content.insert(
                media_type.clone(),
                MediaType {
                    pointer: media_ptr,
                    schema,
                },
            );
        }
        Ok(content)
    }
}

impl Reader<'_> {
    fn warn(&self, at: &Pointer, message: impl Into<String>) {
        self.warnings.borrow_mut().push(Error::new(at, message));
    }

    /// The component name a schema `$ref` stands for: the name itself for
    /// `#/components/schemas/<name>`, else (any other JSON pointer into the document, after
    /// following `$ref` chains) the name given to its target by [`SchemaRefs`].
    fn schema_ref(&self, reference: &str, ref_ptr: &Pointer) -> Result<String> {
        let pointer = match json::Pointer::parse(reference) {
            Ok(pointer) => pointer,
            Err(RefError::NotLocal(_)) => {
                return Err(Error::new(
                    ref_ptr,
                    format!(
                        "remote or file reference {reference:?} is not supported: only references into this document (`#/...`) are; bundle the document first"
                    ),
                ));
            }
            Err(e) => return Err(Error::new(ref_ptr, format!("malformed reference: {e}"))),
        };
        if let Some(name) = json::component_ref(reference, "schemas") {
            // Checked against the components by `check_schema_refs`.
            return Ok(name);
        }
        let (_, at) =
            json::resolve_ref_at(self.root, &pointer.to_fragment()).map_err(|e| match e {
                RefError::Unresolved(_) => {
                    Error::new(ref_ptr, format!("reference {reference:?} does not resolve"))
                }
                other => Error::new(ref_ptr, other.to_string()),
            })?;
        match json::component_ref(&at.to_fragment(), "schemas") {
            Some(name) => Ok(name),
            None => Ok(self.schema_refs.borrow_mut().name_of(&at)),
        }
    }

    /// Reads one schema object (3.0 or 3.1 dialect). The `true` schema is "anything"; the
    /// `false` one (nothing is valid) is read as "anything" too, with a warning: no value
    /// of it is ever sent or received, so no type is wrong for it.
    fn read_schema(&self, value: &Value, ptr: &Pointer) -> Result<Schema> {
        let obj = match value {
            Value::Object(obj) => obj,
            Value::Bool(allowed) => {
                if !allowed {
                    self.warn(
                        ptr,
                        "the `false` schema matches nothing; read as any JSON value",
                    );
                }
                return Ok(Schema {
                    pointer: ptr.clone(),
                    ..Schema::default()
                });
            }
            other => {
                return Err(Error::new(
                    ptr,
                    format!("expected a schema object, found {}", kind_of(other)),
                ));
            }
        };
        for keyword in IGNORED_SCHEMA_KEYWORDS {
            if obj.contains_key(*keyword) {
                self.warn(
                    &ptr.push(keyword),
                    format!(
                        "the `{keyword}` keyword is ignored: no Rust type expresses it, so the value is not checked against it"
                    ),
                );
            }
        }
        let mut schema = Schema {
            pointer: ptr.clone(),
            ..Schema::default()
        };

        if let Some(reference) = obj.get("$ref") {
            let ref_ptr = ptr.push("$ref");
            let reference = expect_str(reference, &ref_ptr)?;
            schema.reference = Some(self.schema_ref(reference, &ref_ptr)?);
        }
        match obj.get("type") {
            None => {}
            Some(Value::String(t)) => push_type(
                &mut schema,
                t,
                &ptr.push("type"),
                &mut self.warnings.borrow_mut(),
            )?,
            Some(Value::Array(list)) => {
                let type_ptr = ptr.push("type");
                for (i, t) in list.iter().enumerate() {
                    let item_ptr = type_ptr.push(i);
                    push_type(
                        &mut schema,
                        expect_str(t, &item_ptr)?,
                        &item_ptr,
                        &mut self.warnings.borrow_mut(),
                    )?;
                }
            }
            Some(other) => {
                return Err(Error::new(
                    &ptr.push("type"),
                    format!(
                        "expected a type name or an array of them, found {}",
                        kind_of(other)
                    ),
                ));
            }
        }
        if optional_bool(obj, ptr, "nullable")?.unwrap_or(false) {
            schema.nullable = true;
        }
        schema.format = optional_string(obj, ptr, "format")?;
        schema.title = optional_string(obj, ptr, "title")?;
        schema.description = optional_string(obj, ptr, "description")?;
        schema.deprecated = optional_bool(obj, ptr, "deprecated")?.unwrap_or(false);
        schema.read_only = optional_bool(obj, ptr, "readOnly")?.unwrap_or(false);
        schema.write_only = optional_bool(obj, ptr, "writeOnly")?.unwrap_or(false);
        schema.sensitive = matches!(obj.get("x-sensitive"), Some(Value::Bool(true)));
        schema.default = obj.get("default").cloned();
        schema.const_value = obj.get("const").cloned();

        if let Some(values) = obj.get("enum") {
            let values = expect_array(values, &ptr.push("enum"))?;
            let mut kept = Vec::with_capacity(values.len());
            for v in values {
                if v.is_null() {
                    schema.nullable = true;
                } else {
                    kept.push(v.clone());
                }
            }
            schema.enum_values = Some(kept);
        }

        if let Some(props) = obj.get("properties") {
            let props_ptr = ptr.push("properties");
            for (name, prop) in expect_object(props, &props_ptr)? {
                schema
                    .properties
                    .insert(name.clone(), self.read_schema(prop, &props_ptr.push(name))?);
            }
        }
        if let Some(required) = obj.get("required") {
            let req_ptr = ptr.push("required");
            // In 3.0 documents `required: true` on a property schema is a common mistake; it is
            // meaningless there, and rejecting it would fail otherwise fine real-world specs.
            if !required.is_boolean() {
                for (i, name) in expect_array(required, &req_ptr)?.iter().enumerate() {
                    schema
                        .required
                        .push(expect_str(name, &req_ptr.push(i))?.to_owned());
                }
            }
        }
        match obj.get("additionalProperties") {
            None => {}
            Some(Value::Bool(b)) => {
                schema.additional_properties = Some(AdditionalProperties::Allowed(*b))
            }
            Some(v) => {
                let inner = self.read_schema(v, &ptr.push("additionalProperties"))?;
                schema.additional_properties = Some(AdditionalProperties::Schema(Box::new(inner)));
            }
        }
        if let Some(items) = obj.get("items") {
            let items_ptr = ptr.push("items");
            if items.is_array() {
                return Err(Error::new(
                    &items_ptr,
                    "tuple-style `items` arrays are not supported; expected one schema",
                ));
            }
            schema.items = Some(Box::new(self.read_schema(items, &items_ptr)?));
        }
        for (keyword, target) in [
            ("allOf", &mut schema.all_of),
            ("anyOf", &mut schema.any_of),
            ("oneOf", &mut schema.one_of),
        ] {
            if let Some(list) = obj.get(keyword) {
                let list_ptr = ptr.push(keyword);
                let list = expect_array(list, &list_ptr)?;
                if list.is_empty() {
                    return Err(Error::new(
                        &list_ptr,
                        format!("`{keyword}` must list at least one schema"),
                    ));
                }
                for (i, item) in list.iter().enumerate() {
                    target.push(self.read_schema(item, &list_ptr.push(i))?);
                }
            }
        }
        Ok(schema)
    }
}

fn push_type(
    schema: &mut Schema,
    name: &str,
    ptr: &Pointer,
    warnings: &mut Vec<Error>,
) -> Result<()> {
    let t = match name {
        "null" => {
            schema.nullable = true;
            return Ok(());
        }
        "string" => SchemaType::String,
        "integer" => SchemaType::Integer,
        "number" => SchemaType::Number,
        "boolean" => SchemaType::Boolean,
        "array" => SchemaType::Array,
        "object" => SchemaType::Object,
        other => {
            // Real specs contain this (`type: unknown` in Cloudflare's); the schema then
            // admits any value, which is what its authors meant, and the user is told.
            warnings.push(Error::new(
                ptr,
                format!("unknown type {other:?} read as \"any JSON value\"; expected string, integer, number, boolean, array, object or null"),
            ));
            return Ok(());
        }
    };
    if !schema.types.contains(&t) {
        schema.types.push(t);
    }
    Ok(())
}

/// Every schema `$ref` must name an existing component schema.
fn check_schema_refs(doc: &Document) -> Result<()> {
    fn visit(schema: &Schema, doc: &Document) -> Result<()> {
        if let Some(name) = schema
            .reference
            .as_ref()
            .filter(|name| !doc.components.schemas.contains_key(*name))
        {
            return Err(Error::new(
                &schema.pointer.push("$ref"),
                format!("reference to `#/components/schemas/{name}`, which does not exist"),
            ));
        }
        for s in schema.properties.values() {
            visit(s, doc)?;
        }
        if let Some(AdditionalProperties::Schema(s)) = &schema.additional_properties {
            visit(s, doc)?;
        }
        if let Some(s) = &schema.items {
            visit(s, doc)?;
        }
        for s in schema
            .all_of
            .iter()
            .chain(&schema.any_of)
            .chain(&schema.one_of)
        {
            visit(s, doc)?;
        }
        Ok(())
    }
    let c = &doc.components;
    for s in c.schemas.values() {
        visit(s, doc)?;
    }
    let params = doc
        .paths
        .iter()
        .flat_map(|p| p.operations.iter().flat_map(|o| &o.parameters))
        .chain(c.parameters.values());
    for p in params {
        if let Some(s) = &p.schema {
            visit(s, doc)?;
        }
    }
    for op in doc.paths.iter().flat_map(|p| &p.operations) {
        let bodies = op.request_body.iter().flat_map(|b| b.content.values());
        let responses = op.responses.iter().flat_map(|(_, r)| {
            r.content
                .values()
                .filter_map(|m| m.schema.as_ref())
                .chain(r.headers.values().filter_map(|h| h.schema.as_ref()))
        });
        for s in bodies.filter_map(|m| m.schema.as_ref()).chain(responses) {
            visit(s, doc)?;
        }
    }
    Ok(())
}

/// Reads the map under `obj[key]` (absent: empty), each value with `read`.
/// A server's URL with each `{variable}` replaced by its `default`.
fn server_url(server: &Map<String, Value>, ptr: &Pointer) -> Result<String> {
    let mut url = required_string(server, ptr, "url")?;
    if let Some(variables) = server.get("variables") {
        let variables_ptr = ptr.push("variables");
        for (name, variable) in expect_object(variables, &variables_ptr)? {
            let variable_ptr = variables_ptr.push(name);
            let variable = expect_object(variable, &variable_ptr)?;
            let default = required_string(variable, &variable_ptr, "default")?;
            url = url.replace(&format!("{{{name}}}"), &default);
        }
    }
    Ok(url)
}

/// A `security` array: alternatives, each an object whose keys are scheme names (the
/// scopes do not change how a credential is sent).
fn read_security(value: Option<&Value>, ptr: &Pointer) -> Result<Option<Vec<Vec<String>>>> {
    let Some(value) = value else {
        return Ok(None);
    };
    expect_array(value, ptr)?
        .iter()
        .enumerate()
        .map(|(i, alternative)| {
            Ok(expect_object(alternative, &ptr.push(i))?
                .keys()
                .cloned()
                .collect())
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

fn read_map<T>(
    obj: &Map<String, Value>,
    ptr: &Pointer,
    key: &str,
    mut read: impl FnMut(&Value, &Pointer) -> Result<T>,
) -> Result<IndexMap<String, T>> {
    let mut out = IndexMap::new();
    if let Some(items) = obj.get(key) {
        let items_ptr = ptr.push(key);
        for (name, item) in expect_object(items, &items_ptr)? {
            out.insert(name.clone(), read(item, &items_ptr.push(name))?);
        }
    }
    Ok(out)
}

fn parse_status_key(key: &str) -> Option<StatusKey> {
    if key == "default" {
        return Some(StatusKey::Default);
    }
    let bytes = key.as_bytes();
    if bytes.len() != 3 {
        return None;
    }
    if bytes[1..].eq_ignore_ascii_case(b"XX") && (b'1'..=b'5').contains(&bytes[0]) {
        return Some(StatusKey::Range(bytes[0] - b'0'));
    }
    key.parse::<u16>()
        .ok()
        .filter(|c| (100..=599).contains(c))
        .map(StatusKey::Code)
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn expect_object<'v>(value: &'v Value, ptr: &Pointer) -> Result<&'v Map<String, Value>> {
    value
        .as_object()
        .ok_or_else(|| Error::new(ptr, format!("expected an object, found {}", kind_of(value))))
}

fn expect_array<'v>(value: &'v Value, ptr: &Pointer) -> Result<&'v Vec<Value>> {
    value
        .as_array()
        .ok_or_else(|| Error::new(ptr, format!("expected an array, found {}", kind_of(value))))
}

fn expect_str<'v>(value: &'v Value, ptr: &Pointer) -> Result<&'v str> {
    value
        .as_str()
        .ok_or_else(|| Error::new(ptr, format!("expected a string, found {}", kind_of(value))))
}

fn required_string(obj: &Map<String, Value>, ptr: &Pointer, key: &str) -> Result<String> {
    match obj.get(key) {
        Some(v) => expect_str(v, &ptr.push(key)).map(str::to_owned),
        None => Err(Error::new(&ptr.push(key), "missing; expected a string")),
    }
}

fn optional_string(obj: &Map<String, Value>, ptr: &Pointer, key: &str) -> Result<Option<String>> {
    obj.get(key)
        .map(|v| expect_str(v, &ptr.push(key)).map(str::to_owned))
        .transpose()
}

fn optional_bool(obj: &Map<String, Value>, ptr: &Pointer, key: &str) -> Result<Option<bool>> {
    match obj.get(key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(Error::new(
            &ptr.push(key),
            format!("expected a boolean, found {}", kind_of(other)),
        )),
    }
}
