//! Cold runs overlap the hash (issue 14, item 3): when no gate that runs
//! has a stored result (a cold run, or one after `pqg cache clear`), the
//! gates start once every file is stat'ed, while the tree is hashed; the
//! states taken before the first gate started are what the look after the
//! run compares with, so no result is stored under content its gate did
//! not see.
//!
//! A sparse file of 256 MiB makes the hash long (its zeros are read and
//! hashed) without writing a byte to disk. The gates observe the order
//! themselves: they read pqg's `-vv` log as they start.

mod common;

use common::{expect_code, TestRepo};
use serde_json::Value;
use std::path::Path;

/// `-vv`'s line once the tree is hashed: "snapshot of N files, N hashed".
const HASHED: &str = "files, .* hashed";

/// Adds a sparse file of 256 MiB at `rel`: hashing it takes a while, its
/// blocks are never written.
fn big_sparse_file(repo: &TestRepo, rel: &str) {
    let file = std::fs::File::create(repo.path().join(rel)).unwrap();
    file.set_len(256 << 20).unwrap();
}

/// Runs `pqg check -vv` with `args`, its stderr written to `log` (which the
/// gates read as they start); gives the JSON report and the log.
fn check_logged(repo: &TestRepo, log: &Path, args: &[&str], code: i32) -> (Value, String) {
    let err = std::fs::File::create(log).unwrap();
    let out = repo
        .pqg_std(
            ["check", "-vv", "--format", "json", "--progress", "never"]
                .iter()
                .chain(args),
        )
        .stderr(err)
        .output()
        .unwrap();
    let stderr = std::fs::read_to_string(log).unwrap();
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    (serde_json::from_slice(&out.stdout).unwrap(), stderr)
}

/// A gate that notes, as it starts, whether the tree was hashed already
/// (the `-vv` log says so), into `noted`.
fn noting_gate(name: &str, log: &Path, noted: &Path, extra: &str) -> String {
    format!(
        "[gates.{name}]\nrun = [\"sh\", \"-c\", \"if grep -q '{HASHED}' \\\"$0\\\"; then echo after; else echo before; fi > \\\"$1\\\"\", \"{}\", \"{}\"]\n{extra}\n",
        log.display(),
        noted.display()
    )
}

/// A settled tree: gate `small` (one input, noting into `noted` whether
/// the tree was hashed when it started) beside a big sparse file.
fn small_beside_a_big_file(log: &Path, noted: &Path) -> TestRepo {
    let repo = TestRepo::new()
        .file(".gitignore", ".pqg/\n")
        .file("small.txt", "one input\n")
        .gates(&noting_gate(
            "small",
            log,
            noted,
            "inputs = [\"small.txt\"]",
        ));
    big_sparse_file(&repo, "big.bin");
    common::settle_racy(&repo);
    repo
}

#[test]
fn a_gate_with_one_input_starts_before_the_tree_is_hashed() {
    let outside = tempfile::tempdir().unwrap();
    let (log, noted) = (outside.path().join("pqg.log"), outside.path().join("noted"));
    let repo = small_beside_a_big_file(&log, &noted);

    let (report, stderr) = check_logged(&repo, &log, &[], 0);
    assert_eq!(common::gate(&report, "small")["status"], "pass", "{stderr}");
    assert!(
        stderr.contains("they start while the tree is hashed"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&noted).unwrap().trim(),
        "before",
        "the gate started before the tree was hashed: {stderr}"
    );
    // Its key was made from the bytes it saw: stored, and reused.
    assert!(stderr.contains("1 results written"), "{stderr}");
    let (again, stderr) = check_logged(&repo, &log, &[], 0);
    assert_eq!(common::gate(&again, "small")["cached"], true, "{stderr}");
    assert!(!stderr.contains("they start while"), "{stderr}");
}

#[test]
fn gates_wait_for_their_keys_when_one_has_a_stored_result_and_not_after_a_cache_clear() {
    let outside = tempfile::tempdir().unwrap();
    let (log, noted) = (outside.path().join("pqg.log"), outside.path().join("noted"));
    let repo = small_beside_a_big_file(&log, &noted);
    check_logged(&repo, &log, &[], 0);
    // `small` has a stored result, and may be a hit: the gates wait for
    // the keys, `other` (never run) too.
    std::fs::write(
        repo.path().join("gates.toml"),
        noting_gate("small", &log, &noted, "inputs = [\"small.txt\"]")
            + "[gates.other]\nrun = [\"true\"]\n",
    )
    .unwrap();
    common::settle_racy(&repo);
    let (report, stderr) = check_logged(&repo, &log, &[], 0);
    assert!(!stderr.contains("they start while"), "{stderr}");
    assert_eq!(common::gate(&report, "small")["cached"], true, "{stderr}");
    // `pqg cache clear` drops the results and keeps the history: no gate
    // can be a hit, and they start while the tree is hashed.
    let clear = repo.pqg_std(["cache", "clear"]).output().unwrap();
    expect_code(&clear, 0);
    let (report, stderr) = check_logged(&repo, &log, &[], 0);
    assert!(stderr.contains("they start while"), "{stderr}");
    assert_eq!(common::gate(&report, "small")["cached"], false, "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&noted).unwrap().trim(),
        "before",
        "{stderr}"
    );
}

#[test]
fn an_input_rewritten_while_the_tree_is_hashed_is_never_stored_under_what_its_gate_did_not_see() {
    let outside = tempfile::tempdir().unwrap();
    let (log, noted) = (outside.path().join("pqg.log"), outside.path().join("noted"));
    // `reader` passes on "old"; `writer` (allowed to write) rewrites its
    // input once `reader` passed, while the tree is still being hashed:
    // `src/a.txt` sorts after `big.bin`, so its bytes are read after the
    // write. A key made of them describes content `reader` never saw.
    let gates = noting_gate(
        "reader",
        &log,
        &noted,
        "inputs = [\"src/**\", \"big.bin\"]\n",
    )
    .replace(
        "fi > \\\"$1\\\"\"",
        "fi > \\\"$1\\\" && grep -q old src/a.txt\"",
    ) + "[gates.writer]\nrun = \"echo new > src/a.txt\"\nwrites = true\nneeds = [\"reader\"]\ninputs = [\"gates.toml\"]\n";
    let repo = TestRepo::new()
        .file(".gitignore", ".pqg/\n")
        .file("src/a.txt", "old\n")
        .gates(&gates);
    big_sparse_file(&repo, "big.bin");
    common::settle_racy(&repo);

    let (report, stderr) = check_logged(&repo, &log, &[], 0);
    assert_eq!(
        common::gate(&report, "reader")["status"],
        "pass",
        "{stderr}"
    );
    assert_eq!(
        common::gate(&report, "writer")["status"],
        "pass",
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&noted).unwrap().trim(),
        "before",
        "{stderr}"
    );
    assert!(stderr.contains("(1 changed)"), "{stderr}");
    assert_eq!(repo.read("src/a.txt"), "new\n");

    // The differential check (DESIGN §5): the cached run and a fresh one
    // agree on `reader`, which now fails on "new".
    let (cached, stderr) = check_logged(&repo, &log, &[], 1);
    let (fresh, _) = check_logged(&repo, &log, &["--no-cache"], 1);
    let reader = common::gate(&cached, "reader");
    assert_eq!(reader["cached"], false, "{stderr}");
    assert_eq!(reader["status"], common::gate(&fresh, "reader")["status"]);
    assert_eq!(reader["status"], "fail");
}
