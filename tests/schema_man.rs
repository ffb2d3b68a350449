//! `pqg schema` checks real configs the way an editor would, and stays in
//! sync with the committed docs/gates.schema.json; `pqg man` renders.
//! Regenerate the committed schema with `PQG_BLESS=1 cargo test --test schema_man`.

mod common;

use common::TestRepo;
use std::path::Path;

fn schema() -> serde_json::Value {
    let out = TestRepo::new().pqg(["schema"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn as_json(toml_text: &str) -> serde_json::Value {
    let value: toml::Value = toml::from_str(toml_text).unwrap();
    serde_json::to_value(value).unwrap()
}

#[test]
fn the_schema_accepts_real_configs_and_rejects_mistakes() {
    let schema = schema();
    let validator = jsonschema::validator_for(&schema).expect("a valid draft-07 schema");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in ["gates.toml", "gates.example.toml"] {
        let config = as_json(&std::fs::read_to_string(root.join(file)).unwrap());
        let errors: Vec<String> = validator
            .iter_errors(&config)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{file}: {errors:#?}");
    }
    for bad in [
        "[gates.a]\nrun = 'x'\ntimeoutt = '5m'\n",
        "[gates.a]\nrun = 'x'\ntimeout = 'soon'\n",
        "[gates.a]\nbuiltin = 'secretz'\n",
        "[gates.a]\nrun = 'x'\n[gates.a.metrics.m]\nregex = 'x'\nmin = { staging = 'high' }\n",
        "[settings]\njobs = -1\n",
        "[gates.a]\nrun = 'x'\n[gates.a.metrics.m]\nsarif = 'x'\nseverity = 'severe'\n",
    ] {
        assert!(!validator.is_valid(&as_json(bad)), "accepted: {bad}");
    }
}

#[test]
fn the_committed_schema_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/gates.schema.json");
    let text = format!("{}\n", serde_json::to_string_pretty(&schema()).unwrap());
    if std::env::var_os("PQG_BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap_or_default(),
        text,
        "docs/gates.schema.json is stale: PQG_BLESS=1 cargo test --test schema_man"
    );
}

#[test]
fn the_man_page_renders_every_command() {
    let out = TestRepo::new().pqg(["man"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(".ie") || text.contains(".TH pqg"),
        "{}",
        &text[..200.min(text.len())]
    );
    for command in ["check", "ladder", "baseline", "hook", "init", "schema"] {
        assert!(text.contains(command), "{command}");
    }
}
