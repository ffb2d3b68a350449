//! Metrics read from real reports, baselines and `max_regression`, the
//! ladder, deltas against the previous run and anomaly notes, through the
//! real binary. Every bad report is an error naming the file, never a pass.

mod common;

use common::{gate, json, TestRepo};
use std::path::Path;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/reports")
            .join(name),
    )
    .unwrap()
}

fn metric<'r>(report: &'r serde_json::Value, gate_name: &str, name: &str) -> &'r serde_json::Value {
    gate(report, gate_name)["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap()
}

fn value(report: &serde_json::Value, gate_name: &str, name: &str) -> f64 {
    metric(report, gate_name, name)["value"].as_f64().unwrap()
}

#[test]
fn every_report_source_reads_real_reports() {
    // Each gate rewrites its reports: one left from an earlier run is not
    // read as this run's.
    let repo = TestRepo::new()
        .gates(
            r#"[gates.cov]
run = "touch reports/*"
[gates.cov.metrics.lcov]
lcov = "reports/lcov-cargo-llvm-cov.info"
[gates.cov.metrics.cobertura]
cobertura = "reports/cobertura-coveragepy.xml"

[gates.tests]
run = "touch reports/*"
[gates.tests.metrics.pass]
junit = "reports/junit-*.xml"
[gates.tests.metrics.failures]
junit = "reports/junit-*.xml"
field = "failures"
[gates.tests.metrics.skipped]
junit = "reports/junit-pytest.xml"
field = "skipped"

[gates.scan]
run = "touch reports/*"
[gates.scan.metrics.critical]
sarif = "reports/sarif-checkov.sarif"
severity = "critical"
[gates.scan.metrics.serious]
sarif = "reports/sarif-checkov.sarif"
severity = ["critical", "high"]
level = "error"
[gates.scan.metrics.size]
file_size = "reports/sarif-checkov.sarif"
"#,
        )
        .file(
            "reports/lcov-cargo-llvm-cov.info",
            &fixture("lcov-cargo-llvm-cov.info"),
        )
        .file(
            "reports/cobertura-coveragepy.xml",
            &fixture("cobertura-coveragepy.xml"),
        )
        .file("reports/junit-pytest.xml", &fixture("junit-pytest.xml"))
        .file("reports/junit-nextest.xml", &fixture("junit-nextest.xml"))
        .file(
            "reports/sarif-checkov.sarif",
            &fixture("sarif-checkov.sarif"),
        );
    let r = repo.check_json(&[]);
    assert!((value(&r, "cov", "lcov") - 67.5676).abs() < 1e-3);
    assert_eq!(metric(&r, "cov", "lcov")["unit"], "%");
    assert!((value(&r, "cov", "cobertura") - 73.6842).abs() < 1e-3);
    // pytest 3 of 5 ran + nextest 3 of 4: 6 of 9.
    assert!((value(&r, "tests", "pass") - 600.0 / 9.0).abs() < 1e-9);
    assert_eq!(value(&r, "tests", "failures"), 2.0);
    assert_eq!(value(&r, "tests", "skipped"), 1.0);
    assert_eq!(value(&r, "scan", "critical"), 1.0);
    // error-level results at critical or high: 10.0, 8.9 and the unscored
    // CKV_AWS_20 (an error, so high).
    assert_eq!(value(&r, "scan", "serious"), 3.0);
    assert_eq!(value(&r, "scan", "size"), 4348.0);
}

