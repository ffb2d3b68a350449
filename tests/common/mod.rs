//! A temporary git repository with a gates.toml, and the real pqg binary
//! run inside it with a pinned environment.
#![allow(dead_code)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub(crate) struct TestRepo {
    pub dir: tempfile::TempDir,
}

impl TestRepo {
    /// An empty git repository.
    pub(crate) fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("pqg-test-")
            .tempdir()
            .expect("create temp dir");
        let repo = TestRepo { dir };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.email", "test@example.com"]);
        repo.git(&["config", "user.name", "pqg test"]);
        repo
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes gates.toml.
    pub(crate) fn gates(self, toml: &str) -> Self {
        self.write("gates.toml", toml);
        self
    }

    /// Writes a file, creating folders.
    pub(crate) fn file(self, rel: &str, content: &str) -> Self {
        self.write(rel, content);
        self
    }

    pub(crate) fn write(&self, rel: &str, content: &str) {
        let path = self.path().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent");
        }
        std::fs::write(path, content).expect("write file");
    }

    pub(crate) fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).expect("read file")
    }

    pub(crate) fn git(&self, args: &[&str]) {
        let status = git_command(self.path())
            .args(args)
            .status()
            .expect("run git");
        assert!(status.success(), "git {args:?} failed");
    }

    /// The pqg binary in this repository, with NO_COLOR, CI and PQG_* pinned.
    pub(crate) fn pqg<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        Command::from_std(self.pqg_std(args))
    }

    /// The same, as a std Command, for tests that need to signal the child.
    pub(crate) fn pqg_std<I, S>(&self, args: I) -> std::process::Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = std::process::Command::new(pqg_path());
        isolate(&mut cmd);
        cmd.current_dir(self.path())
            .env("NO_COLOR", "1")
            .env("CI", "true")
            .args(args);
        for var in [
            "PQG_STAGE",
            "PQG_JOBS",
            "PQG_CONFIG",
            "PQG_SKIP",
            "PQG_CACHE_DIR",
            "PQG_LOG",
            "GITHUB_ACTIONS",
        ] {
            cmd.env_remove(var);
        }
        cmd
    }
}

/// Cuts a command off the machine's own git configuration and from the
/// repository a test may itself be run inside (a hook sets `GIT_DIR` and
/// `GIT_INDEX_FILE`): a developer's global `core.hooksPath` must never get
/// a test's hook, nor a hook's index a test's commit. Every git and pqg
/// child of the test suite goes through here.
pub(crate) fn isolate(cmd: &mut std::process::Command) -> &mut std::process::Command {
    cmd.env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", test_home())
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("XDG_CONFIG_HOME");
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_COMMON_DIR",
        "GIT_CEILING_DIRECTORIES",
        "GIT_CONFIG",
        "GIT_CONFIG_PARAMETERS",
        "GIT_CONFIG_COUNT",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// An empty HOME for every test binary: one fixed folder per user in the
/// temporary folder, made once and reused, so that no run leaves a folder
/// behind (a static `TempDir` is never dropped). Nothing pqg or git runs in
/// the tests writes there (git's config is `/dev/null` besides), so test
/// binaries running at once can share it.
pub(crate) fn test_home() -> &'static Path {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    static HOME: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    HOME.get_or_init(|| {
        let uid = std::fs::metadata("/proc/self")
            .expect("read /proc/self")
            .uid();
        let home = std::env::temp_dir().join(format!("pqg-test-home-{uid}"));
        match std::fs::DirBuilder::new().mode(0o700).create(&home) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => panic!("create test HOME {}: {e}", home.display()),
        }
        let meta = std::fs::symlink_metadata(&home).expect("stat test HOME");
        assert!(
            meta.is_dir() && meta.uid() == uid && meta.permissions().mode() & 0o022 == 0,
            "{} must be a folder of this user that others cannot write",
            home.display()
        );
        home
    })
}

/// `git` in `dir`, isolated by [`isolate`].
pub(crate) fn git_command(dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new("git");
    isolate(&mut cmd).current_dir(dir);
    cmd
}

pub(crate) fn pqg_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pqg"))
}

/// Waits until `cond` holds, polling; panics after `limit`.
pub(crate) fn wait_for(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether a process with this pid exists (and is not a zombie).
pub(crate) fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            // The state is the field after the parenthesised command name.
            let state = stat
                .rsplit(')')
                .next()
                .and_then(|rest| rest.split_whitespace().next());
            state != Some("Z")
        }
        Err(_) => false,
    }
}

/// Asserts that `out` exited with `code`, showing what it printed when it
/// did not; returns its stderr.
pub(crate) fn expect_code(out: &std::process::Output, code: i32) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{stderr}{}",
        String::from_utf8_lossy(&out.stdout)
    );
    stderr
}

