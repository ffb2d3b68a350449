//! Reports: one [`Report`] value, and functions that turn it into text.
//!
//! `build` gathers the verdict and the facts of the run into a `Report`;
//! every format is then a function from `&Report` to bytes, which never looks
//! inside the runner. The JSON form carries `"schema": 1` and is documented
//! in the README.

pub(crate) mod formats;
pub(crate) mod located;
pub(crate) mod merge;
pub(crate) mod progress;
pub(crate) mod sarif;
pub(crate) mod table;
pub(crate) mod workflow;

use crate::builtin::{Finding, RuleInfo};
use crate::cache::history::Sample;
use crate::config::{Better, Command, Config};
use crate::fmt::{human_duration, with_unit};
use crate::judge::{GateStatus, StageOutcome, Verdict};
use crate::parsers;
use crate::parsers::detail::{Findings, MetricDetail, Place, Tool};
use crate::plan::{Enforcement, Plan};
use crate::run::{ExecEnd, RunResult};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

/// The version of the JSON report's shape.
pub(crate) const SCHEMA: u32 = 1;

/// Everything a report shows about one run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Report {
    pub schema: u32,
    pub pqg_version: String,
    pub run_id: String,
    pub config: String,
    /// A hash of the config's text: reports of one config agree on it.
    #[serde(default)]
    pub config_digest: String,
    /// `--shard K/N`, when the run was one shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    pub stage: String,
    pub outcome: StageOutcome,
    pub exit_code: u8,
    pub score: Option<f64>,
    pub min_score: Option<f64>,
    pub duration_ms: u64,
    pub counts: Counts,
    pub gates: Vec<GateReport>,
}

/// How many gates ended in each status.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Counts {
    pub total: usize,
    pub active: usize,
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub error: usize,
    pub timeout: usize,
    pub blocked: usize,
    pub cancelled: usize,
    pub skipped: usize,
    pub cached: usize,
    pub flaky: usize,
}

impl Counts {
    /// The counts of `gates`.
    pub(crate) fn of(gates: &[GateReport]) -> Counts {
        let mut counts = Counts {
            total: gates.len(),
            ..Counts::default()
        };
        for g in gates {
            match g.status {
                GateStatus::Pass => counts.pass += 1,
                GateStatus::Fail => counts.fail += 1,
                GateStatus::Warn => counts.warn += 1,
                GateStatus::Error => counts.error += 1,
                GateStatus::Timeout => counts.timeout += 1,
                GateStatus::Blocked => counts.blocked += 1,
                GateStatus::Cancelled => counts.cancelled += 1,
                GateStatus::Skipped => counts.skipped += 1,
            }
            counts.cached += usize::from(g.cached);
            counts.flaky += usize::from(g.flaky);
        }
        counts.active = counts.total - counts.skipped;
        counts
    }
}

