//! LCOV tracefiles (`lcov`, `genhtml`, cargo-llvm-cov, grcov, coverage.py,
//! c8, Jest): line coverage summed over records, branch coverage, and each
//! file's lines for new-code coverage.
//!
//! A record's totals are its `LF`/`LH` lines; a record without them (some
//! tools omit them) is counted from its `DA:line,hits` lines. Branches
//! likewise: `BRF`/`BRH`, else its `BRDA` lines (`-` or `0` taken is not
//! hit). A record that begins (`SF:`) and never ends (`end_of_record`)
//! means the file was cut short, which is an error.
//!
//! A file's lines (for new-code coverage) are those diff-cover 11 counts,
//! so that both agree on one tracefile: its `DA` lines (counts of one line
//! summed); a line given only by `BRDA` lines (istanbul, c8) is hit when
//! every branch on it was taken at least once; a `DA` line with 0 hits
//! whose branches were taken is hit; and a function's first line given
//! only by `FN` (nyc, Jest) is hit when its `FNDA` count is above 0.

use super::{CoverageReport, FileLines, LineCoverage};
use std::io::BufRead;

/// Reads a tracefile's line totals.
pub fn parse(input: impl BufRead) -> Result<LineCoverage, String> {
    read(input, false).map(|r| r.lines)
}

/// Reads a tracefile: totals, and each file's lines when `per_file`.
pub fn read(mut input: impl BufRead, per_file: bool) -> Result<CoverageReport, String> {
    let mut report = CoverageReport::default();
    let mut total = LineCoverage::default();
    let mut branches = LineCoverage::default();
    let mut has_branches = false;
    let mut records = 0u64;
    let mut in_record = false;
    // The current record: its LF/LH if given, and its DA counts.
    let (mut lf, mut lh) = (None::<u64>, None::<u64>);
    let (mut da_found, mut da_hit) = (0u64, 0u64);
    let (mut brf, mut brh) = (None::<u64>, None::<u64>);
    let (mut brda_found, mut brda_hit) = (0u64, 0u64);
    let mut path = String::new();
    let mut hits: Vec<(u32, bool)> = Vec::new();
    let mut record = Record::default();
    let mut line = Vec::with_capacity(256);
    let mut number = 0u64;
    loop {
        line.clear();
        let n = input
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("cannot read the report: {e}"))?;
        if n == 0 {
            break;
        }
        number += 1;
        let text = trim_end(&line);
        if text.is_empty() {
            continue;
        }
        let bad = |what: &str| format!("line {number}: {what}");
        if let Some(rest) = text.strip_prefix(b"DA:") {
            if !in_record {
                return Err(bad("`DA:` outside a record"));
            }
            let mut parts = rest.split(|&b| b == b',');
            let (at, hit) = (parts.next(), parts.next());
            let hit = hit
                .and_then(|h| super::count(h).or_else(|| signed_positive(h)))
                .ok_or_else(|| bad("`DA:` without a hit count"))?;
            da_found += 1;
            if hit > 0 {
                da_hit += 1;
            }
            if per_file {
                let at = at
                    .and_then(super::count)
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| bad("`DA:` without a line number"))?;
                record.da.push((at, hit));
            }
        } else if let Some(rest) = text.strip_prefix(b"LF:") {
            lf = Some(super::count(rest).ok_or_else(|| bad("`LF:` is not a number"))?);
        } else if let Some(rest) = text.strip_prefix(b"LH:") {
            lh = Some(super::count(rest).ok_or_else(|| bad("`LH:` is not a number"))?);
        } else if let Some(rest) = text.strip_prefix(b"BRF:") {
            brf = Some(super::count(rest).ok_or_else(|| bad("`BRF:` is not a number"))?);
        } else if let Some(rest) = text.strip_prefix(b"BRH:") {
            brh = Some(super::count(rest).ok_or_else(|| bad("`BRH:` is not a number"))?);
        } else if let Some(rest) = text.strip_prefix(b"BRDA:") {
            brda_found += 1;
            let taken = rest.rsplit(|&b| b == b',').next().unwrap_or(b"-");
            let taken = super::count(taken).unwrap_or(0);
            if taken > 0 {
                brda_hit += 1;
            }
            if per_file {
                if let Some(at) = line_number(rest) {
                    let b = record.branches.entry(at).or_default();
                    b.total += 1;
                    b.hit += u64::from(taken > 0);
                    b.executions = b.executions.saturating_add(taken);
                }
            }
        } else if let Some(rest) = text.strip_prefix(b"FNDA:") {
            if per_file {
                let mut parts = rest.splitn(2, |&b| b == b',');
                let (count, name) = (parts.next(), parts.next());
                if let (Some(count), Some(name)) = (count.and_then(super::count), name) {
                    if let Some(f) = record.functions.iter_mut().find(|f| f.0 == name) {
                        f.2 = count;
                    }
                }
            }
        } else if let Some(rest) = text.strip_prefix(b"FN:") {
            if per_file {
                // `FN:line,name` or (lcov 2) `FN:line,end,name`.
                let mut parts = rest.splitn(3, |&b| b == b',');
                let at = parts.next().and_then(super::count);
                let (second, third) = (parts.next(), parts.next());
                let name = match (second, third) {
                    (Some(end), Some(name)) if super::count(end).is_some() => Some(name),
                    (Some(_), Some(_)) => rest.splitn(2, |&b| b == b',').nth(1),
                    (name, None) => name,
                    (None, Some(_)) => None,
                };
                if let (Some(at), Some(name)) = (at.and_then(|n| u32::try_from(n).ok()), name) {
                    match record.functions.iter_mut().find(|f| f.0 == name) {
                        Some(f) => *f = (name.to_vec(), at, 0),
                        None => record.functions.push((name.to_vec(), at, 0)),
                    }
                }
            }
        } else if let Some(rest) = text.strip_prefix(b"SF:") {
            if in_record {
                return Err(bad("`SF:` before the previous record's `end_of_record`"));
            }
            in_record = true;
            (lf, lh, da_found, da_hit) = (None, None, 0, 0);
            (brf, brh, brda_found, brda_hit) = (None, None, 0, 0);
            if per_file {
                path = String::from_utf8_lossy(rest).into_owned();
                record.clear();
            }
        } else if text == b"end_of_record" {
            if !in_record {
                return Err(bad("`end_of_record` without `SF:`"));
            }
            let (found, hit) = match (lf, lh) {
                (Some(f), Some(h)) => (f, h),
                _ => (da_found, da_hit),
            };
            if hit > found {
                return Err(bad("a record hits more lines than it has"));
            }
            let (bfound, bhit) = match (brf, brh) {
                (Some(f), Some(h)) => (f, h),
                _ => (brda_found, brda_hit),
            };
            if bhit > bfound {
                return Err(bad("a record hits more branches than it has"));
            }
            has_branches |= brf.is_some() || brda_found > 0;
            branches.found += bfound;
            branches.hit += bhit;
            total.found += found;
            total.hit += hit;
            records += 1;
            in_record = false;
            if per_file {
                // The buffers are kept for the next record: allocation
                // was most of the cost of keeping every file's lines.
                hits.clear();
                record.lines(&mut hits);
                report.files.push(FileLines::from_hits_in(
                    std::mem::take(&mut path),
                    &mut hits,
                ));
            }
        }
        // TN:, FNF:, FNH:, VER: and anything a tool adds are neither line
        // nor branch coverage.
    }
    if in_record {
        return Err("the report ends inside a record (no `end_of_record`): truncated?".to_owned());
    }
    if records == 0 {
        return Err("the report holds no coverage records".to_owned());
    }
    report.lines = total;
    report.branches = has_branches.then_some(branches);
    Ok(report)
}

