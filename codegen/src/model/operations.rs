//! Operations -> IR: parameters by location, the body, the success response, and every
//! name a builder needs, with collisions resolved.

use super::ir::*;
use super::media;
use super::naming::{self, Namespace};
use super::types::{TypeBuilder, docs_of};
use crate::Settings;
use crate::error::{Error, Result};
use crate::load::{self, MediaType, ParameterLocation, SchemaType};

/// Builder methods and fields every operation has; parameters and body fields must not
/// take them. The `with_` methods are the runtime's per-call option traits' (an inherent
/// setter of the same name would hide one), `request_options` their hook.
pub(crate) const BUILDER_METHODS: &[&str] = &[
    "options",
    "new",
    "send",
    "send_with_response",
    "into_stream",
    "body",
    "client",
    "request_options",
    "with_timeout",
    "with_max_retries",
    "with_deadline",
    "with_header",
    "with_query",
    "with_body_field",
    "with_retry_non_idempotent",
];

/// The names decided for an operation before it is built.
pub(crate) struct OperationNames {
    /// `operationId` (or a synthesized one).
    pub id: String,
    /// Owning resource key.
    pub resource: String,
    /// Method on the resource handle.
    pub method_name: String,
    /// Builder type name.
    pub builder: String,
    /// The server trait's method.
    pub server_method: String,
}

pub(crate) fn build_operation(
    types: &mut TypeBuilder<'_>,
    settings: &Settings,
    path: &str,
    op: &load::Operation,
    names: OperationNames,
    warnings: &mut Vec<Error>,
) -> Result<Operation> {
    let OperationNames {
        id,
        resource,
        method_name,
        builder,
        server_method,
    } = names;
    let mut names = Namespace::with_reserved(BUILDER_METHODS.iter().copied());
    let mut params = Vec::new();

    // Path parameters in template order, so constructor arguments read like the URL.
    let (segments, path_names) = split_template(path, &op.pointer)?;
    for name in &path_names {
        let declared = op
            .parameters
            .iter()
            .find(|p| p.location == ParameterLocation::Path && &p.name == name);
        let param = match declared {
            Some(p) => p.clone(),
            None => {
                // Real specs forget these (Cloudflare's has some); the template still needs
                // the value, so it becomes a required string argument, with a warning.
                let pointer = op.pointer.push("parameters");
                warnings.push(Error::new(
                    &pointer,
                    format!("path template uses {{{name}}} but no path parameter {name:?} is declared; generated as a required string"),
                ));
                load::Parameter {
                    pointer,
                    name: name.clone(),
                    location: ParameterLocation::Path,
                    required: true,
                    description: None,
                    deprecated: false,
                    schema: None,
                    explode: None,
                }
            }
        };
        params.push(param_of(types, settings, &param, &builder, &mut names)?);
    }
    for p in &op.parameters {
        match p.location {
            ParameterLocation::Path => {
                if !path_names.contains(&p.name) {
                    // Nothing in the URL can carry it; dropping it is the only reading.
                    warnings.push(Error::new(
                        &p.pointer,
                        format!("path parameter {:?} does not appear in the path template {path:?}; ignored", p.name),
                    ));
                }
            }
            ParameterLocation::Cookie => {
                return Err(Error::new(
                    &p.pointer.push("in"),
                    "cookie parameters are not supported",
                ));
            }
            ParameterLocation::Query | ParameterLocation::Header => {
                params.push(param_of(types, settings, p, &builder, &mut names)?);
            }
        }
    }
    let path_parts = segments
        .into_iter()
        .map(|s| match s {
            Segment::Literal(text) => PathPart::Literal(text),
            Segment::Param(i) => PathPart::Param(i),
        })
        .collect();

    let body = match &op.request_body {
        Some(body) => body_of(types, body, &builder, &mut names)?,
        None => None,
    };
    let response = response_of(types, settings, op, &builder)?;

    let mut text = op.summary.clone();
    if let Some(description) = op
        .description
        .as_ref()
        .filter(|d| Some(*d) != op.summary.as_ref())
    {
        text = Some(match text {
            Some(summary) => format!("{summary}\n\n{description}"),
            None => description.clone(),
        });
    }
    Ok(Operation {
        id,
        method_name,
        builder,
        resource,
        method: op.method,
        path: path.to_owned(),
        path_parts,
        docs: Docs {
            text,
            deprecated: op.deprecated,
        },
        params,
        body,
        response,
        security: op.security.clone(),
        // Resolved against the API's schemes once they are known (`model::build`).
        requirement: Vec::new(),
        server_method,
        request_media: op
            .request_body
            .as_ref()
            .map(|b| media_list(&b.content))
            .unwrap_or_default(),
        responses: op
            .responses
            .iter()
            .map(|(key, r)| ResponseDef {
                key: status_key(*key),
                content: media_list(&r.content),
            })
            .collect(),
        success: success_of(op),
        error_schema: error_schema_of(types, op),
    })
}

