//! gates.example.toml is documentation that must stay true: it loads with
//! no warning, uses every gate key, and every stage lists cleanly.

mod common;
use common::TestRepo;

#[test]
fn the_example_config_validates_without_warnings() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("gates.example.toml");
    let repo = TestRepo::new();
    let out = repo
        .pqg(["validate", "--config"])
        .arg(&example)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&example).unwrap();
    for key in [
        "description",
        "run",
        "from",
        "enforce_from",
        "needs",
        "inputs",
        "env",
        "key_commands",
        "cache",
        "cache_ttl",
        "cache_failures",
        "timeout",
        "retries",
        "exit_codes",
        "cwd",
        "weight",
        "slots",
        "regex",
        "count",
        "json",
        "file",
        "duration",
        "min",
        "max",
        "better",
        "unit",
        "default_stage",
        "jobs",
        "cache_dir",
        "min_score",
        "fail_fast",
        "redact",
        "history",
        "builtin",
        "allow",
        "rules",
        "max_size",
        "patterns",
        "lcov",
        "cobertura",
        "junit",
        "field",
        "sarif",
        "severity",
        "level",
        "file_size",
        "max_regression",
    ] {
        assert!(
            text.contains(&format!("\n{key} = ")),
            "gates.example.toml does not show `{key}`"
        );
    }
    for stage in ["entry", "development", "staging", "production", "critical"] {
        repo.pqg(["list", "--stage", stage, "--config"])
            .arg(&example)
            .assert()
            .success();
    }
}
