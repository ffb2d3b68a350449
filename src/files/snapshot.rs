//! Every input file's state and hash at one moment, taken in parallel
//! with the stat index as a fast path, and the check after a run of which
//! files changed since.
//!
//! Three kinds of input besides plain files (DESIGN §5): a symlink counts
//! by its target text and what a reader following it sees (its stat data
//! is part of the file's state, so an edit of the target is seen); a
//! submodule counts by its checked-out commit (an entry at `lib/`, which
//! `lib/**` matches) and by its own work tree's files, listed through its
//! git as `lib/...` (a nested repository git lists as `dir/`, untracked or
//! ignored, counts the same way); and every entry carries the mode git
//! tracks.

use super::hash::{hash_file, submodule_hash, ContentTap, Hash};
use super::index::{StatIndex, RACY_NS};
use super::root::{FileState, Kind, Root, Target};
use crate::git;
use rayon::prelude::*;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// One input file as seen now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// Relative to the config's folder, `/`-separated; a submodule's entry
    /// ends with `/`.
    pub path: String,
    /// What git would record it as.
    pub mode: Mode,
    pub hash: Hash,
}

/// A gate's input files, sorted: a run of the snapshot's own list, shared
/// rather than copied (a gate on `d07/**` takes the run of files under
/// `d07`, one with no `inputs` the whole list), or a list of their own
/// where the globs pick files apart.
#[derive(Debug, Clone, Default)]
pub(crate) struct InputFiles {
    list: Arc<Vec<FileEntry>>,
    range: std::ops::Range<usize>,
}

impl InputFiles {
    /// Files of their own.
    pub(crate) fn owned(files: Vec<FileEntry>) -> InputFiles {
        let range = 0..files.len();
        InputFiles {
            list: Arc::new(files),
            range,
        }
    }

    /// The files at `range` of `list`, shared with it.
    pub(crate) fn shared(list: &Arc<Vec<FileEntry>>, range: std::ops::Range<usize>) -> InputFiles {
        debug_assert!(range.end <= list.len());
        InputFiles {
            list: Arc::clone(list),
            range,
        }
    }

    /// Which list and which part of it: the same for keys that share one
    /// selection.
    pub(crate) fn id(&self) -> (*const Vec<FileEntry>, usize, usize) {
        (Arc::as_ptr(&self.list), self.range.start, self.range.end)
    }
}

impl std::ops::Deref for InputFiles {
    type Target = [FileEntry];

    fn deref(&self) -> &[FileEntry] {
        &self.list[self.range.clone()]
    }
}

/// The mode git tracks for an entry: part of what the entry is (`chmod -x
/// check.sh` makes `./check.sh` fail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `100644`.
    File,
    /// `100755`: the owner may execute it.
    Exec,
    /// `120000`.
    Symlink,
    /// `160000`: the hash is the commit checked out.
    Submodule,
}

impl Mode {
    /// The mode of a path in `state`.
    pub fn of(state: &FileState) -> Mode {
        if state.is_dir() {
            Mode::Submodule
        } else if state.is_symlink() {
            Mode::Symlink
        } else if state.is_exec() {
            Mode::Exec
        } else {
            Mode::File
        }
    }

    /// One byte for digests and manifests.
    pub fn byte(self) -> u8 {
        match self {
            Mode::File => b'f',
            Mode::Exec => b'x',
            Mode::Symlink => b'l',
            Mode::Submodule => b's',
        }
    }

    /// Reads [`byte`](Self::byte)'s form.
    pub fn from_byte(b: u8) -> Option<Mode> {
        match b {
            b'f' => Some(Mode::File),
            b'x' => Some(Mode::Exec),
            b'l' => Some(Mode::Symlink),
            b's' => Some(Mode::Submodule),
            _ => None,
        }
    }

    /// Git's octal form, for `explain`.
    pub fn git(self) -> &'static str {
        match self {
            Mode::File => "100644",
            Mode::Exec => "100755",
            Mode::Symlink => "120000",
            Mode::Submodule => "160000",
        }
    }
}

