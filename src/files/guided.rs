//! The ignored files a gate's globs can reach, found by following the
//! globs into the folders they name instead of asking git to list all a
//! place holds (issue 14).
//!
//! `pqg init` names the installed packages' manifests as inputs
//! (`.venv/lib/python*/site-packages/*.dist-info/METADATA`): a place git
//! ignores whole. Listing it through git walks every file of the
//! virtualenv on every run (11,000 files for numpy, pandas and sphinx:
//! 40 ms of git, then an `lstat` of each) to keep a few dozen. Here a
//! literal component is looked up, a `*` or `?` one is read from its
//! folder, and only `**` (or a component with `[`, `{` or `\`) reads
//! everything under it.
//!
//! What is found is what git would list there that the globs can match,
//! and maybe more (the gates' own filters decide): every entry under a
//! place git ignores whole is an ignored file, but for a nested
//! repository, which git lists as one entry; so a `.git` met on the way
//! hands the place back to git. So does a folder that cannot be read.

use super::filter::{is_under, place_of};
use crate::sys::name;
use std::fs::FileType;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Why a place is handed back to git.
struct AskGit;

/// The files and symlinks at or under `place` (relative to `root`, a
/// place git ignores whole) that the include `globs` whose own place lies
/// at or under it may match, unsorted, the cache folder (`exclude`,
/// relative) among them; `None` when git must list the place (a nested
/// repository or an unreadable folder on the way).
pub(crate) fn ignored_under(
    root: &Path,
    exclude: Option<&str>,
    place: &str,
    globs: &[&str],
) -> Option<Vec<String>> {
    let mut walk = Walk {
        root,
        exclude,
        found: Vec::new(),
    };
    for glob in globs {
        let glob = glob.trim_start_matches("./");
        let start = place_of(glob);
        if start.is_empty() || !is_under(start, place) {
            continue;
        }
        let rest: Vec<&str> = match glob[start.len()..].trim_start_matches('/') {
            "" => Vec::new(),
            rest => rest.split('/').collect(),
        };
        walk.down_from(place, start, &rest).ok()?;
    }
    Some(walk.found)
}

struct Walk<'a> {
    root: &'a Path,
    exclude: Option<&'a str>,
    found: Vec<String>,
}

/// Whether a component is matched here one folder entry at a time: only
/// `*` and `?` besides literal characters (`[`, `{` and `\` may stand for
/// a `/` or for more than one component: everything under is read).
fn simple(component: &str) -> bool {
    !component.is_empty() && !component.contains(['[', '{', '\\']) && !component.contains("**")
}

fn is_literal(component: &str) -> bool {
    !component.contains(['*', '?'])
}

fn join(dir: &str, file: &str) -> String {
    if dir.is_empty() {
        file.to_owned()
    } else {
        format!("{dir}/{file}")
    }
}

