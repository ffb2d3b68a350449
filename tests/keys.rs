//! What enters a gate's cache key (DESIGN §5, issue 12 items 1, 7 and 8):
//! what pqg hands the gate (`PQG_GATE`, `PQG_STAGE` where it is read), the
//! whole output of its key commands run in its `cwd`, and the keys of the
//! gates it needs. Each test is a case where a cached run used to answer
//! what a fresh run would not.

mod common;

use common::{gate, TestRepo};

/// Each gate's status in a `pqg check` report, and whether it was cached.
fn status(report: &serde_json::Value, name: &str) -> (String, bool) {
    let g = gate(report, name);
    (
        g["status"].as_str().unwrap().to_owned(),
        g["cached"].as_bool().unwrap(),
    )
}

fn pass(cached: bool) -> (String, bool) {
    ("pass".to_owned(), cached)
}

fn fail() -> (String, bool) {
    ("fail".to_owned(), false)
}

#[test]
fn two_gates_with_one_run_each_run_with_their_own_name() {
    let repo = TestRepo::new().gates(
        "[gates.lint]\nrun = 'echo \"$PQG_GATE\" >> ran.log; test \"$PQG_GATE\" = lint'\n\
         [gates.test]\nrun = 'echo \"$PQG_GATE\" >> ran.log; test \"$PQG_GATE\" = lint'\n",
    );
    repo.write(".gitignore", "ran.log\n.pqg/\n");
    let report = repo.check_json(&[]);
    assert_eq!(status(&report, "lint"), pass(false));
    assert_eq!(status(&report, "test"), fail(), "{report}");
    let mut ran: Vec<String> = repo.read("ran.log").lines().map(str::to_owned).collect();
    ran.sort();
    assert_eq!(ran, ["lint", "test"], "each gate ran, with its own name");
    // The second run answers each from its own entry.
    let report = repo.check_json(&[]);
    assert_eq!(status(&report, "lint"), pass(true));
    assert_eq!(status(&report, "test"), fail(), "a failure is not stored");
}