fn param_of(
    types: &mut TypeBuilder<'_>,
    settings: &Settings,
    p: &load::Parameter,
    builder: &str,
    names: &mut Namespace,
) -> Result<Param> {
    let location = match p.location {
        ParameterLocation::Path => ParamLocation::Path,
        ParameterLocation::Query => ParamLocation::Query,
        ParameterLocation::Header => ParamLocation::Header,
        ParameterLocation::Cookie => {
            return Err(Error::new(
                &p.pointer.push("in"),
                "cookie parameters are not supported",
            ));
        }
    };
    // A required parameter that admits exactly one value (`Tus-Resumable: 1.0.0`) is not a
    // choice for the caller: the generated code always sends it.
    let constant = p
        .schema
        .as_ref()
        .filter(|_| p.required)
        .and_then(|s| types.single_value(s));
    let hint = format!("{builder}{}", naming::camel_ident(&p.name));
    let mut ty = match &p.schema {
        _ if constant.is_some() => Ty::String,
        Some(schema) => types.ty_of(schema, &hint)?,
        None => Ty::String,
    };
    // A path segment is text: a schema that is not a scalar or string enum (an object, a
    // list) has no single-segment form, so the caller passes the text.
    if location == ParamLocation::Path && !types.is_text_like(&ty) {
        ty = Ty::String;
    }
    let mut docs = p.schema.as_ref().map(docs_of).unwrap_or_default();
    if p.description.is_some() {
        docs.text = p.description.clone();
    }
    docs.deprecated |= p.deprecated;
    let encoding = types.param_encoding(&ty, p.explode);
    let client_default = location == ParamLocation::Path
            // Only text: the client's defaults are strings (`account_id`), and another API's
            // integer parameter of the same name is the caller's to give.
            && ty == Ty::String
            && settings.config.client.path_defaults.iter().any(|d| d == &p.name);
    Ok(Param {
        wire: p.name.clone(),
        rust: names.claim(&naming::snake_ident(&p.name), "_param"),
        location,
        ty,
        required: p.required,
        constant,
        encoding,
        client_default,
        schema: p.schema.as_ref().map(|s| s.pointer.clone()),
        docs,
    })
}

/// The preferred media type of a content object (see [`media::preferred`]).
fn pick_media(content: &indexmap::IndexMap<String, MediaType>) -> Option<(&str, &MediaType)> {
    media::preferred(content.iter().map(|(mt, m)| (mt.as_str(), m)))
}

/// Every media type of a content object, in document order, with its schema's pointer.
fn media_list(content: &indexmap::IndexMap<String, MediaType>) -> Vec<Media> {
    content
        .iter()
        .map(|(mt, m)| Media {
            media_type: mt.clone(),
            kind: MediaKind::of(mt),
            schema: m.schema.as_ref().map(|s| s.pointer.clone()),
        })
        .collect()
}

/// The `responses` key as OpenAPI writes it.
fn status_key(key: load::StatusKey) -> String {
    match key {
        load::StatusKey::Code(code) => code.to_string(),
        load::StatusKey::Range(range) => format!("{range}XX"),
        load::StatusKey::Default => "default".to_owned(),
    }
}

