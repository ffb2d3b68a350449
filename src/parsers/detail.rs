//! What a metric reads besides its number: the places a report names, so
//! that every report can show them, the cache can keep them, and a metric
//! judged on part of the project can judge them again without running its
//! gate.
//!
//! A [`MetricDetail`] has one field per kind of report that names places;
//! a source fills the one it reads and leaves the others `None`. Paths are
//! relative to the project root (the config's folder, as every path in
//! `gates.toml`), with `/`; a place outside it has no path.
//!
//! What is kept is bounded whatever the size of the report: at most
//! [`KEPT`] items a metric, with a count of those left out.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How many located items a metric keeps for its reports.
pub const KEPT: usize = 5_000;

/// How many characters of a message are kept.
pub const MESSAGE_CHARS: usize = 1_000;

/// What a metric read besides its number.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricDetail {
    /// The results a SARIF metric counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub findings: Option<Findings>,
    /// A `scope = "new"` coverage metric: each report file's instrumented
    /// and missed lines, and the project paths its name may mean.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Vec<super::FileLines>>,
}

/// The results a SARIF metric counted, with their places.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Findings {
    /// The tools that wrote the kept items, each once, with the rules the
    /// kept items name.
    pub tools: Vec<Tool>,
    /// The first [`KEPT`] counted results, in the log's order.
    pub items: Vec<Finding>,
    /// Counted results past the first [`KEPT`].
    pub omitted: u64,
    /// Counted results that name no place in the project: no location, a
    /// URI that is not a file, or a file outside the project.
    pub unlocated: u64,
    /// Every counted result that names a place in the project, kept or
    /// not: its file, and the line each one starts on (0 when it names the
    /// file only), in the log's order. A few bytes a result, so a metric
    /// judged on some lines can count every result, not only the kept ones.
    /// Reports leave it out.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lines: BTreeMap<String, Vec<u32>>,
}

impl Findings {
    /// How many results were counted.
    pub fn total(&self) -> u64 {
        self.items.len() as u64 + self.omitted
    }

    /// A copy without [`Findings::lines`], for reports.
    pub fn without_lines(&self) -> Findings {
        Findings {
            tools: self.tools.clone(),
            items: self.items.clone(),
            omitted: self.omitted,
            unlocated: self.unlocated,
            lines: BTreeMap::new(),
        }
    }
}

/// The tool that wrote a SARIF run (`tool.driver`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub information_uri: Option<String>,
    /// The rules the kept items name, in the order first named.
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// A rule of a tool, as its log describes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    /// Its `shortDescription`, else its `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help_uri: Option<String>,
}

/// One counted SARIF result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Its tool, an index into [`Findings::tools`].
    pub tool: usize,
    /// Its rule id, when it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// `error`, `warning`, `note` or `none`: its own level, else its
    /// rule's, else `warning`.
    pub level: String,
    /// Its message text (at most [`MESSAGE_CHARS`] characters).
    pub message: String,
    /// Its first location's URI as the log wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// The file that URI names, relative to the project root; `None` when
    /// it names no file in the project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// 1-based.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// The last line of its region, when the log says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
}
