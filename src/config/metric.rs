//! Metrics: a measured number, where it comes from (DESIGN §3), and the
//! thresholds it is judged against (DESIGN §7).
//!
//! Each metric source is resolved by a function of its own. This module
//! never reads a report or measures anything; `run::measure` does, from the
//! [`MetricSource`] built here.

use super::error::explain_glob_error;
use super::raw::{RawMetric, RawStageMap, Scalar};
use super::resolver::Resolver;
use super::{StageEntry, StageIdx, StageMap};
use crate::diag::{did_you_mean, UserError};
use crate::parsers::sarif;
use regex::Regex;
use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use toml::Spanned;

const SOURCES_HINT: &str = "give exactly one of `regex`, `count`, `json`, `lcov`, `cobertura`, `junit`, `sarif`, `file_size` or `duration = true`";

/// Where a metric's value comes from (DESIGN §3). Report parsers add
/// variants here; judging only ever sees the number they produce.
#[derive(Debug, Clone)]
pub enum MetricSource {
    /// First group of the last match in the gate's output.
    Regex(Regex),
    /// Number of output lines matching.
    Count(Regex),
    /// An RFC 6901 pointer into the output, or into a file.
    Json {
        pointer: String,
        file: Option<PathBuf>,
    },
    /// The gate's own wall-clock seconds.
    Duration,
    /// How many findings a builtin reported.
    Findings,
    /// Line or branch coverage percent of an LCOV tracefile.
    Lcov { file: PathBuf, rate: Rate },
    /// Line or branch coverage percent of a Cobertura XML report.
    Cobertura { file: PathBuf, rate: Rate },
    /// Pass percent, or one count, of JUnit XML reports (a path or a glob).
    Junit { pattern: String, field: JunitField },
    /// Number of results of a SARIF log, filtered.
    Sarif {
        file: PathBuf,
        filter: sarif::Filter,
    },
    /// Size of a file in bytes.
    FileSize(PathBuf),
}

impl MetricSource {
    /// A short description for reports and error messages.
    pub fn describe(&self) -> String {
        match self {
            MetricSource::Regex(re) => format!("regex `{}`", re.as_str()),
            MetricSource::Count(re) => format!("count `{}`", re.as_str()),
            MetricSource::Json {
                pointer,
                file: Some(f),
            } => format!("json `{pointer}` in {}", f.display()),
            MetricSource::Json {
                pointer,
                file: None,
            } => format!("json `{pointer}` in output"),
            MetricSource::Duration => "duration".to_owned(),
            MetricSource::Findings => "findings".to_owned(),
            MetricSource::Lcov { file, rate } => {
                format!("lcov {}{}", file.display(), rate.suffix())
            }
            MetricSource::Cobertura { file, rate } => {
                format!("cobertura {}{}", file.display(), rate.suffix())
            }
            MetricSource::Junit { pattern, field } => format!("junit {pattern} ({})", field.name()),
            MetricSource::Sarif { file, .. } => format!("sarif {}", file.display()),
            MetricSource::FileSize(f) => format!("file_size {}", f.display()),
        }
    }
}

/// Which coverage a whole-report coverage metric reads (`rate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rate {
    /// Lines hit ÷ lines instrumented.
    #[default]
    Lines,
    /// Branches taken ÷ branches found.
    Branches,
}

impl Rate {
    /// What a description adds for this rate: nothing for lines.
    pub fn suffix(self) -> &'static str {
        match self {
            Rate::Lines => "",
            Rate::Branches => " (branches)",
        }
    }
}

/// Which part of the code a metric measures (`scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// The whole report.
    #[default]
    All,
    /// Only the lines added or modified since `settings.new_code_since`
    /// (`scope = "new"`).
    New,
}

impl Scope {
    /// The name written in `scope = "NAME"`.
    pub fn name(self) -> &'static str {
        match self {
            Scope::All => "all",
            Scope::New => "new",
        }
    }
}

/// What a `junit` metric reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JunitField {
    PassPercent,
    Tests,
    Passed,
    Failures,
    Errors,
    Skipped,
}

