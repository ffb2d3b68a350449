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

use super::detail::{Finding, Findings, Tool, KEPT, MESSAGE_CHARS};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

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
}

#[derive(Deserialize)]
struct Rule {
    id: Option<String>,
    name: Option<String>,
    #[serde(rename = "defaultConfiguration")]
    default_configuration: Option<Configuration>,
    properties: Option<Properties>,
    #[serde(rename = "shortDescription")]
    short_description: Option<Message>,
    #[serde(rename = "helpUri")]
    help_uri: Option<String>,
}

#[derive(Deserialize)]
struct Configuration {
    level: Option<String>,
}

#[derive(Deserialize)]
struct Properties {
    #[serde(rename = "security-severity")]
    security_severity: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct SarifResult {
    #[serde(rename = "ruleId")]
    rule_id: Option<String>,
    #[serde(rename = "ruleIndex")]
    rule_index: Option<usize>,
    rule: Option<RuleReference>,
    level: Option<String>,
    properties: Option<Properties>,
    message: Option<Message>,
    locations: Option<Vec<Location>>,
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
}

fn position<'de, D: de::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(value
        .as_u64()
        .filter(|&n| n >= 1)
        .and_then(|n| u32::try_from(n).ok()))
}

fn score(properties: Option<&Properties>) -> Result<Option<f64>, String> {
    let Some(value) = properties.and_then(|p| p.security_severity.as_ref()) else {
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
}

impl Rules {
    fn new(rules: Vec<Rule>) -> Rules {
        let mut by_id = std::collections::HashMap::new();
        for (i, rule) in rules.iter().enumerate() {
            if let Some(id) = &rule.id {
                // The first rule of an id, as a search from the front finds.
                by_id.entry(id.clone()).or_insert(i);
            }
        }
        Rules { rules, by_id }
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
            .or_else(|| rule.and_then(|x| x.default_configuration.as_ref()?.level.as_deref()))
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
/// them (a URI and its base), each distinct one once, and resolved when the
/// run ends: the run's `originalUriBaseIds` may come after its results.
struct Collector<'p> {
    places: Places<'p>,
    found: Findings,
    run: RunPlaces,
}

/// One run's counted results, before their places are resolved.
#[derive(Default)]
struct RunPlaces {
    /// Each distinct (base, URI), numbered by first appearance.
    index: HashMap<(Option<String>, String), usize>,
    /// Per key, the start line of each result there (0: none).
    lines: Vec<Vec<u32>>,
    /// Kept results: the item (its path not yet known), its key, its rule.
    kept: Vec<(Finding, Option<usize>, Option<usize>)>,
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
        let (line, column, end_line) = region.map_or((None, None, None), |r| {
            (r.start_line, r.start_line.and(r.start_column), r.end_line)
        });
        let uri = artifact.as_ref().and_then(|a| a.uri.clone());
        let key = match artifact {
            Some(ArtifactLocation {
                uri: Some(uri),
                uri_base_id,
            }) => {
                let key = (uri_base_id, uri);
                let next = self.run.index.len();
                let k = *self.run.index.entry(key).or_insert(next);
                if k == next {
                    self.run.lines.push(Vec::new());
                }
                self.run.lines[k].push(line.unwrap_or(0));
                Some(k)
            }
            _ => {
                self.run.no_place += 1;
                None
            }
        };
        if self.found.items.len() + self.run.kept.len() >= KEPT {
            self.found.omitted += 1;
            return;
        }
        let message = result
            .message
            .and_then(|m| m.text.or(m.markdown))
            .or_else(|| rule.and_then(|r| r.short_description.as_ref()?.text.clone()))
            .unwrap_or_default();
        let message = match message.char_indices().nth(MESSAGE_CHARS) {
            Some((cut, _)) => format!("{}…", &message[..cut]),
            None => message,
        };
        let rule_id = result
            .rule_id
            .or_else(|| result.rule.and_then(|r| r.id))
            .or_else(|| rule.and_then(|r| r.id.clone()));
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
        };
        self.run.kept.push((item, key, rule_at));
    }

    /// Resolves the run's places against `bases`, and adds its results to
    /// what was found, with its tool.
    fn finish_run(
        &mut self,
        tool: &ToolInfo,
        rules: &Rules,
        bases: &HashMap<String, ArtifactLocation>,
    ) {
        let run = std::mem::take(&mut self.run);
        let mut paths: Vec<Option<String>> = vec![None; run.index.len()];
        for ((base, uri), k) in &run.index {
            paths[*k] = resolve(uri, base.as_deref(), bases, self.places);
        }
        for (path, lines) in paths.iter().zip(run.lines) {
            match path {
                Some(path) => self
                    .found
                    .lines
                    .entry(path.clone())
                    .or_default()
                    .extend(lines),
                None => self.found.unlocated += lines.len() as u64,
            }
        }
        self.found.unlocated += run.no_place;
        if run.kept.is_empty() {
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
        for (mut item, key, rule_at) in run.kept {
            item.tool = t;
            item.path = key.and_then(|k| paths[k].clone());
            if let Some(id) = &item.rule {
                let known = &mut self.found.tools[t].rules;
                if !known.iter().any(|r| &r.id == id) {
                    let rule = rule_at.map(|k| &rules.rules[k]);
                    known.push(super::detail::Rule {
                        id: id.clone(),
                        description: rule.and_then(|r| {
                            r.short_description
                                .as_ref()
                                .and_then(|d| d.text.clone())
                                .or_else(|| r.name.clone())
                        }),
                        help_uri: rule.and_then(|r| r.help_uri.clone()),
                    });
                }
            }
            self.found.items.push(item);
        }
    }
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
        }) => absolute(base_uri, uri_base_id.as_deref(), bases, places, depth + 1)?,
        // A base the log does not define (`%SRCROOT%`): where the tool ran.
        _ => places.dir.to_path_buf(),
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

/// `path` with `.` and `..` taken out, as written (no link is followed).
fn normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `path` relative to `root`, with `/`; `None` outside it or at it.
fn relative(path: &Path, root: &Path) -> Option<String> {
    let rel = path.strip_prefix(normal(root)).ok()?;
    let parts: Vec<&str> = rel
        .components()
        .map(|c| match c {
            Component::Normal(s) => s.to_str(),
            _ => None,
        })
        .collect::<Option<_>>()?;
    (!parts.is_empty()).then(|| parts.join("/"))
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
                    let ready = Rules::new(driver.rules);
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
            collector.finish_run(&tool, &rules, &bases);
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
        assert_eq!(found.lines["src/a b.py"], [3]);
        assert_eq!(found.lines["pkg/d.py"], [1]);
        assert_eq!(found.lines.len(), 3);
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
        assert_eq!(found.lines["sub/a.py"][n - 1], n as u32);
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
        assert_eq!(found.lines["x.py"], [0]);
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
