//! Gates: what one `[gates.NAME]` table means, checked key by key.
//!
//! A gate's metrics are resolved by `metric`, a builtin's options by
//! `builtin_gate`, its `needs` by `needs` once every gate is known. This
//! module never runs a command; it only checks that one is given.

use super::builtin_options::{Kind, Spec};
use super::error::{explain_glob_error, Bounds};
use super::raw::{RawGate, RawMetric};
use super::resolver::Resolver;
use super::{Better, Metric, MetricSource, StageIdx, StageMap};
use crate::diag::{did_you_mean, UserError};
use crate::files::filter::InputFilter;
use indexmap::IndexMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

const RETRIES_HINT: &str = "retries is how many times a failing gate is run again";
const WEIGHT_HINT: &str = "weight is the gate's share of the score";
const SLOTS_HINT: &str = "slots is how many of the `jobs` slots the gate occupies";
const OUTSIDE_HINT: &str = "pqg hashes only the files under the config's folder, so a change outside it would not re-run the gate: move gates.toml up to a folder that holds everything the gate reads, or name what lies outside in `key_commands` (e.g. `cat ../lib/VERSION`)";

/// Whether the relative path `path` climbs above its starting folder with
/// `..` (`../lib`, `a/../../b`).
fn escapes(path: &str) -> bool {
    let mut depth: i64 = 0;
    for part in path.split('/') {
        match part {
            ".." => depth -= 1,
            "" | "." => {}
            _ => depth += 1,
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

/// A gate's name as written in `[gates.NAME]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GateId(pub(super) String);

/// The longest gate name the config accepts, in bytes: names become file
/// names (kept logs, `PQG_FILES` lists), and with a suffix they must stay
/// well under the 255 bytes a file name may have.
pub(crate) const MAX_GATE_NAME: usize = 128;

impl GateId {
    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as the stem of a file name: the name itself when it is a
    /// valid one, else (too long, or with characters a file name must not
    /// hold) a readable prefix and a hash of the whole name, so that no
    /// name, valid or not, makes a file name too long or a path.
    pub(crate) fn file_stem(&self) -> String {
        let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        let name = self.0.as_str();
        if !name.is_empty() && name.len() <= MAX_GATE_NAME && name.chars().all(plain) {
            return name.to_owned();
        }
        let prefix: String = name
            .chars()
            .take(64)
            .map(|c| if plain(c) { c } else { '_' })
            .collect();
        let hash = blake3::hash(name.as_bytes());
        let hex: String = hash.as_bytes()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("{prefix}-{hex}")
    }
}

impl fmt::Display for GateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a gate runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// A string: run through `sh -c`.
    Shell(String),
    /// An array: exec'd as argv, no shell.
    Argv(Vec<String>),
    /// A built-in check, run inside pqg.
    Builtin(Box<Spec>),
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Shell(s) => f.write_str(s),
            Command::Argv(argv) => write!(f, "{argv:?}"),
            Command::Builtin(spec) => write!(f, "builtin {}", spec.kind.name()),
        }
    }
}

/// One gate of the profile, resolved and checked.
#[derive(Debug, Clone)]
pub struct Gate {
    pub id: GateId,
    pub description: Option<String>,
    pub command: Command,
    pub from: StageIdx,
    pub enforce_from: StageIdx,
    pub needs: Vec<GateId>,
    pub inputs: Option<Vec<String>>,
    /// Where each of `inputs` was written, in the same order.
    pub input_spans: Vec<Range<usize>>,
    pub env: Vec<String>,
    pub key_commands: Vec<Command>,
    pub cache: bool,
    pub cache_ttl: Option<Duration>,
    pub cache_failures: bool,
    /// The gate may rewrite tracked files (a formatter run with `--fix`):
    /// it is not failed for doing so. A gate without it that changes a
    /// tracked file fails (DESIGN §4, issue 13).
    pub writes: bool,
    pub timeout: Option<Duration>,
    pub retries: u32,
    pub exit_codes: Vec<i32>,
    pub cwd: PathBuf,
    pub weight: f64,
    pub slots: usize,
    pub metrics: Vec<Metric>,
    /// Where `[gates.NAME]` was written.
    pub span: Range<usize>,
}

