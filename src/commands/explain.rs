//! `pqg explain GATE`: the resolved gate, its key's parts, whether the next
//! run would hit the cache, and if not, exactly why.

use super::inspect::{ago, known_gate, print_warnings, utc};
use super::{Context, Outcome};
use crate::cache::key::KeyParts;
use crate::cache::{self, Cache, CacheMode, Entry, GateKey, RanKeyCommand};
use crate::cli::ExplainArgs;
use crate::config::{Config, Gate, StageIdx};
use crate::diag::OutputError;
use crate::files::hash::describe_submodule;
use crate::files::snapshot::{FileEntry, Mode};
use crate::fmt::human_duration;
use crate::{judge, pipeline, plan, run};
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

/// `pqg explain GATE`: the resolved gate, its key's parts, whether the next
/// run would hit, and if not, exactly why.
pub(super) fn run(ctx: &Context, args: &ExplainArgs) -> anyhow::Result<Outcome> {
    let config = ctx.config_or_default()?;
    let index = known_gate(config, &args.gate)?;
    let gate = &config.gates[index];
    let resolved = ctx.config_settings()?;
    let stage = resolved.stage(config, args.stage.as_deref())?;
    let plan = plan::build(config, stage, &plan::Filters::default(), false)?;
    let secrets = run::secrets_from_env(&config.settings.redact);
    // One finder for every text: the input files' names are masked too.
    let redactor = run::Redactor::new(&secrets);
    let mask = |text: &str| {
        let mut t = text.to_owned();
        if let Some(redactor) = &redactor {
            redactor.redact(&mut t);
        }
        t
    };

    print_gate(config, &plan, index, stage, &mask)?;
    if !gate.cache {
        outln!("\ncache      off for this gate (`cache = false`): it always runs");
        return Ok(Outcome::Passed);
    }
    let dir = &resolved.cache_dir;
    let mut cache = Cache::open_existing(dir).unwrap_or_else(|| Cache::open(dir, CacheMode::Off));
    let stage_name = config.ladder.name(stage).to_string();
    // A signal while the key commands run or the tree is hashed stops
    // them, and pqg ends interrupted rather than by the signal.
    run::listen_for_signals()?;
    explain_key(config, index, &stage_name, &mut cache, dir, &mask)?;
    print_warnings(&mut cache);
    Ok(match run::signal_received() {
        Some(signal) => Outcome::Interrupted { signal },
        None => Outcome::Passed,
    })
}

/// Prints the resolved gate: what it runs, where, whether it is active at
/// `stage`, and its metrics' bounds there.
fn print_gate(
    config: &Config,
    plan: &plan::Plan,
    index: usize,
    stage: StageIdx,
    mask: &dyn Fn(&str) -> String,
) -> Result<(), OutputError> {
    let gate = &config.gates[index];
    outln!("gate       {}", gate.id);
    if let Some(d) = &gate.description {
        outln!("about      {d}");
    }
    outln!("runs       {}", mask(&gate.command.to_string()));
    outln!("cwd        {}", gate.cwd.display());
    if gate.writes {
        outln!("writes     may rewrite tracked files (`writes = true`)");
    }
    let at = match plan.gates[index].activity {
        plan::Activity::Run(plan::Enforcement::Block) => "blocking".to_owned(),
        plan::Activity::Run(plan::Enforcement::Warn) => "warning only".to_owned(),
        plan::Activity::Skip(_) => {
            format!("not active (runs from {})", config.ladder.name(gate.from))
        }
    };
    outln!("at {:<7} {at}", config.ladder.name(stage).as_str());
    for m in &gate.metrics {
        let t = judge::threshold(m, stage);
        let bound = crate::fmt::bounds(t.min, t.max, m.unit.as_deref())
            .unwrap_or_else(|| "measured only".to_owned());
        outln!("metric     {} ({}) {bound}", m.name, m.source.describe());
    }
    Ok(())
}

