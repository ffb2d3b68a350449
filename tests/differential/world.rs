//! The differential test's repository and runs: its files and gates.toml,
//! git kept away from the machine's configuration, and `pqg check` run
//! cached then fresh with every gate's status compared. It never decides
//! which mutation comes next (the test does) nor how one is made (mutate).

use super::mutate::set_exec;
use crate::common::{self, TestRepo};
use crate::{Family, Rng};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The word a gate looks for; a file "contains" it when grep finds it.
pub(crate) const WORDS: &[&str] = &["BAD", "UGLY"];
/// What edits write: the two words, in both cases, and harmless ones.
pub(crate) const CONTENT_WORDS: &[&str] = &["ok", "fine", "BAD", "bad", "UGLY", "ugly"];
/// Folders of plain files.
pub(crate) const POOL_DIRS: &[&str] = &["src", "src/skip", "docs"];
/// File names a pool folder may hold.
pub(crate) const POOL_NAMES: &[&str] = &["a.txt", "b.txt", "c.txt", "d.txt"];
/// Single plain files that gates declare.
pub(crate) const POOL_FILES: &[&str] = &["use.txt"];
/// Where the symlink may point: two ignored files, and nothing.
pub(crate) const LINK_TARGETS: &[&str] = &["ext/t1.txt", "ext/t2.txt", "ext/none.txt"];
/// The top `.gitignore` as set up; the `unignore` family appends a
/// negation to it and takes it away again.
pub(crate) const IGNORE_RULES: &str =
    ".pqg/\n.env\nout/\n*.log\njunk/\ndeps.txt\next/\n*.o\n.venv/\n";
/// Values of `DIFF_FLAVOR`: unset, empty, and two set ones.
pub(crate) const FLAVORS: &[Option<&str>] = &[None, Some(""), Some("good"), Some("bad")];
/// Stages to check at (`None`: the default stage).
pub(crate) const STAGES: &[Option<&str>] = &[None, Some("entry"), Some("production")];
/// Lines of deps.txt, more than the 64 KiB pqg keeps of a key command.
pub(crate) const DEPS_LINES: usize = 8000;
/// Gates whose `run` greps for a word that config edits may change.
pub(crate) const WORD_GATES: &[&str] =
    &["tree", "globs", "env_file", "link", "sub", "use", "keyed"];

/// A grep pattern matching `word` but not itself (so gates.toml and
/// check.sh never contain the word they look for).
pub(crate) fn pattern(word: &str) -> String {
    format!("{}[{}]{}", &word[..1], &word[1..2], &word[2..])
}

/// The repository, how pqg is run, and what happened so far.
pub(crate) struct World {
    pub(crate) seed: u64,
    pub(crate) rng: Rng,
    pub(crate) repo: TestRepo,
    /// Holds HOME, the submodule's upstream and the fresh run's cache.
    pub(crate) work: tempfile::TempDir,
    pub(crate) enabled: Vec<Family>,
    pub(crate) words: BTreeMap<&'static str, &'static str>,
    pub(crate) twin_passes: &'static str,
    pub(crate) flavor: Option<&'static str>,
    pub(crate) stage: Option<&'static str>,
    pub(crate) history: Vec<String>,
}

/// Keeps git away from the machine's configuration and identity.
pub(crate) fn isolate(cmd: &mut Command, home: &Path) {
    cmd.env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", home)
        .env("GIT_AUTHOR_NAME", "pqg test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "pqg test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
}

/// Writes a file, making its folders.
pub(crate) fn write(path: &Path, content: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create parent");
    }
    std::fs::write(path, content).expect("write file");
}

/// Line `n` of deps.txt, naming `word`.
pub(crate) fn deps_line(n: usize, word: &str) -> String {
    format!("{n:05} {word}==1.0.{n}\n")
}

