//! Runs fixture cases through the generated client against the replay server, and reports.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use crate::dispatch;
use crate::dispatch_support::{DispatchError, Outcome};
use cloudflare_stream::{Client, Error};
use serde_json::{Value, json};

use crate::check::{self, CHECKS, contains_diff, pointer_matches};
use crate::fixture::{Case, Fixture, RecordedRequest, RecordedResponse};
use crate::schema::{OperationSpec, Spec, response_key};
use crate::server::{ReplayServer, SeenRequest};
use codegen::model::media::{self, MediaKind};

/// The token the client sends; fixtures never hold a real one.
pub const TOKEN: &str = "conformance-token";
/// The account id the client defaults to.
pub const ACCOUNT_ID: &str = "023e105f4ecef8ad9ca31a8372d0c353";

/// The result of one check on one case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Passed.
    Pass,
    /// Failed, with why.
    Fail(String),
    /// Does not apply to this case.
    NotApplicable,
}

impl Verdict {
    fn from_lines(lines: Vec<String>) -> Self {
        if lines.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail(lines.join("\n"))
        }
    }
}

/// The checks of one case.
#[derive(Clone, Debug)]
pub struct CaseResult {
    /// `<operation>/<case>`.
    pub name: String,
    /// The operation id.
    pub operation: String,
    /// One verdict per name in [`CHECKS`], in that order.
    pub verdicts: Vec<Verdict>,
}

impl CaseResult {
    /// Whether no check failed.
    pub fn passed(&self) -> bool {
        !self.verdicts.iter().any(|v| matches!(v, Verdict::Fail(_)))
    }

    /// The verdict of a named check.
    pub fn verdict(&self, check: &str) -> &Verdict {
        let i = CHECKS.iter().position(|c| *c == check).unwrap_or(0);
        &self.verdicts[i]
    }
}

/// Everything a run found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Every case, in name order.
    pub cases: Vec<CaseResult>,
    /// Spec operations with no fixture.
    pub uncovered: Vec<String>,
}

impl Report {
    /// Cases that passed every check.
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.passed()).count()
    }

    /// Cases with a failed check.
    pub fn failed(&self) -> usize {
        self.cases.len() - self.passed()
    }

    /// Whether everything passed and every operation is covered.
    pub fn success(&self) -> bool {
        self.failed() == 0 && self.uncovered.is_empty()
    }
}

impl fmt::Display for Report {
    /// The table: one row per operation, a cell per check (`passed/applicable`, `-` when the
    /// check applies to none of its cases), then the failures, then `N passed, M failed`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rows: BTreeMap<&str, Vec<&CaseResult>> = BTreeMap::new();
        for case in &self.cases {
            rows.entry(&case.operation).or_default().push(case);
        }
        let width = rows.keys().map(|k| k.len()).max().unwrap_or(9).max(9);
        write!(f, "{:<width$}  cases", "operation")?;
        for c in CHECKS {
            write!(f, "  {c}")?;
        }
        writeln!(f)?;
        for (op, cases) in &rows {
            write!(f, "{op:<width$}  {:>5}", cases.len())?;
            for c in CHECKS {
                let applicable = cases
                    .iter()
                    .filter(|r| *r.verdict(c) != Verdict::NotApplicable)
                    .count();
                let passed = cases
                    .iter()
                    .filter(|r| *r.verdict(c) == Verdict::Pass)
                    .count();
                let cell = if applicable == 0 {
                    "-".to_owned()
                } else if passed == applicable {
                    format!("{passed}/{applicable}")
                } else {
                    format!("{passed}/{applicable} FAIL")
                };
                write!(f, "  {cell:<w$}", w = c.len())?;
            }
            writeln!(f)?;
        }
        for op in &self.uncovered {
            writeln!(f, "{op:<width$}  {:>5}  no fixture", 0)?;
        }
        let failures: Vec<&CaseResult> = self.cases.iter().filter(|c| !c.passed()).collect();
        if !failures.is_empty() {
            writeln!(f, "\nfailures:")?;
            for case in failures {
                for (name, verdict) in CHECKS.iter().zip(&case.verdicts) {
                    if let Verdict::Fail(why) = verdict {
                        writeln!(f, "  {} [{name}]", case.name)?;
                        for line in why.lines() {
                            writeln!(f, "    {line}")?;
                        }
                    }
                }
            }
        }
        let checks: usize = self
            .cases
            .iter()
            .map(|c| c.verdicts.iter().filter(|v| **v == Verdict::Pass).count())
            .sum();
        writeln!(
            f,
            "\n{} operations, {} cases, {checks} checks passed{}",
            rows.len(),
            self.cases.len(),
            if self.uncovered.is_empty() {
                String::new()
            } else {
                format!(", {} operations without a fixture", self.uncovered.len())
            }
        )?;
        write!(
            f,
            "{} passed, {} failed",
            self.passed(),
            self.failed() + self.uncovered.len()
        )
    }
}

