//! New code (`scope = "new"`): the lines added or modified since the merge
//! base of a reference and HEAD, work tree included, per file relative to
//! the project root (the config's folder; files outside it are left out).
//!
//! One `git diff -U0 -M <merge base>` against the work tree covers what was
//! committed since, what is staged and what is not; `git ls-files --others`
//! adds the untracked files, every line of which is new. Only the hunk
//! headers (`@@ -a,b +c,d @@`) and file headers are read, so the cost is
//! git's own. This module only answers what git knows; which metric counts
//! what is decided above it.

use crate::diag::UserError;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Which reference "new" is measured from, and where that choice came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reference {
    /// Named by the user (`--new-code-since`, `settings.new_code_since`):
    /// an unknown one is an error.
    Named(String),
    /// Named by `settings.new_code_since`: as [`Reference::Named`], and an
    /// unknown one is an error the caller locates in the config.
    Setting(String),
    /// A CI's target branch (`GITHUB_BASE_REF`, ...): its remote-tracking
    /// branch `origin/NAME` if there is one, else `NAME`.
    Target(String),
    /// Nothing named: the branch's upstream, else `origin/HEAD`, else
    /// `main`, else `master`.
    Default,
}

/// The lines of one file that are new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lines {
    /// Every line (an untracked file).
    All,
    /// These inclusive 1-based ranges, sorted and disjoint.
    Ranges(Vec<(u32, u32)>),
}

impl Lines {
    /// Whether line `line` (1-based) is new.
    pub(crate) fn contains(&self, line: u32) -> bool {
        match self {
            Lines::All => true,
            Lines::Ranges(ranges) => {
                let i = ranges.partition_point(|&(_, end)| end < line);
                ranges.get(i).is_some_and(|&(start, _)| start <= line)
            }
        }
    }

    /// Whether any line of `first..=last` (1-based) is new: a finding
    /// whose region spans a changed line is on new code.
    pub(crate) fn overlaps(&self, first: u32, last: u32) -> bool {
        match self {
            Lines::All => true,
            Lines::Ranges(ranges) => {
                let i = ranges.partition_point(|&(_, end)| end < first);
                ranges.get(i).is_some_and(|&(start, _)| start <= last)
            }
        }
    }

    /// How many lines are new; `None` for [`Lines::All`], which git does
    /// not count for us.
    pub(crate) fn count(&self) -> Option<u64> {
        match self {
            Lines::All => None,
            Lines::Ranges(r) => Some(r.iter().map(|&(a, b)| u64::from(b - a + 1)).sum()),
        }
    }
}

/// What "new code" is in this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewCode {
    /// The project root: the paths below are relative to it.
    pub root: PathBuf,
    /// The reference as resolved (`origin/main`), for messages.
    pub reference: String,
    /// The merge base, `None` when there is none: then every line is new.
    pub base: Option<String>,
    /// Why every line counts as new, when it does.
    pub everything: Option<String>,
    /// The files with new lines, by path relative to `root`.
    pub files: HashMap<String, Lines>,
    /// How many lines are new (untracked files' counted once, here);
    /// `None` when every line counts.
    pub changed_lines: Option<u64>,
}

impl NewCode {
    /// The new lines of `path` (relative to the top folder); every line
    /// of a file the project has when there is no merge base (a report's
    /// name for a file that is not there is never new), none when the
    /// file did not change.
    pub(crate) fn lines(&self, path: &str) -> Option<&Lines> {
        if self.everything.is_some() {
            return self.root.join(path).is_file().then_some(&Lines::All);
        }
        self.files.get(path)
    }

    /// How many lines are new; `None` when every line counts.
    pub(crate) fn changed_line_count(&self) -> Option<u64> {
        self.changed_lines
    }
}

/// Untracked files larger than this are not read to count their lines (a
/// build artefact nobody ignored, not source).
const COUNTED_UP_TO: u64 = 64 << 20;

