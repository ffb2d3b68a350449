//! `pqg init`: looks at the project and writes a commented gates.toml.
//!
//! Detection is by marker files in the folder and its immediate subfolders
//! (a monorepo's packages): Cargo.toml, package.json (npm, pnpm or yarn by
//! lock file, gates from its scripts), Python (pyproject.toml, setup.py,
//! requirements.txt; ruff and pytest when configured), go.mod. Every profile
//! also gets the built-in checks. The text written is parsed before it is
//! written: what `init` writes always loads.
//!
//! What a gate reads is never guessed: command gates keep the default
//! inputs (every file git tracks), so no snapshot, page, stylesheet or
//! lockfile a script reads is left out, plus the manifest of the installed
//! packages when there is one (`node_modules/.package-lock.json`, a
//! virtualenv's `*.dist-info/METADATA`). Where files name the tools
//! exactly, they are the key and no command runs: a virtualenv's
//! `pyvenv.cfg` (its gates run its interpreter and tools), a tracked
//! toolchain file naming a Rust release. Otherwise key commands are the
//! cheap, exact ones (`rustc --version`, `node --version`): never `pip
//! freeze` or a tool started through its package manager. No gate changes files (`ruff check
//! --no-fix`).

use super::{Context, Outcome};
use crate::config::Config;
use crate::diag::UserError;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A project found, and where (relative, `.` for the folder itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Project {
    pub dir: String,
    pub kind: Kind,
    /// Globs (relative to the project's folder) of the manifests of its
    /// installed packages that exist now: ignored, and named in `inputs` so
    /// that installing another version re-runs the gates (DESIGN §3).
    pub installed: Vec<String>,
    /// What names the tools' versions exactly without running anything: a
    /// virtualenv whose interpreter and packages the gates run, or a
    /// toolchain file pinning a Rust version.
    pub pinned: Pinned,
}

/// A project's tools, pinned by files pqg can hash: the key costs a stat,
/// where `python3 --version` or `rustc --version` through a pyenv shim or
/// rustup proxy costs 50–100 ms on every run (issue 14).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) enum Pinned {
    /// Nothing: the key commands ask the tools on PATH.
    #[default]
    Nothing,
    /// A virtualenv folder (`.venv`) holding `bin/python`: the gates run its
    /// interpreter and tools, whose versions its `pyvenv.cfg` and packages'
    /// `METADATA` name.
    Venv { dir: String, ruff: bool },
    /// `rust-toolchain.toml` or `rust-toolchain` naming an exact release
    /// (`1.83.0`, `1.83`, `nightly-2026-01-01`), tracked with the code.
    RustToolchain,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Kind {
    Cargo,
    Node {
        manager: &'static str,
        scripts: Vec<String>,
    },
    Python {
        ruff: bool,
        pytest: bool,
    },
    Go,
}

impl Kind {
    fn label(&self) -> String {
        match self {
            Kind::Cargo => "Cargo".to_owned(),
            Kind::Node { manager, .. } => (*manager).to_owned(),
            Kind::Python { .. } => "Python".to_owned(),
            Kind::Go => "Go".to_owned(),
        }
    }
}

/// Folders never looked into for projects.
const SKIP_DIRS: &[&str] = &["node_modules", "target", "vendor", "dist", "build", "venv"];

/// The projects in `root` and its immediate subfolders, in name order.
pub(super) fn detect(root: &Path) -> Vec<Project> {
    let mut found = detect_in(root, ".");
    let mut subdirs: Vec<(String, PathBuf)> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
        .filter(|(name, _)| !name.starts_with('.') && !SKIP_DIRS.contains(&name.as_str()))
        .collect();
    subdirs.sort();
    for (name, path) in subdirs {
        found.extend(detect_in(&path, &name));
    }
    // A Cargo workspace's member crates are checked by the root's cargo.
    if found.iter().any(|p| p.dir == "." && p.kind == Kind::Cargo) {
        found.retain(|p| p.dir == "." || p.kind != Kind::Cargo);
    }
    found
}

fn detect_in(dir: &Path, rel: &str) -> Vec<Project> {
    let has = |name: &str| dir.join(name).exists();
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    let mut found = Vec::new();
    let project = |kind| {
        let installed = installed_manifests(dir, &kind);
        let pinned = pinned(dir, &kind);
        Project {
            dir: rel.to_owned(),
            kind,
            installed,
            pinned,
        }
    };
    if has("Cargo.toml") {
        found.push(project(Kind::Cargo));
    }
    if has("package.json") {
        let manager = if has("pnpm-lock.yaml") {
            "pnpm"
        } else if has("yarn.lock") {
            "yarn"
        } else {
            "npm"
        };
        let scripts = serde_json::from_str::<serde_json::Value>(&read("package.json"))
            .ok()
            .and_then(|v| v.get("scripts")?.as_object().cloned())
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        found.push(project(Kind::Node { manager, scripts }));
    }
    if has("pyproject.toml") || has("setup.py") || has("requirements.txt") {
        let pyproject = read("pyproject.toml");
        let ruff = has("ruff.toml") || has(".ruff.toml") || pyproject.contains("[tool.ruff");
        let pytest = has("pytest.ini")
            || has("conftest.py")
            || has("tests")
            || pyproject.contains("[tool.pytest")
            || read("setup.cfg").contains("[tool:pytest]");
        found.push(project(Kind::Python { ruff, pytest }));
    }
    if has("go.mod") {
        found.push(project(Kind::Go));
    }
    found
}

/// The manifests a package manager writes when it installs, that exist in
/// `dir`: a file's hash is exact and costs no process, where `npm ls` or
/// `pip freeze` as a key command would cost hundreds of milliseconds a run.
fn installed_manifests(dir: &Path, kind: &Kind) -> Vec<String> {
    let candidates: &[&str] = match kind {
        Kind::Node { .. } => &[
            "node_modules/.package-lock.json",
            "node_modules/.pnpm/lock.yaml",
            "node_modules/.yarn-integrity",
            ".yarn/install-state.gz",
        ],
        Kind::Python { .. } => &[".venv", "venv"],
        Kind::Cargo | Kind::Go => &[],
    };
    candidates
        .iter()
        .filter(|c| dir.join(c).exists())
        .map(|c| match kind {
            Kind::Python { .. } => format!("{c}/lib/python*/site-packages/*.dist-info/METADATA"),
            _ => (*c).to_owned(),
        })
        .collect()
}

/// How `kind`'s tools in `dir` are pinned by files, if they are.
fn pinned(dir: &Path, kind: &Kind) -> Pinned {
    match kind {
        Kind::Python { .. } => [".venv", "venv"]
            .iter()
            .find(|v| {
                dir.join(v).join("bin/python").is_file() && dir.join(v).join("pyvenv.cfg").is_file()
            })
            .map_or(Pinned::Nothing, |v| Pinned::Venv {
                dir: (*v).to_owned(),
                ruff: dir.join(v).join("bin/ruff").is_file(),
            }),
        Kind::Cargo => {
            let text = ["rust-toolchain.toml", "rust-toolchain"]
                .iter()
                .find_map(|f| std::fs::read_to_string(dir.join(f)).ok());
            match text {
                Some(t) if toolchain_is_exact(&t) => Pinned::RustToolchain,
                _ => Pinned::Nothing,
            }
        }
        Kind::Node { .. } | Kind::Go => Pinned::Nothing,
    }
}

/// Whether a toolchain file names one release: `channel = "1.83.0"` (or
/// the legacy one-line form), a minor version or a dated nightly, never
/// `stable`, `beta` or `nightly`, which move.
fn toolchain_is_exact(text: &str) -> bool {
    let channel = match text.parse::<toml::Table>() {
        Ok(table) => table
            .get("toolchain")
            .and_then(|t| t.get("channel"))
            .and_then(toml::Value::as_str)
            .map(str::to_owned),
        Err(_) => text.lines().next().map(|l| l.trim().to_owned()),
    };
    let Some(channel) = channel else {
        return false;
    };
    let numbered = |v: &str| {
        let parts: Vec<&str> = v.split('.').collect();
        (2..=3).contains(&parts.len())
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    let dated = |v: &str| {
        v.strip_prefix("nightly-")
            .or_else(|| v.strip_prefix("beta-"))
            .is_some_and(|d| d.len() == 10 && d.bytes().filter(u8::is_ascii_digit).count() == 8)
    };
    numbered(&channel) || dated(&channel)
}

/// The gates.toml text for `projects`.
pub(super) fn render(projects: &[Project]) -> String {
    let mut t = String::new();
    t.push_str(
        "# gates.toml: which checks guard each stage, written by `pqg init`.\n\
         # The ladder: entry → development → staging → production → critical.\n\
         # A gate runs from its `from` stage up; thresholds tighten as code climbs.\n\
         # `pqg list --stage production` shows what a stage runs; `pqg validate`\n\
         # checks this file; every key is shown in pqg's gates.example.toml.\n\n\
         [settings]\n\
         default_stage = \"development\"\n\
         # Below the score, a stage fails even if only warnings did not pass.\n\
         min_score = { staging = 90, production = 100 }\n\
         # At production, stop at the first blocking failure.\n\
         fail_fast = { production = true }\n",
    );
    if projects.is_empty() {
        t.push_str(
            "\n# No Cargo, npm, Python or Go project was found here: add your own\n\
             # gates, e.g.\n\
             # [gates.test]\n\
             # run = \"make test\"\n\
             # from = \"development\"\n",
        );
    }
    let several = projects.len() > 1;
    for p in projects {
        let prefix = if several && p.dir != "." {
            format!("{}-", gate_safe(&p.dir))
        } else if several && projects.iter().filter(|q| q.dir == ".").count() > 1 {
            format!("{}-", gate_safe(&p.kind.label().to_lowercase()))
        } else {
            String::new()
        };
        let _ = writeln!(
            t,
            "\n# --- {} project{} ---",
            p.kind.label(),
            if p.dir == "." {
                String::new()
            } else {
                format!(" in {}/", p.dir)
            }
        );
        let cwd = if p.dir == "." {
            String::new()
        } else {
            format!("cwd = \"{}\"\n", p.dir)
        };
        let in_dir = |path: &str| -> String {
            if p.dir == "." {
                path.to_owned()
            } else {
                format!("{}/{path}", p.dir)
            }
        };
        // No `inputs`: every file git tracks counts, so no snapshot, page,
        // stylesheet or lockfile a script reads can be left out. Installed
        // packages (ignored) are added by name when there are some.
        let inputs = if p.installed.is_empty() {
            match &p.kind {
                Kind::Node { .. } => format!(
                    "# Once installed, name the packages' manifest so a new version re-runs:\n\
                     # inputs = [\"**\", \"{}\"]\n",
                    in_dir("node_modules/.package-lock.json")
                ),
                Kind::Python { .. } => format!(
                    "# With a virtualenv, name its packages so a new version re-runs:\n\
                     # inputs = [\"**\", \"{}\"]\n",
                    in_dir(".venv/lib/python*/site-packages/*.dist-info/METADATA")
                ),
                Kind::Cargo | Kind::Go => String::new(),
            }
        } else {
            let mut globs = vec!["\"**\"".to_owned()];
            globs.extend(p.installed.iter().map(|g| format!("\"{}\"", in_dir(g))));
            format!(
                "# Every file git tracks, and the installed packages' manifest.\ninputs = [{}]\n",
                globs.join(", ")
            )
        };
        match &p.kind {
            Kind::Cargo => {
                // A tracked toolchain file naming a release keys the gates
                // by itself (every tracked file is an input); otherwise the
                // toolchain is asked, through rustup's proxy.
                let (fmt_key, key) = if p.pinned == Pinned::RustToolchain {
                    (
                        "# The tracked toolchain file pins the release rustfmt comes with.\n\
                         env = [\"RUSTUP_TOOLCHAIN\"]\n",
                        "env = [\"RUSTFLAGS\", \"RUSTUP_TOOLCHAIN\"]\n",
                    )
                } else {
                    (
                        "# rustfmt comes with the toolchain: its version names both.\n\
                         key_commands = [\"rustc --version\"]\n",
                        "env = [\"RUSTFLAGS\"]\nkey_commands = [\"rustc --version\"]\n",
                    )
                };
                let _ = write!(
                    t,
                    "\n[gates.{prefix}fmt]\ndescription = \"code is rustfmt-clean\"\n\
                     run = [\"cargo\", \"fmt\", \"--all\", \"--\", \"--check\"]\n{cwd}{fmt_key}\
                     \n[gates.{prefix}clippy]\ndescription = \"clippy finds nothing\"\n\
                     run = [\"cargo\", \"clippy\", \"--all-targets\", \"--\", \"-D\", \"warnings\"]\n{cwd}\
                     from = \"development\"\n\
                     # cargo uses every core: let it run alone.\nslots = 2\n{key}\
                     \n[gates.{prefix}test]\ndescription = \"the test suite passes\"\n\
                     run = [\"cargo\", \"test\"]\n{cwd}from = \"development\"\nslots = 2\n{key}\
                     [gates.{prefix}test.metrics.failed]\n\
                     count = '^test .* \\.\\.\\. FAILED$'\nmax = 0\n",
                );
            }
            Kind::Node { manager, scripts } => {
                let has = |s: &str| scripts.iter().any(|x| x == s);
                let mut any = false;
                for (script, name, from, what) in [
                    ("lint", "lint", "entry", "the linter is clean"),
                    ("typecheck", "typecheck", "development", "types check"),
                    ("test", "test", "development", "the test suite passes"),
                    ("build", "build", "staging", "the production build succeeds"),
                ] {
                    if has(script) {
                        any = true;
                        let _ = write!(
                            t,
                            "\n[gates.{prefix}{name}]\ndescription = \"{what}\"\n\
                             run = [\"{manager}\", \"run\", \"{script}\"]\n{cwd}from = \"{from}\"\n{inputs}\
                             key_commands = [\"node --version\"]\n"
                        );
                    }
                }
                if !any {
                    t.push_str(
                        "# package.json has no lint, typecheck, test or build script;\n\
                         # add one and a gate that runs it.\n",
                    );
                }
                // A builtin reads exactly its inputs: these are what it scans.
                let scripts = in_dir("**/*.{js,jsx,ts,tsx,mjs,cjs,vue,svelte}");
                let _ = write!(
                    t,
                    "\n[gates.{prefix}no-console]\ndescription = \"no console.log left in the code\"\n\
                     builtin = \"forbidden\"\ninputs = [\"{scripts}\", \"!**/node_modules/**\"]\n\
                     patterns = [{{ pattern = \"console.log(\", message = \"remove debugging output\" }}]\n\
                     # Tolerated while developing, not from staging on.\n\
                     [gates.{prefix}no-console.metrics.findings]\nmax = {{ entry = 20, staging = 0 }}\n"
                );
            }
            Kind::Python { ruff, pytest } => {
                // With a virtualenv the gates run its interpreter and tools:
                // its `pyvenv.cfg` (the Python version) and the packages'
                // manifests, already inputs, name them exactly.
                let (python, ruff_bin, key, inputs) = match &p.pinned {
                    Pinned::Venv { dir, ruff: in_venv } => (
                        format!("{dir}/bin/python"),
                        if *in_venv {
                            format!("{dir}/bin/ruff")
                        } else {
                            "ruff".to_owned()
                        },
                        String::new(),
                        inputs
                            .replace(
                                "and the installed packages' manifest.",
                                "the installed packages' manifests and the\n# virtualenv's Python version (pyvenv.cfg).",
                            )
                            .replace(
                                "\"]\n",
                                &format!("\", \"{}\"]\n", in_dir(&format!("{dir}/pyvenv.cfg"))),
                            ),
                    ),
                    _ => (
                        "python3".to_owned(),
                        "ruff".to_owned(),
                        "key_commands = [\"python3 --version\"]\n".to_owned(),
                        inputs.clone(),
                    ),
                };
                if *ruff {
                    let ruff_key = if ruff_bin == "ruff" {
                        "key_commands = [\"ruff --version\"]\n"
                    } else {
                        ""
                    };
                    let _ = write!(
                        t,
                        "\n[gates.{prefix}ruff]\ndescription = \"ruff finds nothing\"\n\
                         run = [\"{ruff_bin}\", \"check\", \"--no-fix\", \".\"]\n{cwd}{inputs}{ruff_key}\
                         \n[gates.{prefix}ruff-format]\ndescription = \"code is ruff-formatted\"\n\
                         run = [\"{ruff_bin}\", \"format\", \"--check\", \".\"]\n{cwd}{inputs}{ruff_key}"
                    );
                } else {
                    let _ = write!(
                        t,
                        "\n[gates.{prefix}compile]\ndescription = \"every module compiles\"\n\
                         run = [\"{python}\", \"-m\", \"compileall\", \"-q\", \".\"]\n{cwd}{inputs}{key}\
                         # For linting, add ruff (`[tool.ruff]` in pyproject.toml) and run\n\
                         # `pqg init --force` again, or add a gate yourself.\n"
                    );
                }
                if *pytest {
                    let _ = write!(
                        t,
                        "\n[gates.{prefix}pytest]\ndescription = \"the test suite passes\"\n\
                         run = [\"{python}\", \"-m\", \"pytest\", \"-q\"]\n{cwd}from = \"development\"\n{inputs}{key}\
                         [gates.{prefix}pytest.metrics.failed]\n\
                         # One `FAILED test_x.py::test_y` line per failing test.\n\
                         count = '^FAILED '\nmax = 0\n"
                    );
                }
            }
            Kind::Go => {
                let _ = write!(
                    t,
                    "\n[gates.{prefix}gofmt]\ndescription = \"code is gofmt-clean\"\n\
                     run = 'test -z \"$(gofmt -l .)\" || {{ gofmt -l .; exit 1; }}'\n{cwd}\
                     key_commands = [\"go version\"]\n\
                     \n[gates.{prefix}vet]\ndescription = \"go vet finds nothing\"\n\
                     run = [\"go\", \"vet\", \"./...\"]\n{cwd}from = \"development\"\nkey_commands = [\"go version\"]\n\
                     \n[gates.{prefix}test]\ndescription = \"the test suite passes\"\n\
                     run = [\"go\", \"test\", \"./...\"]\n{cwd}from = \"development\"\n\
                     key_commands = [\"go version\"]\nenv = [\"GOFLAGS\"]\n"
                );
            }
        }
    }
    t.push_str(
        "\n# --- built-in checks: native, no tool to install ---\n\
         \n[gates.secrets]\ndescription = \"no credentials or private keys\"\nbuiltin = \"secrets\"\n\
         # Accept a finding by its fingerprint (printed beside it):\n# allow = [\"…\"]\n\
         \n[gates.conflict-markers]\nbuiltin = \"conflict-markers\"\n\
         \n[gates.large-files]\nbuiltin = \"large-files\"\nmax_size = \"1MiB\"\n\
         \n[gates.syntax]\ndescription = \"JSON, TOML and YAML files parse\"\nbuiltin = \"syntax\"\n",
    );
    t
}

fn gate_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// `pqg init [--force]`: the profile for the project here, written to
/// `--config` or ./gates.toml.
pub(super) fn run(ctx: &Context, force: bool) -> anyhow::Result<Outcome> {
    let cwd = ctx.cwd()?;
    let path = ctx
        .settings()
        .config_flag()
        .map_or_else(|| cwd.join(crate::config::CONFIG_FILE), Path::to_path_buf);
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| cwd.to_path_buf(), Path::to_path_buf);
    init(&dir, &path, force)
}

/// Writes the profile for the project in `dir` to `path`.
fn init(dir: &Path, path: &Path, force: bool) -> anyhow::Result<Outcome> {
    if path.exists() && !force {
        return Err(
            UserError::new(format!("`{}` already exists", path.display()))
                .hint("pass --force to replace it (the old file is kept as gates.toml.bak)")
                .into(),
        );
    }
    let projects = detect(dir);
    let text = render(&projects);
    let config = Config::parse(path, &text)
        .map_err(|e| anyhow::anyhow!("internal: the profile pqg init made does not load: {e}"))?;
    if path.exists() {
        let backup = path.with_extension("toml.bak");
        std::fs::copy(path, &backup)
            .map_err(|e| anyhow::anyhow!("keeping `{}`: {e}", backup.display()))?;
    }
    std::fs::write(path, &text)
        .map_err(|e| anyhow::anyhow!("writing `{}`: {e}", path.display()))?;
    let found = if projects.is_empty() {
        "no project found, built-in checks only".to_owned()
    } else {
        projects
            .iter()
            .map(|p| format!("{} ({})", p.kind.label(), p.dir))
            .collect::<Vec<_>>()
            .join(", ")
    };
    outln!(
        "wrote {}: {found} · {} gates · run `pqg check`, or `pqg list --stage production` to see the ladder",
        path.display(),
        config.gates.len()
    );
    Ok(Outcome::Passed)
}