impl JunitField {
    /// The names written in `field = "NAME"`, in variant order.
    pub const NAMES: [&'static str; 6] = [
        "pass_percent",
        "tests",
        "passed",
        "failures",
        "errors",
        "skipped",
    ];

    fn from_name(name: &str) -> Option<JunitField> {
        Some(match name {
            "pass_percent" => JunitField::PassPercent,
            "tests" => JunitField::Tests,
            "passed" => JunitField::Passed,
            "failures" => JunitField::Failures,
            "errors" => JunitField::Errors,
            "skipped" => JunitField::Skipped,
            _ => return None,
        })
    }

    /// The name written in `field = "NAME"`.
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

/// How far a metric may move the wrong way from its baseline (DESIGN §7).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Regression {
    /// Percent of the baseline value.
    Percent(f64),
    /// In the metric's own unit.
    Absolute(f64),
}

impl fmt::Display for Regression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Regression::Percent(p) => write!(f, "{p}%"),
            Regression::Absolute(a) => write!(f, "{a}"),
        }
    }
}

/// Which way a metric improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
}

/// A measured number and the thresholds it is judged against.
#[derive(Debug, Clone)]
pub struct Metric {
    pub name: String,
    pub source: MetricSource,
    pub min: StageMap<f64>,
    pub max: StageMap<f64>,
    /// Against the committed baseline.
    pub max_regression: StageMap<Regression>,
    pub better: Better,
    pub unit: Option<String>,
    /// The whole report, or only new code.
    pub scope: Scope,
}

impl Resolver {
    /// `[gates.GATE.metrics.NAME]`: one source, thresholds, direction, unit.
    /// `scopable`: whether a builtin's findings may take `scope = "new"`
    /// (those of `secrets` and `forbidden`, which locate each finding).
    pub(super) fn resolve_metric(
        &mut self,
        gate: &str,
        name: Spanned<String>,
        metric: Spanned<RawMetric>,
        is_builtin: bool,
        scopable: bool,
    ) -> Result<Metric, UserError> {
        let span = name.span();
        let m = metric.into_inner();
        let what = format!("`{gate}.{}`", name.get_ref());
        if is_builtin && (has_source(&m) || name.get_ref() != "findings") {
            return Err(self
                .err(span, format!("metric {what}: a builtin measures `findings` only"))
                .hint("write `[gates.NAME.metrics.findings]` with `max` (and no source) to set its thresholds"));
        }
        let source = self.metric_source(&m, &what, &span, is_builtin)?;
        let scope = self.scope(&m, &source, &what, scopable)?;
        let min = self.threshold(m.min.as_ref(), "min", number)?;
        let max = self.threshold(m.max.as_ref(), "max", number)?;
        let max_regression =
            self.threshold(m.max_regression.as_ref(), "max_regression", regression)?;
        self.check_tightening(&min, &format!("{what} min"), |lo, hi| hi < lo);
        self.check_tightening(&max, &format!("{what} max"), |lo, hi| hi > lo);
        let better = match &m.better {
            Some(b) => self.better(b)?,
            None if !max.is_unset() && min.is_unset() => Better::Lower,
            None if min.is_unset() && !max_regression.is_unset() => {
                return Err(self
                    .err(
                        m.max_regression.as_ref().map_or(span, Spanned::span),
                        format!("`max_regression` needs a direction: {what} has no `min`, `max` or `better`"),
                    )
                    .hint("add `better = \"higher\"` (coverage, pass rate) or `better = \"lower\"` (warnings, durations)"))
            }
            None => Better::Higher,
        };
        let unit = m.unit.or_else(|| default_unit(&source));
        Ok(Metric {
            name: name.into_inner(),
            source,
            min,
            max,
            max_regression,
            better,
            unit,
            scope,
        })
    }

