//! Built-in checks (DESIGN §9): native code, parallel over files, no
//! external tool.
//!
//! A builtin is given a list of files (the gate's inputs) and returns
//! [`Finding`]s and notes. It reads each file at most once, never follows a
//! symlink, never opens anything but a regular file (a FIFO cannot hang it),
//! skips binary files (a NUL byte in the first 8000 bytes, as git decides)
//! and files over [`MAX_SCAN_BYTES`], which get a note instead of being
//! loaded. Whether the findings fail the gate is the judge's business: they
//! become the `findings` metric.

pub mod secrets;
mod syntax;

use crate::files::root::Root;
use rayon::prelude::*;
use regex::bytes::Regex;
use secrets::{Scanner, SecretRule};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;

pub use crate::config::builtin_options::{parse_size, Kind, Matcher, Pattern, Spec};

/// Files larger than this are not read by content checks; they get a note.
pub const MAX_SCAN_BYTES: u64 = 32 << 20;

/// How many leading bytes decide that a file is binary.
const BINARY_PROBE: usize = 8000;

/// The marker that allows a finding on its line.
pub const ALLOW_MARKER: &[u8] = b"pqg:allow";

/// The profile `pqg check` runs when no gates.toml is found (DESIGN §9).
pub const DEFAULT_PROFILE: &str = r#"
[gates.secrets]
description = "no credentials or private keys in the files"
builtin = "secrets"

[gates.conflict-markers]
description = "no merge conflict markers left in the files"
builtin = "conflict-markers"

[gates.large-files]
description = "no file larger than 1 MiB"
builtin = "large-files"

[gates.syntax]
description = "JSON, TOML and YAML files parse"
builtin = "syntax"
"#;

impl Spec {
    /// The rules this builtin can report, for SARIF's rule list.
    pub fn rules(&self) -> Vec<RuleInfo> {
        match self.kind {
            Kind::Secrets => Scanner::rule_infos(&self.rules),
            Kind::ConflictMarkers => vec![RuleInfo::new(
                "conflict-marker",
                "merge conflict marker left in a file",
            )],
            Kind::LargeFiles => vec![RuleInfo::new("large-file", "file larger than the limit")],
            Kind::Forbidden => self
                .patterns
                .iter()
                .map(|p| RuleInfo::new(&p.id, &p.message))
                .collect(),
            Kind::Syntax => syntax::RULES
                .iter()
                .map(|(id, d)| RuleInfo::new(id, d))
                .collect(),
        }
    }
}

/// A rule's id and one-line description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    pub id: String,
    pub description: String,
}

impl RuleInfo {
    fn new(id: &str, description: &str) -> RuleInfo {
        RuleInfo {
            id: id.to_owned(),
            description: description.to_owned(),
        }
    }
}

impl Scanner {
    fn rule_infos(extra: &[SecretRule]) -> Vec<RuleInfo> {
        secrets::builtin_rules()
            .iter()
            .chain(extra)
            .map(|r| RuleInfo::new(&r.id, &r.description))
            .collect()
    }
}

/// One thing a builtin found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Relative to the config's folder, with `/`.
    pub file: String,
    /// 1-based; absent when the finding is about the whole file.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub line: Option<u32>,
    /// 1-based, in characters.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub column: Option<u32>,
    pub rule: String,
    pub message: String,
    /// A hash of the rule and the matched text, never of the position: what
    /// an `allow` entry names.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub fingerprint: Option<String>,
}

impl Finding {
    /// `file:line:col`, or the file alone.
    pub fn location(&self) -> String {
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", self.file),
            (Some(l), None) => format!("{}:{l}", self.file),
            _ => self.file.clone(),
        }
    }
}

/// What a builtin produced.
#[derive(Debug, Default)]
pub struct Outcome {
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
    pub fn merge(mut self, other: Outcome) -> Outcome {
        self.findings.extend(other.findings);
        self.findings
            .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        self.notes.extend(other.notes);
        self.files += other.files;
        self.binary += other.binary;
        self.cancelled |= other.cancelled;
        self
    }

