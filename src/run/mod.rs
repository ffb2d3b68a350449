//! Running a plan: gates start as soon as their needs have passed and a slot
//! is free, in their own process groups, on a rayon pool of `jobs` slots.
//!
//! The runner sends [`RunEvent`]s and returns one [`Execution`] per gate that
//! ran. It never prints and never decides a status: whether a finished gate
//! passed (for `needs`, retries and fail-fast) is asked of the caller through
//! an [`Assess`] function, which is the judge.

pub mod capture;
pub mod measure;
pub mod process;
mod stored;

use crate::builtin;
use crate::cache::inputs;
use crate::config::{Command, Config, Gate, GateId};
use crate::plan::Plan;
pub use capture::Output;
pub use measure::MetricValue;
pub use process::ExecEnd;
use process::{AttemptSpec, Groups};
use signal_hook::consts::{SIGINT, SIGTERM};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What running one gate produced: the facts a verdict is made from.
#[derive(Debug, Clone)]
pub struct Execution {
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

/// The caller's view of a finished gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assessment {
    Passed,
    /// A miss that fails the stage (stops the run under fail-fast).
    BlockingMiss,
    /// A miss that does not fail the stage.
    Miss,
}

/// Judges a gate's execution for the runner's purposes.
pub type Assess<'a> = dyn Fn(usize, &Execution) -> Assessment + Sync + 'a;

/// Something that happened during a run, for progress displays and
/// streaming reports.
#[derive(Debug)]
pub enum RunEvent<'a> {
    Started {
        gate: usize,
        id: &'a GateId,
    },
    Retrying {
        gate: usize,
        id: &'a GateId,
        attempt: u32,
    },
    Finished {
        gate: usize,
        id: &'a GateId,
        execution: &'a Execution,
    },
    Stopping {
        reason: StopReason,
    },
}

/// Why a run stopped starting gates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    FailFast,
    Signal(i32),
}

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Slots: at most this many gates (weighted by `slots`) run at once.
    pub jobs: usize,
    pub stage: String,
    pub run_id: String,
    /// Where full logs go (`--keep-logs`), if anywhere.
    pub logs_dir: Option<PathBuf>,
    /// Values masked in captured output.
    pub secrets: Vec<String>,
    pub default_timeout: Option<Duration>,
    /// Predicted duration per gate (from history); unknown is longest.
    pub predicted: Vec<Option<Duration>>,
    /// Results from the cache, used instead of running once the gate's
    /// needs have passed.
    pub cached: Vec<Option<Execution>>,
    /// `twins[i] = Some(j)`: gate `i` has the same cache key as gate `j`, so
    /// it reuses `j`'s execution instead of running again.
    pub twins: Vec<Option<usize>>,
    pub fail_fast: bool,
    /// Listen for SIGINT/SIGTERM and stop the run on them.
    pub handle_signals: bool,
    /// Per gate: the input files of a builtin, when the cache already
    /// listed them; otherwise the builtin lists them itself.
    pub builtin_files: Vec<Option<Arc<Vec<String>>>>,
    /// Left out when a builtin lists its own files.
    pub cache_dir: PathBuf,
    /// Per gate: the list of changed files it gets as `PQG_FILES`
    /// (`--changed-since`).
    pub files_lists: Vec<Option<PathBuf>>,
}

/// Everything a run produced.
#[derive(Debug)]
pub struct RunResult {
    /// Per plan gate: its execution, or `None` when it did not run.
    pub executions: Vec<Option<Execution>>,
    /// Per plan gate: whether its execution was reused (from the cache, or
    /// from a gate with the same key) rather than run.
    pub reused: Vec<bool>,
    /// The signal that interrupted the run, if one did.
    pub interrupted: Option<i32>,
    pub stopped_by_fail_fast: bool,
    pub wall: Duration,
}

enum Msg {
    Done(usize, Execution),
    Retrying(usize, u32),
    Signal(i32),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Running,
    Done { passed: bool },
    NotRun,
}

/// The scheduler's bookkeeping, on the coordinating thread only.
struct Board<'r> {
    plan: &'r Plan,
    state: Vec<State>,
    executions: Vec<Option<Execution>>,
    reused: Vec<bool>,
    free: usize,
    running: usize,
    stopping: bool,
    interrupted: Option<i32>,
    stopped_by_fail_fast: bool,
}

