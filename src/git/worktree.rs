//! Temporary linked worktrees, for the pre-push hook to check a pushed
//! commit that is not what the work tree holds: made detached at the
//! commit, removed (and pruned) afterwards, and found again when a pqg that
//! made one died before it could remove it.
//!
//! Every git run here is cut off from the repository a hook was started in
//! (`GIT_DIR`, `GIT_WORK_TREE`, `GIT_INDEX_FILE`…: git sets `GIT_DIR` for a
//! hook run in a linked worktree), so that it acts on the folder it is
//! pointed at, and runs no hook of its own (`post-checkout`). This module
//! only does git's part; when to make a worktree, and what to run in it,
//! is the caller's.

use super::command;
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Variables through which git (or a hook that started us) points a git
/// run at some repository other than the folder it runs in.
pub(crate) const REPOSITORY_VARIABLES: [&str; 10] = [
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_PREFIX",
    "GIT_NAMESPACE",
    "GIT_QUARANTINE_PATH",
    "GIT_INTERNAL_SUPER_PREFIX",
];

/// `git` in `dir`, about the repository `dir` is in and nothing else, with
/// hooks off.
fn git(dir: &Path) -> Command {
    let mut git = command(dir);
    for var in REPOSITORY_VARIABLES {
        git.env_remove(var);
    }
    git.args(["-c", "core.hooksPath=/dev/null"]);
    git
}

fn run(mut git: Command, what: &str) -> anyhow::Result<String> {
    let out = git
        .stderr(Stdio::piped())
        .output()
        .with_context(|| format!("running git to {what}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        bail!("git could not {what}: {}", stderr.trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Makes a worktree at `path` (absent, or an empty folder) holding
/// `commit`, detached, for the repository of `repo` (a folder of its work
/// tree). Every file of the commit is checked out, even when `repo` is a
/// sparse checkout (whose setup git copies into a new worktree).
pub(crate) fn add_detached(repo: &Path, path: &Path, commit: &str) -> anyhow::Result<()> {
    let mut add = git(repo);
    add.args(["worktree", "add", "--detach", "--no-checkout", "--quiet"])
        .arg(path)
        .arg(commit);
    run(add, &format!("check out {commit} in a temporary worktree"))?;
    let mut checkout = git(path);
    checkout.args([
        "-c",
        "core.sparseCheckout=false",
        "-c",
        "index.sparse=false",
        "reset",
        "--hard",
        "--quiet",
    ]);
    run(
        checkout,
        &format!("check out {commit} in a temporary worktree"),
    )?;
    let mut ls = git(path);
    ls.args(["ls-files", "-t", "-z"]);
    let listed = run(ls, "list the files of a temporary worktree")?;
    if listed.split('\0').any(|entry| entry.starts_with("S ")) {
        bail!("git left files of {commit} out of the temporary worktree (a sparse checkout)");
    }
    Ok(())
}

/// Removes the worktree at `path` (whatever it holds) and what git keeps
/// about it. Every step is tried, and the first failure is given back.
pub(crate) fn remove(repo: &Path, path: &Path) -> anyhow::Result<()> {
    let mut rm = git(repo);
    rm.args(["worktree", "remove", "--force", "--force"])
        .arg(path);
    let removed = run(rm, "remove a temporary worktree").map(drop);
    // git refuses to remove a worktree it no longer knows, or one whose
    // folder is already gone: the folder goes anyway, then git forgets it.
    let gone = match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing `{}`", path.display()))
        }
        _ => Ok(()),
    };
    let pruned = prune(repo);
    removed.or(gone).or(pruned)
}

/// `git worktree prune`: forgets worktrees whose folder is gone.
pub(crate) fn prune(repo: &Path) -> anyhow::Result<()> {
    let mut prune = git(repo);
    prune.args(["worktree", "prune"]);
    run(prune, "prune worktrees").map(drop)
}

/// The folders of the repository's linked worktrees, as git lists them.
pub(crate) fn list(repo: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut list = git(repo);
    list.args(["worktree", "list", "--porcelain", "-z"]);
    let text = run(list, "list worktrees")?;
    Ok(text
        .split('\0')
        .filter_map(|field| field.strip_prefix("worktree "))
        .map(PathBuf::from)
        .collect())
}

/// The submodules (gitlinks) the work tree at `tree` records, from its
/// index.
pub(crate) fn submodules(tree: &Path) -> anyhow::Result<Vec<String>> {
    let mut ls = git(tree);
    ls.args(["-c", "core.quotepath=off", "ls-files", "--stage", "-z"]);
    let text = run(ls, "list the files of a temporary worktree")?;
    Ok(text
        .split('\0')
        .filter_map(|entry| {
            let (meta, path) = entry.split_once('\t')?;
            meta.starts_with("160000 ").then(|| path.to_owned())
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worktree_is_made_listed_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir(&repo).unwrap();
        let g = |args: &[&str]| {
            let ok = git(&repo)
                .args(["-c", "user.email=a@b", "-c", "user.name=n"])
                .args(args)
                .status()
                .unwrap();
            assert!(ok.success(), "{args:?}");
        };
        g(&["init", "-q"]);
        std::fs::write(repo.join("f"), "x").unwrap();
        g(&["add", "f"]);
        g(&["commit", "-qm", "one"]);
        let tree = dir.path().join("tree");
        add_detached(&repo, &tree, "HEAD").unwrap();
        assert_eq!(std::fs::read_to_string(tree.join("f")).unwrap(), "x");
        let listed = list(&repo).unwrap();
        assert!(listed.iter().any(|p| p.ends_with("tree")), "{listed:?}");
        assert!(submodules(&tree).unwrap().is_empty());
        remove(&repo, &tree).unwrap();
        assert!(!tree.exists());
        assert_eq!(list(&repo).unwrap().len(), 1, "only the main work tree");
        assert!(add_detached(&repo, &tree, "no-such-commit").is_err());
        assert!(!tree.exists() || std::fs::read_dir(&tree).unwrap().next().is_none());
    }
}
