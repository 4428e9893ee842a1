//! Stage 2, model: the loaded document -> a normalized intermediate representation
//! ([`ir::Api`]) where every type and operation has its final Rust name.

pub mod ir;
pub mod media;
pub mod naming;
mod operations;
pub mod placement;
mod recursion;
mod types;

use std::collections::{BTreeMap, BTreeSet};

use ir::*;
use naming::Namespace;

use crate::Settings;
use crate::error::{Error, Pointer, Result};
use crate::load::Document;

/// What a generated server file defines besides its per-operation items (`<Builder>Request`,
/// `<Builder>Response`, `<Builder>Form`) and imports: a resource's trait must not take
/// these names.
const SERVER_ITEMS: &[&str] = &[
    "Api",
    "Arc",
    "Credentials",
    "Failure",
    "FilePart",
    "HeaderMap",
    "IntoResponse",
    "OperationInfo",
    "Problem",
    "ProblemLocation",
    "RequestContext",
    "Response",
    "Served",
    "Uri",
];

/// The hooks of a generated server's `Api` trait; no operation's method may take them.
const SERVER_HOOKS: &[&str] = &["authorize", "reject", "max_body_bytes"];

/// The resource key of operations without a tag.
const UNTAGGED: &str = "operations";

/// Builds the IR of a loaded document.
///
/// Spec mistakes that can be read one sensible way are pushed to `warnings`.
pub fn build(doc: &Document, settings: &Settings, warnings: &mut Vec<Error>) -> Result<Api> {
    let mut types = types::TypeBuilder::new(doc);
    types.build_components()?;

    // 1. Operation ids (unique, snake case) and their resources, in document order.
    let mut id_names = Namespace::default();
    let mut planned = Vec::new();
    for item in &doc.paths {
        for op in &item.operations {
            // An `operationId` without a letter or digit names nothing: fall back to the
            // method and path.
            let id = op
                .operation_id
                .clone()
                .filter(|id| id.chars().any(|c| c.is_ascii_alphanumeric()))
                .unwrap_or_else(|| format!("{} {}", op.method.as_str(), item.path));
            let snake = id_names.claim(&naming::snake(&id), "_");
            let resource = op
                .tags
                .first()
                .map(|t| naming::snake(t))
                .unwrap_or_else(|| UNTAGGED.to_owned());
            planned.push((item, op, id, snake, resource));
        }
    }

    // 2. Resources and their nesting: `live_inputs_outputs` sits under `live_inputs`.
    let keys: BTreeSet<String> = planned.iter().map(|p| p.4.clone()).collect();
    let parent_of = |key: &str| -> Option<String> {
        keys.iter()
            .filter(|k| {
                k.len() < key.len()
                    && key.starts_with(k.as_str())
                    && key.as_bytes()[k.len()] == b'_'
            })
            .max_by_key(|k| k.len())
            .cloned()
    };
    let tag_docs: BTreeMap<String, Option<String>> = doc
        .tags
        .iter()
        .map(|t| (naming::snake(&t.name), t.description.clone()))
        .collect();

    // Resource handles and builders live in `operations`, whose code writes `Option`,
    // `String`, `Vec`, `Box`, `Result`...: none of them may take such a name.
    let mut type_names = Namespace::with_reserved(naming::RESERVED_TYPE_NAMES.iter().copied());
    let mut module_names = Namespace::default();
    let mut resources: BTreeMap<String, Resource> = BTreeMap::new();
    for key in &keys {
        let parent = parent_of(key);
        let local = match &parent {
            Some(p) => &key[p.len() + 1..],
            None => key.as_str(),
        };
        resources.insert(
            key.clone(),
            Resource {
                key: key.clone(),
                module: module_names.claim(&naming::module_ident(key), "_"),
                type_name: type_names.claim(&naming::camel_ident(key), "Api"),
                accessor: naming::snake_ident(local),
                parent,
                children: Vec::new(),
                docs: Docs {
                    text: tag_docs.get(key).cloned().flatten(),
                    deprecated: false,
                },
                operations: Vec::new(),
                server_trait: String::new(),
            },
        );
    }
    // Accessor names are unique among siblings and never shadow a client method.
    let mut root_names = Namespace::with_reserved(
        naming::CLIENT_METHODS.iter().copied().chain(
            settings
                .config
                .client
                .extension_methods
                .iter()
                .map(String::as_str),
        ),
    );
    // Every handle has a crate-private `new(client)` constructor.
    let handle_space = || Namespace::with_reserved(["new"]);
    let mut method_spaces: BTreeMap<String, Namespace> = BTreeMap::new();
    for key in &keys {
        let parent = resources[key].parent.clone();
        let space = match &parent {
            Some(p) => method_spaces.entry(p.clone()).or_insert_with(handle_space),
            None => &mut root_names,
        };
        let accessor = space.claim(&resources[key].accessor, "_api");
        if let Some(resource) = resources.get_mut(key) {
            resource.accessor = accessor;
        }
        if let Some(parent) = parent.and_then(|p| resources.get_mut(&p)) {
            parent.children.push(key.clone());
        }
    }

    // Server traits: one per resource, named after its handle.
    let mut server_items = Namespace::with_reserved(SERVER_ITEMS.iter().copied());
    for resource in resources.values_mut() {
        resource.server_trait = server_items.claim(&format!("{}Api", resource.type_name), "_");
    }

    // 3. Operations. A server's methods share one trait namespace (the resource traits are
    // combined into one `Api`), beside its hooks.
    let mut server_methods = Namespace::with_reserved(SERVER_HOOKS.iter().copied());
    let mut operations = Vec::with_capacity(planned.len());
    for (item, op, id, snake, resource) in planned {
        let local = snake
            .strip_prefix(resource.as_str())
            .and_then(|rest| rest.strip_prefix('_'))
            .filter(|rest| !rest.is_empty())
            .unwrap_or(&snake);
        let method_name = method_spaces
            .entry(resource.clone())
            .or_insert_with(handle_space)
            .claim(&naming::snake_ident(local), "_op");
        let builder = type_names.claim(&naming::camel_ident(&snake), "Request");
        let server_method = server_methods.claim(&naming::snake_ident(&builder), "_op");
        let names = operations::OperationNames {
            id,
            resource: resource.clone(),
            method_name,
            builder,
            server_method,
        };
        let operation =
            operations::build_operation(&mut types, settings, &item.path, op, names, warnings)?;
        if let Some(r) = resources.get_mut(&resource) {
            r.operations.push(operations.len());
        }
        operations.push(operation);
    }

    let mut types = types.types;
    recursion::nominal_alias_cycles(&mut types);
    recursion::box_cycles(&mut types);
    // Body fields were copied from their struct before boxing: a setter fills the field
    // as it now is (`Box<Tree>`).
    for operation in &mut operations {
        if let Some(ir::Body::Json {
            ty: ir::Ty::Named(name),
            fields,
            ..
        }) = &mut operation.body
            && let Some(ir::TypeDef {
                kind:
                    ir::TypeKind::Struct {
                        fields: defined, ..
                    },
                ..
            }) = types.get(name.as_str())
        {
            for f in fields.iter_mut() {
                if let Some(d) = defined.iter().find(|d| d.rust == f.field.rust) {
                    f.field.ty = d.ty.clone();
                }
            }
        }
    }
    if let Some(field) = &settings.config.client.envelope_field {
        share_envelopes(&mut types, field);
    }
    mark_output_only(&mut types, &operations);

    let (security_schemes, security) = security(doc, settings, warnings);
    for operation in &mut operations {
        let mut requirement = operation
            .security
            .clone()
            .unwrap_or_else(|| security.clone());
        // As for the API's default: an alternative naming an undeclared scheme can never
        // be met.
        requirement.retain(|alternative| all_declared(&security_schemes, alternative));
        operation.requirement = requirement;
        operation.security = operation.security.take().filter(|own| *own != security);
    }
    let client = &settings.config.client;
    Ok(Api {
        title: doc.title.clone(),
        version: doc.api_version.clone(),
        description: doc.description.clone(),
        base_url: doc.servers.first().cloned(),
        env_prefix: env_prefix(doc, settings),
        security_schemes,
        security,
        request_id_header: client.request_id_header.clone(),
        envelope: client.envelope_field.is_some(),
        path_defaults: client.path_defaults.clone(),
        types,
        operations,
        resources: resources.into_values().collect(),
    })
}

