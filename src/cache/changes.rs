//! What changed in the tree while the gates ran, so a result whose inputs
//! moved under it is not stored (DESIGN §5).
//!
//! Checked once after a run, for the gates whose results are to be stored
//! (and the gates they need) and for nothing else: their input files are
//! looked at again from the stat data the snapshot kept, and git lists
//! only the places their globs name, for new files — unless no folder
//! there changed since the snapshot's listing started (a new file changes
//! its folder's ctime), nor any rule of what git ignores: then nothing can
//! have appeared, and git is not asked. When some glob names no place
//! (every file may be an input), the folders git's walk visits are looked
//! at by the stamps the untracked listing kept, for the same answer. This module only reads the tree;
//! it never writes the cache.

use super::prepare::{GateKey, Prepared};
use crate::files::list;
use crate::files::root::{absolute, Kind, Root};
use crate::files::snapshot::Snapshot;
use crate::sys::name;
use std::path::{Path, PathBuf};

/// What changed in the tree since the snapshot, among the inputs of the
/// gates it was asked about: the paths that changed, and a fresh listing
/// for new files.
pub(crate) struct Changes {
    /// Of the files looked at again, those that changed.
    pub changed: std::collections::HashSet<String>,
    /// Listed now, exists, and not in the snapshot.
    pub appeared: Vec<String>,
    /// Whether every file of the snapshot was looked at again (a gate's
    /// inputs were all files): only then does an empty `changed` say the
    /// snapshot still holds.
    pub whole: bool,
}

/// Looks at the tree again after a run, at the inputs of `gates` (indices
/// into the config's gates; those without a key are left out). The states
/// in `known` (sorted by path), taken after every gate finished (the write
/// watch's last look), are used instead of a second `lstat`. `listed`, when
/// given, is every input file listed once the gates had finished (taken
/// while the tree was still being hashed): it stands for git's listing.
pub(crate) fn changes_since(
    prepared: &Prepared,
    cache_dir: &Path,
    gates: &[usize],
    known: Option<&[(String, Option<crate::files::root::FileState>)]>,
    listed: Option<&[String]>,
) -> Option<Changes> {
    let snapshot = prepared.snapshot.as_ref()?;
    let keys: Vec<&GateKey> = gates
        .iter()
        .filter_map(|&i| prepared.keys.get(i)?.as_ref())
        .collect();
    let indices = input_indices(snapshot, &keys);
    let whole = indices.len() == snapshot.files.len();
    let root = Root::open(&prepared.root).ok()?;
    // A file may leave or join the inputs through git's index alone (`git
    // rm --cached` of a file git ignores, `git add -f`), changing no
    // folder: when another index replaced the one the snapshot read, git
    // is asked, and an input it no longer lists counts as changed.
    let index_moved =
        crate::git::index::moved_since(&prepared.root, snapshot.index_file, snapshot.listed_ns);
    // git lists the places while the files are stat'ed again.
    let (mut changed, listed_now) = std::thread::scope(|s| {
        let listing = s.spawn(|| match listed {
            Some(listed) if repositories(snapshot).next().is_none() => {
                Some(std::borrow::Cow::Borrowed(listed))
            }
            Some(listed) => {
                with_repositories(prepared, snapshot, listed.to_vec()).map(std::borrow::Cow::Owned)
            }
            None => listing(prepared, snapshot, cache_dir, &keys, index_moved)
                .map(std::borrow::Cow::Owned),
        });
        let changed = snapshot.changed_among(&root, &indices, known);
        (changed, listing.join().ok().flatten())
    });
    let listed_now = listed_now?;
    if index_moved {
        let left: Vec<String> = indices
            .iter()
            .map(|&i| &snapshot.files[i].path)
            .filter(|path| listed_now.binary_search(path).is_err())
            .cloned()
            .collect();
        crate::debug!(
            "cache: git's index changed during the run; {} input files no longer listed",
            left.len()
        );
        changed.extend(left);
    }
    let mut before = snapshot.files.iter().map(|f| f.path.as_str()).peekable();
    let mut appeared = Vec::new();
    // Both sorted. git lists tracked files deleted from the work tree, so a
    // listed path only counts as new if it exists.
    for path in listed_now.iter() {
        while before.next_if(|p| *p < path.as_str()).is_some() {}
        if before.next_if(|p| *p == path.as_str()).is_none()
            && std::fs::symlink_metadata(prepared.root.join(name::to_path(path)))
                .is_ok_and(|m| !m.is_dir())
        {
            appeared.push(path.clone());
        }
    }
    crate::debug!(
        "cache: {} input files looked at again ({} changed), {} new",
        indices.len(),
        changed.len(),
        appeared.len()
    );
    // Counted only to be said: a search per input file.
    if crate::log::enabled() {
        let shared = known.map_or(0, |known| {
            indices
                .iter()
                .filter(|&&i| {
                    let path = snapshot.files[i].path.as_str();
                    known
                        .binary_search_by(|(p, _)| p.as_str().cmp(path))
                        .is_ok()
                })
                .count()
        });
        crate::debug!(
            "cache: {shared} of them as the write watch's last look saw them, not stat'ed again"
        );
    }
    Some(Changes {
        changed,
        appeared,
        whole,
    })
}

