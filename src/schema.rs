//! `pqg schema`: a JSON Schema (draft-07) of gates.toml, for editors —
//! Taplo and Even Better TOML complete and check a TOML file against it.
//!
//! It is written out rather than derived, so that it carries descriptions,
//! enums and the shapes pqg accepts (a stage map is a value or a table of
//! stage = value). A test checks it against the config loader itself: every
//! key each table accepts is in the schema, and nothing else is.

use serde_json::{json, Value};

fn stage_map(value: &Value, description: &str) -> Value {
    json!({
        "description": description,
        "anyOf": [
            value,
            {
                "type": "object",
                "description": "per stage, from that stage up: { staging = ..., production = ... }",
                "propertyNames": { "pattern": "^[a-z0-9-]{1,32}$" },
                "additionalProperties": value,
                "minProperties": 1
            }
        ]
    })
}

fn command(description: &str) -> Value {
    json!({
        "description": description,
        "anyOf": [
            { "type": "string", "minLength": 1, "description": "run through `sh -c`" },
            { "type": "array", "items": { "type": "string" }, "minItems": 1, "description": "argv, no shell" }
        ]
    })
}

fn one_or_many(values: &[&str], description: &str) -> Value {
    json!({
        "description": description,
        "anyOf": [
            { "type": "string", "enum": values },
            { "type": "array", "items": { "type": "string", "enum": values } }
        ]
    })
}

const DURATION: &str = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h|d))+$";
const STAGE: &str = "^[a-z0-9-]{1,32}$";

