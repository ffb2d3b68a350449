//! `pqg check` end to end: bad input never runs anything, and the runner's
//! faults (huge output, hung gates, missing commands, Ctrl-C) end cleanly.

// These tests drive the OS directly (signals, file times, usage); each
// unsafe block says why it holds.
#![allow(unsafe_code)]

mod common;

use common::{alive, json, wait_for, TestRepo};
use std::time::{Duration, Instant};

/// Each case: gates.toml, extra args, and what stderr must show. Every gate
/// would touch `ran` if it ran.
const BAD_CONFIGS: &[(&str, &str, &[&str], &[&str])] = &[
    (
        "malformed toml",
        "[gates.a]\nrun = 'touch ran'\nfrom = \n",
        &[],
        &["gates.toml:3:8", "from = ", "^"],
    ),
    (
        "wrong type",
        "[gates.a]\nrun = 'touch ran'\nretries = 'x'\n",
        &[],
        &["gates.toml:3:11", "retries = 'x'", "hint:"],
    ),
    (
        "unknown key",
        "[gates.a]\nrun = 'touch ran'\ntimout = '1s'\n",
        &[],
        &["unknown key `timout`", "gates.toml:3:1", "did you mean `timeout`?"],
    ),
    (
        "unknown stage in a map",
        "[gates.a]\nrun = 'touch ran'\n[gates.a.metrics.m]\ncount = 'x'\nmax = { stagin = 0 }\n",
        &[],
        &["unknown stage `stagin`", "gates.toml:5:9", "did you mean `staging`?"],
    ),
    (
        "unknown stage flag",
        "[gates.a]\nrun = 'touch ran'\n",
        &["--stage", "nosuch"],
        &["--stage: unknown stage `nosuch`", "hint:"],
    ),
    (
        "run and builtin",
        "[gates.a]\nrun = 'touch ran'\nbuiltin = 'secrets'\n",
        &[],
        &["both `run` and `builtin`", "gates.toml:3:11", "hint:"],
    ),
    (
        "neither run nor builtin",
        "[gates.b]\nrun = 'touch ran'\n[gates.a]\ndescription = 'x'\n",
        &[],
        &["neither `run` nor `builtin`", "gates.toml:3:8"],
    ),
    (
        "needs cycle",
        "[gates.a]\nrun = 'touch ran'\nneeds = ['b']\n[gates.b]\nrun = 'touch ran'\nneeds = ['a']\n",
        &[],
        &["cycle: a → b → a", "gates.toml:1:8"],
    ),
    (
        "needs unknown gate",
        "[gates.build]\nrun = 'touch ran'\n[gates.a]\nrun = 'touch ran'\nneeds = ['biuld']\n",
        &[],
        &["needs unknown gate `biuld`", "gates.toml:5:10", "did you mean `build`?"],
    ),
    (
        "invalid duration",
        "[gates.a]\nrun = 'touch ran'\ntimeout = '10 minutes'\n",
        &[],
        &["invalid duration `10 minutes`", "gates.toml:3:11", "`90s`"],
    ),
    (
        "invalid regex",
        "[gates.a]\nrun = 'touch ran'\n[gates.a.metrics.m]\nregex = '(unclosed'\n",
        &[],
        &["invalid regex", "gates.toml:4:9"],
    ),
    (
        "unknown --only",
        "[gates.lint]\nrun = 'touch ran'\n",
        &["--only", "lnt"],
        &["--only names unknown gate `lnt`", "did you mean `lint`?"],
    ),
];

