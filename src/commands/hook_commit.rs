//! The pre-commit hook's check: it judges exactly what is staged (DESIGN
//! §11). Unstaged changes to tracked files are set aside, raw, in a private
//! folder under the git folder (`<git dir>/pqg/patches/<time>-<pid>/`, out
//! of the work tree, so no gate can read or delete it; the git work is
//! `git::stash`'s), the stage is checked, and the changes are put back byte
//! for byte and mode for mode on every path: pass, fail, timeout,
//! fail-fast, an error, SIGINT, SIGTERM, SIGHUP or SIGQUIT. While they are
//! set aside, those signals only mark the run as interrupted; the pipeline
//! handles them during the check itself. A set-aside that could not be put
//! back (a gate wrote to the same files, or pqg was killed) stays where it
//! is, and pqg says where and how to put it back, on this run and on every
//! later one until it is gone. A run holds an `flock` on its folder's
//! `lock` file, so a folder nobody holds is known to be left over.
//!
//! Everything this path prints goes through [`say`], which ignores a
//! closed stderr: a reader that went away must not stop pqg with the work
//! tree set aside.
//!
//! A work tree with nothing unstaged pays `git rev-parse`, `git diff` and
//! `git ls-files` and nothing more.

use super::{check, Context, Outcome};
use crate::cli::CheckArgs;
use crate::config::Config;
use crate::diag::UserError;
use crate::git::stash::{self, shell_quote, Refusal, Restored, SetAside, RESTORE_SCRIPT};
use anyhow::Context as _;
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use signal_hook::SigId;
use std::fs::File;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One line on stderr, `pqg: ` first; a stderr that is gone is ignored.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "pqg: {line}");
}

/// Checks the stage `args` asks for against what is staged.
pub(super) fn check_staged(
    ctx: &Context,
    config: &Config,
    args: &CheckArgs,
) -> anyhow::Result<Outcome> {
    let Some((top, git_dir)) = repository(&config.root)? else {
        return check::check(ctx, config, args).map(|(outcome, _)| outcome);
    };
    let patches = patch_dir(&git_dir);
    if let Some(left) = leftovers(&patches).into_iter().next() {
        return Err(left.refusal().into());
    }
    let paths = match stash::unstaged(&top)? {
        Ok(paths) if paths.is_empty() => {
            return check::check(ctx, config, args).map(|(outcome, _)| outcome)
        }
        Ok(paths) => paths,
        Err(refusal) => return Err(refused(&refusal).into()),
    };
    let guard = SignalGuard::listen()?;
    let (dir, _lock) = new_run_dir(&patches)?;
    let aside = match stash::set_aside(&top, paths, &dir) {
        Ok(aside) => aside,
        Err(e) => {
            // Nothing was written or set aside when the folder holds no
            // restore script: it goes, so no later run refuses over it.
            if !dir.join(RESTORE_SCRIPT).exists() {
                let _ = std::fs::remove_dir_all(&dir);
            }
            return Err(e);
        }
    };
    let count = aside.shown_paths().len();
    let mut pending = Pending(Some(aside));
    say(&format!(
        "unstaged changes to {count} tracked file{} set aside while the gates check what is staged (copies in {} until put back)",
        if count == 1 { "" } else { "s" },
        dir.display()
    ));
    let ran = match guard.caught() {
        None => Some(check::check(ctx, config, args).map(|(outcome, _)| outcome)),
        Some(_) => None,
    };
    let restored = pending.restore();
    let interrupted = guard.caught().map(|signal| Outcome::Interrupted { signal });
    drop(guard);
    let outcome = match ran {
        Some(ran) => ran?,
        None => Outcome::Failed,
    };
    Ok(match (outcome, interrupted) {
        (Outcome::Interrupted { .. }, _) => outcome,
        (_, Some(interrupted)) => interrupted,
        _ if !restored => Outcome::Failed,
        _ => outcome,
    })
}