impl World {
    /// A new repository, set up and committed.
    pub(crate) fn new(seed: u64, enabled: Vec<Family>) -> World {
        let work = tempfile::Builder::new()
            .prefix("pqg-diff-work-")
            .tempdir()
            .expect("create work dir");
        std::fs::create_dir_all(work.path().join("home")).expect("create home");
        let dir = tempfile::Builder::new()
            .prefix("pqg-diff-")
            .tempdir()
            .expect("create repo dir");
        let words = WORD_GATES.iter().map(|g| (*g, "BAD")).collect();
        let mut world = World {
            seed,
            rng: Rng(seed),
            repo: TestRepo { dir },
            work,
            enabled,
            words,
            twin_passes: "twin_a",
            flavor: None,
            stage: None,
            history: Vec::new(),
        };
        world.set_up();
        world
    }

    /// The repository's folder.
    pub(crate) fn root(&self) -> &Path {
        self.repo.path()
    }

    /// A path in the repository.
    pub(crate) fn at(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    /// HOME for git and pqg.
    pub(crate) fn home(&self) -> PathBuf {
        self.work.path().join("home")
    }

    /// Runs git in `dir`, isolated; returns its stdout.
    pub(crate) fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        let mut cmd = Command::new("git");
        cmd.args(args).current_dir(dir);
        isolate(&mut cmd, &self.home());
        let out = cmd.output().expect("run git");
        assert!(
            out.status.success(),
            "git {args:?} in {} failed: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs git in the repository.
    pub(crate) fn git(&self, args: &[&str]) -> String {
        self.git_in(self.root(), args)
    }

    /// Makes the files, the submodule and gates.toml, and commits them.
    pub(crate) fn set_up(&mut self) {
        let upstream = self.work.path().join("upstream");
        std::fs::create_dir_all(&upstream).expect("create upstream");
        self.git_in(&upstream, &["init", "-q", "-b", "main"]);
        write(&upstream.join("data.txt"), "ok\n");
        self.git_in(&upstream, &["add", "-A"]);
        self.git_in(&upstream, &["commit", "-q", "-m", "sub: first"]);

        self.git(&["init", "-q", "-b", "main"]);
        write(&self.at(".gitignore"), IGNORE_RULES);
        for (rel, content) in [
            ("src/a.txt", "ok\n"),
            ("src/b.txt", "fine\n"),
            ("src/skip/a.txt", "ok\n"),
            ("docs/a.txt", "bad\n"),
            ("use.txt", "ok\n"),
            ("flavor.txt", "fixed\n"),
            ("keyed.txt", "fixed\n"),
            ("ext/t1.txt", "BAD\n"),
            ("ext/t2.txt", "UGLY\n"),
            ("gen/input.txt", "ok\n"),
            (
                "cov.lcov",
                "SF:src/a.txt\nDA:1,0\nDA:2,1\nDA:3,1\nend_of_record\nSF:./src/b.txt\nDA:1,1\nDA:2,0\nend_of_record\n",
            ),
            (".env", "TOKEN=ok\n"),
            // A virtualenv's installed manifests, as `pqg init` names them.
            (".venv/lib/py3/site-packages/a.dist-info/METADATA", "ok\n"),
            (".venv/lib/py3/site-packages/a/__init__.py", "BAD\n"),
            ("objs/keep.o", "obj\n"),
            (
                "check.sh",
                "#!/bin/sh\n! git grep -q --untracked -e \"B[A]D\" -- docs\n",
            ),
        ] {
            write(&self.at(rel), content);
        }
        set_exec(&self.at("check.sh"), true);
        std::os::unix::fs::symlink("ext/t1.txt", self.at("link")).expect("symlink");
        let deps: String = (0..DEPS_LINES).map(|n| deps_line(n, "pkg")).collect();
        write(&self.at("deps.txt"), &deps);
        self.write_config();
        let url = upstream.to_str().expect("utf-8 temp path").to_owned();
        self.git(&[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            &url,
            "lib",
        ]);
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", "set up"]);
        // What `scope = "new"` measures from.
        self.git(&["branch", "base"]);
    }

    /// gates.toml for the current words and enabled families.
    pub(crate) fn config(&self) -> String {
        let p = |gate: &str| pattern(self.words[gate]);
        let mut toml = String::from("[settings]\nnew_code_since = \"base\"\n\n");
        let mut gate = |name: &str, body: String| {
            toml.push_str(&format!("[gates.{name}]\n{body}\n"));
        };
        gate(
            "tree",
            format!("run = '! git grep -q --untracked -e \"{}\"'\n", p("tree")),
        );
        gate(
            "globs",
            format!(
                "run = '! git grep -q --untracked -e \"{}\" -- src \":(exclude)src/skip\"'\n\
                 inputs = [\"src/**\", \"!src/skip/**\"]\n",
                p("globs")
            ),
        );
        gate(
            "script",
            "run = './check.sh'\ninputs = [\"check.sh\", \"docs/**\"]\n".into(),
        );
        gate(
            "env_var",
            "run = 'case \"${DIFF_FLAVOR-unset}\" in bad|\"\") exit 1;; esac'\n\
             inputs = [\"flavor.txt\"]\nenv = [\"DIFF_FLAVOR\"]\n"
                .into(),
        );
        gate(
            "env_file",
            format!(
                "run = '! grep -qs \"{}\" .env'\ninputs = [\".env\"]\n",
                p("env_file")
            ),
        );
        // Files a glob picks out of an ignored virtualenv (listed where
        // the glob leads, not the whole place); the `venv` family.
        gate(
            "venv",
            "run = '! cat .venv/lib/py*/site-packages/*.dist-info/METADATA 2>/dev/null | grep -q \"B[A]D\"'\n\
             inputs = [\".venv/lib/py*/site-packages/*.dist-info/METADATA\"]\n"
                .into(),
        );
        // An ignored folder named explicitly counts (DESIGN §3); the
        // `ignored` family writes junk/z.txt.
        gate(
            "place",
            "run = '! cat junk/*.txt 2>/dev/null | grep -q \"B[A]D\"'\ninputs = [\"junk/**\"]\n"
                .into(),
        );
        gate(
            "link",
            format!(
                "run = '! grep -qs \"{}\" link'\ninputs = [\"link\"]\n",
                p("link")
            ),
        );
        gate(
            "sub",
            format!(
                "run = '! grep -qs \"{}\" lib/data.txt'\ninputs = [\"lib/**\"]\n",
                p("sub")
            ),
        );
        gate(
            "gen",
            "run = 'mkdir -p out && cat gen/input.txt > out/gen.txt'\ninputs = [\"gen/**\"]\n"
                .into(),
        );
        gate(
            "use",
            format!(
                "run = '! cat use.txt out/gen.txt | grep -q \"{}\"'\n\
                 inputs = [\"use.txt\"]\nneeds = [\"gen\"]\n",
                p("use")
            ),
        );
        gate(
            "keyed",
            format!(
                "run = '! grep -q \"{}\" deps.txt'\ninputs = [\"keyed.txt\"]\n\
                 key_commands = [\"cat deps.txt\"]\n",
                p("keyed")
            ),
        );
        gate(
            "stagey",
            "run = 'test \"$PQG_STAGE\" != production'\ninputs = [\"flavor.txt\"]\n".into(),
        );
        // New-code coverage of src/a.txt and src/b.txt, judged against
        // the lines changed since `base`: n/a, 0, 50, 66.7 or 100 %.
        gate(
            "newcov",
            "run = 'mkdir -p out && cp cov.lcov out/cov.info'\ninputs = [\"cov.lcov\"]\n\
             [gates.newcov.metrics.new]\nlcov = \"out/cov.info\"\nscope = \"new\"\nmin = 60\n"
                .into(),
        );
        if self.enabled.contains(&Family::GateName) {
            let run = format!("run = 'test \"$PQG_GATE\" = {}'\n", self.twin_passes);
            gate("twin_a", run.clone());
            gate("twin_b", run);
        }
        toml
    }

    /// Writes gates.toml.
    pub(crate) fn write_config(&self) {
        write(&self.at("gates.toml"), &self.config());
    }

    /// Each gate's status from `pqg check --format json`, cached or fresh.
    pub(crate) fn statuses(&self, fresh: bool) -> BTreeMap<String, String> {
        let mut args = vec!["check", "--format", "json"];
        if let Some(stage) = self.stage {
            args.extend(["--stage", stage]);
        }
        if fresh {
            args.push("--no-cache");
        }
        let mut cmd = self.repo.pqg_std(&args);
        isolate(&mut cmd, &self.home());
        match self.flavor {
            None => cmd.env_remove("DIFF_FLAVOR"),
            Some(v) => cmd.env("DIFF_FLAVOR", v),
        };
        if fresh {
            let dir = self.work.path().join("fresh-cache");
            let _ = std::fs::remove_dir_all(&dir);
            cmd.env("PQG_CACHE_DIR", dir);
        }
        let out = cmd.output().expect("run pqg");
        if !matches!(out.status.code(), Some(0 | 1)) {
            panic!(
                "{}pqg check{} exited {:?}: {}",
                self.replay(),
                if fresh { " --no-cache" } else { "" },
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let report = common::json(&out.stdout);
        report["gates"]
            .as_array()
            .expect("gates array")
            .iter()
            .map(|g| {
                let name = g["name"].as_str().expect("gate name").to_owned();
                let status = g["status"].as_str().expect("gate status").to_owned();
                (name, status)
            })
            .collect()
    }

    /// How to replay this run, and the mutations so far.
    pub(crate) fn replay(&self) -> String {
        let names: Vec<&str> = self.enabled.iter().map(|f| f.name()).collect();
        format!(
            "replay: PQG_DIFF_SEED={:#x} PQG_DIFF_ONLY={} cargo test --test differential\n\
             mutations so far:\n  {}\n",
            self.seed,
            names.join(","),
            if self.history.is_empty() {
                "(none)".to_owned()
            } else {
                self.history.join("\n  ")
            }
        )
    }

    /// Runs cached, then fresh, and panics on any gate whose status differs;
    /// counts each gate's statuses into `seen`.
    pub(crate) fn compare(
        &self,
        step: usize,
        seen: &mut BTreeMap<String, BTreeMap<String, usize>>,
    ) {
        // A folder changed less than 20 ms before a listing starts is not
        // trusted: once that has passed, the cached run keeps its listing
        // of the untracked files, and the next mutation meets it.
        let changed = std::time::Instant::now();
        common::wait_for(std::time::Duration::from_secs(5), "the racy window", || {
            changed.elapsed() >= std::time::Duration::from_millis(30)
        });
        let cached = self.statuses(false);
        let fresh = self.statuses(true);
        if std::env::var("PQG_DIFF_VERBOSE").is_ok_and(|v| v == "1") {
            eprintln!("step {step}: {:?}\n  {fresh:?}", self.history.last());
        }
        for (gate, status) in &fresh {
            *seen
                .entry(gate.clone())
                .or_default()
                .entry(status.clone())
                .or_default() += 1;
        }
        let differ: Vec<String> = fresh
            .iter()
            .filter(|(gate, status)| cached.get(*gate) != Some(status))
            .map(|(gate, status)| {
                format!("{gate}: cached {:?}, fresh {status:?}", cached.get(gate))
            })
            .collect();
        if !differ.is_empty() || cached.len() != fresh.len() {
            panic!(
                "cached and fresh verdicts disagree at step {step} (seed {:#x}):\n  {}\n{}\
                 cached: {cached:?}\nfresh:  {fresh:?}",
                self.seed,
                differ.join("\n  "),
                self.replay()
            );
        }
    }
}
