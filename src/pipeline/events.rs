//! What a run shows while it runs: the `-v` log of the plan's and the
//! cache's decisions, the `--format jsonl` events, and the one judgement of
//! each finished gate that fail-fast, the events and the verdict share.
//! Nothing here runs a gate.

use super::Reusable;
use crate::baseline::BaselineState;
use crate::cache::{self, Cache};
use crate::config::Config;
use crate::judge::{self, GateVerdict};
use crate::plan::{GateIdx, PerGate};
use crate::{plan, run};
use std::sync::Mutex;

/// Judges each execution once, as the runner asks (for retries, fail-fast
/// and needs), and keeps the verdict of each gate's last one: the live
/// events and the stage's verdict read it instead of judging the gate again.
pub(super) struct Assessor<'a> {
    config: &'a Config,
    plan: &'a plan::Plan,
    baseline: &'a BaselineState,
    /// The tracked files before the run, when some gate must not write.
    writes: Option<&'a super::writes::WriteWatch>,
    /// What is new code, when a metric is scoped.
    new_code: Option<&'a super::LazyNewCode>,
    verdicts: Mutex<PerGate<Option<GateVerdict>>>,
}

impl<'a> Assessor<'a> {
    pub(super) fn new(
        config: &'a Config,
        plan: &'a plan::Plan,
        baseline: &'a BaselineState,
        writes: Option<&'a super::writes::WriteWatch>,
        new_code: Option<&'a super::LazyNewCode>,
    ) -> Self {
        Assessor {
            config,
            plan,
            baseline,
            writes,
            new_code,
            verdicts: Mutex::new(plan.indices().map(|_| None).collect()),
        }
    }

    /// What the runner needs to know of gate `gate`'s execution; the
    /// verdict behind it is kept.
    pub(super) fn assess(&self, gate: GateIdx, execution: &run::Execution) -> run::Assessment {
        let planned = self.plan.gate(gate);
        let Some(enforcement) = planned.enforcement() else {
            // Not active at this stage: the runner never starts it.
            return run::Assessment {
                status: judge::GateStatus::Skipped,
                blocking: false,
            };
        };
        let verdict = judge::judge_execution(
            &self.config.gates[planned.index],
            self.plan.stage,
            enforcement,
            execution,
            self.baseline,
            self.new_code.and_then(super::LazyNewCode::get),
            self.new_code.and_then(super::LazyNewCode::memo),
        );
        if let Some(w) = self.writes {
            w.finished(gate, execution.duration);
        }
        let assessment = judge::assessment(&verdict, enforcement);
        if let Ok(mut verdicts) = self.verdicts.lock() {
            verdicts[gate] = Some(verdict);
        }
        assessment
    }

    /// The runner's review before it relies on the passes of `gates`: those
    /// the write watch blames (looking at the files only when one of them
    /// finished since its last look), with what they become.
    pub(super) fn review(&self, gates: &[GateIdx]) -> Vec<(GateIdx, run::Assessment)> {
        let Some(w) = self.writes else {
            return Vec::new();
        };
        let blamed = w.review(gates);
        let Ok(verdicts) = self.verdicts.lock() else {
            return Vec::new();
        };
        blamed
            .into_iter()
            .filter_map(|gate| {
                let enforcement = self.plan.gate(gate).enforcement()?;
                let mut verdict = verdicts[gate].clone()?;
                blame(&mut verdict, String::new(), enforcement);
                Some((gate, judge::assessment(&verdict, enforcement)))
            })
            .collect()
    }

    /// Every verdict kept, by plan gate, with what the write watch laid at
    /// each gate's door once the run was over.
    pub(super) fn into_verdicts(self) -> PerGate<Option<GateVerdict>> {
        let blames = self.writes.map(super::writes::WriteWatch::settle);
        let verdicts = self.verdicts.into_inner().unwrap_or_default();
        let Some(blames) = blames else {
            return verdicts;
        };
        let mut out = Vec::with_capacity(verdicts.len());
        for (i, verdict) in verdicts.into_iter().enumerate() {
            let gate = GateIdx(i);
            let why = blames.get(gate).cloned().flatten();
            let enforcement = self.plan.gate(gate).enforcement();
            out.push(match (verdict, why, enforcement) {
                (Some(mut v), Some(why), Some(enforcement)) => {
                    blame(&mut v, why, enforcement);
                    Some(v)
                }
                (v, _, _) => v,
            });
        }
        out.into()
    }
}

/// A gate that changed tracked files without `writes = true` fails (a
/// warning below its `enforce_from`); one that failed already keeps its
/// reason and gets the change as a note.
fn blame(verdict: &mut GateVerdict, why: String, enforcement: plan::Enforcement) {
    match verdict.status {
        judge::GateStatus::Pass => {
            verdict.status = match enforcement {
                plan::Enforcement::Block => judge::GateStatus::Fail,
                plan::Enforcement::Warn => judge::GateStatus::Warn,
            };
            verdict.flaky = false;
            verdict.reason = Some(why);
        }
        judge::GateStatus::Warn if verdict.reason.is_none() => verdict.reason = Some(why),
        _ => verdict.notes.push(why),
    }
}

