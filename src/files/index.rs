//! The fast path's memory: for each file, the state and hash it had when
//! last hashed, and the racy rule that says when such a record may stand
//! for the file now (DESIGN §5). Stored by the caller as one blob.

use super::hash::Hash;
use super::root::{FileState, Target, TargetStat};

/// A file modified less than this long before its hash was recorded may
/// change again without moving its mtime: its recorded hash is not trusted.
pub(crate) const RACY_NS: i64 = 2_000_000_000;

/// A remembered hash and the state it was computed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatRecord {
    pub state: FileState,
    pub hash: Hash,
    /// When the hash was computed (ns since the epoch).
    pub recorded_ns: i64,
}

impl StatRecord {
    /// Whether the recorded hash may stand for a file now in `state`.
    pub fn trusted_for(&self, state: &FileState) -> bool {
        // A file written within RACY_NS of the recording (or after it, or
        // with an mtime in the future) may have changed again within the
        // same timestamp tick: never trust it (DESIGN §5). The same holds
        // for the file a symlink leads to. A folder (a submodule's place)
        // says nothing of what is checked out in it: never trusted.
        let settled_by = self.recorded_ns.saturating_sub(RACY_NS);
        let target_settled = match state.target.as_deref() {
            Some(Target::Found(t)) => t.mtime_ns < settled_by && !t.is_dir(),
            None | Some(Target::Dangling | Target::Loop) => true,
        };
        // ctime too: mtime can be set back (`touch -d`, `tar -x`, `rsync
        // -t`), and on a file system keeping whole seconds a same-size
        // rewrite in the recording's second then shows the same stat data.
        self.state == *state
            && !state.is_dir()
            && state.mtime_ns.max(state.ctime_ns) < settled_by
            && target_settled
    }
}

/// The fast path's memory: path → last known state and hash, sorted by
/// path so that it joins with a sorted file list without hashing.
///
/// Held in its stored form and read where used: a warm run joins 20,000
/// paths with it, and decoding every record into its own allocations
/// first (a `String` per path) cost more than the join.
#[derive(Debug, Clone, PartialEq)]
pub struct StatIndex {
    /// [`encode`](Self::encode)'s form, checked whole.
    bytes: Vec<u8>,
    /// Where each record starts in `bytes`, in path order.
    starts: Vec<usize>,
}

impl Default for StatIndex {
    fn default() -> Self {
        StatIndex::builder(0).finish()
    }
}

/// Version 2: records carry what a symlink leads to, and a symlink's
/// hash covers it; version 1 records must not be trusted.
const INDEX_MAGIC: &[u8; 8] = b"pqgidx02";

/// The bytes of a record after its path, before a symlink's target: size,
/// ino, dev, mtime, ctime, recorded (8 each), mode (4), target tag (1).
const FIXED: usize = 8 * 6 + 4 + 1;
/// A found target's bytes: size, ino, dev, mtime, ctime (8 each), mode.
const TARGET: usize = 8 * 5 + 4;
const HASH: usize = 32;

/// Writes a [`StatIndex`] record by record, in path order.
pub struct IndexBuilder {
    index: StatIndex,
}

impl IndexBuilder {
    /// Adds `path`'s record; paths come sorted, each once.
    pub fn push(&mut self, path: &str, state: &FileState, hash: &Hash, recorded_ns: i64) {
        debug_assert!(
            self.index
                .starts
                .last()
                .is_none_or(|&at| self.index.path_at(at) < path.as_bytes()),
            "records out of order at {path}"
        );
        let out = &mut self.index.bytes;
        self.index.starts.push(out.len());
        out.extend_from_slice(&(path.len() as u32).to_le_bytes());
        out.extend_from_slice(path.as_bytes());
        for v in [state.size, state.ino, state.dev] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in [state.mtime_ns, state.ctime_ns, recorded_ns] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&state.mode.to_le_bytes());
        match state.target.as_deref() {
            None => out.push(0),
            Some(Target::Dangling) => out.push(1),
            Some(Target::Loop) => out.push(2),
            Some(Target::Found(t)) => {
                out.push(3);
                for v in [t.size, t.ino, t.dev] {
                    out.extend_from_slice(&v.to_le_bytes());
                }
                for v in [t.mtime_ns, t.ctime_ns] {
                    out.extend_from_slice(&v.to_le_bytes());
                }
                out.extend_from_slice(&t.mode.to_le_bytes());
            }
        }
        out.extend_from_slice(hash);
    }

    pub fn finish(mut self) -> StatIndex {
        let count = self.index.starts.len() as u64;
        self.index.bytes[8..16].copy_from_slice(&count.to_le_bytes());
        self.index
    }
}

