//! Every kind of config error, as the user sees it: `pqg validate` on a small
//! bad gates.toml exits 2 and prints `file:line:col`, the line, a caret under
//! what is wrong, and a hint. The snapshots pin all four, so a refactor of
//! `config/` cannot quietly lose a caret or change a message.

mod common;

use common::TestRepo;

/// `pqg validate` on `toml`: asserts exit code 2 and returns stderr with the
/// temporary folder replaced by `[REPO]`.
fn validate(toml: &str) -> String {
    let repo = TestRepo::new().gates(toml);
    let out = repo.pqg(["validate"]).output().expect("run pqg");
    let stderr = String::from_utf8(out.stderr).expect("utf-8 stderr");
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    stderr.replace(&repo.path().display().to_string(), "[REPO]")
}

/// `pqg validate` on `toml` in a repo holding `files`: asserts exit code 0
/// and returns stderr (the warnings), the folder replaced by `[REPO]`.
fn validate_warnings(toml: &str, files: &[(&str, &str)]) -> String {
    let mut repo = TestRepo::new().gates(toml);
    for (path, content) in files {
        repo = repo.file(path, content);
    }
    let out = repo.pqg(["validate"]).output().expect("run pqg");
    let stderr = String::from_utf8(out.stderr).expect("utf-8 stderr");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    stderr.replace(&repo.path().display().to_string(), "[REPO]")
}

#[test]
fn unknown_key() {
    insta::assert_snapshot!(validate("[gates.a]\nrun = 'true'\nfom = 'entry'\n"));
}

#[test]
fn unknown_key_in_settings() {
    insta::assert_snapshot!(validate("[settings]\njbos = 2\n[gates.a]\nrun = 'true'\n"));
}

#[test]
fn unknown_stage() {
    insta::assert_snapshot!(validate("[gates.a]\nrun = 'true'\nfrom = 'stagin'\n"));
}

#[test]
fn unknown_stage_in_stage_map() {
    insta::assert_snapshot!(validate(
        "[gates.cov]\nrun = 'true'\n[gates.cov.metrics.lines]\nregex = '(\\d+)'\nmin = { development = 60, stagin = 75 }\n"
    ));
}

#[test]
fn unknown_stage_with_no_close_name() {
    insta::assert_snapshot!(validate(
        "stages = ['dev', 'prod']\n[gates.a]\nrun = 'true'\nfrom = 'everywhere'\n"
    ));
}

#[test]
fn wrong_type() {
    insta::assert_snapshot!(validate("[gates.a]\nrun = 'true'\nretries = 'three'\n"));
}

#[test]
fn wrong_type_in_stage_map() {
    insta::assert_snapshot!(validate(
        "[settings]\nfail_fast = { staging = 'yes' }\n[gates.a]\nrun = 'true'\n"
    ));
}

#[test]
fn bad_duration() {
    insta::assert_snapshot!(validate(
        "[gates.a]\nrun = 'true'\ntimeout = 'ten minutes'\n"
    ));
}

#[test]
fn bad_regex() {
    insta::assert_snapshot!(validate(
        "[gates.a]\nrun = 'true'\n[gates.a.metrics.m]\nregex = '(unclosed'\n"
    ));
}

#[test]
fn bad_regex_in_a_secret_rule() {
    insta::assert_snapshot!(validate(
        "[gates.s]\nbuiltin = 'secrets'\nrules = [{ id = 'mine', regex = 'a{2,1}' }]\n"
    ));
}

#[test]
fn empty_input_glob() {
    insta::assert_snapshot!(validate("[gates.a]\nrun = 'true'\ninputs = ['  ']\n"));
}

#[test]
fn needs_cycle() {
    insta::assert_snapshot!(validate(
        "[gates.a]\nrun = 'true'\nneeds = ['b']\n[gates.b]\nrun = 'true'\nneeds = ['a']\n"
    ));
}

#[test]
fn needs_itself() {
    insta::assert_snapshot!(validate("[gates.a]\nrun = 'true'\nneeds = ['a']\n"));
}

