//! Running the measured processes: wall time, peak RSS (`/usr/bin/time -v` for one
//! process; sampling `/proc` for a whole process tree, as a parallel `cargo` build is),
//! timeouts, and reading numbers back from their output.

use std::fmt::Write as _;
use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A command to run from the workspace root.
pub struct Cmd {
    program: String,
    args: Vec<String>,
    rss: bool,
    tree: bool,
    timeout_s: Option<u64>,
    memory_gib: Option<u64>,
}

/// What a finished command left.
pub struct Output {
    pub success: bool,
    pub status: String,
    pub stdout: String,
    pub stderr: String,
    pub wall: Duration,
    /// Peak resident set size in KiB, when measured with `timed_rss`: of the one process
    /// (or its largest child) `/usr/bin/time` reports.
    pub peak_kib: Option<u64>,
    /// Peak of the summed resident set sizes of the whole process tree, sampled every
    /// 50 ms from `/proc` (Linux), when measured with `tree_rss`.
    pub tree_peak_kib: Option<u64>,
    pub timed_out: bool,
}

const TIME: &str = "/usr/bin/time";

impl Cmd {
    pub fn new(program: impl Into<String>) -> Self {
        Cmd {
            program: program.into(),
            args: Vec::new(),
            rss: false,
            tree: false,
            timeout_s: None,
            memory_gib: None,
        }
    }

    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Measure the peak RSS with `/usr/bin/time -v` (when it exists).
    pub fn timed_rss(mut self) -> Self {
        self.rss = Path::new(TIME).is_file();
        self
    }

    /// Measure the peak RSS of the whole process tree (cargo and every rustc it runs at
    /// once), sampling `/proc`; `/usr/bin/time` reports only the largest single process.
    pub fn tree_rss(mut self) -> Self {
        self.tree = Path::new("/proc/self/status").is_file();
        self
    }

    /// Kill the process after this many seconds (through coreutils `timeout`).
    pub fn timeout(mut self, seconds: u64) -> Self {
        self.timeout_s = Some(seconds);
        self
    }

    /// Cap the address space of the process and its children (`prlimit --as`), so a
    /// runaway compile fails instead of starving the machine.
    pub fn memory_limit_gib(mut self, gib: u64) -> Self {
        self.memory_gib = Some(gib);
        self
    }

    /// Runs it like [`Cmd::run`]; a failure is an error naming `name` with the end of
    /// its stderr.
    pub fn run_ok(&self, dir: &Path, name: &str) -> Result<Output, String> {
        let out = self.run(dir)?;
        if !out.success {
            return Err(format!("{name} failed: {}", tail(&out.stderr, 5)));
        }
        Ok(out)
    }

    pub fn run(&self, dir: &Path) -> Result<Output, String> {
        let mut argv: Vec<String> = Vec::new();
        if let Some(gib) = self.memory_gib
            && Path::new("/usr/bin/prlimit").is_file()
        {
            argv.extend([
                "/usr/bin/prlimit".to_owned(),
                format!("--as={}", gib << 30),
                "--".to_owned(),
            ]);
        }
        if let Some(seconds) = self.timeout_s {
            argv.extend(["timeout".to_owned(), format!("{seconds}s")]);
        }
        if self.rss {
            argv.extend([TIME.to_owned(), "-v".to_owned()]);
        }
        argv.push(self.program.clone());
        argv.extend(self.args.iter().cloned());
        let started = Instant::now();
        let mut child = Command::new(&argv[0])
            .args(&argv[1..])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", argv.join(" ")))?;
        let sampler = self.tree.then(|| TreeSampler::start(child.id()));
        // Drain stderr on a thread so neither pipe fills up and blocks the child.
        let mut stderr_pipe = child.stderr.take();
        let stderr_thread = std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(pipe) = stderr_pipe.as_mut() {
                let _ = pipe.read_to_string(&mut text);
            }
            text
        });
        let mut stdout = String::new();
        if let Some(mut pipe) = child.stdout.take() {
            let _ = pipe.read_to_string(&mut stdout);
        }
        let status = child
            .wait()
            .map_err(|e| format!("waiting for {}: {e}", argv.join(" ")))?;
        let wall = started.elapsed();
        let tree_peak_kib = sampler.map(TreeSampler::finish);
        let stderr = stderr_thread.join().unwrap_or_default();
        let peak_kib = if self.rss {
            stderr
                .lines()
                .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
                .and_then(|n| n.trim().parse().ok())
        } else {
            None
        };
        Ok(Output {
            success: status.success(),
            status: status.to_string(),
            // `timeout` exits 124 when it had to kill the command.
            timed_out: self.timeout_s.is_some() && status.code() == Some(124),
            stdout,
            stderr,
            wall,
            peak_kib,
            tree_peak_kib,
        })
    }
}

/// Samples the summed RSS of a process and all its descendants on a thread.
struct TreeSampler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<u64>,
}

