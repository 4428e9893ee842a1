//! Rows of the large specs (the Cloudflare corpus, GitHub's): generation time and memory,
//! `cargo check` of one resource and of everything (time and the peak RSS of the whole
//! build's process tree), ours and progenitor's where it accepts the spec; lines of
//! generated Rust per operation on the specs both generators accept; and the scaling plot
//! over every spec measured.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::measure::{self, Cmd, median};
use super::table::{self, Row, Verdict};
use super::{Bench, Plan};

/// A large spec and its targets.
pub struct Large {
    /// Row ids: generation, one resource, everything.
    pub ids: [&'static str; 3],
    pub label: String,
    pub spec: PathBuf,
    pub config: Option<PathBuf>,
    /// The cargo feature of the mid-sized resource checked alone.
    pub resource: &'static str,
    /// Targets: generation seconds and MiB; one resource seconds; everything seconds and MiB.
    pub generate_s: f64,
    pub generate_mib: f64,
    pub resource_s: f64,
    pub everything_s: f64,
    pub everything_mib: f64,
}

/// One spec's generation, for the plot and the lines-per-operation row.
pub struct Point {
    pub name: String,
    pub bytes: u64,
    pub operations: usize,
    pub seconds: f64,
    pub peak_mib: f64,
    pub lines: usize,
    /// Progenitor's lines, or how it ended.
    pub progenitor: Option<Result<usize, String>>,
}

/// Limits of a `cargo check`: a runaway must not take the shared machine.
const CHECK_TIMEOUT_S: u64 = 20 * 60;
const CHECK_MEMORY_GIB: u64 = 20;

/// A `cargo check` outcome: wall seconds and tree peak, or how it ended.
struct Checked {
    seconds: f64,
    tree_kib: Option<u64>,
    ok: bool,
    end: String,
}

impl Checked {
    fn describe(&self) -> String {
        let rss = self
            .tree_kib
            .map(|k| format!(", peak RSS {}", gib_or_mib(k)))
            .unwrap_or_default();
        if self.ok {
            format!("{:.1} s{rss}", self.seconds)
        } else {
            format!("{} after {:.0} s{rss}", self.end, self.seconds)
        }
    }

    fn mib(&self) -> f64 {
        self.tree_kib.map_or(f64::INFINITY, |k| k as f64 / 1024.0)
    }
}

fn gib_or_mib(kib: u64) -> String {
    if kib >= 1024 * 1024 {
        format!("{:.2} GiB", kib as f64 / 1024.0 / 1024.0)
    } else {
        format!("{:.0} MiB", kib as f64 / 1024.0)
    }
}

/// Operations a spec declares (method keys under every path item).
pub fn declared_operations(text: &str) -> usize {
    codegen::spec::parse(text).map_or(0, |value| codegen::json::operation_count(&value))
}

impl Bench {
    /// Our generator on `spec` into `out` (emptied first), `runs` times: a [`Point`].
    pub(super) fn point(
        &self,
        name: &str,
        spec: &Path,
        config: Option<&Path>,
        out: &Path,
        runs: usize,
    ) -> Result<Point, String> {
        let text = std::fs::read_to_string(spec).map_err(|e| format!("{}: {e}", spec.display()))?;
        let mut seconds = Vec::new();
        let mut peak = None;
        let mut lines = 0;
        for _ in 0..runs.max(1) {
            let _ = std::fs::remove_dir_all(out);
            let generated = self.ours_generate_with(spec, config, out)?;
            seconds.push(generated.wall_s);
            peak = peak.max(generated.peak_kib);
            lines = generated.lines;
        }
        Ok(Point {
            name: name.to_owned(),
            bytes: text.len() as u64,
            operations: declared_operations(&text),
            seconds: median(&seconds),
            peak_mib: peak.map_or(0.0, |k| k as f64 / 1024.0),
            lines,
            progenitor: None,
        })
    }

