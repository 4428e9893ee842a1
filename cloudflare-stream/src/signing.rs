//! Signed URL tokens made locally, without an API call per token.
//!
//! A video with `requireSignedURLs` plays only with a token: an RS256 JSON Web Token signed
//! by one of the account's signing keys. `client.videos().create_token(uid)` asks the API
//! for one; a [`SigningKey`] makes them locally, as many as needed, with no request and no
//! rate limit. Create the key once with `client.keys().create()` and keep its `id` and
//! `pem` (or `jwk`): the API shows them only then.
//!
//! ```no_run
//! use std::time::Duration;
//! use cloudflare_stream::signing::{AccessRule, SigningKey};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = cloudflare_stream::Client::from_env()?;
//! let key = SigningKey::from_key_response(&client.keys().create().send().await?)?;
//!
//! let token = key
//!     .sign("ea95132c15732412d22c1476fa83f27a")
//!     .expires_in(Duration::from_secs(2 * 3600))
//!     .access_rule(AccessRule::allow_countries(["US", "CA"]))
//!     .access_rule(AccessRule::block_any())
//!     .build()?;
//! println!("{}", token.hls_url("m033z5x00ks6nunl")?);
//! # Ok(())
//! # }
//! ```
//!
//! The token's header is `{"alg": "RS256", "kid": <key id>}`; its claims are `sub` (the
//! video uid), `kid`, `exp` and `nbf` (Unix seconds), and when set `downloadable`,
//! `accessRules` and `flags`, named as in the API's token request.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
// RS256 with `ring` directly: it is in the tree already as rustls's crypto, and a JWT is
// three base64url parts joined by dots. A JWT crate would bring its own ASN.1, big-integer
// and date crates, a fifth of a clean build's dependencies (`cargo xtask bench`, row 3).
use ring::rand::SystemRandom;
use ring::rsa::{KeyPairComponents, PublicKeyComponents};
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde::{Deserialize, Serialize};

/// How long a token lives unless told otherwise: one hour.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);
/// How long before signing a token is valid unless told otherwise: one hour, as the API's
/// token endpoint does.
pub const DEFAULT_NOT_BEFORE_MARGIN: Duration = Duration::from_secs(3600);
/// The furthest ahead Cloudflare accepts a token's expiry: 24 hours after signing.
pub const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// Why a key could not be loaded or a token could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SigningError {
    /// The key response has no `id`, or the id is empty.
    #[error("the signing key has no id")]
    MissingKeyId,
    /// The key response has neither `pem` nor `jwk`.
    #[error("the key response has neither `pem` nor `jwk`")]
    MissingKeyMaterial,
    /// The PEM is not an RSA private key (PKCS#1 or PKCS#8), plain or base64-encoded.
    #[error("invalid PEM signing key: {0}")]
    InvalidPem(String),
    /// The JWK is not an RSA private key with all its CRT parameters, plain JSON or
    /// base64-encoded.
    #[error("invalid JWK signing key: {0}")]
    InvalidJwk(String),
    /// The video uid is empty.
    #[error("the video uid is empty")]
    EmptyVideoUid,
    /// The expiry is more than [`MAX_LIFETIME`] after the signing time.
    #[error(
        "the token expires at {exp}, more than 24 hours after it is signed ({issued_at}); \
         Cloudflare refuses it"
    )]
    ExpiryTooFar {
        /// The requested expiry (Unix seconds).
        exp: u64,
        /// The signing time (Unix seconds).
        issued_at: u64,
    },
    /// The expiry is not after the signing time.
    #[error("the token expires at {exp}, not after it is signed ({issued_at})")]
    ExpiryNotInFuture {
        /// The requested expiry (Unix seconds).
        exp: u64,
        /// The signing time (Unix seconds).
        issued_at: u64,
    },
    /// `nbf` is not before `exp`: the token would never be valid.
    #[error("the token is valid from {nbf}, not before it expires ({exp})")]
    NotBeforeAfterExpiry {
        /// The requested `nbf` (Unix seconds).
        nbf: u64,
        /// The expiry (Unix seconds).
        exp: u64,
    },
    /// An access rule has an invalid IP range or country code, or nothing to match.
    #[error("invalid access rule: {0}")]
    InvalidAccessRule(String),
    /// A customer subdomain code that is not lowercase letters and digits.
    #[error("invalid customer code `{0}`: expected lowercase letters and digits")]
    InvalidCustomerCode(String),
    /// The signing itself failed.
    #[error("cannot sign the token: {0}")]
    Sign(String),
}

