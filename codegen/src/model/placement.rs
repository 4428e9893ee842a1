//! Which resources use each type: what decides the cargo feature that compiles it and the
//! file it goes to. A type is used by a resource when one of the resource's operations
//! reaches it (through parameters, bodies, responses, and the types those hold), so the
//! types a set of features needs are exactly the ones compiled.

use std::collections::{BTreeMap, BTreeSet};

use super::ir::*;

/// The feature that compiles the types no operation uses (component schemas kept for
/// completeness).
pub const UNUSED_FEATURE: &str = "unused-models";

/// Features the generated manifest already has for other reasons.
const TAKEN_FEATURES: &[&str] = &["default", "http2", UNUSED_FEATURE];

/// Where the types and operations of an [`Api`] go.
#[derive(Debug, Clone, Default)]
pub struct Placement {
    /// Resource key -> its cargo feature (the key, made unique against the fixed ones).
    pub features: BTreeMap<String, String>,
    /// Type name -> the features any of which compiles it, reduced: a resource whose
    /// ancestor is in the set is left out (a child's feature enables its parent's). Empty
    /// for types no operation uses: those are under [`UNUSED_FEATURE`].
    pub users: BTreeMap<String, BTreeSet<String>>,
    /// Type name -> how many resources use it, before the reduction (it only grows along
    /// references: a type's dependencies have at least its count).
    pub user_count: BTreeMap<String, usize>,
}

impl Placement {
    /// The features that compile `type_name`: its users', or [`UNUSED_FEATURE`].
    pub fn gate(&self, type_name: &str) -> Vec<&str> {
        match self.users.get(type_name) {
            Some(users) if !users.is_empty() => users.iter().map(String::as_str).collect(),
            _ => vec![UNUSED_FEATURE],
        }
    }
}

/// Computes the [`Placement`] of `api`'s types.
pub fn place(api: &Api) -> Placement {
    let features: BTreeMap<String, String> = api
        .resources
        .iter()
        .map(|r| {
            let feature = if TAKEN_FEATURES.contains(&r.key.as_str()) {
                format!("{}_api", r.key)
            } else {
                r.key.clone()
            };
            (r.key.clone(), feature)
        })
        .collect();
    let parent: BTreeMap<&str, Option<&str>> = api
        .resources
        .iter()
        .map(|r| (r.key.as_str(), r.parent.as_deref()))
        .collect();

    let mut users: BTreeMap<String, BTreeSet<String>> = api
        .types
        .keys()
        .map(|k| (k.clone(), BTreeSet::new()))
        .collect();
    for resource in &api.resources {
        let mut pending: Vec<&Ty> = Vec::new();
        for &i in &resource.operations {
            let Some(op) = api.operations.get(i) else {
                continue;
            };
            operation_types(op, &mut pending);
        }
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        while let Some(ty) = pending.pop() {
            let mut names = Vec::new();
            named_in(ty, &mut names);
            for name in names {
                if !seen.insert(name) {
                    continue;
                }
                if let Some(def) = api.types.get(name) {
                    def_types(def, &mut pending);
                }
            }
        }
        for name in seen {
            if let Some(set) = users.get_mut(name) {
                set.insert(resource.key.clone());
            }
        }
    }
    let user_count = users.iter().map(|(k, v)| (k.clone(), v.len())).collect();
    // A child's feature enables its parent's: drop users whose ancestor is a user too.
    for set in users.values_mut() {
        let keys: Vec<String> = set.iter().cloned().collect();
        set.retain(|key| {
            let mut up = parent.get(key.as_str()).copied().flatten();
            while let Some(p) = up {
                if keys.iter().any(|k| k == p) {
                    return false;
                }
                up = parent.get(p).copied().flatten();
            }
            true
        });
    }
    let users = users
        .into_iter()
        .map(|(name, set)| {
            let features = set
                .iter()
                .filter_map(|k| features.get(k).cloned())
                .collect();
            (name, features)
        })
        .collect();
    Placement {
        features,
        users,
        user_count,
    }
}

fn operation_types<'a>(op: &'a Operation, out: &mut Vec<&'a Ty>) {
    out.extend(op.params.iter().map(|p| &p.ty));
    match &op.body {
        Some(Body::Json { ty, fields, .. }) => {
            out.push(ty);
            out.extend(fields.iter().map(|f| &f.field.ty));
        }
        Some(Body::Multipart { parts }) => out.extend(parts.iter().map(|p| &p.ty)),
        Some(Body::Raw { .. }) | None => {}
    }
    if let ResponseKind::Json { ty, unwrap } = &op.response {
        out.push(ty);
        out.extend(unwrap.iter().map(|f| &f.ty));
    }
}

fn def_types<'a>(def: &'a TypeDef, out: &mut Vec<&'a Ty>) {
    match &def.kind {
        TypeKind::Struct { fields, additional } => {
            out.extend(fields.iter().map(|f| &f.ty));
            out.extend(additional.iter());
        }
        TypeKind::Union { variants } => out.extend(variants.iter().map(|v| &v.ty)),
        TypeKind::Alias(ty) => out.push(ty),
        TypeKind::Enum { .. } => {}
    }
}

/// Every named type in `ty`, at any depth.
fn named_in<'a>(ty: &'a Ty, out: &mut Vec<&'a str>) {
    match ty {
        Ty::Named(name) => out.push(name),
        Ty::Vec(inner) | Ty::Map(inner) | Ty::Boxed(inner) | Ty::Envelope(inner) => {
            named_in(inner, out)
        }
        _ => {}
    }
}

/// The named types a type definition refers to, at any depth of its fields.
pub fn referenced_types(def: &TypeDef) -> Vec<&str> {
    let mut tys = Vec::new();
    def_types(def, &mut tys);
    let mut out = Vec::new();
    for ty in tys {
        named_in(ty, &mut out);
    }
    out
}
