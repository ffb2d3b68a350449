//! SARIF 2.1.0 (OASIS): the builtins' findings, in the format code-scanning
//! services read (GitHub's `upload-sarif`, GitLab, IDE viewers).
//!
//! One run, one tool (`pqg`), one rule per builtin rule of each builtin gate
//! that ran, its id `GATE/RULE`. A finding of a gate that blocks the stage is
//! an `error`, any other a `warning`. The fingerprint that allow lists use is
//! the result's partial fingerprint, so a service tracks a finding across
//! moves the same way pqg does. Command gates have no locations to report
//! and are not in this format; their verdicts are in the other reports.

use super::{GateReport, Report};
use crate::judge::GateStatus;
use crate::plan::Enforcement;
use serde_json::{json, Value};
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
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
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
        }]
    })
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