/// One record's line data, as diff-cover reads it.
#[derive(Default)]
struct Record {
    /// `DA` lines as read: line, hits (a line may come twice; summed in
    /// [`Record::lines`]). A list, not a map: most records hold only
    /// these, in order, and a map per record cost more than the parse.
    da: Vec<(u32, u64)>,
    /// `BRDA` lines by line.
    branches: std::collections::BTreeMap<u32, Branches>,
    /// `FN` lines: name, first line, its `FNDA` count.
    functions: Vec<(Vec<u8>, u32, u64)>,
}

#[derive(Default)]
struct Branches {
    total: u64,
    hit: u64,
    executions: u64,
}

impl Record {
    fn clear(&mut self) {
        self.da.clear();
        self.branches.clear();
        self.functions.clear();
    }

    /// Adds the record's `(line, hit)` pairs: `DA` lines, then lines only
    /// `BRDA` gives (hit when every branch was taken), then lines only
    /// `FN` gives (hit when its function ran); a `DA` line with no hits
    /// whose branches were taken is hit.
    fn lines(&mut self, hits: &mut Vec<(u32, bool)>) {
        if !self.da.is_sorted_by(|a, b| a.0 < b.0) {
            self.da.sort_unstable_by_key(|&(at, _)| at);
            self.da.dedup_by(|next, kept| {
                let same = next.0 == kept.0;
                if same {
                    kept.1 = kept.1.saturating_add(next.1);
                }
                same
            });
        }
        if self.branches.is_empty() && self.functions.is_empty() {
            hits.extend(self.da.iter().map(|&(at, count)| (at, count > 0)));
            return;
        }
        let mut da: std::collections::BTreeMap<u32, u64> = self.da.iter().copied().collect();
        for (at, b) in &self.branches {
            match da.get_mut(at) {
                None => {
                    let count = if b.total > 0 && b.hit < b.total {
                        0
                    } else {
                        b.executions
                    };
                    da.insert(*at, count);
                }
                Some(count) if *count == 0 => *count = b.executions,
                Some(_) => {}
            }
        }
        for (_, at, count) in &self.functions {
            da.entry(*at).or_insert(*count);
        }
        hits.extend(da.into_iter().map(|(at, count)| (at, count > 0)));
    }
}

