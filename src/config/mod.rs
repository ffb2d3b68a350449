//! Loading `gates.toml`: discovery, parsing, and giving the text meaning.
//!
//! This module owns the configuration model ([`Config`], [`Gate`],
//! [`Metric`]) and every check that can be made on the file alone. All its
//! errors are [`UserError`]s that point at what the user wrote. It never runs
//! anything and never looks at a stage other than to resolve names.

pub mod builtin_options;
mod raw;
mod stage_map;

pub use stage_map::{Ladder, StageEntry, StageIdx, StageMap, StageName, DEFAULT_STAGES};

use crate::builtin;
use crate::diag::{did_you_mean, Source, UserError};
use raw::{RawCommand, RawConfig, RawGate, RawMetric, RawPattern, RawRule, RawStageMap, Scalar};
use regex::Regex;
use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

/// The config file name searched for from the current folder upward.
pub const CONFIG_FILE: &str = "gates.toml";

/// A gate's name as written in `[gates.NAME]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GateId(String);

impl GateId {
    pub fn as_str(&self) -> &str {
        &self.0
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
    Builtin(Box<builtin::Spec>),
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

/// Where a metric's value comes from (DESIGN §3). Report parsers add
/// variants here; judging only ever sees the number they produce.
#[derive(Debug, Clone)]
pub enum MetricSource {
    /// First group of the last match in the gate's output.
    Regex(Regex),
    /// Number of output lines matching.
    Count(Regex),
    /// An RFC 6901 pointer into the output, or into a file.
    Json {
        pointer: String,
        file: Option<PathBuf>,
    },
    /// The gate's own wall-clock seconds.
    Duration,
    /// How many findings a builtin reported.
    Findings,
    /// Line coverage percent of an LCOV tracefile.
    Lcov(PathBuf),
    /// Line coverage percent of a Cobertura XML report.
    Cobertura(PathBuf),
    /// Pass percent, or one count, of JUnit XML reports (a path or a glob).
    Junit { pattern: String, field: JunitField },
    /// Number of results of a SARIF log, filtered.
    Sarif {
        file: PathBuf,
        filter: crate::parsers::sarif::Filter,
    },
    /// Size of a file in bytes.
    FileSize(PathBuf),
}

/// What a `junit` metric reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JunitField {
    PassPercent,
    Tests,
    Passed,
    Failures,
    Errors,
    Skipped,
}

impl JunitField {
    pub const NAMES: [&'static str; 6] = [
        "pass_percent",
        "tests",
        "passed",
        "failures",
        "errors",
        "skipped",
    ];

    fn from_name(name: &str) -> Option<JunitField> {
        Some(match name {
            "pass_percent" => JunitField::PassPercent,
            "tests" => JunitField::Tests,
            "passed" => JunitField::Passed,
            "failures" => JunitField::Failures,
            "errors" => JunitField::Errors,
            "skipped" => JunitField::Skipped,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

/// How far a metric may move the wrong way from its baseline (DESIGN §7).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Regression {
    /// Percent of the baseline value.
    Percent(f64),
    /// In the metric's own unit.
    Absolute(f64),
}

impl fmt::Display for Regression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Regression::Percent(p) => write!(f, "{p}%"),
            Regression::Absolute(a) => write!(f, "{a}"),
        }
    }
}

impl MetricSource {
    /// A short description for reports and error messages.
    pub fn describe(&self) -> String {
        match self {
            MetricSource::Regex(re) => format!("regex `{}`", re.as_str()),
            MetricSource::Count(re) => format!("count `{}`", re.as_str()),
            MetricSource::Json {
                pointer,
                file: Some(f),
            } => format!("json `{pointer}` in {}", f.display()),
            MetricSource::Json {
                pointer,
                file: None,
            } => format!("json `{pointer}` in output"),
            MetricSource::Duration => "duration".to_owned(),
            MetricSource::Findings => "findings".to_owned(),
            MetricSource::Lcov(f) => format!("lcov {}", f.display()),
            MetricSource::Cobertura(f) => format!("cobertura {}", f.display()),
            MetricSource::Junit { pattern, field } => format!("junit {pattern} ({})", field.name()),
            MetricSource::Sarif { file, .. } => format!("sarif {}", file.display()),
            MetricSource::FileSize(f) => format!("file_size {}", f.display()),
        }
    }

    /// Whether the value is read from the gate's output stream.
    pub fn reads_output(&self) -> bool {
        matches!(
            self,
            MetricSource::Regex(_) | MetricSource::Count(_) | MetricSource::Json { file: None, .. }
        )
    }
}

/// Which way a metric improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
}

/// A measured number and the thresholds it is judged against.
#[derive(Debug, Clone)]
pub struct Metric {
    pub name: String,
    pub source: MetricSource,
    pub min: StageMap<f64>,
    pub max: StageMap<f64>,
    /// Against the committed baseline.
    pub max_regression: StageMap<Regression>,
    pub better: Better,
    pub unit: Option<String>,
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
    pub env: Vec<String>,
    pub key_commands: Vec<Command>,
    pub cache: bool,
    pub cache_ttl: Option<Duration>,
    pub cache_failures: bool,
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

/// `[settings]`, resolved. Flags and environment variables are applied on
/// top of these by `settings`.
#[derive(Debug, Clone)]
pub struct FileSettings {
    pub default_stage: Option<StageIdx>,
    pub jobs: Option<usize>,
    pub cache_dir: PathBuf,
    pub timeout: Option<Duration>,
    pub min_score: StageMap<f64>,
    pub fail_fast: StageMap<bool>,
    pub redact: Vec<String>,
    pub history: usize,
}

/// A warning about a config that loads but is probably not what was meant.
#[derive(Debug, Clone)]
pub struct ConfigWarning {
    pub message: String,
    pub span: Option<Range<usize>>,
}

/// A loaded, checked `gates.toml`.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// The folder it sits in; paths in the file are relative to it.
    pub root: PathBuf,
    pub source: Source,
    pub ladder: Ladder,
    pub settings: FileSettings,
    /// In the order written.
    pub gates: Vec<Gate>,
    pub warnings: Vec<ConfigWarning>,
}

