//! Processes a gate left behind: nothing a gate or key command started
//! outlives it, a daemon that left the gate's process group with `setsid`
//! included (DESIGN §6, §11).
//!
//! How they are found. pqg makes itself the child subreaper (Linux), so a
//! process whose parent exits is re-parented to pqg instead of init. Every
//! command pqg starts for a gate or a key command gets `PQG_OWNER` in its
//! environment, `<pqg pid>.<scope>.<n>`, unique to that attempt; its
//! descendants inherit it. When an attempt ends, its group has been killed;
//! what is left are pqg's adopted children that still carry the attempt's
//! mark: each is killed (with its own group when it leads one), and as
//! their children are re-parented in turn, the search repeats until none
//! is left and the attempt's group is empty, or [`KILL_GRACE`] passes twice
//! over.
//!
//! When. A search reads all of `/proc`, about a millisecond: too much to
//! pay after each of a hundred `true` gates. So an ending attempt only hands
//! its mark to one reaper thread, which searches for all the marks handed
//! in over a few milliseconds at once, shortly after the attempt ended; the
//! end of a run or key command ([`Scope::end`]) then searches for all of its
//! marks itself and returns only when they are done.
//!
//! Why a mark, and not "every adopted child": pqg's own git processes and
//! whatever they leave behind (`git gc --auto` detaches) are pqg's children
//! too; they carry no mark and are left alone. A gate's process that
//! empties its environment (`env -i`) escapes; so does everything on
//! systems without a subreaper (everything but Linux), where only the
//! gate's process group is killed.
//!
//! Reaping without stealing: std's `Child` reaps gate leaders and git
//! processes by pid. This module reaps only adopted zombies it can tell
//! are a gate's: one it killed for carrying a mark, or one left in a
//! watched attempt's process group (the leader excluded). Any other
//! child of pqg, a git run in a group of its own included, is std's to
//! wait for. (An adopted process that exits by itself before a search sees
//! it stays a zombie until pqg exits: harmless, pqg is short-lived.) Acting on what a search found excludes
//! spawning (a read-write lock), so a leader is never seen unregistered;
//! the search of `/proc` itself runs outside it.

use super::groups::KILL_GRACE;
use crate::sys::process::{
    become_subreaper, group_exists, kill_group, kill_process, own_group, own_pid, reap_exited, Pid,
};
use crate::sys::procfs;
use std::collections::HashSet;
use std::io;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, Once, RwLock};
use std::time::{Duration, Instant};

/// The variable that marks what an attempt started.
pub(crate) const OWNER_VAR: &str = "PQG_OWNER";

/// How long the reaper gathers marks before it searches.
const GATHER: Duration = Duration::from_millis(25);

/// Leaders spawned with a mark that std has not reaped yet.
static LEADERS: Mutex<Option<HashSet<Pid>>> = Mutex::new(None);

/// Adopted processes a search killed and has not reaped yet. Only these
/// are reaped: any other child of pqg (a git it runs in a group of its
/// own, say) is std's to wait for, and reaping it here would take its
/// exit status (`ECHILD` for std).
static KILLED: Mutex<Option<HashSet<Pid>>> = Mutex::new(None);

/// Held shared while a leader is spawned and registered, and exclusively
/// while a search acts: a search never sees a leader not yet registered,
/// and spawns do not wait for each other.
static SPAWNING: RwLock<()> = RwLock::new(());

/// Marks handed to the reaper thread, and whether it runs.
static PENDING: Mutex<Pending> = Mutex::new(Pending {
    watches: Vec::new(),
    reaper: false,
});
static HANDED_IN: Condvar = Condvar::new();

static NEXT_SCOPE: AtomicU64 = AtomicU64::new(1);

struct Pending {
    watches: Vec<Watch>,
    reaper: bool,
}

