//! Every finding located, everywhere (issue 15, item 4): what a `sarif`
//! metric counted is listed where it is, in the table under the gate's
//! output, in Markdown, as GitHub annotations, in the merged SARIF log and
//! in the JSON report, from a fresh run, a cached one and merged shards.

mod common;

use common::{expect_code, gate, json, TestRepo};
use serde_json::{json as j, Value};

/// One SARIF result: URI (none: no location), line, column, rule, message.
type Res<'a> = (Option<&'a str>, u32, u32, &'a str, &'a str);

/// A SARIF log of one run of `tool`, its rules named by the results.
fn log(tool: &str, version: &str, results: &[Res<'_>]) -> String {
    let mut rules: Vec<&str> = results.iter().map(|r| r.3).collect();
    rules.sort_unstable();
    rules.dedup();
    let rules: Vec<Value> = rules
        .iter()
        .map(|id| {
            j!({"id": id, "shortDescription": {"text": format!("rule {id}")},
                "helpUri": format!("https://example.com/rules/{id}")})
        })
        .collect();
    let results: Vec<Value> = results
        .iter()
        .map(|&(uri, line, col, rule, message)| {
            let mut r = j!({"ruleId": rule, "level": "error", "message": {"text": message}});
            if let Some(uri) = uri {
                r["locations"] = j!([{"physicalLocation": {
                    "artifactLocation": {"uri": uri},
                    "region": {"startLine": line, "startColumn": col}}}]);
            }
            r
        })
        .collect();
    j!({"version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": tool, "version": version,
                            "informationUri": format!("https://example.com/{tool}"),
                            "rules": rules}},
        "results": results}]})
    .to_string()
}

/// A gate `lint` that "writes" `fixture/ruff.sarif` as its report, and
/// counts it with `max = 0`.
const LINT: &str = r#"
[gates.lint]
run = "mkdir -p .reports && cp fixture/ruff.sarif .reports/ruff.sarif"
inputs = ["fixture/**"]
[gates.lint.metrics.findings]
sarif = ".reports/ruff.sarif"
max = 0
"#;

/// 21 results in the project (the first with a message full of control
/// characters), one with no location, one outside the project.
fn many(repo: &TestRepo) -> String {
    let absolute = format!("file://{}/src/b.py", repo.path().display());
    let mut results: Vec<Res<'_>> = vec![(
        Some("src/a.py"),
        1,
        1,
        "F401",
        "`os`\x1b[31m imported\r\nbut unused\x07",
    )];
    for line in 2..=20 {
        results.push((Some("src/a.py"), line, 5, "E501", "line too long"));
    }
    results.push((Some(absolute.as_str()), 7, 3, "F821", "Undefined name `x`"));
    results.push((None, 0, 0, "E902", "cannot read a file"));
    results.push((Some("file:///etc/passwd"), 1, 1, "E902", "outside"));
    log("ruff", "0.5.0", &results)
}

/// What `out` printed on stdout, once it exited with `code`.
fn stdout(out: &std::process::Output, code: i32) -> String {
    expect_code(out, code);
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn settings(repo: &TestRepo) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(&regex::escape(&repo.path().display().to_string()), "[REPO]");
    s.add_filter(r"\d+\.\d s", "[T]");
    s
}

#[test]
fn the_table_lists_each_finding_under_the_gate_at_most_twenty() {
    let repo = TestRepo::new().gates(LINT);
    repo.write("fixture/ruff.sarif", &many(&repo));
    let out = repo.pqg(["check"]).output().unwrap();
    let text = stdout(&out, 1);
    assert!(!text.contains('\x1b') && !text.contains('\x07') && !text.contains('\r'));
    settings(&repo).bind(|| insta::assert_snapshot!(text));
    // A cached result lists the same findings.
    let again = repo.pqg(["check"]).output().unwrap();
    let cached = stdout(&again, 1);
    assert!(cached.contains("fail (cached)"), "{cached}");
    let listed = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.starts_with("  "))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(listed(&cached), listed(&text));
}

