//! The untracked cache: what `git ls-files --others --exclude-standard`
//! said last time, and the stat data of every folder git's walk for it
//! visits, so that a warm run lstats those folders instead of walking the
//! tree again (git's own `core.untrackedCache` idea).
//!
//! What it trusts: a folder gains, loses or renames an entry only by
//! moving its mtime and ctime (and no program sets a ctime back); a
//! folder moved or replaced shows another inode. A folder whose stamps
//! are not older than the listing's start is racy and never trusted (the
//! listing may have missed what changed it), like the racy rule of
//! [`super::index`]. The rules of what git ignores are git's: a candidate
//! folder holding no listed file is asked about with `git check-ignore`,
//! never matched here; every `.gitignore` of a visited folder is recorded
//! by its stat data, and the rules outside the folder by their stamps
//! ([`super::list::outer_rules_old`]).
//!
//! The tracked files count too: a file that leaves the index (`git rm
//! --cached`) may become untracked without any folder changing, so the
//! record holds a digest of the tracked paths it was made against.
//!
//! This module never stores anything: the caller keeps the record.

use super::root::Root;
use crate::git;
use crate::sys::fs::changed_ns;
use crate::sys::name;
use rayon::prelude::*;
use std::collections::HashSet;
use std::path::Path;

/// The stat data of a folder or a `.gitignore` that says whether it may
/// have changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirStat {
    pub mtime_ns: i64,
    pub ctime_ns: i64,
    pub ino: u64,
    pub dev: u64,
    pub mode: u32,
    pub size: u64,
}

impl DirStat {
    fn from_stat(s: &crate::sys::fs::Stat) -> DirStat {
        DirStat {
            mtime_ns: s.mtime_ns,
            ctime_ns: s.ctime_ns,
            ino: s.ino,
            dev: s.dev,
            mode: s.mode,
            size: s.size,
        }
    }
}

/// What one folder of [`UntrackedCache::walk`] gave.
#[derive(Default)]
struct Visited {
    stats: Vec<(String, DirStat)>,
    into: Vec<String>,
    candidates: Vec<String>,
    /// The folder, when its entries were read, and whether one of them is
    /// named `.gitattributes`.
    read: Option<(String, bool)>,
    /// The folder holding the cache folder, when it changed while listed
    /// and was recorded all the same ([`UntrackedCache::walk`]).
    settled: Option<String>,
    /// In that folder, the files git did not list: each must be one git
    /// ignores (its folders holding no listed file are checked with the
    /// other candidates).
    strangers: Vec<String>,
}

/// Whether the walk read a folder's entries, and what it found of a
/// `.gitattributes` among them: kept for each recorded path, so that a
/// run whose record held knows where such a file is without looking
/// (the new-code memo's look for ignored ones,
/// `pipeline::new_code_memo`). An entry holds as long as the record does:
/// a name comes or goes only by moving its folder's stamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderRead {
    /// Not a folder whose entries were read (a `.gitignore`, a nested
    /// repository).
    NotRead,
    /// Read; no entry named `.gitattributes`.
    Without,
    /// Read; an entry named `.gitattributes` (of any kind).
    With,
}

/// The folders whose entries a record that held had read, sorted, each
/// with whether it holds an entry named `.gitattributes`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttributesSeen {
    folders: Vec<(String, bool)>,
}

impl AttributesSeen {
    /// Whether `folder` (relative, `""` for the root) holds an entry named
    /// `.gitattributes`; `None` when the walk did not read it.
    pub fn in_folder(&self, folder: &str) -> Option<bool> {
        self.folders
            .binary_search_by(|(f, _)| f.as_str().cmp(folder))
            .ok()
            .map(|at| self.folders[at].1)
    }
}

/// The kernel stamps a folder's ctime from a clock that may lag the one
/// read for the listing's start by a scheduler tick.
const SLACK_NS: i64 = 20_000_000;

/// Rounds of `git check-ignore` for folders that hold no listed file,
/// each one level deeper; past that, nothing is recorded.
const MAX_ROUNDS: usize = 16;

/// Paths (relative, sorted) with their stat data.
type Stats = Vec<(String, DirStat)>;

