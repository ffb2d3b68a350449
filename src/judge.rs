//! Verdicts (DESIGN §4): each gate's status against the thresholds of the
//! stage, the score, and whether the stage passed.
//!
//! Everything here is a pure function of the config, the plan and the
//! executions: no I/O, no clock. The same execution is judged again at any
//! stage, which is what lets a cached measurement serve every stage.

pub(crate) mod scope;

use crate::baseline::BaselineState;
use crate::config::{Better, Config, Gate, Metric, MetricSource, Regression, Scope, StageIdx};
use crate::git::new_code::NewCode;
use crate::outcome::Outcome;
use crate::parsers::detail::MetricDetail;
pub(crate) use crate::plan::GateStatus;
use crate::plan::{Activity, Enforcement, GateIdx, PerGate, Plan};
use crate::run::{Assessment, ExecEnd, Execution, RunResult};
use serde::Serialize;
use std::sync::Arc;

/// A threshold resolved for one stage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct Threshold {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Threshold {
    pub(crate) fn is_none(&self) -> bool {
        self.min.is_none() && self.max.is_none()
    }

    pub(crate) fn admits(&self, value: f64) -> bool {
        self.min.is_none_or(|m| value >= m) && self.max.is_none_or(|m| value <= m)
    }
}

/// A metric's value judged against its threshold at the stage.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MetricJudgement {
    pub name: String,
    /// The value; `Ok(None)` when it does not apply (`n/a`: new-code
    /// coverage with no instrumented changed line), which passes.
    pub value: Result<Option<f64>, String>,
    /// What the reading found besides its number (SARIF's located results).
    pub detail: Option<Arc<MetricDetail>>,
    pub threshold: Threshold,
    pub better: Better,
    pub unit: Option<String>,
    /// `Some(false)` when the value misses the threshold or regressed past
    /// `max_regression`; `None` when there is no value or nothing to check.
    pub within: Option<bool>,
    /// The committed baseline value, when there is one.
    pub baseline: Option<f64>,
    /// The regression check at this stage, when `max_regression` applies
    /// and the baseline has a value.
    pub regression: Option<RegressionCheck>,
    /// `scope = "new"`: what was counted on new code.
    pub new_code: Option<scope::NewCodeCounts>,
}

/// A value compared with its baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RegressionCheck {
    pub allowed: Regression,
    /// The worst value allowed: the baseline moved by `allowed` the wrong way.
    pub limit: f64,
    pub ok: bool,
}

impl MetricJudgement {
    /// Why the metric misses, in words: `lines 78.2 < 85`,
    /// `lines 78.2 regressed past 79.2 (baseline 80, max 1%)`.
    pub(crate) fn miss(&self) -> Option<String> {
        let value = (*self.value.as_ref().ok()?)?;
        let show = |v: f64| crate::fmt::with_unit(v, self.unit.as_deref());
        if let Some(min) = self.threshold.min.filter(|m| value < *m) {
            return Some(format!(
                "{} {} < {}",
                self.name,
                show(value),
                crate::fmt::number(min)
            ));
        }
        if let Some(max) = self.threshold.max.filter(|m| value > *m) {
            return Some(format!(
                "{} {} > {}",
                self.name,
                show(value),
                crate::fmt::number(max)
            ));
        }
        let r = self.regression.filter(|r| !r.ok)?;
        Some(format!(
            "{} {} regressed past {} (baseline {}, max {})",
            self.name,
            show(value),
            crate::fmt::number(r.limit),
            crate::fmt::number(self.baseline.unwrap_or(f64::NAN)),
            r.allowed
        ))
    }
}

/// The regression check of `value` against `base`, in `better`'s direction.
pub(crate) fn regression(
    value: f64,
    base: f64,
    allowed: Regression,
    better: Better,
) -> RegressionCheck {
    let slack = match allowed {
        Regression::Percent(p) => base.abs() * p / 100.0,
        Regression::Absolute(a) => a,
    };
    let (limit, ok) = match better {
        Better::Higher => (base - slack, value + 1e-9 >= base - slack),
        Better::Lower => (base + slack, value - 1e-9 <= base + slack),
    };
    RegressionCheck { allowed, limit, ok }
}

