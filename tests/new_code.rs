//! New-code gates (issue 15): coverage of changed lines, findings on
//! changed lines, the reference they are measured from, and the cache
//! that judges a kept measurement again when the reference moves.

mod common;

use common::{git_command, json, TestRepo};
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use serde_json::Value;
use std::path::Path;

/// A coverage gate that copies prepared reports (kept in the ignored
/// `cov/`) to where its metrics read them, so each run writes them.
const COVERAGE_GATES: &str = r#"
[gates.cov]
run = "mkdir -p out && cp cov/lcov.info out/lcov.info && cp cov/cobertura.xml out/cobertura.xml"
inputs = ["cov/**"]
[gates.cov.metrics.lcov_new]
lcov = "out/lcov.info"
scope = "new"
min = 0
[gates.cov.metrics.cobertura_new]
cobertura = "out/cobertura.xml"
scope = "new"
min = 0
"#;

/// `pqg check` or another subcommand in `repo`, with the CI's target
/// branch variables unset (they would choose the reference).
fn pqg(repo: &TestRepo, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = repo.pqg(args);
    cmd.env_remove("GITHUB_BASE_REF")
        .env_remove("CI_MERGE_REQUEST_TARGET_BRANCH_NAME");
    cmd
}

/// Runs `pqg check --format json ARGS` (exit 0 or 1) and gives the report.
fn check(repo: &TestRepo, args: &[&str]) -> Value {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let out = pqg(repo, &all).output().expect("run pqg");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "pqg failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&out.stdout)
}

/// The metric `name` of gate `gate` in a JSON report.
fn metric<'a>(report: &'a Value, gate: &str, name: &str) -> &'a Value {
    let gate = report["gates"]
        .as_array()
        .expect("gates")
        .iter()
        .find(|g| g["name"] == gate)
        .unwrap_or_else(|| panic!("no gate {gate}"));
    gate["metrics"]
        .as_array()
        .expect("metrics")
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no metric {name}"))
}

fn gate<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["gates"]
        .as_array()
        .expect("gates")
        .iter()
        .find(|g| g["name"] == name)
        .unwrap_or_else(|| panic!("no gate {name}"))
}

fn numbered(prefix: &str, n: usize) -> String {
    (1..=n).map(|i| format!("{prefix} line {i}\n")).collect()
}

fn commit(repo: &TestRepo, message: &str) {
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", message]);
}

/// Whether line `line` of file `salt` is instrumented, and whether hit:
/// a fixed pattern, the same in both reports.
fn line_state(salt: usize, line: usize) -> Option<bool> {
    if (line + salt).is_multiple_of(4) {
        return None;
    }
    Some(!(line * 7 + salt).is_multiple_of(3))
}

/// What the LCOV `write_reports` writes says of a line: as
/// [`line_state`], but a missed line with a taken branch (`DA:n,0` and a
/// `BRDA` taken) is hit, as diff-cover counts it.
fn lcov_state(salt: usize, line: usize) -> Option<bool> {
    line_state(salt, line).map(|hit| hit || (line % 6 == 3 && line % 4 == 3))
}

/// Writes `cov/lcov.info` and `cov/cobertura.xml` for `files` (project
/// path, how the LCOV names it, how Cobertura names it below its source
/// `src`), each as long as the file is now in the work tree; `extra` names
/// a file the project does not have.
fn write_reports(repo: &TestRepo, files: &[(&str, String, &str)]) {
    let root = repo.path().to_str().expect("utf-8 path");
    let mut lcov = String::from("TN:\n");
    let mut classes = String::new();
    for (salt, (path, lcov_name, cobertura_name)) in files.iter().enumerate() {
        let lines =
            std::fs::read_to_string(repo.path().join(path)).map_or(40, |t| t.lines().count());
        lcov.push_str(&format!("SF:{lcov_name}\n"));
        classes.push_str(&format!(
            "<class name=\"c{salt}\" filename=\"{cobertura_name}\"><methods/><lines>"
        ));
        let mut fnda = String::new();
        for line in 1..=lines {
            if let Some(hit) = line_state(salt, line) {
                // LCOV as nyc, c8 and Jest write it: some lines only as a
                // function's first line (FN/FNDA), some only as branches
                // (BRDA), some with no hits but taken branches.
                match line % 6 {
                    1 => {
                        lcov.push_str(&format!("FN:{line},f{line}\n"));
                        fnda.push_str(&format!("FNDA:{},f{line}\n", 3 * u8::from(hit)));
                    }
                    2 => lcov.push_str(&format!(
                        "BRDA:{line},0,0,2\nBRDA:{line},0,1,{}\n",
                        if hit { "1" } else { "-" }
                    )),
                    3 if !hit && line % 4 == 3 => {
                        lcov.push_str(&format!("DA:{line},0\nBRDA:{line},0,0,1\n"));
                    }
                    _ => lcov.push_str(&format!("DA:{line},{}\n", u8::from(hit))),
                }
                if hit && line % 5 == 0 {
                    // A partly taken branch on a hit line: covered.
                    classes.push_str(&format!(
                        "<line number=\"{line}\" hits=\"1\" branch=\"true\" condition-coverage=\"50% (1/2)\"/>"
                    ));
                } else {
                    classes.push_str(&format!(
                        "<line number=\"{line}\" hits=\"{}\"/>",
                        u8::from(hit)
                    ));
                }
            }
        }
        lcov.push_str(&fnda);
        lcov.push_str("end_of_record\n");
        classes.push_str("</lines></class>");
    }
    repo.write("cov/lcov.info", &lcov);
    repo.write(
        "cov/cobertura.xml",
        &format!(
            "<?xml version=\"1.0\" ?>\n<coverage version=\"7\"><sources><source>{root}/src</source></sources>\
             <packages><package name=\"p\"><classes>{classes}</classes></package></packages></coverage>\n"
        ),
    );
}

