//! A stage run, as named steps: build (plan, snapshot, keys, reuse) →
//! execute (the runner's events) → store → judge → report.
//!
//! Shaped like cargo-nextest's builder and runner: [`StageBuilder::build`]
//! does everything that can be known before a gate starts and gives a
//! [`StageRunner`]; [`StageRunner::execute`] runs the gates and gives a
//! [`Finished`] run, which stores, judges and reports itself. Each gate is
//! judged once, as it finishes (fail-fast and the live events need it then),
//! and the stage's verdict reuses that judgement. `check`, `ladder`,
//! `baseline save` and `hook run` all run a stage through here. Nothing
//! here prints but warnings, progress and the live events, and nothing here
//! chooses an exit code.

mod events;
mod prepare;
mod record;

use crate::baseline::{self, BaselineState};
use crate::cache::{self, history, Cache, CacheMode};
use crate::config::{Config, StageIdx};
use crate::report::progress::Progress;
use crate::{judge, plan, report, run};
use events::Assessor;
use prepare::ListsDir;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

/// What to run: a stage, and how.
pub struct StageRequest {
    pub stage: StageIdx,
    pub jobs: usize,
    /// The cache folder (`settings::ConfigSettings::cache_dir`).
    pub cache_dir: PathBuf,
    pub filters: plan::Filters,
    pub fail_fast: bool,
    pub no_cache: bool,
    pub keep_logs: bool,
    pub progress: bool,
    /// Never stop early, whatever `fail_fast` says: every gate's result is
    /// wanted (the ladder, baselines).
    pub keep_going: bool,
}

/// What running a stage produced.
pub struct StageRun {
    pub result: run::RunResult,
    pub verdict: judge::Verdict,
    pub report: report::Report,
    pub baseline: BaselineState,
    /// The input files as the run saw them, when it took a snapshot and it
    /// still holds: no gate ran, or the look at the tree after the run
    /// (made to decide what to store) found no file changed. A gate may
    /// rewrite files: a formatter, a lock file.
    pub snapshot: Option<crate::files::snapshot::Snapshot>,
}

/// Runs a stage, every step in turn; `live` gets each run event as one
/// JSON object (for `--format jsonl`).
pub fn run_stage(
    config: &Config,
    request: &StageRequest,
    live: &mut dyn FnMut(serde_json::Value),
) -> anyhow::Result<StageRun> {
    let runner = StageBuilder::new(config, request).build()?;
    let mut finished = runner.execute(live)?;
    let changes = finished.store();
    let verdict = finished.judge();
    Ok(finished.report(verdict, changes))
}

/// The first step's inputs: a config and a request.
pub struct StageBuilder<'a> {
    config: &'a Config,
    request: &'a StageRequest,
}

/// A stage planned and keyed, its reusable results found: ready to run.
pub struct StageRunner<'a> {
    config: &'a Config,
    request: &'a StageRequest,
    cache: Cache,
    cache_dir: PathBuf,
    run_id: String,
    started_ns: i64,
    baseline: BaselineState,
    plan: plan::Plan,
    prepared: cache::Prepared,
    opts: run::RunOptions,
    /// The folder of the `PQG_FILES` lists, removed once the run is over.
    lists: Option<ListsDir>,
}

/// A stage whose gates ran: what is left is to store, judge and report.
pub struct Finished<'a> {
    runner: StageRunner<'a>,
    result: run::RunResult,
    /// Each gate's verdict, judged as it finished.
    verdicts: Vec<Option<judge::GateVerdict>>,
}

impl<'a> StageBuilder<'a> {
    /// A builder for `request` on `config`.
    pub fn new(config: &'a Config, request: &'a StageRequest) -> Self {
        StageBuilder { config, request }
    }

