//! The build step's helpers: which cached results a run reuses, which
//! gates share a key, the file lists a builtin or a `--changed-since` gate
//! gets. Nothing here runs a gate, judges or prints.

use crate::cache::{self, Cache};
use crate::config::Config;
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
    if std::fs::create_dir_all(dir.parent()?).is_ok() && std::fs::create_dir(&dir).is_ok() {
        return Some(ListsDir(dir));
    }
    crate::sys::tmp::private_dir("pqg-files-").map(ListsDir)
}

/// Writes, for each gate that runs, the changed files among its inputs that
/// still exist (a deleted file decides which gates run, but is no file to
/// hand a tool) as a NUL-separated list, and returns the paths (for
/// `PQG_FILES`). A gate `redefined` since REF gets every input of its own:
/// for it, everything changed (the tree is listed once, only then).
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
    let mut every: Option<Vec<String>> = None;
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
                let every = every.get_or_insert_with(|| {
                    let root = crate::files::root::absolute(&config.root);
                    let exclude = crate::files::root::absolute(cache_dir);
                    crate::files::list::list_files(&root, &exclude).unwrap_or_default()
                });
                every
                    .iter()
                    .filter(|f| filter.matches(f) && exists(f))
                    .for_each(&mut add);
            } else {
                existing
                    .iter()
                    .filter(|f| filter.matches(f))
                    .for_each(|f| add(f));
            }
            let path = dir.0.join(format!("{}.files", gate.id));
            std::fs::write(&path, list).ok()?;
            Some(path)
        })
        .collect()
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

/// How long a `key_commands` entry may take.
const KEY_COMMAND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

pub(super) fn key_command(
    command: &crate::config::Command,
    dir: &Path,
) -> cache::key::KeyCommandOutput {
    let (exit_code, output) = run::capture_command(command, dir, KEY_COMMAND_TIMEOUT);
    cache::key::KeyCommandOutput {
        command: cache::key::command_text(command),
        exit_code,
        output,
    }
}

/// Cached results per gate, and which gates share a key with an earlier one
/// (those run once: DESIGN §6).
pub(super) fn reuse_plan(
    config: &Config,
    prepared: &cache::Prepared,
    wanted: &[usize],
    cache: &mut Cache,
    now_ns: i64,
) -> (Vec<Option<run::Execution>>, Vec<Option<usize>>) {
    let n = config.gates.len();
    let mut cached = vec![None; n];
    let mut twins = vec![None; n];
    let mut first_with_key: std::collections::HashMap<cache::key::CacheKey, usize> =
        std::collections::HashMap::new();
    for &i in wanted {
        let Some(key) = &prepared.keys[i] else {
            continue;
        };
        let gate = &config.gates[i];
        if let Some(entry) = cache.lookup(&key.key, gate.cache_ttl, now_ns) {
            cached[i] = Some(run::Execution::from_stored(&entry.result));
            continue;
        }
        match first_with_key.get(&key.key) {
            Some(&j) => twins[i] = Some(j),
            None => {
                first_with_key.insert(key.key, i);
            }
        }
    }
    (cached, twins)
}

/// Per plan gate, what the runner is told of it beforehand.
pub(crate) fn gate_jobs(
    predicted: Vec<Option<std::time::Duration>>,
    builtin_files: Vec<Option<std::sync::Arc<Vec<String>>>>,
    cached: Vec<Option<run::Execution>>,
    twins: Vec<Option<usize>>,
    files_lists: Vec<Option<std::path::PathBuf>>,
) -> crate::plan::PerGate<run::GateJob> {
    let reuse = cached
        .into_iter()
        .zip(twins)
        .map(|(cached, twin)| match (cached, twin) {
            (Some(execution), _) => run::Reuse::Cached(execution),
            (None, Some(j)) => run::Reuse::SameKeyAs(crate::plan::GateIdx(j)),
            (None, None) => run::Reuse::Nothing,
        });
    predicted
        .into_iter()
        .zip(reuse)
        .zip(builtin_files.into_iter().zip(files_lists))
        .map(
            |((predicted, reuse), (builtin_files, files_list))| run::GateJob {
                predicted,
                reuse,
                builtin_files,
                files_list,
            },
        )
        .collect()
}