/// One listing of the untracked files and what it depended on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UntrackedCache {
    /// When the listing started (ns since the epoch).
    pub listed_ns: i64,
    /// BLAKE3 of the tracked paths it was made against.
    pub tracked: [u8; 32],
    /// Every folder git's walk visits (relative, `""` for the root), and
    /// every `.gitignore` in them, with their stat data; sorted.
    pub stats: Vec<(String, DirStat)>,
    /// For each of `stats`, whether its entries were read and held a
    /// `.gitattributes`.
    pub read: Vec<FolderRead>,
    /// What git listed, tidied and sorted.
    pub untracked: Vec<String>,
    /// [`git::config_env_digest`] when it was made.
    pub env: [u8; 32],
    /// The rule and config files outside the tree git read for it (the
    /// `.gitignore` files above the folder, `info/exclude`, the config
    /// files, the global excludes file), each with its `lstat` and `stat`
    /// data (`None`: absent): any difference, a file gone or come
    /// included, and the listing is not trusted.
    pub outer: Vec<(String, Option<DirStat>, Option<DirStat>)>,
}

/// The digest of the sorted tracked paths a listing is made against.
pub(crate) fn tracked_digest(tracked: &[String]) -> [u8; 32] {
    // Joined first: 40,000 small updates of the hasher took 2 ms of a
    // warm run on 20,000 files, one update of the joined bytes 0.2 ms.
    // Each path's length goes first: a name git holds in bytes that are
    // not UTF-8 is kept with a NUL in it (`sys::name`), so NUL-joined
    // names could run together ({`caf`, `é`} and {`caf\xe9`}).
    let mut joined = Vec::with_capacity(tracked.iter().map(|p| p.len() + 8).sum());
    for p in tracked {
        joined.extend_from_slice(&(p.len() as u64).to_le_bytes());
        joined.extend_from_slice(p.as_bytes());
    }
    *blake3::hash(&joined).as_bytes()
}

const MAGIC: &[u8; 8] = b"pqguc003";

/// The rule and config files outside the tree that git reads for the
/// listing of `root`; `None` when they cannot all be known (a config
/// names another excludes file or includes one, `git -c` settings).
fn outer_files(
    root: &Path,
    dirs: Option<&git::Dirs>,
    system: Option<std::path::PathBuf>,
) -> Option<Vec<std::path::PathBuf>> {
    let Some(d) = dirs else {
        return Some(Vec::new()); // outside git: no rules
    };
    let top = super::root::absolute(&d.top);
    let mut files: Vec<std::path::PathBuf> = super::root::absolute(root)
        .ancestors()
        .skip(1)
        .take_while(|dir| dir.starts_with(&top))
        .map(|dir| dir.join(".gitignore"))
        .collect();
    files.push(d.common.join("info/exclude"));
    files.push(d.git_dir.join("info/exclude"));
    files.extend(git::ignore_rule_files(d)?);
    // The system config this git reads, where its build put it: read
    // like the others (one naming another rules file cannot be followed).
    if let Some(system) = system {
        let text = std::fs::read(&system).unwrap_or_default();
        let text = String::from_utf8_lossy(&text).to_ascii_lowercase();
        if text.contains("excludesfile") || text.contains("include") {
            return None;
        }
        files.push(system);
    }
    files.sort();
    files.dedup();
    Some(files)
}

/// `lstat` and `stat` of an absolute path, `None` where absent.
fn outer_state(path: &Path) -> (Option<DirStat>, Option<DirStat>) {
    let of = |m: std::fs::Metadata| {
        use std::os::unix::fs::MetadataExt;
        DirStat {
            mtime_ns: m.mtime().saturating_mul(1_000_000_000) + m.mtime_nsec(),
            ctime_ns: m.ctime().saturating_mul(1_000_000_000) + m.ctime_nsec(),
            ino: m.ino(),
            dev: m.dev(),
            mode: m.mode(),
            size: m.size(),
        }
    };
    (
        std::fs::symlink_metadata(path).ok().map(of),
        std::fs::metadata(path).ok().map(of),
    )
}

/// The stat data a listing of the untracked files depended on
/// ([`UntrackedCache::stamps`]): while they hold, git would list the same
/// untracked files again (against the same index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stamps {
    env: [u8; 32],
    outer: Vec<(String, Option<DirStat>, Option<DirStat>)>,
    stats: Stats,
}

impl Stamps {
    /// Whether the listing these stamps come from still holds for the tree
    /// under `root` ([`UntrackedCache::check`]).
    pub(crate) fn check(&self, root: &Root) -> Result<(), String> {
        still_holds(&self.env, &self.outer, &self.stats, root)
    }
}