/// A repository whose `feature` branch, made from `main`, changes lines in
/// every way: modified and added lines, deleted lines, a file renamed with
/// edits, a new committed file, a staged edit, an unstaged edit, an
/// untracked file, and a changed file the reports do not know; the reports
/// also name a file the project does not have, and name files as absolute
/// paths, `./`-prefixed, relative, and relative to a Cobertura source.
fn diverse_repo() -> TestRepo {
    let repo = TestRepo::new()
        .gates(COVERAGE_GATES)
        .file(".gitignore", "cov/\nout/\n.pqg/\n*.json\n")
        .file("src/a.py", &numbered("a", 40))
        .file("src/b.py", &numbered("b", 30))
        .file("src/old.py", &numbered("old", 30))
        .file("src/unknown.py", &numbered("unknown", 10));
    commit(&repo, "base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    // Modified, added and deleted lines in a.py.
    let mut a: Vec<String> = numbered("a", 40).lines().map(str::to_owned).collect();
    a[2] = "a changed 3".into();
    a[3] = "a changed 4".into();
    a.drain(14..17);
    a.insert(20, "a added 1".into());
    a.insert(21, "a added 2".into());
    repo.write("src/a.py", &(a.join("\n") + "\n"));
    // A rename with edits.
    std::fs::remove_file(repo.path().join("src/old.py")).expect("rm");
    let mut new: Vec<String> = numbered("old", 30).lines().map(str::to_owned).collect();
    new[9] = "renamed and changed".into();
    new.push("renamed and added".into());
    repo.write("src/new.py", &(new.join("\n") + "\n"));
    repo.write("src/c.py", &numbered("c", 12));
    repo.write("src/unknown.py", &numbered("unknown changed", 10));
    commit(&repo, "feature");
    // Staged only.
    let mut b: Vec<String> = numbered("b", 30).lines().map(str::to_owned).collect();
    b[5] = "b staged 6".into();
    b[6] = "b staged 7".into();
    repo.write("src/b.py", &(b.join("\n") + "\n"));
    repo.git(&["add", "src/b.py"]);
    // Unstaged on top.
    b[20] = "b unstaged 21".into();
    repo.write("src/b.py", &(b.join("\n") + "\n"));
    // Untracked.
    repo.write("src/u.py", &numbered("u", 8));
    let root = repo.path().to_str().expect("utf-8").to_owned();
    write_reports(
        &repo,
        &[
            ("src/a.py", format!("{root}/src/a.py"), "a.py"),
            ("src/b.py", "./src/b.py".into(), "b.py"),
            ("src/new.py", "src/new.py".into(), "new.py"),
            ("src/c.py", "src/c.py".into(), "c.py"),
            ("src/u.py", "src/u.py".into(), "u.py"),
            ("src/gone.py", "src/gone.py".into(), "gone.py"),
        ],
    );
    repo
}

/// diff-cover's figure for `report`: covered ÷ measured changed lines.
fn diff_cover_percent(repo: &TestRepo, report: &str) -> Option<f64> {
    let out_json = repo.path().join("diff-cover.json");
    let mut cmd = std::process::Command::new("diff-cover");
    common::isolate(&mut cmd);
    let out = cmd
        .current_dir(repo.path())
        .args([
            report,
            "--compare-branch=main",
            "--include-untracked",
            "--format",
        ])
        .arg(format!("json:{}", out_json.display()))
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "diff-cover failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value =
        serde_json::from_slice(&std::fs::read(&out_json).expect("diff-cover json")).expect("json");
    let lines = report["total_num_lines"].as_f64().expect("total_num_lines");
    let missed = report["total_num_violations"].as_f64().expect("violations");
    Some(100.0 * (lines - missed) / lines)
}

fn diff_cover_installed() -> bool {
    let mut cmd = std::process::Command::new("diff-cover");
    common::isolate(&mut cmd);
    cmd.arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn new_code_coverage_agrees_with_diff_cover() {
    if !diff_cover_installed() {
        // .ci/run installs diff-cover and sets this: CI never skips.
        assert!(
            std::env::var_os("PQG_REQUIRE_DIFF_COVER").is_none(),
            "PQG_REQUIRE_DIFF_COVER is set but diff-cover is not on PATH"
        );
        eprintln!("note: diff-cover is not installed (pip install diff-cover): the agreement test is skipped");
        return;
    }
    let repo = diverse_repo();
    let report = check(&repo, &["--new-code-since", "main"]);
    // The reports as the gate wrote them, for diff-cover.
    for (metric_name, file) in [
        ("lcov_new", "out/lcov.info"),
        ("cobertura_new", "out/cobertura.xml"),
    ] {
        let ours = metric(&report, "cov", metric_name)["value"]
            .as_f64()
            .unwrap_or_else(|| panic!("{metric_name}: {report:#}"));
        let theirs = diff_cover_percent(&repo, file).expect("diff-cover ran");
        eprintln!("{metric_name}: pqg {ours:.3} %, diff-cover {theirs:.3} %");
        assert!(
            (ours - theirs).abs() <= 0.1,
            "{metric_name}: pqg {ours} vs diff-cover {theirs}"
        );
    }
    let counts = &metric(&report, "cov", "lcov_new")["new_code"];
    assert!(counts["instrumented"].as_u64().unwrap() > 10, "{counts}");
    assert_eq!(counts["reference"], "main");
}

#[test]
fn every_kind_of_change_counts_and_unknown_files_do_not() {
    let repo = diverse_repo();
    let report = check(&repo, &["--new-code-since", "main"]);
    let counts = &metric(&report, "cov", "lcov_new")["new_code"];
    let uncovered: Vec<String> = counts["uncovered"]
        .as_array()
        .expect("uncovered")
        .iter()
        .map(|u| u["path"].as_str().unwrap().to_owned())
        .collect();
    // Every missed changed line is listed by file; the files it names are
    // those the reports instrument.
    for path in &uncovered {
        assert!(
            ["src/a.py", "src/b.py", "src/new.py", "src/c.py", "src/u.py"].contains(&path.as_str()),
            "{path}"
        );
    }
    // Count by hand what the reports say about the changed lines.
    let expected = |salt: usize, lines: &[usize]| -> (u64, u64) {
        lines
            .iter()
            .fold((0, 0), |(n, c), &l| match lcov_state(salt, l) {
                Some(hit) => (n + 1, c + u64::from(hit)),
                None => (n, c),
            })
    };
    let parts = [
        expected(0, &[3, 4, 21, 22]),               // a.py: modified, added
        expected(1, &[6, 7, 21]),                   // b.py: staged, unstaged
        expected(2, &[10, 31]),                     // new.py: renamed with edits
        expected(3, &(1..=12).collect::<Vec<_>>()), // c.py: new
        expected(4, &(1..=8).collect::<Vec<_>>()),  // u.py: untracked
    ];
    let (n, c) = parts.iter().fold((0, 0), |(n, c), (a, b)| (n + a, c + b));
    assert_eq!(counts["instrumented"], n, "{counts}");
    assert_eq!(counts["covered"], c, "{counts}");
}

/// A one-file repository: `src/a.py` of 10 lines on `main`, every line
/// instrumented, odd lines hit; a checkout of `feature`.
fn small_repo() -> TestRepo {
    let repo = TestRepo::new()
        .gates(&common::new_code_gate("60"))
        .file(".gitignore", "cov/\nout/\n.pqg/\n")
        .file("src/a.py", &numbered("a", 10));
    repo.write(
        "cov/lcov.info",
        &common::lcov_report(&["src/a.py"], 10, |line| line % 2),
    );
    commit(&repo, "base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo
}

fn edit_line(repo: &TestRepo, line: usize, text: &str) {
    let mut lines: Vec<String> = repo.read("src/a.py").lines().map(str::to_owned).collect();
    lines[line - 1] = text.to_owned();
    repo.write("src/a.py", &(lines.join("\n") + "\n"));
}

fn new_value(repo: &TestRepo, args: &[&str]) -> Value {
    metric(&check(repo, args), "cov", "new")["value"].clone()
}

#[test]
fn staged_unstaged_and_committed_changes_each_count() {
    // Committed only.
    let repo = small_repo();
    edit_line(&repo, 1, "hit");
    commit(&repo, "one");
    assert_eq!(new_value(&repo, &["--no-cache"]), 100.0);
    // Staged only.
    let repo = small_repo();
    edit_line(&repo, 2, "missed");
    repo.git(&["add", "src/a.py"]);
    assert_eq!(new_value(&repo, &["--no-cache"]), 0.0);
    // Unstaged only.
    let repo = small_repo();
    edit_line(&repo, 3, "hit");
    edit_line(&repo, 4, "missed");
    assert_eq!(new_value(&repo, &["--no-cache"]), 50.0);
    // All three at once, one line each.
    let repo = small_repo();
    edit_line(&repo, 1, "hit");
    commit(&repo, "one");
    edit_line(&repo, 3, "hit");
    repo.git(&["add", "src/a.py"]);
    edit_line(&repo, 4, "missed");
    let report = check(&repo, &["--no-cache"]);
    let m = metric(&report, "cov", "new");
    assert_eq!(m["new_code"]["instrumented"], 3);
    assert_eq!(m["new_code"]["covered"], 2);
}

#[test]
fn verbose_lists_report_files_that_match_no_project_file() {
    let repo = small_repo();
    repo.write(
        "cov/lcov.info",
        &(repo.read("cov/lcov.info") + "SF:/elsewhere/gone.py\nDA:1,1\nend_of_record\n"),
    );
    edit_line(&repo, 1, "hit");
    pqg(&repo, &["check", "-v", "--no-cache"])
        .assert()
        .stderr(contains("1 of 2 files match no file of the project"))
        .stderr(contains("/elsewhere/gone.py"));
}

#[test]
fn a_whitespace_only_change_counts_as_git_sees_it() {
    let repo = small_repo();
    let text = repo.read("src/a.py").replacen("a line 2", "a line 2  ", 1);
    repo.write("src/a.py", &text);
    let m = check(&repo, &["--no-cache"]);
    let m = metric(&m, "cov", "new");
    assert_eq!(m["new_code"]["instrumented"], 1, "{m}");
    assert_eq!(m["value"], 0.0);
}

#[test]
fn no_instrumented_changed_line_is_not_applicable_and_passes() {
    let repo = small_repo();
    // Lines 11+ are not in the report.
    let text = repo.read("src/a.py") + "a new line 11\nnew 12\nnew 13\n";
    repo.write("src/a.py", &text);
    repo.write("README", "new, not instrumented\n");
    let out = pqg(&repo, &["check", "--no-cache"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let table = String::from_utf8_lossy(&out);
    assert!(table.contains("new n/a"), "{table}");
    let report = check(&repo, &["--no-cache"]);
    let m = metric(&report, "cov", "new");
    assert_eq!(m["value"], Value::Null);
    assert_eq!(m["error"], Value::Null);
    assert_eq!(m["scope"], "new");
    assert_eq!(m["new_code"]["instrumented"], 0);
    assert_eq!(m["not_applicable"], true, "{m}");
    assert_eq!(gate(&report, "cov")["status"], "pass");

    let md = pqg(&repo, &["check", "--no-cache", "--format", "markdown"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&md.stdout).contains("new n/a"));
}

#[test]
fn an_unknown_reference_is_a_usage_error() {
    let repo = small_repo();
    pqg(&repo, &["check", "--new-code-since", "no-such-branch"])
        .assert()
        .code(2)
        .stderr(contains("unknown ref `no-such-branch`"));
    // A name git would take for an option is no ref.
    pqg(&repo, &["check", "--new-code-since=--output=/tmp/pqg-x"])
        .assert()
        .code(2)
        .stderr(contains("unknown ref `--output=/tmp/pqg-x`"));
    repo.write(
        "gates.toml",
        &(repo.read("gates.toml") + "\n[settings]\nnew_code_since = \"nope\"\n"),
    );
    pqg(&repo, &["check"])
        .assert()
        .code(2)
        .stderr(contains("unknown ref `nope`"));
}

#[test]
fn without_a_merge_base_every_line_is_new() {
    let repo = small_repo();
    // An unrelated history: no merge base with HEAD.
    repo.git(&["checkout", "-q", "--orphan", "other"]);
    repo.git(&["rm", "-rq", "--cached", "."]);
    repo.write("other.txt", "x\n");
    repo.git(&["add", "other.txt"]);
    repo.git(&["commit", "-q", "-m", "other"]);
    repo.git(&["checkout", "-q", "-f", "feature"]);
    let out = pqg(
        &repo,
        &["check", "--format", "json", "--new-code-since", "other"],
    )
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("no merge base").count(),
        1,
        "one line: {stderr}"
    );
    let report = json(&out.stdout);
    let m = metric(&report, "cov", "new");
    // Every instrumented line of the report that names a project file.
    assert_eq!(m["new_code"]["instrumented"], 10, "{m}");
    assert_eq!(m["value"], 50.0);
}

#[test]
fn a_shallow_clone_says_so_and_does_not_crash() {
    let upstream = small_repo();
    edit_line(&upstream, 1, "hit");
    commit(&upstream, "one");
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", upstream.path().display());
    let status = git_command(Path::new("/"))
        .args(["clone", "-q", "--depth", "1", "--branch", "feature", &url])
        .arg(clone.path().join("c"))
        .status()
        .unwrap();
    assert!(status.success());
    let dir = clone.path().join("c");
    std::fs::create_dir_all(dir.join("cov")).unwrap();
    std::fs::copy(
        upstream.path().join("cov/lcov.info"),
        dir.join("cov/lcov.info"),
    )
    .unwrap();
    let mut cmd = upstream.pqg(["check", "--new-code-since", "origin/main"]);
    cmd.current_dir(&dir)
        .env_remove("GITHUB_BASE_REF")
        .env_remove("CI_MERGE_REQUEST_TARGET_BRANCH_NAME");
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // origin/main is not fetched in a one-branch shallow clone: exit 2,
    // or, when it is, no merge base: one line, every line new.
    assert!(
        out.status.code() == Some(2) && stderr.contains("unknown ref")
            || stderr.contains("shallow clone"),
        "{stderr}"
    );
    let status = git_command(&dir)
        .args([
            "fetch",
            "-q",
            "--depth",
            "1",
            "origin",
            "main:refs/remotes/origin/main",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let mut cmd = upstream.pqg(["check", "--new-code-since", "origin/main"]);
    cmd.current_dir(&dir)
        .env_remove("GITHUB_BASE_REF")
        .env_remove("CI_MERGE_REQUEST_TARGET_BRANCH_NAME");
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{stderr}");
    assert!(stderr.contains("shallow clone"), "{stderr}");
}

#[test]
fn the_ci_target_branch_is_the_reference() {
    let repo = small_repo();
    edit_line(&repo, 1, "hit");
    commit(&repo, "one");
    // `origin/main` when it exists: make a remote-tracking ref that is one
    // commit ahead of main (the commit just made), so nothing is new.
    repo.git(&["update-ref", "refs/remotes/origin/main", "HEAD"]);
    edit_line(&repo, 2, "missed");
    let mut cmd = repo.pqg(["check", "--format", "json", "--no-cache"]);
    cmd.env("GITHUB_BASE_REF", "main")
        .env_remove("CI_MERGE_REQUEST_TARGET_BRANCH_NAME");
    let report = json(&cmd.output().unwrap().stdout);
    let m = metric(&report, "cov", "new");
    assert_eq!(m["new_code"]["reference"], "origin/main");
    assert_eq!(m["value"], 0.0, "only the unstaged line is new: {m}");
    // GitLab's variable, and the flag beats both.
    let mut cmd = repo.pqg(["check", "--format", "json", "--no-cache"]);
    cmd.env("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main")
        .env_remove("GITHUB_BASE_REF");
    let report = json(&cmd.output().unwrap().stdout);
    assert_eq!(
        metric(&report, "cov", "new")["new_code"]["reference"],
        "origin/main"
    );
    let mut cmd = repo.pqg([
        "check",
        "--format",
        "json",
        "--no-cache",
        "--new-code-since",
        "main",
    ]);
    cmd.env("GITHUB_BASE_REF", "main");
    let report = json(&cmd.output().unwrap().stdout);
    let m = metric(&report, "cov", "new");
    assert_eq!(m["new_code"]["reference"], "main");
    assert_eq!(m["value"], 50.0);
}

#[test]
fn the_default_reference_is_the_upstream_then_main() {
    let repo = small_repo();
    edit_line(&repo, 1, "hit");
    commit(&repo, "one");
    let report = check(&repo, &["--no-cache"]);
    assert_eq!(
        metric(&report, "cov", "new")["new_code"]["reference"],
        "main"
    );
    // An upstream wins over main.
    repo.git(&["remote", "add", "origin", "/nonexistent"]);
    repo.git(&["update-ref", "refs/remotes/origin/feature", "HEAD"]);
    repo.git(&["branch", "-q", "--set-upstream-to", "origin/feature"]);
    let report = check(&repo, &["--no-cache"]);
    let m = metric(&report, "cov", "new");
    assert_eq!(m["new_code"]["reference"], "origin/feature");
    assert_eq!(m["value"], Value::Null, "nothing new since the upstream");
}

#[test]
fn moving_the_reference_judges_the_kept_lines_again_without_running() {
    let repo = small_repo();
    edit_line(&repo, 1, "hit");
    commit(&repo, "one");
    edit_line(&repo, 2, "missed");
    commit(&repo, "two");
    let first = check(&repo, &[]);
    assert_eq!(gate(&first, "cov")["cached"], false);
    assert_eq!(metric(&first, "cov", "new")["value"], 50.0);
    assert_eq!(gate(&first, "cov")["status"], "fail");
    // The uncovered changed line is listed where it is.
    let out = pqg(&repo, &["check"]).output().unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("src/a.py:2  changed lines not covered"),
        "{table}"
    );
    // A new upstream commit: main moves to "one"; only line 2 is new now.
    repo.git(&["branch", "-f", "main", "HEAD~1"]);
    let moved = check(&repo, &[]);
    assert_eq!(
        gate(&moved, "cov")["cached"],
        true,
        "the report did not change"
    );
    assert_eq!(metric(&moved, "cov", "new")["value"], 0.0);
    let fresh = check(&repo, &["--no-cache"]);
    assert_eq!(metric(&fresh, "cov", "new")["value"], 0.0);
    assert_eq!(gate(&moved, "cov")["status"], gate(&fresh, "cov")["status"]);
    // And back: main at "two", nothing new: n/a, a pass, still cached.
    repo.git(&["branch", "-f", "main", "HEAD"]);
    let none = check(&repo, &[]);
    assert_eq!(gate(&none, "cov")["cached"], true);
    assert_eq!(gate(&none, "cov")["status"], "pass");
    assert_eq!(metric(&none, "cov", "new")["value"], Value::Null);
}

const SARIF_GATES: &str = r#"
[gates.lint]
run = "mkdir -p out && cp cov/lint.sarif out/lint.sarif"
inputs = ["cov/**"]
[gates.lint.metrics.all]
sarif = "out/lint.sarif"
[gates.lint.metrics.new]
sarif = "out/lint.sarif"
scope = "new"
max = 0
"#;

#[test]
fn sarif_results_count_on_changed_lines_and_unlocated_ones_never() {
    let repo = TestRepo::new()
        .gates(SARIF_GATES)
        .file(".gitignore", "cov/\nout/\n.pqg/\n")
        .file("src/a.py", &numbered("a", 10));
    commit(&repo, "base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    edit_line(&repo, 4, "changed");
    let result = |uri: Option<&str>, line: u32| match uri {
        Some(uri) => format!(
            r#"{{"ruleId":"R1","message":{{"text":"m"}},"locations":[{{"physicalLocation":{{"artifactLocation":{{"uri":"{uri}"}},"region":{{"startLine":{line}}}}}}}]}}"#
        ),
        None => r#"{"ruleId":"R2","message":{"text":"nowhere"}}"#.to_owned(),
    };
    let results = [
        result(Some("src/a.py"), 4),        // on a changed line
        result(Some("src/a.py"), 5),        // on an old line
        result(None, 0),                    // no location
        result(Some("/elsewhere/x.py"), 4), // outside the repository
    ];
    repo.write(
        "cov/lint.sarif",
        &format!(
            r#"{{"version":"2.1.0","runs":[{{"tool":{{"driver":{{"name":"lint"}}}},"results":[{}]}}]}}"#,
            results.join(",")
        ),
    );
    let report = check(&repo, &["--new-code-since", "main"]);
    assert_eq!(metric(&report, "lint", "all")["value"], 4.0);
    // Only an n/a metric carries `not_applicable`.
    assert_eq!(metric(&report, "lint", "all").get("not_applicable"), None);
    let new = metric(&report, "lint", "new");
    assert_eq!(new["value"], 1.0, "{new}");
    assert_eq!(new["new_code"]["unlocated"], 2);
    assert_eq!(new["new_code"]["new_findings"], 1);
    let out = pqg(&repo, &["check", "--new-code-since", "main"])
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("2 unlocated not counted"), "{table}");
    // The scoped metric lists the result it counted, not the old one.
    let new_part = &table[table.find("new: ").expect("new's listing")..];
    assert!(new_part.contains("src/a.py:4"), "{table}");
    assert!(!new_part.contains("src/a.py:5"), "{table}");
}

/// A scoped `forbidden` gate (no `TODO` on new code) over `file`, which
/// holds one old `TODO` on `main`; a checkout of `feature`.
fn todo_repo(file: &str) -> TestRepo {
    let repo = TestRepo::new()
        .gates(
            r#"
[gates.todo]
builtin = "forbidden"
patterns = [{ id = "todo", regex = "TO[D]O", message = "no to-do" }]
[gates.todo.metrics.findings]
scope = "new"
max = 0
"#,
        )
        .file(".gitignore", ".pqg/\n")
        .file(file, "x = 1  # TODO old\n");
    commit(&repo, "base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo
}

#[test]
fn builtin_findings_count_only_on_changed_lines() {
    let repo = todo_repo("src/a.py");
    pqg(&repo, &["check"]).assert().success();
    repo.write("src/a.py", "x = 1  # TODO old\ny = 2  # TODO new\n");
    let report = check(&repo, &[]);
    let m = metric(&report, "todo", "findings");
    assert_eq!(m["value"], 1.0, "{m}");
    assert_eq!(gate(&report, "todo")["status"], "fail");
}

#[test]
fn scope_and_rate_are_checked_where_they_are_written() {
    let bad = |metric: &str, expected: &str| {
        let repo = TestRepo::new().gates(&format!(
            "[gates.g]\nrun = \"true\"\n[gates.g.metrics.m]\n{metric}\n"
        ));
        pqg(&repo, &["validate"])
            .assert()
            .code(2)
            .stderr(contains(expected));
    };
    bad("regex = '(\\d+)'\nscope = \"new\"", "needs located data");
    bad(
        "lcov = \"x\"\nscope = \"newest\"",
        "`scope` must be `all` or `new`",
    );
    bad(
        "lcov = \"x\"\nscope = \"new\"\nrate = \"branches\"",
        "measures lines, not branches",
    );
    bad(
        "junit = \"x\"\nrate = \"lines\"",
        "`rate` needs `lcov` or `cobertura`",
    );
    bad(
        "lcov = \"x\"\nrate = \"statements\"",
        "`rate` must be `lines` or `branches`",
    );
    let repo = TestRepo::new().gates(
        "[gates.s]\nbuiltin = \"large-files\"\n[gates.s.metrics.findings]\nscope = \"new\"\n",
    );
    pqg(&repo, &["validate"])
        .assert()
        .code(2)
        .stderr(contains("needs located data"));
}

#[test]
fn branch_rate_reads_the_reports_branch_totals() {
    let repo = TestRepo::new()
        .gates(
            r#"
[gates.cov]
run = "mkdir -p out && cp cov/lcov.info cov/c.xml out/"
inputs = ["cov/**"]
[gates.cov.metrics.lcov_branches]
lcov = "out/lcov.info"
rate = "branches"
[gates.cov.metrics.cobertura_branches]
cobertura = "out/c.xml"
rate = "branches"
[gates.cov.metrics.lines]
cobertura = "out/c.xml"
rate = "lines"
"#,
        )
        .file(".gitignore", "cov/\nout/\n.pqg/\n")
        .file(
            "cov/lcov.info",
            "SF:a\nDA:1,1\nBRDA:1,0,0,1\nBRDA:1,0,1,-\nBRDA:1,0,2,0\nBRDA:1,0,3,2\nend_of_record\n",
        )
        .file(
            "cov/c.xml",
            r#"<coverage lines-valid="4" lines-covered="3" branches-valid="8" branches-covered="2"><packages/></coverage>"#,
        );
    let report = check(&repo, &[]);
    assert_eq!(metric(&report, "cov", "lcov_branches")["value"], 50.0);
    assert_eq!(metric(&report, "cov", "cobertura_branches")["value"], 25.0);
    assert_eq!(metric(&report, "cov", "lines")["value"], 75.0);
}

#[test]
fn the_ladder_and_the_baseline_treat_a_scoped_metric_like_any_other() {
    let repo = small_repo();
    repo.write(
        "gates.toml",
        r#"
[gates.cov]
run = "mkdir -p out && cp cov/lcov.info out/lcov.info"
inputs = ["cov/**"]
enforce_from = "staging"
[gates.cov.metrics.new]
lcov = "out/lcov.info"
scope = "new"
min = { development = 40, production = 90 }
"#,
    );
    commit(&repo, "config");
    edit_line(&repo, 1, "hit");
    edit_line(&repo, 2, "missed");
    edit_line(&repo, 3, "hit");
    // 2 of 3 changed lines covered: 66.7 %.
    let out = pqg(&repo, &["ladder", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ladder = json(&out.stdout);
    let text = ladder.to_string();
    assert!(text.contains("production"), "{text}");
    assert!(
        text.contains("new 66.67 < 90") || text.contains("66.6"),
        "{text}"
    );
    // Warn below staging, pass at development... the stage map holds.
    let dev = check(&repo, &["--stage", "development"]);
    assert_eq!(gate(&dev, "cov")["status"], "pass");
    let prod = check(&repo, &["--stage", "production"]);
    assert_eq!(gate(&prod, "cov")["status"], "fail");
    // A baseline of the scoped value, and max_regression against it.
    pqg(&repo, &["baseline", "save"]).assert().success();
    let saved = repo.read("gates.baseline.json");
    assert!(saved.contains("66.6"), "{saved}");
    repo.write(
        "gates.toml",
        &repo.read("gates.toml").replace(
            "min = { development = 40, production = 90 }",
            "max_regression = \"1%\"\nbetter = \"higher\"",
        ),
    );
    edit_line(&repo, 3, "hit");
    edit_line(&repo, 4, "missed");
    let report = check(&repo, &[]);
    let m = metric(&report, "cov", "new");
    assert_eq!(m["within"], false, "{m}");
    assert!(m["miss"].as_str().unwrap().contains("regressed"), "{m}");
}

#[test]
fn merge_keeps_the_new_code_counts_of_each_shard() {
    let repo = small_repo();
    repo.write(
        "gates.toml",
        &(repo.read("gates.toml") + "\n[gates.other]\nrun = \"true\"\ninputs = [\"src/**\"]\n"),
    );
    edit_line(&repo, 1, "hit");
    for shard in ["1/2", "2/2"] {
        let path = format!("out/shard-{}.json", &shard[..1]);
        let out = pqg(
            &repo,
            &[
                "check",
                "--shard",
                shard,
                "--report",
                &format!("json={path}"),
            ],
        )
        .output()
        .unwrap();
        assert!(matches!(out.status.code(), Some(0 | 1)));
    }
    let out = pqg(
        &repo,
        &[
            "merge",
            "out/shard-1.json",
            "out/shard-2.json",
            "--format",
            "json",
        ],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged = json(&out.stdout);
    let m = metric(&merged, "cov", "new");
    assert_eq!(m["scope"], "new");
    assert_eq!(m["value"], 100.0);
    assert_eq!(m["new_code"]["instrumented"], 1);
}

#[test]
fn a_config_in_a_subfolder_and_names_with_spaces() {
    let repo = TestRepo::new()
        .file(".gitignore", ".pqg/\ncov/\nout/\n")
        .file("proj/src/sp ace é.py", "a\nb\nc\n")
        .file("top.py", "x\n")
        .file(
            "proj/gates.toml",
            r#"
[gates.cov]
run = "mkdir -p out && cp cov/lcov.info out/lcov.info"
inputs = ["cov/**"]
[gates.cov.metrics.new]
lcov = "out/lcov.info"
scope = "new"
"#,
        )
        .file(
            "proj/cov/lcov.info",
            "SF:src/sp ace é.py\nDA:1,1\nDA:2,1\nDA:3,0\nend_of_record\nSF:../top.py\nDA:1,0\nend_of_record\n",
        );
    commit(&repo, "base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("proj/src/sp ace é.py", "A\nb\nC\n");
    repo.write("top.py", "y\n");
    let mut cmd = repo.pqg(["check", "--format", "json"]);
    cmd.current_dir(repo.path().join("proj"))
        .env_remove("GITHUB_BASE_REF")
        .env_remove("CI_MERGE_REQUEST_TARGET_BRANCH_NAME");
    let report = json(&cmd.output().unwrap().stdout);
    let m = metric(&report, "cov", "new");
    // Lines 1 and 3 of the spaced name; top.py is outside the project.
    assert_eq!(m["new_code"]["instrumented"], 2, "{m}");
    assert_eq!(m["value"], 50.0);
    assert_eq!(m["new_code"]["uncovered"][0]["path"], "src/sp ace é.py");
}

/// A `small_repo` whose `feature` branch has no merge base with `other`.
fn orphan_reference(repo: &TestRepo) {
    repo.git(&["checkout", "-q", "--orphan", "other"]);
    repo.git(&["rm", "-rq", "--cached", "."]);
    repo.write("other.txt", "x\n");
    repo.git(&["add", "other.txt"]);
    repo.git(&["commit", "-q", "-m", "other"]);
    repo.git(&["checkout", "-q", "-f", "feature"]);
}

#[test]
fn without_a_merge_base_report_files_not_in_the_project_never_count() {
    let repo = small_repo();
    repo.write(
        "cov/lcov.info",
        &(repo.read("cov/lcov.info")
            + "SF:src/gone.py\nDA:1,1\nDA:2,1\nend_of_record\nSF:/elsewhere/x.py\nDA:1,0\nend_of_record\n"),
    );
    orphan_reference(&repo);
    let report = check(&repo, &["--no-cache", "--new-code-since", "other"]);
    let m = metric(&report, "cov", "new");
    // src/a.py's 10 lines only, as `-v` says.
    assert_eq!(m["new_code"]["instrumented"], 10, "{m}");
    assert_eq!(m["new_code"]["covered"], 5, "{m}");
    pqg(
        &repo,
        &["check", "-v", "--no-cache", "--new-code-since", "other"],
    )
    .assert()
    .stderr(contains("2 of 3 files match no file of the project"));
}

#[test]
fn a_report_naming_the_project_through_a_symbolic_link_counts() {
    let repo = small_repo();
    edit_line(&repo, 1, "hit");
    edit_line(&repo, 2, "missed");
    let links = tempfile::tempdir().unwrap();
    let real = std::fs::canonicalize(repo.path()).unwrap();
    let link = links.path().join("checkout");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    // The report names the files through the link, pqg runs in the real path.
    let lcov = repo
        .read("cov/lcov.info")
        .replace("SF:src/a.py", &format!("SF:{}/src/a.py", link.display()));
    repo.write("cov/lcov.info", &lcov);
    let m = metric(&check(&repo, &["--no-cache"]), "cov", "new").clone();
    assert_eq!(m["new_code"]["instrumented"], 2, "{m}");
    assert_eq!(m["new_code"]["covered"], 1, "{m}");
}

#[test]
fn a_scoped_builtin_lists_and_annotates_only_its_new_findings() {
    let repo = todo_repo("src/old.py");
    repo.write("src/new.py", "y = 2  # TODO new\n");
    let report = check(&repo, &["--no-cache"]);
    let g = gate(&report, "todo");
    let files: Vec<&str> = g["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["src/new.py"], "{g:#}");
    let output = g["output"].as_str().unwrap();
    assert!(!output.contains("src/old.py"), "{output}");
    assert!(
        output.contains("1 finding on unchanged lines not listed"),
        "{output}"
    );
    let out = pqg(&repo, &["check", "--no-cache"])
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("::error file=src/new.py"), "{text}");
    assert!(!text.contains("file=src/old.py"), "{text}");
    let out = pqg(&repo, &["check", "--no-cache", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif = String::from_utf8_lossy(&out.stdout);
    assert!(
        sarif.contains("src/new.py") && !sarif.contains("src/old.py"),
        "{sarif}"
    );
    // From the cache, the same.
    let cached = check(&repo, &[]);
    assert_eq!(gate(&cached, "todo")["findings"], g["findings"]);
}

#[test]
fn an_unknown_reference_in_the_settings_points_at_it() {
    let repo = small_repo();
    repo.write(
        "gates.toml",
        &format!(
            "[settings]\nnew_code_since = \"origin/mian\"\n{}",
            repo.read("gates.toml")
        ),
    );
    pqg(&repo, &["check"])
        .assert()
        .code(2)
        .stderr(contains("unknown ref `origin/mian`"))
        .stderr(contains("gates.toml:2:18"))
        .stderr(contains("^^^^^^^^^^^^^"));
    // The flag names the reference: no location in the config.
    pqg(&repo, &["check", "--new-code-since", "nope"])
        .assert()
        .code(2)
        .stderr(contains("unknown ref `nope`"))
        .stderr(contains("gates.toml:").not());
}