impl TreeSampler {
    fn start(root: u32) -> Self {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut peak = 0;
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(tree_rss_kib(root));
                std::thread::sleep(Duration::from_millis(50));
            }
            peak
        });
        TreeSampler { stop, thread }
    }

    /// The peak in KiB.
    fn finish(self) -> u64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.join().unwrap_or(0)
    }
}

/// The summed `VmRSS` of `root` and its descendants now, in KiB (0 when unreadable).
pub fn tree_rss_kib(root: u32) -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut children: std::collections::HashMap<u32, Vec<u32>> = Default::default();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // `pid (comm) state ppid ...`; comm may hold spaces and parentheses.
        let ppid = stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(ppid) = ppid {
            children.entry(ppid).or_default().push(pid);
        }
    }
    let mut total = 0;
    let mut pending = vec![root];
    while let Some(pid) = pending.pop() {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            total += status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .unwrap_or(0);
        }
        pending.extend(children.remove(&pid).unwrap_or_default());
    }
    total
}

/// A command's trimmed stdout, if it succeeded.
pub fn output(cmd: Cmd, dir: &Path) -> Option<String> {
    let out = cmd.run(dir).ok()?;
    out.success.then(|| out.stdout.trim().to_owned())
}

/// `git rev-parse --short HEAD`, with `+ uncommitted changes` when the tree is dirty.
pub fn commit(root: &Path) -> String {
    let head = output(Cmd::new("git").args(["rev-parse", "--short", "HEAD"]), root)
        .unwrap_or_else(|| "unknown".to_owned());
    let dirty = output(Cmd::new("git").args(["status", "--porcelain"]), root)
        .is_some_and(|s| !s.is_empty());
    if dirty {
        format!("{head} + uncommitted changes")
    } else {
        head
    }
}

/// The 1-minute load average (`/proc/loadavg`), or `?`.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

/// One progress line on stderr (the table goes to stdout).
pub fn progress(message: &str) {
    eprintln!("bench: {message}");
}

/// The median (upper median for an even count); 0 for none.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(0.0)
}

/// The number that ends right before the first `suffix` in `text` (`in 40.2 ms` -> 40.2).
pub fn number_before(text: &str, suffix: &str) -> Option<f64> {
    let end = text.find(suffix)?;
    let head = &text[..end];
    let start = head
        .rfind(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map_or(0, |i| i + 1);
    head[start..].parse().ok()
}

/// The number that starts right after the first `prefix` in `text`.
pub fn number_after(text: &str, prefix: &str) -> Option<f64> {
    let start = text.find(prefix)? + prefix.len();
    let tail = &text[start..];
    let end = tail
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(tail.len());
    tail[..end].parse().ok()
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    for line in &lines[lines.len().saturating_sub(n)..] {
        let _ = writeln!(out, "{line}");
    }
    out.trim_end().to_owned()
}

/// Lines of every `.rs` file under `dir`.
pub fn rust_lines(dir: &Path) -> usize {
    let mut total = 0;
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                total += std::fs::read_to_string(&path).map_or(0, |t| t.lines().count());
            }
        }
    }
    total
}

/// A peak RSS in KiB as whole MiB (`597 MiB`), or `unknown`.
pub fn peak_mib(peak_kib: Option<u64>) -> String {
    peak_kib.map_or("unknown".to_owned(), |k| {
        format!("{:.0} MiB", k as f64 / 1024.0)
    })
}

/// Copies the directory tree `from` to `to` (files and directories only; a `target`
/// directory is left out). A dozen lines, so no crate for it.
pub fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    let entries = std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", from.display()))?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        if source.is_dir() {
            if entry.file_name() != "target" {
                copy_dir(&source, &target)?;
            }
        } else {
            std::fs::copy(&source, &target).map_err(|e| format!("{}: {e}", source.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_back_from_summary_lines() {
        let line =
            "generated 13 files (10261 lines) from spec/stream.openapi.json in 57.1 ms: up to date";
        assert_eq!(number_before(line, " ms"), Some(57.1));
        assert_eq!(number_before(line, " lines)"), Some(10261.0));
        assert_eq!(number_after(line, "generated "), Some(13.0));
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(tail("a\nb\nc", 2), "b\nc");
    }

    #[test]
    fn tree_rss_counts_children() {
        if !Path::new("/proc/self/status").is_file() {
            return;
        }
        // A shell whose child holds ~64 MiB: the tree's peak includes it.
        let out = Cmd::new("sh")
            .args([
                "-c",
                "head -c 67108864 /dev/zero | tail -c 1 >/dev/null; sleep 0.2",
            ])
            .tree_rss()
            .run(Path::new("."))
            .unwrap();
        assert!(out.success);
        assert!(
            out.tree_peak_kib.is_some_and(|k| k > 0),
            "{:?}",
            out.tree_peak_kib
        );
        assert!(tree_rss_kib(std::process::id()) > 1024);
    }
}
