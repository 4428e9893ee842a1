//! The configured client: where to send requests, as whom, and how patiently.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, COOKIE, HeaderName, HeaderValue};
use url::Url;

use super::{Error, RetryPolicy, Secret};

/// The per-attempt timeout unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// The connect timeout of the HTTP client the builder creates.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What a generated client tells the runtime about its API, from the spec and the
/// generator's config. A `const` in generated code.
#[derive(Debug)]
pub struct ApiConfig {
    /// The API's title (`info.title`), for messages.
    pub title: &'static str,
    /// The default base URL (the spec's first server, variables at their defaults).
    pub base_url: &'static str,
    /// The environment variable that replaces the base URL (`GITHUB_BASE_URL`).
    pub base_url_env: &'static str,
    /// The spec's security schemes.
    pub schemes: &'static [SecurityScheme],
    /// The spec's top-level `security`: alternatives, each a set of scheme names that
    /// are sent together. Empty: requests carry no credentials unless an operation says.
    pub security: &'static [&'static [&'static str]],
    /// Path parameters the client fills from its configuration when a call does not give
    /// them, each with the environment variable `read_env` takes it from
    /// (`("account_id", "CLOUDFLARE_ACCOUNT_ID")`).
    pub path_defaults: &'static [(&'static str, &'static str)],
    /// Whether 2xx bodies follow the `{success, errors, messages, result}` envelope
    /// convention, so that `"success": false` is an error.
    pub envelope: bool,
    /// The response header carrying the server's request id (`x-request-id`), shown in
    /// errors.
    pub request_id_header: Option<&'static str>,
    /// The default `User-Agent`.
    pub user_agent: &'static str,
}

/// One security scheme of the spec (`components/securitySchemes`).
#[derive(Debug)]
pub struct SecurityScheme {
    /// Its name in the spec.
    pub name: &'static str,
    /// How the credential is sent.
    pub kind: SchemeKind,
    /// The environment variable `from_env` reads it from.
    pub env: &'static str,
}

/// How a security scheme's credential is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemeKind {
    /// `Authorization: Bearer <token>` (http bearer, oauth2, openIdConnect).
    Bearer,
    /// `Authorization: Basic <base64(user:password)>`; the credential is `user:password`.
    Basic,
    /// An API key in the named header.
    Header(&'static str),
    /// An API key in the named query parameter.
    Query(&'static str),
    /// An API key in the named cookie.
    Cookie(&'static str),
}

/// The credentials a client holds, by security scheme name. `Debug` never shows them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    by_scheme: BTreeMap<String, Secret>,
    none: bool,
}

impl Credentials {
    /// The credential of a scheme, by its name in the spec.
    pub fn get(&self, scheme: &str) -> Option<&Secret> {
        self.by_scheme.get(scheme)
    }

    /// The names of the schemes that have a credential.
    pub fn schemes(&self) -> impl Iterator<Item = &str> {
        self.by_scheme.keys().map(String::as_str)
    }

    /// Whether the client was told to send no credentials at all.
    pub fn is_none(&self) -> bool {
        self.none || self.by_scheme.is_empty()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.by_scheme.iter()).finish()
    }
}

/// A credential ready to be put on a request.
#[derive(Clone)]
pub(crate) enum Applied {
    Header(HeaderName, HeaderValue),
    Query(&'static str, Secret),
    Cookie(HeaderValue),
}

/// An API client: base URL, credentials, timeouts, retries and the connection pool. Cheap
/// to clone: clones share all of it. Generated crates wrap it in their own `Client`.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: &'static ApiConfig,
    base_url: Url,
    credentials: Credentials,
    /// Built once from `credentials`: every request needs them, and building can fail.
    applied: BTreeMap<&'static str, Applied>,
    path_defaults: BTreeMap<String, String>,
    http: reqwest::Client,
    user_agent: HeaderValue,
    default_headers: Vec<(HeaderName, HeaderValue)>,
    default_query: Vec<(String, String)>,
    timeout: Duration,
    deadline: Option<Duration>,
    retry: RetryPolicy,
}

impl Client {
    /// A request to any path of the API, for endpoints the specification lacks: the same
    /// base URL, credentials, default headers and query, retries, timeouts, errors and
    /// tracing as generated calls. `path` is appended to the base URL as given (already
    /// percent-encoded, starting with `/`); see [`CustomRequest`](crate::CustomRequest).
    pub fn request(&self, method: http::Method, path: impl AsRef<str>) -> crate::CustomRequest<'_> {
        crate::CustomRequest::new(self, method, path.as_ref())
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

