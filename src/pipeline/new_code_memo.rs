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
use crate::git::new_code::{KnownBase, NewCode, Patch, WorkTree};
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
    /// The merge base found, and of which commits ([`KnownBase`]).
    #[serde(default)]
    pub merge_base: Option<KnownBase>,
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

/// The file of the coverage on new code judged before
/// ([`crate::judge::scope::CoverageMemo`]), in the cache folder.
pub(super) fn judged_file_in(cache_dir: &Path) -> PathBuf {
    cache_dir.join("new-code-judged.json")
}

/// The coverage outcomes kept in `file` (none when it does not read).
pub(super) fn load_judged(file: &Path) -> crate::judge::scope::CoverageMemo {
    let outcomes = std::fs::read(file)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    crate::judge::scope::CoverageMemo::from_outcomes(outcomes)
}

/// Keeps `memo` in `file` (replaced whole, or not at all).
pub(super) fn store(file: &Path, memo: &impl Serialize) {
    let Ok(bytes) = serde_json::to_vec(memo) else {
        return;
    };
    let tmp = file.with_extension(format!("json.{}", std::process::id()));
    if std::fs::write(&tmp, bytes).is_err() || std::fs::rename(&tmp, file).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// Whether every file the work tree's part of new code read (the tracked
/// paths that may differ from git's index, and the untracked files; paths
/// relative to `top`) was last changed before the racy window: a file
/// saved while the run went on, after the snapshot hashed it and before
/// git or pqg read it, makes the answer hold content the tree digest does
/// not describe, and a same-size save within the clock's tick would not
/// even show in its stat data. Such a run's new code is not kept. A file
/// gone is judged by its folder's change.
pub(super) fn settled(top: &Path, work: &WorkTree) -> bool {
    use std::os::unix::fs::MetadataExt;
    let since = crate::files::snapshot::now_ns() - crate::files::index::RACY_NS;
    let changed_at = |path: &Path| {
        std::fs::symlink_metadata(path)
            .ok()
            .map(|m| m.ctime() * 1_000_000_000 + m.ctime_nsec())
    };
    let untracked = work.untracked.iter().flatten();
    work.changed.paths.iter().chain(untracked).all(|path| {
        let path = top.join(path);
        let at = changed_at(&path).or_else(|| path.parent().and_then(&changed_at));
        at.is_some_and(|at| at < since)
    })
}

/// The `.gitattributes` files (path, content) in the folders of the
/// snapshot's files and the folders above them that the snapshot does not
/// hold (ignored ones); `None` when one could not be read. A folder the
/// untracked cache's record read (it held this run, so no entry of it
/// came or went since: [`Snapshot::attributes_seen`]) is looked in only
/// when the record saw the name there.
fn ignored_attributes(root: &Path, snapshot: &Snapshot) -> Option<Vec<(String, Vec<u8>)>> {
    let held: std::collections::HashSet<&str> = snapshot
        .files
        .iter()
        .map(|f| f.path.as_str())
        .filter(|p| p.ends_with(".gitattributes"))
        .collect();
    // Each file's folder and the folders above it: an attributes file
    // rules every folder below its own. Sorted, so that the digests do
    // not depend on a set's order.
    let mut folders: Vec<&str> =
        crate::files::folders_of(snapshot.files.iter().map(|f| f.path.as_str()))
            .into_iter()
            .collect();
    folders.sort_unstable();
    let mut found = Vec::new();
    for folder in folders {
        let path = if folder.is_empty() {
            ".gitattributes".to_owned()
        } else {
            format!("{folder}/.gitattributes")
        };
        if held.contains(path.as_str()) {
            continue;
        }
        let seen = snapshot
            .attributes_seen
            .as_ref()
            .and_then(|seen| seen.in_folder(folder));
        if seen == Some(false) {
            continue;
        }
        match std::fs::read(root.join(&path)) {
            Ok(content) => found.push((path, content)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(_) => return None,
        }
    }
    Some(found)
}

/// What the run saw of the work tree, as digests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Digests {
    pub tree: Option<[u8; 32]>,
    pub attributes: Option<[u8; 32]>,
}

/// The digests of `snapshot` (of the tree at `root`), whose untracked
/// files are `untracked`; none when git did not list those, or a file
/// could not be read. A `.gitattributes` file that is ignored is in no
/// snapshot, yet git reads it in every folder it diffs a file of: those
/// folders' are looked for and hashed into both digests.
pub(super) fn digests(root: &Path, snapshot: &Snapshot, untracked: Option<&[String]>) -> Digests {
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
    for f in snapshot.files.iter() {
        entry(&mut tree, &f.path, f.mode.byte(), &f.hash);
        if f.path == ".gitattributes" || f.path.ends_with("/.gitattributes") {
            entry(&mut attributes, &f.path, f.mode.byte(), &f.hash);
        }
    }
    let Some(ignored) = ignored_attributes(root, snapshot) else {
        return Digests::default();
    };
    for (path, content) in &ignored {
        let hash = blake3::hash(content);
        entry(&mut tree, path, 0, hash.as_bytes());
        entry(&mut attributes, path, 0, hash.as_bytes());
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
