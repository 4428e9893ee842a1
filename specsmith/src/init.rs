//! `specsmith init`: a commented `codegen.toml` for a spec, derived from it: the crate name
//! and environment prefix the generator would choose (written out, so a new `info.title`
//! does not rename the crate), the servers and the security schemes it found, and the
//! other keys (documented in `codegen::config`) commented out.

use std::fmt::Write as _;

use codegen::load::{ApiKeyLocation, SecurityScheme};
use codegen::{Settings, config};
use serde_json::Value;

/// The config text for the spec `text` (JSON or YAML), named `spec_name` in its header.
///
/// # Errors
///
/// The spec does not load (the error names its JSON pointer).
pub fn config_for(text: &str, spec_name: &str) -> Result<String, codegen::Error> {
    let loaded = codegen::load_api(text, &Settings::default())?;
    let api = &loaded.api;
    let package = config::Package::default().resolve(&api.title);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# The generator config for {spec_name} ({} {}), written by `specsmith init`.",
        api.title, api.version
    );
    out.push_str(
        "# Every key is optional; what is commented out shows the default derived from the\n\
         # spec. Regenerate after a change: `specsmith generate`.\n\n",
    );
    out.push_str("[package]\n");
    let _ = writeln!(
        out,
        "name = {:?}                # from info.title; the crate's name",
        package.name
    );
    let _ = writeln!(out, "version = {:?}", package.version);
    let _ = writeln!(out, "# description = {:?}", package.description);
    let _ = writeln!(out, "# keywords = {:?}", package.keywords);
    let _ = writeln!(out, "# categories = {:?}", package.categories);
    out.push_str("# license = \"MIT OR Apache-2.0\"\n");
    out.push_str("# repository = \"https://github.com/you/your-crate\"\n\n");

    out.push_str("[client]\n");
    let _ = writeln!(
        out,
        "env_prefix = {:?}            # Client::from_env() reads {}_BASE_URL and the credentials",
        api.env_prefix, api.env_prefix
    );
    out.push_str(
        "# envelope_field = \"data\"     # if every response wraps its payload: the field send() returns\n\
         # request_id_header = \"x-request-id\"   # the response header errors show\n\
         # path_defaults = [\"account_id\"]       # string path parameters the client fills\n\n",
    );

    let servers: Vec<String> = loaded
        .document
        .get("servers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| {
            let url = s.get("url")?.as_str()?;
            Some(match s.get("description").and_then(Value::as_str) {
                Some(about) => format!("{url}  ({about})"),
                None => url.to_owned(),
            })
        })
        .collect();
    match api.base_url.as_deref() {
        Some(base) => {
            let _ = writeln!(
                out,
                "# Base URL: {base} (the first server, variables at their defaults); set\n\
                 # {}_BASE_URL or ClientBuilder::base_url for another. The spec's servers:",
                api.env_prefix
            );
            for server in &servers {
                let _ = writeln!(out, "#   {server}");
            }
        }
        None => {
            let _ = writeln!(
                out,
                "# The spec has no servers: the client needs {}_BASE_URL or\n\
                 # ClientBuilder::base_url.",
                api.env_prefix
            );
        }
    }
    out.push('\n');

    if api.security_schemes.is_empty() {
        let _ = writeln!(
            out,
            "# The spec declares no security scheme. If the API takes a credential, declare it\n\
             # (read from {}_TOKEN by Client::from_env()):",
            api.env_prefix
        );
        out.push_str(
            "# [security.schemes.token]\n\
             # type = \"bearer\"             # bearer | basic | header | query | cookie\n\
             # name = \"X-Api-Key\"          # for header, query and cookie\n",
        );
    } else {
        out.push_str(
            "# The spec's security schemes, and where Client::from_env() reads each credential;\n\
             # a `[client.env]` entry renames a variable.\n",
        );
        for scheme in &api.security_schemes {
            let _ = writeln!(
                out,
                "#   {}: {}, from {}",
                scheme.name,
                describe(&scheme.kind),
                scheme.env
            );
        }
        out.push_str("# [client.env]\n");
        for scheme in &api.security_schemes {
            let _ = writeln!(out, "# {:?} = {:?}", scheme.name, scheme.env);
        }
    }
    out.push_str(
        "\n# [layout]                      # when a crate becomes a workspace (compile-cost units)\n\
         # workspace_above = 4000\n\
         # member_budget = 2000\n",
    );
    Ok(out)
}

fn describe(kind: &SecurityScheme) -> String {
    match kind {
        SecurityScheme::Bearer => "bearer token".to_owned(),
        SecurityScheme::Basic => "HTTP basic".to_owned(),
        SecurityScheme::ApiKey { location, name } => {
            let place = match location {
                ApiKeyLocation::Header => "header",
                ApiKeyLocation::Query => "query parameter",
                ApiKeyLocation::Cookie => "cookie",
            };
            format!("API key in the {place} {name}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_parses_and_names_what_the_spec_says() {
        let spec = r#"{"openapi": "3.0.3", "info": {"title": "Train Travel API", "version": "1.0"},
          "servers": [{"url": "https://api.example.com", "description": "Production"}],
          "paths": {},
          "components": {"securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}}}}"#;
        let text = config_for(spec, "train.json").unwrap();
        let config = config::Config::from_toml(&text).unwrap();
        assert_eq!(config.package.name.as_deref(), Some("train-travel-api"));
        assert_eq!(config.client.env_prefix.as_deref(), Some("TRAIN"));
        assert!(
            text.contains("#   https://api.example.com  (Production)"),
            "{text}"
        );
        assert!(
            text.contains("API key in the header X-Key, from TRAIN_KEY"),
            "{text}"
        );
        // The commented keys are valid config too.
        let uncommented: String = text
            .lines()
            .map(|l| {
                l.strip_prefix("# ")
                    .filter(|l| l.starts_with('[') || l.contains(" = "))
                    .unwrap_or(l)
            })
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        config::Config::from_toml(&uncommented).unwrap_or_else(|e| panic!("{e}\n{uncommented}"));
    }

    #[test]
    fn without_a_scheme_a_commented_one_is_offered() {
        let spec =
            r#"{"openapi": "3.0.3", "info": {"title": "Open", "version": "1"}, "paths": {}}"#;
        let text = config_for(spec, "open.json").unwrap();
        assert!(text.contains("# [security.schemes.token]"), "{text}");
        assert!(text.contains("(read from OPEN_TOKEN by"), "{text}");
        assert!(text.contains("has no servers"), "{text}");
    }
}
