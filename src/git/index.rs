//! A reader for git's index file (`.git/index`), enough to tell whether the
//! work tree still matches it: each entry's path, stat data, mode and flags.
//!
//! The format is git's `gitformat-index(5)`, versions 2 to 4. Anything this
//! reader does not fully understand (a split or sparse index, a required
//! extension it does not know, SHA-256 object names) is an error, and the
//! caller asks git instead: a wrong "unchanged" would be worse than a slow
//! answer.

use anyhow::{bail, ensure, Context};
#[cfg(test)]
use std::path::Path;

/// One index entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub path: String,
    pub ctime: (u32, u32),
    pub mtime: (u32, u32),
    pub ino: u32,
    pub mode: u32,
    pub size: u32,
    /// The blob's id (for a submodule, the commit's).
    pub oid: [u8; SHA1_LEN],
    /// 0 for a normal entry; 1 to 3 during a merge conflict.
    pub stage: u8,
    pub assume_valid: bool,
    pub skip_worktree: bool,
    pub intent_to_add: bool,
}

/// The entries of an index and when the index file was written.
#[derive(Debug, Clone)]
pub(crate) struct Index {
    pub entries: Vec<Entry>,
    /// The tree the entries make, from the cache-tree extension, when git
    /// left it valid (a commit does; staging a change invalidates it).
    pub tree: Option<[u8; SHA1_LEN]>,
    /// The index file's own mtime: an entry whose file changed in the same
    /// instant is "racily clean" and cannot be trusted on its stat data.
    pub written: (u32, u32),
    /// Which file the bytes were read from (`None` for bytes parsed as
    /// given).
    pub file: Option<FileId>,
}

/// Which index file, and which version of it: git never writes an index
/// in place (a new one is renamed over it), so the same id before and
/// after another reader ran means that reader read the same entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileId {
    ino: u64,
    dev: u64,
    size: u64,
    mtime_ns: i64,
    ctime_ns: i64,
}

impl FileId {
    pub(crate) fn of(meta: &std::fs::Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId {
            ino: meta.ino(),
            dev: meta.dev(),
            size: meta.size(),
            mtime_ns: meta.mtime().saturating_mul(1_000_000_000) + meta.mtime_nsec(),
            ctime_ns: meta.ctime().saturating_mul(1_000_000_000) + meta.ctime_nsec(),
        }
    }

    /// The id of the index of `dirs` now, `None` when it cannot be read.
    fn now(dirs: &super::Dirs) -> Option<FileId> {
        std::fs::symlink_metadata(dirs.git_dir.join("index"))
            .ok()
            .map(|m| FileId::of(&m))
    }
}

/// An index file held open, so that its inode (and with it its id) cannot
/// pass to a later index while it is held.
#[derive(Debug)]
pub(crate) struct HeldIndex {
    _open: std::fs::File,
    id: FileId,
    /// Whether some `.gitignore` entry is marked skip-worktree
    /// ([`rules_outside_work_tree`]), as the entries were read.
    skipped_rules: bool,
}

impl HeldIndex {
    /// Whether the index of `dirs` is still this one: nothing replaced it.
    pub(crate) fn still_there(&self, dirs: &super::Dirs) -> bool {
        FileId::now(dirs) == Some(self.id)
    }

    pub(crate) fn id(&self) -> FileId {
        self.id
    }

    /// [`rules_outside_work_tree`] for this index, when it is still the
    /// one of `dirs` (no second read of it).
    pub(crate) fn rules_outside_work_tree(&self, dirs: &super::Dirs) -> bool {
        if !self.still_there(dirs) {
            return rules_outside_work_tree(dirs);
        }
        sparse_checkout(dirs) || self.skipped_rules
    }
}

/// Whether git's index for the work tree at `root` may differ from the
/// one read as `read` (`None`: the paths came from git, not read here)
/// when a listing started at `listed_ns`: another file, or, not knowing
/// which was read, one written since the listing began.
pub(crate) fn moved_since(root: &std::path::Path, read: Option<FileId>, listed_ns: i64) -> bool {
    let Some(dirs) = super::dirs(root) else {
        return false; // outside git: no index
    };
    match read {
        Some(read) => FileId::now(&dirs) != Some(read),
        None => std::fs::symlink_metadata(dirs.git_dir.join("index"))
            .is_ok_and(|m| crate::sys::fs::changed_ns(&m) >= listed_ns.saturating_sub(20_000_000)),
    }
}

