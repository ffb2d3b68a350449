//! Run history (DESIGN §5): every run's time, stage, verdict, score, git
//! commit and branch, host and pqg version, and per gate its status, flags,
//! duration and metric values; the last `settings.history` runs are kept.
//!
//! History feeds scheduling (predicted durations), `pqg history` and
//! `pqg stats`. Reading it never changes a verdict.

use super::Cache;
use rusqlite::params;
use std::collections::HashMap;
use std::time::Duration;

/// How many past executions the duration prediction averages.
const PREDICTION_WINDOW: i64 = 5;

/// How many recent runs the prediction looks through: a gate served from
/// the cache for longer than this falls back to "unknown", and the query
/// stays cheap however long the history is.
const PREDICTION_HORIZON: i64 = 200;

/// One gate's line in a run's history.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GateRecord {
    pub gate: String,
    /// The gate's status as `GateStatus::as_str` names it (`pass`, `fail`,
    /// `skipped`, ...): the queries below match these words.
    pub status: String,
    pub cached: bool,
    pub flaky: bool,
    pub attempts: u32,
    pub duration_ms: Option<u64>,
    pub metrics: Vec<(String, Option<f64>)>,
}

/// One run's history.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RunRecord {
    pub run_id: String,
    pub time_ns: i64,
    pub stage: String,
    /// How the run ended, as `judge::StageOutcome::as_str` names it (`passed`,
    /// `failed`, `interrupted`). Rows written by older versions hold the
    /// same words (they stored the enum's `Debug` text, lowercased), so
    /// every row reads alike.
    pub outcome: String,
    pub score: Option<f64>,
    pub min_score: Option<f64>,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub host: Option<String>,
    pub pqg_version: String,
    pub duration_ms: u64,
    pub gates: Vec<GateRecord>,
}

/// Records a run and drops runs beyond the newest `keep`.
pub(crate) fn record(cache: &mut Cache, run: &RunRecord, keep: usize) {
    cache.query(|c| super::db::immediate(c, |tx| {
        tx.execute(
            "INSERT INTO runs (run_id, time_ns, stage, outcome, score, min_score, commit_sha, branch, host, pqg_version, duration_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                run.run_id,
                run.time_ns,
                run.stage,
                run.outcome,
                run.score,
                run.min_score,
                run.commit,
                run.branch,
                run.host,
                run.pqg_version,
                run.duration_ms as i64
            ],
        )?;
        let id = tx.last_insert_rowid();
        {
            let mut insert = tx.prepare(
                "INSERT INTO gate_runs (run, gate, status, cached, flaky, attempts, duration_ms, metrics)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for g in &run.gates {
                let metrics = serde_json::to_string(&g.metrics).expect("metrics serialise");
                insert.execute(params![
                    id,
                    g.gate,
                    g.status,
                    g.cached,
                    g.flaky,
                    g.attempts,
                    g.duration_ms.map(|d| d as i64),
                    metrics
                ])?;
            }
        }
        tx.execute(
            "DELETE FROM runs WHERE id <= (SELECT id FROM runs ORDER BY id DESC LIMIT 1 OFFSET ?1)",
            [keep as i64],
        )?;
        Ok(())
    }));
}

/// Predicted duration per gate: the mean of its last few real executions.
pub(crate) fn predicted(cache: &mut Cache) -> HashMap<String, Duration> {
    cache
        .query(|c| {
            let mut stmt = c.prepare(
                "SELECT gate, AVG(duration_ms) FROM (
                   SELECT gate, duration_ms,
                          ROW_NUMBER() OVER (PARTITION BY gate ORDER BY run DESC) AS n
                   FROM gate_runs
                   WHERE cached = 0 AND duration_ms IS NOT NULL
                     AND status IN ('pass', 'fail', 'warn', 'error')
                     AND run > (SELECT coalesce(max(id), 0) FROM runs) - ?2
                 ) WHERE n <= ?1 GROUP BY gate",
            )?;
            let rows = stmt.query_map([PREDICTION_WINDOW, PREDICTION_HORIZON], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, f64>(1)?))
            })?;
            rows.map(|r| r.map(|(g, ms)| (g, Duration::from_secs_f64(ms.max(0.0) / 1000.0))))
                .collect::<rusqlite::Result<HashMap<_, _>>>()
        })
        .unwrap_or_default()
}

/// A gate's result in an earlier run, for deltas and anomaly notes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sample {
    pub cached: bool,
    pub duration_ms: Option<u64>,
    pub metrics: Vec<(String, Option<f64>)>,
}

/// How many recent runs deltas and anomaly notes look back over.
pub(crate) const RECENT_RUNS: i64 = 60;