/// Nanoseconds since the epoch, now.
pub(crate) fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos().min(i64::MAX as u128) as i64)
}

/// Up to this many entries, [`Snapshot::merge`] puts one list's entries
/// into the other in place instead of copying both into new ones.
const FEW: usize = 16;

/// Submodules inside submodules are followed this deep, no deeper.
const MAX_SUBMODULE_DEPTH: usize = 8;

/// The input files as they are now.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Sorted by path; shared with the keys of gates whose inputs are
    /// every file (no copy of 20,000 entries per such key).
    pub files: Arc<Vec<FileEntry>>,
    /// `states[i]` is the state `files[i]` had when hashed, for the check
    /// after a run.
    pub states: Vec<FileState>,
    /// Files that exist but could not be read: gates depending on them are
    /// not cached.
    pub unreadable: Vec<String>,
    /// When the snapshot started.
    pub taken_ns: i64,
    /// When the listing it was taken from started, if known (0: not):
    /// a folder unchanged since then holds no file the listing missed.
    pub listed_ns: i64,
    /// Files whose hash was computed (not taken from the index).
    pub hashed: usize,
    /// Of those, files old enough that a record made now would be trusted
    /// next time: only they make saving the index worth it.
    pub settled: usize,
    /// The untracked files that are not ignored, as git listed them for
    /// this snapshot (sorted, the cache folder left out); `None` when git
    /// did not list them (outside git).
    pub untracked: Option<Vec<String>>,
    /// The git index the tracked files were read from, when read in
    /// process.
    pub(crate) index_file: Option<crate::git::index::FileId>,
    /// Where the folders of the listing hold an entry named
    /// `.gitattributes`, when the untracked cache's record held and tells
    /// ([`super::untracked::AttributesSeen`]).
    pub attributes_seen: Option<super::untracked::AttributesSeen>,
    /// The stamps of the untracked listing, when a record of it was made
    /// or held and no submodule or nested repository was listed (their
    /// files are listed by their own git, which the stamps do not watch):
    /// while they hold and git's index is the one read, no file appeared.
    pub(crate) listing_stamps: Option<Arc<super::untracked::Stamps>>,
}

/// How one listed path was found.
enum Seen {
    Gone,
    Unreadable,
    /// Its hash (computed now, or the index's), its state, and whether it
    /// was computed.
    File(Hash, FileState, bool),
    /// Stat'ed, to be hashed by [`Stated::hash`].
    Pending(FileState, Kind),
    Submodule(FileState),
}

/// The first half of a snapshot: every listed file's state (`lstat`), the
/// hashes the index vouches for, and the files written within the racy
/// window hashed already; the others are hashed by [`Stated::hash`].
///
/// Gates may start between the two halves (issue 14): a file whose state
/// is older than the racy window and the same after the run was not
/// written in between (a write moves its ctime), so its bytes, read
/// whenever, are the ones a gate saw. A racy file's bytes are read here,
/// before any gate starts: only the content can tell its change after the
/// run, and it must be compared with what was there before.
pub struct Stated {
    taken_ns: i64,
    files: Vec<String>,
    seen: Vec<Seen>,
    /// Each submodule: its entry (and why it is unreadable, if it is), and
    /// its own files stat'ed.
    submodules: Vec<(Snapshot, Option<Stated>)>,
}

impl Stated {
    /// Whether a submodule or nested repository was listed: its own git
    /// lists what is inside it.
    pub(crate) fn holds_repositories(&self) -> bool {
        !self.submodules.is_empty()
    }

    /// Every file stat'ed (submodules' files too), with its state, as
    /// `(path, state)`, in no particular order; folders are left out.
    pub fn states(&self) -> Vec<(String, FileState)> {
        let mut out: Vec<(String, FileState)> = self
            .files
            .iter()
            .zip(&self.seen)
            .filter_map(|(path, seen)| match seen {
                Seen::File(_, state, _) | Seen::Pending(state, _) => {
                    Some((path.clone(), state.clone()))
                }
                _ => None,
            })
            .collect();
        for (_, inner) in &self.submodules {
            if let Some(inner) = inner {
                out.extend(inner.states());
            }
        }
        out
    }