/// A replay server, a spec and an HTTP connection pool shared by the cases of a run.
pub struct Runner {
    spec: Spec,
    server: ReplayServer,
    http: reqwest::Client,
}

impl Runner {
    /// Starts the replay server (inside a Tokio runtime).
    pub async fn start(spec: Spec) -> std::io::Result<Self> {
        Ok(Self {
            spec,
            server: ReplayServer::start().await?,
            http: reqwest::Client::new(),
        })
    }

    /// The spec cases are checked against.
    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    fn client(&self, fixture: &Fixture) -> Result<Client, Error> {
        Client::builder()
            .token(TOKEN)
            .path_default("account_id", ACCOUNT_ID)
            .base_url(self.server.url())
            .http_client(self.http.clone())
            .timeout(Duration::from_secs(10))
            .max_retries(fixture.client.max_retries)
            .retry_backoff(Duration::from_millis(1), Duration::from_millis(10))
            .build()
    }

    /// Runs every case (one at a time: the server replays one script).
    pub async fn run(&self, cases: &[Case]) -> Report {
        let mut report = Report::default();
        for case in cases {
            report.cases.push(self.run_case(case).await);
        }
        let covered: Vec<&str> = cases.iter().map(|c| c.fixture.operation.as_str()).collect();
        report.uncovered = self
            .spec
            .operations
            .keys()
            .filter(|id| !covered.contains(&id.as_str()))
            .cloned()
            .collect();
        report
    }

    /// Runs one case and checks it.
    pub async fn run_case(&self, case: &Case) -> CaseResult {
        let fixture = &case.fixture;
        let exchanges = fixture.exchanges();
        self.server
            .script(exchanges.iter().map(|e| e.response.clone()).collect());
        let result = match self.client(fixture) {
            Ok(client) if fixture.paginate => paginate(&client, fixture).await,
            Ok(client) => dispatch::call(&client, &fixture.operation, &fixture.args).await,
            Err(e) => Err(DispatchError::Client(e)),
        };
        let seen = self.server.requests();
        let op = self.spec.operations.get(&fixture.operation);

        let requests: Vec<RecordedRequest> = exchanges.iter().map(|e| e.request.clone()).collect();
        let verdicts = vec![
            request_matches(&requests, &seen),
            response_decodes(fixture, &result),
            round_trip(fixture, &result),
            fixture_valid(&self.spec, op, fixture),
            error_typed(fixture, &result),
        ];
        CaseResult {
            name: case.name.clone(),
            operation: fixture.operation.clone(),
            verdicts,
        }
    }
}

/// Loads the fixtures and the spec, runs everything on a fresh runtime, and reports.
pub fn run_dir(fixtures: &Path, spec: Spec) -> Result<Report, String> {
    let cases = crate::fixture::load_dir_or_report(fixtures)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let runner = Runner::start(spec)
            .await
            .map_err(|e| format!("cannot start the replay server: {e}"))?;
        Ok(runner.run(&cases).await)
    })
}