#[test]
fn markdown_lists_the_findings_of_a_failing_gate() {
    let repo = TestRepo::new().gates(LINT);
    repo.write("fixture/ruff.sarif", &many(&repo));
    let out = repo
        .pqg(["check", "--format", "markdown"])
        .output()
        .unwrap();
    let text = stdout(&out, 1);
    settings(&repo).bind(|| insta::assert_snapshot!(text));
}

#[test]
fn messages_cannot_inject_markdown_or_workflow_commands() {
    let hostile = "<img src=x> [link](https://evil) **bold** `a|b` `unclosed";
    let repo = TestRepo::new().gates(LINT);
    repo.write(
        "fixture/ruff.sarif",
        &log(
            "ruff",
            "1",
            &[
                (Some("src/a.py"), 1, 1, "R`1", hostile),
                (
                    Some("src/a.py"),
                    2,
                    1,
                    "R2",
                    "x\n::error file=forged.py::forged\r::stop-commands::t",
                ),
            ],
        ),
    );
    let out = repo
        .pqg(["check", "--format", "markdown"])
        .output()
        .unwrap();
    let md = stdout(&out, 1);
    let line = md.lines().find(|l| l.contains("img")).unwrap();
    assert_eq!(
        line,
        r"- `src/a.py:1:1` ``R`1`` \<img src=x\> \[link\](https://evil) \*\*bold\*\* `a|b` \`unclosed"
    );
    let out = repo
        .pqg(["check", "--format", "json"])
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    for line in err.lines() {
        assert!(!line.starts_with("::error file=forged"), "{line}");
        assert!(!line.starts_with("::stop-commands"), "{line}");
    }
    assert!(err.contains(
        "::error file=src/a.py,line=2,col=1,title=lint/findings%3A R2::x ::error file=forged.py::forged::stop-commands::t"
    ), "{err}");
}

#[test]
fn github_annotations_mark_each_finding_and_say_how_many_are_left_out() {
    let mut results: Vec<Res<'_>> = Vec::new();
    let files: Vec<String> = (0..60).map(|i| format!("src/m{i}.py")).collect();
    for (i, f) in files.iter().enumerate() {
        results.push((
            Some(f.as_str()),
            i as u32 + 1,
            2,
            "F401",
            "unused, import: 100%",
        ));
    }
    results.push((None, 0, 0, "E902", "nowhere"));
    let repo = TestRepo::new().gates(LINT);
    repo.write("fixture/ruff.sarif", &log("ruff", "0.5.0", &results));
    // Beside a machine format on stdout, annotations go to stderr.
    let out = repo
        .pqg(["check", "--format", "json"])
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    json(&out.stdout);
    let err = String::from_utf8(out.stderr).unwrap();
    let marks: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("::error file="))
        .collect();
    assert_eq!(marks.len(), 50, "{err}");
    assert_eq!(
        marks[0],
        "::error file=src/m0.py,line=1,col=2,title=lint/findings%3A F401::unused, import: 100%25"
    );
    assert!(marks[49].starts_with("::error file=src/m49.py,line=50,col=2,"));
    let note = err
        .lines()
        .find(|l| l.starts_with("::notice title=pqg lint::"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        note.contains("10 more results are not annotated")
            && note.contains("--format sarif) lists every one that names a place"),
        "{note}"
    );
    // The gate's own annotation is there too.
    assert!(
        err.contains("::error title=pqg lint (entry)::fail: findings 61 > 0"),
        "{err}"
    );
}

/// The published SARIF 2.1.0 schema, as tests/builtins.rs reads it.
fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sarif-schema-2.1.0.json"
    ))
    .unwrap()
    .replace(
        "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$",
        "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}$",
    );
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

const TWO_TOOLS: &str = r#"
[gates.lint]
run = "mkdir -p .reports && cp fixture/ruff.sarif .reports/ruff.sarif"
inputs = ["fixture/**"]
[gates.lint.metrics.findings]
sarif = ".reports/ruff.sarif"
max = 0
[gates.lint.metrics.errors]
sarif = ".reports/ruff.sarif"
level = "error"

