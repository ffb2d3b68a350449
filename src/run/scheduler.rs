//! Which gate starts next: the ready order (longest predicted first, unknown
//! counts as longest, ties in config order; DESIGN §6), the gates' needs, and
//! the `jobs` slots they occupy.
//!
//! Pure bookkeeping for the coordinating thread: no processes, threads,
//! clock or events. It never judges; it is told whether a finished gate
//! passed.

use super::{Assessment, Execution, GateJob, Reuse, RunResult};
use crate::plan::GateIdx;
use std::time::Duration;

/// What the coordinating thread is to do next.
#[derive(Debug)]
pub(super) enum Step {
    /// Use this execution as the gate's result instead of running it; then
    /// report it to [`Scheduler::finish`].
    Reuse(GateIdx, Execution),
    /// Start the gate: its slots are taken.
    Start(GateIdx),
    /// Before a gate whose needs finished since the last review starts:
    /// ask the caller whether those passes still stand (see
    /// [`Scheduler::reviewed`]), then ask for the next step again.
    Review,
}

/// How far one gate got.
#[derive(Debug)]
enum State {
    Waiting,
    Running,
    Done {
        assessment: Assessment,
        reused: bool,
        execution: Execution,
    },
    /// It will never run: not in this run's plan, a need failed, or the run
    /// stopped first.
    NotRun,
}

/// One gate of the run as the scheduler sees it.
pub(super) struct GateRun<'r> {
    job: &'r GateJob,
    needs: Vec<GateIdx>,
    slots: usize,
    state: State,
}

impl<'r> GateRun<'r> {
    /// A gate that runs in this plan (`runs`), or one that never does.
    pub(super) fn new(runs: bool, needs: Vec<GateIdx>, slots: usize, job: &'r GateJob) -> Self {
        let state = if runs { State::Waiting } else { State::NotRun };
        GateRun {
            job,
            needs,
            slots,
            state,
        }
    }
}

/// The scheduler's bookkeeping, on the coordinating thread only.
pub(super) struct Scheduler<'r> {
    gates: Vec<GateRun<'r>>,
    /// Every gate, in the order they are considered for a start.
    order: Vec<GateIdx>,
    /// Slots not taken by running gates.
    free: usize,
    running: usize,
    fail_fast: bool,
    stopping: bool,
    /// Where the current pass over `order` is.
    cursor: usize,
    /// Whether the current pass reused a result, which may have made gates
    /// earlier in the order ready: then another pass follows.
    moved: bool,
    /// The gates run (not reused) that passed since the last review: their
    /// pass may still be taken back (a gate that wrote tracked files).
    unreviewed: Vec<bool>,
    /// Whether a blocking gate passed under fail-fast since the last
    /// review: whether the run goes on waits for it.
    review_due: bool,
}

impl<'r> Scheduler<'r> {
    /// A scheduler of `gates` (in plan order) over `capacity` slots.
    pub(super) fn new(gates: Vec<GateRun<'r>>, capacity: usize, fail_fast: bool) -> Self {
        let order = ready_order(&gates);
        let unreviewed = vec![false; gates.len()];
        Scheduler {
            gates,
            order,
            free: capacity,
            running: 0,
            fail_fast,
            stopping: false,
            cursor: 0,
            moved: true,
            unreviewed,
            review_due: false,
        }
    }

