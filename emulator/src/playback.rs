//! Signing keys (real RSA keys in PEM and JWK), RS256 tokens made from them, and the
//! local playback endpoint that verifies them as Stream's delivery does.
//!
//! Keys are generated with the `rsa` crate (ring signs and verifies RS256 but cannot
//! generate RSA keys); tokens are made by the client crate's `signing` module (the same
//! claims Cloudflare's `/token` and a self-signed token carry) and verified with ring.

use std::net::IpAddr;
use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use cloudflare_stream::signing::{AccessRule, SigningKey};
use ring::signature::{self, KeyPair as _, RsaKeyPair};
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use rsa::traits::{PrivateKeyParts as _, PublicKeyParts as _};

use crate::generated::models::{TokenAccessRule, TokenAccessRuleAction, TokenAccessRuleType};
use crate::store::{KeyRecord, Store};
use crate::util;

/// Generates a 2048-bit RSA signing key with a new id.
pub fn generate_key(created: String) -> Result<KeyRecord, String> {
    let id = util::new_id();
    let mut rng = rand::thread_rng();
    let key = rsa::RsaPrivateKey::new(&mut rng, 2048).map_err(|e| e.to_string())?;
    let pem = key
        .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
        .map_err(|e| e.to_string())?
        .to_string();
    let b64 = |n: &rsa::BigUint| URL_SAFE_NO_PAD.encode(n.to_bytes_be());
    let primes = key.primes();
    let (Some(p), Some(q)) = (primes.first(), primes.get(1)) else {
        return Err("the generated key has fewer than two primes".to_owned());
    };
    let (Some(dp), Some(dq)) = (key.dp(), key.dq()) else {
        return Err("the generated key has no CRT values".to_owned());
    };
    let qi = key
        .crt_coefficient()
        .ok_or("the generated key has no CRT coefficient")?;
    let jwk = serde_json::json!({
        "kty": "RSA",
        "alg": "RS256",
        "use": "sig",
        "kid": id,
        "n": b64(key.n()),
        "e": b64(key.e()),
        "d": b64(key.d()),
        "p": b64(p),
        "q": b64(q),
        "dp": b64(dp),
        "dq": b64(dq),
        "qi": b64(&qi),
    })
    .to_string();
    Ok(KeyRecord {
        id,
        created,
        pem,
        jwk,
    })
}

/// The key as the API answers it: `pem` and `jwk` base64-encoded.
pub fn encoded(text: &str) -> String {
    STANDARD.encode(text)
}

/// Makes a token for `uid` as `POST .../token` does: with the key in the request (`id` +
/// `pem`) or else the account's own key.
pub fn create_token(
    key: &KeyRecord,
    request_pem: Option<(&str, &str)>,
    uid: &str,
    now: SystemTime,
    body: &crate::generated::models::TokenCreateRequest,
) -> Result<String, String> {
    let signing = match request_pem {
        Some((id, pem)) => SigningKey::from_pem(id, pem),
        None => SigningKey::from_pem(key.id.clone(), &key.pem),
    }
    .map_err(|e| e.to_string())?;
    let issued = util::unix(now);
    let mut builder = signing.sign(uid).issued_at(now);
    builder = builder.expires_at(
        body.exp
            .and_then(|e| u64::try_from(e).ok())
            .unwrap_or(issued + 3600),
    );
    builder = builder.not_before(
        body.nbf
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(issued.saturating_sub(3600)),
    );
    if let Some(downloadable) = body.downloadable {
        builder = builder.downloadable(downloadable);
    }
    if let Some(original) = body.flags.as_ref().and_then(|f| f.original) {
        builder = builder.original(original);
    }
    for rule in body.access_rules.iter().flatten() {
        builder = builder.access_rule(access_rule(rule)?);
    }
    builder
        .build()
        .map(|t| t.as_str().to_owned())
        .map_err(|e| e.to_string())
}

fn access_rule(rule: &TokenAccessRule) -> Result<AccessRule, String> {
    let allow = !matches!(rule.action, Some(TokenAccessRuleAction::Block));
    let ips = rule.ip.clone().unwrap_or_default();
    let countries = rule.country.clone().unwrap_or_default();
    Ok(match (&rule.r#type, allow) {
        (Some(TokenAccessRuleType::IpSrc), true) => AccessRule::allow_ips(ips),
        (Some(TokenAccessRuleType::IpSrc), false) => AccessRule::block_ips(ips),
        (Some(TokenAccessRuleType::IpGeoipCountry), true) => AccessRule::allow_countries(countries),
        (Some(TokenAccessRuleType::IpGeoipCountry), false) => {
            AccessRule::block_countries(countries)
        }
        (Some(TokenAccessRuleType::Any), true) => AccessRule::allow_any(),
        (Some(TokenAccessRuleType::Any), false) => AccessRule::block_any(),
        (other, _) => return Err(format!("unsupported access rule type {other:?}")),
    })
}

