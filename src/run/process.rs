//! One attempt of one gate: a child in its own process group, its output
//! captured, its timeout enforced, and nothing of it left behind.
//!
//! Every path (exit, timeout, cancel, pqg's own error) ends with the whole
//! process group killed, so no process of a gate outlives pqg (DESIGN §6).
//! This module reports what happened; it never decides a status. The libc
//! calls behind signalling and waiting are in `sys::process`.

use super::capture::{Capture, LineProbe, Output, ProbeResult};
use super::groups::{Groups, KILL_GRACE};
use super::redact::Secret;
use super::strays::{self, Scope};
use crate::config::Command;
use crate::plan::GateIdx;
use crate::sys::process::{kill_group, wait_exit_no_reap, Pid};
use std::io;
use std::path::Path;
use std::process::{Child, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ExecEnd {
    /// The command exited with this code.
    Exited(i32),
    /// The command was killed by this signal (not by pqg).
    Signalled(i32),
    /// pqg killed it at its timeout, the limit it had.
    TimedOut(Duration),
    /// pqg stopped it: fail-fast or an interrupt.
    Cancelled,
    /// It could not be started.
    SpawnFailed(String),
}

/// The raw facts of one attempt.
#[derive(Debug)]
pub(crate) struct Attempt {
    pub end: ExecEnd,
    pub duration: Duration,
    pub output: Output,
    pub probes: Vec<ProbeResult>,
}

impl Attempt {
    /// An attempt that never started a process.
    fn not_started(end: ExecEnd, duration: Duration) -> Attempt {
        Attempt {
            end,
            duration,
            output: Output::default(),
            probes: Vec::new(),
        }
    }
}

/// Everything one attempt needs to know.
pub(crate) struct AttemptSpec<'a> {
    pub gate: GateIdx,
    pub command: &'a Command,
    pub dir: &'a Path,
    pub env: &'a [(String, String)],
    pub timeout: Option<Duration>,
    pub probes: Vec<LineProbe>,
    pub log: Option<Box<dyn io::Write + Send>>,
    /// Values masked in the stream before the probes, the log and the cut
    /// see it (DESIGN §11).
    pub secrets: &'a [Secret],
    /// Marks what the attempt starts, so that what it leaves is found.
    pub scope: &'a Scope,
}

/// Runs one attempt to its end.
pub(crate) fn execute(spec: AttemptSpec<'_>, groups: &Groups) -> Attempt {
    let start = Instant::now();
    if groups.is_closed() {
        return Attempt::not_started(ExecEnd::Cancelled, Duration::ZERO);
    }
    let mark = spec.scope.mark();
    let (mut child, reader) = match spawn(&spec, &mark) {
        Ok(spawned) => spawned,
        Err(why) => return Attempt::not_started(ExecEnd::SpawnFailed(why), start.elapsed()),
    };
    let pid = child.id() as Pid;
    if !groups.register(spec.gate, pid) {
        kill_group(pid, libc::SIGKILL);
    }
    let reading = OutputReader::start(
        reader,
        Capture::new(spec.probes, spec.log).masking(spec.secrets),
    );
    let timer = spec.timeout.map(|limit| Timer::start(pid, limit));
    let waited = wait_exit_no_reap(pid);
    let duration = start.elapsed();
    // The leader is gone; whatever it left running in its group goes too,
    // which also closes the pipe for the reader.
    kill_group(pid, libc::SIGKILL);
    let status = child.wait();
    strays::reaped(pid);
    let timed_out = timer.is_some_and(Timer::stop);
    let stopped = groups.unregister(spec.gate);
    // What left the group (a daemon) goes too, and with it the last
    // holders of the output pipe.
    strays::end_attempt(&mark, pid);
    let (output, probes) = reading.finish();
    let end = if stopped {
        ExecEnd::Cancelled
    } else if let (true, Some(limit)) = (timed_out, spec.timeout) {
        ExecEnd::TimedOut(limit)
    } else {
        exit_end(waited, status)
    };
    Attempt {
        end,
        duration,
        output,
        probes,
    }
}

