//! Which files count as inputs: listed through git inside a work tree
//! (tracked plus untracked-not-ignored), by walking the folder outside one,
//! never the cache folder. Inside git, the listing overlaps with the work
//! done on its first part.
//!
//! Inside git, the ignored files at the places some gate's inputs name
//! (DESIGN §3: `.env`, `build/**`) are listed too, in a batch of their own:
//! a place counts when it exists and holds no file git lists (so it is
//! ignored, or inside an ignored folder). Only such places are walked, only
//! where the globs naming them lead ([`guided`]), and only when some gate
//! names one; a config naming none pays nothing. The functions here take
//! those globs (`globs`: the include globs that name a place,
//! [`super::filter::placed_globs`]).

use super::filter::{is_under, place_of, IgnoredPlaces};
use super::guided;
use super::hash::ContentTap;
use super::index::StatIndex;
use super::root::Root;
use super::snapshot::{Snapshot, Stated};
use super::untracked::{self, UntrackedCache};
use crate::git;
use crate::sys::fs::changed_ns;
use crate::sys::name;
use anyhow::Context;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Every file that counts as an input by default, relative to `root`:
/// inside git, tracked plus untracked-not-ignored, plus the ignored files
/// at the ignored places `globs` name that they may match; outside, every
/// file except `.git`.
/// Anything under `exclude` (the cache folder) never counts. Sorted.
pub(crate) fn list_files(
    root: &Path,
    exclude: &Path,
    globs: &[&str],
) -> anyhow::Result<Vec<String>> {
    let Some(files) = git::ls_files(root, &["--cached", "--others", "--exclude-standard"])? else {
        return Ok(tidy(walk_files(root)?, root, exclude));
    };
    with_ignored(files, root, exclude, globs)
}

/// What git listed, tidied, plus the ignored files at the places `globs`
/// name; sorted.
fn with_ignored(
    files: Vec<String>,
    root: &Path,
    exclude: &Path,
    globs: &[&str],
) -> anyhow::Result<Vec<String>> {
    let mut files = tidy(files, root, exclude);
    let (ignored, _) = ignored_files(root, exclude, &[&files], globs)?;
    files.extend(ignored);
    files.sort_unstable();
    files.dedup();
    Ok(files)
}

/// Like [`list_files`], but only the files at or under `within` (paths
/// relative to `root`): git is asked about those places alone, so the
/// cost follows what they hold. Sorted.
pub(crate) fn list_files_within(
    root: &Path,
    exclude: &Path,
    globs: &[&str],
    within: &[&str],
) -> anyhow::Result<Vec<String>> {
    let args = ["--cached", "--others", "--exclude-standard"];
    let Some(files) = git::ls_files_at(root, &args, within)? else {
        let mut all = tidy(walk_files(root)?, root, exclude);
        all.retain(|f| within.iter().any(|w| is_under(f, w)));
        return Ok(all);
    };
    with_ignored(files, root, exclude, globs)
}

/// The files that count as inputs by default at or under the folder `dir`,
/// relative to `root`, sorted: tracked, and untracked-not-ignored (outside
/// git, every file, as untracked); none when `dir` is not under `root`. For
/// a cache folder shared with other files, which every listing leaves out.
pub(crate) fn listed_under(root: &Path, dir: &Path) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let (root, dir) = (super::root::absolute(root), super::root::absolute(dir));
    let Some(rel) = relative_prefix(&root, &dir) else {
        // The cache folder is the config's folder or outside it: every
        // listing leaves out only what is under it.
        return Ok((Vec::new(), Vec::new()));
    };
    let under = |files: Vec<String>| {
        let mut under: Vec<String> = files.into_iter().filter(|f| is_under(f, &rel)).collect();
        under.sort_unstable();
        under.dedup();
        under
    };
    let Some(tracked) = git::ls_files_at(&root, &["--cached"], &[&rel])? else {
        return Ok((Vec::new(), under(walk_files(&root)?)));
    };
    let others = git::ls_files_at(&root, &["--others", "--exclude-standard"], &[&rel])?;
    Ok((under(tracked), under(others.unwrap_or_default())))
}

