//! The files a gate's result depends on: which ones exist, and what they
//! hold.
//!
//! Files are listed through git inside a repository (tracked plus
//! untracked-not-ignored) and with walkdir outside one. Their content hashes
//! come from a fast path like git's index (size, mtime, ctime, inode → hash),
//! re-hashed whenever any of those changed and always when the file's mtime
//! is too close to when the hash was recorded (DESIGN §5). A stale hash here
//! is a stale cache hit, so every doubt means "hash again".

use anyhow::{bail, Context};
use rayon::prelude::*;
use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// A file modified less than this long before its hash was recorded may
/// change again without moving its mtime: its recorded hash is not trusted.
pub const RACY_NS: i64 = 2_000_000_000;

/// What `stat` says about a file; any change means "hash again".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileState {
    pub size: u64,
    pub mtime_ns: i64,
    pub ctime_ns: i64,
    pub ino: u64,
    pub dev: u64,
    pub mode: u32,
}

/// What kind of thing a listed path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Symlink,
    Dir,
}

/// The config's folder, opened once so that files are stat'ed relative to
/// it: the kernel walks only the relative part of each path, and no path is
/// allocated per file.
pub struct Root {
    path: PathBuf,
    fd: std::os::fd::OwnedFd,
}

impl Root {
    pub fn open(path: &Path) -> std::io::Result<Root> {
        use std::os::unix::fs::OpenOptionsExt;
        let dir = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY | libc::O_PATH | libc::O_CLOEXEC)
            .open(path)?;
        Ok(Root {
            path: path.to_path_buf(),
            fd: dir.into(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens `rel`, relative to the root, for reading: never through a
    /// symlink (`ELOOP`), never blocking on a FIFO.
    pub fn open_nofollow(&self, rel: &str) -> std::io::Result<std::fs::File> {
        use std::os::fd::{AsRawFd, FromRawFd};
        let c = std::ffi::CString::new(rel)
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
        // SAFETY: `c` is a valid NUL-terminated string, the fd is open for
        // the life of self, and a returned fd is ours alone to own.
        let fd = unsafe {
            libc::openat(
                self.fd.as_raw_fd(),
                c.as_ptr(),
                libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(unsafe { std::fs::File::from_raw_fd(fd) })
    }

    /// `lstat` of `rel`, relative to the root.
    pub fn lstat(&self, rel: &str) -> std::io::Result<(FileState, Kind)> {
        use std::os::fd::AsRawFd;
        let c = std::ffi::CString::new(rel)
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
        // SAFETY: `st` is plain data that fstatat fills; `c` is a valid
        // NUL-terminated string and the fd is open for the life of self.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        let rc = unsafe {
            libc::fstatat(
                self.fd.as_raw_fd(),
                c.as_ptr(),
                &mut st,
                libc::AT_SYMLINK_NOFOLLOW,
            )
        };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let kind = match st.st_mode & libc::S_IFMT {
            libc::S_IFDIR => Kind::Dir,
            libc::S_IFLNK => Kind::Symlink,
            _ => Kind::File,
        };
        let state = FileState {
            size: st.st_size as u64,
            mtime_ns: st
                .st_mtime
                .saturating_mul(1_000_000_000)
                .saturating_add(st.st_mtime_nsec),
            ctime_ns: st
                .st_ctime
                .saturating_mul(1_000_000_000)
                .saturating_add(st.st_ctime_nsec),
            ino: st.st_ino,
            dev: st.st_dev,
            mode: st.st_mode,
        };
        Ok((state, kind))
    }
}

/// A content hash (BLAKE3).
pub type Hash = [u8; 32];

/// One input file as seen now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// Relative to the config's folder, `/`-separated.
    pub path: String,
    pub hash: Hash,
}

/// A remembered hash and the state it was computed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatRecord {
    pub state: FileState,
    pub hash: Hash,
    /// When the hash was computed (ns since the epoch).
    pub recorded_ns: i64,
}

impl StatRecord {
    /// Whether the recorded hash may stand for a file now in `state`.
    pub fn trusted_for(&self, state: &FileState) -> bool {
        // A file written within RACY_NS of the recording (or after it, or
        // with an mtime in the future) may have changed again within the
        // same timestamp tick: never trust it (DESIGN §5).
        self.state == *state && state.mtime_ns < self.recorded_ns.saturating_sub(RACY_NS)
    }
}

/// The fast path's memory: path → last known state and hash, sorted by
/// path so that it joins with a sorted file list without hashing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatIndex {
    pub records: Vec<(String, StatRecord)>,
}

const INDEX_MAGIC: &[u8; 8] = b"pqgidx01";

impl StatIndex {
    /// A compact binary form, stored as one blob.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.records.len() * 110);
        out.extend_from_slice(INDEX_MAGIC);
        out.extend_from_slice(&(self.records.len() as u64).to_le_bytes());
        for (path, r) in &self.records {
            out.extend_from_slice(&(path.len() as u32).to_le_bytes());
            out.extend_from_slice(path.as_bytes());
            for v in [r.state.size, r.state.ino, r.state.dev] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            for v in [r.state.mtime_ns, r.state.ctime_ns, r.recorded_ns] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            out.extend_from_slice(&r.state.mode.to_le_bytes());
            out.extend_from_slice(&r.hash);
        }
        out
    }

