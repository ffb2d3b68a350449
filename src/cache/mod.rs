//! The result cache and the run history (DESIGN §5), behind one facade that
//! never stops a run.
//!
//! [`Cache`] owns the database connection. Every database problem becomes at
//! most one warning: a damaged file is moved aside and replaced, anything
//! else (locked, read-only, newer schema) turns the cache off for this run.
//! A cache problem never changes a verdict. Keys are computed in
//! [`prepare`]; results are stored only when their inputs did not change
//! while the gate ran.

pub mod db;
pub mod history;
pub mod key;
pub mod transfer;

use crate::config::{Command, Config, Gate};
use crate::files::filter::InputFilter;
use crate::files::hash::{self, InputsDigest};
use crate::files::index::StatIndex;
use crate::files::list;
use crate::files::root::{absolute, Root};
use crate::files::snapshot::{FileEntry, Snapshot};
use db::DbError;
use key::{CacheKey, KeyCommandOutput, KeyParts};
use rayon::prelude::*;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How many entries per gate are kept; older ones are pruned on store.
const ENTRIES_PER_GATE: i64 = 20;

/// A stored result: what a gate's execution produced, enough to judge it
/// again at any stage.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredResult {
    pub exit: StoredExit,
    pub duration_ms: u64,
    pub metrics: Vec<StoredMetric>,
    pub output: String,
    pub output_bytes: u64,
    pub output_omitted_bytes: u64,
    pub attempts: u32,
    /// A builtin's findings (absent in entries of command gates).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<crate::builtin::Finding>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub enum StoredExit {
    Exited(i32),
    Signalled(i32),
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum StoredMetric {
    Value(f64),
    Error(String),
}

/// A cache entry read back whole.
#[derive(Debug, Clone)]
pub struct Entry {
    pub key: CacheKey,
    pub gate: String,
    pub created_ns: i64,
    pub pqg_version: String,
    pub parts: KeyParts,
    pub result: StoredResult,
}

