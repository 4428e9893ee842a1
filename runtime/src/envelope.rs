//! The result envelope some APIs wrap every payload in.

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
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Envelope<T> {
    /// The payload (absent or `null` on some successful calls, such as deletions).
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    pub result: Option<T>,
    /// Whether the call succeeded (always `true` here).
    #[serde(default = "yes")]
    pub success: bool,
    /// Errors the API reported beside the payload.
    #[serde(default)]
    pub errors: Vec<ApiMessage>,
    /// Informational messages.
    #[serde(default)]
    pub messages: Vec<ApiMessage>,
}

// `#[serde(default)]` on `result` would require `T: Default`.
fn none<T>() -> Option<T> {
    None
}

fn yes() -> bool {
    true
}

impl<T> Envelope<T> {
    /// A successful envelope around `result` with no errors or messages.
    pub fn new(result: T) -> Self {
        Self {
            result: Some(result),
            success: true,
            errors: Vec::new(),
            messages: Vec::new(),
        }
    }

    /// Takes the payload.
    pub fn into_result(self) -> Option<T> {
        self.result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn missing_result_is_none() {
        let envelope: Envelope<String> =
            serde_json::from_str(r#"{"success":true,"errors":[],"messages":[]}"#).unwrap();
        assert_eq!(envelope.into_result(), None);
    }
}
