//! A submodule's checkout, as an input (DESIGN §5: a submodule counts by
//! its checked-out commit and its own work tree). Only what the
//! submodule's own `.git` says: the folder above is never asked, so a
//! submodule that is not checked out is never mistaken for the
//! superproject.

use super::{head_in, Dirs};
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A git command run in the submodule at `dir`, about that repository
/// only: the variables a hook or an outer git may have set (`GIT_DIR`,
/// `GIT_INDEX_FILE`, ...) would point it at the superproject.
fn command_in(dir: &Path) -> Command {
    let mut git = super::command(dir);
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_COMMON_DIR",
        "GIT_PREFIX",
    ] {
        git.env_remove(var);
    }
    git
}

/// The submodule's own files, as `git ls-files` lists them there:
/// tracked, and untracked but not ignored; relative to `dir`.
pub(crate) fn files(dir: &Path) -> anyhow::Result<Vec<String>> {
    let output = command_in(dir)
        .args(["-c", "core.quotepath=off", "ls-files", "-z"])
        .args(["--cached", "--others", "--exclude-standard"])
        .stderr(Stdio::piped())
        .output()
        .with_context(|| format!("listing the files of submodule {}", dir.display()))?;
    if !output.status.success() {
        bail!(
            "git ls-files in {} failed: {}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let mut out = Vec::new();
    for raw in output.stdout.split(|&b| b == 0).filter(|s| !s.is_empty()) {
        match std::str::from_utf8(raw) {
            Ok(s) => out.push(s.to_owned()),
            Err(_) => bail!(
                "a file name in {} is not valid UTF-8: {}",
                dir.display(),
                String::from_utf8_lossy(raw)
            ),
        }
    }
    Ok(out)
}

/// What is checked out in a submodule's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Checkout {
    /// No `.git` in the folder: the submodule is not checked out (an empty
    /// folder, or files git does not track there).
    Absent,
    /// A repository with no commit yet, or a HEAD nothing here can read.
    NoCommit,
    /// The commit checked out (hex).
    Commit(String),
}

/// The git folders of the repository whose work tree is exactly `dir`:
/// `dir/.git` is a folder, or a file naming one (`gitdir: ...`).
fn own_dirs(dir: &Path) -> Option<Dirs> {
    let dot_git = dir.join(".git");
    let meta = std::fs::metadata(&dot_git).ok()?;
    let git_dir: PathBuf = if meta.is_dir() {
        dot_git
    } else {
        let text = std::fs::read_to_string(&dot_git).ok()?;
        dir.join(text.trim().strip_prefix("gitdir: ")?)
    };
    let common = std::fs::read_to_string(git_dir.join("commondir"))
        .ok()
        .map_or_else(|| git_dir.clone(), |c| git_dir.join(c.trim()));
    Some(Dirs {
        top: dir.to_path_buf(),
        git_dir,
        common,
    })
}

/// The commit checked out in the submodule at `dir`. Read from its files;
/// git is asked only when HEAD names a ref those files do not resolve
/// (a reftable repository, say), and its answer is taken as final.
pub(crate) fn checkout(dir: &Path) -> Checkout {
    let Some(dirs) = own_dirs(dir) else {
        return Checkout::Absent;
    };
    if let (Some(commit), _) = head_in(&dirs) {
        return Checkout::Commit(commit);
    }
    let asked = command_in(dir)
        .args(["rev-parse", "--verify", "-q", "HEAD"])
        .stderr(Stdio::null())
        .output();
    match asked {
        Ok(out) if out.status.success() => {
            let id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            if super::is_object_id(&id) {
                Checkout::Commit(id)
            } else {
                Checkout::NoCommit
            }
        }
        _ => Checkout::NoCommit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = super::super::command(dir)
            .args(["-c", "user.email=a@b", "-c", "user.name=n"])
            .args(["-c", "protocol.file.allow=always"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    #[test]
    fn a_submodule_is_read_from_its_own_git_folder_only() {
        let up = tempfile::tempdir().unwrap();
        git(up.path(), &["init", "-q"]);
        std::fs::write(up.path().join("f"), "x").unwrap();
        git(up.path(), &["add", "f"]);
        git(up.path(), &["commit", "-q", "-m", "one"]);
        let first = git(up.path(), &["rev-parse", "HEAD"]);

        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q"]);
        let url = up.path().to_str().unwrap();
        git(dir.path(), &["submodule", "add", "-q", url, "lib"]);
        git(dir.path(), &["commit", "-q", "-m", "sub"]);
        let lib = dir.path().join("lib");
        assert_eq!(checkout(&lib), Checkout::Commit(first.clone()));
        std::fs::write(lib.join("new"), "y").unwrap();
        let mut listed = files(&lib).unwrap();
        listed.sort();
        assert_eq!(listed, ["f", "new"]);
        git(&lib, &["commit", "-q", "--allow-empty", "-m", "two"]);
        let second = git(&lib, &["rev-parse", "HEAD"]);
        assert_ne!(first, second);
        assert_eq!(checkout(&lib), Checkout::Commit(second));

        git(dir.path(), &["submodule", "deinit", "-q", "-f", "lib"]);
        assert_eq!(checkout(&lib), Checkout::Absent, "not the superproject's");
        let fresh = dir.path().join("fresh");
        std::fs::create_dir(&fresh).unwrap();
        git(&fresh, &["init", "-q"]);
        assert_eq!(checkout(&fresh), Checkout::NoCommit, "unborn");
    }
}
