//! `pqg history [GATE] [-n N]`: recent runs, or one gate's recent results.

use super::inspect::{known_gate, open_existing, print_warnings, table, utc};
use super::{Context, Outcome};
use crate::cache::history;
use crate::cli::HistoryArgs;
use crate::fmt::{human_duration, number};
use std::time::Duration;

/// `pqg history [GATE] [-n N]`.
pub(super) fn run(ctx: &Context, args: &HistoryArgs) -> anyhow::Result<Outcome> {
    let config = ctx.config_or_default()?;
    if let Some(gate) = &args.gate {
        known_gate(config, gate)?;
    }
    let mut cache = match open_existing(&ctx.config_settings()?.cache_dir) {
        Ok(c) => c,
        Err(msg) => {
            outln!("{msg}");
            return Ok(Outcome::Passed);
        }
    };
    let rows = history::runs(&mut cache, args.gate.as_deref(), args.count);
    print_warnings(&mut cache);
    if rows.is_empty() {
        outln!("no runs recorded yet");
        return Ok(Outcome::Passed);
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
        t.add_row(match &r.gate {
            None => run_row(r),
            Some(g) => gate_row(r, g),
        });
    }
    outln!("{t}");
    Ok(Outcome::Passed)
}

/// The first ten characters of the run's commit, or `—`.
fn short_commit(r: &history::RunRow) -> String {
    r.commit
        .as_deref()
        .map_or("—".to_owned(), |c| c.chars().take(10).collect())
}

/// A run's line: when, where, how it ended.
fn run_row(r: &history::RunRow) -> Vec<String> {
    vec![
        r.id.to_string(),
        utc(r.time_ns),
        r.stage.clone(),
        r.outcome.clone(),
        r.score.map_or("—".to_owned(), |s| format!("{s:.1}")),
        short_commit(r),
        r.branch.clone().unwrap_or_else(|| "—".to_owned()),
        human_duration(Duration::from_millis(r.duration_ms.max(0) as u64)),
    ]
}

/// One gate's line in a run: its status with flags, duration and metrics.
fn gate_row(r: &history::RunRow, g: &history::GateRecord) -> Vec<String> {
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
    vec![
        r.id.to_string(),
        utc(r.time_ns),
        r.stage.clone(),
        status,
        g.duration_ms.map_or("—".to_owned(), |d| {
            human_duration(Duration::from_millis(d))
        }),
        metrics.join("\n"),
        short_commit(r),
    ]
}
