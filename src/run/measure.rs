//! Reading a gate's metrics once it has run: from its output stream, from a
//! file it wrote, or from the clock.
//!
//! A metric that cannot be read is an `Err` naming the source and the reason;
//! it is never a silent pass (DESIGN §3). Judging the number is not done
//! here.
//!
//! A report must have been written by the attempt that measures it (DESIGN
//! §5): [`Reports::before`] stats each report file a gate's metrics name
//! just before the attempt starts, and a file that is still the same one
//! afterwards (same inode, size, mtime and ctime) is left from an earlier
//! run, an error naming it. Nothing is deleted: a report path that names a
//! file the user keeps is never at risk.

use super::capture::{LineProbe, Output, ProbeResult};
use crate::config::{JunitField, Metric, MetricSource, Rate, Scope};
use crate::parsers;
use crate::parsers::detail::MetricDetail;
use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// A metric's reading, or why it could not be read.
pub(crate) type MetricValue = Result<Reading, String>;

/// What reading a metric gave: its number, and for a source that names
/// places (SARIF), what it found where ([`MetricDetail`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reading {
    pub value: f64,
    /// Shared: judging and reporting pass it on without copying it.
    pub detail: Option<Arc<MetricDetail>>,
}

impl Reading {
    /// A number and nothing else.
    pub(crate) fn number(value: f64) -> Reading {
        Reading {
            value,
            detail: None,
        }
    }
}

/// A number read by a source that names no places.
type NumberValue = Result<f64, String>;

/// The line probes that `metrics` need while the output streams, in metric
/// order (metrics that do not read lines have none).
pub(crate) fn probes(metrics: &[Metric]) -> Vec<LineProbe> {
    metrics
        .iter()
        .filter_map(|m| match &m.source {
            MetricSource::Regex(re) => Some(LineProbe::LastMatch(re.clone())),
            MetricSource::Count(re) => Some(LineProbe::CountLines(re.clone())),
            _ => None,
        })
        .collect()
}

/// What identifies one state of a file: any write changes its ctime, a
/// file put in its place its inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stamp {
    fn of(path: &Path) -> Option<Stamp> {
        let m = std::fs::metadata(path).ok()?;
        Some(Stamp {
            dev: m.dev(),
            ino: m.ino(),
            size: m.len(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        })
    }
}

/// The report files a gate's metrics read, as they were before an attempt;
/// empty for a builtin, which reads none.
#[derive(Debug, Default)]
pub(crate) struct Reports(HashMap<PathBuf, Stamp>);

impl Reports {
    /// Stats the reports `metrics` read in `dir` (a glob's current
    /// matches), just before an attempt starts: one stat per report path,
    /// and a glob's walk.
    pub(crate) fn before(metrics: &[Metric], dir: &Path) -> Reports {
        let mut stamps = HashMap::new();
        let mut note = |path: PathBuf| {
            if let Some(stamp) = Stamp::of(&path) {
                stamps.insert(path, stamp);
            }
        };
        for metric in metrics {
            match &metric.source {
                MetricSource::Json {
                    file: Some(file), ..
                }
                | MetricSource::Lcov { file, .. }
                | MetricSource::Cobertura { file, .. }
                | MetricSource::Sarif { file, .. } => note(dir.join(file)),
                MetricSource::Junit { pattern, .. } => {
                    for path in parsers::expand(dir, pattern).unwrap_or_default() {
                        note(path);
                    }
                }
                _ => {}
            }
        }
        Reports(stamps)
    }

    /// An error when the file at `path` (shown as `shown`) is the very file
    /// that was there before the attempt: the attempt did not write it.
    fn written(&self, path: &Path, shown: &Path) -> Result<(), String> {
        let Some(before) = self.0.get(path) else {
            return Ok(());
        };
        if Stamp::of(path).as_ref() != Some(before) {
            return Ok(());
        }
        let age = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .map_or_else(String::new, |age| {
                format!(", last written {} ago", crate::fmt::human_duration(age))
            });
        Err(format!(
            "`{}` was not written by this run: it is left from an earlier one{age}; check the path the tool writes to, and that the tool ran",
            shown.display()
        ))
    }

