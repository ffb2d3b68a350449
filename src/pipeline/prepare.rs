//! The build step's helpers: which cached results a run reuses, how a key
//! command runs, the file lists a builtin or a `--changed-since` gate
//! gets. Nothing here runs a gate, judges or prints.

use crate::cache::{self, Cache};
use crate::config::Config;
use crate::files::filter::InputFilter;
use crate::{plan, run};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The folder of a run's `PQG_FILES` lists, removed when dropped (after
/// the run, on every path out of it).
pub(super) struct ListsDir(PathBuf);

impl Drop for ListsDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh private folder for the lists: under the cache folder, else a
/// new one in the system's temporary folder (never an existing, guessable
/// path in /tmp).
pub(super) fn lists_dir(cache_dir: &Path, run_id: &str) -> Option<ListsDir> {
    let dir = crate::files::root::absolute(&cache_dir.join("files").join(run_id));
    use std::os::unix::fs::DirBuilderExt;
    let private = || {
        let mut builder = std::fs::DirBuilder::new();
        builder.mode(0o700);
        builder
    };
    let made = private().recursive(true).create(dir.parent()?).is_ok();
    // `files/` left open to all by an older pqg is made private too.
    crate::sys::tmp::make_private_tree(dir.parent()?);
    if made && private().create(&dir).is_ok() {
        return Some(ListsDir(dir));
    }
    crate::sys::tmp::private_dir("pqg-files-")
        .ok()
        .map(ListsDir)
}

/// Writes, for each gate that runs, the changed files among its inputs that
/// still exist (a deleted file decides which gates run, but is no file to
/// hand a tool) as a NUL-separated list, and returns the paths (for
/// `PQG_FILES`). A gate `redefined` since REF gets every input of its own:
/// for it, everything changed (the tree is listed for each such gate, and
/// only then).
pub(super) fn write_changed_lists(
    config: &Config,
    plan: &plan::Plan,
    changed: &[String],
    redefined: &[String],
    cache_dir: &Path,
    dir: Option<&ListsDir>,
) -> Vec<Option<PathBuf>> {
    let Some(dir) = dir else {
        return vec![None; plan.gates.len()];
    };
    let exists = |f: &&String| std::fs::symlink_metadata(config.root.join(f)).is_ok();
    let existing: Vec<&String> = changed.iter().filter(exists).collect();
    plan.gates
        .iter()
        .map(|p| {
            if !p.runs() {
                return None;
            }
            let gate = &config.gates[p.index];
            let filter = crate::files::filter::InputFilter::new(gate.inputs.as_deref()).ok()?;
            let mut list = Vec::new();
            let mut add = |f: &String| {
                list.extend_from_slice(f.as_bytes());
                list.push(0);
            };
            if redefined.iter().any(|r| r == gate.id.as_str()) {
                // Listed with this gate's own ignored places only: another
                // gate's (an ignored `.venv` it names) must not reach this
                // gate's broader globs.
                let root = crate::files::root::absolute(&config.root);
                let exclude = crate::files::root::absolute(cache_dir);
                let globs: Vec<&str> = filter.placed_globs().collect();
                crate::files::list::list_files(&root, &exclude, &globs)
                    .unwrap_or_default()
                    .iter()
                    .filter(|f| filter.matches(f) && exists(f))
                    .for_each(&mut add);
            } else {
                existing
                    .iter()
                    .filter(|f| filter.matches(f))
                    .for_each(|f| add(f));
            }
            let path = dir.0.join(format!("{}.files", gate.id.file_stem()));
            write_private(&path, &list).ok()?;
            Some(path)
        })
        .collect()
}

/// Writes `bytes` to a new file at `path`, readable by its owner only:
/// a list names the project's changed files.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?
        .write_all(bytes)
}

