//! SARIF 2.1.0 (OASIS): every finding of the run, in the format
//! code-scanning services read (GitHub's `upload-sarif`, GitLab, IDE
//! viewers), so that one upload covers them all.
//!
//! The builtins' findings are the first run, its tool `pqg`, one rule per
//! builtin rule of each builtin gate that ran, its id `GATE/RULE`. A
//! finding of a gate that blocks the stage is an `error`, any other a
//! `warning`. The fingerprint that allow lists use is the result's partial
//! fingerprint, so a service tracks a finding across moves the same way pqg
//! does.
//!
//! Then one run per tool whose results a `sarif` metric counted (by name
//! and version), whichever gates and metrics read them: its own driver
//! name, version and rules, its results with their own rule ids and
//! levels, each once, located relative to the project root like the
//! builtins'. A result that names no place in the project is left out (a
//! code-scanning service cannot show it); the run's `pqgSources` property
//! says, per gate and metric, how many were left out so and how many were
//! past what pqg keeps. Command gates' verdicts are in the other reports.

use super::located::NOT_KEPT;
use super::{GateReport, Report};
use crate::judge::GateStatus;
use crate::parsers::detail::{Rule, Tool};
use crate::plan::Enforcement;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{self, Write};

/// Writes `report` as a SARIF log.
pub(crate) fn render(report: &Report, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &log(report))?;
    writeln!(out)
}

fn log(report: &Report) -> Value {
    let mut rules = Vec::new();
    let mut results = Vec::new();
    for gate in report.gates.iter().filter(|g| g.builtin.is_some()) {
        let first_rule = rules.len();
        for rule in &gate.rules {
            rules.push(json!({
                "id": format!("{}/{}", gate.name, rule.id),
                "name": rule.id,
                "shortDescription": { "text": rule.description },
                "properties": { "pqgGate": gate.name, "pqgBuiltin": gate.builtin },
            }));
        }
        let level = level(gate);
        for finding in gate.findings.iter().flatten() {
            let index = gate
                .rules
                .iter()
                .position(|r| r.id == finding.rule)
                .map(|i| first_rule + i);
            let mut location = json!({
                "physicalLocation": {
                    "artifactLocation": { "uri": uri(&finding.file), "uriBaseId": "SRCROOT" },
                }
            });
            if let Some(line) = finding.line {
                let mut region = json!({ "startLine": line });
                if let Some(column) = finding.column {
                    region["startColumn"] = json!(column);
                }
                location["physicalLocation"]["region"] = region;
            }
            let mut result = json!({
                "ruleId": format!("{}/{}", gate.name, finding.rule),
                "level": level,
                "message": { "text": crate::fmt::plain_text(&finding.message) },
                "locations": [location],
            });
            if let Some(i) = index {
                result["ruleIndex"] = json!(i);
            }
            if let Some(fp) = &finding.fingerprint {
                result["partialFingerprints"] = json!({ "pqgFingerprint/v1": fp });
            }
            results.push(result);
        }
    }
    let mut runs = vec![json!({
            "tool": {
                "driver": {
                    "name": "pqg",
                    "version": report.pqg_version,
                    "semanticVersion": report.pqg_version,
                    "rules": rules,
                }
            },
            "automationDetails": { "id": format!("pqg/{}/{}", report.stage, report.run_id) },
            "invocations": [{
                "executionSuccessful": report.exit_code <= 1,
                "exitCode": report.exit_code,
            }],
            "results": results,
            "properties": { "stage": report.stage, "outcome": report.outcome },
    })];
    runs.extend(tool_runs(report));
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": runs,
    })
}

/// What makes two results one: rule, file, line, column, message.
type ResultKey<'a> = (Option<&'a str>, &'a str, Option<u32>, Option<u32>, &'a str);

/// One tool's results, gathered from every metric that counted some.
struct ToolRun<'a> {
    tool: &'a Tool,
    rules: Vec<&'a Rule>,
    results: Vec<Value>,
    /// What a result is, to keep each once: the metric (its number in
    /// the report) that first wrote each. Two metrics counting one result
    /// write it once; two results of one metric alike without their
    /// messages (past what pqg keeps) stay two.
    seen: HashMap<ResultKey<'a>, usize>,
    sources: Vec<Value>,
}

