//! `cargo xtask bench`: generator speed, compile cost, decode, per-request overhead and
//! upload throughput, side by side with progenitor and the serde floor, in one table.
//!
//! Everything timed runs as a release binary in its own process: the generator through the
//! release `xtask generate` (its summary line reports the in-process generator time), the
//! others through the bench-only crates under `bench/` (`progenitor-gen`, `decode`,
//! `client`), which are not workspace members and are built here on demand into
//! `target/bench`. Scratch output goes to `bench/tmp` (ignored by git).

mod measure;
mod scale;
mod table;

use std::path::{Path, PathBuf};

use measure::{Cmd, median};
use table::{Row, Verdict};

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Smoke mode: fewer repetitions, smaller sizes, no corpus build, no progenitor.
    pub quick: bool,
    /// The Cloudflare corpus (a missing file skips its rows with a message).
    pub corpus: PathBuf,
    /// Leave progenitor out (its build alone takes minutes).
    pub skip_progenitor: bool,
    /// Skip the `cargo check` / clean `cargo build` rows.
    pub skip_build: bool,
    /// GitHub's description (default: fetched with `npm pack` into `target/specs/`).
    pub github: Option<PathBuf>,
}

impl Options {
    /// The defaults: full mode, the corpus at `../shared/specs/...` beside the workspace.
    pub fn new(root: &Path) -> Self {
        Options {
            quick: false,
            corpus: root.join("../shared/specs/cloudflare-api-without-stream.openapi.json"),
            skip_progenitor: false,
            skip_build: false,
            github: None,
        }
    }
}

/// Repetition counts and sizes of one mode.
struct Plan {
    generate_runs: usize,
    corpus_runs: usize,
    decode_rounds: usize,
    decode_millis: u64,
    requests: u32,
    request_rounds: usize,
    upload_mib: u64,
    upload_runs: usize,
    progenitor: bool,
    build: bool,
    /// Clean builds of each crate compared in row 3.
    build_runs: usize,
}

/// Runs the benchmarks; returns the Markdown report (also written to disk).
pub fn run(root: &Path, options: &Options) -> Result<String, String> {
    let plan = if options.quick {
        Plan {
            generate_runs: 5,
            corpus_runs: 1,
            decode_rounds: 5,
            decode_millis: 40,
            requests: 300,
            request_rounds: 3,
            upload_mib: 128,
            upload_runs: 1,
            progenitor: false,
            build: false,
            build_runs: 1,
        }
    } else {
        Plan {
            generate_runs: 21,
            corpus_runs: 3,
            decode_rounds: 15,
            decode_millis: 200,
            requests: 2000,
            request_rounds: 7,
            upload_mib: 1024,
            upload_runs: 5,
            progenitor: !options.skip_progenitor,
            build: !options.skip_build,
            build_runs: 3,
        }
    };
    let load_before = measure::load_average();
    let bench = Bench::new(root)?;
    bench.build_tools(plan.progenitor)?;

    let mut rows = Vec::new();
    let mut notes = Vec::new();
    let mut points = Vec::new();
    points.extend(bench.generate_stream(&plan, &mut rows, &mut notes)?);
    if options.corpus.is_file() {
        let corpus = scale::Large {
            ids: ["2a", "2b", "2c"],
            label: "the Cloudflare corpus".to_owned(),
            spec: options.corpus.clone(),
            config: None,
            resource: "dns_records_for_a_zone",
            generate_s: 2.0,
            generate_mib: 1024.0,
            resource_s: 15.0,
            everything_s: 150.0,
            everything_mib: 4096.0,
        };
        points.push(bench.large_spec(&plan, &corpus, &mut rows, &mut notes)?);
    } else {
        let message = format!(
            "corpus {} not found: rows 2a-2c skipped (pass --corpus PATH)",
            options.corpus.display()
        );
        measure::progress(&message);
        notes.push(message);
    }
    match bench.github(options) {
        Ok((spec, config)) => {
            let github = scale::Large {
                ids: ["7a", "7b", "7c"],
                label: "GitHub's API".to_owned(),
                spec,
                config: Some(config),
                resource: "issues",
                generate_s: 2.0,
                generate_mib: 1024.0,
                resource_s: 15.0,
                everything_s: 60.0,
                everything_mib: 2048.0,
            };
            points.push(bench.large_spec(&plan, &github, &mut rows, &mut notes)?);
        }
        Err(e) => notes.push(format!(
            "GitHub's spec unavailable ({e}): rows 7a-7c skipped"
        )),
    }
    bench.public_points(&plan, &mut points, &mut notes)?;
    bench.scaling(&points, &mut rows, &mut notes)?;
    if plan.build {
        bench.clean_builds(plan.build_runs, &mut rows, &mut notes)?;
    } else {
        notes.push(
            "Rows 2b-2c, 7b-7c and 3 (cargo check / clean cargo build) skipped: --quick or --skip-build."
                .to_owned(),
        );
    }
    bench.decode(&plan, &mut rows)?;
    bench.overhead(&plan, &mut rows)?;
    bench.upload(&plan, &mut rows)?;
    bench.emulator_load(&plan, &mut rows)?;
    let load_after = measure::load_average();

    let header = table::Header {
        mode: if options.quick {
            "quick (smoke)"
        } else {
            "full"
        },
        date: measure::output(Cmd::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]), root)
            .unwrap_or_default(),
        commit: measure::commit(root),
        nproc: std::thread::available_parallelism().map_or(0, |n| n.get()),
        load: format!("{load_before} before, {load_after} after"),
    };
    let markdown = table::render(&header, &rows, &notes);
    let target = if options.quick {
        root.join("bench/tmp/RESULTS.quick.md")
    } else {
        root.join("bench/RESULTS.md")
    };
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::write(&target, &markdown)
        .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    Ok(format!(
        "{markdown}\nwritten to {}\n",
        table::relative(&target, root)
    ))
}