/// Starts the attempt's command in a process group of its own, both output
/// streams into one pipe; the reading end of the pipe comes back with it.
fn spawn(spec: &AttemptSpec<'_>, mark: &strays::Mark) -> Result<(Child, io::PipeReader), String> {
    let (reader, writer) = io::pipe().map_err(|e| format!("cannot create a pipe: {e}"))?;
    let writer2 = writer
        .try_clone()
        .map_err(|e| format!("cannot create a pipe: {e}"))?;
    let mut cmd = command(spec.command)?;
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
    let spawned = strays::spawn(&mut cmd, mark);
    // The command holds our copies of the pipe's write end: drop them, or
    // the reader never sees the end of the output.
    drop(cmd);
    match spawned {
        Ok(child) => Ok((child, reader)),
        Err(e) => Err(spawn_error(spec, &e)),
    }
}

/// The process a gate's command starts: `sh -c` for a script, the program
/// itself for an argv.
fn command(command: &Command) -> Result<std::process::Command, String> {
    match command {
        Command::Shell(script) => {
            let mut c = std::process::Command::new("sh");
            c.arg("-c").arg(script);
            Ok(c)
        }
        Command::Argv(argv) => {
            let mut c = std::process::Command::new(&argv[0]);
            c.args(&argv[1..]);
            Ok(c)
        }
        Command::Builtin(spec) => Err(format!(
            "internal: builtin `{}` is not a process",
            spec.kind.name()
        )),
    }
}

/// Why the command could not start, in the user's terms.
fn spawn_error(spec: &AttemptSpec<'_>, e: &io::Error) -> String {
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
    format!("cannot start the command: {why}")
}

/// How a command that was neither stopped nor timed out ended.
fn exit_end(waited: io::Result<()>, status: io::Result<ExitStatus>) -> ExecEnd {
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
}

/// A thread reading the attempt's output pipe into a [`Capture`].
struct OutputReader {
    capture: Arc<Mutex<Capture>>,
    done: mpsc::Receiver<()>,
}

impl OutputReader {
    fn start(reader: io::PipeReader, capture: Capture) -> OutputReader {
        let capture = Arc::new(Mutex::new(capture));
        let (done_tx, done) = mpsc::channel::<()>();
        let shared = Arc::clone(&capture);
        thread::spawn(move || {
            read_to_end(reader, &shared);
            let _ = done_tx.send(());
        });
        OutputReader { capture, done }
    }

    /// The output read, once the pipe closed or [`KILL_GRACE`] after the
    /// group was killed, whichever comes first.
    fn finish(self) -> (Output, Vec<ProbeResult>) {
        // A process that left the gate's group (setsid, a daemon) may still
        // hold the output open; do not wait for it forever.
        let escaped = matches!(
            self.done.recv_timeout(KILL_GRACE),
            Err(RecvTimeoutError::Timeout)
        );
        let capture = std::mem::replace(
            &mut *self
                .capture
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
            Capture::new(Vec::new(), None),
        );
        let (mut output, probes) = capture.finish();
        if escaped {
            output.text.push_str(
                "\n[pqg] a process that left the gate's process group kept its output open; output after this point is lost\n",
            );
        }
        (output, probes)
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
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return,
        }
    }
}

/// A thread enforcing an attempt's timeout: SIGTERM to the group at the
/// limit, SIGKILL [`KILL_GRACE`] later.
struct Timer {
    done: mpsc::Sender<()>,
    fired: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Timer {
    fn start(pid: Pid, limit: Duration) -> Timer {
        let (done, done_rx) = mpsc::channel::<()>();
        let fired = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&fired);
        let thread = thread::spawn(move || {
            if let Err(RecvTimeoutError::Timeout) = done_rx.recv_timeout(limit) {
                flag.store(true, Ordering::SeqCst);
                kill_group(pid, libc::SIGTERM);
                if let Err(RecvTimeoutError::Timeout) = done_rx.recv_timeout(KILL_GRACE) {
                    kill_group(pid, libc::SIGKILL);
                }
            }
        });
        Timer {
            done,
            fired,
            thread,
        }
    }

    /// Stops the timer; true if the attempt had timed out.
    fn stop(self) -> bool {
        drop(self.done);
        let _ = self.thread.join();
        self.fired.load(Ordering::SeqCst)
    }
}
