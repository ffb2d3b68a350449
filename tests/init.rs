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
        let mut files = vec![("package.json", package)];
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
    let (repo, names) = init_with(&[("package.json", "{}")]);
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
    assert!(text.contains("inputs = [\"svc/**/*.go\""), "{text}");
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