/// Paths of the tools and scratch directories.
struct Bench {
    root: PathBuf,
    target: PathBuf,
    tmp: PathBuf,
}

const STREAM_SPEC: &str = "spec/stream.openapi.json";
const LIST_FIXTURE: &str = "conformance/fixtures/videos_list/thousand_videos.json";
const MIB: f64 = 1024.0 * 1024.0;

impl Bench {
    fn new(root: &Path) -> Result<Self, String> {
        let tmp = root.join("bench/tmp");
        std::fs::create_dir_all(&tmp)
            .map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
        Ok(Bench {
            root: root.to_path_buf(),
            target: root.join("target/bench"),
            tmp,
        })
    }

    fn release_bin(&self, name: &str) -> PathBuf {
        self.target.join("release").join(name)
    }

    fn cargo_release(&self, what: &str, args: &[&str]) -> Result<(), String> {
        measure::progress(&format!("building {what} (release, target/bench)"));
        let mut cmd = Cmd::new("cargo")
            .arg("build")
            .arg("--release")
            .args(args.iter().copied());
        cmd = cmd.arg("--target-dir").arg(self.target.to_string_lossy());
        let out = cmd.run(&self.root)?;
        if !out.success {
            return Err(format!(
                "building {what} failed:\n{}",
                measure::tail(&out.stderr, 30)
            ));
        }
        Ok(())
    }

    fn build_tools(&self, progenitor: bool) -> Result<(), String> {
        self.cargo_release("xtask", &["-p", "xtask"])?;
        self.cargo_release(
            "bench/decode",
            &["--manifest-path", "bench/decode/Cargo.toml"],
        )?;
        self.cargo_release(
            "bench/client",
            &["--manifest-path", "bench/client/Cargo.toml"],
        )?;
        self.cargo_release("bench/plot", &["--manifest-path", "bench/plot/Cargo.toml"])?;
        self.cargo_release(
            "bench/emulator-load",
            &["--manifest-path", "bench/emulator-load/Cargo.toml"],
        )?;
        if progenitor {
            self.cargo_release(
                "bench/progenitor-gen",
                &["--manifest-path", "bench/progenitor-gen/Cargo.toml"],
            )?;
        }
        Ok(())
    }

    /// Runs the release `xtask generate` and returns (generator ms, lines, files, peak KiB).
    fn ours_generate(&self, spec: &Path, out: &Path) -> Result<Generated, String> {
        self.ours_generate_with(spec, None, out)
    }

    /// [`Bench::ours_generate`] with a config.
    fn ours_generate_with(
        &self,
        spec: &Path,
        config: Option<&Path>,
        out: &Path,
    ) -> Result<Generated, String> {
        let mut cmd = Cmd::new(self.release_bin("xtask").to_string_lossy())
            .arg("generate")
            .arg("--spec")
            .arg(spec.to_string_lossy())
            .arg("--out")
            .arg(out.to_string_lossy());
        if let Some(config) = config {
            cmd = cmd.arg("--config").arg(config.to_string_lossy());
        }
        let out = cmd.timed_rss().run(&self.root)?;
        if !out.success {
            return Err(format!(
                "xtask generate --spec {} failed: {}",
                spec.display(),
                measure::tail(&out.stderr, 10)
            ));
        }
        let line = out
            .stdout
            .lines()
            .find(|l| l.starts_with("generated "))
            .ok_or_else(|| format!("no summary line in: {}", measure::tail(&out.stdout, 5)))?;
        Ok(Generated {
            ms: measure::number_before(line, " ms").ok_or("no time in the summary")?,
            lines: measure::number_before(line, " lines)").unwrap_or(0.0) as usize,
            wall_s: out.wall.as_secs_f64(),
            peak_kib: out.peak_kib,
        })
    }

