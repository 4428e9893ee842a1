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

    let mut users = resource_users(api);
    // Types no operation uses are compiled under `UNUSED_FEATURE`; so must be what they
    // name: a used type that an unused one names is gated on that feature too.
    for name in reached_from_unused(api, &users) {
        if let Some(set) = users.get_mut(name.as_str())
            && !set.is_empty()
        {
            set.insert(UNUSED_FEATURE.to_owned());
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
                .filter_map(|k| {
                    if k == UNUSED_FEATURE {
                        Some(k.clone())
                    } else {
                        features.get(k).cloned()
                    }
                })
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

/// Type name -> the keys of the resources whose operations reach it (empty: no operation).
pub fn resource_users(api: &Api) -> BTreeMap<String, BTreeSet<String>> {
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
        for name in closure(api, pending) {
            if let Some(set) = users.get_mut(name) {
                set.insert(resource.key.clone());
            }
        }
    }
    users
}

/// Every type no operation uses, and every type those name (at any depth).
fn reached_from_unused(api: &Api, users: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut pending = Vec::new();
    let mut out: BTreeSet<&str> = BTreeSet::new();
    for (name, set) in users {
        if set.is_empty()
            && let Some((key, def)) = api.types.get_key_value(name)
        {
            out.insert(key.as_str());
            def_types(def, &mut pending);
        }
    }
    out.extend(closure(api, pending));
    out.into_iter().map(str::to_owned).collect()
}

/// The named types in `pending` and, transitively, the types they name.
fn closure<'a>(api: &'a Api, mut pending: Vec<&'a Ty>) -> BTreeSet<&'a str> {
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    while let Some(ty) = pending.pop() {
        let mut names = Vec::new();
        named_in(ty, &mut names);
        for name in names {
            let Some((key, def)) = api.types.get_key_value(name) else {
                continue;
            };
            if seen.insert(key.as_str()) {
                def_types(def, &mut pending);
            }
        }
    }
    seen
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

/// What a member crate of a workspace layout holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind {
    /// Types that more than one group (or a group and the unused types) name.
    Shared,
    /// A group of resources: their operations and the types only they use.
    Group,
    /// The types no operation uses (and only they name).
    Unused,
}

/// One member crate of a workspace layout.
#[derive(Debug, Clone)]
pub struct Member {
    /// Its key: the suffix of its crate name and its folder (`issues`, `shared`).
    pub key: String,
    /// What it holds.
    pub kind: MemberKind,
    /// The keys of its resources (each root with its descendants), in API order.
    pub resources: Vec<String>,
    /// Its types.
    pub types: BTreeSet<String>,
    /// The members (indices into [`Grouping::members`]) whose types its code names; all
    /// come before it.
    pub deps: BTreeSet<usize>,
}

/// How an API is cut into member crates: shared types first (in dependency order), then
/// one crate per group of resources, then the unused types.
#[derive(Debug, Clone, Default)]
pub struct Grouping {
    /// The members, each after the members it depends on.
    pub members: Vec<Member>,
}

/// The compile cost of an operation, in units of [`type_weight`]: a builder costs about
/// what five struct fields do (measured on GitHub's spec: check time follows operations
/// plus types plus fields, at about 2 ms a unit).
pub const OPERATION_WEIGHT: usize = 5;

/// The compile cost of a type: one, plus one per field, variant or alternative (serde's
/// derives generate code per field).
pub fn type_weight(def: &TypeDef) -> usize {
    1 + match &def.kind {
        TypeKind::Struct { fields, .. } => fields.len(),
        TypeKind::Enum { variants } => variants.len(),
        TypeKind::Union { variants } => variants.len(),
        TypeKind::Alias(_) => 0,
    }
}

/// The compile cost of a whole API, in the same units.
pub fn api_weight(api: &Api) -> usize {
    OPERATION_WEIGHT * api.operations.len() + api.types.values().map(type_weight).sum::<usize>()
}

/// Cuts `api` into crates of about `budget` units of compile cost ([`OPERATION_WEIGHT`] per
/// operation, [`type_weight`] per type): resources (whole trees: a handle and its
/// children) are packed in name order into groups, with the types only they use; a type
/// several groups use goes to a shared crate, one only unused types name to an unused
/// crate; shared and unused types are packed into crates in dependency order (a type and
/// the types it names are in the same crate or an earlier one).
pub fn group(api: &Api, budget: usize) -> Grouping {
    let group_budget = budget;
    let users = resource_users(api);
    let unused_reach: BTreeSet<String> = reached_from_unused(api, &users).into_iter().collect();
    let parent: BTreeMap<&str, Option<&str>> = api
        .resources
        .iter()
        .map(|r| (r.key.as_str(), r.parent.as_deref()))
        .collect();
    let root_of = |key: &str| -> String {
        let mut key = key;
        while let Some(Some(p)) = parent.get(key) {
            key = p;
        }
        key.to_owned()
    };
    // Trees of resources, in API order of their roots.
    let mut trees: Vec<(String, Vec<String>)> = Vec::new();
    let mut tree_of: BTreeMap<String, usize> = BTreeMap::new();
    for r in api.resources.iter().filter(|r| r.parent.is_none()) {
        tree_of.insert(r.key.clone(), trees.len());
        trees.push((r.key.clone(), Vec::new()));
    }
    for r in &api.resources {
        if let Some(&t) = tree_of.get(&root_of(&r.key)) {
            trees[t].1.push(r.key.clone());
        }
    }
    let resource_tree: BTreeMap<&str, usize> = trees
        .iter()
        .enumerate()
        .flat_map(|(i, (_, keys))| keys.iter().map(move |k| (k.as_str(), i)))
        .collect();
    // Each tree's weight: its operations, and the types only it uses.
    let mut weight: Vec<usize> = vec![0; trees.len()];
    for r in &api.resources {
        if let Some(&t) = resource_tree.get(r.key.as_str()) {
            weight[t] += OPERATION_WEIGHT * r.operations.len();
        }
    }
    for (name, set) in &users {
        let mut trees_using = set.iter().filter_map(|k| resource_tree.get(k.as_str()));
        if let (Some(&t), None) = (trees_using.next(), trees_using.next()) {
            weight[t] += api.types.get(name).map_or(1, type_weight);
        }
    }
    // Pack trees into groups.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut current_weight = 0;
    for (t, &w) in weight.iter().enumerate() {
        if !current.is_empty() && current_weight + w > group_budget {
            groups.push(std::mem::take(&mut current));
            current_weight = 0;
        }
        current.push(t);
        current_weight += w;
    }
    if !current.is_empty() {
        groups.push(current);
    }
    let tree_group: BTreeMap<usize, usize> = groups
        .iter()
        .enumerate()
        .flat_map(|(g, trees)| trees.iter().map(move |&t| (t, g)))
        .collect();
    // Each type's home: a group (index), the unused crate, or shared.
    const UNUSED: usize = usize::MAX;
    let mut group_types: Vec<BTreeSet<String>> = vec![BTreeSet::new(); groups.len()];
    let mut unused: BTreeSet<&str> = BTreeSet::new();
    let mut shared: BTreeSet<&str> = BTreeSet::new();
    for (name, set) in &users {
        let mut homes: BTreeSet<usize> = set
            .iter()
            .filter_map(|k| resource_tree.get(k.as_str()))
            .filter_map(|t| tree_group.get(t).copied())
            .collect();
        if unused_reach.contains(name) {
            homes.insert(UNUSED);
        }
        let mut it = homes.iter();
        match (it.next(), it.next()) {
            (Some(&UNUSED), None) | (None, _) => {
                unused.insert(name.as_str());
            }
            (Some(&g), None) => {
                group_types[g].insert(name.clone());
            }
            _ => {
                shared.insert(name.as_str());
            }
        }
    }
    let shared_crates = pack(api, &shared, budget);
    let unused_crates = pack(api, &unused, budget);

    // Members, in dependency order.
    let mut members: Vec<Member> = Vec::new();
    for (i, types) in shared_crates.into_iter().enumerate() {
        members.push(Member {
            key: if i == 0 {
                "shared".to_owned()
            } else {
                format!("shared-{}", i + 1)
            },
            kind: MemberKind::Shared,
            resources: Vec::new(),
            types,
            deps: BTreeSet::new(),
        });
    }
    for (g, trees_in) in groups.iter().enumerate() {
        let resources: Vec<String> = trees_in
            .iter()
            .flat_map(|&t| trees[t].1.iter().cloned())
            .collect();
        let first = &trees[trees_in[0]].0;
        members.push(Member {
            key: first.replace('_', "-"),
            kind: MemberKind::Group,
            resources,
            types: std::mem::take(&mut group_types[g]),
            deps: BTreeSet::new(),
        });
    }
    for (i, types) in unused_crates.into_iter().enumerate() {
        members.push(Member {
            key: if i == 0 {
                UNUSED_FEATURE.to_owned()
            } else {
                format!("{UNUSED_FEATURE}-{}", i + 1)
            },
            kind: MemberKind::Unused,
            resources: Vec::new(),
            types,
            deps: BTreeSet::new(),
        });
    }
    // Keys unique: a group whose first resource is called `shared` gets a suffix.
    let mut seen = BTreeSet::new();
    for m in &mut members {
        while !seen.insert(m.key.clone()) {
            m.key.push_str("-api");
        }
    }
    // Dependencies: the homes of the types each member's code names.
    let home: BTreeMap<&str, usize> = members
        .iter()
        .enumerate()
        .flat_map(|(i, m)| m.types.iter().map(move |t| (t.as_str(), i)))
        .collect();
    let deps: Vec<BTreeSet<usize>> = members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            member_references(api, m)
                .into_iter()
                .filter_map(|n| home.get(n).copied())
                .filter(|&d| d != i)
                .collect()
        })
        .collect();
    for (m, d) in members.iter_mut().zip(deps) {
        m.deps = d;
    }
    Grouping { members }
}

