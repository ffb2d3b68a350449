//! Reading a file for a content check: a regular file only, read whole and
//! at most once, never through a symlink, never blocking on a FIFO, and
//! never more than [`MAX_SCAN_BYTES`]; binary files (a NUL byte in the first
//! 8000 bytes, as git decides) are skipped.
//!
//! What cannot be read becomes a note or nothing, never an error that stops
//! the other files.

use super::check::FileResult;
use super::large_files::human_bytes;
use crate::files::root::Root;
use std::io::Read;

/// Files larger than this are not read by content checks; they get a note.
pub(crate) const MAX_SCAN_BYTES: u64 = 32 << 20;

/// How many leading bytes decide that a file is binary.
const BINARY_PROBE: usize = 8000;

enum ReadError {
    TooLarge(u64),
    /// A FIFO, socket or device: what it is.
    Special(&'static str),
    Io(std::io::Error),
}

/// The content of `rel` to scan, or what to report instead: nothing (not a
/// regular file), a note (too large, unreadable), or a binary file.
pub(super) fn read_text(root: &Root, rel: &str) -> Result<Vec<u8>, FileResult> {
    let content = match read_regular(root, rel) {
        Ok(Some(c)) => c,
        Ok(None) => return Err(FileResult::Nothing),
        Err(ReadError::TooLarge(size)) => {
            return Err(FileResult::Note(format!(
                "not checked: {} is larger than the {} pqg reads",
                human_bytes(size),
                human_bytes(MAX_SCAN_BYTES)
            )))
        }
        Err(ReadError::Special(what)) => {
            return Err(FileResult::Note(format!(
                "not checked: a {what}, not a regular file"
            )))
        }
        Err(ReadError::Io(e)) => return Err(FileResult::Note(format!("cannot read: {e}"))),
    };
    if is_binary(&content) {
        return Err(FileResult::Binary);
    }
    Ok(content)
}

/// Whether `content` holds a NUL byte in its first [`BINARY_PROBE`] bytes.
pub(super) fn is_binary(content: &[u8]) -> bool {
    let probe = &content[..content.len().min(BINARY_PROBE)];
    memchr::memchr(0, probe).is_some()
}

/// Reads a regular file whole, without following a symlink and without
/// blocking on a FIFO; `None` for a symlink, a folder or a file gone, and
/// [`ReadError::Special`] for a FIFO, socket or device.
fn read_regular(root: &Root, rel: &str) -> Result<Option<Vec<u8>>, ReadError> {
    let file = match root.open_nofollow(rel) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        // O_NOFOLLOW on a symlink.
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Ok(None),
        // What opening a socket says.
        Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {
            return Err(ReadError::Special("socket"))
        }
        Err(e) => return Err(ReadError::Io(e)),
    };
    let meta = file.metadata().map_err(ReadError::Io)?;
    let kind = meta.file_type();
    if !kind.is_file() {
        return match special_kind(kind) {
            Some(what) => Err(ReadError::Special(what)),
            None => Ok(None),
        };
    }
    if meta.len() > MAX_SCAN_BYTES {
        return Err(ReadError::TooLarge(meta.len()));
    }
    let mut content = Vec::with_capacity(meta.len() as usize);
    // Bounded even if the file grows while it is read.
    file.take(MAX_SCAN_BYTES + 1)
        .read_to_end(&mut content)
        .map_err(ReadError::Io)?;
    if content.len() as u64 > MAX_SCAN_BYTES {
        return Err(ReadError::TooLarge(content.len() as u64));
    }
    Ok(Some(content))
}

/// What a FIFO, socket or device is called; `None` for anything else.
pub(super) fn special_kind(kind: std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        Some("FIFO")
    } else if kind.is_socket() {
        Some("socket")
    } else if kind.is_block_device() || kind.is_char_device() {
        Some("device")
    } else {
        None
    }
}
