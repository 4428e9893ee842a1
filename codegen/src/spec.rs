//! Spec text -> [`serde_json::Value`]: the one function every command reads a document with
//! ([`parse`]), JSON or YAML 1.2 alike, and the line of a JSON pointer in that text
//! ([`line_of`]) for diagnostics.
//!
//! JSON goes through `serde_json` (fast, exact numbers). Anything else is read as YAML 1.2
//! with `saphyr-parser`, a maintained, fully YAML 1.2 compliant event parser (the
//! `serde_yaml` line is unmaintained; its forks follow YAML 1.1 rules, where `no` and `on`
//! are booleans). Events are turned into a `Value` here under the YAML 1.2 core schema: plain
//! `null`/`~`/empty, `true`/`false`, integers (decimal, `0o`, `0x`) and floats are typed,
//! everything else (and every quoted or block scalar) is a string; mapping keys are strings
//! as written (`200:` is `"200"`); anchors and aliases are expanded (within a size budget),
//! and `<<` merge keys, common in OpenAPI YAML, are honoured.
//!
//! Lines are found only when something goes wrong: [`line_of`] re-reads the text, so a
//! successful run keeps no position table.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Tag};
use serde_json::{Map, Number, Value};

use crate::error::{Error, Pointer, Result};

/// The syntax a spec is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON (the text starts with `{` or `[`).
    Json,
    /// YAML 1.2.
    Yaml,
}

/// The syntax of `text`: JSON when its first significant character opens an object or an
/// array, else YAML.
pub fn format_of(text: &str) -> Format {
    match text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .next()
    {
        Some('{' | '[') => Format::Json,
        _ => Format::Yaml,
    }
}

/// Parses a spec, JSON or YAML 1.2, into a JSON value. A syntax error names the line and
/// column; YAML that JSON cannot hold (a non-scalar mapping key, `.inf` is kept as text) is
/// an error naming its pointer and line.
pub fn parse(text: &str) -> Result<Value> {
    let text = text.trim_start_matches('\u{feff}');
    match format_of(text) {
        Format::Json => serde_json::from_str(text).map_err(|e| {
            Error::new(
                &Pointer::root(),
                format!(
                    "not a JSON document (line {}, column {}): {e}",
                    e.line(),
                    e.column()
                ),
            )
        }),
        Format::Yaml => yaml_to_value(text),
    }
}

/// `error` with the line of its pointer in `text` (JSON or YAML), when it has none yet.
pub fn locate(text: &str, error: Error) -> Error {
    if error.line.is_some() {
        return error;
    }
    match line_of(text, &error.pointer) {
        Some(line) => error.at_line(line),
        None => error,
    }
}

/// The line (1-based) where the value at `pointer` starts in `text`, JSON or YAML; for a
/// pointer that names nothing (a missing key), the line of its deepest existing ancestor.
pub fn line_of(text: &str, pointer: &Pointer) -> Option<usize> {
    let target: Vec<String> = pointer.tokens().collect();
    let text = text.trim_start_matches('\u{feff}');
    let mut path: Vec<String> = Vec::new();
    let mut frames: Vec<Frame> = Vec::new();
    let mut best: Option<(usize, usize)> = None;
    for event in Parser::new_from_str(text) {
        let Ok((event, span)) = event else { break };
        let starts_node = matches!(
            event,
            Event::Scalar(..)
                | Event::SequenceStart(..)
                | Event::MappingStart(..)
                | Event::Alias(_)
        );
        if starts_node {
            match frames.last_mut() {
                Some(Frame::Map { key: key @ None }) => {
                    // A key: the next node is its value.
                    *key = Some(match &event {
                        Event::Scalar(s, ..) => s.to_string(),
                        _ => String::new(),
                    });
                    if matches!(event, Event::SequenceStart(..) | Event::MappingStart(..)) {
                        // A complex key: skip its subtree by depth.
                        frames.push(Frame::Skip(1));
                    }
                    continue;
                }
                Some(Frame::Skip(depth)) => {
                    if matches!(event, Event::SequenceStart(..) | Event::MappingStart(..)) {
                        *depth += 1;
                    }
                    continue;
                }
                Some(Frame::Map { key: Some(k) }) => path.push(k.clone()),
                Some(Frame::Seq { index }) => path.push(index.to_string()),
                None => {}
            }
            let matched = path.len() <= target.len() && path[..] == target[..path.len()];
            if matched && best.is_none_or(|(depth, _)| path.len() >= depth) {
                best = Some((path.len(), span.start.line()));
                if path.len() == target.len() {
                    return Some(span.start.line());
                }
            }
            match event {
                Event::SequenceStart(..) => frames.push(Frame::Seq { index: 0 }),
                Event::MappingStart(..) => frames.push(Frame::Map { key: None }),
                _ => end_node(&mut frames, &mut path),
            }
        } else if matches!(event, Event::SequenceEnd | Event::MappingEnd) {
            match frames.last_mut() {
                Some(Frame::Skip(depth)) => {
                    *depth -= 1;
                    if *depth == 0 {
                        frames.pop();
                    }
                }
                _ => {
                    frames.pop();
                    end_node(&mut frames, &mut path);
                }
            }
        }
    }
    best.map(|(_, line)| line)
}