impl StatIndex {
    /// An empty index to [`push`](IndexBuilder::push) about `count`
    /// records into.
    pub fn builder(count: usize) -> IndexBuilder {
        let mut bytes = Vec::with_capacity(16 + count * 110);
        bytes.extend_from_slice(INDEX_MAGIC);
        bytes.extend_from_slice(&0u64.to_le_bytes());
        IndexBuilder {
            index: StatIndex {
                bytes,
                starts: Vec::with_capacity(count),
            },
        }
    }

    /// How many files it holds a record for.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The path of the record at byte `at` (checked by [`decode`]), as
    /// bytes: UTF-8 orders as its bytes do.
    fn path_at(&self, at: usize) -> &[u8] {
        let len = u32::from_le_bytes(self.bytes[at..at + 4].try_into().unwrap_or_default());
        &self.bytes[at + 4..at + 4 + len as usize]
    }

    /// The path of record `i`.
    fn path(&self, i: usize) -> &[u8] {
        self.path_at(self.starts[i])
    }

    /// Record `i`, read from its bytes (checked by [`decode`], so never
    /// `None` in practice: were it, the file is simply hashed again).
    fn record(&self, i: usize) -> Option<StatRecord> {
        let at = self.starts[i];
        let len = u32::from_le_bytes(self.bytes[at..at + 4].try_into().unwrap_or_default());
        let mut r = Reader {
            bytes: &self.bytes,
            pos: at + 4 + len as usize,
        };
        read_record(&mut r)
    }

    /// The record of each of the sorted paths `files`, if it has one.
    /// Both lists are sorted: joined in one pass, or, for a few files
    /// against many records (the untracked files), each one looked up.
    pub fn records_of(&self, files: &[String]) -> Vec<Option<StatRecord>> {
        let n = self.len();
        if files.len().saturating_mul(16) < n {
            return files
                .iter()
                .map(|path| {
                    let (mut lo, mut hi) = (0, n);
                    while lo < hi {
                        let mid = lo + (hi - lo) / 2;
                        match self.path(mid).cmp(path.as_bytes()) {
                            std::cmp::Ordering::Less => lo = mid + 1,
                            std::cmp::Ordering::Greater => hi = mid,
                            std::cmp::Ordering::Equal => return self.record(mid),
                        }
                    }
                    None
                })
                .collect();
        }
        let mut known = Vec::with_capacity(files.len());
        let mut i = 0;
        for path in files {
            let path = path.as_bytes();
            let mut found = None;
            while i < n {
                match self.path(i).cmp(path) {
                    std::cmp::Ordering::Less => i += 1,
                    std::cmp::Ordering::Equal => {
                        found = self.record(i);
                        i += 1;
                        break;
                    }
                    std::cmp::Ordering::Greater => break,
                }
            }
            known.push(found);
        }
        known
    }

    /// A compact binary form, stored as one blob.
    pub fn encode(&self) -> &[u8] {
        &self.bytes
    }

    /// Takes [`encode`](Self::encode)'s form, checked whole (every record
    /// readable, the paths in order, nothing after them); `None` when it
    /// is damaged. Paths are compared as bytes and never handed out, so
    /// they are not checked for UTF-8.
    pub fn decode(bytes: Vec<u8>) -> Option<Self> {
        let mut r = Reader {
            bytes: &bytes,
            pos: 0,
        };
        if r.take(8)? != INDEX_MAGIC {
            return None;
        }
        let count = r.u64()? as usize;
        let mut starts = Vec::with_capacity(count.min(bytes.len() / (4 + FIXED + HASH)));
        let mut previous: &[u8] = &[];
        for i in 0..count {
            starts.push(r.pos);
            let len = r.u32()? as usize;
            let path = r.take(len)?;
            if i > 0 && previous >= path {
                return None; // not sorted: not ours
            }
            previous = path;
            read_record(&mut r)?;
        }
        (r.pos == bytes.len()).then_some(StatIndex { bytes, starts })
    }
}

