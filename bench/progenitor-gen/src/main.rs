//! Bench-only: runs progenitor 0.15 (the library `cargo-progenitor` 0.15.1 uses) on an
//! OpenAPI document in-process, times it, and optionally writes the crate cargo-progenitor
//! would write (release defaults: positional interface, merged tags, `progenitor-client`
//! as a dependency).
//!
//! ```sh
//! progenitor-gen SPEC [--runs N] [--out DIR]
//! progenitor-gen SPEC --subset OUT
//! ```
//!
//! `--subset OUT` tries each operation alone and writes to OUT the document with only the
//! operations progenitor accepts (components unchanged), so both generators can be compared
//! on the same input; it prints `progenitor: accepts K of N operations` and the reasons.
//!
//! Prints one line per run, `progenitor: generated N lines in X ms (parse P ms, generate G ms,
//! format F ms)`, or `progenitor: failed after X ms: <error>` and exits 1.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut spec = None;
    let mut runs = 1_usize;
    let mut out = None;
    let mut subset_out = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).unwrap_or(1),
            "--out" => out = args.next().map(PathBuf::from),
            "--subset" => subset_out = args.next().map(PathBuf::from),
            _ => spec = Some(PathBuf::from(arg)),
        }
    }
    let Some(spec) = spec else {
        eprintln!("usage: progenitor-gen SPEC [--runs N] [--out DIR]");
        return ExitCode::FAILURE;
    };
    let text = match std::fs::read_to_string(&spec) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("cannot read {}: {e}", spec.display());
            return ExitCode::FAILURE;
        }
    };
    if let Some(subset_out) = subset_out {
        return match subset(&text, &subset_out) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        };
    }
    for run in 0..runs.max(1) {
        match generate(&text) {
            Ok(generated) => {
                println!(
                    "progenitor: generated {} lines in {:.1} ms (parse {:.1} ms, generate {:.1} ms, format {:.1} ms)",
                    generated.code.lines().count(),
                    generated.parse_ms + generated.generate_ms + generated.format_ms,
                    generated.parse_ms,
                    generated.generate_ms,
                    generated.format_ms,
                );
                if run == 0
                    && let Some(out) = &out
                    && let Err(e) = write_crate(out, &generated)
                {
                    eprintln!("cannot write {}: {e}", out.display());
                    return ExitCode::FAILURE;
                }
            }
            Err((elapsed_ms, error)) => {
                let error = error.replace('\n', " ");
                println!("progenitor: failed after {elapsed_ms:.1} ms: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

struct Generated {
    code: String,
    dependencies: Vec<String>,
    parse_ms: f64,
    generate_ms: f64,
    format_ms: f64,
}

fn ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

fn generate(text: &str) -> Result<Generated, (f64, String)> {
    let started = Instant::now();
    let api: openapiv3::OpenAPI = serde_json::from_str(text).map_err(|e| {
        (
            ms(started),
            format!("the document does not parse as OpenAPI 3.0: {e}"),
        )
    })?;
    let parse_ms = ms(started);

    let generating = Instant::now();
    let mut generator = Generator::new(
        GenerationSettings::default()
            .with_interface(InterfaceStyle::Positional)
            .with_tag(TagStyle::Merged),
    );
    // progenitor reaches `todo!()`/`unimplemented!()` on some constructs: a panic is an end
    // too, and is reported like an error.
    let tokens = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        generator.generate_tokens(&api)
    }));
    let tokens = match tokens {
        Ok(Ok(tokens)) => tokens,
        Ok(Err(e)) => return Err((ms(started), format!("generation error: {e}"))),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            return Err((ms(started), format!("panicked: {message}")));
        }
    };
    let generate_ms = ms(generating);

    let formatting = Instant::now();
    let file: syn::File = syn::parse2(tokens)
        .map_err(|e| (ms(started), format!("generated code does not parse: {e}")))?;
    let code = prettyplease::unparse(&file);
    let format_ms = ms(formatting);
    Ok(Generated {
        code,
        dependencies: dependencies(&generator),
        parse_ms,
        generate_ms,
        format_ms,
    })
}

/// The dependency list cargo-progenitor 0.15.1 writes (its `dependencies()`, release mode).
fn dependencies(generator: &Generator) -> Vec<String> {
    let mut deps = vec![
        "bytes = \"1.9\"".to_owned(),
        "futures-core = \"0.3\"".to_owned(),
        "reqwest = { version = \"0.13\", default-features=false, features = [\"json\", \"query\", \"stream\"] }".to_owned(),
        "serde = { version = \"1.0\", features = [\"derive\"] }".to_owned(),
        "serde_urlencoded = \"0.7\"".to_owned(),
        "progenitor-client = \"0.15.1\"".to_owned(),
    ];
    let types = generator.get_type_space();
    if types.uses_regress() {
        deps.push("regress = \"0.10\"".to_owned());
    }
    if types.uses_uuid() {
        deps.push("uuid = { version = \"1.0\", features = [\"serde\", \"v4\"] }".to_owned());
    }
    if types.uses_chrono() {
        deps.push(
            "chrono = { version = \"0.4\", default-features=false, features = [\"serde\"] }"
                .to_owned(),
        );
    }
    if generator.uses_futures() {
        deps.push("futures = \"0.3\"".to_owned());
    }
    if generator.uses_websockets() {
        deps.push("base64 = \"0.22\"".to_owned());
        deps.push("rand = \"0.8\"".to_owned());
    }
    if types.uses_serde_json() {
        deps.push("serde_json = \"1.0\"".to_owned());
    }
    deps.sort_unstable();
    deps
}