/// Collects the whole auto-paginated stream of a list operation into one outcome: the
/// items as a JSON array.
async fn paginate(client: &Client, fixture: &Fixture) -> Result<Outcome, DispatchError> {
    use futures::TryStreamExt as _;
    let stream = match fixture.operation.as_str() {
        "videos_list" => dispatch::build::videos_list(client, &fixture.args)?.into_stream(),
        other => {
            return Err(DispatchError::BadArgument {
                operation: "paginate",
                argument: other.to_owned(),
                message: "this operation has no auto-paginating stream".to_owned(),
            });
        }
    };
    let items: Vec<_> = stream.try_collect().await?;
    let body = serde_json::to_value(&items).map_err(|e| {
        DispatchError::Client(Error::invalid_request(format!("cannot re-encode: {e}")))
    })?;
    Ok(Outcome {
        status: fixture.final_response().map_or(0, |r| r.status),
        headers: BTreeMap::new(),
        body,
    })
}

/// What a paginated case decodes to: every page's `result` items, first occurrence of each
/// `uid` kept (the pager drops repeats at page boundaries).
fn paginated_items(fixture: &Fixture) -> Value {
    let mut seen = Vec::new();
    let mut items = Vec::new();
    for exchange in fixture.exchanges() {
        for item in exchange.response.body["result"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let uid = item.get("uid").cloned();
            if let Some(uid) = &uid {
                if seen.contains(uid) {
                    continue;
                }
                seen.push(uid.clone());
            }
            items.push(item.clone());
        }
    }
    Value::Array(items)
}

fn request_matches(expected: &[RecordedRequest], seen: &[SeenRequest]) -> Verdict {
    let mut lines = Vec::new();
    for (i, want) in expected.iter().enumerate() {
        let prefix = if expected.len() > 1 {
            format!("request #{}: ", i + 1)
        } else {
            String::new()
        };
        match seen.get(i) {
            Some(got) => lines.extend(
                check::request_diff(want, got, TOKEN)
                    .into_iter()
                    .map(|l| format!("{prefix}{l}")),
            ),
            None => lines.push(format!(
                "{prefix}not sent ({} {} expected)",
                want.method, want.path
            )),
        }
    }
    for extra in seen.iter().skip(expected.len()) {
        lines.push(format!(
            "unexpected request #{}: {} {}",
            expected.len() + 1,
            extra.method,
            extra.path
        ));
    }
    Verdict::from_lines(lines)
}

fn describe(error: &DispatchError) -> String {
    match error {
        DispatchError::Client(e) => format!("{} error: {e}", variant_name(e)),
        other => format!("dispatch: {other}"),
    }
}

fn response_decodes(fixture: &Fixture, result: &Result<Outcome, DispatchError>) -> Verdict {
    let status = fixture.final_response().map(|r| r.status).unwrap_or(0);
    match (result, &fixture.expect) {
        (Ok(outcome), None) if outcome.status == status => Verdict::Pass,
        (Ok(outcome), None) => {
            Verdict::Fail(format!("status: expected {status}, got {}", outcome.status))
        }
        (Err(DispatchError::Client(_)), Some(_)) => Verdict::Pass,
        (Err(e), None) => Verdict::Fail(describe(e)),
        (Err(e), Some(_)) => Verdict::Fail(describe(e)),
        (Ok(outcome), Some(_)) => Verdict::Fail(format!(
            "expected an error, got a success (HTTP {})",
            outcome.status
        )),
    }
}

