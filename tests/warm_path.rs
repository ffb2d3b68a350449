//! The warm path (issue 14: a warm `pqg check` within `git status`'s
//! time): the tracked files are stat'ed while the stored stat index loads
//! and the untracked cache is checked, the states judged against the index
//! afterwards, and the few untracked files put in among the tracked ones.
//! Whatever the order, a warm run reuses only what a fresh run would give.

mod common;

use common::TestRepo;

/// Fails when an input file holds `BAD`.
const CONTENT: &str =
    "[gates.g]\nrun = '! git ls-files -co --exclude-standard -z | xargs -0 cat | grep -q \"B[A]D\"'\n";

/// `pqg check -vv --format json` (plus `extra`): gate `g`'s status,
/// whether it was cached, and the log.
fn check(repo: &TestRepo, extra: &[&str]) -> (String, bool, String) {
    let mut args = vec!["check", "-vv", "--format", "json"];
    args.extend_from_slice(extra);
    common::gate_g(&repo.pqg_std(&args).output().expect("run pqg"))
}

/// The cached verdict, checked against a fresh run's.
fn agreed(repo: &TestRepo) -> (String, bool, String) {
    let cached = check(repo, &[]);
    let fresh = check(repo, &["--no-cache"]);
    assert_eq!(
        cached.0, fresh.0,
        "cached and fresh runs disagree: {}",
        cached.2
    );
    cached
}

fn line_of(log: &str, needle: &str) -> usize {
    log.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no `{needle}` in the log:\n{log}"))
}

/// 30 tracked files and 2 untracked ones, all older than the racy window:
/// a warm run stats the tracked files before it reads the stored states,
/// reuses the result, and every edit, of a tracked or an untracked file,
/// with the size kept, is seen.
#[test]
fn a_warm_run_stats_before_it_reads_the_index_and_sees_every_edit() {
    let mut repo = TestRepo::new().gates(CONTENT);
    for i in 0..30 {
        repo = repo.file(&format!("src/m{:02}/f{i:02}.txt", i % 4), "fine\n");
    }
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "tree"]);
    repo.write("src/m01/new.txt", "fine\n");
    repo.write("zz-late.txt", "fine\n");
    common::settle_racy(&repo);
    let (status, cached, _) = agreed(&repo);
    assert_eq!((status.as_str(), cached), ("pass", false));
    let (status, cached, log) = agreed(&repo);
    assert_eq!((status.as_str(), cached), ("pass", true), "{log}");
    assert!(
        line_of(&log, "31 tracked files listed; stat'ing them")
            < line_of(&log, "stored states read; the tracked files judged"),
        "the tracked files are stat'ed before the stored states are read:\n{log}"
    );
    assert!(log.contains("snapshot of 33 files, 0 hashed"), "{log}");
    // The first run made `.pqg` beside the files: the listing it made was
    // not kept, the second one's is, and the third reuses it.
    let (status, cached, log) = agreed(&repo);
    assert_eq!((status.as_str(), cached), ("pass", true), "{log}");
    assert!(
        log.contains("files unchanged, 2 untracked files as listed before"),
        "{log}"
    );

    // An untracked file among the tracked ones, then the last one in
    // order, then a tracked one: each edited in place, size kept.
    for file in ["src/m01/new.txt", "zz-late.txt", "src/m02/f06.txt"] {
        repo.write(file, "BAD!\n");
        let (status, cached, log) = agreed(&repo);
        assert_eq!((status.as_str(), cached), ("fail", false), "{file}: {log}");
        repo.write(file, "fine\n");
        let (status, _, log) = agreed(&repo);
        assert_eq!(status, "pass", "{file}: {log}");
    }
}

/// History's predictions order the gates that run: a run answered wholly
/// from the cache does not read them, one where a gate runs does.
#[test]
fn predictions_are_read_only_when_a_gate_runs() {
    let repo = TestRepo::new().gates(CONTENT).file("a.txt", "fine\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "tree"]);
    let (_, cached, log) = check(&repo, &[]);
    assert!(!cached);
    assert!(log.contains("predictions"), "a gate ran:\n{log}");
    let (_, cached, log) = check(&repo, &[]);
    assert!(cached, "{log}");
    assert!(
        !log.contains("predictions"),
        "every gate came from the cache:\n{log}"
    );
    repo.write("a.txt", "still fine\n");
    let (status, cached, log) = check(&repo, &[]);
    assert_eq!((status.as_str(), cached), ("pass", false));
    assert!(log.contains("history: 1 predictions"), "{log}");
}