/// What pqg writes as `<cache_dir>/.gitignore` in a folder it makes: the
/// mark of a cache folder that holds nothing but pqg's files.
pub(crate) const CACHE_GITIGNORE: &str = "# written by pqg\n*\n";

/// Whether the folder `dir` bears that mark ([`CACHE_GITIGNORE`]).
pub(crate) fn is_marked_cache(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join(".gitignore")).is_ok_and(|t| t == CACHE_GITIGNORE)
}

/// Sorts, dedups and drops the cache folder.
fn tidy(mut files: Vec<String>, root: &Path, exclude: &Path) -> Vec<String> {
    if let Some(prefix) = relative_prefix(root, exclude) {
        files.retain(|f| !is_under(f, &prefix));
    }
    files.sort_unstable();
    files.dedup();
    files
}

/// The ignored files at the places the include `globs` name
/// ([`place_of`]) that git ignores, and those places. A place counts when
/// it exists, is not at or in the cache folder (whose files never count),
/// and holds no file of the sorted
/// lists `listed` (what git lists as tracked or untracked-not-ignored):
/// then everything there is ignored. Each place is walked where its globs
/// lead ([`guided`]), and listed by git where that cannot tell (a nested
/// repository on the way).
fn ignored_files(
    root: &Path,
    exclude: &Path,
    listed: &[&[String]],
    globs: &[&str],
) -> anyhow::Result<(Vec<String>, IgnoredPlaces)> {
    let cache = relative_prefix(root, exclude);
    let mut found: Vec<&str> = globs
        .iter()
        .map(|g| place_of(g))
        .filter(|p| !p.is_empty())
        // A place holding the cache folder counts (its files but the
        // cache's: `cache_dir = "build/.pqg"` beside `inputs = ["build/**"]`).
        .filter(|p| !listed.iter().any(|l| holds_listed(l, p)))
        .collect();
    found.sort_unstable();
    found.dedup();
    found.retain(|p| std::fs::symlink_metadata(root.join(name::to_path(p))).is_ok());
    // One in the cache folder is left out of every listing with the cache's
    // files. In a folder pqg made that is all there is; in one shared with
    // other files, a key without what the gate names would outlive its
    // edits: no key then.
    let in_cache = |p: &str| cache.as_deref().is_some_and(|c| is_under(p, c));
    if let Some(inside) = found
        .iter()
        .find(|p| in_cache(p))
        .filter(|_| !is_marked_cache(exclude))
    {
        anyhow::bail!(
            "`inputs` name `{}`, in the cache folder, which every listing leaves out",
            name::display(inside)
        );
    }
    found.retain(|p| !in_cache(p));
    if found.is_empty() {
        return Ok((Vec::new(), IgnoredPlaces::default()));
    }
    // Several gates often share their globs: each is followed once.
    let mut globs = globs.to_vec();
    globs.sort_unstable();
    globs.dedup();
    let mut files = Vec::new();
    let mut ask_git = Vec::new();
    for &place in &found {
        match guided::ignored_under(root, cache.as_deref(), place, &globs) {
            Some(under) => files.extend(under),
            None => ask_git.push(place),
        }
    }
    if !ask_git.is_empty() {
        files.extend(git::ls_ignored(root, &ask_git)?.unwrap_or_default());
    }
    let files = tidy(files, root, exclude);
    crate::debug!(
        "files: {} ignored files at {} found by the globs{}",
        files.len(),
        found.join(", "),
        if ask_git.is_empty() {
            String::new()
        } else {
            format!(
                " (git listed {}: a repository or an unreadable folder on the way)",
                ask_git.join(", ")
            )
        }
    );
    let places = IgnoredPlaces::new(found.iter().map(|p| (*p).to_owned()).collect());
    Ok((files, places))
}