    /// The rows of one large spec; returns its point.
    pub(super) fn large_spec(
        &self,
        plan: &Plan,
        large: &Large,
        rows: &mut Vec<Row>,
        notes: &mut Vec<String>,
    ) -> Result<Point, String> {
        measure::progress(&format!("{}: generating {}", large.ids[0], large.label));
        let out = self.tmp.join(format!("ours-{}", large.ids[0]));
        let mut point = self.point(
            &large.label,
            &large.spec,
            large.config.as_deref(),
            &out,
            plan.corpus_runs,
        )?;
        let members = std::fs::read_dir(out.join("crates")).map_or(0, |d| d.count());
        let progenitor_out = self.tmp.join(format!("progenitor-{}", large.ids[0]));
        let _ = std::fs::remove_dir_all(&progenitor_out);
        let progenitor = if plan.progenitor {
            measure::progress(&format!(
                "{}: progenitor on {} (timeout 300 s)",
                large.ids[0], large.label
            ));
            Some(self.progenitor_generate(&large.spec, 1, Some(&progenitor_out), 300)?)
        } else {
            None
        };
        point.progenitor = progenitor
            .as_ref()
            .map(|p| p.as_ref().map(|run| run.lines).map_err(Clone::clone));
        rows.push(Row {
            id: large.ids[0],
            measure: format!(
                "Generate {} ({} operations, {:.1} MB): process wall time (median of {}) and peak RSS",
                large.label,
                point.operations,
                point.bytes as f64 / 1e6,
                plan.corpus_runs
            ),
            ours: format!(
                "{:.2} s, {:.0} MiB; {} lines, {}",
                point.seconds,
                point.peak_mib,
                table::thousands(point.lines),
                if members > 0 {
                    format!("a workspace of {members} crates + facade")
                } else {
                    "one crate".to_owned()
                }
            ),
            other: match &progenitor {
                None => "progenitor: skipped".to_owned(),
                Some(Ok(p)) => format!(
                    "progenitor {:.2} s ({} lines)",
                    median(&p.ms) / 1000.0,
                    table::thousands(p.lines)
                ),
                Some(Err(end)) => format!("progenitor ends: {}", table::short(end, 110)),
            },
            ratio: match &progenitor {
                Some(Ok(p)) => format!("{:.2}x", median(&p.ms) / 1000.0 / point.seconds),
                _ => "n/a".to_owned(),
            },
            target: format!(
                "< {} s, < {:.0} MiB",
                large.generate_s, large.generate_mib
            ),
            verdict: Verdict::of(
                point.seconds < large.generate_s && point.peak_mib < large.generate_mib,
            ),
        });
        if !plan.build {
            return Ok(point);
        }

        // Dependencies warm: the Stream crate has ours', progenitor's Stream subset its.
        let check_target = self.target.join("check");
        for warm in [
            self.tmp.join("ours-stream"),
            self.tmp.join("progenitor-subset"),
        ] {
            if warm.join("Cargo.toml").is_file() {
                let _ = self.cargo_check(&warm, &check_target, &[]);
            }
        }
        measure::progress(&format!(
            "{}: cargo check of `{}` alone",
            large.ids[1], large.resource
        ));
        clean_packages(&out, &check_target)?;
        let one = self.cargo_check(
            &out,
            &check_target,
            &["--no-default-features", "--features", large.resource],
        )?;
        measure::progress(&format!("{}: cargo check of everything", large.ids[2]));
        clean_packages(&out, &check_target)?;
        let all = self.cargo_check(&out, &check_target, &[])?;
        let theirs = if progenitor_out.join("Cargo.toml").is_file() {
            measure::progress(&format!(
                "{}: cargo check of progenitor's crate",
                large.ids[2]
            ));
            clean_packages(&progenitor_out, &check_target)?;
            Some(self.cargo_check(&progenitor_out, &check_target, &[])?)
        } else {
            None
        };
        let progenitor_end = match &progenitor {
            None => "progenitor: skipped".to_owned(),
            Some(Err(_)) => "progenitor: no crate (it rejects the spec, row above)".to_owned(),
            Some(Ok(_)) => String::new(),
        };
        rows.push(Row {
            id: large.ids[1],
            measure: format!(
                "{}: `cargo check` (deps warm) of the `{}` resource alone (`--no-default-features --features {}`), wall time and peak RSS of the build's process tree",
                large.label, large.resource, large.resource
            ),
            ours: one.describe(),
            other: if progenitor_end.is_empty() {
                "progenitor: no features; its unit is the whole crate (row below)".to_owned()
            } else {
                progenitor_end.clone()
            },
            ratio: String::new(),
            target: format!("< {} s", large.resource_s),
            verdict: Verdict::of(one.ok && one.seconds < large.resource_s),
        });
        if !one.ok || !all.ok {
            notes.push(format!(
                "{}: cargo check failed:\n\n```\n{}\n```",
                large.label,
                if one.ok { &all.end } else { &one.end }
            ));
        }
        rows.push(Row {
            id: large.ids[2],
            measure: format!(
                "{}: `cargo check` (deps warm) of everything (default features), wall time and peak RSS of the build's process tree",
                large.label
            ),
            ours: all.describe(),
            other: match &theirs {
                Some(t) => format!("progenitor: {}", t.describe()),
                None => progenitor_end,
            },
            ratio: match &theirs {
                Some(t) if t.ok => format!("{:.2}x (progenitor/ours, time)", t.seconds / all.seconds),
                _ => "n/a".to_owned(),
            },
            target: format!(
                "< {} s, < {:.0} GiB",
                large.everything_s,
                large.everything_mib / 1024.0
            ),
            verdict: Verdict::of(
                all.ok && all.seconds < large.everything_s && all.mib() < large.everything_mib,
            ),
        });
        Ok(point)
    }

