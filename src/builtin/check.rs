//! Running a builtin over files: the prepared check shared by the threads,
//! one [`FileResult`] per file, and their tally into an [`Outcome`].
//!
//! [`execute`] checks files in parallel and polls `stop` between files; a
//! stopped run is marked cancelled. Each check lives in its own module;
//! this one only dispatches to them and never judges the findings.

use super::forbidden::Forbidden;
use super::outcome::Outcome;
use super::secrets::Scanner;
use super::{conflicts, large_files, scan, syntax, Finding, Kind, Spec};
use crate::files::root::Root;
use crate::sys::name;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

/// What checking one file gave.
#[derive(Debug, Clone)]
pub(crate) enum FileResult {
    Checked(Vec<Finding>),
    Binary,
    Note(String),
    /// Not a regular file (a symlink, a FIFO, gone): nothing to check.
    Nothing,
}

/// The prepared state of a check, shared by the threads.
enum Checker<'s> {
    /// `large-files` looks at sizes, never at content.
    LargeFiles { max_size: u64 },
    /// Every other check reads each file's content.
    Content(ContentCheck<'s>),
}

/// A check that reads each file's content.
enum ContentCheck<'s> {
    Secrets {
        scanner: Scanner,
        allow: &'s [String],
    },
    ConflictMarkers,
    Forbidden(Forbidden<'s>),
    Syntax,
}

/// Runs the builtin over `files` (relative to `root`). `stop` is polled
/// between files: when it says so, the run ends early and is marked
/// cancelled.
pub(crate) fn execute(
    spec: &Spec,
    root: &Path,
    files: &[&str],
    stop: &(dyn Fn() -> bool + Sync),
) -> Outcome {
    execute_with(spec, root, files, stop, None)
}

/// Like [`execute`], but a file whose content was already checked (from
/// the bytes the cold hash read, [`ContentScan`]) is not read again: its
/// result is taken from `prescanned`.
pub(crate) fn execute_with(
    spec: &Spec,
    root: &Path,
    files: &[&str],
    stop: &(dyn Fn() -> bool + Sync),
    prescanned: Option<&Prescanned>,
) -> Outcome {
    let checker = Checker::new(spec);
    let root = match Root::open(root) {
        Ok(r) => r,
        Err(e) => {
            return Outcome {
                notes: vec![format!("cannot open `{}`: {e}", root.display())],
                ..Outcome::default()
            }
        }
    };
    let known = |rel: &str| prescanned.and_then(|p| p.0.get(rel).cloned());
    let results: Vec<Option<FileResult>> = files
        .par_iter()
        .map(|rel| (!stop()).then(|| known(rel).unwrap_or_else(|| checker.check(&root, rel))))
        .collect();
    let mut outcome = tally(files, results);
    outcome.sort_findings();
    outcome
}

/// Adds up the results of `files`, in order; a missing result means the
/// run was stopped first.
fn tally(files: &[&str], results: Vec<Option<FileResult>>) -> Outcome {
    let mut outcome = Outcome::default();
    for (rel, result) in files.iter().zip(results) {
        let Some(result) = result else {
            outcome.cancelled = true;
            continue;
        };
        match result {
            FileResult::Checked(mut found) => {
                outcome.files += 1;
                if name::is_escaped(rel) {
                    // A name that is not UTF-8, shown as git quotes it.
                    for f in &mut found {
                        f.file = name::display(rel).into_owned();
                    }
                }
                outcome.findings.extend(found);
            }
            FileResult::Binary => {
                outcome.files += 1;
                outcome.binary += 1;
            }
            FileResult::Note(note) => outcome
                .notes
                .push(format!("{}: {note}", name::display(rel))),
            FileResult::Nothing => {}
        }
    }
    outcome
}

impl<'s> Checker<'s> {
    fn new(spec: &'s Spec) -> Checker<'s> {
        let content = match spec.kind {
            Kind::LargeFiles => {
                return Checker::LargeFiles {
                    max_size: spec.max_size,
                }
            }
            Kind::Secrets => ContentCheck::Secrets {
                scanner: Scanner::new(&spec.rules),
                allow: &spec.allow,
            },
            Kind::ConflictMarkers => ContentCheck::ConflictMarkers,
            Kind::Forbidden => ContentCheck::Forbidden(Forbidden::new(spec)),
            Kind::Syntax => ContentCheck::Syntax,
        };
        Checker::Content(content)
    }

    fn check(&self, root: &Root, rel: &str) -> FileResult {
        match self {
            Checker::LargeFiles { max_size } => large_files::check(root, rel, *max_size),
            Checker::Content(check) => check.file(root, rel),
        }
    }
}

impl ContentCheck<'_> {
    /// Reads `rel` (unless the check has nothing to say about it) and scans
    /// its content.
    fn file(&self, root: &Root, rel: &str) -> FileResult {
        if matches!(self, ContentCheck::Syntax) && syntax::Format::of(rel).is_none() {
            return FileResult::Nothing;
        }
        match scan::read_text(root, rel) {
            Ok(content) => self.content(rel, &content),
            Err(instead) => instead,
        }
    }

