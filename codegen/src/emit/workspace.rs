//! A very large API as a workspace of crates: one per group of resources, shared types in
//! crates of their own, the types no operation uses in another, and a facade crate at the
//! root that re-exports them all under the paths a single crate has (`facade::Client`,
//! `facade::models::Name`, `facade::operations::Builder`, `client.issues()`).
//!
//! rustc's peak memory is then bounded by the largest member, not the API, and members
//! compile in parallel. Features work as in a single crate: the facade has one per
//! resource; each enables the member that holds the resource (an optional dependency),
//! and every member forwards it to the members it depends on, where it gates the shared
//! types that resource uses.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::package::{
    HTTP2_FEATURE, LINTS, dependencies, package_section, readme, toml_key, toml_string,
};
use super::{Emitter, MemberTarget, RuntimeDependency, Target, docs, emit_target, header, plan};
use crate::config::ResolvedPackage;
use crate::error::Result;
use crate::model::ir::{Api, Resource};
use crate::model::placement::{self, MemberKind, Placement, UNUSED_FEATURE};
use crate::{Files, Settings};

/// A member crate is filled up to about this many units of compile cost
/// ([`placement::api_weight`]). Measured on two cores: members of this size check in
/// 2–5 s under 700 MiB each (GitHub's spec: 17 members, everything in 29 s at 1.1 GiB for
/// the whole build; at 1,500 units weighing types by count only, 37 s and 2.0 GiB).
pub const GROUP_BUDGET: usize = 2000;

/// An API of more than this many units is generated as a workspace (two members' worth:
/// below it one crate compiles about as fast).
pub const WORKSPACE_ABOVE: usize = 2 * GROUP_BUDGET;

/// Whether `api` is large enough to be generated as a workspace of crates: larger than
/// `[layout] workspace_above` of the config, or [`WORKSPACE_ABOVE`].
pub fn wants_workspace(api: &Api, settings: &Settings) -> bool {
    let above = settings
        .config
        .layout
        .workspace_above
        .unwrap_or(WORKSPACE_ABOVE);
    placement::api_weight(api) > above
}

