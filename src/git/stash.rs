//! Setting the work tree's unstaged changes aside and putting them back, so
//! that a pre-commit check sees exactly what is staged (DESIGN §11).
//!
//! Before anything is touched, every path with unstaged changes to a
//! tracked file (edits, deletions, mode and type changes, binary files) is
//! copied raw into a private set-aside folder: the file's exact bytes and
//! full mode, or the symlink's target, or the fact that it is gone, plus a
//! `restore.sh` that puts them back and a patch (`git diff --binary`) for
//! people to read. Then those paths, and only those, are checked out from
//! the index. Putting them back writes the raw copies back (never `git
//! apply`, which goes through filters and line-ending conversion) after
//! making sure nothing wrote to those paths meanwhile, and checks every
//! path byte for byte and mode for mode. Untracked files, intent-to-add
//! entries (which a commit does not record) and submodules are never
//! touched. Whatever cannot be set aside without risk (an unmerged path, a
//! tracked file turned into a folder, an assume-unchanged or skip-worktree
//! entry that `git diff` would hide) is refused before anything changes.
//!
//! This module only does git's part. It never prints, never decides where
//! the set-aside folder lives, and never handles signals: the caller keeps
//! signals away while [`set_aside`] and [`SetAside::restore`] run.

use super::command;
use crate::diag::UserError;
use crate::sys::name;
use anyhow::{bail, Context};
use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The mode bits a restore puts back: permissions, setuid/setgid, sticky.
const MODE_BITS: u32 = 0o7777;

/// What one path in the work tree holds, to compare before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Missing,
    File { mode: u32, hash: blake3::Hash },
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
    /// Entries marked assume-unchanged or skip-worktree whose work-tree
    /// file differs from what is staged: `git diff` hides them, so what is
    /// staged there would be committed unseen.
    Hidden(Vec<String>),
    /// A tracked path is now neither a file, a symlink nor a folder (a
    /// FIFO, a socket, a device): pqg cannot copy it aside.
    Special(Vec<String>),
}

/// The unstaged changes to tracked files in the work tree at `top`: none,
/// or the paths that differ from the index, or why they cannot be set
/// aside.
pub(crate) fn unstaged(top: &Path) -> anyhow::Result<Result<Vec<Vec<u8>>, Refusal>> {
    let listed = diff_output(
        top,
        &["--name-status", "-z"],
        "git diff (to find the unstaged changes)",
    )?;
    let mut paths = Vec::new();
    let mut unmerged = Vec::new();
    let mut fields = listed.split(|&b| b == 0).filter(|f| !f.is_empty());
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
    let hidden = hidden(top)?;
    if !hidden.is_empty() {
        return Ok(Err(Refusal::Hidden(hidden)));
    }
    let replaced: Vec<String> = paths
        .iter()
        .filter(|p| replaced(top, p))
        .map(|p| shown(p))
        .collect();
    if !replaced.is_empty() {
        return Ok(Err(Refusal::Replaced(replaced)));
    }
    let special: Vec<String> = paths
        .iter()
        .filter(|p| {
            std::fs::symlink_metadata(top.join(OsStr::from_bytes(p))).is_ok_and(|m| {
                let t = m.file_type();
                !(t.is_file() || t.is_symlink() || t.is_dir())
            })
        })
        .map(|p| shown(p))
        .collect();
    if !special.is_empty() {
        return Ok(Err(Refusal::Special(special)));
    }
    Ok(Ok(paths))
}

