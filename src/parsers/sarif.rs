//! SARIF 2.1.0 logs (CodeQL, Semgrep, Trivy, checkov, clippy-sarif, ruff,
//! ESLint, …): the number of results, optionally only those at some levels
//! and/or security severities, and ([`read`]) where the counted ones are.
//!
//! A result's level is its own `level`, else its rule's
//! `defaultConfiguration.level`, else `warning` (SARIF's default). Its
//! severity comes from the `security-severity` property (GitHub's
//! convention: a CVSS-like score as a string or a number) on the result,
//! else on its rule, banded as GitHub does: critical ≥ 9.0, high 7.0–8.9,
//! medium 4.0–6.9, low 0.1–3.9. A result without a score is banded by its
//! level (error → high, warning → medium, note → low). A log whose results
//! carry no score at all cannot answer a severity question and is an error.

use super::detail::{Finding, Findings, Place, Tool, FRAGMENT_BYTES, KEPT, MESSAGE_CHARS};
use super::{normal, relative};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// A SARIF result level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    None,
    Note,
    Warning,
    Error,
}

impl Level {
    pub fn from_name(name: &str) -> Option<Level> {
        match name {
            "none" => Some(Level::None),
            "note" => Some(Level::Note),
            "warning" => Some(Level::Warning),
            "error" => Some(Level::Error),
            _ => None,
        }
    }
}

/// A security-severity band.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn from_name(name: &str) -> Option<Severity> {
        match name {
            "none" => Some(Severity::None),
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }

    /// GitHub's bands for a `security-severity` score.
    pub fn of_score(score: f64) -> Severity {
        if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score >= 0.1 {
            Severity::Low
        } else {
            Severity::None
        }
    }

    fn of_level(level: Level) -> Severity {
        match level {
            Level::Error => Severity::High,
            Level::Warning => Severity::Medium,
            Level::Note => Severity::Low,
            Level::None => Severity::None,
        }
    }
}

/// Which results count; empty lists mean any.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub levels: Vec<Level>,
    pub severities: Vec<Severity>,
}

#[derive(Deserialize)]
struct SarifTool {
    driver: Driver,
}

#[derive(Deserialize)]
struct Driver {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default, rename = "semanticVersion")]
    semantic_version: Option<String>,
    #[serde(default, rename = "informationUri")]
    information_uri: Option<String>,
    #[serde(default)]
    rules: Vec<Rule>,
    #[serde(default, rename = "messageStrings")]
    message_strings: Option<HashMap<String, MessageString>>,
}

/// A rule; what code scanning reads of it is kept as written.
#[derive(Deserialize)]
struct Rule {
    id: Option<String>,
    name: Option<String>,
    #[serde(rename = "defaultConfiguration")]
    default_configuration: Option<Value>,
    properties: Option<Value>,
    #[serde(rename = "shortDescription")]
    short_description: Option<Value>,
    #[serde(rename = "fullDescription")]
    full_description: Option<Value>,
    help: Option<Value>,
    #[serde(rename = "helpUri")]
    help_uri: Option<String>,
    #[serde(rename = "messageStrings")]
    message_strings: Option<HashMap<String, MessageString>>,
}

impl Rule {
    fn level(&self) -> Option<&str> {
        self.default_configuration.as_ref()?.get("level")?.as_str()
    }

    fn short_text(&self) -> Option<&str> {
        self.short_description.as_ref()?.get("text")?.as_str()
    }

    /// What code scanning reads of the rule, as written, each part at most
    /// [`FRAGMENT_BYTES`].
    fn fragment(&self) -> Option<Map<String, Value>> {
        let mut out = Map::new();
        if let Some(name) = &self.name {
            out.insert("name".to_owned(), Value::String(name.clone()));
        }
        if let Some(uri) = &self.help_uri {
            out.insert("helpUri".to_owned(), Value::String(uri.clone()));
        }
        for (key, value) in [
            ("shortDescription", &self.short_description),
            ("fullDescription", &self.full_description),
            ("help", &self.help),
            ("defaultConfiguration", &self.default_configuration),
            ("properties", &self.properties),
        ] {
            if let Some(value) = value.as_ref().filter(|v| small(v)) {
                out.insert(key.to_owned(), value.clone());
            }
        }
        (!out.is_empty()).then_some(out)
    }
}

