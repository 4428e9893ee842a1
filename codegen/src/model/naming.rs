//! Every Rust name the generator emits is decided here: case conversion (`heck`), keyword
//! escaping and collision resolution. Emit never invents a name.

use std::collections::BTreeSet;

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Words that cannot be identifiers even as raw identifiers (`r#self` is invalid).
const NON_RAW_KEYWORDS: &[&str] = &["self", "Self", "super", "crate", "_"];

/// Strict and reserved keywords of Rust 2024 that need `r#` to be used as identifiers.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];

/// Type names that generated modules use unqualified; a spec type may not shadow them.
pub(crate) const RESERVED_TYPE_NAMES: &[&str] = &[
    "Box",
    "EnumVisitor",
    "Clone",
    "Copy",
    "Debug",
    "Default",
    "Deserialize",
    "Deserializer",
    "Eq",
    "Err",
    "Error",
    "Fn",
    "From",
    "Hash",
    "Into",
    "Iterator",
    "Map",
    "None",
    "Nullable",
    "Ok",
    "Option",
    "PartialEq",
    "Result",
    "Self",
    "Send",
    "Serialize",
    "Serializer",
    "Sized",
    "Some",
    "String",
    "Sync",
    "ToString",
    "Value",
    "Vec",
];

/// The names of the generated `Client`'s own methods. `emit::client` writes each method
/// under its constant here, and [`CLIENT_METHODS`] lists them for the model, which gives
/// root resource handles other names: one list, so a method added to the client cannot
/// silently collide with a spec's tag (`client.builder()` must stay the builder).
pub mod client_method {
    /// `Client::builder()`.
    pub const BUILDER: &str = "builder";
    /// `Client::new(token)`.
    pub const NEW: &str = "new";
    /// `Client::from_env()`.
    pub const FROM_ENV: &str = "from_env";
    /// `Client::from_env_with(lookup)`.
    pub const FROM_ENV_WITH: &str = "from_env_with";
    /// `client.runtime()`: the runtime's client.
    pub const RUNTIME: &str = "runtime";
    /// `client.request(method, path)`: a call to a path the spec lacks.
    pub const REQUEST: &str = "request";
}

/// Every method a generated `Client` has: its own ([`client_method`]), then those of the
/// traits it implements or gets by blanket impls, which an inherent method of the same
/// name would shadow (`clone`, `fmt`; `from` and `into` of its `From` impl).
pub const CLIENT_METHODS: &[&str] = &[
    client_method::BUILDER,
    client_method::NEW,
    client_method::FROM_ENV,
    client_method::FROM_ENV_WITH,
    client_method::RUNTIME,
    client_method::REQUEST,
    "clone",
    "clone_from",
    "fmt",
    "from",
    "into",
    "to_owned",
];

/// Plural acronyms (`URLs`, `IDs`) are one word, but case converters split them before the
/// final lowercase `s` (`require_signed_ur_ls`). Rewriting them as `Urls` first keeps the
/// word whole.
fn join_plural_acronyms(raw: &str) -> std::borrow::Cow<'_, str> {
    let chars: Vec<char> = raw.chars().collect();
    let mut out = String::with_capacity(raw.len());
    let mut changed = false;
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        while i < chars.len() && chars[i].is_ascii_uppercase() {
            i += 1;
        }
        let run = i - start;
        let plural_end = i < chars.len()
            && chars[i] == 's'
            && chars.get(i + 1).is_none_or(|c| !c.is_ascii_lowercase());
        if run >= 2 && plural_end {
            out.push(chars[start]);
            out.extend(chars[start + 1..i].iter().map(char::to_ascii_lowercase));
            out.push('s');
            i += 1;
            changed = true;
            continue;
        }
        out.extend(&chars[start..i]);
        if i < chars.len() {
            out.push(chars[i]);
            i += 1;
        }
    }
    if changed {
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(raw)
    }
}

/// `snake_case` identifier for a field, parameter or method, escaped if it is a keyword.
pub fn snake_ident(raw: &str) -> String {
    let mut name = sanitize(&join_plural_acronyms(raw).to_snake_case(), "value");
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    escape_keyword(name)
}

