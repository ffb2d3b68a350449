//! Issue 13, item 2: the pre-push hook judges the commits being pushed,
//! not whatever the work tree holds. Real `git push` to a local bare
//! remote, with pqg's hook installed.

mod common;

use common::TestRepo;
use std::io::Write;
use std::path::Path;

const GATES: &str = "[gates.flag]\nrun = 'test ! -e broken'\n[gates.other]\nrun = 'true'\n";

fn git(dir: &Path, args: &[&str]) -> std::process::Output {
    common::git_command(dir).args(args).output().unwrap()
}

fn rev(dir: &Path, what: &str) -> String {
    let out = git(dir, &["rev-parse", what]);
    assert!(out.status.success(), "rev-parse {what}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A repository with a bare remote and pqg's pre-push hook; `main` holds
/// a passing tree, `broken` one more commit that fails `flag`, `good` one
/// more that passes. `main` is checked out. The temp folder the hook may
/// use is the repository's own (`TMPDIR`), to see that nothing is left.
struct Pushing {
    repo: TestRepo,
    remote: tempfile::TempDir,
    tmp: tempfile::TempDir,
}

impl Pushing {
    fn new() -> Self {
        let remote = tempfile::tempdir().unwrap();
        assert!(git(remote.path(), &["init", "-q", "--bare", "-b", "main"])
            .status
            .success());
        let repo = TestRepo::new().gates(GATES).file("src/a.txt", "a\n");
        repo.git(&["remote", "add", "origin", remote.path().to_str().unwrap()]);
        repo.git(&["add", "."]);
        repo.git(&["commit", "-qm", "init"]);
        repo.git(&["switch", "-qc", "broken"]);
        repo.write("broken", "x\n");
        repo.git(&["add", "."]);
        repo.git(&["commit", "-qm", "break it"]);
        repo.git(&["switch", "-q", "main"]);
        repo.git(&["switch", "-qc", "good"]);
        repo.write("src/b.txt", "b\n");
        repo.git(&["add", "."]);
        repo.git(&["commit", "-qm", "good"]);
        repo.git(&["switch", "-q", "main"]);
        Pushing::around(repo, remote)
    }

    /// `repo` (its commits made), given a bare remote and the hook.
    fn set_up(repo: TestRepo) -> Self {
        let remote = tempfile::tempdir().unwrap();
        assert!(git(remote.path(), &["init", "-q", "--bare", "-b", "main"])
            .status
            .success());
        repo.git(&["remote", "add", "origin", remote.path().to_str().unwrap()]);
        Pushing::around(repo, remote)
    }

    fn around(repo: TestRepo, remote: tempfile::TempDir) -> Self {
        let out = repo
            .pqg_std(["hook", "install", "--stage", "development"])
            .output()
            .unwrap();
        common::expect_code(&out, 0);
        Pushing {
            repo,
            remote,
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    fn push(&self, args: &[&str]) -> std::process::Output {
        self.push_with_tmp(args, self.tmp.path())
    }

    fn push_with_tmp(&self, args: &[&str], tmp: &Path) -> std::process::Output {
        let mut cmd = common::git_command(self.repo.path());
        cmd.args(["push", "-q", "origin"])
            .args(args)
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("TMPDIR", tmp)
            .env("NO_COLOR", "1")
            .env("CI", "true")
            .env_remove("PQG_SKIP");
        cmd.output().unwrap()
    }

    fn remote_has(&self, branch: &str) -> bool {
        git(
            self.remote.path(),
            &[
                "rev-parse",
                "--verify",
                "-q",
                &format!("refs/heads/{branch}"),
            ],
        )
        .status
        .success()
    }

    /// No worktree but the main one, and nothing left in the temp folder.
    fn assert_nothing_left(&self) {
        let out = git(self.repo.path(), &["worktree", "list", "--porcelain"]);
        let listed = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(listed.matches("worktree ").count(), 1, "{listed}");
        let left: Vec<_> = std::fs::read_dir(self.tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "left in the temp folder: {left:?}");
    }
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_broken_branch_that_is_not_checked_out_is_blocked() {
    let p = Pushing::new();
    let out = p.push(&["broken"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "the push went through: {err}");
    assert!(err.contains("temporary worktree"), "{err}");
    assert!(
        err.contains("the push is blocked: refs/heads/broken"),
        "{err}"
    );
    assert!(!p.remote_has("broken"));
    p.assert_nothing_left();
}

#[test]
fn a_good_branch_passes_while_the_checked_out_one_is_broken() {
    let p = Pushing::new();
    p.repo.git(&["switch", "-q", "broken"]);
    let out = p.push(&["good"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(p.remote_has("good"));
    p.assert_nothing_left();
    // The checked-out broken branch itself is still blocked, in the work
    // tree.
    let out = p.push(&["broken"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("checked in the work tree"), "{err}");
    assert!(!err.contains("temporary worktree"), "{err}");
}

#[test]
fn a_deletion_is_not_checked_and_passes() {
    let p = Pushing::new();
    assert!(p.push(&["good"]).status.success());
    // What is checked out fails: a deletion must not be judged by it.
    p.repo.git(&["switch", "-q", "broken"]);
    let out = p.push(&["--delete", "good"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("no commit is pushed (only deletions"), "{err}");
    assert!(!p.remote_has("good"));
}

#[test]
fn of_two_refs_pushed_the_broken_one_blocks_and_is_named() {
    let p = Pushing::new();
    let out = p.push(&["good", "broken"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    let blocked = err
        .lines()
        .find(|l| l.contains("the push is blocked"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(blocked.contains("refs/heads/broken"), "{blocked}");
    assert!(!blocked.contains("refs/heads/good"), "{blocked}");
    assert!(!p.remote_has("good") && !p.remote_has("broken"));
    p.assert_nothing_left();
}

#[test]
fn uncommitted_changes_on_the_pushed_head_send_it_to_a_temporary_worktree() {
    let p = Pushing::new();
    p.repo.git(&["switch", "-q", "broken"]);
    // The work tree would pass (the flag file is gone, uncommitted), but
    // the commit pushed holds it.
    std::fs::remove_file(p.repo.path().join("broken")).unwrap();
    let out = p.push(&["broken"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("uncommitted changes"), "{err}");
    assert!(err.contains("refs/heads/broken"), "{err}");
    p.assert_nothing_left();
}

#[test]
fn a_commit_without_a_config_is_checked_with_todays() {
    let p = Pushing::new();
    p.repo.git(&["switch", "-qc", "old", "broken"]);
    p.repo.git(&["rm", "-q", "gates.toml"]);
    p.repo.git(&["commit", "-qm", "no config"]);
    p.repo.git(&["switch", "-q", "main"]);
    let out = p.push(&["old"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("checked with today's config"), "{err}");
    p.assert_nothing_left();
}

#[test]
fn a_commit_is_checked_with_the_config_it_holds() {
    let p = Pushing::new();
    p.repo.git(&["switch", "-qc", "strict", "good"]);
    p.repo.write("gates.toml", "[gates.never]\nrun = 'false'\n");
    p.repo.git(&["commit", "-qam", "a gate that fails"]);
    p.repo.git(&["switch", "-q", "main"]);
    let out = p.push(&["strict"]);
    assert!(!out.status.success(), "{}", stderr(&out));
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(all.contains("never"), "{all}");
    assert!(
        all.contains("the push is blocked: refs/heads/strict"),
        "{all}"
    );
}

#[test]
fn a_commit_with_submodules_elsewhere_is_refused_not_passed() {
    let (repo, _upstream) = common::with_submodule(GATES, "x.txt");
    let remote = tempfile::tempdir().unwrap();
    assert!(git(remote.path(), &["init", "-q", "--bare", "-b", "main"])
        .status
        .success());
    repo.git(&["remote", "add", "origin", remote.path().to_str().unwrap()]);
    repo.git(&["branch", "side"]);
    repo.git(&["commit", "-q", "--allow-empty", "-m", "ahead"]);
    let out = repo
        .pqg_std(["hook", "install", "--stage", "development"])
        .output()
        .unwrap();
    common::expect_code(&out, 0);
    let out = common::git_command(repo.path())
        .args(["push", "-q", "origin", "side"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("records submodules (lib)"), "{err}");
}

/// Runs `pqg hook run --hook pre-push` with `input` on stdin.
fn hook_run(repo: &TestRepo, input: &[u8], extra: &[&str]) -> std::process::Output {
    let mut child = repo
        .pqg_std([
            "hook",
            "run",
            "--hook",
            "pre-push",
            "--stage",
            "development",
        ])
        .args(extra)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_stdin_that_is_not_gits_refuses_the_push() {
    let p = Pushing::new();
    // The checked-out tree passes: only the refusal can make these fail.
    for input in [
        &b"refs/heads/main\n"[..],
        b"refs/heads/main HEAD refs/heads/main 0000\n",
        b"\xff\xfe not text\n",
    ] {
        let out = hook_run(&p.repo, input, &[]);
        let err = common::expect_code(&out, 2);
        assert!(err.contains("git push --no-verify"), "{err}");
    }
    // A stdin that cannot be read at all (a folder).
    let out = p
        .repo
        .pqg_std(["hook", "run", "--hook", "pre-push"])
        .stdin(std::fs::File::open(p.repo.path()).unwrap())
        .output()
        .unwrap();
    let err = common::expect_code(&out, 2);
    assert!(err.contains("cannot read what git is pushing"), "{err}");
}

#[test]
fn a_warm_push_of_a_clean_head_is_answered_from_the_cache() {
    let p = Pushing::new();
    let head = rev(p.repo.path(), "HEAD");
    let zero = "0".repeat(40);
    let line = format!("refs/heads/main {head} refs/heads/main {zero}\n");
    let first = hook_run(&p.repo, line.as_bytes(), &[]);
    common::expect_code(&first, 0);
    let second = hook_run(&p.repo, line.as_bytes(), &[]);
    let err = common::expect_code(&second, 0);
    assert!(err.contains("checked in the work tree"), "{err}");
    assert!(!err.contains("temporary worktree"), "{err}");
    let table = String::from_utf8_lossy(&second.stdout);
    assert!(table.contains("2 cached"), "{table}");
}

#[test]
fn a_pushed_commit_elsewhere_shares_the_cache() {
    let p = Pushing::new();
    // Same files as main, another commit.
    p.repo.git(&["branch", "same"]);
    p.repo
        .git(&["commit", "-q", "--allow-empty", "-m", "ahead"]);
    let head = rev(p.repo.path(), "HEAD");
    let zero = "0".repeat(40);
    let warm = hook_run(
        &p.repo,
        format!("refs/heads/main {head} refs/heads/main {zero}\n").as_bytes(),
        &[],
    );
    common::expect_code(&warm, 0);
    let same = rev(p.repo.path(), "same");
    let out = hook_run(
        &p.repo,
        format!("refs/heads/same {same} refs/heads/same {zero}\n").as_bytes(),
        &[],
    );
    let err = common::expect_code(&out, 0);
    assert!(err.contains("temporary worktree"), "{err}");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("2 cached"), "{table}");
}

#[test]
fn sigterm_mid_check_ends_the_gate_and_removes_the_worktree() {
    let p = Pushing::new();
    let marks = tempfile::tempdir().unwrap();
    let pid_file = marks.path().join("gate.pid");
    p.repo.git(&["switch", "-qc", "slow", "good"]);
    p.repo.write(
        "gates.toml",
        &format!(
            "[gates.slow]\nrun = 'echo $$ > {}; sleep 30'\n",
            pid_file.display()
        ),
    );
    p.repo.git(&["commit", "-qam", "a slow gate"]);
    p.repo.git(&["switch", "-q", "main"]);
    let slow = rev(p.repo.path(), "slow");
    let zero = "0".repeat(40);
    let mut child = p
        .repo
        .pqg_std([
            "hook",
            "run",
            "--hook",
            "pre-push",
            "--stage",
            "development",
        ])
        .env("TMPDIR", p.tmp.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(
        child.stdin.take().unwrap(),
        "refs/heads/slow {slow} refs/heads/slow {zero}"
    )
    .unwrap();
    common::wait_for(
        std::time::Duration::from_secs(30),
        "the gate to start",
        || std::fs::read_to_string(&pid_file).is_ok_and(|s| s.ends_with('\n')),
    );
    let gate: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    common::expect_code(&out, 143);
    common::wait_for(
        std::time::Duration::from_secs(10),
        "the gate to end",
        || !common::alive(gate),
    );
    p.assert_nothing_left();
}

/// The pid of a process that has ended.
fn dead_pid() -> u32 {
    let mut done = std::process::Command::new("true").spawn().unwrap();
    let pid = done.id();
    done.wait().unwrap();
    pid
}

/// What a pre-push run leaves in its temp folder: `pqg-push-NAME` holding
/// the pid of the pqg that made it and a worktree of `good` at `tree`.
fn leftover(p: &Pushing, name: &str, pid: u32) -> std::path::PathBuf {
    let dir = p.tmp.path().join(format!("pqg-push-{name}"));
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("pid"), pid.to_string()).unwrap();
    let tree = dir.join("tree");
    let add = [
        "worktree",
        "add",
        "-q",
        "--detach",
        tree.to_str().unwrap(),
        "good",
    ];
    assert!(git(p.repo.path(), &add).status.success());
    dir
}

#[test]
fn a_worktree_left_by_a_pqg_that_died_is_removed_by_the_next_push() {
    let p = Pushing::new();
    // What a killed pqg leaves: a worktree in a pqg-push- folder whose pid
    // is gone.
    let dir = leftover(&p, "dead01", dead_pid());
    // A folder of another live process is left alone.
    let live = leftover(&p, "live01", std::process::id());
    let live_tree = live.join("tree");
    let out = p.push(&["good"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!dir.exists(), "the dead pqg's worktree is gone");
    assert!(live_tree.join("src/b.txt").exists(), "a live one stays");
    assert!(git(
        p.repo.path(),
        &["worktree", "remove", "--force", live_tree.to_str().unwrap()]
    )
    .status
    .success());
    std::fs::remove_dir_all(&live).unwrap();
    p.assert_nothing_left();
}

// ---- Hostile review of the pre-push hook (issue 13, round 2) ----

/// One gate failing on any `BROKEN` in a .txt file of the tree.
const NO_BROKEN: &str = "[gates.nobroken]\nrun = '! grep -rq BROKEN --include=*.txt .'\n";

/// A repository with `gates` and `files`, committed on `main`.
fn committed(gates: &str, files: &[(&str, &str)]) -> TestRepo {
    let mut repo = TestRepo::new().gates(gates);
    for (path, text) in files {
        repo = repo.file(path, text);
    }
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "init"]);
    repo
}

/// Makes every tracked file older than git's index, which then records
/// that: no entry is "racily clean", so the hook settles whether the work
/// tree is HEAD's from the index and its own stat data, without git.
fn settle(repo: &TestRepo) {
    let out = git(repo.path(), &["ls-files", "-z"]);
    for path in String::from_utf8_lossy(&out.stdout).split('\0') {
        if path.is_empty() {
            continue;
        }
        let full = repo.path().join(path);
        if full.symlink_metadata().is_ok_and(|m| m.is_file()) {
            let ok = std::process::Command::new("touch")
                .args(["-d", "@1000000000"])
                .arg(&full)
                .status()
                .unwrap();
            assert!(ok.success());
        }
    }
    git(repo.path(), &["update-index", "-q", "--refresh"]);
}

fn pushed(p: &Pushing, branch: &str) -> bool {
    p.remote_has(branch) && rev(p.remote.path(), branch) == rev(p.repo.path(), branch)
}

#[test]
fn files_git_is_told_not_to_compare_send_head_to_a_temporary_worktree() {
    for flag in ["--assume-unchanged", "--skip-worktree"] {
        let p = Pushing::set_up(committed(NO_BROKEN, &[("a.txt", "ok\n")]));
        p.repo.write("a.txt", "BROKEN\n");
        p.repo.git(&["commit", "-qam", "broken"]);
        p.repo.git(&["update-index", flag, "a.txt"]);
        p.repo.write("a.txt", "ok\n");
        settle(&p.repo);
        let out = p.push(&["main"]);
        let err = stderr(&out);
        assert!(!out.status.success(), "{flag}: pushed: {err}");
        assert!(!pushed(&p, "main"), "{flag}");
        assert!(err.contains("temporary worktree"), "{flag}: {err}");
        p.assert_nothing_left();
    }
}

#[test]
fn a_sparse_checkout_is_never_taken_for_the_pushed_commit() {
    let p = Pushing::set_up(committed(
        NO_BROKEN,
        &[("sub/x.txt", "ok\n"), ("other/y.txt", "ok\n")],
    ));
    p.repo.write("other/y.txt", "BROKEN\n");
    p.repo.git(&["commit", "-qam", "broken"]);
    p.repo.git(&["sparse-checkout", "set", "sub"]);
    assert!(!p.repo.path().join("other/y.txt").exists());
    settle(&p.repo);
    let out = p.push(&["main"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "pushed: {err}");
    assert!(!pushed(&p, "main"));
    p.assert_nothing_left();
}

#[test]
fn the_temporary_worktree_of_a_sparse_checkout_holds_every_file() {
    let p = Pushing::set_up(committed(
        NO_BROKEN,
        &[("sub/x.txt", "ok\n"), ("other/y.txt", "ok\n")],
    ));
    p.repo.git(&["switch", "-qc", "feat"]);
    p.repo.write("other/y.txt", "BROKEN\n");
    p.repo.git(&["commit", "-qam", "broken"]);
    p.repo.git(&["switch", "-qc", "fine", "main"]);
    p.repo.write("other/z.txt", "ok\n");
    p.repo.git(&["add", "-A"]);
    p.repo.git(&["commit", "-qm", "fine"]);
    p.repo.git(&["switch", "-q", "main"]);
    p.repo.git(&["sparse-checkout", "set", "sub"]);
    let out = p.push(&["feat"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "pushed: {err}");
    assert!(
        err.contains("the push is blocked: refs/heads/feat"),
        "{err}"
    );
    assert!(!pushed(&p, "feat"));
    // A good branch still passes there, and the sparse setup is untouched.
    let out = p.push(&["fine"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!p.repo.path().join("other").exists());
    p.assert_nothing_left();
}

#[test]
fn a_submodule_gitmodules_tells_git_to_ignore_still_counts() {
    let (repo, _upstream) = common::with_submodule(NO_BROKEN, "s.txt");
    let p = Pushing::set_up(repo);
    let lib = p.repo.path().join("lib");
    // The commit pushed records lib at a BROKEN commit; the work tree's lib
    // is at a good one, which `ignore = all` hides from git status.
    std::fs::write(lib.join("s.txt"), "BROKEN\n").unwrap();
    common::git_at(&lib, &["commit", "-qam", "broken"]);
    p.repo.git(&["add", "lib"]);
    p.repo
        .git(&["config", "-f", ".gitmodules", "submodule.lib.ignore", "all"]);
    p.repo.git(&["add", ".gitmodules"]);
    p.repo.git(&["commit", "-qm", "lib at broken"]);
    common::git_at(&lib, &["checkout", "-q", "HEAD~1"]);
    let out = p.push(&["main"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "pushed: {err}");
    assert!(!pushed(&p, "main"));
    assert!(err.contains("uncommitted changes"), "{err}");
    p.assert_nothing_left();
}

#[test]
fn an_exec_bit_core_filemode_hides_still_counts() {
    let repo = TestRepo::new()
        .gates("[gates.exec]\nrun = './run.sh'\n")
        .file("run.sh", "#!/bin/sh\ntrue\n");
    std::process::Command::new("chmod")
        .args(["+x"])
        .arg(repo.path().join("run.sh"))
        .status()
        .unwrap();
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "init"]);
    let p = Pushing::set_up(repo);
    p.repo.git(&["update-index", "--chmod=-x", "run.sh"]);
    p.repo.git(&["commit", "-qm", "drop the exec bit"]);
    p.repo.git(&["config", "core.fileMode", "false"]);
    settle(&p.repo);
    let out = p.push(&["main"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "pushed: {err}");
    assert!(!pushed(&p, "main"));
    assert!(err.contains("temporary worktree"), "{err}");
    p.assert_nothing_left();
}

#[test]
fn an_untracked_file_the_commit_lacks_sends_head_to_a_temporary_worktree() {
    let p = Pushing::set_up(committed(
        "[gates.helper]\nrun = 'test -f helper.txt'\n",
        &[],
    ));
    p.repo.write("helper.txt", "never added\n");
    settle(&p.repo);
    let out = p.push(&["main"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "pushed: {err}");
    assert!(!pushed(&p, "main"));
    assert!(err.contains("temporary worktree"), "{err}");
    // Once added and committed, the push is checked in the work tree.
    p.repo.git(&["add", "helper.txt"]);
    p.repo.git(&["commit", "-qm", "add it"]);
    settle(&p.repo);
    let out = p.push(&["main"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("temporary worktree"), "{err}");
    p.assert_nothing_left();
}

#[test]
fn a_writer_that_rewrites_the_pushed_commit_blocks_the_push() {
    let p = Pushing::set_up(committed(
        "[gates.fmt]\nrun = 'sed -i s/UGLY/pretty/ a.txt'\nwrites = true\n",
        &[("a.txt", "pretty\n")],
    ));
    p.repo.write("a.txt", "UGLY\n");
    p.repo.git(&["commit", "-qam", "ugly"]);
    settle(&p.repo);
    let out = p.push(&["main"]);
    let err = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(!out.status.success(), "pushed: {err}");
    assert!(!pushed(&p, "main"));
    assert!(
        err.contains("rewrote files: a.txt — commit the result and push again"),
        "{err}"
    );
    // Outside a hook the same gate may write, as before.
    let out = p.repo.pqg_std(["check"]).output().unwrap();
    common::expect_code(&out, 0);
    p.assert_nothing_left();
}

#[test]
fn a_symlinked_config_in_a_pushed_commit_is_refused_and_not_followed() {
    let p = Pushing::new();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("escaped.toml");
    p.repo.git(&["switch", "-qc", "link"]);
    p.repo.git(&["rm", "-q", "gates.toml"]);
    std::os::unix::fs::symlink(&target, p.repo.path().join("gates.toml")).unwrap();
    p.repo.git(&["add", "gates.toml"]);
    p.repo.git(&["commit", "-qm", "link"]);
    p.repo.git(&["switch", "-q", "main"]);
    let out = p.push(&["link"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "pushed: {err}");
    assert!(err.contains("is a symbolic link"), "{err}");
    assert!(!err.contains("bug in pqg"), "{err}");
    assert!(!target.exists(), "written through the commit's symlink");
    p.assert_nothing_left();
}

#[test]
fn a_leftover_worktree_goes_even_when_the_push_needs_none() {
    let p = Pushing::new();
    let dir = leftover(&p, "dead02", dead_pid());
    // main is checked out and clean: checked in the work tree.
    let out = p.push(&["main"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("checked in a temporary worktree"), "{err}");
    assert!(!dir.exists(), "the dead pqg's worktree is gone");
    p.assert_nothing_left();
}

#[test]
fn a_tag_of_a_tree_is_a_clear_refusal() {
    let p = Pushing::new();
    p.repo.git(&["tag", "treetag", "HEAD^{tree}"]);
    let out = p.push(&["treetag"]);
    let err = common::expect_code(&out, 1);
    let err = format!("{err}{}", stderr(&out));
    assert!(err.contains("does not point at a commit"), "{err}");
    assert!(!err.contains("bug in pqg"), "{err}");
    // An annotated tag of a commit is checked as that commit.
    p.repo.git(&["tag", "-a", "-m", "v", "v1", "broken"]);
    let out = p.push(&["v1"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "pushed: {err}");
    assert!(err.contains("the push is blocked: refs/tags/v1"), "{err}");
    p.assert_nothing_left();
}

#[test]
fn an_unusable_temp_folder_is_a_user_error_that_says_why() {
    let p = Pushing::new();
    let missing = p.tmp.path().join("missing");
    let out = p.push_with_tmp(&["good"], &missing);
    let err = stderr(&out);
    assert!(!out.status.success(), "pushed: {err}");
    assert!(!err.contains("bug in pqg"), "{err}");
    assert!(err.contains("cannot make a temporary folder in"), "{err}");
    assert!(err.contains("No such file or directory"), "{err}");
    p.assert_nothing_left();
}

#[test]
fn head_is_read_in_a_reftable_repository() {
    let repo = TestRepo::new();
    std::fs::remove_dir_all(repo.path().join(".git")).unwrap();
    let made = git(
        repo.path(),
        &["init", "-q", "-b", "main", "--ref-format=reftable"],
    );
    if !made.status.success() {
        eprintln!("this git has no reftable backend: nothing to test");
        return;
    }
    repo.git(&["config", "user.email", "t@e"]);
    repo.git(&["config", "user.name", "t"]);
    // A gate that needs an ignored file: it passes only in the work tree.
    repo.write(".gitignore", ".venv/\n");
    repo.write("gates.toml", "[gates.t]\nrun = '.venv/tool'\n");
    repo.write(".venv/tool", "#!/bin/sh\ntrue\n");
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(repo.path().join(".venv/tool"))
        .status()
        .unwrap();
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "init"]);
    let p = Pushing::set_up(repo);
    settle(&p.repo);
    let out = p.push(&["main"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("temporary worktree"), "{err}");
    assert!(pushed(&p, "main"));
    p.assert_nothing_left();
}
