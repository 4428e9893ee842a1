//! The configured client: where to send requests, as whom, and how patiently.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use url::Url;

use super::{Error, RetryPolicy, Secret};

/// The API every Cloudflare client talks to unless told otherwise.
pub const DEFAULT_BASE_URL: &str = "https://api.cloudflare.com/client/v4";
/// The per-attempt timeout unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The connect timeout of the HTTP client the builder creates.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// `<crate name>-rust/<crate version>`, for example `cloudflare-stream-rust/0.3.0`.
pub const DEFAULT_USER_AGENT: &str =
    concat!(env!("CARGO_PKG_NAME"), "-rust/", env!("CARGO_PKG_VERSION"));

/// The path parameter that [`ClientBuilder::account_id`] and `CLOUDFLARE_ACCOUNT_ID` fill.
const ACCOUNT_ID: &str = "account_id";
/// The path parameter that `CLOUDFLARE_ZONE_ID` fills.
const ZONE_ID: &str = "zone_id";

/// How requests authenticate.
#[derive(Clone, Debug)]
pub enum Auth {
    /// An API token, sent as `Authorization: Bearer <token>` (recommended).
    Token(Secret),
    /// The legacy global API key, sent as `X-Auth-Email` and `X-Auth-Key`.
    Key {
        /// The account's email address.
        email: String,
        /// The global API key.
        key: Secret,
    },
    /// No credentials, for URLs that carry their own authorization (one-time upload URLs).
    None,
}

impl Auth {
    /// The headers this authentication adds to every request, marked sensitive so
    /// `reqwest`/`http` never print them.
    fn headers(&self) -> Result<HeaderMap, Error> {
        let mut headers = HeaderMap::new();
        match self {
            Self::Token(token) => {
                if token.expose().is_empty() {
                    return Err(Error::invalid_request("the API token is empty"));
                }
                let value = sensitive(&format!("Bearer {}", token.expose()), "API token")?;
                headers.insert(AUTHORIZATION, value);
            }
            Self::Key { email, key } => {
                let email = HeaderValue::from_str(email).map_err(|_| {
                    Error::invalid_request("the email contains characters not allowed in a header")
                })?;
                headers.insert(HeaderName::from_static("x-auth-email"), email);
                headers.insert(
                    HeaderName::from_static("x-auth-key"),
                    sensitive(key.expose(), "API key")?,
                );
            }
            Self::None => {}
        }
        Ok(headers)
    }
}

