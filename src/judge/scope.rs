//! `scope = "new"`: a metric's value on new code, computed when the metric
//! is judged from what its measurement kept (each file's instrumented and
//! missed lines, each result's place) and the lines new in this run.
//!
//! Judging here, not when the gate runs, is what lets a cached measurement
//! serve a new reference: the report did not change, the lines did, and
//! the value follows the lines. Pure: the changed lines come in as a value.

use crate::git::new_code::NewCode;
use crate::parsers::detail::{CoverageLines, MetricDetail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a scoped metric counted on new code, for its reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct NewCodeCounts {
    /// The reference new code is measured from (`origin/main`).
    pub reference: String,
    /// The merge base it was compared with; `None` when there is none and
    /// every line counted as new.
    #[serde(default)]
    pub base: Option<String>,
    /// Lines added or modified in the project; `None` when every line
    /// counts.
    #[serde(default)]
    pub changed_lines: Option<u64>,
    /// Coverage: changed lines the report instruments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instrumented: Option<u64>,
    /// Coverage: of those, the lines it says were hit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covered: Option<u64>,
    /// Findings: results located on changed lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_findings: Option<u64>,
    /// Findings: results that name no place in the project, counted by an
    /// unscoped metric and never here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlocated: Option<u64>,
    /// Coverage: the changed lines instrumented and never hit, by file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uncovered: Vec<LineRanges>,
    /// Coverage: report files whose names match no project path (under
    /// `-v` only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmatched: Vec<String>,
}

/// Some lines of one file, as inclusive ranges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LineRanges {
    /// Relative to the project root.
    pub path: String,
    /// Inclusive 1-based ranges, sorted.
    pub ranges: Vec<(u32, u32)>,
}

/// The counts every scoped metric shares.
fn counts(new_code: &NewCode) -> NewCodeCounts {
    NewCodeCounts {
        reference: new_code.reference.clone(),
        base: new_code.base.clone(),
        changed_lines: new_code.changed_line_count(),
        ..NewCodeCounts::default()
    }
}

/// New-code coverage: covered ÷ instrumented among the changed lines the
/// report instruments; `None` (n/a) when it instruments none. A report
/// file is the first of its candidate places (`crate::parsers::FileLines::places`) that
/// new code knows; a project file named by several report files counts
/// each line once, hit when any of them hit it.
/// Only the numbers of the files new code knows are decoded.
pub(crate) fn coverage(files: &CoverageLines, new_code: &NewCode) -> (Option<f64>, NewCodeCounts) {
    let mut lines: BTreeMap<&str, BTreeMap<u32, bool>> = BTreeMap::new();
    for file in files.files() {
        let Some((place, changed)) = file
            .places()
            .find_map(|p| new_code.lines(p).map(|l| (p, l)))
        else {
            continue;
        };
        // Checked whole when read: never `None` here.
        let Some((file_lines, file_missed)) = file.numbers() else {
            continue;
        };
        let mut missed = file_missed.iter().peekable();
        let of_file = lines.entry(place).or_default();
        for &line in &file_lines {
            while missed.next_if(|&&m| m < line).is_some() {}
            let hit = missed.peek() != Some(&&line);
            if changed.contains(line) {
                *of_file.entry(line).or_insert(false) |= hit;
            }
        }
    }
    let mut counts = counts(new_code);
    let (mut instrumented, mut covered) = (0u64, 0u64);
    for (path, of_file) in &lines {
        let mut ranges: Vec<(u32, u32)> = Vec::new();
        for (&line, &hit) in of_file {
            instrumented += 1;
            if hit {
                covered += 1;
                continue;
            }
            match ranges.last_mut() {
                Some(last) if last.1 + 1 == line => last.1 = line,
                _ => ranges.push((line, line)),
            }
        }
        if !ranges.is_empty() {
            counts.uncovered.push(LineRanges {
                path: (*path).to_owned(),
                ranges,
            });
        }
    }
    counts.instrumented = Some(instrumented);
    counts.covered = Some(covered);
    let value = (instrumented > 0).then(|| 100.0 * covered as f64 / instrumented as f64);
    (value, counts)
}

/// How many outcomes a [`CoverageMemo`] keeps.
const REMEMBERED: usize = 8;

/// New-code coverage outcomes computed before, each by a digest of all
/// [`coverage`] reads: the report's files (their string form, whole) and
/// new code (every field, files in path order). [`coverage`] is a pure
/// function of those two, so an outcome found under the same digest is
/// the one it would compute; a warm run whose report and new lines did
/// not change takes it instead of walking the report's files again. New
/// code that makes every line new is never memoised: which files count
/// then depends on the tree ([`NewCode::lines`]). No I/O here: the caller
/// loads and keeps the outcomes ([`CoverageMemo::from_outcomes`],
/// [`CoverageMemo::into_outcomes`]).
#[derive(Debug, Default)]
pub(crate) struct CoverageMemo {
    outcomes: std::sync::Mutex<Vec<CoverageOutcome>>,
    added: std::sync::atomic::AtomicBool,
}

