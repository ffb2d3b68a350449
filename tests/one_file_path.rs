//! Issue 14, the one-file target: after one file is changed and added, the
//! write watch takes the tracked files' states before the run from the
//! snapshot in one pass beside git's list, and gives up inotify's watches
//! still being set up once every gate ended. These tests hold that a gate
//! writing a tracked file is still caught on that path, in a tree large
//! enough (more than 256 tracked files) that the watches are set up on a
//! thread of their own, beside the first gate.

mod common;

use common::{gate, settle_racy, TestRepo};

/// Folders `d00`..`d29`, ten tracked files each (300 in all), a gate per
/// folder whose inputs are that folder; `special` replaces the `true` of
/// the gates it names. All committed.
fn tree(special: &[(&str, &str)]) -> TestRepo {
    let mut gates = String::new();
    for i in 0..30 {
        let name = format!("g{i:02}");
        let run = special
            .iter()
            .find(|(g, _)| *g == name)
            .map_or_else(|| "['true']".to_owned(), |(_, run)| format!("'{run}'"));
        gates.push_str(&format!(
            "[gates.{name}]\nrun = {run}\ninputs = ['d{i:02}/**']\n"
        ));
    }
    let mut repo = TestRepo::new()
        .gates(&gates)
        .file(".gitignore", ".pqg/\n.scratch/\n");
    for i in 0..30 {
        for j in 0..10 {
            repo = repo.file(&format!("d{i:02}/f{j}.txt"), &format!("{i} {j}\n"));
        }
    }
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "tree"]);
    repo
}

#[test]
fn after_a_one_file_change_the_gate_that_rewrites_another_folders_file_fails() {
    let writer = "if grep -q write d03/f1.txt; then printf x >> d05/f0.txt; fi";
    let repo = tree(&[("g03", writer)]);
    let first = repo.check_json(&[]);
    assert_eq!(first["outcome"], "passed", "{first}");
    // Warm: the stat index vouches for every file, none is hashed.
    settle_racy(&repo);
    assert_eq!(repo.check_json(&[])["outcome"], "passed");
    repo.write("d03/f1.txt", "write\n");
    repo.git(&["add", "d03/f1.txt"]);
    let report = repo.check_json(&[]);
    let g03 = gate(&report, "g03");
    assert_eq!(g03["cached"], false, "{g03}");
    assert_eq!(g03["status"], "fail", "{g03}");
    assert_eq!(
        g03["reason"], "files were modified by this gate: d05/f0.txt",
        "{g03}"
    );
    assert_eq!(gate(&report, "g04")["cached"], true, "only g03 re-ran");
    // Its result was not stored: put back, the next run runs it again.
    repo.git(&["checkout", "--", "d05/f0.txt"]);
    let again = repo.check_json(&[]);
    let g03 = gate(&again, "g03");
    assert_eq!(g03["cached"], false, "{g03}");
    assert_eq!(g03["status"], "fail", "{g03}");
}

#[test]
fn a_tracked_file_missing_before_the_run_that_a_gate_puts_back_is_caught() {
    // Not in the snapshot (gone from the work tree): its state before the
    // run is taken by the watch itself.
    let repo = tree(&[("g02", "test -e d02/f0.txt || printf back > d02/f0.txt")]);
    assert_eq!(repo.check_json(&[])["outcome"], "passed");
    std::fs::remove_file(repo.path().join("d02/f0.txt")).unwrap();
    let report = repo.check_json(&[]);
    let g02 = gate(&report, "g02");
    assert_eq!(g02["status"], "fail", "{g02}");
    assert_eq!(
        g02["reason"], "files were modified by this gate: d02/f0.txt",
        "{g02}"
    );
}

#[test]
fn a_write_no_watched_folder_sees_is_caught_by_its_ctime() {
    // A hard link in an ignored folder (which holds no tracked file and is
    // not watched): a write through it makes no event in `d04`. The gate
    // runs long enough for the watches to be in place.
    let writer = "sleep 0.3; printf x >> .scratch/link";
    let repo = tree(&[("g04", writer)]);
    std::fs::create_dir(repo.path().join(".scratch")).unwrap();
    std::fs::hard_link(
        repo.path().join("d04/f3.txt"),
        repo.path().join(".scratch/link"),
    )
    .unwrap();
    let report = repo.check_json(&[]);
    let g04 = gate(&report, "g04");
    assert_eq!(g04["status"], "fail", "{g04}");
    assert_eq!(
        g04["reason"], "files were modified by this gate: d04/f3.txt",
        "{g04}"
    );
    for other in ["g03", "g05"] {
        assert_eq!(gate(&report, other)["status"], "pass", "{report}");
    }
}