[gates.js]
run = "mkdir -p .reports && cp fixture/eslint.sarif .reports/eslint.sarif"
inputs = ["fixture/**"]
[gates.js.metrics.problems]
sarif = ".reports/eslint.sarif"

[gates.secrets]
builtin = "secrets"
inputs = ["src/**"]
"#;

fn two_tools() -> TestRepo {
    let repo = TestRepo::new().gates(TWO_TOOLS).file(
        "src/config.py",
        "token = 'ghp_R8xWq2ZtY5nB7vK3mP9sD4fG6hJ1lA0cE2uI'\n", // pqg:allow
    );
    repo.write(
        "fixture/ruff.sarif",
        &log(
            "ruff",
            "0.5.0",
            &[
                (Some("src/a b.py"), 3, 8, "F401", "`os` imported but unused"),
                (Some("src/c.py"), 1, 1, "E711", "comparison to None"),
                (None, 0, 0, "E902", "nowhere"),
            ],
        ),
    );
    repo.write(
        "fixture/eslint.sarif",
        &log(
            "ESLint",
            "9.0.0",
            &[(Some("web/app.js"), 10, 4, "no-undef", "'x' is not defined")],
        ),
    );
    repo
}

#[test]
fn sarif_merges_every_tools_findings_with_the_builtins() {
    let repo = two_tools();
    let out = repo.pqg(["check", "--format", "sarif"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let sarif = json(&out.stdout);
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{sarif:#}");
    let runs = sarif["runs"].as_array().unwrap();
    let names: Vec<&str> = runs
        .iter()
        .map(|r| r["tool"]["driver"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["pqg", "ruff", "ESLint"]);
    assert_eq!(runs[0]["results"][0]["ruleId"], "secrets/github-pat");
    let ruff = &runs[1];
    assert_eq!(ruff["tool"]["driver"]["version"], "0.5.0");
    assert_eq!(
        ruff["tool"]["driver"]["informationUri"],
        "https://example.com/ruff"
    );
    // Two metrics counted the same results: each is in the log once; the
    // one with no place is left out, and said so.
    let results = ruff["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{ruff:#}");
    let rules = ruff["tool"]["driver"]["rules"].as_array().unwrap();
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
        assert!(rules[i]["shortDescription"]["text"].is_string());
    }
    assert_eq!(results[0]["ruleId"], "F401");
    assert_eq!(results[0]["level"], "error");
    let place = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(place["artifactLocation"]["uri"], "src/a%20b.py");
    assert_eq!(place["artifactLocation"]["uriBaseId"], "SRCROOT");
    assert_eq!(place["region"], j!({"startLine": 3, "startColumn": 8}));
    assert_eq!(
        ruff["properties"]["pqgSources"],
        j!([{"gate": "lint", "metric": "findings", "unlocated": 1, "notKept": 0},
            {"gate": "lint", "metric": "errors", "unlocated": 1, "notKept": 0}])
    );
    assert_eq!(runs[2]["results"][0]["ruleId"], "no-undef");
}

#[test]
fn json_reports_carry_the_findings_and_merged_shards_keep_them() {
    let repo = two_tools();
    let report = repo.check_json(&[]);
    let found = &gate(&report, "lint")["metrics"][0]["findings"];
    assert_eq!(found["unlocated"], 1);
    assert_eq!(found["omitted"], 0);
    assert_eq!(found["tools"][0]["name"], "ruff");
    assert_eq!(
        found["items"][0],
        j!({"tool": 0, "rule": "F401", "level": "error",
            "message": "`os` imported but unused", "uri": "src/a b.py",
            "path": "src/a b.py", "line": 3, "column": 8})
    );
    assert_eq!(found["items"][2]["path"], Value::Null);
    assert!(found.get("lines").is_none(), "{found:#}");
    // Metrics of other sources carry none.
    assert!(gate(&report, "secrets")["metrics"][0]
        .get("findings")
        .is_none());

    let mut files = Vec::new();
    for k in 1..=2 {
        let file = format!("shard{k}.json");
        let out = repo
            .pqg([
                "check",
                "--shard",
                &format!("{k}/2"),
                "--report",
                &format!("json={file}"),
            ])
            .output()
            .unwrap();
        assert!(out.status.code().is_some());
        files.push(file);
    }
    let mut args = vec!["merge", "--format", "json"];
    args.extend(files.iter().map(String::as_str));
    let merged = json(&repo.pqg(&args).output().unwrap().stdout);
    assert_eq!(gate(&merged, "lint")["metrics"][0]["findings"], *found);
    assert_eq!(
        gate(&merged, "js")["metrics"][0]["findings"]["items"][0]["rule"],
        "no-undef"
    );
    args[2] = "sarif";
    let sarif = json(&repo.pqg(&args).output().unwrap().stdout);
    let names: Vec<&str> = sarif["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["tool"]["driver"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["pqg", "ruff", "ESLint"]);
}

#[test]
fn a_secret_in_a_finding_is_masked_fresh_and_cached() {
    let secret = "hunter2-hunter2-value"; // pqg:allow
    let repo = TestRepo::new().gates(LINT);
    repo.write(
        "fixture/ruff.sarif",
        &log(
            "ruff",
            "1",
            &[(
                Some(&format!("src/{secret}.py")),
                1,
                1,
                "S105",
                &format!("hardcoded password: {secret}"),
            )],
        ),
    );
    // Stored without the secret known; shown from the cache with it.
    let first = repo.check_json(&[]);
    let item = &gate(&first, "lint")["metrics"][0]["findings"]["items"][0];
    assert_eq!(item["path"], format!("src/{secret}.py"));
    for format in ["json", "table", "markdown", "sarif"] {
        let out = repo
            .pqg(["check", "--format", format])
            .env("DEPLOY_TOKEN", secret)
            .env("GITHUB_ACTIONS", "true")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains(secret), "{format}: {all}");
        assert!(all.contains("********"), "{format}: {all}");
    }
    for (extra, cached) in [(None, true), (Some("--no-cache"), false)] {
        let mut args = vec!["check", "--format", "json"];
        args.extend(extra);
        let report = json(
            &repo
                .pqg(&args)
                .env("DEPLOY_TOKEN", secret)
                .output()
                .unwrap()
                .stdout,
        );
        assert_eq!(gate(&report, "lint")["cached"], cached);
        let item = &gate(&report, "lint")["metrics"][0]["findings"]["items"][0];
        assert_eq!(item["message"], "hardcoded password: ********");
        assert_eq!(item["path"], "src/********.py");
        assert_eq!(item["uri"], "src/********.py");
    }
}

#[test]
fn relative_uris_are_read_from_the_gates_folder_and_shown_from_the_root() {
    let repo = TestRepo::new().gates(
        r#"
[gates.lint]
cwd = "sub"
run = "cp ../fixture/ruff.sarif out.sarif"
inputs = ["fixture/**"]
[gates.lint.metrics.findings]
sarif = "out.sarif"
"#,
    );
    std::fs::create_dir_all(repo.path().join("sub")).unwrap();
    repo.write(
        "fixture/ruff.sarif",
        &log(
            "ruff",
            "1",
            &[
                (Some("x.py"), 1, 1, "A", "in sub"),
                (Some("../top.py"), 2, 1, "B", "at the root"),
                (Some("../../elsewhere.py"), 3, 1, "C", "outside"),
            ],
        ),
    );
    let report = repo.check_json(&[]);
    let found = &gate(&report, "lint")["metrics"][0]["findings"];
    let paths: Vec<&Value> = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["path"])
        .collect();
    assert_eq!(paths, [&j!("sub/x.py"), &j!("top.py"), &Value::Null]);
    assert_eq!(found["unlocated"], 1);
    assert_eq!(gate(&report, "lint")["metrics"][0]["value"], 3.0);
}

#[test]
fn a_warning_gate_lists_its_findings_and_a_passing_one_does_not() {
    let repo = TestRepo::new().gates(
        r#"
[gates.warned]
run = "cp fixture/ruff.sarif a.sarif"
inputs = ["fixture/**"]
enforce_from = "production"
[gates.warned.metrics.n]
sarif = "a.sarif"
max = 0

[gates.passing]
run = "cp fixture/ruff.sarif b.sarif"
inputs = ["fixture/**"]
[gates.passing.metrics.n]
sarif = "b.sarif"
max = 10
"#,
    );
    repo.write(
        "fixture/ruff.sarif",
        &log(
            "",
            "1",
            &[
                (Some("src/a.py"), 4, 2, "F401", "unused"),
                (Some("file:///etc/passwd"), 1, 1, "X1", "elsewhere"),
            ],
        ),
    );
    let out = repo
        .pqg(["check", "--stage", "development"])
        .output()
        .unwrap();
    let text = stdout(&out, 0);
    assert!(text.contains("── warned · warn ──"), "{text}");
    assert!(!text.contains("── passing"), "{text}");
    let listed: Vec<&str> = text.lines().filter(|l| l.starts_with("  ")).collect();
    assert_eq!(
        listed,
        [
            "  src/a.py:4:2  F401  unused",
            "  file:///etc/passwd:1:1 (outside the project)  X1  elsewhere",
            "  1 of the findings name no place in the project",
        ]
    );
    // A tool without a name is still a run code scanning can file.
    let sarif = json(
        &repo
            .pqg(["check", "--stage", "development", "--format", "sarif"])
            .output()
            .unwrap()
            .stdout,
    );
    assert_eq!(sarif["runs"][1]["tool"]["driver"]["name"], "unnamed tool");
    assert_eq!(sarif["runs"][1]["results"].as_array().unwrap().len(), 1);
}

/// A gate `scan` that writes `log` (JSON) as `x.sarif` and counts it with
/// `max = 0`; `extra` adds metrics or keys.
fn scan(repo: &TestRepo, log: &Value, extra: &str) {
    repo.write("fixture/x.sarif", &log.to_string());
    repo.write(
        "gates.toml",
        &format!(
            r#"
[gates.scan]
run = "cp fixture/x.sarif x.sarif"
inputs = ["fixture/**"]
[gates.scan.metrics.findings]
sarif = "x.sarif"
max = 0
{extra}"#
        ),
    );
}

/// The run of `tool` in a merged SARIF log, validated against the schema.
fn run_of(out: &std::process::Output, tool: &str) -> Value {
    let sarif = json(&out.stdout);
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{sarif:#}");
    sarif["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["tool"]["driver"]["name"] == tool)
        .unwrap_or_else(|| panic!("no run of {tool}: {sarif:#}"))
        .clone()
}

#[test]
fn the_merged_sarif_keeps_what_code_scanning_reads_of_rules_and_results() {
    let repo = TestRepo::new().file("a.txt", "a\nb\n");
    let rule = j!({
        "id": "CVE-1", "name": "OldPkg",
        "shortDescription": {"text": "vulnerable package"},
        "fullDescription": {"text": "a long story"},
        "help": {"text": "upgrade", "markdown": "**upgrade**"},
        "helpUri": "https://example.com/CVE-1",
        "defaultConfiguration": {"level": "error"},
        "properties": {"security-severity": "9.8", "tags": ["security", "CRITICAL"],
                       "precision": "very-high"}});
    let result = j!({
        "ruleId": "CVE-1", "ruleIndex": 0, "message": {"text": "bad pkg"},
        "partialFingerprints": {"primaryLocationLineHash": "abc123:1"},
        "fingerprints": {"trivy/v1": "f00"},
        "properties": {"security-severity": "9.8"},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.txt"},
            "region": {"startLine": 1, "startColumn": 2, "endLine": 2, "endColumn": 3,
                       "snippet": {"text": "a\nb"}}}}]});
    scan(
        &repo,
        &j!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "trivy", "rules": [rule]}},
            "results": [result]}]}),
        "",
    );
    let out = repo.pqg(["check", "--format", "sarif"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let run = run_of(&out, "trivy");
    let written = &run["tool"]["driver"]["rules"][0];
    for key in [
        "name",
        "shortDescription",
        "fullDescription",
        "help",
        "helpUri",
        "defaultConfiguration",
        "properties",
    ] {
        assert_eq!(written[key], rule[key], "{key}: {run:#}");
    }
    let r = &run["results"][0];
    assert_eq!(r["partialFingerprints"], result["partialFingerprints"]);
    assert_eq!(r["fingerprints"], result["fingerprints"]);
    assert_eq!(r["properties"]["security-severity"], "9.8");
    assert_eq!(r["properties"]["pqgGate"], "scan");
    assert_eq!(
        r["locations"][0]["physicalLocation"]["region"],
        result["locations"][0]["physicalLocation"]["region"]
    );
    // The same from the cache.
    let cached = repo.pqg(["check", "--format", "sarif"]).output().unwrap();
    assert_eq!(run_of(&cached, "trivy"), run);
}

#[test]
fn results_past_the_kept_ones_are_merged_with_their_rule_and_place() {
    let repo = TestRepo::new().file("a.py", "a=1\nb=2\nc=3\n");
    let n = 5_010;
    let results: Vec<Value> = (0..n)
        .map(|i| {
            let (rule, line) = if i < 5_000 { ("R1", 1) } else { ("R2", 3) };
            j!({"ruleId": rule, "message": {"text": format!("m{i}")},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.py"},
                    "region": {"startLine": line, "startColumn": 1 + i % 7}}}]})
        })
        .collect();
    let rules = j!([{"id": "R1"}, {"id": "R2", "shortDescription": {"text": "rule two"},
                     "defaultConfiguration": {"level": "note"}}]);
    scan(
        &repo,
        &j!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t", "rules": rules}},
            "results": results}]}),
        "",
    );
    let out = repo.pqg(["check", "--format", "sarif"]).output().unwrap();
    let run = run_of(&out, "t");
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), n);
    let late: Vec<&Value> = results
        .iter()
        .filter(|r| r["locations"][0]["physicalLocation"]["region"]["startLine"] == 3)
        .collect();
    assert_eq!(late.len(), 10);
    assert_eq!(late[0]["ruleId"], "R2");
    assert_eq!(late[0]["level"], "note");
    assert_eq!(late[0]["message"]["text"], "rule two");
    // The JSON report holds them too, compactly, past the items.
    let out = repo.pqg(["check", "--format", "json"]).output().unwrap();
    let report = json(&out.stdout);
    let found = &report["gates"][0]["metrics"][0]["findings"];
    assert_eq!(found["items"].as_array().unwrap().len(), 5_000);
    assert_eq!(found["omitted"], 10);
    assert_eq!(found["lines"]["a.py"].as_array().unwrap().len(), 10);
}

