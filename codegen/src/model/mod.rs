//! Stage 2, model: the loaded document -> a normalized intermediate representation
//! ([`ir::Api`]) where every type and operation has its final Rust name.

pub mod ir;
pub mod naming;
mod operations;
mod recursion;
mod types;

use std::collections::{BTreeMap, BTreeSet};

use ir::*;
use naming::Namespace;

use crate::Settings;
use crate::error::{Error, Result};
use crate::load::Document;

/// Methods the runtime's `Client` has (the runtime is this generator's target, so its API is
/// part of the contract); resource accessors must not take these names.
const CLIENT_METHODS: &[&str] = &[
    "auth",
    "base_url",
    "builder",
    "clone",
    "default_path_param",
    "fmt",
    "from_env",
    "from_env_with",
    "new",
    "path_defaults",
    "retry_policy",
    "timeout",
    "user_agent",
];

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

    let mut type_names = Namespace::default();
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
            },
        );
    }
    // Accessor names are unique among siblings and never shadow a client method.
    let mut root_names = Namespace::with_reserved(
        CLIENT_METHODS
            .iter()
            .copied()
            .chain(settings.client_extension_methods.iter().map(String::as_str)),
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

    // 3. Operations.
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
        let names = operations::OperationNames {
            id,
            resource: resource.clone(),
            method_name,
            builder,
        };
        let operation =
            operations::build_operation(&mut types, settings, &item.path, op, names, warnings)?;
        if let Some(r) = resources.get_mut(&resource) {
            r.operations.push(operations.len());
        }
        operations.push(operation);
    }

    let mut types = types.types;
    recursion::box_cycles(&mut types);
    mark_output_only(&mut types, &operations);

    Ok(Api {
        title: doc.title.clone(),
        version: doc.api_version.clone(),
        description: doc.description.clone(),
        base_url: doc.servers.first().cloned(),
        types,
        operations,
        resources: resources.into_values().collect(),
    })
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
            Ty::Vec(inner) | Ty::Map(inner) | Ty::Boxed(inner) => pending.push(inner),
            _ => {}
        }
    }
    for def in types.values_mut() {
        def.output_only = !input.contains(&def.name);
    }
}