/// Whether git's environment is `env`, the rules outside the tree show
/// the stat data in `outer` and every folder and `.gitignore` in `stats`
/// the same stat data as recorded; `Err` says which did not, for `-vv`.
fn still_holds(
    env: &[u8; 32],
    outer: &[(String, Option<DirStat>, Option<DirStat>)],
    stats: &[(String, DirStat)],
    root: &Root,
) -> Result<(), String> {
    if git::config_env_digest() != *env {
        return Err(
            "git's environment differs (HOME, XDG_CONFIG_HOME, GIT_CONFIG_*, PATH)".to_owned(),
        );
    }
    if let Some((path, _, _)) = outer
        .iter()
        .find(|(path, lstat, stat)| outer_state(&name::to_path(path)) != (*lstat, *stat))
    {
        return Err(format!("`{}` changed", name::display(path)));
    }
    let changed = stats.par_iter().with_min_len(64).find_any(|(rel, before)| {
        root.stat_data(rel)
            .map_or(true, |s| DirStat::from_stat(&s) != *before)
    });
    match changed {
        Some((rel, _)) => Err(format!(
            "`{}` changed",
            if rel.is_empty() { "." } else { rel }
        )),
        None => Ok(()),
    }
}

impl UntrackedCache {
    /// Whether the listing still holds for the tree under `root` now: the
    /// rules outside it are older than the listing, and every recorded
    /// folder and `.gitignore` shows the same stat data. `Err` says why
    /// not, for `-vv`.
    pub(crate) fn check(&self, root: &Root) -> Result<(), String> {
        still_holds(&self.env, &self.outer, &self.stats, root)
    }

    /// What [`check`](Self::check) looks at, without the listing: kept
    /// with a snapshot, so that the look after a run can tell that no file
    /// appeared anywhere git's walk goes without walking it again.
    pub(crate) fn stamps(&self) -> Stamps {
        Stamps {
            env: self.env,
            outer: self.outer.clone(),
            stats: self.stats.clone(),
        }
    }

    /// The listing of a record that held ([`UntrackedCache::check`]), and
    /// what its walk found of `.gitattributes` names.
    pub(crate) fn into_listing(self) -> (Vec<String>, AttributesSeen) {
        let folders = self
            .stats
            .into_iter()
            .zip(self.read)
            .filter_map(|((path, _), read)| match read {
                FolderRead::NotRead => None,
                FolderRead::Without => Some((path, false)),
                FolderRead::With => Some((path, true)),
            })
            .collect();
        (self.untracked, AttributesSeen { folders })
    }

