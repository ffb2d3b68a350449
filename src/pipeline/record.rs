//! After the run: the results worth keeping go to the cache, the run to
//! the history. Nothing here judges or prints.

use crate::cache::{self, history, Cache};
use crate::config::Config;
use crate::files::snapshot::FileEntry;
use crate::{report, run};
use std::path::Path;

/// Stores the results worth keeping: those that ran (not reused), ended in
/// an exit, passed or `cache_failures` is set, whose inputs did not change
/// while they ran (DESIGN §5), and whose needs, transitively, all ran or
/// were reused in this run, at their keys: a gate whose need did not run
/// (skipped, not selected, in another shard, not active at this stage,
/// cancelled) may have read what that need wrote at some other state of
/// the tree, and its result is stored under a key that holds the need's
/// key as it is now. Never stored either: a gate `blamed` for changing
/// tracked files (its stored exit code would pass it next time). A gate
/// `exact` (a builtin that checked the very bytes its key was made from)
/// is stored without looking at its inputs again.
pub(super) fn store_results(
    config: &Config,
    prepared: &cache::Prepared,
    result: &run::RunResult,
    watched: &super::writes::Watched,
    exact: &[bool],
    cache: &mut Cache,
    cache_dir: &Path,
) -> Option<cache::Changes> {
    // One finder for the run's secrets: the names stored are masked, and
    // with a token in the environment a finder per name cost half a
    // second for 40 gates on 20,000 files.
    let redactor = run::Redactor::new(&run::secrets_from_env(&config.settings.redact));
    let mut candidates = Vec::new();
    for (i, execution) in result.executions.enumerate() {
        let (Some(execution), Some(key)) = (execution, &prepared.keys[i.0]) else {
            continue;
        };
        if result.reused[i] {
            continue;
        }
        let gate = &config.gates[i.0];
        if watched.blamed[i] {
            crate::info!(
                "gate {}: result not stored: it changed tracked files",
                gate.id
            );
            continue;
        }
        let Some(stored) = execution.to_stored() else {
            continue;
        };
        // A scoped coverage metric keeps its report's file names, to be
        // judged again on another reference: a name holding a secret is
        // never stored (nor exported), and masked it could match no file.
        let coverage_names = execution
            .metrics
            .iter()
            .flatten()
            .filter_map(|r| r.detail.as_ref()?.coverage.as_ref());
        if let Some(redactor) = &redactor {
            if coverage_names
                .into_iter()
                .any(|c| redactor.holds(c.as_str()))
            {
                crate::info!(
                    "gate {}: result not stored: its coverage report names a file whose name holds a secret",
                    gate.id
                );
                continue;
            }
        }
        let clean = matches!(execution.end, run::ExecEnd::Exited(code) if gate.exit_codes.contains(&code))
            && execution.metrics.iter().all(Result::is_ok);
        if !(clean || gate.cache_failures) {
            continue;
        }
        if let Some(need) = need_not_run(config, result, i.0) {
            crate::info!(
                "gate {}: result not stored: it needs `{}`, which did not run in this run",
                gate.id,
                config.gates[need].id
            );
            continue;
        }
        candidates.push((i.0, key, stored));
    }
    if candidates.is_empty() {
        return None;
    }
    let (exact, candidates): (Vec<_>, Vec<_>) = candidates
        .into_iter()
        .partition(|&(i, _, _)| exact.get(i).copied().unwrap_or(false));
    if !exact.is_empty() {
        crate::debug!(
            "cache: {} builtin results made from the hashed bytes: their inputs are not looked at again",
            exact.len()
        );
    }
    // Inputs are checked again now that the gates have finished: a file
    // edited, removed or added while a gate ran means its result describes
    // no state of the tree, so it is not stored.
    // Only these gates' inputs, and those of the gates they need, are
    // looked at again: the cost follows what is stored, not the tree.
    let started = std::time::Instant::now();
    let mut checked: Vec<usize> = candidates
        .iter()
        .flat_map(|&(i, _, _)| std::iter::once(i).chain(needs_of(config, i)))
        .collect();
    checked.sort_unstable();
    checked.dedup();
    let changes = if checked.is_empty() {
        None
    } else {
        cache::changes_since(
            prepared,
            cache_dir,
            &checked,
            watched.after.as_deref(),
            watched.listed.as_deref(),
        )
    };
    crate::debug!(
        "cache: inputs of {} gates checked again in {} ms",
        checked.len(),
        started.elapsed().as_millis()
    );
    let now = crate::files::snapshot::now_ns();
    // A need without a key here (`cache = false`) is not looked at again.
    // When the tree could not be looked at again, only the exact results
    // are stored.
    let moved = |key: &cache::GateKey| {
        changes
            .as_ref()
            .is_none_or(|c| cache::inputs_changed(key, c))
    };
    let changed = |i: usize| prepared.keys[i].as_ref().is_some_and(moved);
    let kept: Vec<_> = candidates
        .into_iter()
        .filter(|&(i, key, _)| {
            let Some(need) = needs_of(config, i).into_iter().find(|&j| changed(j)) else {
                return !moved(key);
            };
            crate::info!(
                "gate {}: result not stored: the inputs of `{}`, which it needs, changed while it ran",
                config.gates[i].id,
                config.gates[need].id
            );
            false
        })
        .chain(exact)
        .collect();
    // The manifest names the input files, for `explain`: a name holding a
    // secret is stored masked (DESIGN §11).
    // Each list of names is looked through once however many keys share it.
    let mut looked = std::collections::HashMap::new();
    let masked: Vec<Option<Vec<FileEntry>>> = kept
        .iter()
        .map(|(_, key, _)| {
            let redactor = redactor.as_ref()?;
            looked
                .entry(key.files.id())
                .or_insert_with(|| masked_names(&key.files, redactor))
                .clone()
        })
        .collect();
    let items: Vec<cache::StoreItem<'_>> = kept
        .into_iter()
        .zip(&masked)
        .map(|((i, key, stored), masked)| cache::StoreItem {
            key: key.key,
            gate: config.gates[i].id.as_str(),
            parts: &key.parts,
            files: masked.as_deref().unwrap_or(&key.files),
            result: stored,
        })
        .collect();
    let started = std::time::Instant::now();
    cache.store(&items, now);
    crate::debug!(
        "cache: {} results written in {} ms",
        items.len(),
        started.elapsed().as_millis()
    );
    changes
}

