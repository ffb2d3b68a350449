//! Nothing a gate or a key command starts outlives pqg (DESIGN §6, §11):
//! daemons that left the gate's process group with `setsid`, on every path;
//! signals while key commands run; SIGHUP and SIGQUIT like SIGTERM, in
//! `check` and the pre-push hook; `--jobs` bounded by the gates; a timeout
//! reported as configured.

// These tests signal processes directly; each unsafe block says why it
// holds.
#![allow(unsafe_code)]

mod common;

use common::{alive, expect_code, gate, json, wait_for, TestRepo};
use std::time::Duration;

/// Kills `pid` when dropped, so that a failing test leaves nothing behind.
struct Reap(i32);

impl Drop for Reap {
    fn drop(&mut self) {
        if self.0 > 1 && alive(self.0) {
            // SAFETY: kill takes two integers and touches no memory.
            unsafe {
                libc::kill(self.0, libc::SIGKILL);
            }
        }
    }
}

/// A shell snippet that starts a daemon in a session of its own (so it
/// leaves the gate's process group), has it write its pid to `file`, and
/// waits until it has.
fn daemon(file: &str) -> String {
    format!(
        "setsid sh -c 'echo $$ > {file}.tmp && mv {file}.tmp {file}; exec sleep 300' & \
         while [ ! -f {file} ]; do sleep 0.01; done"
    )
}

fn pid_in(repo: &TestRepo, file: &str) -> Reap {
    Reap(repo.read(file).trim().parse().expect("a pid"))
}

#[test]
fn a_daemon_a_passing_gate_started_with_setsid_does_not_outlive_pqg() {
    let repo = TestRepo::new().gates(&format!(
        "[gates.serve]\nrun = \"{}; echo started\"\n",
        daemon("d")
    ));
    let out = repo.pqg(["check", "--format", "json"]).output().unwrap();
    expect_code(&out, 0);
    let d = pid_in(&repo, "d");
    assert!(!alive(d.0), "daemon {} outlived pqg", d.0);
    // The daemon held the output pipe open: it was ended, not waited out.
    let report = json(&out.stdout);
    let output = gate(&report, "serve")["output"].to_string();
    assert!(!output.contains("kept its output open"), "{output}");
}

#[test]
fn a_daemon_of_a_timed_out_gate_is_ended_and_the_timeout_is_reported_as_configured() {
    let repo = TestRepo::new().gates(&format!(
        "[gates.hang]\nrun = \"{}; sleep 300\"\ntimeout = '500ms'\n",
        daemon("d")
    ));
    let out = repo.pqg(["check", "--format", "json"]).output().unwrap();
    expect_code(&out, 1);
    let d = pid_in(&repo, "d");
    assert!(!alive(d.0), "daemon {} outlived pqg", d.0);
    let report = json(&out.stdout);
    let hang = gate(&report, "hang");
    assert_eq!(hang["status"], "timeout");
    assert_eq!(hang["reason"], "timed out after 500 ms", "{hang}");
}

#[test]
fn every_format_reports_the_configured_timeout() {
    let repo = TestRepo::new().gates("[gates.hang]\nrun = 'sleep 300'\ntimeout = '1s'\n");
    for format in ["table", "json", "junit", "markdown", "github"] {
        let out = repo.pqg(["check", "--format", format]).output().unwrap();
        expect_code(&out, 1);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("timed out after 1 s"), "{format}: {text}");
        assert!(!text.contains("timed out after 2"), "{format}: {text}");
    }
}

#[test]
fn a_daemon_of_a_gate_cancelled_by_fail_fast_is_ended() {
    let repo = TestRepo::new().gates(&format!(
        "[gates.serve]\nrun = \"{}; sleep 300\"\n\
         [gates.broken]\nrun = 'while [ ! -f d ]; do sleep 0.01; done; exit 1'\n",
        daemon("d")
    ));
    let out = repo
        .pqg(["check", "--fail-fast", "--jobs", "2", "--format", "json"])
        .output()
        .unwrap();
    expect_code(&out, 1);
    let d = pid_in(&repo, "d");
    assert!(!alive(d.0), "daemon {} outlived pqg", d.0);
    assert_eq!(gate(&json(&out.stdout), "serve")["status"], "cancelled");
}