/// A run per tool the `sarif` metrics read, in the order first met.
fn tool_runs(report: &Report) -> Vec<Value> {
    let mut runs: Vec<ToolRun<'_>> = Vec::new();
    let mut source = 0usize;
    for gate in &report.gates {
        for metric in &gate.metrics {
            let Some(found) = &metric.findings else {
                continue;
            };
            source += 1;
            for (t, tool) in found.tools.iter().enumerate() {
                let at = match runs
                    .iter()
                    .position(|r| r.tool.name == tool.name && r.tool.version == tool.version)
                {
                    Some(at) => at,
                    None => {
                        runs.push(ToolRun {
                            tool,
                            rules: Vec::new(),
                            results: Vec::new(),
                            seen: HashMap::new(),
                            sources: Vec::new(),
                        });
                        runs.len() - 1
                    }
                };
                let run = &mut runs[at];
                run.sources.push(json!({
                    "gate": gate.name,
                    "metric": metric.name,
                    "unlocated": found.unlocated,
                    "notKept": found.omitted,
                }));
                for rule in &tool.rules {
                    if !run.rules.iter().any(|r| r.id == rule.id) {
                        run.rules.push(rule);
                    }
                }
                for item in found.items.iter().filter(|i| i.tool == t) {
                    let Some(path) = item.path.as_deref() else {
                        continue;
                    };
                    let key = (
                        item.rule.as_deref(),
                        path,
                        item.line,
                        item.column,
                        item.message.as_str(),
                    );
                    if *run.seen.entry(key).or_insert(source) != source {
                        continue;
                    }
                    let place = Located {
                        path,
                        line: item.line,
                        column: item.column,
                        end_line: item.end_line,
                        level: &item.level,
                        rule: item.rule.as_deref(),
                        message: &item.message,
                    };
                    let result = place.result(run, item.sarif.as_ref(), &gate.name, &metric.name);
                    run.results.push(result);
                }
                // Those past the kept ones: their place and rule, and the
                // rule's description for a message.
                for (path, p) in found.not_kept().filter(|(_, p)| p.tool as usize == t) {
                    let rule = found.rule_of(p);
                    let message = rule
                        .and_then(|r| r.description.as_deref())
                        .filter(|d| !d.is_empty())
                        .unwrap_or(NOT_KEPT);
                    let place = Located {
                        path,
                        line: (p.line > 0).then_some(p.line),
                        column: (p.column > 0).then_some(p.column),
                        end_line: (p.end_line > p.line).then_some(p.end_line),
                        level: p.level_name(),
                        rule: rule.map(|r| r.id.as_str()),
                        message,
                    };
                    let key = (place.rule, path, place.line, place.column, message);
                    if *run.seen.entry(key).or_insert(source) != source {
                        continue;
                    }
                    let result = place.result(run, None, &gate.name, &metric.name);
                    run.results.push(result);
                }
            }
        }
    }
    runs.into_iter()
        .map(|run| {
            let mut driver = json!({
                // A code-scanning service needs a name to file results under.
                "name": if run.tool.name.trim().is_empty() { "unnamed tool" } else { run.tool.name.as_str() },
                "rules": run.rules.iter().map(|r| rule(r)).collect::<Vec<_>>(),
            });
            if let Some(v) = &run.tool.version {
                driver["version"] = json!(v);
            }
            if let Some(u) = run.tool.information_uri.as_deref().filter(|u| web_uri(u)) {
                driver["informationUri"] = json!(u);
            }
            json!({
                "tool": { "driver": driver },
                "results": run.results,
                "properties": { "pqgSources": run.sources },
            })
        })
        .collect()
}

/// A tool's rule as its log described it: what code scanning reads
/// (descriptions, help, default level, properties such as
/// `security-severity` and `tags`), each part only when it has the shape
/// SARIF gives it.
fn rule(r: &Rule) -> Value {
    let kept = r.sarif.as_ref();
    let part = |name: &str| kept.and_then(|m| m.get(name));
    let mut rule = json!({ "id": r.id });
    if let Some(name) = part("name").and_then(Value::as_str) {
        rule["name"] = json!(name);
    }
    for name in ["shortDescription", "fullDescription", "help"] {
        if let Some(message) = part(name).and_then(message) {
            rule[name] = message;
        }
    }
    if rule.get("shortDescription").is_none() {
        if let Some(d) = r.description.as_deref().filter(|d| !d.is_empty()) {
            rule["shortDescription"] = json!({ "text": crate::fmt::plain_text(d) });
        }
    }
    if let Some(help) = r.help_uri.as_deref().filter(|u| web_uri(u)) {
        rule["helpUri"] = json!(help);
    }
    if let Some(level) = part("defaultConfiguration")
        .and_then(|c| c.get("level"))
        .and_then(Value::as_str)
        .filter(|l| matches!(*l, "none" | "note" | "warning" | "error"))
    {
        rule["defaultConfiguration"] = json!({ "level": level });
    }
    if let Some(properties) = part("properties").filter(|p| p.is_object()) {
        rule["properties"] = properties.clone();
    }
    rule
}

