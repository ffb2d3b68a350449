//! `pqg cache stats | prune | clear | export | import`: inspect, clean and
//! carry the result cache. Only `prune` and `clear` delete, and nothing
//! here changes a stored result.

use super::inspect::{ago, open_existing, print_warnings, utc};
use super::{Context, Outcome};
use crate::cache::{self, Cache};
use crate::cli::CacheCommand;
use crate::config::parse_duration;
use crate::diag::UserError;
use crate::fmt::human_duration;
use crate::settings::SIGNING_KEY_VAR;
use std::path::Path;

/// `pqg cache stats | prune | clear | export | import`.
pub(super) fn run(ctx: &Context, command: &CacheCommand) -> anyhow::Result<Outcome> {
    // Without a gates.toml, the cache `check` uses: the default profile's
    // (DESIGN §9), in the default folder. Nothing runs, so the profile is
    // not announced.
    ctx.config_or_default_quietly()?;
    let dir = &ctx.config_settings()?.cache_dir;
    let key = ctx.settings().signing_key.as_deref();
    let db_path = cache::db::path_in(dir);
    match command {
        CacheCommand::Stats => with_existing(dir, |c| stats(c, &db_path)),
        CacheCommand::Prune { older_than } => with_existing(dir, |c| prune(c, older_than)),
        CacheCommand::Clear => with_existing(dir, clear),
        CacheCommand::Export { file } => match open_existing(dir) {
            Ok(mut cache) => export(&mut cache, file, key),
            // A pipeline's `export && upload` step needs a file: an empty,
            // valid export (importing it adds nothing).
            Err(msg) => {
                outln!("{msg}");
                write_export(&cache::transfer::empty(), file, key)
            }
        },
        CacheCommand::Import {
            file,
            require_signature,
        } => import(dir, file, *require_signature, key),
    }
}

/// Runs `command` on the cache database if there is one; else says there
/// is none, which is no failure.
fn with_existing(
    dir: &Path,
    command: impl FnOnce(&mut Cache) -> anyhow::Result<Outcome>,
) -> anyhow::Result<Outcome> {
    match open_existing(dir) {
        Ok(mut cache) => command(&mut cache),
        Err(msg) => {
            outln!("{msg}");
            Ok(Outcome::Passed)
        }
    }
}

/// `pqg cache import FILE`: adds the entries, creating the cache if need be.
fn import(
    dir: &Path,
    file: &Path,
    require_signature: bool,
    key: Option<&[u8]>,
) -> anyhow::Result<Outcome> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| UserError::new(format!("cannot read `{}`: {e}", file.display())))?;
    if require_signature && key.is_none() {
        return Err(UserError::new(format!(
            "--require-signature: {SIGNING_KEY_VAR} is not set (or empty)"
        ))
        .hint("in CI, an empty value usually means the secret is missing or misnamed")
        .into());
    }
    let mut cache = cache::Cache::open(dir, cache::CacheMode::On);
    let now = crate::files::snapshot::now_ns();
    let result = cache.query(|c| Ok(cache::transfer::import(c, &text, key, now)));
    print_warnings(&mut cache);
    let Some(result) = result else {
        return Err(
            UserError::new(format!("the cache at `{}` cannot be opened", dir.display())).into(),
        );
    };
    let done = result.map_err(|e| {
        UserError::new(format!("`{}`: {e}", file.display())).hint(match e {
            cache::transfer::ImportError::Refused(_) => {
                "exports must be made with the same PQG_CACHE_SIGNING_KEY"
            }
            _ => "export it again with this version of pqg: pqg cache export FILE",
        })
    })?;
    outln!(
        "imported {} cached results from {} ({} already here, as new or newer)",
        done.added,
        file.display(),
        done.kept_newer
    );
    if done.unsigned > 0 {
        eprintln!(
            "warning: {} entries are unsigned; set {} (and use --require-signature) where imports must be trusted",
            done.unsigned,
            SIGNING_KEY_VAR
        );
    }
    if done.unverified > 0 {
        eprintln!(
            "warning: {} entries are signed, but {} is not set here: imported without checking",
            done.unverified, SIGNING_KEY_VAR
        );
    }
    Ok(Outcome::Passed)
}