/// Whether `value` is at most [`FRAGMENT_BYTES`] of JSON.
fn small(value: &Value) -> bool {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            if self.0 > FRAGMENT_BYTES {
                return Err(std::io::Error::other("too large"));
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    serde_json::to_writer(Counter(0), value).is_ok()
}

/// A message a result may name by id (`messageStrings`).
#[derive(Deserialize)]
struct MessageString {
    text: Option<String>,
    markdown: Option<String>,
}

#[derive(Deserialize)]
struct SarifResult {
    #[serde(rename = "ruleId")]
    rule_id: Option<String>,
    #[serde(rename = "ruleIndex")]
    rule_index: Option<usize>,
    rule: Option<RuleReference>,
    level: Option<String>,
    properties: Option<Value>,
    message: Option<Message>,
    locations: Option<Vec<Location>>,
    #[serde(rename = "partialFingerprints")]
    partial_fingerprints: Option<Value>,
    fingerprints: Option<Value>,
}

#[derive(Deserialize)]
struct RuleReference {
    id: Option<String>,
    index: Option<usize>,
}

#[derive(Deserialize)]
struct Message {
    text: Option<String>,
    markdown: Option<String>,
    id: Option<String>,
    arguments: Option<Vec<Value>>,
}

#[derive(Deserialize)]
struct Location {
    #[serde(rename = "physicalLocation")]
    physical: Option<PhysicalLocation>,
}

#[derive(Deserialize)]
struct PhysicalLocation {
    #[serde(rename = "artifactLocation")]
    artifact: Option<ArtifactLocation>,
    region: Option<Region>,
}

#[derive(Deserialize, Clone)]
struct ArtifactLocation {
    uri: Option<String>,
    #[serde(rename = "uriBaseId")]
    uri_base_id: Option<String>,
    /// An index into the run's `artifacts`, whose `location` gives the URI
    /// when this one has none.
    index: Option<usize>,
}

/// One of a run's `artifacts`: only its location is read.
#[derive(Deserialize)]
struct Artifact {
    location: Option<ArtifactLocation>,
}

/// A region's lines and column; a number that is not a positive line or
/// column (a tool's bug) reads as absent rather than failing the log.
#[derive(Deserialize)]
struct Region {
    #[serde(default, rename = "startLine", deserialize_with = "position")]
    start_line: Option<u32>,
    #[serde(default, rename = "startColumn", deserialize_with = "position")]
    start_column: Option<u32>,
    #[serde(default, rename = "endLine", deserialize_with = "position")]
    end_line: Option<u32>,
    #[serde(default, rename = "endColumn", deserialize_with = "position")]
    end_column: Option<u32>,
    snippet: Option<Value>,
}

fn position<'de, D: de::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(value
        .as_u64()
        .filter(|&n| n >= 1)
        .and_then(|n| u32::try_from(n).ok()))
}

fn score(properties: Option<&Value>) -> Result<Option<f64>, String> {
    let Some(value) = properties.and_then(|p| p.get("security-severity")) else {
        return Ok(None);
    };
    let number = match value {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match number {
        Some(n) if n.is_finite() && (0.0..=10.0).contains(&n) => Ok(Some(n)),
        _ => Err(format!(
            "`security-severity` {value} is not a score from 0 to 10"
        )),
    }
}

/// Counts the results of a SARIF log that pass `filter`, reading it as a
/// stream: a result is judged as it goes by and only its verdict is kept,
/// so a log of any size costs its rules, not its results. A run that lists
/// its results before its tool (JSON does not order keys) keeps the few
/// fields a result is judged by until the rules have come.
pub fn count(input: impl Read, filter: &Filter) -> Result<u64, String> {
    tally(input, filter, None).map(|(n, _)| n)
}

/// Where a log's places are: the folder its tool ran in, against which a
/// relative URI is read (unless the log defines its base), and the project
/// root, to which found files are made relative. Both absolute.
#[derive(Debug, Clone, Copy)]
pub struct Places<'a> {
    pub dir: &'a Path,
    pub root: &'a Path,
}

/// [`count`], and the counted results located: the first [`KEPT`] whole,
/// every one as its file and line (see [`Findings`]). Memory stays bounded
/// by what is kept, whatever the size of the log.
///
/// A result's place is its first location's `physicalLocation`: a `file:`
/// URI, or a relative reference read against its `uriBaseId` when the run's
/// `originalUriBaseIds` defines it, else against `places.dir`. A result
/// with no location, another scheme, or a file outside `places.root` is
/// unlocated.
pub fn read(
    input: impl Read,
    filter: &Filter,
    places: Places<'_>,
) -> Result<(u64, Findings), String> {
    tally(input, filter, Some(places)).map(|(n, found)| (n, found.unwrap_or_default()))
}

fn tally(
    input: impl Read,
    filter: &Filter,
    places: Option<Places<'_>>,
) -> Result<(u64, Option<Findings>), String> {
    let mut tally = Tally {
        filter,
        total: 0,
        results_seen: 0,
        scored: 0,
        error: None,
        collector: places.map(Collector::new),
    };
    // serde_json reads a byte at a time: through a BufReader that is a
    // copy from its buffer, not a call into the reader.
    let input = std::io::BufReader::with_capacity(super::READ_BUFFER, input);
    let mut de = serde_json::Deserializer::from_reader(input);
    let parsed = LogSeed { tally: &mut tally }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    if let Some(error) = tally.error {
        return Err(error);
    }
    parsed.map_err(|e| {
        if e.is_eof() {
            format!("the SARIF log ends early (truncated?): {e}")
        } else {
            format!("not a SARIF log: {e}")
        }
    })?;
    if !filter.severities.is_empty() && tally.results_seen > 0 && tally.scored == 0 {
        return Err(
            "no result in this SARIF log has a `security-severity` score, so it cannot be counted by severity; filter by `level` instead"
                .to_owned(),
        );
    }
    Ok((tally.total, tally.collector.map(|c| c.found)))
}

/// What the count has seen so far.
struct Tally<'f, 'p> {
    filter: &'f Filter,
    total: u64,
    results_seen: u64,
    scored: u64,
    /// Why a result cannot be counted; reading stops at the first.
    error: Option<String>,
    /// Where counted results are located, when they are.
    collector: Option<Collector<'p>>,
}

/// One run's rules, found by index or by id.
struct Rules {
    rules: Vec<Rule>,
    by_id: std::collections::HashMap<String, usize>,
    /// The tool's `messageStrings`.
    messages: HashMap<String, MessageString>,
}

impl Rules {
    fn new(rules: Vec<Rule>, messages: HashMap<String, MessageString>) -> Rules {
        let mut by_id = std::collections::HashMap::new();
        for (i, rule) in rules.iter().enumerate() {
            if let Some(id) = &rule.id {
                // The first rule of an id, as a search from the front finds.
                by_id.entry(id.clone()).or_insert(i);
            }
        }
        Rules {
            rules,
            by_id,
            messages,
        }
    }
}