/// The indices into the snapshot of the input files of `keys`, sorted,
/// each once. Each key's files are a sorted part of the snapshot's.
fn input_indices(snapshot: &crate::files::snapshot::Snapshot, keys: &[&GateKey]) -> Vec<usize> {
    let files = &snapshot.files;
    let mut indices: Vec<usize> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for key in keys {
        // Gates with the same globs share one list.
        if !seen.insert(key.files.id()) {
            continue;
        }
        if key.files.len() == files.len() {
            return (0..files.len()).collect();
        }
        let mut from = 0;
        for f in key.files.iter() {
            from += files[from..].partition_point(|s| s.path < f.path);
            if files.get(from).is_some_and(|s| s.path == f.path) {
                indices.push(from);
            }
        }
    }
    indices.sort_unstable();
    indices.dedup();
    indices
}

/// The files listed now where new inputs of `keys` could appear: the
/// places their globs name, or every file when some glob names none.
fn listing(
    prepared: &Prepared,
    snapshot: &Snapshot,
    cache_dir: &Path,
    keys: &[&GateKey],
    index_moved: bool,
) -> Option<Vec<String>> {
    let exclude = absolute(cache_dir);
    let places: Vec<&str> = keys.iter().flat_map(|k| k.filter.places()).collect();
    let globs: Vec<&str> = keys.iter().flat_map(|k| k.filter.placed_globs()).collect();
    let bounds: Option<Vec<&str>> =
        keys.iter()
            .map(|k| k.filter.bounds())
            .try_fold(Vec::new(), |mut all, b| {
                all.extend(b?.iter().map(String::as_str));
                Some(all)
            });
    if let Some(mut within) = bounds {
        within.sort_unstable();
        within.dedup();
        if within.is_empty() {
            return Some(Vec::new());
        }
        if !index_moved && nothing_new(prepared, snapshot, &exclude, &within) {
            crate::debug!(
                "cache: no folder at {} changed since the listing: nothing new there",
                within.join(", ")
            );
            return Some(Vec::new());
        }
        // git refuses a place inside a submodule: then the whole listing.
        if let Ok(files) = list::list_files_within(&prepared.root, &exclude, &globs, &within) {
            return with_repositories(prepared, snapshot, files);
        }
    }
    if !index_moved && nothing_new_anywhere(prepared, snapshot, &exclude, &places) {
        return Some(Vec::new());
    }
    let files = list::list_files(&prepared.root, &exclude, &globs).ok()?;
    with_repositories(prepared, snapshot, files)
}

/// `files` (git's listing, sorted) with the files inside each submodule
/// or nested repository the snapshot holds (an entry `dir/`), listed by
/// its own git as the snapshot listed them: git lists such a repository
/// as one entry, so a file a gate added inside it would not be seen.
/// Sorted; `None` when one can no longer be listed (what is inside cannot
/// be told: the tree is not looked at again).
fn with_repositories(
    prepared: &Prepared,
    snapshot: &Snapshot,
    mut files: Vec<String>,
) -> Option<Vec<String>> {
    let mut inside_any = false;
    for repository in repositories(snapshot) {
        inside_any = true;
        let dir = prepared
            .root
            .join(name::to_path(repository.trim_end_matches('/')));
        let inside = crate::git::submodule::files(&dir).ok()?;
        files.extend(inside.into_iter().map(|f| format!("{repository}{f}")));
    }
    if inside_any {
        files.sort_unstable();
        files.dedup();
    }
    Some(files)
}

