//! The cold path's writes (issue 14): a run that saves the file index
//! leaves the database whole in its main file — one checkpoint when the
//! cache closes, for the index, the results and the history together — and
//! a database made by this run is usable by the next one, which hits.

mod common;

use common::{expect_code, gate, json, TestRepo};

/// Two gates over a small tree, committed.
fn repo() -> TestRepo {
    let repo = TestRepo::new()
        .gates("[gates.a]\nrun = ['true', 'a']\n[gates.b]\nrun = ['true', 'b']\n")
        .file("src/one.txt", "one\n")
        .file("src/two.txt", "two\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "tree"]);
    repo
}

fn wal_len(repo: &TestRepo) -> u64 {
    std::fs::metadata(repo.path().join(".pqg/cache.db-wal")).map_or(0, |m| m.len())
}

/// Opens a copy of the main database file alone, never its WAL: what the
/// main file holds on its own. The folder lives as long as the guard.
fn main_file_only(repo: &TestRepo) -> (tempfile::TempDir, rusqlite::Connection) {
    let copy = tempfile::tempdir().unwrap();
    let db = copy.path().join("cache.db");
    std::fs::copy(repo.path().join(".pqg/cache.db"), &db).unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    (copy, conn)
}

#[test]
fn a_cold_run_leaves_index_results_and_history_in_the_main_file() {
    let repo = repo();
    let out = repo
        .pqg(["check", "--format", "json", "--progress", "never"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    // Everything written is folded into the main file when the cache
    // closes: a warm run maps the index from it, and reads no WAL.
    assert_eq!(
        wal_len(&repo),
        0,
        "the WAL is emptied when the cache closes"
    );
    let (_copy, conn) = main_file_only(&repo);
    let count = |table: &str| -> i64 {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(count("file_index"), 1);
    assert_eq!(count("entries"), 2);
    assert_eq!(count("runs"), 1);
    assert_eq!(count("gate_runs"), 2);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // The next run reads it all back: both gates hit, nothing warned.
    let out = repo
        .pqg(["check", "--format", "json", "--progress", "never"])
        .output()
        .unwrap();
    let err = expect_code(&out, 0);
    assert!(!err.contains("warning"), "{err}");
    let report = json(&out.stdout);
    for name in ["a", "b"] {
        assert_eq!(gate(&report, name)["cached"], true, "{name}");
    }
}

#[test]
fn an_empty_database_file_left_by_a_crash_is_made_anew_without_a_warning() {
    // A crash right after the file was created leaves it empty: the next
    // run makes the schema in it (without fsyncs, there is nothing yet to
    // keep) and stores its results durably after it.
    let repo = repo();
    std::fs::create_dir_all(repo.path().join(".pqg")).unwrap();
    std::fs::write(repo.path().join(".pqg/cache.db"), b"").unwrap();
    let out = repo
        .pqg(["check", "--format", "json", "--progress", "never"])
        .output()
        .unwrap();
    let err = expect_code(&out, 0);
    assert!(!err.contains("warning"), "{err}");
    let (_copy, conn) = main_file_only(&repo);
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert!(version > 0);
    let out = repo
        .pqg(["check", "--format", "json", "--progress", "never"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    assert_eq!(gate(&json(&out.stdout), "a")["cached"], true);
}