impl Tally<'_, '_> {
    /// Counts result `i` of run `r` if it passes the filter.
    fn judge(
        &mut self,
        r: usize,
        i: usize,
        result: SarifResult,
        rules: &Rules,
    ) -> Result<(), String> {
        self.results_seen += 1;
        let index = result
            .rule_index
            .or_else(|| result.rule.as_ref().and_then(|x| x.index));
        let id = result
            .rule_id
            .as_deref()
            .or_else(|| result.rule.as_ref().and_then(|x| x.id.as_deref()));
        let rule_at = index
            .filter(|&k| k < rules.rules.len())
            .or_else(|| id.and_then(|id| rules.by_id.get(id)).copied());
        let rule = rule_at.map(|k| &rules.rules[k]);
        let level_name = result
            .level
            .as_deref()
            .or_else(|| rule.and_then(Rule::level))
            .unwrap_or("warning");
        let level = Level::from_name(level_name).ok_or_else(|| {
            format!("run {r}, result {i}: level `{level_name}` is not none, note, warning or error")
        })?;
        let result_score = match score(result.properties.as_ref())? {
            Some(s) => Some(s),
            None => score(rule.and_then(|x| x.properties.as_ref()))?,
        };
        if result_score.is_some() {
            self.scored += 1;
        }
        let severity = result_score.map_or(Severity::of_level(level), Severity::of_score);
        let level_ok = self.filter.levels.is_empty() || self.filter.levels.contains(&level);
        let severity_ok =
            self.filter.severities.is_empty() || self.filter.severities.contains(&severity);
        if level_ok && severity_ok {
            self.total += 1;
            if let Some(collector) = &mut self.collector {
                let level = level_name.to_owned();
                collector.add(result, rule_at, rules, level);
            }
        }
        Ok(())
    }

    /// Records why the log cannot be counted, and stops the reading.
    fn fail<E: de::Error>(&mut self, error: String) -> E {
        self.error = Some(error);
        E::custom("the log cannot be counted")
    }
}

/// Locates counted results. Within a run, places are kept as the log wrote
/// them (a URI and its base, or an index into the run's `artifacts`), each
/// distinct one once, and resolved when the run ends: the run's
/// `originalUriBaseIds` and `artifacts` may come after its results.
struct Collector<'p> {
    places: Places<'p>,
    found: Findings,
    run: RunPlaces,
}

/// A place as a result wrote it.
#[derive(PartialEq, Eq, Hash)]
enum Written {
    /// A URI and its `uriBaseId`.
    Uri(Option<String>, String),
    /// An index into the run's `artifacts`.
    Artifact(usize),
}

/// One run's counted results, before their places are resolved.
#[derive(Default)]
struct RunPlaces {
    /// Each distinct written place, numbered by first appearance.
    index: HashMap<Written, usize>,
    /// Per written place, each result there (its `tool` not yet known, its
    /// `rule` 1 + an index into `rule_ids`).
    places: Vec<Vec<Place>>,
    /// The rule ids the run's counted results name, each once, with the
    /// rule of the log that describes it.
    rule_ids: Vec<(String, Option<usize>)>,
    rule_at: HashMap<String, u32>,
    /// Kept results: the item (its path not yet known), its written place.
    kept: Vec<(Finding, Option<usize>)>,
    /// Counted results with no place.
    no_place: u64,
}

