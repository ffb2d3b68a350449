//! `pqg hook run --hook pre-push`: judges the commits being pushed
//! (DESIGN §11), not whatever the work tree holds.
//!
//! git hands the hook one line per ref, `<local ref> <local sha> <remote
//! ref> <remote sha>`. Each commit pushed (a deletion pushes none) is
//! checked once, whichever refs push it:
//! - the commit checked out, when the work tree holds exactly it (no
//!   uncommitted change to a tracked file, exec bits and submodules
//!   included whatever git is told to overlook, no untracked file that is
//!   not ignored, no assume-unchanged or skip-worktree entry: a sparse
//!   checkout never qualifies), is checked in the work tree,
//!   as `pqg check` would: the warm push costs what it always did. Whether
//!   the tree was clean is settled after the check, from git's index and
//!   the stat data the check took (`git::status`); when it was not, or git
//!   cannot say, that check does not count, and the commit is checked like
//!   any other;
//! - any other commit is checked out in a temporary worktree (outside the
//!   repository, every file of the commit even from a sparse checkout,
//!   removed on every path, and found and removed by the next push if a
//!   pqg died holding one), where a child pqg checks it, a gate that
//!   rewrites files failing even with `writes = true`, with the
//!   config that commit holds (today's config when it holds none: a branch
//!   from before gates.toml is not let through unchecked) and the same
//!   cache folder, so inputs unchanged since the last check are answered
//!   from the cache. A commit with submodules is refused there: they are
//!   not checked out in a fresh worktree, and a check without them would
//!   say nothing.
//!
//! A stdin that cannot be read, or a line that is not git's, refuses the
//! push: what is pushed must be known to be judged. Run by hand (stdin a
//! terminal), the hook checks HEAD.

use super::{check, Context, Outcome};
use crate::cli::{CheckArgs, HookKind};
use crate::config::Config;
use crate::diag::UserError;
use crate::git::{self, status, worktree};
use crate::sys::process;
use anyhow::Context as _;
use std::io::{self, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

/// What refusing a push in doubt tells the user.
const SKIP: &str = "the push is refused; skip the hook once with `git push --no-verify`";

/// The prefix of the temporary folders holding a pushed commit's worktree.
const TEMP_PREFIX: &str = "pqg-push-";

/// One line of git's pre-push stdin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PushedRef {
    pub local_ref: String,
    pub local: String,
    pub remote: String,
}

/// A commit to check, the refs that push it, and the remote's commit of
/// the first of them that the remote has (what `--changed-only` compares
/// with).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Tip {
    commit: String,
    refs: Vec<String>,
    since: Option<String>,
}

impl Tip {
    /// `refs/heads/x (1a2b3c4d)`.
    fn describe(&self) -> String {
        format!("{} ({})", self.refs.join(", "), short(&self.commit))
    }
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(10)]
}

fn is_zero(sha: &str) -> bool {
    sha.bytes().all(|b| b == b'0')
}

/// Parses git's `<local ref> <local sha> <remote ref> <remote sha>` lines;
/// a line of any other shape is an error naming it.
pub(super) fn parse_pushed(input: &str) -> Result<Vec<PushedRef>, String> {
    let mut pushed = Vec::new();
    for (n, line) in input.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let [local_ref, local, _, remote] = words[..] else {
            return Err(format!(
                "line {} is not `<local ref> <local sha> <remote ref> <remote sha>`: `{}`",
                n + 1,
                line.escape_debug()
            ));
        };
        for sha in [local, remote] {
            if !git::is_object_id(sha) {
                return Err(format!(
                    "line {}: `{}` is not a commit id",
                    n + 1,
                    sha.escape_debug()
                ));
            }
        }
        pushed.push(PushedRef {
            local_ref: local_ref.to_owned(),
            local: local.to_ascii_lowercase(),
            remote: remote.to_ascii_lowercase(),
        });
    }
    Ok(pushed)
}

/// The commits to check, each once, in the order git listed them;
/// deletions push nothing.
fn tips(pushed: &[PushedRef]) -> Vec<Tip> {
    let mut tips: Vec<Tip> = Vec::new();
    for r in pushed.iter().filter(|r| !is_zero(&r.local)) {
        let since = Some(r.remote.clone()).filter(|s| !is_zero(s));
        match tips.iter_mut().find(|t| t.commit == r.local) {
            Some(tip) => {
                tip.refs.push(r.local_ref.clone());
                if tip.since.is_none() {
                    tip.since = since;
                }
            }
            None => tips.push(Tip {
                commit: r.local.clone(),
                refs: vec![r.local_ref.clone()],
                since,
            }),
        }
    }
    tips
}

