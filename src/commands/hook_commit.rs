//! The pre-commit hook's check: it judges exactly what is staged (DESIGN
//! §11). Unstaged changes to tracked files are set aside as a patch under
//! `<cache_dir>/patches/` (the git work is `git::stash`'s), the stage is
//! checked, and the changes are put back byte for byte on every path: pass,
//! fail, timeout, fail-fast, an error, SIGINT or SIGTERM. While they are
//! set aside or put back, SIGINT and SIGTERM only mark the run as
//! interrupted; the pipeline handles them during the check itself. A patch
//! that could not be put back (a gate wrote to the same files, or pqg was
//! killed) stays where it is, and pqg says where and how to apply it, on
//! this run and on every later one until it is gone.
//!
//! A work tree with nothing unstaged pays one `git diff` and nothing more.

use super::{check, Context, Outcome};
use crate::cli::CheckArgs;
use crate::config::Config;
use crate::diag::UserError;
use crate::git::stash::{self, Refusal, Restored, SetAside};
use crate::sys::process;
use anyhow::Context as _;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::SigId;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Checks the stage `args` asks for against what is staged.
pub(super) fn check_staged(
    ctx: &Context,
    config: &Config,
    args: &CheckArgs,
) -> anyhow::Result<Outcome> {
    let Some(dirs) = crate::git::dirs(&config.root) else {
        return check::check(ctx, config, args).map(|(outcome, _)| outcome);
    };
    let top = std::path::absolute(&dirs.top).unwrap_or(dirs.top);
    let patches = patch_dir(ctx, &top)?;
    if let Some(left) = leftovers(&patches).into_iter().next() {
        return Err(left.refusal(&top).into());
    }
    let paths = match stash::unstaged(&top)? {
        Ok(paths) if paths.is_empty() => {
            return check::check(ctx, config, args).map(|(outcome, _)| outcome)
        }
        Ok(paths) => paths,
        Err(refusal) => return Err(refused(&refusal).into()),
    };
    let guard = SignalGuard::listen()?;
    make_private_dir(&patches)?;
    let patch = patches.join(format!("{}-{}.patch", now_secs(), std::process::id()));
    let aside = stash::set_aside(&top, paths, &patch)?;
    let count = aside.shown_paths().len();
    eprintln!(
        "pqg: unstaged changes to {count} tracked file{} set aside while the gates check what is staged (kept in {} until put back)",
        if count == 1 { "" } else { "s" },
        aside.patch().display()
    );
    let mut pending = Pending(Some(aside));
    let ran = match guard.caught() {
        None => Some(check::check(ctx, config, args).map(|(outcome, _)| outcome)),
        Some(_) => None,
    };
    let restored = pending.restore(&top);
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

/// The folder the patches of the work tree at `top` live in: one per work
/// tree, so that a cache folder shared by several (`PQG_CACHE_DIR`) never
/// shows one repository's patch, or its apply command, in another.
fn patch_dir(ctx: &Context, top: &Path) -> anyhow::Result<PathBuf> {
    let dir = ctx.config_settings()?.cache_dir.join("patches");
    let dir = std::path::absolute(&dir).unwrap_or(dir);
    let id = blake3::hash(top.as_os_str().as_encoded_bytes()).to_hex();
    Ok(dir.join(&id.as_str()[..16]))
}

/// Says, on stderr, that patches from earlier pre-commit runs were never
/// put back, and how to apply them: `pqg check` and the pre-push hook go on
/// after saying it.
pub(super) fn warn_leftovers(ctx: &Context, config: &Config) {
    let Some(dirs) = crate::git::dirs(&config.root) else {
        return;
    };
    let top = std::path::absolute(&dirs.top).unwrap_or(dirs.top);
    let Ok(patches) = patch_dir(ctx, &top) else {
        return;
    };
    for left in leftovers(&patches) {
        let refusal = left.refusal(&top);
        eprintln!("pqg: warning: {}", refusal.message);
        if let Some(hint) = refusal.hint {
            eprintln!("pqg: {hint}");
        }
    }
}

/// A patch left by an earlier pre-commit run, or one still running.
struct Leftover {
    patch: PathBuf,
    pid: u32,
    secs: u64,
    running: bool,
}

/// The patches in `dir`, oldest first.
fn leftovers(dir: &Path) -> Vec<Leftover> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<Leftover> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name();
            let stem = name.to_str()?.strip_suffix(".patch")?;
            let (secs, pid) = stem.split_once('-')?;
            let pid: u32 = pid.parse().ok()?;
            (pid != std::process::id()).then(|| Leftover {
                patch: entry.path(),
                pid,
                secs: secs.parse().unwrap_or(0),
                running: i32::try_from(pid).is_ok_and(process::exists),
            })
        })
        .collect();
    found.sort_by(|a, b| (a.secs, &a.patch).cmp(&(b.secs, &b.patch)));
    found
}

