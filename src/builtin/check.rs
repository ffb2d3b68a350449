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
use std::path::Path;

/// What checking one file gave.
pub(super) enum FileResult {
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
    let results: Vec<Option<FileResult>> = files
        .par_iter()
        .map(|rel| (!stop()).then(|| checker.check(&root, rel)))
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
