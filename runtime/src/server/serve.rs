//! The one request handler every operation of a generated server runs: context,
//! authorization, body limit, decoding against the operation's parameter table, the call,
//! the answer. A generated router names, per route, only the operation's
//! [`OperationInfo`], its decoder and the trait method to call.

use std::future::Future;

use axum::response::{IntoResponse, Response};
use http::{HeaderMap, Uri};
use serde::de::DeserializeOwned;

use super::support::{self, Part};
use super::{Failure, FilePart, OperationInfo, Problem, ProblemLocation, RequestContext};

/// What the handler needs of a server besides its operations: a generated server's `Api`
/// hooks, seen through its router state.
pub trait Hooks: Clone + Send + Sync + 'static {
    /// The API's `Credentials`.
    type Credentials: Send + Sync + 'static;
    /// The API's error body.
    type Error: serde::Serialize + Send + 'static;

    /// Reads every security scheme's credential from a request.
    fn credentials(headers: &HeaderMap, uri: &Uri) -> Self::Credentials;

    /// Checks the credentials of a request to a secured operation.
    fn authorize(
        &self,
        ctx: &RequestContext<Self::Credentials>,
    ) -> impl Future<Output = Result<(), Failure<Self::Error>>> + Send;

    /// The answer to a request that does not match the specification.
    fn reject(
        &self,
        ctx: &RequestContext<Self::Credentials>,
        problems: Vec<Problem>,
    ) -> Failure<Self::Error>;

    /// The largest request body read, in bytes.
    fn max_body_bytes(&self) -> usize;
}

/// A boxed, sendable future: what an axum handler made by [`handler`] returns.
type Answer = std::pin::Pin<Box<dyn Future<Output = Response> + Send>>;

/// The axum handler of `info`'s operation: `serve` over the router's state `H`.
pub fn handler<H, R, S, D, DF, C, CF>(
    info: &'static OperationInfo,
    decode: D,
    call: C,
) -> impl Fn(axum::extract::State<H>, axum::extract::Request) -> Answer + Clone + Send + Sync + 'static
where
    H: Hooks,
    R: Send + 'static,
    D: FnOnce(Input) -> DF + Clone + Send + Sync + 'static,
    DF: Future<Output = Result<R, Vec<Problem>>> + Send + 'static,
    C: FnOnce(H, RequestContext<H::Credentials>, R) -> CF + Clone + Send + Sync + 'static,
    CF: Future<Output = Result<S, Failure<H::Error>>> + Send + 'static,
    S: IntoResponse + 'static,
{
    move |axum::extract::State(hooks), request| {
        Box::pin(serve(hooks, info, request, decode.clone(), call.clone()))
    }
}

/// Serves one request to `info`'s operation: `decode` turns the request into the
/// operation's arguments, `call` answers them.
async fn serve<H, R, S, D, DF, C, CF>(
    hooks: H,
    info: &'static OperationInfo,
    request: axum::extract::Request,
    decode: D,
    call: C,
) -> Response
where
    H: Hooks,
    D: FnOnce(Input) -> DF,
    DF: Future<Output = Result<R, Vec<Problem>>>,
    C: FnOnce(H, RequestContext<H::Credentials>, R) -> CF,
    CF: Future<Output = Result<S, Failure<H::Error>>>,
    S: IntoResponse,
{
    let (mut parts, body) = request.into_parts();
    let ctx = support::context(info, &parts, H::credentials);
    if !info.security.is_empty()
        && let Err(failure) = hooks.authorize(&ctx).await
    {
        return failure.into_response();
    }
    let path = support::path_params(&mut parts).await;
    let body = match support::read_body(body, hooks.max_body_bytes()).await {
        Ok(body) => body,
        Err(problem) => return hooks.reject(&ctx, vec![problem]).into_response(),
    };
    match decode(Input::new(info, parts, path, body)).await {
        Ok(request) => match call(hooks, ctx, request).await {
            Ok(success) => success.into_response(),
            Err(failure) => failure.into_response(),
        },
        Err(problems) => hooks.reject(&ctx, problems).into_response(),
    }
}