    /// Hashes the files left to hash, and makes the snapshot. The bytes of
    /// each file hashed pass through `tap`, when there is one.
    pub fn hash(self, root: &Root, tap: Option<&dyn ContentTap>) -> Snapshot {
        let Stated {
            taken_ns,
            files,
            seen,
            submodules,
        } = self;
        // A warm run has nothing left to hash: no pass over the files.
        let pending = seen.iter().any(|s| matches!(s, Seen::Pending(..)));
        let seen: Vec<Seen> = if !pending {
            seen
        } else {
            files
                .par_iter()
                .zip(seen.into_par_iter())
                .with_min_len(256)
                .map(|(rel, seen)| {
                    let Seen::Pending(state, kind) = seen else {
                        return seen;
                    };
                    // pqg is stopping (SIGINT, SIGTERM): the snapshot is thrown
                    // away, so hash no more.
                    if crate::sys::stop::requested().is_some() {
                        return Seen::Unreadable;
                    }
                    hashed(root, rel, state, kind, tap)
                })
                .collect()
        };
        let mut entries = Vec::with_capacity(files.len());
        let mut snapshot = Snapshot {
            taken_ns,
            states: Vec::with_capacity(files.len()),
            ..Snapshot::default()
        };
        let racy_from = taken_ns.saturating_sub(RACY_NS);
        for (path, s) in files.into_iter().zip(seen) {
            match s {
                Seen::Gone | Seen::Submodule(_) => {}
                Seen::Unreadable | Seen::Pending(..) => snapshot.unreadable.push(path),
                Seen::File(hash, state, hashed) => {
                    snapshot.hashed += usize::from(hashed);
                    snapshot.settled += usize::from(hashed && state.mtime_ns < racy_from);
                    entries.push(FileEntry {
                        mode: Mode::of(&state),
                        path,
                        hash,
                    });
                    snapshot.states.push(state);
                }
            }
        }
        snapshot.files = Arc::new(entries);
        let inner: Vec<Snapshot> = submodules
            .into_par_iter()
            .map(|(head, inner)| match inner {
                Some(inner) => head.merge(inner.hash(root, tap)),
                None => head,
            })
            .collect();
        inner.into_iter().fold(snapshot, Snapshot::merge)
    }
}

/// The hash of `rel` in `state`, as a [`Seen`].
fn hashed(
    root: &Root,
    rel: &str,
    state: FileState,
    kind: Kind,
    tap: Option<&dyn ContentTap>,
) -> Seen {
    match hash_file(root, rel, &state, kind, tap) {
        Ok(hash) => Seen::File(hash, state, true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Seen::Gone,
        Err(_) => Seen::Unreadable,
    }
}

/// Every listed file `lstat`'ed, before the index is consulted: the
/// first part of [`Snapshot::stat`], so that the index loads while the
/// files are stat'ed. [`judge`](Lstated::judge) makes the [`Stated`].
pub struct Lstated {
    taken_ns: i64,
    files: Vec<String>,
    stats: Vec<std::io::Result<(FileState, Kind)>>,
    depth: usize,
}

impl Lstated {
    /// The files stat'ed (sorted).
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// Joins the states with `index`: the hashes it vouches for taken,
    /// the racy files hashed now, the others left to [`Stated::hash`];
    /// submodules listed and stat'ed.
    pub fn judge(self, root: &Root, index: &StatIndex, tap: Option<&dyn ContentTap>) -> Stated {
        let Lstated {
            taken_ns,
            files,
            stats,
            depth,
        } = self;
        let racy_from = taken_ns.saturating_sub(RACY_NS);
        let known = index.records_of(&files);
        let seen: Vec<Seen> = files
            .par_iter()
            .zip(known.par_iter())
            .zip(stats.into_par_iter())
            .with_min_len(256)
            .map(|((rel, record), stat)| {
                if crate::sys::stop::requested().is_some() {
                    return Seen::Unreadable;
                }
                let (state, kind) = match stat {
                    Ok(s) => s,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Seen::Gone,
                    Err(_) => return Seen::Unreadable,
                };
                if kind == Kind::Dir {
                    // A tracked path that is a folder is a submodule; git
                    // lists a nested repository it does not track (untracked,
                    // or in an ignored place) as `dir/`: it counts like one.
                    return Seen::Submodule(state);
                }
                if let Some(record) = record {
                    if record.trusted_for(&state) {
                        return Seen::File(record.hash, state, false);
                    }
                }
                if racy(&state, racy_from) {
                    return hashed(root, rel, state, kind, tap);
                }
                Seen::Pending(state, kind)
            })
            .collect();
        let submodules = files
            .iter()
            .zip(&seen)
            .filter_map(|(path, s)| match s {
                Seen::Submodule(state) => Some((path.trim_end_matches('/'), state.clone())),
                _ => None,
            })
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|(path, state)| Snapshot::submodule(root, path, state, index, tap, depth))
            .collect();
        Stated {
            taken_ns,
            files,
            seen,
            submodules,
        }
    }
}