/// One gate's verdict.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GateVerdict {
    pub status: GateStatus,
    pub enforcement: Option<Enforcement>,
    pub flaky: bool,
    pub cached: bool,
    /// A short human reason, when the status needs one.
    pub reason: Option<String>,
    pub metrics: Vec<MetricJudgement>,
    /// Facts worth a line that do not change the status (a missing baseline
    /// value).
    pub notes: Vec<String>,
    /// A builtin whose findings metric is `scope = "new"`: which of its
    /// findings (indexes into the execution's) are on new code, the ones
    /// its reports list; `None` lists them all.
    pub new_findings: Option<Vec<usize>>,
}

/// How a stage ended, as its reports and the run history write it. The
/// command's ending, which `main` turns into an exit code, is an
/// [`Outcome`]: [`StageOutcome::ending`] maps one onto the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum StageOutcome {
    Passed,
    Failed,
    Interrupted,
}

impl StageOutcome {
    /// The outcome's name, as the JSON report and the run history write it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            StageOutcome::Passed => "passed",
            StageOutcome::Failed => "failed",
            StageOutcome::Interrupted => "interrupted",
        }
    }

    /// How a command that ended in this stage outcome ended; `signal` says
    /// which signal interrupted it (none known: SIGINT).
    pub(crate) fn ending(self, signal: Option<i32>) -> Outcome {
        match self {
            StageOutcome::Passed => Outcome::Passed,
            StageOutcome::Failed => Outcome::Failed,
            StageOutcome::Interrupted => Outcome::Interrupted {
                signal: signal.unwrap_or(libc::SIGINT),
            },
        }
    }
}

/// The verdict on a stage.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Verdict {
    pub stage: StageIdx,
    pub gates: Vec<GateVerdict>,
    pub score: Option<f64>,
    pub min_score: Option<f64>,
    pub outcome: StageOutcome,
    /// The signal that interrupted the run, if any.
    pub signal: Option<i32>,
}

impl Verdict {
    /// How the command that judged this stage ended (DESIGN §4).
    pub(crate) fn ending(&self) -> Outcome {
        self.outcome.ending(self.signal)
    }
}

/// The threshold of `metric` at `stage`.
pub(crate) fn threshold(metric: &Metric, stage: StageIdx) -> Threshold {
    Threshold {
        min: metric.min.at(stage).copied(),
        max: metric.max.at(stage).copied(),
    }
}

/// The value of `metric` as measured in `measured`, on new code when it is
/// scoped: `Ok(None)` when nothing it measures is new code (n/a).
fn scoped_value(
    metric: &Metric,
    measured: &crate::run::MetricValue,
    execution: &Execution,
    new_code: Option<&NewCode>,
    memo: Option<&scope::CoverageMemo>,
) -> (Result<Option<f64>, String>, Option<scope::NewCodeCounts>) {
    let reading = match measured {
        Ok(r) => r,
        Err(e) => return (Err(e.clone()), None),
    };
    if metric.scope != Scope::New {
        return (Ok(Some(reading.value)), None);
    }
    let Some(new_code) = new_code else {
        return (
            Err("internal: new code was not computed for a scoped metric".to_owned()),
            None,
        );
    };
    match &metric.source {
        MetricSource::Findings => {
            let located = execution.findings.iter().map(|f| {
                let line = f.line.unwrap_or(0);
                (f.file.as_str(), line, line)
            });
            let (v, counts) = scope::findings(located, 0, new_code);
            (Ok(Some(v)), Some(counts))
        }
        MetricSource::Lcov { .. } | MetricSource::Cobertura { .. } => {
            match reading.detail.as_deref().and_then(|d| d.coverage.as_ref()) {
                Some(files) => {
                    let (v, counts) = match memo {
                        Some(memo) => memo.coverage(files, new_code),
                        None => scope::coverage(files, new_code),
                    };
                    (Ok(v), Some(counts))
                }
                None => (
                    Err("internal: the coverage reading kept no lines".to_owned()),
                    None,
                ),
            }
        }
        MetricSource::Sarif { .. } => {
            match reading.detail.as_deref().and_then(|d| d.findings.as_ref()) {
                Some(found) => {
                    let (v, counts) = scope::findings(found.located(), found.unlocated, new_code);
                    (Ok(Some(v)), Some(counts))
                }
                None => (
                    Err("internal: the SARIF reading kept no places".to_owned()),
                    None,
                ),
            }
        }
        _ => (
            Err("internal: this metric kept nothing to judge new code by".to_owned()),
            None,
        ),
    }
}

