//! New code kept between runs (issue 15's performance): a warm run whose
//! inputs to new code did not change takes the last run's answer, and one
//! where only the work tree changed takes the last diff against git's
//! index. Whatever changed, the answer is the one `--no-cache` computes.

mod common;

use common::{json, TestRepo};
use serde_json::Value;

fn numbered(prefix: &str, n: usize) -> String {
    (1..=n).map(|i| format!("{prefix} line {i}\n")).collect()
}

/// `src/a.py` and `src/b.py` of 10 lines on `main`, every line
/// instrumented, odd lines hit; a tracked file `notes.log` that
/// `.gitignore` names; a checkout of `feature` with line 1 of `a.py`
/// changed and committed.
fn repo() -> TestRepo {
    let repo = TestRepo::new()
        .gates(&common::new_code_gate("0"))
        .file(".gitignore", "cov/\nout/\n.pqg/\n*.log\n")
        .file("src/a.py", &numbered("a", 10))
        .file("src/b.py", &numbered("b", 10));
    repo.write(
        "cov/lcov.info",
        &common::lcov_report(&["src/a.py", "src/b.py", "notes.log"], 10, |line| line % 2),
    );
    repo.git(&["add", "-A"]);
    repo.write("notes.log", &numbered("n", 10));
    repo.git(&["add", "-f", "notes.log"]);
    repo.git(&["commit", "-q", "-m", "base"]);
    repo.git(&["checkout", "-q", "-b", "feature"]);
    edit(&repo, "src/a.py", 1, "changed");
    repo.git(&["commit", "-q", "-am", "one"]);
    repo
}

fn edit(repo: &TestRepo, file: &str, line: usize, text: &str) {
    let mut lines: Vec<String> = repo.read(file).lines().map(str::to_owned).collect();
    lines[line - 1] = text.to_owned();
    repo.write(file, &(lines.join("\n") + "\n"));
}

/// The scoped metric's value and counts, and what `-vv` said.
fn new_code(repo: &TestRepo, args: &[&str]) -> (Value, String) {
    new_code_with(repo, args, &[])
}

/// [`new_code`] with `env` set for pqg.
fn new_code_with(repo: &TestRepo, args: &[&str], env: &[(&str, &str)]) -> (Value, String) {
    let mut all = vec!["check", "--format", "json", "-vv"];
    all.extend_from_slice(args);
    let mut cmd = repo.pqg(&all);
    cmd.envs(env.iter().copied());
    let out = cmd.output().expect("run pqg");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "pqg failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out.stdout);
    let metric = metric_new(&report["gates"][0]);
    let shown = serde_json::json!({
        "value": metric["value"],
        "new_code": metric["new_code"],
    });
    (shown, String::from_utf8_lossy(&out.stderr).into_owned())
}

const KEPT: &str = "nothing it depends on changed since the last run";
const STAGED_KEPT: &str = "the diff against the index is the last run's";

/// A cached run, checked against `--no-cache`: the same new code.
fn agrees(repo: &TestRepo, args: &[&str], why: &str) -> String {
    agrees_with(repo, args, &[], why)
}

/// [`agrees`] with `env` set for pqg.
fn agrees_with(repo: &TestRepo, args: &[&str], env: &[(&str, &str)], why: &str) -> String {
    let (cached, said) = new_code_with(repo, args, env);
    let mut uncached_args = vec!["--no-cache"];
    uncached_args.extend_from_slice(args);
    let (uncached, _) = new_code_with(repo, &uncached_args, env);
    assert_eq!(cached, uncached, "{why}: {said}");
    said
}

#[test]
fn a_warm_run_with_nothing_changed_takes_the_last_runs_new_code() {
    let repo = repo();
    // New code read from files changed in the last 2 s is not kept.
    common::settle_racy(&repo);
    // The first run has no snapshot to compare with (its gate starts
    // while the tree is hashed); the second keeps what it found.
    for run in ["first run", "second run"] {
        let said = agrees(&repo, &["--new-code-since", "main"], run);
        assert!(!said.contains(KEPT), "{said}");
    }
    assert!(repo.path().join(".pqg/new-code.json").is_file());
    let said = agrees(&repo, &["--new-code-since", "main"], "third run");
    assert!(said.contains(KEPT), "{said}");
    let (value, _) = new_code(&repo, &["--new-code-since", "main"]);
    assert_eq!(value["new_code"]["instrumented"], 1);
    assert_eq!(value["new_code"]["changed_lines"], 1);
}

