//! `needs`: each name checked against the gates of the file, and the graph
//! checked for cycles.
//!
//! Needs are recorded while gates are resolved and checked once all are
//! known. This module never orders gates for running; that is the
//! scheduler's job.

use super::resolver::{Resolver, SpannedNeed};
use super::{Gate, GateId};
use crate::diag::{did_you_mean, UserError};
use std::collections::HashMap;
use toml::Spanned;

impl Resolver {
    /// Keeps gate `id`'s `needs` with their spans for [`Self::check_needs`]
    /// and returns the names.
    pub(super) fn record_needs(
        &mut self,
        id: &str,
        needs: Option<&[Spanned<String>]>,
    ) -> Vec<GateId> {
        let spanned: Vec<SpannedNeed> = needs
            .into_iter()
            .flatten()
            .map(|n| (GateId(n.get_ref().clone()), n.span()))
            .collect();
        let names = spanned.iter().map(|(n, _)| n.clone()).collect();
        self.pending_needs.push((id.to_owned(), spanned));
        names
    }

    /// Every need names another gate of the file, and the needs form no
    /// cycle. A need that runs from a higher stage is a warning.
    pub(super) fn check_needs(&mut self, gates: &[Gate]) -> Result<(), UserError> {
        let index: HashMap<&str, usize> = gates
            .iter()
            .enumerate()
            .map(|(i, g)| (g.id.as_str(), i))
            .collect();
        let pending = std::mem::take(&mut self.pending_needs);
        for (gate, needs) in &pending {
            for (need, span) in needs {
                let n = self.known_need(gate, need, span, &index)?;
                let g = &gates[index[gate.as_str()]];
                if gates[n].from > g.from {
                    let message = format!(
                        "gate `{gate}` runs from `{}` but needs `{need}`, which runs only from `{}`; below that the need is ignored",
                        self.ladder.name(g.from),
                        self.ladder.name(gates[n].from)
                    );
                    self.warn(Some(span.clone()), message);
                }
            }
        }
        match find_cycle(gates, &index) {
            Some(cycle) => Err(self.cycle_error(gates, &cycle)),
            None => Ok(()),
        }
    }

    /// The index of the gate `gate` needs, or an error at the need.
    fn known_need(
        &self,
        gate: &str,
        need: &GateId,
        span: &std::ops::Range<usize>,
        index: &HashMap<&str, usize>,
    ) -> Result<usize, UserError> {
        if need.as_str() == gate {
            return Err(self
                .err(span.clone(), format!("gate `{gate}` needs itself"))
                .hint("remove it from `needs`"));
        }
        index.get(need.as_str()).copied().ok_or_else(|| {
            let hint = did_you_mean(need.as_str(), index.keys().copied())
                .unwrap_or_else(|| "`needs` lists names of other gates in this file".into());
            self.err(
                span.clone(),
                format!("gate `{gate}` needs unknown gate `{need}`"),
            )
            .hint(hint)
        })
    }

    fn cycle_error(&self, gates: &[Gate], cycle: &[usize]) -> UserError {
        let first = &gates[cycle[0]];
        let names: Vec<&str> = cycle
            .iter()
            .chain(std::iter::once(&cycle[0]))
            .map(|&i| gates[i].id.as_str())
            .collect();
        self.err(
            first.span.clone(),
            format!("`needs` form a cycle: {}", names.join(" → ")),
        )
        .hint("remove one of these needs to break the cycle")
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Mark {
    New,
    Open,
    Done,
}

/// A cycle in the `needs` graph, as gate indices in order, if there is one.
fn find_cycle(gates: &[Gate], index: &HashMap<&str, usize>) -> Option<Vec<usize>> {
    let mut marks = vec![Mark::New; gates.len()];
    for i in 0..gates.len() {
        if marks[i] == Mark::New {
            if let Some(c) = visit(i, gates, index, &mut marks, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

/// Depth-first from gate `i`; `stack` holds the open path.
fn visit(
    i: usize,
    gates: &[Gate],
    index: &HashMap<&str, usize>,
    marks: &mut [Mark],
    stack: &mut Vec<usize>,
) -> Option<Vec<usize>> {
    marks[i] = Mark::Open;
    stack.push(i);
    for need in &gates[i].needs {
        let n = index[need.as_str()];
        match marks[n] {
            Mark::Open => {
                let start = stack
                    .iter()
                    .position(|&s| s == n)
                    .expect("open gates are on the stack");
                return Some(stack[start..].to_vec());
            }
            Mark::New => {
                if let Some(c) = visit(n, gates, index, marks, stack) {
                    return Some(c);
                }
            }
            Mark::Done => {}
        }
    }
    stack.pop();
    marks[i] = Mark::Done;
    None
}
