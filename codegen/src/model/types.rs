//! Schemas -> Rust types. Component schemas get their names before any is converted, so a
//! `$ref` is always just a name and cycles cost nothing until `boxing` breaks them.

use std::collections::{BTreeMap, HashMap};

use indexmap::IndexMap;
use serde_json::Value;

use super::ir::*;
use super::naming::{self, Namespace};
use crate::error::{Error, Result};
use crate::load::{AdditionalProperties, Document, Schema, SchemaType};

/// How deep `allOf` may nest through references before we call it a cycle.
const MAX_MERGE_DEPTH: usize = 64;

pub(crate) struct TypeBuilder<'d> {
    doc: &'d Document,
    /// Component schema name -> Rust type name.
    component_names: HashMap<&'d str, String>,
    /// Components the loader made of `$ref` targets outside `#/components/schemas` (their
    /// pointer is elsewhere): pointer (escaped) -> component name. The schema at that
    /// pointer, met inline, is that component, not a second type of the same shape.
    referenced_inline: HashMap<&'d str, &'d str>,
    /// The pointer of the component being defined: its own schema is not a use of it.
    defining: Option<&'d str>,
    /// The one namespace of `models`.
    names: Namespace,
    pub(crate) types: BTreeMap<String, TypeDef>,
    /// Shape of every struct, enum and union defined so far -> its name, for reusing a type
    /// instead of defining an identical one.
    shapes: HashMap<String, String>,
    /// How many merged (`allOf`) schemas are being converted inside each other; merging
    /// copies properties, so a self-including `allOf` would otherwise recurse forever.
    depth: usize,
}

impl<'d> TypeBuilder<'d> {
    /// Where the component schema `name` (as a schema's `reference` names it) is.
    pub(crate) fn component_pointer(&self, name: &str) -> Option<crate::json::Pointer> {
        self.doc
            .components
            .schemas
            .get(name)
            .map(|s| s.pointer.clone())
    }

    pub(crate) fn new(doc: &'d Document) -> Self {
        let mut names = Namespace::with_reserved(naming::RESERVED_TYPE_NAMES.iter().copied());
        let mut component_names = HashMap::new();
        let mut referenced_inline = HashMap::new();
        for (name, schema) in &doc.components.schemas {
            let rust = names.claim(&naming::camel_ident(name), "Model");
            component_names.insert(name.as_str(), rust);
            let at = schema.pointer.as_str();
            let own = at
                .strip_prefix("/components/schemas/")
                .is_some_and(|rest| !rest.contains('/'));
            if !own {
                referenced_inline.insert(at, name.as_str());
            }
        }
        TypeBuilder {
            doc,
            component_names,
            referenced_inline,
            defining: None,
            names,
            types: BTreeMap::new(),
            shapes: HashMap::new(),
            depth: 0,
        }
    }

    /// Converts every component schema into a named type.
    pub(crate) fn build_components(&mut self) -> Result<()> {
        for (name, schema) in &self.doc.components.schemas {
            self.check_alias_cycle(name, schema)?;
        }
        for (name, schema) in &self.doc.components.schemas {
            let rust = self.component_names[name.as_str()].clone();
            // The pointer: components made of `$ref` targets elsewhere say where they are.
            let origin = schema.pointer.to_string();
            self.defining = Some(schema.pointer.as_str());
            self.define(&rust, origin, schema)?;
            self.defining = None;
        }
        Ok(())
    }