/// The submodules and nested repositories the snapshot holds: their
/// entries, `dir/`.
fn repositories(snapshot: &Snapshot) -> impl Iterator<Item = &str> {
    snapshot
        .files
        .iter()
        .map(|f| f.path.as_str())
        .filter(|p| p.ends_with('/'))
}

/// Whether no file can have appeared anywhere in the tree since the
/// snapshot listed it, git's index being the one it read: the untracked
/// listing's stamps still hold (no folder git's walk visits gained or
/// lost an entry, no rule of what git ignores changed: git would list the
/// same untracked files), and nothing is new at the `places` the globs
/// name (ignored ones are outside git's walk). Costs an `lstat` per
/// folder where listing the tree costs git's walk of it.
fn nothing_new_anywhere(
    prepared: &Prepared,
    snapshot: &Snapshot,
    exclude: &Path,
    places: &[&str],
) -> bool {
    let Some(stamps) = &snapshot.listing_stamps else {
        return false;
    };
    let Ok(root) = Root::open(&prepared.root) else {
        return false;
    };
    if let Err(why) = stamps.check(&root) {
        crate::debug!("cache: the untracked listing no longer holds ({why}): listing the tree");
        return false;
    }
    let held = places.is_empty() || nothing_new(prepared, snapshot, exclude, places);
    if held {
        crate::debug!("cache: no folder git's walk visits changed since the listing: nothing new");
    }
    held
}

/// Whether no file can have appeared at the places `within` since the
/// snapshot listed the tree, so that listing them again would find
/// nothing new: no folder there changed since ([`list::quiet_since`]), a
/// place that is a file was listed, and what git ignores is as it was (the
/// `.gitignore` files listed are unchanged; above each place no folder
/// gained or lost an entry and no `.gitignore` changed; the repository's
/// `info/exclude` is older than the listing).
fn nothing_new(prepared: &Prepared, snapshot: &Snapshot, exclude: &Path, within: &[&str]) -> bool {
    let Ok(root) = Root::open(&prepared.root) else {
        return false;
    };
    let listed = |path: &str| {
        snapshot
            .files
            .binary_search_by(|f| f.path.as_str().cmp(path))
            .is_ok()
    };
    // A place that is a file: its folder is not walked, so it must have
    // been listed.
    let places_listed = within.iter().all(|place| match root.lstat(place) {
        Ok((_, Kind::Dir)) => true,
        Ok(_) => listed(place),
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    });
    if !places_listed {
        return false;
    }
    // The rules of what git ignores: those listed unchanged, none new
    // above a place (one inside a place changes its folder).
    let rules_kept = snapshot
        .files
        .iter()
        .zip(&snapshot.states)
        .filter(|(f, _)| f.path == ".gitignore" || f.path.ends_with("/.gitignore"))
        .all(|(f, before)| root.lstat(&f.path).is_ok_and(|(now, _)| now == *before));
    // When a path last changed (missing: never, for this purpose).
    let changed_since = |path: PathBuf| {
        std::fs::symlink_metadata(path)
            .is_ok_and(|m| crate::sys::fs::changed_ns(&m) >= snapshot.listed_ns - 20_000_000)
    };
    // Above each place: no folder gained or lost an entry (a `.gitignore`
    // added or removed), and no `.gitignore` there changed, listed or not.
    let top = absolute(&prepared.root);
    let none_above = within.iter().all(|place| {
        let mut above: Vec<&str> = place.match_indices('/').map(|(i, _)| &place[..i]).collect();
        above.push("");
        above.into_iter().all(|dir| {
            let dir = top.join(name::to_path(dir));
            !changed_since(dir.join(".gitignore")) && !changed_since(dir)
        })
    });
    // Outside the config's folder: every folder up to the work tree's top
    // (a `.gitignore` there rules the places too), `info/exclude`, and the
    // config files that name or hold other rules.
    let exclude_old = list::outer_rules_old(&prepared.root, snapshot.listed_ns);
    rules_kept
        && none_above
        && exclude_old
        && list::quiet_since(
            &absolute(&prepared.root),
            exclude,
            within,
            snapshot.listed_ns,
        )
}

/// Whether the inputs of a key changed since the snapshot: a file edited,
/// removed, or a new file matching the gate's globs.
pub(crate) fn inputs_changed(key: &GateKey, changes: &Changes) -> bool {
    changes.appeared.iter().any(|p| key.filter.matches(p))
        || (!changes.changed.is_empty()
            && key.files.iter().any(|f| changes.changed.contains(&f.path)))
}
