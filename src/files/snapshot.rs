//! Every input file's state and hash at one moment, taken in parallel
//! with the stat index as a fast path, and the check after a run of which
//! files changed since.

use super::hash::{hash_file, Hash};
use super::index::{StatIndex, StatRecord, RACY_NS};
use super::root::{FileState, Kind, Root};
use crate::sys::name;
use rayon::prelude::*;
use std::collections::HashSet;
use std::time::{SystemTime, UNIX_EPOCH};

/// One input file as seen now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// Relative to the config's folder, `/`-separated.
    pub path: String,
    pub hash: Hash,
}

/// Nanoseconds since the epoch, now.
pub(crate) fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos().min(i64::MAX as u128) as i64)
}

/// The input files as they are now.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Sorted by path.
    pub files: Vec<FileEntry>,
    /// `states[i]` is the state `files[i]` had when hashed, for the check
    /// after a run.
    pub states: Vec<FileState>,
    /// Files that exist but could not be read: gates depending on them are
    /// not cached.
    pub unreadable: Vec<String>,
    /// When the snapshot started.
    pub taken_ns: i64,
    /// Files whose hash was computed (not taken from the index).
    pub hashed: usize,
    /// Of those, files old enough that a record made now would be trusted
    /// next time: only they make saving the index worth it.
    pub settled: usize,
}

impl Snapshot {
    /// Stats every file of the sorted list `files` (in parallel), hashing
    /// those the index cannot vouch for. Files that vanished since they were
    /// listed are left out.
    pub fn take(root: &Root, files: Vec<String>, index: &StatIndex) -> Snapshot {
        let taken_ns = now_ns();
        // Both lists are sorted: join them in one pass, no hashing.
        let mut known: Vec<Option<&StatRecord>> = Vec::with_capacity(files.len());
        let mut records = index.records.iter().peekable();
        for path in &files {
            while records
                .next_if(|(p, _)| p.as_str() < path.as_str())
                .is_some()
            {}
            known.push(records.next_if(|(p, _)| p == path).map(|(_, r)| r));
        }
        enum Seen {
            Gone,
            Unreadable,
            File(Hash, FileState, bool),
        }
        let seen: Vec<Seen> = files
            .par_iter()
            .zip(known.par_iter())
            .with_min_len(256)
            .map(|(rel, record)| {
                let (state, kind) = match root.lstat(rel) {
                    Ok(s) => s,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Seen::Gone,
                    Err(_) => return Seen::Unreadable,
                };
                if kind == Kind::Dir {
                    // A submodule or a nested repository: not a file input.
                    return Seen::Gone;
                }
                if let Some(record) = record {
                    if record.trusted_for(&state) {
                        return Seen::File(record.hash, state, false);
                    }
                }
                match hash_file(&root.path().join(name::to_path(rel)), kind, state.size) {
                    Ok(hash) => Seen::File(hash, state, true),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Seen::Gone,
                    Err(_) => Seen::Unreadable,
                }
            })
            .collect();
        let mut snapshot = Snapshot {
            taken_ns,
            files: Vec::with_capacity(files.len()),
            states: Vec::with_capacity(files.len()),
            ..Snapshot::default()
        };
        let racy_from = taken_ns.saturating_sub(RACY_NS);
        for (path, s) in files.into_iter().zip(seen) {
            match s {
                Seen::Gone => {}
                Seen::Unreadable => snapshot.unreadable.push(path),
                Seen::File(hash, state, hashed) => {
                    snapshot.hashed += usize::from(hashed);
                    snapshot.settled += usize::from(hashed && state.mtime_ns < racy_from);
                    snapshot.states.push(state);
                    snapshot.files.push(FileEntry { path, hash });
                }
            }
        }
        snapshot
    }

    /// Joins two snapshots of disjoint or overlapping sorted lists.
    pub fn merge(self, other: Snapshot) -> Snapshot {
        let mut out = Snapshot {
            taken_ns: self.taken_ns.min(other.taken_ns),
            hashed: self.hashed + other.hashed,
            settled: self.settled + other.settled,
            files: Vec::with_capacity(self.files.len() + other.files.len()),
            states: Vec::with_capacity(self.files.len() + other.files.len()),
            unreadable: self.unreadable,
        };
        out.unreadable.extend(other.unreadable);
        out.unreadable.sort_unstable();
        out.unreadable.dedup();
        let mut a = self.files.into_iter().zip(self.states).peekable();
        let mut b = other.files.into_iter().zip(other.states).peekable();
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
            out.files.push(f);
            out.states.push(st);
        }
        out
    }

    /// The index to remember after this snapshot: each file's state and
    /// hash, recorded at the time the snapshot started. (Every hash, read
    /// from the index or computed, held for its state at that time; a write
    /// after it moves the state, so the record is never too trusting.)
    pub fn to_index(&self) -> StatIndex {
        let records = self
            .files
            .iter()
            .zip(&self.states)
            .map(|(f, &state)| {
                (
                    f.path.clone(),
                    StatRecord {
                        state,
                        hash: f.hash,
                        recorded_ns: self.taken_ns,
                    },
                )
            })
            .collect();
        StatIndex { records }
    }

    /// Paths whose file changed since the snapshot: gone, a new state, or
    /// (for files touched around the snapshot) new content. Computed once
    /// for all gates after a run.
    pub fn changed_since(&self, root: &Root) -> HashSet<String> {
        let racy_from = self.taken_ns.saturating_sub(RACY_NS);
        self.files
            .par_iter()
            .zip(self.states.par_iter())
            .with_min_len(256)
            .filter(|(f, before)| {
                let Ok((state, kind)) = root.lstat(&f.path) else {
                    return true;
                };
                if state != **before {
                    return true;
                }
                // Same state, but written within the racy window of the
                // snapshot: only the content can tell.
                state.mtime_ns >= racy_from
                    && hash_file(&root.path().join(name::to_path(&f.path)), kind, state.size)
                        .map_or(true, |h| h != f.hash)
            })
            .map(|(f, _)| f.path.clone())
            .collect()
    }
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