    /// `scope`: `all` (the default) or `new`, which only some sources take.
    fn scope(
        &self,
        m: &RawMetric,
        source: &MetricSource,
        what: &str,
        scopable: bool,
    ) -> Result<Scope, UserError> {
        let Some(s) = &m.scope else {
            return Ok(Scope::All);
        };
        let scope = match s.get_ref().as_str() {
            "all" => return Ok(Scope::All),
            "new" => Scope::New,
            other => {
                return Err(self
                    .err(
                        s.span(),
                        format!("`scope` must be `all` or `new`, found `{other}`"),
                    )
                    .maybe_hint(did_you_mean(other, ["all", "new"])))
            }
        };
        let takes = match source {
            MetricSource::Lcov { rate, .. } | MetricSource::Cobertura { rate, .. } => {
                if *rate == Rate::Branches {
                    return Err(self
                        .err(s.span(), format!("metric {what}: `scope = \"new\"` measures lines, not branches"))
                        .hint("remove `rate = \"branches\"`, or measure branches in a metric of its own without `scope`"));
                }
                true
            }
            MetricSource::Sarif { .. } => true,
            MetricSource::Findings => scopable,
            _ => false,
        };
        if !takes {
            return Err(self
                .err(s.span(), format!("metric {what}: `scope = \"new\"` needs located data"))
                .hint("`scope = \"new\"` applies to `lcov`, `cobertura` and `sarif` metrics and to the findings of the `secrets` and `forbidden` builtins"));
        }
        Ok(scope)
    }

    /// `rate`: `lines` (the default) or `branches`, for coverage reports.
    fn rate(&self, m: &RawMetric) -> Result<Rate, UserError> {
        let Some(r) = &m.rate else {
            return Ok(Rate::Lines);
        };
        match r.get_ref().as_str() {
            "lines" => Ok(Rate::Lines),
            "branches" => Ok(Rate::Branches),
            other => Err(self
                .err(
                    r.span(),
                    format!("`rate` must be `lines` or `branches`, found `{other}`"),
                )
                .maybe_hint(did_you_mean(other, ["lines", "branches"]))),
        }
    }

    /// The one source of a metric; a builtin's metric has none written.
    fn metric_source(
        &self,
        m: &RawMetric,
        what: &str,
        span: &Range<usize>,
        is_builtin: bool,
    ) -> Result<MetricSource, UserError> {
        let mut sources = Vec::new();
        if let Some(r) = &m.regex {
            sources.push(MetricSource::Regex(self.metric_regex(r, what)?));
        }
        if let Some(r) = &m.count {
            sources.push(MetricSource::Count(self.metric_regex(r, what)?));
        }
        sources.extend(self.json_source(m)?);
        sources.extend(self.duration_source(m)?);
        if let Some(p) = &m.lcov {
            sources.push(MetricSource::Lcov {
                file: self.report_path(p, "lcov")?,
                rate: self.rate(m)?,
            });
        }
        if let Some(p) = &m.cobertura {
            sources.push(MetricSource::Cobertura {
                file: self.report_path(p, "cobertura")?,
                rate: self.rate(m)?,
            });
        }
        if let (Some(r), None, None) = (&m.rate, &m.lcov, &m.cobertura) {
            return Err(self
                .err(r.span(), "`rate` needs `lcov` or `cobertura`")
                .hint("`rate` chooses line or branch coverage of a coverage report"));
        }
        sources.extend(self.junit_source(m)?);
        sources.extend(self.sarif_source(m)?);
        if let Some(p) = &m.file_size {
            sources.push(MetricSource::FileSize(self.report_path(p, "file_size")?));
        }
        match sources.len() {
            0 if is_builtin => Ok(MetricSource::Findings),
            1 => Ok(sources.pop().expect("one source")),
            0 => Err(self
                .err(span.clone(), format!("metric {what} has no source"))
                .hint(SOURCES_HINT)),
            _ => Err(self
                .err(
                    span.clone(),
                    format!("metric {what} has more than one source"),
                )
                .hint(SOURCES_HINT)),
        }
    }

    fn metric_regex(&self, r: &Spanned<String>, what: &str) -> Result<Regex, UserError> {
        Regex::new(r.get_ref()).map_err(|e| self.regex_error(r, what, &e))
    }