/// The schema.
pub(crate) fn schema() -> Value {
    let number = json!({ "type": "number" });
    let duration = json!({ "type": "string", "pattern": DURATION });
    let stage = json!({ "type": "string", "pattern": STAGE });
    let metric = json!({
        "type": "object",
        "description": "a measured number: exactly one source, then thresholds",
        "additionalProperties": false,
        "properties": {
            "regex": { "type": "string", "description": "first group of the last match in the gate's output" },
            "count": { "type": "string", "description": "number of output lines matching" },
            "json": { "type": "string", "description": "RFC 6901 pointer into the output, or into `file`" },
            "file": { "type": "string", "description": "the JSON file `json` points into" },
            "duration": { "const": true, "description": "the gate's own wall-clock seconds" },
            "lcov": { "type": "string", "description": "line (or `rate`) coverage percent of an LCOV tracefile" },
            "cobertura": { "type": "string", "description": "line (or `rate`) coverage percent of a Cobertura XML report" },
            "rate": { "enum": ["lines", "branches"], "description": "lcov/cobertura: lines hit ÷ lines instrumented (default), or branches taken ÷ branches found" },
            "scope": { "enum": ["all", "new"], "description": "`new`: only lines added or modified since settings.new_code_since (lcov, cobertura: coverage of changed lines; sarif and the findings of secrets/forbidden: results on changed lines)" },
            "junit": { "type": "string", "description": "JUnit XML reports (a path or a glob): pass percent, or `field`" },
            "field": { "enum": ["pass_percent", "tests", "passed", "failures", "errors", "skipped"], "description": "which figure of the JUnit reports" },
            "sarif": { "type": "string", "description": "number of results of a SARIF log" },
            "level": one_or_many(&["none", "note", "warning", "error"], "only SARIF results at these levels"),
            "severity": one_or_many(&["none", "low", "medium", "high", "critical"], "only SARIF results in these security-severity bands"),
            "file_size": { "type": "string", "description": "bytes of this file" },
            "min": stage_map(&number, "lowest value that passes"),
            "max": stage_map(&number, "highest value that passes"),
            "max_regression": stage_map(&
                json!({ "anyOf": [ { "type": "number", "minimum": 0 }, { "type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?\\s*%$" } ] }),
                "how far the value may move the wrong way from gates.baseline.json: \"1%\" or a number"
            ),
            "better": { "enum": ["higher", "lower"] },
            "unit": { "type": "string", "description": "shown after the value" }
        }
    });
    let rule = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["id", "regex"],
        "properties": {
            "id": { "type": "string", "pattern": "^[A-Za-z0-9_.-]+$" },
            "description": { "type": "string" },
            "regex": { "type": "string", "description": "Rust regex; a `secret` group (or the first group) is the secret" },
            "keywords": { "type": "array", "items": { "type": "string" }, "description": "one of these must appear in a file (any case) before the regex runs" },
            "entropy": { "type": "number", "minimum": 0, "maximum": 8, "description": "minimum Shannon entropy of the secret, bits per byte" }
        }
    });
    let pattern = json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "id": { "type": "string" },
            "pattern": { "type": "string", "description": "literal text" },
            "regex": { "type": "string", "description": "a Rust regex" },
            "message": { "type": "string" }
        }
    });
    let gate = json!({
        "type": "object",
        "description": "a gate: a command or a built-in check, and when it runs",
        "additionalProperties": false,
        "properties": {
            "description": { "type": "string" },
            "run": command("the command"),
            "builtin": { "enum": ["secrets", "conflict-markers", "large-files", "forbidden", "syntax"] },
            "from": stage.clone(),
            "enforce_from": stage.clone(),
            "needs": { "type": "array", "items": { "type": "string" } },
            "inputs": { "type": "array", "items": { "type": "string" }, "description": "globs relative to this file's folder; `!glob` excludes" },
            "env": { "type": "array", "items": { "type": "string" }, "description": "variables whose values enter the cache key" },
            "key_commands": { "type": "array", "items": command("a command whose output enters the cache key") },
            "cache": { "type": "boolean" },
            "cache_ttl": duration.clone(),
            "cache_failures": { "type": "boolean" },
            "writes": { "type": "boolean", "description": "the command may rewrite tracked files (a formatter with --fix); without it a gate that changes one fails" },
            "timeout": duration.clone(),
            "retries": { "type": "integer", "minimum": 0, "maximum": 100 },
            "exit_codes": { "type": "array", "items": { "type": "integer", "minimum": 0, "maximum": 255 }, "minItems": 1 },
            "cwd": { "type": "string" },
            "weight": { "type": "number", "minimum": 0 },
            "slots": { "type": "integer", "minimum": 1 },
            "metrics": { "type": "object", "additionalProperties": metric },
            "rules": { "type": "array", "items": rule, "description": "secrets: rules added to the built-in ones" },
            "allow": { "type": "array", "items": { "type": "string", "pattern": "^[0-9a-fA-F]{32}$" }, "description": "fingerprints of accepted findings" },
            "max_size": { "anyOf": [ { "type": "integer", "minimum": 1 }, { "type": "string" } ], "description": "large-files: bytes, or \"500KB\", \"1MiB\"" },
            "patterns": { "type": "array", "items": pattern, "description": "forbidden: what is forbidden" }
        }
    });
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://pqg.dev/schema/gates.json",
        "title": "pqg gates.toml",
        "description": "Which checks guard each stage of the ladder, with thresholds that tighten as code climbs it.",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "stages": { "type": "array", "items": stage, "minItems": 2, "maxItems": 16, "uniqueItems": true },
            "settings": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "default_stage": { "type": "string", "pattern": STAGE },
                    "jobs": { "type": "integer", "minimum": 0 },
                    "cache_dir": { "type": "string" },
                    "timeout": duration,
                    "min_score": stage_map(&json!({ "type": "number", "minimum": 0, "maximum": 100 }), "minimum score, percent"),
                    "fail_fast": stage_map(&json!({ "type": "boolean" }), "stop at the first blocking failure"),
                    "redact": { "type": "array", "items": { "type": "string" } },
                    "history": { "type": "integer", "minimum": 1 },
                    "new_code_since": { "type": "string", "minLength": 1, "description": "the ref new code (`scope = \"new\"`) is measured from: lines added or modified since its merge base with HEAD; default: the upstream, origin/HEAD, main or master" }
                }
            },
            "gates": {
                "type": "object",
                "propertyNames": { "pattern": "^[A-Za-z0-9_.-]{1,128}$" },
                "additionalProperties": gate
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use std::collections::BTreeSet;
    use std::path::Path;

    /// The keys the loader accepts where `table` is, read from its own
    /// "unknown key" hint.
    fn accepted(prefix: &str, suffix: &str) -> BTreeSet<String> {
        let text = format!("{prefix}zzz_unknown = 1\n{suffix}");
        let err = Config::parse(Path::new("gates.toml"), &text).unwrap_err();
        let mut rendered = String::new();
        let _ = err.render(&mut rendered, "error");
        let list = rendered
            .split("known keys here: ")
            .nth(1)
            .unwrap_or_else(|| panic!("no key list in: {rendered}"));
        list.lines()
            .next()
            .unwrap()
            .split(", ")
            .map(|k| k.trim().to_owned())
            .collect()
    }

    fn properties(v: &Value) -> BTreeSet<String> {
        v["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    }

    #[test]
    fn the_schema_has_every_key_the_loader_accepts_and_no_other() {
        let s = schema();
        let gate = &s["properties"]["gates"]["additionalProperties"];
        let metric = &gate["properties"]["metrics"]["additionalProperties"];
        assert_eq!(properties(&s), accepted("", ""));
        assert_eq!(
            properties(&s["properties"]["settings"]),
            accepted("[settings]\n", "")
        );
        assert_eq!(properties(gate), accepted("[gates.g]\nrun = 'x'\n", ""));
        assert_eq!(
            properties(metric),
            accepted("[gates.g]\nrun = 'x'\n[gates.g.metrics.m]\n", "")
        );
        assert_eq!(
            properties(&gate["properties"]["rules"]["items"]),
            accepted(
                "[gates.g]\nbuiltin = 'secrets'\n[[gates.g.rules]]\nid = 'a'\nregex = 'b'\n",
                ""
            )
        );
        assert_eq!(
            properties(&gate["properties"]["patterns"]["items"]),
            accepted(
                "[gates.g]\nbuiltin = 'forbidden'\n[[gates.g.patterns]]\npattern = 'a'\n",
                ""
            )
        );
        let builtins: BTreeSet<String> = gate["properties"]["builtin"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        let known: BTreeSet<String> = crate::builtin::Kind::ALL
            .iter()
            .map(|k| k.name().to_owned())
            .collect();
        assert_eq!(builtins, known);
    }
}
