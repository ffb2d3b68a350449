//! Live progress on stderr: a spinner per running gate with its elapsed
//! time, and a bar for the whole run.
//!
//! It listens to `RunEvent`s and draws only when `Settings::progress` said
//! so (a terminal, not under `CI`). It never prints the report.

use crate::plan::GateIdx;
use crate::run::{RunEvent, StopReason};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::time::Duration;

/// The progress display of one run.
pub(crate) struct Progress {
    multi: MultiProgress,
    overall: ProgressBar,
    running: HashMap<GateIdx, ProgressBar>,
}

impl Progress {
    pub(crate) fn new(total: usize) -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let overall = multi.add(ProgressBar::new(total as u64));
        overall.set_style(
            ProgressStyle::with_template("{bar:30.cyan/blue} {pos}/{len} gates · {elapsed}")
                .expect("the template is valid")
                .progress_chars("━╸─"),
        );
        overall.enable_steady_tick(Duration::from_millis(200));
        Progress {
            multi,
            overall,
            running: HashMap::new(),
        }
    }

    pub(crate) fn on_event(&mut self, event: &RunEvent<'_>) {
        match event {
            RunEvent::Started { gate, id } => {
                let bar = self
                    .multi
                    .insert_before(&self.overall, ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("{spinner:.green} {msg} {elapsed:.dim}")
                        .expect("the template is valid"),
                );
                bar.set_message(id.to_string());
                bar.enable_steady_tick(Duration::from_millis(100));
                self.running.insert(*gate, bar);
            }
            RunEvent::Retrying { gate, id, attempt } => {
                if let Some(bar) = self.running.get(gate) {
                    bar.set_message(format!("{id} (attempt {attempt})"));
                }
            }
            RunEvent::Finished { gate, .. } => {
                if let Some(bar) = self.running.remove(gate) {
                    bar.finish_and_clear();
                    self.multi.remove(&bar);
                }
                self.overall.inc(1);
            }
            RunEvent::Stopping { reason } => {
                let why = match reason {
                    StopReason::FailFast => "fail-fast: stopping".to_owned(),
                    StopReason::Signal(_) => "interrupted: stopping gates".to_owned(),
                };
                self.overall.set_message(why);
            }
        }
    }

    /// Removes the display before the report is printed.
    pub(crate) fn finish(self) {
        for (_, bar) in self.running {
            bar.finish_and_clear();
        }
        self.overall.finish_and_clear();
        let _ = self.multi.clear();
    }
}
