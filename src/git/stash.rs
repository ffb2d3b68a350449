//! Setting the work tree's unstaged changes aside and putting them back, so
//! that a pre-commit check sees exactly what is staged (DESIGN §11).
//!
//! The changes to tracked files (edits, deletions, executable-bit and type
//! changes, binary files) are written as a patch (`git diff --binary`,
//! index against work tree) before anything is touched; then those paths,
//! and only those, are checked out from the index. Putting them back is
//! `git apply` of that patch, after making sure nothing wrote to those
//! paths meanwhile, and is checked afterwards byte for byte against what
//! was there. Untracked files, intent-to-add entries (which a commit does
//! not record) and submodules are never touched. Whatever cannot be set
//! aside without risk (an unmerged path, a tracked file turned into a
//! folder) is refused before anything changes.
//!
//! This module only does git's part. It never prints, never decides where
//! the patch lives, and never handles signals: the caller keeps signals
//! away while [`set_aside`] and [`SetAside::restore`] run.

use super::command;
use crate::sys::name;
use anyhow::{bail, Context};
use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What one path in the work tree holds, to compare before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Missing,
    File { exec: bool, hash: blake3::Hash },
    Link(Vec<u8>),
}

/// Why the unstaged changes cannot be set aside safely; nothing was
/// changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// An index entry has conflict stages (a merge not yet resolved).
    Unmerged(Vec<String>),
    /// A tracked path, or a folder above one, is now something git would
    /// delete to check the file out (a folder, a file where a folder was,
    /// a symlink to a folder): whatever it holds would be lost.
    Replaced(Vec<String>),
}

/// The unstaged changes to tracked files in the work tree at `top`: none
/// (the fast path, one git process), or the paths that differ from the
/// index, or why they cannot be set aside.
pub(crate) fn unstaged(top: &Path) -> anyhow::Result<Result<Vec<Vec<u8>>, Refusal>> {
    let out = diff(top)
        .args(["--name-status", "-z"])
        .stderr(Stdio::piped())
        .output()
        .context("running git diff")?;
    if !out.status.success() {
        bail!(
            "git diff failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let mut paths = Vec::new();
    let mut unmerged = Vec::new();
    let mut fields = out.stdout.split(|&b| b == 0).filter(|f| !f.is_empty());
    while let (Some(status), Some(path)) = (fields.next(), fields.next()) {
        match status.first() {
            // Intent-to-add: a commit does not record the file, so it is
            // left where it is, like an untracked one.
            Some(b'A') => {}
            Some(b'U') => unmerged.push(shown(path)),
            _ => paths.push(path.to_vec()),
        }
    }
    if !unmerged.is_empty() {
        return Ok(Err(Refusal::Unmerged(unmerged)));
    }
    let replaced: Vec<String> = paths
        .iter()
        .filter(|p| replaced(top, p))
        .map(|p| shown(p))
        .collect();
    if !replaced.is_empty() {
        return Ok(Err(Refusal::Replaced(replaced)));
    }
    Ok(Ok(paths))
}

/// `git diff` of the index against the work tree, with every setting a
/// user's config could change about its output pinned: the patch must be
/// one `git apply` takes back exactly.
fn diff(top: &Path) -> Command {
    let mut git = command(top);
    git.args([
        "-c",
        "core.quotepath=off",
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--no-renames",
        "--no-relative",
        "--ignore-submodules=all",
        "--src-prefix=a/",
        "--dst-prefix=b/",
    ]);
    git
}

/// A path as people read it.
fn shown(path: &[u8]) -> String {
    name::display(&name::from_bytes(path.to_vec())).into_owned()
}

/// Whether checking `rel` out would make git delete something that is not
/// the tracked file: the path is a folder, or a folder above it is not a
/// plain folder.
fn replaced(top: &Path, rel: &[u8]) -> bool {
    let full = top.join(OsStr::from_bytes(rel));
    if std::fs::symlink_metadata(&full).is_ok_and(|m| m.is_dir()) {
        return true;
    }
    let mut dir = full.parent();
    while let Some(d) = dir {
        if d == top {
            return false;
        }
        match std::fs::symlink_metadata(d) {
            Ok(m) if !m.is_dir() => return true,
            _ => {}
        }
        dir = d.parent();
    }
    false
}

fn state(top: &Path, rel: &[u8]) -> anyhow::Result<State> {
    let full = top.join(OsStr::from_bytes(rel));
    let meta = match std::fs::symlink_metadata(&full) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::Missing),
        Err(e) => return Err(e).with_context(|| format!("reading `{}`", full.display())),
    };
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(&full)
            .with_context(|| format!("reading the link `{}`", full.display()))?;
        return Ok(State::Link(target.into_os_string().into_encoded_bytes()));
    }
    if !meta.is_file() {
        bail!("`{}` is neither a file nor a symlink", full.display());
    }
    let mut hasher = blake3::Hasher::new();
    hasher
        .update_reader(
            std::fs::File::open(&full).with_context(|| format!("reading `{}`", full.display()))?,
        )
        .with_context(|| format!("reading `{}`", full.display()))?;
    Ok(State::File {
        exec: meta.permissions().mode() & 0o111 != 0,
        hash: hasher.finalize(),
    })
}

