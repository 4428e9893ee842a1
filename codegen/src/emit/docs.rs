//! Spec descriptions -> rustdoc that renders and never trips rustdoc's lints: descriptions
//! are Markdown written for a web page, so brackets would become broken intra-doc links,
//! `<token>` an unclosed HTML tag, bare URLs a `bare_urls` warning, and indented or fenced
//! blocks would be compiled as doctests.

use proc_macro2::TokenStream;
use quote::quote;

use crate::model::ir::Docs;

/// `#[doc = "..."]` attributes for `docs`, or for `fallback` when the spec has no text.
pub fn doc_attrs(docs: &Docs, fallback: &str) -> TokenStream {
    let mut text = docs
        .text
        .as_deref()
        .map(sanitize)
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| fallback.to_owned());
    if docs.deprecated {
        text.push_str("\n\n**Deprecated** in the API specification.");
    }
    lines(&text)
}

/// `#[doc]` attributes for already-safe text (written by the generator itself).
pub fn lines(text: &str) -> TokenStream {
    let lines = attribute_lines(text);
    quote!(#(#[doc = #lines])*)
}

/// `#![doc = "..."]` inner attributes: module documentation at the top of a file.
pub fn inner_lines(text: &str) -> TokenStream {
    let lines = attribute_lines(text);
    quote!(#(#![doc = #lines])*)
}

/// Each line of `text` as a doc attribute holds it: after a space, so that it prints as
/// `/// line`, and an empty line empty (no trailing space).
fn attribute_lines(text: &str) -> impl Iterator<Item = String> + '_ {
    text.lines().map(|line| {
        if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        }
    })
}

/// Makes Markdown from a spec safe for rustdoc (see the module docs for why).
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_fence = false;
    for raw in text.trim().lines() {
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            // Every fence becomes a `text` block: spec examples are not Rust.
            out.push_str(if in_fence { "```" } else { "```text" });
            out.push('\n');
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            out.push_str(line);
        } else {
            // Leading indentation would make an indented code block (a doctest).
            out.push_str(&escape_inline(trimmed));
        }
        out.push('\n');
    }
    if in_fence {
        out.push_str("```\n");
    }
    out.trim_end().to_owned()
}

/// Escapes one line outside code fences, leaving `code spans` alone.
fn escape_inline(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    for (i, chunk) in line.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 {
            out.push_str(chunk);
            continue;
        }
        let mut rest = chunk;
        while !rest.is_empty() {
            let url_at = ["https://", "http://"]
                .iter()
                .filter_map(|p| rest.find(p))
                .min();
            let (before, url) = match url_at {
                Some(at) => rest.split_at(at),
                None => (rest, ""),
            };
            for c in before.chars() {
                match c {
                    '[' => out.push_str("\\["),
                    ']' => out.push_str("\\]"),
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    '*' if before.matches('*').count() % 2 == 1 => out.push_str("\\*"),
                    c => out.push(c),
                }
            }
            if url.is_empty() {
                break;
            }
            let end = url
                .find(|c: char| {
                    c.is_whitespace() || matches!(c, ')' | '>' | '<' | '"' | '\'' | ']' | '[')
                })
                .unwrap_or(url.len());
            // Sentence punctuation after a URL is not part of it.
            let link = url[..end].trim_end_matches(['.', ',', ';', ':']);
            out.push('<');
            out.push_str(link);
            out.push('>');
            rest = &url[link.len()..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn markdown_becomes_lint_free_rustdoc() {
        assert_eq!(
            sanitize("See [docs](https://x.dev/a). Use `[a]`."),
            "See \\[docs\\](<https://x.dev/a>). Use `[a]`."
        );
        assert_eq!(sanitize("Send <token> now"), "Send &lt;token&gt; now");
        assert_eq!(sanitize("```\ncurl x\n```"), "```text\ncurl x\n```");
        assert_eq!(sanitize("a\n\n    indented"), "a\n\nindented");
        assert_eq!(sanitize("open ```\nno close"), "open ```\nno close");
    }
}