impl Config {
    /// Reads and checks the config at `path`.
    pub fn load(path: &Path) -> Result<Config, UserError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            UserError::new(format!("cannot read `{}`: {e}", path.display()))
                .hint("pass an existing file with --config, or run `pqg init`")
        })?;
        Config::parse(path, &text)
    }

    /// Checks config `text` as if read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, UserError> {
        let source = Source::new(path, text);
        let raw: RawConfig = toml::from_str(text).map_err(|e| toml_error(&source, &e))?;
        let root = path
            .parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."));
        Resolver {
            source,
            warnings: Vec::new(),
            ladder: Ladder::default(),
            pending_needs: Vec::new(),
        }
        .resolve(raw, path, root)
    }

    pub fn gate(&self, id: &str) -> Option<&Gate> {
        self.gates.iter().find(|g| g.id.as_str() == id)
    }

    /// Finds a stage by name, or explains which stages exist.
    pub fn stage(&self, name: &str) -> Result<StageIdx, UserError> {
        self.ladder.find(name).ok_or_else(|| {
            UserError::new(format!("unknown stage `{name}`")).hint(
                did_you_mean(name, self.ladder.names()).unwrap_or_else(|| {
                    format!(
                        "the stages are: {}",
                        self.ladder.names().collect::<Vec<_>>().join(", ")
                    )
                }),
            )
        })
    }

    /// A user error pointing at `span` of this config.
    pub fn error_at(&self, span: Range<usize>, message: impl Into<String>) -> UserError {
        UserError::new(message).at(&self.source, span)
    }
}

/// Finds the config: `explicit` (from `--config` or `PQG_CONFIG`) if given,
/// else the nearest `gates.toml` from `start` upward.
pub fn discover(explicit: Option<&Path>, start: &Path) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    start
        .ancestors()
        .map(|dir| dir.join(CONFIG_FILE))
        .find(|candidate| candidate.is_file())
}

/// Turns a TOML or serde error into a user error with a hint.
fn toml_error(source: &Source, err: &toml::de::Error) -> UserError {
    let message = err.message().trim().to_owned();
    let (message, hint) = explain_serde_message(&message);
    let mut user = UserError::new(message).maybe_hint(hint);
    if let Some(span) = err.span() {
        user = user.at(source, span);
    }
    user
}

fn explain_serde_message(message: &str) -> (String, Option<String>) {
    let quoted =
        |s: &str| -> Vec<String> { s.split('`').skip(1).step_by(2).map(str::to_owned).collect() };
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let names = quoted(rest);
        if let Some((found, expected)) = names.split_first() {
            let hint = did_you_mean(found, expected.iter().map(String::as_str))
                .or_else(|| Some(format!("known keys here: {}", expected.join(", "))));
            return (format!("unknown key `{found}`"), hint);
        }
    }
    if message.starts_with("invalid type") {
        return (
            message.to_owned(),
            Some("check the type of this value".into()),
        );
    }
    if message.starts_with("missing field") {
        return (message.replace("missing field", "missing key"), None);
    }
    (
        message.to_owned(),
        Some("see gates.example.toml for the syntax of each key".to_owned()),
    )
}

/// Parses a duration such as `"90s"`, `"15m"`, `"2h"`, `"1h30m"` or
/// `"500ms"`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "ms" => number / 1000.0,
            "s" => number,
            "m" => number * 60.0,
            "h" => number * 3600.0,
            "d" => number * 86400.0,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += Duration::try_from_secs_f64(seconds).ok()?;
    }
    Some(total)
}

const SOURCES_HINT: &str = "give exactly one of `regex`, `count`, `json`, `lcov`, `cobertura`, `junit`, `sarif`, `file_size` or `duration = true`";

const DURATION_HINT: &str = "write a duration like `90s`, `15m`, `2h` or `1h30m`";

/// A name in `needs` and where it was written.
type SpannedNeed = (GateId, Range<usize>);

struct Resolver {
    source: Source,
    warnings: Vec<ConfigWarning>,
    ladder: Ladder,
    /// Each gate's `needs` with their spans, checked once all gates are known.
    pending_needs: Vec<(String, Vec<SpannedNeed>)>,
}

impl Resolver {
    fn err(&self, span: Range<usize>, message: impl Into<String>) -> UserError {
        UserError::new(message).at(&self.source, span)
    }

    fn warn(&mut self, span: Option<Range<usize>>, message: impl Into<String>) {
        self.warnings.push(ConfigWarning {
            message: message.into(),
            span,
        });
    }

    fn resolve(mut self, raw: RawConfig, path: &Path, root: PathBuf) -> Result<Config, UserError> {
        if let Some(stages) = &raw.stages {
            self.ladder = self.resolve_ladder(stages)?;
        }
        let settings = self.resolve_settings(raw.settings)?;
        let mut gates = Vec::with_capacity(raw.gates.len());
        for (name, gate) in raw.gates {
            gates.push(self.resolve_gate(name, gate)?);
        }
        self.check_needs(&gates)?;
        if gates.is_empty() {
            self.warn(None, "no gates are defined: add a `[gates.NAME]` table");
        }
        Ok(Config {
            path: path.to_path_buf(),
            root,
            source: self.source,
            ladder: self.ladder,
            settings,
            gates,
            warnings: self.warnings,
        })
    }

