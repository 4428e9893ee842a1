//! The `Upload-Metadata` header of tus uploads, with the keys Cloudflare reads.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The settings a tus upload can carry, and its creator.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Metadata {
    pub(crate) name: Option<String>,
    pub(crate) require_signed_urls: bool,
    pub(crate) allowed_origins: Vec<String>,
    pub(crate) thumbnail_timestamp_pct: Option<f64>,
    pub(crate) watermark: Option<String>,
    pub(crate) scheduled_deletion: Option<String>,
    pub(crate) max_duration_seconds: Option<u32>,
    pub(crate) creator: Option<String>,
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
            pair("scheduleddeletion", at);
        }
        if let Some(seconds) = self.max_duration_seconds {
            pair("maxdurationseconds", &seconds.to_string());
        }
        if self.require_signed_urls {
            pairs.push("requiresignedurls".to_owned());
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

        /// When the video is deleted, as an RFC 3339 date and time at least 30 days
        /// ahead (`scheduleddeletion`).
        pub fn scheduled_deletion(mut self, at: impl Into<String>) -> Self {
            self.metadata.scheduled_deletion = Some(at.into());
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
            scheduled_deletion: Some("2030-01-01T00:00:00Z".into()),
            max_duration_seconds: Some(600),
            creator: Some("ignored here".into()),
        };
        assert_eq!(
            metadata.header().unwrap(),
            "name bXkgdmlkZW8ubXA0,allowedorigins ZXhhbXBsZS5jb20sKi5leGFtcGxlLm9yZw==,\
             thumbnailtimestamppct MC41,watermark d20x,\
             scheduleddeletion MjAzMC0wMS0wMVQwMDowMDowMFo=,maxdurationseconds NjAw,\
             requiresignedurls"
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
        assert!(Metadata::default().check().is_ok());
    }
}