/// A SARIF message (`text`, `markdown`) as written, when it has a text.
fn message(value: &Value) -> Option<Value> {
    let text = value.get("text")?.as_str()?;
    let mut out = json!({ "text": crate::fmt::plain_text(text) });
    if let Some(md) = value.get("markdown").and_then(Value::as_str) {
        out["markdown"] = json!(md);
    }
    Some(out)
}

/// One result to write: where it is, its rule, level and message.
struct Located<'a> {
    path: &'a str,
    line: Option<u32>,
    column: Option<u32>,
    end_line: Option<u32>,
    level: &'a str,
    rule: Option<&'a str>,
    message: &'a str,
}

impl Located<'_> {
    /// The result, with what code scanning reads of it as the log wrote
    /// it (`kept`): the rest of its region, its fingerprints, its
    /// properties.
    fn result(
        &self,
        run: &ToolRun<'_>,
        kept: Option<&serde_json::Map<String, Value>>,
        gate: &str,
        metric: &str,
    ) -> Value {
        let part = |name: &str| kept.and_then(|m| m.get(name));
        let mut location = json!({
            "physicalLocation": {
                "artifactLocation": { "uri": uri(self.path), "uriBaseId": "SRCROOT" },
            }
        });
        if let Some(line) = self.line {
            let mut region = json!({ "startLine": line });
            if let Some(column) = self.column {
                region["startColumn"] = json!(column);
            }
            let end = self.end_line.filter(|&e| e > line);
            if let Some(end) = end {
                region["endLine"] = json!(end);
            }
            let written = part("region");
            let positive = |name: &str| {
                written
                    .and_then(|r| r.get(name))
                    .and_then(Value::as_u64)
                    .filter(|&n| n >= 1)
            };
            let spans_lines = end.is_some();
            if let Some(end_column) = positive("endColumn")
                .filter(|&c| spans_lines || c >= u64::from(self.column.unwrap_or(1)))
            {
                region["endColumn"] = json!(end_column);
            }
            if let Some(snippet) = written.and_then(|r| r.get("snippet")).and_then(message) {
                region["snippet"] = snippet;
            }
            location["physicalLocation"]["region"] = region;
        }
        let mut properties = match part("properties") {
            Some(Value::Object(p)) => p.clone(),
            _ => serde_json::Map::new(),
        };
        properties.insert("pqgGate".to_owned(), json!(gate));
        properties.insert("pqgMetric".to_owned(), json!(metric));
        let mut result = json!({
            "level": sarif_level(self.level),
            "message": { "text": crate::fmt::plain_text(self.message) },
            "locations": [location],
            "properties": properties,
        });
        for name in ["partialFingerprints", "fingerprints"] {
            if let Some(Value::Object(prints)) = part(name) {
                if prints.values().all(Value::is_string) && !prints.is_empty() {
                    result[name] = Value::Object(prints.clone());
                }
            }
        }
        if let Some(rule) = self.rule {
            result["ruleId"] = json!(rule);
            if let Some(i) = run.rules.iter().position(|r| r.id == rule) {
                result["ruleIndex"] = json!(i);
            }
        }
        result
    }
}

/// Whether `uri` is a web address, as a rule's `helpUri` and a tool's
/// `informationUri` must be absolute URIs; anything else is left out.
fn web_uri(uri: &str) -> bool {
    (uri.starts_with("https://") || uri.starts_with("http://"))
        && !uri.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A SARIF level as read (`error`, `warning`, `note`, `none`); anything
/// else, which the reader never lets through, as `warning`.
fn sarif_level(level: &str) -> &'static str {
    match level {
        "error" => "error",
        "note" => "note",
        "none" => "none",
        _ => "warning",
    }
}

fn level(gate: &GateReport) -> &'static str {
    let blocks = gate.enforcement == Some(Enforcement::Block)
        && matches!(gate.status, GateStatus::Fail | GateStatus::Error);
    if blocks {
        "error"
    } else {
        "warning"
    }
}

/// A relative path as a URI reference: each segment percent-encoded where
/// RFC 3986 requires it.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri("src/a b/é.rs"), "src/a%20b/%C3%A9.rs");
        assert_eq!(uri("x/y-z_1.txt"), "x/y-z_1.txt");
    }
}
