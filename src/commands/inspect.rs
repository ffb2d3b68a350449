//! Commands that look into the cache and the history without running any
//! gate: `explain`, `history`, `stats` and `cache stats|prune|clear`.
//!
//! They read the same database `check` writes; none of them creates one
//! where there is none, and none changes a stored result except `prune` and
//! `clear`, which only delete.

use crate::cache::history;
use crate::cache::inputs::{self, FileEntry};
use crate::cache::key::{KeyCommandOutput, KeyParts};
use crate::cache::{self, Cache, CacheMode};
use crate::cli::{CacheCommand, ExplainArgs, HistoryArgs};
use crate::config::{parse_duration, Config};
use crate::diag::{did_you_mean, UserError};
use crate::report::{human_duration, number};
use crate::{judge, plan, run, settings};
use comfy_table::{presets, Table};
use std::collections::HashMap;
use std::time::Duration;

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .apply_modifier(comfy_table::modifiers::UTF8_ROUND_CORNERS)
        .set_header(header.to_vec());
    t
}

/// `2026-11-24 01:02:03 UTC` from nanoseconds since the epoch.
pub fn utc(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

fn ago(ns: i64) -> String {
    let d = inputs::now_ns().saturating_sub(ns);
    if d < 0 {
        return "in the future".to_owned();
    }
    format!("{} ago", human_duration(Duration::from_nanos(d as u64)))
}

fn open_existing(config: &Config) -> Result<Cache, String> {
    let dir = settings::cache_dir(config, &settings::process_env);
    Cache::open_existing(&dir).ok_or_else(|| {
        format!(
            "no cache database at `{}` yet: run `pqg check` first",
            cache::db::path_in(&dir).display()
        )
    })
}

fn print_warnings(cache: &mut Cache) {
    for w in cache.take_warnings() {
        eprintln!("warning: {w}");
    }
}

/// `pqg history [GATE] [-n N]`.
pub fn history(config: &Config, args: &HistoryArgs) -> anyhow::Result<u8> {
    if let Some(gate) = &args.gate {
        known_gate(config, gate)?;
    }
    let mut cache = match open_existing(config) {
        Ok(c) => c,
        Err(msg) => {
            println!("{msg}");
            return Ok(0);
        }
    };
    let rows = history::runs(&mut cache, args.gate.as_deref(), args.count);
    print_warnings(&mut cache);
    if rows.is_empty() {
        println!("no runs recorded yet");
        return Ok(0);
    }
    let mut t = match &args.gate {
        None => table(&[
            "Run",
            "Time",
            "Stage",
            "Outcome",
            "Score",
            "Commit",
            "Branch",
            "Time taken",
        ]),
        Some(_) => table(&[
            "Run", "Time", "Stage", "Status", "Duration", "Metrics", "Commit",
        ]),
    };
    for r in &rows {
        let commit = r
            .commit
            .as_deref()
            .map_or("—".to_owned(), |c| c.chars().take(10).collect());
        match &r.gate {
            None => {
                t.add_row(vec![
                    r.id.to_string(),
                    utc(r.time_ns),
                    r.stage.clone(),
                    r.outcome.clone(),
                    r.score.map_or("—".to_owned(), |s| format!("{s:.1}")),
                    commit,
                    r.branch.clone().unwrap_or_else(|| "—".to_owned()),
                    human_duration(Duration::from_millis(r.duration_ms.max(0) as u64)),
                ]);
            }
            Some(g) => {
                let mut status = g.status.clone();
                if g.cached {
                    status.push_str(" (cached)");
                }
                if g.flaky {
                    status.push_str(" (flaky)");
                }
                let metrics: Vec<String> = g
                    .metrics
                    .iter()
                    .map(|(n, v)| format!("{n} {}", v.map_or("—".to_owned(), number)))
                    .collect();
                t.add_row(vec![
                    r.id.to_string(),
                    utc(r.time_ns),
                    r.stage.clone(),
                    status,
                    g.duration_ms.map_or("—".to_owned(), |d| {
                        human_duration(Duration::from_millis(d))
                    }),
                    metrics.join("\n"),
                    commit,
                ]);
            }
        }
    }
    println!("{t}");
    Ok(0)
}

/// `pqg stats`.
pub fn stats(config: &Config) -> anyhow::Result<u8> {
    let mut cache = match open_existing(config) {
        Ok(c) => c,
        Err(msg) => {
            println!("{msg}");
            return Ok(0);
        }
    };
    let stats = history::stats(&mut cache);
    print_warnings(&mut cache);
    if stats.is_empty() {
        println!("no runs recorded yet");
        return Ok(0);
    }
    let mut t = table(&[
        "Gate",
        "Runs",
        "Pass rate",
        "Flaky",
        "Mean",
        "p95",
        "Cache hits",
    ]);
    let pct = |v: Option<f64>| v.map_or("—".to_owned(), |p| format!("{p:.0} %"));
    let ms = |v: Option<f64>| {
        v.map_or("—".to_owned(), |m| {
            human_duration(Duration::from_secs_f64(m / 1000.0))
        })
    };
    for s in &stats {
        t.add_row(vec![
            s.gate.clone(),
            s.runs.to_string(),
            pct(s.pass_rate()),
            s.flaky.to_string(),
            ms(s.mean_ms),
            ms(s.p95_ms),
            pct(s.hit_rate()),
        ]);
    }
    println!("{t}");
    Ok(0)
}

/// `pqg cache stats | prune | clear`.
pub fn cache(config: &Config, command: &CacheCommand) -> anyhow::Result<u8> {
    let dir = settings::cache_dir(config, &settings::process_env);
    let db_path = cache::db::path_in(&dir);
    if let CacheCommand::Import {
        file,
        require_signature,
    } = command
    {
        let text = std::fs::read_to_string(file)
            .map_err(|e| UserError::new(format!("cannot read `{}`: {e}", file.display())))?;
        let key = cache::transfer::signing_key();
        if *require_signature && key.is_none() {
            return Err(UserError::new(format!(
                "--require-signature: {} is not set (or empty)",
                cache::transfer::SIGNING_KEY_VAR
            ))
            .hint("in CI, an empty value usually means the secret is missing or misnamed")
            .into());
        }
        let mut cache = cache::Cache::open(&dir, cache::CacheMode::On);
        let now = inputs::now_ns();
        let result = cache.query(|c| Ok(cache::transfer::import(c, &text, key.as_deref(), now)));
        print_warnings(&mut cache);
        let Some(result) = result else {
            return Err(UserError::new(format!(
                "the cache at `{}` cannot be opened",
                dir.display()
            ))
            .into());
        };
        let done = result.map_err(|e| {
            UserError::new(format!("`{}`: {e}", file.display())).hint(match e {
                cache::transfer::ImportError::Refused(_) => {
                    "exports must be made with the same PQG_CACHE_SIGNING_KEY"
                }
                _ => "export it again with this version of pqg: pqg cache export FILE",
            })
        })?;
        println!(
            "imported {} cached results from {} ({} already here, as new or newer)",
            done.added,
            file.display(),
            done.kept_newer
        );
        if done.unsigned > 0 {
            eprintln!(
                "warning: {} entries are unsigned; set {} (and use --require-signature) where imports must be trusted",
                done.unsigned,
                cache::transfer::SIGNING_KEY_VAR
            );
        }
        if done.unverified > 0 {
            eprintln!(
                "warning: {} entries are signed, but {} is not set here: imported without checking",
                done.unverified,
                cache::transfer::SIGNING_KEY_VAR
            );
        }
        return Ok(0);
    }
    let mut cache = match open_existing(config) {
        Ok(c) => c,
        Err(msg) => {
            println!("{msg}");
            return Ok(0);
        }
    };
    match command {
        CacheCommand::Stats => {
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
            print_warnings(&mut cache);
            let Some((entries, gates, runs, (oldest, newest))) = counts else {
                return Ok(0);
            };
            let size: u64 = ["", "-wal", "-shm"]
                .iter()
                .filter_map(|s| std::fs::metadata(format!("{}{s}", db_path.display())).ok())
                .map(|m| m.len())
                .sum();
            println!("database   {}", db_path.display());
            println!("size       {:.1} MiB", size as f64 / (1024.0 * 1024.0));
            println!("entries    {entries} results of {gates} gates");
            if let (Some(o), Some(n)) = (oldest, newest) {
                println!("oldest     {} ({})", utc(o), ago(o));
                println!("newest     {} ({})", utc(n), ago(n));
            }
            println!("history    {runs} runs");
        }
        CacheCommand::Prune { older_than } => {
            let age = parse_duration(older_than).ok_or_else(|| {
                UserError::new(format!("--older-than: invalid duration `{older_than}`"))
                    .hint("write a duration like `30d`, `12h` or `90m`")
            })?;
            let cutoff =
                inputs::now_ns().saturating_sub(age.as_nanos().min(i64::MAX as u128) as i64);
            let removed = cache.query(|c| {
                let n = c.execute("DELETE FROM entries WHERE created_ns < ?1", [cutoff])?;
                c.execute(
                    "DELETE FROM manifests WHERE digest NOT IN (SELECT inputs FROM entries)",
                    [],
                )?;
                Ok(n)
            });
            print_warnings(&mut cache);
            println!(
                "removed {} cached results older than {}",
                removed.unwrap_or(0),
                human_duration(age)
            );
        }
        CacheCommand::Import { .. } => unreachable!("handled above"),
        CacheCommand::Export { file } => {
            let key = cache::transfer::signing_key();
            let export = cache.query(|c| cache::transfer::export(c, key.as_deref()));
            print_warnings(&mut cache);
            let Some(export) = export else {
                return Ok(0);
            };
            let text = serde_json::to_string(&export)?;
            std::fs::write(file, text)
                .map_err(|e| UserError::new(format!("cannot write `{}`: {e}", file.display())))?;
            println!(
                "exported {} cached results to {}{}",
                export.entries.len(),
                file.display(),
                if key.is_some() {
                    " (signed)"
                } else {
                    " (unsigned: set PQG_CACHE_SIGNING_KEY to sign)"
                }
            );
        }
        CacheCommand::Clear => {
            let removed = cache.query(|c| {
                let n = c.execute("DELETE FROM entries", [])?;
                c.execute("DELETE FROM manifests", [])?;
                c.execute("DELETE FROM file_index", [])?;
                Ok(n)
            });
            let _ = cache.query(|c| c.execute_batch("VACUUM"));
            print_warnings(&mut cache);
            println!(
                "removed {} cached results (history kept)",
                removed.unwrap_or(0)
            );
        }
    }
    Ok(0)
}

fn known_gate(config: &Config, name: &str) -> Result<usize, UserError> {
    config
        .gates
        .iter()
        .position(|g| g.id.as_str() == name)
        .ok_or_else(|| {
            UserError::new(format!("unknown gate `{name}`")).hint(
                did_you_mean(name, config.gates.iter().map(|g| g.id.as_str()))
                    .unwrap_or_else(|| "`pqg list` shows the gates".to_owned()),
            )
        })
}

/// `pqg explain GATE`: the resolved gate, its key's parts, whether the next
/// run would hit, and if not, exactly why.
pub fn explain(config: &Config, args: &ExplainArgs) -> anyhow::Result<u8> {
    let env = settings::process_env;
    let index = known_gate(config, &args.gate)?;
    let gate = &config.gates[index];
    let stage = settings::stage(config, args.stage.as_deref(), &env)?;
    let plan = plan::build(config, stage, &plan::Filters::default(), false)?;
    let secrets = run::secrets_from_env(&config.settings.redact);
    let mask = |text: &str| {
        let mut t = text.to_owned();
        run::redact(&mut t, &secrets);
        t
    };

    println!("gate       {}", gate.id);
    if let Some(d) = &gate.description {
        println!("about      {d}");
    }
    println!("runs       {}", mask(&gate.command.to_string()));
    println!("cwd        {}", gate.cwd.display());
    let at = match plan.gates[index].activity {
        plan::Activity::Run(plan::Enforcement::Block) => "blocking".to_owned(),
        plan::Activity::Run(plan::Enforcement::Warn) => "warning only".to_owned(),
        plan::Activity::Skip(_) => {
            format!("not active (runs from {})", config.ladder.name(gate.from))
        }
    };
    println!("at {:<7} {at}", config.ladder.name(stage).as_str());
    for m in &gate.metrics {
        let t = judge::threshold(m, stage);
        let bound = crate::report::bounds(t.min, t.max, m.unit.as_deref())
            .unwrap_or_else(|| "measured only".to_owned());
        println!("metric     {} ({}) {bound}", m.name, m.source.describe());
    }
    if !gate.cache {
        println!("\ncache      off for this gate (`cache = false`): it always runs");
        return Ok(0);
    }

    let dir = settings::cache_dir(config, &env);
    let mut cache = Cache::open_existing(&dir).unwrap_or_else(|| Cache::open(&dir, CacheMode::Off));
    let key_cmd = |c: &crate::config::Command, d: &std::path::Path| {
        let (exit_code, output) = run::capture_command(c, d, Duration::from_secs(60));
        KeyCommandOutput {
            command: cache::key::command_text(c),
            exit_code,
            output,
        }
    };
    let prepared = cache::prepare(config, &[index], &mut cache, &key_cmd, &dir);
    let Some(now) = prepared.keys[index].clone() else {
        println!(
            "\ncache      no key: {}",
            prepared.no_key[index]
                .as_deref()
                .unwrap_or("unknown reason")
        );
        print_warnings(&mut cache);
        return Ok(0);
    };
    println!("\nkey        {}", now.key.hex());
    print_parts(&now.parts, &mask);

    let hit = cache.lookup(&now.key, None, inputs::now_ns());
    let verdict = match hit {
        Some(entry) => match gate.cache_ttl {
            Some(ttl)
                if inputs::now_ns().saturating_sub(entry.created_ns) as u128 > ttl.as_nanos() =>
            {
                format!(
                    "no: the entry stored {} is older than cache_ttl ({})",
                    ago(entry.created_ns),
                    human_duration(ttl)
                )
            }
            _ => format!(
                "yes: stored {} ({}) by pqg {}",
                ago(entry.created_ns),
                utc(entry.created_ns),
                entry.pqg_version
            ),
        },
        None => match cache.latest_for_gate(gate.id.as_str()) {
            None => "no: nothing is stored for this gate yet".to_owned(),
            Some(entry) => {
                let mut lines = vec![format!(
                    "no: the newest entry ({}, {}) differs:",
                    ago(entry.created_ns),
                    entry.key.hex().chars().take(16).collect::<String>()
                )];
                let old_files = cache.manifest(&entry.parts.inputs);
                lines.extend(differences(
                    &entry.parts,
                    &now.parts,
                    old_files.as_deref(),
                    &now.files,
                    &mask,
                ));
                lines.join("\n")
            }
        },
    };
    println!("\nwould hit  {verdict}");
    print_warnings(&mut cache);
    Ok(0)
}

fn print_parts(parts: &KeyParts, mask: &dyn Fn(&str) -> String) {
    println!("  command  {}", mask(&parts.command));
    println!("  cwd      {}", parts.cwd);
    for (name, value) in &parts.env {
        match value {
            Some(v) => println!("  env      {name}={}", mask(v)),
            None => println!("  env      {name} (unset)"),
        }
    }
    for k in &parts.key_commands {
        let first = k.output.lines().next().unwrap_or("");
        let code = k
            .exit_code
            .map_or("did not exit".to_owned(), |c| format!("exit {c}"));
        println!("  key cmd  {} → {code}: {}", mask(&k.command), mask(first));
    }
    for m in &parts.metrics {
        println!("  metric   {m}");
    }
    println!(
        "  inputs   {} files, digest {}",
        parts.input_count,
        parts.inputs.chars().take(16).collect::<String>()
    );
}

/// What differs between a stored key and the current one, in words.
pub fn differences(
    old: &KeyParts,
    now: &KeyParts,
    old_files: Option<&[FileEntry]>,
    now_files: &[FileEntry],
    mask: &dyn Fn(&str) -> String,
) -> Vec<String> {
    let mut out = Vec::new();
    if old.format != now.format {
        out.push(format!(
            "  - key format {} → {} (pqg was upgraded)",
            old.format, now.format
        ));
    }
    if old.command != now.command {
        out.push(format!(
            "  - command: `{}` → `{}`",
            mask(&old.command),
            mask(&now.command)
        ));
    }
    if old.cwd != now.cwd {
        out.push(format!("  - cwd: `{}` → `{}`", old.cwd, now.cwd));
    }
    let show = |v: &Option<String>| {
        v.as_deref()
            .map_or("(unset)".to_owned(), |v| format!("`{}`", mask(v)))
    };
    let old_env: HashMap<_, _> = old.env.iter().cloned().collect();
    for (name, value) in &now.env {
        match old_env.get(name) {
            None => out.push(format!("  - env {name} is newly listed in `env`")),
            Some(before) if before != value => out.push(format!(
                "  - env {name}: {} → {}",
                show(before),
                show(value)
            )),
            _ => {}
        }
    }
    for (name, _) in &old.env {
        if !now.env.iter().any(|(n, _)| n == name) {
            out.push(format!("  - env {name} is no longer listed in `env`"));
        }
    }
    if old.key_commands != now.key_commands {
        for (i, k) in now.key_commands.iter().enumerate() {
            match old.key_commands.get(i) {
                Some(o) if o == k => {}
                Some(o) if o.command == k.command => out.push(format!(
                    "  - key command `{}` printed something else: `{}` → `{}`",
                    mask(&k.command),
                    mask(o.output.lines().next().unwrap_or("")),
                    mask(k.output.lines().next().unwrap_or(""))
                )),
                _ => out.push(format!("  - key commands changed: `{}`", mask(&k.command))),
            }
        }
        if old.key_commands.len() > now.key_commands.len() {
            out.push("  - key commands were removed".to_owned());
        }
    }
    if old.metrics != now.metrics {
        out.push("  - metric sources changed".to_owned());
    }
    if old.inputs != now.inputs || old.input_count != now.input_count {
        match old_files {
            None => out.push(format!(
                "  - input files changed ({} → {} files; the old list is no longer stored)",
                old.input_count, now.input_count
            )),
            Some(old_files) => out.extend(file_changes(old_files, now_files)),
        }
    }
    if out.is_empty() {
        out.push("  - nothing visible: the entry may be damaged or expired".to_owned());
    }
    out
}

/// The files added, removed and changed between two manifests.
pub fn file_changes(old: &[FileEntry], now: &[FileEntry]) -> Vec<String> {
    const SHOWN: usize = 20;
    let old_map: HashMap<&str, &[u8; 32]> =
        old.iter().map(|f| (f.path.as_str(), &f.hash)).collect();
    let now_map: HashMap<&str, &[u8; 32]> =
        now.iter().map(|f| (f.path.as_str(), &f.hash)).collect();
    let mut added: Vec<&str> = now_map
        .keys()
        .filter(|p| !old_map.contains_key(*p))
        .copied()
        .collect();
    let mut removed: Vec<&str> = old_map
        .keys()
        .filter(|p| !now_map.contains_key(*p))
        .copied()
        .collect();
    let mut changed: Vec<&str> = now_map
        .iter()
        .filter(|(p, h)| old_map.get(*p).is_some_and(|o| o != *h))
        .map(|(p, _)| *p)
        .collect();
    added.sort_unstable();
    removed.sort_unstable();
    changed.sort_unstable();
    let mut out = Vec::new();
    for (label, list) in [("changed", changed), ("added", added), ("removed", removed)] {
        for p in list.iter().take(SHOWN) {
            out.push(format!("  - {label}: {p}"));
        }
        if list.len() > SHOWN {
            out.push(format!("  - … and {} more {label}", list.len() - SHOWN));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(
            utc(1_795_481_916 * 1_000_000_000),
            "2026-11-24 00:58:36 UTC"
        );
        assert_eq!(utc(951_782_400 * 1_000_000_000), "2000-02-29 00:00:00 UTC");
    }

    #[test]
    fn file_changes_name_each_kind() {
        let f = |p: &str, h: u8| FileEntry {
            path: p.into(),
            hash: [h; 32],
        };
        let changes = file_changes(&[f("a", 1), f("b", 1)], &[f("a", 2), f("c", 1)]);
        assert_eq!(
            changes,
            ["  - changed: a", "  - added: c", "  - removed: b"]
        );
    }
}