#[test]
fn a_message_given_by_id_is_filled_in_from_the_message_strings() {
    let repo = TestRepo::new().file("a.txt", "a\nb\n");
    let at = |line: u32| {
        j!([{"physicalLocation": {"artifactLocation": {"uri": "a.txt"},
        "region": {"startLine": line}}}])
    };
    let rules =
        j!([{"id": "R", "messageStrings": {"m1": {"text": "templated {0} and {1} {{0}}"}}}]);
    scan(
        &repo,
        &j!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t", "rules": rules,
                "messageStrings": {"d": {"text": "from the driver: {0}"}}}},
            "results": [
                {"ruleId": "R", "message": {"id": "m1", "arguments": ["X", "Y"]}, "locations": at(1)},
                {"ruleId": "R", "message": {"id": "d", "arguments": ["Z"]}, "locations": at(2)},
                {"ruleId": "R", "message": {"id": "unknown"}, "locations": at(2)}]}]}),
        "",
    );
    let out = repo.pqg(["check"]).output().unwrap();
    let table = stdout(&out, 1);
    assert!(
        table.contains("a.txt:1  R  templated X and Y {0}"),
        "{table}"
    );
    assert!(table.contains("a.txt:2  R  from the driver: Z"), "{table}");
    assert!(table.contains("a.txt:2  R  unknown"), "{table}");
    let out = repo.pqg(["check", "--format", "sarif"]).output().unwrap();
    let run = run_of(&out, "t");
    assert_eq!(
        run["results"][0]["message"]["text"],
        "templated X and Y {0}"
    );
}

