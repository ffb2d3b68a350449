//! `pqg ladder` (DESIGN §7).
//!
//! The ladder runs once, at the highest stage (every gate, cached results
//! reused, never stopping early), then judges that one run at every stage:
//! judging is pure, so this costs a few microseconds per stage on top of a
//! `pqg check`.

use super::{run_every_gate, Context, Outcome};
use crate::cli::{LadderArgs, LadderFormat};
use crate::config::{Config, StageIdx};
use crate::fmt::number;
use crate::judge::{self, GateStatus, StageOutcome, Verdict};
use crate::pipeline::StageRun;
use crate::plan::{self, Enforcement, GateIdx};
use crate::run::RunResult;
use comfy_table::{presets, Table};
use serde::Serialize;
use std::collections::BTreeMap;

/// The ladder as data: what the table and the JSON show.
#[derive(Debug, Serialize)]
pub(super) struct LadderView {
    pub schema: u32,
    pub stages: Vec<String>,
    pub gates: Vec<LadderRow>,
    pub verdicts: Vec<StageVerdict>,
    /// The highest stage whose every stage below passes too.
    pub ready_for: Option<String>,
    /// The stage above it, if any.
    pub next: Option<String>,
    /// What fails `next`, in words.
    pub blocked_by: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(super) struct LadderRow {
    pub name: String,
    /// Stage → status, `not active` below the gate's `from`.
    pub cells: BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
pub(super) struct StageVerdict {
    pub stage: String,
    pub outcome: StageOutcome,
    pub score: Option<f64>,
    pub min_score: Option<f64>,
}

/// Judges `ran` (a run of the highest stage) at every stage.
pub(super) fn build(config: &Config, ran: &StageRun) -> anyhow::Result<LadderView> {
    let mut verdicts = Vec::new();
    for (stage, _) in config.ladder.iter() {
        verdicts.push(judge_at(config, ran, stage)?);
    }
    let stages: Vec<String> = config.ladder.names().map(str::to_owned).collect();
    let gates = config
        .gates
        .iter()
        .enumerate()
        .map(|(i, gate)| LadderRow {
            name: gate.id.to_string(),
            cells: stages
                .iter()
                .zip(&verdicts)
                .map(|(name, v)| (name.clone(), cell(&v.gates[i].status, ran, GateIdx(i))))
                .collect(),
        })
        .collect();
    let reached = verdicts
        .iter()
        .take_while(|v| v.outcome == StageOutcome::Passed)
        .count();
    let ready_for = reached.checked_sub(1).map(|i| stages[i].clone());
    let next = stages.get(reached).cloned();
    let blocked_by = verdicts
        .get(reached)
        .map(|v| blockers(config, v))
        .unwrap_or_default();
    Ok(LadderView {
        schema: 1,
        stages,
        gates,
        verdicts: verdicts
            .iter()
            .map(|v| StageVerdict {
                stage: config.ladder.name(v.stage).to_string(),
                outcome: v.outcome,
                score: v.score,
                min_score: v.min_score,
            })
            .collect(),
        ready_for,
        next,
        blocked_by,
    })
}

fn judge_at(config: &Config, ran: &StageRun, stage: StageIdx) -> anyhow::Result<Verdict> {
    let plan = plan::build(config, stage, &plan::Filters::default(), false)?;
    let executions = plan
        .gates
        .iter()
        .zip(&ran.result.executions)
        .map(|(p, e)| if p.runs() { e.clone() } else { None })
        .collect();
    let result = RunResult {
        executions,
        // Nothing assessed these executions at this stage; the judge does.
        reused: ran.result.reused.clone(),
        interrupted: None,
        wall: ran.result.wall,
    };
    Ok(judge::judge(
        config,
        &plan,
        &result,
        &ran.baseline,
        ran.new_code.as_ref(),
    ))
}

fn cell(status: &GateStatus, ran: &StageRun, gate: GateIdx) -> String {
    match status {
        GateStatus::Skipped => "not active".to_owned(),
        // It did not run at the top stage (a need failed there): below, the
        // judge can only say it never started.
        GateStatus::Cancelled if ran.result.executions[gate].is_none() => "blocked".to_owned(),
        s => s.as_str().to_owned(),
    }
}

/// Why a stage fails: each blocking gate's metric misses, or its reason;
/// the score when it is below the minimum.
fn blockers(config: &Config, verdict: &Verdict) -> Vec<String> {
    let mut out = Vec::new();
    for (gate, v) in config.gates.iter().zip(&verdict.gates) {
        if v.enforcement != Some(Enforcement::Block) || !v.status.fails_stage() {
            continue;
        }
        let misses: Vec<String> = v
            .metrics
            .iter()
            .filter(|m| m.within == Some(false))
            .filter_map(super::super::judge::MetricJudgement::miss)
            .map(|miss| format!("{} {miss}", gate.id))
            .collect();
        if misses.is_empty() {
            let why = v
                .reason
                .clone()
                .unwrap_or_else(|| v.status.as_str().to_owned());
            out.push(format!("{} ({why})", gate.id));
        } else {
            out.extend(misses);
        }
    }
    if let (Some(score), Some(min)) = (verdict.score, verdict.min_score) {
        if score + 1e-9 < min {
            out.push(format!("score {} < {}", number(score), number(min)));
        }
    }
    out
}

/// `ready for: staging · production blocked by: coverage lines 78.2 < 85`
pub(super) fn summary(view: &LadderView) -> String {
    let ready = match &view.ready_for {
        Some(s) => format!("ready for: {s}"),
        None => "ready for: no stage yet".to_owned(),
    };
    match &view.next {
        None => format!("{ready} (every stage passes)"),
        Some(next) => format!(
            "{ready} · {next} blocked by: {}",
            view.blocked_by.join(", ")
        ),
    }
}

/// `pqg ladder`.
pub(super) fn run(ctx: &Context, args: &LadderArgs) -> anyhow::Result<Outcome> {
    let config = ctx.config_or_default()?;
    let printer = ctx.stdout();
    let ran = run_every_gate(
        ctx,
        config.ladder.highest(),
        args.jobs,
        args.no_cache,
        args.progress,
        args.new_code_since.as_deref(),
    )?;
    if ran.result.interrupted.is_some() {
        eprintln!("pqg: interrupted; the ladder needs every gate's result");
        return Ok(ran.verdict.ending());
    }
    let view = build(config, &ran)?;
    match args.format {
        LadderFormat::Json => {
            outln!("{}", serde_json::to_string_pretty(&view)?);
        }
        LadderFormat::Table => {
            let mut table = Table::new();
            table
                .load_preset(presets::UTF8_FULL_CONDENSED)
                .apply_modifier(comfy_table::modifiers::UTF8_ROUND_CORNERS);
            let mut header = vec!["Gate".to_owned()];
            header.extend(view.stages.iter().cloned());
            table.set_header(header);
            for row in &view.gates {
                let mut cells = vec![row.name.clone()];
                cells.extend(view.stages.iter().map(|s| row.cells[s].clone()));
                table.add_row(cells);
            }
            if let Some(w) = printer.width {
                table.set_width(w);
            }
            outln!("{table}");
            let scores: Vec<String> = view
                .verdicts
                .iter()
                .map(|v| {
                    let verdict = match v.outcome {
                        StageOutcome::Passed => "passes",
                        _ => "fails",
                    };
                    match v.score {
                        Some(s) => format!("{} {verdict} ({})", v.stage, number(s)),
                        None => format!("{} {verdict}", v.stage),
                    }
                })
                .collect();
            outln!("{}", scores.join(" · "));
            outln!("{}", summary(&view));
        }
    }
    Ok(Outcome::Passed)
}
