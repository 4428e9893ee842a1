//! The `Upload-Metadata` header of tus uploads, with the keys Cloudflare reads.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The keys with a setter of their own.
const KNOWN_KEYS: &[&str] = &[
    "name",
    "requiresignedurls",
    "allowedorigins",
    "thumbnailtimestamppct",
    "watermark",
    "scheduleddeletion",
    "expiry",
    "maxdurationseconds",
];

/// The settings a tus upload can carry, and its creator.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Metadata {
    pub(crate) name: Option<String>,
    pub(crate) require_signed_urls: bool,
    pub(crate) allowed_origins: Vec<String>,
    pub(crate) thumbnail_timestamp_pct: Option<f64>,
    pub(crate) watermark: Option<String>,
    pub(crate) scheduled_deletion: Option<crate::Timestamp>,
    pub(crate) expiry: Option<crate::Timestamp>,
    pub(crate) max_duration_seconds: Option<u32>,
    pub(crate) creator: Option<String>,
    /// Keys this crate has no setter for, in the order given (a later value of the same
    /// key replaces an earlier one).
    pub(crate) extra: Vec<(String, Option<String>)>,
}

impl Metadata {
    /// The `Upload-Metadata` value: `key base64(value)` pairs joined by commas, in a fixed
    /// order; `requiresignedurls` is a bare key (Cloudflare reads its presence), and
    /// `allowedorigins` is the origins joined by commas. `None` when there is nothing to
    /// send.
    pub(crate) fn header(&self) -> Option<String> {
        let mut pairs: Vec<String> = Vec::new();
        let mut pair = |key: &str, value: &str| {
            pairs.push(format!("{key} {}", STANDARD.encode(value)));
        };
        if let Some(name) = &self.name {
            pair("name", name);
        }
        if !self.allowed_origins.is_empty() {
            pair("allowedorigins", &self.allowed_origins.join(","));
        }
        if let Some(pct) = self.thumbnail_timestamp_pct {
            pair("thumbnailtimestamppct", &pct.to_string());
        }
        if let Some(watermark) = &self.watermark {
            pair("watermark", watermark);
        }
        if let Some(at) = &self.scheduled_deletion {
            pair("scheduleddeletion", at.as_str());
        }
        if let Some(at) = &self.expiry {
            pair("expiry", at.as_str());
        }
        if let Some(seconds) = self.max_duration_seconds {
            pair("maxdurationseconds", &seconds.to_string());
        }
        if self.require_signed_urls {
            pairs.push("requiresignedurls".to_owned());
        }
        for (key, value) in &self.extra {
            match value {
                Some(value) => pairs.push(format!("{key} {}", STANDARD.encode(value))),
                None => pairs.push(key.clone()),
            }
        }
        (!pairs.is_empty()).then(|| pairs.join(","))
    }

    /// Checks what the server would refuse anyway, with a clearer message.
    pub(crate) fn check(&self) -> Result<(), String> {
        if let Some(pct) = self
            .thumbnail_timestamp_pct
            .filter(|pct| !(0.0..=1.0).contains(pct))
        {
            return Err(format!(
                "thumbnail_timestamp_pct must be between 0 and 1, not {pct}"
            ));
        }
        if let Some(origin) = self.allowed_origins.iter().find(|o| o.contains(',')) {
            return Err(format!(
                "allowed origin `{origin}` contains a comma, which separates origins"
            ));
        }
        // tus: a key is non-empty and has no spaces or commas; keys are unique.
        let mut seen = std::collections::BTreeSet::new();
        for (key, _) in &self.extra {
            if key.is_empty() || key.contains([' ', ',']) || !key.is_ascii() {
                return Err(format!(
                    "metadata key `{key}` must be non-empty ASCII without spaces or commas"
                ));
            }
            if KNOWN_KEYS.contains(&key.as_str()) {
                return Err(format!("metadata key `{key}` has its own setter"));
            }
            if !seen.insert(key.as_str()) {
                return Err(format!("metadata key `{key}` is given twice"));
            }
        }
        Ok(())
    }
}