impl Resolver {
    /// One `[gates.NAME]` table, checked in the order its keys are listed
    /// in DESIGN §2.
    pub(super) fn resolve_gate(
        &mut self,
        name: &Spanned<String>,
        gate: Spanned<RawGate>,
    ) -> Result<Gate, UserError> {
        self.check_gate_name(name)?;
        let (id, span) = (name.get_ref(), name.span());
        let raw = gate.into_inner();
        let command = self.gate_command(id, &span, &raw)?;
        let from = match &raw.from {
            Some(s) => self.stage(s)?,
            None => self.ladder.lowest(),
        };
        let enforce_from = self.enforce_from(id, &raw, from)?;
        let timeout = self.duration(raw.timeout.as_ref())?;
        let cache_ttl = self.duration(raw.cache_ttl.as_ref())?;
        let retries = self.bounded(
            raw.retries.as_ref(),
            "retries",
            Bounds::Between(0, 100),
            RETRIES_HINT,
        )?;
        let exit_codes = self.exit_codes(&raw)?;
        let weight = self.bounded(
            raw.weight.as_ref(),
            "weight",
            Bounds::NonNegative,
            WEIGHT_HINT,
        )?;
        let slots = self.bounded(raw.slots.as_ref(), "slots", Bounds::AtLeast(1), SLOTS_HINT)?;
        let cwd = self.cwd(&raw)?;
        let inputs = self.inputs(&raw)?;
        let env = self.env_names(&raw)?;
        let key_commands = self.key_commands(&raw)?;
        if raw.run.is_some() {
            self.no_builtin_options(&raw, None)?;
        }
        let is_builtin = matches!(command, Command::Builtin(_));
        let writes = self.writes(&raw, is_builtin)?;
        let scopable = matches!(&command, Command::Builtin(spec) if matches!(spec.kind.name(), "secrets" | "forbidden"));
        let metrics = self.gate_metrics(id, &span, raw.metrics, is_builtin, scopable)?;
        for metric in &metrics {
            self.check_passable(id, metric, from);
        }
        let needs = self.record_needs(id, raw.needs.as_deref());
        Ok(Gate {
            id: GateId(id.clone()),
            description: raw.description,
            command,
            from,
            enforce_from,
            needs,
            input_spans: raw.inputs.iter().flatten().map(Spanned::span).collect(),
            inputs,
            env,
            key_commands,
            cache: raw.cache.unwrap_or(true),
            cache_ttl,
            cache_failures: raw.cache_failures.unwrap_or(false),
            writes,
            timeout,
            retries: retries.map_or(0, |r| r as u32),
            exit_codes,
            cwd,
            weight: weight.unwrap_or(1.0),
            slots: slots.map_or(1, |s| s as usize),
            metrics,
            span,
        })
    }

    /// `writes`: only a command can write; a built-in check never does.
    fn writes(&self, raw: &RawGate, is_builtin: bool) -> Result<bool, UserError> {
        match &raw.writes {
            Some(w) if is_builtin && *w.get_ref() => Err(self
                .err(
                    w.span(),
                    "`writes` is for commands: a built-in check never writes files",
                )
                .hint("remove `writes = true` from this gate")),
            Some(w) => Ok(*w.get_ref()),
            None => Ok(false),
        }
    }

    fn check_gate_name(&self, name: &Spanned<String>) -> Result<(), UserError> {
        let id = name.get_ref();
        let valid = !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid {
            return Err(self
                .err(name.span(), format!("invalid gate name `{id}`"))
                .hint("gate names use letters, digits, `-`, `_` and `.`"));
        }
        if id.len() > MAX_GATE_NAME {
            let start: String = id.chars().take(24).collect();
            return Err(self
                .err(
                    name.span(),
                    format!(
                        "gate name `{start}…` is {} bytes long, at most {MAX_GATE_NAME} are allowed",
                        id.len()
                    ),
                )
                .hint("gate names become file names (kept logs, PQG_FILES lists): shorten it and describe the gate in `description`"));
        }
        Ok(())
    }