/// The tips with each id that is not HEAD's commit peeled to the commit it
/// names (an annotated tag pushes the tag object), merged again when two
/// name the same commit; a tag naming a tree or a blob is refused.
fn peel(root: &Path, tips: Vec<Tip>, head: Option<&str>) -> Result<Vec<Tip>, UserError> {
    let mut peeled: Vec<Tip> = Vec::new();
    for mut tip in tips {
        if head != Some(tip.commit.as_str()) {
            tip.commit = status::peel_commit(root, &tip.commit).ok_or_else(|| {
                UserError::new(format!(
                    "{} does not point at a commit (a tag of a tree or a blob?): pqg has no commit to check",
                    tip.describe()
                ))
                .hint(SKIP)
            })?;
        }
        match peeled.iter_mut().find(|t| t.commit == tip.commit) {
            Some(known) => {
                known.refs.append(&mut tip.refs);
                if known.since.is_none() {
                    known.since = tip.since;
                }
            }
            None => peeled.push(tip),
        }
    }
    Ok(peeled)
}

/// What git is pushing, read from stdin; `None` when stdin is a terminal
/// (the hook run by hand).
fn read_pushed() -> Result<Option<Vec<PushedRef>>, UserError> {
    let stdin = io::stdin();
    if stdin.is_terminal() {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    if let Err(e) = stdin.lock().read_to_end(&mut bytes) {
        return Err(UserError::new(format!(
            "cannot read what git is pushing (the hook's stdin): {e}"
        ))
        .hint(SKIP));
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        UserError::new("what git is pushing (the hook's stdin) is not UTF-8 text").hint(SKIP)
    })?;
    parse_pushed(&text)
        .map(Some)
        .map_err(|why| UserError::new(format!("cannot tell what git is pushing: {why}")).hint(SKIP))
}

/// The pre-push hook: checks every commit pushed, and fails if any fails.
pub(super) fn run(
    ctx: &Context,
    config: &Config,
    stage: Option<&str>,
    changed_only: bool,
) -> anyhow::Result<Outcome> {
    let pushed = read_pushed()?;
    let root = config.root.clone();
    if has_leftovers() {
        remove_leftovers(&root);
    }
    let head = git::head(&root).0;
    let tips = match pushed {
        Some(pushed) => peel(&root, tips(&pushed), head.as_deref())?,
        None => match &head {
            Some(commit) => vec![Tip {
                commit: commit.clone(),
                refs: vec!["HEAD".to_owned()],
                since: None,
            }],
            None => {
                return Err(
                    UserError::new("HEAD has no commit: there is nothing to check")
                        .hint("commit first")
                        .into(),
                )
            }
        },
    };
    if tips.is_empty() {
        eprintln!("pqg: no commit is pushed (only deletions, or no ref at all): nothing to check");
        return Ok(Outcome::Passed);
    }
    super::hook::announce(ctx, config, stage, HookKind::PrePush);
    let since = |tip: &Tip| {
        tip.since
            .clone()
            .filter(|s| changed_only && status::has_commit(&root, s))
    };
    let mut failed = Vec::new();
    let mut elsewhere = Vec::new();
    for tip in tips {
        if head.as_deref() != Some(tip.commit.as_str()) {
            elsewhere.push(tip);
            continue;
        }
        eprintln!("pqg: {}: checked in the work tree", tip.describe());
        let (outcome, clean) = check_work_tree(ctx, config, stage, since(&tip))?;
        if let Outcome::Interrupted { .. } = outcome {
            return Ok(outcome);
        }
        if clean {
            if outcome == Outcome::Failed {
                failed.push((tip, false));
            }
        } else {
            eprintln!(
                "pqg: that checked the work tree, not what is pushed: {} is checked again in a temporary worktree",
                tip.describe()
            );
            elsewhere.push(tip);
        }
    }
    if !elsewhere.is_empty() {
        let interrupts = Interrupts::listen()?;
        for tip in elsewhere {
            eprintln!(
                "pqg: {}: checked in a temporary worktree of that commit (files git ignores, such as a .venv, are not there)",
                tip.describe()
            );
            let since = since(&tip);
            match check_elsewhere(ctx, config, stage, &tip, since.as_deref(), &interrupts)? {
                Outcome::Failed => failed.push((tip, true)),
                Outcome::Passed => {}
                interrupted @ Outcome::Interrupted { .. } => return Ok(interrupted),
            }
        }
    }
    if failed.is_empty() {
        return Ok(Outcome::Passed);
    }
    if let Some((tip, _)) = failed.iter().find(|(_, elsewhere)| *elsewhere) {
        eprintln!(
            "pqg: {} was checked in a temporary worktree, without the files git ignores (a .venv, node_modules, build output): if a gate failed for want of them, check it out and push from there",
            tip.describe()
        );
    }
    let names: Vec<String> = failed.iter().map(|(tip, _)| tip.describe()).collect();
    eprintln!(
        "pqg: the push is blocked: {} did not pass (skip once: git push --no-verify)",
        names.join("; ")
    );
    Ok(Outcome::Failed)
}