/// Judges one execution of `gate` at `stage`; `new_code` is what is new in
/// this run, computed when some metric is scoped, and `memo` the coverage
/// on new code judged before ([`scope::CoverageMemo`]).
pub(crate) fn judge_execution(
    gate: &Gate,
    stage: StageIdx,
    enforcement: Enforcement,
    execution: &Execution,
    baseline: &BaselineState,
    new_code: Option<&NewCode>,
    memo: Option<&scope::CoverageMemo>,
) -> GateVerdict {
    let mut notes = Vec::new();
    let mut baseline_error = None;
    let metrics: Vec<MetricJudgement> = gate
        .metrics
        .iter()
        .zip(execution.metrics.iter())
        .map(|(metric, measured)| {
            let (value, counts) = scoped_value(metric, measured, execution, new_code, memo);
            let detail = measured.as_ref().ok().and_then(|r| r.detail.clone());
            // A scoped SARIF metric lists only the results it counted.
            let detail = match (&counts, new_code, detail) {
                (Some(_), Some(nc), Some(d)) if d.findings.is_some() => {
                    Some(std::sync::Arc::new(scope::new_findings_only(&d, nc)))
                }
                (_, _, d) => d,
            };
            let threshold = threshold(metric, stage);
            let base = match baseline {
                BaselineState::Loaded(b) => b.value(gate.id.as_str(), &metric.name),
                _ => None,
            };
            let allowed = metric.max_regression.at(stage).copied();
            let regression = match (allowed, &value, base) {
                (Some(allowed), Ok(Some(v)), Some(b)) => {
                    Some(regression(*v, b, allowed, metric.better))
                }
                _ => None,
            };
            if allowed.is_some() && base.is_none() {
                match baseline {
                    BaselineState::Corrupt(why) => baseline_error = Some(why.clone()),
                    _ => notes.push(format!(
                        "no baseline value for `{}`: regression not checked (`pqg baseline save` records one)",
                        metric.name
                    )),
                }
            }
            let within = match &value {
                Ok(Some(v)) if !threshold.is_none() || regression.is_some() => {
                    Some(threshold.admits(*v) && regression.is_none_or(|r| r.ok))
                }
                _ => None,
            };
            MetricJudgement {
                name: metric.name.clone(),
                value,
                detail,
                threshold,
                better: metric.better,
                unit: metric.unit.clone(),
                within,
                baseline: base,
                regression,
                new_code: counts,
            }
        })
        .collect();
    let (status, reason) = match &execution.end {
        ExecEnd::SpawnFailed(message) => (GateStatus::Error, Some(message.clone())),
        ExecEnd::TimedOut(limit) => (
            GateStatus::Timeout,
            Some(format!(
                "timed out after {}",
                crate::fmt::limit_duration(*limit)
            )),
        ),
        ExecEnd::Cancelled => (GateStatus::Cancelled, Some("stopped by pqg".to_owned())),
        ExecEnd::Signalled(sig) => (GateStatus::Fail, Some(format!("killed by signal {sig}"))),
        ExecEnd::Exited(code) if !gate.exit_codes.contains(code) => {
            (GateStatus::Fail, Some(format!("exit {code}")))
        }
        ExecEnd::Exited(_) if execution.metrics.len() != gate.metrics.len() => (
            GateStatus::Error,
            Some(format!(
                "{} of {} metrics were measured",
                execution.metrics.len(),
                gate.metrics.len()
            )),
        ),
        ExecEnd::Exited(code) => {
            if let Some((m, Err(e))) = metrics
                .iter()
                .find_map(|m| m.value.as_ref().err().map(|e| (m, Err::<f64, _>(e))))
            {
                (GateStatus::Error, Some(format!("{}: {e}", m.name)))
            } else if let Some(why) = &baseline_error {
                (GateStatus::Error, Some(format!("baseline: {why}")))
            } else if metrics.iter().any(|m| m.within == Some(false)) {
                (GateStatus::Fail, None)
            } else {
                (
                    GateStatus::Pass,
                    (*code != 0).then(|| format!("exit {code}")),
                )
            }
        }
    };
    let status = match (status, enforcement) {
        (GateStatus::Fail, Enforcement::Warn) => GateStatus::Warn,
        (s, _) => s,
    };
    // A scoped findings metric counts the findings on new code: those are
    // the ones shown ("hold the line": old ones are only counted).
    let scoped = gate
        .metrics
        .iter()
        .any(|m| m.scope == Scope::New && matches!(m.source, MetricSource::Findings));
    let new_findings = match new_code {
        Some(nc) if scoped => Some(
            execution
                .findings
                .iter()
                .enumerate()
                .filter(|(_, f)| scope::on_new_code(nc, &f.file, f.line.unwrap_or(0)))
                .map(|(i, _)| i)
                .collect(),
        ),
        _ => None,
    };
    GateVerdict {
        status,
        enforcement: Some(enforcement),
        flaky: status == GateStatus::Pass && execution.attempts > 1,
        cached: false,
        reason,
        metrics,
        notes,
        new_findings,
    }
}

