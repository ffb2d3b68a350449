//! Files at the edges of a listing (issue 12, items 4 and 12): ignored
//! files a gate names explicitly, FIFOs where files were, and names that
//! are not UTF-8. Each case was a cached pass a fresh run would fail, a
//! hang, or the cache and every builtin given up for one file.

mod common;

use common::{gate, json, pqg_path, TestRepo};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `cmd`, killing it (and failing) if it takes longer than a minute:
/// a hang is the bug some of these look for.
fn run_bounded(mut cmd: Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start pqg");
    let start = Instant::now();
    while child.try_wait().expect("wait for pqg").is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("pqg hung for a minute");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("pqg output")
}

/// `pqg check --format json ARGS` in `repo`, bounded; the report.
fn check(repo: &TestRepo, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let out = run_bounded(repo.pqg_std(&all));
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "pqg failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&out.stdout)
}

/// Each gate's `(status, cached)`, by name.
fn statuses(report: &serde_json::Value, names: &[&str]) -> Vec<(String, bool)> {
    names
        .iter()
        .map(|n| {
            let g = gate(report, n);
            (
                g["status"].as_str().unwrap().to_owned(),
                g["cached"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

fn pass(cached: bool) -> (String, bool) {
    ("pass".to_owned(), cached)
}

fn fail() -> (String, bool) {
    ("fail".to_owned(), false)
}

const NAMED_IGNORED: &str = r#"
[gates.env]
run = '! grep -qs "B[A]D" .env'
inputs = [".env"]

[gates.cov]
run = '! grep -qs "B[A]D" .coverage'
inputs = [".coverage"]

[gates.build]
run = '! cat build/*.txt 2>/dev/null | grep -q "B[A]D"'
inputs = ["build/**"]

[gates.one]
run = '! grep -qs "B[A]D" build/out.txt'
inputs = ["build/out.txt"]

[gates.py]
run = 'true'
inputs = ["**/*.py"]

[gates.tree]
run = 'true'
"#;

const NAMES: &[&str] = &["env", "cov", "build", "one", "py", "tree"];

#[test]
fn an_ignored_file_named_in_inputs_counts_and_no_glob_sweeps_one() {
    let repo = TestRepo::new()
        .gates(NAMED_IGNORED)
        .file(".gitignore", ".env\n.coverage\nbuild/\n.venv/\n.pqg/\n")
        .file("src/a.py", "ok\n")
        .file(".env", "TOKEN=ok\n")
        .file(".coverage", "ok\n")
        .file("build/out.txt", "ok\n")
        .file(".venv/lib/site.py", "ok\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "init"]);
    let all_pass = |cached: bool| vec![pass(cached); NAMES.len()];
    assert_eq!(statuses(&check(&repo, &[]), NAMES), all_pass(false));
    assert_eq!(statuses(&check(&repo, &[]), NAMES), all_pass(true));

    repo.write(".env", "TOKEN=BAD\n");
    let report = check(&repo, &[]);
    assert_eq!(gate(&report, "env")["status"], "fail", "an edit of .env");
    assert_eq!(
        gate(&report, "tree")["cached"],
        true,
        "the default inputs never hold .env"
    );
    repo.write(".env", "TOKEN=ok\n");

    repo.write(".coverage", "BAD\n");
    assert_eq!(gate(&check(&repo, &[]), "cov")["status"], "fail");
    repo.write(".coverage", "ok\n");

    repo.write("build/out.txt", "BAD\n");
    let report = check(&repo, &[]);
    assert_eq!(
        statuses(&report, &["build", "one"]),
        [fail(), fail()],
        "build/** and build/out.txt name an ignored place"
    );
    repo.write("build/out.txt", "ok\n");
    repo.write("build/new.txt", "BAD\n");
    assert_eq!(
        gate(&check(&repo, &[]), "build")["status"],
        "fail",
        "a new file there"
    );
    std::fs::remove_file(repo.path().join("build/new.txt")).unwrap();
    let report = check(&repo, &[]);
    assert_eq!(
        statuses(&report, &["build", "one"]),
        [pass(true), pass(true)]
    );

    // **/*.py never sweeps the ignored .venv; the tree gate never sees it.
    repo.write(".venv/lib/site.py", "changed\n");
    repo.write(".venv/lib/new.py", "new\n");
    assert_eq!(statuses(&check(&repo, &[]), NAMES), all_pass(true));
    // And the same answers fresh.
    assert_eq!(
        statuses(&check(&repo, &["--no-cache"]), NAMES),
        all_pass(false)
    );
}

#[test]
fn a_builtin_scans_the_ignored_files_its_inputs_name() {
    let repo = TestRepo::new()
        .gates(
            "[gates.conflicts]\nbuiltin = \"conflict-markers\"\ninputs = [\"build/**\", \"**/*.txt\"]\n",
        )
        .file(".gitignore", "build/\njunk/\n.pqg/\n")
        .file("a.txt", "ok\n")
        .file("build/out.txt", "<<<<<<< HEAD\n")
        .file("junk/swept.txt", "<<<<<<< HEAD\n");
    repo.git(&["add", "-A"]);
    for args in [&["--no-cache"][..], &[], &[]] {
        let report = check(&repo, args);
        let files: Vec<&str> = gate(&report, "conflicts")["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["file"].as_str().unwrap())
            .collect();
        assert_eq!(files, ["build/out.txt"], "{args:?}: junk/ is not named");
    }
}

#[test]
fn a_fifo_in_a_folder_outside_git_neither_hangs_nor_is_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gates.toml"),
        "[gates.g]\nrun = 'true'\n\n[gates.conflicts]\nbuiltin = \"conflict-markers\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("a.txt"), "<<<<<<< HEAD\n").unwrap();
    mkfifo(&dir.path().join("pipe"));
    let run = |extra: &[&str]| {
        let mut cmd = Command::new(pqg_path());
        common::isolate(&mut cmd)
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env("CI", "true")
            .env_remove("PQG_CACHE_DIR")
            .args(["check", "--format", "json"])
            .args(extra);
        json(&run_bounded(cmd).stdout)
    };
    for extra in [&[][..], &["--no-cache"]] {
        let report = run(extra);
        assert_eq!(gate(&report, "g")["status"], "pass");
        let conflicts = gate(&report, "conflicts");
        assert_eq!(conflicts["findings"][0]["file"], "a.txt", "{report}");
        let output = conflicts["output"].as_str().unwrap_or_default();
        assert!(output.contains("pipe: not checked: a FIFO"), "{output}");
    }
    assert_eq!(gate(&run(&[]), "g")["cached"], true, "the FIFO is a state");
}

#[test]
fn a_fifo_in_place_of_a_tracked_file_changes_the_key_and_never_hangs() {
    let repo = TestRepo::new()
        .gates("[gates.g]\nrun = 'test -f a.txt'\n")
        .file("a.txt", "ok\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "init"]);
    assert_eq!(statuses(&check(&repo, &[]), &["g"]), [pass(false)]);
    assert_eq!(statuses(&check(&repo, &[]), &["g"]), [pass(true)]);
    std::fs::remove_file(repo.path().join("a.txt")).unwrap();
    mkfifo(&repo.path().join("a.txt"));
    assert_eq!(statuses(&check(&repo, &[]), &["g"]), [fail()]);
    assert_eq!(statuses(&check(&repo, &["--no-cache"]), &["g"]), [fail()]);
}

#[test]
fn a_name_that_is_not_utf8_keeps_the_cache_and_the_builtins_working() {
    let repo = TestRepo::new()
        .gates(
            "[gates.g]\nrun = 'true'\ninputs = [\"src/**\"]\n\n\
             [gates.conflicts]\nbuiltin = \"conflict-markers\"\n",
        )
        .file("src/a.rs", "ok\n")
        .file("b.txt", "<<<<<<< HEAD\n");
    let odd = repo.path().join(OsStr::from_bytes(b"caf\xe9.txt"));
    std::fs::write(&odd, "<<<<<<< HEAD\n").unwrap();
    repo.git(&["add", "-A"]);
    for (round, cached) in [(1, false), (2, true)] {
        let report = check(&repo, &[]);
        assert_eq!(
            statuses(&report, &["g"]),
            [pass(cached)],
            "round {round}: {report}"
        );
        let conflicts = gate(&report, "conflicts");
        let files: Vec<&str> = conflicts["findings"]
            .as_array()
            .unwrap_or_else(|| panic!("{report}"))
            .iter()
            .map(|f| f["file"].as_str().unwrap())
            .collect();
        assert_eq!(files, ["\"caf\\351.txt\"", "b.txt"], "round {round}");
    }
    // The odd file is an input like any other: editing it misses.
    std::fs::write(&odd, "fine\n").unwrap();
    let report = check(&repo, &[]);
    assert_eq!(
        gate(&report, "conflicts")["findings"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(gate(&report, "g")["cached"], true, "outside src/**");
}