/// Computes the gate's key as the next run would at `stage`, prints its
/// parts and whether it would hit the cache (or why it has no key).
fn explain_key(
    config: &Config,
    index: usize,
    stage: &str,
    cache: &mut Cache,
    dir: &Path,
    mask: &dyn Fn(&str) -> String,
) -> Result<(), OutputError> {
    let prepared = cache::prepare(
        config,
        &[index],
        stage,
        cache,
        &pipeline::key_command,
        dir,
        cache::Watchers::NONE,
    );
    let Some(now) = prepared.keys[index].clone() else {
        outln!(
            "\ncache      no key: {}",
            prepared.no_key[index]
                .as_deref()
                .unwrap_or("unknown reason")
        );
        return Ok(());
    };
    outln!("\nkey        {}", now.key.hex());
    print_parts(
        &config.gates[index],
        &now.parts,
        &prepared.key_commands,
        mask,
    )?;
    print_modes(&now.files)?;
    let verdict = would_hit(cache, &config.gates[index], &now, mask);
    outln!("\nwould hit  {verdict}");
    Ok(())
}

/// Whether the cache holds a usable entry for `now`, in words; on a miss,
/// what differs from the newest entry of the gate.
fn would_hit(
    cache: &mut Cache,
    gate: &Gate,
    now: &GateKey,
    mask: &dyn Fn(&str) -> String,
) -> String {
    match cache.lookup(&now.key, None, crate::files::snapshot::now_ns()) {
        Some(entry) => stored_verdict(&entry, gate.cache_ttl),
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
                    mask,
                ));
                lines.join("\n")
            }
        },
    }
}

/// The verdict on an entry stored under the current key: a hit, unless
/// it is older than `cache_ttl`.
fn stored_verdict(entry: &Entry, ttl: Option<Duration>) -> String {
    match ttl {
        Some(ttl)
            if crate::files::snapshot::now_ns().saturating_sub(entry.created_ns) as u128
                > ttl.as_nanos() =>
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
    }
}

/// The first 12 hex digits of a digest, enough to tell two apart.
fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

/// Prints the key's parts: what pqg hands the gate, its command, `env`
/// (the values as they are now; the cache keeps only their digests), key
/// commands (digest, exit code, time and first line), needs' keys, metric
/// sources and inputs.
fn print_parts(
    gate: &Gate,
    parts: &KeyParts,
    ran: &[RanKeyCommand],
    mask: &dyn Fn(&str) -> String,
) -> Result<(), OutputError> {
    let stage = match &parts.stage {
        Some(stage) => format!("PQG_STAGE={stage} (the gate reads it)"),
        None => "PQG_STAGE not read: the stage is not in the key".to_owned(),
    };
    outln!("  handed   PQG_GATE={}, {stage}", parts.gate);
    outln!("  command  {}", mask(&parts.command));
    outln!("  cwd      {}", parts.cwd);
    for (name, digest) in &parts.env {
        match (digest, std::env::var(name)) {
            (Some(d), Ok(v)) => outln!("  env      {name}={} (digest {})", mask(&v), short(d)),
            (Some(d), Err(_)) => outln!("  env      {name} (digest {})", short(d)),
            (None, _) => outln!("  env      {name} (unset)"),
        }
    }
    for k in &parts.key_commands {
        let run = ran
            .iter()
            .find(|r| r.command == k.command && r.cwd == gate.cwd);
        let (time, first) = run.map_or((String::new(), String::new()), |r| {
            (
                format!(", {} ms, {} bytes", r.duration.as_millis(), r.run.bytes),
                format!(": {}", mask(r.run.output.lines().next().unwrap_or(""))),
            )
        });
        outln!(
            "  key cmd  {} → exit {}, digest {}{time}{first}",
            mask(&k.command),
            k.exit_code,
            short(&k.digest)
        );
    }
    for (name, key) in &parts.needs {
        outln!("  needs    {name} (key {})", short(key));
    }
    for m in &parts.metrics {
        outln!("  metric   {m}");
    }
    outln!(
        "  inputs   {} files, digest {}",
        parts.input_count,
        parts.inputs.chars().take(16).collect::<String>()
    );
    Ok(())
}

/// The input files' modes (part of each file's entry in the key): how many
/// of each, naming the few that are not plain files; and each submodule
/// with the commit checked out.
fn print_modes(files: &[FileEntry]) -> Result<(), OutputError> {
    const NAMED: usize = 5;
    for mode in [Mode::File, Mode::Exec, Mode::Symlink] {
        let of: Vec<&str> = files
            .iter()
            .filter(|f| f.mode == mode)
            .map(|f| f.path.as_str())
            .collect();
        if of.is_empty() {
            continue;
        }
        let mut line = format!("  mode     {} {} files", mode.git(), of.len());
        if mode != Mode::File {
            let shown: Vec<&str> = of.iter().take(NAMED).copied().collect();
            line.push_str(&format!(": {}", shown.join(", ")));
            if of.len() > NAMED {
                line.push_str(&format!(", … {} more", of.len() - NAMED));
            }
        }
        outln!("{line}");
    }
    for f in files.iter().filter(|f| f.mode == Mode::Submodule) {
        outln!("  submod   {} {}", f.path, describe_submodule(&f.hash));
    }
    Ok(())
}