/// Checks the work tree as `pqg check` would, and says whether it held
/// exactly HEAD's commit: no uncommitted change to a tracked file (known
/// from git's index and the check's own stat data where they settle it).
fn check_work_tree(
    ctx: &Context,
    config: &Config,
    stage: Option<&str>,
    since: Option<String>,
) -> anyhow::Result<(Outcome, bool)> {
    let args = CheckArgs {
        stage: stage.map(str::to_owned),
        changed_since: since,
        forbid_writes: true,
        ..CheckArgs::default()
    };
    let root = config.root.clone();
    let note = std::thread::spawn(move || status::uncommitted_early(&root));
    let ran = check::check(ctx, config, &args);
    // Joined even when the check failed: its git child must not outlive pqg.
    let early = note.join();
    let (outcome, snapshot) = ran?;
    let dirty = match early {
        Ok(early) => status::uncommitted_after(early, snapshot.as_ref(), &config.root),
        Err(_) => status::uncommitted(&config.root, false),
    };
    match dirty {
        Some(false) => Ok((outcome, true)),
        Some(true) => {
            eprintln!("pqg: the work tree has uncommitted changes");
            Ok((outcome, false))
        }
        None => {
            eprintln!("pqg: git could not say whether the work tree has uncommitted changes");
            Ok((outcome, false))
        }
    }
}

/// SIGINT and SIGTERM while pushed commits are checked elsewhere: the
/// first is kept (pqg ends with 128+N once the worktree is gone) and passed
/// to the child pqg running then; pqg itself does not die of them, so the
/// worktree is always removed.
struct Interrupts {
    caught: Arc<Mutex<Option<i32>>>,
    child: Arc<AtomicI32>,
    handle: signal_hook::iterator::Handle,
    listener: Option<std::thread::JoinHandle<()>>,
}

impl Interrupts {
    fn listen() -> anyhow::Result<Interrupts> {
        let mut signals = signal_hook::iterator::Signals::new([
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGHUP,
            signal_hook::consts::SIGQUIT,
        ])
        .context("listening for SIGINT and SIGTERM")?;
        let caught = Arc::new(Mutex::new(None::<i32>));
        let child = Arc::new(AtomicI32::new(0));
        let handle = signals.handle();
        let listener = {
            let (caught, child) = (Arc::clone(&caught), Arc::clone(&child));
            std::thread::spawn(move || {
                for sig in signals.forever() {
                    if let Ok(mut c) = caught.lock() {
                        c.get_or_insert(sig);
                    }
                    process::kill_process(child.load(Ordering::SeqCst), sig);
                }
            })
        };
        Ok(Interrupts {
            caught,
            child,
            handle,
            listener: Some(listener),
        })
    }

    /// The first signal caught, if any.
    fn caught(&self) -> Option<i32> {
        self.caught.lock().ok().and_then(|c| *c)
    }
}

impl Drop for Interrupts {
    fn drop(&mut self) {
        self.handle.close();
        if let Some(listener) = self.listener.take() {
            let _ = listener.join();
        }
    }
}

/// A pushed commit's temporary worktree: removed when dropped, whatever
/// happened (an error, a panic unwinding).
struct TempTree {
    repo: PathBuf,
    dir: PathBuf,
    tree: PathBuf,
}

impl TempTree {
    /// Checks `commit` out in a new private folder, which also records our
    /// pid (a later push removes the worktree of a pqg that died).
    fn make(repo: &Path, commit: &str) -> anyhow::Result<TempTree> {
        let dir = crate::sys::tmp::private_dir(TEMP_PREFIX).map_err(|e| {
            UserError::new(format!(
                "cannot make a temporary folder in `{}` for the pushed commit: {e}",
                std::env::temp_dir().display()
            ))
            .hint(format!("point TMPDIR at a writable folder, or {SKIP}"))
        })?;
        let made = TempTree {
            repo: repo.to_path_buf(),
            tree: dir.join("tree"),
            dir,
        };
        std::fs::write(made.dir.join("pid"), std::process::id().to_string())
            .context("writing into the temporary folder")?;
        worktree::add_detached(repo, &made.tree, commit)?;
        Ok(made)
    }
}