fn round_trip(fixture: &Fixture, result: &Result<Outcome, DispatchError>) -> Verdict {
    let Some(response) = fixture.final_response() else {
        return Verdict::NotApplicable;
    };
    let mut lines = Vec::new();
    let expected_body = if fixture.paginate {
        paginated_items(fixture)
    } else {
        response.body.clone()
    };
    match result {
        Ok(outcome) => match (&expected_body, &outcome.body) {
            (Value::Null, Value::Null) => return Verdict::NotApplicable,
            // Header-only responses: the typed headers against the recorded ones.
            (Value::Null, Value::Object(typed)) => {
                for (name, value) in typed {
                    let recorded = response
                        .headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v.clone())
                        .unwrap_or(Value::Null);
                    if &recorded != value {
                        lines.push(format!("header {name}: was {recorded}, typed as {value}"));
                    }
                }
            }
            (expected, got) => contains_diff(expected, got, "", &fixture.lossy, &mut lines),
        },
        Err(DispatchError::Client(Error::Api(api))) => {
            // The envelope's messages as the error exposes them.
            let typed = json!({
                "errors": api.errors(),
                "messages": api.messages(),
            });
            match &response.body {
                Value::Object(body) => {
                    for key in ["errors", "messages"] {
                        if let Some(v) = body.get(key) {
                            let p = format!("/{key}");
                            contains_diff(v, &typed[key], &p, &fixture.lossy, &mut lines);
                        }
                    }
                }
                Value::String(text) if api.body() != text => {
                    lines.push(format!("error body: was {text:?}, kept {:?}", api.body()))
                }
                _ => {}
            }
        }
        // An expected decode error has nothing to re-encode; the body it kept is checked.
        Err(DispatchError::Client(Error::Decode(decode)))
            if fixture
                .expect
                .as_ref()
                .is_some_and(|expect| expect.error.variant == "Decode") =>
        {
            let kept: Value = serde_json::from_str(decode.body()).unwrap_or(Value::Null);
            if kept != response.body {
                lines.push("decode error: the body it keeps differs from the response".to_owned());
            }
        }
        Err(_) => return Verdict::Fail("nothing decoded".to_owned()),
    }
    Verdict::from_lines(lines)
}

fn variant_name(error: &Error) -> &'static str {
    match error {
        Error::Api(_) => "Api",
        Error::Decode(_) => "Decode",
        Error::Transport { .. } => "Transport",
        Error::Timeout { .. } => "Timeout",
        Error::MissingParameter { .. } => "MissingParameter",
        Error::InvalidRequest { .. } => "InvalidRequest",
        Error::Io(_) => "Io",
        Error::MissingResult { .. } => "MissingResult",
        _ => "other",
    }
}

fn error_typed(fixture: &Fixture, result: &Result<Outcome, DispatchError>) -> Verdict {
    let Some(expect) = &fixture.expect else {
        return Verdict::NotApplicable;
    };
    let want = &expect.error;
    let error = match result {
        Err(DispatchError::Client(e)) => e,
        Err(e) => return Verdict::Fail(describe(e)),
        Ok(outcome) => {
            return Verdict::Fail(format!(
                "expected Error::{}, got a success (HTTP {})",
                want.variant, outcome.status
            ));
        }
    };
    let mut lines = Vec::new();
    let variant = variant_name(error);
    if variant != want.variant {
        lines.push(format!(
            "variant: expected Error::{}, got Error::{variant} ({error})",
            want.variant
        ));
    }
    if let Some(status) = want.status
        && error.status().map(|s| s.as_u16()) != Some(status)
    {
        lines.push(format!(
            "status: expected {status}, got {:?}",
            error.status().map(|s| s.as_u16())
        ));
    }
    if let Some(want_path) = &want.path {
        match error {
            cloudflare_stream::Error::Decode(decode) if decode.path() == want_path => {}
            cloudflare_stream::Error::Decode(decode) => lines.push(format!(
                "path: expected `{want_path}`, got `{}`",
                decode.path()
            )),
            _ => lines.push(format!("path: expected `{want_path}`, not a decode error")),
        }
    }
    if let Some(api) = error.api_error() {
        let codes: Vec<i64> = api.errors().iter().map(|e| e.code).collect();
        if let Some(want_codes) = &want.codes
            && &codes != want_codes
        {
            lines.push(format!("codes: expected {want_codes:?}, got {codes:?}"));
        }
        // The messages must be the envelope's, word for word.
        if let Some(Value::Array(errors)) =
            fixture.final_response().map(|r| r.body["errors"].clone())
        {
            let want_messages: Vec<&str> = errors
                .iter()
                .map(|e| e["message"].as_str().unwrap_or_default())
                .collect();
            let got: Vec<&str> = api.errors().iter().map(|e| e.message.as_str()).collect();
            if got != want_messages {
                lines.push(format!("messages: expected {want_messages:?}, got {got:?}"));
            }
        }
    } else if want.codes.is_some() {
        lines.push("codes: the error carries no API envelope".to_owned());
    }
    Verdict::from_lines(lines)
}

