//! Ignored places a gate names (DESIGN §3), listed where the globs lead
//! (issue 14), and where the cache folder may live among them: a cached
//! verdict is the one a fresh run gives.

mod common;

use common::{expect_code, gate_g, TestRepo};

/// `pqg init`'s glob for a virtualenv's installed packages.
const MANIFESTS: &str = ".venv/lib/python*/site-packages/*.dist-info/METADATA";

/// Gate `g` fails when an installed manifest holds `BAD`.
fn venv_gate() -> String {
    format!(
        "[gates.g]\nrun = '! cat {MANIFESTS} 2>/dev/null | grep -q B[A]D'\ninputs = [\"{MANIFESTS}\"]\n"
    )
}

fn committed(repo: TestRepo) -> TestRepo {
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "set up"]);
    repo
}

/// (status, cached, log) of `pqg check --format json -vv EXTRA`.
fn check(repo: &TestRepo, extra: &[&str]) -> (String, bool, String) {
    let mut args = vec!["check", "--format", "json", "-vv"];
    args.extend_from_slice(extra);
    gate_g(&repo.pqg(&args).output().unwrap())
}

/// The cached run's status and whether it was cached, after checking that
/// a fresh run agrees.
fn agreed(repo: &TestRepo) -> (String, bool, String) {
    let (status, cached, log) = check(repo, &[]);
    let (fresh, _, _) = check(repo, &["--no-cache"]);
    assert_eq!(status, fresh, "cached and fresh verdicts disagree:\n{log}");
    (status, cached, log)
}

#[test]
fn a_virtualenvs_manifests_are_followed_by_the_glob_not_listed_whole() {
    let site = ".venv/lib/python3.11/site-packages";
    let repo = committed(
        TestRepo::new()
            .gates(&venv_gate())
            .file(".gitignore", ".venv/\n.pqg/\n")
            .file(&format!("{site}/a.dist-info/METADATA"), "ok\n")
            .file(&format!("{site}/a/__init__.py"), "BAD\n")
            .file(&format!("{site}/a/data/big.txt"), "BAD\n"),
    );
    let (status, _, log) = agreed(&repo);
    assert_eq!(status, "pass", "{log}");
    assert!(
        log.contains("1 ignored files at .venv/lib found by the globs"),
        "only the manifest is listed, by the glob and not by git:\n{log}"
    );
    // A package installed since: its manifest is an input.
    repo.write(&format!("{site}/b.dist-info/METADATA"), "BAD\n");
    let (status, cached, log) = agreed(&repo);
    assert_eq!((status.as_str(), cached), ("fail", false), "{log}");
    // Another Python's packages, matched by `python*`.
    repo.write(&format!("{site}/b.dist-info/METADATA"), "ok\n");
    repo.write(
        ".venv/lib/python3.12/site-packages/c.dist-info/METADATA",
        "BAD\n",
    );
    let (status, cached, log) = agreed(&repo);
    assert_eq!((status.as_str(), cached), ("fail", false), "{log}");
}

#[test]
fn a_repository_inside_the_place_is_listed_by_git() {
    // pip keeps a package installed from a git checkout in `.venv/src`:
    // git lists such a repository as one entry, and the walk hands the
    // place back to git rather than guess what git would list.
    let repo = committed(
        TestRepo::new()
            .gates(
                "[gates.g]\nrun = '! cat .venv/src/*/setup.py | grep -q B[A]D'\ninputs = [\".venv/src/*/setup.py\"]\n",
            )
            .file(".gitignore", ".venv/\n.pqg/\n")
            .file(".venv/src/pkg/setup.py", "ok\n"),
    );
    common::git_at(&repo.path().join(".venv/src/pkg"), &["init", "-q"]);
    let (status, _, log) = agreed(&repo);
    assert_eq!(status, "pass", "{log}");
    assert!(log.contains("(git listed .venv/src"), "{log}");
}

#[test]
fn an_ignored_place_holding_the_cache_folder_still_counts() {
    // Once left out whole with the cache folder inside it: the gate had no
    // input there, and its pass outlived the edit.
    let repo = committed(
        TestRepo::new()
            .gates(
                "[settings]\ncache_dir = \"build/.pqg\"\n\n\
                 [gates.g]\nrun = '! grep -q BAD build/out.txt'\ninputs = [\"build/**\"]\n",
            )
            .file(".gitignore", "build/\n")
            .file("build/out.txt", "ok\n"),
    );
    let (status, _, log) = agreed(&repo);
    assert_eq!(status, "pass", "{log}");
    repo.write("build/out.txt", "BAD\n");
    let (status, cached, log) = agreed(&repo);
    assert_eq!((status.as_str(), cached), ("fail", false), "{log}");
}