/// The assume-unchanged and skip-worktree entries (`git ls-files -v`
/// tags them: a lowercase letter, or `S`) whose work-tree file differs from
/// the index. A skip-worktree entry missing from the work tree is a sparse
/// checkout, not a change.
fn hidden(top: &Path) -> anyhow::Result<Vec<String>> {
    let mut git = command(top);
    git.args(["-c", "core.quotepath=off", "ls-files", "-v", "-s", "-z"]);
    let listed = output_of(git, "git ls-files")?;
    // Each entry: `TAG MODE OID STAGE\tPATH`.
    let mut flagged: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = Vec::new();
    for entry in listed.split(|&b| b == 0).filter(|e| !e.is_empty()) {
        let Some(tab) = entry.iter().position(|&b| b == b'\t') else {
            continue;
        };
        let (meta, path) = (&entry[..tab], &entry[tab + 1..]);
        let mut words = meta.split(|&b| b == b' ');
        let (Some(tag), Some(mode), Some(oid)) = (words.next(), words.next(), words.next()) else {
            continue;
        };
        let Some(&tag) = tag.first() else { continue };
        let assumed = tag.is_ascii_lowercase();
        let skipped = tag == b'S' || tag == b's';
        if !(assumed || skipped) || mode == b"160000" {
            continue;
        }
        let full = top.join(OsStr::from_bytes(path));
        match std::fs::symlink_metadata(&full) {
            Err(_) if skipped => {}
            Ok(m) if m.is_file() => flagged.push((path.to_vec(), oid.to_vec(), mode.to_vec())),
            // Gone, a symlink, or anything else: count it as changed, never
            // as unchanged.
            _ => flagged.push((path.to_vec(), Vec::new(), mode.to_vec())),
        }
    }
    if flagged.is_empty() {
        return Ok(Vec::new());
    }
    let files: Vec<&(Vec<u8>, Vec<u8>, Vec<u8>)> = flagged
        .iter()
        .filter(|(p, oid, _)| !oid.is_empty() && !p.contains(&b'\n'))
        .collect();
    let mut list = Vec::new();
    for (path, _, _) in &files {
        list.extend_from_slice(path);
        list.push(b'\n');
    }
    let hashed = if files.is_empty() {
        Vec::new()
    } else {
        let mut git = command(top);
        git.args(["hash-object", "--stdin-paths"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = git.spawn().context("running git hash-object")?;
        if let Some(mut pipe) = child.stdin.take() {
            // Names with a newline cannot go through --stdin-paths: they
            // count as changed below, as the ids will not line up.
            let _ = pipe.write_all(&list);
        }
        let out = child
            .wait_with_output()
            .context("running git hash-object")?;
        out.stdout
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(<[u8]>::to_vec)
            .collect()
    };
    let mut changed = Vec::new();
    let mut ids = hashed.iter();
    for (path, oid, _) in &flagged {
        if oid.is_empty() || path.contains(&b'\n') || ids.next() != Some(oid) {
            changed.push(shown(path));
        }
    }
    Ok(changed)
}

/// What [`diff`] with `args` prints.
fn diff_output(top: &Path, args: &[&str], what: &str) -> anyhow::Result<Vec<u8>> {
    let mut git = diff(top);
    git.args(args);
    output_of(git, what)
}

/// What `git` prints; a failing git is a user error naming `what` and
/// quoting git.
fn output_of(mut git: Command, what: &str) -> anyhow::Result<Vec<u8>> {
    let out = git
        .stderr(Stdio::piped())
        .output()
        .with_context(|| format!("running {what}"))?;
    if !out.status.success() {
        return Err(UserError::new(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
        .hint("fix what git says, or skip the hook once: git commit --no-verify")
        .into());
    }
    Ok(out.stdout)
}

/// `git diff` of the index against the work tree, with every setting a
/// user's config could change about its output pinned, so that the patch
/// kept for people to read is a plain one `git apply` takes.
fn diff(top: &Path) -> Command {
    let mut git = command(top);
    git.args([
        "-c",
        "core.quotepath=off",
        "-c",
        "diff.context=3",
        "-c",
        "diff.interHunkContext=0",
        "-c",
        "diff.noprefix=false",
        "-c",
        "diff.mnemonicPrefix=false",
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--no-renames",
        "--no-relative",
        "--ignore-submodules=all",
        "-U3",
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

/// What `full` holds; with `copy`, a regular file's bytes are also written
/// there (a new private file, synced) as they are hashed.
fn read_state(full: &Path, copy: Option<&Path>) -> anyhow::Result<State> {
    let meta = match std::fs::symlink_metadata(full) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::Missing),
        Err(e) => return Err(e).with_context(|| format!("reading `{}`", full.display())),
    };
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(full)
            .with_context(|| format!("reading the link `{}`", full.display()))?;
        return Ok(State::Link(target.into_os_string().into_encoded_bytes()));
    }
    if !meta.is_file() {
        return Err(UserError::new(format!(
            "`{}` is neither a file nor a symlink: pqg cannot set it aside",
            full.display()
        ))
        .hint("put the file back, or skip the hook once: git commit --no-verify")
        .into());
    }
    let bytes = std::fs::read(full).with_context(|| format!("reading `{}`", full.display()))?;
    if let Some(copy) = copy {
        write_private(copy, &bytes)?;
    }
    Ok(State::File {
        mode: meta.permissions().mode() & MODE_BITS,
        hash: blake3::hash(&bytes),
    })
}

fn state(top: &Path, rel: &[u8]) -> anyhow::Result<State> {
    read_state(&top.join(OsStr::from_bytes(rel)), None)
}

fn states(top: &Path, paths: &[Vec<u8>]) -> anyhow::Result<Vec<State>> {
    paths.iter().map(|p| state(top, p)).collect()
}

/// Unstaged changes set aside: the folder that holds their raw copies, and
/// what each path held before and after.
#[derive(Debug)]
pub(crate) struct SetAside {
    top: PathBuf,
    dir: PathBuf,
    paths: Vec<Vec<u8>>,
    before: Vec<State>,
    staged: Vec<State>,
}

/// How putting the changes back ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Restored {
    /// Every path holds again exactly what it held; the folder is removed.
    Exactly,
    /// Something changed these paths while they were set aside; nothing
    /// was put back and the folder is kept.
    Conflict(Vec<String>),
    /// These paths do not read back exactly as they were after the raw
    /// copies were written back; the folder is kept.
    Differs(Vec<String>),
}

/// The raw copy of the `i`th set-aside path in `dir`.
fn copy_of(dir: &Path, i: usize) -> PathBuf {
    dir.join("files").join(i.to_string())
}

/// The script in a set-aside folder that puts its changes back.
pub(crate) const RESTORE_SCRIPT: &str = "restore.sh";

/// Sets aside the unstaged changes to `paths` (from [`unstaged`]) in the
/// work tree at `top`: copies each path raw into `dir` (an empty private
/// folder the caller made), writes `changes.patch` and
/// [`RESTORE_SCRIPT`] there (all 0600, synced), then checks those paths
/// out from the index. When checking out fails the folder is kept and the
/// error says so.
pub(crate) fn set_aside(top: &Path, paths: Vec<Vec<u8>>, dir: &Path) -> anyhow::Result<SetAside> {
    let files = dir.join("files");
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&files)
        .with_context(|| format!("creating `{}`", files.display()))?;
    let before: Vec<State> = paths
        .iter()
        .enumerate()
        .map(|(i, p)| read_state(&top.join(OsStr::from_bytes(p)), Some(&copy_of(dir, i))))
        .collect::<anyhow::Result<_>>()?;
    let patch = diff_output(top, &["--binary", "--diff-filter=a"], "git diff --binary")?;
    // The patch is for people to read; restoring never needs it, so it is
    // not synced (one fsync less per commit).
    write_file(&dir.join("changes.patch"), &patch, false)?;
    let script = restore_script(top, &paths, &before);
    let temp = dir.join(format!("{RESTORE_SCRIPT}.new"));
    write_private(&temp, &script)?;
    std::fs::rename(&temp, dir.join(RESTORE_SCRIPT))
        .with_context(|| format!("writing `{}`", dir.display()))?;
    sync_dir(dir)?;
    let checkout = checkout_index(top, &paths);
    let staged = checkout.and_then(|()| states(top, &paths));
    match staged {
        Ok(staged) => Ok(SetAside {
            top: top.to_path_buf(),
            dir: dir.to_path_buf(),
            paths,
            before,
            staged,
        }),
        Err(e) => {
            if states(top, &paths).is_ok_and(|now| now == before) {
                let _ = std::fs::remove_dir_all(dir);
                return Err(e.context("setting the unstaged changes aside (nothing was changed)"));
            }
            Err(e.context(format!(
                "setting the unstaged changes aside: the work tree may be partly set aside; \
                 put the changes back with: sh {}",
                shell_quote(dir.join(RESTORE_SCRIPT).as_os_str().as_bytes())
            )))
        }
    }
}

/// A shell script that puts the raw copies in `dir` back over `paths`,
/// whatever the paths hold now. Names are quoted as raw bytes (single
/// quotes take any byte but NUL), so odd names round-trip.
fn restore_script(top: &Path, paths: &[Vec<u8>], before: &[State]) -> Vec<u8> {
    let q = |b: &[u8]| {
        let mut out = vec![b'\''];
        for &c in b {
            if c == b'\'' {
                out.extend_from_slice(b"'\\''");
            } else {
                out.push(c);
            }
        }
        out.push(b'\'');
        out
    };
    let mut s: Vec<u8> = Vec::new();
    s.extend_from_slice(
        b"#!/bin/sh\n# Written by pqg's pre-commit hook: puts back the unstaged changes it set\n\
          # aside (raw copies in files/, exact bytes and mode), over whatever those\n\
          # paths hold now. changes.patch shows the same changes as a diff.\nset -e\n\
          here=$(cd -- \"$(dirname -- \"$0\")\" && pwd)\ncd -- ",
    );
    s.extend(q(top.as_os_str().as_bytes()));
    s.push(b'\n');
    for (i, (path, state)) in paths.iter().zip(before).enumerate() {
        let p = q(path);
        s.extend_from_slice(b"rm -f -- ");
        s.extend_from_slice(&p);
        s.push(b'\n');
        match state {
            State::Missing => {}
            State::Link(target) => {
                s.extend_from_slice(b"ln -s -- ");
                s.extend(q(target));
                s.push(b' ');
                s.extend_from_slice(&p);
                s.push(b'\n');
            }
            State::File { mode, .. } => {
                s.extend_from_slice(format!("cp -- \"$here/files/{i}\" ").as_bytes());
                s.push(b' ');
                s.extend_from_slice(&p);
                s.extend_from_slice(format!("\nchmod {mode:04o} -- ").as_bytes());
                s.extend_from_slice(&p);
                s.push(b'\n');
            }
        }
    }
    s
}

/// `bytes` (a path) quoted for a shell on one line: single quotes, or
/// bash's `$'…'` when it holds control characters or bytes that are not
/// UTF-8.
pub(crate) fn shell_quote(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.chars().any(char::is_control) => {
            format!("'{}'", s.replace('\'', r"'\''"))
        }
        _ => {
            let mut out = String::from("$'");
            for &b in bytes {
                match b {
                    b'\\' => out.push_str("\\\\"),
                    b'\'' => out.push_str("\\'"),
                    0x20..=0x7e => out.push(char::from(b)),
                    _ => out.push_str(&format!("\\x{b:02x}")),
                }
            }
            out.push('\'');
            out
        }
    }
}