/// `files` with the secrets `redactor` finds masked in their names, or
/// `None` when no name holds one.
fn masked_names(files: &[FileEntry], redactor: &run::Redactor) -> Option<Vec<FileEntry>> {
    if !files.iter().any(|f| redactor.holds(&f.path)) {
        return None;
    }
    Some(
        files
            .iter()
            .map(|f| {
                let mut path = f.path.clone();
                redactor.redact(&mut path);
                FileEntry { path, ..f.clone() }
            })
            .collect(),
    )
}

/// Every gate gate `i` needs, transitively, by config index.
fn needs_of(config: &Config, i: usize) -> Vec<usize> {
    let mut seen = vec![false; config.gates.len()];
    let mut todo = vec![i];
    let mut needs = Vec::new();
    while let Some(g) = todo.pop() {
        for need in &config.gates[g].needs {
            let Some(j) = config.gates.iter().position(|x| &x.id == need) else {
                continue;
            };
            if !std::mem::replace(&mut seen[j], true) {
                needs.push(j);
                todo.push(j);
            }
        }
    }
    needs
}

/// A gate that gate `i` needs, transitively, and that neither ran nor was
/// reused in this run, if any.
fn need_not_run(config: &Config, result: &run::RunResult, i: usize) -> Option<usize> {
    needs_of(config, i)
        .into_iter()
        .find(|&j| result.executions[crate::plan::GateIdx(j)].is_none())
}

/// The history's record of a run, from its report.
pub(super) fn history_record(
    report: &report::Report,
    started_ns: i64,
    commit: Option<String>,
    branch: Option<String>,
) -> history::RunRecord {
    history::RunRecord {
        run_id: report.run_id.clone(),
        time_ns: started_ns,
        stage: report.stage.clone(),
        outcome: report.outcome.as_str().to_owned(),
        score: report.score,
        min_score: report.min_score,
        commit,
        branch,
        host: crate::sys::host::host_name(),
        pqg_version: report.pqg_version.clone(),
        duration_ms: report.duration_ms,
        gates: report
            .gates
            .iter()
            .map(|g| history::GateRecord {
                gate: g.name.clone(),
                status: g.status.as_str().to_owned(),
                cached: g.cached,
                flaky: g.flaky,
                attempts: g.attempts,
                duration_ms: g.duration_ms,
                metrics: g
                    .metrics
                    .iter()
                    .map(|m| (m.name.clone(), m.value))
                    .collect(),
            })
            .collect(),
    }
}

/// A run id unique enough to name a log folder: seconds since the epoch and
/// the process id.
pub(super) fn run_id() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("{secs}-{}", std::process::id())
}
