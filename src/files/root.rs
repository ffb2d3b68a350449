//! The config's folder, opened once so that files are stat'ed and opened
//! relative to it, and the state `lstat` reports for each file (for a
//! symlink, also what following it finds).

use crate::sys::fs as sys_fs;
use libc::{S_IFDIR, S_IFLNK, S_IFMT, S_IFREG};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
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

    /// `lstat` of each of `paths` (relative to the root), in parallel and
    /// in order. The files of one folder are stat'ed relative to it, opened
    /// once (consecutive paths of a sorted list mostly share their folder):
    /// the kernel walks one name per file instead of its whole path.
    pub fn lstat_all<S: AsRef<str> + Sync>(
        &self,
        paths: &[S],
    ) -> Vec<std::io::Result<(FileState, Kind)>> {
        use rayon::prelude::*;
        let folder = |p: &str| p.rfind('/').map_or(0, |i| i + 1);
        // Runs of paths in one folder: each path's folder found once (four
        // searches a path were a tenth of a warm run's own instructions).
        let mut runs: Vec<(usize, usize)> = Vec::new();
        let mut run_folder = None;
        for (i, p) in paths.iter().enumerate() {
            let p = p.as_ref();
            let here = &p[..folder(p)];
            match runs.last_mut() {
                Some((_, end)) if run_folder == Some(here) => *end = i + 1,
                _ => {
                    runs.push((i, i + 1));
                    run_folder = Some(here);
                }
            }
        }
        runs.par_iter()
            .with_min_len(8)
            .flat_map_iter(|&(start, end)| {
                let first = paths[start].as_ref();
                let cut = folder(first);
                let dir = (cut > 1)
                    .then(|| sys_fs::open_dir_at(self.fd.as_fd(), &first[..cut - 1]).ok())
                    .flatten();
                (start..end).map(move |i| {
                    let p = paths[i].as_ref();
                    match &dir {
                        // `dir/`: a folder git lists so (a nested repository).
                        Some(dir) if p.len() > cut => lstat_in(dir.as_fd(), &p[cut..]),
                        _ => self.lstat(p),
                    }
                })
            })
            .collect()
    }

    /// `lstat` of `rel` relative to the root (`""`: the root itself), the
    /// bare numbers: nothing followed, nothing more asked.
    pub(crate) fn stat_data(&self, rel: &str) -> std::io::Result<sys_fs::Stat> {
        sys_fs::lstat_at(self.fd.as_fd(), if rel.is_empty() { "." } else { rel })
    }

    /// `lstat` of `rel`, relative to the root; for a symlink, also `stat`
    /// of what it leads to (one more call, for symlinks only).
    pub fn lstat(&self, rel: &str) -> std::io::Result<(FileState, Kind)> {
        lstat_in(self.fd.as_fd(), rel)
    }
}

/// [`Root::lstat`] relative to the folder `dir`.
fn lstat_in(dir: BorrowedFd<'_>, rel: &str) -> std::io::Result<(FileState, Kind)> {
    let st = sys_fs::lstat_at(dir, rel)?;
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
        Some(Box::new(match sys_fs::stat_at(dir, rel) {
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

/// The config's folder as an absolute path, for listing.
pub(crate) fn absolute(root: &Path) -> PathBuf {
    std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lstat_all_agrees_with_lstat_in_order_whatever_the_folders() {
        let dir = tempfile::tempdir().unwrap();
        let root_path = dir.path();
        for rel in ["a.txt", "d/b.txt", "d/e/c.txt", "d/f.txt", "d-x/g.txt"] {
            let path = root_path.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, rel).unwrap();
        }
        std::fs::create_dir_all(root_path.join("nested")).unwrap();
        std::os::unix::fs::symlink("d", root_path.join("link")).unwrap();
        std::os::unix::fs::symlink("b.txt", root_path.join("d/to-b")).unwrap();
        let root = Root::open(root_path).unwrap();
        let paths = [
            "a.txt",
            "d-x/g.txt",
            "d/b.txt",
            "d/e/c.txt",
            "d/f.txt",
            "d/gone.txt",
            "d/to-b",
            "gone/x.txt",
            "link/b.txt",
            "nested/",
        ];
        let all = root.lstat_all(&paths);
        assert_eq!(all.len(), paths.len());
        for (path, got) in paths.iter().zip(all) {
            match (root.lstat(path), got) {
                (Ok(want), Ok(got)) => assert_eq!(want, got, "{path}"),
                (Err(want), Err(got)) => assert_eq!(want.kind(), got.kind(), "{path}"),
                (want, got) => panic!("{path}: {want:?} vs {got:?}"),
            }
        }
    }
}