/// Writes `bytes` to a new file `path`, readable by its owner only, and
/// syncs it: the only copy of the user's edits must survive a crash.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_file(path, bytes, true)
}

/// Writes `bytes` to a new file `path`, readable by its owner only; with
/// `sync`, its data reaches the disk before this returns.
fn write_file(path: &Path, bytes: &[u8], sync: bool) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating `{}`", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| if sync { file.sync_data() } else { Ok(()) })
        .with_context(|| format!("writing `{}`", path.display()))
}

/// Syncs the folder `dir` and its `files/` so the names of what was
/// written there survive a crash too.
fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    for d in [dir.join("files"), dir.to_path_buf()] {
        std::fs::File::open(&d)
            .and_then(|f| f.sync_all())
            .with_context(|| format!("syncing `{}`", d.display()))?;
    }
    Ok(())
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

/// Puts `state` (with its raw copy `copy`) back at `full`, replacing
/// whatever is there.
fn put_back(full: &Path, state: &State, copy: &Path) -> anyhow::Result<()> {
    match std::fs::symlink_metadata(full) {
        Ok(m) if m.is_dir() => bail!("`{}` is now a folder", full.display()),
        Ok(_) => {
            std::fs::remove_file(full).with_context(|| format!("removing `{}`", full.display()))?;
        }
        Err(_) => {}
    }
    match state {
        State::Missing => Ok(()),
        State::Link(target) => std::os::unix::fs::symlink(OsStr::from_bytes(target), full)
            .with_context(|| format!("writing the link `{}`", full.display())),
        State::File { mode, .. } => {
            let bytes =
                std::fs::read(copy).with_context(|| format!("reading `{}`", copy.display()))?;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(full)
                .with_context(|| format!("writing `{}`", full.display()))?;
            file.write_all(&bytes)
                .with_context(|| format!("writing `{}`", full.display()))?;
            file.set_permissions(std::fs::Permissions::from_mode(*mode))
                .with_context(|| format!("setting the mode of `{}`", full.display()))
        }
    }
}

