//! `pqg stats`: per gate, runs, pass rate, flakiness, durations and cache
//! hit rate, from the history.

use super::inspect::{open_existing, print_warnings, table};
use super::{Context, Outcome};
use crate::cache::history;
use crate::fmt::human_duration;
use std::time::Duration;

/// `pqg stats`.
pub(super) fn run(ctx: &Context) -> anyhow::Result<Outcome> {
    // Loaded for its cache folder (or the default profile, announced).
    ctx.config_or_default()?;
    let mut cache = match open_existing(&ctx.config_settings()?.cache_dir) {
        Ok(c) => c,
        Err(msg) => {
            outln!("{msg}");
            return Ok(Outcome::Passed);
        }
    };
    let stats = history::stats(&mut cache);
    print_warnings(&mut cache);
    if stats.is_empty() {
        outln!("no runs recorded yet");
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
    Ok(Outcome::Passed)
}
