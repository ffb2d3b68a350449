//! File system calls relative to an open folder: `openat` that never
//! follows a symlink, and `fstatat` that follows one only when asked. Paths
//! are resolved by the kernel from the folder, so no absolute path is built
//! per file.

use std::ffi::{CStr, CString};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// What `lstat` says about a path, in plain numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub size: u64,
    pub mtime_ns: i64,
    pub ctime_ns: i64,
    pub ino: u64,
    pub dev: u64,
    /// `st_mode`: the file type bits and the permissions.
    pub mode: u32,
}

impl Stat {
    /// Whether this is a folder.
    pub(crate) fn is_dir(&self) -> bool {
        self.mode & libc::S_IFMT == libc::S_IFDIR
    }

    /// Whether this is a regular file.
    pub(crate) fn is_file(&self) -> bool {
        self.mode & libc::S_IFMT == libc::S_IFREG
    }

    /// Whether this is a symlink (never followed).
    pub(crate) fn is_symlink(&self) -> bool {
        self.mode & libc::S_IFMT == libc::S_IFLNK
    }

    /// Whether this is a regular file its owner may execute: the one mode
    /// bit git tracks (`100755` against `100644`).
    pub(crate) fn is_exec(&self) -> bool {
        self.is_file() && self.mode & 0o100 != 0
    }
}

/// Opens the folder `path` as a handle for the `*_at` calls below: not for
/// reading its entries, closed on exec.
pub(crate) fn open_dir(path: &Path) -> io::Result<OwnedFd> {
    let dir = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_PATH | libc::O_CLOEXEC)
        .open(path)?;
    Ok(dir.into())
}

