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

/// One source file's lines in a coverage report: the lines the report
/// instruments, and among them those it says were never hit.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct FileLines {
    /// The file's name as the report writes it.
    pub path: String,
    /// The project paths (relative to the config's folder, with `/`) the
    /// name may mean, most likely first; filled in by whoever knows where
    /// the report was written.
    #[serde(default)]
    pub places: Vec<String>,
    /// Instrumented lines, sorted, each once.
    pub lines: Vec<u32>,
    /// Instrumented lines with no hit, sorted, each once.
    pub missed: Vec<u32>,
}

impl FileLines {
    /// Builds a file's lines from `(line, hits > 0)` pairs in any order; a
    /// line listed twice (two records, two classes of one file) is covered
    /// when any of them hit it.
    pub fn from_hits(path: String, mut hits: Vec<(u32, bool)>) -> FileLines {
        FileLines::from_hits_in(path, &mut hits)
    }

    /// [`FileLines::from_hits`] from pairs the caller keeps (sorted here),
    /// so that one buffer serves a whole report.
    pub fn from_hits_in(path: String, hits: &mut [(u32, bool)]) -> FileLines {
        hits.sort_unstable();
        let mut lines: Vec<u32> = Vec::with_capacity(hits.len());
        let mut missed: Vec<u32> = Vec::new();
        for same in hits.chunk_by(|a, b| a.0 == b.0) {
            let line = same[0].0;
            lines.push(line);
            if !same.iter().any(|&(_, hit)| hit) {
                missed.push(line);
            }
        }
        FileLines {
            path,
            places: Vec::new(),
            lines,
            missed,
        }
    }
}

/// What a coverage report says: line totals, branch totals when it has
/// any, and, when asked for, each file's lines.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CoverageReport {
    pub lines: LineCoverage,
    /// Branches found and hit; `None` when the report records none.
    pub branches: Option<LineCoverage>,
    /// Folders the report's relative file names are relative to
    /// (Cobertura's `<source>` elements), in the report's order.
    pub sources: Vec<String>,
    /// Each file's lines (only when asked for, else empty).
    pub files: Vec<FileLines>,
}

impl CoverageReport {
    /// Percent of branches hit; an error when the report records none.
    pub fn branch_percent(&self) -> Result<f64, String> {
        match self.branches {
            Some(b) if b.found > 0 => Ok(100.0 * b.hit as f64 / b.found as f64),
            _ => Err("the report records no branches (was branch coverage measured? coverage.py: `--branch`; cargo-llvm-cov: `--branch`)".to_owned()),
        }
    }
}

/// Turns a coverage report's file names into the project paths (relative
/// to `root`, with `/`) they may mean, most likely first: an absolute name
/// (or `file://` URI) as it is; a relative one against each of the
/// report's `sources` (an absolute source as it is, a relative one under
/// `dir`), then against `dir` (where the tool ran), then against `root`.
/// `.` and `..` are taken out as written; `real_root`, the root with its
/// links resolved, also counts as the root (a tool may write real paths).
/// Nothing is read from disk: a name is matched with new code's paths
/// when it is judged.
pub struct Places {
    root: PathBuf,
    real_root: Option<PathBuf>,
    dir: PathBuf,
    /// `dir` relative to `root` with a trailing `/` (empty at the root),
    /// when it is under it: plain names take a fast path through it.
    dir_in_root: Option<String>,
    sources: Vec<PathBuf>,
}

impl Places {
    /// A resolver for one report.
    pub fn new(sources: &[String], dir: &Path, root: &Path, real_root: Option<&Path>) -> Places {
        let root = normal(root);
        let dir = normal(dir);
        let dir_in_root = if dir == root {
            Some(String::new())
        } else {
            relative(&dir, &root).map(|r| format!("{r}/"))
        };
        Places {
            sources: sources
                .iter()
                .map(|s| {
                    let s = Path::new(s.strip_prefix("file://").unwrap_or(s));
                    normal(&if s.is_absolute() {
                        s.to_path_buf()
                    } else {
                        dir.join(s)
                    })
                })
                .collect(),
            real_root: real_root.map(normal),
            root,
            dir,
            dir_in_root,
        }
    }