    /// Reads [`encode`](Self::encode)'s form; `None` when it is damaged.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let mut r = Reader { bytes, pos: 0 };
        if r.take(8)? != INDEX_MAGIC {
            return None;
        }
        let count = r.u64()? as usize;
        let mut records: Vec<(String, StatRecord)> = Vec::with_capacity(count.min(1 << 22));
        for _ in 0..count {
            let len = r.u32()? as usize;
            let path = std::str::from_utf8(r.take(len)?).ok()?.to_owned();
            let size = r.u64()?;
            let ino = r.u64()?;
            let dev = r.u64()?;
            let mtime_ns = r.u64()? as i64;
            let ctime_ns = r.u64()? as i64;
            let recorded_ns = r.u64()? as i64;
            let mode = r.u32()?;
            let hash: Hash = r.take(32)?.try_into().ok()?;
            if records.last().is_some_and(|(last, _)| *last >= path) {
                return None; // not sorted: not ours
            }
            records.push((
                path,
                StatRecord {
                    state: FileState {
                        size,
                        mtime_ns,
                        ctime_ns,
                        ino,
                        dev,
                        mode,
                    },
                    hash,
                    recorded_ns,
                },
            ));
        }
        (r.pos == bytes.len()).then_some(StatIndex { records })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let slice = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(slice)
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
}

/// Nanoseconds since the epoch, now.
pub fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos().min(i64::MAX as u128) as i64)
}

/// Every file that counts as an input by default, relative to `root`:
/// inside git, tracked plus untracked-not-ignored; outside, every file
/// except `.git`. Anything under `exclude` (the cache folder) never counts.
/// Sorted.
pub fn list_files(root: &Path, exclude: &Path) -> anyhow::Result<Vec<String>> {
    let files = match git_files(root, &["--cached", "--others", "--exclude-standard"])? {
        Some(files) => files,
        None => walk_files(root)?,
    };
    Ok(tidy(files, root, exclude))
}

/// Sorts, dedups and drops the cache folder.
fn tidy(mut files: Vec<String>, root: &Path, exclude: &Path) -> Vec<String> {
    if let Some(prefix) = relative_prefix(root, exclude) {
        let inside = format!("{prefix}/");
        files.retain(|f| !(f == &prefix || f.starts_with(&inside)));
    }
    files.sort_unstable();
    files.dedup();
    files
}

/// Lists and snapshots the default inputs in one go. Inside git, the
/// tracked files (which git lists at once from its index) are stat'ed while
/// git is still walking the tree for untracked ones: on a large tree the
/// walk and the stats take about as long as each other.
///
/// `load_index` runs while git lists the files; the index it returns is
/// handed back with the snapshot.
pub fn snapshot_tree(
    root: &Path,
    exclude: &Path,
    load_index: impl FnOnce() -> StatIndex,
) -> anyhow::Result<(Snapshot, StatIndex)> {
    let handle = Root::open(root).with_context(|| format!("opening `{}`", root.display()))?;
    std::thread::scope(|s| {
        let others = s.spawn(|| git_files(root, &["--others", "--exclude-standard"]));
        let tracked = s.spawn(|| git_files(root, &["--cached"]));
        let index = load_index();
        let tracked = tracked
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("listing tracked files panicked")))?
            .map(|files| Snapshot::take(&handle, tidy(files, root, exclude), &index));
        let others = others
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("listing untracked files panicked")))?;
        let snapshot = match (tracked, others) {
            (Some(tracked), Some(untracked)) => tracked.merge(Snapshot::take(
                &handle,
                tidy(untracked, root, exclude),
                &index,
            )),
            _ => Snapshot::take(&handle, tidy(walk_files(root)?, root, exclude), &index),
        };
        Ok((snapshot, index))
    })
}