/// A request being decoded: its parts read once (the query string parsed once), the
/// problems found so far, and the parameter values recorded for schema validation.
pub struct Input {
    info: &'static OperationInfo,
    parts: http::request::Parts,
    path: Vec<(String, String)>,
    query: Vec<(String, String)>,
    body: bytes::Bytes,
    form: Vec<Part>,
    problems: Vec<Problem>,
    values: serde_json::Map<String, serde_json::Value>,
}

impl Input {
    /// The request to `info` with its matched path parameters and whole body.
    pub fn new(
        info: &'static OperationInfo,
        parts: http::request::Parts,
        path: Vec<(String, String)>,
        body: bytes::Bytes,
    ) -> Self {
        let query = url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Self {
            info,
            parts,
            path,
            query,
            body,
            form: Vec::new(),
            problems: Vec::new(),
            values: serde_json::Map::new(),
        }
    }

    /// The parameter `info.params[index]`, decoded (and recorded for validation).
    pub fn param<T: serde::Serialize>(
        &mut self,
        index: usize,
        decode: fn(Vec<String>) -> Result<T, String>,
    ) -> Option<T> {
        let Some(param) = self.info.params.get(index) else {
            self.problems.push(Problem {
                location: ProblemLocation::Query,
                name: String::new(),
                message: format!("the server has no parameter #{index}"),
            });
            return None;
        };
        let raws: Vec<String> = match param.location {
            ProblemLocation::Path => pairs(&self.path, param.name),
            ProblemLocation::Query => pairs(&self.query, param.name),
            ProblemLocation::Header | ProblemLocation::Body => {
                support::header_values(&self.parts.headers, param.name)
            }
        };
        support::param(
            param.location,
            param.name,
            raws,
            param.required,
            decode,
            &mut self.problems,
            &mut self.values,
        )
    }

    /// The JSON body, validated against the operation's body schema, then decoded.
    pub fn json_body<T: DeserializeOwned>(&mut self, required: bool) -> Option<T> {
        support::json_body(self.info, &self.body, required, &mut self.problems)
    }

    /// The body as text.
    pub fn text_body(&mut self, required: bool) -> Option<String> {
        support::text_body(&self.body, required, &mut self.problems)
    }

    /// The body as bytes.
    pub fn bytes_body(&mut self, required: bool) -> Option<bytes::Bytes> {
        if self.body.is_empty() {
            if required {
                self.problems
                    .push(support::required(ProblemLocation::Body, ""));
            }
            return None;
        }
        Some(self.body.clone())
    }

    /// Parses the `multipart/form-data` body, for [`Input::file_part`] and
    /// [`Input::text_part`].
    pub async fn read_form(&mut self) {
        let body = std::mem::take(&mut self.body);
        self.form = support::multipart(&self.parts.headers, body, &mut self.problems).await;
    }

    /// The file part `name` of the form.
    pub fn file_part(&mut self, name: &str, required: bool) -> Option<FilePart> {
        support::file_part(&mut self.form, name, required, &mut self.problems)
    }

    /// The text part `name` of the form, decoded like a parameter.
    pub fn text_part<T>(
        &mut self,
        name: &str,
        required: bool,
        decode: fn(Vec<String>) -> Result<T, String>,
    ) -> Option<T> {
        support::text_part(&mut self.form, name, required, decode, &mut self.problems)
    }

    /// Validates the recorded parameters; with no problem found, the arguments `build`
    /// makes of the decoded values (`None` only when a required value is absent, which
    /// was recorded as a problem already).
    pub fn finish<R>(mut self, build: impl FnOnce() -> Option<R>) -> Result<R, Vec<Problem>> {
        support::validate_params(self.info, &mut self.values, &mut self.problems);
        if !self.problems.is_empty() {
            return Err(self.problems);
        }
        build().ok_or_else(|| {
            vec![Problem {
                location: ProblemLocation::Body,
                name: String::new(),
                message: "a required value is absent".to_owned(),
            }]
        })
    }
}

