//! `models.rs`: one Rust type per named schema, in name order.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::docs::{doc_attrs, inner_lines, lines};
use super::plan::{ModelFile, any_of};
use super::{Emitter, ident};
use crate::model::ir::*;

/// The top of `models.rs`: its module docs.
pub fn prelude(api: &Api) -> TokenStream {
    inner_lines(&format!(
        "Data types of the {} (every schema of the specification).",
        api.title
    ))
}

/// A run of type definitions. `models.rs` is rendered in chunks, in parallel; each chunk's
/// text does not depend on how the types were cut into chunks.
pub fn chunk<'a>(cx: &Emitter<'_>, defs: impl Iterator<Item = &'a TypeDef>) -> TokenStream {
    let types = defs.map(|def| type_def(cx, def, &TokenStream::new()));
    quote!(#(#types)*)
}

/// One file of a split `models`, as the plan lays it out: `use super::*` when its types
/// name types of other files, each type under its own gate where it has one. Its types
/// see the others through that import.
pub fn file(cx: &Emitter<'_>, file: &ModelFile<'_>) -> TokenStream {
    let use_super = file.use_super.as_ref().map(|features| {
        let cfg = (!features.is_empty()).then(|| any_of(features));
        quote!(#cfg use super::*;)
    });
    let types = file.defs.iter().map(|(def, gate)| {
        let cfg = gate.as_deref().map(any_of).unwrap_or_default();
        type_def(cx, def, &cfg)
    });
    quote! {
        #use_super
        #(#types)*
    }
}

/// A type's items, each with `cfg` (a gate, or nothing) first.
fn type_def(cx: &Emitter<'_>, def: &TypeDef, cfg: &TokenStream) -> TokenStream {
    let name = format_ident!("{}", def.name);
    let fallback = format!("`{}` (`{}`).", def.name, def.origin);
    let mut docs = doc_attrs(&def.docs, &fallback);
    // Types only ever received can grow in a minor release: users read them (and can start
    // from `Default` where it exists) but cannot write them as literals.
    if def.output_only && matches!(def.kind, TypeKind::Struct { .. } | TypeKind::Union { .. }) {
        docs.extend(lines("\nOnly returned by the API, so `#[non_exhaustive]`: new fields or shapes are not breaking changes."));
        docs.extend(quote!(#[non_exhaustive]));
    }
    match &def.kind {
        TypeKind::Struct { fields, additional } => {
            struct_def(cx, &name, cfg, &docs, fields, additional.as_ref())
        }
        TypeKind::Enum { variants } => enum_def(&name, cfg, &docs, variants),
        TypeKind::Union { variants } => union_def(cx, &name, cfg, &docs, variants),
        TypeKind::Alias(ty) => {
            let ty = cx.model_ty(ty);
            quote! {
                #cfg
                #docs
                pub type #name = #ty;
            }
        }
    }
}

/// The field's full Rust type, presence wrapper included.
fn field_type(cx: &Emitter<'_>, field: &Field) -> TokenStream {
    let ty = cx.model_ty(&field.ty);
    match field.presence {
        Presence::Required => ty,
        Presence::Optional | Presence::RequiredNullable => quote!(Option<#ty>),
        Presence::OptionalNullable => quote!(client_runtime::Nullable<#ty>),
    }
}

fn struct_def(
    cx: &Emitter<'_>,
    name: &syn::Ident,
    cfg: &TokenStream,
    docs: &TokenStream,
    fields: &[Field],
    additional: Option<&Ty>,
) -> TokenStream {
    let all_defaultable = fields.iter().all(|f| f.presence != Presence::Required);
    let sensitive = fields.iter().any(|f| f.sensitive);
    let mut derives = vec![quote!(Clone)];
    if !sensitive {
        derives.push(quote!(Debug));
    }
    if all_defaultable {
        derives.push(quote!(Default));
    }
    derives.extend([quote!(PartialEq), quote!(serde::Serialize)]);
    // Structs with `additionalProperties` keep them in their own map (derived, flattened);
    // the others keep the properties they do not know in `extra`, through a generated
    // visitor (a flattened field would make serde buffer every object first).
    if additional.is_some() {
        derives.push(quote!(serde::Deserialize));
    }

    let field_defs = fields.iter().map(|f| {
        let ident = ident(&f.rust);
        let ty = field_type(cx, f);
        let fallback = format!("The `{}` field.", f.wire);
        let mut docs = doc_attrs(&f.docs, &fallback);
        if f.sensitive {
            docs.extend(lines("\nA secret: `Debug` output shows it as `[redacted]`."));
        }
        let rename = (super::unraw(&f.rust) != f.wire).then(|| {
            let wire = &f.wire;
            quote!(rename = #wire,)
        });
        let serde = match f.presence {
            Presence::Required | Presence::RequiredNullable => match &rename {
                Some(rename) => quote!(#[serde(#rename)]),
                None => quote!(),
            },
            Presence::Optional => quote!(#[serde(#rename default, skip_serializing_if = "Option::is_none")]),
            Presence::OptionalNullable => {
                quote!(#[serde(#rename default, skip_serializing_if = "client_runtime::Nullable::is_absent")])
            }
        };
        quote! {
            #docs
            #serde
            pub #ident: #ty,
        }
    });
    let additional_field = match additional {
        Some(ty) => {
            let ty = cx.model_ty(ty);
            quote! {
                /// Properties beyond the ones listed above (`additionalProperties`).
                #[serde(flatten)]
                pub additional_properties: std::collections::BTreeMap<String, #ty>,
            }
        }
        None => quote! {
            /// Properties the API sent that this version of the crate does not know, kept
            /// as sent and written back when the value is serialized (read one with
            /// [`extra`](Self::extra)).
            #[serde(flatten)]
            pub extra: serde_json::Map<String, serde_json::Value>,
        },
    };
    let unknown_impls = additional
        .is_none()
        .then(|| unknown_fields_impls(name, cfg, fields));
    let debug_impl = sensitive.then(|| {
        let entries = fields.iter().map(|f| {
            let ident = ident(&f.rust);
            let label = super::unraw(&f.rust);
            if f.sensitive {
                quote!(.field(#label, &"[redacted]"))
            } else {
                quote!(.field(#label, &self.#ident))
            }
        });
        let extra = match additional {
            Some(_) => quote!(.field("additional_properties", &self.additional_properties)),
            None => quote!(.field("extra", &self.extra)),
        };
        let label = name.to_string();
        quote! {
            #cfg
            impl std::fmt::Debug for #name {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.debug_struct(#label) #(#entries)* #extra .finish()
                }
            }
        }
    });
    quote! {
        #cfg
        #docs
        #[derive(#(#derives),*)]
        pub struct #name {
            #(#field_defs)*
            #additional_field
        }
        #debug_impl
        #unknown_impls
    }
}

/// The `extra` accessor and the `Deserialize` impl of a struct that keeps unknown
/// properties: the runtime's `object!` macro writes both (a visitor that matches the known
/// keys and collects every other one into `extra`, decoding as the derive would), so each
/// struct only lists its fields' names, wire names and whether an absent one is an error.
fn unknown_fields_impls(name: &syn::Ident, cfg: &TokenStream, fields: &[Field]) -> TokenStream {
    let entry = |f: &Field| {
        let ident = ident(&f.rust);
        let wire = &f.wire;
        quote!(#ident = #wire)
    };
    let (required, optional): (Vec<&Field>, Vec<&Field>) = fields
        .iter()
        .partition(|f| f.presence == Presence::Required);
    let required = required.into_iter().map(entry);
    let optional = optional.into_iter().map(entry);
    quote! {
        #cfg
        client_runtime::__private::object!(#name, required { #(#required),* }, optional { #(#optional),* });
    }
}

fn enum_def(
    name: &syn::Ident,
    cfg: &TokenStream,
    docs: &TokenStream,
    variants: &[EnumVariant],
) -> TokenStream {
    let idents: Vec<_> = variants
        .iter()
        .map(|v| format_ident!("{}", v.rust))
        .collect();
    let wires: Vec<_> = variants.iter().map(|v| v.wire.as_str()).collect();
    let variant_docs = variants
        .iter()
        .map(|v| lines(&format!("`{}`", v.wire.replace('`', "'"))));
    quote! {
        #cfg
        #docs
        ///
        /// Values this version of the crate does not know decode into `Unknown`, so a new
        /// value on the server never breaks decoding; the enum is `#[non_exhaustive]`, so a
        /// new known value in a later version of the crate never breaks a `match` either.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #name {
            #( #variant_docs #idents, )*
            /// A value not in the specification, kept as sent.
            Unknown(String),
        }

        #cfg
        impl #name {
            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #( Self::#idents => #wires, )*
                    Self::Unknown(value) => value,
                }
            }
        }

        #cfg
        impl From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #( #wires => Self::#idents, )*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        #cfg
        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        #cfg
        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        #cfg
        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str(client_runtime::__private::EnumVisitor::new())
            }
        }

        #cfg
        impl client_runtime::__private::ParamValue for #name {
            fn to_param(&self) -> std::borrow::Cow<'_, str> {
                std::borrow::Cow::Borrowed(self.as_str())
            }
        }
    }
}

fn union_def(
    cx: &Emitter<'_>,
    name: &syn::Ident,
    cfg: &TokenStream,
    docs: &TokenStream,
    variants: &[UnionVariant],
) -> TokenStream {
    let defs = variants.iter().map(|v| {
        let ident = format_ident!("{}", v.rust);
        let ty = cx.model_ty(&v.ty);
        let doc = lines(&format!("The `{}` alternative.", v.rust));
        quote!(#doc #ident(#ty),)
    });
    quote! {
        #cfg
        #docs
        ///
        /// One of several shapes; decoding tries them in order and keeps the first that fits.
        #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(untagged)]
        pub enum #name {
            #(#defs)*
        }
    }
}