fn relative_prefix(root: &Path, dir: &Path) -> Option<String> {
    let rel = dir.strip_prefix(root).ok()?;
    let s = rel.to_str()?.trim_end_matches('/').to_owned();
    (!s.is_empty() && s != ".").then(|| s.trim_start_matches("./").to_owned())
}

/// Lists the default inputs like [`list_files`], handing them to `each` in
/// two batches inside git: the tracked files (which git lists at once from
/// its index) while git is still walking the tree for untracked ones, then
/// those. Outside git, one batch. Each batch is sorted; they do not overlap.
pub fn list_files_overlapped<T: Send>(
    root: &Path,
    exclude: &Path,
    each: impl Fn(Vec<String>) -> T + Sync,
) -> anyhow::Result<Vec<T>> {
    std::thread::scope(|s| {
        let others = s.spawn(|| git_files(root, &["--others", "--exclude-standard"]));
        let Some(tracked) = git_files(root, &["--cached"])? else {
            return Ok(vec![each(tidy(walk_files(root)?, root, exclude))]);
        };
        let first = each(tidy(tracked, root, exclude));
        let others = others
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("listing untracked files panicked")))?
            .unwrap_or_default();
        Ok(vec![first, each(tidy(others, root, exclude))])
    })
}

/// The top of the git work tree holding `dir`: the nearest folder upward
/// with a `.git` (a folder, or a file in a linked worktree or submodule).
pub fn work_tree_top(dir: &Path) -> Option<PathBuf> {
    absolute(dir)
        .ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// `git ls-files -z ARGS` in `root`; `None` when this is not a git work
/// tree (or git is missing).
fn git_files(root: &Path, args: &[&str]) -> anyhow::Result<Option<Vec<String>>> {
    let output = match std::process::Command::new("git")
        .args(["-c", "core.quotepath=off", "ls-files", "-z"])
        .args(args)
        .current_dir(root)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .output()
    {
        Ok(o) => o,
        // No git on this machine: fall back to walking the folder.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).context("running git ls-files"),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("not a git repository") {
            return Ok(None);
        }
        bail!("git ls-files failed: {}", stderr.trim());
    }
    let mut files = Vec::new();
    for raw in output.stdout.split(|&b| b == 0).filter(|s| !s.is_empty()) {
        match std::str::from_utf8(raw) {
            Ok(s) => files.push(s.to_owned()),
            Err(_) => bail!(
                "a file name is not valid UTF-8: {}",
                String::from_utf8_lossy(raw)
            ),
        }
    }
    Ok(Some(files))
}

fn walk_files(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut files = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || e.file_name() != ".git");
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            // A folder we cannot read cannot hold inputs we could hash.
            Err(_) => continue,
        };
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
        match rel.to_str() {
            Some(s) => files.push(s.to_owned()),
            None => bail!("a file name is not valid UTF-8: {}", rel.display()),
        }
    }
    Ok(files)
}

/// Hashes a file's content, or a symlink's target.
pub fn hash_file(path: &Path, kind: Kind, size: u64) -> std::io::Result<Hash> {
    let mut hasher = blake3::Hasher::new();
    if kind == Kind::Symlink {
        hasher.update(b"symlink\0");
        hasher.update(std::fs::read_link(path)?.as_os_str().as_encoded_bytes());
        return Ok(*hasher.finalize().as_bytes());
    }
    hasher.update(b"file\0");
    let mut file = std::fs::File::open(path)?;
    if size <= 64 * 1024 {
        let mut buf = Vec::with_capacity(size as usize + 1);
        file.read_to_end(&mut buf)?;
        hasher.update(&buf);
    } else {
        hasher.update_reader(&mut file)?;
    }
    Ok(*hasher.finalize().as_bytes())
}

