//! One gate, start to end, on a pool thread: a builtin inside pqg, or a
//! command attempted up to `1 + retries` times, each attempt's full log kept
//! when asked (`--keep-logs`).
//!
//! Each attempt is assessed once, by the caller's [`Assess`]: the answer
//! decides whether to retry, and the last one goes back with the gate's
//! execution. This module never decides a status and never prints.

use super::groups::Groups;
use super::process::{self, AttemptSpec, ExecEnd};
use super::redact::Redactor;
use super::strays::Scope;
use super::{
    builtin, measure, redact, Assess, Assessment, Execution, GateJob, Msg, RunOptions, Secret,
};
use crate::config::{Command, Config, Gate};
use crate::parsers::detail::MetricDetail;
use crate::plan::{GateIdx, Plan};
use std::io::Write;
use std::path::Path;
use std::sync::mpsc::Sender;
use std::sync::Arc;

/// What every gate of one run shares: the config and plan, how to run, the
/// caller's judge and the process groups of running gates.
pub(super) struct GateRunner<'r> {
    pub(super) config: &'r Config,
    pub(super) plan: &'r Plan,
    pub(super) opts: &'r RunOptions,
    pub(super) assess: &'r Assess<'r>,
    pub(super) groups: Arc<Groups>,
    /// Marks what the gates start, so that what they leave is ended.
    scope: &'r Scope,
    /// Variables every gate gets: `PQG_STAGE`, `PQG_RUN_ID`.
    env_base: Vec<(String, String)>,
}

impl<'r> GateRunner<'r> {
    pub(super) fn new(
        config: &'r Config,
        plan: &'r Plan,
        opts: &'r RunOptions,
        assess: &'r Assess<'r>,
        scope: &'r Scope,
    ) -> Self {
        let env_base = vec![
            ("PQG_STAGE".into(), opts.stage.clone()),
            ("PQG_RUN_ID".into(), opts.run_id.clone()),
        ];
        GateRunner {
            config,
            plan,
            opts,
            assess,
            groups: Arc::new(Groups::default()),
            scope,
            env_base,
        }
    }

    /// The config of plan gate `i`.
    pub(super) fn gate(&self, i: GateIdx) -> &'r Gate {
        &self.config.gates[self.plan.gate(i).index]
    }

    /// What this run knows of gate `i` beforehand.
    pub(super) fn job(&self, i: GateIdx) -> &'r GateJob {
        self.opts.job(i)
    }

    /// Runs gate `i` to its end and gives its last execution with the
    /// caller's assessment of it; retries are announced on `tx`.
    pub(super) fn run(&self, i: GateIdx, tx: &Sender<Msg>) -> (Execution, Assessment) {
        let gate = self.gate(i);
        if let Command::Builtin(spec) = &gate.command {
            let execution = builtin::run_builtin(self, gate, spec, i);
            let assessment = (self.assess)(i, &execution);
            return (execution, assessment);
        }
        let dir = self.config.root.join(&gate.cwd);
        let env = self.gate_env(gate, i);
        let mut attempt_no = 0;
        loop {
            attempt_no += 1;
            let execution = self.attempt(i, &dir, &env, attempt_no);
            let assessment = (self.assess)(i, &execution);
            if !self.worth_retrying(i, &execution, assessment) {
                return (execution, assessment);
            }
            let _ = tx.send(Msg::Retrying(i, attempt_no + 1));
        }
    }

    /// The variables gate `i` gets on top of pqg's own environment.
    fn gate_env(&self, gate: &Gate, i: GateIdx) -> Vec<(String, String)> {
        let mut env = self.env_base.clone();
        env.push(("PQG_GATE".into(), gate.id.to_string()));
        if let Some(list) = &self.job(i).files_list {
            env.push(("PQG_FILES".into(), list.display().to_string()));
        }
        env
    }

    /// Runs attempt number `attempt_no` of command gate `i`.
    fn attempt(
        &self,
        i: GateIdx,
        dir: &Path,
        env: &[(String, String)],
        attempt_no: u32,
    ) -> Execution {
        let gate = self.gate(i);
        // A report this attempt does not rewrite is not its report.
        let reports = measure::Reports::before(&gate.metrics, dir);
        let attempt = process::execute(
            AttemptSpec {
                gate: i,
                command: &gate.command,
                dir,
                env,
                timeout: gate.timeout.or(self.opts.default_timeout),
                probes: measure::probes(&gate.metrics),
                log: self
                    .opts
                    .logs_dir
                    .as_ref()
                    .and_then(|logs| open_log(logs, gate, attempt_no)),
                secrets: &self.opts.secrets,
                scope: self.scope,
            },
            &self.groups,
        );
        let mut output = attempt.output;
        // Masked in the stream already; this catches a secret the lossy
        // UTF-8 decoding or the "omitted" line could have joined up.
        redact(&mut output.text, &self.opts.secrets);
        let mut metrics = match attempt.end {
            ExecEnd::Exited(_) | ExecEnd::Signalled(_) => measure::measure(
                &gate.metrics,
                &attempt.probes,
                &output,
                attempt.duration,
                dir,
                &crate::files::root::absolute(&self.config.root),
                None,
                &reports,
            ),
            _ => Vec::new(),
        };
        mask_errors(&mut metrics, &self.opts.secrets);
        Execution {
            end: attempt.end,
            duration: attempt.duration,
            output,
            metrics,
            attempts: attempt_no,
            findings: Vec::new(),
        }
    }

    /// Whether gate `i` gets another attempt after `execution`: it has
    /// retries left, the attempt ran (or timed out), the run goes on, and
    /// the caller did not see it pass.
    fn worth_retrying(&self, i: GateIdx, execution: &Execution, assessment: Assessment) -> bool {
        let retryable = matches!(
            execution.end,
            ExecEnd::Exited(_) | ExecEnd::Signalled(_) | ExecEnd::TimedOut(_)
        );
        execution.attempts < self.gate(i).retries + 1
            && retryable
            && !self.groups.is_closed()
            && !assessment.passed()
    }
}

