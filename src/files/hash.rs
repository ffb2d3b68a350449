//! Content hashes (BLAKE3): of one file, symlink or submodule, and the
//! digest of a set of input files that a cache key is made from.

use super::filter::{under_places, InputFilter};
use super::root::{FileState, Kind, Root, Target};
use super::snapshot::{FileEntry, InputFiles, Snapshot};
use crate::git::submodule::Checkout;
use crate::sys::name;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;

/// A content hash (BLAKE3).
pub(crate) type Hash = [u8; 32];

/// Files up to this size are read whole into memory and hashed at once;
/// larger ones are streamed through the hasher (unless a [`ContentTap`]
/// wants their bytes).
const BUFFERED_BYTES: u64 = 64 * 1024;

/// Sees the bytes of the regular files the snapshot reads, as it hashes
/// them: a builtin check scans what the hash read, so a cold run reads a
/// file once for both (issue 14). Only files whose hash is computed pass
/// through it; one the stat index vouches for is not read at all.
pub trait ContentTap: Sync {
    /// Whether the content of `rel` (`size` bytes, as its lstat said) is
    /// wanted: then it is read whole, whatever its size.
    fn wants(&self, rel: &str, size: u64) -> bool;
    /// The bytes of `rel` that were hashed.
    fn content(&self, rel: &str, bytes: &[u8]);
}

/// Why a path has no hash: a symlink to a folder is not followed (its
/// files are not inputs), and says so.
pub(crate) fn link_to_folder() -> std::io::Error {
    std::io::Error::other("a symlink to a folder: its files are not read")
}

/// Hashes what `rel` (relative to `root`) holds, as `state` describes it:
/// a file's content; a symlink's target text and what a reader following
/// it sees (the file's content and executable bit, or that it leads
/// nowhere or loops). Never blocks on a FIFO; a symlink to one, or to a
/// device, is hashed by its kind, never opened. The mode of the path
/// itself is not part of this hash: it is kept beside it ([`Mode`]).
pub(crate) fn hash_file(
    root: &Root,
    rel: &str,
    state: &FileState,
    kind: Kind,
    tap: Option<&dyn ContentTap>,
) -> std::io::Result<Hash> {
    if kind == Kind::Special {
        return Ok(special_file(rel));
    }
    let mut hasher = blake3::Hasher::new();
    if kind == Kind::Symlink {
        hasher.update(b"symlink\0");
        let text = std::fs::read_link(root.path().join(name::to_path(rel)))?;
        let text = text.as_os_str().as_encoded_bytes();
        hasher.update(&(text.len() as u64).to_le_bytes());
        hasher.update(text);
        match state.target.as_deref() {
            None | Some(Target::Dangling) => {
                hasher.update(b"dangling");
            }
            Some(Target::Loop) => {
                hasher.update(b"loop");
            }
            Some(Target::Found(t)) if t.is_file() => {
                hasher.update(if t.is_exec() { b"exec\0" } else { b"file\0" });
                let file = std::fs::OpenOptions::new()
                    .read(true)
                    .custom_flags(libc::O_NONBLOCK)
                    .open(root.path().join(name::to_path(rel)))?;
                if !file.metadata()?.is_file() {
                    // Replaced by something else since the stat: the next
                    // run's stat differs, and this one cannot be trusted.
                    return Err(std::io::Error::other("a symlink's target changed"));
                }
                read_into(&mut hasher, file, t.size)?;
            }
            Some(Target::Found(t)) if t.is_dir() => return Err(link_to_folder()),
            Some(Target::Found(t)) => {
                hasher.update(b"special\0");
                hasher.update(&(t.mode & 0o170000).to_le_bytes());
            }
        }
        return Ok(*hasher.finalize().as_bytes());
    }
    hasher.update(b"file\0");
    let mut file = root.open_nofollow(rel)?;
    // Never read, should the file have become a FIFO since its lstat.
    if !file.metadata()?.is_file() {
        return Ok(special_file(rel));
    }
    match tap.filter(|t| t.wants(rel, state.size)) {
        Some(tap) => {
            let bytes = read_sized(&mut file, state.size)?;
            hasher.update(&bytes);
            tap.content(rel, &bytes);
        }
        None => read_into(&mut hasher, file, state.size)?,
    }
    Ok(*hasher.finalize().as_bytes())
}