impl Report {
    /// Every gate's notes, as (gate name, note), in gate order.
    pub(crate) fn notes(&self) -> impl Iterator<Item = (&str, &str)> {
        self.gates
            .iter()
            .flat_map(|g| g.notes.iter().map(move |n| (g.name.as_str(), n.as_str())))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct GateReport {
    pub name: String,
    pub description: Option<String>,
    pub status: GateStatus,
    pub enforcement: Option<Enforcement>,
    pub cached: bool,
    pub flaky: bool,
    pub attempts: u32,
    pub duration_ms: Option<u64>,
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
    pub weight: f64,
    /// Accepted exit codes.
    pub exit_codes: Vec<i32>,
    pub metrics: Vec<MetricReport>,
    pub output: Option<String>,
    pub output_bytes: u64,
    pub output_omitted_bytes: u64,
    /// The built-in check the gate runs, if it runs one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub builtin: Option<String>,
    /// A builtin's findings, all of them (the output lists the first few).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<Vec<Finding>>,
    /// The rules a builtin can report (for SARIF's rule list).
    #[serde(skip)]
    pub rules: Vec<RuleInfo>,
    /// `--shard`: another shard runs this gate.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub other_shard: bool,
    /// Facts that do not change the status: a missing baseline value, a
    /// duration or metric far from its history (anomaly notes).
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct MetricReport {
    pub name: String,
    pub value: Option<f64>,
    pub error: Option<String>,
    pub unit: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub better: String,
    pub within: Option<bool>,
    /// Change since this gate's previous run in history.
    pub delta: Option<f64>,
    /// The committed baseline value.
    pub baseline: Option<f64>,
    /// `max_regression` at this stage, as written (`"1%"`, `0.5`).
    pub max_regression: Option<String>,
    /// The worst value the baseline and `max_regression` allow.
    pub regression_limit: Option<f64>,
    /// Why the metric misses, in words, when it does.
    pub miss: Option<String>,
    /// What a SARIF metric counted, located: its tools, the first results
    /// whole, how many more there were and how many name no place in the
    /// project. Absent for other sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub findings: Option<ReportFindings>,
    /// `all`, or `new` for a metric of new code only.
    #[serde(default = "scope_all")]
    pub scope: String,
    /// `scope = "new"`: the reference, the counts on new code and the
    /// uncovered changed lines; `value` null without `error` is n/a.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_code: Option<crate::judge::scope::NewCodeCounts>,
    /// `true` when the metric is `n/a`: scoped, with nothing on new code to
    /// measure (it passes). Said outright so that a reader of the JSON need
    /// not infer it from a null `value` without an `error`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_applicable: bool,
}

impl MetricReport {
    /// A scoped metric with nothing to measure on new code (no instrumented
    /// changed line): it passes, shown as `n/a`.
    pub(crate) fn not_applicable(&self) -> bool {
        self.not_applicable
            || (self.value.is_none() && self.error.is_none() && self.new_code.is_some())
    }

    /// What a scoped metric counted, in words: `2/4 changed lines covered`,
    /// `3 on changed lines, 1 unlocated not counted`.
    pub(crate) fn new_code_text(&self) -> Option<String> {
        let n = self.new_code.as_ref()?;
        if let (Some(instrumented), Some(covered)) = (n.instrumented, n.covered) {
            return Some(if instrumented == 0 {
                "no instrumented changed line".to_owned()
            } else {
                format!("{covered}/{instrumented} changed lines covered")
            });
        }
        let new = n.new_findings?;
        let unlocated = n.unlocated.unwrap_or(0);
        Some(if unlocated > 0 {
            format!("{new} on changed lines, {unlocated} unlocated not counted")
        } else {
            format!("{new} on changed lines")
        })
    }
}

/// A SARIF metric's findings as a report holds them: shared with what the
/// metric read, not copied, whatever their number; written as the JSON
/// report shows them, with the places only of the results past the items
/// (the items say the rest, whole).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReportFindings(Arc<MetricDetail>);

/// What a [`ReportFindings`] without findings reads as (none is built).
static NO_FINDINGS: Findings = Findings {
    tools: Vec::new(),
    items: Vec::new(),
    omitted: 0,
    unlocated: 0,
    lines: BTreeMap::new(),
};

impl ReportFindings {
    /// The findings of `detail`, if it has any.
    pub(crate) fn shared(detail: Arc<MetricDetail>) -> Option<ReportFindings> {
        detail.findings.is_some().then_some(ReportFindings(detail))
    }

    pub(crate) fn new(found: Findings) -> ReportFindings {
        ReportFindings(Arc::new(MetricDetail {
            findings: Some(found),
            coverage: None,
        }))
    }
}

impl std::ops::Deref for ReportFindings {
    type Target = Findings;

    fn deref(&self) -> &Findings {
        self.0.findings.as_ref().unwrap_or(&NO_FINDINGS)
    }
}

impl Serialize for ReportFindings {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// The places of the results past the items, per file.
        struct Past<'a>(&'a BTreeMap<String, Vec<Place>>);
        impl Past<'_> {
            fn files(&self) -> impl Iterator<Item = (&String, &Vec<Place>)> {
                self.0.iter().filter(|(_, p)| p.iter().any(|p| !p.kept))
            }
            fn is_empty(&self) -> bool {
                self.files().next().is_none()
            }
        }
        impl Serialize for Past<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_map(self.files().map(|(path, places)| (path, PastIn(places))))
            }
        }
        struct PastIn<'a>(&'a [Place]);
        impl Serialize for PastIn<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter().filter(|p| !p.kept))
            }
        }
        #[derive(Serialize)]
        struct Shown<'a> {
            tools: &'a [Tool],
            items: &'a [parsers::detail::Finding],
            omitted: u64,
            unlocated: u64,
            #[serde(skip_serializing_if = "Past::is_empty")]
            lines: Past<'a>,
        }
        let found: &Findings = self;
        Shown {
            tools: &found.tools,
            items: &found.items,
            omitted: found.omitted,
            unlocated: found.unlocated,
            lines: Past(&found.lines),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for ReportFindings {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Findings::deserialize(d).map(ReportFindings::new)
    }
}