/// The JSON report that `pqg check --format json` printed.
pub(crate) fn json(output: &[u8]) -> serde_json::Value {
    serde_json::from_slice(output).expect("stdout is a JSON report")
}

/// The entry named `name` of a report's (or the ladder's) `gates`.
pub(crate) fn gate<'r>(report: &'r serde_json::Value, name: &str) -> &'r serde_json::Value {
    report["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == name)
        .unwrap_or_else(|| panic!("no gate {name} in {report}"))
}

/// Copies the files of one folder into another (made if missing).
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

impl TestRepo {
    /// Runs `pqg check --format json EXTRA...`, which must exit 0 or 1, and
    /// returns the report.
    pub(crate) fn check_json(&self, extra: &[&str]) -> serde_json::Value {
        let mut args = vec!["check", "--format", "json"];
        args.extend_from_slice(extra);
        let out = self.pqg(&args).output().unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "pqg failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        json(&out.stdout)
    }
}

/// Runs git in `dir` with a fixed identity and local file URLs allowed (for
/// submodules added from a temp folder); fails the test if git does.
pub(crate) fn git_at(dir: &Path, args: &[&str]) {
    let ok = git_command(dir)
        .args(["-c", "user.email=t@e", "-c", "user.name=t"])
        .args(["-c", "protocol.file.allow=always"])
        .args(args)
        .status()
        .expect("git");
    assert!(ok.success(), "git {args:?}");
}

/// A repository with `gates` and a submodule at `lib` whose one commit
/// holds `file` = "ok", all committed; the upstream folder lives as long
/// as the returned guard.
pub(crate) fn with_submodule(gates: &str, file: &str) -> (TestRepo, tempfile::TempDir) {
    let upstream = tempfile::tempdir().expect("tempdir");
    git_at(upstream.path(), &["init", "-q", "-b", "main"]);
    std::fs::write(upstream.path().join(file), "ok\n").expect("write");
    git_at(upstream.path(), &["add", "-A"]);
    git_at(upstream.path(), &["commit", "-q", "-m", "one"]);
    let repo = TestRepo::new().gates(gates);
    let url = upstream.path().to_str().expect("utf-8");
    git_at(repo.path(), &["submodule", "add", "-q", url, "lib"]);
    git_at(repo.path(), &["add", "-A"]);
    git_at(repo.path(), &["commit", "-q", "-m", "set up"]);
    (repo, upstream)
}

/// Waits until every file of `repo` (`.git` and `.pqg` aside) is older
/// than pqg's racy window (2 s, by the later of its mtime and ctime: a
/// ctime cannot be set back, so `touch -d` does not settle a file), so
/// that the stat index vouches for them on the next run and they are not
/// read to hash before the gates start.
pub(crate) fn settle_racy(repo: &TestRepo) {
    use std::os::unix::fs::MetadataExt;
    let newest = || {
        walkdir::WalkDir::new(repo.path())
            .into_iter()
            .filter_entry(|e| e.file_name() != ".git" && e.file_name() != ".pqg")
            .filter_map(Result::ok)
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.ctime().max(m.mtime()))
            .max()
            .unwrap_or(0)
    };
    wait_for(Duration::from_secs(10), "files settled", || {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        now - newest() >= 4
    });
}

/// The new-code tests' gate: it copies the LCOV report `cov/lcov.info` (its
/// input) to `out/lcov.info`, read by a `scope = "new"` coverage metric
/// whose `min` is the TOML value `min`.
pub(crate) fn new_code_gate(min: &str) -> String {
    format!(
        r#"
[gates.cov]
run = "mkdir -p out && cp cov/lcov.info out/lcov.info"
inputs = ["cov/**"]
[gates.cov.metrics.new]
lcov = "out/lcov.info"
scope = "new"
min = {min}
"#
    )
}

/// An LCOV report that instruments lines 1 to `lines` of each of `files`,
/// line `n` hit `hits(n)` times.
pub(crate) fn lcov_report(files: &[&str], lines: usize, hits: impl Fn(usize) -> usize) -> String {
    let mut lcov = String::new();
    for file in files {
        lcov.push_str(&format!("SF:{file}\n"));
        for line in 1..=lines {
            lcov.push_str(&format!("DA:{line},{}\n", hits(line)));
        }
        lcov.push_str("end_of_record\n");
    }
    lcov
}

/// Gate `g`'s status and whether it was cached, from a `pqg check
/// --format json -vv` run that ended with 0 or 1, with the run's log.
pub(crate) fn gate_g(out: &std::process::Output) -> (String, bool, String) {
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{log}");
    let report = json(&out.stdout);
    let gate = gate(&report, "g");
    (
        gate["status"].as_str().expect("status").to_owned(),
        gate["cached"].as_bool().unwrap_or(false),
        log,
    )
}
