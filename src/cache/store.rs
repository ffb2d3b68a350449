//! The [`Cache`] handle: the database connection, or its absence, and the
//! warnings its problems caused.
//!
//! Every database problem becomes at most one warning: a damaged file is
//! moved aside and replaced (once per run), anything else (locked,
//! read-only, newer schema) turns the cache off for this run. Nothing here
//! ever fails a run or changes a verdict.

use super::db::{self, DbError};
use super::entry::{checksum, read_entry, store_items, Entry, StoreItem};
use super::key::CacheKey;
use super::manifest::decode_manifest;
use crate::files::index::StatIndex;
use crate::files::snapshot::FileEntry;
use crate::files::untracked::UntrackedCache;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Whether the cache is used at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CacheMode {
    /// Read and write cache entries.
    On,
    /// `--no-cache`: read nothing, write nothing (history is still kept).
    Off,
}

/// The database, or its absence, and the warnings its problems caused.
pub(crate) struct Cache {
    dir: PathBuf,
    conn: Option<Connection>,
    mode: CacheMode,
    warnings: Vec<String>,
    moved_aside: bool,
    /// The file index was saved this run: closing folds the WAL into the
    /// main file, whatever its size.
    index_saved: bool,
    /// The file index being written on a thread of its own, with the
    /// connection; taken back at the next use of the cache.
    saving: Option<Saving>,
}

/// A write on a thread of its own: it gives the connection back with how
/// the write went.
type Saving = std::thread::JoinHandle<(Connection, rusqlite::Result<()>)>;

/// The WAL size above which closing the cache folds the WAL back into the
/// main file and empties it. Every process that opens the database first
/// reads the whole WAL to rebuild its index (one `pread` per 4 KiB page), so
/// an unbounded WAL makes every warm run slower: 16 MB of history writes
/// cost 6 ms at each open.
pub(super) const WAL_LIMIT: u64 = 1 << 20;

impl Drop for Cache {
    fn drop(&mut self) {
        // A write still going on finishes first (a panic in it has nothing
        // left to report to, and the write is then simply not made).
        if let Some(Ok((conn, written))) = self.saving.take().map(std::thread::JoinHandle::join) {
            self.index_saved |= written.is_ok();
            self.conn = Some(conn);
        }
        let Some(conn) = self.conn.as_ref() else {
            return;
        };
        let wal = db::path_in(&self.dir).with_extension("db-wal");
        if self.index_saved || std::fs::metadata(&wal).is_ok_and(|m| m.len() > WAL_LIMIT) {
            // Never wait for another pqg: if one is reading, the next run
            // to close tries again.
            let _ = conn.busy_timeout(std::time::Duration::ZERO);
            let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
    }
}

impl Cache {
    /// Opens the cache in `dir`. Never fails: problems become one warning.
    pub(crate) fn open(dir: &Path, mode: CacheMode) -> Cache {
        let mut cache = Cache {
            dir: dir.to_path_buf(),
            conn: None,
            mode,
            warnings: Vec::new(),
            moved_aside: false,
            index_saved: false,
            saving: None,
        };
        match db::open(dir) {
            Ok(conn) => cache.conn = Some(conn),
            Err(err) => cache.fault(err),
        }
        cache
    }

    /// A cache with no database, for a moment: the run's own is in use on
    /// another thread (the keys of a run whose gates started while the
    /// tree was hashed).
    pub(crate) fn closed(dir: &Path) -> Cache {
        Cache {
            dir: dir.to_path_buf(),
            conn: None,
            mode: CacheMode::Off,
            warnings: Vec::new(),
            moved_aside: false,
            index_saved: false,
            saving: None,
        }
    }

    /// The names of the gates the cache holds a result for, whatever its
    /// key; `None` when it cannot tell (not read, or the query failed).
    pub(crate) fn gates_with_results(&mut self) -> Option<std::collections::HashSet<String>> {
        if !self.reads() {
            return None;
        }
        self.with(|c| {
            let mut query = c.prepare("SELECT DISTINCT gate FROM entries")?;
            let names = query.query_map([], |r| r.get::<_, String>(0))?;
            names.collect()
        })
    }

    /// Opens the cache only if its database already exists (for read-only
    /// commands, which should not create one).
    pub(crate) fn open_existing(dir: &Path) -> Option<Cache> {
        db::path_in(dir)
            .exists()
            .then(|| Cache::open(dir, CacheMode::On))
    }

    /// Whether a database is open.
    pub(crate) fn is_available(&self) -> bool {
        self.conn.is_some() || self.saving.is_some()
    }

    /// Whether entries are read: the cache is on and a database is open.
    pub(crate) fn reads(&self) -> bool {
        self.mode == CacheMode::On && self.is_available()
    }