/// The whole workspace: the facade's manifest, README and sources at the root, each member
/// under `crates/<key>/`. Each member's files go to `sink` as soon as they are rendered (from
/// the rendering thread), then the facade's: the output of a very large spec is never held
/// whole, only the members being rendered.
pub fn emit_workspace(
    api: &Api,
    settings: &Settings,
    package: &ResolvedPackage,
    runtime: &RuntimeDependency,
    sink: &(dyn Fn(Files) -> Result<()> + Sync),
) -> Result<()> {
    let placement = placement::place(api);
    let budget = settings.config.layout.member_budget.unwrap_or(GROUP_BUDGET);
    let grouping = placement::group(api, budget.max(1));
    let members = &grouping.members;
    let crate_name = |i: usize| format!("{}-{}", package.name, members[i].key);
    let crate_path = |i: usize| crate_name(i).replace('-', "_");

    // The features each member declares: the gates of its types, its resources', and,
    // forwarded to the members it depends on, those of its dependencies it owns (a
    // group its resources', an unused-types crate `unused-models`; a shared crate passes
    // all of them on).
    let mut declared: Vec<BTreeSet<String>> = Vec::with_capacity(members.len());
    for member in members {
        let mut features: BTreeSet<String> = BTreeSet::new();
        for name in &member.types {
            features.extend(placement.gate(name).into_iter().map(str::to_owned));
        }
        for key in &member.resources {
            features.extend(placement.features.get(key).cloned());
        }
        let owned = features.clone();
        for &dep in &member.deps {
            features.extend(
                declared[dep]
                    .iter()
                    .filter(|f| member.kind == MemberKind::Shared || owned.contains(*f))
                    .cloned(),
            );
        }
        declared.push(features);
    }

    let mut files = Files::new();
    let member_runtime = match runtime {
        RuntimeDependency::Path(path) if !path.starts_with('/') => {
            RuntimeDependency::Path(format!("../../{path}"))
        }
        other => other.clone(),
    };
    let parents = parents(api, &placement);
    let home: BTreeMap<&str, usize> = members
        .iter()
        .enumerate()
        .flat_map(|(i, m)| m.types.iter().map(move |t| (t.as_str(), i)))
        .collect();
    // Members are rendered in parallel, each on one thread (they are many and alike in
    // size: better spread than the files of one at a time); output in member order.
    let indices: Vec<usize> = (0..members.len()).collect();
    super::run_parallel(&indices, |&i| -> Result<()> {
        let member = &members[i];
        let external: BTreeMap<String, String> = placement::member_references(api, member)
            .into_iter()
            .filter(|name| !member.types.contains(*name))
            .filter_map(|name| Some((name.to_owned(), crate_path(*home.get(name)?))))
            .collect();
        let sub = member_api(api, member, &external);
        let what = match member.kind {
            MemberKind::Shared => "types that several groups of resources use".to_owned(),
            MemberKind::Unused => "the types of the specification no operation uses".to_owned(),
            MemberKind::Group => {
                let roots: Vec<String> = sub
                    .resources
                    .iter()
                    .filter(|r| r.parent.is_none())
                    .map(|r| format!("`{}`", r.key))
                    .collect();
                let (what, use_) = if roots.len() == 1 {
                    ("the resource", "it uses")
                } else {
                    ("the resources", "they use")
                };
                format!("{what} {} and the types only {use_}", roots.join(", "))
            }
        };
        let description = format!("Part of `{}`: {what}.", package.name);
        let target = Target {
            dir: format!("crates/{}/src", member.key),
            models_path: "crate::models".to_owned(),
            features: true,
            split: true,
            parallel: false,
            placement: &placement,
            member: Some(MemberTarget {
                docs: format!(
                    "{description}\n\nOne of the crates `{}` is made of: depend on `{}`, which \
                     re-exports everything here.",
                    package.name, package.name
                ),
            }),
            external,
        };
        let mut files = emit_target(&sub, settings, &target)?;
        files.insert(
            format!("crates/{}/Cargo.toml", member.key),
            member_manifest(&MemberManifest {
                package,
                name: &crate_name(i),
                description: &description,
                runtime: &member_runtime,
                deps: member
                    .deps
                    .iter()
                    .map(|&d| (members[d].key.as_str(), crate_name(d), &declared[d]))
                    .collect(),
                features: &declared[i],
                parents: &parents,
            }),
        );
        files.insert(
            format!("crates/{}/README.md", member.key),
            format!(
                "# {}\n\n{description}\n\nGenerated with `{}`: depend on `{}` instead.\n",
                crate_name(i),
                package.name,
                package.name
            ),
        );
        sink(files)
    })?;

    // The facade.
    let head = header(settings);
    let root = super::root_file(api, settings);
    files.insert(
        "src/lib.rs".to_owned(),
        super::space_items(&format!("{head}{}", super::render_body(root)?)),
    );
    // Its accessors are gated as in a single crate.
    let items = plan::Items::new(api, &placement, true, false);
    let client = super::client::file(
        &Emitter::new("crate::models", &BTreeMap::new(), &items),
        api,
    );
    files.insert(
        "src/client.rs".to_owned(),
        super::space_items(&format!("{head}{}", super::render_body(client)?)),
    );
    // Each member's items are re-exported when some are compiled: a glob of an empty
    // module would be an unused import.
    let reexports = |module: &str, kinds: &[MemberKind]| -> TokenStream {
        let module_ident = format_ident!("{}", module);
        let uses = members
            .iter()
            .enumerate()
            .filter(|(_, m)| kinds.contains(&m.kind))
            .map(|(i, m)| {
                let krate = format_ident!("{}", crate_path(i));
                let gate = if module == "models" {
                    plan::compiled_under(&placement, m.types.iter().map(String::as_str))
                } else {
                    None
                };
                let cfg = match gate {
                    Some(features) => {
                        let features = features.iter();
                        quote!(#[cfg(any(#(feature = #features),*))])
                    }
                    None if m.kind == MemberKind::Shared => quote!(),
                    None => {
                        let feature = crate_name(i);
                        quote!(#[cfg(feature = #feature)])
                    }
                };
                quote!(#cfg pub use #krate::#module_ident::*;)
            });
        quote!(#(#uses)*)
    };
    let models_doc = docs::inner_lines(&format!(
        "Data types of the {} (every schema of the specification), from the member crates \
         that define them.",
        api.title
    ));
    let models = reexports(
        "models",
        &[MemberKind::Shared, MemberKind::Group, MemberKind::Unused],
    );
    files.insert(
        "src/models.rs".to_owned(),
        super::space_items(&format!(
            "{head}{}",
            super::render_body(quote!(#models_doc #models))?
        )),
    );
    let operations_doc = docs::inner_lines(
        "Request builders, one per operation, grouped by resource, from the member crates \
         that define them.",
    );
    let operations = reexports("operations", &[MemberKind::Group]);
    files.insert(
        "src/operations.rs".to_owned(),
        super::space_items(&format!(
            "{head}{}",
            super::render_body(quote!(#operations_doc #operations))?
        )),
    );
    files.insert(
        "Cargo.toml".to_owned(),
        facade_manifest(api, package, runtime, &placement, &grouping, &crate_name),
    );
    files.insert("README.md".to_owned(), readme(api, settings, package));
    sink(files)
}

/// The part of `api` a member holds: its types, its resources and their operations; and
/// the definitions of the other members' types it names (`external`, not written here:
/// what they are decides how its code builds them).
fn member_api(api: &Api, member: &placement::Member, external: &BTreeMap<String, String>) -> Api {
    let mut operations = Vec::new();
    let resources: Vec<Resource> = api
        .resources
        .iter()
        .filter(|r| member.resources.contains(&r.key))
        .map(|r| {
            let mut r = r.clone();
            r.operations = r
                .operations
                .iter()
                .filter_map(|&i| api.operations.get(i))
                .map(|op| {
                    operations.push(op.clone());
                    operations.len() - 1
                })
                .collect();
            r
        })
        .collect();
    Api {
        title: api.title.clone(),
        version: api.version.clone(),
        description: api.description.clone(),
        base_url: api.base_url.clone(),
        env_prefix: api.env_prefix.clone(),
        security_schemes: api.security_schemes.clone(),
        security: api.security.clone(),
        request_id_header: api.request_id_header.clone(),
        envelope: api.envelope,
        path_defaults: api.path_defaults.clone(),
        types: member
            .types
            .iter()
            .chain(external.keys())
            .filter_map(|name| Some((name.clone(), api.types.get(name)?.clone())))
            .collect(),
        operations,
        resources,
    }
}

/// What a member's manifest says.
struct MemberManifest<'a> {
    package: &'a ResolvedPackage,
    name: &'a str,
    description: &'a str,
    runtime: &'a RuntimeDependency,
    /// Each dependency's folder key, crate name and declared features.
    deps: Vec<(&'a str, String, &'a BTreeSet<String>)>,
    features: &'a BTreeSet<String>,
    /// Feature -> its parent resource's feature.
    parents: &'a BTreeMap<String, String>,
}

/// A member's manifest: the runtime, serde, the members it depends on (by path, with
/// their default features off), and its features, each forwarded to the dependencies
/// that declare it.
fn member_manifest(m: &MemberManifest<'_>) -> String {
    let mut text = package_section(m.package, m.name, m.description);
    text.push_str("\n[dependencies]\n");
    text.push_str(&dependencies(m.runtime));
    for (key, dep_name, _) in &m.deps {
        text.push_str(&format!(
            "{} = {{ path = \"../{key}\", version = {}, default-features = false }}\n",
            toml_key(dep_name),
            toml_string(&format!("={}", m.package.version))
        ));
    }
    text.push_str(
        "\n[features]\n# Enabled through the facade crate's features of the same names.\ndefault = []\n",
    );
    for feature in m.features {
        let mut enables: Vec<String> = Vec::new();
        if let Some(p) = m.parents.get(feature)
            && m.features.contains(p)
        {
            enables.push(toml_string(p));
        }
        for (_, dep_name, dep_features) in &m.deps {
            if dep_features.contains(feature) {
                enables.push(toml_string(&format!("{dep_name}/{feature}")));
            }
        }
        text.push_str(&format!(
            "{} = [{}]\n",
            toml_key(feature),
            enables.join(", ")
        ));
    }
    text.push_str(LINTS);
    text
}

/// Feature -> its parent resource's feature.
fn parents(api: &Api, placement: &Placement) -> BTreeMap<String, String> {
    api.resources
        .iter()
        .filter_map(|r| {
            let feature = placement.features.get(&r.key)?;
            let parent = placement.features.get(r.parent.as_ref()?)?;
            Some((feature.clone(), parent.clone()))
        })
        .collect()
}

/// The facade's manifest: the workspace, the members as dependencies (shared ones always,
/// the others when a feature needs them), a feature per resource enabling its member's.
fn facade_manifest(
    api: &Api,
    package: &ResolvedPackage,
    runtime: &RuntimeDependency,
    placement: &Placement,
    grouping: &placement::Grouping,
    crate_name: &dyn Fn(usize) -> String,
) -> String {
    let members = &grouping.members;
    let mut text = package_section(package, &package.name, &package.description);
    text.push_str("\n[dependencies]\n");
    text.push_str(&dependencies(runtime));
    for (i, member) in members.iter().enumerate() {
        let optional = if member.kind == MemberKind::Shared {
            ""
        } else {
            ", optional = true"
        };
        text.push_str(&format!(
            "{} = {{ path = \"crates/{}\", version = {}, default-features = false{optional} }}\n",
            toml_key(&crate_name(i)),
            member.key,
            toml_string(&format!("={}", package.version))
        ));
    }
    text.push_str("\n[features]\n");
    text.push_str(HTTP2_FEATURE);
    let home: BTreeMap<&str, usize> = members
        .iter()
        .enumerate()
        .flat_map(|(i, m)| m.resources.iter().map(move |r| (r.as_str(), i)))
        .collect();
    let mut all = Vec::new();
    let mut lines = String::from(
        "# One feature per resource (tag): its operations and the types only it uses.\n",
    );
    for r in &api.resources {
        let Some(feature) = placement.features.get(&r.key) else {
            continue;
        };
        let mut enables = Vec::new();
        if let Some(p) = r.parent.as_ref().and_then(|p| placement.features.get(p)) {
            enables.push(toml_string(p));
        }
        if let Some(&i) = home.get(r.key.as_str()) {
            enables.push(toml_string(&format!("{}/{feature}", crate_name(i))));
        }
        lines.push_str(&format!(
            "{} = [{}]\n",
            toml_key(feature),
            enables.join(", ")
        ));
        all.push(toml_string(feature));
    }
    let unused: Vec<String> = members
        .iter()
        .enumerate()
        .filter(|(_, m)| m.kind == MemberKind::Unused)
        .map(|(i, _)| toml_string(&format!("{}/{UNUSED_FEATURE}", crate_name(i))))
        .collect();
    lines.push_str(&format!(
        "# Types of the spec that no operation uses.\n{} = [{}]\n",
        toml_key(UNUSED_FEATURE),
        unused.join(", ")
    ));
    all.push(toml_string(UNUSED_FEATURE));
    text.push_str(&format!("default = [{}]\n{lines}", all.join(", ")));
    text.push_str(LINTS);
    text.push_str("\n[workspace]\nmembers = [\"crates/*\"]\n");
    text
}
