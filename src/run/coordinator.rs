//! The coordinating thread of a run: it asks the scheduler what starts next,
//! starts gates on the pool, reuses results, reacts to finished gates and
//! signals, and sends every [`RunEvent`].
//!
//! A reused result is judged here through the caller's [`Assess`], a run one
//! on its pool thread; either way once, and the [`RunEvent::Finished`] event
//! carries that judgement. This module never decides a status itself and
//! never prints.

use super::gate::GateRunner;
use super::scheduler::{GateRun, Scheduler, Step};
use super::{signals, Assessment, Execution, Msg, Review, RunEvent, RunResult, StopReason};
use crate::plan::GateIdx;
use anyhow::Context;
use signal_hook::consts::SIGTERM;
use std::sync::mpsc::{Receiver, Sender};
use std::time::Duration;

/// The state of a run on its coordinating thread.
pub(super) struct Coordinator<'r, 'e> {
    runner: &'r GateRunner<'r>,
    scheduler: Scheduler<'r>,
    /// The signal that interrupted the run, if one did.
    interrupted: Option<i32>,
    review: &'e Review<'e>,
    on_event: &'e mut dyn FnMut(RunEvent<'_>),
}

impl<'r, 'e> Coordinator<'r, 'e> {
    /// A run of the runner's plan over `jobs` slots.
    pub(super) fn new(
        runner: &'r GateRunner<'r>,
        jobs: usize,
        review: &'e Review<'e>,
        on_event: &'e mut dyn FnMut(RunEvent<'_>),
    ) -> Self {
        let plan = runner.plan;
        let gates = plan
            .indices()
            .map(|i| {
                let slots = runner.gate(i).slots.clamp(1, jobs);
                let needs = plan.needs_of(i).collect();
                GateRun::new(plan.gate(i).runs(), needs, slots, runner.job(i))
            })
            .collect();
        Coordinator {
            runner,
            scheduler: Scheduler::new(gates, jobs, runner.opts.fail_fast),
            interrupted: None,
            review,
            on_event,
        }
    }

    /// Starts and reuses what it can, then waits for news, until no gate
    /// runs and none can start.
    pub(super) fn drive<'s>(
        &mut self,
        scope: &rayon::Scope<'s>,
        tx: &Sender<Msg>,
        rx: &Receiver<Msg>,
    ) -> anyhow::Result<()>
    where
        'r: 's,
    {
        loop {
            self.scheduler.settle_blocked();
            if self.scheduler.review_due() {
                self.review();
            }
            while let Some(step) = self.scheduler.next_step() {
                match step {
                    Step::Review => self.review(),
                    Step::Reuse(i, execution) => {
                        self.started(i);
                        let assessment = (self.runner.assess)(i, &execution);
                        self.finished(i, execution, assessment);
                    }
                    Step::Start(i) => {
                        self.started(i);
                        let (runner, tx) = (self.runner, tx.clone());
                        scope.spawn(move |_| {
                            let (execution, assessment) = runner.run(i, &tx);
                            let _ = tx.send(Msg::Done(i, execution, assessment));
                        });
                    }
                }
            }
            if self.scheduler.running() == 0 {
                return Ok(());
            }
            // What else came meanwhile is taken too: gates that finished
            // together are reviewed together.
            let first = rx.recv().context("waiting for gates")?;
            for msg in std::iter::once(first).chain(rx.try_iter()) {
                match msg {
                    Msg::Done(i, execution, assessment) => self.finished(i, execution, assessment),
                    Msg::Retrying(i, attempt) => (self.on_event)(RunEvent::Retrying {
                        gate: i,
                        id: &self.runner.plan.gate(i).id,
                        attempt,
                    }),
                    Msg::Signal(sig) => self.signalled(sig),
                }
            }
        }
    }

    /// Asks the caller whether the passes since the last review stand;
    /// a pass taken back blocks the gate's dependents and, under
    /// fail-fast, stops the run.
    fn review(&mut self) {
        let asked = self.scheduler.unreviewed();
        let revised = if asked.is_empty() {
            Vec::new()
        } else {
            (self.review)(&asked)
        };
        if self.scheduler.reviewed(&revised) {
            self.fail_fast_stop();
        }
    }

    fn fail_fast_stop(&mut self) {
        (self.on_event)(RunEvent::Stopping {
            reason: StopReason::FailFast,
        });
        self.runner.groups.stop_all(SIGTERM);
    }

    fn started(&mut self, i: GateIdx) {
        let id = &self.runner.plan.gate(i).id;
        (self.on_event)(RunEvent::Started { gate: i, id });
    }

    /// A gate's execution is in, run or reused, and judged `assessment`:
    /// under fail-fast a blocking miss stops the run.
    fn finished(&mut self, i: GateIdx, execution: Execution, assessment: Assessment) {
        (self.on_event)(RunEvent::Finished {
            gate: i,
            id: &self.runner.plan.gate(i).id,
            execution: &execution,
            assessment,
        });
        if self.scheduler.finish(i, execution, assessment) {
            self.fail_fast_stop();
        }
    }

    /// A signal that came before the run: nothing starts.
    pub(super) fn interrupt(&mut self, sig: i32) {
        self.signalled(sig);
    }

    /// The first signal stops the run and passes the signal to the gates;
    /// a second one (another Ctrl-C) kills them without more grace.
    fn signalled(&mut self, sig: i32) {
        if self.interrupted.is_some() {
            self.runner.groups.kill_all();
            return;
        }
        self.interrupted = Some(sig);
        self.scheduler.stop();
        (self.on_event)(RunEvent::Stopping {
            reason: StopReason::Signal(sig),
        });
        self.runner.groups.stop_all(sig);
    }

    /// Signals that arrived after the last gate ended still count.
    pub(super) fn count_late_signals(&mut self, rx: &Receiver<Msg>) {
        if let Some(sig) = signals::first_late_signal(rx) {
            self.interrupted.get_or_insert(sig);
        }
    }

    /// Everything the run produced; `wall` is how long it took.
    pub(super) fn into_result(self, wall: Duration) -> RunResult {
        self.scheduler.into_result(self.interrupted, wall)
    }
}
