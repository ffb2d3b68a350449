//! An execution to and from its stored form in the cache.
//!
//! The cache knows only [`StoredResult`]; the runner's types convert
//! themselves here, so the cache never imports the runner. Nothing here
//! reads or writes the cache.

use super::measure::Reading;
use super::{ExecEnd, Execution, Output, Secret};
use crate::cache::{StoredExit, StoredMetric, StoredResult};
use crate::parsers::detail::MetricDetail;
use std::sync::Arc;
use std::time::Duration;

impl Execution {
    /// The storable form of this execution; `None` for outcomes that are
    /// never stored (timeouts, cancelled runs, spawn errors).
    pub(crate) fn to_stored(&self) -> Option<StoredResult> {
        let exit = match self.end {
            ExecEnd::Exited(c) => StoredExit::Exited(c),
            ExecEnd::Signalled(s) => StoredExit::Signalled(s),
            ExecEnd::TimedOut(_) | ExecEnd::Cancelled | ExecEnd::SpawnFailed(_) => return None,
        };
        Some(StoredResult {
            exit,
            duration_ms: self.duration.as_millis() as u64,
            metrics: self
                .metrics
                .iter()
                .map(|m| match m {
                    Ok(Reading {
                        value,
                        detail: Some(detail),
                    }) => StoredMetric::Detailed {
                        value: *value,
                        detail: MetricDetail::clone(detail),
                    },
                    Ok(Reading {
                        value,
                        detail: None,
                    }) => StoredMetric::Value(*value),
                    Err(e) => StoredMetric::Error(e.clone()),
                })
                .collect(),
            output: self.output.text.clone(),
            output_bytes: self.output.total_bytes,
            output_omitted_bytes: self.output.omitted_bytes,
            attempts: self.attempts,
            findings: self.findings.clone(),
        })
    }

    /// The execution a stored result describes, with `secrets` masked in
    /// what it quotes (output, metric errors, findings): a value may have
    /// become a secret since the result was stored (DESIGN §11). Taken by
    /// value: a scoped coverage metric's lines (every file of the report)
    /// are moved, not copied.
    pub(crate) fn from_stored(stored: StoredResult, secrets: &[Secret]) -> Execution {
        let mut execution = Execution {
            end: match stored.exit {
                StoredExit::Exited(c) => ExecEnd::Exited(c),
                StoredExit::Signalled(s) => ExecEnd::Signalled(s),
            },
            duration: Duration::from_millis(stored.duration_ms),
            output: Output {
                text: stored.output,
                total_bytes: stored.output_bytes,
                omitted_bytes: stored.output_omitted_bytes,
            },
            metrics: stored
                .metrics
                .into_iter()
                .map(|m| match m {
                    StoredMetric::Value(v) => Ok(Reading::number(v)),
                    StoredMetric::Detailed { value, detail } => Ok(Reading {
                        value,
                        detail: Some(Arc::new(detail)),
                    }),
                    StoredMetric::Error(e) => Err(e),
                })
                .collect(),
            attempts: stored.attempts,
            findings: stored.findings,
        };
        execution.mask(secrets);
        execution
    }

    /// Masks `secrets` in everything this execution quotes: its output,
    /// the reasons its metrics could not be read, its findings' files and
    /// messages.
    pub(crate) fn mask(&mut self, secrets: &[Secret]) {
        if secrets.is_empty() {
            return;
        }
        let Some(redactor) = super::Redactor::new(secrets) else {
            return;
        };
        redactor.redact(&mut self.output.text);
        super::gate::mask_errors(&mut self.metrics, secrets);
        for f in &mut self.findings {
            redactor.redact(&mut f.file);
            redactor.redact(&mut f.message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_results_round_trip_and_timeouts_are_never_stored() {
        let e = Execution {
            end: ExecEnd::Exited(1),
            duration: Duration::from_millis(1500),
            output: Output {
                text: "x".into(),
                total_bytes: 1,
                omitted_bytes: 0,
            },
            metrics: vec![Ok(Reading::number(1.5)), Err("no match".into())],
            attempts: 2,
            findings: Vec::new(),
        };
        let stored = e.to_stored().unwrap();
        let back = Execution::from_stored(stored.clone(), &[]);
        assert_eq!(back.end, e.end);
        assert_eq!(back.metrics, e.metrics);
        assert_eq!(back.output, e.output);
        let timeout = Execution {
            end: ExecEnd::TimedOut(Duration::from_secs(1)),
            ..e
        };
        assert!(timeout.to_stored().is_none());
    }

    #[test]
    fn located_findings_are_stored_and_masked_when_read_back() {
        use crate::parsers::detail::{Finding, Findings, Place};
        let secret = "hunter2-secret"; // pqg:allow
        let found = Findings {
            items: vec![Finding {
                rule: Some("R1".into()),
                level: "error".into(),
                message: format!("token {secret} leaked"),
                path: Some(format!("src/{secret}.py")),
                line: Some(3),
                ..Finding::default()
            }],
            unlocated: 2,
            lines: [(
                format!("src/{secret}.py"),
                vec![Place {
                    line: 3,
                    end_line: 3,
                    ..Place::default()
                }],
            )]
            .into(),
            ..Findings::default()
        };
        let e = Execution {
            end: ExecEnd::Exited(0),
            duration: Duration::from_millis(5),
            output: Output::default(),
            metrics: vec![Ok(Reading {
                value: 3.0,
                detail: Some(Arc::new(MetricDetail {
                    findings: Some(found),
                    coverage: None,
                })),
            })],
            attempts: 1,
            findings: Vec::new(),
        };
        let stored = e.to_stored().unwrap();
        let json = serde_json::to_string(&stored).unwrap();
        let back: StoredResult = serde_json::from_str(&json).unwrap();
        assert_eq!(Execution::from_stored(back.clone(), &[]).metrics, e.metrics);
        let masked = Execution::from_stored(back, &[secret.as_bytes().to_vec()]);
        let reading = masked.metrics[0].as_ref().unwrap();
        let found = reading.detail.as_ref().unwrap().findings.as_ref().unwrap();
        let shown = format!("{found:?}");
        assert!(!shown.contains(secret), "{shown}");
        assert_eq!(found.items[0].message, "token ******** leaked");
        assert_eq!(found.unlocated, 2);
        assert_eq!(found.lines["src/********.py"][0].line, 3);
    }
}