impl<'p> Collector<'p> {
    fn new(places: Places<'p>) -> Collector<'p> {
        Collector {
            places,
            found: Findings::default(),
            run: RunPlaces::default(),
        }
    }

    /// Adds counted `result`, whose rule is `rules.rules[rule_at]`.
    fn add(&mut self, result: SarifResult, rule_at: Option<usize>, rules: &Rules, level: String) {
        let rule = rule_at.map(|k| &rules.rules[k]);
        let physical = result
            .locations
            .and_then(|l| l.into_iter().next())
            .and_then(|l| l.physical);
        let (artifact, region) = match physical {
            Some(p) => (p.artifact, p.region),
            None => (None, None),
        };
        let (line, column, end_line) = region.as_ref().map_or((None, None, None), |r| {
            (r.start_line, r.start_line.and(r.start_column), r.end_line)
        });
        let uri = artifact.as_ref().and_then(|a| a.uri.clone());
        let rule_id = result
            .rule_id
            .clone()
            .or_else(|| result.rule.as_ref().and_then(|r| r.id.clone()))
            .or_else(|| rule.and_then(|r| r.id.clone()));
        let written = match artifact {
            Some(ArtifactLocation {
                uri: Some(uri),
                uri_base_id,
                ..
            }) => Some(Written::Uri(uri_base_id, uri)),
            Some(ArtifactLocation {
                index: Some(i),
                uri: None,
                ..
            }) => Some(Written::Artifact(i)),
            _ => None,
        };
        let kept = self.found.items.len() + self.run.kept.len() < KEPT;
        let key = match written {
            Some(written) => {
                let next = self.run.index.len();
                let k = *self.run.index.entry(written).or_insert(next);
                if k == next {
                    self.run.places.push(Vec::new());
                }
                let rule = match &rule_id {
                    Some(id) => match self.run.rule_at.get(id) {
                        Some(&at) => at,
                        None => {
                            self.run.rule_ids.push((id.clone(), rule_at));
                            let at = self.run.rule_ids.len() as u32;
                            self.run.rule_at.insert(id.clone(), at);
                            at
                        }
                    },
                    None => 0,
                };
                let start = line.unwrap_or(0);
                self.run.places[k].push(Place {
                    line: start,
                    end_line: end_line.filter(|_| start > 0).unwrap_or(start).max(start),
                    column: column.unwrap_or(0),
                    tool: 0,
                    rule,
                    level: Place::level_code(&level),
                    kept,
                });
                Some(k)
            }
            None => {
                self.run.no_place += 1;
                None
            }
        };
        if !kept {
            self.found.omitted += 1;
            return;
        }
        let message = message_text(result.message.as_ref(), rule, rules)
            .or_else(|| rule.and_then(Rule::short_text).map(str::to_owned))
            .unwrap_or_default();
        let message = match message.char_indices().nth(MESSAGE_CHARS) {
            Some((cut, _)) => format!("{}…", &message[..cut]),
            None => message,
        };
        let mut sarif = Map::new();
        // Of the region, what the fields above do not say.
        let region_rest = region.and_then(|r| {
            let mut rest = Map::new();
            if let Some(c) = r.end_column {
                rest.insert("endColumn".to_owned(), Value::from(c));
            }
            if let Some(snippet) = r.snippet {
                rest.insert("snippet".to_owned(), snippet);
            }
            (!rest.is_empty()).then_some(Value::Object(rest))
        });
        for (name, value) in [
            ("region", region_rest),
            ("partialFingerprints", result.partial_fingerprints),
            ("fingerprints", result.fingerprints),
            ("properties", result.properties),
        ] {
            if let Some(value) = value.filter(|v| v.is_object() && small(v)) {
                sarif.insert(name.to_owned(), value);
            }
        }
        let item = Finding {
            tool: 0,
            rule: rule_id,
            level,
            message,
            uri,
            path: None,
            line,
            column,
            end_line,
            sarif: (!sarif.is_empty()).then_some(sarif),
        };
        self.run.kept.push((item, key));
    }

    /// Resolves the run's places against `bases` and `artifacts`, and adds
    /// its results to what was found, with its tool and rules.
    fn finish_run(
        &mut self,
        tool: &ToolInfo,
        rules: &Rules,
        bases: &HashMap<String, ArtifactLocation>,
        artifacts: &[Artifact],
    ) {
        let run = std::mem::take(&mut self.run);
        let mut paths: Vec<Option<String>> = vec![None; run.index.len()];
        let mut written: Vec<Option<String>> = vec![None; run.index.len()];
        for (place, k) in &run.index {
            let (base, uri) = match place {
                Written::Uri(base, uri) => (base.as_deref(), Some(uri.as_str())),
                Written::Artifact(i) => match artifacts.get(*i).and_then(|a| a.location.as_ref()) {
                    Some(l) => (l.uri_base_id.as_deref(), l.uri.as_deref()),
                    None => (None, None),
                },
            };
            if let Some(uri) = uri {
                paths[*k] = resolve(uri, base, bases, self.places);
                written[*k] = Some(uri.to_owned());
            }
        }
        let located = paths.iter().any(Option::is_some);
        self.found.unlocated += run.no_place;
        if run.kept.is_empty() && !located {
            for places in &run.places {
                self.found.unlocated += places.len() as u64;
            }
            return;
        }
        let t = match self
            .found
            .tools
            .iter()
            .position(|t| t.name == tool.name && t.version == tool.version)
        {
            Some(t) => t,
            None => {
                self.found.tools.push(Tool {
                    name: tool.name.clone(),
                    version: tool.version.clone(),
                    information_uri: tool.information_uri.clone(),
                    rules: Vec::new(),
                });
                self.found.tools.len() - 1
            }
        };
        // The run's rule ids as indexes into the tool's rules, plus 1.
        let mut rule_map: Vec<u32> = Vec::with_capacity(run.rule_ids.len() + 1);
        rule_map.push(0);
        for (id, at) in &run.rule_ids {
            rule_map.push(self.rule_in(t, id, at.map(|k| &rules.rules[k])) + 1);
        }
        for (path, places) in paths.iter().zip(run.places) {
            match path {
                Some(path) => {
                    // Mapped in place: a large log's places are not copied.
                    let mut places: Vec<Place> = places
                        .into_iter()
                        .map(|p| Place {
                            tool: t as u32,
                            rule: rule_map[p.rule as usize],
                            ..p
                        })
                        .collect();
                    let entry = self.found.lines.entry(path.clone()).or_default();
                    if entry.is_empty() {
                        places.shrink_to_fit();
                        *entry = places;
                    } else {
                        entry.extend(places);
                    }
                }
                None => self.found.unlocated += places.len() as u64,
            }
        }
        for (mut item, key) in run.kept {
            item.tool = t;
            item.path = key.and_then(|k| paths[k].clone());
            if item.uri.is_none() {
                item.uri = key.and_then(|k| written[k].clone());
            }
            if let Some(id) = &item.rule {
                if !self.found.tools[t].rules.iter().any(|r| &r.id == id) {
                    // A kept result with no place: its rule still shows.
                    self.rule_in(t, id, None);
                }
            }
            self.found.items.push(item);
        }
    }

    /// The index of rule `id` in tool `t`'s rules, added from `rule`.
    fn rule_in(&mut self, t: usize, id: &str, rule: Option<&Rule>) -> u32 {
        let known = &mut self.found.tools[t].rules;
        if let Some(at) = known.iter().position(|r| r.id == id) {
            return at as u32;
        }
        known.push(super::detail::Rule {
            id: id.to_owned(),
            description: rule
                .and_then(|r| r.short_text().map(str::to_owned).or_else(|| r.name.clone())),
            help_uri: rule.and_then(|r| r.help_uri.clone()),
            sarif: rule.and_then(Rule::fragment),
        });
        (known.len() - 1) as u32
    }
}

/// A result's message: its `text`, else its `markdown`, else the message
/// string its `id` names (the rule's, else the tool's) with its
/// `arguments` put in for `{0}`, `{1}`…, else the id itself.
fn message_text(message: Option<&Message>, rule: Option<&Rule>, rules: &Rules) -> Option<String> {
    let message = message?;
    if let Some(text) = message.text.clone().or_else(|| message.markdown.clone()) {
        return Some(text);
    }
    let id = message.id.as_deref()?;
    let template = rule
        .and_then(|r| r.message_strings.as_ref()?.get(id))
        .or_else(|| rules.messages.get(id))
        .and_then(|m| m.text.as_deref().or(m.markdown.as_deref()));
    let Some(template) = template else {
        return Some(id.to_owned());
    };
    let arguments: Vec<String> = message
        .arguments
        .iter()
        .flatten()
        .map(|a| match a {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    Some(fill(template, &arguments))
}

/// `template` with `{n}` replaced by `arguments[n]` and `{{`, `}}` by one
/// brace, as SARIF's message strings are written; a placeholder with no
/// argument stays as written.
fn fill(template: &str, arguments: &[String]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(at) = rest.find(['{', '}']) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if let Some(close) = tail.find('}').filter(|_| tail.starts_with('{')) {
            if let Some(arg) = tail[1..close]
                .parse::<usize>()
                .ok()
                .and_then(|n| arguments.get(n))
            {
                out.push_str(arg);
                rest = &tail[close + 1..];
                continue;
            }
        }
        out.push_str(&tail[..1]);
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

/// What a run says of its tool.
#[derive(Default)]
struct ToolInfo {
    name: String,
    version: Option<String>,
    information_uri: Option<String>,
}

/// How deep a chain of `uriBaseId`s is followed.
const MAX_BASE_DEPTH: usize = 8;

/// The project-relative path `uri` (read against `base`) names, if it
/// names a file in the project.
fn resolve(
    uri: &str,
    base: Option<&str>,
    bases: &HashMap<String, ArtifactLocation>,
    places: Places<'_>,
) -> Option<String> {
    let absolute = absolute(uri, base, bases, places, 0)?;
    relative(&normal(&absolute), places.root).or_else(|| {
        // The log may name the project through a symbolic link.
        let real = std::fs::canonicalize(&absolute).ok()?;
        let root = std::fs::canonicalize(places.root).ok()?;
        relative(&real, &root)
    })
}

fn absolute(
    uri: &str,
    base: Option<&str>,
    bases: &HashMap<String, ArtifactLocation>,
    places: Places<'_>,
    depth: usize,
) -> Option<PathBuf> {
    if depth > MAX_BASE_DEPTH {
        return None;
    }
    if let Some((scheme, rest)) = split_scheme(uri) {
        if !scheme.eq_ignore_ascii_case("file") {
            return None;
        }
        // file:///p, file://localhost/p, file:/p
        let path = match rest.strip_prefix("//") {
            Some(authority_path) => {
                let slash = authority_path.find('/')?;
                let host = &authority_path[..slash];
                if !(host.is_empty() || host.eq_ignore_ascii_case("localhost")) {
                    return None;
                }
                &authority_path[slash..]
            }
            None => rest,
        };
        let path = percent_decode(path.split(['?', '#']).next()?)?;
        return path.starts_with('/').then(|| PathBuf::from(path));
    }
    let reference = percent_decode(uri.split(['?', '#']).next()?)?;
    if reference.starts_with('/') {
        return Some(PathBuf::from(reference));
    }
    let dir = match base.and_then(|b| bases.get(b)) {
        Some(ArtifactLocation {
            uri: Some(base_uri),
            uri_base_id,
            ..
        }) => absolute(base_uri, uri_base_id.as_deref(), bases, places, depth + 1)?,
        // A base the log does not define (`%SRCROOT%`), or none: where the
        // tool ran; but a file that is not there and is at the project
        // root (a tool run from a subfolder may name files from the
        // root), there, as coverage reports' paths are read.
        _ => {
            let here = places.dir.join(&reference);
            let at_root = places.root.join(&reference);
            if places.dir != places.root
                && here.symlink_metadata().is_err()
                && at_root.symlink_metadata().is_ok()
            {
                return Some(at_root);
            }
            return Some(here);
        }
    };
    Some(dir.join(reference))
}

/// `uri`'s scheme and the rest, when it starts with one (RFC 3986:
/// a letter, then letters, digits, `+`, `-`, `.`, then `:`).
fn split_scheme(uri: &str) -> Option<(&str, &str)> {
    let colon = uri.find(':')?;
    let scheme = &uri[..colon];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then(|| (scheme, &uri[colon + 1..]))
}

/// `%XX` escapes decoded; `None` when one is malformed or the result is
/// not UTF-8 or holds a NUL.
fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return (!text.contains('\0')).then(|| text.to_owned());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok().filter(|s| !s.contains('\0'))
}

/// The log: `runs` is all it needs.
struct LogSeed<'t, 'f, 'p> {
    tally: &'t mut Tally<'f, 'p>,
}

impl<'de> DeserializeSeed<'de> for LogSeed<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LogSeed<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a SARIF log")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut runs = false;
        while let Some(key) = map.next_key::<Cow<'_, str>>()? {
            if key == "runs" && !runs {
                runs = true;
                map.next_value_seed(RunsSeed {
                    tally: &mut *self.tally,
                })?;
            } else if key == "runs" {
                return Err(de::Error::duplicate_field("runs"));
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if !runs {
            return Err(de::Error::missing_field("runs"));
        }
        Ok(())
    }
}

/// The runs, one after another.
struct RunsSeed<'t, 'f, 'p> {
    tally: &'t mut Tally<'f, 'p>,
}