    /// The project paths `written` may mean, most likely first.
    pub fn of(&self, written: &str) -> Vec<String> {
        let written = written.strip_prefix("file://").unwrap_or(written);
        let plain = !written.is_empty()
            && !written.starts_with('/')
            && written
                .split('/')
                .all(|c| !c.is_empty() && c != "." && c != "..");
        // Fast path, the usual report: a plain relative name, no sources.
        if let (true, true, Some(dir)) = (plain, self.sources.is_empty(), &self.dir_in_root) {
            let here = format!("{dir}{written}");
            return if dir.is_empty() {
                vec![here]
            } else {
                vec![here, written.to_owned()]
            };
        }
        let name = Path::new(written);
        let mut absolute: Vec<PathBuf> = Vec::new();
        if name.is_absolute() {
            absolute.push(name.to_path_buf());
        } else {
            for source in &self.sources {
                absolute.push(source.join(name));
            }
            absolute.push(self.dir.join(name));
            absolute.push(self.root.join(name));
        }
        let mut out: Vec<String> = Vec::new();
        for path in &absolute {
            let path = normal(path);
            let found = relative_normal(&path, &self.root)
                .or_else(|| relative_normal(&path, self.real_root.as_deref()?));
            if let Some(rel) = found.filter(|r| !out.contains(r)) {
                out.push(rel);
            }
        }
        if out.is_empty() {
            // A name that reaches the project through a symbolic link (a
            // checkout at a linked path, macOS /var): its real path, for a
            // file that exists.
            let real_root = self.real_root.as_deref().unwrap_or(&self.root);
            for path in &absolute {
                let found = std::fs::canonicalize(path)
                    .ok()
                    .and_then(|real| relative_normal(&real, real_root));
                if let Some(rel) = found.filter(|r| !out.contains(r)) {
                    out.push(rel);
                }
            }
        }
        out
    }
}

/// [`Places::of`] for one name, building the resolver for it.
pub fn places(
    written: &str,
    sources: &[String],
    dir: &Path,
    root: &Path,
    real_root: Option<&Path>,
) -> Vec<String> {
    Places::new(sources, dir, root, real_root).of(written)
}

/// `path` with `.` and `..` taken out, as written (no link is followed).
fn normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `path` relative to `root`, with `/`; `None` outside it or at it.
fn relative(path: &Path, root: &Path) -> Option<String> {
    relative_normal(path, &normal(root))
}

/// [`relative`] for a `root` without `.` or `..`.
fn relative_normal(path: &Path, root: &Path) -> Option<String> {
    use std::path::Component;
    let rel = path.strip_prefix(root).ok()?;
    let parts: Vec<&str> = rel
        .components()
        .map(|c| match c {
            Component::Normal(s) => s.to_str(),
            _ => None,
        })
        .collect::<Option<_>>()?;
    (!parts.is_empty()).then(|| parts.join("/"))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_names_in_every_form_become_project_paths() {
        let (dir, root) = (Path::new("/p/sub"), Path::new("/p"));
        let p = |name: &str, sources: &[&str]| {
            let sources: Vec<String> = sources.iter().map(|s| (*s).to_owned()).collect();
            places(name, &sources, dir, root, Some(Path::new("/real/p")))
        };
        assert_eq!(p("/p/src/a.py", &[]), vec!["src/a.py"]);
        assert_eq!(p("file:///p/src/a.py", &[]), vec!["src/a.py"]);
        assert_eq!(p("/real/p/src/a.py", &[]), vec!["src/a.py"]);
        assert_eq!(p("/elsewhere/a.py", &[]), Vec::<String>::new());
        assert_eq!(p("./a.py", &[]), vec!["sub/a.py", "a.py"]);
        assert_eq!(p("../a.py", &[]), vec!["a.py"]);
        assert_eq!(
            p("pkg/a.py", &["/p/src", "lib"]),
            vec![
                "src/pkg/a.py",
                "sub/lib/pkg/a.py",
                "sub/pkg/a.py",
                "pkg/a.py"
            ]
        );
    }
}
