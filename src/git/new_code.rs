//! New code (`scope = "new"`): the lines added or modified since the merge
//! base of a reference and HEAD, work tree included, per file relative to
//! the project root (the config's folder; files outside it are left out).
//!
//! What is new is what `git diff -U0 -M <merge base>` against the work tree
//! adds (committed since, staged and not), plus the untracked files, every
//! line of which is new. Only the hunk headers (`@@ -a,b +c,d @@`) and file
//! headers are read. Asked of git whole, that diff stats every tracked file
//! (and git lists the untracked ones with a walk of its own) while pqg's
//! snapshot has just done both; so, when the project is the whole work tree
//! and git's index is one [`super::index`] reads, the diff is taken in two
//! parts that give the same lines (see [`IndexHalf`]): the merge base
//! against the index (`git diff --cached`, no file stat'ed), and against
//! the work tree only at the paths where pqg's own stat data say the work
//! tree may differ from the index. This module only answers what git knows;
//! which metric counts what is decided above it.

use crate::diag::UserError;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Why new code cannot be measured in this run: the reference names no
/// commit here (the caller may point at where the user wrote it), or git
/// could not answer. Both are user errors (exit 2).
#[derive(Debug, Clone)]
pub(crate) enum StartError {
    /// The named reference (or the CI's target branch) names no commit.
    UnknownRef(UserError),
    /// Not a git work tree, or git could not run.
    Git(UserError),
}

impl From<UserError> for StartError {
    fn from(e: UserError) -> Self {
        StartError::Git(e)
    }
}

impl From<StartError> for UserError {
    fn from(e: StartError) -> Self {
        match e {
            StartError::UnknownRef(e) | StartError::Git(e) => e,
        }
    }
}

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
) -> Result<Option<String>, StartError> {
    let unknown = |name: &str, whence: &str| {
        StartError::UnknownRef(
            UserError::new(format!("new code: unknown ref `{name}`{whence}"))
                .hint("name a branch, tag or commit that exists here (`--new-code-since REF` or `settings.new_code_since`); in CI fetch it first, e.g. `git fetch origin main`"),
        )
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

/// A merge base found before: that of the commit the reference named
/// (`reference`) and the commit HEAD was (`head`). Commits do not change,
/// so the same two have the same merge base, as long as no shallow
/// boundary, graft or replaced object bends the history (then none is
/// kept or taken).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct KnownBase {
    pub reference: String,
    pub head: String,
    pub base: String,
}

/// HEAD's commit in the repository at `root`, read from its files, when
/// its history is whole: no shallow boundary, graft or replaced object.
fn plain_head(root: &Path) -> Option<String> {
    // git would read another repository than the files below say.
    let elsewhere = ["GIT_DIR", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY"];
    if elsewhere.iter().any(|v| std::env::var_os(v).is_some()) {
        return None;
    }
    let dirs = super::dirs(root)?;
    let bent = super::has_replacements(&dirs)
        || ["shallow", "info/grafts"]
            .iter()
            .any(|f| std::fs::symlink_metadata(dirs.common.join(f)).is_ok());
    if bent {
        return None;
    }
    super::head_in(&dirs).0
}

/// New code half found: the reference checked and its merge base known
/// (cheap, done before any gate starts, so an unknown ref stops the run);
/// the diff and the untracked files still to list ([`Pending::finish`],
/// which may run while the gates do).
pub(crate) enum Pending {
    /// Known already: no merge base, nothing to compare with.
    Known(NewCode),
    /// The diff against the merge base is still to take.
    Diff(DiffSince),
}

/// What the diff of new code is taken from: the project at `root`, in the
/// work tree at `top` (its place there: `prefix`), since `base`, the merge
/// base of the reference `name` and HEAD.
pub(crate) struct DiffSince {
    root: PathBuf,
    top: PathBuf,
    prefix: String,
    name: String,
    base: String,
}

/// The new lines of the work tree at `root` since the merge base of
/// `reference` and HEAD, in two halves: this one, cheap, checks the
/// reference and finds the merge base (an unknown named reference is an
/// error, exit 2; no merge base, or no reference found by default, makes
/// every line new, and says why); [`Pending::finish`] takes the diff.
/// `known`: a merge base found by an earlier run, taken when its two
/// commits are this run's (no `git merge-base`); the merge base found, to
/// keep, comes back with the answer.
pub(crate) fn start(
    root: &Path,
    reference: &Reference,
    known: Option<&KnownBase>,
) -> Result<(Pending, Option<KnownBase>), StartError> {
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
        return Err(StartError::Git(
            UserError::new("`scope = \"new\"` needs a git repository")
                .hint("run in a git work tree, or remove `scope = \"new\"`"),
        ));
    };
    // The project root's place in the repository: `sub/`, or empty.
    let prefix = places.next().unwrap_or("").trim().to_owned();
    let commit = places.next().map(str::trim).filter(|c| !c.is_empty());
    let verified = named
        .as_ref()
        .map(|_| out.status.success() && commit.is_some());
    let commit = commit.filter(|c| super::is_object_id(c));
    // The commit a named reference is, with HEAD's: the merge base's key.
    let commits = named
        .as_ref()
        .and(commit)
        .filter(|_| out.status.success())
        .and_then(|c| Some((c.to_owned(), plain_head(root)?)));
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
        return Ok((Pending::Known(everything(
            String::new(),
            "new code: no upstream, `origin/HEAD`, `main` or `master` to compare with: every line counts as new (set `settings.new_code_since` or `--new-code-since`)".to_owned(),
        )), None));
    };
    let kept = known.filter(|k| {
        commits
            .as_ref()
            .is_some_and(|(r, h)| *r == k.reference && *h == k.head)
    });
    let base = match kept {
        Some(k) => {
            crate::debug!("new code: the merge base of the same two commits as before");
            Some(k.base.clone())
        }
        None => stdout_line(&git(root, &["merge-base", &name, "HEAD"])?),
    };
    let Some(base) = base else {
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
        return Ok((Pending::Known(everything(name, why)), None));
    };
    let found = commits.map(|(reference, head)| KnownBase {
        reference,
        head,
        base: base.clone(),
    });
    Ok((
        Pending::Diff(DiffSince {
            root: root.to_path_buf(),
            top,
            prefix,
            name,
            base,
        }),
        found,
    ))
}