/// The success response: the lowest explicit 2xx code, else the 2XX range, else `default`.
fn success_response(op: &load::Operation) -> Option<(load::StatusKey, &load::Response)> {
    op.responses
        .iter()
        .filter(|(k, _)| k.is_success())
        .min_by_key(|(k, _)| *k)
        .or_else(|| {
            op.responses
                .iter()
                .find(|(k, _)| *k == load::StatusKey::Default)
        })
        .map(|(k, r)| (*k, r))
}

fn success_of(op: &load::Operation) -> Success {
    let Some((key, response)) = success_response(op) else {
        return Success {
            status: 200,
            media: None,
        };
    };
    let status = match key {
        load::StatusKey::Code(code) => code,
        load::StatusKey::Range(_) | load::StatusKey::Default => 200,
    };
    let content = media_list(&response.content);
    let media = media::preferred(content.iter().map(|m| (m.media_type.as_str(), m)))
        .map(|(_, m)| m.clone());
    Success { status, media }
}

/// The `$ref` target every error response's JSON body names, when they agree.
fn error_schema_of(types: &TypeBuilder<'_>, op: &load::Operation) -> Option<crate::json::Pointer> {
    let mut refs = op
        .responses
        .iter()
        .filter(|(k, _)| match k {
            load::StatusKey::Code(code) => *code >= 400,
            load::StatusKey::Range(range) => *range >= 4,
            load::StatusKey::Default => true,
        })
        .filter_map(|(_, r)| {
            let (_, media) = r
                .content
                .iter()
                .find(|(mt, _)| MediaKind::of(mt) == MediaKind::Json)?;
            media.schema.as_ref()?.reference.as_deref()
        });
    let first = refs.next()?;
    if refs.all(|r| r == first) {
        types.component_pointer(first)
    } else {
        None
    }
}