/// A Stream signing key: its id and RSA private key. Makes tokens with
/// [`SigningKey::sign`]. `Debug` shows the id only.
#[derive(Clone)]
pub struct SigningKey {
    id: String,
    key: Arc<RsaKeyPair>,
}

impl SigningKey {
    /// The key from the response of `client.keys().create()`: its `id`, and its `pem`
    /// (preferred) or `jwk`.
    ///
    /// # Errors
    ///
    /// [`SigningError::MissingKeyId`], [`SigningError::MissingKeyMaterial`], or the errors
    /// of [`SigningKey::from_pem`] and [`SigningKey::from_jwk`].
    pub fn from_key_response(keys: &crate::models::Keys) -> Result<Self, SigningError> {
        let id = keys.id.as_deref().unwrap_or_default();
        match (&keys.pem, &keys.jwk) {
            (Some(pem), _) => Self::from_pem(id, pem),
            (None, Some(jwk)) => {
                let key = Self::from_jwk(jwk)?;
                Ok(if id.is_empty() { key } else { key.with_id(id) })
            }
            (None, None) => Err(SigningError::MissingKeyMaterial),
        }
    }

    /// The key `id` with its private key in PEM: either as the API returns it (the PEM
    /// text, base64-encoded) or the PEM text itself. PKCS#1 (`BEGIN RSA PRIVATE KEY`)
    /// and PKCS#8 (`BEGIN PRIVATE KEY`) both work.
    ///
    /// # Errors
    ///
    /// [`SigningError::MissingKeyId`] for an empty id; [`SigningError::InvalidPem`] when
    /// the text is not an RSA private key that can sign.
    pub fn from_pem(id: impl Into<String>, pem: &str) -> Result<Self, SigningError> {
        let id = id.into();
        if id.trim().is_empty() {
            return Err(SigningError::MissingKeyId);
        }
        let text = decode_text(pem).ok_or_else(|| {
            SigningError::InvalidPem("neither PEM text nor base64-encoded PEM".into())
        })?;
        if !text.contains("-----BEGIN") {
            return Err(SigningError::InvalidPem("no `-----BEGIN` line".into()));
        }
        let (label, der) = pem_block(&text).map_err(SigningError::InvalidPem)?;
        let key = match label {
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der),
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der),
            other => {
                return Err(SigningError::InvalidPem(format!(
                    "a `{other}` block, expected `RSA PRIVATE KEY` or `PRIVATE KEY`"
                )));
            }
        }
        .map_err(|error| SigningError::InvalidPem(format!("not an RSA signing key: {error}")))?;
        Ok(Self::new(id, key))
    }

    /// The key in JWK form: the API's `jwk` field (JSON, base64-encoded) or the JSON
    /// itself. The key id is the JWK's `kid`.
    ///
    /// # Errors
    ///
    /// [`SigningError::InvalidJwk`] when it is not an RSA private key with `n`, `e`, `d`,
    /// `p`, `q`, `dp`, `dq` and `qi`; [`SigningError::MissingKeyId`] without `kid`.
    pub fn from_jwk(jwk: &str) -> Result<Self, SigningError> {
        let text = decode_text(jwk).ok_or_else(|| {
            SigningError::InvalidJwk("neither JSON nor base64-encoded JSON".into())
        })?;
        let jwk: PrivateJwk = serde_json::from_str(&text)
            .map_err(|error| SigningError::InvalidJwk(error.to_string()))?;
        if jwk.kty != "RSA" {
            return Err(SigningError::InvalidJwk(format!(
                "key type `{}`, expected `RSA`",
                jwk.kty
            )));
        }
        if let Some(alg) = jwk.alg.as_deref().filter(|alg| *alg != "RS256") {
            return Err(SigningError::InvalidJwk(format!(
                "algorithm `{alg}`, expected `RS256`"
            )));
        }
        let id = jwk.kid.clone().unwrap_or_default();
        if id.trim().is_empty() {
            return Err(SigningError::MissingKeyId);
        }
        let key = jwk.key_pair().map_err(SigningError::InvalidJwk)?;
        Ok(Self::new(id, key))
    }

    /// Replaces the key id (the `kid` header and claim).
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// The key id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Starts a token for the video `video_uid`; set its claims, then
    /// [`build`](TokenBuilder::build).
    pub fn sign(&self, video_uid: impl Into<String>) -> TokenBuilder<'_> {
        TokenBuilder {
            key: self,
            video_uid: video_uid.into(),
            issued_at: None,
            exp: Expiry::In(DEFAULT_LIFETIME),
            nbf: None,
            downloadable: None,
            access_rules: Vec::new(),
            original: None,
        }
    }

    /// `ring` checks the whole key pair when loading it, so a loaded key signs.
    fn new(id: String, key: RsaKeyPair) -> Self {
        Self {
            id,
            key: Arc::new(key),
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("id", &self.id)
            .field("key", &"[redacted]")
            .finish()
    }
}

