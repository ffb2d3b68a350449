//! Running a plan: gates start as soon as their needs have passed and a slot
//! is free, in their own process groups, on a rayon pool of `jobs` slots.
//!
//! The runner sends [`RunEvent`]s and returns one [`Execution`] per gate that
//! ran. It never prints and never decides a status: whether a finished gate
//! passed (for `needs`, retries and fail-fast) is asked of the caller through
//! an [`Assess`] function, which is the judge. It asks once per execution
//! (each attempt, each reused result), and the answer travels with the
//! gate's [`RunEvent::Finished`] and its [`RunResult`], so nobody asks again.
//!
//! Inside: `scheduler` picks what starts next, `coordinator` turns its steps
//! into started gates and events, `gate` and `builtin` run one gate,
//! `process` one attempt of a command, `groups` the process groups of
//! running gates, `signals` listens for Ctrl-C.

mod builtin;
pub(crate) mod capture;
mod coordinator;
mod gate;
pub(crate) mod groups;
pub(crate) mod measure;
pub(crate) mod process;
mod redact;
mod scheduler;
mod signals;
mod stored;
mod strays;

use crate::config::{Command, Config, GateId};
use crate::plan::{GateIdx, GateStatus, PerGate, Plan};
use anyhow::Context;
pub(crate) use builtin::FINDINGS_SHOWN;
pub(crate) use capture::Output;
use coordinator::Coordinator;
use gate::GateRunner;
pub(crate) use measure::MetricValue;
use process::AttemptSpec;
pub(crate) use process::ExecEnd;
pub(crate) use redact::{redact, secrets_from_env, Redactor, Secret};
pub(crate) use signals::{listen as listen_for_signals, received as signal_received};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What running one gate produced: the facts a verdict is made from.
#[derive(Debug, Clone)]
pub(crate) struct Execution {
    /// How the last attempt ended.
    pub end: ExecEnd,
    /// Wall-clock time of the last attempt.
    pub duration: Duration,
    /// Output of the last attempt, bounded and redacted.
    pub output: Output,
    /// One value per metric of the gate, in config order; empty unless the
    /// command ran to completion.
    pub metrics: Vec<MetricValue>,
    /// How many times the gate was run (1 + retries used).
    pub attempts: u32,
    /// What a builtin found; empty for commands.
    pub findings: Vec<crate::builtin::Finding>,
}

/// The caller's judgement of a finished gate: its status, and whether the
/// gate blocks the stage. The runner reads it for retries, needs and
/// fail-fast, and hands it on in [`RunEvent::Finished`], so nobody judges
/// the gate again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Assessment {
    pub status: GateStatus,
    /// Whether a miss of this gate fails the stage (and so stops the run
    /// under fail-fast).
    pub blocking: bool,
}

impl Assessment {
    /// Whether the gate passed: its dependents may start.
    pub(crate) fn passed(self) -> bool {
        self.status == GateStatus::Pass
    }

    /// Whether this miss fails the stage.
    pub(crate) fn fails_stage(self) -> bool {
        self.blocking && self.status.fails_stage()
    }
}

#[cfg(test)]
impl Assessment {
    /// A pass.
    pub(crate) const PASS: Assessment = Assessment {
        status: GateStatus::Pass,
        blocking: true,
    };
    /// A miss that does not fail the stage (a warning).
    pub(crate) const WARN: Assessment = Assessment {
        status: GateStatus::Warn,
        blocking: false,
    };
    /// A miss that fails the stage.
    pub(crate) const FAIL: Assessment = Assessment {
        status: GateStatus::Fail,
        blocking: true,
    };
}

/// Judges a gate's execution for the runner's purposes; called once per
/// execution the run produces or reuses.
pub(crate) type Assess<'a> = dyn Fn(GateIdx, &Execution) -> Assessment + Sync + 'a;

/// Asked, on the coordinating thread, before the runner relies on the
/// passes of gates run since the last time it asked (a dependent is about
/// to start, or under fail-fast a blocking gate passed): the gates whose
/// pass no longer stands, with their new assessment. The caller may
/// learn only after a gate finished that it failed (it wrote tracked
/// files); being asked only when a decision waits on the answer keeps
/// what it costs proportional.
pub(crate) type Review<'a> = dyn Fn(&[GateIdx]) -> Vec<(GateIdx, Assessment)> + 'a;

