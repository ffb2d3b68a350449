//! `--changed-since REF`: the files that changed since the merge base of
//! REF and HEAD, work tree included (edits, deletions, new untracked files),
//! relative to the config's folder. Asks git; never decides which gates
//! run (the plan does that with the list).

use crate::diag::UserError;
use std::path::Path;

/// What `--changed-since` found.
pub(crate) enum Changed {
    /// The changed files, the merge base they were compared with, and the
    /// places whose changes `git diff` cannot see.
    Files {
        files: Vec<String>,
        base: String,
        blind: Blind,
    },
    /// No merge base (a shallow clone, unrelated histories): every gate
    /// runs, and this says why.
    Everything(String),
}

fn git(root: &Path, args: &[&str]) -> std::io::Result<std::process::Output> {
    super::command(root)
        .args(["-c", "core.quotepath=off"])
        .args(args)
        .output()
}

fn nul_list(bytes: &[u8]) -> Vec<String> {
    bytes
        .split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

/// The changed files, or why every gate must run.
pub(crate) fn changed_since(root: &Path, reference: &str) -> Result<Changed, UserError> {
    let fail = |e: std::io::Error| UserError::new(format!("cannot run git: {e}"));
    let inside = git(root, &["rev-parse", "--is-inside-work-tree"]).map_err(fail)?;
    if !inside.status.success() {
        return Err(UserError::new("--changed-since needs a git repository")
            .hint("run without --changed-since to check every gate"));
    }
    let verify = git(
        root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{reference}^{{commit}}"),
        ],
    )
    .map_err(fail)?;
    if !verify.status.success() {
        return Err(UserError::new(format!("--changed-since: unknown ref `{reference}`"))
            .hint("name a branch, tag or commit that exists here (in CI: git fetch origin main, then --changed-since origin/main)"));
    }
    let base = git(root, &["merge-base", reference, "HEAD"]).map_err(fail)?;
    if !base.status.success() {
        let shallow = git(root, &["rev-parse", "--is-shallow-repository"])
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "true");
        return Ok(Changed::Everything(format!(
            "no merge base between `{reference}` and HEAD{}: every gate runs",
            if shallow {
                " (this is a shallow clone: fetch more history, e.g. git fetch --unshallow)"
            } else {
                ""
            }
        )));
    }
    let base = String::from_utf8_lossy(&base.stdout).trim().to_owned();
    // Against the work tree: committed, staged and unstaged changes alike.
    let diff = git(
        root,
        &[
            "diff",
            "--name-only",
            "--no-renames",
            "--relative",
            "-z",
            &base,
            "--",
        ],
    )
    .map_err(fail)?;
    if !diff.status.success() {
        return Err(UserError::new(format!(
            "--changed-since: git diff failed: {}",
            String::from_utf8_lossy(&diff.stderr).trim()
        )));
    }
    let untracked =
        git(root, &["ls-files", "--others", "--exclude-standard", "-z"]).map_err(fail)?;
    let mut files = nul_list(&diff.stdout);
    files.extend(nul_list(&untracked.stdout));
    files.sort();
    files.dedup();
    let blind = blind_spots(root).map_err(fail)?;
    Ok(Changed::Files { files, base, blind })
}

/// The places whose changes `git diff` does not show, relative to the
/// config's folder: a submodule's edited files (and its bumps when only
/// staged there), the ignored files and folders, what a symlink points at,
/// and the files git is told not to look at.
#[derive(Debug, Default)]
pub(crate) struct Blind {
    /// Submodule paths (gitlinks in the index).
    pub submodules: Vec<String>,
    /// Ignored untracked files and folders (a folder without its `/`).
    pub ignored: Vec<String>,
    /// Tracked symlinks.
    pub links: Vec<String>,
    /// Files marked assume-unchanged or skip-worktree.
    pub flagged: Vec<String>,
}

fn blind_spots(root: &Path) -> std::io::Result<Blind> {
    let mut blind = Blind::default();
    let staged = git(root, &["ls-files", "-s", "-z"])?;
    for entry in nul_list(&staged.stdout) {
        let Some((meta, path)) = entry.split_once('\t') else {
            continue;
        };
        if meta.starts_with("160000 ") {
            blind.submodules.push(path.to_owned());
        } else if meta.starts_with("120000 ") {
            blind.links.push(path.to_owned());
        }
    }
    let tagged = git(root, &["ls-files", "-v", "-z"])?;
    for entry in nul_list(&tagged.stdout) {
        if let Some((tag, path)) = entry.split_once(' ') {
            if tag == "S" || tag.chars().all(|c| c.is_ascii_lowercase()) {
                blind.flagged.push(path.to_owned());
            }
        }
    }
    let ignored = git(
        root,
        &[
            "ls-files",
            "--others",
            "--ignored",
            "--exclude-standard",
            "--directory",
            "-z",
        ],
    )?;
    blind.ignored = nul_list(&ignored.stdout)
        .into_iter()
        .map(|p| p.trim_end_matches('/').to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    for list in [
        &mut blind.submodules,
        &mut blind.ignored,
        &mut blind.links,
        &mut blind.flagged,
    ] {
        list.sort();
        list.dedup();
    }
    Ok(blind)
}