fn scope_all() -> String {
    "all".to_owned()
}

/// Fewest earlier samples before a value can be called an anomaly.
pub(crate) const ANOMALY_MIN_SAMPLES: usize = 10;
/// How many standard deviations from the mean make an anomaly.
pub(crate) const ANOMALY_SIGMAS: f64 = 3.0;

/// Mean and sample standard deviation.
fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, var.sqrt())
}

/// A note when `value` lies more than [`ANOMALY_SIGMAS`] from the mean of
/// at least [`ANOMALY_MIN_SAMPLES`] earlier values. A history with no
/// spread at all has no scale to measure against and gives no note.
pub(crate) fn anomaly(
    what: &str,
    value: f64,
    history: &[f64],
    show: impl Fn(f64) -> String,
) -> Option<String> {
    if history.len() < ANOMALY_MIN_SAMPLES {
        return None;
    }
    let (mean, sd) = mean_sd(history);
    if sd <= f64::EPSILON * mean.abs().max(1.0) {
        return None;
    }
    let sigmas = (value - mean) / sd;
    (sigmas.abs() > ANOMALY_SIGMAS).then(|| {
        format!(
            "{what} {} is {:.1}σ {} its mean of {} over {} runs",
            show(value),
            sigmas.abs(),
            if sigmas > 0.0 { "above" } else { "below" },
            show(mean),
            history.len()
        )
    })
}