/// The id of the empty blob.
pub(crate) const EMPTY_BLOB: [u8; SHA1_LEN] = [
    0xe6, 0x9d, 0xe2, 0x9b, 0xb2, 0xd1, 0xd6, 0x43, 0x4b, 0x8b, 0x29, 0xae, 0x77, 0x5a, 0xd8, 0xc2,
    0xe4, 0x8c, 0x53, 0x91,
];

/// `mode` of a submodule entry.
pub(crate) const GITLINK: u32 = 0o160000;

pub(crate) const SHA1_LEN: usize = 20;

/// An entry's fixed part: ctime, mtime, dev, ino, mode, uid, gid, size
/// (4 bytes each), the object id, the flags (2).
const ENTRY_HEAD: usize = 40 + SHA1_LEN + 2;

/// The index of the work tree whose top is `top`, or why it cannot be read
/// here. Linked worktrees are followed; `GIT_DIR`, `GIT_INDEX_FILE` and
/// SHA-256 repositories are left to git.
#[cfg(test)]
pub(crate) fn read_for(top: &Path) -> anyhow::Result<Index> {
    let Some(dirs) = super::dirs(top) else {
        bail!("no git folder above {}", top.display());
    };
    read_in(&dirs)
}

/// The index of the repository in `dirs` (see [`read_for`]).
pub(crate) fn read_in(dirs: &super::Dirs) -> anyhow::Result<Index> {
    for var in ["GIT_DIR", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"] {
        if std::env::var_os(var).is_some() {
            bail!("{var} is set");
        }
    }
    check_sha1(dirs)?;
    let path = dirs.git_dir.join("index");
    // One open file for the bytes and the mtime: git replaces the index by
    // renaming a new one over it, and an mtime read from the path could
    // belong to a newer index than the bytes.
    let mut file =
        std::fs::File::open(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut file, &mut bytes)?;
    let meta = file.metadata()?;
    let mut index = parse(&bytes)?;
    use std::os::unix::fs::MetadataExt;
    index.written = (meta.mtime() as u32, meta.mtime_nsec() as u32);
    index.file = Some(FileId::of(&meta));
    Ok(index)
}

/// The paths git tracks, sorted and each once, read from the index of the
/// work tree whose top is `root` (no process): what `git ls-files --cached`
/// run there lists. `None` when `root` is not a work tree's top or the
/// index is one this reader does not understand: then ask git. With them,
/// the index file they were read from, held open.
///
/// A second call in the same run (the write watch, after the snapshot)
/// gets the same paths without reading the index again, while the index
/// is still the one they were read from.
pub(crate) fn tracked_at(root: &std::path::Path) -> Option<(Vec<String>, HeldIndex)> {
    let top = std::fs::canonicalize(root).ok()?;
    let dirs = super::dirs(&top).filter(|d| d.top == top)?;
    if let Some(again) = LAST_READ.read_again(&top, &dirs) {
        return Some(again);
    }
    let open = std::fs::File::open(dirs.git_dir.join("index")).ok()?;
    let index = read_in(&dirs).ok()?;
    // Replaced between the two opens: git lists them instead (rare).
    let id = index
        .file
        .filter(|&read| open.metadata().is_ok_and(|m| FileId::of(&m) == read))?;
    let file = HeldIndex {
        _open: open,
        id,
        skipped_rules: skipped_rules(&index.entries),
    };
    let mut files: Vec<String> = index.entries.into_iter().map(|e| e.path).collect();
    files.sort_unstable();
    files.dedup();
    LAST_READ.keep(&top, &files, &file);
    Some((files, file))
}

/// The paths [`tracked_at`] read last, joined in one buffer (one copy, not
/// one per path), with their index file held open: while it is held no
/// later index can take its inode, so the same id on the path means the
/// same index (reading it again took 4 ms of a one-file run on 20,000
/// files).
static LAST_READ: LastRead = LastRead(std::sync::Mutex::new(None));

struct LastRead(std::sync::Mutex<Option<(std::path::PathBuf, HeldIndex, Vec<u8>)>>);

impl LastRead {
    fn keep(&self, top: &std::path::Path, files: &[String], held: &HeldIndex) {
        let Ok(open) = held._open.try_clone() else {
            return;
        };
        let mut joined = Vec::with_capacity(files.iter().map(|f| f.len() + 1).sum());
        for f in files {
            joined.extend_from_slice(f.as_bytes());
            joined.push(0);
        }
        if let Ok(mut last) = self.0.lock() {
            let held = HeldIndex {
                _open: open,
                id: held.id,
                skipped_rules: held.skipped_rules,
            };
            *last = Some((top.to_path_buf(), held, joined));
        }
    }

