//! A tri-state for fields that are both optional and nullable.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A field that can be absent, explicitly `null`, or hold a value.
///
/// `Option<T>` cannot tell "leave unchanged" (field absent) from "clear it" (`null`), which
/// matters for PATCH-like bodies (for example clearing a scheduled deletion). Fields of this
/// type are declared as
/// `#[serde(default, skip_serializing_if = "Nullable::is_absent")]`, so:
///
/// | JSON            | `Nullable`      |
/// |-----------------|-----------------|
/// | field missing   | `Absent`        |
/// | `null`          | `Null`          |
/// | any other value | `Value(T)`      |
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub enum Nullable<T> {
    /// The field is not present.
    #[default]
    Absent,
    /// The field is present and `null`.
    Null,
    /// The field is present with a value.
    Value(T),
}

impl<T> Nullable<T> {
    /// `true` for [`Nullable::Absent`] (used by `skip_serializing_if`).
    pub fn is_absent(&self) -> bool {
        matches!(self, Self::Absent)
    }

    /// `true` for [`Nullable::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// `true` for [`Nullable::Value`].
    pub fn is_value(&self) -> bool {
        matches!(self, Self::Value(_))
    }

    /// Borrows the value, keeping the state.
    pub fn as_ref(&self) -> Nullable<&T> {
        match self {
            Self::Absent => Nullable::Absent,
            Self::Null => Nullable::Null,
            Self::Value(value) => Nullable::Value(value),
        }
    }

    /// The value, if there is one (absent and null both give `None`).
    pub fn value(&self) -> Option<&T> {
        match self {
            Self::Value(value) => Some(value),
            Self::Absent | Self::Null => None,
        }
    }

    /// Converts into an `Option`, forgetting the difference between absent and null.
    pub fn into_option(self) -> Option<T> {
        match self {
            Self::Value(value) => Some(value),
            Self::Absent | Self::Null => None,
        }
    }

    /// Maps the value, keeping the state.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Nullable<U> {
        match self {
            Self::Absent => Nullable::Absent,
            Self::Null => Nullable::Null,
            Self::Value(value) => Nullable::Value(f(value)),
        }
    }
}

impl<T> From<T> for Nullable<T> {
    fn from(value: T) -> Self {
        Self::Value(value)
    }
}

/// `None` becomes [`Nullable::Null`]: a caller passing an `Option` means to send the field.
impl<T> From<Option<T>> for Nullable<T> {
    fn from(value: Option<T>) -> Self {
        match value {
            Some(value) => Self::Value(value),
            None => Self::Null,
        }
    }
}

impl<T: Serialize> Serialize for Nullable<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            // `Absent` is normally skipped by `skip_serializing_if`; if it is not (for
            // example inside a sequence), `null` is the closest encoding.
            Self::Absent | Self::Null => serializer.serialize_none(),
            Self::Value(value) => serializer.serialize_some(value),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Only called when the field is present (absence is `#[serde(default)]`).
        Ok(Option::<T>::deserialize(deserializer)?.into())
    }
}

#[cfg(test)]
mod tests {
    use super::Nullable;

    #[test]
    fn accessors() {
        let value = Nullable::from(3);
        assert_eq!(value.value(), Some(&3));
        assert_eq!(value.as_ref(), Nullable::Value(&3));
        assert!(Nullable::<i32>::from(None).is_null());
        assert!(Nullable::<i32>::default().is_absent());
        assert_eq!(Nullable::Value(2).map(|v| v * 2).into_option(), Some(4));
        assert_eq!(Nullable::<i32>::Null.into_option(), None);
    }
}