/// How many lines of `files` are new, an untracked file's counted by
/// reading it (when it is at most [`COUNTED_UP_TO`] bytes).
fn count_changed(root: &Path, files: &HashMap<String, Lines>) -> u64 {
    files
        .iter()
        .map(|(path, lines)| {
            lines.count().unwrap_or_else(|| {
                let path = root.join(path);
                match std::fs::metadata(&path) {
                    Ok(m) if m.is_file() && m.len() <= COUNTED_UP_TO => {
                        std::fs::read(&path).map_or(0, |b| line_count(&b))
                    }
                    _ => 0,
                }
            })
        })
        .sum()
}

fn line_count(bytes: &[u8]) -> u64 {
    let newlines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    newlines + u64::from(!bytes.is_empty() && !bytes.ends_with(b"\n"))
}

fn git(root: &Path, args: &[&str]) -> Result<std::process::Output, UserError> {
    super::command(root)
        .args(["-c", "core.quotepath=off"])
        .args(args)
        .output()
        .map_err(|e| UserError::new(format!("cannot run git: {e}")))
}

fn stdout_line(output: &std::process::Output) -> Option<String> {
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// The commit `name` names, if it names one.
fn commit_of(root: &Path, name: &str) -> Result<Option<String>, UserError> {
    let out = git(
        root,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{name}^{{commit}}"),
        ],
    )?;
    Ok(stdout_line(&out))
}

/// The reference to compare with, as a name git resolves; `None` when the
/// default finds none.
/// `verified`: whether a named reference names a commit, when already
/// asked of git.
fn resolve(
    root: &Path,
    reference: &Reference,
    verified: Option<bool>,
) -> Result<Option<String>, UserError> {
    let unknown = |name: &str, whence: &str| {
        UserError::new(format!("new code: unknown ref `{name}`{whence}"))
            .hint("name a branch, tag or commit that exists here (`--new-code-since REF` or `settings.new_code_since`); in CI fetch it first, e.g. `git fetch origin main`")
    };
    // A name git would read as an option is no ref (`--output=x`).
    let named = match reference {
        Reference::Named(n) | Reference::Setting(n) | Reference::Target(n) => Some(n),
        Reference::Default => None,
    };
    if let Some(name) = named.filter(|n| n.starts_with('-') || n.is_empty()) {
        return Err(unknown(name, ""));
    }
    match reference {
        Reference::Named(name) | Reference::Setting(name) => {
            let known = match verified {
                Some(known) => known,
                None => commit_of(root, name)?.is_some(),
            };
            if known {
                Ok(Some(name.clone()))
            } else {
                Err(unknown(name, ""))
            }
        }
        Reference::Target(name) => {
            for candidate in [format!("origin/{name}"), name.clone()] {
                if commit_of(root, &candidate)?.is_some() {
                    return Ok(Some(candidate));
                }
            }
            Err(unknown(name, " (the CI's target branch)"))
        }
        Reference::Default => {
            let upstream = git(
                root,
                &[
                    "rev-parse",
                    "--abbrev-ref",
                    "--symbolic-full-name",
                    "@{upstream}",
                ],
            )?;
            let upstream = stdout_line(&upstream);
            for candidate in upstream
                .into_iter()
                .chain(["origin/HEAD", "main", "master"].map(str::to_owned))
            {
                if commit_of(root, &candidate)?.is_some() {
                    return Ok(Some(candidate));
                }
            }
            Ok(None)
        }
    }
}

/// New code half found: the reference checked and its merge base known
/// (cheap, done before any gate starts, so an unknown ref stops the run);
/// the diff and the untracked files still to list ([`Pending::finish`],
/// which may run while the gates do).
pub(crate) enum Pending {
    /// Known already: no merge base, nothing to compare with.
    Known(NewCode),
    /// The diff against `base` is still to take.
    Diff {
        root: PathBuf,
        top: PathBuf,
        prefix: String,
        name: String,
        base: String,
    },
}