/// What the runner needs to know of a gate judged `verdict`.
pub(crate) fn assessment(verdict: &GateVerdict, enforcement: Enforcement) -> Assessment {
    Assessment {
        status: verdict.status,
        blocking: enforcement == Enforcement::Block,
    }
}

/// Judges a whole run.
pub(crate) fn judge(
    config: &Config,
    plan: &Plan,
    run: &RunResult,
    baseline: &BaselineState,
    new_code: Option<&NewCode>,
) -> Verdict {
    judge_with(
        config,
        plan,
        run,
        baseline,
        new_code,
        None,
        PerGate::default(),
    )
}

/// Judges a whole run, taking each gate's verdict from `known` (by plan
/// gate) when it was judged already as it finished: no gate is judged twice.
pub(crate) fn judge_with(
    config: &Config,
    plan: &Plan,
    run: &RunResult,
    baseline: &BaselineState,
    new_code: Option<&NewCode>,
    memo: Option<&scope::CoverageMemo>,
    known: PerGate<Option<GateVerdict>>,
) -> Verdict {
    let mut known = known.into_iter();
    let mut resolved: PerGate<Option<GateVerdict>> = plan
        .indices()
        .map(|i| {
            verdict_of(
                config,
                plan,
                run,
                baseline,
                (new_code, memo),
                i,
                known.next().flatten(),
            )
        })
        .collect();
    for i in plan.indices() {
        resolve_not_run(i, plan, run, &mut resolved);
    }
    let gates: Vec<GateVerdict> = resolved
        .into_iter()
        .zip(&run.reused)
        .map(|(v, &reused)| {
            let mut v = v.expect("every gate is resolved");
            // A reused result is marked cached; its flakiness belonged to the
            // run that produced it.
            v.cached = reused;
            v.flaky &= !reused;
            v
        })
        .collect();

    let (score, outcome) = stage_outcome(
        gates
            .iter()
            .zip(plan.gates.iter())
            .map(|(v, p)| (v.status, v.enforcement, config.gates[p.index].weight)),
        plan.min_score,
        run.interrupted.is_some(),
    );
    Verdict {
        stage: plan.stage,
        gates,
        score,
        min_score: plan.min_score,
        outcome,
        signal: run.interrupted,
    }
}