#[test]
fn a_cache_folder_holding_inputs_is_refused() {
    let repo = committed(
        TestRepo::new()
            .gates("[settings]\ncache_dir = \"src\"\n\n[gates.g]\nrun = 'grep -q GOOD src/a.txt'\n")
            .file("src/a.txt", "GOOD\n")
            .file("src/b.txt", "x\n"),
    );
    let out = repo.pqg(["check"]).output().unwrap();
    let stderr = expect_code(&out, 2);
    assert!(
        stderr.contains("holds files that are inputs (`src/a.txt`, `src/b.txt`)"),
        "{stderr}"
    );
    assert!(stderr.contains("hint:"), "{stderr}");
    assert!(
        !repo.path().join("src/cache.db").exists(),
        "nothing is made in a folder refused"
    );
    let out = repo.pqg(["validate"]).output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("holds files that are inputs"),
        "validate warns too:\n{said}"
    );
    // A folder git ignores may be shared: nothing there is an input.
    let repo = committed(
        TestRepo::new()
            .gates("[settings]\ncache_dir = \"build\"\n\n[gates.g]\nrun = 'true'\n")
            .file(".gitignore", "build/\n")
            .file("build/out.o", "x\n"),
    );
    let (status, _, log) = check(&repo, &[]);
    assert_eq!(status, "pass", "{log}");
    let (_, cached, log) = check(&repo, &[]);
    assert!(cached, "{log}");
}

/// `g` passes while `rel` holds `ok`; edits it to `bad` once the first run
/// passed, and asserts that no cached pass follows.
fn never_a_stale_pass(repo: &TestRepo, rel: &str, commit: bool) {
    let (status, _, log) = check(repo, &[]);
    assert_eq!(status, "pass", "{log}");
    repo.write(rel, "bad\n");
    if commit {
        repo.git(&["commit", "-q", "-a", "-m", "bad"]);
    }
    let (status, cached, log) = check(repo, &[]);
    assert_eq!((status.as_str(), cached), ("fail", false), "{log}");
}

#[test]
fn inputs_named_in_a_shared_cache_folder_are_never_answered_from_it() {
    // build/ is ignored, shared with the cache, and the gate names a file
    // there: the listing leaves the cache folder out, so no key is made.
    let repo = committed(
        TestRepo::new()
            .gates("[settings]\ncache_dir = \"build\"\n\n[gates.g]\nrun = 'grep -q ok build/x.txt'\ninputs = [\"build/x.txt\"]\n")
            .file(".gitignore", "build/\n")
            .file("build/x.txt", "ok\n"),
    );
    never_a_stale_pass(&repo, "build/x.txt", false);
}

#[test]
fn a_file_forced_into_pqgs_own_cache_folder_is_never_answered_from_it() {
    let repo =
        committed(TestRepo::new().gates(
            "[settings]\ncache_dir = \"gen\"\n\n[gates.g]\nrun = 'grep -q ok gen/data.txt'\n",
        ));
    let (_, _, log) = check(&repo, &[]);
    assert!(repo.path().join("gen/.gitignore").exists(), "{log}");
    repo.write("gen/data.txt", "ok\n");
    repo.git(&["add", "-f", "gen/data.txt"]);
    repo.git(&["commit", "-q", "-m", "data"]);
    never_a_stale_pass(&repo, "gen/data.txt", true);
}

#[test]
fn tracked_files_named_like_pqgs_own_are_the_users() {
    // `files` is a name pqg uses in its folder; a tracked one is not pqg's.
    let repo = committed(
        TestRepo::new()
            .gates("[settings]\ncache_dir = \"data\"\n\n[gates.g]\nrun = 'grep -q ok data/files/input.csv'\n")
            .file("data/files/input.csv", "ok\n"),
    );
    let out = repo.pqg(["check"]).output().unwrap();
    let stderr = expect_code(&out, 2);
    assert!(stderr.contains("`data/files/input.csv`"), "{stderr}");
    assert!(!repo.path().join("data/cache.db").exists(), "{stderr}");
    let out = repo.pqg(["check", "--no-cache"]).output().unwrap();
    expect_code(&out, 2);
}
