//! The untracked cache (issue 14, warm runs): a warm run reuses git's
//! last listing of the untracked files while no folder git's walk visits
//! changed and no rule of what git ignores did; every way a new input can
//! appear without a listed file's folder changing is seen, and the cached
//! run agrees with `--no-cache`.

mod common;

use common::TestRepo;
use std::path::Path;
use std::time::{Duration, Instant};

/// Fails when git lists an input whose name holds `BAD`.
const NAMES: &str = "[gates.g]\nrun = '! git ls-files -co --exclude-standard | grep -q BAD'\n";

/// Fails when git lists a `.log` file; only `.log` files are its inputs,
/// so an edit of a `.gitignore` does not change its key by itself.
const LOGS: &str = "[gates.g]\nrun = '! git ls-files -co --exclude-standard | grep -q \"[.]log$\"'\ninputs = [\"**/*.log\"]\n";

/// Fails when an input file holds `BAD`.
const CONTENT: &str = "[gates.g]\nrun = '! git ls-files -co --exclude-standard -z | xargs -0 cat | grep -q \"B[A]D\"'\n";

/// Waits until every change made so far is older than the window in
/// which a folder's stamps are not trusted (20 ms): only then is a
/// listing kept for the next run.
fn settle() {
    let start = Instant::now();
    common::wait_for(Duration::from_secs(5), "the racy window to pass", || {
        start.elapsed() >= Duration::from_millis(60)
    });
}

/// `pqg check -vv --format json` (plus `extra`) in `dir`: gate `g`'s
/// status and whether it was cached, and the log.
fn check_in(repo: &TestRepo, dir: &Path, extra: &[&str]) -> (String, bool, String) {
    check_with(repo, dir, extra, None)
}

/// [`check_in`], with `XDG_CONFIG_HOME` set to `xdg` when given (git's
/// global ignore file is `xdg/git/ignore`).
fn check_with(
    repo: &TestRepo,
    dir: &Path,
    extra: &[&str],
    xdg: Option<&Path>,
) -> (String, bool, String) {
    let mut args = vec!["check", "-vv", "--format", "json"];
    args.extend_from_slice(extra);
    let mut cmd = repo.pqg_std(&args);
    cmd.current_dir(dir);
    if let Some(xdg) = xdg {
        cmd.env("XDG_CONFIG_HOME", xdg);
    }
    common::gate_g(&cmd.output().expect("run pqg"))
}

fn check(repo: &TestRepo, extra: &[&str]) -> (String, bool, String) {
    check_in(repo, repo.path(), extra)
}

const REUSED: &str = "untracked files as listed before";

/// Runs until the listing is kept, and checks that the next run reuses it
/// and gets `g`'s passing result from the cache.
fn warm_in(repo: &TestRepo, dir: &Path) {
    check_in(repo, dir, &[]);
    settle();
    check_in(repo, dir, &[]);
    settle();
    let (status, cached, log) = check_in(repo, dir, &[]);
    assert_eq!((status.as_str(), cached), ("pass", true), "{log}");
    assert!(log.contains(REUSED), "the listing is not reused:\n{log}");
}

fn warm(repo: &TestRepo) {
    warm_in(repo, repo.path());
}

/// After a change: the cached run and `--no-cache` both say `expected`.
fn expect_in(repo: &TestRepo, dir: &Path, expected: &str) {
    let (cached, _, log) = check_in(repo, dir, &[]);
    let (fresh, _, _) = check_in(repo, dir, &["--no-cache"]);
    assert_eq!(fresh, expected, "the change itself");
    assert_eq!(cached, fresh, "cached and --no-cache disagree:\n{log}");
}

fn expect(repo: &TestRepo, expected: &str) {
    expect_in(repo, repo.path(), expected);
}

fn committed(repo: TestRepo) -> TestRepo {
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "set up"]);
    repo
}

