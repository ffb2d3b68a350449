//! Gates that change tracked files (issue 13): a `ruff check` with `fix =
//! true` rewrites the code it judges and reports pass. Unless the gate says
//! it may (`writes = true`), a gate that changed a tracked file is `fail`
//! with "files were modified by this gate: …".
//!
//! The tracked files are stat'ed once before the first gate starts, and
//! looked at again only when a decision waits on it (not as each gate
//! finishes: a finished gate frees its slot at once): when the runner
//! reviews passes before a gate whose needs finished since starts, or
//! under fail-fast after a blocking gate passed ([`WriteWatch::review`]);
//! before a writer starts when another gate finished since; and after the
//! last gate. One look covers every gate finished before it. A change is
//! laid at the door of the gates that were running when it was made, as
//! inotify's events read at each start and end tell ([`super::touches`]),
//! else as the file's ctime says (which no program can set back, unlike
//! mtime): when two gates ran then, both are blamed (neither can be
//! cleared from outside), unless one of them declared `writes = true`,
//! which accounts for the change. A file changed by two gates one after
//! the other counts against both (by ctime: at its last change). A gate
//! blamed by a review fails for the runner: its dependents never start,
//! and under fail-fast a blocking one stops the run; the live `finish`
//! event shows the gate's own status. Blame only grows: what a look laid
//! at a gate's door stays there. The files a
//! submodule tracks are watched like the superproject's. Untracked and
//! ignored files (reports, caches) never count, nor do built-in checks,
//! which never write. Outside git nothing is tracked, and nothing is
//! watched. This never decides whether a result is stored: the look after
//! the run (`cache::changes_since`) does, and a blamed gate is kept out on
//! top of it.
//!
//! The states before the run come from the snapshot the cache took when
//! there is one (no file is stat'ed twice); the look after the run that
//! decides what is stored (`cache::changes_since`) is not enough by
//! itself: it runs only with the cache on, and over the keyed gates'
//! inputs, while this must hold under `--no-cache` and for `cache = false`
//! gates. The other way round, the look after the last gate is taken once
//! every gate (builtins too) finished, which is what that check needs: its
//! states are handed on ([`Watched::after`]) and the tracked files are not
//! stat'ed a second time.

use super::touches::{self, Told, Touches};
use crate::config::{Command, Config};
use crate::files::root::{FileState, Kind, Root};
use crate::files::snapshot::{now_ns, Snapshot};
use crate::plan::{GateIdx, PerGate, Plan};
use crate::run;
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// The kernel stamps ctime from a clock that may lag the one read here by
/// a scheduler tick: a write in a gate's first milliseconds may carry a
/// time a little before the start measured for it.
const CLOCK_SLACK_NS: i64 = 20_000_000;

/// How many modified files a reason names before "and N more".
const NAMED: usize = 5;

/// Tracked files and their states (`None`: missing from the work tree).
type States = Vec<(String, Option<FileState>)>;

/// The tracked files as they were before the gates started, and when each
/// gate ran.
pub(super) struct WriteWatch {
    root: Root,
    /// Tracked files (those of submodules too), and their state when last
    /// looked at (`None`: the file was missing from the work tree then).
    /// Shared with the thread that sets up inotify's watches, which copies
    /// the paths from here once the first gates run.
    looked: Arc<Mutex<States>>,
    /// How many files are watched.
    count: usize,
    /// Whether each plan gate may write (`writes = true`, and not judging
    /// a pushed commit), and its name.
    writers: PerGate<bool>,
    /// Whether each plan gate declared `writes = true`.
    declared: PerGate<bool>,
    /// The gates watched: commands that run here, not answered from the
    /// cache (writers included: their windows clear others).
    watched: PerGate<bool>,
    names: PerGate<String>,
    times: Mutex<Times>,
    /// Changes made before this (ns since the epoch) are no gate's: the
    /// key commands ran until then, alongside the look before the run.
    quiet_before: i64,
    /// The kernel's word on which gates ran when a change came, where it
    /// has one (else the ctimes decide).
    touches: Arc<Mutex<Touches>>,
    /// Set once every gate ended: watches not in place by then are given
    /// up ([`Touches::watch`]).
    stop_watching: Arc<AtomicBool>,
}

