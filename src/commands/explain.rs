//! `pqg explain GATE`: the resolved gate, its key's parts, whether the next
//! run would hit the cache, and if not, exactly why.

use super::inspect::{ago, known_gate, print_warnings, utc};
use super::{Context, Outcome};
use crate::cache::key::{KeyCommandOutput, KeyParts};
use crate::cache::{self, Cache, CacheMode, Entry, GateKey};
use crate::cli::ExplainArgs;
use crate::config::{Command, Config, Gate, StageIdx};
use crate::files::hash::describe_submodule;
use crate::files::snapshot::{FileEntry, Mode};
use crate::fmt::human_duration;
use crate::{judge, plan, run};
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
    let mask = |text: &str| {
        let mut t = text.to_owned();
        run::redact(&mut t, &secrets);
        t
    };

    print_gate(config, &plan, index, stage, &mask);
    if !gate.cache {
        println!("\ncache      off for this gate (`cache = false`): it always runs");
        return Ok(Outcome::Passed);
    }
    let dir = &resolved.cache_dir;
    let mut cache = Cache::open_existing(dir).unwrap_or_else(|| Cache::open(dir, CacheMode::Off));
    explain_key(config, index, &mut cache, dir, &mask);
    print_warnings(&mut cache);
    Ok(Outcome::Passed)
}

/// Prints the resolved gate: what it runs, where, whether it is active at
/// `stage`, and its metrics' bounds there.
fn print_gate(
    config: &Config,
    plan: &plan::Plan,
    index: usize,
    stage: StageIdx,
    mask: &dyn Fn(&str) -> String,
) {
    let gate = &config.gates[index];
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
        let bound = crate::fmt::bounds(t.min, t.max, m.unit.as_deref())
            .unwrap_or_else(|| "measured only".to_owned());
        println!("metric     {} ({}) {bound}", m.name, m.source.describe());
    }
}

/// Computes the gate's key as the next run would, prints its parts and
/// whether it would hit the cache (or why it has no key).
fn explain_key(
    config: &Config,
    index: usize,
    cache: &mut Cache,
    dir: &Path,
    mask: &dyn Fn(&str) -> String,
) {
    let prepared = cache::prepare(config, &[index], cache, &capture_key_command, dir);
    let Some(now) = prepared.keys[index].clone() else {
        println!(
            "\ncache      no key: {}",
            prepared.no_key[index]
                .as_deref()
                .unwrap_or("unknown reason")
        );
        return;
    };
    println!("\nkey        {}", now.key.hex());
    print_parts(&now.parts, mask);
    print_modes(&now.files);
    let verdict = would_hit(cache, &config.gates[index], &now, mask);
    println!("\nwould hit  {verdict}");
}

/// Runs a key command as `pqg check` would, with a one-minute limit.
fn capture_key_command(command: &Command, dir: &Path) -> KeyCommandOutput {
    let (exit_code, output) = run::capture_command(command, dir, Duration::from_secs(60));
    KeyCommandOutput {
        command: cache::key::command_text(command),
        exit_code,
        output,
    }
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

/// The input files' modes (part of each file's entry in the key): how many
/// of each, naming the few that are not plain files; and each submodule
/// with the commit checked out.
fn print_modes(files: &[FileEntry]) {
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
        println!("{line}");
    }
    for f in files.iter().filter(|f| f.mode == Mode::Submodule) {
        println!("  submod   {} {}", f.path, describe_submodule(&f.hash));
    }
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
    out.extend(env_differences(old, now, mask));
    if old.key_commands != now.key_commands {
        out.extend(key_command_differences(old, now, mask));
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

/// Environment variables whose value changed, or that were added to or
/// removed from the gate's `env` list.
fn env_differences(old: &KeyParts, now: &KeyParts, mask: &dyn Fn(&str) -> String) -> Vec<String> {
    let show = |v: &Option<String>| {
        v.as_deref()
            .map_or("(unset)".to_owned(), |v| format!("`{}`", mask(v)))
    };
    let mut out = Vec::new();
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
    out
}

/// Key commands that printed something else, changed, or were removed.
fn key_command_differences(
    old: &KeyParts,
    now: &KeyParts,
    mask: &dyn Fn(&str) -> String,
) -> Vec<String> {
    let mut out = Vec::new();
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