/// Whether the sorted list `files` holds `place` or a file under it, or
/// a path above it: a submodule or nested repository (`lib`, `vend/lib/`)
/// whose own git lists what is inside, so nothing there is the
/// superproject's ignored file.
fn holds_listed(files: &[String], place: &str) -> bool {
    let listed = |p: &str| files.binary_search_by(|f| f.as_str().cmp(p)).is_ok();
    if listed(place) {
        return true;
    }
    let mut above = place.match_indices('/').map(|(i, _)| &place[..i]);
    if above.any(|a| listed(a) || listed(&format!("{a}/"))) {
        return true;
    }
    let dir = format!("{place}/");
    let at = files.partition_point(|f| f.as_str() < dir.as_str());
    files.get(at).is_some_and(|f| f.starts_with(&dir))
}

/// Where a snapshot's untracked files came from.
enum Listing {
    /// The untracked cache, which held.
    Held(UntrackedCache),
    /// git (`None`: not a work tree).
    Asked(Option<Vec<String>>),
}

/// What became of the untracked cache in a snapshot of the tree.
#[derive(Debug)]
pub enum UntrackedUpdate {
    /// The record given held: git was not asked.
    Kept,
    /// git was asked; keep this record for the next run.
    Save(UntrackedCache),
    /// git was asked and no record could be made (a folder changed while
    /// listed, a rule cannot be watched): forget the old one.
    Forget,
    /// Not a git work tree, or the cache is off.
    Off,
}

/// Lists and snapshots the default inputs in one go, and the ignored files
/// at the ignored places `globs` (the gates' include globs) name.
/// Inside git, the tracked files (which git lists at once from its index)
/// are stat'ed while git is still walking the tree for untracked ones: on a
/// large tree the walk and the stats take about as long as each other.
///
/// The untracked files come from `untracked` (the untracked cache) when
/// it still holds ([`UntrackedCache::check`]), and git is not asked for
/// them; otherwise git walks the tree, and, when `untracked` is `Some`
/// (the cache is on), a new record is made for the caller to keep.
///
/// `load_index` runs while git lists the files; the index it returns is
/// handed back with the snapshot, and so are the ignored places found.
///
/// The bytes of each file hashed pass through `tap`, when there is one.
pub fn snapshot_tree(
    root: &Path,
    exclude: &Path,
    globs: &[&str],
    load_index: impl FnOnce() -> StatIndex + Send,
    untracked: Option<Option<UntrackedCache>>,
    tap: Option<&dyn ContentTap>,
) -> anyhow::Result<(Snapshot, StatIndex, IgnoredPlaces, UntrackedUpdate)> {
    snapshot_tree_with(root, exclude, globs, load_index, untracked, tap, |_, _| {})
}

