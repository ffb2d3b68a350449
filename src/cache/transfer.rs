//! `pqg cache export FILE` / `pqg cache import FILE`: carrying cache entries
//! between machines (CI jobs, shards, a developer's laptop).
//!
//! A shared cache is an attack surface (DESIGN §11): a job that can write
//! it could plant a "pass" for inputs it chose. So an import checks that
//! each entry's key is the hash of its parts (no entry answers for inputs
//! other than its own), never replaces a newer entry, and, when
//! `PQG_CACHE_SIGNING_KEY` is set, accepts only entries signed with that key
//! (HMAC-SHA256 over the whole entry): one unsigned or wrongly signed entry
//! refuses the whole file, and nothing is imported.

use super::entry::{intact_row, prune, EntryRow, StoredResult, ENTRY_COLUMNS};
use super::key::{hex, CacheKey, KeyParts, KEY_FORMAT};
use super::manifest::{decode_manifest, put_manifest};
use crate::settings::SIGNING_KEY_VAR;
use hmac::{Hmac, KeyInit, Mac};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The name of an export file's format, and its version.
pub(crate) const FORMAT: &str = "pqg-cache-export";
/// The export format's version this pqg writes and reads.
pub(crate) const VERSION: u32 = 1;

/// An export file: a header and every exported entry.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Export {
    pub format: String,
    pub version: u32,
    pub key_format: u32,
    pub pqg_version: String,
    pub entries: Vec<ExportedEntry>,
}

/// One cache entry as exported: the stored row, as text.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ExportedEntry {
    pub key: String,
    pub gate: String,
    pub created_ns: i64,
    pub pqg_version: String,
    /// The key parts, as stored (JSON).
    pub parts: String,
    /// The result, as stored (JSON).
    pub payload: String,
    /// The input manifest, hex, when there is one.
    pub manifest: Option<String>,
    /// HMAC-SHA256 of the entry, hex, when exported with a signing key.
    pub signature: Option<String>,
}

impl ExportedEntry {
    fn signed_bytes(&self) -> Vec<u8> {
        // A leading byte tells "no manifest" from an empty one.
        let mut out = vec![u8::from(self.manifest.is_some())];
        for part in [
            self.key.as_bytes(),
            self.gate.as_bytes(),
            &self.created_ns.to_le_bytes(),
            self.pqg_version.as_bytes(),
            self.parts.as_bytes(),
            self.payload.as_bytes(),
            self.manifest.as_deref().unwrap_or("").as_bytes(),
        ] {
            out.extend_from_slice(&(part.len() as u64).to_le_bytes());
            out.extend_from_slice(part);
        }
        out
    }

    fn mac(&self, key: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
        mac.update(&self.signed_bytes());
        mac
    }
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Every entry of the cache, signed when `key` is given.
/// An export with no entries: what a cache with no database yet exports.
pub(crate) fn empty() -> Export {
    Export {
        format: FORMAT.to_owned(),
        version: VERSION,
        key_format: KEY_FORMAT,
        pqg_version: env!("CARGO_PKG_VERSION").to_owned(),
        entries: Vec::new(),
    }
}

pub(crate) fn export(conn: &Connection, key: Option<&[u8]>) -> rusqlite::Result<Export> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {ENTRY_COLUMNS}, (SELECT data FROM manifests WHERE digest = entries.inputs)
         FROM entries ORDER BY gate, created_ns"
    ))?;
    let rows = stmt.query_map([], |r| {
        Ok((intact_row(r)?, r.get::<_, Option<Vec<u8>>>(7)?))
    })?;
    let mut entries = Vec::new();
    for row in rows {
        // Only intact rows leave the machine.
        let (Some(row), manifest) = row? else {
            continue;
        };
        let Ok(payload) = String::from_utf8(row.payload) else {
            continue;
        };
        let mut entry = ExportedEntry {
            key: hex(&row.key),
            gate: row.gate,
            created_ns: row.created_ns,
            pqg_version: row.pqg_version,
            parts: row.parts,
            payload,
            manifest: manifest.map(|m| hex(&m)),
            signature: None,
        };
        if let Some(secret) = key {
            entry.signature = Some(hex(&entry.mac(secret).finalize().into_bytes()));
        }
        entries.push(entry);
    }
    Ok(Export { entries, ..empty() })
}

/// Why an export cannot be imported.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ImportError {
    #[error("not a pqg cache export: {0}")]
    NotAnExport(String),
    #[error("made by an incompatible pqg ({0}); this pqg reads export version {VERSION}, key format {KEY_FORMAT}")]
    Incompatible(String),
    #[error("refused: {0}; nothing was imported")]
    Refused(String),
}

/// What an import did.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Imported {
    pub added: usize,
    /// Entries already here, as new or newer (or repeated in the file).
    pub kept_newer: usize,
    /// Signed entries imported without a key to check them with.
    pub unverified: usize,
    /// Unsigned entries imported (no key was set).
    pub unsigned: usize,
}

/// An entry that passed every check, ready to write.
struct CheckedEntry<'e> {
    key: [u8; 32],
    entry: &'e ExportedEntry,
    parts: KeyParts,
    manifest: Option<Vec<u8>>,
}

