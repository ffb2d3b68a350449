//! Cold runs (issue 14, items 3 and 5): the builtin checks scan the bytes
//! the cold hash read, with the same findings as when they read the files
//! themselves; an edit while the tree is hashed never stores a result
//! under content the gate did not see; a run after `pqg cache clear`
//! schedules from the history it kept.

mod common;

use common::{expect_code, TestRepo};
use serde_json::Value;

const BUILTINS: &str = "[gates.secrets]\nbuiltin = \"secrets\"\n\
     [gates.markers]\nbuiltin = \"conflict-markers\"\n\
     [gates.syntax]\nbuiltin = \"syntax\"\n";

/// A tree with something for each content check to find, files it must
/// skip (binary, a symlink) and one it must not look at (outside its
/// inputs: none here, every file counts).
fn tree() -> TestRepo {
    let repo = TestRepo::new()
        .gates(BUILTINS)
        .file(".gitignore", ".pqg/\n")
        .file(
            "src/config.py",
            "TOKEN = \"ghp_R8xWq2ZtY5nB7vK3mP9sD4fG6hJ1lA0cE2uI\"\n", // pqg:allow
        )
        .file(
            "src/allowed.py",
            "KEY = 'AKIAIOSFODNN7EXAMPLX'  # pqg:allow\n", // pqg:allow
        )
        .file(
            "src/merge.txt",
            "a\n<<<<<<< ours\nb\n=======\nc\n>>>>>>> theirs\n",
        )
        .file("data/bad.json", "{\"a\": 1,,}\n")
        .file("data/good.toml", "a = 1\n")
        .file("notes/plain.md", "nothing to see\n");
    let mut binary = b"\0\x01binary ".to_vec();
    binary.extend_from_slice(b"ghp_R8xWq2ZtY5nB7vK3mP9sD4fG6hJ1lA0cE2uI\n"); // pqg:allow
    std::fs::write(repo.path().join("data/blob.bin"), binary).unwrap();
    std::os::unix::fs::symlink("config.py", repo.path().join("src/link.py")).unwrap();
    repo
}

/// Runs `pqg check` with `args` and the JSON report; gives the report and
/// stderr.
fn check(repo: &TestRepo, args: &[&str]) -> (Value, String) {
    let out = repo
        .pqg(["check", "--format", "json", "-vv"].iter().chain(args))
        .output()
        .unwrap();
    let stderr = expect_code(&out, 1);
    (serde_json::from_slice(&out.stdout).unwrap(), stderr)
}

/// Each gate's status, findings and files count, by name.
fn findings(report: &Value) -> Vec<(String, Value, Value)> {
    report["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap().to_owned(),
                g["status"].clone(),
                g["findings"].clone(),
            )
        })
        .collect()
}