    /// Runs `progenitor-gen` on a spec; `Ok` holds the per-run ms, `Err` how it ended.
    fn progenitor_generate(
        &self,
        spec: &Path,
        runs: usize,
        out: Option<&Path>,
        timeout_s: u64,
    ) -> Result<Result<ProgenitorRun, String>, String> {
        let mut cmd = Cmd::new(self.release_bin("progenitor-gen").to_string_lossy())
            .arg(spec.to_string_lossy())
            .arg("--runs")
            .arg(runs.to_string());
        if let Some(out) = out {
            cmd = cmd.arg("--out").arg(out.to_string_lossy());
        }
        let out = cmd.timed_rss().timeout(timeout_s).run(&self.root)?;
        if out.timed_out {
            return Ok(Err(format!("did not finish within {timeout_s} s")));
        }
        let ms: Vec<f64> = out
            .stdout
            .lines()
            .filter(|l| l.starts_with("progenitor: generated"))
            .filter_map(|l| measure::number_before(l, " ms ("))
            .collect();
        if out.success && !ms.is_empty() {
            let lines = out
                .stdout
                .lines()
                .find_map(|l| measure::number_after(l, "progenitor: generated "))
                .unwrap_or(0.0) as usize;
            return Ok(Ok(ProgenitorRun { ms, lines }));
        }
        let reason = out
            .stdout
            .lines()
            .find(|l| l.starts_with("progenitor: failed"))
            .map(|l| l.trim_start_matches("progenitor: ").to_owned())
            .unwrap_or_else(|| {
                format!(
                    "exited with {}: {}",
                    out.status,
                    measure::tail(&out.stderr, 3).replace('\n', " ")
                )
            });
        let peak = out
            .peak_kib
            .map(|k| format!(" (peak RSS {:.0} MiB)", k as f64 / 1024.0))
            .unwrap_or_default();
        Ok(Err(format!("{reason}{peak}")))
    }

