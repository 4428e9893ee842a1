//! A crate's public API, read from its sources, and two of them compared.
//!
//! Rules about specs only predict what a change does to the generated crate; this module
//! checks it: both spec versions are generated in memory, every public item of the generated
//! files is listed with its signature (`syn`), and the two lists are compared with Cargo's
//! SemVer rules. The same works for a hand-written crate (the runtime) read at two revisions
//! ([`crate::source`]).
//!
//! The sources are a map from paths relative to the crate root (`src/lib.rs`) to text; the
//! module tree is followed from `src/lib.rs` through `mod` declarations (`name.rs`,
//! `name/mod.rs`, `#[path]`), and a declared module missing from the map is skipped (the
//! generator's output lacks the hand-written modules its `lib.rs` declares). Without a
//! `src/lib.rs`, every file is read as the module its path names.
//!
//! An item is listed when it is declared `pub`, in whatever module: re-exports can make the
//! items of a private module public, and they are not resolved (a `pub use` is listed as
//! itself). Items that are `#[doc(hidden)]`, or inside a `#[doc(hidden)]` module, are hidden:
//! what only generated code calls. Changing them is at most a patch.

use std::collections::BTreeMap;

use syn::{Fields, ImplItem, Item, Visibility};

use crate::Bump;

/// One public item: its path (`models::Video::duration`) and what it looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiItem {
    /// What kind of item: `struct`, `field`, `enum`, `variant`, `fn`, `type`, `impl`, ...
    pub kind: &'static str,
    /// Signature or type, normalized to one line.
    pub signature: String,
    /// What callers depend on: the signature without argument names, which Rust callers
    /// never write (renaming an argument is not a breaking change).
    pub shape: String,
    /// For fields and variants: whether adding one more to the parent breaks users
    /// (the parent can be built or matched exhaustively outside the crate).
    pub parent_exhaustive: bool,
    /// `#[doc(hidden)]`, or inside a `#[doc(hidden)]` module or item.
    pub hidden: bool,
}

/// The public API: item path -> item.
pub type Surface = BTreeMap<String, ApiItem>;

/// The Rust sources of one crate: path relative to the crate root (`src/lib.rs`) -> text.
/// The generator's output ([`codegen::Files`]) is one.
pub type Sources = BTreeMap<String, String>;

/// Lists the public items of a crate's sources (see the module documentation).
pub fn surface(files: &Sources) -> Result<Surface, String> {
    let mut out = Surface::new();
    if files.contains_key("src/lib.rs") {
        let mut seen = std::collections::BTreeSet::new();
        module_file(files, "src/lib.rs", "", false, &mut seen, &mut out)?;
    } else {
        for path in files.keys().filter(|p| p.ends_with(".rs")) {
            let mut seen = std::collections::BTreeSet::new();
            module_file(files, path, &module_path(path), false, &mut seen, &mut out)?;
        }
    }
    for item in out.values_mut().filter(|i| i.shape.is_empty()) {
        item.shape = item.signature.clone();
    }
    Ok(out)
}

/// Reads one module's file, and through its `mod` declarations the files of its children.
fn module_file(
    files: &Sources,
    path: &str,
    module: &str,
    hidden: bool,
    seen: &mut std::collections::BTreeSet<String>,
    out: &mut Surface,
) -> Result<(), String> {
    let Some(text) = files.get(path) else {
        return Ok(());
    };
    if !seen.insert(path.to_owned()) {
        return Ok(());
    }
    let file = syn::parse_file(text).map_err(|e| format!("{path}: {e}"))?;
    let hidden = hidden || doc_hidden(&file.attrs);
    // `src/lib.rs` and `a/mod.rs` hold their children beside them; `src/a.rs` in `src/a/`.
    let dir = match path.rsplit_once('/') {
        Some((dir, "lib.rs" | "mod.rs" | "main.rs")) => dir.to_owned(),
        _ => path.trim_end_matches(".rs").to_owned(),
    };
    let scope = Scope {
        files,
        module,
        dir: &dir,
        file_dir: path.rsplit_once('/').map_or("", |p| p.0),
        hidden,
    };
    items(&scope, &file.items, seen, out)
}