impl<'de> DeserializeSeed<'de> for RunsSeed<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RunsSeed<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of runs")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut r = 0;
        while seq
            .next_element_seed(RunSeed {
                tally: &mut *self.tally,
                index: r,
            })?
            .is_some()
        {
            r += 1;
        }
        Ok(())
    }
}

/// One run: its tool's rules, and its results judged against them.
struct RunSeed<'t, 'f, 'p> {
    tally: &'t mut Tally<'f, 'p>,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for RunSeed<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RunSeed<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a SARIF run")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut rules: Option<Rules> = None;
        let mut tool = ToolInfo::default();
        let mut bases: HashMap<String, ArtifactLocation> = HashMap::new();
        let mut artifacts: Vec<Artifact> = Vec::new();
        // Results read before the tool's rules came, in order.
        let mut waiting: Vec<SarifResult> = Vec::new();
        let mut judged = 0usize;
        while let Some(key) = map.next_key::<Cow<'_, str>>()? {
            match key.as_ref() {
                "tool" if rules.is_none() => {
                    let SarifTool { driver } = map.next_value()?;
                    tool = ToolInfo {
                        name: driver.name.unwrap_or_default(),
                        version: driver.version.or(driver.semantic_version),
                        information_uri: driver.information_uri,
                    };
                    let ready =
                        Rules::new(driver.rules, driver.message_strings.unwrap_or_default());
                    for result in waiting.drain(..) {
                        if let Err(e) = self.tally.judge(self.index, judged, result, &ready) {
                            return Err(self.tally.fail(e));
                        }
                        judged += 1;
                    }
                    rules = Some(ready);
                }
                "tool" => return Err(de::Error::duplicate_field("tool")),
                "results" => {
                    map.next_value_seed(ResultsSeed {
                        tally: &mut *self.tally,
                        run: self.index,
                        rules: rules.as_ref(),
                        waiting: &mut waiting,
                        judged: &mut judged,
                    })?;
                }
                "artifacts" if self.tally.collector.is_some() => {
                    artifacts = map
                        .next_value::<Option<Vec<Artifact>>>()?
                        .unwrap_or_default();
                }
                "originalUriBaseIds" if self.tally.collector.is_some() => {
                    bases = map
                        .next_value::<Option<HashMap<String, ArtifactLocation>>>()?
                        .unwrap_or_default();
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let Some(rules) = rules else {
            return Err(de::Error::missing_field("tool"));
        };
        if let Some(collector) = &mut self.tally.collector {
            collector.finish_run(&tool, &rules, &bases, &artifacts);
        }
        Ok(())
    }
}