/// The claims the playback endpoint checks.
///
/// Read fail-closed: a claim that is present but cannot be read rejects the token instead of
/// counting as absent (`exp: 1000.5` must expire, `exp: "soon"` must not play forever).
#[derive(Debug, serde::Deserialize)]
struct Claims {
    sub: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default, deserialize_with = "numeric_date")]
    exp: Option<f64>,
    #[serde(default, deserialize_with = "numeric_date")]
    nbf: Option<f64>,
    #[serde(default)]
    downloadable: Option<bool>,
    #[serde(default, rename = "accessRules")]
    access_rules: Vec<RuleClaim>,
}

#[derive(Debug, serde::Deserialize)]
struct RuleClaim {
    #[serde(rename = "type")]
    rule_type: String,
    action: String,
    #[serde(default)]
    ip: Vec<String>,
    #[serde(default)]
    country: Vec<String>,
}

/// The access-rule types a token may carry (Stream's `type` enum); any other type denies,
/// since the emulator cannot know whether it would have matched.
const RULE_TYPES: &[&str] = &["any", "ip.src", "ip.geoip.country"];

/// The access-rule actions; any other action denies.
const RULE_ACTIONS: &[&str] = &["allow", "block"];

/// A NumericDate (RFC 7519, section 2): seconds since the epoch, "non-integer values can be
/// represented", so `1000.5` and `-1` are dates like any other. Cloudflare's example tokens
/// carry `exp` and `nbf` as strings of digits, so a numeric string is read too. Anything
/// else present (`null`, a boolean, an object, a string that is no finite number) is an
/// error, and so rejects the token.
fn numeric_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    use serde::Deserialize as _;
    let value = serde_json::Value::deserialize(d)?;
    let seconds = match &value {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match seconds {
        Some(s) if s.is_finite() => Ok(Some(s)),
        _ => Err(serde::de::Error::custom(format!(
            "not a NumericDate: {value}"
        ))),
    }
}

/// Why playback was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Denied {
    /// Not a video id nor a token for one.
    NotFound,
    /// The video requires signed URLs and none was given.
    SignatureRequired,
    /// A token that does not verify or whose claims refuse this viewer (the reason).
    Invalid(String),
    /// The video is not ready to stream.
    NotReady,
}

/// What a verified request may play.
#[derive(Debug)]
pub struct Grant {
    /// The video uid.
    pub uid: String,
    /// Whether downloads are allowed (a token's `downloadable`).
    pub downloadable: bool,
}

/// Who asks to play: what the access rules and `allowedOrigins` are checked against.
#[derive(Debug, Clone, Copy)]
pub struct Viewer<'a> {
    /// The peer address (`ip.src` rules).
    pub ip: IpAddr,
    /// The `CF-IPCountry`-style country code, when known (`ip.geoip.country` rules).
    pub country: Option<&'a str>,
    /// The embedding page's origin: the `Origin` header, else the `Referer`'s
    /// scheme-host-port (`allowedOrigins`).
    pub origin: Option<&'a str>,
}

/// Checks a playback request for `id` (a uid or a token) from `viewer`.
pub fn authorize(
    store: &Store,
    id: &str,
    now: SystemTime,
    viewer: Viewer<'_>,
) -> Result<Grant, Denied> {
    let grant = verify(store, id, now, viewer)?;
    let origins = store
        .videos
        .get(&grant.uid)
        .and_then(|record| record.video.allowed_origins.as_deref())
        .unwrap_or_default();
    if !origin_allowed(origins, viewer.origin) {
        return Err(Denied::Invalid(match viewer.origin {
            Some(origin) => format!("the origin {origin} is not in the video's allowedOrigins"),
            None => "the video is restricted to its allowedOrigins and the request names no \
                     origin (Origin or Referer)"
                .to_owned(),
        }));
    }
    Ok(grant)
}

/// Whether a page at `origin` may show a video restricted to `allowed` (Stream's
/// `allowedOrigins`: domains, `*.` for any subdomain; an empty list allows every origin). A
/// restricted video asked for with no origin at all is refused: fail closed, as a
/// hotlinking player that strips its `Referer` must not get around the list.
fn origin_allowed(allowed: &[String], origin: Option<&str>) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let Some(host) = origin.and_then(origin_host) else {
        return false;
    };
    allowed.iter().any(|pattern| {
        let pattern = pattern.trim().trim_end_matches('.').to_ascii_lowercase();
        match pattern.strip_prefix("*.") {
            Some(parent) => host
                .strip_suffix(parent)
                .is_some_and(|rest| rest.len() > 1 && rest.ends_with('.')),
            None => host == pattern,
        }
    })
}