/// [`snapshot_tree`], calling `stated` once every file listed is stat'ed
/// and before the files the index cannot vouch for are hashed (the racy
/// ones aside, hashed before): with the files stat'ed, by batch (tracked,
/// untracked, ignored), and whether the snapshot will keep the listing's
/// stamps ([`Snapshot::listing_stamps`]). Gates may start from then on
/// (issue 14).
pub(crate) fn snapshot_tree_with(
    root: &Path,
    exclude: &Path,
    globs: &[&str],
    load_index: impl FnOnce() -> StatIndex + Send,
    untracked: Option<Option<UntrackedCache>>,
    tap: Option<&dyn ContentTap>,
    stated: impl FnOnce(&[&Stated], bool),
) -> anyhow::Result<(Snapshot, StatIndex, IgnoredPlaces, UntrackedUpdate)> {
    let handle = Root::open(root).with_context(|| format!("opening `{}`", root.display()))?;
    let listed_ns = super::snapshot::now_ns();
    let use_cache = untracked.is_some();
    let handle = &handle;
    std::thread::scope(|s| {
        let ask_git = || git::ls_files(root, &["--others", "--exclude-standard"]);
        // The stored index loads while the tracked files are listed and
        // stat'ed: only judging their states needs it.
        let index = s.spawn(load_index);
        // The untracked cache is checked (and git asked, when it does not
        // hold) beside the tracked files' stats; the verdict comes with the
        // tracked paths the record was made against, so that the tracked
        // files are kept for a new record only when one is to be made.
        let (verdict, verdict_rx) = std::sync::mpsc::channel::<Option<[u8; 32]>>();
        let check_untracked = move || {
            let held = untracked.flatten().filter(|uc| match uc.check(handle) {
                Ok(()) => true,
                Err(why) => {
                    crate::debug!("files: untracked cache: {why}; asking git");
                    false
                }
            });
            let _ = verdict.send(held.as_ref().map(|uc| uc.tracked));
            match held {
                Some(uc) => Ok(Listing::Held(uc)),
                None => ask_git().map(Listing::Asked),
            }
        };
        // Read from git's index when it can be (no process), else listed.
        // Every stat waits for that list and the check does not: it starts
        // once the list is read, unless git has to be asked for it.
        let (untracked_now, tracked, index_file) = match git::index::tracked_at(root) {
            Some((files, file)) => (s.spawn(check_untracked), Some(files), Some(file)),
            None => {
                let untracked_now = s.spawn(check_untracked);
                (untracked_now, git::ls_files(root, &["--cached"])?, None)
            }
        };
        // Which index the tracked paths came from: the look after the run
        // asks git again when another replaced it (a file may have left or
        // joined the inputs through the index alone).
        let index_id = index_file.as_ref().map(git::index::HeldIndex::id);
        // A tracked file in the cache folder (one `git add -f`ed into
        // pqg's own) would be left out of every key: no key then.
        if let (Some(files), Some(cache)) = (&tracked, relative_prefix(root, exclude)) {
            if let Some(inside) = files.iter().find(|f| is_under(f, &cache)) {
                anyhow::bail!(
                    "git tracks `{}` in the cache folder, which every listing leaves out",
                    name::display(inside)
                );
            }
        }
        let tracked = tracked.map(|files| tidy(files, root, exclude));
        crate::debug!(
            "files: {} tracked files listed; stat'ing them",
            tracked.as_ref().map_or(0, Vec::len)
        );
        let tracked = tracked.map(|files| Snapshot::lstat(handle, files));
        let index = index
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let held_for = verdict_rx.recv().ok().flatten();
        let reuse = held_for.is_some_and(|digest| {
            let same = tracked
                .as_ref()
                .is_some_and(|t| digest == untracked::tracked_digest(t.files()));
            if !same {
                crate::debug!("files: untracked cache: the tracked files changed; asking git");
            }
            same
        });
        // The listing held but the index moved: git is asked after all.
        let late = (held_for.is_some() && !reuse).then(|| s.spawn(ask_git));
        // The places holding a tracked file are not ignored; the others are
        // checked against the untracked files once git lists them.
        let open: Vec<&str> = match &tracked {
            Some(t) => globs
                .iter()
                .copied()
                .filter(|g| !holds_listed(t.files(), place_of(g)))
                .collect(),
            None => Vec::new(),
        };
        // Kept for the new record, when one is to be made.
        let tracked_copy = tracked
            .as_ref()
            .filter(|_| use_cache && !reuse)
            .map(|t| (t.files().to_vec(), index_file));
        let tracked = tracked.map(|t| t.judge(handle, &index, tap));
        crate::debug!(
            "files: {} stored states read; the tracked files judged",
            index.len()
        );
        let listing = untracked_now
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("listing untracked files panicked")))?;
        let listed = match (listing, late) {
            (_, Some(late)) => late
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("listing untracked files panicked")))?,
            (Listing::Held(uc), None) => {
                crate::debug!(
                    "files: untracked cache: {} folders and .gitignore files unchanged, {} untracked files as listed before",
                    uc.stats.len(),
                    uc.untracked.len()
                );
                let stamps = uc.stamps();
                let (untracked, attributes_seen) = uc.into_listing();
                return finish(
                    s,
                    root,
                    exclude,
                    handle,
                    (tracked, Some(untracked)),
                    (&index, &open, tap),
                    (None, Some(stamps)),
                    listed_ns,
                    stated,
                )
                .map(|(mut snapshot, ignored, _)| {
                    snapshot.index_file = index_id;
                    snapshot.attributes_seen = Some(attributes_seen);
                    (snapshot, index, ignored, UntrackedUpdate::Kept)
                });
            }
            (Listing::Asked(listed), None) => listed,
        };
        let others = listed.map(|o| tidy(o, root, exclude));
        let (mut snapshot, ignored, update) = finish(
            s,
            root,
            exclude,
            handle,
            (tracked, others),
            (&index, &open, tap),
            (tracked_copy, None),
            listed_ns,
            stated,
        )?;
        snapshot.index_file = index_id;
        Ok((snapshot, index, ignored, update))
    })
}

