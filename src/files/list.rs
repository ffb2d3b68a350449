//! Which files count as inputs: listed through git inside a work tree
//! (tracked plus untracked-not-ignored), by walking the folder outside one,
//! never the cache folder. Inside git, the listing overlaps with the work
//! done on its first part.

use super::index::StatIndex;
use super::root::Root;
use super::snapshot::Snapshot;
use crate::git;
use anyhow::{bail, Context};
use std::path::Path;

/// Every file that counts as an input by default, relative to `root`:
/// inside git, tracked plus untracked-not-ignored; outside, every file
/// except `.git`. Anything under `exclude` (the cache folder) never counts.
/// Sorted.
pub(crate) fn list_files(root: &Path, exclude: &Path) -> anyhow::Result<Vec<String>> {
    let files = match git::ls_files(root, &["--cached", "--others", "--exclude-standard"])? {
        Some(files) => files,
        None => walk_files(root)?,
    };
    Ok(tidy(files, root, exclude))
}

/// Sorts, dedups and drops the cache folder.
fn tidy(mut files: Vec<String>, root: &Path, exclude: &Path) -> Vec<String> {
    if let Some(prefix) = relative_prefix(root, exclude) {
        let inside = format!("{prefix}/");
        files.retain(|f| !(f == &prefix || f.starts_with(&inside)));
    }
    files.sort_unstable();
    files.dedup();
    files
}

/// Lists and snapshots the default inputs in one go. Inside git, the
/// tracked files (which git lists at once from its index) are stat'ed while
/// git is still walking the tree for untracked ones: on a large tree the
/// walk and the stats take about as long as each other.
///
/// `load_index` runs while git lists the files; the index it returns is
/// handed back with the snapshot.
pub fn snapshot_tree(
    root: &Path,
    exclude: &Path,
    load_index: impl FnOnce() -> StatIndex,
) -> anyhow::Result<(Snapshot, StatIndex)> {
    let handle = Root::open(root).with_context(|| format!("opening `{}`", root.display()))?;
    std::thread::scope(|s| {
        let others = s.spawn(|| git::ls_files(root, &["--others", "--exclude-standard"]));
        let tracked = s.spawn(|| git::ls_files(root, &["--cached"]));
        let index = load_index();
        let tracked = tracked
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("listing tracked files panicked")))?
            .map(|files| Snapshot::take(&handle, tidy(files, root, exclude), &index));
        let others = others
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("listing untracked files panicked")))?;
        let snapshot = match (tracked, others) {
            (Some(tracked), Some(untracked)) => tracked.merge(Snapshot::take(
                &handle,
                tidy(untracked, root, exclude),
                &index,
            )),
            _ => Snapshot::take(&handle, tidy(walk_files(root)?, root, exclude), &index),
        };
        Ok((snapshot, index))
    })
}

fn relative_prefix(root: &Path, dir: &Path) -> Option<String> {
    let rel = dir.strip_prefix(root).ok()?;
    let s = rel.to_str()?.trim_end_matches('/').to_owned();
    (!s.is_empty() && s != ".").then(|| s.trim_start_matches("./").to_owned())
}

/// Lists the default inputs like [`list_files`], handing them to `each` in
/// two batches inside git: the tracked files (which git lists at once from
/// its index) while git is still walking the tree for untracked ones, then
/// those. Outside git, one batch. Each batch is sorted; they do not overlap.
pub(crate) fn list_files_overlapped<T: Send>(
    root: &Path,
    exclude: &Path,
    each: impl Fn(Vec<String>) -> T + Sync,
) -> anyhow::Result<Vec<T>> {
    std::thread::scope(|s| {
        let others = s.spawn(|| git::ls_files(root, &["--others", "--exclude-standard"]));
        let Some(tracked) = git::ls_files(root, &["--cached"])? else {
            return Ok(vec![each(tidy(walk_files(root)?, root, exclude))]);
        };
        let first = each(tidy(tracked, root, exclude));
        let others = others
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("listing untracked files panicked")))?
            .unwrap_or_default();
        Ok(vec![first, each(tidy(others, root, exclude))])
    })
}

fn walk_files(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut files = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || e.file_name() != ".git");
    for entry in walker {
        // A folder we cannot read cannot hold inputs we could hash.
        let Ok(entry) = entry else { continue };
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
        match rel.to_str() {
            Some(s) => files.push(s.to_owned()),
            None => bail!("a file name is not valid UTF-8: {}", rel.display()),
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_git_every_file_but_the_cache_folder_is_listed_sorted() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in ["b.txt", "a/c.txt", ".pqg/cache.db", ".pqgx/d"] {
            std::fs::create_dir_all(root.join(f).parent().unwrap()).unwrap();
            std::fs::write(root.join(f), "x").unwrap();
        }
        let listed = list_files(root, &root.join(".pqg")).unwrap();
        assert_eq!(listed, [".pqgx/d", "a/c.txt", "b.txt"]);
        let batches = list_files_overlapped(root, &root.join(".pqg"), |b| b.len()).unwrap();
        assert_eq!(batches, [3], "one batch outside git");
    }
}