/// The input files as they are now.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Sorted by path.
    pub files: Vec<FileEntry>,
    /// `states[i]` is the state `files[i]` had when hashed, for the check
    /// after a run.
    pub states: Vec<FileState>,
    /// Files that exist but could not be read: gates depending on them are
    /// not cached.
    pub unreadable: Vec<String>,
    /// When the snapshot started.
    pub taken_ns: i64,
    /// Files whose hash was computed (not taken from the index).
    pub hashed: usize,
    /// Of those, files old enough that a record made now would be trusted
    /// next time: only they make saving the index worth it.
    pub settled: usize,
}

impl Snapshot {
    /// Stats every file of the sorted list `files` (in parallel), hashing
    /// those the index cannot vouch for. Files that vanished since they were
    /// listed are left out.
    pub fn take(root: &Root, files: Vec<String>, index: &StatIndex) -> Snapshot {
        let taken_ns = now_ns();
        // Both lists are sorted: join them in one pass, no hashing.
        let mut known: Vec<Option<&StatRecord>> = Vec::with_capacity(files.len());
        let mut records = index.records.iter().peekable();
        for path in &files {
            while records
                .next_if(|(p, _)| p.as_str() < path.as_str())
                .is_some()
            {}
            known.push(records.next_if(|(p, _)| p == path).map(|(_, r)| r));
        }
        enum Seen {
            Gone,
            Unreadable,
            File(Hash, FileState, bool),
        }
        let seen: Vec<Seen> = files
            .par_iter()
            .zip(known.par_iter())
            .with_min_len(256)
            .map(|(rel, record)| {
                let (state, kind) = match root.lstat(rel) {
                    Ok(s) => s,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Seen::Gone,
                    Err(_) => return Seen::Unreadable,
                };
                if kind == Kind::Dir {
                    // A submodule or a nested repository: not a file input.
                    return Seen::Gone;
                }
                if let Some(record) = record {
                    if record.trusted_for(&state) {
                        return Seen::File(record.hash, state, false);
                    }
                }
                match hash_file(&root.path().join(rel), kind, state.size) {
                    Ok(hash) => Seen::File(hash, state, true),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Seen::Gone,
                    Err(_) => Seen::Unreadable,
                }
            })
            .collect();
        let mut snapshot = Snapshot {
            taken_ns,
            files: Vec::with_capacity(files.len()),
            states: Vec::with_capacity(files.len()),
            ..Snapshot::default()
        };
        let racy_from = taken_ns.saturating_sub(RACY_NS);
        for (path, s) in files.into_iter().zip(seen) {
            match s {
                Seen::Gone => {}
                Seen::Unreadable => snapshot.unreadable.push(path),
                Seen::File(hash, state, hashed) => {
                    snapshot.hashed += usize::from(hashed);
                    snapshot.settled += usize::from(hashed && state.mtime_ns < racy_from);
                    snapshot.states.push(state);
                    snapshot.files.push(FileEntry { path, hash });
                }
            }
        }
        snapshot
    }