impl Board<'_> {
    /// Marks gates whose needs can no longer pass as never running; the
    /// judge calls them blocked.
    fn settle_blocked(&mut self) {
        let mut changed = true;
        while changed {
            changed = false;
            for i in 0..self.state.len() {
                if self.state[i] == State::Waiting
                    && self.plan.gates[i].needs.iter().any(|&d| {
                        matches!(self.state[d], State::Done { passed: false } | State::NotRun)
                    })
                {
                    self.state[i] = State::NotRun;
                    changed = true;
                }
            }
        }
    }

    fn ready(&self, i: usize) -> bool {
        self.state[i] == State::Waiting
            && self.plan.gates[i]
                .needs
                .iter()
                .all(|&d| self.state[d] == State::Done { passed: true })
    }

    /// Records a finished gate; returns true when fail-fast should stop the
    /// run.
    fn finish(
        &mut self,
        i: usize,
        execution: Execution,
        assessment: Assessment,
        reused: bool,
        fail_fast: bool,
    ) -> bool {
        self.state[i] = State::Done {
            passed: assessment == Assessment::Passed,
        };
        self.executions[i] = Some(execution);
        self.reused[i] = reused;
        if assessment == Assessment::BlockingMiss && fail_fast && !self.stopping {
            self.stopping = true;
            self.stopped_by_fail_fast = true;
            return true;
        }
        false
    }
}

/// Runs the gates of `plan` that run, respecting needs, slots and priority.
pub fn execute(
    config: &Config,
    plan: &Plan,
    opts: &RunOptions,
    assess: &Assess<'_>,
    on_event: &mut dyn FnMut(RunEvent<'_>),
) -> anyhow::Result<RunResult> {
    use anyhow::Context;
    let started = std::time::Instant::now();
    let jobs = opts.jobs.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|i| format!("pqg-gate-{i}"))
        .build()
        .context("starting the gate pool")?;
    let groups = Arc::new(Groups::default());
    let (tx, rx) = mpsc::channel::<Msg>();

    let signals = if opts.handle_signals {
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
            .context("listening for SIGINT and SIGTERM")?;
        let handle = signals.handle();
        let tx = tx.clone();
        std::thread::spawn(move || {
            for sig in signals.forever() {
                if tx.send(Msg::Signal(sig)).is_err() {
                    break;
                }
            }
        });
        Some(handle)
    } else {
        None
    };

    let n = plan.gates.len();
    let mut board = Board {
        plan,
        state: plan
            .gates
            .iter()
            .map(|g| {
                if g.runs() {
                    State::Waiting
                } else {
                    State::NotRun
                }
            })
            .collect(),
        executions: (0..n).map(|_| None).collect(),
        reused: vec![false; n],
        free: jobs,
        running: 0,
        stopping: false,
        interrupted: None,
        stopped_by_fail_fast: false,
    };
    let slots = |i: usize| config.gates[plan.gates[i].index].slots.clamp(1, jobs);

    // Ready order: longest predicted first, unknown counts as longest, ties
    // in config order (DESIGN §6).
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        let key = |i: usize| {
            opts.predicted
                .get(i)
                .copied()
                .flatten()
                .unwrap_or(Duration::MAX)
        };
        key(b).cmp(&key(a)).then(a.cmp(&b))
    });

    let env_base: Vec<(String, String)> = vec![
        ("PQG_STAGE".into(), opts.stage.clone()),
        ("PQG_RUN_ID".into(), opts.run_id.clone()),
    ];

    pool.in_place_scope(|scope| -> anyhow::Result<()> {
        loop {
            board.settle_blocked();
            // Start what is ready; reusing a result completes a gate at once,
            // which may make others ready, so go round until nothing moves.
            let mut moved = true;
            while moved && !board.stopping {
                moved = false;
                for &i in &order {
                    if !board.ready(i) {
                        continue;
                    }
                    let id = &plan.gates[i].id;
                    let reuse = if let Some(cached) = &opts.cached[i] {
                        Some(cached.clone())
                    } else if let Some(j) = opts.twins[i] {
                        match board.state[j] {
                            State::Done { .. } => board.executions[j].clone(),
                            // Wait for the twin to finish.
                            State::Waiting | State::Running => continue,
                            // The twin will never run: run this one.
                            State::NotRun => None,
                        }
                    } else {
                        None
                    };
                    if let Some(execution) = reuse {
                        on_event(RunEvent::Started { gate: i, id });
                        let assessment = assess(i, &execution);
                        on_event(RunEvent::Finished {
                            gate: i,
                            id,
                            execution: &execution,
                        });
                        if board.finish(i, execution, assessment, true, opts.fail_fast) {
                            on_event(RunEvent::Stopping {
                                reason: StopReason::FailFast,
                            });
                            groups.stop_all(SIGTERM);
                        }
                        board.settle_blocked();
                        moved = true;
                        continue;
                    }
                    if slots(i) > board.free {
                        continue;
                    }
                    board.free -= slots(i);
                    board.running += 1;
                    board.state[i] = State::Running;
                    on_event(RunEvent::Started { gate: i, id });
                    let tx = tx.clone();
                    let groups = Arc::clone(&groups);
                    let env_base = &env_base;
                    scope.spawn(move |_| {
                        let execution =
                            run_gate(config, plan, i, opts, env_base, &groups, assess, &tx);
                        let _ = tx.send(Msg::Done(i, execution));
                    });
                }
            }
            if board.running == 0 {
                break;
            }
            match rx.recv().context("waiting for gates")? {
                Msg::Done(i, execution) => {
                    board.running -= 1;
                    board.free += slots(i);
                    let assessment = assess(i, &execution);
                    on_event(RunEvent::Finished {
                        gate: i,
                        id: &plan.gates[i].id,
                        execution: &execution,
                    });
                    if board.finish(i, execution, assessment, false, opts.fail_fast) {
                        on_event(RunEvent::Stopping {
                            reason: StopReason::FailFast,
                        });
                        groups.stop_all(SIGTERM);
                    }
                }
                Msg::Retrying(i, attempt) => on_event(RunEvent::Retrying {
                    gate: i,
                    id: &plan.gates[i].id,
                    attempt,
                }),
                Msg::Signal(sig) => {
                    if board.interrupted.is_some() {
                        // A second Ctrl-C: no more grace.
                        groups.kill_all();
                    } else {
                        board.interrupted = Some(sig);
                        board.stopping = true;
                        on_event(RunEvent::Stopping {
                            reason: StopReason::Signal(sig),
                        });
                        groups.stop_all(sig);
                    }
                }
            }
        }
        Ok(())
    })?;
    if let Some(handle) = signals {
        handle.close();
    }
    // Signals that arrived after the last gate ended still count.
    while let Ok(msg) = rx.try_recv() {
        if let Msg::Signal(sig) = msg {
            board.interrupted.get_or_insert(sig);
        }
    }
    Ok(RunResult {
        executions: board.executions,
        reused: board.reused,
        interrupted: board.interrupted,
        stopped_by_fail_fast: board.stopped_by_fail_fast,
        wall: started.elapsed(),
    })
}