/// The verdict of plan gate `i` when it was skipped or ran: `known` when it
/// was judged as it finished, otherwise judged now; `None` when it runs in
/// the plan but never started.
fn verdict_of(
    config: &Config,
    plan: &Plan,
    run: &RunResult,
    baseline: &BaselineState,
    (new_code, memo): (Option<&NewCode>, Option<&scope::CoverageMemo>),
    i: GateIdx,
    known: Option<GateVerdict>,
) -> Option<GateVerdict> {
    let planned = plan.gate(i);
    match (&planned.activity, &run.executions[i]) {
        (Activity::Skip(reason), _) => Some(GateVerdict {
            status: GateStatus::Skipped,
            enforcement: None,
            flaky: false,
            cached: false,
            reason: Some(reason.describe(&config.ladder)),
            metrics: Vec::new(),
            notes: Vec::new(),
            new_findings: None,
        }),
        (Activity::Run(_), Some(_)) if known.is_some() => known,
        (Activity::Run(enforcement), Some(execution)) => Some(judge_execution(
            &config.gates[planned.index],
            plan.stage,
            *enforcement,
            execution,
            baseline,
            new_code,
            memo,
        )),
        (Activity::Run(_), None) => None,
    }
}

/// The score and outcome of a stage from each gate's status, enforcement
/// and weight (DESIGN §4): score = 100 × Σ weight passed / Σ weight
/// active; the stage fails on a blocking failure or a score below the
/// minimum.
pub(crate) fn stage_outcome(
    gates: impl Iterator<Item = (GateStatus, Option<Enforcement>, f64)>,
    min_score: Option<f64>,
    interrupted: bool,
) -> (Option<f64>, StageOutcome) {
    // Not `sum()`: an empty f64 sum is -0.0, shown as "score -0.0".
    let (mut total, mut passed, mut blocking_failure) = (0.0, 0.0, false);
    for (status, enforcement, weight) in gates {
        if status != GateStatus::Skipped {
            total += weight;
        }
        if status == GateStatus::Pass {
            passed += weight;
        }
        blocking_failure |= enforcement == Some(Enforcement::Block) && status.fails_stage();
    }
    let score = (total > 0.0).then(|| 100.0 * passed / total);
    let score_ok = match (score, min_score) {
        (Some(s), Some(min)) => s + 1e-9 >= min,
        _ => true,
    };
    let outcome = if interrupted {
        StageOutcome::Interrupted
    } else if blocking_failure || !score_ok {
        StageOutcome::Failed
    } else {
        StageOutcome::Passed
    };
    (score, outcome)
}