/// What differs between a stored key and the current one, in words.
pub(super) fn differences(
    old: &KeyParts,
    now: &KeyParts,
    old_files: Option<&[FileEntry]>,
    now_files: &[FileEntry],
    mask: &dyn Fn(&str) -> String,
) -> Vec<String> {
    let mut out = command_differences(old, now, mask);
    out.extend(handed_differences(old, now));
    out.extend(env_differences(old, now, mask));
    if old.key_commands != now.key_commands {
        out.extend(key_command_differences(old, now, mask));
    }
    out.extend(needs_differences(old, now));
    if old.metrics != now.metrics {
        out.push("  - metric sources changed".to_owned());
    }
    if old.inputs != now.inputs || old.input_count != now.input_count {
        match old_files {
            None => out.push(format!(
                "  - input files changed ({} → {} files; the old list is no longer stored)",
                old.input_count, now.input_count
            )),
            Some(old_files) => {
                // The stored names are masked: today's are compared (and
                // shown) masked the same way, never in clear.
                let masked = |files: &[FileEntry]| -> Vec<FileEntry> {
                    files
                        .iter()
                        .map(|f| FileEntry {
                            path: mask(&f.path),
                            ..f.clone()
                        })
                        .collect()
                };
                out.extend(file_changes(&masked(old_files), &masked(now_files)));
            }
        }
    }
    if out.is_empty() {
        out.push("  - nothing visible: the entry may be damaged or expired".to_owned());
    }
    out
}

/// Changes of key format, command and working directory.
fn command_differences(
    old: &KeyParts,
    now: &KeyParts,
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
    out
}

/// What pqg hands the gate: its name, and the stage where it reads it.
fn handed_differences(old: &KeyParts, now: &KeyParts) -> Vec<String> {
    let mut out = Vec::new();
    if old.gate != now.gate {
        out.push(format!("  - PQG_GATE: `{}` → `{}`", old.gate, now.gate));
    }
    match (&old.stage, &now.stage) {
        (Some(a), Some(b)) if a != b => out.push(format!(
            "  - PQG_STAGE: `{a}` → `{b}` (the gate reads the stage)"
        )),
        (None, Some(_)) => out.push(
            "  - the gate now reads PQG_STAGE (lists it in `env` or names it in `run`)".to_owned(),
        ),
        (Some(_), None) => out.push("  - the gate no longer reads PQG_STAGE".to_owned()),
        _ => {}
    }
    out
}

/// Environment variables whose value changed (their digests differ: the
/// cache keeps no value, so only today's is shown), or that were added to
/// or removed from the gate's `env` list.
fn env_differences(old: &KeyParts, now: &KeyParts, mask: &dyn Fn(&str) -> String) -> Vec<String> {
    let mut out = Vec::new();
    let old_env: HashMap<_, _> = old.env.iter().cloned().collect();
    let current =
        |name: &str| std::env::var(name).map_or("set".to_owned(), |v| format!("`{}`", mask(&v)));
    for (name, value) in &now.env {
        match (old_env.get(name), value) {
            (None, _) => out.push(format!("  - env {name} is newly listed in `env`")),
            (Some(None), Some(_)) => {
                out.push(format!("  - env {name}: (unset) → {}", current(name)));
            }
            (Some(Some(_)), None) => out.push(format!("  - env {name}: set → (unset)")),
            (Some(Some(a)), Some(b)) if a != b => out.push(format!(
                "  - env {name}: its value changed (digest {} → {}), now {}",
                short(a),
                short(b),
                current(name)
            )),
            _ => {}
        }
    }
    for (name, _) in &old.env {
        if !now.env.iter().any(|(n, _)| n == name) {
            out.push(format!("  - env {name} is no longer listed in `env`"));
        }
    }
    out
}

