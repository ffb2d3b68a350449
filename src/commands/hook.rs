//! `pqg hook install|uninstall|run`: a git pre-push or pre-commit hook
//! that runs `pqg check`.
//!
//! The hooks folder is git's own answer (`git rev-parse --git-path hooks`),
//! so `core.hooksPath` and linked worktrees are honoured. A hook pqg did not
//! write is never replaced without `--force`, and then it is kept beside as
//! `HOOK.pqg-backup`, which `uninstall` puts back. The script records the
//! path of the pqg that installed it (hooks often run with a minimal PATH)
//! and falls back to PATH, and execs `pqg hook run`, which checks the stage
//! through the check pipeline; pre-push judges each pushed commit
//! (`hook_push`). The git questions themselves are `git::status`'s.

use super::{hook_push, print_warnings, Context, Outcome};
use crate::cli::{CheckArgs, HookCommand, HookKind};
use crate::diag::UserError;
use crate::git::status;
use crate::settings;
use anyhow::Context as _;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The first line after the shebang of every hook pqg writes.
const MARKER: &str = "# pqg-hook v1";

/// `pqg hook install | uninstall | run`.
pub(super) fn run(ctx: &Context, command: &HookCommand) -> anyhow::Result<Outcome> {
    match command {
        HookCommand::Install {
            hook,
            stage,
            force,
            changed_only,
        } => {
            let path = ctx.config_file()?;
            let config = path
                .as_deref()
                .map(crate::config::Config::load)
                .transpose()?;
            let stage = settings::hook_stage(config.as_ref(), stage.as_deref())?;
            install(
                ctx.cwd()?,
                path.as_deref(),
                &stage,
                *hook,
                *force,
                *changed_only,
            )
        }
        HookCommand::Uninstall { hook } => {
            // The config is read (and must load) even though the hook
            // removed does not need it.
            let path = ctx.config_file()?;
            if let Some(path) = &path {
                crate::config::Config::load(path)?;
            }
            uninstall(ctx.cwd()?, *hook)
        }
        HookCommand::Run {
            hook,
            stage,
            changed_only,
        } => hook_run(ctx, *hook, stage.as_deref(), *changed_only),
    }
}

/// What an installed hook runs: pre-push judges the pushed commits
/// (`hook_push`), pre-commit the staged snapshot (`hook_commit`).
fn hook_run(
    ctx: &Context,
    kind: HookKind,
    stage: Option<&str>,
    changed_only: bool,
) -> anyhow::Result<Outcome> {
    let config = ctx.config_or_default()?;
    print_warnings(config, ctx.stderr_color());
    if kind == HookKind::PrePush {
        return hook_push::run(ctx, config, stage, changed_only);
    }
    let args = CheckArgs {
        stage: stage.map(str::to_owned),
        ..CheckArgs::default()
    };
    announce(ctx, config, stage, HookKind::PreCommit);
    // pre-commit judges the staged snapshot: unstaged changes are set
    // aside around the check (DESIGN §11).
    super::hook_commit::check_staged(ctx, config, &args)
}

/// The line every hook run starts with: which stage it checks (the one
/// given, else what `pqg check` with no flags means) and how to skip it.
pub(super) fn announce(
    ctx: &Context,
    config: &crate::config::Config,
    stage: Option<&str>,
    kind: HookKind,
) {
    let (verb, flag) = match kind {
        HookKind::PrePush => ("push", "git push --no-verify"),
        HookKind::PreCommit => ("commit", "git commit --no-verify"),
    };
    let shown = stage.map_or_else(
        || {
            (ctx.config_settings().ok())
                .and_then(|resolved| resolved.stage(config, None).ok())
                .map(|s| config.ladder.name(s).to_string())
                .unwrap_or_default()
        },
        str::to_owned,
    );
    eprintln!("pqg: checking stage {shown} before the {verb} (skip once: {flag})");
}

fn hook_name(kind: HookKind) -> &'static str {
    match kind {
        HookKind::PrePush => "pre-push",
        HookKind::PreCommit => "pre-commit",
    }
}