/// Checks every entry of `text` first, then imports them all in one
/// transaction.
pub(crate) fn import(
    conn: &Connection,
    text: &str,
    key: Option<&[u8]>,
    now_ns: i64,
) -> Result<Imported, ImportError> {
    let export = read_export(text)?;
    let mut imported = Imported::default();
    let mut rows = Vec::with_capacity(export.entries.len());
    for (i, e) in export.entries.iter().enumerate() {
        let which = format!("entry {} (gate `{}`)", i + 1, e.gate);
        verify_signature(e, key, &which, &mut imported)?;
        rows.push(check_entry(e, &which)?);
    }
    // One entry per key: the newest.
    rows.sort_by(|a, b| {
        a.key
            .cmp(&b.key)
            .then(b.entry.created_ns.cmp(&a.entry.created_ns))
    });
    let before = rows.len();
    rows.dedup_by(|later, earlier| later.key == earlier.key);
    imported.kept_newer += before - rows.len();
    super::db::immediate(conn, |tx| write_entries(tx, &rows, now_ns, &mut imported))
        .map_err(|e| ImportError::Refused(format!("the cache database: {e}")))?;
    Ok(imported)
}

/// Parses an export and checks that this pqg can read it.
fn read_export(text: &str) -> Result<Export, ImportError> {
    let export: Export =
        serde_json::from_str(text).map_err(|e| ImportError::NotAnExport(e.to_string()))?;
    if export.format != FORMAT {
        return Err(ImportError::NotAnExport(format!(
            "its format is `{}`",
            export.format
        )));
    }
    if export.version != VERSION || export.key_format != KEY_FORMAT {
        return Err(ImportError::Incompatible(format!(
            "export version {}, key format {}, written by pqg {}",
            export.version, export.key_format, export.pqg_version
        )));
    }
    Ok(export)
}

/// With a signing key, refuses an entry not signed with it; without one,
/// counts the entry as unverified or unsigned.
fn verify_signature(
    e: &ExportedEntry,
    key: Option<&[u8]>,
    which: &str,
    imported: &mut Imported,
) -> Result<(), ImportError> {
    match (key, &e.signature) {
        (Some(_), None) => return Err(ImportError::Refused(format!("{which} is not signed"))),
        (Some(secret), Some(sig)) => {
            let ok = unhex(sig).is_some_and(|sig| e.mac(secret).verify_slice(&sig).is_ok());
            if !ok {
                return Err(ImportError::Refused(format!(
                    "{which} is not signed with this {SIGNING_KEY_VAR}"
                )));
            }
        }
        (None, Some(_)) => imported.unverified += 1,
        (None, None) => imported.unsigned += 1,
    }
    Ok(())
}

/// Checks that an entry's key is the hash of its parts, its result parses,
/// and its manifest is the list its inputs digest names.
fn check_entry<'e>(e: &'e ExportedEntry, which: &str) -> Result<CheckedEntry<'e>, ImportError> {
    let bad = |why: &str| ImportError::Refused(format!("{which}: {why}"));
    let k = unhex(&e.key)
        .and_then(|k| <[u8; 32]>::try_from(k).ok())
        .ok_or_else(|| bad("its key is not 32 bytes of hex"))?;
    let parts: KeyParts =
        serde_json::from_str(&e.parts).map_err(|_| bad("its key parts do not parse"))?;
    // The key must be the hash of the parts: an entry answers only for
    // the inputs, command and environment it was made from.
    if parts.key() != CacheKey(k) || parts.format != KEY_FORMAT {
        return Err(bad("its key is not the hash of its key parts"));
    }
    serde_json::from_str::<StoredResult>(&e.payload)
        .map_err(|_| bad("its result does not parse"))?;
    let manifest = match &e.manifest {
        Some(m) => {
            let data = unhex(m).ok_or_else(|| bad("its manifest is not hex"))?;
            // The file list must be the one the key's inputs digest names.
            let files = decode_manifest(&data).ok_or_else(|| bad("its manifest does not parse"))?;
            if hex(&crate::files::hash::digest_of(&files)) != parts.inputs {
                return Err(bad("its manifest is not the list of its inputs"));
            }
            Some(data)
        }
        None => None,
    };
    Ok(CheckedEntry {
        key: k,
        entry: e,
        parts,
        manifest,
    })
}

/// Writes the checked entries that are newer than what is stored, then
/// prunes their gates.
fn write_entries(
    tx: &Connection,
    rows: &[CheckedEntry<'_>],
    now_ns: i64,
    imported: &mut Imported,
) -> rusqlite::Result<()> {
    for row in rows {
        let e = row.entry;
        let existing: Option<i64> = tx
            .query_row(
                "SELECT created_ns FROM entries WHERE key = ?1",
                [&row.key[..]],
                |r| r.get(0),
            )
            .optional()?;
        // A time from the future would never be replaced nor pruned.
        let created_ns = e.created_ns.min(now_ns);
        if existing.is_some_and(|t| t >= created_ns) {
            imported.kept_newer += 1;
            continue;
        }
        EntryRow {
            key: row.key.to_vec(),
            gate: e.gate.clone(),
            created_ns,
            pqg_version: e.pqg_version.clone(),
            parts: e.parts.clone(),
            payload: e.payload.clone().into_bytes(),
        }
        .put(tx, &row.parts.inputs)?;
        if let Some(data) = &row.manifest {
            put_manifest(tx, &row.parts.inputs, data)?;
        }
        imported.added += 1;
    }
    // The same bound on entries per gate as when results are stored.
    let gates: std::collections::BTreeSet<&str> =
        rows.iter().map(|row| row.entry.gate.as_str()).collect();
    prune(tx, gates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        assert_eq!(unhex(&hex(&[0, 1, 254, 255])), Some(vec![0, 1, 254, 255]));
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
    }
}
