//! A submodule's checkout, as an input (DESIGN §5: a submodule counts by
//! its checked-out commit and its own work tree). Only what the
//! submodule's own `.git` says: the folder above is never asked, so a
//! submodule that is not checked out is never mistaken for the
//! superproject.

use super::{head_in, Dirs};
use std::path::{Path, PathBuf};

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
    let asked = super::command(dir)
        .args(["rev-parse", "--verify", "-q", "HEAD"])
        .stderr(std::process::Stdio::null())
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