    /// Joins two snapshots of disjoint or overlapping sorted lists.
    pub fn merge(self, other: Snapshot) -> Snapshot {
        let mut out = Snapshot {
            taken_ns: self.taken_ns.min(other.taken_ns),
            hashed: self.hashed + other.hashed,
            settled: self.settled + other.settled,
            files: Vec::with_capacity(self.files.len() + other.files.len()),
            states: Vec::with_capacity(self.files.len() + other.files.len()),
            unreadable: self.unreadable,
        };
        out.unreadable.extend(other.unreadable);
        out.unreadable.sort_unstable();
        out.unreadable.dedup();
        let mut a = self.files.into_iter().zip(self.states).peekable();
        let mut b = other.files.into_iter().zip(other.states).peekable();
        loop {
            let take_a = match (a.peek(), b.peek()) {
                (Some((fa, _)), Some((fb, _))) => {
                    if fa.path == fb.path {
                        b.next();
                        continue;
                    }
                    fa.path < fb.path
                }
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            let (f, st) = if take_a { a.next() } else { b.next() }.expect("peeked");
            out.files.push(f);
            out.states.push(st);
        }
        out
    }

    /// The index to remember after this snapshot: each file's state and
    /// hash, recorded at the time the snapshot started. (Every hash, read
    /// from the index or computed, held for its state at that time; a write
    /// after it moves the state, so the record is never too trusting.)
    pub fn to_index(&self) -> StatIndex {
        let records = self
            .files
            .iter()
            .zip(&self.states)
            .map(|(f, &state)| {
                (
                    f.path.clone(),
                    StatRecord {
                        state,
                        hash: f.hash,
                        recorded_ns: self.taken_ns,
                    },
                )
            })
            .collect();
        StatIndex { records }
    }

    /// Paths whose file changed since the snapshot: gone, a new state, or
    /// (for files touched around the snapshot) new content. Computed once
    /// for all gates after a run.
    pub fn changed_since(&self, root: &Root) -> HashSet<String> {
        let racy_from = self.taken_ns.saturating_sub(RACY_NS);
        self.files
            .par_iter()
            .zip(self.states.par_iter())
            .with_min_len(256)
            .filter(|(f, before)| {
                let Ok((state, kind)) = root.lstat(&f.path) else {
                    return true;
                };
                if state != **before {
                    return true;
                }
                // Same state, but written within the racy window of the
                // snapshot: only the content can tell.
                state.mtime_ns >= racy_from
                    && hash_file(&root.path().join(&f.path), kind, state.size)
                        .map_or(true, |h| h != f.hash)
            })
            .map(|(f, _)| f.path.clone())
            .collect()
    }
}

/// A gate's `inputs` globs, compiled. A glob that starts with `!` excludes
/// what it matches (`["**", "!tests/fixtures/**"]`); with only exclusions,
/// every other file is an input.
#[derive(Debug, Clone)]
pub struct InputFilter {
    include: Option<globset::GlobSet>,
    exclude: Option<globset::GlobSet>,
}

impl InputFilter {
    /// All files (the default), or those matching any of `globs` and none
    /// of their `!` exclusions.
    pub fn new(globs: Option<&[String]>) -> Result<Self, globset::Error> {
        let Some(globs) = globs else {
            return Ok(InputFilter {
                include: None,
                exclude: None,
            });
        };
        let mut include = globset::GlobSetBuilder::new();
        let mut exclude = globset::GlobSetBuilder::new();
        let (mut includes, mut excludes) = (0, 0);
        for g in globs {
            let (builder, g) = match g.strip_prefix('!') {
                Some(rest) => {
                    excludes += 1;
                    (&mut exclude, rest)
                }
                None => {
                    includes += 1;
                    (&mut include, g.as_str())
                }
            };
            let g = g.trim_start_matches("./");
            builder.add(
                globset::GlobBuilder::new(g)
                    .literal_separator(true)
                    .build()?,
            );
        }
        Ok(InputFilter {
            include: if includes > 0 || excludes == 0 {
                Some(include.build()?)
            } else {
                None
            },
            exclude: (excludes > 0).then(|| exclude.build()).transpose()?,
        })
    }

    pub fn matches(&self, path: &str) -> bool {
        self.include.as_ref().is_none_or(|s| s.is_match(path))
            && !self.exclude.as_ref().is_some_and(|s| s.is_match(path))
    }
}

/// The digest of a set of input files: every path and content hash, in path
/// order, length-prefixed so that no two different sets hash alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputsDigest {
    pub digest: Hash,
    pub count: usize,
    /// Matching files that could not be read; a gate with any is not cached.
    pub unreadable: usize,
}

/// Selects the files of `snapshot` that `filter` admits and digests them.
/// The digest of a list of input files, as [`digest`] computes it.
pub fn digest_of(files: &[FileEntry]) -> Hash {
    let mut hasher = blake3::Hasher::new();
    for f in files {
        hasher.update(&(f.path.len() as u64).to_le_bytes());
        hasher.update(f.path.as_bytes());
        hasher.update(&f.hash);
    }
    *hasher.finalize().as_bytes()
}

pub fn digest(snapshot: &Snapshot, filter: &InputFilter) -> (InputsDigest, Vec<FileEntry>) {
    // One contiguous buffer, hashed at once: BLAKE3 is several times faster
    // on one large input than on 60,000 small updates.
    let mut buf = Vec::with_capacity(snapshot.files.len() * 80);
    let mut chosen = Vec::new();
    for f in &snapshot.files {
        if filter.matches(&f.path) {
            buf.extend_from_slice(&(f.path.len() as u64).to_le_bytes());
            buf.extend_from_slice(f.path.as_bytes());
            buf.extend_from_slice(&f.hash);
            chosen.push(f.clone());
        }
    }
    let mut hasher = blake3::Hasher::new();
    hasher.update(&buf);
    let unreadable = snapshot
        .unreadable
        .iter()
        .filter(|p| filter.matches(p))
        .count();
    (
        InputsDigest {
            digest: *hasher.finalize().as_bytes(),
            count: chosen.len(),
            unreadable,
        },
        chosen,
    )
}