/// A run's results: judged one by one when the rules are known, kept in
/// `waiting` until they are otherwise.
struct ResultsSeed<'a, 'f, 'p> {
    tally: &'a mut Tally<'f, 'p>,
    run: usize,
    rules: Option<&'a Rules>,
    waiting: &'a mut Vec<SarifResult>,
    judged: &'a mut usize,
}

impl<'de> DeserializeSeed<'de> for ResultsSeed<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for ResultsSeed<'_, '_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of results or null")
    }

    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(result) = seq.next_element::<SarifResult>()? {
            match self.rules {
                Some(rules) => {
                    if let Err(e) = self.tally.judge(self.run, *self.judged, result, rules) {
                        return Err(self.tally.fail(e));
                    }
                    *self.judged += 1;
                }
                None => self.waiting.push(result),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The start lines of the results located in `path`.
    fn starts(found: &Findings, path: &str) -> Vec<u32> {
        found.lines[path].iter().map(|p| p.line).collect()
    }

    const LOG: &str = r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"t","rules":[
        {"id":"A","defaultConfiguration":{"level":"error"},"properties":{"security-severity":"9.8"}},
        {"id":"B","properties":{"security-severity":7.0}},
        {"id":"C"}]}},
      "results":[
        {"ruleId":"A","message":{"text":"x"}},
        {"ruleId":"B","ruleIndex":1,"level":"note","message":{"text":"x"}},
        {"ruleId":"C","level":"error","message":{"text":"x"}},
        {"ruleId":"C","message":{"text":"x"},"properties":{"security-severity":"3.9"}}]}]}"#;

    fn n(filter: &Filter) -> Result<u64, String> {
        count(LOG.as_bytes(), filter)
    }

    #[test]
    fn levels_and_severities_filter_results() {
        assert_eq!(n(&Filter::default()), Ok(4));
        let levels = |l: &[Level]| Filter {
            levels: l.to_vec(),
            severities: vec![],
        };
        let sev = |s: &[Severity]| Filter {
            levels: vec![],
            severities: s.to_vec(),
        };
        assert_eq!(n(&levels(&[Level::Error])), Ok(2));
        assert_eq!(n(&levels(&[Level::Warning])), Ok(1));
        assert_eq!(n(&sev(&[Severity::Critical])), Ok(1));
        // 7.0 is high; C at error with no score falls back to high.
        assert_eq!(n(&sev(&[Severity::High])), Ok(2));
        assert_eq!(n(&sev(&[Severity::Low])), Ok(1));
        assert_eq!(
            n(&Filter {
                levels: vec![Level::Error],
                severities: vec![Severity::High]
            }),
            Ok(1)
        );
    }

    #[test]
    fn results_before_their_tool_count_the_same() {
        let reordered = r#"{"runs":[{"results":[
            {"ruleId":"A","message":{"text":"x"}},
            {"ruleIndex":1,"level":"note"},
            {"ruleId":"C","level":"error"}],
          "tool":{"driver":{"rules":[
            {"id":"A","defaultConfiguration":{"level":"error"},"properties":{"security-severity":"9.8"}},
            {"id":"B","properties":{"security-severity":7.0}}]}}},
          {"tool":{"driver":{}},"results":null}]}"#;
        let errors = Filter {
            levels: vec![Level::Error],
            severities: vec![],
        };
        assert_eq!(count(reordered.as_bytes(), &errors), Ok(2));
        let high = Filter {
            levels: vec![],
            severities: vec![Severity::High],
        };
        assert_eq!(count(reordered.as_bytes(), &high), Ok(2));
        assert!(count(r#"{"runs":[{"results":[]}]}"#.as_bytes(), &errors)
            .unwrap_err()
            .contains("missing field `tool`"));
    }

    #[test]
    fn bands_are_githubs() {
        assert_eq!(Severity::of_score(9.0), Severity::Critical);
        assert_eq!(Severity::of_score(8.9), Severity::High);
        assert_eq!(Severity::of_score(6.9), Severity::Medium);
        assert_eq!(Severity::of_score(3.9), Severity::Low);
        assert_eq!(Severity::of_score(0.0), Severity::None);
    }

    #[test]
    fn bad_logs_are_errors() {
        let f = Filter::default();
        assert!(count(&LOG.as_bytes()[..LOG.len() / 2], &f)
            .unwrap_err()
            .contains("truncated"));
        assert!(count(r#"{"a": 1}"#.as_bytes(), &f)
            .unwrap_err()
            .contains("not a SARIF log"));
        let unscored = r#"{"runs":[{"tool":{"driver":{}},"results":[{"level":"error"}]}]}"#;
        let high = Filter {
            levels: vec![],
            severities: vec![Severity::High],
        };
        assert!(count(unscored.as_bytes(), &high)
            .unwrap_err()
            .contains("security-severity"));
        let clean = r#"{"runs":[{"tool":{"driver":{}},"results":[]}]}"#;
        assert_eq!(count(clean.as_bytes(), &high), Ok(0));
        let bad_level = r#"{"runs":[{"tool":{"driver":{}},"results":[{"level":"fatal"}]}]}"#;
        assert!(count(bad_level.as_bytes(), &f).is_err());
    }

    fn located(log: &str) -> (u64, Findings) {
        let places = Places {
            dir: Path::new("/repo/sub"),
            root: Path::new("/repo"),
        };
        read(log.as_bytes(), &Filter::default(), places).unwrap()
    }

    #[test]
    fn results_are_located_in_the_project() {
        let log = r#"{"runs":[{"tool":{"driver":{"name":"ruff","version":"0.5.0",
            "informationUri":"https://docs.astral.sh/ruff",
            "rules":[{"id":"F401","shortDescription":{"text":"unused import"},"helpUri":"https://x/F401"}]}},
          "results":[
            {"ruleId":"F401","level":"error","message":{"text":"`os` imported but unused"},
             "locations":[{"physicalLocation":{"artifactLocation":{"uri":"file:///repo/src/a%20b.py"},
               "region":{"startLine":3,"startColumn":8,"endLine":3}}}]},
            {"ruleId":"F401","message":{"text":"rel"},
             "locations":[{"physicalLocation":{"artifactLocation":{"uri":"../lib/c.py"},"region":{"startLine":7}}}]},
            {"ruleId":"F401","message":{"text":"based"},
             "locations":[{"physicalLocation":{"artifactLocation":{"uri":"d.py","uriBaseId":"SRC"},"region":{"startLine":1,"startColumn":-4}}}]},
            {"ruleId":"X","message":{"text":"outside"},
             "locations":[{"physicalLocation":{"artifactLocation":{"uri":"file:///etc/passwd"}}}]},
            {"message":{"text":"nowhere"}},
            {"message":{"text":"web"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"https://example.com/a.py"}}}]}],
          "originalUriBaseIds":{"SRC":{"uri":"file:///repo/pkg/"}}}]}"#;
        let (n, found) = located(log);
        assert_eq!(n, 6);
        assert_eq!(found.total(), 6);
        assert_eq!(found.unlocated, 3);
        assert_eq!(found.omitted, 0);
        let paths: Vec<Option<&str>> = found.items.iter().map(|f| f.path.as_deref()).collect();
        assert_eq!(
            paths,
            [
                Some("src/a b.py"),
                Some("lib/c.py"),
                Some("pkg/d.py"),
                None,
                None,
                None
            ]
        );
        let first = &found.items[0];
        assert_eq!(
            (first.line, first.column, first.end_line),
            (Some(3), Some(8), Some(3))
        );
        assert_eq!(first.level, "error");
        assert_eq!(first.uri.as_deref(), Some("file:///repo/src/a%20b.py"));
        // No level: the default, warning; a negative column is absent.
        assert_eq!(found.items[2].level, "warning");
        assert_eq!(found.items[2].column, None);
        assert_eq!(found.tools.len(), 1);
        let tool = &found.tools[0];
        assert_eq!(
            (tool.name.as_str(), tool.version.as_deref()),
            ("ruff", Some("0.5.0"))
        );
        let ids: Vec<&str> = tool.rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["F401", "X"]);
        assert_eq!(tool.rules[0].description.as_deref(), Some("unused import"));
        assert_eq!(starts(&found, "src/a b.py"), [3]);
        assert_eq!(starts(&found, "pkg/d.py"), [1]);
        assert_eq!(found.lines.len(), 3);
    }

    #[test]
    fn message_strings_are_filled_in() {
        let args = ["X".to_owned(), "Y".to_owned()];
        assert_eq!(
            fill("a {0} b {1} {{0}} }} {2} {x", &args),
            "a X b Y {0} } {2} {x"
        );
        assert_eq!(fill("été {0}", &args), "été X");
    }

    #[test]
    fn a_result_keeps_its_region_end_and_what_code_scanning_reads() {
        let log = r#"{"runs":[{"tool":{"driver":{"name":"t","rules":[
            {"id":"R","help":{"text":"h"},"properties":{"tags":["x"]}}]}},"results":[
            {"ruleId":"R","message":{"text":"m"},"partialFingerprints":{"k":"v"},
             "locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.py"},
               "region":{"startLine":3,"endLine":6,"endColumn":2,"snippet":{"text":"s"}}}}]}]}]}"#;
        let (_, found) = located(log);
        let p = found.lines["sub/a.py"][0];
        assert_eq!((p.line, p.end_line, p.kept), (3, 6, true));
        let kept = found.items[0].sarif.as_ref().unwrap();
        assert_eq!(
            kept["region"],
            serde_json::json!({"endColumn": 2, "snippet": {"text": "s"}})
        );
        assert_eq!(kept["partialFingerprints"], serde_json::json!({"k": "v"}));
        let rule = found.tools[0].rules[0].sarif.as_ref().unwrap();
        assert_eq!(rule["help"], serde_json::json!({"text": "h"}));
        assert_eq!(rule["properties"], serde_json::json!({"tags": ["x"]}));
    }

    #[test]
    fn what_is_kept_is_bounded_and_every_result_keeps_its_line() {
        let mut log = String::from(r#"{"runs":[{"tool":{"driver":{"name":"t"}},"results":["#);
        let n = KEPT + 7;
        for i in 0..n {
            if i > 0 {
                log.push(',');
            }
            log.push_str(&format!(
                r#"{{"ruleId":"R","message":{{"text":"m{i}"}},"locations":[{{"physicalLocation":{{"artifactLocation":{{"uri":"a.py"}},"region":{{"startLine":{}}}}}}}]}}"#,
                i + 1
            ));
        }
        log.push_str("]}]}");
        let (count, found) = located(&log);
        assert_eq!(count, n as u64);
        assert_eq!(found.items.len(), KEPT);
        assert_eq!(found.omitted, 7);
        assert_eq!(found.lines["sub/a.py"].len(), n);
        let last = found.lines["sub/a.py"][n - 1];
        assert_eq!((last.line, last.kept, last.rule), (n as u32, false, 1));
        assert!(found.lines["sub/a.py"][KEPT - 1].kept);
        assert_eq!(found.rule_of(&last).map(|r| r.id.as_str()), Some("R"));
    }

    #[test]
    fn only_counted_results_are_located_and_the_tool_may_come_last() {
        let log = r#"{"runs":[{"results":[
            {"ruleId":"A","level":"error","message":{"text":"kept"},
             "locations":[{"physicalLocation":{"artifactLocation":{"uri":"x.py"}}}]},
            {"ruleId":"A","level":"note","message":{"text":"not counted"}}],
          "tool":{"driver":{"name":"late","semanticVersion":"2.0"}}}]}"#;
        let errors = Filter {
            levels: vec![Level::Error],
            severities: vec![],
        };
        let places = Places {
            dir: Path::new("/repo"),
            root: Path::new("/repo"),
        };
        let (n, found) = read(log.as_bytes(), &errors, places).unwrap();
        assert_eq!(n, 1);
        assert_eq!(found.items.len(), 1);
        assert_eq!(found.items[0].message, "kept");
        assert_eq!(found.items[0].path.as_deref(), Some("x.py"));
        // Named the file only: line 0.
        assert_eq!(starts(&found, "x.py"), [0]);
        assert_eq!(found.tools[0].version.as_deref(), Some("2.0"));
    }

    #[test]
    fn uris_outside_the_project_or_malformed_have_no_path() {
        let places = Places {
            dir: Path::new("/repo"),
            root: Path::new("/repo"),
        };
        let none = HashMap::new();
        let r = |uri: &str| resolve(uri, None, &none, places);
        assert_eq!(r("file:///repo/a.py").as_deref(), Some("a.py"));
        assert_eq!(
            r("file://localhost/repo/./b/../a.py").as_deref(),
            Some("a.py")
        );
        assert_eq!(r("file:/repo/a.py").as_deref(), Some("a.py"));
        assert_eq!(r("/repo/a.py").as_deref(), Some("a.py"));
        assert_eq!(r("file://server/repo/a.py"), None);
        assert_eq!(r("file:///repo"), None);
        assert_eq!(r("file:///repository/a.py"), None);
        assert_eq!(r("../outside.py"), None);
        assert_eq!(r("a%zz.py"), None);
        assert_eq!(r("a%00.py"), None);
        assert_eq!(r("C:/x.py"), None);
    }
}