    /// `run` or `builtin`: exactly one of them.
    fn gate_command(
        &self,
        id: &str,
        span: &Range<usize>,
        raw: &RawGate,
    ) -> Result<Command, UserError> {
        match (&raw.run, &raw.builtin) {
            (Some(run), None) => self.command(run, "run"),
            (Some(_), Some(builtin)) => Err(self
                .err(
                    builtin.span(),
                    format!("gate `{id}` has both `run` and `builtin`"),
                )
                .hint("a gate runs either a command or a built-in check: keep one")),
            (None, Some(name)) => {
                let Some(kind) = Kind::from_name(name.get_ref()) else {
                    let names = Kind::ALL.map(Kind::name);
                    return Err(self
                        .err(name.span(), format!("unknown builtin `{}`", name.get_ref()))
                        .hint(did_you_mean(name.get_ref(), names).unwrap_or_else(|| {
                            format!("the builtins are: {}", names.join(", "))
                        })));
                };
                Ok(Command::Builtin(Box::new(self.builtin_spec(kind, raw)?)))
            }
            (None, None) => Err(self
                .err(
                    span.clone(),
                    format!("gate `{id}` has neither `run` nor `builtin`"),
                )
                .hint("add `run = \"your command\"` to the gate")),
        }
    }

    /// `enforce_from`, raised to `from` (with a warning) when below it.
    fn enforce_from(
        &mut self,
        id: &str,
        raw: &RawGate,
        from: StageIdx,
    ) -> Result<StageIdx, UserError> {
        let Some(s) = &raw.enforce_from else {
            return Ok(from);
        };
        let stage = self.stage(s)?;
        if stage < from {
            let message = format!(
                "gate `{id}`: `enforce_from` (`{}`) is below `from` (`{}`); it is enforced wherever it runs",
                self.ladder.name(stage),
                self.ladder.name(from)
            );
            self.warn(Some(s.span()), message);
        }
        Ok(stage.max(from))
    }

    fn key_commands(&self, raw: &RawGate) -> Result<Vec<Command>, UserError> {
        raw.key_commands
            .iter()
            .flatten()
            .map(|c| self.command(c, "key_commands"))
            .collect()
    }

    fn exit_codes(&self, raw: &RawGate) -> Result<Vec<i32>, UserError> {
        let Some(codes) = &raw.exit_codes else {
            return Ok(vec![0]);
        };
        if codes.get_ref().is_empty() {
            return Err(self
                .err(codes.span(), "`exit_codes` is empty")
                .hint("list the exit codes that count as success, e.g. [0, 1]"));
        }
        let mut out = Vec::new();
        for &c in codes.get_ref() {
            if !Bounds::Between(0, 255).contains(c) {
                return Err(self
                    .err(codes.span(), format!("exit code `{c}` is out of range"))
                    .hint("exit codes are 0–255"));
            }
            out.push(c as i32);
        }
        Ok(out)
    }

    /// `cwd`: a folder inside the config's folder. A gate that runs
    /// outside it reads files pqg does not hash, so its cached result could
    /// outlive a change there: refused rather than silently stale.
    fn cwd(&self, raw: &RawGate) -> Result<PathBuf, UserError> {
        let Some(c) = &raw.cwd else {
            return Ok(PathBuf::from("."));
        };
        let dir = c.get_ref();
        if Path::new(dir).is_absolute() || escapes(dir) {
            return Err(self
                .err(
                    c.span(),
                    format!("`cwd` must stay inside the config's folder, found `{dir}`"),
                )
                .hint(OUTSIDE_HINT));
        }
        Ok(PathBuf::from(dir))
    }