    /// A component that is only a reference (`$ref`, or `allOf` of one `$ref`) becomes a type
    /// alias; a chain of those leading back to itself would be an alias of itself.
    fn check_alias_cycle(&self, name: &str, schema: &'d Schema) -> Result<()> {
        let alias_of = |s: &'d Schema| {
            s.reference
                .as_deref()
                .or_else(|| lone_reference(s).and_then(|r| r.reference.as_deref()))
        };
        let mut current = alias_of(schema);
        for _ in 0..=self.doc.components.schemas.len() {
            let Some(target) = current else { return Ok(()) };
            if target == name {
                return Err(Error::new(
                    &schema.pointer,
                    "refers back to itself through `$ref`/`allOf` alone; no type can be defined as itself",
                ));
            }
            current = self.component(target).and_then(alias_of);
        }
        Ok(())
    }

    /// The Rust type of a schema; inline objects and enums become named types called
    /// `hint` (made unique).
    pub(crate) fn ty_of(&mut self, schema: &Schema, hint: &str) -> Result<Ty> {
        Ok(self.ty_with_nullability(schema, hint)?.0)
    }

    /// Like [`Self::ty_of`], also telling whether the value may be `null`.
    pub(crate) fn ty_with_nullability(
        &mut self,
        schema: &Schema,
        hint: &str,
    ) -> Result<(Ty, bool)> {
        let at = schema.pointer.as_str();
        if schema.reference.is_none()
            && self.defining != Some(at)
            && let Some(name) = self.referenced_inline.get(at)
            && let Some(rust) = self.component_names.get(name)
        {
            return Ok((Ty::Named(rust.clone()), schema.nullable));
        }
        if let Some(name) = &schema.reference {
            let nullable = schema.nullable || self.component(name).is_some_and(|s| s.nullable);
            let rust = self
                .component_names
                .get(name.as_str())
                .cloned()
                .ok_or_else(|| {
                    Error::new(
                        &schema.pointer,
                        format!("reference to unknown schema {name:?}"),
                    )
                })?;
            return Ok((Ty::Named(rust), nullable));
        }
        if !schema.all_of.is_empty() {
            // `allOf: [$ref]` plus annotations (Cloudflare's way to describe or null a
            // reference) is the referenced type itself; inlining it would copy the type and,
            // for a self-reference, never end.
            if let Some(only) = lone_reference(schema) {
                let (ty, nullable) = self.ty_with_nullability(only, hint)?;
                return Ok((ty, nullable || schema.nullable));
            }
            let merged = self.merge_all_of(schema, 0)?;
            return self.nested(&schema.pointer, |this| {
                this.ty_with_nullability(&merged, hint)
            });
        }
        if !schema.one_of.is_empty() || !schema.any_of.is_empty() {
            return self.union_ty(schema, hint);
        }
        if let Some(values) = &schema.enum_values {
            return Ok((self.enum_ty(schema, values, hint)?, schema.nullable));
        }
        let ty = match schema.types.as_slice() {
            [] if !schema.properties.is_empty() => self.object_ty(schema, hint)?,
            [] if schema.items.is_some() => self.array_ty(schema, hint)?,
            [] => match &schema.const_value {
                Some(Value::String(_)) => Ty::String,
                Some(Value::Bool(_)) => Ty::Bool,
                _ => Ty::Json,
            },
            [t] => match t {
                SchemaType::String => match schema.format.as_deref() {
                    Some("date-time") => Ty::Timestamp,
                    Some("date") => Ty::Date,
                    _ => Ty::String,
                },
                SchemaType::Boolean => Ty::Bool,
                SchemaType::Integer => match schema.format.as_deref() {
                    Some("int32") => Ty::I32,
                    _ => Ty::I64,
                },
                SchemaType::Number => match schema.format.as_deref() {
                    Some("float") => Ty::F32,
                    _ => Ty::F64,
                },
                SchemaType::Array => self.array_ty(schema, hint)?,
                SchemaType::Object => self.object_ty(schema, hint)?,
            },
            // Several types (3.1 `type: [string, integer]`): no single Rust type fits
            // better than a JSON value.
            _ => Ty::Json,
        };
        Ok((ty, schema.nullable))
    }

    /// The one string value a schema admits (`enum: ["1.0.0"]` or `const`), if that is all
    /// it admits.
    pub(crate) fn single_value(&self, schema: &Schema) -> Option<String> {
        let schema = self.resolve(schema);
        match (&schema.enum_values, &schema.const_value) {
            (Some(values), _) if values.len() == 1 && !schema.nullable => {
                values[0].as_str().map(str::to_owned)
            }
            (None, Some(Value::String(value))) if !schema.nullable => Some(value.clone()),
            _ => None,
        }
    }

    /// Whether values of `ty` are one piece of text on the wire: scalars, string enums and
    /// aliases of those.
    pub(crate) fn is_text_like(&self, ty: &Ty) -> bool {
        let resolved = self.resolve_alias(ty);
        resolved.is_scalar()
            || matches!(resolved, Ty::Named(name) if matches!(self.types.get(name).map(|t| &t.kind), Some(TypeKind::Enum { .. })))
    }

    /// How a parameter of type `ty` is written into a query string or header; `explode`
    /// as declared (`None`: the default, which repeats a list's name per item).
    pub(crate) fn param_encoding(&self, ty: &Ty, explode: Option<bool>) -> ParamEncoding {
        if self.is_text_like(ty) {
            return ParamEncoding::Text;
        }
        match self.resolve_alias(ty) {
            Ty::Vec(item) if self.is_text_like(item) && explode == Some(false) => {
                ParamEncoding::Joined
            }
            Ty::Vec(item) if self.is_text_like(item) => ParamEncoding::Repeated,
            _ => ParamEncoding::Json,
        }
    }

    /// Follows `type X = Y;` aliases to the type they name.
    fn resolve_alias<'t>(&'t self, ty: &'t Ty) -> &'t Ty {
        let mut current = ty;
        // Bounded: alias chains are acyclic (`check_alias_cycle`), but input is input.
        for _ in 0..=self.types.len() {
            match current {
                Ty::Named(name) => match self.types.get(name).map(|t| &t.kind) {
                    Some(TypeKind::Alias(target)) => current = target,
                    _ => break,
                },
                _ => break,
            }
        }
        current
    }

    /// Runs `f` one merge level deeper, failing (never overflowing the stack) past the limit.
    fn nested<T>(
        &mut self,
        pointer: &crate::error::Pointer,
        f: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        if self.depth >= MAX_MERGE_DEPTH {
            return Err(Error::new(
                pointer,
                "`allOf` includes itself through its own properties; no finite type can hold it",
            ));
        }
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    fn component(&self, name: &str) -> Option<&'d Schema> {
        self.doc.components.schemas.get(name)
    }

    /// Defines a named type for `schema` under exactly `name` (already claimed).
    fn define(&mut self, name: &str, origin: String, schema: &Schema) -> Result<()> {
        let docs = docs_of(schema);
        let kind = if let Some(target) = &schema.reference {
            let rust = self
                .component_names
                .get(target.as_str())
                .cloned()
                .ok_or_else(|| {
                    Error::new(
                        &schema.pointer,
                        format!("reference to unknown schema {target:?}"),
                    )
                })?;
            TypeKind::Alias(Ty::Named(rust))
        } else if let Some(only) = lone_reference(schema) {
            TypeKind::Alias(self.ty_of(only, name)?)
        } else if !schema.all_of.is_empty() {
            let merged = self.merge_all_of(schema, 0)?;
            return self.define(name, origin, &merged);
        } else if let Some(values) = schema
            .enum_values
            .as_ref()
            .filter(|_| is_string_enum(schema))
        {
            TypeKind::Enum {
                variants: enum_variants(values),
            }
        } else if is_struct(schema) {
            self.struct_kind(schema, name)?
        } else if !schema.one_of.is_empty() || !schema.any_of.is_empty() {
            self.union_kind(schema, name)?
        } else {
            // A scalar, array or map component: an alias keeps the spec's name for it.
            let ty = self.ty_of(schema, &format!("{name}Item"))?;
            TypeKind::Alias(ty)
        };
        if !matches!(kind, TypeKind::Alias(_)) {
            self.shapes
                .entry(fingerprint(&kind))
                .or_insert_with(|| name.to_owned());
        }
        self.types.insert(
            name.to_owned(),
            TypeDef {
                name: name.to_owned(),
                output_only: false,
                docs,
                origin,
                kind,
            },
        );
        Ok(())
    }

    fn new_type(
        &mut self,
        hint: &str,
        schema: &Schema,
        kind_fn: impl FnOnce(&mut Self, &str) -> Result<TypeKind>,
    ) -> Result<Ty> {
        let name = self.names.claim(&naming::camel_ident(hint), "");
        let kind = kind_fn(self, &name)?;
        // Real specs repeat the same inline object many times (Cloudflare's repeats its
        // message and envelope shapes hundreds of times). An inline type identical to one
        // already defined, field docs included, is that type: less code to read and compile.
        let shape = fingerprint(&kind);
        if let Some(existing) = self.shapes.get(&shape) {
            return Ok(Ty::Named(existing.clone()));
        }
        self.shapes.insert(shape, name.clone());
        let origin = schema.pointer.to_string();
        self.types.insert(
            name.clone(),
            TypeDef {
                name: name.clone(),
                output_only: false,
                docs: docs_of(schema),
                origin,
                kind,
            },
        );
        Ok(Ty::Named(name))
    }

    fn object_ty(&mut self, schema: &Schema, hint: &str) -> Result<Ty> {
        if schema.properties.is_empty() {
            // A map or a free-form object.
            return Ok(match &schema.additional_properties {
                Some(AdditionalProperties::Schema(inner)) if !inner.is_unconstrained() => {
                    Ty::Map(Box::new(self.ty_of(inner, &format!("{hint}Value"))?))
                }
                _ => Ty::Map(Box::new(Ty::Json)),
            });
        }
        self.new_type(hint, schema, |this, name| this.struct_kind(schema, name))
    }

    fn array_ty(&mut self, schema: &Schema, hint: &str) -> Result<Ty> {
        let item = match &schema.items {
            Some(items) => self.ty_of(items, &format!("{hint}Item"))?,
            None => Ty::Json,
        };
        Ok(Ty::Vec(Box::new(item)))
    }

    fn enum_ty(&mut self, schema: &Schema, values: &[Value], hint: &str) -> Result<Ty> {
        if values.is_empty() {
            return Ok(Ty::Json);
        }
        if is_string_enum(schema) {
            let variants = enum_variants(values);
            return self.new_type(hint, schema, |_, _| Ok(TypeKind::Enum { variants }));
        }
        // Non-string enums (`enum: [true]`, `enum: [1, 2]`) keep their primitive type; the
        // allowed values are listed in the docs.
        Ok(if values.iter().all(Value::is_boolean) {
            Ty::Bool
        } else if values.iter().all(|v| v.is_i64() || v.is_u64()) {
            Ty::I64
        } else if values.iter().all(Value::is_number) {
            Ty::F64
        } else {
            Ty::Json
        })
    }

    fn struct_kind(&mut self, schema: &Schema, name: &str) -> Result<TypeKind> {
        // The flattened `additionalProperties` map takes this field name in emit; structs
        // without one keep the properties they do not know in a field named `extra`.
        let mut fields_ns = match &schema.additional_properties {
            Some(AdditionalProperties::Schema(_)) => {
                Namespace::with_reserved(["additional_properties"])
            }
            _ => Namespace::with_reserved(["extra"]),
        };
        let mut fields = Vec::with_capacity(schema.properties.len());
        for (wire, prop) in &schema.properties {
            let hint = format!("{name}{}", naming::camel_ident(wire));
            let (ty, nullable) = self.ty_with_nullability(prop, &hint)?;
            let required = schema.required.iter().any(|r| r == wire);
            let presence = match (required, nullable) {
                (true, false) => Presence::Required,
                (false, false) => Presence::Optional,
                (true, true) => Presence::RequiredNullable,
                (false, true) => Presence::OptionalNullable,
            };
            fields.push(Field {
                wire: wire.clone(),
                rust: fields_ns.claim(&naming::snake_ident(wire), "_"),
                ty,
                presence,
                docs: docs_of(prop),
                sensitive: prop.sensitive,
            });
        }
        let additional = match &schema.additional_properties {
            Some(AdditionalProperties::Schema(inner)) => Some(if inner.is_unconstrained() {
                Ty::Json
            } else {
                self.ty_of(inner, &format!("{name}AdditionalProperty"))?
            }),
            _ => None,
        };
        Ok(TypeKind::Struct { fields, additional })
    }

    /// `oneOf`/`anyOf` as a type: null alternatives fold into nullability, a single
    /// remaining alternative is itself, string alternatives merge; the rest is a union.
    fn union_ty(&mut self, schema: &Schema, hint: &str) -> Result<(Ty, bool)> {
        let (alternatives, null_alternative) = non_null_alternatives(schema);
        let nullable = null_alternative || schema.nullable;
        match self.classify_union(&alternatives) {
            UnionShape::Single => {
                let mut only = alternatives[0].clone();
                if only.description.is_none() {
                    only.description = schema.description.clone();
                }
                let (ty, inner_nullable) = self.ty_with_nullability(&only, hint)?;
                Ok((ty, nullable || inner_nullable))
            }
            UnionShape::PlainString => Ok((Ty::String, nullable)),
            UnionShape::StringEnum(values) => {
                let variants = enum_variants(&values);
                Ok((
                    self.new_type(hint, schema, |_, _| Ok(TypeKind::Enum { variants }))?,
                    nullable,
                ))
            }
            UnionShape::Union => {
                let ty = self.new_type(hint, schema, |this, name| {
                    this.union_variants(&alternatives, name)
                })?;
                Ok((ty, nullable))
            }
        }
    }

    /// The named-type form of a `oneOf`/`anyOf` component.
    fn union_kind(&mut self, schema: &Schema, name: &str) -> Result<TypeKind> {
        let (alternatives, _) = non_null_alternatives(schema);
        Ok(match self.classify_union(&alternatives) {
            UnionShape::Single => {
                TypeKind::Alias(self.ty_of(alternatives[0], &format!("{name}Value"))?)
            }
            UnionShape::PlainString => TypeKind::Alias(Ty::String),
            UnionShape::StringEnum(values) => TypeKind::Enum {
                variants: enum_variants(&values),
            },
            UnionShape::Union => self.union_variants(&alternatives, name)?,
        })
    }

    fn classify_union(&self, alternatives: &[&Schema]) -> UnionShape {
        if alternatives.len() <= 1 {
            return if alternatives.is_empty() {
                UnionShape::Union
            } else {
                UnionShape::Single
            };
        }
        let resolved: Vec<&Schema> = alternatives.iter().map(|s| self.resolve(s)).collect();
        if resolved.iter().all(|s| is_string_enum(s)) {
            let mut values = Vec::new();
            for v in resolved.iter().flat_map(|s| s.enum_values.iter().flatten()) {
                if !values.contains(v) {
                    values.push(v.clone());
                }
            }
            return UnionShape::StringEnum(values);
        }
        let stringish = |s: &&Schema| {
            is_string_enum(s)
                || (s.types == [SchemaType::String]
                    && s.enum_values.is_none()
                    && s.all_of.is_empty())
        };
        if resolved.iter().all(stringish) {
            return UnionShape::PlainString;
        }
        UnionShape::Union
    }

    fn union_variants(&mut self, alternatives: &[&Schema], name: &str) -> Result<TypeKind> {
        let mut variant_ns = Namespace::default();
        let mut variants = Vec::with_capacity(alternatives.len());
        for (i, alt) in alternatives.iter().enumerate() {
            let label = match &alt.reference {
                Some(target) => naming::camel_ident(target),
                None => alt
                    .title
                    .as_deref()
                    .map(naming::camel_ident)
                    .unwrap_or_else(|| variant_label(alt, i)),
            };
            let ty = self.ty_of(alt, &format!("{name}{label}"))?;
            // Alternatives that differ only in what Rust cannot tell apart (`enum: [0]` and
            // `enum: [1]` are both `i64`) are one variant: a second could never decode.
            if variants.iter().any(|v: &UnionVariant| v.ty == ty) {
                continue;
            }
            variants.push(UnionVariant {
                rust: variant_ns.claim(&label, ""),
                ty,
            });
        }
        Ok(match variants.as_slice() {
            [] => TypeKind::Alias(Ty::Json),
            [only] => TypeKind::Alias(only.ty.clone()),
            _ => TypeKind::Union { variants },
        })
    }

    fn resolve<'s>(&self, schema: &'s Schema) -> &'s Schema
    where
        'd: 's,
    {
        let mut current = schema;
        for _ in 0..MAX_MERGE_DEPTH {
            match current.reference.as_deref().and_then(|r| self.component(r)) {
                Some(target) => current = target,
                None => break,
            }
        }
        current
    }

    /// Flattens `allOf` into one schema: properties and `required` unioned (later parts
    /// win on a clash), the outer schema's annotations kept.
    pub(crate) fn merge_all_of(&self, schema: &Schema, depth: usize) -> Result<Schema> {
        if depth > MAX_MERGE_DEPTH {
            return Err(Error::new(
                &schema.pointer,
                "`allOf` refers back to itself; cannot merge a cyclic `allOf`",
            ));
        }
        let mut parts: Vec<Schema> = Vec::with_capacity(schema.all_of.len() + 1);
        for part in &schema.all_of {
            let target = match &part.reference {
                Some(name) => self.component(name).ok_or_else(|| {
                    Error::new(
                        &part.pointer,
                        format!("reference to unknown schema {name:?}"),
                    )
                })?,
                None => part,
            };
            let mut target = if target.all_of.is_empty() {
                target.clone()
            } else {
                self.merge_all_of(target, depth + 1)?
            };
            target.nullable |= part.nullable;
            parts.push(target);
        }
        let mut own = schema.clone();
        own.all_of.clear();
        parts.push(own);

        let shaped: Vec<&Schema> = parts.iter().filter(|p| !is_annotation_only(p)).collect();
        let object_like = shaped.iter().all(|p| {
            (p.types.is_empty() || p.types == [SchemaType::Object])
                && p.enum_values.is_none()
                && p.one_of.is_empty()
                && p.any_of.is_empty()
                && p.items.is_none()
        });
        let mut merged = if shaped.len() == 1 || !object_like {
            // One part carries the shape (others only annotate it), or the parts are not
            // objects and cannot be merged field by field: the first shape wins.
            shaped.first().map(|p| (*p).clone()).unwrap_or_default()
        } else {
            let mut merged = Schema {
                types: vec![SchemaType::Object],
                ..Schema::default()
            };
            let mut properties = IndexMap::new();
            for part in &shaped {
                for (k, v) in &part.properties {
                    properties.insert(k.clone(), v.clone());
                }
                for r in &part.required {
                    if !merged.required.contains(r) {
                        merged.required.push(r.clone());
                    }
                }
                if part.additional_properties.is_some() {
                    merged.additional_properties = part.additional_properties.clone();
                }
                merged.sensitive |= part.sensitive;
            }
            merged.properties = properties;
            merged
        };
        merged.pointer = schema.pointer.clone();
        merged.description = schema
            .description
            .clone()
            .or_else(|| parts.iter().rev().find_map(|p| p.description.clone()));
        merged.title = schema.title.clone().or(merged.title);
        merged.nullable =
            schema.nullable || (!parts.is_empty() && parts.iter().all(|p| p.nullable));
        merged.deprecated |= schema.deprecated;
        Ok(merged)
    }
}