    fn resolve_ladder(&self, stages: &Spanned<Vec<Spanned<String>>>) -> Result<Ladder, UserError> {
        let list = stages.get_ref();
        if !(2..=16).contains(&list.len()) {
            return Err(self
                .err(
                    stages.span(),
                    format!("`stages` must list 2–16 stages, found {}", list.len()),
                )
                .hint("list the stages lowest first, e.g. [\"dev\", \"prod\"]"));
        }
        let mut names: Vec<StageName> = Vec::new();
        for s in list {
            if !StageName::is_valid(s.get_ref()) {
                return Err(self
                    .err(s.span(), format!("invalid stage name `{}`", s.get_ref()))
                    .hint("stage names use lowercase letters, digits and `-`"));
            }
            if names.iter().any(|n| n.as_str() == s.get_ref()) {
                return Err(self
                    .err(s.span(), format!("stage `{}` is listed twice", s.get_ref()))
                    .hint("each stage appears once in `stages`"));
            }
            names.push(StageName::new_unchecked(s.get_ref()));
        }
        Ok(Ladder::new(names))
    }

    fn stage(&self, name: &Spanned<String>) -> Result<StageIdx, UserError> {
        self.ladder.find(name.get_ref()).ok_or_else(|| {
            let hint = did_you_mean(name.get_ref(), self.ladder.names()).unwrap_or_else(|| {
                format!(
                    "the stages are: {}",
                    self.ladder.names().collect::<Vec<_>>().join(", ")
                )
            });
            self.err(name.span(), format!("unknown stage `{}`", name.get_ref()))
                .hint(hint)
        })
    }

    fn duration(&self, text: &Spanned<String>) -> Result<Duration, UserError> {
        match parse_duration(text.get_ref()) {
            Some(d) if !d.is_zero() => Ok(d),
            _ => Err(self
                .err(
                    text.span(),
                    format!("invalid duration `{}`", text.get_ref()),
                )
                .hint(DURATION_HINT)),
        }
    }

    fn stage_map<T>(
        &self,
        map: &Spanned<RawStageMap>,
        key: &str,
        convert: impl Fn(&Scalar) -> Result<T, String>,
    ) -> Result<StageMap<T>, UserError> {
        let typed = |value: &Scalar, span: Range<usize>| {
            convert(value).map_err(|expected| {
                self.err(span, format!("`{key}` {expected}")).hint(format!(
                    "write `{key} = VALUE` or `{key} = {{ staging = VALUE }}`"
                ))
            })
        };
        match map.get_ref() {
            RawStageMap::Plain(value) => Ok(StageMap::plain(typed(value, map.span())?, map.span())),
            RawStageMap::ByStage(entries) => {
                if entries.is_empty() {
                    return Err(self
                        .err(map.span(), format!("`{key}` is an empty stage map"))
                        .hint("give at least one `stage = value`, or remove the key"));
                }
                let mut out = Vec::with_capacity(entries.len());
                for (stage, value) in entries {
                    out.push(StageEntry {
                        stage: self.stage(stage)?,
                        value: typed(value.get_ref(), value.span())?,
                        span: stage.span(),
                    });
                }
                Ok(StageMap::from_entries(out))
            }
        }
    }

    /// Warns when a stage map gets more lenient going up the ladder.
    fn check_tightening<T: PartialOrd + fmt::Display>(
        &mut self,
        map: &StageMap<T>,
        what: &str,
        looser: impl Fn(&T, &T) -> bool,
    ) {
        let mut warnings = Vec::new();
        for pair in map.entries().windows(2) {
            let (lower, higher) = (&pair[0], &pair[1]);
            if looser(&lower.value, &higher.value) {
                warnings.push((
                    higher.span.clone(),
                    format!(
                        "{what} loosens going up the ladder: {} at `{}`, {} at `{}`",
                        lower.value,
                        self.ladder.name(lower.stage),
                        higher.value,
                        self.ladder.name(higher.stage)
                    ),
                ));
            }
        }
        for (span, message) in warnings {
            self.warn(Some(span), message);
        }
    }

    fn resolve_settings(
        &mut self,
        raw: Option<Spanned<raw::RawSettings>>,
    ) -> Result<FileSettings, UserError> {
        let raw = raw.map(Spanned::into_inner).unwrap_or_default();
        let default_stage = raw
            .default_stage
            .as_ref()
            .map(|s| self.stage(s))
            .transpose()?;
        let jobs = match &raw.jobs {
            Some(j) if *j.get_ref() < 0 => {
                return Err(self
                    .err(
                        j.span(),
                        format!("`jobs` must be 0 or more, found `{}`", j.get_ref()),
                    )
                    .hint("0 means one job per core"))
            }
            Some(j) => Some(*j.get_ref() as usize),
            None => None,
        };
        let timeout = raw.timeout.as_ref().map(|t| self.duration(t)).transpose()?;
        let min_score = match &raw.min_score {
            Some(m) => self.stage_map(m, "min_score", percent)?,
            None => StageMap::default(),
        };
        self.check_tightening(&min_score, "`min_score`", |lo, hi| hi < lo);
        let fail_fast = match &raw.fail_fast {
            Some(m) => self.stage_map(m, "fail_fast", |v| match v {
                Scalar::Bool(b) => Ok(*b),
                other => Err(format!("must be true or false, found {}", other.kind())),
            })?,
            None => StageMap::default(),
        };
        self.check_tightening(&fail_fast, "`fail_fast`", |lo, hi| *lo && !*hi);
        let history = match &raw.history {
            Some(h) if *h.get_ref() < 1 => {
                return Err(self
                    .err(
                        h.span(),
                        format!("`history` must be at least 1, found `{}`", h.get_ref()),
                    )
                    .hint("it is how many runs pqg keeps"))
            }
            Some(h) => *h.get_ref() as usize,
            None => 1000,
        };
        Ok(FileSettings {
            default_stage,
            jobs,
            cache_dir: PathBuf::from(raw.cache_dir.map_or(".pqg".to_owned(), Spanned::into_inner)),
            timeout,
            min_score,
            fail_fast,
            redact: raw.redact.unwrap_or_default(),
            history,
        })
    }