fn states(top: &Path, paths: &[Vec<u8>]) -> anyhow::Result<Vec<State>> {
    paths.iter().map(|p| state(top, p)).collect()
}

/// Unstaged changes set aside: the patch that holds them, and what each
/// path held before and after.
#[derive(Debug)]
pub(crate) struct SetAside {
    top: PathBuf,
    patch: PathBuf,
    paths: Vec<Vec<u8>>,
    before: Vec<State>,
    staged: Vec<State>,
}

/// How putting the changes back ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Restored {
    /// Every path holds again exactly what it held; the patch is removed.
    Exactly,
    /// Something changed these paths while they were set aside; nothing
    /// was put back and the patch is kept.
    Conflict(Vec<String>),
    /// `git apply` put the changes back but these paths do not hold the
    /// same bytes as before (a filter or line-ending conversion that does
    /// not round-trip); the patch is kept.
    Differs(Vec<String>),
}

/// Sets aside the unstaged changes to `paths` (from [`unstaged`]) in the
/// work tree at `top`: writes them as a patch to `patch` (a new file, mode
/// 0600, synced to disk), then checks those paths out from the index.
/// When checking out fails the patch is kept and the error says so.
pub(crate) fn set_aside(top: &Path, paths: Vec<Vec<u8>>, patch: &Path) -> anyhow::Result<SetAside> {
    let before = states(top, &paths)?;
    let out = diff(top)
        .args(["--binary", "--diff-filter=a"])
        .stderr(Stdio::piped())
        .output()
        .context("running git diff --binary")?;
    if !out.status.success() || out.stdout.is_empty() {
        bail!(
            "git diff --binary failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    write_private(patch, &out.stdout)?;
    let checkout = checkout_index(top, &paths);
    let staged = checkout.and_then(|()| states(top, &paths));
    match staged {
        Ok(staged) => Ok(SetAside {
            top: top.to_path_buf(),
            patch: patch.to_path_buf(),
            paths,
            before,
            staged,
        }),
        Err(e) => {
            if states(top, &paths).is_ok_and(|now| now == before) {
                let _ = std::fs::remove_file(patch);
                return Err(e.context("setting the unstaged changes aside (nothing was changed)"));
            }
            Err(e.context(format!(
                "setting the unstaged changes aside: the work tree may be partly set aside; \
                 the changes are kept in `{}`",
                patch.display()
            )))
        }
    }
}

/// Writes `bytes` to a new file `path`, readable by its owner only, and
/// syncs it: the only copy of the user's edits must survive a crash.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating `{}`", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing `{}`", path.display()))
}

/// Runs a git child that must not be cut short: in its own process group,
/// so a Ctrl-C at the terminal (sent to the whole foreground group) does
/// not stop it halfway through the work tree.
fn run_whole(mut git: Command, stdin: Option<&[u8]>, what: &str) -> anyhow::Result<()> {
    git.process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let mut child = git.spawn().with_context(|| format!("running {what}"))?;
    if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(bytes)
            .with_context(|| format!("writing to {what}"))?;
    }
    let out = child
        .wait_with_output()
        .with_context(|| format!("running {what}"))?;
    if !out.status.success() {
        bail!(
            "{what} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Makes `paths` in the work tree what the index holds (without writing
/// the index): `git checkout-index --force`, the names on its stdin.
fn checkout_index(top: &Path, paths: &[Vec<u8>]) -> anyhow::Result<()> {
    let mut list = Vec::new();
    for p in paths {
        list.extend_from_slice(p);
        list.push(0);
    }
    let mut git = command(top);
    git.args(["checkout-index", "--force", "-z", "--stdin"]);
    run_whole(git, Some(&list), "git checkout-index")
}

/// `git apply` of `patch` to the work tree at `top`, whitespace as it is.
fn apply(top: &Path, patch: &Path) -> anyhow::Result<()> {
    let mut git = command(top);
    git.args(["apply", "--whitespace=nowarn"]).arg(patch);
    run_whole(git, None, "git apply")
}

impl SetAside {
    /// The patch holding the changes.
    pub(crate) fn patch(&self) -> &Path {
        &self.patch
    }

    /// The paths set aside, as people read them.
    pub(crate) fn shown_paths(&self) -> Vec<String> {
        self.paths.iter().map(|p| shown(p)).collect()
    }

    /// Puts the changes back, unless something wrote to their paths
    /// meanwhile; removes the patch only when every path holds again
    /// exactly what it held.
    pub(crate) fn restore(&self) -> anyhow::Result<Restored> {
        let now = states(&self.top, &self.paths)?;
        let changed: Vec<String> = (self.paths.iter().zip(&now).zip(&self.staged))
            .filter(|((_, n), s)| n != s)
            .map(|((p, _), _)| shown(p))
            .collect();
        if !changed.is_empty() {
            return Ok(Restored::Conflict(changed));
        }
        apply(&self.top, &self.patch)?;
        let after = states(&self.top, &self.paths)?;
        let differs: Vec<String> = (self.paths.iter().zip(&after).zip(&self.before))
            .filter(|((_, a), b)| a != b)
            .map(|((p, _), _)| shown(p))
            .collect();
        if !differs.is_empty() {
            return Ok(Restored::Differs(differs));
        }
        std::fs::remove_file(&self.patch)
            .with_context(|| format!("removing `{}`", self.patch.display()))?;
        Ok(Restored::Exactly)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let ok = command(dir)
            .args(["-c", "user.email=a@b", "-c", "user.name=n"])
            .args(args)
            .status()
            .unwrap();
        assert!(ok.success(), "git {args:?}");
    }

    #[test]
    fn every_kind_of_unstaged_change_comes_back_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path();
        git(top, &["init", "-q"]);
        let write = |rel: &str, bytes: &[u8]| std::fs::write(top.join(rel), bytes).unwrap();
        write("edited.txt", b"one\n");
        write("gone.txt", b"here\n");
        write("exec.sh", b"#!/bin/sh\n");
        write("bin.dat", &[0, 1, 2, 255, 0]);
        write("noeol.txt", b"a\r\nb");
        std::os::unix::fs::symlink("edited.txt", top.join("link")).unwrap();
        write("ita.txt", b"intent\n");
        git(
            top,
            &[
                "add",
                "edited.txt",
                "gone.txt",
                "exec.sh",
                "bin.dat",
                "noeol.txt",
                "link",
            ],
        );
        git(top, &["commit", "-q", "-m", "x"]);
        git(top, &["add", "-N", "ita.txt"]);
        write("edited.txt", b"one\ntwo  \n\t\n");
        git(top, &["add", "edited.txt"]);
        write("edited.txt", b"unstaged\r\n  trailing \n");
        std::fs::remove_file(top.join("gone.txt")).unwrap();
        std::fs::set_permissions(top.join("exec.sh"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        write("bin.dat", &[9, 0, 8, 254]);
        write("noeol.txt", b"a\r\nb\r\nc");
        std::fs::remove_file(top.join("link")).unwrap();
        std::os::unix::fs::symlink("gone.txt", top.join("link")).unwrap();
        write("untracked.txt", b"mine");

        let all = [
            "edited.txt",
            "gone.txt",
            "exec.sh",
            "bin.dat",
            "noeol.txt",
            "link",
            "ita.txt",
            "untracked.txt",
        ];
        let original = states(top, &all.map(|p| p.as_bytes().to_vec())).unwrap();
        let paths = unstaged(top).unwrap().unwrap();
        assert_eq!(paths.len(), 6, "ita and untracked files are not set aside");
        let patch = top.join("../stash-test.patch");
        let aside = set_aside(top, paths, &patch).unwrap();
        let mode = std::fs::metadata(&patch).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(
            std::fs::read(top.join("edited.txt")).unwrap(),
            b"one\ntwo  \n\t\n"
        );
        assert_eq!(std::fs::read(top.join("gone.txt")).unwrap(), b"here\n");
        assert_eq!(unstaged(top).unwrap().unwrap(), Vec::<Vec<u8>>::new());
        assert_eq!(std::fs::read(top.join("untracked.txt")).unwrap(), b"mine");
        assert_eq!(aside.restore().unwrap(), Restored::Exactly);
        assert!(!patch.exists());
        let now = states(top, &all.map(|p| p.as_bytes().to_vec())).unwrap();
        assert_eq!(now, original);
    }

    #[test]
    fn a_write_to_a_set_aside_path_keeps_the_patch_and_touches_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path();
        git(top, &["init", "-q"]);
        std::fs::write(top.join("a"), "a\n").unwrap();
        git(top, &["add", "a"]);
        git(top, &["commit", "-q", "-m", "x"]);
        std::fs::write(top.join("a"), "mine\n").unwrap();
        let patch = top.join("../conflict-test.patch");
        let aside = set_aside(top, unstaged(top).unwrap().unwrap(), &patch).unwrap();
        std::fs::write(top.join("a"), "formatted\n").unwrap();
        assert_eq!(
            aside.restore().unwrap(),
            Restored::Conflict(vec!["a".into()])
        );
        assert_eq!(std::fs::read(top.join("a")).unwrap(), b"formatted\n");
        assert!(patch.exists());
        std::fs::remove_file(&patch).unwrap();
    }

    #[test]
    fn a_folder_where_a_tracked_file_was_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path();
        git(top, &["init", "-q"]);
        std::fs::create_dir(top.join("d")).unwrap();
        std::fs::write(top.join("d/f"), "x").unwrap();
        std::fs::write(top.join("g"), "x").unwrap();
        git(top, &["add", "."]);
        git(top, &["commit", "-q", "-m", "x"]);
        std::fs::remove_dir_all(top.join("d")).unwrap();
        std::fs::write(top.join("d"), "now a file").unwrap();
        std::fs::remove_file(top.join("g")).unwrap();
        std::fs::create_dir(top.join("g")).unwrap();
        std::fs::write(top.join("g/inside"), "mine").unwrap();
        assert_eq!(
            unstaged(top).unwrap(),
            Err(Refusal::Replaced(vec!["d/f".into(), "g".into()]))
        );
    }
}