    /// The credentials in use (they print as `[redacted]`).
    pub fn credentials(&self) -> &Credentials {
        &self.inner.credentials
    }

    /// The default per-attempt timeout.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// The default retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The default deadline of a whole call, retries included (none unless set).
    pub fn deadline(&self) -> Option<Duration> {
        self.inner.deadline
    }

    /// The query parameters every request carries, before its own.
    pub fn default_query(&self) -> &[(String, String)] {
        &self.inner.default_query
    }

    pub(crate) fn extra_headers(&self) -> &[(HeaderName, HeaderValue)] {
        &self.inner.default_headers
    }

    /// The `User-Agent` sent with every request.
    pub fn user_agent(&self) -> &str {
        self.inner.user_agent.to_str().unwrap_or_default()
    }

    /// The underlying HTTP client (for requests outside the API, with the same pool).
    pub fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// The headers a request to this API carries by default: the user agent, the
    /// configured default headers and the header credentials of the API's default
    /// security (for requests hand-written code sends to URLs the API handed out, such as
    /// upload URLs).
    #[doc(hidden)]
    pub fn default_headers(&self) -> reqwest::header::HeaderMap {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::USER_AGENT, self.inner.user_agent.clone());
        for (name, value) in &self.inner.default_headers {
            headers.insert(name.clone(), value.clone());
        }
        for credential in self.credentials_for(None) {
            if let Applied::Header(name, value) = credential {
                headers.insert(name.clone(), value.clone());
            }
        }
        headers
    }

    pub(crate) fn user_agent_header(&self) -> &HeaderValue {
        &self.inner.user_agent
    }

