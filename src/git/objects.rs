//! Commit objects read from a repository's object store, loose or packed,
//! enough to learn a commit's tree. A commit stored as a delta, in an
//! alternate object store, or anywhere this reader does not look is an
//! error: the caller then asks git.

use super::index::SHA1_LEN;
use super::Dirs;
use anyhow::{bail, ensure, Context};
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;

/// The tree of the commit `id` (hex).
pub(crate) fn commit_tree(dirs: &Dirs, id: &str) -> anyhow::Result<[u8; SHA1_LEN]> {
    super::index::check_sha1(dirs)?;
    let oid = parse_hex(id).context("not a SHA-1 object id")?;
    let body = commit_body(dirs, id, &oid)?;
    let line = body
        .split(|&b| b == b'\n')
        .next()
        .and_then(|l| l.strip_prefix(b"tree "))
        .context("a commit without a tree line")?;
    parse_hex(std::str::from_utf8(line)?).context("a bad tree id in a commit")
}

fn parse_hex(hex: &str) -> Option<[u8; SHA1_LEN]> {
    if hex.len() != 2 * SHA1_LEN {
        return None;
    }
    let mut out = [0u8; SHA1_LEN];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// The largest commit read; a bigger one is left to git.
const MAX_COMMIT: usize = 1 << 20;

/// A commit's content, without the object header.
fn commit_body(dirs: &Dirs, hex: &str, oid: &[u8; SHA1_LEN]) -> anyhow::Result<Vec<u8>> {
    let objects = dirs.common.join("objects");
    let loose = objects.join(&hex[..2]).join(&hex[2..]);
    if let Ok(file) = File::open(&loose) {
        let raw = inflate(file, MAX_COMMIT + 64)?;
        let nul = raw
            .iter()
            .position(|&b| b == 0)
            .context("a loose object without a header")?;
        ensure!(raw.starts_with(b"commit "), "{hex} is not a commit");
        return Ok(raw[nul + 1..].to_vec());
    }
    for entry in std::fs::read_dir(objects.join("pack")).context("no pack folder")? {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "idx") {
            continue;
        }
        // Packs and their indexes run to gigabytes: read only the pieces
        // needed, never the files.
        let idx = File::open(&path)?;
        if let Some(offset) = find_in_idx(&|at, buf| idx.read_exact_at(buf, at), oid)? {
            let pack = File::open(path.with_extension("pack"))?;
            return packed_commit(ReadFrom {
                file: &pack,
                at: offset,
            });
        }
    }
    bail!("commit {hex} not found in this object store")
}

/// Reads `buf.len()` bytes at an offset.
type ReadAt<'a> = &'a dyn Fn(u64, &mut [u8]) -> std::io::Result<()>;

/// The pack offset of `oid` in a version 2 pack index: the fanout table,
/// then a binary search over the sorted ids, ~20 reads for a million
/// objects.
fn find_in_idx(read: ReadAt<'_>, oid: &[u8; SHA1_LEN]) -> anyhow::Result<Option<u64>> {
    let mut head = vec![0u8; 8 + 256 * 4];
    read(0, &mut head).context("a pack index too short")?;
    ensure!(
        head[..8] == [0xff, b't', b'O', b'c', 0, 0, 0, 2],
        "not a version 2 pack index"
    );
    let fanout = |i: usize| {
        u32::from_be_bytes([
            head[8 + 4 * i],
            head[9 + 4 * i],
            head[10 + 4 * i],
            head[11 + 4 * i],
        ]) as u64
    };
    let count = fanout(255);
    let ids_at = head.len() as u64;
    let offsets_at = ids_at + count * (SHA1_LEN as u64 + 4);
    let first = usize::from(oid[0]);
    let (mut lo, mut hi) = (
        if first == 0 { 0 } else { fanout(first - 1) },
        fanout(first),
    );
    ensure!(lo <= hi && hi <= count, "a bad pack index fanout");
    let mut id = [0u8; SHA1_LEN];
    while lo < hi {
        let mid = (lo + hi) / 2;
        read(ids_at + mid * SHA1_LEN as u64, &mut id).context("a pack index cut short")?;
        match id.cmp(oid) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => {
                let mut small = [0u8; 4];
                read(offsets_at + mid * 4, &mut small).context("a pack index cut short")?;
                let small = u32::from_be_bytes(small);
                if small & 0x8000_0000 == 0 {
                    return Ok(Some(u64::from(small)));
                }
                let mut large = [0u8; 8];
                let at = offsets_at + count * 4 + u64::from(small & 0x7fff_ffff) * 8;
                read(at, &mut large).context("a bad large pack offset")?;
                return Ok(Some(u64::from_be_bytes(large)));
            }
        }
    }
    Ok(None)
}

