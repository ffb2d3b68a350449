//! Output is always safe to read and to pipe (issue 13, items 5, 7, 9): a
//! closed or full stdout is not a bug, gate output cannot smuggle terminal
//! escapes or workflow commands into a report, a file name cannot forge a
//! finding line, a private key is reported at its BEGIN line, and `stats`
//! shows the config's gates only. (Large reports read as a stream:
//! tests/report_memory.rs.)

mod common;

use common::{expect_code, gate, isolate, json, pqg_path, TestRepo};
use std::process::Stdio;

const PASSING: &str = "[gates.ok]\nrun = 'echo fine'\n";

/// A repository with one passing gate that has run once, so that history,
/// stats and the ladder have something to print.
fn repo_with_history() -> TestRepo {
    let repo = TestRepo::new().gates(PASSING);
    repo.pqg(["check"]).assert().success();
    repo
}

/// The commands that print on stdout, with their arguments.
const PRINTING: &[&[&str]] = &[
    &["schema"],
    &["completions", "bash"],
    &["man"],
    &["list"],
    &["validate"],
    &["history"],
    &["stats"],
    &["ladder"],
    &["explain", "ok"],
    &["cache", "stats"],
    &["check"],
    &["check", "--format", "json"],
    &["check", "--format", "jsonl"],
    &["check", "--format", "junit"],
    &["check", "--format", "markdown"],
    &["check", "--format", "github"],
    &["check", "--format", "sarif"],
    &["check", "--format", "prometheus"],
];

