//! The `Deserialize` impl of generated structs that keep the properties they do not know:
//! written once here, as a macro, instead of a visitor per struct in every generated crate.

/// `extra(name)` and `Deserialize` for a generated struct with the field
/// `extra: serde_json::Map<String, serde_json::Value>`: a visitor that matches the known
/// keys (borrowed from the input, so a known key allocates nothing) and collects every
/// other one into `extra`. It decodes as the derive would: an absent `required` field and a
/// repeated key are errors, an absent `optional` one is its `Default`. Fields are given as
/// `rust_name = "wire name"`; their types come from the struct.
///
/// ```text
/// object!(Video, required { size = "size" }, optional { uid = "uid", r#type = "type" });
/// ```
///
/// Item names in here start with `__` so they never shadow a model the struct's fields name.
#[doc(hidden)]
#[macro_export]
macro_rules! __object {
    (
        $name:ident,
        required { $($required:ident = $required_wire:literal),* $(,)? },
        optional { $($optional:ident = $optional_wire:literal),* $(,)? } $(,)?
    ) => {
        impl $name {
            /// A property the API sent that this version of the crate does not know, by
            /// its JSON name.
            pub fn extra(&self, name: &str) -> ::core::option::Option<&$crate::__private::serde_json::Value> {
                self.extra.get(name)
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<__D: $crate::__private::serde::Deserializer<'de>>(
                deserializer: __D,
            ) -> ::core::result::Result<Self, __D::Error> {
                struct __Visitor;

                impl<'de> $crate::__private::serde::de::Visitor<'de> for __Visitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                        f.write_str(::core::concat!("an object `", ::core::stringify!($name), "`"))
                    }

                    fn visit_map<__A: $crate::__private::serde::de::MapAccess<'de>>(
                        self,
                        mut map: __A,
                    ) -> ::core::result::Result<$name, __A::Error> {
                        // Each slot's type is inferred from the struct field it ends in.
                        $(let mut $required = ::core::option::Option::None;)*
                        $(let mut $optional = ::core::option::Option::None;)*
                        let mut extra = $crate::__private::serde_json::Map::new();
                        while let ::core::option::Option::Some(key) =
                            map.next_key::<$crate::__private::Key<'de>>()?
                        {
                            match key.as_str() {
                                $($required_wire => $crate::__private::fill(&mut $required, $required_wire, &mut map)?,)*
                                $($optional_wire => $crate::__private::fill(&mut $optional, $optional_wire, &mut map)?,)*
                                _ => {
                                    extra.insert(key.into_string(), map.next_value()?);
                                }
                            }
                        }
                        ::core::result::Result::Ok($name {
                            $($required: $crate::__private::required::<_, __A::Error>($required, $required_wire)?,)*
                            $($optional: $optional.unwrap_or_default(),)*
                            extra,
                        })
                    }
                }

                deserializer.deserialize_map(__Visitor)
            }
        }
    };
}

/// A required field's value, or serde's missing-field error.
#[doc(hidden)]
#[inline]
pub fn required<T, E: serde::de::Error>(slot: Option<T>, name: &'static str) -> Result<T, E> {
    slot.ok_or_else(|| E::missing_field(name))
}

#[cfg(test)]
mod tests {
    use crate::Nullable;

    #[derive(Debug, PartialEq)]
    struct Thing {
        r#type: String,
        count: Option<i64>,
        note: Nullable<String>,
        extra: serde_json::Map<String, serde_json::Value>,
    }

    crate::__object!(Thing, required { r#type = "type" }, optional { count = "count", note = "note" });

    #[test]
    fn decodes_known_and_keeps_unknown_fields() {
        let thing: Thing = serde_json::from_str(r#"{"type":"a","note":null,"new":[1]}"#).unwrap();
        assert_eq!(thing.r#type, "a");
        assert_eq!(thing.count, None);
        assert_eq!(thing.note, Nullable::Null);
        assert_eq!(thing.extra("new"), Some(&serde_json::json!([1])));
    }

    #[test]
    fn missing_required_and_repeated_keys_are_errors() {
        let missing = serde_json::from_str::<Thing>(r#"{"count":1}"#).unwrap_err();
        assert!(
            missing.to_string().contains("missing field `type`"),
            "{missing}"
        );
        let twice = serde_json::from_str::<Thing>(r#"{"type":"a","type":"b"}"#).unwrap_err();
        assert!(
            twice.to_string().contains("duplicate field `type`"),
            "{twice}"
        );
        let wrong = serde_json::from_str::<Thing>("[1]").unwrap_err();
        assert!(wrong.to_string().contains("an object `Thing`"), "{wrong}");
    }
}
