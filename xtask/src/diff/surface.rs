//! The generated crate's public API, read back from what the generator emits.
//!
//! Rules about specs only predict what a change does to the crate; this module checks it:
//! both spec versions are generated in memory, every public item of the generated files is
//! listed with its signature (`syn`), and the two lists are compared with Cargo's SemVer
//! rules. Hand-written files (the runtime) are the same on both sides and are not read.

use std::collections::BTreeMap;

use syn::{Fields, ImplItem, Item, Visibility};

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
}

/// The public API: item path -> item.
pub type Surface = BTreeMap<String, ApiItem>;

/// Lists the public items of generated files (`src/models.rs` -> module `models`).
pub fn surface(files: &codegen::Files) -> Result<Surface, String> {
    let mut out = Surface::new();
    for (path, text) in files {
        if !path.ends_with(".rs") {
            continue;
        }
        let module = module_path(path);
        let file = syn::parse_file(text).map_err(|e| format!("{path}: {e}"))?;
        items(&module, &file.items, &mut out);
    }
    for item in out.values_mut().filter(|i| i.shape.is_empty()) {
        item.shape = item.signature.clone();
    }
    Ok(out)
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

fn items(module: &str, list: &[Item], out: &mut Surface) {
    for item in list {
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
                    },
                );
            }
            Item::Fn(f) if is_pub(&f.vis) => {
                out.insert(
                    join(module, &f.sig.ident.to_string()),
                    ApiItem {
                        kind: "fn",
                        signature: fn_line(&f.vis, &f.sig),
                        shape: fn_shape(&f.vis, &f.sig),
                        parent_exhaustive: false,
                    },
                );
            }
            Item::Const(c) if is_pub(&c.vis) => {
                out.insert(
                    join(module, &c.ident.to_string()),
                    ApiItem {
                        kind: "const",
                        signature: format!("const {}: {}", c.ident, ty_line(&c.ty)),
                        shape: String::new(),
                        parent_exhaustive: false,
                    },
                );
            }
            Item::Mod(m) if is_pub(&m.vis) => {
                let name = join(module, &m.ident.to_string());
                out.insert(
                    name.clone(),
                    ApiItem {
                        kind: "mod",
                        signature: format!("pub mod {}", m.ident),
                        shape: String::new(),
                        parent_exhaustive: false,
                    },
                );
                if let Some((_, inner)) = &m.content {
                    items(&name, inner, out);
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
                    },
                );
            }
            Item::Impl(i) => impl_items(module, i, out),
            _ => {}
        }
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

fn impl_items(module: &str, i: &syn::ItemImpl, out: &mut Surface) {
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
            },
        );
        return;
    }
    for item in &i.items {
        match item {
            ImplItem::Fn(f) if is_pub(&f.vis) => {
                out.insert(
                    format!("{}::{}", join(module, &base), f.sig.ident),
                    ApiItem {
                        kind: "fn",
                        signature: fn_line(&f.vis, &f.sig),
                        shape: fn_shape(&f.vis, &f.sig),
                        parent_exhaustive: false,
                    },
                );
            }
            ImplItem::Const(c) if is_pub(&c.vis) => {
                out.insert(
                    format!("{}::{}", join(module, &base), c.ident),
                    ApiItem {
                        kind: "const",
                        signature: format!("const {}: {}", c.ident, ty_line(&c.ty)),
                        shape: String::new(),
                        parent_exhaustive: false,
                    },
                );
            }
            _ => {}
        }
    }
}

/// How one public item differs between the two generated crates.
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
    /// Why, when the reason is not obvious from the kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Compares two surfaces by Cargo's SemVer reference: removing or changing a public item
/// is breaking; adding one is not, except a field to a struct users can build with a
/// literal or a variant to an enum users can `match` exhaustively (no `#[non_exhaustive]`).
pub fn compare(old: &Surface, new: &Surface) -> Vec<ApiChange> {
    let mut out = Vec::new();
    for (path, o) in old {
        match new.get(path) {
            None => out.push(ApiChange {
                kind: "removed",
                item: path.clone(),
                item_kind: o.kind,
                old: Some(o.signature.clone()),
                new: None,
                breaking: true,
                note: None,
            }),
            Some(n) if n.shape != o.shape || n.kind != o.kind => out.push(ApiChange {
                kind: "changed",
                item: path.clone(),
                item_kind: n.kind,
                old: Some(o.signature.clone()),
                new: Some(n.signature.clone()),
                breaking: true,
                note: None,
            }),
            Some(_) => {}
        }
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
            note,
        });
    }
    out.sort_by(|a, b| (!a.breaking, a.kind, &a.item).cmp(&(!b.breaking, b.kind, &b.item)));
    out
}