/// The new lines of the work tree at `root` since the merge base of
/// `reference` and HEAD, in two halves: this one, cheap, checks the
/// reference and finds the merge base (an unknown named reference is an
/// error, exit 2; no merge base, or no reference found by default, makes
/// every line new, and says why); [`Pending::finish`] takes the diff.
pub(crate) fn start(root: &Path, reference: &Reference) -> Result<Pending, UserError> {
    // A named reference is verified by the same git that finds the top
    // folder (one process fewer before any gate starts).
    let named = match reference {
        Reference::Named(n) | Reference::Setting(n) if !n.starts_with('-') && !n.is_empty() => {
            Some(format!("{n}^{{commit}}"))
        }
        _ => None,
    };
    let mut args = vec!["rev-parse", "--show-toplevel", "--show-prefix"];
    if let Some(spec) = &named {
        args.extend(["--verify", "--quiet", spec]);
    }
    let out = git(root, &args)?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut places = text.lines();
    let Some(top) = places.next().filter(|t| !t.is_empty()) else {
        return Err(UserError::new("`scope = \"new\"` needs a git repository")
            .hint("run in a git work tree, or remove `scope = \"new\"`"));
    };
    // The project root's place in the repository: `sub/`, or empty.
    let prefix = places.next().unwrap_or("").trim().to_owned();
    let verified = named
        .as_ref()
        .map(|_| out.status.success() && places.next().is_some_and(|c| !c.trim().is_empty()));
    let top = PathBuf::from(top);
    let everything = |reference: String, why: String| NewCode {
        root: root.to_path_buf(),
        reference,
        base: None,
        everything: Some(why),
        files: HashMap::new(),
        changed_lines: None,
    };
    let Some(name) = resolve(root, reference, verified)? else {
        return Ok(Pending::Known(everything(
            String::new(),
            "new code: no upstream, `origin/HEAD`, `main` or `master` to compare with: every line counts as new (set `settings.new_code_since` or `--new-code-since`)".to_owned(),
        )));
    };
    let base = git(root, &["merge-base", &name, "HEAD"])?;
    let Some(base) = stdout_line(&base) else {
        let shallow = git(root, &["rev-parse", "--is-shallow-repository"])
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "true");
        let why = format!(
            "new code: no merge base between `{name}` and HEAD{}: every line counts as new",
            if shallow {
                " (a shallow clone: fetch more history, e.g. git fetch --unshallow)"
            } else {
                ""
            }
        );
        return Ok(Pending::Known(everything(name, why)));
    };
    Ok(Pending::Diff {
        root: root.to_path_buf(),
        top,
        prefix,
        name,
        base,
    })
}

impl Pending {
    /// The second half of [`start`]: `git diff -U0 -M <base>` and `git
    /// ls-files --others`, at once.
    pub(crate) fn finish(self) -> Result<NewCode, UserError> {
        let (root, top, prefix, name, base) = match self {
            Pending::Known(known) => return Ok(known),
            Pending::Diff {
                root,
                top,
                prefix,
                name,
                base,
            } => (root, top, prefix, name, base),
        };
        diff_since(&root, &top, &prefix, name, base)
    }
}