    /// Row 1: the Stream spec, ours vs progenitor; and both on the subset progenitor accepts.
    /// Returns the points of the scaling plot (the spec, and the subset both accept).
    fn generate_stream(
        &self,
        plan: &Plan,
        rows: &mut Vec<Row>,
        notes: &mut Vec<String>,
    ) -> Result<Vec<scale::Point>, String> {
        measure::progress("1. generating the Stream spec");
        let spec = self.root.join(STREAM_SPEC);
        let out = self.tmp.join("ours-stream");
        let _ = std::fs::remove_dir_all(&out);
        let mut runs = Vec::new();
        let mut walls = Vec::new();
        let mut last = None;
        for _ in 0..plan.generate_runs {
            let generated = self.ours_generate(&spec, &out)?;
            runs.push(generated.ms);
            walls.push(generated.wall_s);
            last = Some(generated);
        }
        let last = last.ok_or("no generator run")?;
        let ours_ms = median(&runs);
        let progenitor = if plan.progenitor {
            Some(self.progenitor_generate(&spec, plan.generate_runs, None, 120)?)
        } else {
            None
        };
        rows.push(Row {
            id: "1",
            measure: "Generate the Stream spec (43 operations), median".to_owned(),
            ours: format!("{ours_ms:.1} ms ({} lines)", last.lines),
            other: match &progenitor {
                None => "progenitor: skipped".to_owned(),
                Some(Ok(p)) => format!("progenitor {:.1} ms ({} lines)", median(&p.ms), p.lines),
                Some(Err(end)) => format!("progenitor ends: {}", table::short(end, 110)),
            },
            ratio: match &progenitor {
                Some(Ok(p)) => format!("{:.2}x", median(&p.ms) / ours_ms),
                _ => "n/a".to_owned(),
            },
            target: "< 50 ms".to_owned(),
            verdict: Verdict::of(ours_ms < 50.0),
        });

        let text =
            std::fs::read_to_string(&spec).map_err(|e| format!("{}: {e}", spec.display()))?;
        let mut points = vec![scale::Point {
            name: "Stream".to_owned(),
            bytes: text.len() as u64,
            operations: scale::declared_operations(&text),
            seconds: median(&walls),
            peak_mib: last.peak_kib.map_or(0.0, |k| k as f64 / 1024.0),
            lines: last.lines,
            progenitor: progenitor
                .as_ref()
                .map(|p| p.as_ref().map(|run| run.lines).map_err(Clone::clone)),
        }];
        if !plan.progenitor {
            return Ok(points);
        }
        // The like-for-like comparison: the operations progenitor accepts, both generators.
        let subset = self.tmp.join("stream-progenitor-subset.json");
        let cmd = Cmd::new(self.release_bin("progenitor-gen").to_string_lossy())
            .arg(spec.to_string_lossy())
            .arg("--subset")
            .arg(subset.to_string_lossy());
        let out = cmd.run(&self.root)?;
        if !out.success {
            notes.push(format!(
                "progenitor --subset failed: {}",
                measure::tail(&out.stderr, 3)
            ));
            return Ok(points);
        }
        let accepts = out.stdout.lines().next().unwrap_or_default().to_owned();
        let listed = |what: &str| {
            out.stdout
                .lines()
                .filter_map(|line| line.trim().strip_prefix(what))
                .map(str::trim)
                .collect::<Vec<_>>()
                .join("; ")
        };
        notes.push(format!(
            "Rows 1b and 3: each Stream operation was given to progenitor alone; `{}`. Rejected: {}.",
            accepts.trim_start_matches("progenitor: "),
            listed("rejected:")
        ));
        let dropped = listed("dropped:");
        if !dropped.is_empty() {
            notes.push(format!(
                "Rows 1b and 3: so that progenitor's crate compiles, the subset (given to both \
                 generators) also leaves out each property whose snake_case name an earlier \
                 one of the same object takes: {dropped}."
            ));
        }
        let operations = accepts
            .split_whitespace()
            .nth(2)
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0);
        let ours_out = self.tmp.join("ours-subset");
        let progenitor_out = self.tmp.join("progenitor-subset");
        let _ = std::fs::remove_dir_all(&ours_out);
        let _ = std::fs::remove_dir_all(&progenitor_out);
        let mut ours_runs = Vec::new();
        let mut ours_lines = 0;
        for _ in 0..plan.generate_runs {
            let generated = self.ours_generate(&subset, &ours_out)?;
            ours_runs.push(generated.ms);
            ours_lines = generated.lines;
        }
        let progenitor =
            self.progenitor_generate(&subset, plan.generate_runs, Some(&progenitor_out), 120)?;
        let ours_ms = median(&ours_runs);
        let (other, ratio, verdict) = match &progenitor {
            Ok(p) => {
                let ratio = median(&p.ms) / ours_ms;
                (
                    format!("progenitor {:.1} ms ({} lines)", median(&p.ms), p.lines),
                    format!("{ratio:.2}x"),
                    Verdict::of(ratio >= 5.0),
                )
            }
            Err(end) => (
                format!("progenitor ends: {}", table::short(end, 110)),
                "n/a".to_owned(),
                Verdict::NotMeasured,
            ),
        };
        rows.push(Row {
            id: "1b",
            measure: format!(
                "Generate the Stream operations progenitor accepts ({operations}/43), median"
            ),
            ours: format!("{ours_ms:.1} ms ({ours_lines} lines)"),
            other,
            ratio,
            target: "progenitor/ours >= 5x".to_owned(),
            verdict,
        });
        points.push(scale::Point {
            name: "Stream (progenitor's subset)".to_owned(),
            bytes: std::fs::metadata(&subset).map_or(0, |m| m.len()),
            operations,
            seconds: ours_ms / 1000.0,
            peak_mib: 0.0,
            lines: ours_lines,
            progenitor: Some(progenitor.map(|p| p.lines)),
        });
        Ok(points)
    }

    /// GitHub's description and its config: `--github PATH` or fetched with `npm pack`.
    fn github(&self, options: &Options) -> Result<(PathBuf, PathBuf), String> {
        let spec = match &options.github {
            Some(path) => path.clone(),
            None => crate::public_specs::package_dir(&self.root, crate::public_specs::OCTOKIT)?
                .join(crate::public_specs::GITHUB_PATH),
        };
        if !spec.is_file() {
            return Err(format!("{} not found", spec.display()));
        }
        let config = self.tmp.join("github.toml");
        std::fs::write(&config, crate::public_specs::GITHUB_CONFIG)
            .map_err(|e| format!("{}: {e}", config.display()))?;
        Ok((spec, config))
    }

    /// Points of the public specs (and Microsoft Graph's 20 MB): ours and progenitor's
    /// generation. A spec whose package cannot be fetched is left out with a note.
    fn public_points(
        &self,
        plan: &Plan,
        points: &mut Vec<scale::Point>,
        notes: &mut Vec<String>,
    ) -> Result<(), String> {
        let mut specs: Vec<crate::public_specs::PublicSpec> = crate::public_specs::PUBLIC_SPECS
            .iter()
            .filter(|s| s.name != "github")
            .copied()
            .collect();
        specs.push(crate::public_specs::GRAPH);
        for spec in specs {
            measure::progress(&format!("9. generating the public spec {}", spec.name));
            let path = match crate::public_specs::spec_path(&self.root, &spec) {
                Ok(path) if path.is_file() => path,
                Ok(path) => {
                    notes.push(format!("{} not found: left out of row 9", path.display()));
                    continue;
                }
                Err(e) => {
                    notes.push(format!("{}: {e}: left out of row 9", spec.name));
                    continue;
                }
            };
            let config = match spec.config {
                Some(text) => {
                    let config = self.tmp.join(format!("{}.toml", spec.name));
                    std::fs::write(&config, text)
                        .map_err(|e| format!("{}: {e}", config.display()))?;
                    Some(config)
                }
                None => None,
            };
            let out = self.tmp.join(format!("public-{}", spec.name));
            let mut point =
                self.point(spec.name, &path, config.as_deref(), &out, plan.corpus_runs)?;
            if plan.progenitor {
                point.progenitor = Some(
                    self.progenitor_generate(&path, 1, None, 300)?
                        .map(|run| run.lines),
                );
            }
            let _ = std::fs::remove_dir_all(&out);
            points.push(point);
        }
        Ok(())
    }

    /// Row 3: clean `cargo build` of the generated Stream crate vs progenitor's, same input.
    ///
    /// cargo-progenitor's manifest leaves reqwest without TLS, so that crate cannot reach
    /// an `https://` API; the verdict compares with a copy given reqwest's rustls over
    /// ring, the TLS stack ours builds. Both figures are shown.
    fn clean_builds(
        &self,
        runs: usize,
        rows: &mut Vec<Row>,
        notes: &mut Vec<String>,
    ) -> Result<(), String> {
        let progenitor_crate = self.tmp.join("progenitor-subset");
        let ours_subset = self.tmp.join("ours-subset");
        let compare = progenitor_crate.join("Cargo.toml").is_file() && ours_subset.is_dir();
        // The compared pair (ours and progenitor with TLS, same subset) is built `runs`
        // times, interleaved so that drift on a shared machine hits both alike; the
        // others once. Each crate's figures are medians of its builds.
        let mut crates = vec![("ours (full Stream spec)", self.tmp.join("ours-stream"), 1)];
        if compare {
            let with_tls = self.tmp.join("progenitor-subset-tls");
            progenitor_with_tls(&progenitor_crate, &with_tls)?;
            crates.push(("ours (progenitor's subset)", ours_subset, runs));
            crates.push((
                "progenitor (same subset, its manifest: no TLS)",
                progenitor_crate,
                1,
            ));
            crates.push(("progenitor + reqwest rustls over ring", with_tls, runs));
        } else {
            notes.push(
                "Row 3: no progenitor-generated crate to compare with (progenitor skipped or failed)."
                    .to_owned(),
            );
        }
        let mut results: Vec<Built> = crates
            .iter()
            .map(|(label, dir, _)| Built {
                label,
                built: Ok((Vec::new(), Vec::new())),
                lines: measure::rust_lines(&dir.join("src")),
                runtime: measure::rust_lines(&dir.join("src/runtime")),
            })
            .collect();
        for round in 0..runs {
            for ((label, dir, builds), result) in crates.iter().zip(&mut results) {
                let Ok((clean_s, alone_s)) = &mut result.built else {
                    continue;
                };
                if round >= *builds {
                    continue;
                }
                measure::progress(&format!(
                    "3. clean cargo build ({}/{builds}): {label}",
                    round + 1
                ));
                match self.clean_build(dir)? {
                    Ok((clean, alone)) => {
                        clean_s.push(clean);
                        alone_s.push(alone);
                    }
                    Err(errors) => {
                        notes.push(format!(
                            "Row 3: {label} does not compile; its errors:\n\n```\n{}\n```",
                            errors.join("\n")
                        ));
                        result.built = Err(errors
                            .first()
                            .map_or("cargo build failed".to_owned(), |e| e.to_owned()));
                    }
                }
            }
        }
        let describe = |b: &Built| {
            let runtime = if b.runtime > 0 {
                format!(", of which runtime {}", table::thousands(b.runtime))
            } else {
                String::new()
            };
            let lines = format!("{} lines{runtime}", table::thousands(b.lines));
            match &b.built {
                Ok((clean, alone)) => {
                    let of = if clean.len() > 1 {
                        format!(" (median of {})", clean.len())
                    } else {
                        String::new()
                    };
                    format!(
                        "{}: {:.1} s clean{of}, {:.1} s crate alone; {lines}",
                        b.label,
                        median(clean),
                        median(alone)
                    )
                }
                Err(first) => format!(
                    "{}: does not compile ({}); {lines}",
                    b.label,
                    table::short(first, 90)
                ),
            }
        };
        let measure =
            "Clean `cargo build` (debug, deps included; then the crate alone) and lines of code"
                .to_owned();
        let ours_full = &results[0];
        if let [_, ours, as_written, theirs] = results.as_slice() {
            let (ratio, verdict) = match (&ours.built, &theirs.built) {
                (Ok((o, _)), Ok((t, _))) => {
                    let (o, t) = (median(o), median(t));
                    (
                        format!("{:.2}x (ours/progenitor with TLS, clean)", o / t),
                        Verdict::of(o <= t),
                    )
                }
                (Ok(_), Err(_)) => (
                    "n/a: progenitor's crate does not compile".to_owned(),
                    Verdict::NotMeasured,
                ),
                _ => ("n/a".to_owned(), Verdict::Misses),
            };
            rows.push(Row {
                id: "3",
                measure,
                ours: format!("{}; {}", describe(ours_full), describe(ours)),
                other: format!("{}; {}", describe(theirs), describe(as_written)),
                ratio,
                target: "ours <= progenitor".to_owned(),
                verdict,
            });
        } else {
            rows.push(Row {
                id: "3",
                measure,
                ours: describe(ours_full),
                other: "progenitor: no crate".to_owned(),
                ratio: "n/a".to_owned(),
                target: "ours <= progenitor".to_owned(),
                verdict: if ours_full.built.is_ok() {
                    Verdict::NotMeasured
                } else {
                    Verdict::Misses
                },
            });
        }
        Ok(())
    }

    /// One clean debug build of the crate at `dir` in a fresh target directory, then the
    /// crate alone (its `lib.rs` touched): the two wall times in seconds, or the build's
    /// error lines.
    fn clean_build(&self, dir: &Path) -> Result<Result<(f64, f64), Vec<String>>, String> {
        let target = self.target.join("clean");
        let _ = std::fs::remove_dir_all(&target);
        let cargo = || {
            Cmd::new("cargo")
                .arg("build")
                .arg("--manifest-path")
                .arg(dir.join("Cargo.toml").to_string_lossy())
                .arg("--target-dir")
                .arg(target.to_string_lossy())
                .run(&self.root)
        };
        let clean = cargo()?;
        let built = if clean.success {
            let lib = dir.join("src/lib.rs");
            let text = std::fs::read(&lib).map_err(|e| format!("{}: {e}", lib.display()))?;
            std::fs::write(&lib, text).map_err(|e| format!("{}: {e}", lib.display()))?;
            let again = cargo()?;
            Ok((clean.wall.as_secs_f64(), again.wall.as_secs_f64()))
        } else {
            Err(clean
                .stderr
                .lines()
                .filter(|l| l.starts_with("error[") || l.starts_with("error:"))
                .map(str::to_owned)
                .collect())
        };
        let _ = std::fs::remove_dir_all(&target);
        Ok(built)
    }

    /// Row 4: decoding the 1000-video list.
    fn decode(&self, plan: &Plan, rows: &mut Vec<Row>) -> Result<(), String> {
        measure::progress("4. decoding the 1000-video list");
        let out = Cmd::new(self.release_bin("bench-decode").to_string_lossy())
            .arg(self.root.join(LIST_FIXTURE).to_string_lossy())
            .arg("--rounds")
            .arg(plan.decode_rounds.to_string())
            .arg("--millis-per-round")
            .arg(plan.decode_millis.to_string())
            .run_ok(&self.root, "bench-decode")?;
        let rate = |body: &str, decoder: &str| -> Result<f64, String> {
            let prefix = format!("decode {body} {decoder}: ");
            out.stdout
                .lines()
                .find_map(|l| l.strip_prefix(&prefix))
                .and_then(|rest| measure::number_before(rest, " MB/s"))
                .ok_or_else(|| format!("bench-decode printed no {body} {decoder} line"))
        };
        for (id, body, what) in [
            ("4a", "fixture", "the fixture (124 KB, sparse videos)"),
            ("4b", "full-fields", "1000 fully populated videos (1.6 MB)"),
        ] {
            let typed = rate(body, "typed")?;
            let client = rate(body, "typed-client-path")?;
            let value = rate(body, "value")?;
            let floor = rate(body, "ignored-any")?;
            // The verdict is on the client's own decode (`runtime::decode_json`: the failure
            // envelope scan, then the typed decode of the text), what a caller gets.
            let holds = floor / client <= 1.5 && client > value;
            rows.push(Row {
                id,
                measure: format!("Decode {what}: typed `VideoListEnvelope`"),
                ours: format!(
                    "as the client decodes (`runtime::decode_json`) {client:.0} MB/s; plain `serde_json::from_slice` {typed:.0} MB/s"
                ),
                other: format!("`Value` {value:.0} MB/s; `IgnoredAny` {floor:.0} MB/s"),
                ratio: format!(
                    "floor/client {:.2}x; client/Value {:.2}x",
                    floor / client,
                    client / value
                ),
                target: "floor/client <= 1.5x, client > Value".to_owned(),
                verdict: Verdict::of(holds),
            });
        }
        Ok(())
    }

    /// Row 5: per-request overhead vs bare reqwest.
    fn overhead(&self, plan: &Plan, rows: &mut Vec<Row>) -> Result<(), String> {
        measure::progress("5. per-request overhead");
        let out = Cmd::new(self.release_bin("overhead").to_string_lossy())
            .arg("--requests")
            .arg(plan.requests.to_string())
            .arg("--rounds")
            .arg(plan.request_rounds.to_string())
            .run_ok(&self.root, "overhead")?;
        let value = |prefix: &str| {
            out.stdout
                .lines()
                .find_map(|l| l.strip_prefix(prefix))
                .and_then(|rest| measure::number_before(rest, " µs"))
                .ok_or_else(|| format!("overhead printed no {prefix:?} line"))
        };
        let ours = value("overhead client: ")?;
        let bare = value("overhead bare-reqwest: ")?;
        let ratio = ours / bare;
        rows.push(Row {
            id: "5",
            measure: format!(
                "Per-request cost, `videos().get(..).send()` vs bare reqwest GET + same typed decode ({} sequential requests x {} rounds, median)",
                plan.requests, plan.request_rounds
            ),
            ours: format!("{ours:.1} µs/request"),
            other: format!("bare reqwest {bare:.1} µs/request"),
            ratio: format!("{ratio:.2}x"),
            target: "<= 1.10x".to_owned(),
            verdict: Verdict::of(ratio <= 1.10),
        });
        Ok(())
    }

    /// Row 6: tus upload vs a bare streaming PUT, loopback: from a seekable source (how
    /// paths and files are read), and (6b) from a plain reader, whose chunks are kept.
    fn upload(&self, plan: &Plan, rows: &mut Vec<Row>) -> Result<(), String> {
        measure::progress(&format!(
            "6. uploading {} MiB over loopback (tus from a seekable source and from a reader, and bare PUT)",
            plan.upload_mib
        ));
        let size = plan.upload_mib.to_string();
        let example = self.release_bin("upload_bench");
        let mut seekable = Throughput::default();
        let mut reader = Throughput::default();
        let mut bare = Throughput::default();
        // Runs interleave the three, so drift on a shared machine hits all alike.
        for _ in 0..plan.upload_runs {
            let example = example.to_string_lossy();
            seekable.run(
                &self.root,
                Cmd::new(example.clone()).arg(&size),
                "upload_bench",
            )?;
            let keep = Cmd::new(example).arg(&size).arg("50").arg("reader");
            reader.run(&self.root, keep, "upload_bench reader")?;
            let baseline = Cmd::new(self.release_bin("bare_put").to_string_lossy()).arg(&size);
            bare.run(&self.root, baseline, "bare_put")?;
        }
        let theirs = median(&bare.mib_s);
        let other = format!(
            "bare streaming PUT {theirs:.0} MiB/s, peak RSS {}",
            bare.peak()
        );
        for (id, source, ours) in [
            (
                "6",
                "a seekable source, as paths and files are read",
                &seekable,
            ),
            (
                "6b",
                "a plain reader (each chunk kept for resends)",
                &reader,
            ),
        ] {
            let mib_s = median(&ours.mib_s);
            let ratio = mib_s / theirs;
            let rss_ok = ours
                .peak_kib
                .is_some_and(|k| (k as f64) < 128.0 * MIB / 1024.0);
            rows.push(Row {
                id,
                measure: format!(
                    "tus upload of {} MiB over loopback from {source} (50 MiB chunks), median of {}; peak RSS (server included)",
                    plan.upload_mib, plan.upload_runs
                ),
                ours: format!("{mib_s:.0} MiB/s, peak RSS {}", ours.peak()),
                other: other.clone(),
                ratio: format!("{:.0}%", ratio * 100.0),
                target: ">= 80%, RSS < 128 MiB".to_owned(),
                verdict: Verdict::of(ratio >= 0.8 && rss_ok),
            });
        }
        Ok(())
    }
}