/// Something that happened during a run, for progress displays and
/// streaming reports.
#[derive(Debug)]
pub(crate) enum RunEvent<'a> {
    Started {
        gate: GateIdx,
        id: &'a GateId,
    },
    Retrying {
        gate: GateIdx,
        id: &'a GateId,
        attempt: u32,
    },
    /// A gate's execution is in, run or reused, with what the caller's
    /// [`Assess`] made of it.
    Finished {
        gate: GateIdx,
        id: &'a GateId,
        execution: &'a Execution,
        assessment: Assessment,
    },
    Stopping {
        reason: StopReason,
    },
}

/// Why a run stopped starting gates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopReason {
    FailFast,
    Signal(i32),
}

/// How to run.
#[derive(Debug, Clone)]
pub(crate) struct RunOptions {
    /// Slots: at most this many gates (weighted by `slots`) run at once.
    pub jobs: usize,
    pub stage: String,
    pub run_id: String,
    /// Where full logs go (`--keep-logs`), if anywhere.
    pub logs_dir: Option<PathBuf>,
    /// Values masked in captured output.
    pub secrets: Vec<Secret>,
    pub default_timeout: Option<Duration>,
    /// One per plan gate, in plan order: what this run knows of it
    /// beforehand. A missing one counts as [`GateJob::default`].
    pub gates: PerGate<GateJob>,
    pub fail_fast: bool,
    /// Listen for SIGINT/SIGTERM and stop the run on them.
    pub handle_signals: bool,
    /// Left out when a builtin lists its own files.
    pub cache_dir: PathBuf,
}

impl RunOptions {
    /// What this run knows of gate `i` beforehand.
    pub(crate) fn job(&self, i: GateIdx) -> &GateJob {
        static NOTHING_KNOWN: GateJob = GateJob {
            predicted: None,
            reuse: Reuse::Nothing,
            builtin_files: None,
            prescanned: None,
            files_list: None,
        };
        self.gates.get(i).unwrap_or(&NOTHING_KNOWN)
    }
}

/// What one run knows of one gate before it starts: its predicted length,
/// a result it may reuse, and the files it is to look at.
#[derive(Debug, Clone, Default)]
pub(crate) struct GateJob {
    /// Predicted duration (from history); unknown counts as longest.
    pub predicted: Option<Duration>,
    /// A result used instead of running, once the gate's needs have passed.
    pub reuse: Reuse,
    /// The input files of a builtin, when the cache already listed them;
    /// otherwise the builtin lists them itself.
    pub builtin_files: Option<Arc<Vec<String>>>,
    /// What a builtin's check found in the files the cold hash read for
    /// it (one read for both): those files are not read again.
    pub prescanned: Option<Arc<crate::builtin::Prescanned>>,
    /// The list of changed files the gate gets as `PQG_FILES`
    /// (`--changed-since`).
    pub files_list: Option<PathBuf>,
}

impl GateJob {
    /// Whether the gate's result comes from the cache.
    pub(crate) fn is_cached(&self) -> bool {
        matches!(self.reuse, Reuse::Cached(_))
    }
}

/// Where a gate's result may come from instead of running it.
#[derive(Debug, Clone, Default)]
pub(crate) enum Reuse {
    /// Nowhere: the gate runs.
    #[default]
    Nothing,
    /// The cache had a result for the gate's key.
    Cached(Execution),
}

/// Everything a run produced.
#[derive(Debug)]
pub(crate) struct RunResult {
    /// Per plan gate: its execution, or `None` when it did not run.
    pub executions: PerGate<Option<Execution>>,
    /// Per plan gate: whether its execution was reused from the cache
    /// rather than run.
    pub reused: PerGate<bool>,
    /// The signal that interrupted the run, if one did.
    pub interrupted: Option<i32>,
    pub wall: Duration,
}

