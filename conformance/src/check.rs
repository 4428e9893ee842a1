//! The comparisons behind the checks: requests against fixtures, JSON against JSON, and a
//! small `multipart/form-data` reader. Every failure is a list of readable lines.

use base64::Engine as _;
use serde_json::Value;

use crate::fixture::RecordedRequest;
use crate::server::SeenRequest;

/// The check names, in report order.
pub const CHECKS: [&str; 5] = [
    "request-matches",
    "response-decodes",
    "round-trip-lossless",
    "fixture-valid",
    "error-typed",
];

/// Compares one received request with the fixture's; returns the differences.
pub fn request_diff(expected: &RecordedRequest, seen: &SeenRequest, token: &str) -> Vec<String> {
    let mut out = Vec::new();
    if !expected.method.eq_ignore_ascii_case(&seen.method) {
        out.push(format!(
            "method: expected {}, got {}",
            expected.method, seen.method
        ));
    }
    if expected.path != seen.path {
        out.push(format!(
            "path:\n      expected {}\n      got      {}",
            expected.path, seen.path
        ));
    }
    query_diff(&expected.query, seen.query.as_deref(), &mut out);

    let mut headers = expected.headers.clone();
    if !headers
        .keys()
        .any(|k| k.eq_ignore_ascii_case("authorization"))
    {
        headers.insert(
            "authorization".into(),
            Value::String(format!("Bearer {token}")),
        );
    }
    for (name, value) in &headers {
        let want = scalar_text(value);
        match seen.header(name) {
            Some(got) if got == want => {}
            Some(got) => out.push(format!(
                "header {name}: expected {want:?}, got {}",
                shown_header(name, got)
            )),
            None => out.push(format!("header {name}: missing (expected {want:?})")),
        }
    }
    body_diff(&expected.body, seen, &mut out);
    out
}

fn shown_header(name: &str, value: &str) -> String {
    if name.eq_ignore_ascii_case("authorization") {
        "a different credential".to_owned()
    } else {
        format!("{value:?}")
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn query_diff(expected: &[(String, String)], raw: Option<&str>, out: &mut Vec<String>) {
    let mut got: Vec<(String, String)> = raw
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let mut missing = Vec::new();
    for pair in expected {
        match got.iter().position(|g| g == pair) {
            Some(i) => {
                got.remove(i);
            }
            None => missing.push(pair),
        }
    }
    for (k, v) in missing {
        out.push(format!("query: missing {k}={v}"));
    }
    for (k, v) in got {
        out.push(format!("query: unexpected {k}={v}"));
    }
}

fn content_type(seen: &SeenRequest) -> String {
    seen.header("content-type").unwrap_or_default().to_owned()
}

fn body_diff(expected: &Value, seen: &SeenRequest, out: &mut Vec<String>) {
    match expected {
        Value::Null => {
            if !seen.body.is_empty() {
                out.push(format!(
                    "body: expected none, got {} bytes",
                    seen.body.len()
                ));
            }
        }
        Value::Object(map) if map.len() == 1 && map.contains_key("multipart") => {
            let ct = content_type(seen);
            let Some(boundary) = ct
                .strip_prefix("multipart/form-data")
                .and_then(|rest| rest.split("boundary=").nth(1))
                .map(|b| b.trim_matches('"').to_owned())
            else {
                out.push(format!(
                    "body: expected multipart/form-data, got content-type {ct:?}"
                ));
                return;
            };
            let parts = parse_multipart(&seen.body, &boundary);
            let expected_parts = map["multipart"].as_array().cloned().unwrap_or_default();
            multipart_diff(&expected_parts, parts, out);
        }
        Value::Object(map) if map.len() == 1 && map.contains_key("raw") => {
            let want = map["raw"].as_str().unwrap_or_default();
            let got = String::from_utf8_lossy(&seen.body);
            if got != want {
                out.push(format!("body: expected {want:?}, got {got:?}"));
            }
        }
        _ => {
            let ct = content_type(seen);
            if !ct.starts_with("application/json") {
                out.push(format!(
                    "body: expected content-type application/json, got {ct:?}"
                ));
            }
            match serde_json::from_slice::<Value>(&seen.body) {
                Ok(got) => {
                    let mut lines = Vec::new();
                    json_diff(expected, &got, "", &mut lines);
                    out.extend(lines.into_iter().map(|l| format!("body {l}")));
                }
                Err(e) => out.push(format!("body: not JSON ({e})")),
            }
        }
    }
}

/// A part of a received multipart body.
#[derive(Clone, Debug, PartialEq)]
pub struct SeenPart {
    /// Field name.
    pub name: String,
    /// File name, if any.
    pub file_name: Option<String>,
    /// Content type, if any.
    pub content_type: Option<String>,
    /// Content.
    pub data: Vec<u8>,
}

/// Splits a `multipart/form-data` body into its parts.
pub fn parse_multipart(body: &[u8], boundary: &str) -> Vec<SeenPart> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut rest = body;
    // Skip the preamble up to the first delimiter.
    let Some(start) = find(rest, delimiter.as_bytes()) else {
        return parts;
    };
    rest = &rest[start + delimiter.len()..];
    loop {
        if rest.starts_with(b"--") {
            break;
        }
        let rest_after_crlf = rest.strip_prefix(b"\r\n").unwrap_or(rest);
        let Some(end) = find(rest_after_crlf, format!("\r\n{delimiter}").as_bytes()) else {
            break;
        };
        let part = &rest_after_crlf[..end];
        rest = &rest_after_crlf[end + 2 + delimiter.len()..];
        let Some(split) = find(part, b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..split]).into_owned();
        let data = part[split + 4..].to_vec();
        let mut seen = SeenPart {
            name: String::new(),
            file_name: None,
            content_type: None,
            data,
        };
        for line in head.split("\r\n") {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            match key.trim().to_ascii_lowercase().as_str() {
                "content-disposition" => {
                    for attr in value.split(';').skip(1) {
                        if let Some((k, v)) = attr.trim().split_once('=') {
                            let v = v.trim().trim_matches('"').to_owned();
                            match k {
                                "name" => seen.name = v,
                                "filename" => seen.file_name = Some(v),
                                _ => {}
                            }
                        }
                    }
                }
                "content-type" => seen.content_type = Some(value.trim().to_owned()),
                _ => {}
            }
        }
        parts.push(seen);
    }
    parts
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn multipart_diff(expected: &[Value], mut got: Vec<SeenPart>, out: &mut Vec<String>) {
    for want in expected {
        let name = want["name"].as_str().unwrap_or_default();
        let Some(i) = got.iter().position(|p| p.name == name) else {
            out.push(format!("multipart part {name:?}: missing"));
            continue;
        };
        let part = got.remove(i);
        if let Some(file_name) = want.get("file_name").and_then(Value::as_str)
            && part.file_name.as_deref() != Some(file_name)
        {
            out.push(format!(
                "multipart part {name:?}: file name expected {file_name:?}, got {:?}",
                part.file_name
            ));
        }
        if let Some(ct) = want.get("content_type").and_then(Value::as_str)
            && part.content_type.as_deref() != Some(ct)
        {
            out.push(format!(
                "multipart part {name:?}: content type expected {ct:?}, got {:?}",
                part.content_type
            ));
        }
        if let Some(text) = want.get("text").and_then(Value::as_str) {
            let got_text = String::from_utf8_lossy(&part.data);
            if got_text != text {
                out.push(format!(
                    "multipart part {name:?}: expected {text:?}, got {got_text:?}"
                ));
            }
        } else if let Some(encoded) = want.get("base64").and_then(Value::as_str) {
            match base64::engine::general_purpose::STANDARD.decode(encoded) {
                Ok(bytes) if bytes == part.data => {}
                Ok(bytes) => out.push(format!(
                    "multipart part {name:?}: expected {} bytes (base64), got {} different bytes",
                    bytes.len(),
                    part.data.len()
                )),
                Err(e) => out.push(format!(
                    "multipart part {name:?}: bad base64 in fixture: {e}"
                )),
            }
        } else if let Some(json) = want.get("json") {
            match serde_json::from_slice::<Value>(&part.data) {
                Ok(value) => {
                    let mut lines = Vec::new();
                    json_diff(json, &value, "", &mut lines);
                    out.extend(
                        lines
                            .into_iter()
                            .map(|l| format!("multipart part {name:?} {l}")),
                    );
                }
                Err(e) => out.push(format!("multipart part {name:?}: not JSON ({e})")),
            }
        }
    }
    for part in got {
        out.push(format!("multipart part {:?}: unexpected", part.name));
    }
}

/// Semantic JSON equality (numbers by value), as `pointer: expected X, got Y` lines.
pub fn json_diff(expected: &Value, got: &Value, at: &str, out: &mut Vec<String>) {
    match (expected, got) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let p = format!("{at}/{}", escape(k));
                match b.get(k) {
                    Some(w) => json_diff(v, w, &p, out),
                    None => out.push(format!("{p}: missing (expected {})", short(v))),
                }
            }
            for (k, w) in b {
                if !a.contains_key(k) {
                    out.push(format!("{at}/{}: unexpected {}", escape(k), short(w)));
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (v, w)) in a.iter().zip(b).enumerate() {
                json_diff(v, w, &format!("{at}/{i}"), out);
            }
        }
        _ if scalar_eq(expected, got) => {}
        _ => out.push(format!(
            "{}: expected {}, got {}",
            if at.is_empty() { "/" } else { at },
            short(expected),
            short(got)
        )),
    }
}