/// When gates ran, as far as known so far.
#[derive(Default)]
struct Times {
    /// When each gate was seen to start (the runner's start event).
    started: Vec<Option<i64>>,
    /// Each finished attempt: its gate and its window.
    ran: Vec<(GateIdx, i64, i64)>,
    /// When each gate's last attempt finished.
    ended: Vec<i64>,
    /// When the last look started (what finished before, it covered).
    last_look: i64,
    /// What each gate was blamed for, once [`WriteWatch::settle`] looked.
    blamed: Vec<Option<String>>,
    /// The files each gate changed, as the looks so far laid them at its
    /// door, and the other gates that ran with it then.
    mine: Vec<Vec<String>>,
    others: Vec<Vec<GateIdx>>,
    /// Whether a gate not allowed to write finished since the last look.
    unlooked: bool,
    /// Whether [`WriteWatch::settle`] looked: after every gate, builtins
    /// included, had finished.
    settled: bool,
}

/// The states of files before any gate started, as the run knows them
/// already, sorted by path: the snapshot the cache took, or the states
/// stat'ed while the tree is hashed. The watch takes them in one pass
/// beside git's sorted list of tracked files.
#[derive(Clone, Copy)]
pub(super) enum Known<'k> {
    Nothing,
    Snapshot(&'k Snapshot),
    Stated(&'k [(String, FileState)]),
}

impl Known<'_> {
    fn len(&self) -> usize {
        match self {
            Known::Nothing => 0,
            Known::Snapshot(s) => s.files.len(),
            Known::Stated(s) => s.len(),
        }
    }

    fn path(&self, i: usize) -> &str {
        match self {
            Known::Nothing => "",
            Known::Snapshot(s) => &s.files[i].path,
            Known::Stated(s) => &s[i].0,
        }
    }

    fn state(&self, i: usize) -> Option<&FileState> {
        match self {
            Known::Nothing => None,
            Known::Snapshot(s) => s.states.get(i),
            Known::Stated(s) => s.get(i).map(|(_, state)| state),
        }
    }

    /// The state known for each of `paths` (sorted), walking both lists
    /// once: `None` where none is known, or for a folder (a submodule's
    /// place, whose files are looked at one by one). A path out of order
    /// is looked up again, never given another path's state.
    fn states_of(&self, paths: &[String]) -> Vec<Option<FileState>> {
        let n = self.len();
        let mut at = 0;
        paths
            .iter()
            .map(|path| {
                let path = path.as_str();
                if at > 0 && at <= n && self.path(at - 1) >= path {
                    at = partition_point(self, path);
                }
                while at < n && self.path(at) < path {
                    at += 1;
                }
                if at < n && self.path(at) == path {
                    at += 1;
                    return self.state(at - 1).filter(|s| !s.is_dir()).cloned();
                }
                None
            })
            .collect()
    }
}