    /// Plans the stage, snapshots and keys its inputs, and finds what the
    /// cache already answers.
    pub fn build(self) -> anyhow::Result<StageRunner<'a>> {
        let (config, request) = (self.config, self.request);
        let cache_dir = request.cache_dir.clone();
        let run_id = record::run_id();
        let started_ns = crate::files::snapshot::now_ns();
        let baseline = baseline::load(&config.root);
        let mode = if request.no_cache {
            CacheMode::Off
        } else {
            CacheMode::On
        };
        let mut cache = Cache::open(&cache_dir, mode);
        crate::debug!("cache opened: {}", cache.is_available());
        let predicted = history::predicted(&mut cache);
        crate::debug!("history: {} predictions", predicted.len());
        let plan = self.plan(&predicted)?;
        let wanted: Vec<usize> = if cache.reads() {
            (0..plan.gates.len())
                .filter(|&i| plan.cacheable(config, i))
                .collect()
        } else {
            Vec::new()
        };
        let prepared = cache::prepare(
            config,
            &wanted,
            &mut cache,
            &prepare::key_command,
            &cache_dir,
        );
        let (cached, twins) =
            prepare::reuse_plan(config, &prepared, &wanted, &mut cache, started_ns);
        if crate::log::enabled_at(crate::log::Level::Info) {
            events::log_decisions(config, &plan, &prepared, &cached, &twins, &cache);
        }
        crate::debug!(
            "cache: {} hits, {} twins",
            cached.iter().flatten().count(),
            twins.iter().flatten().count()
        );
        // --changed-since: each gate gets its share of the changed files,
        // and builtins check only those; such runs are not stored, since a
        // gate may have looked at the list instead of every input (reading
        // stays safe: a stored result came from a full run of the same
        // inputs).
        let changed = request.filters.changed.as_deref();
        let lists = changed.and_then(|_| prepare::lists_dir(&cache_dir, &run_id));
        let files_lists = match changed {
            Some(changed) => prepare::write_changed_lists(config, &plan, changed, lists.as_ref()),
            None => vec![None; plan.gates.len()],
        };
        let opts = run::RunOptions {
            jobs: request.jobs,
            stage: config.ladder.name(plan.stage).to_string(),
            run_id: run_id.clone(),
            logs_dir: request
                .keep_logs
                .then(|| cache_dir.join("logs").join(&run_id)),
            secrets: run::secrets_from_env(&config.settings.redact),
            default_timeout: config.settings.timeout,
            gates: prepare::gate_jobs(
                plan.gates
                    .iter()
                    .map(|g| predicted.get(g.id.as_str()).copied())
                    .collect(),
                prepare::builtin_files(config, &prepared, &cached, changed),
                cached,
                twins,
                files_lists,
            ),
            fail_fast: plan.fail_fast,
            handle_signals: true,
            cache_dir: cache_dir.clone(),
        };
        Ok(StageRunner {
            config,
            request,
            cache,
            cache_dir,
            run_id,
            started_ns,
            baseline,
            plan,
            prepared,
            opts,
            lists,
        })
    }

    /// The plan, its shards balanced by the durations history predicts.
    fn plan(&self, predicted: &HashMap<String, Duration>) -> anyhow::Result<plan::Plan> {
        let (config, request) = (self.config, self.request);
        let mut filters = request.filters.clone();
        if let Some(shard) = filters.shard.as_mut() {
            // Balanced by history: every shard must see the same history
            // (the same restored cache folder) to deal the same shares.
            shard.weights = config
                .gates
                .iter()
                .map(|g| predicted.get(g.id.as_str()).map(Duration::as_secs_f64))
                .collect();
        }
        let mut plan = plan::build(config, request.stage, &filters, request.fail_fast)?;
        if request.keep_going {
            plan.fail_fast = false;
        }
        crate::debug!(
            "config loaded; stage {}, {} gates run",
            config.ladder.name(request.stage),
            plan.running().count()
        );
        Ok(plan)
    }
}

