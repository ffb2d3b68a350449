//! Git hooks and changed-only runs, through the real binary and real git:
//! install and uninstall in every situation a repository can be in, a push
//! that a failing gate blocks and one that passes, and `--changed-since`
//! with `PQG_FILES`.

mod common;

use common::{gate, json, TestRepo};
use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> std::process::Output {
    common::git_command(dir).args(args).output().unwrap()
}

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pqg_in(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(common::pqg_path());
    common::isolate(&mut cmd)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("CI", "true")
        .env_remove("PQG_SKIP")
        .env_remove("PQG_CONFIG")
        .output()
        .unwrap()
}

#[test]
fn install_refuses_outside_git_and_in_a_bare_repository() {
    let plain = tempfile::tempdir().unwrap();
    let out = pqg_in(plain.path(), &["hook", "install"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not inside a git repository"));
    let bare = tempfile::tempdir().unwrap();
    ok(&git(bare.path(), &["init", "-q", "--bare"]));
    let out = pqg_in(bare.path(), &["hook", "install"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bare repository"));
}

#[test]
fn install_is_idempotent_keeps_foreign_hooks_and_uninstall_restores_them() {
    let repo = TestRepo::new().gates("[gates.a]\nrun = 'true'\n");
    let hook = repo.path().join(".git/hooks/pre-push");
    let out = repo.pqg(["hook", "install"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let first = std::fs::read_to_string(&hook).unwrap();
    assert!(first.contains("pqg-hook v1"));
    assert!(first.contains("--no-verify"));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&hook).unwrap().permissions().mode() & 0o111,
        0o111
    );
    // Twice: the same file, said to be updated.
    let out = repo.pqg(["hook", "install"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("updated"));
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), first);
    ok(&repo.pqg_std(["hook", "uninstall"]).output().unwrap());
    assert!(!hook.exists());

    // A foreign hook: refused, untouched; with --force, kept and restored.
    std::fs::write(&hook, "#!/bin/sh\necho mine\n").unwrap();
    let out = repo.pqg(["hook", "install"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
    ok(&repo
        .pqg_std(["hook", "install", "--force"])
        .output()
        .unwrap());
    assert!(std::fs::read_to_string(&hook)
        .unwrap()
        .contains("pqg-hook v1"));
    assert_eq!(
        std::fs::read_to_string(repo.path().join(".git/hooks/pre-push.pqg-backup")).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
    // Uninstall will not remove a hook it did not write.
    ok(&repo.pqg_std(["hook", "uninstall"]).output().unwrap());
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
    let out = repo.pqg(["hook", "uninstall"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));

    // pre-commit, with a stage.
    ok(&repo
        .pqg_std([
            "hook",
            "install",
            "--hook",
            "pre-commit",
            "--stage",
            "staging",
        ])
        .output()
        .unwrap());
    let text = std::fs::read_to_string(repo.path().join(".git/hooks/pre-commit")).unwrap();
    assert!(text.contains("hook run --hook pre-commit --stage 'staging'"));
    let out = repo
        .pqg(["hook", "install", "--stage", "nosuch"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // Without a config, a stage is still a stage name, never shell text.
    let bare = TestRepo::new();
    let out = bare
        .pqg(["hook", "install", "--stage", "dev;touch${IFS}pwned"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!bare.path().join(".git/hooks/pre-push").exists());
}

#[test]
fn hooks_path_and_linked_worktrees_are_honoured() {
    let repo = TestRepo::new().gates("[gates.a]\nrun = 'true'\n");
    repo.git(&["config", "core.hooksPath", "githooks"]);
    ok(&repo.pqg_std(["hook", "install"]).output().unwrap());
    assert!(repo.path().join("githooks/pre-push").exists());
    assert!(!repo.path().join(".git/hooks/pre-push").exists());

    let repo = TestRepo::new().gates("[gates.a]\nrun = 'true'\n");
    repo.git(&["add", "."]);
    repo.git(&["commit", "-qm", "init"]);
    let wt = repo.path().join("wt");
    repo.git(&["worktree", "add", "-q", wt.to_str().unwrap()]);
    let out = pqg_in(&wt, &["hook", "install"]);
    common::expect_code(&out, 0);
    // Hooks are shared by every worktree: git keeps them in the common dir.
    assert!(repo.path().join(".git/hooks/pre-push").exists());
}

/// A repository with a bare remote and pqg's pre-push hook installed.
fn pushing_repo() -> (TestRepo, tempfile::TempDir) {
    let remote = tempfile::tempdir().unwrap();
    ok(&git(remote.path(), &["init", "-q", "--bare", "-b", "main"]));
    let repo = TestRepo::new()
        .gates("[gates.check-flag]\nrun = 'test ! -e broken'\n[gates.other]\nrun = 'true'\n")
        .file("src/a.txt", "a\n");
    repo.git(&["remote", "add", "origin", remote.path().to_str().unwrap()]);
    repo.git(&["add", "."]);
    repo.git(&["commit", "-qm", "init"]);
    ok(&repo
        .pqg_std(["hook", "install", "--stage", "development"])
        .output()
        .unwrap());
    (repo, remote)
}

fn push(repo: &TestRepo, extra_env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = common::git_command(repo.path());
    cmd.args(["push", "-q", "origin", "HEAD:main"])
        // A minimal PATH without pqg: the hook finds it by its recorded path.
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("NO_COLOR", "1")
        .env("CI", "true")
        .env_remove("PQG_SKIP");
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn remote_head(remote: &Path) -> Option<String> {
    let out = git(remote, &["rev-parse", "--verify", "-q", "refs/heads/main"]);
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[test]
fn a_failing_gate_blocks_the_push_and_a_passing_one_lets_it_through() {
    let (repo, remote) = pushing_repo();
    repo.write("broken", "x\n");
    repo.git(&["add", "."]);
    repo.git(&["commit", "-qm", "break it"]);
    let out = push(&repo, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the push went through: {stderr}");
    assert!(
        stderr.contains("skip once: git push --no-verify"),
        "{stderr}"
    );
    assert_eq!(
        remote_head(remote.path()),
        None,
        "nothing reached the remote"
    );

    // PQG_SKIP skips the failing gate for one push.
    let out = push(&repo, &[("PQG_SKIP", "check-flag")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(remote_head(remote.path()).is_some());

    // Fixed: the next push passes; an uncommitted edit is mentioned.
    std::fs::remove_file(repo.path().join("broken")).unwrap();
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "fix"]);
    repo.write("src/a.txt", "edited, not committed\n");
    let out = push(&repo, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("uncommitted changes"), "{stderr}");
    let head = String::from_utf8_lossy(&git(repo.path(), &["rev-parse", "HEAD"]).stdout)
        .trim()
        .to_owned();
    assert_eq!(remote_head(remote.path()), Some(head));
}

#[test]
fn changed_since_runs_only_affected_gates_and_passes_the_files_safely() {
    let repo = TestRepo::new()
        .gates(
            r#"[gates.docs]
run = "true"
inputs = ["docs/**"]
[gates.src]
run = 'tr "\0" "\n" < "$PQG_FILES"'
inputs = ["src/**"]
[gates.secrets]
builtin = "secrets"
"#,
        )
        .file("docs/a.md", "a\n")
        .file("src/a.rs", "a\n");
    repo.git(&["add", "."]);
    repo.git(&["commit", "-qm", "init"]);
    repo.git(&["branch", "base"]);
    // A name no shell should ever see unquoted.
    repo.write("src/x; touch pwned.rs", "b\n");
    repo.write("src/a.rs", "changed\n");
    let out = repo
        .pqg(["check", "--changed-since", "base", "--format", "json"])
        .output()
        .unwrap();
    common::expect_code(&out, 0);
    let r = json(&out.stdout);
    let g = |n: &str| gate(&r, n).clone();
    assert_eq!(g("docs")["status"], "skipped");
    assert_eq!(g("docs")["reason"], "unaffected");
    assert_eq!(g("src")["status"], "pass");
    let listed = g("src")["output"].as_str().unwrap().to_owned();
    assert_eq!(listed, "src/a.rs\nsrc/x; touch pwned.rs\n");
    assert!(!repo.path().join("pwned.rs").exists());
    // The builtin checked only the changed files.
    assert!(g("secrets")["output"]
        .as_str()
        .unwrap()
        .contains("in 2 files"));

    // A deleted file decides which gates run, but is not in their lists.
    repo.git(&["rm", "-q", "-f", "src/a.rs"]);
    let out = repo
        .pqg(["check", "--changed-since", "base", "--format", "json"])
        .output()
        .unwrap();
    let r = json(&out.stdout);
    let src = gate(&r, "src").clone();
    assert_eq!(src["status"], "pass");
    assert_eq!(src["output"], "src/x; touch pwned.rs\n");

    let out = repo
        .pqg(["check", "--changed-since", "nosuchref"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown ref `nosuchref`"));
}

#[test]
fn changed_since_without_a_merge_base_runs_everything_and_says_why() {
    let origin = TestRepo::new()
        .gates("[gates.docs]\nrun = 'true'\ninputs = ['docs/**']\n")
        .file("docs/a.md", "a\n");
    origin.git(&["add", "."]);
    origin.git(&["commit", "-qm", "one"]);
    origin.git(&["checkout", "-q", "-b", "other"]);
    origin.write("b.txt", "b\n");
    origin.git(&["add", "."]);
    origin.git(&["commit", "-qm", "other"]);
    origin.git(&["checkout", "-q", "main"]);
    origin.write("c.txt", "c\n");
    origin.git(&["add", "."]);
    origin.git(&["commit", "-qm", "two"]);
    let shallow = tempfile::tempdir().unwrap();
    let url = format!("file://{}", origin.path().display());
    ok(&git(
        shallow.path(),
        &["clone", "-q", "--depth", "1", &url, "c"],
    ));
    let clone = shallow.path().join("c");
    ok(&git(
        &clone,
        &["fetch", "-q", "--depth", "1", "origin", "other:other"],
    ));
    let out = pqg_in(
        &clone,
        &["check", "--changed-since", "other", "--format", "json"],
    );
    let stderr = common::expect_code(&out, 0);
    assert!(
        stderr.contains("no merge base") && stderr.contains("shallow"),
        "{stderr}"
    );
    let r = json(&out.stdout);
    assert_eq!(
        r["gates"][0]["status"], "pass",
        "a full run, not a silent skip"
    );
}

#[test]
fn a_changed_only_pre_push_hook_checks_what_is_being_pushed() {
    let remote = tempfile::tempdir().unwrap();
    ok(&git(remote.path(), &["init", "-q", "--bare", "-b", "main"]));
    let repo = TestRepo::new()
        .gates(
            "[gates.docs]\nrun = 'echo x >> .ran-docs'\ninputs = ['docs/**']\ncache = false\n\
             [gates.src]\nrun = 'echo x >> .ran-src'\ninputs = ['src/**']\ncache = false\n",
        )
        .file(".gitignore", ".ran-*\n.pqg/\n")
        .file("docs/a.md", "a\n")
        .file("src/a.rs", "a\n");
    repo.git(&["remote", "add", "origin", remote.path().to_str().unwrap()]);
    repo.git(&["add", "."]);
    repo.git(&["commit", "-qm", "init"]);
    ok(&repo
        .pqg_std(["hook", "install", "--changed-only"])
        .output()
        .unwrap());
    // A new branch on the remote: nothing to compare with, every gate runs.
    let out = push(&repo, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ran = |name: &str| repo.path().join(format!(".ran-{name}")).exists();
    assert!(ran("docs") && ran("src"));
    std::fs::remove_file(repo.path().join(".ran-docs")).unwrap();
    std::fs::remove_file(repo.path().join(".ran-src")).unwrap();
    // Only docs change in the pushed commit: only docs is checked.
    repo.write("docs/a.md", "b\n");
    repo.git(&["commit", "-qam", "docs"]);
    let out = push(&repo, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(ran("docs"));
    assert!(!ran("src"), "src was unaffected by the push");
}

#[test]
fn gates_never_see_an_inherited_pqg_files_nor_the_signing_key() {
    let repo = TestRepo::new().gates(
        "[gates.files]\nrun = 'test -z \"$PQG_FILES\"'\n[gates.key]\nrun = 'test -z \"$PQG_CACHE_SIGNING_KEY\"'\n",
    );
    let out = repo
        .pqg(["check", "--format", "json"])
        .env("PQG_FILES", "/etc/hostname")
        .env("PQG_CACHE_SIGNING_KEY", "secret")
        .output()
        .unwrap();
    common::expect_code(&out, 0);
}

/// Runs the pre-push hook's command by hand, as git would: the pushed ref
/// on stdin. Returns stderr, with pqg's debug log.
fn hook_run(repo: &TestRepo, extra: &[&str]) -> String {
    let (passed, stderr) = hook_run_ended(repo, extra);
    assert!(passed, "{stderr}");
    stderr
}

/// [`hook_run`], whether it passes or not: whether it did, and stderr.
fn hook_run_ended(repo: &TestRepo, extra: &[&str]) -> (bool, String) {
    use std::io::Write;
    let head = String::from_utf8_lossy(&git(repo.path(), &["rev-parse", "HEAD"]).stdout)
        .trim()
        .to_owned();
    let mut child = repo
        .pqg_std(["hook", "run", "--hook", "pre-push"])
        .args(extra)
        .env("PQG_LOG", "debug")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let zero = "0".repeat(40);
    writeln!(
        child.stdin.take().unwrap(),
        "refs/heads/main {head} refs/heads/main {zero}"
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.success(), stderr)
}

/// Sets a file's mtime `hours` back, so that an index written after it
/// does not hold it as "racily clean" (which sends pqg to git status).
fn age_by(repo: &TestRepo, rel: &str, hours: u64) {
    let file = std::fs::File::options()
        .write(true)
        .open(repo.path().join(rel))
        .unwrap();
    file.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(3600 * hours))
        .unwrap();
}

fn age(repo: &TestRepo, rel: &str) {
    age_by(repo, rel, 1);
}

/// A repository with one passing gate and `files`, committed with mtimes
/// an hour back.
fn aged_repo(files: &[(&str, &str)]) -> TestRepo {
    let mut repo = TestRepo::new().gates("[gates.a]\nrun = 'true'\n");
    for (path, text) in files {
        repo = repo.file(path, text);
    }
    age(&repo, "gates.toml");
    for (path, _) in files {
        age(&repo, path);
    }
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "init"]);
    repo
}

#[test]
fn the_uncommitted_changes_note_is_exact_whichever_way_it_is_decided() {
    const NOTE: &str = "the work tree has uncommitted changes";
    const FROM_INDEX: &str = "judged from the index";
    const FROM_GIT: &str = "asking git status";
    let repo = aged_repo(&[
        ("src/a.txt", "a\n"),
        ("src/b.txt", "b\n"),
        ("run.sh", "echo\n"),
    ]);

    // Clean: answered from the index and the check's own stat data, no
    // second pass over the files, and no git process at all: the index's
    // cache-tree names HEAD's tree.
    let err = hook_run(&repo, &["--stage", "entry"]);
    assert!(!err.contains(NOTE) && err.contains(FROM_INDEX), "{err}");
    assert!(err.contains("the index's tree is HEAD's"), "{err}");

    // An edit: stat data differ, so git decides, and says dirty.
    repo.write("src/a.txt", "edited\n");
    let err = hook_run(&repo, &["--stage", "entry"]);
    assert!(err.contains(NOTE) && err.contains(FROM_GIT), "{err}");

    // Edited back to the same bytes: stat data still differ, but the
    // content is what was committed, and git (asked again) says so.
    repo.write("src/a.txt", "a\n");
    let err = hook_run(&repo, &["--stage", "entry"]);
    assert!(!err.contains(NOTE) && err.contains(FROM_GIT), "{err}");
    // (Aged, or the refreshed index would hold it racily clean: written in
    // the index's own second.)
    age(&repo, "src/a.txt");
    repo.git(&["update-index", "-q", "--refresh"]);

    // Staged but not committed, the work tree equal to the index: the index
    // differs from HEAD, which only git's index-to-HEAD answer can tell.
    repo.write("src/b.txt", "staged\n");
    age(&repo, "src/b.txt");
    repo.git(&["add", "src/b.txt"]);
    let err = hook_run(&repo, &["--stage", "entry"]);
    assert!(
        err.contains(NOTE) && err.contains("judged from the index (staged: true)"),
        "{err}"
    );
    repo.git(&["commit", "-qm", "b"]);
    let err = hook_run(&repo, &["--stage", "entry"]);
    assert!(!err.contains(NOTE) && err.contains(FROM_INDEX), "{err}");
    // The same once git packed the commit away.
    repo.git(&["gc", "-q"]);
    let err = hook_run(&repo, &["--stage", "entry"]);
    assert!(
        !err.contains(NOTE) && err.contains("the index's tree is HEAD's"),
        "{err}"
    );

    // A mode change alone, and a tracked file deleted.
    let script = repo.path().join("run.sh");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let err = hook_run(&repo, &["--stage", "entry"]);
    assert!(err.contains(NOTE), "{err}");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
    repo.git(&["update-index", "-q", "--refresh"]);
    let err = hook_run(&repo, &["--stage", "entry"]);
    assert!(!err.contains(NOTE), "{err}");
    std::fs::remove_file(&script).unwrap();
    let err = hook_run(&repo, &["--stage", "entry"]);
    assert!(err.contains(NOTE), "{err}");
    repo.git(&["checkout", "-q", "--", "run.sh"]);

    // A new file, only added with --intent-to-add.
    repo.write("new.txt", "n\n");
    repo.git(&["add", "-N", "new.txt"]);
    let err = hook_run(&repo, &["--stage", "entry"]);
    assert!(err.contains(NOTE), "{err}");
}

#[test]
fn the_note_asks_git_when_the_config_is_below_the_top() {
    let repo = TestRepo::new()
        .file("sub/gates.toml", "[gates.a]\nrun = 'true'\n")
        .file("top.txt", "t\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "init"]);
    repo.write("top.txt", "edited outside the config's folder\n");
    let err = hook_run(&repo, &["--config", "sub/gates.toml"]);
    assert!(
        err.contains("not at the top of the work tree")
            && err.contains("the work tree has uncommitted changes"),
        "{err}"
    );
}

#[test]
fn a_folder_turned_symlink_and_a_replaced_commit_are_not_taken_for_clean() {
    const NOTE: &str = "the work tree has uncommitted changes";
    let repo = aged_repo(&[("dir/f", "f\n")]);
    assert!(!hook_run(&repo, &["--stage", "entry"]).contains(NOTE));

    // dir/f is reached through the symlink with the very same stat data,
    // but git counts it deleted.
    std::fs::rename(repo.path().join("dir"), repo.path().join("real")).unwrap();
    std::os::unix::fs::symlink("real", repo.path().join("dir")).unwrap();
    let err = hook_run(&repo, &["--stage", "entry"]);
    assert!(err.contains(NOTE), "{err}");
    std::fs::remove_file(repo.path().join("dir")).unwrap();
    std::fs::rename(repo.path().join("real"), repo.path().join("dir")).unwrap();
    repo.git(&["update-index", "-q", "--refresh"]);
    assert!(!hook_run(&repo, &["--stage", "entry"]).contains(NOTE));

    // `git replace` puts another commit (an empty tree) where HEAD is read:
    // to git, every file is now staged.
    let empty = String::from_utf8(git(repo.path(), &["mktree"]).stdout).unwrap();
    let other =
        String::from_utf8(git(repo.path(), &["commit-tree", empty.trim(), "-m", "other"]).stdout)
            .unwrap();
    repo.git(&["replace", "HEAD", other.trim()]);
    let err = hook_run(&repo, &["--stage", "entry"]);
    assert!(err.contains(NOTE), "{err}");
}

#[test]
fn once_the_gates_are_done_git_status_saves_its_refresh_for_the_next_push() {
    let repo = aged_repo(&[("a.txt", "a\n")]);
    // Touched, not changed: the index's stat data no longer vouch for it.
    age_by(&repo, "a.txt", 2);
    let first = hook_run(&repo, &["--stage", "entry"]);
    assert!(first.contains("asking git status"), "{first}");
    assert!(
        !first.contains("the work tree has uncommitted changes"),
        "{first}"
    );
    // git status (after the gates, so allowed the index lock) wrote the
    // refreshed stat data back: the next push needs no git at all.
    let second = hook_run(&repo, &["--stage", "entry"]);
    assert!(second.contains("judged from the index"), "{second}");
    assert!(second.contains("the index's tree is HEAD's"), "{second}");
}

#[test]
fn a_gate_that_rewrites_a_tracked_file_leaves_the_work_tree_dirty_and_says_so() {
    let repo = aged_repo(&[("a.txt", "a\n")]);
    repo.write(
        "gates.toml",
        "[gates.fmt]\nrun = 'printf formatted > a.txt'\nwrites = true\n",
    );
    age(&repo, "gates.toml");
    repo.git(&["commit", "-qam", "a formatter"]);
    // What it fixed is not what is pushed: under the hook, even a gate
    // with `writes = true` fails when it rewrote files.
    let (passed, err) = hook_run_ended(&repo, &["--stage", "entry"]);
    assert!(!passed, "{err}");
    assert!(err.contains("the push is blocked"), "{err}");
    assert!(
        err.contains("the work tree has uncommitted changes"),
        "{err}"
    );
}
