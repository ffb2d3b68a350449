//! `--changed-since REF` and the config: a gate whose definition changed
//! since REF, or that is new, runs whatever files changed; an unchanged gate
//! whose inputs did not change is still skipped. Also through the pre-push
//! hook's `--changed-only`. Real binary, real git.

mod common;

use common::{gate, json, TestRepo};
use std::io::Write;

const BASE: &str = r#"[gates.lint]
run = "true"
inputs = ["src/**"]
[gates.docs]
description = "the docs"
run = "true"
inputs = ["docs/**"]
"#;

fn repo() -> TestRepo {
    let repo = TestRepo::new()
        .gates(BASE)
        .file(".gitignore", ".pqg/\n")
        .file("src/a.rs", "a\n")
        .file("docs/a.md", "a\n");
    repo.git(&["add", "."]);
    repo.git(&["commit", "-qm", "init"]);
    repo.git(&["branch", "base"]);
    repo
}

fn changed_since(repo: &TestRepo, reference: &str) -> (serde_json::Value, String, i32) {
    let out = repo
        .pqg(["check", "--changed-since", reference, "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (json(&out.stdout), stderr, out.status.code().unwrap())
}

#[test]
fn a_gate_whose_run_changed_since_ref_runs_and_fails() {
    let repo = repo();
    // Only the config changed, and only lint's run; docs' description too,
    // which changes nothing it does.
    repo.write(
        "gates.toml",
        &BASE
            .replacen("run = \"true\"", "run = \"false\"", 1)
            .replace("the docs", "the documentation"),
    );
    let (r, stderr, code) = changed_since(&repo, "base");
    assert_eq!(gate(&r, "lint")["status"], "fail", "{r}\n{stderr}");
    assert_eq!(gate(&r, "docs")["status"], "skipped", "{r}");
    assert_eq!(gate(&r, "docs")["reason"], "unaffected", "{r}");
    assert_eq!(code, 1);

    // Committed, the same: the change is since REF's merge base.
    repo.git(&["commit", "-qam", "lint off"]);
    let (r, _, code) = changed_since(&repo, "base");
    assert_eq!(gate(&r, "lint")["status"], "fail", "{r}");
    assert_eq!(gate(&r, "docs")["status"], "skipped", "{r}");
    assert_eq!(code, 1);

    // Layout, comments and key order are not a change.
    repo.git(&["reset", "-q", "--hard", "base"]);
    repo.write(
        "gates.toml",
        "# reformatted\n[gates.docs]\ninputs = [ 'docs/**' ]\nrun = 'true'\ndescription = 'the docs'\n\n\
         [gates.lint]\ninputs = ['src/**']\nrun = 'true'\n",
    );
    let (r, _, code) = changed_since(&repo, "base");
    assert_eq!(gate(&r, "lint")["status"], "skipped", "{r}");
    assert_eq!(gate(&r, "docs")["status"], "skipped", "{r}");
    assert_eq!(code, 0);
}

#[test]
fn a_new_failing_gate_runs_and_fails_and_gets_all_its_inputs() {
    let repo = repo();
    repo.write(
        "gates.toml",
        &format!(
            "{BASE}[gates.new]\nrun = 'tr \"\\0\" \"\\n\" < \"$PQG_FILES\"; exit 3'\ninputs = [\"src/**\"]\n\
             [gates.scan]\nbuiltin = \"forbidden\"\ninputs = [\"src/**\"]\n\
             patterns = [{{ pattern = \"a\", message = \"no a\" }}]\n"
        ),
    );
    let (r, stderr, code) = changed_since(&repo, "base");
    let new = gate(&r, "new");
    assert_eq!(new["status"], "fail", "{r}\n{stderr}");
    // No src file changed, but for a new gate every input is new.
    assert_eq!(new["output"], "src/a.rs\n", "{r}");
    // A new builtin checks every input, not only the changed files.
    assert_eq!(gate(&r, "scan")["status"], "fail", "{r}");
    assert_eq!(gate(&r, "lint")["status"], "skipped", "{r}");
    assert_eq!(gate(&r, "docs")["status"], "skipped", "{r}");
    assert_eq!(code, 1);
}

#[test]
fn a_config_new_since_ref_or_unreadable_there_runs_every_gate_and_says_so() {
    let repo = TestRepo::new()
        .file(".gitignore", ".pqg/\n")
        .file("src/a.rs", "a\n");
    repo.git(&["add", "."]);
    repo.git(&["commit", "-qm", "no config yet"]);
    repo.git(&["branch", "base"]);
    repo.write("gates.toml", BASE);
    let (r, stderr, code) = changed_since(&repo, "base");
    assert!(
        stderr.contains("the config did not exist there: every gate runs"),
        "{stderr}"
    );
    assert_eq!(gate(&r, "lint")["status"], "pass", "{r}");
    assert_eq!(gate(&r, "docs")["status"], "pass", "{r}");
    assert_eq!(code, 0);

    // Broken TOML at REF: the same, with the reason.
    repo.write("gates.toml", "[gates.lint\n");
    repo.git(&["add", "."]);
    repo.git(&["commit", "-qm", "broken"]);
    repo.git(&["branch", "-f", "base"]);
    repo.write("gates.toml", BASE);
    let (r, stderr, _) = changed_since(&repo, "base");
    assert!(
        stderr.contains("is not valid TOML") && stderr.contains("every gate runs"),
        "{stderr}"
    );
    assert_eq!(gate(&r, "docs")["status"], "pass", "{r}");

    // What every gate means (the stages, the default timeout): every gate.
    repo.git(&["commit", "-qam", "fixed"]);
    repo.git(&["branch", "-f", "base"]);
    repo.write(
        "gates.toml",
        &format!("[settings]\ntimeout = \"1m\"\n{BASE}"),
    );
    let (r, stderr, _) = changed_since(&repo, "base");
    assert!(stderr.contains("the default timeout changed"), "{stderr}");
    assert_eq!(gate(&r, "docs")["status"], "pass", "{r}");
}

#[test]
fn without_a_gates_toml_the_default_profile_is_not_new() {
    let repo = TestRepo::new()
        .file(".gitignore", ".pqg/\n")
        .file("src/a.rs", "a\n");
    repo.git(&["add", "."]);
    repo.git(&["commit", "-qm", "init"]);
    repo.git(&["branch", "base"]);
    let (r, stderr, _) = changed_since(&repo, "base");
    assert!(!stderr.contains("every gate runs"), "{stderr}");
    let statuses: Vec<_> = r["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["status"].as_str().unwrap().to_owned())
        .collect();
    assert!(statuses.iter().all(|s| s == "skipped"), "{r}");
}

#[test]
fn the_changed_only_pre_push_hook_runs_a_gate_redefined_by_the_push() {
    let repo = repo();
    let base = git_out(&repo, &["rev-parse", "HEAD"]);
    repo.write(
        "gates.toml",
        &BASE.replacen("run = \"true\"", "run = \"false\"", 1),
    );
    repo.git(&["commit", "-qam", "lint off"]);
    let head = git_out(&repo, &["rev-parse", "HEAD"]);
    let mut child = repo
        .pqg_std(["hook", "run", "--hook", "pre-push", "--changed-only"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(
        child.stdin.take().unwrap(),
        "refs/heads/main {head} refs/heads/main {base}"
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "the push is blocked: {all}");
    assert!(all.contains("lint"), "{all}");
}

fn git_out(repo: &TestRepo, args: &[&str]) -> String {
    let out = common::git_command(repo.path())
        .args(args)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}