/// The work tree's top and its own git folder, as git itself sees them
/// from `root` (honouring `GIT_DIR`, `GIT_WORK_TREE` and `core.worktree`,
/// which git hands the hook); `None` outside git. A git folder that is not
/// the work tree's `.git` is refused: pqg would judge the wrong files.
fn repository(root: &Path) -> anyhow::Result<Option<(PathBuf, PathBuf)>> {
    let found = crate::git::dirs(root);
    let out = crate::git::command(root)
        .args(["rev-parse", "--show-toplevel", "--absolute-git-dir"])
        .stderr(Stdio::piped())
        .output();
    let out = match out {
        Ok(out) if out.status.success() => out,
        Ok(out) if found.is_some() => {
            return Err(UserError::new(format!(
                "git rev-parse (to find the repository) failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
            .hint("fix what git says, or skip the hook once: git commit --no-verify")
            .into())
        }
        _ if found.is_some() => return bail_user("git could not be run to find the repository"),
        _ => return Ok(None),
    };
    let mut lines = out.stdout.split(|&b| b == b'\n');
    let (Some(top), Some(git_dir)) = (lines.next(), lines.next()) else {
        return bail_user("git rev-parse did not name the work tree and its git folder");
    };
    let top = PathBuf::from(std::ffi::OsStr::from_bytes(top));
    let git_dir = PathBuf::from(std::ffi::OsStr::from_bytes(git_dir));
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    let agrees = found
        .as_ref()
        .is_some_and(|d| same(&d.top, &top) && same(&d.git_dir, &git_dir));
    if top.as_os_str().is_empty() || !agrees {
        return Err(UserError::new(format!(
            "this repository's git folder ({}) is not the work tree's .git (GIT_DIR, --git-dir, --work-tree or core.worktree): the pre-commit hook cannot set the unstaged changes aside safely here",
            git_dir.display()
        ))
        .hint("commit from a work tree with its own .git, or skip the hook once: git commit --no-verify")
        .into());
    }
    Ok(Some((top, git_dir)))
}

fn bail_user<T>(message: &str) -> anyhow::Result<T> {
    Err(UserError::new(message.to_owned())
        .hint("skip the hook once: git commit --no-verify")
        .into())
}

/// The folder the set-aside changes of a work tree live in: under its own
/// git folder (one per linked worktree), never in the work tree, where a
/// gate could read them (a secret scanner) or delete them (`git clean`).
fn patch_dir(git_dir: &Path) -> PathBuf {
    git_dir.join("pqg").join("patches")
}

/// Makes this run's private folder in `patches` and takes its lock: made
/// under a hidden name and renamed once locked, so another run never sees
/// it unlocked.
fn new_run_dir(patches: &Path) -> anyhow::Result<(PathBuf, File)> {
    let unusable = |e: std::io::Error, what: &Path| {
        anyhow::Error::from(
            UserError::new(format!(
                "cannot make the private folder for the unstaged changes ({}): {e}",
                what.display()
            ))
            .hint("fix the folder's permissions, or skip the hook once: git commit --no-verify"),
        )
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(patches)
        .map_err(|e| unusable(e, patches))?;
    let pid = std::process::id();
    let name = format!("{}-{pid}", now_secs());
    let temp = patches.join(format!(".new-{name}"));
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&temp)
        .map_err(|e| unusable(e, &temp))?;
    let lock_path = temp.join("lock");
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&lock_path)
        .map_err(|e| unusable(e, &lock_path))?;
    if !crate::sys::fs::try_lock(&lock).map_err(|e| unusable(e, &lock_path))? {
        return bail_user("the set-aside folder's lock is held by another process");
    }
    let dir = patches.join(&name);
    std::fs::rename(&temp, &dir).map_err(|e| unusable(e, &dir))?;
    if let Ok(mut own) = OWN_RUN.lock() {
        *own = Some(name);
    }
    Ok((dir, lock))
}

/// The name of this process's own set-aside folder, which the check it
/// runs must not warn about.
static OWN_RUN: Mutex<Option<String>> = Mutex::new(None);

/// Says, on stderr, that changes set aside by earlier pre-commit runs were
/// not put back, and how to put them back: `pqg check` and the pre-push
/// hook go on after saying it.
pub(super) fn warn_leftovers(_ctx: &Context, config: &Config) {
    let Some(dirs) = crate::git::dirs(&config.root) else {
        return;
    };
    let git_dir = std::path::absolute(&dirs.git_dir).unwrap_or(dirs.git_dir);
    for left in leftovers(&patch_dir(&git_dir)) {
        let refusal = left.refusal();
        say(&format!("warning: {}", refusal.message));
        if let Some(hint) = refusal.hint {
            say(&hint);
        }
    }
}

/// A set-aside folder left by an earlier pre-commit run, or one still
/// running.
struct Leftover {
    dir: PathBuf,
    pid: String,
    secs: u64,
    running: bool,
}

/// The set-aside folders in `patches`, oldest first. A folder no run holds
/// the lock of and that has no restore script never had anything set
/// aside (the work tree is touched only once the script is there): it is
/// removed.
fn leftovers(patches: &Path) -> Vec<Leftover> {
    let Ok(entries) = std::fs::read_dir(patches) else {
        return Vec::new();
    };
    let mut found: Vec<Leftover> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name();
            let name = name.to_str()?;
            // A run's folder while it is being made and locked: it never
            // holds anything of the user's.
            if name.starts_with('.') {
                return None;
            }
            if OWN_RUN
                .lock()
                .ok()
                .is_some_and(|own| own.as_deref() == Some(name))
            {
                return None;
            }
            let dir = entry.path();
            let running = std::fs::File::open(dir.join("lock"))
                .ok()
                .is_some_and(|f| matches!(crate::sys::fs::try_lock(&f), Ok(false)));
            if !dir.join(RESTORE_SCRIPT).exists() {
                if !running && entry.file_type().is_ok_and(|t| t.is_dir()) {
                    let _ = std::fs::remove_dir_all(&dir);
                }
                return None;
            }
            let (secs, pid) = name.split_once('-').unwrap_or(("0", "?"));
            Some(Leftover {
                pid: pid.to_owned(),
                secs: secs.parse().unwrap_or(0),
                running,
                dir,
            })
        })
        .collect();
    found.sort_by(|a, b| (a.secs, &a.dir).cmp(&(b.secs, &b.dir)));
    found
}