    /// Records what the folders git's walk visits look like now, after a
    /// listing started at `listed_ns` gave `untracked` against `tracked`
    /// (both sorted, tidied): the folders of listed files, and those that
    /// hold none unless git ignores them (asked with `git check-ignore`).
    /// `index_file` is the index `tracked` was read from, when it was read
    /// in process (not listed by git).
    /// `exclude` (the cache folder) is left out. `None` when something
    /// cannot be read, a folder or rule is racy, or git cannot be asked.
    pub(crate) fn record(
        root: &Path,
        exclude: &Path,
        (tracked, index_file): (&[String], Option<git::index::HeldIndex>),
        untracked: Vec<String>,
        listed_ns: i64,
    ) -> Option<UntrackedCache> {
        let racy_from = listed_ns.saturating_sub(SLACK_NS);
        let env = git::config_env_digest();
        let dirs = git::dirs(root);
        // The rules outside the folder, as they are now: none may have
        // changed since the listing started (racy).
        let Some(files) = outer_files(root, dirs.as_ref(), git::system_config(root)) else {
            crate::debug!(
                "files: untracked cache not kept: git's config names rules pqg cannot follow"
            );
            return None;
        };
        let mut outer = Vec::with_capacity(files.len());
        for file in files {
            let (lstat, stat) = outer_state(&file);
            // One absent now is recorded absent: were it removed while
            // listed, the next run would miss it, a window of the listing's
            // few milliseconds (its folder, `.git` for most, moves with
            // every `git add`, so it cannot tell).
            let racy = lstat.is_some_and(|l| stamp(&l) >= racy_from)
                || stat.is_some_and(|s| stamp(&s) >= racy_from);
            if racy {
                crate::debug!(
                    "files: untracked cache not kept: {} changed while listed",
                    file.display()
                );
                return None;
            }
            outer.push((
                name::from_bytes(file.into_os_string().into_encoded_bytes()),
                lstat,
                stat,
            ));
        }
        // git may read rules from the index (a sparse checkout): a switch
        // would change them with no folder showing it.
        let rules_outside = |d: &git::Dirs| match &index_file {
            Some(held) => held.rules_outside_work_tree(d),
            None => git::index::rules_outside_work_tree(d),
        };
        if dirs.as_ref().is_some_and(rules_outside) {
            crate::debug!("files: untracked cache not kept: git may read a .gitignore from the index (sparse checkout)");
            return None;
        }
        // The index moved around the listing: git may have listed against
        // another index than the tracked paths read here. When they were
        // read from the index file, the same file still there after git
        // listed says git read it too (a `git add` just before the run
        // keeps the record); else any change since the listing began.
        let index_moved = dirs.as_ref().is_some_and(|d| match &index_file {
            Some(read) => !read.still_there(d),
            None => std::fs::symlink_metadata(d.git_dir.join("index"))
                .is_ok_and(|m| changed_ns(&m) >= racy_from),
        });
        if index_moved {
            crate::debug!("files: untracked cache not kept: git's index changed while listed");
            return None;
        }
        let recorded = Self::walk(root, exclude, tracked, &untracked, racy_from);
        let Some((stats, read, settled)) = recorded else {
            crate::debug!(
                "files: untracked cache not kept: a folder could not be read or changed while listed, or git could not be asked"
            );
            return None;
        };
        if stats
            .iter()
            .any(|(p, s)| stamp(s) >= racy_from && settled.as_ref() != Some(p))
        {
            crate::debug!("files: untracked cache not kept: a folder changed while listed");
            return None;
        }
        Some(UntrackedCache {
            listed_ns,
            tracked: tracked_digest(tracked),
            stats,
            read,
            untracked,
            env,
            outer,
        })
    }

