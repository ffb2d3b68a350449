//! LCOV tracefiles (`lcov`, `genhtml`, cargo-llvm-cov, grcov, coverage.py,
//! c8, Jest): line coverage summed over records, branch coverage, and each
//! file's lines for new-code coverage.
//!
//! A record's totals are its `LF`/`LH` lines; a record without them (some
//! tools omit them) is counted from its `DA:line,hits` lines. Branches
//! likewise: `BRF`/`BRH`, else its `BRDA` lines (`-` or `0` taken is not
//! hit). A record that begins (`SF:`) and never ends (`end_of_record`)
//! means the file was cut short, which is an error. A file's lines are its
//! `DA` lines: instrumented, and hit when the count is above 0.

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
                hits.push((at, hit > 0));
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
            if super::count(taken).is_some_and(|t| t > 0) {
                brda_hit += 1;
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
                hits = Vec::new();
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
                report.files.push(FileLines::from_hits(
                    std::mem::take(&mut path),
                    std::mem::take(&mut hits),
                ));
            }
        }
        // TN:, FN:, FNDA:, FNF:, FNH:, VER: and anything a tool adds are
        // neither line nor branch coverage.
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
