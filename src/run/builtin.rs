//! A builtin gate, run inside pqg over its input files: the files the cache
//! listed, or else listed here while the tracked ones are already checked.
//!
//! It reports what the builtin found; whether that passes is the judge's.

use super::gate::GateRunner;
use super::{measure, redact, ExecEnd, Execution, Output};
use crate::builtin;
use crate::config::{Config, Gate};
use crate::files::{filter::InputFilter, list, root::absolute};
use crate::plan::GateIdx;
use std::path::Path;
use std::time::Instant;

/// How many findings a builtin's output lists; all of them are kept in the
/// execution (and so in the JSON and SARIF reports).
pub(crate) const FINDINGS_SHOWN: usize = 200;

/// Runs builtin gate `i` (`gate`, whose command is `spec`).
pub(super) fn run_builtin(
    runner: &GateRunner<'_>,
    gate: &Gate,
    spec: &builtin::Spec,
    i: GateIdx,
) -> Execution {
    let started = Instant::now();
    let config = runner.config;
    let stop = || runner.groups.is_closed();
    let job = runner.job(i);
    let outcome = match &job.builtin_files {
        Some(files) => {
            let refs: Vec<&str> = files.iter().map(String::as_str).collect();
            let prescanned = job.prescanned.as_deref();
            builtin::execute_with(spec, &config.root, &refs, &stop, prescanned)
        }
        None => match builtin_inputs(config, gate, &runner.opts.cache_dir, spec, &stop) {
            Ok(outcome) => outcome,
            Err(why) => return not_run(ExecEnd::SpawnFailed(why), started),
        },
    };
    let duration = started.elapsed();
    if outcome.cancelled {
        return not_run(ExecEnd::Cancelled, started);
    }
    let mut text = outcome.render(spec.kind, FINDINGS_SHOWN);
    redact(&mut text, &runner.opts.secrets);
    let output = Output {
        total_bytes: text.len() as u64,
        omitted_bytes: 0,
        text,
    };
    let found = Some(outcome.findings.len());
    let mut metrics = measure::measure(
        &gate.metrics,
        &[],
        &output,
        duration,
        &config.root,
        &config.root,
        found,
        &measure::Reports::default(),
    );
    super::gate::mask_errors(&mut metrics, &runner.opts.secrets);
    let mut findings = outcome.findings;
    // A file's name may hold a secret as much as a message. One finder
    // for them all: one per text cost a build per finding.
    if let Some(redactor) = super::Redactor::new(&runner.opts.secrets) {
        for f in &mut findings {
            redactor.redact(&mut f.file);
            redactor.redact(&mut f.message);
        }
    }
    Execution {
        end: ExecEnd::Exited(0),
        duration,
        output,
        metrics,
        attempts: 1,
        findings,
    }
}

/// A builtin that could not list its files, or was stopped.
fn not_run(end: ExecEnd, started: Instant) -> Execution {
    Execution {
        end,
        duration: started.elapsed(),
        output: Output::default(),
        metrics: Vec::new(),
        attempts: 1,
        findings: Vec::new(),
    }
}

/// Runs a builtin when the cache did not list its files: over every file git
/// would track (or every file, outside git) matching the gate's `inputs`,
/// the tracked ones checked while git still looks for untracked ones.
fn builtin_inputs(
    config: &Config,
    gate: &Gate,
    cache_dir: &Path,
    spec: &builtin::Spec,
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<builtin::Outcome, String> {
    let root = absolute(&config.root);
    let filter =
        InputFilter::new(gate.inputs.as_deref()).map_err(|e| format!("invalid input glob: {e}"))?;
    let places: Vec<&str> = filter.places().collect();
    let batches = list::list_files_overlapped(&root, &absolute(cache_dir), &places, |batch| {
        let files = with_submodule_files(&root, batch.files, 0);
        let chosen: Vec<&str> = files
            .iter()
            .map(String::as_str)
            .filter(|p| match batch.ignored {
                None => filter.matches(p),
                Some(ignored) => filter.matches_ignored(p, ignored),
            })
            .collect();
        builtin::execute(spec, &root, &chosen, stop)
    })
    .map_err(|e| format!("cannot list the input files: {e:#}"))?;
    Ok(batches
        .into_iter()
        .fold(builtin::Outcome::default(), builtin::Outcome::merge))
}

/// Submodules inside submodules are followed this deep, as the cache's
/// snapshot follows them.
const MAX_SUBMODULE_DEPTH: usize = 8;

/// `files`, each listed folder (git lists a submodule by its place) replaced
/// by the submodule's own files, listed by its git: a builtin checks them
/// as the cached path's snapshot does. A submodule not checked out holds
/// none.
fn with_submodule_files(root: &Path, files: Vec<String>, depth: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let dir = root.join(crate::sys::name::to_path(&f));
        let is_dir = std::fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir());
        if !is_dir {
            out.push(f);
            continue;
        }
        if f.ends_with('/')
            || depth >= MAX_SUBMODULE_DEPTH
            || crate::git::submodule::checkout(&dir) == crate::git::submodule::Checkout::Absent
        {
            continue;
        }
        let inner: Vec<String> = crate::git::submodule::files(&dir)
            .unwrap_or_default()
            .into_iter()
            .map(|g| format!("{f}/{g}"))
            .collect();
        out.extend(with_submodule_files(root, inner, depth + 1));
    }
    out.sort_unstable();
    out.dedup();
    out
}
