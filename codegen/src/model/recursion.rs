//! Recursive types: a struct that contains itself (directly or through other structs, not
//! through a `Vec` or map) has infinite size. Fields that close such a cycle get a `Box`.
//! Cycles are found with Tarjan's strongly connected components, written iteratively so a
//! deep chain of types in the input cannot overflow the stack.

use std::collections::{BTreeMap, HashMap};

use super::ir::{Ty, TypeDef, TypeKind};

/// The named types `ty` holds inline (not behind a `Vec`, map or box).
fn direct_targets<'a>(ty: &'a Ty, out: &mut Vec<&'a str>) {
    match ty {
        Ty::Named(name) => out.push(name),
        // The payload sits inline in the envelope (`Option<T>`).
        Ty::Envelope(inner) => direct_targets(inner, out),
        Ty::Vec(_) | Ty::Map(_) | Ty::Boxed(_) => {}
        _ => {}
    }
}

fn edges(def: &TypeDef) -> Vec<&str> {
    let mut out = Vec::new();
    match &def.kind {
        TypeKind::Struct { fields, .. } => {
            fields.iter().for_each(|f| direct_targets(&f.ty, &mut out))
        }
        TypeKind::Union { variants } => variants
            .iter()
            .for_each(|v| direct_targets(&v.ty, &mut out)),
        TypeKind::Alias(ty) => direct_targets(ty, &mut out),
        TypeKind::Enum { .. } => {}
    }
    out
}

/// Boxes every inline reference from a type to a type in its own strongly connected
/// component.
pub(crate) fn box_cycles(types: &mut BTreeMap<String, TypeDef>) {
    let component = strongly_connected(types);
    for def in types.values_mut() {
        let Some(own) = component.get(def.name.as_str()).copied() else {
            continue;
        };
        let same = |ty: &Ty| matches!(ty, Ty::Named(n) if component.get(n.as_str()) == Some(&own));
        match &mut def.kind {
            TypeKind::Struct { fields, .. } => {
                for f in fields.iter_mut().filter(|f| same(&f.ty)) {
                    f.ty = Ty::Boxed(Box::new(f.ty.clone()));
                }
            }
            TypeKind::Union { variants } => {
                for v in variants.iter_mut().filter(|v| same(&v.ty)) {
                    v.ty = Ty::Boxed(Box::new(v.ty.clone()));
                }
            }
            TypeKind::Alias(_) | TypeKind::Enum { .. } => {}
        }
    }
}

/// A type alias that names itself, through other aliases and any `Vec`, map or box
/// (`type Tree = Vec<Tree>;`), is an infinite type: rustc rejects it. Each alias on such a
/// cycle becomes a nominal type, a one-variant untagged union, whose serde form is the
/// aliased type's exactly.
pub(crate) fn nominal_alias_cycles(types: &mut BTreeMap<String, TypeDef>) {
    fn all_named<'a>(ty: &'a Ty, out: &mut Vec<&'a str>) {
        match ty {
            Ty::Named(name) => out.push(name),
            Ty::Vec(inner) | Ty::Map(inner) | Ty::Boxed(inner) | Ty::Envelope(inner) => {
                all_named(inner, out)
            }
            _ => {}
        }
    }
    // Only aliases, and only edges between aliases: a struct or enum ends an expansion.
    let aliases: BTreeMap<String, TypeDef> = types
        .iter()
        .filter(|(_, def)| matches!(def.kind, TypeKind::Alias(_)))
        .map(|(name, def)| (name.clone(), def.clone()))
        .collect();
    let component = strongly_connected_by(&aliases, |def| {
        let mut out = Vec::new();
        if let TypeKind::Alias(ty) = &def.kind {
            all_named(ty, &mut out);
        }
        out
    });
    for (name, _) in component {
        if let Some(def) = types.get_mut(&name)
            && let TypeKind::Alias(ty) = &def.kind
        {
            let ty = ty.clone();
            def.kind = TypeKind::Union {
                variants: vec![super::ir::UnionVariant {
                    rust: "Value".to_owned(),
                    ty,
                }],
            };
        }
    }
}

/// Maps each type on a cycle to its component id; types on no cycle are left out.
fn strongly_connected(types: &BTreeMap<String, TypeDef>) -> HashMap<String, usize> {
    strongly_connected_by(types, edges)
}

/// [`strongly_connected`] over the edges `edges` gives.
fn strongly_connected_by<'t>(
    types: &'t BTreeMap<String, TypeDef>,
    edges: impl Fn(&'t TypeDef) -> Vec<&'t str>,
) -> HashMap<String, usize> {
    let names: Vec<&str> = types.keys().map(String::as_str).collect();
    let index_of: HashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let adjacency: Vec<Vec<usize>> = types
        .values()
        .map(|def| {
            edges(def)
                .into_iter()
                .filter_map(|t| index_of.get(t).copied())
                .collect()
        })
        .collect();

    let n = names.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut result = HashMap::new();
    let mut component_id = 0;

    for start in 0..n {
        if index[start] != usize::MAX {
            continue;
        }
        // (node, next edge to look at)
        let mut work = vec![(start, 0usize)];
        while let Some(&mut (v, ref mut edge)) = work.last_mut() {
            if *edge == 0 && index[v] == usize::MAX {
                index[v] = next;
                low[v] = next;
                next += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&w) = adjacency[v].get(*edge) {
                *edge += 1;
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut members = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    members.push(w);
                    if w == v {
                        break;
                    }
                }
                let cyclic = members.len() > 1 || adjacency[v].contains(&v);
                if cyclic {
                    for m in members {
                        result.insert(names[m].to_owned(), component_id);
                    }
                    component_id += 1;
                }
            }
        }
    }
    result
}