/// Whether `got` holds everything `expected` holds (extra fields in `got` are fine), except
/// under the `lossy` pointers; differences as lines.
pub fn contains_diff(
    expected: &Value,
    got: &Value,
    at: &str,
    lossy: &[String],
    out: &mut Vec<String>,
) {
    if lossy.iter().any(|l| pointer_matches(l, at)) {
        return;
    }
    match (expected, got) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let p = format!("{at}/{}", escape(k));
                if lossy.iter().any(|l| pointer_matches(l, &p)) {
                    continue;
                }
                match b.get(k) {
                    Some(w) => contains_diff(v, w, &p, lossy, out),
                    None if v.is_null() => out.push(format!("{p}: null became absent")),
                    None => out.push(format!("{p}: lost (was {})", short(v))),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (v, w)) in a.iter().zip(b).enumerate() {
                contains_diff(v, w, &format!("{at}/{i}"), lossy, out);
            }
        }
        _ if scalar_eq(expected, got) => {}
        _ => out.push(format!(
            "{}: was {}, re-encoded as {}",
            if at.is_empty() { "/" } else { at },
            short(expected),
            short(got)
        )),
    }
}

/// Whether a pointer pattern (`*` matches one segment) covers `pointer` or a parent of it.
pub fn pointer_matches(pattern: &str, pointer: &str) -> bool {
    let pat: Vec<&str> = pattern.split('/').collect();
    let ptr: Vec<&str> = pointer.split('/').collect();
    pat.len() <= ptr.len() && pat.iter().zip(&ptr).all(|(a, b)| *a == "*" || a == b)
}

fn scalar_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x == y || matches!((x.as_f64(), y.as_f64()), (Some(p), Some(q)) if p == q)
        }
        _ => a == b,
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// A value shown in one line, cut when long.
pub fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 {
        format!("{}...", text.chars().take(77).collect::<String>())
    } else {
        text
    }
}