/// The line number a `BRDA:line,block,branch,taken` line starts with.
fn line_number(rest: &[u8]) -> Option<u32> {
    let first = rest.split(|&b| b == b',').next()?;
    super::count(first).and_then(|n| u32::try_from(n).ok())
}

fn trim_end(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\n' | b'\r' | b' ' | b'\t') {
        end -= 1;
    }
    let mut start = 0;
    while start < end && matches!(line[start], b' ' | b'\t') {
        start += 1;
    }
    &line[start..end]
}

/// Some tools write hit counts as `-1` (not instrumented) or in floating
/// point; anything not a positive integer counts as not hit.
fn signed_positive(text: &[u8]) -> Option<u64> {
    let t = std::str::from_utf8(text).ok()?.trim();
    let v: f64 = t.parse().ok()?;
    Some(if v > 0.0 { 1 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Result<LineCoverage, String> {
        parse(text.as_bytes())
    }

    #[test]
    fn totals_from_lf_lh_or_from_da_lines() {
        let text = "TN:\nSF:a.rs\nDA:1,1\nDA:2,0\nLF:2\nLH:1\nend_of_record\nSF:b.rs\nDA:1,3\nDA:2,0\nDA:3,1\nend_of_record\n";
        assert_eq!(run(text), Ok(LineCoverage { found: 5, hit: 3 }));
    }

    #[test]
    fn per_file_lines_and_branches() {
        let text = "SF:src/a.rs\nDA:3,0\nDA:1,2\nDA:2,0\nBRDA:1,0,0,1\nBRDA:1,0,1,-\nend_of_record\nSF:/abs/b.rs\nDA:5,1\nBRF:4\nBRH:3\nend_of_record\nSF:src/a.rs\nDA:2,1\nend_of_record\n";
        let r = read(text.as_bytes(), true).unwrap();
        assert_eq!(r.lines, LineCoverage { found: 5, hit: 3 });
        assert_eq!(r.branches, Some(LineCoverage { found: 6, hit: 4 }));
        assert_eq!(r.files[0].path, "src/a.rs");
        assert_eq!(r.files[0].lines, vec![1, 2, 3]);
        assert_eq!(r.files[0].missed, vec![2, 3]);
        assert_eq!(r.files[1].missed, Vec::<u32>::new());
        assert_eq!(r.files[2].lines, vec![2]);
        let plain = read("SF:a\nDA:1,1\nend_of_record\n".as_bytes(), false).unwrap();
        assert_eq!(plain.branches, None);
        assert!(plain.files.is_empty());
        assert!(plain.branch_percent().unwrap_err().contains("no branches"));
    }

    #[test]
    fn a_record_of_da_lines_alone_out_of_order_and_repeated_sums_each_line() {
        let text = "SF:a\nDA:3,0\nDA:1,0\nDA:3,2\nDA:1,0\nDA:2,1\nend_of_record\nSF:b\nDA:1,0\nend_of_record\n";
        let r = read(text.as_bytes(), true).unwrap();
        assert_eq!(r.files[0].lines, vec![1, 2, 3]);
        assert_eq!(r.files[0].missed, vec![1]);
        // The next record starts from nothing.
        assert_eq!(r.files[1].lines, vec![1]);
        assert_eq!(r.files[1].missed, vec![1]);
    }

    #[test]
    fn function_and_branch_only_lines_count_as_diff_cover_counts_them() {
        // nyc: line 1 only as FN (ran 3 times), line 4 only as FN (never
        // ran), line 2 DA hit, line 3 DA 0 with a taken branch, line 5 only
        // BRDA with every branch taken, line 6 only BRDA partly taken,
        // line 7 FN and DA (DA wins), lcov 2's FN:line,end,name on line 8.
        let text = "SF:a.js\nFN:1,f\nFN:4,g\nFN:7,h\nFN:8,9,k\nDA:2,1\nDA:3,0\nDA:7,0\n\
                    BRDA:3,0,0,1\nBRDA:5,0,0,1\nBRDA:5,0,1,2\nBRDA:6,0,0,1\nBRDA:6,0,1,-\n\
                    FNDA:3,f\nFNDA:0,g\nFNDA:5,h\nFNDA:1,k\nend_of_record\n";
        let r = read(text.as_bytes(), true).unwrap();
        assert_eq!(r.files[0].lines, vec![1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(r.files[0].missed, vec![4, 6, 7]);
        // The totals stay the record's DA lines.
        assert_eq!(r.lines, LineCoverage { found: 3, hit: 1 });
    }

    #[test]
    fn empty_and_truncated_reports_are_errors() {
        assert!(run("").unwrap_err().contains("no coverage records"));
        assert!(run("SF:a\nDA:1,1\n").unwrap_err().contains("truncated"));
        assert!(run("SF:a\nLF:x\nend_of_record\n")
            .unwrap_err()
            .contains("line 2"));
        assert!(run("SF:a\nLF:1\nLH:2\nend_of_record\n").is_err());
        assert_eq!(
            run("SF:a\nend_of_record\n").unwrap().percent().unwrap_err(),
            "the report covers no lines"
        );
    }
}