#[test]
fn builtins_find_the_same_from_the_bytes_the_cold_hash_read() {
    let repo = tree();
    // Cold: every file is hashed, and the content checks take its bytes.
    let (cold, stderr) = check(&repo, &[]);
    for gate in ["secrets", "markers", "syntax"] {
        assert!(
            stderr.contains(&format!("gate {gate}: "))
                && stderr.contains("checked from the bytes the hash read"),
            "{gate} used the hash's bytes:\n{stderr}"
        );
    }
    let shared = findings(&cold);
    assert!(
        shared
            .iter()
            .all(|(_, status, f)| status == "fail" && !f.as_array().unwrap().is_empty()),
        "each check found its planted finding: {shared:?}"
    );
    // Without the cache nothing is hashed: each check reads the files.
    let (uncached, stderr) = check(&repo, &["--no-cache"]);
    assert!(!stderr.contains("from the bytes the hash read"), "{stderr}");
    assert_eq!(findings(&uncached), shared, "--no-cache finds the same");
    // The index vouches for every file, the keys change (new globs that
    // select the same files): the checks run and read the files themselves.
    common::settle_racy(&repo);
    repo.pqg(["cache", "clear"]).assert().success();
    check(&repo, &[]);
    repo.write(
        "gates.toml",
        &BUILTINS.replace("builtin = ", "inputs = [\"**\"]\nbuiltin = "),
    );
    let (warm, stderr) = check(&repo, &[]);
    // Only gates.toml, just written, is hashed (and shared) again.
    assert!(
        stderr.contains("snapshot of 10 files, 1 hashed")
            && stderr.contains("gate secrets: 1 files checked from the bytes the hash read"),
        "the other files were read by the checks themselves:\n{stderr}"
    );
    let ran: Vec<&Value> = warm["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| &g["cached"])
        .collect();
    assert!(
        ran.iter().all(|c| *c == false),
        "the new keys missed: {ran:?}"
    );
    assert_eq!(findings(&warm), shared, "reading the files finds the same");
}

#[test]
fn an_input_edited_while_the_cold_hash_runs_never_stores_what_the_gate_did_not_see() {
    // The key command runs while the tree is hashed; on the first run it
    // edits the gate's input (before or after the hash read it, whichever
    // comes). Its output is the same either way, so the key is only the
    // files'. A result stored in that run, reused by the next, must be
    // one whose gate saw the content as it is now.
    for round in 0..4 {
        let repo = TestRepo::new()
            .gates(
                "[gates.g]\nrun = 'cat src/a > seen.txt'\ninputs = ['src/**']\n\
                 key_commands = [\"sh -c 'if [ -e edit.flag ]; then rm edit.flag; printf edited >> src/a; fi; echo v1'\"]\n",
            )
            .file(".gitignore", ".pqg/\nseen.txt\nedit.flag\n")
            .file("src/a", &"x".repeat(200_000 + round));
        for i in 0..40 {
            repo.write(&format!("src/pad{i}"), &"p".repeat(50_000));
        }
        repo.write("edit.flag", "");
        repo.pqg(["check"]).assert().success();
        assert!(
            !repo.path().join("edit.flag").exists(),
            "the key command ran"
        );
        let out = repo.pqg(["check", "--format", "json"]).output().unwrap();
        expect_code(&out, 0);
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        if report["gates"][0]["cached"] == true {
            assert_eq!(
                repo.read("seen.txt"),
                repo.read("src/a"),
                "round {round}: a hit whose gate saw other content"
            );
        }
    }
}

/// The order gates started in, from `--format jsonl`.
fn started(repo: &TestRepo) -> Vec<String> {
    let out = repo
        .pqg(["check", "--format", "jsonl", "--jobs", "1"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["event"] == "start")
        .map(|e| e["gate"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn a_run_after_cache_clear_starts_the_longest_gate_first_from_history() {
    let repo = TestRepo::new().gates(
        "[gates.quick1]\nrun = 'true'\n[gates.quick2]\nrun = 'true'\n\
         [gates.slow]\nrun = 'sleep 0.3'\n[gates.quick3]\nrun = 'true'\n",
    );
    assert_eq!(
        started(&repo),
        ["quick1", "quick2", "slow", "quick3"],
        "no history: config order"
    );
    let out = repo.pqg(["cache", "clear"]).output().unwrap();
    expect_code(&out, 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("history kept"));
    let order = started(&repo);
    assert_eq!(order[0], "slow", "history kept: longest first, {order:?}");
    // The results were gone: every gate ran again.
    let out = repo.pqg(["history"]).output().unwrap();
    expect_code(&out, 0);
    assert!(
        String::from_utf8_lossy(&out.stdout).lines().count() >= 2,
        "both runs are in the history"
    );
}

#[test]
fn a_builtin_checked_from_the_hashed_bytes_is_stored_without_a_second_look() {
    // The key command appends a secret to an input while the tree is
    // hashed (before or after the hash reads it): whatever the builtin
    // stored is what a fresh check of the tree finds for that key.
    let repo = TestRepo::new()
        .gates(
            "[gates.secrets]\nbuiltin = \"secrets\"\ninputs = ['src/**']\n\
             key_commands = [\"sh -c 'if [ -e edit.flag ]; then rm edit.flag; echo \\\"k = ghp_R8xWq2ZtY5nB7vK3mP9sD4fG6hJ1lA0cE2uI\\\" >> src/a.py; fi; echo v1'\"]\n\
             [gates.cmd]\nrun = 'true'\ninputs = ['src/**']\n", // pqg:allow
        )
        .file(".gitignore", ".pqg/\nedit.flag\n")
        .file("src/a.py", &"x = 1\n".repeat(30_000));
    for i in 0..30 {
        repo.write(&format!("src/pad{i}.py"), &"y = 2\n".repeat(5_000));
    }
    repo.write("edit.flag", "");
    let out = repo.pqg(["check", "-vv"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !repo.path().join("edit.flag").exists(),
        "the key command ran"
    );
    assert!(
        stderr.contains("1 builtin results made from the hashed bytes")
            && stderr.contains("inputs of 1 gates checked again"),
        "only the command gate's inputs are looked at again:\n{stderr}"
    );
    let found = |args: &[&str]| {
        let out = repo
            .pqg(["check", "--format", "json"].iter().chain(args))
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        (
            report["gates"][0]["findings"].clone(),
            report["gates"][0]["cached"].clone(),
        )
    };
    let (cached, _) = found(&[]);
    let (fresh, was_cached) = found(&["--no-cache"]);
    assert_eq!(was_cached, false);
    assert_eq!(cached, fresh, "a stored result is what a fresh check finds");
    assert_eq!(
        fresh.as_array().map(Vec::len),
        Some(1),
        "the appended secret"
    );
}