fn checksum(parts: &[&[u8]]) -> Vec<u8> {
    let mut h = blake3::Hasher::new();
    for p in parts {
        h.update(&(p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().as_bytes().to_vec()
}

/// Whether the cache is used at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheMode {
    /// Read and write cache entries.
    On,
    /// `--no-cache`: read nothing, write nothing (history is still kept).
    Off,
}

/// The database, or its absence, and the warnings its problems caused.
pub struct Cache {
    dir: PathBuf,
    conn: Option<Connection>,
    mode: CacheMode,
    warnings: Vec<String>,
    moved_aside: bool,
}

/// The WAL size above which closing the cache folds the WAL back into the
/// main file and empties it. Every process that opens the database first
/// reads the whole WAL to rebuild its index (one `pread` per 4 KiB page), so
/// an unbounded WAL makes every warm run slower: 16 MB of history writes
/// cost 6 ms at each open.
const WAL_LIMIT: u64 = 1 << 20;

impl Drop for Cache {
    fn drop(&mut self) {
        let Some(conn) = self.conn.as_ref() else {
            return;
        };
        let wal = db::path_in(&self.dir).with_extension("db-wal");
        if std::fs::metadata(&wal).is_ok_and(|m| m.len() > WAL_LIMIT) {
            // Never wait for another pqg: if one is reading, the next run
            // to close tries again.
            let _ = conn.busy_timeout(std::time::Duration::ZERO);
            let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
    }
}

impl Cache {
    /// Opens the cache in `dir`. Never fails: problems become one warning.
    pub fn open(dir: &Path, mode: CacheMode) -> Cache {
        let mut cache = Cache {
            dir: dir.to_path_buf(),
            conn: None,
            mode,
            warnings: Vec::new(),
            moved_aside: false,
        };
        match db::open(dir) {
            Ok(conn) => cache.conn = Some(conn),
            Err(err) => cache.fault(err),
        }
        cache
    }

    /// Opens the cache only if its database already exists (for read-only
    /// commands, which should not create one).
    pub fn open_existing(dir: &Path) -> Option<Cache> {
        db::path_in(dir)
            .exists()
            .then(|| Cache::open(dir, CacheMode::On))
    }

    pub fn is_available(&self) -> bool {
        self.conn.is_some()
    }

    pub fn reads(&self) -> bool {
        self.mode == CacheMode::On && self.conn.is_some()
    }

    /// Warnings to print, once each.
    pub fn take_warnings(&mut self) -> Vec<String> {
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
        let conn = self.conn.as_ref()?;
        match f(conn) {
            Ok(v) => Some(v),
            Err(e) => {
                self.fault(db::classify(e));
                None
            }
        }
    }

    /// The file-hash index for `root`, or an empty one.
    pub fn load_index(&mut self, root: &str) -> StatIndex {
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
                StatIndex::decode(&data).unwrap_or_default()
            }
            _ => StatIndex::default(),
        }
    }

    pub fn save_index(&mut self, root: &str, index: &StatIndex) {
        if self.mode == CacheMode::Off {
            return;
        }
        let data = index.encode();
        let sum = checksum(&[&data]);
        self.with(|c| {
            c.execute(
                "INSERT OR REPLACE INTO file_index (root, data, checksum) VALUES (?1, ?2, ?3)",
                params![root, data, sum],
            )?;
            // The index is read on every run, memory-mapped from the main
            // file; pages left in the WAL would be read one pread at a time.
            // A passive checkpoint never waits for other processes.
            c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
        });
    }

    /// The entry stored under `key`, if it reads back intact and is younger
    /// than `ttl`.
    pub fn lookup(&mut self, key: &CacheKey, ttl: Option<Duration>, now_ns: i64) -> Option<Entry> {
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
    pub fn latest_for_gate(&mut self, gate: &str) -> Option<Entry> {
        self.conn.as_ref()?;
        self.with(|c| read_entry(c, "WHERE gate = ?1 ORDER BY created_ns DESC LIMIT 1", gate))?
    }

    /// The files behind an inputs digest, if stored.
    pub fn manifest(&mut self, digest: &str) -> Option<Vec<FileEntry>> {
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
    pub fn store(&mut self, items: &[StoreItem<'_>], now_ns: i64) {
        if self.mode == CacheMode::Off || items.is_empty() {
            return;
        }
        self.with(|c| db::immediate(c, |tx| store_items(tx, items, now_ns)));
    }

    /// Runs `f` with the raw connection (history and maintenance queries).
    pub fn query<T>(&mut self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Option<T> {
        self.with(f)
    }
}

/// One row of `entries`, as stored: the checksum covers key, gate, parts
/// and payload, and is computed on the way in and checked on the way out,
/// for results stored here and imported alike.
pub(crate) struct EntryRow {
    pub key: Vec<u8>,
    pub gate: String,
    pub created_ns: i64,
    pub pqg_version: String,
    pub parts: String,
    pub payload: Vec<u8>,
}

/// The columns [`intact_row`] reads, in its order, for a `SELECT`.
pub(crate) const ENTRY_COLUMNS: &str =
    "key, gate, created_ns, pqg_version, parts, payload, checksum";

impl EntryRow {
    fn checksum(&self) -> Vec<u8> {
        checksum(&[
            &self.key,
            self.gate.as_bytes(),
            self.parts.as_bytes(),
            &self.payload,
        ])
    }

    /// Writes the row (replacing one under the same key); `inputs` is the
    /// digest naming its manifest.
    pub(crate) fn put(&self, tx: &Connection, inputs: &str) -> rusqlite::Result<()> {
        tx.execute(
            "INSERT OR REPLACE INTO entries
                     (key, gate, created_ns, pqg_version, inputs, parts, payload, checksum)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                self.key,
                self.gate,
                self.created_ns,
                self.pqg_version,
                inputs,
                self.parts,
                self.payload,
                self.checksum()
            ],
        )?;
        Ok(())
    }
}

/// The row `r` holds in [`ENTRY_COLUMNS`] order, or `None` when it does not
/// read back intact.
pub(crate) fn intact_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<EntryRow>> {
    let row = EntryRow {
        key: r.get(0)?,
        gate: r.get(1)?,
        created_ns: r.get(2)?,
        pqg_version: r.get(3)?,
        parts: r.get(4)?,
        payload: r.get(5)?,
    };
    let sum: Vec<u8> = r.get(6)?;
    Ok((row.checksum() == sum).then_some(row))
}

/// Stores a manifest under `digest`, unless one is there already.
pub(crate) fn put_manifest(tx: &Connection, digest: &str, data: &[u8]) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR IGNORE INTO manifests (digest, data, checksum) VALUES (?1, ?2, ?3)",
        params![digest, data, checksum(&[data])],
    )?;
    Ok(())
}

/// Keeps the newest [`ENTRIES_PER_GATE`] entries of each of `gates`, and
/// only the manifests some entry still names.
pub(crate) fn prune<'g>(
    tx: &Connection,
    gates: impl IntoIterator<Item = &'g str>,
) -> rusqlite::Result<()> {
    for gate in gates {
        tx.execute(
            "DELETE FROM entries WHERE gate = ?1 AND key NOT IN
                     (SELECT key FROM entries WHERE gate = ?1 ORDER BY created_ns DESC LIMIT ?2)",
            params![gate, ENTRIES_PER_GATE],
        )?;
    }
    tx.execute(
        "DELETE FROM manifests WHERE digest NOT IN (SELECT inputs FROM entries)",
        [],
    )?;
    Ok(())
}

fn store_items(tx: &Connection, items: &[StoreItem<'_>], now_ns: i64) -> rusqlite::Result<()> {
    for item in items {
        EntryRow {
            key: item.key.0.to_vec(),
            gate: item.gate.to_owned(),
            created_ns: now_ns,
            pqg_version: env!("CARGO_PKG_VERSION").to_owned(),
            parts: serde_json::to_string(&item.parts).expect("key parts serialise"),
            payload: serde_json::to_vec(&item.result).expect("results serialise"),
        }
        .put(tx, &item.parts.inputs)?;
        let exists: bool = tx
            .query_row(
                "SELECT 1 FROM manifests WHERE digest = ?1",
                [&item.parts.inputs],
                |_| Ok(true),
            )
            .optional()?
            .unwrap_or(false);
        if !exists {
            put_manifest(tx, &item.parts.inputs, &encode_manifest(item.files))?;
        }
    }
    prune(tx, items.iter().map(|i| i.gate))
}

fn read_entry(
    c: &Connection,
    filter: &str,
    arg: impl rusqlite::ToSql,
) -> rusqlite::Result<Option<Entry>> {
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM entries {filter}");
    // A row is a hit only if its whole payload reads back intact.
    let Some(row) = c.query_row(&sql, [arg], intact_row).optional()?.flatten() else {
        return Ok(None);
    };
    let (Ok(key), Ok(parts), Ok(result)) = (
        <[u8; 32]>::try_from(row.key.as_slice()),
        serde_json::from_str::<KeyParts>(&row.parts),
        serde_json::from_slice::<StoredResult>(&row.payload),
    ) else {
        return Ok(None);
    };
    Ok(Some(Entry {
        key: CacheKey(key),
        gate: row.gate,
        created_ns: row.created_ns,
        pqg_version: row.pqg_version,
        parts,
        result,
    }))
}

fn encode_manifest(files: &[FileEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(files.len() * 64);
    for f in files {
        out.extend_from_slice(&(f.path.len() as u32).to_le_bytes());
        out.extend_from_slice(f.path.as_bytes());
        out.extend_from_slice(&f.hash);
    }
    out
}

fn decode_manifest(mut data: &[u8]) -> Option<Vec<FileEntry>> {
    let mut files = Vec::new();
    while !data.is_empty() {
        let len = u32::from_le_bytes(data.get(..4)?.try_into().ok()?) as usize;
        data = &data[4..];
        let path = std::str::from_utf8(data.get(..len)?).ok()?.to_owned();
        data = &data[len..];
        let hash: [u8; 32] = data.get(..32)?.try_into().ok()?;
        data = &data[32..];
        files.push(FileEntry { path, hash });
    }
    Some(files)
}

/// One result to store.
pub struct StoreItem<'a> {
    pub key: CacheKey,
    pub gate: &'a str,
    pub parts: &'a KeyParts,
    pub files: &'a [FileEntry],
    pub result: StoredResult,
}

/// A gate's key, and the input files it covers.
#[derive(Debug, Clone)]
pub struct GateKey {
    pub key: CacheKey,
    pub parts: KeyParts,
    pub files: Arc<Vec<FileEntry>>,
    pub filter: Arc<InputFilter>,
}

/// Keys for a run: one per gate that runs and may be cached.
pub struct Prepared {
    pub keys: Vec<Option<GateKey>>,
    /// Why a gate has no key, for logs and `explain`.
    pub no_key: Vec<Option<String>>,
    pub snapshot: Option<Snapshot>,
    /// The config's folder, absolute.
    pub root: PathBuf,
}

/// A gate's input files, their digest and the filter that chose them.
type SelectedInputs = (InputsDigest, Arc<Vec<FileEntry>>, Arc<InputFilter>);

/// Runs a key command and captures what it printed.
pub type KeyCommandRunner<'a> = dyn Fn(&Command, &Path) -> KeyCommandOutput + Sync + 'a;

/// Computes the key of every gate in `wanted` (indices into the config's
/// gates), reading and refreshing the file-hash index.
pub fn prepare(
    config: &Config,
    wanted: &[usize],
    cache: &mut Cache,
    run_key_command: &KeyCommandRunner<'_>,
    cache_dir: &Path,
) -> Prepared {
    let n = config.gates.len();
    let root = absolute(&config.root);
    let mut prepared = Prepared {
        keys: vec![None; n],
        no_key: vec![None; n],
        snapshot: None,
        root: root.clone(),
    };
    if wanted.is_empty() {
        return prepared;
    }
    let abs_cache = absolute(cache_dir);
    crate::debug!("cache: snapshot of the files under {}", root.display());
    let root_key = root.to_string_lossy().into_owned();
    let listed = list::snapshot_tree(&root, &abs_cache, || cache.load_index(&root_key));
    let (snapshot, index) = match listed {
        Ok(s) => s,
        Err(e) => {
            for &i in wanted {
                prepared.no_key[i] = Some(format!("cannot list input files: {e:#}"));
            }
            return prepared;
        }
    };
    crate::debug!(
        "cache: snapshot of {} files, {} hashed, {} unreadable",
        snapshot.files.len(),
        snapshot.hashed,
        snapshot.unreadable.len()
    );
    // A file edited in the last 2 s is hashed on every run whatever the
    // index says, so recording it again gains nothing: rewriting the whole
    // index for it would cost more than the hash.
    if snapshot.settled > 0 || index.records.len() != snapshot.files.len() {
        cache.save_index(&root_key, &snapshot.to_index());
        crate::debug!("cache: file index saved");
    }

    // Distinct key commands run once each, in parallel.
    let mut commands: Vec<&Command> = wanted
        .iter()
        .flat_map(|&i| config.gates[i].key_commands.iter())
        .collect();
    commands.dedup();
    let outputs: HashMap<String, KeyCommandOutput> = commands
        .par_iter()
        .map(|c| (key::command_text(c), run_key_command(c, &root)))
        .collect();

    // Gates with the same globs share one digest.
    let mut digests: HashMap<Option<Vec<String>>, Result<SelectedInputs, String>> = HashMap::new();
    for &i in wanted {
        let gate = &config.gates[i];
        let entry = digests.entry(gate.inputs.clone()).or_insert_with(|| {
            let filter = InputFilter::new(gate.inputs.as_deref())
                .map_err(|e| format!("invalid input glob: {e}"))?;
            let (digest, chosen) = hash::digest(&snapshot, &filter);
            Ok((digest, Arc::new(chosen), Arc::new(filter)))
        });
        match entry {
            Err(e) => prepared.no_key[i] = Some(e.clone()),
            Ok((digest, _, _)) if digest.unreadable > 0 => {
                prepared.no_key[i] =
                    Some(format!("{} input files cannot be read", digest.unreadable));
            }
            Ok((digest, files, filter)) => {
                let parts = key_parts(gate, digest, &outputs);
                prepared.keys[i] = Some(GateKey {
                    key: parts.key(),
                    parts,
                    files: Arc::clone(files),
                    filter: Arc::clone(filter),
                });
            }
        }
    }
    crate::debug!(
        "cache: {} keys computed",
        prepared.keys.iter().flatten().count()
    );
    prepared.snapshot = Some(snapshot);
    prepared
}

/// The key parts of `gate` given its inputs digest and key command outputs.
pub fn key_parts(
    gate: &Gate,
    digest: &InputsDigest,
    outputs: &HashMap<String, KeyCommandOutput>,
) -> KeyParts {
    KeyParts {
        format: key::KEY_FORMAT,
        command: key::command_text(&gate.command),
        cwd: gate.cwd.to_string_lossy().into_owned(),
        env: gate
            .env
            .iter()
            .map(|name| {
                (
                    name.clone(),
                    std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()),
                )
            })
            .collect(),
        key_commands: gate
            .key_commands
            .iter()
            .map(|c| {
                outputs
                    .get(&key::command_text(c))
                    .cloned()
                    .unwrap_or_else(|| KeyCommandOutput {
                        command: key::command_text(c),
                        exit_code: None,
                        output: String::new(),
                    })
            })
            .collect(),
        metrics: key::metric_texts(gate),
        inputs: key::hex(&digest.digest),
        input_count: digest.count,
    }
}

/// What changed in the tree since the snapshot, checked once after a run
/// for every gate: the paths that changed, and a fresh listing for new
/// files.
pub struct Changes {
    pub changed: std::collections::HashSet<String>,
    /// Listed now, exists, and not in the snapshot.
    pub appeared: Vec<String>,
}

/// Looks at the tree again after a run.
pub fn changes_since(prepared: &Prepared, cache_dir: &Path) -> Option<Changes> {
    let snapshot = prepared.snapshot.as_ref()?;
    let listed_now = list::list_files(&prepared.root, &absolute(cache_dir)).ok()?;
    let mut before = snapshot.files.iter().map(|f| f.path.as_str()).peekable();
    let mut appeared = Vec::new();
    // Both sorted. git lists tracked files deleted from the work tree, so a
    // listed path only counts as new if it exists.
    for path in listed_now {
        while before.next_if(|p| *p < path.as_str()).is_some() {}
        if before.next_if(|p| *p == path.as_str()).is_none()
            && std::fs::symlink_metadata(prepared.root.join(&path)).is_ok_and(|m| !m.is_dir())
        {
            appeared.push(path);
        }
    }
    Some(Changes {
        changed: snapshot.changed_since(&Root::open(&prepared.root).ok()?),
        appeared,
    })
}

/// Whether the inputs of a key changed since the snapshot: a file edited,
/// removed, or a new file matching the gate's globs.
pub fn inputs_changed(key: &GateKey, changes: &Changes) -> bool {
    changes.appeared.iter().any(|p| key.filter.matches(p))
        || (!changes.changed.is_empty()
            && key.files.iter().any(|f| changes.changed.contains(&f.path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_round_trip() {
        let files = vec![
            FileEntry {
                path: "a".into(),
                hash: [1; 32],
            },
            FileEntry {
                path: "dir/é".into(),
                hash: [2; 32],
            },
        ];
        assert_eq!(decode_manifest(&encode_manifest(&files)), Some(files));
        assert_eq!(decode_manifest(&[1, 0, 0]), None);
    }
}
