//! A hand-written crate's public API at two versions (what `cargo xtask diff --runtime-base`
//! reports for the runtime crate): the module tree from `src/lib.rs`, Cargo's semver rules,
//! `#[doc(hidden)]` as at most a patch.

use std::path::Path;
use std::process::Command;

use spec_diff::surface::{self, Sources};
use spec_diff::{Bump, CrateApi, source};

fn sources(files: &[(&str, &str)]) -> Sources {
    files
        .iter()
        .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
        .collect()
}

const LIB: &str =
    "pub mod client;\n#[doc(hidden)]\npub mod __private;\nmod util;\npub use client::Client;\n";
const CLIENT: &str = "pub struct Client;\nimpl Client {\n    pub fn send(&self) -> u16 { helper() }\n    fn helper() -> u16 { 1 }\n}\npub fn connect() -> Client { Client }\nmod inner;\n";
const INNER: &str = "pub fn deep() {}\n";
const PRIVATE: &str = "pub fn glue(x: u8) -> u8 { x }\n";
const UTIL: &str = "pub(crate) fn tidy() {}\n";

fn base() -> Sources {
    sources(&[
        ("src/lib.rs", LIB),
        ("src/client.rs", CLIENT),
        ("src/client/inner.rs", INNER),
        ("src/__private/mod.rs", PRIVATE),
        ("src/util.rs", UTIL),
        // Not declared by any module: not part of the crate.
        ("src/stray.rs", "pub fn stray() {}\n"),
    ])
}

fn with(mut s: Sources, path: &str, text: &str) -> Sources {
    s.insert(path.to_owned(), text.to_owned());
    s
}

fn compare(old: &Sources, new: &Sources) -> CrateApi {
    CrateApi::compare(Some(old), Some(new), ("old", "new"))
}

#[test]
fn the_module_tree_is_followed_from_lib_rs() {
    let api = surface::surface(&base()).expect("surface");
    let paths: Vec<&str> = api.keys().map(String::as_str).collect();
    for expected in [
        "client",
        "client::Client",
        "client::Client::send",
        "client::connect",
        "client::inner::deep",
        "__private",
        "__private::glue",
    ] {
        assert!(
            paths.contains(&expected),
            "{expected} missing from {paths:?}"
        );
    }
    assert!(
        !paths
            .iter()
            .any(|p| p.contains("stray") || p.contains("tidy") || p.contains("helper"))
    );
    assert!(api["__private::glue"].hidden && !api["client::connect"].hidden);
}

#[test]
fn a_removed_pub_fn_is_major() {
    let new = with(
        base(),
        "src/client.rs",
        &CLIENT.replace("pub fn connect() -> Client { Client }\n", ""),
    );
    let r = compare(&base(), &new);
    assert_eq!(r.bump, Bump::Major);
    let changes = r.changes.expect("compared");
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (
            changes[0].kind,
            changes[0].item.as_str(),
            changes[0].breaking
        ),
        ("removed", "client::connect", true)
    );
}

#[test]
fn an_added_pub_fn_is_minor() {
    let new = with(
        base(),
        "src/client/inner.rs",
        "pub fn deep() {}\npub fn deeper() {}\n",
    );
    let r = compare(&base(), &new);
    assert_eq!(r.bump, Bump::Minor);
    let changes = r.changes.expect("compared");
    assert_eq!(
        (
            changes[0].kind,
            changes[0].item.as_str(),
            changes[0].breaking
        ),
        ("added", "client::inner::deeper", false)
    );
}

#[test]
fn a_private_change_is_none() {
    let new = with(base(), "src/client.rs", &CLIENT.replace("{ 1 }", "{ 2 }"));
    let new = with(
        new,
        "src/util.rs",
        "pub(crate) fn tidy() {}\nfn more() {}\n",
    );
    let r = compare(&base(), &new);
    assert_eq!(r.changes.as_deref(), Some(&[][..]));
    assert_eq!(r.bump, Bump::None);
    assert!(r.code_changed);
    let same = compare(&base(), &base());
    assert!(!same.code_changed && same.bump == Bump::None);
}

#[test]
fn hidden_items_are_at_most_a_patch() {
    let new = with(
        base(),
        "src/__private/mod.rs",
        "pub fn glue(x: u16) -> u16 { x }\npub fn more() {}\n",
    );
    let r = compare(&base(), &new);
    assert_eq!(r.bump, Bump::Patch);
    let changes = r.changes.expect("compared");
    assert_eq!(changes.len(), 2);
    assert!(
        changes
            .iter()
            .all(|c| c.hidden && !c.breaking && c.label() == "hidden")
    );
    // An item-level `#[doc(hidden)]` counts too.
    let new = with(
        base(),
        "src/client/inner.rs",
        "pub fn deep() {}\n#[doc(hidden)]\npub fn shim() {}\n",
    );
    assert_eq!(compare(&base(), &new).bump, Bump::Patch);
    // So does one on a field (public only so that generated code can write the struct).
    let (old, new) = (
        with(
            base(),
            "src/client/inner.rs",
            "pub struct Info {\n    pub id: u8,\n}\n",
        ),
        with(
            base(),
            "src/client/inner.rs",
            "pub struct Info {\n    pub id: u8,\n    #[doc(hidden)]\n    pub cache: u8,\n}\n",
        ),
    );
    assert_eq!(compare(&old, &new).bump, Bump::Patch);
}

#[test]
fn a_missing_side_is_skipped() {
    let r = CrateApi::compare(
        None,
        Some(&base()),
        ("runtime/ at v1", "runtime/ in the working tree"),
    );
    assert!(r.changes.is_none());
    assert_eq!(
        r.skipped.as_deref(),
        Some("no crate sources in runtime/ at v1")
    );
}

fn git(dir: &Path, args: &[&str]) -> bool {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The sources as the working tree has them and as a git revision has them.
#[test]
fn sources_from_the_tree_and_from_git() {
    let tmp = std::env::temp_dir().join(format!("spec-diff-runtime-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    for (path, text) in base() {
        let file = tmp.join("runtime").join(&path);
        std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        std::fs::write(&file, text).expect("write");
    }
    let tree = source::crate_sources_in(&tmp.join("runtime"))
        .expect("read")
        .expect("exists");
    assert_eq!(tree, base());
    assert_eq!(
        source::crate_sources_in(&tmp.join("nope")).expect("read"),
        None
    );

    let committed = git(&tmp, &["init", "-q"])
        && git(&tmp, &["add", "."])
        && git(
            &tmp,
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "commit",
                "-qm",
                "base",
            ],
        );
    if committed {
        let at = source::crate_sources_at(&tmp, "HEAD", "runtime")
            .expect("git")
            .expect("exists");
        assert_eq!(at, base());
        assert_eq!(
            source::crate_sources_at(&tmp, "HEAD", "nope").expect("git"),
            None
        );
        assert!(source::crate_sources_at(&tmp, "no-such-rev", "runtime").is_err());
    }
    let _ = std::fs::remove_dir_all(&tmp);
}