fn fixture_valid(spec: &Spec, op: Option<&OperationSpec>, fixture: &Fixture) -> Verdict {
    let Some(op) = op else {
        return Verdict::Fail(format!("the spec has no operation `{}`", fixture.operation));
    };
    let mut lines = Vec::new();
    let ignore = |at: &str| fixture.off_spec.iter().any(|p| pointer_matches(p, at));
    let exchanges = fixture.exchanges();
    for (i, exchange) in exchanges.iter().enumerate() {
        let prefix = if exchanges.len() > 1 {
            format!("exchange #{}: ", i + 1)
        } else {
            String::new()
        };
        let mut found = Vec::new();
        validate_request(spec, op, &exchange.request, &mut found);
        validate_response(spec, op, &exchange.response, &mut found);
        for (at, message) in found {
            if !ignore(&at) {
                lines.push(format!("{prefix}{at}: {message}"));
            }
        }
    }
    if !fixture.off_spec.is_empty() && fixture.description.is_empty() {
        lines.push("off_spec pointers need a description saying why".to_owned());
    }
    Verdict::from_lines(lines)
}

/// A query, path or header value as its schema types it.
fn typed_param(schema: &Value, text: &str) -> Value {
    match schema.get("type").and_then(Value::as_str) {
        Some("integer" | "number" | "boolean") => {
            serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
        }
        _ => Value::String(text.to_owned()),
    }
}

