//! `[settings]` as the file gives them (DESIGN §2).
//!
//! Flags and environment variables are applied on top of these by
//! `crate::settings`; this module never reads either.

use super::error::Bounds;
use super::raw::{RawSettings, Scalar};
use super::resolver::Resolver;
use super::{StageIdx, StageMap};
use crate::diag::UserError;
use std::path::PathBuf;
use std::time::Duration;
use toml::Spanned;

const JOBS_HINT: &str = "0 means one job per core";
const HISTORY_HINT: &str = "it is how many runs pqg keeps";

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
    /// The reference new code is measured from (`scope = "new"`).
    pub new_code_since: Option<String>,
    /// Where `new_code_since`'s value is written, for an error about it
    /// found later (an unknown ref is a git question, asked by `check`).
    pub new_code_since_span: Option<std::ops::Range<usize>>,
}

impl Resolver {
    /// `[settings]`, or the defaults when the table is absent.
    pub(super) fn resolve_settings(
        &mut self,
        raw: Option<Spanned<RawSettings>>,
    ) -> Result<FileSettings, UserError> {
        let raw = raw.map(Spanned::into_inner).unwrap_or_default();
        let default_stage = raw
            .default_stage
            .as_ref()
            .map(|s| self.stage(s))
            .transpose()?;
        let jobs = self.bounded(raw.jobs.as_ref(), "jobs", Bounds::NonNegative, JOBS_HINT)?;
        let timeout = self.duration(raw.timeout.as_ref())?;
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
        let history = self.bounded(
            raw.history.as_ref(),
            "history",
            Bounds::AtLeast(1),
            HISTORY_HINT,
        )?;
        Ok(FileSettings {
            default_stage,
            jobs: jobs.map(|j| j as usize),
            cache_dir: PathBuf::from(raw.cache_dir.map_or(".pqg".to_owned(), Spanned::into_inner)),
            timeout,
            min_score,
            fail_fast,
            redact: raw.redact.unwrap_or_default(),
            history: history.map_or(1000, |h| h as usize),
            new_code_since_span: raw.new_code_since.as_ref().map(Spanned::span),
            new_code_since: match raw.new_code_since {
                Some(r) if r.get_ref().trim().is_empty() => {
                    return Err(self
                        .err(r.span(), "`new_code_since` is empty")
                        .hint("name a branch, tag or commit, e.g. `origin/main`, or remove the key for the default (the upstream's merge base)"))
                }
                Some(r) => Some(r.into_inner()),
                None => None,
            },
        })
    }
}

/// A percentage, 0–100.
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
    Bounds::Between(0.0, 100.0).check(n)
}