impl Drop for TempTree {
    fn drop(&mut self) {
        if let Err(why) = worktree::remove(&self.repo, &self.tree) {
            eprintln!(
                "pqg: warning: the temporary worktree `{}` was not fully removed: {why:#}",
                self.tree.display()
            );
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether the system's temporary folder holds a folder that may be a
/// pushed commit's worktree: only then are leftovers looked for (a git run).
fn has_leftovers() -> bool {
    std::fs::read_dir(std::env::temp_dir()).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(TEMP_PREFIX))
        })
    })
}

/// Removes the temporary worktrees of pqgs that died before removing
/// theirs (a SIGKILL, a power cut), and lets git forget what is gone.
fn remove_leftovers(repo: &Path) {
    let Ok(trees) = worktree::list(repo) else {
        return;
    };
    for tree in trees {
        let Some(dir) = tree.parent() else { continue };
        let ours = tree.file_name().is_some_and(|n| n == "tree")
            && dir
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(TEMP_PREFIX));
        if !ours {
            continue;
        }
        let owner = std::fs::read_to_string(dir.join("pid"))
            .ok()
            .and_then(|p| p.trim().parse::<i32>().ok());
        if owner.is_some_and(process::exists) {
            continue; // another push, still running
        }
        crate::info!(
            "pre-push: removing the leftover worktree {}",
            tree.display()
        );
        if worktree::remove(repo, &tree).is_ok() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    let _ = worktree::prune(repo);
}

/// The config's path relative to the top of its work tree; `None` when it
/// lies outside it.
fn config_in_tree(config: &Config, top: &Path) -> Option<PathBuf> {
    let top = std::fs::canonicalize(top).ok()?;
    let folder = std::fs::canonicalize(&config.root).ok()?;
    let name = config.path.file_name()?;
    Some(folder.strip_prefix(&top).ok()?.join(name))
}

/// Checks `tip` in a temporary worktree, by a child pqg that shares the
/// cache folder. SIGINT and SIGTERM reach it, and the worktree is removed
/// before pqg ends.
fn check_elsewhere(
    ctx: &Context,
    config: &Config,
    stage: Option<&str>,
    tip: &Tip,
    since: Option<&str>,
    interrupts: &Interrupts,
) -> anyhow::Result<Outcome> {
    let top = git::dirs(&crate::files::root::absolute(&config.root))
        .map(|d| d.top)
        .context("finding the top of the work tree")?;
    let rel = config_in_tree(config, &top).ok_or_else(|| {
        UserError::new(format!(
            "{}: the config `{}` lies outside the work tree, so a commit that is not checked out cannot be checked with it",
            tip.describe(),
            config.path.display()
        ))
        .hint(format!("check it out and push from there, or {SKIP}"))
    })?;
    let cache_dir = crate::files::root::absolute(&ctx.config_settings()?.cache_dir);
    let cache_dir = if cache_dir.is_absolute() {
        cache_dir
    } else {
        ctx.cwd()?.join(cache_dir)
    };
    if let Some(signal) = interrupts.caught() {
        return Ok(Outcome::Interrupted { signal });
    }
    let tree = match TempTree::make(&top, &tip.commit) {
        Ok(tree) => tree,
        // Ctrl-C reaches git too: its failure then is the interruption.
        Err(_) if interrupts.caught().is_some() => {
            let signal = interrupts.caught().unwrap_or(signal_hook::consts::SIGINT);
            return Ok(Outcome::Interrupted { signal });
        }
        Err(why) => return Err(why),
    };
    if let Some(signal) = interrupts.caught() {
        return Ok(Outcome::Interrupted { signal });
    }
    let submodules = worktree::submodules(&tree.tree)?;
    if !submodules.is_empty() {
        return Err(UserError::new(format!(
            "{} records submodules ({}), which a temporary worktree does not check out: pqg cannot check it there",
            tip.describe(),
            submodules.join(", ")
        ))
        .hint(format!("check it out and push from there, or {SKIP}"))
        .into());
    }
    let config_path = tree.tree.join(&rel);
    // Nothing of the commit is followed out of the worktree: a symlink
    // there (the config, or a folder on its path) may point anywhere.
    let mut place = tree.tree.clone();
    for part in rel.components() {
        place.push(part);
        match std::fs::symlink_metadata(&place) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(UserError::new(format!(
                    "{}: `{}` is a symbolic link in that commit: pqg does not follow it to find the config of a pushed commit",
                    tip.describe(),
                    rel.display()
                ))
                .hint(format!("commit the config itself, or {SKIP}"))
                .into());
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    if std::fs::symlink_metadata(&config_path).is_err() {
        eprintln!(
            "pqg: {} holds no `{}`: checked with today's config",
            tip.describe(),
            rel.display()
        );
        if let Some(parent) = config_path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        use std::io::Write as _;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&config_path)
            .and_then(|mut f| f.write_all(config.source.text.as_bytes()))
            .context("writing today's config into the temporary worktree")?;
    }
    let ended = run_child(
        &tree.tree,
        &config_path,
        &cache_dir,
        stage,
        since,
        interrupts,
    );
    forget_index(&cache_dir, &config_path);
    let ended = ended?;
    if let Some(signal) = interrupts.caught() {
        return Ok(Outcome::Interrupted { signal });
    }
    match ended {
        0 => Ok(Outcome::Passed),
        1 => Ok(Outcome::Failed),
        code @ (130 | 143) => Ok(Outcome::Interrupted { signal: code - 128 }),
        code => Err(UserError::new(format!(
            "{}: the check in the temporary worktree ended with exit code {code}",
            tip.describe()
        ))
        .hint(SKIP)
        .into()),
    }
}