    /// The gate's output: one line per finding (the first `limit`), the
    /// notes, a summary.
    pub fn render(&self, kind: Kind, limit: usize) -> String {
        let mut text = String::new();
        for f in self.findings.iter().take(limit) {
            let _ = write!(text, "{}  {}  {}", f.location(), f.rule, f.message);
            if let Some(fp) = &f.fingerprint {
                let _ = write!(text, "  [fingerprint {fp}]");
            }
            text.push('\n');
        }
        if self.findings.len() > limit {
            let _ = writeln!(
                text,
                "… and {} more (every finding is in the JSON and SARIF reports)",
                self.findings.len() - limit
            );
        }
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

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// What checking one file gave.
enum FileResult {
    Checked(Vec<Finding>),
    Binary,
    Note(String),
    /// Not a regular file (a symlink, a FIFO, gone): nothing to check.
    Nothing,
}

/// The prepared state of a check, shared by the threads.
enum Checker<'s> {
    Secrets {
        scanner: Scanner,
        allow: &'s [String],
    },
    ConflictMarkers,
    LargeFiles {
        max_size: u64,
    },
    Forbidden {
        literals: Option<aho_corasick::AhoCorasick>,
        literal_ids: Vec<usize>,
        regexes: Vec<(usize, &'s Regex)>,
        patterns: &'s [Pattern],
        allow: &'s [String],
    },
    Syntax,
}

/// Runs the builtin over `files` (relative to `root`). `stop` is polled
/// between files: when it says so, the run ends early and is marked
/// cancelled.
pub fn execute(
    spec: &Spec,
    root: &Path,
    files: &[&str],
    stop: &(dyn Fn() -> bool + Sync),
) -> Outcome {
    let checker = Checker::new(spec);
    let root = match Root::open(root) {
        Ok(r) => r,
        Err(e) => {
            return Outcome {
                notes: vec![format!("cannot open `{}`: {e}", root.display())],
                ..Outcome::default()
            }
        }
    };
    let results: Vec<Option<(usize, FileResult)>> = files
        .par_iter()
        .enumerate()
        .map(|(i, rel)| {
            if stop() {
                return None;
            }
            Some((i, checker.check(&root, rel)))
        })
        .collect();
    let mut outcome = Outcome::default();
    for item in results {
        let Some((i, result)) = item else {
            outcome.cancelled = true;
            continue;
        };
        match result {
            FileResult::Checked(found) => {
                outcome.files += 1;
                outcome.findings.extend(found);
            }
            FileResult::Binary => {
                outcome.files += 1;
                outcome.binary += 1;
            }
            FileResult::Note(note) => outcome.notes.push(format!("{}: {note}", files[i])),
            FileResult::Nothing => {}
        }
    }
    outcome
        .findings
        .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    outcome
}

impl<'s> Checker<'s> {
    fn new(spec: &'s Spec) -> Checker<'s> {
        match spec.kind {
            Kind::Secrets => Checker::Secrets {
                scanner: Scanner::new(&spec.rules),
                allow: &spec.allow,
            },
            Kind::ConflictMarkers => Checker::ConflictMarkers,
            Kind::LargeFiles => Checker::LargeFiles {
                max_size: spec.max_size,
            },
            Kind::Forbidden => {
                let mut literal_ids = Vec::new();
                let mut literal_texts = Vec::new();
                let mut regexes = Vec::new();
                for (i, p) in spec.patterns.iter().enumerate() {
                    match &p.matcher {
                        Matcher::Literal(s) => {
                            literal_ids.push(i);
                            literal_texts.push(s.as_str());
                        }
                        Matcher::Regex(r) => regexes.push((i, r)),
                    }
                }
                let literals = (!literal_texts.is_empty()).then(|| {
                    aho_corasick::AhoCorasick::builder()
                        .match_kind(aho_corasick::MatchKind::Standard)
                        .build(&literal_texts)
                        .expect("literal patterns build")
                });
                Checker::Forbidden {
                    literals,
                    literal_ids,
                    regexes,
                    patterns: &spec.patterns,
                    allow: &spec.allow,
                }
            }
            Kind::Syntax => Checker::Syntax,
        }
    }

    fn check(&self, root: &Root, rel: &str) -> FileResult {
        if let Checker::LargeFiles { max_size } = self {
            // Size alone: binary files are what this check is for.
            return match root.lstat(rel) {
                Ok((state, _)) if state.mode & libc::S_IFMT == libc::S_IFREG => {
                    let mut found = Vec::new();
                    if state.size > *max_size {
                        found.push(Finding {
                            file: rel.to_owned(),
                            line: None,
                            column: None,
                            rule: "large-file".to_owned(),
                            message: format!(
                                "{} is larger than the limit of {}",
                                human_bytes(state.size),
                                human_bytes(*max_size)
                            ),
                            fingerprint: None,
                        });
                    }
                    FileResult::Checked(found)
                }
                Ok(_) => FileResult::Nothing,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileResult::Nothing,
                Err(e) => FileResult::Note(format!("cannot read: {e}")),
            };
        }
        if let Checker::Syntax = self {
            if syntax::Format::of(rel).is_none() {
                return FileResult::Nothing;
            }
        }
        let content = match read_regular(root, rel) {
            Ok(Some(c)) => c,
            Ok(None) => return FileResult::Nothing,
            Err(ReadError::TooLarge(size)) => {
                return FileResult::Note(format!(
                    "not checked: {} is larger than the {} pqg reads",
                    human_bytes(size),
                    human_bytes(MAX_SCAN_BYTES)
                ))
            }
            Err(ReadError::Io(e)) => return FileResult::Note(format!("cannot read: {e}")),
        };
        let probe = &content[..content.len().min(BINARY_PROBE)];
        if memchr::memchr(0, probe).is_some() {
            return FileResult::Binary;
        }
        let mut found = Vec::new();
        match self {
            Checker::Secrets { scanner, allow } => {
                scan_secrets(scanner, allow, rel, &content, &mut found)
            }
            Checker::ConflictMarkers => scan_conflicts(rel, &content, &mut found),
            Checker::Forbidden {
                literals,
                literal_ids,
                regexes,
                patterns,
                allow,
            } => {
                let mut hits: Vec<(usize, usize, usize)> = Vec::new();
                if let Some(ac) = literals {
                    for m in ac.find_overlapping_iter(&content[..]) {
                        hits.push((literal_ids[m.pattern().as_usize()], m.start(), m.end()));
                    }
                }
                for (i, re) in regexes {
                    for m in re.find_iter(&content) {
                        hits.push((*i, m.start(), m.end()));
                    }
                }
                hits.sort_by_key(|&(i, start, _)| (start, i));
                let mut lines = LineIndex::new(&content);
                for (i, start, end) in hits {
                    let p = &patterns[i];
                    found.extend(unless_allowed(
                        &mut lines,
                        allow,
                        rel,
                        &p.id,
                        start..end,
                        || p.message.clone(),
                    ));
                }
            }
            Checker::Syntax => {
                if let Some(f) = syntax::check(rel, &content) {
                    match f {
                        Ok(finding) => found.push(finding),
                        Err(note) => return FileResult::Note(note),
                    }
                }
            }
            Checker::LargeFiles { .. } => unreachable!("handled above"),
        }
        FileResult::Checked(found)
    }
}

enum ReadError {
    TooLarge(u64),
    Io(std::io::Error),
}

/// Reads a regular file whole, without following a symlink and without
/// blocking on a FIFO; `None` for anything that is not a regular file or is
/// gone.
fn read_regular(root: &Root, rel: &str) -> Result<Option<Vec<u8>>, ReadError> {
    let file = match root.open_nofollow(rel) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        // O_NOFOLLOW on a symlink.
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Ok(None),
        Err(e) => return Err(ReadError::Io(e)),
    };
    let meta = file.metadata().map_err(ReadError::Io)?;
    if !meta.file_type().is_file() {
        return Ok(None);
    }
    if meta.len() > MAX_SCAN_BYTES {
        return Err(ReadError::TooLarge(meta.len()));
    }
    let mut content = Vec::with_capacity(meta.len() as usize);
    // Bounded even if the file grows while it is read.
    file.take(MAX_SCAN_BYTES + 1)
        .read_to_end(&mut content)
        .map_err(ReadError::Io)?;
    if content.len() as u64 > MAX_SCAN_BYTES {
        return Err(ReadError::TooLarge(content.len() as u64));
    }
    Ok(Some(content))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

/// The fingerprint of a finding: a hash of the rule and the matched text.
pub fn fingerprint(rule: &str, matched: &[u8]) -> String {
    let mut h = blake3::Hasher::new();
    h.update(b"pqg-fingerprint-1\0");
    h.update(rule.as_bytes());
    h.update(b"\0");
    h.update(matched);
    h.finalize().to_hex()[..32].to_owned()
}

/// The secret as shown: its first 4 characters, then `…`.
pub fn mask(secret: &[u8]) -> String {
    let text = String::from_utf8_lossy(secret);
    let head: String = text.chars().take(4).collect();
    format!("{head}…")
}

/// Turns byte offsets into lines and columns, moving forward.
struct LineIndex<'c> {
    content: &'c [u8],
    /// Offset where the current line starts, and its number.
    line_start: usize,
    line: u32,
}

impl<'c> LineIndex<'c> {
    fn new(content: &'c [u8]) -> Self {
        LineIndex {
            content,
            line_start: 0,
            line: 1,
        }
    }

    /// Line, column (in characters) and the whole line of `offset`. Offsets
    /// must not go backwards by more than the current line.
    fn locate(&mut self, offset: usize) -> (u32, u32, &'c [u8]) {
        if offset < self.line_start {
            self.line_start = 0;
            self.line = 1;
        }
        self.line +=
            memchr::memchr_iter(b'\n', &self.content[self.line_start..offset]).count() as u32;
        if let Some(last) = memchr::memrchr(b'\n', &self.content[self.line_start..offset]) {
            self.line_start += last + 1;
        }
        let column = 1 + self.content[self.line_start..offset]
            .iter()
            .filter(|&&b| b & 0xC0 != 0x80)
            .count() as u32;
        let end = memchr::memchr(b'\n', &self.content[offset..])
            .map_or(self.content.len(), |e| offset + e);
        (self.line, column, &self.content[self.line_start..end])
    }
}

fn scan_secrets(
    scanner: &Scanner,
    allow: &[String],
    rel: &str,
    content: &[u8],
    found: &mut Vec<Finding>,
) {
    let triggered = scanner.triggered(content);
    if triggered.is_empty() {
        return;
    }
    let mut hits: Vec<(usize, usize, usize)> = Vec::new();
    for r in triggered {
        let rule = &scanner.rules[r];
        for caps in rule.regex.captures_iter(content) {
            let Some(m) = caps
                .name("secret")
                .or_else(|| caps.get(1))
                .or_else(|| caps.get(0))
            else {
                continue;
            };
            let secret = m.as_bytes();
            if secrets::is_placeholder(secret) {
                continue;
            }
            if rule
                .entropy
                .is_some_and(|floor| secrets::entropy(secret) < floor)
            {
                continue;
            }
            hits.push((m.start(), r, m.end()));
        }
    }
    hits.sort_unstable();
    // One finding per secret: a value two rules match is reported by the
    // more specific (earlier) rule, whatever lies between them in order.
    let mut seen = std::collections::HashSet::new();
    hits.retain(|&(start, _, end)| seen.insert((start, end)));
    let mut lines = LineIndex::new(content);
    for (start, r, end) in hits {
        let rule = &scanner.rules[r];
        found.extend(unless_allowed(
            &mut lines,
            allow,
            rel,
            &rule.id,
            start..end,
            || format!("{}: {}", rule.description, mask(&content[start..end])),
        ));
    }
}

/// The finding of `rule` at `span`, unless its line holds `pqg:allow` or
/// its fingerprint (of the rule and the matched text) is in `allow`.
fn unless_allowed(
    lines: &mut LineIndex<'_>,
    allow: &[String],
    rel: &str,
    rule: &str,
    span: std::ops::Range<usize>,
    message: impl FnOnce() -> String,
) -> Option<Finding> {
    let (line, column, text) = lines.locate(span.start);
    if contains(text, ALLOW_MARKER) {
        return None;
    }
    let fp = fingerprint(rule, &lines.content[span]);
    if allow.iter().any(|a| a == &fp) {
        return None;
    }
    Some(Finding {
        file: rel.to_owned(),
        line: Some(line),
        column: Some(column),
        rule: rule.to_owned(),
        message: message(),
        fingerprint: Some(fp),
    })
}

fn scan_conflicts(rel: &str, content: &[u8], found: &mut Vec<Finding>) {
    let mut opened = false;
    let mut start = 0;
    let mut line = 0u32;
    while start < content.len() {
        let end = memchr::memchr(b'\n', &content[start..]).map_or(content.len(), |e| start + e);
        line += 1;
        let text = &content[start..end];
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if let Some(&first) = text.first() {
            if matches!(first, b'<' | b'>' | b'=' | b'|') {
                let marker = |m: &[u8]| text.starts_with(m) && (text.len() == 7 || text[7] == b' ');
                let kind = if marker(b"<<<<<<<") {
                    opened = true;
                    Some("start of a conflict (<<<<<<<)")
                } else if marker(b">>>>>>>") {
                    Some("end of a conflict (>>>>>>>)")
                } else if opened && text == b"=======" {
                    Some("conflict separator (=======)")
                } else if opened && marker(b"|||||||") {
                    Some("conflict base (|||||||)")
                } else {
                    None
                };
                if let Some(what) = kind {
                    found.push(Finding {
                        file: rel.to_owned(),
                        line: Some(line),
                        column: Some(1),
                        rule: "conflict-marker".to_owned(),
                        message: format!("merge conflict marker: {what}"),
                        fingerprint: None,
                    });
                }
            }
        }
        start = end + 1;
    }
}

/// Bytes as people read them: `1.5 MiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else if value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_count_characters() {
        let text = "ab\né x\n\nyz".as_bytes();
        let mut idx = LineIndex::new(text);
        assert_eq!(idx.locate(0).0, 1);
        let (line, col, whole) = idx.locate(6); // 'x'
        assert_eq!((line, col, whole), (2, 3, "é x".as_bytes()));
        let (line, col, _) = idx.locate(text.len() - 1);
        assert_eq!((line, col), (4, 2));
    }

