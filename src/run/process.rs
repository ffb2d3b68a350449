//! One attempt of one gate: a child in its own process group, its output
//! captured, its timeout enforced, and nothing of it left behind.
//!
//! Every path (exit, timeout, cancel, pqg's own error) ends with the whole
//! process group killed, so no process of a gate outlives pqg (DESIGN §6).
//! This module reports what happened; it never decides a status.

use super::capture::{Capture, LineProbe, Output, ProbeResult};
use crate::config::Command;
use std::collections::{HashMap, HashSet};
use std::io;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long a process group gets between SIGTERM (or a forwarded SIGINT)
/// and SIGKILL.
pub const KILL_GRACE: Duration = Duration::from_millis(1000);

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecEnd {
    /// The command exited with this code.
    Exited(i32),
    /// The command was killed by this signal (not by pqg).
    Signalled(i32),
    /// pqg killed it at its timeout.
    TimedOut,
    /// pqg stopped it: fail-fast or an interrupt.
    Cancelled,
    /// It could not be started.
    SpawnFailed(String),
}

/// The raw facts of one attempt.
#[derive(Debug)]
pub struct Attempt {
    pub end: ExecEnd,
    pub duration: Duration,
    pub output: Output,
    pub probes: Vec<ProbeResult>,
}

/// The process groups of running gates, so that they can be stopped from
/// elsewhere (fail-fast, Ctrl-C) and are never left behind.
#[derive(Default)]
pub struct Groups {
    inner: Mutex<GroupsInner>,
}

#[derive(Default)]
struct GroupsInner {
    running: HashMap<usize, libc::pid_t>,
    /// Gates that pqg stopped on purpose.
    stopped: HashSet<usize>,
    /// Once set, nothing new may start; new groups are killed at once.
    closed: bool,
}

impl Groups {
    fn lock(&self) -> std::sync::MutexGuard<'_, GroupsInner> {
        // A panic while holding the lock must not stop the cleanup.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a started group; false if the run is already being stopped.
    fn register(&self, gate: usize, pgid: libc::pid_t) -> bool {
        let mut inner = self.lock();
        inner.running.insert(gate, pgid);
        if inner.closed {
            inner.stopped.insert(gate);
            false
        } else {
            true
        }
    }

    fn unregister(&self, gate: usize) -> bool {
        let mut inner = self.lock();
        inner.running.remove(&gate);
        inner.stopped.contains(&gate)
    }

    /// Sends `signal` to every running group and refuses new ones. Groups
    /// still alive after [`KILL_GRACE`] get SIGKILL.
    pub fn stop_all(self: &Arc<Self>, signal: libc::c_int) {
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
    pub fn kill_all(&self) {
        let inner = self.lock();
        for &pgid in inner.running.values() {
            kill_group(pgid, libc::SIGKILL);
        }
    }

    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }
}

impl Drop for Groups {
    fn drop(&mut self) {
        self.kill_all();
    }
}

fn kill_group(pgid: libc::pid_t, signal: libc::c_int) {
    if pgid > 1 {
        // SAFETY: killpg has no memory-safety preconditions; ESRCH (the group
        // is gone) is the expected outcome once a gate has ended.
        unsafe {
            libc::killpg(pgid, signal);
        }
    }
}

fn read_to_end(mut reader: io::PipeReader, capture: &Mutex<Capture>) {
    use std::io::Read;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => capture
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return,
        }
    }
}

