//! The process groups of a run's gates: who is running, who pqg stopped on
//! purpose, and stopping them all (fail-fast, Ctrl-C) or killing what is
//! left, so that no process of a gate outlives the run (DESIGN §6).
//!
//! It signals groups; what a stopped gate's end means is the judge's.

use crate::plan::GateIdx;
use crate::sys::process::{kill_group, Pid, Signal};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// How long a process group gets between SIGTERM (or a forwarded SIGINT)
/// and SIGKILL.
pub(crate) const KILL_GRACE: Duration = Duration::from_millis(1000);

/// The process groups of running gates, so that they can be stopped from
/// elsewhere (fail-fast, Ctrl-C) and are never left behind.
#[derive(Default)]
pub(crate) struct Groups {
    inner: Mutex<GroupsInner>,
}

#[derive(Default)]
struct GroupsInner {
    running: HashMap<GateIdx, Pid>,
    /// Gates that pqg stopped on purpose.
    stopped: HashSet<GateIdx>,
    /// Once set, nothing new may start; new groups are killed at once.
    closed: bool,
}

impl Groups {
    fn lock(&self) -> std::sync::MutexGuard<'_, GroupsInner> {
        // A panic while holding the lock must not stop the cleanup.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records a started group; false if the run is already being stopped.
    pub(super) fn register(&self, gate: GateIdx, pgid: Pid) -> bool {
        let mut inner = self.lock();
        inner.running.insert(gate, pgid);
        if inner.closed {
            inner.stopped.insert(gate);
            false
        } else {
            true
        }
    }

    /// Forgets a group that ended; true if pqg stopped it on purpose.
    pub(super) fn unregister(&self, gate: GateIdx) -> bool {
        let mut inner = self.lock();
        inner.running.remove(&gate);
        inner.stopped.contains(&gate)
    }

    /// Sends `signal` to every running group and refuses new ones. Groups
    /// still alive after [`KILL_GRACE`] get SIGKILL.
    pub(crate) fn stop_all(self: &Arc<Self>, signal: Signal) {
        {
            let mut inner = self.lock();
            inner.closed = true;
            let running: Vec<_> = inner.running.iter().map(|(&g, &p)| (g, p)).collect();
            for (gate, pgid) in running {
                inner.stopped.insert(gate);
                kill_group(pgid, signal);
            }
        }
        let groups = Arc::clone(self);
        thread::spawn(move || {
            thread::sleep(KILL_GRACE);
            groups.kill_all();
        });
    }

    /// SIGKILL to every group still running.
    pub(crate) fn kill_all(&self) {
        let inner = self.lock();
        for &pgid in inner.running.values() {
            kill_group(pgid, libc::SIGKILL);
        }
    }

    /// Whether the run is being stopped: nothing new may start.
    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }
}

impl Drop for Groups {
    fn drop(&mut self) {
        self.kill_all();
    }
}
