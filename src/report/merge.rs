//! `pqg merge`: shard reports joined into one report and one verdict.
//!
//! Every report must come from the same config (by content) and stage. Each
//! gate's result is taken from the one shard that ran it; a gate that no
//! shard ran, or that two ran, means the shards dealt differently (they did
//! not share the same history) and is an error, never a guess.

use super::{Counts, GateReport, Report, SCHEMA};
use crate::judge::{GateStatus, StageOutcome};

/// Why reports cannot be merged.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MergeError {
    #[error("`{file}` is not a pqg JSON report: {why}")]
    NotAReport { file: String, why: String },
    #[error("the reports come from different configs: `{0}` and `{1}` differ")]
    DifferentConfigs(String, String),
    #[error("the reports are of different stages: `{0}` is {1}, `{2}` is {3}")]
    DifferentStages(String, String, String, String),
    #[error("`{0}` is of stage {1}, not {2}")]
    WrongStage(String, String, String),
    #[error("gate `{0}` ran in no shard")]
    Missing(String),
    #[error("gate `{gate}` ran in two shards: `{first}` and `{second}`")]
    Twice {
        gate: String,
        first: String,
        second: String,
    },
    #[error("nothing to merge")]
    Empty,
}

/// Parses one report file's text.
pub(crate) fn parse(file: &str, text: &str) -> Result<Report, MergeError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| MergeError::NotAReport {
            file: file.to_owned(),
            why: e.to_string(),
        })?;
    if value.get("schema").and_then(serde_json::Value::as_u64) != Some(u64::from(SCHEMA)) {
        return Err(MergeError::NotAReport {
            file: file.to_owned(),
            why: format!("no `\"schema\": {SCHEMA}`"),
        });
    }
    serde_json::from_value(value).map_err(|e| MergeError::NotAReport {
        file: file.to_owned(),
        why: e.to_string(),
    })
}

/// The signal that interrupted the run a report describes, read back from
/// its exit code (128 + the signal); `None` when it did not end on one.
pub(crate) fn signal_of(report: &Report) -> Option<i32> {
    report.exit_code.checked_sub(128).map(i32::from)
}

/// Joins `reports` (named by `files`) into one.
pub(crate) fn merge(
    files: &[String],
    reports: &[Report],
    stage: Option<&str>,
) -> Result<Report, MergeError> {
    let first = reports.first().ok_or(MergeError::Empty)?;
    for (file, r) in files.iter().zip(reports) {
        if r.config_digest != first.config_digest {
            return Err(MergeError::DifferentConfigs(files[0].clone(), file.clone()));
        }
        if r.stage != first.stage {
            return Err(MergeError::DifferentStages(
                files[0].clone(),
                first.stage.clone(),
                file.clone(),
                r.stage.clone(),
            ));
        }
        if let Some(s) = stage.filter(|s| *s != r.stage) {
            return Err(MergeError::WrongStage(
                file.clone(),
                r.stage.clone(),
                s.to_owned(),
            ));
        }
    }
    let mut gates: Vec<GateReport> = Vec::new();
    for g in &first.gates {
        let mut ran: Option<(&String, &GateReport)> = None;
        for (file, r) in files.iter().zip(reports) {
            let Some(this) = r.gates.iter().find(|x| x.name == g.name) else {
                continue;
            };
            if this.other_shard {
                continue;
            }
            if let Some((other_file, other)) = ran {
                // The same non-shard skip (not active at this stage) in every
                // report is one result, not two.
                if other.status == GateStatus::Skipped && this.status == GateStatus::Skipped {
                    continue;
                }
                return Err(MergeError::Twice {
                    gate: g.name.clone(),
                    first: other_file.clone(),
                    second: file.clone(),
                });
            }
            ran = Some((file, this));
        }
        let (_, chosen) = ran.ok_or_else(|| MergeError::Missing(g.name.clone()))?;
        gates.push(chosen.clone());
    }
    let counts = Counts::of(&gates);
    let (score, outcome) = crate::judge::stage_outcome(
        gates.iter().map(|g| (g.status, g.enforcement, g.weight)),
        first.min_score,
        reports
            .iter()
            .any(|r| r.outcome == StageOutcome::Interrupted),
    );
    Ok(Report {
        schema: SCHEMA,
        pqg_version: env!("CARGO_PKG_VERSION").to_owned(),
        run_id: format!(
            "merged:{}",
            reports
                .iter()
                .map(|r| r.run_id.as_str())
                .collect::<Vec<_>>()
                .join(",")
        ),
        config: first.config.clone(),
        config_digest: first.config_digest.clone(),
        shard: None,
        stage: first.stage.clone(),
        outcome,
        exit_code: outcome
            .ending(reports.iter().find_map(signal_of))
            .exit_code(),
        score,
        min_score: first.min_score,
        duration_ms: reports.iter().map(|r| r.duration_ms).max().unwrap_or(0),
        counts,
        gates,
    })
}
