//! The result cache end to end: what hits, what misses, and how it survives
//! damage, concurrency and kill -9. A stale hit is the worst bug pqg can
//! have, so most of these try to provoke one.

// These tests drive the OS directly (signals, file times, usage); each
// unsafe block says why it holds.
#![allow(unsafe_code)]

mod common;

use common::{json, wait_for, TestRepo};
use proptest::prelude::*;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

fn cached(repo: &TestRepo, args: &[&str]) -> Vec<bool> {
    let out = repo
        .pqg(["check", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let report = json(&out.stdout);
    report["gates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["status"] != "skipped")
        .map(|g| g["cached"].as_bool().unwrap())
        .collect()
}

fn check_json(repo: &TestRepo, args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let out = repo
        .pqg(["check", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        json(&out.stdout),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const SRC_GATE: &str = "[gates.g]\nrun = 'cat src/* > /dev/null'\ninputs = ['src/**']\n";

#[test]
fn unchanged_inputs_hit_and_each_kind_of_change_misses() {
    let repo = TestRepo::new()
        .gates(SRC_GATE)
        .file("src/a.rs", "fn a() {}\n")
        .file("other.txt", "x");
    repo.git(&["add", "."]);
    assert_eq!(cached(&repo, &[]), [false]);
    assert_eq!(cached(&repo, &[]), [true]);
    // Outside the gate's inputs: still a hit.
    repo.write("other.txt", "y");
    assert_eq!(cached(&repo, &[]), [true]);
    // Same size, written straight after the last run: the racy window.
    repo.write("src/a.rs", "fn b() {}\n");
    assert_eq!(cached(&repo, &[]), [false], "same-second, same-size edit");
    assert_eq!(cached(&repo, &[]), [true]);
    std::fs::rename(repo.path().join("src/a.rs"), repo.path().join("src/b.rs")).unwrap();
    assert_eq!(cached(&repo, &[]), [false], "rename");
    repo.write("src/new.rs", "");
    assert_eq!(cached(&repo, &[]), [false], "new untracked file");
    std::fs::remove_file(repo.path().join("src/new.rs")).unwrap();
    assert_eq!(cached(&repo, &[]), [true], "back to a stored state");
    std::fs::remove_file(repo.path().join("src/b.rs")).unwrap();
    assert_eq!(cached(&repo, &[]), [false], "deletion");
}

#[test]
fn gitignored_files_do_not_count_but_untracked_ones_do() {
    let repo = TestRepo::new()
        .gates("[gates.g]\nrun = 'true'\n")
        .file(".gitignore", "build/\n")
        .file("a.txt", "a");
    assert_eq!(cached(&repo, &[]), [false]);
    repo.write("build/out.o", "binary");
    assert_eq!(cached(&repo, &[]), [true], "ignored file");
    repo.write("notes.txt", "untracked");
    assert_eq!(cached(&repo, &[]), [false], "untracked, not ignored");
}

#[test]
fn an_unset_variable_and_an_empty_one_are_different_keys() {
    let repo = TestRepo::new().gates("[gates.g]\nrun = 'true'\nenv = ['PQG_TEST_VAR']\n");
    let run = |value: Option<&str>| {
        let mut cmd = repo.pqg(["check", "--format", "json"]);
        match value {
            Some(v) => cmd.env("PQG_TEST_VAR", v),
            None => cmd.env_remove("PQG_TEST_VAR"),
        };
        json(&cmd.output().unwrap().stdout)["gates"][0]["cached"]
            .as_bool()
            .unwrap()
    };
    assert!(!run(None));
    assert!(run(None));
    assert!(!run(Some("")), "empty is not unset");
    assert!(run(Some("")));
    assert!(!run(Some("1")));
    assert!(run(None), "the unset entry is still there");
}

#[test]
fn production_after_staging_runs_only_what_production_adds() {
    let repo = TestRepo::new().gates(
        "[gates.cov]\nrun = 'echo 80 > /dev/null; echo cov 80'\n[gates.cov.metrics.m]\nregex = 'cov (\\d+)'\nmin = { staging = 75, production = 85 }\n[gates.audit]\nrun = 'true'\nfrom = 'production'\n",
    );
    let (code, _, _) = check_json(&repo, &["--stage", "staging"]);
    assert_eq!(code, Some(0));
    let (code, report, _) = check_json(&repo, &["--stage", "production"]);
    assert_eq!(code, Some(1), "the cached 80 is judged again against 85");
    assert_eq!(report["gates"][0]["cached"], true);
    assert_eq!(report["gates"][0]["status"], "fail");
    assert_eq!(report["gates"][1]["cached"], false);
    assert_eq!(report["counts"]["cached"], 1);
}

#[test]
fn failures_timeouts_and_opt_outs_are_not_stored() {
    let repo = TestRepo::new().gates(
        "[gates.fails]\nrun = 'exit 1'\n[gates.keeps]\nrun = 'exit 1'\ncache_failures = true\n[gates.slow]\nrun = 'sleep 5'\ntimeout = '200ms'\n[gates.never]\nrun = 'true'\ncache = false\n[gates.ok]\nrun = 'true'\n",
    );
    check_json(&repo, &[]);
    assert_eq!(cached(&repo, &[]), [false, true, false, false, true]);
    assert_eq!(
        cached(&repo, &["--no-cache"]),
        [false; 5],
        "--no-cache reads nothing"
    );
}

#[test]
fn no_cache_writes_nothing() {
    let repo = TestRepo::new().gates("[gates.ok]\nrun = 'true'\n");
    assert_eq!(cached(&repo, &["--no-cache"]), [false]);
    assert_eq!(
        cached(&repo, &[]),
        [false],
        "the --no-cache run stored nothing"
    );
}

#[test]
fn gates_with_the_same_run_each_run_with_their_own_name() {
    // Their keys differ by the name pqg hands them (`PQG_GATE`): neither
    // answers for the other.
    let repo = TestRepo::new().gates(
        "[gates.one]\nrun = 'echo $PQG_GATE >> count'\ninputs = ['gates.toml']\n[gates.two]\nrun = 'echo $PQG_GATE >> count'\ninputs = ['gates.toml']\n",
    );
    let (code, report, _) = check_json(&repo, &[]);
    assert_eq!(code, Some(0));
    let mut ran: Vec<String> = repo.read("count").lines().map(str::to_owned).collect();
    ran.sort();
    assert_eq!(ran, ["one", "two"]);
    assert_eq!(report["gates"][1]["cached"], false);
    assert_eq!(cached(&repo, &[]), [true, true]);
}

#[test]
fn an_input_edited_while_its_gate_runs_is_not_stored() {
    let repo = TestRepo::new()
        .gates(
            "[gates.g]\nrun = 'cat src/a > /dev/null; echo edited >> src/a'\ninputs = ['src/**']\n",
        )
        .file("src/a", "start\n");
    assert_eq!(cached(&repo, &[]), [false]);
    assert_eq!(
        cached(&repo, &[]),
        [false],
        "the edit during the run prevented storing"
    );
}

#[test]
fn mtimes_in_the_future_or_the_past_never_serve_a_stale_hit() {
    let repo = TestRepo::new().gates(SRC_GATE).file("src/a", "aaaa");
    let set_mtime = |secs: i64| {
        let path = std::ffi::CString::new(repo.path().join("src/a").to_str().unwrap()).unwrap();
        let times = [
            libc::timespec {
                tv_sec: secs,
                tv_nsec: 0,
            },
            libc::timespec {
                tv_sec: secs,
                tv_nsec: 0,
            },
        ];
        // SAFETY: `path` is NUL-terminated and `times` holds the two
        // timespecs utimensat reads; both outlive the call.
        let set = unsafe { libc::utimensat(libc::AT_FDCWD, path.as_ptr(), times.as_ptr(), 0) };
        assert_eq!(set, 0);
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    set_mtime(now + 3600);
    assert_eq!(cached(&repo, &[]), [false]);
    // Same size, same (future) mtime: only the content differs.
    repo.write("src/a", "bbbb");
    set_mtime(now + 3600);
    assert_eq!(cached(&repo, &[]), [false], "future mtime");
    // A clock that went backwards: the file claims to be old.
    set_mtime(now - 86_400);
    assert_eq!(cached(&repo, &[]), [true], "same content: a correct hit");
    repo.write("src/a", "cccc");
    set_mtime(now - 86_400);
    assert_eq!(
        cached(&repo, &[]),
        [false],
        "old mtime restored after an edit"
    );
}

fn integrity_ok(repo: &TestRepo) {
    let conn = rusqlite::Connection::open(repo.path().join(".pqg/cache.db")).unwrap();
    let result: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(result, "ok");
}

#[test]
fn damaged_databases_are_moved_aside_with_one_warning_and_the_verdict_holds() {
    type Damage = fn(&std::path::Path);
    let damages: [(&str, Damage); 4] = [
        ("truncated", |db| {
            let len = std::fs::metadata(db).unwrap().len();
            std::fs::OpenOptions::new()
                .write(true)
                .open(db)
                .unwrap()
                .set_len(len / 3)
                .unwrap();
        }),
        ("garbage", |db| {
            std::fs::write(db, vec![0x5a; 50_000]).unwrap();
        }),
        ("a folder", |db| {
            std::fs::remove_file(db).unwrap();
            std::fs::create_dir(db).unwrap();
        }),
        ("an alien schema", |db| {
            std::fs::remove_file(db).unwrap();
            let c = rusqlite::Connection::open(db).unwrap();
            c.execute_batch("CREATE TABLE entries (x); PRAGMA user_version = 1;")
                .unwrap();
        }),
    ];
    for (name, damage) in damages {
        let repo = TestRepo::new().gates("[gates.ok]\nrun = 'true'\n[gates.bad]\nrun = 'exit 1'\n");
        let (code, _, _) = check_json(&repo, &[]);
        assert_eq!(code, Some(1));
        let db = repo.path().join(".pqg/cache.db");
        // The database at rest: everything in the main file, no WAL.
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;")
            .unwrap();
        damage(&db);
        let (code, report, stderr) = check_json(&repo, &[]);
        assert_eq!(code, Some(1), "{name}: same verdict");
        assert_eq!(report["gates"][0]["status"], "pass", "{name}");
        assert_eq!(stderr.matches("warning:").count(), 1, "{name}: {stderr}");
        assert!(stderr.contains("moved it to"), "{name}: {stderr}");
        let aside = std::fs::read_dir(repo.path().join(".pqg"))
            .unwrap()
            .filter_map(std::result::Result::ok)
            .any(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("cache.db.corrupt-")
            });
        assert!(aside, "{name}: the damaged file is kept aside");
        // The new database works and is healthy.
        let (_, _, stderr) = check_json(&repo, &[]);
        assert!(!stderr.contains("warning"), "{name}: {stderr}");
        assert_eq!(cached(&repo, &[]), [true, false], "{name}");
        integrity_ok(&repo);
    }
}

#[test]
fn a_newer_or_locked_or_unusable_database_is_bypassed_with_one_warning() {
    // Written by a newer pqg: left alone.
    let repo = TestRepo::new().gates("[gates.ok]\nrun = 'true'\n");
    check_json(&repo, &[]);
    let db = repo.path().join(".pqg/cache.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    let (code, _, stderr) = check_json(&repo, &[]);
    assert_eq!(code, Some(0));
    assert_eq!(stderr.matches("warning:").count(), 1, "{stderr}");
    assert!(stderr.contains("newer"), "{stderr}");

    // Locked by another process for as long as pqg runs.
    let repo = TestRepo::new().gates("[gates.ok]\nrun = 'true'\n[gates.bad]\nrun = 'exit 1'\n");
    check_json(&repo, &[]);
    let locker = rusqlite::Connection::open(repo.path().join(".pqg/cache.db")).unwrap();
    locker
        .execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;")
        .unwrap();
    let start = std::time::Instant::now();
    let (code, report, stderr) = check_json(&repo, &[]);
    assert!(start.elapsed() < Duration::from_secs(15));
    assert_eq!(code, Some(1));
    assert_eq!(report["gates"][0]["status"], "pass");
    assert_eq!(stderr.matches("warning:").count(), 1, "{stderr}");
    assert!(!stderr.contains("database is locked") || stderr.contains("running without the cache"));
    drop(locker);

    // A cache folder that cannot exist (its parent is a file): root can
    // write anywhere else, so this is how the test makes it unwritable.
    let repo = TestRepo::new()
        .gates("[gates.ok]\nrun = 'true'\n")
        .file("blocker", "");
    let out = repo
        .pqg(["check"])
        .env("PQG_CACHE_DIR", "blocker/cache")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("warning:").count(), 1, "{stderr}");
}

#[test]
fn the_cache_folder_is_private() {
    let repo = TestRepo::new().gates("[gates.ok]\nrun = 'true'\n");
    check_json(&repo, &[]);
    let mode = |p: &str| {
        std::fs::metadata(repo.path().join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(".pqg"), 0o700);
    assert_eq!(mode(".pqg/cache.db"), 0o600);
}

#[test]
fn eight_processes_share_one_cache() {
    let mut toml = String::new();
    for i in 0..6 {
        toml.push_str(&format!("[gates.g{i}]\nrun = 'true {i}'\n"));
    }
    toml.push_str("[gates.bad]\nrun = 'exit 1'\n");
    let repo = TestRepo::new().gates(&toml);
    let children: Vec<_> = (0..8)
        .map(|_| {
            repo.pqg_std(["check", "--format", "json"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(!stderr.contains("locked"), "{stderr}");
        assert!(!stderr.contains("warning"), "{stderr}");
        assert_eq!(json(&out.stdout)["counts"]["pass"], 6);
    }
    integrity_ok(&repo);
    assert_eq!(
        cached(&repo, &[]),
        [true, true, true, true, true, true, false]
    );
}

#[test]
fn kill_9_mid_run_never_leaves_a_wrong_result_behind() {
    // The gate fails while `flag` exists (`flag` is an input). pqg is
    // killed at varying moments: before, during and after the gate ends,
    // so sometimes mid-store. Afterwards the database must be intact, the
    // state without `flag` must run (nothing of a killed run can stand for
    // it), and the state with `flag` must fail, cached or not.
    let repo = TestRepo::new().gates(
        "[gates.g]\nrun = 'echo $$ > gate.pid; touch started; sleep 0.1; test ! -e flag'\ninputs = ['src/**', 'flag']\ncache_failures = true\n[gates.quick]\nrun = 'true'\n",
    );
    for round in 0..12u64 {
        repo.write("flag", "");
        repo.write("src/a", &format!("round {round}"));
        let _ = std::fs::remove_file(repo.path().join("started"));
        let mut child = repo
            .pqg_std(["check"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        wait_for(Duration::from_secs(10), "the gate to start", || {
            repo.path().join("started").exists()
        });
        std::thread::sleep(Duration::from_millis(round * 15));
        // SAFETY: kill takes plain integers; the child is ours and not reaped.
        unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
        let _ = child.wait();
        // Nothing can catch SIGKILL, so the gate's group outlives pqg here;
        // wait for it to end on its own before changing the tree.
        let gate: i32 = repo.read("gate.pid").trim().parse().unwrap();
        wait_for(Duration::from_secs(5), "the orphaned gate to end", || {
            !common::alive(gate)
        });
        std::fs::remove_file(repo.path().join("flag")).unwrap();
        let (code, report, _) = check_json(&repo, &["--only", "g"]);
        assert_eq!(report["gates"][0]["status"], "pass", "round {round}");
        assert_eq!(report["gates"][0]["cached"], false, "round {round}");
        assert_eq!(code, Some(0));
        repo.write("flag", "");
        let (code, report, _) = check_json(&repo, &["--only", "g"]);
        assert_eq!(report["gates"][0]["status"], "fail", "round {round}");
        assert_eq!(code, Some(1));
        integrity_ok(&repo);
    }
}

fn arb_step() -> impl Strategy<Value = u8> {
    0u8..9
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Random edits, renames, deletions, new and ignored files, env and
    /// `run` and key-command changes: a hit happens exactly when the state
    /// of everything in the key was stored before. PROPTEST_CASES raises
    /// the count.
    #[test]
    fn a_hit_means_the_key_inputs_were_seen_before(steps in prop::collection::vec(arb_step(), 1..10)) {
        let repo = TestRepo::new().file(".gitignore", "ignored/\n").file("src/a", "0000").file("key.txt", "v1");
        let mut variant = 0u32;
        let mut env_value: Option<&str> = None;
        let write_config = |variant: u32| {
            repo.write("gates.toml", &format!(
                "[gates.g]\nrun = 'cat src/* > /dev/null; echo {variant}'\ninputs = ['src/**']\nenv = ['PQG_PROP']\nkey_commands = ['cat key.txt']\n"
            ));
        };
        write_config(variant);
        let mut seen = std::collections::HashSet::new();
        let mut counter = 0u32;
        let state = |variant: u32, env: Option<&str>| {
            let mut files: Vec<(String, String)> = std::fs::read_dir(repo.path().join("src")).unwrap()
                .map(|e| e.unwrap())
                .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(e.path()).unwrap()))
                .collect();
            files.sort();
            format!("{variant}|{env:?}|{}|{files:?}", repo.read("key.txt"))
        };
        for step in steps {
            counter += 1;
            match step {
                0 => repo.write("src/a", &format!("{:04}", counter % 3)),
                1 => repo.write(&format!("src/f{}", counter % 2), "new!"),
                2 => { let _ = std::fs::remove_file(repo.path().join(format!("src/f{}", counter % 2))); }
                3 => { let _ = std::fs::rename(repo.path().join("src/a"), repo.path().join("src/b")); }
                4 => { let _ = std::fs::rename(repo.path().join("src/b"), repo.path().join("src/a")); }
                5 => repo.write("ignored/x", &counter.to_string()),
                6 => env_value = match env_value { None => Some(""), Some("") => Some("1"), _ => None },
                7 => { variant = (variant + 1) % 2; write_config(variant); }
                _ => repo.write("key.txt", if counter.is_multiple_of(2) { "v1" } else { "v2" }),
            }
            let expected_hit = seen.contains(&state(variant, env_value));
            let mut cmd = repo.pqg(["check", "--format", "json"]);
            match env_value { Some(v) => cmd.env("PQG_PROP", v), None => cmd.env_remove("PQG_PROP") };
            let report = json(&cmd.output().unwrap().stdout);
            let hit = report["gates"][0]["cached"].as_bool().unwrap();
            prop_assert_eq!(hit, expected_hit, "step {} state {}", step, state(variant, env_value));
            seen.insert(state(variant, env_value));
        }
    }
}