#[test]
fn bad_config_exits_2_points_at_the_line_and_runs_nothing() {
    for (name, toml, args, expected) in BAD_CONFIGS {
        let repo = TestRepo::new().gates(toml);
        let out = repo.pqg(["check"]).args(*args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        for want in *expected {
            assert!(
                stderr.contains(want),
                "{name}: missing `{want}` in:\n{stderr}"
            );
        }
        assert!(!repo.path().join("ran").exists(), "{name}: a gate ran");
        assert!(out.stdout.is_empty(), "{name}: no report is printed");
    }
}

#[test]
fn a_missing_command_is_an_error_and_the_other_gates_still_run() {
    let repo = TestRepo::new().gates(
        "[gates.missing]\nrun = ['no-such-command-pqg']\n[gates.a]\nrun = 'touch a'\n[gates.b]\nrun = 'touch b'\n",
    );
    let out = repo.pqg(["check", "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out.stdout);
    assert_eq!(report["gates"][0]["status"], "error");
    let reason = report["gates"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("`no-such-command-pqg` was not found"),
        "{reason}"
    );
    assert!(repo.path().join("a").exists() && repo.path().join("b").exists());
}

#[test]
fn a_hung_gate_and_its_background_grandchild_are_killed_at_the_timeout() {
    let repo = TestRepo::new().gates(
        "[gates.hang]\nrun = 'sleep 300 & echo $! > grandchild; echo $$ > leader; sleep 300'\ntimeout = '500ms'\n",
    );
    let start = Instant::now();
    let out = repo.pqg(["check", "--format", "json"]).output().unwrap();
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out.stdout)["gates"][0]["status"], "timeout");
    for file in ["grandchild", "leader"] {
        let pid: i32 = repo.read(file).trim().parse().unwrap();
        assert!(!alive(pid), "{file} {pid} outlived pqg");
    }
}

#[test]
fn background_processes_left_by_a_finished_gate_do_not_outlive_it() {
    let repo = TestRepo::new().gates("[gates.leak]\nrun = 'sleep 300 & echo $! > bg'\n");
    repo.pqg(["check"]).assert().code(0);
    let pid: i32 = repo.read("bg").trim().parse().unwrap();
    assert!(!alive(pid), "background process {pid} outlived its gate");
}

#[test]
fn invalid_utf8_and_huge_lines_are_shown_lossily() {
    let repo = TestRepo::new().gates(
        "[gates.bytes]\nrun = \"printf 'bad \\\\377\\\\376 bytes\\\\n'; head -c 300000 /dev/zero | tr '\\\\0' x; exit 3\"\n",
    );
    let out = repo.pqg(["check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).expect("the report is valid UTF-8");
    assert!(stdout.contains("bad \u{fffd}\u{fffd} bytes"), "{stdout}");
    assert!(stdout.contains("bytes omitted"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("internal error"),
        "{stderr}"
    );
}

#[test]
fn ctrl_c_stops_every_gate_reports_what_finished_and_exits_130() {
    interrupt_with(libc::SIGINT, 130);
}

#[test]
fn sigterm_stops_every_gate_and_exits_143() {
    interrupt_with(libc::SIGTERM, 143);
}

fn interrupt_with(signal: i32, code: i32) {
    let repo = TestRepo::new().gates(
        r#"
[gates.quick]
run = "touch quick-done"
[gates.sleeper]
run = "echo $$ > s1.tmp && mv s1.tmp s1; sleep 300"
needs = ["quick"]
[gates.stubborn]
run = "trap '' INT TERM; echo $$ > s2.tmp && mv s2.tmp s2; while true; do sleep 0.05; done"
needs = ["quick"]
"#,
    );
    let child = repo
        .pqg_std(["check", "--jobs", "3", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The sleepers need `quick`, so once they have started pqg has judged
    // `quick` a pass.
    wait_for(Duration::from_secs(10), "gates to start", || {
        ["s1", "s2"].iter().all(|f| repo.path().join(f).exists())
    });
    let pids: Vec<i32> = ["s1", "s2"]
        .iter()
        .map(|f| repo.read(f).trim().parse().unwrap())
        .collect();
    let signalled = Instant::now();
    // SAFETY: kill takes plain integers; the child is ours and not reaped.
    unsafe { libc::kill(child.id() as i32, signal) };
    let out = child.wait_with_output().unwrap();
    assert!(
        signalled.elapsed() < Duration::from_secs(3),
        "pqg took {:?}",
        signalled.elapsed()
    );
    assert_eq!(out.status.code(), Some(code));
    for pid in &pids {
        wait_for(Duration::from_secs(2), "children to be gone", || {
            !alive(*pid)
        });
    }
    let report = json(&out.stdout);
    assert_eq!(report["outcome"], "interrupted");
    assert_eq!(report["exit_code"], code);
    let statuses: Vec<&str> = report["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["pass", "cancelled", "cancelled"]);
}