    /// Opens report `file` (relative to `dir`) if this attempt wrote it.
    fn open(&self, dir: &Path, file: &Path) -> Result<std::io::BufReader<std::fs::File>, String> {
        let path = dir.join(file);
        self.written(&path, file)?;
        parsers::open(&path, file)
    }
}

/// Reads every metric of a gate that ran to completion in `dir`, under the
/// project root `root` (places in reports are made relative to it);
/// `reports` are the report files as they were before it started.
#[allow(clippy::too_many_arguments)]
pub(crate) fn measure(
    metrics: &[Metric],
    probes: &[ProbeResult],
    output: &Output,
    duration: Duration,
    dir: &Path,
    root: &Path,
    findings: Option<usize>,
    reports: &Reports,
) -> Vec<MetricValue> {
    let mut probes = probes.iter();
    metrics
        .iter()
        .map(|metric| match &metric.source {
            MetricSource::Sarif { file, filter } => {
                // Places are compared as absolute paths.
                let base = std::fs::canonicalize(dir).unwrap_or_else(|_| root.join(dir));
                let places = parsers::sarif::Places { dir: &base, root };
                reports
                    .open(dir, file)
                    .and_then(|r| parsers::sarif::read(r, filter, places))
                    .map(|(n, found)| Reading {
                        value: n as f64,
                        detail: Some(Arc::new(MetricDetail {
                            findings: Some(found),
                            coverage: None,
                        })),
                    })
                    .map_err(|e| in_report("SARIF", file, e))
            }
            MetricSource::Lcov { file, .. } | MetricSource::Cobertura { file, .. }
                if metric.scope == Scope::New =>
            {
                let lcov = matches!(metric.source, MetricSource::Lcov { .. });
                reports
                    .open(dir, file)
                    .and_then(|r| {
                        if lcov {
                            parsers::lcov::read(r, true)
                        } else {
                            parsers::cobertura::read(r, true)
                        }
                    })
                    .map(|report| new_code_lines(report, file, dir, root))
                    .map_err(|e| in_report(if lcov { "lcov" } else { "Cobertura" }, file, e))
            }
            _ => number(
                metric,
                &mut probes,
                output,
                duration,
                dir,
                findings,
                reports,
            )
            .map(Reading::number),
        })
        .collect()
}

/// A `scope = "new"` coverage reading: the whole report's line percent
/// (0 when it has no line), and each file's lines with the project paths
/// its name may mean, for the judge to count on new code. Under `-v`, the
/// report's files that match no file of the project are listed.
fn new_code_lines(
    report: parsers::CoverageReport,
    file: &Path,
    dir: &Path,
    root: &Path,
) -> Reading {
    let real_root = std::fs::canonicalize(root).ok().filter(|r| r != root);
    let dir = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        root.join(dir)
    };
    let places = parsers::Places::new(&report.sources, &dir, root, real_root.as_deref());
    let mut files = report.files;
    for f in &mut files {
        f.places = places.of(&f.path);
    }
    if crate::log::enabled_at(crate::log::Level::Info) {
        let unmatched: Vec<&str> = files
            .iter()
            .filter(|f| !f.places.iter().any(|p| root.join(p).is_file()))
            .map(|f| f.path.as_str())
            .collect();
        if !unmatched.is_empty() {
            crate::info!(
                "`{}`: {} of {} files match no file of the project (new code never counts them): {}",
                file.display(),
                unmatched.len(),
                files.len(),
                unmatched.join(", ")
            );
        }
    }
    Reading {
        value: report.lines.percent().unwrap_or(0.0),
        detail: Some(Arc::new(MetricDetail {
            findings: None,
            coverage: Some(crate::parsers::detail::CoverageLines::new(&files)),
        })),
    }
}