/// The tracked paths a new untracked cache record is made against, and
/// the index they were read from (when read in process).
type TrackedCopy = (Vec<String>, Option<git::index::HeldIndex>);

/// The rest of [`snapshot_tree`] once the tracked files are stat'ed and
/// the untracked ones known: the untracked and ignored files' snapshot,
/// and a new untracked cache record when `tracked_copy` is given (made
/// while the untracked files are stat'ed). The snapshot keeps the stamps
/// of the record made, or of the one that `held` ([`Snapshot::listing_stamps`]).
#[allow(clippy::too_many_arguments)]
fn finish<'scope>(
    s: &'scope std::thread::Scope<'scope, '_>,
    root: &'scope Path,
    exclude: &'scope Path,
    handle: &Root,
    (tracked, others): (Option<Stated>, Option<Vec<String>>),
    (index, open, tap): (&StatIndex, &[&str], Option<&dyn ContentTap>),
    (tracked_copy, held): (Option<TrackedCopy>, Option<untracked::Stamps>),
    listed_ns: i64,
    stated: impl FnOnce(&[&Stated], bool),
) -> anyhow::Result<(Snapshot, IgnoredPlaces, UntrackedUpdate)> {
    let mut update = UntrackedUpdate::Off;
    let mut listed = None;
    let (batches, ignored) = match (tracked, others) {
        (Some(tracked), Some(untracked)) => {
            // Kept for the new-code diff: the untracked files as git
            // listed them (not walked a second time).
            listed = Some(untracked.clone());
            // The folders are looked at while the untracked files are.
            let recording = tracked_copy.map(|(t, index_file)| {
                let listed = untracked.clone();
                s.spawn(move || {
                    UntrackedCache::record(root, exclude, (&t, index_file), listed, listed_ns)
                })
            });
            let (ignored, found) = ignored_files(root, exclude, &[&untracked], open)?;
            let mut batches = vec![tracked, Snapshot::stat(handle, untracked, index, tap)];
            if let Some(recording) = recording {
                update = match recording.join().ok().flatten() {
                    Some(uc) => UntrackedUpdate::Save(uc),
                    None => UntrackedUpdate::Forget,
                };
            }
            if !ignored.is_empty() {
                batches.push(Snapshot::stat(handle, ignored, index, tap));
            }
            (batches, found)
        }
        _ => (
            vec![Snapshot::stat(
                handle,
                tidy(walk_files(root)?, root, exclude),
                index,
                tap,
            )],
            IgnoredPlaces::default(),
        ),
    };
    let stamps = held
        .or_else(|| match &update {
            UntrackedUpdate::Save(record) => Some(record.stamps()),
            _ => None,
        })
        .filter(|_| !batches.iter().any(Stated::holds_repositories));
    stated(&batches.iter().collect::<Vec<_>>(), stamps.is_some());
    let mut snapshot = batches
        .into_iter()
        .map(|b| b.hash(handle, tap))
        .reduce(Snapshot::merge)
        .unwrap_or_default();
    snapshot.listed_ns = listed_ns;
    snapshot.untracked = listed;
    snapshot.listing_stamps = stamps.map(std::sync::Arc::new);
    Ok((snapshot, ignored, update))
}

