//! The walk over a parsed gates.toml that gives it meaning.
//!
//! [`Resolver`] carries what every check needs (the source text for error
//! locations, the ladder, the warnings so far) and calls the resolution of
//! each part, which lives beside the model it builds (`stages`,
//! `file_settings`, `gate`, `metric`, `builtin_gate`, `needs`, `duration`).
//! It reads no file and runs nothing.

use super::error::{Bounds, Number};
use super::gate::Command;
use super::raw::{RawCommand, RawConfig};
use super::{Config, ConfigWarning, GateId, Ladder};
use crate::diag::{Source, UserError};
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// A name in `needs` and where it was written.
pub(super) type SpannedNeed = (GateId, Range<usize>);

/// State shared by the checks of one config file.
pub(super) struct Resolver {
    pub(super) source: Source,
    pub(super) warnings: Vec<ConfigWarning>,
    pub(super) ladder: Ladder,
    /// Each gate's `needs` with their spans, checked once all gates are known.
    pub(super) pending_needs: Vec<(String, Vec<SpannedNeed>)>,
}

impl Resolver {
    /// A resolver for the text of `source`, with the default ladder.
    pub(super) fn new(source: Source) -> Resolver {
        Resolver {
            source,
            warnings: Vec::new(),
            ladder: Ladder::default(),
            pending_needs: Vec::new(),
        }
    }

    /// Resolves the whole file: ladder first (stage names depend on it),
    /// then settings, gates in the order written, and their needs.
    pub(super) fn resolve(
        mut self,
        raw: RawConfig,
        path: &Path,
        root: PathBuf,
    ) -> Result<Config, UserError> {
        if let Some(stages) = &raw.stages {
            self.ladder = self.resolve_ladder(stages)?;
        }
        let settings = self.resolve_settings(raw.settings)?;
        let mut gates = Vec::with_capacity(raw.gates.len());
        for (name, gate) in raw.gates {
            gates.push(self.resolve_gate(&name, gate)?);
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

    /// A user error pointing at `span` of the file.
    pub(super) fn err(&self, span: Range<usize>, message: impl Into<String>) -> UserError {
        UserError::new(message).at(&self.source, span)
    }

    /// Records a warning; the config still loads.
    pub(super) fn warn(&mut self, span: Option<Range<usize>>, message: impl Into<String>) {
        self.warnings.push(ConfigWarning {
            message: message.into(),
            span,
        });
    }

    /// The value of `key`, if given, when within `bounds`; else an error at
    /// it: ``\`retries\` must be 0–100, found `101` `` with `hint`.
    pub(super) fn bounded<T: Number>(
        &self,
        value: Option<&Spanned<T>>,
        key: &str,
        bounds: Bounds<T>,
        hint: &str,
    ) -> Result<Option<T>, UserError> {
        let Some(value) = value else {
            return Ok(None);
        };
        let checked = bounds.check(*value.get_ref()).map_err(|expected| {
            self.err(value.span(), format!("`{key}` {expected}"))
                .hint(hint)
        })?;
        Ok(Some(checked))
    }

    /// `invalid regex in WHAT: <the regex crate's last line>` at the regex.
    pub(super) fn regex_error(
        &self,
        r: &Spanned<String>,
        what: &str,
        e: &regex::Error,
    ) -> UserError {
        let detail = e.to_string();
        let last = detail.lines().last().unwrap_or("invalid regex").trim();
        self.err(r.span(), format!("invalid regex in {what}: {last}"))
            .hint("pqg uses Rust regex syntax (no look-around or backreferences)")
    }

    /// A `run` or `key_commands` value, checked to run something.
    pub(super) fn command(
        &self,
        cmd: &Spanned<RawCommand>,
        key: &str,
    ) -> Result<Command, UserError> {
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
}