/// Runs a short command (a `key_commands` entry) to its end and returns its
/// exit code and output; it gets the same process-group care as a gate.
pub fn capture_command(command: &Command, dir: &Path, timeout: Duration) -> (Option<i32>, String) {
    let groups = Groups::default();
    let attempt = process::execute(
        AttemptSpec {
            gate: 0,
            command,
            dir,
            env: &[],
            timeout: Some(timeout),
            probes: Vec::new(),
            log: None,
        },
        &groups,
    );
    let code = match attempt.end {
        ExecEnd::Exited(c) => Some(c),
        _ => None,
    };
    (code, attempt.output.text)
}

#[allow(clippy::too_many_arguments)]
fn run_gate(
    config: &Config,
    plan: &Plan,
    i: usize,
    opts: &RunOptions,
    env_base: &[(String, String)],
    groups: &Groups,
    assess: &Assess<'_>,
    tx: &mpsc::Sender<Msg>,
) -> Execution {
    let gate = &config.gates[plan.gates[i].index];
    if let Command::Builtin(spec) = &gate.command {
        return run_builtin(config, gate, spec, i, opts, groups);
    }
    let dir = config.root.join(&gate.cwd);
    let mut env = env_base.to_vec();
    env.push(("PQG_GATE".into(), gate.id.to_string()));
    if let Some(list) = opts.files_lists.get(i).cloned().flatten() {
        env.push(("PQG_FILES".into(), list.display().to_string()));
    }
    let max_attempts = gate.retries + 1;
    let mut attempt_no = 0;
    loop {
        attempt_no += 1;
        let log = opts.logs_dir.as_ref().and_then(|dir| {
            let _ = std::fs::create_dir_all(dir);
            let name = if attempt_no == 1 {
                format!("{}.log", gate.id)
            } else {
                format!("{}.{attempt_no}.log", gate.id)
            };
            std::fs::File::create(dir.join(name))
                .ok()
                .map(|f| Box::new(std::io::BufWriter::new(f)) as Box<dyn std::io::Write + Send>)
        });
        let attempt = process::execute(
            AttemptSpec {
                gate: i,
                command: &gate.command,
                dir: &dir,
                env: &env,
                timeout: gate.timeout.or(opts.default_timeout),
                probes: measure::probes(&gate.metrics),
                log,
            },
            groups,
        );
        let mut output = attempt.output;
        redact(&mut output.text, &opts.secrets);
        let metrics = match attempt.end {
            ExecEnd::Exited(_) | ExecEnd::Signalled(_) => measure::measure(
                &gate.metrics,
                &attempt.probes,
                &output,
                attempt.duration,
                &dir,
                None,
            ),
            _ => Vec::new(),
        };
        let execution = Execution {
            end: attempt.end,
            duration: attempt.duration,
            output,
            metrics,
            attempts: attempt_no,
            findings: Vec::new(),
        };
        let retryable = matches!(
            execution.end,
            ExecEnd::Exited(_) | ExecEnd::Signalled(_) | ExecEnd::TimedOut
        );
        if attempt_no >= max_attempts
            || !retryable
            || groups.is_closed()
            || assess(i, &execution) == Assessment::Passed
        {
            return execution;
        }
        let _ = tx.send(Msg::Retrying(i, attempt_no + 1));
    }
}