fn validate_request(
    spec: &Spec,
    op: &OperationSpec,
    request: &RecordedRequest,
    out: &mut Vec<(String, String)>,
) {
    if !request.method.eq_ignore_ascii_case(&op.method) {
        out.push((
            "/request/method".into(),
            format!("the spec says {} for this operation", op.method),
        ));
    }
    // The path against the template: literal segments equal, one segment per parameter.
    let template: Vec<&str> = op.path.split('/').collect();
    let actual: Vec<&str> = request.path.split('/').collect();
    let literal_ok = template.len() == actual.len()
        && template
            .iter()
            .zip(&actual)
            .all(|(t, a)| t.starts_with('{') || t == a);
    if !literal_ok {
        out.push((
            "/request/path".into(),
            format!("{} does not fit {}", request.path, op.path),
        ));
    }
    for (name, value) in &request.query {
        match op
            .params
            .iter()
            .find(|p| p.location == "query" && &p.name == name)
        {
            Some(p) => {
                for (at, m) in spec.validate(&p.schema, &typed_param(&p.schema, value)) {
                    out.push((format!("/request/query/{name}{at}"), m));
                }
            }
            None => out.push((
                format!("/request/query/{name}"),
                "not a parameter of this operation".into(),
            )),
        }
    }
    for p in op.params.iter().filter(|p| p.required) {
        let present = match p.location {
            "query" => request.query.iter().any(|(k, _)| k == &p.name),
            "header" => request
                .headers
                .keys()
                .any(|k| k.eq_ignore_ascii_case(&p.name)),
            _ => true,
        };
        if !present {
            out.push((
                format!("/request/{}/{}", p.location, p.name),
                "required parameter missing".into(),
            ));
        }
    }
    for (name, value) in &request.headers {
        if let Some(p) = op
            .params
            .iter()
            .find(|p| p.location == "header" && p.name.eq_ignore_ascii_case(name))
        {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            for (at, m) in spec.validate(&p.schema, &typed_param(&p.schema, &text)) {
                out.push((format!("/request/headers/{name}{at}"), m));
            }
        }
    }
    match &request.body {
        // No body: an optional body may be left out, and a required one is the builder's
        // concern (a constructor argument), not the fixture's.
        Value::Null => {}
        Value::Object(map) if map.len() == 1 && map.contains_key("multipart") => {
            let Some(schema) = op.request_of(MediaKind::Multipart).map(|m| &m.schema) else {
                out.push((
                    "/request/body".into(),
                    "the spec has no multipart/form-data body here".into(),
                ));
                return;
            };
            // The form as an object: file parts as strings, text parts typed by the schema.
            let resolved = resolve_schema(spec, schema);
            let mut object = serde_json::Map::new();
            for part in map["multipart"].as_array().into_iter().flatten() {
                let name = part["name"].as_str().unwrap_or_default().to_owned();
                let prop = resolved
                    .pointer(&format!("/properties/{name}"))
                    .cloned()
                    .unwrap_or(Value::Null);
                let value = if let Some(json) = part.get("json") {
                    json.clone()
                } else if let Some(text) = part.get("text").and_then(Value::as_str) {
                    if prop.get("format").and_then(Value::as_str) == Some("binary") {
                        Value::String(text.to_owned())
                    } else {
                        typed_param(&prop, text)
                    }
                } else {
                    Value::String(String::new())
                };
                object.insert(name, value);
            }
            for (at, m) in spec.validate(schema, &Value::Object(object)) {
                out.push((format!("/request/body{at}"), m));
            }
        }
        Value::Object(map) if map.len() == 1 && map.contains_key("raw") => {
            if op.request.iter().all(|m| m.kind == MediaKind::Json) {
                out.push((
                    "/request/body".into(),
                    "the spec has no raw body here".into(),
                ));
            }
        }
        body => match op.request_of(MediaKind::Json).map(|m| &m.schema) {
            Some(schema) => {
                for (at, m) in spec.validate(schema, body) {
                    out.push((format!("/request/body{at}"), m));
                }
            }
            None => out.push((
                "/request/body".into(),
                "the spec has no JSON body here".into(),
            )),
        },
    }
}

/// A `$ref` to a component schema, followed (for reading `properties`).
fn resolve_schema(spec: &Spec, schema: &Value) -> Value {
    spec.component(schema).unwrap_or_else(|| schema.clone())
}

fn validate_response(
    spec: &Spec,
    op: &OperationSpec,
    response: &RecordedResponse,
    out: &mut Vec<(String, String)>,
) {
    let key = response_key(op, response.status).or_else(|| {
        // Server errors the spec does not list carry the same failure envelope as 4XX.
        (response.status >= 500)
            .then(|| response_key(op, 400))
            .flatten()
    });
    let Some(key) = key else {
        out.push((
            "/response/status".into(),
            format!("{} is not a documented status", response.status),
        ));
        return;
    };
    let media = op.responses.get(key).cloned().unwrap_or_default();
    let content_type = response
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .and_then(|(_, v)| v.as_str())
        .map(media::essence);
    match &response.body {
        Value::Null => {
            if !media.is_empty() && response.status < 300 {
                out.push((
                    "/response/body".into(),
                    format!("the spec documents a body for {key}"),
                ));
            }
        }
        Value::String(_) => {
            let ct = content_type.unwrap_or_else(|| "text/plain".into());
            if !media.contains_key(&ct) && response.status < 400 {
                out.push((
                    "/response/body".into(),
                    format!("the spec has no {ct} body for {key}"),
                ));
            }
        }
        body => {
            let ct = content_type.unwrap_or_else(|| "application/json".into());
            match media.get(&ct) {
                Some(Some(schema)) => {
                    for (at, m) in spec.validate(schema, body) {
                        out.push((format!("/response/body{at}"), m));
                    }
                }
                Some(None) => {}
                None => out.push((
                    "/response/body".into(),
                    format!("the spec has no {ct} body for {key}"),
                )),
            }
        }
    }
}