/// The API's fields are the text base64-encoded; accept the text itself too.
fn decode_text(input: &str) -> Option<String> {
    let trimmed = input.trim();
    if trimmed.starts_with('{') || trimmed.starts_with("-----") {
        return Some(trimmed.to_owned());
    }
    let compact: String = trimmed.split_ascii_whitespace().collect();
    let bytes = STANDARD
        .decode(&compact)
        .or_else(|_| URL_SAFE_NO_PAD.decode(compact.trim_end_matches('=')))
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// The RSA private key members of a JWK (RFC 7518, 6.3.2).
#[derive(Deserialize)]
struct PrivateJwk {
    kty: String,
    kid: Option<String>,
    alg: Option<String>,
    n: Option<String>,
    e: Option<String>,
    d: Option<String>,
    p: Option<String>,
    q: Option<String>,
    dp: Option<String>,
    dq: Option<String>,
    qi: Option<String>,
}

impl PrivateJwk {
    /// The key pair from its members (all eight, base64url).
    fn key_pair(&self) -> Result<RsaKeyPair, String> {
        let member = |name: &str, value: &Option<String>| {
            let value = value
                .as_deref()
                .ok_or_else(|| format!("the private key member `{name}` is missing"))?;
            let bytes = URL_SAFE_NO_PAD
                .decode(value.trim_end_matches('='))
                .map_err(|error| format!("`{name}` is not base64url: {error}"))?;
            if bytes.iter().all(|byte| *byte == 0) {
                return Err(format!("`{name}` is zero"));
            }
            Ok(bytes)
        };
        let components = KeyPairComponents {
            public_key: PublicKeyComponents {
                n: member("n", &self.n)?,
                e: member("e", &self.e)?,
            },
            d: member("d", &self.d)?,
            p: member("p", &self.p)?,
            q: member("q", &self.q)?,
            dP: member("dp", &self.dp)?,
            dQ: member("dq", &self.dq)?,
            qInv: member("qi", &self.qi)?,
        };
        RsaKeyPair::from_components(&components)
            .map_err(|error| format!("not an RSA signing key: {error}"))
    }
}

/// The label and DER bytes of the first PEM block of `text` (RFC 7468).
fn pem_block(text: &str) -> Result<(&str, Vec<u8>), String> {
    let start = text.find("-----BEGIN ").ok_or("no `-----BEGIN` line")?;
    let rest = &text[start + "-----BEGIN ".len()..];
    let label_end = rest
        .find("-----")
        .ok_or("an unterminated `-----BEGIN` line")?;
    let label = &rest[..label_end];
    let body = &rest[label_end + "-----".len()..];
    let end = format!("-----END {label}-----");
    let body_end = body.find(&end).ok_or_else(|| format!("no `{end}` line"))?;
    let base64: String = body[..body_end].split_ascii_whitespace().collect();
    let der = STANDARD
        .decode(base64)
        .map_err(|error| format!("the `{label}` block is not base64: {error}"))?;
    Ok((label, der))
}

#[derive(Clone, Copy, Debug)]
enum Expiry {
    In(Duration),
    At(u64),
}

/// Who an access rule is for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Matcher {
    Any,
    Ips(Vec<String>),
    Countries(Vec<String>),
}

/// One access rule of a token: allow or block viewers by IP range, by country, or all
/// of them. Rules are evaluated in order; the first that matches decides, so end with
/// [`AccessRule::block_any`] for an allow-list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessRule {
    allow: bool,
    matcher: Matcher,
}

