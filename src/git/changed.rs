//! `--changed-since REF`: the files that changed since the merge base of
//! REF and HEAD, work tree included (edits, deletions, new untracked files),
//! relative to the config's folder. Asks git; never decides which gates
//! run (the plan does that with the list).

use crate::diag::UserError;
use std::path::Path;

/// What `--changed-since` found.
pub(crate) enum Changed {
    /// The changed files, and the merge base they were compared with.
    Files { files: Vec<String>, base: String },
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
    Ok(Changed::Files { files, base })
}
