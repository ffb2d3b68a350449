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
mod new_code_memo;
mod prepare;
mod record;
mod touches;
mod writes;

use crate::baseline::{self, BaselineState};
use crate::cache::{self, history, Cache, CacheMode};
use crate::config::{Config, StageIdx};
use crate::git::new_code::{Half, NewCode, Reference, StartError, WorkTree};
use crate::git::status::StatView;
use crate::report::progress::Progress;
use crate::{judge, plan, report, run};
use events::Assessor;
pub(crate) use prepare::key_command;
use prepare::ListsDir;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// What to run: a stage, and how.
pub(crate) struct StageRequest {
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
    /// Judging a commit to push (the pre-push hook): a gate that rewrites
    /// tracked files fails even with `writes = true`, since what it fixed
    /// is not what is pushed.
    pub forbid_writes: bool,
    /// Where new code starts, for `scope = "new"` metrics.
    pub new_code_since: crate::git::new_code::Reference,
}

/// What running a stage produced.
pub(crate) struct StageRun {
    pub result: run::RunResult,
    pub verdict: judge::Verdict,
    pub report: report::Report,
    pub baseline: BaselineState,
    /// The input files as the run saw them, when it took a snapshot and it
    /// still holds: no gate ran, or the look at the tree after the run
    /// (made to decide what to store) found no file changed. A gate may
    /// rewrite files: a formatter, a lock file.
    pub snapshot: Option<crate::files::snapshot::Snapshot>,
    /// What was new code, when a metric was scoped: the ladder judges
    /// every stage against the same lines.
    pub new_code: Option<NewCode>,
}

/// Runs a stage, every step in turn; `live` gets each run event as one
/// JSON object (for `--format jsonl`).
pub(crate) fn run_stage(
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
pub(crate) struct StageBuilder<'a> {
    config: &'a Config,
    request: &'a StageRequest,
}

/// A stage planned and keyed, its reusable results found: ready to run.
pub(crate) struct StageRunner<'a> {
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
    /// What is new code, when a gate of the plan has a scoped metric.
    new_code: Option<LazyNewCode>,
    /// The keys made on a thread of their own while the gates run, when
    /// the gates start before the tree is hashed ([`StageBuilder::build`]);
    /// `cache` and `prepared` are then placeholders until the run is over.
    keying: Option<Keying>,
}

/// Keys being made while the gates run: the thread making them (it gives
/// back the cache it used), and every input file's state from before the
/// first gate started (sorted by path; `None` when the files could not be
/// listed).
struct Keying {
    thread: std::thread::JoinHandle<(Cache, cache::Prepared)>,
    stated: Option<Vec<(String, crate::files::root::FileState)>>,
    /// The keyed gates' include globs that name a place (the ignored files
    /// they may match are listed with the tree).
    globs: Vec<String>,
    /// Whether the snapshot keeps the stamps of its untracked listing: then
    /// the look after the run rules out new files by them, and the tree is
    /// not listed again while it is hashed.
    stamped: bool,
}

/// New code, found in the background from before the snapshot until the
/// gates are done; the first judgement that needs it waits for it.
///
/// The background thread checks the reference (the run waits for that
/// answer before any gate starts: an unknown one is an error), reads git's
/// index and takes the diff against it while the snapshot is taken; the run
/// then compares the index with the stat data it took itself (the
/// snapshot's, else the write watch's first look) and hands over the paths
/// that may differ, with the untracked files its listing found, for the
/// thread to take the rest of the diff (`git::new_code::IndexHalf`).
pub(crate) struct LazyNewCode {
    /// The reference's check, until [`LazyNewCode::checked`] takes it.
    checked: Mutex<Option<Receiver<Result<(), StartError>>>>,
    /// Where the run's look at the work tree goes, with git's index to
    /// compare it with once the thread read it; taken by the first offer
    /// (or by [`LazyNewCode::get`]: then the thread takes the diff whole).
    offer: Mutex<Option<Offer>>,
    /// The project root, which is the top of its work tree whenever the
    /// index is handed over.
    top: PathBuf,
    pending: Mutex<Option<std::thread::JoinHandle<Result<NewCode, crate::diag::UserError>>>>,
    value: OnceLock<Option<NewCode>>,
    /// The last run's new code, when the offer found that nothing it
    /// depends on changed: taken without waiting for the thread (which
    /// ends on its own, having nothing left to do).
    served: Mutex<Option<NewCode>>,
    /// The coverage on new code judged before, and the file it is kept
    /// in, when the cache is on.
    judged: Option<(PathBuf, judge::scope::CoverageMemo)>,
}

