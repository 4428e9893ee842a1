//! Turning typed parameter values into the text that goes into paths, queries and headers.

use std::borrow::Cow;

/// A value that can be sent as a path, query or header parameter.
///
/// Generated enums implement this themselves (their wire name). Encoding for the URL
/// happens later, in the request builder; this only produces the raw text.
pub trait ParamValue {
    /// The parameter's text, before any percent-encoding.
    fn to_param(&self) -> Cow<'_, str>;
}

impl ParamValue for str {
    fn to_param(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl ParamValue for String {
    fn to_param(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl ParamValue for Cow<'_, str> {
    fn to_param(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl<T: ParamValue + ?Sized> ParamValue for &T {
    fn to_param(&self) -> Cow<'_, str> {
        (**self).to_param()
    }
}

impl ParamValue for bool {
    fn to_param(&self) -> Cow<'_, str> {
        Cow::Borrowed(if *self { "true" } else { "false" })
    }
}

/// Numbers use Rust's `Display`: integers in decimal, floats in the shortest form that
/// reads back to the same value (`1.5`, `1`, `0.1`).
macro_rules! display_param {
    ($($ty:ty),* $(,)?) => {
        $(
            impl ParamValue for $ty {
                fn to_param(&self) -> Cow<'_, str> {
                    Cow::Owned(self.to_string())
                }
            }
        )*
    };
}

display_param!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64
);

/// Strings are sent as they are (no quotes); anything else as compact JSON.
impl ParamValue for serde_json::Value {
    fn to_param(&self) -> Cow<'_, str> {
        match self {
            serde_json::Value::String(text) => Cow::Borrowed(text),
            other => Cow::Owned(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ParamValue;
    use serde_json::json;

    #[test]
    fn renders_scalars() {
        assert_eq!("a b".to_param(), "a b");
        assert_eq!(String::from("x").to_param(), "x");
        assert_eq!((&&"y").to_param(), "y");
        assert_eq!(true.to_param(), "true");
        assert_eq!(false.to_param(), "false");
        assert_eq!((-42i64).to_param(), "-42");
        assert_eq!(7u8.to_param(), "7");
        assert_eq!(1.5f64.to_param(), "1.5");
        assert_eq!(2.0f32.to_param(), "2");
        assert_eq!(json!("text").to_param(), "text");
        assert_eq!(json!({"a": [1, null]}).to_param(), r#"{"a":[1,null]}"#);
        assert_eq!(json!(3).to_param(), "3");
    }
}
