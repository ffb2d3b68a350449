//! The machine formats, pinned with insta and read back by real consumers:
//! JUnit by the junit-parser crate, Prometheus by prometheus-parse, jsonl
//! line by line as it streams, GitHub workflow commands by their grammar.

mod common;

use common::{json, TestRepo};

const PROFILE: &str = r#"
[gates.build]
description = "it compiles"
run = "echo compiled"

[gates.test]
run = "echo 'coverage: 78.2%'"
needs = ["build"]
[gates.test.metrics.coverage]
regex = 'coverage: ([\d.]+)%'
min = { staging = 75, production = 85 }
unit = "%"

[gates.lint]
run = '''echo 'warning: a|b'; printf 'bell \a <x> & "q"\n'; exit 1'''
enforce_from = "production"

[gates.missing]
run = ["no-such-command-pqg"]

[gates.secrets]
builtin = "secrets"
inputs = ["src/**"]

[gates.audit]
run = "true"
from = "production"
"#;

fn repo() -> TestRepo {
    TestRepo::new().gates(PROFILE).file(
        "src/config.py",
        "x = 1\ntoken = 'ghp_R8xWq2ZtY5nB7vK3mP9sD4fG6hJ1lA0cE2uI'\n",
    )
}

fn run(repo: &TestRepo, format: &str) -> String {
    let out = repo
        .pqg([
            "check", "--stage", "staging", "--jobs", "1", "--format", format,
        ])
        .output()
        .unwrap();
    common::expect_code(&out, 1);
    String::from_utf8(out.stdout).unwrap()
}

fn settings(repo: &TestRepo) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(&regex::escape(&repo.path().display().to_string()), "[REPO]");
    s.add_filter(r"\d+\.\d s|\d+m \d\ds", "[T]");
    s.add_filter(r#"time="[0-9.]+""#, "time=\"[T]\"");
    s.add_filter(
        r#"name="run_id" value="[^"]+""#,
        "name=\"run_id\" value=\"[X]\"",
    );
    s.add_filter(
        r#"name="pqg_version" value="[^"]+""#,
        "name=\"pqg_version\" value=\"[V]\"",
    );
    s.add_filter(r"(duration_seconds\{[^}]*\}) [0-9.e-]+", "$1 [T]");
    s
}

#[test]
fn junit_is_read_by_a_real_consumer() {
    let repo = repo();
    let text = run(&repo, "junit");
    settings(&repo).bind(|| insta::assert_snapshot!(text));
    let suites =
        junit_parser::from_reader(std::io::Cursor::new(text.as_bytes())).expect("valid JUnit");
    assert_eq!(suites.suites.len(), 1);
    let suite = &suites.suites[0];
    assert_eq!(suite.cases.len(), 6);
    let case = |name: &str| {
        suite
            .cases
            .iter()
            .find(|c| c.original_name == name)
            .unwrap()
    };
    assert!(case("build").status.is_success());
    assert!(case("test").status.is_success());
    assert!(case("lint").status.is_success(), "a warning passes");
    assert!(case("missing").status.is_error());
    assert!(case("secrets").status.is_failure());
    assert!(case("audit").status.is_skipped());
    assert_eq!(
        (suite.tests, suite.failures, suite.errors, suite.skipped),
        (6, 1, 1, 1)
    );
    // And pqg's own parser agrees.
    let counts = pqg::parsers::junit::parse(text.as_bytes()).unwrap();
    assert_eq!(
        (counts.tests, counts.failures, counts.errors, counts.skipped),
        (6, 1, 1, 1)
    );
}

#[test]
fn markdown_for_the_step_summary() {
    let repo = repo();
    let text = run(&repo, "markdown");
    settings(&repo).bind(|| insta::assert_snapshot!(text));
    assert!(text.contains("| lint | ⚠️ warn |"));
    assert!(text.contains("a\\|b") || !text.contains("| a|b"));
}

#[test]
fn github_workflow_commands() {
    let repo = repo();
    let text = run(&repo, "github");
    settings(&repo).bind(|| insta::assert_snapshot!(text));
    for line in text.lines() {
        assert!(
            line.starts_with("::error ")
                || line.starts_with("::warning ")
                || line.starts_with("::notice "),
            "{line}"
        );
        let (_, message) = line.split_once("::").unwrap().1.split_once("::").unwrap();
        assert!(!message.contains('\n'));
    }
    assert!(text.contains("::error file=src/config.py,line=2,col=10,title=secrets/github-pat::"));
    assert!(text.contains("::warning title=pqg lint (staging)::warn"));
}