impl Pending {
    /// The second half of [`start`] in one go: `git diff -U0 -M <base>`
    /// against the work tree and `git ls-files --others`, at once.
    pub(crate) fn finish(self) -> Result<NewCode, UserError> {
        match self {
            Pending::Known(known) => Ok(known),
            Pending::Diff(d) => diff_since(&d.root, &d.top, &d.prefix, d.name, d.base, None),
        }
    }

    /// The second half of [`start`], begun: git's index read, for the
    /// caller to compare with what it stat'ed of the work tree
    /// ([`worktree_changes`]) while [`IndexHalf::finish`] takes the diff
    /// against the index. When the project is not the whole work tree, or
    /// the index is one [`super::index`] does not read, the diff is to be
    /// taken whole ([`Half::Whole`]).
    pub(crate) fn read_index(self) -> Half {
        let diff = match self {
            Pending::Known(known) => return Half::Whole(Pending::Known(known)),
            Pending::Diff(diff) => diff,
        };
        let why = if diff.prefix.is_empty() {
            let DiffSince {
                root,
                top,
                name,
                base,
                ..
            } = &diff;
            // pqg stats the files under the project root only: below the
            // top, a file outside the root gone from the work tree would
            // be missed as the other half of a rename.
            match super::dirs(top).filter(|d| d.top == *top) {
                None => "no git folder at the top".to_owned(),
                Some(dirs) => {
                    let index_file = dirs.git_dir.join("index");
                    let read = file_id(&index_file);
                    match read_index_of(&dirs) {
                        Ok(index) if read.is_some() => {
                            let key = inputs_key(&dirs, root, name, base, &index.bytes);
                            let DiffSince {
                                root,
                                top,
                                name,
                                base,
                                ..
                            } = diff;
                            let half = IndexHalf {
                                root,
                                top,
                                name,
                                base,
                                index_file,
                                read,
                                key,
                            };
                            return Half::Index(half, index);
                        }
                        Ok(_) => "git's index could not be told apart from a newer one".to_owned(),
                        Err(why) => format!("{why:#}"),
                    }
                }
            }
        } else {
            "the project is a subfolder of its work tree".to_owned()
        };
        crate::debug!("new code: the diff is to be taken against the whole work tree ({why})");
        Half::Whole(Pending::Diff(diff))
    }
}

/// [`Pending::read_index`]'s answer.
pub(crate) enum Half {
    /// Nothing to compare with, or the diff to take whole:
    /// [`Pending::finish`].
    Whole(Pending),
    /// git's index, read before the diff against it is taken: what the
    /// work tree is compared with.
    Index(IndexHalf, IndexFile),
}

/// git's index file as read, parsed only when the work tree is compared
/// with it (a run that takes the last run's new code never does).
pub(crate) struct IndexFile {
    bytes: Vec<u8>,
    written: (u32, u32),
}

impl IndexFile {
    /// Its entries, or why this reader does not understand them.
    pub(crate) fn parse(&self) -> anyhow::Result<super::index::Index> {
        let mut index = super::index::parse(&self.bytes)?;
        index.written = self.written;
        Ok(index)
    }
}

/// Which file a path is: when git replaces its index it writes a new file
/// and renames it over the old one.
type FileId = (u64, u64, i64, i64);

fn file_id(path: &Path) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::symlink_metadata(path).ok()?;
    Some((m.ino(), m.size(), m.mtime(), m.mtime_nsec()))
}