fn body_of(
    types: &mut TypeBuilder<'_>,
    body: &load::RequestBody,
    builder: &str,
    names: &mut Namespace,
) -> Result<Option<Body>> {
    let Some((media_type, media)) = pick_media(&body.content) else {
        return Ok(None);
    };
    let docs = Docs {
        text: body.description.clone(),
        deprecated: false,
    };
    if MediaKind::of(media_type) == MediaKind::Json {
        let Some(schema) = &media.schema else {
            return Ok(Some(Body::Json {
                ty: Ty::Json,
                fields: Vec::new(),
                required: body.required,
                docs,
            }));
        };
        let ty = types.ty_of(schema, &format!("{builder}Body"))?;
        let fields = match &ty {
            Ty::Named(name) => match types.types.get(name).map(|t| &t.kind) {
                Some(TypeKind::Struct { fields, .. }) => fields
                    .iter()
                    .map(|f| BodyField {
                        setter: names.claim(&f.rust, "_field"),
                        clear: (f.presence == Presence::OptionalNullable).then(|| {
                            names.claim(&format!("clear_{}", naming::unraw(&f.rust)), "_field")
                        }),
                        field: f.clone(),
                    })
                    .collect(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        return Ok(Some(Body::Json {
            ty,
            fields,
            required: body.required,
            docs,
        }));
    }
    if MediaKind::of(media_type) == MediaKind::Multipart {
        let mut parts = Vec::new();
        if let Some(schema) = &media.schema {
            let schema = inline_object(types, schema)?;
            for (wire, prop) in &schema.properties {
                let prop = inline_object(types, prop)?;
                let is_file = prop.types == [SchemaType::String]
                    && matches!(prop.format.as_deref(), Some("binary" | "byte"));
                let hint = format!("{builder}{}", naming::camel_ident(wire));
                let ty = if is_file {
                    Ty::String
                } else {
                    types.ty_of(&prop, &hint)?
                };
                let kind = if is_file {
                    PartKind::File
                } else if ty.is_scalar()
                    || matches!(&ty, Ty::Named(n) if matches!(types.types.get(n).map(|t| &t.kind), Some(TypeKind::Enum { .. })))
                {
                    PartKind::Text
                } else {
                    PartKind::Json
                };
                parts.push(Part {
                    wire: wire.clone(),
                    rust: names.claim(&naming::snake_ident(wire), "_part"),
                    ty,
                    kind,
                    required: schema.required.contains(wire),
                    docs: docs_of(&prop),
                });
            }
        }
        return Ok(Some(Body::Multipart { parts }));
    }
    let text = MediaKind::of(media_type).is_text();
    Ok(Some(Body::Raw {
        content_type: media_type.to_owned(),
        text,
        required: body.required,
    }))
}

/// The schema with references and `allOf` resolved into one inline schema, so multipart
/// parts can be read from its properties.
fn inline_object(types: &TypeBuilder<'_>, schema: &load::Schema) -> Result<load::Schema> {
    if schema.reference.is_none() && schema.all_of.is_empty() {
        return Ok(schema.clone());
    }
    let wrapper = load::Schema {
        all_of: vec![schema.clone()],
        pointer: schema.pointer.clone(),
        ..Default::default()
    };
    types.merge_all_of(&wrapper, 0)
}

fn response_of(
    types: &mut TypeBuilder<'_>,
    settings: &Settings,
    op: &load::Operation,
    builder: &str,
) -> Result<ResponseKind> {
    let Some((_, response)) = success_response(op) else {
        return Ok(ResponseKind::Empty);
    };
    let Some((media_type, media)) = pick_media(&response.content) else {
        if response.headers.is_empty() {
            return Ok(ResponseKind::Empty);
        }
        let mut ns = Namespace::default();
        let headers = response
            .headers
            .iter()
            .map(|(wire, h)| ResponseHeader {
                wire: wire.clone(),
                rust: ns.claim(&naming::snake_ident(wire), "_"),
                required: h.required,
                docs: Docs {
                    text: h.description.clone(),
                    deprecated: false,
                },
            })
            .collect();
        return Ok(ResponseKind::Headers {
            type_name: format!("{builder}Headers"),
            headers,
        });
    };
    if MediaKind::of(media_type) == MediaKind::Json {
        let Some(schema) = &media.schema else {
            return Ok(ResponseKind::Json {
                ty: Ty::Json,
                unwrap: None,
            });
        };
        let ty = types.ty_of(schema, &format!("{builder}Response"))?;
        let unwrap = match (&ty, &settings.config.client.envelope_field) {
            (Ty::Named(name), Some(field)) => match types.types.get(name).map(|t| &t.kind) {
                Some(TypeKind::Struct { fields, .. }) => {
                    fields.iter().find(|f| &f.wire == field).cloned()
                }
                _ => None,
            },
            _ => None,
        };
        return Ok(ResponseKind::Json { ty, unwrap });
    }
    if MediaKind::of(media_type).is_text() {
        return Ok(ResponseKind::Text);
    }
    Ok(ResponseKind::Bytes)
}

enum Segment {
    Literal(String),
    Param(usize),
}

/// Splits `/a/{b}/c{d}.json` into literal text and parameter slots, in order.
fn split_template(
    path: &str,
    pointer: &crate::error::Pointer,
) -> Result<(Vec<Segment>, Vec<String>)> {
    let mut segments = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            segments.push(Segment::Literal(rest[..open].to_owned()));
        }
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| {
            Error::new(pointer, format!("unclosed '{{' in path template {path:?}"))
        })?;
        let name = &after[..close];
        if name.is_empty() || name.contains('{') {
            return Err(Error::new(
                pointer,
                format!("malformed parameter in path template {path:?}"),
            ));
        }
        let index = match names.iter().position(|n| n == name) {
            Some(i) => i,
            None => {
                names.push(name.to_owned());
                names.len() - 1
            }
        };
        segments.push(Segment::Param(index));
        rest = &after[close + 1..];
    }
    if rest.contains('}') {
        return Err(Error::new(
            pointer,
            format!("unmatched '}}' in path template {path:?}"),
        ));
    }
    if !rest.is_empty() {
        segments.push(Segment::Literal(rest.to_owned()));
    }
    Ok((segments, names))
}