/// What gate threads and the signal listener tell the coordinating thread.
enum Msg {
    Done(GateIdx, Execution, Assessment),
    Retrying(GateIdx, u32),
    Signal(i32),
}

/// Runs the gates of `plan` that run, respecting needs, slots and priority.
///
/// A signal received before the run (while the key commands ran or the
/// tree was hashed) stops it before any gate starts. When the run ends,
/// on any path, whatever its gates left running is ended (see `strays`).
pub(crate) fn execute(
    config: &Config,
    plan: &Plan,
    opts: &RunOptions,
    assess: &Assess<'_>,
    review: &Review<'_>,
    on_event: &mut dyn FnMut(RunEvent<'_>),
) -> anyhow::Result<RunResult> {
    let started = Instant::now();
    let jobs = opts.jobs.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(pool_size(plan, opts))
        .thread_name(|i| format!("pqg-gate-{i}"))
        .build()
        .context("starting the gate pool")?;
    let scope = strays::Scope::new();
    let runner = GateRunner::new(config, plan, opts, assess, &scope);
    let (tx, rx) = mpsc::channel::<Msg>();
    let attached = match opts.handle_signals {
        true => {
            signals::listen()?;
            Some(signals::attach(tx.clone()))
        }
        false => None,
    };
    let mut coordinator = Coordinator::new(&runner, jobs, review, on_event);
    if let Some(sig) = attached.as_ref().and(signals::received()) {
        coordinator.interrupt(sig);
    }
    pool.in_place_scope(|scope| coordinator.drive(scope, &tx, &rx))?;
    drop(attached);
    coordinator.count_late_signals(&rx);
    Ok(coordinator.into_result(started.elapsed()))
}

/// How many pool threads a run needs: one per gate that may run at once,
/// which is at most `jobs` and at most the gates that run and are not
/// reused from the cache (the coordinating thread is not one of them).
fn pool_size(plan: &Plan, opts: &RunOptions) -> usize {
    let runnable = plan
        .indices()
        .filter(|&i| plan.gate(i).runs() && !opts.job(i).is_cached())
        .count();
    opts.jobs.clamp(1, runnable.max(1))
}

/// What a short command printed: its end, the BLAKE3 hash of its whole
/// output, and the bounded copy kept for display.
#[derive(Debug)]
pub(crate) struct Captured {
    pub end: ExecEnd,
    pub digest: [u8; 32],
    pub output: Output,
}

/// Runs a short command (a `key_commands` entry) to its end; every byte it
/// prints is hashed as it streams, while only the bounded head and tail are
/// kept. It gets the same process-group care as a gate.
///
/// It runs in a process group of its own, ended at `timeout`, or by SIGINT
/// or SIGTERM to pqg (once [`listen_for_signals`] runs), and nothing it
/// starts outlives it.
pub(crate) fn capture_command(command: &Command, dir: &Path, timeout: Duration) -> Captured {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let id = GateIdx(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    let hasher = std::sync::Arc::new(std::sync::Mutex::new(blake3::Hasher::new()));
    let scope = strays::Scope::new();
    let attempt = process::execute(
        AttemptSpec {
            gate: id,
            command,
            dir,
            env: &[],
            timeout: Some(timeout),
            probes: Vec::new(),
            log: Some(Box::new(HashWriter(std::sync::Arc::clone(&hasher)))),
            // The key is the whole output as printed; its text is only
            // shown masked, never kept.
            secrets: &[],
            scope: &scope,
        },
        signals::key_command_groups(),
    );
    let digest = match hasher.lock() {
        Ok(h) => *h.finalize().as_bytes(),
        Err(poisoned) => *poisoned.into_inner().finalize().as_bytes(),
    };
    Captured {
        end: attempt.end,
        digest,
        output: attempt.output,
    }
}

/// A `Write` that feeds a shared hasher: the capture's log, when the log is
/// the key.
struct HashWriter(std::sync::Arc<std::sync::Mutex<blake3::Hasher>>);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.lock() {
            Ok(mut h) => h.update(buf),
            Err(poisoned) => poisoned.into_inner().update(buf),
        };
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
