//! The differential test's mutations: one function per family, each
//! choosing with the world's seeded generator and saying what it did. It
//! never runs pqg.

use super::world::{
    deps_line, write, World, CONTENT_WORDS, DEPS_LINES, FLAVORS, IGNORE_RULES, LINK_TARGETS,
    POOL_DIRS, POOL_FILES, POOL_NAMES, STAGES, WORDS, WORD_GATES,
};
use crate::Family;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// Sets a file's mtime and atime.
fn set_mtime(path: &Path, time: SystemTime) {
    let file = std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open to set times");
    let times = std::fs::FileTimes::new()
        .set_modified(time)
        .set_accessed(time);
    file.set_times(times).expect("set file times");
}

/// `chmod +x` or `chmod -x`.
pub(crate) fn set_exec(path: &Path, exec: bool) {
    use std::os::unix::fs::PermissionsExt;
    let mode = if exec { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Whether the owner may execute the file.
fn is_exec(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o100 != 0)
}

/// Swaps the case of every ASCII letter: same size, `BAD` <-> `bad`.
fn swap_case(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_uppercase() {
                c.to_ascii_lowercase()
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect()
}

impl World {
    /// The plain files that exist now, sorted.
    fn pool_files(&self) -> Vec<String> {
        let mut files: Vec<String> = POOL_DIRS
            .iter()
            .flat_map(|d| POOL_NAMES.iter().map(move |n| format!("{d}/{n}")))
            .chain(POOL_FILES.iter().map(std::string::ToString::to_string))
            .filter(|rel| self.at(rel).is_file())
            .collect();
        files.sort();
        files
    }

    /// A pool path that does not exist now, if any.
    fn free_pool_path(&mut self) -> Option<String> {
        let free: Vec<String> = POOL_DIRS
            .iter()
            .flat_map(|d| POOL_NAMES.iter().map(move |n| format!("{d}/{n}")))
            .filter(|rel| !self.at(rel).exists())
            .collect();
        (!free.is_empty()).then(|| self.rng.pick(&free).clone())
    }

    fn random_content(&mut self) -> String {
        let lines = 1 + self.rng.below(3);
        (0..lines)
            .map(|_| format!("{}\n", self.rng.pick(CONTENT_WORDS)))
            .collect()
    }

    /// Applies one random mutation of `family`; says what it did.
    pub(crate) fn mutate(&mut self, family: Family) -> String {
        match family {
            Family::Edit => self.edit(),
            Family::SameSize => self.same_size(),
            Family::Exec => {
                let exec = !is_exec(&self.at("check.sh"));
                set_exec(&self.at("check.sh"), exec);
                format!("chmod {}x check.sh", if exec { "+" } else { "-" })
            }
            Family::Rename => self.rename(),
            Family::Delete => {
                let files = self.pool_files();
                if files.is_empty() {
                    return "delete: nothing to delete".into();
                }
                let rel = self.rng.pick(&files).clone();
                std::fs::remove_file(self.at(&rel)).expect("delete");
                format!("rm {rel}")
            }
            Family::Untracked => match self.free_pool_path() {
                Some(rel) => {
                    let content = self.random_content();
                    write(&self.at(&rel), &content);
                    format!("new untracked {rel} = {content:?}")
                }
                None => "untracked: pool full".into(),
            },
            Family::Ignored => self.ignored(),
            Family::IgnoredOnly => {
                let rel = "objs/new.txt";
                if self.rng.below(3) == 0 {
                    let _ = std::fs::remove_file(self.at(rel));
                    format!("rm -f {rel} (beside ignored files only)")
                } else {
                    let content = self.random_content();
                    write(&self.at(rel), &content);
                    format!("write {rel} (beside ignored files only) = {content:?}")
                }
            }
            Family::Unignore => self.unignore(),
            Family::Venv => self.venv(),
            Family::SymlinkRetarget => {
                let target = *self.rng.pick(LINK_TARGETS);
                let _ = std::fs::remove_file(self.at("link"));
                std::os::unix::fs::symlink(target, self.at("link")).expect("symlink");
                format!("ln -sfn {target} link")
            }
            Family::SymlinkTarget => {
                let target = *self.rng.pick(&LINK_TARGETS[..2]);
                let content = self.random_content();
                write(&self.at(target), &content);
                format!("write {target} (a link target) = {content:?}")
            }
            Family::EnvVar => {
                self.flavor = *self.rng.pick(FLAVORS);
                match self.flavor {
                    None => "unset DIFF_FLAVOR".into(),
                    Some(v) => format!("DIFF_FLAVOR={v:?}"),
                }
            }
            Family::EnvFile => {
                if self.rng.below(4) == 0 {
                    let _ = std::fs::remove_file(self.at(".env"));
                    "rm .env".into()
                } else {
                    let content = format!("TOKEN={}", self.random_content());
                    write(&self.at(".env"), &content);
                    format!("write .env = {content:?}")
                }
            }
            Family::Submodule => self.submodule(),
            Family::Needs => {
                let content = self.random_content();
                write(&self.at("gen/input.txt"), &content);
                format!("write gen/input.txt = {content:?}")
            }
            Family::KeyCommand => {
                let line = self.rng.below(DEPS_LINES);
                let word = *self.rng.pick(&["pkg", "BAD", "UGLY"]);
                let text = std::fs::read_to_string(self.at("deps.txt")).expect("read deps");
                let mut lines: Vec<String> = text.lines().map(|l| format!("{l}\n")).collect();
                lines[line] = deps_line(line, word);
                write(&self.at("deps.txt"), &lines.concat());
                format!("deps.txt line {} = {word}", line + 1)
            }
            Family::Config => {
                let gate = *self.rng.pick(WORD_GATES);
                let word = if self.words[gate] == WORDS[0] {
                    WORDS[1]
                } else {
                    WORDS[0]
                };
                self.words.insert(gate, word);
                self.write_config();
                format!("gates.toml: gate {gate} now looks for {word}")
            }
            Family::Commit => {
                self.git(&["add", "-A"]);
                self.git(&["commit", "-q", "--allow-empty", "-m", "step"]);
                "git add -A && git commit".into()
            }
            Family::Stage => {
                self.stage = *self.rng.pick(STAGES);
                format!("check at stage {}", self.stage.unwrap_or("(default)"))
            }
            Family::NewCode => match self.rng.below(3) {
                0 => {
                    self.git(&["branch", "-f", "base", "HEAD"]);
                    "git branch -f base HEAD".into()
                }
                1 => {
                    let root = self.git(&["rev-list", "--max-parents=0", "HEAD"]);
                    let root = root.lines().next().unwrap_or("HEAD").trim().to_owned();
                    self.git(&["branch", "-f", "base", &root]);
                    "git branch -f base <first commit>".into()
                }
                _ => {
                    let rel = *self.rng.pick(&["src/a.txt", "src/b.txt"]);
                    let content = self.random_content();
                    write(&self.at(rel), &content);
                    format!("write {rel} = {content:?}")
                }
            },
            Family::GateName => {
                self.twin_passes = if self.twin_passes == "twin_a" {
                    "twin_b"
                } else {
                    "twin_a"
                };
                self.write_config();
                format!("gates.toml: twins' run passes for {}", self.twin_passes)
            }
        }
    }

    fn edit(&mut self) -> String {
        let files = self.pool_files();
        if files.is_empty() {
            return "edit: no file".into();
        }
        let rel = self.rng.pick(&files).clone();
        let content = self.random_content();
        write(&self.at(&rel), &content);
        format!("write {rel} = {content:?}")
    }

    /// Swaps the case of a file's letters and puts its mtime back, or
    /// backdates a file (so later runs see it as not racy).
    fn same_size(&mut self) -> String {
        let files = self.pool_files();
        if files.is_empty() {
            return "same_size: no file".into();
        }
        let rel = self.rng.pick(&files).clone();
        let path = self.at(&rel);
        if self.rng.below(3) == 0 {
            let secs = 1_000_000_000 + self.rng.below(1_000_000) as u64;
            set_mtime(&path, SystemTime::UNIX_EPOCH + Duration::from_secs(secs));
            return format!("touch -d @{secs} {rel}");
        }
        let mtime = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .expect("mtime");
        let text = std::fs::read_to_string(&path).expect("read");
        let swapped = swap_case(&text);
        write(&path, &swapped);
        set_mtime(&path, mtime);
        format!("same-size edit {rel} = {swapped:?}, mtime put back")
    }

    fn rename(&mut self) -> String {
        let files = self.pool_files();
        let from: Vec<String> = files.into_iter().filter(|f| f.contains('/')).collect();
        if from.is_empty() {
            return "rename: no file".into();
        }
        let src = self.rng.pick(&from).clone();
        let Some(dst) = self.free_pool_path() else {
            return "rename: pool full".into();
        };
        std::fs::create_dir_all(self.at(&dst).parent().expect("parent")).expect("mkdir");
        std::fs::rename(self.at(&src), self.at(&dst)).expect("rename");
        format!("mv {src} {dst}")
    }

    fn ignored(&mut self) -> String {
        let places = [
            "src/x.log",
            "docs/y.log",
            "junk/z.txt",
            "out/extra.txt",
            "src/skip/w.log",
        ];
        let rel = *self.rng.pick(&places);
        if self.rng.below(3) == 0 {
            let _ = std::fs::remove_file(self.at(rel));
            format!("rm -f {rel} (ignored)")
        } else {
            let content = self.random_content();
            write(&self.at(rel), &content);
            format!("write {rel} (ignored) = {content:?}")
        }
    }

    /// A manifest the `venv` gate's glob names, written or deleted, or a
    /// file near them that it does not name, written.
    fn venv(&mut self) -> String {
        let python = *self.rng.pick(&["py3", "py4"]);
        let package = *self.rng.pick(&["a", "b", "c"]);
        let manifest = format!(".venv/lib/{python}/site-packages/{package}.dist-info/METADATA");
        let beside = [
            format!(".venv/lib/{python}/site-packages/{package}.dist-info/RECORD"),
            format!(".venv/lib/{python}/site-packages/{package}/x.py"),
            format!(".venv/lib/other/{package}.dist-info/METADATA"),
        ];
        let content = self.random_content();
        match self.rng.below(4) {
            0 => {
                let _ = std::fs::remove_file(self.at(&manifest));
                format!("rm -f {manifest} (ignored, named)")
            }
            1 => {
                let rel = self.rng.pick(&beside).clone();
                write(&self.at(&rel), &content);
                format!("write {rel} (ignored, not named) = {content:?}")
            }
            _ => {
                // One manifest at most holds the word the gate looks for, so
                // that its verdict turns with each of them.
                let mut cleared = Vec::new();
                if content.contains("BAD") {
                    for python in ["py3", "py4"] {
                        for package in ["a", "b", "c"] {
                            let other = format!(
                                ".venv/lib/{python}/site-packages/{package}.dist-info/METADATA"
                            );
                            let held = std::fs::read_to_string(self.at(&other));
                            if other != manifest && held.is_ok_and(|t| t.contains("BAD")) {
                                write(&self.at(&other), "ok\n");
                                cleared.push(other);
                            }
                        }
                    }
                }
                write(&self.at(&manifest), &content);
                format!("write {manifest} (ignored, named) = {content:?}; cleared {cleared:?}")
            }
        }
    }

    /// Toggles a negation of the `.log` rule in the top `.gitignore` (for
    /// src/) or in docs/.gitignore, rewriting the file in place: the
    /// folder's stamps do not move, only the rule file's.
    fn unignore(&mut self) -> String {
        let (rel, base, negation) = *self.rng.pick(&[
            (".gitignore", IGNORE_RULES, "!src/*.log\n"),
            ("docs/.gitignore", "", "!*.log\n"),
        ]);
        let now = std::fs::read_to_string(self.at(rel)).unwrap_or_default();
        let next = if now.contains(negation) {
            base.to_owned()
        } else {
            format!("{base}{negation}")
        };
        write(&self.at(rel), &next);
        format!("rewrite {rel} = {next:?}")
    }

    fn submodule(&mut self) -> String {
        let lib = self.at("lib");
        match self.rng.below(3) {
            0 => {
                let content = self.random_content();
                write(&lib.join("data.txt"), &content);
                format!("write lib/data.txt = {content:?}")
            }
            1 => {
                self.git_in(&lib, &["add", "-A"]);
                self.git_in(&lib, &["commit", "-q", "--allow-empty", "-m", "sub step"]);
                "git -C lib commit -a".into()
            }
            _ => {
                let log = self.git_in(&lib, &["rev-list", "--all"]);
                let commits: Vec<&str> = log.lines().collect();
                let commit = self.rng.pick(&commits).to_string();
                self.git_in(&lib, &["checkout", "-q", "-f", &commit]);
                format!("git -C lib checkout -f {commit}")
            }
        }
    }
}
