//! Baselines (DESIGN §7): `gates.baseline.json` beside the config, each
//! metric's value at the moment it was saved, meant to be committed and
//! reviewed. `max_regression` compares against it.
//!
//! The file is written with sorted keys and one value per line, so a change
//! to one metric is a one-line diff.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file name, beside gates.toml.
pub(crate) const FILE: &str = "gates.baseline.json";

/// The version of the file's shape.
pub(crate) const FORMAT: u32 = 1;

/// Metric values by gate, then metric.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Baseline {
    pub format: u32,
    /// The stage whose run the values came from.
    pub stage: String,
    pub gates: BTreeMap<String, BTreeMap<String, f64>>,
}

impl Baseline {
    pub(crate) fn value(&self, gate: &str, metric: &str) -> Option<f64> {
        self.gates.get(gate)?.get(metric).copied()
    }

    /// The file's text: pretty, sorted, ending in a newline.
    pub(crate) fn render(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a baseline serialises");
        text.push('\n');
        text
    }
}

/// What is known of the baseline when judging.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum BaselineState {
    /// No baseline file.
    #[default]
    Missing,
    /// The file exists but cannot be used; regression checks are errors.
    Corrupt(String),
    Loaded(Baseline),
}

/// Where the baseline of the config in `root` lives.
pub(crate) fn path(root: &Path) -> PathBuf {
    root.join(FILE)
}

/// Reads the baseline beside the config.
pub(crate) fn load(root: &Path) -> BaselineState {
    let path = path(root);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return BaselineState::Missing,
        Err(e) => return BaselineState::Corrupt(format!("cannot read `{FILE}`: {e}")),
    };
    parse(&text)
}

/// Parses a baseline file's text.
pub(crate) fn parse(text: &str) -> BaselineState {
    match serde_json::from_str::<Baseline>(text) {
        Ok(b) if b.format == FORMAT => BaselineState::Loaded(b),
        Ok(b) => BaselineState::Corrupt(format!(
            "`{FILE}` has format {}, this pqg reads format {FORMAT}",
            b.format
        )),
        Err(e) => BaselineState::Corrupt(format!("`{FILE}` is not a valid baseline: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_sorted_one_value_per_line() {
        let mut b = Baseline {
            format: FORMAT,
            stage: "staging".into(),
            gates: BTreeMap::new(),
        };
        b.gates
            .entry("z".into())
            .or_default()
            .insert("lines".into(), 78.25);
        b.gates
            .entry("a".into())
            .or_default()
            .insert("b".into(), 1.0);
        b.gates
            .entry("a".into())
            .or_default()
            .insert("a".into(), 2.0);
        let text = b.render();
        assert!(text.find("\"a\": {").unwrap() < text.find("\"z\": {").unwrap());
        assert!(text.contains("\n      \"lines\": 78.25\n"));
        assert_eq!(parse(&text), BaselineState::Loaded(b));
    }

    #[test]
    fn bad_files_are_corrupt_not_missing() {
        assert!(matches!(parse("{"), BaselineState::Corrupt(_)));
        assert!(matches!(parse("[]"), BaselineState::Corrupt(_)));
        assert!(matches!(
            parse(r#"{"format": 9, "stage": "x", "gates": {}}"#),
            BaselineState::Corrupt(m) if m.contains("format 9")
        ));
    }
}
