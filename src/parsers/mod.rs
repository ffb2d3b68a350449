//! Parsers for the reports real tools write: LCOV and Cobertura coverage,
//! JUnit XML test results, SARIF findings (DESIGN §3).
//!
//! Each parser streams (XML through quick-xml, LCOV line by line), so memory
//! stays bounded whatever the size of the report, and each returns either
//! the numbers or why the report cannot be read: a truncated or malformed
//! report is an error, never a number. The functions take readers so that
//! tests, benchmarks and fuzz targets drive them without files.

pub mod cobertura;
pub mod detail;
pub mod json;
pub mod junit;
pub mod lcov;
pub mod sarif;

use std::path::{Path, PathBuf};

/// Buffer size for reading reports: large reads, few syscalls.
pub const READ_BUFFER: usize = 256 * 1024;

/// Line coverage: lines found (instrumented) and lines hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineCoverage {
    pub found: u64,
    pub hit: u64,
}

impl LineCoverage {
    /// Percent of lines hit; an error when no line was instrumented.
    pub fn percent(&self) -> Result<f64, String> {
        if self.found == 0 {
            return Err("the report covers no lines".to_owned());
        }
        Ok(100.0 * self.hit as f64 / self.found as f64)
    }
}

/// Opens `path` for a parser, naming the file in the error. Only a regular
/// file (or a symlink to one) is read: the open never blocks (a FIFO would
/// wait for a writer forever), and a FIFO, socket, device or folder is an
/// error saying it is "not a regular file".
pub fn open(path: &Path, shown: &Path) -> Result<std::io::BufReader<std::fs::File>, String> {
    open_regular(path, shown).map(|f| std::io::BufReader::with_capacity(READ_BUFFER, f))
}

/// Opens the regular file `path` without blocking, naming `shown` in the
/// error; anything else is an error.
pub fn open_regular(path: &Path, shown: &Path) -> Result<std::fs::File, String> {
    use std::os::unix::fs::OpenOptionsExt;
    let cannot = |why: String| format!("cannot read `{}`: {why}", shown.display());
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| cannot(e.to_string()))?;
    let meta = file.metadata().map_err(|e| cannot(e.to_string()))?;
    if !meta.is_file() {
        return Err(cannot(not_regular(&meta.file_type())));
    }
    Ok(file)
}

/// Why a path that is not a regular file is not read: "not a regular file
/// (a FIFO)".
pub fn not_regular(kind: &std::fs::FileType) -> String {
    use std::os::unix::fs::FileTypeExt;
    let what = if kind.is_dir() {
        "a folder"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() || kind.is_char_device() {
        "a device"
    } else {
        "a special file"
    };
    format!("not a regular file ({what})")
}

/// The files a path or glob names, relative to `dir`, sorted; an error when
/// a glob matches nothing or a plain path does not exist.
pub fn expand(dir: &Path, pattern: &str) -> Result<Vec<PathBuf>, String> {
    let is_glob = pattern.contains(['*', '?', '[', '{']);
    if !is_glob {
        let path = dir.join(pattern);
        return match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => Ok(vec![path]),
            Ok(m) => Err(format!(
                "cannot read `{pattern}`: {}",
                not_regular(&m.file_type())
            )),
            Err(_) => Err(format!("cannot read `{pattern}`: no such file")),
        };
    }
    let glob = globset::GlobBuilder::new(pattern.trim_start_matches("./"))
        .literal_separator(true)
        .build()
        .map_err(|e| format!("invalid glob `{pattern}`: {e}"))?
        .compile_matcher();
    // Walk from the glob's literal prefix only.
    let literal: Vec<&str> = pattern
        .trim_start_matches("./")
        .split('/')
        .take_while(|c| !c.contains(['*', '?', '[', '{']))
        .collect();
    let base = dir.join(literal.join("/"));
    let mut found: Vec<PathBuf> = walkdir::WalkDir::new(&base)
        .follow_links(false)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter(|e| {
            e.path()
                .strip_prefix(dir)
                .ok()
                .and_then(Path::to_str)
                .is_some_and(|rel| glob.is_match(rel))
        })
        .map(walkdir::DirEntry::into_path)
        .collect();
    found.sort();
    if found.is_empty() {
        return Err(format!("glob `{pattern}` matches no file"));
    }
    Ok(found)
}

/// Parses a non-negative integer as reports write it.
pub(crate) fn count(text: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(text).ok()?.trim();
    text.parse().ok()
}
