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
        let mut cmd = common::git_command(self.repo.path());
        cmd.args(["push", "-q", "origin"])
            .args(args)
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("TMPDIR", self.tmp.path())
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

#[test]
fn a_worktree_left_by_a_pqg_that_died_is_removed_by_the_next_push() {
    let p = Pushing::new();
    // What a killed pqg leaves: a worktree in a pqg-push- folder whose pid
    // is gone.
    let dir = p.tmp.path().join("pqg-push-dead01");
    std::fs::create_dir(&dir).unwrap();
    let mut done = std::process::Command::new("true").spawn().unwrap();
    let dead = done.id();
    done.wait().unwrap();
    std::fs::write(dir.join("pid"), dead.to_string()).unwrap();
    let tree = dir.join("tree");
    assert!(git(
        p.repo.path(),
        &[
            "worktree",
            "add",
            "-q",
            "--detach",
            tree.to_str().unwrap(),
            "good"
        ]
    )
    .status
    .success());
    // A folder of another live process is left alone.
    let live = p.tmp.path().join("pqg-push-live01");
    std::fs::create_dir(&live).unwrap();
    std::fs::write(live.join("pid"), std::process::id().to_string()).unwrap();
    let live_tree = live.join("tree");
    assert!(git(
        p.repo.path(),
        &[
            "worktree",
            "add",
            "-q",
            "--detach",
            live_tree.to_str().unwrap(),
            "good"
        ]
    )
    .status
    .success());
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