    fn command(&self, cmd: &Spanned<RawCommand>, key: &str) -> Result<Command, UserError> {
        match cmd.get_ref() {
            RawCommand::Shell(s) if s.trim().is_empty() => Err(self
                .err(cmd.span(), format!("`{key}` is empty"))
                .hint("give a command, e.g. `run = \"cargo test\"`")),
            RawCommand::Shell(s) => Ok(Command::Shell(s.clone())),
            RawCommand::Argv(argv) if argv.is_empty() || argv[0].is_empty() => Err(self
                .err(cmd.span(), format!("`{key}` has no program"))
                .hint("the first element of the array is the program, e.g. [\"cargo\", \"test\"]")),
            RawCommand::Argv(argv) => Ok(Command::Argv(argv.clone())),
        }
    }

    fn resolve_gate(
        &mut self,
        name: Spanned<String>,
        gate: Spanned<RawGate>,
    ) -> Result<Gate, UserError> {
        let id = name.get_ref();
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(self
                .err(name.span(), format!("invalid gate name `{id}`"))
                .hint("gate names use letters, digits, `-`, `_` and `.`"));
        }
        let span = name.span();
        let raw = gate.into_inner();
        let command = match (&raw.run, &raw.builtin) {
            (Some(run), None) => self.command(run, "run")?,
            (Some(_), Some(builtin)) => {
                return Err(self
                    .err(
                        builtin.span(),
                        format!("gate `{id}` has both `run` and `builtin`"),
                    )
                    .hint("a gate runs either a command or a built-in check: keep one"))
            }
            (None, Some(name)) => {
                let Some(kind) = builtin::Kind::from_name(name.get_ref()) else {
                    let names = builtin::Kind::ALL.map(builtin::Kind::name);
                    return Err(self
                        .err(name.span(), format!("unknown builtin `{}`", name.get_ref()))
                        .hint(did_you_mean(name.get_ref(), names).unwrap_or_else(|| {
                            format!("the builtins are: {}", names.join(", "))
                        })));
                };
                Command::Builtin(Box::new(self.builtin_spec(kind, &raw)?))
            }
            (None, None) => {
                return Err(self
                    .err(span, format!("gate `{id}` has neither `run` nor `builtin`"))
                    .hint("add `run = \"your command\"` to the gate"))
            }
        };
        let from = match &raw.from {
            Some(s) => self.stage(s)?,
            None => self.ladder.lowest(),
        };
        let enforce_from = match &raw.enforce_from {
            Some(s) => {
                let stage = self.stage(s)?;
                if stage < from {
                    self.warn(
                        Some(s.span()),
                        format!(
                            "gate `{id}`: `enforce_from` (`{}`) is below `from` (`{}`); it is enforced wherever it runs",
                            self.ladder.name(stage),
                            self.ladder.name(from)
                        ),
                    );
                }
                stage.max(from)
            }
            None => from,
        };
        let timeout = raw.timeout.as_ref().map(|t| self.duration(t)).transpose()?;
        let cache_ttl = raw
            .cache_ttl
            .as_ref()
            .map(|t| self.duration(t))
            .transpose()?;
        let retries = match &raw.retries {
            Some(r) if !(0..=100).contains(r.get_ref()) => {
                return Err(self
                    .err(
                        r.span(),
                        format!("`retries` must be 0–100, found `{}`", r.get_ref()),
                    )
                    .hint("retries is how many times a failing gate is run again"))
            }
            Some(r) => *r.get_ref() as u32,
            None => 0,
        };
        let exit_codes = match &raw.exit_codes {
            Some(codes) => {
                if codes.get_ref().is_empty() {
                    return Err(self
                        .err(codes.span(), "`exit_codes` is empty")
                        .hint("list the exit codes that count as success, e.g. [0, 1]"));
                }
                let mut out = Vec::new();
                for &c in codes.get_ref() {
                    if !(0..=255).contains(&c) {
                        return Err(self
                            .err(codes.span(), format!("exit code `{c}` is out of range"))
                            .hint("exit codes are 0–255"));
                    }
                    out.push(c as i32);
                }
                out
            }
            None => vec![0],
        };
        let weight = match &raw.weight {
            Some(w) if !(w.get_ref().is_finite() && *w.get_ref() >= 0.0) => {
                return Err(self
                    .err(
                        w.span(),
                        format!("`weight` must be 0 or more, found `{}`", w.get_ref()),
                    )
                    .hint("weight is the gate's share of the score"))
            }
            Some(w) => *w.get_ref(),
            None => 1.0,
        };
        let slots = match &raw.slots {
            Some(s) if *s.get_ref() < 1 => {
                return Err(self
                    .err(
                        s.span(),
                        format!("`slots` must be at least 1, found `{}`", s.get_ref()),
                    )
                    .hint("slots is how many of the `jobs` slots the gate occupies"))
            }
            Some(s) => *s.get_ref() as usize,
            None => 1,
        };
        let cwd = match &raw.cwd {
            Some(c) if Path::new(c.get_ref()).is_absolute() => {
                return Err(self
                    .err(
                        c.span(),
                        format!("`cwd` must be relative, found `{}`", c.get_ref()),
                    )
                    .hint("cwd is relative to the folder of gates.toml"))
            }
            Some(c) => PathBuf::from(c.get_ref()),
            None => PathBuf::from("."),
        };
        let mut inputs = None;
        if let Some(globs) = &raw.inputs {
            let mut out = Vec::new();
            for g in globs {
                if g.get_ref().trim().is_empty() {
                    return Err(self
                        .err(g.span(), "empty input glob")
                        .hint("e.g. `src/**/*.rs`"));
                }
                out.push(g.get_ref().clone());
            }
            inputs = Some(out);
        }
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
        let key_commands = raw
            .key_commands
            .iter()
            .flatten()
            .map(|c| self.command(c, "key_commands"))
            .collect::<Result<_, _>>()?;
        if raw.run.is_some() {
            self.no_builtin_options(&raw, None)?;
        }
        let is_builtin = matches!(command, Command::Builtin(_));
        let mut metrics = Vec::with_capacity(raw.metrics.len() + 1);
        for (mname, metric) in raw.metrics {
            metrics.push(self.resolve_metric(id, mname, metric, is_builtin)?);
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
                },
            );
        }
        let needs = raw
            .needs
            .iter()
            .flatten()
            .map(|n| (GateId(n.get_ref().clone()), n.span()))
            .collect::<Vec<_>>();
        self.pending_needs.push((id.clone(), needs.clone()));
        Ok(Gate {
            id: GateId(id.clone()),
            description: raw.description,
            command,
            from,
            enforce_from,
            needs: needs.into_iter().map(|(n, _)| n).collect(),
            inputs,
            env,
            key_commands,
            cache: raw.cache.unwrap_or(true),
            cache_ttl,
            cache_failures: raw.cache_failures.unwrap_or(false),
            timeout,
            retries,
            exit_codes,
            cwd,
            weight,
            slots,
            metrics,
            span,
        })
    }

    fn resolve_metric(
        &mut self,
        gate: &str,
        name: Spanned<String>,
        metric: Spanned<RawMetric>,
        is_builtin: bool,
    ) -> Result<Metric, UserError> {
        let span = name.span();
        let m = metric.into_inner();
        let has_source = m.regex.is_some()
            || m.count.is_some()
            || m.json.is_some()
            || m.duration.is_some()
            || m.lcov.is_some()
            || m.cobertura.is_some()
            || m.junit.is_some()
            || m.sarif.is_some()
            || m.file_size.is_some();
        if is_builtin && (has_source || name.get_ref() != "findings") {
            return Err(self
                .err(
                    span,
                    format!(
                        "metric `{gate}.{}`: a builtin measures `findings` only",
                        name.get_ref()
                    ),
                )
                .hint("write `[gates.NAME.metrics.findings]` with `max` (and no source) to set its thresholds"));
        }
        let what = format!("`{gate}.{}`", name.get_ref());
        let regex = |r: &Spanned<String>| {
            Regex::new(r.get_ref()).map_err(|e| self.regex_error(r, &what, &e))
        };
        let mut sources = Vec::new();
        if let Some(r) = &m.regex {
            sources.push(MetricSource::Regex(regex(r)?));
        }
        if let Some(r) = &m.count {
            sources.push(MetricSource::Count(regex(r)?));
        }
        if let Some(p) = &m.json {
            let pointer = p.get_ref();
            if !(pointer.is_empty() || pointer.starts_with('/')) {
                return Err(self
                    .err(p.span(), format!("invalid JSON pointer `{pointer}`"))
                    .hint("a JSON pointer starts with `/`, e.g. `/totals/percent`"));
            }
            sources.push(MetricSource::Json {
                pointer: pointer.clone(),
                file: m.file.as_ref().map(|f| PathBuf::from(f.get_ref())),
            });
        } else if let Some(f) = &m.file {
            return Err(self
                .err(f.span(), "`file` needs `json`")
                .hint("add `json = \"/pointer/to/value\"` to read a number from the file"));
        }
        if let Some(d) = &m.duration {
            if !d.get_ref() {
                return Err(self
                    .err(d.span(), "`duration = false` measures nothing")
                    .hint("write `duration = true`, or remove the metric"));
            }
            sources.push(MetricSource::Duration);
        }
        let path = |p: &Spanned<String>, key: &str| -> Result<PathBuf, UserError> {
            if p.get_ref().trim().is_empty() {
                return Err(self
                    .err(p.span(), format!("`{key}` is empty"))
                    .hint("give the report's path, relative to the gate's working folder"));
            }
            Ok(PathBuf::from(p.get_ref()))
        };
        if let Some(p) = &m.lcov {
            sources.push(MetricSource::Lcov(path(p, "lcov")?));
        }
        if let Some(p) = &m.cobertura {
            sources.push(MetricSource::Cobertura(path(p, "cobertura")?));
        }
        if let Some(p) = &m.junit {
            let field =
                match &m.field {
                    None => JunitField::PassPercent,
                    Some(f) => JunitField::from_name(f.get_ref()).ok_or_else(|| {
                        self.err(f.span(), format!("unknown `field` `{}`", f.get_ref()))
                            .hint(did_you_mean(f.get_ref(), JunitField::NAMES).unwrap_or_else(
                                || format!("the fields are: {}", JunitField::NAMES.join(", ")),
                            ))
                    })?,
                };
            path(p, "junit")?;
            sources.push(MetricSource::Junit {
                pattern: p.get_ref().clone(),
                field,
            });
        } else if let Some(f) = &m.field {
            return Err(self
                .err(f.span(), "`field` needs `junit`")
                .hint("`field` chooses which count of a JUnit report to read"));
        }
        if let Some(p) = &m.sarif {
            let mut filter = crate::parsers::sarif::Filter::default();
            if let Some(levels) = &m.level {
                for l in &levels.get_ref().0 {
                    filter
                        .levels
                        .push(crate::parsers::sarif::Level::from_name(l).ok_or_else(|| {
                            self.err(levels.span(), format!("unknown SARIF level `{l}`"))
                                .hint("levels are: none, note, warning, error")
                        })?);
                }
            }
            if let Some(sev) = &m.severity {
                for s in &sev.get_ref().0 {
                    filter.severities.push(crate::parsers::sarif::Severity::from_name(s).ok_or_else(|| {
                        self.err(sev.span(), format!("unknown severity `{s}`"))
                            .hint("severities are: critical, high, medium, low, none (GitHub's security-severity bands)")
                    })?);
                }
            }
            sources.push(MetricSource::Sarif {
                file: path(p, "sarif")?,
                filter,
            });
        } else if let Some(x) = m.level.as_ref().or(m.severity.as_ref()) {
            return Err(self
                .err(x.span(), "`level` and `severity` need `sarif`")
                .hint("they filter the results of a SARIF log"));
        }
        if let Some(p) = &m.file_size {
            sources.push(MetricSource::FileSize(path(p, "file_size")?));
        }
        let source = match sources.len() {
            0 if is_builtin => MetricSource::Findings,
            1 => sources.pop().expect("one source"),
            0 => {
                return Err(self
                    .err(
                        span,
                        format!("metric `{gate}.{}` has no source", name.get_ref()),
                    )
                    .hint(SOURCES_HINT))
            }
            _ => {
                return Err(self
                    .err(
                        span,
                        format!(
                            "metric `{gate}.{}` has more than one source",
                            name.get_ref()
                        ),
                    )
                    .hint(SOURCES_HINT))
            }
        };
        let number = |v: &Scalar| match v {
            Scalar::Int(i) => Ok(*i as f64),
            Scalar::Float(f) if f.is_finite() => Ok(*f),
            other => Err(format!("must be a number, found {}", other.kind())),
        };
        let min = match &m.min {
            Some(x) => self.stage_map(x, "min", number)?,
            None => StageMap::default(),
        };
        let max = match &m.max {
            Some(x) => self.stage_map(x, "max", number)?,
            None => StageMap::default(),
        };
        let max_regression = match &m.max_regression {
            Some(x) => self.stage_map(x, "max_regression", |v| match v {
                Scalar::Int(i) if *i >= 0 => Ok(Regression::Absolute(*i as f64)),
                Scalar::Float(f) if f.is_finite() && *f >= 0.0 => Ok(Regression::Absolute(*f)),
                Scalar::Str(s) => s
                    .trim()
                    .strip_suffix('%')
                    .and_then(|p| p.trim().parse::<f64>().ok())
                    .filter(|p| p.is_finite() && *p >= 0.0)
                    .map(Regression::Percent)
                    .ok_or_else(|| {
                        format!("must be a percent like \"5%\" or a number, found `{s}`")
                    }),
                other => Err(format!(
                    "must be a percent like \"5%\" or a number, found {}",
                    other.kind()
                )),
            })?,
            None => StageMap::default(),
        };
        let label = format!("`{gate}.{}` min", name.get_ref());
        self.check_tightening(&min, &label, |lo, hi| hi < lo);
        let label = format!("`{gate}.{}` max", name.get_ref());
        self.check_tightening(&max, &label, |lo, hi| hi > lo);
        let better = match &m.better {
            Some(b) => match b.get_ref().as_str() {
                "higher" => Better::Higher,
                "lower" => Better::Lower,
                other => {
                    return Err(self
                        .err(
                            b.span(),
                            format!("`better` must be `higher` or `lower`, found `{other}`"),
                        )
                        .maybe_hint(did_you_mean(other, ["higher", "lower"])))
                }
            },
            None if !max.is_unset() && min.is_unset() => Better::Lower,
            None if min.is_unset() && !max_regression.is_unset() => {
                return Err(self
                    .err(
                        m.max_regression.as_ref().map_or(span, Spanned::span),
                        format!(
                            "`max_regression` needs a direction: `{gate}.{}` has no `min`, `max` or `better`",
                            name.get_ref()
                        ),
                    )
                    .hint("add `better = \"higher\"` (coverage, pass rate) or `better = \"lower\"` (warnings, durations)"))
            }
            None => Better::Higher,
        };
        let unit = m.unit.or_else(|| match &source {
            MetricSource::Lcov(_)
            | MetricSource::Cobertura(_)
            | MetricSource::Junit {
                field: JunitField::PassPercent,
                ..
            } => Some("%".to_owned()),
            MetricSource::FileSize(_) => Some("B".to_owned()),
            _ => None,
        });
        Ok(Metric {
            name: name.into_inner(),
            source,
            min,
            max,
            max_regression,
            better,
            unit,
        })
    }

    /// Rejects builtin options on a gate that is not that builtin.
    fn no_builtin_options(
        &self,
        raw: &RawGate,
        kind: Option<builtin::Kind>,
    ) -> Result<(), UserError> {
        use builtin::Kind::*;
        type Owners<'a> = (&'a str, Option<Range<usize>>, &'a [builtin::Kind]);
        let options: [Owners<'_>; 4] = [
            ("rules", raw.rules.as_ref().map(Spanned::span), &[Secrets]),
            (
                "allow",
                raw.allow.as_ref().map(Spanned::span),
                &[Secrets, Forbidden],
            ),
            (
                "max_size",
                raw.max_size.as_ref().map(Spanned::span),
                &[LargeFiles],
            ),
            (
                "patterns",
                raw.patterns.as_ref().map(Spanned::span),
                &[Forbidden],
            ),
        ];
        for (key, span, owners) in options {
            let Some(span) = span else { continue };
            if kind.is_some_and(|k| owners.contains(&k)) {
                continue;
            }
            let owners: Vec<String> = owners
                .iter()
                .map(|k| format!("builtin = \"{}\"", k.name()))
                .collect();
            return Err(self
                .err(
                    span,
                    format!("`{key}` is an option of {}", owners.join(" and ")),
                )
                .hint(match kind {
                    Some(k) => format!(
                        "`builtin = \"{}\"` does not take `{key}`; remove it",
                        k.name()
                    ),
                    None => format!("a gate with `run` does not take `{key}`; remove it"),
                }));
        }
        Ok(())
    }

    fn builtin_regex(
        &self,
        r: &Spanned<String>,
        what: &str,
    ) -> Result<regex::bytes::Regex, UserError> {
        regex::bytes::Regex::new(r.get_ref()).map_err(|e| self.regex_error(r, what, &e))
    }

    /// `invalid regex in WHAT: <the regex crate's last line>` at the regex.
    fn regex_error(&self, r: &Spanned<String>, what: &str, e: &regex::Error) -> UserError {
        let detail = e.to_string();
        let last = detail.lines().last().unwrap_or("invalid regex").trim();
        self.err(r.span(), format!("invalid regex in {what}: {last}"))
            .hint("pqg uses Rust regex syntax (no look-around or backreferences)")
    }

    /// A builtin's options, checked.
    fn builtin_spec(&self, kind: builtin::Kind, raw: &RawGate) -> Result<builtin::Spec, UserError> {
        self.no_builtin_options(raw, Some(kind))?;
        let mut spec = builtin::Spec::new(kind);
        if let Some(rules) = &raw.rules {
            for rule in rules.get_ref() {
                spec.rules
                    .push(self.secret_rule(rule.get_ref(), &spec.rules)?);
            }
        }
        if let Some(allow) = &raw.allow {
            for entry in allow.get_ref() {
                let fp = entry.get_ref().trim().to_ascii_lowercase();
                if fp.len() != 32 || !fp.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(self
                        .err(entry.span(), format!("`{}` is not a finding fingerprint", entry.get_ref()))
                        .hint("copy the 32 hex characters shown as `[fingerprint …]` beside the finding"));
                }
                spec.allow.push(fp);
            }
        }
        if let Some(size) = &raw.max_size {
            let bytes = match size.get_ref() {
                Scalar::Int(n) if *n > 0 => Some(*n as u64),
                Scalar::Str(text) => builtin::parse_size(text),
                _ => None,
            };
            spec.max_size = bytes.ok_or_else(|| {
                self.err(size.span(), "invalid `max_size`")
                    .hint("write a number of bytes, or a size like \"500KB\" or \"2MiB\"")
            })?;
        }
        if kind == builtin::Kind::Forbidden {
            let Some(patterns) = raw.patterns.as_ref().filter(|p| !p.get_ref().is_empty()) else {
                return Err(self
                    .err(raw.builtin.as_ref().map_or(0..0, Spanned::span), "`builtin = \"forbidden\"` needs `patterns`")
                    .hint("e.g. patterns = [{ pattern = \"console.log(\", message = \"remove debugging output\" }]"));
            };
            for (n, p) in patterns.get_ref().iter().enumerate() {
                spec.patterns.push(self.forbidden_pattern(p, n)?);
            }
        }
        Ok(spec)
    }

    fn secret_rule(
        &self,
        rule: &RawRule,
        earlier: &[builtin::secrets::SecretRule],
    ) -> Result<builtin::secrets::SecretRule, UserError> {
        let id = rule.id.get_ref();
        let valid = !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid {
            return Err(self
                .err(rule.id.span(), format!("invalid rule id `{id}`"))
                .hint("rule ids use letters, digits, `-`, `_` and `.`"));
        }
        let taken = builtin::secrets::builtin_rules()
            .iter()
            .chain(earlier)
            .any(|r| &r.id == id);
        if taken {
            return Err(self
                .err(rule.id.span(), format!("rule id `{id}` is already used"))
                .hint("give the added rule an id of its own"));
        }
        let regex = self.builtin_regex(&rule.regex, &format!("rule `{id}`"))?;
        let entropy = match &rule.entropy {
            Some(e) if !(0.0..=8.0).contains(e.get_ref()) => return Err(self
                .err(
                    e.span(),
                    format!("`entropy` must be 0–8, found `{}`", e.get_ref()),
                )
                .hint(
                    "entropy is in bits per byte; random base64 is about 6, English text about 4",
                )),
            Some(e) => Some(*e.get_ref()),
            None => None,
        };
        Ok(builtin::secrets::SecretRule {
            id: id.clone(),
            description: rule.description.clone().unwrap_or_else(|| id.clone()),
            regex,
            keywords: rule
                .keywords
                .clone()
                .unwrap_or_default()
                .into_iter()
                .filter(|k| !k.is_empty())
                .collect(),
            entropy,
        })
    }

    fn forbidden_pattern(
        &self,
        p: &Spanned<RawPattern>,
        n: usize,
    ) -> Result<builtin::Pattern, UserError> {
        let raw = p.get_ref();
        let matcher = match (&raw.pattern, &raw.regex) {
            (Some(text), None) if !text.get_ref().is_empty() => {
                builtin::Matcher::Literal(text.get_ref().clone())
            }
            (None, Some(re)) => builtin::Matcher::Regex(self.builtin_regex(re, "`patterns`")?),
            _ => return Err(self
                .err(
                    p.span(),
                    "each pattern needs exactly one of `pattern` (text) or `regex`",
                )
                .hint(
                    "e.g. { pattern = \"console.log(\", message = \"remove debugging output\" }",
                )),
        };
        let id = raw
            .id
            .as_ref()
            .map_or_else(|| format!("forbidden-{}", n + 1), |i| i.get_ref().clone());
        let message = raw.message.clone().unwrap_or_else(|| match &matcher {
            builtin::Matcher::Literal(t) => format!("forbidden text `{t}`"),
            builtin::Matcher::Regex(r) => format!("forbidden pattern `{}`", r.as_str()),
        });
        Ok(builtin::Pattern {
            id,
            matcher,
            message,
        })
    }

    fn check_needs(&mut self, gates: &[Gate]) -> Result<(), UserError> {
        let index: HashMap<&str, usize> = gates
            .iter()
            .enumerate()
            .map(|(i, g)| (g.id.as_str(), i))
            .collect();
        let pending = std::mem::take(&mut self.pending_needs);
        for (gate, needs) in &pending {
            for (need, span) in needs {
                if need.as_str() == gate {
                    return Err(self
                        .err(span.clone(), format!("gate `{gate}` needs itself"))
                        .hint("remove it from `needs`"));
                }
                let Some(&n) = index.get(need.as_str()) else {
                    let hint =
                        did_you_mean(need.as_str(), index.keys().copied()).unwrap_or_else(|| {
                            "`needs` lists names of other gates in this file".into()
                        });
                    return Err(self
                        .err(
                            span.clone(),
                            format!("gate `{gate}` needs unknown gate `{need}`"),
                        )
                        .hint(hint));
                };
                let g = &gates[index[gate.as_str()]];
                if gates[n].from > g.from {
                    let message = format!(
                        "gate `{gate}` runs from `{}` but needs `{need}`, which runs only from `{}`; below that the need is ignored",
                        self.ladder.name(g.from),
                        self.ladder.name(gates[n].from)
                    );
                    self.warn(Some(span.clone()), message);
                }
            }
        }
        if let Some(cycle) = find_cycle(gates, &index) {
            let first = &gates[cycle[0]];
            let names: Vec<&str> = cycle
                .iter()
                .chain(std::iter::once(&cycle[0]))
                .map(|&i| gates[i].id.as_str())
                .collect();
            return Err(self
                .err(
                    first.span.clone(),
                    format!("`needs` form a cycle: {}", names.join(" → ")),
                )
                .hint("remove one of these needs to break the cycle"));
        }
        Ok(())
    }
}