/// The files each builtin gate checks: the changed ones among its inputs
/// under `--changed-since` (all of them, listed by the builtin itself, for
/// one `redefined` since REF), else those the cache listed for its key (so
/// a builtin does not list the tree again).
pub(super) fn builtin_files(
    config: &Config,
    prepared: &cache::Prepared,
    cached: &[Option<run::Execution>],
    changed: Option<&[String]>,
    redefined: &[String],
) -> Vec<Option<Arc<Vec<String>>>> {
    let Some(changed) = changed else {
        return listed_builtin_files(config, prepared, cached);
    };
    config
        .gates
        .iter()
        .map(|gate| {
            let crate::config::Command::Builtin(_) = gate.command else {
                return None;
            };
            if redefined.iter().any(|r| r == gate.id.as_str()) {
                return None;
            }
            let filter = crate::files::filter::InputFilter::new(gate.inputs.as_deref()).ok();
            Some(Arc::new(
                changed
                    .iter()
                    .filter(|p| filter.as_ref().is_some_and(|f| f.matches(p)))
                    .cloned()
                    .collect(),
            ))
        })
        .collect()
}

/// The input files the cache listed for each builtin gate, so that a
/// builtin does not list the tree again.
fn listed_builtin_files(
    config: &Config,
    prepared: &cache::Prepared,
    cached: &[Option<run::Execution>],
) -> Vec<Option<Arc<Vec<String>>>> {
    config
        .gates
        .iter()
        .zip(&prepared.keys)
        .zip(cached)
        .map(|((gate, key), cached)| {
            // A cached result needs no file list: on a warm run, that is
            // every builtin, and 20,000 paths copied for nothing each.
            let key = key.as_ref().filter(|_| cached.is_none())?;
            matches!(gate.command, crate::config::Command::Builtin(_))
                .then(|| Arc::new(key.files.iter().map(|f| f.path.clone()).collect()))
        })
        .collect()
}

/// Runs a `key_commands` entry in `dir` (its gate's working folder) for
/// at most `timeout`: its whole output is hashed, a bounded copy kept for
/// display; one that does not exit (timed out, killed, stopped by a
/// signal, not started) gives no exit code.
pub(crate) fn key_command(
    command: &crate::config::Command,
    dir: &Path,
    timeout: std::time::Duration,
) -> cache::KeyCommandRun {
    let captured = run::capture_command(command, dir, timeout);
    let exit = match captured.end {
        run::ExecEnd::Exited(code) => Ok(code),
        run::ExecEnd::Signalled(sig) => Err(format!("was killed by signal {sig}")),
        run::ExecEnd::TimedOut(limit) => Err(format!(
            "did not finish within {}",
            crate::fmt::limit_duration(limit)
        )),
        run::ExecEnd::Cancelled => Err("was stopped".to_owned()),
        run::ExecEnd::SpawnFailed(why) => Err(format!("could not start: {why}")),
    };
    cache::KeyCommandRun {
        exit,
        digest: captured.digest,
        bytes: captured.output.total_bytes,
        output: captured.output.text,
    }
}

/// Why a gate's stored result is set aside, though the cache holds one
/// for its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SetAside {
    /// This gate (an index) needs it and runs, and may read what it writes.
    NeededBy(usize),
    /// It needs this gate (an index), which runs: what it read may differ
    /// from what the stored result saw.
    Needs(usize),
}