impl SetAside {
    /// The folder holding the raw copies, the patch and the restore script.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The paths set aside, as people read them.
    pub(crate) fn shown_paths(&self) -> Vec<String> {
        self.paths.iter().map(|p| shown(p)).collect()
    }

    /// The set-aside paths (as people read them) whose state in `now`
    /// is not the one in `expected`.
    fn differing<S: PartialEq>(&self, now: &[S], expected: &[S]) -> Vec<String> {
        (self.paths.iter().zip(now).zip(expected))
            .filter(|((_, n), e)| n != e)
            .map(|((p, _), _)| shown(p))
            .collect()
    }

    /// Puts the changes back from the raw copies, unless something wrote
    /// to their paths meanwhile; removes the folder only when every path
    /// holds again exactly what it held (bytes, full mode, link target).
    pub(crate) fn restore(&self) -> anyhow::Result<Restored> {
        let now = states(&self.top, &self.paths)?;
        let changed = self.differing(&now, &self.staged);
        if !changed.is_empty() {
            return Ok(Restored::Conflict(changed));
        }
        for (i, (path, state)) in self.paths.iter().zip(&self.before).enumerate() {
            let full = self.top.join(OsStr::from_bytes(path));
            put_back(&full, state, &copy_of(&self.dir, i))?;
        }
        let after = states(&self.top, &self.paths)?;
        let differs = self.differing(&after, &self.before);
        if !differs.is_empty() {
            return Ok(Restored::Differs(differs));
        }
        std::fs::remove_dir_all(&self.dir)
            .with_context(|| format!("removing `{}`", self.dir.display()))?;
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
        let aside_dir = tempfile::tempdir().unwrap();
        let patch = aside_dir.path().join("run");
        std::fs::create_dir(&patch).unwrap();
        let aside = set_aside(top, paths, &patch).unwrap();
        let mode = std::fs::metadata(patch.join("changes.patch"))
            .unwrap()
            .permissions()
            .mode();
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
        let aside_dir = tempfile::tempdir().unwrap();
        let patch = aside_dir.path().join("run");
        std::fs::create_dir(&patch).unwrap();
        let aside = set_aside(top, unstaged(top).unwrap().unwrap(), &patch).unwrap();
        std::fs::write(top.join("a"), "formatted\n").unwrap();
        assert_eq!(
            aside.restore().unwrap(),
            Restored::Conflict(vec!["a".into()])
        );
        assert_eq!(std::fs::read(top.join("a")).unwrap(), b"formatted\n");
        assert!(patch.join(RESTORE_SCRIPT).exists());
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