/// What the caller saw of the work tree, for [`IndexHalf::finish`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct WorkTree {
    /// The tracked paths whose file may differ from its index entry:
    /// [`worktree_changes`].
    pub changed: Changed,
    /// The untracked files that are not ignored, as `git ls-files --others
    /// --exclude-standard` listed them at the top, when the caller had
    /// them listed already.
    pub untracked: Option<Vec<String>>,
    /// A digest of every file of the work tree that is not ignored (path,
    /// mode, content) and of the untracked ones' names, when the caller
    /// took one: with [`IndexHalf::key`], all new code depends on.
    pub tree: Option<[u8; 32]>,
    /// A digest of the work tree's `.gitattributes` files (path and
    /// content), which the diff against the index reads too.
    pub attributes: Option<[u8; 32]>,
}

/// The index file's bytes and mtime, unparsed: its bytes name its entries
/// whole (a split index's name its shared part by its hash).
fn read_index_of(dirs: &super::Dirs) -> anyhow::Result<IndexFile> {
    use std::os::unix::fs::MetadataExt;
    for var in ["GIT_DIR", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"] {
        if std::env::var_os(var).is_some() {
            anyhow::bail!("{var} is set");
        }
    }
    super::index::check_sha1(dirs)?;
    let path = dirs.git_dir.join("index");
    // One open file for the bytes and the mtime (see `index::read_in`).
    let mut file = std::fs::File::open(&path)?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut file, &mut bytes)?;
    let meta = file.metadata()?;
    Ok(IndexFile {
        bytes,
        written: (meta.mtime() as u32, meta.mtime_nsec() as u32),
    })
}

/// A digest of what new code depends on besides the work tree: the
/// project, the reference and merge base, git's index (its bytes), and
/// the settings the diff reads (git's config files, the attributes
/// outside the work tree, the environment that picks them); `None` when
/// they cannot all be told without git (a config that includes another
/// or names an attributes file, replaced objects).
fn inputs_key(
    dirs: &super::Dirs,
    root: &Path,
    name: &str,
    base: &str,
    index: &[u8],
) -> Option<[u8; 32]> {
    if super::has_replacements(dirs) {
        return None;
    }
    let mut files = super::ignore_rule_files(dirs)?;
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let xdg = env("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".config")));
    files.push(dirs.git_dir.join("info/attributes"));
    files.push(dirs.common.join("info/attributes"));
    files.extend(xdg.map(|x| x.join("git/attributes")));
    files.extend(super::system_files("gitattributes"));
    files.push(dirs.common.join("shallow"));
    files.push(dirs.common.join("info/grafts"));
    let mut h = blake3::Hasher::new();
    h.update(b"pqg new code 1\0");
    h.update(&super::config_env_digest());
    for part in [
        root.as_os_str().as_encoded_bytes(),
        name.as_bytes(),
        base.as_bytes(),
    ] {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part);
    }
    h.update(&(index.len() as u64).to_le_bytes());
    h.update(index);
    for file in files {
        let path = file.as_os_str().as_encoded_bytes();
        h.update(&(path.len() as u64).to_le_bytes());
        h.update(path);
        match std::fs::read(&file) {
            Ok(text) => {
                if String::from_utf8_lossy(&text)
                    .to_ascii_lowercase()
                    .contains("attributesfile")
                {
                    return None;
                }
                h.update(&[1]);
                h.update(&(text.len() as u64).to_le_bytes());
                h.update(&text);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                h.update(&[0]);
            }
            Err(_) => return None,
        }
    }
    Some(*h.finalize().as_bytes())
}

/// The tracked paths (relative to the top) whose file in the work tree may
/// differ from its index entry, sorted, and whether one of them may be
/// half of a rename in the diff against the work tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Changed {
    pub paths: Vec<String>,
    /// For each path, its index entry's blob when only its content can
    /// tell (the stat data differ, or git would not trust them: a file
    /// edited in place, or not at all); `None` when it may pair.
    pub blobs: Vec<Option<[u8; super::index::SHA1_LEN]>>,
    /// Whether a path is gone from the work tree (or reached through a
    /// folder that is no folder, or no longer a file of its kind), an
    /// intent-to-add entry or a conflict: as a rename's source or
    /// destination it may pair with any file the merge base lacks or has.
    pub may_pair: bool,
}

/// The diff against the work tree in two parts, for a project that is its
/// whole work tree: `git diff --cached -U0 -M <base>` (the index against
/// the merge base: no file stat'ed), and `git diff -U0 -M <base> -- PATHS`
/// against the work tree at the paths where it may differ from the index.
/// Elsewhere a file is its index entry, so the first part's lines are the
/// whole diff's. A rename pairs a file the merge base has and the work tree
/// lacks with one the work tree has and the merge base lacks: when a path
/// of the second part may be one of those, every path the first part adds,
/// deletes or renames is diffed against the work tree too, so that the
/// second part sees every file a rename could pair, as the whole diff
/// does; when none may (a file edited in place), a rename is the same in
/// both. Lines of both, the second's replacing the first's at its paths,
/// are what the whole diff gives.
pub(crate) struct IndexHalf {
    root: PathBuf,
    top: PathBuf,
    name: String,
    base: String,
    index_file: PathBuf,
    /// The index file read ([`file_id`]): the diff against the index must
    /// read the same one.
    read: Option<FileId>,
    key: Option<[u8; 32]>,
}