/// Cached results per gate, and the gates whose stored result is set aside
/// because a gate they are connected to by `needs` runs. Every gate's key
/// holds its name, so no two gates share one: each runs, or reuses what
/// the cache stored for it.
///
/// Gates connected by needs (among those that run in this plan):
/// - a gate that runs may read what the gates it needs write (a coverage
///   file, a build): a need answered from the cache writes nothing, and
///   what is on disk may come from some other state of the tree. So a gate
///   that runs makes the gates it needs run too.
/// - a need that runs without its key changing for a reason of its own
///   (`cache = false`, an expired `cache_ttl`, a failure not stored, an
///   entry pruned) may write something else than what its dependent's
///   stored result read. So a gate whose need runs for such a reason runs
///   too; a need that runs only because another dependent does, at an
///   unchanged key, does not make its other dependents run.
pub(super) fn reuse_plan(
    config: &Config,
    plan: &plan::Plan,
    prepared: &cache::Prepared,
    wanted: &[usize],
    cache: &mut Cache,
    now_ns: i64,
) -> (Vec<Option<run::Execution>>, Vec<Option<SetAside>>) {
    let mut cached = vec![None; config.gates.len()];
    let secrets = run::secrets_from_env(&config.settings.redact);
    let clock = std::time::Instant::now();
    for &i in wanted {
        let Some(key) = &prepared.keys[i] else {
            continue;
        };
        if let Some(entry) = cache.lookup(&key.key, config.gates[i].cache_ttl, now_ns) {
            let timeout = config.gates[i].timeout.or(config.settings.timeout);
            if outlasts(entry.result.duration_ms, timeout) {
                crate::info!(
                    "gate {}: stored result set aside: it took {} ms, not under the timeout now",
                    config.gates[i].id,
                    entry.result.duration_ms
                );
                continue;
            }
            cached[i] = Some(run::Execution::from_stored(entry.result, &secrets));
        }
    }
    crate::debug!(
        "cache: {} stored results read in {} ms",
        cached.iter().flatten().count(),
        clock.elapsed().as_millis()
    );
    let set_aside = run_together(plan, &mut cached);
    (cached, set_aside)
}

/// Whether a stored run of `duration_ms` would not have finished under
/// `timeout`: a tightened timeout makes such a result a miss, since a fresh
/// run would time out.
fn outlasts(duration_ms: u64, timeout: Option<std::time::Duration>) -> bool {
    timeout.is_some_and(|t| u128::from(duration_ms) >= t.as_millis())
}

/// Sets aside the cached result of the gates a running, uncached gate is
/// connected to by needs (among the gates that run); gives, per gate set
/// aside, the gate that made it run.
///
/// Down the needs, always: a gate that runs reads what its needs write.
/// Up the needs, only from a gate that runs for a reason of its own (no
/// stored result for its key, `cache = false`, an expired `cache_ttl`) or
/// because a need of its own did: a need that runs only because its
/// dependent does runs at the key its other dependents' stored results
/// were computed with, so it writes what they read then.
fn run_together(plan: &plan::Plan, cached: &mut [Option<run::Execution>]) -> Vec<Option<SetAside>> {
    let mut set_aside = vec![None; cached.len()];
    let mut dependents: Vec<Vec<plan::GateIdx>> = vec![Vec::new(); cached.len()];
    for i in plan.indices().filter(|&i| plan.gate(i).runs()) {
        for need in plan.needs_of(i) {
            dependents[need.0].push(i);
        }
    }
    // Each gate to visit, and whether its running reaches its dependents.
    let mut todo: Vec<(plan::GateIdx, bool)> = plan
        .indices()
        .filter(|&i| plan.gate(i).runs() && cached[i.0].is_none())
        .map(|i| (i, true))
        .collect();
    while let Some((i, upward)) = todo.pop() {
        for need in plan.needs_of(i) {
            if cached[need.0].take().is_some() {
                set_aside[need.0] = Some(SetAside::NeededBy(i.0));
                todo.push((need, false));
            }
        }
        if !upward {
            continue;
        }
        for &dependent in &dependents[i.0] {
            if cached[dependent.0].take().is_some() {
                set_aside[dependent.0] = Some(SetAside::Needs(i.0));
                todo.push((dependent, true));
            }
        }
    }
    set_aside
}

/// Per plan gate, what the runner is told of it beforehand.
pub(crate) fn gate_jobs(
    predicted: Vec<Option<std::time::Duration>>,
    builtin_files: Vec<Option<std::sync::Arc<Vec<String>>>>,
    mut prescanned: Vec<Option<Arc<crate::builtin::Prescanned>>>,
    cached: Vec<Option<run::Execution>>,
    files_lists: Vec<Option<std::path::PathBuf>>,
) -> crate::plan::PerGate<run::GateJob> {
    prescanned.resize_with(cached.len(), || None);
    let reuse = cached.into_iter().map(|cached| match cached {
        Some(execution) => run::Reuse::Cached(execution),
        None => run::Reuse::Nothing,
    });
    predicted
        .into_iter()
        .zip(reuse)
        .zip(builtin_files.into_iter().zip(files_lists))
        .zip(prescanned)
        .map(
            |(((predicted, reuse), (builtin_files, files_list)), prescanned)| run::GateJob {
                predicted,
                reuse,
                builtin_files,
                prescanned,
                files_list,
            },
        )
        .collect()
}