#[test]
fn a_gate_that_reads_the_stage_is_keyed_by_it_and_others_are_not() {
    let repo = TestRepo::new()
        .gates(
            "[gates.named]\nrun = 'test \"$PQG_STAGE\" != production'\n\
             [gates.listed]\nrun = './check.sh'\nenv = ['PQG_STAGE']\n\
             [gates.plain]\nrun = 'true'\n",
        )
        .file("check.sh", "#!/bin/sh\ntest \"$PQG_STAGE\" != production\n");
    std::fs::set_permissions(
        repo.path().join("check.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    repo.write(".gitignore", ".pqg/\n");
    repo.git(&["add", "."]);
    let report = repo.check_json(&["--stage", "entry"]);
    for g in ["named", "listed", "plain"] {
        assert_eq!(status(&report, g), pass(false), "{g}");
    }
    let report = repo.check_json(&["--stage", "production"]);
    assert_eq!(status(&report, "named"), fail(), "{report}");
    assert_eq!(status(&report, "listed"), fail(), "{report}");
    assert_eq!(
        status(&report, "plain"),
        pass(true),
        "a gate that does not read the stage is reused across stages"
    );
    let report = repo.check_json(&["--stage", "entry"]);
    assert_eq!(status(&report, "named"), pass(true));
    assert_eq!(status(&report, "listed"), pass(true));
}

#[test]
fn a_key_command_is_hashed_whole_not_only_what_is_kept_for_display() {
    let deps: String = (0..8000)
        .map(|i| format!("package-{i:05}==1.0\n"))
        .collect();
    let repo = TestRepo::new()
        .gates(
            "[gates.keyed]\nrun = '! grep -q BAD deps.txt'\ninputs = ['keyed.txt']\n\
             key_commands = ['cat deps.txt']\n",
        )
        .file("keyed.txt", "x\n")
        .file("deps.txt", &deps);
    repo.write(".gitignore", ".pqg/\ndeps.txt\n");
    assert_eq!(status(&repo.check_json(&[]), "keyed"), pass(false));
    assert_eq!(status(&repo.check_json(&[]), "keyed"), pass(true));
    // Line 1,000: far past the kept 8 KiB head and before the 56 KiB tail.
    let edited = deps.replacen("package-01000==1.0", "package-01000==BAD", 1);
    assert_eq!(edited.len(), deps.len());
    repo.write("deps.txt", &edited);
    assert_eq!(status(&repo.check_json(&[]), "keyed"), fail());
}

#[test]
fn key_commands_run_in_the_gates_cwd() {
    let repo = TestRepo::new()
        .gates(
            "[gates.sub]\ncwd = 'sub'\nrun = '! grep -q BAD version.txt'\ninputs = ['sub/own.txt']\n\
             key_commands = ['cat version.txt']\n",
        )
        .file("sub/own.txt", "x\n")
        .file("sub/version.txt", "1.0\n");
    repo.write(".gitignore", ".pqg/\nsub/version.txt\n");
    assert_eq!(status(&repo.check_json(&[]), "sub"), pass(false));
    assert_eq!(status(&repo.check_json(&[]), "sub"), pass(true));
    repo.write("sub/version.txt", "BAD\n");
    assert_eq!(status(&repo.check_json(&[]), "sub"), fail());
}

#[test]
fn one_key_command_line_runs_once_per_run_and_v_says_how_long_it_took() {
    let repo = TestRepo::new().gates(
        "[gates.a]\nrun = 'true'\nkey_commands = ['echo run >> kc.log; sleep 0.4; echo v1']\n\
         [gates.b]\nrun = 'true'\nkey_commands = ['echo run >> kc.log; sleep 0.4; echo v1']\n",
    );
    repo.write(".gitignore", ".pqg/\nkc.log\n");
    let out = repo.pqg(["check", "-v"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(repo.read("kc.log").lines().count(), 1, "ran once for both");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        err.contains("key command `echo run >> kc.log; sleep 0.4; echo v1` (in .): "),
        "{err}"
    );
    assert!(err.contains(" ms, exit 0, 3 bytes hashed"), "{err}");
    // Warm: every gate cached, the key command was most of the wait.
    let out = repo.pqg(["check", "-v"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.contains("cache hit"), "{err}");
    assert!(
        err.contains("key commands took") && err.contains("as `inputs`"),
        "{err}"
    );
}

#[test]
fn a_gate_is_keyed_by_what_it_needs() {
    let repo = TestRepo::new()
        .gates(
            "[gates.gen]\nrun = 'mkdir -p out && cat gen/input.txt > out/gen.txt'\ninputs = ['gen/**']\n\
             [gates.use]\nrun = '! grep -q BAD out/gen.txt'\ninputs = ['use.txt']\nneeds = ['gen']\n",
        )
        .file("gen/input.txt", "ok\n")
        .file("use.txt", "x\n");
    repo.write(".gitignore", ".pqg/\nout/\n");
    let report = repo.check_json(&[]);
    assert_eq!(status(&report, "use"), pass(false));
    let report = repo.check_json(&[]);
    assert_eq!(status(&report, "use"), pass(true));
    repo.write("gen/input.txt", "BAD\n");
    let explain = repo.pqg(["explain", "use"]).output().unwrap();
    let text = String::from_utf8_lossy(&explain.stdout).into_owned();
    assert!(text.contains("needs    gen (key "), "{text}");
    assert!(
        text.contains("needs `gen`, whose key changed") && text.contains("`pqg explain gen`"),
        "{text}"
    );
    let report = repo.check_json(&[]);
    assert_eq!(status(&report, "gen"), pass(false));
    assert_eq!(status(&report, "use"), fail(), "{report}");
}

#[test]
fn a_need_without_a_key_leaves_its_dependent_without_one() {
    let repo = TestRepo::new().gates(
        "[gates.gen]\nrun = 'true'\nkey_commands = ['kill -9 $$']\n\
         [gates.use]\nrun = 'true'\nneeds = ['gen']\n",
    );
    repo.write(".gitignore", ".pqg/\n");
    let out = repo.pqg(["check", "-v"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        err.contains("gate gen: runs (blocking); not cacheable: key command `kill -9 $$` was killed by signal 9"),
        "{err}"
    );
    assert!(
        err.contains("gate use: runs (blocking); not cacheable: needs `gen`, which has no key"),
        "{err}"
    );
}

#[test]
fn explain_shows_what_is_handed_and_the_cache_keeps_digests_not_values() {
    let repo = TestRepo::new().gates(
        "[gates.g]\nrun = 'test \"$PQG_STAGE\" = development'\nenv = ['MY_FLAVOUR']\n\
         key_commands = ['echo toolchain-4.2']\n",
    );
    repo.write(".gitignore", ".pqg/\n");
    let value = "flavour-value-7f3a9c";
    let out = repo
        .pqg(["check", "--stage", "development"])
        .env("MY_FLAVOUR", value)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = repo
        .pqg(["explain", "g", "--stage", "development"])
        .env("MY_FLAVOUR", value)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for want in [
        "handed   PQG_GATE=g, PQG_STAGE=development (the gate reads it)",
        &format!("env      MY_FLAVOUR={value} (digest "),
        "key cmd  sh:echo toolchain-4.2 → exit 0, digest ",
        ": toolchain-4.2",
        "would hit  yes",
    ] {
        assert!(text.contains(want), "missing `{want}` in:\n{text}");
    }
    // Neither the value nor the key command's output is in the cache.
    for entry in std::fs::read_dir(repo.path().join(".pqg")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains(value), "{} holds the value", path.display());
            assert!(
                !text.contains("toolchain-4.2\n"),
                "{} holds the output",
                path.display()
            );
        }
    }
    let out = repo
        .pqg(["explain", "g", "--stage", "development"])
        .env("MY_FLAVOUR", "other")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("env MY_FLAVOUR: its value changed (digest "),
        "{text}"
    );
    assert!(text.contains("now `other`"), "{text}");
}

#[test]
fn a_gate_that_runs_makes_what_it_needs_run_too() {
    // `use` reads what `gen` writes. `gen` answered from the cache writes
    // nothing, and what is on disk may come from another state of the tree.
    let repo = TestRepo::new()
        .gates(
            "[gates.gen]\nrun = 'mkdir -p out && cat gen/input.txt > out/gen.txt'\ninputs = ['gen/**']\n\
             [gates.use]\nrun = '! cat use.txt out/gen.txt | grep -q BAD'\ninputs = ['use.txt']\nneeds = ['gen']\n",
        )
        .file("gen/input.txt", "ok\n")
        .file("use.txt", "x\n");
    repo.write(".gitignore", ".pqg/\nout/\n");
    assert_eq!(status(&repo.check_json(&[]), "use"), pass(false));
    repo.write("gen/input.txt", "BAD\n");
    assert_eq!(status(&repo.check_json(&[]), "use"), fail());
    // Back to what `gen` has stored, while `use` changes: out/gen.txt still
    // says BAD, so `gen` must write it again.
    repo.write("gen/input.txt", "ok\n");
    repo.write("use.txt", "y\n");
    let out = repo
        .pqg(["check", "--format", "json", "-v"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        err.contains("gate gen: runs (blocking); stored result set aside: `use` needs it and runs"),
        "{err}"
    );
    let report = common::json(&out.stdout);
    assert_eq!(status(&report, "gen"), pass(false));
    assert_eq!(status(&report, "use"), pass(false), "{report}");
    // Nothing changed since: both answered from the cache.
    let report = repo.check_json(&[]);
    assert_eq!(status(&report, "gen"), pass(true));
    assert_eq!(status(&report, "use"), pass(true));
}