/// A cycle in the `needs` graph, as gate indices in order, if there is one.
fn find_cycle(gates: &[Gate], index: &HashMap<&str, usize>) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        i: usize,
        gates: &[Gate],
        index: &HashMap<&str, usize>,
        marks: &mut [Mark],
        stack: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        marks[i] = Mark::Open;
        stack.push(i);
        for need in &gates[i].needs {
            let n = index[need.as_str()];
            match marks[n] {
                Mark::Open => {
                    let start = stack
                        .iter()
                        .position(|&s| s == n)
                        .expect("open gates are on the stack");
                    return Some(stack[start..].to_vec());
                }
                Mark::New => {
                    if let Some(c) = visit(n, gates, index, marks, stack) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        marks[i] = Mark::Done;
        None
    }
    let mut marks = vec![Mark::New; gates.len()];
    for i in 0..gates.len() {
        if marks[i] == Mark::New {
            if let Some(c) = visit(i, gates, index, &mut marks, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

fn percent(v: &Scalar) -> Result<f64, String> {
    let n = match v {
        Scalar::Int(i) => *i as f64,
        Scalar::Float(f) => *f,
        other => {
            return Err(format!(
                "must be a percentage (0–100), found {}",
                other.kind()
            ))
        }
    };
    if (0.0..=100.0).contains(&n) {
        Ok(n)
    } else {
        Err(format!("must be 0–100, found `{n}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, UserError> {
        Config::parse(Path::new("gates.toml"), text)
    }

    fn error(text: &str) -> String {
        parse(text)
            .expect_err("config should be rejected")
            .to_string()
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Some(Duration::from_secs(900)));
        assert_eq!(parse_duration("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        for bad in ["", "s", "10", "10x", "ten minutes", "-5s", "1e999h"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn stage_map_inherits_upward() {
        let c = parse(
            "[gates.cov]\nrun = 'true'\n[gates.cov.metrics.lines]\nregex = '(\\d+)'\nmin = { development = 60, staging = 75, production = 85 }\n",
        )
        .unwrap();
        let min = &c.gates[0].metrics[0].min;
        let at: Vec<_> = c.ladder.iter().map(|(s, _)| min.at(s).copied()).collect();
        assert_eq!(at, [None, Some(60.0), Some(75.0), Some(85.0), Some(85.0)]);
    }

    #[test]
    fn unknown_stage_in_map_suggests_the_closest() {
        let e = error("[gates.cov]\nrun = 'true'\n[gates.cov.metrics.l]\nregex = '(\\d+)'\nmin = { stagin = 75 }\n");
        assert!(e.contains("unknown stage `stagin`"), "{e}");
        assert!(e.contains("gates.toml:5:9"), "{e}");
        assert!(e.contains("did you mean `staging`?"), "{e}");
    }

    #[test]
    fn unknown_key_suggests_the_closest() {
        let e = error("[gates.a]\nrun = 'true'\nfom = 'entry'\n");
        assert!(e.contains("unknown key `fom`"), "{e}");
        assert!(e.contains("gates.toml:3:1"), "{e}");
        assert!(e.contains("did you mean `from`?"), "{e}");
    }

    #[test]
    fn needs_cycle_is_named() {
        let e = error(
            "[gates.a]\nrun='true'\nneeds=['b']\n[gates.b]\nrun='true'\nneeds=['c']\n[gates.c]\nrun='true'\nneeds=['a']\n",
        );
        assert!(e.contains("a → b → c → a"), "{e}");
    }

    #[test]
    fn loosening_map_is_a_warning() {
        let c = parse("[gates.a]\nrun='true'\n[gates.a.metrics.m]\nregex='(\\d+)'\nmin = { staging = 80, production = 70 }\n").unwrap();
        assert_eq!(c.warnings.len(), 1);
        assert!(
            c.warnings[0].message.contains("loosens"),
            "{:?}",
            c.warnings
        );
    }

    #[test]
    fn custom_ladder_replaces_the_default() {
        let c = parse("stages = ['dev', 'prod']\n[gates.a]\nrun='true'\nfrom='prod'\n").unwrap();
        assert_eq!(c.ladder.len(), 2);
        assert_eq!(c.gates[0].from, StageIdx(1));
        let e = error("stages = ['dev', 'prod']\n[gates.a]\nrun='true'\nfrom='staging'\n");
        assert!(e.contains("unknown stage `staging`"), "{e}");
    }

    #[test]
    fn gate_order_is_the_order_written() {
        let c = parse("[gates.zeta]\nrun='true'\n[gates.alpha]\nrun='true'\n").unwrap();
        let names: Vec<_> = c.gates.iter().map(|g| g.id.as_str()).collect();
        assert_eq!(names, ["zeta", "alpha"]);
    }

    #[test]
    fn max_alone_implies_lower_is_better() {
        let c =
            parse("[gates.a]\nrun='true'\n[gates.a.metrics.w]\ncount='warning'\nmax=0\n").unwrap();
        assert_eq!(c.gates[0].metrics[0].better, Better::Lower);
    }
}