/// Where [`line_of`] is inside the tree.
enum Frame {
    Seq {
        index: usize,
    },
    Map {
        key: Option<String>,
    },
    /// Inside a complex mapping key, this many collections deep.
    Skip(usize),
}

/// A value finished in the innermost frame: step to the next key or index.
fn end_node(frames: &mut [Frame], path: &mut Vec<String>) {
    match frames.last_mut() {
        Some(Frame::Seq { index }) => {
            *index += 1;
            path.pop();
        }
        Some(Frame::Map { key }) => {
            *key = None;
            path.pop();
        }
        Some(Frame::Skip(_)) | None => {}
    }
}

/// A collection being built.
enum Building {
    Seq(Vec<Value>, usize),
    Map {
        map: Map<String, Value>,
        key: Option<String>,
        anchor: usize,
    },
}

fn yaml_to_value(text: &str) -> Result<Value> {
    // Aliases copy their anchor's value: cap what they may add (billion laughs).
    let mut budget: usize = text.len().saturating_mul(4).max(1 << 20);
    let mut anchors: HashMap<usize, (Value, usize)> = HashMap::new();
    let mut stack: Vec<Building> = Vec::new();
    let mut root: Option<Value> = None;
    let mut documents = 0;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| {
            Error::new(
                &Pointer::root(),
                format!(
                    "not a YAML document (column {}): {}",
                    e.marker().col() + 1,
                    e.info()
                ),
            )
            .at_line(e.marker().line())
        })?;
        let here = |stack: &[Building]| pointer_of(stack).push("");
        let complete: Option<(Value, usize)> = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(Error::new(
                        &Pointer::root(),
                        "a spec is one YAML document; found a second `---`",
                    )
                    .at_line(span.start.line()));
                }
                None
            }
            Event::Scalar(text, style, anchor, tag) => {
                let value = scalar(&text, style, tag.as_deref());
                Some((value, anchor))
            }
            Event::Alias(id) => {
                let (value, size) = anchors.get(&id).cloned().ok_or_else(|| {
                    Error::new(&pointer_of(&stack), "alias to an unknown anchor")
                        .at_line(span.start.line())
                })?;
                budget = budget.checked_sub(size).ok_or_else(|| {
                    Error::new(
                        &pointer_of(&stack),
                        "aliases expand beyond any plausible spec size",
                    )
                    .at_line(span.start.line())
                })?;
                Some((value, 0))
            }
            Event::SequenceStart(anchor, _) => {
                if let Some(Building::Map { key: None, .. }) = stack.last() {
                    return Err(Error::new(
                        &here(&stack),
                        "a mapping key must be a scalar to be read as JSON",
                    )
                    .at_line(span.start.line()));
                }
                stack.push(Building::Seq(Vec::new(), anchor));
                None
            }
            Event::MappingStart(anchor, _) => {
                if let Some(Building::Map { key: None, .. }) = stack.last() {
                    return Err(Error::new(
                        &here(&stack),
                        "a mapping key must be a scalar to be read as JSON",
                    )
                    .at_line(span.start.line()));
                }
                stack.push(Building::Map {
                    map: Map::new(),
                    key: None,
                    anchor,
                });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Building::Seq(items, anchor)) => Some((Value::Array(items), anchor)),
                Some(Building::Map { map, anchor, .. }) => Some((Value::Object(map), anchor)),
                None => None,
            },
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => None,
        };
        let Some((value, anchor)) = complete else {
            continue;
        };
        if anchor != 0 {
            let size = node_count(&value);
            anchors.insert(anchor, (value.clone(), size));
        }
        match stack.last_mut() {
            None => root = Some(value),
            Some(Building::Seq(items, _)) => items.push(value),
            Some(Building::Map { map, key, .. }) => match key.take() {
                None => {
                    *key = Some(match value {
                        Value::String(s) => s,
                        Value::Null => "null".to_owned(),
                        Value::Bool(b) => b.to_string(),
                        Value::Number(n) => n.to_string(),
                        Value::Array(_) | Value::Object(_) => String::new(),
                    });
                }
                Some(k) if k == "<<" => merge_key(map, value),
                Some(k) => {
                    map.insert(k, value);
                }
            },
        }
    }
    Ok(root.unwrap_or(Value::Null))
}

/// `<<: *base` (or a list of them): the base's entries that the mapping does not set.
fn merge_key(map: &mut Map<String, Value>, value: Value) {
    let sources = match value {
        Value::Array(list) => list,
        other => vec![other],
    };
    for source in sources {
        if let Value::Object(entries) = source {
            for (k, v) in entries {
                map.entry(k).or_insert(v);
            }
        }
    }
}

fn node_count(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(node_count).sum::<usize>(),
        Value::Object(map) => 1 + map.values().map(node_count).sum::<usize>(),
        _ => 1,
    }
}