/// Each gate's results in the last [`RECENT_RUNS`] runs that judged it
/// (pass, fail, warn or error), newest first: all of them for the gates in
/// `fresh` (anomaly notes need the spread), only the newest for the others
/// (a delta needs one value). A warm run, where every gate is cached, reads
/// one row per gate.
pub(crate) fn recent(cache: &mut Cache, fresh: &[&str]) -> HashMap<String, Vec<Sample>> {
    cache
        .query(|c| {
            let sample = |r: &rusqlite::Row<'_>| -> rusqlite::Result<(String, Sample)> {
                let metrics: String = r.get(3)?;
                Ok((
                    r.get::<_, String>(0)?,
                    Sample {
                        cached: r.get(1)?,
                        duration_ms: r.get::<_, Option<i64>>(2)?.map(|d| d.max(0) as u64),
                        metrics: if metrics == "[]" {
                            Vec::new()
                        } else {
                            serde_json::from_str(&metrics).unwrap_or_default()
                        },
                    },
                ))
            };
            let mut out: HashMap<String, Vec<Sample>> = HashMap::new();
            let mut latest = c.prepare_cached(
                "SELECT g.gate, g.cached, g.duration_ms, g.metrics FROM gate_runs g
                 JOIN (SELECT gate, max(run) AS run FROM gate_runs
                       WHERE run > (SELECT coalesce(max(id), 0) FROM runs) - ?1
                         AND status IN ('pass', 'fail', 'warn', 'error')
                       GROUP BY gate) l
                 ON g.gate = l.gate AND g.run = l.run",
            )?;
            for row in latest.query_map([RECENT_RUNS], sample)? {
                let (gate, s) = row?;
                if !fresh.contains(&gate.as_str()) {
                    out.entry(gate).or_default().push(s);
                }
            }
            if !fresh.is_empty() {
                let mut all = c.prepare_cached(
                    "SELECT gate, cached, duration_ms, metrics FROM gate_runs
                     WHERE run > (SELECT coalesce(max(id), 0) FROM runs) - ?1 AND gate = ?2
                       AND status IN ('pass', 'fail', 'warn', 'error')
                     ORDER BY run DESC",
                )?;
                for gate in fresh {
                    for row in all.query_map(params![RECENT_RUNS, gate], sample)? {
                        let (gate, s) = row?;
                        out.entry(gate).or_default().push(s);
                    }
                }
            }
            Ok(out)
        })
        .unwrap_or_default()
}

/// A run as listed by `pqg history`.
#[derive(Debug, Clone)]
pub(crate) struct RunRow {
    pub id: i64,
    pub time_ns: i64,
    pub stage: String,
    pub outcome: String,
    pub score: Option<f64>,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub duration_ms: i64,
    /// For a gate's history: that gate's line.
    pub gate: Option<GateRecord>,
}

/// The newest `n` runs, or the newest `n` runs of `gate`.
pub(crate) fn runs(cache: &mut Cache, gate: Option<&str>, n: usize) -> Vec<RunRow> {
    cache
        .query(|c| {
            let base = "SELECT r.id, r.time_ns, r.stage, r.outcome, r.score, r.commit_sha, r.branch, r.duration_ms";
            let mut out = Vec::new();
            match gate {
                None => {
                    let mut stmt = c.prepare(&format!("{base} FROM runs r ORDER BY r.id DESC LIMIT ?1"))?;
                    let rows = stmt.query_map([n as i64], |r| run_row(r, None))?;
                    for row in rows {
                        out.push(row?);
                    }
                }
                Some(g) => {
                    let mut stmt = c.prepare(&format!(
                        "{base}, g.gate, g.status, g.cached, g.flaky, g.attempts, g.duration_ms, g.metrics
                         FROM runs r JOIN gate_runs g ON g.run = r.id
                         WHERE g.gate = ?1 ORDER BY r.id DESC LIMIT ?2"
                    ))?;
                    let rows = stmt.query_map(params![g, n as i64], |r| {
                        let metrics: String = r.get(14)?;
                        let gate = GateRecord {
                            gate: r.get(8)?,
                            status: r.get(9)?,
                            cached: r.get(10)?,
                            flaky: r.get(11)?,
                            attempts: r.get(12)?,
                            duration_ms: r.get::<_, Option<i64>>(13)?.map(|d| d as u64),
                            metrics: serde_json::from_str(&metrics).unwrap_or_default(),
                        };
                        run_row(r, Some(gate))
                    })?;
                    for row in rows {
                        out.push(row?);
                    }
                }
            }
            Ok(out)
        })
        .unwrap_or_default()
}

fn run_row(r: &rusqlite::Row<'_>, gate: Option<GateRecord>) -> rusqlite::Result<RunRow> {
    Ok(RunRow {
        id: r.get(0)?,
        time_ns: r.get(1)?,
        stage: r.get(2)?,
        outcome: r.get(3)?,
        score: r.get(4)?,
        commit: r.get(5)?,
        branch: r.get(6)?,
        duration_ms: r.get(7)?,
        gate,
    })
}

/// Per-gate figures for `pqg stats`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GateStats {
    pub gate: String,
    /// Runs in which the gate was active (not skipped).
    pub runs: usize,
    pub passes: usize,
    pub flaky: usize,
    pub cached: usize,
    /// Over real executions only.
    pub mean_ms: Option<f64>,
    pub p95_ms: Option<f64>,
}

