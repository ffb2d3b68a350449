//! Fresh private folders under the system's temporary folder, made by
//! `mkdtemp`: a new name, created with mode 0700, never an existing or
//! guessable path an attacker could have prepared. Nothing here removes
//! what it made: the caller owns the folder.

use std::ffi::CString;
use std::path::{Path, PathBuf};

/// Creates a new folder `<temp dir>/<prefix>XXXXXX` (the Xs random), only
/// its owner may enter; the error says why it cannot be made.
pub(crate) fn private_dir(prefix: &str) -> std::io::Result<PathBuf> {
    let template = std::env::temp_dir().join(format!("{prefix}XXXXXX"));
    let unusable = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "the temporary folder's path `{}` is not usable",
                template.display()
            ),
        )
    };
    let text = template.to_str().ok_or_else(unusable)?;
    let mut bytes = CString::new(text)
        .map_err(|_| unusable())?
        .into_bytes_with_nul();
    // SAFETY: `bytes` is a writable, NUL-terminated buffer that lives
    // across the call; mkdtemp only overwrites the trailing Xs in place and
    // returns either that same pointer or null.
    let made = unsafe { libc::mkdtemp(bytes.as_mut_ptr().cast()) };
    if made.is_null() {
        return Err(std::io::Error::last_os_error());
    }
    bytes.pop();
    String::from_utf8(bytes)
        .map(PathBuf::from)
        .map_err(|_| unusable())
}

/// Makes the folder `dir` and everything under it private to its owner:
/// folders 0700, files 0600 (only those open to others are changed). A
/// symlink is neither followed nor changed; a missing `dir` is no error.
/// For pqg's own folders in a cache folder (logs, lists) that an older pqg
/// left open to all.
pub(crate) fn make_private_tree(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::symlink_metadata(dir) else {
        return;
    };
    let private = |path: &Path, mode: u32, want: u32| {
        if mode & 0o077 != 0 {
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(want));
        }
    };
    if meta.is_file() {
        private(dir, meta.permissions().mode(), 0o600);
        return;
    }
    if !meta.is_dir() {
        return;
    }
    private(dir, meta.permissions().mode(), 0o700);
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            let mode = meta.permissions().mode();
            if meta.is_dir() {
                private(&path, mode, 0o700);
                pending.push(path);
            } else if meta.is_file() {
                private(&path, mode, 0o600);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn makes_a_new_private_folder_each_time() {
        let a = private_dir("pqg-test-").unwrap();
        let b = private_dir("pqg-test-").unwrap();
        assert_ne!(a, b);
        let mode = std::fs::metadata(&a).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        std::fs::remove_dir(&a).unwrap();
        std::fs::remove_dir(&b).unwrap();
    }
}