/// Every value of `name` among `pairs`, in order.
fn pairs(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use http::StatusCode;
    use serde_json::{Value, json};

    use super::support::{SchemaDefs, Validators};
    use super::*;
    use crate::server::ParamInfo;

    static DEFS: SchemaDefs = SchemaDefs::new("{}");

    static SEARCH: OperationInfo = OperationInfo {
        id: "search",
        method: "GET",
        path: "/search",
        security: &[&["token"]],
        params: &[
            ParamInfo::query("limit", false),
            ParamInfo::query("tag", true),
        ],
        body_schema: None,
        params_schema: r#"{"type":"object","properties":{"query":{"type":"object","properties":{"limit":{"type":"integer","maximum":10}}}}}"#,
        response_schema: None,
        validators: Validators::new(&DEFS),
    };

    /// Hooks accepting one bearer token, rejecting with the problems as a JSON list.
    #[derive(Clone)]
    struct Token(&'static str);

    impl Hooks for Token {
        type Credentials = Option<String>;
        type Error = Value;

        fn credentials(headers: &HeaderMap, _: &Uri) -> Option<String> {
            support::authorization(headers, "bearer")
        }

        async fn authorize(
            &self,
            ctx: &RequestContext<Option<String>>,
        ) -> Result<(), Failure<Value>> {
            if ctx.credentials.as_deref() == Some(self.0) {
                Ok(())
            } else {
                Err(Failure::new(StatusCode::UNAUTHORIZED, json!("who are you")))
            }
        }

        fn reject(
            &self,
            _: &RequestContext<Option<String>>,
            problems: Vec<Problem>,
        ) -> Failure<Value> {
            let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
            Failure::new(StatusCode::BAD_REQUEST, json!(problems))
        }

        fn max_body_bytes(&self) -> usize {
            16
        }
    }

    async fn decode(mut input: Input) -> Result<(Option<i64>, String), Vec<Problem>> {
        let limit = input.param(0, support::text_value);
        let tag = input.param(1, support::text_value);
        input.finish(move || Some((limit, tag?)))
    }

    /// Sends `uri` with `token` through the one handler; the status and body text.
    async fn send(uri: &str, token: &str, body: &'static str) -> (StatusCode, String) {
        let handler = handler(
            &SEARCH,
            decode,
            |_: Token, _ctx, (limit, tag): (Option<i64>, String)| async move {
                Ok::<_, Failure<Value>>(format!("{tag}:{limit:?}"))
            },
        );
        let request = http::Request::builder()
            .uri(uri)
            .header("authorization", format!("Bearer {token}"))
            .body(axum::body::Body::from(body))
            .unwrap();
        let response = handler(axum::extract::State(Token("t")), request).await;
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn the_handler_authorizes_decodes_validates_then_calls() {
        assert_eq!(
            send("/search?tag=a&limit=5", "t", "").await,
            (StatusCode::OK, "a:Some(5)".to_owned())
        );
        assert_eq!(
            send("/search?tag=a", "t", "").await,
            (StatusCode::OK, "a:None".to_owned())
        );
        let (status, body) = send("/search?tag=a", "wrong", "").await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::UNAUTHORIZED, "\"who are you\"")
        );
        // Every problem at once: the schema's maximum and the missing required parameter.
        let (status, body) = send("/search?limit=20", "t", "").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("query parameter `tag`: required"), "{body}");
        assert!(body.contains("query parameter `limit`"), "{body}");
        let (status, body) = send("/search?tag=a&limit=x", "t", "").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        // The body limit is the hooks'.
        let (status, body) = send("/search?tag=a", "t", "more than sixteen bytes").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("at most 16 bytes"), "{body}");
    }
}
