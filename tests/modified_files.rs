//! Issue 13, item 6: a gate that changes tracked files does not pass
//! silently (a `ruff check` with `fix = true` rewrites what it judges),
//! unless it says it may (`writes = true`). Reports written to untracked or
//! ignored files stay fine.

mod common;

use common::{expect_code, gate, json, TestRepo};

/// A repository with `gates` and two tracked files, all committed.
fn repo(gates: &str) -> TestRepo {
    let repo = TestRepo::new()
        .gates(gates)
        .file("a.py", "x = 1\n")
        .file("b.py", "y = 2\n")
        .file(".gitignore", ".pqg/\nreport.txt\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "one"]);
    repo
}

fn check(repo: &TestRepo, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(extra);
    let out = repo.pqg(&args).output().unwrap();
    let code = out.status.code().unwrap_or(-1);
    assert!(
        matches!(code, 0 | 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, json(&out.stdout))
}

const APPENDS: &str = "[gates.fix]\nrun = 'echo z = 3 >> a.py'\n";

#[test]
fn a_gate_that_appends_to_a_tracked_file_fails_naming_it() {
    let repo = repo(APPENDS);
    let (code, report) = check(&repo, &[]);
    assert_eq!(code, 1, "{report}");
    let fix = gate(&report, "fix");
    assert_eq!(fix["status"], "fail", "{fix}");
    assert_eq!(
        fix["reason"], "files were modified by this gate: a.py",
        "{fix}"
    );
    // The table says it too, and the exit code is 1.
    repo.write("a.py", "x = 1\n");
    let out = repo.pqg(["check"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    expect_code(&out, 1);
    assert!(
        stdout.contains("files were modified by this gate: a.py"),
        "{stdout}"
    );
}

#[test]
fn the_result_of_a_modifying_gate_is_never_cached_even_with_cache_failures() {
    // Its inputs leave out what it changes: the look after the run would
    // not keep it out of the cache by itself.
    let repo =
        repo("[gates.fix]\nrun = 'echo z = 3 >> a.py'\ninputs = ['b.py']\ncache_failures = true\n");
    for round in 0..2 {
        repo.write("a.py", "x = 1\n");
        let (code, report) = check(&repo, &[]);
        assert_eq!(code, 1, "round {round}: {report}");
        let fix = gate(&report, "fix");
        assert_eq!(fix["cached"], false, "round {round}: {fix}");
        assert_eq!(fix["status"], "fail", "round {round}: {fix}");
    }
}

#[test]
fn with_writes_the_same_gate_passes() {
    let repo = repo(&format!("{APPENDS}writes = true\n"));
    let (code, report) = check(&repo, &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(gate(&report, "fix")["status"], "pass");
    assert!(repo.read("a.py").contains("z = 3"));
    let out = repo.pqg(["list"]).output().unwrap();
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(listed.contains("may rewrite tracked files"), "{listed}");
    let out = repo.pqg(["explain", "fix"]).output().unwrap();
    let explained = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        explained.contains("may rewrite tracked files"),
        "{explained}"
    );
}

#[test]
fn the_check_holds_without_the_cache_and_for_uncached_gates() {
    let repo = repo(APPENDS);
    let (code, report) = check(&repo, &["--no-cache"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(gate(&report, "fix")["status"], "fail");
    let repo = repo_with_cache_off();
    let (code, report) = check(&repo, &[]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(gate(&report, "fix")["status"], "fail");
}

fn repo_with_cache_off() -> TestRepo {
    repo(&format!("{APPENDS}cache = false\n"))
}

#[test]
fn reports_in_ignored_or_untracked_files_are_fine() {
    let repo = repo(
        "[gates.report]\nrun = 'echo done > report.txt && echo done > untracked.log && mkdir -p out && echo x > out/r.xml'\n",
    );
    let (code, report) = check(&repo, &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(gate(&report, "report")["status"], "pass");
    // Written again over the same files: still fine.
    let (code, report) = check(&repo, &["--no-cache"]);
    assert_eq!(code, 0, "{report}");
}

#[test]
fn a_tracked_file_removed_by_a_gate_counts() {
    let repo = repo("[gates.rm]\nrun = 'rm b.py'\n");
    let (code, report) = check(&repo, &[]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(
        gate(&report, "rm")["reason"],
        "files were modified by this gate: b.py"
    );
}

#[test]
fn a_writer_that_runs_first_does_not_make_the_next_gate_fail() {
    // `fmt` rewrites a.py, then `lint` (which needs it) reads it: only the
    // writer changed anything, and it may.
    let repo = repo(
        "[gates.fmt]\nrun = 'echo z = 3 >> a.py'\nwrites = true\n\
         [gates.lint]\nrun = 'cat a.py'\nneeds = ['fmt']\n",
    );
    let (code, report) = check(&repo, &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(gate(&report, "lint")["status"], "pass");
}

#[test]
fn of_two_gates_at_once_the_one_that_wrote_is_blamed() {
    // `reader` runs until `writer` has changed a.py, and finishes after it.
    let repo = repo(
        "[settings]\njobs = 2\n\
         [gates.writer]\nrun = 'touch started && echo z = 3 >> a.py && touch wrote'\n\
         [gates.reader]\nrun = 'while [ ! -e wrote ]; do sleep 0.01; done; cat a.py'\n",
    );
    let (code, report) = check(&repo, &[]);
    assert_eq!(code, 1, "{report}");
    let writer = gate(&report, "writer");
    assert_eq!(writer["status"], "fail", "{writer}");
    assert!(
        writer["reason"].as_str().unwrap().contains("a.py"),
        "{writer}"
    );
    // The reader ran while a.py changed: it is not stored, whatever its
    // status says.
    let again = check(&repo, &[]).1;
    assert_eq!(gate(&again, "reader")["cached"], false, "{again}");
    // With `writes = true` on the writer, the reader is cleared.
    let cleared = repo_cleared();
    let (code, report) = check(&cleared, &[]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(gate(&report, "reader")["status"], "pass", "{report}");
}

fn repo_cleared() -> TestRepo {
    repo(
        "[settings]\njobs = 2\n\
         [gates.writer]\nrun = 'echo z = 3 >> a.py && touch wrote'\nwrites = true\n\
         [gates.reader]\nrun = 'while [ ! -e wrote ]; do sleep 0.01; done; cat a.py'\n",
    )
}

#[test]
fn writes_on_a_builtin_is_a_config_error() {
    let repo = repo("[gates.s]\nbuiltin = 'secrets'\nwrites = true\n");
    let out = repo.pqg(["check"]).output().unwrap();
    let err = expect_code(&out, 2);
    assert!(err.contains("a built-in check never writes files"), "{err}");
}

#[test]
fn a_retry_that_writes_nothing_does_not_clear_the_first_attempts_write() {
    // The first attempt rewrites a.py and fails; the retry passes without
    // writing: the gate still changed a tracked file.
    let repo = repo(
        "[gates.fix]\nrun = 'if [ -e tried ]; then exit 0; fi; touch tried; echo z = 3 >> a.py; exit 1'\nretries = 1\n",
    );
    let (code, report) = check(&repo, &[]);
    assert_eq!(code, 1, "{report}");
    let fix = gate(&report, "fix");
    assert_eq!(fix["status"], "fail", "{fix}");
    assert_eq!(
        fix["reason"], "files were modified by this gate: a.py",
        "{fix}"
    );
}

/// Hostile review, finding 24: with `-j1` the gate started right after a
/// neighbour's write was blamed with it, the clock's slack widening its
/// window back over that write.
#[test]
fn a_sequential_neighbour_is_not_blamed_for_a_write_before_it_started() {
    let repo = repo("[gates.h]\nrun = 'true'\n");
    for mode in ["600", "644", "600", "644", "600"] {
        let gates = format!(
            "[gates.h]\nrun = 'chmod {mode} a.py'\n[gates.i]\nrun = 'true'\n[gates.j]\nrun = 'true'\n"
        );
        repo.write("gates.toml", &gates);
        repo.git(&["commit", "-qam", "mode"]);
        // -vv: when it fails, the blame's times are in the message.
        let out = repo
            .pqg(["check", "--format", "json", "--no-cache", "-j1", "-vv"])
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&out.stderr);
        let report = json(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{report}\n{log}");
        assert_eq!(gate(&report, "h")["status"], "fail", "{report}\n{log}");
        for neighbour in ["i", "j"] {
            let g = gate(&report, neighbour);
            assert_eq!(g["status"], "pass", "{g}\n{log}");
        }
    }
}

/// A file removed is stamped by its folder's ctime, which the next gate
/// moves on by creating anything there: with `-j1` that gate took the
/// blame for its neighbour's removal. Which gates ran when the kernel told
/// of a change is read from inotify at every start and end, so no clock
/// decides.
#[test]
fn a_removal_is_laid_at_the_gate_that_removed_not_the_next_to_touch_its_folder() {
    let repo = repo(
        "[gates.a]\nrun = 'rm b.py'\n\
         [gates.b]\nrun = 'sleep 0.05; touch new.tmp'\n",
    );
    let (code, report) = check(&repo, &["--no-cache", "-j1"]);
    assert_eq!(code, 1, "{report}");
    let a = gate(&report, "a");
    assert_eq!(a["status"], "fail", "{a}");
    assert_eq!(a["reason"], "files were modified by this gate: b.py", "{a}");
    assert_eq!(gate(&report, "b")["status"], "pass", "{report}");
}

/// The same for a folder moved away: its files are missing, and the
/// folder above them is what the next gate changes.
#[test]
fn a_folder_moved_away_is_laid_at_the_gate_that_moved_it() {
    let repo = repo("[gates.a]\nrun = 'true'\n");
    repo.write("lib/deep/m.py", "m = 1\n");
    repo.write(
        "gates.toml",
        "[gates.a]\nrun = 'mv lib elsewhere'\n\
         [gates.b]\nrun = 'sleep 0.05; touch new.tmp'\n",
    );
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "lib"]);
    let (code, report) = check(&repo, &["--no-cache", "-j1"]);
    assert_eq!(code, 1, "{report}");
    let a = gate(&report, "a");
    assert_eq!(a["status"], "fail", "{a}");
    assert_eq!(
        a["reason"], "files were modified by this gate: lib/deep/m.py",
        "{a}"
    );
    assert_eq!(gate(&report, "b")["status"], "pass", "{report}");
}

/// Review of the inotify blame, 1: a folder moved away and back changes
/// nothing under it; a later gate's write there is that gate's alone.
#[test]
fn a_folder_moved_and_put_back_does_not_take_a_later_writes_blame() {
    let repo = repo("[gates.a]\nrun = 'true'\n");
    repo.write("sub/x.txt", "1\n");
    repo.write(
        "gates.toml",
        "[gates.a]\nrun = 'mv sub sub.tmp && mv sub.tmp sub'\n\
         [gates.b]\nrun = 'sleep 0.05; echo 2 >> sub/x.txt'\nneeds = ['a']\n",
    );
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "sub"]);
    let (code, report) = check(&repo, &["--no-cache", "-j1"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(gate(&report, "a")["status"], "pass", "{report}");
    let b = gate(&report, "b");
    assert_eq!(
        b["reason"], "files were modified by this gate: sub/x.txt",
        "{b}"
    );
}

/// Review of the inotify blame, 2 and 7: a writer replaces a folder (the
/// old one's watch follows it away); a later gate writing in the new one
/// is caught by its ctime, and one writing in the old, untracked copy is
/// not blamed for a tracked file.
#[test]
fn a_folder_replaced_by_a_writer_neither_hides_nor_invents_a_later_write() {
    let repo = repo("[gates.a]\nrun = 'true'\n");
    repo.write("gen/out.txt", "1\n");
    repo.write(".gitignore", ".pqg/\ngen.orig/\n");
    repo.write(
        "gates.toml",
        "[gates.gen]\nrun = 'rm -rf gen.orig && mv gen gen.orig && cp -a gen.orig gen'\nwrites = true\n\
         [gates.scratch]\nrun = 'sleep 0.05; echo s >> gen.orig/out.txt'\nneeds = ['gen']\n\
         [gates.lint]\nrun = 'sleep 0.05; echo fixed >> gen/out.txt'\nneeds = ['scratch']\n",
    );
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "gen"]);
    let (code, report) = check(&repo, &["--no-cache", "-j1"]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(gate(&report, "gen")["status"], "pass", "{report}");
    assert_eq!(gate(&report, "scratch")["status"], "pass", "{report}");
    let lint = gate(&report, "lint");
    assert_eq!(
        lint["reason"], "files were modified by this gate: gen/out.txt",
        "{lint}"
    );
}

/// Hostile review, finding 18: a gate rewriting a file that a submodule
/// tracks passed (only the superproject's files were watched).
#[test]
fn a_gate_that_rewrites_a_submodules_file_fails_naming_it() {
    let (repo, _upstream) =
        common::with_submodule("[gates.g]\nrun = 'echo x >> lib/s.txt'\n", "s.txt");
    let (code, report) = check(&repo, &["--no-cache"]);
    assert_eq!(code, 1, "{report}");
    let g = gate(&report, "g");
    assert_eq!(g["status"], "fail", "{g}");
    assert_eq!(
        g["reason"], "files were modified by this gate: lib/s.txt",
        "{g}"
    );
}