/// Whether the rules of what git ignores that live outside `root` (the
/// config's folder) are older than `since_ns`: each folder between `root`
/// and the work tree's top and its `.gitignore` (a rule file added there
/// changes the folder), the repository's `info/exclude` and `info`
/// folders, and the config files that name or hold other rules
/// ([`git::ignore_rule_files`]; `false` when those cannot be told without
/// running git). Outside git, `true`.
pub(crate) fn outer_rules_old(root: &Path, since_ns: i64) -> bool {
    let changed_since = |path: &Path| {
        std::fs::symlink_metadata(path)
            .is_ok_and(|m| changed_ns(&m) >= since_ns.saturating_sub(QUIET_SLACK_NS))
    };
    let old = |path: &Path| !changed_since(path);
    let top = super::root::absolute(root);
    git::dirs(root).is_none_or(|d| {
        let top_of_tree = super::root::absolute(&d.top);
        let between_kept = top
            .ancestors()
            .skip(1)
            .take_while(|dir| dir.starts_with(&top_of_tree))
            .all(|dir| old(&dir.join(".gitignore")) && old(dir));
        between_kept
            && [d.common.join("info"), d.git_dir.join("info")]
                .iter()
                .all(|info| old(&info.join("exclude")) && old(info))
            && git::ignore_rule_files(&d).is_some_and(|files| files.iter().all(|f| old(f)))
    })
}

/// How many entries [`quiet_since`] reads before it gives up: past that,
/// asking git costs about the same.
const QUIET_WALK_LIMIT: usize = 4096;

/// The kernel stamps a folder's ctime from a clock that may lag the one
/// read for `since_ns` by a scheduler tick.
const QUIET_SLACK_NS: i64 = 20_000_000;

/// Whether no entry can have been added at or under the places `within`
/// (relative to `root`) since `since_ns`: each place that is a folder, and
/// every folder under it (the cache folder and `.git` aside), has a ctime
/// older than that (adding, removing or renaming an entry changes its
/// folder's ctime, and no program sets a ctime back), and so has each
/// `.gitignore` there (a rule changed may let a file in). A place that is a
/// file is not looked at here (its caller knows whether it was listed); a
/// place missing now holds nothing. `false` when some folder changed, when
/// one cannot be read, or past [`QUIET_WALK_LIMIT`] entries.
pub(crate) fn quiet_since(root: &Path, exclude: &Path, within: &[&str], since_ns: i64) -> bool {
    if since_ns <= 0 {
        return false;
    }
    let from = since_ns.saturating_sub(QUIET_SLACK_NS);
    let old = |m: &std::fs::Metadata| changed_ns(m) < from;
    let mut seen = 0usize;
    let mut folders: Vec<std::path::PathBuf> = Vec::new();
    for place in within {
        let path = root.join(name::to_path(place));
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => folders.push(path),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(_) => return false,
        }
    }
    while let Some(dir) = folders.pop() {
        if dir == exclude {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&dir) else {
            return false;
        };
        if !meta.is_dir() || !old(&meta) {
            return false;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return false;
        };
        for entry in entries {
            let Ok(entry) = entry else {
                return false;
            };
            seen += 1;
            if seen > QUIET_WALK_LIMIT {
                return false;
            }
            if entry.file_name() == ".git" {
                continue;
            }
            // A rule of what git ignores, listed or not (it may ignore
            // itself): changed, it may have let a file in.
            if entry.file_name() == ".gitignore"
                && std::fs::symlink_metadata(entry.path()).map_or(true, |m| !old(&m))
            {
                return false;
            }
            match entry.file_type() {
                Ok(t) if t.is_dir() => folders.push(entry.path()),
                Ok(_) => {}
                Err(_) => return false,
            }
        }
    }
    true
}

fn relative_prefix(root: &Path, dir: &Path) -> Option<String> {
    let rel = dir.strip_prefix(root).ok()?;
    let rel = name::from_bytes(rel.as_os_str().as_bytes().to_vec());
    let s = rel.trim_end_matches('/');
    (!s.is_empty() && s != ".").then(|| s.trim_start_matches("./").to_owned())
}

/// One batch of listed files, as [`list_files_overlapped`] hands it on.
pub(crate) struct Batch<'a> {
    /// Sorted.
    pub files: Vec<String>,
    /// For the batch of ignored files, the ignored places they are at.
    pub ignored: Option<&'a IgnoredPlaces>,
}

