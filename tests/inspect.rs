//! `explain`, `history`, `stats` and `cache stats|prune|clear`, driven on a
//! real repository.

mod common;

use common::TestRepo;

fn stdout(repo: &TestRepo, args: &[&str]) -> String {
    let out = repo.pqg(args).output().unwrap();
    common::expect_code(&out, 0);
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn explain_says_whether_the_next_run_hits_and_what_changed() {
    let repo = TestRepo::new()
        .gates("[gates.g]\nrun = 'cat src/*'\ninputs = ['src/**']\nenv = ['PQG_EXPLAIN']\n")
        .file("src/a.rs", "a")
        .file("src/gone.rs", "b");
    let text = stdout(&repo, &["explain", "g"]);
    assert!(
        text.contains("would hit  no: nothing is stored for this gate yet"),
        "{text}"
    );
    repo.pqg(["check"]).assert().success();
    let text = stdout(&repo, &["explain", "g"]);
    assert!(text.contains("would hit  yes"), "{text}");
    assert!(text.contains("inputs   2 files"), "{text}");

    repo.write("src/a.rs", "changed");
    std::fs::remove_file(repo.path().join("src/gone.rs")).unwrap();
    repo.write("src/new.rs", "new");
    let out = repo
        .pqg(["explain", "g"])
        .env("PQG_EXPLAIN", "on")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for want in [
        "would hit  no",
        "changed: src/a.rs",
        "added: src/new.rs",
        "removed: src/gone.rs",
        "env PQG_EXPLAIN: (unset) → `on`",
    ] {
        assert!(text.contains(want), "missing `{want}` in:\n{text}");
    }
    let err = repo.pqg(["explain", "gg"]).output().unwrap();
    assert_eq!(err.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&err.stderr).contains("did you mean `g`?"));
}

#[test]
fn history_and_stats_summarise_past_runs() {
    let repo = TestRepo::new().gates(
        "[gates.ok]\nrun = 'echo score 7'\n[gates.ok.metrics.score]\nregex = 'score (\\d+)'\n[gates.bad]\nrun = 'exit 1'\n",
    );
    assert!(stdout(&repo, &["history"]).contains("no cache database"));
    for _ in 0..3 {
        repo.pqg(["check"]).assert().code(1);
    }
    let all = stdout(&repo, &["history"]);
    assert_eq!(all.matches("failed").count(), 3, "{all}");
    let one = stdout(&repo, &["history", "ok", "-n", "2"]);
    assert_eq!(one.matches("score 7").count(), 2, "{one}");
    assert!(one.contains("pass (cached)"), "{one}");
    let stats = stdout(&repo, &["stats"]);
    let ok_line = stats.lines().find(|l| l.contains(" ok ")).unwrap();
    assert!(
        ok_line.contains("100 %") && ok_line.contains("67 %"),
        "{stats}"
    );
    let bad_line = stats.lines().find(|l| l.contains(" bad ")).unwrap();
    assert!(bad_line.contains("0 %"), "{stats}");
}

#[test]
fn cache_stats_prune_and_clear() {
    let repo = TestRepo::new().gates("[gates.a]\nrun = 'true'\n[gates.b]\nrun = 'true 2'\n");
    repo.pqg(["check"]).assert().success();
    let stats = stdout(&repo, &["cache", "stats"]);
    assert!(stats.contains("entries    2 results of 2 gates"), "{stats}");
    assert!(stats.contains("history    1 runs"), "{stats}");
    let pruned = stdout(&repo, &["cache", "prune", "--older-than", "1h"]);
    assert!(pruned.contains("removed 0"), "{pruned}");
    let pruned = stdout(&repo, &["cache", "prune", "--older-than", "1ms"]);
    assert!(pruned.contains("removed 2"), "{pruned}");
    repo.pqg(["check"]).assert().success();
    let cleared = stdout(&repo, &["cache", "clear"]);
    assert!(
        cleared.contains("removed 2 cached results (history kept)"),
        "{cleared}"
    );
    assert!(stdout(&repo, &["cache", "stats"]).contains("history    2 runs"));
    let bad = repo
        .pqg(["cache", "prune", "--older-than", "soon"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