/// More paths than this for the work tree's part of the diff, or longer
/// names together than [`MAX_PATH_BYTES`], and the diff is taken whole:
/// git matches every index entry against every path given (on 20,000
/// files, 0.4 ms of CPU a path, where the whole diff takes 35 ms), and a
/// command line has a limit.
const MAX_PATHS: usize = 32;
const MAX_PATH_BYTES: usize = 64 << 10;

/// At most this many files are hashed to learn whether they hold what the
/// index does; past it, the diff is taken whole.
const MAX_HASHED: usize = 4_096;

/// Whether each of `paths` (relative to `top`) holds its index entry's
/// blob (`blobs`; `None`: it cannot), as `git hash-object` hashes it (with
/// the filters git applies when it compares a file with its entry).
fn same_as_index(
    top: &Path,
    paths: &[String],
    blobs: &[Option<[u8; super::index::SHA1_LEN]>],
) -> Result<Vec<bool>, String> {
    use std::io::Write as _;
    if paths.iter().any(|p| p.contains('\n')) {
        return Err("a name holds a line break".to_owned());
    }
    let mut child = super::command(top)
        .args(["hash-object", "--stdin-paths"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let out = std::thread::scope(|scope| {
        scope.spawn(move || {
            for p in paths {
                if writeln!(stdin, "{p}").is_err() {
                    break;
                }
            }
        });
        child.wait_with_output()
    })
    .map_err(|e| format!("git hash-object: {e}"))?;
    if !out.status.success() {
        return Err("git hash-object failed".to_owned());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let hashes: Vec<&str> = text.lines().collect();
    if hashes.len() != paths.len() {
        return Err("git hash-object answered for other files".to_owned());
    }
    Ok(hashes
        .iter()
        .zip(blobs)
        .map(|(hash, blob)| blob.is_some_and(|b| hex(&b) == *hash))
        .collect())
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

impl IndexHalf {
    /// A digest of what new code depends on besides the work tree
    /// ([`WorkTree::tree`]); `None` when it cannot be told.
    pub(crate) fn key(&self) -> Option<[u8; 32]> {
        self.key
    }

    /// The top folder of the work tree, which [`WorkTree`]'s paths are
    /// relative to.
    pub(crate) fn top(&self) -> &Path {
        &self.top
    }

    /// Takes the diff against the index (and lists the untracked files
    /// meanwhile unless `listed`: the caller will have them), then waits
    /// for `work_tree` (what the caller saw of the work tree; `None`: it
    /// saw nothing, and the diff is taken whole) and takes the work tree's
    /// part. `staged`: the diff against the index as read before for the
    /// same [`IndexHalf::key`] and `.gitattributes` files, taken instead.
    /// Gives back the diff against the index it used, when it used one.
    pub(crate) fn finish(
        self,
        listed: bool,
        staged: Option<Patch>,
        work_tree: impl FnOnce() -> Option<WorkTree>,
    ) -> Result<(NewCode, Option<Patch>), UserError> {
        let IndexHalf {
            root,
            top,
            name,
            base,
            index_file,
            read,
            key: _,
        } = self;
        let known = staged;
        let (staged, listed_here) = std::thread::scope(|scope| {
            let listing = (!listed).then(|| scope.spawn(|| untracked_files(&top)));
            let staged = match known {
                Some(patch) => Ok(Ok(patch)),
                None => {
                    let args = diff_args(&base, &["--cached"], &[]);
                    git(&top, &args.iter().map(String::as_str).collect::<Vec<_>>())
                        .map(|out| succeeded(out).map(|out| parse_patch(&out.stdout)))
                }
            };
            let listed_here = listing.map(|l| {
                l.join()
                    .unwrap_or_else(|_| Err(UserError::new("git ls-files: its thread panicked")))
            });
            (staged, listed_here.transpose())
        });
        let whole = |why: &str, untracked: Option<Vec<String>>| {
            crate::debug!("new code: the diff is taken against the whole work tree ({why})");
            diff_since(&root, &top, "", name.clone(), base.clone(), untracked).map(|nc| (nc, None))
        };
        let (staged, listed_here) = (staged??, listed_here?);
        if file_id(&index_file) != read {
            return whole("git's index changed meanwhile", listed_here);
        }
        let kept = staged.clone();
        let Some(mut moved) = staged.moved else {
            return whole(
                "a file header of the staged diff was not understood",
                listed_here,
            );
        };
        let Some(work) = work_tree() else {
            return whole("no stat data of the work tree to compare with", listed_here);
        };
        let Changed {
            mut paths,
            may_pair,
            blobs,
        } = work.changed;
        // Too many files edited in place by their stat data (committed or
        // staged in the index's own second, "racily clean", or touched):
        // those whose content is their entry's, as git hashes it, are
        // left out, as git's own refresh would.
        if paths.len() > MAX_PATHS && !may_pair && paths.len() <= MAX_HASHED {
            match same_as_index(&top, &paths, &blobs) {
                Ok(same) => {
                    let before = paths.len();
                    paths = paths
                        .into_iter()
                        .zip(same)
                        .filter_map(|(p, same)| (!same).then_some(p))
                        .collect();
                    crate::debug!(
                        "new code: {} of {before} files whose stat data differ from the index hold what it does",
                        before - paths.len()
                    );
                }
                Err(why) => crate::debug!("new code: files not hashed ({why})"),
            }
        }
        // A path of the staged diff's renames edited in the work tree may
        // pair otherwise there.
        moved.sort_unstable();
        if may_pair || paths.iter().any(|p| moved.binary_search(p).is_ok()) {
            paths.extend(moved);
        }
        paths.sort_unstable();
        paths.dedup();
        let bytes: usize = paths.iter().map(|p| p.len() + 1).sum();
        if paths.len() > MAX_PATHS || bytes > MAX_PATH_BYTES {
            let why = format!("{} paths may differ from the index", paths.len());
            return whole(&why, work.untracked.or(listed_here));
        }
        let mut files = staged.files;
        files.retain(|path, _| paths.binary_search(path).is_err());
        crate::debug!(
            "new code: {} files changed since the merge base in the index; {} paths looked at in the work tree",
            files.len(),
            paths.len()
        );
        if !paths.is_empty() {
            let literal: Vec<&str> = paths.iter().map(String::as_str).collect();
            let args = diff_args(&base, &[], &literal);
            let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
            args.insert(0, "--literal-pathspecs");
            let diff = succeeded(git(&top, &args)?)?;
            files.extend(parse_diff(&diff.stdout));
        }
        let untracked = match work.untracked.or(listed_here) {
            Some(u) => u,
            None => untracked_files(&top)?,
        };
        Ok((
            new_code_of(root, name, base, files, untracked, ""),
            Some(kept),
        ))
    }
}

/// Which tracked paths (relative to the top) the work tree may hold other
/// than their entries in `index`, judged from the stat data in `seen` (the
/// files someone stat'ed, paths relative to the top, sorted) as git judges
/// a file unchanged, or more strictly: a conflict, an intent-to-add entry,
/// an entry git itself would have to read (racily clean, smudged), a path
/// `seen` lacks (gone, a folder now), a folder on its path that is no
/// folder, or any stat field that differs (times to the nanosecond). Never
/// entries git does not compare with the work tree (assume-unchanged,
/// skip-worktree, submodules: the diff ignores them). A path listed here
/// for nothing costs a little; one missed would lose lines.
pub(crate) fn worktree_changes<S: super::status::StatView + ?Sized>(
    index: &super::index::Index,
    seen: &S,
    top: &Path,
) -> Changed {
    let split = |ns: i64| {
        (
            ns.div_euclid(1_000_000_000) as u32,
            ns.rem_euclid(1_000_000_000) as u32,
        )
    };
    let mut folders = super::status::RealFolders::new(top);
    /// What the work tree may hold at an entry.
    #[derive(PartialEq)]
    enum Seen {
        Same,
        Edited,
        /// Gone, another kind of file, intent-to-add, a conflict.
        Pairing,
    }
    let mut changed = Changed::default();
    let mut next = 0;
    for e in &index.entries {
        if e.assume_valid || e.skip_worktree || e.mode == super::index::GITLINK {
            continue;
        }
        // Both lists are sorted by path bytes: one cursor walks them.
        let at = seen.position(&e.path, &mut next);
        let seen = match at {
            _ if e.stage != 0 || e.intent_to_add || !folders.on_path_of(&e.path) => Seen::Pairing,
            None => Seen::Pairing,
            Some(i) => {
                let st = seen.stat(i);
                let mode = st.index_mode().unwrap_or(0);
                if mode & 0o170000 != e.mode & 0o170000 {
                    Seen::Pairing
                } else if mode != e.mode
                    || st.size as u32 != e.size
                    || split(st.mtime_ns) != e.mtime
                    || split(st.ctime_ns) != e.ctime
                    || st.ino as u32 != e.ino
                    // Racily clean: written in the second the index was.
                    || e.mtime.0 >= index.written.0
                    // Smudged by git: size 0 with a blob that is not empty.
                    || (e.size == 0 && e.oid != super::index::EMPTY_BLOB)
                {
                    Seen::Edited
                } else {
                    Seen::Same
                }
            }
        };
        if seen == Seen::Same {
            continue;
        }
        changed.may_pair |= seen == Seen::Pairing;
        if changed.paths.last() != Some(&e.path) {
            changed.paths.push(e.path.clone());
            changed.blobs.push((seen == Seen::Edited).then_some(e.oid));
        } else if let Some(last) = changed.blobs.last_mut() {
            // Several entries (a conflict's stages): it may pair.
            *last = None;
        }
    }
    changed
}

/// `git diff` with what every diff here needs, from `base` to the work
/// tree or (with `--cached`) the index, at `paths` (all when empty).
fn diff_args(base: &str, extra: &[&str], paths: &[&str]) -> Vec<String> {
    // No optional locks: the diff does not write back the index it
    // refreshed (a concurrent git in a gate never finds it locked).
    let mut args: Vec<String> = ["--no-optional-locks", "diff"]
        .iter()
        .chain(extra)
        .chain(&[
            "-U0",
            "-M",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--no-relative",
            "--ignore-submodules",
            "--src-prefix=a/",
            "--dst-prefix=b/",
        ])
        .map(|s| (*s).to_owned())
        .collect();
    args.push(base.to_owned());
    args.push("--".to_owned());
    args.extend(paths.iter().map(|p| (*p).to_owned()));
    args
}

fn succeeded(out: std::process::Output) -> Result<std::process::Output, UserError> {
    if out.status.success() {
        Ok(out)
    } else {
        Err(UserError::new(format!(
            "new code: git diff failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// The untracked files that are not ignored, relative to the top.
fn untracked_files(top: &Path) -> Result<Vec<String>, UserError> {
    let out = git(top, &["ls-files", "--others", "--exclude-standard", "-z"])?;
    Ok(out
        .stdout
        .split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|path| String::from_utf8_lossy(path).into_owned())
        .collect())
}

/// The diff against the whole work tree, and the untracked files (listed
/// meanwhile unless `untracked` has them).
fn diff_since(
    root: &Path,
    top: &Path,
    prefix: &str,
    name: String,
    base: String,
    untracked: Option<Vec<String>>,
) -> Result<NewCode, UserError> {
    let (diff, untracked) = std::thread::scope(|scope| {
        let listing = untracked
            .is_none()
            .then(|| scope.spawn(|| untracked_files(top)));
        let args = diff_args(&base, &[], &[]);
        let diff = git(top, &args.iter().map(String::as_str).collect::<Vec<_>>());
        let untracked = match listing {
            Some(l) => l
                .join()
                .unwrap_or_else(|_| Err(UserError::new("git ls-files: its thread panicked"))),
            None => Ok(untracked.unwrap_or_default()),
        };
        (diff, untracked)
    });
    let (diff, untracked) = (succeeded(diff?)?, untracked?);
    let files = parse_diff(&diff.stdout);
    Ok(new_code_of(
        root.to_path_buf(),
        name,
        base,
        files,
        untracked,
        prefix,
    ))
}

/// New code from the diff's files (paths relative to the top) and the
/// untracked ones, made relative to the project root (`prefix` is its
/// place in the work tree).
fn new_code_of(
    root: PathBuf,
    name: String,
    base: String,
    mut files: HashMap<String, Lines>,
    untracked: Vec<String>,
    prefix: &str,
) -> NewCode {
    for path in untracked {
        files.insert(path, Lines::All);
    }
    if !prefix.is_empty() {
        files = files
            .into_iter()
            .filter_map(|(path, lines)| Some((path.strip_prefix(prefix)?.to_owned(), lines)))
            .collect();
    }
    NewCode {
        changed_lines: Some(count_changed(&root, &files)),
        root,
        reference: name,
        base: Some(base),
        everything: None,
        files,
    }
}

/// A `git diff -U0` output read: the added lines by new path, and every
/// path a file was added at, deleted from or renamed from or to (`None`
/// when a header named a path that could not be read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Patch {
    pub files: HashMap<String, Lines>,
    pub moved: Option<Vec<String>>,
}

/// Reads a `git diff -U0` output: [`parse_diff`]'s lines, and the paths
/// of the files added, deleted and renamed, from the extended headers
/// (`new file mode`, `deleted file mode`, `rename from`, `rename to`) and
/// the file's names (`--- a/x`, `+++ b/x`, or the `diff --git` line when
/// there are none: an empty or binary file).
pub(crate) fn parse_patch(diff: &[u8]) -> Patch {
    let mut moved: Option<Vec<String>> = Some(Vec::new());
    // The header of the file being read: its `diff --git` line, whether it
    // is added or deleted, and its old and new names when given.
    struct Header<'a> {
        line: &'a [u8],
        added: bool,
        deleted: bool,
        old: Option<String>,
        new: Option<String>,
    }
    let mut header: Option<Header> = None;
    let close = |header: Option<Header>, moved: &mut Option<Vec<String>>| {
        let Some(h) = header else { return };
        if !(h.added || h.deleted) {
            return;
        }
        let name = if h.added { h.new } else { h.old }.or_else(|| same_names(h.line));
        match (name, moved.as_mut()) {
            (Some(name), Some(m)) => m.push(name),
            _ => *moved = None,
        }
    };
    let name = |rest: &[u8], side: &str| {
        let rest = rest.strip_suffix(b"\t").unwrap_or(rest);
        (rest != b"/dev/null").then(|| {
            let name = unquote(rest);
            name.strip_prefix(side).unwrap_or(&name).to_owned()
        })
    };
    let mut in_header = false;
    for line in diff.split(|&b| b == b'\n') {
        if let Some(rest) = line.strip_prefix(b"diff --git ") {
            close(header.take(), &mut moved);
            header = Some(Header {
                line: rest,
                added: false,
                deleted: false,
                old: None,
                new: None,
            });
            in_header = true;
            continue;
        }
        if line.starts_with(b"@@ ") {
            in_header = false;
        }
        let Some(h) = header.as_mut().filter(|_| in_header) else {
            continue;
        };
        if line.starts_with(b"new file mode ") {
            h.added = true;
        } else if line.starts_with(b"deleted file mode ") {
            h.deleted = true;
        } else if let Some(rest) = line
            .strip_prefix(b"rename from ")
            .or_else(|| line.strip_prefix(b"rename to "))
            .or_else(|| line.strip_prefix(b"copy from "))
            .or_else(|| line.strip_prefix(b"copy to "))
        {
            if let Some(m) = moved.as_mut() {
                m.push(unquote(rest));
            }
        } else if let Some(rest) = line.strip_prefix(b"--- ") {
            h.old = name(rest, "a/");
        } else if let Some(rest) = line.strip_prefix(b"+++ ") {
            h.new = name(rest, "b/");
            in_header = false;
        }
    }
    close(header.take(), &mut moved);
    Patch {
        files: parse_diff(diff),
        moved,
    }
}

/// The one name of a `diff --git a/x b/x` line (after `diff --git `)
/// whose two names are the same path, as they are for a file added or
/// deleted: two halves of one length around a space.
fn same_names(rest: &[u8]) -> Option<String> {
    if rest.len().is_multiple_of(2) {
        return None;
    }
    let mid = rest.len() / 2;
    if rest[mid] != b' ' {
        return None;
    }
    let (a, b) = (unquote(&rest[..mid]), unquote(&rest[mid + 1..]));
    let (a, b) = (a.strip_prefix("a/")?, b.strip_prefix("b/")?);
    (a == b).then(|| a.to_owned())
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
    use super::super::index;
    use super::super::status::{StatView, WorkStat};
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
    fn a_patch_names_the_files_added_deleted_and_renamed() {
        // As `git diff --cached -U0 -M` writes them with core.quotepath off:
        // a mode change and an edit (neither moved), renames without a hunk
        // (their names only in `rename from/to`), binary and empty files
        // added or deleted (their names only on the `diff --git` line),
        // names with spaces (`---`/`+++` end with a tab) or quoted.
        let diff = "diff --git a/keep.txt b/keep.txt\nindex de98044..7be73ce 100644\n--- a/keep.txt\n+++ b/keep.txt\n@@ -2 +2 @@ a\n-b\n+B\n\
diff --git a/mode.sh b/mode.sh\nold mode 100644\nnew mode 100755\n\
diff --git a/ré name.py b/moved ré.py\nsimilarity index 100%\nrename from ré name.py\nrename to moved ré.py\n\
diff --git a/new.bin b/new.bin\nnew file mode 100644\nindex 0000000..3e3315e\nBinary files /dev/null and b/new.bin differ\n\
diff --git a/old.bin b/old.bin\ndeleted file mode 100644\nindex 88768ef..0000000\nBinary files a/old.bin and /dev/null differ\n\
diff --git a/gone empty b/gone empty\ndeleted file mode 100644\nindex e69de29..0000000\n\
diff --git \"a/t\\tab\" \"b/t\\tab\"\nnew file mode 100644\nindex 0000000..e69de29\n\
diff --git a/s p.py b/s p.py\nnew file mode 100644\nindex 0000000..1\n--- /dev/null\n+++ b/s p.py\t\n@@ -0,0 +1,2 @@\n+a\n+b\n\
diff --git a/d.py b/d.py\ndeleted file mode 100644\nindex 1..0000000\n--- a/d.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n\
diff --git a/o.py b/n.py\nsimilarity index 80%\nrename from o.py\nrename to n.py\nindex 1..2 100644\n--- a/o.py\n+++ b/n.py\n@@ -3 +3 @@\n-x\n+y\n";
        let patch = parse_patch(diff.as_bytes());
        let mut moved = patch.moved.expect("every name read");
        moved.sort();
        assert_eq!(
            moved,
            [
                "d.py",
                "gone empty",
                "moved ré.py",
                "n.py",
                "new.bin",
                "o.py",
                "old.bin",
                "ré name.py",
                "s p.py",
                "t\tab",
            ]
        );
        assert_eq!(patch.files["keep.txt"], Lines::Ranges(vec![(2, 2)]));
        assert_eq!(patch.files["s p.py"], Lines::Ranges(vec![(1, 2)]));
        assert_eq!(patch.files["n.py"], Lines::Ranges(vec![(3, 3)]));
        assert_eq!(patch.files.len(), 3);
        // A name that cannot be read from the `diff --git` line: the diff is
        // then taken whole.
        let odd = b"diff --git a/x b/yy\nnew file mode 100644\nindex 0000000..e69de29\n";
        assert!(parse_patch(odd).moved.is_none());
    }

    /// Files someone stat'ed, sorted.
    struct Seen(Vec<(&'static str, WorkStat)>);

    impl StatView for Seen {
        fn file_count(&self) -> usize {
            self.0.len()
        }
        fn path(&self, i: usize) -> &str {
            self.0[i].0
        }
        fn stat(&self, i: usize) -> WorkStat {
            self.0[i].1
        }
    }

    /// What the work tree may hold at `f`, as the index and the stat data
    /// saw it (the same unless a test changes one side; `state` false: `f`
    /// was not stat'ed): `None` its entry, `Some(false)` an edit,
    /// `Some(true)` half of a rename.
    fn listed(
        entry: impl FnOnce(&mut index::Entry),
        state: impl FnOnce(&mut WorkStat) -> bool,
    ) -> Option<bool> {
        let mut e = index::Entry {
            path: "f".into(),
            ctime: (1000, 5),
            mtime: (1000, 7),
            ino: 42,
            mode: 0o100644,
            size: 6,
            oid: [1; 20],
            stage: 0,
            assume_valid: false,
            skip_worktree: false,
            intent_to_add: false,
        };
        let mut st = WorkStat {
            size: 6,
            mtime_ns: 1000 * 1_000_000_000 + 7,
            ctime_ns: 1000 * 1_000_000_000 + 5,
            ino: 42,
            mode: 0o100644,
        };
        entry(&mut e);
        let seen = if state(&mut st) {
            Seen(vec![("e", st), ("f", st), ("g", st)])
        } else {
            Seen(vec![("e", st), ("g", st)])
        };
        let index = index::Index {
            entries: vec![e],
            tree: None,
            written: (2000, 500_000_000),
            file: None,
        };
        let changed = worktree_changes(&index, &seen, Path::new("/"));
        assert!(changed.paths.iter().all(|p| p == "f"));
        assert!(!changed.may_pair || !changed.paths.is_empty());
        (!changed.paths.is_empty()).then_some(changed.may_pair)
    }

    #[test]
    fn the_work_tree_may_differ_wherever_stat_data_cannot_vouch_for_it() {
        const S: i64 = 1_000_000_000;
        let (same, edited, pairing) = (None, Some(false), Some(true));
        let entry = |_: &mut index::Entry| {};
        assert_eq!(listed(entry, |_| true), same, "unchanged");
        assert_eq!(listed(entry, |_| false), pairing, "not stat'ed: gone");
        for field in 0..6 {
            let changed = listed(entry, |s| {
                match field {
                    0 => s.mtime_ns += S,
                    1 => s.ctime_ns += S,
                    // To the nanosecond: a file git itself would take for
                    // its entry is asked of git all the same.
                    2 => s.ctime_ns += 1,
                    3 => s.ino = 43,
                    4 => s.size = 7,
                    _ => s.mode = 0o100755,
                }
                true
            });
            assert_eq!(changed, edited, "field {field}");
        }
        let symlink = |s: &mut WorkStat| {
            s.mode = 0o120777;
            true
        };
        assert_eq!(listed(entry, symlink), pairing, "now a symlink");
        assert_eq!(listed(|e| e.stage = 2, |_| true), pairing, "a conflict");
        assert_eq!(listed(|e| e.intent_to_add = true, |_| true), pairing);
        let racy = |e: &mut index::Entry| e.mtime = (2000, 0);
        let racy_file = |s: &mut WorkStat| {
            s.mtime_ns = 2000 * S;
            true
        };
        assert_eq!(listed(racy, racy_file), edited, "racily clean");
        let smudged = |s: &mut WorkStat| {
            s.size = 0;
            true
        };
        assert_eq!(listed(|e| e.size = 0, smudged), edited, "smudged");
        // Entries git never compares with the work tree: the diff against
        // it takes the index's, as the one against the index does.
        assert_eq!(listed(|e| e.skip_worktree = true, |_| false), same);
        assert_eq!(listed(|e| e.assume_valid = true, |_| false), same);
        assert_eq!(listed(|e| e.mode = index::GITLINK, |_| false), same);
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
