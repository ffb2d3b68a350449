//! A file's content as committed at some commit, for `--changed-since` to
//! compare the config with what it was. Asks git; never interprets the
//! content.

use std::path::Path;

/// The content of file `name` of folder `dir` at `commit`: `None` when the
/// commit has no such file (it is new since then). Two git processes: one
/// to ask whether the file is there (exit status only, whatever git's
/// language), one to read it.
pub(crate) fn file_at(dir: &Path, commit: &str, name: &str) -> Result<Option<Vec<u8>>, String> {
    let fail = |e: std::io::Error| format!("cannot run git: {e}");
    // `COMMIT:./NAME` is resolved from `dir`, wherever it sits in the tree.
    let spec = format!("{commit}:./{name}");
    let found = super::command(dir)
        .args(["rev-parse", "--verify", "--quiet", &spec])
        .output()
        .map_err(fail)?;
    if !found.status.success() {
        return Ok(None);
    }
    let object = String::from_utf8_lossy(&found.stdout).trim().to_owned();
    let blob = super::command(dir)
        .args(["cat-file", "blob", &object])
        .output()
        .map_err(fail)?;
    if !blob.status.success() {
        return Err(format!(
            "git cat-file failed: {}",
            String::from_utf8_lossy(&blob.stderr).trim()
        ));
    }
    Ok(Some(blob.stdout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_file_at_a_commit_from_a_subfolder_and_says_when_it_is_new() {
        let dir = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let out = super::super::command(dir.path())
                .args(args)
                .output()
                .unwrap();
            assert!(out.status.success(), "{args:?}");
            String::from_utf8(out.stdout).unwrap()
        };
        git(&["init", "-q"]);
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/gates.toml"), "old\n").unwrap();
        git(&["add", "."]);
        git(&[
            "-c",
            "user.email=a@b",
            "-c",
            "user.name=n",
            "commit",
            "-qm",
            "x",
        ]);
        let head = git(&["rev-parse", "HEAD"]).trim().to_owned();
        std::fs::write(dir.path().join("sub/gates.toml"), "new\n").unwrap();
        let sub = dir.path().join("sub");
        assert_eq!(
            file_at(&sub, &head, "gates.toml").unwrap(),
            Some(b"old\n".to_vec())
        );
        assert_eq!(file_at(&sub, &head, "other.toml").unwrap(), None);
        assert_eq!(file_at(dir.path(), &head, "gates.toml").unwrap(), None);
    }
}