/// Key commands that printed something else, exited otherwise, changed, or
/// were removed.
fn key_command_differences(
    old: &KeyParts,
    now: &KeyParts,
    mask: &dyn Fn(&str) -> String,
) -> Vec<String> {
    let mut out = Vec::new();
    for (i, k) in now.key_commands.iter().enumerate() {
        match old.key_commands.get(i) {
            Some(o) if o == k => {}
            Some(o) if o.command == k.command && o.exit_code != k.exit_code => out.push(format!(
                "  - key command `{}` exited {} → {}",
                mask(&k.command),
                o.exit_code,
                k.exit_code
            )),
            Some(o) if o.command == k.command => out.push(format!(
                "  - key command `{}` printed something else (digest {} → {})",
                mask(&k.command),
                short(&o.digest),
                short(&k.digest)
            )),
            _ => out.push(format!("  - key commands changed: `{}`", mask(&k.command))),
        }
    }
    if old.key_commands.len() > now.key_commands.len() {
        out.push("  - key commands were removed".to_owned());
    }
    out
}

/// Needed gates whose key changed: they run again, and so does this gate.
fn needs_differences(old: &KeyParts, now: &KeyParts) -> Vec<String> {
    let mut out = Vec::new();
    let old_needs: HashMap<&str, &str> = old
        .needs
        .iter()
        .map(|(n, k)| (n.as_str(), k.as_str()))
        .collect();
    for (name, key) in &now.needs {
        match old_needs.get(name.as_str()) {
            None => out.push(format!("  - now needs `{name}`")),
            Some(before) if *before != key => out.push(format!(
                "  - needs `{name}`, whose key changed ({} → {}): `pqg explain {name}` says why",
                short(before),
                short(key)
            )),
            _ => {}
        }
    }
    for (name, _) in &old.needs {
        if !now.needs.iter().any(|(n, _)| n == name) {
            out.push(format!("  - no longer needs `{name}`"));
        }
    }
    out
}

/// The files added, removed and changed between two manifests; a change
/// of mode or of a submodule's commit is said as such.
pub(super) fn file_changes(old: &[FileEntry], now: &[FileEntry]) -> Vec<String> {
    const SHOWN: usize = 20;
    let old_map: HashMap<&str, &FileEntry> = old.iter().map(|f| (f.path.as_str(), f)).collect();
    let now_map: HashMap<&str, &FileEntry> = now.iter().map(|f| (f.path.as_str(), f)).collect();
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
    let mut changed: Vec<String> = now_map
        .iter()
        .filter_map(|(p, f)| {
            let o = old_map.get(*p)?;
            if o.mode == Mode::Submodule && f.mode == Mode::Submodule && o.hash != f.hash {
                return Some(format!(
                    "{p} (submodule: {} → {})",
                    describe_submodule(&o.hash),
                    describe_submodule(&f.hash)
                ));
            }
            match (o.mode != f.mode, o.hash != f.hash) {
                (true, content_too) => Some(format!(
                    "{p} (mode {} → {}{})",
                    o.mode.git(),
                    f.mode.git(),
                    if content_too { ", content too" } else { "" }
                )),
                (false, true) => Some((*p).to_owned()),
                (false, false) => None,
            }
        })
        .collect();
    added.sort_unstable();
    removed.sort_unstable();
    changed.sort_unstable();
    let mut out = Vec::new();
    let added: Vec<String> = added.into_iter().map(str::to_owned).collect();
    let removed: Vec<String> = removed.into_iter().map(str::to_owned).collect();
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
    fn file_changes_name_each_kind() {
        let f = |p: &str, h: u8| FileEntry {
            path: p.into(),
            mode: Mode::File,
            hash: [h; 32],
        };
        let changes = file_changes(&[f("a", 1), f("b", 1)], &[f("a", 2), f("c", 1)]);
        assert_eq!(
            changes,
            ["  - changed: a", "  - added: c", "  - removed: b"]
        );
        let exec = FileEntry {
            mode: Mode::Exec,
            ..f("a", 1)
        };
        assert_eq!(
            file_changes(&[exec], &[f("a", 1)]),
            ["  - changed: a (mode 100755 → 100644)"]
        );
        let sub = |h: u8| FileEntry {
            path: "lib/".into(),
            mode: Mode::Submodule,
            hash: [h; 32],
        };
        assert_eq!(
            file_changes(&[sub(0)], &[sub(0xff)]),
            ["  - changed: lib/ (submodule: not checked out → no commit)"]
        );
    }
}