/// A type's shape as a string: equal strings, interchangeable types. Debug output of the
/// kind covers fields (names, types, presence, docs, secrecy), variants and wire values.
fn fingerprint(kind: &TypeKind) -> String {
    format!("{kind:?}")
}

/// What a list of `oneOf`/`anyOf` alternatives amounts to.
enum UnionShape {
    /// Exactly one non-null alternative.
    Single,
    /// Only strings, some free-form: a plain `String`.
    PlainString,
    /// Only string enums: one merged enum.
    StringEnum(Vec<Value>),
    /// Genuinely different shapes.
    Union,
}

fn is_struct(schema: &Schema) -> bool {
    !schema.properties.is_empty()
        && (schema.types.is_empty() || schema.types == [SchemaType::Object])
        && schema.one_of.is_empty()
        && schema.any_of.is_empty()
}

fn is_string_enum(schema: &Schema) -> bool {
    schema
        .enum_values
        .as_ref()
        .is_some_and(|v| !v.is_empty() && v.iter().all(Value::is_string))
}

/// For `allOf: [$ref]` plus annotations (no shape of its own), the one referenced schema.
fn lone_reference(schema: &Schema) -> Option<&Schema> {
    let mut shaped = schema.all_of.iter().filter(|p| !is_annotation_only(p));
    match (shaped.next(), shaped.next()) {
        (Some(only), None) if only.reference.is_some() && !schema.has_own_shape() => Some(only),
        _ => None,
    }
}