/// Opens the folder `rel`, relative to `dir`, as a handle like
/// [`open_dir`]'s (symlinks on the way are followed, as a path walk does).
pub(crate) fn open_dir_at(dir: BorrowedFd<'_>, rel: &str) -> io::Result<OwnedFd> {
    let fd = with_c_path(rel, |c| {
        // SAFETY: `c` is a valid NUL-terminated string that outlives the
        // call, and `dir` is an open descriptor borrowed for the call's
        // duration.
        Ok(unsafe {
            libc::openat(
                dir.as_raw_fd(),
                c.as_ptr(),
                libc::O_DIRECTORY | libc::O_PATH | libc::O_CLOEXEC,
            )
        })
    })?;
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: openat succeeded, so `fd` is a new open descriptor that
    // nothing else owns: the OwnedFd becomes its only owner and closes it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `rel` (as [`name`](super::name) holds it) as the OS's bytes.
fn c_path(rel: &str) -> io::Result<CString> {
    CString::new(super::name::to_bytes(rel).into_owned())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

/// Paths shorter than this are made NUL-terminated on the stack (as the
/// standard library does): a warm run stats 20,000 files, and an
/// allocation per call was a tenth of its user time.
const STACK_PATH: usize = 384;

/// Calls `f` with `rel` as a NUL-terminated string of the OS's bytes.
fn with_c_path<T>(rel: &str, f: impl FnOnce(&CStr) -> io::Result<T>) -> io::Result<T> {
    let bytes = super::name::to_bytes(rel);
    if bytes.len() >= STACK_PATH {
        return f(&c_path(rel)?);
    }
    let mut buf = [0u8; STACK_PATH];
    buf[..bytes.len()].copy_from_slice(&bytes);
    // Refused when a NUL is inside: the name would be cut short.
    let c = CStr::from_bytes_with_nul(&buf[..=bytes.len()])
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    f(c)
}

/// Opens `rel`, relative to `dir`, for reading: never through a symlink
/// (`ELOOP`), never blocking on a FIFO.
pub(crate) fn open_nofollow_at(dir: BorrowedFd<'_>, rel: &str) -> io::Result<File> {
    let c = c_path(rel)?;
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call,
    // and `dir` is an open descriptor borrowed for the call's duration.
    let fd = unsafe {
        libc::openat(
            dir.as_raw_fd(),
            c.as_ptr(),
            libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: openat succeeded, so `fd` is a new open descriptor that
    // nothing else owns: the File becomes its only owner and closes it.
    Ok(unsafe { File::from_raw_fd(fd) })
}

/// `lstat` of `rel`, relative to `dir`: a symlink is described, not
/// followed.
pub(crate) fn lstat_at(dir: BorrowedFd<'_>, rel: &str) -> io::Result<Stat> {
    stat_at_with(dir, rel, libc::AT_SYMLINK_NOFOLLOW)
}

/// `stat` of `rel`, relative to `dir`: symlinks are followed (the kernel
/// bounds the chain and reports a loop as `ELOOP`).
pub(crate) fn stat_at(dir: BorrowedFd<'_>, rel: &str) -> io::Result<Stat> {
    stat_at_with(dir, rel, 0)
}

fn stat_at_with(dir: BorrowedFd<'_>, rel: &str, flags: libc::c_int) -> io::Result<Stat> {
    // SAFETY: `libc::stat` is plain old data, for which all-zero bytes are
    // a valid value.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    with_c_path(rel, |c| {
        // SAFETY: `c` is a valid NUL-terminated string, `st` is a valid
        // place for fstatat to write, and `dir` is open for the call's
        // duration.
        let rc = unsafe { libc::fstatat(dir.as_raw_fd(), c.as_ptr(), &mut st, flags) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    })?;
    Ok(Stat {
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
    })
}

/// Takes an exclusive `flock` on `file` without waiting: `Ok(true)` when
/// taken (held until the file is closed), `Ok(false)` when another open
/// file holds it.
pub(crate) fn try_lock(file: &File) -> io::Result<bool> {
    // SAFETY: flock on a descriptor this `File` owns and keeps open.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let err = io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        return Ok(false);
    }
    Err(err)
}

/// When `meta`'s entry last changed (its ctime), as late as its stamp may
/// mean: a file system that keeps whole seconds (or two) stamps a change
/// made at 10.9 s as 10 s, so a stamp with no nanoseconds counts as two
/// seconds later.
pub(crate) fn changed_ns(meta: &std::fs::Metadata) -> i64 {
    use std::os::unix::fs::MetadataExt;
    let at = meta.ctime().saturating_mul(1_000_000_000) + meta.ctime_nsec();
    if meta.ctime_nsec() == 0 {
        at.saturating_add(2_000_000_000)
    } else {
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    /// Names on the stack and names too long for it are stat'ed alike; a
    /// NUL inside a name is refused, not cut short.
    #[test]
    fn short_and_long_names_are_stated_and_a_nul_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let long = format!("{}/{}", "d".repeat(200), "f".repeat(250));
        std::fs::create_dir(dir.path().join("d".repeat(200))).unwrap();
        std::fs::write(dir.path().join(&long), b"12345").unwrap();
        std::fs::write(dir.path().join("short"), b"123").unwrap();
        let root = open_dir(dir.path()).unwrap();
        assert_eq!(lstat_at(root.as_fd(), "short").unwrap().size, 3);
        assert!(long.len() >= STACK_PATH);
        assert_eq!(lstat_at(root.as_fd(), &long).unwrap().size, 5);
        let near = format!("{}b", "a/".repeat((STACK_PATH - 2) / 2));
        assert_eq!(near.len(), STACK_PATH - 1);
        assert_eq!(
            lstat_at(root.as_fd(), &near).unwrap_err().raw_os_error(),
            Some(libc::ENOENT)
        );
        assert_eq!(
            lstat_at(root.as_fd(), "short\0x").unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
    }

    #[test]
    fn symlinks_are_described_and_never_opened() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), "abc").unwrap();
        std::os::unix::fs::symlink("a", dir.path().join("link")).unwrap();
        let fd = open_dir(dir.path()).unwrap();
        let a = lstat_at(fd.as_fd(), "a").unwrap();
        assert_eq!(a.size, 3);
        assert!(!a.is_dir() && !a.is_symlink());
        assert!(lstat_at(fd.as_fd(), "link").unwrap().is_symlink());
        assert_eq!(stat_at(fd.as_fd(), "link").unwrap(), a, "followed");
        std::os::unix::fs::symlink("loop", dir.path().join("loop")).unwrap();
        let looped = stat_at(fd.as_fd(), "loop").unwrap_err();
        assert_eq!(looped.raw_os_error(), Some(libc::ELOOP));
        assert!(lstat_at(fd.as_fd(), ".").unwrap().is_dir());
        assert!(open_nofollow_at(fd.as_fd(), "a").is_ok());
        let err = open_nofollow_at(fd.as_fd(), "link").unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ELOOP));
        let missing = lstat_at(fd.as_fd(), "nope").unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
        let nul = lstat_at(fd.as_fd(), "a\0b").unwrap_err();
        assert_eq!(nul.kind(), io::ErrorKind::InvalidInput);
    }
}
