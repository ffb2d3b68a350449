//! The config's folder, opened once so that files are stat'ed and opened
//! relative to it, and the state `lstat` reports for each file (for a
//! symlink, also what following it finds).

use crate::sys::fs as sys_fs;
use libc::{S_IFDIR, S_IFLNK, S_IFMT, S_IFREG};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

/// What `stat` says about a file; any change means "hash again".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileState {
    pub size: u64,
    pub mtime_ns: i64,
    pub ctime_ns: i64,
    pub ino: u64,
    pub dev: u64,
    pub mode: u32,
    /// For a symlink, what following it finds: an edit of the file it
    /// points at changes this, not the link's own stat data. Boxed: it is
    /// there for symlinks only, and every other file's state stays small
    /// (the states of a 20,000-file tree are held several times a run).
    pub target: Option<Box<Target>>,
}

/// What following a symlink finds (DESIGN §5: a symlink is hashed by its
/// target text and what it points at).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The link leads nowhere (`ENOENT`, `ENOTDIR`): a state of its own.
    Dangling,
    /// The chain of links loops, or is longer than the kernel follows.
    Loop,
    /// The file or folder it leads to, as `stat` describes it.
    Found(TargetStat),
}

/// `stat` of what a symlink leads to: the numbers `lstat` gives for any
/// path, read from the file at the end of the chain.
pub(crate) type TargetStat = sys_fs::Stat;

impl FileState {
    /// Whether this is a folder (a submodule's place in the tree).
    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }

    /// Whether this is a symlink.
    pub fn is_symlink(&self) -> bool {
        self.mode & S_IFMT == S_IFLNK
    }

    /// Whether the owner may execute this regular file: the one mode bit
    /// git tracks (`100755` against `100644`).
    pub fn is_exec(&self) -> bool {
        self.mode & S_IFMT == S_IFREG && self.mode & 0o100 != 0
    }
}

/// What kind of thing a listed path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Symlink,
    Dir,
    /// A FIFO, socket or device: never opened (a FIFO would block), its
    /// state alone enters the key.
    Special,
}

/// The config's folder, opened once so that files are stat'ed relative to
/// it: the kernel walks only the relative part of each path, and no path is
/// allocated per file.
pub struct Root {
    path: PathBuf,
    fd: OwnedFd,
}

impl Root {
    /// Opens the folder `path`.
    pub fn open(path: &Path) -> std::io::Result<Root> {
        Ok(Root {
            path: path.to_path_buf(),
            fd: sys_fs::open_dir(path)?,
        })
    }

    /// The folder's path, as given to [`open`](Self::open).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens `rel`, relative to the root, for reading: never through a
    /// symlink (`ELOOP`), never blocking on a FIFO.
    pub fn open_nofollow(&self, rel: &str) -> std::io::Result<std::fs::File> {
        sys_fs::open_nofollow_at(self.fd.as_fd(), rel)
    }

    /// `lstat` of `rel`, relative to the root; for a symlink, also `stat`
    /// of what it leads to (one more call, for symlinks only).
    pub fn lstat(&self, rel: &str) -> std::io::Result<(FileState, Kind)> {
        let st = sys_fs::lstat_at(self.fd.as_fd(), rel)?;
        let kind = if st.is_dir() {
            Kind::Dir
        } else if st.is_symlink() {
            Kind::Symlink
        } else if st.is_file() {
            Kind::File
        } else {
            Kind::Special
        };
        let target = if kind == Kind::Symlink {
            Some(Box::new(match sys_fs::stat_at(self.fd.as_fd(), rel) {
                Ok(t) => Target::Found(t),
                Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ENOTDIR)) => {
                    Target::Dangling
                }
                Err(e) if e.raw_os_error() == Some(libc::ELOOP) => Target::Loop,
                // Cannot tell what a reader would see: unreadable.
                Err(e) => return Err(e),
            }))
        } else {
            None
        };
        let state = FileState {
            size: st.size,
            mtime_ns: st.mtime_ns,
            ctime_ns: st.ctime_ns,
            ino: st.ino,
            dev: st.dev,
            mode: st.mode,
            target,
        };
        Ok((state, kind))
    }
}

/// The config's folder as an absolute path, for listing.
pub(crate) fn absolute(root: &Path) -> PathBuf {
    std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf())
}