    /// `cargo check` of the crate (or workspace) at `dir`, timed, with the tree's peak RSS.
    fn cargo_check(&self, dir: &Path, target: &Path, args: &[&str]) -> Result<Checked, String> {
        let out = Cmd::new("cargo")
            .arg("check")
            .arg("--manifest-path")
            .arg(dir.join("Cargo.toml").to_string_lossy())
            .arg("--target-dir")
            .arg(target.to_string_lossy())
            .args(args.iter().copied())
            .tree_rss()
            .timeout(CHECK_TIMEOUT_S)
            .memory_limit_gib(CHECK_MEMORY_GIB)
            .run(&self.root)?;
        let warnings = out
            .stderr
            .lines()
            .filter(|l| l.starts_with("warning"))
            .count();
        let end = if out.timed_out {
            format!("did not finish within {CHECK_TIMEOUT_S} s")
        } else if out.success && warnings > 0 {
            format!("{warnings} warning(s)")
        } else if out.success {
            String::new()
        } else {
            out.stderr
                .lines()
                .find(|l| l.starts_with("error"))
                .map_or("cargo check failed".to_owned(), |l| table::short(l, 100))
        };
        Ok(Checked {
            seconds: out.wall.as_secs_f64(),
            tree_kib: out.tree_peak_kib,
            ok: out.success && !out.timed_out && warnings == 0,
            end,
        })
    }