#[test]
fn unknown_need() {
    insta::assert_snapshot!(validate(
        "[gates.lint]\nrun = 'true'\n[gates.a]\nrun = 'true'\nneeds = ['lnt']\n"
    ));
}

#[test]
fn run_and_builtin() {
    insta::assert_snapshot!(validate("[gates.a]\nrun = 'true'\nbuiltin = 'secrets'\n"));
}

#[test]
fn neither_run_nor_builtin() {
    insta::assert_snapshot!(validate("[gates.a]\ndescription = 'nothing'\n"));
}

#[test]
fn unknown_builtin() {
    insta::assert_snapshot!(validate("[gates.a]\nbuiltin = 'secret'\n"));
}

#[test]
fn builtin_option_on_a_command_gate() {
    insta::assert_snapshot!(validate("[gates.a]\nrun = 'true'\nmax_size = 100\n"));
}

#[test]
fn metric_without_a_source() {
    insta::assert_snapshot!(validate(
        "[gates.a]\nrun = 'true'\n[gates.a.metrics.m]\nmin = 1\n"
    ));
}

#[test]
fn metric_with_two_sources() {
    insta::assert_snapshot!(validate(
        "[gates.a]\nrun = 'true'\n[gates.a.metrics.m]\nregex = '(\\d+)'\nlcov = 'lcov.info'\n"
    ));
}

#[test]
fn range_of_a_percent() {
    insta::assert_snapshot!(validate(
        "[settings]\nmin_score = { staging = 120 }\n[gates.a]\nrun = 'true'\n"
    ));
}

#[test]
fn range_of_retries() {
    insta::assert_snapshot!(validate("[gates.a]\nrun = 'true'\nretries = 101\n"));
}

#[test]
fn range_of_weight() {
    insta::assert_snapshot!(validate("[gates.a]\nrun = 'true'\nweight = -1.5\n"));
}

#[test]
fn range_of_slots() {
    insta::assert_snapshot!(validate("[gates.a]\nrun = 'true'\nslots = 0\n"));
}

#[test]
fn range_of_jobs() {
    insta::assert_snapshot!(validate("[settings]\njobs = -1\n[gates.a]\nrun = 'true'\n"));
}

#[test]
fn range_of_history() {
    insta::assert_snapshot!(validate(
        "[settings]\nhistory = 0\n[gates.a]\nrun = 'true'\n"
    ));
}

#[test]
fn range_of_entropy() {
    insta::assert_snapshot!(validate(
        "[gates.s]\nbuiltin = 'secrets'\nrules = [{ id = 'mine', regex = 'k(?P<secret>.+)', entropy = 9 }]\n"
    ));
}

#[test]
fn range_of_exit_codes() {
    insta::assert_snapshot!(validate("[gates.a]\nrun = 'true'\nexit_codes = [0, 300]\n"));
}

#[test]
fn range_of_the_stage_count() {
    insta::assert_snapshot!(validate("stages = ['only']\n[gates.a]\nrun = 'true'\n"));
}

#[test]
fn invalid_input_glob() {
    insta::assert_snapshot!(validate(
        "[gates.a]\nrun = 'true'\ninputs = ['src/**', 'src/[a-']\n"
    ));
}

#[test]
fn invalid_input_glob_range() {
    insta::assert_snapshot!(validate(
        "[gates.a]\nrun = 'true'\ninputs = ['src/[z-a].rs']\n"
    ));
}

#[test]
fn invalid_input_glob_in_an_exclusion() {
    insta::assert_snapshot!(validate(
        "[gates.s]\nbuiltin = 'secrets'\ninputs = ['!{a,b']\n"
    ));
}

#[test]
fn invalid_junit_glob() {
    insta::assert_snapshot!(validate(
        "[gates.a]\nrun = 'true'\n[gates.a.metrics.pass]\njunit = 'reports/*.xml}'\n"
    ));
}