/// A record's state, hash and time, after its path.
fn read_record(r: &mut Reader<'_>) -> Option<StatRecord> {
    let size = r.u64()?;
    let ino = r.u64()?;
    let dev = r.u64()?;
    let mtime_ns = r.u64()? as i64;
    let ctime_ns = r.u64()? as i64;
    let recorded_ns = r.u64()? as i64;
    let mode = r.u32()?;
    let target = match r.take(1)?[0] {
        0 => None,
        1 => Some(Box::new(Target::Dangling)),
        2 => Some(Box::new(Target::Loop)),
        3 => {
            let t = r.take(TARGET)?;
            let mut t = Reader { bytes: t, pos: 0 };
            Some(Box::new(Target::Found(TargetStat {
                size: t.u64()?,
                ino: t.u64()?,
                dev: t.u64()?,
                mtime_ns: t.u64()? as i64,
                ctime_ns: t.u64()? as i64,
                mode: t.u32()?,
            })))
        }
        _ => return None,
    };
    let hash: Hash = r.take(HASH)?.try_into().ok()?;
    Some(StatRecord {
        state: FileState {
            size,
            mtime_ns,
            ctime_ns,
            ino,
            dev,
            mode,
            target,
        },
        hash,
        recorded_ns,
    })
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let slice = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(slice)
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(mtime_ns: i64) -> FileState {
        FileState {
            size: 3,
            mtime_ns,
            ctime_ns: mtime_ns,
            ino: 7,
            dev: 1,
            mode: 0o100644,
            target: None,
        }
    }

    #[test]
    fn a_record_is_trusted_only_for_the_same_state_outside_the_racy_window() {
        let record = StatRecord {
            state: state(1_000_000_000_000),
            hash: [1; 32],
            recorded_ns: 1_000_000_000_000 + 5 * RACY_NS,
        };
        assert!(record.trusted_for(&state(1_000_000_000_000)));
        let mut other = state(1_000_000_000_000);
        other.ctime_ns += 1;
        assert!(
            !record.trusted_for(&other),
            "a ctime change means hash again"
        );
        let racy = StatRecord {
            recorded_ns: 1_000_000_000_000 + RACY_NS / 2,
            ..record.clone()
        };
        assert!(!racy.trusted_for(&state(1_000_000_000_000)), "racy entry");
        let future = StatRecord {
            recorded_ns: 1_000_000_000_000 - RACY_NS,
            ..record
        };
        assert!(
            !future.trusted_for(&state(1_000_000_000_000)),
            "mtime after recording"
        );
    }

    /// On a file system keeping whole seconds, a same-size rewrite with its
    /// mtime set back (`touch -d`, `tar -x`) in the recording's second
    /// shows the recorded state: its ctime, which cannot be set back, is
    /// within the racy window, so the hash is not trusted.
    #[test]
    fn an_mtime_set_back_does_not_make_a_racy_record_trusted() {
        let recorded_ns = 1_000_000_000_000;
        let mut written = state(recorded_ns - 10 * RACY_NS);
        written.ctime_ns = recorded_ns - RACY_NS / 2;
        let record = StatRecord {
            state: written.clone(),
            hash: [1; 32],
            recorded_ns,
        };
        assert!(!record.trusted_for(&written), "ctime in the racy window");
        let settled = StatRecord {
            recorded_ns: recorded_ns + 5 * RACY_NS,
            ..record
        };
        assert!(settled.trusted_for(&written), "ctime settled since");
    }

    #[test]
    fn a_symlink_is_trusted_only_while_its_target_is_unchanged_and_settled() {
        let t = |mtime_ns| TargetStat {
            size: 4,
            mtime_ns,
            ctime_ns: mtime_ns,
            ino: 9,
            dev: 1,
            mode: 0o100644,
        };
        let link = |target| FileState {
            mode: 0o120777,
            target: Some(Box::new(target)),
            ..state(1_000_000_000_000)
        };
        let record = StatRecord {
            state: link(Target::Found(t(1_000_000_000_000))),
            hash: [1; 32],
            recorded_ns: 1_000_000_000_000 + 5 * RACY_NS,
        };
        assert!(record.trusted_for(&record.state));
        let edited = link(Target::Found(t(1_000_000_000_001)));
        assert!(!record.trusted_for(&edited), "the target was edited");
        assert!(!record.trusted_for(&link(Target::Dangling)));
        let racy = link(Target::Found(t(1_000_000_000_000 + 5 * RACY_NS)));
        let racy_record = StatRecord {
            state: racy.clone(),
            ..record.clone()
        };
        assert!(
            !racy_record.trusted_for(&racy),
            "target written around the recording"
        );
        let dir = FileState {
            mode: 0o040755,
            ..state(1_000_000_000_000)
        };
        let dir_record = StatRecord {
            state: dir.clone(),
            ..record
        };
        assert!(
            !dir_record.trusted_for(&dir),
            "a submodule's folder is never trusted"
        );
    }

    /// A few paths are looked up, many joined in one pass: the same
    /// records either way.
    #[test]
    fn records_are_found_alike_for_few_and_many_paths() {
        let record = |i: u64| StatRecord {
            state: state(i as i64),
            hash: [i as u8; 32],
            recorded_ns: 0,
        };
        let mut index = StatIndex::builder(100);
        for i in 0..100u64 {
            let r = record(i);
            index.push(&format!("f{:03}", i * 2), &r.state, &r.hash, r.recorded_ns);
        }
        let index = index.finish();
        let paths = |from: u64, to: u64| -> Vec<String> {
            (from..to).map(|i| format!("f{i:03}")).collect()
        };
        for files in [paths(0, 3), paths(40, 47), paths(0, 200), paths(150, 260)] {
            let found = index.records_of(&files);
            assert_eq!(found.len(), files.len());
            for (path, found) in files.iter().zip(found) {
                let n: u64 = path[1..].parse().unwrap();
                let want = (n.is_multiple_of(2) && n < 200).then(|| record(n / 2));
                assert_eq!(found, want, "{path}");
            }
        }
    }

    #[test]
    fn the_index_round_trips_and_rejects_damage() {
        let records = [
            (
                "src/a.rs",
                StatRecord {
                    state: state(42),
                    hash: [9; 32],
                    recorded_ns: 99,
                },
            ),
            (
                "t/link",
                StatRecord {
                    state: FileState {
                        target: Some(Box::new(Target::Found(TargetStat {
                            size: 1,
                            mtime_ns: 2,
                            ctime_ns: 3,
                            ino: 4,
                            dev: 5,
                            mode: 0o100755,
                        }))),
                        ..state(7)
                    },
                    hash: [4; 32],
                    recorded_ns: 8,
                },
            ),
            (
                "t/loop",
                StatRecord {
                    state: FileState {
                        target: Some(Box::new(Target::Loop)),
                        ..state(7)
                    },
                    hash: [5; 32],
                    recorded_ns: 8,
                },
            ),
            (
                "é/b",
                StatRecord {
                    state: state(-5),
                    hash: [3; 32],
                    recorded_ns: -1,
                },
            ),
        ];
        let mut index = StatIndex::builder(records.len());
        for (path, r) in &records {
            index.push(path, &r.state, &r.hash, r.recorded_ns);
        }
        let index = index.finish();
        let paths: Vec<String> = records.iter().map(|(p, _)| p.to_string()).collect();
        let found: Vec<StatRecord> = index.records_of(&paths).into_iter().flatten().collect();
        let want: Vec<StatRecord> = records.iter().map(|(_, r)| r.clone()).collect();
        assert_eq!(found, want);
        let bytes = index.encode().to_vec();
        assert_eq!(StatIndex::decode(bytes.clone()), Some(index));
        assert_eq!(StatIndex::decode(bytes[..bytes.len() - 1].to_vec()), None);
        assert_eq!(StatIndex::decode(b"garbage".to_vec()), None);
        let mut extra = bytes.clone();
        extra.push(0);
        assert_eq!(StatIndex::decode(extra), None);
        let mut unsorted = StatIndex::builder(2);
        unsorted.index.starts.clear(); // order is what decode checks
        unsorted.push("b", &state(1), &[1; 32], 0);
        unsorted.index.starts.clear();
        unsorted.push("a", &state(1), &[1; 32], 0);
        let mut unsorted = unsorted.finish().encode().to_vec();
        unsorted[8..16].copy_from_slice(&2u64.to_le_bytes());
        assert_eq!(StatIndex::decode(unsorted), None, "paths out of order");
    }
}