/// The work tree's digest the last run's new code was found for, and that
/// new code.
type LastFound = ([u8; 32], NewCode);

/// git's index from the background thread (with the work tree's digest
/// the last run's new code was found for and that new code, when nothing
/// else it depends on changed since), and the way back to it.
struct Offer {
    index: Receiver<(crate::git::new_code::IndexFile, Option<LastFound>)>,
    work_tree: SyncSender<Option<WorkTree>>,
}

impl LazyNewCode {
    /// Starts finding what is new since `reference` at `root`; `listed`:
    /// whether the run's snapshot will list the untracked files (else the
    /// thread lists them meanwhile); `cache_dir`: the folder the last
    /// run's new code and the coverage judged on it are kept in
    /// ([`new_code_memo`]), when the cache is on.
    fn start(
        root: &Path,
        reference: &Reference,
        listed: bool,
        cache_dir: Option<&Path>,
    ) -> LazyNewCode {
        let judged = cache_dir.map(|dir| {
            let file = new_code_memo::judged_file_in(dir);
            let memo = new_code_memo::load_judged(&file);
            (file, memo)
        });
        let memo = cache_dir.map(new_code_memo::file_in);
        let (checked_tx, checked) = mpsc::sync_channel(1);
        let (index_tx, index) = mpsc::sync_channel(1);
        let (work_tx, work_rx) = mpsc::sync_channel::<Option<WorkTree>>(1);
        let (root, reference) = (root.to_path_buf(), reference.clone());
        let top = root.clone();
        let pending = std::thread::spawn(move || {
            // The last run's memo, read first: its merge base may spare
            // `git merge-base`.
            let last = memo.as_deref().and_then(new_code_memo::load);
            let known = last.as_ref().and_then(|m| m.merge_base.as_ref());
            let pending = crate::git::new_code::start(&root, &reference, known);
            let _ = checked_tx.send(pending.as_ref().map(|_| ()).map_err(Clone::clone));
            let (pending, merge_base) = pending?;
            match pending.read_index() {
                Half::Whole(pending) => {
                    drop(index_tx);
                    pending.finish()
                }
                Half::Index(half, index) => {
                    crate::debug!("new code: git's index read");
                    let key = half.key().filter(|_| memo.is_some());
                    let last = last.filter(|m| Some(m.key) == key);
                    let _ =
                        index_tx.send((index, last.as_ref().map(|m| (m.tree, m.result.clone()))));
                    // The last run's answer may hold: the work tree tells.
                    let seen = last.as_ref().map(|_| work_rx.recv().ok().flatten());
                    if let (Some(last), Some(Some(work))) = (&last, &seen) {
                        if work.tree == Some(last.tree) {
                            // The offer said so, and served it already.
                            return Ok(last.result.clone());
                        }
                    }
                    let digests = std::sync::Mutex::new((None, None, None));
                    let top = half.top().to_path_buf();
                    let staged = last
                        .filter(|m| {
                            matches!(&seen, Some(Some(w)) if w.attributes == Some(m.attributes))
                        })
                        .map(|m| m.staged);
                    if staged.is_some() {
                        crate::debug!(
                            "new code: the diff against the index is the last run's; the work tree changed"
                        );
                    }
                    let (found, staged) = half.finish(listed, staged, || {
                        let work = match seen {
                            Some(seen) => seen,
                            None => work_rx.recv().ok().flatten(),
                        };
                        if let (Some(w), Ok(mut d)) = (&work, digests.lock()) {
                            *d = (w.tree, w.attributes, Some(w.clone()));
                        }
                        work
                    })?;
                    let (tree, attributes, work) = digests.into_inner().unwrap_or_default();
                    // Judged once git has read the work tree, not before.
                    let settled = work.is_some_and(|w| new_code_memo::settled(&top, &w));
                    let seen = (tree, attributes, settled);
                    if !settled && tree.is_some() {
                        crate::debug!(
                            "new code: not kept for the next run: a file it read changed in the last 2 s"
                        );
                    }
                    if let (
                        Some(file),
                        Some(key),
                        (Some(tree), Some(attributes), true),
                        Some(staged),
                    ) = (&memo, key, seen, staged)
                    {
                        let memo = new_code_memo::Memo {
                            key,
                            merge_base,
                            tree,
                            attributes,
                            staged,
                            result: found,
                        };
                        new_code_memo::store(file, &memo);
                        return Ok(memo.result);
                    }
                    Ok(found)
                }
            }
        });
        LazyNewCode {
            checked: Mutex::new(Some(checked)),
            offer: Mutex::new(Some(Offer {
                index,
                work_tree: work_tx,
            })),
            top,
            pending: Mutex::new(Some(pending)),
            value: OnceLock::new(),
            served: Mutex::new(None),
            judged,
        }
    }