/// The cold hash's tap for the builtin gates that read content: each file
/// hashed that such a gate's inputs match is checked from the bytes the
/// hash read, so the gate does not read it again (issue 14: one read for
/// both). A gate answered from the cache throws its results away.
pub(super) struct SharedRead<'c> {
    scans: Vec<(usize, &'c str, InputFilter, crate::builtin::ContentScan<'c>)>,
}

impl<'c> SharedRead<'c> {
    /// The tap for the builtin gates among `wanted` (config indices) that
    /// read content; `None` when there is none.
    pub(super) fn new(config: &'c Config, wanted: &[usize]) -> Option<Self> {
        let scans: Vec<_> = wanted
            .iter()
            .filter_map(|&i| {
                let gate = &config.gates[i];
                let crate::config::Command::Builtin(spec) = &gate.command else {
                    return None;
                };
                let filter = InputFilter::new(gate.inputs.as_deref()).ok()?;
                Some((
                    i,
                    gate.id.as_str(),
                    filter,
                    crate::builtin::ContentScan::new(spec)?,
                ))
            })
            .collect();
        (!scans.is_empty()).then_some(SharedRead { scans })
    }

    /// Per config gate (of `count`), what its scan found.
    pub(super) fn into_prescanned(
        self,
        count: usize,
    ) -> Vec<Option<Arc<crate::builtin::Prescanned>>> {
        let mut out = vec![None; count];
        for (i, id, _, scan) in self.scans {
            let found = scan.into_results();
            crate::debug!(
                "gate {id}: {} files checked from the bytes the hash read",
                found.len()
            );
            out[i] = Some(Arc::new(found));
        }
        out
    }
}

impl crate::files::hash::ContentTap for SharedRead<'_> {
    fn wants(&self, rel: &str, size: u64) -> bool {
        self.scans
            .iter()
            .any(|(_, _, filter, scan)| filter.matches(rel) && scan.wants(rel, size))
    }

    fn content(&self, rel: &str, bytes: &[u8]) {
        for (_, _, filter, scan) in &self.scans {
            if filter.matches(rel) && scan.wants(rel, bytes.len() as u64) {
                scan.scan(rel, bytes);
            }
        }
    }
}

/// Whether builtin gate `i`'s result is a function of the bytes its key
/// was made from alone: every input is a regular file its check took from
/// the bytes the cold hash read (`prescanned`), it needs no gate, and no
/// metric reads a file. Such a result cannot describe another state of the
/// tree, so the look at its inputs after the run (DESIGN §5) is not needed
/// to store it.
pub(super) fn read_whole_from_hash(
    config: &Config,
    i: usize,
    key: &cache::GateKey,
    prescanned: Option<&crate::builtin::Prescanned>,
) -> bool {
    use crate::config::MetricSource;
    use crate::files::snapshot::Mode;
    let gate = &config.gates[i];
    let Some(prescanned) = prescanned else {
        return false;
    };
    matches!(gate.command, crate::config::Command::Builtin(_))
        && gate.needs.is_empty()
        && gate.metrics.iter().all(|m| {
            matches!(
                m.source,
                MetricSource::Regex(_)
                    | MetricSource::Count(_)
                    | MetricSource::Duration
                    | MetricSource::Findings
                    | MetricSource::Json { file: None, .. }
            )
        })
        && key
            .files
            .iter()
            .all(|f| matches!(f.mode, Mode::File | Mode::Exec) && prescanned.holds(&f.path))
}