#[test]
fn a_new_file_in_a_folder_of_only_ignored_files_is_seen() {
    // Nobody lists anything in build/, yet git walks it: a new file there
    // moves only build/'s stamps.
    let repo = committed(
        TestRepo::new()
            .gates(NAMES)
            .file(".gitignore", "*.o\n")
            .file("src/main.c", "int main;\n"),
    );
    repo.write("build/a.o", "obj");
    warm(&repo);
    repo.write("build/BAD.c", "new");
    expect(&repo, "fail");
}

#[test]
fn new_nested_folders_in_an_empty_folder_are_seen() {
    let repo = committed(TestRepo::new().gates(NAMES).file("a.txt", "ok\n"));
    std::fs::create_dir(repo.path().join("empty")).unwrap();
    warm(&repo);
    repo.write("empty/a/b/BAD.txt", "new");
    expect(&repo, "fail");
}

#[test]
fn a_gitignore_edited_in_place_lets_a_file_in() {
    let repo = committed(TestRepo::new().gates(LOGS).file(".gitignore", "*.log\n"));
    repo.write("x.log", "log");
    warm(&repo);
    // Rewritten in place: the folder's stamps do not move.
    repo.write(".gitignore", "*.tmp\n");
    expect(&repo, "fail");
}

#[test]
fn a_nested_gitignore_edited_in_place_lets_a_file_in() {
    let repo = committed(
        TestRepo::new()
            .gates(LOGS)
            .file("sub/.gitignore", "*.log\n")
            .file("sub/a.txt", "ok\n"),
    );
    repo.write("sub/deep/x.log", "log");
    warm(&repo);
    repo.write("sub/.gitignore", "*.tmp\n");
    expect(&repo, "fail");
}

#[test]
fn a_gitignore_inside_an_untracked_folder_is_watched() {
    let repo = committed(TestRepo::new().gates(LOGS).file("a.txt", "ok\n"));
    repo.write("new/.gitignore", "*.log\n");
    repo.write("new/x.log", "log");
    warm(&repo);
    repo.write("new/.gitignore", "*.tmp\n");
    expect(&repo, "fail");
}

#[test]
fn info_exclude_edited_lets_a_file_in() {
    let repo = committed(TestRepo::new().gates(LOGS).file("a.txt", "ok\n"));
    repo.write(".git/info/exclude", "*.log\n");
    repo.write("x.log", "log");
    warm(&repo);
    repo.write(".git/info/exclude", "*.tmp\n");
    expect(&repo, "fail");
}

#[test]
fn a_gitignore_above_the_config_folder_is_watched() {
    let repo = committed(
        TestRepo::new()
            .file(".gitignore", "*.log\n")
            .file("app/gates.toml", LOGS)
            .file("app/a.txt", "ok\n"),
    );
    repo.write("app/x.log", "log");
    let app = repo.path().join("app");
    warm_in(&repo, &app);
    repo.write(".gitignore", "*.tmp\n");
    expect_in(&repo, &app, "fail");
}

#[test]
fn a_config_naming_an_excludes_file_keeps_no_listing() {
    let outside = tempfile::tempdir().unwrap();
    let ignores = outside.path().join("ignores");
    std::fs::write(&ignores, "*.log\n").unwrap();
    let repo = committed(TestRepo::new().gates(LOGS).file("a.txt", "ok\n"));
    repo.git(&["config", "core.excludesFile", ignores.to_str().unwrap()]);
    repo.write("x.log", "log");
    check(&repo, &[]);
    settle();
    check(&repo, &[]);
    settle();
    let (status, cached, log) = check(&repo, &[]);
    assert_eq!((status.as_str(), cached), ("pass", true));
    assert!(
        !log.contains(REUSED),
        "git's config names a file pqg does not watch: git is asked\n{log}"
    );
    std::fs::write(&ignores, "*.tmp\n").unwrap();
    expect(&repo, "fail");
}

