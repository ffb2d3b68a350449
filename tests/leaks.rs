//! Secrets stay out of everything pqg shows or keeps (DESIGN §11), the
//! cache folder is private and ignored by git however it came to exist, the
//! cache subcommands work without a gates.toml, and gate names fit in file
//! names (issue 13, items 3, 7 and 8). The hostile review's findings too: a
//! secret split by escapes, overlapping secrets, a secret that is not
//! UTF-8 or is a file's name, stored output served after a value became a
//! secret, old logs in a shared cache folder, an export with no database.

mod common;

use common::{expect_code, TestRepo};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// A value no gate output holds by chance; its first and last five
/// characters are distinctive, so a fragment left by a cut shows.
const SECRET: &str = "Qx7vHeadPart-middle-of-the-secret-TailZ9";

/// Every report format that quotes gate output or metric messages.
const FORMATS: [&str; 7] = [
    "table", "json", "jsonl", "junit", "markdown", "github", "sarif",
];

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Asserts that no piece of `SECRET` of 5 bytes or more is in `bytes`.
fn assert_no_fragment(bytes: &[u8], what: &str) {
    let text = String::from_utf8_lossy(bytes);
    for len in [5, SECRET.len()] {
        for start in 0..=SECRET.len() - len {
            let piece = &SECRET[start..start + len];
            assert!(
                !text.contains(piece),
                "{what} holds `{piece}` of the secret:\n{}",
                text.lines()
                    .filter(|l| l.contains(piece))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
}

/// Runs `pqg check --format F` for every format (with `extra` args and
/// `API_TOKEN` set) and asserts that stdout and stderr hold no fragment.
fn check_every_format(repo: &TestRepo, extra: &[&str]) {
    for format in FORMATS {
        let mut args = vec!["check", "--no-cache", "--format", format];
        args.extend_from_slice(extra);
        let out = repo
            .pqg(&args)
            .env("API_TOKEN", SECRET)
            .output()
            .expect("run pqg");
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_no_fragment(&out.stdout, &format!("--format {format} stdout"));
        assert_no_fragment(&out.stderr, &format!("--format {format} stderr"));
    }
}

#[test]
fn kept_logs_are_masked_and_private() {
    let repo = TestRepo::new()
        .gates("[gates.leaky]\nrun = 'echo \"token is $API_TOKEN\"; echo \"again:$API_TOKEN.\"'\n");
    let out = repo
        .pqg(["check", "--keep-logs"])
        .env("API_TOKEN", SECRET)
        .output()
        .unwrap();
    expect_code(&out, 0);
    let logs = repo.path().join(".pqg/logs");
    assert_eq!(mode(&logs), 0o700);
    let runs: Vec<_> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(mode(&runs[0]), 0o700);
    let log = runs[0].join("leaky.log");
    assert_eq!(mode(&log), 0o600);
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(text, "token is ********\nagain:********.\n");
}

#[test]
fn an_unreadable_metric_quotes_no_secret_in_any_format() {
    let repo = TestRepo::new().gates(
        r#"
[gates.cov]
run = 'echo "coverage: n/a token=$API_TOKEN"'
[gates.cov.metrics.coverage]
regex = "coverage: (.*)"
min = 50
[gates.report]
run = 'printf "{\"total\": \"%s\"}" "$API_TOKEN" > report.json'
[gates.report.metrics.total]
json = "/total"
file = "report.json"
min = 1
"#,
    );
    // Without masking, the messages would quote the value.
    let out = repo
        .pqg(["check", "--no-cache", "--format", "json"])
        .env("API_TOKEN", SECRET)
        .output()
        .unwrap();
    let report = common::json(&out.stdout);
    let text = report.to_string();
    assert!(text.contains("token=********"), "{text}");
    check_every_format(&repo, &[]);
}

#[test]
fn a_secret_across_the_head_or_the_tail_cut_leaves_no_fragment() {
    // pqg keeps the first 8 KiB and the last 56 KiB. `head` prints the
    // secret from 5 bytes before the head cut; `tail` ends it 5 bytes
    // after the start of the tail, so each cut goes through the secret.
    let head_fill = 8 * 1024 - 5;
    let tail_fill = 56 * 1024 - 5;
    let repo = TestRepo::new().gates(&format!(
        r#"
[gates.head]
run = 'head -c {head_fill} /dev/zero | tr "\0" a; printf %s "$API_TOKEN"; head -c 200000 /dev/zero | tr "\0" b; exit 1'
[gates.tail]
run = 'head -c 200000 /dev/zero | tr "\0" a; printf %s "$API_TOKEN"; head -c {tail_fill} /dev/zero | tr "\0" b; exit 1'
"#,
    ));
    let out = repo
        .pqg(["check", "--no-cache", "--format", "json", "--keep-logs"])
        .env("API_TOKEN", SECRET)
        .output()
        .unwrap();
    expect_code(&out, 1);
    let report = common::json(&out.stdout);
    for gate in ["head", "tail"] {
        let output = common::gate(&report, gate)["output"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(output.contains("bytes omitted"), "{gate}: not cut");
        assert!(
            output.contains("****"),
            "{gate}: the mask is not at the cut"
        );
        assert_no_fragment(output.as_bytes(), gate);
    }
    check_every_format(&repo, &[]);
    for entry in std::fs::read_dir(repo.path().join(".pqg/logs")).unwrap() {
        for log in std::fs::read_dir(entry.unwrap().path()).unwrap() {
            let log = log.unwrap().path();
            let bytes = std::fs::read(&log).unwrap();
            assert_no_fragment(&bytes, &log.display().to_string());
            assert_eq!(
                bytes.windows(8).filter(|w| w == b"********").count(),
                1,
                "{}",
                log.display()
            );
        }
    }
}

/// Every file of the cache folder (the database, its WAL, logs) and an
/// export, scanned as bytes.
fn assert_cache_holds_no_secret(repo: &TestRepo, export: &Path) {
    let dir = repo.path().join(".pqg");
    let mut scanned = Vec::new();
    for entry in walk(&dir) {
        let bytes = std::fs::read(&entry).unwrap();
        assert_no_fragment(&bytes, &entry.display().to_string());
        scanned.push(entry.file_name().unwrap().to_string_lossy().into_owned());
    }
    assert!(scanned.iter().any(|n| n == "cache.db"), "{scanned:?}");
    assert!(scanned.iter().any(|n| n == "cache.db-wal"), "{scanned:?}");
    let bytes = std::fs::read(export).unwrap();
    assert!(bytes.len() > 100, "the export is empty");
    assert_no_fragment(&bytes, "the export");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn secrets_reach_neither_the_cache_nor_an_export_and_explain_names_the_change() {
    let repo = TestRepo::new().gates(
        r#"
[gates.deploy]
run = 'echo "using $API_TOKEN"; echo "coverage: n/a $API_TOKEN"'
env = ["API_TOKEN", "TARGET"]
key_commands = ['echo "key $API_TOKEN"']
cache_failures = true
[gates.deploy.metrics.coverage]
regex = "coverage: (.*)"
min = 50
[gates.tidy]
run = 'echo "$API_TOKEN" > /dev/null'
env = ["API_TOKEN"]
"#,
    );
    let out = repo
        .pqg(["check", "--keep-logs"])
        .env("API_TOKEN", SECRET)
        .env("TARGET", "staging")
        .output()
        .unwrap();
    expect_code(&out, 1);
    let export = repo.path().join("export.json");
    let out = repo
        .pqg(["cache", "export", "export.json"])
        .env("API_TOKEN", SECRET)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    expect_code(&out, 0);
    assert!(stdout.contains("exported 2 cached results"), "{stdout}");
    assert_cache_holds_no_secret(&repo, &export);

    // The values are kept as digests that still compare: explain names the
    // variable that changed, and shows no value of a secret.
    let out = repo
        .pqg(["explain", "tidy"])
        .env("API_TOKEN", format!("{SECRET}-rotated"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    expect_code(&out, 0);
    assert!(
        stdout.contains("env API_TOKEN: its value changed"),
        "{stdout}"
    );
    assert_no_fragment(&out.stdout, "explain");
    let out = repo
        .pqg(["explain", "deploy"])
        .env("API_TOKEN", SECRET)
        .env("TARGET", "production")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(stdout.contains("env TARGET: its value changed"), "{stdout}");
    assert!(!stdout.contains("env API_TOKEN: its value"), "{stdout}");
    assert_no_fragment(&out.stdout, "explain");
}

/// `git status --porcelain --ignored=no` lines naming the cache folder.
fn git_offers(repo: &TestRepo, folder: &str) -> Vec<String> {
    let out = common::git_command(repo.path())
        .args(["status", "--porcelain", "--untracked-files=all"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(folder))
        .map(str::to_owned)
        .collect()
}

#[test]
fn an_existing_cache_folder_is_secured_like_a_new_one() {
    let repo = TestRepo::new()
        .gates("[gates.ok]\nrun = 'echo fine'\n")
        .file(".pqg/logs/old-run/ok.log", "old\n");
    let dir = repo.path().join(".pqg");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(!git_offers(&repo, ".pqg").is_empty());
    expect_code(&repo.pqg(["check"]).output().unwrap(), 0);
    assert_eq!(mode(&dir), 0o700);
    assert!(
        git_offers(&repo, ".pqg").is_empty(),
        "{:?}",
        git_offers(&repo, ".pqg")
    );

    // One an older pqg made: open to all, and no .gitignore.
    std::fs::remove_file(dir.join(".gitignore")).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    expect_code(&repo.pqg(["check"]).output().unwrap(), 0);
    assert_eq!(mode(&dir), 0o700);
    assert!(git_offers(&repo, ".pqg").is_empty());
    // A .gitignore of the user's own is kept.
    std::fs::write(dir.join(".gitignore"), "cache.db*\nlogs/\n").unwrap();
    expect_code(&repo.pqg(["check"]).output().unwrap(), 0);
    assert_eq!(repo.read(".pqg/.gitignore"), "cache.db*\nlogs/\n");
}

#[test]
fn a_cache_folder_shared_with_other_files_is_left_as_it_is() {
    let repo = TestRepo::new()
        .gates("[settings]\ncache_dir = 'build'\n[gates.ok]\nrun = 'echo fine'\n")
        // Ignored: a cache folder may share only a folder whose files are
        // no inputs (one holding inputs is refused).
        .file(".gitignore", "build/\n")
        .file("build/notes.txt", "mine\n");
    let dir = repo.path().join("build");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    expect_code(&repo.pqg(["check", "--keep-logs"]).output().unwrap(), 0);
    assert_eq!(mode(&dir), 0o755, "a folder holding the user's files");
    assert!(!dir.join(".gitignore").exists());
    // pqg's own files in it are private all the same.
    assert_eq!(mode(&dir.join("cache.db")), 0o600);
    assert_eq!(mode(&dir.join("logs")), 0o700);
}

#[test]
fn cache_subcommands_work_without_a_config() {
    let repo = TestRepo::new().file("README.md", "# hello\n");
    expect_code(&repo.pqg(["check"]).output().unwrap(), 0);
    let run = |args: &[&str]| {
        let out = repo.pqg(args).output().unwrap();
        expect_code(&out, 0);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let stats = run(&["cache", "stats"]);
    assert!(stats.contains(".pqg/cache.db"), "{stats}");
    assert!(!stats.contains("entries    0 results"), "{stats}");
    assert!(run(&["cache", "export", "x.json"]).contains("exported"));
    assert!(run(&["cache", "prune", "--older-than", "30d"]).contains("removed 0"));
    assert!(run(&["cache", "clear"]).contains("removed"));
    assert!(run(&["cache", "import", "x.json"]).contains("imported"));
    assert!(run(&["cache", "stats"]).contains("entries"));
}

#[test]
fn a_gate_name_too_long_for_a_file_name_is_a_config_error() {
    let name = "n".repeat(129);
    let repo = TestRepo::new().gates(&format!(
        "[gates.ok]\nrun = 'true'\n[gates.{name}]\nrun = 'true'\n"
    ));
    let out = repo.pqg(["validate"]).output().unwrap();
    let stderr = expect_code(&out, 2);
    assert!(stderr.contains("gates.toml:3:"), "{stderr}");
    assert!(stderr.contains("129 bytes long, at most 128"), "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
    insta::assert_snapshot!(stderr.replace(&repo.path().display().to_string(), "[REPO]"));
}

#[test]
fn the_longest_gate_name_keeps_its_log_and_files_list() {
    let name = "n".repeat(128);
    let repo = TestRepo::new()
        .gates(&format!(
            "[gates.{name}]\nrun = 'tr \"\\0\" \"\\n\" < \"$PQG_FILES\"'\n"
        ))
        .file("a.txt", "a\n");
    repo.git(&["add", "."]);
    repo.git(&["commit", "-qm", "one"]);
    repo.write("a.txt", "b\n");
    let out = repo
        .pqg([
            "check",
            "--keep-logs",
            "--changed-since",
            "HEAD",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    expect_code(&out, 0);
    let report = common::json(&out.stdout);
    let output = common::gate(&report, &name)["output"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(output.contains("a.txt"), "{output}");
    let logs = walk(&repo.path().join(".pqg/logs"));
    assert_eq!(logs.len(), 1);
    assert_eq!(std::fs::read_to_string(&logs[0]).unwrap(), output);
}

/// `SECRET` cut in two after `Qx7vHeadPart-mid` by `between`, as printf
/// writes it.
fn split_secret(between: &str) -> String {
    let (a, b) = SECRET.split_at(16);
    format!("printf 'tok={a}{between}{b}\\n'; exit 1")
}

#[test]
fn a_secret_split_by_an_escape_or_a_control_character_is_masked_in_every_format() {
    // Every format that strips escapes and controls would join the two
    // halves again; the JSON ones keep the exact output.
    for (name, between) in [
        ("csi", "\\033[0m"),
        ("osc", "\\033]0;x\\007"),
        ("soh", "\\001"),
        ("bs", "\\b"),
    ] {
        let repo = TestRepo::new().gates(&format!(
            "[gates.{name}]\nrun = '''{}'''\n",
            split_secret(between)
        ));
        check_every_format(&repo, &["--keep-logs"]);
        // `cat` would join a kept log's line up again: it is kept stripped.
        let logs = walk(&repo.path().join(".pqg/logs"));
        assert_eq!(logs.len(), FORMATS.len(), "{logs:?}");
        for log in logs {
            assert_eq!(
                std::fs::read(&log).unwrap(),
                b"tok=********\n",
                "{name}: {log:?}"
            );
        }
        // Kept in the cache, served from it: the same.
        let out = repo
            .pqg(["check", "--format", "json"])
            .env("API_TOKEN", SECRET)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(text.contains("tok=********"), "{name}: {text}");
        assert_no_fragment(&out.stdout, &format!("{name}: cached run"));
    }
}

#[test]
fn two_overlapping_secrets_are_masked_whole() {
    // A ends with the start of B: masking A alone would leave half of B.
    let repo = TestRepo::new().gates("[gates.g]\nrun = 'echo v=1234ABCDwxyzEFGH5678; exit 1'\n");
    for format in FORMATS {
        let out = repo
            .pqg(["check", "--no-cache", "--format", format])
            .env("A_TOKEN", "1234ABCDwxyz")
            .env("B_SECRET", "ABCDwxyzEFGH5678")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        // GitHub annotations and SARIF quote no output.
        assert!(
            matches!(format, "github" | "sarif") || text.contains("v=********"),
            "{format}: {text}"
        );
        for piece in ["1234", "ABCD", "wxyz", "EFGH", "5678"] {
            assert!(!text.contains(piece), "{format}: `{piece}` left: {text}");
        }
    }
}

#[test]
fn a_secret_that_is_not_utf8_is_masked_in_reports_and_kept_logs() {
    use std::os::unix::ffi::OsStrExt;
    let password = std::ffi::OsStr::from_bytes(b"s3cr3t\xe9value99");
    let repo =
        TestRepo::new().gates("[gates.g]\nrun = 'printf \"v=%s\\n\" \"$MY_PASSWORD\"; exit 1'\n");
    for format in FORMATS {
        let out = repo
            .pqg(["check", "--no-cache", "--keep-logs", "--format", format])
            .env("MY_PASSWORD", password)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            matches!(format, "github" | "sarif") || text.contains("v=********"),
            "{format}: {text}"
        );
        assert!(!text.contains("value99"), "{format}: {text}");
    }
    let logs = walk(&repo.path().join(".pqg/logs"));
    assert_eq!(logs.len(), FORMATS.len(), "{logs:?}");
    for log in logs {
        assert_eq!(std::fs::read(&log).unwrap(), b"v=********\n", "{log:?}");
    }
}

/// A secret for a file name: `SECRET` has `secre`, which the default
/// profile's `secrets` gate name holds.
const NAME_SECRET: &str = "Zq9wFileNameTokenValue8Kx";

/// pqg run in `repo` with `NAME_SECRET` as a token in its environment.
fn with_name_secret(repo: &TestRepo, args: &[&str]) -> std::process::Output {
    repo.pqg(args)
        .env("API_TOKEN", NAME_SECRET)
        .output()
        .unwrap()
}

/// Asserts that neither `NAME_SECRET` nor either half of it is in `bytes`.
fn assert_name_secret_absent(bytes: &[u8], what: &str) {
    let text = String::from_utf8_lossy(bytes);
    let (a, b) = NAME_SECRET.split_at(12);
    for piece in [NAME_SECRET, a, b] {
        assert!(!text.contains(piece), "{what} holds `{piece}`:\n{text}");
    }
}

#[test]
fn a_finding_on_a_file_named_after_a_secret_shows_and_stores_no_secret() {
    // The default profile's conflict-markers check finds this file.
    let repo = TestRepo::new().file(
        &format!("{NAME_SECRET}.txt"),
        "<<<<<<< HEAD\nx\n=======\ny\n>>>>>>> b\n",
    );
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "conflict"]);
    let check = |args: &[&str]| with_name_secret(&repo, args);
    for format in FORMATS {
        let out = check(&["check", "--no-cache", "--format", format]);
        expect_code(&out, 1);
        assert_name_secret_absent(&out.stdout, &format!("--format {format}"));
        assert_name_secret_absent(&out.stderr, &format!("--format {format} stderr"));
    }
    // Stored, exported, and served from the cache: masked.
    let run = check(&["check", "--format", "json"]);
    expect_code(&run, 1);
    assert!(
        String::from_utf8_lossy(&run.stdout).contains("********.txt"),
        "the finding is reported, masked"
    );
    // The export carries every stored result and input manifest. (The
    // database's file index, path → stat and hash, stays on this machine
    // and names the files the project holds anyway.)
    let export = repo.path().join("export.json");
    expect_code(&check(&["cache", "export", export.to_str().unwrap()]), 0);
    let exported = std::fs::read(&export).unwrap();
    assert!(
        String::from_utf8_lossy(&exported).contains("manifest"),
        "the export holds the input manifest"
    );
    assert_name_secret_absent(&exported, "the export");
    for format in ["jsonl", "sarif"] {
        let cached = check(&["check", "--format", format]);
        assert_name_secret_absent(&cached.stdout, &format!("cached --format {format}"));
    }
}

#[test]
fn output_stored_before_a_value_became_a_secret_is_masked_when_served() {
    let repo = TestRepo::new().gates(&format!(
        r#"
[gates.g]
run = 'echo "tok={SECRET}"'
"#
    ));
    // Stored while API_TOKEN is not set: nothing to mask yet.
    let first = repo.pqg(["check", "--format", "json"]).output().unwrap();
    assert!(String::from_utf8_lossy(&first.stdout).contains(SECRET));
    for format in FORMATS {
        let out = repo
            .pqg(["check", "--format", format])
            .env("API_TOKEN", SECRET)
            .output()
            .unwrap();
        assert_no_fragment(&out.stdout, &format!("cached --format {format}"));
        assert_no_fragment(&out.stderr, &format!("cached --format {format} stderr"));
    }
    let report = repo
        .pqg(["check", "--format", "json"])
        .env("API_TOKEN", SECRET)
        .output()
        .unwrap();
    let report = common::json(&report.stdout);
    let g = common::gate(&report, "g");
    assert_eq!(g["cached"], true, "{g}");
    assert!(g.to_string().contains("tok=********"), "{g}");
}

#[test]
fn old_logs_and_lists_in_a_shared_cache_folder_are_made_private() {
    let repo = TestRepo::new()
        .gates("[settings]\ncache_dir = 'build'\n[gates.g]\nrun = 'echo hi'\n")
        .file(".gitignore", "build/\n")
        .file("build/out.o", "other\n")
        .file("build/logs/123-old/g.log", "tok=ghp_OLDRAWTOKEN\n")
        .file("build/files/123-old/g.files", "a.txt\0");
    let build = repo.path().join("build");
    for dir in ["", "logs", "logs/123-old", "files", "files/123-old"] {
        std::fs::set_permissions(build.join(dir), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    for file in ["out.o", "logs/123-old/g.log", "files/123-old/g.files"] {
        std::fs::set_permissions(build.join(file), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    expect_code(&repo.pqg(["check", "--keep-logs"]).output().unwrap(), 0);
    assert_eq!(mode(&build), 0o755, "the user's folder");
    assert_eq!(mode(&build.join("out.o")), 0o644, "the user's file");
    for dir in ["logs", "logs/123-old", "files", "files/123-old"] {
        assert_eq!(mode(&build.join(dir)), 0o700, "{dir}");
    }
    for file in ["logs/123-old/g.log", "files/123-old/g.files"] {
        assert_eq!(mode(&build.join(file)), 0o600, "{file}");
    }
    // This run's log too, and with --no-cache (no database opened).
    for log in walk(&build.join("logs")) {
        assert_eq!(mode(&log), 0o600, "{log:?}");
    }
    std::fs::set_permissions(build.join("logs"), std::fs::Permissions::from_mode(0o755)).unwrap();
    expect_code(
        &repo
            .pqg(["check", "--no-cache", "--keep-logs"])
            .output()
            .unwrap(),
        0,
    );
    assert_eq!(mode(&build.join("logs")), 0o700);
}

#[test]
fn cache_export_without_a_database_writes_an_empty_export_and_names_no_profile() {
    let repo = TestRepo::new().file("README.md", "# hello\n");
    let export = repo.path().join("first.json");
    let out = repo
        .pqg(["cache", "export", export.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = expect_code(&out, 0);
    assert!(!stderr.contains("default profile"), "{stderr}");
    let written = common::json(&std::fs::read(&export).expect("an export is written"));
    assert_eq!(written["format"], "pqg-cache-export", "{written}");
    assert_eq!(written["entries"], serde_json::json!([]), "{written}");
    for args in [&["cache", "stats"][..], &["cache", "clear"]] {
        let stderr = expect_code(&repo.pqg(args).output().unwrap(), 0);
        assert!(!stderr.contains("default profile"), "{args:?}: {stderr}");
    }
    let out = repo
        .pqg(["cache", "import", export.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = expect_code(&out, 0);
    assert!(!stderr.contains("default profile"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 0"));
}

#[test]
fn a_forbidden_patterns_configured_message_is_masked_in_every_format() {
    // The message is the config's, not the code's: SARIF shows it as the
    // rule's description as well as on each finding.
    let repo = TestRepo::new()
        .gates(&format!(
            r#"
[gates.forb]
builtin = "forbidden"
inputs = ["x/**"]
patterns = [{{ pattern = "dbg!(", message = "remove dbg! {SECRET}" }}]
"#
        ))
        .file("x/a.rs", "dbg!(1)\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "dbg"]);
    for cached in ["--no-cache", "--quiet"] {
        for format in FORMATS {
            let out = repo
                .pqg(["check", cached, "--format", format])
                .env("API_TOKEN", SECRET)
                .output()
                .unwrap();
            expect_code(&out, 1);
            assert_no_fragment(&out.stdout, &format!("{cached} --format {format}"));
            assert_no_fragment(&out.stderr, &format!("{cached} --format {format} stderr"));
        }
    }
}

#[test]
fn explain_compares_input_names_masked_and_shows_none_in_clear() {
    // The stored manifest holds the name masked; today's list must be
    // masked the same way, or the file reads as removed and added, its
    // real name printed.
    let repo = TestRepo::new()
        .gates("[gates.gx]\nrun = [\"true\"]\ninputs = [\"x/**\"]\n")
        .file(&format!("x/file-{NAME_SECRET}.rs"), "a\n")
        .file("x/other.rs", "b\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "named"]);
    let run = |args: &[&str]| with_name_secret(&repo, args);
    expect_code(&run(&["check", "--quiet"]), 0);
    repo.write("x/other.rs", "changed\n");
    let out = run(&["explain", "gx"]);
    expect_code(&out, 0);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(stdout.contains("  - changed: x/other.rs"), "{stdout}");
    assert!(!stdout.contains("added:"), "{stdout}");
    assert!(!stdout.contains("removed:"), "{stdout}");
    assert_name_secret_absent(&out.stdout, "explain");
}

#[test]
fn a_scoped_coverage_report_naming_a_secret_file_shows_and_stores_no_secret() {
    let name = format!("src/mod_{NAME_SECRET}.py");
    let repo = TestRepo::new()
        .gates(
            r#"
[gates.cov]
run = ["sh", "-c", "cp cov.src cov.info"]
inputs = ["src/**", "cov.src"]
[gates.cov.metrics.new]
lcov = "cov.info"
scope = "new"
"#,
        )
        .file("src/base.py", "1\n")
        .file(".gitignore", "cov.info\n")
        .file(
            "cov.src",
            &format!("SF:{name}\nDA:1,0\nDA:2,1\nend_of_record\n"),
        );
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "base"]);
    repo.write(&name, "a\nb\n");
    let check = |args: &[&str]| with_name_secret(&repo, args);
    let fresh = check(&[
        "check",
        "--new-code-since",
        "HEAD",
        "--no-cache",
        "--format",
        "json",
    ]);
    for format in FORMATS {
        let out = check(&["check", "--new-code-since", "HEAD", "--format", format]);
        assert_name_secret_absent(&out.stdout, &format!("--format {format}"));
        assert_name_secret_absent(&out.stderr, &format!("--format {format} stderr"));
    }
    // Judged on the real name (one of its two lines covered), and the same
    // without the cache.
    let cached = check(&["check", "--new-code-since", "HEAD", "--format", "json"]);
    let value = |out: &std::process::Output| {
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["gates"][0]["metrics"][0]["value"].clone()
    };
    assert_eq!(value(&fresh), serde_json::json!(50.0));
    assert_eq!(value(&cached), value(&fresh));
    let export = repo.path().join("export.json");
    expect_code(&check(&["cache", "export", export.to_str().unwrap()]), 0);
    assert_name_secret_absent(&std::fs::read(&export).unwrap(), "the export");
}
