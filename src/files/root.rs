//! The config's folder, opened once so that files are stat'ed and opened
//! relative to it, and the state `lstat` reports for each file.

use crate::sys::fs as sys_fs;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

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

    /// `lstat` of `rel`, relative to the root.
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
        let state = FileState {
            size: st.size,
            mtime_ns: st.mtime_ns,
            ctime_ns: st.ctime_ns,
            ino: st.ino,
            dev: st.dev,
            mode: st.mode,
        };
        Ok((state, kind))
    }
}

/// The config's folder as an absolute path, for listing.
pub(crate) fn absolute(root: &Path) -> PathBuf {
    std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf())
}
