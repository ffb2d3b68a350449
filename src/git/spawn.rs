//! The one place that starts a git process. Everything that asks git a
//! question builds its command with [`command`], so the settings every git
//! run shares are written once.

use crate::sys::name;
use anyhow::{bail, Context};
use std::path::Path;
use std::process::{Command, Stdio};

/// A `git` command run in `dir`, reading nothing from pqg's stdin. Add the
/// arguments, then run it.
pub(crate) fn command(dir: &Path) -> Command {
    let mut git = Command::new("git");
    // pqg reads git's output: a user's context lines or external diff
    // program must not change it (`GIT_DIFF_OPTS=-u3` beat `-U0`).
    git.current_dir(dir)
        .stdin(Stdio::null())
        .env_remove("GIT_DIFF_OPTS")
        .env_remove("GIT_EXTERNAL_DIFF");
    git
}

/// `git ls-files -z ARGS` in `root`, as paths relative to it (a name that
/// is not UTF-8 is held escaped, see [`crate::sys::name`]); `None` when
/// this is not a git work tree (or git is missing), so that the caller can
/// list the folder itself.
pub(crate) fn ls_files(root: &Path, args: &[&str]) -> anyhow::Result<Option<Vec<String>>> {
    ls_files_in(root, args, &[])
}

/// Like [`ls_files`], limited to what is at or under `places` (paths
/// relative to `root`, taken literally): `git ls-files ARGS -- PLACES`.
/// git refuses a place inside a submodule.
pub(crate) fn ls_files_at(
    root: &Path,
    args: &[&str],
    places: &[&str],
) -> anyhow::Result<Option<Vec<String>>> {
    let mut args = args.to_vec();
    args.push("--");
    ls_files_in(root, &args, places)
}

/// The ignored untracked files at or under each of `places` (paths
/// relative to `root`, taken literally, not as globs): `git ls-files
/// --others --ignored --exclude-standard -- PLACES`. `None` outside git.
pub(crate) fn ls_ignored(root: &Path, places: &[&str]) -> anyhow::Result<Option<Vec<String>>> {
    if places.is_empty() {
        return Ok(Some(Vec::new()));
    }
    ls_files_in(
        root,
        &["--others", "--ignored", "--exclude-standard", "--"],
        places,
    )
}

/// Which of `paths` (relative to `root`, taken literally) git ignores, by
/// its own rules: `git check-ignore --stdin -z`. `None` outside git.
pub(crate) fn check_ignore(root: &Path, paths: &[String]) -> anyhow::Result<Option<Vec<String>>> {
    use std::io::Write;
    if paths.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let mut child = match command(root)
        .args(["check-ignore", "--stdin", "-z"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).context("running git check-ignore"),
    };
    let mut input = Vec::new();
    for p in paths {
        input.extend_from_slice(name::to_path(p).as_os_str().as_encoded_bytes());
        input.push(0);
    }
    let mut stdin = child.stdin.take().context("git check-ignore's stdin")?;
    // Written from a thread: git may fill its stdout before it has read
    // all of stdin.
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child
        .wait_with_output()
        .context("running git check-ignore")?;
    let _ = writer.join();
    // 0: some ignored, 1: none; anything else is an error.
    match output.status.code() {
        Some(0 | 1) => {}
        _ => {
            let stderr = String::from_utf8_lossy(&output.stderr);
            if stderr.contains("not a git repository") {
                return Ok(None);
            }
            bail!("git check-ignore failed: {}", stderr.trim());
        }
    }
    Ok(Some(nul_separated(&output.stdout)))
}

/// The names in git's `-z` output.
fn nul_separated(stdout: &[u8]) -> Vec<String> {
    stdout
        .split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|raw| name::from_bytes(raw.to_vec()))
        .collect()
}

fn ls_files_in(root: &Path, args: &[&str], paths: &[&str]) -> anyhow::Result<Option<Vec<String>>> {
    let output = match command(root)
        .args([
            "--literal-pathspecs",
            "-c",
            "core.quotepath=off",
            "ls-files",
            "-z",
        ])
        .args(args)
        .args(paths.iter().map(|p| name::to_path(p).into_owned()))
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
    Ok(Some(nul_separated(&output.stdout)))
}

/// The system-wide config file the git run here reads
/// (`git var GIT_CONFIG_SYSTEM`: its build's prefix, `/etc/gitconfig` for
/// most, `/usr/local/etc/gitconfig` or Homebrew's for others); `None` when
/// git cannot say (too old, or no git).
pub(crate) fn system_config(root: &Path) -> Option<std::path::PathBuf> {
    let out = command(root)
        .args(["var", "GIT_CONFIG_SYSTEM"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let path = text.trim_end_matches('\n');
    (out.status.success() && !path.is_empty()).then(|| path.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn ls_files_lists_inside_git_and_says_none_outside() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(ls_files(dir.path(), &["--cached"]).unwrap(), None);
        let init = command(dir.path()).args(["init", "-q"]).status().unwrap();
        assert!(init.success());
        std::fs::write(dir.path().join("é.txt"), "x").unwrap();
        let others = ls_files(dir.path(), &["--others", "--exclude-standard"]).unwrap();
        assert_eq!(others, Some(vec!["é.txt".to_owned()]));
        std::fs::write(dir.path().join(".gitignore"), ".env\nbuild/\n").unwrap();
        std::fs::create_dir_all(dir.path().join("build/sub")).unwrap();
        for f in [".env", "build/out.txt", "build/sub/x", "other.log"] {
            std::fs::write(dir.path().join(f), "x").unwrap();
        }
        let ignored = ls_ignored(dir.path(), &[".env", "build", "nothing"]).unwrap();
        assert_eq!(
            ignored,
            Some(vec![
                ".env".to_owned(),
                "build/out.txt".to_owned(),
                "build/sub/x".to_owned()
            ])
        );
        let bytes = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
        std::fs::write(dir.path().join(bytes), "x").unwrap();
        let others = ls_files(dir.path(), &["--others", "--exclude-standard"]).unwrap();
        assert!(others
            .unwrap()
            .contains(&name::from_bytes(b"caf\xe9.txt".to_vec())));
    }
}
