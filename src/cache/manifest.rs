//! Input manifests: the list of files (path and content hash) behind an
//! inputs digest, stored once per digest so `explain` can name the files
//! that changed.
//!
//! The encoding is a plain sequence of length-prefixed path and 32-byte
//! hash; decoding anything malformed yields `None`, never a panic.

use super::entry::checksum;
use crate::files::snapshot::FileEntry;
use rusqlite::{params, Connection};

/// The bytes of a manifest.
pub(super) fn encode_manifest(files: &[FileEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(files.len() * 64);
    for f in files {
        out.extend_from_slice(&(f.path.len() as u32).to_le_bytes());
        out.extend_from_slice(f.path.as_bytes());
        out.extend_from_slice(&f.hash);
    }
    out
}

/// The files of a manifest, or `None` if `data` is not one.
pub(super) fn decode_manifest(mut data: &[u8]) -> Option<Vec<FileEntry>> {
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

/// Stores a manifest under `digest`, unless one is there already.
pub(crate) fn put_manifest(tx: &Connection, digest: &str, data: &[u8]) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR IGNORE INTO manifests (digest, data, checksum) VALUES (?1, ?2, ?3)",
        params![digest, data, checksum(&[data])],
    )?;
    Ok(())
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
