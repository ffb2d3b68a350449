//! Paths a listing cannot key exactly (issue 12 follow-up): report files
//! that are FIFOs (a hang, deaf to signals), and input globs or a `cwd`
//! that go through a symlink to a folder (0 files, a stale cached pass).

mod common;

use common::{gate, TestRepo};
use std::path::Path;
use std::time::Duration;

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

fn check(repo: &TestRepo) -> serde_json::Value {
    let out = repo
        .pqg(["check", "--format", "json"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "pqg failed or hung: {:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    common::json(&out.stdout)
}

fn status_cached(report: &serde_json::Value, name: &str) -> (String, bool) {
    let g = gate(report, name);
    (
        g["status"].as_str().unwrap().to_owned(),
        g["cached"].as_bool().unwrap_or(false),
    )
}

#[test]
fn a_fifo_as_a_report_is_an_unreadable_metric_not_a_hang() {
    let repo = TestRepo::new().file(".gitignore", ".pqg/\n").gates(
        r#"
[gates.lcov]
run = "touch r.info"
inputs = []
[gates.lcov.metrics.m]
lcov = "r.info"
min = 1
[gates.cob]
run = "touch r.xml"
inputs = []
[gates.cob.metrics.m]
cobertura = "r.xml"
min = 1
[gates.sarif]
run = "touch r.sarif"
inputs = []
[gates.sarif.metrics.m]
sarif = "r.sarif"
max = 1
[gates.junit]
run = "touch r.junit"
inputs = []
[gates.junit.metrics.m]
junit = "r.junit"
min = 1
[gates.json]
run = "touch r.json"
inputs = []
[gates.json.metrics.m]
json = "/a"
file = "r.json"
min = 1
[gates.size]
run = "touch r.size"
inputs = []
[gates.size.metrics.m]
file_size = "r.size"
max = 100
"#,
    );
    for f in ["r.info", "r.xml", "r.sarif", "r.junit", "r.json", "r.size"] {
        mkfifo(&repo.path().join(f));
    }
    repo.git(&["add", "gates.toml", ".gitignore"]);
    repo.git(&["commit", "-q", "-m", "init"]);
    let report = check(&repo);
    for name in ["lcov", "cob", "sarif", "junit", "json", "size"] {
        let g = gate(&report, name);
        assert_eq!(g["status"], "error", "{name}: {g}");
        assert!(
            g.to_string().contains("not a regular file"),
            "{name} names the reason: {g}"
        );
    }
}

const THROUGH_LINKS: &str = r#"
[gates.k]
run = "grep -q ok lib/x"
inputs = ["lib/x"]
[gates.all]
run = "grep -q ok lib/x"
inputs = ["lib/**"]
[gates.b]
run = "grep -q ok build/o"
inputs = ["build/**"]
[gates.w]
run = "grep -q ok x"
cwd = "lib"
inputs = ["real/**"]
[gates.plain]
run = "grep -q ok real/x"
inputs = ["real/**"]
"#;

#[test]
fn a_glob_or_cwd_through_a_folder_symlink_is_never_cached() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("o"), "ok\n").unwrap();
    let repo = TestRepo::new()
        .file(".gitignore", ".pqg/\nbuild\n")
        .file("real/x", "ok\n")
        .gates(THROUGH_LINKS);
    std::os::unix::fs::symlink("real", repo.path().join("lib")).unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.path().join("build")).unwrap();
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "init"]);

    let names = ["k", "all", "b", "w"];
    check(&repo);
    let report = check(&repo);
    for name in names {
        assert_eq!(
            status_cached(&report, name),
            ("pass".into(), false),
            "{name}"
        );
    }
    assert_eq!(status_cached(&report, "plain"), ("pass".into(), true));

    std::fs::write(repo.path().join("real/x"), "no\n").unwrap();
    std::fs::write(outside.path().join("o"), "no\n").unwrap();
    let report = check(&repo);
    for name in names {
        assert_eq!(
            status_cached(&report, name),
            ("fail".into(), false),
            "{name}"
        );
    }

    let out = repo.pqg(["validate"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("input `lib/x` goes through the folder symlink `lib`"),
        "{stderr}"
    );
    assert!(stderr.contains("`cwd` `lib` goes through"), "{stderr}");
    assert!(stderr.contains("input `build/**`"), "{stderr}");
    let out = repo.pqg(["explain", "k"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("input `lib/x` goes through the folder symlink `lib`"),
        "{stdout}"
    );
}

#[test]
fn a_retargeted_symlink_cwd_is_not_answered_from_the_cache() {
    let repo = TestRepo::new()
        .file(".gitignore", ".pqg/\n")
        .file("real1/x", "ok\n")
        .file("real2/x", "no\n")
        .gates("[gates.g]\nrun = \"grep -q ok x\"\ncwd = \"w\"\ninputs = [\"real1/**\", \"real2/**\"]\n");
    std::os::unix::fs::symlink("real1", repo.path().join("w")).unwrap();
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "init"]);
    assert_eq!(status_cached(&check(&repo), "g"), ("pass".into(), false));
    std::fs::remove_file(repo.path().join("w")).unwrap();
    std::os::unix::fs::symlink("real2", repo.path().join("w")).unwrap();
    assert_eq!(status_cached(&check(&repo), "g"), ("fail".into(), false));
}
