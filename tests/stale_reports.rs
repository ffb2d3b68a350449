//! A report file a metric reads must have been written by the attempt that
//! measures it (DESIGN §5): one left from an earlier run — a typo in the
//! tool's output path, a tool missing from PATH — is an `error` naming the
//! file, never last week's numbers. Through the real binary.

mod common;

use common::{gate, TestRepo};

fn metric_error(report: &serde_json::Value, gate_name: &str, name: &str) -> String {
    gate(report, gate_name)["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap()["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A SARIF log with `n` results.
fn sarif(n: usize) -> String {
    let results = vec![r#"{"ruleId":"r","level":"error","message":{"text":"x"}}"#; n].join(",");
    format!(
        r#"{{"version":"2.1.0","runs":[{{"tool":{{"driver":{{"name":"t"}}}},"results":[{results}]}}]}}"#
    )
}

fn scan_gate(run: &str) -> String {
    format!(
        "[gates.scan]\nrun = '''{run}'''\n[gates.scan.metrics.findings]\nsarif = \"report.sarif\"\nmax = 0\n"
    )
}

fn repo_with(gates: &str) -> TestRepo {
    let repo = TestRepo::new().gates(gates).file(
        ".gitignore",
        ".pqg/\n*.sarif\n*.xml\n*.info\n*.json\n.tried\n",
    );
    repo.git(&["add", "."]);
    repo.git(&["commit", "-qm", "init"]);
    repo
}

#[test]
fn a_typo_in_the_tool_output_path_is_an_error_naming_the_stale_report() {
    let repo = repo_with(&scan_gate(&format!("echo '{}' > report.sarif", sarif(0))));
    let r = repo.check_json(&[]);
    assert_eq!(gate(&r, "scan")["status"], "pass", "{r}");
    // A cached result was measured when it ran: it stays a pass.
    let r = repo.check_json(&[]);
    assert_eq!(gate(&r, "scan")["status"], "pass", "{r}");
    assert_eq!(gate(&r, "scan")["cached"], true, "{r}");

    // The tool now writes (3 findings) to another path: the declared one
    // holds the earlier run's report.
    repo.write(
        "gates.toml",
        &scan_gate(&format!("echo '{}' > reprot.sarif", sarif(3))),
    );
    let r = repo.check_json(&[]);
    let scan = gate(&r, "scan");
    assert_eq!(scan["status"], "error", "{r}");
    let error = metric_error(&r, "scan", "findings");
    assert!(
        error.contains("`report.sarif` was not written by this run"),
        "{error}"
    );
    assert!(scan["reason"].as_str().unwrap().contains("report.sarif"));

    // With the stale file gone, the missing one is named.
    std::fs::remove_file(repo.path().join("report.sarif")).unwrap();
    let r = repo.check_json(&["--no-cache"]);
    assert_eq!(gate(&r, "scan")["status"], "error", "{r}");
    let error = metric_error(&r, "scan", "findings");
    assert!(error.contains("cannot read `report.sarif`"), "{error}");
}

#[test]
fn a_tool_missing_from_path_never_passes_on_an_old_report() {
    let repo = repo_with(&scan_gate("no-such-scanner --sarif report.sarif || true"));
    repo.write("report.sarif", &sarif(0));
    let r = repo.check_json(&["--no-cache"]);
    assert_eq!(gate(&r, "scan")["status"], "error", "{r}");
    let error = metric_error(&r, "scan", "findings");
    assert!(error.contains("`report.sarif` was not written"), "{error}");

    // Exit 127 itself, accepted or not, never passes on the old report.
    repo.write(
        "gates.toml",
        "[gates.scan]\nrun = 'no-such-scanner --sarif report.sarif'\nexit_codes = [0, 1, 127]\n\
         [gates.scan.metrics.findings]\nsarif = \"report.sarif\"\nmax = 0\n",
    );
    let r = repo.check_json(&["--no-cache"]);
    assert_ne!(gate(&r, "scan")["status"], "pass", "{r}");
    assert_eq!(gate(&r, "scan")["exit_code"], 127, "{r}");
    assert_eq!(gate(&r, "scan")["status"], "error", "{r}");
}

#[test]
fn every_report_source_must_be_rewritten_by_the_attempt() {
    let repo = repo_with(
        r#"[gates.g]
run = "true"
[gates.g.metrics.lcov]
lcov = "lcov.info"
[gates.g.metrics.cobertura]
cobertura = "cov.xml"
[gates.g.metrics.json]
json = "/n"
file = "n.json"
[gates.g.metrics.junit]
junit = "junit-*.xml"
"#,
    );
    repo.write("lcov.info", "SF:a\nLF:2\nLH:2\nend_of_record\n");
    repo.write(
        "cov.xml",
        r#"<?xml version="1.0"?><coverage line-rate="1.0" lines-valid="2" lines-covered="2"></coverage>"#,
    );
    repo.write("n.json", r#"{"n": 1}"#);
    repo.write(
        "junit-a.xml",
        r#"<testsuite name="a" tests="1" failures="0" errors="0" skipped="0"><testcase name="t"/></testsuite>"#,
    );
    let r = repo.check_json(&["--no-cache"]);
    assert_eq!(gate(&r, "g")["status"], "error", "{r}");
    for (metric, file) in [
        ("lcov", "lcov.info"),
        ("cobertura", "cov.xml"),
        ("json", "n.json"),
        ("junit", "junit-a.xml"),
    ] {
        let error = metric_error(&r, "g", metric);
        assert!(
            error.contains(&format!("`{file}` was not written by this run")),
            "{metric}: {error}"
        );
    }

    // The gate rewrites them all (touch counts: the file was written):
    // every metric reads.
    repo.write(
        "gates.toml",
        &repo.read("gates.toml").replace(
            "run = \"true\"",
            "run = \"touch lcov.info cov.xml n.json junit-a.xml\"",
        ),
    );
    let r = repo.check_json(&["--no-cache"]);
    assert_eq!(gate(&r, "g")["status"], "pass", "{r}");

    // A junit glob: one match rewritten, one left from an earlier run (a
    // suite that no longer exists) is an error naming the stale one.
    repo.write(
        "junit-old.xml",
        r#"<testsuite name="old" tests="5" failures="5" errors="0" skipped="0"></testsuite>"#,
    );
    std::thread::sleep(std::time::Duration::from_millis(20));
    let r = repo.check_json(&["--no-cache"]);
    assert_eq!(gate(&r, "g")["status"], "error", "{r}");
    let error = metric_error(&r, "g", "junit");
    assert!(error.contains("`junit-old.xml` was not written"), "{error}");
}

#[test]
fn a_retry_must_write_its_own_report() {
    // The first attempt writes a good report and exits 1; the retry writes
    // nothing and exits 0: the good numbers are not the retry's.
    let repo = repo_with(
        r#"[gates.cov]
run = 'if [ -f .tried ]; then exit 0; fi; touch .tried; printf "SF:a\nLF:2\nLH:2\nend_of_record\n" > lcov.info; exit 1'
retries = 1
cache = false
[gates.cov.metrics.lines]
lcov = "lcov.info"
min = 50
"#,
    );
    let r = repo.check_json(&[]);
    let cov = gate(&r, "cov");
    assert_eq!(cov["attempts"], 2, "{r}");
    assert_eq!(cov["status"], "error", "{r}");
    let error = metric_error(&r, "cov", "lines");
    assert!(error.contains("`lcov.info` was not written"), "{error}");
}
