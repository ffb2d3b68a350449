//! The hostile review of issue 12, remaining cases: `--changed-since`
//! blind to what `git diff` cannot see, a tightened timeout, a `file_size`
//! metric's file, builtins under `--no-cache` in a submodule, and globs
//! that check and validate read differently.

mod common;

use common::{gate, TestRepo};

/// A repository with a submodule at `lib` holding x = "ok", committed.
fn with_submodule(gates: &str) -> (TestRepo, tempfile::TempDir) {
    common::with_submodule(gates, "x")
}

fn status(report: &serde_json::Value, name: &str) -> String {
    gate(report, name)["status"]
        .as_str()
        .expect("status")
        .to_owned()
}

#[test]
fn changed_since_runs_gates_reaching_a_submodule_or_an_ignored_input() {
    let (repo, _up) = with_submodule(
        "[gates.g]\nrun = 'grep -q ok lib/x'\ninputs = ['lib/**']\n\
         [gates.e]\nrun = 'grep -q ok .env'\ninputs = ['.env']\n\
         [gates.other]\nrun = 'true'\ninputs = ['src/**']\n",
    );
    repo.write(".gitignore", ".pqg/\n.env\n");
    repo.write(".env", "X=ok\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "ignore"]);
    repo.write("lib/x", "no\n");
    repo.write(".env", "X=no\n");
    let out = repo
        .pqg(["check", "--changed-since", "HEAD", "--format", "json", "-v"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "a full run fails");
    let report = common::json(&out.stdout);
    assert_eq!(status(&report, "g"), "fail");
    assert_eq!(status(&report, "e"), "fail");
    assert_eq!(status(&report, "other"), "skipped");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("submodule `lib`"), "{stderr}");
    assert!(stderr.contains("ignored `.env`"), "{stderr}");
}

#[test]
fn changed_since_runs_gates_reaching_a_symlink_or_a_skip_worktree_file() {
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(outside.path().join("o"), "ok\n").expect("write");
    let repo = TestRepo::new()
        .gates(
            "[gates.k]\nrun = 'grep -q ok out/o'\ninputs = ['out']\n\
             [gates.s]\nrun = 'grep -q ok s.txt'\ninputs = ['s.txt']\n",
        )
        .file(".gitignore", ".pqg/\n")
        .file("s.txt", "ok\n");
    std::os::unix::fs::symlink(outside.path(), repo.path().join("out")).expect("symlink");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "c"]);
    repo.git(&["update-index", "--skip-worktree", "s.txt"]);
    std::fs::write(outside.path().join("o"), "no\n").expect("write");
    repo.write("s.txt", "no\n");
    let report = repo.check_json(&["--changed-since", "HEAD"]);
    assert_eq!(status(&report, "k"), "fail");
    assert_eq!(status(&report, "s"), "fail");
}

#[test]
fn a_tightened_timeout_sets_a_slower_stored_pass_aside() {
    let repo = TestRepo::new()
        .gates("[gates.s]\nrun = 'sleep 1.2'\ninputs = []\ntimeout = '10s'\n")
        .file(".gitignore", ".pqg/\n");
    let report = repo.check_json(&[]);
    assert_eq!(status(&report, "s"), "pass");
    repo.write(
        "gates.toml",
        "[gates.s]\nrun = 'sleep 1.2'\ninputs = []\ntimeout = '1s'\n",
    );
    let report = repo.check_json(&[]);
    assert_eq!(status(&report, "s"), "timeout", "a fresh run times out");
}

#[test]
fn a_file_size_metric_keys_on_the_file_it_measures() {
    let repo = TestRepo::new()
        .gates(
            "[gates.size]\nrun = 'true'\n\
             [gates.size.metrics.bytes]\nfile_size = 'dist/app.js'\nmax = 100\n",
        )
        .file(".gitignore", ".pqg/\ndist/\n")
        .file("dist/app.js", "small\n");
    repo.git(&["add", "-A"]);
    assert_eq!(status(&repo.check_json(&[]), "size"), "pass");
    repo.write("dist/app.js", &"x".repeat(500));
    assert_eq!(status(&repo.check_json(&[]), "size"), "fail");
}

#[test]
fn a_builtin_without_the_cache_checks_a_submodules_files() {
    let (repo, _up) = with_submodule("[gates.cm]\nbuiltin = 'conflict-markers'\n");
    repo.write("lib/z", "<<<<<<< HEAD\na\n=======\nb\n>>>>>>> x\n");
    assert_eq!(status(&repo.check_json(&["--no-cache"]), "cm"), "fail");
    assert_eq!(status(&repo.check_json(&[]), "cm"), "fail");
}
