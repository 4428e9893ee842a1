//! The one reading of a media type: what kind of body it is, and which of several an
//! operation's content offers is the one generated code sends or answers with. The client,
//! the server and conformance all ask here, so `application/problem+json; charset=utf-8`
//! is JSON for every one of them.

/// What a media type says about a body's encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MediaKind {
    /// `application/json` and any `+json` suffix (`application/problem+json`).
    Json,
    /// `multipart/form-data`.
    Multipart,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// `text/event-stream`: server-sent events.
    EventStream,
    /// Any other `text/*`.
    Text,
    /// Anything else: bytes as they are.
    Binary,
}

/// Media types by essence (type/subtype, lower case), for the kinds not told by a suffix
/// or a top-level type.
const BY_ESSENCE: &[(&str, MediaKind)] = &[
    ("application/json", MediaKind::Json),
    ("multipart/form-data", MediaKind::Multipart),
    ("application/x-www-form-urlencoded", MediaKind::Form),
    ("text/event-stream", MediaKind::EventStream),
];

/// The essence of a media type: lower case, without parameters (`; charset=utf-8`) or
/// surrounding space.
pub fn essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

impl MediaKind {
    /// Classifies a media type as written in a spec.
    pub fn of(media_type: &str) -> Self {
        let essence = essence(media_type);
        if let Some((_, kind)) = BY_ESSENCE.iter().find(|(e, _)| *e == essence) {
            return *kind;
        }
        if essence.ends_with("+json") {
            MediaKind::Json
        } else if essence.starts_with("text/") {
            MediaKind::Text
        } else {
            MediaKind::Binary
        }
    }

    /// Whether the body is text (UTF-8) rather than bytes.
    pub fn is_text(self) -> bool {
        matches!(self, MediaKind::Text | MediaKind::EventStream)
    }

    /// Preference among the media types one content object offers: JSON first (plain
    /// `application/json` before a suffix), then multipart, then text, then the rest.
    fn rank(self, essence: &str) -> u8 {
        match self {
            MediaKind::Json if essence == "application/json" => 0,
            MediaKind::Json => 1,
            MediaKind::Multipart => 2,
            MediaKind::Text | MediaKind::EventStream => 3,
            MediaKind::Form | MediaKind::Binary => 4,
        }
    }
}

/// The preferred one of `media_types` (in document order; the first of equal rank wins).
pub fn preferred<'a, T>(
    media_types: impl IntoIterator<Item = (&'a str, T)>,
) -> Option<(&'a str, T)> {
    media_types
        .into_iter()
        .enumerate()
        .min_by_key(|(i, (mt, _))| (MediaKind::of(mt).rank(&essence(mt)), *i))
        .map(|(_, pair)| pair)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_are_classified_by_essence_and_suffix() {
        let cases = [
            ("application/json", MediaKind::Json),
            ("application/json; charset=utf-8", MediaKind::Json),
            ("application/problem+json; charset=utf-8", MediaKind::Json),
            ("Application/Vnd.Api+JSON", MediaKind::Json),
            ("application/json-seq", MediaKind::Binary),
            ("multipart/form-data; boundary=x", MediaKind::Multipart),
            ("application/x-www-form-urlencoded", MediaKind::Form),
            ("text/event-stream", MediaKind::EventStream),
            ("text/vtt", MediaKind::Text),
            ("application/octet-stream", MediaKind::Binary),
        ];
        for (media_type, kind) in cases {
            assert_eq!(MediaKind::of(media_type), kind, "{media_type}");
        }
    }

    #[test]
    fn plain_json_is_preferred_then_suffixes_then_multipart_then_text() {
        let pick = |types: &[&'static str]| preferred(types.iter().map(|t| (*t, ()))).map(|p| p.0);
        assert_eq!(
            pick(&["text/plain", "application/problem+json", "application/json"]),
            Some("application/json")
        );
        assert_eq!(
            pick(&[
                "text/plain",
                "multipart/form-data",
                "application/x-www-form-urlencoded"
            ]),
            Some("multipart/form-data")
        );
        assert_eq!(pick(&["image/png", "text/plain"]), Some("text/plain"));
        assert_eq!(pick(&["image/png", "image/jpeg"]), Some("image/png"));
        assert_eq!(pick(&[]), None);
    }
}