impl Bench {
    /// Row 10: the emulator under 200 concurrent clients of a mixed load (30% writes), with
    /// `--persist` against memory mode in the same run (`bench/emulator-load`).
    fn emulator_load(&self, plan: &Plan, rows: &mut Vec<Row>) -> Result<(), String> {
        let seconds = if plan.progenitor || plan.build {
            "8"
        } else {
            "3"
        };
        let out = Cmd::new(self.release_bin("bench-emulator-load").to_string_lossy())
            .arg(seconds)
            .arg("200")
            .run(&self.root)?;
        if !out.success {
            return Err(format!(
                "bench-emulator-load failed:\n{}",
                measure::tail(&out.stderr, 20)
            ));
        }
        let mode = |name: &str| -> Result<LoadFigures, String> {
            let line = out
                .stdout
                .lines()
                .find(|l| l.starts_with(&format!("mode={name} ")))
                .ok_or_else(|| format!("bench-emulator-load printed no {name} line"))?;
            LoadFigures::parse(line)
        };
        let memory = mode("memory")?;
        let persist = mode("persist")?;
        let ratio = persist.rps / memory.rps;
        rows.push(Row {
            id: "10",
            measure: format!(
                "Emulator under 200 concurrent clients, mixed API load (6 reads, 1 list, 2 edits, 1 create in 10), {seconds} s after a 1 s warm-up: `--persist` (redb, one durable transaction per change) against memory mode, same run"
            ),
            ours: format!(
                "--persist {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms, {} errors",
                persist.rps, persist.p50_ms, persist.p99_ms, persist.errors
            ),
            other: format!(
                "memory {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms, {} errors",
                memory.rps, memory.p50_ms, memory.p99_ms, memory.errors
            ),
            ratio: format!("{:.0}%", ratio * 100.0),
            target: ">= 50% of memory mode, --persist p99 < 200 ms".to_owned(),
            verdict: Verdict::of(
                ratio >= 0.5 && persist.p99_ms < 200.0 && persist.errors == 0 && memory.errors == 0,
            ),
        });
        Ok(())
    }
}