/// The verdict of a gate that runs in the plan but never started: blocked
/// when a need did not pass, cancelled when the run stopped first.
fn resolve_not_run(
    i: GateIdx,
    plan: &Plan,
    run: &RunResult,
    resolved: &mut PerGate<Option<GateVerdict>>,
) {
    if resolved[i].is_some() {
        return;
    }
    let mut unmet = Vec::new();
    let mut blocked = false;
    for d in plan.needs_of(i) {
        resolve_not_run(d, plan, run, resolved);
        let status = resolved[d].as_ref().expect("resolved above").status;
        if status != GateStatus::Pass {
            unmet.push(format!("{} ({})", plan.gate(d).id, status.as_str()));
            blocked |= status != GateStatus::Cancelled;
        }
    }
    let (status, reason) = if blocked {
        (GateStatus::Blocked, format!("needs {}", unmet.join(", ")))
    } else if run.interrupted.is_some() {
        (GateStatus::Cancelled, "not started: interrupted".to_owned())
    } else {
        (GateStatus::Cancelled, "not started: fail-fast".to_owned())
    };
    resolved[i] = Some(GateVerdict {
        status,
        enforcement: plan.gate(i).enforcement(),
        flaky: false,
        cached: false,
        reason: Some(reason),
        metrics: Vec::new(),
        notes: Vec::new(),
        new_findings: None,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{build, Filters};
    use crate::run::Output;
    use std::path::Path;
    use std::time::Duration;

    const CONFIG: &str = r#"
[settings]
min_score = { production = 90 }
[gates.build]
run = "true"
[gates.test]
run = "true"
needs = ["build"]
weight = 3
[gates.cov]
run = "true"
enforce_from = "staging"
[gates.cov.metrics.lines]
regex = '(\d+)'
min = { development = 60, staging = 75, production = 85 }
"#;

    fn exec(code: i32, metrics: Vec<Result<f64, String>>) -> Execution {
        Execution {
            end: ExecEnd::Exited(code),
            duration: Duration::from_millis(10),
            output: Output::default(),
            metrics: metrics
                .into_iter()
                .map(|m| m.map(crate::run::measure::Reading::number))
                .collect(),
            attempts: 1,
            findings: Vec::new(),
        }
    }

    /// A run in which these executions were run, none reused, none
    /// assessed yet.
    fn ran(executions: Vec<Option<Execution>>) -> RunResult {
        RunResult {
            reused: vec![false; executions.len()].into(),
            executions: executions.into(),
            interrupted: None,
            wall: Duration::ZERO,
        }
    }

    fn judge_at(stage: usize, executions: Vec<Option<Execution>>) -> Verdict {
        let config = Config::parse(Path::new("gates.toml"), CONFIG).unwrap();
        let plan = build(&config, StageIdx(stage), &Filters::default(), false).unwrap();
        judge(
            &config,
            &plan,
            &ran(executions),
            &BaselineState::Missing,
            None,
        )
    }

    fn statuses(v: &Verdict) -> Vec<GateStatus> {
        v.gates.iter().map(|g| g.status).collect()
    }

    #[test]
    fn the_same_measurement_is_judged_per_stage() {
        let run = || {
            vec![
                Some(exec(0, vec![])),
                Some(exec(0, vec![])),
                Some(exec(0, vec![Ok(78.0)])),
            ]
        };
        let dev = judge_at(1, run());
        assert_eq!(statuses(&dev), [GateStatus::Pass; 3]);
        let staging = judge_at(2, run());
        assert_eq!(statuses(&staging), [GateStatus::Pass; 3]);
        let prod = judge_at(3, run());
        assert_eq!(
            statuses(&prod),
            [GateStatus::Pass, GateStatus::Pass, GateStatus::Fail]
        );
        assert_eq!(prod.outcome, StageOutcome::Failed);
        assert_eq!(prod.ending().exit_code(), 1);
    }

    #[test]
    fn a_miss_below_enforce_from_is_a_warning() {
        let v = judge_at(
            1,
            vec![
                Some(exec(0, vec![])),
                Some(exec(0, vec![])),
                Some(exec(0, vec![Ok(50.0)])),
            ],
        );
        assert_eq!(v.gates[2].status, GateStatus::Warn);
        assert_eq!(v.outcome, StageOutcome::Passed);
        assert_eq!(v.ending().exit_code(), 0);
        // Score counts only passes: 1 + 3 of 5.
        assert_eq!(v.score, Some(80.0));
    }

    #[test]
    fn an_unreadable_metric_is_an_error_never_a_pass() {
        let v = judge_at(
            2,
            vec![
                Some(exec(0, vec![])),
                Some(exec(0, vec![])),
                Some(exec(0, vec![Err("regex did not match".into())])),
            ],
        );
        assert_eq!(v.gates[2].status, GateStatus::Error);
        assert_eq!(v.outcome, StageOutcome::Failed);
    }

    #[test]
    fn a_metric_without_a_value_is_an_error_never_a_pass() {
        let v = judge_at(
            2,
            vec![
                Some(exec(0, vec![])),
                Some(exec(0, vec![])),
                Some(exec(0, vec![])),
            ],
        );
        assert_eq!(v.gates[2].status, GateStatus::Error);
    }

    #[test]
    fn a_failed_need_blocks_its_dependent() {
        let v = judge_at(
            2,
            vec![Some(exec(1, vec![])), None, Some(exec(0, vec![Ok(90.0)]))],
        );
        assert_eq!(v.gates[1].status, GateStatus::Blocked);
        assert_eq!(v.gates[1].reason.as_deref(), Some("needs build (fail)"));
        assert_eq!(v.outcome, StageOutcome::Failed);
    }

    #[test]
    fn min_score_fails_a_stage_whose_gates_only_warn() {
        let config = Config::parse(
            Path::new("gates.toml"),
            "[settings]\nmin_score = 90\n[gates.a]\nrun='true'\n[gates.b]\nrun='true'\nenforce_from='critical'\n",
        )
        .unwrap();
        let plan = build(&config, StageIdx(0), &Filters::default(), false).unwrap();
        let run = ran(vec![Some(exec(0, vec![])), Some(exec(1, vec![]))]);
        let v = judge(&config, &plan, &run, &BaselineState::Missing, None);
        assert_eq!(statuses(&v), [GateStatus::Pass, GateStatus::Warn]);
        assert_eq!(v.score, Some(50.0));
        assert_eq!(v.outcome, StageOutcome::Failed);
    }

    #[test]
    fn a_gate_judged_as_it_finished_is_never_judged_again() {
        let config = Config::parse(Path::new("gates.toml"), CONFIG).unwrap();
        let plan = build(&config, StageIdx(2), &Filters::default(), false).unwrap();
        let run = ran(vec![
            Some(exec(0, vec![])),
            Some(exec(0, vec![])),
            Some(exec(0, vec![Ok(90.0)])),
        ]);
        // A verdict no judgement of gate 0's execution (exit 0) would give:
        // had judge_with judged it again, it would be a pass.
        let known = GateVerdict {
            status: GateStatus::Fail,
            enforcement: Some(Enforcement::Block),
            flaky: false,
            cached: false,
            reason: Some("judged as it finished".to_owned()),
            metrics: Vec::new(),
            notes: Vec::new(),
            new_findings: None,
        };
        let v = judge_with(
            &config,
            &plan,
            &run,
            &BaselineState::Missing,
            None,
            None,
            vec![Some(known.clone()), None].into(),
        );
        assert_eq!(v.gates[0], known);
        assert_eq!(v.gates[1].status, GateStatus::Pass, "judged now");
        assert_eq!(v.gates[2].status, GateStatus::Pass, "judged now");
        assert_eq!(v.outcome, StageOutcome::Failed);
    }

    #[test]
    fn accepted_exit_codes_pass_and_flaky_passes_are_flagged() {
        let config = Config::parse(
            Path::new("gates.toml"),
            "[gates.a]\nrun='true'\nexit_codes=[0,1]\nretries=2\n",
        )
        .unwrap();
        let mut e = exec(1, vec![]);
        e.attempts = 2;
        let v = judge_execution(
            &config.gates[0],
            StageIdx(0),
            Enforcement::Block,
            &e,
            &BaselineState::Missing,
            None,
            None,
        );
        assert_eq!(v.status, GateStatus::Pass);
        assert!(v.flaky);
    }

    #[test]
    fn interrupted_runs_exit_130_or_143() {
        let mut v = judge_at(0, vec![Some(exec(0, vec![])), None, None]);
        v.outcome = StageOutcome::Interrupted;
        v.signal = Some(libc::SIGINT);
        assert_eq!(v.ending().exit_code(), 130);
        v.signal = Some(libc::SIGTERM);
        assert_eq!(v.ending().exit_code(), 143);
    }

    #[test]
    fn outcome_names_match_the_json_and_the_old_history_rows() {
        for outcome in [
            StageOutcome::Passed,
            StageOutcome::Failed,
            StageOutcome::Interrupted,
        ] {
            let json = serde_json::to_value(outcome).unwrap();
            assert_eq!(json.as_str(), Some(outcome.as_str()));
            // History rows written before `as_str` hold this form.
            assert_eq!(format!("{outcome:?}").to_lowercase(), outcome.as_str());
        }
    }
}