/// A run event as one JSON object, for `--format jsonl`.
pub(super) fn live_event(
    opts: &run::RunOptions,
    event: &run::RunEvent<'_>,
    clock: std::time::Instant,
) -> serde_json::Value {
    use serde_json::json;
    let time_ms = clock.elapsed().as_millis() as u64;
    match event {
        run::RunEvent::Started { gate, id } => json!({
            "event": "start", "gate": id.as_str(), "time_ms": time_ms,
            "cached": opts.job(*gate).is_cached(),
        }),
        run::RunEvent::Retrying { id, attempt, .. } => json!({
            "event": "retry", "gate": id.as_str(), "attempt": attempt, "time_ms": time_ms,
        }),
        run::RunEvent::Finished {
            gate,
            id,
            execution,
            assessment,
        } => {
            json!({
                "event": "finish", "gate": id.as_str(), "time_ms": time_ms,
                "status": assessment.status.as_str(),
                "cached": opts.job(*gate).is_cached(),
                "duration_ms": execution.duration.as_millis() as u64,
                "exit_code": match execution.end { run::ExecEnd::Exited(c) => Some(c), _ => None },
            })
        }
        run::RunEvent::Stopping { reason } => json!({
            "event": "stopping", "time_ms": time_ms,
            "reason": match reason {
                run::StopReason::FailFast => "fail-fast".to_owned(),
                run::StopReason::Signal(s) => format!("signal {s}"),
            },
        }),
    }
}

/// `-v`: what the plan and the cache decided for each gate, and why.
pub(super) fn log_decisions(
    config: &Config,
    plan: &plan::Plan,
    prepared: &cache::Prepared,
    reusable: &Reusable,
    cache: &Cache,
) {
    crate::info!(
        "plan: stage {}, {} of {} gates run{}",
        config.ladder.name(plan.stage),
        plan.running().count(),
        plan.gates.len(),
        if plan.fail_fast { ", fail-fast" } else { "" }
    );
    for (i, p) in plan.gates.iter().enumerate() {
        let gate = &config.gates[p.index];
        let decision = match &p.activity {
            plan::Activity::Skip(reason) => {
                format!("skipped ({})", reason.describe(&config.ladder))
            }
            plan::Activity::Run(enforcement) => {
                let cache_part = cache_decision(config, i, prepared, reusable, cache);
                let enforcement = match enforcement {
                    plan::Enforcement::Block => "blocking",
                    plan::Enforcement::Warn => "warning only",
                };
                format!("runs ({enforcement}); {cache_part}")
            }
        };
        crate::info!("gate {}: {decision}", gate.id);
    }
}

/// What the cache decided for gate `i`, which runs, and why.
fn cache_decision(
    config: &Config,
    i: usize,
    prepared: &cache::Prepared,
    reusable: &Reusable,
    cache: &Cache,
) -> String {
    let gate = &config.gates[i];
    if !gate.cache {
        "cache off for this gate".to_owned()
    } else if !cache.reads() {
        "cache off (--no-cache or unavailable)".to_owned()
    } else if let Some(why) = reusable.set_aside[i] {
        match why {
            super::prepare::SetAside::NeededBy(j) => format!(
                "stored result set aside: `{}` needs it and runs, and may read what it writes",
                config.gates[j].id
            ),
            super::prepare::SetAside::Needs(j) => format!(
                "stored result set aside: it needs `{}`, which runs, and may read what that writes",
                config.gates[j].id
            ),
        }
    } else if reusable.cached[i].is_some() {
        let key = prepared.keys[i]
            .as_ref()
            .map_or(String::new(), |k| k.key.hex()[..12].to_owned());
        format!("cache hit ({key})")
    } else if let Some(why) = &prepared.no_key[i] {
        format!("not cacheable: {why}")
    } else if let Some(k) = &prepared.keys[i] {
        format!(
            "cache miss: nothing stored for key {} ({} inputs); `pqg explain {}` says what changed",
            &k.key.hex()[..12],
            k.parts.input_count,
            gate.id
        )
    } else {
        "cache miss".to_owned()
    }
}

/// `-v`: when the key commands were most of a warm run's wait (every gate
/// answered from the cache), says so and what is faster.
pub(super) fn note_slow_key_commands(
    prepared: &cache::Prepared,
    reusable: &Reusable,
    wanted: &[usize],
    started_ns: i64,
) {
    let warm = !wanted.is_empty() && wanted.iter().all(|&i| reusable.cached[i].is_some());
    let waited = prepared.key_commands_time;
    let so_far = std::time::Duration::from_nanos(
        u64::try_from(crate::files::snapshot::now_ns().saturating_sub(started_ns)).unwrap_or(0),
    );
    if warm && waited > prepared.snapshot_time && waited * 2 > so_far {
        crate::info!(
            "key commands took {} ms of this {} ms warm run (the tree took {} ms): \
             list the files they read (lockfiles, installed-package manifests) as `inputs` \
             instead; pqg hashes files faster than it runs commands",
            waited.as_millis(),
            so_far.as_millis(),
            prepared.snapshot_time.as_millis()
        );
    }
}
