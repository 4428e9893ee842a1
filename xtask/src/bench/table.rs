//! The results table, as Markdown (printed and written to `bench/RESULTS.md`).

use std::fmt::Write as _;
use std::path::Path;

/// Whether a row meets the project's target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Holds,
    Misses,
    NotMeasured,
}

impl Verdict {
    pub fn of(holds: bool) -> Self {
        if holds {
            Verdict::Holds
        } else {
            Verdict::Misses
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Misses => "**misses**",
            Verdict::NotMeasured => "n/a",
        }
    }
}

/// One measured row.
pub struct Row {
    pub id: &'static str,
    pub measure: String,
    pub ours: String,
    pub other: String,
    pub ratio: String,
    pub target: String,
    pub verdict: Verdict,
}

/// Where and when the figures were taken.
pub struct Header {
    pub mode: &'static str,
    pub date: String,
    pub commit: String,
    pub nproc: usize,
    pub load: String,
}

pub fn render(header: &Header, rows: &[Row], notes: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Benchmarks\n");
    let _ = writeln!(
        out,
        "`cargo xtask bench` ({} mode), {}, commit {}, nproc {}, load average {}.",
        header.mode, header.date, header.commit, header.nproc, header.load
    );
    let _ = writeln!(
        out,
        "Figures come from a shared machine (other builds may run alongside): compare ratios \
         taken in the same run rather than absolute times across runs.\n"
    );
    let _ = writeln!(
        out,
        "| # | measure | ours | comparison | ratio | target | verdict |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    for row in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            row.id,
            cell(&row.measure),
            cell(&row.ours),
            cell(&row.other),
            cell(&row.ratio),
            cell(&row.target),
            row.verdict.as_str()
        );
    }
    let holds = rows.iter().filter(|r| r.verdict == Verdict::Holds).count();
    let misses = rows.iter().filter(|r| r.verdict == Verdict::Misses).count();
    let _ = writeln!(out, "\nTargets: {holds} hold, {misses} missed.");
    if !notes.is_empty() {
        let _ = writeln!(out, "\nNotes:\n");
        for note in notes {
            let _ = writeln!(out, "- {note}");
        }
    }
    out
}

/// A table cell: no pipes or newlines.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// `text` cut to `max` characters.
pub fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}...")
    }
}

/// 1159314 -> 1,159,314.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `path` relative to the workspace root when it is inside it.
pub fn relative(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers_and_cells() {
        assert_eq!(thousands(1_159_314), "1,159,314");
        assert_eq!(thousands(999), "999");
        assert_eq!(cell("a|b\nc"), "a\\|b c");
        assert_eq!(short("abcdef", 3), "abc...");
    }
}