/// The command that puts the changes kept in `dir` back and removes it.
fn put_back_command(dir: &Path) -> String {
    format!(
        "sh {} && rm -r {}",
        shell_quote(dir.join(RESTORE_SCRIPT).as_os_str().as_bytes()),
        shell_quote(dir.as_os_str().as_bytes())
    )
}

impl Leftover {
    /// Why the pre-commit hook will not run while this folder is there.
    fn refusal(&self) -> UserError {
        let shown = shell_quote(self.dir.as_os_str().as_bytes());
        if self.running {
            return UserError::new(format!(
                "another pqg (pid {}) has set unstaged changes aside in this repository (in {shown}) and is checking what is staged",
                self.pid
            ))
            .hint("wait for it to finish, then commit again");
        }
        let age = now_secs().saturating_sub(self.secs);
        UserError::new(format!(
            "unstaged changes set aside by a pre-commit run {} ago (pid {}, which ended without putting them back) are kept in {shown}",
            crate::fmt::human_duration(Duration::from_secs(age)),
            self.pid
        ))
        .hint(format!(
            "put them back with: {}   (it overwrites those files with the kept copies; changes.patch there shows what they hold; if you already put them back, just remove the folder)",
            put_back_command(&self.dir)
        ))
    }
}

fn refused(refusal: &Refusal) -> UserError {
    let hint =
        "stage or undo the change (git add, git rm), or skip the hook once: git commit --no-verify";
    match refusal {
        Refusal::Unmerged(paths) => UserError::new(format!(
            "unmerged paths ({}): pqg will not set the unstaged changes aside to check what is staged",
            paths.join(", ")
        ))
        .hint("resolve and stage them (git add), or skip the hook once: git commit --no-verify"),
        Refusal::Replaced(paths) => UserError::new(format!(
            "tracked files are now folders, or sit below something that is no longer a folder ({}): setting the unstaged changes aside would delete what is there",
            paths.join(", ")
        ))
        .hint(hint),
        Refusal::Hidden(paths) => UserError::new(format!(
            "files marked assume-unchanged or skip-worktree differ from what is staged ({}): git hides them, so pqg cannot check what would be committed",
            paths.join(", ")
        ))
        .hint("clear the mark (git update-index --no-assume-unchanged FILE, or --no-skip-worktree), or skip the hook once: git commit --no-verify"),
        Refusal::Special(paths) => UserError::new(format!(
            "tracked files are now neither files nor symlinks ({}): pqg cannot set them aside",
            paths.join(", ")
        ))
        .hint(hint),
    }
}