impl Walk<'_> {
    fn lstat(&self, rel: &str) -> Result<Option<FileType>, AskGit> {
        match std::fs::symlink_metadata(self.root.join(name::to_path(rel))) {
            Ok(m) => Ok(Some(m.file_type())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(_) => Err(AskGit),
        }
    }

    /// A folder git would not walk into as the superproject's: one holding
    /// a `.git` (a nested repository).
    fn holds_git(&self, dir: &str) -> Result<bool, AskGit> {
        Ok(self.lstat(&join(dir, ".git"))?.is_some())
    }

    /// From the place down the glob's fixed part to `start` (each folder on
    /// the way a real one, no repository), then on by `rest`.
    fn down_from(&mut self, place: &str, start: &str, rest: &[&str]) -> Result<(), AskGit> {
        let below: Vec<&str> = start[place.len()..]
            .split('/')
            .filter(|c| !c.is_empty())
            .collect();
        let mut at = place.to_owned();
        for (i, component) in std::iter::once(None)
            .chain(below.iter().map(Some))
            .enumerate()
        {
            if let Some(component) = component {
                at = join(&at, component);
            }
            let last = i == below.len();
            match self.lstat(&at)? {
                None => return Ok(()),
                Some(t) if t.is_dir() => {
                    if self.holds_git(&at)? {
                        return Err(AskGit);
                    }
                }
                // The glob's whole fixed part is a file (or a symlink,
                // never followed): that one path, when nothing follows.
                Some(t) if last && rest.is_empty() && (t.is_file() || t.is_symlink()) => {
                    self.found.push(at);
                    return Ok(());
                }
                Some(_) => return Ok(()),
            }
        }
        self.follow(&at, rest)
    }

    /// What under the folder `dir` (a real one, holding no `.git`) the
    /// components `rest` may reach.
    fn follow(&mut self, dir: &str, rest: &[&str]) -> Result<(), AskGit> {
        let Some((&component, after)) = rest.split_first() else {
            return self.everything(dir);
        };
        if !simple(component) {
            return self.everything(dir);
        }
        if is_literal(component) {
            let child = join(dir, component);
            return match self.lstat(&child)? {
                Some(t) if t.is_dir() && !after.is_empty() => self.enter(&child, after),
                Some(t) if after.is_empty() && (t.is_file() || t.is_symlink()) => {
                    self.found.push(child);
                    Ok(())
                }
                _ => Ok(()),
            };
        }
        let matcher = globset::GlobBuilder::new(component)
            .literal_separator(true)
            .build()
            .map_err(|_| AskGit)?
            .compile_matcher();
        for (child, t, utf8) in self.entries(dir)? {
            // A name that is not UTF-8 is taken: the gate's filter decides.
            let leaf = child.rsplit('/').next().unwrap_or_default();
            if utf8 && !matcher.is_match(leaf) {
                continue;
            }
            if after.is_empty() {
                if t.is_file() || t.is_symlink() {
                    self.found.push(child);
                }
            } else if t.is_dir() {
                self.enter(&child, after)?;
            }
        }
        Ok(())
    }

    fn enter(&mut self, dir: &str, rest: &[&str]) -> Result<(), AskGit> {
        if self.exclude.is_some_and(|e| e == dir) {
            return Ok(());
        }
        if self.holds_git(dir)? {
            return Err(AskGit);
        }
        self.follow(dir, rest)
    }

    /// Every file and symlink under `dir` (a real folder holding no
    /// `.git`), as git lists what an ignored folder holds.
    fn everything(&mut self, dir: &str) -> Result<(), AskGit> {
        for (child, t, _) in self.entries(dir)? {
            if t.is_file() || t.is_symlink() {
                self.found.push(child);
            } else if t.is_dir() {
                self.enter(&child, &[])?;
            }
        }
        Ok(())
    }

    /// The entries of `dir` but `.git`: relative path, type (not followed)
    /// and whether the name is UTF-8. A folder gone lists nothing; one
    /// that cannot be read is git's to list.
    fn entries(&self, dir: &str) -> Result<Vec<(String, FileType, bool)>, AskGit> {
        let read = match std::fs::read_dir(self.root.join(name::to_path(dir))) {
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(_) => return Err(AskGit),
        };
        let mut out = Vec::new();
        for entry in read {
            let entry = entry.map_err(|_| AskGit)?;
            let file = entry.file_name();
            let bytes = file.as_bytes();
            if bytes == b".git" {
                return Err(AskGit);
            }
            let t = entry.file_type().map_err(|_| AskGit)?;
            let utf8 = std::str::from_utf8(bytes).is_ok();
            out.push((join(dir, &name::from_bytes(bytes.to_vec())), t, utf8));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) -> Vec<u8> {
        let out = crate::git::command(dir)
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}");
        out.stdout
    }

    /// A repository ignoring `.venv/`, holding `files` there.
    fn venv(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q"]);
        std::fs::write(dir.path().join(".gitignore"), ".venv/\n").unwrap();
        for f in files {
            let path = dir.path().join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        dir
    }

    fn matching(glob: &str, paths: impl IntoIterator<Item = String>) -> Vec<String> {
        let m = globset::GlobBuilder::new(glob)
            .literal_separator(true)
            .build()
            .unwrap()
            .compile_matcher();
        let mut out: Vec<String> = paths.into_iter().filter(|p| m.is_match(p)).collect();
        out.sort();
        out.dedup();
        out
    }

    /// What git lists as ignored at `place`.
    fn by_git(root: &Path, place: &str) -> Vec<String> {
        let out = git(
            root,
            &[
                "ls-files",
                "-z",
                "--others",
                "--ignored",
                "--exclude-standard",
                "--",
                place,
            ],
        );
        out.split(|&b| b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| String::from_utf8(p.to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn a_virtualenvs_manifests_are_found_without_reading_the_rest() {
        let dir = venv(&[
            ".venv/lib/python3.11/site-packages/a.dist-info/METADATA",
            ".venv/lib/python3.11/site-packages/a.dist-info/RECORD",
            ".venv/lib/python3.11/site-packages/a/__init__.py",
            ".venv/lib/python3.11/site-packages/b.dist-info/METADATA",
            ".venv/lib/python3.12/site-packages/c.dist-info/METADATA",
            ".venv/lib/other/site-packages/d.dist-info/METADATA",
            ".venv/pyvenv.cfg",
        ]);
        // Whatever the walk reads of `a/` (a package's own files) it must
        // not need: an unreadable folder there would hand it to git.
        let glob = ".venv/lib/python*/site-packages/*.dist-info/METADATA";
        let found = ignored_under(dir.path(), None, ".venv/lib", &[glob]).unwrap();
        let mut sorted = found.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            [
                ".venv/lib/python3.11/site-packages/a.dist-info/METADATA",
                ".venv/lib/python3.11/site-packages/b.dist-info/METADATA",
                ".venv/lib/python3.12/site-packages/c.dist-info/METADATA",
            ],
            "only what the glob can match is listed"
        );
        assert_eq!(
            matching(glob, found),
            matching(glob, by_git(dir.path(), ".venv/lib"))
        );
        let cfg = ignored_under(dir.path(), None, ".venv/pyvenv.cfg", &[".venv/pyvenv.cfg"]);
        assert_eq!(cfg.unwrap(), [".venv/pyvenv.cfg"]);
    }

    #[test]
    fn a_nested_repository_on_the_way_is_left_to_git() {
        let dir = venv(&[
            ".venv/src/pkg/setup.py",
            ".venv/src/pkg/pkg.dist-info/METADATA",
        ]);
        git(&dir.path().join(".venv/src/pkg"), &["init", "-q"]);
        for glob in [
            ".venv/src/*/*.dist-info/METADATA",
            ".venv/src/**",
            ".venv/src/pkg/setup.py",
        ] {
            assert_eq!(
                ignored_under(dir.path(), None, ".venv", &[glob]),
                None,
                "{glob}"
            );
        }
        // A glob that does not lead into it needs no git.
        let other = ignored_under(dir.path(), None, ".venv", &[".venv/lib/*"]);
        assert_eq!(other, Some(Vec::new()));
    }

    #[test]
    fn symlinks_are_listed_not_followed_and_fifos_are_not_listed() {
        let dir = venv(&[".venv/real/f.txt"]);
        let v = dir.path().join(".venv");
        std::os::unix::fs::symlink("real", v.join("link")).unwrap();
        std::os::unix::fs::symlink("real/f.txt", v.join("file-link")).unwrap();
        let made = Command::new("mkfifo").arg(v.join("pipe")).status().unwrap();
        assert!(made.success());
        for glob in [".venv/*", ".venv/**", ".venv/*/f.txt"] {
            let found = ignored_under(dir.path(), None, ".venv", &[glob]).unwrap();
            assert_eq!(
                matching(glob, found),
                matching(glob, by_git(dir.path(), ".venv")),
                "{glob}"
            );
        }
    }

    /// Path components the generated trees and globs are made of.
    const PARTS: &[&str] = &["a", "b", "ab", "a.x", "b.x"];
    const GLOB_PARTS: &[&str] = &["a", "b", "*", "a*", "*.x", "?", "**", "[ab]", "{a,b}"];

    fn tree() -> impl Strategy<Value = Vec<String>> {
        prop::collection::vec(
            prop::collection::vec(prop::sample::select(PARTS), 1..4),
            1..12,
        )
        .prop_map(|paths| {
            // No path may be both a file and a folder.
            let mut files: Vec<String> = Vec::new();
            for p in paths {
                let path = format!(".venv/{}", p.join("/"));
                let clash = files.iter().any(|f| {
                    f.starts_with(&format!("{path}/")) || path.starts_with(&format!("{f}/"))
                });
                if !clash {
                    files.push(path);
                }
            }
            files
        })
    }

    fn glob() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(GLOB_PARTS), 1..4)
            .prop_map(|parts| format!(".venv/{}", parts.join("/")))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Whatever the tree and the glob, the files the glob matches among
        /// those found are those it matches among what git lists.
        #[test]
        fn the_walk_finds_what_git_lists_that_the_glob_matches(files in tree(), globs in prop::collection::vec(glob(), 1..3)) {
            let refs: Vec<&str> = files.iter().map(String::as_str).collect();
            let dir = venv(&refs);
            let globs: Vec<&str> = globs.iter().map(String::as_str).collect();
            let found = ignored_under(dir.path(), None, ".venv", &globs).unwrap();
            let listed = by_git(dir.path(), ".venv");
            for glob in &globs {
                prop_assert_eq!(
                    matching(glob, found.clone()),
                    matching(glob, listed.clone()),
                    "glob {} over {:?}", glob, files
                );
            }
        }
    }
}
