//! Process groups and waiting on a child: the libc calls the runner needs
//! and std does not offer, as safe functions.
//!
//! Starting a child in its own group is std's `CommandExt::process_group`;
//! this module only signals groups and waits for exits. It never decides
//! what a signal or an exit means.

use std::io;

/// A process id, which is also the id of the group it leads.
pub(crate) type Pid = libc::pid_t;

/// A signal number.
pub(crate) type Signal = libc::c_int;

/// Sends `signal` to every process of group `pgid`. Ids 0 and 1 (pqg's own
/// group, init) are never signalled; a group that is gone (ESRCH, the usual
/// case once a gate has ended) is not an error.
pub(crate) fn kill_group(pgid: Pid, signal: Signal) {
    if pgid > 1 {
        // SAFETY: killpg takes two integers and touches no memory of ours;
        // its only failure modes are reported through the return value,
        // which is ignored on purpose (see above).
        unsafe {
            libc::killpg(pgid, signal);
        }
    }
}

/// Waits until `pid` has exited, without reaping it, so that its process
/// group id cannot be reused while we still signal it.
pub(crate) fn wait_exit_no_reap(pid: Pid) -> io::Result<()> {
    loop {
        // SAFETY: siginfo_t is plain old data for which all-zero bytes is a
        // valid value.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is a valid, exclusively borrowed siginfo_t that
        // waitid may write for the duration of the call; WNOWAIT leaves the
        // child waitable, so std's `Child::wait` still reaps it.
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if rc == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// Sends `signal` to the one process `pid` (never to a group: ids below 2
/// are refused). A process that is gone is not an error.
pub(crate) fn signal(pid: Pid, signal: Signal) {
    if pid > 1 {
        // SAFETY: kill takes two integers and touches no memory of ours;
        // failure (ESRCH: already gone) is reported through the return
        // value, ignored on purpose.
        unsafe {
            libc::kill(pid, signal);
        }
    }
}

/// Whether a process `pid` exists (it may belong to someone else: EPERM
/// still means it exists).
pub(crate) fn exists(pid: Pid) -> bool {
    if pid < 2 {
        return false;
    }
    // SAFETY: signal 0 only asks whether `pid` could be signalled; no
    // memory of ours is touched.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}