    /// Whether the reference names a commit here, waiting for git; `Ok`
    /// when the thread ended without saying (judging then says why).
    fn checked(&self) -> Result<(), StartError> {
        let checked = self.checked.lock().ok().and_then(|mut c| c.take());
        match checked.map(|c| c.recv()) {
            Some(Ok(checked)) => checked,
            _ => Ok(()),
        }
    }

    /// Hands the thread what the run saw of the work tree: the files it
    /// stat'ed (paths relative to the root, sorted), the untracked files
    /// its listing found, and the digests of what it hashed; `None`: it
    /// saw nothing, and the diff is taken whole. Only the first offer
    /// counts.
    fn offer(
        &self,
        seen: Option<(&dyn StatView, Option<Vec<String>>)>,
        digests: new_code_memo::Digests,
    ) {
        let Some(offer) = self.offer.lock().ok().and_then(|mut o| o.take()) else {
            return;
        };
        let work = seen.and_then(|(view, untracked)| {
            // No index comes when the thread takes the diff whole.
            let (index, last) = offer.index.recv().ok()?;
            if let Some((_, found)) = last.filter(|(tree, _)| Some(*tree) == digests.tree) {
                // The thread takes the last run's answer: no path to list.
                // It is the answer here too, at once: judging need not
                // wait for the thread to wake and end.
                crate::debug!("new code: nothing it depends on changed since the last run");
                if let Ok(mut served) = self.served.lock() {
                    *served = Some(found);
                }
                return Some(WorkTree {
                    changed: Default::default(),
                    untracked,
                    tree: digests.tree,
                    attributes: digests.attributes,
                });
            }
            let clock = std::time::Instant::now();
            let index = match index.parse() {
                Ok(index) => index,
                Err(why) => {
                    crate::debug!("new code: git's index not read here ({why:#})");
                    return None;
                }
            };
            let changed = crate::git::new_code::worktree_changes(&index, view, &self.top);
            crate::debug!(
                "new code: {} of {} index entries may differ in the work tree{} ({} ms)",
                changed.paths.len(),
                index.entries.len(),
                if changed.may_pair {
                    ", some as half of a rename"
                } else {
                    ""
                },
                clock.elapsed().as_millis()
            );
            Some(WorkTree {
                changed,
                untracked,
                tree: digests.tree,
                attributes: digests.attributes,
            })
        });
        let _ = offer.work_tree.send(work);
    }

    /// New code, waiting for git if it is still at it; `None` when git
    /// failed (said once, on stderr): scoped metrics are then `error`.
    pub(crate) fn get(&self) -> Option<&NewCode> {
        self.value
            .get_or_init(|| {
                let served = self.served.lock().ok().and_then(|mut s| s.take());
                if let Some(found) = served {
                    announce(&found);
                    return Some(found);
                }
                // Never offered: the thread takes the diff whole.
                self.offer(None, Default::default());
                let handle = self.pending.lock().ok()?.take()?;
                let found = match handle.join() {
                    Ok(Ok(new_code)) => new_code,
                    Ok(Err(e)) => {
                        eprintln!("pqg: {}", e.message);
                        return None;
                    }
                    Err(_) => {
                        eprintln!("pqg: new code: listing the changes failed");
                        return None;
                    }
                };
                announce(&found);
                Some(found)
            })
            .as_ref()
    }

    /// The coverage on new code judged before, when the cache is on.
    pub(crate) fn memo(&self) -> Option<&judge::scope::CoverageMemo> {
        self.judged.as_ref().map(|(_, memo)| memo)
    }

    /// New code, once the run is over; the coverage judged on it that
    /// was not judged before is kept for the next run.
    fn into_inner(self) -> Option<NewCode> {
        self.get();
        if let Some((file, memo)) = self.judged {
            if let Some(outcomes) = memo.into_outcomes() {
                new_code_memo::store(&file, &outcomes);
            }
        }
        self.value.into_inner().flatten()
    }
}

/// Says what new code was found: on stderr when every line counts as new
/// (and why), else under `-v`.
fn announce(found: &NewCode) {
    match &found.everything {
        Some(why) => eprintln!("pqg: {why}"),
        None => crate::info!(
            "new code: since `{}` (merge base {}): {} files changed",
            found.reference,
            found.base.as_deref().unwrap_or("?"),
            found.files.len()
        ),
    }
}

