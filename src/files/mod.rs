//! The files a gate's result depends on: which ones exist, and what they
//! hold. Plan, cache, builtins and runner all ask these questions, so they
//! live here, below all of them.
//!
//! Files are listed through git inside a repository (tracked plus
//! untracked-not-ignored) and with walkdir outside one. Their content hashes
//! come from a fast path like git's index (size, mtime, ctime, inode → hash),
//! re-hashed whenever any of those changed and always when the file's mtime
//! is too close to when the hash was recorded (DESIGN §5). A stale hash here
//! is a stale cache hit, so every doubt means "hash again".
//!
//! `files` imports only `git` (for `git ls-files`) and `sys` (for the calls
//! relative to an open folder); it never imports `cache`, `plan`, `run` or
//! `config`, and it never stores anything: remembering the stat index is
//! the caller's business.
//!
//! - [`root`]: the config's folder, opened once; `lstat` and no-follow opens
//!   relative to it.
//! - [`list`]: which files count as inputs, through git or a folder walk.
//! - [`index`]: the remembered stat records and the racy rule.
//! - [`snapshot`]: every input's state and hash now, and what changed since.
//! - [`filter`]: a gate's `inputs` globs.
//! - [`hash`]: a file's content hash and the digest of a set of files.
//! - [`untracked`]: the untracked cache, git's untracked listing kept with
//!   the stat data of the folders it depends on.

pub(crate) mod filter;
pub(crate) mod guided;
pub(crate) mod hash;
pub(crate) mod index;
pub(crate) mod list;
pub(crate) mod root;
pub(crate) mod snapshot;
pub(crate) mod untracked;

/// Drops `value` on a thread of its own: freeing the 20,000 entries of a
/// large tree's lists costs about a millisecond that whatever comes next
/// need not wait for. A thread that cannot start drops it at once (the
/// closure holding it is dropped with the error).
pub(crate) fn drop_aside<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("pqg-drop".to_owned())
        .spawn(move || drop(value));
}

/// The folders holding the files at `paths` (relative, `/`-separated; a
/// trailing `/` names a folder listed as a file, a nested repository) and
/// every folder above them, the top (`""`) among them.
pub(crate) fn folders_of<'a>(
    paths: impl IntoIterator<Item = &'a str>,
) -> std::collections::HashSet<&'a str> {
    let mut folders = std::collections::HashSet::new();
    folders.insert("");
    let mut last = "";
    for path in paths {
        let path = path.trim_end_matches('/');
        let Some(cut) = path.rfind('/') else { continue };
        let dir = &path[..cut];
        if dir == last {
            continue;
        }
        last = dir;
        let mut at = dir;
        while folders.insert(at) {
            match at.rfind('/') {
                Some(i) => at = &at[..i],
                None => break,
            }
        }
    }
    folders
}

#[cfg(test)]
mod tests {
    #[test]
    fn folders_of_holds_every_folder_above_each_path_and_the_top() {
        let mut found: Vec<&str> =
            super::folders_of(["a.txt", "d/e/f.txt", "d/e/g.txt", "d/h.txt", "n/sub/"])
                .into_iter()
                .collect();
        found.sort_unstable();
        assert_eq!(found, ["", "d", "d/e", "n"]);
    }
}