/// Masks secrets in what metrics quote of the gate's output and the
/// reports it wrote (DESIGN §11): the reasons they could not be read, and
/// the places, rules and messages of what they found.
pub(super) fn mask_errors(metrics: &mut [measure::MetricValue], secrets: &[Secret]) {
    let Some(redactor) = Redactor::new(secrets) else {
        return;
    };
    for m in metrics {
        match m {
            Err(why) => redactor.redact(why),
            Ok(reading) => {
                if let Some(detail) = &mut reading.detail {
                    mask_detail(Arc::make_mut(detail), &redactor);
                }
            }
        }
    }
}

/// Masks every text of `detail` a report shows.
fn mask_detail(detail: &mut MetricDetail, redactor: &Redactor) {
    let Some(found) = &mut detail.findings else {
        return;
    };
    let mut text = |t: &mut String| redactor.redact(t);
    for tool in &mut found.tools {
        text(&mut tool.name);
        tool.version.iter_mut().for_each(&mut text);
        tool.information_uri.iter_mut().for_each(&mut text);
        for rule in &mut tool.rules {
            text(&mut rule.id);
            rule.description.iter_mut().for_each(&mut text);
            rule.help_uri.iter_mut().for_each(&mut text);
            rule.sarif.iter_mut().for_each(|m| mask_json(m, &mut text));
        }
    }
    for item in &mut found.items {
        item.rule.iter_mut().for_each(&mut text);
        text(&mut item.level);
        text(&mut item.message);
        item.uri.iter_mut().for_each(&mut text);
        item.path.iter_mut().for_each(&mut text);
        item.sarif.iter_mut().for_each(|m| mask_json(m, &mut text));
    }
    if found.lines.keys().any(|path| {
        let mut masked = path.clone();
        text(&mut masked);
        masked != *path
    }) {
        let mut lines = std::collections::BTreeMap::<String, Vec<_>>::new();
        for (mut path, at) in std::mem::take(&mut found.lines) {
            text(&mut path);
            lines.entry(path).or_default().extend(at);
        }
        found.lines = lines;
    }
}

/// Masks every string in `map`, as the SARIF parts a report copies
/// (a rule's help, a region's snippet) may quote a secret.
fn mask_json(
    map: &mut serde_json::Map<String, serde_json::Value>,
    text: &mut impl FnMut(&mut String),
) {
    fn walk(value: &mut serde_json::Value, text: &mut impl FnMut(&mut String)) {
        match value {
            serde_json::Value::String(s) => text(s),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| walk(v, text)),
            serde_json::Value::Object(map) => map.values_mut().for_each(|v| walk(v, text)),
            _ => {}
        }
    }
    map.values_mut().for_each(|v| walk(v, text));
}

/// The full log of one attempt in `logs` (`gate.log`, then `gate.2.log`
/// ...); none when it cannot be created. Logs hold what a gate printed
/// (masked, but still the project's output): folder 0700, files 0600.
fn open_log(logs: &Path, gate: &Gate, attempt_no: u32) -> Option<Box<dyn Write + Send>> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    let _ = std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(logs);
    // A folder left by an older pqg may be open to all: this run's, and
    // `logs/` around it with the logs older runs kept there.
    let _ = std::fs::set_permissions(logs, std::fs::Permissions::from_mode(0o700));
    if let Some(all_logs) = logs.parent() {
        crate::sys::tmp::make_private_tree(all_logs);
    }
    let stem = gate.id.file_stem();
    let name = if attempt_no == 1 {
        format!("{stem}.log")
    } else {
        format!("{stem}.{attempt_no}.log")
    };
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(logs.join(name))
        .ok()
        .map(|f| Box::new(std::io::BufWriter::new(f)) as Box<dyn Write + Send>)
}