    fn read_again(
        &self,
        top: &std::path::Path,
        dirs: &super::Dirs,
    ) -> Option<(Vec<String>, HeldIndex)> {
        let last = self.0.lock().ok()?;
        let (kept_top, held, joined) = last.as_ref()?;
        if kept_top != top || !held.still_there(dirs) {
            return None;
        }
        let files = joined
            .split(|&b| b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| String::from_utf8(p.to_vec()).ok())
            .collect::<Option<Vec<String>>>()?;
        let open = held._open.try_clone().ok()?;
        Some((
            files,
            HeldIndex {
                _open: open,
                id: held.id,
                skipped_rules: held.skipped_rules,
            },
        ))
    }
}

/// Fails unless the repository names objects by SHA-1, the only format
/// these readers know.
pub(crate) fn check_sha1(dirs: &super::Dirs) -> anyhow::Result<()> {
    let config = std::fs::read_to_string(dirs.common.join("config")).unwrap_or_default();
    if config.to_ascii_lowercase().contains("objectformat") {
        bail!("the repository may not use SHA-1");
    }
    Ok(())
}

/// Parses the bytes of an index file (`written` is left at zero).
pub(crate) fn parse(bytes: &[u8]) -> anyhow::Result<Index> {
    let mut r = Reader { bytes, at: 0 };
    ensure!(r.take(4)? == b"DIRC", "not a git index");
    let version = r.u32()?;
    ensure!((2..=4).contains(&version), "index version {version}");
    let count = r.u32()? as usize;
    // The smallest v4 entry is 62 + 2 bytes: a count beyond that is a lie.
    ensure!(count <= bytes.len() / 64, "entry count {count} too large");
    let mut entries = Vec::with_capacity(count);
    let mut previous: Vec<u8> = Vec::new();
    // Each entry's fixed part is read in one piece: field by field, each
    // with its own bounds check, the parse was most of a warm run's read of
    // the index.
    let be32 = |b: &[u8], at: usize| u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
    for _ in 0..count {
        let start = r.at;
        let head = r.take(ENTRY_HEAD)?;
        let ctime = (be32(head, 0), be32(head, 4));
        let mtime = (be32(head, 8), be32(head, 12));
        let ino = be32(head, 20);
        let mode = be32(head, 24);
        let size = be32(head, 36);
        let oid: [u8; SHA1_LEN] = head[40..40 + SHA1_LEN].try_into()?;
        let flags = u16::from_be_bytes([head[60], head[61]]);
        let extended = if flags & 0x4000 != 0 {
            ensure!(version >= 3, "extended flags in a version 2 index");
            r.u16()?
        } else {
            0
        };
        let path = if version == 4 {
            let strip = r.varint()?;
            ensure!(strip <= previous.len(), "bad path compression");
            previous.truncate(previous.len() - strip);
            previous.extend_from_slice(r.until_nul()?);
            previous.clone()
        } else {
            let name = r.until_nul()?.to_vec();
            // 1 to 8 NULs pad the entry to a multiple of 8 bytes; one was
            // read with the name.
            let len = r.at - start;
            r.take((8 - len % 8) % 8)?;
            name
        };
        let path = String::from_utf8(path).context("a path in the index is not UTF-8")?;
        entries.push(Entry {
            path,
            ctime,
            mtime,
            ino,
            mode,
            size,
            oid,
            stage: ((flags >> 12) & 3) as u8,
            assume_valid: flags & 0x8000 != 0,
            skip_worktree: extended & 0x4000 != 0,
            intent_to_add: extended & 0x2000 != 0,
        });
    }
    // Extensions, then the checksum. Those whose name starts with an
    // uppercase letter are optional; a lowercase one ("link": split index,
    // "sdir": sparse index) changes what the entries mean.
    let mut tree = None;
    while bytes.len() - r.at > SHA1_LEN {
        let name = r.take(4)?;
        let len = r.u32()? as usize;
        ensure!(
            name[0].is_ascii_uppercase(),
            "index extension {:?} is not supported",
            String::from_utf8_lossy(name)
        );
        let data = r.take(len)?;
        if name == b"TREE" {
            tree = root_tree(data);
        }
    }
    ensure!(bytes.len() - r.at == SHA1_LEN, "index ends early");
    Ok(Index {
        entries,
        tree,
        written: (0, 0),
        file: None,
    })
}