/// A set-aside not yet put back; dropping it (a panic unwinding) puts it
/// back.
struct Pending(Option<SetAside>);

/// Where the kept changes are, and how to put them back; checks that the
/// folder is still there before saying so.
fn say_kept(dir: &Path) {
    if dir.join(RESTORE_SCRIPT).is_file() {
        say(&format!(
            "your unstaged changes are kept, raw, in {} (changes.patch there shows them as a diff)",
            shell_quote(dir.as_os_str().as_bytes())
        ));
        say(&format!(
            "to put them back (dropping the gate's changes to those files): {}",
            put_back_command(dir)
        ));
    } else {
        say(&format!(
            "error: the folder that held your unstaged changes ({}) is gone",
            dir.display()
        ));
    }
}

impl Pending {
    /// Puts the changes back and says what happened when they are not
    /// exactly back; true when they are.
    fn restore(&mut self) -> bool {
        let Some(aside) = self.0.take() else {
            return true;
        };
        match aside.restore() {
            Ok(Restored::Exactly) => return true,
            Ok(Restored::Conflict(paths)) => say(&format!(
                "error: a gate changed files that hold unstaged changes ({}); your unstaged changes were not put back",
                paths.join(", ")
            )),
            Ok(Restored::Differs(paths)) => say(&format!(
                "error: after putting the unstaged changes back, these files do not read back exactly as they were ({})",
                paths.join(", ")
            )),
            Err(e) => say(&format!("error: putting the unstaged changes back: {e:#}")),
        }
        say_kept(aside.dir());
        false
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if self.0.is_some() {
            let _quiet = SignalGuard::listen().ok();
            self.restore();
        }
    }
}

/// The signals noted instead of acted on while the work tree is set aside:
/// pqg must not die with it half done or not put back.
const HELD: [i32; 4] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT];

/// SIGINT, SIGTERM, SIGHUP and SIGQUIT noted instead of acted on.
struct SignalGuard {
    caught: Arc<AtomicUsize>,
    ids: Vec<SigId>,
}

impl SignalGuard {
    fn listen() -> anyhow::Result<Self> {
        let caught = Arc::new(AtomicUsize::new(0));
        let mut ids = Vec::new();
        for sig in HELD {
            let id = signal_hook::flag::register_usize(
                sig,
                Arc::clone(&caught),
                usize::try_from(sig).unwrap_or(0),
            )
            .context("listening for signals")?;
            ids.push(id);
        }
        Ok(SignalGuard { caught, ids })
    }

    /// The signal last caught, if any.
    fn caught(&self) -> Option<i32> {
        match self.caught.load(Ordering::SeqCst) {
            0 => None,
            sig => i32::try_from(sig).ok(),
        }
    }
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
