//! `pqg baseline save | show`: the committed metric baseline
//! (gates.baseline.json) that `max_regression` compares with.

use super::{run_every_gate, Context, Outcome};
use crate::baseline::{self, Baseline, BaselineState};
use crate::cache::{history, Cache};
use crate::cli::BaselineCommand;
use crate::config::Config;
use crate::diag::UserError;
use crate::fmt::{number, with_unit};
use comfy_table::{presets, Table};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// `pqg baseline save | show`.
pub(super) fn run(ctx: &Context, command: &BaselineCommand) -> anyhow::Result<Outcome> {
    let config = ctx.config()?;
    match command {
        BaselineCommand::Save {
            stage,
            jobs,
            no_cache,
        } => save(ctx, config, stage.as_deref(), *jobs, *no_cache),
        BaselineCommand::Show => show(config, &ctx.config_settings()?.cache_dir),
    }
}

fn save(
    ctx: &Context,
    config: &Config,
    stage: Option<&str>,
    jobs: Option<usize>,
    no_cache: bool,
) -> anyhow::Result<Outcome> {
    let stage = match stage {
        Some(name) => config.stage(name)?,
        None => config.ladder.highest(),
    };
    let ran = run_every_gate(
        ctx,
        stage,
        jobs,
        no_cache,
        crate::cli::ProgressChoice::Auto,
        None,
    )?;
    if ran.result.interrupted.is_some() {
        eprintln!("pqg: interrupted; no baseline written");
        return Ok(ran.verdict.ending());
    }
    let mut saved = Baseline {
        format: baseline::FORMAT,
        stage: config.ladder.name(stage).to_string(),
        gates: BTreeMap::new(),
    };
    let mut missing = Vec::new();
    for g in &ran.report.gates {
        for m in &g.metrics {
            match (m.value, &m.error) {
                (Some(v), _) => {
                    saved
                        .gates
                        .entry(g.name.clone())
                        .or_default()
                        .insert(m.name.clone(), v);
                }
                (None, Some(e)) => missing.push(format!("{}.{}: {e}", g.name, m.name)),
                (None, None) if m.not_applicable() => missing.push(format!(
                    "{}.{}: n/a (no instrumented changed line)",
                    g.name, m.name
                )),
                (None, None) => {
                    missing.push(format!("{}.{}: {}", g.name, m.name, g.status.as_str()));
                }
            }
        }
    }
    let path = baseline::path(&config.root);
    std::fs::write(&path, saved.render())
        .map_err(|e| anyhow::anyhow!("writing `{}`: {e}", path.display()))?;
    let count: usize = saved.gates.values().map(BTreeMap::len).sum();
    outln!(
        "wrote {}: {count} metric{} of {} gate{} (stage {})",
        path.display(),
        if count == 1 { "" } else { "s" },
        saved.gates.len(),
        if saved.gates.len() == 1 { "" } else { "s" },
        saved.stage
    );
    for m in &missing {
        eprintln!("warning: no value for {m}");
    }
    Ok(Outcome::Passed)
}

fn show(config: &Config, cache_dir: &Path) -> anyhow::Result<Outcome> {
    let saved = match baseline::load(&config.root) {
        BaselineState::Missing => {
            outln!(
                "no {} beside {}: `pqg baseline save` writes one",
                baseline::FILE,
                config.path.display()
            );
            return Ok(Outcome::Passed);
        }
        BaselineState::Corrupt(why) => {
            return Err(UserError::new(why)
                .hint("fix the file, or write it again with `pqg baseline save`")
                .into())
        }
        BaselineState::Loaded(b) => b,
    };
    let mut cache = Cache::open_existing(cache_dir);
    let recent = cache
        .as_mut()
        .map(|c| history::recent(c, &[]))
        .unwrap_or_default();
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .apply_modifier(comfy_table::modifiers::UTF8_ROUND_CORNERS)
        .set_header([
            "Gate",
            "Metric",
            "Baseline",
            "Latest",
            "Change",
            "max_regression",
        ]);
    for (gate, metrics) in &saved.gates {
        for (metric, base) in metrics {
            table.add_row(metric_row(config, &recent, gate, metric, *base));
        }
    }
    outln!("{table}");
    outln!("stage {} · {}", saved.stage, baseline::FILE);
    Ok(Outcome::Passed)
}

/// One baseline value's line: the value, the latest recorded one, the
/// change, and the metric's `max_regression` per stage.
fn metric_row(
    config: &Config,
    recent: &HashMap<String, Vec<history::Sample>>,
    gate: &str,
    metric: &str,
    base: f64,
) -> Vec<String> {
    let config_metric = config
        .gate(gate)
        .and_then(|g| g.metrics.iter().find(|m| m.name == metric));
    let unit = config_metric.and_then(|m| m.unit.as_deref());
    let latest = recent.get(gate).and_then(|samples| {
        samples
            .iter()
            .find_map(|s| s.metrics.iter().find(|(n, _)| n == metric)?.1)
    });
    let regression = config_metric
        .map(|m| {
            m.max_regression
                .entries()
                .iter()
                .map(|e| format!("{} {}", config.ladder.name(e.stage), e.value))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "—".to_owned());
    vec![
        gate.to_owned(),
        metric.to_owned(),
        with_unit(base, unit),
        latest.map_or("—".to_owned(), |v| with_unit(v, unit)),
        latest.map_or("—".to_owned(), |v| change(v - base)),
        regression,
    ]
}

/// A signed difference: `+1.5`, `-2`, or `±0`.
fn change(d: f64) -> String {
    if d.abs() < 1e-12 {
        "±0".to_owned()
    } else {
        format!("{}{}", if d > 0.0 { "+" } else { "-" }, number(d.abs()))
    }
}