    /// `json` (a pointer), with `file` to read it from a file.
    fn json_source(&self, m: &RawMetric) -> Result<Option<MetricSource>, UserError> {
        let Some(p) = &m.json else {
            return match &m.file {
                Some(f) => Err(self
                    .err(f.span(), "`file` needs `json`")
                    .hint("add `json = \"/pointer/to/value\"` to read a number from the file")),
                None => Ok(None),
            };
        };
        let pointer = p.get_ref();
        if !(pointer.is_empty() || pointer.starts_with('/')) {
            return Err(self
                .err(p.span(), format!("invalid JSON pointer `{pointer}`"))
                .hint("a JSON pointer starts with `/`, e.g. `/totals/percent`"));
        }
        Ok(Some(MetricSource::Json {
            pointer: pointer.clone(),
            file: m.file.as_ref().map(|f| PathBuf::from(f.get_ref())),
        }))
    }

    fn duration_source(&self, m: &RawMetric) -> Result<Option<MetricSource>, UserError> {
        match &m.duration {
            Some(d) if !d.get_ref() => Err(self
                .err(d.span(), "`duration = false` measures nothing")
                .hint("write `duration = true`, or remove the metric")),
            Some(_) => Ok(Some(MetricSource::Duration)),
            None => Ok(None),
        }
    }

    /// `junit` (a path or glob), with `field` to choose what it counts.
    fn junit_source(&self, m: &RawMetric) -> Result<Option<MetricSource>, UserError> {
        let Some(p) = &m.junit else {
            return match &m.field {
                Some(f) => Err(self
                    .err(f.span(), "`field` needs `junit`")
                    .hint("`field` chooses which count of a JUnit report to read")),
                None => Ok(None),
            };
        };
        let field = match &m.field {
            None => JunitField::PassPercent,
            Some(f) => JunitField::from_name(f.get_ref()).ok_or_else(|| {
                self.err(f.span(), format!("unknown `field` `{}`", f.get_ref()))
                    .hint(
                        did_you_mean(f.get_ref(), JunitField::NAMES).unwrap_or_else(|| {
                            format!("the fields are: {}", JunitField::NAMES.join(", "))
                        }),
                    )
            })?,
        };
        self.report_path(p, "junit")?;
        if let Err(e) = globset::GlobBuilder::new(p.get_ref().trim_start_matches("./"))
            .literal_separator(true)
            .build()
        {
            let (problem, hint) = explain_glob_error(&e);
            return Err(self
                .err(
                    p.span(),
                    format!("invalid glob `{}`: {problem}", p.get_ref()),
                )
                .hint(hint));
        }
        Ok(Some(MetricSource::Junit {
            pattern: p.get_ref().clone(),
            field,
        }))
    }

    /// `sarif` (a path), with `level` and `severity` to filter its results.
    fn sarif_source(&self, m: &RawMetric) -> Result<Option<MetricSource>, UserError> {
        let Some(p) = &m.sarif else {
            return match m.level.as_ref().or(m.severity.as_ref()) {
                Some(x) => Err(self
                    .err(x.span(), "`level` and `severity` need `sarif`")
                    .hint("they filter the results of a SARIF log")),
                None => Ok(None),
            };
        };
        let mut filter = sarif::Filter::default();
        if let Some(levels) = &m.level {
            for l in &levels.get_ref().0 {
                filter
                    .levels
                    .push(sarif::Level::from_name(l).ok_or_else(|| {
                        self.err(levels.span(), format!("unknown SARIF level `{l}`"))
                            .hint("levels are: none, note, warning, error")
                    })?);
            }
        }
        if let Some(sev) = &m.severity {
            for s in &sev.get_ref().0 {
                filter.severities.push(sarif::Severity::from_name(s).ok_or_else(|| {
                    self.err(sev.span(), format!("unknown severity `{s}`"))
                        .hint("severities are: critical, high, medium, low, none (GitHub's security-severity bands)")
                })?);
            }
        }
        Ok(Some(MetricSource::Sarif {
            file: self.report_path(p, "sarif")?,
            filter,
        }))
    }

