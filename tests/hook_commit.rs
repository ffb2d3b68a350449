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

/// The set-aside folders kept under the repository's git folder (each
/// holding raw copies, `changes.patch` and `restore.sh`).
fn patches(repo: &TestRepo) -> Vec<PathBuf> {
    let Ok(folders) = std::fs::read_dir(repo.path().join(".git/pqg/patches")) else {
        return Vec::new();
    };
    folders
        .map(|f| f.unwrap().path())
        .filter(|f| f.join("restore.sh").is_file())
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
    assert!(!repo.path().join(".git/pqg").exists());
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
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGQUIT] {
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
        // A signal the pipeline does not stop gates on still ends the run
        // once the gate is done.
        std::fs::write(flags.path().join("go"), "").unwrap();
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
    for file in ["changes.patch", "restore.sh", "files/0"] {
        assert_eq!(
            mode(&kept[0].join(file)),
            0o600,
            "only its owner reads {file}"
        );
    }
    assert_eq!(mode(&kept[0]), 0o700);
    assert_eq!(mode(kept[0].parent().unwrap()), 0o700);
    let shown = kept[0].display().to_string();

    // `pqg check` goes on, and says so.
    let out = repo.pqg(["check"]).output().unwrap();
    let err = stderr(&out);
    assert!(err.contains(&shown) && err.contains("restore.sh"), "{err}");
    // The hook refuses until the set-aside is dealt with.
    let out = commit(&repo);
    let err = common::expect_code(&out, 1);
    assert!(
        err.contains(&shown) && err.contains("ended without putting them back"),
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
/// is asked to `step` (`diff`: also while the set-aside copies are made;
/// `checkout-index`: while the tree is set aside), then runs the real git.
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
    for step in ["checkout-index"] {
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

/// The mode bits of `rel` in `repo`.
fn mode_of(repo: &TestRepo, rel: &str) -> u32 {
    std::fs::symlink_metadata(repo.path().join(rel))
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

#[test]
fn a_private_file_and_an_exec_bit_git_ignores_come_back_with_their_full_mode() {
    let repo = hooked(
        "[gates.ok]\nrun = \"true\"\n",
        &[("secret.txt", "s\n"), ("tool.sh", "#!/bin/sh\n")],
    );
    repo.git(&["config", "core.fileMode", "false"]);
    let set = |rel: &str, mode: u32| {
        std::fs::set_permissions(repo.path().join(rel), std::fs::Permissions::from_mode(mode))
            .unwrap();
    };
    repo.write("secret.txt", "s\nmine, private\n");
    set("secret.txt", 0o600);
    repo.write("tool.sh", "#!/bin/sh\necho mine\n");
    set("tool.sh", 0o750);
    repo.write("staged.txt", "staged\n");
    repo.git(&["add", "staged.txt"]);
    let before = held(&repo, &["secret.txt", "tool.sh"]);
    let out = commit(&repo);
    let err = common::expect_code(&out, 0);
    assert!(err.contains("set aside"), "{err}");
    assert_eq!(held(&repo, &["secret.txt", "tool.sh"]), before, "{err}");
    assert_eq!(mode_of(&repo, "secret.txt"), 0o600);
    assert_eq!(mode_of(&repo, "tool.sh"), 0o750);
}

#[test]
fn line_ending_conversion_and_filters_never_rewrite_the_set_aside_bytes() {
    let repo = hooked(
        "[gates.ok]\nrun = \"true\"\n",
        &[
            ("mixed.txt", "a\nb\n"),
            ("auto.txt", "x\ny\n"),
            ("id.c", "/* $Id$ */\n"),
            ("filtered.txt", "f\n"),
        ],
    );
    repo.write(
        ".gitattributes",
        "auto.txt text=auto\nid.c ident\nfiltered.txt filter=up\n",
    );
    repo.git(&["add", ".gitattributes"]);
    repo.git(&["commit", "-qm", "attributes", "--no-verify"]);
    repo.git(&["config", "core.autocrlf", "true"]);
    repo.git(&["config", "filter.up.clean", "tr a-z A-Z"]);
    repo.git(&["config", "filter.up.smudge", "tr A-Z a-z"]);
    repo.write("mixed.txt", "a\r\nb\nc\r\n");
    repo.write("auto.txt", "x\r\ny\r\nmine\r\n");
    repo.write("id.c", "/* $Id$ */\nint mine;\n");
    repo.write("filtered.txt", "f\nMixed Case Mine\n");
    repo.write("staged.txt", "staged\n");
    repo.git(&["add", "staged.txt"]);
    let files = ["mixed.txt", "auto.txt", "id.c", "filtered.txt"];
    let before = held(&repo, &files);
    let out = commit(&repo);
    let err = common::expect_code(&out, 0);
    assert!(err.contains("set aside"), "{err}");
    assert_eq!(held(&repo, &files), before, "{err}");
    assert!(patches(&repo).is_empty(), "{err}");
}

#[test]
fn gates_that_clean_or_scan_the_work_tree_never_reach_the_set_aside_changes() {
    let repo = hooked(
        "[gates.clean]\nrun = \"git clean -fdXq\"\n[gates.scan]\nrun = \"! grep -rq --exclude-dir=.git TOKEN_[a]bc123 .\"\n",
        &[("a.txt", "a\n"), (".gitignore", "build/\n")],
    );
    repo.write("a.txt", "a\nTOKEN_abc123\n");
    repo.write("staged.txt", "clean\n");
    repo.git(&["add", "staged.txt"]);
    let before = held(&repo, &["a.txt"]);
    let out = commit(&repo);
    let err = common::expect_code(&out, 0);
    assert!(err.contains("set aside"), "{err}");
    assert_eq!(held(&repo, &["a.txt"]), before, "{err}");
    assert_eq!(committed(&repo, "staged.txt"), b"clean\n");
}

#[test]
fn assume_unchanged_and_skip_worktree_entries_hiding_a_staged_token_are_refused() {
    for flag in ["--assume-unchanged", "--skip-worktree"] {
        let repo = hooked(
            "[gates.secrets]\nbuiltin = \"secrets\"\n",
            &[("a.txt", "clean\n"), ("b.txt", "b\n")],
        );
        let before = head(&repo);
        stage_then_edit(&repo, "a.txt", &format!("k = '{TOKEN}'\n"), "clean\n");
        repo.git(&["update-index", flag, "a.txt"]);
        let out = commit(&repo);
        let err = common::expect_code(&out, 1);
        assert!(
            err.contains("assume-unchanged") && err.contains("a.txt"),
            "{flag}: {err}"
        );
        assert_eq!(
            head(&repo),
            before,
            "{flag}: the token must not be committed"
        );
        assert_eq!(repo.read("a.txt"), "clean\n");
        // A marked file that matches the index is no reason to refuse.
        repo.git(&["update-index", "--no-assume-unchanged", "a.txt"]);
        repo.git(&["update-index", "--no-skip-worktree", "a.txt"]);
        repo.write("a.txt", "clean\n");
        repo.git(&["add", "a.txt"]);
        repo.git(&["update-index", flag, "b.txt"]);
        repo.write("c.txt", "c\n");
        repo.git(&["add", "c.txt"]);
        let out = commit(&repo);
        common::expect_code(&out, 0);
    }
}

#[test]
fn a_closed_stderr_never_leaves_the_tree_set_aside() {
    let repo = hooked("[gates.ok]\nrun = \"true\"\n", &[("a.txt", "a\n")]);
    repo.write("a.txt", "a\nmine\n");
    repo.write("staged.txt", "s\n");
    repo.git(&["add", "staged.txt"]);
    let mut child = commit_cmd(&repo).spawn().unwrap();
    // The reader takes one line, then goes away (`2>&1 | head -1`).
    let mut pipe = child.stderr.take().unwrap();
    let mut byte = [0u8; 1];
    while std::io::Read::read(&mut pipe, &mut byte).unwrap() == 1 && byte[0] != b'\n' {}
    drop(pipe);
    let _ = child.wait_with_output().unwrap();
    assert_eq!(repo.read("a.txt"), "a\nmine\n");
    assert!(patches(&repo).is_empty());
}

#[test]
fn a_left_over_set_aside_whose_pid_now_runs_something_else_is_left_over() {
    let flags = tempfile::tempdir().unwrap();
    let repo = hooked(&waiting_gate(flags.path()), &[("a.txt", "a\n")]);
    repo.write("a.txt", "a\nmine\n");
    let (child, pid) = commit_until_the_gate_waits(&repo, flags.path());
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    std::fs::write(flags.path().join("go"), "").unwrap();
    let _ = child.wait_with_output().unwrap();
    let kept = patches(&repo);
    assert_eq!(kept.len(), 1);
    // After a reboot its pid belongs to some other process: this test's.
    let name = kept[0].file_name().unwrap().to_str().unwrap().to_owned();
    let secs = name.split('-').next().unwrap();
    let moved = kept[0].with_file_name(format!("{secs}-{}", std::process::id()));
    std::fs::rename(&kept[0], &moved).unwrap();
    let out = commit(&repo);
    let err = common::expect_code(&out, 1);
    assert!(!err.contains("another pqg"), "{err}");
    assert!(err.contains("ended without putting them back"), "{err}");
    run_shell(&command_after(&err, "put them back with: "));
    assert_eq!(repo.read("a.txt"), "a\nmine\n");
    assert!(patches(&repo).is_empty());
}

#[test]
fn the_recovery_command_works_for_commit_with_paths_odd_names_and_any_diff_config() {
    let odd = "x\ny 'q'.txt";
    let repo = hooked(
        "[gates.fmt]\nrun = \"for f in *.txt; do printf formatted > \\\"$f\\\"; done\"\n",
        &[("a.txt", "a0\n"), ("b.txt", "b0\n"), (odd, "o\n")],
    );
    repo.git(&["config", "diff.context", "0"]);
    repo.git(&["config", "diff.noprefix", "true"]);
    stage_then_edit(&repo, "a.txt", "a1\n", "a2\n");
    repo.write(odd, "o\nmine\n");
    repo.write("b.txt", "b1\n");
    let mut git = commit_cmd(&repo);
    git.arg("b.txt");
    let out = git.output().unwrap();
    let err = common::expect_code(&out, 1);
    assert!(err.contains("a gate changed files"), "{err}");
    run_shell(&command_after(
        &err,
        "to put them back (dropping the gate's changes to those files): ",
    ));
    assert_eq!(repo.read("a.txt"), "a2\n");
    assert_eq!(repo.read(odd), "o\nmine\n");
    assert!(patches(&repo).is_empty());
}

#[test]
fn a_git_folder_apart_from_the_work_tree_is_refused_not_judged_as_a_plain_tree() {
    let base = tempfile::tempdir().unwrap();
    let (gitdir, work) = (base.path().join("repo.git"), base.path().join("work"));
    std::fs::create_dir(&work).unwrap();
    let git = |args: &[&str]| {
        let ok = common::git_command(&work)
            .arg(format!("--git-dir={}", gitdir.display()))
            .arg(format!("--work-tree={}", work.display()))
            .args(["-c", "user.email=t@e", "-c", "user.name=t"])
            .args(args)
            .status()
            .unwrap();
        ok.success()
    };
    assert!(common::git_command(base.path())
        .args(["init", "-q", "--bare", "repo.git"])
        .status()
        .unwrap()
        .success());
    assert!(git(&["config", "core.bare", "false"]));
    std::fs::write(
        work.join("gates.toml"),
        "[gates.secrets]\nbuiltin = \"secrets\"\n",
    )
    .unwrap();
    std::fs::write(work.join("a.txt"), "clean\n").unwrap();
    assert!(git(&["add", "-A"]));
    assert!(git(&["commit", "-qm", "start"]));
    let mut install = std::process::Command::new(common::pqg_path());
    common::isolate(&mut install)
        .current_dir(&work)
        .env("GIT_DIR", &gitdir)
        .env("GIT_WORK_TREE", &work)
        .args(["hook", "install", "--hook", "pre-commit"]);
    assert!(install.status().unwrap().success());
    std::fs::write(work.join("a.txt"), format!("k = '{TOKEN}'\n")).unwrap();
    assert!(git(&["add", "a.txt"]));
    std::fs::write(work.join("a.txt"), "clean\n").unwrap();
    assert!(!git(&["commit", "-qm", "token"]), "the commit is stopped");
    let out = common::git_command(&work)
        .arg(format!("--git-dir={}", gitdir.display()))
        .args(["show", "HEAD:a.txt"])
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"clean\n");
    assert_eq!(std::fs::read(work.join("a.txt")).unwrap(), b"clean\n");
}

#[test]
fn a_fifo_or_an_unusable_set_aside_folder_is_a_clear_refusal() {
    let repo = hooked(
        "[gates.ok]\nrun = \"true\"\n",
        &[("p", "p\n"), ("a.txt", "a\n")],
    );
    repo.write("a.txt", "a\nmine\n");
    std::fs::remove_file(repo.path().join("p")).unwrap();
    let fifo = std::ffi::CString::new(repo.path().join("p").into_os_string().into_encoded_bytes())
        .unwrap();
    // SAFETY: mkfifo reads a NUL-terminated path that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    let run = || {
        repo.pqg_std(["hook", "run", "--hook", "pre-commit"])
            .output()
            .unwrap()
    };
    let out = run();
    let err = common::expect_code(&out, 2);
    assert!(
        err.contains("neither files nor symlinks") && !err.contains("bug"),
        "{err}"
    );
    std::fs::remove_file(repo.path().join("p")).unwrap();
    repo.write("p", "p\n");
    std::fs::write(repo.path().join(".git/pqg"), "not a folder").unwrap();
    let out = run();
    let err = common::expect_code(&out, 2);
    assert!(
        err.contains("private folder") && !err.contains("bug"),
        "{err}"
    );
    assert_eq!(repo.read("a.txt"), "a\nmine\n");
}
