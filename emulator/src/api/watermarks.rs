//! The `watermarks` operations: [`WatermarksApi`] for [`Service`].

use super::{Service, answer, deleted, envelope};
use crate::generated::models::*;
use crate::generated::server::{self as api, Failure, RequestContext, WatermarksApi};
use crate::util::{self, bad_request, found};
use crate::video::{self};

impl WatermarksApi for Service {
    async fn watermarks_list(
        &self,
        _ctx: RequestContext,
        _r: api::WatermarksListRequest,
    ) -> Result<api::WatermarksListResponse, Failure> {
        let marks = self
            .shared
            .read(|s| s.watermarks.values().cloned().collect());
        Ok(envelope!(WatermarkListEnvelope, marks).into())
    }

    async fn watermarks_create(
        &self,
        _ctx: RequestContext,
        r: api::WatermarksCreateRequest,
    ) -> Result<api::WatermarksCreateResponse, Failure> {
        let form = r.body;
        let (size, width, height, downloaded_from) = match (&form.file, &form.url) {
            (Some(file), _) => {
                let Some((w, h)) = image_size(&file.bytes) else {
                    return Err(bad_request(
                        "the watermark file is not a PNG, GIF or JPEG image",
                    ));
                };
                let size = i64::try_from(file.bytes.len()).unwrap_or(i64::MAX);
                (size, w, h, cloudflare_stream::Nullable::Null)
            }
            (None, Some(url)) => (0, 0, 0, cloudflare_stream::Nullable::Value(url.clone())),
            (None, None) => return Err(bad_request("either `file` or `url` is required")),
        };
        let mark = Watermark {
            extra: Default::default(),
            uid: Some(util::new_id()),
            created: Some(util::ts(self.now())),
            name: form.name,
            opacity: Some(form.opacity.unwrap_or(1.0)),
            padding: Some(form.padding.unwrap_or(0.05)),
            scale: Some(form.scale.unwrap_or(0.15)),
            position: Some(form.position.unwrap_or(WatermarkPosition::UpperRight)),
            size: Some(size),
            width: Some(width),
            height: Some(height),
            downloaded_from,
        };
        self.shared.update(|s| {
            s.watermarks
                .insert(mark.uid.clone().unwrap_or_default(), mark.clone())
        });
        Ok(envelope!(WatermarkEnvelope, mark).into())
    }

    async fn watermarks_get(
        &self,
        _ctx: RequestContext,
        r: api::WatermarksGetRequest,
    ) -> Result<api::WatermarksGetResponse, Failure> {
        answer(found(
            video::watermark(&self.shared, Some(&r.identifier)),
            "watermark",
        ))
    }

    async fn watermarks_delete(
        &self,
        _ctx: RequestContext,
        r: api::WatermarksDeleteRequest,
    ) -> Result<api::WatermarksDeleteResponse, Failure> {
        answer(deleted(
            self.shared.update(|s| s.watermarks.remove(&r.identifier)),
            "watermark",
        ))
    }
}

/// The pixel size of a PNG, GIF or JPEG image.
fn image_size(bytes: &[u8]) -> Option<(i64, i64)> {
    let be32 = |b: &[u8]| i64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let be16 = |b: &[u8]| i64::from(u16::from_be_bytes([b[0], b[1]]));
    let le16 = |b: &[u8]| i64::from(u16::from_le_bytes([b[0], b[1]]));
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() >= 24 {
        return Some((be32(&bytes[16..20]), be32(&bytes[20..24])));
    }
    if (bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a")) && bytes.len() >= 10 {
        return Some((le16(&bytes[6..8]), le16(&bytes[8..10])));
    }
    if bytes.starts_with(&[0xff, 0xd8]) {
        let mut i = 2;
        while i + 9 < bytes.len() {
            if bytes[i] != 0xff {
                return None;
            }
            let marker = bytes[i + 1];
            let len = usize::try_from(be16(&bytes[i + 2..i + 4])).ok()?;
            if matches!(marker, 0xc0..=0xc3 | 0xc5..=0xc7 | 0xc9..=0xcb | 0xcd..=0xcf) {
                return Some((be16(&bytes[i + 7..i + 9]), be16(&bytes[i + 5..i + 7])));
            }
            i += 2 + len;
        }
        return Some((0, 0));
    }
    None
}