/// A module name: snake case, never raw (`r#type.rs` is no file name), never starting with
/// a digit.
pub fn module_ident(raw: &str) -> String {
    let mut name = snake(raw);
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, "r_");
    }
    if KEYWORDS.contains(&name.as_str()) || NON_RAW_KEYWORDS.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

/// `UpperCamelCase` identifier for a type or variant.
pub fn camel_ident(raw: &str) -> String {
    let mut name = sanitize(&join_plural_acronyms(raw).to_upper_camel_case(), "Value");
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'V');
    }
    if name == "Self" {
        name = "SelfValue".to_owned();
    }
    name
}

/// Snake case without escaping, for composing names (`videos` + `list`).
pub fn snake(raw: &str) -> String {
    sanitize(&join_plural_acronyms(raw).to_snake_case(), "value")
}

fn sanitize(name: &str, fallback: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if cleaned.trim_matches('_').is_empty() {
        fallback.to_owned()
    } else {
        cleaned
    }
}

/// An environment variable name: `<PREFIX>_<NAME>` in upper snake case, every character
/// that is not an ASCII letter or digit as `_` (`account_id` -> `CLOUDFLARE_ACCOUNT_ID`).
/// The runtime derives the same names at run time.
pub fn env_var(prefix: &str, name: &str) -> String {
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if prefix.is_empty() {
        name
    } else {
        format!("{prefix}_{name}")
    }
}

fn escape_keyword(name: String) -> String {
    if NON_RAW_KEYWORDS.contains(&name.as_str()) {
        format!("{name}_")
    } else if KEYWORDS.contains(&name.as_str()) {
        format!("r#{name}")
    } else {
        name
    }
}

/// The bare name an identifier was built from (`r#type` -> `type`), for composing.
pub fn unraw(ident: &str) -> &str {
    ident.strip_prefix("r#").unwrap_or(ident)
}

/// A set of names already taken in one namespace. `claim` returns the wanted name, or the
/// same name with the smallest numeric suffix that is free, so resolution is deterministic
/// given the order of claims.
#[derive(Debug, Default, Clone)]
pub struct Namespace {
    taken: BTreeSet<String>,
}

impl Namespace {
    /// A namespace with some names reserved up front.
    pub fn with_reserved<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        Namespace {
            taken: names.into_iter().map(str::to_owned).collect(),
        }
    }

    /// Claims `wanted`, or `wanted` + `suffix`, then + `suffix2`, `suffix3`, ...
    pub fn claim(&mut self, wanted: &str, suffix: &str) -> String {
        if self.taken.insert(wanted.to_owned()) {
            return wanted.to_owned();
        }
        let base = unraw(wanted);
        let first = format!("{base}{suffix}");
        if self.taken.insert(first.clone()) {
            return first;
        }
        (2..)
            .map(|n| format!("{base}{suffix}{n}"))
            .find(|candidate| self.taken.insert(candidate.clone()))
            .unwrap_or_default()
    }

    /// Whether a name is already taken.
    pub fn contains(&self, name: &str) -> bool {
        self.taken.contains(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idents_are_valid_rust() {
        assert_eq!(snake_ident("allowedOrigins"), "allowed_origins");
        assert_eq!(snake_ident("requireSignedURLs"), "require_signed_urls");
        assert_eq!(snake_ident("videoIDs"), "video_ids");
        assert_eq!(snake_ident("uploadURL"), "upload_url");
        assert_eq!(camel_ident("HLSs"), "Hlss");
        assert_eq!(snake_ident("type"), "r#type");
        assert_eq!(snake_ident("self"), "self_");
        assert_eq!(snake_ident("2fa"), "_2fa");
        assert_eq!(snake_ident("Upload-Creator"), "upload_creator");
        assert_eq!(snake_ident("%%"), "value");
        assert_eq!(camel_ident("live-inprogress"), "LiveInprogress");
        assert_eq!(camel_ident("1080p"), "V1080p");
        assert_eq!(camel_ident(""), "Value");
    }

    #[test]
    fn namespace_resolves_collisions_in_claim_order() {
        let mut ns = Namespace::with_reserved(["send"]);
        assert_eq!(ns.claim("send", "_param"), "send_param");
        assert_eq!(ns.claim("id", "_"), "id");
        assert_eq!(ns.claim("id", "_"), "id_");
        assert_eq!(ns.claim("id", "_"), "id_2");
    }
}