impl<'a> StageRunner<'a> {
    /// Runs the gates, showing progress and passing each event to `live`;
    /// each gate is judged once, as it finishes.
    pub fn execute(self, live: &mut dyn FnMut(serde_json::Value)) -> anyhow::Result<Finished<'a>> {
        let assessor = Assessor::new(self.config, &self.plan, &self.baseline);
        let mut progress = self
            .request
            .progress
            .then(|| Progress::new(self.plan.running().count()));
        let assess = |i: usize, e: &run::Execution| assessor.assess(i, e);
        let clock = std::time::Instant::now();
        let result = run::execute(self.config, &self.plan, &self.opts, &assess, &mut |event| {
            if let Some(p) = progress.as_mut() {
                p.on_event(&event);
            }
            live(events::live_event(&self.opts, &assessor, &event, clock));
        })?;
        if let Some(p) = progress {
            p.finish();
        }
        crate::debug!("run finished");
        let verdicts = assessor.into_verdicts();
        Ok(Finished {
            runner: self,
            result,
            verdicts,
        })
    }
}

impl Finished<'_> {
    /// Stores the results worth keeping (none from an interrupted run nor
    /// from a `--changed-since` one); gives back what the look at the
    /// inputs after the run found, when it took one.
    pub fn store(&mut self) -> Option<cache::Changes> {
        let r = &mut self.runner;
        let mut changes = None;
        if self.result.interrupted.is_none() && r.request.filters.changed.is_none() {
            changes = record::store_results(
                r.config,
                &r.prepared,
                &self.result,
                &mut r.cache,
                &r.cache_dir,
            );
            crate::debug!("results stored");
        }
        drop(r.lists.take());
        changes
    }

    /// The stage's verdict, from the judgements made as gates finished.
    pub fn judge(&mut self) -> judge::Verdict {
        let r = &self.runner;
        let verdicts = std::mem::take(&mut self.verdicts);
        let verdict = judge::judge_with(r.config, &r.plan, &self.result, &r.baseline, verdicts);
        crate::debug!("judged");
        verdict
    }

    /// Builds the report, records the run in the history, and hands
    /// everything back.
    pub fn report(self, verdict: judge::Verdict, changes: Option<cache::Changes>) -> StageRun {
        let Finished {
            runner: mut r,
            result,
            ..
        } = self;
        let fresh: Vec<&str> = r
            .plan
            .gates
            .iter()
            .enumerate()
            .filter(|(i, _)| result.executions[*i].is_some() && !result.reused[*i])
            .map(|(_, g)| g.id.as_str())
            .collect();
        let recent = history::recent(&mut r.cache, &fresh);
        crate::debug!("history: {} gates' recent results read", recent.len());
        let report = report::build(r.config, &r.plan, &result, &verdict, &r.run_id, &recent);
        crate::debug!("report built");
        let (commit, branch) = crate::git::head(&r.config.root);
        crate::debug!("git head read");
        history::record(
            &mut r.cache,
            &record::history_record(&report, r.started_ns, commit, branch),
            r.config.settings.history,
        );
        crate::debug!("history recorded");
        for warning in r.cache.take_warnings() {
            eprintln!("warning: {warning}");
        }
        let snapshot = still_holds(r.prepared.snapshot.take(), fresh.is_empty(), changes);
        StageRun {
            result,
            verdict,
            report,
            baseline: r.baseline,
            snapshot,
        }
    }
}

/// The snapshot, if it still describes the tree: no gate ran, or the look
/// after the run found no file changed.
fn still_holds(
    snapshot: Option<crate::files::snapshot::Snapshot>,
    none_ran: bool,
    changes: Option<cache::Changes>,
) -> Option<crate::files::snapshot::Snapshot> {
    snapshot.filter(|_| match changes {
        _ if none_ran => true,
        Some(c) if c.changed.is_empty() => true,
        Some(_) => {
            crate::debug!("files changed while the gates ran: the snapshot no longer holds");
            false
        }
        None => {
            crate::debug!("gates ran and nothing was stored: the snapshot is not known to hold");
            false
        }
    })
}