    /// The findings in the content of one text file.
    fn content(&self, rel: &str, content: &[u8]) -> FileResult {
        let mut found = Vec::new();
        match self {
            ContentCheck::Secrets { scanner, allow } => {
                scanner.scan(allow, rel, content, &mut found);
            }
            ContentCheck::ConflictMarkers => conflicts::scan(rel, content, &mut found),
            ContentCheck::Forbidden(forbidden) => forbidden.scan(rel, content, &mut found),
            ContentCheck::Syntax => match syntax::check(rel, content) {
                Some(Ok(finding)) => found.push(finding),
                Some(Err(note)) => return FileResult::Note(note),
                None => {}
            },
        }
        FileResult::Checked(found)
    }
}

/// A content check fed with bytes read elsewhere: the cold hash hands it
/// each file it reads whole (one read for both, issue 14), and the results
/// wait, by path, for the gate to run. Only what [`execute`] would read
/// itself is taken: a regular file the check reads, within
/// [`scan::MAX_SCAN_BYTES`]; the result is what `execute` would give for
/// the same bytes.
pub(crate) struct ContentScan<'s> {
    check: ContentCheck<'s>,
    results: Mutex<HashMap<String, FileResult>>,
}

/// The results a [`ContentScan`] gathered, by path.
#[derive(Debug, Default)]
pub(crate) struct Prescanned(HashMap<String, FileResult>);

impl Prescanned {
    /// How many files were checked ahead.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether `rel` was checked ahead.
    pub(crate) fn holds(&self, rel: &str) -> bool {
        self.0.contains_key(rel)
    }
}

impl<'s> ContentScan<'s> {
    /// The scan for `spec`, or `None` for a check that reads no content
    /// (`large-files`).
    pub(crate) fn new(spec: &'s Spec) -> Option<Self> {
        match Checker::new(spec) {
            Checker::LargeFiles { .. } => None,
            Checker::Content(check) => Some(ContentScan {
                check,
                results: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Whether this check reads `rel`, `size` bytes long.
    pub(crate) fn wants(&self, rel: &str, size: u64) -> bool {
        size <= scan::MAX_SCAN_BYTES
            && !(matches!(self.check, ContentCheck::Syntax) && syntax::Format::of(rel).is_none())
    }

    /// Checks `bytes`, the content of the regular file `rel`, and keeps
    /// the result.
    pub(crate) fn scan(&self, rel: &str, bytes: &[u8]) {
        if bytes.len() as u64 > scan::MAX_SCAN_BYTES {
            // Grew past the limit since its lstat: left to `execute`.
            return;
        }
        let result = if scan::is_binary(bytes) {
            FileResult::Binary
        } else {
            self.check.content(rel, bytes)
        };
        let mut results = match self.results.lock() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        };
        results.insert(rel.to_owned(), result);
    }

    /// What was checked.
    pub(crate) fn into_results(self) -> Prescanned {
        Prescanned(match self.results.into_inner() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Pieces a file is made of: plain text, a token, conflict markers,
    /// a NUL (binary), broken and sound JSON.
    const PIECES: &[&str] = &[
        "let x = 1;\n",
        "k = 'ghp_R8xWq2ZtY5nB7vK3mP9sD4fG6hJ1lA0cE2uI'\n", // pqg:allow
        "<<<<<<< ours\n",
        "=======\n",
        ">>>>>>> theirs\n",
        "\0",
        "{\"a\": 1,,}\n",
        "{\"a\": 1}\n",
        "# pqg:allow ghp_T1yUq3WeR5tY7uI9oP2aS4dF6gH8jK0lZ1xC\n", // pqg:allow
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// A check fed the bytes the hash read finds what it finds when it
        /// reads the files itself: the same findings, notes and counts (the
        /// files are not even there for the second check to read).
        #[test]
        fn a_check_from_the_hashs_bytes_finds_what_reading_the_file_finds(
            files in proptest::collection::vec(
                (proptest::sample::select(vec!["a.rs", "b.json", "c.txt", "d.toml"]),
                 proptest::collection::vec(0..PIECES.len(), 0..6)),
                1..6,
            ),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let mut names = Vec::new();
            for (n, (ext, pieces)) in files.iter().enumerate() {
                let name = format!("f{n}{ext}");
                let content: String = pieces.iter().map(|&p| PIECES[p]).collect();
                std::fs::write(dir.path().join(&name), content).unwrap();
                names.push(name);
            }
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            for kind in [Kind::Secrets, Kind::ConflictMarkers, Kind::Syntax] {
                let spec = Spec::new(kind);
                let alone = execute(&spec, dir.path(), &refs, &|| false);
                let scan = ContentScan::new(&spec).expect("a content check");
                for name in &names {
                    let bytes = std::fs::read(dir.path().join(name)).unwrap();
                    if scan.wants(name, bytes.len() as u64) {
                        scan.scan(name, &bytes);
                    }
                }
                let prescanned = scan.into_results();
                // Gone from the disk: what is found now comes from the bytes.
                let moved = tempfile::tempdir().unwrap();
                let shared = execute_with(&spec, moved.path(), &refs, &|| false, Some(&prescanned));
                prop_assert_eq!(&shared.findings, &alone.findings);
                prop_assert_eq!(&shared.notes, &alone.notes);
                prop_assert_eq!((shared.files, shared.binary), (alone.files, alone.binary));
            }
        }
    }
}