/// The pointer of the value about to be added to the innermost collection's parent path.
fn pointer_of(stack: &[Building]) -> Pointer {
    let mut pointer = Pointer::root();
    for frame in stack {
        pointer = match frame {
            Building::Seq(items, _) => pointer.push(items.len()),
            Building::Map { key: Some(k), .. } => pointer.push(k),
            Building::Map { key: None, .. } => pointer,
        };
    }
    pointer
}

/// A scalar under the YAML 1.2 core schema.
fn scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Value {
    if let Some(tag) = tag {
        if tag.is_yaml_core_schema() {
            return match tag.suffix.as_str() {
                "str" => Value::String(text.to_owned()),
                "null" => Value::Null,
                "bool" | "int" | "float" => {
                    plain(text).unwrap_or_else(|| Value::String(text.to_owned()))
                }
                _ => Value::String(text.to_owned()),
            };
        }
        // `!` and application tags: the text as written.
        return Value::String(text.to_owned());
    }
    if style != ScalarStyle::Plain {
        return Value::String(text.to_owned());
    }
    plain(text).unwrap_or_else(|| Value::String(text.to_owned()))
}

/// A plain scalar that the core schema types (null, bool, int, float); `None` for a string.
fn plain(text: &str) -> Option<Value> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    let radix = |digits: &str, radix: u32| u64::from_str_radix(digits, radix).ok().map(Value::from);
    if let Some(octal) = text.strip_prefix("0o") {
        return radix(octal, 8);
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return radix(hex, 16);
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        let unsigned = text.strip_prefix('+').unwrap_or(text);
        if let Ok(n) = unsigned.parse::<i64>() {
            return Some(Value::from(n));
        }
        if let Ok(n) = unsigned.parse::<u64>() {
            return Some(Value::from(n));
        }
        return unsigned
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number);
    }
    if is_core_float(digits) {
        return text
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number);
    }
    // `.inf`, `.nan`: JSON has no such numbers; kept as text.
    None
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, the sign already stripped.
fn is_core_float(s: &str) -> bool {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
                && !(int.is_empty() && frac.is_empty())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|b| b.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const YAML: &str = "\
openapi: 3.1.0
info:
  title: Pets
  version: '1.0'
paths:
  /pets/{id}:
    get:
      responses:
        200:
          description: ok
          content:
            application/json:
              schema: &pet
                type: object
                properties:
                  no: {type: boolean, default: no}
                  n: {type: integer, default: 0x1F, maximum: 1e3}
                  tilde: ~
        default:
          description: error
          content:
            application/json:
              schema:
                <<: *pet
                description: same
";

    #[test]
    fn yaml_reads_as_json_under_the_core_schema() {
        let value = parse(YAML).unwrap();
        let ok = &value["paths"]["/pets/{id}"]["get"]["responses"]["200"];
        assert_eq!(ok["description"], "ok");
        let schema = &ok["content"]["application/json"]["schema"];
        // YAML 1.2: `no` is a string, not a boolean.
        assert_eq!(schema["properties"]["no"]["default"], "no");
        assert_eq!(schema["properties"]["n"]["default"], 31);
        assert_eq!(schema["properties"]["n"]["maximum"], json!(1000.0));
        assert_eq!(schema["properties"]["tilde"], Value::Null);
        assert_eq!(value["info"]["version"], "1.0");
        let merged = &value["paths"]["/pets/{id}"]["get"]["responses"]["default"]["content"]["application/json"]
            ["schema"];
        assert_eq!(merged["description"], "same");
        assert_eq!(merged["type"], "object");
        assert_eq!(merged["properties"], schema["properties"]);
    }

    #[test]
    fn lines_of_pointers_in_yaml_and_json() {
        let at = |p: &str| line_of(YAML, &Pointer::parse(p).unwrap());
        assert_eq!(at("#/info/title"), Some(3));
        assert_eq!(at("#/paths/~1pets~1{id}/get/responses/200"), Some(10));
        assert_eq!(
            at("#/paths/~1pets~1%7Bid%7D/get/responses/200/description"),
            Some(10)
        );
        // Missing: the deepest ancestor that exists.
        assert_eq!(at("#/info/nope/deeper"), Some(3));
        let json = "{\n  \"a\": [\n    1,\n    {\"b\": 2}\n  ]\n}";
        assert_eq!(line_of(json, &Pointer::parse("#/a/1/b").unwrap()), Some(4));
    }

    #[test]
    fn bad_yaml_names_the_line() {
        let err = parse("openapi: 3.1.0\ninfo: [a\n  b: c\n").unwrap_err();
        assert!(err.line.is_some(), "{err}");
        assert!(err.to_string().contains("not a YAML document"), "{err}");
        let err = parse("a: 1\n? [x]\n: 2\n").unwrap_err();
        assert_eq!(err.line, Some(2), "{err}");
        let err = parse("{\"a\": }").unwrap_err();
        assert!(err.message.contains("line 1, column 7"), "{err}");
        assert!(parse("a: 1\n---\nb: 2\n").is_err());
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let err = parse(&text).unwrap_err();
        assert!(err.message.contains("aliases expand"), "{err}");
    }
}