    /// The stat data of the folders git's walk visits, and of their
    /// `.gitignore` files, sorted, with what was read of each
    /// ([`FolderRead`]); `None` as soon as one is racy (stamped from
    /// `racy_from` on).
    ///
    /// But for one folder: the one holding the cache folder, which the
    /// first run changes by making the cache just before it lists the
    /// tree (so that every first run would keep no record, and its look
    /// after the gates would have to list the tree again). It is recorded,
    /// and named in the answer, when it settled before this look (its
    /// stamp a slack older than its `lstat`, so that any later change
    /// moves it) and each file in it, as read after that `lstat`, is one
    /// git listed (tracked or untracked) or one git ignores (asked): then
    /// whatever changed it since the listing began is nothing git would
    /// list. A folder in it that holds no listed file must be one git
    /// ignores too (moved in, it may keep its old stamps), and a rule
    /// changed there is a racy `.gitignore`.
    fn walk(
        root: &Path,
        exclude: &Path,
        tracked: &[String],
        untracked: &[String],
        racy_from: i64,
    ) -> Option<(Stats, Vec<FolderRead>, Option<String>)> {
        let folders = super::folders_of(tracked.iter().chain(untracked).map(String::as_str));
        let listed =
            |list: &[String], p: &str| list.binary_search_by(|f| f.as_str().cmp(p)).is_ok();
        // A submodule (tracked) or nested repository (listed `dir/`): git
        // does not walk into it; its own stat data is kept.
        let leaf = |p: &str| listed(tracked, p) || listed(untracked, &format!("{p}/"));
        let handle = Root::open(root).ok()?;
        // A racy entry ends the walk at once: no record will be kept (an
        // edit just before the run is the common case).
        let stat = |rel: &str| {
            let st = DirStat::from_stat(&handle.stat_data(rel).ok()?);
            (stamp(&st) < racy_from).then_some(st)
        };
        // One folder: its stat data and its `.gitignore`'s, the folders to
        // go into, and those git may ignore (they hold no listed file).
        let cache_home = exclude.parent();
        let visit = |dir: &String| -> Option<Visited> {
            let path = root.join(name::to_path(dir));
            if path == exclude {
                return Some(Visited::default());
            }
            let mut seen = Visited::default();
            let here = match stat(dir) {
                Some(st) => st,
                None if cache_home == Some(path.as_path()) => {
                    let looked = super::snapshot::now_ns();
                    let st = DirStat::from_stat(&handle.stat_data(dir).ok()?);
                    if stamp(&st) >= looked.saturating_sub(SLACK_NS) {
                        return None;
                    }
                    seen.settled = Some(dir.clone());
                    st
                }
                None => return None,
            };
            if here.mode & libc::S_IFMT != libc::S_IFDIR {
                return None;
            }
            seen.stats.push((dir.clone(), here));
            let mut attributes = false;
            let join = |file: &str| {
                if dir.is_empty() {
                    file.to_owned()
                } else {
                    format!("{dir}/{file}")
                }
            };
            for entry in std::fs::read_dir(&path).ok()? {
                let entry = entry.ok()?;
                let file = entry.file_name();
                let bytes = std::os::unix::ffi::OsStrExt::as_bytes(file.as_os_str());
                attributes |= bytes == b".gitattributes";
                if bytes == b".gitignore" {
                    let rel = join(".gitignore");
                    let st = stat(&rel)?;
                    // A folder so named: git walks it; not followed here.
                    if st.mode & libc::S_IFMT == libc::S_IFDIR {
                        return None;
                    }
                    seen.stats.push((rel, st));
                    continue;
                }
                if bytes == b".git" {
                    continue;
                }
                if !entry.file_type().ok()?.is_dir() {
                    if seen.settled.is_some() {
                        let rel = join(&name::from_bytes(bytes.to_vec()));
                        if !listed(tracked, &rel) && !listed(untracked, &rel) {
                            seen.strangers.push(rel);
                        }
                    }
                    continue;
                }
                let rel = join(&name::from_bytes(bytes.to_vec()));
                if entry.path() == exclude {
                    continue;
                }
                if folders.contains(rel.as_str()) {
                    seen.into.push(rel);
                } else if leaf(&rel) {
                    // A tracked path that is a folder but no repository
                    // (a file replaced by a folder): git walks into it.
                    if listed(tracked, &rel) && !entry.path().join(".git").exists() {
                        return None;
                    }
                    let st = stat(&rel)?;
                    seen.stats.push((rel, st));
                } else {
                    seen.candidates.push(rel);
                }
            }
            seen.read = Some((dir.clone(), attributes));
            Some(seen)
        };
        let mut stats: Vec<(String, DirStat)> = Vec::new();
        let mut read: Vec<(String, bool)> = Vec::new();
        let mut settled: Option<String> = None;
        let mut strangers: Vec<String> = Vec::new();
        let mut todo: Vec<String> = vec![String::new()];
        for _ in 0..MAX_ROUNDS {
            let mut candidates: Vec<String> = Vec::new();
            // Level by level, each level's folders in parallel.
            while !todo.is_empty() {
                let level: Vec<Visited> = todo
                    .par_iter()
                    .with_min_len(8)
                    .map(visit)
                    .collect::<Option<Vec<_>>>()?;
                todo = Vec::new();
                for v in level {
                    read.extend(v.read);
                    settled = settled.or(v.settled);
                    strangers.extend(v.strangers);
                    stats.extend(v.stats);
                    todo.extend(v.into);
                    candidates.extend(v.candidates);
                }
            }
            if candidates.is_empty() {
                if !Self::all_ignored(root, &strangers) {
                    return None;
                }
                stats.sort_unstable_by(|a, b| a.0.cmp(&b.0));
                read.sort_unstable_by(|a, b| a.0.cmp(&b.0));
                // Each folder read is among the stats (pushed with them).
                let mut read = read.into_iter().peekable();
                let flags = stats
                    .iter()
                    .map(|(path, _)| match read.next_if(|(r, _)| r == path) {
                        Some((_, true)) => FolderRead::With,
                        Some((_, false)) => FolderRead::Without,
                        None => FolderRead::NotRead,
                    })
                    .collect();
                return Some((stats, flags, settled));
            }
            // A leading `:` would read as pathspec magic, which
            // check-ignore refuses to take literally: no record.
            if candidates.iter().any(|c| c.starts_with(':')) {
                return None;
            }
            let ignored: HashSet<String> = git::check_ignore(root, &candidates)
                .ok()??
                .into_iter()
                .collect();
            // In the folder holding the cache folder, one that holds no
            // listed file must be ignored too: one moved in since the
            // listing began keeps its old stamps on a file system where a
            // rename moves no ctime.
            let in_settled = |c: &String| {
                settled
                    .as_deref()
                    .is_some_and(|home| c.rsplit_once('/').map_or("", |(up, _)| up) == home)
            };
            if candidates
                .iter()
                .any(|c| in_settled(c) && !ignored.contains(c))
            {
                crate::debug!("files: untracked cache not kept: a folder appeared while listed");
                return None;
            }
            todo = candidates
                .into_iter()
                .filter(|c| !ignored.contains(c))
                .collect();
        }
        None
    }