/// How many findings a builtin's output lists; all of them are kept in the
/// execution (and so in the JSON and SARIF reports).
const FINDINGS_SHOWN: usize = 200;

/// Runs a builtin gate inside pqg, over its input files.
fn run_builtin(
    config: &Config,
    gate: &Gate,
    spec: &builtin::Spec,
    i: usize,
    opts: &RunOptions,
    groups: &Groups,
) -> Execution {
    let started = Instant::now();
    let failed = |why: String| Execution {
        end: ExecEnd::SpawnFailed(why),
        duration: started.elapsed(),
        output: Output::default(),
        metrics: Vec::new(),
        attempts: 1,
        findings: Vec::new(),
    };
    let stop = || groups.is_closed();
    let outcome = match opts.builtin_files.get(i).cloned().flatten() {
        Some(files) => {
            let refs: Vec<&str> = files.iter().map(String::as_str).collect();
            builtin::execute(spec, &config.root, &refs, &stop)
        }
        None => match builtin_inputs(config, gate, &opts.cache_dir, spec, &stop) {
            Ok(outcome) => outcome,
            Err(why) => return failed(why),
        },
    };
    let duration = started.elapsed();
    if outcome.cancelled {
        return Execution {
            end: ExecEnd::Cancelled,
            ..failed(String::new())
        };
    }
    let mut text = outcome.render(spec.kind, FINDINGS_SHOWN);
    redact(&mut text, &opts.secrets);
    let output = Output {
        total_bytes: text.len() as u64,
        omitted_bytes: 0,
        text,
    };
    let metrics = measure::measure(
        &gate.metrics,
        &[],
        &output,
        duration,
        &config.root,
        Some(outcome.findings.len()),
    );
    Execution {
        end: ExecEnd::Exited(0),
        duration,
        output,
        metrics,
        attempts: 1,
        findings: outcome.findings,
    }
}

/// Runs a builtin when the cache did not list its files: over every file git
/// would track (or every file, outside git) matching the gate's `inputs`,
/// the tracked ones checked while git still looks for untracked ones.
fn builtin_inputs(
    config: &Config,
    gate: &Gate,
    cache_dir: &Path,
    spec: &builtin::Spec,
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<builtin::Outcome, String> {
    let root = inputs::absolute(&config.root);
    let filter = inputs::InputFilter::new(gate.inputs.as_deref())
        .map_err(|e| format!("invalid input glob: {e}"))?;
    let batches = inputs::list_files_overlapped(&root, &inputs::absolute(cache_dir), |files| {
        let chosen: Vec<&str> = files
            .iter()
            .map(String::as_str)
            .filter(|p| filter.matches(p))
            .collect();
        builtin::execute(spec, &root, &chosen, stop)
    })
    .map_err(|e| format!("cannot list the input files: {e:#}"))?;
    Ok(batches
        .into_iter()
        .fold(builtin::Outcome::default(), builtin::Outcome::merge))
}

/// Masks every occurrence of each secret value in `text`.
pub fn redact(text: &mut String, secrets: &[String]) {
    for secret in secrets {
        if text.contains(secret.as_str()) {
            *text = text.replace(secret.as_str(), "********");
        }
    }
}

/// The values of environment variables that must never appear in output:
/// names containing TOKEN, SECRET, PASSWORD or KEY, and those listed in
/// `settings.redact` (DESIGN §11). Values shorter than 4 characters are too
/// common to mask.
pub fn secrets_from_env(extra_names: &[String]) -> Vec<String> {
    let mut values: Vec<String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, _)| {
            let upper = k.to_ascii_uppercase();
            ["TOKEN", "SECRET", "PASSWORD", "KEY"]
                .iter()
                .any(|w| upper.contains(w))
                || extra_names.iter().any(|n| n == k)
        })
        .map(|(_, v)| v)
        .filter(|v| v.len() >= 4)
        .collect();
    // Longest first, so that a secret containing another is masked whole.
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    values.dedup();
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_masks_every_occurrence() {
        let mut text = "token=abcd1234 and again abcd1234".to_owned();
        redact(&mut text, &["abcd1234".to_owned()]);
        assert_eq!(text, "token=******** and again ********");
    }
}