/// One outcome of [`coverage`] and the digest of what it was computed
/// from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CoverageOutcome {
    pub key: [u8; 32],
    pub value: Option<f64>,
    pub counts: NewCodeCounts,
}

impl CoverageMemo {
    /// A memo holding `outcomes` (newest first).
    pub(crate) fn from_outcomes(outcomes: Vec<CoverageOutcome>) -> CoverageMemo {
        CoverageMemo {
            outcomes: std::sync::Mutex::new(outcomes),
            added: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The outcomes to keep (newest first), when one was added.
    pub(crate) fn into_outcomes(self) -> Option<Vec<CoverageOutcome>> {
        let added = self.added.into_inner();
        added.then(|| self.outcomes.into_inner().unwrap_or_default())
    }

    /// [`coverage`] of `files` on `new_code`, taken from the memo when it
    /// was computed before from the same two.
    pub(crate) fn coverage(
        &self,
        files: &CoverageLines,
        new_code: &NewCode,
    ) -> (Option<f64>, NewCodeCounts) {
        if new_code.everything.is_some() {
            return coverage(files, new_code);
        }
        let key = coverage_key(files, new_code);
        if let Ok(outcomes) = self.outcomes.lock() {
            if let Some(o) = outcomes.iter().find(|o| o.key == key) {
                crate::debug!("new code: the coverage on new code as judged before, from the same report lines and new lines");
                return (o.value, o.counts.clone());
            }
        }
        let (value, counts) = coverage(files, new_code);
        if let Ok(mut outcomes) = self.outcomes.lock() {
            outcomes.retain(|o| o.key != key);
            outcomes.insert(
                0,
                CoverageOutcome {
                    key,
                    value,
                    counts: counts.clone(),
                },
            );
            outcomes.truncate(REMEMBERED);
            self.added.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        (value, counts)
    }
}

/// The digest of everything [`coverage`] reads of `files` and `new_code`
/// (when not every line is new).
fn coverage_key(files: &CoverageLines, new_code: &NewCode) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    let mut part = |bytes: &[u8]| {
        h.update(&(bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    part(b"pqg new-code coverage 1");
    part(files.as_str().as_bytes());
    part(new_code.root.as_os_str().as_encoded_bytes());
    part(new_code.reference.as_bytes());
    part(&[u8::from(new_code.base.is_some())]);
    part(new_code.base.as_deref().unwrap_or("").as_bytes());
    part(&[u8::from(new_code.changed_lines.is_some())]);
    part(&new_code.changed_lines.unwrap_or(0).to_le_bytes());
    let mut paths: Vec<(&String, &crate::git::new_code::Lines)> = new_code.files.iter().collect();
    paths.sort_unstable_by(|a, b| a.0.cmp(b.0));
    part(&(paths.len() as u64).to_le_bytes());
    for (path, lines) in paths {
        part(path.as_bytes());
        match lines {
            crate::git::new_code::Lines::All => part(b"all"),
            crate::git::new_code::Lines::Ranges(ranges) => {
                let mut bytes = Vec::with_capacity(8 + ranges.len() * 8);
                bytes.extend_from_slice(b"ranges");
                for &(a, b) in ranges {
                    bytes.extend_from_slice(&a.to_le_bytes());
                    bytes.extend_from_slice(&b.to_le_bytes());
                }
                part(&bytes);
            }
        }
    }
    *h.finalize().as_bytes()
}

/// Whether a result at `line` of `path` (0: the whole file) is on new code.
pub(crate) fn on_new_code(new_code: &NewCode, path: &str, line: u32) -> bool {
    on_new(new_code, path, line, line)
}

/// New findings: the results located on changed lines, by `(file, first
/// line, last line)` with line 0 for a result about a whole file (which
/// counts when its file has new lines); a result whose region spans a
/// changed line is new. `unlocated` results are never new.
pub(crate) fn findings<'a>(
    located: impl Iterator<Item = (&'a str, u32, u32)>,
    unlocated: u64,
    new_code: &NewCode,
) -> (f64, NewCodeCounts) {
    let new = located
        .filter(|&(path, first, last)| on_new(new_code, path, first, last))
        .count() as u64;
    let mut counts = counts(new_code);
    counts.new_findings = Some(new);
    counts.unlocated = Some(unlocated);
    (new as f64, counts)
}

/// `detail` with only the results on new code kept: those a scoped SARIF
/// metric counted, for its reports. How many name no place stays, so the
/// reports say how many were left uncounted.
pub(crate) fn new_findings_only(detail: &MetricDetail, new_code: &NewCode) -> MetricDetail {
    let mut detail = detail.clone();
    if let Some(found) = detail.findings.as_mut() {
        found.retain_located(|path, first, last| on_new(new_code, path, first, last));
    }
    detail
}

/// Whether a result at `first..=last` of `path` (line 0: the whole file)
/// is on new code.
fn on_new(new_code: &NewCode, path: &str, first: u32, last: u32) -> bool {
    new_code
        .lines(path)
        .is_some_and(|l| first == 0 || l.overlaps(first, last))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::new_code::Lines;
    use crate::parsers::FileLines;
    use std::collections::HashMap;

    fn new_code(files: &[(&str, Lines)]) -> NewCode {
        NewCode {
            root: "/nowhere".into(),
            reference: "main".into(),
            base: Some("abc".into()),
            everything: None,
            changed_lines: Some(0),
            files: files
                .iter()
                .map(|(p, l)| ((*p).to_owned(), l.clone()))
                .collect::<HashMap<_, _>>(),
        }
    }

    fn file(places: &[&str], lines: &[u32], missed: &[u32]) -> FileLines {
        FileLines {
            path: places[0].to_owned(),
            places: places.iter().map(|p| (*p).to_owned()).collect(),
            lines: lines.to_vec(),
            missed: missed.to_vec(),
        }
    }

    #[test]
    fn only_instrumented_changed_lines_count() {
        let nc = new_code(&[
            ("a.py", Lines::Ranges(vec![(1, 4), (9, 9)])),
            ("b.py", Lines::Ranges(vec![(1, 1)])),
        ]);
        let files = [
            // Line 2 and 3 missed, 4 hit, 5 not changed, 9 not instrumented.
            file(&["x/a.py", "a.py"], &[2, 3, 4, 5], &[2, 3, 5]),
            file(&["c.py"], &[1], &[1]),
        ];
        let (value, counts) = coverage(&CoverageLines::new(&files), &nc);
        assert_eq!(counts.instrumented, Some(3));
        assert_eq!(counts.covered, Some(1));
        assert!((value.unwrap() - 100.0 / 3.0).abs() < 1e-9);
        assert_eq!(counts.uncovered.len(), 1);
        assert_eq!(counts.uncovered[0].path, "a.py");
        assert_eq!(counts.uncovered[0].ranges, vec![(2, 3)]);
        // Nothing instrumented on new lines: n/a.
        let (value, counts) = coverage(&CoverageLines::new(&files[1..]), &nc);
        assert_eq!(value, None);
        assert_eq!(counts.instrumented, Some(0));
    }

    #[test]
    fn the_memo_serves_an_outcome_only_for_the_same_report_and_new_lines() {
        let files = CoverageLines::new(&[file(&["a.py"], &[1, 2, 3], &[2])]);
        let line = |n| new_code(&[("a.py", Lines::Ranges(vec![(n, n)]))]);
        let memo = CoverageMemo::default();
        for n in [1, 2, 3, 2] {
            assert_eq!(memo.coverage(&files, &line(n)), coverage(&files, &line(n)));
        }
        let other = CoverageLines::new(&[file(&["a.py"], &[1, 2, 3], &[])]);
        assert_eq!(memo.coverage(&other, &line(2)), coverage(&other, &line(2)));
        let mut moved = line(2);
        moved.base = Some("def".into());
        assert_eq!(memo.coverage(&files, &moved).1.base, moved.base);
        let kept = memo.into_outcomes().expect("outcomes added");
        assert_eq!(kept.len(), 5, "one per distinct pair, newest first");
        assert_eq!(kept[0].counts.base.as_deref(), Some("def"));
        // Every line new: which files count depends on the tree, never kept.
        let memo = CoverageMemo::default();
        let mut all = line(1);
        all.everything = Some("no merge base".into());
        memo.coverage(&files, &all);
        assert_eq!(memo.into_outcomes(), None);
    }

    #[test]
    fn a_line_two_reports_name_is_counted_once_hit_if_either_hit() {
        let nc = new_code(&[("a.py", Lines::All)]);
        let files = [
            file(&["a.py"], &[1, 2], &[1, 2]),
            file(&["a.py"], &[2], &[]),
        ];
        let (value, counts) = coverage(&CoverageLines::new(&files), &nc);
        assert_eq!(counts.instrumented, Some(2));
        assert_eq!(value, Some(50.0));
        assert_eq!(counts.uncovered[0].ranges, vec![(1, 1)]);
    }

    #[test]
    fn findings_on_changed_lines_and_whole_files() {
        let nc = new_code(&[("a.py", Lines::Ranges(vec![(3, 3)]))]);
        let located = [
            ("a.py", 3, 3),
            ("a.py", 4, 4),
            ("a.py", 0, 0),
            ("b.py", 3, 3),
            // A region over lines 1-5 spans the changed line 3.
            ("a.py", 1, 5),
            ("a.py", 4, 9),
        ];
        let (value, counts) = findings(located.into_iter(), 2, &nc);
        assert_eq!(value, 3.0);
        assert_eq!(counts.unlocated, Some(2));
    }
}