    /// Whether git ignores each of `paths` (relative to `root`); `false`
    /// when git cannot be asked.
    fn all_ignored(root: &Path, paths: &[String]) -> bool {
        if paths.is_empty() {
            return true;
        }
        // A leading `:` would read as pathspec magic (see the candidates).
        if paths.iter().any(|p| p.starts_with(':')) {
            return false;
        }
        let Ok(Some(ignored)) = git::check_ignore(root, paths) else {
            return false;
        };
        let ignored: HashSet<&str> = ignored.iter().map(String::as_str).collect();
        let all = paths.iter().all(|p| ignored.contains(p.as_str()));
        if !all {
            crate::debug!("files: untracked cache not kept: a file appeared while listed");
        }
        all
    }

    /// A compact binary form, stored as one blob.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.stats.len() * 64 + self.untracked.len() * 32);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.listed_ns.to_le_bytes());
        out.extend_from_slice(&self.tracked);
        out.extend_from_slice(&(self.stats.len() as u64).to_le_bytes());
        for ((path, s), read) in self.stats.iter().zip(&self.read) {
            put_str(&mut out, path);
            put_stat(&mut out, s);
            out.push(match read {
                FolderRead::NotRead => 0,
                FolderRead::Without => 1,
                FolderRead::With => 2,
            });
        }
        out.extend_from_slice(&(self.untracked.len() as u64).to_le_bytes());
        for path in &self.untracked {
            put_str(&mut out, path);
        }
        out.extend_from_slice(&self.env);
        out.extend_from_slice(&(self.outer.len() as u64).to_le_bytes());
        for (path, lstat, stat) in &self.outer {
            put_str(&mut out, path);
            for s in [lstat, stat] {
                match s {
                    None => out.push(0),
                    Some(s) => {
                        out.push(1);
                        put_stat(&mut out, s);
                    }
                }
            }
        }
        out
    }

    /// Reads [`encode`](Self::encode)'s form; `None` when it is damaged.
    pub(crate) fn decode(bytes: &[u8]) -> Option<UntrackedCache> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(8)? != MAGIC {
            return None;
        }
        let listed_ns = r.i64()?;
        let tracked: [u8; 32] = r.take(32)?.try_into().ok()?;
        let count = r.u64()? as usize;
        let mut stats = Vec::with_capacity(count.min(1 << 20));
        let mut read = Vec::with_capacity(count.min(1 << 20));
        for _ in 0..count {
            let path = r.string()?;
            stats.push((path, r.stat()?));
            read.push(match r.take(1)?[0] {
                0 => FolderRead::NotRead,
                1 => FolderRead::Without,
                2 => FolderRead::With,
                _ => return None,
            });
        }
        let count = r.u64()? as usize;
        let mut untracked = Vec::with_capacity(count.min(1 << 20));
        for _ in 0..count {
            untracked.push(r.string()?);
        }
        let env: [u8; 32] = r.take(32)?.try_into().ok()?;
        let count = r.u64()? as usize;
        let mut outer = Vec::with_capacity(count.min(1 << 10));
        for _ in 0..count {
            let path = r.string()?;
            let mut both = [None, None];
            for s in &mut both {
                *s = match r.take(1)?[0] {
                    0 => None,
                    1 => Some(r.stat()?),
                    _ => return None,
                };
            }
            outer.push((path, both[0], both[1]));
        }
        (r.at == bytes.len()).then_some(UntrackedCache {
            listed_ns,
            tracked,
            stats,
            read,
            untracked,
            env,
            outer,
        })
    }
}

/// The later of a stat's mtime and ctime, as late as a whole-second stamp
/// may mean (the rule of `sys::fs::changed_ns`).
fn stamp(s: &DirStat) -> i64 {
    let late = |ns: i64| {
        if ns % 1_000_000_000 == 0 {
            ns.saturating_add(2_000_000_000)
        } else {
            ns
        }
    };
    late(s.mtime_ns).max(late(s.ctime_ns))
}