    /// The `inputs` globs: none empty, each a valid glob, none reaching
    /// outside the config's folder. They are compiled here only to check
    /// them, exactly as `files::filter` will.
    fn inputs(&self, raw: &RawGate) -> Result<Option<Vec<String>>, UserError> {
        let Some(globs) = &raw.inputs else {
            return Ok(None);
        };
        let mut out = Vec::new();
        for g in globs {
            let text = g.get_ref();
            let pattern = text.strip_prefix('!').unwrap_or(text);
            if pattern.trim().is_empty() {
                return Err(self
                    .err(g.span(), "empty input glob")
                    .hint("e.g. `src/**/*.rs`"));
            }
            if pattern.starts_with('/') || escapes(pattern) {
                return Err(self
                    .err(
                        g.span(),
                        format!("input glob `{text}` reaches outside the config's folder"),
                    )
                    .hint(OUTSIDE_HINT));
            }
            let inner = pattern.strip_prefix("./").unwrap_or(pattern);
            let inner = inner.strip_suffix('/').unwrap_or(inner);
            if inner.split('/').any(|part| part.is_empty() || part == ".") {
                let tidy: Vec<&str> = inner
                    .split('/')
                    .filter(|part| !part.is_empty() && *part != ".")
                    .collect();
                return Err(self
                    .err(
                        g.span(),
                        format!("input glob `{text}` has an empty or `.` folder name"),
                    )
                    .hint(format!(
                        "listed paths never hold `//` or `/./`, so it would match nothing: write `{}`",
                        tidy.join("/")
                    )));
            }
            if pattern.split('/').any(|part| part == "..") {
                return Err(self
                    .err(g.span(), format!("input glob `{text}` has a `..`"))
                    .hint("globs match paths as written from the config's folder: write it without `..`"));
            }
            if let Err(e) = InputFilter::new(Some(std::slice::from_ref(text))) {
                let (problem, hint) = explain_glob_error(&e);
                return Err(self
                    .err(g.span(), format!("invalid glob `{text}`: {problem}"))
                    .hint(hint));
            }
            out.push(text.clone());
        }
        Ok(Some(out))
    }

    /// The `env` names, each a valid environment variable name.
    fn env_names(&self, raw: &RawGate) -> Result<Vec<String>, UserError> {
        let mut env = Vec::new();
        for name in raw.env.iter().flatten() {
            let valid = !name.get_ref().is_empty()
                && !name.get_ref().contains(['=', '\0'])
                && !name.get_ref().starts_with(|c: char| c.is_ascii_digit());
            if !valid {
                return Err(self
                    .err(
                        name.span(),
                        format!("invalid environment variable name `{}`", name.get_ref()),
                    )
                    .hint("list variable names only, e.g. env = [\"RUSTFLAGS\"]"));
            }
            env.push(name.get_ref().clone());
        }
        Ok(env)
    }

    /// The gate's metrics; a builtin always has `findings` (max 0 unless
    /// the user set it).
    fn gate_metrics(
        &mut self,
        id: &str,
        span: &Range<usize>,
        raw: IndexMap<Spanned<String>, Spanned<RawMetric>>,
        is_builtin: bool,
        scopable: bool,
    ) -> Result<Vec<Metric>, UserError> {
        let mut metrics = Vec::with_capacity(raw.len() + 1);
        for (name, metric) in raw {
            metrics.push(self.resolve_metric(id, name, metric, is_builtin, scopable)?);
        }
        if is_builtin && !metrics.iter().any(|m| m.name == "findings") {
            metrics.insert(
                0,
                Metric {
                    name: "findings".to_owned(),
                    source: MetricSource::Findings,
                    min: StageMap::default(),
                    max: StageMap::plain(0.0, span.clone()),
                    max_regression: StageMap::default(),
                    better: Better::Lower,
                    unit: None,
                    scope: super::Scope::All,
                },
            );
        }
        Ok(metrics)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_are_short_and_distinct() {
        let stem = |s: &str| GateId(s.to_owned()).file_stem();
        assert_eq!(stem("unit-tests.py3"), "unit-tests.py3");
        let long_a = "a".repeat(300);
        let long_b = format!("{}b", "a".repeat(299));
        assert!(stem(&long_a).len() < 100);
        assert_ne!(stem(&long_a), stem(&long_b));
        assert!(!stem("../x/y").contains('/'));
    }
}