/// Runs `pqg check` on the worktree at `tree`, cut off from the repository
/// the hook runs in, with the cache at `cache_dir`; gives its exit code.
fn run_child(
    tree: &Path,
    config_path: &Path,
    cache_dir: &Path,
    stage: Option<&str>,
    since: Option<&str>,
    interrupts: &Interrupts,
) -> anyhow::Result<i32> {
    let pqg = std::env::current_exe().context("finding pqg's own path")?;
    let mut child = std::process::Command::new(pqg);
    child.current_dir(tree).stdin(std::process::Stdio::null());
    for var in worktree::REPOSITORY_VARIABLES {
        child.env_remove(var);
    }
    child.env("PQG_CACHE_DIR", cache_dir);
    child
        .arg("check")
        .arg("--forbid-writes")
        .arg("--config")
        .arg(config_path);
    if let Some(stage) = stage {
        child.args(["--stage", stage]);
    }
    if let Some(since) = since {
        child.args(["--changed-since", since]);
    }
    if crate::log::enabled_at(crate::log::Level::Debug) {
        child.arg("-vv");
    } else if crate::log::enabled_at(crate::log::Level::Info) {
        child.arg("-v");
    }
    let mut running = child
        .spawn()
        .context("starting pqg in the temporary worktree")?;
    let pid = i32::try_from(running.id()).unwrap_or(0);
    interrupts.child.store(pid, Ordering::SeqCst);
    // A signal caught before the child was known is passed on now.
    if let Some(signal) = interrupts.caught() {
        process::kill_process(pid, signal);
    }
    let status = running
        .wait()
        .context("waiting for pqg in the temporary worktree");
    interrupts.child.store(0, Ordering::SeqCst);
    let status = status?;
    Ok(status.code().unwrap_or_else(|| {
        use std::os::unix::process::ExitStatusExt;
        status.signal().map_or(3, |s| 128 + s)
    }))
}

/// Drops the file-hash records the child kept for the temporary worktree:
/// no run will see that folder again.
fn forget_index(cache_dir: &Path, config_path: &Path) {
    let Some(folder) = config_path.parent() else {
        return;
    };
    let root = crate::files::root::absolute(folder);
    if let Some(mut cache) = crate::cache::Cache::open_existing(cache_dir) {
        cache.forget_index(&root.to_string_lossy());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushed_refs_as_git_gives_them() {
        let z = "0".repeat(40);
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let pushed = parse_pushed(&format!(
            "refs/heads/x {a} refs/heads/x {z}\nrefs/heads/y {a} refs/heads/y {b}\n(delete) {z} refs/heads/d {b}\n"
        ))
        .unwrap();
        assert_eq!(
            tips(&pushed),
            [Tip {
                commit: a.clone(),
                refs: vec!["refs/heads/x".into(), "refs/heads/y".into()],
                since: Some(b.clone())
            }]
        );
        let deletion = parse_pushed(&format!("(delete) {z} refs/heads/x {b}\n")).unwrap();
        assert!(tips(&deletion).is_empty());
        assert!(parse_pushed("").unwrap().is_empty());
        assert!(parse_pushed("refs/heads/x").is_err());
        assert!(parse_pushed(&format!("refs/heads/x {a} refs/heads/x zz\n")).is_err());
        assert!(parse_pushed(&format!("a {a} b {b} extra\n")).is_err());
    }
}