/// The hook script.
fn script(
    kind: HookKind,
    pqg: &Path,
    config: Option<&str>,
    stage: &str,
    changed_only: bool,
) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let config_arg = config.map_or(String::new(), |c| format!(" --config {}", quote(c)));
    let (name, verb) = match kind {
        HookKind::PrePush => ("pre-push", "push"),
        HookKind::PreCommit => ("pre-commit", "commit"),
    };
    let head = format!(
        r#"#!/bin/sh
{MARKER} ({name}): written by `pqg hook install`; `pqg hook uninstall` removes it.
# Skip it once: git {verb} --no-verify. Skip some gates: PQG_SKIP=a,b git {verb}
PQG={pqg}
if [ ! -x "$PQG" ]; then
  PQG=$(command -v pqg) || {{ echo "pqg: not found (it was at {shown}); install it, or skip once with git {verb} --no-verify" >&2; exit 1; }}
fi
# git runs hooks at the top of the work tree; run by hand, go there.
[ -e .git ] || cd "$(git rev-parse --show-toplevel)" || exit 1
"#,
        pqg = quote(&pqg.display().to_string()),
        shown = pqg.display().to_string().replace(['"', '`', '$'], ""),
    );
    // The rest is pqg's own (`pqg hook run`): reading git's refs, the
    // uncommitted-changes note, the check. One exec, no shell work.
    let body = format!(
        "exec \"$PQG\" hook run --hook {name} --stage {}{config_arg}{}\n",
        quote(stage),
        if changed_only { " --changed-only" } else { "" }
    );
    head + &body
}

fn is_ours(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .is_ok_and(|t| t.lines().nth(1).is_some_and(|l| l.starts_with(MARKER)))
}

fn install(
    dir: &Path,
    config: Option<&Path>,
    stage: &str,
    kind: HookKind,
    force: bool,
    changed_only: bool,
) -> anyhow::Result<Outcome> {
    let (hooks, top) = status::hooks_dir(dir)?;
    let path = hooks.join(hook_name(kind));
    let backup = hooks.join(format!("{}.pqg-backup", hook_name(kind)));
    let existed_ours = is_ours(&path);
    if path.exists() && !existed_ours {
        if !force {
            return Err(UserError::new(format!(
                "`{}` exists and was not written by pqg",
                path.display()
            ))
            .hint("pass --force to replace it (it is kept as a .pqg-backup that `pqg hook uninstall` restores)")
            .into());
        }
        if backup.exists() {
            return Err(UserError::new(format!(
                "`{}` already holds an earlier hook",
                backup.display()
            ))
            .hint("move it away (or restore it with `pqg hook uninstall`), then install again")
            .into());
        }
        std::fs::rename(&path, &backup)
            .with_context(|| format!("keeping the existing hook as `{}`", backup.display()))?;
    }
    let pqg = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .context("finding pqg's own path")?;
    // The config, relative to the work tree's top (the hook runs there) so
    // the clone can move; a config outside the work tree by its full path.
    let config = match config {
        None => None,
        Some(c) => {
            let full = std::fs::canonicalize(c)
                .with_context(|| format!("finding the config `{}`", c.display()))?;
            let relative = std::fs::canonicalize(&top)
                .ok()
                .and_then(|t| full.strip_prefix(t).ok().map(Path::to_path_buf));
            Some(relative.unwrap_or(full).display().to_string())
        }
    };
    std::fs::create_dir_all(&hooks).with_context(|| format!("creating `{}`", hooks.display()))?;
    let text = script(kind, &pqg, config.as_deref(), stage, changed_only);
    let tmp = hooks.join(format!(".{}.pqg-tmp", hook_name(kind)));
    std::fs::write(&tmp, text).with_context(|| format!("writing `{}`", tmp.display()))?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("writing `{}`", path.display()))?;
    println!(
        "{} {}: runs `pqg check --stage {stage}` before each {}{}",
        if existed_ours { "updated" } else { "installed" },
        path.display(),
        match kind {
            HookKind::PrePush => "push",
            HookKind::PreCommit => "commit",
        },
        if backup.exists() {
            format!(" (the previous hook is kept as {})", backup.display())
        } else {
            String::new()
        }
    );
    Ok(Outcome::Passed)
}

fn uninstall(dir: &Path, kind: HookKind) -> anyhow::Result<Outcome> {
    let (hooks, _) = status::hooks_dir(dir)?;
    let path = hooks.join(hook_name(kind));
    let backup = hooks.join(format!("{}.pqg-backup", hook_name(kind)));
    if !path.exists() {
        println!("no {} hook is installed", hook_name(kind));
        return Ok(Outcome::Passed);
    }
    if !is_ours(&path) {
        return Err(
            UserError::new(format!("`{}` was not written by pqg", path.display()))
                .hint("pqg leaves it alone; remove it yourself if you mean to")
                .into(),
        );
    }
    std::fs::remove_file(&path).with_context(|| format!("removing `{}`", path.display()))?;
    if backup.exists() {
        std::fs::rename(&backup, &path)
            .with_context(|| format!("restoring `{}`", backup.display()))?;
        println!(
            "removed pqg's {} hook and restored the previous one",
            hook_name(kind)
        );
    } else {
        println!("removed pqg's {} hook", hook_name(kind));
    }
    Ok(Outcome::Passed)
}