/// Runs pqg with stdout a pipe whose reader is already gone: every write
/// fails with EPIPE, whatever the timing.
fn with_closed_stdout(repo: &TestRepo, args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    repo.pqg_std(args)
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

#[test]
fn a_closed_stdout_ends_every_command_quietly() {
    let repo = repo_with_history();
    for args in PRINTING {
        let out = with_closed_stdout(&repo, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?} said: {stderr}");
    }
}

#[test]
fn a_closed_stdout_keeps_the_verdict_of_a_check() {
    let repo = TestRepo::new().gates("[gates.bad]\nrun = 'echo broken; exit 1'\n");
    for format in ["table", "json", "jsonl", "junit", "github"] {
        let out = with_closed_stdout(&repo, &["check", "--no-cache", "--format", format]);
        let stderr = expect_code(&out, 1);
        assert!(stderr.is_empty(), "{format}: {stderr}");
    }
}

#[test]
fn a_full_stdout_is_exit_2_with_a_message() {
    let repo = repo_with_history();
    // `--format github` prints nothing when every gate passes.
    for args in PRINTING.iter().filter(|a| !a.contains(&"github")) {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = repo
            .pqg_std(*args)
            .stdout(Stdio::from(full))
            .output()
            .unwrap();
        let stderr = expect_code(&out, 2);
        assert!(
            stderr.contains("cannot write to stdout: No space left on device"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("bug"), "{args:?}: {stderr}");
    }
    let out = repo
        .pqg_std(["check", "--report", "json=/dev/full"])
        .output()
        .unwrap();
    let stderr = expect_code(&out, 2);
    assert!(
        stderr.contains("cannot write to the report `/dev/full`"),
        "{stderr}"
    );
}

#[test]
fn a_deleted_working_folder_is_exit_2_with_a_message() {
    let repo = TestRepo::new().gates(PASSING);
    std::fs::create_dir(repo.path().join("gone")).unwrap();
    for command in ["list", "check", "history", "stats"] {
        let mut sh = std::process::Command::new("sh");
        isolate(&mut sh)
            .current_dir(repo.path())
            .env("PQG", pqg_path())
            .env("NO_COLOR", "1")
            .args([
                "-c",
                &format!("mkdir -p gone && cd gone && rmdir ../gone && exec \"$PQG\" {command}"),
            ]);
        let out = sh.output().unwrap();
        let stderr = expect_code(&out, 2);
        assert!(
            stderr.contains("cannot read the current folder") && stderr.contains("deleted"),
            "{command}: {stderr}"
        );
        assert!(!stderr.contains("bug"), "{command}: {stderr}");
    }
}

/// A failing gate whose output holds colours, a title (OSC), a hyperlink,
/// a charset switch and a carriage return.
const ESCAPING: &str = r#"[gates.loud]
run = "printf '\\033[1;31mred\\033[0m \\033]0;title\\007 \\033]8;;https://x.test\\033\\\\link\\033]8;;\\033\\\\ \\033(Bplain\\rover\\n'; exit 1"
"#;

#[test]
fn terminal_escapes_leave_no_debris_in_reports() {
    let repo = TestRepo::new().gates(ESCAPING);
    for format in ["table", "markdown", "junit", "github"] {
        let out = repo
            .pqg_std(["check", "--no-cache", "--format", format])
            .output()
            .unwrap();
        expect_code(&out, 1);
        let text = String::from_utf8(out.stdout).unwrap();
        if format != "github" {
            // What a terminal shows of it: the title and the link's
            // target are not text.
            assert!(text.contains("red  link plainover"), "{format}: {text}");
            assert!(
                !text.contains("title") && !text.contains("x.test"),
                "{format}: {text}"
            );
        }
        for debris in ["[1;31m", "[0m", "]0;", "]8;;", "(B", "\x1b", "\r", "\x07"] {
            assert!(!text.contains(debris), "{format} holds {debris:?}: {text}");
        }
    }
    // JSON keeps the exact output, escaped the JSON way.
    let report = repo.check_json(&["--no-cache"]);
    let output = gate(&report, "loud")["output"].as_str().unwrap();
    assert!(output.starts_with("\x1b[1;31mred\x1b[0m \x1b]0;title\x07"));
}

/// A failing gate that tries to issue workflow commands of its own.
const FORGING: &str = r#"[gates.forger]
run = "printf '::stop-commands::x\\n  ::error file=x::forged\\nsee ##[error]legacy\\nok\\r::warning::cr\\n'; exit 1"
"#;

/// The lines GitHub's runner reads as workflow commands in `text`: a line
/// (ended by a newline or a carriage return) that starts with `::` after
/// blanks, or holds the legacy `##[`.
fn workflow_commands(text: &str) -> Vec<&str> {
    text.split(['\n', '\r'])
        .filter(|l| l.trim_start().starts_with("::") || l.contains("##["))
        .collect()
}

#[test]
fn gate_output_cannot_issue_workflow_commands_under_github_actions() {
    let repo = TestRepo::new().gates(FORGING);
    for format in [
        "table", "markdown", "junit", "json", "jsonl", "sarif", "github",
    ] {
        let out = repo
            .pqg_std(["check", "--no-cache", "--format", format])
            .env("GITHUB_ACTIONS", "true")
            .output()
            .unwrap();
        expect_code(&out, 1);
        // The runner reads commands on stdout and stderr (where they go
        // beside a machine format, which they must not break).
        let text = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        if ["json", "sarif"].contains(&format) {
            json(text.as_bytes());
        }
        let text = format!("{text}{stderr}");
        let commands = workflow_commands(&text);
        // pqg's own annotation is there, and nothing else is a command:
        // no stop-commands before it, no forged annotation.
        assert!(
            commands
                .iter()
                .any(|c| c.starts_with("::error title=pqg forger")),
            "{format}: {text}"
        );
        for c in &commands {
            assert!(
                c.starts_with("::error title=pqg "),
                "{format}: {c:?} in {text}"
            );
        }
        if format == "table" {
            // The gate's lines are still shown, only made harmless.
            assert!(text.contains("::error file=x::forged"), "{text}");
        }
    }
    // The JSON report keeps the output's exact value.
    let out = repo
        .pqg_std(["check", "--no-cache", "--format", "json"])
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    let report = json(&out.stdout);
    assert_eq!(
        gate(&report, "forger")["output"],
        "::stop-commands::x\n  ::error file=x::forged\nsee ##[error]legacy\nok\r::warning::cr\n"
    );
}

#[test]
fn a_file_name_with_a_newline_cannot_forge_a_finding_line() {
    let name = "x\nforged.txt:9:9  conflict-marker  made up";
    let repo = TestRepo::new()
        .gates("[gates.markers]\nbuiltin = \"conflict-markers\"\n")
        .file(name, "<<<<<<< HEAD\na\n=======\nb\n>>>>>>> other\n");
    let out = repo.pqg_std(["check", "--no-cache"]).output().unwrap();
    expect_code(&out, 1);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.lines().any(|l| l.starts_with("forged.txt")),
        "a forged line: {text}"
    );
    assert!(
        text.contains("\"x\\nforged.txt:9:9  conflict-marker  made up\":1:1"),
        "{text}"
    );
    let report = repo.check_json(&["--no-cache"]);
    let findings = gate(&report, "markers")["findings"].as_array().unwrap();
    assert!(findings.iter().all(|f| f["file"] == name), "{findings:?}");
}

#[test]
fn a_private_key_is_reported_at_its_begin_line() {
    // Not a real key: 64 characters of varied base64 per line.
    let body = "MIIEowIBAAKCAQEAq3N9Zr7Xv2Lk8Pq1Wm4Ty6Hs0Jd5Fb9Gc2Re7Ua3Io8Kp1Ln6\n\
                Vx4Cz0Bt5Ym9Nw2Qe7Rf3Sg8Th1Uj6Vk0Wl5Xm9Yn4Zo2Ap7Bq3Cr8Ds1Et6Fu0\n";
    let repo = TestRepo::new()
        .gates("[gates.secrets]\nbuiltin = \"secrets\"\n")
        .file(
            "deploy/id_rsa",
            &format!(
                "# the deploy key\n\n-----BEGIN RSA PRIVATE KEY-----\n{body}-----END RSA PRIVATE KEY-----\n"
            ),
        );
    let report = repo.check_json(&["--no-cache"]);
    let findings = gate(&report, "secrets")["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["rule"], "private-key");
    assert_eq!(findings[0]["line"], 3, "{findings:?}");
    assert_eq!(findings[0]["column"], 1, "{findings:?}");
}

#[test]
fn stats_leaves_out_gates_removed_from_the_config() {
    let repo =
        TestRepo::new().gates("[gates.kept]\nrun = 'true'\n[gates.removed_gate]\nrun = 'true'\n");
    repo.pqg(["check"]).assert().success();
    repo.write("gates.toml", "[gates.kept]\nrun = 'true'\n");
    let out = repo.pqg_std(["stats"]).output().unwrap();
    expect_code(&out, 0);
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with('│')).collect();
    assert!(rows.iter().any(|r| r.contains("kept")), "{text}");
    assert!(!rows.iter().any(|r| r.contains("removed_gate")), "{text}");
    assert!(
        text.contains("not shown: 1 gate no longer in gates.toml: removed_gate"),
        "{text}"
    );
}