/// Lists the default inputs like [`list_files`], handing them to `each` in
/// batches inside git: the tracked files (which git lists at once from its
/// index) while git is still walking the tree for untracked ones, then
/// those, then the ignored files at the ignored places `globs` name (if
/// any). Outside git, one batch. Each batch is sorted; they do not overlap.
pub(crate) fn list_files_overlapped<T: Send>(
    root: &Path,
    exclude: &Path,
    globs: &[&str],
    each: impl Fn(Batch<'_>) -> T + Sync,
) -> anyhow::Result<Vec<T>> {
    let plain = |files| Batch {
        files,
        ignored: None,
    };
    std::thread::scope(|s| {
        let others = s.spawn(|| git::ls_files(root, &["--others", "--exclude-standard"]));
        let Some(tracked) = git::ls_files(root, &["--cached"])? else {
            return Ok(vec![each(plain(tidy(walk_files(root)?, root, exclude)))]);
        };
        let tracked = tidy(tracked, root, exclude);
        let open: Vec<&str> = globs
            .iter()
            .copied()
            .filter(|g| !holds_listed(&tracked, place_of(g)))
            .collect();
        let first = each(plain(tracked));
        let others = others
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("listing untracked files panicked")))?
            .map(|o| tidy(o, root, exclude))
            .unwrap_or_default();
        let (ignored, found) = ignored_files(root, exclude, &[&others], &open)?;
        let mut batches = vec![first, each(plain(others))];
        if !ignored.is_empty() {
            batches.push(each(Batch {
                files: ignored,
                ignored: Some(&found),
            }));
        }
        Ok(batches)
    })
}

/// Every file under `root` but `.git`, relative to it. A FIFO, socket or
/// device is listed like a file (what it is, the snapshot records) and
/// never opened here.
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
        files.push(name::from_bytes(rel.as_os_str().as_bytes().to_vec()));
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
        let listed = list_files(root, &root.join(".pqg"), &[]).unwrap();
        assert_eq!(listed, [".pqgx/d", "a/c.txt", "b.txt"]);
        let batches =
            list_files_overlapped(root, &root.join(".pqg"), &[], |b| b.files.len()).unwrap();
        assert_eq!(batches, [3], "one batch outside git");
    }

    #[test]
    fn inside_git_the_ignored_files_at_named_ignored_places_are_listed() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let git = |args: &[&str]| git::command(root).args(args).output().unwrap();
        git(&["init", "-q"]);
        for f in [
            ".gitignore",
            ".env",
            "build/out.txt",
            "src/a.py",
            "src/gen/x.py",
            ".venv/lib/a.py",
            "keep/t.txt",
            "keep/o.log",
        ] {
            std::fs::create_dir_all(root.join(f).parent().unwrap()).unwrap();
            std::fs::write(root.join(f), "x").unwrap();
        }
        std::fs::write(
            root.join(".gitignore"),
            ".env\nbuild/\nsrc/gen/\n.venv/\n*.log\n.pqg/\n",
        )
        .unwrap();
        let places = [".env", "build", "src", "keep", "missing", ".pqg"];
        let listed = list_files(root, &root.join(".pqg"), &places).unwrap();
        assert_eq!(
            listed,
            [
                ".env",
                ".gitignore",
                "build/out.txt",
                "keep/t.txt",
                "src/a.py"
            ],
            "src and keep hold listed files: their ignored files stay out"
        );
        let batches = list_files_overlapped(root, &root.join(".pqg"), &places, |b| {
            (b.files, b.ignored.map(|i| i.places().to_vec()))
        })
        .unwrap();
        assert_eq!(
            batches.last().unwrap(),
            &(
                vec![".env".to_owned(), "build/out.txt".to_owned()],
                Some(vec![".env".to_owned(), "build".to_owned()])
            )
        );
        let (snapshot, _, ignored, _) = snapshot_tree(
            root,
            &root.join(".pqg"),
            &places,
            StatIndex::default,
            None,
            None,
        )
        .unwrap();
        let paths: Vec<&str> = snapshot.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, listed);
        assert_eq!(ignored.places(), [".env", "build"]);
        let (snapshot, _, ignored, _) = snapshot_tree(
            root,
            &root.join(".pqg"),
            &[],
            StatIndex::default,
            None,
            None,
        )
        .unwrap();
        assert_eq!(snapshot.files.len(), 3, "no place named: no ignored file");
        assert!(ignored.is_empty());
    }
}