#[test]
fn bad_reports_are_errors_that_name_the_file_never_passes() {
    let sarif_unscored = fixture("sarif-ruff.sarif");
    let cases: &[(&str, &str, &str, &str)] = &[
        ("lcov = 'r.info'", "r.info", "SF:a\nDA:1,1\n", "truncated"),
        ("lcov = 'r.info'", "r.info", "", "no coverage records"),
        (
            "cobertura = 'r.xml'",
            "r.xml",
            "<coverage lines-valid='3' lines-covered='2'><packages>",
            "truncated",
        ),
        (
            "junit = 'r.xml'",
            "r.xml",
            "<testsuites><testsuite><testcase name='a'>",
            "truncated",
        ),
        (
            "junit = 'r.xml'",
            "r.xml",
            "{\"tests\": 3}",
            "not a JUnit report",
        ),
        (
            "sarif = 'r.sarif'",
            "r.sarif",
            "{\"version\": \"2.1.0\", \"runs\": 3}",
            "not a SARIF log",
        ),
        ("sarif = 'r.sarif'", "r.sarif", "{\"runs\": [", "truncated"),
        (
            "sarif = 'r.sarif'\nseverity = 'high'",
            "r.sarif",
            &sarif_unscored,
            "no result in this SARIF log has a `security-severity`",
        ),
        (
            "json = '/total'\nfile = 'r.json'",
            "r.json",
            "[1, 2]",
            "found nothing",
        ),
        ("regex = 'coverage: (\\S+)'", "r.txt", "", "not a number"),
        (
            "lcov = 'missing.info'",
            "other.txt",
            "x",
            "cannot read `missing.info`",
        ),
        (
            "junit = 'out/*.xml'",
            "other.txt",
            "x",
            "glob `out/*.xml` matches no file",
        ),
        (
            "file_size = 'gone.bin'",
            "other.txt",
            "x",
            "cannot read `gone.bin`",
        ),
    ];
    for (source, file, content, reason) in cases {
        // The gate writes its report (touch counts), so the error is the
        // report's content, not its age.
        let run = if source.starts_with("regex") {
            "echo coverage: high".to_owned()
        } else {
            format!("touch {file}")
        };
        let repo = TestRepo::new()
            .gates(&format!(
                "[gates.g]\nrun = '{run}'\n[gates.g.metrics.m]\n{source}\nmin = 0\n"
            ))
            .file(file, content);
        let r = repo.check_json(&[]);
        let g = gate(&r, "g");
        assert_eq!(g["status"], "error", "{source}: {g}");
        let error = metric(&r, "g", "m")["error"].as_str().unwrap().to_owned();
        assert!(error.contains(reason), "{source}: {error}");
        let named = source.split('\'').nth(1).unwrap().trim_start_matches('/');
        if !source.starts_with("regex") && !source.starts_with("json") {
            assert!(error.contains(named), "{source}: {error} names no file");
        }
        assert_eq!(r["exit_code"], 1, "{source}");
    }
}

const COVERAGE: &str = r#"[gates.coverage]
run = "cat lines.txt"
[gates.coverage.metrics.lines]
regex = 'lines: (\S+)'
unit = "%"
min = { development = 60 }
max_regression = { staging = "1%", production = 0 }

[gates.vulns]
run = "cat vulns.txt"
[gates.vulns.metrics.high]
regex = 'high: (\d+)'
better = "lower"
max_regression = { staging = 2 }
"#;

#[test]
fn max_regression_compares_with_the_saved_baseline_in_the_better_direction() {
    let repo = TestRepo::new()
        .gates(COVERAGE)
        .file("lines.txt", "lines: 80.0\n")
        .file("vulns.txt", "high: 3\n");
    // No baseline yet: a note, no check, a pass.
    let r = repo.check_json(&["--stage", "staging"]);
    assert_eq!(gate(&r, "coverage")["status"], "pass");
    let notes = gate(&r, "coverage")["notes"].to_string();
    assert!(notes.contains("no baseline value for `lines`"), "{notes}");

    let out = repo.pqg(["baseline", "save"]).output().unwrap();
    common::expect_code(&out, 0);
    let saved: serde_json::Value = serde_json::from_str(&repo.read("gates.baseline.json")).unwrap();
    assert_eq!(saved["gates"]["coverage"]["lines"], 80.0);
    assert_eq!(saved["gates"]["vulns"]["high"], 3.0);
    assert_eq!(saved["stage"], "critical");

    // Higher is better: 79.3 is within 1% (limit 79.2), 79.1 is not.
    repo.write("lines.txt", "lines: 79.3\n");
    let r = repo.check_json(&["--stage", "staging"]);
    assert_eq!(gate(&r, "coverage")["status"], "pass");
    assert!(
        (metric(&r, "coverage", "lines")["regression_limit"]
            .as_f64()
            .unwrap()
            - 79.2)
            .abs()
            < 1e-9
    );
    repo.write("lines.txt", "lines: 79.1\n");
    let r = repo.check_json(&["--stage", "staging"]);
    assert_eq!(gate(&r, "coverage")["status"], "fail");
    let miss = metric(&r, "coverage", "lines")["miss"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        miss.contains("regressed past 79.2 (baseline 80, max 1%)"),
        "{miss}"
    );
    // A rise is never a regression; at production, 0 means no drop at all.
    repo.write("lines.txt", "lines: 95\n");
    assert_eq!(
        gate(&repo.check_json(&["--stage", "production"]), "coverage")["status"],
        "pass"
    );
    repo.write("lines.txt", "lines: 79.99\n");
    assert_eq!(
        gate(&repo.check_json(&["--stage", "production"]), "coverage")["status"],
        "fail"
    );

    // Lower is better, absolute: 3 → 5 is within 2, 6 is not; 0 is fine.
    for (high, status) in [(5, "pass"), (6, "fail"), (0, "pass")] {
        repo.write("vulns.txt", &format!("high: {high}\n"));
        let r = repo.check_json(&["--stage", "staging"]);
        assert_eq!(gate(&r, "vulns")["status"], status, "high {high}");
    }
    // Below the stage of the map, nothing is compared.
    repo.write("lines.txt", "lines: 61\n");
    assert_eq!(
        gate(&repo.check_json(&["--stage", "development"]), "coverage")["status"],
        "pass"
    );
}