/// Where a list of items is: its module path, the directory of its child modules' files.
struct Scope<'a> {
    files: &'a Sources,
    module: &'a str,
    dir: &'a str,
    /// The directory of the file the items are in (`#[path]` is relative to it).
    file_dir: &'a str,
    hidden: bool,
}

fn doc_hidden(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("doc") && a.parse_args::<syn::Ident>().is_ok_and(|i| i == "hidden")
    })
}

/// `#[path = "..."]` of a module declaration.
fn path_attr(attrs: &[syn::Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| match &a.meta {
        syn::Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Some(s.value()),
            _ => None,
        },
        _ => None,
    })
}

fn module_path(path: &str) -> String {
    let p = path.trim_start_matches("src/").trim_end_matches(".rs");
    let p = p.trim_end_matches("/mod").trim_end_matches("lib");
    p.trim_end_matches('/').replace('/', "::")
}

fn join(module: &str, name: &str) -> String {
    if module.is_empty() {
        name.to_owned()
    } else {
        format!("{module}::{name}")
    }
}

fn is_pub(v: &Visibility) -> bool {
    matches!(v, Visibility::Public(_))
}

fn non_exhaustive(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("non_exhaustive"))
}

/// Derived traits are part of the API (removing `Clone` breaks callers).
fn derives(attrs: &[syn::Attribute]) -> String {
    let mut names = Vec::new();
    for a in attrs.iter().filter(|a| a.path().is_ident("derive")) {
        let _ = a.parse_nested_meta(|m| {
            if let Some(i) = m.path.segments.last() {
                names.push(i.ident.to_string());
            }
            Ok(())
        });
    }
    names.sort();
    if names.is_empty() {
        String::new()
    } else {
        format!("#[derive({})] ", names.join(", "))
    }
}

/// One line of Rust for an item, via `prettyplease` (deterministic, readable).
fn one_line(item: Item) -> String {
    let text = prettyplease::unparse(&syn::File {
        shebang: None,
        attrs: Vec::new(),
        items: vec![item],
    });
    let mut out = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for (from, to) in [("( ", "("), (", )", ")"), (", >", ">"), ("< ", "<")] {
        out = out.replace(from, to);
    }
    out.trim_end_matches(" {}").trim_end_matches(';').to_owned()
}

fn ty_line(ty: &syn::Type) -> String {
    let item: Item = syn::parse_quote!(type T = #ty;);
    one_line(item).trim_start_matches("type T = ").to_owned()
}

/// The attributes of an item, for `#[doc(hidden)]`.
fn attrs(item: &Item) -> &[syn::Attribute] {
    match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        _ => &[],
    }
}