/// The lower-cased host of an origin or URL (`https://a.example.com:8443/page` ->
/// `a.example.com`); `None` for text that names no host (`null`, an opaque origin).
fn origin_host(origin: &str) -> Option<String> {
    let url = url::Url::parse(origin.trim()).ok()?;
    let host = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

/// The token (or bare uid) check: signature, times and access rules.
fn verify(store: &Store, id: &str, now: SystemTime, viewer: Viewer<'_>) -> Result<Grant, Denied> {
    if let Some(record) = store.videos.get(id) {
        if record.video.require_signed_urls == Some(true) {
            return Err(Denied::SignatureRequired);
        }
        return Ok(Grant {
            uid: id.to_owned(),
            downloadable: true,
        });
    }
    let mut parts = id.split('.');
    let (Some(header_b64), Some(payload), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Denied::NotFound);
    };
    let invalid = |m: &str| Denied::Invalid(m.to_owned());
    let header: serde_json::Value = URL_SAFE_NO_PAD
        .decode(header_b64)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| invalid("the token header is not base64url JSON"))?;
    if header.get("alg").and_then(|a| a.as_str()) != Some("RS256") {
        return Err(invalid("the token is not RS256"));
    }
    let claims = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| invalid("the token claims are not base64url"))?;
    let claims: Claims = serde_json::from_slice(&claims)
        .map_err(|e| Denied::Invalid(format!("the token claims are unreadable: {e}")))?;
    let kid = header
        .get("kid")
        .and_then(|k| k.as_str())
        .map(str::to_owned)
        .or(claims.kid.clone())
        .ok_or_else(|| invalid("the token names no key (`kid`)"))?;
    let key = store
        .keys
        .get(&kid)
        .or(store.account_key.as_ref().filter(|k| k.id == kid))
        .ok_or_else(|| invalid("the token's key is not a signing key of this account"))?;
    let signature = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| invalid("the token signature is not base64url"))?;
    let public = public_key(&key.pem).ok_or_else(|| invalid("the stored key is unreadable"))?;
    let message = format!("{header_b64}.{payload}");
    signature::UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, public)
        .verify(message.as_bytes(), &signature)
        .map_err(|_| invalid("the token signature does not verify"))?;
    // Sub-second precision: a token that expires at 1000.5 is still good at 1000.4.
    let now = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    if claims.exp.is_some_and(|exp| now >= exp) {
        return Err(invalid("the token has expired"));
    }
    if claims.nbf.is_some_and(|nbf| now < nbf) {
        return Err(invalid("the token is not valid yet"));
    }
    // Every rule is checked before any is applied: one the emulator cannot read denies,
    // wherever it stands in the list.
    if let Some(rule) = claims.access_rules.iter().find(|r| {
        !RULE_TYPES.contains(&r.rule_type.as_str()) || !RULE_ACTIONS.contains(&r.action.as_str())
    }) {
        return Err(Denied::Invalid(format!(
            "the token has an access rule of unknown type {:?} or action {:?}",
            rule.rule_type, rule.action
        )));
    }
    for rule in &claims.access_rules {
        let matches = match rule.rule_type.as_str() {
            "ip.src" => rule.ip.iter().any(|range| ip_in_range(viewer.ip, range)),
            "ip.geoip.country" => viewer
                .country
                .is_some_and(|c| rule.country.iter().any(|r| r.eq_ignore_ascii_case(c))),
            // `any`, the only other type left after the check above.
            _ => true,
        };
        if matches {
            if rule.action == "block" {
                return Err(invalid("an access rule blocks this viewer"));
            }
            break;
        }
    }
    if !store.videos.contains_key(&claims.sub) {
        return Err(Denied::NotFound);
    }
    Ok(Grant {
        uid: claims.sub,
        downloadable: claims.downloadable == Some(true),
    })
}

/// The public key (PKCS#1 `RSAPublicKey` DER) of a PKCS#1 PEM private key.
fn public_key(pem: &str) -> Option<Vec<u8>> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = STANDARD.decode(body.trim()).ok()?;
    let pair = RsaKeyPair::from_der(&der).ok()?;
    Some(pair.public_key().as_ref().to_vec())
}

/// Whether `ip` is in `range` (an address or a CIDR).
fn ip_in_range(ip: IpAddr, range: &str) -> bool {
    let (net, bits) = match range.split_once('/') {
        Some((net, bits)) => (net, bits.parse::<u32>().ok()),
        None => (range, None),
    };
    let Ok(net) = net.trim().parse::<IpAddr>() else {
        return false;
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            same_prefix(u32::from(a).into(), u32::from(n).into(), 32, bits)
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => same_prefix(u128::from(a), u128::from(n), 128, bits),
        _ => false,
    }
}

/// Whether two addresses of `width` bits (an IPv4 one widened to `u128`) agree on their
/// first `bits` (all of them when absent, at most `width`).
fn same_prefix(a: u128, n: u128, width: u32, bits: Option<u32>) -> bool {
    let bits = bits.unwrap_or(width).min(width);
    // Zero bits: every address; a shift by the whole width would overflow.
    let mask = if bits == 0 {
        0
    } else {
        u128::MAX << (width - bits)
    };
    a & mask == n & mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_ranges() {
        let ip: IpAddr = "93.184.216.34"
            .parse()
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        assert!(ip_in_range(ip, "93.184.216.0/24"));
        assert!(ip_in_range(ip, "93.184.216.34"));
        assert!(!ip_in_range(ip, "93.184.217.0/24"));
        assert!(!ip_in_range(ip, "2400:cb00::/32"));
        assert!(ip_in_range(ip, "0.0.0.0/0"));
        assert!(!ip_in_range(ip, "not an ip"));
    }
}