/// One mode's line of `bench-emulator-load`.
struct LoadFigures {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

impl LoadFigures {
    /// Reads `mode=M requests=N rps=R p50_ms=A p99_ms=B errors=E`.
    fn parse(line: &str) -> Result<Self, String> {
        let field = |key: &str| -> Result<f64, String> {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("no {key} in {line:?}"))
        };
        Ok(LoadFigures {
            rps: field("rps")?,
            p50_ms: field("p50_ms")?,
            p99_ms: field("p99_ms")?,
            errors: field("errors")? as u64,
        })
    }
}

/// The runs of one upload program: MiB/s each, and the highest peak RSS.
#[derive(Default)]
struct Throughput {
    mib_s: Vec<f64>,
    peak_kib: Option<u64>,
}

impl Throughput {
    fn run(&mut self, root: &Path, cmd: Cmd, name: &str) -> Result<(), String> {
        let out = cmd.timed_rss().run_ok(root, name)?;
        self.mib_s
            .push(measure::number_before(&out.stdout, " MiB/s").ok_or("no MiB/s")?);
        self.peak_kib = self.peak_kib.max(out.peak_kib);
        Ok(())
    }

    fn peak(&self) -> String {
        measure::peak_mib(self.peak_kib)
    }
}

/// A copy of progenitor's crate whose reqwest has TLS: rustls over ring, as ours builds
/// (`rustls-no-provider` plus rustls's `ring` feature; reqwest 0.13's plain `rustls`
/// would build aws-lc instead).
fn progenitor_with_tls(from: &Path, to: &Path) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(to);
    measure::copy_dir(from, to)?;
    let manifest = to.join("Cargo.toml");
    let text =
        std::fs::read_to_string(&manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
    let mut patched = String::new();
    for line in text.lines() {
        if line.starts_with("reqwest = ") {
            let Some(at) = line.find("features = [") else {
                return Err(format!(
                    "{}: reqwest has no features list",
                    manifest.display()
                ));
            };
            let at = at + "features = [".len();
            patched.push_str(&format!(
                "{}\"rustls-no-provider\", {}\n",
                &line[..at],
                &line[at..]
            ));
            patched.push_str(
                "rustls = { version = \"0.23\", default-features = false, features = [\"ring\", \"std\", \"tls12\"] }\n",
            );
        } else {
            patched.push_str(line);
            patched.push('\n');
        }
    }
    std::fs::write(&manifest, patched).map_err(|e| format!("{}: {e}", manifest.display()))
}