/// The types a member's code names directly: in its types' fields and its operations.
pub fn member_references<'a>(api: &'a Api, member: &Member) -> BTreeSet<&'a str> {
    let mut pending: Vec<&Ty> = Vec::new();
    for name in &member.types {
        if let Some(def) = api.types.get(name) {
            def_types(def, &mut pending);
        }
    }
    for r in api
        .resources
        .iter()
        .filter(|r| member.resources.contains(&r.key))
    {
        for &op in &r.operations {
            if let Some(op) = api.operations.get(op) {
                operation_types(op, &mut pending);
            }
        }
    }
    let mut names = Vec::new();
    for ty in pending {
        named_in(ty, &mut names);
    }
    names.into_iter().collect()
}

/// Types cut into crates of about `budget` units, each type's references (among `shared`)
/// in its own crate or an earlier one: strongly connected components (recursive types stay
/// together) in dependency order, then packed.
fn pack(api: &Api, shared: &BTreeSet<&str>, budget: usize) -> Vec<BTreeSet<String>> {
    if shared.is_empty() {
        return Vec::new();
    }
    let names: Vec<&str> = shared.iter().copied().collect();
    let index: BTreeMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let edges: Vec<Vec<usize>> = names
        .iter()
        .map(|n| {
            let mut out: Vec<usize> = api
                .types
                .get(*n)
                .map(referenced_types)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|r| index.get(r).copied())
                .collect();
            out.sort_unstable();
            out.dedup();
            out
        })
        .collect();
    // Tarjan's algorithm, iterative; components come out dependencies first.
    let n = names.len();
    let mut order = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut components: Vec<Vec<usize>> = Vec::new();
    let mut counter = 0;
    for start in 0..n {
        if order[start] != usize::MAX {
            continue;
        }
        let mut frames: Vec<(usize, usize)> = vec![(start, 0)];
        order[start] = counter;
        low[start] = counter;
        counter += 1;
        stack.push(start);
        on_stack[start] = true;
        while let Some(&mut (v, ref mut next)) = frames.last_mut() {
            if let Some(&w) = edges[v].get(*next) {
                *next += 1;
                if order[w] == usize::MAX {
                    order[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    frames.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(order[w]);
                }
                continue;
            }
            frames.pop();
            if let Some(&(u, _)) = frames.last() {
                low[u] = low[u].min(low[v]);
            }
            if low[v] == order[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                components.push(component);
            }
        }
    }
    let weight = |i: usize| api.types.get(names[i]).map_or(1, type_weight);
    let mut crates: Vec<BTreeSet<String>> = vec![BTreeSet::new()];
    let mut filled = 0;
    for component in components {
        let w: usize = component.iter().map(|&i| weight(i)).sum();
        if filled > 0 && filled + w > budget {
            crates.push(BTreeSet::new());
            filled = 0;
        }
        filled += w;
        if let Some(last) = crates.last_mut() {
            last.extend(component.into_iter().map(|i| names[i].to_owned()));
        }
    }
    crates
}
