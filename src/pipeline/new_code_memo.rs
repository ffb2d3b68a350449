//! New code as the last run found it, kept in the cache folder: a warm run
//! whose inputs to new code did not change takes it instead of asking git
//! again (`scope = "new"`).
//!
//! New code depends on the project, the reference and merge base, git's
//! index, the settings the diff reads (all in `IndexHalf::key`) and the
//! work tree (every file that is not ignored, as the snapshot hashed it,
//! and the untracked files' names: [`Digests::tree`]). The diff against
//! the index depends on the same minus the work tree, except its
//! `.gitattributes` files ([`Digests::attributes`]): when only other files
//! changed, that diff is taken from here and only the work tree's part is
//! asked of git. The snapshot's hashes are what the result cache trusts
//! (DESIGN §5), so what is taken from here is what git would answer.

use crate::files::snapshot::Snapshot;
use crate::git::new_code::{NewCode, Patch};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The file in the cache folder.
pub(super) fn file_in(cache_dir: &Path) -> PathBuf {
    cache_dir.join("new-code.json")
}

/// The last run's new code and what it depended on.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Memo {
    pub key: [u8; 32],
    pub tree: [u8; 32],
    pub attributes: [u8; 32],
    pub staged: Patch,
    pub result: NewCode,
}

/// The memo in `file`, if there is one that reads.
pub(super) fn load(file: &Path) -> Option<Memo> {
    let bytes = std::fs::read(file).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Keeps `memo` in `file` (replaced whole, or not at all).
pub(super) fn store(file: &Path, memo: &Memo) {
    let Ok(bytes) = serde_json::to_vec(memo) else {
        return;
    };
    let tmp = file.with_extension(format!("json.{}", std::process::id()));
    if std::fs::write(&tmp, bytes).is_err() || std::fs::rename(&tmp, file).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// What the run saw of the work tree, as digests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Digests {
    pub tree: Option<[u8; 32]>,
    pub attributes: Option<[u8; 32]>,
}

/// The digests of `snapshot`, whose untracked files are `untracked`; none
/// when git did not list those, or a file could not be read.
pub(super) fn digests(snapshot: &Snapshot, untracked: Option<&[String]>) -> Digests {
    let Some(untracked) = untracked.filter(|_| snapshot.unreadable.is_empty()) else {
        return Digests::default();
    };
    // One buffer hashed at once: hashing 20,000 small pieces one by one
    // costs several times more.
    let mut tree = Vec::with_capacity(snapshot.files.len() * 80);
    let mut attributes = Vec::new();
    let entry = |out: &mut Vec<u8>, path: &str, mode: u8, hash: &[u8; 32]| {
        out.extend_from_slice(&(path.len() as u64).to_le_bytes());
        out.extend_from_slice(path.as_bytes());
        out.push(mode);
        out.extend_from_slice(hash);
    };
    for f in &snapshot.files {
        entry(&mut tree, &f.path, f.mode.byte(), &f.hash);
        if f.path == ".gitattributes" || f.path.ends_with("/.gitattributes") {
            entry(&mut attributes, &f.path, f.mode.byte(), &f.hash);
        }
    }
    tree.extend_from_slice(b"untracked");
    for path in untracked {
        tree.extend_from_slice(&(path.len() as u64).to_le_bytes());
        tree.extend_from_slice(path.as_bytes());
    }
    Digests {
        tree: Some(*blake3::hash(&tree).as_bytes()),
        attributes: Some(*blake3::hash(&attributes).as_bytes()),
    }
}
