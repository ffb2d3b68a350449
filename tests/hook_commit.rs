//! The pre-commit hook judges exactly what is staged (DESIGN §11): real
//! `git commit` through the installed hook, with the bytes and modes of
//! every unstaged edit and untracked file compared before and after, on
//! every way a check can end.

#![allow(unsafe_code)] // libc::kill, to signal pqg as a user would

mod common;

use common::{wait_for, TestRepo};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

const TOKEN: &str = "ghp_R8xWq2ZtY5nB7vK3mP9sD4fG6hJ1lA0cE2uI";

/// A repository holding `gates` and `files`, all committed, with pqg's
/// pre-commit hook installed.
fn hooked(gates: &str, files: &[(&str, &str)]) -> TestRepo {
    let repo = TestRepo::new().gates(gates);
    for (rel, text) in files {
        repo.write(rel, text);
    }
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "start"]);
    let out = repo
        .pqg(["hook", "install", "--hook", "pre-commit"])
        .output()
        .unwrap();
    common::expect_code(&out, 0);
    repo
}

/// `git commit -m msg` in `repo`, its hook run with the test's environment.
fn commit_cmd(repo: &TestRepo) -> std::process::Command {
    let mut git = common::git_command(repo.path());
    git.args(["commit", "-m", "through the hook"])
        .env("NO_COLOR", "1")
        .env("CI", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in ["PQG_STAGE", "PQG_SKIP", "PQG_CONFIG", "PQG_CACHE_DIR"] {
        git.env_remove(var);
    }
    git
}

fn commit(repo: &TestRepo) -> Output {
    commit_cmd(repo).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn head(repo: &TestRepo) -> String {
    let out = common::git_command(repo.path())
        .args(["rev-parse", "HEAD"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// What the committed tree holds at `rel`.
fn committed(repo: &TestRepo, rel: &str) -> Vec<u8> {
    common::git_command(repo.path())
        .args(["show", &format!("HEAD:{rel}")])
        .output()
        .unwrap()
        .stdout
}

/// What each path holds: bytes and mode of a file, a symlink's target,
/// or nothing.
#[derive(Debug, PartialEq, Eq)]
enum Held {
    Missing,
    File(Vec<u8>, u32),
    Link(PathBuf),
}

fn held(repo: &TestRepo, paths: &[&str]) -> Vec<(String, Held)> {
    paths
        .iter()
        .map(|rel| {
            let full = repo.path().join(rel);
            let held = match std::fs::symlink_metadata(&full) {
                Err(_) => Held::Missing,
                Ok(m) if m.file_type().is_symlink() => {
                    Held::Link(std::fs::read_link(&full).unwrap())
                }
                Ok(m) => Held::File(std::fs::read(&full).unwrap(), m.permissions().mode()),
            };
            ((*rel).to_owned(), held)
        })
        .collect()
}

/// The patches kept under the repository's cache folder.
fn patches(repo: &TestRepo) -> Vec<PathBuf> {
    let Ok(folders) = std::fs::read_dir(repo.path().join(".pqg/patches")) else {
        return Vec::new();
    };
    folders
        .map(|f| f.unwrap().path())
        .filter(|f| f.is_dir())
        .flat_map(|f| std::fs::read_dir(f).unwrap().map(|e| e.unwrap().path()))
        .filter(|p| p.extension().is_some_and(|e| e == "patch"))
        .collect()
}

/// Stages `staged` at `rel`, then leaves `unstaged` in the work tree.
fn stage_then_edit(repo: &TestRepo, rel: &str, staged: &str, unstaged: &str) {
    repo.write(rel, staged);
    repo.git(&["add", rel]);
    repo.write(rel, unstaged);
}

#[test]
fn a_token_staged_then_blanked_in_the_work_tree_is_blocked() {
    let repo = hooked(
        "[gates.secrets]\nbuiltin = \"secrets\"\n",
        &[("a.txt", "clean\n")],
    );
    let before = head(&repo);
    stage_then_edit(&repo, "a.txt", &format!("k = '{TOKEN}'\n"), "clean\n");
    let out = commit(&repo);
    let err = common::expect_code(&out, 1);
    assert!(err.contains("github-pat"), "{err}");
    assert_eq!(head(&repo), before, "the token must not be committed");
    assert_eq!(repo.read("a.txt"), "clean\n");
    assert!(patches(&repo).is_empty());
}

const EVERY_EDIT: &[&str] = &[
    "a.txt",
    "status.txt",
    "gone.txt",
    "run.sh",
    "blob.bin",
    "link",
    "ita.txt",
    "untracked.txt",
    "sub/new.txt",
];

/// Leaves every kind of unstaged change in `repo`: a token and a failing
/// status in edits, a deletion, an executable bit, a binary edit, a
/// retargeted symlink, an intent-to-add file and untracked files.
fn edit_everything(repo: &TestRepo) {
    repo.write("a.txt", &format!("k = '{TOKEN}'\r\nno newline"));
    repo.write("status.txt", "broken\n");
    std::fs::remove_file(repo.path().join("gone.txt")).unwrap();
    let run = repo.path().join("run.sh");
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(repo.path().join("blob.bin"), [0u8, 159, 146, 150, 0, 255]).unwrap();
    std::fs::remove_file(repo.path().join("link")).unwrap();
    std::os::unix::fs::symlink("status.txt", repo.path().join("link")).unwrap();
    repo.write("ita.txt", "intent to add\n");
    repo.git(&["add", "-N", "ita.txt"]);
    repo.write("untracked.txt", "mine, untracked\n");
    repo.write("sub/new.txt", "mine too\n");
}

fn everything_repo(gates: &str) -> TestRepo {
    let repo = hooked(
        gates,
        &[
            ("a.txt", "a\n"),
            ("status.txt", "ok\n"),
            ("gone.txt", "gone\n"),
            ("run.sh", "#!/bin/sh\n"),
            ("blob.bin", "bin"),
        ],
    );
    std::os::unix::fs::symlink("a.txt", repo.path().join("link")).unwrap();
    repo.git(&["add", "link"]);
    repo.git(&["commit", "-qm", "link", "--no-verify"]);
    repo
}

const CLEAN_GATES: &str = r#"
[gates.secrets]
builtin = "secrets"
[gates.status]
run = "grep -qx ok status.txt && test -f gone.txt && test ! -x run.sh"
"#;

#[test]
fn clean_staged_content_commits_and_every_unstaged_edit_and_untracked_file_stays() {
    let repo = everything_repo(CLEAN_GATES);
    stage_then_edit(
        &repo,
        "staged.txt",
        "staged and clean\n",
        "staged, then edited\n",
    );
    edit_everything(&repo);
    let before = held(&repo, EVERY_EDIT);
    let staged_before = held(&repo, &["staged.txt"]);
    let out = commit(&repo);
    let err = common::expect_code(&out, 0);
    assert!(err.contains("set aside"), "{err}");
    assert_eq!(held(&repo, EVERY_EDIT), before);
    assert_eq!(held(&repo, &["staged.txt"]), staged_before);
    assert_eq!(committed(&repo, "staged.txt"), b"staged and clean\n");
    assert_eq!(committed(&repo, "status.txt"), b"ok\n");
    assert!(
        patches(&repo).is_empty(),
        "the patch is removed once put back"
    );
    let status = common::git_command(repo.path())
        .args(["status", "--porcelain"])
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    for line in [" M a.txt", " D gone.txt", " A ita.txt", "?? untracked.txt"] {
        assert!(status.contains(line), "{status}");
    }
}

#[test]
fn a_failing_gate_a_timeout_and_fail_fast_put_everything_back() {
    for gates in [
        "[gates.no]\nrun = \"false\"\n",
        "[gates.slow]\nrun = \"sleep 5\"\ntimeout = \"200ms\"\n",
        "[settings]\nfail_fast = true\njobs = 1\n[gates.no]\nrun = \"false\"\n[gates.later]\nrun = \"true\"\n",
    ] {
        let repo = everything_repo(gates);
        edit_everything(&repo);
        let before = held(&repo, EVERY_EDIT);
        let head_before = head(&repo);
        let out = commit(&repo);
        let err = common::expect_code(&out, 1);
        assert!(err.contains("set aside"), "{gates}: {err}");
        assert_eq!(head(&repo), head_before, "{gates}");
        assert_eq!(held(&repo, EVERY_EDIT), before, "{gates}: {err}");
        assert!(patches(&repo).is_empty(), "{gates}");
    }
}

#[test]
fn nothing_unstaged_pays_for_no_stash() {
    let repo = hooked("[gates.ok]\nrun = \"true\"\n", &[("a.txt", "a\n")]);
    repo.write("a.txt", "b\n");
    repo.git(&["add", "a.txt"]);
    repo.write("untracked.txt", "u");
    let out = commit(&repo);
    let err = common::expect_code(&out, 0);
    assert!(!err.contains("set aside"), "{err}");
    assert!(!repo.path().join(".pqg/patches").exists());
    assert_eq!(repo.read("untracked.txt"), "u");
}

/// The shell command `err` gives after `prefix`, up to its trailing note.
fn command_after(err: &str, prefix: &str) -> String {
    let (_, rest) = err
        .lines()
        .find_map(|l| l.split_once(prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` in {err}"));
    rest.split("   (").next().unwrap_or(rest).to_owned()
}

/// Runs what pqg told the user to run, as they would paste it.
fn run_shell(command: &str) {
    let mut sh = std::process::Command::new("sh");
    common::isolate(&mut sh).args(["-c", command]);
    assert!(sh.status().unwrap().success(), "{command}");
}

/// A gate that says pqg's pid (its shell's parent) in `flags/pid` and
/// waits for `flags/go`.
fn waiting_gate(flags: &Path) -> String {
    format!(
        "[gates.wait]\nrun = \"echo $PPID > '{d}/pid.tmp' && mv '{d}/pid.tmp' '{d}/pid'; while [ ! -e '{d}/go' ]; do sleep 0.02; done\"\n",
        d = flags.display()
    )
}

/// Starts `git commit` and waits until the waiting gate runs; gives the
/// commit and pqg's pid.
fn commit_until_the_gate_waits(repo: &TestRepo, flags: &Path) -> (std::process::Child, i32) {
    let child = commit_cmd(repo).spawn().unwrap();
    let pid_file = flags.join("pid");
    wait_for(Duration::from_secs(20), "the gate to start", || {
        pid_file.exists()
    });
    let pid = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    (child, pid)
}

#[test]
fn a_signal_mid_gate_loses_nothing() {
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let flags = tempfile::tempdir().unwrap();
        let repo = everything_repo(&waiting_gate(flags.path()));
        edit_everything(&repo);
        let before = held(&repo, EVERY_EDIT);
        let (child, pid) = commit_until_the_gate_waits(&repo, flags.path());
        assert_eq!(
            repo.read("status.txt"),
            "ok\n",
            "set aside while the gate runs"
        );
        // SAFETY: kill takes plain integers; pqg is the hook git started.
        unsafe { libc::kill(pid, signal) };
        let out = child.wait_with_output().unwrap();
        assert!(!out.status.success());
        wait_for(Duration::from_secs(10), "pqg to exit", || {
            !common::alive(pid)
        });
        assert_eq!(held(&repo, EVERY_EDIT), before, "{}", stderr(&out));
        assert!(patches(&repo).is_empty(), "{}", stderr(&out));
    }
}

#[test]
fn a_gate_that_rewrites_a_set_aside_file_keeps_the_patch_and_says_how_to_apply_it() {
    let repo = hooked(
        "[gates.fmt]\nrun = \"printf formatted > a.txt\"\n",
        &[("a.txt", "a\n"), ("b.txt", "b\n")],
    );
    repo.write("a.txt", "my edit\n");
    repo.write("b.txt", "my other edit\n");
    let out = commit(&repo);
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    let kept = patches(&repo);
    assert_eq!(kept.len(), 1, "{err}");
    assert!(err.contains(&kept[0].display().to_string()), "{err}");
    assert_eq!(
        repo.read("a.txt"),
        "formatted",
        "nothing put back over the gate's write"
    );
    run_shell(&command_after(
        &err,
        "to put them back (dropping the gate's changes to those files): ",
    ));
    assert_eq!(repo.read("a.txt"), "my edit\n");
    assert_eq!(repo.read("b.txt"), "my other edit\n");
    assert!(patches(&repo).is_empty());
}

#[test]
fn a_killed_pqg_leaves_a_patch_that_the_next_run_reports() {
    let flags = tempfile::tempdir().unwrap();
    let repo = everything_repo(&waiting_gate(flags.path()));
    edit_everything(&repo);
    let before = held(&repo, EVERY_EDIT);
    let (child, pid) = commit_until_the_gate_waits(&repo, flags.path());
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    std::fs::write(flags.path().join("go"), "").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    let kept = patches(&repo);
    assert_eq!(kept.len(), 1);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&kept[0]), 0o600, "only its owner reads the patch");
    assert_eq!(mode(kept[0].parent().unwrap()), 0o700);
    let shown = kept[0].display().to_string();

    // `pqg check` goes on, and says so.
    let out = repo.pqg(["check"]).output().unwrap();
    let err = stderr(&out);
    assert!(err.contains(&shown) && err.contains("git apply"), "{err}");
    // The hook refuses until the patch is dealt with.
    let out = commit(&repo);
    let err = common::expect_code(&out, 1);
    assert!(
        err.contains(&shown) && err.contains("were never put back"),
        "{err}"
    );
    run_shell(&command_after(&err, "put them back with: "));
    assert_eq!(held(&repo, EVERY_EDIT), before);
    assert!(patches(&repo).is_empty());
}

#[test]
fn a_merge_in_progress_and_an_empty_stage_lose_nothing() {
    let repo = hooked(
        CLEAN_GATES,
        &[
            ("a.txt", "a\n"),
            ("status.txt", "ok\n"),
            ("gone.txt", "g\n"),
            ("run.sh", ""),
        ],
    );
    repo.git(&["checkout", "-qb", "side"]);
    repo.write("side.txt", "side\n");
    repo.git(&["add", "side.txt"]);
    repo.git(&["commit", "-qm", "side", "--no-verify"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.write("main.txt", "main\n");
    repo.git(&["add", "main.txt"]);
    repo.git(&["commit", "-qm", "main", "--no-verify"]);
    repo.git(&["merge", "-q", "--no-commit", "--no-ff", "side"]);
    assert!(repo.path().join(".git/MERGE_HEAD").exists());
    repo.write("status.txt", "broken\n");
    repo.write("a.txt", &format!("{TOKEN}\n"));
    let paths = ["status.txt", "a.txt", "side.txt", "main.txt"];
    let before = held(&repo, &paths);
    let out = commit(&repo);
    common::expect_code(&out, 0);
    assert!(
        !repo.path().join(".git/MERGE_HEAD").exists(),
        "the merge is committed"
    );
    assert_eq!(held(&repo, &paths), before);

    // Nothing staged at all: git refuses after the hook; nothing is lost.
    let head_before = head(&repo);
    let out = commit(&repo);
    assert!(!out.status.success());
    assert_eq!(head(&repo), head_before);
    assert_eq!(held(&repo, &paths), before);
    assert!(patches(&repo).is_empty());
}

#[test]
fn a_tracked_file_turned_folder_is_refused_before_anything_changes() {
    let repo = hooked(
        "[gates.ok]\nrun = \"true\"\n",
        &[("a.txt", "a\n"), ("b.txt", "b\n")],
    );
    repo.write("b.txt", "edit\n");
    std::fs::remove_file(repo.path().join("a.txt")).unwrap();
    repo.write("a.txt/inside.txt", "mine\n");
    let out = commit(&repo);
    let err = common::expect_code(&out, 1);
    assert!(err.contains("a.txt") && err.contains("folders"), "{err}");
    assert_eq!(repo.read("a.txt/inside.txt"), "mine\n");
    assert_eq!(repo.read("b.txt"), "edit\n");
}

/// A `git` first on PATH that sends `signal` to its parent (pqg) when it
/// is asked to `step` (`checkout-index`: while the tree is set aside;
/// `apply`: while it is put back), then runs the real git.
fn signalling_git(bin: &Path, step: &str, signal: &str) -> String {
    let real = common::git_command(Path::new("."))
        .args(["--exec-path"])
        .output()
        .unwrap();
    let real = PathBuf::from(String::from_utf8(real.stdout).unwrap().trim()).join("git");
    let script = bin.join("git");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nif [ \"$1\" = {step} ]; then kill -{signal} $PPID; fi\nexec '{}' \"$@\"\n",
            real.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn a_signal_while_the_tree_is_set_aside_or_put_back_waits_for_it() {
    for step in ["checkout-index", "apply"] {
        for signal in ["TERM", "INT"] {
            let bin = tempfile::tempdir().unwrap();
            let repo = everything_repo(CLEAN_GATES);
            edit_everything(&repo);
            let before = held(&repo, EVERY_EDIT);
            // The hook's own command: git puts its exec-path first on a
            // hook's PATH, which would hide the signalling git.
            let out = repo
                .pqg_std(["hook", "run", "--hook", "pre-commit"])
                .env("PATH", signalling_git(bin.path(), step, signal))
                .output()
                .unwrap();
            let err = stderr(&out);
            assert!(err.contains("set aside"), "{step} {signal}: {err}");
            let code = if signal == "TERM" { 143 } else { 130 };
            assert_eq!(out.status.code(), Some(code), "{step} {signal}: {err}");
            assert_eq!(held(&repo, EVERY_EDIT), before, "{step} {signal}: {err}");
            assert!(patches(&repo).is_empty(), "{step} {signal}: {err}");
        }
    }
}