    /// A report's path, not empty.
    fn report_path(&self, p: &Spanned<String>, key: &str) -> Result<PathBuf, UserError> {
        if p.get_ref().trim().is_empty() {
            return Err(self
                .err(p.span(), format!("`{key}` is empty"))
                .hint("give the report's path, relative to the gate's working folder"));
        }
        Ok(PathBuf::from(p.get_ref()))
    }

    /// A threshold's stage map, or unset when the key is absent.
    fn threshold<T>(
        &self,
        map: Option<&Spanned<RawStageMap>>,
        key: &str,
        convert: fn(&Scalar) -> Result<T, String>,
    ) -> Result<StageMap<T>, UserError> {
        match map {
            Some(x) => self.stage_map(x, key, convert),
            None => Ok(StageMap::default()),
        }
    }

    fn better(&self, b: &Spanned<String>) -> Result<Better, UserError> {
        match b.get_ref().as_str() {
            "higher" => Ok(Better::Higher),
            "lower" => Ok(Better::Lower),
            other => Err(self
                .err(
                    b.span(),
                    format!("`better` must be `higher` or `lower`, found `{other}`"),
                )
                .maybe_hint(did_you_mean(other, ["higher", "lower"]))),
        }
    }
}

impl Resolver {
    /// Warns about thresholds no value can pass at a stage where the gate
    /// runs (from `from` up): `min` above `max`, a percent held above 100,
    /// a count or size held below 0. The config still loads: the gate will
    /// simply never pass there, which is rarely what was meant.
    pub(super) fn check_passable(&mut self, gate: &str, metric: &Metric, from: StageIdx) {
        let what = format!("metric `{gate}.{}`", metric.name);
        let mut found: Vec<(Range<usize>, String)> = Vec::new();
        // `min` above `max`: one warning per pair of entries in conflict.
        let mut conflicts: Vec<(&StageEntry<f64>, &StageEntry<f64>, Vec<StageIdx>)> = Vec::new();
        for (stage, _) in self.ladder.iter().filter(|(s, _)| *s >= from) {
            let (Some(lo), Some(hi)) = (entry_at(&metric.min, stage), entry_at(&metric.max, stage))
            else {
                continue;
            };
            if lo.value <= hi.value {
                continue;
            }
            match conflicts.last_mut() {
                Some((l, h, stages)) if std::ptr::eq(*l, lo) && std::ptr::eq(*h, hi) => {
                    stages.push(stage);
                }
                _ => conflicts.push((lo, hi, vec![stage])),
            }
        }
        for (lo, hi, stages) in conflicts {
            // Point at the entry that made them cross: the later stage's.
            let span = if lo.stage >= hi.stage {
                &lo.span
            } else {
                &hi.span
            };
            found.push((
                span.clone(),
                format!(
                    "{what}: `min` ({}) is above `max` ({}) {}: no value can pass",
                    lo.value,
                    hi.value,
                    self.at_stages(&stages, from)
                ),
            ));
        }
        // The source's own range: a percent is 0–100, a count is never negative.
        let (is_percent, is_count) = value_range(&metric.source);
        for e in metric.min.entries() {
            if is_percent && e.value > 100.0 && entry_in_force(&metric.min, e, from) {
                found.push((
                    e.span.clone(),
                    format!(
                        "{what}: `min` {} at `{}` is above 100, the most a percent can be: no value can pass",
                        e.value,
                        self.ladder.name(e.stage.max(from))
                    ),
                ));
            }
        }
        for e in metric.max.entries() {
            if (is_percent || is_count) && e.value < 0.0 && entry_in_force(&metric.max, e, from) {
                found.push((
                    e.span.clone(),
                    format!(
                        "{what}: `max` {} at `{}` is below 0, and {} is never negative: no value can pass",
                        e.value,
                        self.ladder.name(e.stage.max(from)),
                        metric.source.describe()
                    ),
                ));
            }
        }
        for (span, message) in found {
            self.warn(Some(span), message);
        }
    }