impl Snapshot {
    /// Stats every file of the sorted list `files` (in parallel), hashing
    /// those the index cannot vouch for. Files that vanished since they were
    /// listed are left out. A listed path that is a folder (git lists a
    /// submodule's place so) becomes the submodule's entry and its files.
    /// The bytes of each file hashed (not vouched for by the index) pass
    /// through `tap`, when there is one.
    pub fn take(
        root: &Root,
        files: Vec<String>,
        index: &StatIndex,
        tap: Option<&dyn ContentTap>,
    ) -> Snapshot {
        Self::stat(root, files, index, tap).hash(root, tap)
    }

    /// The first half of [`take`](Self::take): every file stat'ed, the
    /// racy ones hashed ([`Stated`]).
    pub fn stat(
        root: &Root,
        files: Vec<String>,
        index: &StatIndex,
        tap: Option<&dyn ContentTap>,
    ) -> Stated {
        Self::stat_at(root, files, index, tap, 0)
    }

    fn stat_at(
        root: &Root,
        files: Vec<String>,
        index: &StatIndex,
        tap: Option<&dyn ContentTap>,
        depth: usize,
    ) -> Stated {
        Self::lstat_at(root, files, depth).judge(root, index, tap)
    }

    /// The first part of [`stat`](Self::stat): every file of the sorted
    /// list `files` `lstat`'ed (in parallel), nothing read from the index
    /// yet, so that the index may load meanwhile ([`Lstated::judge`]).
    pub fn lstat(root: &Root, files: Vec<String>) -> Lstated {
        Self::lstat_at(root, files, 0)
    }

    fn lstat_at(root: &Root, files: Vec<String>, depth: usize) -> Lstated {
        // Taken before the first lstat: the index records the states under
        // this time, and a write after it moves the state (DESIGN §5).
        let taken_ns = now_ns();
        let stats = root.lstat_all(&files);
        Lstated {
            taken_ns,
            files,
            stats,
            depth,
        }
    }