/// The config's folder as an absolute path, for listing.
pub fn absolute(root: &Path) -> PathBuf {
    std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_globs_include_and_exclude() {
        let globs = |g: &[&str]| {
            InputFilter::new(Some(&g.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())).unwrap()
        };
        let f = globs(&["src/**", "!src/gen/**"]);
        assert!(f.matches("src/a.rs"));
        assert!(!f.matches("src/gen/b.rs"));
        assert!(!f.matches("README.md"));
        let only_excluding = globs(&["!tests/fixtures/**"]);
        assert!(only_excluding.matches("src/a.rs"));
        assert!(!only_excluding.matches("tests/fixtures/x"));
        assert!(!globs(&[]).matches("a"), "an empty list selects nothing");
        assert!(InputFilter::new(None).unwrap().matches("a"));
    }

    fn state(mtime_ns: i64) -> FileState {
        FileState {
            size: 3,
            mtime_ns,
            ctime_ns: mtime_ns,
            ino: 7,
            dev: 1,
            mode: 0o100644,
        }
    }

    #[test]
    fn a_record_is_trusted_only_for_the_same_state_outside_the_racy_window() {
        let record = StatRecord {
            state: state(1_000_000_000_000),
            hash: [1; 32],
            recorded_ns: 1_000_000_000_000 + 5 * RACY_NS,
        };
        assert!(record.trusted_for(&state(1_000_000_000_000)));
        let mut other = state(1_000_000_000_000);
        other.ctime_ns += 1;
        assert!(
            !record.trusted_for(&other),
            "a ctime change means hash again"
        );
        let racy = StatRecord {
            recorded_ns: 1_000_000_000_000 + RACY_NS / 2,
            ..record
        };
        assert!(!racy.trusted_for(&state(1_000_000_000_000)), "racy entry");
        let future = StatRecord {
            recorded_ns: 1_000_000_000_000 - RACY_NS,
            ..record
        };
        assert!(
            !future.trusted_for(&state(1_000_000_000_000)),
            "mtime after recording"
        );
    }

    #[test]
    fn the_index_round_trips_and_rejects_damage() {
        let mut index = StatIndex::default();
        index.records.push((
            "src/a.rs".into(),
            StatRecord {
                state: state(42),
                hash: [9; 32],
                recorded_ns: 99,
            },
        ));
        index.records.push((
            "é/b".into(),
            StatRecord {
                state: state(-5),
                hash: [3; 32],
                recorded_ns: -1,
            },
        ));
        let bytes = index.encode();
        assert_eq!(StatIndex::decode(&bytes), Some(index));
        assert_eq!(StatIndex::decode(&bytes[..bytes.len() - 1]), None);
        assert_eq!(StatIndex::decode(b"garbage"), None);
        let mut extra = bytes.clone();
        extra.push(0);
        assert_eq!(StatIndex::decode(&extra), None);
    }

    #[test]
    fn globs_do_not_cross_folders_with_a_single_star() {
        let f = InputFilter::new(Some(&["*.rs".to_owned(), "src/**".to_owned()])).unwrap();
        assert!(f.matches("main.rs"));
        assert!(!f.matches("tests/a.rs"));
        assert!(f.matches("src/x/y.txt"));
        let all = InputFilter::new(None).unwrap();
        assert!(all.matches("anything"));
        let deep = InputFilter::new(Some(&["**/*.rs".to_owned()])).unwrap();
        assert!(deep.matches("a.rs") && deep.matches("a/b/c.rs"));
    }

    #[test]
    fn digests_differ_when_bytes_shift_between_path_and_hash() {
        let snap = |files: Vec<(&str, Hash)>| Snapshot {
            files: files
                .into_iter()
                .map(|(p, h)| FileEntry {
                    path: p.into(),
                    hash: h,
                })
                .collect(),
            ..Snapshot::default()
        };
        let all = InputFilter::new(None).unwrap();
        let a = digest(&snap(vec![("ab", [0; 32]), ("c", [1; 32])]), &all).0;
        let b = digest(&snap(vec![("a", [0; 32]), ("bc", [1; 32])]), &all).0;
        assert_ne!(a.digest, b.digest);
        assert_eq!(a.count, 2);
    }
}