fn put_stat(out: &mut Vec<u8>, s: &DirStat) {
    for v in [s.mtime_ns, s.ctime_ns] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for v in [s.ino, s.dev, s.size] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&s.mode.to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.at.checked_add(n)?;
        let out = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(out)
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn i64(&mut self) -> Option<i64> {
        Some(self.u64()? as i64)
    }
    fn stat(&mut self) -> Option<DirStat> {
        let (mtime_ns, ctime_ns) = (self.i64()?, self.i64()?);
        let (ino, dev, size) = (self.u64()?, self.u64()?, self.u64()?);
        let mode = u32::from_le_bytes(self.take(4)?.try_into().ok()?);
        Some(DirStat {
            mtime_ns,
            ctime_ns,
            ino,
            dev,
            mode,
            size,
        })
    }

    fn string(&mut self) -> Option<String> {
        let len = u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize;
        std::str::from_utf8(self.take(len)?).ok().map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A name kept with a NUL in it (bytes that are not UTF-8) cannot make
    /// two tracked lists look alike.
    #[test]
    fn tracked_lists_differ_whatever_their_names_hold() {
        let two = [String::from("caf"), String::from("é")];
        let one = [String::from("caf\0é")];
        assert_ne!(tracked_digest(&two), tracked_digest(&one));
        assert_eq!(tracked_digest(&two), tracked_digest(&two.clone()));
    }

    #[test]
    fn a_folder_changed_after_the_listing_started_is_not_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let before = crate::files::snapshot::now_ns() - 1_000_000_000;
        std::fs::create_dir(root.join("a")).unwrap();
        std::fs::write(root.join("a/x"), "x").unwrap();
        let tracked = vec!["a/x".to_owned()];
        let listed = |at: i64| {
            UntrackedCache::record(root, &root.join(".pqg"), (&tracked, None), Vec::new(), at)
        };
        assert_eq!(
            listed(before),
            None,
            "`a` changed after a listing that started before: racy"
        );
        let after = crate::files::snapshot::now_ns() + 1_000_000_000;
        let kept = listed(after).expect("settled folders are recorded");
        let folders: Vec<&str> = kept.stats.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(folders, ["", "a"]);
        let handle = Root::open(root).unwrap();
        assert_eq!(kept.check(&handle), Ok(()));
        std::fs::write(root.join("a/y"), "y").unwrap();
        assert!(kept.check(&handle).is_err(), "a new entry moves `a`");
    }

    /// Waits until `ms` milliseconds have passed since `from` (ns).
    fn wait_past(from: i64, ms: i64) {
        while crate::files::snapshot::now_ns() < from + ms * 1_000_000 {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    }

    #[test]
    fn the_folder_holding_the_cache_is_kept_when_nothing_git_lists_changed_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let git = |args: &[&str]| {
            let out = git::command(root).args(args).output().unwrap();
            assert!(out.status.success(), "git {args:?}: {out:?}");
        };
        git(&["init", "-q"]);
        std::fs::write(root.join(".gitignore"), "*.log\n").unwrap();
        std::fs::create_dir(root.join("a")).unwrap();
        std::fs::write(root.join("a/x"), "x").unwrap();
        git(&["add", ".gitignore", "a/x"]);
        let tracked = vec![".gitignore".to_owned(), "a/x".to_owned()];
        let settled = crate::files::snapshot::now_ns();
        wait_past(settled, 40);
        // A first run: the cache folder is made, then the tree is listed;
        // `made` (if any) appears in the root after the listing began, and
        // the record looks once the root settled.
        let first_run = |made: Option<&str>, untracked: Vec<String>| {
            let cache = root.join(".pqg");
            let _ = std::fs::remove_dir(&cache);
            std::fs::create_dir(&cache).unwrap();
            let listed_ns = crate::files::snapshot::now_ns();
            if let Some(made) = made {
                std::fs::write(root.join(made), "new").unwrap();
            }
            wait_past(crate::files::snapshot::now_ns(), 40);
            let kept = UntrackedCache::record(root, &cache, (&tracked, None), untracked, listed_ns);
            if let Some(made) = made {
                std::fs::remove_file(root.join(made)).unwrap();
            }
            kept
        };
        let kept = first_run(None, Vec::new()).expect("only the cache folder changed the root");
        assert!(
            kept.stats.iter().any(|(p, _)| p.is_empty()),
            "the root is recorded"
        );
        assert_eq!(
            first_run(Some("new.txt"), Vec::new()),
            None,
            "a file git would list appeared in the root after the listing began"
        );
        assert!(
            first_run(Some("new.log"), Vec::new()).is_some(),
            "a file git ignores changes nothing git lists"
        );
        assert!(
            first_run(Some("new.txt"), vec!["new.txt".to_owned()]).is_some(),
            "a file the listing holds"
        );
        // A folder holding no listed file (moved in, it may keep old
        // stamps) must be ignored too.
        std::fs::create_dir(root.join("moved")).unwrap();
        wait_past(crate::files::snapshot::now_ns(), 40);
        assert_eq!(
            first_run(None, Vec::new()),
            None,
            "a folder in the root holding no listed file, not ignored"
        );
        std::fs::remove_dir(root.join("moved")).unwrap();
        // A change to another folder after the listing began is racy.
        let cache = root.join(".pqg");
        let listed_ns = crate::files::snapshot::now_ns();
        std::fs::write(root.join("a/y.log"), "y").unwrap();
        wait_past(crate::files::snapshot::now_ns(), 40);
        assert_eq!(
            UntrackedCache::record(root, &cache, (&tracked, None), Vec::new(), listed_ns),
            None,
            "only the folder holding the cache folder is looked at so"
        );
        // The root changed too close to the look: racy.
        let listed_ns = crate::files::snapshot::now_ns();
        std::fs::write(root.join("late.log"), "z").unwrap();
        assert_eq!(
            UntrackedCache::record(root, &cache, (&tracked, None), Vec::new(), listed_ns),
            None,
            "the root changed within the slack of the look"
        );
    }

    #[test]
    fn the_record_knows_which_folders_it_read_hold_a_gitattributes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for folder in ["a", "b/c"] {
            std::fs::create_dir_all(root.join(folder)).unwrap();
        }
        std::fs::write(root.join("a/x"), "x").unwrap();
        std::fs::write(root.join("a/.gitattributes"), "* -diff").unwrap();
        std::fs::write(root.join("b/c/y"), "y").unwrap();
        std::fs::write(root.join(".gitignore"), "").unwrap();
        let tracked = vec![
            ".gitignore".to_owned(),
            "a/.gitattributes".to_owned(),
            "a/x".to_owned(),
            "b/c/y".to_owned(),
        ];
        let after = crate::files::snapshot::now_ns() + 1_000_000_000;
        let kept = UntrackedCache::record(
            root,
            &root.join(".pqg"),
            (&tracked, None),
            Vec::new(),
            after,
        )
        .expect("settled folders are recorded");
        let bytes = kept.encode();
        let (_, seen) = UntrackedCache::decode(&bytes).unwrap().into_listing();
        assert_eq!(seen.in_folder("a"), Some(true));
        for folder in ["", "b", "b/c"] {
            assert_eq!(seen.in_folder(folder), Some(false), "{folder}");
        }
        // A `.gitignore` is recorded, not read as a folder.
        assert_eq!(seen.in_folder(".gitignore"), None);
        assert_eq!(seen.in_folder("d"), None);
    }

    #[test]
    fn the_record_reads_back_and_damage_is_refused() {
        let uc = UntrackedCache {
            listed_ns: 42,
            tracked: [3; 32],
            stats: vec![(
                "a/b".to_owned(),
                DirStat {
                    mtime_ns: 1,
                    ctime_ns: 2,
                    ino: 3,
                    dev: 4,
                    mode: 0o40755,
                    size: 4096,
                },
            )],
            read: vec![FolderRead::With],
            untracked: vec!["a/b/new.txt".to_owned(), "nested/".to_owned()],
            env: [7; 32],
            outer: vec![
                ("/home/u/.config/git/ignore".to_owned(), None, None),
                (
                    "/etc/gitconfig".to_owned(),
                    Some(DirStat {
                        mtime_ns: 5,
                        ctime_ns: 6,
                        ino: 7,
                        dev: 8,
                        mode: 0o100644,
                        size: 9,
                    }),
                    None,
                ),
            ],
        };
        let bytes = uc.encode();
        assert_eq!(UntrackedCache::decode(&bytes), Some(uc));
        assert_eq!(UntrackedCache::decode(&bytes[..bytes.len() - 1]), None);
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(UntrackedCache::decode(&longer), None);
    }
}