/// Reads `metric`, whose source names no places.
fn number<'p>(
    metric: &Metric,
    probes: &mut impl Iterator<Item = &'p ProbeResult>,
    output: &Output,
    duration: Duration,
    dir: &Path,
    findings: Option<usize>,
    reports: &Reports,
) -> NumberValue {
    match &metric.source {
        MetricSource::Regex(re) => match probes.next() {
            Some(ProbeResult::LastMatch(Some(text))) => parse_number(text).ok_or_else(|| {
                format!(
                    "regex `{}` captured `{text}`, which is not a number",
                    re.as_str()
                )
            }),
            _ => Err(format!("regex `{}` did not match the output", re.as_str())),
        },
        MetricSource::Count(_) => match probes.next() {
            Some(ProbeResult::Count(n)) => Ok(*n as f64),
            _ => Err("internal: count probe missing".to_owned()),
        },
        MetricSource::Json {
            pointer,
            file: None,
        } => {
            if output.omitted_bytes > 0 {
                return Err(format!(
                        "the output ({} bytes) is larger than pqg keeps, so JSON cannot be read from it; have the gate write the JSON to a file and set `file`",
                        output.total_bytes
                    ));
            }
            json_in_output(&output.text, pointer)
        }
        MetricSource::Json {
            pointer,
            file: Some(file),
        } => reports
            .written(&dir.join(file), file)
            .and_then(|()| json_in_file(&dir.join(file), file, pointer)),
        MetricSource::Duration => Ok(duration.as_secs_f64()),
        MetricSource::Findings => findings
            .map(|n| n as f64)
            .ok_or_else(|| "internal: only a builtin counts findings".to_owned()),
        MetricSource::Lcov { file, rate } => reports
            .open(dir, file)
            .and_then(|r| parsers::lcov::read(r, false))
            .and_then(|c| coverage_rate(&c, *rate))
            .map_err(|e| in_report("lcov", file, e)),
        MetricSource::Cobertura { file, rate } => reports
            .open(dir, file)
            .and_then(|r| parsers::cobertura::read(r, false))
            .and_then(|c| coverage_rate(&c, *rate))
            .map_err(|e| in_report("Cobertura", file, e)),
        MetricSource::Junit { pattern, field } => junit(dir, pattern, *field, reports),
        MetricSource::Sarif { .. } => unreachable!("read in measure, with its places"),
        MetricSource::FileSize(file) => match std::fs::metadata(dir.join(file)) {
            Ok(m) if m.is_file() => Ok(m.len() as f64),
            Ok(m) => Err(format!(
                "file_size: cannot read `{}`: {}",
                file.display(),
                parsers::not_regular(&m.file_type())
            )),
            Err(e) => Err(format!("file_size: cannot read `{}`: {e}", file.display())),
        },
    }
}

/// The percent a whole-report coverage metric reads.
fn coverage_rate(report: &parsers::CoverageReport, rate: Rate) -> NumberValue {
    match rate {
        Rate::Lines => report.lines.percent(),
        Rate::Branches => report.branch_percent(),
    }
}

/// An error message naming the report; the opener's own messages already
/// name the file.
fn in_report(kind: &str, file: &Path, error: String) -> String {
    if error.starts_with("cannot read `") {
        error
    } else {
        format!("{kind} report `{}`: {error}", file.display())
    }
}