#[test]
fn a_corrupt_baseline_is_an_error_and_a_missing_value_a_note() {
    let repo = TestRepo::new()
        .gates(COVERAGE)
        .file("lines.txt", "lines: 80.0\n")
        .file("vulns.txt", "high: 3\n")
        .file("gates.baseline.json", "{ \"format\": 1, \"stage\": ");
    let r = repo.check_json(&["--stage", "staging"]);
    assert_eq!(gate(&r, "coverage")["status"], "error");
    let reason = gate(&r, "coverage")["reason"].as_str().unwrap().to_owned();
    assert!(reason.contains("gates.baseline.json"), "{reason}");
    let out = repo.pqg(["baseline", "show"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));

    repo.write(
        "gates.baseline.json",
        r#"{"format": 1, "stage": "staging", "gates": {"vulns": {"high": 3.0}}}"#,
    );
    let r = repo.check_json(&["--stage", "staging"]);
    assert_eq!(gate(&r, "coverage")["status"], "pass");
    assert!(gate(&r, "coverage")["notes"]
        .to_string()
        .contains("no baseline value"));
    assert_eq!(gate(&r, "vulns")["status"], "pass");
    let out = repo
        .pqg(["baseline", "show", "--color", "never"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("vulns") && text.contains("high"), "{text}");
}

#[test]
fn the_ladder_judges_one_run_at_every_stage() {
    let repo = TestRepo::new()
        .gates(
            r#"[gates.coverage]
run = "echo 'lines: 78.2'"
[gates.coverage.metrics.lines]
regex = 'lines: (\S+)'
min = { development = 60, staging = 75, production = 85 }

[gates.vulns]
run = "echo 'high: 3'"
[gates.vulns.metrics.high]
regex = 'high: (\d+)'
max = { staging = 5, production = 0 }

[gates.e2e]
run = "exit 1"
from = "critical"

[gates.lint]
run = "true"
"#,
        )
        .file("x", "");
    let out = repo.pqg(["ladder", "--color", "never"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "the ladder exits 0 unless the config is bad"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("ready for: staging · production blocked by: coverage lines 78.2 < 85, vulns high 3 > 0"),
        "{text}"
    );
    let out = repo.pqg(["ladder", "--format", "json"]).output().unwrap();
    let view = json(&out.stdout);
    assert_eq!(view["ready_for"], "staging");
    assert_eq!(view["next"], "production");
    let row = |name: &str| gate(&view, name)["cells"].clone();
    assert_eq!(row("coverage")["staging"], "pass");
    assert_eq!(row("coverage")["production"], "fail");
    assert_eq!(row("e2e")["production"], "not active");
    assert_eq!(row("e2e")["critical"], "fail");
    assert_eq!(view["verdicts"][4]["outcome"], "failed");
    // One run: the second ladder answers every gate from the cache.
    let history = repo.pqg(["history", "-n", "1"]).output().unwrap();
    assert!(String::from_utf8_lossy(&history.stdout).contains("critical"));

    // Every stage passes.
    let all_pass = TestRepo::new().gates("[gates.a]\nrun = 'true'\n");
    let out = all_pass.pqg(["ladder"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("ready for: critical (every stage passes)")
    );
    // A bad config is still exit 2.
    let bad = TestRepo::new().gates("[gates.a]\nrun = \n");
    assert_eq!(bad.pqg(["ladder"]).output().unwrap().status.code(), Some(2));
}

#[test]
fn each_metric_shows_its_change_since_the_previous_run() {
    let repo = TestRepo::new()
        .gates(
            "[gates.coverage]\nrun = 'cat lines.txt'\n[gates.coverage.metrics.lines]\nregex = 'lines: (\\S+)'\nunit = '%'\nmin = 50\n",
        )
        .file("lines.txt", "lines: 76.9\n");
    let first = repo.check_json(&[]);
    assert!(metric(&first, "coverage", "lines")["delta"].is_null());
    repo.write("lines.txt", "lines: 78.2\n");
    let second = repo.check_json(&[]);
    assert!(
        (metric(&second, "coverage", "lines")["delta"]
            .as_f64()
            .unwrap()
            - 1.3)
            .abs()
            < 1e-9
    );
    repo.write("lines.txt", "lines: 77.95\n");
    let out = repo.pqg(["check", "--color", "never"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("lines 77.95 % (-0.25)"), "{text}");
}

#[test]
fn an_anomaly_gets_a_note_and_never_changes_the_verdict() {
    let repo = TestRepo::new()
        .gates(
            "[gates.bench]\nrun = 'cat ms.txt'\ncache = false\n[gates.bench.metrics.ms]\nregex = 'ms: (\\S+)'\nmax = 1000\n",
        )
        .file("ms.txt", "ms: 10\n");
    for i in 0..10 {
        repo.write("ms.txt", &format!("ms: {}\n", 10 + i % 2));
        let r = repo.check_json(&[]);
        assert_eq!(
            gate(&r, "bench")["notes"].as_array().unwrap().len(),
            0,
            "run {i}"
        );
    }
    repo.write("ms.txt", "ms: 50\n");
    let r = repo.check_json(&[]);
    let g = gate(&r, "bench");
    assert_eq!(g["status"], "pass");
    let notes = g["notes"].to_string();
    assert!(
        notes.contains("ms 50 is") && notes.contains("σ above its mean of 10.5 over 10 runs"),
        "{notes}"
    );
    let out = repo.pqg(["check", "--color", "never"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("note: bench: ms 50 is"));
}

#[test]
fn metric_config_errors_point_at_the_line() {
    for (metric, message) in [
        (
            "junit = 'a.xml'\nfield = 'fails'",
            "unknown `field` `fails`",
        ),
        (
            "sarif = 'a.sarif'\nseverity = 'severe'",
            "unknown severity `severe`",
        ),
        (
            "sarif = 'a.sarif'\nlevel = ['error', 'fatal']",
            "unknown SARIF level `fatal`",
        ),
        (
            "lcov = 'a'\nmax_regression = '5 percent'",
            "must be a percent",
        ),
        (
            "severity = 'high'\nregex = 'x'",
            "`level` and `severity` need `sarif`",
        ),
        ("field = 'tests'\nregex = 'x'", "`field` needs `junit`"),
        ("lcov = 'a'\ncobertura = 'b'", "more than one source"),
        (
            "regex = 'x'\nmax_regression = 1",
            "`max_regression` needs a direction",
        ),
    ] {
        let repo = TestRepo::new().gates(&format!(
            "[gates.g]\nrun = 'true'\n[gates.g.metrics.m]\n{metric}\n"
        ));
        let out = repo.pqg(["validate"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{metric}");
        assert!(stderr.contains(message), "{metric}: {stderr}");
        assert!(stderr.contains("gates.toml:"), "{stderr}");
    }
}
