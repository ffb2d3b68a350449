//! Scale-out across CI machines: shards, merging their reports, and
//! carrying cache entries between machines, signed.

mod common;

use common::{copy_dir, gate, json, TestRepo};
use std::collections::BTreeSet;

const NINE: &str = r#"
[gates.build]
run = "true"
[gates.unit]
run = "true"
needs = ["build"]
[gates.e2e]
run = "true"
needs = ["unit"]
[gates.lint]
run = "true"
[gates.fmt]
run = "true"
[gates.docs]
run = "true"
[gates.audit]
run = "true"
[gates.bench]
run = "exit 1"
[gates.later]
run = "true"
from = "production"
"#;

fn ran(report: &serde_json::Value) -> BTreeSet<String> {
    report["gates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["status"] != "skipped")
        .map(|g| g["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn bad_shard_specs_are_usage_errors() {
    let repo = TestRepo::new().gates(NINE);
    for spec in [
        "0/3",
        "3/2",
        "1/0",
        "x",
        "1/",
        "-1/2",
        "1/1001",
        "1/18446744073709551615",
    ] {
        let out = repo
            .pqg(["check", &format!("--shard={spec}")])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{spec}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--shard"),
            "{spec}"
        );
    }
}

#[test]
fn shards_cover_every_gate_once_keep_needs_together_and_merge_to_the_full_verdict() {
    let repo = TestRepo::new().gates(NINE);
    let full = json(
        &repo
            .pqg(["check", "--format", "json", "--no-cache"])
            .output()
            .unwrap()
            .stdout,
    );
    // Each shard starts from the same history, as CI jobs that restore the
    // same cache folder do.
    let history = repo.path().join(".pqg");
    let saved = repo.path().join("saved-history");
    copy_dir(&history, &saved);
    let restore = || {
        std::fs::remove_dir_all(&history).unwrap();
        copy_dir(&saved, &history);
    };
    let mut seen = BTreeSet::new();
    let mut files = Vec::new();
    for k in 1..=3 {
        restore();
        let file = format!("shard{k}.json");
        let out = repo
            .pqg([
                "check",
                "--shard",
                &format!("{k}/3"),
                "--no-cache",
                "--format",
                "json",
                "--report",
                &format!("json={file}"),
            ])
            .output()
            .unwrap();
        let report = json(&out.stdout);
        assert_eq!(report["shard"], format!("{k}/3"));
        let here = ran(&report);
        assert!(
            seen.is_disjoint(&here),
            "shard {k} repeats a gate: {here:?}"
        );
        // A gate's needs travel with it.
        if here.contains("e2e") || here.contains("unit") || here.contains("build") {
            assert!(
                here.contains("e2e") && here.contains("unit") && here.contains("build"),
                "{here:?}"
            );
        }
        seen.extend(here);
        files.push(repo.path().join(file).display().to_string());
    }
    assert_eq!(
        seen,
        ran(&full),
        "the shards together run what a full run runs"
    );
    // The same deal from the same history.
    restore();
    let again = json(
        &repo
            .pqg(["check", "--shard", "2/3", "--no-cache", "--format", "json"])
            .output()
            .unwrap()
            .stdout,
    );
    let second: serde_json::Value = serde_json::from_str(&repo.read("shard2.json")).unwrap();
    assert_eq!(ran(&again), ran(&second));

    let mut args = vec!["merge".to_owned(), "--format".into(), "json".into()];
    args.extend(files.iter().cloned());
    let out = repo.pqg(&args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "bench fails: so does the merged verdict"
    );
    let merged = json(&out.stdout);
    assert_eq!(merged["outcome"], full["outcome"]);
    assert_eq!(merged["score"], full["score"]);
    assert_eq!(merged["counts"]["pass"], full["counts"]["pass"]);
    assert_eq!(merged["counts"]["skipped"], full["counts"]["skipped"]);
    let bench = gate(&merged, "bench");
    assert_eq!(bench["status"], "fail");

    // Two of three shards: a gate ran nowhere.
    let out = repo.pqg(["merge", &files[0], &files[1]]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ran in no shard"));
    // The same shard twice.
    let out = repo
        .pqg(["merge", &files[0], &files[0], &files[1], &files[2]])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ran in two shards"));
}

#[test]
fn merge_refuses_other_configs_other_stages_and_corrupt_files() {
    let repo = TestRepo::new().gates("[gates.a]\nrun = 'true'\n");
    let out = repo
        .pqg(["check", "--report", "json=a.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    repo.pqg([
        "check",
        "--stage",
        "production",
        "--report",
        "json=prod.json",
    ])
    .output()
    .unwrap();
    repo.write(
        "gates.toml",
        "[gates.a]\nrun = 'true'\n[gates.b]\nrun = 'true'\n",
    );
    repo.pqg(["check", "--report", "json=b.json"])
        .output()
        .unwrap();
    repo.write("corrupt.json", "{\"schema\": 1, \"gates\": [");
    repo.write("other.json", "{\"hello\": 1}");
    for (files, message) in [
        (vec!["a.json", "b.json"], "different configs"),
        (vec!["a.json", "prod.json"], "different stages"),
        (
            vec!["a.json", "corrupt.json"],
            "`corrupt.json` is not a pqg JSON report",
        ),
        (vec!["other.json"], "not a pqg JSON report"),
        (vec!["missing.json"], "cannot read `missing.json`"),
    ] {
        let out = repo
            .pqg(std::iter::once("merge").chain(files.iter().copied()))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{files:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(message),
            "{files:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = repo
        .pqg(["merge", "--stage", "staging", "a.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = repo.pqg(["merge", "a.json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
}

const CACHED: &str =
    "[gates.ok]\nrun = 'cat a.txt'\n[gates.bad]\nrun = 'exit 1'\ncache_failures = true\n";

fn cached_names(report: &serde_json::Value) -> BTreeSet<String> {
    report["gates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["cached"] == true)
        .map(|g| g["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn cache_export_and_import_carry_results_between_machines() {
    let a = TestRepo::new().gates(CACHED).file("a.txt", "same\n");
    a.pqg(["check"]).output().unwrap();
    let out = a.pqg(["cache", "export", "cache.export"]).output().unwrap();
    common::expect_code(&out, 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("exported 2"));

    let b = TestRepo::new().gates(CACHED).file("a.txt", "same\n");
    let export = a.path().join("cache.export");
    let out = b
        .pqg(["cache", "import", export.to_str().unwrap()])
        .output()
        .unwrap();
    common::expect_code(&out, 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 2"));
    let report = json(
        &b.pqg(["check", "--format", "json"])
            .output()
            .unwrap()
            .stdout,
    );
    assert_eq!(
        cached_names(&report),
        BTreeSet::from(["ok".to_owned(), "bad".to_owned()])
    );
    // Again: nothing new; entries here are as new or newer.
    let out = b
        .pqg(["cache", "import", export.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("imported 0"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // Entries made here after the export are newer: an import keeps them.
    let d = TestRepo::new().gates(CACHED).file("a.txt", "same\n");
    d.pqg(["check"]).output().unwrap();
    let out = d
        .pqg(["cache", "import", export.to_str().unwrap()])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("imported 0") && said.contains("2 already here"),
        "{said}"
    );

    // Different inputs: the imported entries are no hits.
    let c = TestRepo::new().gates(CACHED).file("a.txt", "other\n");
    c.pqg(["cache", "import", export.to_str().unwrap()])
        .output()
        .unwrap();
    let report = json(
        &c.pqg(["check", "--format", "json"])
            .output()
            .unwrap()
            .stdout,
    );
    assert!(cached_names(&report).is_empty(), "{report}");

    // An export from an incompatible version is refused with a clear error.
    let text = a
        .read("cache.export")
        .replacen("\"version\":1", "\"version\":99", 1);
    a.write("future.export", &text);
    let out = b
        .pqg([
            "cache",
            "import",
            a.path().join("future.export").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("incompatible"));
    a.write("junk.export", "not json");
    let out = b
        .pqg([
            "cache",
            "import",
            a.path().join("junk.export").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a pqg cache export"));
}

#[test]
fn a_signing_key_refuses_unsigned_and_forged_entries() {
    const KEY: &str = "correct horse battery staple";
    let a = TestRepo::new().gates(CACHED).file("a.txt", "same\n");
    a.pqg(["check"]).output().unwrap();
    let out = a
        .pqg(["cache", "export", "signed.export"])
        .env("PQG_CACHE_SIGNING_KEY", KEY)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("(signed)"));
    a.pqg(["cache", "export", "unsigned.export"])
        .output()
        .unwrap();

    let import = |repo: &TestRepo, file: &str, key: Option<&str>| {
        let mut cmd = repo.pqg(["cache", "import", a.path().join(file).to_str().unwrap()]);
        if let Some(k) = key {
            cmd.env("PQG_CACHE_SIGNING_KEY", k);
        }
        cmd.output().unwrap()
    };
    let b = TestRepo::new().gates(CACHED).file("a.txt", "same\n");
    // Unsigned, with a key set: refused, nothing imported.
    let out = import(&b, "unsigned.export", Some(KEY));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not signed"));
    // Signed with another key: refused.
    let out = import(&b, "signed.export", Some("another key"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not signed with this PQG_CACHE_SIGNING_KEY")
    );

    // A forged "pass": the failing gate's stored exit code turned to 0, the
    // signature left as it was.
    let text = a.read("signed.export");
    let export: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut forged = export.clone();
    for e in forged["entries"].as_array_mut().unwrap() {
        if e["gate"] == "bad" {
            let payload = e["payload"]
                .as_str()
                .unwrap()
                .replace("{\"Exited\":1}", "{\"Exited\":0}");
            assert_ne!(
                payload,
                e["payload"].as_str().unwrap(),
                "the forgery changed something"
            );
            e["payload"] = serde_json::Value::String(payload);
        }
    }
    a.write("forged.export", &forged.to_string());
    let out = import(&b, "forged.export", Some(KEY));
    assert_eq!(out.status.code(), Some(2), "the forged pass was accepted");
    let report = json(
        &b.pqg(["check", "--format", "json"])
            .output()
            .unwrap()
            .stdout,
    );
    let bad = gate(&report, "bad");
    assert_eq!(bad["status"], "fail");
    assert_eq!(bad["cached"], false);

    // An entry moved to other inputs (its key no longer the hash of its
    // parts) is refused even without a key.
    let mut moved = export.clone();
    let key0 = moved["entries"][0]["key"].as_str().unwrap().to_owned();
    let mut flipped = key0.clone();
    flipped.replace_range(0..1, if key0.starts_with('0') { "1" } else { "0" });
    moved["entries"][0]["key"] = serde_json::Value::String(flipped);
    a.write("moved.export", &moved.to_string());
    let c = TestRepo::new().gates(CACHED).file("a.txt", "same\n");
    let out = import(&c, "moved.export", None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not the hash of its key parts"));

    // --require-signature without a key (an empty CI secret): refused.
    let unsigned = a.path().join("unsigned.export");
    let out = b
        .pqg([
            "cache",
            "import",
            "--require-signature",
            unsigned.to_str().unwrap(),
        ])
        .env("PQG_CACHE_SIGNING_KEY", "")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--require-signature"));
    // Without a key, unsigned entries come in with a warning.
    let warned = TestRepo::new().gates(CACHED).file("a.txt", "same\n");
    let out = import(&warned, "unsigned.export", None);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsigned"));

    // The genuine signed export, with the key: imported and used.
    let out = import(&b, "signed.export", Some(KEY));
    common::expect_code(&out, 0);
    let report = json(
        &b.pqg(["check", "--format", "json"])
            .output()
            .unwrap()
            .stdout,
    );
    assert!(cached_names(&report).contains("ok"));
}