/// A header value marked sensitive; the error never repeats the value.
fn sensitive(value: &str, what: &str) -> Result<HeaderValue, Error> {
    let mut value = HeaderValue::from_str(value).map_err(|_| {
        Error::invalid_request(format!(
            "the {what} contains characters not allowed in a header"
        ))
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// A Cloudflare API client. Cheap to clone: clones share the configuration and the
/// connection pool.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    base_url: Url,
    auth: Auth,
    /// Built once from `auth`: every request needs them, and building them can fail.
    auth_headers: HeaderMap,
    path_defaults: BTreeMap<String, String>,
    http: reqwest::Client,
    user_agent: HeaderValue,
    timeout: Duration,
    retry: RetryPolicy,
}

impl Client {
    /// A builder with the defaults (base URL, 60 s timeout, 2 retries).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client authenticating with an API token, with defaults otherwise.
    pub fn new(token: impl Into<String>) -> Result<Self, Error> {
        Self::builder().token(token).build()
    }

    /// A client configured from the environment; see [`ClientBuilder::from_env_with`].
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::from_env()?.build()
    }

    /// Like [`Client::from_env`], reading variables through `lookup` (for tests, or
    /// configuration that is not in the process environment).
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        ClientBuilder::from_env_with(lookup)?.build()
    }

    /// The default of a path parameter (such as `account_id`), or
    /// [`Error::MissingParameter`] if none was configured.
    pub fn default_path_param(&self, name: &'static str) -> Result<&str, Error> {
        self.inner
            .path_defaults
            .get(name)
            .map(String::as_str)
            .ok_or(Error::MissingParameter { name })
    }

    /// All configured path parameter defaults.
    pub fn path_defaults(&self) -> &BTreeMap<String, String> {
        &self.inner.path_defaults
    }

    /// The base URL that operation paths are appended to.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The authentication in use (its secrets print as `[redacted]`).
    pub fn auth(&self) -> &Auth {
        &self.inner.auth
    }

    /// The default per-attempt timeout.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// The default retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The `User-Agent` sent with every request.
    pub fn user_agent(&self) -> &str {
        self.inner.user_agent.to_str().unwrap_or_default()
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// The headers every request carries: user agent and credentials.
    pub(crate) fn default_headers(&self) -> HeaderMap {
        let mut headers = self.inner.auth_headers.clone();
        headers.insert(reqwest::header::USER_AGENT, self.inner.user_agent.clone());
        headers
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Client")
            .field("base_url", &inner.base_url.as_str())
            .field("auth", &inner.auth)
            .field("path_defaults", &inner.path_defaults)
            .field("user_agent", &inner.user_agent)
            .field("timeout", &inner.timeout)
            .field("retry", &inner.retry)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Client`]. Credentials are required: call [`token`](Self::token),
/// [`api_key`](Self::api_key) or [`no_auth`](Self::no_auth).
#[derive(Clone, Debug)]
pub struct ClientBuilder {
    auth: Option<Auth>,
    base_url: String,
    path_defaults: BTreeMap<String, String>,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    user_agent: String,
    http_client: Option<reqwest::Client>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            auth: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            path_defaults: BTreeMap::new(),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            retry: RetryPolicy::default(),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            http_client: None,
        }
    }
}

impl ClientBuilder {
    /// A builder filled from the process environment; see [`Self::from_env_with`].
    pub fn from_env() -> Result<Self, Error> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// A builder filled from environment variables read through `lookup`:
    ///
    /// - `CLOUDFLARE_API_TOKEN`, or else `CLOUDFLARE_EMAIL` with `CLOUDFLARE_API_KEY`
    ///   (one of the two is required: [`Error::MissingParameter`] names
    ///   `CLOUDFLARE_API_TOKEN` otherwise);
    /// - `CLOUDFLARE_ACCOUNT_ID` (optional): the default of the `account_id` path parameter;
    /// - `CLOUDFLARE_ZONE_ID` (optional): the default of the `zone_id` path parameter;
    /// - `CLOUDFLARE_BASE_URL` (optional): replaces [`DEFAULT_BASE_URL`].
    ///
    /// Empty values count as unset.
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let mut builder = Self::default();
        builder = match (
            get("CLOUDFLARE_API_TOKEN"),
            get("CLOUDFLARE_EMAIL"),
            get("CLOUDFLARE_API_KEY"),
        ) {
            (Some(token), _, _) => builder.token(token.trim()),
            (None, Some(email), Some(key)) => builder.api_key(email.trim(), key.trim()),
            _ => {
                return Err(Error::MissingParameter {
                    name: "CLOUDFLARE_API_TOKEN",
                });
            }
        };
        if let Some(account_id) = get("CLOUDFLARE_ACCOUNT_ID") {
            builder = builder.path_default(ACCOUNT_ID, account_id.trim());
        }
        if let Some(zone_id) = get("CLOUDFLARE_ZONE_ID") {
            builder = builder.path_default(ZONE_ID, zone_id.trim());
        }
        if let Some(base_url) = get("CLOUDFLARE_BASE_URL") {
            builder = builder.base_url(base_url.trim());
        }
        Ok(builder)
    }

    /// Authenticates with an API token (`Authorization: Bearer`).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.auth = Some(Auth::Token(Secret::new(token)));
        self
    }

    /// Authenticates with the legacy global API key.
    pub fn api_key(mut self, email: impl Into<String>, key: impl Into<String>) -> Self {
        self.auth = Some(Auth::Key {
            email: email.into(),
            key: Secret::new(key),
        });
        self
    }

    /// Sends no credentials (for pre-authorized URLs such as one-time upload URLs).
    pub fn no_auth(mut self) -> Self {
        self.auth = Some(Auth::None);
        self
    }

    /// Sets the authentication directly.
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// The default `account_id` path parameter.
    pub fn account_id(self, account_id: impl Into<String>) -> Self {
        self.path_default(ACCOUNT_ID, account_id)
    }

    /// The default of a path parameter, used by operations whose caller does not give it.
    pub fn path_default(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.path_defaults.insert(name.into(), value.into());
        self
    }

    /// The URL that operation paths are appended to (its own path is kept:
    /// `http://127.0.0.1:8080/client/v4`).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// The default timeout of one attempt, from sending the request to reading the
    /// whole response (60 s unless set).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The connect timeout (10 s unless set). Ignored with [`Self::http_client`], whose
    /// own setting applies.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Retries after a failed first attempt (2 unless set; 0 disables retries).
    pub fn max_retries(mut self, max_retries: u32) -> Self {
        self.retry.set_max_retries(max_retries);
        self
    }

    /// The backoff between attempts: starts at `initial`, doubles up to `max`, jittered
    /// (0.5 s and 8 s unless set).
    pub fn retry_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.retry.set_backoff(initial, max);
        self
    }

    /// Replaces the whole retry policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The `User-Agent` header ([`DEFAULT_USER_AGENT`] unless set).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Uses this HTTP client (proxies, custom TLS roots, ...). Timeouts, retries, the
    /// user agent and credentials still come from this builder.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let auth = self.auth.ok_or_else(|| {
            Error::invalid_request("no credentials: call token(), api_key() or no_auth()")
        })?;
        let auth_headers = auth.headers()?;
        let base_url = parse_base_url(&self.base_url)?;
        let user_agent = HeaderValue::from_str(&self.user_agent).map_err(|_| {
            Error::invalid_request("the user agent contains characters not allowed in a header")
        })?;
        let http = match self.http_client {
            Some(http) => http,
            None => reqwest::Client::builder()
                .use_rustls_tls()
                .connect_timeout(self.connect_timeout)
                .build()
                .map_err(|error| {
                    Error::invalid_request(format!("cannot build the HTTP client: {error}"))
                })?,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                base_url,
                auth,
                auth_headers,
                path_defaults: self.path_defaults,
                http,
                user_agent,
                timeout: self.timeout,
                retry: self.retry,
            }),
        })
    }
}

/// An absolute `http(s)` URL without query or fragment (operation paths and queries are
/// appended to it, so either would be lost or misplaced).
fn parse_base_url(text: &str) -> Result<Url, Error> {
    let url = Url::parse(text)
        .map_err(|error| Error::invalid_request(format!("invalid base URL `{text}`: {error}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(Error::invalid_request(format!(
            "the base URL `{text}` must be an http(s) URL"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid_request(format!(
            "the base URL `{text}` must not have a query or fragment"
        )));
    }
    Ok(url)
}
