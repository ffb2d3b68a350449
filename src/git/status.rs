//! The repository's state as git reports it, for `pqg hook`: where its
//! hooks live, whether a commit exists here, and whether the work tree has
//! uncommitted changes (asked of git, or settled from git's index and the
//! stat data the caller took of the work tree, through [`StatView`], when
//! they can settle it). Spawns git; never decides what a hook does with the
//! answers, and knows nothing of how the caller lists or stats files.

use crate::diag::UserError;
use crate::git::command;
use crate::git::index as gitindex;
use std::path::{Path, PathBuf};

/// A work-tree file's stat data: what git compares with its index entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WorkStat {
    pub size: u64,
    pub mtime_ns: i64,
    pub ctime_ns: i64,
    pub ino: u64,
    pub mode: u32,
}

/// Files of the work tree someone stat'ed, sorted by path bytes, paths
/// relative to its top: what the index is compared with. (`files`'
/// snapshot is one; `git` only reads it through this view.)
pub(crate) trait StatView {
    /// How many files the view holds.
    fn file_count(&self) -> usize;
    /// The path of file `i`.
    fn path(&self, i: usize) -> &str;
    /// The stat data file `i` had.
    fn stat(&self, i: usize) -> WorkStat;

    /// Where `path` is, for a caller walking the index in path order:
    /// from `cursor` on (moved past every path before `path`), else by a
    /// binary search (an index may order names unlike byte order).
    fn position(&self, path: &str, cursor: &mut usize) -> Option<usize> {
        let count = self.file_count();
        while *cursor < count && self.path(*cursor) < path {
            *cursor += 1;
        }
        if *cursor < count && self.path(*cursor) == path {
            return Some(*cursor);
        }
        let (mut low, mut high) = (0, count);
        while low < high {
            let mid = low + (high - low) / 2;
            match self.path(mid).cmp(path) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }
}

impl WorkStat {
    /// The mode git records for the file (a symlink, an executable or a
    /// plain file); `None` for anything else.
    pub(crate) fn index_mode(&self) -> Option<u32> {
        match self.mode & 0o170000 {
            0o120000 => Some(0o120000),
            0o100000 if self.mode & 0o100 != 0 => Some(0o100755),
            0o100000 => Some(0o100644),
            _ => None,
        }
    }
}

/// Whether every folder on a tracked path (relative to `top`) is a folder
/// and not a symlink to one, through which the file is reached with the
/// same stat data though git counts it gone. Each folder is looked at once,
/// and the last path's folder, which the next path mostly shares, is not
/// looked up again.
pub(crate) struct RealFolders<'a> {
    top: &'a Path,
    known: std::collections::HashMap<String, bool>,
    last_real: String,
}

impl<'a> RealFolders<'a> {
    pub(crate) fn new(top: &'a Path) -> Self {
        RealFolders {
            top,
            known: std::collections::HashMap::new(),
            last_real: String::new(),
        }
    }

    pub(crate) fn on_path_of(&mut self, path: &str) -> bool {
        let Some(cut) = path.rfind('/') else {
            return true;
        };
        let parent = &path[..cut];
        if parent == self.last_real {
            return true;
        }
        let real = path.match_indices('/').all(|(at, _)| {
            let dir = &path[..at];
            if let Some(&real) = self.known.get(dir) {
                return real;
            }
            let real = std::fs::symlink_metadata(self.top.join(dir)).is_ok_and(|m| m.is_dir());
            self.known.insert(dir.to_owned(), real);
            real
        });
        if real {
            parent.clone_into(&mut self.last_real);
        }
        real
    }
}

