//! `pqg stats`: per gate, runs, pass rate, flakiness, durations and cache
//! hit rate, from the history. Only the gates the config defines now: a
//! gate removed from it is history of something that no longer runs, and
//! is named in one line below the table.

use super::inspect::{open_existing, print_warnings, table};
use super::{Context, Outcome};
use crate::cache::history;
use crate::fmt::human_duration;
use std::time::Duration;

/// `pqg stats`.
pub(super) fn run(ctx: &Context) -> anyhow::Result<Outcome> {
    // Loaded for its gates and cache folder (or the default profile,
    // announced).
    let config = ctx.config_or_default()?;
    let mut cache = match open_existing(&ctx.config_settings()?.cache_dir) {
        Ok(c) => c,
        Err(msg) => {
            outln!("{msg}");
            return Ok(Outcome::Passed);
        }
    };
    let (stats, removed): (Vec<_>, Vec<_>) = history::stats(&mut cache)
        .into_iter()
        .partition(|s| config.gates.iter().any(|g| g.id.as_str() == s.gate));
    print_warnings(&mut cache);
    let removed_line = (!removed.is_empty()).then(|| {
        let names: Vec<&str> = removed.iter().map(|s| s.gate.as_str()).collect();
        format!(
            "not shown: {} no longer in {}: {}",
            if names.len() == 1 {
                "1 gate".to_owned()
            } else {
                format!("{} gates", names.len())
            },
            config
                .path
                .file_name()
                .map_or("the config".into(), |n| n.to_string_lossy()),
            names.join(", ")
        )
    });
    if stats.is_empty() {
        match &removed_line {
            None => outln!("no runs recorded yet"),
            Some(_) => outln!("no runs of the config's gates recorded yet"),
        }
        if let Some(line) = removed_line {
            outln!("{line}");
        }
        return Ok(Outcome::Passed);
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
    outln!("{t}");
    if let Some(line) = removed_line {
        outln!("{line}");
    }
    Ok(Outcome::Passed)
}