impl Leftover {
    /// Why the pre-commit hook will not run while this patch is there.
    fn refusal(&self, top: &Path) -> UserError {
        let patch = quote(&self.patch.display().to_string());
        if self.running {
            return UserError::new(format!(
                "another pqg (pid {}) has set unstaged changes aside in this repository (in {patch}) and is checking what is staged",
                self.pid
            ))
            .hint("wait for it to finish, then commit again");
        }
        let age = now_secs().saturating_sub(self.secs);
        UserError::new(format!(
            "unstaged changes set aside by a pre-commit run {} ago (pid {}, which is gone) were never put back; they are kept in {patch}",
            crate::fmt::human_duration(Duration::from_secs(age)),
            self.pid
        ))
        .hint(format!(
            "put them back with: cd {} && git apply {patch} && rm {patch}   (if git apply refuses, the files it names were changed since: keep a copy of them, `git checkout -- FILE`, then apply again; if you already applied it, remove it)",
            quote(&top.display().to_string())
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
    }
}

/// A set-aside not yet put back; dropping it (a panic unwinding) puts it
/// back.
struct Pending(Option<SetAside>);

impl Pending {
    /// Puts the changes back and says what happened when they are not
    /// exactly back; true when they are.
    fn restore(&mut self, top: &Path) -> bool {
        let Some(aside) = self.0.take() else {
            return true;
        };
        let patch = quote(&aside.patch().display().to_string());
        let cd = quote(&top.display().to_string());
        match aside.restore() {
            Ok(Restored::Exactly) => true,
            Ok(Restored::Conflict(paths)) => {
                let files: Vec<String> = paths.iter().map(|p| quote(p)).collect();
                eprintln!(
                    "pqg: error: a gate changed files that hold unstaged changes ({}); your unstaged changes were not put back",
                    paths.join(", ")
                );
                eprintln!("pqg: they are kept in {patch}");
                eprintln!(
                    "pqg: to put them back (dropping the gate's changes to those files): cd {cd} && git checkout -- {} && git apply {patch} && rm {patch}",
                    files.join(" ")
                );
                false
            }
            Ok(Restored::Differs(paths)) => {
                eprintln!(
                    "pqg: error: after putting the unstaged changes back, these files do not hold the same bytes as before ({}), likely a filter or line-ending conversion that does not round-trip; the work tree holds the changes as `git apply` wrote them, and the patch is kept in {patch}",
                    paths.join(", ")
                );
                false
            }
            Err(e) => {
                eprintln!("pqg: error: putting the unstaged changes back: {e:#}");
                eprintln!(
                    "pqg: they are kept in {patch}; apply them with: cd {cd} && git apply {patch} && rm {patch}"
                );
                false
            }
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(aside) = self.0.take() {
            let _quiet = SignalGuard::listen().ok();
            if !matches!(aside.restore(), Ok(Restored::Exactly)) {
                eprintln!(
                    "pqg: error: your unstaged changes are kept in {}",
                    aside.patch().display()
                );
            }
        }
    }
}

/// SIGINT and SIGTERM noted instead of acted on, while the work tree is
/// being set aside and put back: pqg must not die with it half done.
struct SignalGuard {
    caught: Arc<AtomicUsize>,
    ids: Vec<SigId>,
}

impl SignalGuard {
    fn listen() -> anyhow::Result<Self> {
        let caught = Arc::new(AtomicUsize::new(0));
        let mut ids = Vec::new();
        for sig in [SIGINT, SIGTERM] {
            let id = signal_hook::flag::register_usize(
                sig,
                Arc::clone(&caught),
                usize::try_from(sig).unwrap_or(0),
            )
            .context("listening for SIGINT and SIGTERM")?;
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

/// Makes `dir` (`<cache_dir>/patches/<work tree>`) and the folders above
/// it private, hidden from git like the cache folder is.
fn make_private_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let patches = dir.parent().unwrap_or(dir);
    let cache = patches.parent().unwrap_or(patches);
    for (folder, ignore) in [(cache, true), (patches, true), (dir, false)] {
        if folder.exists() {
            continue;
        }
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(folder)
            .with_context(|| format!("creating `{}`", folder.display()))?;
        // The patches hold what the user did not stage: no gate may read
        // them as part of the work tree, whatever the cache folder's rules.
        if ignore {
            let _ = std::fs::write(folder.join(".gitignore"), "# written by pqg\n*\n");
        }
    }
    Ok(())
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `s` quoted for a POSIX shell.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