/// The hash of a FIFO, socket or device, which is never read: a state of
/// its own ("special file").
fn special_file(rel: &str) -> Hash {
    crate::debug!(
        "files: {} is not a regular file: not read, keyed as a special file",
        name::display(rel)
    );
    *blake3::hash(b"special file\0").as_bytes()
}

fn read_into(
    hasher: &mut blake3::Hasher,
    mut file: std::fs::File,
    size: u64,
) -> std::io::Result<()> {
    if size <= BUFFERED_BYTES {
        hasher.update(&read_sized(&mut file, size)?);
    } else {
        hasher.update_reader(&mut file)?;
    }
    Ok(())
}

/// Reads `file` whole, `size` being what its lstat said: one `read` call
/// for a file that still has that size (a regular file gives less than
/// asked only at its end), where `read_to_end` would also `statx`, `lseek`
/// and read once more to see the end. A file that grew since is read on
/// to its end; either way the state recorded before the read differs from
/// the file's after a write, so the bytes are never trusted beyond it
/// (DESIGN §5).
fn read_sized(file: &mut std::fs::File, size: u64) -> std::io::Result<Vec<u8>> {
    let size = usize::try_from(size).unwrap_or(usize::MAX - 1);
    let mut buf = vec![0; size + 1];
    let mut filled = 0;
    loop {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => {
                filled += n;
                if filled == buf.len() {
                    // It grew since the lstat: the rest, as it comes.
                    buf.truncate(filled);
                    file.read_to_end(&mut buf)?;
                    return Ok(buf);
                }
                if filled >= size {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(buf)
}

/// A submodule's entry "hash": the commit checked out, its raw bytes
/// (SHA-1 padded with zeros, or SHA-256), so `explain` can name it; all
/// zeros when it is not checked out, all ones when it has no commit.
pub(crate) fn submodule_hash(checkout: &Checkout) -> Hash {
    match checkout {
        Checkout::Absent => [0; 32],
        Checkout::NoCommit => [0xff; 32],
        Checkout::Commit(hex) => {
            let mut out = [0u8; 32];
            for (i, byte) in out.iter_mut().enumerate().take(hex.len() / 2) {
                *byte = hex
                    .get(2 * i..2 * i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .unwrap_or(0);
            }
            out
        }
    }
}

/// How `explain` names a submodule's entry hash (see [`submodule_hash`]).
pub(crate) fn describe_submodule(hash: &Hash) -> String {
    if *hash == [0; 32] {
        return "not checked out".to_owned();
    }
    if *hash == [0xff; 32] {
        return "no commit".to_owned();
    }
    let len = if hash[20..].iter().all(|&b| b == 0) {
        20
    } else {
        32
    };
    let hex: String = hash[..len].iter().map(|b| format!("{b:02x}")).collect();
    format!("commit {hex}")
}

/// The digest of a set of input files: every path, mode and content hash,
/// in path order, length-prefixed so that no two different sets hash alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InputsDigest {
    pub digest: Hash,
    pub count: usize,
    /// Matching files that could not be read; a gate with any is not cached.
    pub unreadable: usize,
}

/// The digest of a list of input files, as [`digest`] computes it.
pub(crate) fn digest_of(files: &[FileEntry]) -> Hash {
    let mut hasher = blake3::Hasher::new();
    for f in files {
        hasher.update(&(f.path.len() as u64).to_le_bytes());
        hasher.update(f.path.as_bytes());
        hasher.update(&[f.mode.byte()]);
        hasher.update(&f.hash);
    }
    *hasher.finalize().as_bytes()
}

/// Selects the files of `snapshot` that `filter` admits and digests them.
/// When it admits one run of the snapshot's files (every file, or those
/// under one folder), the list is that run of the snapshot's own (shared,
/// not copied: 20,000 entries for a gate with no `inputs`).
pub(crate) fn digest(snapshot: &Snapshot, filter: &InputFilter) -> (InputsDigest, InputFiles) {
    // One contiguous buffer, hashed at once: BLAKE3 is several times faster
    // on one large input than on 60,000 small updates.
    // Only the paths under the places the globs name are matched (all of
    // them for a glob with no fixed folder): a gate on `d07/**` looks at
    // what `d07` holds, not at the whole tree.
    let files = &snapshot.files;
    let ranges = match filter.bounds() {
        Some(places) => under_places(files.len(), |i| files[i].path.as_str(), places),
        None => std::iter::once(0..files.len()).collect(),
    };
    let candidates = ranges.iter().map(ExactSizeIterator::len).sum::<usize>();
    let mut buf = Vec::with_capacity(candidates * 80);
    let mut chosen: Vec<usize> = Vec::with_capacity(candidates);
    for i in ranges.into_iter().flatten() {
        let f = &files[i];
        if filter.matches(&f.path) {
            buf.extend_from_slice(&(f.path.len() as u64).to_le_bytes());
            buf.extend_from_slice(f.path.as_bytes());
            buf.push(f.mode.byte());
            buf.extend_from_slice(&f.hash);
            chosen.push(i);
        }
    }
    let mut hasher = blake3::Hasher::new();
    hasher.update(&buf);
    let unreadable = snapshot
        .unreadable
        .iter()
        .filter(|p| filter.matches(p))
        .count();
    let count = chosen.len();
    // One run of the list (every file, or all under one folder): shared.
    let first = chosen.first().copied().unwrap_or(0);
    let one_run = chosen.iter().enumerate().all(|(k, &i)| i == first + k);
    let chosen = if one_run {
        InputFiles::shared(files, first..first + count)
    } else {
        InputFiles::owned(chosen.into_iter().map(|i| files[i].clone()).collect())
    };
    (
        InputsDigest {
            digest: *hasher.finalize().as_bytes(),
            count,
            unreadable,
        },
        chosen,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::snapshot::Mode;

    #[test]
    fn a_gate_on_every_file_shares_the_snapshots_list() {
        let snapshot = Snapshot {
            files: ["a", "b/c", "d"]
                .iter()
                .map(|p| FileEntry {
                    path: (*p).to_owned(),
                    mode: Mode::File,
                    hash: [1; 32],
                })
                .collect::<Vec<_>>()
                .into(),
            ..Snapshot::default()
        };
        let all = InputFilter::new(None).unwrap();
        let (_, chosen) = digest(&snapshot, &all);
        let all = (std::sync::Arc::as_ptr(&snapshot.files), 0, 3);
        assert_eq!(chosen.id(), all, "every file: shared");
        let some = InputFilter::new(Some(&["b/**".to_owned()])).unwrap();
        let (d, chosen) = digest(&snapshot, &some);
        assert_eq!((d.count, chosen[0].path.as_str()), (1, "b/c"));
        let run = (std::sync::Arc::as_ptr(&snapshot.files), 1, 2);
        assert_eq!(chosen.id(), run, "a run: shared");
        let apart = InputFilter::new(Some(&["a".to_owned(), "d".to_owned()])).unwrap();
        let (d, chosen) = digest(&snapshot, &apart);
        let paths: Vec<&str> = chosen.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            (d.count, paths),
            (2, vec!["a", "d"]),
            "picked apart: its own"
        );
        let doubled = InputFilter::new(Some(&["b/**".to_owned(), "b/c".to_owned()])).unwrap();
        let (d, chosen) = digest(&snapshot, &doubled);
        assert_eq!((d.count, chosen.len()), (1, 1), "each file once");
    }

    #[test]
    fn digests_differ_when_bytes_shift_between_path_and_hash() {
        let snap = |files: Vec<(&str, Hash)>| Snapshot {
            files: files
                .into_iter()
                .map(|(p, h)| FileEntry {
                    path: p.into(),
                    mode: Mode::File,
                    hash: h,
                })
                .collect::<Vec<_>>()
                .into(),
            ..Snapshot::default()
        };
        let all = InputFilter::new(None).unwrap();
        let a = digest(&snap(vec![("ab", [0; 32]), ("c", [1; 32])]), &all).0;
        let b = digest(&snap(vec![("a", [0; 32]), ("bc", [1; 32])]), &all).0;
        assert_ne!(a.digest, b.digest);
        assert_eq!(a.count, 2);
    }

    #[test]
    fn the_mode_is_part_of_the_digest() {
        let entry = |mode| FileEntry {
            path: "check.sh".into(),
            mode,
            hash: [7; 32],
        };
        let all = InputFilter::new(None).unwrap();
        let digests: Vec<Hash> = [Mode::File, Mode::Exec, Mode::Symlink, Mode::Submodule]
            .into_iter()
            .map(|m| digest_of(&[entry(m)]))
            .collect();
        for (i, a) in digests.iter().enumerate() {
            for b in &digests[i + 1..] {
                assert_ne!(a, b);
            }
        }
        let snap = Snapshot {
            files: vec![entry(Mode::Exec)].into(),
            ..Snapshot::default()
        };
        assert_eq!(digest(&snap, &all).0.digest, digests[1], "digest_of agrees");
    }

    proptest::proptest! {
        /// Matching only under the places the globs name selects what
        /// matching every path selects: the same files, so the same key.
        #[test]
        fn matching_under_the_named_places_selects_what_matching_all_does(
            paths in proptest::collection::btree_set("[ab./-]{1,3}(/[ab.-]{1,2}){0,2}", 0..40),
            globs in proptest::collection::vec(
                proptest::sample::select(vec![
                    "a/**", "a", "a/", "a.b", "a-b/**", "b/a*", "a/b/*", "**/a", "*.b",
                    "!a/b/**", "a/**/b", "./a/**", "b", "{a,b}/**", "a?/**", "ab/a-/**",
                ]),
                0..4,
            ),
        ) {
            let globs: Vec<String> = globs.into_iter().map(str::to_owned).collect();
            let snapshot = Snapshot {
                files: paths
                    .into_iter()
                    .map(|p| FileEntry { path: p, mode: Mode::File, hash: [3; 32] })
                    .collect::<Vec<_>>()
                    .into(),
                ..Snapshot::default()
            };
            let filter = InputFilter::new(Some(&globs)).unwrap();
            let (digest, chosen) = digest(&snapshot, &filter);
            let every: Vec<FileEntry> = snapshot
                .files
                .iter()
                .filter(|f| filter.matches(&f.path))
                .cloned()
                .collect();
            proptest::prop_assert_eq!(&*chosen, &every);
            proptest::prop_assert_eq!(digest.digest, digest_of(&every));
        }
    }

    #[test]
    fn a_file_read_against_its_lstat_size_is_read_whole_grown_or_shrunk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let content: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &content).unwrap();
        let read = |size: u64| {
            let mut file = std::fs::File::open(&path).unwrap();
            read_sized(&mut file, size).unwrap()
        };
        assert_eq!(read(70_000), content, "as large as its lstat said");
        assert_eq!(read(10), content, "grew since its lstat: read on");
        assert_eq!(read(0), content, "was empty at its lstat");
        assert_eq!(read(200_000), content, "shrank since its lstat");
        std::fs::write(&path, b"").unwrap();
        assert!(read(5).is_empty());
    }

    #[test]
    fn submodule_hashes_name_their_commit() {
        let sha1 = "0123456789abcdef0123456789abcdef01234567";
        let h = submodule_hash(&Checkout::Commit(sha1.into()));
        assert_eq!(describe_submodule(&h), format!("commit {sha1}"));
        assert_eq!(
            describe_submodule(&submodule_hash(&Checkout::Absent)),
            "not checked out"
        );
        assert_eq!(
            describe_submodule(&submodule_hash(&Checkout::NoCommit)),
            "no commit"
        );
    }
}
