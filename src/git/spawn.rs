//! The one place that starts a git process. Everything that asks git a
//! question builds its command with [`command`], so the settings every git
//! run shares are written once.

use anyhow::{bail, Context};
use std::path::Path;
use std::process::{Command, Stdio};

/// A `git` command run in `dir`, reading nothing from pqg's stdin. Add the
/// arguments, then run it.
pub(crate) fn command(dir: &Path) -> Command {
    let mut git = Command::new("git");
    git.current_dir(dir).stdin(Stdio::null());
    git
}

/// `git ls-files -z ARGS` in `root`, as paths relative to it; `None` when
/// this is not a git work tree (or git is missing), so that the caller can
/// list the folder itself.
pub(crate) fn ls_files(root: &Path, args: &[&str]) -> anyhow::Result<Option<Vec<String>>> {
    let output = match command(root)
        .args(["-c", "core.quotepath=off", "ls-files", "-z"])
        .args(args)
        .stderr(Stdio::piped())
        .output()
    {
        Ok(o) => o,
        // No git on this machine: the caller walks the folder instead.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).context("running git ls-files"),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("not a git repository") {
            return Ok(None);
        }
        bail!("git ls-files failed: {}", stderr.trim());
    }
    let mut files = Vec::new();
    for raw in output.stdout.split(|&b| b == 0).filter(|s| !s.is_empty()) {
        match std::str::from_utf8(raw) {
            Ok(s) => files.push(s.to_owned()),
            Err(_) => bail!(
                "a file name is not valid UTF-8: {}",
                String::from_utf8_lossy(raw)
            ),
        }
    }
    Ok(Some(files))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ls_files_lists_inside_git_and_says_none_outside() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(ls_files(dir.path(), &["--cached"]).unwrap(), None);
        let init = command(dir.path()).args(["init", "-q"]).status().unwrap();
        assert!(init.success());
        std::fs::write(dir.path().join("é.txt"), "x").unwrap();
        let others = ls_files(dir.path(), &["--others", "--exclude-standard"]).unwrap();
        assert_eq!(others, Some(vec!["é.txt".to_owned()]));
    }
}