    /// The submodule whose folder is `rel`: an entry `rel/` holding the
    /// commit checked out, and its own files (tracked and untracked, not
    /// ignored), listed by its git and stat'ed.
    fn submodule(
        root: &Root,
        rel: &str,
        state: FileState,
        index: &StatIndex,
        tap: Option<&dyn ContentTap>,
        depth: usize,
    ) -> (Snapshot, Option<Stated>) {
        let dir = root.path().join(rel);
        let checkout = git::submodule::checkout(&dir);
        let entry = format!("{rel}/");
        let mut snapshot = Snapshot {
            taken_ns: now_ns(),
            files: Arc::new(vec![FileEntry {
                path: entry.clone(),
                mode: Mode::Submodule,
                hash: submodule_hash(&checkout),
            }]),
            states: vec![state],
            ..Snapshot::default()
        };
        if checkout == git::submodule::Checkout::Absent {
            // Not checked out (`git submodule deinit`), yet something lives
            // there: git lists none of it, so no key could see it change,
            // and a gate whose inputs reach into it is not cached.
            let holds_files = std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_some());
            if holds_files {
                snapshot.unreadable.push(entry);
            }
            return (snapshot, None);
        }
        let listed = if depth < MAX_SUBMODULE_DEPTH {
            git::submodule::files(&dir).ok()
        } else {
            None
        };
        match listed {
            Some(files) => {
                let mut files: Vec<String> =
                    files.into_iter().map(|f| format!("{entry}{f}")).collect();
                files.sort_unstable();
                files.dedup();
                let inner = Self::stat_at(root, files, index, tap, depth + 1);
                (snapshot, Some(inner))
            }
            // Its files cannot be listed: a gate whose inputs reach into it
            // is not cached.
            _ => {
                snapshot.unreadable.push(entry);
                (snapshot, None)
            }
        }
    }

    /// Joins two snapshots of disjoint or overlapping sorted lists; where
    /// both hold a path, `self`'s entry is kept.
    pub fn merge(self, other: Snapshot) -> Snapshot {
        let mut unreadable = self.unreadable;
        unreadable.extend(other.unreadable);
        unreadable.sort_unstable();
        unreadable.dedup();
        let mut out = Snapshot {
            taken_ns: self.taken_ns.min(other.taken_ns),
            listed_ns: self.listed_ns.min(other.listed_ns),
            hashed: self.hashed + other.hashed,
            settled: self.settled + other.settled,
            files: Arc::default(),
            states: Vec::new(),
            unreadable,
            untracked: self.untracked.or(other.untracked),
            index_file: self.index_file.or(other.index_file),
            attributes_seen: self.attributes_seen.or(other.attributes_seen),
            listing_stamps: self.listing_stamps.or(other.listing_stamps),
        };
        let owned =
            |files: Arc<Vec<FileEntry>>| Arc::try_unwrap(files).unwrap_or_else(|f| (*f).clone());
        let (a, b) = (
            (owned(self.files), self.states),
            (owned(other.files), other.states),
        );
        if b.0.len() <= FEW || a.0.len() <= FEW {
            // A few files (a handful untracked beside 20,000 tracked) go
            // where they belong in the larger list, which stays in place.
            let a_wins = a.0.len() < b.0.len();
            let ((mut files, mut states), few) = if a_wins { (b, a) } else { (a, b) };
            for (f, st) in few.0.into_iter().zip(few.1) {
                match files.binary_search_by(|e: &FileEntry| e.path.cmp(&f.path)) {
                    Ok(at) if a_wins => {
                        files[at] = f;
                        states[at] = st;
                    }
                    Ok(_) => {}
                    Err(at) => {
                        files.insert(at, f);
                        states.insert(at, st);
                    }
                }
            }
            out.files = Arc::new(files);
            out.states = states;
            return out;
        }
        let (a, b) = (a.0.into_iter().zip(a.1), b.0.into_iter().zip(b.1));
        let mut files = Vec::with_capacity(a.len() + b.len());
        out.states.reserve(a.len() + b.len());
        let (mut a, mut b) = (a.peekable(), b.peekable());
        loop {
            let take_a = match (a.peek(), b.peek()) {
                (Some((fa, _)), Some((fb, _))) => {
                    if fa.path == fb.path {
                        b.next();
                        continue;
                    }
                    fa.path < fb.path
                }
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            let (f, st) = if take_a { a.next() } else { b.next() }.expect("peeked");
            files.push(f);
            out.states.push(st);
        }
        out.files = Arc::new(files);
        out
    }

    /// The index to remember after this snapshot: each file's state and
    /// hash, recorded at the time the snapshot started. (Every hash, read
    /// from the index or computed, held for its state at that time; a write
    /// after it moves the state, so the record is never too trusting.)
    pub fn to_index(&self) -> StatIndex {
        let mut index = StatIndex::builder(self.files.len());
        for (f, state) in self.files.iter().zip(&self.states) {
            index.push(&f.path, state, &f.hash, self.taken_ns);
        }
        index.finish()
    }

    /// Paths whose file changed since the snapshot: gone, a new state, or
    /// (for files touched around the snapshot) new content; a submodule
    /// whose checkout moved. Computed once for all gates after a run.
    pub fn changed_since(&self, root: &Root) -> HashSet<String> {
        self.changed_among(root, &(0..self.files.len()).collect::<Vec<_>>(), None)
    }

    /// Of the files at `indices` (into [`files`](Self::files)), the paths
    /// whose file changed since the snapshot, as [`changed_since`] judges
    /// them: only those are looked at again, from the stat data the
    /// snapshot kept. `known` (sorted by path) holds states taken after
    /// every gate finished (`None`: missing, or a folder): those paths are
    /// not stat'ed again, unless the content has to tell.
    ///
    /// [`changed_since`]: Self::changed_since
    pub fn changed_among(
        &self,
        root: &Root,
        indices: &[usize],
        known: Option<&[(String, Option<FileState>)]>,
    ) -> HashSet<String> {
        let racy_from = self.taken_ns.saturating_sub(RACY_NS);
        // Each file's state in `known`, found by one walk of both sorted
        // lists (the indices are sorted, so their paths are): a binary
        // search per file was most of a cold run's look after the gates.
        // A path the walk misses (indices out of order) is stat'ed again.
        let mut at = 0;
        let known_states: Vec<Option<Option<&FileState>>> = indices
            .iter()
            .map(|&i| {
                let (known, f) = (known?, self.files.get(i)?);
                while known
                    .get(at)
                    .is_some_and(|(p, _)| p.as_str() < f.path.as_str())
                {
                    at += 1;
                }
                let (p, state) = known.get(at)?;
                (*p == f.path).then_some(state.as_ref())
            })
            .collect();
        indices
            .par_iter()
            .zip(known_states)
            .with_min_len(256)
            .filter_map(|(&i, known)| Some((self.files.get(i)?, self.states.get(i)?, known)))
            .filter(|(f, before, known)| {
                if f.mode == Mode::Submodule {
                    let dir = root.path().join(f.path.trim_end_matches('/'));
                    return submodule_hash(&git::submodule::checkout(&dir)) != f.hash;
                }
                match *known {
                    Some(None) => return true,
                    Some(Some(state)) if state != *before => return true,
                    // Same state: stat'ed again below only when racy.
                    Some(Some(state)) if !racy(state, racy_from) => return false,
                    _ => {}
                }
                let Ok((state, kind)) = root.lstat(&f.path) else {
                    return true;
                };
                if state != **before {
                    return true;
                }
                // Same state, but written within the racy window of the
                // snapshot: only the content can tell.
                racy(&state, racy_from)
                    && hash_file(root, &f.path, &state, kind, None).map_or(true, |h| h != f.hash)
            })
            .map(|(f, _, _)| f.path.clone())
            .collect()
    }
}