#[test]
fn a_renamed_folder_is_seen() {
    let repo = committed(
        TestRepo::new()
            .gates(LOGS)
            .file(".gitignore", "box/*.log\n")
            .file("a.txt", "ok\n"),
    );
    repo.write("box/a.log", "log");
    warm(&repo);
    std::fs::rename(repo.path().join("box"), repo.path().join("crate")).unwrap();
    expect(&repo, "fail");
}

#[test]
fn a_folder_replaced_by_a_symlink_is_seen() {
    let repo = committed(
        TestRepo::new()
            .gates(NAMES)
            .file(".gitignore", "*.o\n")
            .file("a.txt", "ok\n"),
    );
    repo.write("BAD/x.o", "obj");
    warm(&repo);
    std::fs::remove_dir_all(repo.path().join("BAD")).unwrap();
    std::os::unix::fs::symlink("a.txt", repo.path().join("BAD")).unwrap();
    expect(&repo, "fail");
}

#[test]
fn a_file_that_leaves_the_index_stays_an_input() {
    // `git rm --cached` makes a file untracked without any folder
    // changing: only the index tells.
    let repo = committed(
        TestRepo::new()
            .gates(CONTENT)
            .file("notes.txt", "ok\n")
            .file("a.txt", "ok\n"),
    );
    warm(&repo);
    repo.git(&["rm", "-q", "--cached", "notes.txt"]);
    expect(&repo, "pass");
    settle();
    // Listed again as an untracked file, it is an input: the result
    // stored with it holds (a listing without it would make the check
    // after the run find it new, and never store).
    let (status, cached, log) = check(&repo, &[]);
    assert_eq!((status.as_str(), cached), ("pass", true), "{log}");
    repo.write("notes.txt", "BAD\n");
    expect(&repo, "fail");
}

#[test]
fn a_nested_repository_that_loses_its_git_is_seen() {
    let repo = committed(TestRepo::new().gates(NAMES).file("a.txt", "ok\n"));
    let nest = repo.path().join("nest");
    std::fs::create_dir(&nest).unwrap();
    let git = |args: &[&str]| {
        let status = common::git_command(&nest).args(args).status().unwrap();
        assert!(status.success());
    };
    git(&["init", "-q"]);
    std::fs::write(nest.join("BAD.txt"), "x").unwrap();
    warm(&repo);
    std::fs::remove_dir_all(nest.join(".git")).unwrap();
    expect(&repo, "fail");
}

#[test]
fn a_new_untracked_file_in_a_submodule_is_seen() {
    let (repo, _upstream) = common::with_submodule(
        "[gates.g]\nrun = '! cat lib/*.txt | grep -q \"B[A]D\"'\ninputs = [\"lib/**\"]\n",
        "data.txt",
    );
    warm(&repo);
    repo.write("lib/new.txt", "BAD\n");
    expect(&repo, "fail");
}

#[test]
fn changes_inside_an_ignored_folder_keep_the_listing() {
    // git never walks an ignored folder, and neither does the check: a
    // build writing there costs the next run nothing.
    let repo = committed(
        TestRepo::new()
            .gates(NAMES)
            .file(".gitignore", "target/\n")
            .file("a.txt", "ok\n"),
    );
    repo.write("target/debug/x", "1");
    warm(&repo);
    repo.write("target/debug/BAD", "2");
    repo.write("target/release/y", "3");
    let (status, cached, log) = check(&repo, &[]);
    assert_eq!((status.as_str(), cached), ("pass", true), "{log}");
    assert!(log.contains(REUSED), "{log}");
}

