//! Gates connected by `needs` and the cache (DESIGN §5): a dependent reads
//! what its needs write, so it is stored only when every need (transitively)
//! ran or was reused in the same run; a need that runs for a reason of its own makes
//! its dependents run. Each test is a case where a cached run
//! used to answer what a fresh run would not.

mod common;

use common::{gate, TestRepo};

/// A gate's status in a report, and whether it was cached.
fn status(report: &serde_json::Value, name: &str) -> (String, bool) {
    let g = gate(report, name);
    (
        g["status"].as_str().unwrap().to_owned(),
        g["cached"].as_bool().unwrap(),
    )
}

fn is(status: &str, cached: bool) -> (String, bool) {
    (status.to_owned(), cached)
}

/// `a` copies src/v to out/a; `c` needs `a` and checks out/a says 1.
fn copy_then_check(a_extra: &str) -> TestRepo {
    let repo = TestRepo::new()
        .gates(&format!(
            "[gates.a]\nrun = 'mkdir -p out && cp src/v out/a'\ninputs = ['src/**']\n{a_extra}\
             [gates.c]\nrun = 'grep -q 1 out/a'\nneeds = ['a']\ninputs = ['gates.toml']\n"
        ))
        .file("src/v", "1\n");
    repo.write(".gitignore", ".pqg/\nout/\n");
    repo
}

/// Runs `pqg check -v --format json ARGS` with `env`; the report and stderr.
fn check_v(repo: &TestRepo, args: &[&str], env: &[(&str, &str)]) -> (serde_json::Value, String) {
    let mut cmd = repo.pqg(["check", "--format", "json", "-v"]);
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{err}");
    (common::json(&out.stdout), err)
}

/// Arguments and environment of a run.
type Way<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);

#[test]
fn a_dependent_run_without_its_need_is_not_stored() {
    // (run args, env) that leave `a` out while `c` runs.
    let ways: [Way; 2] = [(&[], &[("PQG_SKIP", "a")]), (&["--skip", "a"], &[])];
    for (args, env) in ways {
        let repo = copy_then_check("");
        assert_eq!(status(&repo.check_json(&[]), "c"), is("pass", false));
        // src/v changes, but `a` does not run: `c` reads the stale out/a,
        // passes, and must not be stored under a key holding `a`'s new key.
        repo.write("src/v", "2\n");
        let (report, err) = check_v(&repo, args, env);
        assert_eq!(
            status(&report, "a"),
            is("skipped", false),
            "{args:?} {env:?}"
        );
        assert_eq!(status(&report, "c"), is("pass", false), "{args:?} {env:?}");
        assert!(
            err.contains("gate c: result not stored: it needs `a`, which did not run in this run"),
            "{err}"
        );
        // A full run agrees with a fresh one: `c` fails.
        let report = repo.check_json(&[]);
        assert_eq!(status(&report, "a"), is("pass", false));
        assert_eq!(
            status(&report, "c"),
            is("fail", false),
            "{args:?} {env:?}: {report}"
        );
    }
}

#[test]
fn a_dependent_of_a_need_not_active_at_the_stage_is_not_stored() {
    let repo = copy_then_check("from = 'production'\n");
    assert_eq!(
        status(&repo.check_json(&["--stage", "production"]), "c"),
        is("pass", false)
    );
    repo.write("src/v", "2\n");
    // At the lowest stage `a` does not run, `c` does (on the old out/a).
    let (report, err) = check_v(&repo, &[], &[]);
    assert_eq!(status(&report, "c"), is("pass", false));
    assert!(err.contains("gate c: result not stored"), "{err}");
    let report = repo.check_json(&["--stage", "production"]);
    assert_eq!(status(&report, "c"), is("fail", false), "{report}");
}

#[test]
fn a_dependent_may_reuse_its_result_while_its_need_is_skipped() {
    // What is stored for `c`'s key was computed after `a` ran at the key
    // `a` has now: reusing it while `a` is skipped is what a fresh full
    // run would say.
    let repo = copy_then_check("");
    assert_eq!(status(&repo.check_json(&[]), "c"), is("pass", false));
    let (report, _) = check_v(&repo, &[], &[("PQG_SKIP", "a")]);
    assert_eq!(status(&report, "c"), is("pass", true));
}

#[test]
fn a_need_that_runs_without_a_key_change_makes_its_dependent_run() {
    let outside = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(outside.path(), "ok\n").unwrap();
    let path = outside.path().display();
    for a_cache in ["cache = false", "cache_ttl = '1s'"] {
        let repo = TestRepo::new().gates(&format!(
            "[gates.a]\nrun = 'mkdir -p out && cp {path} out/a'\ninputs = []\n{a_cache}\n\
             [gates.c]\nrun = 'grep -q ok out/a'\nneeds = ['a']\ninputs = []\n"
        ));
        repo.write(".gitignore", ".pqg/\nout/\n");
        std::fs::write(outside.path(), "ok\n").unwrap();
        assert_eq!(status(&repo.check_json(&[]), "c"), is("pass", false));
        std::fs::write(outside.path(), "no\n").unwrap();
        if a_cache.starts_with("cache_ttl") {
            std::thread::sleep(std::time::Duration::from_millis(2100));
        }
        let (report, err) = check_v(&repo, &[], &[]);
        assert_eq!(status(&report, "a"), is("pass", false), "{a_cache}");
        assert_eq!(
            status(&report, "c"),
            is("fail", false),
            "{a_cache}: {report}"
        );
        assert!(
            err.contains(
                "gate c: runs (blocking); stored result set aside: it needs `a`, which runs"
            ),
            "{err}"
        );
    }
}

#[test]
fn a_need_run_for_one_dependent_leaves_its_other_dependents_cached() {
    // `lint` and `test` both need `build`. `test` changes, so it runs, so
    // `build` runs (test reads what it writes) at an unchanged key: it
    // writes what `lint`'s stored result read, so `lint` stays cached. A
    // change to `build`'s own inputs changes every key: all three run.
    let repo = TestRepo::new()
        .gates(
            "[gates.build]\nrun = 'mkdir -p out && cp src/v out/b'\ninputs = ['src/**']\n\
             [gates.lint]\nrun = 'grep -q 1 out/b'\nneeds = ['build']\ninputs = ['gates.toml']\n\
             [gates.test]\nrun = 'test -f out/b && test -f t/x'\nneeds = ['build']\ninputs = ['t/**']\n",
        )
        .file("src/v", "1\n")
        .file("t/x", "1\n");
    repo.write(".gitignore", ".pqg/\nout/\n");
    let report = repo.check_json(&[]);
    assert_eq!(status(&report, "lint"), is("pass", false));
    let report = repo.check_json(&[]);
    for g in ["build", "lint", "test"] {
        assert_eq!(status(&report, g), is("pass", true), "{g}");
    }
    repo.write("t/x", "2\n");
    let report = repo.check_json(&[]);
    assert_eq!(status(&report, "test"), is("pass", false));
    assert_eq!(status(&report, "build"), is("pass", false));
    assert_eq!(status(&report, "lint"), is("pass", true));
    repo.write("src/v", "2\n");
    let report = repo.check_json(&[]);
    assert_eq!(status(&report, "build"), is("pass", false));
    assert_eq!(
        status(&report, "lint"),
        is("fail", false),
        "lint reads the new out/b"
    );
    let fresh = repo.check_json(&["--no-cache"]);
    assert_eq!(status(&fresh, "lint").0, "fail");
}