fn is_annotation_only(schema: &Schema) -> bool {
    schema.is_unconstrained() && !schema.nullable
}

fn non_null_alternatives(schema: &Schema) -> (Vec<&Schema>, bool) {
    let mut nullable = false;
    let mut kept = Vec::new();
    for alt in schema.one_of.iter().chain(&schema.any_of) {
        let only_null = alt.nullable
            && alt.types.is_empty()
            && alt.reference.is_none()
            && alt.enum_values.as_ref().is_none_or(Vec::is_empty)
            && alt.properties.is_empty()
            && alt.all_of.is_empty()
            && alt.one_of.is_empty()
            && alt.any_of.is_empty();
        if only_null {
            nullable = true;
        } else {
            kept.push(alt);
        }
    }
    (kept, nullable)
}

fn variant_label(schema: &Schema, index: usize) -> String {
    let base = match schema.types.as_slice() {
        [SchemaType::String] => "String",
        [SchemaType::Integer] => "Integer",
        [SchemaType::Number] => "Number",
        [SchemaType::Boolean] => "Boolean",
        [SchemaType::Array] => "List",
        _ => return format!("Variant{index}"),
    };
    base.to_owned()
}

fn enum_variants(values: &[Value]) -> Vec<EnumVariant> {
    // `Unknown` is the fallback variant's name; a spec value that would take it is renamed.
    let mut ns = Namespace::with_reserved(["Unknown"]);
    values
        .iter()
        .filter_map(Value::as_str)
        .map(|wire| EnumVariant {
            rust: ns.claim(&naming::camel_ident(wire), "Value"),
            wire: wire.to_owned(),
        })
        .collect()
}

pub(crate) fn docs_of(schema: &Schema) -> Docs {
    let mut text = schema.description.clone().or_else(|| schema.title.clone());
    if let Some(values) = schema
        .enum_values
        .as_ref()
        .filter(|v| !v.is_empty() && !is_string_enum(schema))
    {
        let list: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
        let line = format!("Allowed values: {}.", list.join(", "));
        text = Some(match text {
            Some(t) => format!("{t}\n\n{line}"),
            None => line,
        });
    }
    Docs {
        text,
        deprecated: schema.deprecated,
    }
}