impl AccessRule {
    /// Allows viewers whose address is in one of `ranges` (IPv4 or IPv6 addresses or
    /// CIDR ranges, `93.184.216.0/24`, `2400:cb00::/32`): type `ip.src`.
    pub fn allow_ips<I, S>(ranges: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::ips(true, ranges)
    }

    /// Blocks viewers whose address is in one of `ranges`: type `ip.src`.
    pub fn block_ips<I, S>(ranges: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::ips(false, ranges)
    }

    /// Allows viewers in one of `countries` (ISO 3166-1 alpha-2 codes such as `US`):
    /// type `ip.geoip.country`.
    pub fn allow_countries<I, S>(countries: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::countries(true, countries)
    }

    /// Blocks viewers in one of `countries`: type `ip.geoip.country`.
    pub fn block_countries<I, S>(countries: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::countries(false, countries)
    }

    /// Allows every viewer (type `any`): a default after more specific rules.
    pub fn allow_any() -> Self {
        Self {
            allow: true,
            matcher: Matcher::Any,
        }
    }

    /// Blocks every viewer (type `any`): a default after more specific rules.
    pub fn block_any() -> Self {
        Self {
            allow: false,
            matcher: Matcher::Any,
        }
    }

    fn ips<I: IntoIterator<Item = S>, S: Into<String>>(allow: bool, ranges: I) -> Self {
        Self {
            allow,
            matcher: Matcher::Ips(ranges.into_iter().map(Into::into).collect()),
        }
    }

    fn countries<I: IntoIterator<Item = S>, S: Into<String>>(allow: bool, countries: I) -> Self {
        Self {
            allow,
            matcher: Matcher::Countries(countries.into_iter().map(Into::into).collect()),
        }
    }

    /// The claim, after checking the values.
    fn to_claim(&self) -> Result<AccessRuleClaim, SigningError> {
        let action = if self.allow { "allow" } else { "block" };
        let invalid = |message: String| SigningError::InvalidAccessRule(message);
        match &self.matcher {
            Matcher::Any => Ok(AccessRuleClaim {
                rule_type: "any",
                action,
                ip: None,
                country: None,
            }),
            Matcher::Ips(ranges) => {
                if ranges.is_empty() {
                    return Err(invalid("an `ip.src` rule needs at least one range".into()));
                }
                for range in ranges {
                    check_ip_range(range).map_err(invalid)?;
                }
                Ok(AccessRuleClaim {
                    rule_type: "ip.src",
                    action,
                    ip: Some(ranges.clone()),
                    country: None,
                })
            }
            Matcher::Countries(countries) => {
                if countries.is_empty() {
                    return Err(invalid(
                        "an `ip.geoip.country` rule needs at least one country".into(),
                    ));
                }
                let mut codes = Vec::with_capacity(countries.len());
                for country in countries {
                    let code = country.trim();
                    if code.len() != 2 || !code.bytes().all(|byte| byte.is_ascii_alphabetic()) {
                        return Err(invalid(format!(
                            "`{country}` is not an ISO 3166-1 alpha-2 country code"
                        )));
                    }
                    codes.push(code.to_ascii_uppercase());
                }
                Ok(AccessRuleClaim {
                    rule_type: "ip.geoip.country",
                    action,
                    ip: None,
                    country: Some(codes),
                })
            }
        }
    }
}