/// Sums the JUnit reports `pattern` names (a path or a glob); a match the
/// attempt did not write is an error, not a report left out: it would
/// count tests that no longer ran, or hide a suite whose tool did not run.
fn junit(dir: &Path, pattern: &str, field: JunitField, reports: &Reports) -> NumberValue {
    let mut counts = parsers::junit::TestCounts::default();
    for path in parsers::expand(dir, pattern)? {
        let shown = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
        reports.written(&path, &shown)?;
        let one = parsers::open(&path, &shown)
            .and_then(parsers::junit::parse)
            .map_err(|e| in_report("JUnit", &shown, e))?;
        counts.add(one);
    }
    Ok(match field {
        JunitField::PassPercent => counts
            .pass_percent()
            .map_err(|e| format!("JUnit `{pattern}`: {e}"))?,
        JunitField::Tests => counts.tests as f64,
        JunitField::Passed => counts.passed() as f64,
        JunitField::Failures => counts.failures as f64,
        JunitField::Errors => counts.errors as f64,
        JunitField::Skipped => counts.skipped as f64,
    })
}

/// Parses a number as tools print it: `78.2`, ` 78.2% `, `1e3`.
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    let t = text.trim();
    let t = t.strip_suffix('%').unwrap_or(t).trim();
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn json_number(value: &serde_json::Value, pointer: &str, origin: &str) -> NumberValue {
    json_found(value.pointer(pointer), pointer, origin)
}

/// The metric from what `pointer` found in `origin`.
fn json_found(found: Option<&serde_json::Value>, pointer: &str, origin: &str) -> NumberValue {
    match found {
        None => Err(format!(
            "JSON pointer `{pointer}` found nothing in {origin}"
        )),
        Some(serde_json::Value::Number(n)) => n
            .as_f64()
            .ok_or_else(|| format!("`{pointer}` in {origin} is not a finite number")),
        Some(serde_json::Value::String(s)) => parse_number(s)
            .ok_or_else(|| format!("`{pointer}` in {origin} is the string `{s}`, not a number")),
        Some(serde_json::Value::Bool(b)) => Ok(if *b { 1.0 } else { 0.0 }),
        Some(other) => Err(format!(
            "`{pointer}` in {origin} is {}, not a number",
            match other {
                serde_json::Value::Null => "null",
                serde_json::Value::Array(_) => "an array",
                _ => "an object",
            }
        )),
    }
}

/// The whole output as one JSON document; failing that, the last line that
/// is one (tools often log before they print their summary).
fn json_in_output(text: &str, pointer: &str) -> NumberValue {
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text.trim()) {
        return json_number(&value, pointer, "the output");
    }
    text.lines()
        .rev()
        .filter(|l| l.trim_start().starts_with(['{', '[']))
        .find_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map_or_else(
            || Err("the output holds no JSON document".to_owned()),
            |value| json_number(&value, pointer, "the output"),
        )
}

fn json_in_file(path: &Path, shown: &Path, pointer: &str) -> NumberValue {
    let origin = format!("`{}`", shown.display());
    // Streamed: only the path to the pointer is kept, however large the
    // report (parsers::json).
    let found = parsers::json::at_pointer(parsers::open(path, shown)?, pointer)
        .map_err(|e| format!("{origin} is not valid JSON: {e}"))?;
    json_found(found.as_ref(), pointer, &origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_tools_print_them() {
        assert_eq!(parse_number(" 78.2% "), Some(78.2));
        assert_eq!(parse_number("1e3"), Some(1000.0));
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("abc"), None);
    }

    #[test]
    fn json_pointer_into_output_falls_back_to_the_last_json_line() {
        assert_eq!(json_in_output(r#"{"a":{"b":3}}"#, "/a/b"), Ok(3.0));
        assert_eq!(
            json_in_output("compiling...\n{\"total\": 12}\ndone\n", "/total"),
            Ok(12.0)
        );
        assert!(json_in_output("no json here", "/a")
            .unwrap_err()
            .contains("no JSON"));
        assert!(json_in_output(r#"{"a":"x"}"#, "/a")
            .unwrap_err()
            .contains("not a number"));
        assert!(json_in_output(r#"{"a":1}"#, "/b")
            .unwrap_err()
            .contains("found nothing"));
    }
}