#[test]
fn github_annotations_come_by_themselves_under_github_actions() {
    let repo = repo();
    let summary = repo.path().join("summary.md");
    let out = repo
        .pqg(["check", "--stage", "staging"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("╭"), "the table still prints");
    assert!(
        text.contains("::error title=pqg missing (staging)::"),
        "{text}"
    );
    assert!(std::fs::read_to_string(&summary)
        .unwrap()
        .contains("### pqg · staging"));
    // Turned off: nothing extra.
    std::fs::remove_file(&summary).unwrap();
    let out = repo
        .pqg(["check", "--stage", "staging", "--no-annotations"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("::error"));
    assert!(!summary.exists());
}

#[test]
fn prometheus_text_exposition_parses() {
    let repo = repo();
    let text = run(&repo, "prometheus");
    settings(&repo).bind(|| insta::assert_snapshot!(text));
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("valid exposition format");
    let sample = |name: &str, labels: &[(&str, &str)]| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Gauge(v) => v,
                _ => f64::NAN,
            })
    };
    assert_eq!(
        sample(
            "pqg_gate_status",
            &[("gate", "missing"), ("status", "error")]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            "pqg_gate_status",
            &[("gate", "missing"), ("status", "pass")]
        ),
        Some(0.0)
    );
    assert_eq!(
        sample(
            "pqg_gate_metric",
            &[
                ("gate", "test"),
                ("metric", "coverage"),
                ("stage", "staging")
            ]
        ),
        Some(78.2)
    );
    assert_eq!(
        sample("pqg_stage_passed", &[("stage", "staging")]),
        Some(0.0)
    );
    assert!(sample("pqg_stage_score", &[("stage", "staging")]).is_some());
    assert_eq!(
        sample("pqg_stage_cache_hits", &[("stage", "staging")]),
        Some(0.0)
    );
}

#[test]
fn jsonl_streams_events_then_the_report() {
    let repo = repo();
    let text = run(&repo, "jsonl");
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.last(), Some(&"report"));
    assert_eq!(kinds.iter().filter(|k| **k == "start").count(), 5);
    assert_eq!(kinds.iter().filter(|k| **k == "finish").count(), 5);
    // Each gate starts before it finishes; build finishes before test starts.
    let at = |kind: &str, gate: &str| {
        events
            .iter()
            .position(|e| e["event"] == kind && e["gate"] == gate)
            .unwrap()
    };
    assert!(at("finish", "build") < at("start", "test"));
    let finish = &events[at("finish", "test")];
    assert_eq!(finish["status"], "pass");
    assert_eq!(events[at("finish", "lint")]["status"], "warn");
    assert_eq!(events.last().unwrap()["report"]["schema"], 1);
    // Also to a file, beside another format on stdout.
    let out = repo
        .pqg([
            "check",
            "--stage",
            "staging",
            "--report",
            "jsonl=out/live.jsonl",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(json(&out.stdout)["stage"], "staging");
    let file = repo.read("out/live.jsonl");
    assert!(file.lines().count() >= 11, "{file}");
    assert!(file
        .lines()
        .last()
        .unwrap()
        .contains("\"event\":\"report\""));
}

/// Every format `--report F=PATH` writes.
const FORMATS: [&str; 7] = [
    "json",
    "junit",
    "markdown",
    "github",
    "prometheus",
    "sarif",
    "table",
];

#[test]
fn every_format_goes_to_a_report_file_too() {
    let repo = repo();
    let mut args = vec![
        "check".to_owned(),
        "--stage".into(),
        "staging".into(),
        "-q".into(),
    ];
    for f in FORMATS {
        args.push("--report".into());
        args.push(format!("{f}=reports/pqg.{f}"));
    }
    let out = repo.pqg(&args).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    for f in FORMATS {
        assert!(!repo.read(&format!("reports/pqg.{f}")).is_empty(), "{f}");
    }
    let out = repo.pqg(["check", "--report", "xml=a"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("prometheus"));
}

#[test]
fn verbose_logs_say_what_pqg_decides_in_text_or_json() {
    let repo = TestRepo::new()
        .gates("[gates.a]\nrun = 'true'\n[gates.late]\nrun = 'true'\nfrom = 'production'\n")
        .file("x", "");
    repo.pqg(["check"]).output().unwrap();
    let out = repo.pqg(["check", "-v"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("gate a: runs (blocking); cache hit"),
        "{stderr}"
    );
    assert!(
        stderr.contains("gate late: skipped (runs from production)"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("snapshot of"),
        "-v leaves timings to -vv: {stderr}"
    );
    repo.write("x", "changed");
    let out = repo
        .pqg(["check", "-vv", "--log-format", "json"])
        .output()
        .unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert!(lines.iter().any(|l| l["level"] == "debug"));
    assert!(lines.iter().any(|l| l["message"]
        .as_str()
        .unwrap()
        .starts_with("gate a: runs (blocking); cache miss")));
    // PQG_LOG does the same as -v.
    let out = repo.pqg(["check"]).env("PQG_LOG", "info").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("plan: stage"));
}