#[test]
fn a_damaged_record_makes_git_list_again() {
    let repo = committed(TestRepo::new().gates(NAMES).file("a.txt", "ok\n"));
    warm(&repo);
    let db = repo.path().join(".pqg/cache.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("UPDATE untracked_cache SET data = x'00'", [])
        .unwrap();
    drop(conn);
    let (status, _, log) = check(&repo, &[]);
    assert_eq!(status, "pass");
    assert!(!log.contains(REUSED), "{log}");
    repo.write("BAD.txt", "x");
    expect(&repo, "fail");
}

fn check_xdg(repo: &TestRepo, xdg: &Path, extra: &[&str]) -> (String, bool, String) {
    check_with(repo, repo.path(), extra, Some(xdg))
}

/// Review, finding 1: the global ignore file removed counted as "old"
/// (a missing file has no stamp): the file it ignored stayed unlisted.
#[test]
fn the_global_ignore_file_removed_lets_a_file_in() {
    let repo = committed(TestRepo::new().gates(NAMES).file("a.txt", "ok\n"));
    let home = tempfile::tempdir().unwrap();
    let xdg = home.path().join("xdg");
    std::fs::create_dir_all(xdg.join("git")).unwrap();
    std::fs::write(xdg.join("git/ignore"), "BAD*\n").unwrap();
    repo.write("BAD.txt", "ignored globally");
    for _ in 0..2 {
        check_xdg(&repo, &xdg, &[]);
        settle();
    }
    let (status, cached, log) = check_xdg(&repo, &xdg, &[]);
    assert_eq!((status.as_str(), cached), ("pass", true), "{log}");
    assert!(log.contains(REUSED), "the listing is not reused:\n{log}");
    std::fs::rename(xdg.join("git/ignore"), xdg.join("git/ignore.off")).unwrap();
    let (cached, _, log) = check_xdg(&repo, &xdg, &[]);
    let (fresh, _, _) = check_xdg(&repo, &xdg, &["--no-cache"]);
    assert_eq!(fresh, "fail", "the change itself");
    assert_eq!(cached, fresh, "cached and --no-cache disagree:\n{log}");
}

/// Review, finding 6: a run under another environment (here another
/// `XDG_CONFIG_HOME`, whose ignore file lets a file in) trusted the
/// listing made under the first.
#[test]
fn a_run_under_another_git_environment_lists_again() {
    let repo = committed(TestRepo::new().gates(NAMES).file("a.txt", "ok\n"));
    let home = tempfile::tempdir().unwrap();
    let ignoring = home.path().join("ignoring");
    let plain = home.path().join("plain");
    std::fs::create_dir_all(ignoring.join("git")).unwrap();
    std::fs::create_dir_all(plain.join("git")).unwrap();
    std::fs::write(ignoring.join("git/ignore"), "BAD*\n").unwrap();
    repo.write("BAD.txt", "ignored under one environment");
    for _ in 0..2 {
        check_xdg(&repo, &ignoring, &[]);
        settle();
    }
    let (status, _, log) = check_xdg(&repo, &ignoring, &[]);
    assert!(log.contains(REUSED), "the listing is not reused:\n{log}");
    assert_eq!(status, "pass");
    let (cached, _, log) = check_xdg(&repo, &plain, &[]);
    let (fresh, _, _) = check_xdg(&repo, &plain, &["--no-cache"]);
    assert_eq!(fresh, "fail", "the change itself");
    assert_eq!(cached, fresh, "cached and --no-cache disagree:\n{log}");
}

/// Review, finding 8: a tracked file replaced by a folder was taken for a
/// leaf (like a submodule) and never walked.
#[test]
fn a_tracked_file_replaced_by_a_folder_is_walked() {
    let repo = committed(
        TestRepo::new()
            .gates(NAMES)
            .file("a.txt", "ok\n")
            .file("tool", "#!/bin/sh\n"),
    );
    std::fs::remove_file(repo.path().join("tool")).unwrap();
    std::fs::create_dir_all(repo.path().join("tool/sub")).unwrap();
    check(&repo, &[]);
    settle();
    check(&repo, &[]);
    settle();
    repo.write("tool/sub/BAD.txt", "new");
    expect(&repo, "fail");
}

/// Review, finding 9: a folder named `.gitignore` was recorded by its own
/// stat data and never walked.
#[test]
fn a_folder_named_gitignore_is_walked() {
    let repo = committed(TestRepo::new().gates(NAMES).file("docs/a.txt", "ok\n"));
    std::fs::create_dir_all(repo.path().join("docs/.gitignore/sub")).unwrap();
    check(&repo, &[]);
    settle();
    check(&repo, &[]);
    settle();
    repo.write("docs/.gitignore/sub/BAD.txt", "new");
    expect(&repo, "fail");
}

#[test]
fn a_git_add_just_before_the_run_keeps_the_listing() {
    // Staging an edit replaces git's index a moment before the run: the
    // listing is still made against the index the tracked paths came
    // from, so it is kept, and the next edit-and-add reuses it.
    let repo = committed(
        TestRepo::new()
            .gates(CONTENT)
            .file("src/a.txt", "ok\n")
            .file("src/b.txt", "ok\n"),
    );
    repo.write("notes.txt", "untracked\n");
    warm(&repo);
    repo.write("src/a.txt", "ok, edited\n");
    repo.git(&["add", "src/a.txt"]);
    let (_, _, log) = check(&repo, &[]);
    assert!(
        !log.contains("untracked cache not kept"),
        "a `git add` before the run threw the listing away:\n{log}"
    );
    repo.write("src/b.txt", "ok, edited\n");
    repo.git(&["add", "src/b.txt"]);
    let (status, cached, log) = check(&repo, &[]);
    assert_eq!((status.as_str(), cached), ("pass", false), "{log}");
    assert!(log.contains(REUSED), "the listing is not reused:\n{log}");
    // A new untracked file after that is still seen.
    repo.write("src/BAD.txt", "BAD\n");
    expect(&repo, "fail");
}

/// Default inputs (every file): fails when an input holds `BAD`; then,
/// having read them, writes `made/new.txt` (holding `BAD`) when it is not
/// there yet.
const MAKES_A_FILE: &str = "[gates.g]\nrun = 'r=0; git ls-files -co --exclude-standard -z | xargs -0 cat | grep -q \"B[A]D\" && r=1; mkdir -p made && { [ -e made/new.txt ] || printf \"B%sD\" A > made/new.txt; }; exit $r'\n";

/// A cache folder made beforehand and a settled tree: the cold run's
/// listing is kept, and with it the stamps the look after the run uses.
fn settled_with_a_cache_folder(repo: &TestRepo) {
    std::fs::create_dir_all(repo.path().join(".pqg")).unwrap();
    settle();
}

#[test]
fn a_file_a_gate_makes_on_a_cold_run_is_seen_by_the_look_after_it() {
    // The gate passes, then makes a new input in a new folder: the look
    // after the run finds it (the root's stamps moved), and the pass, made
    // before the file existed, is not stored.
    let repo = committed(TestRepo::new().gates(MAKES_A_FILE).file("a.txt", "ok\n"));
    settled_with_a_cache_folder(&repo);
    let (status, _, log) = check(&repo, &[]);
    assert_eq!(status, "pass", "{log}");
    assert!(log.contains("untracked cache saved"), "{log}");
    assert!(log.contains("1 new"), "the new file was not seen:\n{log}");
    let (cached, was_cached, log) = check(&repo, &[]);
    assert!(
        !was_cached,
        "the pass from before the file was stored:\n{log}"
    );
    let (fresh, _, _) = check(&repo, &["--no-cache"]);
    assert_eq!((cached.as_str(), fresh.as_str()), ("fail", "fail"), "{log}");
}

/// Default inputs: passes, and writes into the ignored `build/` folder.
const WRITES_IGNORED: &str = "[gates.g]\nrun = 'mkdir -p build && date +%s%N > build/out.txt'\n";

#[test]
fn a_run_that_makes_only_ignored_files_is_stored_without_listing_again() {
    // Nothing new among the inputs: the listing's stamps hold after the run
    // (build/ is ignored, and already there), git is not asked again, and
    // the result is stored.
    let repo = committed(
        TestRepo::new()
            .gates(WRITES_IGNORED)
            .file(".gitignore", "build/\n")
            .file("a.txt", "ok\n"),
    );
    std::fs::create_dir_all(repo.path().join("build")).unwrap();
    settled_with_a_cache_folder(&repo);
    let (_, _, log) = check(&repo, &[]);
    assert!(
        log.contains("changed since the listing: nothing new"),
        "the look after the run listed the tree again:\n{log}"
    );
    let (status, cached, log) = check(&repo, &[]);
    assert_eq!((status.as_str(), cached), ("pass", true), "{log}");
}

#[test]
fn a_file_a_gate_makes_beside_listed_ones_is_seen_on_a_warm_listing() {
    // The listing held at the start of the run (reused), then the gate
    // adds an input to a folder the listing knew: its stamps move.
    let repo = committed(TestRepo::new().gates(CONTENT).file("made/a.txt", "ok\n"));
    warm(&repo);
    repo.write("gates.toml", MAKES_A_FILE);
    repo.git(&["add", "gates.toml"]);
    repo.git(&["commit", "-q", "-m", "the gate writes"]);
    settle();
    let (status, _, log) = check(&repo, &[]);
    assert_eq!(status, "pass", "{log}");
    assert!(log.contains(REUSED), "the listing is not reused:\n{log}");
    assert!(log.contains("1 new"), "the new file was not seen:\n{log}");
    expect(&repo, "fail");
}

/// A repository whose gate `g` passes when `lib/x` exists, and makes it
/// first when `trigger` exists; `lib` is a submodule, or a nested
/// repository (committed as git's embedded one); the guard keeps the
/// submodule's upstream.
fn gate_making_a_file_inside(
    lib_as_submodule: bool,
    trigger: &Path,
) -> (TestRepo, Option<tempfile::TempDir>) {
    let gates = format!(
        "[gates.g]\nrun = '[ -e {} ] && echo hi > lib/x; test -e lib/x'\n",
        trigger.display()
    );
    if lib_as_submodule {
        let (repo, upstream) = common::with_submodule(&gates, "y");
        return (repo, Some(upstream));
    }
    let repo = TestRepo::new().gates(&gates).file("lib/y", "ok\n");
    let lib = repo.path().join("lib");
    common::git_at(&lib, &["init", "-q", "-b", "main"]);
    common::git_at(&lib, &["add", "-A"]);
    common::git_at(&lib, &["commit", "-q", "-m", "inner"]);
    (committed(repo), None)
}

#[test]
fn a_file_a_gate_adds_inside_a_repository_it_holds_is_seen_after_the_run() {
    // git lists a submodule or a nested repository as one entry: the look
    // after the run lists inside it with its own git, as the snapshot did,
    // or the pass made with the new file would be stored under the key
    // without it (and served once the file is gone).
    for as_submodule in [false, true] {
        let outside = tempfile::tempdir().unwrap();
        let trigger = outside.path().join("trigger");
        let (repo, _upstream) = gate_making_a_file_inside(as_submodule, &trigger);
        settled_with_a_cache_folder(&repo);
        std::fs::write(&trigger, "").unwrap();
        let (status, _, log) = check(&repo, &[]);
        assert_eq!(status, "pass", "{log}");
        assert!(
            log.contains("1 new"),
            "submodule {as_submodule}: not seen:\n{log}"
        );
        std::fs::remove_file(&trigger).unwrap();
        std::fs::remove_file(repo.path().join("lib/x")).unwrap();
        let (cached, was_cached, log) = check(&repo, &[]);
        let (fresh, _, _) = check(&repo, &["--no-cache"]);
        assert_eq!(
            (cached.as_str(), was_cached, fresh.as_str()),
            ("fail", false, "fail"),
            "submodule {as_submodule}:\n{log}"
        );
    }
}