fn lock<T>(m: &'static Mutex<T>) -> MutexGuard<'static, T> {
    // A panic elsewhere must not stop the cleanup.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What to search for: processes whose environment holds `PQG_OWNER` equal
/// to one attempt's mark, or starting with a scope's; and, for an attempt,
/// its process group, which must empty.
#[derive(Debug, Clone)]
struct Watch {
    entry: Vec<u8>,
    exact: bool,
    group: Option<Pid>,
    until: Instant,
}

impl Watch {
    fn matches(&self, env_entry: &[u8]) -> bool {
        match self.exact {
            true => env_entry == self.entry,
            false => env_entry.starts_with(&self.entry),
        }
    }
}

/// The attempts of one run (or one key command): each gets its own mark,
/// and [`Scope::end`] ends whatever any of them left.
#[derive(Debug)]
pub(crate) struct Scope {
    prefix: String,
    next: AtomicU64,
}

/// The mark of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mark(String);

impl Scope {
    /// A new scope; makes pqg the subreaper the first time.
    pub(crate) fn new() -> Scope {
        static SUBREAPER: Once = Once::new();
        SUBREAPER.call_once(|| {
            if !become_subreaper() {
                crate::debug!("not a child subreaper: a daemon a gate starts may outlive pqg");
            }
        });
        let scope = NEXT_SCOPE.fetch_add(1, Ordering::Relaxed);
        Scope {
            prefix: format!("{}.{scope}.", own_pid()),
            next: AtomicU64::new(1),
        }
    }

    /// A mark for the next attempt.
    pub(crate) fn mark(&self) -> Mark {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        Mark(format!("{}{n}", self.prefix))
    }

    /// Ends every process any attempt of this scope left, waiting for the
    /// attempts' groups to empty: the marks still with the reaper are
    /// taken back and searched for here.
    pub(crate) fn end(&self) {
        let prefix = format!("{OWNER_VAR}={}", self.prefix).into_bytes();
        let mut watches: Vec<Watch> = {
            let mut pending = lock(&PENDING);
            let (mine, others) = std::mem::take(&mut pending.watches)
                .into_iter()
                .partition(|w| w.entry.starts_with(&prefix));
            pending.watches = others;
            mine
        };
        watches.push(Watch {
            entry: prefix,
            exact: false,
            group: None,
            until: Instant::now() + 2 * KILL_GRACE,
        });
        while !watches.is_empty() {
            watches = search(watches);
            if !watches.is_empty() {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        self.end();
    }
}

/// Starts `cmd` marked with `mark`, registered as a leader until
/// [`reaped`] is called with its pid.
pub(crate) fn spawn(cmd: &mut Command, mark: &Mark) -> io::Result<Child> {
    cmd.env(OWNER_VAR, &mark.0);
    let _spawning = SPAWNING
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let child = cmd.spawn()?;
    lock(&LEADERS)
        .get_or_insert_with(HashSet::new)
        .insert(child.id() as Pid);
    Ok(child)
}

/// std has reaped leader `pid`: it is no longer pqg's child.
pub(crate) fn reaped(pid: Pid) {
    if let Some(set) = lock(&LEADERS).as_mut() {
        set.remove(&pid);
    }
}

/// The attempt marked `mark` ended and its group `group` was killed: the
/// reaper thread ends what it left, shortly.
pub(crate) fn end_attempt(mark: &Mark, group: Pid) {
    let watch = Watch {
        entry: format!("{OWNER_VAR}={}", mark.0).into_bytes(),
        exact: true,
        group: Some(group),
        until: Instant::now() + 2 * KILL_GRACE,
    };
    let mut pending = lock(&PENDING);
    pending.watches.push(watch);
    if !pending.reaper {
        let started = std::thread::Builder::new()
            .name("pqg-reaper".into())
            .spawn(reap_forever);
        // Without the thread, the end of the run searches for the marks.
        pending.reaper = started.is_ok();
    }
    HANDED_IN.notify_one();
}

/// The reaper thread: gathers the marks handed in, searches for them, and
/// keeps those not done for the next search.
fn reap_forever() {
    loop {
        {
            let mut pending = lock(&PENDING);
            while pending.watches.is_empty() {
                pending = HANDED_IN
                    .wait(pending)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        }
        std::thread::sleep(GATHER);
        let watches = std::mem::take(&mut lock(&PENDING).watches);
        let left = search(watches);
        lock(&PENDING).watches.extend(left);
    }
}

/// One search: kills pqg's adopted children that a watch matches, reaps
/// adopted zombies; gives back the watches not done (something matched,
/// or the group is not empty yet) whose time is not up.
fn search(watches: Vec<Watch>) -> Vec<Watch> {
    let (me, own) = (own_pid(), own_group());
    // The search of /proc runs without the lock, so gates start meanwhile;
    // what it found is checked again under the lock.
    let found = procfs::children_of(me);
    let mut hits = vec![false; watches.len()];
    {
        let _acting = SPAWNING
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let leaders = lock(&LEADERS);
        let is_leader = |pid: Pid| leaders.as_ref().is_some_and(|s| s.contains(&pid));
        for seen in found {
            // pqg's own group holds its git processes: never touched.
            if is_leader(seen.pid) || seen.group == own {
                continue;
            }
            // Still pqg's child: only pqg reaps what it adopted, so the pid
            // cannot have been taken by another process since.
            let Some(child) = procfs::stat(seen.pid).filter(|c| c.parent == me) else {
                continue;
            };
            if child.zombie {
                // Reaped: what a search killed, and what was left in a
                // watched attempt's group (a gate's descendants, adopted
                // when their parent died; the leader is excluded above).
                let in_attempt = watches.iter().any(|w| w.group == Some(child.group));
                let mut killed = lock(&KILLED);
                let was_killed = killed.as_ref().is_some_and(|k| k.contains(&child.pid));
                if (was_killed || in_attempt) && reap_exited(child.pid) {
                    if let Some(k) = killed.as_mut() {
                        k.remove(&child.pid);
                    }
                }
                continue;
            }
            let mut hit = false;
            procfs::environ_any(child.pid, |entry| {
                for (w, h) in watches.iter().zip(hits.iter_mut()) {
                    if w.matches(entry) {
                        *h = true;
                        hit = true;
                    }
                }
                false
            });
            if hit {
                crate::debug!("ending process {} that a gate left running", child.pid);
                lock(&KILLED)
                    .get_or_insert_with(HashSet::new)
                    .insert(child.pid);
                if child.group == child.pid {
                    kill_group(child.group, libc::SIGKILL);
                }
                kill_process(child.pid, libc::SIGKILL);
            }
        }
    }
    let now = Instant::now();
    watches
        .into_iter()
        .zip(hits)
        .filter(|(w, hit)| (*hit || w.group.is_some_and(group_exists)) && now < w.until)
        .map(|(w, _)| w)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attempt_s_mark_matches_only_itself_and_a_scope_all_of_its_own() {
        let scope = Scope {
            prefix: "7.3.".into(),
            next: AtomicU64::new(1),
        };
        let (one, _) = (scope.mark(), scope.mark());
        assert_eq!(one, Mark("7.3.1".into()));
        let watch = |entry: &str, exact| Watch {
            entry: entry.as_bytes().to_vec(),
            exact,
            group: None,
            until: Instant::now(),
        };
        let attempt = watch("PQG_OWNER=7.3.1", true);
        assert!(attempt.matches(b"PQG_OWNER=7.3.1"));
        assert!(!attempt.matches(b"PQG_OWNER=7.3.10"));
        assert!(!attempt.matches(b"PQG_OWNER=7.3.2"));
        let all = watch("PQG_OWNER=7.3.", false);
        assert!(all.matches(b"PQG_OWNER=7.3.10"));
        assert!(!all.matches(b"PQG_OWNER=7.31.1"));
        assert!(!all.matches(b"PQG_OWNER=8.3.1"));
    }

    #[test]
    fn a_search_leaves_the_exit_status_of_a_child_std_waits_for() {
        use std::os::unix::process::CommandExt;
        // A child in a group of its own that pqg did not spawn as a
        // leader (the pre-commit hook runs `git apply` so): once it is a
        // zombie, a search must not reap it, or std's wait gets ECHILD.
        let mut child = Command::new("true")
            .process_group(0)
            .spawn()
            .expect("spawn true");
        let pid = child.id() as Pid;
        crate::sys::process::wait_exit_no_reap(pid).expect("waitid");
        let watch = Watch {
            entry: b"PQG_OWNER=none".to_vec(),
            exact: true,
            group: None,
            until: Instant::now(),
        };
        search(vec![watch]);
        let status = child.wait().expect("std still reaps its own child");
        assert!(status.success());
    }
}
