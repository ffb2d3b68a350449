//! Resolving stages: the `stages` ladder, stage names, and stage maps
//! (DESIGN §2) checked against the ladder.
//!
//! The data types are in `stage_map`; this module gives what the user wrote
//! meaning and reports unknown stages with a suggestion. It never decides
//! which stage a run is at.

use super::error::Bounds;
use super::raw::{RawStageMap, Scalar};
use super::resolver::Resolver;
use super::{Ladder, StageEntry, StageIdx, StageMap, StageName};
use crate::diag::{did_you_mean, UserError};
use std::fmt;
use std::ops::Range;
use toml::Spanned;

impl Resolver {
    /// The `stages` list as a ladder: 2–16 valid names, none twice.
    pub(super) fn resolve_ladder(
        &self,
        stages: &Spanned<Vec<Spanned<String>>>,
    ) -> Result<Ladder, UserError> {
        let list = stages.get_ref();
        if !Bounds::Between(2, 16).contains(list.len()) {
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

    /// The stage called `name`, or an error suggesting the closest.
    pub(super) fn stage(&self, name: &Spanned<String>) -> Result<StageIdx, UserError> {
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

    /// A stage map of `key`, each value typed by `convert` (whose error says
    /// what was expected).
    pub(super) fn stage_map<T>(
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
    pub(super) fn check_tightening<T: PartialOrd + fmt::Display>(
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
}
