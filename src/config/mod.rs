//! Loading `gates.toml`: discovery, parsing, and giving the text meaning.
//!
//! This module owns the configuration model ([`Config`], [`Gate`],
//! [`Metric`]) and every check that can be made on the file alone. All its
//! errors are [`UserError`]s that point at what the user wrote. It never runs
//! anything, never imports the modules that use it (plan, run, builtins,
//! report), and never looks at a stage other than to resolve names.
//!
//! The parts, in the order a file goes through them: `load` finds and
//! reads it, `raw` gives it a shape (serde), `resolver` walks it and turns
//! each part into the model: `stages` (the ladder and stage maps),
//! `file_settings`, `gate`, `metric`, `builtin_gate` (a builtin's options),
//! `needs` (unknown needs and cycles) and `duration`; `error` words the
//! errors that are not about a single key.

mod builtin_gate;
pub(crate) mod builtin_options;
mod duration;
mod error;
mod file_settings;
mod gate;
mod load;
mod metric;
mod needs;
mod raw;
mod resolver;
mod stage_map;
mod stages;

pub(crate) use duration::parse_duration;
pub(crate) use file_settings::FileSettings;
pub(crate) use gate::{Command, Gate, GateId};
pub(crate) use load::{discover, CONFIG_FILE};
pub(crate) use metric::{Better, JunitField, Metric, MetricSource, Rate, Regression, Scope};
pub(crate) use stage_map::{Ladder, StageEntry, StageIdx, StageMap, StageName};

use crate::diag::{did_you_mean, Source, UserError};
use std::ops::Range;
use std::path::PathBuf;

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
    /// The gate called `id`, if there is one.
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(text: &str) -> Result<Config, UserError> {
        Config::parse(Path::new("gates.toml"), text)
    }

    fn error(text: &str) -> String {
        parse(text)
            .expect_err("config should be rejected")
            .to_string()
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