fn stats(cache: &mut Cache, db_path: &Path) -> anyhow::Result<Outcome> {
    let counts = cache.query(|c| {
        let one = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0));
        Ok((
            one("SELECT count(*) FROM entries")?,
            one("SELECT count(DISTINCT gate) FROM entries")?,
            one("SELECT count(*) FROM runs")?,
            c.query_row(
                "SELECT min(created_ns), max(created_ns) FROM entries",
                [],
                |r| Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, Option<i64>>(1)?)),
            )?,
        ))
    });
    print_warnings(cache);
    let Some((entries, gates, runs, (oldest, newest))) = counts else {
        return Ok(Outcome::Passed);
    };
    let size: u64 = ["", "-wal", "-shm"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", db_path.display())).ok())
        .map(|m| m.len())
        .sum();
    outln!("database   {}", db_path.display());
    outln!("size       {:.1} MiB", size as f64 / (1024.0 * 1024.0));
    outln!("entries    {entries} results of {gates} gates");
    if let (Some(o), Some(n)) = (oldest, newest) {
        outln!("oldest     {} ({})", utc(o), ago(o));
        outln!("newest     {} ({})", utc(n), ago(n));
    }
    outln!("history    {runs} runs");
    Ok(Outcome::Passed)
}

fn prune(cache: &mut Cache, older_than: &str) -> anyhow::Result<Outcome> {
    let age = parse_duration(older_than).ok_or_else(|| {
        UserError::new(format!("--older-than: invalid duration `{older_than}`"))
            .hint("write a duration like `30d`, `12h` or `90m`")
    })?;
    let cutoff = crate::files::snapshot::now_ns()
        .saturating_sub(age.as_nanos().min(i64::MAX as u128) as i64);
    let removed = cache.query(|c| {
        let n = c.execute("DELETE FROM entries WHERE created_ns < ?1", [cutoff])?;
        c.execute(
            "DELETE FROM manifests WHERE digest NOT IN (SELECT inputs FROM entries)",
            [],
        )?;
        Ok(n)
    });
    print_warnings(cache);
    outln!(
        "removed {} cached results older than {}",
        removed.unwrap_or(0),
        human_duration(age)
    );
    Ok(Outcome::Passed)
}

fn export(cache: &mut Cache, file: &Path, key: Option<&[u8]>) -> anyhow::Result<Outcome> {
    let export = cache.query(|c| cache::transfer::export(c, key));
    print_warnings(cache);
    let Some(export) = export else {
        return Ok(Outcome::Passed);
    };
    write_export(&export, file, key)
}

/// Writes `export` to `file` and says so.
fn write_export(
    export: &cache::transfer::Export,
    file: &Path,
    key: Option<&[u8]>,
) -> anyhow::Result<Outcome> {
    let text = serde_json::to_string(export)?;
    std::fs::write(file, text)
        .map_err(|e| UserError::new(format!("cannot write `{}`: {e}", file.display())))?;
    outln!(
        "exported {} cached results to {}{}",
        export.entries.len(),
        file.display(),
        if key.is_some() {
            " (signed)"
        } else {
            " (unsigned: set PQG_CACHE_SIGNING_KEY to sign)"
        }
    );
    Ok(Outcome::Passed)
}

fn clear(cache: &mut Cache) -> anyhow::Result<Outcome> {
    let removed = cache.query(|c| {
        let n = c.execute("DELETE FROM entries", [])?;
        c.execute("DELETE FROM manifests", [])?;
        c.execute("DELETE FROM file_index", [])?;
        c.execute("DELETE FROM untracked_cache", [])?;
        Ok(n)
    });
    let _ = cache.query(|c| c.execute_batch("VACUUM"));
    print_warnings(cache);
    outln!(
        "removed {} cached results (history kept)",
        removed.unwrap_or(0)
    );
    Ok(Outcome::Passed)
}