fn items(
    scope: &Scope<'_>,
    list: &[Item],
    seen: &mut std::collections::BTreeSet<String>,
    out: &mut Surface,
) -> Result<(), String> {
    let module = scope.module;
    for item in list {
        let hidden = scope.hidden || doc_hidden(attrs(item));
        match item {
            Item::Struct(s) if is_pub(&s.vis) => {
                let name = join(module, &s.ident.to_string());
                let all_pub = s.fields.iter().all(|f| is_pub(&f.vis));
                let exhaustive = all_pub && !non_exhaustive(&s.attrs);
                let mut shell = s.clone();
                shell.attrs.clear();
                shell.fields = Fields::Unit;
                shell.semi_token = Some(Default::default());
                let mut sig = format!("{}{}", derives(&s.attrs), one_line(Item::Struct(shell)));
                if non_exhaustive(&s.attrs) {
                    sig = format!("#[non_exhaustive] {sig}");
                }
                out.insert(
                    name.clone(),
                    ApiItem {
                        kind: "struct",
                        signature: sig,
                        shape: String::new(),
                        parent_exhaustive: false,
                        hidden,
                    },
                );
                for (i, f) in s.fields.iter().enumerate().filter(|(_, f)| is_pub(&f.vis)) {
                    let field = f.ident.as_ref().map_or(i.to_string(), ToString::to_string);
                    out.insert(
                        format!("{name}::{field}"),
                        ApiItem {
                            kind: "field",
                            signature: ty_line(&f.ty),
                            shape: String::new(),
                            parent_exhaustive: exhaustive,
                            // A public field only generated code may set (a `static`
                            // literal) is hidden on its own.
                            hidden: hidden || doc_hidden(&f.attrs),
                        },
                    );
                }
            }
            Item::Enum(e) if is_pub(&e.vis) => {
                let name = join(module, &e.ident.to_string());
                let exhaustive = !non_exhaustive(&e.attrs);
                let mut shell = e.clone();
                shell.attrs.clear();
                shell.variants.clear();
                let mut sig = format!("{}{}", derives(&e.attrs), one_line(Item::Enum(shell)));
                if !exhaustive {
                    sig = format!("#[non_exhaustive] {sig}");
                }
                out.insert(
                    name.clone(),
                    ApiItem {
                        kind: "enum",
                        signature: sig,
                        shape: String::new(),
                        parent_exhaustive: false,
                        hidden,
                    },
                );
                for v in &e.variants {
                    let mut v = v.clone();
                    v.attrs.clear();
                    let ident = v.ident.to_string();
                    let payload = match &v.fields {
                        Fields::Unit => String::new(),
                        Fields::Unnamed(f) => {
                            let tys: Vec<String> =
                                f.unnamed.iter().map(|f| ty_line(&f.ty)).collect();
                            format!("({})", tys.join(", "))
                        }
                        Fields::Named(f) => {
                            let tys: Vec<String> = f
                                .named
                                .iter()
                                .map(|f| {
                                    format!(
                                        "{}: {}",
                                        f.ident
                                            .as_ref()
                                            .map(ToString::to_string)
                                            .unwrap_or_default(),
                                        ty_line(&f.ty)
                                    )
                                })
                                .collect();
                            format!(" {{ {} }}", tys.join(", "))
                        }
                    };
                    out.insert(
                        format!("{name}::{ident}"),
                        ApiItem {
                            kind: "variant",
                            signature: format!("{ident}{payload}"),
                            shape: String::new(),
                            parent_exhaustive: exhaustive,
                            hidden,
                        },
                    );
                }
            }
            Item::Type(t) if is_pub(&t.vis) => {
                let mut t = t.clone();
                t.attrs.clear();
                out.insert(
                    join(module, &t.ident.to_string()),
                    ApiItem {
                        kind: "type",
                        signature: one_line(Item::Type(t)),
                        shape: String::new(),
                        parent_exhaustive: false,
                        hidden,
                    },
                );
            }
            Item::Fn(f) if is_pub(&f.vis) => {
                out.insert(
                    join(module, &f.sig.ident.to_string()),
                    fn_item(&f.vis, &f.sig, hidden),
                );
            }
            Item::Const(c) if is_pub(&c.vis) => {
                out.insert(
                    join(module, &c.ident.to_string()),
                    const_item(&c.ident, &c.ty, hidden),
                );
            }
            Item::Mod(m) => {
                let name = join(module, &m.ident.to_string());
                if is_pub(&m.vis) {
                    out.insert(
                        name.clone(),
                        ApiItem {
                            kind: "mod",
                            signature: format!("pub mod {}", m.ident),
                            shape: String::new(),
                            parent_exhaustive: false,
                            hidden,
                        },
                    );
                }
                let dir = format!("{}/{}", scope.dir, m.ident);
                match &m.content {
                    Some((_, inner)) => {
                        let child = Scope {
                            module: &name,
                            dir: &dir,
                            hidden,
                            ..*scope
                        };
                        items(&child, inner, seen, out)?;
                    }
                    None => {
                        let file = match path_attr(&m.attrs) {
                            Some(p) if scope.file_dir.is_empty() => p,
                            Some(p) => format!("{}/{p}", scope.file_dir),
                            None if scope.files.contains_key(&format!("{dir}.rs")) => {
                                format!("{dir}.rs")
                            }
                            None => format!("{dir}/mod.rs"),
                        };
                        module_file(scope.files, &file, &name, hidden, seen, out)?;
                    }
                }
            }
            Item::Use(u) if is_pub(&u.vis) => {
                let mut u = u.clone();
                u.attrs.clear();
                let line = one_line(Item::Use(u));
                out.insert(
                    format!("{module}::{{{line}}}"),
                    ApiItem {
                        kind: "use",
                        signature: line,
                        shape: String::new(),
                        parent_exhaustive: false,
                        hidden,
                    },
                );
            }
            Item::Impl(i) => impl_items(module, i, hidden, out),
            _ => {}
        }
    }
    Ok(())
}

