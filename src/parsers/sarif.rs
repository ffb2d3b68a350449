//! SARIF 2.1.0 logs (CodeQL, Semgrep, Trivy, checkov, clippy-sarif, ruff,
//! ESLint, …): the number of results, optionally only those at some levels
//! and/or security severities.
//!
//! A result's level is its own `level`, else its rule's
//! `defaultConfiguration.level`, else `warning` (SARIF's default). Its
//! severity comes from the `security-severity` property (GitHub's
//! convention: a CVSS-like score as a string or a number) on the result,
//! else on its rule, banded as GitHub does: critical ≥ 9.0, high 7.0–8.9,
//! medium 4.0–6.9, low 0.1–3.9. A result without a score is banded by its
//! level (error → high, warning → medium, note → low). A log whose results
//! carry no score at all cannot answer a severity question and is an error.

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;
use std::io::Read;

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
struct Tool {
    driver: Component,
}

#[derive(Deserialize)]
struct Component {
    #[serde(default)]
    rules: Vec<Rule>,
}

#[derive(Deserialize)]
struct Rule {
    id: Option<String>,
    #[serde(rename = "defaultConfiguration")]
    default_configuration: Option<Configuration>,
    properties: Option<Properties>,
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
}

#[derive(Deserialize)]
struct RuleReference {
    id: Option<String>,
    index: Option<usize>,
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
    let mut tally = Tally {
        filter,
        total: 0,
        results_seen: 0,
        scored: 0,
        error: None,
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
    Ok(tally.total)
}

/// What the count has seen so far.
struct Tally<'f> {
    filter: &'f Filter,
    total: u64,
    results_seen: u64,
    scored: u64,
    /// Why a result cannot be counted; reading stops at the first.
    error: Option<String>,
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

impl Tally<'_> {
    /// Counts result `i` of run `r` if it passes the filter.
    fn judge(
        &mut self,
        r: usize,
        i: usize,
        result: &SarifResult,
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
        let rule = index.and_then(|k| rules.rules.get(k)).or_else(|| {
            id.and_then(|id| rules.by_id.get(id))
                .map(|&k| &rules.rules[k])
        });
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
        }
        Ok(())
    }

    /// Records why the log cannot be counted, and stops the reading.
    fn fail<E: de::Error>(&mut self, error: String) -> E {
        self.error = Some(error);
        E::custom("the log cannot be counted")
    }
}

/// The log: `runs` is all it needs.
struct LogSeed<'t, 'f> {
    tally: &'t mut Tally<'f>,
}

impl<'de> DeserializeSeed<'de> for LogSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LogSeed<'_, '_> {
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
struct RunsSeed<'t, 'f> {
    tally: &'t mut Tally<'f>,
}

impl<'de> DeserializeSeed<'de> for RunsSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RunsSeed<'_, '_> {
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
struct RunSeed<'t, 'f> {
    tally: &'t mut Tally<'f>,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for RunSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RunSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a SARIF run")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut rules: Option<Rules> = None;
        // Results read before the tool's rules came, in order.
        let mut waiting: Vec<SarifResult> = Vec::new();
        let mut judged = 0usize;
        while let Some(key) = map.next_key::<Cow<'_, str>>()? {
            match key.as_ref() {
                "tool" if rules.is_none() => {
                    let tool: Tool = map.next_value()?;
                    let ready = Rules::new(tool.driver.rules);
                    for result in waiting.drain(..) {
                        if let Err(e) = self.tally.judge(self.index, judged, &result, &ready) {
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
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if rules.is_none() {
            return Err(de::Error::missing_field("tool"));
        }
        Ok(())
    }
}

/// A run's results: judged one by one when the rules are known, kept in
/// `waiting` until they are otherwise.
struct ResultsSeed<'a, 'f> {
    tally: &'a mut Tally<'f>,
    run: usize,
    rules: Option<&'a Rules>,
    waiting: &'a mut Vec<SarifResult>,
    judged: &'a mut usize,
}

impl<'de> DeserializeSeed<'de> for ResultsSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for ResultsSeed<'_, '_> {
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
                    if let Err(e) = self.tally.judge(self.run, *self.judged, &result, rules) {
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
}