/// The environment-variable prefix: the config's, or the title's first word.
fn env_prefix(doc: &Document, settings: &Settings) -> String {
    settings
        .config
        .client
        .env_prefix
        .clone()
        .unwrap_or_else(|| crate::config::default_env_prefix(&doc.title))
}

/// The schemes credentials can be given for (the spec's, or the config's when the spec
/// declares none) with their environment variables, and the default requirement (the
/// spec's top-level `security`, the config's, or each scheme on its own).
fn security(
    doc: &Document,
    settings: &Settings,
    warnings: &mut Vec<Error>,
) -> (Vec<SecuritySchemeDef>, Vec<Vec<String>>) {
    let config = &settings.config;
    let prefix = env_prefix(doc, settings);
    let declared: Vec<(String, crate::load::SecurityScheme, Option<Pointer>)> =
        if doc.components.security_schemes.is_empty() {
            config
                .security
                .schemes
                .iter()
                // Checked when the config was read.
                .filter_map(|(name, scheme)| Some((name.clone(), scheme.to_scheme().ok()?, None)))
                .collect()
        } else {
            let at = Pointer::root().push("components").push("securitySchemes");
            doc.components
                .security_schemes
                .iter()
                .map(|(name, scheme)| (name.clone(), scheme.clone(), Some(at.push(name))))
                .collect()
        };
    let schemes: Vec<SecuritySchemeDef> = declared
        .into_iter()
        .map(|(name, kind, pointer)| {
            let env = (config.client.env.get(&name).cloned())
                .unwrap_or_else(|| naming::env_var(&prefix, &name));
            SecuritySchemeDef {
                name,
                kind,
                env,
                pointer,
            }
        })
        .collect();
    let mut requirement = doc
        .security
        .clone()
        .or_else(|| config.security.default.clone())
        .unwrap_or_else(|| schemes.iter().map(|s| vec![s.name.clone()]).collect());
    // A requirement naming an undeclared scheme can never be met: drop that alternative.
    requirement.retain(|alternative| {
        let known = all_declared(&schemes, alternative);
        if !known {
            warnings.push(Error::new(
                &crate::error::Pointer::root().push("security"),
                format!(
                    "the security alternative {alternative:?} names an undeclared scheme; ignored"
                ),
            ));
        }
        known
    });
    (schemes, requirement)
}