fn fn_item(vis: &Visibility, sig: &syn::Signature, hidden: bool) -> ApiItem {
    ApiItem {
        kind: "fn",
        signature: fn_line(vis, sig),
        shape: fn_shape(vis, sig),
        parent_exhaustive: false,
        hidden,
    }
}

fn const_item(ident: &syn::Ident, ty: &syn::Type, hidden: bool) -> ApiItem {
    ApiItem {
        kind: "const",
        signature: format!("const {ident}: {}", ty_line(ty)),
        shape: String::new(),
        parent_exhaustive: false,
        hidden,
    }
}

fn fn_line(vis: &Visibility, sig: &syn::Signature) -> String {
    let item = Item::Fn(syn::ItemFn {
        attrs: Vec::new(),
        vis: vis.clone(),
        sig: sig.clone(),
        block: Box::new(syn::parse_quote!({})),
    });
    one_line(item)
}

fn fn_shape(vis: &Visibility, sig: &syn::Signature) -> String {
    let mut sig = sig.clone();
    for input in sig.inputs.iter_mut() {
        if let syn::FnArg::Typed(t) = input {
            *t.pat = syn::parse_quote!(_);
        }
    }
    fn_line(vis, &sig)
}

fn impl_items(module: &str, i: &syn::ItemImpl, hidden: bool, out: &mut Surface) {
    let self_ty = ty_line(&i.self_ty);
    // `Videos<'a>` -> `Videos`: items are keyed by the type's name.
    let base = self_ty.split('<').next().unwrap_or(&self_ty).to_owned();
    if let Some((_, trait_path, _)) = &i.trait_ {
        let trait_name = ty_line(&syn::Type::Path(syn::TypePath {
            qself: None,
            path: trait_path.clone(),
        }));
        out.insert(
            format!("{} as {trait_name}", join(module, &base)),
            ApiItem {
                kind: "impl",
                signature: format!("impl {trait_name} for {self_ty}"),
                shape: String::new(),
                parent_exhaustive: false,
                hidden,
            },
        );
        return;
    }
    for item in &i.items {
        match item {
            ImplItem::Fn(f) if is_pub(&f.vis) => {
                let hidden = hidden || doc_hidden(&f.attrs);
                out.insert(
                    format!("{}::{}", join(module, &base), f.sig.ident),
                    fn_item(&f.vis, &f.sig, hidden),
                );
            }
            ImplItem::Const(c) if is_pub(&c.vis) => {
                let hidden = hidden || doc_hidden(&c.attrs);
                out.insert(
                    format!("{}::{}", join(module, &base), c.ident),
                    const_item(&c.ident, &c.ty, hidden),
                );
            }
            _ => {}
        }
    }
}

