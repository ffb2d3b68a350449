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