/// Waits until `pid` has exited, without reaping it, so that its process
/// group id cannot be reused while we still signal it.
fn wait_exit_no_reap(pid: libc::pid_t) -> io::Result<()> {
    loop {
        // SAFETY: siginfo_t is plain data; waitid writes into it.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
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

/// Everything one attempt needs to know.
pub struct AttemptSpec<'a> {
    pub gate: usize,
    pub command: &'a Command,
    pub dir: &'a Path,
    pub env: &'a [(String, String)],
    pub timeout: Option<Duration>,
    pub probes: Vec<LineProbe>,
    pub log: Option<Box<dyn io::Write + Send>>,
}

/// Runs one attempt to its end.
pub fn execute(spec: AttemptSpec<'_>, groups: &Groups) -> Attempt {
    let start = Instant::now();
    let failed = |message: String| Attempt {
        end: ExecEnd::SpawnFailed(message),
        duration: start.elapsed(),
        output: Output::default(),
        probes: Vec::new(),
    };
    if groups.is_closed() {
        return Attempt {
            end: ExecEnd::Cancelled,
            duration: Duration::ZERO,
            output: Output::default(),
            probes: Vec::new(),
        };
    }
    let (reader, writer) = match io::pipe() {
        Ok(pair) => pair,
        Err(e) => return failed(format!("cannot create a pipe: {e}")),
    };
    let writer2 = match writer.try_clone() {
        Ok(w) => w,
        Err(e) => return failed(format!("cannot create a pipe: {e}")),
    };
    let mut cmd = match spec.command {
        Command::Shell(script) => {
            let mut c = std::process::Command::new("sh");
            c.arg("-c").arg(script);
            c
        }
        Command::Argv(argv) => {
            let mut c = std::process::Command::new(&argv[0]);
            c.args(&argv[1..]);
            c
        }
        Command::Builtin(spec) => {
            return failed(format!(
                "internal: builtin `{}` is not a process",
                spec.kind.name()
            ))
        }
    };
    use std::os::unix::process::CommandExt;
    cmd.current_dir(spec.dir)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(writer2)
        .process_group(0)
        // PQG_FILES reaches a gate only from this run (`--changed-since`): one
        // inherited from an outer shell would make a full run check a list
        // and be cached as a full pass. The cache signing key is pqg's alone.
        .env_remove("PQG_FILES")
        .env_remove(crate::settings::SIGNING_KEY_VAR)
        .envs(spec.env.iter().map(|(k, v)| (k, v)));
    let spawned = cmd.spawn();
    // The command holds our copies of the pipe's write end: drop them, or
    // the reader never sees the end of the output.
    drop(cmd);
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            let what = match spec.command {
                Command::Shell(_) => "sh".to_owned(),
                Command::Argv(argv) => argv[0].clone(),
                Command::Builtin(b) => b.kind.name().to_owned(),
            };
            let why = match e.kind() {
                io::ErrorKind::NotFound if !spec.dir.is_dir() => {
                    format!("working folder `{}` does not exist", spec.dir.display())
                }
                io::ErrorKind::NotFound => format!("`{what}` was not found"),
                io::ErrorKind::PermissionDenied => format!("`{what}` is not executable"),
                _ => format!("`{what}`: {e}"),
            };
            return failed(format!("cannot start the command: {why}"));
        }
    };
    let pid = child.id() as libc::pid_t;
    if !groups.register(spec.gate, pid) {
        kill_group(pid, libc::SIGKILL);
    }

    let capture = Arc::new(Mutex::new(Capture::new(spec.probes, spec.log)));
    let (read_tx, read_rx) = mpsc::channel::<()>();
    {
        let capture = Arc::clone(&capture);
        thread::spawn(move || {
            read_to_end(reader, &capture);
            let _ = read_tx.send(());
        });
    }

    let (done_tx, done_rx) = mpsc::channel::<()>();
    let timed_out = Arc::new(AtomicBool::new(false));
    let timer = spec.timeout.map(|limit| {
        let timed_out = Arc::clone(&timed_out);
        thread::spawn(move || {
            if let Err(RecvTimeoutError::Timeout) = done_rx.recv_timeout(limit) {
                timed_out.store(true, Ordering::SeqCst);
                kill_group(pid, libc::SIGTERM);
                if let Err(RecvTimeoutError::Timeout) = done_rx.recv_timeout(KILL_GRACE) {
                    kill_group(pid, libc::SIGKILL);
                }
            }
        })
    });

    let waited = wait_exit_no_reap(pid);
    let duration = start.elapsed();
    // The leader is gone; whatever it left running in its group goes too,
    // which also closes the pipe for the reader.
    kill_group(pid, libc::SIGKILL);
    let status = child.wait();
    drop(done_tx);
    if let Some(timer) = timer {
        let _ = timer.join();
    }
    let stopped = groups.unregister(spec.gate);
    // A process that left the gate's group (setsid, a daemon) may still hold
    // the output open; do not wait for it forever.
    let escaped = matches!(
        read_rx.recv_timeout(KILL_GRACE),
        Err(RecvTimeoutError::Timeout)
    );
    let capture = std::mem::replace(
        &mut *capture.lock().unwrap_or_else(|p| p.into_inner()),
        Capture::new(Vec::new(), None),
    );
    let (mut output, probes) = capture.finish();
    if escaped {
        output.text.push_str(
            "\n[pqg] a process that left the gate's process group kept its output open; output after this point is lost\n",
        );
    }

    let end = if stopped {
        ExecEnd::Cancelled
    } else if timed_out.load(Ordering::SeqCst) {
        ExecEnd::TimedOut
    } else {
        match (waited, status) {
            (Ok(()), Ok(status)) => {
                use std::os::unix::process::ExitStatusExt;
                match (status.code(), status.signal()) {
                    (Some(code), _) => ExecEnd::Exited(code),
                    (None, Some(sig)) => ExecEnd::Signalled(sig),
                    (None, None) => ExecEnd::SpawnFailed("unknown exit status".into()),
                }
            }
            (Err(e), _) | (_, Err(e)) => {
                ExecEnd::SpawnFailed(format!("cannot wait for the command: {e}"))
            }
        }
    };
    Attempt {
        end,
        duration,
        output,
        probes,
    }
}