#[test]
fn an_artifact_index_names_the_file() {
    let repo = TestRepo::new().file("c.txt", "a\nb\n");
    scan(
        &repo,
        &j!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t"}},
            "results": [{"ruleId": "R", "message": {"text": "m"},
                "locations": [{"physicalLocation": {"artifactLocation": {"index": 1},
                    "region": {"startLine": 2}}}]}],
            "artifacts": [{"location": {"uri": "other.txt"}}, {"location": {"uri": "c.txt"}}]}]}),
        "",
    );
    let out = repo.pqg(["check"]).output().unwrap();
    let table = stdout(&out, 1);
    assert!(table.contains("c.txt:2  R  m"), "{table}");
    assert!(!table.contains("no place"), "{table}");
}

#[test]
fn a_uri_from_the_root_is_found_when_a_gate_runs_in_a_subfolder() {
    let repo = TestRepo::new()
        .file("app/src/m.py", "a\nb\n")
        .file("app/src/n.py", "a\n")
        .file("app/app/src/n.py", "shadow\n");
    let at = |uri: &str| {
        j!([{"physicalLocation": {"artifactLocation": {"uri": uri},
        "region": {"startLine": 1}}}])
    };
    repo.write(
        "fixture/x.sarif",
        &j!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t"}},
            "results": [
                {"ruleId": "R", "message": {"text": "from the root"}, "locations": at("app/src/m.py")},
                {"ruleId": "R", "message": {"text": "from the gate"}, "locations": at("src/n.py")},
                {"ruleId": "R", "message": {"text": "both"}, "locations": at("app/src/n.py")}]}]})
        .to_string(),
    );
    repo.write(
        "gates.toml",
        r#"
[gates.scan]
cwd = "app"
run = "cp ../fixture/x.sarif x.sarif"
inputs = ["fixture/**"]
[gates.scan.metrics.findings]
sarif = "x.sarif"
max = 0
"#,
    );
    let out = repo.pqg(["check"]).output().unwrap();
    let table = stdout(&out, 1);
    let listed = |item: &str| table.lines().any(|l| l.trim_start() == item);
    assert!(listed("app/src/m.py:1  R  from the root"), "{table}");
    assert!(listed("app/src/n.py:1  R  from the gate"), "{table}");
    // A file under the gate's folder wins.
    assert!(listed("app/app/src/n.py:1  R  both"), "{table}");
    assert!(!table.contains("no place"), "{table}");
}

#[test]
fn a_finding_two_metrics_count_is_annotated_once() {
    let repo = TestRepo::new().file("a.txt", "a\nb\n");
    scan(
        &repo,
        &j!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t"}},
            "results": [{"ruleId": "R", "level": "error", "message": {"text": "bad B"},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.txt"},
                    "region": {"startLine": 2}}}]}]}]}),
        "[gates.scan.metrics.errors]\nsarif = \"x.sarif\"\nlevel = \"error\"\nmax = 0\n",
    );
    let out = repo
        .pqg(["check", "--format", "json"])
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("fail: findings 1 > 0; errors 1 > 0"), "{err}");
    let marks: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("::error file=a.txt,line=2"))
        .collect();
    assert_eq!(marks.len(), 1, "{err}");
}