/// How one public item differs between the two versions.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiChange {
    /// `removed`, `changed` or `added`.
    pub kind: &'static str,
    /// The item's path.
    pub item: String,
    /// What the item is (`fn`, `field`, ...).
    pub item_kind: &'static str,
    /// Old signature (removed, changed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    /// New signature (added, changed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
    /// Whether Cargo's SemVer rules call it a breaking change.
    pub breaking: bool,
    /// `#[doc(hidden)]` (on either side): not part of the public API, at most a patch.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
    /// Why, when the reason is not obvious from the kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl ApiChange {
    /// `breaking`, `additive` or `hidden`: how the report labels it.
    pub fn label(&self) -> &'static str {
        if self.hidden {
            "hidden"
        } else if self.breaking {
            "breaking"
        } else {
            "additive"
        }
    }
}

const HIDDEN_NOTE: &str =
    "#[doc(hidden)]: only generated code may use it, so it is not part of the public API";

/// Compares two surfaces by Cargo's SemVer reference: removing or changing a public item
/// is breaking; adding one is not, except a field to a struct users can build with a
/// literal or a variant to an enum users can `match` exhaustively (no `#[non_exhaustive]`).
/// Hidden items (on either side) are never breaking.
pub fn compare(old: &Surface, new: &Surface) -> Vec<ApiChange> {
    let mut out = Vec::new();
    for (path, o) in old {
        let change = match new.get(path) {
            None => ApiChange {
                kind: "removed",
                item: path.clone(),
                item_kind: o.kind,
                old: Some(o.signature.clone()),
                new: None,
                breaking: true,
                hidden: o.hidden,
                note: None,
            },
            Some(n) if n.shape != o.shape || n.kind != o.kind => ApiChange {
                kind: "changed",
                item: path.clone(),
                item_kind: n.kind,
                old: Some(o.signature.clone()),
                new: Some(n.signature.clone()),
                breaking: true,
                hidden: o.hidden || n.hidden,
                note: None,
            },
            Some(n) if n.hidden != o.hidden => ApiChange {
                kind: "changed",
                item: path.clone(),
                item_kind: n.kind,
                old: Some(o.signature.clone()),
                new: Some(n.signature.clone()),
                // Hiding an item takes it out of the API; showing one adds it.
                breaking: n.hidden,
                hidden: false,
                note: Some(if n.hidden {
                    "became #[doc(hidden)]".to_owned()
                } else {
                    "no longer #[doc(hidden)]".to_owned()
                }),
            },
            Some(_) => continue,
        };
        out.push(change);
    }
    for (path, n) in new {
        if old.contains_key(path) {
            continue;
        }
        let parent = path.rsplit_once("::").map(|p| p.0).unwrap_or_default();
        // Only a member of a parent that already existed can break its users.
        let breaking = n.parent_exhaustive && old.contains_key(parent);
        let note = match (breaking, n.kind) {
            (true, "field") => Some(
                "the struct has only public fields and no #[non_exhaustive]: struct literals stop compiling"
                    .to_owned(),
            ),
            (true, "variant") => Some(
                "the enum has no #[non_exhaustive]: exhaustive `match`es stop compiling (decoding was already safe: unknown values become `Unknown`)"
                    .to_owned(),
            ),
            _ => None,
        };
        out.push(ApiChange {
            kind: "added",
            item: path.clone(),
            item_kind: n.kind,
            old: None,
            new: Some(n.signature.clone()),
            breaking,
            hidden: n.hidden,
            note,
        });
    }
    for c in out.iter_mut().filter(|c| c.hidden) {
        c.breaking = false;
        c.note = Some(HIDDEN_NOTE.to_owned());
    }
    out.sort_by(|a, b| (!a.breaking, a.kind, &a.item).cmp(&(!b.breaking, b.kind, &b.item)));
    out
}

/// The bump the API changes alone need: major for a breaking one, minor for another
/// visible one, patch when only hidden items changed, none when nothing did.
pub fn api_bump(changes: &[ApiChange]) -> Bump {
    if changes.iter().any(|c| c.breaking) {
        Bump::Major
    } else if changes.iter().any(|c| !c.hidden) {
        Bump::Minor
    } else if changes.is_empty() {
        Bump::None
    } else {
        Bump::Patch
    }
}