fn diff_since(
    root: &Path,
    top: &Path,
    prefix: &str,
    name: String,
    base: String,
) -> Result<NewCode, UserError> {
    // Against the work tree: committed, staged and unstaged changes alike;
    // the untracked files are listed meanwhile (each walks the tree).
    let (diff, untracked) = std::thread::scope(|scope| {
        let untracked =
            scope.spawn(|| git(top, &["ls-files", "--others", "--exclude-standard", "-z"]));
        // No optional locks: the diff does not write back the index it
        // refreshed (a concurrent git in a gate never finds it locked).
        let diff = git(
            top,
            &[
                "--no-optional-locks",
                "diff",
                "-U0",
                "-M",
                "--no-color",
                "--no-ext-diff",
                "--no-textconv",
                "--no-relative",
                "--ignore-submodules",
                "--src-prefix=a/",
                "--dst-prefix=b/",
                &base,
                "--",
            ],
        );
        let untracked = untracked
            .join()
            .unwrap_or_else(|_| Err(UserError::new("git ls-files: its thread panicked")));
        (diff, untracked)
    });
    let (diff, untracked) = (diff?, untracked?);
    if !diff.status.success() {
        return Err(UserError::new(format!(
            "new code: git diff failed: {}",
            String::from_utf8_lossy(&diff.stderr).trim()
        )));
    }
    let mut files = parse_diff(&diff.stdout);
    for path in untracked
        .stdout
        .split(|&b| b == 0)
        .filter(|s| !s.is_empty())
    {
        files.insert(String::from_utf8_lossy(path).into_owned(), Lines::All);
    }
    if !prefix.is_empty() {
        files = files
            .into_iter()
            .filter_map(|(path, lines)| Some((path.strip_prefix(prefix)?.to_owned(), lines)))
            .collect();
    }
    Ok(NewCode {
        root: root.to_path_buf(),
        reference: name,
        base: Some(base),
        everything: None,
        changed_lines: Some(count_changed(root, &files)),
        files,
    })
}

/// The added lines of a `git diff -U0` output, by new path. A deleted
/// file, a pure deletion hunk and a binary file add no line.
pub(crate) fn parse_diff(diff: &[u8]) -> HashMap<String, Lines> {
    let mut files: HashMap<String, Lines> = HashMap::new();
    let mut current: Option<String> = None;
    let mut in_header = false;
    for line in diff.split(|&b| b == b'\n') {
        if line.starts_with(b"diff --git ") {
            in_header = true;
            current = None;
        } else if in_header && line.starts_with(b"+++ ") {
            // A name holding a space ends with a tab, for patch tools.
            let name = line[4..].strip_suffix(b"\t").unwrap_or(&line[4..]);
            current = if name == b"/dev/null" {
                None
            } else {
                let name = unquote(name);
                Some(name.strip_prefix("b/").unwrap_or(&name).to_owned())
            };
            in_header = false;
        } else if line.starts_with(b"@@ ") {
            in_header = false;
            let (Some(path), Some((start, count))) = (&current, hunk_new_range(line)) else {
                continue;
            };
            if count == 0 {
                continue;
            }
            let end = start.saturating_add(count - 1);
            match files
                .entry(path.clone())
                .or_insert(Lines::Ranges(Vec::new()))
            {
                Lines::Ranges(r) => r.push((start, end)),
                Lines::All => {}
            }
        }
    }
    for lines in files.values_mut() {
        if let Lines::Ranges(r) = lines {
            r.sort_unstable();
            let mut merged: Vec<(u32, u32)> = Vec::with_capacity(r.len());
            for &(a, b) in r.iter() {
                match merged.last_mut() {
                    Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                    _ => merged.push((a, b)),
                }
            }
            *r = merged;
        }
    }
    files.retain(|_, l| !matches!(l, Lines::Ranges(r) if r.is_empty()));
    files
}

/// `+c,d` of `@@ -a,b +c,d @@` (`+c` alone means one line).
fn hunk_new_range(line: &[u8]) -> Option<(u32, u32)> {
    let text = std::str::from_utf8(line.get(3..)?).ok()?;
    let plus = text.split(' ').find(|p| p.starts_with('+'))?;
    let plus = &plus[1..];
    let (start, count) = match plus.split_once(',') {
        Some((s, c)) => (s.parse().ok()?, c.parse().ok()?),
        None => (plus.parse().ok()?, 1),
    };
    Some((start, count))
}