/// The first index of `known` whose path is not before `path`.
fn partition_point(known: &Known<'_>, path: &str) -> usize {
    let (mut lo, mut hi) = (0, known.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if known.path(mid) < path {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// What the watch leaves for the rest of the run: the gates blamed, and
/// the tracked files' states its last look took after every gate finished
/// (sorted by path), for the cache's look after the run to use instead of
/// a second `lstat` of the same files.
#[derive(Default)]
pub(super) struct Watched {
    pub blamed: PerGate<bool>,
    pub after: Option<Vec<(String, Option<FileState>)>>,
    /// The input files listed after every gate finished, when the gates ran
    /// while the tree was hashed (listed then, alongside the hash).
    pub listed: Option<Vec<String>>,
}

impl WriteWatch {
    /// Stats the tracked files, if some gate that runs here (not answered
    /// from the cache) is a command not allowed to write; `None` when no
    /// such gate runs, outside git, or when git cannot list the files.
    pub(super) fn take(
        config: &Config,
        plan: &Plan,
        opts: &run::RunOptions,
        known: &Known<'_>,
        key_commands_ended_ns: Option<i64>,
        forbid_writes: bool,
    ) -> Option<Self> {
        let watched: PerGate<bool> = plan
            .indices()
            .map(|i| {
                let gate = &config.gates[plan.gate(i).index];
                plan.gate(i).runs()
                    && !opts.job(i).is_cached()
                    && !matches!(gate.command, Command::Builtin(_))
            })
            .collect();
        let declared: PerGate<bool> = plan
            .indices()
            .map(|i| config.gates[plan.gate(i).index].writes)
            .collect();
        let writers: PerGate<bool> = plan
            .indices()
            .map(|i| declared[i] && !forbid_writes)
            .collect();
        if !plan.indices().any(|i| watched[i] && !writers[i]) {
            return None;
        }
        let root = Root::open(&config.root).ok()?;
        let clock = std::time::Instant::now();
        let tracked = tracked_files(&config.root)?;
        crate::debug!(
            "writes: {} tracked files listed in {:.1} ms",
            tracked.len(),
            clock.elapsed().as_secs_f64() * 1e3
        );
        // The snapshot the cache took holds the state of most of them
        // already (taken before any gate started): only the others are
        // stat'ed now.
        let known_states = known.states_of(&tracked);
        let unknown: Vec<&str> = tracked
            .iter()
            .zip(&known_states)
            .filter(|(_, s)| s.is_none())
            .map(|(p, _)| p.as_str())
            .collect();
        let mut stats = root.lstat_all(&unknown).into_iter();
        drop(unknown);
        let mut before: Vec<(String, Option<FileState>)> = Vec::with_capacity(tracked.len());
        let mut folders = Vec::new();
        for (path, state) in tracked.into_iter().zip(known_states) {
            if state.is_some() {
                before.push((path, state));
                continue;
            }
            match stats.next() {
                Some(Ok((_, Kind::Dir))) => folders.push(path),
                Some(Ok((s, _))) => before.push((path, Some(s))),
                Some(Err(_)) | None => before.push((path, None)),
            }
        }
        crate::debug!(
            "writes: states before the run in {} ms",
            clock.elapsed().as_millis()
        );
        // A submodule's place: the files its own repository tracks are
        // watched too (a gate may rewrite them as well).
        for folder in folders {
            let dir = config.root.join(crate::sys::name::to_path(&folder));
            let Ok(files) = crate::git::submodule::files(&dir) else {
                continue;
            };
            for file in files {
                let path = format!("{}/{file}", folder.trim_end_matches('/'));
                if let Seen::File(s) = state(&root, &path) {
                    before.push((path, Some(s)));
                }
            }
        }
        // Submodules' files come last: sorted, for those who look paths up.
        before.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
        crate::debug!("writes: {} tracked files watched", before.len());
        let touches = Arc::new(Mutex::new(Touches::default()));
        let stop_watching = Arc::new(AtomicBool::new(false));
        let count = before.len();
        let looked = Arc::new(Mutex::new(before));
        let shared = Arc::clone(&looked);
        // The paths are copied where the watches are set up: for a large
        // tree on a thread of its own, not before the first gate starts.
        let paths = move || {
            shared.lock().map_or_else(
                |_| Vec::new(),
                |looked| looked.iter().map(|(p, _)| p.clone()).collect(),
            )
        };
        Touches::watch(
            Arc::clone(&touches),
            config.root.clone(),
            (count, paths),
            Arc::clone(&stop_watching),
        );
        let n = plan.gates.len();
        Some(WriteWatch {
            root,
            count,
            looked,
            writers,
            declared,
            watched,
            names: plan
                .indices()
                .map(|i| plan.gate(i).id.to_string())
                .collect(),
            times: Mutex::new(Times {
                started: vec![None; n],
                ran: Vec::new(),
                ended: vec![i64::MIN; n],
                last_look: i64::MIN,
                blamed: vec![None; n],
                mine: vec![Vec::new(); n],
                others: vec![Vec::new(); n],
                unlooked: false,
                settled: false,
            }),
            quiet_before: key_commands_ended_ns.unwrap_or(i64::MIN),
            touches,
            stop_watching,
        })
    }

    /// Lends the states the first look took, before any gate started
    /// (until the next look): the run's stat data of the tracked files
    /// when it took no snapshot, for new code to compare with git's index.
    pub(super) fn with_before(&self, f: impl FnOnce(&dyn crate::git::status::StatView)) {
        if let Ok(looked) = self.looked.lock() {
            f(&Looked(&looked));
        }
    }

    /// Notes that gate `gate` starts (or starts again) now. Before a gate
    /// that may write starts, the files are looked at when some other gate
    /// finished since the last look: what the writer rewrites again would
    /// hide that gate's change (a file counts at its last change).
    pub(super) fn started(&self, gate: GateIdx) {
        if !self.watched[gate] {
            return;
        }
        if self.writers[gate] && self.times.lock().is_ok_and(|t| t.unlooked) {
            self.look();
        }
        if let Ok(mut touches) = self.touches.lock() {
            touches.started(gate);
        }
        if let Ok(mut times) = self.times.lock() {
            times.started[gate.0] = Some(now_ns());
        }
        crate::debug!("writes: {} started", self.names[gate]);
    }

    /// Whether gate `gate` was blamed for changing tracked files (known
    /// once [`settle`](Self::settle) has looked).
    pub(super) fn blamed(&self, gate: GateIdx) -> bool {
        self.times
            .lock()
            .is_ok_and(|t| t.blamed.get(gate.0).is_some_and(Option::is_some))
    }

    /// Notes that an attempt of gate `gate` finished now, after `duration`:
    /// its window, for [`settle`](Self::settle). Nothing is looked at here,
    /// so a finished gate frees its slot at once.
    pub(super) fn finished(&self, gate: GateIdx, duration: std::time::Duration) {
        if !self.watched[gate] {
            return;
        }
        let end = now_ns();
        let took = i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX);
        let mut start = end.saturating_sub(took);
        if let Ok(mut times) = self.times.lock() {
            if let Some(seen) = times.started[gate.0].take() {
                start = start.min(seen);
            }
            times.ran.push((gate, start, end));
            times.ended[gate.0] = end;
            times.unlooked |= !self.writers[gate];
        }
    }

    /// Notes that the runner took in gate `gate`'s end, after its last
    /// attempt (a retry starts in the worker at once, before the runner
    /// hears of it: until here the gate counts as running for inotify).
    pub(super) fn ended(&self, gate: GateIdx) {
        if !self.watched[gate] {
            return;
        }
        if let Ok(mut touches) = self.touches.lock() {
            touches.finished(gate);
        }
        // A retry the runner heard of only after its attempt finished
        // left a start behind: the attempts' windows are recorded.
        if let Ok(mut times) = self.times.lock() {
            times.started[gate.0] = None;
        }
        crate::debug!("writes: {} ended", self.names[gate]);
    }

    /// Before the runner relies on the passes of `gates` (a dependent
    /// starts, or under fail-fast a blocking gate passed): looks at the
    /// tracked files when one of them finished since the last look and
    /// may be blamed, and gives those of `gates` blamed so far. One look
    /// covers every gate finished before it.
    pub(super) fn review(&self, gates: &[GateIdx]) -> Vec<GateIdx> {
        let due = self.times.lock().is_ok_and(|t| {
            gates
                .iter()
                .any(|&g| self.watched[g] && !self.writers[g] && t.ended[g.0] > t.last_look)
        });
        if due {
            self.look();
        }
        let Ok(times) = self.times.lock() else {
            return Vec::new();
        };
        gates
            .iter()
            .copied()
            .filter(|g| !times.mine[g.0].is_empty())
            .collect()
    }

    /// After the last gate: looks at the tracked files a last time, and
    /// gives per gate why it is to fail for changing tracked files, if it
    /// is (never a gate not watched: a builtin, or a result reused).
    pub(super) fn settle(&self) -> PerGate<Option<String>> {
        // Watches still being set up could tell of nothing more: on the
        // two cores of a small machine they would slow the look below.
        self.stop_watching.store(true, Ordering::Relaxed);
        // Unless the last review's look came after every gate ended.
        let due = self.times.lock().map_or(true, |t| {
            t.started.iter().any(Option::is_some) || t.ended.iter().any(|&e| e > t.last_look)
        });
        if due {
            self.look();
        }
        let Ok(mut times) = self.times.lock() else {
            return self.names.iter().map(|_| None).collect();
        };
        let times = &mut *times;
        times.settled = due;
        for (g, paths) in times.mine.iter_mut().enumerate() {
            if paths.is_empty() {
                continue;
            }
            // Seen changed by two looks: named once.
            paths.sort_unstable();
            paths.dedup();
            let shown = named(paths);
            let reason = if self.declared[GateIdx(g)] {
                format!("rewrote files: {shown} — commit the result and push again")
            } else if times.others[g].is_empty() {
                format!("files were modified by this gate: {shown}")
            } else {
                let names: Vec<String> = times.others[g]
                    .iter()
                    .map(|&o| format!("`{}`", self.names[o]))
                    .collect();
                format!(
                    "files were modified while this gate ran, by it or by {} (running at the same time): {shown}",
                    names.join(", ")
                )
            };
            times.blamed[g] = Some(reason);
        }
        times.blamed.iter().cloned().collect()
    }

    /// What the watch leaves once [`settle`](Self::settle) ran: the gates
    /// blamed, and the states it took then when it looked (a look skipped
    /// there, or one taken while a builtin may still have run, is of no
    /// use after the run).
    pub(super) fn into_watched(self, gates: impl Iterator<Item = GateIdx>) -> Watched {
        let blamed = gates.map(|g| self.blamed(g)).collect();
        let settled = self.times.lock().is_ok_and(|t| t.settled);
        let after = settled
            .then(|| self.looked.lock().ok().map(|mut l| std::mem::take(&mut *l)))
            .flatten()
            .map(|mut states| {
                // Submodules' files come last: sorted for a binary search.
                states.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
                states
            });
        Watched {
            blamed,
            after,
            listed: None,
        }
    }

    /// Looks at the tracked files: each one changed since the last look
    /// is laid at the door of the gates running when it was made (its
    /// ctime; for a file gone, its folder's).
    fn look(&self) {
        let clock = std::time::Instant::now();
        let began = now_ns();
        let Ok(mut looked) = self.looked.lock() else {
            return;
        };
        // Cleared first: a gate finishing during the look asks for another.
        if let Ok(mut times) = self.times.lock() {
            times.unlooked = false;
        }
        let paths: Vec<&str> = looked.iter().map(|(p, _)| p.as_str()).collect();
        let stats = self.root.lstat_all(&paths);
        drop(paths);
        let changed: Vec<(String, i64, bool)> = looked
            .par_iter_mut()
            .zip(stats.into_par_iter())
            .with_min_len(256)
            .filter_map(|((path, last), stat)| {
                let now = match stat {
                    Ok((s, kind)) if kind != Kind::Dir => Some(s),
                    _ => None,
                };
                if now == *last {
                    return None;
                }
                let at = match &now {
                    Some(s) => s.ctime_ns,
                    None => self.folder_ctime(path),
                };
                let present = now.is_some();
                *last = now;
                Some((path.clone(), at, present))
            })
            .collect();
        crate::debug!(
            "writes: {} tracked files looked at again in {} ms, {} changed",
            self.count,
            clock.elapsed().as_millis(),
            changed.len()
        );
        if let Ok(mut times) = self.times.lock() {
            times.last_look = times.last_look.max(began);
            self.lay(&mut times, changed);
        }
    }

    /// Lays each change (a path, and when it was made) at the door of the
    /// gates running then, as far as known now: a gate still running
    /// counts from its start on.
    fn lay(&self, times: &mut Times, changed: Vec<(String, i64, bool)>) {
        for (path, at, present) in changed {
            // The gates running when the change was made: inotify's
            // word, where it has one. A change it did not tell of (a
            // write through a hard link from outside, or `mmap`) shows
            // as a ctime outside every span it told of: the ctime adds
            // the gates running then. A file gone has only its folder's
            // ctime, which any later change there moves on: inotify's
            // word on its removal stands alone.
            let told = self
                .touches
                .lock()
                .ok()
                .and_then(|mut t| t.spans_for(&path));
            let (mut sets, mut how) = (Vec::new(), "inotify");
            let explains = |spans: &[touches::Span]| {
                spans
                    .iter()
                    .any(|s| s.from.saturating_sub(CLOCK_SLACK_NS) <= at && at <= s.to)
            };
            match told {
                // Its own events all count: each was a change.
                Some(Told::Own(spans)) => {
                    let seen = explains(&spans);
                    sets.extend(spans.into_iter().map(|s| s.gates));
                    if present && !seen {
                        sets.push(by_ctime(times, at, self.quiet_before));
                        how = "inotify and ctime";
                    }
                }
                // A folder above moved or went: that explains a file gone,
                // or one there now whose ctime falls in such a span (put
                // back as a copy); else the ctime alone says who changed
                // what is there now.
                Some(Told::Above(spans)) if !present || explains(&spans) => {
                    sets.extend(spans.into_iter().map(|s| s.gates));
                }
                Some(Told::Above(_)) | None => {
                    sets.push(by_ctime(times, at, self.quiet_before));
                    how = "ctime";
                }
            }
            for running in sets {
                self.blame(times, &path, at, how, &running);
            }
        }
    }

    /// Lays the change of `path` at the door of the gates `running` when
    /// it was made (unless none ran, or one allowed to write did).
    fn blame(&self, times: &mut Times, path: &str, at: i64, how: &str, running: &[GateIdx]) {
        if running.is_empty() {
            return; // made while no watched gate ran
        }
        crate::debug!(
            "writes: {path} changed at {at}: laid at {} by {how} (windows {})",
            running
                .iter()
                .map(|&g| self.names[g].as_str())
                .collect::<Vec<_>>()
                .join(", "),
            times
                .ran
                .iter()
                .map(|&(g, start, end)| format!("{} {start}..{end}", self.names[g]))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if running.iter().any(|&g| self.writers[g]) {
            return; // a gate allowed to write ran then
        }
        for &g in running {
            times.mine[g.0].push(path.to_owned());
            for &o in running {
                if o != g && !times.others[g.0].contains(&o) {
                    times.others[g.0].push(o);
                }
            }
        }
    }

    /// When the folder holding `path` (or the nearest one left) changed:
    /// removing a file changes its folder.
    fn folder_ctime(&self, path: &str) -> i64 {
        let mut dir = std::path::Path::new(path);
        while let Some(parent) = dir.parent() {
            let full = self.root.path().join(parent);
            if let Ok(m) = std::fs::symlink_metadata(&full) {
                use std::os::unix::fs::MetadataExt;
                return m.ctime() * 1_000_000_000 + m.ctime_nsec();
            }
            dir = parent;
        }
        now_ns()
    }
}

/// The gates running when a change stamped `at` was made, by ctime.
/// The kernel's clock may stamp a write a little before the start
/// measured for its gate, so each window reaches back by the slack;
/// of the gates whose window holds the change, only those that
/// started nearest before it count (all that ran then, as measured,
/// if any did): else the gate started right after a neighbour's
/// write (`-j1`) would share its blame.
fn by_ctime(times: &Times, at: i64, quiet_before: i64) -> Vec<GateIdx> {
    if at < quiet_before {
        // Made while the key commands ran (by one of them, say
        // `cargo tree` refreshing Cargo.lock), before any gate
        // started: no gate's. The look after the run still keeps a
        // result whose input changed out of the cache.
        return Vec::new();
    }
    let there = running_at(times, at);
    let Some(nearest) = there.iter().map(|&(_, by)| by).min() else {
        return Vec::new();
    };
    there
        .into_iter()
        .filter(|&(_, by)| by == nearest)
        .map(|(g, _)| g)
        .collect()
}

/// The gates running at `at`: finished attempts whose window (reaching
/// back by the clock's slack) holds it, and gates started and not finished
/// (a run stopped by a signal); each with how long before its measured
/// start the change was made (0: inside its window).
fn running_at(times: &Times, at: i64) -> Vec<(GateIdx, i64)> {
    let holds = |start: i64, end: i64| {
        (start.saturating_sub(CLOCK_SLACK_NS) <= at && at <= end).then(|| (start - at).max(0))
    };
    let mut found: Vec<(GateIdx, i64)> = times
        .ran
        .iter()
        .filter_map(|&(g, start, end)| holds(start, end).map(|by| (g, by)))
        .collect();
    for (g, started) in times.started.iter().enumerate() {
        if let Some(by) = started.and_then(|s| holds(s, i64::MAX)) {
            found.push((GateIdx(g), by));
        }
    }
    // A gate run more than once: its nearest attempt.
    found.sort_unstable_by_key(|&(g, by)| (g.0, by));
    found.dedup_by_key(|(g, _)| g.0);
    found
}

/// The files git tracks under `root`, sorted, relative to it: read from
/// git's index when `root` is the top of the work tree and the index is
/// one its reader understands (no process), else from `git ls-files`.
/// `None` outside git, or when git cannot list them.
fn tracked_files(root: &std::path::Path) -> Option<Vec<String>> {
    if let Some((files, _)) = crate::git::index::tracked_at(root) {
        return Some(files);
    }
    let mut files = match crate::git::ls_files(root, &["--cached"]) {
        Ok(Some(files)) => files,
        Ok(None) => return None,
        Err(why) => {
            crate::debug!("writes: tracked files not listed ({why:#}); not watched");
            return None;
        }
    };
    files.sort_unstable();
    files.dedup();
    Some(files)
}

/// What a tracked path is in the work tree.
enum Seen {
    File(FileState),
    Missing,
    /// A submodule's place: its files are watched one by one.
    Folder,
}

fn state(root: &Root, path: &str) -> Seen {
    match root.lstat(path) {
        Ok((_, Kind::Dir)) => Seen::Folder,
        Ok((s, _)) => Seen::File(s),
        Err(_) => Seen::Missing,
    }
}

/// The watched files' states as the stat data git's index is compared
/// with: a file missing from the work tree has none (mode 0), which no
/// index entry matches.
struct Looked<'a>(&'a [(String, Option<FileState>)]);

impl crate::git::status::StatView for Looked<'_> {
    fn file_count(&self) -> usize {
        self.0.len()
    }

    fn path(&self, i: usize) -> &str {
        &self.0[i].0
    }

    fn stat(&self, i: usize) -> crate::git::status::WorkStat {
        match &self.0[i].1 {
            Some(s) => crate::git::status::WorkStat {
                size: s.size,
                mtime_ns: s.mtime_ns,
                ctime_ns: s.ctime_ns,
                ino: s.ino,
                mode: s.mode,
            },
            None => crate::git::status::WorkStat {
                size: 0,
                mtime_ns: 0,
                ctime_ns: 0,
                ino: 0,
                mode: 0,
            },
        }
    }
}

/// The first few of `paths`, then how many more.
fn named(paths: &[String]) -> String {
    let mut shown = paths
        .iter()
        .take(NAMED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if paths.len() > NAMED {
        shown.push_str(&format!(" and {} more", paths.len() - NAMED));
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_inotify_a_change_goes_to_the_gates_started_nearest_before_it() {
        let ms = 1_000_000;
        let times = Times {
            started: vec![None, None, None],
            ran: vec![
                (GateIdx(0), 100 * ms, 200 * ms),
                (GateIdx(1), 201 * ms, 300 * ms),
                (GateIdx(2), 150 * ms, 250 * ms),
            ],
            ..Times::default()
        };
        let at = |t: i64| by_ctime(&times, t * ms, 60 * ms);
        assert_eq!(at(120), vec![GateIdx(0)]);
        // Inside 0's and 2's windows: both ran then.
        assert_eq!(at(199), vec![GateIdx(0), GateIdx(2)]);
        // Stamped a little before 1 started, after the others ended: 1's.
        assert_eq!(at(260), vec![GateIdx(1)]);
        assert_eq!(at(295), vec![GateIdx(1)]);
        // The clock's slack: stamped a little before 0's measured start.
        assert_eq!(at(90), vec![GateIdx(0)]);
        // Before any gate, or while the key commands ran.
        assert_eq!(at(70), Vec::<GateIdx>::new());
        assert_eq!(at(50), Vec::<GateIdx>::new());
    }

    #[test]
    fn the_known_states_are_found_in_one_walk_whatever_the_order() {
        let state = |size: u64, mode: u32| FileState {
            size,
            mtime_ns: 0,
            ctime_ns: 0,
            ino: size,
            dev: 0,
            mode,
            target: None,
        };
        let file = 0o100_644;
        let known = vec![
            ("a-b".to_owned(), state(1, file)),
            ("a.b".to_owned(), state(2, file)),
            ("a/b".to_owned(), state(3, file)),
            ("lib".to_owned(), state(4, 0o040_755)),
            ("z".to_owned(), state(5, file)),
        ];
        let known = Known::Stated(&known);
        let paths = |list: &[&str]| list.iter().map(ToString::to_string).collect::<Vec<_>>();
        let sizes = |list: &[&str]| {
            known
                .states_of(&paths(list))
                .into_iter()
                .map(|s| s.map(|s| s.size))
                .collect::<Vec<_>>()
        };
        // Sorted as git sorts (bytes): each found, a folder left to be
        // stat'ed, a path not known left out.
        assert_eq!(
            sizes(&["a-b", "a.b", "a/b", "a/c", "lib", "z"]),
            vec![Some(1), Some(2), Some(3), None, None, Some(5)]
        );
        // Out of order (a submodule's files appended): found all the same.
        assert_eq!(
            sizes(&["z", "a.b", "a-b", "a/b", "y"]),
            vec![Some(5), Some(2), Some(1), Some(3), None]
        );
        assert_eq!(
            Known::Nothing.states_of(&paths(&["a"])),
            vec![None::<FileState>]
        );
    }

    #[test]
    fn a_long_list_of_files_is_cut() {
        let paths: Vec<String> = (0..8).map(|i| format!("f{i}")).collect();
        assert_eq!(named(&paths[..2]), "f0, f1");
        assert_eq!(named(&paths), "f0, f1, f2, f3, f4 and 3 more");
    }
}
