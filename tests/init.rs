//! `pqg init`: one test per kind of project, each output validated by the
//! real binary; never overwriting without --force.

mod common;

use common::TestRepo;

/// Runs `pqg init` in a repo holding `files`, validates what it wrote and
/// returns the gate names in order.
fn init_with(files: &[(&str, &str)]) -> (TestRepo, Vec<String>) {
    let mut repo = TestRepo::new();
    for (path, content) in files {
        repo = repo.file(path, content);
    }
    let out = repo.pqg(["init"]).output().unwrap();
    common::expect_code(&out, 0);
    let validate = repo.pqg(["validate"]).output().unwrap();
    assert_eq!(validate.status.code(), Some(0));
    assert!(
        validate.stderr.is_empty(),
        "warnings: {}",
        String::from_utf8_lossy(&validate.stderr)
    );
    let list = repo
        .pqg(["check", "--only", "secrets", "--format", "json"])
        .output()
        .unwrap();
    let report = common::json(&list.stdout);
    let names = report["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_owned())
        .collect();
    (repo, names)
}

const BUILTINS: [&str; 4] = ["secrets", "conflict-markers", "large-files", "syntax"];

fn with_builtins(gates: &[&str]) -> Vec<String> {
    gates
        .iter()
        .chain(BUILTINS.iter())
        .map(|s| (*s).to_owned())
        .collect()
}

#[test]
fn an_empty_folder_gets_the_builtins_and_a_comment() {
    let (repo, names) = init_with(&[]);
    assert_eq!(names, with_builtins(&[]));
    assert!(repo
        .read("gates.toml")
        .contains("No Cargo, npm, Python or Go project"));
}

#[test]
fn a_cargo_project() {
    let (_, names) = init_with(&[("Cargo.toml", "[package]\nname = \"x\"\n")]);
    assert_eq!(names, with_builtins(&["fmt", "clippy", "test"]));
}

#[test]
fn node_projects_by_package_manager_and_scripts() {
    let package = r#"{"scripts": {"lint": "eslint .", "test": "vitest", "build": "vite build"}}"#;
    for (lock, manager) in [
        (None, "npm"),
        (Some("pnpm-lock.yaml"), "pnpm"),
        (Some("yarn.lock"), "yarn"),
    ] {
        let mut files = vec![("package.json", package), ("src/index.js", "")];
        if let Some(lock) = lock {
            files.push((lock, "\n"));
        }
        let (repo, names) = init_with(&files);
        assert_eq!(
            names,
            with_builtins(&["lint", "test", "build", "no-console"]),
            "{manager}"
        );
        assert!(
            repo.read("gates.toml")
                .contains(&format!("run = [\"{manager}\", \"run\", \"test\"]")),
            "{manager}"
        );
    }
    // No scripts: the file says what to add.
    let (repo, names) = init_with(&[("package.json", "{}"), ("index.js", "")]);
    assert_eq!(names, with_builtins(&["no-console"]));
    assert!(repo.read("gates.toml").contains("has no lint"));
}

#[test]
fn python_projects_with_and_without_ruff_and_pytest() {
    let (_, names) = init_with(&[(
        "pyproject.toml",
        "[project]\nname = \"x\"\n[tool.ruff]\nline-length = 100\n[tool.pytest.ini_options]\n",
    )]);
    assert_eq!(names, with_builtins(&["ruff", "ruff-format", "pytest"]));
    let (_, names) = init_with(&[("requirements.txt", "requests\n")]);
    assert_eq!(names, with_builtins(&["compile"]));
}

#[test]
fn a_go_module() {
    let (_, names) = init_with(&[("go.mod", "module example.com/x\n")]);
    assert_eq!(names, with_builtins(&["gofmt", "vet", "test"]));
}

#[test]
fn a_monorepo_gets_prefixed_gates_in_each_package_folder() {
    let (repo, names) = init_with(&[
        ("Cargo.toml", "[workspace]\nmembers = [\"crates/a\"]\n"),
        ("crates/a/Cargo.toml", "[package]\nname = \"a\"\n"),
        ("web/package.json", r#"{"scripts": {"test": "jest"}}"#),
        ("web/index.js", ""),
        ("api/pyproject.toml", "[tool.pytest.ini_options]\n"),
        ("svc/go.mod", "module x\n"),
        ("node_modules/dep/package.json", "{}"),
    ]);
    assert_eq!(
        names,
        with_builtins(&[
            "fmt",
            "clippy",
            "test",
            "api-compile",
            "api-pytest",
            "svc-gofmt",
            "svc-vet",
            "svc-test",
            "web-test",
            "web-no-console",
        ])
    );
    let text = repo.read("gates.toml");
    assert!(text.contains("cwd = \"web\""), "{text}");
    // The builtin scans the package's own scripts; command gates see everything.
    assert!(
        text.contains("inputs = [\"web/**/*.{js,jsx,ts,tsx,mjs,cjs,vue,svelte}\""),
        "{text}"
    );
    assert_every_command_gate_is_exact(&text);
}

#[test]
fn never_overwrites_without_force_and_keeps_a_backup() {
    let repo = TestRepo::new().gates("# mine\n[gates.a]\nrun = \"true\"\n");
    let out = repo.pqg(["init"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    assert_eq!(
        repo.read("gates.toml"),
        "# mine\n[gates.a]\nrun = \"true\"\n"
    );
    let out = repo.pqg(["init", "--force"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        repo.read("gates.toml.bak"),
        "# mine\n[gates.a]\nrun = \"true\"\n"
    );
    assert!(repo.read("gates.toml").contains("pqg init"));
}

/// Every gate `pqg init` wrote with `run` sees every file git tracks (no
/// `inputs`, or `**` first), keys only on cheap exact commands, and changes
/// no file.
fn assert_every_command_gate_is_exact(text: &str) {
    const CHEAP: [&str; 5] = [
        "rustc --version",
        "node --version",
        "python3 --version",
        "ruff --version",
        "go version",
    ];
    let config: toml::Table = toml::from_str(text).expect("gates.toml parses");
    let gates = config["gates"].as_table().expect("gates");
    for (name, gate) in gates {
        if gate.get("run").is_none() {
            continue;
        }
        if let Some(inputs) = gate.get("inputs") {
            let first = inputs.as_array().and_then(|a| a.first());
            assert_eq!(
                first.and_then(toml::Value::as_str),
                Some("**"),
                "{name}: narrow inputs miss what scripts read\n{text}"
            );
        }
        for command in gate
            .get("key_commands")
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
        {
            let command = command.as_str().unwrap_or_default();
            assert!(
                CHEAP.contains(&command),
                "{name}: slow or inexact key command `{command}`"
            );
        }
        let run = gate["run"].to_string();
        assert!(
            !run.contains("--fix\"") && !run.contains("fix=true"),
            "{name}: {run}"
        );
        if run.contains("\"ruff\", \"check\"") {
            assert!(
                run.contains("--no-fix"),
                "{name}: ruff check may fix files: {run}"
            );
        }
    }
}

#[test]
fn every_profile_keys_on_all_tracked_files_and_cheap_commands() {
    for files in [
        &[("Cargo.toml", "[package]\nname = \"x\"\n")][..],
        &[
            (
                "package.json",
                r#"{"scripts": {"lint": "eslint .", "typecheck": "tsc", "test": "jest", "build": "vite build"}}"#,
            ),
            ("src/index.ts", ""),
        ],
        &[(
            "pyproject.toml",
            "[project]\nname = \"x\"\n[tool.ruff]\n[tool.pytest.ini_options]\n",
        )],
        &[("setup.py", "")],
        &[("go.mod", "module example.com/x\n")],
    ] {
        let (repo, _) = init_with(files);
        let text = repo.read("gates.toml");
        assert_every_command_gate_is_exact(&text);
    }
}

/// Before, the npm profile's `inputs = ["**/*.{js,…,json}"]` left out Jest
/// snapshots, pages, stylesheets and the yarn and pnpm lockfiles: editing
/// one was a cached pass. The test script here reads each of them.
#[test]
fn node_gates_rerun_when_a_snapshot_page_style_or_lockfile_changes() {
    let read = [
        "src/__snapshots__/app.test.js.snap",
        "index.html",
        "src/style.css",
        "yarn.lock",
        "pnpm-lock.yaml",
    ];
    let mut repo = TestRepo::new()
        .file("package.json", r#"{"scripts": {"test": "jest"}}"#)
        .file("src/app.js", "");
    for path in read {
        repo = repo.file(path, "ok\n");
    }
    let out = repo.pqg(["init"]).output().unwrap();
    common::expect_code(&out, 0);
    // pnpm-lock.yaml makes it a pnpm project; its test script reads the files.
    let text = repo.read("gates.toml");
    let run = "run = [\"pnpm\", \"run\", \"test\"]";
    assert!(text.contains(run), "{text}");
    repo.write(
        "gates.toml",
        &text.replace(run, &format!("run = '! grep -q BAD {}'", read.join(" "))),
    );
    let status = |repo: &TestRepo| {
        let out = repo
            .pqg(["check", "--only", "test", "--format", "json"])
            .output()
            .unwrap();
        let report = common::json(&out.stdout);
        report["gates"][0]["status"].as_str().unwrap().to_owned()
    };
    assert_eq!(status(&repo), "pass");
    for path in read {
        repo.write(path, "BAD\n");
        assert_eq!(status(&repo), "fail", "{path} changed: a cached pass");
        repo.write(path, "ok\n");
        assert_eq!(status(&repo), "pass", "{path}");
    }
}

/// The installed packages' manifest (ignored) is named in `inputs` when it
/// exists, instead of a slow `npm ls` or `pip freeze` key command.
#[test]
fn installed_package_manifests_are_inputs() {
    let (repo, _) = init_with(&[
        ("package.json", r#"{"scripts": {"test": "jest"}}"#),
        ("index.js", ""),
        (".gitignore", "node_modules/\n.venv/\n"),
        ("node_modules/.package-lock.json", "{}"),
        ("pyproject.toml", "[tool.pytest.ini_options]\n"),
        (
            ".venv/lib/python3.12/site-packages/pytest-8.0.dist-info/METADATA",
            "Version: 8.0\n",
        ),
    ]);
    let text = repo.read("gates.toml");
    assert!(
        text.contains("inputs = [\"**\", \"node_modules/.package-lock.json\"]"),
        "{text}"
    );
    assert!(
        text.contains(
            "inputs = [\"**\", \".venv/lib/python*/site-packages/*.dist-info/METADATA\"]"
        ),
        "{text}"
    );
    assert_every_command_gate_is_exact(&text);
}

/// A virtualenv pins the interpreter and the tools exactly: the gates run
/// its `bin/python` (and its ruff), keyed by `pyvenv.cfg` and the packages'
/// manifests, with no key command (a pyenv shim's `python3 --version` costs
/// ~90 ms a run). Upgrading the interpreter re-runs the gates.
#[test]
fn a_virtualenv_keys_python_and_its_tools_by_files() {
    use std::os::unix::fs::PermissionsExt;
    let repo = TestRepo::new()
        .file("pyproject.toml", "[tool.ruff]\n[tool.pytest.ini_options]\n")
        .file(".gitignore", ".venv/\n")
        .file(".venv/pyvenv.cfg", "version = 3.12.1\n")
        .file(
            ".venv/lib/python3.12/site-packages/pytest-8.0.dist-info/METADATA",
            "Version: 8.0\n",
        )
        .file(".venv/bin/python", "#!/bin/sh\necho \"python $*\"\n")
        .file(".venv/bin/ruff", "#!/bin/sh\necho \"ruff $*\"\n");
    for tool in [".venv/bin/python", ".venv/bin/ruff"] {
        let path = repo.path().join(tool);
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = repo.pqg(["init"]).output().unwrap();
    common::expect_code(&out, 0);
    let text = repo.read("gates.toml");
    assert!(!text.contains("key_commands ="), "{text}");
    assert!(
        text.contains("run = [\".venv/bin/python\", \"-m\", \"pytest\", \"-q\"]"),
        "{text}"
    );
    assert!(
        text.contains("run = [\".venv/bin/ruff\", \"check\", \"--no-fix\", \".\"]"),
        "{text}"
    );
    assert!(text.contains("\".venv/pyvenv.cfg\"]"), "{text}");
    assert_every_command_gate_is_exact(&text);
    let cached = |repo: &TestRepo| {
        let out = repo
            .pqg(["check", "--only", "pytest", "--format", "json"])
            .output()
            .unwrap();
        common::expect_code(&out, 0);
        let report = common::json(&out.stdout);
        let pytest = common::gate(&report, "pytest");
        assert_eq!(pytest["status"], "pass", "{pytest}");
        pytest["cached"] == true
    };
    assert!(!cached(&repo));
    assert!(cached(&repo));
    repo.write(".venv/pyvenv.cfg", "version = 3.13.0\n");
    assert!(!cached(&repo), "a new interpreter must re-run the gate");
}

/// A tracked toolchain file naming a release keys the Rust gates; a moving
/// channel (`stable`) keeps asking rustc.
#[test]
fn a_pinned_rust_toolchain_needs_no_key_command() {
    for (file, text, pinned) in [
        (
            "rust-toolchain.toml",
            "[toolchain]\nchannel = \"1.83.0\"\n",
            true,
        ),
        (
            "rust-toolchain.toml",
            "[toolchain]\nchannel = \"1.83\"\n",
            true,
        ),
        ("rust-toolchain", "nightly-2026-01-15\n", true),
        (
            "rust-toolchain.toml",
            "[toolchain]\nchannel = \"stable\"\n",
            false,
        ),
        ("rust-toolchain", "nightly\n", false),
    ] {
        let (repo, names) = init_with(&[("Cargo.toml", "[package]\nname = \"x\"\n"), (file, text)]);
        assert_eq!(names, with_builtins(&["fmt", "clippy", "test"]));
        let gates = repo.read("gates.toml");
        assert_eq!(
            !gates.contains("rustc --version"),
            pinned,
            "{file}: {text}\n{gates}"
        );
        if pinned {
            assert!(gates.contains("RUSTUP_TOOLCHAIN"), "{gates}");
        }
        assert_every_command_gate_is_exact(&gates);
    }
}