/// Generates the metadata setters shared by the tus builders.
macro_rules! metadata_setters {
    () => {
        /// The video's name (`name`; for a path source, its file name unless set).
        pub fn name(mut self, name: impl Into<String>) -> Self {
            self.metadata.name = Some(name.into());
            self
        }

        /// Whether playback needs a signed URL token (`requiresignedurls`).
        pub fn require_signed_urls(mut self, require: bool) -> Self {
            self.metadata.require_signed_urls = require;
            self
        }

        /// The origins allowed to embed the video (`allowedorigins`; `*.example.com`
        /// for subdomains). None set: any origin.
        pub fn allowed_origins<I, S>(mut self, origins: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.metadata.allowed_origins = origins.into_iter().map(Into::into).collect();
            self
        }

        /// Where the default thumbnail is taken, as a fraction of the duration between 0
        /// and 1 (`thumbnailtimestamppct`).
        pub fn thumbnail_timestamp_pct(mut self, pct: f64) -> Self {
            self.metadata.thumbnail_timestamp_pct = Some(pct);
            self
        }

        /// The uid of a watermark profile to apply (`watermark`).
        pub fn watermark(mut self, watermark_uid: impl Into<String>) -> Self {
            self.metadata.watermark = Some(watermark_uid.into());
            self
        }

        /// When the video is deleted, at least 30 days ahead (`scheduleddeletion`). A
        /// `time::OffsetDateTime` converts, or parse text with `Timestamp::parse`.
        pub fn scheduled_deletion(mut self, at: impl Into<crate::Timestamp>) -> Self {
            self.metadata.scheduled_deletion = Some(at.into());
            self
        }

        /// When the upload URL stops accepting data, for uploads made on behalf of end
        /// users (`expiry`; Cloudflare's default is 30 minutes after creation).
        pub fn expiry(mut self, at: impl Into<crate::Timestamp>) -> Self {
            self.metadata.expiry = Some(at.into());
            self
        }

        /// Any other `Upload-Metadata` key, for keys this crate has no setter for; the
        /// value is base64-encoded as tus requires. Keys must be ASCII without spaces or
        /// commas, and not one of the keys with a setter (checked when the upload starts).
        pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
            let key = key.into();
            self.metadata.extra.retain(|(k, _)| *k != key);
            self.metadata.extra.push((key, Some(value.into())));
            self
        }

        /// A metadata key without a value (tus allows bare keys, such as
        /// `requiresignedurls`).
        pub fn metadata_flag(mut self, key: impl Into<String>) -> Self {
            let key = key.into();
            self.metadata.extra.retain(|(k, _)| *k != key);
            self.metadata.extra.push((key, None));
            self
        }

        /// The longest the video may last; longer uploads fail in processing
        /// (`maxdurationseconds`).
        pub fn max_duration_seconds(mut self, seconds: u32) -> Self {
            self.metadata.max_duration_seconds = Some(seconds);
            self
        }

        /// A user-defined identifier of the video's creator (`Upload-Creator` header).
        pub fn creator(mut self, creator: impl Into<String>) -> Self {
            self.metadata.creator = Some(creator.into());
            self
        }
    };
}
pub(crate) use metadata_setters;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_every_key() {
        let metadata = Metadata {
            name: Some("my video.mp4".into()),
            require_signed_urls: true,
            allowed_origins: vec!["example.com".into(), "*.example.org".into()],
            thumbnail_timestamp_pct: Some(0.5),
            watermark: Some("wm1".into()),
            scheduled_deletion: Some(crate::Timestamp::parse("2030-01-01T00:00:00Z").unwrap()),
            expiry: Some(crate::Timestamp::parse("2030-01-01T00:30:00Z").unwrap()),
            max_duration_seconds: Some(600),
            creator: Some("ignored here".into()),
            extra: vec![("custom".into(), Some("v".into())), ("flag".into(), None)],
        };
        assert_eq!(
            metadata.header().unwrap(),
            "name bXkgdmlkZW8ubXA0,allowedorigins ZXhhbXBsZS5jb20sKi5leGFtcGxlLm9yZw==,\
             thumbnailtimestamppct MC41,watermark d20x,\
             scheduleddeletion MjAzMC0wMS0wMVQwMDowMDowMFo=,\
             expiry MjAzMC0wMS0wMVQwMDozMDowMFo=,maxdurationseconds NjAw,\
             requiresignedurls,custom dg==,flag"
        );
        assert_eq!(Metadata::default().header(), None);
    }

    #[test]
    fn checks_values() {
        let bad_pct = Metadata {
            thumbnail_timestamp_pct: Some(1.5),
            ..Metadata::default()
        };
        assert!(bad_pct.check().is_err());
        let bad_origin = Metadata {
            allowed_origins: vec!["a.com,b.com".into()],
            ..Metadata::default()
        };
        assert!(bad_origin.check().is_err());
        for key in ["", "a b", "a,b", "name", "expiry"] {
            let bad_key = Metadata {
                extra: vec![(key.into(), None)],
                ..Metadata::default()
            };
            assert!(bad_key.check().is_err(), "{key:?}");
        }
        assert!(Metadata::default().check().is_ok());
    }
}
