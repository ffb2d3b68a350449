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
//! is left or [`KILL_GRACE`] passes twice over.
//!
//! Why a mark, and not "every adopted child": pqg's own git processes and
//! whatever they leave behind (`git gc --auto` detaches) are pqg's children
//! too; they carry no mark and are left alone. A gate's process that
//! empties its environment (`env -i`) escapes; so does everything on
//! systems without a subreaper (everything but Linux), where only the
//! gate's process group is killed.
//!
//! Reaping without stealing: std's `Child` reaps gate leaders and git
//! processes by pid. This module reaps only specific pids: an adopted
//! zombie outside pqg's own process group that is not a leader pqg spawned
//! through [`spawn`] (all of which are registered until std has reaped
//! them). pqg's git children run in pqg's group, so their statuses stay
//! std's. Spawning and each search take one lock, so a leader is never
//! seen unregistered.

use super::groups::KILL_GRACE;
use crate::sys::process::{
    become_subreaper, group_exists, kill_group, kill_process, own_group, own_pid, reap_exited, Pid,
};
use crate::sys::procfs;
use std::collections::HashSet;
use std::io;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, Once};
use std::time::{Duration, Instant};

/// The variable that marks what an attempt started.
pub(crate) const OWNER_VAR: &str = "PQG_OWNER";

/// Leaders spawned with a mark that std has not reaped yet.
static LEADERS: Mutex<Option<HashSet<Pid>>> = Mutex::new(None);

static NEXT_SCOPE: AtomicU64 = AtomicU64::new(1);

fn leaders() -> MutexGuard<'static, Option<HashSet<Pid>>> {
    LEADERS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
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

    /// Ends every process any attempt of this scope left.
    pub(crate) fn end(&self) {
        let prefix = format!("{OWNER_VAR}={}", self.prefix);
        end_marked(|entry| entry.starts_with(prefix.as_bytes()), None);
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
    let mut leaders = leaders();
    let child = cmd.spawn()?;
    leaders
        .get_or_insert_with(HashSet::new)
        .insert(child.id() as Pid);
    Ok(child)
}

/// std has reaped leader `pid`: it is no longer pqg's child.
pub(crate) fn reaped(pid: Pid) {
    if let Some(set) = leaders().as_mut() {
        set.remove(&pid);
    }
}

/// Ends what the attempt marked `mark` left, once its group `group` was
/// killed: waits for the group to empty (reaping its members re-parented
/// to pqg) and kills the marked processes that left it.
pub(crate) fn end_attempt(mark: &Mark, group: Pid) {
    let entry = format!("{OWNER_VAR}={}", mark.0);
    end_marked(|e| e == entry.as_bytes(), Some(group));
}

/// The search: kill pqg's adopted children whose environment `marked`
/// accepts, reap adopted zombies, until none is left and `group` (if any)
/// is empty, or the time is up.
fn end_marked(marked: impl Fn(&[u8]) -> bool, group: Option<Pid>) {
    let (me, own) = (own_pid(), own_group());
    let deadline = Instant::now() + 2 * KILL_GRACE;
    loop {
        let mut left = 0;
        {
            let leaders = leaders();
            let is_leader = |pid: Pid| leaders.as_ref().is_some_and(|s| s.contains(&pid));
            for child in procfs::children_of(me) {
                if is_leader(child.pid) {
                    continue;
                }
                if child.zombie {
                    if child.group != own {
                        reap_exited(child.pid);
                    }
                } else if procfs::environ_any(child.pid, &marked) {
                    crate::debug!("ending process {} that a gate left running", child.pid);
                    if child.group == child.pid && child.group != own {
                        kill_group(child.group, libc::SIGKILL);
                    }
                    kill_process(child.pid, libc::SIGKILL);
                    left += 1;
                }
            }
        }
        let group_left = group.is_some_and(group_exists);
        if (left == 0 && !group_left) || Instant::now() >= deadline {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