fn git(dir: &Path, args: &[&str]) -> Result<String, UserError> {
    let out = command(dir)
        .args(args)
        .output()
        .map_err(|e| UserError::new(format!("cannot run git: {e}")).hint("install git"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let message = stderr.lines().next().unwrap_or("git failed").trim();
        return Err(
            UserError::new(format!("`git {}`: {message}", args.join(" ")))
                .hint("run pqg hook inside a git work tree"),
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The hooks folder of the repository around `dir`, and the top of its
/// work tree.
pub(crate) fn hooks_dir(dir: &Path) -> Result<(PathBuf, PathBuf), UserError> {
    let inside = command(dir)
        .args(["rev-parse", "--is-inside-work-tree", "--is-bare-repository"])
        .output();
    match inside {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            if text.lines().nth(1) == Some("true") || text.lines().next() != Some("true") {
                return Err(UserError::new(
                    "this is a bare repository: it has no work tree to check",
                )
                .hint("install the hook in a clone with a work tree"));
            }
        }
        _ => {
            return Err(UserError::new(format!(
                "`{}` is not inside a git repository",
                dir.display()
            ))
            .hint("run `git init` first, or run pqg hook inside your repository"))
        }
    }
    let top = PathBuf::from(git(dir, &["rev-parse", "--show-toplevel"])?);
    let hooks = PathBuf::from(git(dir, &["rev-parse", "--git-path", "hooks"])?);
    let hooks = if hooks.is_absolute() {
        hooks
    } else {
        dir.join(hooks)
    };
    Ok((hooks, top))
}

/// Whether the work tree has uncommitted changes to tracked files, asked
/// of `git status`. While gates run, git must not take its optional index
/// lock (a gate may need the index). Once they are done it may, and then it
/// saves what it learned, like any `git status`: entries it had to read
/// whole because their stat data could not vouch for them ("racily clean")
/// are fast again on the next push, for git and for pqg.
/// `None` when git fails (not a repository it trusts, say).
pub(crate) fn uncommitted(dir: &Path, gates_running: bool) -> Option<bool> {
    let mut git = command(dir);
    if gates_running {
        git.arg("--no-optional-locks");
    }
    // Every difference counts, whatever the repository tells git to
    // overlook: an exec bit (`core.fileMode=false`), a submodule's
    // (`ignore = all|dirty` in .gitmodules), an untracked file the commit
    // lacks (a gate that reads it passes a commit that does not hold it).
    git.args([
        "-c",
        "core.fileMode=true",
        "status",
        "--porcelain",
        "--untracked-files=normal",
        "--ignore-submodules=none",
    ])
    .stderr(std::process::Stdio::null());
    let differs = git
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| !o.stdout.is_empty())?;
    if differs {
        return Some(true);
    }
    hidden_entries(dir, gates_running)
}

/// Whether the index holds entries `git status` does not compare with the
/// work tree (assume-unchanged, skip-worktree: a sparse checkout's files
/// outside its patterns): the work tree then cannot vouch for the commit.
fn hidden_entries(dir: &Path, gates_running: bool) -> Option<bool> {
    let mut git = command(dir);
    if gates_running {
        git.arg("--no-optional-locks");
    }
    let out = git
        .args(["ls-files", "-v", "-z"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    // `-v` tags assume-unchanged entries in lower case, skip-worktree `S`.
    let hidden = out
        .stdout
        .split(|&b| b == 0)
        .filter_map(|entry| entry.first())
        .any(|&tag| tag.is_ascii_lowercase() || tag == b'S');
    if hidden {
        crate::debug!("uncommitted changes: assume-unchanged or skip-worktree entries");
    }
    Some(hidden)
}

/// What the pre-push hook learns about uncommitted changes while its check
/// runs.
pub(crate) enum Early {
    /// git answered (the index could not be compared here); `None` when it
    /// could not.
    Known(Option<bool>),
    /// git's index, to compare with the files the check stat'ed, and
    /// whether the index differs from HEAD (`None`: git could not say).
    Index(gitindex::Index, Option<bool>),
}

/// Starts on the uncommitted-changes question before the check runs. Asking
/// `git status` means git stats every tracked file again, after the check
/// already did: on 20,000 files that doubled what the hook added to a push.
/// So, when the config sits at the top of the work tree and the index is
/// one this reader understands, only the index-against-HEAD half goes to
/// git (no file is stat'ed for it), and the work tree is judged later from
/// the check's own snapshot.
pub(crate) fn uncommitted_early(root: &Path) -> Early {
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let dirs = crate::git::dirs(&root).filter(|d| d.top == root);
    let index = match &dirs {
        Some(dirs) => gitindex::read_in(dirs).map(|index| (index, dirs)),
        None => Err(anyhow::anyhow!(
            "the config is not at the top of the work tree"
        )),
    };
    match index {
        Ok((index, dirs)) => {
            if index_is_head(&index, dirs) {
                crate::debug!("uncommitted changes: the index's tree is HEAD's");
                return Early::Index(index, Some(false));
            }
            let staged = command(&root)
                .args([
                    "--no-optional-locks",
                    "diff-index",
                    "--cached",
                    "--quiet",
                    "--ignore-submodules=none",
                    "HEAD",
                    "--",
                ])
                .stderr(std::process::Stdio::null())
                .status()
                .ok()
                .and_then(|s| match s.code() {
                    Some(0) => Some(false),
                    Some(1) => Some(true),
                    _ => None,
                });
            Early::Index(index, staged)
        }
        Err(why) => {
            crate::debug!("uncommitted changes: asking git status ({why:#})");
            Early::Known(uncommitted(&root, true))
        }
    }
}

/// Whether the index holds exactly HEAD's tree, known without git: its
/// cache-tree (valid after a commit) names the same tree as HEAD's commit.
/// Tree ids are hashes of the whole content, so equal ids settle it; any
/// other outcome (a change staged, the cache-tree invalidated, a commit this
/// reader cannot find) leaves it to `git diff-index`.
fn index_is_head(index: &gitindex::Index, dirs: &crate::git::Dirs) -> bool {
    let (Some(tree), (Some(commit), _)) = (index.tree, crate::git::head_in(dirs)) else {
        return false;
    };
    if crate::git::has_replacements(dirs) {
        return false;
    }
    match crate::git::objects::commit_tree(dirs, &commit) {
        Ok(head_tree) => head_tree == tree,
        Err(why) => {
            crate::debug!("uncommitted changes: HEAD's tree not read here ({why:#})");
            false
        }
    }
}

/// The answer, once the check ran: from the index and the stat data the
/// check took (`snapshot`) when they settle it, else from `git status`.
pub(crate) fn uncommitted_after<S: StatView + ?Sized>(
    early: Early,
    snapshot: Option<&S>,
    root: &Path,
) -> Option<bool> {
    let (index, staged) = match early {
        Early::Known(dirty) => return dirty,
        Early::Index(index, staged) => (index, staged),
    };
    let worktree = snapshot.and_then(|s| worktree_differs(&index, s, root));
    match (worktree, staged) {
        (Some(true), _) => Some(true),
        (Some(false), Some(staged)) => {
            crate::debug!("uncommitted changes: judged from the index (staged: {staged})");
            Some(staged)
        }
        _ => {
            crate::debug!("uncommitted changes: stat data cannot settle it; asking git status");
            uncommitted(root, false)
        }
    }
}

/// Whether the work tree differs from the index, judged like git judges it
/// first: by comparing each entry's stat data with the file's. `Some(true)`
/// only for what needs no content check (a conflict, an intent-to-add
/// entry); `None` whenever git itself would have to look at contents (stat
/// data differ, a racily clean entry, a file gone, a submodule).
pub(crate) fn worktree_differs<S: StatView + ?Sized>(
    index: &gitindex::Index,
    snapshot: &S,
    root: &Path,
) -> Option<bool> {
    // Whole seconds, as git compares them unless built with USE_NSEC (and
    // then it keeps the nanoseconds it ignores stale). Safe with the racy
    // rule below: a file changed after the index was written has a later
    // second than any entry that is not racy.
    let secs = |ns: i64| ns.div_euclid(1_000_000_000) as u32;
    let split = |ns: i64| (secs(ns), ns.rem_euclid(1_000_000_000) as u32);
    let undecided = |path: &str, why: &str| {
        crate::debug!("uncommitted changes: `{path}`: {why}");
        None
    };
    // A ctime in the index's own second is compared to the nanosecond: a
    // change of owner in that second (which git sees, through uid and gid)
    // leaves every second-wide time the same.
    let ctime_same = |ns: i64, entry: (u32, u32)| {
        if entry.0 >= index.written.0 {
            split(ns) == entry
        } else {
            secs(ns) == entry.0
        }
    };
    let count = snapshot.file_count();
    let mut next = 0;
    let mut matched = 0;
    let mut folders = RealFolders::new(root);
    for e in &index.entries {
        if e.assume_valid || e.skip_worktree {
            // git does not compare these with the work tree (assume-
            // unchanged, or outside a sparse checkout's patterns): what the
            // work tree holds there says nothing of the commit.
            crate::debug!(
                "uncommitted changes: `{}`: assume-unchanged or skip-worktree",
                e.path
            );
            return Some(true);
        }
        if e.stage != 0 || e.intent_to_add {
            return Some(true);
        }
        if e.mode == gitindex::GITLINK {
            return undecided(&e.path, "a submodule");
        }
        // Racily clean: written in the second the index was (git compares
        // whole seconds unless built with USE_NSEC).
        if e.mtime.0 >= index.written.0 {
            return undecided(&e.path, "racily clean");
        }
        // git's mark for an entry it could not vouch for ("smudged"): size
        // 0 with a blob that is not empty. Truncated to 32 bits, a 4 GiB
        // file's size is 0 too.
        if e.size == 0 && e.oid != gitindex::EMPTY_BLOB {
            return undecided(&e.path, "smudged by git");
        }
        // A folder on the path replaced by a symlink: the file is reached
        // through it with the same stat data, but git counts it deleted.
        if !folders.on_path_of(&e.path) {
            return undecided(&e.path, "a folder on its path is not a folder");
        }
        // Both lists are sorted by path bytes, so one cursor walks them.
        let Some(i) = snapshot.position(&e.path, &mut next) else {
            return undecided(&e.path, "not in the check's snapshot");
        };
        let st = snapshot.stat(i);
        let Some(mode) = st.index_mode() else {
            return undecided(&e.path, "not a file");
        };
        let same = mode == e.mode
            && st.size as u32 == e.size
            && (e.size != 0 || st.size == 0)
            && secs(st.mtime_ns) == e.mtime.0
            && ctime_same(st.ctime_ns, e.ctime)
            && st.ino as u32 == e.ino;
        if !same {
            return undecided(&e.path, "stat data differ from the index's");
        }
        matched += 1;
    }
    // The check saw files git does not track: untracked ones (which the
    // commit lacks) or ignored ones a gate names; only git tells which.
    if matched < count {
        return undecided("", "files the index does not hold were checked");
    }
    Some(false)
}

/// The commit `id` names here, peeled (a tag object to the commit it
/// tags); `None` when it names no commit (a tag of a tree, of a blob).
pub(crate) fn peel_commit(dir: &Path, id: &str) -> Option<String> {
    let out = command(dir)
        .args([
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{id}^{{commit}}"),
        ])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let commit = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    crate::git::is_object_id(&commit).then_some(commit)
}

/// Whether `commit` exists here (a pushed-to remote may be ahead of us).
pub(crate) fn has_commit(dir: &Path, commit: &str) -> bool {
    command(dir)
        .args(["cat-file", "-e", &format!("{commit}^{{commit}}")])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one file `f`, stat'ed.
    struct OneFile(WorkStat);

    impl StatView for OneFile {
        fn file_count(&self) -> usize {
            1
        }
        fn path(&self, _: usize) -> &str {
            "f"
        }
        fn stat(&self, _: usize) -> WorkStat {
            self.0
        }
    }

    /// One tracked file, `f`, as the index and the check's snapshot saw
    /// it: the same stat data unless a test changes one side.
    fn one_file(
        entry: impl FnOnce(&mut gitindex::Entry),
        state: impl FnOnce(&mut WorkStat),
    ) -> Option<bool> {
        let mut e = gitindex::Entry {
            path: "f".into(),
            ctime: (1000, 5),
            mtime: (1000, 5),
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
            mtime_ns: 1000 * 1_000_000_000 + 5,
            ctime_ns: 1000 * 1_000_000_000 + 5,
            ino: 42,
            mode: 0o100644,
        };
        entry(&mut e);
        state(&mut st);
        let index = gitindex::Index {
            entries: vec![e],
            tree: None,
            written: (2000, 500_000_000),
            file: None,
        };
        worktree_differs(&index, &OneFile(st), Path::new("/nonexistent"))
    }

    #[test]
    fn stat_data_settle_only_what_git_would_settle_on_them() {
        assert_eq!(one_file(|_| {}, |_| {}), Some(false), "unchanged");
        assert_eq!(one_file(|_| {}, |s| s.size = 7), None, "size");
        const S: i64 = 1_000_000_000;
        assert_eq!(one_file(|_| {}, |s| s.mtime_ns += S), None, "mtime");
        assert_eq!(one_file(|_| {}, |s| s.ctime_ns += S), None, "ctime");
        // Nanoseconds git leaves stale in the index (it compares seconds).
        assert_eq!(one_file(|_| {}, |s| s.ctime_ns += 7), Some(false), "ns");
        assert_eq!(one_file(|_| {}, |s| s.ino = 43), None, "inode");
        assert_eq!(one_file(|_| {}, |s| s.mode = 0o100755), None, "exec bit");
        assert_eq!(
            one_file(|_| {}, |s| s.mode = 0o120777),
            None,
            "now a symlink"
        );
        assert_eq!(one_file(|e| e.stage = 2, |_| {}), Some(true), "a conflict");
        assert_eq!(one_file(|e| e.intent_to_add = true, |_| {}), Some(true));
        // Entries git does not compare: the work tree cannot vouch.
        assert_eq!(one_file(|e| e.skip_worktree = true, |_| {}), Some(true));
        assert_eq!(one_file(|e| e.assume_valid = true, |_| {}), Some(true));
        assert_eq!(
            one_file(|e| e.mode = gitindex::GITLINK, |_| {}),
            None,
            "submodule"
        );
        // Written in the index's own second, even a nanosecond before it:
        // git (without USE_NSEC) holds it racily clean.
        let racy = |e: &mut gitindex::Entry| e.mtime = (2000, 0);
        let racy_state = |s: &mut WorkStat| s.mtime_ns = 2000 * 1_000_000_000;
        assert_eq!(one_file(racy, racy_state), None, "racily clean");
        // Metadata (an owner, say) changed in the index's second, after git
        // recorded it: only the nanoseconds show it.
        let late = |e: &mut gitindex::Entry| e.ctime = (2000, 100);
        let same = |s: &mut WorkStat| s.ctime_ns = 2000 * S + 100;
        let moved = |s: &mut WorkStat| s.ctime_ns = 2000 * S + 900;
        assert_eq!(
            one_file(late, same),
            Some(false),
            "ctime in the index's second"
        );
        assert_eq!(one_file(late, moved), None, "and changed in it");
        // git's smudged entry: size 0, a blob that is not empty.
        let smudged = |e: &mut gitindex::Entry| e.size = 0;
        assert_eq!(one_file(smudged, |s| s.size = 0), None, "smudged");
        // A 4 GiB file: its 32-bit size is 0, like an empty file's.
        let empty = |e: &mut gitindex::Entry| {
            e.size = 0;
            e.oid = gitindex::EMPTY_BLOB;
        };
        assert_eq!(
            one_file(empty, |s| s.size = 0),
            Some(false),
            "an empty file"
        );
        assert_eq!(one_file(empty, |s| s.size = 1 << 32), None, "4 GiB");
    }
}
