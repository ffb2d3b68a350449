//! Issue 14: pqg's own overhead in proportion to what ran.
//!
//! The write watch (issue 13) looks at the tracked files once after the
//! last gate, and before that only where a decision waits on it (a gate
//! whose needs finished since the last look starts; under fail-fast, a
//! blocking gate passed; a gate that may write starts after another
//! finished), not as each gate finishes; a blamed gate still blocks its
//! dependents and stops a fail-fast run, and the blame by ctime against
//! the gates' windows stays what it was. After a run,
//! the look for new input files asks git only when a folder at the
//! stored gates' places changed since the snapshot's listing (or a rule
//! of what git ignores did).

mod common;

use common::{gate, wait_for, TestRepo};
use std::time::Duration;

/// A repository with `gates`, two tracked files and `d1/`, all committed.
fn repo(gates: &str) -> TestRepo {
    let repo = TestRepo::new()
        .gates(gates)
        .file("a.py", "x = 1\n")
        .file("b.py", "y = 2\n")
        .file("d1/x.txt", "x")
        .file("d1/sub/y.txt", "y")
        .file(".gitignore", ".pqg/\nseen\n*.done\n*.pyc\n*.log\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "one"]);
    repo
}

/// `pqg check -vv`'s stderr, and whether it exited 0.
fn check_log(repo: &TestRepo, extra: &[&str]) -> (bool, String) {
    let mut args = vec!["check", "-vv", "--progress", "never"];
    args.extend_from_slice(extra);
    let out = repo.pqg(&args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn cached(report: &serde_json::Value, name: &str) -> bool {
    gate(report, name)["cached"].as_bool().unwrap()
}

/// Waits until every folder (or file) of `repo` named is older than the clock slack
/// the look for new files allows (a folder changed just before the
/// listing counts as changed, and git is asked).
fn settle_folders(repo: &TestRepo, folders: &[&str]) {
    use std::os::unix::fs::MetadataExt;
    let old = |dir: &str| {
        let m = std::fs::symlink_metadata(repo.path().join(dir)).unwrap();
        let ctime = m.ctime() * 1_000_000_000 + m.ctime_nsec();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as i64;
        now - ctime > 100_000_000
    };
    wait_for(Duration::from_secs(5), "old folders", || {
        folders.iter().all(|d| old(d))
    });
}

#[test]
fn the_tracked_files_are_looked_at_once_per_run_not_once_per_gate() {
    let gates: String = (0..6)
        .map(|i| format!("[gates.g{i}]\nrun = 'true'\n"))
        .collect();
    let repo = repo(&gates);
    let (ok, log) = check_log(&repo, &["--no-cache"]);
    assert!(ok, "{log}");
    let looks = log.matches("tracked files looked at again").count();
    assert_eq!(looks, 1, "one look after the last of six gates\n{log}");
}

#[test]
fn a_change_a_later_writer_rewrites_is_still_laid_at_the_first_gates_door() {
    // `lint` appends to a.py (it may not), then `fmt` (which may) rewrites
    // it: the file's last change is the writer's, yet `lint` changed it.
    // One slot, and `lint` first: it is the longer (and first in the
    // config when nothing is known of either).
    let repo = repo(
        "[settings]\njobs = 1\n\
         [gates.lint]\nrun = 'sleep 0.2; echo z = 3 >> a.py'\n\
         [gates.fmt]\nrun = 'echo x = 1 > a.py'\nwrites = true\n",
    );
    let report = repo.check_json(&["--no-cache"]);
    let lint = gate(&report, "lint");
    assert_eq!(lint["status"], "fail", "{report}");
    assert_eq!(
        lint["reason"], "files were modified by this gate: a.py",
        "{lint}"
    );
    assert_eq!(gate(&report, "fmt")["status"], "pass", "{report}");
    // Two looks: before the writer started, and after the last gate.
    let (_, log) = check_log(&repo, &["--no-cache"]);
    assert_eq!(
        log.matches("tracked files looked at again").count(),
        2,
        "{log}"
    );
}

#[test]
fn of_gates_finishing_close_together_only_the_one_that_wrote_is_blamed() {
    // `a` and `b` finish at once while `w` waits for both, then writes:
    // the one look after the run lays the change at `w`'s door alone.
    let repo = repo(
        "[settings]\njobs = 2\n\
         [gates.w]\nrun = 'while [ ! -e a.done ] || [ ! -e b.done ]; do sleep 0.01; done; sleep 0.1; echo z = 3 >> a.py'\ninputs = ['b.py']\n\
         [gates.a]\nrun = 'touch a.done'\ninputs = ['b.py']\n\
         [gates.b]\nrun = 'touch b.done'\ninputs = ['b.py']\n",
    );
    let report = repo.check_json(&[]);
    let w = gate(&report, "w");
    assert_eq!(w["status"], "fail", "{report}");
    assert_eq!(w["reason"], "files were modified by this gate: a.py", "{w}");
    for name in ["a", "b"] {
        assert_eq!(gate(&report, name)["status"], "pass", "{report}");
    }
    // Blamed, so never stored; the others are.
    repo.write("a.py", "x = 1\n");
    let again = repo.check_json(&[]);
    assert!(!cached(&again, "w"), "{again}");
    assert!(cached(&again, "a") && cached(&again, "b"), "{again}");
}

#[test]
fn with_no_new_folder_entry_git_is_not_asked_for_new_files() {
    let repo = repo(
        "[gates.small]\nrun = 'true'\ninputs = ['d1/**']\n\
         [gates.other]\nrun = 'true'\ninputs = ['b.py']\n",
    );
    let (ok, log) = check_log(&repo, &[]);
    assert!(ok, "{log}");
    repo.write("d1/x.txt", "edited in place");
    settle_folders(&repo, &[".", "d1", "d1/sub"]);
    let (ok, log) = check_log(&repo, &[]);
    assert!(ok, "{log}");
    assert!(
        log.contains("cache: no folder at d1 changed since the listing: nothing new there"),
        "{log}"
    );
    assert!(
        log.contains("cache: 2 input files looked at again (0 changed), 0 new"),
        "{log}"
    );
}

/// A gate with inputs `inputs` that runs `act` the first time only.
fn first_time(inputs: &str, act: &str) -> String {
    format!(
        "[gates.g]\nrun = 'test -e seen || {{ touch seen; {act}; }}'\ninputs = {inputs}\nwrites = true\n"
    )
}

/// The gate ran with a new input present: its result must not be stored
/// under the key taken before (the run after `undo` has that key again).
fn not_stored(repo: &TestRepo, undo: impl Fn()) {
    settle_folders(repo, &[".", "d1", "d1/sub"]);
    let first = repo.check_json(&[]);
    assert_eq!(gate(&first, "g")["status"], "pass", "{first}");
    undo();
    let second = repo.check_json(&[]);
    assert!(
        !cached(&second, "g"),
        "an input appeared while it ran: not stored\n{second}"
    );
    let third = repo.check_json(&[]);
    assert!(cached(&third, "g"), "nothing appeared: stored\n{third}");
}

#[test]
fn a_file_added_in_a_folder_holding_only_ignored_files_prevents_storing() {
    let repo = repo(&first_time("['d1/**']", "echo n > d1/cache/new.txt"));
    repo.write("d1/cache/old.pyc", "ignored");
    not_stored(&repo, || {
        std::fs::remove_file(repo.path().join("d1/cache/new.txt")).unwrap();
    });
}

#[test]
fn a_file_added_deep_in_a_new_folder_prevents_storing() {
    let repo = repo(&first_time(
        "['d1/sub/**']",
        "mkdir -p d1/sub/a/b && echo n > d1/sub/a/b/new.txt",
    ));
    not_stored(&repo, || {
        std::fs::remove_dir_all(repo.path().join("d1/sub/a")).unwrap();
    });
}

#[test]
fn a_file_git_stops_ignoring_while_the_gate_ran_prevents_storing() {
    // d1/sub/old.log is ignored by the top .gitignore; the gate rewrites
    // it in place so that the log counts: no folder changes.
    let repo = repo(&first_time(
        "['d1/sub/**']",
        "printf \".pqg/\\nseen\\n\" > .gitignore",
    ));
    repo.write("d1/sub/old.log", "log");
    let restore = repo.read(".gitignore");
    not_stored(&repo, || repo.write(".gitignore", &restore));
}

#[test]
fn a_file_that_leaves_the_index_while_the_gate_ran_prevents_storing() {
    // d1/sub/old.log is ignored but was added with -f: an input. The gate
    // takes it out of the index; no file or folder changes, only git's
    // index, and the gate ran without the input the key was made with.
    let repo = repo(&first_time(
        "['d1/**']",
        "git rm -q --cached d1/sub/old.log",
    ));
    repo.write("d1/sub/old.log", "log");
    repo.git(&["add", "-f", "d1/sub/old.log"]);
    repo.git(&["commit", "-qm", "a forced log"]);
    not_stored(&repo, || repo.git(&["add", "-f", "d1/sub/old.log"]));
}

#[test]
fn a_gitignore_added_above_the_gates_folder_prevents_storing() {
    // d1/.gitignore (new, above the gate's place d1/sub) un-ignores the
    // logs: d1/sub itself does not change.
    let repo = repo(&first_time(
        "['d1/sub/**']",
        "echo \"!*.log\" > d1/.gitignore",
    ));
    repo.write("d1/sub/old.log", "log");
    not_stored(&repo, || {
        std::fs::remove_file(repo.path().join("d1/.gitignore")).unwrap();
    });
}

#[test]
fn a_self_ignoring_gitignore_rewritten_inside_the_place_prevents_storing() {
    // d1/sub/priv/.gitignore ignores everything there, itself too: it is
    // not listed, and rewriting it in place changes no folder.
    let repo = repo(&first_time(
        "['d1/sub/**']",
        "printf \"\" > d1/sub/priv/.gitignore",
    ));
    repo.write("d1/sub/priv/.gitignore", "*\n");
    repo.write("d1/sub/priv/a.txt", "a");
    settle_folders(&repo, &["d1/sub/priv", "d1/sub/priv/.gitignore"]);
    not_stored(&repo, || repo.write("d1/sub/priv/.gitignore", "*\n"));
}

#[test]
fn an_ignored_gitignore_removed_above_the_place_prevents_storing() {
    // d1/.gitignore ignores the `.tmp` files and itself (so it is not
    // listed); the gate removes it, and d1/sub/a.tmp counts.
    let repo = repo(&first_time("['d1/sub/**']", "rm d1/.gitignore"));
    repo.write("d1/.gitignore", "*.tmp\n.gitignore\n");
    repo.write("d1/sub/a.tmp", "t");
    settle_folders(&repo, &["d1/.gitignore"]);
    not_stored(&repo, || repo.write("d1/.gitignore", "*.tmp\n.gitignore\n"));
}

/// [`not_stored`] for a repository whose gates.toml is in `sub/`.
fn not_stored_in_sub(repo: &TestRepo, undo: impl Fn()) {
    let config = ["--config", "sub/gates.toml"];
    settle_folders(repo, &[".", "sub", "sub/data"]);
    let first = repo.check_json(&config);
    assert_eq!(gate(&first, "g")["status"], "pass", "{first}");
    undo();
    let second = repo.check_json(&config);
    assert!(
        !cached(&second, "g"),
        "an input appeared while it ran: not stored\n{second}"
    );
    let third = repo.check_json(&config);
    assert!(cached(&third, "g"), "nothing appeared: stored\n{third}");
}

/// A repository with gates.toml in `sub/` whose gate `g` (inputs
/// `data/**`) runs `act` the first time (its mark kept in `.git`, so that
/// no folder of the tree changes); `sub/data/flag.txt` is ignored by
/// `top_ignore` (the top `.gitignore`).
fn sub_repo(top_ignore: &str, act: &str) -> TestRepo {
    let repo = TestRepo::new()
        .file(".gitignore", top_ignore)
        .file(
            "sub/gates.toml",
            &format!(
                "[gates.g]\nrun = 'test -e ../.git/seen || {{ touch ../.git/seen; {act}; }}'\ninputs = ['data/**']\nwrites = true\n"
            ),
        )
        .file("sub/data/a.txt", "a")
        .file("sub/data/flag.txt", "f");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "one"]);
    std::fs::create_dir(repo.path().join("sub/.pqg")).unwrap();
    repo
}

#[test]
fn a_gitignore_above_the_config_folder_changed_prevents_storing() {
    // The top .gitignore, above sub/ where gates.toml is, stops ignoring
    // flag.txt while the gate runs: it is an input the key did not hold.
    let ignore = ".pqg/\nflag.txt\n";
    let repo = sub_repo(ignore, "printf \".pqg/\\n\" > ../.gitignore");
    not_stored_in_sub(&repo, || repo.write(".gitignore", ignore));
}

#[test]
fn the_excludes_file_git_config_names_changed_prevents_storing() {
    // `core.excludesFile` names a file outside the work tree that ignores
    // flag.txt; the gate empties it while it runs.
    let excludes = "flag.txt\n";
    let repo = sub_repo(".pqg/\n", "printf \"\" > ../.git/my-excludes");
    repo.write(".git/my-excludes", excludes);
    let path = repo.path().join(".git/my-excludes");
    repo.git(&["config", "core.excludesFile", path.to_str().unwrap()]);
    repo.git(&["rm", "-q", "--cached", "sub/data/flag.txt"]);
    repo.git(&["commit", "-qm", "ignored"]);
    not_stored_in_sub(&repo, || repo.write(".git/my-excludes", excludes));
}

/// A gate `fix` that runs `fix`, and one that needs it (alone: no other
/// gate runs beside `fix` to share its blame).
fn writer_and_dependent(fix: &str) -> TestRepo {
    repo(&format!(
        "[gates.fix]\nrun = '{fix}'\ninputs = ['b.py']\n\
         [gates.after]\nrun = 'touch after.done'\ninputs = ['b.py']\nneeds = ['fix']\n"
    ))
}

/// `fix` was blamed, and `after` never started and reads exactly as the
/// dependent of a `fix` that fails does.
fn dependent_not_run(repo: &TestRepo, report: &serde_json::Value, extra: &[&str]) {
    let fix = gate(report, "fix");
    assert_eq!(fix["status"], "fail", "{report}");
    assert_eq!(
        fix["reason"], "files were modified by this gate: a.py",
        "{fix}"
    );
    assert!(!repo.path().join("after.done").exists(), "after ran");
    let failing = writer_and_dependent("false");
    let failed = failing.check_json(extra);
    assert_eq!(gate(&failed, "fix")["status"], "fail", "{failed}");
    assert_eq!(gate(report, "after"), gate(&failed, "after"), "{report}");
    assert_eq!(gate(report, "after")["status"], "blocked", "{report}");
    assert_eq!(report["counts"], failed["counts"], "{report}");
}

#[test]
fn a_gate_blamed_for_writing_keeps_its_dependents_from_starting_without_cache() {
    let repo = writer_and_dependent("echo z = 3 >> a.py");
    let report = repo.check_json(&["--no-cache"]);
    dependent_not_run(&repo, &report, &["--no-cache"]);
}

#[test]
fn a_gate_blamed_for_writing_keeps_its_dependents_from_starting_with_cache() {
    let repo = writer_and_dependent("echo z = 3 >> a.py");
    for _ in 0..2 {
        let report = repo.check_json(&[]);
        dependent_not_run(&repo, &report, &[]);
        assert!(!cached(&report, "fix"), "{report}");
        repo.write("a.py", "x = 1\n");
    }
}

#[test]
fn under_fail_fast_a_blocking_gate_blamed_for_writing_stops_the_run() {
    // One slot, the writer first (config order, nothing known yet): the
    // gates after it never start.
    let repo = repo(
        "[settings]\nfail_fast = true\njobs = 1\n\
         [gates.fix]\nrun = 'echo z = 3 >> a.py'\n\
         [gates.later]\nrun = 'touch later.done'\n\
         [gates.last]\nrun = 'touch last.done'\n",
    );
    let report = repo.check_json(&["--no-cache"]);
    assert_eq!(gate(&report, "fix")["status"], "fail", "{report}");
    for name in ["later", "last"] {
        assert_eq!(gate(&report, name)["status"], "cancelled", "{report}");
        let marker = repo.path().join(format!("{name}.done"));
        assert!(!marker.exists(), "{name} started\n{report}");
    }
}

#[test]
fn under_fail_fast_a_warning_only_writer_does_not_stop_the_run() {
    // The same run at a stage below the writer's `enforce_from`: its
    // blame is a warning, and the gates after it run.
    let repo = repo(
        "[settings]\nfail_fast = true\njobs = 1\n\
         [gates.fix]\nrun = 'echo z = 3 >> a.py'\nenforce_from = 'production'\n\
         [gates.later]\nrun = 'touch later.done'\n",
    );
    let report = repo.check_json(&["--no-cache"]);
    assert_eq!(gate(&report, "fix")["status"], "warn", "{report}");
    assert_eq!(gate(&report, "later")["status"], "pass", "{report}");
}

#[test]
fn the_files_are_looked_at_only_where_a_decision_waits_on_them() {
    // A chain: before each dependent starts, and once at the end.
    let chain = "[gates.g0]\nrun = 'true'\n\
                 [gates.g1]\nrun = 'true'\nneeds = ['g0']\n\
                 [gates.g2]\nrun = 'true'\nneeds = ['g1']\n";
    let (ok, log) = check_log(&repo(chain), &["--no-cache"]);
    assert!(ok, "{log}");
    assert_eq!(
        log.matches("tracked files looked at again").count(),
        3,
        "{log}"
    );
    // Fail-fast, one slot: after each blocking gate (the last one's look
    // is the run's last: nothing finished after it).
    let gates: String = (0..3)
        .map(|i| format!("[gates.g{i}]\nrun = 'true'\n"))
        .collect();
    let repo = repo(&format!("[settings]\nfail_fast = true\njobs = 1\n{gates}"));
    let (ok, log) = check_log(&repo, &["--no-cache"]);
    assert!(ok, "{log}");
    assert_eq!(
        log.matches("tracked files looked at again").count(),
        3,
        "{log}"
    );
}

#[test]
fn the_look_after_the_run_takes_the_tracked_files_from_the_write_watchs_last_look() {
    // Two of the three inputs are tracked: the watch's look after the last
    // gate saw them; only the untracked one is stat'ed again.
    let repo = repo("[gates.g]\nrun = 'true'\ninputs = ['d1/**']\n");
    repo.write("d1/new.txt", "untracked");
    let (ok, log) = check_log(&repo, &[]);
    assert!(ok, "{log}");
    assert!(
        log.contains("cache: 3 input files looked at again (0 changed), 0 new"),
        "{log}"
    );
    assert!(
        log.contains("cache: 2 of them as the write watch's last look saw them"),
        "{log}"
    );
    // Edited while the gate ran (it may write; `other` keeps the watch
    // on): what the shared look saw keeps the result out of the cache.
    let repo = self::repo(
        "[gates.g]\nrun = 'echo edited >> d1/x.txt'\ninputs = ['d1/**']\nwrites = true\n\
         [gates.other]\nrun = 'true'\ninputs = ['b.py']\n",
    );
    let (ok, log) = check_log(&repo, &[]);
    assert!(ok, "{log}");
    assert!(
        log.contains("cache: 3 input files looked at again (1 changed)"),
        "{log}"
    );
    assert!(
        log.contains("cache: 3 of them as the write watch's last look saw them"),
        "{log}"
    );
    let again = repo.check_json(&[]);
    assert!(
        !cached(&again, "g"),
        "stored under the key from before the edit\n{again}"
    );
    assert!(cached(&again, "other"), "{again}");
}

/// A key command that rewrites a tracked file (`cargo tree` refreshing
/// Cargo.lock) does so before any gate starts: the gate started right
/// after it is not blamed, however close its start.
#[test]
fn a_key_commands_write_is_no_gates() {
    // The key command writes after the tree was looked at (a small tree
    // takes far less than 0.3 s), then ends; the gate starts right after.
    let repo = repo(
        "[gates.g]\nrun = 'true'\ninputs = ['b.py']\n\
         key_commands = [\"sh -c 'sleep 0.3; echo z >> a.py'\"]\n",
    );
    for _ in 0..3 {
        let report = repo.check_json(&[]);
        assert_eq!(gate(&report, "g")["status"], "pass", "{report}");
        repo.write("a.py", "x = 1\n");
    }
}