/// Gathers a report from a judged run.
pub(crate) fn build(
    config: &Config,
    plan: &Plan,
    run: &RunResult,
    verdict: &Verdict,
    run_id: &str,
    recent: &HashMap<String, Vec<Sample>>,
) -> Report {
    // A builtin's configured texts (a `forbidden` pattern's message) are
    // shown as its rules: masked like its findings (DESIGN §11).
    let redactor =
        crate::run::Redactor::new(&crate::run::secrets_from_env(&config.settings.redact));
    let gates: Vec<GateReport> = plan
        .gates
        .iter()
        .zip(&verdict.gates)
        .zip(&run.executions)
        .map(|((planned, gv), execution)| {
            let gate = &config.gates[planned.index];
            let samples = recent.get(gate.id.as_str()).map_or(&[][..], Vec::as_slice);
            let previous = |metric: &str| {
                samples.iter().find_map(|s| {
                    s.metrics
                        .iter()
                        .find(|(n, _)| n == metric)
                        .and_then(|(_, v)| *v)
                })
            };
            let mut notes = gv.notes.clone();
            // Anomalies only for results measured now: a cached result was
            // judged against its history when it was made.
            if let (Some(e), false) = (execution, gv.cached) {
                let durations: Vec<f64> = samples
                    .iter()
                    .filter(|s| !s.cached)
                    .filter_map(|s| s.duration_ms)
                    .map(|ms| ms as f64 / 1000.0)
                    .collect();
                notes.extend(anomaly(
                    "duration",
                    e.duration.as_secs_f64(),
                    &durations,
                    |v| human_duration(Duration::from_secs_f64(v.max(0.0))),
                ));
                for m in &gv.metrics {
                    let Ok(Some(v)) = m.value else { continue };
                    let history: Vec<f64> = samples
                        .iter()
                        .filter(|s| !s.cached)
                        .filter_map(|s| s.metrics.iter().find(|(n, _)| *n == m.name)?.1)
                        .collect();
                    notes.extend(anomaly(&m.name, v, &history, |x| {
                        with_unit(x, m.unit.as_deref())
                    }));
                }
            }
            GateReport {
                name: gate.id.to_string(),
                description: gate.description.clone(),
                status: gv.status,
                enforcement: gv.enforcement,
                cached: gv.cached,
                flaky: gv.flaky,
                attempts: execution.as_ref().map_or(0, |e| e.attempts),
                duration_ms: execution.as_ref().map(|e| e.duration.as_millis() as u64),
                exit_code: execution.as_ref().and_then(|e| match e.end {
                    ExecEnd::Exited(code) => Some(code),
                    _ => None,
                }),
                reason: gv.reason.clone(),
                weight: gate.weight,
                exit_codes: gate.exit_codes.clone(),
                metrics: gv
                    .metrics
                    .iter()
                    .map(|m| MetricReport {
                        name: m.name.clone(),
                        value: m.value.as_ref().ok().copied().flatten(),
                        error: m.value.as_ref().err().cloned(),
                        unit: m.unit.clone(),
                        min: m.threshold.min,
                        max: m.threshold.max,
                        better: match m.better {
                            Better::Higher => "higher",
                            Better::Lower => "lower",
                        }
                        .to_owned(),
                        within: m.within,
                        delta: m
                            .value
                            .clone()
                            .ok()
                            .flatten()
                            .zip(previous(&m.name))
                            .map(|(now, before)| now - before),
                        baseline: m.baseline,
                        max_regression: m.regression.map(|r| r.allowed.to_string()),
                        regression_limit: m.regression.map(|r| r.limit),
                        miss: if m.within == Some(false) {
                            m.miss()
                        } else {
                            None
                        },
                        findings: m.detail.clone().and_then(ReportFindings::shared),
                        scope: gate
                            .metrics
                            .iter()
                            .find(|c| c.name == m.name)
                            .map_or("all", |c| c.scope.name())
                            .to_owned(),
                        not_applicable: m.new_code.is_some() && matches!(m.value, Ok(None)),
                        new_code: m.new_code.clone().map(|mut counts| {
                            // The report's file names, as the rules' texts.
                            if let Some(redactor) = &redactor {
                                let paths = counts.uncovered.iter_mut().map(|r| &mut r.path);
                                paths
                                    .chain(counts.unmatched.iter_mut())
                                    .for_each(|p| redactor.redact(p));
                            }
                            counts
                        }),
                    })
                    .collect(),
                notes,
                output: execution
                    .as_ref()
                    .map(|e| match (&gv.new_findings, &gate.command) {
                        (Some(_), Command::Builtin(_)) => crate::builtin::new_code_output(
                            &e.output.text,
                            &shown_findings(e, gv),
                            e.findings.len(),
                            crate::run::FINDINGS_SHOWN,
                        ),
                        _ => e.output.text.clone(),
                    }),
                output_bytes: execution.as_ref().map_or(0, |e| e.output.total_bytes),
                output_omitted_bytes: execution.as_ref().map_or(0, |e| e.output.omitted_bytes),
                builtin: match &gate.command {
                    Command::Builtin(spec) => Some(spec.kind.name().to_owned()),
                    _ => None,
                },
                findings: match &gate.command {
                    Command::Builtin(_) => execution.as_ref().map(|e| shown_findings(e, gv)),
                    _ => None,
                },
                rules: match &gate.command {
                    Command::Builtin(spec) => {
                        let mut rules = spec.rules();
                        if let Some(redactor) = &redactor {
                            for rule in &mut rules {
                                redactor.redact(&mut rule.description);
                            }
                        }
                        rules
                    }
                    _ => Vec::new(),
                },
                other_shard: matches!(
                    planned.activity,
                    crate::plan::Activity::Skip(crate::plan::SkipReason::OtherShard { .. })
                ),
            }
        })
        .collect();
    let counts = Counts::of(&gates);
    Report {
        schema: SCHEMA,
        pqg_version: env!("CARGO_PKG_VERSION").to_owned(),
        run_id: run_id.to_owned(),
        config: config.path.display().to_string(),
        config_digest: blake3::hash(config.source.text.as_bytes()).to_hex()[..16].to_owned(),
        shard: plan.shard.map(|(k, n)| format!("{k}/{n}")),
        stage: config.ladder.name(plan.stage).to_string(),
        outcome: verdict.outcome,
        exit_code: verdict.ending().exit_code(),
        score: verdict.score,
        min_score: verdict.min_score,
        duration_ms: run.wall.as_millis() as u64,
        counts,
        gates,
    }
}

/// A builtin's findings its reports list: those on new code when its
/// findings metric is scoped, else all.
fn shown_findings(
    execution: &crate::run::Execution,
    verdict: &crate::judge::GateVerdict,
) -> Vec<Finding> {
    match &verdict.new_findings {
        Some(new) => new
            .iter()
            .filter_map(|&i| execution.findings.get(i).cloned())
            .collect(),
        None => execution.findings.clone(),
    }
}

/// The JSON report, pretty-printed, with a trailing newline.
pub(crate) fn render_json(report: &Report, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}