/// The root entry of a cache-tree extension: an empty path, then
/// `ENTRY_COUNT SP SUBTREES LF`, then the tree's id unless the count is -1
/// (invalidated).
fn root_tree(data: &[u8]) -> Option<[u8; SHA1_LEN]> {
    let rest = data.strip_prefix(b"\0")?;
    let line_end = rest.iter().position(|&b| b == b'\n')?;
    let line = std::str::from_utf8(&rest[..line_end]).ok()?;
    let (count, _subtrees) = line.split_once(' ')?;
    if count.parse::<i64>().ok()? < 0 {
        return None;
    }
    rest.get(line_end + 1..line_end + 1 + SHA1_LEN)?
        .try_into()
        .ok()
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> anyhow::Result<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            bail!("index ends early");
        };
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn u32(&mut self) -> anyhow::Result<u32> {
        Ok(u32::from_be_bytes(self.take(4)?.try_into()?))
    }

    fn u16(&mut self) -> anyhow::Result<u16> {
        Ok(u16::from_be_bytes(self.take(2)?.try_into()?))
    }

    fn until_nul(&mut self) -> anyhow::Result<&'a [u8]> {
        let rest = &self.bytes[self.at..];
        let Some(n) = memchr::memchr(0, rest) else {
            bail!("index ends early");
        };
        self.at += n + 1;
        Ok(&rest[..n])
    }

    /// git's offset varint (as in OFS_DELTA): big-endian 7-bit groups, each
    /// continuation adding one.
    fn varint(&mut self) -> anyhow::Result<usize> {
        let mut byte = self.take(1)?[0];
        let mut value = usize::from(byte & 0x7f);
        while byte & 0x80 != 0 {
            byte = self.take(1)?[0];
            value = value
                .checked_add(1)
                .and_then(|v| v.checked_mul(128))
                .context("bad path compression")?
                | usize::from(byte & 0x7f);
        }
        Ok(value)
    }
}

/// Whether git may read some `.gitignore` from the index rather than the
/// work tree: a sparse checkout, or a `.gitignore` marked skip-worktree
/// (then a `git switch` changes rules no folder shows). `true` when the
/// index cannot be read.
pub(crate) fn rules_outside_work_tree(dirs: &super::Dirs) -> bool {
    if sparse_checkout(dirs) {
        return true;
    }
    match read_in(dirs) {
        Ok(index) => skipped_rules(&index.entries),
        Err(_) => true,
    }
}

/// Whether the repository has a sparse-checkout file.
fn sparse_checkout(dirs: &super::Dirs) -> bool {
    dirs.common.join("info/sparse-checkout").exists()
        || dirs.git_dir.join("info/sparse-checkout").exists()
}

