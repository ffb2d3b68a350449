//! Report layouts pinned with insta: the table, the JSON report, `list`,
//! `--help`, a config error. Durations and temporary paths are filtered.

mod common;

use common::{json, TestRepo};

const PROFILE: &str = r#"
[settings]
min_score = { staging = 80 }

[gates.build]
description = "it compiles"
run = "echo compiled"

[gates.test]
run = "echo 'test result: ok. 41 passed'; echo 'coverage: 78.2%'"
needs = ["build"]
[gates.test.metrics.coverage]
regex = 'coverage: ([\d.]+)%'
min = { development = 60, staging = 75, production = 85 }
unit = "%"
[gates.test.metrics.passed]
regex = '(\d+) passed'

[gates.lint]
run = "echo 'warning: unused'; echo 'warning: shadowed'; exit 1"
enforce_from = "production"
[gates.lint.metrics.warnings]
count = '^warning'
max = 0

[gates.missing]
run = ["no-such-command-pqg"]

[gates.docs]
run = "true"
needs = ["missing"]

[gates.audit]
run = "true"
from = "production"
"#;

fn settings(repo: &TestRepo) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(&regex::escape(&repo.path().display().to_string()), "[REPO]");
    s.add_filter(r"\d+\.\d s|\d+m \d\ds", "[T]");
    s.add_filter(r#""(duration_ms|run_id)": [^,\n]+"#, "\"$1\": [X]");
    s
}

#[test]
fn table_report() {
    let repo = TestRepo::new().gates(PROFILE);
    let out = repo
        .pqg(["check", "--stage", "staging", "--jobs", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    settings(&repo).bind(|| insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap()));
}

#[test]
fn quiet_report_is_failures_and_the_summary() {
    let repo = TestRepo::new().gates(PROFILE);
    let out = repo
        .pqg(["check", "--stage", "staging", "-q"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("╭"), "no table with -q");
    assert!(text.contains("── missing · error ──"));
    assert!(text
        .trim_end()
        .lines()
        .last()
        .unwrap()
        .starts_with("staging: FAILED"));
}

#[test]
fn json_report() {
    let repo = TestRepo::new().gates(PROFILE);
    let out = repo
        .pqg([
            "check", "--stage", "staging", "--jobs", "1", "--format", "json",
        ])
        .output()
        .unwrap();
    let report = json(&out.stdout);
    assert_eq!(report["schema"], 1);
    settings(&repo)
        .bind(|| insta::assert_snapshot!(serde_json::to_string_pretty(&report).unwrap()));
}

#[test]
fn report_files_are_written_beside_the_table() {
    let repo = TestRepo::new().gates(PROFILE);
    let out = repo
        .pqg([
            "check",
            "--stage",
            "staging",
            "--report",
            "json=out/report.json",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("╭"));
    let written: serde_json::Value = serde_json::from_str(&repo.read("out/report.json")).unwrap();
    assert_eq!(written["stage"], "staging");
    assert_eq!(written["outcome"], "failed");
    assert_eq!(written["gates"].as_array().unwrap().len(), 6);
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let repo = TestRepo::new().gates("[gates.ok]\nrun = 'true'\n");
    let always = repo.pqg(["check", "--color", "always"]).output().unwrap();
    assert!(String::from_utf8_lossy(&always.stdout).contains("\x1b["));
    let auto = repo.pqg(["check", "--color", "auto"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&auto.stdout).contains("\x1b["));
}

#[test]
fn list_shows_the_effective_profile_of_a_stage() {
    let repo = TestRepo::new().gates(PROFILE);
    let out = repo.pqg(["list", "--stage", "staging"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
}

#[test]
fn help() {
    let repo = TestRepo::new();
    let top = repo.pqg(["--help"]).output().unwrap();
    insta::assert_snapshot!("help", String::from_utf8(top.stdout).unwrap());
    let check = repo.pqg(["check", "--help"]).output().unwrap();
    insta::assert_snapshot!("check_help", String::from_utf8(check.stdout).unwrap());
}

#[test]
fn config_error() {
    let repo = TestRepo::new().gates(
        "[gates.cov]\nrun = 'true'\n[gates.cov.metrics.lines]\nregex = '(\\d+)'\nmin = { development = 60, stagin = 75 }\n",
    );
    let out = repo.pqg(["check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    settings(&repo).bind(|| insta::assert_snapshot!(String::from_utf8(out.stderr).unwrap()));
}