/// What the cache lets a run reuse, by plan gate: a stored result; and the
/// gates whose stored result is set aside because a gate connected to them
/// by needs runs (and which).
struct Reusable {
    cached: Vec<Option<run::Execution>>,
    set_aside: Vec<Option<prepare::SetAside>>,
    /// Per builtin gate, what its check found in the bytes the cold hash
    /// read (one read for both).
    prescanned: Vec<Option<std::sync::Arc<crate::builtin::Prescanned>>>,
}

/// A stage whose gates ran: what is left is to store, judge and report.
pub(crate) struct Finished<'a> {
    runner: StageRunner<'a>,
    result: run::RunResult,
    /// Each gate's verdict, judged as it finished.
    verdicts: plan::PerGate<Option<judge::GateVerdict>>,
    /// The gates that changed tracked files without `writes = true`
    /// (their results are never stored: a reuse would pass them), and the
    /// tracked files' states after the run, when the watch took them.
    watched: writes::Watched,
}

impl<'a> StageBuilder<'a> {
    /// A builder for `request` on `config`.
    pub(crate) fn new(config: &'a Config, request: &'a StageRequest) -> Self {
        StageBuilder { config, request }
    }

    /// Plans the stage, snapshots and keys its inputs, and finds what the
    /// cache already answers.
    pub(crate) fn build(self) -> anyhow::Result<StageRunner<'a>> {
        let (config, request) = (self.config, self.request);
        // From here on a signal stops the key commands and the hashing,
        // and the run ends interrupted (130/143) instead of pqg dying.
        run::listen_for_signals()?;
        let cache_dir = request.cache_dir.clone();
        let run_id = record::run_id();
        let started_ns = crate::files::snapshot::now_ns();
        let baseline = baseline::load(&config.root);
        // Under `--no-cache` too: history is recorded there all the same.
        cache::shares_no_inputs(&config.root, &cache_dir)?;
        let mut cache = self.open_cache(&cache_dir);
        // What history predicts of each gate's length is read only when
        // something needs it: shards dealt by it, or a gate that runs (a
        // warm run, every gate from the cache, needs none of it).
        let mut predicted = (request.filters.shard.is_some()).then(|| predictions(&mut cache));
        let plan = self.plan(predicted.as_ref())?;
        let new_code = self.new_code(&plan, &cache);
        if let Some(wanted) = self.starts_early(&plan, &mut cache) {
            if let Some(new_code) = &new_code {
                self.reference_checked(new_code)?;
            }
            let predicted = predicted.unwrap_or_else(|| predictions(&mut cache));
            let keying = self.key_while_running(cache, &plan, wanted, &cache_dir);
            let n = config.gates.len();
            let gates = prepare::gate_jobs(
                plan.gates
                    .iter()
                    .map(|g| predicted.get(g.id.as_str()).copied())
                    .collect(),
                vec![None; n],
                Vec::new(),
                vec![None; n],
                vec![None; n],
            );
            let opts = self.run_options(&plan, gates, &cache_dir, &run_id);
            return Ok(StageRunner {
                config,
                request,
                cache: Cache::closed(&cache_dir),
                cache_dir,
                run_id,
                started_ns,
                baseline,
                plan,
                prepared: cache::Prepared::none(config),
                opts,
                lists: None,
                new_code,
                keying: Some(keying),
            });
        }
        let (prepared, reusable) =
            self.find_reusable(&plan, &mut cache, &cache_dir, started_ns, new_code.as_ref());
        let some_run = plan
            .indices()
            .any(|i| plan.gate(i).runs() && reusable.cached.get(i.0).is_none_or(Option::is_none));
        if some_run && predicted.is_none() {
            predicted = Some(predictions(&mut cache));
        }
        let predicted = predicted.unwrap_or_default();
        if let Some(new_code) = &new_code {
            self.reference_checked(new_code)?;
        }
        // --changed-since: each gate gets its share of the changed files,
        // and builtins check only those; such runs are not stored, since a
        // gate may have looked at the list instead of every input (reading
        // stays safe: a stored result came from a full run of the same
        // inputs).
        let changed = request.filters.changed.as_deref();
        let lists = changed.and_then(|_| prepare::lists_dir(&cache_dir, &run_id));
        let gates = self.gate_jobs(&plan, &predicted, &prepared, reusable, lists.as_ref());
        let opts = self.run_options(&plan, gates, &cache_dir, &run_id);
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
            new_code,
            keying: None,
        })
    }

    /// The gates to key (config indices), when the gates may start before
    /// the tree is hashed (issue 14): every gate that runs is sure to run
    /// whatever its key (it is not cached, or the cache holds no result for
    /// it under any key: a cold run, or one after `pqg cache clear`), and
    /// none needs the hash before it starts (a builtin checks the bytes
    /// the hash reads; a key command's output and a `file_size` metric's
    /// size are parts of a key, taken before any gate may write). Not
    /// under `--changed-since`, whose runs are not stored.
    fn starts_early(&self, plan: &plan::Plan, cache: &mut Cache) -> Option<Vec<usize>> {
        let config = self.config;
        if self.request.filters.changed.is_some() || !cache.reads() {
            return None;
        }
        let wanted: Vec<usize> = plan
            .indices()
            .filter(|&i| plan.cacheable(config, i))
            .map(|i| i.0)
            .collect();
        if wanted.is_empty() {
            return None;
        }
        // The gates that run, and every gate they need (keyed with them).
        let mut keyed = vec![false; config.gates.len()];
        let mut todo: Vec<usize> = plan
            .indices()
            .filter(|&i| plan.gate(i).runs())
            .map(|i| plan.gate(i).index)
            .collect();
        while let Some(i) = todo.pop() {
            if std::mem::replace(&mut keyed[i], true) {
                continue;
            }
            for need in &config.gates[i].needs {
                todo.extend(config.gates.iter().position(|g| &g.id == need));
            }
        }
        let needs_hash = config.gates.iter().zip(&keyed).any(|(gate, &keyed)| {
            keyed
                && (matches!(gate.command, crate::config::Command::Builtin(_))
                    || !gate.key_commands.is_empty()
                    || gate
                        .metrics
                        .iter()
                        .any(|m| matches!(m.source, crate::config::MetricSource::FileSize(_))))
        });
        if needs_hash {
            return None;
        }
        let stored = cache.gates_with_results()?;
        wanted
            .iter()
            .all(|&i| !stored.contains(config.gates[i].id.as_str()))
            .then_some(wanted)
    }

    /// Keys `wanted` on a thread of its own, which takes `cache` with it;
    /// returns once every file is stat'ed (or could not be listed), when
    /// the gates may start: the tree is hashed while they run. The look at
    /// the inputs after the run compares them with the states taken here,
    /// before any gate started, so no result is stored under content its
    /// gate did not see (DESIGN §5).
    fn key_while_running(
        &self,
        cache: Cache,
        plan: &plan::Plan,
        wanted: Vec<usize>,
        cache_dir: &Path,
    ) -> Keying {
        let globs = cache::with_needs(self.config, &wanted)
            .into_iter()
            .flat_map(|i| {
                crate::files::filter::placed_globs(self.config.gates[i].inputs.as_deref())
            })
            .map(str::to_owned)
            .collect();
        let config = self.config.clone();
        let stage = self.config.ladder.name(plan.stage).to_string();
        let dir = cache_dir.to_path_buf();
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let mut cache = cache;
            let stated = |batches: &[&crate::files::snapshot::Stated], stamped: bool| {
                let mut states: Vec<_> = batches.iter().flat_map(|b| b.states()).collect();
                states.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
                let _ = tx.send((states, stamped));
            };
            let mut key = || {
                cache::prepare(
                    &config,
                    &wanted,
                    &stage,
                    &mut cache,
                    &prepare::key_command,
                    &dir,
                    cache::Watchers {
                        tap: None,
                        stated: &stated,
                    },
                )
            };
            // A pool of its own: the write watch's looks while the gates
            // run must not queue behind the hash on the global one.
            let pool = rayon::ThreadPoolBuilder::new()
                .thread_name(|i| format!("pqg-hash-{i}"))
                .build();
            let prepared = match pool {
                Ok(pool) => pool.install(key),
                Err(_) => key(),
            };
            (cache, prepared)
        });
        let (stated, stamped) = match rx.recv() {
            Ok((states, stamped)) => (Some(states), stamped),
            Err(_) => (None, false),
        };
        crate::debug!(
            "cache: {} files stat'ed; no gate has a stored result: they start while the tree is hashed",
            stated.as_ref().map_or(0, Vec::len)
        );
        Keying {
            thread,
            stated,
            globs,
            stamped,
        }
    }

    /// The lines new since `settings.new_code_since`, asked of git once,
    /// and only when a gate that runs has a `scope = "new"` metric: started
    /// in the background ([`LazyNewCode`]).
    fn new_code(&self, plan: &plan::Plan, cache: &Cache) -> Option<LazyNewCode> {
        let config = self.config;
        let scoped = plan.indices().any(|i| {
            let planned = plan.gate(i);
            planned.enforcement().is_some()
                && config.gates[planned.index]
                    .metrics
                    .iter()
                    .any(|m| m.scope == crate::config::Scope::New)
        });
        if !scoped {
            return None;
        }
        // The snapshot lists the untracked files when the cache keys a gate.
        let listed = cache.reads() && plan.indices().any(|i| plan.cacheable(config, i));
        let cache_dir = cache.reads().then_some(self.request.cache_dir.as_path());
        Some(LazyNewCode::start(
            &config.root,
            &self.request.new_code_since,
            listed,
            cache_dir,
        ))
    }

    /// Waits for the reference's check, before any gate starts: an unknown
    /// reference is a user error, located in the config when
    /// `settings.new_code_since` names it.
    fn reference_checked(&self, new_code: &LazyNewCode) -> anyhow::Result<()> {
        let config = self.config;
        new_code.checked().map_err(|e| {
            let e = match (e, &self.request.new_code_since) {
                (StartError::UnknownRef(e), Reference::Setting(_)) if e.at.is_none() => {
                    match &config.settings.new_code_since_span {
                        Some(span) => e.at(&config.source, span.clone()),
                        None => e,
                    }
                }
                (e, _) => e.into(),
            };
            anyhow::Error::from(e)
        })
    }

    /// The cache, or none under `--no-cache`.
    fn open_cache(&self, cache_dir: &Path) -> Cache {
        let mode = if self.request.no_cache {
            CacheMode::Off
        } else {
            CacheMode::On
        };
        let cache = Cache::open(cache_dir, mode);
        crate::debug!("cache opened: {}", cache.is_available());
        cache
    }

    /// Keys the cacheable gates of `plan` and finds the results they may
    /// reuse; `-v` logs each gate's decision.
    fn find_reusable(
        &self,
        plan: &plan::Plan,
        cache: &mut Cache,
        cache_dir: &Path,
        started_ns: i64,
        new_code: Option<&LazyNewCode>,
    ) -> (cache::Prepared, Reusable) {
        let config = self.config;
        let wanted: Vec<usize> = if cache.reads() {
            plan.indices()
                .filter(|&i| plan.cacheable(config, i))
                .map(|i| i.0)
                .collect()
        } else {
            Vec::new()
        };
        let stage = config.ladder.name(plan.stage).to_string();
        let shared = prepare::SharedRead::new(config, &wanted);
        let mut prepared = cache::prepare(
            config,
            &wanted,
            &stage,
            cache,
            &prepare::key_command,
            cache_dir,
            cache::Watchers {
                tap: shared
                    .as_ref()
                    .map(|s| s as &dyn crate::files::hash::ContentTap),
                ..cache::Watchers::NONE
            },
        );
        let untracked = prepared.snapshot.as_mut().and_then(|s| s.untracked.take());
        let (cached, set_aside) = std::thread::scope(|scope| {
            // New code compares git's index with the snapshot's stat data
            // while the stored results are read.
            if let (Some(new_code), Some(snapshot)) = (new_code, prepared.snapshot.as_ref()) {
                let root = &prepared.root;
                scope.spawn(move || {
                    let clock = std::time::Instant::now();
                    let digests = new_code_memo::digests(root, snapshot, untracked.as_deref());
                    crate::debug!(
                        "new code: the work tree's digests taken ({} ms)",
                        clock.elapsed().as_millis()
                    );
                    new_code.offer(Some((snapshot, untracked)), digests);
                });
            }
            prepare::reuse_plan(config, plan, &prepared, &wanted, cache, started_ns)
        });
        let prescanned = shared.map_or_else(Vec::new, |s| s.into_prescanned(config.gates.len()));
        let reusable = Reusable {
            cached,
            set_aside,
            prescanned,
        };
        if crate::log::enabled_at(crate::log::Level::Info) {
            events::log_decisions(config, plan, &prepared, &reusable, cache);
            events::note_slow_key_commands(&prepared, &reusable, &wanted, started_ns);
        }
        crate::debug!("cache: {} hits", reusable.cached.iter().flatten().count());
        (prepared, reusable)
    }

    /// What the run knows of each gate beforehand: its predicted length,
    /// what it may reuse, its builtin's files and its `PQG_FILES` list.
    fn gate_jobs(
        &self,
        plan: &plan::Plan,
        predicted: &HashMap<String, Duration>,
        prepared: &cache::Prepared,
        reusable: Reusable,
        lists: Option<&ListsDir>,
    ) -> plan::PerGate<run::GateJob> {
        let config = self.config;
        let changed = self.request.filters.changed.as_deref();
        let redefined = &self.request.filters.redefined;
        let files_lists = match changed {
            Some(changed) => prepare::write_changed_lists(
                config,
                plan,
                changed,
                redefined,
                &self.request.cache_dir,
                lists,
            ),
            None => vec![None; plan.gates.len()],
        };
        prepare::gate_jobs(
            plan.gates
                .iter()
                .map(|g| predicted.get(g.id.as_str()).copied())
                .collect(),
            prepare::builtin_files(config, prepared, &reusable.cached, changed, redefined),
            reusable.prescanned,
            reusable.cached,
            files_lists,
        )
    }

    /// How the runner is to run `plan`'s `gates`.
    fn run_options(
        &self,
        plan: &plan::Plan,
        gates: plan::PerGate<run::GateJob>,
        cache_dir: &Path,
        run_id: &str,
    ) -> run::RunOptions {
        let config = self.config;
        run::RunOptions {
            jobs: self.request.jobs,
            stage: config.ladder.name(plan.stage).to_string(),
            run_id: run_id.to_owned(),
            logs_dir: self
                .request
                .keep_logs
                .then(|| cache_dir.join("logs").join(run_id)),
            secrets: run::secrets_from_env(&config.settings.redact),
            default_timeout: config.settings.timeout,
            gates,
            fail_fast: plan.fail_fast,
            handle_signals: true,
            cache_dir: cache_dir.to_path_buf(),
        }
    }

    /// The plan, its shards balanced by the durations history predicts.
    fn plan(&self, predicted: Option<&HashMap<String, Duration>>) -> anyhow::Result<plan::Plan> {
        let (config, request) = (self.config, self.request);
        let mut filters = request.filters.clone();
        if let Some(shard) = filters.shard.as_mut() {
            // Balanced by history: every shard must see the same history
            // (the same restored cache folder) to deal the same shares.
            shard.weights = config
                .gates
                .iter()
                .map(|g| {
                    predicted
                        .and_then(|p| p.get(g.id.as_str()))
                        .map(Duration::as_secs_f64)
                })
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
    pub(crate) fn execute(
        mut self,
        live: &mut dyn FnMut(serde_json::Value),
    ) -> anyhow::Result<Finished<'a>> {
        let keying = self.keying.take();
        let watch = {
            // The states of the files before any gate started.
            let known = match (&keying, &self.prepared.snapshot) {
                (Some(k), _) => match &k.stated {
                    Some(states) => writes::Known::Stated(states),
                    None => writes::Known::Nothing,
                },
                (None, Some(snapshot)) => writes::Known::Snapshot(snapshot),
                (None, None) => writes::Known::Nothing,
            };
            writes::WriteWatch::take(
                self.config,
                &self.plan,
                &self.opts,
                &known,
                self.prepared.key_commands_ended_ns,
                self.request.forbid_writes,
            )
        };
        let assessor = Assessor::new(
            self.config,
            &self.plan,
            &self.baseline,
            watch.as_ref(),
            self.new_code.as_ref(),
        );
        let mut progress = self
            .request
            .progress
            .then(|| Progress::new(self.plan.running().count()));
        let assess = |i: plan::GateIdx, e: &run::Execution| assessor.assess(i, e);
        let review = |gates: &[plan::GateIdx]| assessor.review(gates);
        let clock = std::time::Instant::now();
        let result = std::thread::scope(|scope| {
            if let Some(new_code) = &self.new_code {
                // No snapshot was taken: the watch's look before the run is
                // the run's own stat data of the tracked files, compared
                // with git's index while the gates run.
                match &watch {
                    Some(w) => {
                        scope.spawn(|| {
                            w.with_before(|b| new_code.offer(Some((b, None)), Default::default()));
                        });
                    }
                    None => new_code.offer(None, Default::default()),
                }
            }
            run::execute(
                self.config,
                &self.plan,
                &self.opts,
                &assess,
                &review,
                &mut |event| {
                    match (&watch, &event) {
                        (
                            Some(w),
                            run::RunEvent::Started { gate, .. }
                            | run::RunEvent::Retrying { gate, .. },
                        ) => w.started(*gate),
                        (Some(w), run::RunEvent::Finished { gate, .. }) => w.ended(*gate),
                        _ => {}
                    }
                    if let Some(p) = progress.as_mut() {
                        p.on_event(&event);
                    }
                    live(events::live_event(&self.opts, &event, clock));
                },
            )
        })?;
        if let Some(p) = progress {
            p.finish();
        }
        crate::debug!("run finished");
        // The gates ran while the tree was hashed: the listing for new
        // files (made after every gate finished) and the watch's last look
        // are taken while the hash goes on. With the untracked listing's
        // stamps kept and no place named by any glob (a place may be
        // ignored, out of the stamps' sight), the look after the run needs
        // no listing unless a folder changed (`cache::changes_since`): git
        // is not asked here.
        let listing = keying
            .as_ref()
            .filter(|k| !k.stamped || !k.globs.is_empty())
            .map(|k| {
                let root = crate::files::root::absolute(&self.config.root);
                let exclude = crate::files::root::absolute(&self.cache_dir);
                let globs = k.globs.clone();
                std::thread::spawn(move || {
                    let globs: Vec<&str> = globs.iter().map(String::as_str).collect();
                    crate::files::list::list_files(&root, &exclude, &globs).ok()
                })
            });
        let verdicts = assessor.into_verdicts();
        let watched = match watch {
            Some(w) => w.into_watched(self.plan.indices()),
            None => writes::Watched {
                blamed: self.plan.indices().map(|_| false).collect(),
                after: None,
                listed: None,
            },
        };
        if let Some(keying) = keying {
            let (cache, prepared) = match keying.thread.join() {
                Ok(keyed) => keyed,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            self.cache = cache;
            self.prepared = prepared;
            if crate::log::enabled_at(crate::log::Level::Info) {
                let n = self.config.gates.len();
                let reusable = Reusable {
                    cached: vec![None; n],
                    set_aside: vec![None; n],
                    prescanned: Vec::new(),
                };
                events::log_decisions(
                    self.config,
                    &self.plan,
                    &self.prepared,
                    &reusable,
                    &self.cache,
                );
            }
        }
        let mut watched = watched;
        watched.listed = listing.and_then(|l| l.join().ok().flatten());
        Ok(Finished {
            runner: self,
            result,
            verdicts,
            watched,
        })
    }
}

impl Finished<'_> {
    /// Stores the results worth keeping (none from an interrupted run nor
    /// from a `--changed-since` one); gives back what the look at the
    /// inputs after the run found, when it took one.
    pub(crate) fn store(&mut self) -> Option<cache::Changes> {
        let r = &mut self.runner;
        let mut changes = None;
        if self.result.interrupted.is_none() && r.request.filters.changed.is_none() {
            let exact: Vec<bool> = r
                .prepared
                .keys
                .iter()
                .enumerate()
                .map(|(i, key)| {
                    let prescanned = r.opts.job(plan::GateIdx(i)).prescanned.as_deref();
                    key.as_ref()
                        .is_some_and(|k| prepare::read_whole_from_hash(r.config, i, k, prescanned))
                })
                .collect();
            changes = record::store_results(
                r.config,
                &r.prepared,
                &self.result,
                &self.watched,
                &exact,
                &mut r.cache,
                &r.cache_dir,
            );
            crate::debug!("results stored");
        }
        drop(r.lists.take());
        changes
    }

    /// The stage's verdict, from the judgements made as gates finished.
    pub(crate) fn judge(&mut self) -> judge::Verdict {
        let r = &self.runner;
        let verdicts = std::mem::take(&mut self.verdicts);
        let verdict = judge::judge_with(
            r.config,
            &r.plan,
            &self.result,
            &r.baseline,
            r.new_code.as_ref().and_then(LazyNewCode::get),
            r.new_code.as_ref().and_then(LazyNewCode::memo),
            verdicts,
        );
        crate::debug!("judged");
        verdict
    }

    /// Builds the report, records the run in the history, and hands
    /// everything back.
    pub(crate) fn report(
        self,
        verdict: judge::Verdict,
        changes: Option<cache::Changes>,
    ) -> StageRun {
        let Finished {
            runner: mut r,
            result,
            ..
        } = self;
        let fresh: Vec<&str> = r
            .plan
            .indices()
            .filter(|&i| result.executions[i].is_some() && !result.reused[i])
            .map(|i| r.plan.gate(i).id.as_str())
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
        // Each key holds its gate's input list: freed beside what is left.
        crate::files::drop_aside(std::mem::take(&mut r.prepared.keys));
        StageRun {
            result,
            verdict,
            report,
            baseline: r.baseline,
            snapshot,
            new_code: r.new_code.and_then(LazyNewCode::into_inner),
        }
    }
}

/// What history predicts of each gate's length.
fn predictions(cache: &mut Cache) -> HashMap<String, Duration> {
    let predicted = history::predicted(cache);
    crate::debug!("history: {} predictions", predicted.len());
    predicted
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
        Some(c) if c.whole && c.changed.is_empty() => true,
        Some(c) if c.changed.is_empty() => {
            crate::debug!("only the stored gates' inputs were looked at again: the snapshot is not known to hold");
            false
        }
        Some(_) => {
            crate::debug!("files changed while the gates ran: the snapshot no longer holds");
            false
        }
        None => {
            crate::debug!("gates ran and no look after them was taken: the snapshot is not known to hold");
            false
        }
    })
}