    /// Warnings to print, once each.
    pub(crate) fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    fn warn(&mut self, message: String) {
        if !self.warnings.contains(&message) {
            self.warnings.push(message);
        }
    }

    /// Handles a database problem: move a damaged file aside and start a new
    /// one (once per run); otherwise go on without the cache.
    fn fault(&mut self, err: DbError) {
        self.conn = None;
        match err {
            DbError::Damaged(e) if !self.moved_aside => {
                self.moved_aside = true;
                match db::move_aside(&self.dir) {
                    Ok(aside) => {
                        self.warn(format!(
                            "the cache database was damaged ({e:#}); moved it to `{}` and started a new one",
                            aside.display()
                        ));
                        match db::open(&self.dir) {
                            Ok(conn) => self.conn = Some(conn),
                            Err(e) => self.warn(format!("running without the cache: {e}")),
                        }
                    }
                    Err(io) => self.warn(format!(
                        "the cache database is damaged ({e:#}) and could not be moved aside ({io}); running without the cache"
                    )),
                }
            }
            other => self.warn(format!("running without the cache: {other}")),
        }
    }

    /// Runs `f` on the connection; a failure is handled by [`fault`] and
    /// yields `None`.
    fn with<T>(&mut self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Option<T> {
        self.settle();
        let conn = self.conn.as_ref()?;
        match f(conn) {
            Ok(v) => Some(v),
            Err(e) => {
                self.fault(db::classify(e));
                None
            }
        }
    }

    /// Takes the connection back from a write on its own thread, once it
    /// is done; its failure is handled like any other.
    fn settle(&mut self) {
        let Some(saving) = self.saving.take() else {
            return;
        };
        let (conn, written) = match saving.join() {
            Ok(done) => done,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        self.conn = Some(conn);
        match written {
            Ok(()) => {
                self.index_saved = true;
                crate::debug!("cache: file index saved");
            }
            Err(e) => self.fault(db::classify(e)),
        }
    }

    /// The file-hash index for `root`, or an empty one.
    pub(crate) fn load_index(&mut self, root: &str) -> StatIndex {
        if !self.reads() {
            return StatIndex::default();
        }
        let row = self.with(|c| {
            c.query_row(
                "SELECT data, checksum FROM file_index WHERE root = ?1",
                [root],
                |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?)),
            )
            .optional()
        });
        match row.flatten() {
            Some((data, sum)) if checksum(&[&data]) == sum => {
                StatIndex::decode(data).unwrap_or_default()
            }
            _ => StatIndex::default(),
        }
    }

    /// Saves the file-hash index for `root` (not with `--no-cache`), on a
    /// thread of its own: its encoding and the 2 MB insert (20,000 files)
    /// overlap the keys and the look at the inputs after the run, and the
    /// next use of the cache waits for it. A run killed before it ends
    /// leaves the index as it was (the insert is one transaction): the
    /// next run hashes again what it would have vouched for.
    pub(crate) fn save_index(&mut self, root: &str, index: StatIndex) {
        if self.mode == CacheMode::Off {
            return;
        }
        self.settle();
        let Some(conn) = self.conn.take() else {
            return;
        };
        let root = root.to_owned();
        let started = std::thread::Builder::new()
            .name("pqg-index".to_owned())
            .spawn(move || {
                let data = index.encode();
                let sum = checksum(&[data]);
                let written = conn
                    .execute(
                        "INSERT OR REPLACE INTO file_index (root, data, checksum) VALUES (?1, ?2, ?3)",
                        params![root, data, sum],
                    )
                    .map(drop);
                (conn, written)
            });
        // The index is read on every run, memory-mapped from the main file;
        // pages left in the WAL would be read one pread at a time. Closing
        // the cache folds them in, with the results and history written
        // after them: one checkpoint (two fsyncs, each page written once
        // more) where a checkpoint here made two, the index alone (2 MB
        // for 20,000 files) costing a cold run 10 to 20 ms.
        match started {
            Ok(saving) => self.saving = Some(saving),
            // The connection went with the thread that could not start.
            Err(e) => self.fault(DbError::Unavailable(
                anyhow::Error::new(e).context("starting the thread that saves the file index"),
            )),
        }
    }