fn write_crate(out: &std::path::Path, generated: &Generated) -> std::io::Result<()> {
    std::fs::create_dir_all(out.join("src"))?;
    let manifest = format!(
        "[package]\nname = \"progenitor-stream\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[workspace]\n\n[dependencies]\n{}\n",
        generated.dependencies.join("\n")
    );
    std::fs::write(out.join("Cargo.toml"), manifest)?;
    std::fs::write(out.join("src/lib.rs"), &generated.code)
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Writes the document restricted to the operations progenitor generates on their own.
fn subset(text: &str, out: &std::path::Path) -> Result<(), String> {
    let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let paths = doc
        .get("paths")
        .and_then(|p| p.as_object())
        .cloned()
        .unwrap_or_default();
    // Panics are caught and reported as reasons; keep their default message off stderr.
    std::panic::set_hook(Box::new(|_| {}));
    let mut kept = serde_json::Map::new();
    let (mut total, mut accepted) = (0, 0);
    let mut reasons = std::collections::BTreeMap::<String, usize>::new();
    for (path, item) in &paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for method in METHODS {
            if !item.contains_key(method) {
                continue;
            }
            total += 1;
            let mut single = item.clone();
            single.retain(|k, _| k == method || !METHODS.contains(&k.as_str()));
            let mut candidate = doc.clone();
            candidate["paths"] = serde_json::json!({ path.clone(): single });
            match generate(&candidate.to_string()) {
                Ok(_) => {
                    accepted += 1;
                    let entry = kept.entry(path.clone()).or_insert_with(|| {
                        let mut shared = item.clone();
                        shared.retain(|k, _| !METHODS.contains(&k.as_str()));
                        serde_json::Value::Object(shared)
                    });
                    entry[method] = item[method].clone();
                }
                Err((_, reason)) => *reasons.entry(reason).or_default() += 1,
            }
        }
    }
    let _ = std::panic::take_hook();
    let mut reduced = doc.clone();
    reduced["paths"] = serde_json::Value::Object(kept);
    let mut dropped = Vec::new();
    drop_colliding_properties(&mut reduced, "#", &mut dropped);
    let json = serde_json::to_string_pretty(&reduced).map_err(|e| e.to_string())?;
    std::fs::write(out, json).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!("progenitor: accepts {accepted} of {total} operations");
    for (reason, count) in reasons {
        println!("  rejected: {count} x {reason}");
    }
    for line in dropped {
        println!("  dropped: {line}");
    }
    Ok(())
}

/// Drops each property whose snake_case name is taken by an earlier property of the same
/// object (`notificationUrl` beside `notification_url`): progenitor declares both as one
/// field, and its crate does not compile. Say what was dropped in `dropped`.
fn drop_colliding_properties(
    value: &mut serde_json::Value,
    pointer: &str,
    dropped: &mut Vec<String>,
) {
    use heck::ToSnakeCase;
    match value {
        serde_json::Value::Object(map) => {
            let mut removed = Vec::new();
            if let Some(serde_json::Value::Object(properties)) = map.get_mut("properties") {
                let mut seen = std::collections::BTreeMap::new();
                properties.retain(|name, _| match seen.entry(name.to_snake_case()) {
                    std::collections::btree_map::Entry::Vacant(entry) => {
                        entry.insert(name.clone());
                        true
                    }
                    std::collections::btree_map::Entry::Occupied(entry) => {
                        dropped.push(format!(
                            "`{name}` of {pointer}/properties (progenitor names it like `{}`)",
                            entry.get()
                        ));
                        removed.push(name.clone());
                        false
                    }
                });
            }
            if let Some(serde_json::Value::Array(required)) = map.get_mut("required") {
                required.retain(|name| !removed.iter().any(|r| Some(r.as_str()) == name.as_str()));
            }
            for (key, child) in map.iter_mut() {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                drop_colliding_properties(child, &format!("{pointer}/{escaped}"), dropped);
            }
        }
        serde_json::Value::Array(items) => {
            for (index, child) in items.iter_mut().enumerate() {
                drop_colliding_properties(child, &format!("{pointer}/{index}"), dropped);
            }
        }
        _ => {}
    }
}