#[test]
fn whatever_new_code_depends_on_changes_the_answer_as_without_the_cache() {
    let repo = repo();
    let since = ["--new-code-since", "main"];
    common::settle_racy(&repo);
    agrees(&repo, &since, "first run");
    agrees(&repo, &since, "second run");
    // An unstaged edit: only the work tree changed; the diff against the
    // index is the last run's.
    edit(&repo, "src/b.py", 2, "edited");
    let said = agrees(&repo, &since, "unstaged edit");
    assert!(said.contains(STAGED_KEPT) && !said.contains(KEPT), "{said}");
    agrees(&repo, &since, "unstaged edit, again");
    // The same edit staged: git's index changed.
    repo.git(&["add", "src/b.py"]);
    let said = agrees(&repo, &since, "staged");
    assert!(
        !said.contains(STAGED_KEPT) && !said.contains(KEPT),
        "{said}"
    );
    // Committed.
    repo.git(&["commit", "-q", "-m", "two"]);
    agrees(&repo, &since, "committed");
    // An edit to a tracked file git ignores.
    edit(&repo, "notes.log", 3, "edited");
    agrees(&repo, &since, "tracked ignored file");
    // An untracked file, then its content.
    repo.write("src/c.py", "x\n");
    agrees(&repo, &since, "untracked file");
    repo.write("src/c.py", "x\ny\n");
    agrees(&repo, &since, "untracked file's content");
    // Another reference.
    agrees(&repo, &["--new-code-since", "HEAD~1"], "another reference");
    // Attributes in the work tree, which the diff against the index reads.
    repo.write(".gitattributes", "*.py -diff\n");
    agrees(&repo, &since, "attributes");
    std::fs::remove_file(repo.path().join(".gitattributes")).unwrap();
    agrees(&repo, &since, "attributes gone");
    // git's config.
    repo.git(&["config", "diff.noprefix", "true"]);
    agrees(&repo, &since, "config");
    // A damaged memo is no memo.
    repo.write(".pqg/new-code.json", "{ damaged");
    let said = agrees(&repo, &since, "damaged memo");
    assert!(!said.contains(KEPT), "{said}");
}