/// A path as git prints it in a header: as is, or C-quoted (`"a\tb"`)
/// when it holds a quote, a backslash or a control character.
fn unquote(name: &[u8]) -> String {
    let Some(inner) = name.strip_prefix(b"\"").and_then(|n| n.strip_suffix(b"\"")) else {
        return String::from_utf8_lossy(name).into_owned();
    };
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        let b = inner[i];
        if b != b'\\' || i + 1 == inner.len() {
            out.push(b);
            i += 1;
            continue;
        }
        let next = inner[i + 1];
        i += 2;
        out.push(match next {
            b'n' => b'\n',
            b't' => b'\t',
            b'r' => b'\r',
            b'a' => 0x07,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'v' => 0x0b,
            b'0'..=b'3' if i + 1 < inner.len() => {
                let digits = [next, inner[i], inner[i + 1]];
                i += 2;
                digits
                    .iter()
                    .fold(0u32, |acc, d| acc * 8 + u32::from(d.wrapping_sub(b'0')))
                    as u8
            }
            other => other,
        });
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_give_the_added_lines_of_the_new_path() {
        let diff = b"diff --git a/x.py b/x.py\nindex 1..2 100644\n--- a/x.py\n+++ b/x.py\n@@ -3,0 +4,2 @@ def f():\n+a\n+b\n@@ -10 +12 @@\n-c\n+d\n@@ -20,3 +23,0 @@\n-e\n\
diff --git a/old.py b/new.py\nsimilarity index 90%\nrename from old.py\nrename to new.py\n--- a/old.py\n+++ b/new.py\n@@ -1 +1 @@\n-x\n+y\n\
diff --git a/gone.py b/gone.py\ndeleted file mode 100644\n--- a/gone.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n\
diff --git \"a/t\\tb.py\" \"b/t\\tb.py\"\n--- \"a/t\\tb.py\"\n+++ \"b/t\\tb.py\"\n@@ -0,0 +1 @@\n+z\n\
diff --git a/caf\\303\\251 b/caf\\303\\251\n\
diff --git a/s p.py b/s p.py\n--- a/s p.py\t\n+++ b/s p.py\t\n@@ -2 +2 @@\n-a\n+b\n";
        let files = parse_diff(diff);
        assert_eq!(files["x.py"], Lines::Ranges(vec![(4, 5), (12, 12)]));
        assert_eq!(files["new.py"], Lines::Ranges(vec![(1, 1)]));
        assert_eq!(files["t\tb.py"], Lines::Ranges(vec![(1, 1)]));
        assert_eq!(files["s p.py"], Lines::Ranges(vec![(2, 2)]));
        assert!(!files.contains_key("gone.py"));
        assert!(!files.contains_key("old.py"));
        assert_eq!(files.len(), 4);
    }

    #[test]
    fn a_hunk_line_that_looks_like_a_header_is_content() {
        // A removed line `--- a` or added `+++ b` inside hunks is content.
        let diff = b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n---- a\n++++ b\n";
        let files = parse_diff(diff);
        assert_eq!(files["x"], Lines::Ranges(vec![(1, 1)]));
    }

    #[test]
    fn quoted_names_are_unescaped() {
        assert_eq!(unquote(b"\"b/caf\\303\\251\""), "b/café");
        assert_eq!(unquote(b"\"b/a\\\"q\""), "b/a\"q");
        assert_eq!(unquote(b"b/plain name"), "b/plain name");
    }

    #[test]
    fn line_membership() {
        let lines = Lines::Ranges(vec![(2, 4), (10, 10)]);
        assert!(!lines.contains(1));
        assert!(lines.contains(2) && lines.contains(4) && lines.contains(10));
        assert!(!lines.contains(5) && !lines.contains(11));
        assert_eq!(lines.count(), Some(4));
        assert_eq!(line_count(b"a\nb"), 2);
        assert_eq!(line_count(b"a\nb\n"), 2);
        assert_eq!(line_count(b""), 0);
    }
}