/// An address, or an address and a prefix length that fits it.
fn check_ip_range(range: &str) -> Result<(), String> {
    let (address, prefix) = match range.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (range, None),
    };
    let address: IpAddr = address
        .parse()
        .map_err(|_| format!("`{range}` is not an IP address or CIDR range"))?;
    if let Some(prefix) = prefix {
        let bits = if address.is_ipv4() { 32 } else { 128 };
        match prefix.parse::<u8>() {
            Ok(prefix) if prefix <= bits => {}
            _ => return Err(format!("`{range}` has an invalid prefix length")),
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct AccessRuleClaim {
    #[serde(rename = "type")]
    rule_type: &'static str,
    action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ip: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<Vec<String>>,
}

#[derive(Serialize)]
struct Flags {
    original: bool,
}

/// The JOSE header of a token (RFC 7515, 4.1).
#[derive(Serialize)]
struct JwtHeader<'a> {
    alg: &'static str,
    kid: &'a str,
}

/// One part of a token: JSON, base64url without padding.
fn base64_json(part: &impl Serialize) -> Result<String, SigningError> {
    let json = serde_json::to_vec(part).map_err(|error| SigningError::Sign(error.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

#[derive(Serialize)]
struct Claims<'a> {
    sub: &'a str,
    kid: &'a str,
    exp: u64,
    nbf: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    downloadable: Option<bool>,
    #[serde(rename = "accessRules", skip_serializing_if = "Vec::is_empty")]
    access_rules: Vec<AccessRuleClaim>,
    #[serde(skip_serializing_if = "Option::is_none")]
    flags: Option<Flags>,
}

/// A token being made; from [`SigningKey::sign`]. Set claims, then
/// [`build`](Self::build).
#[derive(Clone, Debug)]
#[must_use = "no token is made until `.build()`"]
pub struct TokenBuilder<'a> {
    key: &'a SigningKey,
    video_uid: String,
    issued_at: Option<SystemTime>,
    exp: Expiry,
    nbf: Option<u64>,
    downloadable: Option<bool>,
    access_rules: Vec<AccessRule>,
    original: Option<bool>,
}

impl TokenBuilder<'_> {
    /// The token expires this long after it is signed (one hour unless set; at most
    /// 24 hours).
    pub fn expires_in(mut self, lifetime: Duration) -> Self {
        self.exp = Expiry::In(lifetime);
        self
    }

    /// The token expires at this Unix time (`exp`; at most 24 hours after signing).
    pub fn expires_at(mut self, unix_seconds: u64) -> Self {
        self.exp = Expiry::At(unix_seconds);
        self
    }

    /// The token is not valid before this Unix time (`nbf`; unless set, one hour before
    /// signing, as the API's token endpoint does, so that a clock running a little ahead
    /// of Cloudflare's does not make fresh tokens "not yet valid").
    pub fn not_before(mut self, unix_seconds: u64) -> Self {
        self.nbf = Some(unix_seconds);
        self
    }

    /// Whether the token also opens the video's MP4 downloads (`downloadable`).
    pub fn downloadable(mut self, downloadable: bool) -> Self {
        self.downloadable = Some(downloadable);
        self
    }

    /// Adds an access rule (`accessRules`); rules apply in the order they are added.
    pub fn access_rule(mut self, rule: AccessRule) -> Self {
        self.access_rules.push(rule);
        self
    }

    /// Adds access rules in order.
    pub fn access_rules(mut self, rules: impl IntoIterator<Item = AccessRule>) -> Self {
        self.access_rules.extend(rules);
        self
    }

    /// Whether playback returns the original video without transformations
    /// (`flags.original`).
    pub fn original(mut self, original: bool) -> Self {
        self.original = Some(original);
        self
    }

    /// Signs as of `now` instead of the system clock (for tests and for tokens made
    /// ahead of time); expiry and `nbf` defaults count from it.
    pub fn issued_at(mut self, now: SystemTime) -> Self {
        self.issued_at = Some(now);
        self
    }

    /// Checks the claims and signs the token.
    ///
    /// # Errors
    ///
    /// [`SigningError::EmptyVideoUid`], [`SigningError::ExpiryTooFar`] (more than 24 hours
    /// ahead), [`SigningError::ExpiryNotInFuture`],
    /// [`SigningError::NotBeforeAfterExpiry`], [`SigningError::InvalidAccessRule`], or
    /// [`SigningError::Sign`].
    pub fn build(self) -> Result<SignedToken, SigningError> {
        if self.video_uid.trim().is_empty() {
            return Err(SigningError::EmptyVideoUid);
        }
        let issued_at = unix_seconds(self.issued_at.unwrap_or_else(SystemTime::now));
        let exp = match self.exp {
            Expiry::In(lifetime) => issued_at.saturating_add(lifetime.as_secs()),
            Expiry::At(at) => at,
        };
        if exp <= issued_at {
            return Err(SigningError::ExpiryNotInFuture { exp, issued_at });
        }
        if exp - issued_at > MAX_LIFETIME.as_secs() {
            return Err(SigningError::ExpiryTooFar { exp, issued_at });
        }
        let nbf = self
            .nbf
            .unwrap_or_else(|| issued_at.saturating_sub(DEFAULT_NOT_BEFORE_MARGIN.as_secs()));
        if nbf >= exp {
            return Err(SigningError::NotBeforeAfterExpiry { nbf, exp });
        }
        let access_rules = self
            .access_rules
            .iter()
            .map(AccessRule::to_claim)
            .collect::<Result<Vec<_>, _>>()?;
        let claims = Claims {
            sub: &self.video_uid,
            kid: &self.key.id,
            exp,
            nbf,
            downloadable: self.downloadable,
            access_rules,
            flags: self.original.map(|original| Flags { original }),
        };
        let header = JwtHeader {
            alg: "RS256",
            kid: &self.key.id,
        };
        let mut token = format!("{}.{}", base64_json(&header)?, base64_json(&claims)?);
        let key = &self.key.key;
        let mut signature = vec![0; key.public().modulus_len()];
        key.sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            token.as_bytes(),
            &mut signature,
        )
        .map_err(|error| SigningError::Sign(error.to_string()))?;
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(signature));
        Ok(SignedToken {
            token,
            video_uid: self.video_uid,
            expires_at: exp,
        })
    }
}

fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

/// A signed token, used in place of the video uid in playback URLs.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedToken {
    token: String,
    video_uid: String,
    expires_at: u64,
}

impl SignedToken {
    /// The token (a JWT: `header.claims.signature`).
    pub fn as_str(&self) -> &str {
        &self.token
    }

    /// The video the token opens.
    pub fn video_uid(&self) -> &str {
        &self.video_uid
    }

    /// When the token expires (Unix seconds).
    pub fn expires_at(&self) -> u64 {
        self.expires_at
    }

    /// `https://customer-<code>.cloudflarestream.com/<token>/<path>`: any playback URL of
    /// the video (`watch`, `iframe`, `thumbnails/thumbnail.jpg`, ...) with the token in
    /// place of the uid. `customer_code` is the subdomain code of the account (in
    /// `playback.hls` of any of its videos).
    ///
    /// # Errors
    ///
    /// [`SigningError::InvalidCustomerCode`] unless the code is lowercase letters and
    /// digits.
    pub fn url(&self, customer_code: &str, path: &str) -> Result<String, SigningError> {
        if customer_code.is_empty()
            || !customer_code
                .bytes()
                .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit())
        {
            return Err(SigningError::InvalidCustomerCode(customer_code.to_owned()));
        }
        Ok(format!(
            "https://customer-{customer_code}.cloudflarestream.com/{}/{}",
            self.token,
            path.trim_start_matches('/')
        ))
    }

    /// The HLS manifest URL: `.../<token>/manifest/video.m3u8`.
    ///
    /// # Errors
    ///
    /// As for [`SignedToken::url`].
    pub fn hls_url(&self, customer_code: &str) -> Result<String, SigningError> {
        self.url(customer_code, "manifest/video.m3u8")
    }

    /// The DASH manifest URL: `.../<token>/manifest/video.mpd`.
    ///
    /// # Errors
    ///
    /// As for [`SignedToken::url`].
    pub fn dash_url(&self, customer_code: &str) -> Result<String, SigningError> {
        self.url(customer_code, "manifest/video.mpd")
    }
}

impl fmt::Display for SignedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.token)
    }
}

impl fmt::Debug for SignedToken {
    /// The token grants access to the video: only its video and expiry are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedToken")
            .field("video_uid", &self.video_uid)
            .field("expires_at", &self.expires_at)
            .field("token", &"[redacted]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks() {
        let text =
            "junk\n-----BEGIN RSA PRIVATE KEY-----\nAAEC\nAw==\n-----END RSA PRIVATE KEY-----\n";
        assert_eq!(pem_block(text), Ok(("RSA PRIVATE KEY", vec![0, 1, 2, 3])));
        assert!(pem_block("-----BEGIN X-----\nAAEC\n").is_err());
        assert!(pem_block("-----BEGIN X-----\n!!\n-----END X-----").is_err());
        assert!(pem_block("no block").is_err());
    }

    #[test]
    fn ip_ranges() {
        assert!(check_ip_range("93.184.216.0/24").is_ok());
        assert!(check_ip_range("2400:cb00::/32").is_ok());
        assert!(check_ip_range("10.0.0.1").is_ok());
        assert!(check_ip_range("10.0.0.1/33").is_err());
        assert!(check_ip_range("example.com").is_err());
    }
}