/// The metric named `new` of a gate of a JSON report.
fn metric_new(gate: &serde_json::Value) -> serde_json::Value {
    gate["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .find(|m| m["name"] == "new")
        .expect("metric new")
        .clone()
}

/// Has git ignore `src/.gitattributes` (through `info/exclude`).
fn ignore_attributes(repo: &TestRepo) {
    std::fs::write(
        repo.path().join(".git/info/exclude"),
        "src/.gitattributes\n",
    )
    .unwrap();
}

/// Three runs: the third takes the second's new code.
fn kept(repo: &TestRepo, since: &[&str]) {
    common::settle_racy(repo);
    agrees(repo, since, "first run");
    agrees(repo, since, "second run");
    let said = agrees(repo, since, "third run");
    assert!(said.contains(KEPT), "{said}");
}

#[test]
fn what_git_reads_beside_the_snapshot_is_part_of_what_is_kept() {
    let repo = repo();
    let since = ["--new-code-since", "main"];
    // A `.gitattributes` that is ignored is in no snapshot, yet git's diff
    // reads it.
    ignore_attributes(&repo);
    kept(&repo, &since);
    repo.write("src/.gitattributes", "*.py -diff\n");
    let said = agrees(&repo, &since, "ignored attributes");
    assert!(!said.contains(KEPT), "{said}");
    std::fs::remove_file(repo.path().join("src/.gitattributes")).unwrap();
    // The environment git reads its attributes by.
    kept(&repo, &since);
    let tree = {
        let git = || assert_cmd::Command::from_std(common::git_command(repo.path()));
        let blob = git()
            .args(["hash-object", "-w", "--stdin"])
            .write_stdin("*.py -diff\n")
            .output()
            .unwrap();
        let listing = format!(
            "100644 blob {}\t.gitattributes\n",
            String::from_utf8_lossy(&blob.stdout).trim()
        );
        let tree = git().arg("mktree").write_stdin(listing).output().unwrap();
        String::from_utf8_lossy(&tree.stdout).trim().to_owned()
    };
    let said = agrees_with(
        &repo,
        &since,
        &[("GIT_ATTR_SOURCE", &tree)],
        "attributes' source",
    );
    assert!(!said.contains(KEPT), "{said}");
    // Context lines asked of git by the user's environment are not new.
    let (value, _) = new_code_with(
        &repo,
        &["--no-cache", "--new-code-since", "main"],
        &[("GIT_DIFF_OPTS", "-u3")],
    );
    assert_eq!(value["new_code"]["changed_lines"], 1, "{value}");
}

#[test]
fn new_code_read_from_a_file_saved_during_the_run_is_not_kept() {
    let repo = repo();
    let since = ["--new-code-since", "main"];
    // An unstaged edit: `src/b.py` is diffed against the work tree.
    edit(&repo, "src/b.py", 2, "edited");
    kept(&repo, &since);
    // Saved again now, as if during a run: the next run's answer is not
    // kept, since what git read of it is inside the racy window.
    edit(&repo, "src/b.py", 4, "edited too");
    let said = agrees(&repo, &since, "just saved");
    assert!(said.contains("not kept for the next run"), "{said}");
    let said = agrees(&repo, &since, "again");
    assert!(!said.contains(KEPT), "{said}");
}

const SAME_BASE: &str = "the merge base of the same two commits as before";

#[test]
fn the_merge_base_of_the_same_two_commits_is_the_last_runs() {
    let repo = repo();
    let since = ["--new-code-since", "main"];
    kept(&repo, &since);
    let said = agrees(&repo, &since, "fourth run");
    assert!(said.contains(SAME_BASE), "{said}");
    // The reference moves on: its commit is another.
    repo.git(&["checkout", "-q", "main"]);
    repo.write("src/c.py", "on main\n");
    repo.git(&["add", "src/c.py"]);
    repo.git(&["commit", "-q", "-m", "main moves"]);
    repo.git(&["checkout", "-q", "feature"]);
    let said = agrees(&repo, &since, "reference moved");
    assert!(!said.contains(SAME_BASE), "{said}");
    // HEAD moves on: main merged in, a new merge base.
    repo.git(&["merge", "-q", "--no-edit", "main"]);
    let said = agrees(&repo, &since, "main merged");
    assert!(!said.contains(SAME_BASE), "{said}");
    let (value, _) = new_code(&repo, &since);
    assert_eq!(value["new_code"]["changed_lines"], 1, "{value}");
}

/// The `-vv` line of a run that takes the coverage on new code judged
/// before.
const JUDGED: &str = "the coverage on new code as judged before";

/// Gate `cov`'s status with the scoped metric's value and counts, from a
/// cached run checked against `--no-cache`; and the cached run's log.
fn judged_agrees(repo: &TestRepo, args: &[&str], why: &str) -> (Value, String) {
    let run = |extra: &[&str]| {
        let mut all = vec!["check", "--format", "json", "-vv"];
        all.extend_from_slice(extra);
        all.extend_from_slice(args);
        let out = repo.pqg(&all).output().expect("run pqg");
        let log = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(matches!(out.status.code(), Some(0 | 1)), "{why}: {log}");
        let report = json(&out.stdout);
        let gate = common::gate(&report, "cov");
        let metric = metric_new(gate);
        let shown = serde_json::json!({
            "status": gate["status"],
            "value": metric["value"],
            "new_code": metric["new_code"],
        });
        (shown, log)
    };
    let (cached, log) = run(&[]);
    let (uncached, _) = run(&["--no-cache"]);
    assert_eq!(cached, uncached, "{why}: {log}");
    (cached, log)
}

#[test]
fn the_coverage_judged_before_serves_only_the_same_report_and_new_lines() {
    let repo = repo();
    let since = ["--new-code-since", "main"];
    // `src/c.py` is in the report before it exists.
    let files = ["src/a.py", "src/b.py", "notes.log", "src/c.py"];
    let odd_hit = common::lcov_report(&files, 10, |line| line % 2);
    repo.write("cov/lcov.info", &odd_hit);
    // A threshold from `development` on (`gates.toml`, tracked, is new
    // code too: it stays as it is from here on).
    repo.write("gates.toml", &common::new_code_gate("{ development = 60 }"));
    common::settle_racy(&repo);
    judged_agrees(&repo, &since, "first run");
    let (first, said) = judged_agrees(&repo, &since, "second run");
    assert!(said.contains(JUDGED), "{said}");
    assert_eq!(first["value"], 100.0, "{first}");
    // A changed file edited again: line 2, never hit, is new too.
    edit(&repo, "src/a.py", 2, "edited");
    let (edited, said) = judged_agrees(&repo, &since, "changed file edited");
    assert!(!said.contains(JUDGED), "{said}");
    assert_eq!(edited["value"], 50.0, "{edited}");
    let (again, said) = judged_agrees(&repo, &since, "changed file edited, again");
    assert!(said.contains(JUDGED), "{said}");
    assert_eq!(again, edited);
    assert_eq!(again["status"], "pass", "{again}");
    // Another stage, a tighter threshold: the same coverage, judged
    // against it.
    let stage = ["--new-code-since", "main", "--stage", "development"];
    let (tight, said) = judged_agrees(&repo, &stage, "threshold");
    assert!(said.contains(JUDGED), "{said}");
    assert_eq!(tight["status"], "fail", "{tight}");
    assert_eq!(tight["value"], 50.0, "{tight}");
    // Line 3 edited instead of line 2: as many new lines in the same
    // files, other ones (line 3 is hit).
    repo.git(&["checkout", "--", "src/a.py"]);
    edit(&repo, "src/a.py", 3, "edited");
    let (other, said) = judged_agrees(&repo, &since, "another line");
    assert!(!said.contains(JUDGED), "{said}");
    assert_eq!(other["value"], 100.0, "{other}");
    assert_eq!(
        other["new_code"]["changed_lines"],
        edited["new_code"]["changed_lines"]
    );
    repo.git(&["checkout", "--", "src/a.py"]);
    edit(&repo, "src/a.py", 2, "edited");
    // A new untracked file: every line of it is new.
    repo.write("src/c.py", "c 1\nc 2\nc 3\nc 4\n");
    let (untracked, said) = judged_agrees(&repo, &since, "untracked file");
    assert!(!said.contains(JUDGED), "{said}");
    assert_ne!(untracked["new_code"], edited["new_code"], "{untracked}");
    // Another reference: only the work tree's lines are new.
    let (moved, said) = judged_agrees(&repo, &["--new-code-since", "HEAD"], "reference");
    assert!(!said.contains(JUDGED), "{said}");
    assert_ne!(moved["new_code"], untracked["new_code"], "{moved}");
    // Another report: every line hit.
    repo.write("cov/lcov.info", &common::lcov_report(&files, 10, |_| 1));
    let (report, said) = judged_agrees(&repo, &since, "report");
    assert!(!said.contains(JUDGED), "{said}");
    assert_eq!(report["value"], 100.0, "{report}");
    assert_ne!(report["new_code"], untracked["new_code"], "{report}");
    // Back to the first state: its outcome is still remembered.
    repo.write("cov/lcov.info", &odd_hit);
    std::fs::remove_file(repo.path().join("src/c.py")).unwrap();
    repo.git(&["checkout", "--", "src/a.py"]);
    judged_agrees(&repo, &since, "back, first run");
    let (back, said) = judged_agrees(&repo, &since, "back");
    assert!(said.contains(JUDGED), "{said}");
    assert_eq!(back, first);
    // A damaged memo is none.
    repo.write(".pqg/new-code-judged.json", "[{ damaged");
    let (_, said) = judged_agrees(&repo, &since, "damaged");
    assert!(!said.contains(JUDGED), "{said}");
}

#[test]
fn an_ignored_attributes_file_is_read_again_while_the_untracked_cache_holds() {
    let repo = repo();
    let since = ["--new-code-since", "main"];
    // An ignored `.gitattributes` there from the start: the untracked
    // cache's record saw its name, and a run whose record holds reads it
    // (its content may change without its folder changing).
    ignore_attributes(&repo);
    repo.write("src/.gitattributes", "*.py diff\n");
    kept(&repo, &since);
    let folder = || {
        std::fs::metadata(repo.path().join("src"))
            .unwrap()
            .modified()
            .unwrap()
    };
    let before = folder();
    std::fs::write(repo.path().join("src/.gitattributes"), "*.py -diff\n").unwrap();
    assert_eq!(folder(), before, "an edit in place leaves its folder alone");
    let said = agrees(&repo, &since, "ignored attributes edited");
    assert!(
        said.contains("untracked cache:") && said.contains("unchanged"),
        "{said}"
    );
    assert!(!said.contains(KEPT), "{said}");
    // Held again, with nothing changed: the last run's new code.
    common::settle_racy(&repo);
    agrees(&repo, &since, "settled");
    let said = agrees(&repo, &since, "settled, again");
    assert!(said.contains(KEPT), "{said}");
}
