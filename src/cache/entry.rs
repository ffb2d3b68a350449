//! Cache entries as values and as rows: what a stored result holds, how a
//! row of `entries` is written, checked and read back, and how old entries
//! are pruned.
//!
//! Every row carries a checksum over key, gate, parts and payload, computed
//! on the way in and checked on the way out; a row that does not read back
//! intact is a miss, never an error. This module only runs SQL on a
//! connection it is given: it never opens the database nor decides what a
//! database problem means (that is [`super::Cache`]'s business).

use super::key::{CacheKey, KeyParts};
use super::manifest::{encode_manifest, put_manifest};
use crate::files::snapshot::FileEntry;
use crate::parsers::detail::MetricDetail;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

/// How many entries per gate are kept; older ones are pruned on store.
const ENTRIES_PER_GATE: i64 = 20;

/// A stored result: what a gate's execution produced, enough to judge it
/// again at any stage.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct StoredResult {
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

/// How a stored execution ended.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub(crate) enum StoredExit {
    Exited(i32),
    Signalled(i32),
}

/// A stored metric: its value (with what it found besides, for a source
/// that names places), or why it could not be read.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) enum StoredMetric {
    Value(f64),
    Detailed { value: f64, detail: MetricDetail },
    Error(String),
}

/// A cache entry read back whole.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub key: CacheKey,
    pub created_ns: i64,
    pub pqg_version: String,
    pub parts: KeyParts,
    pub result: StoredResult,
}

/// One result to store.
pub(crate) struct StoreItem<'a> {
    pub key: CacheKey,
    pub gate: &'a str,
    pub parts: &'a KeyParts,
    pub files: &'a [FileEntry],
    pub result: StoredResult,
}

/// A BLAKE3 hash of `parts`, each length-prefixed.
pub(super) fn checksum(parts: &[&[u8]]) -> Vec<u8> {
    let mut h = blake3::Hasher::new();
    for p in parts {
        h.update(&(p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().as_bytes().to_vec()
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

/// Writes `items` (each with its manifest, unless stored already) and
/// prunes their gates.
pub(super) fn store_items(
    tx: &Connection,
    items: &[StoreItem<'_>],
    now_ns: i64,
) -> rusqlite::Result<()> {
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

/// The first entry `filter` (an SQL `WHERE ...` tail taking `arg`) selects,
/// if it reads back intact.
pub(super) fn read_entry(
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
        created_ns: row.created_ns,
        pqg_version: row.pqg_version,
        parts,
        result,
    }))
}
