//! Storing and keying in proportion to what ran (issue 14 items 1 and 2):
//! after a run only the stored gates' inputs (and those of the gates they
//! need) are looked at again, and a gate's globs are matched only under
//! the folders they name. DESIGN §5 still holds: a result whose inputs
//! changed while it ran, or whose needs' inputs did, is not stored.

mod common;

use common::{gate, TestRepo};

/// Whether `name` was answered from the cache in `report`.
fn cached(report: &serde_json::Value, name: &str) -> bool {
    gate(report, name)["cached"].as_bool().unwrap()
}

fn repo(gates: &str) -> TestRepo {
    let repo = TestRepo::new()
        .gates(gates)
        .file(".gitignore", ".pqg/\n")
        .file("d1/x.txt", "x")
        .file("d1/y/z.txt", "z")
        .file("d2/a.txt", "a");
    for i in 0..30 {
        repo.write(&format!("d3/f{i}.txt"), "f");
    }
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "tree"]);
    repo
}

#[test]
fn a_new_file_under_the_gates_folder_while_it_ran_is_not_stored() {
    let repo = repo(
        "[gates.adds]\nrun = 'test -e d1/y/new.txt || echo n > d1/y/new.txt'\ninputs = ['d1/**']\n\
         [gates.elsewhere]\nrun = 'test -e d1/other.txt || echo n > d1/other.txt'\ninputs = ['d2/**']\n",
    );
    let first = repo.check_json(&[]);
    assert!(!cached(&first, "adds") && !cached(&first, "elsewhere"));
    let second = repo.check_json(&[]);
    assert!(
        !cached(&second, "adds"),
        "a file appeared under its folder while it ran: not stored\n{second}"
    );
    assert!(
        cached(&second, "elsewhere"),
        "what appeared was not its input: stored\n{second}"
    );
    let third = repo.check_json(&[]);
    assert!(cached(&third, "adds"), "nothing appeared this time: stored");
}

#[test]
fn a_result_whose_needs_inputs_changed_while_it_ran_is_not_stored() {
    // `d1/u.txt` is untracked (so no gate is blamed for writing it), an
    // input of `base`; `top` rewrites it the first time it runs.
    let repo = repo(
        "[gates.base]\nrun = 'true'\ninputs = ['d1/**']\n\
         [gates.top]\nrun = 'test -e seen || { touch seen; echo 2 > d1/u.txt; }'\ninputs = ['d2/**']\nneeds = ['base']\n",
    );
    repo.write(".gitignore", ".pqg/\nseen\n");
    repo.write("d1/u.txt", "1");
    let first = repo.check_json(&[]);
    assert!(!cached(&first, "top"));
    let second = repo.check_json(&[]);
    assert!(
        !cached(&second, "top") && !cached(&second, "base"),
        "the input of a need changed while the gates ran: neither stored\n{second}"
    );
    let third = repo.check_json(&[]);
    assert!(cached(&third, "top") && cached(&third, "base"), "{third}");
}

#[test]
fn only_the_stored_gates_inputs_are_looked_at_again() {
    let repo = repo(
        "[gates.small]\nrun = 'true'\ninputs = ['d1/**']\n\
         [gates.large]\nrun = 'true'\ninputs = ['d3/**']\n",
    );
    repo.check_json(&[]);
    repo.write("d1/x.txt", "edited");
    let out = repo
        .pqg(["check", "-vv", "--progress", "never"])
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains("cache: 2 input files looked at again (0 changed), 0 new"),
        "only `small` re-ran: its two files, not the 30 of `large` nor the tree\n{log}"
    );
}

#[test]
fn globs_are_matched_under_their_folders_with_neighbours_that_sort_between() {
    // `d1-x` and `d1.txt` sort between `d1` and `d1/…`; `d1/**` takes
    // neither, `d1*/**` (no fixed folder) takes `d1-x/…` too.
    let repo = repo(
        "[gates.dir]\nrun = 'true'\ninputs = ['d1/**']\n\
         [gates.named]\nrun = 'true'\ninputs = ['d1']\n\
         [gates.file]\nrun = 'true'\ninputs = ['d1.txt']\n\
         [gates.deep]\nrun = 'true'\ninputs = ['d1/y/*']\n\
         [gates.star]\nrun = 'true'\ninputs = ['d1*/**']\n\
         [gates.both]\nrun = 'true'\ninputs = ['d1/y/**', 'd1/**', '!d1/x.txt', 'd2/a.txt']\n",
    );
    repo.write("d1-x/w.txt", "w");
    repo.write("d1.txt", "t");
    let out = repo
        .pqg(["check", "-v", "--progress", "never"])
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    for (name, count) in [
        ("dir", 2),
        ("named", 2),
        ("file", 1),
        ("deep", 1),
        ("star", 3),
        ("both", 2),
    ] {
        let line = log
            .lines()
            .find(|l| l.contains(&format!("gate {name}: ")))
            .unwrap_or_else(|| panic!("no line for {name}\n{log}"));
        assert!(
            line.contains(&format!("({count} inputs)")),
            "{name}: {count} inputs expected\n{line}"
        );
    }
}