    /// Where a conflict holds: "at `staging`", "from `production` up", or
    /// "at every stage the gate runs" (from `from` up).
    fn at_stages(&self, stages: &[StageIdx], from: StageIdx) -> String {
        let contiguous = stages.windows(2).all(|w| w[1].0 == w[0].0 + 1);
        match (stages.first(), stages.last()) {
            (Some(first), Some(last)) if contiguous && *last == self.ladder.highest() => {
                if *first <= from {
                    "at every stage the gate runs".to_owned()
                } else if first == last {
                    format!("at `{}`", self.ladder.name(*first))
                } else {
                    format!("from `{}` up", self.ladder.name(*first))
                }
            }
            _ => {
                let names: Vec<String> = stages
                    .iter()
                    .map(|s| format!("`{}`", self.ladder.name(*s)))
                    .collect();
                format!("at {}", names.join(", "))
            }
        }
    }
}

/// The entry of `map` in force at `stage`.
fn entry_at(map: &StageMap<f64>, stage: StageIdx) -> Option<&StageEntry<f64>> {
    map.entries().iter().take_while(|e| e.stage <= stage).last()
}

/// Whether `entry` of `map` is in force at some stage from `from` up: not
/// replaced by a later entry at or below `from`.
fn entry_in_force(map: &StageMap<f64>, entry: &StageEntry<f64>, from: StageIdx) -> bool {
    !map.entries()
        .iter()
        .any(|e| e.stage > entry.stage && e.stage <= from)
}

/// What a source's values can be: `(percent 0–100, count or size ≥ 0)`.
fn value_range(source: &MetricSource) -> (bool, bool) {
    match source {
        MetricSource::Lcov { .. }
        | MetricSource::Cobertura { .. }
        | MetricSource::Junit {
            field: JunitField::PassPercent,
            ..
        } => (true, false),
        MetricSource::Count(_)
        | MetricSource::Findings
        | MetricSource::Sarif { .. }
        | MetricSource::Junit { .. }
        | MetricSource::FileSize(_)
        | MetricSource::Duration => (false, true),
        MetricSource::Regex(_) | MetricSource::Json { .. } => (false, false),
    }
}

fn has_source(m: &RawMetric) -> bool {
    m.regex.is_some()
        || m.count.is_some()
        || m.json.is_some()
        || m.duration.is_some()
        || m.lcov.is_some()
        || m.cobertura.is_some()
        || m.junit.is_some()
        || m.sarif.is_some()
        || m.file_size.is_some()
}

/// A `min` or `max`: any finite number.
fn number(v: &Scalar) -> Result<f64, String> {
    match v {
        Scalar::Int(i) => Ok(*i as f64),
        Scalar::Float(f) if f.is_finite() => Ok(*f),
        other => Err(format!("must be a number, found {}", other.kind())),
    }
}

/// A `max_regression`: a percent like `"5%"`, or a number in the metric's
/// unit; never negative.
fn regression(v: &Scalar) -> Result<Regression, String> {
    match v {
        Scalar::Int(i) if *i >= 0 => Ok(Regression::Absolute(*i as f64)),
        Scalar::Float(f) if f.is_finite() && *f >= 0.0 => Ok(Regression::Absolute(*f)),
        Scalar::Str(s) => s
            .trim()
            .strip_suffix('%')
            .and_then(|p| p.trim().parse::<f64>().ok())
            .filter(|p| p.is_finite() && *p >= 0.0)
            .map(Regression::Percent)
            .ok_or_else(|| format!("must be a percent like \"5%\" or a number, found `{s}`")),
        other => Err(format!(
            "must be a percent like \"5%\" or a number, found {}",
            other.kind()
        )),
    }
}

/// The unit a source implies when the metric names none.
fn default_unit(source: &MetricSource) -> Option<String> {
    match source {
        MetricSource::Lcov { .. }
        | MetricSource::Cobertura { .. }
        | MetricSource::Junit {
            field: JunitField::PassPercent,
            ..
        } => Some("%".to_owned()),
        MetricSource::FileSize(_) => Some("B".to_owned()),
        _ => None,
    }
}