/// A file read from an offset on, without moving a shared cursor.
struct ReadFrom<'a> {
    file: &'a File,
    at: u64,
}

impl Read for ReadFrom<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read_at(buf, self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

/// The commit stored whole at the start of `entry` (a pack entry: type
/// and size, then the zlib stream).
fn packed_commit(mut entry: impl Read) -> anyhow::Result<Vec<u8>> {
    let mut next = || -> anyhow::Result<u8> {
        let mut b = [0u8; 1];
        entry.read_exact(&mut b).context("a pack entry cut short")?;
        Ok(b[0])
    };
    let mut byte = next()?;
    let kind = (byte >> 4) & 7;
    let mut size = u64::from(byte & 0x0f);
    let mut shift = 4;
    while byte & 0x80 != 0 {
        byte = next()?;
        ensure!(shift < 57, "a bad pack entry size");
        size |= u64::from(byte & 0x7f) << shift;
        shift += 7;
    }
    ensure!(
        kind == 1,
        "the commit is stored as a delta (pack type {kind})"
    );
    ensure!(size <= MAX_COMMIT as u64, "a commit of {size} bytes");
    let body = inflate(entry, size as usize)?;
    ensure!(body.len() as u64 == size, "a pack entry of the wrong size");
    Ok(body)
}

/// Inflates a zlib stream, refusing more than `limit` bytes.
fn inflate(compressed: impl Read, limit: usize) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .context("a damaged object")?;
    ensure!(out.len() <= limit, "an object larger than expected");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = crate::git::command(dir)
            .args([
                "-c",
                "user.email=a@b",
                "-c",
                "user.name=n",
                "-c",
                "gc.auto=0",
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn a_commits_tree_is_read_loose_and_packed() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        git(d, &["init", "-q"]);
        for i in 0..30 {
            std::fs::write(d.join(format!("f{i}")), format!("{i}\n")).unwrap();
            git(d, &["add", "."]);
            git(d, &["commit", "-qm", &format!("commit {i}\n\nwith a body")]);
        }
        let dirs = super::super::dirs(d).unwrap();
        let check = |what: &str| {
            for rev in ["HEAD", "HEAD~1", "HEAD~17", "HEAD~29"] {
                let commit = git(d, &["rev-parse", rev]);
                let tree = git(d, &["rev-parse", &format!("{rev}^{{tree}}")]);
                assert_eq!(
                    hex(&commit_tree(&dirs, &commit).unwrap()),
                    tree,
                    "{what} {rev}"
                );
            }
        };
        check("loose");
        git(d, &["gc", "-q", "--aggressive"]);
        assert!(!d
            .join(".git/objects")
            .join(&git(d, &["rev-parse", "HEAD"])[..2])
            .exists());
        check("packed");
        let missing = "0123456789abcdef0123456789abcdef01234567";
        assert!(commit_tree(&dirs, missing).is_err());
        let blob = git(d, &["rev-parse", "HEAD:f1"]);
        assert!(commit_tree(&dirs, &blob).is_err(), "a blob is not a commit");
        assert!(commit_tree(&dirs, "nothex").is_err());
    }

    #[test]
    fn damaged_pack_indexes_and_packs_are_errors_not_panics() {
        let oid = [7u8; SHA1_LEN];
        let over = |bytes: Vec<u8>| {
            move |at: u64, buf: &mut [u8]| -> std::io::Result<()> {
                let at = at as usize;
                let piece = bytes
                    .get(at..at + buf.len())
                    .ok_or(std::io::ErrorKind::UnexpectedEof)?;
                buf.copy_from_slice(piece);
                Ok(())
            }
        };
        assert!(find_in_idx(&over(b"short".to_vec()), &oid).is_err());
        let mut idx = vec![0xff, b't', b'O', b'c', 0, 0, 0, 2];
        // Fanout: no id starts below 7, nine ids start with 7 or less.
        idx.extend(std::iter::repeat_n(0u8, 7 * 4));
        for _ in 7..256 {
            idx.extend(9u32.to_be_bytes());
        }
        assert!(find_in_idx(&over(idx), &oid).is_err(), "ids past the end");
        for pack in [
            &b""[..],
            &[0x90][..],
            &[0x10, 0x78, 0x9c][..],
            &[0x60, 0][..],
        ] {
            assert!(packed_commit(pack).is_err(), "{pack:?}");
        }
    }
}