    #[test]
    fn sizes_parse_in_the_units_people_write() {
        assert_eq!(parse_size("1MiB"), Some(1 << 20));
        assert_eq!(parse_size("500 KB"), Some(500_000));
        assert_eq!(parse_size("2048"), Some(2048));
        assert_eq!(parse_size("1.5k"), Some(1536));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("0"), None);
        assert_eq!(human_bytes(1 << 20), "1 MiB");
        assert_eq!(human_bytes(1536), "1.5 KiB");
    }

    #[test]
    fn conflict_separators_count_only_inside_a_conflict() {
        let mut found = Vec::new();
        scan_conflicts("a.md", b"Title\n=======\n", &mut found);
        assert!(found.is_empty());
        scan_conflicts(
            "a.rs",
            b"x\n<<<<<<< HEAD\na\n=======\nb\n>>>>>>> branch\n",
            &mut found,
        );
        let lines: Vec<_> = found.iter().map(|f| f.line.unwrap()).collect();
        assert_eq!(lines, vec![2, 4, 6]);
    }

    #[test]
    fn masks_keep_four_characters() {
        assert_eq!(mask(b"ghp_abcdef"), "ghp_…");
        assert_eq!(mask("ééééé".as_bytes()), "éééé…");
    }

    #[test]
    fn fingerprints_depend_on_rule_and_secret_only() {
        assert_eq!(fingerprint("r", b"s"), fingerprint("r", b"s"));
        assert_ne!(fingerprint("r", b"s"), fingerprint("q", b"s"));
        assert_ne!(fingerprint("r", b"s"), fingerprint("r", b"t"));
    }
}
