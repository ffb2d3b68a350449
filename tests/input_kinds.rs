//! Inputs that are more than a file's bytes (issue 12, items 2, 3 and 6):
//! the executable bit, a symlink's target and what it points at, a
//! submodule's commit and work tree. Each test provokes the stale hit that
//! pqg once served: a cached verdict must be the one a fresh run gives.

mod common;

use common::{git_at, json, TestRepo};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Each gate's (status, cached) from `pqg check --format json EXTRA`.
fn run(repo: &TestRepo, extra: &[&str]) -> Vec<(String, String, bool)> {
    let report = repo.check_json(extra);
    report["gates"]
        .as_array()
        .expect("gates")
        .iter()
        .map(|g| {
            (
                g["name"].as_str().expect("name").to_owned(),
                g["status"].as_str().expect("status").to_owned(),
                g["cached"].as_bool().expect("cached"),
            )
        })
        .collect()
}

/// The one gate's status and whether it came from the cache, checked
/// against a fresh run.
fn status(repo: &TestRepo) -> (String, bool) {
    let cached = run(repo, &[]);
    let fresh = run(repo, &["--no-cache"]);
    assert_eq!(cached.len(), 1);
    assert_eq!(
        cached[0].1, fresh[0].1,
        "cached and fresh verdicts disagree: {cached:?} vs {fresh:?}"
    );
    (cached[0].1.clone(), cached[0].2)
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Puts a path's mtime (not following a symlink) far in the past, so the
/// stat fast path trusts its record on the next run.
fn backdate(path: &Path) {
    let ok = std::process::Command::new("touch")
        .args(["-h", "-d", "@1000000000"])
        .arg(path)
        .status()
        .expect("run touch");
    assert!(ok.success());
}

fn explain(repo: &TestRepo, gate: &str) -> String {
    let out = repo.pqg(["explain", gate]).output().expect("run explain");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_executable_bit_is_part_of_the_key() {
    let repo = TestRepo::new()
        .gates("[gates.script]\nrun = './check.sh'\ninputs = ['check.sh']\n")
        .file("check.sh", "#!/bin/sh\nexit 0\n");
    let script = repo.path().join("check.sh");
    set_mode(&script, 0o755);
    backdate(&script);
    repo.git(&["add", "-A"]);
    assert_eq!(status(&repo), ("pass".into(), false));
    assert_eq!(status(&repo), ("pass".into(), true));

    set_mode(&script, 0o644);
    assert_eq!(
        status(&repo),
        ("fail".into(), false),
        "chmod -x is a change"
    );
    let text = explain(&repo, "script");
    assert!(text.contains("mode     100644 1 files"), "{text}");
    set_mode(&script, 0o755);
    assert_eq!(
        status(&repo),
        ("pass".into(), true),
        "back to a stored state"
    );
    let text = explain(&repo, "script");
    assert!(text.contains("mode     100755 1 files: check.sh"), "{text}");
}

const LINK_GATE: &str = "[gates.link]\nrun = '! grep -qs BAD link'\ninputs = ['link']\n";

#[test]
fn a_symlink_counts_by_what_it_points_at() {
    let repo = TestRepo::new()
        .gates(LINK_GATE)
        .file(".gitignore", "ext/\n")
        .file("ext/t1.txt", "ok\n")
        .file("ext/t2.txt", "ok\n");
    let (link, t1) = (repo.path().join("link"), repo.path().join("ext/t1.txt"));
    std::os::unix::fs::symlink("ext/t1.txt", &link).expect("symlink");
    backdate(&t1);
    backdate(&link);
    repo.git(&["add", "-A"]);
    assert_eq!(status(&repo), ("pass".into(), false));
    assert_eq!(status(&repo), ("pass".into(), true));

    // Same size, mtime put back: only the target's ctime moved, and the
    // link's own stat data did not move at all.
    std::fs::write(&t1, "BAD").expect("edit target");
    backdate(&t1);
    assert_eq!(
        status(&repo),
        ("fail".into(), false),
        "the target was edited"
    );
    std::fs::write(&t1, "ok\n").expect("edit target");
    assert_eq!(
        status(&repo),
        ("pass".into(), true),
        "back to a stored state"
    );

    // Dangling: a state of its own, and a reader sees nothing.
    std::fs::remove_file(&t1).expect("rm target");
    let (s, cached) = status(&repo);
    assert!(!cached, "a link gone dangling is a change ({s})");
    std::fs::write(&t1, "ok\n").expect("recreate target");
    assert_eq!(status(&repo).0, "pass");

    // A loop: also a state, never a hang or an error of pqg's.
    std::fs::remove_file(&link).expect("rm link");
    std::os::unix::fs::symlink("link2", &link).expect("symlink");
    std::os::unix::fs::symlink("link", repo.path().join("link2")).expect("symlink");
    let (_, cached) = status(&repo);
    assert!(!cached, "a looping link is a change");
    let (_, cached) = status(&repo);
    assert!(cached, "and a stable state");
    let text = explain(&repo, "link");
    assert!(text.contains("mode     120000 1 files: link"), "{text}");
}

#[test]
fn a_symlink_to_a_folder_is_not_cached_and_explain_says_why() {
    let repo = TestRepo::new()
        .gates("[gates.dirlink]\nrun = '! grep -rqs BAD dl/'\ninputs = ['dl']\n")
        .file("d/a.txt", "ok\n");
    std::os::unix::fs::symlink("d", repo.path().join("dl")).expect("symlink");
    repo.git(&["add", "-A"]);
    assert_eq!(status(&repo), ("pass".into(), false));
    std::fs::write(repo.path().join("d/a.txt"), "BAD\n").expect("edit");
    assert_eq!(status(&repo), ("fail".into(), false), "never a stale hit");
    let text = explain(&repo, "dirlink");
    assert!(text.contains("no key"), "{text}");
}

/// A repository with a submodule at `lib` whose data.txt a gate reads.
fn with_submodule() -> (TestRepo, tempfile::TempDir) {
    common::with_submodule(
        "[gates.sub]\nrun = '! grep -qs BAD lib/data.txt'\ninputs = ['lib/**']\n",
        "data.txt",
    )
}

fn git_lib(repo: &TestRepo, args: &[&str]) -> String {
    let out = common::git_command(&repo.path().join("lib"))
        .args(["-c", "user.email=t@e", "-c", "user.name=t"])
        .args(args)
        .output()
        .expect("git");
    assert!(out.status.success(), "git {args:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn a_submodule_counts_by_its_commit_and_its_work_tree() {
    let (repo, _upstream) = with_submodule();
    assert_eq!(status(&repo), ("pass".into(), false));
    assert_eq!(status(&repo), ("pass".into(), true));
    let first = git_lib(&repo, &["rev-parse", "HEAD"]);
    let text = explain(&repo, "sub");
    assert!(
        text.contains("inputs   2 files"),
        "lib/ and lib/data.txt: {text}"
    );
    assert!(
        text.contains(&format!("submod   lib/ commit {first}")),
        "{text}"
    );

    // An edit inside the submodule's work tree.
    repo.write("lib/data.txt", "BAD\n");
    assert_eq!(
        status(&repo),
        ("fail".into(), false),
        "edit in the submodule"
    );
    // A new untracked file there counts too.
    repo.write("lib/new.txt", "x\n");
    assert_eq!(
        status(&repo),
        ("fail".into(), false),
        "untracked in the submodule"
    );

    // A bump: committed there, same files, another commit.
    git_lib(&repo, &["add", "-A"]);
    git_lib(&repo, &["commit", "-q", "-m", "two"]);
    let second = git_lib(&repo, &["rev-parse", "HEAD"]);
    assert_eq!(
        status(&repo),
        ("fail".into(), false),
        "a new commit checked out"
    );
    let text = explain(&repo, "sub");
    assert!(
        text.contains(&format!("submod   lib/ commit {second}")),
        "{text}"
    );
    git_lib(&repo, &["checkout", "-q", &first]);
    assert_eq!(
        status(&repo),
        ("pass".into(), true),
        "back to the first commit"
    );
}

#[test]
fn default_inputs_cover_a_submodule_and_other_globs_do_not_sweep_it() {
    let (repo, _upstream) = with_submodule();
    repo.write(
        "gates.toml",
        "[gates.all]\nrun = '! grep -qs BAD lib/data.txt'\n\
         [gates.txt]\nrun = 'true'\ninputs = ['*.txt']\n",
    );
    let both = |repo: &TestRepo| -> Vec<bool> {
        let cached = run(repo, &[]);
        let fresh = run(repo, &["--no-cache"]);
        let statuses =
            |r: &[(String, String, bool)]| r.iter().map(|g| g.1.clone()).collect::<Vec<_>>();
        assert_eq!(statuses(&cached), statuses(&fresh));
        cached.iter().map(|g| g.2).collect()
    };
    assert_eq!(both(&repo), [false, false]);
    assert_eq!(both(&repo), [true, true]);
    repo.write("lib/data.txt", "BAD\n");
    assert_eq!(
        both(&repo),
        [false, true],
        "default inputs see the submodule"
    );
    let text = explain(&repo, "txt");
    assert!(!text.contains("submod"), "{text}");
    let report = json(
        &repo
            .pqg(["check", "--format", "json"])
            .output()
            .expect("run")
            .stdout,
    );
    assert_eq!(common::gate(&report, "all")["status"], "fail");
}

/// Each gate's (name, status, cached), the statuses checked against a
/// fresh run.
fn agreeing(repo: &TestRepo) -> Vec<(String, String, bool)> {
    let cached = run(repo, &[]);
    let fresh = run(repo, &["--no-cache"]);
    let statuses = |r: &[(String, String, bool)]| {
        r.iter()
            .map(|g| (g.0.clone(), g.1.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        statuses(&cached),
        statuses(&fresh),
        "cached and fresh verdicts disagree: {cached:?} vs {fresh:?}"
    );
    cached
}

#[test]
fn a_gate_naming_a_submodule_file_hides_it_from_no_other_gate() {
    // lib holds data.txt and a nested submodule inner/ holding deep.txt.
    let inner = tempfile::tempdir().expect("tempdir");
    git_at(inner.path(), &["init", "-q", "-b", "main"]);
    std::fs::write(inner.path().join("deep.txt"), "ok\n").expect("write");
    git_at(inner.path(), &["add", "-A"]);
    git_at(inner.path(), &["commit", "-q", "-m", "inner"]);
    let (repo, upstream) = with_submodule();
    let url = inner.path().to_str().expect("utf-8");
    git_at(upstream.path(), &["submodule", "add", "-q", url, "inner"]);
    git_at(upstream.path(), &["commit", "-q", "-m", "nest"]);
    git_at(&repo.path().join("lib"), &["pull", "-q", "origin", "main"]);
    git_at(
        repo.path(),
        &["submodule", "update", "-q", "--init", "--recursive"],
    );
    repo.write(
        "gates.toml",
        "[gates.all]\nrun = '! grep -qs BAD lib/data.txt lib/inner/deep.txt'\n\
         [gates.named]\nrun = 'true'\ninputs = ['lib/data.txt', 'lib/inner/deep.txt']\n\
         [gates.whole]\nrun = '! grep -qs BAD lib/data.txt lib/inner/deep.txt'\ninputs = ['lib']\n",
    );
    repo.git(&["add", "-A"]);
    let cached = |r: Vec<(String, String, bool)>| r.iter().map(|g| g.2).collect::<Vec<_>>();
    assert_eq!(cached(agreeing(&repo)), [false, false, false]);
    assert_eq!(cached(agreeing(&repo)), [true, true, true]);
    let text = explain(&repo, "whole");
    assert!(
        text.contains("submod   lib/ commit"),
        "`lib` takes in the submodule: {text}"
    );
    repo.write("lib/data.txt", "BAD\n");
    assert_eq!(cached(agreeing(&repo)), [false, false, false]);
    repo.write("lib/data.txt", "ok\n");
    assert_eq!(cached(agreeing(&repo)), [true, true, true]);
    repo.write("lib/inner/deep.txt", "BAD\n");
    let report = agreeing(&repo);
    assert_eq!(report[0].1, "fail", "the nested submodule's file counts");
    assert_eq!(cached(report), [false, false, false]);
}

#[test]
fn a_nested_repository_git_does_not_track_counts_like_a_submodule() {
    let repo = TestRepo::new()
        .gates(
            "[gates.dep]\nrun = '! grep -qs BAD deps/lib/x'\ninputs = ['deps/**']\n\
             [gates.ven]\nrun = '! grep -qs BAD vend/lib/x'\n",
        )
        .file(".gitignore", ".pqg/\ndeps/\n")
        .file("deps/lib/x", "ok\n")
        .file("vend/lib/x", "ok\n");
    git_at(&repo.path().join("deps/lib"), &["init", "-q"]);
    git_at(&repo.path().join("vend/lib"), &["init", "-q"]);
    repo.git(&["add", ".gitignore", "gates.toml"]);
    let cached = |r: Vec<(String, String, bool)>| r.iter().map(|g| g.2).collect::<Vec<_>>();
    assert_eq!(cached(agreeing(&repo)), [false, false]);
    assert_eq!(cached(agreeing(&repo)), [true, true]);
    repo.write("deps/lib/x", "BAD\n");
    assert_eq!(cached(agreeing(&repo)), [false, true]);
    repo.write("deps/lib/x", "ok\n");
    repo.write("vend/lib/x", "BAD\n");
    assert_eq!(cached(agreeing(&repo)), [true, false]);
    let text = explain(&repo, "ven");
    assert!(text.contains("submod   vend/lib/ no commit"), "{text}");
}

#[test]
fn files_in_a_submodule_folder_not_checked_out_are_never_answered_from_the_cache() {
    // After `git submodule deinit`, git lists nothing in lib/; files put
    // there were invisible to every key, so a cached pass outlived them.
    let (repo, _upstream) = with_submodule();
    assert_eq!(status(&repo), ("pass".to_owned(), false));
    assert_eq!(status(&repo), ("pass".to_owned(), true));
    let deinit = common::git_command(repo.path())
        .args(["submodule", "deinit", "-q", "-f", "lib"])
        .status()
        .expect("git");
    assert!(deinit.success());
    // An empty, not checked-out folder: a state the key holds (cached).
    let _ = run(&repo, &[]);
    repo.write("lib/data.txt", "BAD\n");
    assert_eq!(status(&repo), ("fail".to_owned(), false));
    repo.write("lib/data.txt", "ok\n");
    assert_eq!(status(&repo), ("pass".to_owned(), false), "never cached");
}