/// Whether `state` (or its link's target) was written from `racy_from`
/// on: the same stat data may then hide new content.
fn racy(state: &FileState, racy_from: i64) -> bool {
    let target_racy = match state.target.as_deref() {
        Some(Target::Found(t)) => t.mtime_ns >= racy_from,
        _ => false,
    };
    // ctime as well as mtime: an mtime set back hides a write, a ctime
    // cannot be.
    state.mtime_ns.max(state.ctime_ns) >= racy_from || target_racy
}

/// What git's index is compared with (`pqg hook`'s uncommitted-changes
/// note): the snapshot's sorted paths and the stat data each had.
impl crate::git::status::StatView for Snapshot {
    fn file_count(&self) -> usize {
        self.files.len()
    }

    fn path(&self, i: usize) -> &str {
        &self.files[i].path
    }

    fn stat(&self, i: usize) -> crate::git::status::WorkStat {
        let s = &self.states[i];
        crate::git::status::WorkStat {
            size: s.size,
            mtime_ns: s.mtime_ns,
            ctime_ns: s.ctime_ns,
            ino: s.ino,
            mode: s.mode,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(paths: &[&str], hash: u8) -> Snapshot {
        let state = |i: usize| FileState {
            size: i as u64,
            mtime_ns: 1,
            ctime_ns: 1,
            ino: i as u64,
            dev: u64::from(hash),
            mode: 0o100644,
            target: None,
        };
        Snapshot {
            files: paths
                .iter()
                .map(|p| FileEntry {
                    path: (*p).to_owned(),
                    mode: Mode::File,
                    hash: [hash; 32],
                })
                .collect::<Vec<_>>()
                .into(),
            states: (0..paths.len()).map(state).collect(),
            ..Snapshot::default()
        }
    }

    /// `changed_among` finds each input's state in `known` by one walk of
    /// both sorted lists, whatever else `known` holds; an input it does not
    /// hold is stat'ed again.
    #[test]
    fn known_states_are_found_by_one_walk_whatever_else_they_hold() {
        let dir = tempfile::tempdir().unwrap();
        let paths = ["a", "b", "c", "d/e", "f"];
        std::fs::create_dir(dir.path().join("d")).unwrap();
        for p in paths {
            std::fs::write(dir.path().join(p), p).unwrap();
        }
        let root = Root::open(dir.path()).unwrap();
        let listed = paths.iter().map(|p| (*p).to_owned()).collect();
        let snap = Snapshot::take(&root, listed, &StatIndex::default(), None);
        let state =
            |p: &str| snap.states[snap.files.iter().position(|f| f.path == p).unwrap()].clone();
        let mut moved = state("b");
        moved.size += 1;
        let known: Vec<(String, Option<FileState>)> = vec![
            ("0".to_owned(), None),             // not an input
            ("a".to_owned(), Some(state("a"))), // as it was
            ("b".to_owned(), Some(moved)),      // changed
            ("bb".to_owned(), None),            // not an input
            ("d/e".to_owned(), None),           // gone
        ];
        // `c` and `f` are not in `known`: stat'ed again, and `c` changed.
        std::fs::write(dir.path().join("c"), "longer").unwrap();
        let sorted = |set: HashSet<String>| {
            let mut v: Vec<String> = set.into_iter().collect();
            v.sort();
            v
        };
        let all: Vec<usize> = (0..paths.len()).collect();
        assert_eq!(
            sorted(snap.changed_among(&root, &all, Some(&known))),
            ["b", "c", "d/e"]
        );
        assert_eq!(
            sorted(snap.changed_among(&root, &[1, 3], Some(&known))),
            ["b", "d/e"]
        );
        assert_eq!(
            sorted(snap.changed_among(&root, &[0, 4], Some(&known))),
            Vec::<String>::new()
        );
    }

    /// The merge of two lists of any lengths: sorted, each path once, the
    /// first list's entry kept where both hold a path, each state beside
    /// its entry — whether the few entries go in place or both lists are
    /// copied.
    #[test]
    fn a_merge_in_place_gives_what_a_full_merge_gives() {
        let many: Vec<String> = (0..40).map(|i| format!("d/f{i:02}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let cases: [(&[&str], &[&str]); 5] = [
            (&many, &["a", "d/f07", "d/f07x", "z"]),
            (&["d/f03", "b"][..1], &many),
            (&many, &[]),
            (&[], &many),
            (&many[..20], &many[10..]),
        ];
        for (a, b) in cases {
            let merged = snapshot(a, 1).merge(snapshot(b, 2));
            let mut want: Vec<&str> = a.iter().chain(b).copied().collect();
            want.sort_unstable();
            want.dedup();
            let got: Vec<&str> = merged.files.iter().map(|f| f.path.as_str()).collect();
            assert_eq!(got, want, "{a:?} + {b:?}");
            assert_eq!(merged.states.len(), merged.files.len());
            for (f, st) in merged.files.iter().zip(&merged.states) {
                let from_a = a.contains(&f.path.as_str());
                assert_eq!(f.hash[0], if from_a { 1 } else { 2 }, "{}", f.path);
                assert_eq!(
                    st.dev,
                    u64::from(f.hash[0]),
                    "{}: state beside its entry",
                    f.path
                );
            }
        }
    }
}
