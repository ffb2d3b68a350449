//! Input manifests: the list of files (path and content hash) behind an
//! inputs digest, stored once per digest so `explain` can name the files
//! that changed.
//!
//! The encoding is a version tag, then a plain sequence of length-prefixed
//! path, mode byte and 32-byte hash; decoding anything malformed (or a
//! manifest of an older version) yields `None`, never a panic.

use super::entry::checksum;
use crate::files::snapshot::{FileEntry, Mode};
use rusqlite::{params, Connection};

/// Version 2 carries each file's mode; version 1 had none.
const MANIFEST_TAG: &[u8; 8] = b"pqgman02";

/// The bytes of a manifest.
pub(super) fn encode_manifest(files: &[FileEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + files.len() * 64);
    out.extend_from_slice(MANIFEST_TAG);
    for f in files {
        out.extend_from_slice(&(f.path.len() as u32).to_le_bytes());
        out.extend_from_slice(f.path.as_bytes());
        out.push(f.mode.byte());
        out.extend_from_slice(&f.hash);
    }
    out
}

/// The files of a manifest, or `None` if `data` is not one.
pub(super) fn decode_manifest(data: &[u8]) -> Option<Vec<FileEntry>> {
    let mut data = data.strip_prefix(MANIFEST_TAG)?;
    let mut files = Vec::new();
    while !data.is_empty() {
        let len = u32::from_le_bytes(data.get(..4)?.try_into().ok()?) as usize;
        data = &data[4..];
        let path = std::str::from_utf8(data.get(..len)?).ok()?.to_owned();
        data = &data[len..];
        let mode = Mode::from_byte(*data.first()?)?;
        data = &data[1..];
        let hash: [u8; 32] = data.get(..32)?.try_into().ok()?;
        data = &data[32..];
        files.push(FileEntry { path, mode, hash });
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
                mode: Mode::Exec,
                hash: [1; 32],
            },
            FileEntry {
                path: "dir/é".into(),
                mode: Mode::Symlink,
                hash: [2; 32],
            },
        ];
        assert_eq!(
            decode_manifest(&encode_manifest(&files)),
            Some(files.clone())
        );
        assert_eq!(decode_manifest(&[1, 0, 0]), None);
        let mut old = encode_manifest(&files);
        old.drain(..8);
        assert_eq!(decode_manifest(&old), None, "a version 1 manifest");
    }
}
