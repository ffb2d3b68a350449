//! What one builtin run produced ([`Outcome`]): findings, notes and file
//! counts, merged across batches and rendered as the gate's output.
//!
//! Rendering only formats; whether the findings fail the gate is the
//! judge's business.

use super::finding::Finding;
use super::Kind;
use std::fmt::Write as _;

/// What a builtin produced.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub findings: Vec<Finding>,
    /// Files that could not be checked, and why.
    pub notes: Vec<String>,
    pub files: usize,
    pub binary: usize,
    /// The run was stopped (Ctrl-C) before every file was checked.
    pub cancelled: bool,
}

impl Outcome {
    /// Both outcomes as one, findings in file order.
    pub(crate) fn merge(mut self, other: Outcome) -> Outcome {
        self.findings.extend(other.findings);
        self.sort_findings();
        self.notes.extend(other.notes);
        self.files += other.files;
        self.binary += other.binary;
        self.cancelled |= other.cancelled;
        self
    }

    /// Puts the findings in file, line and column order.
    pub(super) fn sort_findings(&mut self) {
        self.findings
            .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    }

    /// The gate's output: one line per finding (the first `limit`), the
    /// notes, a summary.
    pub(crate) fn render(&self, kind: Kind, limit: usize) -> String {
        let mut text = listing(&self.findings, limit);
        for note in &self.notes {
            let _ = writeln!(text, "note: {note}");
        }
        let _ = write!(
            text,
            "{}: {} finding{} in {} file{}",
            kind.name(),
            self.findings.len(),
            plural(self.findings.len()),
            self.files,
            plural(self.files)
        );
        if self.binary > 0 {
            let _ = write!(text, " ({} binary skipped)", self.binary);
        }
        text.push('\n');
        text
    }
}

/// One line per finding (the first `limit`), and how many more.
fn listing(findings: &[Finding], limit: usize) -> String {
    let mut text = String::new();
    for f in findings.iter().take(limit) {
        let _ = write!(text, "{}  {}  {}", f.location(), f.rule, f.message);
        if let Some(fp) = &f.fingerprint {
            let _ = write!(text, "  [fingerprint {fp}]");
        }
        text.push('\n');
    }
    if findings.len() > limit {
        let _ = writeln!(
            text,
            "… and {} more (every finding is in the JSON and SARIF reports)",
            findings.len() - limit
        );
    }
    text
}

/// The output of a builtin whose findings metric counts new code only
/// (`scope = "new"`): `output` as [`Outcome::render`] wrote it, its listing
/// replaced by the `new` findings' and a line saying how many of all
/// `total` findings are on unchanged lines, counted by no metric of it and
/// listed nowhere; its notes and summary kept.
pub(crate) fn new_code_output(output: &str, new: &[Finding], total: usize, limit: usize) -> String {
    let mut text = listing(new, limit);
    let old = total.saturating_sub(new.len());
    if old > 0 {
        let _ = writeln!(
            text,
            "{old} finding{} on unchanged lines not listed (scope = \"new\": only new code counts)",
            plural(old)
        );
    }
    let mut lines: Vec<&str> = output.lines().collect();
    let summary = lines.pop();
    for note in lines.iter().filter(|l| l.starts_with("note: ")) {
        text.push_str(note);
        text.push('\n');
    }
    if let Some(summary) = summary {
        text.push_str(summary);
        text.push('\n');
    }
    text
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