/// Before, `pqg check` ran with a bad glob: the command gate uncached, a
/// builtin over nothing under `--changed-since`. Now nothing runs.
#[test]
fn check_refuses_an_invalid_glob_before_running_anything() {
    let repo = TestRepo::new().gates(
        "[gates.s]\nbuiltin = 'secrets'\ninputs = ['src/[a-']\n[gates.t]\nrun = 'touch ran'\n",
    );
    repo.git(&["add", "."]);
    repo.git(&["commit", "-qm", "init"]);
    for args in [&["check"][..], &["check", "--changed-since", "HEAD"]] {
        let out = repo.pqg(args).output().expect("run pqg");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("gates.toml:3:11"), "{stderr}");
    }
    assert!(!repo.path().join("ran").exists(), "a gate ran");
}

#[test]
fn input_outside_the_folder() {
    insta::assert_snapshot!(validate(
        "[gates.a]\nrun = 'true'\ninputs = ['src/**', '../lib/**']\n"
    ));
}

#[test]
fn absolute_input() {
    insta::assert_snapshot!(validate("[gates.a]\nrun = 'true'\ninputs = ['/etc/**']\n"));
}

#[test]
fn input_with_dot_dot_inside_the_folder() {
    insta::assert_snapshot!(validate(
        "[gates.a]\nrun = 'true'\ninputs = ['src/../lib/*.rs']\n"
    ));
}

#[test]
fn cwd_outside_the_folder() {
    insta::assert_snapshot!(validate("[gates.a]\nrun = 'true'\ncwd = 'sub/../..'\n"));
}

#[test]
fn cwd_inside_the_folder_is_fine() {
    let repo = TestRepo::new()
        .gates("[gates.a]\nrun = 'test -f here'\ncwd = './sub/deeper/..'\n")
        .file("sub/here", "x\n")
        .file("sub/deeper/keep", "x\n");
    let out = repo.pqg(["check"]).output().expect("run pqg");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn warns_about_an_input_that_matches_no_file() {
    insta::assert_snapshot!(validate_warnings(
        "[gates.a]\nrun = 'true'\ninputs = ['src/**/*.rs', 'Cargo.lck', '!target/**']\n",
        &[("src/main.rs", "fn main() {}\n")],
    ));
}

#[test]
fn an_ignored_file_named_in_inputs_is_no_warning() {
    let stderr = validate_warnings(
        "[gates.a]\nrun = 'true'\ninputs = ['.env', 'build/*.txt']\n",
        &[
            (".gitignore", ".env\nbuild/\n"),
            (".env", "A=1\n"),
            ("build/out.txt", "x\n"),
        ],
    );
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn warns_about_min_above_max() {
    insta::assert_snapshot!(validate_warnings(
        "[gates.a]\nrun = 'true'\n[gates.a.metrics.m]\nregex = '(\\d+)'\nmin = { staging = 80 }\nmax = { entry = 90, production = 70 }\n",
        &[],
    ));
}

#[test]
fn min_above_max_below_the_gates_from_is_no_warning() {
    let stderr = validate_warnings(
        "[gates.a]\nrun = 'true'\nfrom = 'staging'\n[gates.a.metrics.m]\nregex = '(\\d+)'\nmin = { entry = 80, staging = 50 }\nmax = 60\n",
        &[],
    );
    assert!(!stderr.contains("no value can pass"), "{stderr}");
}

#[test]
fn warns_about_thresholds_no_value_can_pass() {
    insta::assert_snapshot!(validate_warnings(
        "[gates.cov]\nrun = 'true'\n[gates.cov.metrics.lines]\nlcov = 'lcov.info'\nmin = { production = 101 }\n\
         [gates.lint]\nrun = 'true'\n[gates.lint.metrics.warnings]\ncount = 'warning'\nmax = -1\n",
        &[],
    ));
}

#[test]
fn inputs_with_an_empty_or_dot_folder_name() {
    // `src//a` matched nothing in `check` (listed paths never hold `//`),
    // so the gate was cached blind to the file it reads.
    insta::assert_snapshot!(validate("[gates.a]\nrun = 'true'\ninputs = ['src//a']\n"));
}