    /// Row 8 (lines of generated Rust per operation where both generators accept the spec)
    /// and row 9 (the scaling plot, and a 20 MB spec under 5 s).
    pub(super) fn scaling(
        &self,
        points: &[Point],
        rows: &mut Vec<Row>,
        notes: &mut Vec<String>,
    ) -> Result<(), String> {
        let both: Vec<&Point> = points
            .iter()
            .filter(|p| matches!(p.progenitor, Some(Ok(_))) && p.operations > 0)
            .collect();
        if !both.is_empty() {
            let per_op = |lines: usize, p: &Point| lines as f64 / p.operations as f64;
            let ours: f64 = both.iter().map(|p| p.lines).sum::<usize>() as f64
                / both.iter().map(|p| p.operations).sum::<usize>() as f64;
            let theirs_lines: usize = both
                .iter()
                .filter_map(|p| p.progenitor.as_ref()?.as_ref().ok().copied())
                .sum();
            let theirs =
                theirs_lines as f64 / both.iter().map(|p| p.operations).sum::<usize>() as f64;
            let mut detail = String::new();
            for p in &both {
                if let Some(Ok(t)) = &p.progenitor {
                    let _ = write!(
                        detail,
                        "{} {:.0} vs {:.0}; ",
                        p.name,
                        per_op(p.lines, p),
                        per_op(*t, p)
                    );
                }
            }
            rows.push(Row {
                id: "8",
                measure: format!(
                    "Lines of generated Rust per operation, on the {} specs both generators accept (ours vs progenitor: {})",
                    both.len(),
                    detail.trim_end_matches("; ")
                ),
                ours: format!("{ours:.0} lines/operation"),
                other: format!("progenitor {theirs:.0} lines/operation"),
                ratio: format!("{:.2}x (ours/progenitor)", ours / theirs),
                target: "reported".to_owned(),
                verdict: Verdict::NotMeasured,
            });
            let rejected: Vec<String> = points
                .iter()
                .filter_map(|p| match &p.progenitor {
                    Some(Err(end)) => Some(format!("{}: {}", p.name, table::short(end, 90))),
                    _ => None,
                })
                .collect();
            if !rejected.is_empty() {
                notes.push(format!(
                    "Row 8: progenitor rejects {} of the {} specs measured: {}.",
                    rejected.len(),
                    points.len(),
                    rejected.join("; ")
                ));
            }
        }
        // The plot, of the specs generated as a whole (the Stream subset only counts lines).
        let points: Vec<&Point> = points.iter().filter(|p| p.peak_mib > 0.0).collect();
        let tsv = self.tmp.join("scaling.tsv");
        let mut text = String::from("# name\tbytes\toperations\tseconds\tpeak_mib\n");
        for p in &points {
            let _ = writeln!(
                text,
                "{}\t{}\t{}\t{:.4}\t{:.1}",
                p.name, p.bytes, p.operations, p.seconds, p.peak_mib
            );
        }
        std::fs::write(&tsv, &text).map_err(|e| format!("{}: {e}", tsv.display()))?;
        let svg = self.root.join("bench/scaling.svg");
        let plotted = Cmd::new(self.release_bin("bench-plot").to_string_lossy())
            .arg(tsv.to_string_lossy())
            .arg(svg.to_string_lossy())
            .run(&self.root)?;
        if !plotted.success {
            notes.push(format!(
                "bench-plot failed: {}",
                measure::tail(&plotted.stderr, 3)
            ));
        }
        let largest = points.iter().max_by_key(|p| p.bytes);
        if let Some(big) = largest {
            let mut table_text = String::from(
                "Row 9, every spec generated (process wall time, median; peak RSS of the process):\n\n| spec | bytes | operations | generate | peak RSS | lines |\n|---|---|---|---|---|---|\n",
            );
            let mut sorted = points.clone();
            sorted.sort_by_key(|p| p.bytes);
            for p in sorted {
                let _ = writeln!(
                    table_text,
                    "| {} | {} | {} | {:.2} s | {:.0} MiB | {} |",
                    p.name,
                    table::thousands(p.bytes as usize),
                    table::thousands(p.operations),
                    p.seconds,
                    p.peak_mib,
                    table::thousands(p.lines)
                );
            }
            notes.push(table_text);
            rows.push(Row {
                id: "9",
                measure: format!(
                    "Scaling: generation time and peak memory against spec size over the {} specs generated, plotted in `bench/scaling.svg`; the largest, {} ({:.1} MB, {} operations)",
                    points.len(),
                    big.name,
                    big.bytes as f64 / 1e6,
                    table::thousands(big.operations)
                ),
                ours: format!("{:.2} s, {:.0} MiB", big.seconds, big.peak_mib),
                other: String::new(),
                ratio: String::new(),
                target: "a 20 MB spec < 5 s".to_owned(),
                verdict: if big.bytes >= 19_000_000 {
                    Verdict::of(big.seconds < 5.0)
                } else {
                    Verdict::NotMeasured
                },
            });
        }
        Ok(())
    }
}

/// `cargo clean -p` of every package of the crate or workspace at `dir` (not its
/// dependencies), so the next check compiles it again.
fn clean_packages(dir: &Path, target: &Path) -> Result<(), String> {
    let mut manifests = vec![dir.join("Cargo.toml")];
    if let Ok(entries) = std::fs::read_dir(dir.join("crates")) {
        let mut members: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path().join("Cargo.toml"))
            .collect();
        members.sort();
        manifests.extend(members);
    }
    let mut cmd = Cmd::new("cargo")
        .arg("clean")
        .arg("--quiet")
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml").to_string_lossy())
        .arg("--target-dir")
        .arg(target.to_string_lossy());
    for manifest in manifests {
        let text = std::fs::read_to_string(&manifest)
            .map_err(|e| format!("{}: {e}", manifest.display()))?;
        let table: toml::Table = text
            .parse()
            .map_err(|e| format!("{}: {e}", manifest.display()))?;
        if let Some(name) = table
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
        {
            cmd = cmd.arg("-p").arg(name);
        }
    }
    cmd.run_ok(Path::new("."), "cargo clean")?;
    Ok(())
}
