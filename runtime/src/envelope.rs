//! The result envelope some APIs wrap every payload in.

use std::marker::PhantomData;

use crate::__private::Key;
use crate::ApiMessage;

/// A response body of the form `{"success": .., "errors": [..], "messages": [..],
/// "result": ..}`, the convention of APIs that wrap each payload in an envelope.
///
/// The generator maps every envelope schema of a spec that has exactly these fields to this
/// one type (`pub type VideoEnvelope = Envelope<Video>;`), instead of repeating the common
/// fields in a struct per payload. `send()` returns `result`; `send_with_response()` the
/// whole envelope.
///
/// A 2xx envelope saying `"success": false` never reaches this type: it is an
/// [`Error::Api`](crate::Error::Api).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Envelope<T> {
    /// The payload (absent or `null` on some successful calls, such as deletions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<T>,
    /// Whether the call succeeded (always `true` here).
    pub success: bool,
    /// Errors the API reported beside the payload.
    pub errors: Vec<ApiMessage>,
    /// Informational messages.
    pub messages: Vec<ApiMessage>,
    /// Fields of the envelope beside these (such as `result_info`), kept as sent and
    /// written back when serialized.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl<T> Envelope<T> {
    /// A successful envelope around `result` with no errors or messages.
    pub fn new(result: T) -> Self {
        Self {
            result: Some(result),
            success: true,
            errors: Vec::new(),
            messages: Vec::new(),
            extra: serde_json::Map::new(),
        }
    }

    /// Takes the payload.
    pub fn into_result(self) -> Option<T> {
        self.result
    }

    /// A field of the envelope beside `result`, `success`, `errors` and `messages`.
    pub fn extra(&self, name: &str) -> Option<&serde_json::Value> {
        self.extra.get(name)
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Envelope<T> {
    /// Missing `success` is `true`, missing `errors`/`messages` empty, missing or `null`
    /// `result` `None`; other fields go to `extra`.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<T>(PhantomData<T>);

        impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Visitor<T> {
            type Value = Envelope<T>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a result envelope")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Envelope<T>, A::Error> {
                let mut envelope = Envelope {
                    result: None,
                    success: true,
                    errors: Vec::new(),
                    messages: Vec::new(),
                    extra: serde_json::Map::new(),
                };
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    match key.as_str() {
                        "result" => envelope.result = map.next_value()?,
                        "success" => envelope.success = map.next_value()?,
                        "errors" => {
                            envelope.errors = map.next_value::<Option<_>>()?.unwrap_or_default()
                        }
                        "messages" => {
                            envelope.messages = map.next_value::<Option<_>>()?.unwrap_or_default()
                        }
                        _ => {
                            envelope.extra.insert(key.into_string(), map.next_value()?);
                        }
                    }
                }
                Ok(envelope)
            }
        }

        deserializer.deserialize_map(Visitor(PhantomData))
    }
}

/// The payload field `field` of an operation's envelope, which the operation promises:
/// its absence is [`Error::MissingResult`](crate::Error::MissingResult).
#[doc(hidden)]
pub fn payload<T>(
    value: Option<T>,
    operation: &'static str,
    field: &'static str,
) -> Result<T, crate::Error> {
    value.ok_or_else(|| crate::Error::missing_result(operation, field))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_payload_names_its_field() {
        assert_eq!(payload(Some(1), "op", "data").unwrap(), 1);
        let error = payload::<i32>(None, "op", "data").unwrap_err();
        assert!(
            matches!(
                error,
                crate::Error::MissingResult {
                    operation: "op",
                    field: "data"
                }
            ),
            "{error:?}"
        );
    }

    #[test]
    fn decodes_and_round_trips() {
        let text = r#"{"result":{"a":1},"success":true,"errors":[],"messages":[{"code":1,"message":"m"}]}"#;
        let envelope: Envelope<serde_json::Value> = serde_json::from_str(text).unwrap();
        assert_eq!(envelope.result, Some(serde_json::json!({"a": 1})));
        assert_eq!(envelope.messages[0].message, "m");
        let back = serde_json::to_value(&envelope).unwrap();
        assert_eq!(back["messages"][0]["code"], 1);
        assert_eq!(back["result"]["a"], 1);
    }

    #[test]
    fn keeps_unknown_fields() {
        let text =
            r#"{"result":1,"success":true,"errors":[],"messages":[],"result_info":{"count":1}}"#;
        let envelope: Envelope<i32> = serde_json::from_str(text).unwrap();
        assert_eq!(
            envelope.extra("result_info"),
            Some(&serde_json::json!({"count": 1}))
        );
        let back = serde_json::to_string(&envelope).unwrap();
        let again: serde_json::Value = serde_json::from_str(&back).unwrap();
        assert_eq!(
            again,
            serde_json::from_str::<serde_json::Value>(text).unwrap()
        );
    }

    #[test]
    fn missing_result_is_none() {
        let envelope: Envelope<String> =
            serde_json::from_str(r#"{"success":true,"errors":[],"messages":[]}"#).unwrap();
        assert_eq!(envelope.into_result(), None);
    }
}