    fn at(&self, i: GateIdx) -> &GateRun<'r> {
        &self.gates[i.0]
    }

    /// How many gates are running.
    pub(super) fn running(&self) -> usize {
        self.running
    }

    /// Whether the run stops starting gates (fail-fast, a signal).
    pub(super) fn stop(&mut self) {
        self.stopping = true;
    }

    /// The next gate to reuse or start, in passes over the ready order until
    /// a pass reuses nothing (a reused result may make others ready); `None`
    /// when nothing more can start until a running gate finishes.
    pub(super) fn next_step(&mut self) -> Option<Step> {
        loop {
            if self.stopping {
                // Stopped mid-pass (a reused miss, a review): nothing more.
                self.cursor = 0;
                self.moved = true;
                return None;
            }
            if self.cursor == 0 {
                if !self.moved {
                    self.moved = true;
                    return None;
                }
                self.moved = false;
            }
            let Some(&i) = self.order.get(self.cursor) else {
                self.cursor = 0;
                continue;
            };
            self.cursor += 1;
            if let Some(step) = self.step_for(i) {
                return Some(step);
            }
        }
    }

    /// What to do with gate `i` now, if anything.
    fn step_for(&mut self, i: GateIdx) -> Option<Step> {
        if !self.ready(i) {
            return None;
        }
        if self.at(i).needs.iter().any(|d| self.unreviewed[d.0]) {
            // Asked again once reviewed, in this pass.
            self.cursor -= 1;
            self.moved = true;
            return Some(Step::Review);
        }
        let reuse = match &self.at(i).job.reuse {
            Reuse::Nothing => None,
            Reuse::Cached(execution) => Some(execution.clone()),
        };
        if let Some(execution) = reuse {
            self.moved = true;
            return Some(Step::Reuse(i, execution));
        }
        let slots = self.at(i).slots;
        if slots > self.free {
            return None;
        }
        self.free -= slots;
        self.running += 1;
        self.gates[i.0].state = State::Running;
        Some(Step::Start(i))
    }

    fn ready(&self, i: GateIdx) -> bool {
        matches!(self.at(i).state, State::Waiting)
            && self.at(i).needs.iter().all(|&d| self.passed(d))
    }

    fn passed(&self, i: GateIdx) -> bool {
        matches!(&self.at(i).state, State::Done { assessment, .. } if assessment.passed())
    }

    /// Records a finished gate, started or reused, and what the caller made
    /// of it; true when fail-fast should stop the run now.
    pub(super) fn finish(
        &mut self,
        i: GateIdx,
        execution: Execution,
        assessment: Assessment,
    ) -> bool {
        let reused = !matches!(self.at(i).state, State::Running);
        if !reused {
            self.running -= 1;
            self.free += self.at(i).slots;
        }
        self.gates[i.0].state = State::Done {
            assessment,
            reused,
            execution,
        };
        if !reused && assessment.passed() {
            self.unreviewed[i.0] = true;
            self.review_due |= assessment.blocking && self.fail_fast && !self.stopping;
        }
        self.settle_blocked();
        self.fail_fast_stops(assessment)
    }

    /// Under fail-fast, whether `assessment` stops the run now.
    fn fail_fast_stops(&mut self, assessment: Assessment) -> bool {
        if assessment.fails_stage() && self.fail_fast && !self.stopping {
            self.stopping = true;
            return true;
        }
        false
    }

    /// Whether a review is due before the run goes on: a blocking gate
    /// passed under fail-fast since the last one.
    pub(super) fn review_due(&self) -> bool {
        self.review_due && !self.stopping
    }

    /// The gates whose pass a review is to confirm: run (not reused), and
    /// passed since the last review.
    pub(super) fn unreviewed(&self) -> Vec<GateIdx> {
        (0..self.gates.len())
            .filter(|&i| self.unreviewed[i])
            .map(GateIdx)
            .collect()
    }

    /// The caller reviewed the [`unreviewed`](Self::unreviewed) gates and
    /// took back some passes (`revised`): their dependents never start;
    /// true when fail-fast should stop the run now.
    pub(super) fn reviewed(&mut self, revised: &[(GateIdx, Assessment)]) -> bool {
        self.unreviewed.iter_mut().for_each(|u| *u = false);
        self.review_due = false;
        let mut stop = false;
        for &(i, assessment) in revised {
            if let State::Done { assessment: a, .. } = &mut self.gates[i.0].state {
                *a = assessment;
            }
            stop |= self.fail_fast_stops(assessment);
        }
        self.settle_blocked();
        stop
    }

    /// Marks gates whose needs can no longer pass as never running; the
    /// judge calls them blocked.
    pub(super) fn settle_blocked(&mut self) {
        let mut changed = true;
        while changed {
            changed = false;
            for i in 0..self.gates.len() {
                let gate = &self.gates[i];
                if matches!(gate.state, State::Waiting)
                    && gate.needs.iter().any(|&d| self.never_passes(d))
                {
                    self.gates[i].state = State::NotRun;
                    changed = true;
                }
            }
        }
    }

    fn never_passes(&self, i: GateIdx) -> bool {
        match &self.at(i).state {
            State::Done { assessment, .. } => !assessment.passed(),
            State::NotRun => true,
            State::Waiting | State::Running => false,
        }
    }

    /// The run's result: per gate, its execution, its assessment and whether
    /// it was reused; whether fail-fast stopped the run; and the `interrupted`
    /// signal and `wall` time the coordinator knows.
    pub(super) fn into_result(self, interrupted: Option<i32>, wall: Duration) -> RunResult {
        let count = self.gates.len();
        let mut executions = Vec::with_capacity(count);
        let mut reused = Vec::with_capacity(count);
        for gate in self.gates {
            match gate.state {
                State::Done {
                    execution,
                    reused: r,
                    ..
                } => {
                    executions.push(Some(execution));
                    reused.push(r);
                }
                _ => {
                    executions.push(None);
                    reused.push(false);
                }
            }
        }
        RunResult {
            executions: executions.into(),
            reused: reused.into(),
            interrupted,
            wall,
        }
    }
}