struct Generated {
    ms: f64,
    lines: usize,
    wall_s: f64,
    peak_kib: Option<u64>,
}

/// One crate of row 3: its clean and crate-alone build times (s), or its first error.
struct Built {
    label: &'static str,
    built: Result<(Vec<f64>, Vec<f64>), String>,
    lines: usize,
    runtime: usize,
}

struct ProgenitorRun {
    ms: Vec<f64>,
    lines: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progenitor_copy_gets_rustls_over_ring() {
        let dir = tempfile::tempdir().unwrap();
        let (from, to) = (dir.path().join("p"), dir.path().join("p-tls"));
        std::fs::create_dir_all(from.join("src")).unwrap();
        std::fs::write(from.join("src/lib.rs"), "pub fn f() {}\n").unwrap();
        std::fs::write(
            from.join("Cargo.toml"),
            "[dependencies]\nbytes = \"1.9\"\nreqwest = { version = \"0.13\", default-features=false, features = [\"json\", \"stream\"] }\n",
        )
        .unwrap();
        progenitor_with_tls(&from, &to).unwrap();
        assert_eq!(
            std::fs::read_to_string(to.join("Cargo.toml")).unwrap(),
            "[dependencies]\nbytes = \"1.9\"\nreqwest = { version = \"0.13\", default-features=false, features = [\"rustls-no-provider\", \"json\", \"stream\"] }\nrustls = { version = \"0.23\", default-features = false, features = [\"ring\", \"std\", \"tls12\"] }\n"
        );
        assert_eq!(
            std::fs::read_to_string(to.join("src/lib.rs")).unwrap(),
            "pub fn f() {}\n"
        );
        // A manifest whose reqwest has no features list is refused, not half patched.
        std::fs::write(from.join("Cargo.toml"), "reqwest = \"0.13\"\n").unwrap();
        assert!(progenitor_with_tls(&from, &to).is_err());
    }
}