    pub(crate) fn config(&self) -> &'static ApiConfig {
        self.inner.config
    }

    /// The credentials of the first alternative of `security` (the API's default when
    /// `None`) whose schemes all have one; none when no alternative is complete (the
    /// server then answers as it does to anonymous calls).
    pub(crate) fn credentials_for(
        &self,
        security: Option<&'static [&'static [&'static str]]>,
    ) -> impl Iterator<Item = &Applied> {
        let alternatives = security.unwrap_or(self.inner.config.security);
        let applied = &self.inner.applied;
        let chosen = alternatives
            .iter()
            .find(|schemes| schemes.iter().all(|s| applied.contains_key(s)))
            .copied()
            .unwrap_or(&[]);
        chosen.iter().filter_map(|scheme| applied.get(scheme))
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Client")
            .field("api", &inner.config.title)
            .field("base_url", &inner.base_url.as_str())
            .field("credentials", &inner.credentials)
            .field("path_defaults", &inner.path_defaults)
            .field("user_agent", &inner.user_agent)
            .field("timeout", &inner.timeout)
            .field("deadline", &inner.deadline)
            .field("retry", &inner.retry)
            .field(
                "default_headers",
                &inner
                    .default_headers
                    .iter()
                    .map(|(name, _)| name.as_str())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// Configures a client. `C` is the client it builds: a generated crate's own `Client`,
/// which wraps this crate's.
///
/// When the API declares security schemes, credentials are required: call
/// [`token`](Self::token), [`credential`](Self::credential),
/// [`basic_auth`](Self::basic_auth) or [`no_auth`](Self::no_auth).
pub struct ClientBuilder<C = Client> {
    config: &'static ApiConfig,
    credentials: Option<Credentials>,
    /// The first misuse of a credential method, reported by `build`.
    error: Option<Error>,
    base_url: String,
    path_defaults: BTreeMap<String, String>,
    timeout: Duration,
    deadline: Option<Duration>,
    connect_timeout: Duration,
    retry: RetryPolicy,
    user_agent: String,
    default_headers: Vec<(String, String)>,
    default_query: Vec<(String, String)>,
    http_client: Option<reqwest::Client>,
    client: PhantomData<fn() -> C>,
}

impl<C> Clone for ClientBuilder<C> {
    fn clone(&self) -> Self {
        Self {
            config: self.config,
            credentials: self.credentials.clone(),
            error: self
                .error
                .as_ref()
                .map(|e| Error::invalid_request(e.to_string())),
            base_url: self.base_url.clone(),
            path_defaults: self.path_defaults.clone(),
            timeout: self.timeout,
            deadline: self.deadline,
            connect_timeout: self.connect_timeout,
            retry: self.retry.clone(),
            user_agent: self.user_agent.clone(),
            default_headers: self.default_headers.clone(),
            default_query: self.default_query.clone(),
            http_client: self.http_client.clone(),
            client: PhantomData,
        }
    }
}

impl<C> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api", &self.config.title)
            .field("credentials", &self.credentials)
            .field("base_url", &self.base_url)
            .field("path_defaults", &self.path_defaults)
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .field(
                "default_headers",
                &self
                    .default_headers
                    .iter()
                    .map(|(name, _)| name.as_str())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl<C: From<Client>> ClientBuilder<C> {
    /// A builder for the API `config` describes, with its defaults: the spec's base URL,
    /// 60 s per attempt, 2 retries. Generated code calls this.
    #[doc(hidden)]
    pub fn new(config: &'static ApiConfig) -> Self {
        Self {
            config,
            credentials: None,
            error: None,
            base_url: config.base_url.to_owned(),
            path_defaults: BTreeMap::new(),
            timeout: DEFAULT_TIMEOUT,
            deadline: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            retry: RetryPolicy::default(),
            user_agent: config.user_agent.to_owned(),
            default_headers: Vec::new(),
            default_query: Vec::new(),
            http_client: None,
            client: PhantomData,
        }
    }

    /// Fills the builder from the process environment; see [`Self::read_env_with`].
    pub fn read_env(self) -> Result<Self, Error> {
        self.read_env_with(|name| std::env::var(name).ok())
    }

    /// Fills the builder from environment variables read through `lookup` (empty values
    /// count as unset); the generated `Client::from_env` lists them for its API:
    ///
    /// - each security scheme's credential from its variable (a basic scheme's holds
    ///   `user:password`); when the API declares security, the schemes of at least one of
    ///   its alternatives must be set, or [`Error::MissingParameter`] names the first
    ///   alternative's variable;
    /// - the variable of each path parameter the client fills (optional);
    /// - the base URL's variable (optional): replaces the spec's base URL.
    ///
    /// Settings made before this call are kept unless a variable replaces them.
    pub fn read_env_with(mut self, lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let get = |name: &str| {
            lookup(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let config = self.config;
        let mut credentials = Credentials::default();
        for scheme in config.schemes {
            if let Some(value) = get(scheme.env) {
                credentials
                    .by_scheme
                    .insert(scheme.name.to_owned(), Secret::new(value));
            }
        }
        let complete = config.security.is_empty()
            || config.security.iter().any(|alternative| {
                alternative
                    .iter()
                    .all(|scheme| credentials.by_scheme.contains_key(*scheme))
            });
        if !complete && self.credentials.is_none() {
            let first = config.security[0];
            let name = config
                .schemes
                .iter()
                .find(|scheme| first.contains(&scheme.name))
                .map_or("credentials", |scheme| scheme.env);
            return Err(Error::MissingParameter { name });
        }
        if !credentials.by_scheme.is_empty() {
            self.credentials = Some(credentials);
        }
        for (param, env) in config.path_defaults {
            if let Some(value) = get(env) {
                self = self.path_default(*param, value);
            }
        }
        if let Some(base_url) = get(config.base_url_env) {
            self = self.base_url(base_url);
        }
        Ok(self)
    }

    /// The credential of the API's main scheme: the first scheme that is an alternative
    /// on its own in the spec's `security` (a bearer token, an API key), or else its first
    /// bearer scheme.
    pub fn token(self, token: impl Into<String>) -> Self {
        let config = self.config;
        let single = config
            .security
            .iter()
            .find(|alternative| alternative.len() == 1)
            .map(|alternative| alternative[0])
            .or_else(|| {
                config
                    .schemes
                    .iter()
                    .find(|scheme| scheme.kind == SchemeKind::Bearer)
                    .map(|scheme| scheme.name)
            });
        match single {
            Some(scheme) => self.credential(scheme, token),
            None => self.misuse(format!(
                "{} has no single-credential security scheme: use credential()",
                config.title
            )),
        }
    }

    /// The credential of a security scheme, by its name in the spec (`api_key`).
    pub fn credential(mut self, scheme: &str, value: impl Into<String>) -> Self {
        if !self.config.schemes.iter().any(|s| s.name == scheme) {
            let message = format!("{} has no security scheme `{scheme}`", self.config.title);
            return self.misuse(message);
        }
        let credentials = self.credentials.get_or_insert_with(Credentials::default);
        credentials.none = false;
        credentials
            .by_scheme
            .insert(scheme.to_owned(), Secret::new(value));
        self
    }

    /// User and password of the API's first basic-auth scheme.
    pub fn basic_auth(self, user: impl AsRef<str>, password: impl AsRef<str>) -> Self {
        let scheme = self
            .config
            .schemes
            .iter()
            .find(|scheme| scheme.kind == SchemeKind::Basic);
        match scheme {
            Some(scheme) => {
                let value = format!("{}:{}", user.as_ref(), password.as_ref());
                self.credential(scheme.name, value)
            }
            None => {
                let message = format!("{} has no basic-auth scheme", self.config.title);
                self.misuse(message)
            }
        }
    }

    /// Sends no credentials (for pre-authorized URLs such as one-time upload URLs, or
    /// endpoints that need none).
    pub fn no_auth(mut self) -> Self {
        self.credentials = Some(Credentials {
            by_scheme: BTreeMap::new(),
            none: true,
        });
        self
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

    /// The default deadline of a whole call: every attempt, and the waits between them,
    /// end within it ([`Error::DeadlineExceeded`] otherwise). None unless set; a call's
    /// own `deadline` replaces it.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// A header every request carries (a call's own headers and credentials replace it).
    /// Checked by [`build`](Self::build).
    pub fn default_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.default_headers.push((name.into(), value.into()));
        self
    }

    /// A query parameter every request carries, before the call's own.
    pub fn default_query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.default_query.push((name.into(), value.into()));
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

    /// The `User-Agent` header (`<crate>/<version>` of the generated crate unless set).
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
    pub fn build(self) -> Result<C, Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let config = self.config;
        let credentials = match self.credentials {
            Some(credentials) => credentials,
            None if config.schemes.is_empty() => Credentials::default(),
            None => {
                return Err(Error::invalid_request(
                    "no credentials: call token(), credential(), basic_auth() or no_auth()",
                ));
            }
        };
        let mut applied = BTreeMap::new();
        for scheme in config.schemes {
            if let Some(secret) = credentials.get(scheme.name) {
                applied.insert(scheme.name, apply(scheme, secret)?);
            }
        }
        let base_url = parse_base_url(&self.base_url)?;
        let user_agent = HeaderValue::from_str(&self.user_agent).map_err(|_| {
            Error::invalid_request("the user agent contains characters not allowed in a header")
        })?;
        let mut default_headers = Vec::with_capacity(self.default_headers.len());
        for (name, value) in &self.default_headers {
            let header = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Error::invalid_request(format!("invalid header name `{name}`")))?;
            let value = HeaderValue::from_str(value).map_err(|_| {
                Error::invalid_request(format!(
                    "the value of default header `{name}` contains characters not allowed in a header"
                ))
            })?;
            default_headers.push((header, value));
        }
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
        Ok(C::from(Client {
            inner: Arc::new(Inner {
                config,
                base_url,
                credentials,
                applied,
                path_defaults: self.path_defaults,
                http,
                user_agent,
                default_headers,
                default_query: self.default_query,
                timeout: self.timeout,
                deadline: self.deadline,
                retry: self.retry,
            }),
        }))
    }

    /// Keeps the first misuse for `build` to report, so the builder stays chainable.
    fn misuse(mut self, message: String) -> Self {
        self.error.get_or_insert(Error::invalid_request(message));
        self
    }
}

/// A scheme's credential as it goes on the wire, checked once.
fn apply(scheme: &SecurityScheme, secret: &Secret) -> Result<Applied, Error> {
    let value = secret.expose();
    if value.is_empty() {
        return Err(Error::invalid_request(format!(
            "the credential of `{}` is empty",
            scheme.name
        )));
    }
    let what = scheme.name;
    Ok(match scheme.kind {
        SchemeKind::Bearer => {
            Applied::Header(AUTHORIZATION, sensitive(&format!("Bearer {value}"), what)?)
        }
        SchemeKind::Basic => {
            use base64::Engine as _;
            let encoded = base64::engine::general_purpose::STANDARD.encode(value);
            Applied::Header(AUTHORIZATION, sensitive(&format!("Basic {encoded}"), what)?)
        }
        SchemeKind::Header(name) => {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                Error::invalid_request(format!("invalid header name `{name}` of `{what}`"))
            })?;
            Applied::Header(name, sensitive(value, what)?)
        }
        SchemeKind::Query(name) => Applied::Query(name, secret.clone()),
        SchemeKind::Cookie(name) => Applied::Cookie(sensitive(&format!("{name}={value}"), what)?),
    })
}

impl Applied {
    /// Puts the credential on a request about to be sent.
    pub(crate) fn apply_to(&self, headers: &mut reqwest::header::HeaderMap, url: &mut Url) {
        match self {
            Applied::Header(name, value) => {
                headers.insert(name.clone(), value.clone());
            }
            Applied::Query(name, secret) => {
                url.query_pairs_mut().append_pair(name, secret.expose());
            }
            Applied::Cookie(value) => {
                headers.append(COOKIE, value.clone());
            }
        }
    }
}

/// A header value marked sensitive; the error never repeats the value.
fn sensitive(value: &str, what: &str) -> Result<HeaderValue, Error> {
    let mut value = HeaderValue::from_str(value).map_err(|_| {
        Error::invalid_request(format!(
            "the credential of `{what}` contains characters not allowed in a header"
        ))
    })?;
    value.set_sensitive(true);
    Ok(value)
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

/// A small API description for the crate's unit tests.
#[cfg(test)]
pub(crate) static TEST_CONFIG: ApiConfig = ApiConfig {
    title: "Test API",
    base_url: "https://api.example.com/v1",
    base_url_env: "TEST_BASE_URL",
    schemes: &[SecurityScheme {
        name: "token",
        kind: SchemeKind::Bearer,
        env: "TEST_TOKEN",
    }],
    security: &[&["token"]],
    path_defaults: &[("account_id", "TEST_ACCOUNT_ID")],
    envelope: true,
    request_id_header: Some("x-request-id"),
    user_agent: "test/0",
};