/// Longest predicted first, unknown counts as longest, ties in config order
/// (DESIGN §6).
fn ready_order(gates: &[GateRun<'_>]) -> Vec<GateIdx> {
    let predicted = |i: GateIdx| gates[i.0].job.predicted.unwrap_or(Duration::MAX);
    let mut order: Vec<GateIdx> = (0..gates.len()).map(GateIdx).collect();
    order.sort_by(|&a, &b| predicted(b).cmp(&predicted(a)).then(a.cmp(&b)));
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::{ExecEnd, Output};

    fn job(predicted_secs: Option<u64>) -> GateJob {
        GateJob {
            predicted: predicted_secs.map(Duration::from_secs),
            ..GateJob::default()
        }
    }

    fn execution(code: i32) -> Execution {
        Execution {
            end: ExecEnd::Exited(code),
            duration: Duration::from_millis(5),
            output: Output::default(),
            metrics: Vec::new(),
            attempts: 1,
            findings: Vec::new(),
        }
    }

    /// Gates that run, each `(needs, slots)`, over the given jobs.
    fn scheduler<'r>(
        jobs: &'r [GateJob],
        gates: &[(&[usize], usize)],
        capacity: usize,
    ) -> Scheduler<'r> {
        let gates = gates
            .iter()
            .zip(jobs)
            .map(|(&(needs, slots), job)| {
                let needs = needs.iter().map(|&d| GateIdx(d)).collect();
                GateRun::new(true, needs, slots, job)
            })
            .collect();
        Scheduler::new(gates, capacity, false)
    }

    /// Independent one-slot gates in one slot, under fail-fast.
    fn fail_fast_one_slot(jobs: &[GateJob]) -> Scheduler<'_> {
        let gates = jobs
            .iter()
            .map(|job| GateRun::new(true, Vec::new(), 1, job))
            .collect();
        Scheduler::new(gates, 1, true)
    }

    /// Takes every step until the scheduler waits, as gate numbers; reused
    /// results are finished as passes at once.
    fn steps(s: &mut Scheduler<'_>) -> Vec<String> {
        let mut taken = Vec::new();
        while let Some(step) = s.next_step() {
            match step {
                Step::Start(i) => taken.push(format!("start {}", i.0)),
                Step::Reuse(i, e) => {
                    taken.push(format!("reuse {}", i.0));
                    s.finish(i, e, Assessment::PASS);
                }
                Step::Review => {
                    taken.push("review".to_owned());
                    s.reviewed(&[]);
                }
            }
        }
        taken
    }

    #[test]
    fn longest_predicted_first_unknown_as_longest_ties_in_config_order() {
        let jobs = [
            job(Some(1)),
            job(Some(30)),
            job(None),
            job(Some(30)),
            job(None),
        ];
        let no_needs: (&[usize], usize) = (&[], 1);
        let mut s = scheduler(&jobs, &[no_needs; 5], 8);
        assert_eq!(
            steps(&mut s),
            ["start 2", "start 4", "start 1", "start 3", "start 0"]
        );
    }

    #[test]
    fn needs_wait_for_a_pass_and_a_failed_need_blocks() {
        let jobs = [job(Some(1)), job(None), job(None)];
        let mut s = scheduler(&jobs, &[(&[], 1), (&[0], 1), (&[1], 1)], 8);
        assert_eq!(steps(&mut s), ["start 0"]);
        assert!(!s.finish(GateIdx(0), execution(0), Assessment::PASS));
        assert_eq!(steps(&mut s), ["review", "start 1"]);
        s.finish(GateIdx(1), execution(1), Assessment::WARN);
        assert!(steps(&mut s).is_empty());
        assert_eq!(s.running(), 0);
        let assessments: Vec<_> = s
            .gates
            .iter()
            .map(|g| match &g.state {
                State::Done { assessment, .. } => Some(*assessment),
                _ => None,
            })
            .collect();
        assert_eq!(
            assessments,
            [Some(Assessment::PASS), Some(Assessment::WARN), None]
        );
        assert!(!s.stopping);
        let result = s.into_result(None, Duration::ZERO);
        let ran: Vec<bool> = result.executions.iter().map(Option::is_some).collect();
        assert_eq!(ran, [true, true, false], "2 is blocked by its failed need");
        assert_eq!(result.reused, vec![false; 3].into());
    }

    #[test]
    fn a_gate_starts_only_when_its_slots_are_free_and_smaller_ones_go_first() {
        // 0 (longest) takes 2 of 3 slots; 1 needs 2 and must wait; 2 fits.
        let jobs = [job(Some(9)), job(Some(5)), job(Some(1))];
        let mut s = scheduler(&jobs, &[(&[], 2), (&[], 2), (&[], 1)], 3);
        assert_eq!(steps(&mut s), ["start 0", "start 2"]);
        s.finish(GateIdx(2), execution(0), Assessment::PASS);
        assert!(steps(&mut s).is_empty(), "one slot free, 1 needs two");
        s.finish(GateIdx(0), execution(0), Assessment::PASS);
        assert_eq!(steps(&mut s), ["start 1"]);
    }

    #[test]
    fn cached_results_take_no_slot_and_wait_for_their_needs() {
        let mut jobs = [job(Some(1)), job(Some(9)), job(Some(5))];
        jobs[0].reuse = Reuse::Cached(execution(0));
        jobs[2].reuse = Reuse::Cached(execution(3));
        let mut s = scheduler(&jobs, &[(&[], 1), (&[], 1), (&[1], 1)], 1);
        // 1 (longest) takes the slot, 0 is reused without one; 2 is cached
        // but waits for its need 1.
        assert_eq!(steps(&mut s), ["start 1", "reuse 0"]);
        s.finish(GateIdx(1), execution(1), Assessment::PASS);
        assert_eq!(steps(&mut s), ["review", "reuse 2"]);
        let result = s.into_result(None, Duration::ZERO);
        assert_eq!(result.reused, vec![true, false, true].into());
        let reused = result.executions[GateIdx(2)]
            .as_ref()
            .map(|e| e.end.clone());
        assert_eq!(reused, Some(ExecEnd::Exited(3)));
    }

    #[test]
    fn a_blocking_miss_under_fail_fast_stops_starting_gates() {
        let jobs = [job(Some(9)), job(Some(1))];
        let mut s = fail_fast_one_slot(&jobs);
        assert_eq!(steps(&mut s), ["start 0"]);
        assert!(s.finish(GateIdx(0), execution(1), Assessment::FAIL));
        assert!(steps(&mut s).is_empty());
        assert!(s.stopping);
    }

    #[test]
    fn a_pass_taken_back_by_a_review_blocks_dependents() {
        let jobs = [job(Some(9)), job(Some(1)), job(Some(1))];
        let mut s = scheduler(&jobs, &[(&[], 1), (&[0], 1), (&[], 1)], 1);
        assert_eq!(steps(&mut s), ["start 0"]);
        assert!(!s.finish(GateIdx(0), execution(0), Assessment::PASS));
        assert!(!s.review_due(), "no fail-fast: only a dependent asks");
        assert_eq!(s.unreviewed(), [GateIdx(0)]);
        assert_eq!(
            s.next_step().map(|st| matches!(st, Step::Review)),
            Some(true)
        );
        assert!(!s.reviewed(&[(GateIdx(0), Assessment::FAIL)]));
        assert!(s.unreviewed().is_empty());
        assert_eq!(steps(&mut s), ["start 2"], "1 is blocked, 2 goes on");
        s.finish(GateIdx(2), execution(0), Assessment::PASS);
        assert!(steps(&mut s).is_empty(), "no dependent: no review");
    }

    #[test]
    fn under_fail_fast_a_blocking_pass_is_reviewed_and_a_taken_back_one_stops() {
        let jobs = [job(Some(9)), job(Some(1))];
        let mut s = fail_fast_one_slot(&jobs);
        assert_eq!(steps(&mut s), ["start 0"]);
        assert!(!s.finish(GateIdx(0), execution(0), Assessment::PASS));
        assert!(s.review_due());
        assert!(s.reviewed(&[(GateIdx(0), Assessment::FAIL)]));
        assert!(steps(&mut s).is_empty());
        assert!(s.stopping);
    }
}