impl GateStats {
    pub(crate) fn pass_rate(&self) -> Option<f64> {
        (self.runs > 0).then(|| 100.0 * self.passes as f64 / self.runs as f64)
    }
    pub(crate) fn hit_rate(&self) -> Option<f64> {
        (self.runs > 0).then(|| 100.0 * self.cached as f64 / self.runs as f64)
    }
}

/// Statistics per gate over the kept history, in gate-name order.
pub(crate) fn stats(cache: &mut Cache) -> Vec<GateStats> {
    let rows = cache
        .query(|c| {
            let mut stmt = c.prepare(
                "SELECT gate, status, cached, flaky, duration_ms FROM gate_runs WHERE status != 'skipped' ORDER BY gate",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, bool>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                ))
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })
        .unwrap_or_default();
    let mut by_gate: Vec<(String, Vec<_>)> = Vec::new();
    for row in rows {
        match by_gate.last_mut() {
            Some((g, v)) if *g == row.0 => v.push(row),
            _ => by_gate.push((row.0.clone(), vec![row])),
        }
    }
    by_gate
        .into_iter()
        .map(|(gate, rows)| {
            let mut durations: Vec<f64> = rows
                .iter()
                .filter(|r| !r.2)
                .filter_map(|r| r.4.map(|d| d as f64))
                .collect();
            durations.sort_by(f64::total_cmp);
            let mean = (!durations.is_empty())
                .then(|| durations.iter().sum::<f64>() / durations.len() as f64);
            GateStats {
                gate,
                runs: rows.len(),
                passes: rows.iter().filter(|r| r.1 == "pass").count(),
                flaky: rows.iter().filter(|r| r.3).count(),
                cached: rows.iter().filter(|r| r.2).count(),
                mean_ms: mean,
                p95_ms: percentile(&durations, 0.95),
            }
        })
        .collect()
}

/// The nearest-rank percentile of sorted values.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::CacheMode;

    fn run(stage: &str, gates: Vec<GateRecord>) -> RunRecord {
        RunRecord {
            run_id: "r".into(),
            time_ns: 1,
            stage: stage.into(),
            outcome: "passed".into(),
            score: Some(100.0),
            min_score: None,
            commit: None,
            branch: None,
            host: None,
            pqg_version: "0".into(),
            duration_ms: 10,
            gates,
        }
    }

    fn gate(name: &str, status: &str, cached: bool, ms: u64) -> GateRecord {
        GateRecord {
            gate: name.into(),
            status: status.into(),
            cached,
            flaky: false,
            attempts: 1,
            duration_ms: Some(ms),
            metrics: vec![("m".into(), Some(1.0))],
        }
    }

    #[test]
    fn history_is_kept_bounded_and_feeds_predictions_and_stats() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = Cache::open(dir.path(), CacheMode::On);
        for i in 0..10u64 {
            record(
                &mut cache,
                &run(
                    "staging",
                    vec![
                        gate("a", "pass", i % 2 == 1, 100 * (i + 1)),
                        gate("b", "fail", false, 50),
                    ],
                ),
                6,
            );
        }
        assert_eq!(
            runs(&mut cache, None, 100).len(),
            6,
            "only the newest 6 runs are kept"
        );
        let p = predicted(&mut cache);
        // Real executions of `a` among the kept runs 4..=9: i = 4, 6, 8.
        assert_eq!(p["a"], Duration::from_millis(700));
        assert_eq!(p["b"], Duration::from_millis(50));
        let s = stats(&mut cache);
        assert_eq!(s[0].gate, "a");
        assert_eq!(s[0].runs, 6);
        assert_eq!(s[0].cached, 3);
        assert_eq!(s[0].pass_rate(), Some(100.0));
        assert_eq!(s[1].pass_rate(), Some(0.0));
        let hist = runs(&mut cache, Some("a"), 2);
        assert_eq!(hist.len(), 2);
        assert_eq!(
            hist[0].gate.as_ref().unwrap().metrics,
            vec![("m".to_owned(), Some(1.0))]
        );
    }

    #[test]
    fn the_wal_stays_bounded_across_many_runs() {
        // Each process opens the cache, records a run and closes it. Every
        // open reads the whole WAL, so it must not grow with the history.
        let dir = tempfile::tempdir().unwrap();
        let wal = dir.path().join("cache.db-wal");
        let mut largest = 0;
        for i in 0..200u64 {
            let mut cache = Cache::open(dir.path(), CacheMode::On);
            let gates = (0..40)
                .map(|g| gate(&format!("gate-{g}"), "pass", i % 3 == 0, g * 10 + i))
                .collect();
            record(&mut cache, &run("staging", gates), 100);
            drop(cache);
            largest = largest.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
        }
        assert!(
            largest <= 2 * crate::cache::store::WAL_LIMIT,
            "the WAL reached {largest} bytes"
        );
        let mut cache = Cache::open(dir.path(), CacheMode::On);
        assert_eq!(runs(&mut cache, None, 1000).len(), 100, "nothing was lost");
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.95), Some(19.0));
        assert_eq!(percentile(&[5.0], 0.95), Some(5.0));
        assert_eq!(percentile(&[], 0.95), None);
    }
}