/// Whether every scheme of a security alternative is declared.
fn all_declared(schemes: &[SecuritySchemeDef], alternative: &[String]) -> bool {
    alternative
        .iter()
        .all(|name| schemes.iter().any(|s| &s.name == name))
}

/// The envelope fields besides the payload, as the runtime's `Envelope<T>` has them.
const ENVELOPE_COMMON: [&str; 3] = ["success", "errors", "messages"];

/// Turns every envelope struct (the payload field, `success`, `errors`, `messages`, and
/// nothing else) into an alias of the runtime's `Envelope<T>`, so the common fields are
/// written once, in the runtime. Only for the payload field `result`, the runtime's name;
/// envelopes with fields of their own (`range`, `total`) stay structs.
fn share_envelopes(types: &mut BTreeMap<String, TypeDef>, field: &str) {
    if field != "result" {
        return;
    }
    for def in types.values_mut() {
        let TypeKind::Struct {
            fields,
            additional: None,
        } = &def.kind
        else {
            continue;
        };
        let mut names: Vec<&str> = fields.iter().map(|f| f.wire.as_str()).collect();
        names.sort_unstable();
        if names != ["errors", "messages", "result", "success"] {
            continue;
        }
        let lists = fields
            .iter()
            .filter(|f| ENVELOPE_COMMON[1..].contains(&f.wire.as_str()))
            .all(|f| matches!(f.ty, Ty::Vec(_)));
        let flag = fields
            .iter()
            .any(|f| f.wire == "success" && f.ty == Ty::Bool);
        let result = fields.iter().find(|f| f.wire == field);
        // `send()` unwraps an optional payload; the runtime's `result` is an `Option`.
        let result = result.filter(|f| f.presence == Presence::Optional);
        if let (true, true, Some(result)) = (lists, flag, result) {
            def.kind = TypeKind::Alias(Ty::Envelope(Box::new(result.ty.clone())));
        }
    }
}

/// Marks the types no request can contain (neither a parameter nor a body reaches them).
fn mark_output_only(types: &mut BTreeMap<String, TypeDef>, operations: &[Operation]) {
    let mut pending: Vec<&Ty> = Vec::new();
    for op in operations {
        pending.extend(op.params.iter().map(|p| &p.ty));
        match &op.body {
            Some(Body::Json { ty, .. }) => pending.push(ty),
            Some(Body::Multipart { parts }) => pending.extend(parts.iter().map(|p| &p.ty)),
            Some(Body::Raw { .. }) | None => {}
        }
    }
    let mut input: BTreeSet<String> = BTreeSet::new();
    while let Some(ty) = pending.pop() {
        match ty {
            Ty::Named(name) => {
                if !input.insert(name.clone()) {
                    continue;
                }
                match types.get(name).map(|t| &t.kind) {
                    Some(TypeKind::Struct { fields, additional }) => {
                        pending.extend(fields.iter().map(|f| &f.ty));
                        pending.extend(additional.iter());
                    }
                    Some(TypeKind::Union { variants }) => {
                        pending.extend(variants.iter().map(|v| &v.ty))
                    }
                    Some(TypeKind::Alias(target)) => pending.push(target),
                    Some(TypeKind::Enum { .. }) | None => {}
                }
            }
            Ty::Vec(inner) | Ty::Map(inner) | Ty::Boxed(inner) | Ty::Envelope(inner) => {
                pending.push(inner)
            }
            _ => {}
        }
    }
    for def in types.values_mut() {
        def.output_only = !input.contains(&def.name);
    }
}