    /// The untracked cache for `root`: `None` when the cache is off (then
    /// none is kept either), `Some(None)` when there is no intact record.
    pub(crate) fn load_untracked(&mut self, root: &str) -> Option<Option<UntrackedCache>> {
        if !self.reads() {
            return None;
        }
        let row = self.with(|c| {
            c.query_row(
                "SELECT data, checksum FROM untracked_cache WHERE root = ?1",
                [root],
                |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?)),
            )
            .optional()
        })?;
        Some(match row {
            Some((data, sum)) if checksum(&[&data]) == sum => UntrackedCache::decode(&data),
            _ => None,
        })
    }

    /// Keeps the untracked cache for `root`, or forgets it (`None`).
    pub(crate) fn save_untracked(&mut self, root: &str, record: Option<&UntrackedCache>) {
        if self.mode == CacheMode::Off {
            return;
        }
        match record {
            Some(record) => {
                let data = record.encode();
                let sum = checksum(&[&data]);
                self.with(|c| {
                    c.execute(
                        "INSERT OR REPLACE INTO untracked_cache (root, data, checksum) VALUES (?1, ?2, ?3)",
                        params![root, data, sum],
                    )
                    .map(drop)
                });
            }
            None => {
                self.with(|c| {
                    c.execute("DELETE FROM untracked_cache WHERE root = ?1", [root])
                        .map(drop)
                });
            }
        }
    }

    /// Forgets the file-hash index for `root`: a folder no run will see
    /// again (the pre-push hook's temporary worktrees), whose records would
    /// only take room.
    pub(crate) fn forget_index(&mut self, root: &str) {
        if self.mode == CacheMode::Off {
            return;
        }
        self.with(|c| {
            c.execute("DELETE FROM file_index WHERE root = ?1", [root])?;
            c.execute("DELETE FROM untracked_cache WHERE root = ?1", [root])
                .map(drop)
        });
    }

    /// The entry stored under `key`, if it reads back intact and is younger
    /// than `ttl`.
    pub(crate) fn lookup(
        &mut self,
        key: &CacheKey,
        ttl: Option<Duration>,
        now_ns: i64,
    ) -> Option<Entry> {
        if !self.reads() {
            return None;
        }
        let entry = self.with(|c| read_entry(c, "WHERE key = ?1", &key.0[..]))??;
        if let Some(ttl) = ttl {
            let age = now_ns.saturating_sub(entry.created_ns);
            if age < 0 || age as u128 > ttl.as_nanos() {
                return None;
            }
        }
        Some(entry)
    }

    /// The newest entry stored for a gate of this name (for `explain`).
    pub(crate) fn latest_for_gate(&mut self, gate: &str) -> Option<Entry> {
        if !self.is_available() {
            return None;
        }
        self.with(|c| read_entry(c, "WHERE gate = ?1 ORDER BY created_ns DESC LIMIT 1", gate))?
    }

    /// The files behind an inputs digest, if stored.
    pub(crate) fn manifest(&mut self, digest: &str) -> Option<Vec<FileEntry>> {
        let row = self.with(|c| {
            c.query_row(
                "SELECT data, checksum FROM manifests WHERE digest = ?1",
                [digest],
                |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?)),
            )
            .optional()
        })??;
        (checksum(&[&row.0]) == row.1)
            .then(|| decode_manifest(&row.0))
            .flatten()
    }

    /// Stores results, each with its key parts and input manifest, in one
    /// transaction, and prunes old entries of the same gates.
    pub(crate) fn store(&mut self, items: &[StoreItem<'_>], now_ns: i64) {
        if self.mode == CacheMode::Off || items.is_empty() {
            return;
        }
        self.with(|c| db::immediate(c, |tx| store_items(tx, items, now_ns)));
    }

    /// Runs `f` with the raw connection (history and maintenance queries).
    pub(crate) fn query<T>(
        &mut self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Option<T> {
        self.with(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::root::FileState;

    fn index(n: usize) -> StatIndex {
        let mut index = StatIndex::builder(n);
        for i in 0..n {
            let state = FileState {
                size: i as u64,
                mtime_ns: 1,
                ctime_ns: 1,
                ino: i as u64,
                dev: 1,
                mode: 0o100644,
                target: None,
            };
            index.push(
                &format!("src/f{i:05}.txt"),
                &state,
                &[i as u8; 32],
                5_000_000_000,
            );
        }
        index.finish()
    }

    #[test]
    fn an_index_saved_on_its_thread_is_read_back_by_the_same_cache_and_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = Cache::open(dir.path(), CacheMode::On);
        cache.save_index("/repo", index(300));
        assert!(cache.reads(), "the cache is still there while it writes");
        // The next use waits for the write.
        assert_eq!(cache.load_index("/repo"), index(300));
        cache.save_index("/repo", index(7));
        // Closing waits for it too, and folds the WAL into the main file.
        drop(cache);
        let wal = std::fs::metadata(dir.path().join("cache.db-wal")).map_or(0, |m| m.len());
        assert_eq!(wal, 0, "the WAL is emptied when the cache closes");
        let mut again = Cache::open(dir.path(), CacheMode::On);
        assert_eq!(again.load_index("/repo"), index(7));
        assert!(again.take_warnings().is_empty());
    }
}