#[test]
fn a_daemon_of_an_interrupted_gate_is_ended() {
    let repo = TestRepo::new().gates(&format!(
        "[gates.serve]\nrun = \"{}; sleep 300\"\n",
        daemon("d")
    ));
    let mut child = repo
        .pqg_std(["check", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(Duration::from_secs(20), "the daemon to start", || {
        repo.path().join("d").exists()
    });
    let d = pid_in(&repo, "d");
    signal(child.id(), libc::SIGINT);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(!alive(d.0), "daemon {} outlived pqg", d.0);
}

#[test]
fn a_gate_ending_does_not_end_the_daemon_another_running_gate_needs() {
    // `serve` leaves its daemon to pqg (the subshell that started it
    // exits) and needs it until `after` has started, which is after
    // `quick` has ended: ending `quick` must not end `serve`'s daemon.
    let repo = TestRepo::new().gates(&format!(
        "[gates.serve]\nrun = \"({}); touch orphaned; while [ ! -f after-started ]; do sleep 0.01; done; kill -0 $(cat d)\"\n\
         [gates.quick]\nrun = 'while [ ! -f orphaned ]; do sleep 0.01; done'\n\
         [gates.after]\nrun = 'touch after-started'\nneeds = ['quick']\n",
        daemon("d")
    ));
    let out = repo
        .pqg(["check", "--jobs", "3", "--format", "json"])
        .output()
        .unwrap();
    expect_code(&out, 0);
    let d = pid_in(&repo, "d");
    assert!(!alive(d.0), "daemon {} outlived pqg", d.0);
}

/// A key command that writes its pid to `kc` and hangs, after starting a
/// daemon that writes its pid to `kd`.
const SLOW_KEY_COMMAND: &str = "key_commands = [\"setsid sh -c 'echo $$ > kd.tmp && mv kd.tmp kd; exec sleep 300' & echo $$ > kc.tmp && mv kc.tmp kc; exec sleep 300\"]\n";

fn signal_during_key_command(sig: i32, code: i32) {
    let repo = TestRepo::new().gates(&format!(
        "[gates.a]\nrun = 'touch gate-ran'\n{SLOW_KEY_COMMAND}"
    ));
    let child = repo
        .pqg_std(["check", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(Duration::from_secs(20), "the key command to start", || {
        ["kc", "kd"].iter().all(|f| repo.path().join(f).exists())
    });
    let (kc, kd) = (pid_in(&repo, "kc"), pid_in(&repo, "kd"));
    signal(child.id(), sig);
    let out = child.wait_with_output().unwrap();
    expect_code(&out, code);
    assert!(!alive(kc.0), "key command {} outlived pqg", kc.0);
    assert!(!alive(kd.0), "key command's daemon {} outlived pqg", kd.0);
    assert!(!repo.path().join("gate-ran").exists(), "a gate ran");
    assert_eq!(json(&out.stdout)["outcome"], "interrupted");
}

#[test]
fn sigterm_while_a_key_command_runs_ends_it_and_exits_143() {
    signal_during_key_command(libc::SIGTERM, 143);
}

#[test]
fn sigint_while_a_key_command_runs_ends_it_and_exits_130() {
    signal_during_key_command(libc::SIGINT, 130);
}

#[test]
fn sigterm_while_explain_runs_a_key_command_ends_it_and_exits_143() {
    let repo = TestRepo::new().gates(&format!("[gates.a]\nrun = 'true'\n{SLOW_KEY_COMMAND}"));
    let child = repo
        .pqg_std(["explain", "a"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(Duration::from_secs(20), "the key command to start", || {
        ["kc", "kd"].iter().all(|f| repo.path().join(f).exists())
    });
    let (kc, kd) = (pid_in(&repo, "kc"), pid_in(&repo, "kd"));
    signal(child.id(), libc::SIGTERM);
    let out = child.wait_with_output().unwrap();
    expect_code(&out, 143);
    assert!(!alive(kc.0), "key command {} outlived pqg", kc.0);
    assert!(!alive(kd.0), "key command's daemon {} outlived pqg", kd.0);
}

#[test]
fn a_key_command_gets_its_gates_timeout() {
    let repo = TestRepo::new().gates(&format!(
        "[gates.a]\nrun = 'true'\ntimeout = '300ms'\n{SLOW_KEY_COMMAND}"
    ));
    let out = repo.pqg(["check", "-v"]).output().unwrap();
    let stderr = expect_code(&out, 0);
    assert!(stderr.contains("did not finish within 300 ms"), "{stderr}");
    let (kc, kd) = (pid_in(&repo, "kc"), pid_in(&repo, "kd"));
    assert!(!alive(kc.0), "key command {} outlived pqg", kc.0);
    assert!(!alive(kd.0), "key command's daemon {} outlived pqg", kd.0);
}

#[test]
fn many_more_jobs_than_gates_start_no_more_threads_than_gates() {
    let repo = TestRepo::new().gates("[gates.a]\nrun = 'true'\n");
    repo.pqg(["check", "-j", "100000"]).assert().code(0);
}

#[test]
fn negative_jobs_in_the_config_are_refused_where_written() {
    let repo = TestRepo::new().gates("[settings]\njobs = -2\n[gates.a]\nrun = 'true'\n");
    let out = repo.pqg(["check"]).output().unwrap();
    let stderr = expect_code(&out, 2);
    assert!(stderr.contains("gates.toml:2:"), "{stderr}");
    assert!(stderr.contains("jobs"), "{stderr}");
}

fn signal(pid: u32, sig: i32) {
    // SAFETY: kill takes two integers and touches no memory.
    let rc = unsafe { libc::kill(pid as i32, sig) };
    assert_eq!(rc, 0, "signal pqg");
}

/// Starts `pqg check` on a gate that writes its pid and hangs, sends `sig`
/// once the gate runs, and asserts that pqg stops the gate and exits
/// `code`.
fn signal_during_a_gate(sig: i32, code: i32) {
    let repo = TestRepo::new()
        .gates("[gates.slow]\nrun = 'echo $$ > g.tmp && mv g.tmp g; exec sleep 300'\n");
    let child = repo
        .pqg_std(["check", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for(Duration::from_secs(20), "the gate to start", || {
        repo.path().join("g").exists()
    });
    let g = pid_in(&repo, "g");
    signal(child.id(), sig);
    let out = child.wait_with_output().unwrap();
    expect_code(&out, code);
    assert!(!alive(g.0), "gate {} outlived pqg", g.0);
    assert_eq!(json(&out.stdout)["outcome"], "interrupted");
}

#[test]
fn sighup_stops_the_running_gate_and_exits_129() {
    signal_during_a_gate(libc::SIGHUP, 129);
}

#[test]
fn sigquit_stops_the_running_gate_and_exits_131() {
    signal_during_a_gate(libc::SIGQUIT, 131);
}

#[test]
fn sighup_to_the_pre_push_hook_ends_the_gate_and_removes_the_worktree() {
    use std::io::Write;
    let repo = TestRepo::new().gates("[gates.ok]\nrun = 'true'\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "init"]);
    let marks = tempfile::tempdir().unwrap();
    let pid_file = marks.path().join("gate.pid");
    repo.git(&["switch", "-qc", "slow"]);
    repo.write(
        "gates.toml",
        &format!(
            "[gates.slow]\nrun = 'echo $$ > {}; exec sleep 300'\n",
            pid_file.display()
        ),
    );
    repo.git(&["commit", "-qam", "a slow gate"]);
    repo.git(&["switch", "-q", "main"]);
    let slow = common::git_command(repo.path())
        .args(["rev-parse", "slow"])
        .output()
        .unwrap();
    let slow = String::from_utf8_lossy(&slow.stdout).trim().to_owned();
    let tmp = tempfile::tempdir().unwrap();
    let mut child = repo
        .pqg_std(["hook", "run", "--hook", "pre-push"])
        .env("TMPDIR", tmp.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(
        child.stdin.take().unwrap(),
        "refs/heads/slow {slow} refs/heads/slow {}",
        "0".repeat(40)
    )
    .unwrap();
    wait_for(Duration::from_secs(30), "the gate to start", || {
        std::fs::read_to_string(&pid_file).is_ok_and(|s| s.ends_with('\n'))
    });
    let gate = Reap(
        std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap(),
    );
    signal(child.id(), libc::SIGHUP);
    let out = child.wait_with_output().unwrap();
    expect_code(&out, 129);
    wait_for(Duration::from_secs(10), "the gate to end", || {
        !alive(gate.0)
    });
    let listed = common::git_command(repo.path())
        .args(["worktree", "list", "--porcelain"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert_eq!(listed.matches("worktree ").count(), 1, "{listed}");
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left in the temp folder: {left:?}");
}