/// Whether a `.gitignore` among `entries` is marked skip-worktree.
fn skipped_rules(entries: &[Entry]) -> bool {
    entries
        .iter()
        .any(|e| e.skip_worktree && (e.path == ".gitignore" || e.path.ends_with("/.gitignore")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = crate::git::command(dir)
            .args(["-c", "user.email=a@b", "-c", "user.name=n"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    }

    /// A repository whose index holds `a.txt`.
    fn repo_with_a_staged() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q"]);
        std::fs::write(dir.path().join("a.txt"), "a").unwrap();
        git(dir.path(), &["add", "a.txt"]);
        dir
    }

    /// The index the tracked paths came from is told from the one git
    /// writes after: even when git writes the same entries again.
    #[test]
    fn a_held_index_is_told_from_the_next_one() {
        let dir = repo_with_a_staged();
        let d = dir.path();
        let dirs = crate::git::dirs(d).unwrap();
        let (files, held) = tracked_at(d).unwrap();
        assert_eq!(files, ["a.txt"]);
        assert!(held.still_there(&dirs), "nothing wrote the index");
        git(d, &["update-index", "--really-refresh"]);
        git(d, &["add", "a.txt"]);
        git(d, &["update-index", "--force-write-index"]);
        assert!(!held.still_there(&dirs), "git wrote a new index");
    }

    /// A second read in the same run gets the same paths, and a new index
    /// is read again, not answered from the last read.
    #[test]
    fn the_tracked_paths_are_read_again_only_from_a_new_index() {
        let dir = repo_with_a_staged();
        let d = dir.path();
        let (first, _) = tracked_at(d).unwrap();
        let (again, held) = tracked_at(d).unwrap();
        assert_eq!(
            (first.as_slice(), again.as_slice()),
            (&["a.txt".to_owned()][..], &["a.txt".to_owned()][..])
        );
        assert!(held.still_there(&crate::git::dirs(d).unwrap()));
        std::fs::write(d.join("b.txt"), "b").unwrap();
        git(d, &["add", "b.txt"]);
        let (after, _) = tracked_at(d).unwrap();
        assert_eq!(after, ["a.txt", "b.txt"]);
    }

    /// What `git ls-files -s` lists (mode, stage, path) equals what the
    /// reader found, in each index version git writes.
    #[test]
    fn reads_what_git_wrote_in_every_version() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        git(d, &["init", "-q"]);
        for (i, name) in ["a.txt", "dir/b.rs", "dir/sub/c é.md", "dir/sub/d", "z"]
            .iter()
            .enumerate()
        {
            let path = d.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, "x".repeat(i * 7)).unwrap();
        }
        std::os::unix::fs::symlink("a.txt", d.join("link")).unwrap();
        git(d, &["add", "-A"]);
        git(d, &["update-index", "--chmod=+x", "z"]);
        std::fs::write(d.join("new"), "n").unwrap();
        git(d, &["add", "-N", "new"]);
        for version in ["2", "3", "4"] {
            git(d, &["update-index", "--index-version", version]);
            let index = read_for(d).unwrap();
            let listed = git(d, &["-c", "core.quotepath=off", "ls-files", "-s"]);
            let ours: Vec<String> = index
                .entries
                .iter()
                .map(|e| format!("{:o} {} {}", e.mode, e.stage, e.path))
                .collect();
            let theirs: Vec<String> = listed
                .lines()
                .map(|l| {
                    let (meta, path) = l.split_once('\t').unwrap();
                    let f: Vec<&str> = meta.split(' ').collect();
                    format!("{} {} {}", f[0], f[2], path)
                })
                .collect();
            assert_eq!(ours, theirs, "index version {version}");
            let new = index.entries.iter().find(|e| e.path == "new").unwrap();
            // (git keeps version 3 when an entry needs extended flags.)
            assert!(new.intent_to_add, "version {version}");
            let a = index.entries.iter().find(|e| e.path == "a.txt").unwrap();
            let meta = std::fs::symlink_metadata(d.join("a.txt")).unwrap();
            use std::os::unix::fs::MetadataExt;
            assert_eq!(a.size as u64, meta.size());
            assert_eq!(a.mtime, (meta.mtime() as u32, meta.mtime_nsec() as u32));
            assert_eq!(a.ino as u64, meta.ino() & 0xffff_ffff);
        }
    }

    #[test]
    fn the_cache_tree_names_heads_tree_until_a_change_is_staged() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        git(d, &["init", "-q"]);
        std::fs::create_dir(d.join("sub")).unwrap();
        std::fs::write(d.join("sub/a"), "a").unwrap();
        std::fs::write(d.join("b"), "b").unwrap();
        git(d, &["add", "."]);
        git(d, &["commit", "-qm", "c"]);
        let hex = |t: [u8; SHA1_LEN]| t.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let tree = read_for(d).unwrap().tree.map(hex);
        assert_eq!(
            tree.as_deref(),
            Some(git(d, &["rev-parse", "HEAD^{tree}"]).trim())
        );
        std::fs::write(d.join("sub/a"), "changed").unwrap();
        git(d, &["add", "sub/a"]);
        assert_eq!(read_for(d).unwrap().tree, None, "invalidated by staging");
        git(d, &["write-tree"]);
        let tree = read_for(d).unwrap().tree.map(hex);
        assert_ne!(
            tree.as_deref(),
            Some(git(d, &["rev-parse", "HEAD^{tree}"]).trim())
        );
    }

    #[test]
    fn split_and_sparse_indexes_and_damage_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        git(d, &["init", "-q"]);
        std::fs::write(d.join("a"), "a").unwrap();
        git(d, &["add", "a"]);
        let good = std::fs::read(d.join(".git/index")).unwrap();
        assert_eq!(parse(&good).unwrap().entries.len(), 1);
        for cut in [0, 4, 12, 40, good.len() - 21, good.len() - 1] {
            assert!(parse(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut wrong = good.clone();
        wrong[0] = b'X';
        assert!(parse(&wrong).is_err());
        git(d, &["update-index", "--split-index"]);
        let err = read_for(d).unwrap_err().to_string();
        assert!(err.contains("link"), "{err}");
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q"]);
        std::fs::write(dir.path().join("f"), "f").unwrap();
        git(dir.path(), &["add", "f"]);
        let good = std::fs::read(dir.path().join(".git/index")).unwrap();
        for _ in 0..2000 {
            let mut bytes = good.clone();
            for _ in 0..4 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let at = (seed as usize) % bytes.len();
                bytes[at] = (seed >> 32) as u8;
            }
            let _ = parse(&bytes);
        }
    }
}
