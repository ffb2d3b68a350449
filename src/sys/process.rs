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

/// Sends `signal` to the single process `pid`. Ids 0 and 1 are never
/// signalled; a process that is gone is not an error.
pub(crate) fn kill_process(pid: Pid, signal: Signal) {
    if pid > 1 {
        // SAFETY: kill takes two integers and touches no memory of ours;
        // failure (the process is gone) is reported through the return
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

/// Whether any process is left in group `pgid` (a zombie counts).
pub(crate) fn group_exists(pgid: Pid) -> bool {
    if pgid <= 1 {
        return false;
    }
    // SAFETY: signal 0 only checks that the group exists and may be
    // signalled; killpg touches no memory of ours.
    let rc = unsafe { libc::killpg(pgid, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Reaps `pid`, a child of ours that has exited, without blocking; true
/// once it is reaped (or is not our child to reap). Only this pid is
/// waited for: the exit statuses of other children (those std's `Child`
/// owns) are never taken.
pub(crate) fn reap_exited(pid: Pid) -> bool {
    if pid <= 1 {
        return true;
    }
    let mut status: libc::c_int = 0;
    loop {
        // SAFETY: `status` is a valid, exclusively borrowed int that
        // waitpid may write during the call; the pid is a specific one
        // (never -1 or 0), so no other child's status is consumed.
        let rc = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        match rc {
            0 => return false,
            r if r == pid => return true,
            _ => {
                let err = io::Error::last_os_error();
                if err.kind() != io::ErrorKind::Interrupted {
                    // ECHILD: not (or no longer) ours.
                    return true;
                }
            }
        }
    }
}

/// pqg's own process id.
pub(crate) fn own_pid() -> Pid {
    std::process::id() as Pid
}

/// pqg's own process group.
pub(crate) fn own_group() -> Pid {
    // SAFETY: getpgrp takes nothing, touches no memory and cannot fail.
    unsafe { libc::getpgrp() }
}

/// Makes pqg the subreaper of everything it starts (Linux): a process
/// whose parent exits is re-parented to pqg, not to init, so pqg can find
/// and end what a gate left behind, a daemon that called `setsid`
/// included. False where the system has no such thing (then such a daemon
/// is out of pqg's reach), or when the call fails.
pub(crate) fn become_subreaper() -> bool {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_SET_CHILD_SUBREAPER takes an integer argument and
        // touches no memory of ours; the unused arguments are zero.
        let rc = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
        rc == 0
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}
